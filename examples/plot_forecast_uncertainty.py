r"""
Forecast at any time, with uncertainty bands
============================================

:class:`~skdyncausal.LatentDynamicsRegressor` maps an instance encoding ψ and
the elapsed time to the latent state, without an ODE solver, so it can be
queried at any real times: on the frame grid, between frames, on a dense grid
for a smooth curve, or at irregular times of a new measurement. With
``return_std=True`` it also returns a predictive standard deviation that
combines the learned observation noise with the posterior spread of ψ.

Here the model learns Lotka–Volterra predator–prey dynamics from 150
trajectories observed with multiplicative noise, forecasts a held-out
trajectory from its first 10 observations on a dense time grid, and checks how
often the held-out observations fall inside the ± 2 standard deviation band.

Usage::

    python examples/plot_forecast_uncertainty.py [output_folder] [--epochs N]

The documentation builds this example with fewer epochs (``docs/_gallery.py``).
"""

# %%
# Data
# ----
# Each trajectory has its own rate constants (``alpha``, ``beta``, ``delta``,
# ``gamma`` drawn per instance) and initial populations; ψ has to capture them
# from the context window.
import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skdyncausal import LatentDynamicsRegressor
from skdyncausal.datasets import make_lotka_volterra
from skdyncausal.metrics import normalized_mse

parser = argparse.ArgumentParser(description="Forecasts with uncertainty bands")
parser.add_argument("output", nargs="?", default="examples_output", type=Path)
parser.add_argument("--epochs", type=int, default=60)
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

sim = make_lotka_volterra(n_instances=180, n_times=40, noise=0.05, random_state=0)
times = sim.times[0]  # shared grid, dt = 0.2
train, test = sim.X[:150], sim.X[150:]
n_context = 10

# %%
# Fit
# ---
est = LatentDynamicsRegressor(
    n_context=n_context, max_epochs=args.epochs, random_state=0
)
est.fit(train, times=times)
print(f"test score (1 - nMSE after the context): {est.score(test, times=times):.3f}")

# %%
# Forecast on a dense grid
# ------------------------
# 400 query times between the end of the context and the end of the observed
# span, twenty per frame spacing. The context frames are taken at the first
# ``n_context`` times of the fit grid.
dense = np.linspace(times[n_context - 1], times[-1], 400)
mean, std = est.predict(test[:, :n_context], times=dense, return_std=True)
print(f"predictions {mean.shape} (instances, query times, features)")

# %%
# On the frame grid too, to compare with the held-out observations and count
# how many fall inside the band.
on_grid, on_grid_std = est.predict(
    test[:, :n_context], times=times[n_context:], return_std=True
)
future = test[:, n_context:]
inside = np.abs(future - on_grid) <= 2 * on_grid_std
print(f"nMSE after the context: {normalized_mse(future, on_grid):.3f}")
print(f"held-out observations inside ± 2 std: {inside.mean():.0%}")

# %%
# The forecast of two held-out trajectories
# -----------------------------------------
# Dots are the observations, lines the forecast from the shaded context, bands
# ± 2 predictive standard deviations.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, k in zip(axes, range(2)):
    for d, (name, color) in enumerate((("prey", "C0"), ("predator", "C1"))):
        ax.plot(times, test[k, :, d], "o", ms=3, c=color, label=f"{name}, observed")
        ax.plot(dense, mean[k, :, d], c=color, label=f"{name}, forecast")
        ax.fill_between(
            dense,
            mean[k, :, d] - 2 * std[k, :, d],
            mean[k, :, d] + 2 * std[k, :, d],
            color=color,
            alpha=0.2,
        )
    ax.axvspan(times[0], times[n_context - 1], color="grey", alpha=0.15)
    ax.set(xlabel="time", title=f"held-out trajectory {k}")
axes[0].set_ylabel("population")
axes[0].text(0.2, 0.97, "context", transform=axes[0].get_xaxis_transform(), va="top")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=9)
fig.savefig(args.output / "forecast_uncertainty.png", dpi=110)

# %%
# Reading the band
# ----------------
# The band is a model of the uncertainty, not a guarantee: its coverage is
# worth checking on held-out instances, as above, before reading it as a
# confidence interval. Past the longest trained window the model rolls
# forward on its own predictions (``extrapolation="roll"``) and errors
# compound; ``extrapolation="raise"`` refuses such queries instead.
