"""The surveys table: post-contact and relationship answers, drawn from recorded equations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CSAT_INTERCEPT = 3.5
CSAT_SLOPE = 1.1
LTR_INTERCEPT = 7.3

#: Noise standard deviations of the observed scores (see ``EQUATIONS``).
RATING_NOISE_SD = 0.6
CSAT_NOISE_SD = 0.5
EFFORT_NOISE_SD = 0.8
LTR_NOISE_SD = 1.0
RELATIONSHIP_LTR_NOISE_SD = 1.2

#: Post-contact LTR's own response to the contact's experience, beyond the attitude it moved: small,
#: so that a routine contact barely shows in the rating and moments of truth stand out by swing.
LTR_EXPERIENCE = 0.02

TRANSACTIONAL_RESPONSE = {"live": 0.14, "automated": 0.05}

RELATIONSHIP_RESPONSE = 0.20

#: Delay from invitation to answer, in months: gamma(shape, scale), about a day on average.
RESPONSE_DELAY = (1.5, 0.02)

BAD_SURVEY_SHARE = 0.002  # LTR 11: quarantined on ingest

VERBATIMS = {
    "positive": ("{r} was sorted quickly, thank you", "Really helpful with my {r}", "Great service on {r}"),
    "neutral": ("{r} handled, nothing special", "It took a while but my {r} is done", "OK experience with {r}"),
    "negative": ("Still waiting on my {r}", "Nobody seemed to care about my {r}", "Passed around about {r}, fed up"),
}


@dataclass(frozen=True)
class Score:
    """An observed score: ``round(intercept + sum(coefficient * signal) + N(0, noise_sd))``, clipped to
    ``[low, high]``.

    The signals are a contact's latent quantities: ``tactile``, ``emotive``, ``experience``,
    ``attitude_after`` (attitude once the contact's swing is in), ``resolved`` (1 if resolved on first
    contact), ``wait_signal`` (``1 - ln(1 + wait_seconds / 60)``); for a relationship answer,
    ``attitude`` at the wave.
    """

    intercept: float
    coefficients: dict[str, float]
    noise_sd: float
    low: int
    high: int

    def draw(self, rng: np.random.Generator, signals: dict[str, np.ndarray], n: int) -> np.ndarray:
        value = np.full(n, self.intercept) + rng.normal(0, self.noise_sd, n)
        for name, coefficient in self.coefficients.items():
            value += coefficient * signals[name]
        return np.clip(np.round(value), self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        terms = " + ".join(f"{c} * {name}" for name, c in self.coefficients.items())
        form = f"round({self.intercept} + {terms} + N(0, {self.noise_sd})), clipped to {self.low}-{self.high}"
        return {"form": form, **vars(self)}


def _rating(coefficients: dict[str, float], intercept: float = 3.0) -> Score:
    return Score(intercept, coefficients, RATING_NOISE_SD, 1, 5)


#: How each observed score is generated. The attribute ratings share one 1-5 scale and noise.
EQUATIONS = {
    "speed": _rating({"wait_signal": 1.0}),
    "resolution": _rating({"resolved": 1.6}, intercept=3.0 - 1.6 * 0.6),
    "clarity": _rating({"tactile": 1.0}),
    "empathy": _rating({"emotive": 1.0}),
    "courtesy": _rating({"emotive": 0.8}, intercept=3.2),
    "valued": _rating({"emotive": 1.0}),
    "csat": Score(CSAT_INTERCEPT, {"experience": CSAT_SLOPE}, CSAT_NOISE_SD, 1, 5),
    "effort": Score(3.5, {"tactile": -1.2}, EFFORT_NOISE_SD, 1, 7),
    "ltr": Score(LTR_INTERCEPT, {"attitude_after": 1.5, "experience": LTR_EXPERIENCE}, LTR_NOISE_SD, 0, 10),
    "ltr_relationship": Score(LTR_INTERCEPT, {"attitude": 1.7}, RELATIONSHIP_LTR_NOISE_SD, 0, 10),
}
RATINGS = ("speed", "resolution", "clarity", "empathy", "courtesy", "valued")
