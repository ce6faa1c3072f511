"""One priority list: its order from given rows, and the same first item from every surface that asks."""

from __future__ import annotations

import json
import math
import types
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics import cli
from analytics.analyses import priorities
from analytics.analyses.moments import ActionRule
from analytics.data import warehouse
from analytics.data.filters import Filters
from analytics.report import brief


def _map(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A moment map with the given moments; unnamed numbers are set to plain defaults."""
    base = {"volume": 1000, "met_rate": 0.6, "n": 400, "n_met": 200, "n_not_met": 200, "swing": 20.0}
    base |= {"swing_low": 10.0, "swing_high": 30.0, "swing_p": 0.001, "at_stake": 80.0, "answers_needed": math.nan}
    return pd.DataFrame([{**base, **r} for r in rows])


def _case(money: dict[str, tuple[float, float, float]]) -> object:
    """A value case whose moments carry the given (value, low, high) per contact reason."""
    rows = [
        {"journey_stage": "s", "contact_reason": r, "value": v, "value_low": lo, "value_high": hi}
        | {"contacts_per_year": 10.0, "customers_affected": 5, "status": "ok"}
        for r, (v, lo, hi) in money.items()
    ]
    return types.SimpleNamespace(moments=pd.DataFrame(rows), assumptions=types.SimpleNamespace(confidence=0.9))


def test_the_list_ranks_sure_money_first_then_promoters_then_right_size_then_nothing_to_judge() -> None:
    table = _map(
        [
            {"journey_stage": "s", "contact_reason": "small_sure", "action": "Fix", "at_stake": 10.0},
            {"journey_stage": "s", "contact_reason": "big_sure", "action": "Fix", "at_stake": 5.0},
            {"journey_stage": "s", "contact_reason": "big_unsure", "action": "Fix", "at_stake": 900.0},
            {"journey_stage": "s", "contact_reason": "unclear_many", "action": "Unclear", "at_stake": 300.0},
            {"journey_stage": "s", "contact_reason": "cheap_big", "action": "Right-size", "volume": 9000},
            {"journey_stage": "s", "contact_reason": "cheap_small", "action": "Right-size", "volume": 100},
            {"journey_stage": "s", "contact_reason": "thin", "action": "Too few responses", "volume": 50},
        ]
    )
    case = _case(
        {
            "small_sure": (10_000.0, 2_000.0, 18_000.0),
            "big_sure": (50_000.0, 20_000.0, 80_000.0),
            "big_unsure": (90_000.0, -5_000.0, 180_000.0),
            "cheap_big": (-3_000.0, -9_000.0, 2_000.0),
        }
    )
    ranked = priorities.rank(table, case)  # type: ignore[arg-type]
    assert list(ranked["contact_reason"]) == [
        "big_sure",  # money above zero, most money
        "small_sure",
        "big_unsure",  # money uncertain: by net promoters at stake
        "unclear_many",
        "cheap_big",  # Right-size, by volume
        "cheap_small",
        "thin",  # nothing to judge
    ]
    assert list(ranked["rank"]) == list(range(1, 8))
    assert (
        list(ranked["money"])
        == ["above zero", "above zero", "uncertain", "not estimated", "uncertain"] + ["not estimated"] * 2
    )
    assert "money is uncertain" in ranked.set_index("contact_reason").loc["big_unsure", "sentence"]
    assert "keeps about $50.0k of lifetime margin a year (90% interval $20.0k to $80.0k)" in ranked.iloc[0]["sentence"]


def test_worth_most_needs_an_interval_above_zero() -> None:
    table = _map([{"journey_stage": "s", "contact_reason": "a", "action": "Fix"}])
    unsure = priorities.PriorityList(
        priorities.rank(table, _case({"a": (9e5, -1.0, 2e6)})),  # type: ignore[arg-type]
        ActionRule(),
        None,  # type: ignore[arg-type]
        _case({"a": (9e5, -1.0, 2e6)}),  # type: ignore[arg-type]
    )
    assert unsure.worth_most() is None
    sure = priorities.PriorityList(
        priorities.rank(table, _case({"a": (9e5, 1.0, 2e6)})),  # type: ignore[arg-type]
        ActionRule(),
        None,  # type: ignore[arg-type]
        _case({"a": (9e5, 1.0, 2e6)}),  # type: ignore[arg-type]
    )
    assert sure.worth_most() is not None and sure.worth_most()["contact_reason"] == "a"


def test_a_small_swing_whose_fix_surely_pays_is_not_advised_cheaper() -> None:
    """Right-size needs evidence the effect is small; a value case sure that fixing pays is evidence
    against it, so the list says Unclear."""
    table = _map([{"journey_stage": "s", "contact_reason": "a", "action": "Right-size", "swing_high": 8.0}])
    ranked = priorities.rank(table, _case({"a": (40_000.0, 10_000.0, 70_000.0)}))  # type: ignore[arg-type]
    row = ranked.iloc[0]
    assert row["action"] == "Unclear" and row["tier"] == priorities.TIERS[0]
    assert "look closer before serving it more cheaply" in row["sentence"]


def test_without_the_value_case_the_list_ranks_by_promoters_and_says_so() -> None:
    table = _map(
        [
            {"journey_stage": "s", "contact_reason": "a", "action": "Fix", "at_stake": 10.0},
            {"journey_stage": "s", "contact_reason": "b", "action": "Fix", "at_stake": 30.0},
        ]
    )
    plist = priorities.PriorityList(priorities.rank(table, None), ActionRule(), None, None)  # type: ignore[arg-type]
    assert list(plist.table["contact_reason"]) == ["b", "a"]
    assert plist.table["value"].isna().all() and set(plist.table["money"]) == {"not estimated"}
    assert "The value case was not run" in plist.ranking


# --- the same first item from every surface --------------------------------------------------------


def _first_from_the_cli(root: Path, scope_args: list[str], capsys: pytest.CaptureFixture[str]) -> list[object]:
    assert cli.main(["analyze", "moments", "--json", "--warehouse", str(root), *scope_args]) == 0
    # The whole list is printed; the first item is the first with something to judge, as for `top`.
    listed = [p for p in json.loads(capsys.readouterr().out)["priorities"] if p["tier"] != priorities.TIERS[3]]
    return [listed[0]["journey_stage"], listed[0]["contact_reason"], listed[0]["action"]] if listed else []


def _first_from_the_brief(
    root: Path, scope_args: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]
) -> list[object]:
    command = ["brief", "--out", str(tmp / "b.pdf"), "--json", "--warehouse", str(root), *scope_args]
    assert cli.main(command) == 0
    listed = json.loads(capsys.readouterr().out)["actions"]
    return [listed[0]["journey_stage"], listed[0]["contact_reason"], listed[0]["action"]] if listed else []


SCOPES = st.fixed_dictionaries(
    {
        "segments": st.lists(st.sampled_from(["consumer", "smb", "enterprise"]), unique=True, max_size=2),
        "channels": st.lists(st.sampled_from(["voice", "chat", "email", "web"]), unique=True, max_size=1),
        "start": st.sampled_from([None, date(2025, 7, 1), date(2026, 1, 1)]),
    }
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=SCOPES)
@example(drawn={"segments": ["smb"], "channels": ["web"], "start": date(2026, 1, 1)})  # nothing to judge
def test_every_surface_names_the_same_first_item(
    default_demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], drawn: dict[str, object]
) -> None:
    """Over drawn scopes: the library's first item is the CLI's and the brief's."""
    scope = Filters(
        start=drawn["start"],  # type: ignore[arg-type]
        segments=tuple(drawn["segments"]),  # type: ignore[arg-type]
        channels=tuple(drawn["channels"]),  # type: ignore[arg-type]
    )
    args = [f"--segment={s}" for s in scope.segments] + [f"--channel={c}" for c in scope.channels]
    args += [f"--start={scope.start}"] if scope.start else []
    wh = warehouse.open(default_demo)
    plist = priorities.priority_list(wh, scope)
    top = plist.top(1)
    expected = [] if top.empty else [top.iloc[0]["journey_stage"], top.iloc[0]["contact_reason"], top.iloc[0]["action"]]
    assert _first_from_the_cli(default_demo, args, capsys) == expected
    assert _first_from_the_brief(default_demo, args, tmp_path, capsys) == expected
    content = brief.brief_content(wh, scope)
    assert list(content.actions["moment"][:1]) == list(top["moment"])


def test_a_real_swing_near_the_threshold_is_acted_on_when_its_fix_surely_pays() -> None:
    """A swing whose interval clears 0 but still reaches the threshold reads Unclear on the map; with
    the value case sure that a fix pays, the list acts on it by delivery (here Fix: 60% met)."""
    table = _map(
        [{"journey_stage": "s", "contact_reason": "a", "action": "Unclear", "swing": 9.0, "swing_low": 6.0}]
        + [{"journey_stage": "s", "contact_reason": "b", "action": "Unclear", "swing": 9.0, "swing_low": -2.0}]
    ).assign(swing_high=12.0, value_ratio=1.0)
    money = {"a": (40_000.0, 10_000.0, 70_000.0), "b": (40_000.0, 10_000.0, 70_000.0)}
    ranked = priorities.rank(table, _case(money)).set_index("contact_reason")  # type: ignore[arg-type]
    assert ranked.loc["a", "action"] == "Fix" and ranked.loc["a", "evidence_note"] == priorities.REAL_AND_PAYS
    assert "a real swing not shown to reach 10 points" in ranked.loc["a", "sentence"]
    # Not shown to be real: the money alone does not turn an unclear swing into an action.
    assert ranked.loc["b", "action"] == "Unclear" and ranked.loc["b", "evidence_note"] == ""


def test_on_the_demo_the_list_leads_with_the_moments_truly_worth_most(default_demo: Path) -> None:
    """The demo's generator knows what fixing each moment is truly worth (``demo.value_of_fixing``): the
    list's first three moments are the truth's top three, where ranking by net promoters at stake (the
    list before the value case) or by volume is not."""
    from analytics import demo

    plist = priorities.priority_list(warehouse.open(default_demo))
    truth = {r: demo.value_of_fixing(default_demo, r)["value"] for r in demo.REASONS}
    true_top = sorted(truth, key=truth.__getitem__, reverse=True)[:3]
    assert list(plist.table["contact_reason"][:3]) == true_top
    by_promoters = list(plist.table.sort_values("at_stake", ascending=False)["contact_reason"][:3])
    assert by_promoters != true_top
