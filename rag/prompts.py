"""The prompt files of ``prompts/``: one file per prompt, read at run time.

A chat prompt holds its system message, a line ``---``, then its user message; ``{name}`` fields
are filled in by the caller.
"""

from __future__ import annotations

from pathlib import Path

from .paths import PROMPTS


class Prompts:
    """The prompt files of a folder (default: the project's ``prompts/``)."""

    def __init__(self, folder: Path = PROMPTS):
        self.folder = folder

    def __getitem__(self, name: str) -> str:
        return (self.folder / f"{name}.txt").read_text(encoding="utf-8").strip()

    def chat(self, name: str, **fields: str) -> tuple[str, str]:
        """(system, user) of a chat prompt, with ``fields`` filled in."""
        system, _, user = self[name].partition("\n---\n")
        return system.strip(), user.strip().format(**fields)
