"""The pair-statistic parts and the featurizer built on them."""

import numpy as np
import pytest
from scipy.stats import pearsonr

from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.causal import _features as F
from skdyncausal.causal import _statistics as S
from skdyncausal.datasets import make_prior, make_sem


@pytest.fixture(scope="module")
def sem():
    return make_sem(150, 7, n_interventions=3, intervention_samples=10, random_state=5)


def _columns(data, stat, src, dst):
    k = data.statistics.index(stat)
    return stat.compute(S.PairBlock(data, src, dst), data.prepared[k])


def test_names_of_the_default_statistics_are_the_feature_names():
    scalar = [n for s in S.DEFAULT_STATISTICS if not s.graph for n in s.names]
    graph = [n for s in S.DEFAULT_STATISTICS if s.graph for n in s.names]
    assert tuple(scalar) == F.SCALAR_NAMES
    assert tuple(graph) == F.GRAPH_SCALAR_NAMES
    assert len(set(scalar + graph)) == len(scalar) + len(graph)


def test_parts_equal_direct_computations(sem):
    data = F.prepare_pair_data(sem.X, sem.interventions, images=False)
    src, dst = F.all_pairs(np.array([0, 4]), 7)
    corr = _columns(data, S.DEFAULT_STATISTICS[0], src, dst)
    expected = [pearsonr(sem.X[:, i], sem.X[:, j])[0] for i, j in zip(src, dst)]
    np.testing.assert_allclose(corr[:, 1], expected, atol=1e-5)
    np.testing.assert_allclose(corr[:, 0], np.abs(expected), atol=1e-5)
    pcorr = _columns(data, S.DEFAULT_STATISTICS[1], src, dst)
    P, _ = F.partial_correlations(F._standardise(sem.X)[0])
    np.testing.assert_allclose(pcorr[:, 1], P[src, dst], atol=1e-6)
    shift = _columns(data, S.DEFAULT_STATISTICS[4], src, dst)
    raw, _, knocked = F.shift_scores(sem.X, sem.interventions)
    np.testing.assert_allclose(shift[:, 0], np.log1p(raw[src, dst]), atol=1e-6)
    np.testing.assert_allclose(shift[:, 1], np.log1p(raw[dst, src]), atol=1e-6)
    np.testing.assert_array_equal(shift[:, 4], knocked[src])


def test_cubic_regression_finds_the_nonlinear_cause():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 400)
    X = np.c_[x, x**3 + 0.3 * rng.normal(size=400)]
    data = F.prepare_pair_data(X, images=False)
    cubic = _columns(data, S.DEFAULT_STATISTICS[3], np.array([0]), np.array([1]))
    # r2_cubic_ij: x1 from x0 (nearly exact) beats x0 from x1
    assert cubic[0, 0] > 0.95 > cubic[0, 1]
    assert cubic[0, 2] > 0.05  # gain of the cubic fit over the linear one


class _Product(S.PairStatistic):
    """A new kind of evidence: the mean product of the standardised pair,
    and its antisymmetric sibling; one class and one entry."""

    names = ("mean_product", "coskew_ij", "coskew_ji", "skew_gap")
    antisymmetric = ("skew_gap",)

    def compute(self, block, prepared):
        Z, n = block.data.Z, block.data.n
        xi, xj = Z[:, block.src], Z[:, block.dst]
        co_ij = (xi**2 * xj).mean(0)
        co_ji = (xj**2 * xi).mean(0)
        return np.stack([(xi * xj).sum(0) / n, co_ij, co_ji, co_ij - co_ji], 1)


def test_a_new_statistic_is_one_class_and_one_entry(sem):
    stats = (*S.DEFAULT_STATISTICS, _Product())
    featurizer = F.PairFeaturizer(statistics=stats, images=False, baseline="direct")
    assert featurizer.scalar_names[-4:] == _Product.names
    data = featurizer.prepare(sem.X, sem.interventions)
    prior = make_prior(sem.adjacency, fraction=0.5, random_state=0)
    src, dst = np.nonzero(~np.isnan(prior))
    pairs = np.c_[src, dst, prior[src, dst]]
    train = featurizer.fit(data, pairs)
    assert train["scalars"].shape == (len(pairs), len(F.SCALAR_NAMES) + 4)
    # reversal follows the names: (i, j) reversed is (j, i)
    back = featurizer.transform(data, pairs[:, [1, 0, 2]])
    np.testing.assert_allclose(train["scalars_rev"], back["scalars"], atol=1e-4)
    np.testing.assert_allclose(
        featurizer.reverse(train["scalars"])[:, -1], -train["scalars"][:, -1]
    )


def test_knockout_mask_hides_the_cause_columns(sem):
    featurizer = F.PairFeaturizer(images=False)
    data = featurizer.prepare(sem.X, sem.interventions)
    pairs = np.array([[0, 1, 1], [1, 0, 0], [2, 3, 0]], dtype=float)
    featurizer.fit(data, pairs)
    mask = featurizer.knockout_mask(data, 0.5)
    names = F.SCALAR_NAMES
    assert [names[c] for c in mask["cols"]] == ["shift_ij", "shift_t_ij", "knocked_i"]
    assert [names[c] for c in mask["cols_rev"]] == [
        "shift_ji",
        "shift_t_ji",
        "knocked_j",
    ]
    zero = (0.0 - featurizer.scalar_mean_) / featurizer.scalar_scale_
    np.testing.assert_allclose(mask["values"]["scalars"], zero[mask["cols"]])
    assert featurizer.knockout_mask(data, 0.0) is None


def test_estimator_uses_the_featurizer_it_stores(sem):
    prior = make_prior(sem.adjacency, fraction=0.5, random_state=1)
    est = CausalStructureEstimator(
        image_size=4, hidden_dim=4, cnn_channels=2, max_epochs=1, random_state=0
    )
    est.fit(sem.X, prior=prior, interventions=sem.interventions)
    data = est.featurizer_.prepare(sem.X, sem.interventions)
    feats = est.featurizer_.transform(data, est.validation_pairs_)
    np.testing.assert_array_equal(
        est._probabilities(feats),
        est.predict_proba()[
            est.validation_pairs_[:, 0].astype(int),
            est.validation_pairs_[:, 1].astype(int),
        ],
    )
