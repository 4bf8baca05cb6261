"""How the pendulum forecast of LatentDynamicsRegressor grows with the
number of training videos.

The dynamics benchmark's pendulum simulation (32×32 videos, gravity and
length varying per video), drawn with ``max(sizes) + 40`` videos per seed:
the last 40 are held out, and the defaults are trained for the benchmark's
50 epochs on the first n of the others, for each n in ``--sizes``. The
nMSE of the frames after the 10-frame context on the held-out videos.
Run ``python -m benchmarks.dynamics_instances [--seeds 2] [--sizes 200
600]``; it prints a table and writes ``results/dynamics_instances.md``.
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
from skdyncausal.datasets import make_pendulum

from .causal_scale import _machine
from .dynamics_quality import PRESETS, RESULTS, K, evaluate, half_step

N_TEST = 40


def run(seeds, sizes):
    n_times, epochs = PRESETS["standard"]["pendulum"][2:]
    rows = []
    for seed in seeds:
        data = half_step(
            make_pendulum,
            max(sizes) + N_TEST,
            n_times,
            0.1,
            seed=seed,
            image_size=32,
            length=(0.5, 0.7),
            gravity=(6.0, 14.0),
        )
        test = {k: v[-N_TEST:] if k in ("X", "X_off") else v for k, v in data.items()}
        for n in sizes:
            est = LatentDynamicsRegressor(
                n_context=K, max_epochs=epochs, random_state=seed
            )
            t0 = time.perf_counter()
            est.fit(data["X"][:n], times=data["t"])
            seconds = time.perf_counter() - t0
            nmse = evaluate(est.predict, test)["nmse_on"]
            rows.append(
                {
                    "seed": seed,
                    "training videos": n,
                    "test nMSE": nmse,
                    "fit s": seconds,
                }
            )
            print(
                f"seed {seed}, {n} videos: nMSE {nmse:.4f} ({seconds:.0f} s)",
                flush=True,
            )
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--seed-start", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 600])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    command = " ".join(
        [
            "python -m benchmarks.dynamics_instances",
            *(sys.argv[1:] if argv is None else argv),
        ]
    )
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    table = run(seeds, args.sizes)
    summary = table.groupby("training videos").mean(numeric_only=True)
    summary = summary.drop(columns="seed").round(4)
    text = "\n".join(
        [
            "# Latent dynamics: pendulum forecasts and the number of training videos",
            "",
            f"Command: `{command}` ({(time.perf_counter() - t0) / 60:.1f} min wall).",
            f"Machine: {_machine()['CPU']}; python {platform.python_version()}, "
            f"torch {torch.__version__}, numpy {np.__version__}.",
            f"Seeds {list(seeds)}; the dynamics benchmark's pendulum simulation "
            f"with {max(args.sizes)} + {N_TEST} videos per seed, the last "
            f"{N_TEST} held out; the estimator's defaults, "
            f"{PRESETS['standard']['pendulum'][3]} epochs, trained on the first "
            f"n videos. nMSE of the frames after the {K}-frame context. Mean "
            "over seeds, then per seed.",
            "",
            summary.reset_index().to_markdown(index=False),
            "",
            table.round(4).to_markdown(index=False),
            "",
        ]
    )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dynamics_instances.md").write_text(text)


if __name__ == "__main__":
    main()
