"""Learn latent dynamics and causal structure from scientific data.

``skdyncausal`` offers scikit-learn estimators that wrap PyTorch modules trained
through skorch:

- :class:`LatentDynamicsRegressor` learns one latent dynamics model shared by many
  trajectories of a system and predicts new trajectories at any continuous time.
- :class:`CausalStructureEstimator` scores every ordered pair of variables for a
  causal edge from an ``(n_samples, p)`` data matrix and partial prior knowledge.

Simulators with ground truth live in :mod:`skdyncausal.datasets`, evaluation
functions in :mod:`skdyncausal.metrics`.
"""

__version__ = "0.1.0"

from .causal import CausalStructureEstimator
from .dynamics import LatentDynamicsRegressor

__all__ = ["CausalStructureEstimator", "LatentDynamicsRegressor", "__version__"]
