"""Partners against a common standard: every handler's KPIs beside the ``Standard``'s targets, and the
share of partners meeting it beside the published figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import names
from analytics.analyses.benchmarks.contacts import (
    ALONE,
    HANDLING,
    SUMS,
    contact_sums,
    csat_by,
    empty_frame,
    post_contact_answers,
    wilson_rate,
)
from analytics.analyses.benchmarks.published import figure_number, reference
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats.nps import MIN_N


@dataclass(frozen=True)
class Standard:
    """The common CX standard every handler is held to. Defaults:

    - CSAT: at least 40% of post-contact CSAT answers 4 or 5 (``min_csat``);
    - NPS: post-contact NPS of at least 0 (``min_nps``);
    - average speed of answer: at most 240 s on ``asa_channel`` contacts handled by a person
      (``max_asa_seconds``; voice by default, where waiting is measured in seconds);
    - first-contact resolution: at least 70% of the handler's contacts resolved (``min_fcr``);
    - escalation: at most 15% escalated from L1 to L2/3 (``max_escalation``);
    - cost: at most 1.5 times the in-house team's cost per contact (``max_cost_ratio``; ``in_house``
      names that team).

    A handler meets the standard when it meets every criterion on its point estimates and has at
    least ``min_responses`` post-contact responses; a criterion that cannot be measured (no voice
    contacts, no in-house team in scope) is not met. Where a criterion's 95% interval holds the
    target the scorecard says the verdict is not clear.
    """

    min_csat: float = 0.40
    min_nps: float = 0.0
    max_asa_seconds: float = 240.0
    min_fcr: float = 0.70
    max_escalation: float = 0.15
    max_cost_ratio: float = 1.5
    in_house: str = "in_house"
    asa_channel: str = "voice"
    min_responses: int = MIN_N

    def describe(self) -> str:
        return (
            f"CSAT (4-5 of 5) at least {self.min_csat:.0%}; post-contact NPS at least {self.min_nps:+g}; average "
            f"speed of answer on {names.phrase(self.asa_channel)} at most {self.max_asa_seconds:g} s; first-contact "
            f"resolution at least {self.min_fcr:.0%}; escalation at most {self.max_escalation:.0%}; cost per contact "
            f"at most {self.max_cost_ratio:g} times the in-house team's"
            + ("" if self.in_house == "in_house" else f" ({names.name(self.in_house)})")
            + f"; at least {self.min_responses} "
            "post-contact responses to judge."
        )


#: Criterion -> (value column, lower bound, upper bound, target attribute of ``Standard``, at least?).
CRITERIA = {
    "csat": ("csat", "csat_low", "csat_high", "min_csat", True),
    "nps": ("nps", "nps_low", "nps_high", "min_nps", True),
    "asa": ("asa_seconds", None, None, "max_asa_seconds", False),
    "fcr": ("fcr", "fcr_low", "fcr_high", "min_fcr", True),
    "escalation": ("escalation_rate", "escalation_rate_low", "escalation_rate_high", "max_escalation", False),
    "cost": ("cost_ratio", None, None, "max_cost_ratio", False),
}
CRITERION_WORDS = {
    "csat": "CSAT",
    "nps": "NPS",
    "asa": "speed of answer",
    "fcr": "first-contact resolution",
    "escalation": "escalation",
    "cost": "cost",
}
SCORECARD_COLUMNS = [
    "handled_by",
    "is_partner",
    "volume",
    "n",
    "nps",
    "nps_low",
    "nps_high",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "asa_seconds",
    "asa_n",
    "fcr",
    "fcr_low",
    "fcr_high",
    "escalation_rate",
    "escalation_rate_low",
    "escalation_rate_high",
    "cost_per_contact",
    "cost_ratio",
    *(f"meets_{c}" for c in CRITERIA),
    "meets_standard",
    "unmet",
    "unclear",
]


def handler_kpis(sums: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Contact KPIs per group of ``keys`` from ``contact_sums``-shaped sums of live contacts:
    ``volume``, ``asa_seconds``, ``asa_n``, ``fcr`` and ``escalation_rate`` with Wilson intervals,
    ``cost_per_contact``."""
    g = sums.groupby(list(keys), as_index=False)[list(SUMS)].sum()
    out = g[list(keys)].copy()
    out["volume"] = g["volume"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["asa_seconds"] = np.where(g["asa_n"] > 0, g["asa_sum"] / g["asa_n"], np.nan)
        out["cost_per_contact"] = np.where(g["cost_n"] > 0, g["cost_sum"] / g["cost_n"], np.nan)
    out["asa_n"] = g["asa_n"].astype("int64")
    out["fcr"], out["fcr_low"], out["fcr_high"] = wilson_rate(g["resolved"].to_numpy(), g["resolved_n"].to_numpy())
    out["escalation_rate"], out["escalation_rate_low"], out["escalation_rate_high"] = wilson_rate(
        g["escalated"].to_numpy(), g["escalated_n"].to_numpy()
    )
    return out


def partner_scorecard(wh: Warehouse, f: Filters = ALL_DATA, *, standard: Standard | None = None) -> pd.DataFrame:
    """Every handler that people work in (the in-house team and each partner) against ``standard``.

    Contacts count for the handler that handled them; a handler whose every contact in scope was
    finished by automation without a person is automation, not a team, and is left out.

    Returns
    -------
    pandas.DataFrame
        ``SCORECARD_COLUMNS``: ``is_partner`` (not the in-house team), ``volume``, ``n`` and
        ``nps`` with its interval (clustered by customer), CSAT (top-2-box) with its interval,
        ``asa_seconds`` (mean wait of ``standard.asa_channel`` contacts) with ``asa_n``, ``fcr`` and
        ``escalation_rate`` with Wilson intervals, ``cost_per_contact`` and ``cost_ratio`` (over the
        in-house team's), ``meets_<criterion>`` for each of ``CRITERIA``, ``meets_standard``,
        ``unmet`` and ``unclear`` (criteria, in words, whose interval holds the target). In-house
        first, then partners by name.
    """
    standard = standard or Standard()
    sums = contact_sums(wh, f, standard.asa_channel)
    if sums.empty:
        return empty_frame(
            SCORECARD_COLUMNS,
            text=("handled_by", "unmet", "unclear"),
            flags=("is_partner", "meets_standard", *(f"meets_{c}" for c in CRITERIA)),
        )
    live = sums[sums["handling"] != HANDLING[2]]
    table = handler_kpis(live, ["handled_by"])
    answers = post_contact_answers(wh, f)
    people = answers.filter(answers.handling != ALONE)
    table = table.merge(csat_by(people, ["handled_by"], nps=True), on="handled_by", how="outer")
    for column in ("volume", "asa_n", "n", "csat_n"):
        table[column] = table[column].fillna(0).astype("int64")
    home = table.loc[table["handled_by"] == standard.in_house, "cost_per_contact"]
    home_cost = float(home.iloc[0]) if len(home) else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        table["cost_ratio"] = table["cost_per_contact"] / home_cost if home_cost > 0 else np.nan
    table["is_partner"] = table["handled_by"] != standard.in_house
    judged = table["n"] >= standard.min_responses
    unmet: list[list[str]] = [[] if ok else ["too few responses"] for ok in judged]
    unclear: list[list[str]] = [[] for _ in range(len(table))]
    meets_all = judged.to_numpy().copy()
    for name, (value, low, high, target_name, at_least) in CRITERIA.items():
        target = float(getattr(standard, target_name))
        v = table[value].to_numpy(float)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(v) & ((v >= target) if at_least else (v <= target))
        table[f"meets_{name}"] = ok
        meets_all &= ok
        for i in np.flatnonzero(~ok):
            unmet[i].append(CRITERION_WORDS[name] + ("" if np.isfinite(v[i]) else " (not measured)"))
        if low is not None:
            lo, hi = table[low].to_numpy(float), table[high].to_numpy(float)
            for i in np.flatnonzero((lo <= target) & (target <= hi)):
                unclear[i].append(CRITERION_WORDS[name])
    table["meets_standard"] = meets_all
    table["unmet"] = ["; ".join(u) or None for u in unmet]
    table["unclear"] = ["; ".join(u) or None for u in unclear]
    table = table.sort_values(["is_partner", "handled_by"], ignore_index=True)
    return table[SCORECARD_COLUMNS]


#: The published figure the share of partners meeting the standard is set beside.
PARTNER_STANDARD_METRIC = "able to hold partners to a common CX standard"


@dataclass(frozen=True)
class StandardShare:
    """Partners meeting the standard, beside the published share of iconic firms able to hold their
    partners to one. The two measure different things (a share of our partners; a share of firms),
    and ``note`` says so."""

    partners: int
    meeting: int
    share: float | None
    #: Partners with enough post-contact answers to be judged (``Standard.min_responses``); the
    #: share is over these.
    judged: int
    published_iconic: float | None
    published_all: float | None
    source: str
    note: str


def standard_share(scorecard: pd.DataFrame, ref: pd.DataFrame | None = None) -> StandardShare:
    """How many partners (handlers other than the in-house team) meet the standard, and the published
    figures for iconic firms and all respondents."""
    ref = reference() if ref is None else ref
    row = ref[ref["metric"] == PARTNER_STANDARD_METRIC].iloc[0]
    partners = scorecard[scorecard["is_partner"].astype(bool)]
    meeting = int(partners["meets_standard"].astype(bool).sum())
    judged = int((~partners["unmet"].fillna("").str.contains("too few responses")).sum())
    return StandardShare(
        partners=len(partners),
        meeting=meeting,
        share=meeting / judged if judged else None,
        judged=judged,
        published_iconic=figure_number(row["iconic"]),
        published_all=figure_number(row["all_respondents"]),
        source=str(row["source"]),
        note=(
            "Not the same measure: the published figure is the share of firms that say they can hold partners to a "
            f"common CX standard; ours is the share of our partners that meet one. {row['note']}."
        ),
    )
