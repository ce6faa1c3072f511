"""Contacts and post-contact answers in scope, the queries every benchmark cut reads: contacts summed
once per scope into a few thousand rows (``contact_sums``), answers joined to their contacts once per
scope (``post_contact_answers``), and the rates, CSAT and NPS read from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics.analyses import advocacy
from analytics.data import filters
from analytics.data.filters import Filters
from analytics.data.warehouse import Warehouse, epoch_microseconds
from analytics.stats import inference
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN, cluster_design_effect, nps_estimates

#: Units the satisfaction-against-efficiency view can be cut by.
UNITS = ("journey_stage", "channel", "handled_by", "contact_reason")
#: How a contact was handled, from who started it and whether a person took it over.
HANDLING = ("person", "automation, then a person", "automation alone")
#: The code of "automation alone" where the warehouse keeps handling as its position in ``HANDLING``.
ALONE = 2
EFFICIENCY = ("cost_per_contact", "handle_seconds", "automation_rate")
#: Efficiency measures where less is more efficient.
LOWER_IS_EFFICIENT = ("cost_per_contact", "handle_seconds")
#: The sums every contact-side number adds up (``summed_contacts``).
SUMS = (
    "volume",
    "cost_sum",
    "cost_n",
    "handle_sum",
    "handle_n",
    "resolved",
    "resolved_n",
    "escalated",
    "escalated_n",
    "asa_sum",
    "asa_n",
)


def handling_code(t: ibis.Table) -> ibis.Value:
    """How each contact was handled, as its position in ``HANDLING`` (``decode_handling`` turns it into
    words): an automated contact with a transfer went on to a person."""
    automated = t.is_automated.fill_null(False)
    moved = t.transfers.fill_null(0) > 0
    return ibis.cases((~automated, 0), (moved, 1), else_=ALONE).cast("int8")


def summed_contacts(t: ibis.Table, keys: Sequence[str], asa_channel: str, **extra: ibis.Value) -> ibis.Table:
    """Contacts ``t`` summed per group of ``keys`` (and ``handling``, when ``keys`` name it): the
    ``SUMS`` every contact-side number adds up, plus ``extra`` aggregates."""
    t = t.mutate(handling=handling_code(t), _asa=ibis.ifelse(t.channel == asa_channel, t.wait_seconds, None))
    return t.group_by(list(keys)).aggregate(
        volume=_.count(),
        cost_sum=_.cost.sum(),
        cost_n=_.cost.count(),
        handle_sum=_.handle_seconds.sum(),
        handle_n=_.handle_seconds.count(),
        resolved=_.is_resolved.cast("int64").sum(),
        resolved_n=_.is_resolved.count(),
        escalated=_.is_escalated.cast("int64").sum(),
        escalated_n=_.is_escalated.count(),
        asa_sum=_._asa.sum(),
        asa_n=_._asa.count(),
        **extra,
    )


def numeric_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """``sums`` with each of ``SUMS`` as floats, nothing summed as 0."""
    for column in SUMS:
        sums[column] = pd.to_numeric(sums[column]).fillna(0.0).astype(float)
    return sums


def contact_sums(wh: Warehouse, f: Filters, asa_channel: str) -> pd.DataFrame:
    """Contacts in scope summed by stage, channel, handler, reason and handling: a few thousand rows
    that every contact-side number on the page adds up (``SUMS``), with each cell's first contact."""

    def build() -> ibis.Table:
        t = filters.interactions(wh, f)
        return summed_contacts(t, [*UNITS, "handling"], asa_channel, first_at=epoch_microseconds(t.started_at).min())

    out = numeric_sums(wh.kept_table(("benchmark_contacts", f, asa_channel), build).execute())
    out["first_at"] = pd.to_datetime(out["first_at"], unit="us", utc=True)
    return decode_handling(out)


def decode_handling(frame: pd.DataFrame) -> pd.DataFrame:
    """``handling`` as words: the warehouse keeps its position in ``HANDLING``, which groups and sorts
    faster than the text."""
    frame["handling"] = pd.Series([HANDLING[int(c)] for c in frame["handling"]], index=frame.index, dtype=object)
    return frame


#: The contact columns every scope's answers carry: the report cuts by these.
ANSWER_UNITS = ("journey_stage", "handled_by")


def post_contact_answers(wh: Warehouse, f: Filters, *, unit: str | None = None) -> ibis.Table:
    """Post-contact answers in scope with their contact: ``customer_id`` (as a hash), ``ltr``,
    ``csat``, ``ANSWER_UNITS``, ``handling`` (its code) and the contact's ``started_at``; with
    ``unit`` another of ``UNITS``, the answers with that column instead (kept apart: each text column
    carried costs about a quarter of a second at a million customers). Answers whose contact is not
    stored are left out (they have no stage, handler or cost)."""
    carried = ANSWER_UNITS if unit is None or unit in ANSWER_UNITS else (unit,)

    def build() -> ibis.Table:
        s = filters.surveys(wh, f, kind="transactional").select("customer_id", "interaction_id", "ltr", "csat")
        c = wh.table("interactions").select("interaction_id", "started_at", *carried, "is_automated", "transfers")
        j = s.join(c, "interaction_id")  # the contact's handling is worked out on the answers, not on every contact
        # Customers only cluster answers here, and every cut groups by them: a 64-bit hash of the id
        # groups a fifth faster than the text. Two of a million customers sharing a hash, so counted
        # as one cluster, has a chance of about 3 in 100 million.
        keyed = j.mutate(customer_id=j.customer_id.hash(), handling=handling_code(j))
        return keyed.drop("interaction_id", "is_automated", "transfers")

    return wh.kept_table(("benchmark_answers", f, carried), build)


def wilson_rate(successes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rate with its 95% Wilson interval (Wilson 1927); NaN where there is nothing to count."""
    low, high = inference.wilson_interval(successes, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, successes / n, np.nan), low, high


def csat_by(answers: ibis.Table, by: Sequence[str], *, nps: bool = False) -> pd.DataFrame:
    """CSAT as the top-2-box share (4 or 5 of 5) per group of ``by``, with a 95% Wilson interval on the
    effective number of answers: answers over the design effect of customers as clusters
    (``inference.clustered_share``), so a customer's repeat answers are not counted as independent.
    With ``nps``, each group's post-contact NPS and its clustered interval too, from the same pass
    (``nps_estimates``; no test against the rest: ``nps_against_rest`` has those).

    Columns: ``by``, ``csat_n``, ``csat``, ``csat_low``, ``csat_high``; with ``nps`` also ``n``,
    ``promoters``, ``passives``, ``detractors``, ``nps``, ``nps_low``, ``nps_high``.
    """
    rated = answers.csat.notnull().cast("int64")
    per = answers.group_by([*by, "customer_id"]).aggregate(
        v=_.count(),
        p=(_.ltr >= PROMOTER_MIN).cast("int64").sum(),
        d=(_.ltr <= DETRACTOR_MAX).cast("int64").sum(),
        cv=rated.sum(),
        cu=((answers.csat >= 4).cast("int64") * rated).sum(),
    )
    net = per.p - per.d
    metrics = {
        "n": per.v.sum(),
        "promoters": per.p.sum(),
        "detractors": per.d.sum(),
        "clusters": per.count(),
        "suu": (net * net).sum(),
        "suv": (net * per.v).sum(),
        "svv": (per.v * per.v).sum(),
        "csat_n": per.cv.sum(),
        "top2": per.cu.sum(),
        "csat_clusters": (per.cv > 0).cast("int64").sum(),
        "csat_suu": (per.cu * per.cu).sum(),
        "csat_suv": (per.cu * per.cv).sum(),
        "csat_svv": (per.cv * per.cv).sum(),
    }
    sums = (per.group_by(list(by)).aggregate(**metrics) if by else per.aggregate(**metrics)).execute()
    sums = sums[sums["n"].fillna(0) > 0].reset_index(drop=True)
    n = sums["csat_n"].fillna(0).to_numpy(float)
    k = sums["top2"].fillna(0).to_numpy(float)
    p, effective = inference.clustered_share(
        n, k, sums["csat_clusters"], sums["csat_suu"], sums["csat_suv"], sums["csat_svv"]
    )
    low, high = inference.wilson_interval(p * effective, effective)
    out = pd.DataFrame(
        {**{b: sums[b] for b in by}, "csat_n": n.astype("int64"), "csat": p, "csat_low": low, "csat_high": high}
    )
    if nps:
        counts = sums[["n", "promoters", "detractors", "clusters", "suu", "suv", "svv"]].fillna(0).astype(float)
        promoters, detractors, total = counts["promoters"], counts["detractors"], counts["n"]
        est = nps_estimates(
            promoters,
            total - promoters - detractors,
            detractors,
            design_effect=cluster_design_effect(counts),
            df=counts["clusters"] - 1.0,
        )
        out["n"] = total.astype("int64")
        out["promoters"], out["detractors"] = promoters.astype("int64"), detractors.astype("int64")
        out["passives"] = out["n"] - out["promoters"] - out["detractors"]
        out["nps"], out["nps_low"], out["nps_high"] = est["score"], est["low"], est["high"]
    return out


NPS_COLUMNS = ["n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high", "nps_diff"]
NPS_COLUMNS += ["nps_diff_low", "nps_diff_high", "p_adjusted", "design_effect"]


def nps_against_rest(answers: ibis.Table, by: str) -> pd.DataFrame:
    """Post-contact NPS per group of ``by`` with its interval, and its difference from the rest with a
    Holm-adjusted p-value, customers as clusters (``advocacy.nps_by_rows``, the Advocacy page's own
    machinery). Columns: ``by`` and ``NPS_COLUMNS``."""
    table = advocacy.nps_by_rows(answers, by, clustered=True)
    renamed = {"group": by, "score": "nps", "low": "nps_low", "high": "nps_high", "diff": "nps_diff"}
    table = table.rename(columns={**renamed, "diff_low": "nps_diff_low", "diff_high": "nps_diff_high"})
    return table[[by, *NPS_COLUMNS]]


def empty_frame(columns: Sequence[str], *, text: Sequence[str] = (), flags: Sequence[str] = ()) -> pd.DataFrame:
    """No rows, with ``columns``: ``text`` ones as objects, ``flags`` as booleans, the rest floats."""

    def dtype(c: str) -> Any:
        return object if c in text else bool if c in flags else float

    return pd.DataFrame({c: pd.Series(dtype=dtype(c)) for c in columns})
