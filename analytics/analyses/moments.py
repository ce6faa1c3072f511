"""Moments of truth: which interactions move how customers feel, how well they are delivered, and
what to do about each.

The NPS *level* of a kind of contact says little about whether it matters: a complaint can score
as well as a password reset. What marks a moment of truth is how far attitude *moves* with the
experience. So each interaction type (journey stage x contact reason) gets:

- **met rate**: the share of its contacts that met expectations, by a rule the user can change
  (``MetRule``; by default resolved, waited no longer than the channel's target, and transferred at
  most once);
- **attitude swing**: post-contact NPS when expectations were met minus NPS when they were not,
  with a 95% interval that treats the customer, not the response, as the unit
  (``inference.cluster_difference_variance``);
- **LTR slope**: points of likelihood to recommend per point of the experience measure (CSAT by
  default), with a customer-clustered standard error; the dose-response view of the same question;
- **advocacy at stake**: volume x not-met share x swing / 100, the net promoters a year of contacts
  would gain if every not-met contact had been met;
- an **action** (``ActionRule``): *Fix* a big, significant swing delivered below target; *Delight*
  where it is delivered well and the customers served are worth more than the median; *Maintain*
  where delivered well to others; *Right-size* (handle it cheaper) where the swing is small or not
  significant. Too few responses on either side is said, never dropped.

``pareto`` ranks contact reasons by volume with their escalation, repeat-contact and cost rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics import names
from analytics.data import filters, memo
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse, epoch_microseconds
from analytics.stats import inference
from analytics.stats.actions import (
    ALL_MET,
    DELIGHT,
    FIX,
    MAINTAIN,
    RIGHT_SIZE,
    TOO_FEW,
    UNCLEAR,
    answers_to_settle,
    evidence,
)
from analytics.stats.nps import (
    DETRACTOR_MAX,
    MIN_N,
    PROMOTER_MIN,
    cluster_design_effect,
    comparable,
    nps_difference,
    nps_estimate,
    nps_estimates,
)

#: The interaction type: one row of the map per journey stage and contact reason.
MOMENT = ("journey_stage", "contact_reason")
#: What a map can also be split by.
SPLITS = ("channel", "handled_by")
#: Default wait targets in seconds, per channel: answered within these, a wait meets expectations.
WAIT_TARGETS: dict[str, float] = {
    "voice": 180.0,
    "chat": 120.0,
    "email": 8 * 3600.0,
    "web": 60.0,
    "social": 3600.0,
    "ivr": 60.0,
}
#: Contacts within this many days of an earlier one by the same customer for the same reason repeat it.
REPEAT_DAYS = 7
#: An Unclear swing's sentence names the answers that would settle it only up to this multiple of the
#: answers it has: beyond, the swing sits too close to the threshold for more answers to decide soon.
SETTLE_WITHIN = 3
#: The share of volume the "vital few" reasons of the Pareto make up.
VITAL_SHARE = 0.8


@dataclass(frozen=True)
class MetRule:
    """When a contact met expectations. Each criterion can be switched off.

    ``resolved``: the contact was resolved (``is_resolved``). ``max_transfers``: at most this many
    transfers (``None``: any). ``wait_targets``: per channel, the longest wait in seconds that meets
    expectations; channels not listed have no wait criterion. A contact missing a measure the rule
    uses has no verdict: it counts in volume but not in the met rate or the swing.
    """

    resolved: bool = True
    max_transfers: int | None = 1
    wait_targets: Mapping[str, float] = field(default_factory=lambda: dict(WAIT_TARGETS))

    def key(self) -> tuple[object, ...]:
        """A hashable identity of the rule, for keeping results computed under it."""
        return (self.resolved, self.max_transfers, tuple(sorted(self.wait_targets.items())))

    def describe(self) -> str:
        """The rule in words, for the page and the JSON."""
        parts = []
        if self.resolved:
            parts.append("resolved")
        if self.wait_targets:
            waits = ", ".join(f"{names.phrase(c)} {_duration(s)}" for c, s in sorted(self.wait_targets.items()))
            parts.append(f"waited no longer than the channel's target ({waits})")
        if self.max_transfers is not None:
            parts.append(f"transferred at most {self.max_transfers} time{'s' if self.max_transfers != 1 else ''}")
        return "Expectations met: " + ("; ".join(parts) if parts else "every contact (no criterion set)") + "."


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


@dataclass(frozen=True)
class ActionRule:
    """Thresholds that turn a moment's numbers into an action (``analytics.stats.actions``).

    ``materiality``: a swing (NPS points) this large matters. A swing is *material* when its 95%
    interval lies above 0 and the estimate reaches it, *small* when the interval's upper end lies
    below it, and *unclear* otherwise. ``met_target``: a met rate below this is under target.
    ``value_ratio``: the customers a moment serves are worth more than the median when their median
    monthly revenue is above this multiple of the median customer's in scope. ``min_n``: fewer
    responses than this when met or when not met is too few.
    """

    materiality: float = 10.0
    met_target: float = 0.8
    value_ratio: float = 1.0
    min_n: int = MIN_N

    def describe(self) -> str:
        """The rule in words, for the pages, the brief and the JSON."""
        return (
            f"A swing matters when its 95% interval lies above 0 and it is at least {self.materiality:g} points: "
            f"Fix it when under {self.met_target:.0%} of contacts meet expectations, else Delight where its "
            "customers are worth more than the median and Maintain elsewhere. Right-size only when the whole "
            f"interval lies below {self.materiality:g} points; anything between is Unclear, with the answers that "
            f"would settle it. Under {self.min_n} responses on a side: too few to judge."
        )


Experience = Literal["csat", "ratings"]


def contacts(wh: Warehouse, f: Filters = ALL_DATA, rule: MetRule | None = None) -> ibis.Table:
    """Contacts in scope with ``met``: true, false, or null when a measure the rule uses is missing."""
    rule = rule or MetRule()
    t = filters.interactions(wh, f)
    checks: list[ibis.BooleanValue] = []
    known: list[ibis.BooleanValue] = []
    if rule.resolved:
        checks.append(t.is_resolved.fill_null(False))
        known.append(t.is_resolved.notnull())
    if rule.max_transfers is not None:
        checks.append(t.transfers.fill_null(0) <= rule.max_transfers)
        known.append(t.transfers.notnull())
    if rule.wait_targets:
        target = ibis.cases(*[(t.channel == c, float(s)) for c, s in rule.wait_targets.items()], else_=None)
        checks.append(target.isnull() | (t.wait_seconds.fill_null(0.0) <= target))
        known.append(target.isnull() | t.wait_seconds.notnull())
    met = ibis.literal(True)
    for c in checks:
        met = met & c
    every = ibis.literal(True)
    for k in known:
        every = every & k
    return t.mutate(met=ibis.ifelse(every, met, ibis.null("boolean")))


def moment_map(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str | None = None,
    rule: MetRule | None = None,
    actions: ActionRule | None = None,
    experience: Experience = "csat",
) -> pd.DataFrame:
    """One row per interaction type (and per ``by`` value when given: ``channel`` or ``handled_by``).

    Returns
    -------
    pandas.DataFrame
        ``journey_stage``, ``contact_reason`` (and ``by``), ``volume``, ``volume_share``, ``met_rate``
        (of contacts with a verdict), ``n_met`` / ``nps_met`` / ``nps_met_low`` / ``nps_met_high``, the
        same for ``not_met``, ``n`` (responses with a verdict), ``swing``, ``swing_low``, ``swing_high``,
        ``swing_p``, ``ltr_slope`` with ``ltr_slope_low`` / ``ltr_slope_high``, ``at_stake``,
        ``value_ratio``, ``action`` (``ActionRule``) and ``answers_needed`` (for an Unclear swing, about
        how many more answers would settle it), sorted by swing (largest first; all-met and too-few
        last). Empty with these columns when the scope has no contacts.
    """
    rule, actions = rule or MetRule(), actions or ActionRule()
    if by is not None and by not in SPLITS:
        raise ValueError(f"cannot split the moment map by {by!r}; choose one of {', '.join(SPLITS)}")
    # The priority list, the value case and a page's chart each ask for the same map.
    key = ("moment map", f, by, repr(rule), repr(actions), experience)
    built = memo.derived(wh, key, lambda: _moment_map(wh, f, by=by, rule=rule, actions=actions, experience=experience))
    return built.copy(deep=False)


def _moment_map(
    wh: Warehouse,
    f: Filters,
    *,
    by: str | None,
    rule: MetRule,
    actions: ActionRule,
    experience: Experience,
) -> pd.DataFrame:
    keys = [*MOMENT, *([by] if by else [])]
    c = contacts(wh, f, rule)
    volume = (
        c.group_by(keys)
        .aggregate(
            volume=_.count(),
            judged=_.met.notnull().cast("int64").sum(),
            met=_.met.fill_null(False).cast("int64").sum(),
        )
        .execute()
    )
    if volume.empty:
        return _empty_map(keys)
    volume["volume_share"] = volume["volume"] / volume["volume"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        volume["met_rate"] = np.where(volume["judged"] > 0, volume["met"] / volume["judged"], np.nan)

    # Swings and slopes both read the answers joined to their contacts: join them once.
    answers = wh.kept_table(
        ("moment_answers", f, rule.key(), tuple(keys), experience), lambda: _answers(wh, f, c, keys, experience)
    )
    table = volume.merge(_swings(answers, keys), on=keys, how="left")
    table = table.merge(_slopes(answers, keys), on=keys, how="left")
    table = table.merge(_value(wh, f, c, keys), on=keys, how="left")
    for side in ("met", "not_met"):
        table[f"n_{side}"] = pd.to_numeric(table[f"n_{side}"]).fillna(0).astype("int64")
    table["n"] = table["n_met"] + table["n_not_met"]
    table["at_stake"] = table["volume"] * (1 - table["met_rate"]) * table["swing"] / 100
    table["action"] = [_action(r, actions) for r in table.itertuples(index=False)]
    table["answers_needed"] = [_answers_needed(r, actions) for r in table.itertuples(index=False)]
    order = table["action"].isin([TOO_FEW, ALL_MET])
    table = table.assign(_last=order).sort_values(
        ["_last", "swing", *keys], ascending=[True, False, *[True] * len(keys)], ignore_index=True, kind="stable"
    )
    return table[_MAP_COLUMNS(keys)]


def _MAP_COLUMNS(keys: Sequence[str]) -> list[str]:  # noqa: N802 - a column list, read like a constant
    return [
        *keys, "volume", "volume_share", "met_rate",
        "n_met", "nps_met", "nps_met_low", "nps_met_high",
        "n_not_met", "nps_not_met", "nps_not_met_low", "nps_not_met_high",
        "n", "swing", "swing_low", "swing_high", "swing_p",
        "ltr_slope", "ltr_slope_low", "ltr_slope_high", "at_stake", "value_ratio", "action", "answers_needed",
    ]  # fmt: skip


def _empty_map(keys: Sequence[str]) -> pd.DataFrame:
    columns = _MAP_COLUMNS(keys)
    text = {*keys, "action"}
    return pd.DataFrame({c: pd.Series(dtype=object if c in text else float) for c in columns})


def _answers(wh: Warehouse, f: Filters, c: ibis.Table, keys: Sequence[str], experience: Experience) -> ibis.Table:
    """Post-contact responses in scope about contacts with a verdict: ``customer_id``, the keys, ``met``,
    ``score`` (+1 / 0 / -1), ``ltr`` and ``x`` (the experience measure, null where not given)."""
    s = filters.surveys(wh, f, kind="transactional")
    if experience == "csat":
        x = s.csat.cast("float64")
    else:
        ratings = [s[col].cast("float64") for col in s.columns if col.startswith("rating_")]
        if not ratings:
            x = ibis.null("float64")
        else:
            total = ratings[0].fill_null(0.0)
            count = ratings[0].notnull().cast("int64")
            for r in ratings[1:]:
                total, count = total + r.fill_null(0.0), count + r.notnull().cast("int64")
            x = ibis.ifelse(count > 0, total / count, ibis.null("float64"))
    s = s.select("customer_id", "interaction_id", "ltr", x=x)
    judged = c.filter(c.met.notnull()).select("interaction_id", "met", *keys)
    t = s.join(judged, "interaction_id")
    score = ibis.cases((t.ltr >= PROMOTER_MIN, 1), (t.ltr <= DETRACTOR_MAX, -1), else_=0).cast("int64")
    return t.mutate(score=score)


def _swings(t: ibis.Table, keys: Sequence[str]) -> pd.DataFrame:
    """NPS when met and when not met per moment, and their difference with customers as clusters."""
    per = t.group_by([*keys, "customer_id"]).aggregate(
        u1=(_.score * _.met.cast("int64")).sum(),
        v1=_.met.cast("int64").sum(),
        u0=(_.score * (1 - _.met.cast("int64"))).sum(),
        v0=(1 - _.met.cast("int64")).sum(),
        p1=((_.ltr >= PROMOTER_MIN) & _.met).cast("int64").sum(),
        d1=((_.ltr <= DETRACTOR_MAX) & _.met).cast("int64").sum(),
        p0=((_.ltr >= PROMOTER_MIN) & ~_.met).cast("int64").sum(),
        d0=((_.ltr <= DETRACTOR_MAX) & ~_.met).cast("int64").sum(),
    )
    in1, in0 = (per.v1 > 0).cast("int64"), (per.v0 > 0).cast("int64")
    sums = per.group_by(list(keys)).aggregate(
        n1=per.v1.sum(), n0=per.v0.sum(), t1=per.u1.sum(), t0=per.u0.sum(),
        p1=per.p1.sum(), d1=per.d1.sum(), p0=per.p0.sum(), d0=per.d0.sum(),
        c1=in1.sum(), c0=in0.sum(), shared=(in1 * in0).sum(),
        uu=(per.u1 * per.u1).sum(), uv=(per.u1 * per.v1).sum(), vv=(per.v1 * per.v1).sum(),
        uT=(per.u1 * per.u0).sum(), uM=(per.u1 * per.v0).sum(), vT=(per.v1 * per.u0).sum(), vM=(per.v1 * per.v0).sum(),
        TT_in=(per.u0 * per.u0 * in1).sum(), TM_in=(per.u0 * per.v0 * in1).sum(), MM_in=(per.v0 * per.v0 * in1).sum(),
        TT=(per.u0 * per.u0).sum(), TM=(per.u0 * per.v0).sum(), MM=(per.v0 * per.v0).sum(),
    ).execute()  # fmt: skip
    if sums.empty:
        columns = ["swing", "swing_low", "swing_high", "swing_p"]
        for side in ("met", "not_met"):
            columns += [f"n_{side}", f"nps_{side}", f"nps_{side}_low", f"nps_{side}_high"]
        return pd.DataFrame({c: pd.Series(dtype=object if c in keys else float) for c in [*keys, *columns]})
    g = {k: sums[k].fillna(0).to_numpy(float) for k in sums.columns if k not in keys}
    rows = []
    for i in range(len(sums)):
        if g["n1"][i] == 0 or g["n0"][i] == 0:
            rows.append((math.nan, math.nan, math.nan, math.nan))
            continue
        moments = inference.PairMoments(
            n=g["n1"][i : i + 1], total=g["t1"][i : i + 1], clusters=g["c1"][i : i + 1],
            uu=g["uu"][i : i + 1], uv=g["uv"][i : i + 1], vv=g["vv"][i : i + 1],
            uT=g["uT"][i : i + 1], uM=g["uM"][i : i + 1], vT=g["vT"][i : i + 1], vM=g["vM"][i : i + 1],
            TT=g["TT_in"][i : i + 1], TM=g["TM_in"][i : i + 1], MM=g["MM_in"][i : i + 1], shared=g["shared"][i : i + 1],
            pool_total=float(g["t0"][i]), pool_n=float(g["n0"][i]), pool_clusters=float(g["c0"][i]),
            pool_TT=float(g["TT"][i]), pool_TM=float(g["TM"][i]), pool_MM=float(g["MM"][i]), in_pool=False,
        )  # fmt: skip
        variance = float(inference.cluster_difference_variance(moments)[0])
        met = nps_estimate(int(g["p1"][i]), int(g["n1"][i] - g["p1"][i] - g["d1"][i]), int(g["d1"][i]))
        not_met = nps_estimate(int(g["p0"][i]), int(g["n0"][i] - g["p0"][i] - g["d0"][i]), int(g["d0"][i]))
        # The z test and the interval come from one variance, so a swing whose 95% interval excludes 0
        # is exactly a swing with p < 0.05 (the exact test ``compare`` uses below 100 a side could
        # disagree with the interval shown beside it).
        d = nps_difference(met, not_met, variance=variance)
        if comparable(met, not_met):
            rows.append((d.diff, d.low, d.high, d.p_value))
        else:  # too few on a side for the normal approximation: the swing without an interval or test
            rows.append((d.diff, math.nan, math.nan, math.nan))
    out = sums[list(keys)].copy()
    out[["swing", "swing_low", "swing_high", "swing_p"]] = pd.DataFrame(rows, index=out.index)
    for side, suffix in (("met", "1"), ("not_met", "0")):
        counts = pd.DataFrame(
            {
                "n": sums[f"n{suffix}"].fillna(0),
                "promoters": sums[f"p{suffix}"].fillna(0),
                "detractors": sums[f"d{suffix}"].fillna(0),
                "clusters": sums[f"c{suffix}"].fillna(0),
                "suu": sums["uu" if suffix == "1" else "TT"].fillna(0),
                "suv": sums["uv" if suffix == "1" else "TM"].fillna(0),
                "svv": sums["vv" if suffix == "1" else "MM"].fillna(0),
            }
        )
        deff = cluster_design_effect(counts)
        n = counts["n"].to_numpy(float)
        p, dd = counts["promoters"].to_numpy(float), counts["detractors"].to_numpy(float)
        est = nps_estimates(p, n - p - dd, dd, design_effect=deff)
        out[f"n_{side}"] = n
        out[f"nps_{side}"], out[f"nps_{side}_low"], out[f"nps_{side}_high"] = est["score"], est["low"], est["high"]
    return out


def _slopes(t: ibis.Table, keys: Sequence[str]) -> pd.DataFrame:
    """OLS slope of LTR on the experience measure per moment, with a customer-clustered (sandwich)
    95% interval (``inference.cluster_slope_variance``): two passes over per-customer sums, never the
    raw rows in memory."""
    t = t.filter(t.x.notnull())
    per = t.group_by([*keys, "customer_id"]).aggregate(
        m=_.count(), sx=_.x.sum(), sy=_.ltr.cast("float64").sum(), sxx=(_.x * _.x).sum(), sxy=(_.x * _.ltr).sum()
    )
    fit = per.group_by(list(keys)).aggregate(
        n=per.m.sum(), sx=per.sx.sum(), sy=per.sy.sum(), sxx=per.sxx.sum(), sxy=per.sxy.sum(), clusters=per.count()
    )
    xbar, ybar = fit.sx / fit.n, fit.sy / fit.n
    centred = fit.sxx - fit.n * xbar * xbar
    slope = ibis.ifelse(centred > 0, (fit.sxy - fit.n * xbar * ybar) / centred, ibis.null("float64"))
    coef = fit.mutate(xbar=xbar, slope=slope, intercept=ybar - slope * xbar, centred=centred)
    j = per.join(coef.select(*keys, "xbar", "slope", "intercept"), list(keys))
    # Each customer's score: sum over their answers of (x - xbar) * residual.
    score = (j.sxy - j.intercept * j.sx - j.slope * j.sxx) - j.xbar * (j.sy - j.intercept * j.m - j.slope * j.sx)
    meat = j.group_by(list(keys)).aggregate(meat=(score * score).sum())
    out = coef.join(meat, list(keys)).select(*keys, "slope", "centred", "clusters", "meat").execute()
    var = inference.cluster_slope_variance(*(out[c].to_numpy(float) for c in ("clusters", "meat", "centred")))
    half = 1.959963984540054 * np.sqrt(var)
    return pd.DataFrame(
        {
            **{k: out[k] for k in keys},
            "ltr_slope": out["slope"].astype(float),
            "ltr_slope_low": out["slope"].astype(float) - half,
            "ltr_slope_high": out["slope"].astype(float) + half,
        }
    )


def _value(wh: Warehouse, f: Filters, c: ibis.Table, keys: Sequence[str]) -> pd.DataFrame:
    """The median monthly revenue of each moment's customers over that of every customer in scope."""
    revenue = wh.table("customers").select("customer_id", "monthly_revenue")
    served = c.select(*keys, "customer_id").distinct().join(revenue, "customer_id")
    medians = served.group_by(list(keys)).aggregate(median=served.monthly_revenue.median()).execute()
    overall = filters.customers(wh, f).monthly_revenue.median().execute()
    overall = float(overall) if overall is not None and not pd.isna(overall) else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        medians["value_ratio"] = medians["median"].astype(float) / overall if overall and overall > 0 else math.nan
    return medians.drop(columns="median")


def _action(r: Any, a: ActionRule) -> str:
    """The action for one row of the map (an ``itertuples`` row), by ``actions.evidence``."""
    if r.n_not_met == 0 and r.met_rate == 1:
        return ALL_MET
    if r.n_met < a.min_n or r.n_not_met < a.min_n:
        return TOO_FEW
    size = evidence(r.swing, r.swing_low, r.swing_high, a.materiality)
    if size == "small":
        return RIGHT_SIZE
    if size == "unclear":
        return UNCLEAR
    return delivered_action(r.met_rate, r.value_ratio, a)


def delivered_action(met_rate: float, value_ratio: float, a: ActionRule) -> str:
    """What to do about a moment that matters, by how well it is delivered: Fix under the met
    target; above it, Delight where its customers are worth more than the median, else Maintain."""
    if not met_rate >= a.met_target:
        return FIX
    return DELIGHT if value_ratio == value_ratio and value_ratio > a.value_ratio else MAINTAIN


def _answers_needed(r: Any, a: ActionRule) -> float:
    """More answers that would settle an unclear swing (``actions.answers_to_settle``), split between
    the two sides as they are now; NaN for any other action."""
    if r.action != UNCLEAR:
        return math.nan
    return answers_to_settle(r.n, r.swing, r.swing_low, r.swing_high, a.materiality)


def with_repeats(t: ibis.Table) -> ibis.Table:
    """Contacts ``t`` with ``repeat``: 1 when the same customer got in touch again for the same reason
    within ``REPEAT_DAYS`` days (counted among the contacts in ``t``), else 0.

    Each contact is compared with the next one of its customer and reason. The window is keyed on a
    64-bit hash of the two and ordered by integer microseconds: sorting on the text keys and the
    timestamps took 7-20 s over 11 M contacts, this about 1.5 s. Two customer-reason pairs sharing a
    hash would be read as one; among a few million pairs the chance of any such clash is about one
    in a million.
    """
    keyed = t.mutate(_key=t.customer_id.hash() ^ t.contact_reason.hash(), _at=epoch_microseconds(t.started_at))
    gap = keyed._at.lead().over(group_by=keyed._key, order_by=keyed._at) - keyed._at
    # One window: the gap is compared once, with a missing next contact counted as no repeat.
    repeat = (gap <= REPEAT_DAYS * 86400 * 1_000_000).fill_null(False).cast("int64")
    return keyed.mutate(repeat=repeat).drop("_key", "_at")


def pareto(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Contact reasons by volume, with the cumulative share and the vital few marked.

    Returns
    -------
    pandas.DataFrame
        ``contact_reason``, ``volume``, ``volume_share``, ``cumulative_share``, ``vital_few`` (the
        reasons that make up the first ``VITAL_SHARE`` of volume, counting the one that crosses it),
        ``escalation_rate``, ``repeat_rate`` (share of contacts followed by another from the same
        customer for the same reason within ``REPEAT_DAYS`` days), ``cost_per_contact`` and ``cost``.
    """
    t = with_repeats(filters.interactions(wh, f))
    out = (
        t.group_by("contact_reason")
        .aggregate(
            volume=_.count(),
            escalated=_.is_escalated.cast("int64").sum(),
            escalation_known=_.is_escalated.notnull().cast("int64").sum(),
            repeats=_.repeat.sum(),
            cost=_.cost.sum(),
            cost_known=_.cost.notnull().cast("int64").sum(),
        )
        .execute()
    )
    columns = ["contact_reason", "volume", "volume_share", "cumulative_share", "vital_few"]
    columns += ["escalation_rate", "repeat_rate", "cost_per_contact", "cost"]
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "contact_reason" else float) for c in columns})
    out = out.sort_values(["volume", "contact_reason"], ascending=[False, True], ignore_index=True)
    out["volume_share"] = out["volume"] / out["volume"].sum()
    out["cumulative_share"] = out["volume_share"].cumsum()
    before = out["cumulative_share"] - out["volume_share"]
    out["vital_few"] = before < VITAL_SHARE - 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        out["escalation_rate"] = np.where(
            out["escalation_known"] > 0, out["escalated"] / out["escalation_known"], np.nan
        )
        out["repeat_rate"] = out["repeats"] / out["volume"]
        out["cost_per_contact"] = np.where(out["cost_known"] > 0, out["cost"] / out["cost_known"], np.nan)
    return out[columns]


def moment_name(row: Mapping[str, object], *, in_sentence: bool = True) -> str:
    """A moment in words: "billing dispute (pay)" inside a sentence, "Billing dispute (pay)" as a
    table cell or a label (``in_sentence=False``), with the handler or channel when the map is split."""
    reason = names.phrase(row["contact_reason"]) if in_sentence else names.name(row["contact_reason"])
    text = f"{reason} ({names.phrase(row['journey_stage'])})"
    for split in ("channel", "handled_by"):
        if split in row and row[split] is not None:
            text += f", {names.phrase(row[split])}"
    return text


def action_sentence(row: Mapping[str, Any], rule: ActionRule | None = None) -> str:
    """One plain sentence for one row of a moment map, filled from its numbers (the action in
    ``**bold**``)."""
    rule = rule or ActionRule()
    r = pd.Series(dict(row))
    name = moment_name(dict(row))
    action = str(r.action)
    if action == ALL_MET:
        return f"**All met** {name}: every one of {r.volume:,.0f} contacts met expectations, so there is nothing to compare."
    if action == TOO_FEW:
        return (
            f"**Too few responses** {name}: {int(r.n_met):,} answers after met contacts and {int(r.n_not_met):,} "
            f"after missed ones; at least {rule.min_n} a side are needed to judge it."
        )
    swing = f"{r.swing:+.0f} points (95% CI {r.swing_low:+.0f} to {r.swing_high:+.0f})"
    met = f"{r.met_rate:.0%}"
    if action == FIX:
        return (
            f"**Fix** {name}: meeting expectations moves NPS by {swing}, and only {met} of "
            f"{r.volume:,.0f} contacts meet them; about {r.at_stake:,.0f} net promoters are at stake."
        )
    if action == DELIGHT:
        return (
            f"**Delight** {name}: {met} of contacts meet expectations, the swing is {swing}, and "
            "these customers are worth more than most: exceeding expectations pays here."
        )
    if action == MAINTAIN:
        return f"**Maintain** {name}: delivered well ({met} met) on a swing of {swing}; keep it there."
    if action == UNCLEAR:
        more = r.get("answers_needed", math.nan)
        if isinstance(more, float) and math.isfinite(more) and 0 < more <= SETTLE_WITHIN * r.n:
            settle = f"about {more:,.0f} more answers would settle it if the swing held at {r.swing:+.0f}"
        elif isinstance(more, float) and math.isfinite(more) and more > 0:
            settle = "it sits so close to the line that more answers would not soon settle it"
        else:
            settle = "more answers would settle it"
        return (
            f"**Unclear** {name}: the swing is {swing}, which could still be {rule.materiality:g} points or more; "
            f"collect more answers before acting ({settle})."
        )
    return (
        f"**Right-size** {name}: the swing is {swing}, below {rule.materiality:g} points across its whole "
        f"interval, over {r.volume:,.0f} contacts; serve it more cheaply (self-service, automation, standard answers)."
    )
