"""Hybrid retrieval ranks the article that holds the answer first."""

import pytest


@pytest.mark.parametrize("question, doc_id", [
    ("Did China deny the freeze?", "000_2561fe39030d5e94"),
    ("What did China supply for a particle accelerator?", "001_2082d504f351398b"),
    ("What is the SCO national financial cooperation forum?", "002_4162cab4bec21213"),
    ("How many Chinese engineers did the Russian Academy of Engineering welcome?", "003_8e1d12b5a911970d"),
    ("What did Li Xing say the US aims to contain?", "004_e05cac517c94737c"),
    ("What did Geng Shuang say about telecommunications and drones?", "004_e05cac517c94737c"),
])
def test_answer_document_ranks_first(assistant, question, doc_id):
    hits = assistant.engine().retriever.search(question)
    assert hits[0].chunk.doc_id == doc_id
    assert len(hits) == assistant.settings.top_k


def test_hybrid_beats_or_matches_dense_only_on_exact_names(assistant):
    from rag.answer.retrieval import HybridRetriever

    engine = assistant.engine()
    dense = HybridRetriever(assistant.settings.replace(hybrid=False), assistant.store, assistant._embed_query,
                            engine.lexical)
    for question, doc_id in [("Who is Yao Weike?", "003_8e1d12b5a911970d"),
                             ("What did Geng Shuang say about drones?", "004_e05cac517c94737c")]:
        hybrid_docs = [h.chunk.doc_id for h in engine.retriever.search(question)]
        dense_docs = [h.chunk.doc_id for h in dense.search(question)]
        assert hybrid_docs[0] == doc_id
        assert doc_id not in dense_docs or hybrid_docs.index(doc_id) <= dense_docs.index(doc_id)


def test_the_retriever_plugs_into_llama_index_as_a_base_retriever(assistant):
    """``as_llama_index()``: the same hits as LlamaIndex ``NodeWithScore``s, for any LlamaIndex query engine."""
    from llama_index.core.base.base_retriever import BaseRetriever

    retriever = assistant.engine().retriever
    adapted = retriever.as_llama_index()
    assert isinstance(adapted, BaseRetriever)
    nodes = adapted.retrieve("Did China deny the freeze?")
    assert [n.node.metadata["doc_id"] for n in nodes] == [h.chunk.doc_id for h in retriever.search("Did China deny the freeze?")]
    first = nodes[0].node
    assert first.text == assistant.store.get_chunks([first.id_])[0].text and first.metadata["end"] > first.metadata["start"]
