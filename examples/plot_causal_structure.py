r"""
Learn causal structure from knock-out data and a partial prior
==============================================================

A typical situation in molecular biology: a data matrix of ``p`` measured
variables, some rows taken after a variable was knocked out, and partial
knowledge of the network (some interactions known to exist, some known to be
absent, most unknown). :class:`~skdyncausal.CausalStructureEstimator` learns
from the known pairs what separates edges from non-edges in these data and
scores every other ordered pair.

This example simulates such data with known truth, fits the estimator, compares
it with \|partial correlation\| on the pairs the prior leaves unknown, and reads
the result as an edge list, a probability matrix and a graph.

Usage::

    python examples/plot_causal_structure.py [output_folder]

The figures are also saved to ``output_folder/causal_structure.png`` and
``causal_graph.png`` (default folder ``examples_output/``).
"""

# %%
# Data and prior
# --------------
# A linear structural equation model on 20 variables with Laplace noise: 500
# observational rows plus 10 rows for each of 7 knocked-out variables. The
# prior reveals the true label of 30 % of the ordered pairs (1 = edge, 0 = no
# edge) and leaves the others NaN.
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

output = Path(sys.argv[1] if len(sys.argv) > 1 else "examples_output")
output.mkdir(parents=True, exist_ok=True)

data = make_sem(500, 20, noise="laplace", n_interventions=7, random_state=0)
prior = make_prior(data.adjacency, fraction=0.3, random_state=0)
X = pd.DataFrame(data.X, columns=data.variable_names)  # names are kept
truth = data.adjacency
print(f"{X.shape[0]} rows, {X.shape[1]} variables, {int(truth.sum())} true edges")
print(
    f"prior: {int(np.nansum(prior))} known edges, "
    f"{int((prior == 0).sum())} known absences, {int(np.isnan(prior).sum()) - 20}"
    " unknown pairs"
)

# %%
# Fit
# ---
# ``interventions`` gives, for every row, the index of the knocked-out variable
# (``-1`` for observational rows); knock-outs are what makes the direction of an
# edge learnable.
est = CausalStructureEstimator(random_state=0)
est.fit(X, prior=prior, interventions=data.interventions)
P = est.predict_proba()  # P[i, j] = probability of i -> j


# %%
# How good is it on the unknown pairs?
# ------------------------------------
# Only the pairs the prior leaves unknown (in both directions) are scored: the
# known pairs trained the model. AUPRC is the area under the precision-recall
# curve (chance is the edge rate among the scored pairs), orientation the share
# of true edges scored higher than their reverse.
def report(name, scores, mask):
    print(
        f"{name:28s} AUPRC {edge_average_precision(truth, scores, mask=mask):.3f}  "
        f"AUROC {edge_roc_auc(truth, scores, mask=mask):.3f}  "
        f"orientation {edge_orientation_accuracy(truth, scores, mask=mask):.3f}"
    )


mask = np.isnan(prior) & np.isnan(prior.T)  # pairs unknown in both directions
print(f"{int(mask.sum())} unlabelled pairs, {int(truth[mask].sum())} true edges")
report("CausalStructureEstimator", P, mask)
report("|partial correlation|", partial_correlation_scores(data.X), mask)
print(f"held-out labelled pairs, AUROC: {est.score(X):.3f}")

# %%
# The edge list
# -------------
# :meth:`~skdyncausal.CausalStructureEstimator.to_frame` gives one row per
# ordered pair, most probable first, labelled with the variable names;
# ``in_prior`` and ``prior_label`` say whether the pair was known. The edges the
# data propose beyond the prior are the rows with ``in_prior == False``; here the
# truth is known, so a column says which of them are real. The probabilities
# are calibrated (``calibration="auto"``, the default);
# :ref:`sphx_glr_auto_examples_plot_edge_calibration.py` compares them with the
# network's raw ones.
edges = est.to_frame(threshold=0.5)
index = {name: k for k, name in enumerate(est.variable_names_)}
edges["true edge"] = [
    bool(truth[index[c], index[e]]) for c, e in zip(edges["cause"], edges["effect"])
]
new = edges[~edges["in_prior"]]
print(f"{len(edges)} pairs with P >= 0.5, {len(new)} of them not in the prior")
print(new.head(12).to_string(index=False, float_format="{:.3f}".format))
print(f"real edges among the new ones: {new['true edge'].mean():.0%}")

# %%
# ``est.to_networkx(threshold=0.5)`` returns the same edges as a
# ``networkx.DiGraph`` with a ``probability`` on every edge.
graph = est.to_networkx(threshold=0.5)
print(
    f"networkx graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
)

# %%
# The probability matrix
# ----------------------
# Rows are causes, columns effects. The known pairs of the prior are marked,
# and so are the true edges.
matrix = EdgeProbabilityDisplay.from_estimator(est, truth=truth)
matrix.figure_.savefig(output / "causal_structure.png", dpi=110)

# %%
# The most probable edges as a graph
# ----------------------------------
# As many edges as the truth has, the known edges of the prior drawn apart.
graph_display = GraphDisplay.from_estimator(est, top_k=int(truth.sum()))
graph_display.figure_.savefig(output / "causal_graph.png", dpi=110)
print(f"saved {output / 'causal_structure.png'} and {output / 'causal_graph.png'}")
