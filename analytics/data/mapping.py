"""Mappings: how a user's file becomes a canonical table.

A mapping is a small YAML file::

    rename:                 # their column -> canonical column
      Contact ID: interaction_id
      Channel Name: channel
    recode:                 # canonical column -> {their code: canonical code}
      channel:
        Phone: voice
        Web chat: chat
    date_formats:           # canonical column -> strptime format
      started_at: "%d/%m/%Y %H:%M"
    csv:
      delimiter: ";"
      encoding: latin-1     # utf-8 (default), utf-16, latin-1 or cp1252 (Latin-1 is read as Windows-1252)

Every section is optional. Columns that are neither canonical nor renamed are kept as extra string
columns, with their names normalised to ``lower_snake_case``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analytics.errors import IngestError

_SECTIONS = {"rename", "recode", "date_formats", "csv"}
_CSV_KEYS = {"delimiter", "encoding", "quote"}
_ENCODINGS = {"utf-8", "utf-16", "latin-1", "cp1252"}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping. The default (``Mapping()``) takes a file that already uses canonical names."""

    rename: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8"
    quote: str = '"'

    def target_name(self, source: str) -> str:
        """Return the canonical (or normalised extra) name for the source column ``source``."""
        if source in self.rename:
            return self.rename[source]
        return normalise_name(source)


def normalise_name(name: str) -> str:
    """Turn a header such as ``"Contact Reason (L2)"`` into ``"contact_reason_l2"``."""
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()
    return cleaned or "column"


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and check a mapping YAML file; ``None`` gives the default mapping.

    Raises
    ------
    IngestError
        If the file is missing, is not YAML, or has unknown sections or keys.
    """
    if path is None:
        return Mapping()
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"mapping file not found: {path}", file=str(path), rule="mapping")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: the mapping is not UTF-8 text (byte {exc.object[exc.start]:#04x} at position {exc.start}); "
            "save it as UTF-8",
            file=str(path),
            rule="mapping",
        ) from None
    except OSError as exc:
        raise IngestError(
            f"{path}: the mapping cannot be read ({exc.strerror})", file=str(path), rule="mapping"
        ) from None
    return parse_mapping_text(text, source=str(path))


def parse_mapping_text(text: str, *, source: str = "<mapping>") -> Mapping:
    """Parse mapping YAML given as text (e.g. an uploaded file)."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise IngestError(f"{source}: not valid YAML ({exc})", file=source, rule="mapping") from None
    return parse_mapping(raw, source=source)


def parse_mapping(raw: Any, *, source: str = "<mapping>") -> Mapping:
    """Build a ``Mapping`` from already-parsed YAML, with errors that name ``source``."""

    def fail(message: str) -> IngestError:
        return IngestError(f"{source}: {message}", file=source, rule="mapping")

    if not isinstance(raw, dict):
        raise fail("a mapping must be a YAML dictionary with sections rename, recode, date_formats, csv")
    unknown = set(raw) - _SECTIONS
    if unknown:
        raise fail(f"unknown section(s) {sorted(unknown)}; expected some of {sorted(_SECTIONS)}")

    rename = _string_dict(raw.get("rename") or {}, "rename", fail)
    targets = list(rename.values())
    clashes = sorted({t for t in targets if targets.count(t) > 1})
    if clashes:
        raise fail(f"rename maps several columns onto {clashes}")

    recode_raw = raw.get("recode") or {}
    if not isinstance(recode_raw, dict):
        raise fail("recode must map a column to a dictionary of {their code: canonical code}")
    recode = {str(col): _string_dict(codes, f"recode.{col}", fail) for col, codes in recode_raw.items()}

    date_formats = _string_dict(raw.get("date_formats") or {}, "date_formats", fail)
    for col, fmt in date_formats.items():
        if "%" not in fmt:
            raise fail(f"date_formats.{col}: {fmt!r} is not a strptime format (e.g. '%d/%m/%Y')")
        unknown_codes = sorted({code for code in re.findall(r"%-?(.)", fmt) if code not in _DATE_CODES})
        if unknown_codes:
            codes = ", ".join(f"%{c}" for c in unknown_codes)
            raise fail(
                f"date_formats.{col}: {fmt!r} uses {codes}, which is not a date or time code; use codes such as "
                "%Y-%m-%d %H:%M:%S or %d/%m/%Y"
            )

    csv = raw.get("csv") or {}
    if not isinstance(csv, dict) or set(csv) - _CSV_KEYS:
        raise fail(f"csv takes only {sorted(_CSV_KEYS)}")
    encoding = str(csv.get("encoding", "utf-8")).lower().replace("_", "-")
    if encoding in {"latin1", "iso-8859-1"}:
        encoding = "latin-1"
    if encoding in {"windows-1252", "cp-1252"}:
        encoding = "cp1252"
    if encoding in {"utf8"}:
        encoding = "utf-8"
    if encoding not in _ENCODINGS:
        raise fail(f"csv.encoding {encoding!r} is not supported; use one of {sorted(_ENCODINGS)}")
    delimiter = str(csv.get("delimiter", ","))
    if delimiter in {"\\t", "tab"}:
        delimiter = "\t"
    if len(delimiter) != 1:
        raise fail(f"csv.delimiter must be one character, got {delimiter!r}")
    quote = str(csv.get("quote", '"'))
    if len(quote) != 1:
        raise fail(f"csv.quote must be one character, got {quote!r}")
    if quote == delimiter:
        raise fail(f"csv.quote and csv.delimiter are both {quote!r}")
    return Mapping(rename, recode, date_formats, delimiter, encoding, quote)


#: The strptime codes DuckDB's reader understands (``%-d`` and the like drop a leading zero), as
#: listed by asking DuckDB 1.5 to parse with each letter.
_DATE_CODES = set("abcdfghjmnpuwxyzABGHIMSTUVWXYZ%")


def _string_dict(value: Any, where: str, fail: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise fail(f"{where} must be a dictionary")
    out: dict[str, str] = {}
    for k, v in value.items():
        if v is None or isinstance(v, (dict, list)):
            raise fail(f"{where}.{k} must be a single value, got {v!r}")
        out[str(k)] = str(v)
    return out
