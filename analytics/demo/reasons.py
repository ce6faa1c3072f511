"""Why customers get in touch: each contact reason's volume, journey stage, importance, tactile weight,
pull on happier customers and delivery, one row per reason (``REASON_PROFILES``)."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class Reason:
    """Everything planted about one contact reason.

    ``share``: its share of contacts. The shares are Pareto-shaped: the top fifth of reasons makes
    about 80% of the volume, yet no reason passes 30%, and the long tail is thick enough that every
    moment of truth gets several hundred post-contact responses at the default size. ``stage``: its
    journey stage. ``importance``: how far a contact for it moves attitude, per unit of experience.
    ``tactile_weight``: the weight of the tactile quality in a contact's experience; the emotive
    weight is 1 minus this. ``attitude_tilt``: who gets in touch about it, as the log of how much
    likelier a customer is to contact for it per unit of attitude above ``ATTITUDE_START``: a
    customer who likes the service is the one who changes plan or takes an upgrade. ``delivery``:
    how the contact centre delivers it (``Delivery``).
    """

    share: float
    stage: str
    importance: float
    tactile_weight: float
    attitude_tilt: float
    delivery: Delivery


#: Every contact reason, by volume rank. Routine requests are taken on and finished by self-service,
#: and quick for whoever answers the rest. Sales (plan changes, upgrades) jump the queue and are quick
#: to do. Disputes, cancellations and complaints go to a person and need a specialist (transfers, long
#: calls); outages arrive in surges and cannot be fixed on the call.
REASON_PROFILES = {
    # columns: Reason(share, stage, importance, tactile_weight, attitude_tilt,
    #                 Delivery(automation, containment, resolution, transfers, wait, handle_minutes))
    "password_reset":       Reason( 0.27, "use",     0.05,  0.9,  0.0, Delivery(2.0, 0.92,  1.5, 0.03, 0.8,  4.5)),
    "billing_question":     Reason( 0.26, "pay",      0.3,  0.6,  0.0, Delivery(1.0, 0.50, -0.3, 0.10, 1.0,  5.5)),
    "address_change":       Reason( 0.24, "get",     0.05,  0.9,  0.0, Delivery(1.5, 0.75,  0.1, 0.05, 0.9,  4.5)),
    "order_status":         Reason(0.035, "get",      0.2,  0.8,  0.0, Delivery(2.0, 0.90,  0.8, 0.05, 0.8,  3.5)),
    "technical_fault":      Reason(0.025, "support",  0.6, 0.75,  0.0, Delivery(0.8, 0.25, -0.7, 0.35, 1.3, 12.0)),
    "plan_change":          Reason(0.022, "buy",      0.3,  0.6, 0.24, Delivery(1.5, 0.90,  0.9, 0.05, 0.5,  3.5)),
    "billing_dispute":      Reason(0.019, "pay",      2.0,  0.3,  0.0, Delivery(0.4, 0.05, -0.4, 0.45, 1.2, 12.0)),
    "payment_failed":       Reason(0.018, "pay",      0.5,  0.6,  0.0, Delivery(1.0, 0.45, -0.5, 0.15, 1.0,  6.0)),
    "delivery_delay":       Reason(0.017, "get",      0.6,  0.7,  0.0, Delivery(1.0, 0.35, -0.8, 0.20, 1.2,  6.0)),
    "service_outage":       Reason(0.016, "support",  1.8,  0.8,  0.0, Delivery(1.0, 0.20, -1.0, 0.35, 1.8,  8.0)),
    "product_question":     Reason(0.016, "learn",    0.2,  0.6,  0.0, Delivery(1.2, 0.70,  0.3, 0.10, 0.8,  4.5)),
    "refund_request":       Reason(0.016, "pay",      0.7,  0.5,  0.0, Delivery(0.7, 0.25, -0.8, 0.25, 1.0,  8.0)),
    "cancellation_request": Reason(0.016, "support",  2.0, 0.25,  0.0, Delivery(0.3, 0.03, -0.3, 0.55, 1.0, 11.0)),
    "complaint":            Reason(0.016, "support",  1.5, 0.35,  0.0, Delivery(0.3, 0.03, -0.8, 0.45, 1.2, 13.0)),
    "upgrade_offer":        Reason(0.014, "buy",      0.3,  0.5,  0.3, Delivery(1.0, 0.80,  0.9, 0.05, 0.5,  4.0)),
}  # fmt: skip
REASONS = tuple(REASON_PROFILES)
#: Views by reason, as ``truth.json`` records them.
REASON_SHARE = {r: x.share for r, x in REASON_PROFILES.items()}
REASON_STAGE = {r: x.stage for r, x in REASON_PROFILES.items()}
IMPORTANCE = {r: x.importance for r, x in REASON_PROFILES.items()}
TACTILE_WEIGHT = {r: x.tactile_weight for r, x in REASON_PROFILES.items()}
REASON_ATTITUDE_TILT = {r: x.attitude_tilt for r, x in REASON_PROFILES.items() if x.attitude_tilt}
DELIVERY = {r: x.delivery for r, x in REASON_PROFILES.items()}

MOMENTS_OF_TRUTH = tuple(r for r, v in IMPORTANCE.items() if v >= 1.0)
LOW_IMPACT = tuple(r for r, v in IMPORTANCE.items() if v <= 0.1)
