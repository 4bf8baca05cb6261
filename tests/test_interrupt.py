"""Ctrl-C during a long fit leaves a usable estimator and says which weights it kept.

A callback added to the skorch net raises ``KeyboardInterrupt`` in the middle of
an epoch, as a user pressing Ctrl-C would; it also snapshots the weights at
the end of every completed epoch so the kept weights can be identified.
"""

import copy
import warnings

import numpy as np
import pytest
import torch
from _helpers import DYN_TINY
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.dynamics import LatentDynamicsRegressor

# Training options (epochs, samples) are set per test.
TINY = {
    k: v
    for k, v in {**DYN_TINY, "lr": 1e-2}.items()
    if k not in ("max_epochs", "n_posterior_samples")
}


def sines(n=20, n_times=10, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 4.0, n_times)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    return np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1), t


class CtrlC(Callback):
    """Raise KeyboardInterrupt at training batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch, batch=2):
        self.epoch = epoch
        self.batch = batch

    def initialize(self):
        self.snapshots = {}  # completed epoch -> module weights
        self.fired = False
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.n_batches = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        self.n_batches += 1
        if len(net.history) == self.epoch and self.n_batches == self.batch:
            self.fired = True
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1, "epoch"]
        self.snapshots[epoch] = copy.deepcopy(net.module_.state_dict())


@pytest.fixture
def ctrl_c(monkeypatch):
    """Install a CtrlC callback in every net the estimators build; return it."""
    holder = {}

    def install(epoch, batch=2):
        cb = CtrlC(epoch, batch)
        holder["cb"] = cb
        original = LatentDynamicsRegressor._make_net

        def make_net(self, *args, **kwargs):
            net = original(self, *args, **kwargs)
            net.callbacks = [*net.callbacks, ("ctrl_c", cb)]
            return net

        for cls in (LatentDynamicsRegressor, CausalStructureEstimator):
            monkeypatch.setattr(cls, "_make_net", make_net)
        return cb

    return install


def weights_equal(module, state):
    return all(torch.equal(v, state[k]) for k, v in module.state_dict().items())


def test_interrupted_fit_warns_and_keeps_a_usable_estimator(ctrl_c):
    X, t = sines()
    cb = ctrl_c(epoch=3)
    est = LatentDynamicsRegressor(**TINY, max_epochs=50)
    with pytest.warns(RuntimeWarning, match=r"interrupted after 3 epoch\(s\)"):
        est.fit(X, times=t)
    assert cb.fired
    check_is_fitted(est)
    assert len(est.net_.history) == 3  # it stopped; the 47 epochs left never ran
    assert sorted(cb.snapshots) == [1, 2]
    y = est.predict(X[:2])
    assert y.shape == (2, 7, 2) and np.isfinite(y).all()
    assert np.isfinite(est.transform(X[:2])).all()
    assert np.isfinite(est.score(X, times=t))
    # The weights are those of the interrupted epoch (no early stopping): one
    # step of epoch 3 was taken after the snapshot of epoch 2.
    assert not weights_equal(est.net_.module_, cb.snapshots[2])

    # It can be trained further, and that run is not reported as interrupted.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est.partial_fit(X, times=t, epochs=1)
    assert len(est.net_.history) == 4


def test_interrupt_with_early_stopping_keeps_the_best_weights_so_far(ctrl_c):
    X, t = sines(n=24)
    cb = ctrl_c(epoch=5)
    est = LatentDynamicsRegressor(
        **TINY,
        max_epochs=50,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=50,
    )
    with pytest.warns(RuntimeWarning, match="best so far"):
        est.fit(X, times=t)
    completed = est.net_.history[:-1]  # the last epoch was cut short
    assert len(completed) == 4 and sorted(cb.snapshots) == [1, 2, 3, 4]
    best = min(completed, key=lambda row: row["valid_loss"])["epoch"]
    assert weights_equal(est.net_.module_, cb.snapshots[best])
    assert np.isfinite(est.predict(X[:2])).all()


def test_interrupt_during_the_curriculum_ends_the_fit(ctrl_c):
    X, t = sines(n_times=12)
    ctrl_c(epoch=1)
    est = LatentDynamicsRegressor(**TINY, max_epochs=12, curriculum=True, horizon=8)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        est.fit(X, times=t)
    # The first stage was interrupted; the later stages did not start.
    assert len(est.net_.history) == 1
    assert est.horizon_ == 8
    assert np.isfinite(est.predict(X[:2])).all()


def test_early_stopping_is_not_reported_as_an_interruption():
    X, t = sines()
    est = LatentDynamicsRegressor(
        **{**TINY, "lr": 1e-6},
        max_epochs=30,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, times=t)
    assert len(est.net_.history) < 30


@pytest.mark.filterwarnings("ignore:the held-out labelled pairs")
def test_interrupted_causal_fit_warns_and_predicts(ctrl_c):
    sem = make_sem(60, 5, random_state=0)
    prior = make_prior(sem.adjacency, fraction=0.6, random_state=0)
    cb = ctrl_c(epoch=2)
    est = CausalStructureEstimator(
        image_size=4, hidden_dim=4, cnn_channels=2, max_epochs=40, random_state=0
    )
    with pytest.warns(RuntimeWarning, match="interrupted after 2 epoch"):
        est.fit(sem.X, prior=prior)
    assert cb.fired and len(est.net_.history) == 2
    P = est.predict_proba()
    assert P.shape == (5, 5) and np.isfinite(P).all()
