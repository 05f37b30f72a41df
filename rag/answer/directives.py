"""Requests about the answer's form ("Please answer briefly.", "Answer in French:", a pasted "[99]")
are not part of what is asked: they are taken out of the question before retrieval, so they neither
steer the search nor count as facts the evidence must hold. Answers are verbatim quotes, so a style or
language request cannot be honoured anyway; the answer is the one the plain question gets.
"""

from __future__ import annotations

import re

# Words that only describe the answer's form. A clause made of these alone is a directive.
_FORM_WORDS = frozenset("""
please kindly just only answer answers reply respond response write explain tell me us give it this that
be keep make the a an your in into of with using use as short shortly brief briefly concise concisely
simple simply plain clear clearly quick quickly detail detailed details fully full summary max maximum
at most least no more than less sentence sentences word words line lines paragraph paragraphs bullet bullets
point points list format markdown one two three four five few single sentence-long translate translated
language english french german spanish italian portuguese russian chinese japanese korean arabic hindi dutch
polish turkish ukrainian swedish
""".split())
_MARKER = re.compile(r"\[\s*\d{1,4}\s*\]")
_CLAUSE = re.compile(r"[^.?!:;,]+[.?!:;,]*")


def strip_directives(question: str) -> tuple[str, list[str]]:
    """(the question without form requests and pasted markers, the parts taken out)."""
    removed = [m.group() for m in _MARKER.finditer(question)]
    text = _MARKER.sub(" ", question)

    def drop_aside(match: re.Match) -> str:  # "(in one sentence)"
        if _is_directive(match.group(1)):
            removed.append(match.group())
            return " "
        return match.group()

    text = re.sub(r"\(([^()]*)\)", drop_aside, text)
    kept = []
    for clause in _CLAUSE.findall(text):
        if _is_directive(clause):
            removed.append(clause.strip())
        else:
            kept.append(clause)
    core = re.sub(r"\s+", " ", "".join(kept)).strip(" ,;:")
    if not re.search(r"[A-Za-z0-9]", core):  # nothing but directives: keep the question as it was
        return re.sub(r"\s+", " ", question).strip(), []
    if question.rstrip().endswith("?") and not core.endswith(("?", ".", "!")):
        core += "?"  # "Did X happen, briefly?" is still a question
    return core[:1].upper() + core[1:], removed


# A clause of form words must still name a form ("briefly", "in French") to be dropped: "Tell me." alone
# or "Is it?" are too short to be sure about and stay.
_FORM_NAMES = _FORM_WORDS - frozenset("please kindly just only answer answers reply respond response write "
                                      "explain tell me us give it this that be keep make the a an your in "
                                      "into of with using use as at no more than".split())


def _is_directive(clause: str) -> bool:
    tokens = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)?|\d+", clause.lower())
    return bool(tokens) and all(t in _FORM_WORDS or t.isdigit() for t in tokens) and any(
        t in _FORM_NAMES for t in tokens)
