"""Pair and node features for causal structure learning (numpy, scipy, sklearn).

Every ordered pair of variables ``(i, j)`` is described by

- a small multi-channel density *image* of ``(x_i, x_j)``: channel 0 is the
  copula density of all rows (both axes rank-normalised to ``(0, 1)``),
  channel 1 the density of the observational rows on standardised axes
  clipped to ``[-3, 3]`` (it keeps the marginal shapes, which carry the
  direction of non-Gaussian and nonlinear mechanisms, and leaves out the
  knock-out rows). Without interventions every row is observational.
  Image row = bin of ``x_i`` (cause candidate), column = bin of ``x_j``.
- pair *scalars*: the columns of the pair statistics of
  :mod:`._statistics` (correlations, Ledoit–Wolf partial correlations,
  knock-out shift scores in both directions, pairwise likelihood-ratio
  measures of direction for non-Gaussian data and the asymmetry of a cubic
  regression fit), and *graph scalars* read off an undirected variable graph
  Ĝ0 (top-k partial-correlation or correlation neighbours);
- fixed-size *node features* (:data:`NODE_FEATURE_NAMES`) that do not depend
  on the number of rows.

Nothing here reads a label: the features are functions of the data (and of
which rows were knock-outs) only.

The pair images of a block of source variables against all variables are
one matrix product of one-hot bin matrices, so features are computed for
blocks of sources at once and never for all ``p²`` pairs together.
:func:`iter_pair_features` streams the blocks, in parallel through joblib.

:class:`PairFeaturizer` is what the estimator uses: it prepares a data matrix,
learns the scaling of the features (and the baseline logit) on the training
pairs and gives scaled features for any block of pairs.
"""

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.linalg import cho_factor, cho_solve
from scipy.stats import rankdata
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from .._progress import progress
from ._stacking import ExternalScore
from ._statistics import (
    DEFAULT_STATISTICS,
    OrderedRegression,
    PairBlock,
    top_partners,
)

__all__ = [
    "GRAPH_SCALAR_NAMES",
    "NODE_FEATURE_NAMES",
    "SCALAR_NAMES",
    "PairData",
    "PairFeaturizer",
    "iter_pair_features",
    "pair_features",
    "pair_histograms",
    "partial_correlations",
    "prepare_pair_data",
    "reverse_scalars",
    "shift_scores",
]

N_CHANNELS = 2
SCALAR_NAMES = tuple(
    name for stat in DEFAULT_STATISTICS if not stat.graph for name in stat.names
)
GRAPH_SCALAR_NAMES = tuple(
    name for stat in DEFAULT_STATISTICS if stat.graph for name in stat.names
)
_QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
NODE_FEATURE_NAMES = (
    *(f"quantile_{q}" for q in _QUANTILES),
    "skewness",
    "kurtosis",
    "negentropy",
    "log_degree",
    "mean_neighbour_abs_pcorr",
    "max_abs_pcorr",
    "regressability",
    "knocked",
    "mean_shift_out",
    "max_shift_out",
    "mean_shift_in",
)
_LOGCOSH_GAUSS = 0.3745672075  # E[log cosh(z)] for z ~ N(0, 1)
# Images: count pair by pair when a block asks for fewer than 1 / _DENSE_PAIR_SHARE
# of its source-target pairs (a count costs about 3 times a product per row);
# otherwise multiply smoothed one-hot matrices. Chunks bound the transients.
_DENSE_PAIR_SHARE = 3
_COUNT_CHUNK = 1 << 22  # pair-rows per bincount
_PRODUCT_CHUNK = 1 << 22  # values of one smoothed one-hot chunk of targets
# All-pairs prediction: at most this many pairs per block (about 135 MB of
# images at the default image size), whatever p.
_PAIRS_PER_BLOCK = 1 << 16


def rank_uniform(X):
    """Rank-transform every column to ``(0, 1)``: ``(rank - 1/2) / n``."""
    n = X.shape[0]
    return (rankdata(X, axis=0) - 0.5) / n


def _bins(U, size):
    """Bin values of ``U`` in ``[0, 1]`` into ``size`` bins: (n, p) int."""
    return np.clip((U * size).astype(np.int64), 0, size - 1)


def one_hot_bins(bins, size):
    """One-hot encode bin indices: (n, p) int -> (n, p * size) float32.

    Column ``v * size + s`` is 1 in the rows where variable ``v`` falls in
    bin ``s``.
    """
    n, p = bins.shape
    out = np.zeros((n, p * size), dtype=np.float32)
    cols = np.arange(p)[None, :] * size + bins
    out[np.arange(n)[:, None], cols] = 1.0
    return out


def pair_histograms(onehot, sources, size):
    """2-D histograms of every source against every variable.

    Parameters
    ----------
    onehot : ndarray of shape (n, p * size)
        One-hot bin matrix from :func:`one_hot_bins`.
    sources : ndarray of int of shape (b,)
        Source variables.
    size : int
        Number of bins per axis.

    Returns
    -------
    hist : ndarray of shape (b, p, size, size)
        ``hist[k, j, s, t]`` counts the rows with ``x_{sources[k]}`` in bin
        ``s`` and ``x_j`` in bin ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> bins = np.array([[0, 1], [1, 1], [0, 0]])
    >>> h = pair_histograms(one_hot_bins(bins, 2), np.array([0]), 2)
    >>> h[0, 1].tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    p = onehot.shape[1] // size
    cols = (np.asarray(sources)[:, None] * size + np.arange(size)).ravel()
    hist = onehot[:, cols].T @ onehot  # (b * S, p * S)
    hist = hist.reshape(len(sources), size, p, size)
    return hist.transpose(0, 2, 1, 3)  # (b, p, S, S)


def smoothing_matrix(size, bandwidth):
    """Gaussian smoothing across bins that preserves mass: (S, S).

    Column ``c`` spreads the count of bin ``c`` over the bins with weights
    summing to one; ``bandwidth`` (in bins) 0 gives the identity.
    """
    if bandwidth <= 0:
        return np.eye(size, dtype=np.float32)
    grid = np.arange(size)
    K = np.exp(-0.5 * ((grid[:, None] - grid[None, :]) / bandwidth) ** 2)
    # Far tails set to 0: float32 subnormals would slow every product down
    # by an order of magnitude.
    K[K < 1e-6] = 0.0
    return (K / K.sum(axis=0, keepdims=True)).astype(np.float32)


def _skewness_kurtosis(Z, chunk=1024):
    """Skewness and excess kurtosis of standardised columns (float64), a chunk
    of columns at a time."""
    p = Z.shape[1]
    skew, kurt = np.empty(p), np.empty(p)
    for lo in range(0, p, chunk):
        z = np.asarray(Z[:, lo : lo + chunk], dtype=np.float64)
        z2 = z * z
        skew[lo : lo + chunk] = (z2 * z).mean(axis=0)
        kurt[lo : lo + chunk] = (z2 * z2).mean(axis=0) - 3.0
    return skew, kurt


def _standardise32(X, chunk=1024):
    """:func:`_standardise` of every column, in float32, a chunk at a time (no
    float64 copy of X is made)."""
    Z = np.empty(X.shape, dtype=np.float32)
    for lo in range(0, X.shape[1], chunk):
        x = np.asarray(X[:, lo : lo + chunk], dtype=np.float64)
        Z[:, lo : lo + chunk] = _standardise(x)[0]
    return Z


def _standardise(X, rows=None):
    ref = X if rows is None else X[rows]
    mean = ref.mean(axis=0)
    sd = ref.std(axis=0)
    sd = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(mean)), sd, 1.0)
    return (X - mean) / sd, mean, sd


def _ledoit_wolf(Z):
    """The Ledoit–Wolf shrunk covariance of the centred columns ``Z``.

    What :func:`sklearn.covariance.ledoit_wolf` returns, built in place so
    that only one ``p × p`` matrix is alive (the data are centred already).
    """
    n, p = Z.shape
    shrinkage = ledoit_wolf_shrinkage(Z, assume_centered=True)
    cov = Z.T @ Z
    cov /= n
    mu = np.trace(cov) / p
    cov *= 1.0 - shrinkage
    cov.flat[:: p + 1] += shrinkage * mu
    return cov


def partial_correlations(Z):
    """Partial correlations from the Ledoit–Wolf shrunk precision matrix.

    ``pcorr[i, j] = -Θ_ij / sqrt(Θ_ii Θ_jj)`` with ``Θ`` the inverse of
    the Ledoit–Wolf covariance of ``Z``; the diagonal is 0. Also returns
    ``Σ_ii Θ_ii`` per variable (``1 / (1 - R²)`` of regressing ``x_i`` on all
    other variables).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> Z = np.hstack([x, x + rng.normal(size=(500, 1)), rng.normal(size=(500, 1))])
    >>> P, _ = partial_correlations(Z)
    >>> bool(abs(P[0, 1]) > 0.5 > abs(P[0, 2]))
    True
    """
    cov = _ledoit_wolf(Z)
    var = np.diag(cov).astype(np.float64)
    try:  # the shrunk covariance is positive definite: a Cholesky inverse
        factor = cho_factor(cov, lower=True, overwrite_a=True, check_finite=False)
        eye = np.eye(len(var), dtype=cov.dtype)
        theta = cho_solve(factor, eye, overwrite_b=True, check_finite=False)
        del factor
    except np.linalg.LinAlgError:  # pragma: no cover - no shrinkage, singular
        theta = np.linalg.pinv(_ledoit_wolf(Z), hermitian=True)
    del cov
    diag = np.diag(theta).astype(np.float64)
    d = np.sqrt(np.clip(diag, 1e-12, None)).astype(theta.dtype)
    theta /= d[:, None]
    theta /= d[None, :]
    np.negative(theta, out=theta)
    np.fill_diagonal(theta, 0.0)
    return theta, var * diag


def shift_scores(X, interventions):
    """Knock-out shift scores: how far ``x_j`` moves when ``i`` is knocked out.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    interventions : ndarray of int of shape (n,)
        ``-1`` for observational rows, else the knocked-out variable.

    Returns
    -------
    shift : ndarray of shape (p, p), float32
        ``|mean(x_j | i knocked out) - mean_ref(x_j)| / sd_ref(x_j)``; rows of
        variables never knocked out are 0. The reference rows are the
        observational rows (when at least 3), else all rows not knocked out
        on ``i``.
    t_stat : ndarray of shape (p, p), float32
        ``shift * sqrt(n_i)`` with ``n_i`` the number of knock-out rows of
        ``i``: a signal-to-noise version comparable across ``n_i``.
    knocked : ndarray of bool of shape (p,)
        Whether the variable was knocked out in any row.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x0 = np.r_[rng.normal(size=200), np.full(20, -3.0)]
    >>> X = np.c_[x0, x0 + 0.5 * rng.normal(size=220)]
    >>> iv = np.r_[np.full(200, -1), np.zeros(20, int)]
    >>> shift, _, knocked = shift_scores(X, iv)
    >>> bool(shift[0, 1] > 2), knocked.tolist()
    (True, [True, False])
    """
    shift, t_stat = _knockout_shifts(X, interventions)
    return shift.toarray(), t_stat.toarray(), shift.knocked


class KnockoutRows:
    """A ``(p, p)`` float32 matrix that is 0 outside the rows of the knocked-out
    variables, stored as those rows only (``K × p`` numbers for K targets).

    Indexing as a dense matrix works for what the features read:
    ``M[rows]`` and ``M[rows, cols]`` with integer or boolean arrays.
    """

    def __init__(self, targets, values, p):
        self.shape = (p, p)
        self.knocked = np.zeros(p, dtype=bool)
        self.knocked[targets] = True
        # rows of variables never knocked out point at a final row of zeros
        self.index = np.full(p, len(targets), dtype=np.int64)
        self.index[targets] = np.arange(len(targets))
        self.values = np.vstack([values, np.zeros((1, p))]).astype(np.float32)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, cols = key
            return self.values[self.index[rows], cols]
        return self.values[self.index[key]]

    def row_sums(self):
        return self.values.sum(axis=1, dtype=np.float64)[self.index]

    def row_max(self):
        return self.values.max(axis=1)[self.index]

    def toarray(self):
        return self.values[self.index]


def _knockout_shifts(X, interventions):
    """:func:`shift_scores` as two :class:`KnockoutRows` (shift, t_stat)."""
    n, p = X.shape
    none = np.zeros((0, p), dtype=np.float32)
    empty = KnockoutRows(np.zeros(0, dtype=np.int64), none, p)
    if interventions is None:
        return empty, empty
    targets, counts = np.unique(interventions[interventions >= 0], return_counts=True)
    if targets.size == 0:
        return empty, empty
    obs = interventions < 0
    # (n, K) in the dtype of X, so that float32 data are not copied to float64
    onehot = (interventions[:, None] == targets[None, :]).astype(X.dtype)
    sums = (onehot.T @ X).astype(np.float64)  # (K, p)
    means = sums / counts[:, None]
    if obs.sum() >= 3:
        ref = np.asarray(X[obs], dtype=np.float64)
        ref_mean = ref.mean(axis=0)[None, :]
        ref_sd = ref.std(axis=0)[None, :]
        del ref
    else:
        # Every row but those of the knock-out itself.
        rest = (n - counts)[:, None]
        ref_mean = (X.sum(axis=0)[None, :] - sums) / rest
        sq = (X**2).sum(axis=0)[None, :] - onehot.T @ X**2
        ref_sd = np.sqrt(np.clip(sq / rest - ref_mean**2, 0, None))
    ref_sd = np.where(ref_sd > 1e-12, ref_sd, 1.0)
    shift = np.abs(means - ref_mean) / ref_sd
    shift[np.arange(targets.size), targets] = 0.0
    t_stat = shift * np.sqrt(counts)[:, None]
    return KnockoutRows(targets, shift, p), KnockoutRows(targets, t_stat, p)


def variable_graph(weights, n_neighbors, chunk=512):
    """Undirected graph Ĝ0 of every variable's top-k neighbours by ``weights``.

    Returns a symmetric boolean CSR matrix without self-loops.
    """
    p = weights.shape[0]
    k = int(min(n_neighbors, p - 1))
    top = np.empty((p, k), dtype=np.int64)
    for lo in range(0, p, chunk):  # rows a chunk at a time: no p x p copy
        idx = np.arange(lo, min(lo + chunk, p))
        top[idx] = top_partners(np.abs(weights[idx]).astype(np.float64), idx, k)
    rows = np.repeat(np.arange(p), k)
    A = sparse.coo_matrix(
        (np.ones(rows.size, dtype=bool), (rows, top.ravel())), shape=(p, p)
    ).tocsr()
    A = (A + A.T).astype(bool).tocsr()
    A.setdiag(False)
    A.eliminate_zeros()
    return A


class PairData:
    """Everything the pair features of one data matrix need, computed once.

    Build it with :func:`prepare_pair_data`; :func:`pair_features` reads it.
    It holds ``O(n p + p²)`` numbers (image bins of one byte, standardised data,
    the partial-correlation and shift matrices, what each pair statistic
    prepared), never per-pair images.
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)


def prepare_pair_data(X, interventions=None, **params):
    """:meth:`PairFeaturizer.prepare` with the featurizer of ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 4))
    >>> data = prepare_pair_data(X, image_size=8)
    >>> data.image_bins[0].shape, data.node_features.shape[0]
    ((4, 50), 4)
    """
    return PairFeaturizer(**params).prepare(X, interventions)


def _smoothed_one_hot(bins, size, K):
    """One-hot bins with every row spread over neighbouring bins: (n, p * S).

    A smoothed 2-D histogram is ``K Aᵀ B Kᵀ = (A Kᵀ)ᵀ (B Kᵀ)`` for one-hot
    matrices ``A``, ``B`` of two variables, so the product of two smoothed
    one-hot matrices gives smoothed images directly. Row ``r`` of variable
    ``v`` is column ``bins[r, v]`` of ``K``.
    """
    n, p = bins.shape
    return np.ascontiguousarray(K.T[bins].reshape(n, p * size), dtype=np.float32)


def _image_bins(X, obs, size, max_rows=None, chunk=256):
    """Bins of the two image channels, each (p, n_rows) uint8: the ranks of
    all rows, and the standardised values (clipped at ±3) of the observational
    rows. With ``max_rows``, each channel keeps a fixed random subset of at
    most that many of its rows (the ranks are taken among all rows first).
    One byte per value, each variable's rows contiguous for the pair by pair
    counts; computed a chunk of columns at a time."""
    n, p = X.shape
    rows = [np.arange(n), np.flatnonzero(obs)]
    if max_rows is not None:
        rng = np.random.default_rng(0)  # the same subset for every call
        rows = [
            r if r.size <= max_rows else np.sort(rng.choice(r, max_rows, replace=False))
            for r in rows
        ]
    out = [np.empty((p, r.size), dtype=np.uint8) for r in rows]
    for lo in range(0, p, chunk):
        cols = slice(lo, lo + chunk)
        out[0][cols] = _bins(rank_uniform(X[:, cols])[rows[0]], size).T
        Zo, _, _ = _standardise(np.asarray(X[obs, cols], dtype=np.float64))
        U = (np.clip(Zo, -3.0, 3.0) + 3.0) / 6.0
        out[1][cols] = _bins(U[np.searchsorted(np.flatnonzero(obs), rows[1])], size).T
    return out


def _node_features(Z, skew, kurt, pcorr, regress, graph, shift, chunk=1024):
    """Fixed-size summaries of every variable: (p, len(NODE_FEATURE_NAMES))."""
    p = Z.shape[1]
    quant, negentropy = np.empty((p, len(_QUANTILES))), np.empty(p)
    for lo in range(0, p, chunk):
        z = np.asarray(Z[:, lo : lo + chunk], dtype=np.float64)
        quant[lo : lo + chunk] = np.quantile(z, _QUANTILES, axis=0).T
        negentropy[lo : lo + chunk] = np.log(np.cosh(z)).mean(axis=0)
    negentropy = (negentropy - _LOGCOSH_GAUSS) * 10.0
    degree = np.asarray(graph.sum(axis=1)).ravel()
    abs_p = np.abs(pcorr)
    nb_mean = np.asarray(graph.multiply(abs_p).sum(axis=1)).ravel() / np.maximum(
        degree, 1
    )
    knocked = shift.knocked
    n_knocked = max(int(knocked.sum()), 1)
    shift_in = shift.values.sum(axis=0, dtype=np.float64) / n_knocked
    cols = [
        quant,
        skew[:, None],
        np.sign(kurt)[:, None] * np.log1p(np.abs(kurt))[:, None],
        negentropy[:, None],
        np.log1p(degree)[:, None],
        nb_mean[:, None],
        abs_p.max(axis=1)[:, None],
        (1.0 - 1.0 / np.maximum(regress, 1.0))[:, None],
        knocked[:, None].astype(float),
        np.log1p(shift.row_sums() / max(p - 1, 1))[:, None],
        np.log1p(shift.row_max())[:, None],
        np.log1p(shift_in)[:, None],
    ]
    return np.hstack(cols).astype(np.float32)


def _images(data, u, inv, dst):
    """Pair images of the pairs ``(u[inv], dst)``: (m, N_CHANNELS, S, S) float32.

    Channel ``c`` is the smoothed 2-D histogram of the bins in
    ``data.image_bins[c]``, scaled to a density (1 where uniform). Few pairs
    per source (training pairs) are counted pair by pair; a full block of
    sources against every variable (all-pairs prediction) is one matrix
    product per chunk of targets. Both give the same images.
    """
    S, K = data.image_size, data.image_kernel
    out = np.empty((dst.size, N_CHANNELS, S, S), dtype=np.float32)
    for c, bins in enumerate(data.image_bins):  # bins (p, n_rows) uint8
        p, n_rows = bins.shape
        scale = np.float32(S * S / n_rows)
        if dst.size * _DENSE_PAIR_SHARE < u.size * p:
            images = _counted_images(bins, u[inv], dst, K)
        else:
            images = _product_images(bins, u, inv, dst, K)
        images *= scale
        out[:, c] = images
        del images
    return out


def _counted_images(bins, src, dst, K):
    """Smoothed histograms ``K H Kᵀ`` of the pairs, counted with bincount."""
    S = K.shape[0]
    n_rows = bins.shape[1]
    out = np.empty((src.size, S, S), dtype=np.float32)
    step = max(1, _COUNT_CHUNK // max(n_rows, S * S))  # bounds rows and bins
    for a in range(0, src.size, step):
        s, d = src[a : a + step], dst[a : a + step]
        idx = bins[s].astype(np.int32) * S + bins[d]
        idx += (np.arange(s.size, dtype=np.int32) * (S * S))[:, None]
        H = np.bincount(idx.ravel(), minlength=s.size * S * S)
        out[a : a + s.size] = K @ H.reshape(s.size, S, S).astype(np.float32) @ K.T
    return out


def _product_images(bins, u, inv, dst, K):
    """Smoothed histograms of the pairs ``(u[inv], dst)``, one matrix product
    of smoothed one-hot matrices per chunk of target variables."""
    S = K.shape[0]
    p, n_rows = bins.shape
    out = np.empty((dst.size, S, S), dtype=np.float32)
    left = _smoothed_one_hot(bins[u].T, S, K).T  # (b * S, n)
    step = max(1, _PRODUCT_CHUNK // (n_rows * S))
    for lo in range(0, p, step):
        hi = min(lo + step, p)
        sel = np.flatnonzero((dst >= lo) & (dst < hi))
        if sel.size == 0:
            continue
        right = _smoothed_one_hot(bins[lo:hi].T, S, K)  # (n, (hi - lo) * S)
        hist = (left @ right).reshape(u.size, S, hi - lo, S)
        out[sel] = hist[inv[sel], :, dst[sel] - lo, :]
    return out


def pair_features(data, src, dst):
    """Raw (unscaled) features of the ordered pairs ``(src[k], dst[k])``.

    Computes everything for the distinct sources at once (one matrix product
    per quantity), so pass pairs whose sources form a small block.

    Parameters
    ----------
    data : PairData
    src, dst : ndarray of int of shape (m,)

    Returns
    -------
    features : dict
        ``"images"`` (m, 2, S, S) float32 or None when the data were prepared
        without images; ``"scalars"`` (m, n_scalars) float32, the columns of
        the non-graph statistics in order; ``"graph_scalars"`` (m,
        n_graph_scalars) float32, those of the graph statistics.
    """
    block = PairBlock(data, src, dst)
    columns = {False: [], True: []}
    for stat, prepared in zip(data.statistics, data.prepared):
        columns[stat.graph].append(stat.compute(block, prepared))
    images = None
    if data.image_bins is not None:
        images = _images(data, block.u, block.inv, block.dst)
    return {
        "images": images,
        "scalars": _stacked(columns[False], block.src.size),
        "graph_scalars": _stacked(columns[True], block.src.size),
    }


def _stacked(parts, m):
    if not parts:
        return np.zeros((m, 0), dtype=np.float32)
    return np.hstack([np.asarray(v, dtype=np.float64) for v in parts]).astype(
        np.float32
    )


def reversal(names, antisymmetric=()):
    """Column order and signs that turn features of ``(i, j)`` into ``(j, i)``.

    ``_ij`` / ``_ji`` (and ``_i`` / ``_j``) columns swap; ``antisymmetric``
    ones change sign.

    Examples
    --------
    >>> reversal(["corr", "shift_ij", "shift_ji", "lr"], ["lr"])
    ([0, 2, 1, 3], [1.0, 1.0, 1.0, -1.0])
    """
    names = list(names)
    order, sign = [], []
    for name in names:
        if name.endswith(("_ij", "_ji")):
            partner = name[:-2] + name[-2:][::-1]
        elif name.endswith(("_i", "_j")):
            partner = name[:-1] + ("j" if name.endswith("_i") else "i")
        else:
            partner = name
        order.append(names.index(partner))
        sign.append(-1.0 if name in antisymmetric else 1.0)
    return order, sign


_DEFAULT_REVERSAL = reversal(
    SCALAR_NAMES,
    [n for s in DEFAULT_STATISTICS if not s.graph for n in s.antisymmetric],
)


def reverse_scalars(scalars, order_sign=_DEFAULT_REVERSAL):
    """Scalars of the reversed pairs ``(j, i)`` from those of ``(i, j)``.

    ``order_sign`` comes from :func:`reversal`; the default is that of the
    default statistics (:data:`SCALAR_NAMES`).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.arange(len(SCALAR_NAMES), dtype=float)[None]
    >>> r = reverse_scalars(s)
    >>> int(r[0, SCALAR_NAMES.index("shift_ij")]) == SCALAR_NAMES.index("shift_ji")
    True
    """
    order, sign = order_sign
    return scalars[:, order] * np.asarray(sign, dtype=scalars.dtype)


def source_blocks(p, block_size):
    """Consecutive blocks of source variables: list of index arrays."""
    return [np.arange(s, min(s + block_size, p)) for s in range(0, p, block_size)]


def all_pairs(sources, p):
    """Every ordered pair ``(i, j)``, ``i`` in ``sources``, ``j != i``."""
    src = np.repeat(sources, p)
    dst = np.tile(np.arange(p), len(sources))
    keep = src != dst
    return src[keep], dst[keep]


def screen_pairs(data, n_candidates, chunk=256):
    """Candidate pairs of a cheap screen: every variable's strongest partners.

    For every variable, its ``n_candidates`` partners with the largest
    absolute partial correlation, the ``n_candidates`` with the largest
    absolute correlation and, for a knocked-out variable, the
    ``n_candidates`` that its knock-outs shift most (``t_stat``). A pair is a
    candidate, in both orders, when either of its variables lists the other.
    Rows of the ``p × p`` scores are read ``chunk`` variables at a time, so
    nothing of size ``p²`` is made.

    Parameters
    ----------
    data : PairData
    n_candidates : int
        Partners per variable and per score.

    Returns
    -------
    src, dst : ndarray of int64 of shape (m,)
        The candidate ordered pairs, sorted by source then target.
    """
    p, Z = data.p, data.Z
    m = int(min(n_candidates, p - 1))
    keys = []
    for lo in range(0, p, chunk):
        rows = np.arange(lo, min(lo + chunk, p))
        scores = [np.abs(data.pcorr[rows]), np.abs(Z[:, rows].T @ Z)]
        if data.knocked[rows].any():
            scores.append(np.asarray(data.t_stat[rows], dtype=np.float32))
        for S in scores:
            a, b = np.repeat(rows, m), top_partners(S, rows, m).ravel()
            keys.append(np.minimum(a, b) * p + np.maximum(a, b))
    pairs = np.unique(np.concatenate(keys))
    lo, hi = pairs // p, pairs % p
    src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    order = np.lexsort((dst, src))
    return src[order], dst[order]


def pair_blocks(src, dst, block_size, max_pairs=None):
    """Split pairs sorted by source into blocks of at most ``block_size``
    sources and, when given, about ``max_pairs`` pairs: list of (src, dst)."""
    if src.size == 0:
        return []
    block = src // block_size
    if max_pairs is not None:
        # a new block also where the running count passes max_pairs
        start = np.flatnonzero(np.r_[True, np.diff(src) != 0])
        counts = np.diff(np.r_[start, src.size])
        group = np.repeat(np.cumsum(counts) // max(int(max_pairs), 1), counts)
        block = block * (src.size + 1) + group
    cuts = np.flatnonzero(np.diff(block)) + 1
    return list(zip(np.split(src, cuts), np.split(dst, cuts)))


def iter_pair_features(data, pair_blocks, n_jobs=None):
    """Features of each block of pairs, in order, streamed one block at a time.

    Parameters
    ----------
    data : PairData
    pair_blocks : iterable of (src, dst)
        Pairs grouped by blocks of source variables.
    n_jobs : int, default=None
        ``None`` computes in this process; otherwise a joblib
        ``Parallel(n_jobs)`` over blocks, so a Dask or Ray joblib backend
        spreads the blocks over a cluster unchanged.

    Yields
    ------
    src, dst, features
    """
    if n_jobs is None or n_jobs == 1:
        for src, dst in pair_blocks:
            yield src, dst, pair_features(data, src, dst)
        return
    blocks = list(pair_blocks)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    results = parallel(delayed(pair_features)(data, s, d) for s, d in blocks)
    for (src, dst), feats in zip(blocks, results):
        yield src, dst, feats


def _mean_scale(values):
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    return mean.astype(np.float32), np.where(scale > 1e-6, scale, 1.0).astype(
        np.float32
    )


# Features that describe the knock-outs of a variable itself (node features).
_KO_NODE = ("knocked", "mean_shift_out", "max_shift_out")
# Candidate column sets of the baseline logit, per kind of label, simplest
# first; the one with the best cross-validated log-loss on the training pairs
# is kept (:meth:`PairFeaturizer.fit`). Direct edges: |pcorr| and the
# v-structure signatures, which orient pairs whatever the noise; with the
# coefficients under the estimated causal order, which need non-Gaussian
# noise: when the residuals under that order are non-Gaussian, the candidate
# with their t statistics is the only one (a choice by log-loss on ~10
# labelled edges was a coin toss there), otherwise the t candidate is left
# out. Total effects: |corr| and the distance in Ĝ0, with and without the
# v-structure signatures.
BASELINE_COLUMNS = {
    "direct": (
        ("abs_pcorr", "collider_i", "collider_j"),
        (
            "abs_pcorr",
            "collider_i",
            "collider_j",
            "ordered_coef_ij",
            "ordered_coef_ji",
        ),
        (
            "abs_pcorr",
            "collider_i",
            "collider_j",
            "ordered_t_ij",
            "ordered_t_ji",
        ),
    ),
    "ancestral": (
        ("abs_corr", "g0_inverse_distance"),
        ("abs_corr", "g0_inverse_distance", "collider_i", "collider_j"),
    ),
}
_BASELINE_FOLDS = 5


class PairFeaturizer:
    """Scaled pair features of any block of ordered pairs.

    :meth:`prepare` computes what one data matrix gives all pairs
    (:class:`PairData`); :meth:`fit` learns, on the training pairs, the
    standardisation of the scalars (one set of statistics for both orders
    of a pair, so ``(i, j)`` and ``(j, i)`` agree), of the graph scalars and
    of the node features, and the baseline logit; :meth:`transform` gives
    the network's inputs for any pairs, with ``"offset"``, the baseline
    logit, when one was fitted.

    Parameters
    ----------
    image_size : int, default=16
        Bins per image axis.
    bandwidth : float, default=1.0
        Standard deviation, in bins, of the Gaussian that smooths the images.
    image_rows : int or None, default=None
        At most this many rows per image channel (a fixed random subset);
        None: all rows.
    graph_method : {"pcorr", "correlation"}, default="pcorr"
        Weights whose top ``graph_neighbors`` per variable define Ĝ0.
    graph_neighbors : int, default=5
        Neighbours per variable in Ĝ0 (before symmetrisation).
    images : bool, default=True
        Whether to prepare the one-hot matrices the images need.
    statistics : sequence of PairStatistic, default=DEFAULT_STATISTICS
        The kinds of pair evidence (:mod:`._statistics`), in column order.
    baseline : {"direct", "ancestral"} or None, default=None
        Fit a logistic regression of the labels on one of the candidate
        column sets :data:`BASELINE_COLUMNS` of that kind of label (the one
        with the best cross-validated log-loss on the training pairs,
        ``baseline_columns_``; each set is also tried with the columns of
        the ``ExternalScore`` statistics); None: no offset.
    block_size : int, default=64
        Source variables per feature block.
    n_jobs : int, default=None
        joblib workers over blocks (None: in-process).
    verbose : int, default=0
        Show a progress bar over the feature blocks (standard error) when
        >= 1.
    """

    def __init__(
        self,
        *,
        image_size=16,
        bandwidth=1.0,
        image_rows=None,
        graph_method="pcorr",
        graph_neighbors=5,
        images=True,
        statistics=DEFAULT_STATISTICS,
        baseline=None,
        block_size=64,
        n_jobs=None,
        verbose=0,
    ):
        self.image_size = image_size
        self.bandwidth = bandwidth
        self.image_rows = image_rows
        self.graph_method = graph_method
        self.graph_neighbors = graph_neighbors
        self.images = images
        self.statistics = tuple(statistics)
        self.baseline = baseline
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        scalar = [s for s in self.statistics if not s.graph]
        self.scalar_names = tuple(n for s in scalar for n in s.names)
        self.graph_names = tuple(n for s in self.statistics if s.graph for n in s.names)
        self._reversal = reversal(
            self.scalar_names, [n for s in scalar for n in s.antisymmetric]
        )

    def prepare(self, X, interventions=None, external=None):
        """The :class:`PairData` of a data matrix: what all its pairs share.

        Parameters
        ----------
        X : ndarray of shape (n, p)
            Data; at least 2 rows and 2 columns, finite.
        interventions : ndarray of int of shape (n,), default=None
            ``-1`` for observational rows, else the knocked-out variable.
        external : dict of str -> ndarray of shape (p, p), default=None
            Score matrices of other methods, read by
            :class:`~skdyncausal.causal._stacking.ExternalScore` statistics.

        Returns
        -------
        data : PairData
        """
        # C order whatever the input (a DataFrame gives Fortran order): the
        # float32 products then sum in the same order, and results agree.
        # float32 data stay float32 (half the memory at large n p).
        dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
        X = np.ascontiguousarray(X, dtype=dtype)
        n, p = X.shape
        iv = (
            None if interventions is None else np.asarray(interventions, dtype=np.int64)
        )
        obs = np.ones(n, dtype=bool) if iv is None else iv < 0
        if obs.sum() < 3:
            obs = np.ones(n, dtype=bool)
        # Everything of size n x p or p x p is float32 and made one at a
        # time (no float64 copy of the data, at most three p x p transients)
        Z = _standardise32(X)
        skew, kurt = _skewness_kurtosis(Z)
        pcorr, regress = partial_correlations(Z)
        shift, t_stat = _knockout_shifts(X, iv)
        if self.graph_method == "pcorr":
            graph = variable_graph(pcorr, self.graph_neighbors)
        else:
            corr = Z.T @ Z
            np.fill_diagonal(corr, 0.0)
            graph = variable_graph(corr, self.graph_neighbors)
            del corr
        data = PairData(
            n=n,
            p=p,
            image_size=self.image_size,
            Z=Z,
            skewness=skew,
            kurtosis=kurt,
            pcorr=pcorr,
            shift=shift,
            t_stat=t_stat,
            knocked=shift.knocked,
            graph=graph,
            edge_index=np.vstack(graph.nonzero()).astype(np.int64),
            node_features=_node_features(Z, skew, kurt, pcorr, regress, graph, shift),
            image_bins=None,
            image_kernel=None,
            n_obs=int(obs.sum()),
            observational=obs,
            statistics=self.statistics,
            external=external or {},
        )
        data.prepared = [stat.prepare(data, Z) for stat in data.statistics]
        if self.images:
            data.image_bins = _image_bins(X, obs, self.image_size, self.image_rows)
            data.image_kernel = smoothing_matrix(self.image_size, self.bandwidth)
        return data

    # ------------------------------------------------------------ raw blocks
    def _iter_raw(self, data, blocks):
        return progress(
            iter_pair_features(data, blocks, self.n_jobs),
            total=len(blocks),
            desc="pair features",
            unit="block",
            verbose=self.verbose,
        )

    def _raw(self, data, pairs):
        """Raw features of the pairs (n, 2+), in the order of ``pairs``."""
        src, dst = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
        order = np.argsort(src, kind="stable")
        s_src, s_dst = src[order], dst[order]
        blocks = pair_blocks(s_src, s_dst, self.block_size)
        # Each block's rows go straight to their places in the output: the
        # features are held once, not also as parts and a reordered copy.
        out = {"src": src, "dst": dst}
        start = 0
        for b_src, _, feats in self._iter_raw(data, blocks):
            rows = order[start : start + b_src.size]
            start += b_src.size
            for key in ("scalars", "graph_scalars", "images"):
                if feats[key] is None:
                    continue
                if key not in out:
                    shape = (src.size, *feats[key].shape[1:])
                    out[key] = np.empty(shape, dtype=feats[key].dtype)
                out[key][rows] = feats[key]
        return out

    # --------------------------------------------------------------- scaling
    def fit(
        self,
        data,
        pairs,
        sample_weight=None,
        *,
        held_out=None,
        folds=None,
        n_folds=None,
    ):
        """Learn the scaling and the baseline logit on labelled pairs.

        With ``folds`` (n,) in ``[-1, M)`` and ``n_folds`` = M >= 2, the baseline is
        also fitted once per network k on the pairs of the other folds
        (``fold_baselines_``) and the offset becomes ``(n, M)``, one column
        per network, so that no network's offset has seen the pairs it is
        scored on; the columns of the baseline are chosen on all pairs.

        ``pairs`` (n, 3+) holds ``(i, j, label, ...)``; returns the scaled features
        of those pairs (what :meth:`transform` would give). With ``held_out``
        (m, 2+) pairs, returns ``(features of pairs, features of held_out)``:
        both come from one pass over the source blocks, which costs about
        what one of them does when p is large.
        """
        n_fit = len(pairs)
        if held_out is not None and len(held_out):
            both = np.vstack([pairs[:, :2], np.asarray(held_out)[:, :2]])
            raw_both = self._raw(data, both)
            raw = {k: v[:n_fit] for k, v in raw_both.items()}
            raw_held = {k: v[n_fit:] for k, v in raw_both.items()}
        else:
            raw, raw_held = self._raw(data, pairs), None
        scaled = self._fit_raw(data, raw, pairs, sample_weight, folds, n_folds)
        if held_out is None:
            return scaled
        return scaled, None if raw_held is None else self._scale(raw_held)

    def _fit_raw(self, data, raw, pairs, sample_weight, folds=None, n_folds=None):
        self._check_finite(raw, data)
        self.node_mean_, self.node_scale_ = _mean_scale(data.node_features)
        scalars = raw["scalars"]
        self.scalar_mean_, self.scalar_scale_ = _mean_scale(
            np.vstack([scalars, self.reverse(scalars)])
        )
        self.graph_mean_, self.graph_scale_ = _mean_scale(raw["graph_scalars"])
        self.baseline_ = None
        self.fold_baselines_ = None
        self.baseline_columns_ = None
        scaled = self._scale(raw)
        if self.baseline is not None:
            y = pairs[:, 2]
            candidates = self._baseline_candidates(data)
            self.baseline_columns_ = self._choose_baseline(
                candidates, scaled, y, sample_weight
            )
            inputs = self._baseline_inputs(scaled)
            self.baseline_ = LogisticRegression(C=1.0).fit(
                inputs, y, sample_weight=sample_weight
            )
            if n_folds is not None:
                w = np.ones(y.size) if sample_weight is None else sample_weight
                self.fold_baselines_ = [
                    self._fold_baseline(inputs, y, w, folds != k)
                    for k in range(n_folds)
                ]
            scaled = self._scale(raw)
        return scaled

    def _fold_baseline(self, inputs, y, w, rows):
        """The baseline refitted on ``rows``; the one fitted on every pair when
        those rows lack a label."""
        if np.unique(y[rows]).size < 2:
            return self.baseline_
        return LogisticRegression(C=1.0).fit(
            inputs[rows], y[rows], sample_weight=w[rows]
        )

    def _baseline_candidates(self, data):
        """The candidate column sets of the baseline logit for these data.

        Candidates whose columns are not all among the statistics are left
        out. When :class:`OrderedRegression` found the noise non-Gaussian
        (the causal order is then identifiable), only the candidates that read
        the t statistics of the coefficients under that order are kept. With
        Gaussian noise all others stay (with nonlinear mechanisms the
        coefficients can still help, and the cross-validation decides); t
        statistics under an order that is not identifiable are left out.
        """
        available = set(self.scalar_names) | set(self.graph_names)
        candidates = [
            c for c in BASELINE_COLUMNS[self.baseline] if set(c) <= available
        ] or [tuple(k for k in BASELINE_COLUMNS[self.baseline][0] if k in available)]
        non_gaussian = any(
            isinstance(prepared, dict) and prepared.get("non_gaussian", False)
            for prepared in data.prepared
        )
        t_cols = {"ordered_t_ij", "ordered_t_ji"}
        if non_gaussian:  # the order is identifiable: its t statistics
            ordered = set(OrderedRegression.names)
            candidates = (
                [c for c in candidates if set(c) & t_cols]
                or [c for c in candidates if set(c) & ordered]
                or candidates
            )
        else:  # an arbitrary order: its t statistics are no test of anything
            candidates = [c for c in candidates if not set(c) & t_cols] or candidates
        # other methods' scores (extra_scores) are candidates too
        extra = tuple(
            n for s in self.statistics if isinstance(s, ExternalScore) for n in s.names
        )
        if extra:
            candidates += [(*c, *extra) for c in candidates]
        return candidates

    def _choose_baseline(self, candidates, scaled, y, sample_weight):
        """The candidate baseline columns with the best cross-validated log-loss.

        ``_BASELINE_FOLDS`` stratified folds. With one candidate, or fewer
        training pairs of a class than folds, the first is kept.
        """
        counts = np.bincount(y.astype(np.int64), minlength=2)
        if len(candidates) == 1 or counts.min() < _BASELINE_FOLDS:
            return candidates[0]
        w = np.ones(y.size) if sample_weight is None else np.asarray(sample_weight)
        folds = StratifiedKFold(_BASELINE_FOLDS, shuffle=True, random_state=0)
        losses = []
        for columns in candidates:
            self.baseline_columns_ = columns
            inputs = self._baseline_inputs(scaled)
            loss = 0.0
            for tr, te in folds.split(inputs, y):
                model = LogisticRegression(C=1.0).fit(
                    inputs[tr], y[tr], sample_weight=w[tr]
                )
                prob = model.predict_proba(inputs[te])[:, 1]
                loss += log_loss(y[te], prob, sample_weight=w[te], labels=[0, 1])
            losses.append(loss)
        return candidates[int(np.argmin(losses))]

    def _check_finite(self, raw, data):
        """Refuse data whose features are not finite, naming the features."""
        bad = [
            name
            for key, names in (
                ("scalars", self.scalar_names),
                ("graph_scalars", self.graph_names),
            )
            for name, ok in zip(names, np.isfinite(raw[key]).all(axis=0))
            if not ok
        ]
        if not np.isfinite(data.node_features).all():
            bad.append("node features")
        if bad:
            raise ValueError(
                f"the pair features {bad} are not finite for these data, e.g. a "
                "variable that is constant in the reference rows; drop constant "
                "columns of X and check that every knock-out has reference rows "
                "(observational rows or other knock-outs)."
            )

    def reverse(self, scalars):
        """Scalars of the reversed pairs ``(j, i)`` from those of ``(i, j)``."""
        return reverse_scalars(scalars, self._reversal)

    def _scale(self, raw):
        out = dict(raw)
        for key, values in (("scalars", raw["scalars"]), ("scalars_rev", None)):
            values = self.reverse(raw["scalars"]) if values is None else values
            out[key] = ((values - self.scalar_mean_) / self.scalar_scale_).astype(
                np.float32
            )
        out["graph_scalars"] = (
            (raw["graph_scalars"] - self.graph_mean_) / self.graph_scale_
        ).astype(np.float32)
        if self.baseline_ is not None:
            inputs = self._baseline_inputs(out)
            models = self.fold_baselines_ or [self.baseline_]
            offset = np.column_stack([m.decision_function(inputs) for m in models])
            out["offset"] = offset[:, 0] if len(models) == 1 else offset
            out["offset"] = out["offset"].astype(np.float32)
        return out

    def _baseline_inputs(self, scaled):
        names = self.baseline_columns_
        cols = [self.scalar_names.index(k) for k in names if k in self.scalar_names]
        gcols = [self.graph_names.index(k) for k in names if k in self.graph_names]
        return np.hstack(
            [scaled["scalars"][:, cols], scaled["graph_scalars"][:, gcols]]
        ).astype(np.float64)

    # ------------------------------------------------------------- features
    def transform(self, data, pairs):
        """Scaled features of the given pairs (n, 2+), in their order."""
        return self._scale(self._raw(data, pairs))

    def iter_all_pairs(self, data):
        """Scaled features of every ordered pair, one block of sources at a time.

        Yields ``(src, dst, features)``; memory is bounded by the block size:
        at most ``block_size`` sources and, for large p, about
        ``_PAIRS_PER_BLOCK`` pairs per block.
        """
        size = min(self.block_size, max(1, _PAIRS_PER_BLOCK // data.p))
        blocks = [all_pairs(b, data.p) for b in source_blocks(data.p, size)]
        for src, dst, raw in self._iter_raw(data, blocks):
            yield src, dst, self._scale(dict(raw, src=src, dst=dst))

    def iter_pairs(self, data, src, dst):
        """Scaled features of the given pairs (sorted by source), one block of
        sources at a time: yields ``(src, dst, features)``."""
        blocks = pair_blocks(src, dst, self.block_size, _PAIRS_PER_BLOCK)
        for b_src, b_dst, raw in self._iter_raw(data, blocks):
            yield b_src, b_dst, self._scale(dict(raw, src=b_src, dst=b_dst))

    def node_inputs(self, data):
        """Scaled node features, as measured and as if never knocked out."""
        nodes = (data.node_features - self.node_mean_) / self.node_scale_
        masked = data.node_features.copy()
        masked[:, [NODE_FEATURE_NAMES.index(k) for k in _KO_NODE]] = 0.0
        masked = (masked - self.node_mean_) / self.node_scale_
        return nodes, masked

    def knockout_mask(self, data, rate):
        """What ``knockout_dropout`` hides in training, or None when nothing can.

        The columns of the statistics' ``knockout_columns`` (and their
        partners in the reversed scalars) take their standardised value for
        a variable without knock-outs.
        """
        if rate <= 0 or not data.knocked.any():
            return None
        names = [n for s in self.statistics if not s.graph for n in s.knockout_columns]
        cols = [self.scalar_names.index(k) for k in names]
        # in the reversed scalars, a column holds its partner's value
        cols_rev = [self._reversal[0][c] for c in cols]
        # standardised value of a raw 0 (no knock-out) in each column
        zero = (-self.scalar_mean_ / self.scalar_scale_).astype(np.float32)
        return {
            "rate": float(rate),
            "knocked": np.asarray(data.knocked, dtype=bool),
            "cols": cols,
            "cols_rev": cols_rev,
            "values": {"scalars": zero[cols], "scalars_rev": zero[cols_rev]},
        }
