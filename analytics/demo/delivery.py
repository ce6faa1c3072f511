"""How the contact centre delivers a contact: automation, handlers, channel, and the met rule."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analytics.data.schema import CHANNELS
from analytics.demo.reasons import DELIVERY, REASONS

AUTOMATED_SHARE = {"web": 0.85, "ivr": 0.75, "chat": 0.25}  # the rest are handled by people
#: Mean wait for a person, by channel, before a reason's queue (``Delivery.wait``) and the ramp-up.
CHANNEL_WAIT_MINUTES = {"voice": 1.2, "chat": 0.8, "email": 90.0, "web": 0.5, "social": 25.0, "ivr": 0.5}
#: Shift in the log-odds that a person resolves a contact on first contact, by channel: a call lets
#: the agent ask and check as they go, while an email or a social post is answered from what it says.
CHANNEL_RESOLUTION = {"voice": 0.3, "chat": 0.0, "email": -0.5, "web": 0.0, "social": -0.6, "ivr": -0.1}


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


def draw_handlers(rng: np.random.Generator, at: np.ndarray, month: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Who handles each contact made ``at`` (months into the window) in ``month`` if a person takes it
    (positions in ``HANDLERS``), by the handlers' shares before or after partner_c goes live, and each
    contact's ``ramp``: 1, except for partner_c's while it ramps up from 0.3 over ``ramp_months``."""
    handler_names = tuple(HANDLERS)
    n = at.size
    c_live = (month + 0.5) / months >= HANDLERS["partner_c"].live_from_month
    shares = np.array([h.share_after if c_live else h.share_before for h in HANDLERS.values()])
    handler = rng.choice(len(handler_names), n, p=shares / shares.sum())
    ramp = np.ones(n)
    c = handler_names.index("partner_c")
    months_live = (at - HANDLERS["partner_c"].live_from_month * months) / HANDLERS["partner_c"].ramp_months
    ramp[handler == c] = np.clip(months_live[handler == c], 0.3, 1.0)
    return handler, ramp


@dataclass(frozen=True)
class Outcomes:
    """How each contact was delivered, one element per contact: ``automated`` (it started in
    automation), ``live`` (a person handled it), ``transfers``, ``resolved`` (on first contact),
    ``escalated``, ``wait`` and ``handle`` (seconds) and ``cost``."""

    automated: np.ndarray
    live: np.ndarray
    transfers: np.ndarray
    resolved: np.ndarray
    escalated: np.ndarray
    wait: np.ndarray
    handle: np.ndarray
    cost: np.ndarray

    def met_where(self, fixed: np.ndarray, channel: np.ndarray) -> Outcomes:
        """These outcomes with the ``fixed`` contacts made to meet expectations (``met_outcomes``) and
        not escalated; ``channel`` is each contact's position in ``CHANNELS``."""
        met = met_outcomes(self.resolved, self.wait, self.transfers, np.asarray(CHANNELS)[channel])
        resolved, wait, transfers = (
            np.where(fixed, after, before)
            for after, before in zip(met, (self.resolved, self.wait, self.transfers), strict=True)
        )
        return replace(self, resolved=resolved, wait=wait, transfers=transfers, escalated=self.escalated & ~fixed)


def deliver(
    rng: np.random.Generator, reason: np.ndarray, channel: np.ndarray, handler: np.ndarray, ramp: np.ndarray
) -> Outcomes:
    """Draw how each contact was delivered (``Outcomes``).

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
    return Outcomes(automated, live, transfers, resolved, escalated, wait, handle, cost + AUTOMATED_COST * automated)


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
