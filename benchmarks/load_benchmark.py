"""Load benchmark: many dashboard sessions at once, through Streamlit's websocket protocol (no browser).

    python benchmarks/load_benchmark.py                          # every case on the 20,000-customer demo
    python benchmarks/load_benchmark.py --case arrival --sessions 20
    python benchmarks/load_benchmark.py --case steady --minutes 5
    python benchmarks/load_benchmark.py --case ingest --minutes 5
    python benchmarks/load_benchmark.py --case cpu               # server CPU per warm page run
    python benchmarks/load_benchmark.py --source /path/to/other/checkout   # serve another version's code

Each case starts a fresh server (``iconic app`` on 127.0.0.1, stopped however the run ends) and
drives it with ``analytics.ui.load.Session``s; the pages are those the app's navigation declares.
Half the sessions look at ``channel=voice``, the rest at all data.

- **arrival**: ``--sessions`` sessions arrive at once on a fresh server and each opens every page
  once, in its own order. Target: no errors.
- **steady**: the sessions each open a page every 10-20 s for ``--minutes``. Target: no errors, page
  p95 under 3 s on the 20,000-customer demo.
- **ingest**: as steady, on a copy of the warehouse, while ``iconic ingest`` commits new contacts a
  third of the way in. Target: no errors, and the new data version shows on the Overview without a
  restart.
- **cpu**: one session opens each page until it is warm, then ``--repeats`` more times; the server
  process's CPU seconds per warm run (user + system, every thread) and the bytes it sent.

``--warm`` runs ``iconic warm`` on the fresh server (every page, in both scopes) before the sessions
arrive, as the README advises after a restart or the nightly load; the steady and ingest cases also
report the visits after their first minute, once the first computations are done.

Reported per page: visits, errors, p50 and p95 seconds; per case: the server's peak memory (VmHWM),
its CPU seconds, and the machine's load average before and after. Bounded: at most
``MAX_SESSIONS`` sessions and ``MAX_MINUTES`` minutes, each visit at most ``VISIT_TIMEOUT_S``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analytics.data import warehouse
from analytics.ui.load import Session, Visit, arrive_together, warm
from analytics.ui.serve import running

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "demo"
CASES = ("arrival", "steady", "ingest", "cpu")
SCOPES = ("", "channel=voice")
MAX_SESSIONS = 100
MAX_MINUTES = 30.0
VISIT_TIMEOUT_S = 120.0
#: Seconds between one session's page views in the steady cases.
THINK_S = (10.0, 20.0)


@dataclass
class Server:
    """A served dashboard: its URL and process id, to read its CPU and memory from /proc."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime, every thread

    def peak_rss_gb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
        return float("nan")


@contextmanager
def served(root: Path, source: Path | None) -> Iterator[Server]:
    """A fresh dashboard server on ``root``, running ``source``'s code when given (``python -m``
    looks in the working folder first, then ``PYTHONPATH``)."""
    with running(root.resolve(), source=source) as (url, proc):
        yield Server(url, proc.pid)


@dataclass
class Record:
    """Every visit of a case, with when it started (seconds into the case)."""

    visits: list[tuple[float, Visit]] = field(default_factory=list)

    def add(self, started: float, visit: Visit) -> None:
        self.visits.append((started, visit))
        if visit.errors:
            print(f"  error on {visit.page} ({visit.query or 'all data'}): {visit.errors[0][:300]}", file=sys.stderr)

    def by_page(self, since: float = 0.0) -> list[dict[str, Any]]:
        pages: dict[str, list[Visit]] = {}
        for started, v in self.visits:
            if started >= since:
                pages.setdefault(v.page, []).append(v)
        rows = [_summary(name, visits) for name, visits in pages.items()]
        everything = [v for started, v in self.visits if started >= since]
        return [*rows, _summary("all pages", everything)] if everything else rows


def _summary(name: str, visits: list[Visit]) -> dict[str, Any]:
    seconds = np.array([v.seconds for v in visits])
    return {
        "page": name,
        "visits": len(visits),
        "errors": sum(1 for v in visits if v.errors),
        "p50_s": round(float(np.percentile(seconds, 50)), 2),
        "p95_s": round(float(np.percentile(seconds, 95)), 2),
        "max_s": round(float(seconds.max()), 2),
        "mb_per_visit": round(float(np.mean([v.bytes_received for v in visits])) / 1e6, 3),
    }


async def steady(url: str, sessions: int, minutes: float, record: Record, *, seed: int = 0, during: Any = None) -> None:
    """Each session opens a random page every ``THINK_S`` seconds for ``minutes``; ``during`` (a
    coroutine) runs beside them."""
    t0 = time.perf_counter()
    end = t0 + minutes * 60

    async def one(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        query = SCOPES[i % len(SCOPES)]
        await asyncio.sleep(rng.uniform(0, THINK_S[0]))  # arrivals spread over the first seconds
        session, first = await Session.open(url, timeout_s=VISIT_TIMEOUT_S)
        record.add(time.perf_counter() - t0, first)
        try:
            while time.perf_counter() + THINK_S[0] < end:
                await asyncio.sleep(rng.uniform(*THINK_S))
                page = rng.choice(session.pages)
                started = time.perf_counter() - t0
                record.add(started, await session.visit(page, query, timeout_s=VISIT_TIMEOUT_S))
        finally:
            await session.close()

    tasks = [one(i) for i in range(sessions)]
    await asyncio.gather(*tasks, *([during] if during is not None else []))


def new_contacts(root: Path, folder: Path, *, share: float = 0.05) -> Path:
    """A file of new contacts for the ingest case: a sample of the stored ones with new ids."""
    wh = warehouse.open(root)
    t = wh.table("interactions")
    frame = t.filter(t.interaction_id.hash() % round(1 / share) == 0).execute()
    wh.close()
    frame["interaction_id"] = frame["interaction_id"] + "-load"
    path = folder / "new_contacts.parquet"
    frame.to_parquet(path, index=False)
    return path


async def ingest_during(root: Path, path: Path, delay_s: float, log: dict[str, Any], t0: float) -> None:
    """Wait ``delay_s``, then ingest ``path`` as a separate process would at night."""
    await asyncio.sleep(delay_s)
    log["started_s"] = round(time.perf_counter() - t0, 1)
    command = [sys.executable, "-m", "analytics.cli", "ingest", "interactions", str(path), "--warehouse", str(root)]
    proc = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    log["committed_s"] = round(time.perf_counter() - t0, 1)
    log["exit_code"] = proc.returncode
    log["output"] = out.decode(errors="replace").strip().splitlines()[-1:]
    log["data_version"] = warehouse.open(root).data_version


async def warm_cpu(server: Server, repeats: int, record: Record) -> list[dict[str, Any]]:
    """One session: every page until warm, then ``repeats`` more runs each, timed on the server's CPU."""
    await warm(server.url, deadline_s=MAX_MINUTES * 60)  # nothing left computing in the background
    session, first = await Session.open(server.url, timeout_s=VISIT_TIMEOUT_S)
    record.add(0.0, first)
    rows = []
    try:
        for page in session.pages:
            for _ in range(2):  # the first run computes, the second fills what a first run leaves cold
                record.add(0.0, await session.visit(page, timeout_s=VISIT_TIMEOUT_S))
            cpu, wall, size = [], [], []
            for _ in range(repeats):
                before = server.cpu_seconds()
                visit = await session.visit(page, timeout_s=VISIT_TIMEOUT_S)
                record.add(1.0, visit)
                cpu.append(server.cpu_seconds() - before)
                wall.append(visit.seconds)
                size.append(visit.bytes_received)
            rows.append(
                {
                    "page": page.name,
                    "cpu_s": round(float(np.median(cpu)), 3),
                    "wall_s": round(float(np.median(wall)), 3),
                    "mb_sent": round(float(np.median(size)) / 1e6, 3),
                }
            )
    finally:
        await session.close()
    return rows


def run_case(case: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    record = Record()
    sessions = 1 if case == "cpu" else args.sessions
    result: dict[str, Any] = {"case": case, "warehouse": str(root), "sessions": sessions}
    with tempfile.TemporaryDirectory(prefix="iconic-load-") as tmp:
        if case == "ingest":
            copy = Path(tmp) / "warehouse"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_sources"))
            root = copy
            contacts = new_contacts(root, Path(tmp))
        with served(root, args.source) as server:
            if args.warm and case != "cpu":
                start = time.perf_counter()
                warmed = asyncio.run(warm(server.url, queries=SCOPES))
                result["warmed_s"] = round(time.perf_counter() - start, 1)
                result["warm_errors"] = sum(1 for v in warmed if v.errors)
            cpu_before = server.cpu_seconds()
            t0 = time.perf_counter()
            if case == "arrival":
                visits = asyncio.run(
                    arrive_together(server.url, sessions=args.sessions, queries=SCOPES, seed=args.seed)
                )
                for v in visits:
                    record.add(0.0, v)
            elif case == "steady":
                asyncio.run(steady(server.url, args.sessions, args.minutes, record, seed=args.seed))
            elif case == "ingest":
                log: dict[str, Any] = {"before": warehouse.open(root).data_version}
                during = ingest_during(root, contacts, args.minutes * 60 / 3, log, t0)
                asyncio.run(steady(server.url, args.sessions, args.minutes, record, seed=args.seed, during=during))
                result["ingest"] = {k: v for k, v in log.items()}
                result["ingest"]["new_data_shown_s"] = _first_shown(record, log.get("data_version", ""))
            else:
                result["cpu_per_page"] = asyncio.run(warm_cpu(server, args.repeats, record))
            result["wall_s"] = round(time.perf_counter() - t0, 1)
            result["server_cpu_s"] = round(server.cpu_seconds() - cpu_before, 1)
            result["server_peak_gb"] = round(server.peak_rss_gb(), 2)
    result["pages"] = record.by_page()
    result["after_first_minute"] = record.by_page(since=60.0)[-1:] if case in ("steady", "ingest") else []
    result["visits"] = [
        {
            "started_s": round(t, 1),
            "page": v.page,
            "query": v.query,
            "seconds": round(v.seconds, 2),
            "errors": list(v.errors),
        }
        for t, v in record.visits
    ]
    result["load_before"] = [round(x, 2) for x in load_before]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _first_shown(record: Record, version: str) -> float | None:
    """Seconds into the case of the first visit whose page named the new data version."""
    shown = [started for started, v in record.visits if version and any(version in t for t in v.texts)]
    return round(min(shown), 1) if shown else None


def print_case(result: dict[str, Any]) -> None:
    load = "/".join(f"{x:g}" for x in result["load_before"]) + " → " + "/".join(f"{x:g}" for x in result["load_after"])
    print(
        f"\n### {result['case']}: {result['sessions']} sessions, {result['wall_s']} s, server CPU "
        f"{result['server_cpu_s']} s, peak {result['server_peak_gb']} GB, load average {load}\n"
    )
    if "cpu_per_page" in result:
        print("| page | server CPU per warm run | wall | sent |")
        print("|---|---|---|---|")
        for r in result["cpu_per_page"]:
            print(f"| {r['page']} | {r['cpu_s']} s | {r['wall_s']} s | {r['mb_sent']} MB |")
        return
    print("| page | visits | errors | p50 | p95 | max | MB per visit |")
    print("|---|---|---|---|---|---|---|")
    for r in result["pages"]:
        print(
            f"| {r['page']} | {r['visits']} | {r['errors']} | {r['p50_s']} s | {r['p95_s']} s | {r['max_s']} s "
            f"| {r['mb_per_visit']} |"
        )
    for r in result["after_first_minute"]:
        print(
            f"| after the first minute | {r['visits']} | {r['errors']} | {r['p50_s']} s | {r['p95_s']} s | {r['max_s']} s "
            f"| {r['mb_per_visit']} |"
        )
    if "warmed_s" in result:
        print(f"\nwarmed first (iconic warm, every page in both scopes): {result['warmed_s']} s")
    if "ingest" in result:
        print(f"\ningest: {json.dumps(result['ingest'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT)
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the steady and ingest cases")
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per page in the cpu case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--warm", action="store_true", help="warm every page in both scopes (iconic warm) before the sessions arrive"
    )
    parser.add_argument("--source", type=Path, help="a checkout whose code the server runs (default: this one)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}")
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be above 0 and at most {MAX_MINUTES:g}")
    # A SIGTERM unwinds like Ctrl-C, so the server started below is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not (args.warehouse / "customers").exists():
        print(f"building the demo at {args.warehouse}", file=sys.stderr)
        command = [sys.executable, "-m", "analytics.cli", "demo", "--warehouse", str(args.warehouse)]
        subprocess.run(command, check=True)
    results = []
    for case in CASES if args.case == "all" else (args.case,):
        print(f"running {case}", file=sys.stderr, flush=True)
        results.append(run_case(case, args.warehouse, args))
        print_case(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
