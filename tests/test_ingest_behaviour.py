"""Ingest behaviour: idempotence, upserts, fact keys, mappings, casting, extra columns, log recovery."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.data import catalog, ingest, warehouse
from analytics.data.mapping import Mapping, parse_mapping
from analytics.errors import IngestError
from tests.conftest import valid_customers, valid_interactions


def csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def rows(wh_path: Path, table: str) -> pd.DataFrame:
    return warehouse.open(wh_path).table(table).execute()


def test_reingest_is_a_noop_that_says_so(tmp_path: Path, wh_path: Path) -> None:
    path = csv(valid_interactions(), tmp_path / "a.csv")
    first = ingest.ingest("interactions", path, warehouse_path=wh_path)
    version = warehouse.open(wh_path).versions["interactions"]
    again = ingest.ingest("interactions", path, warehouse_path=wh_path)
    assert again.status == "unchanged"
    assert first.batch_id in again.message and "already ingested" in again.message
    wh = warehouse.open(wh_path)
    assert wh.versions["interactions"] == version
    assert len(catalog.ingest_history(wh)) == 1
    assert len(rows(wh_path, "interactions")) == 200


def test_same_rows_under_another_name_are_quarantined_not_duplicated(tmp_path: Path, wh_path: Path) -> None:
    """A different file repeating stored fact keys: the repeats are quarantined, never stored twice."""
    ingest.ingest("interactions", csv(valid_interactions(100), tmp_path / "a.csv"), warehouse_path=wh_path)
    overlap = valid_interactions(100, start=100)  # I100 is already stored; I101..I199 are new
    result = ingest.ingest(
        "interactions", csv(overlap, tmp_path / "b.csv"), warehouse_path=wh_path, max_quarantine_share=0.05
    )
    assert (result.rows_committed, result.rows_quarantined) == (99, 1)
    stored = rows(wh_path, "interactions")
    assert stored["interaction_id"].is_unique and len(stored) == 199
    reasons = catalog.quarantined_rows(warehouse.open(wh_path), "interactions")["reasons"].tolist()
    assert reasons == ["interaction_id is already in the warehouse"]


def test_customers_are_upserted_by_key(tmp_path: Path, wh_path: Path) -> None:
    ingest.ingest("customers", csv(valid_customers(10), tmp_path / "c1.csv"), warehouse_path=wh_path)
    update = valid_customers(12).iloc[8:].copy()  # C8, C9 change; C10, C11 are new
    update["plan"] = "annual"
    result = ingest.ingest("customers", csv(update, tmp_path / "c2.csv"), warehouse_path=wh_path)
    assert result.status == "committed"
    stored = rows(wh_path, "customers").set_index("customer_id")
    assert len(stored) == 12
    assert stored.loc[["C8", "C9", "C10", "C11"], "plan"].eq("annual").all()
    assert stored.loc[["C0", "C7"], "plan"].eq("monthly").all()


def test_mapping_renames_recodes_and_parses_dates(tmp_path: Path, wh_path: Path) -> None:
    theirs = pd.DataFrame(
        {
            "Contact ID": ["a1", "a2", "a3"],
            "Customer": ["c1", "c2", "c3"],
            "When": ["31/01/2024 14:05", "01/02/2024 09:00", "15/03/2024 23:59"],
            "Medium": ["Phone", "Web chat", "EMAIL"],
            "Stage": ["Support", "pay", "use"],
            "Reason": ["billing", "billing", "outage"],
            "Team": ["in_house", "partner_a", "partner_b"],
            "Agent Notes": ["ok", "slow", ""],
        }
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "rename:\n  Contact ID: interaction_id\n  Customer: customer_id\n  When: started_at\n"
        "  Medium: channel\n  Stage: journey_stage\n  Reason: contact_reason\n  Team: handled_by\n"
        "recode:\n  channel:\n    Phone: voice\n    Web chat: chat\n"
        "date_formats:\n  started_at: '%d/%m/%Y %H:%M'\n"
    )
    result = ingest.ingest(
        "interactions", csv(theirs, tmp_path / "theirs.csv"), warehouse_path=wh_path, mapping=mapping
    )
    assert result.status == "committed", result.message
    stored = rows(wh_path, "interactions").sort_values("interaction_id")
    assert stored["channel"].tolist() == ["voice", "chat", "email"]  # recoded, and codes are case-insensitive
    assert stored["journey_stage"].tolist() == ["support", "pay", "use"]
    assert stored["started_at"].iloc[0] == pd.Timestamp("2024-01-31 14:05", tz="UTC")
    assert stored["agent_notes"].tolist() == ["ok", "slow", None]  # extra column kept, name normalised
    assert stored["wait_seconds"].isna().all()  # optional canonical column absent from the file


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True), ("Y", True), ("true", True), ("1", True),
        ("no", False), ("F", False), ("0", False), ("", None),
    ],
)  # fmt: skip
def test_booleans_cast_from_common_spellings(raw: str, expected: bool | None, tmp_path: Path, wh_path: Path) -> None:
    frame = valid_interactions(1)
    frame["is_resolved"] = [raw]
    ingest.ingest("interactions", csv(frame, tmp_path / "b.csv"), warehouse_path=wh_path, max_quarantine_share=1)
    value = rows(wh_path, "interactions")["is_resolved"].iloc[0]
    assert (None if pd.isna(value) else bool(value)) == expected


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e400"])
def test_non_finite_numbers_are_not_castable(raw: str, tmp_path: Path, wh_path: Path) -> None:
    frame = valid_interactions(3).astype({"wait_seconds": object})
    frame.loc[1, "wait_seconds"] = raw
    result = ingest.ingest("interactions", csv(frame, tmp_path / "n.csv"), warehouse_path=wh_path)
    assert result.status == "rejected"
    assert result.failed_checks[0].rule == "castable" and result.failed_checks[0].column == "wait_seconds"


def test_timestamps_with_offsets_are_stored_in_utc(tmp_path: Path, wh_path: Path) -> None:
    frame = valid_interactions(2)
    frame["started_at"] = ["2024-03-01T10:00:00+02:00", "2024-03-01"]
    ingest.ingest("interactions", csv(frame, tmp_path / "t.csv"), warehouse_path=wh_path)
    stored = rows(wh_path, "interactions").sort_values("interaction_id")["started_at"].tolist()
    assert stored == [pd.Timestamp("2024-03-01 08:00", tz="UTC"), pd.Timestamp("2024-03-01 00:00", tz="UTC")]


def test_parquet_and_gzip_csv_are_read(tmp_path: Path, wh_path: Path) -> None:
    frame = valid_interactions(50)
    frame.to_parquet(tmp_path / "x.parquet", index=False)
    valid_interactions(50, start=51).to_csv(tmp_path / "y.csv.gz", index=False, compression="gzip")
    assert ingest.ingest("interactions", tmp_path / "x.parquet", warehouse_path=wh_path).rows_committed == 50
    assert ingest.ingest("interactions", tmp_path / "y.csv.gz", warehouse_path=wh_path).rows_committed == 50
    assert len(rows(wh_path, "interactions")) == 100


def test_user_errors_raise_ingest_error(tmp_path: Path, wh_path: Path) -> None:
    with pytest.raises(IngestError, match="file not found"):
        ingest.ingest("interactions", tmp_path / "nope.csv", warehouse_path=wh_path)
    with pytest.raises(IngestError, match="unknown table 'calls'"):
        ingest.ingest("calls", tmp_path / "nope.csv", warehouse_path=wh_path)
    with pytest.raises(IngestError, match="max_quarantine_share"):
        ingest.ingest(
            "interactions",
            csv(valid_interactions(2), tmp_path / "a.csv"),
            warehouse_path=wh_path,
            max_quarantine_share=2,
        )
    assert not (wh_path / "interactions").exists()


def test_log_is_restored_after_a_crash_between_commit_and_log(
    tmp_path: Path, wh_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table commit carries the log record, so a lost log write is recovered, not re-ingested."""
    path = csv(valid_interactions(20), tmp_path / "a.csv")

    def crash(*_args: object, **_kwargs: object) -> None:
        raise SystemExit("killed after the commit")

    monkeypatch.setattr(ingest, "_append_log", crash)
    with pytest.raises(SystemExit):
        ingest.ingest("interactions", path, warehouse_path=wh_path)
    monkeypatch.undo()
    assert len(rows(wh_path, "interactions")) == 20
    assert not warehouse.open(wh_path).has("ingest_log")

    again = ingest.ingest("interactions", path, warehouse_path=wh_path)
    assert again.status == "unchanged"
    history = catalog.ingest_history(warehouse.open(wh_path))
    assert history["status"].tolist() == ["committed"]
    assert "restored" in history["message"].iloc[0]
    assert len(rows(wh_path, "interactions")) == 20


def test_ingest_bytes_checks_the_size_limit(wh_path: Path) -> None:
    data = valid_interactions(5).to_csv(index=False).encode()
    with pytest.raises(IngestError, match="over the"):
        ingest.ingest_bytes("interactions", "u.csv", data, warehouse_path=wh_path, max_bytes=10)
    result = ingest.ingest_bytes("interactions", "u.csv", data, warehouse_path=wh_path, mapping=Mapping())
    assert result.rows_committed == 5


def test_progress_reports_each_stage(tmp_path: Path, wh_path: Path) -> None:
    said: list[str] = []
    ingest.ingest(
        "interactions", csv(valid_interactions(5), tmp_path / "p.csv"), warehouse_path=wh_path, progress=said.append
    )
    stages = " | ".join(said)
    for stage in ("hashing", "reading", "casting", "validating", "committing", "committed 5 of 5"):
        assert stage in stages


def test_uploads_are_named_by_their_own_name(wh_path: Path) -> None:
    data = valid_interactions(5).drop(columns=["channel"]).to_csv(index=False).encode()
    result = ingest.ingest_bytes("interactions", "march_contacts.csv", data, warehouse_path=wh_path)
    assert result.status == "rejected"
    assert result.message.startswith("march_contacts.csv: missing required column(s) channel")
    assert catalog.ingest_history(warehouse.open(wh_path))["source_file"].tolist() == ["march_contacts.csv"]


@pytest.mark.parametrize(
    ("name", "decoy"),
    [
        ("batch[1].csv", "batch1.csv"),
        ("march*.csv", "march2024.csv"),
        ("part?.csv", "partA.csv"),
        ("x{a,b}.csv", "xa.csv"),
        ("with space & 'quotes' ü.csv", "with space & 'quotes' u.csv"),
        ("part[1].parquet", "part1.parquet"),
    ],
)
def test_the_file_named_is_the_file_read(name: str, decoy: str, tmp_path: Path, wh_path: Path) -> None:
    """Characters a reader could take for a glob pattern are read literally, beside a decoy the
    pattern would match, and the log holds the hash of the bytes that were read."""
    import hashlib

    wanted, other = valid_interactions(20), valid_interactions(30, start=1000)
    for frame, file in ((wanted, tmp_path / name), (other, tmp_path / decoy)):
        if file.suffix == ".parquet":
            frame.to_parquet(file, index=False)
        else:
            frame.to_csv(file, index=False)
    result = ingest.ingest("interactions", tmp_path / name, warehouse_path=wh_path)
    assert result.status == "committed", result.message
    assert (result.rows_in, result.rows_committed) == (20, 20)
    stored = rows(wh_path, "interactions")
    assert set(stored["interaction_id"]) == set(wanted["interaction_id"])
    assert result.sha256 == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert catalog.ingest_history(warehouse.open(wh_path))["source_file"].tolist() == [str(tmp_path / name)]


def test_a_file_that_may_not_be_read_is_a_clear_error(
    tmp_path: Path, wh_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission to read is refused by the operating system (simulated, as the tests may run as
    root, who may read anything); the user gets one line naming the file, and nothing is written."""
    path = csv(valid_interactions(), tmp_path / "secret.csv")
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(IngestError, match=r"secret.csv: you may not read this file \(permission denied\)"):
        ingest.ingest("interactions", path, warehouse_path=wh_path)
    assert not wh_path.exists() or not warehouse.open(wh_path).has("interactions")


def test_an_update_without_an_optional_column_keeps_what_is_stored_there(tmp_path: Path, wh_path: Path) -> None:
    """A customers file without churned_at must not turn churned customers active: matched rows take
    only the columns the file has, and the result says which were kept."""
    first = valid_customers(10)
    first.loc[3, "churned_at"] = "2024-03-01"
    ingest.ingest("customers", csv(first, tmp_path / "all.csv"), warehouse_path=wh_path)
    update = first.drop(columns=["churned_at"]).assign(monthly_revenue=99.0)
    update.loc[len(update)] = ["C99", "2024-01-01", "smb", "east", "annual", 50.0]
    result = ingest.ingest("customers", csv(update, tmp_path / "update.csv"), warehouse_path=wh_path)
    assert result.status == "committed", result.message
    assert "the file has no churned_at, so stored values there are kept" in result.message
    stored = rows(wh_path, "customers").set_index("customer_id")
    assert stored["churned_at"].notna().sum() == 2  # C3 and C9 (valid_customers churns the last one)
    assert str(stored.loc["C3", "churned_at"].date()) == "2024-03-01"
    assert (stored.loc[[f"C{i}" for i in range(10)], "monthly_revenue"] == 99.0).all()
    assert stored.loc["C99", "segment"] == "smb" and pd.isna(stored.loc["C99", "churned_at"])


@pytest.mark.parametrize(("encoding", "gzipped"), [("latin-1", False), ("cp1252", False), ("windows-1252", True)])
def test_windows_1252_files_load_with_the_encoding_the_readme_advises(
    encoding: str, gzipped: bool, tmp_path: Path, wh_path: Path
) -> None:
    """€, – and “ exist in Windows-1252 but not in Latin-1; a file labelled either reads whole."""
    import gzip as gz

    frame = valid_interactions(10)
    frame.loc[0, "contact_reason"] = "refund “€5” – facturación"
    data = frame.to_csv(index=False).encode("cp1252")
    path = tmp_path / ("w.csv.gz" if gzipped else "w.csv")
    path.write_bytes(gz.compress(data) if gzipped else data)
    result = ingest.ingest(
        "interactions", path, warehouse_path=wh_path, mapping=parse_mapping({"csv": {"encoding": encoding}})
    )
    assert result.status == "committed", result.message
    stored = rows(wh_path, "interactions").set_index("interaction_id")
    assert stored.loc["I1", "contact_reason"] == "refund “€5” – facturación"
    import hashlib

    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # the bytes read, not the re-encoding


@pytest.mark.parametrize("blank", ["\t", " ", "\u00a0", "\u3000", " \t\u2028 "])
def test_a_key_of_any_whitespace_is_empty_and_quarantined(blank: str, tmp_path: Path, wh_path: Path) -> None:
    frame = valid_interactions(200)
    frame.loc[7, "interaction_id"] = blank
    result = ingest.ingest("interactions", csv(frame, tmp_path / "ws.csv"), warehouse_path=wh_path)
    assert (result.status, result.rows_committed, result.rows_quarantined) == ("committed", 199, 1)
    stored = rows(wh_path, "interactions")["interaction_id"]
    assert not stored.str.strip().eq("").any() and stored.notna().all()
