"""Training windows, ψ refinement, std calibration, learning-rate schedule and
grid summaries of LatentDynamicsRegressor: values, not only shapes."""

import _helpers
import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.dynamics._data import TrajectoryWindows

TINY = _helpers.DYN_SMALL


sines = _helpers.sines


def indexed(n=3, n_times=12):
    """Trajectories whose value at frame j is j, and times 0.5 j."""
    X = np.broadcast_to(
        np.arange(n_times, dtype=np.float32)[None, :, None], (n, n_times, 1)
    )
    return np.ascontiguousarray(X), np.tile(0.5 * np.arange(n_times), (n, 1))


# ------------------------------------------------------------ training windows
def windows(random_starts, frames_per_window, n_draws=200):
    X, t = indexed()
    ds = TrajectoryWindows(
        X, t, 4, 8, frames_per_window=frames_per_window, random_starts=random_starts
    )
    torch.manual_seed(0)
    return [ds[0] for _ in range(n_draws)]


@pytest.mark.parametrize("frames_per_window", [6, None])
def test_random_starts_vary_the_start_at_full_horizon(frames_per_window):
    starts = set()
    for item, target in windows(True, frames_per_window):
        s = int(item["context"][0, 0])
        starts.add(s)
        np.testing.assert_array_equal(item["context"][:, 0], np.arange(s, s + 4))
        np.testing.assert_allclose(item["context_times"], 0.5 * np.arange(4))
        valid = target["mask"][:, 0] > 0
        frames = target["target"][valid, 0]
        # the query frames are frames of the rest of the trajectory, at times
        # relative to the window's start
        assert frames.min() >= s and frames.max() <= 11
        np.testing.assert_allclose(item["query_times"][valid], 0.5 * (frames - s))
        np.testing.assert_array_equal(item["query_mask"], valid)
        if frames_per_window is None:
            # all frames of [s, 12), padded (masked) to the 12 of a full window
            assert len(valid) == 12
            np.testing.assert_array_equal(frames, np.arange(s, 12))
        else:
            assert valid.all() and len(frames) == 6
    # a window keeps at least half the horizon of 8 (and frames_per_window)
    assert starts == set(range(12 - 4 - 4 + 1))


def test_without_random_starts_the_full_horizon_starts_at_zero():
    for item, target in windows(False, 6):
        assert item["context"][0, 0] == 0
        assert target["mask"].all()


def test_windows_per_instance_repeats_each_instance():
    X, t = indexed(n=3)
    X = X + 100.0 * np.arange(3, dtype=np.float32)[:, None, None]  # instance id
    ds = TrajectoryWindows(X, t, 4, 8, frames_per_window=6, windows_per_instance=3)
    assert len(ds) == 9
    torch.manual_seed(0)
    for i in range(9):
        item, _ = ds[i]
        assert int(item["context"][0, 0]) // 100 == i % 3
    valid = TrajectoryWindows(X, t, 4, 8, random_windows=False, windows_per_instance=3)
    assert len(valid) == 3


def test_defaults_of_the_new_options():
    est = LatentDynamicsRegressor()
    assert est.random_starts is False and est.windows_per_instance == 1
    assert est.refine_steps == 20 and est.refine_lr == 0.05
    assert est.calibrate_std is True and est.lr_schedule == "anneal"


def test_random_starts_reach_the_estimator():
    X, t = sines()
    for flag in (True, False):
        est = LatentDynamicsRegressor(**TINY, random_starts=flag).fit(X, times=t)
        assert est.horizon_ == 8
        assert np.isfinite(est.predict(X[:2, :4])).all()


# ---------------------------------------------------------------- ψ refinement
def context_error(est, X):
    """MSE of the frames decoded at the context times from transform's ψ."""
    module = est.net_.module_
    psi = torch.as_tensor(est.transform(X[:, :4]), dtype=torch.float32)
    tau = (est.times_[:4] - est.times_[0]) / est.time_scale_
    tau = torch.as_tensor(np.tile(tau, (len(X), 1)), dtype=torch.float32)
    with torch.no_grad():
        frames = module.decode(module.latent(psi, tau)).numpy()
    Xs = (X[:, :4] - est.obs_mean_) / est.obs_std_
    return float(np.mean((frames - Xs) ** 2))


def test_refinement_fits_the_context_and_leaves_the_weights():
    X, t = sines()
    # Trained long enough that the decoded context depends on ψ: up to about
    # 20 epochs it stays near the mean frame (misfit 0.95 of the variance),
    # where the steps have nothing to fit; after 40 it is 0.2.
    est = LatentDynamicsRegressor(**{**TINY, "max_epochs": 40}, refine_steps=0)
    est.fit(X, times=t)
    weights = {k: v.clone() for k, v in est.net_.module_.state_dict().items()}
    plain = est.transform(X[:6])
    y_plain = est.predict(X[:6, :4])
    errors = [context_error(est.set_params(refine_steps=0), X[:6])]
    for steps in (5, 40):
        est.set_params(refine_steps=steps, refine_lr=0.05)
        errors.append(context_error(est, X[:6]))
    # The steps minimise the context misfit plus the encoder prior, so the
    # misfit alone falls below the unrefined one but need not fall further.
    assert max(errors[1:]) < errors[0] - 1e-3, errors
    refined = est.transform(X[:6])
    assert not np.allclose(plain, refined)
    assert not np.allclose(y_plain, est.predict(X[:6, :4]))
    for k, v in est.net_.module_.state_dict().items():
        assert torch.equal(v, weights[k])
    # refinement is deterministic
    np.testing.assert_array_equal(refined, est.transform(X[:6]))
    np.testing.assert_array_equal(
        est.set_params(refine_steps=0).transform(X[:6]), plain
    )


# --------------------------------------------------------------- calibration
def test_calibrated_std_covers_ninety_percent_of_the_calibration_values():
    X, t = sines()
    raw = LatentDynamicsRegressor(**TINY, calibrate_std=False).fit(X, times=t)
    cal = LatentDynamicsRegressor(**TINY, calibrate_std=True).fit(X, times=t)
    assert raw.std_scale_ == 1.0
    assert cal.std_scale_ > 0 and cal.std_scale_ != 1.0
    y_raw, s_raw = raw.predict(X[:, :4], return_std=True)
    y_cal, s_cal = cal.predict(X[:, :4], return_std=True)
    # the same weights: calibration comes after training and uses its own RNG
    np.testing.assert_allclose(y_raw, y_cal)
    np.testing.assert_allclose(s_cal, cal.std_scale_ * s_raw, rtol=1e-6)
    # all 20 training instances calibrate: their 90 % intervals cover 90 %
    covered = np.abs(X[:, 4:] - y_cal) <= 1.6448536269514722 * s_cal
    assert abs(covered.mean() - 0.9) < 0.02


# --------------------------------------------------------------- lr schedule
class LearningRates(Callback):
    """Records the learning rate of every training step."""

    def initialize(self):
        self.rates = []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.rates.append(net.optimizer_.param_groups[0]["lr"])


def fit_recording(est, X, t, **kwargs):
    """Fit (or partial_fit with ``epochs``) and return the steps' learning rates."""
    recorder = LearningRates().initialize()
    if "epochs" in kwargs:
        est.net_.callbacks_.append(("rates", recorder))
        est.partial_fit(X, times=t, **kwargs)
        est.net_.callbacks_.pop()
        return np.array(recorder.rates)
    make = est._make_net

    def with_recorder(*args, **kw):
        net = make(*args, **kw)
        net.callbacks.append(("rates", recorder))
        return net

    est._make_net = with_recorder
    try:
        est.fit(X, times=t)
    finally:
        del est._make_net
    return np.array(recorder.rates)


def cosine(n):
    return 0.5 * (1 + np.cos(np.pi * np.arange(n) / n))


def anneal(n):
    return np.minimum(1.0, (n - np.arange(n)) / (0.25 * n))


def test_cosine_schedule_sets_the_learning_rate_per_step():
    X, t = sines()  # 20 instances, batch size 8 -> 3 steps per epoch
    est = LatentDynamicsRegressor(**{**TINY, "max_epochs": 4}, lr=2e-3)
    rates = fit_recording(est.set_params(lr_schedule="cosine"), X, t)
    assert rates.size == 12
    np.testing.assert_allclose(rates, 2e-3 * cosine(12))
    rates = fit_recording(est, X, t, epochs=2)  # a new decay over the new epochs
    np.testing.assert_allclose(rates, 2e-3 * cosine(6))
    const = LatentDynamicsRegressor(**TINY, lr=2e-3, lr_schedule="constant")
    np.testing.assert_allclose(fit_recording(const, X, t), 2e-3)


def test_anneal_schedule_holds_then_falls_linearly_to_zero():
    X, t = sines()
    est = LatentDynamicsRegressor(**{**TINY, "max_epochs": 8}, lr=2e-3)
    rates = fit_recording(est.set_params(lr_schedule="anneal"), X, t)
    assert rates.size == 24
    np.testing.assert_allclose(rates[:19], 2e-3)  # three quarters of the steps
    np.testing.assert_allclose(rates[18:], 2e-3 * np.arange(6, 0, -1) / 6)
    np.testing.assert_allclose(rates, 2e-3 * anneal(24))
    rates = fit_recording(est, X, t, epochs=4)  # partial_fit: its own anneal
    np.testing.assert_allclose(rates, 2e-3 * anneal(12))


# ----------------------------------------------------------- grid summaries
def test_pool_summarises_the_latent_grid():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 6, 2, 8, 8)).astype(np.float32)
    est = LatentDynamicsRegressor(**TINY, latent_layout="grid").fit(X)
    psi = est.transform(X)
    cells = psi.reshape(8, 4, 16)  # 4 channels on 4 x 4 cells, channel-major
    np.testing.assert_allclose(est.transform(X, pool="mean"), cells.mean(-1))
    moments = est.transform(X, pool="moments")
    assert moments.shape == (8, 8)
    np.testing.assert_allclose(moments[:, :4], cells.mean(-1))
    np.testing.assert_allclose(moments[:, 4:], cells.std(-1))
    with pytest.raises(ValueError, match="pool must be None, 'mean' or 'moments'"):
        est.transform(X, pool="max")


def test_pool_needs_a_latent_grid():
    X, t = sines()
    est = LatentDynamicsRegressor(**TINY).fit(X, times=t)
    with pytest.raises(ValueError, match="pool='mean' summarises a latent grid"):
        est.transform(X, pool="mean")


# ------------------------------------------------------------- bad parameters
@pytest.mark.parametrize(
    ("params", "name"),
    [
        (dict(random_starts="yes"), "random_starts"),
        (dict(refine_steps=-1), "refine_steps"),
        (dict(refine_steps=2.5), "refine_steps"),
        (dict(refine_lr=0.0), "refine_lr"),
        (dict(calibrate_std=1), "calibrate_std"),
        (dict(lr_schedule="step"), "lr_schedule"),
        (dict(windows_per_instance=0), "windows_per_instance"),
    ],
)
def test_new_parameters_are_validated(params, name):
    X, t = sines()
    with pytest.raises(ValueError, match=name):
        LatentDynamicsRegressor(**TINY, **params).fit(X, times=t)
