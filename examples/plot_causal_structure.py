r"""
Learn causal structure from knock-out data and a partial prior.
===============================================================

Simulates a linear structural equation model with knock-out experiments,
reveals 30 % of the true edges and non-edges as a prior, fits
:class:`~skdyncausal.causal.CausalStructureEstimator`, prints AUPRC, AUROC and
orientation accuracy on the pairs the prior leaves unknown (next to the
\|partial correlation\| baseline), and saves a figure with the probability
matrix, the truth and the top predicted graph.

Usage::

    python examples/plot_causal_structure.py [output_folder]

The figure goes to ``output_folder/causal_structure.png`` (default folder
``examples_output/``).
"""

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from skdyncausal.causal import CausalStructureEstimator, partial_correlation_scores
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import (
    edge_average_precision,
    edge_orientation_accuracy,
    edge_roc_auc,
)


def report(name, truth, scores, mask):
    print(
        f"{name:28s} AUPRC {edge_average_precision(truth, scores, mask=mask):.3f}  "
        f"AUROC {edge_roc_auc(truth, scores, mask=mask):.3f}  "
        f"orientation {edge_orientation_accuracy(truth, scores, mask=mask):.3f}"
    )


def main(output="examples_output"):
    import matplotlib.pyplot as plt

    data = make_sem(500, 20, noise="laplace", n_interventions=7, random_state=0)
    prior = make_prior(data.adjacency, fraction=0.3, random_state=0)
    est = CausalStructureEstimator(random_state=0)
    X = pd.DataFrame(data.X, columns=data.variable_names)  # names kept
    est.fit(X, prior=prior, interventions=data.interventions)
    P = est.predict_proba()

    mask = np.isnan(prior) & np.isnan(prior.T)  # pairs unknown in both directions
    truth = data.adjacency
    print(f"{int(mask.sum())} unlabelled pairs, {int(truth[mask].sum())} true edges")
    report("CausalStructureEstimator", truth, P, mask)
    report("|partial correlation|", truth, partial_correlation_scores(data.X), mask)
    print(f"held-out labelled pairs, AUROC: {est.score(X):.3f}")

    n_edges = int(truth.sum())
    threshold = np.sort(P.ravel())[-n_edges]
    top = est.to_networkx(threshold=threshold)
    true_edges = {
        (data.variable_names[i], data.variable_names[j])
        for i, j in zip(*truth.nonzero())
    }

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    for ax, matrix, title in (
        (axes[0], P, "P(i → j), learned"),
        (axes[1], truth, "true adjacency"),
    ):
        image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        ax.set(title=title, xlabel="effect j", ylabel="cause i")
    fig.colorbar(image, ax=axes[:2], shrink=0.8)
    colours = ["tab:green" if e in true_edges else "tab:red" for e in top.edges]
    nx.draw_networkx(
        top,
        pos=nx.circular_layout(top),
        ax=axes[2],
        node_size=300,
        font_size=7,
        edge_color=colours,
        arrowsize=12,
    )
    axes[2].set_title(f"top {n_edges} predicted edges (green = true)")
    axes[2].axis("off")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "causal_structure.png", dpi=120, bbox_inches="tight")
    print(f"saved {out / 'causal_structure.png'}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
