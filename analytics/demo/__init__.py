"""Seeded synthetic demo data with planted, documented truth, ingested through the validated path.

The demo is a contact-centre business that a CX strategist can explore, and that carries known
effects which the analyses must rediscover. Everything planted is a constant in this module and is
written to ``truth.json`` next to the generated files.

How the world works
-------------------
- Every customer has a latent **attitude** (standard-normal scale, starting around +0.3). It drifts
  back towards that level by ``ATTITUDE_REVERSION`` each month.
- Each contact has a **tactile** quality (speed, resolution, transfers) and an **emotive** quality
  (empathy and courtesy of whoever handled it; being left unresolved or passed around also feels
  uncaring, ``EMOTIVE_FROM_OUTCOME``). Its **experience** is
  ``x = w_tactile[reason] * tactile + (1 - w_tactile[reason]) * emotive``: ``TACTILE_WEIGHT`` says
  what matters in that moment, and the emotive weight is the rest.
- The contact moves attitude by ``IMPORTANCE[reason] * x * SWING_SCALE``, on top of the swings of
  the customer's earlier contacts. A few reasons are true **moments of truth** with large swings
  (billing dispute, service outage, cancellation request, complaint). The highest-volume reasons
  barely move attitude (password reset, address change). ``REASON_SHARE`` sets the volume of each.
  A customer's attitude also tilts what they get in touch about (``REASON_ATTITUDE_TILT``): the
  happier ones are likelier to change plan or take an upgrade.
- **Delivery** differs by reason and channel, through the contact's own outcomes (``DELIVERY``,
  ``CHANNEL_RESOLUTION``, ``CHANNEL_WAIT_MINUTES``): how readily automation takes a reason on and how
  much of it automation finishes, how likely a person is to resolve it on first contact (a log-odds
  shift per reason and per channel, added to the handler's: a call does better than an email or a
  social post), how often it is transferred, how long its queue is and how long a person takes.
  Routine requests (password resets, order status, plan changes) are self-served or quickly
  resolved, so they meet expectations about nine times in ten under the default
  ``moments.MetRule``; disputes, cancellations and complaints go to specialists (transfers, long
  calls) and outages arrive in surges that no call can fix, so they are met four or five times in
  ten. ``truth.json``'s ``delivery.met_rate`` records how often each reason, channel and reason x
  channel met expectations, counted by the generator over every contact it drew (before any
  planted bad row is quarantined), next to the planted parameters.
- **Journey stages** therefore differ in satisfaction and cost (``PLANTED_STANCES``): buy (plan
  changes and upgrades: self-served or quick, sales calls jump the queue, and its customers are the
  happier ones) has higher post-contact NPS and a lower cost per contact than the rest, the iconic
  "both"; support (faults, outages, cancellations, complaints: long, transferred, rarely automated
  moments of truth) is "neither". ``truth.json``'s ``journey_stages`` names them, says why, and gives
  each stage's met rate, automation, containment, cost per contact and population NPS beside the
  rest.
- Every rating is a rounded, clipped linear function of the contact's latent quantities plus normal
  noise (``EQUATIONS``). Post-contact CSAT follows experience; tactile attribute ratings (speed,
  resolution, clarity) measure the tactile quality and emotive ones (empathy, courtesy, valued) the
  emotive quality, so a driver analysis of CSAT per reason recovers ``TACTILE_WEIGHT``. Post-contact
  LTR follows attitude after the contact, plus a little of the experience itself
  (``LTR_EXPERIENCE``, kept small so that a routine contact met or not barely shows in the rating),
  so how far LTR moves with experience is what marks a moment of truth.
- **Surveys**: every contact is followed by an invitation, answered with probability
  ``TRANSACTIONAL_RESPONSE`` (automated contacts answer less often). Every
  ``RELATIONSHIP_EVERY_MONTHS`` months each customer alive at that moment is invited to a
  relationship survey. Responses are a subset of the invitations, and every survey is dated within
  its customer's lifetime. The LTR of every invited contact is drawn, answered or not, so
  ``truth.json`` knows the NPS of the whole invited population, not only of those who replied.
- **Churn** is a proportional-hazards model with a constant monthly baseline per plan, a hazard
  ratio per segment and ``exp(ATTITUDE_LOG_HR * attitude)``:
  ``h = BASE_HAZARD[plan] * SEGMENT_HR[segment] * exp(ATTITUDE_LOG_HR * attitude)`` per month.
  Customers who signed up before the window enter it only if they survived to its start (left
  truncation).
- **Handlers** differ: partner_a is cheap and poor, partner_b is costly and good, and partner_c goes
  live halfway through with a three-month ramp-up in quality (``HANDLERS``). A handler's
  ``resolution`` is its first-contact resolution on a contact with no reason or channel shift.
- Every customer has a hidden behavioural **persona** (``PERSONAS``): digital self-servers (who
  lean to monthly plans), phone loyalists (annual) and contract mixers (two-year), each taking its
  own plan only 60% of the time (``PLAN_SHARE``) so that plan alone does not give it away, and each with
  its own channel mix and contact rate. Persona shares differ by segment. ``personas.parquet``
  beside the truth says who is who, for checking that segmentation finds them.
- **Revenue** is log-normal within segment (``SEGMENT_REVENUE``), so the top fifth of customers makes
  most of the revenue. ``truth.json`` also gives each segment's lifetime value at neutral attitude.
- ``contacts_truth.parquet`` beside the truth holds each contact's latent tactile and emotive
  quality, experience, attitude before and after, and the LTR it would have given.

Everything is vectorised numpy over customers and contacts, stepping month by month. The same seed
gives the same files byte for byte.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.data import schema
from analytics.data.ingest import IngestResult, ingest
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN
from analytics.stats.units import MONTH_SECONDS

#: The demo world ends here: a fixed date keeps builds reproducible and never in the future.
WINDOW_END = pd.Timestamp("2026-06-30 23:59:59", tz="UTC")
SOURCES = "_sources"
TRUTH_FILE = "truth.json"

SEGMENTS = ("consumer", "smb", "enterprise")
SEGMENT_SHARE = (0.75, 0.20, 0.05)
#: Median monthly revenue per segment; revenue is log-normal with sigma REVENUE_SIGMA.
SEGMENT_REVENUE = {"consumer": 30.0, "smb": 180.0, "enterprise": 1500.0}
REVENUE_SIGMA = 0.8
SEGMENT_HR = {"consumer": 1.0, "smb": 0.8, "enterprise": 0.6}
SEGMENT_CONTACT_RATE = {"consumer": 0.45, "smb": 0.65, "enterprise": 1.30}  # contacts per customer-month
REGIONS = ("north", "south", "east", "west")
REGION_SHARE = (0.30, 0.25, 0.25, 0.20)
PLANS = ("monthly", "annual", "two_year")
#: Behavioural personas. The data never names them (only ``personas.parquet`` beside the truth does),
#: but each one sets the plan a customer picks, the channels they use and how often they get in
#: touch, so segmentation on behaviour should find them again.
PERSONAS = ("digital_self_server", "phone_loyalist", "contract_mixer")
PERSONA_SHARE = {"consumer": (0.50, 0.35, 0.15), "smb": (0.35, 0.35, 0.30), "enterprise": (0.15, 0.30, 0.55)}
#: Plan by persona (monthly, annual, two_year): each persona leans to its own plan (0.6) and takes
#: either other one with 0.2, so plan hints at the persona without giving it away and a
#: segmentation has to read behaviour to find it.
PLAN_SHARE = {
    "digital_self_server": (0.6, 0.2, 0.2),
    "phone_loyalist": (0.2, 0.6, 0.2),
    "contract_mixer": (0.2, 0.2, 0.6),
}
PERSONA_CHANNEL_SHARE = {  # voice, chat, email, web, social, ivr
    "digital_self_server": (0.06, 0.30, 0.06, 0.48, 0.04, 0.06),
    "phone_loyalist": (0.72, 0.06, 0.12, 0.04, 0.02, 0.04),
    "contract_mixer": (0.25, 0.35, 0.30, 0.04, 0.04, 0.02),
}
#: Multiplies the segment's contact rate; averages about 1 over the consumer persona mix.
PERSONA_CONTACT_RATE = {"digital_self_server": 0.75, "phone_loyalist": 1.1, "contract_mixer": 1.65}
PERSONAS_FILE = "personas.parquet"
BASE_HAZARD = {"monthly": 0.030, "annual": 0.012, "two_year": 0.006}  # per month at attitude 0
ATTITUDE_LOG_HR = -0.5  # log hazard ratio per unit of attitude: unhappy customers leave faster
ATTITUDE_START = 0.3
ATTITUDE_REVERSION = 0.03
SWING_SCALE = 0.35
CSAT_INTERCEPT = 3.5
CSAT_SLOPE = 1.1
LTR_INTERCEPT = 7.3
#: Noise in a contact's latent qualities: ``tactile`` and ``emotive`` each get N(0, sd).
TACTILE_NOISE_SD = 0.3
EMOTIVE_NOISE_SD = 0.6
#: Noise standard deviations of the observed scores (see ``EQUATIONS``).
RATING_NOISE_SD = 0.6
CSAT_NOISE_SD = 0.5
EFFORT_NOISE_SD = 0.8
LTR_NOISE_SD = 1.0
RELATIONSHIP_LTR_NOISE_SD = 1.2
PRE_WINDOW_SHARE = 0.25  # of customers signed up before the window
PRE_WINDOW_MONTHS = 36
#: Tenure bands for the realised hazard ratios in ``truth.json`` (``realised_hazards``).
TENURE_BAND_MONTHS = 6
DISCOUNT_MONTHLY = 0.01

CHANNELS = schema.CHANNELS  # voice, chat, email, web, social, ivr
AUTOMATED_SHARE = {"web": 0.85, "ivr": 0.75, "chat": 0.25}  # the rest are handled by people
#: Mean wait for a person, by channel, before a reason's queue (``Delivery.wait``) and the ramp-up.
CHANNEL_WAIT_MINUTES = {"voice": 1.2, "chat": 0.8, "email": 90.0, "web": 0.5, "social": 25.0, "ivr": 0.5}
#: Shift in the log-odds that a person resolves a contact on first contact, by channel: a call lets
#: the agent ask and check as they go, while an email or a social post is answered from what it says.
CHANNEL_RESOLUTION = {"voice": 0.3, "chat": 0.0, "email": -0.5, "web": 0.0, "social": -0.6, "ivr": -0.1}

#: Share of contacts per reason, by volume rank. Pareto-shaped: the top fifth of reasons makes about
#: 80% of the volume, yet no reason passes 30%, and the long tail is thick enough that every moment
#: of truth gets several hundred post-contact responses at the default size.
REASON_SHARE = {
    "password_reset": 0.27, "billing_question": 0.26, "address_change": 0.24, "order_status": 0.035,
    "technical_fault": 0.025, "plan_change": 0.022, "billing_dispute": 0.019, "payment_failed": 0.018,
    "delivery_delay": 0.017, "service_outage": 0.016, "product_question": 0.016, "refund_request": 0.016,
    "cancellation_request": 0.016, "complaint": 0.016, "upgrade_offer": 0.014,
}  # fmt: skip
REASONS = tuple(REASON_SHARE)
REASON_STAGE = {
    "password_reset": "use", "billing_question": "pay", "address_change": "get", "order_status": "get",
    "technical_fault": "support", "plan_change": "buy", "billing_dispute": "pay", "payment_failed": "pay",
    "delivery_delay": "get", "service_outage": "support", "product_question": "learn", "refund_request": "pay",
    "cancellation_request": "support", "complaint": "support", "upgrade_offer": "buy",
}  # fmt: skip
#: How far a contact for this reason moves attitude, per unit of experience.
IMPORTANCE = {
    "password_reset": 0.05, "billing_question": 0.3, "address_change": 0.05, "order_status": 0.2,
    "technical_fault": 0.6, "plan_change": 0.3, "billing_dispute": 2.0, "payment_failed": 0.5,
    "delivery_delay": 0.6, "service_outage": 1.8, "product_question": 0.2, "refund_request": 0.7,
    "cancellation_request": 2.0, "complaint": 1.5, "upgrade_offer": 0.3,
}  # fmt: skip
#: Weight of the tactile quality in a contact's experience; the emotive weight is 1 minus this.
TACTILE_WEIGHT = {
    "password_reset": 0.9, "billing_question": 0.6, "address_change": 0.9, "order_status": 0.8,
    "technical_fault": 0.75, "plan_change": 0.6, "billing_dispute": 0.3, "payment_failed": 0.6,
    "delivery_delay": 0.7, "service_outage": 0.8, "product_question": 0.6, "refund_request": 0.5,
    "cancellation_request": 0.25, "complaint": 0.35, "upgrade_offer": 0.5,
}  # fmt: skip
#: How much of the emotive quality follows whether the contact was resolved and how often it was
#: transferred (``bounced`` in ``generate``).
EMOTIVE_FROM_OUTCOME = 0.5
#: Post-contact LTR's own response to the contact's experience, beyond the attitude it moved: small,
#: so that a routine contact barely shows in the rating and moments of truth stand out by swing.
LTR_EXPERIENCE = 0.02
MOMENTS_OF_TRUTH = tuple(r for r, v in IMPORTANCE.items() if v >= 1.0)
LOW_IMPACT = tuple(r for r, v in IMPORTANCE.items() if v <= 0.1)


@dataclass(frozen=True)
class Delivery:
    """How the contact centre delivers one contact reason, in the order a contact meets it.

    ``automation``: how readily automation takes the reason on. In a channel with automation
    (``AUTOMATED_SHARE``, share ``a``) a contact starts there with probability
    ``1 - (1 - a) ** automation``: 1 is the channel's share, 2 leaves people the square of its
    remainder, 0.3 sends most contacts straight to a person. ``containment``: share of its automated
    contacts that automation finishes without a person. ``resolution``: shift in the log-odds that a
    person resolves it on first contact (added to the handler's and the channel's). ``transfers``:
    mean transfers (Poisson) when a person handles it. ``wait``: multiplier on the channel's mean
    wait for a person (queue priority, outage surges). ``handle_minutes``: mean handle time of a
    person.
    """

    automation: float
    containment: float
    resolution: float
    transfers: float
    wait: float
    handle_minutes: float


#: Routine requests are taken on and finished by self-service, and quick for whoever answers the
#: rest. Sales (plan changes, upgrades) jump the queue and are quick to do. Disputes, cancellations
#: and complaints go to a person and need a specialist (transfers, long calls); outages arrive in
#: surges and cannot be fixed on the call.
DELIVERY = {
    "password_reset": Delivery(2.0, 0.92, 1.5, 0.03, 0.8, 4.5),
    "billing_question": Delivery(1.0, 0.50, -0.3, 0.10, 1.0, 5.5),
    "address_change": Delivery(1.5, 0.75, 0.1, 0.05, 0.9, 4.5),
    "order_status": Delivery(2.0, 0.90, 0.8, 0.05, 0.8, 3.5),
    "technical_fault": Delivery(0.8, 0.25, -0.7, 0.35, 1.3, 12.0),
    "plan_change": Delivery(1.5, 0.90, 0.9, 0.05, 0.5, 3.5),
    "billing_dispute": Delivery(0.4, 0.05, -0.4, 0.45, 1.2, 12.0),
    "payment_failed": Delivery(1.0, 0.45, -0.5, 0.15, 1.0, 6.0),
    "delivery_delay": Delivery(1.0, 0.35, -0.8, 0.20, 1.2, 6.0),
    "service_outage": Delivery(1.0, 0.20, -1.0, 0.35, 1.8, 8.0),
    "product_question": Delivery(1.2, 0.70, 0.3, 0.10, 0.8, 4.5),
    "refund_request": Delivery(0.7, 0.25, -0.8, 0.25, 1.0, 8.0),
    "cancellation_request": Delivery(0.3, 0.03, -0.3, 0.55, 1.0, 11.0),
    "complaint": Delivery(0.3, 0.03, -0.8, 0.45, 1.2, 13.0),
    "upgrade_offer": Delivery(1.0, 0.80, 0.9, 0.05, 0.5, 4.0),
}
#: Who gets in touch about what: the log of how much likelier a customer is to contact for the
#: reason per unit of attitude above ``ATTITUDE_START`` (others 0). A customer who likes the service
#: is the one who changes plan or takes an upgrade.
REASON_ATTITUDE_TILT = {"plan_change": 0.24, "upgrade_offer": 0.3}


@dataclass(frozen=True)
class Handler:
    """Who handles live contacts: cost per handled minute, first-contact resolution, empathy."""

    cost_per_minute: float
    resolution: float
    empathy: float
    share_before: float
    share_after: float  # share once partner_c is live
    live_from_month: float = 0.0  # as a fraction of the window
    ramp_months: float = 0.0


HANDLERS = {
    "in_house": Handler(1.00, 0.74, 0.30, 0.50, 0.35),
    "partner_a": Handler(0.55, 0.60, -0.45, 0.30, 0.25),  # cheap and poor
    "partner_b": Handler(1.35, 0.86, 0.60, 0.20, 0.20),  # costly and good
    "partner_c": Handler(0.80, 0.74, 0.20, 0.00, 0.20, live_from_month=0.5, ramp_months=3.0),
}
AUTOMATED_COST = 0.35
TRANSACTIONAL_RESPONSE = {"live": 0.14, "automated": 0.05}
RELATIONSHIP_EVERY_MONTHS = 6
RELATIONSHIP_RESPONSE = 0.20
#: A relationship wave's invitations go out this far (in months) into the wave's last month.
RELATIONSHIP_SENT_AT = 0.85
#: Delay from invitation to answer, in months: gamma(shape, scale), about a day on average.
RESPONSE_DELAY = (1.5, 0.02)
#: How a post-contact invitation reaches the customer, by the contact's channel; relationship
#: invitations go by email.
INVITATION_MEDIUM = {
    "voice": "sms",
    "chat": "in_app",
    "email": "email",
    "web": "in_app",
    "social": "email",
    "ivr": "sms",
}
RELATIONSHIP_MEDIUM = "email"
CONTACTS_TRUTH_FILE = "contacts_truth.parquet"
BAD_SURVEY_SHARE = 0.002  # LTR 11: quarantined on ingest
BAD_INTERACTION_SHARE = 0.0005  # channel "fax": quarantined on ingest

ATTRIBUTES = (
    ("speed", "Speed of response", "tactile"),
    ("resolution", "Problem resolved", "tactile"),
    ("clarity", "Clear information", "tactile"),
    ("empathy", "Understood my situation", "emotive"),
    ("courtesy", "Courteous and respectful", "emotive"),
    ("valued", "Made me feel valued", "emotive"),
)
ASSESSMENT = (
    ("omnichannel", "Customer context is carried across channels", "yes"),
    ("channel_mix", "We have the right mix of live and automated channels", "partly"),
    ("ai_for_satisfaction", "We use AI to some degree to increase customer satisfaction", "yes"),
    ("partner_standard", "We hold partners to a common CX standard", "partly"),
    ("partner_integration", "Our CX systems are integrated with partners", "no"),
    ("csr_brand", "Corporate social responsibility is among the most important parts of brand value", "no"),
    ("satisfaction_first", "Our CX strategy is driven by satisfaction rather than efficiency", "partly"),
    # What comes first at each of the survey's journey stages: satisfaction, efficiency or both equally.
    ("stance_discovery", "At discovery, our CX strategy puts first", "balanced"),
    ("stance_purchase", "At purchase, our CX strategy puts first", "efficiency"),
    ("stance_delivery", "At delivery, our CX strategy puts first", "satisfaction"),
    ("stance_customer_service", "At customer service, our CX strategy puts first", "satisfaction"),
)
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


def nps_points(ltr: np.ndarray) -> float:
    """Promoters (9-10) minus detractors (0-6), in points; NaN for no answers."""
    if ltr.size == 0:
        return float("nan")
    return float(100 * (np.mean(ltr >= PROMOTER_MIN) - np.mean(ltr <= DETRACTOR_MAX)))


def _earlier_swings(owner: np.ndarray, at: np.ndarray, swing: np.ndarray) -> np.ndarray:
    """For each contact, the sum of the swings of the same owner's earlier contacts (by time)."""
    order = np.lexsort((at, owner))
    s = swing[order]
    running = np.cumsum(s) - s  # swings strictly before, across all owners
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    group = np.cumsum(first) - 1
    out = np.empty_like(swing)
    out[order] = running - running[np.flatnonzero(first)][group]
    return out


def _ids(prefix: str, n: int, start: int = 1) -> pa.Array:
    numbers = pa.array(np.arange(start, start + n)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 8, "0"), "")


def _timestamps(start_us: int, months: np.ndarray) -> pa.Array:
    return pa.array(start_us + (months * MONTH_SECONDS * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))


def _pick(rng: np.random.Generator, labels: tuple[str, ...], p: Any, size: int) -> np.ndarray:
    return rng.choice(len(labels), size, p=np.asarray(p) / np.sum(p))


def _reasons(rng: np.random.Generator, share: np.ndarray, attitude: np.ndarray) -> np.ndarray:
    """Draw each contact's reason: ``REASON_SHARE`` tilted by ``exp(REASON_ATTITUDE_TILT[reason] *
    (attitude - ATTITUDE_START))`` for the customer's attitude at the start of the month."""
    tilt = np.array([REASON_ATTITUDE_TILT.get(r, 0.0) for r in REASONS])
    cum = np.cumsum(share * np.exp(np.outer(attitude - ATTITUDE_START, tilt)), axis=1)
    drawn = (cum <= rng.uniform(0, 1, attitude.size)[:, None] * cum[:, -1:]).sum(axis=1)
    return np.minimum(drawn, len(REASONS) - 1)


def _deliver(
    rng: np.random.Generator, reason: np.ndarray, channel: np.ndarray, handler: np.ndarray, ramp: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Draw how each contact was delivered: ``automated``, ``live`` (a person handled it), ``transfers``,
    ``resolved``, ``escalated``, ``wait`` and ``handle`` (seconds) and ``cost``.

    Contacts in an automated channel (``AUTOMATED_SHARE``) start in automation as readily as the
    reason's ``Delivery.automation`` says; automation finishes the reason's ``Delivery.containment``
    share and hands the rest to a person with one transfer. A person
    resolves with probability ``ramp * logistic(logit(handler resolution) + reason shift + channel
    shift) - 0.06 * transfers``, transfers ``Poisson(Delivery.transfers + 0.3 * (1 - ramp))`` times,
    keeps the customer waiting ``gamma(2, 30 * channel minutes * Delivery.wait) * (1.6 - 0.6 * ramp)``
    seconds and handles for ``gamma(3, 20 * Delivery.handle_minutes)`` seconds at the handler's cost
    per minute.
    """
    d = [DELIVERY[r] for r in REASONS]
    n = reason.size
    h = tuple(HANDLERS.values())
    left_to_people = 1 - np.array([AUTOMATED_SHARE.get(c, 0.0) for c in CHANNELS])[channel]
    uptake = 1 - left_to_people ** np.array([x.automation for x in d])[reason]
    automated = rng.uniform(0, 1, n) < uptake
    contained = automated & (rng.uniform(0, 1, n) < np.array([x.containment for x in d])[reason])
    live = ~contained
    log_odds = (
        np.log([x.resolution / (1 - x.resolution) for x in h])[handler]
        + np.array([x.resolution for x in d])[reason]
        + np.array([CHANNEL_RESOLUTION[c] for c in CHANNELS])[channel]
    )
    resolution_p = np.where(live, ramp / (1 + np.exp(-log_odds)), 1.0)
    rate = np.array([x.transfers for x in d])[reason] + 0.3 * (1 - ramp)
    transfers = rng.poisson(np.where(live, rate, 0.0)) + (automated & live)
    resolved = rng.uniform(0, 1, n) < resolution_p - 0.06 * transfers
    escalated = live & ~resolved & (rng.uniform(0, 1, n) < 0.45)
    mean_wait = np.array([CHANNEL_WAIT_MINUTES[c] for c in CHANNELS])[channel] * np.array([x.wait for x in d])[reason]
    wait = np.where(live, rng.gamma(2.0, mean_wait * 30.0) * (1.6 - 0.6 * ramp), 0.0)
    person = rng.gamma(3.0, np.array([x.handle_minutes for x in d])[reason] * 20.0)
    handle = np.where(live, person, rng.gamma(2.0, 40.0, n))
    cost = np.where(live, handle / 60 * np.array([x.cost_per_minute for x in h])[handler], 0.0)
    return automated, live, transfers, resolved, escalated, wait, handle, cost + AUTOMATED_COST * automated


def generate(
    directory: Path, *, customers: int = 20_000, months: int = 36, seed: int = 7, always_met: str | None = None
) -> dict[str, Path]:
    """Write the demo source files and ``truth.json`` into ``directory``; return ``{table: file}``.

    Parameters
    ----------
    directory
        Where to write (created if needed).
    customers
        Customers in the data (signed up before or during the window and alive at its start).
    months
        Length of the observation window, which ends at ``WINDOW_END``.
    seed
        Seed for ``numpy.random.default_rng``.
    always_met
        The counterfactual world: every contact for this reason meets expectations (``met_outcomes``).
        Every random draw is made as in the real world and only that reason's outcomes are set
        after drawing, so the two worlds are the same until a customer's churn tells them apart.
    """
    if customers < 10 or months < 2:
        raise ValueError("the demo needs at least 10 customers and 2 months")
    if always_met is not None and always_met not in REASON_SHARE:
        raise ValueError(f"always_met must be a contact reason ({', '.join(REASONS)}), not {always_met!r}")
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    start_us = int((WINDOW_END.value // 1000) - months * MONTH_SECONDS * 1e6)

    # --- customers ---------------------------------------------------------------------------------
    seg = _pick(rng, SEGMENTS, SEGMENT_SHARE, customers)
    persona = np.empty(customers, dtype=np.int64)
    for s, name in enumerate(SEGMENTS):
        members = np.flatnonzero(seg == s)
        persona[members] = _pick(rng, PERSONAS, PERSONA_SHARE[name], members.size)
    plan = np.empty(customers, dtype=np.int64)
    for p, name in enumerate(PERSONAS):
        members = np.flatnonzero(persona == p)
        plan[members] = _pick(rng, PLANS, PLAN_SHARE[name], members.size)
    region = _pick(rng, REGIONS, REGION_SHARE, customers)
    revenue = np.round(
        np.array([SEGMENT_REVENUE[s] for s in SEGMENTS])[seg] * rng.lognormal(0, REVENUE_SIGMA, customers), 2
    )
    attitude = rng.normal(ATTITUDE_START, 1.0, customers)
    base_h = np.array([BASE_HAZARD[p] for p in PLANS])[plan] * np.array([SEGMENT_HR[s] for s in SEGMENTS])[seg]

    # Signup: some before the window. Those must have survived to its start (left truncation), so
    # each pre-window candidate is redrawn until it did.
    signup = rng.uniform(0, months, customers)
    pre = np.flatnonzero(rng.uniform(0, 1, customers) < PRE_WINDOW_SHARE)
    pending = pre
    while pending.size:
        signup[pending] = -rng.uniform(0, PRE_WINDOW_MONTHS, pending.size)
        hazard = base_h[pending] * np.exp(ATTITUDE_LOG_HR * attitude[pending])
        died = rng.uniform(0, 1, pending.size) > np.exp(hazard * signup[pending])
        pending = pending[died]
        attitude[pending] = rng.normal(ATTITUDE_START, 1.0, pending.size)
    churn = np.full(customers, np.nan)
    # Integrated true hazard and time at risk per customer over the window: the hazards the world
    # actually ran at, once attitude has moved (truth.json's ``churn.realised``).
    integrated = np.zeros(customers)
    at_risk = np.zeros(customers)
    bands = math.ceil((months + PRE_WINDOW_MONTHS) / TENURE_BAND_MONTHS) + 1
    cell_hazard = np.zeros((len(SEGMENTS), len(PLANS), bands))
    cell_months = np.zeros((len(SEGMENTS), len(PLANS), bands))

    # --- month by month ----------------------------------------------------------------------------
    reason_p = np.array([REASON_SHARE[r] for r in REASONS])
    importance = np.array([IMPORTANCE[r] for r in REASONS])
    w_tactile = np.array([TACTILE_WEIGHT[r] for r in REASONS])
    handler_names = tuple(HANDLERS)
    h_emp = np.array([h.empathy for h in HANDLERS.values()])
    contact_rate = (
        np.array([SEGMENT_CONTACT_RATE[s] for s in SEGMENTS])[seg]
        * np.array([PERSONA_CONTACT_RATE[p] for p in PERSONAS])[persona]
    )
    channel_cum = np.cumsum([PERSONA_CHANNEL_SHARE[p] for p in PERSONAS], axis=1)
    contacts: list[dict[str, np.ndarray]] = []
    relationship: list[dict[str, np.ndarray]] = []

    for m in range(months):
        alive = np.isnan(churn) & (signup < m + 1)
        idx = np.flatnonzero(alive)
        begin = np.maximum(signup[idx], m)
        exposure = (m + 1) - begin
        k = rng.poisson(contact_rate[idx] * exposure)
        owner = np.repeat(idx, k)
        n = owner.size
        at = np.repeat(begin, k) + rng.uniform(0, 1, n) * np.repeat(exposure, k)
        reason = _reasons(rng, reason_p, attitude[owner])
        cum = channel_cum[persona[owner]]
        channel = np.minimum((rng.uniform(0, 1, n)[:, None] >= cum / cum[:, -1:]).sum(axis=1), len(CHANNELS) - 1)
        c_live = (m + 0.5) / months >= HANDLERS["partner_c"].live_from_month
        shares = np.array([h.share_after if c_live else h.share_before for h in HANDLERS.values()])
        handler = rng.choice(len(handler_names), n, p=shares / shares.sum())
        ramp = np.ones(n)
        c = handler_names.index("partner_c")
        months_live = (at - HANDLERS["partner_c"].live_from_month * months) / HANDLERS["partner_c"].ramp_months
        ramp[handler == c] = np.clip(months_live[handler == c], 0.3, 1.0)
        automated, live, transfers, resolved, escalated, wait, handle, cost = _deliver(
            rng, reason, channel, handler, ramp
        )
        if always_met is not None:
            fixed = reason == REASONS.index(always_met)
            met = met_outcomes(resolved, wait, transfers, np.asarray(CHANNELS)[channel])
            resolved, wait, transfers = (
                np.where(fixed, after, before) for after, before in zip(met, (resolved, wait, transfers), strict=True)
            )
            escalated = escalated & ~fixed

        tactile = (
            1.2 * (resolved - 0.7)
            - 0.25 * (np.log1p(wait / 60.0) - 1.0)
            - 0.4 * transfers
            + rng.normal(0, TACTILE_NOISE_SD, n)
        )
        # Being left unresolved or passed around also feels uncaring: part of the emotive quality
        # follows the resolution and transfer terms of the tactile one.
        bounced = 1.2 * (resolved - 0.7) - 0.4 * transfers
        emotive = (
            np.where(live, h_emp[handler] * ramp - 0.3 * (1 - ramp), -0.3)
            + EMOTIVE_FROM_OUTCOME * bounced
            + rng.normal(0, EMOTIVE_NOISE_SD, n)
        )
        experience = w_tactile[reason] * tactile + (1 - w_tactile[reason]) * emotive
        swing = importance[reason] * experience * SWING_SCALE
        # A customer's contacts in one month build on each other, in time order.
        before = attitude[owner] + _earlier_swings(owner, at, swing)
        np.add.at(attitude, owner, swing)
        contacts.append(
            {
                "owner": owner, "at": at, "reason": reason, "channel": channel, "automated": automated,
                "handler": np.where(live, handler, -1), "wait": wait, "handle": handle, "transfers": transfers,
                "resolved": resolved, "escalated": escalated, "cost": cost, "tactile": tactile,
                "emotive": emotive, "experience": experience, "attitude_before": before,
                "attitude_after": before + swing, "live": live,
            }
        )  # fmt: skip

        wave = (m + 1) % RELATIONSHIP_EVERY_MONTHS == 0
        wave_attitude = attitude[idx] if wave else np.empty(0)  # fancy indexing copies: reversion won't touch it
        attitude[idx] += ATTITUDE_REVERSION * (ATTITUDE_START - attitude[idx])
        hazard = base_h[idx] * np.exp(ATTITUDE_LOG_HR * attitude[idx])
        leaves = rng.uniform(0, 1, idx.size) > np.exp(-hazard * exposure)
        integrated[idx] += hazard * exposure
        at_risk[idx] += exposure
        band = ((begin + m + 1) / 2 - signup[idx]) // TENURE_BAND_MONTHS
        where = (seg[idx], plan[idx], band.astype(np.int64))
        np.add.at(cell_hazard, where, hazard * exposure)
        np.add.at(cell_months, where, exposure)
        last = np.full(customers, -np.inf)
        np.maximum.at(last, owner, at)
        gone = idx[leaves]
        floor = np.maximum(last[gone], begin[leaves])
        churn[gone] = floor + rng.uniform(0, 1, gone.size) * ((m + 1) - floor)

        if wave:
            # Invite only customers alive when the wave goes out: signed up, and not (yet) gone.
            sent = m + RELATIONSHIP_SENT_AT
            invited = (signup[idx] <= sent) & ~(churn[idx] < sent)
            relationship.append(
                {"owner": idx[invited], "at": np.full(int(invited.sum()), sent), "attitude": wave_attitude[invited]}
            )

    # --- tables ------------------------------------------------------------------------------------
    cust = pa.table(
        {
            "customer_id": _ids("C", customers),
            "signup_at": _timestamps(start_us, signup),
            "churned_at": pa.array(
                np.where(np.isnan(churn), 0, start_us + churn * MONTH_SECONDS * 1e6).astype(np.int64),
                pa.timestamp("us", tz="UTC"),
                mask=np.isnan(churn),
            ),
            "segment": np.asarray(SEGMENTS)[seg],
            "region": np.asarray(REGIONS)[region],
            "plan": np.asarray(PLANS)[plan],
            "monthly_revenue": revenue,
        }
    )
    cols = {k: np.concatenate([c[k] for c in contacts]) for k in contacts[0]}
    n_int = cols["owner"].size
    customer_ids = cust.column("customer_id").combine_chunks()
    interaction_ids = _ids("I", n_int)
    channel_labels = np.asarray(CHANNELS, dtype=object)[cols["channel"]]
    fax = (
        rng.choice(n_int, size=int(n_int * BAD_INTERACTION_SHARE), replace=False)
        if n_int >= 2000
        else np.array([], int)
    )
    channel_labels[fax] = "fax"
    inter = pa.table(
        {
            "interaction_id": interaction_ids,
            "customer_id": customer_ids.take(pa.array(cols["owner"])),
            "started_at": _timestamps(start_us, cols["at"]),
            "channel": channel_labels.astype(str),
            "journey_stage": np.asarray([REASON_STAGE[r] for r in REASONS])[cols["reason"]],
            "contact_reason": np.asarray(REASONS)[cols["reason"]],
            "handled_by": np.where(cols["handler"] >= 0, np.asarray(handler_names)[cols["handler"]], "automation"),
            "is_automated": cols["automated"],
            "wait_seconds": np.round(cols["wait"], 1),
            "handle_seconds": np.round(cols["handle"], 1),
            "transfers": cols["transfers"].astype(np.int64),
            "is_resolved": cols["resolved"],
            "is_escalated": cols["escalated"],
            "cost": np.round(cols["cost"], 2),
        }
    )

    # Every contact is followed by an invitation and some are answered; every customer alive at a
    # relationship wave is invited and some answer. The LTR of everyone invited is drawn, so the
    # answers are a subset of a known population with identical values.
    signals = {
        "tactile": cols["tactile"],
        "emotive": cols["emotive"],
        "experience": cols["experience"],
        "attitude_after": cols["attitude_after"],
        "resolved": cols["resolved"].astype(float),
        "wait_signal": 1.0 - np.log1p(cols["wait"] / 60.0),
    }
    ltr_all = EQUATIONS["ltr"].draw(rng, signals, n_int)
    rate = np.where(cols["live"], TRANSACTIONAL_RESPONSE["live"], TRANSACTIONAL_RESPONSE["automated"])
    ans = np.flatnonzero(rng.uniform(0, 1, n_int) < rate)
    k = ans.size
    answered = {name: v[ans] for name, v in signals.items()}
    csat = EQUATIONS["csat"].draw(rng, answered, k)
    effort = EQUATIONS["effort"].draw(rng, answered, k)
    ratings = {name: EQUATIONS[name].draw(rng, answered, k) for name in RATINGS}

    rel = {
        key: np.concatenate([r[key] for r in relationship]) if relationship else np.array([])
        for key in ("owner", "at", "attitude")
    }
    rel["owner"] = rel["owner"].astype(np.int64)
    rel_invited = rel["owner"].size
    ltr_rel_all = EQUATIONS["ltr_relationship"].draw(rng, {"attitude": rel["attitude"]}, rel_invited)
    rel_ans = np.flatnonzero(rng.uniform(0, 1, rel_invited) < RELATIONSHIP_RESPONSE)
    r_n = rel_ans.size

    # Dates stay within each customer's lifetime and the window: an invitation goes out when the
    # contact ends and the answer follows after a short delay, both clipped to the customer's churn.
    end_of_life = np.fmin(churn, months - 1e-6)

    def within(t: np.ndarray, lo: np.ndarray, owner: np.ndarray) -> np.ndarray:
        return np.maximum(lo, np.minimum(t, end_of_life[owner]))

    sent_t = within(cols["at"] + cols["handle"] / MONTH_SECONDS, cols["at"], cols["owner"])
    answered_t = within(sent_t[ans] + rng.gamma(*RESPONSE_DELAY, k), sent_t[ans], cols["owner"][ans])
    rel_owner = rel["owner"][rel_ans]
    rel_sent = rel["at"][rel_ans]
    answered_r = within(rel_sent + rng.gamma(*RESPONSE_DELAY, r_n), rel_sent, rel_owner)

    sentiment = np.where(csat >= 4, 0, np.where(csat <= 2, 2, 1))
    table = np.array(
        [
            [tpl.format(r=r.replace("_", " ")) for s in ("positive", "neutral", "negative") for tpl in VERBATIMS[s]]
            for r in REASONS
        ]
    )
    pick = sentiment * 3 + rng.integers(0, 3, k)
    verbatim = table[cols["reason"][ans], pick]
    has_text = rng.uniform(0, 1, k) < 0.4

    n_surv = k + r_n
    ltr = np.concatenate([ltr_all[ans], ltr_rel_all[rel_ans]]).astype(np.int64)
    if n_surv >= 200:  # one bad row in 200 stays under the default 1% rejection limit
        ltr[rng.choice(n_surv, size=max(1, int(n_surv * BAD_SURVEY_SHARE)), replace=False)] = 11
    missing = np.full(r_n, np.nan)
    surveys = pa.table(
        {
            "survey_id": _ids("S", n_surv),
            "customer_id": customer_ids.take(pa.array(np.concatenate([cols["owner"][ans], rel_owner]))),
            "interaction_id": pa.concat_arrays([interaction_ids.take(pa.array(ans)), pa.nulls(r_n, pa.string())]),
            "responded_at": _timestamps(start_us, np.concatenate([answered_t, answered_r])),
            "ltr": ltr,
            "csat": pa.array(np.concatenate([csat, missing]), pa.float64(), from_pandas=True).cast(pa.int64()),
            "effort": pa.array(np.concatenate([effort, missing]), pa.float64(), from_pandas=True).cast(pa.int64()),
            **{
                f"{schema.RATING_PREFIX}{name}": pa.array(np.concatenate([v, missing]), from_pandas=True)
                for name, v in ratings.items()
            },
            "verbatim": pa.array(
                np.concatenate([np.where(has_text, verbatim, None), np.full(r_n, None)]).tolist(), pa.string()
            ),
        }
    )
    medium = np.asarray([INVITATION_MEDIUM[c] for c in CHANNELS])[cols["channel"]]
    invitations = pa.table(
        {
            "invitation_id": _ids("V", n_int + rel_invited),
            "customer_id": customer_ids.take(pa.array(np.concatenate([cols["owner"], rel["owner"]]))),
            "interaction_id": pa.concat_arrays([interaction_ids, pa.nulls(rel_invited, pa.string())]),
            "sent_at": _timestamps(start_us, np.concatenate([sent_t, rel["at"]])),
            "channel": np.concatenate([medium, np.full(rel_invited, RELATIONSHIP_MEDIUM)]),
        }
    )
    contacts_truth = pa.table(
        {
            "interaction_id": interaction_ids,
            "tactile": cols["tactile"],
            "emotive": cols["emotive"],
            "experience": cols["experience"],
            "attitude_before": cols["attitude_before"],
            "attitude_after": cols["attitude_after"],
            "ltr": ltr_all.astype(np.int64),
        }
    )
    population = population_nps(ltr_all, cols["channel"], cols["live"], ltr_rel_all, rel["at"], start_us=start_us)
    # Judged on the stored precision of the wait (a tenth of a second), as the moment map judges it.
    meeting = meets_expectations(
        cols["resolved"], np.round(cols["wait"], 1), cols["transfers"], CHANNELS_ARRAY[cols["channel"]]
    )
    delivered = realised_delivery(
        cols["reason"], cols["channel"], meeting, cols["automated"], cols["live"], cols["cost"], ltr_all
    )

    files = {
        "customers": directory / "customers.parquet",
        "interactions": directory / "interactions.parquet",
        "surveys": directory / "surveys.parquet",
        "attributes": directory / "attributes.csv",
        "assessment": directory / "assessment.csv",
        "invitations": directory / "invitations.parquet",
    }
    pq.write_table(cust, files["customers"])
    pq.write_table(inter, files["interactions"])
    pq.write_table(surveys, files["surveys"])
    pq.write_table(invitations, files["invitations"])
    pq.write_table(contacts_truth, directory / CONTACTS_TRUTH_FILE)
    pq.write_table(
        pa.table({"customer_id": customer_ids, "persona": np.asarray(PERSONAS)[persona]}), directory / PERSONAS_FILE
    )
    attrs = pd.DataFrame(ATTRIBUTES, columns=["attribute", "label", "kind"]).assign(scale_min=1, scale_max=5)
    pacsv.write_csv(pa.Table.from_pandas(attrs, preserve_index=False), files["attributes"])
    answers = pd.DataFrame(ASSESSMENT, columns=["question_id", "question", "answer"])
    pacsv.write_csv(pa.Table.from_pandas(answers, preserve_index=False), files["assessment"])
    (directory / TRUTH_FILE).write_text(
        json.dumps(
            truth(
                customers=customers,
                months=months,
                seed=seed,
                revenue=revenue,
                seg=seg,
                plan=plan,
                population=population,
                realised=realised_hazards(seg, plan, integrated, at_risk, cell_hazard, cell_months),
                always_met=always_met,
                delivered=delivered,
            ),
            indent=2,
        )
        + "\n"
    )
    return files


def population_nps(
    ltr: np.ndarray,
    channel: np.ndarray,
    live: np.ndarray,
    relationship_ltr: np.ndarray,
    relationship_at: np.ndarray,
    *,
    start_us: int,
) -> dict[str, Any]:
    """NPS of everyone invited, had they all answered: post-contact overall, by channel and by channel
    and who handled the contact (automation or a person), and relationship by wave.

    ``ltr`` is the drawn LTR of every contact, ``channel`` its index in ``CHANNELS`` (the true channel,
    before any planted bad label) and ``live`` whether a person handled it; ``relationship_ltr`` and
    ``relationship_at`` (months into the window) describe every relationship invitation.
    """

    def points(values: np.ndarray) -> float | None:  # None rather than NaN, which JSON lacks
        return round(nps_points(values), 4) if values.size else None

    def cell(mask: np.ndarray) -> dict[str, Any]:
        return {"nps": points(ltr[mask]), "invited": int(mask.sum())}

    by_channel: dict[str, Any] = {}
    by_handler: dict[str, Any] = {}
    for c, name in enumerate(CHANNELS):
        here = channel == c
        if not here.any():
            continue
        by_channel[name] = cell(here)
        by_handler[name] = {
            who: cell(here & mask) for who, mask in (("automation", ~live), ("person", live)) if (here & mask).any()
        }
    waves = []
    for at in np.unique(relationship_at):
        wave = relationship_ltr[relationship_at == at]
        sent = pd.Timestamp(start_us + int(at * MONTH_SECONDS * 1e6), unit="us", tz="UTC")
        waves.append({"sent_at": sent.isoformat(), "nps": points(wave), "invited": int(wave.size)})
    return {
        "meaning": (
            "NPS (promoters minus detractors, in points) of every invitation, as if everyone invited had "
            "answered: each contact's LTR is drawn from the same equation as the answers (equations.ltr), "
            "and those who answered are a random subset with identical values (the surveys file also "
            "holds a few planted bad LTRs of 11). Channel is the true channel of the contact; "
            "'automation' means handled by automation with no hand-over to a person."
        ),
        "post_contact": {
            "overall": cell(np.ones(ltr.size, bool)),
            "by_channel": by_channel,
            "by_channel_and_handler": by_handler,
        },
        "relationship_by_wave": waves,
    }


def realised_hazards(
    seg: np.ndarray,
    plan: np.ndarray,
    integrated: np.ndarray,
    at_risk: np.ndarray,
    cell_hazard: np.ndarray,
    cell_months: np.ndarray,
) -> dict[str, Any]:
    """The hazards the world ran at once attitude had moved, over the window's time at risk.

    - ``monthly_hazard``: integrated true hazard / months at risk, per segment and plan.
    - ``hr_total``: the segment and plan hazard ratios a Cox model *without attitude* should find.
      Attitude carries part of each effect (enterprise customers get in touch more, so contacts
      move their attitude more) and selects survivors (frailty), so these differ from the planted
      ``segment_hr``. They compare mean true hazards at the same tenure (6-month bands) and the
      same plan (for segments) or segment (for plans), and pool the log ratios with
      inverse-variance weights (1 / expected events), as a Cox partial likelihood weighs its
      risk sets.
    """
    cells: dict[str, dict[str, float | None]] = {}
    for s, segment in enumerate(SEGMENTS):
        cells[segment] = {}
        for p, name in enumerate(PLANS):
            mine = (seg == s) & (plan == p)
            months = float(at_risk[mine].sum())
            cells[segment][name] = float(integrated[mine].sum()) / months if months > 0 else None
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = cell_hazard / cell_months

    def pooled(axis: int, level: int) -> float | None:
        h = np.moveaxis(cell_hazard, axis, 0)
        r = np.moveaxis(rate, axis, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(r[level] / r[0])
            weight = 1.0 / (1.0 / h[level] + 1.0 / h[0])
        ok = np.isfinite(log_ratio) & np.isfinite(weight) & (weight > 0)
        return float(np.exp((log_ratio[ok] * weight[ok]).sum() / weight[ok].sum())) if ok.any() else None

    return {
        "monthly_hazard": cells,
        "hr_total": {
            "segment": {segment: pooled(0, s) for s, segment in enumerate(SEGMENTS) if s},
            "plan": {name: pooled(1, p) for p, name in enumerate(PLANS) if p},
            "reference": {"segment": SEGMENTS[0], "plan": PLANS[0]},
            "tenure_band_months": TENURE_BAND_MONTHS,
        },
    }


def truth(
    *,
    customers: int,
    months: int,
    seed: int,
    revenue: np.ndarray,
    seg: np.ndarray,
    plan: np.ndarray,
    population: dict[str, Any] | None = None,
    realised: dict[str, Any] | None = None,
    always_met: str | None = None,
    delivered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The planted parameters, each segment's expected lifetime value at neutral attitude and, when
    given, the NPS of the whole invited population (``population_nps``) and the delivery the world
    had (``realised_delivery``: met rates, and each journey stage's cost and population NPS).

    Lifetime value of one customer is ``revenue * sum_t (S(t) / (1 + d)^t)`` over future months, with
    monthly survival ``S = exp(-h)`` at attitude 0 and discount rate ``d``:
    ``revenue * q / (1 - q)`` with ``q = exp(-h) / (1 + d)``.
    """
    h = np.array([BASE_HAZARD[p] for p in PLANS])[plan] * np.array([SEGMENT_HR[s] for s in SEGMENTS])[seg]
    q = np.exp(-h) / (1 + DISCOUNT_MONTHLY)
    clv = revenue * q / (1 - q)
    return {
        "generator": {
            "customers": customers,
            "months": months,
            "seed": seed,
            "window_end": WINDOW_END.isoformat(),
            **({"always_met": always_met} if always_met else {}),
        },
        "attitude": {
            "start": ATTITUDE_START,
            "monthly_reversion": ATTITUDE_REVERSION,
            "swing": "importance[reason] * experience * swing_scale",
            "swing_scale": SWING_SCALE,
            "experience": "tactile_weight[reason] * tactile + (1 - tactile_weight[reason]) * emotive",
        },
        "importance": IMPORTANCE,
        "tactile_weight": TACTILE_WEIGHT,
        "emotive_weight": {r: round(1 - w, 10) for r, w in TACTILE_WEIGHT.items()},
        "moments_of_truth": list(MOMENTS_OF_TRUTH),
        "low_impact": list(LOW_IMPACT),
        "latent": {
            "tactile": (
                f"1.2 * (resolved - 0.7) - 0.25 * (ln(1 + wait_seconds / 60) - 1) - 0.4 * transfers"
                f" + N(0, {TACTILE_NOISE_SD})"
            ),
            "emotive": (
                "handler empathy * ramp - 0.3 * (1 - ramp) for a person (ramp is 1 except while partner_c"
                f" ramps up), -0.3 for automation; plus {EMOTIVE_FROM_OUTCOME} * (1.2 * (resolved - 0.7)"
                f" - 0.4 * transfers); plus N(0, {EMOTIVE_NOISE_SD})"
            ),
            "emotive_from_outcome": EMOTIVE_FROM_OUTCOME,
            "tactile_noise_sd": TACTILE_NOISE_SD,
            "emotive_noise_sd": EMOTIVE_NOISE_SD,
            "file": CONTACTS_TRUTH_FILE,
        },
        "equations": {name: score.to_dict() for name, score in EQUATIONS.items()},
        "churn": {
            "form": "monthly hazard = base_hazard[plan] * segment_hr[segment] * exp(attitude_log_hr * attitude)",
            "base_hazard": BASE_HAZARD,
            "segment_hr": SEGMENT_HR,
            "attitude_log_hr": ATTITUDE_LOG_HR,
            "attitude_hr_per_unit": math.exp(ATTITUDE_LOG_HR),
            "left_truncation": {"share_signed_up_before_window": PRE_WINDOW_SHARE, "months_before": PRE_WINDOW_MONTHS},
            **({"realised": realised} if realised is not None else {}),
        },
        "handlers": {name: vars(h) for name, h in HANDLERS.items()},
        "automation": {"cost": AUTOMATED_COST, "share_by_channel": AUTOMATED_SHARE},
        "revenue": {"median_by_segment": SEGMENT_REVENUE, "lognormal_sigma": REVENUE_SIGMA},
        "personas": {
            "file": PERSONAS_FILE,
            "share_by_segment": {s: dict(zip(PERSONAS, v, strict=True)) for s, v in PERSONA_SHARE.items()},
            "plan_share": {p: dict(zip(PLANS, v, strict=True)) for p, v in PLAN_SHARE.items()},
            "channel_share": {p: dict(zip(CHANNELS, v, strict=True)) for p, v in PERSONA_CHANNEL_SHARE.items()},
            "contact_rate_multiplier": PERSONA_CONTACT_RATE,
        },
        "lifetime_value_at_neutral_attitude": {
            "discount_monthly": DISCOUNT_MONTHLY,
            "mean_by_segment": {
                s: float(np.mean(clv[seg == i])) if np.any(seg == i) else None for i, s in enumerate(SEGMENTS)
            },
        },
        "reasons": {
            "by_volume_rank": list(REASONS),
            "share": REASON_SHARE,
            "stage": REASON_STAGE,
            "attitude_tilt": {
                "form": "contact rate for the reason times exp(tilt * (attitude - attitude start))",
                "tilt": REASON_ATTITUDE_TILT,
            },
        },
        "delivery": {
            "form": {
                "automation": (
                    "a contact starts in automation with probability 1 - (1 - automation.share_by_channel)"
                    " ** reason automation; automation finishes the reason's containment share and hands"
                    " the rest to a person with one transfer"
                ),
                "resolved": (
                    "by a person: ramp * logistic(logit(handler resolution) + reason resolution + channel"
                    " resolution) - 0.06 * transfers; by automation alone: always"
                ),
                "transfers": "Poisson(reason transfers + 0.3 * (1 - ramp)) for a person, plus the hand-over",
                "wait_seconds": "gamma(2, 30 * channel_wait_minutes * reason wait) * (1.6 - 0.6 * ramp)",
                "handle_seconds": "gamma(3, 20 * reason handle_minutes) for a person, gamma(2, 40) for automation",
                "cost": "handle minutes * handler cost per minute for a person, plus automation cost if automated",
            },
            "by_reason": {r: vars(d) for r, d in DELIVERY.items()},
            "channel_resolution": CHANNEL_RESOLUTION,
            **(delivered["delivery"] if delivered else {}),
        },
        **({"journey_stages": delivered["journey_stages"]} if delivered else {}),
        "contacts": {
            "segment_contact_rate_per_month": SEGMENT_CONTACT_RATE,
            "channel_wait_minutes": {
                "form": (
                    "a person's contact waits gamma(2, 30 * minutes * reason wait) seconds (mean: minutes"
                    " times the reason's delivery.by_reason wait), times 1.6 - 0.6 * ramp; automation does not"
                    " wait"
                ),
                "mean_by_channel": CHANNEL_WAIT_MINUTES,
            },
        },
        "surveys": {
            "transactional_response": TRANSACTIONAL_RESPONSE,
            "relationship_every_months": RELATIONSHIP_EVERY_MONTHS,
            "relationship_response": RELATIONSHIP_RESPONSE,
            "relationship_sent_months_into_wave_month": RELATIONSHIP_SENT_AT,
            "response_delay_months_gamma_shape_scale": list(RESPONSE_DELAY),
            "invitation_medium": {**INVITATION_MEDIUM, "relationship": RELATIONSHIP_MEDIUM},
        },
        "population_nps": population,
        "bad_rows": {"surveys_ltr_11": BAD_SURVEY_SHARE, "interactions_channel_fax": BAD_INTERACTION_SHARE},
    }


def build(
    root: Path,
    *,
    customers: int = 20_000,
    months: int = 36,
    seed: int = 7,
    always_met: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[IngestResult]:
    """Generate the demo files under ``root/_sources`` and ingest each through ``analytics.data.ingest``.

    An existing warehouse at ``root`` is replaced, but only if it holds nothing except Delta tables,
    the lock file and demo sources; anything else is refused rather than deleted.
    """
    root = Path(root)
    if root.exists():
        strangers = [
            p.name for p in root.iterdir() if not ((p / "_delta_log").is_dir() or p.name in {SOURCES, ".ingest.lock"})
        ]
        if strangers:
            raise FileExistsError(
                f"{root} holds files that are not warehouse tables ({strangers[:3]}); not replacing it"
            )
        shutil.rmtree(root)
    say = progress or (lambda _m: None)
    say(f"generating demo data: {customers:,} customers over {months} months (seed {seed})")
    files = generate(root / SOURCES, customers=customers, months=months, seed=seed, always_met=always_met)
    results = []
    for table in ("attributes", "assessment", "customers", "interactions", "invitations", "surveys"):
        results.append(ingest(table, files[table], warehouse_path=root, progress=say))
    return results


def load_personas(root: Path) -> pd.DataFrame:
    """The planted persona of every customer in the demo warehouse at ``root``: ``customer_id``, ``persona``."""
    return pq.read_table(Path(root) / SOURCES / PERSONAS_FILE).to_pandas()


def load_truth(root: Path) -> dict[str, Any]:
    """Read the planted truth of the demo warehouse at ``root``."""
    data: dict[str, Any] = json.loads((Path(root) / SOURCES / TRUTH_FILE).read_text())
    return data


# --- delivery as the default met rule judges it ------------------------------------------------------------

#: The journey stages planted to show each stance on satisfaction against efficiency
#: (``benchmarks.satisfaction_efficiency``), and why.
PLANTED_STANCES = {
    "both": {
        "buy": (
            "cheap and well delivered: plan changes and upgrades are mostly self-served or quick, and"
            " sales calls jump the queue (DELIVERY); and the customers who buy are the happier ones"
            " (reasons.attitude_tilt), so post-contact NPS is higher"
        )
    },
    "neither": {
        "support": (
            "costly and poorly delivered: faults, outages, cancellations and complaints take long"
            " calls and specialist transfers, automation rarely finishes them, and they are the moments"
            " of truth, so post-contact NPS is lower"
        )
    },
}
CHANNELS_ARRAY = np.asarray(CHANNELS)


def meets_expectations(
    resolved: np.ndarray, wait: np.ndarray, transfers: np.ndarray, channel: np.ndarray
) -> np.ndarray:
    """Whether each contact met expectations by the default ``moments.MetRule``: resolved, transferred
    at most ``max_transfers`` times and waiting no longer than its channel's target (``channel`` as
    names). ``met_outcomes`` gives the outcomes that pass it."""
    from analytics.analyses.moments import MetRule

    rule = MetRule()
    met = np.ones(resolved.size, dtype=bool)
    if rule.resolved:
        met &= resolved.astype(bool)
    if rule.max_transfers is not None:
        met &= transfers <= rule.max_transfers
    target = pd.Series(channel).map(rule.wait_targets).to_numpy(float)
    return met & (np.isnan(target) | (wait <= np.nan_to_num(target, nan=np.inf)))


def _share(flags: np.ndarray, mask: np.ndarray) -> float | None:
    return round(float(flags[mask].mean()), 6) if mask.any() else None


def _shares(flags: np.ndarray, group: np.ndarray, groups: int) -> list[float | None]:
    """The share of ``flags`` in each of ``groups`` integer groups (None for an empty one): one
    counting pass, where a mask per group would scan 11 M contacts 90 times at the benchmark scale."""
    n = np.bincount(group, minlength=groups)
    hits = np.bincount(group, weights=flags.astype(float), minlength=groups)
    return [round(float(k / m), 6) if m else None for k, m in zip(hits, n, strict=True)]


def realised_delivery(
    reason: np.ndarray,
    channel: np.ndarray,
    met: np.ndarray,
    automated: np.ndarray,
    live: np.ndarray,
    cost: np.ndarray,
    ltr: np.ndarray,
) -> dict[str, Any]:
    """The met rates the world has and each journey stage's delivery, from the generator's own draws.

    Every contact counts, with its true channel, before any planted bad row is quarantined (one in
    2,000 contacts, so the moment map's rates differ by well under a point). ``reason`` and
    ``channel`` are positions in ``REASONS`` and ``CHANNELS``; ``met`` is ``meets_expectations``;
    ``ltr`` is every contact's drawn LTR, answered or not. Per stage: ``contacts``, ``met_rate``,
    ``automation_rate``, ``containment_rate`` (of automated contacts, the share automation finished),
    ``cost_per_contact`` and ``population_nps``, each beside the rest of the contacts (``*_rest``).
    """
    from analytics.analyses.moments import MetRule

    width = len(CHANNELS)
    pairs = _shares(met, reason * width + channel, len(REASONS) * width)
    by_pair = {r: dict(zip(CHANNELS, pairs[i * width : (i + 1) * width], strict=True)) for i, r in enumerate(REASONS)}
    stage = np.asarray([REASON_STAGE[r] for r in REASONS])[reason]
    contained = automated & ~live
    stages: dict[str, Any] = {}
    for name in sorted(set(REASON_STAGE.values())):
        here = stage == name
        row: dict[str, Any] = {"contacts": int(here.sum())}
        for mask, suffix in ((here, ""), (~here, "_rest")):
            row[f"met_rate{suffix}"] = _share(met, mask)
            row[f"automation_rate{suffix}"] = _share(automated, mask)
            row[f"containment_rate{suffix}"] = _share(contained, mask & automated)
            row[f"cost_per_contact{suffix}"] = round(float(cost[mask].mean()), 6) if mask.any() else None
            row[f"population_nps{suffix}"] = round(nps_points(ltr[mask]), 4) if mask.any() else None
        stages[name] = row
    return {
        "delivery": {
            "met_rule": MetRule().describe(),
            "met_rate": {
                "meaning": (
                    "share of contacts meeting expectations under the default met rule (moments.MetRule),"
                    " over every contact the generator drew, before quarantine"
                ),
                "overall": _share(met, np.ones(met.size, dtype=bool)),
                "by_reason": dict(zip(REASONS, _shares(met, reason, len(REASONS)), strict=True)),
                "by_channel": dict(zip(CHANNELS, _shares(met, channel, width), strict=True)),
                "by_reason_and_channel": by_pair,
                "by_journey_stage": {name: row["met_rate"] for name, row in stages.items()},
            },
            "contacts_by_reason": dict(zip(REASONS, np.bincount(reason, minlength=len(REASONS)).tolist(), strict=True)),
        },
        "journey_stages": {
            "planted": {stance: sorted(names) for stance, names in PLANTED_STANCES.items()},
            "why": {name: why for names in PLANTED_STANCES.values() for name, why in names.items()},
            "realised": stages,
        },
    }


# --- the value of fixing a moment, as the generator knows it ---------------------------------------------


def met_outcomes(
    resolved: np.ndarray, wait: np.ndarray, transfers: np.ndarray, channel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outcomes of contacts made to meet expectations by the default ``moments.MetRule``:
    resolved, transferred at most once, and waiting no longer than the channel's target."""
    from analytics.analyses.moments import MetRule

    rule = MetRule()
    target = pd.Series(channel).map(rule.wait_targets).to_numpy(float)
    limit = rule.max_transfers if rule.max_transfers is not None else np.inf
    return (
        np.ones_like(resolved, dtype=bool),
        np.where(np.isnan(target), wait, np.minimum(wait, np.nan_to_num(target, nan=np.inf))),
        np.minimum(transfers, limit).astype(transfers.dtype),
    )


def attitude_gain(contacts: pd.DataFrame) -> np.ndarray:
    """How much higher each contact would have left attitude had it met expectations (0 for those
    that did), from the generator's equations: the same noise, only the outcomes changed.

    ``contacts``: ``contact_reason``, ``channel``, ``is_resolved``, ``wait_seconds``, ``transfers``."""
    resolved = contacts["is_resolved"].to_numpy(bool)
    wait = contacts["wait_seconds"].to_numpy(float)
    transfers = contacts["transfers"].to_numpy(float)
    met_resolved, met_wait, met_transfers = met_outcomes(resolved, wait, transfers, contacts["channel"].to_numpy())
    d_resolved = met_resolved.astype(float) - resolved
    d_transfers = met_transfers - transfers
    d_tactile = 1.2 * d_resolved - 0.25 * (np.log1p(met_wait / 60.0) - np.log1p(wait / 60.0)) - 0.4 * d_transfers
    d_emotive = EMOTIVE_FROM_OUTCOME * (1.2 * d_resolved - 0.4 * d_transfers)
    w = contacts["contact_reason"].map(TACTILE_WEIGHT).to_numpy(float)
    importance = contacts["contact_reason"].map(IMPORTANCE).to_numpy(float)
    return importance * (w * d_tactile + (1 - w) * d_emotive) * SWING_SCALE


def value_of_fixing(
    root: Path,
    reason: str,
    *,
    margin_rate: float = 0.30,
    annual_discount: float = 0.10,
    horizon_months: int = 60,
    chunk: int = 200_000,
) -> dict[str, Any]:
    """The true yearly value of making every contact for ``reason`` meet expectations, in the demo
    warehouse at ``root``: expected discounted margin kept, from the generator's own hazards.

    For each contact that did not meet expectations, attitude would have been higher by
    ``attitude_gain``, fading by ``ATTITUDE_REVERSION`` a month. The customer's hazard follows
    their attitude after the contact, reverting to ``ATTITUDE_START``, and the gain lowers it by
    ``exp(ATTITUDE_LOG_HR * gain)``; the kept survival times monthly margin is discounted over
    ``horizon_months``. Summed per segment and scaled to a year of contacts. Returns ``value``,
    ``by_segment``, ``contacts_not_met`` and ``customers_affected``.
    """
    src = Path(root) / SOURCES
    months = load_truth(root)["generator"]["months"]
    columns = ["interaction_id", "customer_id", "channel", "contact_reason", "is_resolved", "wait_seconds", "transfers"]
    contacts = pq.read_table(src / "interactions.parquet", columns=columns).to_pandas()
    contacts = contacts[(contacts["contact_reason"] == reason) & contacts["channel"].isin(CHANNELS)]
    truth_rows = pq.read_table(src / CONTACTS_TRUTH_FILE, columns=["interaction_id", "attitude_after"]).to_pandas()
    people = pq.read_table(src / "customers.parquet", columns=["customer_id", "segment", "plan", "monthly_revenue"])
    contacts = contacts.merge(truth_rows, on="interaction_id").merge(people.to_pandas(), on="customer_id")
    gain = attitude_gain(contacts)
    contacts = contacts.assign(gain=gain)[gain > 0]
    base = (contacts["plan"].map(BASE_HAZARD) * contacts["segment"].map(SEGMENT_HR)).to_numpy(float)
    ahead = np.arange(1, horizon_months + 1, dtype=float)
    fade = (1 - ATTITUDE_REVERSION) ** ahead
    discount = (1 + ((1 + annual_discount) ** (1 / 12) - 1)) ** -ahead
    kept = np.empty(len(contacts))
    for lo in range(0, len(contacts), chunk):
        part = slice(lo, lo + chunk)
        attitude = ATTITUDE_START + (contacts["attitude_after"].to_numpy()[part, None] - ATTITUDE_START) * fade
        hazard = base[part, None] * np.exp(ATTITUDE_LOG_HR * attitude)
        stays = np.exp(-np.cumsum(hazard, axis=1))
        extra = np.cumsum(hazard * np.expm1(ATTITUDE_LOG_HR * contacts["gain"].to_numpy()[part, None] * fade), axis=1)
        kept[part] = (stays * np.expm1(-extra)) @ discount
    value = margin_rate * contacts["monthly_revenue"].to_numpy() * kept * 12 / months
    by_segment = pd.Series(value).groupby(contacts["segment"].to_numpy()).sum()
    return {
        "reason": reason,
        "value": float(value.sum()),
        "by_segment": {str(k): float(v) for k, v in by_segment.items()},
        "contacts_not_met": int(len(contacts)),
        "customers_affected": int(contacts["customer_id"].nunique()),
        "per": "year of contacts",
    }
