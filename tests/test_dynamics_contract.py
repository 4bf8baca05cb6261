"""scikit-learn contract of LatentDynamicsRegressor, written out for 3-D input.

Its tags declare 3-D input, so ``check_estimator`` runs none of its checks on
data; ``test_common.py`` runs the data-free ones and the rest is written out
here.
"""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skdyncausal.dynamics import (
    LatentDynamicsRegressor,
)

TINY = dict(
    n_context=4,
    latent_dim=4,
    token_dim=16,
    hidden_dim=32,
    conv_channels=4,
    n_heads=2,
    n_layers=1,
    n_frequencies=4,
    max_epochs=2,
    batch_size=8,
    random_state=0,
)


def sines(n=18, n_times=10, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 5.0, n_times)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = rng.uniform(0.8, 1.4, (n, 1))
    arg = freq * t + phase
    return np.stack([np.sin(arg), np.cos(arg)], axis=-1), t, freq[:, 0]


@pytest.fixture(scope="module")
def data():
    return sines()


@pytest.fixture(scope="module")
def fitted(data):
    X, t, _ = data
    return LatentDynamicsRegressor(**TINY).fit(X, times=t)


def test_tags():
    tags = LatentDynamicsRegressor().__sklearn_tags__()
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert tags.input_tags.allow_nan
    assert not tags.target_tags.required
    assert tags.estimator_type == "regressor"


def test_clone_and_params_round_trip():
    est = LatentDynamicsRegressor(latent_dim=7, horizon=5)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    copy.set_params(latent_dim=3, curriculum=True)
    assert copy.latent_dim == 3 and est.latent_dim == 7


def test_not_fitted_errors(data):
    X, _, _ = data
    est = LatentDynamicsRegressor()
    for method in (est.predict, est.transform, est.score):
        with pytest.raises(NotFittedError):
            method(X)


def test_pickle_round_trip_identical_predictions(fitted, data):
    X, _, _ = data
    copy = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(copy.predict(X[:4]), fitted.predict(X[:4]))
    np.testing.assert_array_equal(copy.transform(X[:4]), fitted.transform(X[:4]))


def test_same_seed_same_fit(fitted, data):
    X, t, _ = data
    again = LatentDynamicsRegressor(**TINY).fit(X, times=t)
    np.testing.assert_array_equal(again.predict(X[:4]), fitted.predict(X[:4]))
    assert again.loss_curve_ == fitted.loss_curve_
    other = LatentDynamicsRegressor(**{**TINY, "random_state": 1}).fit(X, times=t)
    assert not np.allclose(other.predict(X[:4]), fitted.predict(X[:4]))


def test_order_and_subset_invariance_over_instances(fitted, data):
    X, _, _ = data
    perm = np.random.default_rng(0).permutation(len(X))
    full_pred, full_psi = fitted.predict(X), fitted.transform(X)
    np.testing.assert_allclose(fitted.predict(X[perm]), full_pred[perm], atol=1e-6)
    np.testing.assert_allclose(fitted.transform(X[perm]), full_psi[perm], atol=1e-6)
    np.testing.assert_allclose(fitted.predict(X[3:5]), full_pred[3:5], atol=1e-6)
    np.testing.assert_allclose(fitted.transform(X[3:5]), full_psi[3:5], atol=1e-6)


def cv_scores_by_hand(params, X, times, cv, score_times):
    """Fit on each training fold, score on its test fold (times sliced)."""
    scores = []
    for train, test in cv.split(X):
        est = LatentDynamicsRegressor(**{**TINY, **params})
        est.fit(X[train], times=times[train])
        scores.append(est.score(X[test], times=times[test] if score_times else None))
    return np.array(scores)


def test_pipeline_psi_to_ridge(data):
    X, t, freq = data
    pipe = make_pipeline(LatentDynamicsRegressor(**TINY), Ridge())
    pipe.fit(X, freq, latentdynamicsregressor__times=t)
    est = LatentDynamicsRegressor(**TINY).fit(X, times=t)
    ridge = Ridge().fit(est.transform(X), freq)
    expected = ridge.predict(est.transform(X[:5]))
    np.testing.assert_allclose(pipe.predict(X[:5]), expected, rtol=1e-10)


def test_cross_val_score_and_grid_search_with_per_instance_times(data):
    X, t, _ = data
    times = np.tile(t, (len(X), 1))  # per instance: sliced with X by CV
    cv = KFold(3)
    scores = cross_val_score(
        LatentDynamicsRegressor(**TINY), X, cv=cv, params={"times": times}
    )
    # Without metadata routing the fit gets the times and score(X) falls back
    # to the fit grid, which here is the same grid.
    by_hand = cv_scores_by_hand({}, X, times, cv, score_times=False)
    np.testing.assert_allclose(scores, by_hand, rtol=1e-10)
    search = GridSearchCV(
        LatentDynamicsRegressor(**TINY), {"latent_dim": [2, 4]}, cv=cv
    ).fit(X, times=times)
    results = search.cv_results_
    k = results["params"].index({"latent_dim": 2})
    split = [results[f"split{i}_test_score"][k] for i in range(3)]
    by_hand = cv_scores_by_hand({"latent_dim": 2}, X, times, cv, score_times=False)
    np.testing.assert_allclose(split, by_hand, rtol=1e-10)
    best = int(np.argmax(results["mean_test_score"]))
    assert search.best_params_ == results["params"][best]


def test_cross_val_with_irregular_times_and_metadata_routing(data):
    X, _, _ = data
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.3, 0.8, X.shape[:2]), axis=1)
    with sklearn.config_context(enable_metadata_routing=True):
        est = LatentDynamicsRegressor(**TINY)
        est.set_fit_request(times=True).set_score_request(times=True)
        scores = cross_val_score(est, X, cv=KFold(3), params={"times": times})
    # Routed to score too: each test fold is scored on its own times.
    by_hand = cv_scores_by_hand({}, X, times, KFold(3), score_times=True)
    np.testing.assert_allclose(scores, by_hand, rtol=1e-10)


def test_shared_grid_sliced_by_cross_validation_is_explained():
    X, t, _ = sines(n=10, n_times=10)
    with pytest.raises(ValueError, match="Cross-validation slices"):
        cross_val_score(
            LatentDynamicsRegressor(**TINY),
            X,
            cv=KFold(2),
            params={"times": t},
            error_score="raise",
        )
