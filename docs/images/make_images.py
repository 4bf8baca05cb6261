"""Render one picture of every display in ``skdyncausal.plotting`` into this folder.

Run from the repository root::

    python docs/images/make_images.py

It simulates small data sets, fits quick models (a few epochs, so the forecasts
are rough) and writes PNG files at 100 dpi next to this script, in about a
minute on two CPU cores.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from skdyncausal import (
    CausalStructureEstimator,
    LatentDynamicsRegressor,
)
from skdyncausal.causal import partial_correlation_scores
from skdyncausal.datasets import (
    make_lotka_volterra,
    make_pendulum,
    make_prior,
    make_sem,
)
from skdyncausal.plotting import (
    EdgeCurvesDisplay,
    EdgeProbabilityDisplay,
    GraphDisplay,
    HorizonErrorDisplay,
    LatentEmbeddingDisplay,
    TrajectoryDisplay,
)

OUT = Path(__file__).resolve().parent
DPI = 100


def _save(display, name):
    display.figure_.savefig(OUT / name, dpi=DPI)
    plt.close(display.figure_)
    print(f"wrote {OUT / name}")


def causal_images():
    """A 30-variable SEM with knock-outs, a prior with 30 % of the edges known."""
    data = make_sem(500, 30, n_interventions=15, random_state=0)
    prior = make_prior(data.adjacency, fraction=0.3, random_state=0)
    est = CausalStructureEstimator(max_epochs=10, random_state=0)
    est.fit(data.X, prior=prior, interventions=data.interventions)
    _save(
        EdgeProbabilityDisplay.from_estimator(est, truth=data.adjacency),
        "edge_probability.png",
    )
    _save(GraphDisplay.from_estimator(est, top_k=30), "graph.png")
    _save(
        EdgeCurvesDisplay.from_predictions(
            data.adjacency,
            est.predict_proba(),
            mask=np.isnan(prior),
            name="CausalStructureEstimator",
        ),
        "edge_curves.png",
    )
    small = make_sem(500, 5, random_state=0)
    scores = partial_correlation_scores(small.X)
    # top_k=30 is more than the 20 ordered pairs of 5 variables: all are drawn
    _save(GraphDisplay(scores / scores.max(), top_k=30).plot(), "graph_small.png")


def pendulum_images():
    """Pendulum videos: 60 training instances, 20 test instances of 30 frames."""
    sim = make_pendulum(80, 30, image_size=32, dt=0.1, random_state=0)
    train, test, times = sim.X[:60], sim.X[60:], sim.times[0]
    est = LatentDynamicsRegressor(n_context=10, max_epochs=5, random_state=0)
    est.fit(train, times=times)
    _save(TrajectoryDisplay.from_estimator(est, test), "trajectory_frames.png")
    k = est.n_context
    target = test[:, k:]
    baselines = {
        "LatentDynamicsRegressor": est.predict(test[:, :k], times=times[k:]),
        "persistence (last context frame)": np.repeat(
            test[:, k - 1 : k], len(times) - k, axis=1
        ),
        "mean frame": np.broadcast_to(train.mean(axis=(0, 1)), target.shape),
    }
    _save(
        HorizonErrorDisplay.from_predictions(times[k:], target, baselines),
        "horizon_error.png",
    )
    _save(
        LatentEmbeddingDisplay.from_estimator(
            est, test, color=sim.params["length"][60:], color_label="length (m)"
        ),
        "latent_embedding.png",
    )


def lotka_volterra_image():
    """Predator-prey vectors: a forecast with its ± 2 std band."""
    sim = make_lotka_volterra(60, 40, random_state=0)
    est = LatentDynamicsRegressor(n_context=10, max_epochs=30, random_state=0)
    est.fit(sim.X[:50], times=sim.times[0])
    _save(TrajectoryDisplay.from_estimator(est, sim.X[50:]), "trajectory_vectors.png")


if __name__ == "__main__":
    causal_images()
    pendulum_images()
    lotka_volterra_image()
