"""The data layer of the causal estimator: validation, the pair split, batches.

Validation of the parameters, of X, of the prior and of the interventions;
the stratified split of the labelled pairs; the torch dataset and sampler that
feed the pair features to the network.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from sklearn.utils.validation import validate_data

from .._validation import to_array
from ._module import ARCHITECTURES
from ._stacking import check_extra_scores
from ._statistics import PairStatistic

__all__ = [
    "EpochSampler",
    "PairDataset",
    "as_batch",
    "check_X_form",
    "check_fit_inputs",
    "check_interventions",
    "check_params",
    "check_prior",
    "epoch_plan",
    "pair_keys",
    "positions",
    "scored_pairs",
    "split_pairs",
    "validate_X",
]

_CV_HINT = (
    "Cross-validation (GridSearchCV, cross_val_score, ...) slices every fit "
    "argument whose length equals n_samples, which mangles a (p, p) prior when "
    "n_samples == p: in that case pass the prior as the constructor parameter, "
    "CausalStructureEstimator(prior=A), instead of fit(X, prior=A)."
)


_X_FORM = "X must be a 2-D array-like or DataFrame of shape (n_samples, n_variables)"


def check_X_form(X, n_features, owner):
    """Refuse X of the wrong dimension, too small, or holding text, naming X.

    ``n_features``: the number of variables seen in fit (None in fit, where
    at least 2 are needed); ``owner``: the estimator's class name. The
    messages keep scikit-learn's wording. Returns X, as an array unless it
    is a DataFrame.
    """
    if isinstance(X, pd.DataFrame):
        check_frame_columns(X)
    elif hasattr(X, "toarray") or hasattr(X, "tocsr"):
        return X  # sparse: refused by validate_data, which names X
    else:
        X = to_array(
            X,
            f"{_X_FORM}, one row per sample and one column per variable; it "
            "could not be read as an array ({reason}). Pass a rectangular "
            "numeric array, e.g. np.column_stack([x0, x1, ...]).",
        )
        kind = X.dtype.kind
        if kind in "USa" or (
            kind == "O" and any(isinstance(v, str | bytes) for v in X.flat)
        ):
            raise TypeError(
                f"X must hold numbers; got text (dtype {X.dtype}). Convert it to "
                "a numeric array first, e.g. X.astype(float) for numbers stored "
                "as strings."
            )
        if kind == "c":
            raise ValueError(
                f"Complex data not supported: X must hold real numbers; got dtype "
                f"{X.dtype}. Pass the real part (X.real) or the modulus "
                "(np.abs(X)) explicitly."
            )
    shape = tuple(X.shape)
    if len(shape) != 2:
        fix = (
            "stack the variables as columns, e.g. np.column_stack([x0, x1, ...])"
            if len(shape) < 2
            else "one row per sample, e.g. X.reshape(len(X), -1)"
        )
        raise ValueError(
            f"{_X_FORM}; got a {len(shape)}-D input of shape {shape}. Reshape "
            f"your data: {fix}."
        )
    n, p = shape
    if n < 2:
        raise ValueError(
            f"{_X_FORM} with n_samples >= 2; found {n} sample(s) (shape={shape}) "
            "while a minimum of 2 is required. Pass more samples, one row each."
        )
    if n_features is None and p < 2:
        raise ValueError(
            f"{_X_FORM} with n_variables >= 2; found {p} feature(s) "
            f"(shape={shape}) while a minimum of 2 is required. Causal structure "
            "needs two or more variables, one column each."
        )
    if n_features is not None and p != n_features:
        raise ValueError(
            f"X has {p} features, but {owner} is expecting {n_features} features "
            f"as input: pass X of shape (n_samples, {n_features}), the variables "
            "of fit in the same order."
        )
    return X


def check_frame_columns(X):
    """Refuse a DataFrame with non-numeric columns, naming them."""
    bad, cols = [], []
    for k, (name, dtype) in enumerate(X.dtypes.items()):
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            continue
        if pd.api.types.is_object_dtype(dtype) and not any(
            isinstance(v, str | bytes) for v in X.iloc[:, k].to_numpy()
        ):
            continue  # numbers held as objects: converted by validate_data
        bad.append(name)
        cols.append(k)
    if bad:
        raise TypeError(
            f"X must hold numbers; the DataFrame columns {bad[:10]} are not "
            "numeric (dtypes "
            f"{[str(X.dtypes.iloc[k]) for k in cols[:10]]}). Convert them, e.g. "
            "X.astype(float), or drop them."
        )


def validate_X(est, X, reset):
    """``validate_data`` on X after the form checks that name X and the fix."""
    n_features = None if reset else est.n_features_in_
    X = check_X_form(X, n_features, type(est).__name__)
    return validate_data(
        est,
        X,
        reset=reset,
        dtype=(np.float64, np.float32),  # float32 kept: half the memory
        ensure_min_samples=2,
        # after fit, a wrong width is reported by the n_features_in_ check
        ensure_min_features=2 if reset else 1,
    )


# Below this many rows the pair statistics are mostly noise.
_FEW_SAMPLES = 20


def check_fit_inputs(est, X, prior, interventions):
    """X, interventions and prior of ``fit`` (arguments before parameters).

    Sets ``n_features_in_`` (and ``feature_names_in_``) and
    ``variable_names_`` on ``est``; returns X (n, p) float64, the
    interventions (or None) and the prior matrix.
    """
    X_input = X  # a callable prior sees the DataFrame, not the array
    X = validate_X(est, X, reset=True)
    n, p = X.shape
    if n < _FEW_SAMPLES:
        warnings.warn(
            f"X has only {n} samples: the pair statistics (correlations, partial "
            "correlations, density images) are estimated from the rows and are "
            f"unreliable below about {_FEW_SAMPLES}; the edge probabilities will "
            "be close to the labels' base rate.",
            UserWarning,
            stacklevel=3,
        )
    names = getattr(est, "feature_names_in_", None)
    est.variable_names_ = (
        [str(v) for v in names] if names is not None else [f"x{k}" for k in range(p)]
    )
    iv = interventions if interventions is not None else est.interventions
    iv = check_interventions(iv, n, p, est.variable_names_)
    prior = prior if prior is not None else est.prior
    return X, iv, check_prior(prior, X_input, p, est.variable_names_)


def scored_pairs(train, valid):
    """The held-out pairs, or all labelled pairs (with a warning) when the
    held-out ones do not hold both labels."""
    if len(valid) and len(np.unique(valid[:, 2])) == 2:
        return valid
    warnings.warn(
        "the held-out labelled pairs do not contain both labels; score "
        "uses all labelled pairs (including training pairs).",
        UserWarning,
        stacklevel=4,
    )
    return np.vstack([train, valid])


# An epoch makes at least this many optimizer steps: a small label set is
# cycled, so early stopping does not end training after a handful of steps.
_MIN_STEPS_PER_EPOCH = 10


def epoch_plan(n_train, batch_size, max_epoch_pairs):
    """Batch size and pairs per epoch for ``n_train`` training pairs.

    Small label sets get smaller batches (no fewer than 32 pairs), cycled to
    at least 10 steps an epoch; large ones at most ``max_epoch_pairs`` pairs.
    """
    batch = int(min(batch_size, max(32, -(-n_train // 4))))
    return batch, max(min(n_train, max_epoch_pairs), _MIN_STEPS_PER_EPOCH * batch)


def check_params(est):
    """Validate the parameters of a CausalStructureEstimator; all problems at once."""
    check = est._param_check()
    check.choice("labels", ("direct", "ancestral"))
    check.choice("architecture", ARCHITECTURES)
    check.integer("image_size", 4, 128)
    check.real("bandwidth", 0)
    check.integer("image_rows", 16, allow_none=True)
    check.choice("graph_method", ("auto", "pcorr", "correlation"))
    check.integer("graph_neighbors", 1)
    check.integer("cnn_channels", 1)
    check.integer("gnn_layers", 0)
    check.integer("hidden_dim", 1)
    check.real("dropout", 0, 1)
    check.check(
        est.class_weight in ("balanced", None),
        f"class_weight must be 'balanced' or None; got {est.class_weight!r}",
    )
    check.real("validation_fraction", 0, 0.9)
    check.integer("n_networks", 1, 32)
    check.flag("infer_reverse")
    check.flag("baseline_offset")
    check.real("knockout_dropout", 0, 1)
    check.choice("calibration", ("auto", "beta", "platt", None))
    rate = est.edge_rate
    check.check(
        rate is None
        or (isinstance(rate, str) and rate == "auto")
        or (
            isinstance(rate, numbers.Real)
            and not isinstance(rate, bool)
            and 0.0 < float(rate) < 1.0
        ),
        "edge_rate must be 'auto', None or the share of edges among the "
        f"unlabelled pairs, a float in (0, 1) such as 0.02; got {rate!r}",
    )
    check.flag("exclusive_directions")
    check.integer("prior_folds", 2, allow_none=True)
    check.choice("prior_cleaning", ("refit", None))
    check.integer("max_epoch_pairs", 1)
    check.integer("max_train_pairs", 8)
    check.integer("block_size", 1)
    check.check(
        est.n_jobs is None
        or (isinstance(est.n_jobs, numbers.Integral) and est.n_jobs != 0),
        f"n_jobs must be None or a nonzero integer; got {est.n_jobs!r}",
    )
    statistics = est.statistics
    check.check(
        statistics is None
        or (
            isinstance(statistics, list | tuple)
            and len(statistics) > 0
            and all(isinstance(s, PairStatistic) for s in statistics)
        ),
        "statistics must be None (the default set) or a non-empty list of "
        "PairStatistic instances, e.g. [Correlation(), PartialCorrelation()] "
        f"from skdyncausal.causal; got {statistics!r}",
    )
    if isinstance(statistics, list | tuple) and all(
        isinstance(s, PairStatistic) for s in statistics
    ):
        names = [n for s in statistics for n in s.names]
        dupes = sorted({n for n in names if names.count(n) > 1})
        check.check(
            not dupes,
            f"statistics must have distinct column names; {dupes} appear twice "
            "(pass each kind of statistic once)",
        )
    try:
        check_extra_scores(est.extra_scores)
    except ValueError as exc:
        check.check(False, str(exc))
    prior = est.prior
    check.check(
        prior is None
        or callable(prior)
        or isinstance(prior, pd.DataFrame)
        or hasattr(prior, "__array__")
        or isinstance(prior, list | tuple),
        "prior must be None, a (p, p) array-like or DataFrame, or a callable "
        f"prior(X); got {type(prior).__name__}",
    )
    check.raise_if_any()


def check_interventions(interventions, n, p, names):
    """Interventions as int64 (n,) with -1 for observational rows, or None."""
    if interventions is None:
        return None
    values = interventions
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy()
    values = np.asarray(values)
    if values.shape != (n,):
        raise ValueError(
            f"interventions must have shape (n_samples,) = ({n},), one entry "
            f"per row of X; got shape {values.shape}. Under cross-validation "
            "pass interventions as a fit argument (it is sliced with the rows), "
            "not as the constructor parameter."
        )
    if values.dtype.kind in "OUS":
        values = _interventions_from_names(values, names)
    elif values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(
                "interventions must hold integer column indices (or -1 for "
                "observational rows); got non-integer values."
            )
        values = values.astype(np.int64)
    elif values.dtype.kind not in "iu":
        raise ValueError(
            "interventions must be integers in [-1, p) or variable names; "
            f"got dtype {values.dtype}."
        )
    values = values.astype(np.int64)
    if values.size and (values.min() < -1 or values.max() >= p):
        raise ValueError(
            f"interventions must lie in [-1, {p - 1}] (-1 = observational row, "
            f"else the knocked-out column); got values from {values.min()} to "
            f"{values.max()}."
        )
    targets = np.unique(values[values >= 0])
    if targets.size == 1 and (values >= 0).all():
        raise ValueError(
            f"interventions: every row is a knock-out of {names[targets[0]]!r}, so "
            "there are no reference rows to measure its effects against; include "
            "observational rows (-1) or rows of other knock-outs, or pass "
            "interventions=None to treat all rows as observational."
        )
    return values


def _interventions_from_names(values, names):
    """Names, indices and None / NaN (observational) -> int64 (n,)."""
    index = {name: k for k, name in enumerate(names)}
    out = np.empty(len(values), dtype=np.int64)
    unknown = []
    for r, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[r] = -1
        elif isinstance(v, numbers.Integral):
            out[r] = int(v)
        elif str(v) in index:
            out[r] = index[str(v)]
        else:
            unknown.append(v)
    if unknown:
        raise ValueError(
            "interventions contains names that are not variables of X: "
            f"{sorted(set(map(str, unknown)))[:5]}; use column names, "
            "column indices, or -1 / None for observational rows."
        )
    return out


def check_prior(prior, X_input, p, names):
    """The prior as a float32 (p, p) matrix of 0 / 1 / NaN, diagonal NaN.

    float32 holds these values exactly, in half the memory. A float32 array
    whose diagonal is already NaN is used as it is (not copied), else a copy.
    """
    if prior is None:
        raise ValueError(
            "CausalStructureEstimator needs a prior of known pairs: call "
            "fit(X, prior=A) or construct CausalStructureEstimator(prior=A), "
            "with A[i, j] = 1 for a known effect i -> j, 0 for a known absence "
            "and NaN for unknown pairs."
        )
    if callable(prior) and not isinstance(prior, pd.DataFrame):
        prior = prior(X_input)
    if isinstance(prior, pd.DataFrame):
        prior = _align_prior_frame(prior, names, p)
    try:
        # no copy of a float32 array (p² values): copied below only when its
        # diagonal must be set to NaN
        A = np.asarray(prior, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"prior must be a numeric (p, p) matrix of 0, 1 and NaN; {exc}"
        ) from None
    if A.shape != (p, p):
        raise ValueError(
            f"prior must have shape (p, p) = ({p}, {p}) to match the {p} columns "
            f"of X; got shape {A.shape}. {_CV_HINT}"
        )
    loops = np.flatnonzero(np.diag(A) == 1)
    if loops.size:
        warnings.warn(
            f"prior has 1 on its diagonal for {[names[k] for k in loops[:10]]}"
            f"{' ...' if loops.size > 10 else ''}; a variable's effect on itself "
            "is not modelled, so the diagonal is ignored.",
            UserWarning,
            stacklevel=4,
        )
    if not np.isnan(np.diagonal(A)).all():
        A = A.copy()
        np.fill_diagonal(A, np.nan)
    known = A[~np.isnan(A)]
    if not np.isin(known, (0.0, 1.0)).all():
        raise ValueError(
            "prior entries must be 1 (known i -> j), 0 (known absence) or NaN "
            f"(unknown); got values such as {np.setdiff1d(known, [0, 1])[:3]}."
        )
    if not (known == 1).any():
        raise ValueError(
            "prior has no positive labels (no entry equal to 1 off the "
            "diagonal); the classifier needs known effects i -> j to learn from."
        )
    if not (known == 0).any():
        raise ValueError(
            "prior has no negative labels (no entry equal to 0 off the "
            "diagonal); the classifier needs known absent effects to learn from."
        )
    return A


def _align_prior_frame(frame, names, p):
    idx = [str(v) for v in frame.index]
    cols = [str(v) for v in frame.columns]
    if list(names) == [f"x{k}" for k in range(p)] and (
        idx == [str(k) for k in range(p)] and cols == idx
    ):
        return frame.to_numpy(dtype=np.float64)
    missing = [v for v in names if v not in set(idx) or v not in set(cols)]
    extra = sorted((set(idx) | set(cols)) - set(names))
    if missing or extra or len(idx) != p or len(cols) != p:
        raise ValueError(
            "prior DataFrame must be indexed (rows and columns) by the variable "
            f"names of X; names of X missing from the prior: {missing[:5]}, "
            f"prior names not in X: {extra[:5]}."
        )
    aligned = frame.copy()
    aligned.index, aligned.columns = idx, cols
    return aligned.loc[list(names), list(names)].to_numpy(dtype=np.float64)


def stratified_folds(labels, n_folds, rng):
    """Fold of every labelled pair, stratified by label: (n,) int."""
    fold = np.empty(labels.size, dtype=np.int64)
    for label in (0.0, 1.0):
        idx = rng.permutation(np.flatnonzero(labels == label))
        fold[idx] = np.arange(idx.size) % n_folds
    return fold


def pair_folds(pairs, n_folds, rng):
    """Fold of every labelled pair ``(i, j, label)``: (n,) int.

    Both orders of a pair share a fold, so that no network is scored on
    ``(j, i)`` after training on ``(i, j)``, which shares its image (up to a
    transpose), node embeddings and symmetric head. Stratified by whether
    the pair holds an edge in either order.
    """
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    key = np.minimum(i, j) * (np.maximum(i, j).max() + 1) + np.maximum(i, j)
    groups, group = np.unique(key, return_inverse=True)
    edge = np.zeros(groups.size)
    np.maximum.at(edge, group, pairs[:, 2])
    return stratified_folds(edge, n_folds, rng)[group]


def split_pairs(
    A, rng, *, validation_fraction, infer_reverse, max_train_pairs, n_networks=1
):
    """The training and held-out pairs, ``(i, j, label, fold)`` each.

    ``fold`` is the network that must not train on the pair. One network: a
    stratified share ``validation_fraction`` of the labelled pairs is held
    out (fold 0) and the rest trains it (fold -1). ``n_networks`` = M >= 2:
    the labelled pairs fall into M stratified folds; every pair trains the
    M - 1 networks of the other folds, and the held-out pairs are all the
    labelled ones (each then has an out-of-fold score). The inferred reverse
    of a positive takes that positive's fold; the training pairs are capped
    at ``max_train_pairs`` and the held-out ones at a quarter of it
    (stratified, positives first).
    """
    src, dst = np.nonzero(~np.isnan(A))
    y = A[src, dst]
    if n_networks >= 2:
        labelled = np.column_stack([src, dst, y])
        if len(labelled) > max_train_pairs:
            labelled = _subsample(labelled, max_train_pairs, rng)
        fold = pair_folds(labelled, n_networks, rng)
        tr = np.column_stack([labelled, fold])
    else:
        train, valid = [], []
        for label in (0.0, 1.0):
            idx = rng.permutation(np.flatnonzero(y == label))
            n_val = round(validation_fraction * idx.size)
            if validation_fraction > 0 and idx.size >= 2:
                n_val = min(max(n_val, 1), idx.size - 1)
            else:
                n_val = 0
            valid.append(idx[:n_val])
            train.append(idx[n_val:])
        train, valid = np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))
        tr = np.column_stack(
            [src[train], dst[train], y[train], np.full(train.size, -1)]
        )
        va = np.column_stack([src[valid], dst[valid], y[valid], np.zeros(valid.size)])
    if infer_reverse:
        tr = _add_reverses(tr, A)
    if len(tr) > max_train_pairs:
        tr = _subsample(tr, max_train_pairs, rng)
    if n_networks >= 2:  # every training pair, the inferred reverses too
        va = tr
    if len(va) > max_train_pairs // 4:
        va = _subsample(va, max_train_pairs // 4, rng)
    return tr.astype(np.float64), va.astype(np.float64)


def labelled_rows(pairs, A):
    """Which rows ``(i, j, ...)`` of ``pairs`` are labelled in the prior A."""
    src, dst = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    return ~np.isnan(A[src, dst])


def pair_keys(pairs):
    """One int64 per row ``(i, j, ...)`` of ``pairs``, equal for equal (i, j)."""
    pairs = np.asarray(pairs)
    return (pairs[:, 0].astype(np.int64) << 32) | pairs[:, 1].astype(np.int64)


def positions(pairs, subset):
    """Row of ``pairs`` holding each row ``(i, j, ...)`` of ``subset``."""
    keys = pair_keys(pairs)
    order = np.argsort(keys, kind="stable")
    return order[np.searchsorted(keys, pair_keys(subset), sorter=order)]


def _add_reverses(tr, A):
    """Append ``(j, i, 0, fold)`` for every positive ``(i, j, 1, fold)`` whose
    reverse is unlabelled (acyclicity); the reverse keeps the positive's fold."""
    pos = tr[tr[:, 2] == 1].astype(np.int64)
    rev = pos[:, [1, 0, 3]]
    rev = rev[np.isnan(A[rev[:, 0], rev[:, 1]])]
    rev = np.unique(rev, axis=0)
    extra = np.column_stack([rev[:, :2], np.zeros(len(rev)), rev[:, 2]])
    return np.vstack([tr, extra]) if len(extra) else tr


def _subsample(tr, cap, rng):
    pos = np.flatnonzero(tr[:, 2] == 1)
    neg = np.flatnonzero(tr[:, 2] == 0)
    n_pos = min(pos.size, cap // 2)
    n_neg = min(neg.size, cap - n_pos)
    keep = np.concatenate(
        [
            rng.choice(pos, n_pos, replace=False),
            rng.choice(neg, n_neg, replace=False),
        ]
    )
    return tr[np.sort(keep)]


class PairDataset(torch.utils.data.Dataset):
    """Pair features as ``(features dict, label)``, fetched a whole batch at once.

    ``__getitems__`` gathers a batch with one fancy index per array (the
    DataLoader's per-item path costs more than the network on small pairs);
    :func:`as_batch` is the matching identity ``collate_fn``.

    With ``mask`` (training only), each pair is, with probability
    ``mask["rate"]``, shown as if its cause had never been knocked out: the
    knock-out scalars of ``i`` take their value for a variable without
    knock-outs and the module embeds ``i`` from the masked node features.
    Pairs whose cause is never knocked out are shown unchanged.
    """

    def __init__(self, features, y, mask=None, seed=0):
        self.features = {k: v for k, v in features.items() if v is not None}
        self.y = np.asarray(y, dtype=np.float32)
        self.mask = mask
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, index):
        return self.__getitems__([index])

    def __getitems__(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        batch = {k: v[idx] for k, v in self.features.items()}
        if self.mask is not None:
            m = self.mask
            hide = m["knocked"][batch["src"]] & (self.rng.random(idx.size) < m["rate"])
            batch["mask_src"] = hide
            if hide.any():
                for key, cols in (
                    ("scalars", m["cols"]),
                    ("scalars_rev", m["cols_rev"]),
                ):
                    # batch[key] is a copy (fancy indexing): safe to edit
                    batch[key][np.ix_(hide, cols)] = m["values"][key]
        batch = {k: torch.as_tensor(v) for k, v in batch.items()}
        return batch, torch.as_tensor(self.y[idx])


def out_of_fold_precision(net, dataset, y):
    """Average precision of the held-out logits of an epoch (skorch scoring:
    ``net.forward`` returns the logits cached from the validation pass, each
    pair's from the network of its fold); 0 without both labels."""
    logits = net.forward(dataset).detach().cpu().numpy()
    labels = np.asarray(y)[:, 0]
    if labels.min() == labels.max():
        return 0.0
    return float(average_precision_score(labels, logits))


def as_batch(batch):
    """Identity collate: :meth:`PairDataset.__getitems__` returns batches."""
    return batch


class EpochSampler(torch.utils.data.Sampler):
    """``n_samples`` indices of ``range(n_items)`` per epoch, without replacement
    within each pass over the items (a fresh random subset every epoch, or
    several shuffled passes when ``n_samples > n_items``)."""

    def __init__(self, n_items, n_samples, generator):
        self.n_items = int(n_items)
        self.n_samples = int(n_samples)
        self.generator = generator

    def __len__(self):
        return self.n_samples

    def __iter__(self):
        left = self.n_samples
        while left > 0:
            perm = torch.randperm(self.n_items, generator=self.generator)
            yield from perm[:left].tolist()
            left -= self.n_items
