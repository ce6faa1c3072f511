"""The whole benchmarks analysis of one scope, as the page opens it and ``iconic analyze benchmarks``
prints it: a few sentences (``summary``) and every part at once (``report``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics import names
from analytics.analyses.benchmarks.assessment import DISTANCE_METHOD, assessment_items, distance_to_profiles
from analytics.analyses.benchmarks.automation import channel_mix
from analytics.analyses.benchmarks.partners import CRITERIA, Standard, StandardShare, partner_scorecard, standard_share
from analytics.analyses.benchmarks.ramp import RAMP_COLUMNS, partner_ramp, ramp_sentence
from analytics.analyses.benchmarks.stances import StanceRule, said_against_shown, stance_by_stage
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats.nps import MIN_N


def summary(
    distances: pd.DataFrame, stages: pd.DataFrame, scorecard: pd.DataFrame, share: StandardShare, ramp: pd.DataFrame
) -> list[str]:
    """Two to four sentences for the top of the page, from the numbers below them."""
    lines = []
    d = distances.set_index("profile")
    if d.loc["iconic", "distance"] == d.loc["iconic", "distance"]:
        text = (
            f"Your self-assessment is {d.loc['iconic', 'distance']:.0f} points from the iconic profile (mean gap over "
            f"{int(d.loc['iconic', 'items'])} questions; the published figures come from a secondary source)."
        )
        shared = d["shared_distance"]
        if shared.notna().all():
            parts = ", ".join(f"{p} {shared[p]:.0f}" for p in shared.index)
            text += (
                f" On the {int(d['shared_items'].iloc[0])} questions all three profiles publish, it is closest to "
                f"{shared.idxmin()} ({parts} points)."
            )
        lines.append(text)
    if share.partners and not share.judged:
        lines.append(
            f"Too few answers to judge any of the {share.partners} partners against the common standard: each needs "
            f"{MIN_N} post-contact responses in scope."
        )
    elif share.partners:
        partners = scorecard[scorecard["is_partner"].astype(bool)]
        thin = partners["unmet"].fillna("").str.contains("too few responses")
        failing = partners.loc[~thin & ~partners["meets_standard"].astype(bool), "handled_by"]
        listed = ", ".join(names.phrase(h) for h in failing)
        unjudged = int(thin.sum())
        lines.append(
            f"{share.meeting} of {share.judged} partners {'meets' if share.meeting == 1 else 'meet'} the common "
            "standard"
            + (f" ({listed} {'does' if len(failing) == 1 else 'do'} not)" if listed else "")
            + (f", and {unjudged} {'has' if unjudged == 1 else 'have'} too few answers to judge" if unjudged else "")
            + f"; the published figure is that about {share.published_iconic:g}% of iconic firms can hold partners "
            "to one (a different measure)."
        )
    parted = said_against_shown(stages)
    if parted:
        lines.append(parted[0] + (f" ({len(parted) - 1} more stages part below.)" if len(parted) > 1 else ""))
    if not ramp.empty:
        sentence = ramp_sentence(ramp[ramp["handled_by"] == ramp["handled_by"].iloc[0]])
        if sentence:
            lines.append(sentence)
    return lines


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes ``None``, times ISO text."""
    records: list[dict[str, Any]] = json.loads(frame[list(columns)].to_json(orient="records", date_format="iso"))
    return records


@dataclass(frozen=True)
class BenchmarkReport:
    """The whole benchmarks analysis of one scope (``report``): what the page, the notebook and
    ``iconic analyze benchmarks`` show."""

    items: pd.DataFrame
    distances: pd.DataFrame
    stages: pd.DataFrame
    scorecard: pd.DataFrame
    share: StandardShare
    ramp: pd.DataFrame
    channel_mix: pd.DataFrame
    standard: Standard
    rule: StanceRule
    kpi: str

    @property
    def distance_to_iconic(self) -> float | None:
        value = float(self.distances.set_index("profile").loc["iconic", "distance"])
        return None if math.isnan(value) else value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``distance_to_iconic`` (with ``distance_method`` and every profile's
        ``distances``), ``items``, ``stages``, ``partners`` (with ``standard`` and ``standard_share``),
        ``ramp`` (one entry per handler that went live inside the scope, with its ``weeks``) and
        ``channel_mix``."""
        items = self.items.rename(
            columns={"all_respondents": "all", "poor_performers": "poor", "answer_score": "score"}
        )
        ramps = []
        for handler in dict.fromkeys(self.ramp["handled_by"]):
            weeks = self.ramp[self.ramp["handled_by"] == handler]
            reached = weeks["reached_target_week"].iloc[0]
            ramps.append(
                {
                    "handled_by": handler,
                    "went_live_at": pd.Timestamp(weeks["went_live_at"].iloc[0]).isoformat(),
                    "kpi": self.kpi,
                    "target": float(weeks["target"].iloc[0]),
                    "reached_target_week": None if reached != reached else int(reached),
                    "surge_weeks": weeks.loc[weeks["surge"].astype(bool), "week"].astype(int).tolist(),
                    "weeks": _records(weeks, [c for c in RAMP_COLUMNS if c not in RAMP_HANDLER_COLUMNS]),
                }
            )
        partners = ["handled_by", "is_partner", "volume", "n", "nps", "nps_low", "nps_high", "csat_n", "csat"]
        partners += ["csat_low", "csat_high", "asa_seconds", "asa_n", "fcr", "fcr_low", "fcr_high", "escalation_rate"]
        partners += ["escalation_rate_low", "escalation_rate_high", "cost_per_contact", "cost_ratio"]
        partners += [*(f"meets_{c}" for c in CRITERIA), "meets_standard", "unmet", "unclear"]
        return {
            "distance_to_iconic": self.distance_to_iconic,
            "distance_method": DISTANCE_METHOD,
            "distances": _records(self.distances, ["profile", "distance", "items", "shared_distance", "shared_items"]),
            "items": _records(
                items,
                ["question_id", "question", "kind", "answer", "score", "iconic", "all", "poor", "unit", "resembles"]
                + ["source", "note", "context"],
            ),
            "stages": _records(
                self.stages,
                ["journey_stage", "survey_stage", "said", "shown", "agrees", "n", "nps", "nps_low", "nps_high"]
                + ["nps_diff", "cost_per_contact", "satisfaction", "efficiency"],
            ),
            "stance_rule": self.rule.describe(),
            "partners": _records(self.scorecard, partners),
            "standard": {**vars(self.standard), "description": self.standard.describe()},
            "standard_share": vars(self.share),
            "ramp": ramps,
            "channel_mix": _records(
                self.channel_mix, ["journey_stage", "handling", "volume", "volume_share", "live_share"]
            ),
        }


RAMP_HANDLER_COLUMNS = ("handled_by", "went_live_at", "target", "reached_target_week")


def report(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    standard: Standard | None = None,
    kpi: str = "fcr",
    rule: StanceRule | None = None,
) -> BenchmarkReport:
    """The whole benchmarks analysis of scope ``f``: the self-assessment against the profiles, the
    stance by stage said against shown, the partner scorecard and the share meeting the standard,
    each new partner's first weeks (judged on ``kpi``) and the channel mix by stage."""
    standard = standard or Standard()
    rule = rule or StanceRule()
    items = assessment_items(wh)
    scorecard = partner_scorecard(wh, f, standard=standard)
    return BenchmarkReport(
        items=items,
        distances=distance_to_profiles(items),
        stages=stance_by_stage(wh, f, rule=rule),
        scorecard=scorecard,
        share=standard_share(scorecard),
        ramp=partner_ramp(wh, f, kpi=kpi, standard=standard),
        channel_mix=channel_mix(wh, f),
        standard=standard,
        rule=rule,
        kpi=kpi,
    )
