"""Scores of labelled pairs from models that did not train on them: the
audit of the prior by refitted models (``prior_folds``), the labels the
scores contradict (``prior_cleaning``) and the ``prior_scores_`` matrix."""

import numpy as np
from scipy.special import expit
from sklearn.base import clone

from ._data import stratified_folds

__all__ = ["contradicted_labels", "cross_fitted_prior", "prior_scores"]


def cross_fitted_prior(est, X, interventions, seed):
    """The labelled pairs ``(i, j, label)`` and their logits from models
    that did not see them.

    ``est`` is fitted; for each of its ``prior_folds`` folds a clone with
    the same parameters (uncalibrated) is fitted on the prior without that
    fold and scores the fold's pairs.
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
    logits = np.empty(labels.size)
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
        logits[held] = model._pair_logits(pairs)
    return np.column_stack([src, dst, labels]), logits


def prior_scores(shape, pairs, logits, calibrator):
    """``prior_scores_``: (p, p) float32, the probabilities of the logits of
    the pairs ``(i, j, ...)`` (through ``calibrator`` if not None), NaN
    elsewhere."""
    out = np.full(shape, np.nan, dtype=np.float32)
    proba = expit(logits) if calibrator is None else calibrator.transform(logits)
    out[pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)] = proba
    return out


def contradicted_labels(labels, proba, max_share=0.5):
    """Which labelled pairs the cross-fitted probabilities contradict: (n,) bool.

    The rule of confident learning (Northcutt, Jiang & Chuang, 2021) for two
    classes, with the average score of each label as its threshold: a
    labelled edge is contradicted when its probability is no higher than the
    average probability of the labelled absences, a labelled absence when
    its probability is at least the average of the labelled edges. At most
    ``max_share`` of either label is flagged (the most contradicted ones),
    so that a prior the data disagree with wholesale still trains the model.
    """
    labels = np.asarray(labels)
    proba = np.asarray(proba, dtype=np.float64)
    flag = np.zeros(labels.size, dtype=bool)
    one, zero = labels == 1, labels == 0
    if not one.any() or not zero.any():
        return flag
    mean_one, mean_zero = proba[one].mean(), proba[zero].mean()
    for members, conflict, hit in (
        (one, -proba, proba <= mean_zero),
        (zero, proba, proba >= mean_one),
    ):
        idx = np.flatnonzero(members & hit)
        cap = int(max_share * members.sum())
        if idx.size > cap:  # keep the most contradicted
            idx = idx[np.argsort(-conflict[idx], kind="stable")[:cap]]
        flag[idx] = True
    return flag
