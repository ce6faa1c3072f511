"""The Spark engine gives the same answers as DuckDB, over the same Delta tables.

Every call the pages make (``analytics.ui.cached.CALLS``, each with the arguments pages use), the
brief's headline results and the ``iconic`` commands' JSON run on both engines, over the whole
demo and over a filtered scope, and must agree to 1e-9: counts, NPS and intervals, the moment map,
driver inputs and importances, the survival table and Cox, lifetime value, the benchmark KPIs.
Local steps (numpy, lifelines, scikit-learn) then see the same rows, so they agree too.

Spark runs in a local JVM (Java 17); the module stops it when done, and the run fails if anything
it started is left behind.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from analytics import config
from analytics.analyses import headlines
from analytics.cli import main
from analytics.data import warehouse
from analytics.data.engines import spark as spark_engine
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.errors import UsageError, WarehouseError
from analytics.report import brief, kpis
from analytics.ui import cached

from .conftest import load_tables, valid_customers, valid_surveys
from .test_warehouse import rows, warehouse_in_an_odd_folder

pytestmark = pytest.mark.spark

TOLERANCE = 1e-9
SCOPES = {
    "all": ALL_DATA,
    "filtered": Filters(
        start=date(2025, 10, 1), end=date(2026, 3, 31), segments=("smb", "consumer"), channels=("voice",)
    ),
}
#: Fields that time the work rather than report a result.
TIMINGS = {"timings"}


def differences(a: Any, b: Any, where: str = "result") -> list[str]:
    """Where ``a`` and ``b`` differ: frames cell by cell, floats to ``TOLERANCE`` (relative and
    absolute), timestamps as instants whatever their resolution, dataclasses field by field."""
    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame):
            return [f"{where}: a frame against {type(b).__name__}"]
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return [f"{where}: shape {list(a.columns)} x {len(a)} against {list(b.columns)} x {len(b)}"]
        return [d for c in a.columns for d in differences(a[c], b[c], f"{where}[{c!r}]")]
    if isinstance(a, pd.Series):
        if str(a.dtype).startswith("datetime64") and str(b.dtype).startswith("datetime64"):
            a, b = a.dt.as_unit("us"), b.dt.as_unit("us")
        if a.dtype != b.dtype:
            return [f"{where}: dtype {a.dtype} against {b.dtype}"]
        if list(a.index) != list(b.index):
            return [f"{where}: index differs"]
        found = [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
        return found[:3]
    if isinstance(a, pa.Table):
        return differences(a.to_pandas(), b.to_pandas(), where)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        fields = [f.name for f in dataclasses.fields(a) if f.name not in TIMINGS]
        return [d for f in fields for d in differences(getattr(a, f), getattr(b, f), f"{where}.{f}")]
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(a)} against {sorted(b)}"]
        return [d for k in a if k not in TIMINGS for d in differences(a[k], b[k], f"{where}[{k!r}]")]
    if isinstance(a, list | tuple | np.ndarray):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float | np.floating) and isinstance(b, int | float | np.number):
        x, y = float(a), float(b)
        if (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            return []
        return [f"{where}: {x!r} against {y!r}"]
    if a is None or b is None or a is pd.NA or b is pd.NA or a is pd.NaT or b is pd.NaT:
        return [] if (pd.isna(a) and pd.isna(b)) else [f"{where}: {a!r} against {b!r}"]
    if type(a).__module__.split(".")[0] in ("altair", "sklearn"):
        return []  # charts and fitted estimators: what they show is compared through their data
    equal = a == b
    return [] if isinstance(equal, bool | np.bool_) and equal else [f"{where}: {a!r} against {b!r}"]


def test_differences_sees_what_matters() -> None:
    frame = pd.DataFrame({"n": [1, 2], "nps": [10.0, 20.0]})
    assert differences(frame, frame.copy()) == []
    assert differences(frame, frame.assign(nps=[10.0, 20.0 + 1e-12])) == []
    assert differences(frame, frame.assign(nps=[10.0, 20.001]))
    assert differences(frame, frame.assign(n=[1, 3]))
    assert differences({"a": (1.0, "x")}, {"a": (1.0, "y")})


@pytest.fixture(scope="module")
def root(segmented_demo: Path) -> Path:
    return segmented_demo


@pytest.fixture(scope="module")
def engines(root: Path) -> Iterator[tuple[Warehouse, Warehouse]]:
    duck = warehouse.open(root)
    spark = warehouse.open(root, engine="spark")
    yield duck, spark
    duck.close()
    spark.close()
    spark_engine.stop_spark()


def test_the_spark_handle_is_set_up_as_documented(engines: tuple[Warehouse, Warehouse]) -> None:
    duck, spark = engines
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    conf = spark.con._session.conf
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.sql.shuffle.partitions") == str(spark_engine.DEFAULT_LOCAL_SHUFFLE_PARTITIONS)
    assert spark.versions == duck.versions and spark.data_version == duck.data_version
    for name in ("interactions", "surveys", "customers", "invitations", "attributes"):
        assert spark.table(name).schema() == duck.table(name).schema(), name


@pytest.mark.parametrize("name", list(cached.CALLS))
def test_every_page_call_agrees_on_both_engines(name: str, engines: tuple[Warehouse, Warehouse]) -> None:
    duck, spark = engines
    call = cached.CALLS[name]
    variants = call.arguments(duck)
    for label, scope in SCOPES.items() if call.scoped else [("all", ALL_DATA)]:
        # Every variant over the whole demo; the filtered scope (the same code, other rows) runs the first.
        for variant in variants if label == "all" else variants[:1]:
            on_duck = call.fn(duck, scope, **variant) if call.scoped else call.fn(duck, **variant)
            on_spark = call.fn(spark, scope, **variant) if call.scoped else call.fn(spark, **variant)
            found = differences(on_duck, on_spark, name)
            assert not found, f"{name}({variant}) over {label}:\n" + "\n".join(found[:10])


def test_the_brief_headlines_agree_on_both_engines(engines: tuple[Warehouse, Warehouse]) -> None:
    duck, spark = engines
    for scope in SCOPES.values():
        on_duck, on_spark = headlines.headline_results(duck, scope), headlines.headline_results(spark, scope)
        assert not differences(on_duck, on_spark, "headlines")
        assert not differences(kpis.kpis(on_duck), kpis.kpis(on_spark), "kpis")
        assert brief.data_status(duck) == brief.data_status(spark)


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["analyze", "advocacy", "--by", "region"],
        ["analyze", "moments"],
        ["analyze", "drivers", "--bootstrap", "30"],
        ["analyze", "survival", "--by", "plan"],
        ["analyze", "benchmarks"],
        ["analyze", "value", "--by", "region"],
        ["analyze", "impact", "--bootstrap", "30"],
        ["analyze", "segments", "--k", "3"],
        ["quality", "--table", "surveys"],
    ],
    ids=lambda c: " ".join(c),
)
def test_commands_print_the_same_json_on_both_engines(
    command: list[str], root: Path, engines: tuple[Warehouse, Warehouse], capsys: pytest.CaptureFixture[str]
) -> None:
    on_duck = _json([*command, "--json", "--warehouse", str(root)], capsys)
    on_spark = _json([*command, "--json", "--warehouse", str(root), "--engine", "spark"], capsys)
    assert on_duck and not differences(on_duck, on_spark, " ".join(command))


def test_the_brief_command_prints_the_same_numbers_on_both_engines(
    root: Path, tmp_path: Path, engines: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = []
    for engine in config.ENGINES:
        out = tmp_path / f"{engine}.pdf"
        printed = _json(["brief", "--json", "--out", str(out), "--warehouse", str(root), "--engine", engine], capsys)
        assert out.stat().st_size > 10_000
        runs.append({k: v for k, v in printed.items() if k not in ("file", "out", "seconds", "generated_at")})
    assert not differences(runs[0], runs[1], "brief")


def test_ingest_and_demo_have_no_engine_option(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["ingest"], ["demo"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert "--engine" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["analyze", "moments", "--help"])
    assert "--engine {duckdb,spark}" in capsys.readouterr().out


def test_the_engine_setting_is_checked(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv("ICONIC_ENGINE", "Spark ")
    assert config.engine() == "spark"
    monkeypatch.setenv("ICONIC_ENGINE", "polars")
    with pytest.raises(UsageError, match="ICONIC_ENGINE must be one of duckdb, spark, got 'polars'"):
        warehouse.open(root)
    with pytest.raises(UsageError, match="--engine must be one of"):
        config.engine("hive")
    monkeypatch.delenv("ICONIC_ENGINE")
    assert config.engine() == "duckdb"


@pytest.mark.parametrize("engine", config.ENGINES)
def test_tables_with_deletion_vectors_are_refused(tmp_path: Path, engine: str, engines: Any) -> None:
    """Their Parquet files still hold deleted rows; reading the files would bring them back."""
    root = tmp_path / "warehouse"
    frame = pa.Table.from_pandas(valid_customers(5), preserve_index=False)
    write_deltalake(str(root / "customers"), frame, configuration={"delta.enableDeletionVectors": "true"})
    with pytest.raises(WarehouseError) as refused:
        warehouse.open(root, engine=engine)
    message = str(refused.value)
    assert "'customers'" in message and "deletion vectors" in message and "REORG TABLE" in message


def test_files_written_before_a_column_existed_read_it_as_missing(
    tmp_path: Path, engines: tuple[Warehouse, Warehouse]
) -> None:
    root = tmp_path / "warehouse"
    load_tables(root, tmp_path, customers=valid_customers(), surveys=valid_surveys(40))
    later = valid_surveys(60).iloc[40:].assign(rating_speed=4.0)
    load_tables(root, tmp_path, surveys=later)
    duck, spark = warehouse.open(root), warehouse.open(root, engine="spark")
    assert len(spark.files("surveys")) == 2
    on_duck = duck.table("surveys").order_by("survey_id").to_pyarrow()
    on_spark = spark.table("surveys").order_by("survey_id").to_pyarrow()
    speed = on_spark["rating_speed"].to_pandas()
    assert speed.isna().sum() == 40 and (speed.dropna() == 4.0).all()
    assert on_duck.equals(on_spark)


def test_a_warehouse_in_a_folder_named_like_a_pattern_reads_the_same_on_both_engines(
    tmp_path: Path, engines: tuple[Warehouse, Warehouse]
) -> None:
    """Spark reads every path as a Hadoop glob (``{a,b}``, ``[1]``, ``*``); its engine escapes them, so
    it reads that folder's rows, as DuckDB does, and no other folder's."""
    root, expected = warehouse_in_an_odd_folder(tmp_path)
    duck, spark = warehouse.open(root), warehouse.open(root, engine="spark")
    assert {name: rows(spark, name) for name in expected} == expected
    assert {name: rows(duck, name) for name in expected} == expected
    spark.close()


def test_two_spark_handles_keep_their_own_tables(tmp_path: Path, root: Path, engines: Any) -> None:
    small = tmp_path / "small"
    load_tables(small, tmp_path, customers=valid_customers(7))
    mine, demo = warehouse.open(small, engine="spark"), warehouse.open(root, engine="spark")
    assert mine.table("customers").count().execute() == 7
    assert demo.table("customers").count().execute() == engines[0].table("customers").count().execute()
    assert mine.table("interactions").count().execute() == 0  # not ingested yet: empty, with its columns


def test_stopping_spark_leaves_no_jvm_running(root: Path) -> None:
    warehouse.open(root, engine="spark").table("customers").count().execute()
    assert _java_children(), "a JVM should be running while Spark is in use"
    spark_engine.stop_spark()
    assert not _java_children()
    # And Spark starts again on demand after a stop.
    assert warehouse.open(root, engine="spark").table("customers").count().execute() > 0
    spark_engine.stop_spark()
    assert not _java_children()


def _java_children() -> list[int]:
    """This process's child processes that are Java."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and state != "Z" and b"java" in command:
            found.append(int(entry.name))
    return found


PAGES = ["pages/overview.py", "pages/moments.py", "pages/churn.py"]


@pytest.mark.parametrize("page", PAGES)
def test_the_dashboard_pages_render_on_spark(
    page: str, root: Path, engines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages only call the library, so ``ICONIC_ENGINE=spark`` serves them unchanged."""
    from streamlit.testing.v1 import AppTest

    from analytics.ui import cached as ui_cached

    monkeypatch.setenv("ICONIC_WAREHOUSE", str(root))
    monkeypatch.setenv("ICONIC_ENGINE", "spark")
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=300).run()
    at = app.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert ui_cached.warehouse() is not None and ui_cached.warehouse().engine == "spark"
    assert at.metric or at.dataframe  # numbers were shown
