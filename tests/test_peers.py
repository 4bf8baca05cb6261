"""The peers and the method registry of the benchmarks (benchmarks/peers.py).

Mostly the DirectLiNGAM adapter with priors that lingam rejects.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("causallearn")

# benchmarks/ is a package in the repository root, which pytest puts on sys.path
# for the root conftest.py.
from benchmarks import peers

ROOT = Path(__file__).resolve().parents[1]

# Three variables without any path between them, labelled "no path" in a ring:
# lingam reads 0 -/-> 1 as "1 before 0", 1 -/-> 2 as "2 before 1" and
# 2 -/-> 0 as "0 before 2", a cycle of order constraints.
RING = np.full((3, 3), np.nan)
RING[0, 1] = RING[1, 2] = RING[2, 0] = 0.0
# The same ring among four variables.
RING4 = np.pad(RING, ((0, 1), (0, 1)), constant_values=np.nan)


def _data(p=3, n=200):
    rng = np.random.default_rng(0)
    return rng.laplace(size=(n, p))


def test_unreduced_ring_fails_in_lingam():
    # The failure the adapter guards against, with the unreduced matrix.
    from causallearn.search.FCMBased.lingam import DirectLiNGAM

    pk = -np.ones((3, 3))
    pk[RING.T == 0] = 0.0
    with pytest.raises(ValueError, match="empty sequence"):
        DirectLiNGAM(prior_knowledge=pk).fit(_data())


def test_ring_is_dropped_and_lingam_runs():
    note = peers.prior_adjustment("DirectLiNGAM", RING, "ancestral")
    assert note.startswith("prior dropped")
    assert "3 'no path' of 3 order constraints" in note
    scores = peers.direct_lingam(_data(), RING, labels="ancestral")
    assert scores.shape == (3, 3) and np.all(np.diag(scores) == 0)
    # Direct 0s are not passed to lingam: nothing to drop.
    assert peers.prior_adjustment("DirectLiNGAM", RING, "direct") == ""


def test_only_constraints_on_cycles_are_dropped():
    prior = np.full((5, 5), np.nan)
    prior[:3, :3] = RING
    prior[3, 4] = 1.0  # path 3 -> 4, off the ring: kept
    prior[4, 0] = 0.0  # "0 before 4", off the ring: kept
    pk, note = peers._lingam_prior(prior, "ancestral")
    assert note == "3 'no path' of 5 order constraints dropped (on cycles)"
    assert pk[4, 3] == 1.0 and pk[0, 4] == 0.0
    before, _, _ = peers._lingam_orders(pk)
    assert not peers._on_cycles(before).any()
    scores = peers.direct_lingam(_data(5), prior, labels="ancestral")
    assert scores.shape == (5, 5)


def test_cyclic_paths_are_dropped_too():
    # A prior with errors: paths 0 => 1 => 2 => 0.
    prior = np.full((3, 3), np.nan)
    prior[0, 1] = prior[1, 2] = prior[2, 0] = 1.0
    pk, note = peers._lingam_prior(prior, "direct")
    assert pk is None
    assert note.startswith("3 'path' of 3")
    peers.direct_lingam(_data(), prior, labels="direct")


def test_random_ancestral_priors_always_run():
    from skdyncausal.datasets import make_prior, make_sem

    data = make_sem(150, 8, noise="laplace", random_state=1)
    for seed in range(3):
        prior = make_prior(data.ancestral, fraction=0.5, random_state=seed)
        pk, _ = peers._lingam_prior(prior, "ancestral")
        if pk is not None:
            before, _, _ = peers._lingam_orders(pk)
            assert not peers._on_cycles(before).any()
        scores = peers.direct_lingam(data.X, prior, labels="ancestral")
        assert np.isfinite(scores).all()


def test_optional_packages_are_imported_lazily():
    # The scale benchmark measures each method's memory in a fresh process
    # that imports this module: it must not bring in the other methods.
    code = (
        "import sys, benchmarks.peers; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'causallearn', 'dagma', 'lingam', 'torch', 'skdyncausal'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
    assert peers.peer_status("PC") == (True, "")
    assert "PC" in peers.available_peers(verbose=False)
    with pytest.raises(ValueError, match="unknown peer"):
        peers.peer_status("nope")


def test_time_budget_runs_in_a_child_process():
    scores = peers.direct_lingam(_data(), RING, labels="ancestral", time_budget=120)
    assert scores.shape == (3, 3) and np.all(np.diag(scores) == 0)
    with pytest.raises(peers.PeerTimeout, match="did not finish"):
        peers.direct_lingam(_data(), None, time_budget=0.01)


def test_registry_names_and_scorers():
    from skdyncausal.causal import partial_correlation_scores

    for name in ("ours", "ours:full", "abs-corr", "abs-pcorr", "PartialCorr", "MRCL"):
        assert name in peers.METHODS
    assert set(peers.PEER_NAMES) <= set(peers.METHODS)
    X = _data(4)
    expected = partial_correlation_scores(X)
    for name in ("abs-pcorr", "PartialCorr"):
        scores = peers.get_scorer(name)(X, None, None)
        np.testing.assert_array_equal(scores, expected)
    scores = peers.get_scorer("DirectLiNGAM", labels="ancestral")(X, RING4, None)
    np.testing.assert_array_equal(
        scores, peers.direct_lingam(X, RING4, labels="ancestral")
    )
    with pytest.raises(ValueError, match="unknown method"):
        peers.get_scorer("nope")
