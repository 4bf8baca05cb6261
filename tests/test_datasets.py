"""Tests of the simulators in :mod:`skdyncausal.datasets`."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kurtosis

from skdyncausal.datasets import (
    make_lotka_volterra,
    make_pendulum,
    make_prior,
    make_reaction_diffusion,
    make_sem,
    prior_from_interventions,
)

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])


def _wrap(angle):
    return (angle + np.pi) % (2 * np.pi) - np.pi


def _r2(y, X):
    X = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return 1.0 - np.var(y - X @ coef) / np.var(y)


# --------------------------------------------------------------------------
# Dynamics: shapes, determinism, times
# --------------------------------------------------------------------------

DYNAMICS = [
    (make_pendulum, dict(n_instances=4, n_times=7, image_size=16), (16, 16)),
    (make_lotka_volterra, dict(n_instances=4, n_times=7), (2,)),
    (
        make_reaction_diffusion,
        dict(n_instances=4, n_times=7, grid_size=12),
        (2, 12, 12),
    ),
]


@pytest.mark.parametrize("maker, kwargs, tail", DYNAMICS)
def test_dynamics_shapes_and_params(maker, kwargs, tail):
    data = maker(**kwargs, random_state=0)
    assert data.X.shape == (4, 7, *tail)
    assert data.X.dtype == np.float32
    assert np.isfinite(data.X).all()
    assert data.times.shape == (4, 7)
    np.testing.assert_allclose(
        data.times, np.tile(np.arange(7) * maker.__kwdefaults__["dt"], (4, 1))
    )
    assert isinstance(data.params, pd.DataFrame)
    assert len(data.params) == 4
    assert isinstance(data.description, str) and data.description


@pytest.mark.parametrize("maker, kwargs, tail", DYNAMICS)
def test_dynamics_deterministic(maker, kwargs, tail):
    a = maker(**kwargs, irregular=True, noise=0.05, random_state=3)
    b = maker(
        **kwargs, irregular=True, noise=0.05, random_state=np.random.RandomState(3)
    )
    c = maker(**kwargs, irregular=True, noise=0.05, random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.times, b.times)
    pd.testing.assert_frame_equal(a.params, b.params)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.times, c.times)


def test_global_rng_untouched():
    before = np.random.get_state()  # noqa: NPY002
    make_pendulum(2, 3, 8, random_state=0)
    make_lotka_volterra(2, 3, random_state=0)
    make_reaction_diffusion(2, 3, 8, random_state=0)
    make_sem(20, 4, n_interventions=1, mechanism="mlp", random_state=0)
    make_prior(CHAIN, random_state=0)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize("maker, kwargs, tail", DYNAMICS)
def test_irregular_times(maker, kwargs, tail):
    dt = maker.__kwdefaults__["dt"]
    data = maker(**kwargs, irregular=True, random_state=1)
    times = data.times
    assert times.shape == (4, 7)
    np.testing.assert_array_equal(times[:, 0], 0.0)
    assert (np.diff(times, axis=1) > 0).all()
    assert np.abs(times - np.arange(7) * dt).max() <= 0.4 * dt + 1e-12
    assert not np.allclose(times[0], times[1])  # per-instance times


def test_options_use_separate_random_streams():
    base = make_pendulum(5, 10, 16, random_state=7)
    noisy = make_pendulum(5, 10, 16, noise=0.1, irregular=True, random_state=7)
    other = make_pendulum(5, 10, 16, length=(1.0, 1.2), random_state=7)
    # Initial conditions do not depend on the noise, times or length options.
    np.testing.assert_array_equal(base.params.theta0, noisy.params.theta0)
    np.testing.assert_array_equal(base.params.theta0, other.params.theta0)
    assert other.params.length.min() >= 1.0


# --------------------------------------------------------------------------
# Pendulum physics and rendering
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pendulum():
    return make_pendulum(n_instances=20, n_times=30, image_size=32, random_state=0)


def test_pendulum_range_and_params(pendulum):
    X, params = pendulum.X, pendulum.params
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert X.max() == pytest.approx(1.0)
    assert list(params.columns) == [
        "length",
        "gravity",
        "damping",
        "theta0",
        "omega0",
        "energy0",
    ]
    assert params.length.between(0.6, 1.0).all()
    assert (params.gravity == 9.81).all() and (params.damping == 0.0).all()
    assert params.theta0.between(-1.5, 1.5).all()
    assert params.omega0.between(-1.0, 1.0).all()
    np.testing.assert_allclose(pendulum.theta[:, 0], params.theta0)
    np.testing.assert_allclose(pendulum.omega[:, 0], params.omega0)
    expected = 0.5 * params.length**2 * params.omega0**2 + params.gravity * (
        params.length * (1 - np.cos(params.theta0))
    )
    np.testing.assert_allclose(params.energy0, expected)


def test_pendulum_centroid_follows_angle(pendulum):
    X = pendulum.X.astype(float)
    centre = (32 - 1) / 2
    grid = np.arange(32) - centre
    mass = X.sum(axis=(2, 3))
    row = (X.sum(axis=3) * grid).sum(axis=2) / mass
    col = (X.sum(axis=2) * grid).sum(axis=2) / mass
    angle = np.arctan2(col, row)  # theta = 0 is down (+row), > 0 is right (+col)
    error = np.abs(_wrap(angle - pendulum.theta))
    assert error.mean() < 0.03
    assert error.max() < 0.15
    # Longer pendulums put the centroid farther from the pivot.
    distance = np.hypot(row, col).mean(axis=1)
    assert np.corrcoef(distance, pendulum.params.length)[0, 1] > 0.95


def test_pendulum_bob_position(pendulum):
    theta, length = pendulum.theta, pendulum.params.length.to_numpy()
    radius = 0.4 * 32 * length[:, None]
    centre = (32 - 1) / 2
    rows = np.rint(centre + radius * np.cos(theta)).astype(int)
    cols = np.rint(centre + radius * np.sin(theta)).astype(int)
    n, t = np.indices(theta.shape)
    assert (pendulum.X[n, t, rows, cols] > 0.9).all()
    # Pixels on the opposite side of the pivot stay dark.
    rows = np.rint(centre - radius * np.cos(theta)).astype(int)
    cols = np.rint(centre - radius * np.sin(theta)).astype(int)
    assert (pendulum.X[n, t, rows, cols] == 0).all()


def test_pendulum_energy_conservation(pendulum):
    p = pendulum.params
    L, g = p.length.to_numpy()[:, None], p.gravity.to_numpy()[:, None]
    energy = 0.5 * L**2 * pendulum.omega**2 + g * L * (1 - np.cos(pendulum.theta))
    rel = np.abs(energy - p.energy0.to_numpy()[:, None]) / p.energy0.to_numpy()[:, None]
    assert rel.max() < 0.01
    # The angle really changes: omega is the time derivative of theta.
    fine = make_pendulum(3, 200, 8, dt=0.005, random_state=1)
    deriv = np.gradient(fine.theta, 0.005, axis=1)
    np.testing.assert_allclose(deriv[:, 1:-1], fine.omega[:, 1:-1], atol=1e-3)


def test_pendulum_damping_and_gravity():
    damped = make_pendulum(10, 100, 8, damping=0.5, random_state=2)
    p = damped.params
    L, g = p.length.to_numpy()[:, None], p.gravity.to_numpy()[:, None]
    energy = 0.5 * L**2 * damped.omega**2 + g * L * (1 - np.cos(damped.theta))
    assert (energy[:, -1] < 0.2 * energy[:, 0]).all()
    # Stronger gravity gives faster oscillations (more zero crossings).
    slow = make_pendulum(10, 100, 8, gravity=2.0, random_state=2)
    fast = make_pendulum(10, 100, 8, gravity=20.0, random_state=2)

    def crossings(theta):
        return (np.diff(np.sign(theta), axis=1) != 0).sum()

    assert crossings(fast.theta) > 2 * crossings(slow.theta)


def test_pendulum_noise_is_clipped():
    clean = make_pendulum(3, 4, 16, random_state=5)
    noisy = make_pendulum(3, 4, 16, noise=0.2, random_state=5)
    assert noisy.X.min() >= 0.0 and noisy.X.max() <= 1.0
    diff = noisy.X - clean.X
    assert 0.05 < np.abs(diff).mean() < 0.2
    np.testing.assert_array_equal(noisy.theta, clean.theta)


# --------------------------------------------------------------------------
# Lotka-Volterra
# --------------------------------------------------------------------------


def test_lotka_volterra_positive_oscillating_conserved():
    data = make_lotka_volterra(n_instances=100, random_state=0)
    X, p = data.X.astype(float), data.params
    assert X.shape == (100, 50, 2)
    assert (X > 0).all()
    np.testing.assert_allclose(X[:, 0, 0], p.x0, rtol=1e-6)
    np.testing.assert_allclose(X[:, 0, 1], p.y0, rtol=1e-6)
    for name, (low, high) in dict(
        alpha=(0.8, 1.2), beta=(0.3, 0.5), delta=(0.3, 0.5), gamma=(0.8, 1.2)
    ).items():
        assert p[name].between(low, high).all()
    # Both populations go up and down within the horizon.
    for channel in range(2):
        slope_sign = np.sign(np.diff(X[:, :, channel], axis=1))
        assert ((np.diff(slope_sign, axis=1) != 0).sum(axis=1) >= 1).all()
    # First integral V = delta x - gamma log x + beta y - alpha log y.
    a, b, d, g = (p[k].to_numpy()[:, None] for k in ("alpha", "beta", "delta", "gamma"))
    x, y = X[..., 0], X[..., 1]
    V = d * x - g * np.log(x) + b * y - a * np.log(y)
    assert np.abs(V - V[:, :1]).max() < 1e-4 * np.abs(V).max() + 1e-4


def test_lotka_volterra_follows_equations():
    data = make_lotka_volterra(5, 400, dt=0.005, alpha=1.0, beta=0.4, random_state=1)
    X = data.X.astype(float)
    x, y = X[..., 0], X[..., 1]
    p = data.params
    dx = np.gradient(x, 0.005, axis=1)[:, 1:-1]
    d, g = p.delta.to_numpy()[:, None], p.gamma.to_numpy()[:, None]
    np.testing.assert_allclose(dx, (1.0 * x - 0.4 * x * y)[:, 1:-1], atol=1e-3)
    dy = np.gradient(y, 0.005, axis=1)[:, 1:-1]
    np.testing.assert_allclose(dy, (d * x * y - g * y)[:, 1:-1], atol=1e-3)


def test_lotka_volterra_multiplicative_noise():
    clean = make_lotka_volterra(20, 30, random_state=3)
    noisy = make_lotka_volterra(20, 30, noise=0.1, random_state=3)
    assert (noisy.X > 0).all()
    log_ratio = np.log(noisy.X / clean.X)
    assert log_ratio.std() == pytest.approx(0.1, rel=0.1)


# --------------------------------------------------------------------------
# Reaction-diffusion
# --------------------------------------------------------------------------


def test_reaction_diffusion_evolves_without_blowing_up():
    data = make_reaction_diffusion(n_instances=10, random_state=0)
    X = data.X.astype(float)
    assert X.shape == (10, 40, 2, 32, 32)
    assert np.abs(X).max() < 1.2
    spatial_std = X.std(axis=(3, 4)).mean(axis=2)  # (n, T)
    assert (spatial_std[:, -1] > 0.2).all()  # not spatially constant
    change = np.abs(X[:, -1] - X[:, 0]).mean(axis=(1, 2, 3))
    assert (change > 0.2).all()  # evolves over the horizon
    step = np.abs(np.diff(X, axis=1)).mean(axis=(2, 3, 4))
    assert (step[:, -5:] > 0.01).all()  # still moving at the end
    modulus = np.sqrt((X**2).sum(axis=2)).mean(axis=(2, 3))
    assert (modulus[:, -1] > modulus[:, 0]).all()  # relaxes towards |A| = 1
    assert data.params.diffusion.between(0.05, 0.15).all()
    assert data.params.beta.between(0.8, 1.2).all()


def test_reaction_diffusion_substeps_keep_large_diffusion_stable():
    # dt = 0.5 is far above h^2 / (4 d) = 0.098; sub-steps must be automatic.
    data = make_reaction_diffusion(3, 6, 32, dt=0.5, diffusion=1.0, random_state=1)
    assert np.isfinite(data.X).all()
    assert np.abs(data.X).max() < 1.2
    # Same initial fields; strong diffusion smooths them faster.
    weak = make_reaction_diffusion(3, 6, 32, dt=0.5, diffusion=0.01, random_state=1)

    def high_frequency_fraction(X):
        power = np.abs(np.fft.fft2(X.astype(float))) ** 2
        k = np.fft.fftfreq(X.shape[-1])
        high = np.hypot(k[:, None], k[None, :]) > 0.1
        return ((power * high).sum(axis=(-2, -1)) / power.sum(axis=(-2, -1))).mean(2)

    np.testing.assert_array_equal(data.X[:, 0], weak.X[:, 0])
    ratio = high_frequency_fraction(data.X) / high_frequency_fraction(weak.X)
    assert (ratio[:, 1:] < 0.6).all()


def test_reaction_diffusion_pure_reaction_rotates():
    # Without diffusion each pixel is an ODE; on |A| = 1 the phase rotates at
    # angular frequency -beta (u + iv -> exp(-i beta t)) and |A| stays 1.
    data = make_reaction_diffusion(
        2, 20, 8, diffusion=1e-9, beta=1.0, dt=0.5, random_state=0
    )
    X = data.X.astype(float)
    modulus = np.sqrt((X**2).sum(axis=2))
    assert np.abs(modulus[:, -1] - 1).max() < 0.05
    z = X[:, :, 0] + 1j * X[:, :, 1]
    rotation = np.angle(z[:, -1] / z[:, -2])
    np.testing.assert_allclose(rotation, -0.5, atol=0.02)


# --------------------------------------------------------------------------
# make_sem
# --------------------------------------------------------------------------


def test_sem_chain_orientation_and_independence():
    data = make_sem(n_samples=3000, adjacency=CHAIN, random_state=0)
    np.testing.assert_array_equal(data.adjacency, CHAIN)
    assert data.adjacency[0, 1] == 1 and data.adjacency[1, 0] == 0
    assert data.ancestral[0, 2] == 1 and data.ancestral[2, 0] == 0
    np.testing.assert_array_equal(data.ancestral, [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(data.causal_order, [0, 1, 2])
    assert data.variable_names == ["X0", "X1", "X2"]
    X = data.X
    slope = np.polyfit(X[:, 0], X[:, 1], 1)[0]
    assert abs(slope) > 0.5
    assert abs(np.corrcoef(X[:, 0], X[:, 2])[0, 1]) > 0.2
    # x0 and x2 are independent given x1 (Markov chain): no partial relation.
    coef = np.linalg.lstsq(np.column_stack([X[:, 1], X[:, 2]]), X[:, 0], rcond=None)
    assert abs(coef[0][1]) < 0.05
    # Weights live on the edges only, with magnitudes in [0.5, 2].
    w = data.weights
    assert (w[CHAIN == 0] == 0).all()
    assert ((np.abs(w[CHAIN == 1]) >= 0.5) & (np.abs(w[CHAIN == 1]) <= 2)).all()


@pytest.mark.parametrize("graph", ["er", "scale_free"])
def test_sem_random_graph_is_hidden_dag(graph):
    unsorted = 0
    for seed in range(5):
        data = make_sem(50, 15, graph=graph, random_state=seed)
        A = data.adjacency
        assert A.shape == (15, 15) and A.dtype.kind == "i"
        assert set(np.unique(A)) <= {0, 1} and not np.diag(A).any()
        G = nx.from_numpy_array(A, create_using=nx.DiGraph)
        assert nx.is_directed_acyclic_graph(G)
        closure = nx.to_numpy_array(nx.transitive_closure_dag(G), nodelist=range(15))
        np.testing.assert_array_equal(data.ancestral, closure.astype(int))
        position = np.argsort(data.causal_order)
        src, dst = np.nonzero(A)
        assert (position[src] < position[dst]).all()
        unsorted += int(np.triu(A).sum() < A.sum())  # index order is not causal
        if graph == "scale_free":
            assert A.sum() == 14  # m = 1 parent for each non-first node
    assert unsorted >= 4


def test_sem_expected_degree():
    n_edges = [
        make_sem(10, 30, expected_degree=3.0, random_state=s).adjacency.sum()
        for s in range(20)
    ]
    assert np.mean(n_edges) == pytest.approx(3.0 * 30 / 2, rel=0.1)
    empty = make_sem(10, 5, expected_degree=0.0, random_state=0)
    assert empty.adjacency.sum() == 0


def test_sem_deterministic():
    kw = dict(n_interventions=3, mechanism="mlp", noise="laplace")
    a = make_sem(100, 8, **kw, random_state=11)
    b = make_sem(100, 8, **kw, random_state=11)
    c = make_sem(100, 8, **kw, random_state=12)
    for key in ("X", "adjacency", "weights", "interventions", "causal_order"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a.X, c.X)


def test_sem_standardize():
    data = make_sem(400, 10, n_interventions=4, random_state=0)
    obs = data.X[data.interventions == -1]
    np.testing.assert_allclose(obs.std(axis=0), 1.0)
    np.testing.assert_allclose(obs.mean(axis=0), 0.0, atol=1e-12)
    raw = make_sem(400, 10, n_interventions=4, standardize=False, random_state=0)
    obs_raw = raw.X[raw.interventions == -1]
    roots = raw.adjacency.sum(axis=0) == 0
    assert obs_raw[:, roots].std(axis=0) == pytest.approx(1.0, abs=0.15)
    # Standardization is a per-column affine map applied to all rows.
    scale = obs_raw.std(axis=0)
    np.testing.assert_allclose(
        data.X, (raw.X - obs_raw.mean(axis=0)) / scale, atol=1e-10
    )


@pytest.mark.parametrize("snr", [0.5, 1.0, 4.0])
def test_sem_snr_controls_r2(snr):
    data = make_sem(5000, adjacency=CHAIN, snr=snr, random_state=1)
    r2 = _r2(data.X[:, 1], data.X[:, [0]])
    assert r2 == pytest.approx(snr / (1 + snr), abs=0.03)


@pytest.mark.parametrize("mechanism", ["linear", "tanh"])
def test_sem_mechanism_equations(mechanism):
    data = make_sem(
        4000, adjacency=CHAIN, mechanism=mechanism, standardize=False, random_state=0
    )
    X, w = data.X, data.weights
    feature = X[:, 0] if mechanism == "linear" else np.tanh(X[:, 0])
    signal = w[0, 1] * feature
    residual = X[:, 1] - signal
    # Residual is the noise: independent of the parent, variance Var(signal)/snr.
    assert abs(np.corrcoef(residual, X[:, 0])[0, 1]) < 0.05
    assert residual.var() == pytest.approx(signal.var(), rel=0.1)


def test_sem_mlp_is_nonlinear():
    data = make_sem(4000, adjacency=CHAIN, mechanism="mlp", snr=10.0, random_state=3)
    x0, x1 = data.X[:, 0], data.X[:, 1]
    linear = _r2(x1, x0[:, None])
    poly = _r2(x1, np.column_stack([x0**k for k in range(1, 8)]))
    assert poly > 0.8
    assert poly > linear + 0.02
    assert (data.weights[CHAIN == 1] > 0).all() and (
        data.weights[CHAIN == 0] == 0
    ).all()


@pytest.mark.parametrize(
    "noise, low, high",
    [("gaussian", -0.35, 0.35), ("laplace", 1.5, 6), ("uniform", -1.3, -1.0)],
)
def test_sem_noise_kurtosis(noise, low, high):
    data = make_sem(5000, 5, expected_degree=0.0, noise=noise, random_state=0)
    k = kurtosis(data.X, axis=0)  # excess kurtosis of root nodes
    assert ((k > low) & (k < high)).all()


def test_sem_interventions_cut_incoming_edges():
    data = make_sem(
        2000,
        adjacency=CHAIN,
        n_interventions=3,
        intervention_samples=300,
        random_state=0,
    )
    X, iv = data.X, data.interventions
    assert X.shape == (2900, 3)
    assert (iv[:2000] == -1).all()
    assert sorted(np.unique(iv[2000:])) == [0, 1, 2]
    assert all((iv == k).sum() == 300 for k in range(3))
    obs, ko = X[iv == -1], X[iv == 1]
    # The knocked-out variable sits 3 std below its mean with little noise...
    assert ko[:, 1].mean() == pytest.approx(-3.0, abs=0.05)
    assert ko[:, 1].std() == pytest.approx(0.1, abs=0.02)
    # ... and no longer depends on its parent.
    assert abs(np.corrcoef(ko[:, 0], ko[:, 1])[0, 1]) < 0.15
    assert abs(np.corrcoef(obs[:, 0], obs[:, 1])[0, 1]) > 0.5
    # The parent is unaffected, the child shifts.
    assert abs(ko[:, 0].mean()) < 0.2
    assert abs(ko[:, 2].mean()) > 1.0
    # Knocking out the sink leaves its ancestors alone.
    sink = X[iv == 2]
    assert np.abs(sink[:, :2].mean(axis=0)).max() < 0.2


def test_sem_adjacency_dataframe_names():
    names = ["a", "b", "c"]
    frame = pd.DataFrame(CHAIN, index=names, columns=names)
    data = make_sem(50, adjacency=frame, random_state=0)
    assert data.variable_names == names
    np.testing.assert_array_equal(data.adjacency, CHAIN)


# --------------------------------------------------------------------------
# make_prior
# --------------------------------------------------------------------------


def test_make_prior_reveals_truth():
    truth = make_sem(10, 20, random_state=0).ancestral
    prior = make_prior(truth, fraction=0.3, random_state=0)
    assert prior.dtype == np.float64 and prior.shape == (20, 20)
    assert np.isnan(np.diag(prior)).all()
    revealed = ~np.isnan(prior)
    assert revealed.sum() == pytest.approx(0.3 * 380, abs=1)
    np.testing.assert_array_equal(prior[revealed], truth[revealed])
    assert set(np.unique(prior[revealed])) == {0.0, 1.0}
    again = make_prior(truth, fraction=0.3, random_state=0)
    np.testing.assert_array_equal(prior, again)
    other = make_prior(truth, fraction=0.3, random_state=1)
    assert not np.array_equal(np.isnan(prior), np.isnan(other))


def test_make_prior_always_both_classes():
    adjacency = np.zeros((10, 10), dtype=int)
    adjacency[3, 7] = 1  # a single positive among 90 pairs
    for seed in range(20):
        prior = make_prior(adjacency, fraction=0.02, random_state=seed)
        values = prior[~np.isnan(prior)]
        assert (values == 1).sum() == 1 and (values == 0).sum() >= 1
    all_neg = make_prior(np.zeros((4, 4)), fraction=0.5, random_state=0)
    assert np.nansum(all_neg) == 0 and (~np.isnan(all_neg)).sum() == 6


def test_make_prior_balance():
    truth = make_sem(10, 20, random_state=0).adjacency
    prior = make_prior(truth, fraction=0.1, balance=0.5, random_state=0)
    values = prior[~np.isnan(prior)]
    assert len(values) == 38
    assert values.mean() == pytest.approx(0.5, abs=0.03)


def test_make_prior_dataframe_round_trip():
    names = [f"g{i}" for i in range(5)]
    truth = make_sem(10, 5, expected_degree=2.0, random_state=2).ancestral
    frame = pd.DataFrame(truth, index=names, columns=names)
    prior = make_prior(frame, fraction=0.5, random_state=0)
    assert isinstance(prior, pd.DataFrame)
    assert list(prior.index) == names and list(prior.columns) == names
    np.testing.assert_array_equal(
        prior.to_numpy(), make_prior(truth, fraction=0.5, random_state=0)
    )


@settings(max_examples=30, deadline=None)
@given(
    p=st.integers(2, 8),
    seed=st.integers(0, 2**31 - 2),
    fraction=st.floats(0.01, 1.0),
)
def test_make_prior_property(p, seed, fraction):
    rng = np.random.RandomState(seed)
    truth = np.triu(rng.uniform(size=(p, p)) < 0.5, k=1).astype(int)
    prior = make_prior(truth, fraction=fraction, random_state=seed)
    revealed = ~np.isnan(prior)
    assert not np.diag(revealed).any()
    np.testing.assert_array_equal(prior[revealed], truth[revealed])
    off = ~np.eye(p, dtype=bool)
    for label in (0, 1):
        if (truth[off] == label).any():
            assert (prior[revealed] == label).any()


# --------------------------------------------------------------------------
# prior_from_interventions
# --------------------------------------------------------------------------


@pytest.mark.parametrize("method, minimum", [("zscore", 0.85), ("robust", 0.8)])
def test_prior_from_interventions_matches_ancestral(method, minimum):
    accuracies = []
    for seed in range(5):
        data = make_sem(500, 20, n_interventions=8, random_state=seed)
        prior = prior_from_interventions(data.X, data.interventions, method=method)
        targets = np.unique(data.interventions[data.interventions >= 0])
        revealed = ~np.isnan(prior)
        assert np.isnan(np.diag(prior)).all()
        assert set(np.flatnonzero(revealed.any(axis=1))) == set(targets)
        assert revealed[targets].sum() == len(targets) * 19
        accuracies.append((prior[revealed] == data.ancestral[revealed]).mean())
        # A knock-out never shifts non-descendants much: few false positives.
        negatives = revealed & (data.ancestral == 0)
        assert prior[negatives].mean() < 0.1
    assert np.mean(accuracies) > minimum


def test_prior_from_interventions_variables_and_dataframe():
    data = make_sem(300, 6, n_interventions=3, random_state=0)
    targets = np.unique(data.interventions[data.interventions >= 0])
    prior = prior_from_interventions(data.X, data.interventions, variables=targets[:1])
    revealed_rows = np.flatnonzero((~np.isnan(prior)).any(axis=1))
    np.testing.assert_array_equal(revealed_rows, targets[:1])
    frame = pd.DataFrame(data.X, columns=data.variable_names)
    prior_df = prior_from_interventions(frame, data.interventions)
    assert isinstance(prior_df, pd.DataFrame)
    assert list(prior_df.columns) == data.variable_names
    assert list(prior_df.index) == data.variable_names
    np.testing.assert_array_equal(
        prior_df.to_numpy(), prior_from_interventions(data.X, data.interventions)
    )
    # A higher threshold labels fewer pairs positive.
    strict = prior_from_interventions(data.X, data.interventions, threshold=10.0)
    assert np.nansum(strict) <= np.nansum(prior_df.to_numpy())


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_pendulum(n_instances=0), "n_instances"),
        (lambda: make_pendulum(n_times=2.5), "n_times"),
        (lambda: make_pendulum(image_size=4), "image_size"),
        (lambda: make_pendulum(dt=0.0), "dt"),
        (lambda: make_pendulum(length=(1.0, 0.5)), r"length.*\(low, high\)"),
        (lambda: make_pendulum(length=-1.0), "length"),
        (lambda: make_pendulum(gravity=(1.0, 2.0, 3.0)), "gravity"),
        (lambda: make_pendulum(damping=-0.1), "damping"),
        (lambda: make_pendulum(damping="none"), "damping"),
        (lambda: make_pendulum(irregular=1), "irregular"),
        (lambda: make_pendulum(noise=-1.0), "noise"),
        (lambda: make_lotka_volterra(alpha=0.0), "alpha"),
        (lambda: make_lotka_volterra(gamma=(np.nan, 1.0)), "gamma"),
        (lambda: make_lotka_volterra(n_times=0), "n_times"),
        (lambda: make_reaction_diffusion(grid_size=4), "grid_size"),
        (lambda: make_reaction_diffusion(diffusion=0.0), "diffusion"),
        (lambda: make_reaction_diffusion(domain_size=-1.0), "domain_size"),
        (lambda: make_sem(n_samples=1), "n_samples"),
        (lambda: make_sem(n_variables=1), "n_variables"),
        (lambda: make_sem(graph="tree"), r"graph.*\['er', 'scale_free'\]"),
        (lambda: make_sem(mechanism="cubic"), "mechanism"),
        (lambda: make_sem(noise="cauchy"), "noise"),
        (lambda: make_sem(snr=0.0), "snr"),
        (lambda: make_sem(n_variables=5, expected_degree=5.0), "expected_degree"),
        (lambda: make_sem(n_variables=5, n_interventions=6), "n_interventions"),
        (lambda: make_sem(intervention_samples=0), "intervention_samples"),
        (lambda: make_sem(standardize="yes"), "standardize"),
        (lambda: make_sem(adjacency=np.ones((3, 3))), "adjacency.*self-loops"),
        (lambda: make_sem(adjacency=CHAIN + CHAIN.T), "adjacency.*cycle"),
        (lambda: make_sem(adjacency=np.zeros((2, 3))), "adjacency.*shape"),
        (lambda: make_sem(adjacency=2 * CHAIN), "adjacency.*0 and 1"),
        (lambda: make_prior(np.zeros(3)), "adjacency.*square"),
        (lambda: make_prior(np.full((3, 3), np.nan)), "adjacency.*NaN"),
        (lambda: make_prior(CHAIN, fraction=0.0), "fraction"),
        (lambda: make_prior(CHAIN, fraction=1.5), "fraction"),
        (lambda: make_prior(CHAIN, balance=2.0), "balance"),
        (lambda: prior_from_interventions(np.zeros(5), np.zeros(5, int)), "`X`"),
        (
            lambda: prior_from_interventions(np.zeros((4, 3)), [-1, -1, 5, 5]),
            "interventions",
        ),
        (
            lambda: prior_from_interventions(np.zeros((4, 3)), [-1, -1, 0.5, 0]),
            "interventions",
        ),
        (
            lambda: prior_from_interventions(np.zeros((4, 3)), [0, 0, 1, 1]),
            "observational",
        ),
        (
            lambda: prior_from_interventions(
                np.zeros((4, 3)), [-1, -1, 0, 0], variables=[1]
            ),
            "variables",
        ),
        (
            lambda: prior_from_interventions(
                np.zeros((4, 3)), [-1, -1, 0, 0], threshold=0
            ),
            "threshold",
        ),
        (
            lambda: prior_from_interventions(
                np.zeros((4, 3)), [-1, -1, 0, 0], method="mean"
            ),
            "method",
        ),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
