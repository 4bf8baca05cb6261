"""Scores of labelled pairs from models that did not train on them.

The audit of the prior (cross-fitted logits of every labelled pair) and the
calibration fitted on such pairs.
"""

import numpy as np
from scipy.special import expit
from sklearn.base import clone

from ._calibration import EdgeCalibrator
from ._data import stratified_folds

__all__ = ["cross_fitted_prior", "fit_calibrator", "probabilities"]


def cross_fitted_prior(est, X, interventions, seed):
    """(p, p) logits of the labelled pairs from models that did not see them.

    ``est`` is fitted; for each of its ``prior_folds`` folds a clone with
    the same parameters (uncalibrated) is fitted on the prior without that
    fold and scores the fold's pairs. NaN where the prior is unknown.
    """
    A = est.prior_
    src, dst = np.nonzero(~np.isnan(A))
    labels = A[src, dst]
    n_pos, n_neg = int((labels == 1).sum()), int((labels == 0).sum())
    if min(n_pos, n_neg) < 2:
        raise ValueError(
            f"prior_folds={est.prior_folds} needs at least 2 known edges and 2 "
            f"known absences in the prior, so that every fold keeps both labels; "
            f"it has {n_pos} and {n_neg}. Label more pairs or set prior_folds=None."
        )
    fold = stratified_folds(labels, est.prior_folds, np.random.default_rng(seed))
    scores = np.full(A.shape, np.nan)
    for k in range(est.prior_folds):
        held = fold == k
        A_k = A.copy()
        A_k[src[held], dst[held]] = np.nan
        model = clone(est).set_params(
            prior=None,
            interventions=None,
            prior_folds=None,
            calibration=None,
            verbose=0,
        )
        model.fit(X, prior=A_k, interventions=interventions)
        pairs = np.column_stack([src[held], dst[held]])
        scores[src[held], dst[held]] = model._pair_logits(pairs)
    return scores


def fit_calibrator(est, logits, labels):
    """The calibration of a fitted ``est`` on labelled pairs scored by networks
    that did not train on them: ``logits`` and ``labels`` of those pairs (the
    held-out pairs, the out-of-fold pairs of ``n_networks``, or with
    ``prior_folds`` every labelled pair)."""
    return EdgeCalibrator(est.calibration).fit(
        logits, labels, pos_weight=est.pos_weight_
    )


def probabilities(calibrator, logits):
    """Probabilities of logits (NaN kept), through ``calibrator`` if not None."""
    out = np.full(logits.shape, np.nan)
    known = ~np.isnan(logits)
    out[known] = (
        expit(logits[known])
        if calibrator is None
        else calibrator.transform(logits[known])
    )
    return out
