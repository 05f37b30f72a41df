"""Follow-up questions: rewrite a question that leans on the chat history into a standalone one.

"What did he say about energy?" after a turn about Gusev Vladimirovich becomes "What did Gusev
Vladimirovich say about energy?". A person's pronoun ("she", "his") takes one of the people and things the
last exchanges name ("my widow", "the singer", "Zhao Lijian"): the judge picks which, reading the dialog, so
no model writes the question and a small one cannot derail retrieval; without a judge, the most recent name.
A question with no words of its own ("Why?") takes the previous turns' topic words instead.
"""

from __future__ import annotations

import re

from ..models.judge import MAX_OPTIONS
from ..text import STOPWORDS

History = list[dict[str, str]]


def message_text(content) -> str:
    """Chat message content as text: a string, or a list of {"type": "text", "text": ...} parts (as
    OpenAI clients and Gradio 6 send it)."""
    if isinstance(content, list):
        text = " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    else:
        text = content if isinstance(content, str) else ""
    return valid_unicode(text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates ("\\ud800" in JSON: no character, and not encodable as UTF-8) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)

_MARKERS = re.compile(r"\[\d+\]")

_PERSON_PRONOUNS = r"he|she|him|his|her|hers"
_THING_PRONOUNS = r"it|its|they|them|their|this|that|these|those|there"
_PRONOUN_WORDS = set(f"{_PERSON_PRONOUNS}|{_THING_PRONOUNS}".split("|"))
# Generic words of organisations, events and titles: a capitalised run holding one is not a person.
_ORG_WORDS = {
    "academy", "ministry", "university", "institute", "association", "agency", "news", "foreign", "state",
    "center", "centre", "organization", "organisation", "forum", "year", "conference", "expo", "western",
    "west", "east", "north", "south", "sciences", "engineering", "department", "council", "committee",
    "government", "the", "of", "and", "president", "company", "corporation", "bank", "party", "union",
    "republic", "kingdom", "federation", "office", "school", "college", "museum", "war", "day", "times",
}
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?))*")


def needs_context(question: str) -> bool:
    """A pronoun to resolve, or no word of its own to be searched for: "Why?", "And then?"."""
    return bool(re.search(rf"\b({_PERSON_PRONOUNS}|{_THING_PRONOUNS})\b", question, re.IGNORECASE)
                or not _topic(question))


def person_names(text: str) -> list[str]:
    """Capitalised word runs that look like people's names (no organisation or country words)."""
    full, single = [], []
    for m in _NAME.finditer(text):
        parts = m.group().split()
        if len(parts) >= 2 and not any(p.lower() in _ORG_WORDS for p in parts):
            full.append(m.group())
        elif len(parts) == 1 and m.start() > 0 and parts[0].lower() not in _ORG_WORDS | STOPWORDS and len(parts[0]) > 3:
            single.append(parts[0])
    # A full name ("Zhao Lijian") is a person far more often than a lone capitalised word (a place).
    return full + single


def standalone_question(question: str, history: History | None, judge=None) -> str:
    """The question with its references to earlier turns resolved (unchanged without history); ``judge``
    (rag.models.judge) picks what a person's pronoun refers to, else it takes the most recent name."""
    question = question.strip()
    if not history or not needs_context(question):
        return question
    # The dialog's exchanges (a question and its answer), newest first: a name or topic is looked for in the
    # last exchange first, then further back ("did she ...?" three turns after the singer was named).
    exchanges = _exchanges(history)
    pronoun = re.search(rf"\b({_PERSON_PRONOUNS})\b", question, re.IGNORECASE)
    if pronoun:
        referent = (chosen_referent(question, pronoun, exchanges, judge) if judge is not None
                    else latest_name(exchanges))
        if referent is not None:
            return with_referent(question, pronoun, referent)
    words: list[str] = []  # the newest turns' words, back until there are a few: "Why? (sang Thriller ...)"
    for text in (t for exchange in exchanges for t in exchange):
        words += [w for w in _topic(text).split() if w not in words]
        if len(words) >= TOPIC_WORDS:
            break
    topic = " ".join(words[:12])
    return f"{question} ({topic})" if topic else question


def latest_name(exchanges: list[tuple[str, str]]) -> str | None:
    """The newest exchange's name: a full name ("Michael Jackson") before a lone capitalised word
    ("Thriller"), as person_names does."""
    return next((names[0] for user, answer in exchanges
                 for names in [sorted(person_names(user) + person_names(answer), key=lambda n: " " not in n)]
                 if names), None)


# "my widow", "the singer", "a surviving divorced spouse": a determiner and the lower-case words after it up to
# the next common word; a person's pronoun may stand for one of these as well as for a name
_MENTION = re.compile(r"\b((?i:my|your|our|the|a|an))\s+((?:[a-z][a-z'\-]+\s+){0,2}[a-z][a-z'\-]+)")
REFERENT_EXCHANGES = 2  # the judge reads the last two exchanges (and picks among what they name) ...
REFERENT_TURN_CHARS = 160  # ... each turn cut to this: the prompt is read at ~100 tokens a second on one core


def mentions(text: str) -> list[str]:
    """The people and things ``text`` names: names, then "the X" / "my X" phrases (cut at the first common
    word: "my widow, what benefits" gives "my widow")."""
    found = list(person_names(text))
    for m in _MENTION.finditer(text):
        words = []
        for word in m.group(2).split():
            if word.lower() in STOPWORDS or word.lower() in _PRONOUN_WORDS:
                break
            words.append(word)
        if words:
            found.append(f"{m.group(1)} {' '.join(words)}")
    return found


def chosen_referent(question: str, pronoun: re.Match, exchanges: list[tuple[str, str]], judge) -> str | None:
    """What the judge says ``pronoun`` refers to, among what the question before it ("what about my widow, what
    would she receive?") and the last exchanges name, and the newest name further back (None: nothing named)."""
    recent = [(_cut(user), _cut(answer)) for user, answer in exchanges[:REFERENT_EXCHANGES]]
    own = mentions(question[:pronoun.start()])
    earlier = latest_name(exchanges[REFERENT_EXCHANGES:])  # "did she ...?" four turns after the singer was named
    options = list(dict.fromkeys(own + [m for user, answer in recent for m in mentions(user) + mentions(answer)]
                                 + ([earlier] if earlier else [])))
    options = [o for o in options if o.lower() != pronoun.group().lower()][:MAX_OPTIONS]
    if len(options) <= 1:
        return options[0] if options else None
    conversation = "\n".join(f"{who}: {text}" for user, answer in reversed(recent)
                             for who, text in (("User", user), ("Assistant", answer)) if text)
    p = judge.referents(conversation, question, pronoun.group(), options)
    return options[max(range(len(options)), key=p.__getitem__)]


def with_referent(question: str, pronoun: re.Match, referent: str) -> str:
    """The question with the pronoun replaced: "his"/"her" by "<referent>'s", the others by the referent ("a
    singer" read as "the singer")."""
    referent = re.sub(r"^(a|an)\s", "the ", referent, flags=re.IGNORECASE)
    word = pronoun.group().lower()
    replacement = f"{referent}'s" if word in ("his", "her", "hers") else referent
    return question[:pronoun.start()] + replacement + question[pronoun.end():]


def _cut(text: str) -> str:
    return text if len(text) <= REFERENT_TURN_CHARS else text[:REFERENT_TURN_CHARS].rsplit(" ", 1)[0] + " …"


TOPIC_WORDS = 3  # a follow-up's topic reaches back through the turns until it has this many words


def _exchanges(history: History) -> list[tuple[str, str]]:
    """(question, answer) pairs of the chat, newest first, markers taken out of the answers."""
    out: list[list[str]] = []
    for turn in history:
        text = _MARKERS.sub("", message_text(turn.get("content"))).strip()
        if turn.get("role") == "user":
            out.append([text, ""])
        elif turn.get("role") == "assistant":
            if not out:
                out.append(["", ""])
            out[-1][1] = f"{out[-1][1]} {text}".strip()
    return [(user, answer) for user, answer in reversed(out)]


def _topic(text: str) -> str:
    """The content words of ``text``, a sentence's first word in lower case: "Yes, since ..." gives no "Yes"
    that the question's name check would look for in the corpus."""
    words = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'\-]*", text):
        word = m.group()
        if not re.search(r"\w", text[:m.start()].rsplit(".", 1)[-1].rsplit("?", 1)[-1].rsplit("!", 1)[-1]):
            word = word.lower()
        if word.lower() not in STOPWORDS and len(word) > 2:
            words.append(word)
    return " ".join(words[:12])


def model_standalone_question(question: str, history: History, generator, instructions: str) -> str | None:
    """A remote model's rewrite of a follow-up into a standalone question, or None if it is unusable.

    Used for the remote backends (a capable model resolves "And the year before?" that the
    deterministic rewrite cannot); the caller falls back to ``standalone_question``.
    """
    turns = "\n".join(f"{t.get('role', 'user')}: {_MARKERS.sub('', t.get('content', ''))[:600]}" for t in history[-4:])
    messages = [{"role": "system", "content": instructions},
                {"role": "user", "content": f"Conversation:\n{turns}\n\nFollow-up: {question}\n\nStandalone question:"}]
    try:
        rewritten = generator.complete(messages, max_tokens=60).strip().strip('"').splitlines()[0].strip()
    except Exception:  # a dead or slow server: the deterministic rewrite still works
        return None
    if not rewritten or len(rewritten) > 300 or "NOT FOUND" in rewritten.upper():
        return None
    return rewritten
