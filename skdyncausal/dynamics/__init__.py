"""Latent dynamics: learn one model from many trajectories, predict at any time.

:class:`LatentDynamicsRegressor` encodes a short context window of a new instance
into an instance encoding ψ and decodes frames at any real query times through a
solver-free time map. :class:`LatentODERegressor` and :class:`LatentGRURegressor`
are the same estimator with a latent ODE or a discrete-time GRU recurrence, the
baselines it is measured against.
"""

from ._estimator import (
    LatentDynamicsRegressor,
    LatentGRURegressor,
    LatentODERegressor,
)

__all__ = ["LatentDynamicsRegressor", "LatentGRURegressor", "LatentODERegressor"]
