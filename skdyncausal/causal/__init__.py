"""Causal structure learning from data and a partial prior.

:class:`CausalStructureEstimator` scores every ordered pair of variables for
a causal effect ``i -> j``; the baselines return comparable ``(p, p)`` score
matrices; the converters translate to and from networkx and lingam.
Orientation everywhere: ``A[i, j]`` refers to ``i -> j`` (row = cause).
"""

from ._baselines import (
    correlation_scores,
    mrcl_features,
    mrcl_scores,
    partial_correlation_scores,
)
from ._convert import from_lingam, from_networkx, to_lingam, to_networkx
from ._estimator import CausalStructureEstimator
from ._module import CausalPairModule
from ._statistics import (
    DEFAULT_STATISTICS,
    ConditionalIndependence,
    Correlation,
    CubicRegression,
    KnockoutShift,
    LikelihoodRatio,
    OrderedRegression,
    PairStatistic,
    PartialCorrelation,
    VariableGraph,
)

__all__ = [
    "DEFAULT_STATISTICS",
    "CausalPairModule",
    "CausalStructureEstimator",
    "ConditionalIndependence",
    "Correlation",
    "CubicRegression",
    "KnockoutShift",
    "LikelihoodRatio",
    "OrderedRegression",
    "PairStatistic",
    "PartialCorrelation",
    "VariableGraph",
    "correlation_scores",
    "from_lingam",
    "from_networkx",
    "mrcl_features",
    "mrcl_scores",
    "partial_correlation_scores",
    "to_lingam",
    "to_networkx",
]
