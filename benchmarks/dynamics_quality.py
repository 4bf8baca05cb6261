"""Learning quality and speed of LatentDynamicsRegressor against its peers.

Protocol: a context of the first 10 frames of an unseen instance; predict the
frames after it; report per-frame normalized MSE as a mean and as a curve over
the horizon, on the frame grid and between frames (half steps, never seen in
training). Systems: the pendulum (32×32 video), Lotka-Volterra (vectors) and
reaction-diffusion (2-channel 16×16 fields). Contenders, all with the same
tokenizer, encoder, decoder, loss, epochs, batch size and seed, so that only the
latent dynamics differ:

- ours: ``LatentDynamicsRegressor`` (solver-free time map);
- latent ODE (RK4): ``LatentDynamicsRegressor(dynamics="ode")``, the ablation
  with the time map replaced by a neural ODE integrated with fixed-step RK4;
- latent ODE (dopri5): the same neural ODE integrated by torchdiffeq's adaptive
  Dormand-Prince solver (``ode_solver="dopri5"``; skipped when torchdiffeq is
  not installed);
- latent GRU: ``LatentDynamicsRegressor(dynamics="gru")``, a discrete-time
  recurrence in latent space;
- persistence (repeat the last context frame) and the mean training frame.

On the fields every neural contender uses ``latent_layout="grid"`` (a latent
map instead of a vector; the ODE gets a convolutional vector field, the GRU a
convolutional GRU cell).

Every contender runs at the estimator's defaults (only ``n_context``, the
variant and, on the fields, ``latent_layout`` are set), with the same epochs.
Per contender and system: test nMSE as mean ± sd over seeds (each seed draws
new data and new weights), the nMSE curve over the horizon, the share of
held-out values inside the 90 % intervals of ``predict(..., return_std=True)``,
seconds per training epoch, seconds of training until the training loss first
reaches a level every neural contender reached (time to a fixed quality),
seconds for 1,000 query times of one instance, and the parameter count. Timings
come with their ratio to ours, measured in the same run. On the first seed it
probes ψ with a linear model (ridge on standardised ψ) and an RBF kernel ridge
for per-instance constants invisible in one frame (the pendulum's gravity, the
Lotka-Volterra rates, the reaction-diffusion coefficients, from the grid's
global summary ``transform(pool="moments")``) and the pendulum's initial
energy, next to the same probes on a randomly initialised encoder and on PCA of
the context frames; on the pendulum it also runs the
transfer experiment: pretrained on rod
lengths 0.5-0.7, fine-tuned on 8 %, 16 % and 32 % of a pool with lengths
0.8-1.0, against training from scratch on the same data, for ours and the
latent ODE (RK4).

Usage::

    python -m benchmarks.dynamics_quality --quick     # 1 seed, about 4 min on 2 cores
    python -m benchmarks.dynamics_quality             # 3 seeds, about 55 min
    python -m benchmarks.dynamics_quality --full --device cuda  # ~400 instances, GPU

Writes ``dynamics_quality.md``, ``.csv`` files and ``dynamics_quality_curves.png``
into ``--out`` (default ``benchmarks/results``).
"""

import argparse
import copy
import importlib.util
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdyncausal.datasets import (
    make_lotka_volterra,
    make_pendulum,
    make_reaction_diffusion,
)
from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.metrics import normalized_mse

from .causal_scale import _machine

K = 10  # context frames
Z90 = 1.6448536269514722  # half-width of the central 90 % normal interval
RESULTS = Path(__file__).parent / "results"
HAS_TORCHDIFFEQ = importlib.util.find_spec("torchdiffeq") is not None


# label -> the estimator parameters that choose the variant
CONTENDERS = {
    "ours": {},
    "latent ODE (RK4)": {"dynamics": "ode"},
    "latent ODE (dopri5)": {"dynamics": "ode", "ode_solver": "dopri5"},
    "latent GRU": {"dynamics": "gru"},
}

PRESETS = {
    # per system: (n_train, n_test, n_times, epochs)
    "quick": dict(
        seeds=1,
        pendulum=(100, 25, 40, 25),
        lv=(100, 25, 40, 25),
        rd=(48, 16, 30, 12),
        transfer_pool=100,
        transfer_epochs=10,
    ),
    "standard": dict(
        seeds=3,
        pendulum=(200, 40, 50, 50),
        lv=(200, 40, 40, 40),
        rd=(100, 20, 30, 30),
        transfer_pool=200,
        transfer_epochs=20,
    ),
    "full": dict(
        seeds=3,
        pendulum=(400, 50, 60, 60),
        lv=(400, 50, 60, 60),
        rd=(400, 50, 40, 40),
        transfer_pool=400,
        transfer_epochs=30,
    ),
}
FRACTIONS = (0.08, 0.16, 0.32)


# ------------------------------------------------------------------ data
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
    per_instance = ("X", "X_off", "params")
    tr = {k: (v[:n_train] if k in per_instance else v) for k, v in data.items()}
    te = {k: (v[n_train:] if k in per_instance else v) for k, v in data.items()}
    return tr, te


def systems(cfg, seed):
    """(name, train, test, extra estimator params, epochs) per system."""
    n, m, T, ep = cfg["pendulum"]
    pend = half_step(
        make_pendulum,
        n + m,
        T,
        0.1,
        seed=seed,
        image_size=32,
        length=(0.5, 0.7),
        gravity=(6.0, 14.0),
    )
    yield "pendulum 32x32", *split(pend, n), {}, ep
    n, m, T, ep = cfg["lv"]
    lv = half_step(make_lotka_volterra, n + m, T, 0.2, seed=1000 + seed)
    yield "Lotka-Volterra (2,)", *split(lv, n), {}, ep
    n, m, T, ep = cfg["rd"]
    rd = half_step(
        make_reaction_diffusion, n + m, T, 0.1, seed=2000 + seed, grid_size=16
    )
    yield "reaction-diffusion (2,16,16)", *split(rd, n), {"latent_layout": "grid"}, ep


# ------------------------------------------------------------ evaluation
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


def coverage90(est, test):
    """Share of held-out values after the context inside the central 90 %
    normal interval of ``predict(..., return_std=True)``."""
    X, t = test["X"], test["t"]
    mean, std = est.predict(X[:, :K], t[K:], return_std=True)
    return float(np.mean(np.abs(X[:, K:] - mean) <= Z90 * std))


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


def query_seconds(est, ctx, t_end, n_query=1000, repeats=3):
    q = np.linspace(0.0, t_end, n_query)
    est.predict(ctx, q)
    t0 = time.perf_counter()
    for _ in range(repeats):
        est.predict(ctx, q)
    return (time.perf_counter() - t0) / repeats


def n_parameters(est):
    return int(sum(p.numel() for p in est.net_.module_.parameters()))


def time_to_level(history, level):
    """Training seconds until the training loss first reaches ``level``."""
    elapsed = 0.0
    for row in history:
        elapsed += row["dur"]
        if row["train_loss"] <= level:
            return elapsed
    return float("nan")


def run_system(name, train, test, params, seed, contenders, rows, curves):
    """Fit every contender on one system; return the fitted estimators."""
    fitted = {}
    results = baselines(train, test)
    for label, variant in contenders.items():
        est = LatentDynamicsRegressor(**params, **variant, random_state=seed)
        t0 = time.perf_counter()
        est.fit(train["X"], times=train["t"])
        fit_s = time.perf_counter() - t0
        res = evaluate(lambda c, q, e=est: e.predict(c, q), test)
        res.update(
            coverage=coverage90(est, test),
            fit_s=fit_s,
            epoch_s=float(np.median([h["dur"] for h in est.history_])),
            query_s=query_seconds(est, test["X"][:1, :K], test["t"][-1]),
            n_params=n_parameters(est),
        )
        results[label] = res
        fitted[label] = est
        print(
            f"  seed {seed} {label}: nMSE {res['nmse_on']:.3f} "
            f"(between {res['nmse_off']:.3f}), fit {fit_s:.0f} s",
            flush=True,
        )
    # Time to a fixed quality: the worst final training loss of the contenders.
    level = max(est.history_[-1]["train_loss"] for est in fitted.values())
    for label, est in fitted.items():
        results[label]["to_level_s"] = time_to_level(est.history_, level)
    for label, res in results.items():
        rows.append(
            dict(
                system=name,
                model=label,
                seed=seed,
                nmse_on_grid=res["nmse_on"],
                nmse_between_frames=res["nmse_off"],
                coverage_90=res.get("coverage"),
                s_per_epoch=res.get("epoch_s"),
                s_to_fixed_loss=res.get("to_level_s"),
                s_1000_queries=res.get("query_s"),
                n_params=res.get("n_params"),
            )
        )
        for h, v in enumerate(res["curve"], start=1):
            curves.append(dict(system=name, model=label, seed=seed, step=h, nmse=v))
    return fitted


PROBE_TARGETS = {
    "pendulum": ("gravity", "energy0"),
    "Lotka-Volterra": ("alpha", "beta", "gamma", "delta"),
    "reaction-diffusion": ("diffusion", "beta"),
}


def linear_probe():
    """Ridge on standardised features, its penalty chosen by cross-validation."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))


def kernel_probe(n_features):
    """RBF kernel ridge on standardised features, penalty and width by 5-fold
    cross-validation."""
    grid = {
        "alpha": np.logspace(-3, 1, 5),
        "gamma": np.array([0.1, 0.3, 1.0, 3.0]) / n_features,
    }
    search = GridSearchCV(KernelRidge(kernel="rbf"), grid, cv=5)
    return make_pipeline(StandardScaler(), search)


def probe_rows(system, ours, train, test, rows):
    """Held-out R² of linear and kernel probes of per-instance constants.

    Features: ψ of the trained model, ψ of a randomly initialised one and PCA
    of the context frames (as many components as ψ has values, at most 16).
    On a latent grid ψ enters as its global summary ``transform(pool=
    "moments")``: the mean and std of each channel over the cells.
    """
    targets = next(v for k, v in PROBE_TARGETS.items() if system.startswith(k))
    untrained = clone(ours).set_params(lr=1e-12, max_epochs=1)
    untrained.fit(train["X"][:64], times=train["t"])
    pool = "moments" if ours.latent_layout == "grid" else None
    flat_tr = train["X"][:, :K].reshape(len(train["X"]), -1)
    flat_te = test["X"][:, :K].reshape(len(test["X"]), -1)
    n_psi = ours.transform(test["X"][:1], pool=pool).shape[1]
    n_pca = min(16, n_psi, len(flat_tr) - 1)
    pca = PCA(n_pca, random_state=0).fit(flat_tr)
    features = {
        "ψ": (
            ours.transform(train["X"], pool=pool),
            ours.transform(test["X"], pool=pool),
        ),
        "ψ random init": (
            untrained.transform(train["X"], pool=pool),
            untrained.transform(test["X"], pool=pool),
        ),
        "PCA of context": (pca.transform(flat_tr), pca.transform(flat_te)),
    }
    for target in targets:
        row = dict(system=system, constant=target)
        y_tr, y_te = train["params"][target], test["params"][target]
        for name, (f_tr, f_te) in features.items():
            for kind, probe in (
                ("linear", linear_probe()),
                ("kernel", kernel_probe(f_tr.shape[1])),
            ):
                probe.fit(f_tr, y_tr)
                row[f"R² {name} ({kind})"] = r2_score(y_te, probe.predict(f_te))
        rows.append(row)


def transfer_rows(pretrained, cfg, seed, rows):
    """Fine-tune on fractions of an intervened system vs from scratch."""
    n_test = cfg["pendulum"][1]
    new = half_step(
        make_pendulum,
        cfg["transfer_pool"] + n_test,
        cfg["pendulum"][2],
        0.1,
        seed=3000 + seed,
        image_size=32,
        length=(0.8, 1.0),
        gravity=(6.0, 14.0),
    )
    train, test = split(new, cfg["transfer_pool"])
    epochs = cfg["transfer_epochs"]
    for label, base in pretrained.items():
        res = evaluate(lambda c, q, e=base: e.predict(c, q), test)
        for frac in FRACTIONS:
            n_small = max(2, round(frac * cfg["transfer_pool"]))
            small = train["X"][:n_small]
            fine = copy.deepcopy(base)  # continue from the pretrained weights
            fine.partial_fit(small, times=train["t"], epochs=epochs)
            scratch = clone(base).set_params(max_epochs=epochs)
            scratch.fit(small, times=train["t"])
            row = dict(
                model=label,
                data=f"{frac:.0%} ({n_small} instances)",
                **{"nMSE pretrained only": res["nmse_on"]},
            )
            for kind, est in (("fine-tuned", fine), ("from scratch", scratch)):
                res_k = evaluate(lambda c, q, e=est: e.predict(c, q), test)
                row[f"nMSE {kind}"] = res_k["nmse_on"]
            rows.append(row)
            print(f"  transfer {label} {row}", flush=True)


# ---------------------------------------------------------------- report
def mean_sd(values):
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return f"{values.mean():.3f}"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def summary_table(quality):
    """Per system and model: nMSE mean ± sd over seeds, timings as ratios."""
    out = []
    for (system, model), g in quality.groupby(["system", "model"], sort=False):
        ours = quality[(quality.system == system) & (quality.model == "ours")]
        row = {
            "system": system,
            "model": model,
            "nMSE on grid": mean_sd(g.nmse_on_grid),
            "nMSE between frames": mean_sd(g.nmse_between_frames),
            "between / on": f"{(g.nmse_between_frames / g.nmse_on_grid).mean():.3f}",
        }
        if g.s_per_epoch.notna().all():
            row["90 % interval coverage"] = mean_sd(g.coverage_90)
            for col, label in (
                ("s_per_epoch", "s/epoch"),
                ("s_to_fixed_loss", "s to fixed loss"),
                ("s_1000_queries", "s per 1,000 queries"),
            ):
                row[f"{label} (× ours)"] = (
                    f"{g[col].mean():.3g} ({g[col].mean() / ours[col].mean():.2f}×)"
                )
            row["parameters"] = f"{int(g.n_params.iloc[0]):,}"
        out.append(row)
    return pd.DataFrame(out)


def plot_curves(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(curves.system))
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6))
    for ax, system in zip(np.atleast_1d(axes), names, strict=True):
        sub = curves[curves.system == system]
        for model, g in sub.groupby("model", sort=False):
            curve = g.groupby("step").nmse.mean()
            ax.plot(curve.index, curve.values, label=model)
        ax.set_title(system)
        ax.set_xlabel("frames after the context")
        ax.set_ylabel("nMSE (mean over seeds)")
        ax.set_yscale("log")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(out, cfg, rows, curves, probes, transfer, t_start, args, final=False):
    elapsed = time.perf_counter() - t_start
    out.mkdir(parents=True, exist_ok=True)
    quality = pd.DataFrame(rows)
    curves = pd.DataFrame(curves)
    quality.to_csv(out / "dynamics_quality.csv", index=False)
    curves.to_csv(out / "dynamics_quality_curves.csv", index=False)
    pd.DataFrame(probes).to_csv(out / "dynamics_quality_probes.csv", index=False)
    pd.DataFrame(transfer).to_csv(out / "dynamics_quality_transfer.csv", index=False)
    if len(curves):
        plot_curves(curves, out / "dynamics_quality_curves.png")
    device = args.device
    if device.startswith("cuda") and torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    summary = summary_table(quality) if len(quality) else pd.DataFrame()
    skipped = "" if HAS_TORCHDIFFEQ else " torchdiffeq is not installed: no dopri5."
    text = [
        "# Latent dynamics: learning quality and speed",
        "",
        f"Command: `python -m benchmarks.dynamics_quality {' '.join(sys.argv[1:])}` "
        f"({args.threads} torch threads; {elapsed / 60:.1f} min wall"
        f"{'' if final else ', partial'}).",
        f"Machine: {_machine()['CPU']}, device {device} (single fits on the "
        "same seed land on different values on different CPUs: compare runs "
        f"made on one machine); python {platform.python_version()}, torch "
        f"{torch.__version__}, numpy {np.__version__}.{skipped}",
        f"Settings (n_train, n_test, n_times, epochs): {cfg}.",
        "Context: the first 10 frames; nMSE = mean per-frame ‖y − ŷ‖²/‖y‖² of the "
        "frames after the context on held-out instances; 'between frames' are "
        "times at half steps, never seen in training. The neural contenders share "
        "tokenizer, encoder, decoder, loss, epochs, batch size and seed; on the "
        "fields all use latent_layout='grid'. Mean ± sd over seeds (new data and "
        "weights per seed). 's to fixed loss': training seconds until the "
        "training loss first reached the worst final training loss of the neural "
        "contenders on that system and seed. Ratios are to ours, same run. "
        "'90 % interval coverage': share of the held-out values after the "
        "context inside the central 90 % normal interval of "
        "`predict(..., return_std=True)` (calibrated: 0.90). All estimator "
        "parameters but n_context (and the variant, and latent_layout on the "
        "fields) are the defaults.",
        "",
        "## Forecast nMSE (lower is better) and cost",
        "",
        summary.fillna("").to_markdown(index=False, disable_numparse=True)
        if len(summary)
        else "",
        "",
        "nMSE over the horizon: `dynamics_quality_curves.png` "
        "(data in `dynamics_quality_curves.csv`); per-seed rows in "
        "`dynamics_quality.csv`.",
        "",
        "## ψ probes (first seed; held-out R² of linear and kernel probes)",
        "",
        "Per-instance constants that one frame does not show (gravity, rate "
        "constants, diffusion and rotation rate), and the pendulum's initial "
        "energy. Linear: ridge on standardised features; kernel: RBF kernel "
        "ridge on standardised features, penalty and width by 5-fold "
        "cross-validation on the training instances. ψ of the reaction-"
        "diffusion grid enters as its global summary `transform(pool="
        "'moments')` (mean and std of each latent channel over the cells). "
        "PCA: as many components of the 10 context frames (pixels) as ψ has "
        "values, at most 16.",
        "",
        pd.DataFrame(probes).to_markdown(index=False, floatfmt=".3f"),
        "",
        "## Transfer (pendulum lengths 0.5-0.7 → 0.8-1.0, first seed)",
        "",
        "Pretrained on the first system, then fine-tuned for "
        f"{cfg['transfer_epochs']} epochs on a fraction of a pool of "
        f"{cfg['transfer_pool']} instances of the intervened system, against "
        "training from scratch on the same instances for the same epochs; nMSE "
        "on held-out instances of the intervened system.",
        "",
        pd.DataFrame(transfer).to_markdown(index=False, floatfmt=".3f"),
        "",
    ]
    (out / "dynamics_quality.md").write_text("\n".join(text))
    if final:
        print("\n".join(text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="1 seed, small sizes")
    size.add_argument("--full", action="store_true", help="~400 instances (GPU)")
    parser.add_argument("--seeds", type=int, default=None, help="override seeds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = dict(PRESETS["quick" if args.quick else "full" if args.full else "standard"])
    if args.seeds is not None:
        cfg["seeds"] = args.seeds
    contenders = {
        k: v for k, v in CONTENDERS.items() if HAS_TORCHDIFFEQ or "dopri5" not in k
    }
    # Everything else at the estimator's defaults, the same for every contender.
    params = dict(n_context=K, device=args.device)
    rows, curves, probes, transfer = [], [], [], []
    t_start = time.perf_counter()
    for seed in range(cfg["seeds"]):
        for name, train, test, extra, epochs in systems(cfg, seed):
            print(f"{name}, seed {seed}", flush=True)
            fitted = run_system(
                name,
                train,
                test,
                {**params, **extra, "max_epochs": epochs},
                seed,
                contenders,
                rows,
                curves,
            )
            if seed == 0:
                probe_rows(name, fitted["ours"], train, test, probes)
            if seed == 0 and name.startswith("pendulum"):
                print("transfer", flush=True)
                pretrained = {k: fitted[k] for k in ("ours", "latent ODE (RK4)")}
                transfer_rows(pretrained, cfg, seed, transfer)
            # Partial tables after each system, so an interrupted run reports.
            write(args.out, cfg, rows, curves, probes, transfer, t_start, args)
    write(args.out, cfg, rows, curves, probes, transfer, t_start, args, final=True)


if __name__ == "__main__":
    main()
