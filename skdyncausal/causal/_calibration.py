"""Calibrated edge probabilities (numpy and scikit-learn only).

The network is trained with a class-weighted loss, so its raw probabilities
overstate edges: a positive weight ``w`` multiplies the odds it learns by
``w``. :class:`EdgeCalibrator` takes ``log(w)`` off the logit ``z`` and then
fits, on labelled pairs the network did not train on (every labelled pair
scored by the network of its fold, the held-out ``validation_pairs_`` of a
single network, or, with ``prior_folds``, every labelled pair scored by a
model refitted without it), either

- ``"beta"`` calibration (Kull, Silva Filho & Flach, 2017): a logistic
  regression of the labels on ``ln q`` and ``-ln(1 - q)``, ``q = σ(z)``,
  with both coefficients kept non-negative; it bends the map differently for
  low and high probabilities, which the class imbalance of edges needs; or
- ``"platt"`` scaling: a logistic regression of the labels on ``z``; or
- ``"auto"``: the beta map moved towards isotonic regression (a monotone step
  function of ``z`` fitted to the labels, no assumed shape) by the weight
  ``n1 / (n1 + 100)``, ``n1`` the edges among those pairs. Two parameters
  cannot follow every shape: with many labelled pairs (a 10 % prior of a
  1,000-variable network) the edge rate can rise, level off over a wide
  middle band of logits and rise again, and the beta map then overstates
  that band. Isotonic regression follows the shape but is noisy when few
  edges are labelled; the weight trusts it as their number grows (about 0.1
  at 10 labelled edges, 0.5 at 100).

All are increasing in the logit (the beta part keeps ``"auto"`` strictly so,
inside the isotonic steps), so for one network the ranking of the pairs
(AUROC, AUPRC) is the same as without calibration.

With several cross-fitted networks the map is fitted on one logit per
labelled pair, that of the network which did not train on it, while the
estimator's prediction is the networks' mean logit. The mean of several
networks' logits spreads less than one network's, so the map of the mean
would be fitted on one distribution and applied to another. The estimator
therefore maps each network's logit of a pair and averages the probabilities
(``transform(..., axis=1)``, ``per_network_``); the average is not a function
of the mean logit, so a few pairs change places (on the development seeds of
the calibration benchmark the mean AUPRC moved by less than 0.005).

Any such map makes the probabilities right for pairs drawn like the labelled
ones. A prior read off a database lists known edges more often than edges
occur among the other pairs (or, built from a few experiments, less often),
so the map learns the wrong base rate for them. :meth:`EdgeCalibrator.set_edge_rate`
moves the map to another edge rate among the pairs to predict: Bayes' rule
with the two base rates multiplies every odds by the same factor
(a prior shift; Saerens, Latinne & Decaestecker, 2002), and
:func:`estimate_edge_rate` finds that rate from the probabilities of the
unlabelled pairs alone, by the EM algorithm of the same paper.
"""

import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

__all__ = [
    "EdgeCalibrator",
    "edge_rate_statistic",
    "estimate_edge_rate",
    "exclusive_directions",
    "exclusive_factors",
]

# labelled pairs of each label needed to rescale the logits (Platt scaling)
_MIN_PER_CLASS = 5
# labelled edges at which "auto" gives the isotonic fit half the weight
_ISOTONIC_HALF = 100.0
METHODS = ("auto", "beta", "platt")
# edge rates are kept inside [_RATE_FLOOR, 1 - _RATE_FLOOR]: finite odds
_RATE_FLOOR = 1e-6
#: 95 % quantile of the chi-square law with one degree of freedom: the test
#: statistic an estimated share of edges must reach to be used
SHIFT_CHI2 = 3.841


def _features(z, method):
    """Regressors of the calibration map: (n, 1) for Platt, (n, 2) for beta
    (and for the beta part of "auto")."""
    if method == "platt":
        return z[:, None]
    return np.column_stack([log_expit(z), -log_expit(-z)])  # ln q, -ln(1 - q)


class EdgeCalibrator:
    """Logit -> calibrated probability: class-weight correction, then a
    monotone map fitted on labelled pairs (beta calibration, Platt scaling, or
    beta calibration moved towards isotonic regression).

    Parameters
    ----------
    method : {"auto", "beta", "platt"}, default="beta"

    Attributes (after :meth:`fit`)
    ------------------------------
    weight_shift_ : float
        ``-log(pos_weight)``, added to every logit first.
    coef_ : ndarray of shape (1,) or (2,)
        Coefficients of the map (Platt: of ``z``; beta: of ``ln q`` and
        ``-ln(1 - q)``), non-negative; the identity when too few labelled
        pairs of a label were given.
    intercept_ : float
    isotonic_ : sklearn.isotonic.IsotonicRegression or None
        The isotonic fit of the labels on the shifted logit (``"auto"``).
    isotonic_weight_ : float
        Its weight ``n1 / (n1 + 100)`` in the probabilities; 0 for
        ``"beta"``, ``"platt"`` and too few labels.
    n_pairs_ : int
        Labelled pairs the scaling was fitted on.
    base_rate_ : float
        Share of edges among them: the base rate the map is right for.
    fitted_map_ : bool
        Whether the map was fitted (at least 5 pairs of each label).
    edge_rate_ : float
        Share of edges among the pairs to predict, which :meth:`transform`
        assumes; ``base_rate_`` until :meth:`set_edge_rate` changes it.
    per_network_ : bool
        Set by :class:`~skdyncausal.CausalStructureEstimator`: True when the
        map was fitted on single networks' out-of-fold logits, so that the
        pairs to predict get each network's logit mapped and the
        probabilities averaged (``transform(..., axis=1)``); False (the
        default) maps the logits given.
    estimated_edge_rate_ : float or None
        With ``CausalStructureEstimator(edge_rate="auto")``: the share of
        edges estimated among the unlabelled pairs, whether used or not;
        else None.
    edge_rate_statistic_ : float or None
        Its likelihood-ratio statistic against ``base_rate_``
        (:func:`edge_rate_statistic`, with the labelled share's own sampling
        noise); the estimate is used (becomes
        ``edge_rate_``) only from ``SHIFT_CHI2`` = 3.841 up, the 5 % level.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = (rng.random(4000) < 0.1).astype(float)
    >>> logits = 2.0 * (2 * y - 1) + rng.normal(size=y.size) + np.log(9.0)
    >>> cal = EdgeCalibrator("platt").fit(logits, y, pos_weight=9.0)
    >>> p = cal.transform(logits)
    >>> bool(abs(p.mean() - y.mean()) < 0.01)
    True
    """

    def __init__(self, method="beta"):
        self.method = method

    def fit(self, logits, labels, *, pos_weight=1.0):
        """Fit on labelled pairs scored by a model that did not train on them."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        self.weight_shift_ = -float(np.log(pos_weight))
        z = np.asarray(logits, dtype=np.float64) + self.weight_shift_
        y = np.asarray(labels, dtype=np.float64)
        self.n_pairs_ = int(y.size)
        self.base_rate_ = float(y.mean()) if y.size else 0.5
        self.edge_rate_ = self.base_rate_
        self.estimated_edge_rate_ = self.edge_rate_statistic_ = None
        self.per_network_ = False
        # identity: Platt slope 1; beta a = b = 1 (ln q + -ln(1 - q) = z)
        self.coef_ = np.ones(1 if self.method == "platt" else 2)
        self.intercept_ = 0.0
        self.isotonic_, self.isotonic_weight_ = None, 0.0
        n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
        self.fitted_map_ = min(n_pos, n_neg) >= _MIN_PER_CLASS
        if self.fitted_map_:
            model = LogisticRegression(C=1.0).fit(_features(z, self.method), y)
            # a negative coefficient could reverse the ranking: keep the map
            # increasing (and strictly so through a small floor)
            self.coef_ = np.maximum(model.coef_[0], 0.0)
            self.coef_[0] = max(self.coef_[0], 1e-3)
            self.intercept_ = float(model.intercept_[0])
            if self.method == "auto":
                self.isotonic_ = IsotonicRegression(
                    y_min=0.0, y_max=1.0, out_of_bounds="clip"
                ).fit(z, y)
                self.isotonic_weight_ = n_pos / (n_pos + _ISOTONIC_HALF)
        else:
            warnings.warn(
                f"only {n_pos} edges and {n_neg} absences among the labelled pairs "
                f"held out of training (fewer than {_MIN_PER_CLASS} of a label): "
                "the probabilities are corrected for the class weights of the "
                "loss only. Label more pairs (with n_networks >= 2 every "
                "labelled pair calibrates).",
                UserWarning,
                stacklevel=4,
            )
        return self

    def set_edge_rate(self, rate):
        """Assume ``rate`` edges among the pairs to predict (a prior shift).

        ``transform`` then multiplies the odds of the labelled pairs' map by
        ``rate / (1 - rate) * (1 - base_rate_) / base_rate_``, Bayes' rule
        for the same pair evidence under another base rate. The order of
        the pairs is kept. Without a fitted map (fewer than 5 pairs of a
        label: the probabilities are not calibrated for any base rate)
        nothing changes.
        """
        self.edge_rate_ = self.base_rate_
        if getattr(self, "fitted_map_", False):
            self.edge_rate_ = float(np.clip(rate, _RATE_FLOOR, 1.0 - _RATE_FLOOR))
        return self

    def transform(self, logits, *, shift=True, axis=None):
        """Calibrated probabilities of the pairs with these logits.

        ``shift=False``: for pairs drawn like the labelled ones (the
        out-of-fold scores of the labelled pairs), without the prior shift
        of :meth:`set_edge_rate`. ``axis``: the logits of several networks
        along that axis; each is mapped and the probabilities are averaged
        over it (before the prior shift). A map fitted on one network's
        logits is right for one network's logits: the mean of several
        networks' logits spreads less, so mapping it would understate
        confident pairs and overstate weak ones.
        """
        z = np.asarray(logits, dtype=np.float64) + self.weight_shift_
        flat = z.ravel()
        p = expit(_features(flat, self.method) @ self.coef_ + self.intercept_)
        if getattr(self, "isotonic_", None) is not None:  # also older pickles
            w = self.isotonic_weight_
            p = (1.0 - w) * p + w * self.isotonic_.predict(flat)
        p = p.reshape(z.shape)
        if axis is not None:
            p = p.mean(axis=axis)
        rate = getattr(self, "edge_rate_", None)
        if not shift or rate is None or rate == self.base_rate_:
            return p
        return prior_shift(p, rate, self.base_rate_)


def prior_shift(proba, rate, base_rate):
    """Probabilities right for the base rate ``base_rate`` moved to ``rate``:
    every odds times ``rate / (1 - rate) * (1 - base_rate) / base_rate``."""
    p = np.asarray(proba, dtype=np.float64)
    up = rate * (1.0 - base_rate)
    down = (1.0 - rate) * base_rate
    return up * p / (up * p + down * (1.0 - p))


def estimate_edge_rate(proba, base_rate, *, max_iter=1000, tol=1e-7):
    """Share of edges among pairs whose probabilities are right for another
    base rate: the EM algorithm of Saerens, Latinne & Decaestecker (2002).

    Repeats ``rate <- (sum(prior_shift(proba, rate, base_rate)) + 1/2) /
    (n + 1)`` from ``rate = base_rate``: the expected number of edges among
    the ``n`` pairs under the current rate, with the half pseudo-count of
    Jeffreys' prior, so that a set of pairs none of which looks like an edge
    gets a small rate rather than 0 (the maximum-likelihood fixed point the
    plain iteration of the paper converges to). If the pairs are drawn like
    the labelled ones the rate stays near ``base_rate``.

    Parameters
    ----------
    proba : array-like of shape (n,)
        Calibrated probabilities (for the base rate) of unlabelled pairs.
    base_rate : float in (0, 1)
        Share of edges among the pairs the calibration was fitted on.

    Returns
    -------
    rate : float
    """
    p = np.clip(np.asarray(proba, dtype=np.float64).ravel(), 0.0, 1.0)
    if p.size == 0 or not 0.0 < base_rate < 1.0:
        return float(base_rate)
    rate = float(base_rate)
    for _ in range(max_iter):
        new = (float(prior_shift(p, rate, base_rate).sum()) + 0.5) / (p.size + 1.0)
        new = min(max(new, _RATE_FLOOR), 1.0 - _RATE_FLOOR)
        if abs(new - rate) < tol:
            return new
        rate = new
    return rate


def edge_rate_statistic(proba, rate, base_rate, n_labelled=None):
    """Likelihood-ratio statistic of the share ``rate`` estimated among
    unlabelled pairs against the labelled pairs' share ``base_rate``.

    The unlabelled pairs' likelihood is the prior-shift model of
    :func:`estimate_edge_rate` (each pair an edge with the shifted
    probability). With ``n_labelled``, the labelled share is a sample
    proportion too (binomial, ``n_labelled`` pairs), and the test compares
    two shares, each free, with one share for both:
    ``2 * (max log L(two shares) - max log L(one share))``. With a few
    hundred labelled pairs the labelled share is the noisier of the two, and
    leaving its noise out would call a shift in far more than 5 % of random
    priors. None: the labelled share taken as exact,
    ``2 * (log L(rate) - log L(base_rate))``.

    About chi-square with one degree of freedom when the unlabelled pairs
    are drawn like the labelled ones, so above 3.84 the two shares differ
    beyond sampling noise at the 5 % level. Never negative.

    Parameters
    ----------
    proba : array-like of shape (n,)
        Calibrated probabilities (for ``base_rate``) of unlabelled pairs.
    rate, base_rate : float in (0, 1)
    n_labelled : int or None, default=None
        Labelled pairs ``base_rate`` was measured on.

    Returns
    -------
    statistic : float
    """
    p = np.clip(np.asarray(proba, dtype=np.float64).ravel(), 0.0, 1.0)
    if p.size == 0 or not (0.0 < base_rate < 1.0 and 0.0 < rate < 1.0):
        return 0.0
    # rate/b * p + (1 - rate)/(1 - b) * (1 - p) = slope * rate + level
    slope = p / base_rate - (1.0 - p) / (1.0 - base_rate)
    level = (1.0 - p) / (1.0 - base_rate)

    def unlabelled(r):  # log L(r) - log L(base_rate), which is 0
        return float(np.log(np.maximum(slope * r + level, 1e-300)).sum())

    def labelled(r):  # binomial log likelihood of the labelled share
        k = base_rate * n_labelled
        return k * np.log(r) + (n_labelled - k) * np.log1p(-r)

    if not n_labelled:
        return max(2.0 * unlabelled(rate), 0.0)
    # both log likelihoods are concave in the share, so the one shared share
    # that fits best lies between the two separate best fits
    lo, hi = sorted((rate, base_rate))
    if hi - lo < 1e-12:
        return 0.0
    joint = minimize_scalar(
        lambda r: -(labelled(r) + unlabelled(r)),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10 + 1e-6 * lo},
    )
    separate = labelled(base_rate) + unlabelled(rate)
    return max(2.0 * float(separate + joint.fun), 0.0)


def exclusive_factors(p_ij, p_ji):
    """Factors that make two directions of a pair sum to at most 1.

    ``1 / (p_ij + p_ji)`` where the sum exceeds 1, else 1; the same factor
    applies to both directions, so their order is kept.
    """
    total = np.asarray(p_ij, dtype=np.float64) + np.asarray(p_ji, dtype=np.float64)
    return 1.0 / np.maximum(total, 1.0)


def exclusive_directions(P, *, block=1024):
    """Scale ``P[i, j]`` and ``P[j, i]`` down to a sum of at most 1, in place.

    A DAG holds at most one of ``i -> j`` and ``j -> i`` (and of the two
    ancestral relations), so their probabilities cannot sum to more than 1.
    Where they do, both are divided by their sum; every other entry is left
    alone. Works a block of rows at a time on the upper triangle, so a
    memory-mapped ``P`` is never held whole.
    """
    p = P.shape[0]
    for lo in range(0, p, block):
        hi = min(lo + block, p)
        upper = np.asarray(P[lo:hi, lo:], dtype=np.float64)  # (b, p - lo)
        lower = np.asarray(P[lo:, lo:hi], dtype=np.float64).T  # the reverses
        factor = exclusive_factors(upper, lower)
        # each pair once: columns right of the diagonal
        rows = np.arange(hi - lo)[:, None]
        factor[np.arange(p - lo)[None, :] <= rows] = 1.0
        r, c = np.nonzero(factor < 1.0)
        P[lo + r, lo + c] = upper[r, c] * factor[r, c]
        P[lo + c, lo + r] = lower[r, c] * factor[r, c]
    return P
