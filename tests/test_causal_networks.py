"""Cross-fitted networks of CausalStructureEstimator (``n_networks``)."""

import numpy as np
import pytest
import torch

from skdyncausal.causal import CausalPairModule, CausalStructureEstimator
from skdyncausal.causal._data import pair_folds, split_pairs
from skdyncausal.causal._module import WeightedBCEWithLogitsLoss, pair_probabilities
from skdyncausal.datasets import make_prior, make_sem

FAST = dict(image_size=8, hidden_dim=8, cnn_channels=2, max_epochs=4, random_state=0)


def _module(n_networks):
    torch.manual_seed(0)
    module = CausalPairModule(
        architecture="no_image",
        n_scalars=3,
        n_graph_scalars=1,
        n_node_features=2,
        hidden_dim=4,
        n_networks=n_networks,
    )
    # heads start at zero: give every network weights of its own
    with torch.no_grad():
        for tower in module.towers:
            for head in (tower.symmetric, tower.antisymmetric):
                head.linear.weight.normal_()
    module.set_graph(torch.randn(4, 2), torch.tensor([[0, 1, 2], [1, 2, 3]]))
    return module


def _batch(n=6):
    g = torch.Generator().manual_seed(1)
    return dict(
        src=torch.tensor([0, 1, 2, 3, 0, 2])[:n],
        dst=torch.tensor([1, 2, 3, 0, 3, 1])[:n],
        scalars=torch.randn(n, 3, generator=g),
        scalars_rev=torch.randn(n, 3, generator=g),
        graph_scalars=torch.randn(n, 1, generator=g),
    )


def test_pair_folds_keep_both_orders_together_and_stratify():
    rng = np.random.default_rng(0)
    p = 12
    A = (rng.random((p, p)) < 0.2).astype(float)
    np.fill_diagonal(A, np.nan)
    src, dst = np.nonzero(~np.isnan(A))
    pairs = np.column_stack([src, dst, A[src, dst]])
    fold = pair_folds(pairs, 3, rng)
    where = {(i, j): f for (i, j, _), f in zip(pairs.astype(int), fold)}
    assert all(where[(i, j)] == where[(j, i)] for (i, j) in where)
    edge_pairs = {(min(i, j), max(i, j)) for i, j, y in pairs.astype(int) if y}
    per_fold = np.bincount([where[e] for e in edge_pairs], minlength=3)
    assert per_fold.max() - per_fold.min() <= 1


def test_split_holds_out_each_fold_with_its_reverses():
    data = make_sem(200, 10, random_state=0)
    A = make_prior(data.adjacency, fraction=0.5, random_state=0)

    def split(n_networks):
        return split_pairs(
            A,
            np.random.default_rng(0),
            validation_fraction=0.2,
            infer_reverse=True,
            max_train_pairs=10_000,
            n_networks=n_networks,
        )

    tr, va = split(4)
    labelled = int((~np.isnan(A)).sum())
    reverses = tr[np.isnan(A[tr[:, 0].astype(int), tr[:, 1].astype(int)])]
    assert len(tr) == labelled + len(reverses) and len(reverses) > 0
    assert (reverses[:, 2] == 0).all() and set(tr[:, 3]) == {0, 1, 2, 3}
    fold_of = {(int(i), int(j)): f for i, j, _, f in tr}
    assert all(fold_of[(int(j), int(i))] == f for i, j, _, f in reverses)
    assert np.array_equal(va, tr)  # every training pair is out of fold once
    one, held = split(1)
    assert set(one[:, 3]) == {-1} and set(held[:, 3]) == {0}
    assert abs(len(held) - 0.2 * labelled) <= 2


def test_module_outputs_per_network_out_of_fold_and_mean():
    module = _module(3)
    batch = _batch()
    offset = torch.randn(6, 3)
    module.train(False)
    each = torch.stack(
        [module(**batch, offset=offset, fold=torch.full((6,), k)) for k in range(3)], 1
    )
    mean = module(**batch, offset=offset)
    assert torch.allclose(mean, each.mean(1), atol=1e-6)
    assert each.std(1).min() > 1e-3  # the networks differ
    fold = torch.tensor([0, 1, 2, -1, 2, 0])
    mixed = module(**batch, offset=offset, fold=fold)
    expected = torch.where(fold >= 0, each[torch.arange(6), fold.clamp(min=0)], mean)
    assert torch.allclose(mixed, expected, atol=1e-6)
    module.train(True)
    torch.manual_seed(0)
    assert module(**batch, offset=offset, fold=fold).shape == (6, 3)


def test_a_network_never_learns_from_its_own_fold():
    module = _module(3)
    module.train(True)
    batch = _batch()
    fold = torch.full((6,), 1)
    logits = module(**batch, fold=fold)
    target = torch.column_stack([torch.tensor([1.0, 0, 1, 0, 0, 1]), fold.float()])
    WeightedBCEWithLogitsLoss(2.0)(logits, target).backward()
    grads = [
        sum(float(p.grad.abs().sum()) for p in t.parameters() if p.grad is not None)
        for t in module.towers
    ]
    assert grads[1] == 0.0 and grads[0] > 0 and grads[2] > 0
    # plain targets and (B,) logits: the usual weighted cross-entropy
    z, y = torch.tensor([0.5, -1.0]), torch.tensor([1.0, 0.0])
    expected = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0))(z, y)
    assert torch.isclose(WeightedBCEWithLogitsLoss(2.0)(z, y), expected)


@pytest.fixture(scope="module")
def sem():
    return make_sem(150, 10, n_interventions=3, intervention_samples=8, random_state=2)


def test_out_of_fold_scores_of_every_labelled_pair(sem):
    A = make_prior(sem.adjacency, fraction=0.4, random_state=2)
    est = CausalStructureEstimator(**FAST, n_networks=3)
    est.fit(sem.X, prior=A, interventions=sem.interventions)
    known = ~np.isnan(A)
    assert np.isfinite(est.prior_scores_[known]).all()
    assert np.isnan(est.prior_scores_[~known]).all()
    assert len(est.featurizer_.fold_baselines_) == 3
    assert est.calibrator_.n_pairs_ == int(known.sum())
    # the audit's probability of a pair is its out-of-fold network's, calibrated
    tr = est.train_pairs_
    row = tr[~np.isnan(A[tr[:, 0].astype(int), tr[:, 1].astype(int)])][0]
    i, j, fold = int(row[0]), int(row[1]), int(row[3])
    data = est._cache["data"]
    feats = est.featurizer_.transform(data, np.array([[i, j]]))
    module = est.net_.module_
    batch = {k: torch.as_tensor(v) for k, v in feats.items() if v is not None}
    with torch.no_grad():
        z = module(**batch, fold=torch.tensor([fold])).double().numpy()
    # (for the labelled pairs' share of edges: no prior shift)
    cal = est.calibrator_
    assert np.isclose(cal.transform(z, shift=False)[0], est.prior_scores_[i, j])
    assert len(est.prior_conflicts()) == int(known.sum())
    # predict_proba maps each network's logit (the map was fitted on one
    # network's logits) and averages the probabilities
    with torch.no_grad():
        each = [
            module(**batch, fold=torch.tensor([k])).double().numpy() for k in range(3)
        ]
        mean = module(**batch).double().numpy()
    np.testing.assert_allclose(np.mean(each, axis=0), mean, rtol=1e-5)
    assert cal.per_network_
    expected = np.mean([cal.transform(z) for z in each])
    assert np.isclose(expected, est.predict_proba()[i, j])
    one = CausalStructureEstimator(**FAST, n_networks=1)
    one.fit(sem.X, prior=A, interventions=sem.interventions)
    assert one.prior_scores_ is None and len(one.net_.module_.towers) == 1


def test_n_networks_is_validated(sem):
    est = CausalStructureEstimator(n_networks=0)
    with pytest.raises(ValueError, match="n_networks"):
        est.fit(sem.X, prior=make_prior(sem.adjacency, 0.3, random_state=0))


class _FixedLogits(torch.nn.Module):
    """Returns the float32 logits it is given as ``src``."""

    def forward(self, src):
        return src.float()


def test_probabilities_of_large_logits_do_not_tie():
    logits = np.array([18.0, 22.0, 30.0, -3.0], dtype=np.float32)
    p = pair_probabilities(_FixedLogits(), {"src": logits}, "cpu", 2)
    # float64 link: all below 1 and in the order of the logits (a float32
    # sigmoid gives exactly 1.0 for the first three)
    assert (p[:3] < 1.0).all()
    assert (np.diff(p[:3]) > 0).all()
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-logits.astype(np.float64))))
    z = pair_probabilities(_FixedLogits(), {"src": logits}, "cpu", 3, logits=True)
    np.testing.assert_array_equal(z, logits)
