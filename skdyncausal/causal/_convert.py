"""Converters between our adjacency convention and peer libraries.

Ours (as networkx, gCastle and cdt): ``A[i, j] != 0`` means ``i -> j`` (row =
cause). lingam stores the transpose: ``B[i, j] != 0`` means ``j -> i``.
"""

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["from_lingam", "from_networkx", "to_lingam", "to_networkx"]


def _square(matrix, name):
    values = matrix.to_numpy() if isinstance(matrix, pd.DataFrame) else matrix
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(
            f"{name} must be a square (p, p) matrix; got shape {arr.shape}."
        )
    return arr


def from_lingam(adjacency):
    """Convert a lingam matrix (``B[i, j] != 0``: ``j -> i``) to ours.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[0.0, 0.0], [0.8, 0.0]])  # lingam: x0 -> x1
    >>> from_lingam(B)
    array([[0. , 0.8],
           [0. , 0. ]])
    """
    return _square(adjacency, "adjacency").T.copy()


def to_lingam(adjacency):
    """Convert ours (``A[i, j]``: ``i -> j``) to lingam's transposed layout.

    Also the layout of lingam's ``prior_knowledge``.

    Examples
    --------
    >>> import numpy as np
    >>> to_lingam(np.array([[0, 1], [0, 0]]))
    array([[0., 0.],
           [1., 0.]])
    """
    return _square(adjacency, "adjacency").T.copy()


def to_networkx(scores, names=None, *, threshold=0.5):
    """Directed graph of the pairs with ``scores[i, j] >= threshold``.

    Parameters
    ----------
    scores : array-like of shape (p, p)
        Edge probabilities (or 0/1 adjacency), ``scores[i, j]`` for ``i -> j``.
    names : list of str, default=None
        Node names; default ``0 .. p-1``.
    threshold : float, default=0.5

    Returns
    -------
    graph : networkx.DiGraph
        All ``p`` nodes; edges carry the attribute ``probability``.

    Examples
    --------
    >>> import numpy as np
    >>> g = to_networkx(np.array([[0, 0.9], [0.2, 0]]), ["a", "b"])
    >>> list(g.edges(data="probability"))
    [('a', 'b', 0.9)]
    """
    P = _square(scores, "scores")
    p = P.shape[0]
    names = list(range(p)) if names is None else list(names)
    if len(names) != p:
        raise ValueError(f"names must have {p} entries; got {len(names)}.")
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    rows, cols = np.nonzero(P >= threshold)
    for i, j in zip(rows, cols):
        if i != j:
            graph.add_edge(names[i], names[j], probability=float(P[i, j]))
    return graph


def from_networkx(graph, nodes=None, *, weight=None):
    """Adjacency matrix ``A[i, j] = 1`` for every edge ``i -> j`` of ``graph``.

    Parameters
    ----------
    graph : networkx.DiGraph
    nodes : list, default=None
        Node order; default ``list(graph.nodes)``.
    weight : str, default=None
        Edge attribute to use as value (default 1).

    Examples
    --------
    >>> import networkx as nx
    >>> from_networkx(nx.DiGraph([("a", "b")])).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    nodes = list(graph.nodes) if nodes is None else list(nodes)
    return nx.to_numpy_array(graph, nodelist=nodes, weight=weight, dtype=np.float64)
