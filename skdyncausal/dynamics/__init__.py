"""Latent dynamics: learn one model from many trajectories, predict at any time.

:class:`LatentDynamicsRegressor` encodes a short context window of a new instance
into an instance encoding ψ and decodes frames at any real query times through a
solver-free time map. :class:`LatentODERegressor` is the same estimator with a
latent ODE, the baseline it is measured against.
"""

from ._estimator import LatentDynamicsRegressor, LatentODERegressor

__all__ = ["LatentDynamicsRegressor", "LatentODERegressor"]
