"""Reading pinned Delta versions: empty tables, added columns, upserts and replaced tables read back exactly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from analytics import warehouse


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
