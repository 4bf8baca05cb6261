"""The ``skdyncausal`` command line.

Sub-commands::

    skdyncausal quickstart [--out DIR]
    skdyncausal causal DATA.csv --prior PRIOR.csv [--interventions COLUMN]
                       --out EDGES.csv [--matrix MATRIX.csv] [--plot GRAPH.png]
    skdyncausal dynamics fit DATA.npz --out MODEL.joblib
    skdyncausal dynamics predict MODEL.joblib CONTEXT.npz --times 0.1:5:0.1
                       --out PRED.npz

Bad input files stop with a one-line message that names the file and the problem,
exit status 2, and nothing half-written.
"""

import argparse
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """A problem with a user's file or argument: reported in one line, exit 2."""


# --------------------------------------------------------------------------- helpers
def _atomic_write(path, write):
    """Write through a temporary file in the target folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _parse_times(text):
    """``"a:b:step"`` (inclusive range) or ``"t1,t2,..."`` → float array."""
    try:
        if ":" in text:
            start, stop, step = (float(v) for v in text.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            return start + step * np.arange(n)
        return np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise InputError(
            f"--times {text!r}: expected 'start:stop:step' with step > 0 "
            "(e.g. 1.0:5.0:0.1) or a comma-separated list (e.g. 1.0,1.5,2.0)"
        ) from None


# ------------------------------------------------------------------------ quickstart
def _cmd_quickstart(args):
    from ._quickstart import run_quickstart

    run_quickstart(out=args.out, quick=args.quick, random_state=args.random_state)
    return 0


# ---------------------------------------------------------------------------- causal
_CAUSAL_HELP = textwrap.dedent(
    """\
    File formats
    ------------
    DATA.csv: one row per sample, one column per variable, a header of names:
        gene_a,gene_b,gene_c
        0.12,-1.3,0.4
        ...
    PRIOR.csv, either a p x p matrix with the variable names as header and as first
    column (1 = known edge row -> column, 0 = known absence, empty = unknown):
        ,gene_a,gene_b,gene_c
        gene_a,,1,
        gene_b,0,,
        gene_c,,,
    or an edge list with the columns cause,effect,label (label 1 or 0):
        cause,effect,label
        gene_a,gene_b,1
        gene_b,gene_a,0
    --interventions COLUMN names a column of DATA.csv that holds, for each row, the
    name of the variable knocked out in that row (empty for observational rows); the
    column is removed from the variables.
    EDGES.csv (written): cause,effect,probability,in_prior,prior_label, ranked by
    probability.
    """
)


def _read_csv(path, what):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(f"{path}: {what} file not found") from None
    except Exception as exc:  # pandas raises several parser errors
        raise InputError(f"{path}: cannot read {what} as CSV ({exc})") from None
    if frame.empty:
        raise InputError(f"{path}: {what} file has no rows")
    return frame


def _load_causal_data(path, intervention_column):
    frame = _read_csv(path, "data")
    interventions = None
    if intervention_column is not None:
        if intervention_column not in frame.columns:
            raise InputError(
                f"{path}: no column {intervention_column!r} for --interventions; "
                f"columns are {list(frame.columns)[:8]}"
            )
        labels = frame.pop(intervention_column)
        names = list(frame.columns)
        unknown = sorted(
            {str(v) for v in labels.dropna() if str(v) and str(v) not in names}
        )
        if unknown:
            raise InputError(
                f"{path}: column {intervention_column!r} names variables that are "
                f"not columns of the data: {unknown[:5]}"
            )
        position = {name: k for k, name in enumerate(names)}
        interventions = np.array(
            [position.get(str(v), -1) if isinstance(v, str) else -1 for v in labels]
        )
    from pandas.api.types import is_numeric_dtype

    bad = [c for c in frame.columns if not is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise InputError(
            f"{path}: non-numeric values in column(s) {bad[:5]}; every variable "
            "column must hold numbers"
        )
    if frame.isna().any().any():
        column = frame.columns[frame.isna().any()].tolist()[:5]
        raise InputError(f"{path}: missing values in column(s) {column}")
    if frame.shape[1] < 2:
        raise InputError(f"{path}: need at least 2 variable columns")
    return frame.astype(float), interventions


def _load_prior(path, names):
    import pandas as pd

    frame = _read_csv(path, "prior")
    columns = [str(c).strip().lower() for c in frame.columns]
    if columns[:3] == ["cause", "effect", "label"]:
        prior = pd.DataFrame(np.nan, index=names, columns=names)
        missing = sorted(
            (set(frame["cause"].astype(str)) | set(frame["effect"].astype(str)))
            - set(names)
        )
        if missing:
            raise InputError(
                f"{path}: edge list names variables not in the data: {missing[:5]}"
            )
        labels = pd.to_numeric(frame["label"], errors="coerce")
        if labels.isna().any() or not labels.isin([0, 1]).all():
            raise InputError(f"{path}: column 'label' must hold only 0 or 1")
        for cause, effect, label in zip(
            frame["cause"].astype(str), frame["effect"].astype(str), labels
        ):
            prior.loc[cause, effect] = float(label)
        return prior
    frame = frame.set_index(frame.columns[0])
    frame.index = frame.index.astype(str)
    frame.columns = frame.columns.astype(str)
    if set(frame.index) != set(names) or set(frame.columns) != set(names):
        extra = sorted((set(frame.index) | set(frame.columns)) - set(names))
        missing = sorted(set(names) - set(frame.columns))
        raise InputError(
            f"{path}: prior names do not match the data columns "
            f"(not in data: {extra[:5]}, missing from prior: {missing[:5]}); "
            "give a p x p matrix with the data's names as header and first column"
        )
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.notna() ^ frame.notna()
    known = values.to_numpy()[values.notna().to_numpy()]
    if bad.any().any() or not np.isin(known, [0, 1]).all():
        raise InputError(f"{path}: prior entries must be 1, 0 or empty")
    return values.loc[names, names]


def _cmd_causal(args):
    from .causal import CausalStructureEstimator
    from .metrics import edge_scores_to_frame

    data, interventions = _load_causal_data(args.data, args.interventions)
    names = list(map(str, data.columns))
    data.columns = names
    prior = _load_prior(args.prior, names)
    est = CausalStructureEstimator(
        max_epochs=args.max_epochs,
        n_jobs=args.n_jobs,
        verbose=args.verbose,
        random_state=args.random_state,
        device=args.device,
    )
    try:
        est.fit(data, prior=prior, interventions=interventions)
    except ValueError as exc:
        raise InputError(f"{args.prior}: {str(exc).splitlines()[0]}") from None
    proba = est.predict_proba()
    edges = edge_scores_to_frame(proba, variable_names=names, prior=prior.to_numpy())
    _atomic_write(args.out, lambda tmp: edges.to_csv(tmp, index=False))
    print(f"wrote {len(edges)} ranked edges to {args.out}")
    if args.matrix:
        import pandas as pd

        matrix = pd.DataFrame(proba, index=names, columns=names)
        _atomic_write(args.matrix, lambda tmp: matrix.to_csv(tmp))
        print(f"wrote the {len(names)}-variable probability matrix to {args.matrix}")
    if args.plot:
        from .plotting import GraphDisplay

        display = GraphDisplay.from_estimator(est, top_k=args.top_k)
        _atomic_write(
            args.plot, lambda tmp: display.figure_.savefig(tmp, format="png", dpi=120)
        )
        print(f"wrote the graph plot to {args.plot}")
    return 0


# -------------------------------------------------------------------------- dynamics
def _load_npz(path, keys):
    try:
        with np.load(path, allow_pickle=False) as data:
            found = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as exc:
        raise InputError(f"{path}: cannot read as .npz ({exc})") from None
    for key, required in keys.items():
        if required and key not in found:
            raise InputError(
                f"{path}: missing array {key!r} (found {sorted(found)}); save with "
                f"np.savez(path, {key}=...)"
            )
    return found


def _cmd_dynamics_fit(args):
    import joblib

    from .dynamics import LatentDynamicsRegressor

    data = _load_npz(args.data, {"X": True, "times": False})
    est = LatentDynamicsRegressor(
        n_context=args.n_context,
        max_epochs=args.max_epochs,
        verbose=args.verbose,
        random_state=args.random_state,
        device=args.device,
    )
    try:
        est.fit(data["X"], times=data.get("times"))
    except ValueError as exc:
        raise InputError(f"{args.data}: {str(exc).splitlines()[0]}") from None
    _atomic_write(args.out, lambda tmp: joblib.dump(est, tmp))
    print(f"wrote the fitted model to {args.out}")
    return 0


def _cmd_dynamics_predict(args):
    import joblib

    from .dynamics import LatentDynamicsRegressor

    try:
        est = joblib.load(args.model)
    except FileNotFoundError:
        raise InputError(f"{args.model}: model file not found") from None
    except Exception as exc:
        raise InputError(f"{args.model}: cannot load model ({exc})") from None
    if not isinstance(est, LatentDynamicsRegressor):
        raise InputError(f"{args.model}: not a fitted LatentDynamicsRegressor")
    data = _load_npz(args.context, {"X": True, "context_times": False})
    if args.times:
        times = _parse_times(args.times)
    elif est.times_ is not None:  # the fit grid after the context
        times = est.times_[est.n_context :]
    else:
        raise InputError(
            f"{args.model}: the model was fitted on per-instance times; pass the "
            "query times with --times"
        )
    try:
        pred, std = est.predict(
            data["X"],
            times=times,
            context_times=data.get("context_times"),
            return_std=True,
        )
    except ValueError as exc:
        raise InputError(f"{args.context}: {str(exc).splitlines()[0]}") from None

    def write(tmp):
        with open(tmp, "wb") as handle:  # a file object: np.savez keeps the name
            np.savez(handle, pred=pred, std=std, times=times)

    _atomic_write(args.out, write)
    print(f"wrote predictions {pred.shape} to {args.out}")
    return 0


# ---------------------------------------------------------------------------- parser
def _add_fit_options(parser, epochs):
    parser.add_argument("--max-epochs", type=int, default=epochs, metavar="N")
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("-v", "--verbose", action="count", default=1)


def _add_quickstart_parser(sub):
    """Add the ``quickstart`` sub-command."""
    quick = sub.add_parser(
        "quickstart",
        help="simulate data, fit both estimators, print figures, write plots",
    )
    quick.add_argument("--out", default="quickstart_output", metavar="DIR")
    quick.add_argument("--quick", action="store_true", help="smaller, faster run")
    quick.add_argument("--random-state", type=int, default=0, metavar="SEED")
    quick.set_defaults(func=_cmd_quickstart)


def _add_causal_parser(sub):
    """Add the ``causal`` sub-command."""
    causal = sub.add_parser(
        "causal",
        help="score causal edges from a CSV data file and a prior",
        description="Score every ordered pair of variables for a causal edge.",
        epilog=_CAUSAL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    causal.add_argument("data", metavar="DATA.csv")
    causal.add_argument("--prior", required=True, metavar="PRIOR.csv")
    causal.add_argument("--interventions", metavar="COLUMN")
    causal.add_argument("--out", required=True, metavar="EDGES.csv")
    causal.add_argument("--matrix", metavar="MATRIX.csv")
    causal.add_argument("--plot", metavar="GRAPH.png")
    causal.add_argument("--top-k", type=int, default=30, metavar="K")
    causal.add_argument("--n-jobs", type=int, default=None, metavar="N")
    _add_fit_options(causal, epochs=60)
    causal.set_defaults(func=_cmd_causal)


def _add_dynamics_fit_parser(dyn_sub):
    """Add the ``dynamics fit`` action."""
    fit = dyn_sub.add_parser(
        "fit",
        help="fit on trajectories stored in an .npz file",
        description="DATA.npz holds X (n_instances, n_times, *obs_shape) and "
        "optionally times ((n_times,) or (n_instances, n_times)).",
    )
    fit.add_argument("data", metavar="DATA.npz")
    fit.add_argument("--out", required=True, metavar="MODEL.joblib")
    fit.add_argument("--n-context", type=int, default=10, metavar="K")
    _add_fit_options(fit, epochs=50)
    fit.set_defaults(func=_cmd_dynamics_fit)


def _add_dynamics_predict_parser(dyn_sub):
    """Add the ``dynamics predict`` action."""
    pred = dyn_sub.add_parser(
        "predict",
        help="predict new instances from their context frames",
        description="CONTEXT.npz holds X (n_instances, n_context, *obs_shape) and "
        "optionally context_times. Writes pred, std and times.",
    )
    pred.add_argument("model", metavar="MODEL.joblib")
    pred.add_argument("context", metavar="CONTEXT.npz")
    pred.add_argument("--times", metavar="SPEC", help="start:stop:step or t1,t2,...")
    pred.add_argument("--out", required=True, metavar="PRED.npz")
    pred.set_defaults(func=_cmd_dynamics_predict)


def _add_dynamics_parser(sub):
    """Add the ``dynamics`` sub-command and its ``fit`` and ``predict`` actions."""
    dyn = sub.add_parser("dynamics", help="fit or apply a latent dynamics model")
    dyn_sub = dyn.add_subparsers(dest="action", metavar="ACTION")
    _add_dynamics_fit_parser(dyn_sub)
    _add_dynamics_predict_parser(dyn_sub)
    # Without an action, show the actions and fail as for a bad argument.
    dyn.set_defaults(func=lambda args: dyn.print_help() or EXIT_BAD_INPUT)


def build_parser():
    """The argument parser of the ``skdyncausal`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="skdyncausal",
        description="Learn latent dynamics and causal structure from scientific data.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_quickstart_parser(sub)
    _add_causal_parser(sub)
    _add_dynamics_parser(sub)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    start = time.perf_counter()
    try:
        status = args.func(args)
    except InputError as exc:
        print(f"skdyncausal: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command != "quickstart" and getattr(args, "verbose", 0):
        print(f"done in {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
