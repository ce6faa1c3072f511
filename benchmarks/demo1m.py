"""The 1 M-customer demo the analysis benchmarks run on, built once through the CLI when missing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
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
