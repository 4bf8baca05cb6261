"""Where the time of CausalStructureEstimator goes: features, training, inference.

Simulates the scale setting of ``benchmarks/causal_scale.py``
(``make_sem(500, p, mechanism="linear", n_interventions=p // 10)``, prior
``make_prior(adjacency, fraction=0.1)``), fits the estimator with its
default parameters and predicts all ``p (p - 1)`` ordered pairs, under
cProfile. Prints the wall time of fit and predict_proba, the split of the
profiled time into pair features (``pair_features`` and the per-data-matrix
preparation), network training (skorch's fit loop, less the features it
computes) and network inference, the number of epochs, the peak resident
memory of the process (``ru_maxrss``) and AUPRC / AUROC on the unlabelled
pairs against |pcorr| (``abs-pcorr`` of the registry in ``benchmarks/peers.py``).

Usage, from the repository root::

    python -m benchmarks.causal_profile --p 300
    python -m benchmarks.causal_profile --p 1000 --no-profile   # timing only
    python -m benchmarks.causal_profile --p 300 --top 30        # + cProfile table
"""

import argparse
import ast
import cProfile
import pstats
import resource
import sys
import time

import numpy as np

from benchmarks import peers  # the registry of methods
from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.metrics import edge_average_precision, edge_roc_auc


def _cumulative(stats, suffix):
    """Cumulative seconds of the functions whose ``file:function`` ends with suffix."""
    total = 0.0
    for (filename, _, name), row in stats.stats.items():
        if f"{filename}:{name}".endswith(suffix):
            total += row[3]
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=300)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-profile", action="store_true", help="timing only")
    parser.add_argument("--top", type=int, default=0, help="print a cProfile table")
    parser.add_argument(
        "--params", default="", help="estimator parameters, e.g. 'max_epochs=5'"
    )
    args = parser.parse_args(argv)
    params = {}
    for item in filter(None, args.params.split(",")):
        key, value = item.split("=")
        params[key.strip()] = ast.literal_eval(value.strip())

    p = args.p
    data = make_sem(
        args.n, p, mechanism="linear", n_interventions=p // 10, random_state=args.seed
    )
    prior = make_prior(data.adjacency, fraction=args.fraction, random_state=args.seed)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    est = CausalStructureEstimator(random_state=args.seed, **params)
    profiler = None if args.no_profile else cProfile.Profile()
    if profiler:
        profiler.enable()
    start = time.perf_counter()
    est.fit(data.X, prior=prior, interventions=data.interventions)
    fitted = time.perf_counter()
    P = est.predict_proba()
    done = time.perf_counter()
    if profiler:
        profiler.disable()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mask = np.isnan(prior)
    pc = peers.get_scorer("abs-pcorr")(data.X, prior, data.interventions)
    print(
        f"p={p} pairs={p * (p - 1)} labelled={int((~mask).sum() - p)} "
        f"train={len(est.train_pairs_)} epochs={len(est.history_)}\n"
        f"fit {fitted - start:.1f} s, predict_proba {done - fitted:.1f} s, "
        f"total {done - start:.1f} s; peak RSS {peak:.0f} MiB "
        f"(before fit {base_rss:.0f} MiB)\n"
        f"AUPRC {edge_average_precision(data.adjacency, P, mask=mask):.3f} "
        f"(|pcorr| {edge_average_precision(data.adjacency, pc, mask=mask):.3f}), "
        f"AUROC {edge_roc_auc(data.adjacency, P, mask=mask):.3f} "
        f"(|pcorr| {edge_roc_auc(data.adjacency, pc, mask=mask):.3f})"
    )
    if profiler:
        stats = pstats.Stats(profiler)
        prepare = _cumulative(stats, "_features.py:prepare_pair_data")
        features = _cumulative(stats, "_features.py:pair_features")
        fit_loop = _cumulative(stats, "skorch/net.py:fit_loop")
        predict_net = _cumulative(stats, "_estimator.py:_probabilities")
        fit_total = _cumulative(stats, "_estimator.py:fit")
        print(
            f"profile: features {prepare + features:.1f} s (prepare {prepare:.1f}, "
            f"pair blocks {features:.1f}), training {fit_loop:.1f} s, "
            f"inference {predict_net:.1f} s, other "
            f"{done - start - prepare - features - fit_loop - predict_net:.1f} s "
            f"(fit total {fit_total:.1f} s, profiler overhead included)"
        )
        if args.top:
            stats.sort_stats("cumulative").print_stats(args.top)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
