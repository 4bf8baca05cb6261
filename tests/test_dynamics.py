"""Behaviour of LatentDynamicsRegressor: inputs, outputs, learning sanity."""

import contextlib
import io
import re

import _helpers
import numpy as np
import pytest
import torch

from skdyncausal.datasets import make_reaction_diffusion
from skdyncausal.dynamics import (
    LatentDynamicsRegressor,
)
from skdyncausal.metrics import normalized_mse

TINY = _helpers.DYN_SMALL


def sines(n=20, n_times=12, seed=0, t_end=6.0):
    """Two-feature sinusoids with a per-instance phase and frequency."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, t_end, n_times)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = rng.uniform(0.8, 1.4, (n, 1))
    arg = freq * t + phase  # (n, T)
    return np.stack([np.sin(arg), np.cos(arg)], axis=-1), t


@pytest.fixture(scope="module")
def fitted():
    X, t = sines()
    return LatentDynamicsRegressor(**TINY).fit(X, times=t), X, t


# ---------------------------------------------------------------- predictions
def test_predict_shapes_and_dtype(fitted):
    est, X, t = fitted
    y = est.predict(X[:3, :4])
    assert y.shape == (3, len(t) - 4, 2)
    assert y.dtype == np.float64
    y = est.predict(X[:3, :4], times=[0.25, 1.7, 2.05])
    assert y.shape == (3, 3, 2)
    per_instance = np.tile([0.3, 0.9], (3, 1))
    assert est.predict(X[:3], times=per_instance).shape == (3, 2, 2)
    assert est.transform(X[:5]).shape == (5, 4)
    assert est.transform(X[:5]).dtype == np.float64
    assert est.n_features_in_ == 2
    assert est.obs_shape_ == (2,)
    assert len(est.history_) == 2 and len(est.loss_curve_) == 2


def test_return_std_positive(fitted):
    est, X, _ = fitted
    y, s = est.predict(X[:3, :4], times=[0.5, 2.5, 4.0], return_std=True)
    assert y.shape == s.shape == (3, 3, 2)
    assert (s > 0).all() and np.isfinite(s).all()
    np.testing.assert_allclose(y, est.predict(X[:3, :4], times=[0.5, 2.5, 4.0]))


def test_extrapolation_roll_and_raise(fitted):
    est, X, t = fitted
    far = np.linspace(0.0, 4 * t[-1], 40)
    y = est.predict(X[:2, :4], times=far)
    assert y.shape == (2, 40, 2) and np.isfinite(y).all()
    # Inside the trained span rolling changes nothing.
    inside = far[far <= est.trained_span_]
    np.testing.assert_allclose(y[:, : len(inside)], est.predict(X[:2, :4], inside))
    est_raise = LatentDynamicsRegressor(**{**TINY, "extrapolation": "raise"})
    est_raise.fit(X, times=t)
    est_raise.predict(X[:2, :4], times=[t[-1]])
    with pytest.raises(ValueError, match="beyond the longest trained window"):
        est_raise.predict(X[:2, :4], times=far)
    with pytest.raises(ValueError, match="precede the first context time"):
        est.predict(X[:2, :4], times=[-1.0])


def test_many_query_times_are_chunked(fitted):
    est, X, t = fitted
    q = np.linspace(0.0, t[-1], 1500)
    y = est.predict(X[:2, :4], times=q)
    assert y.shape == (2, 1500, 2)
    np.testing.assert_allclose(y[:, ::500], est.predict(X[:2, :4], q[::500]), 1e-5)


def test_missing_frames_and_irregular_times():
    X, _ = sines(n=16, n_times=12)
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.3, 0.7, (16, 12)), axis=1)
    X[rng.random((16, 12)) < 0.2] = np.nan
    X[:, 0] = 0.5  # keep one observed context frame
    est = LatentDynamicsRegressor(**TINY).fit(X, times=t)
    assert est.times_ is None
    y = est.predict(X[:4, :4], times=t[:4, 4:], context_times=t[:4, :4])
    assert np.isfinite(y).all()
    assert np.isfinite(est.score(X, times=t))
    with pytest.raises(ValueError, match="pass context_times"):
        est.predict(X[:4, :4], times=t[:4, 4:])


@pytest.mark.parametrize(
    "obs_shape", [(20, 12), (2, 8, 8), (3, 9, 17)], ids=["HxW", "CxHxW", "odd"]
)
def test_images_and_fields_of_any_size(obs_shape):
    rng = np.random.default_rng(0)
    X = rng.random((6, 8, *obs_shape)).astype(np.float32)
    est = LatentDynamicsRegressor(**{**TINY, "batch_size": 3}).fit(X)
    y, s = est.predict(X[:2, :4], times=[4.5, 7.0], return_std=True)
    assert y.shape == s.shape == (2, 2, *obs_shape)
    assert np.isfinite(y).all()
    assert est.n_features_in_ == int(np.prod(obs_shape))


def test_latent_ode_variant(fitted):
    _, X, t = fitted
    est = LatentDynamicsRegressor(**TINY, dynamics="ode").fit(X, times=t)
    y = est.predict(X[:2, :4], times=[0.7, 2.0 * t[-1]])
    assert y.shape == (2, 2, 2) and np.isfinite(y).all()


def test_latent_gru_variant(fitted):
    _, X, t = fitted
    est = LatentDynamicsRegressor(**TINY, dynamics="gru").fit(X, times=t)
    # Between two steps the GRU interpolates linearly; past the window it steps on.
    y = est.predict(X[:2, :4], times=[t[4], t[5], 0.5 * (t[4] + t[5]), 2.0 * t[-1]])
    assert y.shape == (2, 4, 2) and np.isfinite(y).all()
    module = est.net_.module_
    tau = torch.tensor([[4.0, 5.0, 4.5]])
    with torch.no_grad():
        psi = torch.zeros(1, TINY["latent_dim"])
        z = module.dynamics(psi, tau)[0]
    torch.testing.assert_close(z[2], 0.5 * (z[0] + z[1]))


def test_torchdiffeq_solver_matches_rk4(fitted):
    pytest.importorskip("torchdiffeq")
    _, X, t = fitted
    est = LatentDynamicsRegressor(**TINY, dynamics="ode").fit(X, times=t)
    ode = est.net_.module_.dynamics
    psi = torch.randn(3, TINY["latent_dim"], generator=torch.Generator().manual_seed(0))
    tau = torch.tensor([[0.0, 1.3, 4.0], [2.5, 0.2, 7.1], [6.0, 6.0, 3.3]])
    with torch.no_grad():
        fixed = ode(psi, tau)
        ode.solver = "dopri5"
        adaptive = ode(psi, tau)
    # Same ODE, two integrators: they agree to the RK4 step's accuracy.
    torch.testing.assert_close(adaptive, fixed, atol=2e-3, rtol=0)


# ------------------------------------------------------------ latent grid
@pytest.mark.parametrize(
    ("obs_shape", "stride", "cells"),
    [((2, 8, 8), 2, 16), ((3, 9, 17), 4, 15), ((10, 6), 1, 60)],
    ids=["field", "odd-stride4", "HxW-stride1"],
)
def test_grid_layout_shapes(obs_shape, stride, cells):
    rng = np.random.default_rng(0)
    X = rng.random((6, 8, *obs_shape)).astype(np.float32)
    params = {**TINY, "batch_size": 3, "latent_layout": "grid", "latent_stride": stride}
    est = LatentDynamicsRegressor(**params).fit(X)
    y, s = est.predict(X[:2, :4], times=[4.5, 7.0, 30.0], return_std=True)
    assert y.shape == s.shape == (2, 3, *obs_shape)
    assert np.isfinite(y).all() and (s > 0).all()
    assert est.transform(X[:2]).shape == (2, TINY["latent_dim"] * cells)
    for variant in ("ode", "gru"):
        est = LatentDynamicsRegressor(**params, dynamics=variant).fit(X)
        y = est.predict(X[:2, :4], times=[4.5, 7.0])
        assert y.shape == (2, 2, *obs_shape) and np.isfinite(y).all()


def test_grid_cells_are_encoded_locally():
    # Changing the context in one corner moves psi in nearby cells only.
    rng = np.random.default_rng(0)
    X = rng.random((6, 8, 1, 16, 16)).astype(np.float32)
    # The encoder's ψ (refinement fits ψ through the decoder, which mixes cells)
    params = {**TINY, "latent_layout": "grid", "latent_stride": 4, "n_layers": 1}
    est = LatentDynamicsRegressor(**params, refine_steps=0).fit(X)
    other = X[:1].copy()
    other[..., :4, :4] += 1.0
    diff = np.abs(est.transform(other) - est.transform(X[:1]))
    diff = diff.reshape(TINY["latent_dim"], 4, 4).sum(0)
    assert diff[0, 0] > 0 and diff[3, 3] == 0 and diff[:, 3].sum() == 0


def test_grid_layout_errors():
    X, t = sines()
    with pytest.raises(ValueError, match="latent_layout='grid' needs image"):
        LatentDynamicsRegressor(**TINY, latent_layout="grid").fit(X, times=t)
    with pytest.raises(ValueError, match="latent_stride must be a power of two"):
        LatentDynamicsRegressor(**TINY, latent_stride=3).fit(X, times=t)
    with pytest.raises(ValueError, match="latent_layout"):
        LatentDynamicsRegressor(**TINY, latent_layout="spatial").fit(X, times=t)


def test_partial_fit_and_warm_start_continue_training(fitted):
    _, X, t = fitted
    est = LatentDynamicsRegressor(**TINY)
    est.partial_fit(X, times=t, epochs=1)
    assert len(est.net_.history) == 1
    before = est.transform(X[:3])
    est.partial_fit(X[:8], times=t, epochs=2)
    assert len(est.net_.history) == 3 and len(est.history_) == 3
    assert not np.allclose(before, est.transform(X[:3]))
    est.set_params(warm_start=True).fit(X, times=t)
    assert len(est.net_.history) == 5
    with pytest.raises(ValueError, match=r"observations of shape \(3,\)"):
        est.partial_fit(np.zeros((4, 12, 3)))


def test_training_options_run():
    X, t = sines(n=16, n_times=16)
    est = LatentDynamicsRegressor(
        **{**TINY, "max_epochs": 6},
        curriculum=True,
        horizon=8,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=2,
        frames_per_window=None,
        consistency_weight=0.0,
    ).fit(X, times=t)
    assert est.horizon_ == 8
    assert est.history_[-1]["valid_loss"] is not None
    # Query times past the 4 + 8 frame window are rolled forward.
    assert np.isfinite(est.predict(X[:2, :4])).all()


@pytest.mark.parametrize("dynamics", ["direct", "gru"])
def test_verbose_levels_show_progress_on_stderr(dynamics):
    X, _ = sines(n=8)
    texts = {}
    for verbose in (0, 1, 2):
        out, err = io.StringIO(), io.StringIO()
        est = LatentDynamicsRegressor(
            **{**TINY, "max_epochs": 3}, dynamics=dynamics, verbose=verbose
        )
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            est.fit(X)
        assert out.getvalue() == ""  # stdout stays for the user's results
        texts[verbose] = err.getvalue()
    assert texts[0] == ""
    # 1: one bar over the epochs, with the count of all epochs and the loss
    assert "3/3" in texts[1] and "train_loss=" in texts[1]
    assert "dur" not in texts[1]
    # 2: skorch's epoch table and a bar over the batches of each epoch
    assert "dur" in texts[2] and "train_loss" in texts[2] and "it/s" in texts[2]
    # no colour codes in a redirected stream
    assert not re.search("\x1b\\[[0-9;]*m", texts[2])


# ------------------------------------------------------------ input checking
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(X=np.zeros((5, 12))), r"\(n_instances, n_times, \*obs_shape\)"),
        (dict(times=np.r_[0, 2, 1, np.arange(3, 12)]), "strictly increasing"),
        (dict(times=np.arange(7.0)), r"expected \(12,\) or \(20, 12\)"),
        (dict(times=np.zeros((3, 12))), r"expected \(12,\) or \(20, 12\)"),
        (dict(times=np.arange(20.0)), "Cross-validation slices"),
        (dict(X_inf=True), "infinite"),
        (dict(n_context=12), "n_context=12 must be smaller"),
    ],
)
def test_fit_input_errors(kwargs, match):
    X, t = sines()
    X = kwargs.pop("X", X)
    if kwargs.pop("X_inf", False):
        X = X.copy()
        X[0, 0, 0] = np.inf
    params = {**TINY, "n_context": kwargs.pop("n_context", 4)}
    with pytest.raises(ValueError, match=match):
        LatentDynamicsRegressor(**params).fit(X, times=kwargs.get("times", t))


def test_bad_params_reported_together():
    X, t = sines()
    est = LatentDynamicsRegressor(lr=-1, latent_dim=0, extrapolation="x", dropout=2)
    with pytest.raises(ValueError, match="Invalid parameters") as info:
        est.fit(X, times=t)
    message = str(info.value)
    for name in ("lr", "latent_dim", "extrapolation", "dropout"):
        assert name in message
    with pytest.raises(ValueError, match="multiple of n_heads"):
        LatentDynamicsRegressor(token_dim=10, n_heads=4).fit(X, times=t)


def test_predict_input_errors(fitted):
    est, X, _ = fitted
    with pytest.raises(ValueError, match=r"fitted on observations of shape \(2,\)"):
        est.predict(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="no observed context frame"):
        est.predict(np.full((2, 4, 2), np.nan))
    with pytest.raises(ValueError, match="context_times"):
        est.predict(X[:2, :4], context_times=[0, 1, 2])
    with pytest.raises(ValueError, match="must be finite"):
        est.predict(X[:2, :4], times=[np.nan])
    with pytest.raises(ValueError, match="frames after the n_context"):
        est.score(X[:, :4])


# ---------------------------------------------------------- learning sanity
# Each seed draws new data and new initial weights; the model must beat, on the
# same held-out frames, the better of two forecasts that need no training.
def baselines_nmse(train, test, n_context):
    """nMSE after the context of persistence and of the mean training frame."""
    target = test[:, n_context:]
    persistence = np.repeat(test[:, n_context - 1 : n_context], target.shape[1], 1)
    mean_frame = np.broadcast_to(train.mean(axis=(0, 1)), target.shape)
    return {
        "persistence": normalized_mse(target, persistence),
        "mean frame": normalized_mse(target, mean_frame),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_learns_sinusoids_better_than_baselines(seed):
    X, t = sines(n=72, n_times=20, t_end=8.0, seed=seed)
    train, test = X[:60], X[60:]
    est = LatentDynamicsRegressor(
        n_context=6,
        latent_dim=8,
        token_dim=32,
        hidden_dim=64,
        n_layers=1,
        max_epochs=25,
        batch_size=16,
        lr=3e-3,
        random_state=seed,
    ).fit(train, times=t)
    baselines = baselines_nmse(train, test, n_context=6)
    model = 1.0 - est.score(test)
    assert model < 0.6 * min(baselines.values()), (model, baselines)


@pytest.mark.parametrize("seed", [0, 1])
def test_grid_layout_learns_a_field_better_than_baselines(seed):
    d = make_reaction_diffusion(56, 16, grid_size=8, dt=0.2, random_state=seed)
    train, test = d.X[:48], d.X[48:]
    est = LatentDynamicsRegressor(
        n_context=4,
        latent_dim=8,
        latent_layout="grid",
        token_dim=16,
        hidden_dim=32,
        conv_channels=8,
        n_layers=1,
        max_epochs=40,
        batch_size=8,
        lr=3e-3,
        random_state=seed,
    ).fit(train, times=d.times[0])
    baselines = baselines_nmse(train, test, n_context=4)
    model = 1.0 - est.score(test, times=d.times[0])
    assert model < 0.6 * min(baselines.values()), (model, baselines)


def test_global_torch_rng_untouched(fitted):
    _, X, t = fitted
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    est = LatentDynamicsRegressor(**TINY).fit(X, times=t)
    est.predict(X[:2, :4], return_std=True)
    assert torch.equal(torch.rand(3), expected)


def test_variant_parameters_are_validated_and_old_names_point_to_them():
    import skdyncausal.dynamics as dyn

    with pytest.raises(AttributeError, match=r"dynamics='ode'"):
        dyn.LatentODERegressor  # noqa: B018
    with pytest.raises(AttributeError, match=r"dynamics='gru'"):
        dyn.LatentGRURegressor  # noqa: B018
    X = np.zeros((4, 6, 2))
    with pytest.raises(ValueError) as info:
        LatentDynamicsRegressor(dynamics="sde", ode_solver=3, optimizer="x").fit(X)
    message = str(info.value)
    assert "dynamics must be one of ['direct', 'ode', 'gru']; got 'sde'" in message
    assert "ode_solver must be 'rk4'" in message and "optimizer must be" in message


def test_optimizer_and_clipping_reach_the_net(fitted):
    _, X, t = fitted
    est = LatentDynamicsRegressor(**{**TINY, "max_epochs": 1})
    est.set_params(optimizer="sgd", gradient_clip=None).fit(X, times=t)
    assert isinstance(est.net_.optimizer_, torch.optim.SGD)
    assert "clip" not in dict(est.net_.callbacks_)
    est.set_params(optimizer="adamw", gradient_clip=0.5).fit(X, times=t)
    assert isinstance(est.net_.optimizer_, torch.optim.AdamW)
    assert dict(est.net_.callbacks_)["clip"].gradient_clip_value == 0.5
