import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator

from skdyncausal._base import (
    TorchEstimatorMixin,
    as_float64,
    resolve_device,
    seed_from,
    torch_rng,
)
from skdyncausal._validation import ParamCheck


def test_seed_from_is_deterministic_and_depends_on_state():
    assert seed_from(0) == seed_from(0)
    assert seed_from(0) != seed_from(1)
    state = np.random.RandomState(3)
    assert seed_from(state) != seed_from(state)  # a RandomState advances


def test_torch_rng_leaves_global_state_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with torch_rng(7) as generator:
        inside = torch.rand(2)
        from_gen = torch.rand(2, generator=generator)
    after = torch.rand(3)
    assert torch.equal(after, expected)
    with torch_rng(7) as generator:
        assert torch.equal(torch.rand(2), inside)
        assert torch.equal(torch.rand(2, generator=generator), from_gen)


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"torch\.cuda\.is_available"):
            resolve_device("cuda")


class _Est(TorchEstimatorMixin, BaseEstimator):
    def __init__(
        self,
        optimizer="adamw",
        lr=1e-3,
        weight_decay=0.0,
        gradient_clip=5.0,
        max_epochs=2,
        batch_size=8,
        n_iter_no_change=3,
        early_stopping=False,
        torch_threads=None,
        verbose=0,
    ):
        self.optimizer = optimizer
        self.gradient_clip = gradient_clip
        self.torch_threads = torch_threads
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.verbose = verbose


def test_param_check_reports_every_problem_at_once():
    est = _Est(lr=-1, max_epochs=0, batch_size=2.5, early_stopping="yes")
    with pytest.raises(ValueError) as info:
        est._param_check().raise_if_any()
    message = str(info.value)
    for name in ("lr", "max_epochs", "batch_size", "early_stopping"):
        assert name in message
    assert message.startswith("Invalid parameters for _Est")


def test_param_check_accepts_valid_parameters():
    _Est()._param_check().raise_if_any()
    check = ParamCheck(_Est())
    check.choice("verbose", (0, 1))
    check.raise_if_any()


def test_as_float64():
    out = as_float64(torch.ones(2, dtype=torch.float32))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 1.0])


def test_optimizer_and_gradient_clip_are_parameters():
    import skdyncausal._base as base

    assert base.resolve_optimizer("sgd") is torch.optim.SGD
    assert base.resolve_optimizer(torch.optim.Adagrad) is torch.optim.Adagrad
    with pytest.raises(ValueError, match="optimizer must be one of"):
        base.resolve_optimizer("lbfgs")
    bad = _Est(optimizer="lbfgs", gradient_clip=0.0)
    with pytest.raises(ValueError) as info:
        bad._param_check().raise_if_any()
    assert "optimizer must be one of" in str(info.value)
    assert "gradient_clip must be a real number in (0, inf)" in str(info.value)


def test_rollback_restores_attributes_and_weights():
    est = _Est()
    est.device_ = "cpu"
    net = torch.nn.Linear(2, 1)

    from types import SimpleNamespace

    # what _rollback(weights=True) reads of a skorch net
    est.net_ = SimpleNamespace(
        module_=net,
        optimizer_=torch.optim.SGD(net.parameters(), lr=0.1),
        history=[{"epoch": 1}],
        train_split=None,
    )
    before = net.weight.detach().clone()
    with pytest.raises(RuntimeError, match="boom"):
        with est._rollback(weights=True):
            est.fitted_thing_ = 1
            with torch.no_grad():
                net.weight.add_(1.0)
            est.net_.history.append({"epoch": 2})
            raise RuntimeError("boom")
    assert not hasattr(est, "fitted_thing_")
    torch.testing.assert_close(net.weight.detach(), before)
    assert est.net_.history == [{"epoch": 1}]
