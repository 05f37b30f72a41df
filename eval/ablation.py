"""What each hand rule of the answer stage is worth (``python -m eval --ablate``): every set run again with one
rule off (``RAG_RULES_OFF``, the rules of ``rag.answer.rules``), its figures against the run with every rule.

A rule's gain on a set is the questions it wins there (answerable answered with the key facts, plus
unanswerable abstained) minus those it loses. Pooled counts every set; held out counts only the sets the rule
was not made for (``Rule.set_on``): a rule fitted to a few questions shows its gain in-sample and nothing
held out, and is a candidate for removal.
"""

from __future__ import annotations

from rag.answer.rules import RULES


def wins(results: list) -> int:
    """The questions answered right: answerable ones with every key fact, unanswerable ones abstained."""
    return sum(r.correct for r in results)


def gains(runs: dict[str, list], ablated: dict[str, dict[str, list]]) -> dict[str, dict]:
    """Per rule: its gain per set (questions won with it minus without it), pooled, and held out."""
    out = {}
    for rule, per_set in ablated.items():
        by_set = {name: wins(runs[name]) - wins(results) for name, results in per_set.items()}
        changed = {name: sum(a.answer != b.answer for a, b in zip(runs[name], results))
                   for name, results in per_set.items()}
        set_on = RULES[rule].set_on
        out[rule] = {"per_set": by_set, "answers_changed": changed, "pooled": sum(by_set.values()),
                     "held_out": sum(g for name, g in by_set.items() if name not in set_on),
                     "set_on": list(set_on), "does": RULES[rule].does}
    return out


def ablation_table(result: dict[str, dict]) -> str:
    """One line per rule: its gain in questions per set (the sets it was made for marked *), pooled and held out."""
    if not result:
        return ""
    sets = list(next(iter(result.values()))["per_set"])
    short = {name: name.split("_")[0][:9] for name in sets}
    width = max(len(r) for r in result)
    lines = ["what each rule gains, in questions won with it minus without it (* : a set it was made for)",
             f"{'rule':<{width}}  " + " ".join(f"{short[n]:>10}" for n in sets) + f"  {'pooled':>7} {'held out':>9}"
             + "  answers changed"]
    for rule, r in result.items():
        cells = " ".join(f"{r['per_set'][n]:>+9d}{'*' if n in r['set_on'] else ' '}" for n in sets)
        lines.append(f"{rule:<{width}}  {cells}  {r['pooled']:>+7d} {r['held_out']:>+9d}  "
                     f"{sum(r['answers_changed'].values())}")
    lines.append("held out 0 or less: the rule pays nowhere it was not made for")
    return "\n".join(lines)
