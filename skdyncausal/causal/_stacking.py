"""Other methods' scores as pair statistics (the ``extra_scores`` parameter).

A user's favourite method (a callable ``scorer(X, prior, interventions)``
returning a ``(p, p)`` score matrix, row = cause) becomes one more kind of
pair evidence, so the network learns on the user's own prior how far to
trust it.

A scorer that reads the prior would echo the labels of the training pairs,
and the network would learn to trust it blindly. So the scores the network
trains on are cross-fitted: the labelled pairs are split into
:data:`SCORE_FOLDS` folds (a pair and its reverse together), and the scores
of a fold's pairs come from a call on the prior without that fold. Every
other pair gets the score of a call on the whole prior. New rows at predict
time are scored the same way.
"""

import re

import numpy as np

from ._statistics import PairStatistic

__all__ = [
    "SCORE_FOLDS",
    "ExternalScore",
    "check_extra_scores",
    "cross_fitted_scores",
    "external_scores",
]

#: Folds of the labelled pairs for the cross-fitted scores (calls per fit:
#: one per fold and one on the whole prior).
SCORE_FOLDS = 2
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class ExternalScore(PairStatistic):
    """The scores of one extra scorer at ``(i, j)`` and at ``(j, i)``.

    Reads the ``(p, p)`` matrix that the estimator computed for the data
    (``data.external[name]``).
    """

    def __init__(self, name):
        self.name = name
        self.names = (f"score_{name}_ij", f"score_{name}_ji")

    def prepare(self, data, Z):
        return {"scores": np.asarray(data.external[self.name], dtype=np.float32)}

    def compute(self, block, prepared):
        S = prepared["scores"]
        return np.stack([S[block.src, block.dst], S[block.dst, block.src]], axis=1)

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"


def check_extra_scores(value):
    """``extra_scores`` as a list of ``(name, scorer)``; ValueError otherwise."""
    if value is None:
        return []
    hint = (
        "extra_scores must be None, a dict {name: scorer} or a list of scorers, "
        "each a callable scorer(X, prior, interventions) returning a (p, p) "
        "score matrix (row = cause); names are letters and digits, starting "
        "with a letter"
    )
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = [(f"extra{k}", f) for k, f in enumerate(value)]
    else:
        raise ValueError(f"{hint}; got {type(value).__name__}")
    if not items:
        raise ValueError(f"{hint}; got an empty {type(value).__name__}")
    for name, scorer in items:
        if not (isinstance(name, str) and _NAME.match(name)):
            raise ValueError(f"{hint}; got the name {name!r}")
        if not callable(scorer):
            raise ValueError(f"{hint}; {name!r} is {type(scorer).__name__}")
    return items


def _call(name, scorer, X, prior, interventions):
    """Call one scorer and check what it returns."""
    p = X.shape[1]
    out = scorer(X, prior, interventions)
    try:
        S = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"extra_scores[{name!r}] must return a real (p, p) = ({p}, {p}) "
            f"array; got {type(out).__name__} ({exc})"
        ) from exc
    if S.shape != (p, p):
        raise ValueError(
            f"extra_scores[{name!r}] must return a (p, p) = ({p}, {p}) score "
            f"matrix, row = cause; got shape {S.shape}"
        )
    bad = ~np.isfinite(S)
    np.fill_diagonal(bad, False)
    if bad.any():
        raise ValueError(
            f"extra_scores[{name!r}] returned {int(bad.sum())} non-finite scores "
            "off the diagonal; return finite scores (e.g. 0 for 'no evidence')"
        )
    np.fill_diagonal(S, 0.0)
    return S


def external_scores(items, X, prior, interventions):
    """Every scorer called once on the whole prior: {name: (p, p)}."""
    return {name: _call(name, f, X, prior, interventions) for name, f in items}


def cross_fitted_scores(items, X, prior, interventions, rng):
    """Scores for fitting: labelled pairs cross-fitted, the rest on the whole prior.

    Parameters
    ----------
    items : list of (name, scorer)
    X : ndarray of shape (n, p)
    prior : ndarray of shape (p, p)
        0 / 1 / NaN, diagonal NaN.
    interventions : ndarray of shape (n,) or None
    rng : numpy.random.Generator
        Draws the folds.

    Returns
    -------
    scores : dict of name -> ndarray of shape (p, p)
    """
    out = external_scores(items, X, prior, interventions)
    known = ~np.isnan(prior)
    i, j = np.nonzero(np.triu(known | known.T, 1))  # unordered labelled pairs
    if i.size < SCORE_FOLDS:
        return out
    fold = rng.permutation(i.size) % SCORE_FOLDS
    for k in range(SCORE_FOLDS):
        held = fold == k
        A_k = prior.copy()
        rows = np.r_[i[held], j[held]]
        cols = np.r_[j[held], i[held]]
        A_k[rows, cols] = np.nan
        for name, scorer in items:
            S_k = _call(name, scorer, X, A_k, interventions)
            out[name][rows, cols] = S_k[rows, cols]
    return out
