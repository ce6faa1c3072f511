"""The 1 M-customer demo the analysis benchmarks run on, built once through the CLI when missing, and
the harness they share: each task in a process of its own, and what was measured printed as Markdown
rows and JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).resolve().parent / "out" / "demo1m"


def ensure(warehouse: Path = DEFAULT) -> Path:
    """``warehouse``, after building the 1 M-customer demo there if it has no customers yet (about
    7 minutes and a 7.6 GB peak on 2 cores)."""
    if not (warehouse / "customers").exists():
        print(f"building the 1 M-customer demo at {warehouse} (about 7 minutes)", file=sys.stderr, flush=True)
        command = [
            sys.executable,
            "-m",
            "analytics.cli",
            "demo",
            "--customers",
            "1000000",
            "--warehouse",
            str(warehouse),
        ]
        subprocess.run(command, check=True)
    return warehouse


def run_children(script: str, warehouse: Path, tasks: Iterable[str]) -> list[dict[str, Any]]:
    """Run ``script --child TASK --warehouse W`` once per task, each in its own process so that its
    peak memory is its own; return the JSON each prints last."""
    results = []
    for task in tasks:
        print(f"running {task}", file=sys.stderr, flush=True)
        command = [sys.executable, script, "--child", task, "--warehouse", str(warehouse)]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def print_results(results: list[dict[str, Any]], row: str, *, header: str = "") -> None:
    """Print ``header`` (when given), one Markdown row per result, ``row`` filled in with its fields
    (``"| {what} | {cold_s} s |"``), then every result as JSON."""
    if header:
        print(header)
    for r in results:
        print(row.format_map(r))
    print(json.dumps(results, indent=2))


def task_parser(description: str | None) -> argparse.ArgumentParser:
    """The options of a benchmark run by ``run_tasks``: ``--warehouse`` (the 1 M demo by default) and
    the hidden ``--child TASK`` its children are started with."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warehouse", type=Path, default=DEFAULT)
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p


def run_tasks(
    args: argparse.Namespace,
    script: str,
    child: Callable[[str, str], object],
    tasks: Iterable[str],
    row: str,
) -> None:
    """Be the child or the parent of a benchmark of tasks: given ``--child TASK``, print the JSON of
    ``child(warehouse, TASK)``; otherwise build the demo if missing, run each task in a child of
    ``script`` (``run_children``) and print the results (``print_results``)."""
    if args.child:
        print(json.dumps(child(str(args.warehouse), args.child)))
        return
    ensure(args.warehouse)
    print_results(run_children(script, args.warehouse, tasks), row)
