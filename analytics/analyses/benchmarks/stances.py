"""Satisfaction against efficiency: per journey stage, channel, handler or contact reason, which one a
unit shows (``StanceRule``), and per stage what the self-assessment says beside what the data shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import names
from analytics.analyses.benchmarks.assessment import QUESTION, SURVEY_STAGE, stored_answers
from analytics.analyses.benchmarks.contacts import (
    EFFICIENCY,
    HANDLING,
    LOWER_IS_EFFICIENT,
    SUMS,
    UNITS,
    contact_sums,
    csat_by,
    empty_frame,
    nps_against_rest,
    post_contact_answers,
    wilson_rate,
)
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats.nps import MIN_N


@dataclass(frozen=True)
class StanceRule:
    """When a unit counts as satisfaction-led, efficiency-led, both or neither.

    Satisfaction is post-contact NPS against the rest of the scope: **higher** when the difference is
    significant after Holm's correction (``alpha``) and at least ``min_nps_gap`` points; lower in the
    same way below. Efficiency is the chosen measure against the rest: **more efficient** when it is
    at least ``min_efficiency_gap`` (a share of the rest's value) better: cheaper, shorter, or more
    automated. Contacts are counted whole, not sampled, so no test applies to them; the gap keeps
    trivial differences from naming a stance.

    - *both*: higher satisfaction and more efficient;
    - *satisfaction-led*: higher satisfaction, not more efficient;
    - *efficiency-led*: more efficient, not higher satisfaction;
    - *neither*: neither higher nor more efficient;
    - *too few responses*: fewer than ``min_n`` post-contact responses.
    """

    min_nps_gap: float = 3.0
    min_efficiency_gap: float = 0.05
    alpha: float = 0.05
    min_n: int = MIN_N

    def describe(self, efficiency: str = "cost_per_contact") -> str:
        better = {"cost_per_contact": "cheaper", "handle_seconds": "shorter", "automation_rate": "more automated"}
        return (
            f"Higher satisfaction: post-contact NPS significantly above the rest of the scope (Holm-adjusted, "
            f"{self.alpha:.0%}) by at least {self.min_nps_gap:g} points. More efficient: at least "
            f"{self.min_efficiency_gap:.0%} {better[efficiency]} than the rest. Both: both; satisfaction-led or "
            f"efficiency-led: only one; neither: neither. Under {self.min_n} responses: too few to say."
        )


STANCES = ("both", "satisfaction-led", "efficiency-led", "neither", "too few responses")


def classify_stance(
    table: pd.DataFrame, *, efficiency: str = "cost_per_contact", rule: StanceRule | None = None
) -> pd.DataFrame:
    """The stance of each row (``StanceRule``).

    ``table`` needs ``n`` (responses), ``nps_diff`` (NPS minus the rest's, points), ``p_adjusted``,
    ``efficiency`` and ``<efficiency>_rest`` (the same measure over the rest of the scope).

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``satisfaction`` (``higher``, ``lower``, ``at par`` or ``too few responses``),
        ``efficiency`` (``more efficient``, ``less efficient``, ``at par`` or ``not measured``) and
        ``stance`` (one of ``STANCES``).
    """
    rule = rule or StanceRule()
    if efficiency not in EFFICIENCY:
        raise ValueError(f"unknown efficiency measure {efficiency!r}; choose one of {', '.join(EFFICIENCY)}")
    needed = ["n", "nps_diff", "p_adjusted", efficiency, f"{efficiency}_rest"]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise ValueError(f"classify_stance needs the columns {', '.join(needed)}; missing {', '.join(absent)}")
    out = table.copy()
    n = out["n"].fillna(0).to_numpy(float)
    diff = out["nps_diff"].to_numpy(float)
    significant = out["p_adjusted"].to_numpy(float) < rule.alpha
    few = n < rule.min_n
    with np.errstate(invalid="ignore"):
        higher = ~few & significant & (diff >= rule.min_nps_gap)
        lower = ~few & significant & (diff <= -rule.min_nps_gap)
    out["satisfaction"] = np.where(
        few, "too few responses", np.where(higher, "higher", np.where(lower, "lower", "at par"))
    )
    value, rest = out[efficiency].to_numpy(float), out[f"{efficiency}_rest"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = value / rest - 1
    if efficiency in LOWER_IS_EFFICIENT:
        gap = -gap
    measured = np.isfinite(gap)
    better = measured & (gap >= rule.min_efficiency_gap)
    worse = measured & (gap <= -rule.min_efficiency_gap)
    out["efficiency"] = np.where(
        ~measured, "not measured", np.where(better, "more efficient", np.where(worse, "less efficient", "at par"))
    )
    out["stance"] = np.select(
        [few, higher & better, higher, better],
        ["too few responses", "both", "satisfaction-led", "efficiency-led"],
        "neither",
    )
    return out


SATISFACTION_COLUMNS = [
    "volume",
    "cost_per_contact",
    "handle_seconds",
    "automation_rate",
    "automation_rate_low",
    "automation_rate_high",
    "containment_rate",
    "containment_rate_low",
    "containment_rate_high",
    "n",
    "nps",
    "nps_low",
    "nps_high",
    "nps_diff",
    "nps_diff_low",
    "nps_diff_high",
    "p_adjusted",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "cost_per_contact_rest",
    "handle_seconds_rest",
    "automation_rate_rest",
    "satisfaction",
    "efficiency",
    "stance",
]


def satisfaction_efficiency(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "journey_stage",
    efficiency: str = "cost_per_contact",
    rule: StanceRule | None = None,
) -> pd.DataFrame:
    """Satisfaction and efficiency per unit of ``by`` (``UNITS``), and the stance each shows.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``volume`` (contacts), ``cost_per_contact``, ``handle_seconds`` (means over contacts
        that have them), ``automation_rate`` (contacts started in automation) and
        ``containment_rate`` (of those, the share finished without a person), each rate with its
        Wilson interval (``automation_rate_low`` ...); ``n`` (post-contact responses), ``nps`` with its
        interval and ``nps_diff`` against the rest with its interval and Holm-adjusted ``p_adjusted``
        (``advocacy.nps_by_rows``, clustered by customer); ``csat`` (top-2-box) with ``csat_n`` and its
        interval; each efficiency measure over the rest of the scope (``*_rest``); and
        ``satisfaction``, ``efficiency`` and ``stance`` from ``classify_stance``. One row per unit
        with contacts, ordered by ``by``; empty with these columns when the scope has none.
    """
    if by not in UNITS:
        raise ValueError(f"cannot cut satisfaction against efficiency by {by!r}; choose one of {', '.join(UNITS)}")
    sums = contact_sums(wh, f, "voice")
    columns = [by, *SATISFACTION_COLUMNS]
    if sums.empty:
        return empty_frame(columns, text=(by, "satisfaction", "efficiency", "stance"))
    automated = sums["handling"] != HANDLING[0]
    contained = sums["handling"] == HANDLING[2]
    sums = sums.assign(automated=sums["volume"].where(automated, 0.0), contained=sums["volume"].where(contained, 0.0))
    units = sums.groupby(by, as_index=False)[[*SUMS, "automated", "contained"]].sum()
    whole = units[[*SUMS, "automated", "contained"]].sum()
    out = pd.DataFrame({by: units[by], "volume": units["volume"].astype("int64")})
    rest = whole - units[[*SUMS, "automated", "contained"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        for frame, suffix in ((units, ""), (rest, "_rest")):
            out[f"cost_per_contact{suffix}"] = np.where(
                frame["cost_n"] > 0, frame["cost_sum"] / frame["cost_n"], np.nan
            )
            out[f"handle_seconds{suffix}"] = np.where(
                frame["handle_n"] > 0, frame["handle_sum"] / frame["handle_n"], np.nan
            )
            out[f"automation_rate{suffix}"] = np.where(
                frame["volume"] > 0, frame["automated"] / frame["volume"], np.nan
            )
    _, out["automation_rate_low"], out["automation_rate_high"] = wilson_rate(
        units["automated"].to_numpy(), units["volume"].to_numpy()
    )
    out["containment_rate"], out["containment_rate_low"], out["containment_rate_high"] = wilson_rate(
        units["contained"].to_numpy(), units["automated"].to_numpy()
    )
    answers = post_contact_answers(wh, f, unit=by)
    out = out.merge(
        nps_against_rest(answers, by).drop(columns=["promoters", "passives", "detractors", "design_effect"]),
        on=by,
        how="outer",
    )
    out = out.merge(csat_by(answers, [by]), on=by, how="outer")
    for column in ("volume", "n", "csat_n"):
        out[column] = out[column].fillna(0).astype("int64")
    out = classify_stance(out, efficiency=efficiency, rule=rule)
    return out.sort_values(by, ignore_index=True)[columns]


def stance_by_stage(
    wh: Warehouse, f: Filters = ALL_DATA, *, efficiency: str = "cost_per_contact", rule: StanceRule | None = None
) -> pd.DataFrame:
    """The stance each journey stage shows in the data, beside what the self-assessment says for the
    survey stage it belongs to (``SURVEY_STAGE``).

    Returns
    -------
    pandas.DataFrame
        ``journey_stage``, ``survey_stage``, ``said`` (``satisfaction``, ``balanced``,
        ``efficiency`` or ``None`` when unanswered), ``shown`` (the stance), ``agrees`` (said
        satisfaction and shown satisfaction-led or both, said efficiency and shown efficiency-led or
        both, or said balanced and shown both or neither; ``None`` when either side is unknown),
        ``n``, ``nps``, ``nps_low``, ``nps_high``, ``nps_diff``, ``cost_per_contact``,
        ``satisfaction`` and ``efficiency``. One row per stage with contacts in scope.
    """
    table = satisfaction_efficiency(wh, f, by="journey_stage", efficiency=efficiency, rule=rule)
    return stage_stances(table, stored_answers(wh))


def stage_stances(table: pd.DataFrame, answers: Mapping[str, str | None]) -> pd.DataFrame:
    """``stance_by_stage`` from a ``satisfaction_efficiency`` table by journey stage and the
    self-assessment's ``answers`` (``{question_id: answer}``), for a caller that holds both."""
    said_by_stage = {
        q.survey_stage: a for q_id, a in answers.items() if q_id in QUESTION and (q := QUESTION[q_id]).survey_stage
    }
    survey = table["journey_stage"].map(lambda s: SURVEY_STAGE.get(str(s)))
    said = survey.map(lambda s: said_by_stage.get(s) if s else None)
    shown = table["stance"]
    agrees = [_agrees(s, w) for s, w in zip(said, shown, strict=True)]
    out = pd.DataFrame(
        {
            "journey_stage": table["journey_stage"],
            "survey_stage": survey,
            "said": said,
            "shown": shown,
            "agrees": pd.Series(agrees, dtype=object),
        }
    )
    for column in ("n", "nps", "nps_low", "nps_high", "nps_diff", "cost_per_contact", "satisfaction", "efficiency"):
        out[column] = table[column]
    return out


def _agrees(said: str | None, shown: str) -> bool | None:
    if said is None or shown == "too few responses":
        return None
    fits = {"satisfaction": ("satisfaction-led", "both"), "efficiency": ("efficiency-led", "both")}
    return shown in fits.get(said, ("both", "neither"))


SHOWN_WORDS = {"neither": "neither higher satisfaction nor more efficiency than the rest"}


def said_against_shown(stages: pd.DataFrame) -> list[str]:
    """Sentences for the stages where what is said and what the data shows part, e.g. "You say
    satisfaction comes first at delivery (get); your data shows efficiency-led"."""
    lines = []
    for r in stages.itertuples(index=False):
        if r.agrees is False:
            stage = names.phrase(r.survey_stage)
            said = "both weigh equally" if r.said == "balanced" else f"{r.said} comes first"
            shown = SHOWN_WORDS.get(str(r.shown), str(r.shown))
            lines.append(f"You say {said} at {stage} ({names.phrase(r.journey_stage)}); your data shows {shown}.")
    return lines
