"""The statistics behind the advocacy numbers, each against a brute-force or published reference:
the exact test against full enumeration and by simulated false-positive rates, the clustered
variances against per-customer sums and a bootstrap over customers, Poisson intervals against
Garwood's table, Kish's effective n by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from analytics.stats import inference, nps


def _scores(counts: tuple[int, int, int]) -> list[int]:
    return [1] * counts[0] + [0] * counts[1] + [-1] * counts[2]


@pytest.mark.parametrize(
    ("a", "b"), [((2, 0, 1), (0, 1, 2)), ((3, 1, 0), (1, 1, 3)), ((1, 2, 1), (2, 2, 2)), ((4, 0, 0), (0, 0, 3))]
)
def test_exact_test_equals_full_enumeration_of_relabellings(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    """Every way of choosing which of the pooled responses are a's, each equally likely under the
    null: the p-value is the share whose studentised NPS difference (difference over the root of the
    two adjusted-Wald variances) is at least the one observed."""
    pooled = _scores(a) + _scores(b)
    n_a, n = sum(a), len(pooled)

    def studentised(mine: list[int], rest: list[int]) -> float:
        def var(scores: list[int]) -> float:
            k = len(scores)
            sp, sd = (scores.count(1) + 0.75) / (k + 3), (scores.count(-1) + 0.75) / (k + 3)
            return (sp + sd - (sp - sd) ** 2) / (k + 3)

        return abs(sum(mine) / len(mine) - sum(rest) / len(rest)) / math.sqrt(var(mine) + var(rest))

    stats = []
    for chosen in itertools.combinations(range(n), n_a):
        stats.append(studentised([pooled[i] for i in chosen], [pooled[i] for i in range(n) if i not in chosen]))
    observed = studentised(_scores(a), _scores(b))
    expected = np.mean(np.array(stats) >= observed - 1e-12)
    assert inference.exact_nps_p_value(a, b) == pytest.approx(expected, abs=1e-12)
    assert inference.exact_nps_p_value(b, a) == pytest.approx(expected, abs=1e-12)  # symmetric


@pytest.mark.parametrize("n", [10, 20])
def test_equal_nps_with_different_mixes_is_not_flagged(n: int) -> None:
    """Both NPS 0, but the small group is polarised (45% promoters, 45% detractors) and the rest
    middling (20 / 60 / 20). The test is of NPS, not of the mix: at most 8% flagged (a raw-difference
    ordering flagged 17%)."""
    rng = np.random.default_rng(21)
    flagged = 0
    reps = 1000
    for _ in range(reps):
        mine = tuple(int(x) for x in rng.multinomial(n, (0.45, 0.10, 0.45)))
        rest = tuple(int(x) for x in rng.multinomial(2000, (0.2, 0.6, 0.2)))
        flagged += inference.exact_nps_p_value(mine, rest) < 0.05  # type: ignore[arg-type]
    assert flagged / reps <= 0.08


def _false_positive_rate(n: int, *, use_exact: bool, reps: int = 1500, seed: int = 11) -> float:
    """Share of groups of ``n`` flagged at 5% against 2,000 others drawn from the same population."""
    rng = np.random.default_rng(seed)
    shares = (0.45, 0.30, 0.25)
    flagged = 0
    for _ in range(reps):
        mine = nps.nps_estimate(*(int(x) for x in rng.multinomial(n, shares)))
        rest = nps.nps_estimate(*(int(x) for x in rng.multinomial(2000, shares)))
        d = nps.compare(mine, rest) if use_exact else nps.nps_difference(mine, rest)
        flagged += d.p_value < 0.05
    return flagged / reps


@pytest.mark.parametrize("n", [5, 10, 20, 50])
def test_small_groups_keep_the_false_positive_rate_at_its_level(n: int) -> None:
    """Groups that do not differ from the rest are flagged at most 6% of the time at a nominal 5%,
    at every size the page meets, through the same test ``nps_by`` uses (``nps.compare``)."""
    assert _false_positive_rate(n, use_exact=True) <= 0.06


def test_the_normal_approximation_alone_fails_small_groups() -> None:
    """The baseline the exact test replaces: the z test at n = 5 flags far more than 5%, so the test
    above can tell the two apart."""
    assert _false_positive_rate(5, use_exact=False, reps=800) > 0.10


def test_exact_test_still_finds_real_differences() -> None:
    """A group of 20 all detractors against a population at +20 is flagged, exactly."""
    d = nps.compare(nps.nps_estimate(0, 0, 20), nps.nps_estimate(900, 700, 400))
    assert d.test == "exact" and d.p_value < 1e-6 and math.isnan(d.low)
    big = nps.compare(nps.nps_estimate(60, 30, 30), nps.nps_estimate(900, 700, 400))
    assert big.test == "normal" and big.p_value == nps.nps_difference(*[
        nps.nps_estimate(60, 30, 30), nps.nps_estimate(900, 700, 400)
    ]).p_value  # fmt: skip


def _clustered_world(seed: int, customers: int = 300) -> pd.DataFrame:
    """Customers answering 1 to 6 times, each with their own leaning: answers within a customer alike."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        leaning = rng.normal(0, 1.2)
        for _ in range(rng.integers(1, 7)):
            latent = leaning + rng.normal(0, 0.8)
            score = 1 if latent > 0.4 else -1 if latent < -0.6 else 0
            rows.append({"customer_id": c, "score": score, "group": "a" if rng.uniform() < 0.4 else "b"})
    return pd.DataFrame(rows)


def _cluster_sums(d: pd.DataFrame) -> dict[str, float]:
    per = d.groupby("customer_id")["score"].agg(u="sum", v="size")
    return {
        "n": float(per["v"].sum()),
        "total": float(per["u"].sum()),
        "clusters": float(len(per)),
        "suu": float((per["u"] ** 2).sum()),
        "suv": float((per["u"] * per["v"]).sum()),
        "svv": float((per["v"] ** 2).sum()),
    }


def test_cluster_variance_matches_a_bootstrap_over_customers() -> None:
    """The linearised variance of the clustered NPS against a brute-force bootstrap that resamples
    whole customers (4,000 resamples): within 7%. It also exceeds the independent-answers variance,
    since answers within a customer are alike."""
    d = _clustered_world(seed=1)
    s = _cluster_sums(d)
    var = float(
        inference.cluster_variance(*(np.array([s[k]]) for k in ("n", "total", "clusters", "suu", "suv", "svv")))[0]
    )
    rng = np.random.default_rng(2)
    per = d.groupby("customer_id")["score"].agg(u="sum", v="size").to_numpy(float)
    draws = rng.integers(0, len(per), size=(4000, len(per)))
    boot = per[draws, 0].sum(axis=1) / per[draws, 1].sum(axis=1)
    assert math.sqrt(var) == pytest.approx(boot.std(ddof=1), rel=0.07)
    p, q = (d["score"] == 1).mean(), (d["score"] == -1).mean()
    assert var > (p + q - (p - q) ** 2) / len(d) * 1.2


def _pair_moments(d: pd.DataFrame, group: str, baseline: str | None) -> inference.PairMoments:
    """The sums of ``PairMoments`` computed the slow way, per customer, for one group."""
    mine = d[d["group"] == group].groupby("customer_id")["score"].agg(u="sum", v="size")
    pool_rows = d if baseline is None else d[d["group"] == baseline]
    pool = pool_rows.groupby("customer_id")["score"].agg(T="sum", M="size")
    j = mine.join(pool, how="left").fillna(0.0)

    def total(x: pd.Series) -> np.ndarray:
        return np.array([float(x.sum())])

    return inference.PairMoments(
        n=total(j["v"]), total=total(j["u"]), clusters=np.array([float(len(j))]),
        uu=total(j["u"] ** 2), uv=total(j["u"] * j["v"]), vv=total(j["v"] ** 2),
        uT=total(j["u"] * j["T"]), uM=total(j["u"] * j["M"]), vT=total(j["v"] * j["T"]), vM=total(j["v"] * j["M"]),
        TT=total(j["T"] ** 2), TM=total(j["T"] * j["M"]), MM=total(j["M"] ** 2), shared=total(j["M"] > 0),
        pool_total=float(pool["T"].sum()), pool_n=float(pool["M"].sum()), pool_clusters=float(len(pool)),
        pool_TT=float((pool["T"] ** 2).sum()), pool_TM=float((pool["T"] * pool["M"]).sum()),
        pool_MM=float((pool["M"] ** 2).sum()), in_pool=baseline is None,
    )  # fmt: skip


@pytest.mark.parametrize("baseline", [None, "b"])
def test_clustered_difference_variance_equals_the_per_customer_sum(baseline: str | None) -> None:
    """The moment formula equals ``C / (C - 1) * sum z_i^2`` computed customer by customer, for the
    group against the rest and against a baseline group (both hold customers in common)."""
    d = _clustered_world(seed=3).assign(
        group=lambda x: np.where(x.index % 3 == 0, "a", np.where(x.index % 3 == 1, "b", "c"))
    )
    other = d[d["group"] != "a"] if baseline is None else d[d["group"] == baseline]
    mine = d[d["group"] == "a"]
    r_g, r_o = mine["score"].mean(), other["score"].mean()
    a = mine.groupby("customer_id")["score"].agg(lambda s: (s - r_g).sum())
    c = other.groupby("customer_id")["score"].agg(lambda s: (s - r_o).sum())
    z = pd.concat([a / len(mine), -c / len(other)], axis=1).fillna(0.0).sum(axis=1)
    expected = len(z) / (len(z) - 1) * float((z**2).sum())
    got = float(inference.cluster_difference_variance(_pair_moments(d, "a", baseline))[0])
    assert got == pytest.approx(expected, rel=1e-10)


def test_clustered_difference_variance_matches_a_bootstrap_over_customers() -> None:
    d = _clustered_world(seed=4, customers=400)
    got = float(inference.cluster_difference_variance(_pair_moments(d, "a", None))[0])
    in_a = d["group"] == "a"
    per = pd.DataFrame(
        {
            "ua": d["score"].where(in_a, 0), "va": in_a.astype(float),
            "ur": d["score"].where(~in_a, 0), "vr": (~in_a).astype(float), "customer_id": d["customer_id"],
        }
    ).groupby("customer_id").sum().to_numpy(float)  # fmt: skip
    draws = np.random.default_rng(5).integers(0, len(per), size=(4000, len(per)))
    s = per[draws].sum(axis=1)
    diffs = s[:, 0] / s[:, 1] - s[:, 2] / s[:, 3]
    assert math.sqrt(got) == pytest.approx(np.std(diffs, ddof=1), rel=0.07)


def test_poisson_interval_matches_garwood() -> None:
    """95% exact limits for 0, 1 and 10 events (Garwood 1936; as tabulated by Ulm 1990):
    0 -> (0, 3.689), 1 -> (0.0253, 5.572), 10 -> (4.795, 18.390)."""
    low, high = inference.poisson_interval(np.array([0, 1, 10]), np.array([1.0, 1.0, 1.0]))
    assert low == pytest.approx([0.0, 0.0253, 4.795], abs=5e-4)
    assert high == pytest.approx([3.689, 5.572, 18.390], abs=5e-3)
    scaled = inference.poisson_interval(np.array([10]), np.array([200.0]))
    assert scaled[0][0] == pytest.approx(4.795 / 200, rel=1e-3)


def test_rate_ratio_test() -> None:
    """Equal rates give p = 1 and a ratio of 1 inside its interval; 30 events in 100 months against
    10 in 100 months is a ratio of 3, significant, with an interval above 1."""
    same = inference.rate_ratio_test(10, 100.0, 20, 200.0)
    assert same.ratio == pytest.approx(1.0) and same.p_value == pytest.approx(1.0) and same.low < 1 < same.high
    more = inference.rate_ratio_test(30, 100.0, 10, 100.0)
    assert more.ratio == pytest.approx(3.0) and more.p_value < 0.01 and more.low > 1
    assert math.isnan(inference.rate_ratio_test(0, 10.0, 0, 10.0).p_value)


def test_kish_effective_n_by_hand() -> None:
    """Weights 1, 1, 2, 2: (6)^2 / 10 = 3.6; equal weights give n."""
    assert inference.kish_effective_n(np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(3.6)
    assert inference.kish_effective_n(np.full(7, 3.0)) == pytest.approx(7.0)
