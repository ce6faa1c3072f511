"""Crash safety and isolation: a killed ingest leaves no partial rows; readers never see a mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.data import catalog, ingest, warehouse
from tests.conftest import valid_interactions

pytestmark = pytest.mark.slow


def _start_ingest(path: Path, wh_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "analytics.cli", "ingest", "interactions", str(path), "--warehouse", str(wh_path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _kill_when(proc: subprocess.Popen[str], stage: str, timeout: float = 120) -> bool:
    """SIGKILL the ingest as soon as it reports ``stage``; False if it finished first."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    for line in proc.stderr:
        if stage in line:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        if time.monotonic() > deadline:
            break
    proc.wait()
    return False


@pytest.mark.parametrize("stage", ["casting", "validating", "quarantining", "committing"])
def test_kill_mid_ingest_leaves_the_warehouse_as_it_was(stage: str, tmp_path: Path, wh_path: Path) -> None:
    first = tmp_path / "first.csv"
    valid_interactions(1000).to_csv(first, index=False)
    ingest.ingest("interactions", first, warehouse_path=wh_path)
    before = warehouse.open(wh_path)
    rows_before = int(before.table("interactions").count().execute())

    big = valid_interactions(400_000, start=10_000)
    big.loc[5:50, "channel"] = "fax"  # a few bad rows, so there is a quarantine stage to kill in
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False)

    killed = _kill_when(_start_ingest(path, wh_path), stage)
    assert killed, f"ingest finished before reaching {stage!r}"

    after = warehouse.open(wh_path)
    rows_after = int(after.table("interactions").count().execute())
    history = catalog.ingest_history(after)
    if after.versions["interactions"] == before.versions["interactions"]:
        assert rows_after == rows_before
        assert len(history) == 1
        assert catalog.quarantined_rows(after, "interactions").empty  # orphans of the dead batch stay hidden
    else:  # killed after the commit landed: the whole batch is there, never part of it
        assert rows_after == rows_before + len(big) - 46

    # The file can simply be ingested again, and the counts reconcile.
    result = ingest.ingest("interactions", path, warehouse_path=wh_path)
    assert result.status in {"committed", "unchanged"}
    final = warehouse.open(wh_path)
    assert int(final.table("interactions").count().execute()) == rows_before + len(big) - 46
    assert len(catalog.quarantined_rows(final, "interactions", limit=None)) == 46


def test_readers_see_whole_batches_while_an_ingest_runs(tmp_path: Path, wh_path: Path) -> None:
    batch = 50_000
    files = []
    for i in range(4):
        path = tmp_path / f"part{i}.csv"
        valid_interactions(batch, start=1 + i * batch).to_csv(path, index=False)
        files.append(path)
    ingest.ingest("interactions", files[0], warehouse_path=wh_path)

    script = (
        "import sys; from analytics.data.ingest import ingest\n"
        "for f in sys.argv[2:]: ingest('interactions', f, warehouse_path=sys.argv[1])\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(wh_path), *map(str, files[1:])])
    seen = set()
    try:
        while writer.poll() is None:
            wh = warehouse.open(wh_path)  # never blocks on the writer's lock
            count = int(wh.table("interactions").count().execute())
            assert count % batch == 0, f"reader saw a partial batch: {count} rows"
            # A pinned handle keeps answering from its own version, even after new commits.
            assert int(wh.table("interactions").count().execute()) == count
            seen.add(count)
            time.sleep(0.05)
    finally:
        writer.wait(timeout=300)
    assert writer.returncode == 0
    assert int(warehouse.open(wh_path).table("interactions").count().execute()) == 4 * batch
    assert len(seen) >= 2, f"the reader only ever saw {seen}"
