"""Pair statistics: the named kinds of evidence about ordered pairs (numpy only).

Each kind of evidence is one :class:`PairStatistic`: a few named columns,
computed for a block of ordered pairs ``(src[k], dst[k])`` whose sources form
a small set, from per-variable quantities prepared once per data matrix. A
new kind of evidence is one subclass plus one entry in
:data:`DEFAULT_STATISTICS`; the featurizer, the scaling, the reversal of a
pair and the network's input width follow from the names.

Naming protocol: a column ending in ``_ij`` is paired with the one ending in
``_ji`` (and ``_i`` with ``_j``) when a pair is reversed; columns listed in
``antisymmetric`` change sign; all others are symmetric.
"""

import numpy as np
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "DEFAULT_STATISTICS",
    "Correlation",
    "CubicRegression",
    "KnockoutShift",
    "LikelihoodRatio",
    "PairBlock",
    "PairStatistic",
    "PartialCorrelation",
    "VariableGraph",
]


class PairBlock:
    """The pairs of one block and what several statistics share about them.

    ``u`` are the distinct sources and ``inv`` maps each pair to its source
    in ``u``, so a ``(b, p)`` matrix computed for the sources gives the values
    at the pairs with :meth:`rows`.
    """

    def __init__(self, data, src, dst):
        self.data = data
        self.src = np.asarray(src, dtype=np.int64)
        self.dst = np.asarray(dst, dtype=np.int64)
        self.u, self.inv = np.unique(self.src, return_inverse=True)
        self._corr = None

    def rows(self, M):
        """Values of a (b, p) matrix over the sources at the block's pairs."""
        return M[self.inv, self.dst]

    @property
    def corr(self):
        """Pearson correlation of each pair (m,), computed once per block."""
        if self._corr is None:
            Z = self.data.Z
            self._corr = self.rows(Z[:, self.u].T @ Z / self.data.n)
        return self._corr


class PairStatistic:
    """One kind of pair evidence: named columns, computed block by block.

    Subclasses set ``names`` (and ``antisymmetric``, ``knockout_columns``,
    ``graph`` where they apply) and implement :meth:`compute`; they may
    prepare per-variable quantities in :meth:`prepare`.

    Attributes
    ----------
    names : tuple of str
        Column names (see the module's naming protocol).
    antisymmetric : tuple of str
        Columns whose sign flips when the pair is reversed.
    knockout_columns : tuple of str
        Columns of the pair ``(i, j)`` that come from the knock-out rows of
        the cause ``i``; ``knockout_dropout`` shows them as for a variable
        without knock-outs.
    graph : bool
        True for statistics read off the variable graph Ĝ0 (the graph
        scalars, which the ``"graph"`` architecture keeps).
    """

    names = ()
    antisymmetric = ()
    knockout_columns = ()
    graph = False

    def prepare(self, data, Z):
        """Per-variable quantities for :meth:`compute`, once per data matrix.

        ``Z`` is the standardised data in float64 (``data.Z`` is its float32
        copy).
        """
        return {}

    def compute(self, block, prepared):
        """Columns for the pairs of ``block``: (m, len(names)) array."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Correlation(PairStatistic):
    """Pearson correlation of the standardised pair, signed and absolute."""

    names = ("abs_corr", "corr")

    def compute(self, block, prepared):
        corr = block.corr
        return np.stack([np.abs(corr), corr], axis=1)


class PartialCorrelation(PairStatistic):
    """Partial correlation given all other variables (Ledoit–Wolf precision)."""

    names = ("abs_pcorr", "pcorr")

    def compute(self, block, prepared):
        pcorr = block.data.pcorr[block.src, block.dst]
        return np.stack([np.abs(pcorr), pcorr], axis=1)


class LikelihoodRatio(PairStatistic):
    """Pairwise likelihood-ratio measures of direction for non-Gaussian data.

    The cumulant (skewness) measure and the tanh approximation of Hyvärinen
    & Smith (2013), the latter also signed by the pair's mean kurtosis sign.
    Positive values favour ``i -> j``.
    """

    names = ("lr_skew", "lr_tanh", "lr_tanh_kurtosis_signed")
    antisymmetric = names

    def prepare(self, data, Z):
        sign = np.where(data.skewness >= 0, 1.0, -1.0)
        Zs = Z * sign  # skewness made positive, as the cumulant measure assumes
        return {
            "Zs": Zs.astype(np.float32),
            "Zs2": (Zs**2).astype(np.float32),
            "tanhZ": np.tanh(Z).astype(np.float32),
            "kurt_sign": np.where(data.kurtosis >= 0, 1.0, -1.0).astype(np.float32),
        }

    def compute(self, block, prepared):
        data, u, n = block.data, block.u, block.data.n
        Z, Zs, Zs2, tanhZ = data.Z, prepared["Zs"], prepared["Zs2"], prepared["tanhZ"]
        corr = block.corr
        skew_lr = corr * block.rows(Zs2[:, u].T @ Zs / n - Zs[:, u].T @ Zs2 / n)
        tanh_lr = corr * block.rows(Z[:, u].T @ tanhZ / n - tanhZ[:, u].T @ Z / n)
        kurt = prepared["kurt_sign"]
        kurt_sign = 0.5 * (kurt[block.src] + kurt[block.dst])
        return np.stack(
            [skew_lr * 10.0, tanh_lr * 10.0, tanh_lr * kurt_sign * 10.0], axis=1
        )


def _cubic_basis(Z):
    """Centred basis ``[z, z² - E z², z³ - E z³]``: (n, p, 3) and its Gram inverse."""
    phi = np.stack([Z, Z**2, Z**3], axis=-1)
    phi -= phi.mean(axis=0, keepdims=True)
    n = Z.shape[0]
    gram = np.einsum("npk,npl->pkl", phi, phi) / n
    gram += 1e-6 * np.eye(3)[None]
    return phi.astype(np.float32), np.linalg.pinv(gram).astype(np.float32)


class CubicRegression(PairStatistic):
    """R² of a cubic regression in both directions, and its gain over linear.

    A nonlinear mechanism ``x_j = f(x_i) + e`` is fitted better from the
    cause than from the effect.
    """

    names = ("r2_cubic_ij", "r2_cubic_ji", "r2_gain_ij", "r2_gain_ji")

    def prepare(self, data, Z):
        phi, gram_inv = _cubic_basis(Z)
        return {"phi": phi, "gram_inv": gram_inv}

    def compute(self, block, prepared):
        Z, u, n = block.data.Z, block.u, block.data.n
        phi, gram_inv = prepared["phi"], prepared["gram_inv"]
        # x_j on x_i (forward) and x_i on x_j (reverse)
        c_fwd = np.einsum("nbk,np->bkp", phi[:, u], Z) / n  # (b, 3, p)
        r2_fwd = block.rows(np.einsum("bkp,bkl,blp->bp", c_fwd, gram_inv[u], c_fwd))
        c_rev = np.einsum("npk,nb->pkb", phi, Z[:, u]) / n  # (p, 3, b)
        r2_rev = block.rows(np.einsum("pkb,pkl,plb->bp", c_rev, gram_inv, c_rev))
        r2_lin = block.corr**2
        return np.stack([r2_fwd, r2_rev, r2_fwd - r2_lin, r2_rev - r2_lin], axis=1)


class KnockoutShift(PairStatistic):
    """How far each variable moves when the other is knocked out, both ways."""

    names = (
        "shift_ij",
        "shift_ji",
        "shift_t_ij",
        "shift_t_ji",
        "knocked_i",
        "knocked_j",
    )
    knockout_columns = ("shift_ij", "shift_t_ij", "knocked_i")

    def compute(self, block, prepared):
        data, src, dst = block.data, block.src, block.dst
        return np.stack(
            [
                np.log1p(data.shift[src, dst]),
                np.log1p(data.shift[dst, src]),
                np.log1p(data.t_stat[src, dst]),
                np.log1p(data.t_stat[dst, src]),
                data.knocked[src],
                data.knocked[dst],
            ],
            axis=1,
        )


class VariableGraph(PairStatistic):
    """Adjacency, inverse distance and shared neighbours (Salton) in Ĝ0."""

    names = ("g0_adjacent", "g0_inverse_distance", "g0_common_neighbours")
    graph = True

    def compute(self, block, prepared):
        G, u, src, dst = block.data.graph, block.u, block.src, block.dst
        dist = shortest_path(G, unweighted=True, directed=False, indices=u)  # (b, p)
        with np.errstate(divide="ignore"):
            inv_dist = np.where(np.isfinite(dist) & (dist > 0), 1.0 / dist, 0.0)
        common = (G[u].astype(np.float32) @ G.astype(np.float32)).toarray()  # (b, p)
        degree = np.asarray(G.sum(axis=1)).ravel().astype(np.float32)
        salton = block.rows(common) / np.sqrt(
            np.maximum(degree[src] * degree[dst], 1.0)
        )
        adjacent = np.asarray(G[src, dst]).ravel().astype(np.float32)
        return np.stack([adjacent, block.rows(inv_dist), salton], axis=1)


DEFAULT_STATISTICS = (
    Correlation(),
    PartialCorrelation(),
    LikelihoodRatio(),
    CubicRegression(),
    KnockoutShift(),
    VariableGraph(),
)
