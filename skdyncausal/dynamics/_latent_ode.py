"""Baseline latent dynamics the solver-free time map is measured against.

Both plug into :class:`~skdyncausal.dynamics._module.LatentDynamicsModule` in place
of the direct time map, so tokenizer, encoder, decoder and loss are shared and only
the way z(t) is computed differs: a latent ODE (fixed-step RK4 in plain torch, or an
adaptive solver from torchdiffeq when that optional package is installed) and a
discrete-time recurrence (GRU) in latent space.
"""

import math

import torch
from torch import nn

from ._layers import ChannelNorm, OnGrid, to_map

__all__ = ["ConvGRUCell", "GRUDynamics", "ODEDynamics", "rk4_step", "take_states"]


def take_states(path, idx):
    """States of a path (B, G, L) at step indices idx (B, Q) -> (B, Q, L)."""
    return torch.gather(path, 1, idx.unsqueeze(-1).expand(-1, -1, path.shape[-1]))


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
    grid : tuple of int, optional
        Latent grid (h, w): the state is a map of ``latent_dim`` channels per
        cell (flattened), the vector field a CNN and the norm per cell.
    solver : str, default="rk4"
        ``"rk4"``: the fixed-step scheme above. Any other name is a method of
        ``torchdiffeq.odeint`` (e.g. ``"dopri5"``, adaptive, rtol 1e-3 and
        atol 1e-4), integrated over the sorted union of the batch's query times
        (torchdiffeq is an optional dependency).
    """

    def __init__(
        self, *, latent_dim=16, hidden_dim=128, step=0.5, grid=None, solver="rk4"
    ):
        super().__init__()
        self.step = float(step)
        self.solver = solver
        if grid is None:
            self.initial = nn.Linear(latent_dim, latent_dim)
            self.field = nn.Sequential(
                nn.Linear(latent_dim, hidden_dim),
                nn.Tanh(),
                nn.Linear(hidden_dim, hidden_dim),
                nn.Tanh(),
                nn.Linear(hidden_dim, latent_dim),
            )
            self.norm = nn.LayerNorm(latent_dim, elementwise_affine=False)
            return
        width = hidden_dim // 2
        self.initial = OnGrid(nn.Conv2d(latent_dim, latent_dim, 1), latent_dim, grid)
        field = nn.Sequential(
            nn.Conv2d(latent_dim, width, 3, padding=1),
            nn.Tanh(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.Tanh(),
            nn.Conv2d(width, latent_dim, 3, padding=1),
        )
        self.field = OnGrid(field, latent_dim, grid)
        self.norm = OnGrid(ChannelNorm(), latent_dim, grid)

    def forward(self, psi, tau):
        # psi (B, L), tau (B, Q) -> (B, Q, L)
        if self.solver != "rk4":
            return self._odeint(psi, tau)
        h = self.step
        n_steps = max(0, math.ceil(float(tau.max().detach()) / h))
        z = self.initial(psi)  # (B, L)
        states = [z]
        for _ in range(n_steps):
            z = rk4_step(self.field, z, h)
            states.append(z)
        grid = torch.stack(states, dim=1)  # (B, G, L)
        idx = torch.clamp(torch.floor(tau / h).long(), 0, grid.shape[1] - 1)  # (B, Q)
        start = take_states(grid, idx)  # (B, Q, L)
        dt = (tau - idx.to(tau.dtype) * h).unsqueeze(-1)  # (B, Q, 1)
        return self.norm(rk4_step(self.field, start, dt))

    def _odeint(self, psi, tau):
        from torchdiffeq import odeint

        times, index = torch.unique(tau.reshape(-1), sorted=True, return_inverse=True)
        start = times.new_zeros(1)
        with_start = times[0] > 0
        if with_start:
            times = torch.cat([start, times])
            index = index + 1
        path = odeint(
            lambda t, z: self.field(z),
            self.initial(psi),
            times,
            method=self.solver,
            rtol=1e-3,
            atol=1e-4,
        )  # (T, B, L)
        b = torch.arange(tau.shape[0], device=tau.device).unsqueeze(1)
        return self.norm(path[index.reshape(tau.shape), b])


class ConvGRUCell(nn.Module):
    """GRU cell whose gates are 3 × 3 convolutions over maps (N, C, h, w)."""

    def __init__(self, input_channels, hidden_channels):
        super().__init__()
        both = input_channels + hidden_channels
        self.gates = nn.Conv2d(both, 2 * hidden_channels, 3, padding=1)
        self.candidate = nn.Conv2d(both, hidden_channels, 3, padding=1)

    def forward(self, x, h):
        reset, update = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, 1)
        cand = torch.tanh(self.candidate(torch.cat([x, reset * h], 1)))
        return (1 - update) * h + update * cand


class GRUDynamics(nn.Module):
    """Discrete-time latent recurrence, the recurrent baseline.

    h_0 = tanh(g(ψ)), z_n = r(h_n), h_{n+1} = GRU(z_n, h_n): one step per
    ``step`` time units (one frame spacing). The model has no continuous time
    of its own, so z at a real τ is the linear interpolation of the two states
    around it. On a latent grid the cell is a convolutional GRU.
    """

    def __init__(self, *, latent_dim=16, hidden_dim=128, step=1.0, grid=None):
        super().__init__()
        self.step = float(step)
        self.latent_dim, self.grid = latent_dim, grid
        if grid is None:
            self.initial = nn.Linear(latent_dim, hidden_dim)
            self.cell = nn.GRUCell(latent_dim, hidden_dim)
            self.readout = nn.Linear(hidden_dim, latent_dim)
            self.norm = nn.LayerNorm(latent_dim, elementwise_affine=False)
        else:
            width = hidden_dim // 2
            self.initial = nn.Conv2d(latent_dim, width, 3, padding=1)
            self.cell = ConvGRUCell(latent_dim, width)
            self.readout = nn.Conv2d(width, latent_dim, 1)
            self.norm = ChannelNorm()

    def forward(self, psi, tau):
        # psi (B, L[*h*w]), tau (B, Q) -> (B, Q, L[*h*w])
        if self.grid is not None:
            psi = to_map(psi, self.latent_dim, self.grid)
        hidden = torch.tanh(self.initial(psi))
        z = self.norm(self.readout(hidden))
        states = [z.flatten(1)]
        n_steps = max(1, math.ceil(float(tau.max().detach()) / self.step))
        for _ in range(n_steps):
            hidden = self.cell(z, hidden)
            z = self.norm(self.readout(hidden))
            states.append(z.flatten(1))
        path = torch.stack(states, dim=1)  # (B, G, L), G >= 2
        pos = (tau / self.step).clamp(0, path.shape[1] - 1)
        lo = torch.floor(pos).long().clamp(max=path.shape[1] - 2)  # (B, Q)
        frac = (pos - lo.to(pos.dtype)).unsqueeze(-1)
        return (1 - frac) * take_states(path, lo) + frac * take_states(path, lo + 1)
