"""The tables Iconic shows, one column list each, for every surface that shows them.

A page (``analytics.ui.tables.show``), the CLI (``text``) and the brief put the same result in front
of people. Naming each table's columns once here means the priority list in a terminal has the
columns, headers and number formats it has on the Moments page: all come from the column registry
(``analytics.report.columns``), which names the data's codes too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analytics.report.columns import present

#: The priority list (``priorities.PriorityList.table``), as the Moments page and ``analyze moments`` show it.
PRIORITIES = ("rank", "action", "journey_stage", "contact_reason", "volume", "met_rate", "swing_ci", "at_stake")
PRIORITIES_MONEY = ("answers_needed", "value_ci", "money")
#: The top of the priority list, as the Overview and the brief show it.
PRIORITIES_TOP = ("rank", "action", "moment", "met_rate", "swing_ci", "value_ci", "money")
#: A moment map split by channel or handler, after the split's own key.
MOMENT_SPLIT = ("volume", "met_rate", "nps_met_ci", "nps_not_met_ci", "swing_ci", "ltr_slope_ci", "at_stake", "action")
#: The value case's moments (``impact.ValueCase.moments`` or ``PriorityList.valued``), with ``IMPACT_ALIASES``.
VALUE_CASE = (
    "rank", "action", "journey_stage", "contact_reason", "contacts_per_year", "customers_affected", "ltr_shift_ci",
    "value_ci", "money", "status",
)  # fmt: skip
#: How each moment's value is reckoned, step by step (``PriorityList.valued`` or ``impact.ValueCase.moments``).
VALUE_CASE_CHAIN = (
    "journey_stage", "contact_reason", "answers_met", "answers_not_met", "ltr_shift_ci", "nps_shift",
    "months_to_answer", "log_hr_shift", "value_ci",
)  # fmt: skip
#: One moment's value case by segment.
VALUE_CASE_BY_SEGMENT = ("segment", "customers_affected", "value_ci")
#: The contact-reason Pareto (``moments.pareto``), as the Moments page shows it.
PARETO = (
    "contact_reason", "volume", "volume_share", "cumulative_share", "vital_few", "escalation_rate", "repeat_rate",
    "cost_per_contact", "cost",
)  # fmt: skip
#: NPS by a dimension (``advocacy.nps_by``); the group column is named by the dimension.
NPS_BY = ("group", "n", "nps_ci", "diff_ci", "test", "p_adjusted", "significant", "small_n")
#: Weighted NPS and response rates by a dimension (``nonresponse``).
WEIGHTED_NPS_BY = ("group", "invited", "n", "effective_n", "weighted_nps_ci", "unweighted", "uncovered")
RESPONSE_RATES = ("group", "invited", "answered", "response_ci")
#: Value × advocacy (``advocacy.value_advocacy_grid``) and churn by advocacy (``advocacy_economics``).
VALUE_ADVOCACY = (
    "revenue_tier", "advocacy", "customers", "revenue", "revenue_share", "churn_ci", "rate_ratio_ci", "p_adjusted",
    "action",
)  # fmt: skip
ADVOCACY_ECONOMICS = (
    "advocacy", "customers", "monthly_revenue_ci", "contacts_per_month_ci", "churned", "months_at_risk", "churn_ci",
)  # fmt: skip
#: Survival by a dimension (``survival.SurvivalReport.summary``), with ``SURVIVAL_ALIASES``.
SURVIVAL = ("group", "n", "events", "median_ci", "rmst_ci", "s12_ci", "s24_ci", "s36_ci")
LOGRANK_PAIRS = ("group_a", "group_b", "chi_square", "p_value", "p_adjusted")
#: A Cox model's hazard ratios, with ``COX_ALIASES``.
HAZARD_RATIOS = ("label", "reference", "hazard_ratio_ci", "p_value")
#: Lifetime value by a dimension (``value.customer_value``), with ``SURVIVAL_ALIASES``.
CUSTOMER_VALUE = (
    "group", "n", "active", "monthly_margin", "clv_ci", "residual_per_active", "equity_ci", "value_at_risk_ci",
    "extrapolated", "tail_share",
)  # fmt: skip
#: Customer segments (``segmentation.Segmentation.profiles`` with ``segment`` renamed ``segment_name``).
SEGMENTS = ("segment_name", "customers", "share", "revenue_share", "segment_nps_ci", "nps_n", "nps_diff", "named_for")
#: A driver analysis (``drivers.DriverResult.table``), with ``DRIVER_ALIASES``.
DRIVERS = ("label", "kind", "importance_ci", "importance_share_ci", "performance_on_scale", "top2", "driver_action")
#: Iconic benchmarks: the self-assessment, the stages said against shown, and the partner scorecard.
PROFILE_ITEMS = ("question", "answer", "iconic_figure", "all_figure", "poor_figure", "resembles")
STAGES = ("journey_stage", "survey_stage", "said", "shown", "agrees", "n", "contact_nps_ci", "cost_per_contact")
SCORECARD = (
    "handled_by", "is_partner", "volume", "n", "contact_nps_ci", "csat_ci", "asa_seconds", "fcr_ci",
    "escalation_rate_ci", "cost_per_contact", "cost_ratio", "meets_standard", "unmet", "unclear",
)  # fmt: skip


#: The ingest log (``catalog.ingest_history``), as the Data quality page and ``iconic status`` show it.
INGEST_HISTORY = (
    "started_at", "table_name", "status", "rows_in", "rows_committed", "rows_quarantined", "source_file", "message",
)  # fmt: skip


def text(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    group: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """``frame`` as a terminal shows it: the registry's headers and formats (``present``), left
    aligned, no index; the same cells a page shows."""
    shown = present(frame, columns, group=group, aliases=aliases)
    cells = pd.DataFrame(
        {
            c: [
                "—" if pd.isna(v) else f"{int(v):,}" if pd.api.types.is_integer_dtype(shown[c]) else str(v)
                for v in shown[c]
            ]
            for c in shown.columns
        },
        index=shown.index,
    )
    widths = {c: max([len(str(c)), *map(len, cells[c])]) for c in cells.columns}
    lines = ["  ".join(str(c).ljust(widths[c]) for c in cells.columns).rstrip()]
    for row in cells.itertuples(index=False):
        lines.append("  ".join(v.ljust(widths[c]) for c, v in zip(cells.columns, row, strict=True)).rstrip())
    return "\n".join(lines)
