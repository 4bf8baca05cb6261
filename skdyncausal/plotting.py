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

import numpy as np

__all__ = [
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
        fig, ax = plt.subplots(**subplots)
    else:
        fig = ax.figure
    return fig, ax


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
        if self.prior is not None:
            rows, cols = np.nonzero(self.prior == 1)
            ax.scatter(cols, rows, marker="o", s=12, c="white", label="known edge")
            rows, cols = np.nonzero(self.prior == 0)
            ax.scatter(cols, rows, marker="x", s=8, c="grey", label="known absence")
        if self.truth is not None:
            rows, cols = np.nonzero(self.truth)
            ax.scatter(
                cols,
                rows,
                marker="s",
                s=30,
                facecolors="none",
                edgecolors="red",
                label="true edge",
            )
        if p <= 40:
            labels = _names(p, self.variable_names)
            ax.set_xticks(range(p), labels, rotation=90, fontsize=7)
            ax.set_yticks(range(p), labels, fontsize=7)
        ax.set_xlabel("effect")
        ax.set_ylabel("cause")
        ax.set_title("P(row → column)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", fontsize=7, framealpha=0.7)
        self.figure_, self.ax_ = fig, ax
        return self


class GraphDisplay:
    """Drawing of the most probable edges as a directed graph (networkx).

    Parameters
    ----------
    proba : ndarray of shape (p, p)
        Edge probabilities, ``proba[i, j]`` for i → j.
    variable_names : list of str, default=None
    threshold : float, default=0.5
        Edges with probability >= threshold are drawn ...
    top_k : int, default=None
        ... or, when given, the ``top_k`` most probable edges.

    Attributes
    ----------
    graph_ : networkx.DiGraph
    figure_, ax_ : matplotlib Figure and Axes

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.0, 0.8, 0.1], [0.3, 0.0, 0.6], [0.2, 0.1, 0.0]])
    >>> sorted(GraphDisplay(proba, variable_names=list("abc")).plot().graph_.edges)
    [('a', 'b'), ('b', 'c')]
    """

    def __init__(self, proba, *, variable_names=None, threshold=0.5, top_k=None):
        self.proba = np.asarray(proba, dtype=float)
        self.variable_names = variable_names
        self.threshold = threshold
        self.top_k = top_k

    @classmethod
    def from_estimator(cls, estimator, X=None, *, threshold=0.5, top_k=None, ax=None):
        """Draw the graph of ``estimator.predict_proba(X)``."""
        return cls(
            estimator.predict_proba(X),
            variable_names=estimator.variable_names_,
            threshold=threshold,
            top_k=top_k,
        ).plot(ax=ax)

    def _graph(self):
        import networkx as nx

        p = self.proba.shape[0]
        names = _names(p, self.variable_names)
        scores = self.proba.copy()
        np.fill_diagonal(scores, -np.inf)
        if self.top_k is not None:
            flat = np.argsort(scores, axis=None)[::-1][: self.top_k]
            pairs = [divmod(int(k), p) for k in flat]
        else:
            pairs = list(zip(*np.nonzero(scores >= self.threshold)))
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        for i, j in pairs:
            graph.add_edge(names[i], names[j], probability=float(self.proba[i, j]))
        return graph

    def plot(self, ax=None):
        """Draw the graph; returns ``self``."""
        import networkx as nx

        fig, ax = _axes(ax, figsize=(5.5, 5))
        graph = self._graph()
        graph.remove_nodes_from([n for n in list(graph) if graph.degree(n) == 0])
        pos = nx.spring_layout(graph, seed=0) if len(graph) else {}
        weights = [graph.edges[e]["probability"] for e in graph.edges]
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=300, node_color="#cfe3f7")
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=7)
        self.edges_ = nx.draw_networkx_edges(
            graph,
            pos,
            ax=ax,
            edge_color=weights,
            edge_cmap=_pyplot().cm.viridis,
            edge_vmin=0,
            edge_vmax=1,
            arrows=True,
            arrowsize=10,
        )
        ax.set_title(f"{graph.number_of_edges()} predicted edges")
        ax.set_axis_off()
        self.graph_, self.figure_, self.ax_ = graph, fig, ax
        return self


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
        from sklearn.metrics import precision_recall_curve, roc_curve

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
            fig, ax = _pyplot().subplots(1, 2, figsize=(9, 4))
        else:
            fig = ax[0].figure
        label = self.name or "scores"
        fpr, tpr, _ = roc_curve(truth, score)
        ax[0].plot(fpr, tpr, label=f"{label} (AUROC {self.roc_auc_:.3f})")
        ax[0].plot([0, 1], [0, 1], ls=":", c="grey")
        ax[0].set(xlabel="false positive rate", ylabel="true positive rate")
        precision, recall, _ = precision_recall_curve(truth, score)
        ax[1].plot(
            recall, precision, label=f"{label} (AUPRC {self.average_precision_:.3f})"
        )
        ax[1].axhline(truth.mean(), ls=":", c="grey")
        ax[1].set(xlabel="recall", ylabel="precision", ylim=(0, 1.02))
        for a in ax:
            a.legend(fontsize=8)
        self.figure_, self.ax_ = fig, np.asarray(ax)
        return self


# ---------------------------------------------------------------- dynamics displays
class TrajectoryDisplay:
    """True versus predicted trajectory of one instance.

    Image or field observations are shown as two rows of frames (true above,
    predicted below); vector observations as one line per channel with a band of
    ± 2 predictive standard deviations.

    Parameters
    ----------
    times : ndarray of shape (n_times,)
    y_true : ndarray of shape (n_times,) + obs_shape
        NaN frames are left empty.
    y_pred : ndarray of shape (n_times,) + obs_shape
    y_std : ndarray of shape (n_times,) + obs_shape, default=None
    n_frames : int, default=8
        Frames shown for image data (evenly spaced).

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

    def __init__(self, times, y_true, y_pred, *, y_std=None, n_frames=8):
        self.times = np.asarray(times, dtype=float)
        self.y_true = np.asarray(y_true, dtype=float)
        self.y_pred = np.asarray(y_pred, dtype=float)
        self.y_std = None if y_std is None else np.asarray(y_std, dtype=float)
        self.n_frames = n_frames

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
        return cls(
            grid[k:], X[instance, k:], pred[0], y_std=std[0], n_frames=n_frames
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels; returns ``self``."""
        plt = _pyplot()
        if self.y_true.ndim >= 3:  # images: (T, H, W) or (T, C, H, W)
            picks = np.unique(
                np.linspace(0, len(self.times) - 1, self.n_frames).round().astype(int)
            )
            if ax is None:
                fig, ax = plt.subplots(
                    2, len(picks), figsize=(1.3 * len(picks), 3), squeeze=False
                )
            else:
                fig = np.asarray(ax).flat[0].figure
            for col, t in enumerate(picks):
                for row, frames in enumerate((self.y_true, self.y_pred)):
                    frame = frames[t] if frames[t].ndim == 2 else frames[t][0]
                    ax[row, col].imshow(frame, cmap="gray", vmin=0, vmax=1)
                    ax[row, col].set_xticks([])
                    ax[row, col].set_yticks([])
                ax[0, col].set_title(f"t={self.times[t]:.2f}", fontsize=7)
            ax[0, 0].set_ylabel("true")
            ax[1, 0].set_ylabel("predicted")
        else:  # vectors: (T, d)
            fig, ax = _axes(ax, figsize=(6, 3.5))
            for d in range(self.y_true.shape[1]):
                (line,) = ax.plot(self.times, self.y_pred[:, d], label=f"pred {d}")
                ax.plot(self.times, self.y_true[:, d], "o", ms=3, c=line.get_color())
                if self.y_std is not None:
                    ax.fill_between(
                        self.times,
                        self.y_pred[:, d] - 2 * self.y_std[:, d],
                        self.y_pred[:, d] + 2 * self.y_std[:, d],
                        color=line.get_color(),
                        alpha=0.2,
                    )
            ax.set(xlabel="time", ylabel="value", title="true (dots) vs predicted")
            ax.legend(fontsize=7)
        self.figure_, self.ax_ = fig, ax
        return self


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
        proj = PCA(n_components=n_comp).fit_transform(self.embedding)
        if n_comp == 1:
            proj = np.column_stack([proj[:, 0], np.zeros(len(proj))])
        points = ax.scatter(proj[:, 0], proj[:, 1], c=self.color, s=14, cmap="plasma")
        if self.color is not None:
            fig.colorbar(points, ax=ax, label=self.color_label or "")
        ax.set(xlabel="PC 1 of ψ", ylabel="PC 2 of ψ", title="instance encodings")
        self.projection_, self.figure_, self.ax_ = proj, fig, ax
        return self
