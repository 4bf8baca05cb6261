"""Beyond one machine: joblib's Dask backend runs our parallel work unchanged.

A ``distributed.LocalCluster`` on the loopback interface (two worker
processes, one thread each) stands in for a cluster. Inside
``joblib.parallel_config(backend="dask")`` the pair-feature blocks of
``CausalStructureEstimator(n_jobs=2)`` and the fits of ``GridSearchCV(n_jobs=2)``
run on the workers; the results must equal the local, sequential run.
"""

import warnings

import _helpers
import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.causal import _features as F
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.dynamics import LatentDynamicsRegressor

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install distributed)"
)

# 3 feature blocks for 6 variables: several tasks to spread over the workers.
CAUSAL_TINY = {**_helpers.CAUSAL_TINY, "block_size": 2}


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # port and resource notices at start-up
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def sem():
    return make_sem(80, 6, n_interventions=2, intervention_samples=6, random_state=0)


@pytest.fixture(scope="module")
def prior(sem):
    return make_prior(sem.adjacency, fraction=0.7, random_state=0)


def _ran_on_workers(client):
    """Number of tasks each worker has completed so far."""
    return client.run(lambda dask_worker: len(dask_worker.state.log))


def test_pair_features_on_dask_equal_the_local_run(client, sem):
    data = F.prepare_pair_data(sem.X, sem.interventions, image_size=4)
    blocks = [F.all_pairs(b, 6) for b in F.source_blocks(6, 2)]
    local = [f for _, _, f in F.iter_pair_features(data, blocks)]
    before = _ran_on_workers(client)
    with joblib.parallel_config(backend="dask"):
        remote = [f for _, _, f in F.iter_pair_features(data, blocks, n_jobs=2)]
    assert _ran_on_workers(client) != before  # the blocks did run on the cluster
    assert len(remote) == len(local)
    for a, b in zip(local, remote):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if value is None:
                assert b[key] is None
            else:
                np.testing.assert_array_equal(b[key], value, err_msg=key)


def test_causal_estimator_with_n_jobs_on_dask_equals_the_local_run(client, sem, prior):
    local = CausalStructureEstimator(**CAUSAL_TINY).fit(
        sem.X, prior=prior, interventions=sem.interventions
    )
    before = _ran_on_workers(client)
    with joblib.parallel_config(backend="dask"):
        remote = CausalStructureEstimator(**CAUSAL_TINY, n_jobs=2).fit(
            sem.X, prior=prior, interventions=sem.interventions
        )
        proba_remote = remote.predict_proba()
        proba_new_rows = remote.predict_proba(sem.X[:50])
    assert _ran_on_workers(client) != before
    np.testing.assert_array_equal(proba_remote, local.predict_proba())
    np.testing.assert_array_equal(proba_new_rows, local.predict_proba(sem.X[:50]))
    assert [r["train_loss"] for r in remote.history_] == [
        r["train_loss"] for r in local.history_
    ]


def _search(estimator, grid):
    return GridSearchCV(estimator, grid, cv=KFold(2), n_jobs=2, error_score="raise")


def _same_search(remote, local):
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(
            remote.cv_results_[key], local.cv_results_[key], err_msg=key
        )
    assert remote.cv_results_["params"] == local.cv_results_["params"]


def test_grid_search_of_causal_estimator_on_dask(client, sem, prior):
    grid = {"hidden_dim": [4, 8]}
    est = CausalStructureEstimator(**CAUSAL_TINY, prior=prior)
    local = GridSearchCV(est, grid, cv=KFold(2), error_score="raise").fit(sem.X)
    before = _ran_on_workers(client)
    with joblib.parallel_config(backend="dask"):
        remote = _search(est, grid).fit(sem.X)
    assert _ran_on_workers(client) != before
    _same_search(remote, local)
    np.testing.assert_array_equal(
        remote.best_estimator_.predict_proba(), local.best_estimator_.predict_proba()
    )


def test_grid_search_of_dynamics_regressor_on_dask(client):
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 3.0, 8)
    phase = rng.uniform(0, 2 * np.pi, (12, 1))
    X = np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1)
    times = np.tile(t, (len(X), 1))  # per instance: sliced with X by the CV
    est = LatentDynamicsRegressor(
        n_context=3,
        token_dim=8,
        hidden_dim=8,
        conv_channels=2,
        n_heads=2,
        n_layers=1,
        n_frequencies=2,
        max_epochs=1,
        batch_size=4,
        random_state=0,
    )
    grid = {"latent_dim": [2, 3]}
    local = GridSearchCV(est, grid, cv=KFold(2), error_score="raise")
    local.fit(X, times=times)
    before = _ran_on_workers(client)
    with joblib.parallel_config(backend="dask"):
        remote = _search(est, grid).fit(X, times=times)
    assert _ran_on_workers(client) != before
    _same_search(remote, local)
    np.testing.assert_array_equal(
        remote.best_estimator_.predict(X[:2]), local.best_estimator_.predict(X[:2])
    )
