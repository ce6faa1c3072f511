"""Multi-dimensional customer segmentation: k-means on standardised behaviour, value and attitude.

Features per customer, one row each (``customer_features``):

- life stage: ``tenure_months``;
- product usage: plan (one column per plan), ``contacts_per_month``, ``self_service_share``,
  ``voice_share``;
- behaviour: ``escalations_per_month``;
- profitability: ``log_revenue`` (log of monthly revenue);
- attitude: ``ltr`` (latest relationship answer; customers without one get the median, and
  ``answered`` says which).

k is chosen by the silhouette score over a range (on a sample of at most ``SILHOUETTE_SAMPLE``
customers) or fixed. Above ``MINIBATCH_FROM`` customers, mini-batch k-means is used. Everything is
seeded through ``random_state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from analytics import advocacy, schema, warehouse
from analytics.filters import ALL_DATA, Filters
from analytics.warehouse import Warehouse

SILHOUETTE_SAMPLE = 5_000
#: Native threads (OpenMP, BLAS) a model fit may use.
FIT_THREADS = 1
MINIBATCH_FROM = 100_000
FEATURES = (
    "tenure_months", "contacts_per_month", "self_service_share", "voice_share",
    "escalations_per_month", "log_revenue", "ltr",
)  # fmt: skip


def customer_features(wh: Warehouse, f: Filters = ALL_DATA) -> pd.DataFrame:
    """One row per customer in scope with the features listed in the module docstring.

    Columns: ``customer_id``, ``plan``, ``monthly_revenue``, ``answered``, then ``FEATURES`` and one
    ``plan_<name>`` column per plan.
    """
    t = advocacy.with_contacts(wh, f, advocacy.customer_advocacy(wh, f), detail=True)
    months = t.months_observed
    n = t.contacts.fill_null(0)
    frame = (
        t.select(
            "customer_id",
            "plan",
            "monthly_revenue",
            "ltr",
            "tenure_months",
            contacts_per_month=n / months,
            self_service_share=(t.automated.fill_null(0) / ibis.greatest(n, 1)).cast("float64"),
            voice_share=(t.voice.fill_null(0) / ibis.greatest(n, 1)).cast("float64"),
            escalations_per_month=t.escalations.fill_null(0) / months,
        )
        .order_by("customer_id")
        .execute()
    )
    frame["ltr"] = pd.to_numeric(frame["ltr"], errors="coerce")
    frame["answered"] = frame["ltr"].notna()
    frame["ltr"] = frame["ltr"].fillna(frame["ltr"].median() if frame["answered"].any() else 7.0).astype(float)
    frame["log_revenue"] = np.log1p(frame["monthly_revenue"].clip(lower=0))
    for plan in sorted(frame["plan"].dropna().unique()):
        frame[f"plan_{plan}"] = (frame["plan"] == plan).astype(float)
    return frame


def feature_matrix(features: pd.DataFrame) -> np.ndarray:
    """The standardised matrix k-means sees: ``FEATURES`` then one column per plan, each with unit variance."""
    plans = sorted(c for c in features.columns if c.startswith("plan_"))
    x: np.ndarray = StandardScaler().fit_transform(features[[*FEATURES, *plans]].to_numpy(float))
    return x


@dataclass(frozen=True)
class Segmentation:
    """A fitted segmentation: labels per customer, the chosen k, and how k was chosen.

    When there are too few customers in scope to make segments, ``k`` is 0, the frames are empty and
    ``note`` says why.
    """

    assignments: pd.DataFrame  # customer_id, segment_id, segment
    k: int
    silhouette_by_k: dict[int, float]
    profiles: pd.DataFrame
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return self.k == 0


PROFILE_COLUMNS: tuple[str, ...] = (
    "segment_id", "customers", "share", "revenue_share", *FEATURES, "nps", "nps_low", "nps_high", "nps_n", "segment",
)  # fmt: skip


def no_segments(note: str) -> Segmentation:
    """The empty segmentation, for a scope with too few customers; ``note`` says why."""
    return Segmentation(
        assignments=pd.DataFrame(
            {
                "customer_id": pd.Series(dtype=object),
                "segment_id": pd.Series(dtype="int64"),
                "segment": pd.Series(dtype=object),
            }
        ),
        k=0,
        silhouette_by_k={},
        profiles=pd.DataFrame({c: pd.Series(dtype=object if c == "segment" else float) for c in PROFILE_COLUMNS}),
        note=note,
    )


def segment_customers(
    features: pd.DataFrame,
    *,
    k: int | None = None,
    k_range: Sequence[int] = range(3, 8),
    random_state: int = 0,
) -> Segmentation:
    """Cluster customers on standardised features; choose k by silhouette unless ``k`` is given.

    Parameters
    ----------
    features
        Output of ``customer_features`` (needs ``customer_id``, ``FEATURES``, ``plan_*`` columns and
        ``monthly_revenue``).
    k
        Fixed number of segments; ``None`` picks the best silhouette over ``k_range``.
    random_state
        Seed for k-means and the silhouette sample.

    Returns
    -------
    Segmentation
        Empty, with a ``note``, when the customers are too few for the segments asked for (k needs
        more than k customers).

    Raises
    ------
    ValueError
        For a fixed ``k`` below 2, or features without the needed columns.
    """
    missing = [c for c in ("customer_id", "monthly_revenue", *FEATURES) if c not in features.columns]
    if missing:
        raise ValueError(f"features lack column(s) {missing}; build them with customer_features()")
    if k is not None and k < 2:
        raise ValueError(f"k must be at least 2 to make segments, got {k}")
    candidates = [k] if k is not None and k < len(features) else [c for c in k_range if 2 <= c < len(features)]
    if k is not None and k >= len(features) or not candidates:
        asked = f"{k} segments" if k is not None else f"segments (k from {min(k_range)} to {max(k_range)})"
        return no_segments(f"{len(features):,} customers in scope are too few to make {asked}.")
    if features[list(FEATURES)].isna().any(axis=None):
        return no_segments("No contacts in scope: segments are built from how customers get in touch.")
    x = feature_matrix(features)
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(x), size=min(SILHOUETTE_SAMPLE, len(x)), replace=False)

    def fit(n_clusters: int) -> np.ndarray:
        if len(x) >= MINIBATCH_FROM:
            model = MiniBatchKMeans(n_clusters, random_state=random_state, batch_size=4096, n_init=3)
        else:
            model = KMeans(n_clusters, random_state=random_state, n_init=10)
        labels: np.ndarray = model.fit_predict(x)
        return labels

    scores: dict[int, float] = {}
    fitted: dict[int, np.ndarray] = {}
    # One native thread per fit: a dashboard serves several sessions on few cores, and k-means with a
    # thread per core in every session oversubscribes them many times over (6x slower measured).
    with threadpool_limits(limits=FIT_THREADS):
        for c in candidates:
            fitted[c] = fit(c)
            labels_c = fitted[c][sample]
            scores[c] = float(silhouette_score(x[sample], labels_c)) if len(set(labels_c)) > 1 else -1.0
    best = max(scores, key=lambda c: scores[c]) if k is None else k
    labels = fitted[best]
    profiles = _profiles(features, labels)
    names = dict(zip(profiles["segment_id"], profiles["segment"], strict=True))
    assignments = pd.DataFrame(
        {"customer_id": features["customer_id"].to_numpy(), "segment_id": labels, "segment": [names[i] for i in labels]}
    )
    return Segmentation(assignments=assignments, k=best, silhouette_by_k=scores, profiles=profiles)


def segment(wh: Warehouse, f: Filters = ALL_DATA, *, k: int | None = None, random_state: int = 0) -> Segmentation:
    """Build the features of the customers in scope and cluster them (see ``segment_customers``)."""
    return segment_customers(customer_features(wh, f), k=k, random_state=random_state)


def _profiles(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Size, feature means, NPS with interval and revenue share per segment, with a descriptive name."""
    data = features.assign(segment_id=labels)
    total_revenue = data["monthly_revenue"].sum()
    overall = data[list(FEATURES)].mean()
    rows = []
    for seg_id, d in data.groupby("segment_id"):
        answered = d.loc[d["answered"], "ltr"].round().astype(int).to_numpy() if "answered" in d else np.array([], int)
        est = advocacy.nps_from_scores(answered)
        means = d[[*FEATURES, *(c for c in d.columns if c.startswith("plan_"))]].mean()
        rows.append(
            {
                "segment_id": int(seg_id),
                "customers": len(d),
                "share": len(d) / len(data),
                "revenue_share": d["monthly_revenue"].sum() / total_revenue if total_revenue else np.nan,
                **means.to_dict(),
                "nps": np.nan if est.score is None else est.score,
                "nps_low": np.nan if est.low is None else est.low,
                "nps_high": np.nan if est.high is None else est.high,
                "nps_n": est.n,
                "segment": _name(means, overall, est.score),
            }
        )
    profiles = pd.DataFrame(rows)
    # Names must be unique: number repeats ("… promoters 2").
    seen: dict[str, int] = {}
    unique = []
    for name in profiles["segment"]:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    profiles["segment"] = unique
    return profiles.sort_values("revenue_share", ascending=False, ignore_index=True)


def _name(means: pd.Series, overall: pd.Series, nps: float | None) -> str:
    """A plain-words name from how a segment differs from everyone: value, channel habit, attitude."""
    value_gap = means["log_revenue"] - overall["log_revenue"]
    value = "high-value" if value_gap > 0.5 else "low-value" if value_gap < -0.5 else "mid-value"
    if means["self_service_share"] > overall["self_service_share"] + 0.1:
        habit = "digital"
    elif means["voice_share"] > overall["voice_share"] + 0.1:
        habit = "phone-first"
    elif means["contacts_per_month"] > 1.5 * overall["contacts_per_month"]:
        habit = "high-contact"
    elif means["tenure_months"] < 0.6 * overall["tenure_months"]:
        habit = "new"
    else:
        habit = "steady"
    attitude = "customers" if nps is None else "promoters" if nps >= 20 else "detractors" if nps <= -10 else "passives"
    plans = {c.removeprefix("plan_"): v for c, v in means.items() if str(c).startswith("plan_")}
    plan = max(plans, key=lambda p: plans[p]) if plans else ""
    on_plan = f" on {plan.replace('_', '-')}" if plans and plans[plan] > 0.8 else ""
    return f"{value} {habit} {attitude}{on_plan}"


#: Where saved segment assignments live in the warehouse.
SEGMENT_TABLE = schema.SEGMENT_TABLE


def save_assignments(wh: Warehouse, seg: Segmentation) -> int:
    """Write the assignments to the warehouse table ``customer_segments`` in one commit, replacing
    earlier ones, so other analyses can join the segment as a dimension. Returns the new version.

    Raises
    ------
    ValueError
        For an empty segmentation: saving it would erase the saved segments and put nothing instead.
    """
    if seg.is_empty:
        raise ValueError(f"there are no segments to save: {seg.note}")
    table = pa.Table.from_pandas(seg.assignments.astype({"segment_id": "int64"}), preserve_index=False)
    with warehouse.write_lock(wh.root):
        return warehouse.replace(wh.root, SEGMENT_TABLE, table)


@dataclass(frozen=True)
class SavedSegments:
    """What the saved segmentation holds: how many customers and segments, and when it was saved."""

    customers: int
    segments: int
    saved_at: datetime | None


def saved_summary(wh: Warehouse) -> SavedSegments | None:
    """The saved segmentation in the warehouse, or ``None`` if none is saved."""
    if not wh.has(SEGMENT_TABLE):
        return None
    t = wh.table(SEGMENT_TABLE)
    row = t.aggregate(customers=t.count(), segments=t.segment.nunique()).execute().iloc[0]
    commit = wh.delta(SEGMENT_TABLE).history(limit=1)
    saved_at = datetime.fromtimestamp(commit[0]["timestamp"] / 1000, UTC) if commit else None
    return SavedSegments(int(row["customers"]), int(row["segments"]), saved_at)
