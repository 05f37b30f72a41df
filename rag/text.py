"""Text utilities shared by every stage: sentence and paragraph spans (hard-wrapped text too),
headings, normalisation, content words and stems. Tokenizer data: rag.tokens; lists and web
addresses: rag.answer.lists."""

from __future__ import annotations

import functools
import os
import re
import unicodedata

from .tokens import use_bundled_tokenizer_data

# Scholarly abbreviations punkt's news-trained model lacks ("(see Fig. 3)", "et al."); words that also end
# sentences ("no.", "etc.") are left out.
SCHOLARLY_ABBREVIATIONS = "fig figs eq eqs eqn sec secs ch vol vols pp al approx cf resp ref refs e.g i.e viz tab".split()


@functools.lru_cache(maxsize=1)
def _punkt():
    use_bundled_tokenizer_data()
    from nltk.tokenize import PunktTokenizer

    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(SCHOLARLY_ABBREVIATIONS)  # no public setter; the attribute is stable
    return tokenizer


# Run-in sentences without a space after the full stop ("on Wednesday.The national-level ...").
_GLUED_SENTENCE = re.compile(r"(?<=[a-z0-9\"”'’)])[.!?](?=[\"“][A-Z]|[A-Z][a-z])")
# Hard-wrapped text (every PDF read by pypdf, many .txt exports): lines end near one width. A line
# at least this share of the width long was wrapped, so its newline is a space; a shorter line ends
# a paragraph, a heading or a list item.
WRAPPED_LINE_SHARE = 0.6
_MAX_WRAP_WIDTH = 130  # wider "lines" are paragraphs written on one line (news, Wikipedia)
_LIST_ITEM = re.compile(r"^\s*([▪•·●◦*\-–—]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s|[A-Z]\.\s|(Fig|Figure|Table|TABLE)\b)")
# "applica-\ntion" is one word split by the line end; "state-of-the-\nart" keeps its hyphen.
_LINE_END_HYPHEN = re.compile(r"(\S*[a-z])-[ \t]*\n\s*(?=[a-z])")


# A formula laid out over lines ("M =" / "(N−F)" / "S + 1   (16)", as pypdf gives a fraction): a line
# ending in an operator goes on, and so does a line of symbols before another one (no word of prose).
_OPEN_FORMULA = re.compile(r"[=+−×÷/(]\s*$")
_MATH = re.compile(r"[=+−×÷/\U0001D400-\U0001D7FF]")


def _formula_goes_on(line: str, next_line: str) -> bool:
    if _OPEN_FORMULA.search(line):
        return True
    return all(_MATH.search(x) and not _PROSE_WORD.search(x) for x in (line, next_line))


_ENUMERATOR = re.compile(r"^([A-Z]|[IVXLC]{1,5}|\d{1,3}(\.\d{1,3})*)\.$")
_PROSE_WORD = re.compile(r"[^\W\d_]{2,}")


def wrap_width(lines: list[str]) -> int | None:
    """The width the text was hard-wrapped at, or None when its lines are whole paragraphs."""
    # Judged on lines of prose only: equation pieces, page numbers and table rows of a PDF would skew it.
    # Runs of spaces collapsed: a PDF pads an equation line out to its number, "(35)", at the margin.
    prose = [re.sub(r"\s{2,}", " ", line.strip()) for line in lines if len(_PROSE_WORD.findall(line)) >= 4]
    lengths = sorted(len(line) for line in prose)
    if len(lengths) < 3:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    long_lines = [line for line in prose if len(line) >= WRAPPED_LINE_SHARE * width]
    ended = sum(line.endswith((".", "!", "?", '"', "”")) for line in long_lines)
    # Wrapping sets a hard maximum, and most wrapped lines stop mid-sentence.
    # One overlong line is allowed: two lines a chunk join ran together, in a passage of a dozen lines.
    overlong = sum(n > 1.25 * width for n in lengths)
    if (width > _MAX_WRAP_WIDTH or overlong > max(1, 0.03 * len(lengths)) or len(long_lines) < 0.5 * len(lengths)
            or ended > 0.5 * len(long_lines)):
        return None
    return width


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the paragraphs of ``text[start:end]``: blank lines always separate them;
    a single line break does too, unless the text is hard-wrapped and the line was wrapped."""
    end = len(text) if end is None else end
    lines = [(m.start() + start, m.end() + start) for m in re.finditer(r"[^\n]*", text[start:end]) if m.group()]
    width = wrap_width([text[s:e] for s, e in lines])
    spans: list[tuple[int, int]] = []
    for (s, e), following in zip(lines, lines[1:] + [None]):
        line = text[s:e]
        if not line.strip():
            continue
        if not spans or spans[-1][1] != -1:
            spans.append((s, -1))  # a new paragraph, open (-1) until a line ends it
        next_line = text[following[0]:following[1]] if following else ""
        # The first line may begin mid-line (a chunk or passage starts at a sentence, not a line): it is
        # short, so its length says nothing; a next line going on in lower case does.
        soft = (width is not None and following is not None and following[0] == e + 1 and next_line.strip() != ""
                and (len(line.rstrip()) >= WRAPPED_LINE_SHARE * width or line.rstrip().endswith("-")
                     or ((s, e) == lines[0] and next_line[:1].islower()) or _formula_goes_on(line, next_line))
                and not _LIST_ITEM.match(next_line))
        if not soft:
            spans[-1] = (spans[-1][0], e)
    return [(s, e) for s, e in spans if e != -1]


def reflow(text: str) -> str:
    """A span of the document as one line of prose: line-end hyphenation undone, whitespace collapsed.

    Quotes stay the verbatim span; this is how the span reads in an answer sentence.
    """
    text = _LINE_END_HYPHEN.sub(lambda m: m.group(1) + ("-" if "-" in m.group(1) else ""), text)
    return re.sub(r"\s+", " ", text).strip()


_REFERENCE_MARKS = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")


def display_text(span: str) -> str:
    """A verbatim span as an answer sentence shows it: ``reflow``ed, and without the document's own
    numeric reference marks ("... last few years [285].") that would read as the answer's markers."""
    return _REFERENCE_MARKS.sub("", reflow(span))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, in ``text`` coordinates.

    Paragraph breaks always end a sentence (see ``paragraph_spans``: a hard-wrapped line does not);
    inside a paragraph NLTK's punkt model splits, and sentences glued together without a space
    (common in scraped news) are split as well.
    """
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        chunk = text[p_start:p_end]
        first = len(spans)
        for s, e in _spaced(chunk, _punkt().span_tokenize(chunk)):
            pieces, last = [], s
            for m in _GLUED_SENTENCE.finditer(chunk, s, e):
                pieces.append((last, m.end()))
                last = m.end()
            pieces.append((last, e))
            for ps, pe in pieces:
                seg = chunk[ps:pe]
                lead = len(seg) - len(seg.lstrip())
                trail = len(seg) - len(seg.rstrip())
                if pe - trail > ps + lead:
                    spans.append((p_start + ps + lead, p_start + pe - trail))
        # "B. Feature Learning", "II. Methods": an enumerator is not a sentence of its own.
        n = first
        while n < len(spans) - 1:
            if _ENUMERATOR.match(text[spans[n][0]:spans[n][1]]):
                spans[n:n + 2] = [(spans[n][0], spans[n + 1][1])]
            n += 1
    return spans


_CODE_SYMBOL = re.compile(r"[#$%&*+/<=>@\\^_|~][!?.]$")  # "#!" of "#![warn(unused)]": a token of code


def _spaced(text: str, spans) -> list[tuple[int, int]]:
    """Punkt's sentences, rejoined where it cut inside a token of code with no space after the cut
    ("add #![warn(unused)] to ..."). Other cuts without a space stay: a footnote mark
    ("...engine.[citation needed]") or a page reference (".:199 When ...") may open the next sentence."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and out[-1][1] == s and _CODE_SYMBOL.match(text, max(0, s - 2), s):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


HEADING_WORDS = 12  # a line this short with no closing punctuation, alone in its paragraph, is a heading


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a line of its own without sentence punctuation ("XIII. BENCHMARK
    DATABASES", "2) Sub-sampling Layer"): a label, not a statement."""
    span = text[start:end].rstrip()
    line_end = text.find("\n", end)
    alone = not text[text.rfind("\n", 0, start) + 1:start].strip()  # nothing before it on its line ...
    ends_line = not text[end:line_end if line_end >= 0 else len(text)].strip()  # ... nor after it
    return (alone and ends_line and "\n" not in span and len(words(span)) <= HEADING_WORDS
            and not span[:1].islower() and not re.search(r"[.!?:;\"”’'\]]$", span))  # "6) GoogLeNet (2014)" ends in ")"


_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})


def normalize(text: str) -> str:
    """``reflow``ed (line-end hyphens undone, whitespace collapsed), typographic quotes and dashes made
    plain, NFKC; case kept."""
    return reflow(unicodedata.normalize("NFKC", text).translate(_QUOTES))


def find_normalized(haystack: str, needle: str) -> int:
    """Index of ``needle`` in ``haystack`` after both are normalised, or -1."""
    return normalize(haystack).find(normalize(needle))


STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each
    few for from further had has have having he her here hers herself him himself his how i if in into
    is isn't it it's its itself just let me more most my myself no nor not of off on once only or other
    our ours ourselves out over own same she should so some such than that that's the their theirs them
    themselves then there these they this those through to too under until up very was wasn't we were
    what when where which while who whom why will with would you your yours yourself said says say
    according one two also told tell there's what's who's whose many much else anything something ever
    ones""".split()
)
# Negations carry meaning for support checks; they are kept apart from stopwords.
NEGATIONS = frozenset("not no never neither nor none nothing without didn't doesn't don't isn't wasn't weren't hasn't haven't cannot can't won't".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(normalize(text))]


# A question says "Japan", the text "Japanese": a place and its adjective share a stem when both lose
# these endings (Japan/Japanese -> japan, Korea/Korean -> kor, Canada/Canadian -> canad). Common words
# ending so (media, median) merge with nothing of their own meaning, since queries and documents
# are stemmed alike.
_PLACE_ADJECTIVE = (("ese", ""), ("ians", ""), ("ian", ""), ("eans", ""), ("ean", ""), ("ans", ""), ("an", ""), ("ia", ""),
                    ("a", ""))


# Irregular verb forms a suffix stripper cannot join to their base ("driven" -> "drive").
_IRREGULAR = {
    "drove": "drive", "driven": "drive", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "made": "make", "held": "hold", "began": "begin", "begun": "begin", "met": "meet", "sent": "send",
    "built": "build", "brought": "bring", "sought": "seek", "thought": "think", "spoke": "speak",
    "spoken": "speak", "wrote": "write", "written": "write", "chose": "choose", "chosen": "choose",
    "froze": "freeze", "frozen": "freeze", "grew": "grow", "grown": "grow", "went": "go", "gone": "go",
    "saw": "see", "seen": "see", "paid": "pay", "won": "win", "fought": "fight", "bought": "buy",
    "sold": "sell", "understood": "understand", "withheld": "withhold", "undertook": "undertake",
}


@functools.lru_cache(maxsize=1 << 16)  # ingest stems every word of every chunk: most are repeats
def stem(word: str) -> str:
    """A light suffix stripper: enough to match deny/denied/denies, freeze/freezing, talks/talk."""
    w = word.lower().strip("'").replace("'s", "")
    w = _IRREGULAR.get(w, w)
    if w.replace(",", "").replace(".", "").isdigit():
        return w.replace(",", "")
    if "-" in w:
        return "-".join(stem(p) for p in w.split("-") if p)
    for suffix, repl in _PLACE_ADJECTIVE:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: len(w) - len(suffix)] + repl
    for suffix, repl in (
        ("ational", "ate"), ("ization", "ize"), ("iveness", "ive"), ("fulness", "ful"),
        ("ousness", "ous"), ("ements", ""), ("ement", ""), ("ments", ""), ("ment", ""),
        ("ities", "ity"), ("ations", "at"), ("ation", "at"), ("ingly", ""), ("edly", ""), ("ing", ""), ("ied", "y"), ("ies", "y"),
        ("ed", ""), ("es", ""), ("s", ""), ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":  # stopp -> stop
        w = w[:-1]
    return w


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry content (no stopwords, no negations)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in NEGATIONS and len(w) > 1]


def stem_matches(a: str, b: str) -> bool:
    """Equal stems, or one inflection our light stemmer leaves apart (respond/response, explain/explanation)."""
    if a == b:
        return True
    if len(a) < 5 or len(b) < 5 or a[:5] != b[:5]:
        return False
    prefix = len(os.path.commonprefix([a, b]))
    return min(len(a), len(b)) - prefix <= 1 and max(len(a), len(b)) - prefix <= 3


def stem_in(s: str, stems: set[str]) -> bool:
    return s in stems or any(stem_matches(s, other) for other in stems)


def numbers(text: str) -> set[str]:
    """Numbers written in digits, without separators ("1,000" -> "1000")."""
    return {n.replace(",", "").rstrip(".") for n in re.findall(r"\d[\d,.]*", normalize(text))}


def has_negation(text: str) -> bool:
    return any(w in NEGATIONS for w in words(text))


# A sentence opening so leans on the one before it: a pronoun or a discourse connective.
REFERS_BACK = re.compile(r"^[\"“(]?(this|that|these|those|it|its|they|their|such|here|thus|hence|therefore|"
                         r"consequently|in other words|what (this|that) means|as a result|in (this|that|such) case|"
                         r"for (example|instance)|that is|i\.e\.|however|on the other hand|in contrast|by contrast|"
                         r"moreover|furthermore|in addition|additionally|similarly|likewise|instead|otherwise)\b", re.I)
