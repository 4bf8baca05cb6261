"""Display objects in the scikit-learn style (matplotlib is imported lazily).

Each display has ``from_estimator`` and/or ``from_predictions`` class methods that
compute what is shown, a ``plot(ax=None)`` method that draws it, and after plotting
the attributes ``figure_`` and ``ax_``. Install matplotlib with
``pip install "skdyncausal[plots]"``.

Examples
--------
>>> import numpy as np
>>> from skdyncausal.plotting import EdgeProbabilityDisplay
>>> proba = np.array([[0.0, 0.9], [0.2, 0.0]])
>>> prior = np.array([[np.nan, 1.0], [np.nan, np.nan]])
>>> disp = EdgeProbabilityDisplay(proba, prior=prior).plot()
>>> disp.ax_.get_title()
'P(row → column)'
"""

from numbers import Integral, Real

import numpy as np

__all__ = [
    "EdgeCalibrationDisplay",
    "EdgeCurvesDisplay",
    "EdgeProbabilityDisplay",
    "GraphDisplay",
    "HorizonErrorDisplay",
    "LatentEmbeddingDisplay",
    "TrajectoryDisplay",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib; install it with "
            "`pip install 'skdyncausal[plots]'`."
        ) from exc
    return plt


def _axes(ax, **subplots):
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(layout="constrained", **subplots)
    else:
        fig = ax.figure
    return fig, ax


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _names(p, names):
    return [str(n) for n in names] if names is not None else [str(k) for k in range(p)]


# ------------------------------------------------------------------ causal displays
class EdgeProbabilityDisplay:
    """Heat map of an edge-probability matrix, the prior's known entries marked.

    Parameters
    ----------
    proba : ndarray of shape (p, p)
        ``proba[i, j]`` is the probability of the edge i → j.
    prior : ndarray of shape (p, p), default=None
        Known edges (1), known absences (0) and unknown pairs (NaN). Known edges
        are outlined with a filled marker, known absences with a cross.
    variable_names : list of str, default=None
        Tick labels (shown when p <= 40).
    truth : ndarray of shape (p, p), default=None
        True adjacency; true edges are outlined with a small square.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    image_ : matplotlib AxesImage

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.0, 0.8, 0.1], [0.3, 0.0, 0.6], [0.2, 0.1, 0.0]])
    >>> disp = EdgeProbabilityDisplay(proba, variable_names=["a", "b", "c"]).plot()
    >>> disp.image_.get_array().shape
    (3, 3)
    """

    def __init__(self, proba, *, prior=None, variable_names=None, truth=None):
        self.proba = np.asarray(proba, dtype=float)
        self.prior = None if prior is None else np.asarray(prior, dtype=float)
        self.variable_names = variable_names
        self.truth = None if truth is None else np.asarray(truth)

    @classmethod
    def from_estimator(cls, estimator, X=None, *, truth=None, ax=None):
        """Plot ``estimator.predict_proba(X)`` with the prior used in fit."""
        return cls(
            estimator.predict_proba(X),
            prior=estimator.prior_,
            variable_names=estimator.variable_names_,
            truth=truth,
        ).plot(ax=ax)

    def plot(self, ax=None, *, cmap="viridis"):
        """Draw the heat map; returns ``self``."""
        fig, ax = _axes(ax, figsize=(5.5, 4.5))
        p = self.proba.shape[0]
        self.image_ = ax.imshow(self.proba, vmin=0, vmax=1, cmap=cmap)
        fig.colorbar(self.image_, ax=ax, label="edge probability")
        _mark_cells(ax, self.prior, self.truth)
        if p <= 40:
            labels = _names(p, self.variable_names)
            ax.set_xticks(range(p), labels, rotation=90, fontsize=7)
            ax.set_yticks(range(p), labels, fontsize=7)
        ax.set_xlabel("effect")
        ax.set_ylabel("cause")
        ax.set_title("P(row → column)")
        if ax.get_legend_handles_labels()[0]:
            _legend_below(fig, ax, ncols=3)
        self.figure_, self.ax_ = fig, ax
        return self


def _mark_cells(ax, prior, truth):
    """Markers on the heat map: prior knowledge and the true edges."""
    if prior is not None:
        rows, cols = np.nonzero(prior == 1)
        ax.scatter(
            cols,
            rows,
            marker="o",
            s=16,
            c="white",
            edgecolors="black",  # stays visible on the bright cells
            linewidths=0.6,
            label="known edge",
        )
        rows, cols = np.nonzero(prior == 0)
        ax.scatter(cols, rows, marker="x", s=8, c="grey", label="known absence")
    if truth is not None:
        rows, cols = np.nonzero(truth)
        ax.scatter(
            cols,
            rows,
            marker="s",
            s=30,
            facecolors="none",
            edgecolors="red",
            label="true edge",
        )


class GraphDisplay:
    """Drawing of the most probable edges as a directed graph (networkx).

    Variables are laid out in rows by topological generation, causes above their
    effects. When the drawn graph has cycles, the edges that would close a cycle
    (the least probable ones first) are left out of the layering and point
    upwards. Predicted edges are solid and coloured by probability (see the
    colour bar); edges known from the prior are dashed. Self-loops are never
    drawn, and variables without a drawn edge are left out.

    Parameters
    ----------
    proba : ndarray of shape (p, p)
        Edge probabilities, ``proba[i, j]`` for i → j.
    prior : ndarray of shape (p, p), default=None
        Known edges (1), known absences (0) and unknown pairs (NaN). Known edges
        are always drawn, known absences never; the predicted edges are chosen
        among the unknown pairs.
    variable_names : list of str, default=None
    threshold : float, default=None
        Predicted edges need probability >= threshold. None means 0.5 when
        ``top_k`` is None and no minimum otherwise.
    top_k : int, default=None
        When given, at most the ``top_k`` most probable predicted edges.

    Attributes
    ----------
    graph_ : networkx.DiGraph
        The drawn graph; edges carry ``probability`` and ``known``.
    pos_ : dict of str to (float, float)
        Node positions in data coordinates.
    nodes_ : matplotlib PathCollection
    edges_, known_edges_ : list of matplotlib FancyArrowPatch
        The predicted and the known edges.
    colorbar_ : matplotlib Colorbar
    figure_, ax_ : matplotlib Figure and Axes

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.0, 0.8, 0.1], [0.3, 0.0, 0.6], [0.2, 0.1, 0.0]])
    >>> sorted(GraphDisplay(proba, variable_names=list("abc")).plot().graph_.edges)
    [('a', 'b'), ('b', 'c')]
    """

    def __init__(
        self, proba, *, prior=None, variable_names=None, threshold=None, top_k=None
    ):
        self.proba = np.asarray(proba, dtype=float)
        self.prior = None if prior is None else np.asarray(prior, dtype=float)
        self.variable_names = variable_names
        self.threshold = threshold
        self.top_k = top_k

    @classmethod
    def from_estimator(cls, estimator, X=None, *, threshold=None, top_k=None, ax=None):
        """Draw the graph of ``estimator.predict_proba(X)`` with the prior of fit."""
        return cls(
            estimator.predict_proba(X),
            prior=estimator.prior_,
            variable_names=estimator.variable_names_,
            threshold=threshold,
            top_k=top_k,
        ).plot(ax=ax)

    def _check_params(self):
        problems = []
        p = self.proba.shape[0] if self.proba.ndim == 2 else -1
        if self.proba.shape != (p, p):
            problems.append(f"proba must be square, got shape {self.proba.shape}")
        if self.prior is not None and self.prior.shape != self.proba.shape:
            problems.append(
                f"prior must have the shape of proba, got {self.prior.shape}"
            )
        top_k = self.top_k
        if top_k is not None and (
            isinstance(top_k, bool) or not isinstance(top_k, Integral) or top_k < 1
        ):
            problems.append(f"top_k must be a positive integer or None, got {top_k!r}")
        threshold = self.threshold
        if threshold is not None and not (
            isinstance(threshold, Real) and 0 <= threshold <= 1
        ):
            problems.append(
                f"threshold must be a number in [0, 1] or None, got {threshold!r}"
            )
        if problems:
            raise ValueError("GraphDisplay: " + "; ".join(problems) + ".")

    def _min_probability(self):
        if self.threshold is not None:
            return float(self.threshold)
        return 0.5 if self.top_k is None else None

    def _select(self):
        """Predicted and known edges as lists of index pairs (i, j), i != j."""
        p = self.proba.shape[0]
        off_diagonal = ~np.eye(p, dtype=bool)
        candidate = off_diagonal & np.isfinite(self.proba)
        known = np.zeros((p, p), dtype=bool)
        if self.prior is not None:
            known = off_diagonal & (self.prior == 1)
            candidate &= np.isnan(self.prior)
        rows, cols = np.nonzero(candidate)
        scores = self.proba[rows, cols]
        minimum = self._min_probability()
        if minimum is not None:
            rows, cols, scores = (a[scores >= minimum] for a in (rows, cols, scores))
        order = np.argsort(-scores, kind="stable")[: self.top_k]
        predicted = [(int(i), int(j)) for i, j in zip(rows[order], cols[order])]
        return predicted, [(int(i), int(j)) for i, j in zip(*np.nonzero(known))]

    def _graph(self):
        import networkx as nx

        predicted, known = self._select()
        names = _names(self.proba.shape[0], self.variable_names)
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        for pairs, is_known in ((predicted, False), (known, True)):
            for i, j in pairs:
                graph.add_edge(
                    names[i],
                    names[j],
                    probability=float(self.proba[i, j]),
                    known=is_known,
                )
        return graph

    def _title(self, graph, n_hidden):
        predicted = [e for e in graph.edges if not graph.edges[e]["known"]]
        n_known = graph.number_of_edges() - len(predicted)
        minimum = self._min_probability()
        if self.top_k is None:
            rule = f"{len(predicted)} edges with P ≥ {minimum:.2g}"
        else:
            rule = f"{len(predicted)} most probable edges (top_k={self.top_k}"
            rule += f", P ≥ {minimum:.2g})" if minimum is not None else ")"
        if predicted and minimum is None:
            lowest = min(graph.edges[e]["probability"] for e in predicted)
            rule += f", lowest P = {lowest:.2g}"
        lines = [rule]
        if n_known:
            lines.append(f"and {_count(n_known, 'known edge')} from the prior")
        if n_hidden:
            lines.append(
                f"{_count(n_hidden, 'variable')} without drawn edges not shown"
            )
        return "\n".join(lines)

    def plot(self, ax=None, *, cmap=None):
        """Draw the graph; returns ``self``.

        ``cmap`` colours the predicted edges by probability (default: a blue
        scale that stays visible on white at P = 0).
        """
        self._check_params()
        graph = self._graph()
        hidden = [n for n in list(graph) if graph.degree(n) == 0]
        graph.remove_nodes_from(hidden)
        pos = _layout(graph)
        xmin, xmax, ymin, ymax = _bounds(pos)
        fig, ax = _axes(ax, figsize=_graph_figsize(xmax - xmin, ymax - ymin))
        cmap = _edge_cmap() if cmap is None else _pyplot().get_cmap(cmap)
        ax.set_xlim(xmin - 0.6, xmax + 0.6)
        ax.set_ylim(ymin - 0.6, ymax + 0.6)
        ax.set_axis_off()
        ax.set_title(self._title(graph, len(hidden)), fontsize=9)
        self.colorbar_ = _probability_colorbar(fig, ax, cmap)
        known = any(graph.edges[e]["known"] for e in graph.edges)
        handles = _graph_legend_handles(cmap, known=known)
        _legend_below(fig, ax, handles=handles, ncols=len(handles))
        fig.draw_without_rendering()  # apply the layout before sizing the nodes
        self._draw(graph, pos, ax, cmap)
        self.graph_, self.pos_, self.figure_, self.ax_ = graph, pos, fig, ax
        return self

    def _draw(self, graph, pos, ax, cmap):
        import networkx as nx

        node_size = _node_size(ax, pos)
        self.nodes_ = nx.draw_networkx_nodes(
            graph,
            pos,
            ax=ax,
            node_size=node_size,
            node_color="#eef2f7",
            edgecolors="#44546a",
            linewidths=0.8,
        )
        self.nodes_.set_zorder(3)  # long edges pass under the nodes, not over them
        for text in nx.draw_networkx_labels(graph, pos, ax=ax, font_size=7).values():
            text.set_zorder(4)
        edges = {False: [], True: []}
        for edge in graph.edges:
            edges[graph.edges[edge]["known"]].append(edge)
        proba = [graph.edges[e]["probability"] for e in edges[False]]
        common = {
            "ax": ax,
            "arrows": True,
            "arrowstyle": "-|>",
            "arrowsize": 11,
            "node_size": node_size,
            "connectionstyle": "arc3,rad=0.15",
            "hide_ticks": False,
        }
        self.edges_ = nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=edges[False],
            edge_color=[cmap(q) for q in proba],
            width=[0.8 + 1.6 * q for q in proba],
            **common,
        )
        self.known_edges_ = nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=edges[True],
            edge_color=_KNOWN_COLOR,
            style="--",
            width=1.6,
            **common,
        )


_KNOWN_COLOR = "#d95f02"


def _graph_figsize(width, height):
    """Inches for a layout ``width`` x ``height`` units wide, 0.8 inch a unit."""
    return (
        float(np.clip(0.8 * width + 3.3, 5, 14)),
        float(np.clip(0.8 * height + 2.8, 4, 10)),
    )


def _edge_cmap():
    from matplotlib.colors import ListedColormap

    blues = _pyplot().get_cmap("Blues")
    return ListedColormap(blues(np.linspace(0.3, 1.0, 256)), name="edge_blues")


def _probability_colorbar(fig, ax, cmap):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    mappable = ScalarMappable(norm=Normalize(0, 1), cmap=cmap)
    return fig.colorbar(
        mappable, ax=ax, shrink=0.7, label="probability of a predicted edge"
    )


def _graph_legend_handles(cmap, *, known):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=cmap(0.8), lw=2, label="predicted edge")]
    if known:
        handles.append(
            Line2D([], [], color=_KNOWN_COLOR, lw=1.6, ls="--", label="known (prior)")
        )
    return handles


def _layout(graph):
    """Rows by topological generation; a circle for dense graphs (> 2 edges a node)."""
    if graph.number_of_edges() > 2 * len(graph):
        return _circle_layout(graph)
    return _layered_layout(graph)


def _circle_layout(graph):
    """Nodes on a circle, neighbours one unit apart."""
    n = len(graph)
    radius = max(1.0, 0.5 / np.sin(np.pi / n)) if n > 1 else 0.0
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    return {
        node: (radius * np.cos(a), radius * np.sin(a)) for node, a in zip(graph, angles)
    }


def _layered_layout(graph, max_row=None):
    """Node positions in rows one unit apart: topological generations, causes on top.

    Edges are added in order of decreasing probability while they keep the
    graph acyclic, so on a cyclic graph the weakest edge of a cycle points up.
    Rows wider than ``max_row`` wrap onto further rows.
    """
    import networkx as nx

    ranked = sorted(
        graph.edges,
        key=lambda e: (not graph.edges[e]["known"], -graph.edges[e]["probability"]),
    )
    dag = nx.DiGraph()
    dag.add_nodes_from(graph)
    for u, v in ranked:
        if not nx.has_path(dag, v, u):
            dag.add_edge(u, v)
    if max_row is None:
        max_row = max(6, int(np.ceil(np.sqrt(2 * len(graph)))))
    rows = []
    for generation in nx.topological_generations(dag):
        rows.extend(
            generation[k : k + max_row] for k in range(0, len(generation), max_row)
        )
    return {
        node: (k - (len(row) - 1) / 2, -depth)
        for depth, row in enumerate(_order_rows(graph, rows))
        for k, node in enumerate(row)
    }


def _order_rows(graph, rows, n_sweeps=3):
    """Order the rows by the mean position of each node's neighbours.

    The first sweep sees only the rows above; later sweeps all placed nodes.
    """
    index = {node: k for k, node in enumerate(graph)}
    rows, placed = [list(row) for row in rows], {}
    for _ in range(n_sweeps):
        for r, row in enumerate(rows):
            keys = {n: (_barycentre(graph, n, placed), index[n]) for n in row}
            rows[r] = sorted(row, key=keys.get)
            placed.update({n: k - (len(row) - 1) / 2 for k, n in enumerate(rows[r])})
    return rows


def _barycentre(graph, node, placed):
    """Mean position of the placed neighbours of ``node`` (0, the centre, if none)."""
    xs = [
        placed[m]
        for m in (*graph.predecessors(node), *graph.successors(node))
        if m in placed
    ]
    return float(np.mean(xs)) if xs else 0.0


def _bounds(pos):
    """(xmin, xmax, ymin, ymax) of the node positions."""
    if not pos:
        return 0.0, 0.0, 0.0, 0.0
    xs, ys = zip(*pos.values())
    return min(xs), max(xs), min(ys), max(ys)


def _node_size(ax, pos):
    """Marker area (points²) of nodes that fill about half the row spacing."""
    xmin, xmax, ymin, ymax = _bounds(pos)
    width, height = xmax - xmin + 1, ymax - ymin + 1
    box = ax.get_window_extent()
    unit_points = min(box.width / width, box.height / height) * 72 / ax.figure.dpi
    return float(np.clip(0.55 * unit_points, 8, 28) ** 2)


def _legend_below(fig, ax, **kwargs):
    """A legend under the plot (outside it when the figure's layout allows)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    kwargs.setdefault("fontsize", 7)
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        return fig.legend(loc="outside lower center", frameon=False, **kwargs)
    return ax.legend(loc="lower right", framealpha=0.8, **kwargs)


class EdgeCurvesDisplay:
    """ROC and precision-recall curves of edge scores against a true graph.

    Parameters
    ----------
    y_true : ndarray of shape (p, p)
        True adjacency (1 = edge i → j).
    y_score : ndarray of shape (p, p)
        Edge scores or probabilities.
    mask : ndarray of bool of shape (p, p), default=None
        Pairs to evaluate (e.g. ``np.isnan(prior)``); the diagonal is excluded.
    name : str, default=None
        Legend label.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : ndarray of two Axes (ROC, precision-recall)
    roc_auc_, average_precision_ : float

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> scores = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.7], [0.3, 0.4, 0.0]])
    >>> round(EdgeCurvesDisplay.from_predictions(truth, scores).roc_auc_, 3)
    1.0
    """

    def __init__(self, y_true, y_score, *, mask=None, name=None):
        self.y_true = np.asarray(y_true)
        self.y_score = np.asarray(y_score, dtype=float)
        self.mask = mask
        self.name = name

    @classmethod
    def from_predictions(cls, y_true, y_score, *, mask=None, name=None, ax=None):
        """Compute and draw the curves; returns the display."""
        return cls(y_true, y_score, mask=mask, name=name).plot(ax=ax)

    def plot(self, ax=None):
        """Draw both curves; ``ax`` is a pair of Axes or None."""
        from .metrics import edge_average_precision, edge_roc_auc

        p = self.y_true.shape[0]
        select = ~np.eye(p, dtype=bool)
        if self.mask is not None:
            select &= np.asarray(self.mask, dtype=bool)
        truth, score = self.y_true[select], self.y_score[select]
        self.roc_auc_ = edge_roc_auc(self.y_true, self.y_score, mask=self.mask)
        self.average_precision_ = edge_average_precision(
            self.y_true, self.y_score, mask=self.mask
        )
        if ax is None:
            fig, ax = _pyplot().subplots(1, 2, figsize=(9, 4), layout="constrained")
        else:
            fig = ax[0].figure
        label = self.name or "scores"
        self._plot_roc(ax[0], truth, score, f"{label} (AUROC {self.roc_auc_:.3f})")
        self._plot_pr(
            ax[1], truth, score, f"{label} (AUPRC {self.average_precision_:.3f})"
        )
        fig.suptitle(
            f"{int(truth.sum())} true edges among {truth.size} scored pairs",
            fontsize=10,
        )
        self.figure_, self.ax_ = fig, np.asarray(ax)
        return self

    @staticmethod
    def _plot_roc(ax, truth, score, label):
        from sklearn.metrics import roc_curve

        fpr, tpr, _ = roc_curve(truth, score)
        ax.plot(fpr, tpr, label=label)
        ax.plot([0, 1], [0, 1], ls=":", c="grey", label="chance")
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        ax.legend(fontsize=8)

    @staticmethod
    def _plot_pr(ax, truth, score, label):
        from sklearn.metrics import precision_recall_curve

        precision, recall, _ = precision_recall_curve(truth, score)
        ax.plot(recall, precision, label=label)
        rate = truth.mean()
        ax.axhline(rate, ls=":", c="grey", label=f"chance ({rate:.3f})")
        ax.set(
            xlabel="recall",
            ylabel="precision",
            ylim=(0, 1.02),
            title="precision-recall",
        )
        ax.legend(fontsize=8)


# ---------------------------------------------------------------- dynamics displays
class TrajectoryDisplay:
    """Observed versus forecast trajectory of one instance.

    Image or field observations are shown as two rows of frames (observed above,
    forecast below, on one grey scale); vector observations as one line per
    channel with a band of ± 2 predictive standard deviations.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
    y_true : ndarray of shape (n_times,) + obs_shape
        NaN frames are left empty.
    y_pred : ndarray of shape (n_times,) + obs_shape
    y_std : ndarray of shape (n_times,) + obs_shape, default=None
    n_frames : int, default=8
        Frames shown for image data (evenly spaced). Of a ``(C, H, W)`` frame
        the first channel is shown.
    labels : tuple of two str, default=("observed", "forecast")
        Names of ``y_true`` and ``y_pred`` (row labels, legend).
    title : str, default=None
        Figure title; None describes the rows.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : Axes or ndarray of Axes

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 1, 5)
    >>> y = np.stack([np.sin(t), np.cos(t)], axis=1)
    >>> disp = TrajectoryDisplay(t, y, y + 0.05, y_std=np.full_like(y, 0.1)).plot()
    >>> len(disp.ax_.lines)
    4
    """

    def __init__(
        self,
        times,
        y_true,
        y_pred,
        *,
        y_std=None,
        n_frames=8,
        labels=("observed", "forecast"),
        title=None,
    ):
        self.times = np.asarray(times, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y_std = None if y_std is None else np.asarray(y_std, dtype=float)
        self.n_frames = n_frames
        self.labels = labels
        self.title = title

    @classmethod
    def from_estimator(
        cls, estimator, X, *, instance=0, times=None, n_frames=8, ax=None
    ):
        """Predict instance ``instance`` of ``X`` (full trajectories) from its context.

        ``times`` are the times of the frames of ``X`` (default: the fit grid).
        """
        X = np.asarray(X, dtype=float)
        k = estimator.n_context
        grid = np.asarray(estimator.times_ if times is None else times, dtype=float)
        grid = grid[instance] if grid.ndim == 2 else grid
        pred, std = estimator.predict(
            X[instance : instance + 1, :k],
            times=grid[k:],
            context_times=grid[:k],
            return_std=True,
        )
        title = (
            f"instance {instance}: forecast from its first {k} frames "
            f"(t ≤ {grid[k - 1]:.2f})"
        )
        return cls(
            grid[k:],
            X[instance, k:],
            pred[0],
            y_std=std[0],
            n_frames=n_frames,
            title=title,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels; returns ``self``."""
        if self.y_true.ndim >= 3:  # images: (T, H, W) or (T, C, H, W)
            fig, ax = self._plot_frames(ax)
        else:  # vectors: (T, d)
            fig, ax = self._plot_vectors(ax)
        self.figure_, self.ax_ = fig, ax
        return self

    def _plot_frames(self, ax):
        picks = np.unique(
            np.linspace(0, len(self.times) - 1, self.n_frames).round().astype(int)
        )
        if ax is None:
            fig, ax = _pyplot().subplots(
                2,
                len(picks),
                figsize=(1.05 * len(picks) + 0.5, 2.9),
                squeeze=False,
                layout="constrained",
            )
        else:
            fig = np.asarray(ax).flat[0].figure
        vmin, vmax = _grey_range(self.y_true)
        for col, t in enumerate(picks):
            for row, frames in enumerate((self.y_true, self.y_pred)):
                frame = frames[t] if frames[t].ndim == 2 else frames[t][0]
                ax[row, col].imshow(frame, cmap="gray", vmin=vmin, vmax=vmax)
                ax[row, col].set_xticks([])
                ax[row, col].set_yticks([])
            ax[0, col].set_title(f"t={self.times[t]:.2f}", fontsize=8)
        ax[0, 0].set_ylabel(self.labels[0])
        ax[1, 0].set_ylabel(self.labels[1])
        title = self.title or f"{self.labels[0]} (top) and {self.labels[1]} (bottom)"
        fig.suptitle(title, fontsize=10)
        return fig, ax

    def _plot_vectors(self, ax):
        fig, ax = _axes(ax, figsize=(6, 3.5))
        for d in range(self.y_true.shape[1]):
            (line,) = ax.plot(self.times, self.y_pred[:, d], label=f"channel {d}")
            ax.plot(self.times, self.y_true[:, d], "o", ms=3, c=line.get_color())
            if self.y_std is not None:
                ax.fill_between(
                    self.times,
                    self.y_pred[:, d] - 2 * self.y_std[:, d],
                    self.y_pred[:, d] + 2 * self.y_std[:, d],
                    color=line.get_color(),
                    alpha=0.2,
                )
        band = " ± 2 std" if self.y_std is not None else ""
        title = self.title or f"{self.labels[0]} (dots), {self.labels[1]} (lines{band})"
        ax.set(xlabel="time", ylabel="value", title=title)
        ax.legend(fontsize=7)
        return fig, ax


def _grey_range(frames):
    """Grey scale limits: [0, 1] for data inside it, else the data range."""
    finite = frames[np.isfinite(frames)]
    if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1):
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


class HorizonErrorDisplay:
    """Normalised MSE over the forecast horizon, one curve per model.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
        Query times (or horizon steps).
    curves : dict of str to ndarray of shape (n_times,)
        Per-time nMSE of each model (``normalized_mse(..., reduce="time")``).

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes

    Examples
    --------
    >>> import numpy as np
    >>> y = np.ones((2, 4, 3))
    >>> disp = HorizonErrorDisplay.from_predictions(np.arange(4), y, {"zero": 0 * y})
    >>> disp.curves["zero"].tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, times, curves):
        self.times = np.asarray(times, dtype=float)
        self.curves = {k: np.asarray(v, dtype=float) for k, v in curves.items()}

    @classmethod
    def from_predictions(cls, times, y_true, predictions, *, ax=None):
        """``predictions`` maps a model name to its predicted frames."""
        from .metrics import normalized_mse

        curves = {
            name: normalized_mse(y_true, pred, reduce="time")
            for name, pred in predictions.items()
        }
        return cls(times, curves).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the curves; returns ``self``."""
        fig, ax = _axes(ax, figsize=(6, 3.5))
        for name, curve in self.curves.items():
            ax.plot(self.times, curve, label=name)
        ax.set(xlabel="time", ylabel="normalised MSE", title="error over the horizon")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
        self.figure_, self.ax_ = fig, ax
        return self


class LatentEmbeddingDisplay:
    """The instance encodings ψ projected to 2-D, coloured by a parameter.

    Parameters
    ----------
    embedding : ndarray of shape (n_instances, latent_dim)
    color : ndarray of shape (n_instances,), default=None
        A per-instance quantity (e.g. a physical constant).
    color_label : str, default=None

    Attributes
    ----------
    projection_ : ndarray of shape (n_instances, 2)
        First two principal components of the embedding.
    figure_, ax_ : matplotlib Figure and Axes

    Examples
    --------
    >>> import numpy as np
    >>> psi = np.random.default_rng(0).normal(size=(10, 4))
    >>> LatentEmbeddingDisplay(psi, color=np.arange(10)).plot().projection_.shape
    (10, 2)
    """

    def __init__(self, embedding, *, color=None, color_label=None):
        self.embedding = np.asarray(embedding, dtype=float)
        self.color = None if color is None else np.asarray(color, dtype=float)
        self.color_label = color_label

    @classmethod
    def from_estimator(cls, estimator, X, *, color=None, color_label=None, ax=None):
        """Embed ``X`` with ``estimator.transform`` and draw it."""
        return cls(estimator.transform(X), color=color, color_label=color_label).plot(
            ax=ax
        )

    def plot(self, ax=None):
        """Draw the scatter plot; returns ``self``."""
        from sklearn.decomposition import PCA

        fig, ax = _axes(ax, figsize=(4.5, 4))
        n_comp = min(2, *self.embedding.shape)
        pca = PCA(n_components=n_comp)
        proj = pca.fit_transform(self.embedding)
        if n_comp == 1:
            proj = np.column_stack([proj[:, 0], np.zeros(len(proj))])
        share = [f" ({r:.0%} of variance)" for r in pca.explained_variance_ratio_]
        share += [""] * (2 - n_comp)
        points = ax.scatter(proj[:, 0], proj[:, 1], c=self.color, s=14, cmap="plasma")
        if self.color is not None:
            fig.colorbar(points, ax=ax, label=self.color_label or "")
        ax.set(
            xlabel="PC 1 of ψ" + share[0],
            ylabel="PC 2 of ψ" + share[1],
            title="instance encodings",
        )
        self.projection_, self.figure_, self.ax_ = proj, fig, ax
        return self


class EdgeCalibrationDisplay:
    """Reliability diagram of edge probabilities, on scikit-learn's display.

    Built on :class:`sklearn.calibration.CalibrationDisplay`: the evaluated
    pairs (off the diagonal, selected by ``mask``, e.g. the pairs outside the
    prior) are binned by predicted probability and each bin's edge rate is
    drawn against its mean probability; the diagonal is perfect calibration.

    Examples
    --------
    >>> import numpy as np
    >>> from skdyncausal.plotting import EdgeCalibrationDisplay
    >>> rng = np.random.default_rng(0)
    >>> proba = rng.uniform(size=(30, 30))
    >>> truth = (rng.uniform(size=(30, 30)) < proba).astype(int)
    >>> disp = EdgeCalibrationDisplay.from_predictions(truth, proba, n_bins=5)
    >>> disp.ax_.get_xlabel()
    'mean predicted probability of an edge'
    """

    def __init__(self, display):
        self.display_ = display
        self.ax_ = display.ax_
        self.figure_ = display.figure_

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        mask=None,
        n_bins=10,
        strategy="quantile",
        name=None,
        ax=None,
    ):
        """Draw the reliability diagram of ``y_score`` against ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (p, p)
            True adjacency (0/1).
        y_score : array-like of shape (p, p)
            Edge probabilities.
        mask : array-like of bool of shape (p, p), default=None
            Pairs to evaluate, e.g. ``np.isnan(prior)``; the diagonal never.
        n_bins : int, default=10
        strategy : {"quantile", "uniform"}, default="quantile"
            Bins of equal numbers of pairs, or of equal width.
        name : str, default=None
            Legend label.
        ax : matplotlib Axes, default=None
        """
        from sklearn.calibration import CalibrationDisplay

        from .metrics import _labels_and_scores

        _pyplot()
        y_true, y_score, selected = _labels_and_scores(y_true, y_score, mask)
        _, ax = _axes(ax, figsize=(5, 4.5))
        display = CalibrationDisplay.from_predictions(
            y_true[selected].astype(int),
            y_score[selected],
            n_bins=n_bins,
            strategy=strategy,
            name=name,
            ax=ax,
        )
        n = int(selected.sum())
        rate = float(y_true[selected].mean())
        ax.set(
            xlabel="mean predicted probability of an edge",
            ylabel="edge rate among the pairs of a bin",
            title=f"calibration over {n} pairs (edge rate {rate:.3f})",
        )
        return cls(display)
