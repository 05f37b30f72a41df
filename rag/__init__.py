"""Answers about a document corpus with inline citations backed by verbatim quotes.

    from rag import Assistant
    answer = Assistant().ask("Did China deny the freeze?")
"""

from .answer.render import Answer, Citation
from .assistant import Assistant
from .errors import QuestionError, SettingsError
from .settings import Settings

__all__ = ["Assistant", "Answer", "Citation", "QuestionError", "Settings", "SettingsError"]
