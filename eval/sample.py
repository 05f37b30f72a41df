"""A fixed sample of a set's questions (``python -m eval --sample``): what CI gates on, so that its time stays
inside its budget as the pool grows (measured 2026-12-07 on a 2-core AMD EPYC VM, judge ~9 s a question: the whole
pool's gate 51 min, a sample of 16 a set 24.5 min). ``python -m eval`` without it answers every question.

The sample is the same on every run (no randomness: floors are measured on it) and stands for the set: each
kind of question (``GoldItem.type``: single fact, unanswerable, follow-up, yes/no, ...) gets its share of the
``N``, at least one while ``N`` allows, and its questions are taken evenly spread over the set's file order.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Sequence, TypeVar

T = TypeVar("T")


def spread_sample(items: Sequence[T], size: int) -> list[T]:
    """At most ``size`` of ``items`` in their own order: every kind in proportion to its count (largest
    remainders; at least one of each kind while ``size`` allows), evenly spaced within the kind."""
    if size >= len(items):
        return list(items)
    groups: dict[str, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        groups[item.type].append(n)
    shares = allocate({k: len(v) for k, v in groups.items()}, size)
    chosen = sorted(positions[(2 * i + 1) * len(positions) // (2 * take)]
                    for k, positions in groups.items() for take in [shares[k]] if take for i in range(take))
    return [items[n] for n in chosen]


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """``size`` split over the kinds in proportion to their counts: one each first (the rarest kinds first
    when there are more kinds than ``size``), the rest by largest remainder (ties to the kind listed first)."""
    shares = {k: 0 for k in counts}
    for k in sorted(counts, key=lambda k: counts[k])[:size]:
        shares[k] = 1
    left = size - sum(shares.values())
    total = sum(counts.values())
    want = {k: counts[k] * size / total for k in counts}
    while left > 0:
        k = max((k for k in counts if shares[k] < counts[k]), key=lambda k: want[k] - shares[k])
        shares[k] += 1
        left -= 1
    return shares


def sample_size(thresholds: Path) -> int:
    """The sample's size per set, as the thresholds file names it (``[sampling] size``): its floors were
    measured on that sample, so the two are kept in one place."""
    size = tomllib.loads(thresholds.read_text(encoding="utf-8")).get("sampling", {}).get("size")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"{thresholds.name} names no [sampling] size (a whole number of questions per set)")
    return size
