"""Mapping files: parsing, defaults, and clear errors for mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.data.mapping import Mapping, load_mapping, normalise_name, parse_mapping, parse_mapping_text
from analytics.errors import IngestError


def test_default_mapping_keeps_canonical_names() -> None:
    m = load_mapping(None)
    assert m == Mapping()
    assert m.target_name("interaction_id") == "interaction_id"


@pytest.mark.parametrize(
    ("header", "name"),
    [("Contact Reason (L2)", "contact_reason_l2"), ("  NPS  ", "nps"), ("a--b", "a_b"), ("%%", "column")],
)
def test_extra_headers_are_normalised(header: str, name: str) -> None:
    assert normalise_name(header) == name


def test_full_mapping_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "rename: {Contact ID: interaction_id}\n"
        "recode: {channel: {Phone: voice}}\n"
        "date_formats: {started_at: '%d/%m/%Y'}\n"
        "csv: {delimiter: tab, encoding: Latin1}\n"
    )
    m = load_mapping(path)
    assert m.target_name("Contact ID") == "interaction_id"
    assert m.recode == {"channel": {"Phone": "voice"}}
    assert m.date_formats == {"started_at": "%d/%m/%Y"}
    assert (m.delimiter, m.encoding) == ("\t", "latin-1")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"renames": {}}, r"unknown section\(s\) \['renames'\]"),
        ({"rename": {"a": "x", "b": "x"}}, r"rename maps several columns onto \['x'\]"),
        ({"rename": ["a"]}, "rename must be a dictionary"),
        ({"recode": {"channel": {"Phone": ["voice"]}}}, r"recode.channel.Phone must be a single value"),
        ({"date_formats": {"started_at": "dd/mm/yyyy"}}, "not a strptime format"),
        ({"csv": {"encoding": "shift-jis"}}, "csv.encoding 'shift-jis' is not supported"),
        ({"csv": {"delimiter": ";;"}}, "csv.delimiter must be one character"),
        ({"csv": {"sep": ";"}}, "csv takes only"),
        ("just text", "must be a YAML dictionary"),
    ],
)
def test_mapping_mistakes_are_named(raw: object, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        parse_mapping(raw, source="m.yaml")


def test_missing_and_malformed_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="mapping file not found"):
        load_mapping(tmp_path / "none.yaml")
    with pytest.raises(IngestError, match="not valid YAML"):
        parse_mapping_text("rename: [unclosed", source="bad.yaml")


@pytest.mark.parametrize(
    ("yaml_text", "says"),
    [
        ('date_formats:\n  started_at: "%Q-%d"\n', "'%Q-%d' uses %Q, which is not a date or time code"),
        ("csv: {quote: \"''\"}\n", "csv.quote must be one character, got \"''\""),
        ('csv: {quote: ";", delimiter: ";"}\n', "csv.quote and csv.delimiter are both ';'"),
    ],
)
def test_settings_the_reader_cannot_use_are_refused_when_the_mapping_is_read(yaml_text: str, says: str) -> None:
    with pytest.raises(IngestError, match=re.escape(says)):
        parse_mapping_text(yaml_text, source="m.yaml")


def test_every_date_code_the_mapping_accepts_is_one_the_reader_parses() -> None:
    """The accepted codes are exactly those DuckDB's strptime knows: checked against DuckDB itself."""
    import string

    import duckdb

    from analytics.data.mapping import _DATE_CODES

    con = duckdb.connect()
    understood = set()
    for code in string.ascii_letters + "%":
        try:
            con.execute(f"SELECT try_strptime('x', '%{code}')").fetchall()
            understood.add(code)
        except duckdb.Error:
            pass
    assert understood == _DATE_CODES
