"""Every known failure of an `iconic` command is one line with exit 2 (usage or environment), never a
traceback, and leaves the warehouse as it was; an unexpected one points to --debug."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics import cli
from tests.conftest import valid_interactions


def iconic(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _latin1_mapping(d: Path) -> list[str]:
    mapping = d / "map.yaml"
    mapping.write_bytes("rename:\n  Canal: channel\n  Raison: contact_reason  # facturación\n".encode("latin-1"))
    return ["--mapping", str(mapping)]


def _mapping(text: str) -> Callable[[Path], list[str]]:
    def write(d: Path) -> list[str]:
        path = d / "map.yaml"
        path.write_text(text)
        return ["--mapping", str(path)]

    return write


CASES: dict[str, tuple[Callable[[Path], list[str]], dict[str, str], str]] = {
    "mapping saved as Latin-1": (_latin1_mapping, {}, "the mapping is not UTF-8 text"),
    "date format DuckDB cannot parse": (_mapping('date_formats:\n  started_at: "%Q-%d"\n'), {}, "uses %Q, which is not a date or time code"),
    "quote of two characters": (_mapping("csv: {quote: \"''\"}\n"), {}, "csv.quote must be one character"),
    "quarantine share not a number": (lambda d: [], {"ICONIC_MAX_QUARANTINE_SHARE": "abc"}, "must be a number from 0 to 1"),
    "expectations folder missing": (lambda d: [], {"ICONIC_EXPECTATIONS": "/no/such/folder"}, "not a folder of expectation suites"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_setting_or_mapping_is_one_line_and_exit_2(name: str, tmp_path: Path) -> None:
    make, env, says = CASES[name]
    data = tmp_path / "contacts.csv"
    valid_interactions(20).to_csv(data, index=False)
    root = tmp_path / "wh"
    out = iconic("ingest", "interactions", str(data), *make(tmp_path), "--warehouse", str(root), env=env)
    assert out.returncode == 2, out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr
    assert [line for line in out.stderr.splitlines() if not line.startswith("[")] == [out.stderr.splitlines()[-1]]
    assert not (root / "interactions").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["status", "--last", "-1"], "argument --last: must be at least 0, got -1"),
        (["demo", "--customers", "0"], "argument --customers: must be at least 100, got 0"),
        (["demo", "--customers", "many"], "argument --customers: not a whole number: 'many'"),
    ],
)
def test_impossible_numbers_are_usage_errors(args: list[str], says: str, tmp_path: Path) -> None:
    out = iconic(*args, "--warehouse", str(tmp_path / "wh"))
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "wh").exists()


def test_a_warehouse_that_cannot_be_created_is_an_environment_error(tmp_path: Path) -> None:
    data = tmp_path / "contacts.csv"
    valid_interactions(20).to_csv(data, index=False)
    out = iconic("ingest", "interactions", str(data), "--warehouse", "/proc/iconic-warehouse")
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines()[-1].startswith("error: cannot write to the warehouse at /proc/iconic-warehouse: ")
    assert "Traceback" not in out.stderr


def test_an_unexpected_failure_is_one_line_pointing_to_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo_warehouse: Path
) -> None:
    from analytics.data import catalog

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr(catalog, "table_summary", broken)
    assert cli.main(["status", "--warehouse", str(demo_warehouse)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: unexpected RuntimeError: something nobody expected. Run again with --debug for the traceback\n"
    )
    for argv in (["--debug", "status"], ["status", "--debug"]):
        with pytest.raises(RuntimeError, match="something nobody expected"):
            cli.main([*argv, "--warehouse", str(demo_warehouse)])


def test_a_damaged_commit_names_the_table_and_version_and_the_way_back(demo_warehouse: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    log = root / "ingest_log" / "_delta_log"
    latest = sorted(log.glob("*.json"))[-1]
    version = int(latest.stem)
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])  # a commit cut short
    data = tmp_path / "contacts.csv"
    valid_interactions(20, start=900_000).to_csv(data, index=False)
    for args in (["status"], ["ingest", "interactions", str(data)]):
        out = iconic(*args, "--warehouse", str(root))
        assert out.returncode == 2, out.stderr
        last = out.stderr.splitlines()[-1]
        assert last.startswith(f"error: table 'ingest_log' cannot be read: its latest commit, version {version} (")
        assert f"To go back to version {version - 1}, move {latest.name} out of {log}" in last
        assert "Traceback" not in out.stderr
    # Following the advice brings the table back as it was before that commit.
    latest.rename(tmp_path / latest.name)
    out = iconic("status", "--warehouse", str(root))
    assert out.returncode == 0, out.stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly(demo_warehouse: Path) -> None:
    cmd = f"{sys.executable} -m analytics.cli status --warehouse {demo_warehouse} | head -1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("warehouse ") and out.stderr == ""


def test_quality_on_an_empty_warehouse_says_nothing_is_stored(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    root.mkdir()
    out = iconic("quality", "--warehouse", str(root))
    assert out.returncode == 0 and out.stdout.strip() == (
        f"nothing is stored in {root} yet: ingest a file first (`iconic ingest TABLE FILE`)"
    )


def test_a_full_disk_during_the_commit_is_one_line_and_the_warehouse_stays_whole(
    demo_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from deltalake.exceptions import DeltaError

    from analytics.data import warehouse

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    before = warehouse.open(root)
    versions, contacts = dict(before.versions), int(before.table("interactions").count().execute())

    def full(*_: object, **__: object) -> int:
        raise DeltaError("Generic LocalFileSystem error: No space left on device (os error 28)")

    monkeypatch.setattr(warehouse, "append", full)
    data = tmp_path / "contacts.csv"
    valid_interactions(20, start=900_000).to_csv(data, index=False)
    assert cli.main(["ingest", "interactions", str(data), "--warehouse", str(root)]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "error: the warehouse could not be read or written (Generic LocalFileSystem error: No space left on "
        "device (os error 28)); nothing partial was committed"
    )
    after = warehouse.open(root)
    assert after.versions == versions and int(after.table("interactions").count().execute()) == contacts
