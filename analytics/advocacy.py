"""Advocacy: Net Promoter Score with honest uncertainty, by any dimension and over time.

NPS = % promoters (LTR 9-10) minus % detractors (LTR 0-6). Its standard error treats each response as
a trinomial draw scored +1, 0 or -1 (Rocks, B. 2016, "Interval estimation for the Net Promoter Score",
The American Statistician 70(4)): with promoter share p and detractor share d the variance per response
is ``p + d - (p - d)^2``. Treating promoters and detractors as two independent proportions, a common
mistake, understates it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics import filters, periods, schema
from analytics.filters import ALL_DATA, Filters
from analytics.periods import Period
from analytics.warehouse import Warehouse

Method = Literal["adjusted_wald", "wald"]
Correction = Literal["holm", "bh"]
Responses = Literal["relationship", "transactional"]

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
#: Groups with fewer responses are flagged as small (still shown, never hidden).
MIN_N = 30
MONTH_SECONDS = 30.4375 * 86400
#: The pooled group of the smaller values when only the largest few are shown.
OTHER = "other"


@dataclass(frozen=True)
class NPSEstimate:
    """An NPS in points (-100 to 100) with its interval and the counts behind it.

    With no responses there is no estimate: ``score``, ``low``, ``high`` and ``se`` are ``None`` and
    ``n`` is 0.
    """

    score: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    se: float | None
    method: Method = "adjusted_wald"
    confidence: float = 0.95

    def to_dict(self) -> dict[str, object]:
        """The estimate as plain JSON-ready values (``None`` where there is no estimate)."""
        return {
            "score": self.score,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "method": self.method,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class NPSDifference:
    """The difference of two independent NPS values (first minus second), in points."""

    diff: float
    se: float
    z: float
    p_value: float
    low: float
    high: float


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _variance(promoters: float, detractors: float, n: float) -> float:
    p, d = promoters / n, detractors / n
    return p + d - (p - d) ** 2


def nps_estimate(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: Method = "adjusted_wald",
    confidence: float = 0.95,
) -> NPSEstimate:
    """NPS with a confidence interval from counts (Rocks 2016).

    ``wald``: score ± z·SE. ``adjusted_wald`` (default, better for small n): add 3/4 to the promoter
    and detractor counts and 3 to n, then apply the Wald formula. It is defined even at n = 1. The
    reported ``score`` is always the plain NPS of the counts; the interval is clipped to [-100, 100].
    Because the adjusted interval is centred on the adjusted estimate, it contains the plain score
    for every split of two or more responses, but not for a single promoter (score 100, interval
    up to 98.5) or a single detractor. An interval that leaves out its own estimate only confuses,
    so there the interval is widened to reach the score; such groups are flagged as small anyway.

    With no responses there is nothing to estimate, and the result says so with ``None`` for the
    score, interval and standard error (the adjusted interval of zero responses, -80 to +80, says
    nothing about anyone).

    Raises
    ------
    ValueError
        For negative counts or an unknown method.
    """
    n = promoters + passives + detractors
    if n == 0 and min(promoters, passives, detractors) == 0:
        nps_estimates(np.zeros(0), np.zeros(0), np.zeros(0), method=method, confidence=confidence)  # checks options
        return NPSEstimate(None, None, None, 0, 0, 0, 0, None, method=method, confidence=confidence)
    row = nps_estimates(
        np.array([promoters]), np.array([passives]), np.array([detractors]), method=method, confidence=confidence
    ).iloc[0]
    return NPSEstimate(
        score=float(row["score"]),
        low=float(row["low"]),
        high=float(row["high"]),
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        se=float(row["se"]),
        method=method,
        confidence=confidence,
    )


def nps_estimates(
    promoters: np.ndarray,
    passives: np.ndarray,
    detractors: np.ndarray,
    *,
    method: Method = "adjusted_wald",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """``nps_estimate`` for many groups at once: columns ``score``, ``low``, ``high``, ``se`` (points).

    Same formulas, vectorised. Groups without responses get NaN for all four.
    """
    if method not in ("adjusted_wald", "wald"):
        raise ValueError(f"unknown method {method!r}; use 'adjusted_wald' or 'wald'")
    p, m, d = (np.asarray(a, dtype=float) for a in (promoters, passives, detractors))
    if (np.minimum(np.minimum(p, m), d) < 0).any():
        raise ValueError("counts must be non-negative")
    n = p + m + d
    extra = 0.75 if method == "adjusted_wald" else 0.0
    cp, cd, cn = p + extra, d + extra, n + 4 * extra
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (cp - cd) / cn
        se = np.sqrt((cp / cn + cd / cn - centre**2) / cn)
        score = np.where(n > 0, 100 * (p - d) / n, np.nan)
    half = _z(confidence) * se
    none = n == 0
    with np.errstate(invalid="ignore"):
        low = np.fmin(np.maximum(-100.0, 100 * (centre - half)), score)
        high = np.fmax(np.minimum(100.0, 100 * (centre + half)), score)
    return pd.DataFrame(
        {
            "score": score,
            "low": np.where(none, np.nan, low),
            "high": np.where(none, np.nan, high),
            "se": np.where(none, np.nan, 100 * se),
        }
    )


def wilson_interval(
    successes: np.ndarray | pd.Series, n: np.ndarray | pd.Series, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions ``successes / n``, element-wise (Wilson 1927).

    Stays inside [0, 1] and is sensible at 0 or n successes, unlike the Wald interval. Returns NaN
    where ``n`` is 0.
    """
    k, m = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
        # The interval always holds p; at 0 or n successes rounding can leave a bound a hair past it.
        low, high = np.fmin(centre - half, p), np.fmax(centre + half, p)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def nps_from_scores(ltr: Sequence[int] | np.ndarray, **kwargs: object) -> NPSEstimate:
    """NPS of raw 0-10 likelihood-to-recommend scores (see ``nps_estimate`` for the options)."""
    scores = np.asarray(ltr)
    if scores.size and (scores.min() < 0 or scores.max() > 10):
        raise ValueError("likelihood-to-recommend scores must be between 0 and 10")
    promoters = int((scores >= PROMOTER_MIN).sum())
    detractors = int((scores <= DETRACTOR_MAX).sum())
    return nps_estimate(promoters, scores.size - promoters - detractors, detractors, **kwargs)  # type: ignore[arg-type]


def nps_difference(a: NPSEstimate, b: NPSEstimate, *, confidence: float = 0.95) -> NPSDifference:
    """Two-sided z test of NPS(a) - NPS(b) for independent samples (Rocks 2016).

    Uses the plain counts: ``z = (NPS_a - NPS_b) / sqrt(var_a / n_a + var_b / n_b)``. The interval
    is clipped to the possible range, -200 to +200 points. The approximation needs responses on
    both sides; callers test only groups of at least ``MIN_N`` (see ``comparable``).
    """
    if a.n == 0 or b.n == 0:
        raise ValueError("both samples need at least one response")
    diff = (a.promoters - a.detractors) / a.n - (b.promoters - b.detractors) / b.n
    se = math.sqrt(_variance(a.promoters, a.detractors, a.n) / a.n + _variance(b.promoters, b.detractors, b.n) / b.n)
    z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p_value = math.erfc(abs(z) / math.sqrt(2))
    half = _z(confidence) * se
    low, high = max(-200.0, 100 * (diff - half)), min(200.0, 100 * (diff + half))
    return NPSDifference(100 * diff, 100 * se, z, p_value, low, high)


def comparable(a: NPSEstimate, b: NPSEstimate, *, min_n: int | None = None) -> bool:
    """Whether the normal approximation behind ``nps_difference`` can be trusted for ``a`` against
    ``b``: at least ``min_n`` (default ``MIN_N``) responses on each side. Below that a difference is
    shown as a plain difference, without an interval or a significance flag."""
    least = MIN_N if min_n is None else min_n
    return a.n >= least and b.n >= least


def adjust_p_values(p_values: Sequence[float], *, method: Correction = "holm") -> np.ndarray:
    """Adjust p-values for many comparisons: Holm's step-down (family-wise error) or
    Benjamini-Hochberg (false discovery rate). Returns adjusted values in the input order.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


# --- warehouse-backed -------------------------------------------------------------------------------

#: Dimensions NPS can be cut by, and where each comes from. ``behaviour_segment`` is the saved
#: segmentation (``analytics.segmentation``), null for customers it did not cover.
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
    Computed once per warehouse handle and scope (``Warehouse.materialize``): every cut of a page
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

    kept = wh.materialize(("responses", base, kind, wide), build)
    return _with_tenure_band(filters.in_channels(wh, f, kept, kind=kind))


def without_channels(f: Filters) -> Filters:
    """``f`` without its channel filter: responses are gathered for that wider scope once, and each
    channel choice is a cheap filter on them (``filters.in_channels``)."""
    return dataclasses.replace(f, channels=())


def _with_customer_dimensions(wh: Warehouse, s: ibis.Table) -> ibis.Table:
    """Responses ``s`` with the customer's segment, region, plan, signup and behaviour segment (the
    tenure band is added by ``_with_tenure_band``, after any materialisation: computed only when used)."""
    customers = wh.table("customers").select("customer_id", "segment", "region", "plan", "signup_at")
    s = s.join(customers, "customer_id")
    if wh.has(schema.SEGMENT_TABLE):
        segments = wh.table(schema.SEGMENT_TABLE).select("customer_id", behaviour_segment="segment")
        return s.left_join(segments, "customer_id").drop("customer_id_right")
    return s.mutate(behaviour_segment=ibis.null("string"))


def _with_tenure_band(s: ibis.Table) -> ibis.Table:
    """``tenure_band``: time from signup to the response, in the bands of ``TENURE_BANDS``."""
    months = (s.responded_at.epoch_seconds() - s.signup_at.epoch_seconds()) / MONTH_SECONDS
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
            "or analytics.segmentation.save_assignments() first"
        )
    if kind is None:
        return "transactional" if by in CONTACT_DIMENSIONS else "relationship"
    if kind == "relationship" and by in CONTACT_DIMENSIONS:
        raise ValueError(f"{by} is a contact dimension; relationship responses have no contact")
    return kind


def _counts(t: ibis.Table, by: Sequence[str] = ()) -> ibis.Table:
    promoter = (t.ltr >= PROMOTER_MIN).cast("int64")
    detractor = (t.ltr <= DETRACTOR_MAX).cast("int64")
    metrics = {"n": t.count(), "promoters": promoter.sum(), "detractors": detractor.sum()}
    return t.group_by(list(by)).aggregate(**metrics) if by else t.aggregate(**metrics)


def nps(
    wh: Warehouse, f: Filters = ALL_DATA, *, kind: Responses = "relationship", method: Method = "adjusted_wald"
) -> NPSEstimate:
    """NPS of every response in scope (see ``responses``): for relationship responses, each
    customer's latest answer in the scope's whole date range. ``headline`` gives the latest complete
    period against the one before instead."""
    row = _counts(responses(wh, f, kind=kind, contact_dimensions=False)).execute().iloc[0]
    n, promoters, detractors = _count(row["n"]), _count(row["promoters"]), _count(row["detractors"])
    return nps_estimate(promoters, n - promoters - detractors, detractors, method=method)


def _count(value: object) -> int:
    """A count from a SQL aggregate: a sum over no rows is null, which counts as 0."""
    return 0 if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Headline:
    """One kind of NPS over one period, with the change from the period before.

    ``period`` is the latest complete calendar period in scope with responses (see
    ``analytics.periods``); when the scope holds no complete period it is the scope's whole date
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
    complete period with responses. The change is tested as two independent samples (Rocks 2016);
    a customer who answers in both periods makes the two correlate positively, which makes that
    test conservative.
    """
    words = RESPONSE_WORDS[kind]
    t = _responses_by_period(wh, f, kind=kind, period=unit, contact_dimensions=False)
    counts = _counts(t, ["period"]).execute().sort_values("period", ignore_index=True)
    counts = counts[counts["n"] > 0]
    _, last_day = filters.data_span(wh)
    spans = [periods.calendar_period(p, unit) for p in counts["period"]]
    complete = [i for i, span in enumerate(spans) if periods.is_complete(span, f, last_day)]

    def estimate(i: int) -> NPSEstimate:
        row = counts.iloc[i]
        n, p, d = _count(row["n"]), _count(row["promoters"]), _count(row["detractors"])
        return nps_estimate(p, n - p - d, d, method=method)

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
    if not comparable(current, previous):
        note = (
            f"Too few responses to test the change from {spans[complete[-2]].label} "
            f"(n = {current.n:,} and {previous.n:,}; at least {MIN_N} each are needed)."
        )
        return Headline(kind, current, spans[complete[-1]], previous, spans[complete[-2]], note=note)
    change = nps_difference(current, previous)
    return Headline(kind, current, spans[complete[-1]], previous, spans[complete[-2]], change)


def _estimates(counts: pd.DataFrame, method: Method) -> pd.DataFrame:
    out = counts.reset_index(drop=True)
    for column in ("n", "promoters", "detractors"):
        out[column] = out[column].fillna(0).astype("int64")
    out["passives"] = out["n"] - out["promoters"] - out["detractors"]
    est = nps_estimates(out["promoters"], out["passives"], out["detractors"], method=method)
    return pd.concat([out, est], axis=1)


def nps_by(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "segment",
    kind: Responses | None = None,
    baseline: str | None = None,
    correction: Correction = "holm",
    alpha: float = 0.05,
    min_n: int = MIN_N,
    method: Method = "adjusted_wald",
) -> pd.DataFrame:
    """NPS per group of a dimension, each tested against the rest (or against ``baseline``).

    Contact dimensions (channel, handled_by, journey_stage, contact_reason) use transactional
    responses; customer dimensions default to relationship responses.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n``, ``promoters``, ``passives``, ``detractors``, ``score``, ``low``, ``high``,
        ``se``, ``diff`` (points against the comparison; null for the baseline itself, or with no
        other responses), ``diff_low``, ``diff_high``, ``p_value``, ``p_adjusted``, ``significant``
        (after correction) and ``small_n`` (n < ``min_n``), sorted by score. A group, or a
        comparison, with fewer than ``min_n`` responses gets its difference without an interval or
        a test (``comparable``), so it is never flagged significant.
    """
    kind = responses_for(wh, by, kind)
    counts = _counts(
        responses(wh, f, kind=kind, contact_dimensions=by in CONTACT_DIMENSIONS).filter(_[by].notnull()), [by]
    ).execute()
    counts = counts.rename(columns={by: "group"}).sort_values("group", ignore_index=True)
    table = _estimates(counts, method)
    columns = ["group", "n", "promoters", "passives", "detractors", "score", "low", "high", "se"]
    columns += ["diff", "diff_low", "diff_high", "p_value", "p_adjusted", "significant", "small_n"]
    if baseline is not None and baseline not in set(table["group"]):
        found = ", ".join(map(str, table["group"])) or "none"
        raise ValueError(f"baseline {baseline!r} is not a {by} with responses in scope; found {found}")
    if table.empty:
        return _empty(columns, significant=bool, small_n=bool)

    total = table[["n", "promoters", "detractors"]].sum()
    diffs = []
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
        mine = nps_estimate(int(r.promoters), int(r.passives), int(r.detractors), method="adjusted_wald")
        if r.group == baseline or sum(other) == 0:  # nothing to compare with
            diffs.append((float("nan"),) * 4)
            continue
        theirs = nps_estimate(*other, method="adjusted_wald")
        d = nps_difference(mine, theirs)
        if comparable(mine, theirs, min_n=min_n):
            diffs.append((d.diff, d.low, d.high, d.p_value))
        else:  # too few to test: the difference alone
            diffs.append((d.diff, float("nan"), float("nan"), float("nan")))
    table[["diff", "diff_low", "diff_high", "p_value"]] = pd.DataFrame(diffs)
    tested = table["p_value"].notna()
    table["p_adjusted"] = np.nan
    table.loc[tested, "p_adjusted"] = adjust_p_values(table.loc[tested, "p_value"].to_list(), method=correction)
    table["significant"] = table["p_adjusted"] < alpha
    table["small_n"] = table["n"] < min_n
    return table[columns].sort_values("score", ascending=False, ignore_index=True)


def _empty(columns: Sequence[str], **dtypes: type) -> pd.DataFrame:
    """A frame with ``columns`` and no rows: numbers are float, ``group`` text, ``dtypes`` as given."""
    return pd.DataFrame(
        {c: pd.Series(dtype=dtypes.get(c, object if c in ("group", "advocacy", "segment") else float)) for c in columns}
    )


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
        ``high``, ``se``, ``change`` (points from the previous period), ``p_value`` and ``significant``
        (Holm-adjusted across all the changes tested; a change with fewer than ``MIN_N`` responses
        on either side is not tested).
    """
    t = _responses_by_period(wh, f, kind=kind, period=period, contact_dimensions=False)
    table = _estimates(_counts(t, ["period"]).execute().sort_values("period", ignore_index=True), method)
    changes, p_values = [float("nan")] * min(1, len(table)), [float("nan")] * min(1, len(table))
    for prev, cur in zip(table.iloc[:-1].itertuples(index=False), table.iloc[1:].itertuples(index=False), strict=True):
        now = nps_estimate(int(cur.promoters), int(cur.passives), int(cur.detractors))
        before = nps_estimate(int(prev.promoters), int(prev.passives), int(prev.detractors))
        d = nps_difference(now, before)
        changes.append(d.diff)
        p_values.append(d.p_value if comparable(now, before) else float("nan"))
    table["change"] = changes
    table["p_value"] = p_values
    tested = table["p_value"].notna().to_numpy()
    adjusted = np.full(len(table), np.nan)
    if tested.any():
        adjusted[tested] = adjust_p_values(table.loc[tested, "p_value"].to_list(), method="holm")
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

    kept = wh.materialize(("relationship_by_period", base, period), build)
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
        ``low``, ``high``, ``se`` and ``small_n``, sorted by group and period (``other`` last).
        Periods where a group had no responses are absent.
    """
    kind = responses_for(wh, by, kind)
    t = _responses_by_period(wh, f, kind=kind, period=period, contact_dimensions=by in CONTACT_DIMENSIONS)
    counts = _counts(t.filter(t[by].notnull()), [by, "period"]).execute()
    counts = counts.rename(columns={by: "group"})
    if top is not None and counts["group"].nunique() > top:
        sizes = counts.groupby("group")["n"].sum().sort_values(ascending=False, kind="stable")
        kept = set(sizes.index[:top])
        counts["group"] = counts["group"].where(counts["group"].isin(kept), OTHER)
        counts = counts.groupby(["group", "period"], as_index=False)[["n", "promoters", "detractors"]].sum()
    counts = counts.sort_values(["group", "period"], key=_other_last, ignore_index=True)
    table = _estimates(counts, method)
    table["small_n"] = table["n"] < min_n
    columns = ["group", "period", "n", "promoters", "passives", "detractors", "score", "low", "high", "se", "small_n"]
    return table[columns]


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
    ``churned_at``, ``ltr``, ``advocacy``, ``revenue_tier``.
    """

    def build() -> ibis.Table:
        customers = filters.customers(wh, f)
        latest = responses(wh, f, kind="relationship").select("customer_id", "ltr")
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

    return wh.materialize(("customer_advocacy", f), build)


def value_advocacy_grid(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Revenue tier x advocacy: where value and advocacy meet, and which cells to act on.

    Returns
    -------
    pandas.DataFrame
        ``revenue_tier``, ``advocacy``, ``customers``, ``revenue`` (monthly), ``revenue_share``,
        ``churn_rate`` (share of the cell's customers who have churned) with its 95% Wilson interval
        ``churn_low`` / ``churn_high``, and ``action`` (empty where nothing specific is called for).
        Every customer in scope is in exactly one cell.
    """
    t = customer_advocacy(wh, f)
    grid = (
        t.group_by(["revenue_tier", "advocacy"])
        .aggregate(customers=_.count(), revenue=_.monthly_revenue.sum(), churn_rate=_.churned_at.notnull().mean())
        .execute()
    )
    grid["revenue_share"] = grid["revenue"] / grid["revenue"].sum()
    grid["churn_low"], grid["churn_high"] = wilson_interval(grid["churn_rate"] * grid["customers"], grid["customers"])
    grid["action"] = [GRID_ACTIONS.get((r, a), "") for r, a in zip(grid["revenue_tier"], grid["advocacy"], strict=True)]
    grid["revenue_tier"] = pd.Categorical(grid["revenue_tier"], TIER_ORDER, ordered=True)
    grid["advocacy"] = pd.Categorical(grid["advocacy"], ADVOCACY_ORDER, ordered=True)
    columns = [
        "revenue_tier",
        "advocacy",
        "customers",
        "revenue",
        "revenue_share",
        "churn_rate",
        "churn_low",
        "churn_high",
    ]
    columns += ["action"]
    return grid.sort_values(["revenue_tier", "advocacy"], ignore_index=True)[columns]


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
        usage = wh.materialize(
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
    observed = ((end.epoch_seconds() - start.epoch_seconds()) / MONTH_SECONDS).clip(lower=1.0)
    tenure = ((end.epoch_seconds() - t.signup_at.epoch_seconds()) / MONTH_SECONDS).clip(lower=0.0)
    return t.mutate(months_observed=observed, tenure_months=tenure)


def advocacy_economics(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Promoters against passives against detractors: are advocates worth more on this data?

    Returns
    -------
    pandas.DataFrame
        ``advocacy``, ``customers``, ``monthly_revenue`` (mean), ``contacts_per_month`` (interactions
        in scope over months as a customer within the interaction window) and ``churn_rate``, each
        with a 95% interval (``_low`` / ``_high``; normal approximation for the means, Wilson for
        churn). Raw rates: plan, tenure and segment are not held fixed.
    """
    t = with_contacts(wh, f, customer_advocacy(wh, f))
    t = t.mutate(rate=t.contacts.fill_null(0) / t.months_observed)
    out = (
        t.group_by("advocacy")
        .aggregate(
            customers=_.count(),
            monthly_revenue=_.monthly_revenue.mean(),
            revenue_sd=_.monthly_revenue.std(),
            contacts_per_month=_.rate.mean(),
            contacts_sd=_.rate.std(),
            churn_rate=_.churned_at.notnull().mean(),
        )
        .execute()
    )
    half = _z(0.95) / np.sqrt(out["customers"])
    for mean, sd in (("monthly_revenue", "revenue_sd"), ("contacts_per_month", "contacts_sd")):
        out[f"{mean}_low"] = out[mean] - half * out[sd]
        out[f"{mean}_high"] = out[mean] + half * out[sd]
    out["churn_low"], out["churn_high"] = wilson_interval(out["churn_rate"] * out["customers"], out["customers"])
    out["advocacy"] = pd.Categorical(out["advocacy"], ADVOCACY_ORDER, ordered=True)
    columns = ["advocacy", "customers"]
    columns += ["monthly_revenue", "monthly_revenue_low", "monthly_revenue_high"]
    columns += ["contacts_per_month", "contacts_per_month_low", "contacts_per_month_high"]
    columns += ["churn_rate", "churn_low", "churn_high"]
    return out.sort_values("advocacy", ignore_index=True)[columns]
