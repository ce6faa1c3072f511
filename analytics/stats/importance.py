"""Relative importance of drivers for an outcome: how much of the outcome's variance each explains.

The estimators work on plain arrays and frames and are pinned by golden tests:

- ``relative_importance``: the LMG decomposition of R² (Lindeman, Merenda and Gold 1980; Grömping
  2006, "Relative importance for linear regression in R: the package relaimpo", Journal of
  Statistical Software 17(1)). Each driver gets its Shapley value in the game whose worth is the R²
  of a subset of drivers: its gain in R² when added, averaged over every order of entry. It is
  computed exactly from the covariance matrix: the R² of all ``2^p`` subsets comes from one
  depth-first sweep in which every subset is its parent with one more driver partialled out (a rank-one
  Schur-complement update), so no subset costs more than ``O(p²)`` and errors never accumulate over
  more than ``p`` steps. Exact up to ``MAX_EXACT`` drivers.
- Johnson's relative weights (Johnson, J. W. 2000, "A heuristic method for estimating the relative
  weight of predictor variables in multiple regression", Multivariate Behavioral Research 35(1)):
  regress the outcome on the orthogonal counterpart of the drivers (the symmetric square root of their
  correlation matrix) and share each orthogonal term's R² back by its squared loadings. An option,
  and the automatic choice beyond ``MAX_EXACT`` drivers, where all subsets would be too many.
- ``importance_intervals``: the same with bootstrap intervals that resample *customers* (clusters),
  not responses: one customer's answers are alike, and resampling them one by one would pretend
  they are independent. The bootstrap never touches rows: it works on each customer's sums of the
  variables and their cross-products, and a replicate is a weighted sum of those (the weights are
  the multinomial counts of a resample of customers), from which its covariance matrix follows.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

Method = Literal["lmg", "johnson"]
Missing = Literal["listwise", "pairwise"]

#: LMG is exact over all subsets up to this many drivers; beyond, Johnson's weights are used.
MAX_EXACT = 15
#: Fewer customers than this give point estimates without bootstrap intervals.
MIN_CUSTOMERS = 10
#: At least this share of the replicates must be estimable for an interval to be shown.
MIN_VALID_REPLICATES = 0.5
#: Customers per block of the bootstrap: bounds the memory of the per-customer sums at any scale.
BLOCK = 1 << 16
#: Sums per row for 10 drivers and the outcome, listwise (1 + 11 + 66): what ``BLOCK`` is sized for.
LISTWISE_WIDTH = 78
#: A driver whose variance left after partialling out others is below this share of its own is
#: treated as redundant with them: it adds nothing to R² in that subset.
COLLINEAR = 1e-10
#: Kinds of driver, in the order ``ImportanceIntervals.split`` gives them: rated attributes are
#: tactile or emotive, contact measures operational.
KINDS = ("tactile", "emotive", "operational", "unclassified")
SPLIT_COLUMNS = ("kind", "importance", "low", "high", "share", "share_low", "share_high")


# --- the estimators ---------------------------------------------------------------------------------


def subset_r2(cov: np.ndarray) -> np.ndarray:
    """R² of the outcome on every subset of the drivers, from covariance matrices.

    ``cov`` is ``(q, q)`` or a stack ``(B, q, q)`` with the outcome first and ``p = q - 1`` drivers
    after it. Returns ``(2^p,)`` or ``(B, 2^p)``: entry ``m`` is the R² of the drivers whose bits are
    set in ``m`` (bit ``j`` is driver ``j``), so entry 0 is 0 and the last is the full model's R².

    Each subset is reached from the one without its highest driver by partialling that driver out of
    the residual covariance of the rest (``A - a aᵀ / a_kk``). The residual variance of the outcome
    then gives ``R² = 1 - residual / variance``. Only drivers after the pivot are carried on, so the
    matrices shrink down the tree. A pivot with (almost) no variance left is redundant and adds
    nothing, which gives singular data the R² of its independent part.
    """
    a = np.asarray(cov, dtype=float)
    single = a.ndim == 2
    if single:
        a = a[None]
    b, q, _ = a.shape
    p = q - 1
    out = np.zeros((b, 1 << p))
    var_y = a[:, 0, 0].copy()
    own = np.diagonal(a, axis1=1, axis2=2)[:, 1:].copy()  # each driver's own variance
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(var_y > 0, 1.0 / var_y, np.nan)

    def visit(mask: int, m: np.ndarray, drivers: list[int]) -> None:
        # ``m`` is the residual covariance of [outcome, *drivers] given the drivers in ``mask``.
        for t, j in enumerate(drivers, start=1):
            pivot = m[:, t, t]
            live = pivot > COLLINEAR * own[:, j]
            keep = [0, *range(t + 1, len(drivers) + 1)]
            sub = m[:, keep][:, :, keep]
            col = np.where(live[:, None], m[:, keep, t], 0.0) / np.where(live, pivot, 1.0)[:, None]
            child = sub - col[:, :, None] * m[:, None, t, keep]
            child_mask = mask | (1 << j)
            out[:, child_mask] = 1.0 - child[:, 0, 0] * scale
            if len(keep) > 1:
                visit(child_mask, child, drivers[t:])

    visit(0, a, list(range(p)))
    return out[0] if single else out


def _shapley_weights(p: int) -> np.ndarray:
    """Weight of a subset of size ``k`` (not holding the driver) in a Shapley value over ``p`` players:
    ``k! (p - k - 1)! / p!``."""
    return np.array([1.0 / (p * math.comb(p - 1, k)) for k in range(p)])


def lmg_from_subsets(r2: np.ndarray) -> np.ndarray:
    """LMG shares of R² from the R² of every subset (``subset_r2``): ``(2^p,)`` → ``(p,)``, or
    ``(B, 2^p)`` → ``(B, p)``.

    Driver ``j`` gets ``sum over S not holding j of k!(p-k-1)!/p! * (R²(S + j) - R²(S))`` with
    ``k = |S|``: its gain averaged over all ``p!`` orders of entry. The values sum to the full R².
    """
    r = np.asarray(r2, dtype=float)
    single = r.ndim == 1
    if single:
        r = r[None]
    p = int(round(math.log2(r.shape[1])))
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = _shapley_weights(p) if p else np.zeros(0)
    out = np.empty((r.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = (r[:, without | (1 << j)] - r[:, without]) @ weights[sizes[without]]
    return out[0] if single else out


def lmg(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact LMG importances and R² from covariance matrices (outcome first): ``(importance, r2)``,
    shaped ``(p,)`` and ``()`` for one matrix, ``(B, p)`` and ``(B,)`` for a stack."""
    r2 = subset_r2(cov)
    return lmg_from_subsets(r2), r2[..., -1]


def johnson_weights(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Johnson's (2000) raw relative weights and R² from covariance matrices (outcome first).

    With ``R = Q diag(λ) Qᵀ`` the drivers' correlation matrix, ``Λ = Q diag(√λ) Qᵀ`` links them to
    their closest orthogonal counterparts ``Z``; the outcome's standardised coefficients on ``Z`` are
    ``β = Λ⁻¹ r_xy`` and driver ``j`` gets ``Σ_k Λ_jk² β_k²``. The weights sum to R². Directions with
    no variance (singular data) are left out of ``Λ⁻¹``.
    """
    a = np.asarray(cov, dtype=float)
    single = a.ndim == 2
    if single:
        a = a[None]
    corr = _correlation(a)
    rxx, rxy = corr[:, 1:, 1:], corr[:, 1:, 0]
    values, vectors = np.linalg.eigh(rxx)
    top = np.maximum(values.max(axis=1, keepdims=True), 1e-300)
    kept = values > 1e-12 * top
    root = np.sqrt(np.where(kept, values, 0.0))
    inv_root = np.where(kept, 1.0 / np.where(kept, root, 1.0), 0.0)
    lam = np.einsum("bik,bk,bjk->bij", vectors, root, vectors)
    lam_inv = np.einsum("bik,bk,bjk->bij", vectors, inv_root, vectors)
    beta = np.einsum("bij,bj->bi", lam_inv, rxy)
    weights = np.einsum("bjk,bk->bj", lam**2, beta**2)
    r2 = weights.sum(axis=1)
    return (weights[0], r2[0]) if single else (weights, r2)


def _correlation(a: np.ndarray) -> np.ndarray:
    """Correlation matrices from covariance matrices ``(B, q, q)``; a variable with no variance gets
    no correlation with anything (and 1 on the diagonal), so it explains nothing."""
    d = np.diagonal(a, axis1=1, axis2=2)
    ok = d > 0
    inv = np.where(ok, 1.0 / np.sqrt(np.where(ok, d, 1.0)), 0.0)
    corr = a * inv[:, :, None] * inv[:, None, :]
    idx = np.arange(a.shape[1])
    corr[:, idx, idx] = 1.0
    return corr


def _decompose(cov: np.ndarray, method: Method) -> tuple[np.ndarray, np.ndarray]:
    return lmg(cov) if method == "lmg" else johnson_weights(cov)


# --- sufficient statistics --------------------------------------------------------------------------


def _row_features(z: np.ndarray, observed: np.ndarray | None) -> np.ndarray:
    """Per-row terms whose sums give a covariance matrix (``_covariances``).

    Listwise (``observed`` is None, ``z`` complete): ``1, z, z_i z_j (i <= j)``. Pairwise: with
    ``u`` the observed flags, ``v = u z`` and ``w = u z²`` (missing as 0), the sums of ``u_i u_j``,
    ``v_i u_j``, ``w_i u_j`` and ``v_i v_j`` give every pair's count, sums and sums of squares over
    the rows where both are present.
    """
    n, q = z.shape
    tri = q * (q + 1) // 2
    # Built feature by feature along rows (contiguous, no temporaries), then laid out row-major
    # for the per-cluster sums.
    zt = np.ascontiguousarray(z.T)

    def upper(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        at = 0
        for i in range(q):
            np.multiply(a[i], b[i:], out=out[at : at + q - i])
            at += q - i

    if observed is None:
        out = np.empty((1 + q + tri, n))
        out[0] = 1.0
        out[1 : 1 + q] = zt
        upper(zt, zt, out[1 + q :])
        return np.ascontiguousarray(out.T)
    u = np.ascontiguousarray(observed.T, dtype=float)
    v = np.where(u > 0, zt, 0.0)
    w = v * v
    out = np.empty((2 * tri + 2 * q * q, n))
    upper(u, u, out[:tri])
    np.multiply(v[:, None, :], u[None, :, :], out=out[tri : tri + q * q].reshape(q, q, n))
    np.multiply(w[:, None, :], u[None, :, :], out=out[tri + q * q : tri + 2 * q * q].reshape(q, q, n))
    upper(v, v, out[tri + 2 * q * q :])
    return np.ascontiguousarray(out.T)


def _covariances(totals: np.ndarray, q: int, pairwise: bool) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (listwise) or pairwise correlation matrices ``(B, q, q)`` from summed
    ``_row_features``, and the number of rows behind each (``(B,)``; for pairwise, the fewest
    behind any pair)."""
    t = np.atleast_2d(totals)
    b = t.shape[0]
    iu, ju = np.triu_indices(q)
    tri = len(iu)

    def symmetric(flat: np.ndarray) -> np.ndarray:
        m = np.zeros((b, q, q))
        m[:, iu, ju] = flat
        m[:, ju, iu] = flat
        return m

    if not pairwise:
        n = t[:, 0]
        s = t[:, 1 : 1 + q]
        m = symmetric(t[:, 1 + q :])
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (m - s[:, :, None] * s[:, None, :] / n[:, None, None]) / (n[:, None, None] - 1)
        return cov, n
    nn = symmetric(t[:, :tri])
    sx = t[:, tri : tri + q * q].reshape(b, q, q)  # sx[i, j]: sum of z_i where i and j are present
    sq = t[:, tri + q * q : tri + 2 * q * q].reshape(b, q, q)
    pp = symmetric(t[:, tri + 2 * q * q :])
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = pp - sx * sx.transpose(0, 2, 1) / nn
        var_i = sq - sx**2 / nn
        var_j = var_i.transpose(0, 2, 1)
        ok = (var_i > 0) & (var_j > 0) & (nn > 1)
        corr = np.where(ok, cross / np.sqrt(np.where(ok, var_i * var_j, 1.0)), 0.0)
    idx = np.arange(q)
    corr[:, idx, idx] = 1.0
    fewest = nn.reshape(b, -1).min(axis=1)
    return corr, fewest


def _nearest_psd(corr: np.ndarray) -> tuple[np.ndarray, bool]:
    """A pairwise correlation matrix need not be positive semi-definite; clip negative eigenvalues and
    rescale to a unit diagonal. Returns the matrices and whether any needed it."""
    values, vectors = np.linalg.eigh(corr)
    bad = values.min(axis=1) < -1e-10
    if not bad.any():
        return corr, False
    fixed = np.einsum("bik,bk,bjk->bij", vectors, np.maximum(values, 0.0), vectors)
    d = np.sqrt(np.maximum(np.diagonal(fixed, axis1=1, axis2=2), 1e-300))
    fixed = fixed / d[:, :, None] / d[:, None, :]
    return np.where(bad[:, None, None], fixed, corr), True


def _resample_counts(
    clusters: int, replicates: int, rng: np.random.Generator, block: int = BLOCK
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Multinomial resampling counts of ``clusters`` clusters, ``replicates`` times, one block of
    clusters at a time: yields ``(first, stop, counts)`` with ``counts`` shaped
    ``(replicates, stop - first)`` (as floats, ready to weight sums with).

    Concatenated over blocks, each row is a draw of ``clusters`` clusters with replacement. How
    many of a replicate's draws fall in each block is itself multinomial (by block size); within a
    block they are uniform.
    """
    edges = [*range(0, clusters, block), clusters]
    sizes = np.diff(edges)
    per_block = rng.multinomial(clusters, sizes / clusters, size=replicates)  # (replicates, blocks)
    for k, (first, stop) in enumerate(itertools.pairwise(edges)):
        m = stop - first
        small = np.uint16 if m <= 1 << 16 else np.uint32  # fewer random bits to draw
        counts = np.empty((replicates, m))
        for b in range(replicates):
            counts[b] = np.bincount(rng.integers(0, m, size=per_block[b, k], dtype=small), minlength=m)
        yield first, stop, counts


def _totals(
    z: np.ndarray,
    observed: np.ndarray | None,
    codes: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Summed ``_row_features`` over all rows, and over each bootstrap replicate of clusters.

    ``codes`` numbers each row's cluster ``0..C-1``. Rows are grouped by cluster and processed a
    block of clusters at a time: the block's per-cluster sums are formed (a sparse indicator
    product), added to the total, and weighted by the block's resampling counts into every
    replicate's total. Returns ``(total (F,), replicate totals (replicates, F))``.
    """
    if len(codes) and not (np.diff(codes) >= 0).all():
        order = np.argsort(codes, kind="stable")
        codes, z = codes[order], z[order]
        observed = None if observed is None else observed[order]
    clusters = int(codes[-1]) + 1 if len(codes) else 0
    starts = np.searchsorted(codes, np.arange(clusters + 1))
    width = _row_features(z[:1], None if observed is None else observed[:1]).shape[1]
    # Pairwise sums are about five times as wide as listwise ones: fewer customers per block keep a
    # block's rows of sums the same size.
    block = BLOCK if observed is None else max(1024, BLOCK * LISTWISE_WIDTH // width)
    total = np.zeros(width)
    boot = np.zeros((replicates, width))
    blocks = _resample_counts(clusters, replicates, rng, block) if replicates else None
    for first in range(0, clusters, block):
        stop = min(first + block, clusters)
        lo, hi = starts[first], starts[stop]
        f = _row_features(z[lo:hi], None if observed is None else observed[lo:hi])
        indicator = sparse.csr_matrix((np.ones(hi - lo), np.arange(hi - lo), starts[first : stop + 1] - lo))
        per_cluster = indicator @ f
        total += per_cluster.sum(axis=0)
        if blocks is not None:
            _, _, counts = next(blocks)
            boot += counts @ per_cluster
    return total, boot


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Importance:
    """Relative importance of each driver: ``table`` has ``driver``, ``importance`` (R² units,
    summing to ``r2``) and ``share`` (of ``r2``, summing to 1); ``n`` rows were used."""

    r2: float
    n: int
    table: pd.DataFrame
    method: Method = "lmg"
    missing: Missing = "listwise"
    note: str = ""


@dataclass(frozen=True)
class ImportanceIntervals:
    """Relative importance with cluster-bootstrap percentile intervals.

    ``table``: ``driver``, ``importance``, ``low``, ``high``, ``share``, ``share_low``,
    ``share_high``. ``replicates_`` holds every replicate's importances ``(B, p)`` and
    ``r2_replicates_`` their R² (NaN for a replicate that could not be estimated). Bounds are NaN
    when there are too few clusters to resample (``MIN_CUSTOMERS``) or no replicates were asked for.
    """

    r2: float
    r2_low: float
    r2_high: float
    n: int
    clusters: int
    method: Method
    missing: Missing
    confidence: float
    table: pd.DataFrame
    note: str = ""
    replicates_: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    r2_replicates_: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def split(self, kinds: Mapping[str, str]) -> pd.DataFrame:
        """Importance summed by kind of driver (``kinds``: driver → kind), with intervals from the
        same replicates: ``kind``, ``importance``, ``low``, ``high``, ``share``, ``share_low``,
        ``share_high``; kinds in the order of ``KINDS``."""
        drivers = list(self.table["driver"])
        present = [k for k in KINDS if any(kinds.get(d, "unclassified") == k for d in drivers)]
        rows = []
        for kind in present:
            cols = [i for i, d in enumerate(drivers) if kinds.get(d, "unclassified") == kind]
            imp = float(self.table["importance"].iloc[cols].sum())
            share = imp / self.r2 if self.r2 > 0 else math.nan
            reps = self.replicates_[:, cols].sum(axis=1) if self.replicates_.size else np.zeros(0)
            low, high = _bounds(reps, self.confidence, imp)
            with np.errstate(invalid="ignore", divide="ignore"):
                rep_share = reps / self.r2_replicates_ if reps.size else reps
            share_low, share_high = _bounds(rep_share, self.confidence, share)
            rows.append((kind, imp, low, high, share, share_low, share_high))
        return pd.DataFrame(rows, columns=list(SPLIT_COLUMNS))


def _bounds(values: np.ndarray, confidence: float, estimate: float | None = None) -> tuple[float, float]:
    """Percentile interval of the finite ``values``; NaN if fewer than ``MIN_VALID_REPLICATES`` of
    them are finite. An importance is bounded below by 0, so for a driver that explains almost
    nothing the bootstrap's percentiles can both sit above the estimate; given the ``estimate``, the
    interval is stretched to hold it (an interval that leaves out its own estimate only confuses)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if v.size == 0 or finite.size < MIN_VALID_REPLICATES * v.size or finite.size < 2:
        return math.nan, math.nan
    alpha = (1 - confidence) / 2
    low, high = (float(x) for x in np.quantile(finite, [alpha, 1 - alpha]))
    if estimate is not None and math.isfinite(estimate):
        low, high = min(low, estimate), max(high, estimate)
    return low, high


# --- the fit ----------------------------------------------------------------------------------------


def float_columns(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The columns as one float array, missing as NaN (booleans as 0/1, text that is no number as NaN)."""
    frame = data[list(columns)]
    if all(pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) for t in frame.dtypes):
        return frame.to_numpy(dtype=float, na_value=np.nan)
    out = np.empty((len(data), len(columns)))
    for i, c in enumerate(columns):
        column = data[c]
        values = column.astype("float64") if pd.api.types.is_bool_dtype(column.dtype) else column
        out[:, i] = pd.tofloat_columns(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return out


def _check(data: pd.DataFrame, outcome: str, drivers: Sequence[str], method: str, missing: str) -> list[str]:
    drivers = list(drivers)
    if not drivers:
        raise ValueError("at least one driver is needed")
    if len(set(drivers)) != len(drivers):
        raise ValueError(f"drivers repeat: {drivers}")
    if outcome in drivers:
        raise ValueError(f"the outcome {outcome!r} cannot also be a driver")
    absent = [c for c in [outcome, *drivers] if c not in data.columns]
    if absent:
        raise ValueError(f"data has no column {absent[0]!r}; it has: {', '.join(map(str, data.columns))}")
    if method not in ("lmg", "johnson"):
        raise ValueError(f"unknown method {method!r}; use 'lmg' or 'johnson'")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"unknown missing-data rule {missing!r}; use 'listwise' or 'pairwise'")
    return drivers


def relative_importance(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    method: Method = "lmg",
    missing: Missing = "listwise",
) -> Importance:
    """Relative importance of ``drivers`` for ``outcome`` in a linear regression.

    ``method``: ``lmg`` (default; exact Shapley decomposition of R², Grömping 2006) or ``johnson``
    (relative weights, Johnson 2000). More than ``MAX_EXACT`` drivers fall back to Johnson's
    weights, and the note says so. ``missing``: ``listwise`` uses the rows where the outcome and
    every driver are present; ``pairwise`` builds each correlation from the rows where both of its
    variables are present (rows need the outcome and at least one driver), made positive
    semi-definite if needed.

    Requires the columns ``outcome`` and ``drivers`` (numbers or booleans). Too few rows, or an
    outcome that does not vary, give NaN with a note rather than an error.

    Raises
    ------
    ValueError
        For a missing column, no or repeated drivers, or an unknown method or missing-data rule.
    """
    fit = importance_intervals(data, outcome, drivers, method=method, missing=missing, bootstrap=0)
    return Importance(
        r2=fit.r2,
        n=fit.n,
        table=fit.table[["driver", "importance", "share"]],
        method=fit.method,
        missing=fit.missing,
        note=fit.note,
    )


def importance_intervals(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    cluster: str | None = None,
    method: Method = "lmg",
    missing: Missing = "listwise",
    bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
) -> ImportanceIntervals:
    """``relative_importance`` with bootstrap percentile intervals that resample ``cluster``s.

    ``cluster`` names the column that says whose row it is (e.g. ``customer_id``); each replicate
    draws as many clusters as there are, with replacement, and keeps all their rows. Without it,
    rows are resampled one by one. The replicates are weighted sums of per-cluster sufficient
    statistics, never copies of rows. Importances, shares and R² get percentile intervals at
    ``confidence``.

    Raises
    ------
    ValueError
        As ``relative_importance``, for a missing ``cluster`` column, a negative ``bootstrap`` or a
        ``confidence`` outside (0, 1).
    """
    drivers = _check(data, outcome, drivers, method, missing)
    _check_resampling(data, cluster, bootstrap, confidence)
    p = len(drivers)
    notes = []
    if method == "lmg" and p > MAX_EXACT:
        method = "johnson"
        notes.append(
            f"{p} drivers are too many for the exact LMG decomposition (at most {MAX_EXACT}): "
            "Johnson's relative weights are shown instead."
        )
    rows = _usable_rows(data, outcome, drivers, cluster=cluster, missing=missing)

    def empty(note: str) -> ImportanceIntervals:
        return _no_estimate(drivers, rows, method, missing, confidence, " ".join([*notes, note]))

    if rows.n < p + 2:
        return empty(f"{rows.n} usable rows are too few for {p} drivers (at least {p + 2} are needed).")
    standardised = _standardised(rows, missing)
    if standardised is None:
        return empty("The outcome does not vary among these rows, so nothing can explain it.")
    z, observed = standardised
    replicates = bootstrap if rows.clusters >= MIN_CUSTOMERS else 0
    if bootstrap and not replicates:
        notes.append(f"Only {rows.clusters} customers: too few to resample for intervals (at least {MIN_CUSTOMERS}).")
    cov, used, boot_cov, adjusted = _sample_covariances(z, observed, rows.codes, replicates, random_state)
    if adjusted:
        notes.append(
            "The pairwise correlations were not jointly consistent and were adjusted to the nearest valid set."
        )
    if observed is not None and used[0] < 3:
        return empty("Some pair of variables is never answered together, so pairwise correlations cannot be formed.")
    all_importance, all_r2 = _decompose(cov, method)
    importance, r2 = all_importance[0], float(all_r2[0])
    reps, rep_r2 = _replicate_importance(boot_cov, method, p)
    table = _interval_table(drivers, importance, r2, reps, rep_r2, confidence)
    r2_low, r2_high = _bounds(rep_r2, confidence, r2)
    if not r2 > 0:
        notes.append("The drivers explain none of the outcome's variation here, so shares are not defined.")
    return ImportanceIntervals(
        r2, r2_low, r2_high, rows.n, rows.clusters, method, missing, confidence, table, " ".join(notes), reps, rep_r2
    )


def _check_resampling(data: pd.DataFrame, cluster: str | None, bootstrap: int, confidence: float) -> None:
    if cluster is not None and cluster not in data.columns:
        raise ValueError(f"data has no column {cluster!r} to resample by")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 or more replicates, got {bootstrap}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


@dataclass(frozen=True)
class _Rows:
    """The ``n`` rows a fit uses: ``values`` (the outcome, then the drivers; missing as NaN), which
    of them are ``present``, and each row's cluster as a code from 0 to ``clusters`` - 1."""

    values: np.ndarray
    present: np.ndarray
    codes: np.ndarray
    n: int
    clusters: int


def _usable_rows(
    data: pd.DataFrame, outcome: str, drivers: Sequence[str], *, cluster: str | None, missing: Missing
) -> _Rows:
    """The rows with the outcome and every driver (``listwise``) or at least one driver
    (``pairwise``); without ``cluster`` every row is its own cluster."""
    values = float_columns(data, [outcome, *drivers])
    present = ~np.isnan(values)
    keep = present.all(axis=1) if missing == "listwise" else present[:, 0] & present[:, 1:].any(axis=1)
    every = bool(keep.all())  # then skip copying millions of rows to keep them all
    if not every:
        values, present = values[keep], present[keep]
    n = int(keep.sum())
    if cluster is None:
        codes = np.arange(n)
    else:
        ids = data[cluster].to_numpy() if every else data[cluster].to_numpy()[keep]
        codes = pd.factorize(ids, sort=True)[0].astype(np.int64) if n else np.zeros(0, np.int64)
    clusters = int(codes.max()) + 1 if n else 0
    return _Rows(values, present, codes, n, clusters)


def _no_estimate(
    drivers: Sequence[str], rows: _Rows, method: Method, missing: Missing, confidence: float, note: str
) -> ImportanceIntervals:
    """A fit without numbers: every importance, share and bound NaN, and the ``note`` that says why."""
    table = pd.DataFrame(
        {
            "driver": drivers,
            **{c: math.nan for c in ("importance", "low", "high", "share", "share_low", "share_high")},
        }
    )
    return ImportanceIntervals(
        math.nan, math.nan, math.nan, rows.n, rows.clusters, method, missing, confidence, table, note
    )


def _standardised(rows: _Rows, missing: Missing) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The values centred and scaled per variable, with the flags of what is observed (``None`` for
    ``listwise``, where everything is; missing values are 0); ``None`` when the outcome does not vary.

    Standardising first keeps the sums of squares from losing the covariances to rounding."""
    values, present = rows.values, rows.present
    if missing == "listwise":
        centre, spread = values.mean(axis=0), values.std(axis=0)
    else:
        centre, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    if not spread[0] > 0:
        return None
    z = (values - centre) / np.where(spread > 0, spread, 1.0)
    observed = None if missing == "listwise" else present
    if observed is not None:
        z = np.where(present, z, 0.0)
    return z, observed


def _sample_covariances(
    z: np.ndarray, observed: np.ndarray | None, codes: np.ndarray, replicates: int, random_state: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """The covariance (or, with ``observed``, pairwise correlation) matrix of the standardised rows
    ``z``, as a stack of one, the rows behind it, and one matrix per bootstrap replicate of
    clusters (``_totals``); and whether pairwise correlations had to be made positive semi-definite.
    """
    rng = np.random.default_rng(random_state)
    # One BLAS thread: the replicate sums are thin products that a second thread barely speeds up
    # on an idle machine and slows down by half on a busy one (2.5 s against 3.9 s measured at 2 M
    # responses), and a dashboard serves several sessions on few cores.
    with threadpool_limits(limits=1, user_api="blas"):
        total, boot = _totals(z, observed, codes, replicates, rng)
    pairwise = observed is not None
    q = z.shape[1]
    cov, used = _covariances(total, q, pairwise)
    boot_cov = _covariances(boot, q, pairwise)[0] if replicates else np.zeros((0, q, q))
    adjusted = False
    if pairwise:
        cov, adjusted = _nearest_psd(cov)
        if replicates:
            boot_cov, _ = _nearest_psd(boot_cov)
    return cov, used, boot_cov, adjusted


def _replicate_importance(boot_cov: np.ndarray, method: Method, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Every replicate's importances ``(B, p)`` and R² ``(B,)``. A replicate whose outcome does not
    vary cannot be decomposed; it counts as missing (NaN)."""
    replicates = len(boot_cov)
    if not replicates:
        return np.zeros((0, p)), np.zeros(0)
    valid = boot_cov[:, 0, 0] > 0
    reps = np.full((replicates, p), np.nan)
    rep_r2 = np.full(replicates, np.nan)
    if valid.any():
        reps[valid], rep_r2[valid] = _decompose(boot_cov[valid], method)
    return reps, rep_r2


def _interval_table(
    drivers: Sequence[str],
    importance: np.ndarray,
    r2: float,
    reps: np.ndarray,
    rep_r2: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """``driver``, ``importance``, ``low``, ``high``, ``share``, ``share_low``, ``share_high``: each
    estimate with the percentile interval of its replicates (``_bounds``)."""
    p = len(drivers)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = importance / r2 if r2 > 0 else np.full(p, math.nan)
        rep_share = reps / rep_r2[:, None]
    bounds = [_bounds(reps[:, j], confidence, float(importance[j])) for j in range(p)]
    share_bounds = [_bounds(rep_share[:, j], confidence, float(share[j])) for j in range(p)]
    return pd.DataFrame(
        {
            "driver": drivers,
            "importance": importance,
            "low": [b[0] for b in bounds],
            "high": [b[1] for b in bounds],
            "share": share,
            "share_low": [b[0] for b in share_bounds],
            "share_high": [b[1] for b in share_bounds],
        }
    )
