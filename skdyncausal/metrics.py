"""Evaluation metrics for learned causal structure and latent dynamics.

All functions are plain functions with the scikit-learn signature
``(y_true, y_pred, ...)`` and accept NumPy arrays or pandas DataFrames.

Graph conventions
-----------------
An adjacency matrix ``A`` of ``p`` variables has shape ``(p, p)`` and
``A[i, j] = 1`` means the directed edge ``i → j`` (row = cause, column =
effect). A score matrix ``P`` has the same layout: ``P[i, j]`` is the
probability (or any score where larger means more likely) of the edge
``i → j``. The diagonal (self-loops) is never evaluated.

Trajectory conventions
----------------------
Trajectory arrays have shape ``(n_instances, n_times, *obs_shape)``: one frame
per instance and time step, holding the observation at that time.
"""

import numbers
import operator

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from ._validation import as_real_array, check_int, check_square

__all__ = [
    "edge_average_precision",
    "edge_calibration_curve",
    "edge_f1",
    "edge_orientation_accuracy",
    "edge_precision",
    "edge_precision_recall_f1",
    "edge_recall",
    "edge_roc_auc",
    "edge_scores_to_frame",
    "forecast_scorer",
    "forecast_skill",
    "held_out_edge_scorer",
    "normalized_mse",
    "structural_hamming_distance",
]


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _evaluated_pairs(mask, p):
    """Boolean (p, p) selection of the evaluated ordered off-diagonal pairs."""
    selected = ~np.eye(p, dtype=bool)
    if mask is None:
        return selected
    if isinstance(mask, (pd.DataFrame, pd.Series)):
        mask = mask.to_numpy()
    mask = np.asarray(mask)
    if mask.shape != (p, p):
        raise ValueError(
            f"mask must be a boolean (p, p) matrix with the same shape as y_true "
            f"{(p, p)}; got shape {mask.shape}."
        )
    if mask.dtype != bool:
        try:
            as_float = mask.astype(float)
        except (TypeError, ValueError):
            as_float = None
        if as_float is None or not np.isin(as_float, (0.0, 1.0)).all():
            raise ValueError(
                "mask must be a boolean (p, p) matrix selecting the pairs to "
                "evaluate (True = evaluate), e.g. mask=np.isnan(prior); got "
                "values other than True/False. Build it with a comparison or "
                "np.isnan."
            )
        mask = as_float.astype(bool)
    selected &= mask
    if not selected.any():
        raise ValueError(
            "mask selects no off-diagonal pair, so there is nothing to evaluate; "
            "set mask[i, j] = True for at least one pair with i != j."
        )
    return selected


def _check_binary(values, name, where="at evaluated pairs"):
    """Raise unless ``values`` only holds 0 and 1."""
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        shown = np.unique(values[bad])[:5].tolist()
        raise ValueError(
            f"{name} must contain only 0 and 1 (edge absent / present) {where}; "
            f"got values such as {shown}. Binarise a weighted adjacency with "
            f"(A != 0).astype(int)."
        )


def _labels_and_scores(y_true, y_score, mask):
    """Validate inputs; return (y_true, y_score, selection) as arrays."""
    y_true = check_square(y_true, "y_true")
    y_score = check_square(y_score, "y_score", y_true.shape)
    selected = _evaluated_pairs(mask, y_true.shape[0])
    if not selected.any():
        raise ValueError(
            "y_true must describe at least 2 variables so that there is an "
            f"off-diagonal pair to evaluate; got shape {y_true.shape}."
        )
    labels = y_true[selected]
    n_nan = int(np.isnan(labels).sum())
    if n_nan:
        raise ValueError(
            f"y_true contains NaN at {n_nan} evaluated pair(s); NaN (unknown) "
            "labels are allowed only outside mask. Pass a mask that excludes "
            "them, e.g. mask=~np.isnan(y_true)."
        )
    _check_binary(labels, "y_true")
    n_bad = int((~np.isfinite(y_score[selected])).sum())
    if n_bad:
        raise ValueError(
            f"y_score contains NaN or infinite values at {n_bad} evaluated "
            "pair(s); every evaluated pair needs a finite score. Replace them "
            "(e.g. np.nan_to_num) or exclude those pairs with mask."
        )
    return y_true, y_score, selected


def _require_both_classes(labels, metric):
    n_pos = int((labels == 1).sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        kind = "non-edges" if n_pos == 0 else "edges"
        raise ValueError(
            f"{metric} needs both edges (1) and non-edges (0) among the evaluated "
            f"pairs; all {labels.size} evaluated pair(s) are {kind}. Evaluate "
            "more pairs (widen mask) or a graph with both edges and non-edges."
        )


# ---------------------------------------------------------------------------
# Ranking metrics for edge scores
# ---------------------------------------------------------------------------


def _ranking_metric(metric, name, y_true, y_score, mask):
    """``metric(labels, scores)`` over the evaluated pairs, both classes needed."""
    y_true, y_score, selected = _labels_and_scores(y_true, y_score, mask)
    labels = y_true[selected]
    _require_both_classes(labels, name)
    return float(metric(labels.astype(int), y_score[selected]))


def edge_roc_auc(y_true, y_score, *, mask=None):
    """Area under the ROC curve of edge scores against a true graph.

    Every ordered off-diagonal pair ``(i, j)`` is one binary example: the
    label is ``y_true[i, j]`` and the score is ``y_score[i, j]``.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency matrix; ``y_true[i, j] = 1`` means the edge ``i → j``.
        May contain NaN (unknown) only at pairs excluded by ``mask``.
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores; larger means ``i → j`` is more likely.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate (``True`` = evaluate), e.g. ``np.isnan(prior)`` to
        score only the pairs the prior knowledge leaves open. ``None``
        evaluates all off-diagonal pairs. The diagonal is always excluded.

    Returns
    -------
    auc : float
        Area under the ROC curve, in ``[0, 1]``; 0.5 is chance level.

    Raises
    ------
    ValueError
        If the evaluated pairs are all edges or all non-edges, if ``y_true``
        is not binary or has NaN at an evaluated pair, or if shapes differ.

    Notes
    -----
    Equivalent to :func:`sklearn.metrics.roc_auc_score` applied to
    ``y_true[sel]`` and ``y_score[sel]`` with ``sel`` the off-diagonal pairs
    selected by ``mask``. Tied scores count one half.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_roc_auc
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_score = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.3], [0.4, 0.2, 0.0]])
    >>> round(float(edge_roc_auc(y_true, y_score)), 3)
    0.875
    """
    return _ranking_metric(roc_auc_score, "AUROC", y_true, y_score, mask)


def edge_average_precision(y_true, y_score, *, mask=None):
    """Average precision (area under the precision-recall curve) of edge scores.

    Every ordered off-diagonal pair ``(i, j)`` is one binary example: the
    label is ``y_true[i, j]`` and the score is ``y_score[i, j]``.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency matrix; ``y_true[i, j] = 1`` means the edge ``i → j``.
        May contain NaN (unknown) only at pairs excluded by ``mask``.
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores; larger means ``i → j`` is more likely.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate (``True`` = evaluate), e.g. ``np.isnan(prior)``.
        ``None`` evaluates all off-diagonal pairs. The diagonal is always
        excluded.

    Returns
    -------
    average_precision : float
        Average precision in ``[0, 1]``; chance level is the share of edges
        among the evaluated pairs.

    Raises
    ------
    ValueError
        If the evaluated pairs are all edges or all non-edges, if ``y_true``
        is not binary or has NaN at an evaluated pair, or if shapes differ.

    Notes
    -----
    Equivalent to :func:`sklearn.metrics.average_precision_score` on the
    selected off-diagonal pairs. Average precision is uninformative when there
    are no non-edges and undefined when there are no edges, so both cases
    raise, as in :func:`edge_roc_auc`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_average_precision
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_score = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.3], [0.4, 0.2, 0.0]])
    >>> round(float(edge_average_precision(y_true, y_score)), 3)
    0.833
    """
    return _ranking_metric(
        average_precision_score, "Average precision", y_true, y_score, mask
    )


def edge_orientation_accuracy(y_true, y_score, *, mask=None):
    """Share of true edges whose direction the scores rank correctly.

    For every true edge ``i → j`` (``y_true[i, j] == 1``) selected by
    ``mask``, the orientation is correct when ``y_score[i, j] >
    y_score[j, i]``; a tie counts one half.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency matrix; ``y_true[i, j] = 1`` means the edge ``i → j``.
        May contain NaN (unknown) only at pairs excluded by ``mask``.
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores; larger means ``i → j`` is more likely.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate; the edge ``i → j`` counts when ``mask[i, j]`` is
        True (``mask[j, i]`` is not consulted). ``None`` evaluates all true
        edges.

    Returns
    -------
    accuracy : float
        Orientation accuracy in ``[0, 1]``; 0.5 is chance level.

    Raises
    ------
    ValueError
        If no true edge is evaluated, if ``y_true`` is not binary or has NaN
        at an evaluated pair, if a score of an evaluated edge or of its
        reverse is not finite, or if shapes differ.

    Notes
    -----
    Pairs where both directions are true edges (2-cycles, ``y_true[i, j] ==
    y_true[j, i] == 1``) have no single correct orientation and are skipped.
    A reverse entry ``y_true[j, i]`` that is NaN (unknown, outside ``mask``)
    is treated as "not an edge".

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_orientation_accuracy
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_score = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.3], [0.4, 0.3, 0.0]])
    >>> round(float(edge_orientation_accuracy(y_true, y_score)), 3)
    0.75
    """
    y_true, y_score, selected = _labels_and_scores(y_true, y_score, mask)
    edges = selected & (y_true == 1)
    two_cycles = edges & (y_true.T == 1)
    edges &= ~two_cycles
    if not edges.any():
        skipped = int(two_cycles.sum())
        extra = f" ({skipped} evaluated edge(s) skipped as 2-cycles)" if skipped else ""
        raise ValueError(
            "edge_orientation_accuracy needs at least one true edge i → j "
            "(y_true[i, j] == 1 and y_true[j, i] != 1) among the evaluated pairs; "
            f"found none{extra}. Evaluate more pairs (widen mask)."
        )
    forward = y_score[edges]
    backward = y_score.T[edges]
    if not np.isfinite(backward).all():
        raise ValueError(
            "y_score must be finite at the reverse pair (j, i) of every evaluated "
            "true edge i → j; replace NaN or infinite scores (e.g. np.nan_to_num)."
        )
    wins = (forward > backward).astype(float) + 0.5 * (forward == backward)
    return float(wins.mean())


# ---------------------------------------------------------------------------
# Binary graph comparison
# ---------------------------------------------------------------------------


def structural_hamming_distance(y_true, y_pred, *, double_for_anticausal=False):
    """Structural Hamming distance (SHD) between two directed graphs.

    The number of edge insertions, deletions and reversals that turn
    ``y_pred`` into ``y_true``.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True binary adjacency matrix; ``y_true[i, j] = 1`` means ``i → j``.
    y_pred : array-like or DataFrame of shape (p, p)
        Predicted binary adjacency matrix, same layout.
    double_for_anticausal : bool, default=False
        If True, a reversed edge counts 2 (one deletion plus one insertion)
        instead of 1, as in the ``SHD`` of the Causal Discovery Toolbox.

    Returns
    -------
    shd : int
        Structural Hamming distance; 0 means identical graphs.

    Raises
    ------
    ValueError
        If an off-diagonal entry is not 0 or 1 (NaN included) or if shapes
        differ.

    Notes
    -----
    The diagonal is ignored. Let ``H`` be the number of ordered pairs
    ``i != j`` with ``y_true[i, j] != y_pred[i, j]`` and ``R`` the number of
    reversed pairs, i.e. unordered pairs ``{i, j}`` where one graph has only
    ``i → j`` and the other only ``j → i``. Then

    - ``double_for_anticausal=False``: ``SHD = H - R`` (a missing edge, an
      extra edge and a reversed edge each cost 1);
    - ``double_for_anticausal=True``: ``SHD = H`` (a reversal costs 2).

    For graphs without 2-cycles (e.g. DAGs) both values match the Causal
    Discovery Toolbox. With 2-cycles this definition counts every inserted
    or deleted directed edge, so removing ``i ⇄ j`` costs 2, whereas the
    toolbox counts 1 per unordered pair when ``double_for_anticausal=False``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import structural_hamming_distance
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_pred = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    >>> structural_hamming_distance(y_true, y_pred)
    1
    >>> structural_hamming_distance(y_true, y_pred, double_for_anticausal=True)
    2
    """
    y_true = check_square(y_true, "y_true")
    y_pred = check_square(y_pred, "y_pred", y_true.shape)
    off = ~np.eye(y_true.shape[0], dtype=bool)
    _check_binary(y_true[off], "y_true", where="off the diagonal")
    _check_binary(y_pred[off], "y_pred", where="off the diagonal")
    true = (y_true == 1) & off
    pred = (y_pred == 1) & off
    hamming = int((true != pred).sum())
    if double_for_anticausal:
        return hamming
    # Reversed pair: true has only i → j and pred has only j → i. Counted once
    # per ordered (i, j) with true[i, j], so each unordered pair counts once.
    reversed_pairs = int((true & ~true.T & pred.T & ~pred).sum())
    return hamming - reversed_pairs


def edge_precision_recall_f1(y_true, y_score, *, threshold=0.5, mask=None):
    """Precision, recall and F1 of thresholded directed edges.

    A pair ``(i, j)`` is a predicted edge ``i → j`` when
    ``y_score[i, j] >= threshold``.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency matrix; ``y_true[i, j] = 1`` means the edge ``i → j``.
        May contain NaN (unknown) only at pairs excluded by ``mask``.
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores or probabilities (a binary adjacency matrix works too).
    threshold : float, default=0.5
        Scores greater than or equal to ``threshold`` are predicted edges.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate (``True`` = evaluate). ``None`` evaluates all
        off-diagonal pairs. The diagonal is always excluded.

    Returns
    -------
    precision : float
        ``TP / (TP + FP)``: share of predicted edges that are true edges.
    recall : float
        ``TP / (TP + FN)``: share of true edges that are predicted.
    f1 : float
        Harmonic mean of precision and recall, ``2 TP / (2 TP + FP + FN)``.

    Notes
    -----
    Edges are directed: predicting ``j → i`` for a true ``i → j`` is one
    false positive and one false negative. A zero denominator (no predicted
    edge, no true edge) gives 0.0 instead of a warning.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_precision_recall_f1
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_score = np.array([[0.0, 0.9, 0.6], [0.1, 0.0, 0.3], [0.4, 0.2, 0.0]])
    >>> [round(v, 3) for v in edge_precision_recall_f1(y_true, y_score)]
    [0.5, 0.5, 0.5]
    """
    if not isinstance(threshold, numbers.Real) or np.isnan(threshold):
        raise ValueError(
            f"threshold must be a real number (scores >= threshold are predicted "
            f"edges); got {threshold!r}."
        )
    y_true, y_score, selected = _labels_and_scores(y_true, y_score, mask)
    true = y_true[selected] == 1
    pred = y_score[selected] >= threshold
    tp = int((true & pred).sum())
    fp = int((~true & pred).sum())
    fn = int((true & ~pred).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return float(precision), float(recall), float(f1)


_THRESHOLDED_DOC = """{title} of thresholded directed edges.

    Thin wrapper returning the {position} element of
    :func:`edge_precision_recall_f1`; usable with
    :func:`sklearn.metrics.make_scorer`.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency matrix; ``y_true[i, j] = 1`` means the edge ``i → j``.
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores or probabilities.
    threshold : float, default=0.5
        Scores greater than or equal to ``threshold`` are predicted edges.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate; ``None`` evaluates all off-diagonal pairs.

    Returns
    -------
    {name} : float
        {formula}

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_{name}
    >>> y_true = np.array([[0, 1], [0, 0]])
    >>> {call}
    {value}
    """


def _thresholded(index, name, title, position, formula, call, value):
    """One element of :func:`edge_precision_recall_f1` as a metric of its own."""

    def metric(y_true, y_score, *, threshold=0.5, mask=None):
        scores = edge_precision_recall_f1(
            y_true, y_score, threshold=threshold, mask=mask
        )
        return scores[index]

    metric.__name__ = metric.__qualname__ = f"edge_{name}"
    metric.__doc__ = _THRESHOLDED_DOC.format(
        title=title,
        position=position,
        name=name,
        formula=formula,
        call=call,
        value=value,
    )
    return metric


_EXAMPLE = "edge_{}(y_true, np.array([[0.0, 0.8], [0.7, 0.0]]))"
edge_precision = _thresholded(
    0,
    "precision",
    "Precision",
    "first",
    "``TP / (TP + FP)``, or 0.0 when no edge is predicted.",
    _EXAMPLE.format("precision"),
    "0.5",
)
edge_recall = _thresholded(
    1,
    "recall",
    "Recall",
    "second",
    "``TP / (TP + FN)``, or 0.0 when there is no true edge.",
    _EXAMPLE.format("recall"),
    "1.0",
)
edge_f1 = _thresholded(
    2,
    "f1",
    "F1 score",
    "third",
    "``2 TP / (2 TP + FP + FN)``, or 0.0 when there is no true positive.",
    f"round({_EXAMPLE.format('f1')}, 3)",
    "0.667",
)


# ---------------------------------------------------------------------------
# Trajectory forecasts
# ---------------------------------------------------------------------------


_REDUCE_OPTIONS = ("mean", "time", "none")


def _check_time_axis(time_axis, ndim):
    """Return ``time_axis`` as an int axis of an ``ndim``-D array, or raise."""
    try:
        axis = operator.index(time_axis)
    except TypeError:
        axis = None
    if axis is None or not -ndim <= axis < ndim:
        raise ValueError(
            f"time_axis must be an integer axis of y_true (ndim {ndim}); "
            f"got {time_axis!r}."
        )
    return axis


def _check_trajectories(y_true, y_pred, time_axis):
    """Validate forecast inputs; return both as ``(n_instances, n_times, -1)``."""
    y_true = as_real_array(y_true, "y_true", text=True)
    y_pred = as_real_array(y_pred, "y_pred", text=True)
    if y_true.ndim < 2:
        raise ValueError(
            "y_true must have shape (n_instances, n_times, *obs_shape) with at "
            f"least 2 dimensions; got shape {y_true.shape}. Add an instance axis "
            "with y[np.newaxis] for a single trajectory."
        )
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred must have the same shape as y_true {y_true.shape}; got shape "
            f"{y_pred.shape}."
        )
    axis = _check_time_axis(time_axis, y_true.ndim)
    if np.isinf(y_true).any():
        raise ValueError(
            "y_true contains infinite values; mark missing observations with NaN "
            "instead."
        )
    y_true = np.moveaxis(y_true, axis, 1)
    y_pred = np.moveaxis(y_pred, axis, 1)
    n_instances, n_times = y_true.shape[:2]
    y_true = y_true.reshape(n_instances, n_times, -1)
    y_pred = y_pred.reshape(n_instances, n_times, -1)
    return y_true, y_pred


def _frame_errors(y_true, y_pred):
    """Per-frame normalised errors (NaN at ignored frames) and the valid mask."""
    nan_frame = np.isnan(y_true).any(axis=2)
    filled = np.where(nan_frame[..., np.newaxis], 0.0, y_true)
    denom = (filled**2).sum(axis=2)
    valid = ~nan_frame & (denom > 0)
    if not valid.any():
        raise ValueError(
            "y_true has no valid frame: every frame contains NaN or is all "
            "zeros, so the normalised error is undefined. Check the missing-"
            "value encoding and time_axis."
        )
    # Predictions at ignored frames may hold anything, NaN included.
    pred = np.where(valid[..., np.newaxis], y_pred, 0.0)
    n_nan_pred = int(np.isnan(pred).any(axis=2).sum())
    if n_nan_pred:
        raise ValueError(
            f"y_pred contains NaN at {n_nan_pred} valid frame(s) (frames where "
            "y_true is fully observed); predictions must be numbers wherever "
            "y_true is observed."
        )
    num = ((filled - pred) ** 2).sum(axis=2)

    ratio = np.full(valid.shape, np.nan)
    ratio[valid] = num[valid] / denom[valid]
    return ratio, valid


def _reduce_frames(ratio, valid, reduce):
    """Reduce per-frame errors as :func:`normalized_mse` documents for ``reduce``."""
    if reduce == "none":
        return ratio
    if reduce == "mean":
        return float(ratio[valid].mean())
    counts = valid.sum(axis=0)
    sums = np.where(valid, ratio, 0.0).sum(axis=0)
    curve = np.full(ratio.shape[1], np.nan)
    has = counts > 0
    curve[has] = sums[has] / counts[has]
    return curve


def normalized_mse(y_true, y_pred, *, time_axis=1, reduce="mean"):
    """Normalised squared error of trajectory forecasts, frame by frame.

    For every frame (one instance at one time step) the error is
    ``‖y_true − y_pred‖² / ‖y_true‖²``, sums taken over the observation
    dimensions.

    Parameters
    ----------
    y_true : array-like of shape (n_instances, n_times) + obs_shape
        Observed trajectories. NaN marks missing observations.
    y_pred : array-like of shape (n_instances, n_times) + obs_shape
        Predicted trajectories, same shape as ``y_true``.
    time_axis : int, default=1
        Axis of the time steps. The first of the other axes indexes
        instances and the remaining ones are observation dimensions; the
        default matches ``(n_instances, n_times, *obs_shape)``. A 2-D input
        ``(n_instances, n_times)`` has scalar observations.
    reduce : {"mean", "time", "none"}, default="mean"
        - ``"mean"``: mean over all valid frames (a float);
        - ``"time"``: per-time-step curve of shape ``(n_times,)``, the mean
          over instances with a valid frame at that step (NaN where none);
        - ``"none"``: array of shape ``(n_instances, n_times)`` with NaN at
          ignored frames.

    Returns
    -------
    nmse : float or ndarray
        Normalised mean squared error; 0 is a perfect forecast and 1 is the
        error of predicting zeros.

    Raises
    ------
    ValueError
        If shapes differ, ``y_true`` contains infinite values, ``y_pred`` is
        NaN at a valid frame, or no frame is valid.

    Notes
    -----
    A frame is ignored when ``y_true`` has any NaN in it (partially observed
    frames included) or when ``‖y_true‖² == 0`` (the normalisation is
    undefined). Ignored frames do not count in any reduction; ``y_pred`` may
    hold anything there. ``"mean"`` weights every valid frame equally, so it
    generally differs from the mean of the ``"time"`` curve when instances
    have different numbers of valid frames.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import normalized_mse
    >>> y_true = np.array([[[1.0, 0.0], [0.0, 2.0]]])  # 1 instance, 2 times
    >>> y_pred = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> normalized_mse(y_true, y_pred, reduce="time").tolist()
    [0.0, 0.25]
    >>> round(normalized_mse(y_true, y_pred), 3)
    0.125
    """
    if reduce not in _REDUCE_OPTIONS:
        raise ValueError(
            f"reduce must be one of 'mean', 'time' or 'none'; got {reduce!r}."
        )
    y_true, y_pred = _check_trajectories(y_true, y_pred, time_axis)
    ratio, valid = _frame_errors(y_true, y_pred)
    return _reduce_frames(ratio, valid, reduce)


def forecast_skill(y_true, y_pred, *, time_axis=1):
    """Forecast skill: one minus the normalised mean squared error.

    This is the score returned by ``LatentDynamicsRegressor.score``; higher
    is better.

    Parameters
    ----------
    y_true : array-like of shape (n_instances, n_times) + obs_shape
        Observed trajectories. NaN marks missing observations.
    y_pred : array-like of shape (n_instances, n_times) + obs_shape
        Predicted trajectories, same shape as ``y_true``.
    time_axis : int, default=1
        Axis of the time steps, see :func:`normalized_mse`.

    Returns
    -------
    skill : float
        ``1 - normalized_mse(y_true, y_pred, reduce="mean")``: 1 is a perfect
        forecast, 0 is as good as predicting zeros, and it is unbounded
        below.

    Notes
    -----
    Frames where ``y_true`` has any NaN or is all zeros are ignored, as in
    :func:`normalized_mse`.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import forecast_skill
    >>> y_true = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    >>> y_pred = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> round(forecast_skill(y_true, y_pred), 3)
    0.875
    """
    return 1.0 - normalized_mse(y_true, y_pred, time_axis=time_axis, reduce="mean")


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def edge_scores_to_frame(y_score, variable_names=None, prior=None):
    """Rank all candidate edges by score in a DataFrame.

    Parameters
    ----------
    y_score : array-like or DataFrame of shape (p, p)
        Edge scores; ``y_score[i, j]`` is the probability of ``i → j``.
    variable_names : sequence of str of length p, default=None
        Variable names. ``None`` uses the columns of a DataFrame ``y_score``,
        otherwise ``"x0"``, ``"x1"``, ...
    prior : array-like or DataFrame of shape (p, p), default=None
        Prior knowledge: ``prior[i, j]`` is a known label of ``i → j`` (1 =
        edge, 0 = no edge) or NaN when unknown. ``None`` means nothing is
        known.

    Returns
    -------
    edges : DataFrame of shape (p * (p - 1), 5)
        One row per ordered pair ``i != j`` with columns

        - ``cause``, ``effect``: variable names of ``i`` and ``j``;
        - ``probability``: ``y_score[i, j]``;
        - ``in_prior``: bool, True when the prior labels the pair (not NaN);
        - ``prior_label``: float, the prior label or NaN when unknown.

        Rows are sorted by ``probability``, largest first; ties keep the
        row-major order of the matrix and NaN scores come last.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_scores_to_frame
    >>> scores = np.array([[0.0, 0.9], [0.2, 0.0]])
    >>> prior = np.array([[np.nan, np.nan], [0.0, np.nan]])
    >>> frame = edge_scores_to_frame(scores, ["a", "b"], prior=prior)
    >>> frame[["cause", "effect", "probability", "in_prior"]].to_numpy().tolist()
    [['a', 'b', 0.9, False], ['b', 'a', 0.2, True]]
    """
    columns = None
    if isinstance(y_score, pd.DataFrame):
        columns = list(y_score.columns)
    scores = check_square(y_score, "y_score")
    p = scores.shape[0]
    if variable_names is None:
        names = columns if columns is not None else [f"x{i}" for i in range(p)]
    else:
        if isinstance(variable_names, str):
            raise ValueError(
                "variable_names must be a sequence of p names, not a single "
                f"string; got {variable_names!r}."
            )
        names = list(variable_names)
    if len(names) != p:
        raise ValueError(
            f"variable_names must have one name per variable (p = {p}); got "
            f"{len(names)} names."
        )
    if len(set(names)) != p:
        raise ValueError(
            "variable_names must be unique so that every edge is identified; "
            "got duplicated names."
        )
    if prior is None:
        prior_arr = np.full((p, p), np.nan)
    else:
        prior_arr = check_square(prior, "prior", scores.shape, ref_name="y_score")

    rows, cols = np.nonzero(~np.eye(p, dtype=bool))
    names_arr = np.empty(p, dtype=object)
    names_arr[:] = names
    labels = prior_arr[rows, cols]
    frame = pd.DataFrame(
        {
            "cause": names_arr[rows],
            "effect": names_arr[cols],
            "probability": scores[rows, cols],
            "in_prior": ~np.isnan(labels),
            "prior_label": labels,
        }
    )
    frame = frame.sort_values(
        "probability", ascending=False, kind="stable", na_position="last"
    )
    return frame.reset_index(drop=True)


def edge_calibration_curve(y_true, y_score, *, mask=None, n_bins=10, min_score=0.0):
    """Mean probability and edge rate per quantile bin of the evaluated pairs.

    Parameters
    ----------
    y_true : array-like or DataFrame of shape (p, p)
        True adjacency (0/1 at the evaluated pairs).
    y_score : array-like or DataFrame of shape (p, p)
        Edge probabilities.
    mask : array-like of bool of shape (p, p), default=None
        Pairs to evaluate (``np.isnan(prior)`` for the pairs outside a prior);
        the diagonal never.
    n_bins : int, default=10
        Bins of equal numbers of pairs (deciles by default).
    min_score : float, default=0.0
        Only pairs with ``y_score >= min_score`` are binned (e.g. 0.05, to
        leave out the mass of near-certain absences).

    Returns
    -------
    mean_probability, edge_rate : ndarray of shape (n_nonempty_bins,)
    count : ndarray of int of shape (n_nonempty_bins,)

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.metrics import edge_calibration_curve
    >>> y_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> y_score = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.8], [0.3, 0.1, 0.0]])
    >>> mean, rate, count = edge_calibration_curve(y_true, y_score, n_bins=2)
    >>> mean.round(3).tolist(), rate.round(3).tolist(), count.tolist()
    ([0.133, 0.667], [0.0, 0.667], [3, 3])
    """
    n_bins = check_int(n_bins, "n_bins", 1)
    y_true, y_score, selected = _labels_and_scores(y_true, y_score, mask)
    selected = selected & (y_score >= min_score)
    if not selected.any():
        raise ValueError(f"no evaluated pair has a score >= min_score={min_score}.")
    labels, scores = y_true[selected], y_score[selected]
    cuts = np.quantile(scores, np.linspace(0, 1, n_bins + 1))[1:-1]
    which = np.searchsorted(cuts, scores, side="right")
    rows = [
        (scores[which == k].mean(), labels[which == k].mean(), (which == k).sum())
        for k in range(n_bins)
        if (which == k).any()
    ]
    mean, rate, count = (np.array(col) for col in zip(*rows))
    return mean, rate, count.astype(int)


# ---------------------------------------------------------------------------
# Scorers for model selection
# ---------------------------------------------------------------------------

_PAIR_METRICS = {"roc_auc": roc_auc_score, "average_precision": average_precision_score}


def held_out_edge_scorer(metric="average_precision"):
    """A ``scoring`` callable for :class:`~skdyncausal.CausalStructureEstimator`.

    scikit-learn's string scorers (``"roc_auc"``, ``"accuracy"``, ...)
    compare predictions with ``y`` per sample; the causal estimator has no
    ``y`` and returns one ``(p, p)`` matrix, so they give NaN. This scorer
    evaluates what :meth:`~skdyncausal.CausalStructureEstimator.score` does
    (the labelled pairs held out inside ``fit``, with features from the test
    rows) with another metric.

    Parameters
    ----------
    metric : {"average_precision", "roc_auc"} or callable, default="average_precision"
        A name, or any ``metric(labels, probabilities) -> float``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None, interventions=None) -> float``, for
        ``GridSearchCV(..., scoring=scorer)`` and ``cross_val_score``.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdyncausal.metrics import held_out_edge_scorer
    >>> scorer = held_out_edge_scorer("average_precision")
    >>> callable(scorer)
    True
    """
    if callable(metric):
        fn = metric
    elif metric in _PAIR_METRICS:
        fn = _PAIR_METRICS[metric]
    else:
        raise ValueError(
            f"metric must be one of {sorted(_PAIR_METRICS)} or a callable "
            f"metric(labels, probabilities); got {metric!r}."
        )

    def scorer(estimator, X, y=None, interventions=None):
        labels, proba = estimator.held_out_proba(X, interventions=interventions)
        return float(fn(labels, proba))

    return scorer


def forecast_scorer(n_frames=None):
    """A ``scoring`` callable for :class:`~skdyncausal.LatentDynamicsRegressor`.

    1 − mean normalised MSE of the first ``n_frames`` frames after the
    context (all of them when None), so a search can select on short- or
    long-range forecasts. ``scoring=None`` uses the estimator's own
    ``score``, the same with all frames.

    Parameters
    ----------
    n_frames : int, default=None

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None, times=None) -> float``.

    Examples
    --------
    >>> from skdyncausal.metrics import forecast_scorer
    >>> callable(forecast_scorer(n_frames=10))
    True
    """
    if n_frames is not None:
        n_frames = check_int(n_frames, "n_frames", 1)

    def scorer(estimator, X, y=None, times=None):
        X = np.asarray(X)
        stop = None if n_frames is None else estimator.n_context + n_frames
        if times is not None and np.ndim(times) == 2:
            times = np.asarray(times)[:, :stop]
        elif times is not None:
            times = np.asarray(times)[:stop]
        return estimator.score(X[:, :stop], times=times)

    return scorer
