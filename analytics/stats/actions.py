"""What to do about a moment or a driver, and how sure the evidence must be before saying so.

One vocabulary serves the moment map (``moments``), the driver quadrant (``drivers``) and the
priority list (``priorities``):

- **Fix**: it matters, and it is delivered below target.
- **Delight**: it matters, it is delivered well, and exceeding expectations pays there.
- **Maintain**: it matters and is delivered well: keep it so.
- **Right-size**: the evidence says its effect is small, so serve it more cheaply.
- **Unclear**: the estimate's interval still reaches a material size, or it is material but not
  distinguishable from nothing: collect more answers before acting.
- **All met**: every contact met expectations, so there is nothing to compare.
- **Too few responses**: too few answers on a side to estimate anything.

The rule that matters most is the one for Right-size. Advice to cut service must rest on evidence
that the effect is small: the *upper* end of its interval lies below a materiality threshold. A
test that fails to find an effect is not that evidence; a wide interval can hide a large effect.
So an effect counts as

- ``material`` when its interval excludes 0 (it is significant) and its estimate reaches the
  threshold;
- ``small`` when the upper end of its interval lies below the threshold;
- ``unclear`` otherwise.
"""

from __future__ import annotations

import math
from typing import Literal

FIX, DELIGHT, MAINTAIN, RIGHT_SIZE = "Fix", "Delight", "Maintain", "Right-size"
UNCLEAR, ALL_MET, TOO_FEW = "Unclear", "All met", "Too few responses"
#: Every action, in the order a list of them is read: what to act on first, what to leave last.
ACTIONS = (FIX, DELIGHT, MAINTAIN, UNCLEAR, RIGHT_SIZE, ALL_MET, TOO_FEW)
#: Actions that rest on an effect shown to be material.
MATERIAL_ACTIONS = (FIX, DELIGHT, MAINTAIN)
#: What each action asks of the team, in a few words (the pages' legends and the brief's methods).
MEANING = {
    FIX: "it matters and is delivered below target: fix it",
    DELIGHT: "it matters, is delivered well, and its customers are worth more: exceed expectations",
    MAINTAIN: "it matters and is delivered well: keep it so",
    UNCLEAR: "the interval still reaches a material size: collect more answers before acting",
    RIGHT_SIZE: "its effect is shown to be small: serve it more cheaply",
    ALL_MET: "every contact met expectations: nothing to compare",
    TOO_FEW: "too few answers to estimate",
}

Evidence = Literal["material", "small", "unclear"]


def evidence(estimate: float, low: float, high: float, threshold: float) -> Evidence:
    """How strong the evidence is about an effect's size, from its estimate and interval.

    ``material``: the interval lies above 0 and the estimate reaches ``threshold``. ``small``: the
    interval's upper end lies below ``threshold``. ``unclear``: anything else, including a missing
    interval.
    """
    if not (math.isfinite(estimate) and math.isfinite(low) and math.isfinite(high)):
        return "unclear"
    if high < threshold:
        return "small"
    if low > 0 and estimate >= threshold:
        return "material"
    return "unclear"


def answers_to_settle(n: float, estimate: float, low: float, high: float, threshold: float) -> float:
    """About how many more answers would settle an ``unclear`` effect, if its estimate held still.

    An interval's half-width shrinks with the square root of the answers behind it. Settling means
    the half-width falls below the distance that decides the question: from the estimate down to
    the threshold's complement (``threshold - estimate``, so the upper end drops below the
    threshold) when the estimate is below it, or from the estimate down to 0 (so the interval
    clears zero) when it is above. The answer is ``n * (half / needed)^2 - n``, rounded up; NaN when
    the interval is missing and infinite when the estimate sits on the line (no number of answers
    moves an estimate of exactly ``threshold`` or 0 off it).
    """
    if not all(math.isfinite(v) for v in (n, estimate, low, high)) or n <= 0:
        return math.nan
    half = (high - low) / 2
    needed = threshold - estimate if estimate < threshold else estimate
    if needed <= 0:
        return math.inf
    if half < needed:
        return 0.0
    # An interval ending exactly on the line is not yet below it: at least one more answer.
    return float(max(1, math.ceil(n * (half / needed) ** 2 - n)))
