"""Shared fixtures: small valid tables, a throwaway warehouse, and one small demo warehouse per run."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analytics import demo
from analytics.analyses import segmentation
from analytics.data import ingest, warehouse
from analytics.data.engines import spark
from analytics.data.warehouse import Warehouse


def valid_interactions(n: int = 200, *, start: int = 1) -> pd.DataFrame:
    """``n`` valid interaction rows with ids I<start>…, all in 2024."""
    ids = range(start, start + n)
    return pd.DataFrame(
        {
            "interaction_id": [f"I{i}" for i in ids],
            "customer_id": [f"C{i % 17}" for i in ids],
            "started_at": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00" for i in ids],
            "channel": ["voice", "chat", "email", "web", "social", "ivr"] * (n // 6) + ["voice"] * (n % 6),
            "journey_stage": ["support"] * n,
            "contact_reason": ["billing_question"] * n,
            "handled_by": ["in_house"] * n,
            "wait_seconds": [30.5] * n,
            "transfers": [0] * n,
            "is_resolved": ["yes"] * n,
        }
    )


def valid_surveys(n: int = 200) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "survey_id": [f"S{i}" for i in range(n)],
            "customer_id": [f"C{i % 17}" for i in range(n)],
            "responded_at": ["2024-05-01"] * n,
            "ltr": [i % 11 for i in range(n)],
            "csat": [1 + i % 5 for i in range(n)],
            "rating_empathy": [3] * n,
        }
    )


def valid_invitations(n: int = 200) -> pd.DataFrame:
    """``n`` valid invitations: every third one a relationship invitation (no interaction)."""
    return pd.DataFrame(
        {
            "invitation_id": [f"V{i}" for i in range(n)],
            "customer_id": [f"C{i % 17}" for i in range(n)],
            "interaction_id": ["" if i % 3 == 0 else f"I{i}" for i in range(n)],
            "sent_at": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 09:30:00" for i in range(n)],
            "channel": ["email", "sms", "in_app", "email"] * (n // 4) + ["email"] * (n % 4),
        }
    )


def valid_customers(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "signup_at": ["2023-01-01"] * n,
            "churned_at": [""] * (n - 1) + ["2024-02-01"],
            "segment": ["consumer"] * n,
            "region": ["north"] * n,
            "plan": ["monthly"] * n,
            "monthly_revenue": [20.0] * n,
        }
    )


def load_tables(root: Path, tmp: Path, **tables: pd.DataFrame) -> Warehouse:
    """Ingest each frame as the named table (nothing may be quarantined) and open the warehouse."""
    for name, frame in tables.items():
        path = tmp / f"{name}.csv"
        frame.to_csv(path, index=False)
        result = ingest.ingest(name, path, warehouse_path=root, max_quarantine_share=0.0)
        assert result.status == "committed", result.message
    return warehouse.open(root)


@pytest.fixture
def wh_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse"


def shared_world(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A demo warehouse built once per test run and read by every test that asks for it.

    Under pytest-xdist each worker has its own session, so a session fixture alone would build the
    world once per worker. The first worker to ask builds it in the run's shared temporary folder,
    holding a lock; the others wait for it and read the same folder. Tests only read these worlds:
    one that needs to write copies the folder first.
    """
    shared = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # every worker's folder sits in the run's folder
    folder = shared / f"world-{name}"
    with open(shared / f"world-{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "built").exists():
                shutil.rmtree(folder, ignore_errors=True)
                build(folder / "warehouse")
                (folder / "built").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder / "warehouse"


def _committed(results: list[ingest.IngestResult]) -> None:
    assert all(r.status == "committed" for r in results), [r.message for r in results]


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo warehouse (400 customers, 12 months) built once through the validated ingest path."""
    return shared_world(
        tmp_path_factory, "small", lambda root: _committed(demo.build(root, customers=400, months=12, seed=3))
    )


@pytest.fixture(scope="session")
def segmented_demo(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small demo with a saved behavioural segmentation, so that every dimension can be
    cut. Tests only read it."""

    def build(root: Path) -> None:
        shutil.copytree(demo_warehouse, root)
        opened = warehouse.open(root)
        segmentation.save_assignments(opened, segmentation.segment(opened, k=3))
        opened.close()

    return shared_world(tmp_path_factory, "segmented", build)


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo at its default size (what `make demo` builds: 20,000 customers over 36 months), for
    checks that need its volume."""
    return shared_world(tmp_path_factory, "default", lambda root: _committed(demo.build(root)))


@pytest.fixture
def demo_env(demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ICONIC_WAREHOUSE at the demo warehouse for code that reads the environment."""
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(demo_warehouse))
    return demo_warehouse


#: Fixtures that bring a demo world: a test that asks for one is a world test, left out of `make check`.
#: Besides the shared worlds below, some modules build a world of the size their check needs.
WORLDS = {
    "demo_warehouse",
    "segmented_demo",
    "default_demo",
    "small_world",  # test_demo: 3,000 customers, as files
    "personas_world",  # test_segmentation: 3,000 customers over three years
}
#: ... and the default-size world makes it slow as well.
LARGE_WORLDS = {"default_demo"}
#: Modules that time what they serve (the browser and the many-sessions tests): they run after the
#: parallel part of `make test`, on a machine with nothing else to do.
SERIAL_MODULES = {"test_e2e.py", "test_load.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if WORLDS & fixtures:
            item.add_marker(pytest.mark.world)
        if LARGE_WORLDS & fixtures:
            item.add_marker(pytest.mark.slow)
        if item.path.name in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)
        if "spark" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("spark"))  # one worker, so one JVM for every Spark test
    # The browser test needs Debian's Chromium (installed by `make browser`); outside CI it is skipped
    # when missing, in CI it must run.
    if os.environ.get("CI") or Path("/usr/bin/chromium").exists():
        return
    skip = pytest.mark.skip(reason="Chromium not installed; run `make browser`")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


# Every process the suite starts inherits this mark, so the run can find what it left behind.
RUN_MARK = "ICONIC_TEST_RUN"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(RUN_MARK, f"{os.getpid()}-{time.time_ns()}")
    # Pages wait for every slow result (the test demos compute them in seconds), so every test sees
    # whole pages; tests/test_app.py checks the page that fills one in later on its own.
    os.environ.setdefault("ICONIC_WAIT_S", "600")


def leftover_processes() -> list[tuple[int, str]]:
    """Live processes (other than this one) started by this test run: pid and command line."""
    mark = f"{RUN_MARK}={os.environ.get(RUN_MARK, '')}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                continue  # a zombie holds no resources; its parent reaps it
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        found.append((int(entry.name), command))
    return found


def _stop_leftovers(session: pytest.Session) -> None:
    """Fail the run if a process it started is still alive once the tests are done, and stop it."""
    deadline = time.monotonic() + 10
    left = leftover_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = leftover_processes()
    if not left:
        return
    lines = "\n".join(f"  pid {pid}: {command[:200]}" for pid, command in left)
    print(f"\nThe test run left {len(left)} process(es) running; stopping them:\n{lines}", file=sys.stderr)
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Arrow's and DuckDB's native thread pools can outlive Python's own teardown and abort a process
# that has already finished (see analytics.cli.run). Once pytest has reported, leave the same way
# the CLI does, keeping pytest's exit status, so a finished run cannot turn red at exit.
_exit_status: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not hasattr(session.config, "workerinput"):
        spark.stop_spark()  # a Spark test that failed half-way may have left its JVM up
        _stop_leftovers(session)
    _exit_status.append(int(session.exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
