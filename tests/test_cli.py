"""The ``iconic`` command as a user runs it: exit codes, JSON, messages without tracebacks."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics.cli import main, parser
from tests.conftest import valid_customers, valid_interactions


def iconic(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["ingest"],
        ["status"],
        ["quality"],
        ["app"],
        ["demo"],
        ["analyze"],
        ["analyze", "advocacy"],
        ["analyze", "moments"],
        ["analyze", "segments"],
        ["analyze", "survival"],
        ["analyze", "value"],
        ["analyze", "benchmarks"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage: iconic" in capsys.readouterr().out


def test_ingest_status_quality_round_trip(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    good = tmp_path / "good.csv"
    valid_interactions(30).to_csv(good, index=False)

    out = iconic("ingest", "interactions", str(good), "--warehouse", str(wh), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["status"], result["rows_in"], result["rows_committed"]) == ("committed", 30, 30)
    assert {c["rule"] for c in result["checks"]} >= {
        "required_columns",
        "unique_key",
        "expect_column_values_to_be_in_set",
    }

    again = iconic("ingest", "interactions", str(good), "--warehouse", str(wh))
    assert again.returncode == 0 and "already ingested" in again.stdout

    status = json.loads(iconic("status", "--warehouse", str(wh), "--json").stdout)
    tables = {t["table"]: t for t in status["tables"]}
    assert tables["interactions"]["rows"] == 30 and tables["surveys"]["rows"] == 0
    assert status["last_ingests"][0]["status"] == "committed"

    quality = iconic("quality", "--warehouse", str(wh), "--json")
    assert quality.returncode == 0
    assert all(c["success"] for c in json.loads(quality.stdout)["interactions"])


def test_rejected_batch_exits_1_with_a_readable_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    valid_interactions(10).drop(columns=["customer_id"]).to_csv(bad, index=False)
    out = iconic("ingest", "interactions", str(bad), "--warehouse", str(tmp_path / "wh"))
    assert out.returncode == 1
    assert "rejected:" in out.stdout and "customer_id" in out.stdout and "bad.csv" in out.stdout
    assert "Traceback" not in out.stderr
    status = json.loads(iconic("status", "--warehouse", str(tmp_path / "wh"), "--json").stdout)
    assert (status["last_ingests"][0]["status"], status["last_ingests"][0]["rows_in"]) == ("rejected", 10)


def test_user_mistakes_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = iconic("ingest", "interactions", str(tmp_path / "nope.csv"), "--warehouse", str(tmp_path / "wh"))
    assert missing.returncode == 2 and "file not found" in missing.stderr and "Traceback" not in missing.stderr
    no_wh = iconic("status", "--warehouse", str(tmp_path / "empty"))
    assert no_wh.returncode == 2 and "no warehouse at" in no_wh.stderr
    mapping = tmp_path / "m.yaml"
    mapping.write_text("renames: {}\n")
    bad_map = iconic(
        "ingest", "interactions", str(mapping), "--mapping", str(mapping), "--warehouse", str(tmp_path / "w")
    )
    assert bad_map.returncode == 2 and "unknown section" in bad_map.stderr


def test_quality_fails_when_stored_data_breaks_a_rule(tmp_path: Path) -> None:
    """Data written around the ingest path (here: a stored key repeated) is caught by `iconic quality`."""
    from analytics.data import warehouse
    from analytics.data.ingest import ingest

    wh = tmp_path / "wh"
    path = tmp_path / "a.csv"
    valid_interactions(5).to_csv(path, index=False)
    ingest("interactions", path, warehouse_path=wh)
    table = warehouse.open(wh).table("interactions").to_pyarrow()
    warehouse.append(wh, "interactions", table.slice(0, 1))
    out = iconic("quality", "--warehouse", str(wh), "--table", "interactions")
    assert out.returncode == 1
    assert "interaction_id must be unique: 1 value(s) repeat, e.g. I1" in out.stdout


def test_quality_warns_about_references_to_rows_that_are_not_stored(tmp_path: Path) -> None:
    """Interactions for customers C0-C16 against a customer table that only has C0-C4: a warning
    naming the missing customers, exit 0; once the customers arrive the warning is gone."""
    from analytics.data.ingest import ingest

    wh = tmp_path / "wh"
    contacts = tmp_path / "contacts.csv"
    valid_interactions(40).to_csv(contacts, index=False)
    ingest("interactions", contacts, warehouse_path=wh)
    some = tmp_path / "some.csv"
    valid_customers(5).to_csv(some, index=False)
    ingest("customers", some, warehouse_path=wh)

    out = iconic("quality", "--warehouse", str(wh), "--table", "interactions", "--json")
    assert out.returncode == 0, out.stderr
    ref = next(c for c in json.loads(out.stdout)["interactions"] if c["rule"] == "references")
    missing = {f"C{i % 17}" for i in range(1, 41)} - {f"C{i}" for i in range(5)}
    expected_rows = sum(1 for i in range(1, 41) if f"C{i % 17}" in missing)
    assert (ref["success"], ref["policy"], ref["unexpected_count"]) == (False, "warn", expected_rows)
    assert set(ref["examples"]) <= missing and len(ref["examples"]) == 5
    text = iconic("quality", "--warehouse", str(wh), "--table", "interactions")
    assert text.returncode == 0 and "warning: customer_id must name a row of customers" in text.stdout

    rest = tmp_path / "rest.csv"
    valid_customers(17).to_csv(rest, index=False)
    ingest("customers", rest, warehouse_path=wh)
    again = json.loads(iconic("quality", "--warehouse", str(wh), "--table", "interactions", "--json").stdout)
    assert next(c for c in again["interactions"] if c["rule"] == "references")["success"]


@pytest.mark.slow
@pytest.mark.world
def test_default_demo_builds_through_the_validated_path(tmp_path: Path) -> None:
    """`iconic demo` with its defaults (20,000 customers, 36 months) builds, and is idempotent."""
    from analytics import demo
    from analytics.data import catalog, warehouse

    wh = tmp_path / "demo"
    first = iconic("demo", "--warehouse", str(wh))
    assert first.returncode == 0, first.stderr
    opened = warehouse.open(wh)
    history = catalog.ingest_history(opened).set_index("table_name")
    assert (history["status"] == "committed").all()
    assert (history["rows_in"] == history["rows_committed"] + history["rows_quarantined"]).all()
    assert history.loc["surveys", "rows_quarantined"] > 0 and history.loc["interactions", "rows_quarantined"] > 0
    assert int(opened.table("customers").count().execute()) == 20_000
    assert demo.load_truth(wh)["generator"]["customers"] == 20_000
    second = iconic("demo", "--warehouse", str(wh))
    assert second.returncode == 0 and "already at" in second.stderr


def test_analyze_advocacy_json(demo_warehouse: Path) -> None:
    from analytics.analyses import advocacy
    from analytics.data import warehouse

    out = iconic("analyze", "advocacy", "--by", "plan", "--json", "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    headline = advocacy.nps(warehouse.open(demo_warehouse))
    assert data["nps"]["score"] == pytest.approx(headline.score) and data["nps"]["n"] == headline.n
    assert {"score", "low", "high", "n", "promoters", "passives", "detractors"} <= set(data["nps"])
    assert data["nps"]["responses"] == "relationship" and set(data["nps"]["period"]) == {"label", "start", "end"}
    assert {g["group"] for g in data["groups"]} == {"monthly", "annual", "two_year"}
    assert all({"diff", "p_value", "significant", "responses", "period"} <= set(g) for g in data["groups"])
    for kind in ("relationship", "transactional"):
        expected = advocacy.headline(warehouse.open(demo_warehouse), kind=kind)
        shown = data["headline"][kind]
        assert shown["responses"] == kind and shown["period"]["label"] == expected.period.label
        assert shown["score"] == pytest.approx(expected.estimate.score) and shown["n"] == expected.estimate.n
        assert shown["change"]["diff"] == pytest.approx(expected.change.diff)
    bad = iconic("analyze", "advocacy", "--by", "colour", "--warehouse", str(demo_warehouse))
    assert bad.returncode == 2 and "cannot cut NPS by 'colour'" in bad.stderr


def test_analyze_advocacy_weighted_and_churn_at_risk(demo_warehouse: Path, tmp_path: Path) -> None:
    """--weighted adds the weighted NPS and response rates the library gives; churn by advocacy is
    per customer-month at risk, as the library counts it. Without invitations --weighted is refused."""
    from analytics.analyses import advocacy, nonresponse
    from analytics.data import warehouse

    args = ["analyze", "advocacy", "--by", "channel", "--weighted", "--json", "--warehouse", str(demo_warehouse)]
    out = iconic(*args)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    wh = warehouse.open(demo_warehouse)
    expected = nonresponse.weighted_nps_by(wh, by="channel").set_index("group")
    shown = {g["group"]: g for g in data["weighted"]["groups"]}
    assert set(shown) == set(expected.index) and data["weighted"]["cells"] == ["channel", "handled_by"]
    for group, row in shown.items():
        assert row["score"] == pytest.approx(expected.loc[group, "score"], nan_ok=True)
    rates = {r["group"]: r["response_rate"] for r in data["weighted"]["response_rates"]}
    assert rates == pytest.approx(
        nonresponse.response_rates(wh, by="channel").set_index("group")["response_rate"].to_dict()
    )
    churn = {r["advocacy"]: r for r in data["churn"]["by_advocacy"]}
    economics = advocacy.advocacy_economics(wh).set_index("advocacy")
    assert churn["detractor"]["churn_rate"] == pytest.approx(economics.loc["detractor", "churn_rate"])
    assert "customer-months at risk" in data["churn"]["measure"]
    assert all("design_effect" in g and "test" in g for g in data["groups"])
    text = iconic(*[a for a in args if a != "--json"])
    assert (
        text.returncode == 0
        and "Weighted to everyone invited" in text.stdout
        and "per 100 customer-months" in text.stdout
    )

    bare = tmp_path / "bare"
    shutil.copytree(demo_warehouse, bare)
    shutil.rmtree(bare / "invitations")
    refused = iconic("analyze", "advocacy", "--weighted", "--warehouse", str(bare))
    assert refused.returncode == 2 and "invitations" in refused.stderr and "Traceback" not in refused.stderr


def test_analyze_moments_json_is_the_priority_list(demo_warehouse: Path) -> None:
    from analytics.analyses import moments, priorities
    from analytics.data import warehouse

    out = iconic("analyze", "moments", "--json", "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    expected = priorities.priority_list(warehouse.open(demo_warehouse)).table
    keys = {"rank", "journey_stage", "contact_reason", "volume", "met_rate", "nps_met", "nps_not_met", "swing"}
    keys |= {"swing_low", "swing_high", "at_stake", "action", "n", "value", "value_low", "value_high", "money"}
    assert all(keys <= set(m) for m in data["priorities"])
    assert [m["contact_reason"] for m in data["priorities"]] == list(expected["contact_reason"])
    assert [m["rank"] for m in data["priorities"]] == list(range(1, len(expected) + 1))
    assert [math.nan if m["swing"] is None else m["swing"] for m in data["priorities"]] == pytest.approx(
        list(expected["swing"]), nan_ok=True
    )
    assert [m["action"] for m in data["priorities"]] == list(expected["action"])
    assert data["met_rule"] == moments.MetRule().describe()
    assert data["action_rule"] == moments.ActionRule().describe()
    assert data["ranking"] == priorities.RANKING and data["value_case"] is True

    plain = json.loads(
        iconic("analyze", "moments", "--json", "--without-value-case", "--warehouse", str(demo_warehouse)).stdout
    )
    assert plain["value_case"] is False and plain["ranking"] == priorities.RANKING_WITHOUT_MONEY
    assert all(m["value"] is None for m in plain["priorities"])

    split = iconic(
        "analyze", "moments", "--by", "handled_by", "--any-wait", "--json", "--warehouse", str(demo_warehouse)
    )
    assert split.returncode == 0, split.stderr
    rows = json.loads(split.stdout)["moments"]
    relaxed = moments.moment_map(warehouse.open(demo_warehouse), by="handled_by", rule=moments.MetRule(wait_targets={}))
    assert {(m["contact_reason"], m["handled_by"]) for m in rows} == set(
        zip(relaxed["contact_reason"], relaxed["handled_by"], strict=True)
    )
    empty = iconic(
        "analyze", "moments", "--start", "2001-01-01", "--end", "2001-01-31", "--warehouse", str(demo_warehouse)
    )
    assert empty.returncode == 0 and "No contacts in this scope" in empty.stdout


def test_analyze_benchmarks_json_is_the_library_report(demo_warehouse: Path) -> None:
    from analytics.analyses import benchmarks
    from analytics.data import warehouse

    out = iconic("analyze", "benchmarks", "--json", "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    assert "NaN" not in out.stdout
    data = json.loads(out.stdout)
    expected = benchmarks.report(warehouse.open(demo_warehouse))
    assert data["distance_to_iconic"] == pytest.approx(expected.distance_to_iconic)
    assert [i["question_id"] for i in data["items"]] == [q.question_id for q in benchmarks.QUESTIONS]
    for item in data["items"]:
        assert {"answer", "iconic", "all", "poor", "resembles", "source"} <= set(item)
    omnichannel = next(i for i in data["items"] if i["question_id"] == "omnichannel")
    assert (omnichannel["answer"], omnichannel["iconic"], omnichannel["resembles"]) == ("yes", 90.0, "iconic")
    assert "MIT Technology Review Insights" in omnichannel["source"]
    stages = {s["journey_stage"]: s for s in data["stages"]}
    assert set(stages) == set(expected.stages["journey_stage"])
    assert stages["get"]["said"] == "satisfaction" and stages["get"]["shown"] in benchmarks.STANCES
    partners = {p["handled_by"]: p for p in data["partners"]}
    assert {h: p["meets_standard"] for h, p in partners.items()} == dict(
        zip(expected.scorecard["handled_by"], expected.scorecard["meets_standard"].astype(bool), strict=True)
    )
    assert all(
        isinstance(p["meets_standard"], bool) and "fcr" in p and "cost_per_contact" in p for p in data["partners"]
    )
    (ramp,) = data["ramp"]
    assert ramp["handled_by"] == "partner_c" and ramp["weeks"][0]["week"] == 0

    # The standard's targets are options: a cost ceiling under partner_b's cost fails it.
    lax = iconic(
        "analyze", "benchmarks", "--json", "--min-csat", "0", "--min-nps", "-100", "--min-fcr", "0",
        "--max-escalation", "1", "--max-asa", "3600", "--max-cost-ratio", "10", "--warehouse", str(demo_warehouse),
    )  # fmt: skip
    assert lax.returncode == 0, lax.stderr
    met = [p["meets_standard"] for p in json.loads(lax.stdout)["partners"] if p["n"] >= 30]
    assert met and all(met)
    text = iconic("analyze", "benchmarks", "--warehouse", str(demo_warehouse))
    assert text.returncode == 0 and "Partners against the standard" in text.stdout
    empty = iconic(
        "analyze",
        "benchmarks",
        "--json",
        "--start",
        "2001-01-01",
        "--end",
        "2001-01-31",
        "--warehouse",
        str(demo_warehouse),
    )
    assert empty.returncode == 0, empty.stderr
    nothing = json.loads(empty.stdout)
    assert nothing["stages"] == [] and nothing["partners"] == [] and nothing["ramp"] == []
    assert nothing["note"].startswith("No contacts in this scope: the date range 2001-01-01 to 2001-01-31")
    assert nothing["distance_to_iconic"] == pytest.approx(expected.distance_to_iconic)  # the answers need no contacts
    unknown = iconic("analyze", "benchmarks", "--channel", "fax", "--warehouse", str(demo_warehouse))
    assert unknown.returncode == 2 and "--channel 'fax' is not in the warehouse" in unknown.stderr


def test_analyze_segments_saves_a_dimension_for_advocacy(demo_warehouse: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    before = iconic("analyze", "advocacy", "--by", "behaviour_segment", "--warehouse", str(root))
    assert before.returncode == 2 and "analyze segments --save" in before.stderr

    out = iconic("analyze", "segments", "--k", "3", "--save", "--json", "--warehouse", str(root))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["k"] == 3 and data["saved_version"] is not None and len(data["segments"]) == 3
    assert sum(s["customers"] for s in data["segments"]) == len(
        pd.read_parquet(root / "_sources" / "customers.parquet")
    )

    after = iconic("analyze", "advocacy", "--by", "behaviour_segment", "--json", "--warehouse", str(root))
    assert after.returncode == 0, after.stderr
    groups = {g["group"]: g["n"] for g in json.loads(after.stdout)["groups"]}
    assert groups == {s["segment"]: s["nps_n"] for s in data["segments"] if s["nps_n"]}
    bad = iconic("analyze", "segments", "--k", "1", "--warehouse", str(root))
    assert bad.returncode == 2 and "--k must be at least 2" in bad.stderr


def test_analyze_segments_reports_method_stability_and_structure(demo_warehouse: Path) -> None:
    import math

    from analytics.analyses import segmentation
    from analytics.data import warehouse

    out = iconic("analyze", "segments", "--method", "gmm", "--k", "3", "--json", "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    seg = segmentation.segment(warehouse.open(demo_warehouse), method="gmm", k=3)
    assert data["method"] == "gmm" and data["k"] == seg.k
    assert data["stability"] == pytest.approx(seg.stability) and data["silhouette"] == pytest.approx(seg.silhouette)
    assert data["bic_by_k"] == {str(k): pytest.approx(v) for k, v in seg.bic_by_k.items()}
    assert data["loose"] == seg.is_loose and data["structure"] == seg.structure_note
    assert [s["membership"] for s in data["segments"]] == pytest.approx(list(seg.profiles["membership"]))
    assert all(s["named_for"] for s in data["segments"])

    text = iconic("analyze", "segments", "--warehouse", str(demo_warehouse))
    assert text.returncode == 0, text.stderr
    kmeans = segmentation.segment(warehouse.open(demo_warehouse))
    assert f"{kmeans.k} segments of" in text.stdout and "kmeans, k by silhouette" in text.stdout
    assert kmeans.structure_note in text.stdout and not math.isnan(kmeans.stability)
    bad = iconic("analyze", "segments", "--method", "dbscan", "--warehouse", str(demo_warehouse))
    assert bad.returncode == 2 and "invalid choice: 'dbscan'" in bad.stderr


SCOPE = [
    "--channel",
    "voice",
    "--segment",
    "smb",
    "--segment",
    "consumer",
    "--start",
    "2025-10-01",
    "--end",
    "2026-06-30",
]


def test_analyze_takes_the_scope_the_sidebar_builds(demo_warehouse: Path) -> None:
    from datetime import date

    from analytics.analyses import advocacy, segmentation
    from analytics.data import warehouse
    from analytics.data.filters import Filters

    scope = Filters(date(2025, 10, 1), date(2026, 6, 30), ("smb", "consumer"), (), ("voice",))
    wh = warehouse.open(demo_warehouse)
    out = iconic("analyze", "advocacy", "--by", "plan", "--json", *SCOPE, "--warehouse", str(demo_warehouse))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["scope"]["channels"] == ["voice"] and data["scope"]["segments"] == ["smb", "consumer"]
    assert data["scope"]["rules"]["relationship responses"].endswith("were mainly voice.")
    expected = advocacy.nps_by(wh, scope, by="plan")
    assert {g["group"]: g["n"] for g in data["groups"]} == dict(zip(expected["group"], expected["n"], strict=True))
    assert data["nps"]["n"] == advocacy.nps(wh, scope).n
    assert (
        data["groups"][0]["period"]
        == data["nps"]["period"]
        == {
            "label": "2025-10-01 to 2026-06-30",
            "start": "2025-10-01",
            "end": "2026-06-30",
        }
    )
    seg = iconic("analyze", "segments", "--k", "3", "--json", *SCOPE, "--warehouse", str(demo_warehouse))
    assert seg.returncode == 0, seg.stderr
    customers = sum(s["customers"] for s in json.loads(seg.stdout)["segments"])
    assert customers == len(segmentation.customer_features(wh, scope))


def test_an_empty_scope_is_null_estimates_not_an_error(demo_warehouse: Path) -> None:
    args = ["--start", "2026-01-15", "--end", "2026-03-31", "--warehouse", str(demo_warehouse)]
    out = iconic("analyze", "advocacy", "--json", *args)
    assert out.returncode == 0, out.stderr
    assert "NaN" not in out.stdout
    data = json.loads(out.stdout)
    assert data["nps"]["n"] == 0 and data["nps"]["score"] is None and data["nps"]["low"] is None
    assert data["groups"] == [] and data["headline"]["relationship"]["score"] is None
    assert (
        data["note"] == "No relationship responses in this scope: the date range 2026-01-15 to 2026-03-31 "
        "(the data runs from 2025-06-30 to 2026-06-30) leaves none."
    )
    text = iconic("analyze", "advocacy", *args)
    # The same sentence the pages show for an empty headline.
    assert text.returncode == 0
    assert "There are no relationship responses for 2026-01-15 to 2026-03-31 in this scope." in text.stdout
    assert "leaves none" in text.stdout and "Traceback" not in text.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-13-01"], "not a date: '2026-13-01' (use YYYY-MM-DD)"),
        (
            ["--start", "2026-03-01", "--end", "2026-01-01"],
            "the date range starts (2026-03-01) after it ends (2026-01-01)",
        ),
    ],
)
def test_a_bad_scope_is_a_usage_error(demo_warehouse: Path, args: list[str], message: str) -> None:
    for analysis in ("advocacy", "segments"):
        out = iconic("analyze", analysis, *args, "--warehouse", str(demo_warehouse))
        assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_iconic_app_is_the_server_and_stops_on_sigterm(demo_warehouse: Path) -> None:
    """A service manager's SIGTERM to `iconic app` stops the server: the port is free within 5 s."""
    import os
    import signal
    import socket
    import time

    from analytics.ui.serve import running

    with running(demo_warehouse) as (url, proc):
        port = int(url.rsplit(":", 1)[1])
        os.kill(proc.pid, signal.SIGTERM)
        stopped = time.monotonic() + 5
        while time.monotonic() < stopped:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the port is still served 5 s after SIGTERM")
        assert proc.wait(timeout=5) is not None


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["quality"],
        ["analyze", "advocacy"],
        ["analyze", "segments"],
        ["analyze", "survival"],
        ["analyze", "value"],
        ["demo", "--customers", "300"],
        ["ingest", "customers", "CUSTOMERS"],
    ],
)
def test_a_warehouse_path_that_is_a_file_is_refused_by_every_command(command: list[str], tmp_path: Path) -> None:
    customers = tmp_path / "c.csv"
    valid_customers().to_csv(customers, index=False)
    command = [str(customers) if c == "CUSTOMERS" else c for c in command]
    not_a_folder = tmp_path / "warehouse.txt"
    not_a_folder.write_text("not a folder")
    for path, says in ((not_a_folder, "is a file, not a folder"), (not_a_folder / "wh", "which is a file")):
        out = iconic(*command, "--warehouse", str(path))
        assert out.returncode == 2, out.stderr
        assert says in out.stderr and "Traceback" not in out.stderr
    assert not_a_folder.read_text() == "not a folder"
    empty = iconic(*command, "--warehouse", "")
    assert empty.returncode == 2 and "the warehouse path is empty" in empty.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "warehouse.txt"]


def test_a_folder_given_as_the_file_is_named_a_folder(tmp_path: Path) -> None:
    out = iconic("ingest", "customers", str(tmp_path), "--warehouse", str(tmp_path / "wh"))
    assert out.returncode == 2 and f"{tmp_path} is a folder, not a file" in out.stderr


def test_every_command_says_what_it_does() -> None:
    """A command's line in the help is its handler's docstring: one without would list a bare name."""

    def commands(p: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, str | None]]:
        found = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    found.append((prefix + choice.dest, choice.help))
                for name, sub in action.choices.items():
                    found += commands(sub, f"{prefix}{name} ")
        return found

    listed = commands(parser())
    assert len(listed) == 16  # 8 commands, 8 analyses
    assert [name for name, words in listed if not words] == []


def test_help_texts_print_percent_signs_once(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse formats help strings with %, but not descriptions: a doubled %% there prints as is."""
    commands = [["analyze", a] for a in ("advocacy", "segments", "moments", "drivers", "survival", "value", "impact")]
    for command in [*commands, ["analyze", "benchmarks"], ["brief"], ["analyze"], []]:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = capsys.readouterr().out
        assert out and "%%" not in out, command


def test_segments_refuses_a_k_the_customers_cannot_fill(demo_warehouse: Path) -> None:
    out = iconic("analyze", "segments", "--k", "500", "--warehouse", str(demo_warehouse))
    assert out.returncode == 2
    assert "can support at most" in out.stderr and "not 500" in out.stderr and "Traceback" not in out.stderr
