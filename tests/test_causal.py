"""CausalStructureEstimator: API contract, errors, cross-validation and learning."""

import pickle

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import held_out_auroc
from sklearn.base import clone
from sklearn.covariance import ledoit_wolf
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.preprocessing import StandardScaler

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
from skdyncausal.metrics import edge_average_precision, edge_orientation_accuracy

FAST = dict(
    image_size=8,
    hidden_dim=8,
    cnn_channels=2,
    max_epochs=4,
    n_networks=1,
    random_state=0,
)


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


def test_predict_proba_shape_range_diagonal(fitted, sem):
    P = fitted.predict_proba()
    assert P.shape == (8, 8) and P.dtype == np.float64
    assert (P >= 0).all() and (P <= 1).all()  # a sigmoid
    assert (np.diag(P) == 0).all()
    # Without X: the fit rows, computed once and cached; recomputing them
    # from the same rows and interventions gives the same matrix.
    recomputed = fitted.predict_proba(sem.X, interventions=sem.interventions)
    np.testing.assert_array_equal(P, recomputed)
    assert np.unique(P[~np.eye(8, dtype=bool)]).size > 1
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
    # The features summarise the rows as a sample: their order does not matter.
    perm = np.random.default_rng(0).permutation(60)
    np.testing.assert_allclose(fitted.predict_proba(sem.X[:60][perm]), P, atol=1e-5)
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
    assert est.score(sem.X) == held_out_auroc(est, sem.X)


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


def test_score_is_held_out_auroc(fitted, sem, prior):
    pairs = fitted.validation_pairs_
    assert len(pairs) > 0 and set(pairs[:, 2]) == {0.0, 1.0}
    train = {tuple(r) for r in fitted.train_pairs_[:, :2].astype(int)}
    assert not train & {tuple(r) for r in pairs[:, :2].astype(int)}
    assert fitted.score(sem.X[:60]) == held_out_auroc(fitted, sem.X[:60])
    # More held-out pairs, so that the AUROC is not 1 and the rows matter.
    est = CausalStructureEstimator(**{**FAST, "validation_fraction": 0.5})
    est.fit(sem.X, prior=prior, interventions=sem.interventions)
    subsets = (sem.X[60:], sem.X[1::2])
    scores = [est.score(X) for X in subsets]
    assert scores == [held_out_auroc(est, X) for X in subsets]
    assert scores[0] != scores[1] and max(scores) < 1.0


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
    # Half the labelled pairs held out, so that the candidates' AUROCs differ.
    params = {**FAST, "validation_fraction": 0.5}
    grid = GridSearchCV(
        CausalStructureEstimator(**params),
        {"architecture": ["graph", "full"]},
        cv=3,
    )
    grid.fit(sem.X, prior=prior)
    results = grid.cv_results_
    # One candidate by hand: KFold(3) on the rows, the prior passed whole.
    k = results["params"].index({"architecture": "full"})
    for i, (train, test) in enumerate(KFold(3).split(sem.X)):
        est = CausalStructureEstimator(**params, architecture="full")
        est.fit(sem.X[train], prior=prior)
        assert results[f"split{i}_test_score"][k] == est.score(sem.X[test])
    scores = results["mean_test_score"]
    assert scores[0] != scores[1]
    best = results["params"][int(np.argmax(scores))]
    assert grid.best_params_ == best
    refit = CausalStructureEstimator(**params, **best).fit(sem.X, prior=prior)
    np.testing.assert_array_equal(
        grid.best_estimator_.predict_proba(), refit.predict_proba()
    )


def test_n_samples_equal_p_needs_constructor_prior():
    data = make_sem(12, 12, random_state=0)
    A = make_prior(data.adjacency, fraction=0.6, random_state=0)
    est = CausalStructureEstimator(**FAST)
    grid = GridSearchCV(est, {"hidden_dim": [4]}, cv=3, error_score="raise")
    with pytest.raises(ValueError, match=r"n_samples == p.*prior=A"):
        grid.fit(data.X, prior=A)
    scores = cross_val_score(clone(est).set_params(prior=A), data.X, cv=3)
    by_hand = [
        clone(est).set_params(prior=A).fit(data.X[train]).score(data.X[test])
        for train, test in KFold(3).split(data.X)
    ]
    np.testing.assert_array_equal(scores, by_hand)


# Each seed draws a new graph, data, prior and initial weights. On the pairs
# unknown in both directions, the network must rank true edges above |pcorr|
# (AUPRC) and orient them better than a symmetric score (0.5). Not AUROC: on
# linear Gaussian data |pcorr| already ranks the skeleton near the top
# (AUROC about 0.97), and its errors are the reverse directions of true edges,
# which AUPRC and orientation count but AUROC hardly does.
@pytest.mark.parametrize("seed", [0, 1])
def test_learns_structure_on_unlabelled_pairs(seed):
    data = make_sem(
        500, 30, n_interventions=10, intervention_samples=10, random_state=seed
    )
    A = make_prior(data.adjacency, fraction=0.3, random_state=seed)
    est = CausalStructureEstimator(random_state=seed, max_epochs=40)
    P = est.fit(data.X, prior=A, interventions=data.interventions).predict_proba()
    mask = np.isnan(A) & np.isnan(A.T)
    truth = data.adjacency
    pcorr, corr = partial_correlation_scores(data.X), correlation_scores(data.X)
    auprc = edge_average_precision(truth, P, mask=mask)
    assert auprc > edge_average_precision(truth, pcorr, mask=mask) + 0.02
    orientation = edge_orientation_accuracy(truth, P, mask=mask)
    assert orientation > edge_orientation_accuracy(truth, corr, mask=mask) + 0.1


def test_baselines_and_converters(sem, prior):
    S = partial_correlation_scores(sem.X)
    C = correlation_scores(sem.X)
    corr = np.abs(np.corrcoef(sem.X, rowvar=False))
    np.fill_diagonal(corr, 0.0)
    np.testing.assert_allclose(C, corr, atol=1e-12)
    # |Θ_ij| / sqrt(Θ_ii Θ_jj), Θ the inverse Ledoit-Wolf covariance of the
    # standardised data (the shrinkage is scale-free: any sd convention).
    theta = np.linalg.inv(ledoit_wolf(StandardScaler().fit_transform(sem.X))[0])
    d = np.sqrt(np.diag(theta))
    pcorr = np.abs(theta) / np.outer(d, d)
    np.fill_diagonal(pcorr, 0.0)
    np.testing.assert_allclose(S, pcorr, atol=1e-10)
    M = mrcl_scores(sem.X, prior, n_unlabelled=20, random_state=0)
    assert M.shape == (8, 8) and np.isfinite(M).all() and (np.diag(M) == 0).all()
    A = sem.adjacency
    np.testing.assert_array_equal(from_lingam(to_lingam(A)), A)
    np.testing.assert_array_equal(to_lingam(A), A.T)
    graph = to_networkx(A, threshold=0.5)
    assert isinstance(graph, nx.DiGraph)
    np.testing.assert_array_equal(from_networkx(graph, nodes=range(8)), A)


def test_streamed_and_sparse_outputs_match_the_dense_one(sem, prior, tmp_path):
    est = CausalStructureEstimator(**{**FAST, "block_size": 3})
    est.fit(sem.X, prior=prior, interventions=sem.interventions)
    P = est.predict_proba()
    out = np.lib.format.open_memmap(
        tmp_path / "P.npy", mode="w+", dtype=np.float32, shape=P.shape
    )
    assert est.predict_proba(sem.X[:60], out=out) is out
    np.testing.assert_allclose(out, est.predict_proba(sem.X[:60]), atol=1e-7)
    S = est.predict_proba_sparse(threshold=0.6, top_k=1)
    expected = P >= 0.6
    off = np.where(np.eye(len(P), dtype=bool), -1.0, P)
    expected[np.arange(len(P)), off.argmax(axis=1)] = True  # best effect of each
    expected[off.argmax(axis=0), np.arange(len(P))] = True  # best cause of each
    np.fill_diagonal(expected, False)
    np.testing.assert_array_equal(S.toarray() > 0, expected)
    np.testing.assert_allclose(S.toarray()[expected], P[expected], atol=1e-7)
    for kwargs, match in (
        ({}, "needs threshold"),
        ({"top_k": 0}, "top_k must be an integer >= 1"),
        ({"threshold": 2}, r"threshold must be a number in \[0, 1\]"),
    ):
        with pytest.raises(ValueError, match=match):
            est.predict_proba_sparse(**kwargs)
    with pytest.raises(ValueError, match=r"out must be a writeable float ndarray"):
        est.predict_proba(out=np.empty((3, 3)))


def test_screen_scores_only_the_candidates_and_matches_the_dense_output(sem, prior):
    est = CausalStructureEstimator(**{**FAST, "block_size": 3})
    est.fit(sem.X, prior=prior, interventions=sem.interventions)
    P = est.predict_proba()
    p = len(P)
    pairs = est.candidate_pairs(1)
    C = np.zeros((p, p), dtype=bool)
    C[pairs[:, 0], pairs[:, 1]] = True
    # symmetric, no self-pairs, each variable's strongest |pcorr| partner in
    np.testing.assert_array_equal(C, C.T)
    assert not C.diagonal().any() and C.sum() < p * (p - 1)
    pcorr = np.abs(est._cache["data"].pcorr)
    np.fill_diagonal(pcorr, -1.0)
    assert C[np.arange(p), pcorr.argmax(axis=1)].all()
    # every candidate scored, with the dense probability; nothing else
    S = est.predict_proba_sparse(threshold=0.0, screen=1).toarray()
    np.testing.assert_array_equal(S > 0, C & (P > 0))
    np.testing.assert_allclose(S[C], P[C], atol=1e-7)
    # a screen wide enough to hold every pair gives every pair
    full = est.predict_proba_sparse(threshold=0.0, screen=p).toarray()
    np.testing.assert_allclose(full, P, atol=1e-7)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="screen must be an integer >= 1"):
            est.predict_proba_sparse(threshold=0.5, screen=bad)


def test_float32_data_and_prior_stay_float32_without_copies(sem, prior, fitted):
    A32 = prior.astype(np.float32)
    np.fill_diagonal(A32, np.nan)
    X32 = np.ascontiguousarray(sem.X, dtype=np.float32)
    est = CausalStructureEstimator(**FAST)
    est.fit(X32, prior=A32, interventions=sem.interventions)
    assert est.prior_ is A32  # float32 with a NaN diagonal: used as it is
    assert est._cache["data"].Z.dtype == np.float32
    P32, P = est.predict_proba(), fitted.predict_proba()
    # float32 rounding of the data moves the probabilities only a little
    assert np.abs(P32 - P).max() < 0.05
    # a float64 prior (diagonal not NaN) is copied and left as it was
    A = np.nan_to_num(prior, nan=0.0)
    A[0, 1] = A[1, 0] = np.nan
    before = A.copy()
    est.fit(sem.X, prior=A, interventions=sem.interventions)
    np.testing.assert_array_equal(A, before)
    assert est.prior_.dtype == np.float32 and np.isnan(est.prior_.diagonal()).all()


def test_fit_data_cached_for_prediction_but_not_pickled(sem, prior):
    import pickle

    est = CausalStructureEstimator(**FAST).fit(sem.X, prior=prior)
    assert "data" in est._cache  # the fit's pair data, reused by predict_proba
    P = est.predict_proba()
    restored = pickle.loads(pickle.dumps(est))
    assert restored._cache == {}
    # recomputed from the stored fit data: the same probabilities
    np.testing.assert_allclose(restored.predict_proba(), P, rtol=1e-6)
