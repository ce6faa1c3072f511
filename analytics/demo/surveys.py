"""The surveys table: post-contact and relationship answers, drawn from recorded equations for everyone
invited, of whom some answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from analytics.data import schema
from analytics.demo.columns import Keys, ids
from analytics.demo.interactions import Contacts
from analytics.demo.invitations import RELATIONSHIP, Waves, within_lifetime
from analytics.demo.reasons import REASONS
from analytics.demo.world import World

TRANSACTIONAL_RESPONSE = {"live": 0.14, "automated": 0.05}

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


#: The attribute ratings share one 1-5 scale and this noise.
RATING_NOISE_SD = 0.6
#: LTR's intercept, after a contact and at a relationship wave alike.
LTR_INTERCEPT = 7.3


def _rating(coefficients: dict[str, float], intercept: float = 3.0) -> Score:
    return Score(intercept, coefficients, RATING_NOISE_SD, 1, 5)


#: How each observed score is generated. CSAT follows the contact's experience, effort its tactile
#: quality, and each attribute rating the quality it measures. Post-contact LTR follows the attitude
#: the contact left, plus a little of the experience itself (0.02: small, so that a routine contact
#: barely shows in the rating and the moments of truth stand out by their swing); relationship LTR
#: follows attitude at the wave, with more noise.
EQUATIONS = {
    "speed": _rating({"wait_signal": 1.0}),
    "resolution": _rating({"resolved": 1.6}, intercept=3.0 - 1.6 * 0.6),
    "clarity": _rating({"tactile": 1.0}),
    "empathy": _rating({"emotive": 1.0}),
    "courtesy": _rating({"emotive": 0.8}, intercept=3.2),
    "valued": _rating({"emotive": 1.0}),
    "csat": Score(3.5, {"experience": 1.1}, 0.5, 1, 5),
    "effort": Score(3.5, {"tactile": -1.2}, 0.8, 1, 7),
    "ltr": Score(LTR_INTERCEPT, {"attitude_after": 1.5, "experience": 0.02}, 1.0, 0, 10),
    "ltr_relationship": Score(LTR_INTERCEPT, {"attitude": 1.7}, 1.2, 0, 10),
}
RATINGS = ("speed", "resolution", "clarity", "empathy", "courtesy", "valued")


@dataclass(frozen=True)
class Answers:
    """The LTR of everyone invited and the answers of those who replied. ``ltr``: every contact's LTR,
    answered or not; ``answered``: positions of the contacts that were answered, whose ``csat``,
    ``effort`` and attribute ``ratings`` follow in that order; ``wave_ltr``: every relationship
    invitee's LTR; ``wave_answered``: positions of the relationship invitations answered."""

    ltr: np.ndarray
    answered: np.ndarray
    csat: np.ndarray
    effort: np.ndarray
    ratings: dict[str, np.ndarray]
    wave_ltr: np.ndarray
    wave_answered: np.ndarray


def draw_answers(rng: np.random.Generator, contacts: Contacts, waves: Waves) -> Answers:
    """Every contact is followed by an invitation and some are answered (``TRANSACTIONAL_RESPONSE``);
    every relationship invitee answers with ``RELATIONSHIP.response``. The LTR of everyone invited is
    drawn, so the answers are a subset of a known population with identical values."""
    n = contacts.size
    signals = {
        "tactile": contacts.tactile,
        "emotive": contacts.emotive,
        "experience": contacts.experience,
        "attitude_after": contacts.attitude_after,
        "resolved": contacts.resolved.astype(float),
        "wait_signal": 1.0 - np.log1p(contacts.wait / 60.0),
    }
    ltr = EQUATIONS["ltr"].draw(rng, signals, n)
    rate = np.where(contacts.live, TRANSACTIONAL_RESPONSE["live"], TRANSACTIONAL_RESPONSE["automated"])
    answered = np.flatnonzero(rng.uniform(0, 1, n) < rate)
    k = answered.size
    scored = {name: v[answered] for name, v in signals.items()}
    csat = EQUATIONS["csat"].draw(rng, scored, k)
    effort = EQUATIONS["effort"].draw(rng, scored, k)
    ratings = {name: EQUATIONS[name].draw(rng, scored, k) for name in RATINGS}
    invited = waves.owner.size
    wave_ltr = EQUATIONS["ltr_relationship"].draw(rng, {"attitude": waves.attitude}, invited)
    wave_answered = np.flatnonzero(rng.uniform(0, 1, invited) < RELATIONSHIP.response)
    return Answers(ltr, answered, csat, effort, ratings, wave_ltr, wave_answered)


def _answer_times(rng: np.random.Generator, answers: Answers, world: World, sent_at: np.ndarray) -> np.ndarray:
    """When each answer came: a ``RESPONSE_DELAY`` after its invitation (``sent_at`` for contacts),
    within its customer's lifetime; post-contact answers first, then relationship ones."""
    contacts, waves = world.contacts, world.waves
    end_of_life = world.customers.end_of_life(world.months)
    k, r_n = answers.answered.size, answers.wave_answered.size
    sent = sent_at[answers.answered]
    owner = contacts.owner[answers.answered]
    post_contact = within_lifetime(sent + rng.gamma(*RESPONSE_DELAY, k), sent, end_of_life[owner])
    wave_owner = waves.owner[answers.wave_answered]
    wave_sent = waves.at[answers.wave_answered]
    relationship = within_lifetime(wave_sent + rng.gamma(*RESPONSE_DELAY, r_n), wave_sent, end_of_life[wave_owner])
    return np.concatenate([post_contact, relationship])


def _draw_verbatims(rng: np.random.Generator, reason: np.ndarray, csat: np.ndarray) -> np.ndarray:
    """A comment for four in ten post-contact answers (None for the rest): one of ``VERBATIMS`` for the
    answer's ``reason`` and the sentiment its ``csat`` shows."""
    sentiment = np.where(csat >= 4, 0, np.where(csat <= 2, 2, 1))
    table = np.array(
        [
            [tpl.format(r=r.replace("_", " ")) for s in ("positive", "neutral", "negative") for tpl in VERBATIMS[s]]
            for r in REASONS
        ]
    )
    pick = sentiment * 3 + rng.integers(0, 3, csat.size)
    verbatim = table[reason, pick]
    has_text = rng.uniform(0, 1, csat.size) < 0.4
    return np.asarray(np.where(has_text, verbatim, None))


def _plant_bad_ltr(rng: np.random.Generator, ltr: np.ndarray) -> np.ndarray:
    """``ltr`` with ``BAD_SURVEY_SHARE`` of it set to 11 (quarantined on ingest) once there are 200."""
    n = ltr.size
    if n >= 200:  # one bad row in 200 stays under the default 1% rejection limit
        ltr[rng.choice(n, size=max(1, int(n * BAD_SURVEY_SHARE)), replace=False)] = 11
    return ltr


def _with_missing(values: np.ndarray, missing: np.ndarray, kind: pa.DataType | None = None) -> pa.Array:
    return pa.array(np.concatenate([values, missing]), kind, from_pandas=True)


def surveys_table(
    rng: np.random.Generator, answers: Answers, world: World, sent_at: np.ndarray, keys: Keys
) -> pa.Table:
    """The surveys table of ``world``: the post-contact answers, then the relationship ones (which have
    no CSAT, effort, ratings or comment). ``sent_at`` dates each contact's invitation."""
    contacts, waves = world.contacts, world.waves
    answered_at = _answer_times(rng, answers, world, sent_at)
    verbatim = _draw_verbatims(rng, contacts.reason[answers.answered], answers.csat)
    r_n = answers.wave_answered.size
    ltr = np.concatenate([answers.ltr[answers.answered], answers.wave_ltr[answers.wave_answered]]).astype(np.int64)
    ltr = _plant_bad_ltr(rng, ltr)
    missing = np.full(r_n, np.nan)
    owner = np.concatenate([contacts.owner[answers.answered], waves.owner[answers.wave_answered]])
    return pa.table(
        {
            "survey_id": ids("S", ltr.size),
            "customer_id": keys.customers(owner),
            "interaction_id": pa.concat_arrays([keys.interactions(answers.answered), pa.nulls(r_n, pa.string())]),
            "responded_at": keys.timestamps(answered_at),
            "ltr": ltr,
            "csat": _with_missing(answers.csat, missing, pa.float64()).cast(pa.int64()),
            "effort": _with_missing(answers.effort, missing, pa.float64()).cast(pa.int64()),
            **{f"{schema.RATING_PREFIX}{name}": _with_missing(v, missing) for name, v in answers.ratings.items()},
            "verbatim": pa.array(np.concatenate([verbatim, np.full(r_n, None)]).tolist(), pa.string()),
        }
    )
