"""Latent-ODE dynamics: the baseline that the solver-free time map is measured against.

It plugs into :class:`~skdyncausal.dynamics._module.LatentDynamicsModule` in place of
the direct time map, so tokenizer, encoder, decoder and loss are shared and only the
way z(t) is computed differs. Integration is fixed-step RK4 in plain torch.
"""

import math

import torch
from torch import nn

__all__ = ["ODEDynamics", "rk4_step"]


def rk4_step(f, z, dt):
    """One classical Runge-Kutta step of size ``dt`` (tensor broadcastable to z)."""
    k1 = f(z)
    k2 = f(z + 0.5 * dt * k1)
    k3 = f(z + 0.5 * dt * k2)
    k4 = f(z + dt * k3)
    return z + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


class ODEDynamics(nn.Module):
    """z(τ) from an autonomous latent ODE started at z(0) = g(ψ).

    The grid ``0, h, 2h, …`` is integrated once per instance; each query time τ
    then takes one partial RK4 step from the grid point below it, so any set of
    real query times is exact for the fixed-step scheme.

    Parameters
    ----------
    latent_dim : int
        Size of ψ and of the state z.
    hidden_dim : int
        Width of the vector-field MLP.
    step : float
        Integration step in the module's time units (frame steps).
    """

    def __init__(self, *, latent_dim=16, hidden_dim=128, step=0.5):
        super().__init__()
        self.step = float(step)
        self.initial = nn.Linear(latent_dim, latent_dim)
        self.field = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.Tanh(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.Tanh(),
            nn.Linear(hidden_dim, latent_dim),
        )
        self.norm = nn.LayerNorm(latent_dim, elementwise_affine=False)

    def forward(self, psi, tau):
        # psi (B, L), tau (B, Q) -> (B, Q, L)
        h = self.step
        n_steps = max(0, math.ceil(float(tau.max().detach()) / h))
        z = self.initial(psi)  # (B, L)
        states = [z]
        for _ in range(n_steps):
            z = rk4_step(self.field, z, h)
            states.append(z)
        grid = torch.stack(states, dim=1)  # (B, G, L)
        idx = torch.clamp(torch.floor(tau / h).long(), 0, grid.shape[1] - 1)  # (B, Q)
        start = torch.gather(
            grid, 1, idx.unsqueeze(-1).expand(-1, -1, grid.shape[-1])
        )  # (B, Q, L)
        dt = (tau - idx.to(tau.dtype) * h).unsqueeze(-1)  # (B, Q, 1)
        return self.norm(rk4_step(self.field, start, dt))
