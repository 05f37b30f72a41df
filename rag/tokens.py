"""Offline tokenizer data: tiktoken's encodings and NLTK's punkt model, both from the copies inside
llama-index-core's ``_static/`` (no download at run time)."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

TIKTOKEN_ENCODING = "cl100k_base"


def llama_index_static_dir() -> Path:
    # Found without importing llama_index.core (about a second): only its files are needed.
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("llama-index-core is not installed: pip install -r requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]).resolve() / "_static"


def use_bundled_tokenizer_data() -> None:
    """Point tiktoken and NLTK at the copies inside llama-index-core (idempotent, no network)."""
    static = llama_index_static_dir()
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
    nltk_dir = str(static / "nltk_cache")
    os.environ.setdefault("NLTK_DATA", nltk_dir)
    import nltk.data

    if nltk_dir not in nltk.data.path:
        nltk.data.path.append(nltk_dir)


@functools.lru_cache(maxsize=1)
def tiktoken_encoding():
    use_bundled_tokenizer_data()
    import tiktoken

    return tiktoken.get_encoding(TIKTOKEN_ENCODING)


def count_tokens(text: str) -> int:
    return len(tiktoken_encoding().encode(text, disallowed_special=()))


def tiktoken_tokenizer():
    """A ``str -> list[int]`` callable for LlamaIndex node parsers."""
    encoding = tiktoken_encoding()
    return functools.partial(encoding.encode, disallowed_special=())
