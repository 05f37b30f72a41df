"""The baseline a new user would build: LlamaIndex's stock ``CitationQueryEngine`` over the same Chroma
index (dense retrieval, top-k 4) and the same answer model, with LlamaIndex's default citation prompts.

Its answers are turned into the public ``rag.Answer`` shape so the same metrics score both pipelines.
"""

from __future__ import annotations

import re
from typing import Any

from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import CitationQueryEngine

from rag import Answer, Assistant, Citation

BASELINE_TOP_K = 4
# CitationQueryEngine never abstains by design; read a refusal in its text as one.
_REFUSAL = re.compile(r"\b(not (found|provided|mentioned|specified)|no information|cannot (answer|be determined)|"
                      r"(don't|do not|does not|doesn't) (know|say|mention|provide|contain))\b", re.IGNORECASE)


class GeneratorLLM(CustomLLM):
    """A LlamaIndex LLM over the assistant's generator (the bundled GGUF, or the configured server)."""

    generator: Any = None
    max_tokens: int = 256

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=4096, num_output=self.max_tokens, model_name="assistant-generator")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = self.generator.complete([{"role": "user", "content": prompt}], max_tokens=self.max_tokens)
        return CompletionResponse(text=text)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in self.generator.stream([{"role": "user", "content": prompt}], max_tokens=self.max_tokens):
            text += piece
            yield CompletionResponse(text=text, delta=piece)


def baseline_answerer(assistant: Assistant):
    """A ``(question, history) -> rag.Answer`` function backed by a stock CitationQueryEngine."""
    engine = assistant.engine()
    retriever = engine.retriever.__class__(
        assistant.settings.replace(hybrid=False, top_k=BASELINE_TOP_K), engine.retriever.store,
        engine.retriever.embed_query, engine.lexical)
    query_engine = CitationQueryEngine.from_args(
        index=None, retriever=retriever.as_llama_index(), llm=GeneratorLLM(generator=engine.generator),
        citation_chunk_size=512)

    def answer(question: str, history: list[dict] | None = None) -> Answer:
        # The stock engine has no chat history: a follow-up goes in as typed, as it would for its users.
        response = query_engine.query(question)
        text = str(response.response or "").strip()
        nodes = response.source_nodes
        citations = []
        for n in dict.fromkeys(int(m) for m in re.findall(r"\[(\d+)\]", text)):
            if 0 < n <= len(nodes):
                node = nodes[n - 1]
                quote = re.sub(r"^Source \d+:\s*", "", node.node.get_content()).strip()
                meta = node.node.metadata
                citations.append(Citation(n, meta.get("doc_id", ""), meta.get("title", ""), meta.get("date"),
                                          quote, round(float(node.score or 0.0), 4)))
        sources = [{"doc_id": nd.node.metadata.get("doc_id", ""), "title": nd.node.metadata.get("title", ""),
                    "date": nd.node.metadata.get("date"), "score": nd.score} for nd in nodes]
        passages = [{"doc_id": nd.node.metadata.get("doc_id", ""), "text": nd.node.get_content()} for nd in nodes]
        abstained = not text or bool(_REFUSAL.search(text))
        return Answer(text, citations, abstained, question, question, sources, passages)

    return answer
