"""The direct time map's oscillators: frequencies, phase-locked harmonics,
exact periodicity, the anti-aliasing cut, and how the estimator sets them."""

import math

import numpy as np
import pytest
import torch
from _helpers import DYN_TINY

from skdyncausal.datasets import make_reaction_diffusion
from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.dynamics._module import (
    DirectDynamics,
    OscillatorBank,
    PeriodicEncoding,
)


def bank(n_oscillators, n_harmonics, *, n_frequencies=16, seed=0):
    torch.manual_seed(seed)
    enc = PeriodicEncoding(n_frequencies=n_frequencies, min_period=4.0, max_period=60)
    b = OscillatorBank(
        latent_dim=3, encoding=enc, n_oscillators=n_oscillators, n_harmonics=n_harmonics
    )
    with torch.no_grad():  # away from the zero start, so ψ matters
        b.modes.weight.normal_(0.0, 0.3)
        b.modes.bias.normal_(0.0, 0.3)
    return b


def test_fundamentals_are_the_encodings_frequencies_where_positions_are_whole():
    enc = PeriodicEncoding(n_frequencies=16, min_period=4.0, max_period=60.0)
    full = OscillatorBank(latent_dim=2, encoding=enc, n_oscillators=16, n_harmonics=1)
    assert torch.equal(full.base, enc.omega)
    four = OscillatorBank(latent_dim=2, encoding=enc, n_oscillators=4, n_harmonics=1)
    assert torch.equal(four.base, enc.omega[[0, 5, 10, 15]])
    # between the encoding's frequencies: still log-spaced, same range
    three = OscillatorBank(latent_dim=2, encoding=enc, n_oscillators=3, n_harmonics=1)
    ratios = (three.base[:-1] / three.base[1:]).numpy()
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-5)
    np.testing.assert_allclose(three.base[[0, -1]], enc.omega[[0, -1]], rtol=1e-6)
    one = OscillatorBank(latent_dim=2, encoding=enc, n_oscillators=1, n_harmonics=1)
    expected = math.sqrt(float(enc.omega[0] * enc.omega[-1]))
    np.testing.assert_allclose(float(one.base[0]), expected, rtol=1e-5)


def test_harmonics_stay_locked_to_their_fundamental():
    b = bank(2, 3)
    psi = torch.randn(5, 3)
    tau = torch.linspace(0.0, 40.0, 17).expand(5, -1)
    waves = b.oscillators(psi, tau)  # (5, 17, 2 * 2 * 3): sines, then cosines
    sin, cos = waves.reshape(5, 17, 2, 2, 3).unbind(2)  # (5, 17, M, H) each
    shift, phase = b.modes(psi).chunk(2, dim=-1)
    omega = (b.base * shift.exp()).clamp(max=b.encoding.omega.max())
    theta = tau[..., None] * omega[:, None] + phase[:, None]  # (5, 17, M)
    for k in (1, 2, 3):
        on = (k * omega <= 0.8 * math.pi)[:, None]  # (5, 1, M)
        torch.testing.assert_close(sin[..., k - 1], torch.sin(k * theta) * on)
        torch.testing.assert_close(cos[..., k - 1], torch.cos(k * theta) * on)
    # sin 2θ = 2 sin θ cos θ: the second harmonic follows the first's phase
    on = (2 * omega <= 0.8 * math.pi)[:, None]
    assert 0 < on.sum() < on.numel()  # both kinds occur in this case
    torch.testing.assert_close(
        sin[..., 1], 2 * sin[..., 0] * cos[..., 0] * on, atol=1e-5, rtol=1e-5
    )


def test_harmonics_faster_than_two_and_a_half_frames_are_cut():
    b = bank(1, 8)
    with torch.no_grad():
        b.modes.weight.zero_()
        b.modes.bias.zero_()  # one fundamental at the geometric middle
    omega = float(b.base[0])
    waves = b.oscillators(torch.zeros(1, 3), torch.linspace(0.3, 9.0, 11)[None])
    alive = waves.reshape(11, 2, 8).abs().amax((0, 1)) > 0  # per harmonic
    expected = [k * omega <= 0.8 * math.pi for k in range(1, 9)]
    assert alive.tolist() == expected
    assert 1 < sum(expected) < 8  # the case cuts some, not all


def test_one_oscillator_gives_an_exactly_periodic_path():
    torch.manual_seed(0)
    enc = PeriodicEncoding(n_frequencies=8, min_period=4.0, max_period=60.0)
    dyn = DirectDynamics(
        latent_dim=3,
        hidden_dim=16,
        encoding=enc,
        dropout=0.0,
        n_oscillators=1,
        n_harmonics=4,
    ).eval()
    with torch.no_grad():
        dyn.modes.weight.normal_(0.0, 0.3)
    psi = torch.randn(4, 3)
    shift, _ = dyn.modes(psi).chunk(2, dim=-1)
    omega = (dyn.base * shift.exp()).clamp(max=enc.omega.max())
    period = 2 * math.pi / omega.squeeze(-1)  # (4,)
    tau = torch.linspace(0.0, 12.0, 9).expand(4, -1)
    with torch.no_grad():
        z = dyn(psi, tau)
        z_later = dyn(psi, tau + 3 * period[:, None])
        z_off = dyn(psi, tau + 0.37 * period[:, None])
    torch.testing.assert_close(z_later, z, atol=2e-4, rtol=1e-4)
    assert (z_off - z).abs().max() > 0.05  # not constant in time


def test_estimator_defaults_depend_on_the_layout():
    t = np.linspace(0.0, 6.0, 12)
    X = np.sin(t[None, :, None] + np.linspace(0, 3, 10)[:, None, None])
    est = LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)
    dyn = est.net_.module_.dynamics
    assert (dyn.base.numel(), dyn.orders.numel()) == (4, 6)
    est.set_params(n_oscillators=2, n_harmonics=3).fit(X, times=t)
    dyn = est.net_.module_.dynamics
    assert (dyn.base.numel(), dyn.orders.numel()) == (2, 3)
    rd = make_reaction_diffusion(6, 6, grid_size=8, random_state=0)
    grid = LatentDynamicsRegressor(**DYN_TINY, latent_layout="grid").fit(rd.X)
    dyn = grid.net_.module_.dynamics
    assert (dyn.base.numel(), dyn.orders.numel()) == (DYN_TINY["n_frequencies"], 1)


@pytest.mark.parametrize("name", ["n_oscillators", "n_harmonics"])
@pytest.mark.parametrize("value", [0, 2.5, "4"])
def test_bad_oscillator_counts_name_the_argument(name, value):
    X = np.zeros((6, 8, 2))
    with pytest.raises(ValueError, match=name):
        LatentDynamicsRegressor(**DYN_TINY, **{name: value}).fit(X)
