"""When customers leave: a proportional-hazards model, with left truncation at the window's start, and
a ledger of the hazards the world actually ran at (truth.json's ``churn.realised``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.demo.attitude import ATTITUDE_START
from analytics.demo.customers import PLANS, SEGMENTS, Customers, Month

SEGMENT_HR = {"consumer": 1.0, "smb": 0.8, "enterprise": 0.6}

BASE_HAZARD = {"monthly": 0.030, "annual": 0.012, "two_year": 0.006}  # per month at attitude 0
ATTITUDE_LOG_HR = -0.5  # log hazard ratio per unit of attitude: unhappy customers leave faster

PRE_WINDOW_SHARE = 0.25  # of customers signed up before the window
PRE_WINDOW_MONTHS = 36
#: Tenure bands for the realised hazard ratios in ``truth.json`` (``HazardLedger.realised``).
TENURE_BAND_MONTHS = 6
DISCOUNT_MONTHLY = 0.01


def base_hazards(segment: np.ndarray, plan: np.ndarray) -> np.ndarray:
    """Each customer's monthly hazard at attitude 0: ``BASE_HAZARD[plan] * SEGMENT_HR[segment]``."""
    return np.array([BASE_HAZARD[p] for p in PLANS])[plan] * np.array([SEGMENT_HR[s] for s in SEGMENTS])[segment]


def admit_survivors(rng: np.random.Generator, people: Customers) -> None:
    """Sign ``PRE_WINDOW_SHARE`` of the customers up in the ``PRE_WINDOW_MONTHS`` before the window.
    Those must have survived to its start (left truncation), so each is redrawn, with a fresh
    attitude, until they did."""
    base_h = base_hazards(people.segment, people.plan)
    pre = np.flatnonzero(rng.uniform(0, 1, people.signup.size) < PRE_WINDOW_SHARE)
    pending = pre
    while pending.size:
        people.signup[pending] = -rng.uniform(0, PRE_WINDOW_MONTHS, pending.size)
        hazard = base_h[pending] * np.exp(ATTITUDE_LOG_HR * people.attitude[pending])
        died = rng.uniform(0, 1, pending.size) > np.exp(hazard * people.signup[pending])
        pending = pending[died]
        people.attitude[pending] = rng.normal(ATTITUDE_START, 1.0, pending.size)


@dataclass(frozen=True)
class HazardLedger:
    """The true hazard each customer ran at over the window, once attitude had moved: ``integrated``
    hazard and months ``at_risk`` per customer, and the same per segment x plan x tenure band
    (``cell_hazard``, ``cell_months``; bands of ``TENURE_BAND_MONTHS``)."""

    integrated: np.ndarray
    at_risk: np.ndarray
    cell_hazard: np.ndarray
    cell_months: np.ndarray

    @classmethod
    def empty(cls, customers: int, months: int) -> HazardLedger:
        bands = math.ceil((months + PRE_WINDOW_MONTHS) / TENURE_BAND_MONTHS) + 1
        cells = (len(SEGMENTS), len(PLANS), bands)
        return cls(np.zeros(customers), np.zeros(customers), np.zeros(cells), np.zeros(cells))

    def record(self, people: Customers, month: Month, hazard: np.ndarray) -> None:
        """Add the month's ``hazard`` of each customer alive in it, over their exposure."""
        idx, begin, exposure = month.alive, month.begin, month.exposure
        self.integrated[idx] += hazard * exposure
        self.at_risk[idx] += exposure
        band = ((begin + month.number + 1) / 2 - people.signup[idx]) // TENURE_BAND_MONTHS
        where = (people.segment[idx], people.plan[idx], band.astype(np.int64))
        np.add.at(self.cell_hazard, where, hazard * exposure)
        np.add.at(self.cell_months, where, exposure)

    def realised(self, segment: np.ndarray, plan: np.ndarray) -> dict[str, Any]:
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
        for s, segment_name in enumerate(SEGMENTS):
            cells[segment_name] = {}
            for p, name in enumerate(PLANS):
                mine = (segment == s) & (plan == p)
                months = float(self.at_risk[mine].sum())
                cells[segment_name][name] = float(self.integrated[mine].sum()) / months if months > 0 else None
        return {
            "monthly_hazard": cells,
            "hr_total": {
                "segment": {name: self._pooled(0, s) for s, name in enumerate(SEGMENTS) if s},
                "plan": {name: self._pooled(1, p) for p, name in enumerate(PLANS) if p},
                "reference": {"segment": SEGMENTS[0], "plan": PLANS[0]},
                "tenure_band_months": TENURE_BAND_MONTHS,
            },
        }

    def _pooled(self, axis: int, level: int) -> float | None:
        """The hazard ratio of ``level`` to level 0 on ``axis`` (0 segment, 1 plan), pooled over cells."""
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = self.cell_hazard / self.cell_months
        h = np.moveaxis(self.cell_hazard, axis, 0)
        r = np.moveaxis(rate, axis, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(r[level] / r[0])
            weight = 1.0 / (1.0 / h[level] + 1.0 / h[0])
        ok = np.isfinite(log_ratio) & np.isfinite(weight) & (weight > 0)
        return float(np.exp((log_ratio[ok] * weight[ok]).sum() / weight[ok].sum())) if ok.any() else None


def draw_leavers(
    rng: np.random.Generator,
    people: Customers,
    month: Month,
    base_h: np.ndarray,
    ledger: HazardLedger,
    last_contact: np.ndarray,
) -> None:
    """Draw who of the month's customers leaves, at hazard ``base_h * exp(ATTITUDE_LOG_HR * attitude)``
    over their exposure, and when: uniformly after their last contact (``last_contact``, months into
    the window, -inf for none) and their entry into the month. The hazards go into ``ledger``."""
    idx = month.alive
    hazard = base_h[idx] * np.exp(ATTITUDE_LOG_HR * people.attitude[idx])
    leaves = rng.uniform(0, 1, idx.size) > np.exp(-hazard * month.exposure)
    ledger.record(people, month, hazard)
    gone = idx[leaves]
    floor = np.maximum(last_contact[gone], month.begin[leaves])
    people.churn[gone] = floor + rng.uniform(0, 1, gone.size) * ((month.number + 1) - floor)


def lifetime_values(revenue: np.ndarray, segment: np.ndarray, plan: np.ndarray) -> np.ndarray:
    """Each customer's lifetime value at neutral attitude: ``revenue * sum_t (S(t) / (1 + d)^t)`` over
    future months, with monthly survival ``S = exp(-h)`` at attitude 0 and discount rate
    ``d = DISCOUNT_MONTHLY``: ``revenue * q / (1 - q)`` with ``q = exp(-h) / (1 + d)``."""
    q = np.exp(-base_hazards(segment, plan)) / (1 + DISCOUNT_MONTHLY)
    return revenue * q / (1 - q)
