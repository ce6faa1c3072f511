"""Customer segmentation: seeded and stable, k by silhouette, profiles that reconcile, saved assignments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from analytics import demo, segmentation, warehouse


@pytest.fixture(scope="module")
def features(demo_warehouse: Path):  # type: ignore[no-untyped-def]
    return segmentation.customer_features(warehouse.open(demo_warehouse))


def test_features_cover_every_customer_once(features, demo_warehouse: Path) -> None:  # type: ignore[no-untyped-def]
    customers = warehouse.open(demo_warehouse).table("customers").execute()
    assert features["customer_id"].is_unique and len(features) == len(customers)
    assert features[list(segmentation.FEATURES)].notna().all().all()
    assert features["self_service_share"].between(0, 1).all() and (features["contacts_per_month"] >= 0).all()


def test_same_seed_same_segments_and_row_order_does_not_matter(features) -> None:  # type: ignore[no-untyped-def]
    a = segmentation.segment_customers(features, k=4, random_state=3)
    b = segmentation.segment_customers(features, k=4, random_state=3)
    shuffled = features.sample(frac=1.0, random_state=1).reset_index(drop=True)
    c = segmentation.segment_customers(shuffled, k=4, random_state=3)
    assert (a.assignments == b.assignments).all().all()
    merged = a.assignments.merge(c.assignments, on="customer_id")
    assert adjusted_rand_score(merged["segment_id_x"], merged["segment_id_y"]) > 0.95


def test_k_is_the_best_silhouette_checked_directly(features) -> None:  # type: ignore[no-untyped-def]
    seg = segmentation.segment_customers(features, k_range=range(2, 5), random_state=0)
    assert seg.k == max(seg.silhouette_by_k, key=seg.silhouette_by_k.__getitem__)
    columns = [*segmentation.FEATURES, *sorted(c for c in features.columns if c.startswith("plan_"))]
    x = StandardScaler().fit_transform(features[columns].to_numpy(float))  # the features as documented
    labels = KMeans(seg.k, random_state=0, n_init=10).fit_predict(x)  # scikit-learn called directly
    assert seg.silhouette_by_k[seg.k] == pytest.approx(silhouette_score(x, labels))


def test_profiles_reconcile_and_names_are_unique(features) -> None:  # type: ignore[no-untyped-def]
    seg = segmentation.segment_customers(features, k=4, random_state=0)
    p = seg.profiles
    assert p["customers"].sum() == len(features)
    assert p["revenue_share"].sum() == pytest.approx(1.0) and p["share"].sum() == pytest.approx(1.0)
    assert p["segment"].is_unique and set(seg.assignments["segment"]) == set(p["segment"])
    answered = p[p["nps_n"] > 0]
    assert ((answered["nps_low"] <= answered["nps"]) & (answered["nps"] <= answered["nps_high"])).all()
    assert p.loc[p["nps_n"] == 0, "nps"].isna().all()  # no answers: no score, not a made-up one
    assert p["nps_n"].sum() == features["answered"].sum()


def test_planted_personas_are_recovered(features, demo_warehouse: Path) -> None:  # type: ignore[no-untyped-def]
    """The demo hides three behavioural personas (plan, channel mix, contact rate). With k left to the
    silhouette, the segments match them with an adjusted Rand index above 0.75 (a random split
    scores 0), and each segment's profile shows its persona's planted habit."""
    seg = segmentation.segment_customers(features, k_range=range(3, 7), random_state=0)
    truth = demo.load_personas(demo_warehouse).merge(seg.assignments, on="customer_id", validate="1:1")
    assert len(truth) == len(features)
    assert adjusted_rand_score(truth["persona"], truth["segment_id"]) > 0.75

    majority = truth.groupby("segment_id")["persona"].agg(lambda p: p.value_counts().index[0])
    p = seg.profiles.set_index("segment_id")
    assert majority[p["self_service_share"].idxmax()] == "digital_self_server"
    assert majority[p["voice_share"].idxmax()] == "phone_loyalist"
    assert majority[p["contacts_per_month"].idxmax()] == "contract_mixer"


def test_assignments_are_saved_for_other_analyses(features, tmp_path: Path, demo_warehouse: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    root = tmp_path / "wh"
    shutil.copytree(demo_warehouse, root)
    wh = warehouse.open(root)
    seg = segmentation.segment_customers(features, k=3, random_state=0)
    segmentation.save_assignments(wh, seg)
    segmentation.save_assignments(wh, seg)  # replaces, never appends
    stored = warehouse.open(root).table(segmentation.SEGMENT_TABLE).execute()
    assert len(stored) == len(features) and stored["customer_id"].is_unique
    assert np.array_equal(np.sort(stored["segment_id"].unique()), np.arange(3))


def test_bad_input_is_named(features) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="features lack column"):
        segmentation.segment_customers(features.drop(columns=["ltr"]))


def test_a_fixed_k_below_two_is_refused(features) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="k must be at least 2 to make segments, got 1"):
        segmentation.segment_customers(features, k=1)
