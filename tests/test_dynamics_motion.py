"""The encoder's motion tokens: the rates of change it reads from the
context, where they are switched off, and how the estimator sets them."""

import numpy as np
import pytest
import torch
from _helpers import DYN_TINY

from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.dynamics._module import LatentDynamicsModule

IMAGE = dict(n_channels=1, height=8, width=8, token_dim=16, hidden_dim=16)
VECTOR = dict(n_channels=2, token_dim=16, hidden_dim=16)


def module(geometry, *, context_motion=True, seed=0):
    torch.manual_seed(seed)
    return LatentDynamicsModule(
        **geometry, latent_dim=4, n_heads=2, context_motion=context_motion
    ).eval()


def test_rates_are_differences_over_irregular_steps():
    times = torch.tensor([[0.0, 1.0, 1.5, 3.5, 4.0]])
    frames = (3.0 * times + 1.0).reshape(1, 5, 1).expand(1, 5, 2).clone()
    frames[0, :, 1] = times[0] ** 2
    mask = torch.tensor([[True, True, True, False, True]])
    rates, moved = LatentDynamicsModule.motion_rates(frames, times, mask)
    # Only frames 1 and 2 have an observed frame before them.
    np.testing.assert_array_equal(moved.numpy(), [[0, 1, 1, 0, 0]])
    expected = np.zeros((5, 2))
    expected[1] = [3.0, 1.0]  # (1 - 0) / 1
    expected[2] = [3.0, (2.25 - 1.0) / 0.5]
    np.testing.assert_allclose(rates[0].numpy(), expected, rtol=1e-6)


def test_padded_times_keep_gradients_finite():
    # Padding repeats the last time: a zero step between unobserved frames.
    times = torch.tensor([[0.0, 1.0, 2.0, 2.0, 2.0]])
    mask = torch.tensor([[True, True, True, False, False]])
    frames = torch.randn(1, 5, 1, 8, 8, requires_grad=True)
    m = module(IMAGE)
    mean, logvar = m.encode(frames, times, mask)
    (mean.sum() + logvar.sum()).backward()
    assert torch.isfinite(frames.grad).all()
    assert frames.grad[:, 1:3].abs().sum() > 0


@pytest.mark.parametrize("geometry", [IMAGE, VECTOR], ids=["image", "vector"])
def test_motion_tokens_add_to_the_frame_tokens(geometry):
    """Switched off in effect (last layer zeroed), the encoder is exactly the
    one without motion tokens: the other layers start from the same weights
    and the rates enter only through the added token. With its weights, the
    rates change ψ, and frames in a different order give a different ψ."""
    shape = (3, 6, 1, 8, 8) if geometry is IMAGE else (3, 6, 2)
    frames = torch.randn(*shape)
    times = torch.arange(6.0).expand(3, 6)
    mask = torch.ones(3, 6, dtype=torch.bool)
    plain = module(geometry, context_motion=False)
    moving = module(geometry)
    assert plain.motion is None
    with torch.no_grad():
        base = plain.encode(frames, times, mask)[0]
        with_motion = moving.encode(frames, times, mask)[0]
        last = [layer for layer in moving.motion.modules() if hasattr(layer, "bias")]
        last[-1].weight.zero_()
        last[-1].bias.zero_()
        silenced = moving.encode(frames, times, mask)[0]
    torch.testing.assert_close(silenced, base)
    assert (with_motion - base).abs().max() > 1e-3


def test_estimator_switch_and_bad_values():
    t = np.linspace(0.0, 6.0, 12)
    X = np.sin(t[None, :, None] + np.linspace(0, 3, 10)[:, None, None])
    est = LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)
    assert est.net_.module_.motion is not None
    est.set_params(context_motion=False).fit(X, times=t)
    assert est.net_.module_.motion is None
    for value in (1, "yes", None):
        with pytest.raises(ValueError, match="context_motion must be True or False"):
            LatentDynamicsRegressor(**DYN_TINY, context_motion=value).fit(X, times=t)
