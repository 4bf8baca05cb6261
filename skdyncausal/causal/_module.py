"""The pair classifier: CNN over pair images + GNN over Ĝ0 + pair scalars (torch only).

The graph (node features and edge list of Ĝ0) is not a per-pair input: it is
set once per data matrix with :meth:`CausalPairModule.set_graph` and stored
as buffers, and every forward pass embeds all nodes and gathers the two
endpoints of each pair.

The network learns a *residual*: its last layers start at zero and the logit
is ``offset + network``, where the per-pair ``offset`` is a baseline logit
fitted by the estimator (a logistic regression on |corr|, |pcorr| and the Ĝ0
distance). Training starts from that baseline and early stopping keeps it
when the labels give the network nothing better to learn.
"""

import torch
from torch import nn
from torch.nn import functional as F

ARCHITECTURES = ("full", "image", "graph", "no_image")


class WeightedBCEWithLogitsLoss(nn.Module):
    """Binary cross-entropy on logits with a scalar weight of the positive class.

    Like :class:`torch.nn.BCEWithLogitsLoss` with ``pos_weight``, but built
    from a plain float and keeping the weight as a buffer: a skorch net given
    the class and ``criterion__pos_weight=<float>`` holds no tensor outside
    ``criterion_``, which skorch moves to the net's device and maps to the
    CPU when a CUDA-trained net is unpickled without CUDA.

    Cross-fitted networks (:class:`CausalPairModule` with ``n_networks``):
    the target may be ``(B, 2)``, the label and the *fold* of each pair (the
    network that must not train on it, -1 for none), and the logits
    ``(B, M)``, one column per network in training. The loss is then the
    mean over the (pair, network) entries whose network may train on the
    pair; with ``(B,)`` logits (evaluation) the fold is not needed.
    """

    def __init__(self, pos_weight=1.0):
        super().__init__()
        self.register_buffer(
            "pos_weight", torch.tensor(float(pos_weight), dtype=torch.float32)
        )

    def forward(self, logits, target):
        if target.dim() == 1:
            return F.binary_cross_entropy_with_logits(
                logits, target, pos_weight=self.pos_weight
            )
        label, fold = target[:, 0], target[:, 1].long()
        if logits.dim() == 1:
            return F.binary_cross_entropy_with_logits(
                logits, label, pos_weight=self.pos_weight
            )
        networks = torch.arange(logits.shape[1], device=logits.device)
        keep = (fold[:, None] != networks[None, :]).to(logits.dtype)  # (B, M)
        loss = F.binary_cross_entropy_with_logits(
            logits,
            label[:, None].expand_as(logits),
            pos_weight=self.pos_weight,
            reduction="none",
        )
        return (loss * keep).sum() / keep.sum().clamp(min=1.0)


class PairCNN(nn.Module):
    """Small CNN sized for CPU: (B, C, S, S) -> (B, out_dim).

    Two stride-2 convolutions (no max-pooling: five times cheaper on CPU for
    the same receptive field) and an adaptive average pool to 4 x 4.
    """

    def __init__(self, in_channels=2, channels=8, out_dim=32, dropout=0.1):
        super().__init__()
        c1, c2 = channels, 2 * channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * 16, out_dim), nn.ReLU()
        )

    def forward(self, images):
        # images: (B, C, S, S), log-scaled so that sharp densities stay in range
        return self.head(self.features(torch.log1p(images)))  # (B, out_dim)


class MeanMessagePassing(nn.Module):
    """GraphSAGE-style layer: h_v <- ReLU(W_s h_v + W_n mean_{u ~ v} h_u)."""

    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.self_lin = nn.Linear(dim, dim)
        self.nb_lin = nn.Linear(dim, dim, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h, edge_index, inv_degree):
        # h: (P, D); edge_index: (2, E) messages flow edge_index[1] -> edge_index[0]
        agg = torch.zeros_like(h).index_add_(0, edge_index[0], h[edge_index[1]])
        agg = agg * inv_degree[:, None]  # (P, D) neighbourhood mean
        return self.dropout(torch.relu(self.self_lin(h) + self.nb_lin(agg)))


class _Head(nn.Module):
    """MLP plus a linear skip: (B, W) -> (B,); outputs 0 at initialisation."""

    def __init__(self, width, hidden_dim, dropout):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, 1),
        )
        self.linear = nn.Linear(width, 1, bias=False)
        # Start from the baseline offset: zero output, gradients still flow
        # through the last layers into the rest of the network.
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        nn.init.zeros_(self.linear.weight)

    def forward(self, e):
        return (self.mlp(e) + self.linear(e)).squeeze(1)  # (B,)


class _PairTower(nn.Module):
    """One network: pair embedding in both orders and the two heads -> (B,)."""

    def __init__(
        self,
        architecture,
        n_channels,
        n_scalars,
        n_graph_scalars,
        n_node_features,
        cnn_channels,
        cnn_dim,
        gnn_layers,
        hidden_dim,
        dropout,
    ):
        super().__init__()
        self.use_image = architecture in ("full", "image")
        self.use_graph = architecture in ("full", "graph", "no_image")
        self.use_scalars = architecture in ("full", "no_image")
        width = 0
        if self.use_image:
            self.cnn = PairCNN(n_channels, cnn_channels, cnn_dim, dropout)
            width += cnn_dim
        if self.use_graph:
            self.node_in = nn.Sequential(
                nn.Linear(n_node_features, hidden_dim), nn.ReLU()
            )
            self.gnn = nn.ModuleList(
                [MeanMessagePassing(hidden_dim, dropout) for _ in range(gnn_layers)]
            )
            width += 3 * hidden_dim + n_graph_scalars
        if self.use_scalars:
            width += n_scalars
        self.symmetric = _Head(width, hidden_dim, dropout)
        self.antisymmetric = _Head(width, hidden_dim, dropout)

    def node_embeddings(self, x, edge_index, inv_degree):
        """Embed every node of Ĝ0 from its features x (P, F): (P, hidden_dim)."""
        h = self.node_in(x)  # (P, D)
        for layer in self.gnn:
            h = h + layer(h, edge_index, inv_degree)
        return h

    def _embed(self, hi, hj, graph_scalars, scalars, images):
        parts = []
        if self.use_image:
            parts.append(self.cnn(images))  # (B, cnn_dim)
        if self.use_graph:
            parts += [hi, hj, hi * hj, graph_scalars]  # (B, 3D + G)
        if self.use_scalars:
            parts.append(scalars)  # (B, F)
        return torch.cat(parts, dim=1)  # (B, W)

    def forward(
        self, graph, src, dst, scalars, scalars_rev, graph_scalars, images, mask_src
    ):
        hi = hj = None
        if self.use_graph:
            nodes, masked, edge_index, inv_degree = graph
            h = self.node_embeddings(nodes, edge_index, inv_degree)  # (P, D)
            hi, hj = h[src], h[dst]  # (B, D) each
            if mask_src is not None and bool(mask_src.any()):
                hm = self.node_embeddings(masked, edge_index, inv_degree)[src]
                hi = torch.where(mask_src[:, None], hm, hi)
        images_rev = None if images is None else images.transpose(-1, -2)
        e_ij = self._embed(hi, hj, graph_scalars, scalars, images)  # (B, W)
        e_ji = self._embed(hj, hi, graph_scalars, scalars_rev, images_rev)
        sym = self.symmetric(e_ij) + self.symmetric(e_ji)  # (B,)
        anti = self.antisymmetric(e_ij) - self.antisymmetric(e_ji)  # (B,)
        return sym + anti


class CausalPairModule(nn.Module):
    """Logit of ``i -> j`` from the pair image, node embeddings and pair scalars.

    The pair is embedded in both orders, ``e_ij`` and ``e_ji`` (transposed
    image, swapped node embeddings and scalars), and the logit is split into
    a symmetric part (is there an edge between i and j?) and an
    antisymmetric part (which way does it point?)::

        logit(i -> j) = offset + s(e_ij) + s(e_ji) + o(e_ij) - o(e_ji)

    so a known edge ``i -> j`` and its absent reverse ``j -> i`` teach the
    orientation head directly. ``offset`` (symmetric, from the estimator's
    baseline) is 0 when not given; both heads output 0 at initialisation.

    With ``n_networks = M > 1`` the module holds M such networks (towers),
    each with its own weights, and the residual ``s + o`` is their mean. A
    pair's ``fold`` says which network must not learn from it (cross-fitting
    over the labelled pairs): in training mode, with ``fold`` given, the
    module returns the ``(B, M)`` logits of every network and the criterion
    leaves out each pair's own fold; in evaluation mode a pair with a fold in
    ``[0, M)`` gets the logit of the network that did not train on it (an
    out-of-fold logit), any other pair the mean.

    Pairs flagged by ``mask_src`` embed ``i`` from the *masked* node
    features (knock-out columns of ``i`` set as if it was never knocked
    out, see :meth:`set_graph`): the estimator uses it to teach the network
    to score causes whose knock-outs it has not seen.

    Parameters
    ----------
    architecture : {"full", "image", "graph", "no_image"}
        ``"full"``: CNN + GNN + all pair scalars; ``"image"``: CNN only;
        ``"graph"``: GNN node embeddings + Ĝ0 pair scalars; ``"no_image"``:
        GNN + all pair scalars.
    n_channels, image_size : int
        Image shape (C, S, S).
    n_scalars, n_graph_scalars, n_node_features : int
        Widths of the data scalars, the Ĝ0 pair scalars and node features.
    cnn_channels, cnn_dim, gnn_layers, hidden_dim : int
        Sizes of the towers and of the heads.
    dropout : float
    n_networks : int, default=1
        Independent networks whose residuals are averaged.

    Examples
    --------
    >>> import torch
    >>> from skdyncausal.causal import CausalPairModule
    >>> module = CausalPairModule(architecture="no_image", n_scalars=3,
    ...                           n_graph_scalars=1, n_node_features=2,
    ...                           hidden_dim=4)
    >>> module.set_graph(torch.zeros(3, 2), torch.tensor([[0, 1], [1, 0]]))
    >>> logits = module(
    ...     src=torch.tensor([0, 1]),
    ...     dst=torch.tensor([1, 2]),
    ...     scalars=torch.zeros(2, 3),
    ...     scalars_rev=torch.zeros(2, 3),
    ...     graph_scalars=torch.zeros(2, 1),
    ...     offset=torch.tensor([0.5, -1.0]),
    ... )
    >>> logits.shape, logits.tolist()  # the heads start at zero: the offset
    (torch.Size([2]), [0.5, -1.0])
    """

    def __init__(
        self,
        architecture="full",
        n_channels=2,
        image_size=16,
        n_scalars=17,
        n_graph_scalars=3,
        n_node_features=18,
        cnn_channels=8,
        cnn_dim=8,
        gnn_layers=2,
        hidden_dim=64,
        dropout=0.1,
        n_networks=1,
    ):
        super().__init__()
        self.architecture = architecture
        self.n_networks = int(n_networks)
        self.towers = nn.ModuleList(
            [
                _PairTower(
                    architecture,
                    n_channels,
                    n_scalars,
                    n_graph_scalars,
                    n_node_features,
                    cnn_channels,
                    cnn_dim,
                    gnn_layers,
                    hidden_dim,
                    dropout,
                )
                for _ in range(self.n_networks)
            ]
        )
        self.register_buffer("node_features", torch.zeros(0, n_node_features))
        self.register_buffer("edge_index", torch.zeros(2, 0, dtype=torch.long))
        self.register_buffer("inv_degree", torch.zeros(0))
        self.register_buffer("masked_node_features", torch.zeros(0, n_node_features))

    def set_graph(self, node_features, edge_index, masked_node_features=None):
        """Store Ĝ0: node features (P, F) float, edge list (2, E) long.

        ``masked_node_features`` (P, F): the node features with every
        variable's own knock-out columns neutralised (default: the same).
        """
        device = self.inv_degree.device
        self.node_features = node_features.to(device=device, dtype=torch.float32)
        if masked_node_features is None:
            masked_node_features = node_features
        self.masked_node_features = masked_node_features.to(
            device=device, dtype=torch.float32
        )
        self.edge_index = edge_index.to(device=device, dtype=torch.long)
        degree = torch.zeros(len(node_features), device=device)
        ones = torch.ones(self.edge_index.shape[1], device=device)
        degree.index_add_(0, self.edge_index[0], ones)
        self.inv_degree = 1.0 / degree.clamp(min=1.0)

    def forward(
        self,
        src,
        dst,
        scalars,
        scalars_rev,
        graph_scalars,
        images=None,
        offset=None,
        mask_src=None,
        fold=None,
    ):
        # src, dst: (B,) long; scalars, scalars_rev: (B, F) of (i, j) and (j, i);
        # graph_scalars: (B, G) symmetric; images: (B, C, S, S) or None;
        # offset: (B,) baseline logits, (B, M) one per network, or None;
        # mask_src: (B,) bool or None;
        # fold: (B,) long or None, the network that must not learn the pair
        graph = (
            self.node_features,
            self.masked_node_features,
            self.edge_index,
            self.inv_degree,
        )
        inputs = (src, dst, scalars, scalars_rev, graph_scalars, images, mask_src)

        def run(tower, rows=None):
            if rows is None:
                return tower(graph, *inputs)
            picked = [None if v is None else v[rows] for v in inputs]
            return tower(graph, *picked)

        if offset is not None and offset.dim() == 1:  # one baseline for all
            offset = offset[:, None].expand(-1, self.n_networks)
        M = self.n_networks
        if fold is not None and self.training:  # every network: (B, M)
            logits = torch.stack([run(t) for t in self.towers], dim=1)
            return logits if offset is None else logits + offset
        # the network of each pair: its fold's, or -1 for the mean of all
        use = torch.full_like(src, -1) if fold is None or M == 1 else fold.long()
        use = torch.where((use >= 0) & (use < M), use, -1)
        logits = torch.zeros(len(src), dtype=torch.float32, device=src.device)
        for k, tower in enumerate(self.towers):
            rows = (use == k) | (use < 0)
            if not bool(rows.any()):
                continue
            whole = bool(rows.all())
            z = run(tower, None if whole else rows)
            if offset is not None:
                z = z + (offset[:, k] if whole else offset[rows, k])
            weight = torch.where((use if whole else use[rows]) == k, 1.0, 1.0 / M)
            if whole:
                logits = logits + weight * z
            else:
                logits[rows] += weight * z
        return logits


#: Pairs per inference pass: the CNN's activations of this many pair images
#: (about 50 MB) are the largest transient of prediction.
INFERENCE_PAIRS = 1024


def pair_probabilities(module, feats, device, step, *, logits=False):
    """P(i -> j) of a block of scaled pair features, ``step`` pairs a pass.

    feats: dict of arrays (m, ...) as the module's keyword inputs -> (m,)
    float64 numpy array; the logits instead with ``logits=True``.
    """
    link = (lambda z: z) if logits else torch.sigmoid
    module.eval()
    n = len(feats["src"])
    out = torch.empty(n, dtype=torch.float64)
    with torch.no_grad():
        for s in range(0, n, step):
            batch = {
                k: torch.as_tensor(v[s : s + step]).to(device)
                for k, v in feats.items()
                if v is not None
            }
            # the link in float64: a float32 sigmoid rounds every logit above
            # ~17 to exactly 1 and would tie the strongest pairs
            out[s : s + step] = link(module(**batch).double()).cpu()
    return out.numpy()
