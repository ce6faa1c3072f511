"""The invitations table: one after every contact, and one to every customer alive at a relationship wave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from analytics.data.schema import CHANNELS
from analytics.demo.columns import Keys, ids
from analytics.demo.customers import Customers, Month
from analytics.demo.interactions import Contacts
from analytics.stats.units import MONTH_SECONDS


@dataclass(frozen=True)
class RelationshipSurvey:
    """How the periodic relationship survey runs: a wave goes out in the last of every
    ``every_months`` months, ``sent_at`` months into it, by ``medium``, to every customer alive then,
    and a ``response`` share of them answer."""

    every_months: int
    sent_at: float
    medium: str
    response: float


RELATIONSHIP = RelationshipSurvey(every_months=6, sent_at=0.85, medium="email", response=0.20)
#: How a post-contact invitation reaches the customer, by the contact's channel.
INVITATION_MEDIUM = {
    "voice": "sms",
    "chat": "in_app",
    "email": "email",
    "web": "in_app",
    "social": "email",
    "ivr": "sms",
}


@dataclass(frozen=True)
class Waves:
    """Every relationship invitation, one element each: its ``owner`` (the customer's position), when it
    was sent (``at``, months into the window) and the customer's ``attitude`` at the wave."""

    owner: np.ndarray
    at: np.ndarray
    attitude: np.ndarray

    @classmethod
    def concat(cls, parts: list[Waves]) -> Waves:
        owner, at, attitude = (
            np.concatenate([getattr(p, key) for p in parts]) if parts else np.array([])
            for key in ("owner", "at", "attitude")
        )
        return cls(owner.astype(np.int64), at, attitude)


def is_wave(month: Month) -> bool:
    """Whether a relationship wave goes out in ``month``: the last of every ``RELATIONSHIP.every_months``."""
    return (month.number + 1) % RELATIONSHIP.every_months == 0


def invite_wave(people: Customers, month: Month, attitude: np.ndarray) -> Waves:
    """The wave of ``month``: invite only customers alive when it goes out, signed up and not (yet)
    gone; ``attitude`` is that of each of the month's customers at the wave."""
    sent = month.number + RELATIONSHIP.sent_at
    idx = month.alive
    invited = (people.signup[idx] <= sent) & ~(people.churn[idx] < sent)
    return Waves(idx[invited], np.full(int(invited.sum()), sent), attitude[invited])


def within_lifetime(t: np.ndarray, earliest: np.ndarray, end_of_life: np.ndarray) -> np.ndarray:
    """Times ``t`` kept between ``earliest`` and the customer's ``end_of_life`` (``Customers.end_of_life``
    of each time's customer): a survey is never dated after its customer left or the window ended."""
    return np.maximum(earliest, np.minimum(t, end_of_life))


def sent_after_contacts(contacts: Contacts, end_of_life: np.ndarray) -> np.ndarray:
    """When each contact's invitation goes out: as the contact ends, within its customer's lifetime
    (``end_of_life`` per customer)."""
    return within_lifetime(contacts.at + contacts.handle / MONTH_SECONDS, contacts.at, end_of_life[contacts.owner])


def invitations_table(contacts: Contacts, waves: Waves, sent_at: np.ndarray, keys: Keys) -> pa.Table:
    """The invitations table: one per contact, sent at ``sent_at`` through the medium of its channel
    (``INVITATION_MEDIUM``), then one per relationship invitation, by ``RELATIONSHIP.medium``."""
    n_waves = waves.owner.size
    medium = np.asarray([INVITATION_MEDIUM[c] for c in CHANNELS])[contacts.channel]
    return pa.table(
        {
            "invitation_id": ids("V", contacts.size + n_waves),
            "customer_id": keys.customers(np.concatenate([contacts.owner, waves.owner])),
            "interaction_id": pa.concat_arrays([keys.interaction_ids, pa.nulls(n_waves, pa.string())]),
            "sent_at": keys.timestamps(np.concatenate([sent_at, waves.at])),
            "channel": np.concatenate([medium, np.full(n_waves, RELATIONSHIP.medium)]),
        }
    )
