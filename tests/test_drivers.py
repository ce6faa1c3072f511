"""Driver analysis pinned to published values (relaimpo, rwa), brute force over every order of entry,
and the demo's planted tactile and emotive weights."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics import demo
from analytics.analyses import drivers
from analytics.data import warehouse
from analytics.data.filters import Filters
from analytics.stats import importance

DATA = Path(__file__).parent / "data"
SWISS_DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


def swiss() -> pd.DataFrame:
    return pd.read_csv(DATA / "swiss.csv")


def r2_of(data: pd.DataFrame, outcome: str, columns: list[str]) -> float:
    """R² of an ordinary least-squares fit with an intercept, the slow way."""
    if not columns:
        return 0.0
    x = np.column_stack([np.ones(len(data)), data[columns].to_numpy(float)])
    y = data[outcome].to_numpy(float)
    fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def lmg_by_orderings(data: pd.DataFrame, outcome: str, columns: list[str]) -> np.ndarray:
    """LMG as defined: each driver's gain in R² when it enters, averaged over all p! orders."""
    gains = np.zeros(len(columns))
    orders = list(itertools.permutations(range(len(columns))))
    for order in orders:
        before = 0.0
        for k, j in enumerate(order):
            after = r2_of(data, outcome, [columns[i] for i in order[: k + 1]])
            gains[j] += after - before
            before = after
    return gains / len(orders)


def test_lmg_matches_relaimpo_on_swiss() -> None:
    """Grömping (2006), relaimpo, R's ``swiss`` data (tests/data/swiss.csv, from the R datasets package):

    library(relaimpo)
    calc.relimp(Fertility ~ ., data = swiss, type = "lmg")
    # R² 0.7067350; Agriculture 0.05709122, Examination 0.17117303, Education 0.26013468,
    # Catholic 0.10557015, Infant.Mortality 0.11276592
    """
    fit = importance.relative_importance(swiss(), "Fertility", SWISS_DRIVERS)
    assert fit.r2 == pytest.approx(0.7067350, abs=5e-8)
    expected = [0.05709122, 0.17117303, 0.26013468, 0.10557015, 0.11276592]
    assert fit.table["importance"].to_numpy() == pytest.approx(expected, abs=5e-9)
    assert fit.table["importance"].sum() == pytest.approx(fit.r2, abs=1e-12)
    assert fit.table["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert fit.n == 47 and fit.method == "lmg"


def test_johnson_weights_match_rwa_on_mtcars() -> None:
    """Johnson (2000) relative weights as documented by the R package rwa on ``mtcars``
    (tests/data/mtcars.csv, from the R datasets package):

        library(rwa)
        rwa(mtcars, outcome = "mpg", predictors = c("cyl", "disp", "hp", "gear"))
        # R² 0.779189639; raw weights cyl 0.2284797, disp 0.2221469, hp 0.2321744, gear 0.0963886;
        # rescaled 29.32274, 28.50999, 29.79691, 12.37037 %
    """
    cars = pd.read_csv(DATA / "mtcars.csv")
    fit = importance.relative_importance(cars, "mpg", ["cyl", "disp", "hp", "gear"], method="johnson")
    assert fit.r2 == pytest.approx(0.779189639, abs=5e-10)
    assert fit.table["importance"].to_numpy() == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=5e-8)
    assert (100 * fit.table["share"]).to_numpy() == pytest.approx([29.32274, 28.50999, 29.79691, 12.37037], abs=5e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lmg_equals_the_average_over_every_order_of_entry(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, p = 60, 5
    x = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))  # correlated drivers
    y = x @ rng.normal(size=p) + rng.normal(scale=2.0, size=n)
    data = pd.DataFrame(x, columns=[f"x{i}" for i in range(p)]).assign(y=y)
    columns = [f"x{i}" for i in range(p)]
    fit = importance.relative_importance(data, "y", columns)
    assert fit.table["importance"].to_numpy() == pytest.approx(lmg_by_orderings(data, "y", columns), abs=1e-12)
    assert fit.r2 == pytest.approx(r2_of(data, "y", columns), abs=1e-12)


def test_every_subset_r2_matches_least_squares() -> None:
    rng = np.random.default_rng(5)
    data = pd.DataFrame(rng.normal(size=(40, 5)), columns=["y", "a", "b", "c", "d"])
    data["y"] += data["a"] - 0.5 * data["c"]
    cov = np.cov(data.to_numpy(), rowvar=False)
    got = importance.subset_r2(cov)
    names = ["a", "b", "c", "d"]
    want = [r2_of(data, "y", [c for j, c in enumerate(names) if m >> j & 1]) for m in range(16)]
    assert got == pytest.approx(want, abs=1e-12)


def test_row_order_and_scale_do_not_matter() -> None:
    data = swiss()
    base = importance.relative_importance(data, "Fertility", SWISS_DRIVERS).table["importance"].to_numpy()
    shuffled = data.sample(frac=1, random_state=3)
    assert importance.relative_importance(shuffled, "Fertility", SWISS_DRIVERS).table[
        "importance"
    ].to_numpy() == pytest.approx(base, abs=1e-12)
    rescaled = data.assign(Agriculture=data["Agriculture"] * 1000 + 7)
    assert importance.relative_importance(rescaled, "Fertility", SWISS_DRIVERS).table[
        "importance"
    ].to_numpy() == pytest.approx(base, abs=1e-12)


def test_a_redundant_driver_shares_with_its_twin_and_a_constant_gets_nothing() -> None:
    """A copy of a driver splits that driver's LMG in two (by symmetry: every order puts one of the
    twins first, and the second adds nothing); a constant explains nothing."""
    data = swiss().assign(Twin=lambda d: d["Education"], Constant=1.0)
    fit = importance.relative_importance(data, "Fertility", [*SWISS_DRIVERS, "Twin", "Constant"])
    imp = dict(zip(fit.table["driver"], fit.table["importance"], strict=True))
    assert imp["Twin"] == pytest.approx(imp["Education"], abs=1e-12)
    assert imp["Constant"] == 0.0
    assert fit.r2 == pytest.approx(0.7067350, abs=5e-8)
    assert sum(imp.values()) == pytest.approx(fit.r2, abs=1e-12)


def test_more_than_fifteen_drivers_fall_back_to_johnson_and_say_so() -> None:
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.normal(size=(200, 17)), columns=["y", *[f"x{i}" for i in range(16)]])
    fit = importance.relative_importance(data, "y", [f"x{i}" for i in range(16)])
    assert fit.method == "johnson" and "Johnson" in fit.note
    assert fit.table["importance"].sum() == pytest.approx(fit.r2, abs=1e-12)


def test_pairwise_equals_listwise_without_gaps_and_uses_more_rows_with_them() -> None:
    data = swiss()
    listwise = importance.relative_importance(data, "Fertility", SWISS_DRIVERS)
    pairwise = importance.relative_importance(data, "Fertility", SWISS_DRIVERS, missing="pairwise")
    assert pairwise.table["importance"].to_numpy() == pytest.approx(listwise.table["importance"].to_numpy(), abs=1e-12)
    gappy = data.copy()
    gappy.loc[::5, "Catholic"] = np.nan
    assert importance.relative_importance(gappy, "Fertility", SWISS_DRIVERS).n == 37
    fit = importance.relative_importance(gappy, "Fertility", SWISS_DRIVERS, missing="pairwise")
    assert fit.n == 47
    assert fit.table["share"].sum() == pytest.approx(1.0, abs=1e-12)


def test_too_few_rows_and_a_constant_outcome_give_a_note_not_an_error() -> None:
    small = importance.relative_importance(swiss().head(5), "Fertility", SWISS_DRIVERS)
    assert math.isnan(small.r2) and "too few" in small.note
    flat = importance.relative_importance(swiss().assign(Fertility=70.0), "Fertility", SWISS_DRIVERS)
    assert math.isnan(flat.r2) and "does not vary" in flat.note


def test_bad_arguments_are_refused_with_exact_messages() -> None:
    with pytest.raises(ValueError, match="data has no column 'Nope'"):
        importance.relative_importance(swiss(), "Fertility", ["Nope"])
    with pytest.raises(ValueError, match="unknown method 'ols'"):
        importance.relative_importance(swiss(), "Fertility", SWISS_DRIVERS, method="ols")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot also be a driver"):
        importance.relative_importance(swiss(), "Fertility", ["Fertility"])


# --- the customer bootstrap --------------------------------------------------------------------------


def clustered(seed: int, customers: int = 60) -> pd.DataFrame:
    """Several answers per customer that share a customer effect."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, customers)
    who = np.repeat(np.arange(customers), sizes)
    effect = rng.normal(size=(customers, 3))[who]
    x = effect + 0.5 * rng.normal(size=(len(who), 3))
    y = x @ [1.0, 0.5, 0.0] + rng.normal(size=len(who))
    return pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y, customer=[f"c{i:03d}" for i in who])


def test_each_replicate_is_the_analysis_of_a_resample_of_customers() -> None:
    """The slow reference: rebuild every replicate's data by repeating each customer's rows as often
    as the resample drew them, fit it from scratch, and compare."""
    data = clustered(4)
    fit = importance.importance_intervals(data, "y", ["a", "b", "c"], cluster="customer", bootstrap=25, random_state=9)
    ids = np.sort(data["customer"].unique())
    rng = np.random.default_rng(9)
    counts = np.concatenate([c for _, _, c in importance._resample_counts(len(ids), 25, rng)], axis=1)
    assert (counts.sum(axis=1) == len(ids)).all()
    for b in range(25):
        times = dict(zip(ids, counts[b], strict=True))
        resample = data.loc[data.index.repeat(data["customer"].map(times))]
        again = importance.relative_importance(resample, "y", ["a", "b", "c"])
        assert fit.replicates_[b] == pytest.approx(again.table["importance"].to_numpy(), abs=1e-10)
        assert fit.r2_replicates_[b] == pytest.approx(again.r2, abs=1e-10)
    low, high = np.quantile(fit.replicates_[:, 0], [0.025, 0.975])
    assert (fit.table["low"].iloc[0], fit.table["high"].iloc[0]) == pytest.approx((low, high))


def test_repeating_a_customers_answers_does_not_narrow_the_interval() -> None:
    """Copying every row five times under the same customer adds no information, and the interval
    stays as it was; the same copies as new customers would pretend to five times the data."""
    data = clustered(7, customers=80)
    args = {"cluster": "customer", "bootstrap": 200, "random_state": 1}
    once = importance.importance_intervals(data, "y", ["a", "b", "c"], **args)
    five = pd.concat([data] * 5, ignore_index=True)
    same_customers = importance.importance_intervals(five, "y", ["a", "b", "c"], **args)
    strangers = importance.importance_intervals(
        five.assign(customer=five["customer"] + "-" + (five.index // len(data)).astype(str)),
        "y",
        ["a", "b", "c"],
        **args,
    )
    width = (once.table["high"] - once.table["low"]).to_numpy()
    assert (same_customers.table["high"] - same_customers.table["low"]).to_numpy() == pytest.approx(width, abs=1e-9)
    assert ((strangers.table["high"] - strangers.table["low"]).to_numpy() < 0.65 * width).all()
    assert same_customers.clusters == 80 and strangers.clusters == 400


def test_intervals_hold_their_estimates_and_the_split_adds_up() -> None:
    data = clustered(2, customers=150)
    fit = importance.importance_intervals(data, "y", ["a", "b", "c"], cluster="customer", bootstrap=200)
    t = fit.table
    assert (t["low"] <= t["importance"]).all() and (t["importance"] <= t["high"]).all()
    assert fit.r2_low <= fit.r2 <= fit.r2_high
    split = fit.split({"a": "tactile", "b": "emotive", "c": "emotive"})
    assert list(split["kind"]) == ["tactile", "emotive"]
    assert split["importance"].sum() == pytest.approx(fit.r2)
    assert split["share"].sum() == pytest.approx(1.0)
    assert split.loc[1, "importance"] == pytest.approx(t["importance"].iloc[1:].sum())


# --- the importance-performance grid ----------------------------------------------------------------


def test_quadrant_actions() -> None:
    """Cut-offs: share 1/4 and the mean scaled performance (0.6). A driver is important when its
    interval clears 0 and its share reaches 1/4, minor when the interval's upper end is below 1/4."""
    table = pd.DataFrame(
        {
            "share": [0.40, 0.30, 0.20, 0.10],
            "share_low": [0.30, 0.20, 0.10, 0.05],
            "share_high": [0.50, 0.40, 0.24, 0.15],
            "performance_scaled": [0.4, 0.8, 0.8, 0.4],
            "kind": ["tactile", "emotive", "tactile", "emotive"],
        }
    )
    assert list(drivers.importance_quadrant(table)) == ["Fix", "Delight", "Right-size", "Right-size"]
    table["kind"] = "tactile"
    assert list(drivers.importance_quadrant(table)) == ["Fix", "Maintain", "Right-size", "Right-size"]
    assert list(drivers.importance_quadrant(table, performance_cut=0.9))[:2] == ["Fix", "Fix"]
    # A minor-looking share whose interval reaches the cut is not evidence that it does not matter.
    wide = table.assign(share_high=[0.5, 0.4, 0.35, 0.15])
    assert list(drivers.importance_quadrant(wide)) == ["Fix", "Maintain", "Unclear", "Right-size"]
    # Without an interval (no bootstrap) nothing can be called minor.
    bare = table.assign(share_low=np.nan, share_high=np.nan)
    assert set(drivers.importance_quadrant(bare)) == {"Unclear"}
    table.loc[0, "performance_scaled"] = np.nan  # e.g. wait time: no scale, no direction
    assert drivers.importance_quadrant(table).iloc[0] == ""


# --- on the warehouse --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(default_demo: Path) -> Path:
    """The demo at its default size (20,000 customers over 36 months): several hundred post-contact
    responses for even the rarest contact reason, which the small session demo does not have."""
    return default_demo


def emotive_shares(root: Path, outcome: drivers.Outcome) -> pd.DataFrame:
    wh = warehouse.open(root)
    rows = []
    for reason, stage in demo.REASON_STAGE.items():
        result = drivers.driver_analysis(wh, outcome=outcome, moment=(stage, reason), bootstrap=100)
        split = result.split.set_index("kind")
        rows.append({"reason": reason, "n": result.n, **split.loc["emotive", ["share", "share_low", "share_high"]]})
    return pd.DataFrame(rows).set_index("reason")


@pytest.mark.slow
def test_emotive_share_of_csat_by_reason_recovers_the_planted_weights(planted: Path) -> None:
    """The demo makes each contact's experience ``w * tactile + (1 - w) * emotive`` with ``w`` the
    reason's tactile weight, and CSAT follows experience. Ranked by the emotive share of CSAT's
    explained variance, the reasons come out in the planted order of emotive weight (1 - w), and the
    four clearest cases lead the way they were planted, intervals and all."""
    truth = pd.Series(demo.load_truth(planted)["emotive_weight"])
    got = emotive_shares(planted, "csat")
    rho = stats.spearmanr(truth[got.index], got["share"]).statistic
    assert rho >= 0.8, got.assign(truth=truth)
    assert (got["n"] >= 300).all()
    assert (got.loc[["cancellation_request", "billing_dispute"], "share_low"] > 0.5).all(), got
    assert (got.loc[["service_outage", "password_reset"], "share_high"] < 0.5).all(), got


@pytest.mark.slow
def test_emotive_share_of_ltr_leads_the_planted_way_at_the_moments_that_move_it(planted: Path) -> None:
    """Post-contact LTR follows attitude, which routine contacts barely move in the demo, so the
    ratings explain 1-5% of its variance there and the emotive share of that is noise; where a
    contact moves attitude (the moments of truth), the share leads the way it was planted."""
    got = emotive_shares(planted, "ltr")
    for reason in ("cancellation_request", "billing_dispute"):
        assert got.loc[reason, "share"] > 0.5, got.loc[reason]
    for reason in ("service_outage", "password_reset"):
        assert got.loc[reason, "share"] < 0.5, got.loc[reason]


def test_driver_analysis_on_the_demo_is_well_formed(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    result = drivers.driver_analysis(wh, outcome="csat", bootstrap=50)
    t = result.table
    assert list(t.columns) == list(drivers.TABLE_COLUMNS)
    assert set(t["attribute"]) == {a for a, _, _ in demo.ATTRIBUTES}
    assert dict(zip(t["attribute"], t["kind"], strict=True)) == {a: k for a, _, k in demo.ATTRIBUTES}
    assert t["importance"].sum() == pytest.approx(result.r2)
    assert t["share"].sum() == pytest.approx(1.0)
    assert ((t["low"] <= t["importance"]) & (t["importance"] <= t["high"])).all()
    assert ((t["performance"] >= 1) & (t["performance"] <= 5)).all()
    assert ((t["top2"] >= 0) & (t["top2"] <= 1)).all()
    assert set(t["action"]) <= set(drivers.ACTIONS)
    assert (t["n"] == result.n).all() and result.customers <= result.n
    split = result.split.set_index("kind")
    assert list(split.index) == ["tactile", "emotive"]
    assert split["share"].sum() == pytest.approx(1.0)
    assert split.loc["tactile", "share_low"] <= split.loc["tactile", "share"] <= split.loc["tactile", "share_high"]
    # The same responses by hand: every rated post-contact answer with a CSAT.
    surveys = wh.table("surveys").execute()
    rated = surveys[surveys["interaction_id"].notna() & surveys["csat"].notna()]
    complete = rated.dropna(subset=[f"rating_{a}" for a, _, _ in demo.ATTRIBUTES])
    assert result.n == len(complete) and result.customers == complete["customer_id"].nunique()
    speed = t.set_index("attribute").loc["speed"]
    assert speed["performance"] == pytest.approx(complete["rating_speed"].mean())
    assert speed["top2"] == pytest.approx((complete["rating_speed"] >= 4).mean())


def test_operational_drivers_and_pairwise(demo_warehouse: Path) -> None:
    wh = warehouse.open(demo_warehouse)
    result = drivers.driver_analysis(
        wh, drivers=["rating_empathy", "wait_seconds", "is_resolved"], missing="pairwise", bootstrap=20
    )
    t = result.table.set_index("attribute")
    assert list(t["kind"]) == ["emotive", "operational", "operational"]
    assert 0 <= t.loc["is_resolved", "performance"] <= 1 and math.isnan(t.loc["is_resolved", "top2"])
    # No scale, so no direction to call good: an action only when it does not matter.
    wait = t.loc["wait_seconds"]
    expected = (
        "Right-size"
        if wait["share_high"] < 1 / 3
        else ""
        if wait["share_low"] > 0 and wait["share"] >= 1 / 3
        else "Unclear"
    )
    assert wait["action"] == expected
    assert list(result.split["kind"]) == ["emotive", "operational"]
    with pytest.raises(ValueError, match="unknown driver 'colour'"):
        drivers.driver_analysis(wh, drivers=["colour"])


@pytest.mark.parametrize(
    "scope",
    [
        Filters(start=date(2030, 1, 1)),
        Filters(start=date(2026, 2, 2), end=date(2026, 2, 2)),
        Filters(segments=("enterprise",), regions=("west",), channels=("social",)),
    ],
)
def test_a_thin_scope_gives_a_note_not_an_error(demo_warehouse: Path, scope: Filters) -> None:
    wh = warehouse.open(demo_warehouse)
    for moment in (None, ("pay", "billing_dispute"), ("nowhere", None)):
        result = drivers.driver_analysis(wh, scope, moment=moment, bootstrap=20)
        assert result.is_empty and result.note and result.table.empty and result.split.empty
        assert list(result.table.columns) == list(drivers.TABLE_COLUMNS)
        assert "NaN" not in json.dumps(result.to_dict())


def test_an_empty_warehouse_gives_a_note(wh_path: Path) -> None:
    from tests.conftest import load_tables, valid_customers

    wh = load_tables(wh_path, wh_path.parent, customers=valid_customers())
    result = drivers.driver_analysis(wh)
    assert result.is_empty and result.note == "The surveys hold no attribute ratings to analyse."


# --- the command ------------------------------------------------------------------------------------


def iconic(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True, timeout=300)


def test_analyze_drivers_json(demo_warehouse: Path) -> None:
    args = ["--outcome", "csat", "--bootstrap", "30", "--channel", "voice", "--warehouse", str(demo_warehouse)]
    out = iconic("analyze", "drivers", "--json", *args)
    assert out.returncode == 0, out.stderr
    assert "NaN" not in out.stdout
    data = json.loads(out.stdout)
    expected = drivers.driver_analysis(
        warehouse.open(demo_warehouse), Filters(channels=("voice",)), outcome="csat", bootstrap=30
    )
    assert data["r2"] == pytest.approx(expected.r2) and data["n"] == expected.n
    assert data["scope"]["channels"] == ["voice"]
    first = data["drivers"][0]
    assert {"attribute", "kind", "importance", "low", "high", "share", "performance"} <= set(first)
    assert [d["attribute"] for d in data["drivers"]] == list(expected.table["attribute"])
    assert sum(d["share"] for d in data["drivers"]) == pytest.approx(1.0)
    assert {s["kind"] for s in data["split"]} == {"tactile", "emotive"}
    text = iconic("analyze", "drivers", *args)
    assert text.returncode == 0 and "Share of the explained variance by kind" in text.stdout
    # The table a terminal shows is the Moments page's: registry headers, names, the rating's scale.
    assert "What drives CSAT" in text.stdout and "Mean rating" in text.stdout and " on 1-5" in text.stdout
    assert "Tactile" in text.stdout and "tactile" not in text.stdout.replace("Tactile", "")


def test_analyze_drivers_moment_method_and_mistakes(demo_warehouse: Path) -> None:
    wh = ["--warehouse", str(demo_warehouse), "--bootstrap", "20"]
    out = iconic("analyze", "drivers", "--moment", "pay:billing_question", "--method", "johnson", "--json", *wh)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["moment"] == ["pay", "billing_question"] and data["method"] == "johnson"
    bad = iconic("analyze", "drivers", "--moment", "pay:fax_request", *wh)
    assert bad.returncode == 2 and "--moment reason 'fax_request' is not in the warehouse" in bad.stderr
    assert "Traceback" not in bad.stderr
    shape = iconic("analyze", "drivers", "--moment", "billing", *wh)
    assert shape.returncode == 2 and "is not STAGE:REASON" in shape.stderr
    unknown = iconic("analyze", "drivers", "--driver", "colour", *wh)
    assert unknown.returncode == 2 and "unknown driver 'colour'" in unknown.stderr
    empty = iconic("analyze", "drivers", "--start", "2030-01-01", "--json", *wh)
    assert empty.returncode == 0 and json.loads(empty.stdout)["r2"] is None
    assert "leaves none" in json.loads(empty.stdout)["note"]
    helped = iconic("analyze", "drivers", "--help")
    assert helped.returncode == 0 and "usage: iconic analyze drivers" in helped.stdout


def test_drivers_that_explain_nothing_say_so() -> None:
    data = swiss().assign(A=1.0, B=2.0)
    fit = importance.relative_importance(data, "Fertility", ["A", "B"])
    assert fit.r2 == 0.0 and "explain none" in fit.note
    assert (fit.table["importance"] == 0.0).all()


def test_every_driver_column_is_registered_for_display(demo_warehouse: Path) -> None:
    """A driver table's "low", "high" and "share" bound and share out importance; the registry
    aliases keep them from reading as NPS bounds or a share of customers."""
    from analytics.report import columns

    result = drivers.driver_analysis(warehouse.open(demo_warehouse), outcome="csat", bootstrap=20)
    shown = ["label", "kind", "importance_ci", "importance_share_ci", "performance", "top2", "action"]
    table = columns.present(result.table, shown, aliases=columns.DRIVER_ALIASES)
    assert list(table.columns) == [
        "Driver",
        "Kind",
        "Importance (95% CI)",
        "Share of explained variance (95% CI)",
        "Performance",
        "Top-2-box",
        "Action",
    ]
    exported = columns.export(result.table, shown, aliases=columns.DRIVER_ALIASES)
    assert {"Importance, lower 95% bound", "Share of explained variance, upper 95% bound"} <= set(exported.columns)
    for frame in (result.table, result.split):
        for name in frame.columns:
            columns.spec(columns.DRIVER_ALIASES.get(name, name))


def test_analyze_drivers_refuses_a_bad_scope_or_warehouse(demo_warehouse: Path, tmp_path: Path) -> None:
    backwards = iconic(
        "analyze", "drivers", "--start", "2026-03-01", "--end", "2026-01-01", "--warehouse", str(demo_warehouse)
    )
    assert (
        backwards.returncode == 2
        and "the date range starts (2026-03-01) after it ends (2026-01-01)" in backwards.stderr
    )
    typo = iconic("analyze", "drivers", "--segment", "Enterprise", "--warehouse", str(demo_warehouse))
    assert typo.returncode == 2 and "--segment 'Enterprise' is not in the warehouse" in typo.stderr
    not_a_folder = tmp_path / "warehouse.txt"
    not_a_folder.write_text("not a folder")
    out = iconic("analyze", "drivers", "--warehouse", str(not_a_folder))
    assert out.returncode == 2 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
