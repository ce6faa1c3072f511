"""Non-response: who is asked, who answers, and NPS reweighted to everyone asked.

Needs the optional ``invitations`` table. Every invitation in scope is matched to its answer:

- a post-contact invitation by its ``interaction_id``;
- a relationship invitation by the customer's relationship response given after it was sent and
  before their next relationship invitation.

The response rate of a group is its answered invitations over its invitations. When some kinds of
contact answer less (automated ones, say) and feel differently, the plain NPS of the answers leans
towards those who answer. The weighted NPS undoes that within weighting cells: each answer counts
for ``invited / answered`` of its cell (inverse response-rate weighting, the adjustment-cell
method of survey non-response; Little and Rubin 2019, *Statistical Analysis with Missing Data*,
3.3). It is right if, within a cell, those who answer feel like those who do not.

The interval of a weighted NPS uses the linearised (weighting-class) variance of the weighted
mean with customers as clusters: each customer contributes their weighted residuals from their
cells' means, so cells that differ in spread and customers who answer often are both allowed for.
It is turned into an effective number of answers for the adjusted-Wald interval, with a t
reference on the number of customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics.analyses import advocacy
from analytics.analyses.advocacy import CONTACT_DIMENSIONS
from analytics.data import filters
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.stats import inference
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN, Method, nps_estimates

Kind = Literal["relationship", "transactional"]

#: Cells within which answers are reweighted: response propensity differs most by channel and by
#: whether a person or automation handled the contact (post-contact), and by customer segment and
#: plan (relationship).
WEIGHT_CELLS: dict[Kind, tuple[str, ...]] = {
    "transactional": ("channel", "handled_by"),
    "relationship": ("segment", "plan"),
}
CUSTOMER_COLUMNS = ("segment", "region", "plan")
#: What response rates and weighted NPS can be cut by.
DIMENSIONS = (*CUSTOMER_COLUMNS, "behaviour_segment", *CONTACT_DIMENSIONS)
#: The "dimension" with one group, everything in scope.
WHOLE = "_all"


def available(wh: Warehouse) -> bool:
    """Whether response rates and weights can be measured: invitations are stored."""
    return wh.has("invitations")


def invited(wh: Warehouse, f: Filters = ALL_DATA, *, kind: Kind = "transactional") -> ibis.Table:
    """Every invitation in scope with its answer, if any: ``invitation_id``, ``customer_id``,
    ``sent_at``, ``medium``, ``ltr`` (null when unanswered), ``answered``, the customer's segment,
    region, plan and saved behaviour segment, and for post-contact invitations the contact's
    channel, handler, journey stage and reason. An expression over the raw invitations: the
    analyses below count from ``invitation_counts``, kept per scope."""
    if kind not in WEIGHT_CELLS:
        raise ValueError(f"unknown kind {kind!r}; use 'relationship' or 'transactional'")
    inv = filters.invitations(wh, f, kind=kind)
    answers = wh.table("surveys")
    if kind == "transactional":
        first = answers.filter(answers.interaction_id.notnull())
        first = first.group_by("interaction_id").aggregate(ltr=first.ltr.max())
        t = inv.left_join(first, "interaction_id").drop("interaction_id_right")
        contacts = wh.table("interactions").select("interaction_id", *CONTACT_DIMENSIONS)
        t = t.left_join(contacts, "interaction_id").drop("interaction_id_right")
    else:
        t = _relationship_answers(inv, answers)
    customers = wh.table("customers").select("customer_id", *CUSTOMER_COLUMNS)
    t = t.left_join(customers, "customer_id").drop("customer_id_right")
    t = advocacy.with_behaviour_segment(wh, t)
    return t.mutate(answered=t.ltr.notnull())


def _relationship_answers(inv: ibis.Table, answers: ibis.Table) -> ibis.Table:
    """Each relationship invitation with the latest relationship answer given after it was sent and
    before the customer's next invitation (``ltr`` null when none)."""
    # The last wave runs to the end of time. A join condition with "no next invitation OR before
    # it" cannot be hashed, and DuckDB compared every invitation with every answer (3.3 M x 0.66 M
    # at 1 M customers: more than ten minutes); one range can.
    following = inv.sent_at.lead().over(group_by=inv.customer_id, order_by=inv.sent_at)
    waves = inv.mutate(until=following.fill_null(ibis.literal(END_OF_TIME).cast(inv.sent_at.type())))
    rel = answers.filter(answers.interaction_id.isnull()).select("customer_id", "responded_at", "ltr")
    pairs = waves.join(
        rel,
        (waves.customer_id == rel.customer_id) & (rel.responded_at >= waves.sent_at) & (rel.responded_at < waves.until),
        how="left",
    )
    latest = ibis.row_number().over(group_by=pairs.invitation_id, order_by=ibis.desc(pairs.responded_at))
    return pairs.mutate(_rank=latest).filter(_._rank == 0).select(*inv.columns, "ltr")


#: Past every date in the data: when the last invitation's wave ends.
END_OF_TIME = "9999-12-31 00:00:00"


def invitation_counts(wh: Warehouse, f: Filters = ALL_DATA, *, kind: Kind = "transactional") -> ibis.Table:
    """Invitations in scope counted per combination of the dimensions (``DIMENSIONS`` that apply to
    ``kind``) and weighting cells: ``invited``, ``answered``, ``promoters``, ``detractors``.

    Kept per handle and scope: response rates and weighted counts by any dimension are sums over
    it, a few thousand rows, instead of a pass over millions of invitations each time.
    """

    def build() -> ibis.Table:
        t = invited(wh, f, kind=kind)
        keys = [c for c in dict.fromkeys([*_dimensions(kind), *WEIGHT_CELLS[kind]]) if c in t.columns]
        return t.group_by(keys).aggregate(
            invited=_.count(),
            answered=_.answered.cast("int64").sum(),
            promoters=(_.ltr >= PROMOTER_MIN).cast("int64").sum(),
            detractors=(_.ltr <= DETRACTOR_MAX).cast("int64").sum(),
        )

    return wh.kept_table(("invitation_counts", f, kind), build)


def _answer_sums(wh: Warehouse, f: Filters, kind: Kind, keys: Sequence[str]) -> ibis.Table:
    """Answered invitations per customer and combination of ``keys``: ``u`` (the sum of their
    scores, +1 promoter, -1 detractor) and ``m`` (how many). What the weighted NPS's variance needs;
    kept per scope for the dimensions and cells the page cuts by."""
    standard = list(dict.fromkeys([*_dimensions(kind), *WEIGHT_CELLS[kind]]))

    def build(columns: Sequence[str]) -> ibis.Table:
        t = invited(wh, f, kind=kind)
        t = t.filter(t.answered)
        score = ibis.cases((t.ltr >= PROMOTER_MIN, 1), (t.ltr <= DETRACTOR_MAX, -1), else_=0)
        columns = [c for c in columns if c in t.columns]
        return t.mutate(_score=score).group_by([*columns, "customer_id"]).aggregate(u=_._score.sum(), m=_.count())

    if set(keys) - {WHOLE} <= set(standard):
        return wh.kept_table(("answer_sums", f, kind), lambda: build(standard))
    return build(keys)  # cells of the caller's own: summed from the invitations


def _dimensions(kind: Kind) -> tuple[str, ...]:
    return DIMENSIONS if kind == "transactional" else (*CUSTOMER_COLUMNS, "behaviour_segment")


def response_rates(
    wh: Warehouse, f: Filters = ALL_DATA, *, by: str = "channel", kind: Kind | None = None
) -> pd.DataFrame:
    """Invitations, answers and the response rate per group of ``by``, with a 95% Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``invited``, ``answered``, ``response_rate``, ``response_low``, ``response_high``,
        sorted by group; empty without invitations in scope.
    """
    kind = _kind(by, kind)
    t = invitation_counts(wh, f, kind=kind)
    t = t.filter(t[by].notnull())
    out = (
        t.group_by(by)
        .aggregate(invited=_.invited.sum(), answered=_.answered.sum())
        .execute()
        .rename(columns={by: "group"})
        .sort_values("group", ignore_index=True)
    )
    out["invited"] = out["invited"].astype("int64")
    out["answered"] = out["answered"].fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["response_rate"] = out["answered"] / out["invited"]
    out["response_low"], out["response_high"] = inference.wilson_interval(out["answered"], out["invited"])
    return out


def weighted_nps_by(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "channel",
    kind: Kind | None = None,
    cells: Sequence[str] | None = None,
    method: Method = "adjusted_wald",
) -> pd.DataFrame:
    """NPS per group of ``by`` weighted to everyone invited, beside the plain NPS of the answers.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``invited``, ``n`` (answers), ``score`` (weighted), ``low``, ``high``,
        ``effective_n`` (what the answers are worth as independent ones, from the linearised
        variance, which allows for the weights, cells of different spread and repeat answers),
        ``unweighted`` (plain NPS of the same answers) and ``uncovered`` (share of the
        group's invitations in cells where nobody answered: no weight can stand for them).
    """
    kind = _kind(by, kind)
    cells = tuple(WEIGHT_CELLS[kind] if cells is None else cells)
    keys = list(dict.fromkeys([by, *cells]))
    counted = invitation_counts(wh, f, kind=kind)
    if set(keys) - {WHOLE} <= set(counted.columns):
        counts = (
            _cells_of(counted, by, cells)
            .group_by(keys)
            .aggregate(
                invited=_.invited.sum(), n=_.answered.sum(), promoters=_.promoters.sum(), detractors=_.detractors.sum()
            )
            .execute()
        )
    else:  # cells the kept counts do not carry: count them from the invitations
        counts = (
            _cells_of(invited(wh, f, kind=kind), by, cells)
            .group_by(keys)
            .aggregate(
                invited=_.count(),
                n=_.answered.cast("int64").sum(),
                promoters=(_.ltr >= PROMOTER_MIN).cast("int64").sum(),
                detractors=(_.ltr <= DETRACTOR_MAX).cast("int64").sum(),
            )
            .execute()
        )
    sums = _cells_of(_answer_sums(wh, f, kind, keys), by, cells)
    columns = ["group", "invited", "n", "score", "low", "high", "effective_n", "unweighted", "uncovered"]
    if counts.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "group" else float) for c in columns})
    for c in ("n", "promoters", "detractors"):
        counts[c] = pd.to_numeric(counts[c]).fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        # Within each group and cell, an answer stands for that cell's invitations.
        counts["w"] = np.where(counts["n"] > 0, counts["invited"] / counts["n"], np.nan)
        counts["mean"] = (counts["promoters"] - counts["detractors"]) / counts["n"]
    covered = counts["w"].notna()
    counts["wn"] = np.where(covered, counts["invited"], 0.0)
    counts["wp"] = np.where(covered, counts["promoters"] * counts["w"], 0.0)
    counts["wd"] = np.where(covered, counts["detractors"] * counts["w"], 0.0)
    counts["lost"] = np.where(covered, 0, counts["invited"])
    g = counts.groupby(by, dropna=False)[["invited", "n", "promoters", "detractors", "wn", "wp", "wd", "lost"]]
    out = g.sum().reset_index().rename(columns={by: "group"})
    spread = _linearised(sums, by, keys, counts.loc[covered, [*keys, "w", "mean"]])
    out = out.merge(spread.rename(columns={by: "group"}), on="group", how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        c = out["clusters"].fillna(0).to_numpy(float)
        variance = np.where(c > 1, c / (c - 1) * out["spread"].fillna(0).to_numpy(float) / out["wn"] ** 2, np.nan)
        share_p, share_d = out["wp"] / out["wn"], out["wd"] / out["wn"]
        unit = share_p + share_d - (share_p - share_d) ** 2
        effective = np.where(variance > 0, unit / variance, out["n"].to_numpy(float))
        share_m = np.clip(1 - share_p - share_d, 0.0, 1.0)  # no negative rounding residue
        est = nps_estimates(share_p * effective, share_m * effective, share_d * effective, method=method, df=c - 1)
        out["unweighted"] = 100 * (out["promoters"] - out["detractors"]) / out["n"]
        out["uncovered"] = out["lost"] / out["invited"]
    out["score"], out["low"], out["high"] = est["score"], est["low"], est["high"]
    out["effective_n"] = effective
    return out[columns].sort_values("group", ignore_index=True)


#: The cell of answers whose contact details are missing.
UNKNOWN = "(unknown)"


def _cells_of(t: ibis.Table, by: str, cells: Sequence[str]) -> ibis.Table:
    """``t``'s rows in groups of ``by`` (one group for ``WHOLE``), with a missing cell value read as
    ``UNKNOWN``: a contact whose details are missing still belongs to a cell."""
    t = t.mutate(_all=ibis.literal("all")) if by == WHOLE else t.filter(t[by].notnull())
    return t.mutate(**{c: t[c].cast("string").fill_null(UNKNOWN) for c in cells if c != by})


def _linearised(sums: ibis.Table, by: str, keys: Sequence[str], cells: pd.DataFrame) -> pd.DataFrame:
    """Per group: ``spread`` = sum over customers of ``E_i^2``, with ``E_i`` the customer's weighted
    residuals from their cells' means (sum of ``w * (score - cell mean)``), and ``clusters`` (customers
    who answered). The weighting-class variance of the weighted mean is ``C / (C - 1) * spread /
    (sum of weights)^2``: it allows for cells that differ in spread and for repeat answers by one
    customer, where Kish's effective n assumes every cell alike (its interval covered 89% in one
    measured case). ``sums``: answered invitations' ``u`` and ``m`` per customer and keys
    (``_answer_sums``)."""
    if cells.empty:
        return pd.DataFrame(
            {by: pd.Series(dtype=object), "spread": pd.Series(dtype=float), "clusters": pd.Series(dtype=float)}
        )
    per = sums.group_by([*keys, "customer_id"]).aggregate(u=_.u.sum().cast("float64"), m=_.m.sum())
    table = ibis.memtable(cells.astype({k: str for k in keys}))
    joined = per.mutate(**{k: per[k].cast("string") for k in keys}).join(table, list(keys))
    residual = joined.mutate(e=joined.w * (joined.u - joined["mean"] * joined.m))
    customer = residual.group_by([by, "customer_id"]).aggregate(E=residual.e.sum())
    out = customer.group_by(by).aggregate(spread=(customer.E * customer.E).sum(), clusters=customer.count()).execute()
    return out


def weighted_nps(
    wh: Warehouse, f: Filters = ALL_DATA, *, kind: Kind = "transactional", method: Method = "adjusted_wald"
) -> pd.Series:
    """The weighted NPS of every invitation in scope (one row of ``weighted_nps_by`` for the whole
    scope); NaN score without answers."""
    frame = weighted_nps_by(wh, f, by=WHOLE, kind=kind, method=method)
    if frame.empty:
        return pd.Series({c: np.nan for c in frame.columns}).drop("group")
    return frame.iloc[0].drop("group")


def _kind(by: str, kind: Kind | None) -> Kind:
    if by == WHOLE:
        return kind or "transactional"
    if by not in DIMENSIONS:
        raise ValueError(f"cannot cut response rates by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    if kind is None:
        return "transactional" if by in CONTACT_DIMENSIONS else "relationship"
    if kind == "relationship" and by in CONTACT_DIMENSIONS:
        raise ValueError(f"{by} is a contact dimension; relationship invitations have no contact")
    return kind
