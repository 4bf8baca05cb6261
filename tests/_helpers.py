"""Shared test helpers: tiny estimator configurations (fit in about a second), a
check of what skorch maps to the CPU when a pickled net is loaded, and the
causal score computed from its documented definition."""

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

# The small dynamics configuration of the dynamics tests (a few seconds per fit).
DYN_SMALL = dict(
    n_context=4,
    latent_dim=4,
    token_dim=16,
    hidden_dim=32,
    conv_channels=4,
    n_heads=2,
    n_layers=2,
    n_frequencies=4,
    max_epochs=2,
    batch_size=8,
    n_posterior_samples=4,
    random_state=0,
)

DYN_TINY = dict(
    n_context=3,
    latent_dim=2,
    token_dim=8,
    hidden_dim=8,
    conv_channels=2,
    n_heads=2,
    n_layers=1,
    n_frequencies=2,
    max_epochs=2,
    batch_size=4,
    n_posterior_samples=3,
    random_state=0,
)
CAUSAL_TINY = dict(
    image_size=4,
    hidden_dim=4,
    cnn_channels=2,
    gnn_layers=1,
    max_epochs=2,
    batch_size=32,
    n_networks=1,
    random_state=0,
)


def tensors_outside_device_mapping(net):
    """Paths of tensors in ``net`` that skorch pickles without map_location."""
    # module_, criterion_, optimizer_; not the parameters they are built from:
    # a criterion passed as an instance keeps its own tensors.
    mapped = set(net.cuda_dependent_attributes_)
    found = []

    def walk(obj, path, depth):
        if isinstance(obj, torch.Tensor):
            found.append(path)
        elif depth < 6 and isinstance(obj, torch.nn.Module):
            for name, value in obj.state_dict(keep_vars=True).items():
                walk(value, f"{path}.{name}", depth + 1)
        elif depth < 6 and isinstance(obj, dict | list | tuple):
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for key, value in items:
                walk(value, f"{path}[{key!r}]", depth + 1)

    for name, value in vars(net).items():
        if name not in mapped and not name.startswith("callbacks"):
            walk(value, name, 0)
    return found


def held_out_auroc(est, X):
    """What ``CausalStructureEstimator.score(X)`` documents, from predict_proba.

    The AUROC of ``predict_proba(X)`` on ``validation_pairs_``, or on all
    labelled pairs when the held-out ones lack a label. For one network
    (``n_networks=1``); with several, each held-out pair is scored by the
    network of its fold, which ``predict_proba`` does not show.
    """
    pairs = est.validation_pairs_
    if len(pairs) == 0 or len(np.unique(pairs[:, 2])) < 2:
        pairs = np.vstack([est.train_pairs_, pairs])
    src, dst = pairs[:, 0].astype(int), pairs[:, 1].astype(int)
    return roc_auc_score(pairs[:, 2], est.predict_proba(X)[src, dst])


def sines(n=20, n_times=12, seed=0, t_end=6.0):
    """Unit circles traversed at random speeds and phases: (n, n_times, 2), t."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, t_end, n_times)
    arg = rng.uniform(0.8, 1.4, (n, 1)) * t + rng.uniform(0, 2 * np.pi, (n, 1))
    return np.stack([np.sin(arg), np.cos(arg)], axis=-1), t
