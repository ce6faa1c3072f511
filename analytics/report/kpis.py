"""How the headline measures read: one ``Kpi`` per measure, for the Overview's tiles, the Churn
page, ``iconic analyze`` and the brief.

Each ``Kpi`` is built from one function of ``analytics.analyses.headlines`` and carries both its numbers
(``estimate``, ``low``, ``high``, ``delta``) and the text every surface prints (``value``,
``interval``, ``change``), made by ``figure``, the one formatting function. So a test can hold any
printed headline against the library, and two surfaces cannot word the same number differently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from analytics.analyses import advocacy, churn, survival
from analytics.analyses.headlines import Equity, Headlines, Lifetime
from analytics.names import money
from analytics.report.columns import fmt


def figure(name: str, value: object) -> str:
    """A number as the headlines print it; ``—`` when missing.

    ``name`` is a column of the display registry (``analytics.report.columns``: ``score``, ``diff``,
    ``churn_rate``, ``equity``, ``value_at_risk``, ...) or one of ``months`` (one decimal),
    ``points`` (a distance, one decimal), ``ratio`` (``x0.93``, two decimals) and ``money``
    (``$1.2M``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name in ("months", "points"):
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    if name == "ratio":
        return f"x{float(value):.2f}"  # type: ignore[arg-type]
    if name == "money":
        return money(float(value))  # type: ignore[arg-type]
    return fmt(name, value)


def span(name: str, low: object, high: object) -> str:
    """``low to high`` in ``name``'s format, or ``—`` when either end is missing."""
    if figure(name, low) == "—" or figure(name, high) == "—":
        return "—"
    return f"{figure(name, low)} to {figure(name, high)}"


def _p(value: float) -> str:
    return fmt("p_value", value)


def _number(value: object) -> float | None:
    if value is None:
        return None
    x = float(value)  # type: ignore[arg-type]
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Kpi:
    """One headline as printed: ``label``, ``period`` (the span it counts, or the day it is taken
    at), ``value``, ``interval`` (95%), ``change`` against the previous period (with its own
    interval or test in ``change_note``) and ``counts``, what the number counts and its n.
    ``estimate``, ``low``, ``high`` and ``delta`` are the numbers behind the text (None when
    missing); ``better`` says which way is good (``up`` or ``down``) and ``significant`` whether the
    change passed its test (None where no test applies)."""

    key: str
    label: str
    period: str
    value: str
    interval: str
    change: str
    change_note: str
    counts: str
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    delta: float | None = None
    better: str = "up"
    #: Whether the change is significant at 5% (None: no test applies).
    significant: bool | None = None
    #: What the change is measured against: a period ("2025-Q4") or a day ("2025-12-31").
    against: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def badge(self) -> str | None:
        """What a tile's arrow says: the signed change and what it is against, e.g. "+2.1 vs
        2025-Q4" or, for a churn rate ratio of x0.90, "-10% vs 2026-Q1". None where there is no
        change to show: none measured, or none at the precision shown (no arrow for "+0.0")."""
        if self.delta is None or self.change == "—":
            return None
        text = f"{self.delta - 1:+.0%}" if self.key == "churn_rate" else self.change
        if text.lstrip("+-$").rstrip("%") in ("0", "0.0", "0.00"):
            return None
        return f"{text} vs {self.against}" if self.against else text

    @property
    def badge_colour(self) -> Literal["normal", "inverse", "off"]:
        """How a tile colours its arrow: grey unless the change is significant, then green when it
        goes the good way (a fall in churn is good)."""
        if not self.significant:
            return "off"
        return "normal" if self.better == "up" else "inverse"


def _measured(
    key: str,
    label: str,
    period: str,
    name: str,
    estimate: object,
    low: object,
    high: object,
    *,
    counts: str,
    change: str = "—",
    note: str = "",
    delta: float | None = None,
    better: str = "up",
    significant: bool | None = None,
    against: str = "",
) -> Kpi:
    """A headline that prints an estimate and its interval in the format of ``name`` (``figure``)."""
    return Kpi(
        key,
        label,
        period,
        figure(name, estimate),
        span(name, low, high),
        change,
        note,
        counts,
        _number(estimate),
        _number(low),
        _number(high),
        delta,
        better=better,
        significant=significant,
        against=against,
    )


def nps_kpi(key: str, h: advocacy.Headline) -> Kpi:
    """Relationship or post-contact NPS (``headlines.relationship_nps`` / ``post_contact_nps``)."""
    words = advocacy.RESPONSE_WORDS[h.responses]
    est = h.estimate
    period = h.period.label if h.period else "—"
    if h.responses == "relationship":
        counted = f"Each customer's latest relationship answer in {period}"
    else:
        counted = f"Every answer given after a contact in {period}"
    n = f"n = {est.n:,} responses"
    if est.customers is not None:
        n += f" from {est.customers:,} customers"
    if est.design_effect > advocacy.DEFF_SHOWN:
        n += f" (worth {est.effective_n:,.0f} independent ones)"
    change, note, delta = "—", h.note if est.n else "", None  # with no responses the note stands in for n
    significant = None
    if h.change is not None and h.previous_period is not None:
        change, delta = figure("diff", h.change.diff), _number(h.change.diff)
        significant = bool(h.change.p_value < 0.05)
        if h.change.test == "exact" or math.isnan(h.change.low):
            note = f"vs {h.previous_period.label}; exact test p = {_p(h.change.p_value)}"
        else:
            note = f"vs {h.previous_period.label}; 95% CI {span('diff', h.change.low, h.change.high)}"
    numbers = (est.score, est.low, est.high) if est.n else (None, None, None)
    return _measured(
        key,
        f"{words.capitalize()} NPS",
        period,
        "score",
        *numbers,
        counts=f"{counted}; {n}." if est.n else (h.note or f"No {words} responses in this scope."),
        change=change,
        note=note,
        delta=delta,
        significant=significant,
        against=h.previous_period.label if h.change is not None and h.previous_period is not None else "",
    )


def churn_kpi(c: churn.ChurnHeadline) -> Kpi:
    """The churn rate (``headlines.churn_rate``)."""
    now = c.current
    period = now.period.label if now.period else "—"
    change, note, delta = "—", c.note if now.rate is not None else "", None
    significant = None
    if c.change is not None and c.previous is not None and c.previous.period is not None:
        significant = bool(c.change.p_value < 0.05) if not math.isnan(c.change.p_value) else None
        before = f"vs {c.previous.period.label} ({figure('churn_rate', c.previous.rate)})"
        if math.isnan(c.change.ratio):  # no churn before: a ratio has no finite value
            note = f"{before}: no churns then, so no ratio" + (
                f"; exact test p = {_p(c.change.p_value)}" if not math.isnan(c.change.p_value) else ""
            )
        else:
            change, delta = figure("ratio", c.change.ratio), _number(c.change.ratio)
            high = "no upper bound" if math.isnan(c.change.high) else figure("ratio", c.change.high)
            note = f"rate ratio {before}; 95% CI {figure('ratio', c.change.low)} to {high}, p = {_p(c.change.p_value)}"
    counts = (
        f"Churns per {churn.CHURN_PER} customer-months at risk: {now.churned:,} churns over "
        f"{now.months_at_risk:,.0f} customer-months of {now.customers:,} customers in {period}."
        if now.rate is not None
        else (c.note or "No customers at risk in this scope.")
    )
    return _measured(
        "churn_rate",
        f"Churn per {churn.CHURN_PER} customer-months",
        period,
        "churn_rate",
        now.rate,
        now.low,
        now.high,
        counts=counts,
        change=change,
        note=note,
        delta=delta,
        better="down",
        significant=significant,
        against=c.previous.period.label if c.previous is not None and c.previous.period is not None else "",
    )


def _as_of(report: survival.SurvivalReport) -> str:
    return report.window.to_dict()["as_of"] if report.window else "—"


def lifetime_kpis(t: Lifetime) -> list[Kpi]:
    """Median lifetime and RMST (``headlines.lifetime``)."""
    labels = {"median": "Median lifetime (months)", "rmst": f"Mean months of the first {t.horizon} (RMST)"}
    now, before = t.now, t.before
    if now.is_empty:
        return [Kpi(k, label, "—", "—", "—", "—", "", "No customers in this scope.") for k, label in labels.items()]
    row = now.summary.iloc[0]
    old = before.summary.iloc[0] if before is not None and not before.is_empty else None
    when = f"at {_as_of(now)}"
    was = f"vs as of {_as_of(before)}" if before is not None else ""
    who = (
        f"Kaplan-Meier over {int(row['n']):,} customers, {int(row['events']):,} churns; "
        "customers already there when the data begin count from then."
    )
    out = []
    for key, label in labels.items():
        shown = figure("months", row[key])
        if key == "median" and shown == "—":
            shown = "not reached"
        interval = span("months", row[f"{key}_low"], row[f"{key}_high"])
        if key == "median" and shown != "not reached" and figure("months", row[f"{key}_high"]) == "—":
            interval = f"{figure('months', row[f'{key}_low'])} to not reached"
        change, note, delta = "—", "", None
        if old is not None and not (math.isnan(row[key]) or math.isnan(old[key])):
            delta = float(row[key] - old[key])
            change = f"{delta:+.1f}"
            note = f"{was} ({figure('months', old[key])}); no test: the two share most customers"
        numbers = (_number(row[key]), _number(row[f"{key}_low"]), _number(row[f"{key}_high"]))
        against = _as_of(before) if before is not None else ""
        out.append(Kpi(key, label, when, shown, interval, change, note, who, *numbers, delta, against=against))
    return out


EQUITY_LABELS = {"equity": "Customer equity", "value_at_risk": "Value at risk, next 12 months"}


def equity_kpis(e: Equity) -> list[Kpi]:
    """Customer equity and value at risk (``headlines.equity``)."""
    now, before = e.now, e.before
    if now.is_empty:
        return [
            Kpi(k, label, "—", "—", "—", "—", "", "No customers in this scope.") for k, label in EQUITY_LABELS.items()
        ]
    a = now.assumptions
    when = f"at {now.as_of.isoformat()}" if now.as_of else "—"
    if "events" in now.groups and int(now.groups["events"].sum()) == 0:
        # With no churn seen, a survival curve says nothing about how customers leave: no figure,
        # rather than a value at risk of $0 and an interval of no width.
        why = (
            f"No churn among the {now.customers:,} customers in this scope: too little to estimate how customers "
            "leave. Widen the date range."
        )
        return [Kpi(k, label, when, "—", "—", "—", "", why) for k, label in EQUITY_LABELS.items()]
    counts = {
        "equity": f"Expected discounted margin of the {now.active:,} active customers "
        f"({a.margin_rate:.0%} margin, {a.annual_discount:.0%} a year, {a.horizon_months} months), each segment "
        "on its own survival curve.",
        "value_at_risk": f"Margin expected to be lost to churn in the next 12 months, of the {now.active:,} active "
        "customers, each segment on its own survival curve.",
    }
    out = []
    for key, label in EQUITY_LABELS.items():
        estimate = float(getattr(now, key))
        change, note, delta = "—", "", None
        if before is not None and not before.is_empty:
            old = float(getattr(before, key))
            delta = estimate - old
            change = ("+" if delta >= 0 else "") + figure(key, delta)
            day = before.as_of.isoformat() if before.as_of else "the previous period's end"
            note = f"vs at {day} ({figure(key, old)}); no test: the two share most customers"
        low, high = getattr(now, f"{key}_low"), getattr(now, f"{key}_high")
        out.append(
            _measured(
                key,
                label,
                when,
                key,
                estimate,
                low,
                high,
                counts=counts[key],
                change=change,
                note=note,
                delta=delta,
                better="down" if key == "value_at_risk" else "up",
                against=before.as_of.isoformat() if before is not None and before.as_of else "",
            )
        )
    return out


def distance_kpi(distances: pd.DataFrame) -> Kpi:
    """The distance to iconic firms' published answers (``benchmarks.distance_to_profiles``)."""
    row = distances.set_index("profile").loc["iconic"]
    items = int(row["items"])
    shown = figure("points", row["distance"])
    return Kpi(
        "distance",
        "Distance to iconic (points)",
        "stored answers",
        shown,
        "none: no sample",
        "—",
        "one stored self-assessment, no history",
        f"Mean gap over {items} answered questions between your answers and the share of iconic firms "
        "saying yes (published survey figures)."
        if shown != "—"
        else "No self-assessment answers stored.",
        _number(row["distance"]),
        better="down",
    )


def kpis(h: Headlines) -> list[Kpi]:
    """Every headline, in print order, from ``headlines.headline_results``."""
    return [
        nps_kpi("relationship_nps", h.relationship),
        nps_kpi("post_contact_nps", h.post_contact),
        churn_kpi(h.churn),
        *lifetime_kpis(h.lifetime),
        *equity_kpis(h.equity),
        distance_kpi(h.distances),
    ]


def describe_kpis(items: Sequence[Kpi]) -> list[str]:
    """One plain line per headline, as the command prints them."""
    return [
        f"{k.label} ({k.period}): {k.value} [95% {k.interval}]" + (f"; change {k.change}" if k.change != "—" else "")
        for k in items
    ]
