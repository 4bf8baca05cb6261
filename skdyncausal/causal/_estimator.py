"""`CausalStructureEstimator`: supervised causal structure learning over pairs."""

import numbers
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import (
    TorchEstimatorMixin,
    as_float64,
    resolve_device,
    seed_from,
    torch_rng,
)
from ._features import (
    GRAPH_SCALAR_NAMES,
    N_CHANNELS,
    NODE_FEATURE_NAMES,
    SCALAR_NAMES,
    all_pairs,
    iter_pair_features,
    prepare_pair_data,
    reverse_scalars,
    source_blocks,
)
from ._module import ARCHITECTURES, CausalPairModule, WeightedBCEWithLogitsLoss

__all__ = ["CausalStructureEstimator"]

# An epoch makes at least this many optimizer steps: a small label set is
# cycled, so early stopping does not end training after a handful of steps.
_MIN_STEPS_PER_EPOCH = 10
# Symmetric pair statistics of the baseline logit (the ``offset``), per kind
# of label: |pcorr| for direct edges, |corr| and the distance in the
# correlation graph Ĝ0 for total effects. (scalars, graph scalars)
_BASELINE = {
    "direct": (("abs_pcorr",), ()),
    "ancestral": (("abs_corr",), ("g0_inverse_distance",)),
}
# Features that come from the knock-out rows of the cause ``i`` (scalars of
# (i, j), their names in the reversed scalars of (j, i), and node features).
_KO_SCALARS = ("shift_ij", "shift_t_ij", "knocked_i")
_KO_SCALARS_REV = ("shift_ji", "shift_t_ji", "knocked_j")
_KO_NODE = ("knocked", "mean_shift_out", "max_shift_out")

_CV_HINT = (
    "Cross-validation (GridSearchCV, cross_val_score, ...) slices every fit "
    "argument whose length equals n_samples, which mangles a (p, p) prior when "
    "n_samples == p: in that case pass the prior as the constructor parameter, "
    "CausalStructureEstimator(prior=A), instead of fit(X, prior=A)."
)


_X_FORM = "X must be a 2-D array-like or DataFrame of shape (n_samples, n_variables)"


def _check_X_form(X, n_features, owner):
    """Refuse X of the wrong dimension, too small, or holding text, naming X.

    ``n_features``: the number of variables seen in fit (None in fit, where
    at least 2 are needed); ``owner``: the estimator's class name. The
    messages keep scikit-learn's wording. Returns X, as an array unless it
    is a DataFrame.
    """
    if isinstance(X, pd.DataFrame):
        _check_frame_columns(X)
    elif hasattr(X, "toarray") or hasattr(X, "tocsr"):
        return X  # sparse: refused by validate_data, which names X
    else:
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{_X_FORM}, one row per sample and one column per variable; it "
                f"could not be read as an array ({exc}). Pass a rectangular "
                "numeric array, e.g. np.column_stack([x0, x1, ...])."
            ) from None
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


def _check_frame_columns(X):
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


class _PairDataset(torch.utils.data.Dataset):
    """Pair features as ``(features dict, label)``, fetched a whole batch at once.

    ``__getitems__`` gathers a batch with one fancy index per array (the
    DataLoader's per-item path costs more than the network on small pairs);
    :func:`_as_batch` is the matching identity ``collate_fn``.

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


def _as_batch(batch):
    """Identity collate: :meth:`_PairDataset.__getitems__` returns batches."""
    return batch


class _EpochSampler(torch.utils.data.Sampler):
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


class CausalStructureEstimator(TorchEstimatorMixin, BaseEstimator):
    """Score every ordered pair of variables for a causal effect ``i -> j``.

    Causal structure learning as supervised learning over ordered pairs
    (the *causal risk* of Hill et al., 2019, with the deep pair
    representation of Lagemann et al., 2023). The labelled pairs of a
    partial ``prior`` train a network that reads, for pair ``(i, j)``, a
    density image of ``(x_i, x_j)`` (small CNN), embeddings of ``i`` and
    ``j`` from message passing over an estimated variable graph Ĝ0 (GNN),
    and pair scalars (correlations, Ledoit–Wolf partial correlations,
    knock-out shift scores, non-Gaussian and nonlinear direction measures);
    it then predicts every other pair. There is no acyclicity step.

    The network learns a residual on top of a baseline logit, a logistic
    regression of the labels on ``|corr|``, ``|pcorr|`` and the Ĝ0 distance
    fitted on the training pairs (``baseline_offset``): training starts from
    that baseline, so with few labels the estimator stays close to it.

    Parameters
    ----------
    prior : array-like, DataFrame or callable of shape (p, p), default=None
        Partial causal knowledge: ``prior[i, j] = 1`` if ``i -> j`` is known,
        ``0`` if known absent, NaN if unknown; the diagonal is ignored. A
        DataFrame whose index and columns are variable names is aligned to
        the columns of X by name. A callable is called as ``prior(X)`` in
        ``fit`` and must return such a matrix (e.g. a function that reads
        labels off knock-out rows). The ``prior`` argument of :meth:`fit`
        takes precedence. Use this constructor route under cross-validation
        when ``n_samples == p`` (see Notes).
    interventions : array-like of shape (n_samples,), default=None
        For every row, the variable knocked out in it (column index or
        name), or ``-1`` / None for an observational row. The argument of
        :meth:`fit` takes precedence.
    labels : {"direct", "ancestral"}, default="direct"
        What a 1 in the prior means: ``"direct"``, a direct edge ``i -> j``;
        ``"ancestral"``, a total effect (a directed path ``i -> ... -> j``,
        e.g. read off knock-out experiments). It selects the Ĝ0 weights when
        ``graph_method="auto"``; the probabilities answer the same question
        as the labels.
    architecture : {"full", "image", "graph", "no_image"}, default="full"
        ``"full"``: CNN over pair images + GNN node embeddings + pair
        scalars. Ablations: ``"image"`` (CNN only), ``"graph"`` (GNN node
        embeddings and Ĝ0 pair scalars), ``"no_image"`` (GNN + scalars).
    image_size : int, default=16
        Bins per axis of the pair images.
    bandwidth : float, default=1.0
        Gaussian smoothing of the images, in bins (0 = raw histogram).
    graph_method : {"auto", "pcorr", "correlation"}, default="auto"
        Weights whose top ``graph_neighbors`` per variable define Ĝ0;
        ``"auto"`` is ``"pcorr"`` for direct labels (Markov blanket) and
        ``"correlation"`` for ancestral labels (total association).
    graph_neighbors : int, default=5
        Neighbours per variable in Ĝ0.
    cnn_channels : int, default=8
        Channels of the first convolution (the second has twice as many).
    gnn_layers : int, default=2
        Message-passing layers over Ĝ0.
    hidden_dim : int, default=16
        Width of node embeddings and of the heads.
    dropout : float, default=0.3
    max_epochs : int, default=40
        An epoch is one pass over the training pairs, but at most
        ``max_epoch_pairs`` pairs (a fresh random subset each epoch) and at
        least 10 batches (a small label set is cycled within the epoch).
    max_epoch_pairs : int, default=16384
        Training pairs drawn per epoch; bounds the cost of an epoch when the
        prior labels many pairs (10 % of the pairs of p = 1,000 variables is
        10⁵ pairs), so training time does not grow with p².
    batch_size : int, default=256
        Largest batch; with fewer than ``4 * batch_size`` training pairs
        batches shrink (to no fewer than 32 pairs) so an epoch still makes
        several steps.
    lr : float, default=1e-3
    weight_decay : float, default=1e-4
    class_weight : {"balanced"} or None, default="balanced"
        ``"balanced"`` weights positive pairs by ``n_negative / n_positive``
        in the cross-entropy (``pos_weight``).
    validation_fraction : float, default=0.2
        Share of the labelled pairs (stratified, seeded) held out for early
        stopping and :meth:`score`. Nothing is selected on unlabelled pairs.
    early_stopping : bool, default=True
        Stop when the held-out loss has not improved for
        ``n_iter_no_change`` epochs and keep the best weights.
    n_iter_no_change : int, default=8
    infer_reverse : bool, default=True
        Under acyclicity, a known ``i -> j`` implies that ``j -> i`` is
        absent: add those reverse pairs as training negatives (only for
        training positives whose reverse is unlabelled). They teach
        orientation from pairs whose images differ only by a transpose.
    baseline_offset : bool, default=True
        Add a fitted baseline logit (logistic regression on ``|corr|``,
        ``|pcorr|`` and the inverse Ĝ0 distance of the pair, classes
        weighted like the network's loss) to the network's output; the
        network's heads start at zero, so training starts from the baseline.
        False: the network alone.
    knockout_dropout : float, default=0.25
        Probability, per training pair and epoch, of showing a pair whose
        cause ``i`` was knocked out as if it had not been (its knock-out
        scalars and node features take the values of a variable without
        knock-outs). Labels often come from knock-outs (see
        :func:`~skdyncausal.datasets.prior_from_interventions`), while the
        pairs to predict have causes without knock-out rows: the network
        must also learn to score those from observational features. No
        effect without interventions.
    max_train_pairs : int, default=200_000
        Cap on training pairs (stratified subsample, positives kept first),
        which bounds the memory of the training features; the held-out
        validation pairs are capped at ``max_train_pairs // 4`` the same way.
    block_size : int, default=64
        Source variables per feature block; memory grows with
        ``block_size * p * image_size²``.
    n_jobs : int, default=None
        joblib workers over feature blocks (None: in-process).
    torch_threads : int or None, default=1
        Torch intra-op threads during fit, predict and score (the previous
        setting is restored afterwards). The network is small: one thread
        is close to the fastest, and several threads slow down by an order
        of magnitude when the cores are shared with other work. None keeps
        torch's setting (e.g. on a dedicated many-core machine).
    device : str, default="cpu"
        Torch device (``"cuda"``, ``"auto"``).
    verbose : int, default=0
        1 prints feature-block progress and the skorch epoch log.
    random_state : int, RandomState instance or None, default=None
        Seeds the pair split and the network; the global torch RNG is left
        untouched.

    Attributes
    ----------
    n_features_in_ : int
        Number of variables ``p``.
    feature_names_in_ : ndarray of str
        Column names of X, when X is a DataFrame with string columns.
    variable_names_ : list of str
        Variable names (column names of X, else ``"x0", "x1", ...``).
    prior_ : ndarray of shape (p, p)
        The prior used in fit (0 / 1 / NaN, diagonal NaN).
    train_pairs_ : ndarray of shape (n_train, 3)
        ``(i, j, label)`` of the training pairs (inferred reverses included).
    validation_pairs_ : ndarray of shape (n_valid, 3)
        ``(i, j, label)`` of the held-out labelled pairs.
    net_ : skorch.NeuralNet
        The trained network (module :class:`CausalPairModule`).
    history_ : list of dict
        Per-epoch losses.

    See Also
    --------
    skdyncausal.causal.partial_correlation_scores : unsupervised baseline.
    skdyncausal.causal.mrcl_scores : the kernel baseline of Hill et al.

    Notes
    -----
    Orientation everywhere: ``A[i, j]`` refers to ``i -> j`` (row = cause).

    Cross-validation: with ``GridSearchCV(est, grid, cv=3).fit(X, prior=A)``
    the rows are split, the held-out labelled pairs stay the same for every
    fold (same ``random_state``), and :meth:`score` computes the features of
    the held-out pairs from the held-out rows. When ``n_samples == p``
    scikit-learn slices the prior like a per-sample array; pass it to the
    constructor then. Without metadata routing, :meth:`score` cannot receive
    the test rows' ``interventions`` and treats them as observational.

    Pairs in the prior are predicted by the network like all others (the
    prior is not copied into the output).

    References
    ----------
    Lagemann, Lagemann, Taschler & Mukherjee, "Deep learning of causal
    structures in high dimensions under data limitations", Nature Machine
    Intelligence 5 (2023). Hill, Oates, Blythe & Mukherjee, "Causal learning
    via manifold regularization", JMLR 20 (2019). Hyvärinen & Smith,
    "Pairwise likelihood ratios for estimation of non-Gaussian structural
    equation models", JMLR 14 (2013).

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.causal import CausalStructureEstimator
    >>> from skdyncausal.datasets import make_prior, make_sem
    >>> data = make_sem(200, 8, n_interventions=4, random_state=0)
    >>> A = make_prior(data.adjacency, fraction=0.5, random_state=0)
    >>> est = CausalStructureEstimator(max_epochs=3, random_state=0)
    >>> P = est.fit(data.X, prior=A, interventions=data.interventions).predict_proba()
    >>> P.shape, float(P.diagonal().max())
    ((8, 8), 0.0)
    """

    def __init__(
        self,
        prior=None,
        interventions=None,
        *,
        labels="direct",
        architecture="full",
        image_size=16,
        bandwidth=1.0,
        graph_method="auto",
        graph_neighbors=5,
        cnn_channels=8,
        gnn_layers=2,
        hidden_dim=16,
        dropout=0.3,
        max_epochs=40,
        max_epoch_pairs=16_384,
        batch_size=256,
        optimizer="adamw",
        lr=1e-3,
        weight_decay=1e-4,
        gradient_clip=5.0,
        class_weight="balanced",
        validation_fraction=0.2,
        early_stopping=True,
        n_iter_no_change=8,
        infer_reverse=True,
        baseline_offset=True,
        knockout_dropout=0.25,
        max_train_pairs=200_000,
        block_size=64,
        n_jobs=None,
        torch_threads=1,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.prior = prior
        self.interventions = interventions
        self.labels = labels
        self.architecture = architecture
        self.image_size = image_size
        self.bandwidth = bandwidth
        self.graph_method = graph_method
        self.graph_neighbors = graph_neighbors
        self.cnn_channels = cnn_channels
        self.gnn_layers = gnn_layers
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.max_epoch_pairs = max_epoch_pairs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.gradient_clip = gradient_clip
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.infer_reverse = infer_reverse
        self.baseline_offset = baseline_offset
        self.knockout_dropout = knockout_dropout
        self.max_train_pairs = max_train_pairs
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.torch_threads = torch_threads
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _param_check(self):
        check = super()._param_check()
        check.choice("labels", ("direct", "ancestral"))
        check.choice("architecture", ARCHITECTURES)
        check.integer("image_size", 4, 128)
        check.real("bandwidth", 0)
        check.choice("graph_method", ("auto", "pcorr", "correlation"))
        check.integer("graph_neighbors", 1)
        check.integer("cnn_channels", 1)
        check.integer("gnn_layers", 0)
        check.integer("hidden_dim", 1)
        check.real("dropout", 0, 1)
        check.check(
            self.class_weight in ("balanced", None),
            f"class_weight must be 'balanced' or None; got {self.class_weight!r}",
        )
        check.real("validation_fraction", 0, 0.9)
        check.flag("infer_reverse")
        check.flag("baseline_offset")
        check.real("knockout_dropout", 0, 1)
        check.integer("max_epoch_pairs", 1)
        check.integer("max_train_pairs", 8)
        check.integer("block_size", 1)
        check.check(
            self.n_jobs is None
            or (isinstance(self.n_jobs, numbers.Integral) and self.n_jobs != 0),
            f"n_jobs must be None or a nonzero integer; got {self.n_jobs!r}",
        )
        prior = self.prior
        check.check(
            prior is None
            or callable(prior)
            or isinstance(prior, pd.DataFrame)
            or hasattr(prior, "__array__")
            or isinstance(prior, list | tuple),
            "prior must be None, a (p, p) array-like or DataFrame, or a callable "
            f"prior(X); got {type(prior).__name__}",
        )
        return check

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        tags.requires_fit = True
        return tags

    def _validate_X(self, X, reset):
        # Keep the DataFrame for a callable prior before validate_data converts it.
        X = _check_X_form(
            X, None if reset else self.n_features_in_, type(self).__name__
        )
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_min_samples=2,
            # after fit, a wrong width is reported by the n_features_in_ check
            ensure_min_features=2 if reset else 1,
        )

    def _check_interventions(self, interventions, n, p):
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
            index = {name: k for k, name in enumerate(self.variable_names_)}
            out = np.empty(n, dtype=np.int64)
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
            values = out
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
        return values

    def _check_prior(self, prior, X_input, p):
        if prior is None:
            raise ValueError(
                "CausalStructureEstimator needs a prior of known pairs: call "
                "fit(X, prior=A) or construct CausalStructureEstimator(prior=A), "
                "with A[i, j] = 1 for a known effect i -> j, 0 for a known absence "
                "and NaN for unknown pairs."
            )
        if callable(prior) and not isinstance(prior, pd.DataFrame):
            prior = prior(X_input)
        names = self.variable_names_
        if isinstance(prior, pd.DataFrame):
            prior = self._align_prior_frame(prior, names, p)
        try:
            A = np.array(prior, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"prior must be a numeric (p, p) matrix of 0, 1 and NaN; {exc}"
            ) from None
        if A.shape != (p, p):
            raise ValueError(
                f"prior must have shape (p, p) = ({p}, {p}) to match the {p} columns "
                f"of X; got shape {A.shape}. {_CV_HINT}"
            )
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

    @staticmethod
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

    # -------------------------------------------------------------------- pairs
    def _split_pairs(self, A, rng):
        """Stratified train/validation split of the labelled pairs."""
        src, dst = np.nonzero(~np.isnan(A))
        y = A[src, dst]
        train, valid = [], []
        for label in (0.0, 1.0):
            idx = rng.permutation(np.flatnonzero(y == label))
            n_val = round(self.validation_fraction * idx.size)
            if self.validation_fraction > 0 and idx.size >= 2:
                n_val = min(max(n_val, 1), idx.size - 1)
            else:
                n_val = 0
            valid.append(idx[:n_val])
            train.append(idx[n_val:])
        train, valid = np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))
        tr = np.column_stack([src[train], dst[train], y[train]])
        va = np.column_stack([src[valid], dst[valid], y[valid]])
        if self.infer_reverse:
            tr = self._add_reverses(tr, A)
        if len(tr) > self.max_train_pairs:
            tr = self._subsample(tr, self.max_train_pairs, rng)
        if len(va) > self.max_train_pairs // 4:
            va = self._subsample(va, self.max_train_pairs // 4, rng)
        return tr, va

    @staticmethod
    def _add_reverses(tr, A):
        pos = tr[tr[:, 2] == 1].astype(np.int64)
        rev = pos[:, [1, 0]]
        rev = rev[np.isnan(A[rev[:, 0], rev[:, 1]])]
        rev = np.unique(rev, axis=0)
        extra = np.column_stack([rev, np.zeros(len(rev))])
        return np.vstack([tr, extra]) if len(extra) else tr

    @staticmethod
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

    def _pair_blocks(self, src, dst):
        """Group pairs (sorted by source) into blocks of ``block_size`` sources."""
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        block = src // self.block_size
        cuts = np.flatnonzero(np.diff(block)) + 1
        return order, list(zip(np.split(src, cuts), np.split(dst, cuts)))

    def _prepare(self, X, interventions):
        method = self.graph_method
        if method == "auto":
            method = "pcorr" if self.labels == "direct" else "correlation"
        return prepare_pair_data(
            X,
            interventions,
            image_size=self.image_size,
            bandwidth=self.bandwidth,
            graph_method=method,
            graph_neighbors=self.graph_neighbors,
            images=self.architecture in ("full", "image"),
        )

    def _features_of(self, data, pairs):
        """Features of the given pairs (n, 2), in the order of ``pairs``."""
        src, dst = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
        order, blocks = self._pair_blocks(src, dst)
        parts = [feats for _, _, feats in self._iter_features(data, blocks)]
        out = {"src": src[order], "dst": dst[order]}
        for key in ("scalars", "graph_scalars", "images"):
            if parts[0][key] is not None:
                out[key] = np.concatenate([f[key] for f in parts])
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return {k: v[inverse] for k, v in out.items()}

    def _iter_features(self, data, blocks):
        start = time.perf_counter()
        for k, item in enumerate(iter_pair_features(data, blocks, self.n_jobs)):
            if self.verbose:
                elapsed = time.perf_counter() - start
                self._print(f"feature block {k + 1}/{len(blocks)}  {elapsed:.1f}s")
            yield item

    def _scale(self, feats):
        """Standardise pair scalars with the statistics of the training pairs.

        Adds ``"offset"``, the baseline logit, when ``baseline_offset``.
        """
        out = dict(feats)
        raw = feats["scalars"]
        for key, values in (("scalars", raw), ("scalars_rev", reverse_scalars(raw))):
            out[key] = ((values - self.scalar_mean_) / self.scalar_scale_).astype(
                np.float32
            )
        out["graph_scalars"] = (
            (feats["graph_scalars"] - self.graph_mean_) / self.graph_scale_
        ).astype(np.float32)
        if self.baseline_ is not None:
            out["offset"] = self.baseline_.decision_function(
                self._baseline_inputs(out)
            ).astype(np.float32)
        return out

    def _baseline_inputs(self, scaled):
        names, graph_names = _BASELINE[self.labels]
        cols = [SCALAR_NAMES.index(k) for k in names]
        gcols = [GRAPH_SCALAR_NAMES.index(k) for k in graph_names]
        return np.hstack(
            [scaled["scalars"][:, cols], scaled["graph_scalars"][:, gcols]]
        ).astype(np.float64)

    def _fit_baseline(self, scaled, y, pos_weight):
        """Logistic regression of the labels on the symmetric baseline statistics."""
        if not self.baseline_offset:
            return None
        weight = np.where(y == 1, pos_weight, 1.0)
        return LogisticRegression(C=1.0).fit(
            self._baseline_inputs(scaled), y, sample_weight=weight
        )

    def _mask_spec(self, data):
        """What ``knockout_dropout`` hides, or None when nothing can be hidden."""
        if self.knockout_dropout <= 0 or not data.knocked.any():
            return None
        cols = [SCALAR_NAMES.index(k) for k in _KO_SCALARS]
        cols_rev = [SCALAR_NAMES.index(k) for k in _KO_SCALARS_REV]
        # standardised value of a raw 0 (no knock-out) in each column
        zero = (-self.scalar_mean_ / self.scalar_scale_).astype(np.float32)
        return {
            "rate": float(self.knockout_dropout),
            "knocked": np.asarray(data.knocked, dtype=bool),
            "cols": cols,
            "cols_rev": cols_rev,
            "values": {"scalars": zero[cols], "scalars_rev": zero[cols_rev]},
        }

    @staticmethod
    def _mean_scale(values):
        mean = values.mean(axis=0)
        scale = values.std(axis=0)
        return mean.astype(np.float32), np.where(scale > 1e-6, scale, 1.0).astype(
            np.float32
        )

    def _set_graph(self, data):
        nodes = (data.node_features - self.node_mean_) / self.node_scale_
        masked = data.node_features.copy()
        masked[:, [NODE_FEATURE_NAMES.index(k) for k in _KO_NODE]] = 0.0
        masked = (masked - self.node_mean_) / self.node_scale_
        self.net_.module_.set_graph(
            torch.as_tensor(nodes, dtype=torch.float32),
            torch.as_tensor(data.edge_index),
            torch.as_tensor(masked, dtype=torch.float32),
        )

    # ---------------------------------------------------------------------- fit
    def fit(self, X, y=None, *, prior=None, interventions=None):
        """Train the pair classifier on the labelled pairs of the prior.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, p)
            Data; DataFrame columns become the variable names.
        y : None
            Ignored; present for the scikit-learn API.
        prior : array-like, DataFrame or callable of shape (p, p), default=None
            See the class parameter; this argument takes precedence.
        interventions : array-like of shape (n_samples,), default=None
            See the class parameter; this argument takes precedence.

        Returns
        -------
        self : CausalStructureEstimator
        """
        self._param_check().raise_if_any()
        # Validation and training set attributes along the way.
        with self._rollback():
            return self._fit(X, prior, interventions)

    def _fit(self, X, prior, interventions):
        X_input = X
        X = self._validate_X(X, reset=True)
        n, p = X.shape
        names = getattr(self, "feature_names_in_", None)
        self.variable_names_ = (
            [str(v) for v in names]
            if names is not None
            else [f"x{k}" for k in range(p)]
        )
        iv = interventions if interventions is not None else self.interventions
        iv = self._check_interventions(iv, n, p)
        A = self._check_prior(prior if prior is not None else self.prior, X_input, p)
        self.device_ = resolve_device(self.device)
        seed = seed_from(self.random_state)
        rng = check_random_state(seed)
        tr, va = self._split_pairs(A, rng)
        self.prior_ = A
        self.train_pairs_, self.validation_pairs_ = tr, va

        with self._threads():
            self._fit_network(X, iv, tr, va, seed)
        self.net_.module_.eval()
        self._X_fit = X
        self._interventions_fit = iv
        self._cache = {}
        return self

    def _fit_network(self, X, iv, tr, va, seed):
        data = self._prepare(X, iv)
        self.node_mean_, self.node_scale_ = self._mean_scale(data.node_features)
        train_feats = self._features_of(data, tr)
        # One set of statistics for both orders, so (i, j) and (j, i) agree.
        raw = train_feats["scalars"]
        self.scalar_mean_, self.scalar_scale_ = self._mean_scale(
            np.vstack([raw, reverse_scalars(raw)])
        )
        self.graph_mean_, self.graph_scale_ = self._mean_scale(
            train_feats["graph_scalars"]
        )
        y_tr = tr[:, 2].astype(np.float32)
        n_pos = float(y_tr.sum())
        pos_weight = 1.0
        if self.class_weight == "balanced" and n_pos > 0:
            pos_weight = (len(y_tr) - n_pos) / n_pos
        self.baseline_ = None
        train_scaled = self._scale(train_feats)
        self.baseline_ = self._fit_baseline(train_scaled, y_tr, pos_weight)
        if self.baseline_ is not None:
            train_scaled = self._scale(train_feats)
        # Small label sets: smaller batches, cycled to _MIN_STEPS_PER_EPOCH
        # steps; large ones: at most max_epoch_pairs pairs per epoch.
        batch_size = int(min(self.batch_size, max(32, -(-len(y_tr) // 4))))
        epoch_pairs = max(
            min(len(y_tr), self.max_epoch_pairs), _MIN_STEPS_PER_EPOCH * batch_size
        )
        train_ds = _PairDataset(
            train_scaled, y_tr, mask=self._mask_spec(data), seed=seed
        )
        valid_ds = None
        if len(va):
            valid_feats = self._scale(self._features_of(data, va))
            valid_ds = _PairDataset(valid_feats, va[:, 2])
        with torch_rng(seed, self.device_) as generator:
            # The criterion as a class with a float parameter: its weight lives
            # in criterion_, which skorch moves to (and unpickles on) the device.
            self.net_ = self._make_net(
                CausalPairModule,
                WeightedBCEWithLogitsLoss,
                generator=generator,
                valid_dataset=valid_ds,
                architecture=self.architecture,
                n_channels=N_CHANNELS,
                image_size=self.image_size,
                n_scalars=len(SCALAR_NAMES),
                n_graph_scalars=len(GRAPH_SCALAR_NAMES),
                n_node_features=len(NODE_FEATURE_NAMES),
                cnn_channels=self.cnn_channels,
                gnn_layers=self.gnn_layers,
                hidden_dim=self.hidden_dim,
                dropout=self.dropout,
            )
            self.net_.set_params(
                batch_size=batch_size,
                iterator_train__shuffle=False,
                iterator_train__sampler=_EpochSampler(
                    len(y_tr), epoch_pairs, generator
                ),
                iterator_train__collate_fn=_as_batch,
                iterator_valid__collate_fn=_as_batch,
                criterion__pos_weight=float(pos_weight),
            )
            self.net_.initialize()
            self._set_graph(data)
            self.history_ = self._train(self.net_, train_ds)

    # ------------------------------------------------------------------ predict
    def _probabilities(self, feats):
        """Run the network on a block of pair features: (m,) float64."""
        module = self.net_.module_
        module.eval()
        feats = self._scale(feats)
        out = np.empty(len(feats["src"]), dtype=np.float64)
        step = max(self.batch_size, 4096)
        with torch.no_grad():
            for s in range(0, len(out), step):
                batch = {
                    k: torch.as_tensor(v[s : s + step]).to(self.device_)
                    for k, v in feats.items()
                    if v is not None
                }
                out[s : s + step] = as_float64(torch.sigmoid(module(**batch)))
        return out

    def _data_for(self, X, interventions):
        """Validated data matrix and interventions (None: the fit data)."""
        check_is_fitted(self, "net_")
        if X is None:
            if interventions is not None:
                raise ValueError("interventions were given without X.")
            return self._X_fit, self._interventions_fit
        X = self._validate_X(X, reset=False)
        return X, self._check_interventions(interventions, X.shape[0], X.shape[1])

    def _proba_matrix(self, X, iv):
        p = X.shape[1]
        P = np.zeros((p, p), dtype=np.float64)
        with self._threads():
            data = self._prepare(X, iv)
            self._set_graph(data)
            blocks = [all_pairs(b, p) for b in source_blocks(p, self.block_size)]
            for src, dst, feats in self._iter_features(data, blocks):
                feats = dict(feats, src=src, dst=dst)
                P[src, dst] = self._probabilities(feats)
        np.fill_diagonal(P, 0.0)
        return P

    def predict_proba(self, X=None, *, interventions=None):
        """Probability of ``i -> j`` for every ordered pair.

        Parameters
        ----------
        X : array-like of shape (n_rows, p), default=None
            Rows to compute the pair features from (same variables as in
            fit); None uses the data seen in fit (computed once, cached).
        interventions : array-like of shape (n_rows,), default=None
            Knock-out targets of the rows of X (None: all observational).

        Returns
        -------
        P : ndarray of shape (p, p)
            ``P[i, j]`` = probability of ``i -> j`` (float64 in [0, 1]);
            the diagonal is 0.
        """
        X_, iv = self._data_for(X, interventions)
        if X is None:
            if "proba" not in self._cache:
                self._cache["proba"] = self._proba_matrix(X_, iv)
            return self._cache["proba"].copy()
        return self._proba_matrix(X_, iv)

    def predict(self, X=None, threshold=0.5, *, interventions=None):
        """0/1 adjacency: ``P[i, j] >= threshold`` (diagonal 0).

        Returns
        -------
        A : ndarray of int of shape (p, p)
        """
        P = self.predict_proba(X, interventions=interventions)
        A = (P >= threshold).astype(np.int64)
        np.fill_diagonal(A, 0)
        return A

    def score(self, X, y=None, *, interventions=None):
        """AUROC on the held-out labelled pairs, with features from the rows X.

        Parameters
        ----------
        X : array-like of shape (n_rows, p)
            Rows to compute the pair features from.
        y : None
            Ignored.
        interventions : array-like of shape (n_rows,), default=None
            Knock-out targets of the rows of X (None: all observational).

        Returns
        -------
        auroc : float
            Area under the ROC curve on ``validation_pairs_``. When those do
            not hold both labels (too few labelled pairs), all labelled pairs
            are scored instead, with a warning.
        """
        X_, iv = self._data_for(X, interventions)
        pairs = self.validation_pairs_
        if len(pairs) == 0 or len(np.unique(pairs[:, 2])) < 2:
            warnings.warn(
                "the held-out labelled pairs do not contain both labels; score "
                "uses all labelled pairs (including training pairs).",
                UserWarning,
                stacklevel=2,
            )
            pairs = np.vstack([self.train_pairs_, pairs])
        with self._threads():
            data = self._prepare(X_, iv)
            self._set_graph(data)
            feats = self._features_of(data, pairs)
            proba = self._probabilities(feats)
        return float(roc_auc_score(pairs[:, 2], proba))

    def to_networkx(self, threshold=0.5, X=None):
        """Directed graph of the pairs with ``P[i, j] >= threshold``.

        Nodes are the variable names; every edge carries its
        ``probability``.

        Returns
        -------
        graph : networkx.DiGraph
        """
        from ._convert import to_networkx

        P = self.predict_proba(X)
        return to_networkx(P, self.variable_names_, threshold=threshold)
