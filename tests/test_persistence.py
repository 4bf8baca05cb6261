"""Persistence: fitted estimators saved in one process predict identically in another.

Also a model saved with ``device="cuda"`` loads on a machine without CUDA (both
estimators). No
GPU is needed: the test saves a CPU model whose estimator and skorch net say
``"cuda"`` (what a CUDA fit stores), then loads it with
``torch.cuda.is_available()`` patched to False. skorch's ``NeuralNet.__setstate__``
then maps the net to the CPU (with a ``DeviceWarning``); the estimator must
follow it. The weights of such a stand-in already live on the CPU, so the
mapping of CUDA tensors themselves (done by ``torch.load(map_location=...)``
inside skorch) is not exercised here.
"""

import copy
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch
from _helpers import CAUSAL_TINY, DYN_TINY, tensors_outside_device_mapping
from skorch.exceptions import DeviceWarning

from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.dynamics import LatentDynamicsRegressor


@pytest.fixture(scope="module")
def trajectories():
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 3.0, 8)
    phase = rng.uniform(0, 2 * np.pi, (10, 1))
    X = np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1)
    return X, t


@pytest.fixture(scope="module")
def dyn(trajectories):
    X, t = trajectories
    return LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)


@pytest.fixture(scope="module")
def sem():
    return make_sem(60, 5, n_interventions=2, intervention_samples=5, random_state=0)


@pytest.fixture(scope="module")
def causal(sem):
    prior = make_prior(sem.adjacency, fraction=0.6, random_state=0)
    est = CausalStructureEstimator(**CAUSAL_TINY)
    return est.fit(sem.X, prior=prior, interventions=sem.interventions)


def dyn_outputs(est, X, t):
    mean, std = est.predict(X[:3, :3], [0.4, 2.2, 7.5], return_std=True)
    return {
        "predict": est.predict(X[:4]),
        "predict_std_mean": mean,
        "predict_std": std,
        "transform": est.transform(X),
        "score": np.float64(est.score(X, times=t)),
    }


def causal_outputs(est, X, interventions):
    return {
        "proba_fit_data": est.predict_proba(),
        "proba": est.predict_proba(X[:40], interventions=interventions[:40]),
        "predict": est.predict(X),
        "score": np.float64(est.score(X)),
    }


# The loading process imports only what unpickling needs and runs with the
# same torch thread count, so every floating-point reduction runs the same way.
_LOAD_AND_PREDICT = textwrap.dedent(
    """
    import sys

    import joblib
    import numpy as np
    import torch

    torch.set_num_threads(int(sys.argv[3]))
    saved = joblib.load(sys.argv[1])
    out = {}
    dyn, X, t = saved["dyn"]
    mean, std = dyn.predict(X[:3, :3], [0.4, 2.2, 7.5], return_std=True)
    out["dyn/predict"] = dyn.predict(X[:4])
    out["dyn/predict_std_mean"] = mean
    out["dyn/predict_std"] = std
    out["dyn/transform"] = dyn.transform(X)
    out["dyn/score"] = np.float64(dyn.score(X, times=t))
    ode, X, t = saved["ode"]
    out["ode/predict"] = ode.predict(X[:4], [0.5, 9.0])
    causal, X, iv = saved["causal"]
    out["causal/proba_fit_data"] = causal.predict_proba()
    out["causal/proba"] = causal.predict_proba(X[:40], interventions=iv[:40])
    out["causal/predict"] = causal.predict(X)
    out["causal/score"] = np.float64(causal.score(X))
    np.savez(sys.argv[2], **out)
    """
)


@pytest.mark.filterwarnings("ignore:the held-out labelled pairs")
def test_pickled_in_one_process_predicts_identically_in_another(
    dyn, causal, trajectories, sem, tmp_path
):
    X, t = trajectories
    ode = LatentDynamicsRegressor(**{**DYN_TINY, "max_epochs": 1}, dynamics="ode")
    ode.fit(X, times=t)
    path = tmp_path / "models.joblib"
    joblib.dump(
        {
            "dyn": (dyn, X, t),
            "ode": (ode, X, t),
            "causal": (causal, sem.X, sem.interventions),
        },
        path,
    )
    expected = {f"dyn/{k}": v for k, v in dyn_outputs(dyn, X, t).items()}
    expected["ode/predict"] = ode.predict(X[:4], [0.5, 9.0])
    expected.update(
        {
            f"causal/{k}": v
            for k, v in causal_outputs(causal, sem.X, sem.interventions).items()
        }
    )

    out = tmp_path / "outputs.npz"
    threads = str(torch.get_num_threads())
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_PREDICT, str(path), str(out), threads],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(out) as loaded:
        assert sorted(loaded.files) == sorted(expected)
        for key, value in expected.items():
            np.testing.assert_array_equal(loaded[key], value, err_msg=key)


def _as_if_fitted_on_cuda(est):
    """A copy that pickles like an estimator fitted with device='cuda'."""
    saved = copy.deepcopy(est)
    saved.device_ = "cuda"
    saved.net_.device = "cuda"
    return pickle.dumps(saved)


def test_cuda_model_loads_on_cpu_and_predicts_identically(
    dyn, trajectories, monkeypatch
):
    X, t = trajectories
    blob = _as_if_fitted_on_cuda(dyn)
    expected = dyn_outputs(dyn, X, t)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning):  # skorch says it maps the net to the CPU
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    assert str(loaded.net_.device) == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    for key, value in dyn_outputs(loaded, X, t).items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
    # It can also be trained further on the CPU.
    loaded.partial_fit(X, times=t, epochs=1)
    assert np.isfinite(loaded.predict(X[:2])).all()
    # Refitting still honours the device parameter, which asked for CUDA.
    with pytest.raises(ValueError, match="cuda"):
        loaded.set_params(device="cuda").fit(X, times=t)


@pytest.mark.filterwarnings("ignore:the held-out labelled pairs")
def test_causal_cuda_model_loads_on_cpu_and_predicts_identically(
    causal, sem, monkeypatch
):
    blob = _as_if_fitted_on_cuda(causal)
    expected = causal_outputs(causal, sem.X, sem.interventions)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning):  # skorch says it maps the net to the CPU
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    assert str(loaded.net_.device) == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    assert loaded.net_.criterion_.pos_weight.device.type == "cpu"
    for key, value in causal_outputs(loaded, sem.X, sem.interventions).items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
    # Refitting still honours the device parameter, which asked for CUDA; the
    # failed refit leaves the loaded model as it was.
    with pytest.raises(ValueError, match="cuda"):
        loaded.set_params(device="cuda").fit(sem.X, prior=loaded.prior_)
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(), expected["proba_fit_data"])


def test_no_tensor_escapes_the_device_mapping(dyn, causal):
    # skorch maps only its device-dependent attributes (module_, optimizer_,
    # criterion_) to the CPU on load; a tensor held anywhere else in the net is
    # unpickled on the device it was saved from and fails on a CPU-only machine.
    assert tensors_outside_device_mapping(dyn.net_) == []
    assert tensors_outside_device_mapping(causal.net_) == []


def test_cpu_model_keeps_its_device_when_unpickled(dyn, trajectories):
    X, _ = trajectories
    loaded = pickle.loads(pickle.dumps(dyn))
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.predict(X[:2]), dyn.predict(X[:2]))
    unfitted = pickle.loads(pickle.dumps(LatentDynamicsRegressor(device="cuda")))
    assert unfitted.device == "cuda" and not hasattr(unfitted, "device_")
