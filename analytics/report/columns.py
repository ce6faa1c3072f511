"""Every column a page, a chart or the brief shows: its label, unit, format and a line of help.

One registry, so that a number reads the same everywhere: "NPS (95% CI)" is ``+12.5 (+10.8 to
+14.2)`` on the Advocacy page, in a chart tooltip and in the PDF brief, and a monthly revenue of
457,807.28 is ``$457.8k``. A column the registry does not know cannot be shown (``present`` raises),
and the app tests check every table on every page against it.

An estimate with an interval takes four entries (the estimate, its two bounds and the interval
column that shows all three), written by one helper, ``_bounded``. The chart builders, the
headlines and the brief read the registry here; ``analytics.ui.tables`` renders it in the dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import altair as alt
import pandas as pd

from analytics import names

Kind = Literal["text", "code", "count", "points", "share", "money", "number", "p", "flag", "datetime", "interval"]


@dataclass(frozen=True)
class Column:
    """How one column is shown.

    ``kind`` decides the format; ``digits`` the decimals of a number. A ``code`` column holds codes
    from the data (``billing_question``), shown by name (*Billing question*, ``analytics.names``). An ``interval`` column is
    shown from three source columns (``parts``: estimate, lower and upper bound), each of which is
    a column of its own in a CSV download.
    """

    label: str
    kind: Kind
    help: str = ""
    unit: str = ""
    digits: int = 1
    parts: tuple[str, str, str] | None = None
    #: What an interval column says when its estimate is missing (e.g. "no responses").
    missing: str = "—"
    #: What a missing upper bound says, where that means "beyond the data" (a median's interval).
    open_end: str | None = None

    @property
    def d3(self) -> str:
        """The d3 format string for this column in an Altair tooltip or axis."""
        return {
            "points": f"+.{self.digits}f",
            "share": f".{self.digits}%",
            "money": "$,.2f",
            "number": f",.{self.digits}f",
            "p": ".3f",
            "count": ",d",
        }.get(self.kind, "")


def _c(label: str, kind: Kind, help: str = "", **kw: object) -> Column:  # noqa: A002 - the natural word
    return Column(label, kind, help, **kw)  # type: ignore[arg-type]


#: How a driver table's columns (``analytics.analyses.drivers``) map onto registry entries.
DRIVER_ALIASES: dict[str, str] = {
    "low": "importance_low",
    "high": "importance_high",
    "share": "importance_share",
    "action": "driver_action",
}


def _bounded(
    name: str,
    label: str,
    kind: Kind,
    about: str,
    *,
    ci_help: str,
    missing: str = "—",
    level: int = 95,
    bounds: tuple[str, str] | None = None,
    ci: str | None = None,
    bound_label: str | None = None,
    bound_help: str = "",
    ci_label: str | None = None,
    aliases: Mapping[str, str] | None = None,
    **kw: object,
) -> dict[str, Column]:
    """An estimate, its bounds and the interval column showing all three: four registry entries.

    The bounds are ``{name}_low`` and ``{name}_high``, labelled "{label}, lower 95% bound" (and
    upper) with no help of their own; the interval is ``{name}_ci``, labelled "{label} (95% CI)".
    Where a table names them otherwise, ``bounds`` and ``ci`` give the entries' names and
    ``bound_label``, ``bound_help`` and ``ci_label`` what they say. A table shown with ``aliases``
    (``DRIVER_ALIASES``) has its own names for the columns, and the interval reads those. At another
    ``level`` (the value case's 90%, a default its ``confidence`` may change) the bounds name none.
    """
    low, high = bounds or (f"{name}_low", f"{name}_high")
    own = {v: k for k, v in (aliases or {}).items()}
    parts = (own.get(name, name), own.get(low, low), own.get(high, high))
    side = f"{level}% bound" if level == 95 else "bound"
    return {
        name: _c(label, kind, about, **kw),
        low: _c(f"{bound_label or label}, lower {side}", kind, bound_help, **kw),
        high: _c(f"{bound_label or label}, upper {side}", kind, bound_help, **kw),
        ci or f"{name}_ci": _c(
            f"{ci_label or label} ({level}% CI)", "interval", ci_help, parts=parts, missing=missing, **kw
        ),
    }


_NPS_HELP = "% promoters (9-10) minus % detractors (0-6), in points from -100 to +100."
_CI = "95% adjusted-Wald interval (Rocks 2016)."
_CHURN = "Churn events per 100 customer-months at risk."
_SHRUNK = "Mean over the segment's customers; a customer with few contacts is pulled towards the scope's overall mix."

COLUMNS: dict[str, Column] = {
    # dimensions
    "group": _c("Group", "text"),
    "segment": _c("Segment", "code", "The customer segment in the CRM."),
    "region": _c("Region", "code"),
    "plan": _c("Plan", "code"),
    "tenure_band": _c("Tenure", "code", "Time from signup to the response."),
    "behaviour_segment": _c("Behaviour segment", "code", "From the saved customer segmentation."),
    "channel": _c("Channel", "code"),
    "handled_by": _c("Handled by", "code", "In-house team or outsourcing partner."),
    "journey_stage": _c("Journey stage", "code"),
    "contact_reason": _c("Contact reason", "code"),
    "period": _c("Period", "datetime", "First day of the period."),
    # NPS
    "n": _c("Responses", "count", "Responses counted."),
    "promoters": _c("Promoters", "count", "Responses scoring 9 or 10."),
    "passives": _c("Passives", "count", "Responses scoring 7 or 8."),
    "detractors": _c("Detractors", "count", "Responses scoring 0 to 6."),
    **_bounded(
        "score",
        "NPS",
        "points",
        _NPS_HELP,
        ci_help=f"{_NPS_HELP} {_CI}",
        missing="no responses",
        bounds=("low", "high"),
        ci="nps_ci",
        bound_help=_CI,
        unit="points",
    ),
    "se": _c("Standard error", "number", "Standard error of the NPS, in points.", unit="points", digits=2),
    **_bounded(
        "diff",
        "Difference from the rest",
        "points",
        "This group's NPS minus that of all other responses.",
        ci_help="This group's NPS minus that of all other responses, with a 95% Wald interval (Rocks 2016).",
        bound_label="Difference",
        unit="points",
    ),
    "p_value": _c("p", "p", "Two-sided p-value against the rest, before correction."),
    "test": _c(
        "Test",
        "code",
        "Normal: z test (Rocks 2016), clustered by customer for post-contact responses; Exact: permutation test, "
        "used below 100 responses on a side.",
    ),
    "design_effect": _c(
        "Design effect",
        "number",
        "Variance allowing for several answers from one customer over the variance if all were independent.",
        digits=2,
    ),
    "effective_n": _c("Effective responses", "number", "Responses divided by the design effect.", digits=0),
    "p_adjusted": _c("p (Holm)", "p", "p-value adjusted for testing every group (Holm's step-down)."),
    "significant": _c("Significant", "flag", "The difference is significant at 5% after Holm's correction."),
    "small_n": _c("Small group", "flag", "Fewer than 30 responses: no interval for the difference; tested exactly."),
    "change": _c("Change from the previous period", "points", unit="points"),
    # non-response
    "invited": _c("Invited", "count", "Survey invitations sent in scope."),
    "answered": _c("Answered", "count", "Invitations that got an answer."),
    **_bounded(
        "response_rate",
        "Response rate",
        "share",
        "Answered invitations over invitations.",
        ci_help="Answered invitations over invitations, with a 95% Wilson interval.",
        missing="no invitations",
        bounds=("response_low", "response_high"),
        ci="response_ci",
    ),
    "weighted_nps_ci": _c(
        "Weighted NPS (95% CI)",
        "interval",
        "NPS with each answer counting for the invitations of its cell (channel and handler for post-contact "
        "surveys, segment and plan for relationship ones) that it stands for: an estimate of what everyone "
        "invited would have said. The interval uses the weighting-class variance, with customers as clusters.",
        unit="points",
        parts=("score", "low", "high"),
        missing="no answers",
    ),
    "unweighted": _c("NPS of the answers", "points", "Plain NPS of the same answers, unweighted.", unit="points"),
    "uncovered": _c(
        "Invitations no answer stands for",
        "share",
        "Share of the invitations in cells where nobody answered: the weighted NPS cannot speak for them.",
    ),
    # value x advocacy
    "revenue_tier": _c(
        "Revenue tier", "code", "Vital few: top 20% by monthly revenue; middle: next 30%; tail: the rest."
    ),
    "advocacy": _c("Advocacy", "code", "From the customer's latest relationship answer in scope."),
    "nps_category": _c(
        "Last said", "code", "The category of the customer's latest relationship answer at the time, or no answer yet."
    ),
    "customers": _c("Customers", "count"),
    "revenue": _c("Monthly revenue", "money", "Sum of the customers' monthly revenue.", unit="$"),
    "revenue_share": _c("Share of revenue", "share", "Share of all monthly revenue in scope."),
    "churned": _c("Churned", "count", "Customers who churned while at risk in scope."),
    "months_at_risk": _c(
        "Customer-months at risk",
        "number",
        "Months at risk of churning: from the customer's latest relationship answer in scope (from signup or the "
        "start of the scope for those who did not answer) to churn or the end of the scope.",
        digits=0,
    ),
    **_bounded(
        "churn_rate",
        "Churn per 100 customer-months",
        "number",
        _CHURN,
        ci_help=f"{_CHURN} At risk from the latest relationship answer, so that answering, which needs the customer "
        "to still be there, does not make answerers look loyal. Exact Poisson interval.",
        missing="no time at risk",
        bounds=("churn_low", "churn_high"),
        ci="churn_ci",
        digits=2,
    ),
    **_bounded(
        "rate_ratio",
        "Churn rate ratio",
        "number",
        "This cell's churn rate over that of the other answers in its tier.",
        ci_help="Rate ratio against the other customers of the revenue tier who answered, with an exact interval "
        "(conditional binomial test). Above 1: churns faster.",
        missing="not tested",
        ci_label="Churn against the rest of the tier",
        digits=2,
    ),
    "action": _c(
        "Suggested action",
        "text",
        "Fix, Delight or Maintain: the swing matters (interval above 0, at least the materiality threshold). "
        "Right-size: the whole interval lies below the threshold. Unclear: collect more answers.",
    ),
    "rank": _c("Rank", "count", "Place in the priority list (how it is ranked is said above the list)."),
    "answers_needed": _c(
        "More answers to settle",
        "number",
        "For an Unclear swing: about how many more post-contact answers would settle it, if the estimate held.",
        digits=0,
    ),
    "money": _c(
        "Money",
        "text",
        "What the value case says of the margin a fix keeps: above zero, uncertain (its interval holds zero), "
        "below zero, or not estimated.",
    ),
    **_bounded(
        "monthly_revenue",
        "Mean monthly revenue",
        "money",
        "",
        ci_help="Mean per customer, with a 95% normal-approximation interval.",
        unit="$",
    ),
    **_bounded(
        "contacts_per_month",
        "Contacts per month",
        "number",
        "Contacts per month as a customer.",
        ci_help="Mean contacts per month as a customer within the contact data, with a 95% interval.",
        digits=2,
    ),
    # moments of truth
    "moment": _c("Moment", "text", "Journey stage and contact reason."),
    "volume": _c("Contacts", "count", "Contacts in scope."),
    **_bounded(
        "volume_share",
        "Share of contacts",
        "share",
        "",
        ci_help="Share of the unit's contacts handled this way, with a 95% Wilson interval.",
    ),
    "cumulative_share": _c("Cumulative share", "share", "Share of contacts of this reason and all larger ones."),
    "vital_few": _c("Vital few", "flag", "Among the reasons that make up the first 80% of contacts."),
    "met_rate": _c(
        "Expectations met",
        "share",
        "Share of the contacts with a verdict that met expectations, by the rule stated above the table.",
    ),
    "n_met": _c("Responses, met", "count", "Post-contact responses about contacts that met expectations."),
    "n_not_met": _c("Responses, not met", "count", "Post-contact responses about contacts that did not."),
    **_bounded(
        "nps_met",
        "NPS when met",
        "points",
        _NPS_HELP,
        ci_help=f"{_NPS_HELP} Clustered by customer.",
        missing="no responses",
        unit="points",
    ),
    **_bounded(
        "nps_not_met",
        "NPS when not met",
        "points",
        _NPS_HELP,
        ci_help=f"{_NPS_HELP} Clustered by customer.",
        missing="no responses",
        unit="points",
    ),
    **_bounded(
        "swing",
        "Attitude swing",
        "points",
        "NPS when expectations were met minus NPS when they were not.",
        ci_help="NPS when met minus NPS when not met, with a 95% interval that treats each customer, not each "
        "answer, as the unit.",
        missing="no responses",
        unit="points",
    ),
    "swing_p": _c(
        "p (swing)",
        "p",
        "Two-sided p-value of the swing, from the same variance as its interval: below 0.05 exactly when the 95% "
        "interval excludes 0.",
    ),
    **_bounded(
        "ltr_slope",
        "LTR per CSAT point",
        "number",
        "Likelihood to recommend per point of CSAT.",
        ci_help="Least-squares slope of likelihood to recommend on CSAT within this kind of contact, with a 95% "
        "interval clustered by customer: how far attitude moves with the experience.",
        missing="no ratings",
        digits=2,
    ),
    "at_stake": _c(
        "Advocacy at stake",
        "number",
        "Contacts x not-met share x swing / 100: net promoters gained if every not-met contact had been met.",
        digits=0,
    ),
    "value_ratio": _c(
        "Value of customers served",
        "number",
        "Median monthly revenue of the customers served over that of every customer in scope.",
        digits=2,
    ),
    **_bounded(
        "escalation_rate",
        "Escalated",
        "share",
        "Share of contacts escalated from L1 to L2/3.",
        ci_help="Share of contacts escalated from L1 to L2/3, with a 95% Wilson interval.",
    ),
    **_bounded(
        "repeat_rate",
        "Repeat within 7 days",
        "share",
        "Share of contacts followed by another for the same reason within 7 days.",
        ci_help="Share of contacts followed by another from the same customer for the same reason within 7 days "
        "(95% Wilson interval).",
    ),
    "cost_per_contact": _c("Cost per contact", "money", unit="$"),
    "cost": _c("Cost", "money", "Total cost of the contacts.", unit="$"),
    # segments
    "segment_name": _c("Behaviour segment", "text", "Named by how the segment differs from everyone in scope."),
    "share": _c("Share of customers", "share"),
    **_bounded(
        "nps",
        "NPS",
        "points",
        _NPS_HELP,
        ci_help=f"From each customer's latest relationship answer. {_CI}",
        missing="no answers",
        ci="segment_nps_ci",
        ci_label="NPS of those who answered",
        unit="points",
    ),
    "nps_n": _c("Answers", "count", "Customers with a relationship answer in scope."),
    "tenure_months": _c("Tenure (months)", "number", "Months from signup to churn or the end of the data."),
    "self_service_share": _c("Self-service share", "share", "Share of contacts handled without a person."),
    "voice_share": _c("Voice share", "share", f"Share of contacts by phone. {_SHRUNK}"),
    "chat_share": _c("Chat share", "share", f"Share of contacts by chat. {_SHRUNK}"),
    "email_share": _c("Email share", "share", f"Share of contacts by email. {_SHRUNK}"),
    "web_share": _c("Web share", "share", f"Share of contacts through web self-service. {_SHRUNK}"),
    "membership": _c(
        "Membership",
        "number",
        "Mean probability, under the Gaussian mixture, that a customer belongs to the segment they were put in "
        "(1 = certain).",
        digits=2,
    ),
    **_bounded(
        "nps_diff",
        "NPS against the rest",
        "points",
        "The segment's NPS minus that of the other customers who answered.",
        ci_help="This unit's post-contact NPS minus that of the rest of the scope, clustered by customer.",
        missing="no comparison",
        unit="points",
    ),
    "named_for": _c(
        "Why this name",
        "text",
        "Differences from the rest that are significant after Holm's correction and large enough to name.",
    ),
    "escalations_per_month": _c("Escalations per month", "number", digits=3),
    "log_revenue": _c("Log monthly revenue", "number", "Natural log of 1 + monthly revenue.", digits=2),
    "ltr": _c("Likelihood to recommend", "number", "Latest relationship answer, 0-10."),
    # drivers (analytics.analyses.drivers). A driver table's "low", "high" and "share" bound and share out
    # importance, not NPS or customers: show it with ``aliases=DRIVER_ALIASES``.
    "attribute": _c(
        "Attribute code", "text", "The rated attribute (the survey's rating_<attribute> column) or contact measure."
    ),
    "label": _c("Driver", "text", "What was rated, in the survey's words, or the contact measure."),
    "kind": _c(
        "Kind",
        "code",
        "Tactile: speed, resolution, clarity. Emotive: how the customer felt treated. Operational: a measure of "
        "the contact itself (wait, transfers, resolution).",
    ),
    "r2": _c("R²", "number", "Share of the outcome's variance the drivers explain together.", digits=3),
    **_bounded(
        "importance",
        "Importance (R²)",
        "number",
        "The driver's share of R² in outcome units of explained variance: its LMG (Shapley) value, its gain in R² "
        "averaged over every order of adding the drivers. The drivers' values add up to R².",
        ci_help="LMG share of R² with a 95% percentile interval from a bootstrap that resamples customers, so "
        "repeat answers by one customer do not count as independent.",
        missing="not estimated",
        bound_label="Importance",
        ci_label="Importance",
        aliases=DRIVER_ALIASES,
        digits=3,
    ),
    **_bounded(
        "importance_share",
        "Share of explained variance",
        "share",
        "Importance over R²: the drivers' shares add up to 100%.",
        ci_help="Importance over R², with a 95% percentile interval from a bootstrap that resamples customers.",
        missing="not estimated",
        bounds=("share_low", "share_high"),
        aliases=DRIVER_ALIASES,
    ),
    "performance": _c(
        "Performance", "number", "Mean rating on the attribute's scale (for a contact measure, its mean).", digits=2
    ),
    "performance_on_scale": _c(
        "Mean rating", "text", "Mean rating and the attribute's scale (for a contact measure, its mean)."
    ),
    "top2": _c("Top-2-box", "share", "Share of ratings in the top two points of the scale (4 or 5 on a 1-5 scale)."),
    "performance_scaled": _c(
        "Performance (share of scale)",
        "share",
        "Mean rating as a fraction of the way from the bottom of its scale to the top; the importance-performance "
        "grid compares drivers on it.",
    ),
    "driver_action": _c(
        "Action",
        "text",
        "Fix: important and below the drivers' mean performance. Delight: important, performing, emotive. "
        "Maintain: important, performing, tactile or operational. Right-size: below an equal share of the "
        "explained variance.",
    ),
    # warehouse and ingest
    "table": _c("Table", "text"),
    "table_name": _c("Table", "text"),
    "rows": _c("Rows stored", "count"),
    "rows_in_scope": _c("Rows in scope", "count", "Rows the sidebar's filters keep (see the scope rules)."),
    "version": _c("Version", "count", "Delta table version; every commit adds one."),
    "updated_at": _c("Last commit (UTC)", "datetime"),
    "latest_event_at": _c("Latest event (UTC)", "datetime", "Latest signup, contact or response date in the table."),
    "batch_id": _c("Batch", "text"),
    "started_at": _c("Started (UTC)", "datetime"),
    "status": _c("Status", "text", "committed, rejected (nothing written) or unchanged (already ingested)."),
    "rows_in": _c("Rows in", "count", "Rows read from the file."),
    "rows_committed": _c("Rows committed", "count"),
    "rows_quarantined": _c("Rows quarantined", "count", "Rows set aside with their reasons."),
    "source_file": _c("File", "text"),
    "message": _c("Message", "text"),
    "duration_seconds": _c("Duration (s)", "number", unit="s"),
    "rule": _c("Rule", "text"),
    "column": _c("Column", "text"),
    "success": _c("Passed", "flag"),
    "policy": _c("On failure", "text", "What a failure does: reject the batch, quarantine the rows, or warn."),
    "unexpected_count": _c("Rows failing", "count"),
    "examples": _c("Examples", "text", "Some of the values that failed."),
    "reasons": _c("Reasons", "text"),
    "row_number": _c("Row in file", "count"),
    "record": _c("Row as received", "text", "The row exactly as it was in the file."),
    "references": _c("Names a row of", "text"),
    "rows_missing": _c("Rows naming a missing row", "count"),
    # survival and lifetime value
    "survival_n": _c("Customers", "count", "Customers in the group (by NPS category: stretches of tenure)."),
    "events": _c("Churned", "count", "Customers who churned by the as-of date."),
    "followed": _c("Longest tenure seen", "number", "Months.", unit="months"),
    **_bounded(
        "median",
        "Median tenure",
        "number",
        "Months until half the customers have left, from the Kaplan-Meier curve.",
        ci_help="Months until half have left, with the interval where the curve's 95% band crosses one half. "
        "Not reached: more than half are still there at the longest tenure seen.",
        missing="not reached",
        open_end="not reached",
        unit="months",
    ),
    **_bounded(
        "rmst",
        "Mean months (RMST)",
        "number",
        "Restricted mean survival time: the average months a customer stays within the horizon.",
        ci_help="Area under the Kaplan-Meier curve up to the horizon, with a 95% bootstrap interval over "
        "customers. Past the data: the horizon is longer than any tenure seen.",
        missing="past the data",
        unit="months",
    ),
    **{
        k: v
        for m in (12, 24, 36)
        for k, v in _bounded(
            f"s{m}",
            f"Still there at {m} months",
            "share",
            f"Kaplan-Meier survival at {m} months of tenure.",
            ci_help=f"Share still a customer {m} months after signup (Kaplan-Meier, 95% band on the log-log scale).",
            missing="past the data",
        ).items()
    },
    "active": _c("Active", "count", "Customers still there at the as-of date."),
    "monthly_margin": _c("Monthly margin", "money", "Mean monthly revenue x margin rate.", unit="$"),
    **_bounded(
        "clv",
        "Lifetime value",
        "money",
        "A new customer's expected discounted margin over the horizon, from the group's survival curve.",
        ci_help="Expected discounted margin of a new customer over the horizon, with a 95% bootstrap interval "
        "over customers.",
        unit="$",
    ),
    "residual_per_active": _c(
        "Value per active customer",
        "money",
        "Expected discounted margin of an active customer from today, given how long they have stayed.",
        unit="$",
    ),
    **_bounded(
        "equity",
        "Customer equity",
        "money",
        "The expected discounted margin of every active customer, given their tenure.",
        ci_help="Sum of active customers' residual value, with a 95% bootstrap interval.",
        unit="$",
    ),
    **_bounded(
        "value_at_risk",
        "Value at risk, 12 months",
        "money",
        "Margin expected to be lost to churn in the next 12 months.",
        ci_help="What active customers would bring in 12 months if none left, less what they are expected to "
        "bring; 95% bootstrap interval.",
        unit="$",
    ),
    "extrapolated": _c(
        "Lifetime value beyond the data",
        "flag",
        "A new customer's value relies on the parametric tail: the horizon runs past the last tenure with 50 "
        "customers at risk.",
    ),
    "tail_share": _c(
        "Equity from the tail",
        "share",
        "Share of customer equity from months past the last tenure with 50 customers at risk, where only the "
        "parametric tail speaks.",
    ),
    "tail": _c("Tail", "text", "How survival is extended past the data."),
    "hr_p": _c("p", "p", "Two-sided Wald p-value of the hazard ratio."),
    "reference": _c("Compared with", "code", "The reference level of a category."),
    **_bounded(
        "hazard_ratio",
        "Hazard ratio",
        "number",
        "How much faster customers with this trait churn than the reference, at the same tenure.",
        ci_help="Cox model hazard ratio with a 95% Wald interval: above 1 churns faster, below 1 slower. Per unit "
        "for a count.",
        digits=2,
    ),
    "group_a": _c("Group", "text"),
    "group_b": _c("Against", "text"),
    "chi_square": _c("Chi-square", "number", "Log-rank statistic, 1 degree of freedom.", digits=1),
    "covariate_label": _c("Covariate", "text", "A trait in the Cox model; a count is per contact."),
    # iconic benchmarks (analytics.analyses.benchmarks)
    "question": _c("Question", "text", "The self-assessment question, in the survey's terms."),
    "answer": _c("Your answer", "code", "Stored in the assessment table; change it under Your self-assessment."),
    "iconic_figure": _c(
        "Iconic firms", "text", "Share of iconic firms' executives saying yes, or what they put first at this stage."
    ),
    "all_figure": _c("All respondents", "text", "Share of all surveyed executives saying yes, or what most put first."),
    "poor_figure": _c(
        "Poor performers", "text", "Share of poor performers' executives saying yes, or what most put first."
    ),
    "resembles": _c(
        "Resembles",
        "code",
        "The profile whose published share is nearest your answer (yes 100%, partly 50%, no 0%), or whose priority "
        "at the stage matches it; ties go to the less flattering profile. None where only a relative figure exists.",
    ),
    "source": _c("Source", "text"),
    "note": _c("How firm", "text", "Secondary source, approximate, relative or qualitative: as the source allows."),
    "context": _c("Relative figures", "text", "Published as a ratio only: never turned into a share."),
    "survey_stage": _c(
        "Survey stage", "code", "The survey's stage: discovery, purchase, delivery or customer service."
    ),
    "said": _c("You say", "code", "What the self-assessment says comes first at this survey stage."),
    "shown": _c("Your data shows", "code", "The stance the stage's contacts and answers show (rule above the table)."),
    "agrees": _c("Agrees", "flag", "What you say matches what the data shows."),
    "contact_nps_ci": _c(
        "Post-contact NPS (95% CI)",
        "interval",
        f"{_NPS_HELP} Post-contact answers, clustered by customer. {_CI}",
        unit="points",
        parts=("nps", "nps_low", "nps_high"),
        missing="no responses",
    ),
    **_bounded(
        "csat",
        "CSAT 4-5",
        "share",
        "Share of post-contact CSAT answers of 4 or 5 (of 5).",
        ci_help="Share of CSAT answers of 4 or 5, with a 95% Wilson interval on the effective number of answers "
        "(answers over the design effect of customers as clusters).",
        missing="no answers",
    ),
    "csat_n": _c("CSAT answers", "count", "Post-contact answers with a CSAT rating."),
    "handle_seconds": _c("Handle time (s)", "number", "Mean handle time of the contacts that record it.", digits=0),
    **_bounded(
        "automation_rate",
        "Started in automation",
        "share",
        "Share of contacts that began with automation (web, IVR, bots).",
        ci_help="Share of contacts that began with automation, with a 95% Wilson interval.",
    ),
    **_bounded(
        "containment_rate",
        "Contained",
        "share",
        "Of the contacts that began with automation, the share finished without a person.",
        ci_help="Of the contacts that began with automation, the share finished without a person (95% Wilson).",
        missing="no automation",
    ),
    "satisfaction": _c("Satisfaction against the rest", "text", "Post-contact NPS against the rest of the scope."),
    "efficiency": _c("Efficiency against the rest", "text", "The chosen efficiency measure against the rest."),
    "stance": _c(
        "Stance", "text", "Satisfaction-led, efficiency-led, both or neither, by the rule stated with the chart."
    ),
    "handling": _c(
        "How it was handled", "text", "A person from the start, automation then a person, automation alone."
    ),
    "live_share": _c("Live share", "share", "Share of the unit's contacts a person handled at some point."),
    "repeats": _c("Repeats", "count", "Contacts followed by another for the same reason within 7 days."),
    "is_partner": _c("Partner", "flag", "An outsourcing partner, not the in-house team."),
    "asa_seconds": _c(
        "Speed of answer (s)", "number", "Mean wait of voice contacts handled by a person, in seconds.", digits=0
    ),
    "asa_n": _c("Voice contacts", "count", "Voice contacts behind the speed of answer."),
    **_bounded(
        "fcr",
        "First-contact resolution",
        "share",
        "Share of contacts resolved on first contact.",
        ci_help="Share of contacts resolved on first contact, with a 95% Wilson interval.",
    ),
    "cost_ratio": _c("Cost against in-house", "number", "Cost per contact over the in-house team's.", digits=2),
    "meets_standard": _c("Meets the standard", "flag", "Meets every criterion of the standard stated above."),
    "unmet": _c("Falls short on", "text"),
    "unclear": _c("Too close to call", "text", "Criteria whose 95% interval holds the target."),
    "week": _c("Week", "count", "Weeks since go-live (0 is the week it went live)."),
    "week_start": _c("Week from (UTC)", "datetime"),
    "trailing_volume": _c("Trailing contacts", "number", "Mean weekly contacts of the four weeks before.", digits=0),
    "surge": _c("Surge", "flag", "Contacts more than 15% above the trailing average: a stress week to watch."),
    "in_house_fcr": _c("In-house first-contact resolution", "share", "The in-house team's in the same week."),
    "meets_target": _c("Meets target", "flag", "The week's KPI meets the standard's target."),
    # The value case (analytics.analyses.impact): intervals are 90% by default.
    "customers_affected": _c(
        "Customers affected",
        "count",
        "Customers in scope with at least one contact of this kind that missed expectations.",
    ),
    "contacts_per_year": _c(
        "Missed contacts a year", "number", "Contacts that missed expectations, a year at the scope's rate.", digits=0
    ),
    "contacts_not_met": _c("Missed contacts", "count", "Contacts in scope that missed expectations."),
    **_bounded(
        "value",
        "Margin kept a year",
        "money",
        "Discounted lifetime margin kept by fixing a year of these contacts, at the chosen improvement.",
        ci_help="Discounted lifetime margin kept by fixing a year of these contacts, with a 90% bootstrap interval "
        "over customers that carries every step of the chain.",
        missing="too few answers",
        level=90,
        unit="$",
    ),
    "net_value": _c(
        "Net of the cost", "money", "Margin kept by a year of fixed contacts minus the one-off cost.", unit="$"
    ),
    "payback_months": _c(
        "Payback (months)", "number", "Months until the margin kept since the fix repays its cost.", digits=0
    ),
    "answers_met": _c("Answers after met", "count", "Next relationship answers after contacts that met expectations."),
    "answers_not_met": _c(
        "Answers after missed", "count", "Next relationship answers after contacts that missed expectations."
    ),
    **_bounded(
        "ltr_shift",
        "LTR shift",
        "number",
        "Next relationship LTR after a met contact minus after a missed one.",
        ci_help="Next relationship LTR (0-10) after a met contact minus after a missed one, within segment and "
        "plan, weighted to the missed contacts' mix; 90% bootstrap interval over customers.",
        missing="too few answers",
        level=90,
        digits=2,
    ),
    "nps_shift": _c(
        "NPS shift", "points", "Next relationship NPS after met contacts minus after missed ones.", unit="points"
    ),
    "months_to_answer": _c("Months to the answer", "number", "Mean months from a missed contact to the next answer."),
    "log_hr_shift": _c(
        "Log hazard change", "number", "Change in the log churn hazard right after a fixed contact.", digits=3
    ),
    "impact_status": _c(
        "Estimate",
        "text",
        "ok; all met (nothing to fix, worth 0); too few answers; or no attitude link (too little data to read attitude).",
    ),
}

#: The survival summary's ``n`` counts customers (or stretches), not responses.
SURVIVAL_ALIASES: dict[str, str] = {"n": "survival_n"}
#: A value case's ``status`` says whether the moment could be valued.
IMPACT_ALIASES: dict[str, str] = {"status": "impact_status"}
#: A Cox table's ``label`` names a covariate, not a driver.
COX_ALIASES: dict[str, str] = {"label": "covariate_label", "p_value": "hr_p"}


def _key(name: str, group: str | None, aliases: Mapping[str, str] | None) -> str:
    if name == "group" and group:
        return group
    return aliases.get(name, name) if aliases else name


def spec(name: str) -> Column:
    """The registry entry for ``name``; a ``KeyError`` names the column if it is not registered."""
    try:
        return COLUMNS[name]
    except KeyError:
        raise KeyError(f"column {name!r} is not in the display registry (analytics/report/columns.py)") from None


def labels() -> set[str]:
    """Every label the registry can put on screen."""
    return {c.label for c in COLUMNS.values()}


# --- formatting --------------------------------------------------------------------------------------


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def fmt(name: str, value: object) -> str:
    """``value`` of column ``name`` as text, e.g. ``fmt("score", 12.46)`` is ``+12.5``; missing is ``—``."""
    c = spec(name)
    if _missing(value):
        return "—"
    if c.kind == "points":
        return f"{float(value):+.{c.digits}f}"  # type: ignore[arg-type]
    if c.kind == "share":
        return f"{float(value):.{c.digits}%}"  # type: ignore[arg-type]
    if c.kind == "money":
        return names.money(float(value))  # type: ignore[arg-type]
    if c.kind == "number":
        return f"{float(value):,.{c.digits}f}"  # type: ignore[arg-type]
    if c.kind == "count":
        return f"{int(value):,}"  # type: ignore[call-overload]
    if c.kind == "p":
        return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"  # type: ignore[arg-type]
    if c.kind == "flag":
        return "yes" if bool(value) else ""
    if c.kind == "datetime":
        return f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"
    if c.kind == "code":
        return names.name(value)
    return str(value)


def fmt_interval(name: str, estimate: object, low: object, high: object) -> str:
    """An estimate with its interval, e.g. ``+12.5 (+10.8 to +14.2)``, in the format of ``name``'s parts."""
    c = spec(name)
    if c.parts is None:
        raise ValueError(f"column {name!r} is not an interval")
    part = c.parts[0]
    if _missing(estimate):
        return c.missing
    if c.open_end and not _missing(low) and _missing(high):
        return f"{fmt(part, estimate)} ({fmt(part, low)} to {c.open_end})"
    if _missing(low) or _missing(high):
        return f"{fmt(part, estimate)} (too few to bound)"
    return f"{fmt(part, estimate)} ({fmt(part, low)} to {fmt(part, high)})"


def present(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    group: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The table as shown: registered labels as headers, values formatted as text (counts stay
    numbers so they sort; dates read ``YYYY-MM-DD HH:MM``, which sorts as text), intervals joined
    into one cell. Missing values read ``—``.

    ``group`` names the dimension that fills a ``group`` column (its label heads the column);
    ``aliases`` maps other frame columns to the registry entry that describes them (e.g.
    ``DRIVER_ALIASES``, where ``share`` is a share of explained variance).
    """
    out = {}
    for name in columns:
        key = _key(name, group, aliases)
        c = spec(key)
        if c.parts is not None:
            est, lo, hi = (frame[p] for p in c.parts)
            out[c.label] = [fmt_interval(key, *v) for v in zip(est, lo, hi, strict=True)]
        elif c.kind == "count":
            out[c.label] = frame[name].astype("Int64")
        else:
            out[c.label] = [fmt(key, v) for v in frame[name]]
    return pd.DataFrame(out, index=range(len(frame)))


def export(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    group: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The table for a CSV download: the same columns with their labels, raw numbers, and each
    interval split into its estimate and bounds."""
    names: list[str] = []
    for name in columns:
        parts = spec(name).parts
        names.extend(parts if parts else [name])
    return pd.DataFrame(
        {spec(_key(n, group, aliases)).label: frame[n].to_numpy() for n in names},
        index=range(len(frame)),
    )


def tooltip(name: str, *, field: str | None = None, title: str | None = None) -> alt.Tooltip:
    """An Altair tooltip for column ``name`` with its label and format."""
    c = spec(name)
    kind = {"text": "N", "code": "N", "datetime": "T", "flag": "N"}.get(c.kind, "Q")
    fmt_ = "%b %Y" if c.kind == "datetime" else c.d3
    return alt.Tooltip(f"{field or name}:{kind}", title=title or c.label, format=fmt_ or alt.Undefined)


def axis_title(name: str) -> str:
    """The axis title for column ``name``: its label with its unit, e.g. ``NPS (points)``."""
    c = spec(name)
    return f"{c.label} ({c.unit})" if c.unit and c.unit not in c.label else c.label


def help_texts(
    columns: Sequence[str], *, group: str | None = None, aliases: Mapping[str, str] | None = None
) -> Mapping[str, str]:
    """Label -> help text for the columns shown (for column headers' tooltips)."""
    out = {}
    for name in columns:
        c = spec(_key(name, group, aliases))
        out[c.label] = c.help
    return out
