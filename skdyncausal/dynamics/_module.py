"""Torch modules of the latent dynamics model (no scikit-learn in here).

Shapes: B instances (or windows) in a batch, K context frames, Q query times,
D token width, L latent width, F frequencies; an observation is ``(C, H, W)`` for
images and fields, ``(C,)`` for vectors. Times are in frame steps (the estimator
divides by the median frame spacing) and relative to the first context time t0.
"""

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from ._latent_ode import GRUDynamics, ODEDynamics
from ._layers import ChannelNorm, to_map

__all__ = ["LatentDynamicsLoss", "LatentDynamicsModule", "PeriodicEncoding"]

_LOGVAR_MIN, _LOGVAR_MAX = -10.0, 6.0


class PeriodicEncoding(nn.Module):
    """sin/cos features of a time with periods log-spaced in [min_period, max_period].

    The shortest period bounds what the encoding can resolve: periods below twice
    the frame spacing alias between frames, so the estimator's default keeps it at
    four frame steps.
    """

    def __init__(self, *, n_frequencies=16, min_period=4.0, max_period=100.0):
        super().__init__()
        periods = torch.logspace(
            math.log10(min_period), math.log10(max_period), n_frequencies
        )
        self.register_buffer("omega", 2.0 * math.pi / periods)  # (F,)

    def forward(self, t):
        # t (...) -> (..., 2F)
        angle = t.unsqueeze(-1) * self.omega
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)


class FrameTokenizer(nn.Module):
    """One token per frame: strided CNN for images/fields, MLP for vectors."""

    def __init__(
        self, *, n_channels, height=0, width=0, token_dim=64, hidden_dim=128, conv=16
    ):
        super().__init__()
        self.is_image = height > 0
        if not self.is_image:
            self.net = nn.Sequential(
                nn.Linear(n_channels, hidden_dim),
                nn.GELU(),
                nn.Linear(hidden_dim, token_dim),
            )
            return
        # Pad to a multiple of 16 so four stride-2 convolutions tile the frame.
        self.pad_h = -height % 16
        self.pad_w = -width % 16
        widths = [n_channels, conv, conv, 2 * conv, 2 * conv]
        layers = []
        for c_in, c_out in itertools.pairwise(widths):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.GELU()]
        self.net = nn.Sequential(*layers)
        cells = ((height + self.pad_h) // 16) * ((width + self.pad_w) // 16)
        self.proj = nn.Linear(2 * conv * cells, token_dim)

    def forward(self, x):
        # x (B, K, *obs) -> (B, K, D)
        if not self.is_image:
            return self.net(x)
        b, k = x.shape[:2]
        x = x.reshape(b * k, *x.shape[2:])  # (B*K, C, H, W)
        x = F.pad(x, (0, self.pad_w, 0, self.pad_h))
        h = self.net(x).flatten(1)  # (B*K, 2c * cells)
        return self.proj(h).reshape(b, k, -1)


class FrameDecoder(nn.Module):
    """z -> frame mean: linear to a coarse map and three transposed convolutions.

    The channel widths are kept small on purpose: decoding every query time of a
    batch dominates the cost of a training step.
    """

    def __init__(
        self, *, n_channels, height=0, width=0, latent_dim=16, hidden_dim=128, conv=16
    ):
        super().__init__()
        self.is_image = height > 0
        self.height, self.width = height, width
        if not self.is_image:
            self.net = nn.Sequential(
                nn.Linear(latent_dim, hidden_dim),
                nn.GELU(),
                nn.Linear(hidden_dim, hidden_dim),
                nn.GELU(),
                nn.Linear(hidden_dim, n_channels),
            )
            return
        self.h0, self.w0 = math.ceil(height / 8), math.ceil(width / 8)
        self.c0 = 2 * conv
        self.proj = nn.Linear(latent_dim, self.c0 * self.h0 * self.w0)
        self.net = nn.Sequential(
            nn.GELU(),
            nn.ConvTranspose2d(self.c0, conv, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(conv, conv, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(conv, n_channels, 4, stride=2, padding=1),
        )

    def forward(self, z):
        # z (N, L) -> (N, *obs)
        if not self.is_image:
            return self.net(z)
        h = self.proj(z).reshape(-1, self.c0, self.h0, self.w0)
        return self.net(h)[..., : self.height, : self.width]  # crop the padding


class GridTokenizer(nn.Module):
    """One token per frame and latent-grid cell: a CNN that downsamples by
    ``stride`` (a power of two), so each cell summarises a stride × stride patch
    and its surroundings."""

    def __init__(self, *, n_channels, height, width, token_dim=64, conv=16, stride=2):
        super().__init__()
        self.pad_h, self.pad_w = -height % stride, -width % stride
        self.grid = ((height + self.pad_h) // stride, (width + self.pad_w) // stride)
        layers = [nn.Conv2d(n_channels, conv, 3, padding=1), nn.GELU()]
        c = conv
        for _ in range(int(math.log2(stride))):
            layers += [nn.Conv2d(c, 2 * conv, 3, stride=2, padding=1), nn.GELU()]
            c = 2 * conv
        layers.append(nn.Conv2d(c, token_dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        # x (B, K, C, H, W) -> (B, S, K, D), S = h * w cells in row-major order
        b, k = x.shape[:2]
        x = F.pad(x.reshape(b * k, *x.shape[2:]), (0, self.pad_w, 0, self.pad_h))
        h = self.net(x)  # (B*K, D, h, w)
        return h.reshape(b, k, h.shape[1], -1).permute(0, 3, 1, 2)


class GridDecoder(nn.Module):
    """Latent grid (L channels on h × w cells, flattened) -> frame mean:
    a convolution, ``log2(stride)`` transposed convolutions, a convolution."""

    def __init__(
        self, *, n_channels, height, width, latent_dim, conv=16, stride=2, grid
    ):
        super().__init__()
        self.height, self.width = height, width
        layers = [nn.Conv2d(latent_dim, 2 * conv, 3, padding=1), nn.GELU()]
        c = 2 * conv
        for _ in range(int(math.log2(stride))):
            layers += [nn.ConvTranspose2d(c, conv, 4, stride=2, padding=1), nn.GELU()]
            c = conv
        layers.append(nn.Conv2d(c, n_channels, 3, padding=1))
        self.net = nn.Sequential(*layers)
        self.latent_dim, self.grid = latent_dim, tuple(grid)

    def forward(self, z):
        # z (N, L * h * w) -> (N, C, H, W)
        h = to_map(z, self.latent_dim, self.grid)
        return self.net(h)[..., : self.height, : self.width]


class RelativeAttentionBlock(nn.Module):
    """Post-LayerNorm transformer block with multi-head attention whose values
    carry a learned encoding of the time difference Δt_ij between tokens."""

    def __init__(self, *, token_dim, n_heads, hidden_dim, dropout):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(token_dim, 3 * token_dim)
        self.rel = nn.Linear(token_dim, token_dim)
        self.out = nn.Linear(token_dim, token_dim)
        self.ffn = nn.Sequential(
            nn.Linear(token_dim, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, token_dim),
        )
        self.norm1 = nn.LayerNorm(token_dim)
        self.norm2 = nn.LayerNorm(token_dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, rel, allowed):
        # x (B, S, K, D): S sequences per instance (one, or one per latent-grid
        # cell) that share the times; rel (B, K, K, D), allowed (B, K, K) bool
        b, s, k, d = x.shape
        nh, dh = self.n_heads, d // self.n_heads
        q, key, v = self.qkv(x).reshape(b, s, k, 3, nh, dh).permute(3, 0, 1, 4, 2, 5)
        scores = q @ key.transpose(-1, -2) / math.sqrt(dh)  # (B, S, H, K, K)
        scores = scores.masked_fill(~allowed[:, None, None], float("-inf"))
        attn = self.drop(torch.softmax(scores, dim=-1))
        rel_v = self.rel(rel).reshape(b, k, k, nh, dh)  # (B, K, K, H, dh)
        out = attn @ v + torch.einsum("bshij,bijhd->bshid", attn, rel_v)
        out = self.out(out.transpose(2, 3).reshape(b, s, k, d))
        x = self.norm1(x + self.drop(out))
        return self.norm2(x + self.drop(self.ffn(x)))


class OscillatorBank(nn.Module):
    """Instance-specific oscillators and their harmonics, sin(k (ω_m(ψ) τ + φ_m(ψ))).

    ``n_oscillators`` fundamentals start at frequencies log-spaced over the
    encoding's range of periods; ψ shifts each log-frequency and sets each
    phase (zero at the start). Every fundamental carries its harmonics k = 1 ..
    ``n_harmonics``, which keep their phase lock to it at every τ: a periodic
    but anharmonic trajectory (a pendulum's large swing) is then a function of
    one phase, so it repeats exactly with the instance's own period. A
    fundamental is capped at the encoding's highest frequency, and harmonics
    with periods under 2.5 frame steps are switched off (they would alias
    between frames).
    """

    _HARMONIC_LIMIT = 0.8 * math.pi  # period of 2.5 frame steps

    def __init__(self, *, latent_dim, encoding, n_oscillators=4, n_harmonics=6):
        super().__init__()
        self.encoding = encoding
        # Log-spaced over the encoding's (log-spaced) frequencies: positions
        # along its index, interpolated geometrically between neighbours, so
        # integer positions give its frequencies exactly.
        omega = encoding.omega
        last = omega.numel() - 1
        pos = torch.linspace(0, last, n_oscillators)
        if n_oscillators == 1:
            pos = torch.tensor([last / 2])
        lo, hi = pos.floor().long(), pos.ceil().long()
        base = omega[lo] * (omega[hi] / omega[lo]) ** (pos - lo)
        self.register_buffer("base", base)  # (M,)
        self.register_buffer("orders", torch.arange(1.0, n_harmonics + 1.0))  # (H,)
        self.n_features = 2 * n_oscillators * n_harmonics
        self.modes = nn.Linear(latent_dim, 2 * n_oscillators)  # log-freq shift, phase
        nn.init.zeros_(self.modes.weight)
        nn.init.zeros_(self.modes.bias)

    def oscillators(self, psi, tau):
        # psi (B, L), tau (B, Q) -> (B, Q, 2 M H)
        shift, phase = self.modes(psi).chunk(2, dim=-1)  # (B, M) each
        omega = (self.base * torch.exp(shift)).clamp(max=self.encoding.omega.max())
        angle = tau.unsqueeze(-1) * omega.unsqueeze(1) + phase.unsqueeze(1)
        angle = angle.unsqueeze(-1) * self.orders  # (B, Q, M, H)
        keep = omega.unsqueeze(-1) * self.orders <= self._HARMONIC_LIMIT  # (B, M, H)
        keep = keep.to(angle.dtype).unsqueeze(1).flatten(-2)  # (B, 1, M H)
        angle = angle.flatten(-2)  # (B, Q, M H)
        return torch.cat([torch.sin(angle) * keep, torch.cos(angle) * keep], dim=-1)


class DirectDynamics(OscillatorBank):
    """Solver-free latent path z(τ) = F([ψ, osc(ψ, τ)]), any τ in one pass.

    τ enters only through the ψ-driven oscillators and their harmonics
    (:class:`OscillatorBank`), not through fixed sinusoids of τ: with a basis
    of fixed frequencies, F could fit training windows with combinations that
    do not repeat with the instance's period, and its forecasts drift; with
    locked harmonics, it only maps phases to states.
    """

    def __init__(self, *, latent_dim, hidden_dim, encoding, dropout, **oscillators):
        super().__init__(latent_dim=latent_dim, encoding=encoding, **oscillators)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + self.n_features, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, latent_dim),
        )
        # Unit-scale states, so the consistency penalty cannot shrink z to zero.
        self.norm = nn.LayerNorm(latent_dim, elementwise_affine=False)

    def forward(self, psi, tau):
        # psi (B, L), tau (B, Q) -> (B, Q, L)
        time = self.oscillators(psi, tau)  # (B, Q, 2 M H)
        psi = psi.unsqueeze(1).expand(-1, tau.shape[1], -1)  # (B, Q, L)
        return self.norm(self.net(torch.cat([psi, time], dim=-1)))


class GridDynamics(OscillatorBank):
    """Solver-free time map on a latent grid, for spatially extended systems.

    ψ is a map of ``latent_dim`` channels on h × w cells (flattened); the state
    z(τ) is a map of the same shape, z(τ) = F(ψ, τ), where F is a residual CNN
    whose layers are modulated (FiLM: a per-channel scale and shift) by the time
    features [PE(τ), osc(ψ̄, τ)] and ψ̄ is ψ averaged over the cells. Convolutions
    keep F local and translation-equivariant, like the PDEs such fields obey,
    and the time-dependent channel mixing can express the local rotations and
    decays of oscillating media. Any set of τ is still decoded in one pass.
    """

    def __init__(
        self, *, latent_dim, width, grid, encoding, dropout, n_blocks=3, **oscillators
    ):
        super().__init__(latent_dim=latent_dim, encoding=encoding, **oscillators)
        self.latent_dim, self.grid = latent_dim, tuple(grid)
        self.width, self.n_blocks = width, n_blocks
        n_time = 2 * encoding.omega.numel() + self.n_features
        self.inp = nn.Conv2d(latent_dim, width, 3, padding=1)
        self.film = nn.Sequential(
            nn.Linear(n_time, width), nn.GELU(), nn.Linear(width, 2 * width * n_blocks)
        )
        self.blocks = nn.ModuleList(
            nn.Conv2d(width, width, 3, padding=1) for _ in range(n_blocks)
        )
        self.out = nn.Conv2d(width, latent_dim, 1)
        self.drop = nn.Dropout(dropout)
        self.norm = ChannelNorm()

    def forward(self, psi, tau):
        # psi (B, L * h * w), tau (B, Q) -> (B, Q, L * h * w)
        b, q = tau.shape
        m = to_map(psi, self.latent_dim, self.grid)  # (B, L, h, w)
        time = torch.cat(
            [self.encoding(tau), self.oscillators(m.mean((2, 3)), tau)], dim=-1
        )  # (B, Q, 2F + 2 M H)
        film = self.film(time).reshape(b * q, self.n_blocks, 2, self.width, 1, 1)
        x = self.inp(m)  # (B, W, h, w)
        x = x.unsqueeze(1).expand(b, q, *x.shape[1:]).reshape(b * q, *x.shape[1:])
        for i, conv in enumerate(self.blocks):
            x = x + self.drop(conv(F.gelu(x * (1 + film[:, i, 0]) + film[:, i, 1])))
        return self.norm(self.out(F.gelu(x))).reshape(b, q, -1)


class LatentDynamicsModule(nn.Module):
    """Context frames -> instance encoding ψ -> latent path z(t) -> frames.

    Parameters
    ----------
    n_channels : int
        Channels of an image/field, or features of a vector observation.
    height, width : int
        Frame size; ``height=0`` means vector observations.
    token_dim, hidden_dim, latent_dim : int
        Widths of tokens, hidden layers and of ψ and z.
    n_heads, n_layers : int
        Attention heads and transformer blocks; the first block is local.
    attention_window : float
        The first block attends only to tokens with |Δt| below this (frame steps).
    n_frequencies : int
        sin/cos pairs of the time encoding.
    min_period, max_period : float
        Shortest and longest period of the time encoding (frame steps).
    n_oscillators, n_harmonics : int or None
        ψ-driven fundamentals of the time map and harmonics of each
        (:class:`OscillatorBank`). None means 4 and 6 with the global layout,
        ``n_frequencies`` and 1 on a grid (where harmonics did worse).
    conv_channels : int
        Base width of the image tokenizer and decoder.
    context_motion : bool
        Add to each context token one read, by a tokenizer of its own, from
        the rate of change since the previous context frame
        (:meth:`motion_rates`).
    dropout : float
        Dropout in attention, feed-forward and dynamics layers.
    dynamics : {"direct", "ode", "gru"}
        Solver-free time map, a latent ODE, or a discrete-time GRU recurrence
        (the baselines of :mod:`._latent_ode`).
    ode_step : float
        Step (frame steps) of the RK4 scheme or of the GRU.
    ode_solver : str
        ``"rk4"`` or a torchdiffeq method such as ``"dopri5"``.
    latent_layout : {"global", "grid"}
        ``"global"``: ψ and z are vectors of ``latent_dim``. ``"grid"`` (images
        and fields only): they are maps of ``latent_dim`` channels on a grid of
        cells ``latent_stride`` pixels apart, encoded cell by cell by the
        temporal attention and evolved by a CNN (:class:`GridDynamics`), so the
        latent can hold a whole initial field.
    latent_stride : int
        Pixels per latent-grid cell along each side (a power of two).
    """

    def __init__(
        self,
        *,
        n_channels=1,
        height=0,
        width=0,
        token_dim=64,
        hidden_dim=128,
        latent_dim=16,
        n_heads=4,
        n_layers=2,
        attention_window=3.0,
        n_frequencies=16,
        min_period=4.0,
        max_period=100.0,
        n_oscillators=None,
        n_harmonics=None,
        conv_channels=16,
        context_motion=True,
        dropout=0.1,
        dynamics="direct",
        ode_step=0.5,
        ode_solver="rk4",
        latent_layout="global",
        latent_stride=2,
    ):
        super().__init__()
        self.attention_window = float(attention_window)
        geometry = dict(n_channels=n_channels, height=height, width=width)
        self.on_grid = latent_layout == "grid"
        if self.on_grid and height <= 0:
            raise ValueError("latent_layout='grid' needs image or field frames")
        sizes = dict(conv=conv_channels, stride=latent_stride, hidden_dim=hidden_dim)
        self.tokenizer = self._tokenizer(geometry, token_dim, **sizes)
        if self.on_grid:
            self.grid = self.tokenizer.grid
        self.encoding = PeriodicEncoding(
            n_frequencies=n_frequencies, min_period=min_period, max_period=max_period
        )
        self.abs_time = nn.Linear(2 * n_frequencies, token_dim)
        self.rel_time = nn.Sequential(
            nn.Linear(2 * n_frequencies, token_dim), nn.GELU()
        )
        self.blocks = nn.ModuleList(
            RelativeAttentionBlock(
                token_dim=token_dim,
                n_heads=n_heads,
                hidden_dim=hidden_dim,
                dropout=dropout,
            )
            for _ in range(n_layers)
        )
        # Per-frame posterior of the latent state, read from one frame's token.
        self.frame_latent = nn.Linear(token_dim, latent_dim)
        self.frame_norm = nn.LayerNorm(latent_dim, elementwise_affine=False)
        self.psi_mean = nn.Linear(token_dim, latent_dim)
        self.psi_logvar = nn.Linear(token_dim, latent_dim)
        grid = self.grid if self.on_grid else None
        self.dynamics = self._time_map(
            dynamics,
            latent_dim=latent_dim,
            hidden_dim=hidden_dim,
            grid=grid,
            dropout=dropout,
            ode_step=ode_step,
            ode_solver=ode_solver,
            oscillators=self._oscillators(n_oscillators, n_harmonics, n_frequencies),
        )
        self.decoder = self._decoder(geometry, latent_dim, grid=grid, **sizes)
        # Learned observation noise, one log-variance per channel (or feature).
        self.obs_logvar = nn.Parameter(torch.zeros(n_channels))
        self._obs_view = (1, 1, n_channels) + ((1, 1) if height > 0 else ())
        # Made last, so that the other layers start from the same weights
        # with and without it.
        self.motion = (
            self._tokenizer(geometry, token_dim, **sizes) if context_motion else None
        )

    def _oscillators(self, n_oscillators, n_harmonics, n_frequencies):
        """Oscillator counts, None resolved by layout: 4 fundamentals with 6
        harmonics globally; on a grid, where harmonics did worse, one per
        frequency of the time encoding and no harmonics."""
        grid_default, global_default = (n_frequencies, 1), (4, 6)
        default = grid_default if self.on_grid else global_default
        return dict(
            n_oscillators=default[0] if n_oscillators is None else n_oscillators,
            n_harmonics=default[1] if n_harmonics is None else n_harmonics,
        )

    def _tokenizer(self, geometry, token_dim, *, conv, stride, hidden_dim):
        """Frames -> tokens: one per frame, or one per frame and grid cell."""
        if self.on_grid:
            return GridTokenizer(
                **geometry, token_dim=token_dim, conv=conv, stride=stride
            )
        return FrameTokenizer(
            **geometry, token_dim=token_dim, hidden_dim=hidden_dim, conv=conv
        )

    def _decoder(self, geometry, latent_dim, *, grid, conv, stride, hidden_dim):
        """Latent states -> frame means, from a vector or a latent map."""
        if grid is not None:
            return GridDecoder(
                **geometry, latent_dim=latent_dim, conv=conv, stride=stride, grid=grid
            )
        return FrameDecoder(
            **geometry, latent_dim=latent_dim, hidden_dim=hidden_dim, conv=conv
        )

    def _time_map(
        self,
        kind,
        *,
        latent_dim,
        hidden_dim,
        grid,
        dropout,
        oscillators,
        **ode,
    ):
        """The module that maps (ψ, τ) to z: direct, ODE or GRU, global or grid."""
        if kind == "ode":
            return ODEDynamics(
                latent_dim=latent_dim,
                hidden_dim=hidden_dim,
                step=ode["ode_step"],
                grid=grid,
                solver=ode["ode_solver"],
            )
        if kind == "gru":
            return GRUDynamics(
                latent_dim=latent_dim,
                hidden_dim=hidden_dim,
                step=ode["ode_step"],
                grid=grid,
            )
        if grid is not None:
            return GridDynamics(
                latent_dim=latent_dim,
                width=hidden_dim // 2,
                grid=grid,
                encoding=self.encoding,
                dropout=dropout,
                **oscillators,
            )
        return DirectDynamics(
            latent_dim=latent_dim,
            hidden_dim=hidden_dim,
            encoding=self.encoding,
            dropout=dropout,
            **oscillators,
        )

    def encode(self, frames, times, mask):
        """Gaussian ψ from context frames.

        frames (B, K, *obs) with unobserved frames zero-filled, times (B, K)
        relative to t0, mask (B, K) True where observed -> mean, logvar (B, L),
        or (B, L * h * w) on a latent grid, where each cell is encoded from its
        own sequence of tokens. Each token gives N(μ_k, σ_k²); ψ is the mean of
        one draw per observed token, so ψ ~ N(mean_k μ_k, Σ_k σ_k² / n²) (n
        observed tokens).
        """
        x = self._tokens(frames)  # (B, S, K, D), S = 1 or the grid cells
        if self.motion is not None:
            rates, moved = self.motion_rates(frames, times, mask)
            x = x + self._tokens(rates, self.motion) * moved[:, None, :, None]
        x = x + self.abs_time(self.encoding(times)).unsqueeze(1)
        dt = times.unsqueeze(2) - times.unsqueeze(1)  # (B, K, K)
        rel = self.rel_time(self.encoding(dt))  # (B, K, K, D)
        eye = torch.eye(times.shape[1], dtype=torch.bool, device=times.device)
        # A token always sees itself, so no row of the attention is empty.
        allowed = mask.unsqueeze(1) | eye  # (B, K, K)
        local = allowed & ((dt.abs() < self.attention_window) | eye)
        for i, block in enumerate(self.blocks):
            x = block(x, rel, local if i == 0 else allowed)
        w = mask.to(x.dtype)[:, None, :, None]  # (B, 1, K, 1)
        n = w.sum(2).clamp(min=1.0)  # (B, 1, 1)
        mean = (self.psi_mean(x) * w).sum(2) / n  # (B, S, L)
        var = (self.psi_logvar(x).clamp(_LOGVAR_MIN, _LOGVAR_MAX).exp() * w).sum(2)
        logvar = torch.log(var / n**2 + 1e-12)  # (B, S, L)
        return self._flat(mean), self._flat(logvar)

    @staticmethod
    def motion_rates(frames, times, mask):
        """Rates of change of the context, (x_k − x_{k−1}) / (t_k − t_{k−1}).

        frames (B, K, *obs), times (B, K) strictly increasing, mask (B, K)
        -> rates (B, K, *obs), zero where not ``moved``, and moved (B, K)
        float, 1 where frame k and the one before it are both observed (never
        for the first frame). A frame's token holds where the system is; its
        rate holds where it is going, read from pixel differences rather than
        from differences of the nonlinear tokens.
        """
        moved = mask[:, 1:] & mask[:, :-1]  # (B, K - 1)
        # Unit steps where a frame is missing: padded times may not increase,
        # and a division by zero there would poison the gradients.
        step = torch.where(moved, times[:, 1:] - times[:, :-1], 1.0)
        view = moved.shape + (1,) * (frames.ndim - 2)
        rates = (frames[:, 1:] - frames[:, :-1]) / step.reshape(view)
        rates = torch.where(moved.reshape(view), rates, 0.0)
        rates = torch.cat([torch.zeros_like(frames[:, :1]), rates], dim=1)
        moved = torch.cat([torch.zeros_like(moved[:, :1]), moved], dim=1)
        return rates, moved.to(frames.dtype)

    def _tokens(self, frames, tokenizer=None):
        # frames (B, K, *obs) -> (B, S, K, D)
        x = (self.tokenizer if tokenizer is None else tokenizer)(frames)
        return x if self.on_grid else x.unsqueeze(1)

    def _flat(self, v):
        # (B, S, L) per cell -> (B, L) or (B, L * S), channel-major like a map
        return v.transpose(1, 2).flatten(1) if self.on_grid else v.squeeze(1)

    def latent(self, psi, tau):
        """Latent path: psi (B, L), tau (B, Q) -> z (B, Q, L)."""
        return self.dynamics(psi, tau)

    def decode(self, z):
        """z (..., L) -> frame means (..., *obs)."""
        lead = z.shape[:-1]
        out = self.decoder(z.reshape(-1, z.shape[-1]))
        return out.reshape(*lead, *out.shape[1:])

    def observation_logvar(self):
        """Per-channel observation log-variance, broadcastable to (B, Q, *obs)."""
        lv = self.obs_logvar.clamp(_LOGVAR_MIN, _LOGVAR_MAX)
        return lv.reshape(self._obs_view)

    def frame_states(self, frames):
        """Per-frame latent states: frames (B, Q, *obs) -> (B, Q, L[ * h * w])."""
        e = self.frame_norm(self.frame_latent(self._tokens(frames)))  # (B, S, Q, L)
        return e.permute(0, 2, 3, 1).flatten(2)  # (B, Q, L * S)

    def forward(
        self,
        context,
        context_times,
        context_mask,
        query_times,
        query_frames=None,
        query_mask=None,
    ):
        """Training pass.

        With ``query_frames``, two more terms are computed. *Consistency*: the
        window's latent path z(τ) is pulled towards the per-frame states e(x_τ)
        read from each observed query frame on its own, so every window of an
        instance is anchored to the same per-time posterior. *Frame
        reconstruction*: e(x) decoded must give back x, which keeps the per-frame
        states informative (and trains the decoder fast).
        Returns (frame means (B, Q, *obs), observation logvar, ψ mean, ψ logvar,
        consistency, reconstructions of the query frames or None).
        """
        mean, logvar = self.encode(context, context_times, context_mask)
        psi = mean
        if self.training:
            psi = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        z = self.latent(psi, query_times)  # (B, Q, L)
        frames = self.decode(z)  # (B, Q, *obs)
        consistency = z.new_zeros(())
        recon = None
        if query_frames is not None:
            e = self.frame_states(query_frames)  # (B, Q, L)
            w = query_mask.to(z.dtype)  # (B, Q)
            gap = ((z - e) ** 2).mean(-1)  # (B, Q)
            consistency = (gap * w).sum() / w.sum().clamp(min=1.0)
            recon = self.decode(e)  # (B, Q, *obs)
        return frames, self.observation_logvar(), mean, logvar, consistency, recon


class LatentDynamicsLoss(nn.Module):
    """Gaussian NLL with learned noise + ψ prior + window consistency.

    All terms are per observed element: the KL of ψ against N(0, I) is divided by
    the number of elements of one window, so ``kl_weight=1`` is the exact negative
    ELBO per element. Missing elements (mask 0) drop out of the likelihood.
    """

    def __init__(self, *, kl_weight=1.0, consistency_weight=0.1):
        super().__init__()
        self.kl_weight = kl_weight
        self.consistency_weight = consistency_weight

    @staticmethod
    def _nll(pred, target, mask, obs_logvar):
        nll = 0.5 * (
            obs_logvar + (target - pred) ** 2 * torch.exp(-obs_logvar) + _LOG_2PI
        )
        return (nll * mask).sum() / mask.sum().clamp(min=1.0)

    def forward(self, y_pred, y_true):
        frames, obs_logvar, mean, logvar, consistency, recon = y_pred
        target, mask = y_true["target"], y_true["mask"]  # (B, Q, *obs)
        loss = self._nll(frames, target, mask, obs_logvar)
        if recon is not None:
            loss = loss + self._nll(recon, target, mask, obs_logvar)
        kl = 0.5 * (mean**2 + logvar.exp() - 1.0 - logvar).sum(-1).mean()
        kl = kl / mask[0].numel()
        return loss + self.kl_weight * kl + self.consistency_weight * consistency


_LOG_2PI = math.log(2.0 * math.pi)
