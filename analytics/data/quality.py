"""Data-quality checks with Great Expectations (the only module that imports it).

One suite per canonical table is stored as JSON in ``expectations/<table>.json``. Each expectation
carries ``meta.policy``:

- ``quarantine``: a failing row is set aside in ``quarantine_<table>`` with the reason, and the rest
  of the batch commits (unless too many rows fail);
- ``reject``: any failure rejects the whole batch.

Suites run on pandas DataFrames with GX's pandas engine (GX's SQL path on DuckDB is broken upstream).
``max_value: {"$PARAMETER": "now"}`` in a suite is filled with the validation time, which is how
"not in the future" is expressed.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics import config
from analytics.data import schema

#: What a failing check does at ingest: reject the batch, quarantine the rows, or (for checks on
#: stored data only) warn.
Policy = Literal["reject", "quarantine", "warn"]

#: Arrow -> pandas types for validation: nullable integers and booleans keep their type when a
#: column is empty or has gaps (plain pandas would turn them into floats or objects).
PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}

#: How many example values a check keeps for messages and the ingest log.
EXAMPLES = 5


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one batch.

    ``rule`` is the GX expectation type (e.g. ``expect_column_values_to_be_between``) or, for checks
    made before GX runs, a short name such as ``required_columns`` or ``castable``.
    """

    rule: str
    column: str | None
    success: bool
    policy: Policy
    unexpected_count: int = 0
    examples: tuple[str, ...] = ()
    message: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["examples"] = list(self.examples)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        return cls(**{**d, "examples": tuple(d.get("examples", ()))})


@dataclass(frozen=True)
class Validation:
    """All check results for a batch, plus the reasons each failing row (by position) was flagged."""

    checks: tuple[CheckResult, ...]
    row_reasons: dict[int, list[str]]

    @property
    def rejected_by(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.success and c.policy == "reject")


def suite_path(table: str) -> Path:
    return config.expectations_dir() / f"{table}.json"


@cache
def _load_suite_json(path: Path, mtime: float) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_suite(table: str) -> dict[str, Any]:
    """Return the expectation suite of ``table`` as a dict (``name``, ``expectations``)."""
    path = suite_path(table)
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite for table {table!r} at {path}")
    return _load_suite_json(path, path.stat().st_mtime)


def _runtime_expectations(table: str, columns: list[str]) -> list[dict[str, Any]]:
    """Expectations that depend on the batch's columns, e.g. one range check per ``rating_*`` column."""
    t = schema.table(table)
    extra: list[dict[str, Any]] = []
    if t.dynamic_prefix:
        for col in columns:
            if col.startswith(t.dynamic_prefix):
                extra.append(
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": col, "min_value": 0, "max_value": 10},
                        "meta": {"policy": "quarantine", "why": "attribute ratings are on scales within 0-10"},
                    }
                )
    return extra


def describe(rule: str, kwargs: dict[str, Any]) -> str:
    """Say in words what an expectation requires, for messages and the dashboard."""
    col = kwargs.get("column")
    lo, hi = _bound(kwargs.get("min_value")), _bound(kwargs.get("max_value"))
    if rule == "expect_column_values_to_be_between":
        if lo is not None and hi is not None:
            return f"{col} must be between {lo} and {hi}"
        return f"{col} must be ≥ {lo}" if lo is not None else f"{col} must be ≤ {hi}"
    if rule == "expect_column_values_to_be_in_set":
        return f"{col} must be one of {', '.join(map(str, kwargs.get('value_set', [])))}"
    if rule == "expect_column_values_to_not_be_null":
        return f"{col} must not be empty"
    if rule == "expect_column_values_to_be_unique":
        return f"{col} must be unique"
    if rule == "expect_column_pair_values_a_to_be_greater_than_b":
        op = "≥" if kwargs.get("or_equal") else ">"
        return f"{kwargs.get('column_A')} must be {op} {kwargs.get('column_B')}"
    if rule == "expect_column_values_to_be_in_type_list":
        return f"{col} must have type {' or '.join(kwargs.get('type_list', []))}"
    return f"{rule} {kwargs}"


def _bound(value: Any) -> Any:
    """Show a range bound as written: 1 rather than 1.0, and a suite parameter by name."""
    if isinstance(value, dict) and "$PARAMETER" in value:
        return value["$PARAMETER"]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def validate(table: str, frames: pd.DataFrame | Iterable[pd.DataFrame], *, now: datetime | None = None) -> Validation:
    """Run the suite of ``table`` on a batch with Great Expectations' pandas engine.

    Parameters
    ----------
    table
        Canonical table name; selects ``expectations/<table>.json``.
    frames
        The typed batch, whole or as consecutive chunks (to bound memory). Failing rows are reported
        by their position in the whole batch, counting from 0.
    now
        The time "not in the future" is checked against (default: the current UTC time).

    Returns
    -------
    Validation
        One ``CheckResult`` per expectation, and for each failing row the reasons it failed.
    """
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    chunks = iter([frames] if isinstance(frames, pd.DataFrame) else frames)
    first = next(chunks, None)
    if first is None:  # an empty table: nothing to check
        return Validation((), {})

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    definition = (
        context.data_sources.add_pandas("iconic")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("batch")
    )
    spec = load_suite(table)
    expectations = [e for e in spec["expectations"] if _columns_present(e, first)]
    expectations += _runtime_expectations(table, list(first.columns))
    suite = context.suites.add(
        ExpectationSuite(name=spec.get("name", table), expectations=[dict(e) for e in expectations])
    )
    # A ValidationDefinition loads each chunk once; Batch.validate would load (and hash) it twice.
    run = gx.ValidationDefinition(data=definition, suite=suite, name=f"{table}-ingest")
    when = pd.Timestamp(now or datetime.now(UTC))

    partials: list[Validation] = []
    offset = 0
    for frame in itertools.chain([first], chunks):
        frame = frame.reset_index(drop=True)
        result = run.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters={"now": when},
            result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
        )
        partials.append(_collect(result, offset, when))
        offset += len(frame)
    return _combine(partials)


def to_frame(batch: pa.RecordBatch | pa.Table) -> pd.DataFrame:
    """Arrow -> pandas for validation.

    Integers and booleans become nullable pandas types, so a column with gaps keeps its type. Strings
    become categoricals: GX fingerprints every batch by hashing it, and hashing categoricals is several
    times cheaper than hashing Python strings (measured in benchmarks/README.md).
    """
    return batch.to_pandas(types_mapper=PANDAS_TYPES.get, strings_to_categorical=True)


def _collect(result: Any, offset: int, now: pd.Timestamp) -> Validation:
    """Turn one GX validation result into ``CheckResult``s and row reasons (positions + ``offset``)."""
    checks: list[CheckResult] = []
    row_reasons: dict[int, list[str]] = {}
    for r in result.results:
        cfg = r.expectation_config
        kwargs = {
            k: ("now" if _is_now(v, now) else v)
            for k, v in cfg.kwargs.items()
            if k not in {"batch_id", "result_format"}
        }
        policy: Policy = "reject" if (cfg.meta or {}).get("policy") == "reject" else "quarantine"
        column = kwargs.get("column") or kwargs.get("column_A")
        words = describe(cfg.type, kwargs)
        if r.exception_info and r.exception_info.get("raised_exception"):
            msg = r.exception_info.get("exception_message", "check could not run")
            checks.append(CheckResult(cfg.type, column, False, "reject", 0, (), f"{words}: {msg}", kwargs))
            continue
        res = r.result or {}
        count = int(res.get("unexpected_count") or 0)
        examples = _examples(res.get("partial_unexpected_list") or [])
        message = words if r.success else f"{words}: {count:,} row(s) fail, e.g. {', '.join(examples)}"
        checks.append(CheckResult(cfg.type, column, bool(r.success), policy, count, examples, message, kwargs))
        if not r.success and policy == "quarantine":
            for pos in res.get("unexpected_index_list") or []:
                row_reasons.setdefault(offset + int(pos), []).append(words)
    return Validation(tuple(checks), row_reasons)


def _combine(partials: list[Validation]) -> Validation:
    """Merge the validations of consecutive chunks into one, check by check."""
    if len(partials) == 1:
        return partials[0]
    merged: dict[tuple[str, str], CheckResult] = {}
    for part in partials:
        for c in part.checks:
            k = (c.rule, _key(c.rule, c.kwargs))
            prev = merged.get(k)
            if prev is None:
                merged[k] = c
                continue
            count = prev.unexpected_count + c.unexpected_count
            examples = tuple(dict.fromkeys(prev.examples + c.examples))[:EXAMPLES]
            words = describe(c.rule, c.kwargs)
            ok = prev.success and c.success
            message = words if ok else f"{words}: {count:,} row(s) fail, e.g. {', '.join(examples)}"
            merged[k] = CheckResult(c.rule, c.column, ok, c.policy, count, examples, message, c.kwargs)
    reasons: dict[int, list[str]] = {}
    for part in partials:
        reasons.update(part.row_reasons)
    return Validation(tuple(merged.values()), reasons)


def _is_now(value: Any, now: pd.Timestamp) -> bool:
    """GX substitutes the ``now`` suite parameter before reporting; show it by name again."""
    return isinstance(value, (pd.Timestamp, datetime)) and pd.Timestamp(value) == now


def _columns_present(expectation: dict[str, Any], frame: pd.DataFrame) -> bool:
    kw = expectation.get("kwargs", {})
    cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
    return all(c in frame.columns for c in cols)


def _key(rule: str, kwargs: dict[str, Any]) -> str:
    return rule + json.dumps(kwargs, sort_keys=True, default=str)


def _examples(values: list[Any]) -> tuple[str, ...]:
    seen: list[str] = []
    for v in values:
        text = " vs ".join(map(_fmt, v)) if isinstance(v, (tuple, list)) else _fmt(v)
        if text not in seen:
            seen.append(text)
        if len(seen) == EXAMPLES:
            break
    return tuple(seen)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<empty>"
    if isinstance(value, (pd.Timestamp, datetime)):
        return pd.Timestamp(value).isoformat()
    try:
        import numpy as np

        if isinstance(value, np.datetime64):
            return pd.Timestamp(value).isoformat()
    except ImportError:  # pragma: no cover - numpy ships with pandas
        pass
    return repr(value) if isinstance(value, str) else str(value)


def check_stored(wh: Any, table: str, *, now: datetime | None = None) -> Validation:
    """Re-validate what is stored in ``table`` (``iconic quality``): the key check, then the suite.

    Parameters
    ----------
    wh
        An open ``analytics.data.warehouse.Warehouse``.
    table
        Canonical table name.
    """
    spec = schema.table(table)
    from ibis import _

    t = wh.table(table)
    dupes = t.filter(t[spec.key].notnull()).group_by(spec.key).agg(n=_.count()).filter(_.n > 1)
    n_dupes = int(dupes.count().execute())
    examples = tuple(str(k) for k in dupes.limit(EXAMPLES).execute()[spec.key])
    key_check = CheckResult(
        "unique_key",
        spec.key,
        n_dupes == 0,
        "reject",
        n_dupes,
        examples,
        f"{spec.key} must be unique"
        + (f": {n_dupes:,} value(s) repeat, e.g. {', '.join(examples)}" if n_dupes else ""),
    )
    columns = [c for c in t.columns if spec.is_canonical(c)]
    batches = wh.batches(t.select(*columns), key=spec.key)
    suite = validate(table, (to_frame(b) for b in batches), now=now)
    return Validation((key_check, *reference_checks(wh, table), *suite.checks), suite.row_reasons)


def reference_checks(wh: Any, table: str) -> tuple[CheckResult, ...]:
    """One ``references`` check per column of ``table`` that names another table's key
    (``schema.REFERENCES``), when both tables are stored: rows whose non-empty value is not found
    there. A warning, not a failure: such rows stay, but cuts that join the other table omit them."""
    checks = []
    for (source, column), target in schema.REFERENCES.items():
        if source != table or not (wh.has(source) and wh.has(target)):
            continue
        key = schema.table(target).key
        t = wh.table(source)
        t = t.filter(t[column].notnull())
        missing = t.anti_join(wh.table(target).select(key), t[column] == wh.table(target)[key])
        # One pass over the rows: the names that are missing, each with its rows (few, unless a
        # whole table arrived before the one it names).
        named = missing.group_by(column).aggregate(rows=missing.count()).to_pyarrow()
        n = int(pc.sum(named["rows"]).as_py() or 0)
        examples = tuple(str(v) for v in named.sort_by(column).slice(0, EXAMPLES)[column].to_pylist())
        rule = f"{column} must name a row of {target}"
        checks.append(
            CheckResult(
                "references",
                column,
                n == 0,
                "warn",
                n,
                examples,
                rule if not n else f"{rule}: {n:,} row(s) name one that is not stored, e.g. {', '.join(examples)}",
                {"table": target, "key": key},
            )
        )
    return tuple(checks)
