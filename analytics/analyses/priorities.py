"""One priority list: which moments of truth to act on first, what to do about each, and what each
is worth.

Every surface that answers "what do we fix first?" reads this list: the Moments of truth page, the
Value case, the Overview, the brief, and ``iconic analyze moments|impact`` with their JSON. Each
moment (journey stage x contact reason) carries its action (``moments.ActionRule``), its attitude
swing with its 95% interval, the value case's money with its interval (``impact.value_case``),
and one rank.

How the list is ordered (``RANKING``):

1. moments whose swing matters or is unclear, where the money a fix keeps is known and its
   interval lies above zero, by that money (largest first);
2. the other moments whose swing matters or is unclear, by net promoters at stake;
3. Right-size moments, by volume (where serving more cheaply saves most);
4. moments with nothing to judge (all met, too few responses), by volume.

Two reconciliations happen here, because only here are both pieces of evidence side by side
(``_reconcile``): a moment whose post-contact swing reads small (Right-size) but whose fix the
value case is sure pays is not shown to matter little, so it reads Unclear; and a swing shown to
be real whose only doubt is the threshold is acted on when the value case is sure a fix pays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.analyses import impact, moments
from analytics.analyses.moments import MOMENT, ActionRule, MetRule
from analytics.data.filters import ALL_DATA, Filters
from analytics.data.warehouse import Warehouse
from analytics.names import money as money_text
from analytics.stats.actions import ALL_MET, MATERIAL_ACTIONS, RIGHT_SIZE, TOO_FEW, UNCLEAR

RANKING = (
    "Ranked by the lifetime margin a fix keeps a year, where the value case is sure it is above zero; then by "
    "net promoters at stake; Right-size moments follow by volume, and moments with nothing to judge come last."
)
RANKING_WITHOUT_MONEY = (
    "Ranked by net promoters at stake (contacts a year not meeting expectations x swing); Right-size moments "
    "follow by volume, and moments with nothing to judge come last. The value case was not run, so no money is "
    "shown."
)
#: What the value case says of a moment's money.
MONEY_STATES = ("above zero", "uncertain", "below zero", "not estimated", "nothing to fix")
#: Tiers of the list, in order (``tier`` column).
TIERS = ("money above zero", "by net promoters at stake", "right-size", "nothing to judge")
MONEY_COLUMNS = ("value", "value_low", "value_high", "contacts_per_year", "customers_affected", "status")


@dataclass(frozen=True)
class PriorityList:
    """The moments of a scope in the order to act on them.

    ``table``: one row per moment, in rank order, with every column of ``moments.moment_map`` plus
    ``rank`` (1 first), ``moment`` (its name in words), ``tier`` (``TIERS``), ``value``,
    ``value_low``, ``value_high`` (lifetime margin a fix keeps a year, with the value case's
    interval; NaN where it has none), ``money`` (``MONEY_STATES``), ``contacts_per_year``,
    ``customers_affected``, ``evidence_note`` (why the action differs from the moment map's, when it
    does: ``_reconcile``) and ``sentence`` (what to do, in words). ``case``: the value case behind
    the money, or ``None`` when it was not run. ``notes``: what was left out and why.
    """

    table: pd.DataFrame
    rule: ActionRule
    met_rule: MetRule
    case: impact.ValueCase | None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.table.empty

    @property
    def ranking(self) -> str:
        """How the list is ordered, in words."""
        return RANKING if self.case is not None else RANKING_WITHOUT_MONEY

    @property
    def confidence(self) -> float | None:
        """The confidence of the money's intervals."""
        return self.case.assumptions.confidence if self.case is not None else None

    def top(self, n: int = 3) -> pd.DataFrame:
        """The first ``n`` moments with something to judge."""
        return self.table[self.table["tier"] != TIERS[3]].head(n).reset_index(drop=True)

    def worth_most(self) -> dict[str, Any] | None:
        """The moment whose fix keeps the most money with confidence, or ``None`` when no moment's
        money interval lies above zero."""
        sure = self.table[self.table["tier"] == TIERS[0]]
        return None if sure.empty else sure.iloc[0].to_dict()

    def valued(self) -> pd.DataFrame:
        """The value case's moments (every step of its chain) in the list's order, with ``rank``,
        ``action`` and ``money``; empty without a value case."""
        if self.case is None or self.table.empty:
            return pd.DataFrame()
        order = self.table[[*MOMENT, "rank", "action", "money"]]
        return order.merge(self.case.moments, on=list(MOMENT), how="inner").reset_index(drop=True)

    def records(self) -> list[dict[str, Any]]:
        """The list as JSON-ready records (missing numbers as ``None``)."""
        frame = self.table.astype(object).where(self.table.notna(), None)
        return list(frame.to_dict("records"))


def priority_list(
    wh: Warehouse,
    f: Filters = ALL_DATA,
    *,
    rule: MetRule | None = None,
    actions: ActionRule | None = None,
    assumptions: impact.ImpactAssumptions | None = None,
    money: bool = True,
    progress: Callable[[str], None] | None = None,
) -> PriorityList:
    """The moments of scope ``f`` in the order to act on them (see the module's description).

    ``rule`` decides when a contact met expectations, ``actions`` the thresholds of each action and
    ``assumptions`` the value case's. ``money=False`` leaves the value case out (it is the slow
    part at scale); the ranking then says so. ``progress`` is told as each step of the value case
    finishes.
    """
    rule, actions = rule or MetRule(), actions or ActionRule()
    table = moments.moment_map(wh, f, rule=rule, actions=actions)
    notes: list[str] = []
    case = None
    if money and not table.empty:
        case = impact.value_case(
            wh, f, assumptions=assumptions or impact.ImpactAssumptions(), rule=rule, progress=progress
        )
        notes.extend(case.notes)
    return PriorityList(rank(table, case, actions), actions, rule, case, notes)


def rank(table: pd.DataFrame, case: impact.ValueCase | None, actions: ActionRule | None = None) -> pd.DataFrame:
    """A moment map (``moments.moment_map``, not split) with the value case's money beside each
    moment, reconciled and in rank order (``PriorityList.table``)."""
    actions = actions or ActionRule()
    keys = list(MOMENT)
    money = (
        case.moments[[*keys, *MONEY_COLUMNS]]
        if case is not None and not case.moments.empty
        else pd.DataFrame(
            {c: pd.Series(dtype=object if c in (*keys, "status") else float) for c in (*keys, *MONEY_COLUMNS)}
        )
    )
    out = table.merge(money, on=keys, how="left")
    out["money"] = [_money_state(r) for r in out.itertuples(index=False)]
    reconciled = [_reconcile(r, actions) for r in out.itertuples(index=False)]
    out["action"] = [a for a, _ in reconciled]
    out["evidence_note"] = [note for _, note in reconciled]
    out["tier"] = [_tier(a, m) for a, m in zip(out["action"], out["money"], strict=True)]
    out["moment"] = [moments.moment_name(r, in_sentence=False) for r in out[keys].to_dict("records")]
    tier = out["tier"].map({t: i for i, t in enumerate(TIERS)})
    # One sort key per tier: money in the first, net promoters in the second, volume after.
    key = pd.Series(
        [
            -(v if t == 0 else s if t == 1 else n)
            for t, v, s, n in zip(tier, out["value"], out["at_stake"].fillna(-math.inf), out["volume"], strict=True)
        ],
        index=out.index,
    )
    out = out.assign(_tier=tier, _key=key.fillna(math.inf)).sort_values(
        ["_tier", "_key", *keys], kind="stable", ignore_index=True
    )
    out = out.drop(columns=["_tier", "_key"])
    out.insert(0, "rank", range(1, len(out) + 1))
    out["sentence"] = [
        sentence(r, actions, confidence=case.assumptions.confidence if case else None) for r in out.to_dict("records")
    ]
    return out


#: Why the list's action differs from the moment map's, when it does (the ``evidence_note`` column).
SMALL_BUT_PAYS = "the swing reads small, but the value case is sure a fix pays"
REAL_AND_PAYS = "the swing is real but not shown to reach the threshold, and the value case is sure a fix pays"


def _reconcile(r: Any, actions: ActionRule) -> tuple[str, str]:
    """The list's action for one moment, from the moment map's and the money's evidence together.

    Right-size needs evidence that the effect is small; a value case sure that a fix pays is
    evidence against it, so the moment reads Unclear. The other way, a swing shown to be real (its
    interval above 0) whose only doubt is whether it reaches the threshold is taken to matter when
    the value case is sure a fix pays: the threshold stands for "worth acting on", which the money
    answers directly."""
    if r.money != "above zero":
        return r.action, ""
    if r.action == RIGHT_SIZE:
        return UNCLEAR, SMALL_BUT_PAYS
    if r.action == UNCLEAR and r.swing_low > 0:
        return moments.delivered_action(r.met_rate, r.value_ratio, actions), REAL_AND_PAYS
    return r.action, ""


def _money_state(r: Any) -> str:
    if getattr(r, "status", None) == "all met":
        return "nothing to fix"
    value, low, high = (float(x) if x is not None else math.nan for x in (r.value, r.value_low, r.value_high))
    if not (math.isfinite(value) and math.isfinite(low) and math.isfinite(high)):
        return "not estimated"
    if low > 0:
        return "above zero"
    if high < 0:
        return "below zero"
    return "uncertain"


def _tier(action: str, money: str) -> str:
    if action in (ALL_MET, TOO_FEW):
        return TIERS[3]
    if action == RIGHT_SIZE:
        return TIERS[2]
    if action in (*MATERIAL_ACTIONS, UNCLEAR) and money == "above zero":
        return TIERS[0]
    return TIERS[1]


def money_phrase(row: dict[str, Any], *, confidence: float | None = None) -> str:
    """What the value case says of a moment's money, as a sentence ("" when it has nothing)."""
    state = row.get("money")
    level = f"{confidence:.0%} interval" if confidence else "interval"
    if state not in ("above zero", "uncertain", "below zero"):
        return ""
    amounts = (
        f"{money_text(row['value'])} a year ({level} {money_text(row['value_low'])} to {money_text(row['value_high'])})"
    )
    if state == "above zero":
        return f"Fixing it keeps about {amounts.replace(' a year', ' of lifetime margin a year', 1)}."
    if state == "below zero":
        return f"The value case finds no margin kept by fixing it: {amounts}."
    return f"The money is uncertain: the value case cannot tell {amounts} from nothing."


def sentence(row: dict[str, Any], rule: ActionRule | None = None, *, confidence: float | None = None) -> str:
    """What to do about one moment of the list, with its money where the value case has some."""
    rule = rule or ActionRule()
    text = moments.action_sentence(row, rule)
    name, note = moments.moment_name(row), row.get("evidence_note", "")
    swing = f"{row['swing']:+.0f} points (95% CI {row['swing_low']:+.0f} to {row['swing_high']:+.0f})"
    if note == SMALL_BUT_PAYS:
        text = (
            f"**Unclear** {name}: the swing after a contact reads small ({swing}), but the value case is sure "
            "that fixing it pays; look closer before serving it more cheaply."
        )
    elif note == REAL_AND_PAYS:
        text = (
            f"**{row['action']}** {name}: meeting expectations moves NPS by {swing}, a real swing not shown to "
            f"reach {rule.materiality:g} points, but the value case is sure a fix pays; {row['met_rate']:.0%} of "
            f"{row['volume']:,.0f} contacts meet expectations."
        )
    phrase = money_phrase(row, confidence=confidence)
    return f"{text} {phrase}" if phrase else text
