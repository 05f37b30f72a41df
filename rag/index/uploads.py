"""Accepting uploaded files into a corpus folder: each file is checked before it is saved, and every
file gets a verdict (saved as which document, or skipped and why), so one bad file never stops a batch.

An upload is *content*: the caller hands over bytes it received (or a file in its own upload area) and
the name the user gave. The name is reduced to a safe file name; nothing outside the corpus folder is
ever written, and an existing, different document is never replaced.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import SUPPORTED_SUFFIXES, load_document
from .reader_process import timed_reader

# Longest file name kept (most file systems allow 255 bytes; the rest leaves room for a suffix).
MAX_NAME_CHARS = 120
# Letters and digits of any script are kept ("Отчёт.txt" stays itself); anything else (path separators,
# control and format characters, shell and markup punctuation) becomes "_".
_UNSAFE = re.compile(r"[^\w. -]+")


@dataclass
class Upload:
    """One uploaded file: the name the user gave and its bytes."""

    name: str
    data: bytes
    size: int = -1  # bytes in the original file (when ``data`` was cut at the limit); -1: len(data)

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)

    @classmethod
    def from_file(cls, name: str, path: Path, max_bytes: int) -> "Upload":
        """An upload received as a file: at most ``max_bytes`` + 1 bytes are read."""
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        return cls(name, data, size=os.path.getsize(path))


@dataclass
class UploadReport:
    saved: list[tuple[str, str]] = field(default_factory=list)  # (file name, document id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name as given, reason)

    def summary(self) -> str:
        lines = [f"Saved {name} (document {doc_id})." for name, doc_id in self.saved]
        lines += [f"Skipped {name}: {reason}." for name, reason in self.skipped]
        return "\n".join(lines) or "No files."


def safe_name(given: str) -> str | None:
    """The last path part of ``given`` with unsafe characters replaced; None when nothing usable is left."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", given or "")[-1])
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, suffix = os.path.splitext(base)
    stem = stem.strip(" ._-")[: MAX_NAME_CHARS - len(suffix)]
    if not stem or not suffix:
        return None
    return stem + suffix.lower()


def save_uploads(uploads: list[Upload], folder: Path, indexed: dict[str, str], max_bytes: int,
                 max_chars: int | None = None, max_seconds: float | None = None) -> UploadReport:
    """Check each upload and save the good ones into ``folder``; ``indexed`` is doc_id -> content hash of
    the documents already in the index (a different document under the same id is not replaced). Each is
    read as a document first, in a worker process within ``max_seconds`` when given (``rag.index.reader_process``)."""
    report = UploadReport()
    folder.mkdir(parents=True, exist_ok=True)
    read = timed_reader(max_seconds) if max_seconds else load_document
    for upload in uploads:
        _one(upload, folder, indexed, max_bytes, max_chars, read, report)
    return report


def _one(upload: Upload, folder: Path, indexed: dict[str, str], max_bytes: int, max_chars: int | None, read,
         report: UploadReport) -> None:
    shown = (upload.name or "(no name)")[:MAX_NAME_CHARS]
    name = safe_name(upload.name)
    reason = _refusal(upload, name, max_bytes)
    if reason is None:
        reason = _save(upload.data, name, folder, indexed, max_chars, read)
    if reason is None:
        report.saved.append((name, Path(name).stem))
    else:
        report.skipped.append((shown, reason))


def _refusal(upload: Upload, name: str | None, max_bytes: int) -> str | None:
    if name is None:
        return "the file name has no usable name or extension"
    if Path(name).suffix not in SUPPORTED_SUFFIXES:
        return f"unsupported file type {Path(name).suffix} (use {' '.join(SUPPORTED_SUFFIXES)})"
    if upload.size > max_bytes:
        return (f"{upload.size / 1e6:.1f} MB is over the upload limit of {max_bytes / 1e6:.1f} MB "
                "(RAG_MAX_UPLOAD_MB)")
    return None


def _save(data: bytes, name: str, folder: Path, indexed: dict[str, str], max_chars: int | None = None,
          read=load_document) -> str | None:
    """Save ``data`` as ``folder/name`` after reading it as a document; the reason when it is not saved."""
    doc_id = Path(name).stem
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / name
        trial.write_bytes(data)
        try:
            doc = read(trial, max_chars)
        except OSError as exc:  # never the server's paths in a message to the visitor
            return f"could not be read ({exc.strerror or type(exc).__name__})"
        except ValueError as exc:
            return str(exc).replace(str(trial), name).replace(scratch, "…")
    same_id = [p for p in folder.glob("*") if p.is_file() and p.stem == doc_id]
    if indexed.get(doc_id) == doc.content_hash:
        return f"already indexed as document {doc_id} (same text)"
    if doc_id in indexed or same_id:
        return (f"a different document {doc_id} exists; remove it first or rename the file "
                "(an upload never replaces a document)")
    target = folder / name
    partial = folder / f".{name}.part"  # hidden from the corpus reader until complete
    partial.write_bytes(data)
    os.replace(partial, target)
    return None


def received_uploads(files, inbox: Path, max_bytes: int) -> tuple[list[Upload], list[tuple[str, str]]]:
    """What a web front end received as uploads (paths, or objects with ``name``/``path``), as (name,
    bytes). Only files in its upload folder ``inbox`` count: a path elsewhere on the server, handed to an
    endpoint as "file data", is refused, never read."""
    uploads, refused = [], []
    inbox = Path(inbox).resolve()
    for f in files or []:
        path = Path(f if isinstance(f, str) else getattr(f, "name", "") or getattr(f, "path", ""))
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            refused.append((path.name, "not a file that was uploaded"))
            continue
        if not real.is_relative_to(inbox) or not real.is_file():
            refused.append((path.name, "not a file that was uploaded"))
            continue
        uploads.append(Upload.from_file(path.name, real, max_bytes))
    return uploads, refused
