"""What the causal estimators offer on top of ``predict_proba``.

:class:`EdgeOutputMixin` turns the ``(p, p)`` edge probabilities of a fitted
estimator (``predict_proba``, ``variable_names_``, ``prior_``) into a 0/1
adjacency, labelled DataFrames and a networkx graph.
"""

import numpy as np
import pandas as pd

from ..metrics import edge_scores_to_frame
from ._convert import to_networkx
from ._data import pair_keys

__all__ = ["EdgeOutputMixin"]


class EdgeOutputMixin:
    """Adjacency, DataFrames and graphs from a fitted estimator's probabilities."""

    def predict(self, X=None, threshold=0.5, *, interventions=None):
        """0/1 adjacency: ``P[i, j] >= threshold`` (diagonal 0).

        Returns
        -------
        A : ndarray of int of shape (p, p)
        """
        P = self.predict_proba(X, interventions=interventions)
        A = (P >= threshold).astype(np.int64)
        np.fill_diagonal(A, 0)
        return A

    def to_frame(self, kind="edges", *, threshold=None, X=None, interventions=None):
        """The edge probabilities as a DataFrame labelled with the variable names.

        Parameters
        ----------
        kind : {"edges", "matrix"}, default="edges"
            ``"edges"``: one row per ordered pair, most probable first, with
            columns ``cause``, ``effect``, ``probability``, ``in_prior`` and
            ``prior_label`` (the label of the pair in ``prior_``, NaN when
            unknown). ``"matrix"``: the ``(p, p)`` matrix, rows = causes,
            columns = effects.
        threshold : float, default=None
            With ``kind="edges"``, keep the pairs with probability >=
            ``threshold`` only.
        X, interventions : default=None
            As in :meth:`predict_proba`.

        Returns
        -------
        frame : pandas.DataFrame

        Examples
        --------
        >>> from skdyncausal.causal import CausalStructureEstimator
        >>> from skdyncausal.datasets import make_prior, make_sem
        >>> data = make_sem(200, 5, random_state=0)
        >>> A = make_prior(data.adjacency, fraction=0.5, random_state=0)
        >>> est = CausalStructureEstimator(max_epochs=2, random_state=0)
        >>> edges = est.fit(data.X, prior=A).to_frame()
        >>> list(edges.columns), len(edges)
        (['cause', 'effect', 'probability', 'in_prior', 'prior_label'], 20)
        """
        if kind not in ("edges", "matrix"):
            raise ValueError(f"kind must be 'edges' or 'matrix'; got {kind!r}.")
        P = self.predict_proba(X, interventions=interventions)
        names = self.variable_names_
        if kind == "matrix":
            return pd.DataFrame(P, index=names, columns=names)
        edges = edge_scores_to_frame(P, names, prior=self.prior_)
        if threshold is not None:
            edges = edges[edges["probability"] >= threshold].reset_index(drop=True)
        return edges

    def to_networkx(self, threshold=0.5, X=None):
        """Directed graph of the pairs with ``P[i, j] >= threshold``.

        Nodes are the variable names; every edge carries its
        ``probability``.

        Returns
        -------
        graph : networkx.DiGraph
        """
        P = self.predict_proba(X)
        return to_networkx(P, self.variable_names_, threshold=threshold)

    def prior_conflicts(self, n=None):
        """The labelled pairs the data contradict most, for auditing the prior.

        Reads ``prior_scores_``: for each labelled pair, the probability from
        the network that did not train on it (``n_networks >= 2``, the
        default) or from a model refitted without it (``prior_folds``).

        Parameters
        ----------
        n : int, default=None
            Number of rows (all labelled pairs when None).

        Returns
        -------
        conflicts : pandas.DataFrame
            Columns ``cause``, ``effect``, ``prior_label``, ``probability``
            (cross-fitted), ``conflict`` (``1 - probability`` for a
            labelled edge, ``probability`` for a labelled absence) and
            ``dropped`` (left out of the final fit by ``prior_cleaning``),
            most contradicted first.
        """
        scores = getattr(self, "prior_scores_", None)
        if scores is None:
            raise ValueError(
                "prior_conflicts needs cross-fitted scores of the prior: fit with "
                "n_networks >= 2 (the default is 5) or with prior_folds=k (e.g. "
                "CausalStructureEstimator(prior_folds=3)), which fits k more "
                "models, each without a k-th of the labels."
            )
        src, dst = np.nonzero(~np.isnan(self.prior_))
        labels = self.prior_[src, dst]
        proba = scores[src, dst]
        names = np.asarray(self.variable_names_, dtype=object)
        frame = pd.DataFrame(
            {
                "cause": names[src],
                "effect": names[dst],
                "prior_label": labels,
                "probability": proba,
                "conflict": np.where(labels == 1, 1.0 - proba, proba),
                "dropped": _dropped_mask(self, src, dst),
            }
        )
        frame = frame.sort_values("conflict", ascending=False, kind="stable")
        frame = frame.reset_index(drop=True)
        return frame if n is None else frame.head(n)


def _dropped_mask(est, src, dst):
    """Which pairs ``(src, dst)`` ``prior_cleaning`` left out: (n,) bool."""
    dropped = getattr(est, "prior_dropped_", None)
    if dropped is None or not len(dropped):
        return np.zeros(src.size, dtype=bool)
    return np.isin(pair_keys(np.column_stack([src, dst])), pair_keys(dropped))
