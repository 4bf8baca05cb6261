"""scikit-learn's estimator checks for CausalStructureEstimator (tiny configuration)."""

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdyncausal.causal import CausalStructureEstimator, partial_correlation_scores


def rank_prior(X):
    """A prior for any X: strongest half of the |pcorr| pairs 1, the rest 0.

    The estimator checks pass data of many shapes and no prior, so the
    constructor gets this callable (a documented form of ``prior``).
    """
    S = partial_correlation_scores(X)
    p = S.shape[0]
    src, dst = np.nonzero(~np.eye(p, dtype=bool))
    order = np.lexsort((dst, src, S[src, dst]))
    A = np.full((p, p), np.nan)
    half = len(order) // 2
    A[src[order[:half]], dst[order[:half]]] = 0.0
    A[src[order[half:]], dst[order[half:]]] = 1.0
    return A


def tiny_estimator():
    return CausalStructureEstimator(
        prior=rank_prior,
        image_size=4,
        cnn_channels=2,
        hidden_dim=4,
        gnn_layers=1,
        max_epochs=2,
        batch_size=32,
        random_state=0,
    )


# The output is one (p, p) matrix for the whole data set, not one row per
# sample: these two checks index the output by sample and cannot apply.
EXPECTED_FAILED = {
    "check_methods_sample_order_invariance": (
        "predict_proba returns a (p, p) edge matrix, not per-sample outputs"
    ),
    "check_methods_subset_invariance": (
        "predict_proba returns a (p, p) edge matrix, not per-sample outputs"
    ),
}


@parametrize_with_checks(
    [tiny_estimator()], expected_failed_checks=lambda est: EXPECTED_FAILED
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
