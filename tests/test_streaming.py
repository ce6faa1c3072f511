"""No analysis brings a row-level table of unbounded size to this machine without reducing it first.

Interactions, surveys and invitations grow with the business; on a cluster they need not fit in one
process. Every query an analysis runs is inspected before it runs (an Ibis expression check): a
result that reads one of those tables must pass through an aggregation, a ``distinct``, a limit or
a sample on the way, or come back with at most one row per customer (a latest answer, say).
The one sanctioned way to take in raw rows for a local model is ``Warehouse.local``, which caps
them and samples whole customers past the cap.

Every call the pages make (``analytics.ui.cached.CALLS``) and the brief's numbers run under the
guard; a planted violation shows that the guard can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from analytics.analyses import advocacy, drivers, survival
from analytics.data import filters, warehouse
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.report import brief
from analytics.ui import cached

#: Tables whose rows grow with the business, not with the customer base.
ROW_LEVEL = frozenset({"interactions", "surveys", "invitations"})
#: Relations whose output no longer has a row per fact.
REDUCING = (ops.Aggregate, ops.Distinct, ops.Limit, ops.Sample)


def unreduced_source(node: ops.Node, memo: dict[str, str | None]) -> str | None:
    """The row-level table whose rows reach ``node``'s output one for one, if any."""
    if isinstance(node, ops.DatabaseTable):
        return node.name if node.name in ROW_LEVEL else memo.get(node.name)
    if isinstance(node, REDUCING):
        return None
    for child in node.__children__:
        if isinstance(child, ops.Relation | ops.JoinLink):
            found = unreduced_source(child, memo)
            if found:
                return found
    return None


def expression_source(expr: ir.Expr, memo: dict[str, str | None]) -> str | None:
    if isinstance(expr, ir.Scalar):
        return None  # one value
    if isinstance(expr, ir.Column):
        return next(filter(None, (unreduced_source(r, memo) for r in expr.op().relations)), None)
    return unreduced_source(expr.op(), memo)


def one_row_per_customer(result: Any) -> bool:
    frame = result.to_pandas() if isinstance(result, pa.Table) else result
    return isinstance(frame, pd.DataFrame) and "customer_id" in frame and frame["customer_id"].is_unique


class Guard:
    """Watches every query run on ``wh``'s engine and records the ones that bring row-level rows in."""

    def __init__(self, wh: Warehouse) -> None:
        self.found: list[str] = []
        self.memo: dict[str, str | None] = {}  # kept tables: what they were built from
        self._local = False
        for name in ("execute", "to_pyarrow", "to_pandas", "to_polars"):
            setattr(wh.con, name, self._checked(getattr(wh.con, name), name))
        self._wrap_kept_table(wh)
        self._wrap_local(wh)

    def _checked(self, run: Callable[..., Any], how: str) -> Callable[..., Any]:
        def checked(expr: ir.Expr, *args: Any, **kwargs: Any) -> Any:
            result = run(expr, *args, **kwargs)
            source = None if self._local else expression_source(expr, self.memo)
            if source and not one_row_per_customer(result):
                self.found.append(f"{how} of {source} rows:\n{expr.unbind()}")
            return result

        return checked

    def _wrap_kept_table(self, wh: Warehouse) -> None:
        original = wh.kept_table

        def kept_table(key: Any, build: Callable[[], ibis.Table]) -> ibis.Table:
            built: list[str | None] = []

            def watched() -> ibis.Table:
                expr = build()
                built.append(expression_source(expr, self.memo))
                return expr

            table = original(key, watched)
            if built:
                for node in table.op().find(ops.DatabaseTable):
                    self.memo[node.name] = built[0]
            return table

        wh.kept_table = kept_table  # type: ignore[method-assign]

    def _wrap_local(self, wh: Warehouse) -> None:
        original = wh.local

        def local(*args: Any, **kwargs: Any) -> pa.Table:
            self._local = True
            try:
                return original(*args, **kwargs)
            finally:
                self._local = False

        wh.local = local  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def root(segmented_demo: Path) -> Path:
    return segmented_demo


@pytest.fixture
def guarded(root: Path) -> Iterator[tuple[Warehouse, Guard]]:
    wh = warehouse.open(root)
    yield wh, Guard(wh)
    wh.close()


SCOPES = (ALL_DATA, Filters(start=date(2025, 10, 1), end=date(2026, 3, 31), channels=("voice", "chat")))


@pytest.mark.slow
@pytest.mark.parametrize("scope", SCOPES, ids=["all", "filtered"])
def test_no_page_call_brings_row_level_rows_in(guarded: tuple[Warehouse, Guard], scope: Filters) -> None:
    wh, guard = guarded
    ran = 0
    for name, call in cached.CALLS.items():
        for variant in call.arguments(wh):
            before = len(guard.found)
            try:
                call.fn(wh, scope, **variant) if call.scoped else call.fn(wh, **variant)
            except ValueError as exc:  # more segments than the scope's customers can fill
                assert name == "segment" and "can support at most" in str(exc), exc
            ran += 1
            assert len(guard.found) == before, f"{name}({variant}) under {scope.describe()}:\n" + "\n".join(
                guard.found[before:]
            )
    content = brief.brief_content(wh, scope)
    assert content.kpis and not guard.found, "\n".join(guard.found)
    assert ran > 100  # the registry was really walked


def test_the_guard_catches_raw_rows_and_lets_reductions_through(guarded: tuple[Warehouse, Guard]) -> None:
    wh, guard = guarded
    contacts = filters.interactions(wh, ALL_DATA)
    contacts.select("customer_id", "started_at").execute()
    assert len(guard.found) == 1 and "interactions" in guard.found[0]
    wh.table("surveys").ltr.execute()  # a column of every answer
    assert len(guard.found) == 2 and "surveys" in guard.found[1]
    joined = wh.table("customers").join(wh.table("surveys"), "customer_id")
    joined.select("segment", "ltr").to_pyarrow()  # a join keeps every answer
    assert len(guard.found) == 3
    # Reductions, one row per customer, a bounded sample and Warehouse.local are fine.
    contacts.group_by("channel").aggregate(n=contacts.count()).execute()
    contacts.count().execute()
    contacts.select("customer_id").distinct().execute()
    contacts.limit(5).execute()
    advocacy.responses(wh, ALL_DATA, kind="relationship").execute()  # each customer's latest answer
    wh.local(wh.table("surveys").select("customer_id", "ltr"))
    assert len(guard.found) == 3, guard.found[3:]


def test_local_samples_whole_customers_past_its_cap(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = warehouse.open(root)
    answers = wh.table("surveys").select("customer_id", "survey_id")
    everything = wh.local(answers)
    assert warehouse.sampled_share(everything) == 1.0
    total = everything.num_rows
    capped = wh.local(answers, cap=total // 4)
    share = warehouse.sampled_share(capped)
    assert share == pytest.approx(0.25, rel=0.01)
    kept = capped.to_pandas()
    assert 0 < len(kept) < total / 2
    # Each kept customer brings every one of their answers.
    all_rows = everything.to_pandas()
    expected = all_rows[all_rows["customer_id"].isin(kept["customer_id"])]
    assert sorted(kept["survey_id"]) == sorted(expected["survey_id"])
    # The local steps say when they were fitted on a sample.
    monkeypatch.setenv("ICONIC_LOCAL_ROWS", str(total // 4))
    fresh = warehouse.open(root)
    result = drivers.driver_analysis(fresh, bootstrap=20)
    assert "Fitted on" in result.note and "of the customers in scope" in result.note
    cox = survival.hazard_ratios(fresh)
    assert "Fitted on" in cox.note
    monkeypatch.delenv("ICONIC_LOCAL_ROWS")
    assert "Fitted on" not in drivers.driver_analysis(warehouse.open(root), bootstrap=20).note
