"""Seeded synthetic demo data, ingested through the same validated path as a user's files.

This first version produces a small, realistic-looking contact-centre world (customers, interactions,
surveys, attribute descriptions and a self-assessment) so that the dashboard, the notebooks and the
tests have something to run on. It plants a small share of deliberately bad rows so the quarantine is
never empty. Everything is vectorised numpy; the same seed gives the same files byte for byte.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics import schema
from analytics.ingest import IngestResult, ingest

#: The demo world ends here (a fixed date keeps builds reproducible and never in the future).
WINDOW_END = pd.Timestamp("2026-06-30 23:59:59", tz="UTC")
SOURCES = "_sources"

SEGMENTS = ("consumer", "smb", "enterprise")
SEGMENT_SHARE = (0.72, 0.23, 0.05)
SEGMENT_REVENUE = (35.0, 220.0, 2400.0)  # median monthly revenue
REGIONS = ("north", "south", "east", "west")
PLANS = ("monthly", "annual", "two_year")
PLAN_MONTHLY_CHURN = (0.035, 0.015, 0.008)
CHANNEL_SHARE = (0.38, 0.22, 0.12, 0.16, 0.04, 0.08)
HANDLERS = ("in_house", "partner_a", "partner_b")
REASONS = (
    "password_reset", "billing_question", "address_change", "order_status", "technical_fault",
    "billing_dispute", "plan_change", "service_outage", "cancellation_request", "payment_failed",
    "delivery_delay", "product_question", "complaint", "refund_request", "upgrade_offer",
)  # fmt: skip
REASON_STAGE = (
    "use", "pay", "get", "get", "support", "pay", "buy", "support", "support", "pay",
    "get", "learn", "support", "pay", "buy",
)  # fmt: skip
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
)


def generate(directory: Path, *, customers: int = 2_000, months: int = 24, seed: int = 7) -> dict[str, Path]:
    """Write the demo source files into ``directory`` and return ``{table: file}``.

    Parameters
    ----------
    directory
        Where to write the files (created if needed).
    customers
        Number of customers.
    months
        Length of the observation window, ending at ``WINDOW_END``.
    seed
        Seed for ``numpy.random.default_rng``.
    """
    if customers < 10 or months < 2:
        raise ValueError("the demo needs at least 10 customers and 2 months")
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    start = WINDOW_END - pd.DateOffset(months=months)
    span = (WINDOW_END - start).total_seconds()

    # Customers: a fifth signed up before the window (left-truncated for survival analysis).
    n = customers
    seg = rng.choice(len(SEGMENTS), n, p=SEGMENT_SHARE)
    plan = rng.choice(len(PLANS), n, p=(0.5, 0.35, 0.15))
    signup_offset = rng.uniform(-0.25 * span, 0.95 * span, n)
    signup = start + pd.to_timedelta(signup_offset, unit="s")
    monthly_churn = np.asarray(PLAN_MONTHLY_CHURN)[plan]
    life_seconds = rng.exponential(1 / monthly_churn, n) * 30.4 * 86400
    churn = signup + pd.to_timedelta(life_seconds, unit="s")
    churned_at = pd.Series(churn).where(churn <= WINDOW_END)
    revenue = np.round(np.asarray(SEGMENT_REVENUE)[seg] * rng.lognormal(0.0, 0.6, n), 2)
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    cust = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_at": signup,
            "churned_at": churned_at,
            "segment": np.asarray(SEGMENTS)[seg],
            "region": np.asarray(REGIONS)[rng.integers(0, len(REGIONS), n)],
            "plan": np.asarray(PLANS)[plan],
            "monthly_revenue": revenue,
        }
    )

    # Interactions: Poisson per customer-month of exposure; reasons follow a Pareto-like curve.
    active_from = np.maximum(signup_offset, 0.0)
    active_to = np.where(churned_at.isna(), span, (churn - start).total_seconds())
    exposure_months = np.clip(active_to - active_from, 0, None) / (30.4 * 86400)
    counts = rng.poisson(0.45 * exposure_months)
    owner = np.repeat(np.arange(n), counts)
    m = owner.size
    at = active_from[owner] + rng.uniform(0, 1, m) * (active_to[owner] - active_from[owner])
    weights = 1 / np.arange(1, len(REASONS) + 1) ** 1.3
    reason = rng.choice(len(REASONS), m, p=weights / weights.sum())
    channel = rng.choice(len(schema.CHANNELS), m, p=CHANNEL_SHARE)
    handler = rng.choice(len(HANDLERS), m, p=(0.5, 0.3, 0.2))
    automated = np.isin(channel, (3, 5)) & (rng.uniform(0, 1, m) < 0.8)
    live = ~automated
    wait = np.where(live, rng.gamma(2.0, 60.0, m) * np.asarray((1.0, 1.6, 0.8))[handler], 0.0)
    handle = rng.gamma(3.0, 120.0, m) * np.where(automated, 0.2, 1.0)
    transfers = rng.poisson(np.where(live, 0.25, 0.05))
    resolved = rng.uniform(0, 1, m) < np.asarray((0.78, 0.64, 0.86))[handler] - 0.08 * transfers
    escalated = ~resolved & (rng.uniform(0, 1, m) < 0.5)
    cost = np.round(np.where(automated, 0.4, handle / 60 * np.asarray((0.9, 0.55, 1.3))[handler]), 2)
    inter = pd.DataFrame(
        {
            "interaction_id": np.char.add("I", np.char.zfill(np.arange(1, m + 1).astype(str), 9)),
            "customer_id": ids[owner],
            "started_at": start + pd.to_timedelta(at, unit="s"),
            "channel": np.asarray(schema.CHANNELS)[channel],
            "journey_stage": np.asarray(REASON_STAGE)[reason],
            "contact_reason": np.asarray(REASONS)[reason],
            "handled_by": np.asarray(HANDLERS)[handler],
            "is_automated": automated,
            "wait_seconds": np.round(wait, 1),
            "handle_seconds": np.round(handle, 1),
            "transfers": transfers,
            "is_resolved": resolved,
            "is_escalated": escalated,
            "cost": cost,
        }
    )

    # Post-contact surveys for about a fifth of contacts.
    answered = np.flatnonzero(rng.uniform(0, 1, m) < 0.2)
    k = answered.size
    mood = (
        1.6 * resolved[answered]
        - 0.004 * wait[answered]
        - 0.5 * transfers[answered]
        + np.asarray((0.0, -0.6, 0.5))[handler[answered]]
        + rng.normal(0, 1.4, k)
    )
    ltr = np.clip(np.round(6.5 + mood), 0, 10).astype(int)
    ratings = {
        f"{schema.RATING_PREFIX}{name}": np.clip(np.round(3 + 0.5 * mood + rng.normal(0, 0.7, k)), 1, 5)
        for name, _, _ in ATTRIBUTES
    }
    surveys = pd.DataFrame(
        {
            "survey_id": np.char.add("S", np.char.zfill(np.arange(1, k + 1).astype(str), 9)),
            "customer_id": inter["customer_id"].to_numpy()[answered],
            "interaction_id": inter["interaction_id"].to_numpy()[answered],
            "responded_at": (inter["started_at"].iloc[answered] + pd.Timedelta(hours=2)).reset_index(drop=True),
            "ltr": ltr,
            "csat": np.clip(np.round(3 + 0.6 * mood), 1, 5).astype(int),
            "effort": np.clip(np.round(4 - 0.8 * mood), 1, 7).astype(int),
            **ratings,
            "verbatim": np.where(
                ltr >= 9, "Quick and friendly, thanks", np.where(ltr <= 6, "Took too long to sort out", "")
            ),
        }
    )
    # A few deliberately bad responses (LTR out of range) so the quarantine has something real; about
    # 0.2%, and none in a demo too small to stay under the default 1% rejection limit.
    bad = rng.choice(k, size=max(1, k // 500), replace=False) if k >= 100 else np.array([], int)
    surveys.loc[bad, "ltr"] = 11

    files = {
        "customers": directory / "customers.parquet",
        "interactions": directory / "interactions.parquet",
        "surveys": directory / "surveys.parquet",
        "attributes": directory / "attributes.csv",
        "assessment": directory / "assessment.csv",
    }
    pq.write_table(pa.Table.from_pandas(cust, preserve_index=False), files["customers"])
    pq.write_table(pa.Table.from_pandas(inter, preserve_index=False), files["interactions"])
    pq.write_table(pa.Table.from_pandas(surveys, preserve_index=False), files["surveys"])
    attrs = pd.DataFrame(ATTRIBUTES, columns=["attribute", "label", "kind"]).assign(scale_min=1, scale_max=5)
    pacsv.write_csv(pa.Table.from_pandas(attrs, preserve_index=False), files["attributes"])
    answers = pd.DataFrame(ASSESSMENT, columns=["question_id", "question", "answer"])
    pacsv.write_csv(pa.Table.from_pandas(answers, preserve_index=False), files["assessment"])
    return files


def build(
    root: Path,
    *,
    customers: int = 2_000,
    months: int = 24,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> list[IngestResult]:
    """Generate the demo files under ``root/_sources`` and ingest each through ``analytics.ingest``.

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
    files = generate(root / SOURCES, customers=customers, months=months, seed=seed)
    results = []
    for table in ("attributes", "assessment", "customers", "interactions", "surveys"):
        results.append(ingest(table, files[table], warehouse_path=root, progress=say))
    return results
