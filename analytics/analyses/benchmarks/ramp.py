"""A new partner's first 90 days (and a few weeks beyond), week by week: its KPIs against the
standard's target and the in-house team, the week it reached target and the surges in volume.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import numpy as np
import pandas as pd

from analytics import names
from analytics.analyses.benchmarks.contacts import (
    ALONE,
    HANDLING,
    contact_sums,
    csat_by,
    empty_frame,
    handling_code,
    numeric_sums,
    post_contact_answers,
    summed_contacts,
)
from analytics.analyses.benchmarks.partners import Standard, handler_kpis
from analytics.data import filters
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse, epoch_seconds
from analytics.stats import series

RAMP_KPIS = ("fcr", "csat", "asa_seconds", "escalation_rate")
#: The ops rule of thumb watches a new partner's first 90 days.
FIRST_DAYS = 90
RAMP_WEEKS = 18
RAMP_COLUMNS = [
    "handled_by",
    "went_live_at",
    "week",
    "week_start",
    "volume",
    "trailing_volume",
    "surge",
    "fcr",
    "fcr_low",
    "fcr_high",
    "escalation_rate",
    "asa_seconds",
    "cost_per_contact",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "in_house_fcr",
    "in_house_csat",
    "in_house_asa_seconds",
    "in_house_escalation_rate",
    "target",
    "meets_target",
    "reached_target_week",
]
_RAMP_TARGET = {"fcr": ("min_fcr", True), "csat": ("min_csat", True), "asa_seconds": ("max_asa_seconds", False)}
_RAMP_TARGET["escalation_rate"] = ("max_escalation", False)


#: A week's volume is a surge when it runs this share above the mean of the weeks before it.
SURGE = 0.15


def _weeks_since(moment: ibis.Value, begin: pd.Timestamp) -> ibis.Value:
    """Whole weeks from ``begin`` to ``moment``."""
    return ((epoch_seconds(moment) - begin.timestamp()) / (7 * 86400)).floor().cast("int64")


def went_live(
    wh: Warehouse, f: Filters = ALL_DATA, *, after_days: int = 28, in_house: str = "in_house"
) -> pd.DataFrame:
    """Handlers people work in whose first contact in scope came more than ``after_days`` days after
    the scope's first contact: they went live inside the window. (A scope that starts after a
    handler went live shows it from its start, like every other handler, so it is not listed.)
    Columns ``handled_by``, ``went_live_at``, earliest first."""
    sums = contact_sums(wh, f, "voice")
    empty = pd.DataFrame(
        {"handled_by": pd.Series(dtype=object), "went_live_at": pd.Series(dtype="datetime64[us, UTC]")}
    )
    if sums.empty:
        return empty
    live = sums[sums["handling"] != HANDLING[2]]
    first = live.groupby("handled_by", as_index=False)["first_at"].min().rename(columns={"first_at": "went_live_at"})
    start = sums["first_at"].min()
    late = (first["went_live_at"] > start + timedelta(days=after_days)) & (first["handled_by"] != in_house)
    return first[late].sort_values("went_live_at", ignore_index=True) if late.any() else empty


def partner_ramp(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    kpi: str = "fcr",
    standard: Standard | None = None,
    weeks: int = RAMP_WEEKS,
    trailing_weeks: int = 4,
    surge: float = SURGE,
    hold: int = 2,
) -> pd.DataFrame:
    """Week by week since go-live, for each handler that went live inside the data (``went_live``):
    KPIs against the standard's target and against the in-house team in the same weeks.

    ``weeks`` covers the first 90 days (13 weeks) and five weeks beyond by default, so that a ramp-up
    that ends near day 90 shows where it settles. ``kpi`` (one of ``RAMP_KPIS``) is the one judged
    against its target in ``standard``. The week it reached target is the first week from which it met
    the target ``hold`` weeks running (``series.first_sustained``). A week's volume is a surge when it
    is more than ``surge`` above the mean of the ``trailing_weeks`` weeks before it
    (``series.trailing_mean``: the first weeks compare with as many as there are).

    Returns
    -------
    pandas.DataFrame
        ``RAMP_COLUMNS``: per handler and week (0 is the week of go-live; up to ``weeks`` weeks),
        ``week_start``, ``volume``, ``trailing_volume``, ``surge``, the handler's ``fcr`` (Wilson
        interval), ``escalation_rate``, ``asa_seconds``, ``cost_per_contact``, ``csat`` (top-2-box,
        clustered Wilson interval) and the in-house team's ``in_house_*`` in those weeks; ``target``,
        ``meets_target`` and ``reached_target_week`` (the same on every row of a handler; NaN if
        never). Weeks with no contacts in scope are left out.
    """
    standard = standard or Standard()
    if kpi not in RAMP_KPIS:
        raise ValueError(f"unknown ramp KPI {kpi!r}; choose one of {', '.join(RAMP_KPIS)}")
    starts = went_live(wh, f, in_house=standard.in_house)
    if starts.empty:
        return _empty_ramp()
    frames = []
    t = filters.interactions(wh, f)
    answers = post_contact_answers(wh, f)
    target_name, at_least = _RAMP_TARGET[kpi]
    target = float(getattr(standard, target_name))
    for handler, start in zip(starts["handled_by"], starts["went_live_at"], strict=True):
        begin = pd.Timestamp(start).floor("D")
        kpis = _weekly_kpis(t, answers, handler, begin, begin + timedelta(days=7 * weeks), standard)
        if kpis is None:
            continue
        frame = _handler_weeks(kpis, handler, pd.Timestamp(start), begin, weeks=weeks, in_house=standard.in_house)
        frames.append(
            _judge_ramp(
                frame, kpi=kpi, target=target, at_least=at_least, trailing=trailing_weeks, surge=surge, hold=hold
            )
        )
    if not frames:
        return _empty_ramp()
    out = pd.concat(frames, ignore_index=True)
    out["volume"] = out["volume"].astype("int64")
    out["csat_n"] = out["csat_n"].fillna(0).astype("int64")
    return out[RAMP_COLUMNS]


def _empty_ramp() -> pd.DataFrame:
    empty = empty_frame(RAMP_COLUMNS, text=("handled_by",), flags=("surge", "meets_target"))
    empty["went_live_at"] = pd.Series(dtype="datetime64[us, UTC]")
    empty["week_start"] = pd.Series(dtype="datetime64[us, UTC]")
    return empty


def _weekly_kpis(
    t: ibis.Table, answers: ibis.Table, handler: str, begin: pd.Timestamp, end: pd.Timestamp, standard: Standard
) -> pd.DataFrame | None:
    """``handler_kpis`` with CSAT (``csat_by``) per week since ``begin`` (``week``) for ``handler`` and the
    in-house team, from contacts ``t`` and ``answers`` a person handled from ``begin`` to ``end``;
    ``None`` when ``handler`` has no such contacts."""
    window = t.filter(
        t.handled_by.isin([handler, standard.in_house]),
        t.started_at >= begin.to_pydatetime(),
        t.started_at < end.to_pydatetime(),
    ).mutate(handling=handling_code(t))
    window = window.filter(window.handling != ALONE)
    window = window.mutate(week=_weeks_since(window.started_at, begin))
    sums = numeric_sums(summed_contacts(window, ["handled_by", "week"], standard.asa_channel).execute())
    if sums.empty or not (sums["handled_by"] == handler).any():
        return None
    kpis = handler_kpis(sums, ["handled_by", "week"])
    said = answers.filter(
        answers.handled_by.isin([handler, standard.in_house]),
        answers.handling != ALONE,
        answers.started_at >= begin.to_pydatetime(),
        answers.started_at < end.to_pydatetime(),
    )
    said = said.mutate(week=_weeks_since(said.started_at, begin))
    return kpis.merge(csat_by(said, ["handled_by", "week"]), on=["handled_by", "week"], how="left")


def _handler_weeks(
    kpis: pd.DataFrame, handler: str, start: pd.Timestamp, begin: pd.Timestamp, *, weeks: int, in_house: str
) -> pd.DataFrame:
    """``handler``'s first ``weeks`` weeks with contacts (from ``_weekly_kpis``), the in-house team's
    KPIs beside each: every column of ``RAMP_COLUMNS`` up to those ``_judge_ramp`` adds."""
    mine = kpis[kpis["handled_by"] == handler].drop(columns="handled_by").set_index("week")
    home = kpis[kpis["handled_by"] == in_house].set_index("week")
    mine = mine.reindex(range(weeks)).dropna(subset=["volume"])
    frame = pd.DataFrame(
        {
            "handled_by": handler,
            "went_live_at": start,
            "week": mine.index.astype("int64"),
            "week_start": [begin + timedelta(days=7 * int(w)) for w in mine.index],
        }
    )
    for column in ("volume", "fcr", "fcr_low", "fcr_high", "escalation_rate", "asa_seconds", "cost_per_contact"):
        frame[column] = mine[column].to_numpy()
    for column in ("csat_n", "csat", "csat_low", "csat_high"):
        frame[column] = mine[column].to_numpy() if column in mine else np.nan
    for column in ("fcr", "csat", "asa_seconds", "escalation_rate"):
        frame[f"in_house_{column}"] = home[column].reindex(mine.index).to_numpy() if column in home else np.nan
    return frame


def _judge_ramp(
    frame: pd.DataFrame, *, kpi: str, target: float, at_least: bool, trailing: int, surge: float, hold: int
) -> pd.DataFrame:
    """Add ``trailing_volume``, ``surge``, ``target``, ``meets_target`` and ``reached_target_week`` to
    one handler's weeks (sorted by week)."""
    volume = frame["volume"].astype(float)
    trailing_mean = series.trailing_mean(volume, trailing)
    frame["trailing_volume"] = trailing_mean
    frame["surge"] = (volume > (1 + surge) * trailing_mean).fillna(False).astype(bool)
    value = frame[kpi].to_numpy(float)
    with np.errstate(invalid="ignore"):
        meets = np.isfinite(value) & ((value >= target) if at_least else (value <= target))
    frame["target"] = target
    frame["meets_target"] = meets
    frame["reached_target_week"] = series.first_sustained(frame["week"].to_numpy(), meets, hold)
    return frame


KPI_WORDS = {
    "fcr": "first-contact resolution",
    "csat": "CSAT (4-5)",
    "asa_seconds": "speed of answer",
    "escalation_rate": "escalation rate",
}


def _kpi_text(kpi: str, value: float) -> str:
    return f"{value:g} s" if kpi == "asa_seconds" else f"{value:.0%}"


def ramp_sentence(ramp: pd.DataFrame, *, kpi: str = "fcr", surge: float = SURGE) -> str | None:
    """One handler's first weeks in a sentence (``partner_ramp`` output for one handler, judged on
    ``kpi`` with surges found at ``surge``): when it went live, when it reached target, and the surge weeks."""
    if ramp.empty:
        return None
    first = ramp.iloc[0]
    handler = names.phrase(first["handled_by"])
    target = _kpi_text(kpi, float(first["target"]))
    reached = first["reached_target_week"]
    weeks = int(ramp["week"].max()) + 1
    text = f"{handler} went live in the week of {pd.Timestamp(first['week_start']):%d %b %Y}; its {KPI_WORDS[kpi]} "
    if reached == reached:
        text += f"reached the {target} target in week {int(reached)} and held it."
    else:
        text += f"had not held the {target} target by week {weeks - 1}."
    surges = ramp.loc[ramp["surge"].astype(bool), "week"].astype(int).tolist()
    if surges:
        text += f" Volume ran more than {surge:.0%} above its trailing average in week {', '.join(map(str, surges))}."
    return text
