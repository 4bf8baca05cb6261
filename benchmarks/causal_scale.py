"""Scaling of causal-structure scoring with the number of variables.

For each p, simulate ``make_sem(n_samples=500, n_variables=p,
mechanism="linear", n_interventions=p // 10)`` (10 knock-out rows per
target), reveal 10 % of the ordered pairs of the true adjacency with
``make_prior(adjacency, fraction=0.1)``, and score all pairs with

- ours: ``CausalStructureEstimator(random_state=0[, max_epochs=...])
  .fit(X, prior=prior, interventions=interventions).predict_proba()``;
- ``PartialCorr``: absolute partial correlations from the Ledoit-Wolf
  shrunk precision matrix of the standardised data
  (:func:`skdyncausal.causal.partial_correlation_scores`; symmetric, no
  prior, a cheap baseline);
- the peers of ``benchmarks/peers.py`` (PC, GES, DirectLiNGAM, DAGMA), each
  with the prior as its API allows.

Every method is taken from the registry of ``benchmarks/peers.py``
(``peers.get_scorer``), shared with the other causal benchmarks.

Every (method, p) runs in a fresh Python subprocess, so its peak resident
memory (``VmHWM`` of that process on Linux, read by the process itself) is not
polluted by other runs. The reported time is the wall time of the scoring
call alone (fit + predict), without interpreter start-up, imports and data
loading; the per-run budget (``--budget``) covers the whole subprocess, which
is killed when it runs out and reported as "did not finish within N s".
Once a method fails to finish at some p it is not run at larger p. A peer
is also not started at p when its time at the previous p, scaled by
``(p / p_prev) ** 2``, already exceeds the budget, provided that previous
time was at least :data:`EXTRAPOLATE_FROM_S` seconds: each peer does at
least a fixed amount of work per pair of variables in every run (PC tests
every pair, GES scores every edge insertion, DirectLiNGAM compares every
pair at each of its p steps, DAGMA multiplies p x p matrices at every
step), so once fixed start-up costs are negligible the scaled time is a
lower bound. Ours is never skipped this way: its training is capped at
``max_train_pairs`` pairs, so its time grows more slowly than the pairs.
``--no-extrapolate`` runs every method until the budget kills it.

Each run is limited to ``--threads`` threads (default 1: the OMP/MKL/OpenBLAS
thread variables of the worker process, which torch also follows under
ours' default ``torch_threads=None``), so that every method gets the same
share of the machine. Times are also given as ratios to ``ours`` at the same p.

Accuracy (AUROC, AUPRC, orientation accuracy) is measured on the unlabelled
pairs only (``mask = np.isnan(prior)``).

Outputs (``--out``, default ``benchmarks/results``): ``causal_scale.md``,
``causal_scale.csv`` and ``causal_scale.png`` (log-log time against the
number of ordered pairs ``p (p - 1)``, with fitted slopes).

Examples, from the repository root
----------------------------------
    python -m benchmarks.causal_scale --quick            # p in {100, 300}
    python -m benchmarks.causal_scale                    # p in {100, ..., 2000}
    python -m benchmarks.causal_scale --p 100 300 --methods PC DAGMA --budget 120
    python -m benchmarks.causal_scale --p 1000 5000 10000 --float32 \
        --methods ours:screen PartialCorr --threads 2 --budget 3600

``ours:screen`` (on request, like ``ours:dask``) scores only the screened
candidate pairs and returns them as a sparse matrix (see ``benchmarks/peers.py``);
its rows add the number of pairs kept and the share of the true edges among
the unlabelled pairs that the screen kept. ``--float32`` passes X to every
method as float32.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import sparse

from benchmarks import peers  # the registry of methods

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: How this script is run (and runs its workers): ``python -m MODULE``.
MODULE = f"benchmarks.{Path(__file__).stem}"
DEFAULT_P = (100, 300, 1000, 2000)
QUICK_P = (100, 300)
OURS = "ours"
PARTIAL_CORR = "PartialCorr"
PEER_NAMES = peers.PEER_NAMES
ALL_METHODS = (OURS, PARTIAL_CORR, *PEER_NAMES)
#: Ours on a local Dask cluster: on request only (``--methods ... ours:dask``).
OURS_DASK = "ours:dask"
#: Ours on the screened candidate pairs, with the sparse output: on request
#: only (``--methods ... ours:screen``), for p where p² values do not fit.
OURS_SCREEN = "ours:screen"
OPT_IN = (OURS_DASK, OURS_SCREEN)
#: Methods that may be skipped by extrapolation (see the module docstring),
#: and the shortest previous time to extrapolate from.
EXTRAPOLATED = PEER_NAMES
EXTRAPOLATE_FROM_S = 30.0
#: Thread-count variables of the BLAS/OpenMP runtimes, set per worker process.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# ---------------------------------------------------------------------------
# Worker side: one (method, p) per process
# ---------------------------------------------------------------------------


def _peak_rss_mib():
    """Peak resident set size of this process so far, in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``, which starts afresh
    at ``exec``; ``ru_maxrss`` is kept across ``fork`` + ``exec`` and would
    report the parent's peak when that is larger. Elsewhere ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _worker(args):
    """Run one method on one data file; write scores and a JSON record."""
    result = {"method": args.worker, "status": "error", "message": ""}
    out = Path(args.result)
    try:
        try:
            score = peers.get_scorer(
                args.worker, random_state=args.seed, max_epochs=args.max_epochs
            )
        except ImportError as exc:
            result["status"] = "unavailable"
            result["message"] = f"{type(exc).__name__}: {exc}"
            return
        data = np.load(args.data)
        X, prior, interventions = data["X"], data["prior"], data["interventions"]
        if args.worker in PEER_NAMES:
            result["prior_note"] = peers.prior_adjustment(args.worker, prior)
        result["base_rss_mib"] = _peak_rss_mib()
        # When the scoring call starts (wall clock), for the parent to bound
        # the time of a call that it kills at the budget.
        out.with_suffix(".start").write_text(repr(time.time()))
        start = time.perf_counter()
        try:
            scores = score(X, prior, interventions)
        except Exception as exc:
            skipped = type(exc).__name__ == "PeerSkipped"
            result["status"] = "skipped" if skipped else "error"
            result["message"] = f"{type(exc).__name__}: {exc}"
            return
        result["time_s"] = time.perf_counter() - start
        result["peak_rss_mib"] = _peak_rss_mib()
        if sparse.issparse(scores):  # a sparse output: what it holds is kept
            result["kept_pairs"] = int(scores.nnz)
            sparse.save_npz(out.with_suffix(".npz"), sparse.csr_matrix(scores))
        else:
            np.save(out.with_suffix(".npy"), np.asarray(scores, dtype=float))
        result["status"] = "ok"
    finally:
        out.write_text(json.dumps(result))


# ---------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------


def _simulate(p, n_samples, seed, path, graph="er", float32=False):
    from skdyncausal.datasets import make_prior, make_sem

    data = make_sem(
        n_samples=n_samples,
        n_variables=p,
        graph=graph,
        mechanism="linear",
        n_interventions=p // 10,
        random_state=seed,
    )
    prior = make_prior(data.adjacency, fraction=0.1, random_state=seed)
    # float32 holds the prior's 0 / 1 / NaN exactly, in half the memory
    np.savez(
        path,
        X=data.X.astype(np.float32) if float32 else data.X,
        prior=prior.astype(np.float32),
        interventions=data.interventions,
    )
    return data.adjacency, prior, data.X.shape[0]


def _run_one(method, data_path, result_path, args):
    """Run a worker subprocess under the budget; return its record."""
    cmd = [
        sys.executable,
        "-m",
        MODULE,
        "--worker",
        method,
        "--data",
        str(data_path),
        "--result",
        str(result_path),
        "--seed",
        str(args.seed),
    ]
    if args.max_epochs is not None:
        cmd += ["--max-epochs", str(args.max_epochs)]
    env = dict(os.environ)
    if args.threads is not None:
        for name in THREAD_VARS:
            env[name] = str(args.threads)
    start = time.perf_counter()
    start_stamp = Path(result_path).with_suffix(".start")
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,  # where ``python -m benchmarks...`` finds the package
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        log, _ = proc.communicate(timeout=args.budget)
    except subprocess.TimeoutExpired:
        killed = time.time()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        record = {
            "method": method,
            "status": "timeout",
            "message": f"did not finish within {args.budget:g} s",
        }
        if start_stamp.exists():
            # The scoring call ran at least this long before it was killed.
            record["time_lower_bound_s"] = killed - float(start_stamp.read_text())
        return record
    wall = time.perf_counter() - start
    if not Path(result_path).exists():
        tail = " | ".join(log.strip().splitlines()[-3:])
        return {
            "method": method,
            "status": "error",
            "message": f"worker exited with code {proc.returncode}: {tail}",
        }
    record = json.loads(Path(result_path).read_text())
    record["process_wall_s"] = wall
    return record


def _load_scores(result_path):
    """A worker's scores as a dense array; a sparse output's missing pairs are 0."""
    path = result_path.with_suffix(".npz")
    if path.exists():
        return sparse.load_npz(path).toarray().astype(float)
    return np.load(result_path.with_suffix(".npy"))


def _metrics(adjacency, scores, mask):
    from skdyncausal.metrics import (
        edge_average_precision,
        edge_orientation_accuracy,
        edge_roc_auc,
    )

    values = {}
    for key, metric in (
        ("auroc", edge_roc_auc),
        ("auprc", edge_average_precision),
        ("orientation", edge_orientation_accuracy),
    ):
        try:
            values[key] = float(metric(adjacency, scores, mask=mask))
        except ValueError:
            values[key] = float("nan")
    return values


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _skdyncausal_version():
    try:
        import skdyncausal
    except ImportError:
        return "not importable"
    return f"{skdyncausal.__version__} ({Path(skdyncausal.__file__).parent})"


def _machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
        ram = f"{ram:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        ram = "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "CPU": f"{cpu}; {os.cpu_count()} logical CPUs ({usable} usable)",
        "RAM": ram,
        "OS": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "scikit-learn": _version("scikit-learn"),
        "torch": _version("torch"),
        "skdyncausal": _skdyncausal_version(),
        "causal-learn": _version("causal-learn"),
        "lingam": _version("lingam"),
        "dagma": _version("dagma"),
    }


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return format(value, spec)


def _slope(rows, method):
    pts = [
        (r["n_pairs"], r["time_s"])
        for r in rows
        if r["method"] == method and r["status"] == "ok" and r["time_s"] > 0
    ]
    if len(pts) < 2:
        return None
    x, y = np.log10(np.array(pts, dtype=float)).T
    return float(np.polyfit(x, y, 1)[0])


def _plot(rows, methods, budget, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for k, method in enumerate(methods):
        done = [r for r in rows if r["method"] == method and r["status"] == "ok"]
        late = [
            r
            for r in rows
            if r["method"] == method and r.get("time_lower_bound_s") is not None
        ]
        if not done and not late:
            continue
        color = f"C{k}"
        slope = _slope(rows, method)
        label = method if slope is None else f"{method} (slope {slope:.2f})"
        if done:
            ax.plot(
                [r["n_pairs"] for r in done],
                [r["time_s"] for r in done],
                "o-",
                color=color,
                label=label,
                lw=2.5 if method == OURS else 1.5,
            )
        if late:
            ax.plot(
                [r["n_pairs"] for r in late],
                [r["time_lower_bound_s"] for r in late],
                "^",
                color=color,
                mfc="none",
                ms=9,
                label=None if done else f"{method} (no finished run)",
            )
    ax.axhline(budget, color="0.6", ls=":", lw=1)
    # x in axes coordinates: the label stays at the left edge once x is log
    ax.text(
        0.01,
        budget,
        f"budget {budget:g} s",
        va="bottom",
        fontsize=8,
        transform=ax.get_yaxis_transform(),
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of ordered pairs p (p − 1)")
    ax.set_ylabel("wall time of fit + predict (s)")
    ax.set_title(
        "Scaling: time vs pairs (hollow △ = lower bound, not finished)", fontsize=10
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _summary(rows, methods):
    """Method x p table: 'time s (ratio to ours), AUPRC', or why not."""
    ps = sorted({r["p"] for r in rows})
    lines = [
        "| method | " + " | ".join(f"p = {p}" for p in ps) + " |",
        "|---|" + "---|" * len(ps),
    ]
    for method in methods:
        cells = []
        for p in ps:
            r = next((r for r in rows if r["method"] == method and r["p"] == p), None)
            if r is None:
                cells.append("")
            elif r["status"] == "ok":
                ratio = r.get("time_ratio_vs_ours")
                ratio = "" if ratio is None else f" ({ratio:.2g}x)"
                cells.append(f"{r['time_s']:.1f} s{ratio}, {_fmt(r['auprc'], '.3f')}")
            elif r.get("time_lower_bound_s") is not None:
                sign = ">" if r["status"] == "timeout" else "≥"
                what = "killed" if r["status"] == "timeout" else "not started"
                ratio = r.get("ratio_lower_bound_vs_ours")
                ratio = "" if ratio is None else f" ({sign} {ratio:.2g}x)"
                cells.append(f"{what}: {sign} {r['time_lower_bound_s']:.0f} s{ratio}")
            else:
                cells.append(r["status"])
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def _write_outputs(rows, args, command, machine, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    fields = [
        "method",
        "p",
        "n_pairs",
        "n_rows",
        "status",
        "time_s",
        "time_ratio_vs_ours",
        "time_lower_bound_s",
        "ratio_lower_bound_vs_ours",
        "peak_rss_mib",
        "base_rss_mib",
        "auroc",
        "auprc",
        "orientation",
        "kept_pairs",
        "edge_recall_kept",
        "message",
        "prior_note",
    ]
    with open(out_dir / "causal_scale.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in fields})

    methods = [m for m in args.methods if any(r["method"] == m for r in rows)]
    _plot(rows, methods, args.budget, out_dir / "causal_scale.png")

    lines = [
        "# Causal structure: scaling with the number of variables",
        "",
        "Generated by `benchmarks/causal_scale.py`.",
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in machine.items()]
    lines += [
        "",
        "## Setting",
        "",
        f"- Data: `make_sem(n_samples={args.n_samples}, n_variables=p, "
        f'graph="{args.graph}", mechanism="linear", n_interventions=p // 10, '
        f"random_state={args.seed})` "
        f"({'ER' if args.graph == 'er' else 'scale-free (Barabási–Albert, hubs)'} "
        "graph, expected degree 2, Gaussian noise, snr 1, 10 rows per "
        "knock-out, standardized), so each data set has "
        f"{args.n_samples} + p rows"
        + (
            "; X is passed to every method as float32 (`--float32`: half "
            "the memory of float64)."
            if args.float32
            else "."
        ),
        "- Prior: `make_prior(adjacency, fraction=0.1)` as float32 (0 / 1 / "
        "NaN exactly): 10 % of the ordered "
        "pairs labelled with their true direct-edge label. AUROC, AUPRC and "
        "orientation accuracy are computed on the other 90 % (the unlabelled "
        "pairs).",
        "- Ours: `CausalStructureEstimator(random_state="
        f"{args.seed}"
        + (f", max_epochs={args.max_epochs}" if args.max_epochs is not None else "")
        + ").fit(X, prior=prior, interventions=interventions).predict_proba()`.",
        *(
            [
                f"- {OURS_DASK}: ours with `n_jobs=2` inside "
                '`joblib.parallel_config(backend="dask")`, its pair-feature '
                "blocks on a `distributed.LocalCluster` of two worker processes "
                "with one thread each (started before the timed call); the "
                "recipe of the user guide for a real cluster, on this machine. "
                "Its peak RSS is that of the client process only."
            ]
            if OURS_DASK in args.methods
            else []
        ),
        *(
            [
                f"- {OURS_SCREEN}: ours scored with `predict_proba_sparse("
                f"threshold=0, screen={peers.SCREEN})`: only the candidate pairs "
                f"(each variable's {peers.SCREEN} strongest partners by |partial "
                "corr|, by |corr| and by knock-out shift, in both orders) go "
                "through the network, and all of them are returned as a sparse "
                "matrix; a pair left out scores 0 in the metrics. 'kept' is the "
                "number of pairs returned, 'edge recall' the share of the true "
                "edges among the unlabelled pairs that the screen kept."
            ]
            if OURS_SCREEN in args.methods
            else []
        ),
        "- PartialCorr: absolute partial correlations from the Ledoit-Wolf "
        "precision matrix of the standardised data "
        "(`skdyncausal.causal.partial_correlation_scores`; symmetric: "
        "orientation accuracy is 0.5 by design).",
        "- Peers (`benchmarks/peers.py`), all rows as i.i.d. samples: PC "
        "(causal-learn, Fisher-z, alpha 0.05, prior as required/forbidden "
        "edges; CPDAG scored 1 directed / 0.5 undirected / 0 absent), GES "
        "(causal-learn, BIC; takes no prior; same CPDAG scoring), DirectLiNGAM "
        "(prior 1s as known paths, order constraints on cycles dropped; scores "
        "|B|), DAGMA (linear, lambda1 0.02, prior as excluded/included edges; "
        "scores |W|). A reduced prior is noted in the status column.",
        "- All methods in this one run, one after another on the same data set "
        "per p, each in its own fresh process. Threads: "
        + (
            f"{args.threads} per run ({', '.join(THREAD_VARS)} = {args.threads} "
            "in the worker, which torch follows under ours' default "
            "`torch_threads=None`)."
            if args.threads is not None
            else "as set in the environment (ours: torch's setting)."
        ),
        "- Time: wall time of the scoring call only. Peak RSS: `VmHWM` of "
        "the run's own fresh process (includes the interpreter, imports and "
        "data, shown as 'base' = peak before the call).",
        f"- Budget: {args.budget:g} s per run, for its whole process. A run over "
        "budget was killed (its time is shown as '> t', the time its scoring "
        "call had run), and the method was not run at larger p. "
        + (
            "No method was started without an expected finish (--no-extrapolate)."
            if args.no_extrapolate
            else "A peer was not started at p when its time at the previous p "
            f"(if at least {EXTRAPOLATE_FROM_S:g} s) times (p / p_prev)² already "
            "exceeded the budget (shown as '≥ t'): each peer does at least a "
            "fixed amount of work per pair in every run (PC tests every pair, GES "
            "scores every edge insertion, DirectLiNGAM compares every pair at "
            "each of its p steps, DAGMA multiplies p x p matrices at every step), "
            "so this is a lower bound on its time. Ours is always run (its "
            "training is capped at max_train_pairs pairs)."
        ),
        "- Time ratio: time of the method / time of ours at the same p "
        "(ours:screen when ours is not in the run; > 1 means slower than "
        "ours); '>' and '≥' are the lower bounds above divided by ours.",
        "",
        "## Summary: time (ratio to ours) and AUPRC",
        "",
        *_summary(rows, methods),
        "",
        "## Results",
        "",
        "| method | p | pairs | status | time (s) | ratio vs ours | peak RSS "
        "(MiB) | base RSS (MiB) | AUROC | AUPRC | orientation | kept | "
        "edge recall |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        status = r["status"] if r["status"] == "ok" else r.get("message", r["status"])
        if r.get("prior_note"):
            status += f" ({r['prior_note']})"
        time_cell = _fmt(r.get("time_s"), ".2f")
        ratio_cell = _fmt(r.get("time_ratio_vs_ours"), ".2f")
        bound = r.get("time_lower_bound_s")
        if r["status"] != "ok" and bound is not None:
            sign = ">" if r["status"] == "timeout" else "≥"
            time_cell = f"{sign} {bound:.0f}"
            if r.get("ratio_lower_bound_vs_ours") is not None:
                ratio_cell = f"{sign} {r['ratio_lower_bound_vs_ours']:.1f}"
        lines.append(
            f"| {r['method']} | {r['p']} | {r['n_pairs']} | {status} | "
            f"{time_cell} | {ratio_cell} | "
            f"{_fmt(r.get('peak_rss_mib'), '.0f')} | "
            f"{_fmt(r.get('base_rss_mib'), '.0f')} | "
            f"{_fmt(r.get('auroc'), '.3f')} | {_fmt(r.get('auprc'), '.3f')} | "
            f"{_fmt(r.get('orientation'), '.3f')} | "
            f"{_fmt(r.get('kept_pairs'), 'd')} | "
            f"{_fmt(r.get('edge_recall_kept'), '.3f')} |"
        )
    lines += ["", "## Not finished", ""]
    unfinished = []
    for method in methods:
        first = next(
            (
                r
                for r in rows
                if r["method"] == method and r["status"] not in ("ok", "not run")
            ),
            None,
        )
        if first is not None:
            mine = [r for r in rows if r["method"] == method]
            done = [str(r["p"]) for r in mine if r["status"] == "ok"]
            unfinished.append(
                f"- {method}: finished at p = {', '.join(done) or 'none'}; "
                f"at p = {first['p']}: {first.get('message', first['status'])}; "
                "not run at larger p."
            )
    lines += unfinished or ["- every method finished at every p."]
    lines += ["", "## Scaling", "", "![time vs pairs](causal_scale.png)", ""]
    for method in methods:
        slope = _slope(rows, method)
        if slope is not None:
            lines.append(
                f"- {method}: time ∝ (pairs)^{slope:.2f} (least-squares slope "
                "of log time on log pairs over its finished runs)"
            )
    if OURS in methods and _slope(rows, OURS) is None:
        lines.append(
            "- ours: no slope (fewer than two finished runs; see the status column)"
        )
    (out_dir / "causal_scale.md").write_text("\n".join(lines) + "\n")


def _parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--p", type=int, nargs="+", default=list(DEFAULT_P))
    parser.add_argument(
        "--quick", action="store_true", help=f"p in {set(QUICK_P)} (overrides --p)"
    )
    parser.add_argument("--n-samples", type=int, default=500)
    parser.add_argument(
        "--graph",
        choices=("er", "scale_free"),
        default="er",
        help="graph of make_sem: Erdős–Rényi or hub-dominated scale-free",
    )
    parser.add_argument(
        "--float32",
        action="store_true",
        help="pass X to every method as float32 (half the memory; for large p)",
    )
    parser.add_argument(
        "--budget", type=float, default=900.0, help="seconds per (method, p) run"
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=list(ALL_METHODS),
        choices=[*ALL_METHODS, *OPT_IN],
        metavar="METHOD",
        help=f"subset of {[*ALL_METHODS, *OPT_IN]} (default: all but {list(OPT_IN)})",
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="max_epochs of CausalStructureEstimator (default: its own default)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per run (OMP/MKL/OpenBLAS variables of the worker; "
        "0 leaves them as they are)",
    )
    parser.add_argument(
        "--no-extrapolate",
        action="store_true",
        help="run a method even when its previous time x (p / p_prev)^2 exceeds "
        "the budget",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads <= 0:
        args.threads = None
    return args


def main(argv=None):
    args = _parse(argv)
    if args.worker:
        _worker(args)
        return
    p_values = sorted(set(QUICK_P if args.quick else args.p))
    command = shlex.join(["python", "-m", MODULE, *sys.argv[1:]])
    machine = _machine()
    print(
        f"{command}\nmethods {args.methods}, p {p_values}, budget {args.budget:g} s, "
        f"threads {args.threads or 'as set'}"
    )
    rows, stopped, last_ok = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in p_values:
            data_path = Path(tmp) / f"data_p{p}.npz"
            adjacency, prior, n_rows = _simulate(
                p, args.n_samples, args.seed, data_path, args.graph, args.float32
            )
            mask = np.isnan(prior)
            for method in args.methods:
                base = {"method": method, "p": p, "n_pairs": p * (p - 1)}
                base["n_rows"] = n_rows
                if method in stopped:
                    rows.append(
                        {**base, "status": "not run", "message": stopped[method]}
                    )
                    print(
                        f"  p={p:5d} {method:<15} not run: {stopped[method]}",
                        flush=True,
                    )
                    continue
                if (
                    method in last_ok
                    and method in EXTRAPOLATED
                    and not args.no_extrapolate
                ):
                    p0, t0 = last_ok[method]
                    expected = t0 * (p / p0) ** 2
                    if t0 >= EXTRAPOLATE_FROM_S and expected > args.budget:
                        message = (
                            f"not started: ≥ {expected:.0f} s expected "
                            f"({t0:.0f} s at p={p0} x ({p}/{p0})²), over the "
                            f"{args.budget:g} s budget"
                        )
                        rows.append(
                            {
                                **base,
                                "status": "extrapolated",
                                "message": message,
                                "time_lower_bound_s": expected,
                            }
                        )
                        stopped[method] = f"not started at p={p} (see there)"
                        print(f"  p={p:5d} {method:<15} {message}", flush=True)
                        continue
                result_path = (
                    Path(tmp) / f"{method.strip('|').replace(' ', '_')}_{p}.json"
                )
                record = {**base, **_run_one(method, data_path, result_path, args)}
                if record["status"] == "ok":
                    last_ok[method] = (p, record["time_s"])
                    scores = _load_scores(result_path)
                    record.update(_metrics(adjacency, scores, mask))
                    if "kept_pairs" in record:
                        edges = (adjacency != 0) & mask
                        record["edge_recall_kept"] = float((scores[edges] > 0).mean())
                    del scores
                    print(
                        f"  p={p:5d} {method:<15} {record['time_s']:9.2f} s "
                        f"peak {record['peak_rss_mib']:7.0f} MiB "
                        f"AUROC {record['auroc']:.3f} AUPRC {record['auprc']:.3f}",
                        flush=True,
                    )
                else:
                    status, message = record["status"], record["message"]
                    print(f"  p={p:5d} {method:<15} {status}: {message}", flush=True)
                    reason = {
                        "timeout": f"did not finish within {args.budget:g} s at p={p}",
                        "unavailable": f"unavailable ({record['message']})",
                    }.get(record["status"], f"{record['status']} at p={p}")
                    stopped[method] = reason
                rows.append(record)
            # the reference of the time ratios: ours, else ours:screen
            ours = next(
                (
                    r
                    for name in (OURS, OURS_SCREEN)
                    for r in rows
                    if r["p"] == p and r["method"] == name and r["status"] == "ok"
                ),
                None,
            )
            for r in rows:
                if r["p"] != p or ours is None:
                    continue
                if r["status"] == "ok":
                    r["time_ratio_vs_ours"] = r["time_s"] / ours["time_s"]
                elif r.get("time_lower_bound_s") is not None:
                    r["ratio_lower_bound_vs_ours"] = (
                        r["time_lower_bound_s"] / ours["time_s"]
                    )
            # Write after every p so that a long run leaves partial results.
            _write_outputs(rows, args, command, machine, args.out)
    print(f"wrote {args.out / 'causal_scale.md'}, .csv and .png")


if __name__ == "__main__":
    main()
