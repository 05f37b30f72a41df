"""The question, profiled once: its content words, the kind of answer it wants, whose words it asks
for, what it takes for granted, and the names it mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Callable

from ..errors import QuestionError
from ..index.lexical import LexicalIndex
from ..text import NEGATIONS, STOPWORDS, content_stems, stem, stem_in, words
from .speech import ASKS_SPEECH, ROLES

# Words that ask about the corpus itself, or about the answer's form ("Can you describe ...?"), rather
# than its content.
QUESTION_NOISE = {stem(w) for w in (
    "article articles report reported mention mentioned passage passages source sources text document "
    "documents paper happen publish published done make made call called "
    "describe explain list provide give tell example examples overview outline summarize summarise briefly "
    # the frame of a question asking for kinds or contrasts ("What are the different types ...? How do they
    # differ?"): the kinds and the things contrasted are the content
    "different various differ differs difference differences"
).split()}
# (asks, offers, strict, required): what kind of answer a wh-question wants, and a pattern that marks a
# sentence offering one. A strict type is one sentence that offers it; a required one must be offered
# at all: a "where" answer names a place, a "how many" one a number. A "when" answer may lean on the
# document's date instead (rag.answer.compose.date_lead).
ANSWER_TYPES = [
    (re.compile(r"^\s*when\b|\b(what|which) (\w+ ){0,3}?(date|day|year|month|century)\b", re.I),
     re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
                r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|\d{4}|\d+(st|nd|rd|th))\b"), True, False),
    (re.compile(r"^\s*where\b|\bin which (city|country|place)\b", re.I),
     # a preposition of place or direction before a capitalised name ("flowed ... to the North Sea")
     re.compile(r"\b(at|in|held|near|from|to|into|through|across|along|between|around|within|outside|off|"
                r"(north|south|east|west)(ern)? of)\s+(the\s+)?[A-Z]"), True, True),
    (re.compile(r"^\s*how (many|much)\b", re.I),
     re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozens?|half|twice)\b", re.I), True, True),
    # A person: two capitalised words in a row (case-sensitive: "the president" is not a name).
    (re.compile(r"^\s*(who|whom)\b", re.I), re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+"), False, False),
]
WHY = re.compile(r"^\s*why\b", re.I)
# "Can you provide an example of ...?" is a request, not a yes/no question.
YES_NO = re.compile(r"^\s*(?!(can|could|will|would)\s+you\b)"
                    r"(did|does|do|is|are|was|were|has|have|had|can|could|will|would|should)\b", re.I)
# A question that wants an explanation, not a fact: its answer runs over several sentences.
EXPLAINS = re.compile(r"^\s*(how|why)\b(?!\s+(many|much|long|old|far|often|big|large|soon)\b)|"
                      r"\b(explain|describe|discuss|outline|overview|summari[sz]e|elaborate)\b|"
                      r"\bwhat (is|are|was|were) the (\w+ )?(purpose|concept|idea|role|significance|difference|"
                      r"advantages?|disadvantages?|benefits?|limitations?)\b", re.I)
# A question that asks for several things: more than one question, or a list ("What are some ...?",
# "List ...", "examples of", "types of"). Its answer, like an explanation's, runs over several sentences.
_ITEMS = (r"(types|kinds|ways|steps|stages|components|parts|approaches|methods|strategies|techniques|solutions|"
          r"examples|advantages|disadvantages|benefits|features|applications|uses|datasets|events|factors|categories)")
SEVERAL = re.compile(r"\?\s*\S.*\?|^\s*(list|name)\b|\bwhat (are|were) some\b|"
                     rf"\bwhat (are|were) (some|the|\w+ (two|three|four|five|six|several|main|common))\b[^?]{{0,40}}?\b{_ITEMS}\b|"
                     rf"\bwhat (are|were) (two|three|four|five|six|several)\b[^?]{{0,40}}?\b{_ITEMS}\b|"
                     r"\b(examples|types|kinds|categories) of\b", re.I)
NAME_FREQUENCY = 0.3  # a capitalised word in more chunks than this share is a topic, not a speaker's name

# --- initialisms: "DL" in one text, "deep learning" in the other --------------------------------

_CAPITALS = re.compile(r"\b([A-Z]{2,6})s?\b")  # "DL", "CNNs"
INITIALISM_WORDS = (2, 6)  # an initialism abbreviates this many words, at least and at most


def capitalised_initialisms(text: str) -> set[str]:
    """The all-capital words of ``text`` as lower-case letters, plural "s" dropped ("CNNs" -> "cnn")."""
    return {m.lower() for m in _CAPITALS.findall(text)}


def word_runs(text: str) -> dict[str, set[str]]:
    """Every run of consecutive content words (a hyphenated word counts its parts), keyed by its initials,
    with the stems it holds: "deep learning" -> {"dl": {"deep", "learn"}}. Technical writing defines an
    initialism once and then uses it alone, so a question's words and a sentence's initialism meet here."""
    runs: dict[str, set[str]] = {}
    parts: list[str] = []
    for w in words(text) + [""]:  # a stopword (or the end) closes a run
        if w and w not in STOPWORDS and w not in NEGATIONS and w[0].isalpha():
            parts += [p for p in w.split("-") if p]
            continue
        low, high = INITIALISM_WORDS
        for i in range(len(parts)):
            for n in range(low, min(high, len(parts) - i) + 1):
                run = parts[i:i + n]
                runs.setdefault("".join(p[0] for p in run), set()).update(stem(p) for p in run)
        parts = []
    return runs


@dataclass
class QuestionProfile:
    """What a question asks, worked out once per question."""

    text: str
    stems: list[str]  # content stems, without words about the corpus itself
    wanted: list[tuple[bool, re.Pattern]]  # (strict, pattern a sentence offering the answer matches)
    speakers: set[str]  # stems of the names (or roles) whose words are asked for
    premise: set[str]  # stems a why- or yes/no question takes for granted
    idf: Callable[[str], float]
    required: bool = False  # the answer must offer its type (a place, a number) to be one
    # The question's runs of words by their initials ("deep learning" -> "dl"), and its own initialisms
    # ("DL"): a sentence writing the other form still covers those words.
    runs: dict[str, set[str]] = field(default_factory=dict)
    initialisms: set[str] = field(default_factory=set)

    @property
    def yes_no(self) -> bool:
        return bool(YES_NO.match(self.text)) and not re.search(r"\bor\b", self.text)

    @property
    def explains(self) -> bool:
        """Whether the question asks how, why, or to explain: then an answer is a passage, not a sentence."""
        return bool(EXPLAINS.search(self.text))

    @property
    def open(self) -> bool:
        """Whether the answer is a passage, not a sentence: an explanation, several questions, or a list."""
        return self.explains or bool(SEVERAL.search(self.text))

    def coverage(self, text: str) -> float:
        """Share of the question's (rarity-weighted) words found in ``text``; a role counts its holders."""
        if not self.stems:
            return 0.0
        found = set(content_stems(text)) | self.abbreviated(text)
        total = sum(self.idf(s) for s in self.stems)
        hit = [s for s in self.stems if stem_in(s, found) or (self.speakers and ROLES.get(s, set()) & found)]
        return sum(self.idf(s) for s in hit) / total if total else 0.0


    def abbreviated(self, text: str) -> set[str]:
        """Question stems ``text`` holds in the other form: "DL" for "deep learning", or the reverse."""
        found = set()
        for letters in capitalised_initialisms(text):
            found |= self.runs.get(letters, set())
        if self.initialisms:
            found |= self.initialisms & word_runs(text).keys()
        return found


def profile_question(question: str, lexical: LexicalIndex, noise: frozenset[str] | set[str] = QUESTION_NOISE
                     ) -> QuestionProfile:
    """What the question asks for; ``noise``: its words that are not searched for (the "question_noise" rule)."""
    q_stems = [s for s in dict.fromkeys(content_stems(question)) if s not in noise]
    wanted = [(strict, offers) for asks, offers, strict, _ in ANSWER_TYPES if asks.search(question)]
    required = any(required for asks, _, _, required in ANSWER_TYPES if asks.search(question))
    premise = set(q_stems) if (WHY.match(question) or YES_NO.match(question)) else set()
    return QuestionProfile(question, q_stems, wanted, asked_speakers(question, lexical, noise), premise, lexical.idf,
                           required, runs=word_runs(question),
                           initialisms=capitalised_initialisms(question) & set(q_stems))


def question_names(question: str) -> set[str]:
    """Stems of the capitalised words of a question, except the word opening each of its sentences
    ("Explain X. What is Y? How does it ...?": X and Y, not "Explain", "What" or "How")."""
    # Whole words, so a camel-cased name ("GoogLeNet") is one name, not its first hump ("Goog").
    return {stem(w) for part in re.split(r"(?:(?<=[?!])|(?<=[a-z]{2}\.))\s+", question)  # not after "Dr."
            for w in re.findall(r"\b[A-Z][a-z][A-Za-z'’\-]*[A-Za-z]|\b[A-Z][a-z]", part)[1:]}


TYPO_LENGTH, TYPO_SIMILARITY = 6, 0.85  # a name this long this close to a known word is that word mistyped


def misspelt(name: str, known: set[str]) -> bool:
    """Whether ``name`` is a typo of a known stem ("Intercolleiate" for "Intercollegiate")."""
    return len(name) >= TYPO_LENGTH and any(
        len(k) >= TYPO_LENGTH and SequenceMatcher(None, name, k).ratio() >= TYPO_SIMILARITY for k in known)


def unknown_names(question: str, texts: list[str], lexical: LexicalIndex, noise: frozenset[str] | set[str]) -> list[str]:
    """The names in the question (as written) that neither ``texts`` nor the corpus knows (e.g. "Nobel")."""
    known = {s for t in texts for s in content_stems(t)}
    names = [n for n in question_names(question) if n not in known and n not in noise
             and not lexical.knows(n) and not misspelt(n, known)]
    written = [w for w in re.findall(r"[\w'’\-]+", question) if stem(w) in names]
    return list(dict.fromkeys(written)) or names


def asked_speakers(question: str, lexical: LexicalIndex, noise: frozenset[str] | set[str] = QUESTION_NOISE
                   ) -> set[str]:
    """Stems of the rare capitalised words of a "what did X say"-style question (X's name), or its roles."""
    if not ASKS_SPEECH.search(question):
        return set()
    # "How did officials respond to Sergeev's claim?": Sergeev is what they answer, not a speaker.
    answered = re.search(r"\b(respond|react|repl(y|ied)|answer)\w*\s+to\b", question, re.IGNORECASE)
    if answered:
        question = question[: answered.start()]
    names = question_names(question)
    speakers = {s for s in names if lexical.frequency(s) < NAME_FREQUENCY and s not in noise}
    for word in words(question):
        speakers |= ROLES.get(stem(word), set())
    return speakers


def clean_question(question: str, max_chars: int) -> tuple[str, bool]:
    """The question stripped and cut to ``max_chars`` (and whether it was cut); raises QuestionError if
    it is empty."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    question = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question)  # control characters are not words
    question = re.sub(r"[\ud800-\udfff]", "\ufffd", question)  # a lone surrogate is no character at all
    question = re.sub(r"\s+", " ", question).strip()
    if not question:
        raise QuestionError("the question is empty: ask something about the documents")
    if len(question) > max_chars:
        return question[:max_chars].rsplit(" ", 1)[0], True
    return question, False


def question_kind(q: QuestionProfile, topic: str | None) -> str:
    """What the answer path takes the question for, as ``Answer.kind`` reports it (a corpus-level question
    is "catalog", routed before it is profiled)."""
    if topic is not None:
        return "comparison"
    if q.yes_no:
        return "yes/no"
    return "open" if q.open else "factoid"
