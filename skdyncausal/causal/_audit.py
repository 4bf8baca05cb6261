"""Scores of labelled pairs from models that did not train on them: the
audit of the prior by refitted models (``prior_folds``), the labels the
scores contradict (``prior_cleaning``) and the ``prior_scores_`` matrix."""

import numpy as np
from scipy.special import expit
from sklearn.base import clone

from ._data import stratified_folds

__all__ = [
    "contradicted_labels",
    "cross_fitted_prior",
    "label_error_probability",
    "prior_scores",
]


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
    if calibrator is None:
        proba = expit(logits)
    else:  # labelled pairs: the labels' base rate, no prior shift
        proba = calibrator.transform(logits, shift=False)
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


def label_error_probability(labels, proba):
    """Probability that each label is wrong, given cross-fitted probabilities.

    Class-conditional label noise: a true edge is labelled 0 with probability
    ``r1`` and a true absence labelled 1 with probability ``r0``, whatever the
    pair. ``proba`` is read as each pair's probability of an edge. The
    expected numbers of wrong labels, ``E1 = Σ (1 − p)`` over the labelled
    edges and ``E0 = Σ p`` over the labelled absences, give the numbers of
    true edges and absences among the labelled pairs and hence the rates;
    Bayes' rule then gives, for a labelled edge, the odds of a wrong label
    ``(1 − p) / p · P(l=1 | absence) / P(l=1 | edge)`` and for a labelled
    absence ``p / (1 − p) · P(l=0 | edge) / P(l=0 | absence)``. Within one
    label the order is that of ``1 − p`` and ``p``; across labels the rates
    weigh one class's contradictions against the other's: with few labelled
    edges among many absences, one labelled absence that looks like an edge
    is a likelier mistake than one labelled edge that looks like an absence.
    Returns float64 in [0, 1], NaN where ``proba`` is NaN.
    """
    labels = np.asarray(labels, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-6, 1 - 1e-6)
    one, zero = labels == 1, labels == 0
    valid = np.isfinite(p)
    e1 = float(np.sum((1 - p)[one & valid]))  # expected wrong edge labels
    e0 = float(np.sum(p[zero & valid]))  # expected wrong absence labels
    n1, n0 = float(np.sum(one & valid)), float(np.sum(zero & valid))
    edges, absences = n1 - e1 + e0, n0 - e0 + e1  # true classes, expected
    tiny = 1e-12
    ratio1 = (e1 / max(absences, tiny)) / max((n1 - e1) / max(edges, tiny), tiny)
    ratio0 = (e0 / max(edges, tiny)) / max((n0 - e0) / max(absences, tiny), tiny)
    odds = np.where(one, (1 - p) / p * ratio1, p / (1 - p) * ratio0)
    out = odds / (1 + odds)
    return np.where(valid, out, np.nan)
