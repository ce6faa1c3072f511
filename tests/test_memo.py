"""The memo: one build per key however many threads ask at once, different keys side by side, bounded;
and what analyses derive from a warehouse's data, kept per data version."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from analytics.data import memo as memo_mod
from analytics.data.memo import Memo


def at_once(threads: int, ask: Callable[[], Any]) -> list[Any]:
    """What ``ask`` returns on each of ``threads`` threads that start it together."""
    start = threading.Barrier(threads)
    got: list[Any] = []

    def run() -> None:
        start.wait()
        got.append(ask())

    running = [threading.Thread(target=run) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return got


def slow(value: int, builds: list[int]) -> Callable[[], int]:
    """A build that takes long enough for every thread to ask while it runs, and counts itself."""

    def build() -> int:
        builds.append(1)
        time.sleep(0.2)
        return value

    return build


def test_threads_asking_for_one_key_at_once_share_one_build() -> None:
    memo: Memo[int] = Memo(entries=4)
    builds: list[int] = []
    build = slow(42, builds)
    assert at_once(8, lambda: memo.get("scope", build)) == [42] * 8
    assert len(builds) == 1


def test_different_keys_are_built_side_by_side() -> None:
    """Two builds that each wait for the other to have started can only finish if they run at once."""
    memo: Memo[str] = Memo(entries=4)
    both = threading.Barrier(2, timeout=5)
    got: dict[str, str] = {}

    def build(key: str) -> str:
        both.wait()  # raises BrokenBarrierError after 5 s if the other build is not running
        return key

    def ask(key: str) -> None:
        got[key] = memo.get(key, lambda: build(key))

    threads = [threading.Thread(target=ask, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {"a": "a", "b": "b"}


def test_a_failed_build_raises_and_the_next_caller_builds_again() -> None:
    memo: Memo[int] = Memo(entries=4)

    def broken() -> int:
        raise RuntimeError("engine gone")

    with pytest.raises(RuntimeError, match="engine gone"):
        memo.get("k", broken)
    assert "k" not in memo
    assert memo.get("k", lambda: 7) == 7


def test_the_least_recently_used_go_first_past_the_count_and_the_budget() -> None:
    gone: list[int] = []
    budget = {"over": False}
    memo: Memo[int] = Memo(entries=3, over_budget=lambda: budget["over"], evicted=gone.append)
    for i in range(3):
        memo.get(i, lambda i=i: i)
    memo.get(0, lambda: -1)  # 0 is now the most recently used
    memo.get(3, lambda: 3)
    assert gone == [1]
    budget["over"] = True
    memo.get(4, lambda: 4)
    assert gone == [1, 2, 0, 3] and len(memo) == 1 and 4 in memo


@pytest.fixture
def forgetful() -> Iterator[None]:
    memo_mod.clear_derived()
    yield
    memo_mod.clear_derived()


def data(version: str) -> Any:
    """A stand-in for a warehouse handle: ``derived`` reads only its data version."""
    return SimpleNamespace(data_version=version)


@pytest.mark.usefixtures("forgetful")
def test_derived_values_are_kept_per_data_version_key_and_row_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[str] = []

    def build(label: str) -> str:
        builds.append(label)
        return label

    first, same_data, new_data = data("v1"), data("v1"), data("v2")
    assert memo_mod.derived(first, ("table", "all"), lambda: build("a")) == "a"
    assert memo_mod.derived(same_data, ("table", "all"), lambda: build("b")) == "a"  # another handle, same data
    assert memo_mod.derived(first, ("table", "smb"), lambda: build("c")) == "c"
    assert memo_mod.derived(new_data, ("table", "all"), lambda: build("d")) == "d"  # new data is never served old
    monkeypatch.setenv("ICONIC_LOCAL_ROWS", "1000")  # a model fitted on a sample is another model
    assert memo_mod.derived(first, ("table", "all"), lambda: build("e")) == "e"
    assert builds == ["a", "c", "d", "e"]


@pytest.mark.usefixtures("forgetful")
def test_threads_asking_for_one_derived_value_share_one_build() -> None:
    builds: list[int] = []
    build = slow(7, builds)
    assert at_once(6, lambda: memo_mod.derived(data("v1"), ("cox",), build)) == [7] * 6
    assert len(builds) == 1
