"""`LatentDynamicsRegressor`: the scikit-learn surface of the latent dynamics model.

The parts live next to it: validation, normalisation and training windows in
``_data.py``, the torch module in ``_module.py`` (and the ODE/GRU time maps in
``_latent_ode.py``), forecasting in ``_forecast.py``.
"""

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from skorch.helper import predefined_split

from .._base import TorchEstimatorMixin, resolve_device, seed_from, torch_rng
from .._validation import check_int
from ..metrics import normalized_mse
from ._data import (
    check_context,
    check_fit_trajectories,
    check_obs_shape,
    check_params,
    check_query_times,
    check_scored,
    check_symmetries,
    check_times,
    curriculum_stages,
    frame_observed,
    frame_statistics,
    max_window_span,
    module_params,
    standardize,
    unstandardize,
    window_datasets,
)
from ._forecast import Forecaster
from ._module import LatentDynamicsLoss, LatentDynamicsModule

__all__ = ["LatentDynamicsRegressor"]

_CALIBRATION_INSTANCES = 64  # training instances whose forecasts calibrate the std
_Z90 = 1.6448536269514722  # half-width of the central 90 % normal interval


class LRSchedule(Callback):
    """Learning rate over the optimisation steps of one ``fit`` (or
    ``partial_fit``) call of ``epochs`` epochs, set before each step.

    ``"cosine"``: ``lr · ½(1 + cos(π s / S))`` at step s of S. ``"anneal"``:
    ``lr`` for the first three quarters of the steps, then a straight line
    down to 0 at the last step.
    """

    ANNEAL_FRACTION = 0.25  # share of the steps over which "anneal" decays
    kind, per_epoch = "cosine", None  # what a pickled CosineSchedule lacks

    def __init__(self, kind, lr, epochs):
        self.kind = kind
        self.restart(lr, epochs)

    def restart(self, lr, epochs):
        self.lr, self.epochs, self.done, self.per_epoch = lr, epochs, 0, None

    def on_train_begin(self, net, X=None, **kwargs):
        # windows per epoch / batch size; the same in every stage of a fit
        self.per_epoch = max(1, math.ceil(len(X) / int(net.batch_size)))

    def factor(self, frac):
        if self.kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * frac))
        return min(1.0, (1.0 - frac) / self.ANNEAL_FRACTION)

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training:
            return
        total = max(1, self.epochs * (self.per_epoch or 1))
        rate = self.lr * self.factor(min(self.done / total, 1.0))
        for group in net.optimizer_.param_groups:
            group["lr"] = rate
        self.done += 1


CosineSchedule = LRSchedule  # the name older pickles refer to


class LatentDynamicsRegressor(
    TorchEstimatorMixin, RegressorMixin, TransformerMixin, BaseEstimator
):
    """Predict new trajectories at any continuous time from a short context.

    One model is learned from many instances (trajectories) of a dynamical
    system. A new instance is summarised by an instance encoding ψ inferred from
    a few context frames. A shared, solver-free time map
    z(t) = F(ψ, osc(ψ, t − t0)), where ψ sets the frequencies and phases of a
    few oscillators and their locked harmonics, and a decoder then give the
    frames at any set of real query times in one batched pass.

    Parameters
    ----------
    dynamics : {"direct", "ode", "gru"}, default="direct"
        How the latent state z(t) follows from ψ. ``"direct"``: the
        solver-free time map z(t) = F(ψ, osc(ψ, t − t0)), any time in one pass.
        ``"ode"``: a latent ODE dz/dt = f(z) from z(0) = g(ψ), integrated with
        ``ode_solver`` at a step of one frame spacing. ``"gru"``: a
        discrete-time GRU recurrence, one step per frame spacing, linearly
        interpolated between steps (convolutional on a latent grid). ODE and
        GRU extrapolate by stepping on (no rolling); they are the baselines
        the direct map is measured against, and a parameter so that
        ``GridSearchCV`` can compare them.
    ode_solver : str, default="rk4"
        Integrator of ``dynamics="ode"``: ``"rk4"`` (fixed step, plain torch)
        or a method of ``torchdiffeq.odeint`` such as ``"dopri5"`` (adaptive;
        needs the optional torchdiffeq package). Ignored otherwise.
    n_context : int, default=10
        Number of context frames encoded into ψ.
    latent_dim : int, default=16
        Size of ψ and of the latent state z; with ``latent_layout="grid"``,
        their number of channels per grid cell.
    latent_layout : {"global", "grid"}, default="global"
        ``"global"``: ψ and z are vectors, for systems with a few degrees of
        freedom however large the frames (a pendulum video). ``"grid"``
        (images and fields only): ψ and z are maps of ``latent_dim`` channels
        on a grid of cells ``latent_stride`` pixels apart, each cell encoded
        from its own context tokens and evolved by a CNN time map, for
        spatially extended systems whose state is a whole field (reaction–
        diffusion, fluids), where a global vector cannot hold the initial
        condition.
    latent_stride : int, default=2
        Pixels per latent-grid cell along each side, a power of two (only
        used with ``latent_layout="grid"``).
    token_dim : int, default=64
        Width of the frame tokens in the attention encoder.
    hidden_dim : int, default=128
        Width of hidden layers (feed-forward, time map, vector MLPs).
    conv_channels : int, default=16
        Base channel width of the image tokenizer and decoder.
    n_heads : int, default=4
        Attention heads; must divide ``token_dim``.
    n_layers : int, default=2
        Transformer blocks; the first attends within ``attention_window``.
    attention_window : float, default=None
        Half-width of the first block's local window, in units of the median
        frame spacing. None means 3.
    context_motion : bool, default=True
        The encoder also reads how each context frame changed since the one
        before it: the rate (x_k − x_{k−1}) / (t_k − t_{k−1}) goes through a
        tokenizer of its own, and its token is added to frame k's (nothing is
        added for the first frame, or where either frame is unobserved). A
        frame's token says where the system is; the rate says where it is
        going, read from pixel or value differences rather than from
        differences of the nonlinear tokens.
        On the 32×32 pendulum videos of the dynamics benchmark (50 epochs,
        six seeds the benchmark does not use) it lowered the test nMSE from
        0.516 to 0.411 on average (on five of the six); reaction–diffusion
        fields (grid layout, three seeds) 0.066 to 0.062, Lotka–Volterra
        (six seeds) 0.053 either way; an epoch costs about 1.1 times as much.
        False leaves the frame tokens alone.
    n_frequencies : int, default=16
        sin/cos pairs of the time encoding.
    n_oscillators : int, default=None
        Fundamentals of the time map (``dynamics="direct"``): oscillators
        whose frequency and phase ψ sets, starting log-spaced between
        ``min_period`` and ``max_period``. None means 4 with
        ``latent_layout="global"`` and ``n_frequencies`` on a grid.
    n_harmonics : int, default=None
        Harmonics k = 1 … ``n_harmonics`` of each fundamental, locked to its
        phase, so a periodic but anharmonic path repeats with the instance's
        own period (those with periods under 2.5 frame spacings are left out).
        None means 6 with ``latent_layout="global"`` and 1 on a grid. With
        the global layout the time map sees τ only through these
        oscillators; on a grid also through the fixed time encoding. Against
        the earlier map (16 single oscillators plus the fixed encoding), 4
        fundamentals with 6 harmonics gave test nMSE 0.497 against 0.558 on
        pendulum videos (6 development seeds, 50 epochs, lower on each) and
        0.529 against 0.561 on the benchmark's 3 seeds (lower on each); 0.368
        against 0.413 on damped pendulum videos (2 seeds); but 0.053 against
        0.047 on Lotka–Volterra (benchmark seeds; 0.053 against 0.049 on the
        development seeds). On reaction–diffusion grids harmonics were worse
        (0.071 against 0.067, 3 seeds), hence the grid default.
    min_period : float, default=None
        Shortest period of the time encoding, in the units of ``times``. None
        means 4 median frame spacings: shorter periods alias between frames.
    max_period : float, default=None
        Longest period, in the units of ``times``. None means twice the longest
        trained window.
    horizon : int, default=None
        Frames predicted after the context in each training window (the
        multiple-shooting window length). None means the whole trajectory
        after the context.
    curriculum : bool, default=False
        Grow the training horizon 1, 2, 4, … up to ``horizon`` over the first
        half of the epochs. Off by default: with a small budget it spends most
        epochs on short horizons. On the dynamics benchmark's pendulum videos
        (50 epochs, twelve seeds it does not use) it raised the mean test
        nMSE from 0.373 to 0.410, lower on 3 of 12: it rescued a fit that
        otherwise stayed in its slow start (0.665 to 0.474) and raised most
        others.
    frames_per_window : int, default=20
        Frames of each training window (context plus horizon) decoded per
        step, drawn at random: an unbiased estimate of the reconstruction loss
        that cuts the decoder's cost, which dominates a step. None decodes all.
    random_starts : bool, default=False
        Start each training window at a random frame of its trajectory also
        at the full horizon (``horizon=None``): a window starting at frame s
        then has the context ``[s, s + n_context)`` and the rest of the
        trajectory as its query frames (at least half the horizon and at
        least ``frames_per_window`` frames), so every instance gives many
        distinct contexts. Only valid for autonomous systems, whose dynamics
        do not depend on absolute time. Off by default: on 200 pendulum
        videos (one seed) it raised the test nMSE after 50 epochs from 0.58
        to 0.63, the windows being harder to fit in that budget, and lowered
        it after 100 epochs from 0.56 to 0.55, where it also raised the
        held-out R² of a linear probe of gravity on ψ from 0.49 to 0.68.
        With ``context_motion=True`` it raised the test nMSE after 50 epochs
        from 0.411 to 0.636 (six seeds the benchmark does not use, higher on
        each), and on Lotka–Volterra from 0.053 to 0.060.
        With a ``horizon`` shorter than the trajectories, windows start at
        random frames whatever this is.
    windows_per_instance : int, default=1
        Training windows drawn from each instance per epoch, each at its own
        random start: an epoch takes this many times more steps. (Two
        windows of 12 decoded frames instead of one of 20 cost 1.3 times as
        much per epoch on pendulum videos and did not forecast better.)
    symmetries : list of str, default=None
        Symmetries of the system, for images and fields: maps that carry
        every trajectory to another trajectory of the same system. Each
        training window is transformed by a random element of the group they
        generate, the same map for all its frames, so the model sees new
        instances at no extra cost per epoch. Names:

        - ``"flip_lr"``: mirror left–right (a pendulum swinging about a
          vertical axis through the image centre);
        - ``"flip_ud"``: mirror top–bottom;
        - ``"rot90"``: rotations by multiples of 90° (square frames);
        - ``"translate"``: periodic shifts (fields on a periodic domain).

        Every name must hold for the system, its forcing and the way it is
        observed: a pendulum with its pivot off the centre line is not
        mirror-symmetric in the image. None uses the data as given.
        Measured on the dynamics benchmark's systems, on seeds its table does
        not use, defaults otherwise: on reaction–diffusion fields (grid
        layout, 30 epochs, 3 seeds) all four names lowered the test nMSE from
        0.056 to 0.054 (lower on each); on pendulum videos (50 epochs, 12
        seeds) ``["flip_lr"]`` moved it from 0.373 to 0.354 but was lower on
        only 5 of 12 (median 0.33 either way: it changed which fits end far
        above the rest). On the two seeds measured for the latent GRU it
        lowered ours from 0.41 to 0.28 and the GRU from 0.49 to 0.37.
    consistency_weight : float, default=0.1
        Weight of the consistency term: each window's latent path is pulled
        towards the per-frame latent states read from the observed frames one
        at a time, so all windows of an instance agree with one per-time
        posterior. 0 switches the term, and the per-frame reconstruction that
        comes with it, off.
    kl_weight : float, default=0.01
        Weight of the N(0, I) prior on ψ. 1 gives the exact negative ELBO per
        element; the default below 1 keeps ψ from collapsing onto the prior
        early in training, when the decoder cannot use it yet (measured on
        sinusoids: 1 collapsed, 0.01 learned).
    dropout : float, default=0.0
        Dropout rate in attention, feed-forward and time-map layers. Off by
        default: against 0.1 (50 epochs, seeds the dynamics benchmark does
        not use), 0 lowered the test nMSE on pendulum videos from 0.411 to
        0.376 (six seeds, lower on five), on Lotka–Volterra from 0.053 to
        0.049 (six seeds, lower on four) and on reaction–diffusion fields
        from 0.062 to 0.060 (three seeds), at 0.86 to 0.98 times the
        seconds per epoch (``dynamics="gru"`` and ``"ode"`` share the encoder
        and its dropout).
    n_posterior_samples : int, default=20
        ψ samples used by ``predict(..., return_std=True)``.
    calibrate_std : bool, default=True
        Rescale the predictive std of ``predict(..., return_std=True)`` by the
        factor ``std_scale_`` that makes its central 90 % normal intervals
        cover 90 % of the values, measured at the end of ``fit`` on forecasts
        of up to 64 training instances from their first context frames (not
        held out, so it relies on training and test errors being alike).
        False keeps the raw std (factor 1). The raw intervals were far too
        wide (factors 0.12 to 0.16 on pendulum videos, 0.44 on
        Lotka-Volterra, 0.36 on reaction-diffusion fields): calibrated, their
        90 % intervals covered 85 to 90 % of held-out values.
    refine_steps : int, default=20
        Gradient (Adam) steps that refine ψ of each new instance at predict
        and transform time, so that the frames decoded at the context times
        fit the observed context frames, with the encoder's posterior as the
        prior (a MAP estimate); only ψ moves, the weights do not. 0 uses the
        encoder's ψ as is. With the same weights, 20 steps changed the test
        nMSE on 200 pendulum videos from 0.581 to 0.560 and from 0.607 to
        0.619 (two seeds, 50 epochs; 0.557 to 0.530 after 100 epochs), and
        lowered it by 1 to 3 % on Lotka-Volterra and reaction-diffusion; they
        cost 20 forward and backward passes of the context frames per predict
        or transform call (they doubled the time of 1,000 queries).
    refine_lr : float, default=0.05
        Step size of those refinement steps.
    extrapolation : {"roll", "raise"}, default="roll"
        Query times later than the longest trained window: ``"roll"`` predicts
        to the end of that window, re-encodes the predicted frames as a new
        context and continues; ``"raise"`` refuses with a ValueError.
    max_epochs : int, default=100
        Training epochs of ``fit`` (and of ``partial_fit`` unless told).
    batch_size : int, default=8
        Windows per optimisation step. Small batches (more steps per epoch)
        learned faster per epoch and per second on CPU: on the 32×32 pendulum
        videos of the dynamics benchmark (gravity and length vary), 50 epochs
        reached test nMSE 0.52 / 0.59 (seeds 0 / 1) with 8 against 0.57 /
        0.62 with 16 and 0.55 (seed 0) with 4, at 1.1× and 1.4× the seconds
        per epoch of 16; Lotka–Volterra 0.046 against 0.054 (1.5× the
        seconds per epoch), reaction–diffusion 0.064 against 0.089 (1.05×).
        A larger learning rate instead (2e-3, 3e-3) was worse (0.63, 0.66).
    optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch optimizer class, \
            default="adamw"
        Optimizer of the network (a ``torch.optim.Optimizer`` subclass works
        too).
    lr : float, default=1e-3
        Learning rate.
    lr_schedule : {"anneal", "constant", "cosine"}, default="anneal"
        Learning rate over the optimisation steps of each ``fit`` or
        ``partial_fit`` call. ``"anneal"`` holds ``lr`` for the first three
        quarters of the steps, then lowers it in a straight line to 0 at the
        last step; ``"constant"`` keeps ``lr``; ``"cosine"`` decays it from
        ``lr`` towards 0 along a half cosine. Against ``"constant"`` (twelve
        seeds the dynamics benchmark does not use, 40 or 50 epochs),
        ``"anneal"`` lowered the test nMSE on Lotka–Volterra from 0.046 to
        0.033 (lower on each seed) and on pendulum videos from 0.381 to 0.373
        (lower on 8 of 12, median 0.357 to 0.332; the two fits that ended far
        above the rest ended higher still), and on reaction–diffusion fields
        from 0.060 to 0.056 (three seeds, lower on each), at the same cost.
        On the benchmark's own three seeds (the same machine) it lowered
        the pendulum from 0.417 to 0.374 (lower on two), Lotka–Volterra from
        0.046 to 0.032 and reaction–diffusion from 0.059 to 0.057.
        (On 200 pendulum videos, 50 epochs of a cosine decay from 2e-3 ended
        at test nMSE 0.68, against 0.58 at the constant rate.)
    weight_decay : float, default=0.0
        Weight decay of the optimizer.
    gradient_clip : float or None, default=5.0
        Largest gradient norm per step (None: no clipping).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the instances and stop when the
        validation loss has not improved for ``n_iter_no_change`` epochs,
        keeping the best weights.
    validation_fraction : float, default=0.1
        Fraction of instances held out when ``early_stopping`` is on.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    warm_start : bool, default=False
        When fitted already, ``fit`` continues training the current weights
        (keeping the data normalisation and time scale of the first fit), e.g.
        to fine-tune on an intervened system.
    torch_threads : int or None, default=None
        Torch intra-op threads during fit, predict and transform (restored
        afterwards); None keeps torch's setting.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    verbose : int, default=0
        Print epoch, train loss, validation loss and duration when >= 1.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, windows and posterior samples; the caller's global torch
        RNG is left untouched.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``valid_loss``, ``dur``.
    loss_curve_ : list of float
        Training loss per epoch.
    n_features_in_ : int
        Number of values in one observation (``prod(obs_shape_)``).
    obs_shape_ : tuple of int
        Shape of one observation seen in ``fit``.
    times_ : ndarray of shape (n_times,) or None
        The shared time grid of ``fit``; None when instances had their own grids.
    time_scale_ : float
        Median frame spacing of the fit data (the model's time unit).
    horizon_ : int
        Training horizon q in frames.
    trained_span_ : float
        Longest trained window, from its first context time to its last frame,
        in units of ``times``; predictions further out are rolled forward.
    obs_mean_, obs_std_ : ndarray
        Per-channel (per-feature for vectors) normalisation of the frames.
    std_scale_ : float
        Factor applied to the predictive std (see ``calibrate_std``).

    See Also
    --------
    skdyncausal.metrics.normalized_mse : the forecast error behind :meth:`score`.

    Notes
    -----
    The loss (Gaussian likelihood with learned noise, the KL term of ψ, the
    consistency term and the per-frame reconstruction) is described in the
    user guide. Frames that are all NaN are unobserved: they are masked out of
    attention and of every loss term.

    References
    ----------
    A. Lagemann, C. Lagemann and S. Mukherjee, "Invariance-based Learning of
    Latent Dynamics", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.dynamics import LatentDynamicsRegressor
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 6, 24)
    >>> phase = rng.uniform(0, 2 * np.pi, (40, 1, 1))
    >>> X = np.concatenate([np.sin(t[:, None] + phase), np.cos(t[:, None] + phase)], -1)
    >>> est = LatentDynamicsRegressor(n_context=6, token_dim=16, hidden_dim=32,
    ...                               max_epochs=3, random_state=0)
    >>> est.fit(X, times=t).predict(X[:2, :6], times=[3.3, 4.1]).shape
    (2, 2, 2)
    >>> est.transform(X[:2]).shape
    (2, 16)

    The variant is a parameter, so a grid search can compare the time maps:

    >>> ode = LatentDynamicsRegressor(dynamics="ode", n_context=6, token_dim=16,
    ...                               hidden_dim=32, max_epochs=2, random_state=0)
    >>> ode.fit(X, times=t).predict(X[:2, :6], times=[9.0]).shape
    (2, 1, 2)
    """

    def __init__(
        self,
        dynamics="direct",
        ode_solver="rk4",
        n_context=10,
        latent_dim=16,
        latent_layout="global",
        latent_stride=2,
        token_dim=64,
        hidden_dim=128,
        conv_channels=16,
        n_heads=4,
        n_layers=2,
        attention_window=None,
        context_motion=True,
        n_frequencies=16,
        n_oscillators=None,
        n_harmonics=None,
        min_period=None,
        max_period=None,
        horizon=None,
        curriculum=False,
        frames_per_window=20,
        random_starts=False,
        windows_per_instance=1,
        symmetries=None,
        consistency_weight=0.1,
        kl_weight=0.01,
        dropout=0.0,
        n_posterior_samples=20,
        calibrate_std=True,
        refine_steps=20,
        refine_lr=0.05,
        extrapolation="roll",
        max_epochs=100,
        batch_size=8,
        optimizer="adamw",
        lr=1e-3,
        lr_schedule="anneal",
        weight_decay=0.0,
        gradient_clip=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        torch_threads=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.dynamics = dynamics
        self.ode_solver = ode_solver
        self.n_context = n_context
        self.latent_dim = latent_dim
        self.latent_layout = latent_layout
        self.latent_stride = latent_stride
        self.token_dim = token_dim
        self.hidden_dim = hidden_dim
        self.conv_channels = conv_channels
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.attention_window = attention_window
        self.context_motion = context_motion
        self.n_frequencies = n_frequencies
        self.n_oscillators = n_oscillators
        self.n_harmonics = n_harmonics
        self.min_period = min_period
        self.max_period = max_period
        self.horizon = horizon
        self.curriculum = curriculum
        self.frames_per_window = frames_per_window
        self.random_starts = random_starts
        self.windows_per_instance = windows_per_instance
        self.symmetries = symmetries
        self.consistency_weight = consistency_weight
        self.kl_weight = kl_weight
        self.dropout = dropout
        self.n_posterior_samples = n_posterior_samples
        self.calibrate_std = calibrate_std
        self.refine_steps = refine_steps
        self.refine_lr = refine_lr
        self.extrapolation = extrapolation
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.gradient_clip = gradient_clip
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.torch_threads = torch_threads
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------- data state
    def _set_data_state(self, X, t):
        self.obs_shape_ = tuple(int(s) for s in X.shape[2:])
        self.n_features_in_ = int(np.prod(self.obs_shape_))
        self.obs_mean_, self.obs_std_ = frame_statistics(X)
        shared = np.allclose(t, t[:1], rtol=0, atol=0)
        self.times_ = t[0].copy() if shared else None
        self.time_scale_ = float(np.median(np.diff(t, axis=1)))
        n_after = X.shape[1] - self.n_context
        self.horizon_ = n_after if self.horizon is None else min(self.horizon, n_after)
        self.trained_span_ = max_window_span(t, self.n_context, self.horizon_)

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, *, times=None):
        """Learn the shared dynamics from trajectories.

        Parameters
        ----------
        X : array-like of shape (n_instances, n_times) + obs_shape
            Trajectories; obs_shape is (n_features,), (H, W) or (C, H, W).
            All-NaN frames are unobserved.
        y : None
            Ignored.
        times : array-like of shape (n_times,) or (n_instances, n_times), \
                default=None
            Observation times, strictly increasing; None means 0, 1, 2, ….

        Returns
        -------
        self : LatentDynamicsRegressor
        """
        if self.warm_start and hasattr(self, "net_"):
            return self._continue(X, times, epochs=None)
        check_params(self)
        X, t = check_fit_trajectories(X, times, self.n_context, self.latent_layout)
        check_symmetries(self.symmetries, X.shape[2:])
        device = resolve_device(self.device)
        with self._rollback(), self._threads():
            self.device_ = device
            self._set_data_state(X, t)
            Xs = standardize(X, self.obs_mean_, self.obs_std_)
            seed = seed_from(self.random_state)
            self._fit_windows(Xs, t, seed, self.max_epochs, new=True)
            self._calibrate(Xs, t, seed)
        return self

    def _calibrate(self, Xs, t, seed):
        """Set ``std_scale_``: the 90 % quantile of |error| / std on forecasts of
        training instances from their first context frames, over the normal
        quantile, so that the scaled 90 % intervals cover 90 % of them."""
        self.std_scale_ = 1.0
        if not self.calibrate_std:
            return
        k, q = self.n_context, self.horizon_
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.permutation(Xs.shape[0])[:_CALIBRATION_INSTANCES])
        tau = (t[idx] - t[idx, :1]) / self.time_scale_
        observed = frame_observed(Xs[idx])[:, :k]
        with torch_rng(seed, self.device_):
            mean, std = self._forecaster().predict(
                Xs[idx, :k],
                tau[:, :k],
                observed,
                tau[:, k : k + q],
                self.n_posterior_samples,
            )
        target = Xs[idx, k : k + q]
        ratio = np.abs(target - mean) / std
        ratio = ratio[np.isfinite(ratio)]
        if ratio.size:
            self.std_scale_ = float(np.quantile(ratio, 0.9) / _Z90)

    def _fit_windows(self, Xs, t, seed, epochs, *, new):
        """Train on windows of the standardised trajectories: a new net, or
        the fitted one further (no curriculum then)."""
        n = Xs.shape[0]
        n_valid = 0
        if self.early_stopping and n >= 2:
            n_valid = min(n - 1, max(1, round(self.validation_fraction * n)))
        with torch_rng(seed, self.device_) as generator:
            train_ds, valid_ds = window_datasets(
                Xs,
                t / self.time_scale_,
                self.n_context,
                self.horizon_,
                n_valid=n_valid,
                rng=np.random.default_rng(seed),
                frames_per_window=self.frames_per_window,
                consistency=self.consistency_weight > 0,
                random_starts=bool(self.random_starts),
                windows_per_instance=self.windows_per_instance,
                symmetries=check_symmetries(self.symmetries, self.obs_shape_),
            )
            if new:
                self.net_ = self._make_net(
                    LatentDynamicsModule,
                    LatentDynamicsLoss,
                    generator=generator,
                    valid_dataset=valid_ds,
                    **module_params(self),
                )
                self.net_.set_params(
                    criterion__kl_weight=float(self.kl_weight),
                    criterion__consistency_weight=float(self.consistency_weight),
                )
                if self.lr_schedule != "constant":
                    schedule = LRSchedule(self.lr_schedule, float(self.lr), epochs)
                    self.net_.callbacks.append(("lr_schedule", schedule))
                self.net_.initialize()
            else:
                net = self.net_
                schedule = dict(net.callbacks_).get("lr_schedule")
                if schedule is not None:
                    schedule.restart(float(self.lr), epochs)
                net.train_split = None
                if "early_stopping" in dict(net.callbacks_):
                    net.train_split = predefined_split(valid_ds or train_ds)
                net.iterator_train__generator = generator
            stages = curriculum_stages(self.horizon_, epochs, new and self.curriculum)
            for q, n_epochs in stages:
                train_ds.horizon = q
                self.history_ = self._train(self.net_, train_ds, epochs=n_epochs)
                if getattr(self.net_, "interrupted_", False):
                    break  # the user asked to stop: skip the remaining stages
        self.loss_curve_ = [row["train_loss"] for row in self.history_]

    def partial_fit(self, X, y=None, *, times=None, epochs=None):
        """Continue training on new trajectories (fine-tuning).

        The first call on an unfitted estimator is a full ``fit`` with ``epochs``
        epochs. Later calls keep the architecture, the frame normalisation and
        the time scale of the first fit.

        Parameters
        ----------
        X : array-like of shape (n_instances, n_times) + obs_shape
        y : None
            Ignored.
        times : array-like of shape (n_times,) or (n_instances, n_times), \
                default=None
        epochs : int, default=None
            Epochs to run; None means ``max_epochs``.

        Returns
        -------
        self : LatentDynamicsRegressor
        """
        if epochs is not None:
            check_int(epochs, "epochs", 1)
        if not hasattr(self, "net_"):
            max_epochs = self.max_epochs
            try:
                if epochs is not None:
                    self.max_epochs = epochs
                return self.fit(X, times=times)
            finally:
                self.max_epochs = max_epochs
        return self._continue(X, times, epochs)

    def _continue(self, X, times, epochs):
        check_params(self)
        X, t = check_fit_trajectories(X, times, self.n_context, self.latent_layout)
        check_obs_shape(X, self.obs_shape_)
        check_symmetries(self.symmetries, self.obs_shape_)
        epochs = self.max_epochs if epochs is None else int(epochs)
        seed = seed_from(self.random_state) + len(self.net_.history)
        seed %= np.iinfo(np.int32).max
        Xs = standardize(X, self.obs_mean_, self.obs_std_)
        saved_horizon = self.horizon_
        with self._rollback(weights=True), self._threads():
            self.horizon_ = min(self.horizon_, X.shape[1] - self.n_context)
            self._fit_windows(Xs, t, seed, epochs, new=False)
            self._calibrate(Xs, t, seed)
            self.horizon_ = saved_horizon
        return self

    # -------------------------------------------------------------- predicting
    def _context(self, X, context_times):
        """Validated standardised context frames, their relative times (n, K)
        in model units and which frames are observed."""
        check_is_fitted(self, "net_")
        X, t, observed = check_context(
            X,
            context_times,
            fit_times=self.times_,
            n_context=self.n_context,
            obs_shape=self.obs_shape_,
        )
        Xs = standardize(X, self.obs_mean_, self.obs_std_)
        return Xs, t, (t - t[:, :1]) / self.time_scale_, observed

    def _forecaster(self):
        return Forecaster(
            self.net_.module_,
            self.device_,
            time_scale=self.time_scale_,
            trained_span=self.trained_span_,
            rolls=self.dynamics == "direct",
            extrapolation=self.extrapolation,
            refine_steps=self.refine_steps,
            refine_lr=self.refine_lr,
        )

    def predict(self, X, times=None, *, context_times=None, return_std=False):
        """Frames of new instances at any real query times.

        Parameters
        ----------
        X : array-like of shape (n_instances, n_ctx) + obs_shape
            Context frames of new instances (all-NaN frames are unobserved).
            Without ``context_times`` they are taken at the first n_context
            times of the fit grid; extra frames beyond n_context are ignored,
            so full trajectories may be passed.
        times : array-like of shape (n_query,) or (n_instances, n_query), \
                default=None
            Query times on the clock of the context times, not before the first
            context time. None means the fit grid after the context.
        context_times : array-like of shape (n_ctx,) or (n_instances, n_ctx), \
                default=None
            Times of the context frames; required when ``fit`` had
            per-instance times.
        return_std : bool, default=False
            Also return the predictive standard deviation: spread over
            ``n_posterior_samples`` draws of ψ plus the learned observation
            noise, times ``std_scale_`` (see ``calibrate_std``).

        Returns
        -------
        y_pred : ndarray of shape (n_instances, n_query) + obs_shape, float64
        y_std : ndarray of the same shape, only when ``return_std=True``
        """
        Xs, t, ctx_tau, observed = self._context(X, context_times)
        query = check_query_times(times, Xs.shape[0], self.times_, self.n_context)
        forecaster = self._forecaster()
        rel = forecaster.relative_times(t, query)
        n_samples = self.n_posterior_samples if return_std else 0
        with self._threads(), torch_rng(seed_from(self.random_state), self.device_):
            mean, std = forecaster.predict(Xs, ctx_tau, observed, rel, n_samples)
        y = unstandardize(mean, self.obs_mean_, self.obs_std_, self.obs_shape_)
        if return_std:
            sd = unstandardize(
                std * getattr(self, "std_scale_", 1.0),
                self.obs_mean_,
                self.obs_std_,
                self.obs_shape_,
                scale_only=True,
            )
            return y, sd
        return y

    def transform(self, X, *, context_times=None, pool=None):
        """Instance encodings ψ (posterior means) from the first context frames.

        Parameters
        ----------
        X : array-like of shape (n_instances, n_ctx) + obs_shape
        context_times : array-like, default=None
            As in :meth:`predict`.
        pool : {None, "mean", "moments"}, default=None
            A global summary of a latent grid (``latent_layout="grid"`` only):
            ``"mean"`` averages each of the ``latent_dim`` channels over the
            cells, ``"moments"`` gives each channel's mean and standard
            deviation over the cells (means first). Per-instance constants
            of a spatially extended system (a diffusion coefficient, a
            reaction rate) act alike in every cell, so such a summary is what
            a probe or a downstream model of them needs, independent of where
            the features of the initial field lie. None returns the whole map.

        Returns
        -------
        psi : ndarray of shape (n_instances, latent_dim), float64
            With ``latent_layout="grid"``, shape (n_instances, latent_dim *
            n_cells): the map of ``latent_dim`` channels on the latent grid,
            flattened channel-major; with ``pool``, (n_instances, latent_dim)
            for ``"mean"`` and (n_instances, 2 * latent_dim) for
            ``"moments"``.
        """
        if pool not in (None, "mean", "moments"):
            raise ValueError(f"pool must be None, 'mean' or 'moments'; got {pool!r}.")
        check_is_fitted(self, "net_")
        if pool is not None and self.latent_layout != "grid":
            raise ValueError(
                f"pool={pool!r} summarises a latent grid, but the estimator was "
                f"fitted with latent_layout={self.latent_layout!r}, whose ψ is a "
                "vector already; use pool=None."
            )
        Xs, _, ctx_tau, observed = self._context(X, context_times)
        with self._threads():
            psi = self._forecaster().transform(Xs, ctx_tau, observed)
        if pool is None:
            return psi
        cells = psi.reshape(psi.shape[0], self.latent_dim, -1)
        if pool == "mean":
            return cells.mean(-1)
        return np.concatenate([cells.mean(-1), cells.std(-1)], axis=1)

    def fit_transform(self, X, y=None, *, times=None):
        """Fit, then return ψ of the training instances (their first frames)."""
        self.fit(X, times=times)
        context_times = None
        if times is not None:
            t = check_times(times, len(X), np.shape(X)[1])
            context_times = t[:, : self.n_context]
        return self.transform(
            np.asarray(X)[:, : self.n_context], context_times=context_times
        )

    def score(self, X, y=None, *, times=None):
        """Forecast skill: 1 − mean normalised MSE after the context.

        Parameters
        ----------
        X : array-like of shape (n_instances, n_times) + obs_shape
            Full trajectories: the first n_context frames are the context, the
            rest is predicted and compared.
        y : None
            Ignored.
        times : array-like of shape (n_times,) or (n_instances, n_times), \
                default=None
            None means the fit grid (shared grids only).

        Returns
        -------
        score : float
            Higher is better; 1 is a perfect forecast, 0 the skill of zeros.
        """
        check_is_fitted(self, "net_")
        X, t = check_scored(X, times, self.n_context, self.times_)
        k = self.n_context
        y_pred = self.predict(X[:, :k], t[:, k:], context_times=t[:, :k])
        return 1.0 - normalized_mse(X[:, k:], y_pred)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False
        tags.non_deterministic = False
        return tags
