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
    np.testing.assert_allclose(
        est._probabilities(feats),
        est.predict_proba()[
            est.validation_pairs_[:, 0].astype(int),
            est.validation_pairs_[:, 1].astype(int),
        ],
        rtol=1e-6,
    )


def _stat_columns(X, stat, src, dst):
    data = F.PairFeaturizer(statistics=[stat], images=False).prepare(X)
    return stat.compute(
        S.PairBlock(data, np.array(src), np.array(dst)), data.prepared[0]
    )


def test_conditional_independence_separates_a_chain_and_flags_a_collider():
    rng = np.random.default_rng(0)
    n = 2000
    a, c = rng.normal(size=n), rng.normal(size=n)
    b = a + c + 0.5 * rng.normal(size=n)  # a -> b <- c
    d = b + 0.5 * rng.normal(size=n)  # b -> d: a -> b -> d
    X = np.c_[a, b, c, d]
    stat = S.ConditionalIndependence(n_candidates=3)
    cols = dict(zip(stat.names, _stat_columns(X, stat, [0, 0, 0], [1, 3, 2]).T))
    # (a, d): dependent, but independent given b
    assert abs(np.corrcoef(a, d)[0, 1]) > 0.5 > 0.1 > cols["ci_min_order1"][1]
    # (a, b) stays dependent whatever is held fixed
    assert cols["ci_min_order2"][0] > 0.2
    # a -> b <- c: holding b fixed makes a and c dependent, far more than
    # holding a fixed raises the dependence of b on its other cause c
    assert cols["collider_j"][0] > 0.5
    assert cols["collider_j"][0] - cols["collider_i"][0] > 0.3
    assert cols["ci_max_gain"][2] > 0.3  # (a, c): dependent only given b


def test_ordered_regression_recovers_the_order_and_the_direct_causes(monkeypatch):
    rng = np.random.default_rng(1)
    n = 3000
    a = rng.laplace(size=n)
    b = a + rng.laplace(size=n)
    c = b + rng.laplace(size=n)  # a -> b -> c, non-Gaussian noise
    X = np.c_[c, a, b]  # columns out of causal order
    Z = F._standardise(X)[0]
    pos = S.estimate_order(Z)
    assert pos[1] < pos[2] < pos[0]
    # above ORDER_ROWS rows, a fixed subset of them: the same order, every call
    monkeypatch.setattr(S, "ORDER_ROWS", 500)
    np.testing.assert_array_equal(S.estimate_order(Z), pos)
    monkeypatch.undo()
    # float32 data give the same coefficients in float32
    B32 = S.ordered_regression(Z.astype(np.float32), pos)
    assert B32.dtype == np.float32
    np.testing.assert_allclose(B32, S.ordered_regression(Z, pos), atol=1e-5)
    stat = S.OrderedRegression()
    cols = _stat_columns(X, stat, [1, 2, 1], [2, 0, 0])
    coef_ij, coef_ji, gap, t_ij, t_ji = cols.T  # t as log(1 + |t|)
    assert coef_ij[0] > 0.5 and coef_ij[1] > 0.5  # a -> b, b -> c
    assert coef_ij[2] < 0.05  # a is no direct cause of c
    assert t_ij[0] > np.log1p(20.0) and t_ij[1] > np.log1p(20.0)
    assert t_ij[2] < np.log1p(4.0)
    np.testing.assert_array_equal(coef_ji, 0.0)  # the effect comes later
    np.testing.assert_array_equal(t_ji, 0.0)
    assert (gap > 0).all()


def test_ordered_regression_equals_least_squares_on_the_predecessors():
    rng = np.random.default_rng(3)
    Z = F._standardise(rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12)))[0]
    pos = rng.permutation(12)
    B = S.ordered_regression(Z, pos, ridge=0.0)
    B2, T = S.ordered_regression(Z, pos, ridge=0.0, t_stats=True)
    np.testing.assert_array_equal(B2, B)
    for j in range(12):
        before = np.flatnonzero(pos < pos[j])
        expected, t = np.zeros(12), np.zeros(12)
        if before.size:
            Zb = Z[:, before]
            expected[before] = np.linalg.lstsq(Zb, Z[:, j], rcond=None)[0]
            resid = Z[:, j] - Zb @ expected[before]
            var = resid @ resid / len(Z) * np.diag(np.linalg.inv(Zb.T @ Zb))
            t[before] = expected[before] / np.sqrt(var)
        np.testing.assert_allclose(B[j], expected, atol=1e-8)
        np.testing.assert_allclose(T[j], t, rtol=1e-8, atol=1e-8)


def test_statistics_parameter_chooses_the_evidence(sem):
    prior = make_prior(sem.adjacency, fraction=0.5, random_state=1)
    stats = [S.Correlation(), S.PartialCorrelation(), S.ConditionalIndependence()]
    est = CausalStructureEstimator(
        statistics=stats, architecture="no_image", max_epochs=2, random_state=0
    ).fit(sem.X, prior=prior, interventions=sem.interventions)
    assert est.featurizer_.scalar_names == (
        "abs_corr",
        "corr",
        "abs_pcorr",
        "pcorr",
        *S.ConditionalIndependence.names,
    )
    assert est.featurizer_.baseline_columns_[0] == "abs_pcorr"
    for bad, match in (
        ([], "non-empty list of PairStatistic"),
        ([S.Correlation, S.PartialCorrelation()], "PairStatistic instances"),
        ([S.Correlation(), S.Correlation()], r"\['abs_corr', 'corr'\] appear twice"),
    ):
        with pytest.raises(ValueError, match=match):
            CausalStructureEstimator(statistics=bad).fit(sem.X, prior=prior)


def test_baseline_takes_the_order_columns_on_non_gaussian_data():
    data = make_sem(500, 20, noise="laplace", random_state=3)
    prior = make_prior(data.adjacency, fraction=0.5, random_state=3)
    est = CausalStructureEstimator(
        architecture="no_image", max_epochs=2, random_state=0
    ).fit(data.X, prior=prior)
    assert "ordered_t_ij" in est.featurizer_.baseline_columns_


@pytest.mark.parametrize(
    ("noise", "low", "high"),
    [("gaussian", 0.0, 0.15), ("laplace", 0.85, 1.0), ("uniform", 0.85, 1.0)],
)
def test_non_gaussian_share_tells_when_the_order_is_identifiable(noise, low, high):
    data = make_sem(500, 30, noise=noise, random_state=5)
    Z = F._standardise(data.X)[0]
    B = S.ordered_regression(Z, S.estimate_order(Z))
    share = S.non_gaussian_share(Z, B)
    assert low <= share <= high
    # every residual is Gaussian by construction here: no variable counts
    rng = np.random.default_rng(0)
    assert S.non_gaussian_share(rng.normal(size=(2000, 10)), np.zeros((10, 10))) < 0.2
