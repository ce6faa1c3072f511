"""Reading a source file before its rows are checked: what it is, how it is encoded, its header.

``ingest`` hands every file through here first. A file is recognised by its first bytes (a
spreadsheet or an archive is refused with what to do instead), a truncated gzip is refused before
any row is read, text in Latin-1, Windows-1252 or UTF-16 is copied to UTF-8, and a CSV header is
read and its names checked. Every refusal is a ``Rejected`` carrying the structural check that
failed, which ``ingest`` records in the ingest log with the file's name.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gzip
import hashlib
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb

from analytics.data.mapping import Mapping
from analytics.data.quality import CheckResult
from analytics.errors import IngestError

Progress = Callable[[str], None]
#: Longest CSV line accepted, in bytes.
MAX_LINE_BYTES = 2 * 1024 * 1024


class Rejected(Exception):
    """Internal: a structural failure; carries the check that failed."""

    def __init__(self, check: CheckResult) -> None:
        super().__init__(check.message)
        self.check = check


def structural(
    rule: str, column: str | None, message: str, *, examples: tuple[str, ...] = (), count: int = 0
) -> CheckResult:
    return CheckResult(rule, column, False, "reject", count, examples, message)


def utf8_copy(path: Path, folder: Path, label: str, mapping: Mapping, say: Progress) -> tuple[Path, str, Mapping]:
    """A private copy of ``path`` in ``folder``, in UTF-8 when it was text in another encoding; the
    SHA-256 of the file as read; and the mapping to read the copy with.

    Exactly the file named is read, once: a copy under a plain name, hashed as it is copied. DuckDB's
    readers take a path as a glob pattern (``batch[1].csv`` would read ``batch1.csv``), and a file
    that changes after hashing must not be logged as what was read.
    """
    say(f"hashing {path.name} as it is read")
    copy, digest = _private_copy(path, folder, label)
    if _needs_transcoding(copy, mapping):
        say(f"re-encoding {path.name} from {_source_encoding(copy, mapping)} to UTF-8")
        copy = _transcode(copy, _source_encoding(copy, mapping), label)
        mapping = dataclasses.replace(mapping, encoding="utf-8")
    return copy, digest, mapping


#: Encodings read by re-encoding to UTF-8 first. "latin-1" is read as Windows-1252, as browsers do:
#: files labelled Latin-1 are nearly always Windows-1252 (€, –, “), and the two agree on every other
#: printable character.
_TRANSCODED = {"latin-1": "cp1252", "cp1252": "cp1252", "utf-16": "utf-16"}


def _source_encoding(path: Path, mapping: Mapping) -> str:
    if sniff(path) == "utf16":
        return "utf-16"
    return _TRANSCODED.get(mapping.encoding, mapping.encoding)


def _needs_transcoding(path: Path, mapping: Mapping) -> bool:
    kind = sniff(path)
    return kind == "utf16" or (kind in ("text", "gzip") and mapping.encoding in _TRANSCODED)


def _cp1252_or_latin1(error: UnicodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined read as Latin-1, so that no byte is refused."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("iconic-latin-1", _cp1252_or_latin1)


def _transcode(path: Path, encoding: str, label: str) -> Path:
    """Re-encode a text file (gzipped or not) as UTF-8 beside itself, in 1 MB steps; return the new file."""
    out = path.with_name(f"utf8-{path.name.removesuffix('.gz').removesuffix('.GZ')}")
    if not out.suffix:
        out = out.with_suffix(".csv")
    opener = gzip.open if sniff(path) == "gzip" else open
    decoder = codecs.getincrementaldecoder(encoding)(errors="iconic-latin-1" if encoding == "cp1252" else "strict")
    try:
        with opener(path, "rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise Rejected(
            structural("readable", None, f"{label}: the file is not valid {encoding} (byte {exc.start:,})")
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise Rejected(
            structural("readable", None, f"{label}: the gzip stream is broken or truncated ({exc})")
        ) from None
    return out


def _private_copy(path: Path, folder: Path, label: str) -> tuple[Path, str]:
    """Copy ``path`` into ``folder`` under a name no reader takes for a pattern (``input`` plus the
    original extensions), hashing the bytes as they are copied. Returns the copy and its SHA-256."""
    suffix = "".join(s for s in Path(path.name).suffixes if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", s))
    copy = folder / f"input{suffix}"
    h = hashlib.sha256()
    try:
        with path.open("rb") as src, copy.open("wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                h.update(block)
                dst.write(block)
    except PermissionError:
        raise IngestError(f"{label}: you may not read this file (permission denied)", file=label, rule="file") from None
    except OSError as exc:
        raise IngestError(
            f"{label}: the file cannot be read ({exc.strerror or exc})", file=label, rule="file"
        ) from None
    return copy, h.hexdigest()


#: Formats recognised by their first bytes that cannot be ingested, and what to do instead.
UNREADABLE = {
    "xlsx": "this is an Excel workbook (.xlsx), not a CSV: export the sheet as CSV (UTF-8)",
    "zip": "this is a zip archive, not a CSV: unzip it and ingest the CSV inside",
    "xls": "this is an old Excel workbook (.xls) or another Office file: export the sheet as CSV (UTF-8)",
    "gzip-binary": "this is a gzip archive, but what it holds is not text: a CSV inside gzip is read, other "
    "contents are not",
    "binary": "this is not a text file (it holds NUL bytes): ingest a CSV or a Parquet file",
}


def sniff(path: Path) -> str:
    """What a file is, by its first bytes rather than its name: ``parquet``, ``gzip`` (of text),
    ``text``, or one of the ``UNREADABLE`` kinds."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                return "xlsx" if any(n.startswith("xl/") for n in z.namelist()) else "zip"
        except zipfile.BadZipFile:
            return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as fh:
                inner = fh.read(4096)
        except (OSError, EOFError, zlib.error):
            return "gzip"  # broken streams are reported when the header is read
        return "gzip-binary" if b"\x00" in inner or inner.startswith(b"PAR1") else "gzip"
    return "binary" if b"\x00" in head else "text"


def csv_header(path: Path, mapping: Mapping, label: str) -> list[str]:
    """Read the header row ourselves, so DuckDB parses every row against it instead of guessing."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    try:
        with (
            gzip.open(path, "rt", encoding=mapping.encoding, newline="")
            if gzipped
            else path.open("r", encoding=mapping.encoding, newline="")
        ) as fh:
            header = next(csv.reader(fh, delimiter=mapping.delimiter, quotechar=mapping.quote), [])
    except UnicodeDecodeError:
        raise Rejected(
            structural(
                "readable",
                None,
                f"{label}: the header is not valid {mapping.encoding}; if the file was saved as "
                "Latin-1/Windows-1252, set csv: encoding: latin-1 in a mapping",
            )
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise Rejected(
            structural("readable", None, f"{label}: the gzip stream is broken or truncated ({exc})")
        ) from None
    except csv.Error as exc:
        raise Rejected(structural("readable", None, f"{label}: the header row cannot be parsed ({exc})")) from None
    if not header or all(not h.strip() for h in header):
        raise Rejected(structural("non_empty", None, f"{label}: the file has no header row"))
    blanks = [i + 1 for i, h in enumerate(header) if not h.strip()]
    if blanks:
        raise Rejected(
            structural(
                "distinct_columns", None, f"{label}: header column(s) {blanks} have no name", examples=tuple(header[:5])
            )
        )
    check_distinct(header, label)
    return header


def check_distinct(names: list[str], label: str) -> None:
    """Reject a file whose columns repeat a name (CSV header or Parquet schema alike)."""
    repeated = sorted({h for h in names if names.count(h) > 1})
    if repeated:
        raise Rejected(
            structural("distinct_columns", ", ".join(repeated), f"{label}: the header repeats column(s) {repeated}")
        )


def check_gzip_whole(path: Path, label: str) -> None:
    """Reject a gzip file whose stream ends before its end marker: a file cut short in transfer.
    Read as far as it goes, it would lose its last rows without a word, or fail on a half line as
    if a row were malformed."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(4 * 1024 * 1024):
                pass
    except EOFError:
        raise Rejected(
            structural(
                "readable",
                None,
                f"{label}: the gzip stream ends early, so the file is incomplete (cut short in transfer or while "
                "being written); nothing was loaded; copy the whole file again",
            )
        ) from None
    except (OSError, zlib.error) as exc:
        raise Rejected(structural("readable", None, f"{label}: the gzip stream is broken ({exc})")) from None


def read_error(label: str, exc: duckdb.Error, mapping: Mapping) -> str:
    text = str(exc)
    line = re.search(r"[Ll]ine:? (\d+)", text)
    where = f" (near line {line.group(1)})" if line else ""
    if "Invalid unicode" in text or "byte sequence" in text:
        return (
            f"{label}: the file is not valid {mapping.encoding}{where}; if it was saved as Latin-1/Windows-1252, "
            "set csv: encoding: latin-1 in a mapping"
        )
    if "unterminated quote" in text:
        number = line.group(1) if line else "?"
        return (
            f"{label}: a value opened with the quote {mapping.quote} on line {number} is never closed; close it, or "
            f"if {mapping.quote} is not a quote in this file, set csv: quote to another character in a mapping"
        )
    if "Maximum line size" in text or "max_line_size" in text:
        return f"{label}: a line is longer than the {MAX_LINE_BYTES // (1024 * 1024)} MB limit{where}; is a field unquoted or corrupt?"
    if "gzip" in text.lower() or "zlib" in text.lower() or "inflate" in text.lower():
        return f"{label}: the gzip stream is broken or truncated ({text.splitlines()[0]})"
    if "Expected Number of Columns" in text or "columns" in text.lower():
        return f"{label}: rows do not all have the same number of fields as the header{where}"
    if "parquet" in text.lower() or "magic" in text.lower():
        return f"{label}: not a readable Parquet file ({text.splitlines()[0]})"
    return f"{label}: could not be read as CSV{where}: {text.splitlines()[0]}"
