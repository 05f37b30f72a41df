"""Where the project's files live.

From a source checkout (the clone you run ``scripts/run.sh`` in) everything sits beside the code:
``corpus/``, ``index/``, ``.cache/`` (the bundled model), ``prompts/``, ``eval/reports/``.
Installed as a package (``pip install .``), the bundled prompts and articles ship inside the package,
and what the user makes goes to the XDG folders: ``~/.local/share/cited-rag/`` (corpus, index, eval
reports) and ``~/.cache/cited-rag/`` (the model). Every one of them is a setting (``RAG_CORPUS_DIR``,
``RAG_INDEX_DIR``, ``RAG_CACHE_DIR``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

APP_NAME = "cited-rag"
PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
# A source checkout has the app and the prompt files beside the package; an installed package does not.
IN_CHECKOUT = (CHECKOUT / "app.py").is_file() and (CHECKOUT / "prompts").is_dir()

PROMPTS = CHECKOUT / "prompts" if IN_CHECKOUT else PACKAGE / "bundled" / "prompts"
BUNDLED_CORPUS = CHECKOUT / "corpus" if IN_CHECKOUT else PACKAGE / "bundled" / "corpus"


def data_home() -> Path:
    """The folder for the user's corpus, index and reports."""
    if IN_CHECKOUT:
        return CHECKOUT
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_NAME


def cache_home() -> Path:
    """The folder for derived files that can be made again (the assembled model)."""
    if IN_CHECKOUT:
        return CHECKOUT / ".cache"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / APP_NAME


def default_corpus_dir() -> Path:
    """The corpus folder when none is set: the bundled articles. Installed, they are copied once to the
    user's data folder, so uploads from the web UI land there and never in the package."""
    if IN_CHECKOUT:
        return BUNDLED_CORPUS
    target = data_home() / "corpus"
    if not target.exists() and BUNDLED_CORPUS.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(BUNDLED_CORPUS, target, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return target


def reports_dir() -> Path:
    """Where the eval writes its report folders."""
    return CHECKOUT / "eval" / "reports" if IN_CHECKOUT else data_home() / "eval-reports"
