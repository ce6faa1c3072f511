"""Who handles contacts (a person from the start, automation and then a person, automation alone) and
how each fares: the channel mix by stage or reason, and satisfaction and repeat contact by handling.
"""

from __future__ import annotations

import pandas as pd
from ibis import _

from analytics.analyses import moments
from analytics.analyses.benchmarks.contacts import (
    HANDLING,
    contact_sums,
    csat_by,
    decode_handling,
    empty_frame,
    handling_code,
    post_contact_answers,
    wilson_rate,
)
from analytics.data import filters
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse

MIX_BY = ("journey_stage", "contact_reason")


def channel_mix(wh: Warehouse, f: Filters = ALL_DATA, *, by: str = "journey_stage") -> pd.DataFrame:
    """Who handles contacts, per journey stage or contact reason: a person from the start,
    automation and then a person, or automation alone.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``handling`` (``HANDLING``), ``volume``, ``volume_share`` of the unit's contacts with
        ``volume_share_low`` and ``volume_share_high`` (Wilson), and ``live_share``: the unit's share of contacts a
        person handled at some point. Shares of a unit add up to 1.
    """
    if by not in MIX_BY:
        raise ValueError(f"cannot show the channel mix by {by!r}; choose one of {', '.join(MIX_BY)}")
    sums = contact_sums(wh, f, "voice")
    columns = [by, "handling", "volume", "volume_share", "volume_share_low", "volume_share_high", "live_share"]
    if sums.empty:
        return empty_frame(columns, text=(by, "handling"))
    cells = sums.groupby([by, "handling"], as_index=False)["volume"].sum()
    grid = pd.MultiIndex.from_product([sorted(cells[by].unique()), HANDLING], names=[by, "handling"])
    cells = cells.set_index([by, "handling"]).reindex(grid, fill_value=0.0).reset_index()
    total = cells.groupby(by)["volume"].transform("sum").to_numpy(float)
    alone = cells["volume"].where(cells["handling"] == HANDLING[2], 0.0).groupby(cells[by]).transform("sum")
    cells["volume_share"], cells["volume_share_low"], cells["volume_share_high"] = wilson_rate(
        cells["volume"].to_numpy(float), total
    )
    cells["live_share"] = 1 - alone.to_numpy(float) / total
    cells["volume"] = cells["volume"].astype("int64")
    return cells[columns]


def automation_outcomes(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Satisfaction and repeat contact by how contacts were handled (``HANDLING``): do automated
    contacts satisfy, with and without a person taking over, and do customers come back?

    Returns
    -------
    pandas.DataFrame
        ``handling``, ``volume``, ``repeats`` and ``repeat_rate`` with ``repeat_rate_low`` /
        ``repeat_rate_high`` (Wilson): contacts followed by another from the same customer for the same
        reason within ``moments.REPEAT_DAYS`` days; ``n``, ``nps`` with its clustered interval,
        ``csat`` (top-2-box) with ``csat_n`` and its interval. One row per handling with contacts.
    """
    columns = ["handling", "volume", "repeats", "repeat_rate", "repeat_rate_low", "repeat_rate_high"]
    columns += ["n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high", "csat_n", "csat"]
    columns += ["csat_low", "csat_high"]
    t = filters.interactions(wh, f)
    # The window sorts every contact in scope: only what it needs rides along.
    t = moments.with_repeats(t.select("customer_id", "contact_reason", "started_at", code=handling_code(t)))
    counts = t.group_by("code").aggregate(volume=_.count(), repeats=_.repeat.sum()).execute()
    if counts.empty:
        return empty_frame(columns, text=("handling",))
    counts = decode_handling(counts.rename(columns={"code": "handling"}))
    counts["volume"] = counts["volume"].astype("int64")
    counts["repeats"] = counts["repeats"].fillna(0).astype("int64")
    counts["repeat_rate"], counts["repeat_rate_low"], counts["repeat_rate_high"] = wilson_rate(
        counts["repeats"].to_numpy(float), counts["volume"].to_numpy(float)
    )
    answers = post_contact_answers(wh, f)
    out = counts.merge(decode_handling(csat_by(answers, ["handling"], nps=True)), on="handling", how="outer")
    for column in ("volume", "repeats", "n", "promoters", "passives", "detractors", "csat_n"):
        out[column] = out[column].fillna(0).astype("int64")
    order = {h: i for i, h in enumerate(HANDLING)}
    return out.sort_values("handling", key=lambda s: s.map(order), ignore_index=True)[columns]
