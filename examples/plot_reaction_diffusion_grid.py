r"""
Fields: the latent grid layout on reaction–diffusion
====================================================

A pendulum video has a few degrees of freedom however many pixels it has, and
a latent *vector* ψ (the default ``latent_layout="global"``) can hold them.
A spatially extended system is different: its state is a whole field, and
the initial field of each instance is as rich as the data. With
``latent_layout="grid"``, ψ and the latent state of
:class:`~skdyncausal.LatentDynamicsRegressor` become maps of ``latent_dim``
channels on a grid of cells ``latent_stride`` pixels apart; each cell is
encoded from its own context tokens and the time map is a CNN, local and
translation-equivariant like the PDEs such fields obey.

The data are two-species lambda–omega reaction–diffusion fields on a periodic
16 × 16 grid (spiral waves). Both layouts are trained with the same budget and
compared with persistence (the last context frame, repeated).

Usage::

    python examples/plot_reaction_diffusion_grid.py [output_folder] [--epochs N]

The documentation builds this example with fewer epochs (``docs/_gallery.py``);
``benchmarks/results/dynamics_quality.md`` trains 100 instances on 30 frames.
"""

# %%
# Data
# ----
# ``X`` has shape ``(n_instances, n_times, 2, 16, 16)``: the fields ``u`` and
# ``v`` at 25 times, ``dt = 0.1``. The first 10 frames are the context.
import argparse
from pathlib import Path

import numpy as np

from skdyncausal import LatentDynamicsRegressor
from skdyncausal.datasets import make_reaction_diffusion
from skdyncausal.metrics import normalized_mse
from skdyncausal.plotting import HorizonErrorDisplay, TrajectoryDisplay

parser = argparse.ArgumentParser(description="Latent grid on reaction-diffusion")
parser.add_argument("output", nargs="?", default="examples_output", type=Path)
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

sim = make_reaction_diffusion(n_instances=60, n_times=25, grid_size=16, random_state=0)
times = sim.times[0]
train, test = sim.X[:48], sim.X[48:]
n_context = 10
print(f"train {train.shape}, test {test.shape}")

# %%
# Both layouts, same budget
# -------------------------
# Small batches give more optimisation steps per epoch on a small data set;
# ``frames_per_window=8`` decodes 8 random frames of each training window per
# step, which cuts the decoder's cost.
common = dict(
    n_context=n_context,
    max_epochs=args.epochs,
    batch_size=4,
    frames_per_window=8,
    random_state=0,
)
models = {
    "grid": LatentDynamicsRegressor(latent_layout="grid", latent_stride=2, **common),
    "global": LatentDynamicsRegressor(latent_layout="global", **common),
}
context, future = test[:, :n_context], test[:, n_context:]
predictions = {}
for name, est in models.items():
    est.fit(train, times=times)
    predictions[name] = est.predict(context, times=times[n_context:])
predictions["persistence"] = np.repeat(context[:, -1:], future.shape[1], axis=1)
for name, pred in predictions.items():
    print(f"{name:12s} test nMSE {normalized_mse(future, pred):.3f}")

# %%
# ψ on the grid is a map: ``transform`` returns it flattened, channel-major,
# ``latent_dim`` channels on a grid of cells (8 × 8 here, 16 pixels / stride 2).
psi = models["grid"].transform(context)
channels = models["grid"].latent_dim
side = round((psi.shape[1] // channels) ** 0.5)
print(f"grid ψ: {psi.shape} = {channels} channels x {side} x {side} cells")

# %%
# A held-out field, observed and forecast
# ---------------------------------------
# The ``u`` field (first channel) of one held-out instance, on one grey scale.
frames = TrajectoryDisplay(
    times[n_context:],
    future[0],
    predictions["grid"][0],
    labels=("observed", "grid"),
    title="held-out instance 0, field u: observed (top), latent grid (bottom)",
).plot()
frames.figure_.savefig(args.output / "reaction_diffusion_frames.png", dpi=110)

# %%
# The global layout on the same instance: a 16-dimensional vector cannot hold
# the random initial field, and its forecast stays close to a mean field.
frames_global = TrajectoryDisplay(
    times[n_context:],
    future[0],
    predictions["global"][0],
    labels=("observed", "global"),
    title="held-out instance 0, field u: observed (top), latent vector (bottom)",
).plot()

# %%
# Error over the horizon
# ----------------------
horizon = HorizonErrorDisplay.from_predictions(times[n_context:], future, predictions)
horizon.figure_.savefig(args.output / "reaction_diffusion_horizon.png", dpi=110)

# %%
# In the benchmark
# ----------------
# The benchmark (:doc:`/benchmarks/dynamics_quality`, 100 training instances,
# 30 frames, 30 epochs, 3 seeds) has test nMSE 0.057 for the latent grid
# against 0.68 for persistence; a latent ODE and a GRU on the same grid reach
# 0.079 and 0.058.
