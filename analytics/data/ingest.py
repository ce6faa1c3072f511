"""Ingest: file -> staged in DuckDB -> cast -> validated -> committed to the Delta warehouse.

Policy
------
- **Structural** failures reject the whole batch and nothing is written to the table: a missing
  required column, a value that cannot be cast to the column's type, a key repeated inside the file,
  an empty or header-only file, or a file that cannot be read (bad encoding, broken gzip, a line over
  the size limit).
- **Row-level** failures (out-of-range values, unknown codes, dates in the future, a fact key that is
  already stored) send those rows to ``quarantine_<table>`` with the reasons; the rest commit. If more
  than ``max_quarantine_share`` of the rows fail (default 1%), the batch is rejected instead.
- Dimensions (customers, attributes, assessment) are upserted by key; facts are appended.

Atomicity
---------
The commit to the target table is the single point at which a batch becomes visible. Its Delta commit
carries the batch's full log record as metadata, so ``ingest_log`` can always be rebuilt from the
target tables' history if a process dies between the commit and the log write. Quarantined rows are
written *before* the commit and are only shown for batches present in the log, so a crash leaves no
visible trace. Writers take the warehouse's file lock; readers never do.
"""

from __future__ import annotations

import difflib
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analytics import config
from analytics.data import quality, schema, warehouse
from analytics.data.mapping import Mapping, load_mapping
from analytics.data.quality import CheckResult
from analytics.data.sources import (
    MAX_LINE_BYTES,
    UNREADABLE,
    Progress,
    Rejected,
    check_distinct,
    check_gzip_whole,
    csv_header,
    read_error,
    sniff,
    structural,
    utf8_copy,
)
from analytics.errors import IngestError

Status = Literal["committed", "rejected", "unchanged"]

#: Rows per chunk handed to Great Expectations; bounds the memory a large file needs.
VALIDATION_CHUNK_ROWS = 1_000_000
#: Every Unicode whitespace character: values are trimmed of all of them alike, so a key that is only
#: a tab or a no-break space is empty (and quarantined), like one of plain spaces.
WHITESPACE = "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())
#: Columns whose codes are compared case-insensitively (they are lower-cased on the way in).
CODE_COLUMNS = {"channel", "journey_stage", "kind"}

_LOG_KEY = "iconic.log"

LOG_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("table_name", pa.string()),
        ("source_file", pa.string()),
        ("sha256", pa.string()),
        ("status", pa.string()),
        ("rows_in", pa.int64()),
        ("rows_committed", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("message", pa.string()),
        ("checks", pa.string()),
        ("mapping", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("duration_seconds", pa.float64()),
        ("table_version", pa.int64()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("row_number", pa.int64()),
        ("reasons", pa.string()),
        ("record", pa.string()),
    ]
)


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did.

    ``status`` is ``committed`` (rows written, possibly some quarantined), ``rejected`` (nothing
    written to the table) or ``unchanged`` (this exact file was already ingested into this table).
    ``rows_in == rows_committed + rows_quarantined`` for a committed batch.
    """

    batch_id: str
    table: str
    file: str
    sha256: str
    status: Status
    rows_in: int = 0
    rows_committed: int = 0
    rows_quarantined: int = 0
    message: str = ""
    checks: tuple[CheckResult, ...] = ()
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_seconds: float = 0.0
    table_version: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != "rejected"

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.success)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["checks"] = [c.to_dict() for c in self.checks]
        d["started_at"] = self.started_at.isoformat()
        return d


def ingest(
    table: str,
    file: str | Path,
    *,
    warehouse_path: str | Path | None = None,
    mapping: Mapping | str | Path | None = None,
    max_quarantine_share: float | None = None,
    progress: Progress | None = None,
    validate: bool = True,
    now: datetime | None = None,
    source: str | None = None,
) -> IngestResult:
    """Ingest one CSV (optionally gzipped) or Parquet file into a canonical table.

    Parameters
    ----------
    table
        Canonical table name (``customers``, ``interactions``, ``surveys``, ``attributes``,
        ``assessment``, ``invitations``).
    file
        The file to read.
    warehouse_path
        Warehouse folder (default from ``ICONIC_WAREHOUSE`` or ``./data/warehouse``).
    mapping
        A ``Mapping`` or the path of a mapping YAML file (see ``analytics.data.mapping``).
    max_quarantine_share
        Share of rows that may fail row-level checks before the whole batch is rejected.
    progress
        Called with a short message at each stage, for long files.
    validate
        Run the expectation suite. Only the benchmark turns this off, to measure what validation
        costs; structural checks always run.
    now
        The time that "not in the future" is checked against (default: now).
    source
        How messages and the ingest log name the file (default: its path), e.g. an upload's own name.

    Raises
    ------
    IngestError
        If the table is unknown, the file does not exist, or the mapping is invalid. Files that are
        read but fail checks are not errors: they return a rejected result, which is logged.
    """
    spec, path = _table_and_file(table, file)
    resolved_mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    share = _quarantine_share(max_quarantine_share, validate=validate)
    root = config.warehouse_path(warehouse_path)
    label = source or str(path)
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    clock = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="iconic-read-") as folder:
        copy, digest, resolved_mapping = utf8_copy(path, Path(folder), label, resolved_mapping, say)
        with warehouse.write_lock(root, on_wait=say):
            recover_log(root)
            previous = _committed_batch(root, spec.name, digest)
            if previous is not None:
                return _unchanged(spec.name, label, digest, previous, started=started, clock=clock)
            batch = _Batch(
                spec=spec,
                path=copy,
                label=label,
                mapping=resolved_mapping,
                root=root,
                batch_id=f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
                sha256=digest,
                share=share,
                say=say,
                started=started,
                clock=clock,
                validate=validate,
                now=now,
            )
            return batch.run()


def _unchanged(table: str, label: str, digest: str, previous: str, *, started: datetime, clock: float) -> IngestResult:
    """What ingesting a file already committed to ``table`` (batch ``previous``) does: nothing, said so."""
    return IngestResult(
        batch_id=previous,
        table=table,
        file=label,
        sha256=digest,
        status="unchanged",
        message=f"{label} was already ingested into {table} (batch {previous}); nothing to do",
        started_at=started,
        duration_seconds=time.monotonic() - clock,
    )


def _table_and_file(table: str, file: str | Path) -> tuple[schema.Table, Path]:
    """The canonical table ``table`` names and the file to read; an ``IngestError`` if either is not one."""
    try:
        spec = schema.table(table)
    except KeyError as exc:
        raise IngestError(str(exc.args[0]), rule="table") from None
    path = Path(file)
    if path.is_dir():
        raise IngestError(f"{path} is a folder, not a file: name one file in it", file=str(path), rule="file")
    if not path.is_file():
        raise IngestError(f"file not found: {path}", file=str(path), rule="file")
    return spec, path


def _quarantine_share(max_quarantine_share: float | None, *, validate: bool) -> float:
    """The share of rows that may fail row-level checks (the argument, else the setting), refused
    with an ``IngestError`` outside [0, 1]. A misconfigured expectations folder is refused first,
    before any work, when the batch is to be validated."""
    share = config.max_quarantine_share() if max_quarantine_share is None else max_quarantine_share
    if validate:
        config.expectations_dir()
    if not 0.0 <= share <= 1.0:
        raise IngestError(f"max_quarantine_share must be in [0, 1], got {share}", rule="threshold")
    return share


def ingest_bytes(
    table: str,
    name: str,
    data: bytes,
    *,
    mapping: Mapping | None = None,
    warehouse_path: str | Path | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest file contents held in memory (e.g. a dashboard upload) exactly as ``ingest`` would.

    The bytes are written under their own ``name`` in a private temporary folder, so the format is
    recognised from the name; messages and the ingest log call the file ``name``.

    Raises
    ------
    IngestError
        If ``data`` is larger than ``max_bytes``, or as ``ingest`` does.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise IngestError(
            f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB upload limit",
            file=name,
            rule="size",
        )
    with tempfile.TemporaryDirectory(prefix="iconic-upload-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        return ingest(table, path, mapping=mapping, warehouse_path=warehouse_path, progress=progress, source=name)


# --- one batch -------------------------------------------------------------------------------------


@dataclass
class _Batch:
    spec: schema.Table
    path: Path
    label: str
    mapping: Mapping
    root: Path
    batch_id: str
    sha256: str
    share: float
    say: Progress
    started: datetime
    clock: float
    validate: bool
    now: datetime | None
    checks: list[CheckResult] = field(default_factory=list)
    rows_in: int = 0
    #: Target columns the file has (the rest are staged as nulls).
    present: set[str] = field(default_factory=set)

    def run(self) -> IngestResult:
        with tempfile.TemporaryDirectory(prefix="iconic-ingest-") as spill:
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET temp_directory = '{_sql_str(spill)}'")
            con.execute("SET memory_limit = '3GB'")
            try:
                return self._run(con)
            except Rejected as rej:
                self.checks.append(rej.check)
                return self._finish("rejected", rej.check.message)
            finally:
                con.close()

    def _run(self, con: duckdb.DuckDBPyConnection) -> IngestResult:
        columns = self._read(con)
        self.rows_in = int(_scalar(con, "SELECT count(*) FROM raw"))
        targets = self._resolve_columns(columns)
        self.present = set(targets.values())
        if self.rows_in == 0:
            raise Rejected(structural("non_empty", None, f"{self.label}: the file has a header but no data rows"))
        self.say(f"read {self.rows_in:,} rows; casting to the {self.spec.name} schema")
        self._stage(con, targets)
        self._check_unique_key(con)

        row_reasons: dict[int, list[str]] = {}
        if self.spec.kind == "fact":
            self._check_existing_keys(con, row_reasons)
        if self.validate:
            self.say(f"validating {self.rows_in:,} rows against expectations/{self.spec.name}.json")
            validation = quality.validate(self.spec.name, self._frames(con), now=self.now)
            self.checks.extend(validation.checks)
            if validation.rejected_by:
                failed = validation.rejected_by[0]
                raise Rejected(structural(failed.rule, failed.column, f"{self.label}: {failed.message}"))
            # staged is ordered by rowid, so a row's position in the validated frames is its __row.
            for row, reasons in validation.row_reasons.items():
                row_reasons.setdefault(row, []).extend(reasons)

        bad = len(row_reasons)
        if bad and bad / self.rows_in > self.share:
            return self._finish(
                "rejected",
                f"{self.label}: {bad:,} of {self.rows_in:,} rows ({bad / self.rows_in:.1%}) failed row-level checks, "
                f"above the {self.share:.1%} limit; nothing was written. {_worst(self.checks)}",
            )
        return self._commit(con, row_reasons)

    # --- reading and staging ---

    def _read(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        self.say(f"reading {self.label}")
        if self.path.stat().st_size == 0:
            raise Rejected(structural("non_empty", None, f"{self.label}: the file is empty (0 bytes)"))
        name = self.path.name.lower()
        kind = sniff(self.path)
        if kind in UNREADABLE:
            reason = UNREADABLE[kind]
            if kind == "binary":
                with self.path.open("rb") as fh:
                    first = fh.readline(1 << 16)
                if b"\x00" in first:
                    reason = "the header contains a NUL byte; re-export the file as plain CSV text"
            raise Rejected(structural("readable", None, f"{self.label}: {reason}"))
        try:
            if kind == "parquet":
                try:
                    names = pq.read_schema(self.path).names
                except (pa.ArrowException, OSError):
                    names = []  # unreadable: DuckDB's reader says why, below
                check_distinct(names, self.label)
            if kind == "parquet" or (kind == "text" and name.endswith((".parquet", ".pq"))):
                con.execute("CREATE TEMP TABLE raw AS SELECT * FROM read_parquet(?)", [str(self.path)])
            else:
                m = self.mapping
                if kind == "gzip":
                    check_gzip_whole(self.path, self.label)
                header = csv_header(self.path, m, self.label)
                columns = ", ".join(f"'{_sql_str(c)}': 'VARCHAR'" for c in header)
                con.execute(
                    "CREATE TEMP TABLE raw AS SELECT * FROM read_csv(?, header = true, auto_detect = false, "
                    f"columns = {{{columns}}}, delim = ?, quote = ?, escape = ?, encoding = ?, "
                    "compression = ?, max_line_size = ?, strict_mode = true)",
                    [
                        str(self.path),
                        m.delimiter,
                        m.quote,
                        m.quote,
                        m.encoding,
                        "gzip" if kind == "gzip" else "none",
                        MAX_LINE_BYTES,
                    ],
                )
        except duckdb.Error as exc:
            raise Rejected(structural("readable", None, read_error(self.label, exc, self.mapping))) from None
        return [str(c) for c in con.table("raw").columns]

    def _resolve_columns(self, columns: list[str]) -> dict[str, str]:
        """Map each source column to its target name; reject missing required columns."""
        targets: dict[str, str] = {}
        for source in columns:
            target = self.mapping.target_name(source)
            if target in targets.values():
                other = next(s for s, t in targets.items() if t == target)
                raise Rejected(
                    structural(
                        "distinct_columns",
                        target,
                        f"{self.label}: columns {other!r} and {source!r} both become {target!r}; "
                        "rename one of them in the mapping",
                    )
                )
            targets[source] = target
        extras = [t for t in targets.values() if not self.spec.is_canonical(t)]
        cap = config.max_extra_columns()
        if len(extras) > cap:
            raise Rejected(
                structural(
                    "column_count",
                    None,
                    f"{self.label}: {len(extras):,} columns are not columns of {self.spec.name} and would be kept "
                    f"as extras, over the limit of {cap:,}; drop them from the file, or raise "
                    "ICONIC_MAX_EXTRA_COLUMNS",
                    examples=tuple(extras[:5]),
                )
            )
        present = set(targets.values())
        missing = [c for c in self.spec.required_columns if c not in present]
        if missing:
            hint = ""
            for source, target in self.mapping.rename.items():
                if source in columns and not self.spec.is_canonical(target):
                    meant = difflib.get_close_matches(target, missing, n=1) or [c for c in missing if c == source]
                    if meant:
                        hint = (
                            f" The mapping renames {source!r} to {target!r}, which is not a column of "
                            f"{self.spec.name}; did you mean {meant[0]!r}?"
                        )
            if not hint and len(columns) == 1:
                found = [d for d in (";", "\t", "|", ",") if d in columns[0] and d != self.mapping.delimiter]
                if found:
                    hint = (
                        f" The header is one column, {columns[0][:80]!r}: the file looks {found[0]!r}-delimited; "
                        f"set csv: delimiter: {found[0]!r} in a mapping."
                    )
            raise Rejected(
                structural(
                    "required_columns",
                    ", ".join(missing),
                    f"{self.label}: missing required column(s) {', '.join(missing)} for table {self.spec.name} "
                    f"(found: {', '.join(columns[:12])}{'…' if len(columns) > 12 else ''}).{hint}",
                    examples=tuple(columns[:5]),
                )
            )
        self.checks.append(CheckResult("required_columns", None, True, "reject", message="required columns present"))
        return targets

    def _stage(self, con: duckdb.DuckDBPyConnection, targets: dict[str, str]) -> None:
        by_target = {t: s for s, t in targets.items()}
        selects = ["rowid AS __row"]
        cast_checks: list[tuple[str, str, str]] = []  # (target, raw expr, typed expr)
        for col in [*self.spec.columns, *self._dynamic_columns(by_target)]:
            source = by_target.get(col.name)
            if source is None:
                selects.append(f"CAST(NULL AS {col.sql_type}) AS {_ident(col.name)}")
                continue
            raw = f"NULLIF(TRIM(CAST({_ident(source)} AS VARCHAR), '{_sql_str(WHITESPACE)}'), '')"
            typed = _typed_expr(raw, col, self.mapping)
            selects.append(f"{typed} AS {_ident(col.name)}")
            if col.dtype != "string":
                cast_checks.append((col.name, raw, typed))
        for source, target in targets.items():
            if not self.spec.is_canonical(target):
                selects.append(f"CAST({_ident(source)} AS VARCHAR) AS {_ident(target)}")
        con.execute(f"CREATE TEMP TABLE staged AS SELECT {', '.join(selects)} FROM raw ORDER BY rowid")

        if not cast_checks:
            return
        counts = con.execute(
            "SELECT "
            + ", ".join(
                f"count(*) FILTER (WHERE {raw} IS NOT NULL AND {typed} IS NULL)" for _, raw, typed in cast_checks
            )
            + " FROM raw"
        ).fetchone()
        assert counts is not None
        for (name, raw, typed), bad in zip(cast_checks, counts, strict=True):
            dtype = self.spec.column(name).dtype
            if bad:
                rows = con.execute(
                    f"SELECT rowid + 1, {raw} FROM raw WHERE {raw} IS NOT NULL AND {typed} IS NULL ORDER BY rowid LIMIT 5"
                ).fetchall()
                examples = tuple(f"{v!r} (row {r})" for r, v in rows)
                fmt = self.mapping.date_formats.get(name)
                expected = f"{dtype} in format {fmt!r}" if fmt else _TYPE_WORDS[dtype]
                raise Rejected(
                    structural(
                        "castable",
                        name,
                        f"{self.label}: column {name!r} has {bad:,} value(s) that are not {expected}, "
                        f"e.g. {', '.join(examples)}",
                        examples=examples,
                        count=int(bad),
                    )
                )
            self.checks.append(CheckResult("castable", name, True, "reject", message=f"{name} is {_TYPE_WORDS[dtype]}"))

    def _dynamic_columns(self, by_target: dict[str, str]) -> list[schema.Column]:
        prefix = self.spec.dynamic_prefix
        if not prefix:
            return []
        return [self.spec.column(t) for t in sorted(by_target) if self.spec.is_canonical(t) and t.startswith(prefix)]

    def _check_unique_key(self, con: duckdb.DuckDBPyConnection) -> None:
        key = _ident(self.spec.key)
        dupes = con.execute(
            f"SELECT {key}, count(*) AS n FROM staged WHERE {key} IS NOT NULL GROUP BY 1 HAVING n > 1 "
            f"ORDER BY n DESC, 1 LIMIT 5"
        ).fetchall()
        if dupes:
            total = _scalar(
                con,
                f"SELECT count(*) FROM (SELECT {key} FROM staged WHERE {key} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)",
            )
            examples = tuple(f"{k!r} ×{n}" for k, n in dupes)
            raise Rejected(
                structural(
                    "unique_key",
                    self.spec.key,
                    f"{self.label}: {total:,} {self.spec.key} value(s) appear more than once in the file, "
                    f"e.g. {', '.join(examples)}",
                    examples=examples,
                    count=int(total),
                )
            )
        self.checks.append(
            CheckResult("unique_key", self.spec.key, True, "reject", message=f"{self.spec.key} is unique in the file")
        )

    def _check_existing_keys(self, con: duckdb.DuckDBPyConnection, row_reasons: dict[int, list[str]]) -> None:
        existing = warehouse.load_delta(self.root, self.spec.name)
        key = self.spec.key
        if existing is None:
            return
        con.register("existing", existing.to_pyarrow_dataset())
        hits = con.execute(
            f"SELECT s.__row, s.{_ident(key)} FROM staged s SEMI JOIN existing e ON s.{_ident(key)} = e.{_ident(key)} ORDER BY 1"
        ).fetchall()
        reason = f"{key} is already in the warehouse"
        for row, _ in hits:
            row_reasons.setdefault(int(row), []).append(reason)
        examples = tuple(repr(k) for _, k in hits[:5])
        self.checks.append(
            CheckResult(
                "new_key",
                key,
                not hits,
                "quarantine",
                len(hits),
                examples,
                reason if not hits else f"{reason}: {len(hits):,} row(s), e.g. {', '.join(examples)}",
            )
        )

    def _frames(self, con: duckdb.DuckDBPyConnection) -> Iterator[pd.DataFrame]:
        cols = [c for c in con.table("staged").columns if c != "__row" and self.spec.is_canonical(c)]
        reader = con.execute(f"SELECT {', '.join(map(_ident, cols))} FROM staged ORDER BY __row").fetch_record_batch(
            VALIDATION_CHUNK_ROWS
        )
        for i, chunk in enumerate(reader):
            if self.rows_in > VALIDATION_CHUNK_ROWS:
                done = min((i + 1) * VALIDATION_CHUNK_ROWS, self.rows_in)
                self.say(f"validating rows {i * VALIDATION_CHUNK_ROWS + 1:,}-{done:,} of {self.rows_in:,}")
            yield quality.to_frame(chunk)

    # --- writing ---

    def _commit(self, con: duckdb.DuckDBPyConnection, row_reasons: dict[int, list[str]]) -> IngestResult:
        quarantined = len(row_reasons)
        committed = self.rows_in - quarantined
        bad = pa.table(
            {
                "__row": pa.array(list(row_reasons), pa.int64()),
                "reasons": pa.array(["; ".join(dict.fromkeys(r)) for r in row_reasons.values()], pa.string()),
            }
        )
        con.register("bad", bad)
        if quarantined:
            self.say(f"quarantining {quarantined:,} row(s)")
            records = con.execute(
                "SELECT ? AS batch_id, r.rowid + 1 AS row_number, b.reasons, CAST(to_json(r) AS VARCHAR) AS record "
                "FROM raw AS r JOIN bad AS b ON r.rowid = b.__row ORDER BY r.rowid",
                [self.batch_id],
            ).arrow()
            warehouse.append(
                self.root, schema.QUARANTINE_PREFIX + self.spec.name, _as_table(records).cast(QUARANTINE_SCHEMA)
            )

        cols = [c for c in con.table("staged").columns if c != "__row"]
        select = f"SELECT {', '.join(map(_ident, cols))} FROM staged ANTI JOIN bad ON staged.__row = bad.__row ORDER BY staged.__row"
        message = f"committed {committed:,} of {self.rows_in:,} rows to {self.spec.name}" + (
            f"; {quarantined:,} quarantined" if quarantined else ""
        )
        kept = [c for c in self.spec.column_names if c not in self.present]
        if self.spec.kind == "dimension" and kept and warehouse.load_delta(self.root, self.spec.name) is not None:
            message += f"; the file has no {', '.join(kept)}, so stored values there are kept"
        record = self._log_record("committed", message, committed, quarantined, version=None)
        metadata = {
            "iconic.batch_id": self.batch_id,
            "iconic.sha256": self.sha256,
            _LOG_KEY: json.dumps(record, default=str),
        }
        version: int | None = None
        if committed:
            self.say(f"committing {committed:,} rows to {self.spec.name}")
            if self.spec.kind == "fact":
                version = warehouse.append(
                    self.root, self.spec.name, con.execute(select).fetch_record_batch(), metadata=metadata
                )
            else:
                version = warehouse.upsert(
                    self.root,
                    self.spec.name,
                    _as_table(con.execute(select).arrow()),
                    key=self.spec.key,
                    update=sorted(c for c in cols if c in self.present or not self.spec.is_canonical(c)),
                    metadata=metadata,
                )
        return self._finish(
            "committed", message, rows_committed=committed, rows_quarantined=quarantined, version=version
        )

    def _log_record(
        self,
        status: Status,
        message: str,
        committed: int,
        quarantined: int,
        *,
        version: int | None,
        rows_in: int | None = None,
    ) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "table_name": self.spec.name,
            "source_file": self.label,
            "sha256": self.sha256,
            "status": status,
            "rows_in": self.rows_in if rows_in is None else rows_in,
            "rows_committed": committed,
            "rows_quarantined": quarantined,
            "message": message,
            "checks": json.dumps([c.to_dict() for c in self.checks], default=str),
            "mapping": json.dumps(asdict(self.mapping)),
            "started_at": self.started.isoformat(),
            "duration_seconds": time.monotonic() - self.clock,
            "table_version": version,
        }

    def _finish(
        self,
        status: Status,
        message: str,
        *,
        rows_in: int | None = None,
        rows_committed: int = 0,
        rows_quarantined: int = 0,
        version: int | None = None,
    ) -> IngestResult:
        record = self._log_record(status, message, rows_committed, rows_quarantined, version=version, rows_in=rows_in)
        _append_log(self.root, [record])
        self.say(message)
        return IngestResult(
            batch_id=self.batch_id,
            table=self.spec.name,
            file=self.label,
            sha256=self.sha256,
            status=status,
            rows_in=record["rows_in"],
            rows_committed=rows_committed,
            rows_quarantined=rows_quarantined,
            message=message,
            checks=tuple(self.checks),
            started_at=self.started,
            duration_seconds=record["duration_seconds"],
            table_version=version,
        )


# --- the ingest log --------------------------------------------------------------------------------


def _append_log(root: Path, records: list[dict[str, Any]]) -> None:
    rows = [{**r, "started_at": pd.Timestamp(r["started_at"]).to_pydatetime()} for r in records]
    warehouse.append(root, schema.INGEST_LOG, pa.Table.from_pylist(rows, schema=LOG_SCHEMA))


def _logged_batches(root: Path) -> pa.Table | None:
    dt = warehouse.load_delta(root, schema.INGEST_LOG)
    if dt is None:
        return None
    return dt.to_pyarrow_table(columns=["batch_id", "table_name", "sha256", "status"])


def recover_log(root: Path) -> int:
    """Write log records for batches whose table commit landed but whose log write did not.

    A process killed between the two writes leaves the batch committed (its Delta commit carries the
    log record as metadata) but missing from ``ingest_log``. Returns how many records were restored.
    """
    logged = _logged_batches(root)
    known = set(logged.column("batch_id").to_pylist()) if logged is not None else set()
    missing: list[dict[str, Any]] = []
    for name in schema.TABLES:
        for commit in warehouse.history(root, name):
            raw = commit.get(_LOG_KEY)
            if raw and commit.get("iconic.batch_id") not in known:
                record = json.loads(raw)
                record["table_version"] = commit.get("version")
                record["message"] = record["message"] + " (log record restored from the table's commit)"
                missing.append(record)
    if missing:
        _append_log(root, missing)
    return len(missing)


def _committed_batch(root: Path, table: str, sha256: str) -> str | None:
    logged = _logged_batches(root)
    if logged is None:
        return None
    mask = pc.and_(
        pc.and_(pc.equal(logged["table_name"], table), pc.equal(logged["sha256"], sha256)),
        pc.equal(logged["status"], "committed"),
    )
    hits = logged.filter(mask).column("batch_id").to_pylist()
    return str(hits[-1]) if hits else None


# --- SQL helpers -----------------------------------------------------------------------------------

_TYPE_WORDS = {
    "string": "text",
    "int": "whole numbers",
    "float": "finite numbers",
    "bool": "true/false (true, false, yes, no, 1, 0)",
    "timestamp": "dates or timestamps (e.g. 2024-03-01 or 2024-03-01T14:05:00)",
}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


def _typed_expr(raw: str, col: schema.Column, mapping: Mapping) -> str:
    expr = raw
    codes = mapping.recode.get(col.name)
    if codes:
        whens = " ".join(f"WHEN '{_sql_str(k)}' THEN '{_sql_str(v)}'" for k, v in codes.items())
        expr = f"(CASE {expr} {whens} ELSE {expr} END)"
    if col.name in CODE_COLUMNS:
        expr = f"lower({expr})"
    if col.dtype == "string":
        return expr
    if col.dtype == "float":
        return f"(CASE WHEN isfinite(TRY_CAST({expr} AS DOUBLE)) THEN TRY_CAST({expr} AS DOUBLE) END)"
    if col.dtype == "int":
        d = f"TRY_CAST({expr} AS DOUBLE)"
        return f"(CASE WHEN isfinite({d}) AND {d} = floor({d}) AND abs({d}) < 9e15 THEN CAST({d} AS BIGINT) END)"
    if col.dtype == "bool":
        low = f"lower({expr})"
        return (
            f"(CASE WHEN {low} IN ('true', 't', 'yes', 'y', '1') THEN TRUE "
            f"WHEN {low} IN ('false', 'f', 'no', 'n', '0') THEN FALSE END)"
        )
    fmt = mapping.date_formats.get(col.name)
    if fmt:
        return f"CAST(TRY_STRPTIME({expr}, '{_sql_str(fmt)}') AS TIMESTAMPTZ)"
    return f"TRY_CAST({expr} AS TIMESTAMPTZ)"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def _as_table(data: Any) -> pa.Table:
    return data if isinstance(data, pa.Table) else data.read_all()


def _worst(checks: list[CheckResult]) -> str:
    failed = sorted((c for c in checks if not c.success), key=lambda c: -c.unexpected_count)
    return " ".join(f"[{c.message}]" for c in failed[:3])
