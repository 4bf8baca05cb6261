"""GPU smoke run and timings for both estimators (needs a CUDA device).

For each estimator: fit on CPU and on CUDA with the same seed, compare quality
and wall time, then pickle the CUDA-fitted model, load it in a fresh process that
sees no GPU (``CUDA_VISIBLE_DEVICES=""``) and check that it predicts the same.

    python -m benchmarks.gpu_smoke --out benchmarks/results/gpu_smoke.md

(from the repository root, like the other benchmarks).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import torch

from skdyncausal import CausalStructureEstimator, LatentDynamicsRegressor
from skdyncausal.datasets import make_pendulum, make_prior, make_sem
from skdyncausal.metrics import edge_average_precision, normalized_mse

DEVICES = ("cpu", "cuda")

_LOAD_ON_CPU = """
import sys, joblib, numpy as np
est = joblib.load(sys.argv[1])
args = np.load(sys.argv[2])
if hasattr(est, "predict_proba"):
    out = est.predict_proba()
else:
    out = est.predict(args["X"], times=args["t"])
np.save(sys.argv[3], out)
print("device_ after load:", est.device_)
"""


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def _reload_on_cpu(est, X, t, tmp):
    model, args, result = tmp / "model.joblib", tmp / "args.npz", tmp / "out.npy"
    joblib.dump(est, model)
    np.savez(args, X=X, t=t)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_ON_CPU, str(model), str(args), str(result)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return np.load(result), proc.stdout.strip()


def dynamics(rows, tmp, epochs):
    sim = make_pendulum(200, 40, image_size=32, random_state=0)
    t, train, test = sim.times[0], sim.X[:160], sim.X[160:]
    k = 10
    results = {}
    for device in DEVICES:
        est = LatentDynamicsRegressor(
            n_context=k, max_epochs=epochs, device=device, random_state=0
        )
        _, fit_s = _timed(lambda e=est: e.fit(train, times=t))
        (pred, std), pred_s = _timed(
            lambda e=est: e.predict(test[:, :k], times=t[k:], return_std=True)
        )
        assert np.isfinite(pred).all() and (std > 0).all()
        results[device] = (est, pred)
        rows.append(
            f"| LatentDynamicsRegressor | {device} | {fit_s:.1f} | {pred_s:.2f} | "
            f"nMSE {normalized_mse(test[:, k:], pred):.3f} |"
        )
    est, pred = results[DEVICES[-1]]
    loaded, note = _reload_on_cpu(est, test[:, :k], t[k:], tmp)
    gap = float(np.max(np.abs(loaded - pred)))
    rows.append(
        f"| ... CUDA model loaded on CPU | cpu | - | - | max abs diff {gap:.2e} |"
    )
    print(note, flush=True)
    return gap


def causal(rows, tmp, p_values):
    gaps = []
    for p in p_values:
        data = make_sem(500, p, n_interventions=p // 10, random_state=0)
        prior = make_prior(data.adjacency, fraction=0.1, random_state=0)
        mask = np.isnan(prior)
        for device in DEVICES if p <= 100 else DEVICES[-1:]:
            est = CausalStructureEstimator(device=device, random_state=0)
            proba, fit_s = _timed(
                lambda e=est, d=data, a=prior: e.fit(
                    d.X, prior=a, interventions=d.interventions
                ).predict_proba()
            )
            ap = edge_average_precision(data.adjacency, proba, mask=mask)
            rows.append(
                f"| CausalStructureEstimator p={p} | {device} | {fit_s:.1f} | "
                f"(incl.) | AUPRC {ap:.3f} |"
            )
        if p <= 100:
            try:
                loaded, note = _reload_on_cpu(est, data.X, np.zeros(1), tmp)
            except RuntimeError as exc:
                message = str(exc).strip().splitlines()[-1][:120]
                rows.append(
                    f"| ... CUDA model loaded on CPU p={p} | cpu | FAILED: {message} |"
                )
                gaps.append(float("inf"))
                continue
            gaps.append(float(np.max(np.abs(loaded - proba))))
            rows.append(
                f"| ... CUDA model loaded on CPU p={p} | cpu | - | - | "
                f"max abs diff {gaps[-1]:.2e} |"
            )
            print(note, flush=True)
    return gaps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("gpu_smoke.md"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--p", type=int, nargs="+", default=[50, 1000])
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit(
            "gpu_smoke.py needs a CUDA device (torch.cuda.is_available() is False)"
        )
    rows = [
        f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
        f"{os.cpu_count()} CPU cores",
        "",
        "| estimator | device | fit (+ predict) s | predict s | quality |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        dyn_gap = dynamics(rows, Path(tmp), args.epochs)
        causal_gaps = causal(rows, Path(tmp), args.p)
    text = "\n".join(rows) + "\n"
    print(text, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# GPU smoke run\n\nCommand: `python -m benchmarks.gpu_smoke "
        + " ".join(sys.argv[1:])
        + "`\n\n"
        + text
    )
    if dyn_gap > 1e-3 or any(g > 1e-4 for g in causal_gaps):
        sys.exit("a CUDA-fitted model predicted differently after loading on CPU")


if __name__ == "__main__":
    main()
