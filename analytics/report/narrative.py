"""Plain sentences from the numbers: the two or three lines that open each page and the brief.

Every sentence is a template filled from a library result, with the result's uncertainty, so the
words can never say more than the numbers do: a difference is called significant only where the
test says so, and an estimate without responses is said to be missing, not zero.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics import names
from analytics.analyses.advocacy import (
    ADVOCACY_ORDER,
    DEFF_SHOWN,
    RESPONSE_WORDS,
    TIER_ORDER,
    Headline,
    LongRun,
)
from analytics.analyses.churn import CHURN_PER, ChurnHeadline
from analytics.analyses.moments import moment_name
from analytics.analyses.priorities import TIERS, PriorityList
from analytics.names import money
from analytics.report.columns import fmt, spec
from analytics.stats.actions import UNCLEAR
from analytics.stats.nps import MIN_N, NPSEstimate

#: How a group of each dimension is named in a sentence ("{}" is the group).
SUBJECTS = {
    "segment": "{} customers",
    "region": "customers in the {} region",
    "plan": "customers on the {} plan",
    "tenure_band": "customers with {} of tenure",
    "behaviour_segment": "the {} segment",
    "channel": "{} contacts",
    "handled_by": "contacts handled by {}",
    "journey_stage": "contacts at the {} stage",
    "contact_reason": "{} contacts",
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def headline_sentence(h: Headline) -> str:
    """E.g. "Relationship NPS for 2026-Q2 is +12.5 (95% CI +10.8 to +14.2, 1,234 responses), 2.1
    points up on 2025-Q4; the change (95% CI -3.0 to +7.2) is not significant."""
    words = RESPONSE_WORDS[h.responses]
    where = f" for {h.period.label}" if h.period else ""
    est = h.estimate
    if est.n == 0:
        return f"There are no {words} responses{where} in this scope."
    text = (
        f"{_cap(words)} NPS{where} is {fmt('score', est.score)} (95% CI {fmt('score', est.low)} to "
        f"{fmt('score', est.high)}, {responses_phrase(est)})"
    )
    if h.change is not None and h.previous_period is not None:
        c = h.change
        direction = "up" if c.diff > 0 else "down" if c.diff < 0 else "unchanged"
        moved = f"{abs(c.diff):.1f} points {direction} on" if direction != "unchanged" else "unchanged from"
        verdict = "significant" if c.p_value < 0.05 else "not significant"
        bounds = (
            f"95% CI {fmt('diff', c.low)} to {fmt('diff', c.high)}"
            if c.low == c.low and c.high == c.high
            else f"exact test, p = {fmt('p_value', c.p_value)}"
        )
        return f"{text}, {moved} {h.previous_period.label}; the change ({bounds}) is {verdict}."
    return f"{text}. {h.note}" if h.note else f"{text}."


def responses_phrase(est: NPSEstimate) -> str:
    """ "1,234 responses", with the effective number where repeat answers by one customer make the
    responses worth clearly fewer independent ones: "1,234 responses, worth 610 independent ones"."""
    text = f"{est.n:,} responses"
    if est.design_effect > DEFF_SHOWN:
        text += f", worth {est.effective_n:,.0f} independent ones"
    return text


def group_sentence(groups: pd.DataFrame, by: str) -> str:
    """The largest significant gap in ``advocacy.nps_by`` output, or that there is none.

    E.g. "NPS for enterprise customers (-7.0, 95% CI -14.0 to -1.0) is 19.0 points below the rest;
    the gap is significant after Holm's correction."
    """
    label = spec(by).label.lower()
    if groups.empty:
        return f"There are no responses to cut by {label} in this scope."
    if len(groups) == 1:
        only = SUBJECTS.get(by, "{}").format(names.phrase(groups["group"].iloc[0]))
        one = only.startswith("the ")
        return (
            f"Only {only} {'is' if one else 'are'} in this scope, so there is no rest to compare "
            f"{'it' if one else 'them'} with; cut by another dimension."
        )
    significant = groups[groups["significant"].fillna(False).astype(bool)]
    small = int(groups["small_n"].sum())
    caveat = f" {_count(small, 'of the', len(groups))} fewer than 30 responses." if small else ""
    if significant.empty:
        return f"No {label} differs significantly from the rest (Holm-adjusted, 5%).{caveat}"
    row = significant.loc[significant["diff"].abs().idxmax()]
    subject = SUBJECTS.get(by, "{}").format(names.phrase(row["group"]))
    side = "above" if row["diff"] > 0 else "below"
    others = len(significant) - 1
    more = f" {others} other group{' also differs' if others == 1 else 's also differ'}." if others else ""
    return (
        f"NPS for {subject} ({fmt('score', row['score'])}, 95% CI {fmt('score', row['low'])} to "
        f"{fmt('score', row['high'])}) is {abs(row['diff']):.1f} points {side} the rest; the gap is "
        f"significant after Holm's correction.{more}"
    )


def _count(k: int, of: str, n: int) -> str:
    """``1 of the 3 groups has`` / ``2 of the 3 groups have``."""
    return f"{k} {of} {n} groups {'has' if k == 1 else 'have'}"


def trend_sentence(lr: LongRun) -> str:
    """The long-run trend in one sentence, e.g. "Over 3.0 years (Jul 2023 to Jun 2026), post-contact
    NPS fell by 4.3 points a year (95% CI -5.6 to -3.0), about 13 points in all: a significant
    long-run decline." """
    words = RESPONSE_WORDS[lr.responses]
    t = lr.trend
    if lr.first is None or lr.last is None or math.isnan(t.slope):
        return f"Too few periods with {MIN_N} or more {words} answers to read a long-run trend."
    span = f"Over {lr.years:.1f} years ({lr.first:%b %Y} to {lr.last:%b %Y}, {t.periods} {lr.period}s)"
    bounds = f"95% CI {fmt('diff', t.low)} to {fmt('diff', t.high)}"
    if t.p_value >= 0.05:
        return f"{span}, {words} NPS shows no clear long-run trend: {fmt('diff', t.slope)} points a year ({bounds})."
    moved = "rose" if t.slope > 0 else "fell"
    total = abs(t.slope) * lr.years
    return (
        f"{span}, {words} NPS {moved} by {abs(t.slope):.1f} points a year ({bounds}), about {total:.0f} points in "
        f"all: a significant long-run {'rise' if t.slope > 0 else 'decline'}."
    )


def value_sentences(grid: pd.DataFrame, economics: pd.DataFrame) -> list[str]:
    """Where the revenue sits by what customers say (``advocacy.value_advocacy_grid`` and
    ``advocacy_economics``): how much of the top tier's revenue comes from customers who never
    answered, and whether detractors or promoters bring more revenue, said only where the two
    means' 95% intervals do not overlap."""
    out = []
    top = grid[grid["revenue_tier"].astype(str) == TIER_ORDER[0]]
    if not top.empty and top["revenue"].sum() > 0:
        unanswered = top["advocacy"].astype(str) == ADVOCACY_ORDER[-1]
        silent = float(top.loc[unanswered, "revenue"].sum() / top["revenue"].sum())
        if silent >= 0.2:
            out.append(
                f"Customers who never answered a relationship survey hold {silent:.0%} of the vital few's revenue "
                "(the top 20% of customers by revenue): what they think is unknown where the money is."
            )
    by = economics.set_index(economics["advocacy"].astype(str))
    if {"promoter", "detractor"} <= set(by.index):
        d, p = by.loc["detractor"], by.loc["promoter"]
        means = (
            f"{money(d['monthly_revenue'])} a month against {money(p['monthly_revenue'])} (95% CIs "
            f"{money(d['monthly_revenue_low'])} to {money(d['monthly_revenue_high'])} and "
            f"{money(p['monthly_revenue_low'])} to {money(p['monthly_revenue_high'])})"
        )
        if d["monthly_revenue_low"] > p["monthly_revenue_high"]:
            out.append(f"Detractors bring more revenue than promoters: {means}.")
        elif p["monthly_revenue_low"] > d["monthly_revenue_high"]:
            out.append(f"Promoters bring more revenue than detractors: {means}.")
    return out


def advocacy_summary(relationship: Headline, post_contact: Headline, groups: pd.DataFrame, by: str) -> list[str]:
    """The sentences that open the Advocacy page: both headlines and the cut chosen."""
    return [headline_sentence(relationship), headline_sentence(post_contact), group_sentence(groups, by)]


def overview_summary(summary: pd.DataFrame, last_ingest: dict[str, object] | None) -> list[str]:
    """What the warehouse holds in scope and in all (``catalog.table_summary``), and the last ingest."""
    by_table = summary.set_index("table")
    names = {"customers": "customers", "interactions": "contacts", "surveys": "survey responses"}
    parts = []
    for table, noun in names.items():
        stored = int(by_table.loc[table, "rows"]) if table in by_table.index else 0
        kept = int(by_table.loc[table, "rows_in_scope"]) if table in by_table.index else 0
        parts.append(f"{kept:,} {noun}" if kept == stored else f"{kept:,} of {stored:,} {noun}")
    sentences = [f"In this scope: {parts[0]}, {parts[1]} and {parts[2]}."]
    latest = by_table["latest_event_at"].dropna() if "latest_event_at" in by_table else pd.Series(dtype=object)
    if not latest.empty:
        sentences.append(f"The latest dated row is from {pd.Timestamp(latest.max()):%Y-%m-%d}.")
    if last_ingest:
        when = f"{pd.Timestamp(last_ingest['started_at']):%Y-%m-%d %H:%M}"
        sentences.append(f"Last ingest ({last_ingest['table_name']}, {when} UTC): {last_ingest['message']}")
    return sentences


def quality_summary(history: pd.DataFrame, quarantine: pd.DataFrame, gaps: pd.DataFrame) -> list[str]:
    """Batches and their outcome, rows in quarantine, and references that name missing rows."""
    if history.empty:
        return ["Nothing has been ingested yet."]
    rejected = int((history["status"] == "rejected").sum())
    received = int(history["rows_in"].sum())
    held = int(quarantine["rows"].sum()) if not quarantine.empty else 0
    share = f" ({held / received:.2%} of {received:,} rows received)" if received else ""
    batches = "1 batch" if len(history) == 1 else f"{len(history):,} batches"
    sentences = [
        f"{batches} ingested; {rejected:,} rejected whole.",
        (f"1 row is in quarantine{share}." if held == 1 else f"{held:,} rows are in quarantine{share}.")
        if held
        else "No rows are in quarantine.",
    ]
    if not gaps.empty:
        missing = int(gaps["rows_missing"].sum())
        rows = "1 stored row names" if missing == 1 else f"{missing:,} stored rows name"
        sentences.append(
            f"{rows} a customer or contact that is not stored."
            if missing
            else "Every stored reference names a stored row."
        )
    return sentences


# --- the three sentences that open the Overview and the brief ------------------------------------------


def _nps_change(h: Headline) -> tuple[str, bool]:
    """A clause on one NPS headline's change since its previous period, and whether the change is
    significant."""
    words = RESPONSE_WORDS[h.responses]
    score = fmt("score", h.estimate.score)
    if h.change is None or h.previous_period is None:
        return f"{words} NPS is {score}", False
    c, since = h.change, h.previous_period.label
    if c.p_value < 0.05:
        verb = "rose" if c.diff > 0 else "fell"
        return f"{words} NPS {verb} {abs(c.diff):.1f} points since {since}, to {score}", True
    return f"{words} NPS held at {score} (no significant change since {since})", False


def _churn_change(c: ChurnHeadline) -> tuple[str, bool]:
    rate = f"{fmt('churn_rate', c.current.rate)} per {CHURN_PER} customer-months"
    if c.change is None or c.previous is None or c.previous.period is None or math.isnan(c.change.ratio):
        return f"churn is {rate}", False
    since = c.previous.period.label
    if c.change.p_value < 0.05:
        verb = "rose" if c.change.ratio > 1 else "fell"
        return f"churn {verb} to {rate} (x{c.change.ratio:.2f} on {since})", True
    return f"churn held at {rate} (no significant change since {since})", False


def what_changed(relationship: Headline, post_contact: Headline, churn: ChurnHeadline) -> str:
    """One sentence on the reporting period: what moved significantly first, then what held.

    A change is called a rise or a fall only where its test is significant at 5%; otherwise the
    measure "held". Each measure names the period it is compared with: a relationship survey that
    runs every six months compares with the previous wave, not the previous quarter."""
    period = next((h.period for h in (relationship, post_contact) if h.period), None) or churn.current.period
    clauses = [
        c
        for c in (
            _nps_change(relationship) if relationship.estimate.n else None,
            _nps_change(post_contact) if post_contact.estimate.n else None,
            _churn_change(churn) if churn.current.rate is not None else None,
        )
        if c is not None
    ]
    when = f"In {period.label}" if period else "In this scope"
    if not clauses:
        return f"{when} there are no responses and no customers at risk, so nothing can be said to have changed."
    moved = [text for text, significant in clauses if significant]
    held = [text for text, significant in clauses if not significant]
    if moved and held:
        return f"{when}, {_join(moved)}; {_join(held)}."
    return f"{when}, {_join(moved or held)}."


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def what_matters(plist: PriorityList) -> str:
    """The first moment of the priority list and why it is first."""
    if plist.empty:
        return "No contacts in this scope, so no moment of truth can be named."
    top = plist.top(1)
    if top.empty:
        return "Too few post-contact answers in this scope to judge any moment of truth."
    row = top.iloc[0].to_dict()
    swing = f"meeting expectations there moves NPS by {fmt('swing', row['swing'])} points"
    if row["tier"] == TIERS[0]:
        level = f"{plist.confidence:.0%} interval" if plist.confidence else "interval"
        return (
            f"What matters most is {moment_name(row)}: {swing}, and fixing it keeps about {money(row['value'])} of "
            f"lifetime margin a year ({level} {money(row['value_low'])} to {money(row['value_high'])})."
        )
    why = "no moment's money is sure to be above zero" if plist.case is not None else "the value case was not run"
    return f"What matters most is {moment_name(row)}: {swing}; {why}, so it leads on net promoters at stake."


def what_to_do(plist: PriorityList, *, top: int = 3) -> str:
    """The first few actions of the priority list in one sentence, with the money of those that
    have it (their total's interval from the value case's own resamples)."""
    first = plist.top(top)
    if first.empty:
        return "Collect more post-contact answers: none of the moments can be judged yet."
    # Consecutive moments with the same action share its verb: "Fix A, B and C first".
    groups: list[tuple[str, list[str]]] = []
    for row in first.to_dict("records"):
        if groups and groups[-1][0] == row["action"]:
            groups[-1][1].append(moment_name(row))
        else:
            groups.append((row["action"], [moment_name(row)]))
    phrases = [f"{action.lower()} {_join(names)}" for action, names in groups]
    text = _cap("; then ".join(phrases)) + (" first" if len(first) > 1 else "")
    sure = first[first["tier"] == TIERS[0]]
    if plist.case is not None and len(sure) > 1:
        keys = set(zip(sure["journey_stage"], sure["contact_reason"], strict=True))
        others = {k: 0.0 for k in plist.case.replicates.index if k not in keys}
        total, low, high = plist.case.total(others)
        text += f": together the fixes keep about {money(total)} a year ({money(low)} to {money(high)})"
    unclear = int((plist.table["action"] == UNCLEAR).sum())
    if unclear:
        text += f". {unclear} moment{' is' if unclear == 1 else 's are'} unclear and need{'s' if unclear == 1 else ''} more answers"
    return text + "."


def summary(relationship: Headline, post_contact: Headline, churn: ChurnHeadline, plist: PriorityList) -> list[str]:
    """Three sentences for leadership: what changed, what matters most, what to do."""
    return [what_changed(relationship, post_contact, churn), what_matters(plist), what_to_do(plist)]
