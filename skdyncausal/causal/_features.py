"""Pair and node features for causal structure learning (numpy, scipy, sklearn).

Every ordered pair of variables ``(i, j)`` is described by

- a small multi-channel density *image* of ``(x_i, x_j)``: channel 0 is the
  copula density of all rows (both axes rank-normalised to ``(0, 1)``),
  channel 1 the density of the observational rows on standardised axes
  clipped to ``[-3, 3]`` (it keeps the marginal shapes, which carry the
  direction of non-Gaussian and nonlinear mechanisms, and leaves out the
  knock-out rows). Without interventions every row is observational.
  Image row = bin of ``x_i`` (cause candidate), column = bin of ``x_j``.
- pair *scalars* (:data:`SCALAR_NAMES`): correlations, Ledoit–Wolf partial
  correlations, knock-out shift scores in both directions, pairwise
  likelihood-ratio measures of direction for non-Gaussian data
  (Hyvärinen & Smith, 2013) and the asymmetry of a cubic regression fit;
- *graph scalars* (:data:`GRAPH_SCALAR_NAMES`) read off an undirected
  variable graph Ĝ0 (top-k partial-correlation or correlation neighbours);
- fixed-size *node features* (:data:`NODE_FEATURE_NAMES`) that do not depend
  on the number of rows.

Nothing here reads a label: the features are functions of the data (and of
which rows were knock-outs) only.

The pair images of a block of source variables against all variables are
one matrix product of one-hot bin matrices, so features are computed for
blocks of sources at once and never for all ``p²`` pairs together.
:func:`iter_pair_features` streams the blocks, in parallel through joblib.
"""

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from scipy.sparse.csgraph import shortest_path
from scipy.stats import rankdata
from sklearn.covariance import ledoit_wolf

__all__ = [
    "GRAPH_SCALAR_NAMES",
    "NODE_FEATURE_NAMES",
    "SCALAR_NAMES",
    "PairData",
    "iter_pair_features",
    "pair_features",
    "pair_histograms",
    "partial_correlations",
    "prepare_pair_data",
    "reverse_scalars",
    "shift_scores",
]

N_CHANNELS = 2
SCALAR_NAMES = (
    "abs_corr",
    "corr",
    "abs_pcorr",
    "pcorr",
    "lr_skew",
    "lr_tanh",
    "lr_tanh_kurtosis_signed",
    "r2_cubic_ij",
    "r2_cubic_ji",
    "r2_gain_ij",
    "r2_gain_ji",
    "shift_ij",
    "shift_ji",
    "shift_t_ij",
    "shift_t_ji",
    "knocked_i",
    "knocked_j",
)
_ANTISYMMETRIC = ("lr_skew", "lr_tanh", "lr_tanh_kurtosis_signed")
GRAPH_SCALAR_NAMES = ("g0_adjacent", "g0_inverse_distance", "g0_common_neighbours")
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


def _skewness_kurtosis(Z):
    """Skewness and excess kurtosis of standardised columns."""
    return (Z**3).mean(axis=0), (Z**4).mean(axis=0) - 3.0


def _standardise(X, rows=None):
    ref = X if rows is None else X[rows]
    mean = ref.mean(axis=0)
    sd = ref.std(axis=0)
    sd = np.where(sd > 1e-12 * np.maximum(1.0, np.abs(mean)), sd, 1.0)
    return (X - mean) / sd, mean, sd


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
    cov, _ = ledoit_wolf(Z)
    theta = np.linalg.pinv(cov, hermitian=True)
    d = np.sqrt(np.clip(np.diag(theta), 1e-12, None))
    pcorr = -theta / d[:, None] / d[None, :]
    np.fill_diagonal(pcorr, 0.0)
    return pcorr, np.diag(cov) * np.diag(theta)


def shift_scores(X, interventions):
    """Knock-out shift scores: how far ``x_j`` moves when ``i`` is knocked out.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    interventions : ndarray of int of shape (n,)
        ``-1`` for observational rows, else the knocked-out variable.

    Returns
    -------
    shift : ndarray of shape (p, p)
        ``|mean(x_j | i knocked out) - mean_ref(x_j)| / sd_ref(x_j)``; rows of
        variables never knocked out are 0. The reference rows are the
        observational rows (when at least 3), else all rows not knocked out
        on ``i``.
    t_stat : ndarray of shape (p, p)
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
    n, p = X.shape
    shift = np.zeros((p, p))
    t_stat = np.zeros((p, p))
    knocked = np.zeros(p, dtype=bool)
    if interventions is None:
        return shift, t_stat, knocked
    targets, counts = np.unique(interventions[interventions >= 0], return_counts=True)
    if targets.size == 0:
        return shift, t_stat, knocked
    knocked[targets] = True
    obs = interventions < 0
    onehot = (interventions[:, None] == targets[None, :]).astype(float)  # (n, K)
    sums = onehot.T @ X  # (K, p)
    means = sums / counts[:, None]
    if obs.sum() >= 3:
        ref_mean = X[obs].mean(axis=0)[None, :]
        ref_sd = X[obs].std(axis=0)[None, :]
    else:
        # Every row but those of the knock-out itself.
        rest = (n - counts)[:, None]
        ref_mean = (X.sum(axis=0)[None, :] - sums) / rest
        sq = (X**2).sum(axis=0)[None, :] - onehot.T @ X**2
        ref_sd = np.sqrt(np.clip(sq / rest - ref_mean**2, 0, None))
    ref_sd = np.where(ref_sd > 1e-12, ref_sd, 1.0)
    shift[targets] = np.abs(means - ref_mean) / ref_sd
    t_stat[targets] = shift[targets] * np.sqrt(counts)[:, None]
    np.fill_diagonal(shift, 0.0)
    np.fill_diagonal(t_stat, 0.0)
    return shift, t_stat, knocked


def _cubic_basis(Z):
    """Centred basis ``[z, z² - E z², z³ - E z³]``: (n, p, 3) and its Gram inverse."""
    phi = np.stack([Z, Z**2, Z**3], axis=-1)
    phi -= phi.mean(axis=0, keepdims=True)
    n = Z.shape[0]
    gram = np.einsum("npk,npl->pkl", phi, phi) / n
    gram += 1e-6 * np.eye(3)[None]
    return phi.astype(np.float32), np.linalg.pinv(gram).astype(np.float32)


def variable_graph(weights, n_neighbors):
    """Undirected graph Ĝ0 of every variable's top-k neighbours by ``weights``.

    Returns a symmetric boolean CSR matrix without self-loops.
    """
    p = weights.shape[0]
    k = int(min(n_neighbors, p - 1))
    W = np.abs(weights).astype(float)
    np.fill_diagonal(W, -np.inf)
    top = np.argpartition(-W, k - 1, axis=1)[:, :k]
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
    It holds ``O(n p + p²)`` numbers (one-hot matrices, standardised data,
    the partial-correlation and shift matrices), never per-pair images.
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)


def prepare_pair_data(
    X,
    interventions=None,
    *,
    image_size=16,
    bandwidth=1.0,
    graph_method="pcorr",
    graph_neighbors=5,
    images=True,
):
    """Compute the per-variable quantities that all pair features share.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Data; at least 2 rows and 2 columns, finite.
    interventions : ndarray of int of shape (n,), default=None
        ``-1`` for observational rows, else the knocked-out variable.
    image_size : int, default=16
        Bins per image axis.
    bandwidth : float, default=1.0
        Standard deviation, in bins, of the Gaussian that smooths the images.
    graph_method : {"pcorr", "correlation"}, default="pcorr"
        Weights whose top ``graph_neighbors`` per variable define Ĝ0.
    graph_neighbors : int, default=5
        Neighbours per variable in Ĝ0 (before symmetrisation).
    images : bool, default=True
        Whether to prepare the one-hot matrices the images need.

    Returns
    -------
    data : PairData
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    iv = None if interventions is None else np.asarray(interventions, dtype=np.int64)
    obs = np.ones(n, dtype=bool) if iv is None else iv < 0
    if obs.sum() < 3:
        obs = np.ones(n, dtype=bool)
    Z, _, _ = _standardise(X)
    skew, kurt = _skewness_kurtosis(Z)
    pcorr, regress = partial_correlations(Z)
    corr = (Z.T @ Z) / n
    np.fill_diagonal(corr, 0.0)
    shift, t_stat, knocked = shift_scores(X, iv)
    graph = variable_graph(pcorr if graph_method == "pcorr" else corr, graph_neighbors)
    phi, gram_inv = _cubic_basis(Z)
    sign = np.where(skew >= 0, 1.0, -1.0)
    Zs = Z * sign  # skewness made positive, as the cumulant measure assumes

    fields = dict(
        n=n,
        p=p,
        image_size=image_size,
        Z=Z.astype(np.float32),
        Zs=Zs.astype(np.float32),
        Zs2=(Zs**2).astype(np.float32),
        tanhZ=np.tanh(Z).astype(np.float32),
        kurt_sign=np.where(kurt >= 0, 1.0, -1.0).astype(np.float32),
        pcorr=pcorr.astype(np.float32),
        shift=shift.astype(np.float32),
        t_stat=t_stat.astype(np.float32),
        knocked=knocked,
        phi=phi,
        gram_inv=gram_inv,
        graph=graph,
        edge_index=np.vstack(graph.nonzero()).astype(np.int64),
        node_features=_node_features(
            Z, skew, kurt, pcorr, regress, graph, shift, knocked
        ),
        smooth_rank=None,
        smooth_std=None,
        n_obs=int(obs.sum()),
    )
    if images:
        K = smoothing_matrix(image_size, bandwidth)
        fields["smooth_rank"] = _smoothed_one_hot(
            _bins(rank_uniform(X), image_size), image_size, K
        )
        Zo, _, _ = _standardise(X[obs])
        U = (np.clip(Zo, -3.0, 3.0) + 3.0) / 6.0
        fields["smooth_std"] = _smoothed_one_hot(_bins(U, image_size), image_size, K)
    return PairData(**fields)


def _smoothed_one_hot(bins, size, K):
    """One-hot bins with every row spread over neighbouring bins: (n, p * S).

    A smoothed 2-D histogram is ``K Aᵀ B Kᵀ = (A Kᵀ)ᵀ (B Kᵀ)`` for one-hot
    matrices ``A``, ``B`` of two variables, so smoothing the one-hot matrix
    once makes the product of :func:`pair_histograms` return smoothed images
    directly, at no cost per pair.
    """
    n, p = bins.shape
    onehot = one_hot_bins(bins, size).reshape(n, p, size)
    return (onehot @ K.T).reshape(n, p * size).astype(np.float32)


def _node_features(Z, skew, kurt, pcorr, regress, graph, shift, knocked):
    """Fixed-size summaries of every variable: (p, len(NODE_FEATURE_NAMES))."""
    p = Z.shape[1]
    quant = np.quantile(Z, _QUANTILES, axis=0).T  # (p, 7)
    negentropy = (np.log(np.cosh(Z)).mean(axis=0) - _LOGCOSH_GAUSS) * 10.0
    degree = np.asarray(graph.sum(axis=1)).ravel()
    abs_p = np.abs(pcorr)
    nb_mean = np.asarray(graph.multiply(abs_p).sum(axis=1)).ravel() / np.maximum(
        degree, 1
    )
    n_knocked = max(int(knocked.sum()), 1)
    shift_in = shift[knocked].sum(axis=0) / n_knocked if knocked.any() else np.zeros(p)
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
        np.log1p(shift.sum(axis=1) / max(p - 1, 1))[:, None],
        np.log1p(shift.max(axis=1))[:, None],
        np.log1p(shift_in)[:, None],
    ]
    return np.hstack(cols).astype(np.float32)


def _images(data, u, inv, dst):
    """Pair images of the pairs ``(u[inv], dst)``: (m, N_CHANNELS, S, S) float32."""
    S = data.image_size
    out = np.empty((dst.size, N_CHANNELS, S, S), dtype=np.float32)
    for c, (smooth, n_rows) in enumerate(
        ((data.smooth_rank, data.n), (data.smooth_std, data.n_obs))
    ):
        p = smooth.shape[1] // S
        cols = (u[:, None] * S + np.arange(S)).ravel()
        # density: 1 where uniform (the kernel preserves mass)
        left = smooth[:, cols].T * np.float32(S * S / n_rows)  # (b * S, n)
        hist = (left @ smooth).reshape(u.size, S, p, S)  # smoothed histograms
        out[:, c] = hist[inv, :, dst, :]  # (m, S, S)
    return out


def pair_features(data, src, dst):
    """Features of the ordered pairs ``(src[k], dst[k])``.

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
        without images; ``"scalars"`` (m, len(SCALAR_NAMES)) float32;
        ``"graph_scalars"`` (m, len(GRAPH_SCALAR_NAMES)) float32.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    u, inv = np.unique(src, return_inverse=True)
    n = data.n
    Z, Zu = data.Z, data.Z[:, u]

    def rows(M):  # (b, p) matrix -> values at the pairs
        return M[inv, dst]

    corr = rows(Zu.T @ Z / n)
    pcorr = data.pcorr[src, dst]
    Zs, Zs2 = data.Zs, data.Zs2
    skew_lr = corr * rows(Zs2[:, u].T @ Zs / n - Zs[:, u].T @ Zs2 / n)
    tanh_lr = corr * rows(Zu.T @ data.tanhZ / n - data.tanhZ[:, u].T @ Z / n)
    kurt_sign = 0.5 * (data.kurt_sign[src] + data.kurt_sign[dst])
    # Cubic regression R² of x_j on x_i (forward) and of x_i on x_j (reverse).
    phi = data.phi
    c_fwd = np.einsum("nbk,np->bkp", phi[:, u], Z) / n  # (b, 3, p)
    r2_fwd = rows(np.einsum("bkp,bkl,blp->bp", c_fwd, data.gram_inv[u], c_fwd))
    c_rev = np.einsum("npk,nb->pkb", phi, Zu) / n  # (p, 3, b)
    r2_rev = np.einsum("pkb,pkl,plb->bp", c_rev, data.gram_inv, c_rev)
    r2_rev = rows(r2_rev)
    r2_lin = corr**2
    scalars = np.stack(
        [
            np.abs(corr),
            corr,
            np.abs(pcorr),
            pcorr,
            skew_lr * 10.0,
            tanh_lr * 10.0,
            tanh_lr * kurt_sign * 10.0,
            r2_fwd,
            r2_rev,
            r2_fwd - r2_lin,
            r2_rev - r2_lin,
            np.log1p(data.shift[src, dst]),
            np.log1p(data.shift[dst, src]),
            np.log1p(data.t_stat[src, dst]),
            np.log1p(data.t_stat[dst, src]),
            data.knocked[src],
            data.knocked[dst],
        ],
        axis=1,
    ).astype(np.float32)

    G = data.graph
    dist = shortest_path(G, unweighted=True, directed=False, indices=u)  # (b, p)
    with np.errstate(divide="ignore"):
        inv_dist = np.where(np.isfinite(dist) & (dist > 0), 1.0 / dist, 0.0)
    common = (G[u].astype(np.float32) @ G.astype(np.float32)).toarray()  # (b, p)
    degree = np.asarray(G.sum(axis=1)).ravel().astype(np.float32)
    salton = rows(common) / np.sqrt(np.maximum(degree[src] * degree[dst], 1.0))
    adjacent = np.asarray(G[src, dst]).ravel().astype(np.float32)
    graph_scalars = np.stack([adjacent, rows(inv_dist), salton], axis=1)

    images = None
    if data.smooth_rank is not None:
        images = _images(data, u, inv, dst)
    return {
        "images": images,
        "scalars": scalars,
        "graph_scalars": graph_scalars.astype(np.float32),
    }


def reverse_scalars(scalars):
    """Scalars of the reversed pairs ``(j, i)`` from those of ``(i, j)``.

    Swaps the ``_ij`` / ``_ji`` (and ``_i`` / ``_j``) columns and negates the
    antisymmetric likelihood-ratio measures.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.arange(len(SCALAR_NAMES), dtype=float)[None]
    >>> r = reverse_scalars(s)
    >>> int(r[0, SCALAR_NAMES.index("shift_ij")]) == SCALAR_NAMES.index("shift_ji")
    True
    """
    names = list(SCALAR_NAMES)
    order, sign = [], []
    for name in names:
        if name.endswith(("_ij", "_ji")):
            partner = name[:-2] + name[-2:][::-1]
        elif name.endswith(("_i", "_j")):
            partner = name[:-1] + ("j" if name.endswith("_i") else "i")
        else:
            partner = name
        order.append(names.index(partner))
        sign.append(-1.0 if name in _ANTISYMMETRIC else 1.0)
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
