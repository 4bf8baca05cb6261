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
from scipy.linalg import cholesky, lapack
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "DEFAULT_STATISTICS",
    "ConditionalIndependence",
    "Correlation",
    "CubicRegression",
    "KnockoutShift",
    "LikelihoodRatio",
    "OrderedRegression",
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
        self._cross = {}

    def rows(self, M):
        """Values of a (b, p) matrix over the sources at the block's pairs."""
        return M[self.inv, self.dst]

    def cross(self, transform):
        """``Z[:, u]ᵀ f(Z) / n`` for ``f`` in ``TRANSFORMS``: (b, p) float32.

        ``f(Z)`` is made a chunk of columns at a time, so no transformed copy
        of the whole data matrix is held; computed once per block.
        """
        if transform not in self._cross:
            Z, f = self.data.Z, TRANSFORMS[transform]
            left = Z[:, self.u].T
            out = np.empty((self.u.size, Z.shape[1]), dtype=np.float32)
            for lo in range(0, Z.shape[1], _CROSS_CHUNK):
                cols = slice(lo, lo + _CROSS_CHUNK)
                out[:, cols] = left @ f(Z[:, cols])
            out /= np.float32(self.data.n)
            self._cross[transform] = out
        return self._cross[transform]

    @property
    def corr(self):
        """Pearson correlation of each pair (m,), computed once per block."""
        if self._corr is None:
            self._corr = self.rows(self.cross("z"))
        return self._corr


#: Columnwise transforms of the standardised data read by :meth:`PairBlock.cross`.
TRANSFORMS = {
    "z": lambda z: z,
    "z2": np.square,
    "z3": lambda z: z * z * z,
    "tanh": np.tanh,
}
_CROSS_CHUNK = 1024  # columns of the data transformed at a time


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
        return {
            # skewness made positive, as the cumulant measure assumes
            "skew_sign": np.where(data.skewness >= 0, 1.0, -1.0).astype(np.float32),
            "kurt_sign": np.where(data.kurtosis >= 0, 1.0, -1.0).astype(np.float32),
        }

    def compute(self, block, prepared):
        Z, u, n = block.data.Z, block.u, block.data.n
        src, dst, corr = block.src, block.dst, block.corr
        # with z_s = sign · z: E[z_s,i² z_s,j] - E[z_s,i z_s,j²]
        sign = prepared["skew_sign"]
        Zu = Z[:, u]
        third = block.rows((Zu * Zu).T @ Z / n) * sign[dst]
        third -= block.rows(block.cross("z2")) * sign[src]
        skew_lr = corr * third
        tanh_lr = corr * block.rows(block.cross("tanh") - np.tanh(Zu).T @ Z / n)
        kurt = prepared["kurt_sign"]
        kurt_sign = 0.5 * (kurt[src] + kurt[dst])
        return np.stack(
            [skew_lr * 10.0, tanh_lr * 10.0, tanh_lr * kurt_sign * 10.0], axis=1
        )


def _cubic_gram_inverse(Z, chunk=256):
    """Inverse Gram matrices (p, 3, 3) of the centred basis ``[z, z², z³]``.

    ``Gram[a, b] = E z^(a+b) - E z^a E z^b`` from the moments of every
    column (float64, a chunk of columns at a time).
    """
    p = Z.shape[1]
    moments = np.empty((7, p))
    moments[0] = 1.0
    for lo in range(0, p, chunk):
        z = np.asarray(Z[:, lo : lo + chunk], dtype=np.float64)
        zk = np.ones_like(z)
        for k in range(1, 7):
            zk *= z
            moments[k, lo : lo + chunk] = zk.mean(axis=0)
    a = np.arange(1, 4)
    gram = moments[a[:, None] + a[None, :]] - moments[a][:, None] * moments[a][None]
    gram = np.moveaxis(gram, -1, 0) + 1e-6 * np.eye(3)[None]  # (p, 3, 3)
    return np.linalg.pinv(gram).astype(np.float32)


class CubicRegression(PairStatistic):
    """R² of a cubic regression in both directions, and its gain over linear.

    A nonlinear mechanism ``x_j = f(x_i) + e`` is fitted better from the
    cause than from the effect.
    """

    names = ("r2_cubic_ij", "r2_cubic_ji", "r2_gain_ij", "r2_gain_ji")

    def prepare(self, data, Z):
        return {"gram_inv": _cubic_gram_inverse(Z)}

    def compute(self, block, prepared):
        Z, u, n = block.data.Z, block.u, block.data.n
        gram_inv = prepared["gram_inv"]
        b, p = u.size, Z.shape[1]
        # Cross moments of the basis of one variable with the other, which
        # has mean 0, so the basis needs no centring here. Matrix products
        # (BLAS) for the n-fold sums. x_j on x_i (forward):
        Zu = Z[:, u]
        basis_u = np.stack([Zu, Zu * Zu, Zu * Zu * Zu], axis=-1)  # (n, b, 3)
        c_fwd = (basis_u.reshape(n, 3 * b).T @ Z).reshape(b, 3, p) / n
        r2_fwd = block.rows(np.einsum("bkp,bkl,blp->bp", c_fwd, gram_inv[u], c_fwd))
        del c_fwd
        # and x_i on x_j (reverse): E[x_j^k x_i] for k = 1, 2, 3
        c_rev = np.stack([block.cross(k) for k in ("z", "z2", "z3")], axis=1)
        c_rev = c_rev.transpose(2, 1, 0)  # (p, 3, b)
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


def top_partners(W, rows, k):
    """Each row's ``k`` largest entries, its own column left out: (c, k) int.

    ``W`` (c, p) holds the scores of the variables ``rows`` against all
    ``p`` variables, a chunk of rows of a ``p × p`` matrix; it is changed
    in place (the diagonal entries become ``-inf``).
    """
    W[np.arange(len(rows)), rows] = -np.inf
    return np.argpartition(-W, k - 1, axis=1)[:, :k].astype(np.int64)


def _partial(r_ab, r_ak, r_bk):
    """First-order partial correlation ρ_ab·k from correlations (broadcasts)."""
    den = np.sqrt(np.clip((1.0 - r_ak**2) * (1.0 - r_bk**2), 1e-8, None))
    return np.clip((r_ab - r_ak * r_bk) / den, -1.0, 1.0)


class ConditionalIndependence(PairStatistic):
    """Partial correlations given small conditioning sets of nearby variables.

    The evidence of the PC algorithm: a pair that is independent given some
    set of other variables is not adjacent, and a pair whose dependence
    appears only once a third variable is held fixed is a pair of co-parents
    of that variable (explaining away), not an edge. For the pair ``(i, j)``
    the candidates are the ``n_candidates`` strongest partial-correlation
    neighbours of ``i`` and of ``j``; over every conditioning set of at most
    two of them (the empty set included) the columns are the smallest
    ``|ρ_ij·S|`` with ``|S| ≤ 1`` and with ``|S| ≤ 2``, and the largest gain
    ``|ρ_ij·S| - |ρ_ij|`` (conditioning on a common child raises it).
    ``collider_j`` is the largest rise ``|ρ_ik·j| - |ρ_ik|`` over the
    candidates ``k`` of ``j``: the signature of a v-structure
    ``i -> j <- k``, which orients the pair even with Gaussian noise;
    ``collider_i`` is the same at ``i``. Both also rise a little when the
    variable held fixed is another cause of the pair's effect (it explains
    part of the effect's variance away); the gap between them orients.

    Parameters
    ----------
    n_candidates : int, default=4
        Neighbours of each variable the conditioning sets are drawn from.
    """

    names = (
        "ci_min_order1",
        "ci_min_order2",
        "ci_max_gain",
        "collider_i",
        "collider_j",
    )

    def __init__(self, n_candidates=4):
        self.n_candidates = n_candidates

    def prepare(self, data, Z, chunk=256):
        # No p x p matrix: the candidates, and the correlations of every
        # variable with its candidates and among them; the rest comes from
        # each block's own products (compute).
        p, n = Z.shape[1], Z.shape[0]
        h = int(min(self.n_candidates, p - 1))
        top = np.zeros((p, h), dtype=np.int64)
        own = np.empty((p, h), dtype=np.float32)  # R[j, top[j, a]]
        among = np.empty((p, h, h), dtype=np.float32)  # R[top[j, a], top[j, b]]
        for lo in range(0, p, chunk):
            rows = np.arange(lo, min(lo + chunk, p))
            if h > 0:
                top[rows] = top_partners(np.abs(data.pcorr[rows]), rows, h)
            Zt = data.Z[:, top[rows]]  # (n, c, h)
            own[rows] = np.einsum("nc,nca->ca", data.Z[:, rows], Zt) / n
            among[rows] = np.einsum("nca,ncb->cab", Zt, Zt) / n
        np.clip(own, -1.0, 1.0, out=own)
        np.clip(among, -1.0, 1.0, out=among)
        return {"top": top, "own": own, "among": among}

    def compute(self, block, prepared):
        top, own, among = prepared["top"], prepared["own"], prepared["among"]
        Z, n = block.data.Z, block.data.n
        src, dst, inv = block.src, block.dst, block.inv
        m, h = src.size, top.shape[1]
        R_u = np.clip(block.cross("z"), -1.0, 1.0)  # (b, p): R[source, :]
        # R[candidate of a source, :], each distinct candidate once
        cols, where = np.unique(top[block.u], return_inverse=True)
        R_c = np.clip(Z[:, cols].T @ Z / np.float32(n), -1.0, 1.0)
        at = where.reshape(block.u.size, h)[inv]  # (m, h): rows of R_c
        r_ij = R_u[inv, dst]
        cand = np.hstack([top[src], top[dst]])  # (m, c)
        valid = (cand != src[:, None]) & (cand != dst[:, None])
        r_ik = R_u[inv[:, None], cand]
        r_jk = np.hstack([R_c[at, dst[:, None]], own[dst]])
        # R among the candidates: within those of i, of j, and across
        r_cc = np.empty((m, 2 * h, 2 * h), dtype=np.float32)
        r_cc[:, :h, :h] = among[src]
        r_cc[:, h:, h:] = among[dst]
        r_cc[:, :h, h:] = R_c[at[:, :, None], top[dst][:, None, :]]
        rho1 = _partial(r_ij[:, None], r_ik, r_jk)  # (m, c): ρ_ij·k
        abs0 = np.abs(r_ij)
        abs1 = np.where(valid, np.abs(rho1), np.inf)
        min1 = np.minimum(abs0, abs1.min(axis=1, initial=np.inf))
        gain1 = np.where(valid, np.abs(rho1), -np.inf).max(axis=1, initial=-np.inf)
        a, b = np.triu_indices(cand.shape[1], 1)
        if a.size:
            k, k2 = cand[:, a], cand[:, b]
            ok = valid[:, a] & valid[:, b] & (k != k2)
            r_kl = r_cc[:, a, b]
            rho_il = _partial(r_ik[:, b], r_ik[:, a], r_kl)  # ρ_il·k
            rho_jl = _partial(r_jk[:, b], r_jk[:, a], r_kl)  # ρ_jl·k
            rho2 = np.abs(_partial(rho1[:, a], rho_il, rho_jl))  # ρ_ij·kl
            min2 = np.where(ok, rho2, np.inf).min(axis=1, initial=np.inf)
            gain2 = np.where(ok, rho2, -np.inf).max(axis=1, initial=-np.inf)
        else:
            min2 = np.full(src.size, np.inf)
            gain2 = np.full(src.size, -np.inf)
        min2 = np.minimum(min1, min2)
        gain = np.maximum(np.maximum(gain1, gain2), abs0) - abs0
        # v-structures: conditioning on j makes i and a neighbour k of j
        # dependent (i -> j <- k), and the same at i
        h = top.shape[1]
        at_j = np.abs(_partial(r_ik[:, h:], r_ij[:, None], r_jk[:, h:]))
        at_j = np.where(valid[:, h:], at_j - np.abs(r_ik[:, h:]), 0.0)
        at_i = np.abs(_partial(r_jk[:, :h], r_ij[:, None], r_ik[:, :h]))
        at_i = np.where(valid[:, :h], at_i - np.abs(r_jk[:, :h]), 0.0)
        collider_j = np.maximum(at_j.max(axis=1, initial=0.0), 0.0)
        collider_i = np.maximum(at_i.max(axis=1, initial=0.0), 0.0)
        return np.stack([min1, min2, gain, collider_i, collider_j], axis=1)

    def __repr__(self):
        return f"{type(self).__name__}(n_candidates={self.n_candidates})"


def _cause_evidence(Zr, chunk=1024):
    """How strongly the pairwise likelihood ratios say each column is caused.

    ``Σ_b min(0, LR[a, b])²`` for every column ``a``, with ``LR[a, b]`` the
    tanh likelihood-ratio measure of Hyvärinen & Smith (2013) (positive
    favours ``a -> b``), signed by the pair's mean kurtosis so that it holds
    for sub-Gaussian noise too. Rows of ``LR`` are made ``chunk`` at a time,
    so no ``(p, p)`` matrix is held.
    """
    n, r = Zr.shape
    T = np.tanh(Zr)
    kurt = np.empty(r, dtype=np.float32)
    for lo in range(0, r, chunk):
        z2 = np.square(Zr[:, lo : lo + chunk], dtype=np.float64)
        kurt[lo : lo + chunk] = np.where((z2 * z2).mean(axis=0) >= 3.0, 1.0, -1.0)
    score = np.empty(r)
    inv_n = np.float32(1.0 / n)
    for lo in range(0, r, chunk):
        rows = slice(lo, lo + chunk)
        corr = Zr[:, rows].T @ Zr
        cross = Zr[:, rows].T @ T  # E[z_a tanh z_b]
        cross -= T[:, rows].T @ Zr  # minus E[z_b tanh z_a]
        lr = corr * cross
        lr *= inv_n * inv_n * 0.5
        lr *= kurt[rows, None] + kurt[None, :]
        np.minimum(lr, 0.0, out=lr)
        score[rows] = np.square(lr, dtype=np.float64).sum(axis=1)
    return score


#: Rows read by :func:`estimate_order` (a fixed random subset above this).
ORDER_ROWS = 4096


def estimate_order(Z, max_steps=32):
    """A causal order of the columns, most exogenous first (DirectLiNGAM-like).

    Each step scores every remaining variable by how strongly the pairwise
    likelihood ratios say that another remaining variable causes it
    (``Σ_b min(0, LR[a, b])²``), takes the least caused ones as the next
    roots, and regresses them out of the rest. With ``p ≤ max_steps`` one
    root is taken per step, as DirectLiNGAM does; above, ``p / max_steps``
    per step, so the cost stays ``O(max_steps · n p²)``, with ``n`` at most
    :data:`ORDER_ROWS` rows (a fixed random subset of larger data).

    Returns the position of every variable in the order, (p,) int.
    """
    n, p = Z.shape
    remaining = np.arange(p)
    rows = np.arange(n)
    if n > ORDER_ROWS:  # the same subset for every call
        rows = np.sort(np.random.default_rng(0).choice(n, ORDER_ROWS, replace=False))
    Zr = np.asarray(Z[rows], dtype=np.float32)  # a copy; float32 halves the cost
    pos = np.empty(p, dtype=np.int64)
    done = 0
    steps_left = max(int(max_steps), 1)
    while remaining.size:
        take = int(np.ceil(remaining.size / steps_left)) if remaining.size > 1 else 1
        steps_left = max(steps_left - 1, 1)
        if remaining.size > 1:
            score = _cause_evidence(Zr[:, remaining])
            roots = np.argsort(score, kind="stable")[:take]
        else:
            roots = np.array([0])
        pos[remaining[roots]] = done + np.arange(roots.size)
        done += roots.size
        keep = np.setdiff1d(np.arange(remaining.size), roots)
        if keep.size:
            R = Zr[:, remaining[roots]]
            rest = Zr[:, remaining[keep]]
            coef, *_ = np.linalg.lstsq(R, rest, rcond=None)
            rest = rest - R @ coef
            sd = rest.std(axis=0)
            Zr[:, remaining[keep]] = rest / np.where(sd > 1e-12, sd, 1.0)
        remaining = remaining[keep]
    return pos


def ordered_regression(Z, pos, ridge=1e-3, t_stats=False):
    """Coefficients of every variable's regression on its predecessors.

    ``B[j, i]`` is the coefficient of ``x_i`` in the least-squares regression
    of ``x_j`` on every variable before ``j`` in the order ``pos``; 0 when
    ``i`` comes after ``j``. One Cholesky factorisation of the (ridge-
    regularised) correlation matrix gives all of them.

    With ``t_stats``, also returns ``T``: ``T[j, i]`` the t statistic of that
    coefficient, ``B[j, i] / se``. With ``C = A D Aᵀ`` (``A`` unit lower
    triangular in the order), the regression of the variable at position
    ``k`` on the ``k`` before it has residual variance ``D_k`` and, for the
    variable at position ``m < k``, ``var(b) = D_k Σ_{r=m}^{k-1} A⁻¹[r, m]² / D_r
    / n``: one cumulative sum down the columns of ``A⁻¹``, no regression
    is refitted.
    """
    n, p = Z.shape
    perm = np.argsort(pos)
    Zp = Z[:, perm]
    C = Zp.T @ Zp
    del Zp
    C /= n
    C.flat[:: p + 1] += ridge
    # In place, so that at most two p x p matrices are alive at a time.
    L = cholesky(C, lower=True, overwrite_a=True, check_finite=False)
    D = np.diag(L).astype(np.float64) ** 2  # residual variances in the order
    L /= np.diag(L).copy()[None, :]  # unit lower-triangular A: x = A e
    (trtri,) = lapack.get_lapack_funcs(("trtri",), (L,))
    Ainv, info = trtri(L, lower=1, unitdiag=1, overwrite_c=1)
    del L
    if info != 0:  # pragma: no cover - the ridge keeps A invertible
        raise np.linalg.LinAlgError("ordered regression: singular factor")
    T = None
    if t_stats:
        # W[r, m] = Σ_{r' <= r} A⁻¹[r', m]² / D_r' (A⁻¹ still has its unit diagonal)
        W = np.square(Ainv)
        W /= D.astype(W.dtype)[:, None]
        np.cumsum(W, axis=0, out=W)
    # B = I - A⁻¹: A⁻¹ is unit lower-triangular (cholesky zeroed the upper
    # triangle), so B is -A⁻¹ below the diagonal and 0 elsewhere.
    Ainv.flat[:: p + 1] = 0.0
    np.negative(Ainv, out=Ainv)
    if t_stats:
        # row k from the bottom up, so W[k - 1] is still the sum when read
        for k in range(p - 1, 0, -1):
            se = np.sqrt(np.maximum(D[k] * W[k - 1] / n, 1e-30))
            W[k] = Ainv[k] / se
        W[0] = 0.0  # the first variable has no predecessors
        T = np.empty_like(W)
        T[np.ix_(perm, perm)] = W
        del W
    B = np.empty_like(Ainv)
    B[np.ix_(perm, perm)] = Ainv
    del Ainv
    # in the dtype of Z: float32 data give float32 (p x p) matrices
    return (B, T) if t_stats else B


def non_gaussian_share(Z, B):
    """Share of variables whose residual under ``B`` is clearly non-Gaussian.

    The residuals ``Z - Z Bᵀ`` of every variable's regression on its
    predecessors estimate the noise terms. A variable counts when the excess
    kurtosis of its residual is more than 3 standard errors (``√(24/n)``)
    from 0. Only with non-Gaussian noise is the causal order identifiable
    (Shimizu et al., 2006), so the ordered coefficients mean something.
    """
    n = Z.shape[0]
    if n < 8:
        return 0.0
    E = Z - Z @ B.T
    E = E - E.mean(axis=0)
    var = (E**2).mean(axis=0)
    kurt = (E**4).mean(axis=0) / np.where(var > 1e-12, var, 1.0) ** 2 - 3.0
    return float(np.mean(np.abs(kurt) > 3.0 * np.sqrt(24.0 / n)))


class OrderedRegression(PairStatistic):
    """t statistics of the regression coefficients under an estimated causal order.

    The evidence DirectLiNGAM uses: a causal order of all variables estimated
    from pairwise non-Gaussian likelihood ratios with the roots regressed
    out step by step (:func:`estimate_order`), then every variable regressed
    on all variables before it (:func:`ordered_regression`). Under the right
    order, the coefficient of ``x_i`` in the regression of ``x_j`` is non-zero
    only for a direct cause, so, unlike a partial correlation, it does not
    mark co-parents of a common child. ``ordered_coef_ij`` is its size,
    ``ordered_t_ij`` ``log(1 + |t|)`` of its t statistic, which ranks causes
    better when the order is right (DirectLiNGAM's adaptive lasso prunes by
    a similar test) and costs one cumulative sum more. ``order_gap`` is the
    signed distance ``(pos_j - pos_i) / p`` in the order. With Gaussian
    noise the order is not identifiable: :func:`non_gaussian_share` tests
    the residuals of the observational rows, and when most of them are
    non-Gaussian (``non_gaussian`` in what :meth:`prepare` returns) the
    baseline logit always reads the t statistics; otherwise never. The
    network always sees every column.

    Parameters
    ----------
    max_steps : int, default=32
        Steps of the order estimate (:func:`estimate_order`).
    """

    names = (
        "ordered_coef_ij",
        "ordered_coef_ji",
        "order_gap",
        "ordered_t_ij",
        "ordered_t_ji",
    )
    antisymmetric = ("order_gap",)

    def __init__(self, max_steps=32):
        self.max_steps = max_steps

    def prepare(self, data, Z):
        pos = estimate_order(Z, self.max_steps)
        B, T = ordered_regression(Z, pos, t_stats=True)
        share = non_gaussian_share(Z[data.observational], B)
        # log(1 + |t|): t grows like sqrt(n) and has a long tail at true causes
        np.abs(T, out=T)
        np.log1p(T, out=T)
        return {
            "coef": np.abs(B, out=B).astype(np.float32, copy=False),
            "t": T.astype(np.float32, copy=False),
            "pos": pos.astype(np.float64) / max(Z.shape[1] - 1, 1),
            "non_gaussian_share": share,
            "non_gaussian": bool(share > 0.5),
        }

    def compute(self, block, prepared):
        coef, t, pos = prepared["coef"], prepared["t"], prepared["pos"]
        src, dst = block.src, block.dst
        return np.stack(
            [
                coef[dst, src],
                coef[src, dst],
                pos[dst] - pos[src],
                t[dst, src],
                t[src, dst],
            ],
            axis=1,
        )

    def __repr__(self):
        return f"{type(self).__name__}(max_steps={self.max_steps})"


DEFAULT_STATISTICS = (
    Correlation(),
    PartialCorrelation(),
    LikelihoodRatio(),
    CubicRegression(),
    KnockoutShift(),
    ConditionalIndependence(),
    OrderedRegression(),
    VariableGraph(),
)
