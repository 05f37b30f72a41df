"""Answer: a question in, a cited answer out (pipeline.AnswerPipeline runs the stages in this order).

question / conversation (the question understood once, follow-ups rewritten from the dialog) ->
retrieval / vectors (hybrid search over rag.index) -> widen (neighbouring sentences) -> units / evidence
(candidate quotes, ranked) -> presence / selection (the judge reads the best; the learned selection keeps
what states the answer) -> expand / lists -> compose / lead / compare / catalog (the answer's sentences,
each from a quote) -> guard (every sentence checked against its quote) -> render (the Answer, citations).
Imports rag.index, rag.models and rag's shared modules, never rag.serve.
"""
