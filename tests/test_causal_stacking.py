"""Other methods' scores as pair statistics (``extra_scores``)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import average_precision_score

from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.causal._stacking import SCORE_FOLDS, cross_fitted_scores
from skdyncausal.datasets import make_prior, make_sem

FAST = dict(architecture="no_image", max_epochs=20, random_state=0)


@pytest.fixture(scope="module")
def sem():
    return make_sem(300, 20, random_state=100)


@pytest.fixture(scope="module")
def prior(sem):
    return make_prior(sem.adjacency, fraction=0.3, random_state=100)


def _auprc(est, sem, prior):
    mask = np.isnan(prior) & np.isnan(prior.T)
    return average_precision_score(sem.adjacency[mask], est.predict_proba()[mask])


def test_a_good_scorer_is_trusted_and_a_noise_scorer_is_not(sem, prior):
    plain = _auprc(CausalStructureEstimator(**FAST).fit(sem.X, prior=prior), sem, prior)
    truth = sem.adjacency.astype(float)
    est = CausalStructureEstimator(
        **FAST, extra_scores={"oracle": lambda X, A, iv: truth}
    ).fit(sem.X, prior=prior)
    assert est.featurizer_.scalar_names[-2:] == ("score_oracle_ij", "score_oracle_ji")
    assert "score_oracle_ij" in est.featurizer_.baseline_columns_
    assert _auprc(est, sem, prior) > 0.95 > plain + 0.2
    noise = np.random.default_rng(0).normal(size=truth.shape)
    est = CausalStructureEstimator(**FAST, extra_scores=[lambda X, A, iv: noise])
    est.fit(sem.X, prior=prior)
    assert est.featurizer_.scalar_names[-1] == "score_extra0_ji"
    assert abs(_auprc(est, sem, prior) - plain) < 0.1


def test_labelled_pairs_are_scored_without_their_labels(sem, prior):
    calls = []

    def echo(X, A, iv):  # a scorer that only repeats the prior
        calls.append(int((~np.isnan(A)).sum()))
        return np.nan_to_num(A, nan=0.5)

    rng = np.random.default_rng(0)
    S = cross_fitted_scores([("echo", echo)], sem.X, prior, None, rng)["echo"]
    off = ~np.eye(len(prior), dtype=bool)
    # every labelled pair was scored by a call that did not see its label
    np.testing.assert_array_equal(S[off], 0.5)
    n_known = int((~np.isnan(prior)).sum())
    assert len(calls) == SCORE_FOLDS + 1 and calls[0] == n_known
    assert sum(n_known - c for c in calls[1:]) >= n_known  # folds cover it all
    est = CausalStructureEstimator(**FAST, extra_scores={"echo": echo})
    plain = CausalStructureEstimator(**FAST)
    gap = _auprc(est.fit(sem.X, prior=prior), sem, prior) - _auprc(
        plain.fit(sem.X, prior=prior), sem, prior
    )
    assert abs(gap) < 0.1


def test_new_rows_call_the_scorer_again(sem, prior):
    seen = []

    def scorer(X, A, iv):
        seen.append(X.shape[0])
        return np.abs(np.corrcoef(X, rowvar=False))

    est = CausalStructureEstimator(**FAST, extra_scores={"corr": scorer})
    est.fit(sem.X, prior=prior)
    assert seen == [300] * (SCORE_FOLDS + 1)
    P = est.predict_proba(sem.X[:150])
    assert seen[-1] == 150 and P.shape == (20, 20)
    assert clone(est).get_params()["extra_scores"]["corr"] is scorer


@pytest.mark.parametrize(
    "extra, match",
    [
        ("pc", "a dict {name: scorer} or a list of scorers"),
        ({}, "got an empty dict"),
        ({"my score": lambda X, A, iv: X}, "got the name 'my score'"),
        ({"s": 3}, "'s' is int"),
    ],
)
def test_bad_extra_scores_are_refused_up_front(sem, prior, extra, match):
    with pytest.raises(ValueError, match=match):
        CausalStructureEstimator(extra_scores=extra).fit(sem.X, prior=prior)


@pytest.mark.parametrize(
    "output, match",
    [
        (np.zeros((3, 3)), r"must return a \(p, p\) = \(20, 20\) score matrix"),
        (np.full((20, 20), np.nan), "400 non-finite|380 non-finite"),
        ("scores", "must return a real"),
    ],
)
def test_bad_scorer_output_names_the_scorer(sem, prior, output, match):
    est = CausalStructureEstimator(
        **FAST, extra_scores={"mine": lambda X, A, iv: output}
    )
    with pytest.raises(ValueError, match=r"extra_scores\['mine'\]"):
        est.fit(sem.X, prior=prior)
    with pytest.raises(ValueError, match=match):
        clone(est).fit(sem.X, prior=prior)
    assert not hasattr(est, "net_")
