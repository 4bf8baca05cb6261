"""Simulated data sets: latent dynamics and causal structure.

Dynamical systems
    :func:`make_pendulum` (videos), :func:`make_lotka_volterra`
    (trajectories) and :func:`make_reaction_diffusion` (2-D fields).

Causal structure
    :func:`make_sem` (structural equation models with knock-outs),
    :func:`make_prior` (partially revealed graphs) and
    :func:`prior_from_interventions` (ancestral priors from knock-out data).
"""

from ._dynamics import make_lotka_volterra, make_pendulum, make_reaction_diffusion
from ._sem import make_prior, make_sem, prior_from_interventions

__all__ = [
    "make_lotka_volterra",
    "make_pendulum",
    "make_prior",
    "make_reaction_diffusion",
    "make_sem",
    "prior_from_interventions",
]
