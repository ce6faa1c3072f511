"""Iconic-firm benchmarks: how far the company is from the firms that lead on customer experience, and
whether it trades satisfaction for efficiency where it matters.

Two sources meet here.

- **Published figures** (``data/benchmarks/iconic_reference.csv``, read by ``reference``): shares of
  surveyed executives at iconic firms, at all firms and at poor performers, each row with its source
  and a note on how firm it is. The MIT Technology Review Insights figures reach us through a vendor's
  summary, so every one of them is marked secondary; a few are relative ("2x as likely") and the
  journey-stage pattern is qualitative. Nothing here turns a relative or qualitative figure into a
  share.
- **The company's own data**: its answers to the self-assessment (the ``assessment`` table) and its
  contacts and post-contact surveys.

What each part computes:

- ``score_assessment``: each answer against the three profiles, which one it resembles, and
  ``distance_to_profiles``, the mean gap in percentage points to each profile (``DISTANCE_METHOD``).
- ``satisfaction_efficiency``: per journey stage, channel, handler or contact reason, post-contact NPS
  (clustered by customer, tested against the rest with Holm's correction: ``advocacy.nps_by_rows``) and
  CSAT (top-2-box with a Wilson interval on the effective sample size), beside cost per contact, handle
  time and the automation and containment rates; ``classify_stance`` names the stance each unit shows
  (``StanceRule``).
- ``stance_by_stage``: that stance per journey stage beside what the self-assessment says for the
  survey's stage (``SURVEY_STAGE``).
- ``channel_mix`` and ``automation_outcomes``: who handles contacts (a person from the start,
  automation and then a person, automation alone) by stage or reason; satisfaction and 7-day repeat
  contact after each.
- ``partner_scorecard``: every handler against one ``Standard``; ``standard_share`` sets the share of
  partners meeting it beside the published figure.
- ``partner_ramp``: week by week, the first 90 days (and a few weeks beyond) of a handler that went
  live inside the scope.
- ``report``: all of it for one scope, as ``iconic analyze benchmarks`` prints it.

Warehouse work is Ibis: contacts are summed once per scope into a few thousand rows
(``_contact_sums``), and post-contact answers are joined to their contacts once per scope
(``_answers``); every cut reads those.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _

from analytics import names
from analytics.analyses import advocacy, moments
from analytics.analyses.advocacy import MIN_N
from analytics.data import filters, schema
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.ingest import IngestResult, ingest_bytes
from analytics.data.warehouse import Warehouse, epoch_microseconds, epoch_seconds
from analytics.errors import UsageError
from analytics.stats import inference
from analytics.stats.nps import DETRACTOR_MAX, PROMOTER_MIN

# --- published reference figures ---------------------------------------------------------------------

REFERENCE_FILE = "iconic_reference.csv"
REFERENCE_COLUMNS = (
    "metric",
    "question_id",
    "iconic",
    "all_respondents",
    "poor_performers",
    "value",
    "unit",
    "source",
    "note",
)
#: The survey's three profiles: column in the reference file -> how it reads on screen.
PROFILES = {"iconic": "iconic", "all_respondents": "all respondents", "poor_performers": "poor performers"}
#: A profile figure in these units is a share of surveyed executives, in percent.
SHARE_UNIT = "percent of executives"
#: Figures that say how much more likely iconic firms are than others; never a share.
RELATIVE_UNIT = "times as likely as others"
QUALITATIVE = "qualitative"


def reference_path() -> Path:
    """The reference file: ``data/benchmarks/iconic_reference.csv`` in the project, found from this
    package's location (never from the working directory)."""
    return Path(__file__).resolve().parents[2] / "data" / "benchmarks" / REFERENCE_FILE


def reference(path: str | Path | None = None) -> pd.DataFrame:
    """The published figures, one row each, checked on the way in.

    Returns
    -------
    pandas.DataFrame
        The file's columns (``REFERENCE_COLUMNS``) as text, empty cells as ``None``. Profile cells
        hold a number in percent (``unit`` ``SHARE_UNIT``), a ratio (``RELATIVE_UNIT``) or, for the
        journey-stage pattern (``unit`` ``qualitative``), which comes first: ``satisfaction``,
        ``balanced`` or ``efficiency``.

    Raises
    ------
    UsageError
        Naming the file, row, column and value, when a column is missing, a row has no metric, unit
        or source, or a figure is not a number where its unit needs one.
    """
    file = Path(path) if path is not None else reference_path()
    if not file.is_file():
        raise UsageError(
            f"the benchmark reference file {file} is missing; it ships with the project in data/benchmarks"
        )
    with file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0]) if rows else []
    missing = [c for c in REFERENCE_COLUMNS if c not in header]
    if missing:
        raise UsageError(f"{file}: column {missing[0]!r} is missing; expected {', '.join(REFERENCE_COLUMNS)}")
    for line, row in enumerate(rows, start=2):
        for column in ("metric", "unit", "source"):
            if not row[column].strip():
                raise UsageError(f"{file}, line {line}: {column} is empty; every figure needs its {column}")
        numeric = row["unit"] != QUALITATIVE
        for column in (*PROFILES, "value"):
            cell = row[column].strip()
            if not cell:
                continue
            if numeric:
                try:
                    float(cell)
                except ValueError:
                    raise UsageError(
                        f"{file}, line {line}, column {column}: {cell!r} is not a number (unit {row['unit']!r})"
                    ) from None
            elif cell not in STANCE_ANSWERS:
                raise UsageError(
                    f"{file}, line {line}, column {column}: {cell!r} is not one of {', '.join(STANCE_ANSWERS)}"
                )
    frame = pd.DataFrame(rows, columns=list(REFERENCE_COLUMNS))
    return frame.apply(lambda c: c.str.strip()).replace("", None)


# --- the self-assessment -----------------------------------------------------------------------------

Kind = Literal["practice", "stance"]
PRACTICE_ANSWERS = schema.ASSESSMENT_ANSWERS[:3]
STANCE_ANSWERS = schema.ASSESSMENT_ANSWERS[3:]
#: An answer to a practice question as a share, to set beside the profiles' shares of firms saying yes.
ANSWER_SCORE = {"yes": 1.0, "partly": 0.5, "no": 0.0}
#: Ties between profiles go to the less flattering one: resembling iconic firms must be earned.
PROFILE_ORDER = ("poor_performers", "all_respondents", "iconic")


@dataclass(frozen=True)
class Question:
    """One self-assessment question. ``practice`` questions are answered yes / partly / no;
    ``stance`` questions (one per survey stage) satisfaction / balanced / efficiency."""

    question_id: str
    text: str
    kind: Kind
    survey_stage: str | None = None

    @property
    def answers(self) -> tuple[str, ...]:
        return PRACTICE_ANSWERS if self.kind == "practice" else STANCE_ANSWERS


#: The survey groups the journey into four stages; ours has six.
SURVEY_STAGES = ("discovery", "purchase", "delivery", "customer_service")
SURVEY_STAGE = {
    "learn": "discovery",
    "buy": "purchase",
    "pay": "purchase",
    "get": "delivery",
    "use": "customer_service",
    "support": "customer_service",
}

QUESTIONS = (
    Question("omnichannel", "Customer context is carried across channels", "practice"),
    Question("channel_mix", "We have the right mix of live and automated channels", "practice"),
    Question("ai_for_satisfaction", "We use AI to support agents and raise customer satisfaction", "practice"),
    Question("satisfaction_first", "Our CX strategy is led by satisfaction rather than efficiency", "practice"),
    *(
        Question(
            f"stance_{stage}",
            f"At {names.phrase(stage)}, our CX strategy puts first: satisfaction, efficiency, or both equally",
            "stance",
            stage,
        )
        for stage in SURVEY_STAGES
    ),
    Question("partner_standard", "We hold partners to a common CX standard", "practice"),
    Question("partner_integration", "Our CX systems are integrated with partners", "practice"),
    Question("csr_brand", "Social responsibility is among the most important parts of our brand value", "practice"),
    Question("feedback_loop", "We close the loop with customers on their feedback", "practice"),
)
QUESTION = {q.question_id: q for q in QUESTIONS}

DISTANCE_METHOD = (
    "Mean absolute gap, in percentage points, between your answer (yes = 100, partly = 50, no = 0) and the "
    "profile's share of firms saying yes, over the practice questions with a published share for that profile. "
    'Relative figures ("2x as likely") and the qualitative stage pattern are left out. One firm\'s answer can '
    "never sit exactly on a share of firms: a yes where 90% of iconic firms say yes is 10 points away, so "
    "compare the three distances with each other rather than with zero."
)


def answers_frame(answers: Mapping[str, str]) -> pd.DataFrame:
    """Answers as ``assessment`` rows (``question_id``, ``question``, ``answer``), checked first.

    Raises
    ------
    UsageError
        For a question the self-assessment does not ask, or an answer it does not accept, naming
        both and the answers allowed.
    """
    rows = []
    for question_id, answer in answers.items():
        q = QUESTION.get(question_id)
        if q is None:
            raise UsageError(
                f"assessment: question_id {question_id!r} is not in the self-assessment; it asks {', '.join(QUESTION)}"
            )
        value = str(answer).strip().lower()
        if value not in q.answers:
            raise UsageError(
                f"assessment, question {question_id}: answer {answer!r} is not allowed; answer {' / '.join(q.answers)}"
            )
        rows.append({"question_id": question_id, "question": q.text, "answer": value})
    return pd.DataFrame(rows, columns=["question_id", "question", "answer"])


def save_assessment(
    answers: Mapping[str, str], *, warehouse_path: str | Path | None = None, now: datetime | None = None
) -> IngestResult:
    """Write answers to the ``assessment`` table through the validated ingest (upsert by question).

    The answers are checked (``answers_frame``), written as a CSV with the time they were given
    (``answered_at``, an extra column: it also makes every save a new file, so saving an earlier set
    of answers again is not mistaken for a re-ingest) and ingested exactly as ``iconic ingest
    assessment FILE`` would: the same expectations, the same log, all or nothing.
    """
    frame = answers_frame(answers)
    if frame.empty:
        raise UsageError("assessment: no answers to save")
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    frame["answered_at"] = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
    name = f"assessment_{stamp:%Y%m%dT%H%M%S%f}.csv"
    return ingest_bytes("assessment", name, frame.to_csv(index=False).encode("utf-8"), warehouse_path=warehouse_path)


def stored_answers(wh: Warehouse) -> dict[str, str]:
    """The company's answers held in the ``assessment`` table: ``{question_id: answer}``, lower-cased.
    Answers to questions the self-assessment does not ask are left out."""
    t = wh.table("assessment").select("question_id", "answer").execute()
    return {str(q): str(a).strip().lower() for q, a in zip(t["question_id"], t["answer"], strict=True) if q in QUESTION}


ITEM_COLUMNS = [
    "question_id",
    "question",
    "kind",
    "answer",
    "answer_score",
    "iconic",
    "all_respondents",
    "poor_performers",
    "iconic_figure",
    "all_figure",
    "poor_figure",
    "unit",
    "resembles",
    "source",
    "note",
    "context",
]


def score_assessment(answers: Mapping[str, str], ref: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each question with the company's answer, the three profiles' published figures and which
    profile the answer resembles.

    A practice answer resembles the profile whose share of firms saying yes is nearest its score
    (yes 1, partly 0.5, no 0); a stance answer, the profile whose published priority at that stage it
    matches. Ties go to the less flattering profile (``PROFILE_ORDER``). No resemblance is claimed
    where a question has only a relative figure, no figure, or no answer.

    Returns
    -------
    pandas.DataFrame
        ``ITEM_COLUMNS``, in the order of ``QUESTIONS``: ``answer_score`` (0-1, practice questions),
        ``iconic`` / ``all_respondents`` / ``poor_performers`` (percent for shares, the priority word
        for stances, ``None`` where unpublished), ``unit``, ``resembles`` (a profile's name or
        ``None``), ``source``, ``note`` (how firm the figure is) and ``context`` (relative figures on
        the same question, in words).
    """
    ref = reference() if ref is None else ref
    rows = []
    for q in QUESTIONS:
        answer = answers.get(q.question_id)
        answer = answer.strip().lower() if isinstance(answer, str) else None
        mine = ref[ref["question_id"] == q.question_id]
        main = mine[mine["unit"].isin([SHARE_UNIT, QUALITATIVE])]
        relative = mine[mine["unit"] == RELATIVE_UNIT]
        context = "; ".join(
            f"iconic firms {r.iconic}x as likely as others to say they {r.metric}" for r in relative.itertuples()
        )
        figure = main.iloc[0] if len(main) else (relative.iloc[0] if len(relative) else None)
        values: dict[str, Any] = {p: None for p in PROFILES}
        unit = source = note = None
        if figure is not None:
            unit, source, note = figure["unit"], figure["source"], figure["note"]
            if figure["unit"] == SHARE_UNIT:
                values = {p: _number(figure[p]) for p in PROFILES}
            elif figure["unit"] == QUALITATIVE:
                values = {p: figure[p] for p in PROFILES}
        score = ANSWER_SCORE.get(answer) if (q.kind == "practice" and answer) else None
        shown = {
            f"{p.split('_')[0]}_figure": _figure_text(
                figure[p] if figure is not None else None,
                unit,
                iconic=p == "iconic",
                approximate=figure is not None and "approximate" in str(figure["note"]),
            )
            for p in PROFILES
        }
        rows.append(
            {
                "question_id": q.question_id,
                "question": q.text,
                "kind": q.kind,
                "answer": answer,
                "answer_score": score,
                **values,
                **shown,
                "unit": unit,
                "resembles": _resembles(q, answer, score, values, unit),
                "source": source,
                "note": note,
                "context": context or None,
            }
        )
    out = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    out["answer_score"] = out["answer_score"].astype(float)
    return out


def _figure_text(cell: object, unit: str | None, *, iconic: bool, approximate: bool) -> str | None:
    """A published figure as it reads on screen: ``90%`` (``~90%`` where the source says "nearly"),
    ``1.2x as likely as others``, ``satisfaction first``; ``None`` where nothing is published."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if unit == SHARE_UNIT:
        return f"{'~' if approximate and iconic else ''}{float(str(cell)):g}%"
    if unit == RELATIVE_UNIT:
        return f"{float(str(cell)):g}x as likely as others" if iconic else None
    if unit == QUALITATIVE:
        return "both equally" if cell == "balanced" else f"{cell} first"
    return str(cell)


def _number(cell: object) -> float | None:
    return None if cell is None or (isinstance(cell, float) and math.isnan(cell)) else float(str(cell))


def _resembles(
    q: Question, answer: str | None, score: float | None, values: dict[str, Any], unit: str | None
) -> str | None:
    if answer is None:
        return None
    if q.kind == "stance" and unit == QUALITATIVE:
        matches = [p for p in PROFILE_ORDER if values.get(p) == answer]
        return PROFILES[matches[0]] if matches else None
    if score is None or unit != SHARE_UNIT:
        return None
    gaps = [(abs(100 * score - values[p]), i, p) for i, p in enumerate(PROFILE_ORDER) if values.get(p) is not None]
    return PROFILES[min(gaps)[2]] if gaps else None


def distance_to_profiles(items: pd.DataFrame) -> pd.DataFrame:
    """How far the answers are from each profile (``DISTANCE_METHOD``).

    Profiles publish shares for different questions (poor performers for only three), so each
    distance is also given over the questions that all three profiles publish, which is the one to
    compare across profiles.

    Returns
    -------
    pandas.DataFrame
        ``profile`` (name as shown), ``distance`` (percentage points over the answered questions the
        profile publishes a share for; NaN with none), ``items``, ``shared_distance`` and
        ``shared_items`` (the same over the answered questions every profile publishes), and
        ``method``.
    """
    shares = items[(items["kind"] == "practice") & (items["unit"] == SHARE_UNIT) & items["answer_score"].notna()]
    values = {column: pd.to_numeric(shares[column], errors="coerce") for column in PROFILES}
    everywhere = pd.concat(values, axis=1).notna().all(axis=1)
    rows = []
    for column, name in PROFILES.items():
        gaps = (100 * shares["answer_score"] - values[column]).abs()
        kept, shared = gaps[values[column].notna()], gaps[everywhere]
        rows.append(
            {
                "profile": name,
                "distance": float(kept.mean()) if len(kept) else math.nan,
                "items": len(kept),
                "shared_distance": float(shared.mean()) if len(shared) else math.nan,
                "shared_items": len(shared),
                "method": DISTANCE_METHOD,
            }
        )
    return pd.DataFrame(rows)


def assessment_items(wh: Warehouse) -> pd.DataFrame:
    """``score_assessment`` of the answers stored in the warehouse (unanswered questions included)."""
    return score_assessment(stored_answers(wh))


# --- contacts and answers in scope -------------------------------------------------------------------

#: Units the satisfaction-against-efficiency view can be cut by.
UNITS = ("journey_stage", "channel", "handled_by", "contact_reason")
#: How a contact was handled, from who started it and whether a person took it over.
HANDLING = ("person", "automation, then a person", "automation alone")
#: The code of "automation alone" where the warehouse keeps handling as its position in ``HANDLING``.
ALONE = 2
EFFICIENCY = ("cost_per_contact", "handle_seconds", "automation_rate")
#: Efficiency measures where less is more efficient.
LOWER_IS_EFFICIENT = ("cost_per_contact", "handle_seconds")
_SUMS = (
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


def _weeks_since(moment: ibis.Value, begin: pd.Timestamp) -> ibis.Value:
    """Whole weeks from ``begin`` to ``moment``."""
    return ((epoch_seconds(moment) - begin.timestamp()) / (7 * 86400)).floor().cast("int64")


def _handling(t: ibis.Table) -> ibis.Value:
    """How each contact was handled, as its position in ``HANDLING`` (``_decoded`` turns it into
    words): an automated contact with a transfer went on to a person."""
    automated = t.is_automated.fill_null(False)
    moved = t.transfers.fill_null(0) > 0
    return ibis.cases((~automated, 0), (moved, 1), else_=ALONE).cast("int8")


def _sums(t: ibis.Table, keys: Sequence[str], asa_channel: str, **extra: ibis.Value) -> ibis.Table:
    """Contacts ``t`` summed per group of ``keys`` (and ``handling``, when ``keys`` name it): the
    ``_SUMS`` every contact-side number adds up, plus ``extra`` aggregates."""
    t = t.mutate(handling=_handling(t), _asa=ibis.ifelse(t.channel == asa_channel, t.wait_seconds, None))
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


def _numbers(sums: pd.DataFrame) -> pd.DataFrame:
    for column in _SUMS:
        sums[column] = pd.to_numeric(sums[column]).fillna(0.0).astype(float)
    return sums


def _contact_sums(wh: Warehouse, f: Filters, asa_channel: str) -> pd.DataFrame:
    """Contacts in scope summed by stage, channel, handler, reason and handling: a few thousand rows
    that every contact-side number on the page adds up (``_SUMS``), with each cell's first contact."""

    def build() -> ibis.Table:
        t = filters.interactions(wh, f)
        return _sums(t, [*UNITS, "handling"], asa_channel, first_at=epoch_microseconds(t.started_at).min())

    out = _numbers(wh.kept_table(("benchmark_contacts", f, asa_channel), build).execute())
    out["first_at"] = pd.to_datetime(out["first_at"], unit="us", utc=True)
    return _decoded(out)


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``handling`` as words: the warehouse keeps its position in ``HANDLING``, which groups and sorts
    faster than the text."""
    frame["handling"] = pd.Series([HANDLING[int(c)] for c in frame["handling"]], index=frame.index, dtype=object)
    return frame


#: The contact columns every scope's answers carry: the report cuts by these.
ANSWER_UNITS = ("journey_stage", "handled_by")


def _answers(wh: Warehouse, f: Filters, *, unit: str | None = None) -> ibis.Table:
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
        keyed = j.mutate(customer_id=j.customer_id.hash(), handling=_handling(j))
        return keyed.drop("interaction_id", "is_automated", "transfers")

    return wh.kept_table(("benchmark_answers", f, carried), build)


def _rate(successes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rate with its 95% Wilson interval (Wilson 1927); NaN where there is nothing to count."""
    low, high = advocacy.wilson_interval(successes, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, successes / n, np.nan), low, high


def _csat(answers: ibis.Table, by: Sequence[str], *, nps: bool = False) -> pd.DataFrame:
    """CSAT as the top-2-box share (4 or 5 of 5) per group of ``by``, with a 95% Wilson interval on the
    effective number of answers: answers over the design effect of customers as clusters
    (``inference.cluster_variance``), so a customer's repeat answers are not counted as independent.
    With ``nps``, each group's post-contact NPS and its clustered interval too, from the same pass
    (``advocacy.nps_estimates``; no test against the rest: ``_nps`` has those).

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
    clustered = inference.cluster_variance(
        n, k, sums["csat_clusters"], sums["csat_suu"], sums["csat_suv"], sums["csat_svv"]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        independent = p * (1 - p) / n
        deff = np.where((independent > 0) & np.isfinite(clustered), clustered / independent, 1.0)
    effective = n / np.fmax(deff, 1.0)
    low, high = advocacy.wilson_interval(p * effective, effective)
    out = pd.DataFrame(
        {**{b: sums[b] for b in by}, "csat_n": n.astype("int64"), "csat": p, "csat_low": low, "csat_high": high}
    )
    if nps:
        counts = sums[["n", "promoters", "detractors", "clusters", "suu", "suv", "svv"]].fillna(0).astype(float)
        promoters, detractors, total = counts["promoters"], counts["detractors"], counts["n"]
        est = advocacy.nps_estimates(
            promoters,
            total - promoters - detractors,
            detractors,
            design_effect=advocacy.cluster_design_effect(counts),
            df=counts["clusters"] - 1.0,
        )
        out["n"] = total.astype("int64")
        out["promoters"], out["detractors"] = promoters.astype("int64"), detractors.astype("int64")
        out["passives"] = out["n"] - out["promoters"] - out["detractors"]
        out["nps"], out["nps_low"], out["nps_high"] = est["score"], est["low"], est["high"]
    return out


NPS_COLUMNS = ["n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high", "nps_diff"]
NPS_COLUMNS += ["nps_diff_low", "nps_diff_high", "p_adjusted", "design_effect"]


def _nps(answers: ibis.Table, by: str) -> pd.DataFrame:
    """Post-contact NPS per group of ``by`` with its interval, and its difference from the rest with a
    Holm-adjusted p-value, customers as clusters (``advocacy.nps_by_rows``, the Advocacy page's own
    machinery). Columns: ``by`` and ``NPS_COLUMNS``."""
    table = advocacy.nps_by_rows(answers, by, clustered=True)
    renamed = {"group": by, "score": "nps", "low": "nps_low", "high": "nps_high", "diff": "nps_diff"}
    table = table.rename(columns={**renamed, "diff_low": "nps_diff_low", "diff_high": "nps_diff_high"})
    return table[[by, *NPS_COLUMNS]]


# --- satisfaction against efficiency ----------------------------------------------------------------


@dataclass(frozen=True)
class StanceRule:
    """When a unit counts as satisfaction-led, efficiency-led, both or neither.

    Satisfaction is post-contact NPS against the rest of the scope: **higher** when the difference is
    significant after Holm's correction (``alpha``) and at least ``min_nps_gap`` points; lower in the
    same way below. Efficiency is the chosen measure against the rest: **more efficient** when it is
    at least ``min_efficiency_gap`` (a share of the rest's value) better: cheaper, shorter, or more
    automated. Contacts are counted whole, not sampled, so no test applies to them; the gap keeps
    trivial differences from naming a stance.

    - *both*: higher satisfaction and more efficient;
    - *satisfaction-led*: higher satisfaction, not more efficient;
    - *efficiency-led*: more efficient, not higher satisfaction;
    - *neither*: neither higher nor more efficient;
    - *too few responses*: fewer than ``min_n`` post-contact responses.
    """

    min_nps_gap: float = 3.0
    min_efficiency_gap: float = 0.05
    alpha: float = 0.05
    min_n: int = MIN_N

    def describe(self, efficiency: str = "cost_per_contact") -> str:
        better = {"cost_per_contact": "cheaper", "handle_seconds": "shorter", "automation_rate": "more automated"}
        return (
            f"Higher satisfaction: post-contact NPS significantly above the rest of the scope (Holm-adjusted, "
            f"{self.alpha:.0%}) by at least {self.min_nps_gap:g} points. More efficient: at least "
            f"{self.min_efficiency_gap:.0%} {better[efficiency]} than the rest. Both: both; satisfaction-led or "
            f"efficiency-led: only one; neither: neither. Under {self.min_n} responses: too few to say."
        )


STANCES = ("both", "satisfaction-led", "efficiency-led", "neither", "too few responses")


def classify_stance(
    table: pd.DataFrame, *, efficiency: str = "cost_per_contact", rule: StanceRule | None = None
) -> pd.DataFrame:
    """The stance of each row (``StanceRule``).

    ``table`` needs ``n`` (responses), ``nps_diff`` (NPS minus the rest's, points), ``p_adjusted``,
    ``efficiency`` and ``<efficiency>_rest`` (the same measure over the rest of the scope).

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``satisfaction`` (``higher``, ``lower``, ``at par`` or ``too few responses``),
        ``efficiency`` (``more efficient``, ``less efficient``, ``at par`` or ``not measured``) and
        ``stance`` (one of ``STANCES``).
    """
    rule = rule or StanceRule()
    if efficiency not in EFFICIENCY:
        raise ValueError(f"unknown efficiency measure {efficiency!r}; choose one of {', '.join(EFFICIENCY)}")
    needed = ["n", "nps_diff", "p_adjusted", efficiency, f"{efficiency}_rest"]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise ValueError(f"classify_stance needs the columns {', '.join(needed)}; missing {', '.join(absent)}")
    out = table.copy()
    n = out["n"].fillna(0).to_numpy(float)
    diff = out["nps_diff"].to_numpy(float)
    significant = out["p_adjusted"].to_numpy(float) < rule.alpha
    few = n < rule.min_n
    with np.errstate(invalid="ignore"):
        higher = ~few & significant & (diff >= rule.min_nps_gap)
        lower = ~few & significant & (diff <= -rule.min_nps_gap)
    out["satisfaction"] = np.where(
        few, "too few responses", np.where(higher, "higher", np.where(lower, "lower", "at par"))
    )
    value, rest = out[efficiency].to_numpy(float), out[f"{efficiency}_rest"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = value / rest - 1
    if efficiency in LOWER_IS_EFFICIENT:
        gap = -gap
    measured = np.isfinite(gap)
    better = measured & (gap >= rule.min_efficiency_gap)
    worse = measured & (gap <= -rule.min_efficiency_gap)
    out["efficiency"] = np.where(
        ~measured, "not measured", np.where(better, "more efficient", np.where(worse, "less efficient", "at par"))
    )
    out["stance"] = np.select(
        [few, higher & better, higher, better],
        ["too few responses", "both", "satisfaction-led", "efficiency-led"],
        "neither",
    )
    return out


SATISFACTION_COLUMNS = [
    "volume",
    "cost_per_contact",
    "handle_seconds",
    "automation_rate",
    "automation_rate_low",
    "automation_rate_high",
    "containment_rate",
    "containment_rate_low",
    "containment_rate_high",
    "n",
    "nps",
    "nps_low",
    "nps_high",
    "nps_diff",
    "nps_diff_low",
    "nps_diff_high",
    "p_adjusted",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "cost_per_contact_rest",
    "handle_seconds_rest",
    "automation_rate_rest",
    "satisfaction",
    "efficiency",
    "stance",
]


def satisfaction_efficiency(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    by: str = "journey_stage",
    efficiency: str = "cost_per_contact",
    rule: StanceRule | None = None,
) -> pd.DataFrame:
    """Satisfaction and efficiency per unit of ``by`` (``UNITS``), and the stance each shows.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``volume`` (contacts), ``cost_per_contact``, ``handle_seconds`` (means over contacts
        that have them), ``automation_rate`` (contacts started in automation) and
        ``containment_rate`` (of those, the share finished without a person), each rate with its
        Wilson interval (``automation_rate_low`` ...); ``n`` (post-contact responses), ``nps`` with its
        interval and ``nps_diff`` against the rest with its interval and Holm-adjusted ``p_adjusted``
        (``advocacy.nps_by_rows``, clustered by customer); ``csat`` (top-2-box) with ``csat_n`` and its
        interval; each efficiency measure over the rest of the scope (``*_rest``); and
        ``satisfaction``, ``efficiency`` and ``stance`` from ``classify_stance``. One row per unit
        with contacts, ordered by ``by``; empty with these columns when the scope has none.
    """
    if by not in UNITS:
        raise ValueError(f"cannot cut satisfaction against efficiency by {by!r}; choose one of {', '.join(UNITS)}")
    sums = _contact_sums(wh, f, "voice")
    columns = [by, *SATISFACTION_COLUMNS]
    if sums.empty:
        return _empty(columns, text=(by, "satisfaction", "efficiency", "stance"))
    automated = sums["handling"] != HANDLING[0]
    contained = sums["handling"] == HANDLING[2]
    sums = sums.assign(automated=sums["volume"].where(automated, 0.0), contained=sums["volume"].where(contained, 0.0))
    units = sums.groupby(by, as_index=False)[[*_SUMS, "automated", "contained"]].sum()
    whole = units[[*_SUMS, "automated", "contained"]].sum()
    out = pd.DataFrame({by: units[by], "volume": units["volume"].astype("int64")})
    rest = whole - units[[*_SUMS, "automated", "contained"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        for frame, suffix in ((units, ""), (rest, "_rest")):
            out[f"cost_per_contact{suffix}"] = np.where(
                frame["cost_n"] > 0, frame["cost_sum"] / frame["cost_n"], np.nan
            )
            out[f"handle_seconds{suffix}"] = np.where(
                frame["handle_n"] > 0, frame["handle_sum"] / frame["handle_n"], np.nan
            )
            out[f"automation_rate{suffix}"] = np.where(
                frame["volume"] > 0, frame["automated"] / frame["volume"], np.nan
            )
    _, out["automation_rate_low"], out["automation_rate_high"] = _rate(
        units["automated"].to_numpy(), units["volume"].to_numpy()
    )
    out["containment_rate"], out["containment_rate_low"], out["containment_rate_high"] = _rate(
        units["contained"].to_numpy(), units["automated"].to_numpy()
    )
    answers = _answers(wh, f, unit=by)
    out = out.merge(
        _nps(answers, by).drop(columns=["promoters", "passives", "detractors", "design_effect"]), on=by, how="outer"
    )
    out = out.merge(_csat(answers, [by]), on=by, how="outer")
    for column in ("volume", "n", "csat_n"):
        out[column] = out[column].fillna(0).astype("int64")
    out = classify_stance(out, efficiency=efficiency, rule=rule)
    return out.sort_values(by, ignore_index=True)[columns]


def _empty(columns: Sequence[str], *, text: Sequence[str] = (), flags: Sequence[str] = ()) -> pd.DataFrame:
    def dtype(c: str) -> Any:
        return object if c in text else bool if c in flags else float

    return pd.DataFrame({c: pd.Series(dtype=dtype(c)) for c in columns})


def stance_by_stage(
    wh: Warehouse, f: Filters = ALL_DATA, *, efficiency: str = "cost_per_contact", rule: StanceRule | None = None
) -> pd.DataFrame:
    """The stance each journey stage shows in the data, beside what the self-assessment says for the
    survey stage it belongs to (``SURVEY_STAGE``).

    Returns
    -------
    pandas.DataFrame
        ``journey_stage``, ``survey_stage``, ``said`` (``satisfaction``, ``balanced``,
        ``efficiency`` or ``None`` when unanswered), ``shown`` (the stance), ``agrees`` (said
        satisfaction and shown satisfaction-led or both, said efficiency and shown efficiency-led or
        both, or said balanced and shown both or neither; ``None`` when either side is unknown),
        ``n``, ``nps``, ``nps_low``, ``nps_high``, ``nps_diff``, ``cost_per_contact``,
        ``satisfaction`` and ``efficiency``. One row per stage with contacts in scope.
    """
    table = satisfaction_efficiency(wh, f, by="journey_stage", efficiency=efficiency, rule=rule)
    return stage_stances(table, stored_answers(wh))


def stage_stances(table: pd.DataFrame, answers: Mapping[str, str | None]) -> pd.DataFrame:
    """``stance_by_stage`` from a ``satisfaction_efficiency`` table by journey stage and the
    self-assessment's ``answers`` (``{question_id: answer}``), for a caller that holds both."""
    said_by_stage = {
        q.survey_stage: a for q_id, a in answers.items() if q_id in QUESTION and (q := QUESTION[q_id]).survey_stage
    }
    survey = table["journey_stage"].map(lambda s: SURVEY_STAGE.get(str(s)))
    said = survey.map(lambda s: said_by_stage.get(s) if s else None)
    shown = table["stance"]
    agrees = [_agrees(s, w) for s, w in zip(said, shown, strict=True)]
    out = pd.DataFrame(
        {
            "journey_stage": table["journey_stage"],
            "survey_stage": survey,
            "said": said,
            "shown": shown,
            "agrees": pd.Series(agrees, dtype=object),
        }
    )
    for column in ("n", "nps", "nps_low", "nps_high", "nps_diff", "cost_per_contact", "satisfaction", "efficiency"):
        out[column] = table[column]
    return out


def _agrees(said: str | None, shown: str) -> bool | None:
    if said is None or shown == "too few responses":
        return None
    fits = {"satisfaction": ("satisfaction-led", "both"), "efficiency": ("efficiency-led", "both")}
    return shown in fits.get(said, ("both", "neither"))


SHOWN_WORDS = {"neither": "neither higher satisfaction nor more efficiency than the rest"}


def said_against_shown(stages: pd.DataFrame) -> list[str]:
    """Sentences for the stages where what is said and what the data shows part, e.g. "You say
    satisfaction comes first at delivery (get); your data shows efficiency-led"."""
    lines = []
    for r in stages.itertuples(index=False):
        if r.agrees is False:
            stage = names.phrase(r.survey_stage)
            said = "both weigh equally" if r.said == "balanced" else f"{r.said} comes first"
            shown = SHOWN_WORDS.get(str(r.shown), str(r.shown))
            lines.append(f"You say {said} at {stage} ({names.phrase(r.journey_stage)}); your data shows {shown}.")
    return lines


# --- channel mix --------------------------------------------------------------------------------------

MIX_BY = ("journey_stage", "contact_reason")


def channel_mix(wh: Warehouse, f: Filters = ALL_DATA, *, by: str = "journey_stage") -> pd.DataFrame:
    """Who handles contacts, per journey stage or contact reason: a person from the start,
    automation and then a person, or automation alone.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``handling`` (``HANDLING``), ``volume``, ``volume_share`` of the unit's contacts with
        ``volume_share_low`` and ``volume_share_high`` (Wilson), and ``live_share``: the unit's share of contacts a
        person handled at some point. Shares of a unit add up to 1.
    """
    if by not in MIX_BY:
        raise ValueError(f"cannot show the channel mix by {by!r}; choose one of {', '.join(MIX_BY)}")
    sums = _contact_sums(wh, f, "voice")
    columns = [by, "handling", "volume", "volume_share", "volume_share_low", "volume_share_high", "live_share"]
    if sums.empty:
        return _empty(columns, text=(by, "handling"))
    cells = sums.groupby([by, "handling"], as_index=False)["volume"].sum()
    grid = pd.MultiIndex.from_product([sorted(cells[by].unique()), HANDLING], names=[by, "handling"])
    cells = cells.set_index([by, "handling"]).reindex(grid, fill_value=0.0).reset_index()
    total = cells.groupby(by)["volume"].transform("sum").to_numpy(float)
    alone = cells["volume"].where(cells["handling"] == HANDLING[2], 0.0).groupby(cells[by]).transform("sum")
    cells["volume_share"], cells["volume_share_low"], cells["volume_share_high"] = _rate(
        cells["volume"].to_numpy(float), total
    )
    cells["live_share"] = 1 - alone.to_numpy(float) / total
    cells["volume"] = cells["volume"].astype("int64")
    return cells[columns]


def automation_outcomes(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """Satisfaction and repeat contact by how contacts were handled (``HANDLING``): do automated
    contacts satisfy, with and without a person taking over, and do customers come back?

    Returns
    -------
    pandas.DataFrame
        ``handling``, ``volume``, ``repeats`` and ``repeat_rate`` with ``repeat_rate_low`` /
        ``repeat_rate_high`` (Wilson): contacts followed by another from the same customer for the same
        reason within ``moments.REPEAT_DAYS`` days; ``n``, ``nps`` with its clustered interval,
        ``csat`` (top-2-box) with ``csat_n`` and its interval. One row per handling with contacts.
    """
    columns = ["handling", "volume", "repeats", "repeat_rate", "repeat_rate_low", "repeat_rate_high"]
    columns += ["n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high", "csat_n", "csat"]
    columns += ["csat_low", "csat_high"]
    t = filters.interactions(wh, f)
    # The window sorts every contact in scope: only what it needs rides along.
    t = moments.with_repeats(t.select("customer_id", "contact_reason", "started_at", code=_handling(t)))
    counts = t.group_by("code").aggregate(volume=_.count(), repeats=_.repeat.sum()).execute()
    if counts.empty:
        return _empty(columns, text=("handling",))
    counts = _decoded(counts.rename(columns={"code": "handling"}))
    counts["volume"] = counts["volume"].astype("int64")
    counts["repeats"] = counts["repeats"].fillna(0).astype("int64")
    counts["repeat_rate"], counts["repeat_rate_low"], counts["repeat_rate_high"] = _rate(
        counts["repeats"].to_numpy(float), counts["volume"].to_numpy(float)
    )
    answers = _answers(wh, f)
    out = counts.merge(_decoded(_csat(answers, ["handling"], nps=True)), on="handling", how="outer")
    for column in ("volume", "repeats", "n", "promoters", "passives", "detractors", "csat_n"):
        out[column] = out[column].fillna(0).astype("int64")
    order = {h: i for i, h in enumerate(HANDLING)}
    return out.sort_values("handling", key=lambda s: s.map(order), ignore_index=True)[columns]


# --- partners against a common standard --------------------------------------------------------------


@dataclass(frozen=True)
class Standard:
    """The common CX standard every handler is held to. Defaults:

    - CSAT: at least 40% of post-contact CSAT answers 4 or 5 (``min_csat``);
    - NPS: post-contact NPS of at least 0 (``min_nps``);
    - average speed of answer: at most 240 s on ``asa_channel`` contacts handled by a person
      (``max_asa_seconds``; voice by default, where waiting is measured in seconds);
    - first-contact resolution: at least 70% of the handler's contacts resolved (``min_fcr``);
    - escalation: at most 15% escalated from L1 to L2/3 (``max_escalation``);
    - cost: at most 1.5 times the in-house team's cost per contact (``max_cost_ratio``; ``in_house``
      names that team).

    A handler meets the standard when it meets every criterion on its point estimates and has at
    least ``min_responses`` post-contact responses; a criterion that cannot be measured (no voice
    contacts, no in-house team in scope) is not met. Where a criterion's 95% interval holds the
    target the scorecard says the verdict is not clear.
    """

    min_csat: float = 0.40
    min_nps: float = 0.0
    max_asa_seconds: float = 240.0
    min_fcr: float = 0.70
    max_escalation: float = 0.15
    max_cost_ratio: float = 1.5
    in_house: str = "in_house"
    asa_channel: str = "voice"
    min_responses: int = MIN_N

    def describe(self) -> str:
        return (
            f"CSAT (4-5 of 5) at least {self.min_csat:.0%}; post-contact NPS at least {self.min_nps:+g}; average "
            f"speed of answer on {names.phrase(self.asa_channel)} at most {self.max_asa_seconds:g} s; first-contact "
            f"resolution at least {self.min_fcr:.0%}; escalation at most {self.max_escalation:.0%}; cost per contact "
            f"at most {self.max_cost_ratio:g} times the in-house team's"
            + ("" if self.in_house == "in_house" else f" ({names.name(self.in_house)})")
            + f"; at least {self.min_responses} "
            "post-contact responses to judge."
        )


#: Criterion -> (value column, lower bound, upper bound, target attribute of ``Standard``, at least?).
CRITERIA = {
    "csat": ("csat", "csat_low", "csat_high", "min_csat", True),
    "nps": ("nps", "nps_low", "nps_high", "min_nps", True),
    "asa": ("asa_seconds", None, None, "max_asa_seconds", False),
    "fcr": ("fcr", "fcr_low", "fcr_high", "min_fcr", True),
    "escalation": ("escalation_rate", "escalation_rate_low", "escalation_rate_high", "max_escalation", False),
    "cost": ("cost_ratio", None, None, "max_cost_ratio", False),
}
CRITERION_WORDS = {
    "csat": "CSAT",
    "nps": "NPS",
    "asa": "speed of answer",
    "fcr": "first-contact resolution",
    "escalation": "escalation",
    "cost": "cost",
}
SCORECARD_COLUMNS = [
    "handled_by",
    "is_partner",
    "volume",
    "n",
    "nps",
    "nps_low",
    "nps_high",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "asa_seconds",
    "asa_n",
    "fcr",
    "fcr_low",
    "fcr_high",
    "escalation_rate",
    "escalation_rate_low",
    "escalation_rate_high",
    "cost_per_contact",
    "cost_ratio",
    *(f"meets_{c}" for c in CRITERIA),
    "meets_standard",
    "unmet",
    "unclear",
]


def _handler_kpis(sums: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Contact KPIs per group of ``keys`` from ``_contact_sums``-shaped sums of live contacts:
    ``volume``, ``asa_seconds``, ``asa_n``, ``fcr`` and ``escalation_rate`` with Wilson intervals,
    ``cost_per_contact``."""
    g = sums.groupby(list(keys), as_index=False)[list(_SUMS)].sum()
    out = g[list(keys)].copy()
    out["volume"] = g["volume"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["asa_seconds"] = np.where(g["asa_n"] > 0, g["asa_sum"] / g["asa_n"], np.nan)
        out["cost_per_contact"] = np.where(g["cost_n"] > 0, g["cost_sum"] / g["cost_n"], np.nan)
    out["asa_n"] = g["asa_n"].astype("int64")
    out["fcr"], out["fcr_low"], out["fcr_high"] = _rate(g["resolved"].to_numpy(), g["resolved_n"].to_numpy())
    out["escalation_rate"], out["escalation_rate_low"], out["escalation_rate_high"] = _rate(
        g["escalated"].to_numpy(), g["escalated_n"].to_numpy()
    )
    return out


def partner_scorecard(wh: Warehouse, f: Filters = ALL_DATA, *, standard: Standard | None = None) -> pd.DataFrame:
    """Every handler that people work in (the in-house team and each partner) against ``standard``.

    Contacts count for the handler that handled them; a handler whose every contact in scope was
    finished by automation without a person is automation, not a team, and is left out.

    Returns
    -------
    pandas.DataFrame
        ``SCORECARD_COLUMNS``: ``is_partner`` (not the in-house team), ``volume``, ``n`` and
        ``nps`` with its interval (clustered by customer), CSAT (top-2-box) with its interval,
        ``asa_seconds`` (mean wait of ``standard.asa_channel`` contacts) with ``asa_n``, ``fcr`` and
        ``escalation_rate`` with Wilson intervals, ``cost_per_contact`` and ``cost_ratio`` (over the
        in-house team's), ``meets_<criterion>`` for each of ``CRITERIA``, ``meets_standard``,
        ``unmet`` and ``unclear`` (criteria, in words, whose interval holds the target). In-house
        first, then partners by name.
    """
    standard = standard or Standard()
    sums = _contact_sums(wh, f, standard.asa_channel)
    if sums.empty:
        return _empty(
            SCORECARD_COLUMNS,
            text=("handled_by", "unmet", "unclear"),
            flags=("is_partner", "meets_standard", *(f"meets_{c}" for c in CRITERIA)),
        )
    live = sums[sums["handling"] != HANDLING[2]]
    table = _handler_kpis(live, ["handled_by"])
    answers = _answers(wh, f)
    people = answers.filter(answers.handling != ALONE)
    table = table.merge(_csat(people, ["handled_by"], nps=True), on="handled_by", how="outer")
    for column in ("volume", "asa_n", "n", "csat_n"):
        table[column] = table[column].fillna(0).astype("int64")
    home = table.loc[table["handled_by"] == standard.in_house, "cost_per_contact"]
    home_cost = float(home.iloc[0]) if len(home) else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        table["cost_ratio"] = table["cost_per_contact"] / home_cost if home_cost > 0 else np.nan
    table["is_partner"] = table["handled_by"] != standard.in_house
    judged = table["n"] >= standard.min_responses
    unmet: list[list[str]] = [[] if ok else ["too few responses"] for ok in judged]
    unclear: list[list[str]] = [[] for _ in range(len(table))]
    meets_all = judged.to_numpy().copy()
    for name, (value, low, high, target_name, at_least) in CRITERIA.items():
        target = float(getattr(standard, target_name))
        v = table[value].to_numpy(float)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(v) & ((v >= target) if at_least else (v <= target))
        table[f"meets_{name}"] = ok
        meets_all &= ok
        for i in np.flatnonzero(~ok):
            unmet[i].append(CRITERION_WORDS[name] + ("" if np.isfinite(v[i]) else " (not measured)"))
        if low is not None:
            lo, hi = table[low].to_numpy(float), table[high].to_numpy(float)
            for i in np.flatnonzero((lo <= target) & (target <= hi)):
                unclear[i].append(CRITERION_WORDS[name])
    table["meets_standard"] = meets_all
    table["unmet"] = ["; ".join(u) or None for u in unmet]
    table["unclear"] = ["; ".join(u) or None for u in unclear]
    table = table.sort_values(["is_partner", "handled_by"], ignore_index=True)
    return table[SCORECARD_COLUMNS]


#: The published figure the share of partners meeting the standard is set beside.
PARTNER_STANDARD_METRIC = "able to hold partners to a common CX standard"


@dataclass(frozen=True)
class StandardShare:
    """Partners meeting the standard, beside the published share of iconic firms able to hold their
    partners to one. The two measure different things (a share of our partners; a share of firms),
    and ``note`` says so."""

    partners: int
    meeting: int
    share: float | None
    #: Partners with enough post-contact answers to be judged (``Standard.min_responses``); the
    #: share is over these.
    judged: int
    published_iconic: float | None
    published_all: float | None
    source: str
    note: str


def standard_share(scorecard: pd.DataFrame, ref: pd.DataFrame | None = None) -> StandardShare:
    """How many partners (handlers other than the in-house team) meet the standard, and the published
    figures for iconic firms and all respondents."""
    ref = reference() if ref is None else ref
    row = ref[ref["metric"] == PARTNER_STANDARD_METRIC].iloc[0]
    partners = scorecard[scorecard["is_partner"].astype(bool)]
    meeting = int(partners["meets_standard"].astype(bool).sum())
    judged = int((~partners["unmet"].fillna("").str.contains("too few responses")).sum())
    return StandardShare(
        partners=len(partners),
        meeting=meeting,
        share=meeting / judged if judged else None,
        judged=judged,
        published_iconic=_number(row["iconic"]),
        published_all=_number(row["all_respondents"]),
        source=str(row["source"]),
        note=(
            "Not the same measure: the published figure is the share of firms that say they can hold partners to a "
            f"common CX standard; ours is the share of our partners that meet one. {row['note']}."
        ),
    )


# --- the first 90 days of a partner -------------------------------------------------------------------

RAMP_KPIS = ("fcr", "csat", "asa_seconds", "escalation_rate")
#: The ops rule of thumb watches a new partner's first 90 days.
FIRST_DAYS = 90
RAMP_WEEKS = 18
RAMP_COLUMNS = [
    "handled_by",
    "went_live_at",
    "week",
    "week_start",
    "volume",
    "trailing_volume",
    "surge",
    "fcr",
    "fcr_low",
    "fcr_high",
    "escalation_rate",
    "asa_seconds",
    "cost_per_contact",
    "csat_n",
    "csat",
    "csat_low",
    "csat_high",
    "in_house_fcr",
    "in_house_csat",
    "in_house_asa_seconds",
    "in_house_escalation_rate",
    "target",
    "meets_target",
    "reached_target_week",
]
_RAMP_TARGET = {"fcr": ("min_fcr", True), "csat": ("min_csat", True), "asa_seconds": ("max_asa_seconds", False)}
_RAMP_TARGET["escalation_rate"] = ("max_escalation", False)


def went_live(
    wh: Warehouse, f: Filters = ALL_DATA, *, after_days: int = 28, in_house: str = "in_house"
) -> pd.DataFrame:
    """Handlers people work in whose first contact in scope came more than ``after_days`` days after
    the scope's first contact: they went live inside the window. (A scope that starts after a
    handler went live shows it from its start, like every other handler, so it is not listed.)
    Columns ``handled_by``, ``went_live_at``, earliest first."""
    sums = _contact_sums(wh, f, "voice")
    empty = pd.DataFrame(
        {"handled_by": pd.Series(dtype=object), "went_live_at": pd.Series(dtype="datetime64[us, UTC]")}
    )
    if sums.empty:
        return empty
    live = sums[sums["handling"] != HANDLING[2]]
    first = live.groupby("handled_by", as_index=False)["first_at"].min().rename(columns={"first_at": "went_live_at"})
    start = sums["first_at"].min()
    late = (first["went_live_at"] > start + timedelta(days=after_days)) & (first["handled_by"] != in_house)
    return first[late].sort_values("went_live_at", ignore_index=True) if late.any() else empty


def partner_ramp(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    kpi: str = "fcr",
    standard: Standard | None = None,
    weeks: int = RAMP_WEEKS,
    trailing_weeks: int = 4,
    surge: float = 0.15,
    hold: int = 2,
) -> pd.DataFrame:
    """Week by week since go-live, for each handler that went live inside the data (``went_live``):
    KPIs against the standard's target and against the in-house team in the same weeks.

    ``weeks`` covers the first 90 days (13 weeks) and five weeks beyond by default, so that a ramp-up
    that ends near day 90 shows where it settles. ``kpi`` (one of ``RAMP_KPIS``) is the one judged against its target in ``standard``. The week it
    reached target is the first week from which it met the target ``hold`` weeks running. A week's
    volume is a surge when it is more than ``surge`` above the mean of the ``trailing_weeks`` weeks
    before it (the first weeks compare with as many as there are).

    Returns
    -------
    pandas.DataFrame
        ``RAMP_COLUMNS``: per handler and week (0 is the week of go-live; up to ``weeks`` weeks),
        ``week_start``, ``volume``, ``trailing_volume``, ``surge``, the handler's ``fcr`` (Wilson
        interval), ``escalation_rate``, ``asa_seconds``, ``cost_per_contact``, ``csat`` (top-2-box,
        clustered Wilson interval) and the in-house team's ``in_house_*`` in those weeks; ``target``,
        ``meets_target`` and ``reached_target_week`` (the same on every row of a handler; NaN if
        never). Weeks with no contacts in scope are left out.
    """
    standard = standard or Standard()
    if kpi not in RAMP_KPIS:
        raise ValueError(f"unknown ramp KPI {kpi!r}; choose one of {', '.join(RAMP_KPIS)}")
    empty = _empty(RAMP_COLUMNS, text=("handled_by",), flags=("surge", "meets_target"))
    empty["went_live_at"] = pd.Series(dtype="datetime64[us, UTC]")
    empty["week_start"] = pd.Series(dtype="datetime64[us, UTC]")
    starts = went_live(wh, f, in_house=standard.in_house)
    if starts.empty:
        return empty
    frames = []
    t = filters.interactions(wh, f)
    answers = _answers(wh, f)
    target_name, at_least = _RAMP_TARGET[kpi]
    target = float(getattr(standard, target_name))
    for handler, start in zip(starts["handled_by"], starts["went_live_at"], strict=True):
        begin = pd.Timestamp(start).floor("D")
        end = begin + timedelta(days=7 * weeks)
        window = t.filter(
            t.handled_by.isin([handler, standard.in_house]),
            t.started_at >= begin.to_pydatetime(),
            t.started_at < end.to_pydatetime(),
        ).mutate(handling=_handling(t))
        window = window.filter(window.handling != ALONE)
        window = window.mutate(week=_weeks_since(window.started_at, begin))
        sums = _numbers(_sums(window, ["handled_by", "week"], standard.asa_channel).execute())
        if sums.empty or not (sums["handled_by"] == handler).any():
            continue
        kpis = _handler_kpis(sums, ["handled_by", "week"])
        said = answers.filter(
            answers.handled_by.isin([handler, standard.in_house]),
            answers.handling != ALONE,
            answers.started_at >= begin.to_pydatetime(),
            answers.started_at < end.to_pydatetime(),
        )
        said = said.mutate(week=_weeks_since(said.started_at, begin))
        kpis = kpis.merge(_csat(said, ["handled_by", "week"]), on=["handled_by", "week"], how="left")
        mine = kpis[kpis["handled_by"] == handler].drop(columns="handled_by").set_index("week")
        home = kpis[kpis["handled_by"] == standard.in_house].set_index("week")
        mine = mine.reindex(range(weeks)).dropna(subset=["volume"])
        frame = pd.DataFrame(
            {
                "handled_by": handler,
                "went_live_at": pd.Timestamp(start),
                "week": mine.index.astype("int64"),
                "week_start": [begin + timedelta(days=7 * int(w)) for w in mine.index],
            }
        )
        for column in ("volume", "fcr", "fcr_low", "fcr_high", "escalation_rate", "asa_seconds", "cost_per_contact"):
            frame[column] = mine[column].to_numpy()
        for column in ("csat_n", "csat", "csat_low", "csat_high"):
            frame[column] = mine[column].to_numpy() if column in mine else np.nan
        for column in ("fcr", "csat", "asa_seconds", "escalation_rate"):
            frame[f"in_house_{column}"] = home[column].reindex(mine.index).to_numpy() if column in home else np.nan
        frames.append(
            _judge_ramp(
                frame, kpi=kpi, target=target, at_least=at_least, trailing=trailing_weeks, surge=surge, hold=hold
            )
        )
    if not frames:
        return empty
    out = pd.concat(frames, ignore_index=True)
    out["volume"] = out["volume"].astype("int64")
    out["csat_n"] = out["csat_n"].fillna(0).astype("int64")
    return out[RAMP_COLUMNS]


def _judge_ramp(
    frame: pd.DataFrame, *, kpi: str, target: float, at_least: bool, trailing: int, surge: float, hold: int
) -> pd.DataFrame:
    """Add ``trailing_volume``, ``surge``, ``target``, ``meets_target`` and ``reached_target_week`` to
    one handler's weeks (sorted by week)."""
    volume = frame["volume"].astype(float)
    trailing_mean = volume.shift(1).rolling(trailing, min_periods=1).mean()
    frame["trailing_volume"] = trailing_mean
    frame["surge"] = (volume > (1 + surge) * trailing_mean).fillna(False).astype(bool)
    value = frame[kpi].to_numpy(float)
    with np.errstate(invalid="ignore"):
        meets = np.isfinite(value) & ((value >= target) if at_least else (value <= target))
    frame["target"] = target
    frame["meets_target"] = meets
    reached = math.nan
    weeks = frame["week"].to_numpy()
    for i in range(len(frame) - hold + 1):
        run = weeks[i : i + hold]
        if meets[i : i + hold].all() and (run == np.arange(run[0], run[0] + hold)).all():
            reached = float(weeks[i])
            break
    frame["reached_target_week"] = reached
    return frame


# --- in words -----------------------------------------------------------------------------------------

KPI_WORDS = {
    "fcr": "first-contact resolution",
    "csat": "CSAT (4-5)",
    "asa_seconds": "speed of answer",
    "escalation_rate": "escalation rate",
}


def _kpi_text(kpi: str, value: float) -> str:
    return f"{value:g} s" if kpi == "asa_seconds" else f"{value:.0%}"


def ramp_sentence(ramp: pd.DataFrame, *, kpi: str = "fcr") -> str | None:
    """One handler's first weeks in a sentence (``partner_ramp`` output for one handler, judged on
    ``kpi``): when it went live, when it reached target, and the surge weeks."""
    if ramp.empty:
        return None
    first = ramp.iloc[0]
    handler = names.phrase(first["handled_by"])
    target = _kpi_text(kpi, float(first["target"]))
    reached = first["reached_target_week"]
    weeks = int(ramp["week"].max()) + 1
    text = f"{handler} went live in the week of {pd.Timestamp(first['week_start']):%d %b %Y}; its {KPI_WORDS[kpi]} "
    if reached == reached:
        text += f"reached the {target} target in week {int(reached)} and held it."
    else:
        text += f"had not held the {target} target by week {weeks - 1}."
    surges = ramp.loc[ramp["surge"].astype(bool), "week"].astype(int).tolist()
    if surges:
        text += f" Volume ran more than 15% above its trailing average in week {', '.join(map(str, surges))}."
    return text


def summary(
    distances: pd.DataFrame, stages: pd.DataFrame, scorecard: pd.DataFrame, share: StandardShare, ramp: pd.DataFrame
) -> list[str]:
    """Two to four sentences for the top of the page, from the numbers below them."""
    lines = []
    d = distances.set_index("profile")
    if d.loc["iconic", "distance"] == d.loc["iconic", "distance"]:
        text = (
            f"Your self-assessment is {d.loc['iconic', 'distance']:.0f} points from the iconic profile (mean gap over "
            f"{int(d.loc['iconic', 'items'])} questions; the published figures come from a secondary source)."
        )
        shared = d["shared_distance"]
        if shared.notna().all():
            parts = ", ".join(f"{p} {shared[p]:.0f}" for p in shared.index)
            text += (
                f" On the {int(d['shared_items'].iloc[0])} questions all three profiles publish, it is closest to "
                f"{shared.idxmin()} ({parts} points)."
            )
        lines.append(text)
    if share.partners and not share.judged:
        lines.append(
            f"Too few answers to judge any of the {share.partners} partners against the common standard: each needs "
            f"{MIN_N} post-contact responses in scope."
        )
    elif share.partners:
        partners = scorecard[scorecard["is_partner"].astype(bool)]
        thin = partners["unmet"].fillna("").str.contains("too few responses")
        failing = partners.loc[~thin & ~partners["meets_standard"].astype(bool), "handled_by"]
        listed = ", ".join(names.phrase(h) for h in failing)
        unjudged = int(thin.sum())
        lines.append(
            f"{share.meeting} of {share.judged} partners {'meets' if share.meeting == 1 else 'meet'} the common "
            "standard"
            + (f" ({listed} {'does' if len(failing) == 1 else 'do'} not)" if listed else "")
            + (f", and {unjudged} {'has' if unjudged == 1 else 'have'} too few answers to judge" if unjudged else "")
            + f"; the published figure is that about {share.published_iconic:g}% of iconic firms can hold partners "
            "to one (a different measure)."
        )
    parted = said_against_shown(stages)
    if parted:
        lines.append(parted[0] + (f" ({len(parted) - 1} more stages part below.)" if len(parted) > 1 else ""))
    if not ramp.empty:
        sentence = ramp_sentence(ramp[ramp["handled_by"] == ramp["handled_by"].iloc[0]])
        if sentence:
            lines.append(sentence)
    return lines


# --- everything at once -------------------------------------------------------------------------------


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes ``None``, times ISO text."""
    records: list[dict[str, Any]] = json.loads(frame[list(columns)].to_json(orient="records", date_format="iso"))
    return records


@dataclass(frozen=True)
class BenchmarkReport:
    """The whole benchmarks analysis of one scope (``report``): what the page, the notebook and
    ``iconic analyze benchmarks`` show."""

    items: pd.DataFrame
    distances: pd.DataFrame
    stages: pd.DataFrame
    scorecard: pd.DataFrame
    share: StandardShare
    ramp: pd.DataFrame
    channel_mix: pd.DataFrame
    standard: Standard
    rule: StanceRule
    kpi: str

    @property
    def distance_to_iconic(self) -> float | None:
        value = float(self.distances.set_index("profile").loc["iconic", "distance"])
        return None if math.isnan(value) else value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``distance_to_iconic`` (with ``distance_method`` and every profile's
        ``distances``), ``items``, ``stages``, ``partners`` (with ``standard`` and ``standard_share``),
        ``ramp`` (one entry per handler that went live inside the scope, with its ``weeks``) and
        ``channel_mix``."""
        items = self.items.rename(
            columns={"all_respondents": "all", "poor_performers": "poor", "answer_score": "score"}
        )
        ramps = []
        for handler in dict.fromkeys(self.ramp["handled_by"]):
            weeks = self.ramp[self.ramp["handled_by"] == handler]
            reached = weeks["reached_target_week"].iloc[0]
            ramps.append(
                {
                    "handled_by": handler,
                    "went_live_at": pd.Timestamp(weeks["went_live_at"].iloc[0]).isoformat(),
                    "kpi": self.kpi,
                    "target": float(weeks["target"].iloc[0]),
                    "reached_target_week": None if reached != reached else int(reached),
                    "surge_weeks": weeks.loc[weeks["surge"].astype(bool), "week"].astype(int).tolist(),
                    "weeks": _records(weeks, [c for c in RAMP_COLUMNS if c not in RAMP_HANDLER_COLUMNS]),
                }
            )
        partners = ["handled_by", "is_partner", "volume", "n", "nps", "nps_low", "nps_high", "csat_n", "csat"]
        partners += ["csat_low", "csat_high", "asa_seconds", "asa_n", "fcr", "fcr_low", "fcr_high", "escalation_rate"]
        partners += ["escalation_rate_low", "escalation_rate_high", "cost_per_contact", "cost_ratio"]
        partners += [*(f"meets_{c}" for c in CRITERIA), "meets_standard", "unmet", "unclear"]
        return {
            "distance_to_iconic": self.distance_to_iconic,
            "distance_method": DISTANCE_METHOD,
            "distances": _records(self.distances, ["profile", "distance", "items", "shared_distance", "shared_items"]),
            "items": _records(
                items,
                ["question_id", "question", "kind", "answer", "score", "iconic", "all", "poor", "unit", "resembles"]
                + ["source", "note", "context"],
            ),
            "stages": _records(
                self.stages,
                ["journey_stage", "survey_stage", "said", "shown", "agrees", "n", "nps", "nps_low", "nps_high"]
                + ["nps_diff", "cost_per_contact", "satisfaction", "efficiency"],
            ),
            "stance_rule": self.rule.describe(),
            "partners": _records(self.scorecard, partners),
            "standard": {**vars(self.standard), "description": self.standard.describe()},
            "standard_share": vars(self.share),
            "ramp": ramps,
            "channel_mix": _records(
                self.channel_mix, ["journey_stage", "handling", "volume", "volume_share", "live_share"]
            ),
        }


RAMP_HANDLER_COLUMNS = ("handled_by", "went_live_at", "target", "reached_target_week")


def report(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    standard: Standard | None = None,
    kpi: str = "fcr",
    rule: StanceRule | None = None,
) -> BenchmarkReport:
    """The whole benchmarks analysis of scope ``f``: the self-assessment against the profiles, the
    stance by stage said against shown, the partner scorecard and the share meeting the standard,
    each new partner's first weeks (judged on ``kpi``) and the channel mix by stage."""
    standard = standard or Standard()
    rule = rule or StanceRule()
    items = assessment_items(wh)
    scorecard = partner_scorecard(wh, f, standard=standard)
    return BenchmarkReport(
        items=items,
        distances=distance_to_profiles(items),
        stages=stance_by_stage(wh, f, rule=rule),
        scorecard=scorecard,
        share=standard_share(scorecard),
        ramp=partner_ramp(wh, f, kpi=kpi, standard=standard),
        channel_mix=channel_mix(wh, f),
        standard=standard,
        rule=rule,
        kpi=kpi,
    )
