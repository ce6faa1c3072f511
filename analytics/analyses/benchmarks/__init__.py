"""Iconic-firm benchmarks: how far the company is from the firms that lead on customer experience, and
whether it trades satisfaction for efficiency where it matters.

Two sources meet here.

- **Published figures** (``data/benchmarks/iconic_reference.csv``, read by ``published.reference``):
  shares of surveyed executives at iconic firms, at all firms and at poor performers, each row with its
  source and a note on how firm it is. The MIT Technology Review Insights figures reach us through a
  vendor's summary, so every one of them is marked secondary; a few are relative ("2x as likely") and
  the journey-stage pattern is qualitative. Nothing here turns a relative or qualitative figure into a
  share.
- **The company's own data**: its answers to the self-assessment (the ``assessment`` table) and its
  contacts and post-contact surveys.

What each module computes:

- ``assessment``: the questions; ``score_assessment`` sets each answer against the three profiles and
  says which one it resembles, and ``distance_to_profiles`` gives the mean gap in percentage points to
  each profile (``DISTANCE_METHOD``); ``save_assessment`` stores answers through the validated ingest.
- ``stances``: ``satisfaction_efficiency``, per journey stage, channel, handler or contact reason,
  post-contact NPS (clustered by customer, tested against the rest with Holm's correction:
  ``advocacy.nps_by_rows``) and CSAT (top-2-box with a Wilson interval on the effective sample size),
  beside cost per contact, handle time and the automation and containment rates; ``classify_stance``
  names the stance each unit shows (``StanceRule``); ``stance_by_stage`` sets that stance per journey
  stage beside what the self-assessment says for the survey's stage (``SURVEY_STAGE``).
- ``automation``: ``channel_mix`` and ``automation_outcomes``, who handles contacts (a person from the
  start, automation and then a person, automation alone) by stage or reason; satisfaction and 7-day
  repeat contact after each.
- ``partners``: ``partner_scorecard``, every handler against one ``Standard``; ``standard_share`` sets
  the share of partners meeting it beside the published figure.
- ``ramp``: ``partner_ramp``, week by week, the first 90 days (and a few weeks beyond) of a handler that
  went live inside the scope.
- ``overview``: ``report``, all of it for one scope, as ``iconic analyze benchmarks`` prints it, and
  the page's opening ``summary``.

Warehouse work is Ibis (``contacts``): contacts are summed once per scope into a few thousand rows
(``contact_sums``), and post-contact answers are joined to their contacts once per scope
(``post_contact_answers``); every cut reads those.

This package is the front door: the pages, the CLI, the brief and the notebooks use the names below.
"""

from analytics.analyses.benchmarks.assessment import (
    ANSWER_SCORE,
    DISTANCE_METHOD,
    ITEM_COLUMNS,
    PRACTICE_ANSWERS,
    PROFILE_ORDER,
    QUESTION,
    QUESTIONS,
    SURVEY_STAGE,
    SURVEY_STAGES,
    Question,
    answers_frame,
    assessment_items,
    distance_to_profiles,
    save_assessment,
    score_assessment,
    stored_answers,
)
from analytics.analyses.benchmarks.automation import MIX_BY, automation_outcomes, channel_mix
from analytics.analyses.benchmarks.contacts import EFFICIENCY, HANDLING, LOWER_IS_EFFICIENT, UNITS
from analytics.analyses.benchmarks.overview import BenchmarkReport, report, summary
from analytics.analyses.benchmarks.partners import (
    CRITERIA,
    CRITERION_WORDS,
    SCORECARD_COLUMNS,
    Standard,
    StandardShare,
    partner_scorecard,
    standard_share,
)
from analytics.analyses.benchmarks.published import (
    PROFILES,
    QUALITATIVE,
    REFERENCE_COLUMNS,
    RELATIVE_UNIT,
    SHARE_UNIT,
    STANCE_ANSWERS,
    reference,
    reference_path,
)
from analytics.analyses.benchmarks.ramp import (
    FIRST_DAYS,
    KPI_WORDS,
    RAMP_COLUMNS,
    RAMP_KPIS,
    RAMP_WEEKS,
    partner_ramp,
    ramp_sentence,
    went_live,
)
from analytics.analyses.benchmarks.stances import (
    SATISFACTION_COLUMNS,
    STANCES,
    StanceRule,
    classify_stance,
    said_against_shown,
    satisfaction_efficiency,
    stage_stances,
    stance_by_stage,
)

__all__ = [
    "ANSWER_SCORE",
    "CRITERIA",
    "CRITERION_WORDS",
    "DISTANCE_METHOD",
    "EFFICIENCY",
    "FIRST_DAYS",
    "HANDLING",
    "ITEM_COLUMNS",
    "KPI_WORDS",
    "LOWER_IS_EFFICIENT",
    "MIX_BY",
    "PRACTICE_ANSWERS",
    "PROFILES",
    "PROFILE_ORDER",
    "QUALITATIVE",
    "QUESTION",
    "QUESTIONS",
    "RAMP_COLUMNS",
    "RAMP_KPIS",
    "RAMP_WEEKS",
    "REFERENCE_COLUMNS",
    "RELATIVE_UNIT",
    "SATISFACTION_COLUMNS",
    "SCORECARD_COLUMNS",
    "SHARE_UNIT",
    "STANCES",
    "STANCE_ANSWERS",
    "SURVEY_STAGE",
    "SURVEY_STAGES",
    "UNITS",
    "BenchmarkReport",
    "Question",
    "StanceRule",
    "Standard",
    "StandardShare",
    "answers_frame",
    "assessment_items",
    "automation_outcomes",
    "channel_mix",
    "classify_stance",
    "distance_to_profiles",
    "partner_ramp",
    "partner_scorecard",
    "ramp_sentence",
    "reference",
    "reference_path",
    "report",
    "said_against_shown",
    "satisfaction_efficiency",
    "save_assessment",
    "score_assessment",
    "stage_stances",
    "stance_by_stage",
    "standard_share",
    "stored_answers",
    "summary",
    "went_live",
]
