"""Where the forecast error of LatentDynamicsRegressor sits: ψ read from the
context against ψ fitted to every frame.

For the pendulum videos and Lotka–Volterra trajectories of the dynamics
benchmark (its "standard" sizes, seeds and defaults), one fit per system and
seed, then the nMSE of the frames after the 10-frame context, on held-out and
on training instances, with

- ``context``: ψ as ``predict`` reads it from the context (the defaults:
  encoder, then ``refine_steps`` steps on the context frames);
- ``all frames``: ψ fitted by Adam to every frame of the instance (the
  context and the frames it is scored on), from the ψ of ``context``, with
  no prior. No forecaster can see those frames; the figure is
  the error of the time map and decoder alone, what a perfect reading of ψ
  from the context could reach.

A large gap between the two says the encoder, not the time map, limits the
forecasts. Run ``python -m benchmarks.dynamics_inference_gap [--seeds 2]``;
it prints a table and writes ``results/dynamics_inference_gap.md``.
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from skdyncausal import LatentDynamicsRegressor
from skdyncausal.dynamics._data import unstandardize
from skdyncausal.metrics import normalized_mse

from .causal_scale import _machine
from .dynamics_quality import PRESETS, RESULTS, K, systems

N_SCORED = 40  # held-out and training instances scored per fit
FIT_STEPS, FIT_LR = 300, 0.05


def fitted_psi(est, X, t):
    """ψ fitted to all frames of X (n, T, *obs) by Adam, from the ψ that
    predict reads from the context, no prior: (n, L) tensor and the relative
    times (n, T)."""
    module = est.net_.module_.eval()
    forecaster = est._forecaster()
    Xs, _, tau, observed = est._context(X, t)
    frames = torch.as_tensor(np.nan_to_num(Xs), dtype=torch.float32)
    mask = torch.as_tensor(np.isfinite(Xs), dtype=torch.float32)
    tau = torch.as_tensor(tau, dtype=torch.float32)
    with torch.no_grad():
        psi, _ = forecaster.encode(Xs[:, :K], tau[:, :K].numpy(), observed[:, :K])
    psi = psi.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([psi], lr=FIT_LR)
    for _ in range(FIT_STEPS):
        pred = module.decode(module.latent(psi, tau))
        (psi.grad,) = torch.autograd.grad((((pred - frames) ** 2) * mask).sum(), psi)
        optimizer.step()
    return psi.detach(), tau


def forecast_nmse(est, psi, tau, X):
    """nMSE of the frames after the context decoded from ψ."""
    module = est.net_.module_
    with torch.no_grad():
        pred = module.decode(module.latent(psi, tau[:, K:])).numpy()
    pred = unstandardize(pred, est.obs_mean_, est.obs_std_, est.obs_shape_)
    return normalized_mse(X[:, K:], pred)


def run(seeds):
    rows = []
    cfg = PRESETS["standard"]
    for seed in seeds:
        for name, train, test, extra, epochs in list(systems(cfg, seed))[:2]:
            est = LatentDynamicsRegressor(
                n_context=K, max_epochs=epochs, random_state=seed, **extra
            )
            est.fit(train["X"], times=train["t"])
            t = train["t"]
            for part, X in (("held out", test["X"]), ("training", train["X"])):
                X = X[:N_SCORED]
                context = normalized_mse(X[:, K:], est.predict(X[:, :K], t[K:]))
                psi, tau = fitted_psi(est, X, t)
                rows.append(
                    {
                        "system": name,
                        "seed": seed,
                        "instances": part,
                        "nMSE, ψ from the context": context,
                        "nMSE, ψ fitted to all frames": forecast_nmse(est, psi, tau, X),
                    }
                )
                print(
                    f"{name} seed {seed} {part}: context {context:.4f}, all frames "
                    f"{rows[-1]['nMSE, ψ fitted to all frames']:.4f}",
                    flush=True,
                )
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--seed-start", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    command = " ".join(
        [
            "python -m benchmarks.dynamics_inference_gap",
            *(sys.argv[1:] if argv is None else argv),
        ]
    )
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    table = run(seeds)
    summary = table.groupby(["system", "instances"], sort=False).mean(numeric_only=True)
    summary = summary.drop(columns="seed").round(4)
    elapsed = time.perf_counter() - t0
    text = "\n".join(
        [
            "# Latent dynamics: ψ from the context against ψ fitted to all frames",
            "",
            f"Command: `{command}` ({elapsed / 60:.1f} min wall).",
            f"Machine: {_machine()['CPU']}; python {platform.python_version()}, "
            f"torch {torch.__version__}, numpy {np.__version__}.",
            f"Seeds {list(seeds)}; the dynamics benchmark's standard sizes and "
            f"epochs, the estimator's defaults; {N_SCORED} held-out and "
            f"{N_SCORED} training instances per fit. nMSE of the frames after "
            f"the {K}-frame context. 'Fitted to all frames': {FIT_STEPS} Adam "
            f"steps (lr {FIT_LR}) on ψ alone against every frame of the "
            "instance, from the ψ read from the context, no prior: what the "
            "time map and decoder reach when ψ is known, a bound no "
            "forecaster attains. Mean over seeds.",
            "",
            summary.reset_index().to_markdown(index=False),
            "",
            "Per seed:",
            "",
            table.round(4).to_markdown(index=False),
            "",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dynamics_inference_gap.md").write_text(text)


if __name__ == "__main__":
    main()
