"""Small layers shared by the latent-grid time maps (direct and ODE)."""

import torch.nn.functional as F
from torch import nn

__all__ = ["ChannelNorm", "OnGrid", "to_map"]


def to_map(z, channels, grid):
    """Flat latent vectors (N, C * h * w) -> maps (N, C, h, w), channel-major."""
    return z.reshape(-1, channels, *grid)


class ChannelNorm(nn.Module):
    """Unit-scale state per latent-grid cell: layer norm over the channel axis."""

    def forward(self, z):
        # z (N, C, h, w)
        return F.layer_norm(z.transpose(1, -1), (z.shape[1],)).transpose(1, -1)


class OnGrid(nn.Module):
    """Apply a map-to-map network to flat latent vectors (..., C * h * w)."""

    def __init__(self, net, channels, grid):
        super().__init__()
        self.net = net
        self.channels = channels
        self.grid = tuple(grid)

    def forward(self, z):
        lead = z.shape[:-1]
        out = self.net(to_map(z, self.channels, self.grid))
        return out.reshape(*lead, -1)
