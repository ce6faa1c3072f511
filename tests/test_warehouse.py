"""Reading pinned Delta versions: empty tables, added columns, upserts and replaced tables read back exactly."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import write_deltalake

from analytics import config
from analytics.data import engines, ingest, schema, warehouse
from analytics.errors import WarehouseError

from .conftest import load_tables, valid_customers, valid_surveys


def test_a_table_without_rows_reads_as_empty(tmp_path: Path) -> None:
    warehouse.append(tmp_path, "things", pa.table({"id": pa.array([], pa.string()), "x": pa.array([], pa.int64())}))
    wh = warehouse.open(tmp_path)
    assert wh.table("things").count().execute() == 0
    assert list(wh.table("things").columns) == ["id", "x"]


def test_columns_added_later_read_as_null_for_earlier_files(tmp_path: Path) -> None:
    warehouse.append(tmp_path, "things", pa.table({"id": ["a", "b"], "x": [1, 2]}))
    warehouse.append(tmp_path, "things", pa.table({"id": ["c"], "x": [3], "note": ["new"]}))
    frame = warehouse.open(tmp_path).table("things").order_by("id").execute()
    assert frame["id"].tolist() == ["a", "b", "c"]
    assert frame["note"].isna().tolist() == [True, True, False]


def test_upserts_and_replacements_show_only_the_current_rows(tmp_path: Path) -> None:
    warehouse.append(tmp_path, "things", pa.table({"id": ["a", "b"], "x": [1, 2]}))
    pinned = warehouse.open(tmp_path)
    warehouse.upsert(tmp_path, "things", pa.table({"id": ["b", "c"], "x": [20, 30]}), key="id")
    now = warehouse.open(tmp_path).table("things").order_by("id").execute()
    assert now[["id", "x"]].values.tolist() == [["a", 1], ["b", 20], ["c", 30]]
    # a handle opened before the upsert still sees its own version
    assert pinned.table("things").order_by("id").execute()["x"].tolist() == [1, 2]

    warehouse.replace(tmp_path, "things", pa.table({"id": ["z"], "y": [1.5]}))
    replaced = warehouse.open(tmp_path).table("things").execute()
    assert replaced.columns.tolist() == ["id", "y"] and replaced["id"].tolist() == ["z"]


def test_one_handle_serves_several_threads_at_once(demo_warehouse: Path) -> None:
    """The dashboard shares one handle between browser sessions; queries from several threads at
    once must neither fail nor mix up their results."""
    import threading

    from analytics.analyses import advocacy
    from analytics.data import filters

    wh = warehouse.open(demo_warehouse)
    scopes = [filters.Filters(segments=(s,)) for s in ("consumer", "smb", "enterprise")] * 2
    expected = [advocacy.nps_by(warehouse.open(demo_warehouse), f, by="region")["n"].sum() for f in scopes]
    got: dict[int, int] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                got[i] = int(advocacy.nps_by(wh, scopes[i], by="region")["n"].sum())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(scopes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert [got[i] for i in range(len(scopes))] == expected


def test_kept_tables_are_reused_and_the_oldest_dropped(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    built: list[int] = []

    def build(i: int) -> Any:
        built.append(i)
        return wh.table("customers").limit(i + 1)

    first = wh.kept_table(("test", 0), lambda: build(0))
    assert wh.kept_table(("test", 0), lambda: build(0)) is first and built == [0]
    assert int(first.count().execute()) == 1
    for i in range(1, warehouse.MEMO_ENTRIES + 1):
        wh.kept_table(("test", i), lambda i=i: build(i))
    wh.kept_table(("test", 0), lambda: build(0))  # dropped as the oldest, so built again
    assert built.count(0) == 2


def kept_tables(wh: warehouse.Warehouse) -> set[str]:
    """The names of the results the handle's engine holds."""
    frame = wh.con.con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_memo_%'").fetchall()
    return {name for (name,) in frame}


def test_a_forgotten_result_is_dropped_only_once_no_query_can_reach_it(demo_warehouse: Path) -> None:
    """Eviction must not pull a table from under a query that took it a moment before (another
    session's, on the dashboard), yet the memory must come back once nothing refers to it."""
    import gc

    wh = warehouse.open(demo_warehouse)
    held = wh.kept_table(("held",), lambda: wh.table("customers").select("customer_id", "segment"))
    query = held.group_by("segment").aggregate(n=held.count())
    expected = query.execute().sort_values("segment", ignore_index=True)
    name = held.op().name
    for i in range(warehouse.MEMO_ENTRIES + 2):
        wh.kept_table(("filler", i), lambda i=i: wh.table("customers").limit(i + 1))
    del held
    gc.collect()
    wh.kept_table(("one more",), lambda: wh.table("customers").limit(1))
    assert name in kept_tables(wh)
    pd.testing.assert_frame_equal(query.execute().sort_values("segment", ignore_index=True), expected)
    del query
    gc.collect()
    wh.kept_table(("and another",), lambda: wh.table("customers").limit(2))
    assert name not in kept_tables(wh)
    assert len(kept_tables(wh)) <= warehouse.MEMO_ENTRIES


def test_kept_results_stay_within_the_memory_budget(demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setenv("ICONIC_MEMO_MB", "1")
    wh = warehouse.open(demo_warehouse)
    for i in range(6):
        # About 0.4 MB each: two or three fit in the budget.
        wh.kept_table(("wide", i), lambda i=i: ibis.range(50_000).unnest().name("x").as_table().mutate(i=i))
    gc.collect()
    wh.kept_table(("small",), lambda: wh.table("customers").limit(1))
    assert 1 <= len(wh._memo) < 6
    assert len(kept_tables(wh)) == len(wh._memo)


def test_many_threads_open_tables_and_compute_first_results_on_one_handle(demo_warehouse: Path) -> None:
    """What a freshly started dashboard meets when a team arrives at once: every session on one
    handle, each opening tables (Ibis runs DESCRIBE) and computing its scope's first results. None
    may fail, and each scope's shared result is computed once however many ask for it."""
    import threading

    from analytics.analyses import advocacy, moments, survival
    from analytics.data import filters

    scopes = [
        filters.Filters(),
        filters.Filters(channels=("voice",)),
        filters.Filters(segments=("smb",)),
        filters.Filters(regions=("north",), channels=("chat",)),
    ]
    reference = warehouse.open(demo_warehouse)
    expected = {
        i: (
            int(advocacy.nps_by(reference, f, by="region")["n"].sum()),
            int(moments.moment_map(reference, f)["volume"].sum()),
            len(survival.survival_table(reference, f)),
        )
        for i, f in enumerate(scopes)
    }
    wh = warehouse.open(demo_warehouse)
    builds: list[Any] = []
    original = wh.kept_table

    def counted(key: Any, build: Any) -> Any:
        def counting() -> Any:
            builds.append(key)
            return build()

        return original(key, counting)

    wh.kept_table = counted  # type: ignore[method-assign]
    start = threading.Barrier(12)
    got: dict[int, list[tuple[int, int, int]]] = {i: [] for i in range(len(scopes))}
    errors: list[BaseException] = []

    def session(i: int) -> None:
        f = scopes[i % len(scopes)]
        try:
            start.wait()
            for name in ("interactions", "surveys", "customers", "invitations", "attributes"):
                wh.table(name).count().execute()
            got[i % len(scopes)].append(
                (
                    int(advocacy.nps_by(wh, f, by="region")["n"].sum()),
                    int(moments.moment_map(wh, f)["volume"].sum()),
                    len(survival.survival_table(wh, f)),
                )
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert {i: set(v) for i, v in got.items()} == {i: {e} for i, e in expected.items()}
    assert len(builds) == len(set(builds)), "a shared result was computed twice"


def test_a_canonical_table_not_ingested_yet_reads_as_empty(tmp_path: Path) -> None:
    """Files may arrive in any order: surveys without customers is nothing in scope, not an error."""
    warehouse.append(tmp_path, "things", pa.table({"id": ["a"]}))
    wh = warehouse.open(tmp_path)
    assert not wh.has("customers")
    assert int(wh.table("customers").count().execute()) == 0
    assert "monthly_revenue" in wh.table("customers").columns


def test_a_warehouse_without_the_optional_invitations_reads_them_as_empty(tmp_path: Path) -> None:
    """Invitations are optional: a warehouse that never had them reads an empty table with their columns."""
    warehouse.append(tmp_path, "things", pa.table({"id": ["a"]}))
    wh = warehouse.open(tmp_path)
    assert not wh.has("invitations")
    t = wh.table("invitations")
    assert int(t.count().execute()) == 0
    assert list(t.columns) == list(schema.INVITATIONS.column_names)
    assert str(t.schema()["sent_at"]).startswith("timestamp")


def test_a_sibling_reads_the_same_versions_in_an_engine_of_its_own(demo_warehouse: Path, tmp_path: Path) -> None:
    """The dashboard's background work runs on a sibling handle with one engine thread: the same
    table versions (even after a commit), none of the first handle's kept results, its own threads."""
    import shutil

    root = tmp_path / "warehouse"
    shutil.copytree(demo_warehouse, root)
    wh = warehouse.open(root)
    kept = wh.kept_table(("kept",), lambda: wh.table("customers").limit(3))
    warehouse.append(root, "customers", wh.table("customers").limit(1).to_pyarrow())  # a later commit
    sibling = wh.sibling(threads=1)
    assert sibling.versions == wh.versions and sibling.data_version == wh.data_version
    assert int(sibling.table("customers").count().execute()) == int(wh.table("customers").count().execute())
    assert kept.op().name not in kept_tables(sibling)
    assert sibling.con.con.execute("SELECT current_setting('threads')").fetchall()[0][0] == 1
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchall()[0][0]
    assert wh.con.con.execute("SELECT current_setting('threads')").fetchall()[0][0] == default


#: A folder name that glob readers misread: a character class, a brace alternation and a star.
ODD_FOLDER = "odd [1] {a,b} *"


def rows(wh: warehouse.Warehouse, name: str) -> list[dict[str, Any]]:
    """Every row of ``name`` as a dict, in a fixed order."""
    return sorted(wh.table(name).to_pyarrow().to_pylist(), key=repr)


def warehouse_in_an_odd_folder(tmp_path: Path) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    """A small warehouse in a folder named ``ODD_FOLDER``, and the rows of each table read before it moved there.

    delta-rs cannot write under such a folder (``warehouse.UNWRITABLE``), so the tables are written in
    a plain one that is then renamed: a Delta log names its files relative to the table. Beside it
    are copies, with each row twice, that the folder's name read as a pattern matches (by DuckDB's
    globbing and by Hadoop's), so an engine that takes the name for a pattern reads other rows or none.
    """
    plain = tmp_path / "plain"
    load_tables(plain, tmp_path, customers=valid_customers(), surveys=valid_surveys(40))
    # Partitioned, as another writer may leave a table: the values live in escaped folder names.
    things = pa.table({"id": ["a", "b", "c", "d"], "segment": ["x y", "p%20q", "[z]", "x y"]})
    write_deltalake(str(plain / "things"), things, partition_by=["segment"])
    opened = warehouse.open(plain)
    expected = {name: rows(opened, name) for name in ("customers", "surveys", "things", "interactions")}
    opened.close()
    for decoy in ("odd 1 {a,b} decoy", "odd 1 a decoy"):
        shutil.copytree(plain, tmp_path / decoy / "warehouse")
        for file in (tmp_path / decoy).rglob("*.parquet"):
            pq.write_table(pa.concat_tables([pq.read_table(file)] * 2), file)  # each row twice
    root = tmp_path / ODD_FOLDER / "warehouse"
    root.parent.mkdir()
    plain.rename(root)
    return root, expected


def test_a_warehouse_in_a_folder_named_like_a_pattern_reads_its_own_rows(tmp_path: Path) -> None:
    root, expected = warehouse_in_an_odd_folder(tmp_path)
    wh = warehouse.open(root)
    assert {name: rows(wh, name) for name in expected} == expected
    assert expected["customers"] and expected["things"]
    assert all(f.is_file() and ODD_FOLDER in str(f) for f in wh.files("surveys"))


def test_a_folder_the_delta_writer_cannot_write_under_is_refused_with_a_message(tmp_path: Path) -> None:
    """delta-rs panics under such a folder; an ingest says why instead, before any work."""
    path = tmp_path / "customers.csv"
    valid_customers(3).to_csv(path, index=False)
    with pytest.raises(WarehouseError, match=r"its path holds '\['.*cannot write under"):
        ingest.ingest("customers", path, warehouse_path=tmp_path / ODD_FOLDER / "warehouse")
    with pytest.raises(WarehouseError, match="'%20'"):
        warehouse.append(tmp_path / "100%20 sure", "things", pa.table({"id": ["a"]}))
    assert not (tmp_path / ODD_FOLDER / "warehouse" / "customers").exists()


def test_every_engine_is_one_the_settings_accept() -> None:
    assert tuple(engines.ENGINES) == config.ENGINES
