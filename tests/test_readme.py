"""The README is a manual for users: short, without a development log, and its commands exist."""

import re

from rag.serve.cli import main

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_manual_not_a_log():
    assert len(README.splitlines()) <= 300
    assert not re.search(r"\bsession \d+", README, re.I)  # work periods belong in docs/
    assert not re.search(r"\b[aq]\d{2}\b", README)  # nor eval question ids


def test_every_rag_command_the_readme_shows_exists(capsys):
    commands = set(re.findall(r"^rag ([a-z-]+)", README, re.M))
    assert {"ask", "index", "serve", "eval", "install-model"} <= commands
    for command in commands:
        try:
            main([command, "--help"])
        except SystemExit as exc:
            assert exc.code == 0, command
    for script in re.findall(r"^(scripts/[\w.]+)", README, re.M):
        assert (ROOT / script).is_file(), script
