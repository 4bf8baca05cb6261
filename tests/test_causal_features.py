"""Pair features: histograms, blocks, parallelism, partial correlations, shifts."""

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf

from skdyncausal.causal import _features as F
from skdyncausal.datasets import make_sem


@pytest.fixture(scope="module")
def sem():
    return make_sem(200, 9, n_interventions=4, intervention_samples=10, random_state=3)


def concat(features):
    return {
        k: np.concatenate([f[k] for f in features]) for k in ("scalars", "images")
    } | {"graph_scalars": np.concatenate([f["graph_scalars"] for f in features])}


def test_one_hot_histogram_equals_histogram2d(rng):
    size = 5
    U = rng.uniform(size=(60, 4))
    bins = F._bins(U, size)
    hist = F.pair_histograms(F.one_hot_bins(bins, size), np.array([1, 3]), size)
    edges = np.linspace(0, 1, size + 1)
    for k, i in enumerate((1, 3)):
        for j in range(4):
            expected, _, _ = np.histogram2d(U[:, i], U[:, j], bins=[edges, edges])
            np.testing.assert_array_equal(hist[k, j], expected)


def test_images_are_densities_and_transpose_with_the_pair(sem):
    data = F.prepare_pair_data(sem.X, sem.interventions, image_size=8)
    src, dst = F.all_pairs(np.arange(9), 9)
    images = F.pair_features(data, src, dst)["images"]
    assert images.shape == (72, F.N_CHANNELS, 8, 8)
    # Smoothing preserves mass; densities average 1 over the grid.
    np.testing.assert_allclose(images.mean(axis=(2, 3)), 1.0, rtol=1e-5)
    k_ij = np.flatnonzero((src == 2) & (dst == 5))[0]
    k_ji = np.flatnonzero((src == 5) & (dst == 2))[0]
    np.testing.assert_allclose(images[k_ji], images[k_ij].transpose(0, 2, 1), rtol=1e-5)


@pytest.mark.parametrize("dense", [False, True])
def test_smoothed_images_equal_smoothing_the_histogram(sem, dense):
    size, bandwidth = 8, 1.5
    p = sem.X.shape[1]
    data = F.prepare_pair_data(
        sem.X, sem.interventions, image_size=size, bandwidth=bandwidth
    )
    # one pair per block is counted; a whole block goes through the product
    src, dst = F.all_pairs(np.array([2]), p) if dense else ([2], [5])
    src, dst = np.asarray(src), np.asarray(dst)
    images = F.pair_features(data, src, dst)["images"]
    k = np.flatnonzero(dst == 5)[0]
    hist = F.pair_histograms(
        F.one_hot_bins(F._bins(F.rank_uniform(sem.X), size), size), np.array([2]), size
    )[0, 5]
    K = F.smoothing_matrix(size, bandwidth)
    expected = K @ hist @ K.T * size * size / len(sem.X)
    np.testing.assert_allclose(images[k, 0], expected, rtol=1e-4, atol=1e-6)
    # no float32 subnormals in the kernel (they slow the products down)
    K = F.smoothing_matrix(16, 1.0)
    assert not ((K > 0) & (K < np.finfo(np.float32).tiny)).any()


def test_reverse_scalars_equal_features_of_reversed_pairs(sem):
    data = F.prepare_pair_data(sem.X, sem.interventions, images=False)
    src, dst = F.all_pairs(np.arange(9), 9)
    forward = F.pair_features(data, src, dst)["scalars"]
    backward = F.pair_features(data, dst, src)["scalars"]
    np.testing.assert_allclose(F.reverse_scalars(forward), backward, atol=1e-5)


def test_blocks_equal_full_computation_and_parallel_equals_serial(sem):
    data = F.prepare_pair_data(sem.X, sem.interventions, image_size=6)
    full = F.pair_features(data, *F.all_pairs(np.arange(9), 9))
    blocks = [F.all_pairs(b, 9) for b in F.source_blocks(9, 4)]
    serial = [f for _, _, f in F.iter_pair_features(data, blocks)]
    parallel = [f for _, _, f in F.iter_pair_features(data, blocks, n_jobs=2)]
    for key in ("images", "scalars", "graph_scalars"):
        np.testing.assert_allclose(concat(serial)[key], full[key], atol=1e-5)
        np.testing.assert_array_equal(concat(parallel)[key], concat(serial)[key])


def test_partial_correlations_match_sklearn_ledoit_wolf(sem):
    Z = (sem.X - sem.X.mean(0)) / sem.X.std(0)
    precision = LedoitWolf().fit(Z).precision_
    d = np.sqrt(np.diag(precision))
    expected = -precision / np.outer(d, d)
    np.fill_diagonal(expected, 0.0)
    pcorr, _ = F.partial_correlations(Z)
    np.testing.assert_allclose(pcorr, expected, atol=1e-8)
    data = F.prepare_pair_data(sem.X, images=False)
    src, dst = F.all_pairs(np.arange(9), 9)
    feats = F.pair_features(data, src, dst)["scalars"]
    column = F.SCALAR_NAMES.index("abs_pcorr")
    np.testing.assert_allclose(feats[:, column], np.abs(expected[src, dst]), atol=1e-5)


def test_shift_scores_detect_chain_knockout():
    chain = np.array([[0, 1], [0, 0]])
    data = make_sem(
        300,
        adjacency=chain,
        snr=4.0,
        n_interventions=2,
        intervention_samples=20,
        random_state=0,
    )
    shift, t_stat, knocked = F.shift_scores(data.X, data.interventions)
    assert knocked.tolist() == [True, True]
    assert shift[0, 1] > 1.5  # knocking out the cause moves the effect
    assert shift[1, 0] < 0.5  # knocking out the effect leaves the cause alone
    assert t_stat[0, 1] > t_stat[1, 0]


def test_knockout_rows_index_like_the_dense_shift_matrix():
    data = make_sem(200, 6, n_interventions=2, random_state=3)
    shift, t_stat, knocked = F.shift_scores(data.X, data.interventions)
    rows, t_rows = F._knockout_shifts(data.X, data.interventions)
    assert knocked.sum() == 2 and (shift[~knocked] == 0).all()
    np.testing.assert_array_equal(rows.knocked, knocked)
    src, dst = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    np.testing.assert_array_equal(rows[src.ravel(), dst.ravel()], shift.ravel())
    np.testing.assert_array_equal(t_rows[np.arange(6)], t_stat)
    np.testing.assert_array_equal(rows[knocked], shift[knocked])
    np.testing.assert_allclose(rows.row_sums(), shift.sum(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(rows.row_max(), shift.max(axis=1))
    empty, _ = F._knockout_shifts(data.X, None)
    assert empty.toarray().shape == (6, 6) and not empty.toarray().any()


def test_features_read_no_labels(sem):
    """Two priors with different labels give identical pair features."""
    from skdyncausal.causal import CausalStructureEstimator

    p = 9
    A1 = np.full((p, p), np.nan)
    A1[0, 1], A1[1, 2], A1[3, 4], A1[5, 6] = 1, 0, 0, 1
    A2 = 1.0 - A1
    pairs = np.array([[0, 1, 0], [2, 3, 0], [7, 8, 0]], dtype=float)
    feats = []
    for A in (A1, A2):
        est = CausalStructureEstimator(max_epochs=1, random_state=0)
        est.fit(sem.X, prior=A, interventions=sem.interventions)
        data = est.featurizer_.prepare(sem.X, sem.interventions)
        src, dst = pairs[:, 0].astype(int), pairs[:, 1].astype(int)
        feats.append(F.pair_features(data, src, dst))
    for key in ("scalars", "graph_scalars", "images"):
        np.testing.assert_array_equal(feats[0][key], feats[1][key])


def test_variable_graph_is_symmetric_top_k(rng):
    W = rng.uniform(size=(6, 6))
    G = F.variable_graph(W, 2).toarray()
    assert (G == G.T).all() and not G.diagonal().any()
    assert (G.sum(axis=1) >= 2).all()


def test_counted_and_product_images_agree(sem):
    """Both ways of computing images (pair by pair, or a block's product)
    give the same images for every channel, whatever the pair order."""
    data = F.prepare_pair_data(sem.X, sem.interventions)
    p = sem.X.shape[1]
    rng = np.random.default_rng(0)
    u = np.array([1, 4, 6])
    src, dst = F.all_pairs(u, p)
    order = rng.permutation(src.size)
    src, dst = src[order], dst[order]
    inv = np.searchsorted(u, src)
    K = data.image_kernel
    for bins in data.image_bins:
        counted = F._counted_images(bins, src, dst, K)
        product = F._product_images(bins, u, inv, dst, K)
        np.testing.assert_allclose(counted, product, rtol=1e-5, atol=1e-6)
        # the counts are those of numpy's 2-D histogram
        i, j = src[0], dst[0]
        H, _, _ = np.histogram2d(bins[i], bins[j], bins=np.arange(17) - 0.5)
        np.testing.assert_allclose(counted[0], K @ H @ K.T, rtol=1e-5, atol=1e-6)


def test_image_rows_caps_the_rows_behind_each_image(sem):
    n, p = sem.X.shape
    n_obs = int((sem.interventions < 0).sum())
    full = F.prepare_pair_data(sem.X, sem.interventions)
    assert [b.shape for b in full.image_bins] == [(p, n), (p, n_obs)]
    capped = F.prepare_pair_data(sem.X, sem.interventions, image_rows=40)
    assert [b.shape for b in capped.image_bins] == [(p, 40), (p, 40)]
    src, dst = F.all_pairs(np.array([0]), p)
    images = F.pair_features(capped, src, dst)["images"]
    np.testing.assert_allclose(images.mean(axis=(2, 3)), 1.0, rtol=1e-5)
    # a subset of the rows: the bins of the ranks among all rows, at those rows
    rows = np.sort(np.random.default_rng(0).choice(n, 40, replace=False))
    np.testing.assert_array_equal(capped.image_bins[0], full.image_bins[0][:, rows])
    # the same subset on every call
    again = F.prepare_pair_data(sem.X, sem.interventions, image_rows=40)
    for a, b in zip(capped.image_bins, again.image_bins):
        np.testing.assert_array_equal(a, b)
    # a cap above the rows changes nothing
    loose = F.prepare_pair_data(sem.X, sem.interventions, image_rows=10 * n)
    for a, b in zip(full.image_bins, loose.image_bins):
        np.testing.assert_array_equal(a, b)
