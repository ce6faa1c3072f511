"""The customers table: who the demo's customers are (segment, region, plan, hidden persona, revenue),
when they signed up and when they left; and the personas file beside the truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from analytics.demo.attitude import ATTITUDE_START
from analytics.demo.columns import Keys
from analytics.stats.units import MONTH_SECONDS

SEGMENTS = ("consumer", "smb", "enterprise")
SEGMENT_SHARE = (0.75, 0.20, 0.05)
#: Median monthly revenue per segment; revenue is log-normal with sigma REVENUE_SIGMA.
SEGMENT_REVENUE = {"consumer": 30.0, "smb": 180.0, "enterprise": 1500.0}
REVENUE_SIGMA = 0.8

REGIONS = ("north", "south", "east", "west")
REGION_SHARE = (0.30, 0.25, 0.25, 0.20)
PLANS = ("monthly", "annual", "two_year")


@dataclass(frozen=True)
class Persona:
    """A hidden behavioural persona: the plan its customers pick (``plan_share`` over ``PLANS``), the
    channels they use (``channel_share`` over ``CHANNELS``) and how often they get in touch
    (``contact_rate``, multiplying the segment's)."""

    plan_share: tuple[float, float, float]
    channel_share: tuple[float, float, float, float, float, float]
    contact_rate: float


#: Behavioural personas. The data never names them (only ``personas.parquet`` beside the truth does),
#: but each one sets the plan a customer picks, the channels they use and how often they get in
#: touch, so segmentation on behaviour should find them again. Each persona leans to its own plan
#: (0.6) and takes either other one with 0.2, so plan hints at the persona without giving it away and
#: a segmentation has to read behaviour to find it. The contact rates average about 1 over the
#: consumer persona mix.
PERSONA_PROFILES = {
    # columns: Persona(plan_share (monthly, annual, two_year),
    #                  channel_share (voice, chat, email, web, social, ivr), contact_rate)
    "digital_self_server": Persona((0.6, 0.2, 0.2), (0.06, 0.30, 0.06, 0.48, 0.04, 0.06), 0.75),
    "phone_loyalist":      Persona((0.2, 0.6, 0.2), (0.72, 0.06, 0.12, 0.04, 0.02, 0.04), 1.1),
    "contract_mixer":      Persona((0.2, 0.2, 0.6), (0.25, 0.35, 0.30, 0.04, 0.04, 0.02), 1.65),
}  # fmt: skip
PERSONAS = tuple(PERSONA_PROFILES)
#: Persona shares (in ``PERSONAS`` order) by segment.
PERSONA_SHARE = {"consumer": (0.50, 0.35, 0.15), "smb": (0.35, 0.35, 0.30), "enterprise": (0.15, 0.30, 0.55)}


@dataclass(frozen=True)
class Month:
    """One month of the window (``number``, from 0) as its customers live it: ``alive`` holds the
    positions of those signed up by its end and not gone before it, ``begin`` when each entered the
    month (months into the window) and ``exposure`` for how long they were in it."""

    number: int
    alive: np.ndarray
    begin: np.ndarray
    exposure: np.ndarray


@dataclass(frozen=True)
class Customers:
    """Every customer, one element per customer: ``segment``, ``persona``, ``plan`` and ``region`` are
    positions in ``SEGMENTS``, ``PERSONAS``, ``PLANS`` and ``REGIONS``, ``revenue`` is monthly. The
    months change the arrays in place: ``attitude`` moves with every contact and month, ``signup`` is
    moved before the window for those who joined earlier (``churn.admit_survivors``), and ``churn``
    (months into the window) is NaN while a customer stays."""

    segment: np.ndarray
    persona: np.ndarray
    plan: np.ndarray
    region: np.ndarray
    revenue: np.ndarray
    attitude: np.ndarray
    signup: np.ndarray
    churn: np.ndarray

    def month(self, number: int) -> Month:
        """Month ``number`` of the window, for the customers alive in it now."""
        alive = np.flatnonzero(np.isnan(self.churn) & (self.signup < number + 1))
        begin = np.maximum(self.signup[alive], number)
        return Month(number, alive, begin, (number + 1) - begin)

    def end_of_life(self, months: int) -> np.ndarray:
        """When each customer's life in the data ends: their churn, or just before the window's end."""
        return np.fmin(self.churn, months - 1e-6)


def _pick(rng: np.random.Generator, labels: tuple[str, ...], p: Any, size: int) -> np.ndarray:
    return rng.choice(len(labels), size, p=np.asarray(p) / np.sum(p))


def draw_customers(rng: np.random.Generator, customers: int, months: int) -> Customers:
    """Draw ``customers`` customers: segment, persona by segment, plan by persona, region, log-normal
    revenue by segment, attitude around ``ATTITUDE_START``, and a signup in the window (before it
    comes later, with the hazards: ``churn.admit_survivors``)."""
    seg = _pick(rng, SEGMENTS, SEGMENT_SHARE, customers)
    persona = np.empty(customers, dtype=np.int64)
    for s, name in enumerate(SEGMENTS):
        members = np.flatnonzero(seg == s)
        persona[members] = _pick(rng, PERSONAS, PERSONA_SHARE[name], members.size)
    plan = np.empty(customers, dtype=np.int64)
    for p, name in enumerate(PERSONAS):
        members = np.flatnonzero(persona == p)
        plan[members] = _pick(rng, PLANS, PERSONA_PROFILES[name].plan_share, members.size)
    region = _pick(rng, REGIONS, REGION_SHARE, customers)
    revenue = np.round(
        np.array([SEGMENT_REVENUE[s] for s in SEGMENTS])[seg] * rng.lognormal(0, REVENUE_SIGMA, customers), 2
    )
    attitude = rng.normal(ATTITUDE_START, 1.0, customers)
    signup = rng.uniform(0, months, customers)
    return Customers(seg, persona, plan, region, revenue, attitude, signup, churn=np.full(customers, np.nan))


def customers_table(people: Customers, keys: Keys) -> pa.Table:
    """The customers table: ``customer_id``, ``signup_at``, ``churned_at``, ``segment``, ``region``,
    ``plan``, ``monthly_revenue``."""
    churn = people.churn
    return pa.table(
        {
            "customer_id": keys.customer_ids,
            "signup_at": keys.timestamps(people.signup),
            "churned_at": pa.array(
                np.where(np.isnan(churn), 0, keys.start_us + churn * MONTH_SECONDS * 1e6).astype(np.int64),
                pa.timestamp("us", tz="UTC"),
                mask=np.isnan(churn),
            ),
            "segment": np.asarray(SEGMENTS)[people.segment],
            "region": np.asarray(REGIONS)[people.region],
            "plan": np.asarray(PLANS)[people.plan],
            "monthly_revenue": people.revenue,
        }
    )


def personas_table(people: Customers, keys: Keys) -> pa.Table:
    """Who is who: ``customer_id``, ``persona`` (the file beside the truth, never ingested)."""
    return pa.table({"customer_id": keys.customer_ids, "persona": np.asarray(PERSONAS)[people.persona]})
