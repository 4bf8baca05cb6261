"""Learning quality and speed of LatentDynamicsRegressor against a latent ODE.

For the pendulum (32×32 video), Lotka-Volterra (vectors) and reaction-diffusion
(2-channel fields) it reports held-out nMSE after a 10-frame context, on the
frame grid and between frames (times never seen in training), for

- ours: ``LatentDynamicsRegressor`` (solver-free time map),
- a latent ODE with the same tokenizer, encoder, decoder, loss and epochs
  (``LatentODERegressor``, fixed-step RK4),
- persistence (repeat the last context frame) and the mean training frame.

On the pendulum it also probes ψ (``transform``) with a linear model for gravity
(a per-instance constant invisible in one frame) and the initial energy, next
to the same probe on a randomly initialised encoder and on pixel PCA; times
training epochs and 1,000-query-time inference; and runs a transfer experiment
(pretrained on rod lengths 0.5-0.7, fine-tuned on 10 % of data with lengths
0.8-1.0, against training from scratch on that 10 %).

Usage::

    python benchmarks/dynamics_quality.py --quick   # < 10 min on 2 cores

Writes ``benchmarks/results/dynamics_quality.md`` and ``.csv`` files.
"""

import argparse
import copy
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

from skdyncausal.datasets import (
    make_lotka_volterra,
    make_pendulum,
    make_reaction_diffusion,
)
from skdyncausal.dynamics import LatentDynamicsRegressor, LatentODERegressor
from skdyncausal.metrics import normalized_mse

K = 10  # context frames
RESULTS = Path(__file__).parent / "results"


def half_step(make, n, n_times, dt, seed, **kwargs):
    """Simulate at dt/2: even frames are the grid, odd frames lie between."""
    d = make(n, 2 * n_times - 1, dt=dt / 2, random_state=seed, **kwargs)
    return dict(
        X=d.X[:, ::2],
        t=d.times[0, ::2],
        X_off=d.X[:, 1::2],
        t_off=d.times[0, 1::2],
        params=d.params,
    )


def split(data, n_train):
    tr = {
        k: (v[:n_train] if k in ("X", "X_off", "params") else v)
        for k, v in data.items()
    }
    te = {
        k: (v[n_train:] if k in ("X", "X_off", "params") else v)
        for k, v in data.items()
    }
    return tr, te


def evaluate(predict, test):
    """nMSE on the grid after the context and between frames after it."""
    X, t = test["X"], test["t"]
    ctx = X[:, :K]
    on = predict(ctx, t[K:])
    off = predict(ctx, test["t_off"][K:])
    return dict(
        nmse_on=normalized_mse(X[:, K:], on),
        nmse_off=normalized_mse(test["X_off"][:, K:], off),
        curve=normalized_mse(X[:, K:], on, reduce="time"),
    )


def baselines(train, test):
    mean_frame = np.nanmean(train["X"], axis=(0, 1))

    def persistence(ctx, q):
        return np.repeat(ctx[:, -1:], len(q), axis=1)

    def mean(ctx, q):
        return np.broadcast_to(mean_frame, (len(ctx), len(q), *mean_frame.shape))

    return {
        "persistence": evaluate(persistence, test),
        "mean frame": evaluate(mean, test),
    }


def fit_pair(train, params):
    """Ours and the latent ODE with identical settings; per-epoch seconds."""
    out = {}
    for name, cls in (
        ("ours", LatentDynamicsRegressor),
        ("latent ODE", LatentODERegressor),
    ):
        est = cls(**params)
        t0 = time.perf_counter()
        est.fit(train["X"], times=train["t"])
        total = time.perf_counter() - t0
        epoch = float(np.median([h["dur"] for h in est.history_]))
        out[name] = (est, total, epoch)
        print(f"  {name}: fit {total:.1f} s, {epoch:.2f} s/epoch", flush=True)
    return out


def query_speed(est, ctx, t_end, n_query=1000, repeats=3):
    q = np.linspace(0.0, t_end, n_query)
    est.predict(ctx, q)
    t0 = time.perf_counter()
    for _ in range(repeats):
        est.predict(ctx, q)
    return (time.perf_counter() - t0) / repeats


def system_rows(system, train, test, params, rows, curves):
    models = fit_pair(train, params)
    results = baselines(train, test)
    for name, (est, total, epoch) in models.items():
        res = evaluate(lambda c, q, e=est: e.predict(c, q), test)
        res.update(fit_s=total, epoch_s=epoch)
        results[name] = res
    for name, res in results.items():
        rows.append(
            dict(
                system=system,
                model=name,
                nmse_on_grid=res["nmse_on"],
                nmse_between_frames=res["nmse_off"],
                off_on_ratio=res["nmse_off"] / res["nmse_on"],
                fit_s=res.get("fit_s"),
                s_per_epoch=res.get("epoch_s"),
            )
        )
        for h, v in enumerate(res["curve"], start=1):
            curves.append(dict(system=system, model=name, step=h, nmse=v))
    return models


def probe_rows(models, train, test, params, rows):
    """Linear probes of gravity and initial energy from ψ, random ψ and PCA."""
    ours = models["ours"][0]
    untrained = clone(ours).set_params(lr=1e-12, max_epochs=1)
    untrained.fit(train["X"][:64], times=train["t"])
    n_pca = ours.latent_dim
    flat_tr = train["X"][:, :K].reshape(len(train["X"]), -1)
    flat_te = test["X"][:, :K].reshape(len(test["X"]), -1)
    pca = PCA(n_pca, random_state=0).fit(flat_tr)
    features = {
        "ψ (trained)": (ours.transform(train["X"]), ours.transform(test["X"])),
        "ψ (random init)": (
            untrained.transform(train["X"]),
            untrained.transform(test["X"]),
        ),
        f"pixel PCA ({n_pca}, 10 frames)": (
            pca.transform(flat_tr),
            pca.transform(flat_te),
        ),
    }
    for name, (f_tr, f_te) in features.items():
        row = dict(features=name)
        for target in ("gravity", "energy0"):
            y_tr, y_te = train["params"][target], test["params"][target]
            probe = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(f_tr, y_tr)
            row[f"R2 {target}"] = r2_score(y_te, probe.predict(f_te))
        rows.append(row)


def transfer_rows(pretrained, cfg, params, rows):
    new = half_step(
        make_pendulum,
        cfg["n_transfer_pool"] + cfg["n_test"],
        cfg["n_times"],
        0.1,
        seed=7,
        image_size=32,
        length=(0.8, 1.0),
        gravity=(6.0, 14.0),
    )
    train, test = split(new, cfg["n_transfer_pool"])
    n_small = max(2, cfg["n_transfer_pool"] // 10)
    small = train["X"][:n_small]
    fine = copy.deepcopy(pretrained)  # continue from the pretrained weights
    fine.partial_fit(small, times=train["t"], epochs=cfg["transfer_epochs"])
    scratch = LatentDynamicsRegressor(
        **{**params, "max_epochs": cfg["transfer_epochs"]}
    )
    scratch.fit(small, times=train["t"])
    for name, est in (
        ("pretrained only", pretrained),
        (f"fine-tuned on {n_small}", fine),
        (f"from scratch on {n_small}", scratch),
    ):
        res = evaluate(lambda c, q, e=est: e.predict(c, q), test)
        rows.append(
            dict(
                model=name,
                nmse_on_grid=res["nmse_on"],
                nmse_between_frames=res["nmse_off"],
            )
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budget (< 10 min)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=None, help="override epochs")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.quick:
        cfg = dict(
            n_train=200,
            n_test=40,
            n_times=50,
            epochs=50,
            n_transfer_pool=200,
            transfer_epochs=20,
            lv=(200, 40, 40),
            rd=(100, 30, 16, 20),
        )
    else:
        cfg = dict(
            n_train=300,
            n_test=50,
            n_times=60,
            epochs=60,
            n_transfer_pool=300,
            transfer_epochs=30,
            lv=(300, 50, 60),
            rd=(200, 40, 32, 40),
        )
    if args.epochs is not None:
        scale = args.epochs / cfg["epochs"]
        cfg["epochs"] = args.epochs
        cfg["transfer_epochs"] = max(1, round(cfg["transfer_epochs"] * scale))
        cfg["lv"] = (*cfg["lv"][:2], max(1, round(cfg["lv"][2] * scale)))
        cfg["rd"] = (*cfg["rd"][:3], max(1, round(cfg["rd"][3] * scale)))
    params = dict(
        n_context=K,
        batch_size=16,
        lr=1e-3,
        max_epochs=cfg["epochs"],
        device=args.device,
        random_state=0,
    )
    rows, curves, probes, transfer = [], [], [], []
    t_start = time.perf_counter()

    print("pendulum 32x32", flush=True)
    pend = half_step(
        make_pendulum,
        cfg["n_train"] + cfg["n_test"],
        cfg["n_times"],
        0.1,
        seed=0,
        image_size=32,
        length=(0.5, 0.7),
        gravity=(6.0, 14.0),
    )
    train, test = split(pend, cfg["n_train"])
    models = system_rows("pendulum 32x32", train, test, params, rows, curves)
    speed = {}
    for name, (est, _, epoch) in models.items():
        speed[name] = dict(
            epoch=epoch, query=query_speed(est, test["X"][:1, :K], pend["t"][-1])
        )
    probe_rows(models, train, test, params, probes)
    print("transfer", flush=True)
    transfer_rows(models["ours"][0], cfg, params, transfer)

    # Partial tables after each system, so an interrupted run still reports.
    write(args.out, cfg, rows, curves, probes, transfer, speed, t_start, args)
    print("Lotka-Volterra", flush=True)
    n, T, ep = cfg["lv"]
    lv = half_step(make_lotka_volterra, n, T, 0.2, seed=1)
    system_rows(
        "Lotka-Volterra (2,)",
        *split(lv, n - 40),
        {**params, "max_epochs": ep},
        rows,
        curves,
    )

    write(args.out, cfg, rows, curves, probes, transfer, speed, t_start, args)
    print("reaction-diffusion", flush=True)
    n, T, g, ep = cfg["rd"]
    rd = half_step(make_reaction_diffusion, n, T, 0.1, seed=2, grid_size=g)
    system_rows(
        f"reaction-diffusion (2,{g},{g})",
        *split(rd, n - 20),
        {**params, "max_epochs": ep},
        rows,
        curves,
    )

    write(args.out, cfg, rows, curves, probes, transfer, speed, t_start, args, True)


def write(out, cfg, rows, curves, probes, transfer, speed, t_start, args, final=0):
    elapsed = time.perf_counter() - t_start
    out.mkdir(parents=True, exist_ok=True)
    quality = pd.DataFrame(rows)
    quality.to_csv(out / "dynamics_quality.csv", index=False)
    pd.DataFrame(curves).to_csv(out / "dynamics_quality_curves.csv", index=False)
    pd.DataFrame(probes).to_csv(out / "dynamics_quality_probes.csv", index=False)
    pd.DataFrame(transfer).to_csv(out / "dynamics_quality_transfer.csv", index=False)
    ours, ode = speed.get("ours"), speed.get("latent ODE")
    speed_df = pd.DataFrame(
        [
            dict(
                measure="seconds per training epoch",
                ours=ours["epoch"],
                latent_ODE=ode["epoch"],
                ratio_ODE_over_ours=ode["epoch"] / ours["epoch"],
            ),
            dict(
                measure="seconds for 1,000 query times (1 instance)",
                ours=ours["query"],
                latent_ODE=ode["query"],
                ratio_ODE_over_ours=ode["query"] / ours["query"],
            ),
        ]
    )
    speed_df.to_csv(out / "dynamics_quality_speed.csv", index=False)
    flag = " ".join(sys.argv[1:])
    device = args.device
    if device.startswith("cuda") and torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    text = [
        "# Latent dynamics: learning quality and speed",
        "",
        f"Command: `python benchmarks/dynamics_quality.py {flag}` "
        f"({args.threads} torch threads; {elapsed / 60:.1f} min wall).",
        f"Machine: {os.cpu_count()} CPU cores, device {device}; python "
        f"{platform.python_version()}, torch {torch.__version__}, numpy "
        f"{np.__version__}.",
        f"Settings: {cfg}.",
        "Context: the first 10 frames; nMSE = mean per-frame ‖y − ŷ‖²/‖y‖² of the "
        "frames after the context on held-out instances; 'between frames' are "
        "times at half steps, never seen in training. Both neural models share "
        "tokenizer, encoder, decoder, loss, epochs and seed.",
        "",
        "## Forecast nMSE (lower is better)",
        "",
        quality.to_markdown(index=False, floatfmt=".3f"),
        "",
        "## Speed (pendulum)",
        "",
        speed_df.to_markdown(index=False, floatfmt=".3f"),
        "",
        "## ψ probes (pendulum, held-out R² of a ridge probe)",
        "",
        pd.DataFrame(probes).to_markdown(index=False, floatfmt=".3f"),
        "",
        "## Transfer (pendulum lengths 0.5-0.7 → 0.8-1.0)",
        "",
        pd.DataFrame(transfer).to_markdown(index=False, floatfmt=".3f"),
        "",
    ]
    (out / "dynamics_quality.md").write_text("\n".join(text))
    if final:
        print("\n".join(text))


if __name__ == "__main__":
    main()
