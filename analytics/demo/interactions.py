"""The interactions table: every contact the demo's customers make, month by month: when, what about,
through which channel, how it was delivered and how it moved the customer's attitude; and the
contacts' latent truth beside it (``contacts_truth.parquet``)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from analytics.data.schema import CHANNELS
from analytics.demo.attitude import ATTITUDE_START, draw_quality, experience_of, move, swing_of
from analytics.demo.columns import Keys
from analytics.demo.customers import PERSONA_PROFILES, PERSONAS, SEGMENTS, Customers, Month
from analytics.demo.delivery import HANDLERS, deliver, draw_handlers
from analytics.demo.reasons import REASON_ATTITUDE_TILT, REASON_SHARE, REASON_STAGE, REASONS

SEGMENT_CONTACT_RATE = {"consumer": 0.45, "smb": 0.65, "enterprise": 1.30}  # contacts per customer-month
BAD_INTERACTION_SHARE = 0.0005  # channel "fax": quarantined on ingest


@dataclass(frozen=True)
class Contacts:
    """Every contact drawn, one element per contact, in the order drawn: its ``owner`` (the customer's
    position), when (``at``, months into the window), ``reason`` and ``channel`` (positions in
    ``REASONS`` and ``CHANNELS``), ``handler`` (position in ``HANDLERS``, -1 for automation alone), its
    outcomes (``delivery.Outcomes``) and its latent ``tactile`` and ``emotive`` quality, ``experience``
    and the owner's attitude before and after it."""

    owner: np.ndarray
    at: np.ndarray
    reason: np.ndarray
    channel: np.ndarray
    automated: np.ndarray
    handler: np.ndarray
    wait: np.ndarray
    handle: np.ndarray
    transfers: np.ndarray
    resolved: np.ndarray
    escalated: np.ndarray
    cost: np.ndarray
    tactile: np.ndarray
    emotive: np.ndarray
    experience: np.ndarray
    attitude_before: np.ndarray
    attitude_after: np.ndarray
    live: np.ndarray

    @property
    def size(self) -> int:
        return int(self.owner.size)

    @classmethod
    def concat(cls, parts: list[Contacts]) -> Contacts:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


def draw_reasons(rng: np.random.Generator, share: np.ndarray, attitude: np.ndarray) -> np.ndarray:
    """Draw each contact's reason: ``REASON_SHARE`` tilted by ``exp(REASON_ATTITUDE_TILT[reason] *
    (attitude - ATTITUDE_START))`` for the customer's attitude at the start of the month."""
    tilt = np.array([REASON_ATTITUDE_TILT.get(r, 0.0) for r in REASONS])
    cum = np.cumsum(share * np.exp(np.outer(attitude - ATTITUDE_START, tilt)), axis=1)
    drawn = (cum <= rng.uniform(0, 1, attitude.size)[:, None] * cum[:, -1:]).sum(axis=1)
    return np.minimum(drawn, len(REASONS) - 1)


def _draw_times(rng: np.random.Generator, people: Customers, month: Month) -> tuple[np.ndarray, np.ndarray]:
    """Who gets in touch in ``month`` and when: a Poisson number of contacts per customer at
    ``SEGMENT_CONTACT_RATE`` times the persona's ``contact_rate`` a month over their exposure, each at a uniform time."""
    idx, begin, exposure = month.alive, month.begin, month.exposure
    contact_rate = (
        np.array([SEGMENT_CONTACT_RATE[s] for s in SEGMENTS])[people.segment[idx]]
        * np.array([PERSONA_PROFILES[p].contact_rate for p in PERSONAS])[people.persona[idx]]
    )
    k = rng.poisson(contact_rate * exposure)
    owner = np.repeat(idx, k)
    at = np.repeat(begin, k) + rng.uniform(0, 1, owner.size) * np.repeat(exposure, k)
    return owner, at


def _draw_channels(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    """Each contact's channel, by its owner's ``persona`` (its ``channel_share``)."""
    channel_cum = np.cumsum([PERSONA_PROFILES[p].channel_share for p in PERSONAS], axis=1)
    cum = channel_cum[persona]
    return np.minimum((rng.uniform(0, 1, persona.size)[:, None] >= cum / cum[:, -1:]).sum(axis=1), len(CHANNELS) - 1)


def draw_contacts(
    rng: np.random.Generator, people: Customers, month: Month, *, months: int, always_met: str | None
) -> Contacts:
    """Draw the contacts of ``month`` and move their owners' attitude (in place) by each one's swing.

    ``always_met`` names a reason whose contacts are all made to meet expectations after their
    outcomes are drawn (``Outcomes.met_where``), so every random draw is the same as without it."""
    owner, at = _draw_times(rng, people, month)
    reason = draw_reasons(rng, np.array([REASON_SHARE[r] for r in REASONS]), people.attitude[owner])
    channel = _draw_channels(rng, people.persona[owner])
    handler, ramp = draw_handlers(rng, at, month.number, months)
    outcome = deliver(rng, reason, channel, handler, ramp)
    if always_met is not None:
        outcome = outcome.met_where(reason == REASONS.index(always_met), channel)
    empathy = np.array([h.empathy for h in HANDLERS.values()])[handler]
    tactile, emotive = draw_quality(rng, outcome.resolved, outcome.wait, outcome.transfers, outcome.live, empathy, ramp)
    experience = experience_of(reason, tactile, emotive)
    swing = swing_of(reason, experience)
    before = move(people.attitude, owner, at, swing)
    return Contacts(
        owner=owner, at=at, reason=reason, channel=channel, automated=outcome.automated,
        handler=np.where(outcome.live, handler, -1), wait=outcome.wait, handle=outcome.handle,
        transfers=outcome.transfers, resolved=outcome.resolved, escalated=outcome.escalated, cost=outcome.cost,
        tactile=tactile, emotive=emotive, experience=experience, attitude_before=before,
        attitude_after=before + swing, live=outcome.live,
    )  # fmt: skip


def interactions_table(rng: np.random.Generator, contacts: Contacts, keys: Keys) -> pa.Table:
    """The interactions table, with a planted bad channel ("fax", quarantined on ingest) on
    ``BAD_INTERACTION_SHARE`` of the contacts once there are 2,000."""
    n = contacts.size
    channel_labels = np.asarray(CHANNELS, dtype=object)[contacts.channel]
    fax = rng.choice(n, size=int(n * BAD_INTERACTION_SHARE), replace=False) if n >= 2000 else np.array([], int)
    channel_labels[fax] = "fax"
    return pa.table(
        {
            "interaction_id": keys.interaction_ids,
            "customer_id": keys.customers(contacts.owner),
            "started_at": keys.timestamps(contacts.at),
            "channel": channel_labels.astype(str),
            "journey_stage": np.asarray([REASON_STAGE[r] for r in REASONS])[contacts.reason],
            "contact_reason": np.asarray(REASONS)[contacts.reason],
            "handled_by": np.where(contacts.handler >= 0, np.asarray(tuple(HANDLERS))[contacts.handler], "automation"),
            "is_automated": contacts.automated,
            "wait_seconds": np.round(contacts.wait, 1),
            "handle_seconds": np.round(contacts.handle, 1),
            "transfers": contacts.transfers.astype(np.int64),
            "is_resolved": contacts.resolved,
            "is_escalated": contacts.escalated,
            "cost": np.round(contacts.cost, 2),
        }
    )


def contacts_truth_table(contacts: Contacts, keys: Keys, ltr: np.ndarray) -> pa.Table:
    """Each contact's latent quantities and the ``ltr`` it would have given, answered or not."""
    return pa.table(
        {
            "interaction_id": keys.interaction_ids,
            "tactile": contacts.tactile,
            "emotive": contacts.emotive,
            "experience": contacts.experience,
            "attitude_before": contacts.attitude_before,
            "attitude_after": contacts.attitude_after,
            "ltr": ltr.astype(np.int64),
        }
    )
