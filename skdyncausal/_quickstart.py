"""The quickstart job: simulate, fit both estimators, compare, plot, report."""

import time
from pathlib import Path

import numpy as np

# Sizes chosen so the whole job runs in about two minutes on two CPU cores.
_DYNAMICS = {"full": (200, 70), "quick": (60, 6)}  # instances, epochs
_CAUSAL = {"full": (30, 80), "quick": (15, 30)}  # variables, epochs


def _say(text):
    print(text, flush=True)


def _dynamics_part(out, quick, random_state):
    from .datasets import make_pendulum
    from .dynamics import LatentDynamicsRegressor
    from .metrics import normalized_mse

    n_instances, epochs = _DYNAMICS["quick" if quick else "full"]
    n_test, n_times, n_context = 40, 40, 10
    _say(f"[dynamics] simulating {n_instances + n_test} pendulum videos (32x32)")
    # Simulated at half the frame spacing: even frames are the training grid, odd
    # frames lie between them and are never seen in training.
    sim = make_pendulum(
        n_instances + n_test,
        2 * n_times,
        image_size=32,
        dt=0.05,
        random_state=random_state,
    )
    times, off_times = sim.times[0, ::2], sim.times[0, 1::2]
    frames, between = sim.X[:, ::2], sim.X[:, 1::2]
    train, test = frames[:n_instances], frames[n_instances:]
    est = LatentDynamicsRegressor(
        n_context=n_context, max_epochs=epochs, verbose=1, random_state=random_state
    )
    _say(f"[dynamics] fitting LatentDynamicsRegressor for {epochs} epochs")
    start = time.perf_counter()
    est.fit(train, times=times)
    fit_s = time.perf_counter() - start
    target = test[:, n_context:]
    pred = est.predict(test[:, :n_context], times=times[n_context:])
    persistence = np.repeat(test[:, n_context - 1 : n_context], n_times - n_context, 1)
    mean_frame = np.broadcast_to(train.mean(axis=(0, 1)), target.shape)
    off_target = between[n_instances:, n_context:]
    off_pred = est.predict(test[:, :n_context], times=off_times[n_context:])
    rows = {
        "LatentDynamicsRegressor": normalized_mse(target, pred),
        "  ... between frames (t + dt/2)": normalized_mse(off_target, off_pred),
        "persistence (last context frame)": normalized_mse(target, persistence),
        "mean frame": normalized_mse(target, mean_frame),
    }
    _say("[dynamics] test nMSE of frames 11-40 from frames 1-10 (lower is better):")
    for name, value in rows.items():
        _say(f"    {name:<34s} {value:.3f}")
    _plot_dynamics(out, est, test, times, pred, persistence, target, mean_frame)
    return rows, fit_s


def _plot_dynamics(out, est, test, times, pred, persistence, target, mean_frame):
    from .plotting import HorizonErrorDisplay, TrajectoryDisplay

    k = est.n_context
    frames = TrajectoryDisplay(
        times[k:],
        target[0],
        pred[0],
        title=f"test video 0: frames {k + 1}-{len(times)} forecast from frames 1-{k}",
    ).plot()
    frames.figure_.savefig(out / "pendulum_frames.png", dpi=110)
    horizon = HorizonErrorDisplay.from_predictions(
        times[k:],
        target,
        {
            "LatentDynamicsRegressor": pred,
            "persistence (last context frame)": persistence,
            "mean frame": mean_frame,
        },
    )
    horizon.figure_.savefig(out / "pendulum_nmse_horizon.png", dpi=110)
    return frames, horizon


def _causal_part(out, quick, random_state):
    from .causal import CausalStructureEstimator, partial_correlation_scores
    from .datasets import make_prior, make_sem
    from .metrics import (
        edge_average_precision,
        edge_orientation_accuracy,
        edge_roc_auc,
    )
    from .plotting import EdgeProbabilityDisplay, GraphDisplay

    p, epochs = _CAUSAL["quick" if quick else "full"]
    _say(f"[causal] simulating a linear SEM with p={p} and knock-out rows")
    data = make_sem(
        n_samples=500,
        n_variables=p,
        n_interventions=p // 2,
        snr=1.0,
        random_state=random_state,
    )
    prior = make_prior(data.adjacency, fraction=0.3, random_state=random_state)
    mask = np.isnan(prior)
    est = CausalStructureEstimator(
        max_epochs=epochs, verbose=1, random_state=random_state
    )
    start = time.perf_counter()
    est.fit(data.X, prior=prior, interventions=data.interventions)
    fit_s = time.perf_counter() - start
    proba = est.predict_proba()
    pcorr = partial_correlation_scores(data.X)
    rows = {}
    for name, score in (
        ("CausalStructureEstimator", proba),
        ("abs. partial correlation", pcorr),
    ):
        rows[name] = (
            edge_average_precision(data.adjacency, score, mask=mask),
            edge_roc_auc(data.adjacency, score, mask=mask),
            edge_orientation_accuracy(data.adjacency, score, mask=mask),
        )
    _say("[causal] on the pairs not in the prior:   AUPRC   AUROC  orientation")
    for name, (ap, auc, orient) in rows.items():
        _say(f"    {name:<34s} {ap:.3f}   {auc:.3f}   {orient:.3f}")
    unknown = mask & ~np.eye(p, dtype=bool)
    likely = unknown & (proba > 0.5)
    share = float(data.adjacency[likely].mean()) if likely.any() else float("nan")
    calibrated = (
        f"calibrated probabilities: {int(likely.sum())} of those pairs have "
        f"P > 0.5, and {share:.0%} of them are edges"
    )
    _say(f"[causal] {calibrated}")
    disp = EdgeProbabilityDisplay(
        proba, prior=prior, variable_names=data.variable_names, truth=data.adjacency
    ).plot()
    disp.figure_.savefig(out / "causal_probabilities.png", dpi=110)
    disp = GraphDisplay(
        proba, prior=prior, variable_names=data.variable_names, top_k=p
    ).plot()
    disp.figure_.savefig(out / "causal_graph.png", dpi=110)
    return rows, fit_s, calibrated


def run_quickstart(out="quickstart_output", *, quick=False, random_state=0):
    """Run the quickstart and write plots and ``report.md`` into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    dyn_rows, dyn_s = _dynamics_part(out, quick, random_state)
    causal_rows, causal_s, calibrated = _causal_part(out, quick, random_state)
    lines = [
        "# skdyncausal quickstart report",
        "",
        f"LatentDynamicsRegressor on simulated pendulum videos (fit {dyn_s:.0f} s):",
        "",
        "| model | test nMSE |",
        "| --- | --- |",
        *[f"| {k.strip(' .')} | {v:.3f} |" for k, v in dyn_rows.items()],
        "",
        f"CausalStructureEstimator on a simulated SEM (fit {causal_s:.0f} s), "
        "pairs not in the prior:",
        "",
        "| scores | AUPRC | AUROC | orientation accuracy |",
        "| --- | --- | --- | --- |",
        *[
            f"| {k} | {a:.3f} | {b:.3f} | {c:.3f} |"
            for k, (a, b, c) in causal_rows.items()
        ],
        "",
        f"The {calibrated}.",
        "",
        "Plots: pendulum_frames.png, pendulum_nmse_horizon.png, "
        "causal_probabilities.png, causal_graph.png",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _say(f"wrote plots and report.md to {out}/ in {time.perf_counter() - start:.0f} s")
