"""The value of fixing a moment, as the generator knows it: the world had that moment met expectations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analytics.data.schema import CHANNELS
from analytics.demo.attitude import ATTITUDE_REVERSION, ATTITUDE_START, EMOTIVE_FROM_OUTCOME, SWING_SCALE
from analytics.demo.churn import ATTITUDE_LOG_HR, BASE_HAZARD, SEGMENT_HR
from analytics.demo.delivery import met_outcomes
from analytics.demo.files import CONTACTS_TRUTH_FILE, SOURCES, load_truth
from analytics.demo.reasons import IMPORTANCE, TACTILE_WEIGHT


def attitude_gain(contacts: pd.DataFrame) -> np.ndarray:
    """How much higher each contact would have left attitude had it met expectations (0 for those
    that did), from the generator's equations: the same noise, only the outcomes changed.

    ``contacts``: ``contact_reason``, ``channel``, ``is_resolved``, ``wait_seconds``, ``transfers``."""
    resolved = contacts["is_resolved"].to_numpy(bool)
    wait = contacts["wait_seconds"].to_numpy(float)
    transfers = contacts["transfers"].to_numpy(float)
    met_resolved, met_wait, met_transfers = met_outcomes(resolved, wait, transfers, contacts["channel"].to_numpy())
    d_resolved = met_resolved.astype(float) - resolved
    d_transfers = met_transfers - transfers
    d_tactile = 1.2 * d_resolved - 0.25 * (np.log1p(met_wait / 60.0) - np.log1p(wait / 60.0)) - 0.4 * d_transfers
    d_emotive = EMOTIVE_FROM_OUTCOME * (1.2 * d_resolved - 0.4 * d_transfers)
    w = contacts["contact_reason"].map(TACTILE_WEIGHT).to_numpy(float)
    importance = contacts["contact_reason"].map(IMPORTANCE).to_numpy(float)
    return importance * (w * d_tactile + (1 - w) * d_emotive) * SWING_SCALE


def value_of_fixing(
    root: Path,
    reason: str,
    *,
    margin_rate: float = 0.30,
    annual_discount: float = 0.10,
    horizon_months: int = 60,
    chunk: int = 200_000,
) -> dict[str, Any]:
    """The true yearly value of making every contact for ``reason`` meet expectations, in the demo
    warehouse at ``root``: expected discounted margin kept, from the generator's own hazards.

    For each contact that did not meet expectations, attitude would have been higher by
    ``attitude_gain``, fading by ``ATTITUDE_REVERSION`` a month. The customer's hazard follows
    their attitude after the contact, reverting to ``ATTITUDE_START``, and the gain lowers it by
    ``exp(ATTITUDE_LOG_HR * gain)``; the kept survival times monthly margin is discounted over
    ``horizon_months``. Summed per segment and scaled to a year of contacts. Returns ``value``,
    ``by_segment``, ``contacts_not_met`` and ``customers_affected``.
    """
    src = Path(root) / SOURCES
    months = load_truth(root)["generator"]["months"]
    columns = ["interaction_id", "customer_id", "channel", "contact_reason", "is_resolved", "wait_seconds", "transfers"]
    contacts = pq.read_table(src / "interactions.parquet", columns=columns).to_pandas()
    contacts = contacts[(contacts["contact_reason"] == reason) & contacts["channel"].isin(CHANNELS)]
    truth_rows = pq.read_table(src / CONTACTS_TRUTH_FILE, columns=["interaction_id", "attitude_after"]).to_pandas()
    people = pq.read_table(src / "customers.parquet", columns=["customer_id", "segment", "plan", "monthly_revenue"])
    contacts = contacts.merge(truth_rows, on="interaction_id").merge(people.to_pandas(), on="customer_id")
    gain = attitude_gain(contacts)
    contacts = contacts.assign(gain=gain)[gain > 0]
    base = (contacts["plan"].map(BASE_HAZARD) * contacts["segment"].map(SEGMENT_HR)).to_numpy(float)
    ahead = np.arange(1, horizon_months + 1, dtype=float)
    fade = (1 - ATTITUDE_REVERSION) ** ahead
    discount = (1 + ((1 + annual_discount) ** (1 / 12) - 1)) ** -ahead
    kept = np.empty(len(contacts))
    for lo in range(0, len(contacts), chunk):
        part = slice(lo, lo + chunk)
        attitude = ATTITUDE_START + (contacts["attitude_after"].to_numpy()[part, None] - ATTITUDE_START) * fade
        hazard = base[part, None] * np.exp(ATTITUDE_LOG_HR * attitude)
        stays = np.exp(-np.cumsum(hazard, axis=1))
        extra = np.cumsum(hazard * np.expm1(ATTITUDE_LOG_HR * contacts["gain"].to_numpy()[part, None] * fade), axis=1)
        kept[part] = (stays * np.expm1(-extra)) @ discount
    value = margin_rate * contacts["monthly_revenue"].to_numpy() * kept * 12 / months
    by_segment = pd.Series(value).groupby(contacts["segment"].to_numpy()).sum()
    return {
        "reason": reason,
        "value": float(value.sum()),
        "by_segment": {str(k): float(v) for k, v in by_segment.items()},
        "contacts_not_met": int(len(contacts)),
        "customers_affected": int(contacts["customer_id"].nunique()),
        "per": "year of contacts",
    }
