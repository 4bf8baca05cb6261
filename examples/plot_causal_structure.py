r"""
Learn causal structure from knock-out data and a partial prior.
===============================================================

Simulates a linear structural equation model with knock-out experiments,
reveals 30 % of the true edges and non-edges as a prior, fits
:class:`~skdyncausal.causal.CausalStructureEstimator`, prints AUPRC, AUROC and
orientation accuracy on the pairs the prior leaves unknown (next to the
\|partial correlation\| baseline), and saves two figures: the probability
matrix with the truth and the prior marked, and the most probable edges as a
graph.

Usage::

    python examples/plot_causal_structure.py [output_folder]

The figures go to ``output_folder/causal_structure.png`` and
``causal_graph.png`` (default folder ``examples_output/``).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from skdyncausal.causal import CausalStructureEstimator, partial_correlation_scores
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import (
    edge_average_precision,
    edge_orientation_accuracy,
    edge_roc_auc,
)
from skdyncausal.plotting import EdgeProbabilityDisplay, GraphDisplay


def report(name, truth, scores, mask):
    print(
        f"{name:28s} AUPRC {edge_average_precision(truth, scores, mask=mask):.3f}  "
        f"AUROC {edge_roc_auc(truth, scores, mask=mask):.3f}  "
        f"orientation {edge_orientation_accuracy(truth, scores, mask=mask):.3f}"
    )


def main(output="examples_output"):
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

    # The probabilities next to the truth: known pairs of the prior are marked.
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    matrix = EdgeProbabilityDisplay.from_estimator(est, truth=truth)
    matrix.figure_.savefig(out / "causal_structure.png", dpi=110)
    # The most probable edges as a graph, with the prior's known edges apart.
    graph = GraphDisplay.from_estimator(est, top_k=int(truth.sum()))
    graph.figure_.savefig(out / "causal_graph.png", dpi=110)
    print(f"saved {out / 'causal_structure.png'} and {out / 'causal_graph.png'}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
