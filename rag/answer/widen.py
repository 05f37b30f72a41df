"""Widen: a retrieved chunk completed at its edges from the chunks around it.

A chunk boundary falls where the splitter's token budget runs out, not where the text pauses: a
chunk may open inside a sentence ("of Xavier has been ...") and end inside one, or in the middle of a
list ("▪ CIFAR 10/100 ... ▪ CalTech 101/256 : http://www.vision.caltech"). When the neighbouring chunk
was not retrieved too, what the question asks for is cut off. As LlamaIndex's prev/next node
postprocessor does, each retrieved chunk is widened from its neighbours in the same story:

* its start moves back to the start of the sentence it opens inside, and one sentence further when
  that one leans on the sentence before it ("Therefore, it ..."); a chunk opening inside a list
  moves back to the list's heading or "...:" sentence;
* its end moves on to the end of its last paragraph, and a list the chunk introduces ("... as
  follows:") runs on as far as the evidence stage keeps lists (into the chunks after the next one
  too, read in a second call only then); never past a sentence end within the budget, so no new cut
  is made.

A widened passage is still one verbatim span of its document (the chunks record their exact spans),
so quotes from it stay verbatim.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from ..index.screening import screen_over
from ..index.store import Chunk
from ..text import REFERS_BACK, is_heading, paragraph_spans, sentence_spans
from .lists import BULLET, is_address, reading_end, reading_length
from .units import LIST_BUDGET

WIDEN_BACK_CHARS = 400  # furthest a passage's start moves back (one long sentence)
WIDEN_ON_CHARS = LIST_BUDGET  # furthest its end moves on: as far as a list kept with its sentence
LIST_CHUNKS = 4  # chunks past the next one a list may run into (web addresses are many tokens, few words)


def neighbour_ids(chunk: Chunk) -> tuple[str, str]:
    """The ids of the chunks before and after ``chunk`` in its story ("doc:story:n")."""
    before, after = _ids_at(chunk, (-1, 1))
    return before, after


def _ids_at(chunk: Chunk, offsets) -> list[str]:
    prefix, n = chunk.id.rsplit(":", 1)
    return [f"{prefix}:{int(n) + k}" for k in offsets]


def _same_story(chunk: Chunk, others) -> list[Chunk]:
    return [c for c in others if c is not None and c.story == chunk.story and c.doc_id == chunk.doc_id]


def widen(chunks: list[Chunk], fetch: Callable[[list[str]], list[Chunk]]) -> tuple[list[Chunk], list[Chunk]]:
    """Each chunk widened from its neighbours, and the neighbours. One ``fetch`` call reads the chunks
    before and after; a second one, only when a list runs past the next chunk, the chunks after that."""
    retrieved = {c.id: c for c in chunks}
    wanted = [i for c in chunks for i in neighbour_ids(c) if i not in retrieved]
    neighbours = fetch(list(dict.fromkeys(wanted))) if wanted else []
    known = {**retrieved, **{c.id: c for c in neighbours}}
    later = {c.id: _ids_at(c, range(2, 2 + LIST_CHUNKS)) for c in chunks
             if _list_runs_on(c, *(known.get(i) for i in neighbour_ids(c)))}
    wanted = [i for ids in later.values() for i in ids if i not in known]
    if wanted:
        more = fetch(list(dict.fromkeys(wanted)))
        neighbours += more
        known.update((c.id, c) for c in more)
    widened = [widen_one(chunk, *(known.get(i) for i in neighbour_ids(chunk)),
                         *(known[i] for i in later.get(chunk.id, []) if i in known))
               for chunk in chunks]
    return widened, neighbours


def widen_one(chunk: Chunk, before: Chunk | None, after: Chunk | None, *later: Chunk) -> Chunk:
    """``chunk`` with its cut first sentence and its unfinished last paragraph completed; a list it
    introduces may run on into the ``later`` chunks too."""
    same = _same_story(chunk, (before, chunk, after))
    near, _ = _joined(same, chunk)  # the paragraph is completed from the next chunk at most
    window, window_start = _joined(same + _same_story(chunk, later), chunk)
    start, end = chunk.start - window_start, chunk.end - window_start
    sentences = sentence_spans(window)
    new_start = next((s for s, e in sentences if s < start < e and start - s <= WIDEN_BACK_CHARS),
                     start)  # the sentence the chunk opens inside
    if REFERS_BACK.match(window[new_start:]):  # "Therefore, it ...": the sentence it leans on comes along
        paragraph = next((s for s, e in paragraph_spans(window) if s <= new_start < e), new_start)
        before = next((s for s, e in reversed(sentences) if e <= new_start), None)
        if before is not None and before >= paragraph and start - before <= WIDEN_BACK_CHARS and \
                not window[before].islower():  # never back onto a fragment cut by the previous chunk's start
            new_start = before
    opening = _list_opening(window, sentences, new_start)
    if opening is not None:  # a chunk opening inside a list ("▪ Google 1Billion word corpus ...") takes its head
        new_start = opening
    reach = min(next((e for s, e in paragraph_spans(window) if s < end < e), end), len(near))  # its last paragraph's end
    lists = _list_reaches(window, sentences, start, end)
    if lists:
        blank = re.search(r"\n[ \t]*\n", window[end:])
        reach = max(reach, min(max(lists), end + blank.start() if blank else len(window)))
    new_end = end
    if reach > end:
        # A sentence running to the end of the window may be cut there: only one the splitter saw end counts.
        story_ends = (len(later) < LIST_CHUNKS) if later else (after is None or after.story != chunk.story)
        last = len(window) if story_ends else len(window) - 1
        ends = [e for s, e in sentences if end < e <= min(reach, reading_end(window, end, WIDEN_ON_CHARS), last)]
        new_end = ends[-1] if ends else end
    if (new_start, new_end) == (start, end):
        return chunk
    start, end = window_start + new_start, window_start + new_end
    return dataclasses.replace(chunk, text=window[new_start:new_end], start=start, end=end,
                               screen=screen_over(same + _same_story(chunk, later), start, end))


def _list_reaches(window: str, sentences: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """Where each list introduced in the chunk (a sentence ending in ":") may run to."""
    return [reading_end(window, s, LIST_BUDGET) for s, e in sentences if start <= s < end and window[s:e].endswith(":")]


def _list_opening(window: str, sentences: list[tuple[int, int]], start: int) -> int | None:
    """Where the list that the text at ``start`` goes on (a bulleted item, or an item's wrapped web
    address) opens: its heading or its "...:" sentence, when only its items lie between, within
    ``WIDEN_BACK_CHARS`` of reading; else None."""
    def item(s: int, e: int) -> bool:
        return bool(BULLET.match(window[s:e])) or is_address(window[s:e])

    at = next((k for k, (s, e) in enumerate(sentences) if s >= start), None)
    if at is None or not item(*sentences[at]):
        return None
    following = start
    for s, e in reversed(sentences[:at]):
        if re.search(r"\n[ \t]*\n", window[e:following]) or reading_length(window[s:start]) > WIDEN_BACK_CHARS:
            return None
        if not item(s, e):
            return s if window[s:e].endswith(":") or is_heading(window, s, e) else None
        following = s
    return None


def _list_runs_on(chunk: Chunk, before: Chunk | None, after: Chunk | None) -> bool:
    """Whether a list ``chunk`` introduces reaches past the next chunk (which then is not the story's end)."""
    if not _same_story(chunk, [after]):
        return False
    window, window_start = _joined(_same_story(chunk, (before, chunk, after)), chunk)
    start, end = chunk.start - window_start, chunk.end - window_start
    sentences = sentence_spans(window)
    lists = _list_reaches(window, sentences, start, end)
    return bool(lists) and max(lists) >= len(window) and not re.search(r"\n[ \t]*\n", window[end:])


# The splitter strips the whitespace where it cuts, so two neighbours may not touch: a gap this short
# is that whitespace. One character is taken for a space (between sentences), more for line breaks (a
# blank line: the paragraph separator). A quote is compared with its document whitespace-insensitively.
MAX_GAP = 4


def _gap(n: int) -> str:
    return " " if n == 1 else "\n" * max(n, 0)


def _joined(chunks: list[Chunk], centre: Chunk) -> tuple[str, int]:
    """The document text the chunks cover together (they overlap, touch, or are parted by the
    splitter's whitespace), and where it starts; a neighbour further from the centre chunk is left out."""
    chunks = sorted(chunks, key=lambda c: c.start)
    at = chunks.index(centre)
    text, start, end = centre.text, centre.start, centre.end
    for c in reversed(chunks[:at]):
        if c.end + MAX_GAP < start:
            break
        gap = _gap(start - c.end)
        text, start = c.text[: max(start - c.start, 0)] + gap + text, min(start, c.start)
    for c in chunks[at + 1:]:
        if c.start > end + MAX_GAP:
            break
        gap = _gap(c.start - end)
        text, end = text + gap + c.text[max(end - c.start, 0):], max(end, c.end)
    return text, start
