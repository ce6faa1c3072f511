"""The self-assessment: its questions, the company's answers (stored through the validated ingest) and
how they compare with the published profiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from analytics import names
from analytics.analyses.benchmarks.published import (
    PROFILES,
    QUALITATIVE,
    RELATIVE_UNIT,
    SHARE_UNIT,
    STANCE_ANSWERS,
    figure_number,
    figure_text,
    reference,
)
from analytics.data import schema
from analytics.data.ingest import IngestResult, ingest_bytes
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError

Kind = Literal["practice", "stance"]
PRACTICE_ANSWERS = schema.ASSESSMENT_ANSWERS[:3]
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
                values = {p: figure_number(figure[p]) for p in PROFILES}
            elif figure["unit"] == QUALITATIVE:
                values = {p: figure[p] for p in PROFILES}
        score = ANSWER_SCORE.get(answer) if (q.kind == "practice" and answer) else None
        shown = {
            f"{p.split('_')[0]}_figure": figure_text(
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
