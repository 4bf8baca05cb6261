"""The diagnostic of benchmarks/dynamics_inference_gap.py: ψ fitted to every
frame of an instance against ψ read from its context."""

import _helpers
import numpy as np

# benchmarks/ is a package in the repository root, which pytest puts on sys.path
# for the root conftest.py.
from benchmarks import dynamics_inference_gap as gap
from skdyncausal import LatentDynamicsRegressor
from skdyncausal.metrics import normalized_mse


def test_fitting_psi_to_all_frames_beats_reading_it_from_the_context(monkeypatch):
    X, t = _helpers.sines(n=16, n_times=16, t_end=8.0)
    params = {**_helpers.DYN_SMALL, "n_context": gap.K, "max_epochs": 60}
    est = LatentDynamicsRegressor(**params).fit(X, times=t)
    context = normalized_mse(X[:, gap.K :], est.predict(X[:, : gap.K], t[gap.K :]))
    # with no fitting steps the script decodes exactly what predict returns
    monkeypatch.setattr(gap, "FIT_STEPS", 0)
    psi, tau = gap.fitted_psi(est, X, t)
    np.testing.assert_allclose(gap.forecast_nmse(est, psi, tau, X), context, rtol=1e-4)
    monkeypatch.setattr(gap, "FIT_STEPS", 100)
    psi_all, _ = gap.fitted_psi(est, X, t)
    fitted = gap.forecast_nmse(est, psi_all, tau, X)
    assert fitted < 0.8 * context, (fitted, context)
    assert not np.allclose(psi, psi_all)
