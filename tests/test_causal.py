"""CausalStructureEstimator: API contract, errors, cross-validation and learning."""

import pickle

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdyncausal.causal import (
    CausalStructureEstimator,
    correlation_scores,
    from_lingam,
    from_networkx,
    mrcl_scores,
    partial_correlation_scores,
    to_lingam,
    to_networkx,
)
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import edge_orientation_accuracy, edge_roc_auc

FAST = dict(image_size=8, hidden_dim=8, cnn_channels=2, max_epochs=4, random_state=0)


@pytest.fixture(scope="module")
def sem():
    return make_sem(120, 8, n_interventions=3, intervention_samples=8, random_state=1)


@pytest.fixture(scope="module")
def prior(sem):
    return make_prior(sem.adjacency, fraction=0.5, random_state=1)


@pytest.fixture(scope="module")
def fitted(sem, prior):
    est = CausalStructureEstimator(**FAST)
    return est.fit(sem.X, prior=prior, interventions=sem.interventions)


def test_predict_proba_shape_range_diagonal(fitted):
    P = fitted.predict_proba()
    assert P.shape == (8, 8) and P.dtype == np.float64
    assert (P >= 0).all() and (P <= 1).all()
    assert (np.diag(P) == 0).all()
    assert fitted.n_features_in_ == 8
    assert fitted.variable_names_ == [f"x{k}" for k in range(8)]


def test_predict_applies_threshold(fitted):
    P = fitted.predict_proba()
    threshold = float(np.median(P[~np.eye(8, dtype=bool)]))
    A = fitted.predict(threshold=threshold)
    expected = (P >= threshold).astype(int)
    np.fill_diagonal(expected, 0)
    np.testing.assert_array_equal(A, expected)


def test_predict_proba_on_new_rows(fitted, sem):
    P = fitted.predict_proba(sem.X[:60])
    assert P.shape == (8, 8)
    assert not np.allclose(P, fitted.predict_proba())  # features from other rows
    with pytest.raises(ValueError, match="expecting 8 features"):
        fitted.predict_proba(sem.X[:, :5])


def test_to_networkx_names_and_edges(sem, prior):
    X = pd.DataFrame(sem.X, columns=[f"g{k}" for k in range(8)])
    est = CausalStructureEstimator(**FAST).fit(X, prior=prior)
    P = est.predict_proba()
    threshold = float(np.sort(P.ravel())[-5])
    graph = est.to_networkx(threshold=threshold)
    assert set(graph.nodes) == {f"g{k}" for k in range(8)}
    rows, cols = np.nonzero(P >= threshold)
    assert {(f"g{i}", f"g{j}") for i, j in zip(rows, cols)} == set(graph.edges)
    for i, j in zip(rows, cols):
        assert graph.edges[f"g{i}", f"g{j}"]["probability"] == P[i, j]


def test_dataframe_prior_aligned_by_names(sem, prior):
    names = [f"g{k}" for k in range(8)]
    X = pd.DataFrame(sem.X, columns=names)
    frame = pd.DataFrame(prior, index=names, columns=names)
    shuffled = frame.iloc[::-1, [3, 1, 0, 2, 7, 6, 5, 4]]
    a = CausalStructureEstimator(**FAST).fit(X, prior=shuffled)
    b = CausalStructureEstimator(**FAST).fit(sem.X, prior=prior)
    assert list(a.feature_names_in_) == names
    np.testing.assert_array_equal(a.prior_, b.prior_)
    np.testing.assert_allclose(a.predict_proba(), b.predict_proba())
    bad = frame.rename(index={"g0": "zz"}, columns={"g0": "zz"})
    with pytest.raises(ValueError, match="names of X missing from the prior"):
        CausalStructureEstimator(**FAST).fit(X, prior=bad)


def test_interventions_as_names(sem, prior):
    names = [f"g{k}" for k in range(8)]
    X = pd.DataFrame(sem.X, columns=names)
    by_name = [None if k < 0 else names[k] for k in sem.interventions]
    a = CausalStructureEstimator(**FAST).fit(X, prior=prior, interventions=by_name)
    b = CausalStructureEstimator(**FAST).fit(
        X, prior=prior, interventions=sem.interventions
    )
    np.testing.assert_allclose(a.predict_proba(), b.predict_proba())


def test_clone_pickle_and_determinism(fitted, sem, prior):
    P = fitted.predict_proba()
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(), P)
    again = clone(fitted).fit(sem.X, prior=prior, interventions=sem.interventions)
    np.testing.assert_array_equal(again.predict_proba(), P)
    other = clone(fitted).set_params(random_state=5)
    other.fit(sem.X, prior=prior, interventions=sem.interventions)
    assert not np.array_equal(other.predict_proba(), P)


def test_global_torch_rng_untouched(sem, prior):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    CausalStructureEstimator(**FAST).fit(sem.X, prior=prior)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_constructor_prior_and_fit_argument_precedence(sem, prior):
    a = CausalStructureEstimator(prior=prior, **FAST).fit(sem.X)
    b = CausalStructureEstimator(prior=1 - np.nan_to_num(prior, nan=0.5), **FAST)
    b.fit(sem.X, prior=prior)
    np.testing.assert_array_equal(a.prior_, b.prior_)


@pytest.mark.parametrize("architecture", ["image", "graph", "no_image", "full"])
def test_ablation_architectures_fit_and_predict(sem, prior, architecture):
    est = CausalStructureEstimator(architecture=architecture, **FAST)
    P = est.fit(sem.X, prior=prior, interventions=sem.interventions).predict_proba()
    assert P.shape == (8, 8) and np.isfinite(P).all()
    assert 0.0 <= est.score(sem.X) <= 1.0


def test_options_baseline_dropout_threads(sem, prior):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for params in (
            dict(baseline_offset=False, knockout_dropout=0.0),
            dict(knockout_dropout=1.0, torch_threads=None),
            dict(max_epoch_pairs=8, max_train_pairs=8),
        ):
            est = CausalStructureEstimator(**FAST, **params)
            P = est.fit(sem.X, prior=prior, interventions=sem.interventions)
            P = P.predict_proba()
            assert np.isfinite(P).all() and torch.get_num_threads() == 2
        assert (est.featurizer_.baseline_ is not None) and len(est.train_pairs_) <= 8
        assert len(est.validation_pairs_) <= 2
    finally:
        torch.set_num_threads(before)


def test_epoch_sampler_draws_fresh_subsets():
    from skdyncausal.causal._data import EpochSampler

    g = torch.Generator().manual_seed(0)
    small = list(EpochSampler(10, 4, g))
    assert len(small) == 4 and len(set(small)) == 4
    cycled = list(EpochSampler(3, 7, g))
    assert len(cycled) == 7 and set(cycled) == {0, 1, 2}


def test_score_is_held_out_auroc(fitted, sem):
    pairs = fitted.validation_pairs_
    assert len(pairs) > 0 and set(pairs[:, 2]) == {0.0, 1.0}
    train = {tuple(r) for r in fitted.train_pairs_[:, :2].astype(int)}
    assert not train & {tuple(r) for r in pairs[:, :2].astype(int)}
    assert 0.0 <= fitted.score(sem.X[:60]) <= 1.0


def test_error_messages(sem, prior):
    X = sem.X
    est = CausalStructureEstimator(**FAST)
    with pytest.raises(ValueError, match="needs a prior"):
        est.fit(X)
    with pytest.raises(ValueError, match=r"CausalStructureEstimator\(prior=A\)"):
        est.fit(X, prior=prior[:5, :5])
    with pytest.raises(ValueError, match="no positive labels"):
        est.fit(X, prior=np.where(np.isnan(prior), np.nan, 0.0))
    with pytest.raises(ValueError, match="no negative labels"):
        est.fit(X, prior=np.where(np.isnan(prior), np.nan, 1.0))
    with pytest.raises(ValueError, match="entries must be 1"):
        est.fit(X, prior=np.where(np.isnan(prior), np.nan, 2.0))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(X_nan, prior=prior)
    with pytest.raises(ValueError, match=r"1 feature\(s\)"):
        est.fit(X[:, :1], prior=prior[:1, :1])
    with pytest.raises(ValueError, match=r"shape \(n_samples,\)"):
        est.fit(X, prior=prior, interventions=sem.interventions[:10])
    with pytest.raises(ValueError, match=r"must lie in \[-1, 7\]"):
        est.fit(X, prior=prior, interventions=np.full(len(X), 9))
    with pytest.raises(ValueError, match="not variables of X"):
        est.fit(X, prior=prior, interventions=["nope"] * len(X))


def test_bad_parameters_reported_together(sem, prior):
    est = CausalStructureEstimator(architecture="big", lr=-1.0, validation_fraction=2)
    with pytest.raises(ValueError, match="architecture") as info:
        est.fit(sem.X, prior=prior)
    assert "lr" in str(info.value) and "validation_fraction" in str(info.value)


def test_grid_search_selects_by_held_out_auroc(sem, prior):
    grid = GridSearchCV(
        CausalStructureEstimator(**FAST), {"architecture": ["no_image", "graph"]}, cv=3
    )
    grid.fit(sem.X, prior=prior)
    scores = grid.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()
    best = grid.cv_results_["params"][int(np.argmax(scores))]
    assert grid.best_params_ == best
    assert grid.best_estimator_.predict_proba().shape == (8, 8)


def test_n_samples_equal_p_needs_constructor_prior():
    data = make_sem(12, 12, random_state=0)
    A = make_prior(data.adjacency, fraction=0.6, random_state=0)
    est = CausalStructureEstimator(**FAST)
    grid = GridSearchCV(est, {"hidden_dim": [4]}, cv=3, error_score="raise")
    with pytest.raises(ValueError, match=r"n_samples == p.*prior=A"):
        grid.fit(data.X, prior=A)
    scores = cross_val_score(clone(est).set_params(prior=A), data.X, cv=3)
    assert np.isfinite(scores).all()


def test_learns_structure_on_unlabelled_pairs():
    data = make_sem(400, 15, n_interventions=8, intervention_samples=10, random_state=0)
    A = make_prior(data.adjacency, fraction=0.5, random_state=0)
    est = CausalStructureEstimator(random_state=0, max_epochs=40)
    P = est.fit(data.X, prior=A, interventions=data.interventions).predict_proba()
    mask = np.isnan(A) & np.isnan(A.T)
    assert edge_roc_auc(data.adjacency, P, mask=mask) > 0.8
    assert edge_orientation_accuracy(data.adjacency, P, mask=mask) > 0.6


def test_baselines_and_converters(sem, prior):
    S = partial_correlation_scores(sem.X)
    C = correlation_scores(sem.X)
    assert S.shape == C.shape == (8, 8)
    np.testing.assert_allclose(S, S.T)
    M = mrcl_scores(sem.X, prior, n_unlabelled=20, random_state=0)
    assert M.shape == (8, 8) and np.isfinite(M).all() and (np.diag(M) == 0).all()
    A = sem.adjacency
    np.testing.assert_array_equal(from_lingam(to_lingam(A)), A)
    np.testing.assert_array_equal(to_lingam(A), A.T)
    graph = to_networkx(A, threshold=0.5)
    assert isinstance(graph, nx.DiGraph)
    np.testing.assert_array_equal(from_networkx(graph, nodes=range(8)), A)
