"""The published reference figures (``data/benchmarks/iconic_reference.csv``): the three profiles'
shares, relative figures and the qualitative stage pattern, each with its source, checked as they are
read.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from analytics.data import schema
from analytics.errors import UsageError

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

#: Which comes first at a stage: the words of the qualitative stage pattern, and the stance questions' answers.
STANCE_ANSWERS = schema.ASSESSMENT_ANSWERS[3:]


def reference_path() -> Path:
    """The reference file: ``data/benchmarks/iconic_reference.csv`` in the project, found from where
    this module lies, three folders below the project in ``analytics/analyses/benchmarks/`` (never
    from the working directory)."""
    return Path(__file__).resolve().parents[3] / "data" / "benchmarks" / REFERENCE_FILE


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


def figure_text(cell: object, unit: str | None, *, iconic: bool, approximate: bool) -> str | None:
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


def figure_number(cell: object) -> float | None:
    """A published cell as a number; ``None`` where nothing is published."""
    return None if cell is None or (isinstance(cell, float) and math.isnan(cell)) else float(str(cell))
