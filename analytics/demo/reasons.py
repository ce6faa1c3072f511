"""Why customers get in touch: each contact reason's volume, journey stage, importance and delivery."""

from __future__ import annotations

from dataclasses import dataclass

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
