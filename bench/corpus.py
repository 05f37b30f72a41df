"""Benchmark corpora of real English prose that ships in Debian packages, at about 10^3, 10^4, 10^5 chunks.

The manuals of Python 3.11 (python3.11-doc, HTML), PostgreSQL 15 (postgresql-doc-15, HTML), Git
(git-doc, HTML), Perl (perl-doc, POD) and the Linux kernel (linux-doc-6.1, reStructuredText) are fetched with ``apt-get download`` (no root needed), read
with the same readers the assistant uses, and cut into documents of 3-6 KB at paragraph breaks. The
sources are interleaved, so every size holds all five manuals, and each size holds the smaller ones
(the questions in ``bench/questions.jsonl`` are answered by the 10^3 corpus, so by every size).
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from itertools import zip_longest
from pathlib import Path

from rag.index.corpus import load_document
from rag.tokens import tiktoken_tokenizer

PACKAGES = ("python3.11-doc", "postgresql-doc-15", "git-doc", "perl-doc", "linux-doc-6.1")
DOC_CHARS = (3000, 6000)  # a document's size range, in characters
TOKENS_PER_CHUNK = 128  # 160-token chunks with a 32-token overlap add about 128 new tokens each


def fetch(cache: Path) -> Path:
    """The packages' files, unpacked under ``cache/root`` (downloaded once)."""
    root = cache / "root"
    if root.exists():
        return root
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True, capture_output=True)
    tmp = cache / "root.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
    tmp.rename(root)
    return root


def source_texts(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Manual -> [(page name, text)], pages in path order."""
    manuals = {
        "python": sorted((root / "usr/share/doc/python3.11/html").rglob("*.html")),
        "postgresql": sorted((root / "usr/share/doc/postgresql-doc-15").rglob("*.html")),
        "git": sorted((root / "usr/share/doc/git-doc").rglob("*.html")),
        "perl": sorted((root / "usr/share/perl").rglob("*.pod")),
        "kernel": sorted((root / "usr/share/doc/linux-doc-6.1/Documentation").rglob("*.rst.gz")),
    }
    texts: dict[str, list[tuple[str, str]]] = {}
    for manual, paths in manuals.items():
        pages = []
        for path in paths:
            if path.suffix == ".gz":
                text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            elif path.suffix == ".pod":
                text = path.read_text(errors="replace")
                text = re.sub(r"^=(head\d|item)\s+", "", text, flags=re.M)  # headings stay as lines
                text = re.sub(r"^=\w+.*$", "", text, flags=re.M)
            else:
                text = load_document(path).text
            if len(text) > 500:
                pages.append((path.name.split(".")[0], text))
        texts[manual] = pages
    return texts


def cut(text: str) -> list[str]:
    """Pieces of 3-6 KB, cut at paragraph breaks (a longer paragraph is cut at a line break)."""
    pieces, current = [], ""
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        while len(para) > DOC_CHARS[1]:
            at = para.rfind("\n", 0, DOC_CHARS[1]) if "\n" in para[: DOC_CHARS[1]] else para.rfind(" ", 0, DOC_CHARS[1])
            at = at if at > 0 else DOC_CHARS[1]
            pieces.append(para[:at].strip())
            para = para[at:].strip()
        if current and len(current) + len(para) > DOC_CHARS[1]:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
        if len(current) >= DOC_CHARS[0]:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def all_documents(cache: Path) -> list[tuple[str, str]]:
    """Every benchmark document as (doc id, text), the manuals interleaved page by page."""
    texts = source_texts(fetch(cache))
    per_manual = []
    for manual, pages in texts.items():
        docs = []
        for page, text in pages:
            for n, piece in enumerate(cut(text)):
                docs.append((f"{manual}-{re.sub(r'[^A-Za-z0-9]+', '_', page)}-{n:03d}", piece))
        per_manual.append(docs)
    return [d for group in zip_longest(*per_manual) for d in group if d is not None]


def build(cache: Path, chunks: int) -> Path:
    """A corpus folder of about ``chunks`` chunks (``cache/corpus-<chunks>``), made once."""
    folder = cache / f"corpus-{chunks}"
    if folder.exists():
        return folder
    encode = tiktoken_tokenizer()
    tmp = cache / f"corpus-{chunks}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    estimated = 0.0
    for doc_id, text in all_documents(cache):
        if estimated >= chunks:
            break
        (tmp / f"{doc_id}.txt").write_text(text + "\n")
        estimated += max(1.0, len(encode(text)) / TOKENS_PER_CHUNK)
    tmp.rename(folder)
    return folder
