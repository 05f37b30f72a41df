"""The direct lead: a yes/no question opens with "Yes" or "No", decided by the judge and cited.

The judge reads the best evidence unit and says which way it answers the question (P(yes) from the
logits, ``prompts/judge_yes_no.txt``), and the unit's own words must agree: "No" needs the unit to
negate a word the question takes for granted ("did not deny", "declined to ... impose sanctions"),
"Yes" needs it not to. Only then is there a lead, and its words after "Yes —" / "No —" are the unit
itself, verbatim: the particle is the only thing the model adds, so the lead passes the citation
guard by construction. The unit is then not repeated below the lead.
"""

from __future__ import annotations

from ..index.store import Chunk
from ..text import display_text, reflow
from .compose import support_of
from .guard import CheckedSentence
from .question import QuestionProfile
from .units import Evidence

YES_AT = 0.8  # P(yes) at least this (and no negated premise) says "Yes"
NO_AT = 0.4  # P(yes) at most this (and a negated premise) says "No": the model leans towards "yes" on
# quotes that mention the question's words, so a lean to "no" plus the negation is the evidence


def yes_no_lead(judge, q: QuestionProfile, evidence: list[Evidence], passages: list[Chunk],
                removed: list) -> CheckedSentence | None:
    """"Yes — <quote>" or "No — <quote>" from the best unit, or None when the judge is not sure."""
    if not q.yes_no or not evidence:
        return None
    best = evidence[0]
    p_yes = judge.yes_no(q.text, reflow(best.text))
    negates = best.corrects  # the unit negates a word of the question's premise
    if p_yes >= YES_AT and not negates:
        particle = "Yes"
    elif p_yes <= NO_AT and negates:
        particle = "No"
    else:
        removed.append((f"(lead) {reflow(best.text)}", f"no lead: judge P(yes)={p_yes:.2f}, "
                        f"{'negates' if negates else 'does not negate'} the question's premise"))
        return None
    return CheckedSentence(f"{particle} — {display_text(best.text)}", [support_of(best, passages)])
