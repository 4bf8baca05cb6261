"""Forecasting with a trained latent dynamics module (torch and numpy only).

:class:`Forecaster` turns standardised context frames into standardised frames
at any query times: it encodes ψ, rolls forward past the trained span by
re-encoding predicted frames, samples ψ for a predictive spread and decodes
in chunks so memory stays bounded for long queries and many instances.
Times are in model units (frame steps) relative to the first context time.
"""

import math
import warnings

import numpy as np
import torch

__all__ = ["Forecaster"]

_QUERY_CHUNK = 512  # query times decoded per pass: bounded memory for long queries
_INSTANCE_CHUNK = 64  # instances (times posterior samples) per pass
_ENCODE_CHUNK = 256  # instances per encoder pass in transform
SPAN_TOL = 1e-6
_FAR = 3.0  # warn for queries this many trained spans past the first context time


def _float64(tensor):
    return tensor.detach().cpu().numpy().astype(np.float64)


class Forecaster:
    """Predict from a :class:`~._module.LatentDynamicsModule` in eval mode.

    Parameters
    ----------
    module : LatentDynamicsModule
    device : str
        Device of the module's parameters.
    time_scale : float
        Length of one model time unit (the median frame spacing of fit).
    trained_span : float
        Longest trained window, in the units of the times.
    rolls : bool
        Whether queries past ``trained_span`` are rolled forward (the direct
        time map); False for time maps that extrapolate by stepping on (ODE,
        GRU).
    extrapolation : {"roll", "raise"}
        ``"raise"`` refuses queries past the trained span of a rolling map.
    refine_steps : int, default=0
        Adam steps on ψ that fit the decoded context to the observed context
        frames (see :meth:`refine`); 0 keeps the encoder's ψ.
    refine_lr : float, default=0.05
        Step size of those steps.
    """

    def __init__(
        self,
        module,
        device,
        *,
        time_scale,
        trained_span,
        rolls,
        extrapolation,
        refine_steps=0,
        refine_lr=0.05,
    ):
        self.module = module.eval()
        self.refine_steps = int(refine_steps)
        self.refine_lr = float(refine_lr)
        self.device = device
        self.time_scale = float(time_scale)
        self.trained_span = float(trained_span)
        self.extrapolation = extrapolation
        self.max_span = math.inf
        if rolls:
            span = self.trained_span / self.time_scale
            self.max_span = span * (1 + SPAN_TOL) + SPAN_TOL

    def relative_times(self, t, query):
        """Query times (n, Q) relative to each first context time, model units."""
        rel = (query - t[:, :1]) / self.time_scale  # (n, Q)
        if (rel < -SPAN_TOL).any():
            raise ValueError(
                "query times must not precede the first context time; got a query "
                f"{-rel.min() * self.time_scale:.4g} before it."
            )
        if self.extrapolation == "raise" and (rel > self.max_span).any():
            raise ValueError(
                "query times reach "
                f"{rel.max() * self.time_scale:.4g} after the first context time, "
                f"beyond the longest trained window ({self.trained_span:.4g}); "
                "the time map does not extrapolate. Set extrapolation='roll' to "
                "roll forward by re-encoding predicted frames, or fit with longer "
                "trajectories."
            )
        far = rel.max() * self.time_scale / self.trained_span
        if far > _FAR:
            warnings.warn(
                f"query times reach {far:.1f} times the longest trained window "
                f"({self.trained_span:.4g}); forecasts that far ahead "
                + (
                    "are rolled forward by re-encoding predicted frames, and "
                    "their errors compound."
                    if math.isfinite(self.max_span)
                    else "step the latent dynamics far past anything trained."
                ),
                UserWarning,
                stacklevel=3,
            )
        return rel

    def _tensor(self, array):
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def encode(self, Xs, tau, observed):
        """ψ mean and log-variance (b, L) of standardised context frames.

        Xs (b, K, C[, H, W]) with NaN for unobserved frames, tau (b, K)
        relative context times, observed (b, K) bool. With ``refine_steps``,
        the mean is refined on the context frames (:meth:`refine`).
        """
        frames = self._tensor(np.nan_to_num(Xs))
        tau = self._tensor(tau)
        observed = torch.as_tensor(observed, device=self.device)
        with torch.no_grad():
            mean, logvar = self.module.encode(frames, tau, observed)
        if self.refine_steps:
            mask = torch.as_tensor(np.isfinite(Xs), device=self.device)
            mask = mask & observed.reshape(observed.shape + (1,) * (Xs.ndim - 2))
            mean = self.refine(mean, logvar, frames, tau, mask.to(frames.dtype))
        return mean, logvar

    def refine(self, mean, logvar, frames, tau, mask):
        """ψ that best explains the context: a MAP estimate under the encoder.

        Minimises, per instance, the Gaussian negative log-likelihood of the
        observed context frames decoded from ψ (with the learned observation
        noise) plus ½ Σ (ψ − μ)² / σ², the encoder's posterior N(μ, σ²) as the
        prior, by ``refine_steps`` Adam steps from ψ = μ. The encoder amortises
        inference over all instances; the steps close part of its gap on a
        new instance. Only ψ is updated, never the weights.
        """
        module = self.module
        noise = module.observation_logvar()[0].detach().exp()  # (C[, 1, 1])
        precision = torch.exp(-logvar)
        psi = mean.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam([psi], lr=self.refine_lr)
        with torch.enable_grad():
            for _ in range(self.refine_steps):
                pred = module.decode(module.latent(psi, tau))  # (b, K, *obs)
                fit = ((pred - frames) ** 2 / noise * mask).sum()
                prior = ((psi - mean) ** 2 * precision).sum()
                (grad,) = torch.autograd.grad(0.5 * (fit + prior), psi)
                psi.grad = grad
                optimizer.step()
        return psi.detach()

    def transform(self, Xs, tau, observed):
        """ψ means of all instances, encoded in chunks: (n, L) float64."""
        step = _ENCODE_CHUNK
        parts = [
            self.encode(Xs[i : i + step], tau[i : i + step], observed[i : i + step])[0]
            for i in range(0, Xs.shape[0], step)
        ]
        return _float64(torch.cat(parts))

    def rolled(self, psi, ctx_tau, query):
        """Frames at relative query times, rolling forward past ``max_span``.

        psi (b, L), ctx_tau (b, K) context offsets, query (b, Q), all model
        units -> standardised frames (b, Q, C[, H, W]). Each roll predicts the
        frames of the next context window from the current ψ and encodes them
        into the next ψ.
        """
        module = self.module
        span = self.max_span
        seg = torch.zeros_like(query, dtype=torch.long)  # (b, Q) roll index
        shift = torch.zeros_like(ctx_tau[:, -1])  # (b,) advance of one roll
        if math.isfinite(span):
            shift = span - ctx_tau[:, -1]
            late = (query - span).clamp(min=0.0) / shift.unsqueeze(1)
            seg = torch.ceil(late).long()
        psis = [psi]
        roll_frames = torch.ones_like(ctx_tau, dtype=torch.bool)
        for _ in range(int(seg.max())):
            z = module.latent(psis[-1], ctx_tau + shift.unsqueeze(1))  # (b, K, L)
            mean, _ = module.encode(module.decode(z), ctx_tau, roll_frames)
            psis.append(mean)
        out = None
        for r, psi_r in enumerate(psis):
            hit = seg == r  # (b, Q)
            if not hit.any():
                continue
            tau = torch.where(hit, query - r * shift.unsqueeze(1), 0.0)
            frames = module.decode(module.latent(psi_r, tau)[hit])  # (n_hit, *obs)
            if out is None:
                out = frames.new_empty(query.shape + frames.shape[1:])
            out[hit] = frames
        return out

    def predict(self, Xs, ctx_tau, observed, rel, n_samples=0):
        """Mean (and std over ``n_samples`` ψ draws) of standardised frames.

        ctx_tau (n, K) and rel (n, Q) are relative to each instance's first
        context time. Returns float64 arrays (n, Q, C[, H, W]); std is None
        without samples and includes the learned observation noise.
        """
        n = Xs.shape[0]
        mean_out = np.empty((n, rel.shape[1], *Xs.shape[2:]), dtype=np.float64)
        std_out = np.empty_like(mean_out) if n_samples else None
        step = max(1, _INSTANCE_CHUNK // max(1, n_samples))
        with torch.no_grad():
            for lo in range(0, n, step):
                sl = slice(lo, lo + step)
                mean, logvar = self.encode(Xs[sl], ctx_tau[sl], observed[sl])
                c_tau = self._tensor(ctx_tau[sl])
                for qlo in range(0, rel.shape[1], _QUERY_CHUNK):
                    q = self._tensor(rel[sl, qlo : qlo + _QUERY_CHUNK])
                    frames = self.rolled(mean, c_tau, q)
                    mean_out[sl, qlo : qlo + q.shape[1]] = _float64(frames)
                if n_samples:
                    std_out[sl] = self._sample_std(
                        mean, logvar, c_tau, self._tensor(rel[sl]), n_samples
                    )
            if n_samples:
                noise = _float64(self.module.observation_logvar().exp()[0])
                std_out = np.sqrt(std_out**2 + noise)  # noise (C[, 1, 1])
        return mean_out, std_out

    def _sample_std(self, mean, logvar, ctx_tau, rel, n_samples):
        """Std over ψ posterior samples of the predicted frames (b, Q, *obs)."""
        b = mean.shape[0]
        eps = torch.randn((n_samples, *mean.shape), device=mean.device)
        psi = (mean + torch.exp(0.5 * logvar) * eps).reshape(n_samples * b, -1)
        c_tau = ctx_tau.repeat(n_samples, 1)
        chunks = []
        for qlo in range(0, rel.shape[1], _QUERY_CHUNK):
            q = rel[:, qlo : qlo + _QUERY_CHUNK].repeat(n_samples, 1)
            frames = self.rolled(psi, c_tau, q)
            frames = frames.reshape((n_samples, b, *frames.shape[1:]))
            chunks.append(_float64(frames.std(0)))
        return np.concatenate(chunks, axis=1)
