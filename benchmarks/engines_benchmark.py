"""Engines benchmark (issue 15): the same analyses on DuckDB and on Spark, and whether they agree.

    python benchmarks/engines_benchmark.py                          # 1 M-customer demo, built if missing
    python benchmarks/engines_benchmark.py --warehouse PATH         # any warehouse
    python benchmarks/engines_benchmark.py --warehouse PATH --scale-interactions 10

The default run times, on each engine, the advocacy headline, NPS and NPS by segment, the moment map
and the survival table, plus Spark's start-up (the JVM and a session) on a line of its own. Every
(engine, analysis) pair runs in its own process, so its peak memory is its own: for Spark that is
the Python process and its JVM (a child process, measured by ``RUSAGE_CHILDREN`` once
``engines.spark.stop_spark`` has reaped it), and the largest sum of the two sampled every 0.2 s. "Cold" is
the first call after opening the warehouse; "warm" the median of ``--repeats`` further calls, each on
a new handle with the process's memo of derived results (``memo.derived``: survival tables, moment
maps) cleared, so every repeat does the same work with the engine already running. Each engine's cold results are then compared with the
other's (frames with ``pandas.testing``, rtol 1e-9).

``--scale-interactions K`` builds, once, a copy of the warehouse whose ``interactions`` table holds K
copies of the demo's contacts written as K Delta commits (copy 0 keeps its ids, so post-contact
surveys still find their contact; copy k > 0 suffixes them ``-k``). The other tables are hard links
to the demo's files. It then runs the moment map on each engine, once, with ``--time-limit``.

Prints Markdown tables and JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import demo1m

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo1m"
ENGINES = ("duckdb", "spark")
TASKS = ("advocacy", "moments", "survival")
GB = 1024**3


# --- the child: one engine, one analysis ---------------------------------------------------------------


def _steps(task: str) -> list[tuple[str, Callable[[Any], Any]]]:
    from analytics.analyses import advocacy, moments, survival

    if task == "advocacy":
        return [
            ("NPS headline (latest quarter vs the one before)", lambda wh: advocacy.headline(wh)),
            ("NPS (all relationship responses)", lambda wh: advocacy.nps(wh)),
            ("NPS by segment", lambda wh: advocacy.nps_by(wh, by="segment")),
        ]
    if task == "moments":
        return [("moment map", lambda wh: moments.moment_map(wh))]
    if task == "survival":
        return [("survival table", lambda wh: survival.survival_table(wh))]
    raise ValueError(task)


def _spark_jobs(wh: Any) -> set[int]:
    """The Spark jobs ``wh``'s Spark context knows (none is given a job group here)."""
    return set(wh.con._session.sparkContext.statusTracker().getJobIdsForGroup(None))


def _spark_work(wh: Any, jobs: set[int]) -> tuple[int, int]:
    """How many of ``jobs`` there are, and the tasks their stages completed."""
    tracker = wh.con._session.sparkContext.statusTracker()
    stages = {s for j in jobs if (info := tracker.getJobInfo(j)) is not None for s in info.stageIds}
    tasks = sum(info.numCompletedTasks for s in stages if (info := tracker.getStageInfo(s)) is not None)
    return len(jobs), tasks


def _child(root: Path, engine: str, task: str, repeats: int, save: Path | None) -> dict[str, Any]:
    from analytics.data import memo, warehouse
    from analytics.data.engines import spark

    start = time.perf_counter()
    if engine == "spark":
        spark.spark_session()
    jvm_s = time.perf_counter() - start
    start = time.perf_counter()
    wh = warehouse.open(root, engine=engine)
    open_s = time.perf_counter() - start
    steps = _steps(task)
    cold: dict[str, float] = {}
    work: dict[str, tuple[int, int]] = {}
    results: dict[str, Any] = {}
    for name, call in steps:
        print(f"  {engine}: {name}", file=sys.stderr, flush=True)
        before = _spark_jobs(wh) if engine == "spark" else set()
        start = time.perf_counter()
        results[name] = call(wh)
        cold[name] = time.perf_counter() - start
        if engine == "spark":
            work[name] = _spark_work(wh, _spark_jobs(wh) - before)
    warm: dict[str, list[float]] = {name: [] for name, _ in steps}
    for _ in range(repeats):
        wh.close()
        memo.clear_derived()  # the process-wide memo of survival tables and moment maps: rebuild, do not look up
        wh = warehouse.open(root, engine=engine)
        for name, call in steps:
            start = time.perf_counter()
            call(wh)
            warm[name].append(time.perf_counter() - start)
    start = time.perf_counter()
    interactions = int(wh.table("interactions").count().execute())
    count_s = time.perf_counter() - start
    wh.close()
    if save is not None:
        with save.open("wb") as handle:
            pickle.dump(results, handle)
    python_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    jvm_peak = 0
    if engine == "spark":
        spark.stop_spark()  # waits for the JVM, so its peak is now among this process's children
        jvm_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {
        "engine": engine,
        "task": task,
        "interactions": interactions,
        "jvm_start_s": round(jvm_s, 2),
        "open_s": round(open_s, 2),
        "count_s": round(count_s, 2),
        "cold_s": {k: round(v, 2) for k, v in cold.items()},
        "warm_s": {k: round(statistics.median(v), 2) for k, v in warm.items() if v},
        "spark_jobs_tasks": work,
        "python_peak_gb": round(python_peak / GB, 2),
        "jvm_peak_gb": round(jvm_peak / GB, 2),
    }


# --- the parent: run children, watch their memory --------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it, read from /proc (0 once it has gone)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as handle:
                total += int(handle.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def _run_child(
    root: Path, engine: str, task: str, *, repeats: int, save: Path | None, limit_s: float, env: dict[str, str]
) -> dict[str, Any]:
    """Run one child with a time limit; return its JSON with ``tree_peak_gb``, or how it stopped."""
    command = [sys.executable, __file__, "--child", task, "--engine", engine, "--warehouse", str(root)]
    command += ["--repeats", str(repeats)] + (["--save", str(save)] if save else [])
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(child.pid))
                done.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        stopped = None
        try:
            child.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            stopped = f"stopped at the time limit ({limit_s / 60:.0f} min)"
            _kill_group(child)
        done.set()
        watcher.join()
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    base = {"engine": engine, "task": task, "wall_s": round(elapsed, 1), "tree_peak_gb": round(peak[0] / GB, 2)}
    if stopped is None and child.returncode == 0:
        return {**json.loads(stdout.strip().splitlines()[-1]), **base}
    if stopped is None:
        stopped = f"exit status {child.returncode}"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return {**base, "failed": stopped, "error": "\n".join(lines[-15:])}


def _kill_group(child: subprocess.Popen[str]) -> None:
    """End the child and everything it started (its JVM included): TERM, then KILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def _env(driver_memory: str | None, spark_conf: list[str]) -> dict[str, str]:
    """The children's environment: the driver heap, and any other Spark settings as ``--conf`` options
    of the JVM PySpark launches (``PYSPARK_SUBMIT_ARGS``; every session of that JVM starts with them)."""
    env = dict(os.environ)
    if driver_memory:
        env["ICONIC_SPARK_DRIVER_MEMORY"] = driver_memory
    if spark_conf:
        env["PYSPARK_SUBMIT_ARGS"] = " ".join(f"--conf {c}" for c in spark_conf) + " pyspark-shell"
    return env


# --- comparing the engines' results ----------------------------------------------------------------------


def _frame_keys(frame: Any) -> list[str]:
    for keys in (["customer_id"], ["journey_stage", "contact_reason"], ["group"]):
        if all(k in frame.columns for k in keys):
            return keys
    return list(frame.columns[:1])


def _same_values(a: Any, b: Any, path: str = "") -> str | None:
    """Where two plain values (dicts, lists, numbers, text) differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} against {sorted(b)}"
        for k in a:
            found = _same_values(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return None
        return f"{path}: {a!r} against {b!r}"
    return None if a == b else f"{path}: {a!r} against {b!r}"


def _agreement(a: Any, b: Any) -> str:
    """'agree', or the first difference found between DuckDB's result ``a`` and Spark's ``b``."""
    import pandas as pd
    import pandas.testing as pdt

    if isinstance(a, pd.DataFrame):
        keys = _frame_keys(a)
        a = a.sort_values(keys, ignore_index=True)
        b = b.sort_values(keys, ignore_index=True)
        try:
            pdt.assert_frame_equal(a, b, rtol=1e-9, atol=1e-12)
            return f"agree ({len(a):,} rows x {a.shape[1]} columns, dtypes too)"
        except AssertionError as strict:
            try:
                pdt.assert_frame_equal(a, b, rtol=1e-9, atol=1e-12, check_dtype=False)
            except AssertionError as loose:
                return "DIFFER: " + " ".join(str(loose).split())[:400]
            return "values agree, dtypes differ: " + " ".join(str(strict).split())[:300]
    found = _same_values(a.to_dict(), b.to_dict())
    return "agree" if found is None else f"DIFFER at {found}"


# --- the 10x interactions warehouse ---------------------------------------------------------------------


def build_scaled(source: Path, target: Path, copies: int) -> Path:
    """``target``: ``source`` with ``copies`` copies of its interactions, one Delta commit per copy.

    Built in ``<target>.partial`` and renamed when complete, so an interrupted build starts over.
    The contacts stream from DuckDB to delta-rs as Arrow record batches (bounded memory).
    """
    import duckdb
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable, write_deltalake

    done = target / "interactions" / "_delta_log"
    if done.is_dir() and len(list(done.glob("*.json"))) == copies:
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name in ("interactions", "_sources"):
            continue
        if (entry / "_delta_log").is_dir():  # Delta never rewrites a data file: links are safe to read
            shutil.copytree(entry, partial / entry.name, copy_function=os.link)
        elif entry.is_dir():
            shutil.copytree(entry, partial / entry.name)
        else:
            shutil.copy2(entry, partial / entry.name)
    original = DeltaTable(str(source / "interactions"))
    if original.metadata().partition_columns:
        raise SystemExit("the interactions table is partitioned; this builder copies plain tables only")
    schema = pa.schema(original.schema().to_arrow())
    files = ", ".join("'" + f.removeprefix("file://").replace("'", "''") + "'" for f in original.file_uris())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = '4GB'")
    con.execute("SET enable_progress_bar = false")
    for k in range(copies):
        ident = '"interaction_id"' if k == 0 else f"\"interaction_id\" || '-{k}'"
        columns = ", ".join(f'{ident} AS "{n}"' if n == "interaction_id" else f'"{n}"' for n in schema.names)
        sql = f"SELECT {columns} FROM read_parquet([{files}], union_by_name = true)"
        batches = con.execute(sql).to_arrow_reader(500_000)
        stream = pa.RecordBatchReader.from_batches(schema, (batch.cast(schema) for batch in batches))
        start = time.perf_counter()
        write_deltalake(
            str(partial / "interactions"),
            stream,
            mode="append",
            commit_properties=CommitProperties(custom_metadata={"benchmark": f"interactions copy {k} of {copies}"}),
        )
        print(f"  appended copy {k + 1} of {copies} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    con.close()
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


# --- reports ----------------------------------------------------------------------------------------------


def _memory(r: dict[str, Any]) -> str:
    if r.get("failed") == "not run":
        return "—"
    if "failed" in r:
        return f"{r['tree_peak_gb']} GB (sampled) before it stopped"
    if r["engine"] == "spark":
        return f"{r['python_peak_gb']} GB Python + {r['jvm_peak_gb']} GB JVM (together {r['tree_peak_gb']} GB sampled)"
    return f"{r['python_peak_gb']} GB ({r['tree_peak_gb']} GB sampled)"


def _seconds(r: dict[str, Any], step: str) -> tuple[str, float | None]:
    if r.get("failed") == "not run":
        return "not run", None
    if "failed" in r:
        return f"failed: {r['failed']}", None
    cold = r["cold_s"][step]
    notes = [f"warm {r['warm_s'][step]} s"] if step in r["warm_s"] else []
    if step in r.get("spark_jobs_tasks", {}):
        jobs, tasks = r["spark_jobs_tasks"][step]
        notes.append(f"cold: {jobs} jobs, {tasks:,} tasks")
    return f"{cold} s" + (f" ({'; '.join(notes)})" if notes else ""), cold


def _ratio(a: float | None, b: float | None) -> str:
    return f"{b / a:.1f}x" if a and b is not None else "—"


def compare_engines(args: argparse.Namespace) -> None:
    root = demo1m.ensure(args.warehouse)
    env = _env(args.spark_driver_memory, args.spark_conf)
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    saved: dict[tuple[str, str], Path] = {}
    with tempfile.TemporaryDirectory(prefix="engines-") as scratch:
        for task in args.tasks:
            for engine in args.engines:
                print(f"running {task} on {engine}", file=sys.stderr, flush=True)
                save = Path(scratch) / f"{engine}-{task}.pickle"
                runs[engine, task] = _run_child(
                    root, engine, task, repeats=args.repeats, save=save, limit_s=args.time_limit * 60, env=env
                )
                saved[engine, task] = save
        loaded = {}
        for key, path in saved.items():
            if path.exists():
                with path.open("rb") as handle:
                    loaded[key] = pickle.load(handle)
    spark = [r for (e, _), r in runs.items() if e == "spark" and "failed" not in r]
    duck = [r for (e, _), r in runs.items() if e == "duckdb" and "failed" not in r]
    missing = {"failed": "not run", "tree_peak_gb": 0}
    print("\n| task | DuckDB | Spark | Spark / DuckDB | DuckDB peak memory | Spark peak memory |")
    print("|---|---|---|---|---|---|")
    if spark:
        s = [r["jvm_start_s"] + r["open_s"] for r in spark]
        d = statistics.median(r["open_s"] for r in duck) if duck else None
        print(
            f"| start-up: Spark's JVM and session, then open the warehouse (median of {len(s)} processes) | "
            f"{'—' if d is None else f'{d:.2f} s'} (open) | {statistics.median(s):.2f} s "
            f"(JVM {statistics.median(r['jvm_start_s'] for r in spark):.2f} s + open "
            f"{statistics.median(r['open_s'] for r in spark):.2f} s) | — | | |"
        )
    if spark or duck:
        d = statistics.median(r["count_s"] for r in duck) if duck else None
        c = statistics.median(r["count_s"] for r in spark) if spark else None
        print(
            "| one query: count the interactions, engine warm (median of the processes) | "
            f"{'—' if d is None else f'{d:.2f} s'} | {'—' if c is None else f'{c:.2f} s'} | {_ratio(d, c)} | | |"
        )
    agreement = []
    for task in args.tasks:
        d, s = runs.get(("duckdb", task), missing), runs.get(("spark", task), missing)
        for step, _ in _steps(task):
            dt, dcold = _seconds(d, step)
            st, scold = _seconds(s, step)
            print(f"| {step} | {dt} | {st} | {_ratio(dcold, scold)} | {_memory(d)} | {_memory(s)} |")
            if ("duckdb", task) in loaded and ("spark", task) in loaded:
                verdict = _agreement(loaded["duckdb", task][step], loaded["spark", task][step])
            else:
                verdict = "not compared: an engine did not finish"
            agreement.append((step, verdict))
    print("\n| result | DuckDB against Spark |\n|---|---|")
    for step, verdict in agreement:
        print(f"| {step} | {verdict} |")
    for r in runs.values():
        if "failed" in r:
            print(f"\n{r['engine']} {r['task']} {r['failed']}:\n{r['error']}")
    print(json.dumps({"runs": list(runs.values()), "agreement": dict(agreement)}, indent=2))


def scaled_moment_map(args: argparse.Namespace) -> None:
    source = demo1m.ensure(args.warehouse)
    target = args.scaled or source.with_name(f"{source.name}_interactions_x{args.scale_interactions}")
    print(f"building {target} ({args.scale_interactions} copies of the interactions)", file=sys.stderr, flush=True)
    start = time.perf_counter()
    build_scaled(source, target, args.scale_interactions)
    print(f"  ready after {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    env = _env(args.spark_driver_memory, args.spark_conf)
    runs, loaded = [], {}
    with tempfile.TemporaryDirectory(prefix="engines-") as scratch:
        for engine in args.engines:
            print(f"running the moment map on {engine}", file=sys.stderr, flush=True)
            save = Path(scratch) / f"{engine}.pickle"
            runs.append(
                _run_child(target, engine, "moments", repeats=0, save=save, limit_s=args.time_limit * 60, env=env)
            )
            if save.exists():
                with save.open("rb") as handle:
                    loaded[engine] = pickle.load(handle)["moment map"]
    print("\n| engine | contacts | moment map | peak memory | whole process |\n|---|---|---|---|---|")
    for r in runs:
        text, _ = _seconds(r, "moment map")
        contacts = f"{r['interactions']:,}" if "interactions" in r else "—"
        print(f"| {r['engine']} | {contacts} | {text} | {_memory(r)} | {r['wall_s']} s |")
    if len(loaded) == 2:
        print(f"\nmoment maps, DuckDB against Spark: {_agreement(loaded['duckdb'], loaded['spark'])}")
    for r in runs:
        if "failed" in r:
            print(f"\n{r['engine']} {r['failed']}:\n{r['error']}")
    print(json.dumps(runs, indent=2))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", type=Path, default=DEFAULT)
    p.add_argument("--repeats", type=int, default=2, help="warm repeats per analysis (default 2)")
    p.add_argument("--time-limit", type=float, default=40, help="minutes each process may run (default 40)")
    p.add_argument("--spark-driver-memory", help="ICONIC_SPARK_DRIVER_MEMORY for the Spark processes (default 4g)")
    p.add_argument("--scale-interactions", type=int, help="copies of the interactions for the moment-map run")
    p.add_argument("--scaled", type=Path, help="where the scaled warehouse goes (default: beside --warehouse)")
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES), help="engines to run (default both)")
    p.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="analyses to run (default all)")
    p.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="another Spark setting")
    p.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    p.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args.warehouse, args.engine, args.child, args.repeats, args.save)))
    elif args.scale_interactions:
        scaled_moment_map(args)
    else:
        compare_engines(args)


if __name__ == "__main__":
    main()
