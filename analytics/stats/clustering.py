"""Clusters in a feature matrix: k-means or a Gaussian mixture for each k tried, k chosen by silhouette
or BIC, every row assigned, and how stable the result is under resampling. Arrays in, labels and scores
out (``cluster``); ``analyses.segmentation`` builds the matrix from customers and profiles the result.

- ``kmeans``: k by the silhouette (on a seeded sample of at most ``SILHOUETTE_SAMPLE`` rows). From
  ``SEEDED_FROM`` rows, k-means (ten starts) runs on a seeded sample of ``SEED_SAMPLE`` rows and its
  centres start one full k-means over every row, which converges in a few passes.
- ``gmm``: a Gaussian mixture with full covariances, k by BIC (lower is better), with a covariance
  floor (``GMM_REG_COVAR``, in units of each standardised feature's variance). Above
  ``GMM_FIT_SAMPLE`` rows it is fitted, and its BIC computed, on a seeded sample of that many. Its
  posterior probabilities give each row a ``membership``.
- ``stability``: the mean adjusted Rand index between the fit's labels and a refit on each of
  ``STABILITY_RESAMPLES`` bootstrap resamples of a seeded sample of at most ``STABILITY_SAMPLE`` rows.

Everything is seeded through ``random_state``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

Method = Literal["kmeans", "gmm"]
METHODS: tuple[Method, ...] = ("kmeans", "gmm")

SILHOUETTE_SAMPLE = 5_000
#: Native threads (OpenMP, BLAS) a model fit may use.
FIT_THREADS = 1
#: From this many rows, k-means starts from centres found on a sample of ``SEED_SAMPLE``.
SEEDED_FROM = 100_000
SEED_SAMPLE = 20_000
GMM_FIT_SAMPLE = 20_000
GMM_REG_COVAR = 0.05
STABILITY_RESAMPLES = 20
STABILITY_SAMPLE = 5_000


def standardise(x: np.ndarray) -> np.ndarray:
    """Each column of ``x`` centred and scaled to unit variance."""
    out: np.ndarray = StandardScaler().fit_transform(x)
    return out


@dataclass(frozen=True)
class ClusterFit:
    """One fitted model: how it labels rows, and for a mixture its membership probabilities and BIC."""

    predict: Callable[[np.ndarray], np.ndarray]
    labels: np.ndarray | None = None  # k-means: the labels of every row, from the fit itself
    posterior: Callable[[np.ndarray], np.ndarray] | None = None  # the mixture's membership probabilities
    bic: float = math.nan

    def assign(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels of every row of ``x`` with the membership probability (NaN for k-means)."""
        if self.posterior is None:
            labels = self.labels if self.labels is not None else self.predict(x)
            return labels, np.full(len(x), np.nan)
        # Only for the chosen k: at a million rows, posteriors for every candidate cost more than the fits.
        p = self.posterior(x)
        return p.argmax(axis=1), p.max(axis=1)


def fit_clusters(x: np.ndarray, k: int, method: Method, random_state: int) -> ClusterFit:
    """``k`` clusters of the rows of ``x`` by ``method`` (see the module's description)."""
    if method == "kmeans":
        if len(x) < SEEDED_FROM:
            model = KMeans(k, random_state=random_state, n_init=10)
        else:
            rows = np.random.default_rng(random_state).choice(len(x), SEED_SAMPLE, replace=False)
            seed = KMeans(k, random_state=random_state, n_init=10).fit(x[rows])
            model = KMeans(k, init=seed.cluster_centers_, n_init=1)
        return ClusterFit(model.predict, labels=model.fit_predict(x))
    rows = np.arange(len(x))
    if len(x) > GMM_FIT_SAMPLE:
        rows = np.sort(np.random.default_rng(random_state).choice(len(x), GMM_FIT_SAMPLE, replace=False))
    gmm = GaussianMixture(
        k, covariance_type="full", reg_covar=GMM_REG_COVAR, n_init=3, random_state=random_state, max_iter=200
    ).fit(x[rows])
    return ClusterFit(gmm.predict, posterior=gmm.predict_proba, bic=float(gmm.bic(x[rows])))


def stability(x: np.ndarray, labels: np.ndarray, k: int, method: Method, random_state: int) -> float:
    """Mean ARI between ``labels`` and refits on bootstrap resamples, each compared on the rows it
    drew. Resamples come from a seeded sample of at most ``STABILITY_SAMPLE`` rows; NaN when no
    resample holds more than ``k`` distinct rows."""
    rng = np.random.default_rng(random_state + 1)
    base = rng.choice(len(x), size=min(STABILITY_SAMPLE, len(x)), replace=False)
    scores = []
    for i in range(STABILITY_RESAMPLES):
        drawn = rng.choice(base, size=base.size, replace=True)
        rows = np.unique(drawn)
        if rows.size <= k:
            continue
        refit = fit_clusters(x[drawn], k, method, random_state + i)
        scores.append(adjusted_rand_score(labels[rows], refit.predict(x[rows])))
    return float(np.mean(scores)) if scores else math.nan


@dataclass(frozen=True)
class Clusters:
    """The clusters ``cluster`` found: ``labels`` numbered 0 to k - 1, each row's ``membership`` (NaN
    for k-means), the silhouette of every k tried, the BIC of every mixture tried (``gmm`` only), and
    the ``stability`` of the chosen k."""

    labels: np.ndarray
    membership: np.ndarray
    silhouette_by_k: dict[int, float]
    bic_by_k: dict[int, float]
    stability: float


def cluster(x: np.ndarray, candidates: Sequence[int], *, method: Method, random_state: int) -> Clusters:
    """Fit every k in ``candidates``, keep the best by silhouette (``kmeans``) or BIC (``gmm``),
    assign every row and measure its stability."""
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(x), size=min(SILHOUETTE_SAMPLE, len(x)), replace=False)
    # One native thread per fit: a dashboard serves several sessions on few cores, and k-means with a
    # thread per core in every session oversubscribes them many times over (6x slower measured).
    with threadpool_limits(limits=FIT_THREADS):
        fitted = {c: fit_clusters(x, c, method, random_state) for c in candidates}
        silhouettes = {c: _silhouette(x, sample, fit) for c, fit in fitted.items()}
        bics = {c: fit.bic for c, fit in fitted.items()} if method == "gmm" else {}
        best = min(bics, key=lambda c: bics[c]) if bics else max(silhouettes, key=lambda c: silhouettes[c])
        found, membership = fitted[best].assign(x)
        stable = stability(x, found, best, method, random_state)
    # A mixture can leave a component without rows: number the clusters that exist 0, 1, ...
    _, labels = np.unique(found, return_inverse=True)
    return Clusters(labels, membership, silhouettes, bics, stable)


def _silhouette(x: np.ndarray, sample: np.ndarray, fit: ClusterFit) -> float:
    """The silhouette of ``fit`` on the rows ``sample`` of ``x``; -1 when it puts them all in one cluster."""
    labels = fit.predict(x[sample]) if fit.labels is None else fit.labels[sample]
    return float(silhouette_score(x[sample], labels)) if len(set(labels)) > 1 else -1.0
