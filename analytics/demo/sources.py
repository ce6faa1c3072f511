"""Generate the demo's source files and ``truth.json``: the world (``world.simulate``), then its tables
in the order their random draws come, then the truth of what was planted and realised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.demo.assessment import assessment_table
from analytics.demo.attributes import attributes_table
from analytics.demo.columns import Keys, ids, window_start_us
from analytics.demo.customers import customers_table, personas_table
from analytics.demo.files import CONTACTS_TRUTH_FILE, PERSONAS_FILE, TABLE_FILES, TRUTH_FILE
from analytics.demo.interactions import contacts_truth_table, interactions_table
from analytics.demo.invitations import invitations_table, sent_after_contacts
from analytics.demo.reasons import REASONS
from analytics.demo.surveys import Answers, draw_answers, surveys_table
from analytics.demo.truth import world_truth
from analytics.demo.world import World, simulate


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
    if always_met is not None and always_met not in REASONS:
        raise ValueError(f"always_met must be a contact reason ({', '.join(REASONS)}), not {always_met!r}")
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    world = simulate(rng, customers=customers, months=months, always_met=always_met)
    keys = Keys(ids("C", customers), ids("I", world.contacts.size), window_start_us(months))
    tables, answers = draw_tables(rng, world, keys)
    beside = {
        PERSONAS_FILE: personas_table(world.customers, keys),
        CONTACTS_TRUTH_FILE: contacts_truth_table(world.contacts, keys, answers.ltr),
    }
    return _write(directory, tables, beside, world_truth(world, answers, seed=seed, always_met=always_met))


def draw_tables(rng: np.random.Generator, world: World, keys: Keys) -> tuple[dict[str, pa.Table], Answers]:
    """Every table of ``world``, and the answers of everyone invited. The planted bad channels are
    drawn first, then the answers, then when they came and what they said."""
    contacts, people = world.contacts, world.customers
    interactions = interactions_table(rng, contacts, keys)
    answers = draw_answers(rng, contacts, world.waves)
    sent_at = sent_after_contacts(contacts, people.end_of_life(world.months))
    tables = {
        "attributes": attributes_table(),
        "assessment": assessment_table(),
        "customers": customers_table(people, keys),
        "interactions": interactions,
        "invitations": invitations_table(contacts, world.waves, sent_at, keys),
        "surveys": surveys_table(rng, answers, world, sent_at, keys),
    }
    return tables, answers


def _write(
    directory: Path, tables: dict[str, pa.Table], beside: dict[str, pa.Table], truth: dict[str, Any]
) -> dict[str, Path]:
    """Write each table to its file (``TABLE_FILES``), the files beside them and ``truth.json``."""
    files = {table: directory / name for table, name in TABLE_FILES.items()}
    for table, path in files.items():
        if path.suffix == ".csv":
            pacsv.write_csv(tables[table], path)
        else:
            pq.write_table(tables[table], path)
    for name, table in beside.items():
        pq.write_table(table, directory / name)
    (directory / TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n")
    return files
