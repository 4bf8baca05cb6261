"""Latent dynamics: learn one model from many trajectories, predict at any time.

:class:`LatentDynamicsRegressor` encodes a short context window of a new instance
into an instance encoding ψ and decodes frames at any real query times. Its
``dynamics`` parameter chooses how the latent state follows from ψ: the
solver-free time map (``"direct"``, the default), a latent ODE (``"ode"``) or a
discrete-time GRU recurrence (``"gru"``), the baselines it is measured against.
"""

from ._estimator import LatentDynamicsRegressor

__all__ = ["LatentDynamicsRegressor"]

# The variants were once classes of their own; point users to the parameter.
_REPLACED = {"LatentODERegressor": "ode", "LatentGRURegressor": "gru"}


def __getattr__(name):
    if name in _REPLACED:
        raise AttributeError(
            f"{name} was replaced by a parameter: use "
            f"LatentDynamicsRegressor(dynamics={_REPLACED[name]!r}, ...), which "
            "GridSearchCV can also tune."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
