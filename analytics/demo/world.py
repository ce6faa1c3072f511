"""The demo world, month by month: customers get in touch, each contact moves their attitude,
attitude drifts back and sets who leaves, and relationship waves invite whoever is still there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.demo.attitude import revert
from analytics.demo.churn import HazardLedger, admit_survivors, base_hazards, draw_leavers
from analytics.demo.customers import Customers, draw_customers
from analytics.demo.interactions import Contacts, draw_contacts
from analytics.demo.invitations import Waves, invite_wave, is_wave


@dataclass(frozen=True)
class World:
    """What ``months`` months drew: the ``customers`` (with their churn), every contact, every
    relationship invitation (``waves``) and the hazards the customers ran at."""

    customers: Customers
    contacts: Contacts
    waves: Waves
    hazards: HazardLedger
    months: int


def simulate(rng: np.random.Generator, *, customers: int, months: int, always_met: str | None) -> World:
    """Draw the customers, then step through the window a month at a time: each month's contacts
    (``interactions.draw_contacts``), attitude's reversion, who leaves (``churn.draw_leavers``), and at
    a wave, whom it invites."""
    people = draw_customers(rng, customers, months)
    admit_survivors(rng, people)
    base_h = base_hazards(people.segment, people.plan)
    hazards = HazardLedger.empty(customers, months)
    contacts: list[Contacts] = []
    waves: list[Waves] = []
    for m in range(months):
        month = people.month(m)
        drawn = draw_contacts(rng, people, month, months=months, always_met=always_met)
        contacts.append(drawn)
        wave = is_wave(month)
        wave_attitude = people.attitude[month.alive] if wave else np.empty(0)  # a copy: reversion won't touch it
        revert(people.attitude, month.alive)
        last_contact = np.full(customers, -np.inf)
        np.maximum.at(last_contact, drawn.owner, drawn.at)
        draw_leavers(rng, people, month, base_h, hazards, last_contact)
        if wave:
            waves.append(invite_wave(people, month, wave_attitude))
    return World(people, Contacts.concat(contacts), Waves.concat(waves), hazards, months)
