"""The ``skdyncausal`` command line.

Sub-commands::

    skdyncausal quickstart [--out DIR] [--quick]
    skdyncausal causal DATA.csv --prior PRIOR.csv [--interventions COLUMN]
                       --out EDGES.csv [--matrix MATRIX.csv] [--plot GRAPH.png]
    skdyncausal dynamics fit DATA.npz --out MODEL.joblib
    skdyncausal dynamics predict MODEL.joblib CONTEXT.npz --times 0.1:5:0.1
                       --out PRED.npz

Every command checks its output paths and its options before any work. A bad
option, input file or output path stops it with exit status 2 and one line on
stderr, ``skdyncausal: error: `` and a message that names the file or option at
fault; Ctrl-C stops it with status 130. Outputs are never overwritten without
``--force`` and are written atomically (into a temporary folder beside the
target, then renamed over it), so a failure or an interruption leaves no partial
file. Results go to stdout; progress, warnings and errors to stderr, without
escape codes unless stderr is a terminal. ``docs/cli.rst`` describes every option.
"""

import argparse
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
MAX_QUERY_TIMES = 1_000_000


class InputError(Exception):
    """A bad option, input file or output path: reported in one line, exit 2."""


# ---------------------------------------------------------------- messages
def _one_line(text):
    """A message on one line: ``"head:\\n  - a\\n  - b"`` becomes ``"head: a; b"``."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return type(text).__name__ if isinstance(text, Exception) else "failed"
    head, items = lines[0], [line.removeprefix("- ") for line in lines[1:]]
    if not items:
        return head
    return head + (" " if head.endswith(":") else ": ") + "; ".join(items)


def _names(values, limit=10):
    """Quoted names for a message; a long list says how many it leaves out."""
    values = [str(v) for v in values]
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f" and {len(values) - limit} more"
    return shown or "none"


# ------------------------------------------------------------------ console
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # CSI sequences: colours, cursor


class _PlainText(io.TextIOBase):
    """A text stream that drops ANSI escape sequences before passing text on.

    skorch's ``PrintLog`` colours the best scores and tqdm moves the cursor
    with escape codes; they are noise in a log file or a pipe.
    """

    def __init__(self, stream):
        self._stream = stream

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", None)

    def writable(self):
        return True

    def write(self, text):
        self._stream.write(_ANSI.sub("", text))
        return len(text)

    def flush(self):
        self._stream.flush()


def _for_reader(stream):
    """``stream`` itself on a colour terminal, else without colour codes."""
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty() and not os.environ.get("NO_COLOR"):
        return stream
    return _PlainText(stream)


class _Console:
    """Where a command speaks: results on stdout, everything else on stderr.

    ``verbosity`` 0 prints errors only, 1 (the default) adds the result lines,
    the estimators' progress, warnings and the run time, 2 adds a summary of
    what was read; the level is the estimators' ``verbose``.
    """

    def __init__(self, verbosity=1, stdout=None, stderr=None):
        self.verbosity = verbosity
        self.out = _for_reader(sys.stdout if stdout is None else stdout)
        self.err = _for_reader(sys.stderr if stderr is None else stderr)

    def result(self, text):
        if self.verbosity >= 1:
            print(text, file=self.out, flush=True)

    def info(self, text, level=1):
        if self.verbosity >= level:
            print(text, file=self.err, flush=True)

    def error(self, text):
        print(f"skdyncausal: error: {_one_line(text)}", file=self.err, flush=True)

    def _warning(self, message, category, filename, lineno, file=None, line=None):
        self.info(f"skdyncausal: warning: {_one_line(message)}")

    @contextlib.contextmanager
    def capture(self):
        """Run a command with everything the libraries print going to stderr.

        Their stdout (skorch's epoch table, older progress lines) joins stderr,
        so stdout holds only results; on a non-terminal both lose their colour
        and cursor codes (tqdm's bars, skorch's colours); warnings become one
        line. At verbosity 0 all of it is dropped.
        """
        with contextlib.ExitStack() as stack:
            sink = self.err
            if self.verbosity < 1:
                sink = stack.enter_context(open(os.devnull, "w"))
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
            stack.enter_context(warnings.catch_warnings())
            warnings.showwarning = self._warning
            yield


# ------------------------------------------------------------------- files
def _sniff(path):
    """The kind of a file from its first bytes: empty, npz, npy, text or binary."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if b"\0" in head or head.startswith(b"\x80"):  # \x80: a pickle's opcode
        return "binary"
    return "text"


def _check_input(path, what):
    """``path`` as a readable regular file, or an InputError naming it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: {what} file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a {what} file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: {what} file is not readable (permission denied)")
    return path


def _check_parent(path, option):
    """The folder of an output path must exist and be writable; none is created."""
    parent = path.parent
    if parent.is_dir():
        if not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"{option} {path}: directory {parent} is not writable")
        return
    for folder in (parent, *parent.parents):
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{option} {path}: {folder} is not a directory")
    raise InputError(
        f"{option} {path}: directory {parent} does not exist; create it first"
    )


def _check_output(text, option, force):
    """Refuse an output file that cannot or should not be written."""
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir() or path.name in ("", ".."):
        raise InputError(f"{option} {text}: is a directory; give a file name")
    _check_parent(path, option)
    if os.path.lexists(path):
        if path.is_symlink() or not path.is_file():
            raise InputError(f"{option} {path}: exists and is not a regular file")
        if not force:
            raise InputError(
                f"{option} {path}: file exists; pass --force to replace it"
            )
    return path


class _Outputs:
    """A command's output files: checked before any work, written atomically."""

    def __init__(self, force, inputs=()):
        self.force = force
        self.inputs = {os.path.realpath(p): str(p) for p in inputs}
        self.paths = {}  # real path -> option

    def add(self, option, text):
        if text is None:
            return None
        real = os.path.realpath(text)
        if real in self.inputs:
            raise InputError(
                f"{option} {text}: is the input file {self.inputs[real]}; "
                "write the output to another file"
            )
        if real in self.paths:
            raise InputError(
                f"{option} {text}: already given to {self.paths[real]}; "
                "give each output its own file"
            )
        path = _check_output(text, option, self.force)
        self.paths[real] = option
        return path

    def write(self, path, write):
        """Write into a temporary folder beside ``path``, then rename over it.

        The new file gets the umask's default mode (0666 & ~umask), as with a
        shell redirection; a replaced file keeps its mode.
        """
        folder = None
        try:
            folder = tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.")
            tmp = os.path.join(folder, path.name)
            write(tmp)
            if os.path.lexists(path):
                if not self.force:  # appeared while the command ran
                    raise InputError(f"{path}: file exists; pass --force to replace it")
                shutil.copymode(path, tmp)
            os.replace(tmp, path)
        except OSError as exc:
            reason = exc.strerror or _one_line(exc)
            raise InputError(f"{path}: cannot write: {reason}") from None
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def _check_device(device):
    from ._base import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise InputError(f"--device {device}: {_one_line(exc)}") from None


def _require_matplotlib(option):
    try:
        import matplotlib
    except ImportError:
        raise InputError(
            f"{option} needs matplotlib: pip install 'skdyncausal[plots]'"
        ) from None
    matplotlib.use("Agg")  # files only: never open a window


def _plot_format(path):
    """The image format named by the suffix of ``--plot``."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise InputError(
            f"--plot {path}: unknown image format {Path(path).suffix or '(none)'}; "
            f"end the name with one of {', '.join('.' + f for f in formats)}"
        )
    return suffix


def _run(call, blame):
    """Run an estimator call; a refused parameter or input becomes an InputError.

    ``blame`` maps the first word of the estimator's message (``"prior"``,
    ``"interventions"``) to the file it is about; other messages are about
    ``blame[None]``. Parameter problems are about options, not files.
    """
    try:
        return call()
    except ValueError as exc:
        message = _one_line(exc)
        if message.startswith("Invalid parameters"):
            raise InputError(message) from None
        word = message.split(maxsplit=1)[0] if message else ""
        raise InputError(f"{blame.get(word, blame[None])}: {message}") from None


def _check_not_interrupted(est):
    # skorch swallows Ctrl-C and keeps the weights it has; the command line
    # stops instead of writing a half-trained result.
    if getattr(getattr(est, "net_", None), "interrupted_", False):
        raise KeyboardInterrupt


# ------------------------------------------------------------------ quickstart
def _check_output_dir(text, force):
    """The quickstart folder: new (its parent must exist), or empty, or --force."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: is a file, not a directory")
    if not path.exists():
        _check_parent(path, "--out")
    elif any(path.iterdir()) and not force:
        raise InputError(
            f"--out {path}: directory is not empty; pass --force to write into it"
        )
    elif not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"--out {path}: directory is not writable")
    return path


def _cmd_quickstart(args, console):
    out = _check_output_dir(args.out, args.force)
    _require_matplotlib("quickstart")
    from ._quickstart import run_quickstart

    run_quickstart(out=out, quick=args.quick, random_state=args.random_state)
    console.result(f"wrote the quickstart report to {out / 'report.md'}")
    return EXIT_OK


# ---------------------------------------------------------------------- causal
_CAUSAL_HELP = textwrap.dedent(
    """\
    File formats
    ------------
    DATA.csv: one row per sample, one column per variable, a header of names
    (no index column: write it with DataFrame.to_csv(path, index=False)):
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
    The prior needs at least one known edge (1) and one known absence (0).
    --interventions COLUMN names a column of DATA.csv that holds, for each row, the
    name of the variable knocked out in that row (empty for observational rows); the
    column is removed from the variables.
    EDGES.csv (written): cause,effect,probability,in_prior,prior_label, ranked by
    probability. MATRIX.csv (written): the p x p probability matrix.

    Outputs are never overwritten without --force; their folder must exist.
    Exit status: 0 on success, 2 for a bad option, input file or output path.
    """
)


def _csv_header(path, what):
    """The raw header cells of a CSV file (pandas renames duplicates)."""
    import csv

    kind = _sniff(path)
    if kind == "empty":
        raise InputError(f"{path}: {what} file is empty")
    if kind != "text":
        hint = " (an .npz archive?)" if kind == "npz" else ""
        raise InputError(f"{path}: {what} file is not a text CSV file{hint}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: {what} file is not UTF-8 text; save it with UTF-8 encoding"
        ) from None


def _read_csv(path, what):
    """A CSV file as a DataFrame; duplicate header names are refused."""
    import pandas as pd

    _check_input(path, what)
    header = _csv_header(path, what)
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise InputError(
            f"{path}: duplicate column name(s) in the {what} header: "
            f"{_names(duplicates)}"
        )
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: {what} file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot read {what} as CSV: {_one_line(exc)}"
        ) from None
    if frame.empty:
        raise InputError(f"{path}: {what} file has no rows")
    return frame, header


def _pop_interventions(frame, path, column):
    """Remove the knock-out column; row k -> variable index, or -1."""
    if column not in frame.columns:
        raise InputError(
            f"{path}: no column {column!r} for --interventions; columns are "
            f"{_names(frame.columns)}"
        )
    labels = frame.pop(column)
    names = [str(c) for c in frame.columns]
    unknown = sorted({str(v) for v in labels.dropna() if str(v) not in names})
    if unknown:
        raise InputError(
            f"{path}: column {column!r} names variables that are not columns of "
            f"the data: {_names(unknown)}"
        )
    position = {name: k for k, name in enumerate(names)}
    return np.array([-1 if v != v else position[str(v)] for v in labels])


def _load_causal_data(path, intervention_column):
    """DATA.csv as a float DataFrame with str names, and the interventions."""
    from pandas.api.types import is_numeric_dtype

    frame, header = _read_csv(path, "data")
    unnamed = [k + 1 for k, h in enumerate(header) if not h.strip()]
    if unnamed:
        index = " (an index column? write the CSV with index=False)" * (1 in unnamed)
        numbers = ", ".join(str(k) for k in unnamed)
        raise InputError(
            f"{path}: column(s) {numbers} of the data have no header name{index}"
        )
    interventions = None
    if intervention_column is not None:
        interventions = _pop_interventions(frame, path, intervention_column)
    bad = [c for c in frame.columns if not is_numeric_dtype(frame[c].dtype)]
    if bad:
        names = {str(c) for c in frame.columns}
        knockout = [c for c in bad if set(frame[c].dropna().astype(str)) <= names]
        hint = ""
        if knockout:
            hint = f" (knock-out names? pass --interventions {knockout[0]})"
        raise InputError(
            f"{path}: non-numeric values in column(s) {_names(bad)}; every "
            f"variable column must hold numbers{hint}"
        )
    if frame.isna().any().any():
        columns = frame.columns[frame.isna().any()]
        raise InputError(f"{path}: missing values in column(s) {_names(columns)}")
    if frame.shape[1] < 2:
        raise InputError(f"{path}: need at least 2 variable columns")
    frame.columns = [str(c) for c in frame.columns]
    return frame.astype(float), interventions


def _edge_list_prior(frame, path, names):
    """A cause,effect,label edge list as a p x p prior of 1 / 0 / NaN."""
    import pandas as pd

    frame = frame.set_axis([str(c).strip().lower() for c in frame.columns], axis=1)
    ends = frame[["cause", "effect"]]
    if ends.isna().any().any():
        raise InputError(f"{path}: empty cause or effect in the edge list")
    ends = ends.astype(str)
    unknown = sorted((set(ends["cause"]) | set(ends["effect"])) - set(names))
    if unknown:
        raise InputError(
            f"{path}: edge list names variables not in the data: {_names(unknown)}"
        )
    loops = sorted(set(ends["cause"][ends["cause"] == ends["effect"]]))
    if loops:
        raise InputError(
            f"{path}: edge list pairs a variable with itself: {_names(loops)}"
        )
    labels = pd.to_numeric(frame["label"], errors="coerce")
    if labels.isna().any() or not labels.isin([0, 1]).all():
        raise InputError(f"{path}: column 'label' must hold only 0 or 1")
    pairs = ends.assign(label=labels).drop_duplicates()
    clash = pairs.duplicated(["cause", "effect"], keep=False)
    if clash.any():
        first = pairs[clash].iloc[0]
        raise InputError(
            f"{path}: the pair {first['cause']} -> {first['effect']} is labelled "
            "both 1 and 0"
        )
    prior = pd.DataFrame(np.nan, index=names, columns=names)
    for cause, effect, label in pairs.itertuples(index=False):
        prior.loc[cause, effect] = float(label)
    return prior


def _name_problems(frame, names):
    """What is wrong with the row and column names of a prior matrix."""
    wanted, problems = set(names), []
    for axis, found in (("row", list(frame.index)), ("column", list(frame.columns))):
        duplicates = sorted({v for v in found if found.count(v) > 1})
        missing = [v for v in names if v not in set(found)]
        extra = sorted(set(found) - wanted)
        for label, values in (
            (f"duplicate {axis} names", duplicates),
            (f"no {axis} for", missing),
            (f"{axis} names not in the data", extra),
        ):
            if values:
                problems.append(f"{label} {_names(values)}")
    return problems


def _matrix_prior(frame, path, names):
    """A p x p prior matrix, rows and columns aligned to ``names``."""
    import pandas as pd

    frame = frame.set_index(frame.columns[0])
    frame.index = [str(v) for v in frame.index]
    frame.columns = [str(v) for v in frame.columns]
    problems = _name_problems(frame, names)
    if problems:
        raise InputError(
            f"{path}: prior names do not match the data columns "
            f"({'; '.join(problems)}); give a p x p matrix with the data's names "
            "as header and first column"
        )
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.notna() ^ frame.notna()
    known = values.to_numpy()[values.notna().to_numpy()]
    if bad.any().any() or not np.isin(known, [0, 1]).all():
        raise InputError(f"{path}: prior entries must be 1, 0 or empty")
    return values.loc[names, names]


def _load_prior(path, names):
    """PRIOR.csv (matrix or edge list) as a p x p DataFrame of 1 / 0 / NaN."""
    frame, _ = _read_csv(path, "prior")
    columns = [str(c).strip().lower() for c in frame.columns]
    if columns[:3] == ["cause", "effect", "label"]:
        prior = _edge_list_prior(frame, path, names)
    else:
        prior = _matrix_prior(frame, path, names)
    values = prior.to_numpy(dtype=float, copy=True)
    np.fill_diagonal(values, np.nan)  # the diagonal is not a pair
    for label, kind in ((1, "known edges (1)"), (0, "known absences (0)")):
        if not (values == label).any():
            raise InputError(
                f"{path}: the prior has no {kind} off the diagonal; the estimator "
                "needs both known edges and known absences to learn from"
            )
    return prior


def _cmd_causal(args, console):
    outputs = _Outputs(args.force, inputs=[args.data, args.prior])
    paths = {
        "out": outputs.add("--out", args.out),
        "matrix": outputs.add("--matrix", args.matrix),
        "plot": outputs.add("--plot", args.plot),
    }
    if args.plot:
        _require_matplotlib("--plot")
        _plot_format(args.plot)
    _check_device(args.device)
    data, interventions = _load_causal_data(args.data, args.interventions)
    n_knockout = 0 if interventions is None else int((interventions >= 0).sum())
    console.info(
        f"{args.data}: {data.shape[0]} rows ({n_knockout} with a knock-out), "
        f"{data.shape[1]} variables",
        level=2,
    )
    prior = _load_prior(args.prior, list(data.columns))
    known = prior.to_numpy()
    console.info(
        f"{args.prior}: {int((known == 1).sum())} known edges, "
        f"{int((known == 0).sum())} known absences",
        level=2,
    )
    est = _fit_causal(args, data, prior, interventions)
    _write_causal(args, console, outputs, paths, est, prior)
    return EXIT_OK


def _fit_causal(args, data, prior, interventions):
    from .causal import CausalStructureEstimator

    est = CausalStructureEstimator(
        max_epochs=args.max_epochs,
        n_jobs=args.n_jobs,
        edge_rate=args.edge_rate,
        verbose=args.verbosity,
        random_state=args.random_state,
        device=args.device,
    )
    column = f"{args.data} (column {args.interventions!r})"
    blame = {"prior": args.prior, "interventions": column, None: args.data}
    _run(lambda: est.fit(data, prior=prior, interventions=interventions), blame)
    _check_not_interrupted(est)
    return est


def _write_causal(args, console, outputs, paths, est, prior):
    import pandas as pd

    from .metrics import edge_scores_to_frame

    names = list(prior.columns)
    proba = est.predict_proba()
    edges = edge_scores_to_frame(proba, variable_names=names, prior=prior.to_numpy())
    outputs.write(paths["out"], lambda tmp: edges.to_csv(tmp, index=False))
    console.result(f"wrote {len(edges)} ranked edges to {paths['out']}")
    if paths["matrix"]:
        matrix = pd.DataFrame(proba, index=names, columns=names)
        outputs.write(paths["matrix"], lambda tmp: matrix.to_csv(tmp))
        console.result(
            f"wrote the {len(names)}-variable probability matrix to {paths['matrix']}"
        )
    if paths["plot"]:
        import matplotlib.pyplot as plt

        from .plotting import GraphDisplay

        figure = GraphDisplay.from_estimator(est, top_k=args.top_k).figure_
        fmt = _plot_format(paths["plot"])
        try:
            outputs.write(
                paths["plot"], lambda tmp: figure.savefig(tmp, format=fmt, dpi=120)
            )
        finally:
            plt.close(figure)
        console.result(f"wrote the graph plot to {paths['plot']}")


# -------------------------------------------------------------------- dynamics
_NPZ_HINT = "save the arrays with np.savez(path, X=...)"


def _open_npz(path):
    """Every array of an .npz archive; pickled (object) arrays are refused."""
    _check_input(path, "input")
    kind = _sniff(path)
    if kind != "npz":
        what = {
            "empty": "an empty file",
            "npy": "a single .npy array",
            "text": "a text file (a CSV?)",
        }.get(kind, "a binary file")
        raise InputError(f"{path}: is {what}, not an .npz archive; {_NPZ_HINT}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as exc:
        if "pickle" not in str(exc).lower():
            raise InputError(f"{path}: cannot read as .npz: {_one_line(exc)}") from None
        raise InputError(
            f"{path}: holds an object array (Python objects, not numbers), which "
            "is not loaded for safety; save numeric arrays with np.savez(path, X=...)"
        ) from None
    except Exception as exc:  # a damaged archive fails in zipfile, zlib or numpy
        raise InputError(f"{path}: cannot read as .npz: {_one_line(exc)}") from None


def _load_npz(path, keys):
    """The arrays of an .npz file; ``keys`` maps each name to whether it is needed."""
    found = _open_npz(path)
    for key, required in keys.items():
        if required and key not in found:
            raise InputError(
                f"{path}: missing array {key!r} (found {_names(sorted(found))}); "
                f"save with np.savez(path, {key}=...)"
            )
        if key in found and found[key].dtype.kind not in "biuf":
            raise InputError(
                f"{path}: array {key!r} must hold real numbers; got dtype "
                f"{found[key].dtype}; convert it first, e.g. {key}.astype(float)"
            )
    return found


def _cmd_dynamics_fit(args, console):
    import joblib

    from .dynamics import LatentDynamicsRegressor

    outputs = _Outputs(args.force, inputs=[args.data])
    out = outputs.add("--out", args.out)
    _check_device(args.device)
    data = _load_npz(args.data, {"X": True, "times": False})
    console.info(f"{args.data}: X of shape {data['X'].shape}", level=2)
    est = LatentDynamicsRegressor(
        n_context=args.n_context,
        symmetries=args.symmetries,
        max_epochs=args.max_epochs,
        verbose=args.verbosity,
        random_state=args.random_state,
        device=args.device,
    )
    _run(
        lambda: est.fit(data["X"], times=data.get("times")),
        {None: args.data, "symmetries": "--symmetries"},
    )
    _check_not_interrupted(est)
    outputs.write(out, lambda tmp: joblib.dump(est, tmp))
    console.result(f"wrote the fitted model to {out}")
    return EXIT_OK


def _load_model(path):
    """A fitted LatentDynamicsRegressor from a file of ``dynamics fit``."""
    import joblib
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from .dynamics import LatentDynamicsRegressor

    _check_input(path, "model")
    origin = "written by 'skdyncausal dynamics fit'"
    kind = _sniff(path)
    described = {
        "empty": "an empty file",
        "text": "a text file",
        "npz": "an .npz archive",
        "npy": "an .npy array",
    }
    if kind in described:
        raise InputError(f"{path}: is {described[kind]}, not a model {origin}")
    try:
        est = joblib.load(path)
    except Exception as exc:  # unpickling fails in many ways
        reason = type(exc).__name__
        if str(exc).strip():
            reason += f": {_one_line(exc)}"
        raise InputError(
            f"{path}: not a model {origin} (cannot unpickle it: {reason})"
        ) from None
    if not isinstance(est, LatentDynamicsRegressor):
        raise InputError(
            f"{path}: holds a {type(est).__name__}, not a LatentDynamicsRegressor "
            f"{origin}"
        )
    try:
        check_is_fitted(est)
    except NotFittedError:
        raise InputError(f"{path}: the LatentDynamicsRegressor is not fitted") from None
    return est


def _query_times(args, est):
    if args.times is not None:
        return args.times
    if est.times_ is not None:  # the fit grid after the context
        return est.times_[est.n_context :]
    raise InputError(
        f"{args.model}: the model was fitted on per-instance times; pass the "
        "query times with --times"
    )


def _cmd_dynamics_predict(args, console):
    outputs = _Outputs(args.force, inputs=[args.model, args.context])
    out = outputs.add("--out", args.out)
    est = _load_model(args.model)
    data = _load_npz(args.context, {"X": True, "context_times": False})
    times = _query_times(args, est)
    console.info(
        f"{args.context}: X of shape {data['X'].shape}; {len(times)} query times",
        level=2,
    )
    pred, std = _run(
        lambda: est.predict(
            data["X"],
            times=times,
            context_times=data.get("context_times"),
            return_std=True,
        ),
        {None: args.context},
    )

    def write(tmp):
        with open(tmp, "wb") as handle:  # a file object: np.savez keeps the name
            np.savez(handle, pred=pred, std=std, times=times)

    outputs.write(out, write)
    console.result(f"wrote predictions {pred.shape} to {out}")
    return EXIT_OK


# ---------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are reported like every other error."""

    def error(self, message):
        raise InputError(f"{message} (see '{self.prog} --help')")


def _edge_rate(text):
    """An argparse type: ``auto``, ``none`` or a share in (0, 1)."""
    if text.lower() in ("auto", "none"):
        return None if text.lower() == "none" else "auto"
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected auto, none or a share of edges in (0, 1) such as 0.02; "
            f"got {text!r}"
        )
    return value


def _integer(low=None, high=None, nonzero=False):
    """An argparse type: an integer in ``[low, high]``, not 0 with ``nonzero``."""
    if nonzero:
        rule = "a nonzero integer (-1: all CPU cores)"
    elif high is None:
        rule = f"an integer >= {low}"
    else:
        rule = f"an integer in [{low}, {high}]"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if (
            value is None
            or (low is not None and value < low)
            or (high is not None and value > high)
            or (nonzero and value == 0)
        ):
            raise argparse.ArgumentTypeError(f"expected {rule}; got {text!r}")
        return value

    return parse


def _parse_times(text):
    """``"a:b:step"`` (inclusive range) or ``"t1,t2,..."`` → float array."""
    try:
        if ":" in text:
            start, stop, step = (float(v) for v in text.split(":"))
            if not step > 0 or not stop >= start:
                raise ValueError
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            if n > MAX_QUERY_TIMES:
                raise argparse.ArgumentTypeError(
                    f"{text!r} gives {n} times; at most {MAX_QUERY_TIMES} are allowed"
                )
            times = start + step * np.arange(n)
        else:
            times = np.array([float(v) for v in text.split(",")])
        if not np.isfinite(times).all():
            raise ValueError
        return times
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"expected 'start:stop:step' with step > 0 and stop >= start (e.g. "
            f"1.0:5.0:0.1) or a comma-separated list (e.g. 1.0,1.5,2.0); got {text!r}"
        ) from None


def _add_output_options(parser, *, verbose=True, force="replace existing outputs"):
    group = parser.add_argument_group("output and messages")
    group.add_argument("-f", "--force", action="store_true", help=force)
    if verbose:
        group.add_argument(
            "-v",
            "--verbose",
            dest="verbosity",
            action="count",
            default=1,
            help="more messages on stderr (-v also summarises the inputs)",
        )
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=0,
        default=1,
        help="print errors only: no progress, warnings or result lines",
    )


def _add_fit_options(parser, epochs):
    parser.add_argument(
        "--max-epochs",
        type=_integer(1),
        default=epochs,
        metavar="N",
        help=f"training epochs (default: {epochs})",
    )
    parser.add_argument(
        "--random-state",
        type=_integer(0, 2**32 - 1),
        default=0,
        metavar="SEED",
        help="seed of the weights and the sampling (default: 0)",
    )
    parser.add_argument(
        "--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)"
    )
    _add_output_options(parser)


def _add_quickstart_parser(sub):
    """Add the ``quickstart`` sub-command."""
    quick = sub.add_parser(
        "quickstart",
        help="simulate data, fit both estimators, print figures, write plots",
        description="Simulate data, fit both estimators and write plots and "
        "report.md into DIR. DIR is created if missing (its parent must exist); "
        "an existing DIR must be empty unless --force is given.",
    )
    quick.add_argument(
        "--out",
        default="quickstart_output",
        metavar="DIR",
        help="output folder (default: quickstart_output)",
    )
    quick.add_argument("--quick", action="store_true", help="smaller, faster run")
    quick.add_argument(
        "--random-state", type=_integer(0, 2**32 - 1), default=0, metavar="SEED"
    )
    _add_output_options(quick, verbose=False, force="write into a non-empty DIR")
    quick.set_defaults(func=_cmd_quickstart, timed=False)


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
    causal.add_argument(
        "--plot", metavar="GRAPH.png", help="graph image; the suffix sets the format"
    )
    causal.add_argument(
        "--top-k",
        type=_integer(1),
        default=30,
        metavar="K",
        help="edges drawn in --plot (default: 30)",
    )
    causal.add_argument(
        "--n-jobs",
        type=_integer(nonzero=True),
        default=None,
        metavar="N",
        help="processes for the pair features (-1: all cores; default: in-process)",
    )
    causal.add_argument(
        "--edge-rate",
        type=_edge_rate,
        default="auto",
        metavar="RATE",
        help="share of edges among the pairs outside the prior, for the "
        "probabilities: auto (estimated from the data, used when it differs "
        "from the prior's share beyond sampling noise), none (the prior's "
        "share) or a number in (0, 1) (default: auto)",
    )
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
    fit.add_argument(
        "--n-context",
        type=_integer(1),
        default=10,
        metavar="K",
        help="context frames the model starts from (default: 10)",
    )
    fit.add_argument(
        "--symmetries",
        nargs="+",
        metavar="NAME",
        help="symmetries of the system, for images and fields, that augment the "
        "training windows: any of flip_lr, flip_ud, rot90, translate (default: "
        "none)",
    )
    _add_fit_options(fit, epochs=50)
    fit.set_defaults(func=_cmd_dynamics_fit)


def _add_dynamics_predict_parser(dyn_sub):
    """Add the ``dynamics predict`` action."""
    pred = dyn_sub.add_parser(
        "predict",
        help="predict new instances from their context frames",
        description="CONTEXT.npz holds X (n_instances, n_context, *obs_shape) and "
        "optionally context_times. Writes pred, std and times. Load only model "
        "files you trust: a model file is a pickle.",
    )
    pred.add_argument("model", metavar="MODEL.joblib")
    pred.add_argument("context", metavar="CONTEXT.npz")
    pred.add_argument(
        "--times",
        type=_parse_times,
        metavar="SPEC",
        help="start:stop:step or t1,t2,... (default: the fit grid after the context)",
    )
    pred.add_argument("--out", required=True, metavar="PRED.npz")
    _add_output_options(pred)
    pred.set_defaults(func=_cmd_dynamics_predict)


def _add_dynamics_parser(sub):
    """Add the ``dynamics`` sub-command and its ``fit`` and ``predict`` actions."""
    dyn = sub.add_parser("dynamics", help="fit or apply a latent dynamics model")
    dyn_sub = dyn.add_subparsers(dest="action", metavar="ACTION", required=True)
    _add_dynamics_fit_parser(dyn_sub)
    _add_dynamics_predict_parser(dyn_sub)


def build_parser():
    """The argument parser of the ``skdyncausal`` command."""
    from . import __version__

    parser = _Parser(
        prog="skdyncausal",
        description="Learn latent dynamics and causal structure from scientific "
        "data. Exit status: 0 on success, 2 for a bad option, input file or "
        "output path (one line on stderr).",
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_quickstart_parser(sub)
    _add_causal_parser(sub)
    _add_dynamics_parser(sub)
    return parser


def _os_message(exc):
    where = exc.filename if exc.filename is not None else None
    text = exc.strerror or _one_line(exc)
    return f"{where}: {text}" if where else text


def main(argv=None):
    """Run the command line; returns the exit status."""
    console = _Console()
    try:
        args = build_parser().parse_args(argv)
    except InputError as exc:
        console.error(exc)
        return EXIT_BAD_INPUT
    console = _Console(args.verbosity)
    start = time.perf_counter()
    try:
        with console.capture():
            status = args.func(args, console)
    except InputError as exc:
        console.error(exc)
        return EXIT_BAD_INPUT
    except OSError as exc:  # e.g. a full disk while writing
        console.error(_os_message(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED
    if getattr(args, "timed", True):
        console.info(f"done in {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
