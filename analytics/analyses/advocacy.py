"""Advocacy: Net Promoter Score with honest uncertainty, by any dimension and over time.

The responses that count, cut by customer and contact dimensions and by period, come from the
warehouse here; the estimates, intervals and tests they feed are ``analytics.stats.nps`` (the
trinomial interval of Rocks 2016, with customers as clusters for post-contact answers, which come
several to a customer) and ``analytics.stats.inference`` (exact tests, multiple-testing
corrections). Value x advocacy sets what customers last said against revenue and churn.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict, Unpack

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics.data import filters, periods, schema
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.periods import Period
from analytics.data.warehouse import Warehouse, epoch_seconds
from analytics.stats import inference
from analytics.stats.nps import (
    DETRACTOR_MAX,
    MIN_N,
    PROMOTER_MIN,
    Method,
    NPSDifference,
    NPSEstimate,
    cluster_design_effect,
    comparable,
    compare,
    independent_difference_variance,
    nps_estimate,
    nps_estimates,
)
from analytics.stats.units import MONTH_SECONDS

Responses = Literal["relationship", "transactional"]

#: A design effect above this is worth showing beside n (effective n = n / design effect).
DEFF_SHOWN = 1.2
#: The pooled group of the smaller values when only the largest few are shown.
OTHER = "other"

#: Dimensions NPS can be cut by, and where each comes from. ``behaviour_segment`` is the saved
#: segmentation (``analytics.analyses.segmentation``), null for customers it did not cover.
CUSTOMER_DIMENSIONS = ("segment", "region", "plan", "tenure_band", "behaviour_segment")
CONTACT_DIMENSIONS = ("channel", "handled_by", "journey_stage", "contact_reason")
TENURE_BANDS = ((0, 6, "0-6 months"), (6, 12, "6-12 months"), (12, 24, "1-2 years"), (24, 10_000, "2+ years"))


#: The survey columns NPS needs; kept narrow so that a scope's responses are cheap to hold.
RESPONSE_COLUMNS = ("survey_id", "customer_id", "interaction_id", "responded_at", "ltr")


def responses(
    wh: Warehouse, f: Filters, *, kind: Responses = "relationship", contact_dimensions: bool = True
) -> ibis.Table:
    """The survey responses that count for NPS in scope, with customer (and contact) attributes.

    ``relationship`` (default): each customer's latest relationship response in the date range.
    ``transactional``: every post-contact response in the date range, with the contact's channel,
    handler, journey stage and reason (null where the contact is not in the warehouse, e.g. because
    it was quarantined). ``contact_dimensions=False`` looks up only the contact's channel, which
    keeps the rows narrow when only customer dimensions are needed.

    Columns: ``survey_id``, ``customer_id``, ``interaction_id``, ``responded_at``, ``ltr``,
    ``segment``, ``region``, ``plan``, ``tenure_band``, ``behaviour_segment`` and, for transactional
    responses, the contact dimensions.
    Computed once per warehouse handle and scope (``Warehouse.kept_table``): every cut of a page
    reads the same rows.
    """
    if kind not in ("relationship", "transactional"):
        raise ValueError(f"unknown kind {kind!r}; use 'relationship' or 'transactional'")
    wide = contact_dimensions and kind == "transactional"
    base = without_channels(f)

    def build() -> ibis.Table:
        s = filters.surveys(wh, base, kind=kind).select(*RESPONSE_COLUMNS)
        if kind == "relationship":
            latest = ibis.row_number().over(group_by=s.customer_id, order_by=ibis.desc(s.responded_at))
            s = s.mutate(_rank=latest).filter(_._rank == 0).drop("_rank")
        else:
            contacts = wh.table("interactions").select("interaction_id", *(CONTACT_DIMENSIONS if wide else ["channel"]))
            s = s.left_join(contacts, "interaction_id").drop("interaction_id_right")
        return _with_customer_dimensions(wh, s)

    kept = wh.kept_table(("responses", base, kind, wide), build)
    return _with_tenure_band(filters.in_channels(wh, f, kept, kind=kind))


def without_channels(f: Filters) -> Filters:
    """``f`` without its channel filter: responses are gathered for that wider scope once, and each
    channel choice is a cheap filter on them (``filters.in_channels``)."""
    return dataclasses.replace(f, channels=())


def _with_customer_dimensions(wh: Warehouse, s: ibis.Table) -> ibis.Table:
    """Responses ``s`` with the customer's segment, region, plan, signup and behaviour segment (the
    tenure band is added by ``_with_tenure_band``, after any materialisation: computed only when used)."""
    customers = wh.table("customers").select("customer_id", "segment", "region", "plan", "signup_at")
    return with_behaviour_segment(wh, s.join(customers, "customer_id"))


def with_behaviour_segment(wh: Warehouse, t: ibis.Table) -> ibis.Table:
    """``t`` with ``behaviour_segment``: the saved segment of its ``customer_id`` (null if none)."""
    if wh.has(schema.SEGMENT_TABLE):
        segments = wh.table(schema.SEGMENT_TABLE).select("customer_id", behaviour_segment="segment")
        return t.left_join(segments, "customer_id").drop("customer_id_right")
    return t.mutate(behaviour_segment=ibis.null("string"))


def _with_tenure_band(s: ibis.Table) -> ibis.Table:
    """``tenure_band``: time from signup to the response, in the bands of ``TENURE_BANDS``."""
    months = (epoch_seconds(s.responded_at) - epoch_seconds(s.signup_at)) / MONTH_SECONDS
    band = ibis.cases(*[((months >= lo) & (months < hi), label) for lo, hi, label in TENURE_BANDS], else_=None)
    return s.mutate(tenure_band=band)


def responses_for(wh: Warehouse, by: str, kind: Responses | None = None) -> Responses:
    """Which responses NPS by ``by`` is measured on: ``kind`` if given and possible, else transactional
    for contact dimensions and relationship for customer dimensions.

    Raises
    ------
    ValueError
        For an unknown dimension, ``behaviour_segment`` before segments are saved, or relationship
        responses cut by a contact dimension.
    """
    if by not in CUSTOMER_DIMENSIONS + CONTACT_DIMENSIONS:
        raise ValueError(
            f"cannot cut NPS by {by!r}; choose one of {', '.join(CUSTOMER_DIMENSIONS + CONTACT_DIMENSIONS)}"
        )
    if by == "behaviour_segment" and not wh.has(schema.SEGMENT_TABLE):
        raise ValueError(
            "no behavioural segmentation is saved in this warehouse; run `iconic analyze segments --save` "
            "or analytics.analyses.segmentation.save_assignments() first"
        )
    if kind is None:
        return "transactional" if by in CONTACT_DIMENSIONS else "relationship"
    if kind == "relationship" and by in CONTACT_DIMENSIONS:
        raise ValueError(f"{by} is a contact dimension; relationship responses have no contact")
    return kind


def nps_counts(t: ibis.Table, by: Sequence[str] = (), *, clustered: bool = False) -> ibis.Table:
    """Responses, promoters and detractors per group of ``by``. ``clustered`` adds what the variance
    with customers as clusters needs (``inference.cluster_variance``): ``clusters`` (customers) and
    the sums ``suu``, ``suv``, ``svv`` of each customer's score sum ``u`` and response count ``v``."""
    promoter = (t.ltr >= PROMOTER_MIN).cast("int64")
    detractor = (t.ltr <= DETRACTOR_MAX).cast("int64")
    if clustered:
        per = t.group_by([*by, "customer_id"]).aggregate(v=_.count(), p=promoter.sum(), d=detractor.sum())
        per = per.mutate(u=per.p - per.d)
        metrics = {
            "n": per.v.sum(),
            "promoters": per.p.sum(),
            "detractors": per.d.sum(),
            "clusters": per.count(),
            "suu": (per.u * per.u).sum(),
            "suv": (per.u * per.v).sum(),
            "svv": (per.v * per.v).sum(),
        }
        return per.group_by(list(by)).aggregate(**metrics) if by else per.aggregate(**metrics)
    metrics = {"n": t.count(), "promoters": promoter.sum(), "detractors": detractor.sum()}
    return t.group_by(list(by)).aggregate(**metrics) if by else t.aggregate(**metrics)


def nps(
    wh: Warehouse, f: Filters = ALL_DATA, *, kind: Responses = "relationship", method: Method = "adjusted_wald"
) -> NPSEstimate:
    """NPS of every response in scope (see ``responses``): for relationship responses, each
    customer's latest answer in the scope's whole date range. ``headline`` gives the latest complete
    period against the one before instead."""
    counts = nps_counts(responses(wh, f, kind=kind, contact_dimensions=False), clustered=kind == "transactional")
    return _estimate_of(counts.execute().iloc[0], method)


def _estimate_of(row: pd.Series, method: Method) -> NPSEstimate:
    """The ``NPSEstimate`` of one row of ``_counts``, with its design effect when clustered."""
    n, promoters, detractors = _count(row["n"]), _count(row["promoters"]), _count(row["detractors"])
    clustered = bool(n) and "clusters" in row
    deff = float(cluster_design_effect(row.to_frame().T.astype(float))[0]) if clustered else 1.0
    customers = _count(row["clusters"]) if clustered else None
    return nps_estimate(
        promoters, n - promoters - detractors, detractors, method=method, design_effect=deff, customers=customers
    )


def _count(value: object) -> int:
    """A count from a SQL aggregate: a sum over no rows is null, which counts as 0."""
    return 0 if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Headline:
    """One kind of NPS over one period, with the change from the period before.

    ``period`` is the latest complete calendar period in scope with responses (see
    ``analytics.data.periods``); when the scope holds no complete period it is the scope's whole date
    range and there is no comparison. ``note`` says in words why a part is missing.
    """

    responses: Responses
    estimate: NPSEstimate
    period: Period | None
    previous: NPSEstimate | None = None
    previous_period: Period | None = None
    change: NPSDifference | None = None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the estimate with ``responses`` and ``period``, the previous one, the change."""
        out: dict[str, object] = {
            **self.estimate.to_dict(),
            "responses": self.responses,
            "period": self.period.to_dict() if self.period else None,
        }
        out["previous"] = (
            {**self.previous.to_dict(), "period": self.previous_period.to_dict() if self.previous_period else None}
            if self.previous
            else None
        )
        out["change"] = (
            {k: getattr(self.change, k) for k in ("diff", "low", "high", "p_value")} if self.change else None
        )
        out["note"] = self.note
        return out


RESPONSE_WORDS = {"relationship": "relationship", "transactional": "post-contact"}


def headline(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    kind: Responses = "relationship",
    unit: periods.Unit = "quarter",
    method: Method = "adjusted_wald",
) -> Headline:
    """The headline NPS: the latest complete month or quarter in scope against the one before.

    Relationship responses count each customer's latest answer in the period; a survey programme
    that asks every six months has responses in every other quarter, so the comparison is with the
    previous wave. Post-contact responses all count. The previous period is the latest earlier
    complete period with responses. The change's variance allows for the customers who answered in
    both periods, whose answers correlate (``inference.cluster_difference_variance``, customers as
    clusters; for post-contact answers also repeat answers within a period, with a t reference).
    """
    words = RESPONSE_WORDS[kind]
    t = _responses_by_period(wh, f, kind=kind, period=unit, contact_dimensions=False)
    counts = nps_counts(t, ["period"], clustered=kind == "transactional").execute()
    counts = counts.sort_values("period", ignore_index=True)
    counts = counts[counts["n"] > 0]
    _, last_day = filters.data_span(wh)
    spans = [periods.calendar_period(p, unit) for p in counts["period"]]
    complete = [i for i, span in enumerate(spans) if periods.is_complete(span, f, last_day)]

    def estimate(i: int) -> NPSEstimate:
        return _estimate_of(counts.drop(columns="period").iloc[i], method)

    if not complete:
        whole = nps(wh, f, kind=kind, method=method)
        note = (
            f"No {words} responses in this scope."
            if whole.n == 0
            else f"No complete {unit} in this scope: the whole scope is counted, with nothing to compare it with."
        )
        return Headline(kind, whole, periods.scope_period(wh, f), note=note)
    current = estimate(complete[-1])
    if len(complete) < 2:
        note = f"No earlier complete {unit} with {words} responses in this scope to compare with."
        return Headline(kind, current, spans[complete[-1]], note=note)
    previous = estimate(complete[-2])
    pair = t.filter(t.period.isin([counts["period"].iloc[complete[-1]], counts["period"].iloc[complete[-2]]]))
    shared = _difference_variances(pair, "period", counts["period"].iloc[complete[-2]])
    variance, df = shared.get(counts["period"].iloc[complete[-1]], (None, None))
    change = compare(current, previous, variance=variance, df=df if kind == "transactional" else None)
    note = ""
    if not comparable(current, previous):
        note = (
            f"Few responses (n = {current.n:,} and {previous.n:,}): the change is tested exactly, "
            f"without an interval (one needs at least {MIN_N} on each side)."
        )
    return Headline(kind, current, spans[complete[-1]], previous, spans[complete[-2]], change, note=note)


def _estimates(counts: pd.DataFrame, method: Method) -> pd.DataFrame:
    """Counts with the estimate of each row: ``passives``, ``score``, ``low``, ``high``, ``se``,
    ``design_effect`` and ``effective_n`` (the cluster columns of clustered counts are dropped)."""
    out = counts.reset_index(drop=True)
    for column in ("n", "promoters", "detractors"):
        out[column] = out[column].fillna(0).astype("int64")
    out["passives"] = out["n"] - out["promoters"] - out["detractors"]
    deff = cluster_design_effect(out) if len(out) else np.ones(0)
    df = out["clusters"].to_numpy(float) - 1 if "clusters" in out else None
    est = nps_estimates(out["promoters"], out["passives"], out["detractors"], method=method, design_effect=deff, df=df)
    if "clusters" in out:
        out["customers"] = out["clusters"].fillna(0).astype("int64")
    out = out.drop(columns=[c for c in CLUSTER_COLUMNS if c in out])
    out["design_effect"] = deff
    out["effective_n"] = out["n"] / np.fmax(deff, 1.0)
    return pd.concat([out, est], axis=1)


CLUSTER_COLUMNS = ("clusters", "suu", "suv", "svv")


class GroupTests(TypedDict, total=False):
    """How ``nps_by`` tests each group, with ``nps_by_rows``'s defaults: against ``baseline`` (default:
    the rest of the responses), p-values corrected by ``correction`` (``holm``) and significant below
    ``alpha`` (0.05), an interval only with ``min_n`` responses (``MIN_N``) on each side, NPS intervals
    by ``method`` (``adjusted_wald``)."""

    baseline: str | None
    correction: inference.Correction
    alpha: float
    min_n: int
    method: Method


def nps_by(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "segment",
    kind: Responses | None = None,
    **tests: Unpack[GroupTests],
) -> pd.DataFrame:
    """NPS per group of a dimension, each tested against the rest (or against ``baseline``); the
    options of the tests are ``GroupTests``.

    Contact dimensions (channel, handled_by, journey_stage, contact_reason) use transactional
    responses; customer dimensions default to relationship responses.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n``, ``promoters``, ``passives``, ``detractors``, ``score``, ``low``, ``high``,
        ``se``, ``design_effect`` and ``effective_n`` (1 and n for relationship responses),
        ``diff`` (points against the comparison; null for the baseline itself, or with no other
        responses), ``diff_low``, ``diff_high``, ``test`` (``normal`` or ``exact``, see
        ``nps.compare``), ``p_value``, ``p_adjusted``, ``significant`` (after correction) and
        ``small_n`` (n < ``min_n``), sorted by score. A comparison with fewer than ``min_n``
        responses on a side has no interval; one with fewer than ``nps.EXACT_BELOW`` is tested exactly.
        Post-contact responses are clustered by customer in every interval and test.
    """
    kind = responses_for(wh, by, kind)
    rows = responses(wh, f, kind=kind, contact_dimensions=by in CONTACT_DIMENSIONS)
    return nps_by_rows(rows, by, clustered=kind == "transactional", **tests)


def nps_by_rows(
    rows: ibis.Table,
    by: str,
    *,
    clustered: bool,
    baseline: str | None = None,
    correction: inference.Correction = "holm",
    alpha: float = 0.05,
    min_n: int = MIN_N,
    method: Method = "adjusted_wald",
) -> pd.DataFrame:
    """``nps_by`` on any responses: ``rows`` needs ``customer_id``, ``ltr`` and ``by`` (rows where it
    is null are left out). ``clustered`` treats customers as clusters, as for post-contact answers.
    Returns the columns of ``nps_by``."""
    rows = rows.filter(rows[by].notnull())
    counts = nps_counts(rows, [by], clustered=clustered).execute()
    counts = counts.rename(columns={by: "group"}).sort_values("group", ignore_index=True)
    table = _estimates(counts, method)
    columns = ["group", "n", "promoters", "passives", "detractors", "score", "low", "high", "se"]
    columns += ["design_effect", "effective_n", "diff", "diff_low", "diff_high", "test", "p_value", "p_adjusted"]
    columns += ["significant", "small_n"]
    if baseline is not None and baseline not in set(table["group"]):
        found = ", ".join(map(str, table["group"])) or "none"
        raise ValueError(f"baseline {baseline!r} is not a {by} with responses in scope; found {found}")
    if table.empty:
        return _empty(columns, significant=bool, small_n=bool)

    variances = _difference_variances(rows, by, baseline) if clustered else {}
    total = table[["n", "promoters", "detractors"]].sum()
    diffs: list[tuple[float, float, float, object, float]] = []
    for r in table.itertuples(index=False):
        if baseline is not None:
            ref = table.loc[table["group"] == baseline].iloc[0]
            other = (
                int(ref["promoters"]),
                int(ref["n"] - ref["promoters"] - ref["detractors"]),
                int(ref["detractors"]),
            )
        else:  # the rest of the responses
            rp, rd, rn = total["promoters"] - r.promoters, total["detractors"] - r.detractors, total["n"] - r.n
            other = (int(rp), int(rn - rp - rd), int(rd))
        if r.group == baseline or sum(other) == 0:  # nothing to compare with
            diffs.append((math.nan, math.nan, math.nan, None, math.nan))
            continue
        mine = nps_estimate(int(r.promoters), int(r.passives), int(r.detractors))
        variance, df = variances.get(r.group, (None, None))
        d = compare(mine, nps_estimate(*other), min_n=min_n, variance=variance, df=df)
        diffs.append((d.diff, d.low, d.high, d.test, d.p_value))
    table[["diff", "diff_low", "diff_high", "test", "p_value"]] = pd.DataFrame(diffs, dtype=object)
    for column in ("diff", "diff_low", "diff_high", "p_value"):
        table[column] = table[column].astype(float)
    tested = table["p_value"].notna()
    table["p_adjusted"] = np.nan
    table.loc[tested, "p_adjusted"] = inference.adjust_p_values(
        table.loc[tested, "p_value"].to_list(), method=correction
    )
    table["significant"] = table["p_adjusted"] < alpha
    table["small_n"] = table["n"] < min_n
    return table[columns].sort_values("score", ascending=False, ignore_index=True)


def _difference_variances(
    rows: ibis.Table, by: str, baseline: object | None
) -> dict[object, tuple[float, float | None]]:
    """For each group of ``by``, the variance (as shares) of its NPS minus that of the rest, or of
    ``baseline``, with customers as clusters: a customer who answered in both counts once, with the
    covariance their answers carry (``inference.cluster_difference_variance``). With it, the degrees
    of freedom for a t reference: the fewest customers on a side, less one (``None`` when each
    customer answered once, where the normal reference applies)."""
    score = ibis.cases((rows.ltr >= PROMOTER_MIN, 1), (rows.ltr <= DETRACTOR_MAX, -1), else_=0).cast("int64")
    scored = rows.mutate(_score=score)
    per = scored.group_by([by, "customer_id"]).aggregate(v=_.count(), u=_._score.sum())
    pool_rows = scored if baseline is None else scored.filter(scored[by] == baseline)
    pool = pool_rows.group_by("customer_id").aggregate(T=_._score.sum(), M=_.count())
    j = per.left_join(pool, "customer_id").drop("customer_id_right")
    j = j.mutate(T=j.T.fill_null(0), M=j.M.fill_null(0))
    sums = {
        "uu": j.u * j.u, "uv": j.u * j.v, "vv": j.v * j.v, "uT": j.u * j.T, "uM": j.u * j.M,
        "vT": j.v * j.T, "vM": j.v * j.M, "TT": j.T * j.T, "TM": j.T * j.M, "MM": j.M * j.M,
    }  # fmt: skip
    groups = (
        j.group_by(by)
        .aggregate(
            n=j.v.sum(),
            total=j.u.sum(),
            clusters=j.count(),
            shared=(j.M > 0).cast("int64").sum(),
            **{k: v.sum() for k, v in sums.items()},
        )
        .execute()
    )
    whole = (
        pool.aggregate(
            total=pool.T.sum(),
            n=pool.M.sum(),
            clusters=pool.count(),
            TT=(pool.T * pool.T).sum(),
            TM=(pool.T * pool.M).sum(),
            MM=(pool.M * pool.M).sum(),
        )
        .execute()
        .iloc[0]
    )
    if groups.empty or not _count(whole["n"]):
        return {}
    columns = {k: groups[k].fillna(0).to_numpy(float) for k in ("n", "total", "clusters", "shared", *sums)}
    moments = inference.PairMoments(
        **columns,
        pool_total=float(whole["total"]),
        pool_n=float(whole["n"]),
        pool_clusters=float(whole["clusters"]),
        pool_TT=float(whole["TT"]),
        pool_TM=float(whole["TM"]),
        pool_MM=float(whole["MM"]),
        in_pool=baseline is None,
    )
    variance = inference.cluster_difference_variance(moments)
    mine = columns["clusters"]
    others = moments.pool_clusters - mine if baseline is None else np.full(len(mine), moments.pool_clusters)
    repeat = (columns["n"] > mine).any() or moments.pool_n > moments.pool_clusters
    df = [float(min(a, b) - 1) if repeat else None for a, b in zip(mine, others, strict=True)]
    return {g: (float(v), d) for g, v, d in zip(groups[by], variance, df, strict=True)}


def _empty(columns: Sequence[str], **dtypes: type) -> pd.DataFrame:
    """A frame with ``columns`` and no rows: numbers are float, ``group`` text, ``dtypes`` as given."""
    return pd.DataFrame(
        {c: pd.Series(dtype=dtypes.get(c, object if c in ("group", "advocacy", "segment") else float)) for c in columns}
    )


@dataclass(frozen=True)
class LongRun:
    """NPS's straight-line trend over every period of a scope (``long_run``), in points a year."""

    responses: Responses
    trend: inference.Trend
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    period: str

    @property
    def years(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).days / 365.25


def long_run(trend: pd.DataFrame, *, kind: Responses = "transactional", period: str = "month") -> LongRun:
    """The trend through ``nps_trend`` output over its whole range: each period's NPS weighted by
    its precision (``se``, customer-clustered for post-contact answers), in points a year
    (``inference.weighted_trend``). It says whether NPS has drifted over years, which a change
    from one period to the next cannot show. Periods with fewer than ``MIN_N`` answers are left
    out, as on the charts."""
    used = trend[(trend["n"] >= MIN_N) & trend["se"].notna()] if not trend.empty else trend
    if used.empty:
        return LongRun(kind, inference.weighted_trend(np.array([]), np.array([]), np.array([])), None, None, period)
    when = pd.to_datetime(used["period"], utc=True)
    years = ((when - when.min()).dt.days / 365.25).to_numpy()
    fitted = inference.weighted_trend(years, used["score"].to_numpy(float), used["se"].to_numpy(float))
    return LongRun(kind, fitted, when.min(), when.max(), period)


def nps_trend(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    period: Literal["month", "quarter"] = "month",
    kind: Responses = "transactional",
    alpha: float = 0.05,
    method: Method = "adjusted_wald",
) -> pd.DataFrame:
    """NPS per calendar period with interval bands, and period-over-period changes tested.

    Transactional responses by default (every response counts in the period it was given); with
    relationship responses, each customer's latest in each period counts.

    Returns
    -------
    pandas.DataFrame
        ``period`` (start), ``n``, ``promoters``, ``passives``, ``detractors``, ``score``, ``low``,
        ``high``, ``se``, ``design_effect``, ``effective_n``, ``change`` (points from the previous
        period), ``p_value`` and ``significant`` (Holm-adjusted across all the changes; see
        ``nps.compare`` for the test used at each size).
    """
    t = _responses_by_period(wh, f, kind=kind, period=period, contact_dimensions=False)
    counts = nps_counts(t, ["period"], clustered=kind == "transactional").execute()
    table = _estimates(counts.sort_values("period", ignore_index=True), method)
    changes, p_values = [float("nan")] * min(1, len(table)), [float("nan")] * min(1, len(table))
    for prev, cur in zip(table.iloc[:-1].itertuples(index=False), table.iloc[1:].itertuples(index=False), strict=True):
        now, before = (
            nps_estimate(
                int(r.promoters),
                int(r.passives),
                int(r.detractors),
                design_effect=float(r.design_effect),
                customers=int(r.customers) if "customers" in table else None,
            )
            for r in (cur, prev)
        )
        fewest = min(now.customers or 0, before.customers or 0)
        d = compare(
            now, before, variance=independent_difference_variance(now, before), df=fewest - 1 if fewest else None
        )
        changes.append(d.diff)
        p_values.append(d.p_value)
    table["change"] = changes
    table["p_value"] = p_values
    tested = table["p_value"].notna().to_numpy()
    adjusted = np.full(len(table), np.nan)
    if tested.any():
        adjusted[tested] = inference.adjust_p_values(table.loc[tested, "p_value"].to_list(), method="holm")
    table["significant"] = adjusted < alpha
    return table


def _responses_by_period(
    wh: Warehouse, f: Filters, *, kind: Responses, period: Literal["month", "quarter"], contact_dimensions: bool
) -> ibis.Table:
    """Responses with a ``period`` column: transactional ones all; relationship ones, each customer's
    latest in the period (so a customer counts once per period, as in the headline)."""
    unit = periods.PANDAS_FREQ[period]
    if kind == "transactional":
        t = responses(wh, f, kind=kind, contact_dimensions=contact_dimensions)
        return t.mutate(period=t.responded_at.truncate(unit))

    base = without_channels(f)

    def build() -> ibis.Table:
        s = filters.surveys(wh, base, kind="relationship").select(*RESPONSE_COLUMNS)
        s = s.mutate(period=s.responded_at.truncate(unit))
        latest = ibis.row_number().over(group_by=[s.customer_id, s.period], order_by=ibis.desc(s.responded_at))
        return _with_customer_dimensions(wh, s.mutate(_rank=latest).filter(_._rank == 0).drop("_rank"))

    kept = wh.kept_table(("relationship_by_period", base, period), build)
    return _with_tenure_band(filters.in_channels(wh, f, kept, kind="relationship"))


def nps_by_period(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "segment",
    period: Literal["month", "quarter"] = "month",
    kind: Responses | None = None,
    top: int | None = None,
    min_n: int = MIN_N,
    method: Method = "adjusted_wald",
) -> pd.DataFrame:
    """NPS with its interval for every group of a dimension in every period, in one query.

    Each response counts in the period it was given. Relationship responses count once per
    customer per period (the latest in that period); transactional ones all count. Contact
    dimensions use transactional responses, customer dimensions relationship ones, unless ``kind``
    says otherwise. With ``top``, the ``top`` groups with the most responses keep their own rows and
    the rest are pooled as ``other`` (their counts added, so ``other`` is a real NPS of those
    responses), which keeps a chart of a dimension with many values readable.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``period`` (start), ``n``, ``promoters``, ``passives``, ``detractors``, ``score``,
        ``low``, ``high``, ``se``, ``design_effect``, ``effective_n`` and ``small_n``, sorted by
        group and period (``other`` last). Periods where a group had no responses are absent.
        Post-contact intervals are clustered by customer.
    """
    kind = responses_for(wh, by, kind)
    t = _responses_by_period(wh, f, kind=kind, period=period, contact_dimensions=by in CONTACT_DIMENSIONS)
    rows = t.filter(t[by].notnull())
    if top is not None:
        sizes = nps_counts(rows, [by]).execute().sort_values(["n", by], ascending=[False, True], kind="stable")
        if len(sizes) > top:
            kept = list(sizes[by].iloc[:top])
            rows = rows.mutate(**{by: ibis.ifelse(rows[by].isin(kept), rows[by], ibis.literal(OTHER))})
    counts = nps_counts(rows, [by, "period"], clustered=kind == "transactional").execute()
    counts = counts.rename(columns={by: "group"})
    counts = counts.sort_values(["group", "period"], key=_other_last, ignore_index=True)
    table = _estimates(counts, method)
    table["small_n"] = table["n"] < min_n
    columns = ["group", "period", "n", "promoters", "passives", "detractors", "score", "low", "high", "se"]
    return table[[*columns, "design_effect", "effective_n", "small_n"]]


def _other_last(column: pd.Series) -> pd.Series:
    return column.map(lambda v: (v == OTHER, v)) if column.name == "group" else column


# --- value x advocacy ---------------------------------------------------------------------------------

ADVOCACY_ORDER = ("promoter", "passive", "detractor", "no answer")
TIER_ORDER = ("vital few", "middle", "tail")
#: What to do with each cell of the value x advocacy grid.
GRID_ACTIONS = {
    ("vital few", "detractor"): "protect first",
    ("vital few", "passive"): "win over",
    ("vital few", "promoter"): "keep delighting",
    ("tail", "promoter"): "serve efficiently",
    ("tail", "detractor"): "fix at low cost",
}


def customer_advocacy(wh: Warehouse, f: Filters = ALL_DATA) -> ibis.Table:
    """One row per customer in scope with ``advocacy`` (from the latest relationship answer in the date
    range, or ``no answer``) and ``revenue_tier``: ``vital few`` (top 20% by monthly revenue),
    ``middle`` (next 30%) or ``tail`` (bottom 50%).

    Columns: ``customer_id``, ``segment``, ``region``, ``plan``, ``monthly_revenue``, ``signup_at``,
    ``churned_at``, ``ltr``, ``answered_at`` (when that answer was given), ``advocacy``,
    ``revenue_tier``.
    """

    def build() -> ibis.Table:
        customers = filters.customers(wh, f)
        latest = responses(wh, f, kind="relationship").select("customer_id", "ltr", answered_at="responded_at")
        t = customers.left_join(latest, "customer_id").drop("customer_id_right")
        rank = ibis.percent_rank().over(order_by=ibis.desc(t.monthly_revenue))
        advocacy = ibis.cases(
            (t.ltr >= PROMOTER_MIN, "promoter"),
            (t.ltr <= DETRACTOR_MAX, "detractor"),
            (t.ltr.notnull(), "passive"),
            else_="no answer",
        )
        return t.mutate(
            advocacy=advocacy,
            revenue_tier=ibis.cases((rank < 0.2, "vital few"), (rank < 0.5, "middle"), else_="tail"),
        )

    return wh.kept_table(("customer_advocacy", f), build)


def value_advocacy_grid(wh: Warehouse, f: Filters = ALL_DATA, *, alpha: float = 0.05) -> pd.DataFrame:
    """Revenue tier x advocacy: where value and advocacy meet, and which cells to act on.

    Customers are placed by their latest answer. Churn is a rate per time at risk in each state
    (``churn_at_risk``): a customer can only answer a survey by still being a customer, so the share
    who ever churned is lower among those who answered for that reason alone. Each answered cell's rate is compared exactly with the rest of the answered
    customers in its revenue tier (``inference.rate_ratio_test``, Holm-adjusted across cells). A cell
    gets its action only where that difference is significant and points the way the action
    assumes: detractors and passives churning faster than the rest of their tier, promoters slower.
    ``no answer`` (time before any answer) is shown but not tested: it is a different kind of time.

    Returns
    -------
    pandas.DataFrame
        ``revenue_tier``, ``advocacy``, ``customers``, ``revenue`` (monthly), ``revenue_share``,
        ``churned`` (churn events at risk), ``months_at_risk``, ``churn_rate`` (per 100
        customer-months) with its exact 95% interval ``churn_low`` / ``churn_high``, ``rate_ratio``
        against the rest of the tier with ``rate_ratio_low`` / ``rate_ratio_high``, ``p_value``,
        ``p_adjusted``, ``significant`` and ``action`` (empty where nothing is called for or the data
        do not support it). Every customer in scope is in exactly one cell.
    """
    people = customer_advocacy(wh, f)
    cells = ["revenue_tier", "advocacy"]
    grid = people.group_by(cells).aggregate(customers=_.count(), revenue=_.monthly_revenue.sum()).execute()
    grid = grid.merge(_churn_by(wh, f, people, cells), on=cells, how="outer")
    grid[["customers", "revenue"]] = grid[["customers", "revenue"]].fillna(0)
    grid["customers"] = grid["customers"].astype("int64")
    grid["months_at_risk"] = grid["months_at_risk"].fillna(0.0)
    grid["revenue_share"] = grid["revenue"] / grid["revenue"].sum()
    _rates(grid)
    tests, faster = [], []
    for r in grid.itertuples(index=False):
        rest = grid[(grid["revenue_tier"] == r.revenue_tier) & (grid["advocacy"] != r.advocacy)]
        rest = rest[rest["advocacy"] != "no answer"]
        if r.advocacy == "no answer" or rest.empty:
            tests.append(inference.RateRatio(math.nan, math.nan, math.nan, math.nan))
            faster.append(False)
            continue
        events, months = int(rest["churned"].sum()), float(rest["months_at_risk"].sum())
        tests.append(inference.rate_ratio_test(int(r.churned), float(r.months_at_risk), events, months))
        faster.append(r.churned * months > events * r.months_at_risk)
    grid["rate_ratio"] = [x.ratio for x in tests]
    grid["rate_ratio_low"] = [x.low for x in tests]
    grid["rate_ratio_high"] = [x.high for x in tests]
    grid["p_value"] = [x.p_value for x in tests]
    tested = grid["p_value"].notna()
    grid["p_adjusted"] = np.nan
    grid.loc[tested, "p_adjusted"] = inference.adjust_p_values(grid.loc[tested, "p_value"].to_list(), method="holm")
    grid["significant"] = grid["p_adjusted"] < alpha
    quicker = np.array(faster, dtype=bool)
    fits = np.where(grid["advocacy"] == "promoter", ~quicker, quicker)
    grid["action"] = [
        GRID_ACTIONS.get((tier, adv), "") if ok else ""
        for tier, adv, ok in zip(grid["revenue_tier"], grid["advocacy"], grid["significant"] & fits, strict=True)
    ]
    grid["revenue_tier"] = pd.Categorical(grid["revenue_tier"], TIER_ORDER, ordered=True)
    grid["advocacy"] = pd.Categorical(grid["advocacy"], ADVOCACY_ORDER, ordered=True)
    columns = ["revenue_tier", "advocacy", "customers", "revenue", "revenue_share", *CHURN_COLUMNS]
    columns += ["rate_ratio", "rate_ratio_low", "rate_ratio_high", "p_value", "p_adjusted", "significant", "action"]
    return grid.sort_values(["revenue_tier", "advocacy"], ignore_index=True)[columns]


#: What every churn rate comes with.
CHURN_COLUMNS = ("churned", "months_at_risk", "churn_rate", "churn_low", "churn_high")
#: Churn rates are given per this many customer-months at risk.
CHURN_PER = 100


def _rates(frame: pd.DataFrame) -> None:
    """Add ``churn_rate`` per ``CHURN_PER`` customer-months and its exact 95% interval, in place."""
    months = frame["months_at_risk"].astype(float).to_numpy()
    events = frame["churned"].fillna(0).astype("int64").to_numpy()
    frame["churned"] = events
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["churn_rate"] = np.where(months > 0, CHURN_PER * events / months, np.nan)
    low, high = inference.poisson_interval(events, months)
    frame["churn_low"], frame["churn_high"] = CHURN_PER * low, CHURN_PER * high


def churn_at_risk(wh: Warehouse, f: Filters, people: ibis.Table) -> ibis.Table:
    """Time at risk of churning in scope for ``people`` (from ``customer_advocacy``), split by what
    the customer had last said: one row per spell, ``customer_id``, ``revenue_tier``, ``advocacy``,
    ``months_at_risk`` and ``churned_at_risk`` (the churn that ends the spell, if it does).

    A relationship answer starts a spell in its category that lasts until the next answer, churn, or
    the end of the scope's days; the time before a customer's first answer in scope (from signup or
    the scope's start) is ``no answer``. Each moment is counted in the state the customer was in
    then, known from the past alone. Grouping customers by their latest answer instead would count
    only the time after it, and a customer who stays long enough tends to answer again, so the
    latest answer would pick out those who left soon after (measured: 5.0 churns per 100
    customer-months against a true 3.0 on a world where attitude does not matter). Classifying
    whole customers by whether they ever answered has the opposite bias: answering needs surviving.
    """
    span = periods.scope_period(wh, f)
    columns = {"customer_id": "string", "revenue_tier": "string", "advocacy": "string"}
    if span is None:
        schema_ = ibis.schema({**columns, "months_at_risk": "float64", "churned_at_risk": "boolean"})
        return ibis.memtable(pd.DataFrame({c: pd.Series(dtype=object) for c in schema_.names}), schema=schema_)
    first = ibis.literal(pd.Timestamp(span.start, tz="UTC"), type="timestamp('UTC')")
    last = ibis.literal(pd.Timestamp(span.end, tz="UTC") + pd.Timedelta(days=1), type="timestamp('UTC')")
    who = people.select("customer_id", "revenue_tier", "churned_at", "signup_at")
    answers = filters.surveys(wh, without_channels(f), kind="relationship").select("customer_id", "responded_at", "ltr")
    answers = answers.semi_join(who.select("customer_id"), "customer_id")
    following = answers.responded_at.lead().over(group_by=answers.customer_id, order_by=answers.responded_at)
    after = answers.select(
        "customer_id",
        start=answers.responded_at,
        stop=following,
        advocacy=ibis.cases(
            (answers.ltr >= PROMOTER_MIN, "promoter"), (answers.ltr <= DETRACTOR_MAX, "detractor"), else_="passive"
        ),
    )
    earliest = answers.group_by("customer_id").aggregate(stop=answers.responded_at.min())
    before = who.left_join(earliest, "customer_id").select(
        "customer_id", start=ibis.greatest(who.signup_at, first), stop=_.stop, advocacy=ibis.literal("no answer")
    )
    kinds = {"start": "timestamp('UTC')", "stop": "timestamp('UTC')"}
    spells = before.cast(kinds).union(after.cast(kinds)).join(who, "customer_id")
    until = ibis.least(spells.stop.fill_null(last), last)
    end = ibis.least(until, spells.churned_at.fill_null(last))
    months = ((epoch_seconds(end) - epoch_seconds(spells.start)) / MONTH_SECONDS).clip(lower=0.0)
    churned = spells.churned_at.notnull() & (spells.churned_at >= spells.start) & (spells.churned_at < until)
    return spells.select("customer_id", "revenue_tier", "advocacy", months_at_risk=months, churned_at_risk=churned)


def _churn_by(wh: Warehouse, f: Filters, people: ibis.Table, by: Sequence[str]) -> pd.DataFrame:
    """Churn events and months at risk per group of ``by`` (``churn_at_risk`` spells)."""
    spells = churn_at_risk(wh, f, people)
    return (
        spells.group_by(list(by))
        .aggregate(churned=spells.churned_at_risk.cast("int64").sum(), months_at_risk=spells.months_at_risk.sum())
        .execute()
    )


def with_contacts(wh: Warehouse, f: Filters, people: ibis.Table, *, detail: bool = False) -> ibis.Table:
    """``people`` (one row per customer) with ``contacts``, their number of contacts in scope (null
    for customers without any). ``detail`` adds ``automated`` (handled without a person),
    ``escalations`` and a count per channel, named after it (``voice``, ``chat``, ... as in
    ``schema.CHANNELS``).

    Adds ``months_observed``: months as a customer within the scope's days (its date range, bounded
    by the data; at least 1), and ``tenure_months``: months from signup to the end of those days or
    to churn. With no dated data at all, both are 1 and 0. Plain counts come from
    ``filters.contact_counts``, so every cut of one date range shares a single pass over the contacts.
    """
    if detail:
        contacts = filters.interactions(wh, f)
        key = ("contact_detail", f)
        usage = wh.kept_table(
            key,
            lambda: contacts.group_by("customer_id").aggregate(
                contacts=_.count(),
                automated=_.is_automated.cast("int64").sum(),
                escalations=_.is_escalated.cast("int64").sum(),
                **{c: (_.channel == c).cast("int64").sum() for c in schema.CHANNELS},
            ),
        )
    else:
        counts = filters.contact_counts(wh, f)
        if f.channels:
            counts = counts.filter(counts.channel.isin(list(f.channels)))
        usage = counts.group_by("customer_id").aggregate(contacts=_.contacts.sum())
    t = people.left_join(usage, "customer_id").drop("customer_id_right")
    span = periods.scope_period(wh, f)
    if span is None:
        return t.mutate(months_observed=ibis.literal(1.0), tenure_months=ibis.literal(0.0))
    first = ibis.literal(pd.Timestamp(span.start, tz="UTC"), type="timestamp('UTC')")
    last = ibis.literal(pd.Timestamp(span.end, tz="UTC") + pd.Timedelta(days=1), type="timestamp('UTC')")
    start = ibis.greatest(t.signup_at, first)
    end = ibis.least(t.churned_at.fill_null(last), last)
    observed = ((epoch_seconds(end) - epoch_seconds(start)) / MONTH_SECONDS).clip(lower=1.0)
    tenure = ((epoch_seconds(end) - epoch_seconds(t.signup_at)) / MONTH_SECONDS).clip(lower=0.0)
    return t.mutate(months_observed=observed, tenure_months=tenure)


def advocacy_economics(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Promoters against passives against detractors: are advocates worth more on this data?

    Returns
    -------
    pandas.DataFrame
        ``advocacy``, ``customers``, ``monthly_revenue`` (mean), ``contacts_per_month`` (interactions
        in scope over months as a customer within the interaction window), each with a 95% normal
        interval (``_low`` / ``_high``), placed by each customer's latest answer; and churn as a
        rate per time at risk in each state (``churn_at_risk``): ``churned``, ``months_at_risk``,
        ``churn_rate`` per 100 customer-months with its exact interval ``churn_low`` /
        ``churn_high``. Raw rates: plan, tenure and segment
        are not held fixed, and ``no answer`` is time before a first answer, much of it early in
        tenure, so it is not comparable with the answered states.
    """
    people = customer_advocacy(wh, f)
    t = with_contacts(wh, f, people)
    t = t.mutate(rate=t.contacts.fill_null(0) / t.months_observed)
    out = (
        t.group_by("advocacy")
        .aggregate(
            customers=_.count(),
            monthly_revenue=_.monthly_revenue.mean(),
            revenue_sd=_.monthly_revenue.std(),
            contacts_per_month=_.rate.mean(),
            contacts_sd=_.rate.std(),
        )
        .execute()
    )
    out = out.merge(_churn_by(wh, f, people, ["advocacy"]), on="advocacy", how="outer")
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["months_at_risk"] = out["months_at_risk"].fillna(0.0)
    half = inference.critical_z(0.95) / np.sqrt(out["customers"])
    for mean, sd in (("monthly_revenue", "revenue_sd"), ("contacts_per_month", "contacts_sd")):
        out[f"{mean}_low"] = out[mean] - half * out[sd]
        out[f"{mean}_high"] = out[mean] + half * out[sd]
    _rates(out)
    out["advocacy"] = pd.Categorical(out["advocacy"], ADVOCACY_ORDER, ordered=True)
    columns = ["advocacy", "customers"]
    columns += ["monthly_revenue", "monthly_revenue_low", "monthly_revenue_high"]
    columns += ["contacts_per_month", "contacts_per_month_low", "contacts_per_month_high", *CHURN_COLUMNS]
    return out.sort_values("advocacy", ignore_index=True)[columns]
