"""The same number under the same label: every headline shown by two surfaces (pages, the CLI and its
JSON, the brief) is the same, on the whole demo and on a filtered scope."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import cli
from analytics.analyses import headlines
from analytics.data import warehouse
from analytics.data.filters import Filters
from analytics.report import brief, kpis

ROOT = Path(__file__).resolve().parent.parent
#: The scopes compared: everything, and a filtered one as the sidebar and the CLI set it.
SCOPES = {
    "all data": (Filters(), {}, []),
    "consumers on voice": (
        Filters(segments=("consumer",), channels=("voice",)),
        {"segment": ["consumer"], "channel": ["voice"]},
        ["--segment", "consumer", "--channel", "voice"],
    ),
}
#: Labels shared by more than one surface.
SHARED = (
    "Relationship NPS",
    "Post-contact NPS",
    "Churn per 100 customer-months",
    "Customer equity",
    "Value at risk, next 12 months",
)


def _page(script: str, state: dict[str, object]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    """Metric label (without the " · period" a page may add) to shown value."""
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert cli.main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(SCOPES))
def test_every_shared_label_shows_one_number(
    name: str,
    demo_warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ICONIC_WAREHOUSE", str(demo_warehouse))
    scope, state, args = SCOPES[name]
    wh = warehouse.open(demo_warehouse)
    seen: dict[str, dict[str, str]] = defaultdict(dict)

    library = [
        kpis.nps_kpi("relationship_nps", headlines.relationship_nps(wh, scope)),
        kpis.nps_kpi("post_contact_nps", headlines.post_contact_nps(wh, scope)),
        kpis.churn_kpi(headlines.churn_rate(wh, scope)),
        *kpis.equity_kpis(headlines.equity(wh, scope)),
    ]
    for k in library:
        seen[k.label]["library"] = k.value
    for label, value in _metrics(_page("pages/overview.py", state)).items():
        seen[label]["Overview page"] = value
    for label, value in _metrics(_page("pages/advocacy.py", state)).items():
        seen[label]["Advocacy page"] = value
    for label, value in _metrics(_page("pages/churn.py", state)).items():
        seen[label]["Churn page"] = value
    for k in brief.brief_content(wh, scope, use_value_case=False).kpis:
        seen[k.label]["brief"] = k.value

    where = ["--warehouse", str(demo_warehouse), *args]
    printed = _cli(capsys, "brief", "--out", str(tmp_path / "b.pdf"), "--json", "--without-value-case", *where)
    for k in printed["kpis"]:  # type: ignore[union-attr]
        seen[k["label"]]["brief --json"] = k["value"]
    for k in _cli(capsys, "analyze", "value", "--json", "--bootstrap", "200", *where)["headline"]:  # type: ignore[union-attr]
        seen[k["label"]]["analyze value --json"] = k["value"]
    advocacy = _cli(capsys, "analyze", "advocacy", "--json", *where)["headline"]
    for kind, label in (("relationship", "Relationship NPS"), ("transactional", "Post-contact NPS")):
        seen[label]["analyze advocacy --json"] = kpis.figure("score", advocacy[kind]["score"])  # type: ignore[index]

    for label in SHARED:
        values = seen[label]
        assert len(values) >= 3, f"{label} is shown by {sorted(values)} only"
        assert len(set(values.values())) == 1, f"{label} differs between surfaces: {values}"
