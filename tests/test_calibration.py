"""Calibrated probabilities, the prior audit and priors with wrong labels."""

import numpy as np
import pytest
from scipy.special import expit, logit
from sklearn.calibration import CalibrationDisplay, calibration_curve

from skdyncausal import CausalStructureEstimator
from skdyncausal.causal._audit import contradicted_labels, label_error_probability
from skdyncausal.causal._calibration import (
    SHIFT_CHI2,
    EdgeCalibrator,
    edge_rate_statistic,
    estimate_edge_rate,
    exclusive_directions,
    prior_shift,
)
from skdyncausal.causal._module import INFERENCE_PAIRS, pair_probabilities
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import edge_average_precision, edge_calibration_curve
from skdyncausal.plotting import EdgeCalibrationDisplay

TINY = dict(image_size=4, hidden_dim=8, cnn_channels=2, max_epochs=3)


@pytest.fixture(scope="module")
def sem():
    return make_sem(300, 12, n_interventions=4, random_state=4)


def test_calibrator_undoes_class_weights_and_rescales():
    rng = np.random.default_rng(0)
    y = (rng.random(5000) < 0.1).astype(float)
    x = 2.0 * (2 * y - 1) + rng.normal(size=y.size)  # N(+-2, 1) by label
    # the calibrated logit is 4 x + log(1 / 9); a network trained with
    # pos_weight 9 reports odds 9 times higher, here on a scale of 2 x
    raw = 2.0 * x + np.log(9.0)
    cal = EdgeCalibrator("platt").fit(raw, y, pos_weight=9.0)
    p = cal.transform(raw)
    order = np.argsort(p)
    for chunk in np.array_split(order, 10):  # deciles of the calibrated values
        assert abs(p[chunk].mean() - y[chunk].mean()) < 0.05
    assert cal.weight_shift_ == pytest.approx(-np.log(9.0))
    assert abs(cal.coef_[0] - 2.0) < 0.2  # 4 x from 2 x
    # monotone: the ranking is the raw one
    assert (np.diff(p[np.argsort(raw)]) >= 0).all()


def test_beta_calibration_bends_low_and_high_probabilities_apart():
    # edges are rare and the logit is informative only at the top: one slope
    # (Platt) cannot fit both ends, two (beta) can
    rng = np.random.default_rng(1)
    y = (rng.random(20000) < 0.02).astype(float)
    z = np.where(y == 1, rng.normal(3.0, 1.0, y.size), rng.normal(-1.0, 2.0, y.size))
    errors = {}
    for method in ("platt", "beta"):
        cal = EdgeCalibrator(method).fit(z, y)
        p = cal.transform(z)
        assert (cal.coef_ >= 0).all()
        assert (np.diff(p[np.argsort(z)]) >= -1e-12).all()  # monotone
        top = np.argsort(p)[-2000:]  # the 10 % most probable pairs
        errors[method] = max(
            abs(p[c].mean() - y[c].mean()) for c in np.array_split(top, 5)
        )
    assert errors["beta"] < 0.75 * errors["platt"]


def test_auto_calibration_follows_a_plateau_the_beta_map_misses():
    # the edge rate rises, levels off at 0.3 over a wide band of logits and
    # rises again: two slopes overstate the band, isotonic regression follows
    # it, and "auto" trusts it by n1 / (n1 + 100) of 600 labelled edges
    rng = np.random.default_rng(2)
    z = rng.normal(-4.0, 3.0, 60000)
    rate = np.where(z < -2, expit(z + 1), np.where(z < 4, 0.3, expit(z - 3)))
    y = (rng.random(z.size) < rate).astype(float)
    errors, cals = {}, {}
    for method in ("beta", "auto"):
        cals[method] = cal = EdgeCalibrator(method).fit(z, y)
        band = (z > -1) & (z < 3)
        errors[method] = abs(cal.transform(z[band]).mean() - 0.3)
    n1 = y.sum()
    assert cals["auto"].isotonic_weight_ == pytest.approx(n1 / (n1 + 100.0))
    assert cals["beta"].isotonic_ is None and cals["beta"].isotonic_weight_ == 0.0
    assert errors["beta"] > 0.05
    assert errors["auto"] < 0.5 * errors["beta"]
    # strictly increasing, also inside the isotonic steps: the ranking is z's
    grid = np.linspace(-15.0, 15.0, 2001)
    assert (np.diff(cals["auto"].transform(grid)) > 0).all()
    # the beta part is the beta map itself
    np.testing.assert_allclose(cals["auto"].coef_, cals["beta"].coef_)


def test_auto_calibration_with_few_edges_stays_near_the_beta_map():
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.04).astype(float)
    z = np.where(y == 1, rng.normal(2.0, 1.5, y.size), rng.normal(-4.0, 2.0, y.size))
    beta, auto = (EdgeCalibrator(m).fit(z, y) for m in ("beta", "auto"))
    w = auto.isotonic_weight_
    assert w == pytest.approx(y.sum() / (y.sum() + 100.0)) and w < 0.15
    # at most w away from the beta map
    assert np.abs(auto.transform(z) - beta.transform(z)).max() <= w + 1e-12


def test_calibrator_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        EdgeCalibrator("isotonic").fit([1.0, -1.0], [1, 0])


@pytest.mark.parametrize("method", ["auto", "beta", "platt"])
def test_calibrator_with_too_few_labels_only_undoes_class_weights(method):
    with pytest.warns(UserWarning, match="only 2 edges"):
        cal = EdgeCalibrator(method).fit(
            [3.0, 2.0, -1.0, -2.0], [1, 1, 0, 0], pos_weight=4
        )
    np.testing.assert_allclose(cal.transform([np.log(4.0)]), [0.5])
    np.testing.assert_allclose(cal.transform([np.log(4.0) + 2.0]), [expit(2.0)])


def network_logits(est):
    """(p, p, n_networks): each network's logit of every pair, read from the
    module (fold k picks network k in evaluation mode)."""
    p = est.n_features_in_
    src, dst = np.nonzero(~np.eye(p, dtype=bool))
    feats = est.featurizer_.transform(
        est._data_for(None, None), np.column_stack([src, dst])
    )
    out = np.zeros((p, p, est.n_networks))
    for k in range(est.n_networks):
        one = {**feats, "fold": np.full(src.size, k, dtype=np.int64)}
        out[src, dst, k] = pair_probabilities(
            est.net_.module_, one, est.device_, INFERENCE_PAIRS, logits=True
        )
    return out


def test_calibration_maps_each_network_and_averages(sem):
    prior = make_prior(sem.adjacency, fraction=0.4, random_state=0)
    # no cleaning refit: its flags read each calibration's own map, and the
    # two fits must train the same networks
    kw = dict(**TINY, prior_cleaning=None, random_state=0)
    raw = CausalStructureEstimator(calibration=None, **kw).fit(sem.X, prior=prior)
    cal = CausalStructureEstimator(calibration="platt", edge_rate=None, **kw)
    cal.fit(sem.X, prior=prior)
    P_raw, P_cal = raw.predict_proba(), cal.predict_proba()
    c = cal.calibrator_
    assert c.per_network_  # fitted on one network's out-of-fold logit per pair
    Z = network_logits(cal)
    off = ~np.eye(12, dtype=bool)
    # the networks' mean logit is the uncalibrated model's
    np.testing.assert_allclose(
        expit(Z.mean(axis=2))[off], P_raw[off], rtol=1e-5, atol=1e-6
    )
    # each network's logit mapped, then the probabilities averaged
    expected = expit(c.coef_[0] * (Z + c.weight_shift_) + c.intercept_).mean(axis=2)
    np.testing.assert_allclose(P_cal[off], expected[off], atol=2e-5)
    # which is not the map of the mean logit
    of_mean = expit(c.coef_[0] * (Z.mean(axis=2) + c.weight_shift_) + c.intercept_)
    assert np.abs(P_cal - of_mean)[off].max() > 1e-3
    # the estimated share of edges reads the same probabilities
    auto = CausalStructureEstimator(calibration="platt", **kw).fit(sem.X, prior=prior)
    unlabelled = np.isnan(prior) & off
    assert auto.calibrator_.estimated_edge_rate_ == pytest.approx(
        estimate_edge_rate(P_cal[unlabelled], c.base_rate_), rel=1e-6
    )


def test_calibration_of_one_network_keeps_the_ranking(sem):
    prior = make_prior(sem.adjacency, fraction=0.4, random_state=0)
    mask = np.isnan(prior)
    kw = dict(**TINY, n_networks=1, random_state=0)
    raw = CausalStructureEstimator(calibration=None, **kw).fit(sem.X, prior=prior)
    cal = CausalStructureEstimator(calibration="platt", edge_rate=None, **kw)
    cal.fit(sem.X, prior=prior)
    P_raw, P_cal = raw.predict_proba(), cal.predict_proba()
    c = cal.calibrator_
    assert not c.per_network_
    z = logit(np.clip(P_raw, 1e-7, 1 - 1e-7))
    expected = expit(c.coef_[0] * (z + c.weight_shift_) + c.intercept_)
    off = ~np.eye(12, dtype=bool)
    np.testing.assert_allclose(P_cal[off], expected[off], atol=2e-5)
    assert edge_average_precision(sem.adjacency, P_cal, mask=mask) == pytest.approx(
        edge_average_precision(sem.adjacency, P_raw, mask=mask), abs=1e-9
    )
    assert cal.score(sem.X) == pytest.approx(raw.score(sem.X))


def test_default_calibration_blends_beta_and_isotonic_on_the_fit(sem):
    prior = make_prior(sem.adjacency, fraction=0.6, random_state=0)
    kw = dict(**TINY, random_state=0)
    raw = CausalStructureEstimator(calibration=None, **kw).fit(sem.X, prior=prior)
    est = CausalStructureEstimator(edge_rate=None, **kw).fit(sem.X, prior=prior)
    c = est.calibrator_
    assert est.calibration == "auto" and c.method == "auto"
    # every labelled pair calibrates (five networks, out of fold)
    n1 = float(np.nansum(prior))
    assert c.n_pairs_ == int((~np.isnan(prior)).sum())
    assert c.isotonic_weight_ == pytest.approx(n1 / (n1 + 100.0))
    z = network_logits(est) + c.weight_shift_
    beta = expit(
        c.coef_[0] * np.log(expit(z)) - c.coef_[1] * np.log(expit(-z)) + c.intercept_
    )
    w = c.isotonic_weight_
    expected = (1 - w) * beta + w * c.isotonic_.predict(z.ravel()).reshape(z.shape)
    off = ~np.eye(12, dtype=bool)
    np.testing.assert_allclose(
        est.predict_proba()[off], expected.mean(axis=2)[off], atol=1e-4
    )
    # averaging the networks' probabilities reorders few pairs
    mask = np.isnan(prior)
    assert edge_average_precision(
        sem.adjacency, est.predict_proba(), mask=mask
    ) == pytest.approx(
        edge_average_precision(sem.adjacency, raw.predict_proba(), mask=mask),
        abs=0.03,
    )


def test_make_prior_flip_turns_a_share_of_labels_wrong(sem):
    clean = make_prior(sem.adjacency, fraction=0.5, random_state=1)
    wrong = make_prior(sem.adjacency, fraction=0.5, random_state=1, flip=0.5)
    known = ~np.isnan(clean)
    np.testing.assert_array_equal(known, ~np.isnan(wrong))
    ones = int((clean == 1).sum())
    assert int((wrong == 1).sum()) == ones  # as many 1s as before
    assert int(((clean == 1) & (wrong == 0)).sum()) == round(0.5 * ones)
    assert int(((clean == 0) & (wrong == 1)).sum()) == round(0.5 * ones)
    pair = make_prior(sem.adjacency, fraction=0.5, random_state=1, flip=(0.0, 0.1))
    assert ((clean == 1) & (pair == 0)).sum() == 0
    assert ((clean == 0) & (pair == 1)).sum() == round(0.1 * (clean == 0).sum())
    np.testing.assert_array_equal(
        make_prior(sem.adjacency, fraction=0.5, random_state=1, flip=0.0), clean
    )
    with pytest.raises(ValueError, match="flip must be a share in"):
        make_prior(sem.adjacency, fraction=0.5, flip=1.5)


def test_prior_audit_is_cross_fitted_and_finds_wrong_labels(sem):
    wrong = make_prior(sem.adjacency, fraction=0.6, random_state=2, flip=(0.0, 0.05))
    est = CausalStructureEstimator(**TINY, n_networks=1, prior_folds=2, random_state=0)
    est.fit(sem.X, prior=wrong, interventions=sem.interventions)
    known = ~np.isnan(wrong)
    assert np.isfinite(est.prior_scores_[known]).all()
    assert np.isnan(est.prior_scores_[~known]).all()
    conflicts = est.prior_conflicts()
    assert len(conflicts) == known.sum()
    assert conflicts["conflict"].is_monotonic_decreasing
    src, dst = np.nonzero(known)
    expected = label_error_probability(wrong[src, dst], est.prior_scores_[src, dst])
    top = conflicts.iloc[0]
    i, j = int(top["cause"][1:]), int(top["effect"][1:])
    k = np.flatnonzero((src == i) & (dst == j))[0]
    assert top["conflict"] == pytest.approx(expected[k])
    assert top["conflict"] == pytest.approx(expected.max())
    # the wrong labels (absences marked as edges) stand out
    bad = (wrong == 1) & (sem.adjacency == 0)
    score = np.where(wrong == 1, 1 - est.prior_scores_, est.prior_scores_)
    assert score[bad].mean() > score[known & ~bad].mean()
    assert len(est.prior_conflicts(n=3)) == 3
    plain = CausalStructureEstimator(**TINY, n_networks=1, random_state=0)
    plain.fit(sem.X, prior=wrong)
    assert plain.prior_scores_ is None
    with pytest.raises(ValueError, match="prior_folds"):
        plain.prior_conflicts()


def test_label_error_probability_is_bayes_rule_with_estimated_noise_rates():
    # 4 labelled edges, 16 labelled absences
    labels = np.array([1] * 4 + [0] * 16, dtype=float)
    proba = np.array([0.9, 0.8, 0.7, 0.2] + [0.6] + [0.05] * 15)
    out = label_error_probability(labels, proba)
    e1, e0 = 0.1 + 0.2 + 0.3 + 0.8, 0.6 + 15 * 0.05  # expected wrong labels
    edges, absences = 4 - e1 + e0, 16 - e0 + e1
    ratio1 = (e1 / absences) / ((4 - e1) / edges)  # P(l=1|y=0) / P(l=1|y=1)
    ratio0 = (e0 / edges) / ((16 - e0) / absences)  # P(l=0|y=1) / P(l=0|y=0)
    odds = np.r_[
        (1 - proba[:4]) / proba[:4] * ratio1, proba[4:] / (1 - proba[4:]) * ratio0
    ]
    np.testing.assert_allclose(out, odds / (1 + odds))
    # within a label, the order of 1 - p (edges) and p (absences)
    assert np.argmax(out[:4]) == 3 and np.argmax(out[4:]) == 0
    # across labels: the absence at p = 0.6 ranks above the edge at p = 0.2,
    # which 1 - p against p would put first (0.8 > 0.6)
    assert out[4] > out[3]
    assert ((out >= 0) & (out <= 1)).all()
    # a label no probability contradicts is not suspected
    clean = label_error_probability(np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    assert clean.max() < 1e-5


def test_contradicted_labels_use_the_average_score_of_the_other_label():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    proba = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.2, 0.05, 0.15, 0.6, 0.9])
    # edges average 0.625, absences 0.333: the edge at 0.1 and the absences
    # at 0.9 (not the one at 0.6) contradict their labels
    flag = contradicted_labels(labels, proba)
    np.testing.assert_array_equal(np.flatnonzero(flag), [3, 9])
    # at most half of a label, the most contradicted first
    labels = np.array([1, 1, 1, 1, 0, 0])
    proba = np.array([0.05, 0.1, 0.2, 0.9, 0.3, 0.25])
    np.testing.assert_array_equal(
        np.flatnonzero(contradicted_labels(labels, proba)), [0, 1]
    )
    # one label only: nothing to compare with
    assert not contradicted_labels(np.ones(4), np.zeros(4)).any()


def test_prior_cleaning_leaves_out_wrong_labels_and_refits(sem, capsys):
    wrong = make_prior(sem.adjacency, fraction=0.6, random_state=2, flip=0.2)
    known = ~np.isnan(wrong)
    bad = known & (wrong != sem.adjacency)
    params = dict(**TINY, n_networks=3, random_state=0)
    est = CausalStructureEstimator(**params, verbose=1)
    est.fit(sem.X, prior=wrong, interventions=sem.interventions)
    dropped = est.prior_dropped_
    assert dropped.ndim == 2 and dropped.shape[1] == 2 and len(dropped)
    src, dst = dropped[:, 0], dropped[:, 1]
    # verbose says how many of each label were left out, in good English
    n_edges = int(wrong[src, dst].sum())
    n_absent = len(dropped) - n_edges
    edges = f"{n_edges} edge{'' if n_edges == 1 else 's'}"
    absent = f"{n_absent} absence{'' if n_absent == 1 else 's'}"
    out = capsys.readouterr().out
    assert f"contradict {len(dropped)} of " in out
    assert f"({edges}, {absent}); refitting" in out
    assert known[src, dst].all()
    # the wrong labels are over-represented among the pairs left out
    assert bad[src, dst].mean() > 2 * bad[known].mean()
    # the final fit trained on none of them
    trained = set(map(tuple, est.train_pairs_[:, :2].astype(int).tolist()))
    assert not trained & set(zip(src.tolist(), dst.tolist()))
    # every labelled pair keeps a cross-fitted score; the audit marks the
    # pairs left out
    assert np.isfinite(est.prior_scores_[known]).all()
    conflicts = est.prior_conflicts()
    marked = conflicts[conflicts["dropped"]]
    assert len(marked) == len(dropped)
    names = est.variable_names_
    expected = {(names[i], names[j]) for i, j in dropped.tolist()}
    assert set(zip(marked["cause"], marked["effect"])) == expected
    # without cleaning, or with one network, nothing is left out
    for other in (dict(prior_cleaning=None), dict(n_networks=1)):
        plain = CausalStructureEstimator(**{**params, **other})
        plain.fit(sem.X, prior=wrong, interventions=sem.interventions)
        assert plain.prior_dropped_.shape == (0, 2)
    with pytest.raises(ValueError, match="prior_cleaning must be one of"):
        CausalStructureEstimator(prior_cleaning="drop").fit(sem.X, prior=wrong)


def test_edge_calibration_display_is_sklearns(sem):
    rng = np.random.default_rng(0)
    proba = rng.uniform(size=(20, 20))
    truth = (rng.uniform(size=(20, 20)) < proba).astype(int)
    mask = rng.uniform(size=(20, 20)) < 0.5
    disp = EdgeCalibrationDisplay.from_predictions(truth, proba, mask=mask, n_bins=4)
    assert isinstance(disp.display_, CalibrationDisplay)
    sel = mask & ~np.eye(20, dtype=bool)
    assert f"over {int(sel.sum())} pairs" in disp.ax_.get_title()
    rate, mean = calibration_curve(
        truth[sel], proba[sel], n_bins=4, strategy="quantile"
    )
    np.testing.assert_allclose(disp.display_.prob_pred, mean)
    np.testing.assert_allclose(disp.display_.prob_true, rate)
    # the package's own curve bins the same pairs into quarters
    mine, _, count = edge_calibration_curve(truth, proba, mask=mask, n_bins=4)
    assert count.sum() == sel.sum() and len(mine) == 4


def test_exclusive_directions_scales_incoherent_pairs_only():
    rng = np.random.default_rng(0)
    P = rng.random((9, 9))
    np.fill_diagonal(P, 0.0)
    total = P + P.T
    expected = np.where(total > 1.0, P / np.maximum(total, 1.0), P)
    for block in (1, 4, 1024):  # the blocks of rows must not matter
        Q = exclusive_directions(P.copy(), block=block)
        np.testing.assert_allclose(Q, expected, rtol=0, atol=1e-15)
    assert (Q + Q.T <= 1.0 + 1e-12).all()
    untouched = total <= 1.0
    assert untouched.sum() > 10 and (~untouched).sum() > 10
    np.testing.assert_array_equal(Q[untouched], P[untouched])
    # the order of the two directions is kept
    np.testing.assert_array_equal(Q > Q.T, P > P.T)
    # float32 in place
    P32 = P.astype(np.float32)
    assert exclusive_directions(P32) is P32
    np.testing.assert_allclose(P32, expected, atol=1e-6)


def test_exclusive_directions_in_predict_proba_and_the_sparse_output(sem):
    prior = make_prior(sem.adjacency, fraction=0.4, random_state=0)
    # raw probabilities overstate edges: many pairs sum to more than 1
    est = CausalStructureEstimator(calibration=None, **TINY, random_state=0)
    est.fit(sem.X, prior=prior)
    P = est.predict_proba()
    assert ((P + P.T) > 1).sum() >= 10
    est.set_params(exclusive_directions=True)  # no refit needed
    Q = est.predict_proba()
    np.testing.assert_allclose(Q, exclusive_directions(P.copy()), atol=1e-12)
    assert (Q + Q.T <= 1 + 1e-9).all()
    out = est.predict_proba(out=np.empty((12, 12), dtype=np.float32))
    np.testing.assert_allclose(out, Q, atol=1e-6)
    np.testing.assert_allclose(est.predict_proba(sem.X), Q, atol=1e-6)
    # sparse: the kept pairs carry the corrected probabilities; with a
    # threshold alone, exactly the pairs the corrected matrix has above it
    S = est.predict_proba_sparse(threshold=0.3).toarray()
    off = ~np.eye(12, dtype=bool)
    np.testing.assert_array_equal(S > 0, (Q >= 0.3) & off)
    np.testing.assert_allclose(S[S > 0], Q[S > 0], atol=1e-6)
    T = est.predict_proba_sparse(top_k=2).toarray()
    np.testing.assert_allclose(T[T > 0], Q[T > 0], atol=1e-6)
    # the cache of the uncorrected matrix is untouched
    np.testing.assert_array_equal(
        est.set_params(exclusive_directions=False).predict_proba(), P
    )
    est.set_params(exclusive_directions="yes")
    with pytest.raises(ValueError, match="exclusive_directions must be True or"):
        est.predict_proba()


def _mixture(rate, base_rate, n, rng):
    """Labels at ``rate`` and their exact posteriors for ``base_rate``: scores
    N(+-1.5, 1) by label, so the log likelihood ratio is 3 x."""
    y = (rng.random(n) < rate).astype(float)
    x = 1.5 * (2 * y - 1) + rng.normal(size=n)
    return y, expit(3.0 * x + np.log(base_rate / (1 - base_rate)))


def test_prior_shift_multiplies_every_odds_by_the_ratio_of_base_rates():
    p = np.array([0.001, 0.2, 0.5, 0.9, 0.999])
    q = prior_shift(p, 0.05, 0.2)
    odds = q / (1 - q) / (p / (1 - p))
    np.testing.assert_allclose(odds, (0.05 / 0.95) / (0.2 / 0.8), rtol=1e-12)
    np.testing.assert_allclose(prior_shift(p, 0.2, 0.2), p, rtol=1e-12)
    # exact posteriors for one base rate become the exact ones for another
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    exact = lambda r: expit(3.0 * x + np.log(r / (1 - r)))  # noqa: E731
    np.testing.assert_allclose(prior_shift(exact(0.3), 0.02, 0.3), exact(0.02))


@pytest.mark.parametrize("rate", [0.02, 0.1, 0.3, 0.6])
def test_estimate_edge_rate_finds_the_share_of_edges_among_new_pairs(rate):
    rng = np.random.default_rng(1)
    y, p = _mixture(rate, 0.3, 20_000, rng)  # calibrated for 0.3, drawn at rate
    assert estimate_edge_rate(p, 0.3) == pytest.approx(y.mean(), abs=0.01)
    # the shifted probabilities are calibrated: they sum to the edges
    q = prior_shift(p, estimate_edge_rate(p, 0.3), 0.3)
    assert q.sum() == pytest.approx(y.sum(), rel=0.06)
    assert abs(p.sum() - y.sum()) > 0.1 * y.sum() or rate == 0.3


def test_edge_rate_statistic_is_chi_square_without_a_shift_and_large_with_one():
    rng = np.random.default_rng(3)

    def statistic(rate):
        _, p = _mixture(rate, 0.1, 2000, rng)  # calibrated for 0.1
        return edge_rate_statistic(p, estimate_edge_rate(p, 0.1), 0.1)

    null = np.array([statistic(0.1) for _ in range(300)])
    assert null.min() >= 0.0
    # drawn like the labelled pairs: above the 5 % threshold about 5 % of the time
    assert 0.02 <= (null >= SHIFT_CHI2).mean() <= 0.09
    assert np.median(null) == pytest.approx(0.455, abs=0.15)  # chi2(1) median
    # a third of the labelled share among 2,000 pairs: beyond any doubt
    assert min(statistic(0.033) for _ in range(20)) > 5 * SHIFT_CHI2
    assert edge_rate_statistic(np.empty(0), 0.05, 0.1) == 0.0
    assert edge_rate_statistic(np.full(10, 0.3), 0.1, 0.1) == 0.0


def test_edge_rate_statistic_counts_the_labelled_shares_own_noise():
    # 300 labelled pairs drawn at 0.1: their share is off by ~0.017, and a
    # calibration fitted on them learns it; 5,000 unlabelled pairs drawn at 0.1
    rng = np.random.default_rng(4)
    tested = {None: [], 300: []}
    for _ in range(200):
        base = float((rng.random(300) < 0.1).mean())
        _, exact = _mixture(0.1, 0.1, 5000, rng)
        p = prior_shift(exact, base, 0.1)  # calibrated for the labelled share
        rate = estimate_edge_rate(p, base)
        for n in tested:
            tested[n].append(edge_rate_statistic(p, rate, base, n) >= SHIFT_CHI2)
    # ignoring it, the test sees a shift in far more than 5 % of the cases
    assert np.mean(tested[None]) > 0.3
    assert 0.01 <= np.mean(tested[300]) <= 0.1


def test_estimate_edge_rate_stays_small_when_nothing_looks_like_an_edge():
    p = np.full(500, 1e-4)
    rate = estimate_edge_rate(p, 0.2)
    assert 0 < rate < 2.0 / 500  # half a pseudo-edge, not 0
    assert estimate_edge_rate(np.empty(0), 0.2) == 0.2
    assert estimate_edge_rate(p, 0.0) == 0.0  # no edge labelled: no shift


def test_calibrator_set_edge_rate_shifts_transform_but_not_unshifted_scores():
    rng = np.random.default_rng(2)
    y, p = _mixture(0.25, 0.25, 4000, rng)
    z = np.log(p / (1 - p))
    cal = EdgeCalibrator("platt").fit(z, y)
    assert cal.base_rate_ == pytest.approx(y.mean())
    assert cal.edge_rate_ == cal.base_rate_
    before = cal.transform(z)
    cal.set_edge_rate(0.05)
    assert cal.edge_rate_ == 0.05
    np.testing.assert_allclose(cal.transform(z, shift=False), before)
    np.testing.assert_allclose(
        cal.transform(z), prior_shift(before, 0.05, cal.base_rate_), rtol=1e-12
    )
    # an older pickle (no rates) transforms as before
    del cal.edge_rate_
    np.testing.assert_allclose(cal.transform(z), before)


def test_edge_rate_corrects_a_prior_that_lists_edges_too_often():
    sem = make_sem(400, 20, n_interventions=6, random_state=7)
    truth = sem.adjacency
    # a database-like prior: a third of its pairs are edges, ~10 x their rate
    prior = make_prior(truth, fraction=0.15, balance=0.33, random_state=7)
    kw = dict(image_size=8, hidden_dim=16, max_epochs=15, random_state=0)
    fits = {
        r: CausalStructureEstimator(edge_rate=r, **kw).fit(sem.X, prior=prior)
        for r in ("auto", None, 0.01)
    }
    un = np.isnan(prior) & ~np.eye(20, dtype=bool)
    edges = truth[un].sum()
    auto, none, fixed = fits["auto"], fits[None], fits[0.01]
    assert none.edge_rate_ == pytest.approx(none.calibrator_.base_rate_)
    assert none.calibrator_.base_rate_ > 0.2
    assert fixed.edge_rate_ == 0.01
    # the estimated share is near the true one, far below the prior's, and
    # far beyond sampling noise, so it is used
    assert abs(auto.edge_rate_ - truth[un].mean()) < 0.03
    assert auto.calibrator_.estimated_edge_rate_ == auto.edge_rate_
    assert auto.calibrator_.edge_rate_statistic_ > SHIFT_CHI2
    assert none.calibrator_.edge_rate_statistic_ is None
    sums = {r: est.predict_proba()[un].sum() for r, est in fits.items()}
    assert sums[None] > 2.0 * edges  # the prior's share: far too many
    assert abs(sums["auto"] - edges) < abs(sums[None] - edges) / 3
    # same fit, same ranking; labelled pairs keep their scores
    for est in (auto, fixed):
        np.testing.assert_array_equal(est.prior_scores_, none.prior_scores_)
        assert edge_average_precision(
            truth, est.predict_proba(), mask=un
        ) == pytest.approx(edge_average_precision(truth, none.predict_proba(), mask=un))


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.1, "estimate", True])
def test_edge_rate_rejects_values_outside_the_open_unit_interval(sem, rate):
    prior = make_prior(sem.adjacency, fraction=0.4, random_state=0)
    est = CausalStructureEstimator(edge_rate=rate, **TINY)
    with pytest.raises(ValueError, match=r"edge_rate must be 'auto', None or"):
        est.fit(sem.X, prior=prior)
    assert not hasattr(est, "net_")


def test_edge_rate_needs_a_fitted_map():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(3), np.zeros(40)]  # 3 edges: no map, class weights only
    with pytest.warns(UserWarning, match="only 3 edges"):
        cal = EdgeCalibrator().fit(rng.normal(size=y.size), y, pos_weight=4.0)
    assert not cal.fitted_map_
    z = rng.normal(size=10)
    before = cal.transform(z)
    cal.set_edge_rate(0.01)
    assert cal.edge_rate_ == cal.base_rate_
    np.testing.assert_array_equal(cal.transform(z), before)
