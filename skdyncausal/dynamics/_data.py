"""The data layer of the latent dynamics estimator (numpy + a torch Dataset).

Validation of parameters, trajectories, times and context frames; frame
normalisation; the multiple-shooting training windows.
"""

import math
import warnings

import numpy as np
import torch
from torch.utils.data import Dataset

from .._validation import as_real_array

__all__ = [
    "TrajectoryWindows",
    "check_context",
    "check_fit_trajectories",
    "check_params",
    "check_query_times",
    "check_scored",
    "check_times",
    "check_trajectories",
    "curriculum_stages",
    "frame_observed",
    "frame_statistics",
    "module_params",
    "standardize",
    "unstandardize",
    "window_datasets",
]

_SHAPE = "(n_instances, n_times, *obs_shape)"


def check_trajectories(X, *, name="X", min_times=1):
    """Validate trajectories and return them as a float32 copy.

    ``obs_shape`` is ``(n_features,)``, ``(H, W)`` or ``(C, H, W)``. NaN marks a
    missing value (a frame that is all NaN is unobserved); infinities are refused.
    """
    X = as_real_array(X, name, np.float32, f" of shape {_SHAPE}")
    if X.ndim < 3 or X.ndim > 5:
        raise ValueError(
            f"{name} must have shape {_SHAPE} with obs_shape (n_features,), (H, W) "
            f"or (C, H, W), i.e. 3 to 5 dimensions; got shape {X.shape}. A single "
            f"trajectory needs a leading instance axis ({name}[None]); a 2-D table "
            f"of one time series per row needs a trailing feature axis "
            f"({name}[..., None])."
        )
    if X.shape[0] < 1 or X.shape[1] < min_times or 0 in X.shape[2:]:
        raise ValueError(
            f"{name} needs at least 1 instance, {min_times} time(s) and a non-empty "
            f"observation; got shape {X.shape}."
        )
    if np.isinf(X).any():
        raise ValueError(
            f"{name} contains infinite values; only NaN (missing) is allowed."
        )
    return X


def warn_partial_frames(X, name="X", stacklevel=4):
    """Warn when frames are partly missing: say what the model does with them."""
    flat = np.isnan(X.reshape(X.shape[0], X.shape[1], -1))
    partial = flat.any(-1) & ~flat.all(-1)
    if partial.any():
        warnings.warn(
            f"{name} has {int(partial.sum())} partly missing frame(s) (some values "
            "NaN, not all): their missing values are left out of the loss and "
            "enter the encoder as the per-channel mean. A frame that is all NaN "
            "is unobserved and left out entirely.",
            UserWarning,
            stacklevel=stacklevel,
        )


def frame_observed(X):
    """(n, T) bool: a frame is observed when any of its values is finite."""
    return np.isfinite(X.reshape(X.shape[0], X.shape[1], -1)).any(-1)


def check_times(times, n_instances, n_times, *, name="times"):
    """Validate a time grid and return it per instance, shape (n_instances, n_times).

    ``times`` is a shared grid ``(n_times,)`` or one grid per instance
    ``(n_instances, n_times)``; every grid must be finite and strictly increasing.
    """
    t = as_real_array(times, name, np.float64)
    cv_hint = (
        " Cross-validation slices every fit argument whose first dimension equals "
        "n_samples (the number of instances), which cuts a shared grid whose "
        "length happens to equal the number of instances; pass per-instance times "
        "of shape (n_instances, n_times), e.g. np.tile(grid, (len(X), 1))."
    )
    if t.ndim == 1:
        if t.shape[0] != n_times:
            hint = cv_hint if t.shape[0] == n_instances else ""
            raise ValueError(
                f"{name} has shape {t.shape} but the trajectories have {n_times} "
                f"times (and {n_instances} instances); expected ({n_times},) or "
                f"({n_instances}, {n_times}).{hint}"
            )
        t = np.broadcast_to(t, (n_instances, n_times)).copy()
    elif t.ndim == 2:
        if t.shape != (n_instances, n_times):
            hint = cv_hint if t.shape[1] == n_times else ""
            raise ValueError(
                f"{name} has shape {t.shape}; expected ({n_times},) or "
                f"({n_instances}, {n_times}) for {n_instances} instances with "
                f"{n_times} times.{hint}"
            )
    else:
        raise ValueError(
            f"{name} must have shape ({n_times},) or ({n_instances}, {n_times}); "
            f"got {t.shape}."
        )
    if not np.isfinite(t).all():
        raise ValueError(f"{name} must be finite.")
    if n_times > 1 and not (np.diff(t, axis=1) > 0).all():
        raise ValueError(f"{name} must be strictly increasing along each instance.")
    return t


def check_query_times(times, n_instances, fit_times=None, n_context=0, *, name="times"):
    """Query times: any finite reals, shared (Q,) or per instance (n_instances, Q).

    None means the fit grid ``fit_times`` after its first ``n_context`` times
    (and is refused when fit had per-instance times).
    """
    if times is None:
        if fit_times is None:
            raise ValueError(
                "the estimator was fitted with per-instance times; pass the "
                "query `times` explicitly."
            )
        times = fit_times[n_context:]
    t = as_real_array(times, name, np.float64)
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 1:
        t = np.broadcast_to(t, (n_instances, t.shape[0])).copy()
    if t.ndim != 2 or t.shape[0] != n_instances or t.shape[1] < 1:
        raise ValueError(
            f"{name} must have shape (n_query,) or ({n_instances}, n_query); got "
            f"{np.shape(times)}."
        )
    if not np.isfinite(t).all():
        raise ValueError(f"{name} must be finite.")
    return t


def check_scored(X, times, n_context, fit_times):
    """Full trajectories for ``score``: X float32 and their times (n, T)."""
    X = check_trajectories(X)
    n, n_times = X.shape[:2]
    if n_times <= n_context:
        raise ValueError(
            f"score needs frames after the n_context={n_context} context "
            f"frames; X has {n_times} times."
        )
    if times is None:
        if fit_times is None or n_times > len(fit_times):
            raise ValueError(
                "pass `times` to score: the estimator has no shared fit grid "
                "long enough for X (it was fitted with per-instance times or "
                "shorter trajectories)."
            )
        times = fit_times[:n_times]
    return X, check_times(times, n, n_times)


class TrajectoryWindows(Dataset):
    """Multiple-shooting windows drawn lazily from stored trajectories.

    Item i is one window of instance i: context frames ``[s, s + K)`` and query
    frames ``[s, s + K + q)`` (the context is reconstructed too; a random subset
    of ``frames_per_window`` of them when set), times relative to
    ``times[i, s]``; plus, when ``consistency``, the query frames as model
    inputs (their per-frame encodings anchor the consistency term).
    Starts are drawn from torch's global RNG, which the estimator seeds, so
    windows are reproducible. With ``random_windows=False`` every window starts
    at 0 and decodes all frames (validation).

    When ``random_starts`` and the window covers the whole trajectory
    (``K + q = T``), the start still varies: a window starting at ``s`` takes the
    rest of the trajectory, ``[s, T)``, as its query frames (a variable horizon),
    so each instance gives many distinct contexts, which is valid for
    autonomous dynamics. The start leaves at least half the horizon and at
    least ``frames_per_window`` frames, so that the long lead times, where
    forecasts are hardest, stay well trained; the missing frames of a shorter
    window are padded with mask 0 (and repeated last times) so that windows
    batch.

    Parameters
    ----------
    X : ndarray of shape (n, T, *obs), float32, standardised, NaN = missing
    times : ndarray of shape (n, T), frame-step units
    n_context : int
    horizon : int
        Number q of frames predicted after the context.
    windows_per_instance : int, default=1
        Windows drawn from each instance per pass over the dataset (item i is
        a window of instance ``i % n``); 1 for validation.
    symmetries : tuple of str, default=()
        Names from :data:`SYMMETRIES` (checked by :func:`check_symmetries`):
        each training window is mapped by a random element of the group they
        generate, the same map for all its frames.
    """

    def __init__(
        self,
        X,
        times,
        n_context,
        horizon,
        *,
        frames_per_window=None,
        consistency=True,
        random_windows=True,
        random_starts=False,
        windows_per_instance=1,
        symmetries=(),
    ):
        self.X = X
        self.times = times.astype(np.float32)
        self.observed = frame_observed(X)
        self.n_context = n_context
        self.horizon = horizon
        self.frames_per_window = frames_per_window
        self.consistency = consistency
        self.random_windows = random_windows
        self.random_starts = random_starts
        self.windows_per_instance = windows_per_instance if random_windows else 1
        self.symmetries = tuple(symmetries) if random_windows else ()

    def __len__(self):
        return self.X.shape[0] * self.windows_per_instance

    def _start(self, i, low, high):
        # Redraw a few times so that the context holds an observed frame.
        k = self.n_context
        for _ in range(8):
            s = int(torch.randint(low, high + 1, (1,)))
            if self.observed[i, s : s + k].any():
                break
        return s

    def _last_start(self, n_times):
        """Latest window start: fixed windows of K + q frames, or with
        ``random_starts`` at full horizon, any start leaving enough frames."""
        k, q = self.n_context, self.horizon
        last = n_times - k - q
        if self.random_starts and last == 0:
            q_min = max(1, (self.frames_per_window or 0) - k, math.ceil(q / 2))
            last = max(0, n_times - k - min(q, q_min))
        return last

    def __getitem__(self, i):
        i = i % self.X.shape[0]  # windows_per_instance windows of each instance
        k, q = self.n_context, self.horizon
        n_times = self.X.shape[1]
        s = 0
        if self.random_windows:
            s = self._start(i, 0, self._last_start(n_times))
        t = self.times[i]
        n_window = min(k + q, n_times - s)  # frames of this window
        frames = np.arange(s, s + n_window)
        m = self.frames_per_window
        if self.random_windows and m is not None and m < n_window:
            # Decode a random subset of the window: an unbiased estimate of the
            # reconstruction loss at a fraction of the decoder's cost.
            frames = s + np.sort(torch.randperm(n_window)[:m].numpy())
        target = self.X[i, frames]
        valid = np.ones(len(frames), dtype=bool)
        size = k + q if m is None or not self.random_windows else min(m, k + q)
        if len(frames) < size:
            # A late start at full horizon: pad to the batch's window size with
            # repeats of the last frame, masked out of every loss term.
            pad = size - len(frames)
            valid = np.r_[valid, np.zeros(pad, dtype=bool)]
            frames = np.r_[frames, np.full(pad, frames[-1])]
            target = self.X[i, frames]
        item = {
            "context": np.nan_to_num(self.X[i, s : s + k]),
            "context_times": t[s : s + k] - t[s],
            "context_mask": self.observed[i, s : s + k],
            "query_times": t[frames] - t[s],
        }
        if self.consistency:
            # The query frames themselves: their per-frame encodings are the
            # targets the window's latent path is pulled towards.
            item["query_frames"] = np.nan_to_num(target)
            item["query_mask"] = self.observed[i, frames] & valid
        view = (-1,) + (1,) * (target.ndim - 1)
        mask = (np.isfinite(target) & valid.reshape(view)).astype(np.float32)
        y = {"target": np.nan_to_num(target), "mask": mask}
        if self.symmetries:
            transform = self._draw_transform(target.shape[-2:])
            for part, key in ((item, "context"), (item, "query_frames")):
                if key in part:
                    part[key] = transform(part[key])
            y = {key: transform(value) for key, value in y.items()}
        return item, y

    def _draw_transform(self, size):
        """A random element of the symmetry group, as a map of frame stacks
        (..., H, W); drawn from torch's global RNG like the window starts."""
        steps = []
        for name in self.symmetries:
            if name == "translate":
                shift = tuple(int(torch.randint(n, (1,))) for n in size)
                steps.append(lambda a, s=shift: np.roll(a, s, axis=(-2, -1)))
            elif name == "rot90":
                k = int(torch.randint(4, (1,)))
                steps.append(lambda a, k=k: np.rot90(a, k, axes=(-2, -1)))
            elif bool(torch.randint(2, (1,))):  # a mirror, or not
                axis = -1 if name == "flip_lr" else -2
                steps.append(lambda a, axis=axis: np.flip(a, axis))

        def transform(a):
            for step in steps:
                a = step(a)
            return np.ascontiguousarray(a)

        return transform


SYMMETRIES = ("flip_lr", "flip_ud", "rot90", "translate")


def check_symmetries(symmetries, obs_shape):
    """``symmetries`` as a tuple of distinct names from :data:`SYMMETRIES`,
    checked against the frames' shape ``obs_shape``."""
    if symmetries is None:
        return ()
    names = (symmetries,) if isinstance(symmetries, str) else symmetries
    try:
        names = tuple(names)
    except TypeError:
        names = None
    bad = names is None or any(
        not isinstance(n, str) or n not in SYMMETRIES for n in names
    )
    if bad:
        raise ValueError(
            f"symmetries must be None or a list of names from {list(SYMMETRIES)}; "
            f"got {symmetries!r}. Name only maps that carry every trajectory of "
            "the system to another one, e.g. symmetries=['flip_lr'] for a "
            "pendulum that swings about a vertical axis."
        )
    names = tuple(dict.fromkeys(names))
    shape = image_shape(obs_shape)
    if names and len(shape) != 3:
        raise ValueError(
            f"symmetries={list(names)} map images or fields, but the frames are "
            f"vectors of shape {tuple(obs_shape)}; they need frames of shape "
            "(H, W) or (C, H, W). Set symmetries=None for vector data."
        )
    if "rot90" in names and shape[1] != shape[2]:
        raise ValueError(
            f"symmetries with 'rot90' need square frames; got {shape[1]}x"
            f"{shape[2]}. Use 'flip_lr' and 'flip_ud' instead."
        )
    return names


def max_window_span(times, n_context, horizon):
    """Largest time from a window's start to its last frame, over all windows."""
    last = n_context + horizon - 1
    return float(np.max(times[:, last:] - times[:, : times.shape[1] - last]))


def check_fit_trajectories(X, times, n_context, latent_layout):
    """Validate the trajectories and times of ``fit``: X float32, t (n, T)."""
    X = check_trajectories(X)
    n, n_times = X.shape[:2]
    if n_context >= n_times:
        raise ValueError(
            f"n_context={n_context} must be smaller than the number of times in X "
            f"({n_times}): the frames after the context are the training targets."
        )
    if latent_layout == "grid" and X.ndim == 3:
        raise ValueError(
            "latent_layout='grid' needs image or field frames, X of shape "
            "(n_instances, n_times, H, W) or (n_instances, n_times, C, H, W); "
            f"got vector observations, X of shape {X.shape}. Use "
            "latent_layout='global' for vectors."
        )
    if times is None:
        times = np.arange(n_times, dtype=np.float64)
    t = check_times(times, n, n_times)
    warn_partial_frames(X)
    observed = frame_observed(X)[:, :n_context]
    if not observed.any(1).all():
        bad = np.flatnonzero(~observed.any(1))
        raise ValueError(
            f"X: every instance needs an observed frame among its first "
            f"n_context={n_context} frames; instances {bad[:10].tolist()} "
            "have none."
        )
    return X, t


def check_obs_shape(X, obs_shape, name="X"):
    """Refuse observations whose shape differs from those seen in fit."""
    if X.shape[2:] != obs_shape:
        raise ValueError(
            f"{name} has observations of shape {X.shape[2:]} but the estimator "
            f"was fitted on observations of shape {obs_shape} "
            f"(n_features_in_={int(np.prod(obs_shape))}); {name} must have shape "
            f"(n_instances, n_times, {', '.join(map(str, obs_shape))})."
        )


def check_context(X, context_times, *, fit_times, n_context, obs_shape, name="X"):
    """Context frames of new instances: X float32, times (n, K), observed (n, K).

    Without ``context_times`` the first ``n_context`` frames are taken at the
    first times of the fit grid ``fit_times`` (None when fit had per-instance
    times, which then makes ``context_times`` required).
    """
    X = check_trajectories(X, name=name)
    check_obs_shape(X, obs_shape, name)
    if X.shape[1] < n_context:
        warnings.warn(
            f"{name} holds {X.shape[1]} context frame(s) but the model was trained "
            f"on n_context={n_context}: ψ is inferred from fewer frames than in "
            "training and forecasts are less certain. Pass the first n_context "
            "frames of each instance.",
            UserWarning,
            stacklevel=4,
        )
    warn_partial_frames(X[:, :n_context], name, stacklevel=5)
    if context_times is None:
        if fit_times is None:
            raise ValueError(
                "the estimator was fitted with per-instance times, so there is "
                "no default context grid; pass context_times of shape "
                "(n_context,) or (n_instances, n_context)."
            )
        k = min(X.shape[1], n_context)
        X = X[:, :k]
        context_times = fit_times[:k]
    t = check_times(context_times, X.shape[0], X.shape[1], name="context_times")
    observed = frame_observed(X)
    if not observed.any(1).all():
        bad = np.flatnonzero(~observed.any(1))
        raise ValueError(
            f"{name}: instances {bad[:10].tolist()} have no observed context "
            "frame (all values NaN); at least one is needed."
        )
    return X, t, observed


def image_shape(obs_shape):
    """The model's view of one observation: (C,) for vectors, (C, H, W) else."""
    return (1, *obs_shape) if len(obs_shape) == 2 else tuple(obs_shape)


def _channel_view(ndim):
    # obs (C,) or (C, H, W) after the (n, T) axes: one statistic per channel
    return (1, 1, -1) + (1,) * (ndim - 3)


def frame_statistics(X):
    """Per-channel (per-feature for vectors) mean and std of frames, NaN-aware."""
    Xc = X.reshape(X.shape[:2] + image_shape(X.shape[2:]))
    axes = tuple(i for i in range(Xc.ndim) if i != 2)
    mean = np.nanmean(Xc, axis=axes, dtype=np.float64)
    std = np.nanstd(Xc, axis=axes, dtype=np.float64)
    mean = np.nan_to_num(mean).astype(np.float32)
    std = np.where(np.nan_to_num(std) > 1e-8, std, 1.0).astype(np.float32)
    return mean, std


def standardize(X, mean, std):
    """(n, T, *obs) raw -> standardised (n, T, C[, H, W]) float32, NaN kept."""
    X = X.reshape(X.shape[:2] + image_shape(X.shape[2:]))
    view = _channel_view(X.ndim)
    return ((X - mean.reshape(view)) / std.reshape(view)).astype(np.float32)


def unstandardize(Y, mean, std, obs_shape, *, scale_only=False):
    """Standardised (n, Q, C[, H, W]) -> frames (n, Q, *obs); std only scaled."""
    view = _channel_view(Y.ndim)
    Y = Y * std.reshape(view)
    if not scale_only:
        Y = Y + mean.reshape(view)
    return Y.reshape(Y.shape[:2] + tuple(obs_shape))


def curriculum_stages(horizon, epochs, curriculum):
    """(horizon, epochs) stages of training: the horizon grows 1, 2, 4, … over
    the first half of the epochs when ``curriculum``, then the full horizon.

    Examples
    --------
    >>> curriculum_stages(8, 20, True)
    [(1, 3), (2, 3), (4, 3), (8, 11)]
    >>> curriculum_stages(8, 20, False)
    [(8, 20)]
    """
    stages = []
    if curriculum and horizon > 1:
        short = [2**k for k in range(math.ceil(math.log2(horizon)))]
        per_stage = (epochs // 2) // len(short)
        stages = [(q, per_stage) for q in short if per_stage > 0]
    done = sum(e for _, e in stages)
    return [*stages, (horizon, epochs - done)]


def window_datasets(Xs, tau, n_context, horizon, *, n_valid, rng, **options):
    """Training and validation windows; ``n_valid`` instances held out.

    ``options`` go to the training :class:`TrajectoryWindows`
    (``frames_per_window``, ``consistency``); validation windows start at 0
    and decode every frame.
    """
    n = Xs.shape[0]
    idx_valid = rng.permutation(n)[:n_valid] if n_valid else np.array([], int)
    train = np.setdiff1d(np.arange(n), idx_valid)
    train_ds = TrajectoryWindows(Xs[train], tau[train], n_context, horizon, **options)
    valid_ds = None
    if idx_valid.size:
        valid_ds = TrajectoryWindows(
            Xs[idx_valid],
            tau[idx_valid],
            n_context,
            horizon,
            consistency=False,
            random_windows=False,
        )
    return train_ds, valid_ds


def check_params(est):
    """Validate the parameters of a LatentDynamicsRegressor; all problems at once."""
    check = est._param_check()
    check.choice("dynamics", ("direct", "ode", "gru"))
    check.check(
        isinstance(est.ode_solver, str),
        f"ode_solver must be 'rk4' or a torchdiffeq method name such as "
        f"'dopri5'; got {est.ode_solver!r}",
    )
    for name in ("n_context", "latent_dim", "token_dim", "hidden_dim"):
        check.integer(name, 1)
    for name in ("conv_channels", "n_heads", "n_layers", "n_frequencies"):
        check.integer(name, 1)
    for name in ("n_oscillators", "n_harmonics"):
        check.integer(name, 1, allow_none=True)
    check.integer("n_posterior_samples", 2)
    check.integer("refine_steps", 0)
    check.real("refine_lr", 0, low_open=True)
    check.integer("horizon", 1, allow_none=True)
    check.integer("frames_per_window", 1, allow_none=True)
    check.integer("windows_per_instance", 1)
    for name in ("attention_window", "min_period", "max_period"):
        check.real(name, 0, low_open=True, allow_none=True)
    check.real("consistency_weight", 0)
    check.real("kl_weight", 0)
    check.real("dropout", 0, 1)
    check.check(
        isinstance(est.dropout, float | int) and est.dropout < 1,
        f"dropout must be below 1; got {est.dropout!r}",
    )
    check.real("validation_fraction", 0, 1, low_open=True)
    check.flag("context_motion")
    check.flag("curriculum")
    check.flag("random_starts")
    check.flag("calibrate_std")
    check.flag("warm_start")
    check.choice("extrapolation", ("roll", "raise"))
    check.choice("lr_schedule", ("constant", "cosine", "anneal"))
    check.choice("latent_layout", ("global", "grid"))
    check.integer("latent_stride", 1)
    stride, heads, width = est.latent_stride, est.n_heads, est.token_dim
    check.check(
        not (isinstance(stride, int) and stride > 0 and stride & (stride - 1)),
        f"latent_stride must be a power of two (1, 2, 4, ...); got {stride}",
    )
    check.check(
        not (isinstance(heads, int) and isinstance(width, int) and heads > 0)
        or width % heads == 0,
        f"token_dim ({width}) must be a multiple of n_heads ({heads})",
    )
    low, high = est.min_period, est.max_period
    check.check(
        not (isinstance(low, int | float) and isinstance(high, int | float))
        or low < high,
        f"min_period ({low}) must be below max_period ({high})",
    )
    check.raise_if_any()
    if est.dynamics == "ode" and est.ode_solver != "rk4":
        try:
            import torchdiffeq  # noqa: F401
        except ImportError:
            raise ImportError(
                f"ode_solver={est.ode_solver!r} needs the optional package "
                "torchdiffeq: pip install torchdiffeq, or use ode_solver='rk4'."
            ) from None


def module_params(est):
    """The torch module's keyword arguments for a fitted data state of ``est``."""
    scale = est.time_scale_
    span = est.trained_span_ / scale
    min_period = 4.0 if est.min_period is None else est.min_period / scale
    max_period = 2.0 * span if est.max_period is None else est.max_period / scale
    max_period = max(max_period, 1.01 * min_period)
    shape = image_shape(est.obs_shape_)
    image = len(shape) == 3
    window = est.attention_window
    return dict(
        n_channels=int(shape[0]),
        height=int(shape[1]) if image else 0,
        width=int(shape[2]) if image else 0,
        token_dim=est.token_dim,
        hidden_dim=est.hidden_dim,
        latent_dim=est.latent_dim,
        n_heads=est.n_heads,
        n_layers=est.n_layers,
        attention_window=3.0 if window is None else float(window),
        context_motion=bool(est.context_motion),
        n_frequencies=est.n_frequencies,
        n_oscillators=est.n_oscillators,
        n_harmonics=est.n_harmonics,
        min_period=float(min_period),
        max_period=float(max_period),
        conv_channels=est.conv_channels,
        dropout=float(est.dropout),
        dynamics=est.dynamics,
        ode_step=1.0,
        ode_solver=est.ode_solver,
        latent_layout=est.latent_layout,
        latent_stride=est.latent_stride,
    )
