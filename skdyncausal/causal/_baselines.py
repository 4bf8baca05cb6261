"""Reference scores for causal structure: plain functions returning (p, p) matrices.

- :func:`correlation_scores`: ``|corr(x_i, x_j)|``;
- :func:`partial_correlation_scores`: ``|pcorr|`` from a Ledoit–Wolf precision
  matrix, a strong unsupervised baseline for direct edges;
- :func:`mrcl_scores`: the manifold-regularised causal learner of Hill et al.
  (2019): 30×30 histograms of standardised pairs, PCA, RBF kernel and
  Laplacian-regularised least squares over the labelled pairs and a sample of
  unlabelled pairs.

All use ``A[i, j]`` for ``i -> j`` and a zero diagonal. The first two are
symmetric, so they cannot orient an edge.
"""

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import laplacian
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel
from sklearn.neighbors import kneighbors_graph
from sklearn.utils import check_array, check_random_state

from ._features import _standardise, all_pairs, one_hot_bins, pair_histograms
from ._features import partial_correlations as _partial_correlations

__all__ = [
    "correlation_scores",
    "mrcl_features",
    "mrcl_scores",
    "partial_correlation_scores",
]


def _data(X):
    return check_array(X, dtype=np.float64, ensure_min_features=2, ensure_min_samples=2)


def correlation_scores(X):
    """Absolute Pearson correlations, zero diagonal: (p, p).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> S = correlation_scores(X)
    >>> S.shape, float(S[0, 0]), bool(np.allclose(S, S.T))
    ((3, 3), 0.0, True)
    """
    Z, _, _ = _standardise(_data(X))
    S = np.abs(Z.T @ Z) / Z.shape[0]
    np.fill_diagonal(S, 0.0)
    return S


def partial_correlation_scores(X):
    """Absolute partial correlations from the Ledoit–Wolf precision matrix: (p, p).

    ``|Θ_ij| / sqrt(Θ_ii Θ_jj)`` with ``Θ`` the inverse of
    :func:`sklearn.covariance.ledoit_wolf` of the standardised data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=500)
    >>> b = a + rng.normal(size=500)
    >>> c = b + rng.normal(size=500)
    >>> S = partial_correlation_scores(np.c_[a, b, c])
    >>> bool(S[0, 1] > S[0, 2])  # a and c are independent given b
    True
    """
    Z, _, _ = _standardise(_data(X))
    P, _ = _partial_correlations(Z)
    return np.abs(P)


def mrcl_features(X, src, dst, *, n_bins=30):
    """Flattened 30×30 histograms of standardised ``(x_i, x_j)`` on ``[-3, 3]²``.

    Returns an array of shape (len(src), n_bins²), each row summing to the
    share of rows inside the square.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> F = mrcl_features(X, np.array([0, 1]), np.array([1, 2]))
    >>> F.shape, bool(np.all(F.sum(axis=1) <= 1.0))
    ((2, 900), True)
    """
    Z, _, _ = _standardise(_data(X))
    n, p = Z.shape
    inside = np.abs(Z) <= 3.0
    bins = np.clip(((Z + 3.0) / 6.0 * n_bins).astype(np.int64), 0, n_bins - 1)
    onehot = one_hot_bins(bins, n_bins) * np.repeat(inside, n_bins, axis=1)
    out = np.empty((len(src), n_bins * n_bins), dtype=np.float32)
    for start in range(0, p, 32):
        sel = np.flatnonzero((src >= start) & (src < start + 32))
        if sel.size == 0:
            continue
        u, inv = np.unique(src[sel], return_inverse=True)
        hist = pair_histograms(onehot, u, n_bins)  # (b, p, S, S)
        out[sel] = hist[inv, dst[sel]].reshape(sel.size, -1) / n
    return out


def mrcl_scores(
    X,
    prior,
    *,
    n_bins=30,
    n_components=100,
    n_unlabelled=1000,
    n_neighbors=10,
    alpha_ambient=1e-3,
    alpha_intrinsic=1e-2,
    random_state=None,
):
    """Manifold-regularised causal learning (MRCL, Hill et al. 2019): (p, p) scores.

    Every ordered pair is represented by the flattened 30×30 histogram of
    its standardised values on ``[-3, 3]²`` (:func:`mrcl_features`), reduced
    by PCA to ``n_components``. A Laplacian-regularised least-squares
    classifier (LapRLS, Belkin, Niyogi & Sindhwani 2006) with an RBF kernel
    (bandwidth: median heuristic) is fitted on the labelled pairs (targets
    ±1, classes weighted to balance) and ``n_unlabelled`` sampled unlabelled
    pairs, whose k-nearest-neighbour graph Laplacian regularises the
    function; its decision value scores every pair. This is the full
    Laplacian version, with the unlabelled set subsampled so the linear
    system stays ``O((l + u)³)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, p)
    prior : array-like of shape (p, p)
        1 / 0 / NaN as for :class:`CausalStructureEstimator`.
    n_bins, n_components, n_unlabelled, n_neighbors : int
    alpha_ambient, alpha_intrinsic : float
        RKHS-norm and manifold (Laplacian) penalties.
    random_state : int, RandomState or None

    Returns
    -------
    scores : ndarray of shape (p, p)
        Decision values (larger = more likely ``i -> j``), zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.datasets import make_prior, make_sem
    >>> d = make_sem(200, 6, random_state=0)
    >>> S = mrcl_scores(d.X, make_prior(d.adjacency, 0.5, random_state=0))
    >>> S.shape
    (6, 6)
    """
    X = _data(X)
    p = X.shape[1]
    A = np.array(prior, dtype=np.float64)
    if A.shape != (p, p):
        raise ValueError(f"prior must have shape ({p}, {p}); got {A.shape}.")
    np.fill_diagonal(A, np.nan)
    rng = check_random_state(random_state)
    lab_src, lab_dst = np.nonzero(~np.isnan(A))
    y = np.where(A[lab_src, lab_dst] == 1, 1.0, -1.0)
    if len(np.unique(y)) < 2:
        raise ValueError("prior needs both positive (1) and negative (0) labels.")
    unl_src, unl_dst = np.nonzero(np.isnan(A) & ~np.eye(p, dtype=bool))
    take = rng.permutation(unl_src.size)[:n_unlabelled]
    src = np.concatenate([lab_src, unl_src[take]])
    dst = np.concatenate([lab_dst, unl_dst[take]])
    feats = mrcl_features(X, src, dst, n_bins=n_bins)
    n_comp = int(min(n_components, feats.shape[0] - 1, feats.shape[1]))
    pca = PCA(n_components=n_comp, random_state=rng.randint(2**31 - 1)).fit(feats)
    F = pca.transform(feats)
    d2 = euclidean_distances(F, squared=True)
    gamma = 1.0 / max(np.median(d2[d2 > 0]) if (d2 > 0).any() else 1.0, 1e-12)
    K = rbf_kernel(F, gamma=gamma)
    m, n_lab = len(F), len(y)
    k = int(min(n_neighbors, m - 1))
    W = kneighbors_graph(F, k, mode="distance")
    W.data = np.exp(-gamma * W.data**2)
    W = sparse.csr_matrix(W.maximum(W.T))
    L = laplacian(W, normed=True).toarray()
    weight = np.where(y > 0, 0.5 / (y > 0).mean(), 0.5 / (y < 0).mean())
    J = np.zeros(m)
    J[:n_lab] = weight
    Y = np.zeros(m)
    Y[:n_lab] = y
    system = (
        J[:, None] * K
        + alpha_ambient * n_lab * np.eye(m)
        + alpha_intrinsic * n_lab / m**2 * (L @ K)
    )
    coef = np.linalg.solve(system, J * Y)
    scores = np.zeros((p, p))
    for start in range(0, p, 32):
        s, t = all_pairs(np.arange(start, min(start + 32, p)), p)
        G = pca.transform(mrcl_features(X, s, t, n_bins=n_bins))
        scores[s, t] = rbf_kernel(G, F, gamma=gamma) @ coef
    return scores
