"""
Forecast pendulum videos at any time from ten context frames.
=============================================================

Trains :class:`~skdyncausal.dynamics.LatentDynamicsRegressor` on simulated
32×32 pendulum videos, prints the held-out nMSE next to the persistence and
mean-frame baselines (on the frame grid and between frames), and saves

- ``pendulum_frames.png``: observed vs forecast frames of one held-out video,
- ``pendulum_nmse_horizon.png``: nMSE over the forecast horizon.

Usage::

    python examples/plot_pendulum_dynamics.py [output_folder] [--epochs N]

The documentation builds this example small (120 training videos, 20 epochs;
``SKDYNCAUSAL_DOCS_FULL=1`` runs the defaults, 240 and 30), far below what a
sharp forecast needs: the pictures on the documentation page show what that
budget learns, next to the baselines. The quickstart trains 200 videos for 70
epochs; the benchmark tables show longer runs.
"""

import argparse
from pathlib import Path

import numpy as np

from skdyncausal.datasets import make_pendulum
from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.metrics import normalized_mse
from skdyncausal.plotting import HorizonErrorDisplay, TrajectoryDisplay

N_CONTEXT = 10


def simulate(n_instances, n_times, random_state):
    """Frames on the grid (dt=0.1) and halfway between them."""
    d = make_pendulum(
        n_instances, 2 * n_times - 1, 32, dt=0.05, random_state=random_state
    )
    return d.X[:, ::2], d.times[0, ::2], d.X[:, 1::2], d.times[0, 1::2]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Pendulum latent dynamics example")
    parser.add_argument("output", nargs="?", default="examples_output", type=Path)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-train", type=int, default=240)
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)

    n_test, n_times = 40, 50
    X, t, X_off, t_off = simulate(args.n_train + n_test, n_times, random_state=0)
    X_train, X_test = X[: args.n_train], X[args.n_train :]
    est = LatentDynamicsRegressor(
        n_context=N_CONTEXT,
        max_epochs=args.epochs,
        random_state=0,
        verbose=1,
    ).fit(X_train, times=t)

    context = X_test[:, :N_CONTEXT]
    future = X_test[:, N_CONTEXT:]
    pred = est.predict(context, t[N_CONTEXT:])
    pred_off = est.predict(context, t_off[N_CONTEXT:])
    persistence = np.repeat(context[:, -1:], future.shape[1], axis=1)
    mean_frame = np.broadcast_to(X_train.mean(axis=(0, 1)), future.shape)
    scores = {
        "ours (on grid)": normalized_mse(future, pred),
        "ours (between frames)": normalized_mse(
            X_off[args.n_train :, N_CONTEXT:], pred_off
        ),
        "persistence": normalized_mse(future, persistence),
        "mean frame": normalized_mse(future, mean_frame),
    }
    print(f"\nheld-out nMSE over {future.shape[1]} frames after {N_CONTEXT} context:")
    for name, value in scores.items():
        print(f"  {name:24s} {value:.3f}")

    frames = TrajectoryDisplay(
        t[N_CONTEXT:],
        future[0],
        pred[0],
        title=f"held-out video 0: forecast from its first {N_CONTEXT} frames",
    ).plot()
    frames.figure_.savefig(args.output / "pendulum_frames.png", dpi=110)
    horizon = HorizonErrorDisplay.from_predictions(
        t[N_CONTEXT:],
        future,
        {"ours": pred, "persistence": persistence, "mean frame": mean_frame},
    )
    horizon.figure_.savefig(args.output / "pendulum_nmse_horizon.png", dpi=110)
    print(f"figures saved in {args.output}/")
    return scores


if __name__ == "__main__":
    main()
