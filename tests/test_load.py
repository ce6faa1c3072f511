"""Many sessions on a served dashboard, through Streamlit's websocket protocol: no errors, and servers
that share a warehouse agree while an ingest commits. Small versions of ``benchmarks/load_benchmark.py``;
they assert what was shown, never how long it took."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics import cli
from analytics.data import warehouse
from analytics.ui.load import Session, Visit, arrive_together
from analytics.ui.serve import running

VERSION = re.compile(r"data version `([0-9a-f]+)`")


def test_sessions_arriving_together_on_a_fresh_server_see_no_error(demo_warehouse: Path) -> None:
    """A team arriving after a restart: every session opens every page at once, in two scopes, on
    one fresh server (one warehouse handle, nothing computed yet)."""
    with running(demo_warehouse) as (url, _):
        visits = asyncio.run(arrive_together(url, sessions=5, queries=("", "channel=voice"), seed=1))
    failed = [(v.page, v.query, v.errors) for v in visits if v.errors]
    assert not failed, failed
    pages = {v.page for v in visits}
    assert len(pages) >= 7 and len(visits) == 5 * len(pages)
    assert all(v.texts for v in visits), "a page showed nothing"


def _new_contacts(root: Path, folder: Path) -> Path:
    """A file of contacts not yet stored: a tenth of the stored ones under new ids."""
    wh = warehouse.open(root)
    t = wh.table("interactions")
    frame = t.filter(t.interaction_id.hash() % 10 == 0).execute()
    wh.close()
    frame["interaction_id"] = frame["interaction_id"] + "-new"
    path = folder / "new_contacts.parquet"
    frame.to_parquet(path, index=False)
    return path


async def _watch(urls: tuple[str, str], ingest: list[str], *, deadline_s: float = 120) -> list[tuple[int, Visit]]:
    """Open the Data quality page (it names the data version and counts every table) on both
    servers, again and again, while ``ingest`` runs, until both show the data it committed; each
    visit with the server it came from."""
    sessions = [(await Session.open(url))[0] for url in urls]
    proc = await asyncio.create_subprocess_exec(*ingest, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: list[tuple[int, Visit]] = []
    end = time.monotonic() + deadline_s
    try:
        while time.monotonic() < end:
            for i, session in enumerate(sessions):
                seen.append((i, await session.visit(session.page("data_quality"))))
            committed = proc.returncode is not None
            versions = [_version(v) for _, v in seen[-2:]]
            if committed and len(set(versions)) == 1 and versions[0] != _version(seen[0][1]):
                break
            await asyncio.sleep(0.5)
        await proc.wait()
    finally:
        for session in sessions:
            await session.close()
    assert proc.returncode == 0, "the ingest failed"
    return seen


def _version(visit: Visit) -> str | None:
    return next((m.group(1) for t in visit.texts if (m := VERSION.search(t))), None)


def test_two_servers_on_one_warehouse_give_the_same_answers_while_an_ingest_commits(
    demo_warehouse: Path, tmp_path: Path
) -> None:
    """Several server processes behind a proxy share one warehouse (see the README). While another
    process commits new contacts, every page either server shows belongs to one data version, both
    show the same for the same version, and both move to the new data without a restart."""
    root = tmp_path / "warehouse"
    shutil.copytree(demo_warehouse, root)
    contacts = _new_contacts(root, tmp_path)
    before = warehouse.open(root).data_version
    ingest = [sys.executable, "-m", "analytics.cli", "ingest", "interactions", str(contacts), "--warehouse", str(root)]
    with running(root) as (first, _), running(root) as (second, _):
        seen = asyncio.run(_watch((first, second), ingest))
    after = warehouse.open(root).data_version
    assert after != before
    failed = [v.errors for _, v in seen if v.errors]
    assert not failed, failed
    shown: dict[str | None, set[tuple[str, ...]]] = {}
    for _, visit in seen:
        shown.setdefault(_version(visit), set()).add(visit.texts)
    assert set(shown) == {before, after}, "a page showed no data version, or one that was never committed"
    assert all(len(texts) == 1 for texts in shown.values()), "the servers disagreed on one data version"
    assert {_version(v) for i, v in seen[-2:]} == {after}


async def _every_page(url: str) -> list[Visit]:
    session, home = await Session.open(url)
    visits = [home]
    for page in session.pages:
        visits.append(await session.visit(page))
    await session.close()
    return visits


def test_warm_leaves_every_page_complete_for_the_next_visitor(
    demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`iconic warm` after a restart or the nightly load: it opens every page until nothing is still
    computed in the background, and the next visitor, who waits for nothing, gets whole pages."""
    monkeypatch.setenv("ICONIC_WAIT_S", "0")  # pages never wait: what is not kept shows as on its way
    with running(demo_warehouse) as (url, _):
        assert cli.main(["warm", "--url", url]) == 0
        printed = capsys.readouterr().out
        visits = asyncio.run(_every_page(url))
    assert printed.count("ready") == len(visits) - 1  # every page; the first visit is the arrival
    assert all(v.ok and v.complete for v in visits), [(v.page, v.errors) for v in visits if not v.complete]
