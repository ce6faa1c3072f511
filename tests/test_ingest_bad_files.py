"""Every kind of bad file gets the right outcome and a message naming the file, column, rule and values.

For each case the row counts reconcile: rows in = committed + quarantined for a committed batch, and
nothing reaches the table for a rejected one.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analytics.data import catalog, warehouse
from analytics.data.ingest import ingest
from tests.conftest import valid_customers, valid_interactions, valid_invitations, valid_surveys


def write_csv(frame: pd.DataFrame, path: Path, **kwargs: object) -> Path:
    frame.to_csv(path, index=False, **kwargs)  # type: ignore[arg-type]
    return path


@dataclass(frozen=True)
class Case:
    table: str
    make: Callable[[Path], Path]
    status: str
    rule: str
    column: str | None
    says: tuple[str, ...]  # fragments the message must contain
    quarantined: int = 0


def _edited(
    rows: Callable[[], pd.DataFrame], name: str, where: object, column: str, value: object, *, text: bool = False
) -> Callable[[Path], Path]:
    """A maker of ``name``: valid ``rows()`` with ``value`` put in ``column`` at ``where`` (a row label,
    a list of them or a slice of labels); with ``text``, the column is read as text first, so that a
    value that is not a number can be put in."""

    def make(d: Path) -> Path:
        frame = rows()
        if text:
            frame = frame.astype({column: object})
        frame.loc[where, column] = value
        return write_csv(frame, d / name)

    return make


def _written(name: str, content: Callable[[], bytes]) -> Callable[[Path], Path]:
    """A maker of ``name`` holding ``content()`` byte for byte."""

    def make(d: Path) -> Path:
        path = d / name
        path.write_bytes(content())
        return path

    return make


def _gzipped_interactions() -> bytes:
    return gzip.compress(valid_interactions().to_csv(index=False).encode())


# Valid rows with one thing wrong: (rows, file, row label(s), column, value). A repeated key is the key
# of the row before (I7 and V4 stand at labels 6 and 4).
_non_numeric = _edited(valid_interactions, "non_numeric.csv", [4, 9], "wait_seconds", ["abc", "12 min"], text=True)
_fractional_ltr = _edited(valid_surveys, "ltr_fraction.csv", 2, "ltr", "7.5", text=True)
_one_out_of_range = _edited(valid_surveys, "ltr11.csv", 5, "ltr", 11)
_many_out_of_range = _edited(valid_surveys, "csat9.csv", slice(None, 20), "csat", 9)
_duplicate_keys = _edited(valid_interactions, "dupes.csv", 7, "interaction_id", "I7")
_unknown_code = _edited(valid_interactions, "fax.csv", 11, "channel", "fax")
_future_date = _edited(valid_interactions, "future.csv", 12, "started_at", "2099-01-01 09:00:00")
_churn_before_signup = _edited(lambda: valid_customers(150), "churn_early.csv", 8, "churned_at", "2022-06-01")
_null_key = _edited(valid_interactions, "null_key.csv", 15, "interaction_id", "")
_bad_timestamp = _edited(valid_interactions, "bad_date.csv", 1, "started_at", "31/12/2024")
_negative_wait = _edited(valid_interactions, "negative.csv", 20, "wait_seconds", -5)
_invitation_sent_in_the_future = _edited(
    valid_invitations, "invitations_future.csv", 9, "sent_at", "2099-03-01 09:30:00"
)
_invitation_bad_timestamp = _edited(valid_invitations, "invitations_bad_date.csv", 4, "sent_at", "yesterday")
_invitations_without_customer = _edited(
    valid_invitations, "invitations_no_customer.csv", slice(None, 9), "customer_id", ""
)
_invitation_keys_repeated = _edited(valid_invitations, "invitations_dupes.csv", 5, "invitation_id", "V4")

# Files whose bytes are the point: (file, its bytes).
_empty = _written("empty.csv", lambda: b"")
_header_only = _written("header.csv", lambda: (",".join(valid_interactions().columns) + "\n").encode())
_corrupt_parquet = _written("broken.parquet", lambda: b"PAR1 this is not really parquet")
_parquet_named_csv = _written("export.csv", lambda: valid_interactions().to_parquet(index=False))
_gzip_named_csv = _written("export.csv", _gzipped_interactions)
_upper_case_gzip = _written("DATA.CSV.GZ", _gzipped_interactions)
_old_excel_named_csv = _written("report.csv", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
_gzip_of_binary = _written("blob.csv", lambda: gzip.compress(bytes(range(256)) * 8))
_utf16 = _written("wide.csv", lambda: valid_interactions().to_csv(index=False).encode("utf-16"))


def _missing_column(d: Path) -> Path:
    return write_csv(valid_interactions().drop(columns=["channel"]), d / "missing.csv")


def _semicolons(d: Path) -> Path:
    return write_csv(valid_interactions(), d / "semicolon.csv", sep=";")


def _latin1(d: Path) -> Path:
    path = d / "latin1.csv"
    frame = valid_interactions()
    frame.loc[3, "contact_reason"] = "facturación"
    frame.to_csv(path, index=False, encoding="latin-1")
    return path


def _truncated_gzip(d: Path) -> Path:
    path = d / "cut.csv.gz"
    data = gzip.compress(valid_interactions(5000).to_csv(index=False).encode())
    path.write_bytes(data[: len(data) // 2])
    return path


def _gzip_cut_at_a_line_end(d: Path) -> Path:
    """A stream flushed after each line and cut after a whole line: every row read is well formed, so
    only the missing end of the stream shows that rows are lost."""
    import zlib

    path = d / "cut_clean.csv.gz"
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing
    lines = valid_interactions(200).to_csv(index=False).splitlines(keepends=True)
    parts = [packer.compress(line.encode()) + packer.flush(zlib.Z_SYNC_FLUSH) for line in lines]
    path.write_bytes(b"".join(parts[:120]))  # no end marker
    return path


def _huge_field(d: Path) -> Path:
    frame = valid_interactions(20)
    frame.loc[3, "contact_reason"] = "x" * (3 * 1024 * 1024)
    return write_csv(frame, d / "huge.csv")


def _ragged(d: Path) -> Path:
    path = write_csv(valid_interactions(20), d / "ragged.csv")
    path.write_text(path.read_text() + "I999,C1,2024-01-01,voice,support,x,in_house,1,0,yes,EXTRA,MORE\n")
    return path


def _excel_named_csv(d: Path) -> Path:
    import zipfile

    path = d / "report.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return path


def _invitations_without_sent_at(d: Path) -> Path:
    return write_csv(valid_invitations().drop(columns=["sent_at"]), d / "invitations_no_date.csv")


CASES = {
    "missing column": Case("interactions", _missing_column, "rejected", "required_columns", "channel", ("missing required column(s) channel",)),
    "wrong delimiter": Case("interactions", _semicolons, "rejected", "required_columns", None, ("';'-delimited", "delimiter")),
    "bad encoding": Case("interactions", _latin1, "rejected", "readable", None, ("not valid utf-8", "latin-1")),
    "non-numeric values": Case("interactions", _non_numeric, "rejected", "castable", "wait_seconds", ("'wait_seconds'", "'abc' (row 5)", "'12 min'", "2 value(s)")),
    "fractional integer": Case("surveys", _fractional_ltr, "rejected", "castable", "ltr", ("'7.5'", "whole numbers")),
    "one out-of-range value": Case("surveys", _one_out_of_range, "committed", "expect_column_values_to_be_between", "ltr", ("quarantined",), 1),
    "many out-of-range values": Case("surveys", _many_out_of_range, "rejected", "expect_column_values_to_be_between", "csat", ("21 of 200 rows", "above the 1.0% limit", "csat must be between 1 and 5", "9")),
    "duplicate keys": Case("interactions", _duplicate_keys, "rejected", "unique_key", "interaction_id", ("'I7' ×2", "more than once")),
    "unknown code": Case("interactions", _unknown_code, "committed", "expect_column_values_to_be_in_set", "channel", ("1 quarantined",), 1),
    "future date": Case("interactions", _future_date, "committed", "expect_column_values_to_be_between", "started_at", ("1 quarantined",), 1),
    "empty file": Case("interactions", _empty, "rejected", "non_empty", None, ("empty (0 bytes)",)),
    "header only": Case("interactions", _header_only, "rejected", "non_empty", None, ("header but no data rows",)),
    "truncated gzip": Case("interactions", _truncated_gzip, "rejected", "readable", None, ("cut.csv.gz", "the gzip stream ends early", "incomplete")),
    "gzip cut at a line end": Case("interactions", _gzip_cut_at_a_line_end, "rejected", "readable", None, ("ends early",)),
    "huge field": Case("interactions", _huge_field, "rejected", "readable", None, ("longer than the 2 MB limit",)),
    "ragged rows": Case("interactions", _ragged, "rejected", "readable", None, ("ragged.csv",)),
    "churned before signup": Case("customers", _churn_before_signup, "committed", "expect_column_pair_values_a_to_be_greater_than_b", "churned_at", ("1 quarantined",), 1),
    "null key": Case("interactions", _null_key, "committed", "expect_column_values_to_not_be_null", "interaction_id", ("1 quarantined",), 1),
    "unparseable timestamp": Case("interactions", _bad_timestamp, "rejected", "castable", "started_at", ("'31/12/2024'", "dates or timestamps")),
    "corrupt parquet": Case("interactions", _corrupt_parquet, "rejected", "readable", None, ("broken.parquet",)),
    "parquet named .csv": Case("interactions", _parquet_named_csv, "committed", "readable", None, (), 0),
    "gzip named .csv": Case("interactions", _gzip_named_csv, "committed", "readable", None, (), 0),
    "upper-case .CSV.GZ": Case("interactions", _upper_case_gzip, "committed", "readable", None, (), 0),
    "excel named .csv": Case("interactions", _excel_named_csv, "rejected", "readable", None, ("this is an Excel workbook (.xlsx)", "export the sheet as CSV")),
    "old excel named .csv": Case("interactions", _old_excel_named_csv, "rejected", "readable", None, ("old Excel workbook (.xls)",)),
    "gzip of binary": Case("interactions", _gzip_of_binary, "rejected", "readable", None, ("gzip archive", "not text")),
    "utf-16 with a byte-order mark": Case("interactions", _utf16, "committed", "readable", None, (), 0),
    "negative duration": Case("interactions", _negative_wait, "committed", "expect_column_values_to_be_between", "wait_seconds", ("1 quarantined",), 1),
    "invitations without sent_at": Case("invitations", _invitations_without_sent_at, "rejected", "required_columns", "sent_at", ("missing required column(s) sent_at",)),
    "invitation sent in the future": Case("invitations", _invitation_sent_in_the_future, "committed", "expect_column_values_to_be_between", "sent_at", ("1 quarantined",), 1),
    "invitation with a bad timestamp": Case("invitations", _invitation_bad_timestamp, "rejected", "castable", "sent_at", ("'sent_at'", "'yesterday'", "dates or timestamps")),
    "invitations without a customer": Case("invitations", _invitations_without_customer, "rejected", "expect_column_values_to_not_be_null", "customer_id", ("10 of 200 rows", "above the 1.0% limit", "customer_id must not be empty")),
    "invitation keys repeated": Case("invitations", _invitation_keys_repeated, "rejected", "unique_key", "invitation_id", ("'V4' ×2", "more than once")),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file(name: str, tmp_path: Path, wh_path: Path) -> None:
    case = CASES[name]
    path = case.make(tmp_path)
    result = ingest(case.table, path, warehouse_path=wh_path)

    assert result.status == case.status, result.message
    failed = [c for c in result.checks if not c.success]
    if case.status == "rejected" or case.quarantined:
        assert any(c.rule == case.rule and (case.column is None or c.column == case.column) for c in failed), failed
    else:  # a file recognised by its bytes rather than its name loads whole
        assert not failed and result.rows_committed == result.rows_in > 0
    text = result.message + " " + " ".join(c.message for c in failed)
    assert path.name in result.message or result.status == "committed"
    for fragment in case.says:
        assert fragment in text, f"{fragment!r} not in {text!r}"

    wh = warehouse.open(wh_path)
    stored = int(wh.table(case.table).count().execute()) if wh.has(case.table) else 0
    if case.status == "rejected":
        assert stored == 0
        assert result.rows_committed == 0
    else:
        assert result.rows_quarantined == case.quarantined
        assert result.rows_in == result.rows_committed + result.rows_quarantined
        assert stored == result.rows_committed
        quarantined = catalog.quarantined_rows(wh, case.table)
        assert len(quarantined) == case.quarantined
        assert quarantined["reasons"].str.len().gt(0).all()

    log = catalog.ingest_history(wh)
    assert log["batch_id"].tolist() == [result.batch_id]
    assert log["status"].iloc[0] == case.status


def test_examples_name_the_offending_rows(tmp_path: Path, wh_path: Path) -> None:
    """The quarantined record keeps the row exactly as received, with its row number in the file."""
    path = _unknown_code(tmp_path)
    ingest("interactions", path, warehouse_path=wh_path)
    rows = catalog.quarantined_rows(warehouse.open(wh_path), "interactions")
    assert rows["row_number"].tolist() == [12]  # 0-based index 11 is the 12th data row
    assert '"channel":"fax"' in rows["record"].iloc[0]
    assert "channel must be one of" in rows["reasons"].iloc[0]


def test_threshold_is_configurable(tmp_path: Path, wh_path: Path) -> None:
    """21 of 200 bad rows (10.5%) are rejected at the default 1% but accepted at 20%."""
    path = _many_out_of_range(tmp_path)
    assert ingest("surveys", path, warehouse_path=wh_path).status == "rejected"
    result = ingest("surveys", path, warehouse_path=wh_path, max_quarantine_share=0.2)
    assert (result.status, result.rows_committed, result.rows_quarantined) == ("committed", 179, 21)


def _parquet_with_two_channels(d: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = valid_interactions(20)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.append_column("channel", pa.array(["chat"] * len(frame)))
    path = d / "twice.parquet"
    pq.write_table(table, path)
    return path


def _many_extra_columns(d: Path) -> Path:
    frame = valid_customers(20)
    extras = pd.DataFrame({f"extra_{i}": range(20) for i in range(250)})
    return write_csv(pd.concat([frame, extras], axis=1), d / "wide.csv")


def _misspelt_rename(d: Path) -> Path:
    return write_csv(valid_interactions(20), d / "renamed.csv")


def _unterminated_quote(d: Path) -> Path:
    path = write_csv(valid_interactions(20), d / "quote.csv")
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",support,", ',"support,', 1)
    path.write_text("\n".join(lines) + "\n")
    return path


def _nul_in_header(d: Path) -> Path:
    path = write_csv(valid_interactions(20), d / "nul.csv")
    path.write_bytes(path.read_bytes().replace(b"is_resolved", b"is_res\x00olved", 1))
    return path


MORE_CASES = {
    "NUL byte in the header": ("interactions", _nul_in_header, None, "readable", "the header contains a NUL byte"),
    "unterminated quote": ("interactions", _unterminated_quote, None, "readable", 'a value opened with the quote " on line 4 is never closed'),
    "parquet repeating a column": ("interactions", _parquet_with_two_channels, None, "distinct_columns", "the header repeats column(s) ['channel']"),
    "too many extra columns": ("customers", _many_extra_columns, None, "column_count", "250 columns are not columns of customers"),
    "rename to a misspelling": ("interactions", _misspelt_rename, {"rename": {"channel": "chanel"}}, "required_columns", "The mapping renames 'channel' to 'chanel', which is not a column of interactions; did you mean 'channel'?"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(MORE_CASES))
def test_bad_shapes_are_rejected_the_same_way_for_every_format(name: str, tmp_path: Path, wh_path: Path) -> None:
    from analytics.data.mapping import parse_mapping

    table, make, mapping, rule, says = MORE_CASES[name]
    result = ingest(table, make(tmp_path), warehouse_path=wh_path, mapping=parse_mapping(mapping or {}))
    assert result.status == "rejected"
    assert any(c.rule == rule and not c.success for c in result.checks), result.checks
    assert says in result.message, result.message
    wh = warehouse.open(wh_path)
    assert not wh.has(table)
