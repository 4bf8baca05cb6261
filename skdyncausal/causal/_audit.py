"""Scores of labelled pairs from models that did not train on them.

The audit of the prior (cross-fitted logits of every labelled pair) and the
calibration fitted on such pairs.
"""

import numpy as np
from scipy.special import expit
from sklearn.base import clone

from ._calibration import EdgeCalibrator
from ._module import INFERENCE_PAIRS, pair_probabilities

__all__ = ["cross_fitted_prior", "fit_calibrator", "probabilities"]


def _folds(labels, n_folds, rng):
    """Fold of every labelled pair, stratified by label: (n,) int."""
    fold = np.empty(labels.size, dtype=np.int64)
    for label in (0.0, 1.0):
        idx = rng.permutation(np.flatnonzero(labels == label))
        fold[idx] = np.arange(idx.size) % n_folds
    return fold


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
    fold = _folds(labels, est.prior_folds, np.random.default_rng(seed))
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


def fit_calibrator(est, valid_feats, prior_logits):
    """The calibration of a fitted ``est`` on pairs its network did not train on.

    Every labelled pair with its cross-fitted logit when ``prior_logits`` is
    given, else the held-out ``validation_pairs_``, whose scaled features
    ``valid_feats`` the fit computed already.
    """
    if prior_logits is not None:
        known = ~np.isnan(prior_logits)
        z, y = prior_logits[known], est.prior_[known]
    elif len(est.validation_pairs_) == 0:  # nothing held out: weights only
        z, y = np.empty(0), np.empty(0)
    else:
        va = est.validation_pairs_
        step = INFERENCE_PAIRS
        module = est.net_.module_
        z = pair_probabilities(module, valid_feats, est.device_, step, logits=True)
        y = va[:, 2]
    return EdgeCalibrator(est.calibration).fit(z, y, pos_weight=est.pos_weight_)


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
