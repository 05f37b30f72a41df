"""Faithfulness evaluation of the assistant against gold questions (``python -m eval``)."""
