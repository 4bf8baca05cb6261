"""Odd or wrong input gets a clear error or a warning that says what happens."""

import re
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from skdyncausal import CausalStructureEstimator, LatentDynamicsRegressor
from skdyncausal._progress import log
from skdyncausal.causal import _estimator as causal_estimator
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import forecast_scorer, held_out_edge_scorer

TINY_CAUSAL = dict(
    image_size=4, hidden_dim=4, cnn_channels=2, max_epochs=2, n_networks=1
)
TINY_DYN = dict(
    n_context=4, latent_dim=4, token_dim=8, hidden_dim=8, n_heads=2, max_epochs=1
)


@pytest.fixture(scope="module")
def sem():
    return make_sem(200, 8, n_interventions=4, intervention_samples=10, random_state=0)


@pytest.fixture(scope="module")
def prior(sem):
    return make_prior(sem.adjacency, fraction=0.5, random_state=0)


def sines(n=12, n_times=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 6.0, n_times)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    return np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1), t


# ----------------------------------------------------------------- causal
def test_knockouts_without_reference_rows_are_refused(sem, prior):
    est = CausalStructureEstimator(**TINY_CAUSAL, random_state=0)
    with pytest.raises(ValueError, match="every row is a knock-out of 'x0'"):
        est.fit(sem.X, prior=prior, interventions=np.zeros(len(sem.X), int))
    assert not hasattr(est, "net_")


def test_non_finite_features_name_the_features(sem, prior):
    est = CausalStructureEstimator(**TINY_CAUSAL, random_state=0)
    from skdyncausal.causal._features import KnockoutRows

    def nan_shifts(X, iv):
        every = np.arange(8)
        return (
            KnockoutRows(every, np.full((8, 8), np.nan), 8),
            KnockoutRows(every, np.zeros((8, 8)), 8),
        )

    with mock.patch("skdyncausal.causal._features._knockout_shifts", nan_shifts):
        with pytest.raises(ValueError, match=r"pair features \['shift_ij'"):
            est.fit(sem.X, prior=prior, interventions=sem.interventions)


def test_few_rows_warn(sem, prior):
    # uncalibrated: this small prior holds out too few edges to calibrate on,
    # which warns too (test_calibration.py)
    est = CausalStructureEstimator(**TINY_CAUSAL, calibration=None, random_state=0)
    with pytest.warns(UserWarning, match="X has only 12 samples"):
        est.fit(sem.X[:12], prior=prior)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(sem.X[:20], prior=prior)  # 20 rows: no warning


def test_one_on_the_prior_diagonal_warns(sem, prior):
    A = prior.copy()
    A[[2, 5], [2, 5]] = 1.0
    est = CausalStructureEstimator(**TINY_CAUSAL, random_state=0)
    with pytest.warns(UserWarning, match=r"1 on its diagonal for \['x2', 'x5'\]"):
        est.fit(sem.X, prior=A)


def test_to_frame_labels_edges_and_matrix_by_name(sem, prior):
    X = pd.DataFrame(sem.X, columns=[f"g{k}" for k in range(8)])
    est = CausalStructureEstimator(**TINY_CAUSAL, random_state=0)
    est.fit(X, prior=prior, interventions=sem.interventions)
    P = est.predict_proba()
    matrix = est.to_frame("matrix")
    assert list(matrix.index) == list(matrix.columns) == list(X.columns)
    np.testing.assert_array_equal(matrix.to_numpy(), P)
    edges = est.to_frame(threshold=0.5)
    assert (edges["probability"] >= 0.5).all()
    assert len(edges) == int((P[~np.eye(8, dtype=bool)] >= 0.5).sum())
    first = edges.iloc[0]
    i, j = int(first["cause"][1:]), int(first["effect"][1:])
    assert first["probability"] == P[i, j] == P.max()
    assert bool(first["in_prior"]) == (not np.isnan(prior[i, j]))
    with pytest.raises(ValueError, match="kind must be 'edges' or 'matrix'"):
        est.to_frame("list")


def test_string_scorers_do_not_apply_and_the_offered_ones_do(sem, prior):
    est = CausalStructureEstimator(
        prior=prior, validation_fraction=0.5, **TINY_CAUSAL, random_state=0
    )
    search = GridSearchCV(est, {"hidden_dim": [4]}, cv=KFold(2), scoring="roc_auc")
    with pytest.warns(UserWarning, match="Scoring failed"):
        search.fit(sem.X)
    assert np.isnan(search.cv_results_["mean_test_score"]).all()
    scorer = held_out_edge_scorer("average_precision")
    search = GridSearchCV(est, {"hidden_dim": [4]}, cv=KFold(2), scoring=scorer)
    search.fit(sem.X)
    by_hand = []
    for train, test in KFold(2).split(sem.X):
        fitted = sklearn.clone(est).fit(sem.X[train])
        labels, proba = fitted.held_out_proba(sem.X[test])
        by_hand.append(average_precision_score(labels, proba))
        assert fitted.score(sem.X[test]) == roc_auc_score(labels, proba)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], np.mean(by_hand))
    with pytest.raises(ValueError, match="metric must be one of"):
        held_out_edge_scorer("accuracy")


def test_score_receives_the_test_rows_interventions_with_routing(sem, prior):
    seen = []
    original = causal_estimator.check_interventions

    def record(interventions, n, p, names):
        seen.append(None if interventions is None else np.asarray(interventions))
        return original(interventions, n, p, names)

    est = CausalStructureEstimator(prior=prior, **TINY_CAUSAL, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est.set_fit_request(interventions=True).set_score_request(interventions=True)
        with mock.patch.object(causal_estimator, "check_interventions", record):
            cross_validate(
                est, sem.X, cv=KFold(2), params={"interventions": sem.interventions}
            )
    # score calls of both folds got the interventions of their test rows
    tests = [test for _, test in KFold(2).split(sem.X)]
    for test in tests:
        assert any(
            s is not None and np.array_equal(s, sem.interventions[test]) for s in seen
        )


def test_causal_progress_bar_over_feature_blocks(sem, prior, capsys):
    est = CausalStructureEstimator(**TINY_CAUSAL, block_size=2, verbose=1)
    est.fit(sem.X, prior=prior, interventions=sem.interventions).predict_proba()
    out, err = capsys.readouterr()
    assert out == ""
    assert "pair features" in err and "/4 " in err  # 8 variables, 2 per block
    assert "epochs" in err and "2/2" in err


def test_log_strips_colour_codes_off_a_terminal(capsys):
    log("\x1b[32mbest\x1b[0m 0.5")
    assert capsys.readouterr().err == "best 0.5\n"


# --------------------------------------------------------------- dynamics
def test_partly_missing_frames_warn_in_fit_and_predict():
    X, t = sines()
    X[0, 5, 1] = np.nan  # one value of one frame
    X[1, 6] = np.nan  # a whole frame: unobserved, no warning for it
    with pytest.warns(UserWarning, match=r"1 partly missing frame\(s\)") as record:
        est = LatentDynamicsRegressor(**TINY_DYN, random_state=0).fit(X, times=t)
    assert len(record) == 1
    context = X[:2, :4].copy()
    context[0, 1, 0] = np.nan
    with pytest.warns(UserWarning, match="per-channel mean"):
        est.predict(context)


def test_short_context_and_far_queries_warn():
    X, t = sines()
    est = LatentDynamicsRegressor(**TINY_DYN, random_state=0).fit(X, times=t)
    with pytest.warns(UserWarning, match="holds 2 context frame"):
        est.predict(X[:2, :2], times=t[4:6])
    span = est.trained_span_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.predict(X[:2], times=[2.5 * span])  # within three spans: quiet
    with pytest.warns(UserWarning, match=r"reach 10\.0 times the longest"):
        est.predict(X[:2], times=[10 * span])
    gru = LatentDynamicsRegressor(**TINY_DYN, dynamics="gru", random_state=0)
    gru.fit(X, times=t)
    with pytest.warns(UserWarning, match="step the latent dynamics far past"):
        gru.predict(X[:2], times=[10 * span])


def test_forecast_scorer_scores_the_first_frames():
    X, t = sines(n=16)
    est = LatentDynamicsRegressor(**TINY_DYN, random_state=0).fit(X, times=t)
    scorer = forecast_scorer(n_frames=3)
    expected = est.score(X[:, :7], times=t[:7])
    assert scorer(est, X, times=t) == expected
    assert scorer(est, X) == expected
    assert forecast_scorer()(est, X) == est.score(X)
    with pytest.raises(ValueError, match="n_frames must be an integer >= 1"):
        forecast_scorer(n_frames=0)
    assert not re.search("nan", str(expected))
