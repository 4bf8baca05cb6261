"""`CausalStructureEstimator`: supervised causal structure learning over pairs.

The parts live next to it: validation, the pair split and the batches in
``_data.py``, the pair features in ``_features.py`` (the kinds of evidence in
``_statistics.py``), the network in ``_module.py``.
"""

import numbers
import warnings

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._base import (
    TorchEstimatorMixin,
    resolve_device,
    seed_from,
    torch_rng,
)
from .._validation import check_int, flag_problem
from ._audit import contradicted_labels, cross_fitted_prior, prior_scores
from ._calibration import (
    SHIFT_CHI2,
    EdgeCalibrator,
    edge_rate_statistic,
    estimate_edge_rate,
    exclusive_directions,
    exclusive_factors,
)
from ._data import (
    EpochSampler,
    PairDataset,
    as_batch,
    check_fit_inputs,
    check_interventions,
    check_params,
    epoch_plan,
    labelled_rows,
    out_of_fold_precision,
    pair_keys,
    positions,
    scored_pairs,
    split_pairs,
    validate_X,
)
from ._features import N_CHANNELS, NODE_FEATURE_NAMES, PairFeaturizer, screen_pairs
from ._module import (
    INFERENCE_PAIRS,
    CausalPairModule,
    WeightedBCEWithLogitsLoss,
    pair_probabilities,
)
from ._outputs import EdgeOutputMixin
from ._stacking import (
    ExternalScore,
    check_extra_scores,
    cross_fitted_scores,
)
from ._statistics import DEFAULT_STATISTICS

__all__ = ["CausalStructureEstimator"]

#: Unlabelled pairs whose probabilities estimate their share of edges
#: (``edge_rate="auto"``); the standard error of a share is then below 0.004,
#: and the test of the estimate has that sample's power.
_EDGE_RATE_PAIRS = 20_000


def _calibrated(calibrator, logits, *, shift=True):
    """Probabilities of logits (m,) or (m, n_networks): with a column per
    network, each is mapped and the probabilities are averaged."""
    axis = 1 if logits.ndim == 2 else None
    return calibrator.transform(logits, shift=shift, axis=axis)


class CausalStructureEstimator(EdgeOutputMixin, TorchEstimatorMixin, BaseEstimator):
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
    statistics : list of PairStatistic or None, default=None
        The kinds of pair evidence the network reads as pair scalars, e.g.
        ``[Correlation(), PartialCorrelation(), KnockoutShift()]`` (see
        :mod:`skdyncausal.causal` for the parts; a new kind is one
        :class:`~skdyncausal.causal.PairStatistic` subclass). None:
        :data:`~skdyncausal.causal.DEFAULT_STATISTICS`, every kind.
    extra_scores : dict of str -> callable, list of callables or None, \
            default=None
        Other methods' scores as further pair statistics (stacking): each a
        callable ``scorer(X, prior, interventions)`` returning a ``(p, p)``
        score matrix, row = cause (for example a DirectLiNGAM or PC wrapper),
        keyed by a name of letters and digits (a list is named ``extra0``,
        ``extra1``, ...). The network reads the scores at ``(i, j)`` and at
        ``(j, i)`` and learns on the labelled pairs how far to trust them.
        So that a scorer cannot echo the training labels, the scores of
        labelled pairs are cross-fitted: each of 2 folds of the labelled
        pairs is scored by a call on the prior without it, every other pair
        by a call on the whole prior (3 calls per scorer for a fit, and for
        each ``predict_proba(X)`` or ``score(X)`` on new rows). None: no extra
        scores.
    architecture : {"full", "image", "graph", "no_image"}, default="full"
        ``"full"``: CNN over pair images + GNN node embeddings + pair
        scalars. Ablations: ``"image"`` (CNN only), ``"graph"`` (GNN node
        embeddings and Ĝ0 pair scalars), ``"no_image"`` (GNN + scalars).
    image_size : int, default=16
        Bins per axis of the pair images.
    bandwidth : float, default=1.0
        Gaussian smoothing of the images, in bins (0 = raw histogram).
    image_rows : int or None, default=2048
        Rows behind each pair image: with more rows (per channel: all rows,
        observational rows), a fixed random subset of this many. The cost of
        the images grows with the rows and dominates the prediction of all
        pairs at large p; 2,048 rows already fill a 16 × 16 image with 8 per
        bin on average. The pair statistics always use every row. None: all
        rows.
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
    optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch optimizer class, \
            default="adamw"
    lr : float, default=1e-3
    weight_decay : float, default=1e-4
    gradient_clip : float or None, default=5.0
        Largest gradient norm per step (None: no clipping).
    class_weight : {"balanced"} or None, default="balanced"
        ``"balanced"`` weights positive pairs by ``n_negative / n_positive``
        in the cross-entropy (``pos_weight``).
    validation_fraction : float, default=0.2
        With ``n_networks=1``: the share of the labelled pairs (stratified,
        seeded) held out for early stopping, the calibration and
        :meth:`score`. Ignored with several networks, whose folds are held
        out instead. Nothing is selected on unlabelled pairs.
    n_networks : int, default=5
        Networks trained side by side and averaged (cross-fitting): the labelled
        pairs fall into ``n_networks`` stratified folds (both orders of a pair,
        and the reverse inferred from a known edge, in one fold), and network k
        trains on every fold but k, from a baseline logit fitted without fold k.
        Each labelled pair then has an out-of-fold logit from the network that
        did not see it: early stopping reads the average precision of those
        logits (of all training pairs, inferred reverses included), and the
        calibration and ``prior_scores_`` use every labelled pair rather than a
        held-out share (the feature scaling and the choice of the baseline's
        columns are shared by all folds). The average of the networks is what
        :meth:`predict_proba` returns. On the 15 settings of the causal quality
        benchmark (p = 30, 30 % prior) five networks raised the mean AUPRC from
        0.773 to 0.792 on the development seeds and from 0.742 to 0.781 on the
        reported ones, for about 4 times the fit time (6.6 s); at p = 1,000 they
        neither helped nor hurt. 1 trains a single network on ``1 -
        validation_fraction`` of the labelled pairs.
    early_stopping : bool, default=True
        Stop when the held-out score has not improved for
        ``n_iter_no_change`` epochs and keep the best weights: the average
        precision of the out-of-fold logits with several networks, the
        held-out loss with one.
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
    calibration : {"auto", "beta", "platt"} or None, default="auto"
        Turn the network's logits into probabilities that match edge rates:
        take the class weights of the loss off the logit, then fit a monotone
        map on labelled pairs the network did not train on (every labelled
        pair, out of fold, with several networks; the held-out pairs with
        one; with ``prior_folds`` every labelled pair, refitted without it):
        ``"beta"`` calibration (Kull et al., 2017; two slopes, for low and
        high probabilities), ``"platt"`` scaling (one slope), or ``"auto"``,
        the beta map moved towards isotonic regression by the weight
        ``n1 / (n1 + 100)`` (``n1`` labelled edges among those pairs): a
        two-parameter map while few edges are labelled, the labels' own
        shape as they grow. At p = 1,000 with a 10 % prior (about 100
        labelled edges) the edge rate levels off over a wide middle band of
        logits, which the beta map alone overstates: on the calibration
        benchmark's seeds 200-202 (``causal_calibration_scale.md``, the same
        fits, before ``edge_rate``) the largest pooled decile gap was 0.064
        with ``"auto"`` and 0.108 with ``"beta"``; at p = 30 the two are
        within a few hundredths.
        With several networks the map is fitted on one network's logit per
        labelled pair (out of fold), so each network's logit of a pair is
        mapped and the probabilities averaged (``calibrator_.per_network_``;
        with ``prior_folds`` the refits' mean logits, so the mean logit is
        mapped); a few pairs change places. With one network the ranking is
        unchanged. With fewer than 5 such edges
        (or absences) only the class weights are taken off, with a warning.
        The ``prior_cleaning`` flags read the beta map (Platt with
        ``"platt"``). None: the network's probabilities, which follow the
        class weights of the loss and so overstate edges (``predict`` and
        ``to_networkx`` then keep far too many). Measured in
        ``benchmarks/results/causal_calibration*.md``.
    edge_rate : "auto", float or None, default="auto"
        Share of edges among the pairs outside the prior, for the calibration.
        The calibration is fitted on labelled pairs and so learns their share of
        edges; a prior read off a database lists known edges more often than
        edges occur among the other pairs (a prior from a few experiments, less
        often), and the probabilities of the other pairs would follow the
        prior's share. ``"auto"``: the share among the unlabelled pairs is
        estimated from their own calibrated probabilities (the EM algorithm of
        Saerens, Latinne & Decaestecker, 2002, on up to 20,000 of them, drawn
        with ``random_state``), and, if a test at the 5 % level tells it from
        the labelled share (a likelihood-ratio test of two shares against one
        for both, which counts the sampling noise of the labelled share as well,
        a sample proportion too; statistic at least 3.84, the chi-square
        quantile with one degree of freedom), the odds of every pair are
        multiplied by the same factor (Bayes' rule with the two base rates);
        their probabilities then add up to the estimated number of edges among
        them. Below that the difference is within the sampling noise of the
        estimate (a random sample of the pairs as prior), and moving every
        probability would only add noise; the labelled share is kept. The
        estimate and its statistic are ``calibrator_.estimated_edge_rate_`` and
        ``calibrator_.edge_rate_statistic_``, used or not. A float in (0, 1):
        that share, known to the user (e.g. a network's density). None: the
        labelled pairs' share. The ranking is the same with each, and
        ``prior_scores_``, which score labelled pairs, are never shifted.
        Ignored with ``calibration=None`` and when too few labelled pairs fit
        the calibration (it warns). The share used is ``edge_rate_``. On
        development seeds 300-301 of the 15 calibration settings (p = 30), with
        priors listing edges at about three times their rate, the pairs with
        P > 0.5 were edges in 69 % of cases against 60 % with None and the
        probabilities summed to 1.17 times the number of edges against 1.60;
        with priors listing them seven times too rarely, 0.50 against 0.42 (the
        estimate moves only part of the way); with random priors 1.17 against
        1.24. The test (its level the textbook 5 %, not tuned) was added after
        the calibration benchmark's seeds 200-202 showed the estimate costing
        calibration on random priors; on the development seeds it kept the
        estimate on 28 of 30 fits with priors listing edges three times too
        often and used it on 3 of 30 with random priors (sums and decile gaps
        within 0.04 of those without the test). See
        ``benchmarks/results/causal_calibration*.md``.
    exclusive_directions : bool, default=False
        A DAG holds at most one of ``i -> j`` and ``j -> i`` (so does its
        ancestral graph), so their probabilities should sum to at most 1;
        the network scores each direction on its own and can give both a
        high probability. True: where ``P[i, j] + P[j, i] > 1``, both are
        divided by their sum (their order is kept; all other pairs are left
        alone), in :meth:`predict_proba` and everything built on it, and in
        :meth:`predict_proba_sparse`. Training is the same either way, so it
        can be switched on a fitted estimator. Keep False for systems with
        feedback, where both directions can be edges. On development seeds
        300-302 of the 15 calibration settings (p = 30, 30 % prior), where
        16 % of the pairs with calibrated P > 0.5 were reversed edges,
        it lowered the largest decile gap of the pooled probabilities from
        0.21 to 0.13 and raised the mean AUPRC from 0.711 to 0.734. On the
        calibration benchmark's seeds 200-202 (``causal_calibration.md``,
        ``excl`` columns) the gain shrank: mean AUPRC 0.849 against 0.842
        (higher in 7 settings, lower in 4), 89 % edges among the pairs with
        P > 0.5 against 83 %, but the pooled 7th decile understated its edge
        rate by 0.12 and the AUPRC fell by more than 0.05 with 20 % wrong
        labels in 6 settings against 3; hence off by default.
    prior_folds : int or None, default=None
        Audit the prior with refits: with k >= 2, k more models are fitted,
        each without a k-th of the labelled pairs, and ``prior_scores_``
        holds for every labelled pair the probability from the model that
        did not see it (see :meth:`prior_conflicts`); unlike the out-of-fold
        scores of ``n_networks``, nothing of such a model (scaling, baseline)
        saw the pair. Costs k more fits. None: the out-of-fold scores of the
        networks (none with ``n_networks=1``).
    prior_cleaning : {"refit"} or None, default="refit"
        Priors read off databases and past experiments hold wrong labels,
        and a wrong edge label weighs much in a class-weighted loss.
        ``"refit"``: after the first fit, the labelled pairs that the
        out-of-fold scores of the networks contradict are left out and the
        networks are fitted again on the rest (one refit; the pair data are
        prepared once). A labelled edge is contradicted when its
        (calibrated) out-of-fold probability is no higher than the average
        of the labelled absences, a labelled absence when its probability is
        at least the average of the labelled edges (the rule of confident
        learning, Northcutt et al., 2021); at most half of either label is
        left out. The pairs left out are in ``prior_dropped_`` and marked in
        :meth:`prior_conflicts`; ``prior_scores_`` and the calibration read
        them at the refit's probability, which no network trained on. On
        development seeds 300-303 of the 6 quick settings of the calibration
        benchmark (p = 30, 30 % prior) the mean AUPRC went from 0.759 to
        0.761 with a clean prior, from 0.709 to 0.755 with 10 % of the labels
        wrong and from 0.655 to 0.704 with 20 %, and the audit's AUPRC for
        the wrong labels from 0.64 to 0.67 and from 0.55 to 0.66; it lost
        AUPRC on clean priors at high signal-to-noise (snr 4: -0.05). See
        ``benchmarks/results/causal_calibration*.md``. It costs a second
        training (not a second preparation or prediction). Needs
        ``n_networks >= 2``; ignored with one network. None: one fit on every
        labelled pair.
    max_train_pairs : int, default=200_000
        Cap on training pairs (stratified subsample, positives kept first),
        which bounds the memory of the training features; the held-out
        validation pairs are capped at ``max_train_pairs // 4`` the same way.
    block_size : int, default=64
        Source variables per feature block; memory grows with
        ``block_size * p * image_size²``. When all pairs are scored, a block
        also holds at most about 65,000 pairs (``2**16 // p`` sources for p
        above 1,024), so memory stays bounded as p grows.
    n_jobs : int, default=None
        joblib workers over feature blocks (None: in-process).
    torch_threads : int or None, default=None
        Torch intra-op threads during fit, predict and score (the previous
        setting is restored afterwards). None keeps torch's setting, which
        follows ``OMP_NUM_THREADS`` and the limits joblib sets in its
        workers. On 2 cores, two threads against one made an epoch 13-23 %
        faster for p = 100 to 1,000 and the prediction of every pair 30 %
        faster at p = 300 and 1,000 (at p = 30 an epoch was 13 % faster and
        the 0.1 s prediction twice as slow). Set 1 when the cores are shared
        with other work (several fits side by side), where several threads
        per process slow down by an order of magnitude.
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
    prior_ : ndarray of shape (p, p), float32
        The prior used in fit (0 / 1 / NaN, diagonal NaN): the array passed
        itself when it is float32 with a NaN diagonal already, else a copy.
    train_pairs_ : ndarray of shape (n_train, 4)
        ``(i, j, label, fold)`` of the training pairs (inferred reverses
        included, with the fold of their positive): ``fold`` is the network
        that does not train on the pair, -1 for none.
    validation_pairs_ : ndarray of shape (n_valid, 4)
        ``(i, j, label, fold)`` of the held-out pairs: with one network, a
        share of the labelled pairs; with several, every training pair, the
        reverses inferred from known edges included (at most
        ``max_train_pairs // 4``, stratified). Early stopping and
        :meth:`score` read the logit of the network of ``fold``.
    pos_weight_ : float
        Weight of the positive pairs in the training loss (1 without
        ``class_weight``).
    calibrator_ : EdgeCalibrator or None
        The calibration (``weight_shift_``, ``coef_``, ``intercept_``,
        ``base_rate_``, ``edge_rate_``); None without calibration.
    edge_rate_ : float or None
        The share of edges among the unlabelled pairs that the probabilities
        assume (see ``edge_rate``); None without calibration.
    prior_scores_ : ndarray of shape (p, p), float32, or None
        The cross-fitted probability of every labelled pair, NaN elsewhere:
        with ``prior_folds``, from models refitted without it; else, with
        ``n_networks >= 2``, from the network of its fold. None with one
        network and no ``prior_folds``.
    prior_dropped_ : ndarray of shape (n_dropped, 2), int64
        ``(i, j)`` of the labelled pairs that ``prior_cleaning`` left out of
        the final fit (empty when none was, or without cleaning).
    featurizer_ : PairFeaturizer
        The pair features: their scaling, learned on the training pairs, and
        the baseline logit (``featurizer_.baseline_``).
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
    equation models", JMLR 14 (2013). Platt, "Probabilistic outputs for
    support vector machines" (1999). Kull, Silva Filho & Flach, "Beta
    calibration", AISTATS (2017).

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
        statistics=None,
        extra_scores=None,
        architecture="full",
        image_size=16,
        bandwidth=1.0,
        image_rows=2048,
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
        n_networks=5,
        early_stopping=True,
        n_iter_no_change=8,
        infer_reverse=True,
        baseline_offset=True,
        knockout_dropout=0.25,
        calibration="auto",
        edge_rate="auto",
        exclusive_directions=False,
        prior_folds=None,
        prior_cleaning="refit",
        max_train_pairs=200_000,
        block_size=64,
        n_jobs=None,
        torch_threads=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.prior = prior
        self.interventions = interventions
        self.labels = labels
        self.statistics = statistics
        self.extra_scores = extra_scores
        self.architecture = architecture
        self.image_size = image_size
        self.bandwidth = bandwidth
        self.image_rows = image_rows
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
        self.n_networks = n_networks
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.infer_reverse = infer_reverse
        self.baseline_offset = baseline_offset
        self.knockout_dropout = knockout_dropout
        self.calibration = calibration
        self.edge_rate = edge_rate
        self.exclusive_directions = exclusive_directions
        self.prior_folds = prior_folds
        self.prior_cleaning = prior_cleaning
        self.max_train_pairs = max_train_pairs
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.torch_threads = torch_threads
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def __getstate__(self):
        # The cached pair data and probabilities of the fit data hold O(n p + p²)
        # numbers; a pickle leaves them out, and they are recomputed on demand.
        state = dict(super().__getstate__())
        if "_cache" in state:
            state["_cache"] = {}
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        tags.requires_fit = True
        return tags

    def _featurizer(self):
        extra = check_extra_scores(self.extra_scores)
        method = self.graph_method
        if method == "auto":
            method = "pcorr" if self.labels == "direct" else "correlation"
        return PairFeaturizer(
            image_size=self.image_size,
            bandwidth=self.bandwidth,
            image_rows=self.image_rows,
            graph_method=method,
            graph_neighbors=self.graph_neighbors,
            images=self.architecture in ("full", "image"),
            statistics=(
                *(DEFAULT_STATISTICS if self.statistics is None else self.statistics),
                *(ExternalScore(name) for name, _ in extra),
            ),
            baseline=self.labels if self.baseline_offset else None,
            block_size=self.block_size,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
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
        check_params(self)
        with self._rollback():
            X, iv, A = check_fit_inputs(self, X, prior, interventions)
            self.device_ = resolve_device(self.device)
            seed = seed_from(self.random_state)
            self.prior_ = A
            self._split(A, seed)
            self._stack_seed = seed
            self._external_fit = self._external(X, iv)
            self.prior_dropped_ = np.empty((0, 2), dtype=np.int64)
            with self._threads():
                data, held_pairs, held_logits = self._fit_network(X, iv, seed)
                if self.prior_cleaning == "refit" and self.n_networks >= 2:
                    data, held_pairs, held_logits = self._clean_prior(
                        X, iv, seed, data, held_pairs, held_logits
                    )
            self.net_.module_.eval()
            self._X_fit, self._interventions_fit = X, iv
            # The fit data's pair data, for predictions on them without a second
            # preparation (not pickled: see __getstate__).
            self._cache = {"data": data}
            self.calibrator_, self.prior_scores_ = None, None
            if self.prior_folds is not None:  # refitted models instead
                held_pairs, held_logits = cross_fitted_prior(self, X, iv, seed)
            if self.calibration is not None:
                self.calibrator_ = EdgeCalibrator(self.calibration).fit(
                    held_logits, held_pairs[:, 2], pos_weight=self.pos_weight_
                )
                # fitted on one network's logit per pair (out of fold): the
                # pairs to predict get the map of each network's logit,
                # averaged, rather than the map of the networks' mean logit,
                # whose spread is narrower (prior_folds: the refits' means)
                self.calibrator_.per_network_ = (
                    self.prior_folds is None and self.n_networks >= 2
                )
                self._set_edge_rate(A, seed)
            self.edge_rate_ = getattr(self.calibrator_, "edge_rate_", None)
            if self.prior_folds is not None or self.n_networks >= 2:
                self.prior_scores_ = prior_scores(
                    A.shape, held_pairs, held_logits, self.calibrator_
                )
        return self

    def _set_edge_rate(self, A, seed):
        """Move the calibration to ``edge_rate`` among the unlabelled pairs
        (estimated from a sample of them with "auto")."""
        calibrator = self.calibrator_
        if self.edge_rate is None or not calibrator.fitted_map_:
            return
        if self.edge_rate != "auto":
            calibrator.set_edge_rate(float(self.edge_rate))
            return
        src, dst = np.nonzero(np.isnan(A) & ~np.eye(A.shape[0], dtype=bool))
        if src.size == 0:
            return
        rng = np.random.default_rng(seed)
        if src.size > _EDGE_RATE_PAIRS:
            keep = np.sort(rng.choice(src.size, _EDGE_RATE_PAIRS, replace=False))
            src, dst = src[keep], dst[keep]
        logits = self._pair_logits(np.column_stack([src, dst]), per_network=True)
        proba = _calibrated(calibrator, logits, shift=False)
        base = calibrator.base_rate_
        rate = estimate_edge_rate(proba, base)
        statistic = edge_rate_statistic(proba, rate, base, calibrator.n_pairs_)
        # kept for the user: the estimate and its evidence, used or not
        calibrator.estimated_edge_rate_ = rate
        calibrator.edge_rate_statistic_ = statistic
        used = statistic >= SHIFT_CHI2  # else within sampling noise of the base
        if used:
            calibrator.set_edge_rate(rate)
        if self.verbose:
            print(
                f"edge_rate: labelled share of edges {base:.4g}, estimated among "
                f"{src.size} unlabelled pairs {rate:.4g} (test statistic "
                f"{statistic:.2f}, {'used' if used else 'not used'}; threshold "
                f"{SHIFT_CHI2})",
                flush=True,
            )

    def _split(self, A, seed, exclude=None):
        """Set ``train_pairs_`` and ``validation_pairs_`` from the prior A,
        without the pairs ``exclude`` (k, 2) (not even as inferred reverses)."""
        tr, va = split_pairs(
            A,
            check_random_state(seed),
            validation_fraction=self.validation_fraction,
            infer_reverse=self.infer_reverse,
            max_train_pairs=self.max_train_pairs,
            n_networks=self.n_networks,
        )
        if exclude is not None:
            keys = pair_keys(exclude)
            tr, va = (pairs[~np.isin(pair_keys(pairs), keys)] for pairs in (tr, va))
        self.train_pairs_, self.validation_pairs_ = tr, va

    def _clean_prior(self, X, iv, seed, data, held_pairs, held_logits):
        """Refit without the labelled pairs the out-of-fold scores contradict.

        Returns the refit's pair data and the labelled pairs with their
        cross-fitted logits: out of fold for the pairs kept, the refit's
        (which no network trained on) for the pairs left out.
        """
        # the flags read the beta map ("platt" if asked for), whatever the
        # final calibration: the cleaning rule was set on it
        calibrator = EdgeCalibrator("platt" if self.calibration == "platt" else "beta")
        with warnings.catch_warnings():  # too few labels: the flags read raw odds
            warnings.simplefilter("ignore", UserWarning)
            calibrator.fit(held_logits, held_pairs[:, 2], pos_weight=self.pos_weight_)
        flag = contradicted_labels(held_pairs[:, 2], calibrator.transform(held_logits))
        if not flag.any():
            return data, held_pairs, held_logits
        dropped = held_pairs[flag]
        src, dst = dropped[:, 0].astype(np.int64), dropped[:, 1].astype(np.int64)
        if self.verbose:
            n_edges = int(dropped[:, 2].sum())
            n_absent = int(flag.sum()) - n_edges
            print(
                f"prior_cleaning: the out-of-fold scores contradict {flag.sum()} of "
                f"{flag.size} labelled pairs ({n_edges} "
                f"{'edge' if n_edges == 1 else 'edges'}, {n_absent} "
                f"{'absence' if n_absent == 1 else 'absences'}); refitting "
                "without them",
                flush=True,
            )
        A = self.prior_.copy()
        A[src, dst] = np.nan
        self._split(A, seed, exclude=np.column_stack([src, dst]))
        data, held_pairs, held_logits = self._fit_network(X, iv, seed, data=data)
        feats = self.featurizer_.transform(data, np.column_stack([src, dst]))
        module = self.net_.module_
        logits = pair_probabilities(
            module, feats, self.device_, INFERENCE_PAIRS, logits=True
        )
        self.prior_dropped_ = np.column_stack([src, dst])
        return (
            data,
            np.vstack([held_pairs, dropped[:, : held_pairs.shape[1]]]),
            np.concatenate([held_logits, logits]),
        )

    def _fit_network(self, X, iv, seed, data=None):
        """Train the network(s); returns the pair data (prepared unless given)
        and the held-out pairs with their out-of-fold logits (for the
        calibration and the audit)."""
        tr, va = self.train_pairs_, self.validation_pairs_
        y_tr = tr[:, 2].astype(np.float32)
        n_pos = float(y_tr.sum())
        pos_weight = 1.0
        if self.class_weight == "balanced" and n_pos > 0:
            pos_weight = (len(y_tr) - n_pos) / n_pos
        self.pos_weight_ = float(pos_weight)
        self.featurizer_ = featurizer = self._featurizer()
        if data is None:
            data = featurizer.prepare(X, iv, self._external_fit)
        weights = np.where(y_tr == 1, pos_weight, 1.0)
        if self.n_networks >= 2:
            # every labelled pair trains some network: one scaling and one
            # baseline for all, and the held-out pairs are among the training
            # ones (each scored by the network of its fold)
            train_feats = featurizer.fit(
                data, tr, weights, folds=tr[:, 3], n_folds=self.n_networks
            )
            held_out = np.flatnonzero(labelled_rows(tr, self.prior_))
            held_pairs = tr[held_out]
            at = positions(tr, va)
            valid_feats = {
                k: None if v is None else v[at] for k, v in train_feats.items()
            }
        else:
            train_feats, valid_feats = featurizer.fit(data, tr, weights, held_out=va)
            held_pairs = va
        train_feats["fold"] = tr[:, 3].astype(np.int64)
        if valid_feats is not None:
            valid_feats["fold"] = va[:, 3].astype(np.int64)
        train_ds = PairDataset(
            train_feats,
            tr[:, 2:4],
            mask=featurizer.knockout_mask(data, self.knockout_dropout),
            seed=seed,
        )
        valid_ds = None
        if len(va):
            valid_ds = PairDataset(valid_feats, va[:, 2:4])
        batch_size, epoch_pairs = epoch_plan(
            len(y_tr), self.batch_size, self.max_epoch_pairs
        )
        with torch_rng(seed, self.device_) as generator:
            # The criterion as a class with a float parameter: its weight lives
            # in criterion_, which skorch moves to (and unpickles on) the device.
            self.net_ = self._make_net(
                CausalPairModule,
                WeightedBCEWithLogitsLoss,
                generator=generator,
                valid_dataset=valid_ds,
                valid_score=(
                    ("valid_ap", out_of_fold_precision)
                    if self.n_networks >= 2
                    else None
                ),
                architecture=self.architecture,
                n_channels=N_CHANNELS,
                image_size=self.image_size,
                n_scalars=len(featurizer.scalar_names),
                n_graph_scalars=len(featurizer.graph_names),
                n_node_features=len(NODE_FEATURE_NAMES),
                cnn_channels=self.cnn_channels,
                gnn_layers=self.gnn_layers,
                hidden_dim=self.hidden_dim,
                dropout=self.dropout,
                n_networks=self.n_networks,
            )
            self.net_.set_params(
                batch_size=batch_size,
                iterator_train__shuffle=False,
                iterator_train__sampler=EpochSampler(len(y_tr), epoch_pairs, generator),
                iterator_train__collate_fn=as_batch,
                iterator_valid__collate_fn=as_batch,
                criterion__pos_weight=float(pos_weight),
            )
            self.net_.initialize()
            self._set_graph(data)
            self.history_ = self._train(self.net_, train_ds)
        # The held-out pairs' features are no longer needed by the net: let
        # them go (memory, pickles).
        self.net_.train_split = None
        module, step = self.net_.module_, INFERENCE_PAIRS
        if self.n_networks >= 2:  # out of fold: every training pair, then the
            # labelled ones (the features are already at hand, no copy)
            held_logits = pair_probabilities(
                module, train_feats, self.device_, step, logits=True
            )[held_out]
        elif len(held_pairs):
            held_logits = pair_probabilities(
                module, valid_feats, self.device_, step, logits=True
            )
        else:
            held_logits = np.empty(0)
        return data, held_pairs, held_logits

    def _set_graph(self, data):
        nodes, masked = self.featurizer_.node_inputs(data)
        self.net_.module_.set_graph(
            torch.as_tensor(nodes, dtype=torch.float32),
            torch.as_tensor(data.edge_index),
            torch.as_tensor(masked, dtype=torch.float32),
        )

    # ------------------------------------------------------------------ predict
    def _per_network(self, feats):
        """Whether the calibration maps each network's logit of these pairs
        (it was fitted on single networks' out-of-fold logits) rather than
        their mean; not for pairs that already name their network."""
        return (
            getattr(self.calibrator_, "per_network_", False)
            and "fold" not in feats
            and self.net_.module_.n_networks > 1
        )

    def _logits(self, feats):
        """Logits of a block of scaled pair features: (m,) float64, the mean of
        the networks, or (m, n_networks) where the calibration maps each."""
        step, module = INFERENCE_PAIRS, self.net_.module_
        if not self._per_network(feats):
            return pair_probabilities(module, feats, self.device_, step, logits=True)
        n = len(feats["src"])
        return np.column_stack(
            [  # fold k picks network k alone (evaluation mode)
                pair_probabilities(
                    module,
                    {**feats, "fold": np.full(n, k, dtype=np.int64)},
                    self.device_,
                    step,
                    logits=True,
                )
                for k in range(module.n_networks)
            ]
        )

    def _probabilities(self, feats):
        """Run the network on a block of scaled pair features: (m,) float64."""
        if self.calibrator_ is None:
            module = self.net_.module_
            return pair_probabilities(module, feats, self.device_, INFERENCE_PAIRS)
        return _calibrated(self.calibrator_, self._logits(feats))

    def _pair_logits(self, pairs, *, per_network=False):
        """Network logits of the given pairs (n, 2+) from the fit data: their
        mean, or with ``per_network`` what the calibration maps (see
        :meth:`_logits`)."""
        with self._threads():
            data = self._data_for(None, None)
            feats = self.featurizer_.transform(data, pairs)
            if per_network:
                return self._logits(feats)
            module = self.net_.module_
            step = INFERENCE_PAIRS
            return pair_probabilities(module, feats, self.device_, step, logits=True)

    def _data_for(self, X, interventions):
        """Prepared pair data of the rows X (None: the fit data), graph set."""
        check_is_fitted(self, "net_")
        if X is None:
            if interventions is not None:
                raise ValueError("interventions were given without X.")
            data = self._cache.get("data")
            if data is not None:
                self._set_graph(data)
                return data
            X, iv = self._X_fit, self._interventions_fit
            external = self._external_fit
        else:
            X = validate_X(self, X, reset=False)
            n, p = X.shape
            iv = check_interventions(interventions, n, p, self.variable_names_)
            external = self._external(X, iv)
        data = self.featurizer_.prepare(X, iv, external)
        self._set_graph(data)
        return data

    def _external(self, X, iv):
        """The extra scorers' matrices for rows X, labelled pairs cross-fitted."""
        return cross_fitted_scores(
            check_extra_scores(self.extra_scores),
            X,
            self.prior_,
            iv,
            np.random.default_rng(self._stack_seed),
        )

    def _proba_blocks(self, X, interventions, screen=None):
        """``(src, dst, proba)`` of every ordered pair (or, with ``screen``, of
        the candidate pairs of :meth:`candidate_pairs`), a source block at a time."""
        with self._threads():
            data = self._data_for(X, interventions)
            if screen is None:
                blocks = self.featurizer_.iter_all_pairs(data)
            else:
                src, dst = screen_pairs(data, screen)
                blocks = self.featurizer_.iter_pairs(data, src, dst)
            for src, dst, feats in blocks:
                yield src, dst, self._probabilities(feats)

    def candidate_pairs(self, screen, X=None, *, interventions=None):
        """The pairs that ``predict_proba_sparse(screen=screen)`` scores.

        Every variable's ``screen`` strongest partners by absolute partial
        correlation, by absolute correlation and, for a knocked-out variable,
        by how far its knock-outs shift them; a pair listed by either of its
        variables is a candidate in both orders. The screen reads matrices
        the features need anyway, so it costs little next to the network.

        Parameters
        ----------
        screen : int >= 1
            Partners per variable and per score.
        X, interventions : default=None
            As in :meth:`predict_proba`.

        Returns
        -------
        pairs : ndarray of int64 of shape (m, 2)
            ``(cause, effect)`` candidates, sorted; at most ``6 · screen · p``.
        """
        screen = check_int(screen, "screen", 1)
        with self._threads():
            src, dst = screen_pairs(self._data_for(X, interventions), screen)
        return np.column_stack([src, dst])

    def _proba_matrix(self, X, interventions, out=None):
        p = self.n_features_in_
        P = np.zeros((p, p), dtype=np.float64) if out is None else out
        for src, dst, proba in self._proba_blocks(X, interventions):
            P[src, dst] = proba
        np.fill_diagonal(P, 0.0)
        return P

    def predict_proba(self, X=None, *, interventions=None, out=None):
        """Probability of ``i -> j`` for every ordered pair.

        Parameters
        ----------
        X : array-like of shape (n_rows, p), default=None
            Rows to compute the pair features from (same variables as in
            fit); None uses the data seen in fit (computed once, cached).
        interventions : array-like of shape (n_rows,), default=None
            Knock-out targets of the rows of X (None: all observational).
        out : ndarray or numpy.memmap of shape (p, p), default=None
            Preallocated float array (e.g. float32, or a memory-mapped file
            from ``np.lib.format.open_memmap``) written block by block and
            returned; nothing else of size ``p²`` is held. None: a new
            float64 array. float32 keeps about 7 digits: probabilities within
            6e-8 of 1 (possible with ``calibration=None``) round to 1 and tie.

        Returns
        -------
        P : ndarray of shape (p, p)
            ``P[i, j]`` = probability of ``i -> j`` (in [0, 1]); the
            diagonal is 0. With ``exclusive_directions``,
            ``P[i, j] + P[j, i] <= 1``.

        See Also
        --------
        predict_proba_sparse : only the likely edges, for very many variables.
        """
        check_is_fitted(self, "net_")
        if out is not None:
            p = self.n_features_in_
            ok = (
                isinstance(out, np.ndarray)
                and out.shape == (p, p)
                and out.dtype.kind == "f"
                and out.flags.writeable
            )
            if not ok:
                raise ValueError(
                    f"out must be a writeable float ndarray or memmap of shape (p, p) "
                    f"= ({p}, {p}), e.g. np.empty(({p}, {p}), dtype=np.float32); got "
                    f"{type(out).__name__} {getattr(out, 'shape', '')} "
                    f"{getattr(out, 'dtype', '')}"
                )
            if X is None and interventions is None and "proba" in self._cache:
                out[...] = self._cache["proba"]
                return self._exclusive(out)
            return self._exclusive(self._proba_matrix(X, interventions, out))
        if X is None and interventions is None:
            if "proba" not in self._cache:
                self._cache["proba"] = self._proba_matrix(None, None)
            return self._exclusive(self._cache["proba"].copy())
        return self._exclusive(self._proba_matrix(X, interventions))

    def _exclusive_on(self):
        """Whether ``exclusive_directions`` is on (checked: it may be set
        after fit)."""
        problem = flag_problem(self.exclusive_directions, "exclusive_directions")
        if problem:
            raise ValueError(problem)
        return bool(self.exclusive_directions)

    def _exclusive(self, P):
        """P with ``exclusive_directions`` applied (in place) when it is on."""
        return exclusive_directions(P) if self._exclusive_on() else P

    def predict_proba_sparse(
        self, X=None, *, interventions=None, threshold=None, top_k=None, screen=None
    ):
        """The likely edges only, as a sparse matrix, in memory ``O(p · top_k)``.

        Every ordered pair is scored, one block of sources at a time, but only
        these pairs are kept: those with probability >= ``threshold``, the
        ``top_k`` most probable effects of every variable and its ``top_k``
        most probable causes. For numbers of variables where a dense
        ``(p, p)`` matrix does not fit in memory.

        With ``screen``, only the candidate pairs of :meth:`candidate_pairs`
        go through the network (about ``6 · screen · p`` pairs instead of
        ``p²``): the network's share of the cost then grows like ``p``. The
        pair statistics still multiply each block of sources with every
        variable, so the rest grows like ``n p²``. A true edge outside the
        candidates is lost; the user guide reports how many the screen loses.

        Parameters
        ----------
        X, interventions : default=None
            As in :meth:`predict_proba`.
        threshold : float in [0, 1], default=None
            Keep every pair with at least this probability.
        top_k : int >= 1, default=None
            Keep each variable's ``top_k`` most probable effects and causes.
            At least one of ``threshold`` and ``top_k`` must be given.
        screen : int >= 1, default=None
            Score only the candidate pairs, each variable's ``screen``
            strongest partners by three cheap scores (:meth:`candidate_pairs`);
            None scores every pair. ``threshold=0`` then returns every
            scored candidate.

        Returns
        -------
        P : scipy.sparse.csr_matrix of shape (p, p), float32
            The kept probabilities (row = cause); pairs not kept are absent.
            Use ``to_frame``-like edge lists with ``P.tocoo()``. With
            ``exclusive_directions``, the kept pairs carry the corrected
            probabilities (reverses that were not kept are scored for it);
            pairs are chosen before the correction, which only lowers them,
            so with ``threshold`` alone those that fall below it are dropped,
            while ``top_k`` keeps its choice.
        """
        check_is_fitted(self, "net_")
        p = self.n_features_in_
        if threshold is None and top_k is None:
            raise ValueError(
                "predict_proba_sparse needs threshold (e.g. 0.5) or top_k (e.g. "
                "10), or both; for every pair use predict_proba."
            )
        if threshold is not None and not (
            isinstance(threshold, numbers.Real) and 0.0 <= threshold <= 1.0
        ):
            raise ValueError(f"threshold must be a number in [0, 1]; got {threshold!r}")
        if top_k is not None and not (
            isinstance(top_k, numbers.Integral) and top_k >= 1
        ):
            raise ValueError(f"top_k must be an integer >= 1; got {top_k!r}")
        screen = None if screen is None else check_int(screen, "screen", 1)
        k = None if top_k is None else int(min(top_k, p - 1))
        rows, cols, vals = [], [], []
        if k is not None:  # running top-k causes of every effect
            best = np.full((k, p), -1.0, dtype=np.float32)
            best_src = np.zeros((k, p), dtype=np.int64)
        for src, dst, proba in self._proba_blocks(X, interventions, screen):
            proba = np.where(src == dst, -1.0, proba).astype(np.float32)
            keep = np.zeros(proba.size, dtype=bool)
            if threshold is not None:
                keep |= proba >= threshold
            if k is not None:
                block = np.unique(src)
                M = np.full((block.size, p), -1.0, dtype=np.float32)
                M[np.searchsorted(block, src), dst] = proba
                top = np.argpartition(-M, k - 1, axis=1)[:, :k]  # effects per cause
                sel = np.zeros_like(M, dtype=bool)
                np.put_along_axis(sel, top, True, axis=1)
                keep |= sel[np.searchsorted(block, src), dst]
                both = np.vstack([best, M])
                both_src = np.vstack([best_src, np.repeat(block[:, None], p, 1)])
                idx = np.argpartition(-both, k - 1, axis=0)[:k]
                best = np.take_along_axis(both, idx, axis=0)
                best_src = np.take_along_axis(both_src, idx, axis=0)
            keep &= src != dst
            rows.append(src[keep])
            cols.append(dst[keep])
            vals.append(proba[keep])
        if k is not None:
            ok = best >= 0
            rows.append(best_src[ok])
            cols.append(np.broadcast_to(np.arange(p), best.shape)[ok])
            vals.append(best[ok])
        rows, cols, vals = (np.concatenate(v) for v in (rows, cols, vals))
        key, first = np.unique(rows * p + cols, return_index=True)
        rows, cols, vals = key // p, key % p, vals[first]
        if self._exclusive_on():
            vals = self._exclusive_kept(rows, cols, vals, X, interventions)
            if top_k is None:  # the correction only lowers: drop what fell below
                keep = vals >= threshold
                rows, cols, vals = rows[keep], cols[keep], vals[keep]
        return sparse.csr_matrix((vals, (rows, cols)), shape=(p, p), dtype=np.float32)

    def _exclusive_kept(self, rows, cols, vals, X, interventions):
        """``exclusive_directions`` on the kept pairs of a sparse prediction:
        the reverses that were not kept are scored now."""
        if vals.size == 0:
            return vals
        p = self.n_features_in_
        key = rows * p + cols  # sorted
        reverse = cols * p + rows
        pos = np.searchsorted(key, reverse).clip(max=key.size - 1)
        known = key[pos] == reverse
        back = np.where(known, vals[pos], 0.0).astype(np.float64)
        missing = ~known
        if missing.any():
            pairs = np.column_stack([cols[missing], rows[missing]])
            with self._threads():
                data = self._data_for(X, interventions)
                feats = self.featurizer_.transform(data, pairs)
                back[missing] = self._probabilities(feats)
        return (vals * exclusive_factors(vals, back)).astype(np.float32)

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
        labels, proba = self.held_out_proba(X, interventions=interventions)
        return float(roc_auc_score(labels, proba))

    def held_out_proba(self, X, *, interventions=None):
        """Labels and probabilities of the held-out labelled pairs.

        What :meth:`score` and :func:`held_out_scorer` evaluate: the pairs of
        ``validation_pairs_`` (all labelled pairs, with a warning, when those
        do not hold both labels), with features from the rows X.

        Returns
        -------
        labels : ndarray of shape (n_pairs,)
        proba : ndarray of shape (n_pairs,)
        """
        check_is_fitted(self, "net_")
        pairs = scored_pairs(self.train_pairs_, self.validation_pairs_)
        with self._threads():
            data = self._data_for(X, interventions)
            feats = self.featurizer_.transform(data, pairs)
            feats["fold"] = pairs[:, 3].astype(np.int64)  # out-of-fold networks
            proba = self._probabilities(feats)
        return pairs[:, 2], proba
