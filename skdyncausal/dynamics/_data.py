"""Input validation, time handling and the training windows (numpy + torch Dataset)."""

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = [
    "TrajectoryWindows",
    "check_times",
    "check_trajectories",
    "frame_observed",
]

_SHAPE = "(n_instances, n_times, *obs_shape)"


def check_trajectories(X, *, name="X", min_times=1):
    """Validate trajectories and return them as a float32 copy.

    ``obs_shape`` is ``(n_features,)``, ``(H, W)`` or ``(C, H, W)``. NaN marks a
    missing value (a frame that is all NaN is unobserved); infinities are refused.
    """
    X = _as_real_array(X, name, np.float32, f" of shape {_SHAPE}")
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


def _as_real_array(values, name, dtype, shape_hint=""):
    """Convert to a real float array; refuse strings, bytes and complex numbers.

    Strings that happen to parse as numbers are refused too: they nearly always
    mean that a table was read with the wrong parser.
    """
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric array{shape_hint}; it could not be "
            f"converted to an array ({exc})."
        ) from None
    if raw.dtype.kind in "USVc":
        kind = "complex" if raw.dtype.kind == "c" else "string or structured"
        raise TypeError(
            f"{name} must hold real numbers{shape_hint}; got {kind} dtype {raw.dtype}."
        )
    try:
        return np.array(raw, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric array{shape_hint}; it could not be "
            f"converted to float ({exc})."
        ) from None


def frame_observed(X):
    """(n, T) bool: a frame is observed when any of its values is finite."""
    return np.isfinite(X.reshape(X.shape[0], X.shape[1], -1)).any(-1)


def check_times(times, n_instances, n_times, *, name="times"):
    """Validate a time grid and return it per instance, shape (n_instances, n_times).

    ``times`` is a shared grid ``(n_times,)`` or one grid per instance
    ``(n_instances, n_times)``; every grid must be finite and strictly increasing.
    """
    t = _as_real_array(times, name, np.float64)
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


def check_query_times(times, n_instances, *, name="times"):
    """Query times: any finite reals, shared (Q,) or per instance (n_instances, Q)."""
    t = _as_real_array(times, name, np.float64)
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

    Parameters
    ----------
    X : ndarray of shape (n, T, *obs), float32, standardised, NaN = missing
    times : ndarray of shape (n, T), frame-step units
    n_context : int
    horizon : int
        Number q of frames predicted after the context.
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
    ):
        self.X = X
        self.times = times.astype(np.float32)
        self.observed = frame_observed(X)
        self.n_context = n_context
        self.horizon = horizon
        self.frames_per_window = frames_per_window
        self.consistency = consistency
        self.random_windows = random_windows

    def __len__(self):
        return self.X.shape[0]

    def _start(self, i, low, high):
        # Redraw a few times so that the context holds an observed frame.
        k = self.n_context
        for _ in range(8):
            s = int(torch.randint(low, high + 1, (1,)))
            if self.observed[i, s : s + k].any():
                break
        return s

    def __getitem__(self, i):
        k, q = self.n_context, self.horizon
        n_times = self.X.shape[1]
        s = 0
        if self.random_windows:
            s = self._start(i, 0, n_times - k - q)
        t = self.times[i]
        frames = np.arange(s, s + k + q)
        m = self.frames_per_window
        if self.random_windows and m is not None and m < k + q:
            # Decode a random subset of the window: an unbiased estimate of the
            # reconstruction loss at a fraction of the decoder's cost.
            frames = s + np.sort(torch.randperm(k + q)[:m].numpy())
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
            item["query_mask"] = self.observed[i, frames]
        mask = np.isfinite(target).astype(np.float32)
        return item, {"target": np.nan_to_num(target), "mask": mask}


def max_window_span(times, n_context, horizon):
    """Largest time from a window's start to its last frame, over all windows."""
    last = n_context + horizon - 1
    return float(np.max(times[:, last:] - times[:, : times.shape[1] - last]))
