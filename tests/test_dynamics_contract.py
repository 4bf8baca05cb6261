"""scikit-learn contract of LatentDynamicsRegressor.

Its tags declare 3-D input, so ``check_estimator`` runs none of its checks; the
data-free checks are called directly and the rest is written out here.
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
from sklearn.utils import estimator_checks as ec

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


DATA_FREE_CHECKS = [
    ec.check_no_attributes_set_in_init,
    ec.check_estimator_cloneable,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_mixin_order,
    ec.check_parameters_default_constructible,
    ec.check_estimator_repr,
    ec.check_estimator_tags_renamed,
    ec.check_valid_tag_types,
]


@pytest.mark.parametrize("dynamics", ["direct", "ode", "gru"])
@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
def test_data_free_sklearn_checks(dynamics, check):
    est = LatentDynamicsRegressor(dynamics=dynamics)
    check(type(est).__name__, est)


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


def test_pipeline_psi_to_ridge(data):
    X, t, freq = data
    pipe = make_pipeline(LatentDynamicsRegressor(**TINY), Ridge())
    pipe.fit(X, freq, latentdynamicsregressor__times=t)
    assert pipe.predict(X[:5]).shape == (5,)


def test_cross_val_score_and_grid_search_with_per_instance_times(data):
    X, t, _ = data
    times = np.tile(t, (len(X), 1))  # per instance: sliced with X by CV
    cv = KFold(3)
    scores = cross_val_score(
        LatentDynamicsRegressor(**TINY), X, cv=cv, params={"times": times}
    )
    assert scores.shape == (3,) and np.isfinite(scores).all()
    search = GridSearchCV(
        LatentDynamicsRegressor(**TINY), {"latent_dim": [2, 4]}, cv=cv
    ).fit(X, times=times)
    assert search.best_params_["latent_dim"] in (2, 4)
    assert np.isfinite(search.best_score_)


def test_cross_val_with_irregular_times_and_metadata_routing(data):
    X, _, _ = data
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.3, 0.8, X.shape[:2]), axis=1)
    with sklearn.config_context(enable_metadata_routing=True):
        est = LatentDynamicsRegressor(**TINY)
        est.set_fit_request(times=True).set_score_request(times=True)
        scores = cross_val_score(est, X, cv=KFold(3), params={"times": times})
    assert np.isfinite(scores).all()


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
