"""Answers about a document corpus with inline citations backed by verbatim quotes.

    from rag import Assistant
    answer = Assistant().ask("Did China deny the freeze?")
"""

from .answer import Answer, Citation, QuestionError
from .assistant import Assistant
from .settings import Settings, SettingsError

__all__ = ["Assistant", "Answer", "Citation", "QuestionError", "Settings", "SettingsError"]
