import argparse
import io
import os
import pickle
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import joblib
import numpy as np
import pandas as pd
import pytest

from skdyncausal import CausalStructureEstimator, LatentDynamicsRegressor
from skdyncausal.cli import _Console, _names, _Outputs, _parse_times, main
from skdyncausal.datasets import make_prior, make_sem

FAST = ["--max-epochs", "1", "--random-state", "0"]
NAMES = [f"g{k}" for k in range(5)]
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _trajectories(n=8, n_times=10):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 3, n_times)
    phase = rng.uniform(0, np.pi, size=(n, 1))
    return np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1), t


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    X, t = _trajectories()
    est = LatentDynamicsRegressor(n_context=4, max_epochs=1, random_state=0)
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(est.fit(X, times=t), path)
    return path


@pytest.fixture
def files(tmp_path, model_file, monkeypatch):
    """Tiny inputs of every command, all in ``tmp_path``."""
    sem = make_sem(n_samples=60, n_variables=5, n_interventions=2, random_state=0)
    frame = pd.DataFrame(sem.X, columns=NAMES)
    knockout = [NAMES[k] if k >= 0 else "" for k in sem.interventions]
    prior = make_prior(sem.adjacency, fraction=0.6, random_state=0)
    f = SimpleNamespace(tmp=tmp_path, prior_values=prior, knockout=knockout)
    f.monkeypatch = monkeypatch
    f.data, f.prior = tmp_path / "data.csv", tmp_path / "prior.csv"
    frame.to_csv(f.data, index=False)
    pd.DataFrame(prior, index=NAMES, columns=NAMES).to_csv(f.prior)
    X, t = _trajectories()
    f.traj, f.context = tmp_path / "traj.npz", tmp_path / "context.npz"
    np.savez(f.traj, X=X, times=t)
    np.savez(f.context, X=X[:2, :4])
    f.model = tmp_path / "model.joblib"
    shutil.copy(model_file, f.model)
    return f


def _causal(f, *extra, out=None):
    out = f.tmp / "edges.csv" if out is None else out
    return ["causal", str(f.data), "--prior", str(f.prior), "--out", str(out), *extra]


def _fit(f, *extra, data=None, out=None):
    data = f.traj if data is None else data
    out = f.tmp / "fitted.joblib" if out is None else out
    return ["dynamics", "fit", str(data), "--out", str(out), "--n-context", "4", *extra]


def _predict(f, *extra, model=None, context=None, out=None):
    model = f.model if model is None else model
    context = f.context if context is None else context
    out = f.tmp / "pred.npz" if out is None else out
    return ["dynamics", "predict", str(model), str(context), "--out", str(out), *extra]


def _knockouts(f, names=None):
    """Add the knock-out column to the data; returns the option that names it."""
    frame = pd.read_csv(f.data)
    frame["knockout"] = f.knockout if names is None else names
    frame.to_csv(f.data, index=False)
    return ["--interventions", "knockout"]


def _after(change, argv):
    """``argv``, run once ``change`` (evaluated first, its value unused) is made."""
    return argv


def _write(path, text):
    path.write_text(text)
    return path


def _edge_list(f, rows):
    path = f.tmp / "edges_prior.csv"
    pd.DataFrame(rows, columns=["cause", "effect", "label"]).to_csv(path, index=False)
    return ["causal", str(f.data), "--prior", str(path), "--out", str(f.tmp / "e.csv")]


def _matrix_prior(f, values, index=NAMES, columns=NAMES):
    pd.DataFrame(values, index=index, columns=columns).to_csv(f.prior)
    return _causal(f)


def _data(f, frame=None, **to_csv):
    frame = pd.read_csv(f.data) if frame is None else frame
    frame.to_csv(f.data, **{"index": False, **to_csv})
    return _causal(f)


def _npz(f, name="bad.npz", **arrays):
    np.savez(f.tmp / name, **arrays)
    return f.tmp / name


def _bad_estimator_parameters(monkeypatch):
    original = CausalStructureEstimator.fit

    def fit(self, *args, **kwargs):
        self.set_params(max_epochs=0, lr=-1.0)  # values the parser would refuse
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CausalStructureEstimator, "fit", fit)


def _full_disk(monkeypatch):
    def dump(value, path):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(joblib, "dump", dump)


def _unfitted_model(f):
    joblib.dump(LatentDynamicsRegressor(), f.tmp / "unfitted.joblib")
    return _predict(f, model=f.tmp / "unfitted.joblib")


def _text_in_data(f):
    frame = pd.read_csv(f.data)
    frame["g2"] = frame["g2"].astype(object)
    frame.loc[3, "g2"] = "high"
    return _data(f, frame)


def _same_pair_twice(f):
    return _edge_list(f, [("g0", "g1", 1), ("g0", "g1", 0), ("g2", "g3", 0)])


P = np.array(
    [[np.nan, 1, 0, np.nan, 0]] + [[np.nan] * 5] * 3 + [[0, np.nan, 1, np.nan, np.nan]]
)

# name -> (build the command line from the files, text the error line must hold)
BAD = {
    "symmetries_of_vectors": (
        lambda f: _fit(f, *FAST, "--symmetries", "flip_lr"),
        "traj.npz: symmetries=['flip_lr'] map images or fields",
    ),
    "unknown_symmetry": (
        lambda f: _fit(f, *FAST, "--symmetries", "mirror"),
        "--symmetries: symmetries must be None or a list of names from",
    ),
    "edge_rate_out_of_range": (
        lambda f: _causal(f, "--edge-rate", "2"),
        "--edge-rate: expected auto, none or a share of edges in (0, 1)",
    ),
    # output paths: checked before any work
    "out_is_directory": (lambda f: _causal(f, out=f.tmp), "is a directory"),
    "out_ends_in_slash": (
        lambda f: _causal(f, out=f"{f.tmp / 'new'}/"),
        "is a directory",
    ),
    "out_below_a_file": (
        lambda f: _causal(f, out=f.data / "edges.csv"),
        "data.csv is not a directory",
    ),
    "out_in_missing_directory": (
        lambda f: _causal(f, out=f.tmp / "missing" / "edges.csv"),
        "missing does not exist; create it first",
    ),
    "out_exists": (
        lambda f: _causal(f, out=_write(f.tmp / "old.csv", "old\n")),
        "old.csv: file exists; pass --force to replace it",
    ),
    "out_is_the_data": (
        lambda f: _causal(f, "--force", out=f.data),
        "is the input file",
    ),
    "matrix_is_out": (
        lambda f: _causal(f, "--matrix", str(f.tmp / "edges.csv")),
        "--matrix",
    ),
    "plot_is_directory": (lambda f: _causal(f, "--plot", str(f.tmp)), "--plot"),
    "plot_below_a_file": (
        lambda f: _causal(f, "--plot", str(f.prior / "graph.png")),
        "prior.csv is not a directory",
    ),
    "plot_exists": (
        lambda f: _causal(f, "--plot", str(_write(f.tmp / "g.png", "x"))),
        "file exists",
    ),
    "plot_unknown_format": (
        lambda f: _causal(f, "--plot", str(f.tmp / "graph.xyz")),
        "unknown image format .xyz",
    ),
    "fit_out_is_directory": (lambda f: _fit(f, out=f.tmp), "is a directory"),
    "fit_out_below_a_file": (
        lambda f: _fit(f, out=f.traj / "m.joblib"),
        "is not a directory",
    ),
    "fit_out_in_missing_directory": (
        lambda f: _fit(f, out=f.tmp / "no" / "m.joblib"),
        "does not exist",
    ),
    "predict_out_exists": (lambda f: _predict(f, out=f.context), "input file"),
    "quickstart_out_is_a_file": (
        lambda f: ["quickstart", "--out", str(f.data)],
        "is a file, not a directory",
    ),
    "quickstart_out_not_empty": (
        lambda f: ["quickstart", "--out", str(f.tmp)],
        "directory is not empty; pass --force",
    ),
    "quickstart_out_in_missing_directory": (
        lambda f: ["quickstart", "--out", str(f.tmp / "a" / "b")],
        "does not exist",
    ),
    # options, validated by the parser
    "no_command": (lambda f: [], "required: COMMAND"),
    "no_dynamics_action": (lambda f: ["dynamics"], "required: ACTION"),
    "unknown_option": (lambda f: _causal(f, "--frobnicate"), "--frobnicate"),
    "missing_prior_option": (
        lambda f: ["causal", str(f.data), "--out", "e.csv"],
        "required: --prior",
    ),
    "top_k_negative": (lambda f: _causal(f, "--top-k", "-5"), "--top-k: expected"),
    "top_k_zero": (lambda f: _causal(f, "--top-k", "0"), "integer >= 1; got '0'"),
    "n_jobs_zero": (lambda f: _causal(f, "--n-jobs", "0"), "nonzero integer"),
    "max_epochs_zero": (lambda f: _causal(f, "--max-epochs", "0"), "--max-epochs"),
    "max_epochs_text": (lambda f: _fit(f, "--max-epochs", "ten"), "got 'ten'"),
    "random_state_negative": (
        lambda f: _fit(f, "--random-state", "-1"),
        "--random-state: expected an integer in [0, 4294967295]",
    ),
    "n_context_zero": (lambda f: _fit(f, "--n-context", "0"), "--n-context"),
    "device_unknown": (lambda f: _fit(f, "--device", "tpu"), "--device tpu:"),
    "times_backwards": (lambda f: _predict(f, "--times", "2:1:0.5"), "--times"),
    "times_not_finite": (lambda f: _predict(f, "--times", "1,nan"), "got '1,nan'"),
    "times_too_many": (lambda f: _predict(f, "--times", "0:1e9:0.1"), "at most"),
    # the data file
    "data_missing": (
        lambda f: _after(f.data.unlink(), _causal(f)),
        "data.csv: data file not found",
    ),
    "data_is_directory": (
        lambda f: ["causal", str(f.tmp), "--prior", str(f.prior), "--out", "e.csv"],
        "is a directory, not a data file",
    ),
    "data_empty": (
        lambda f: _after(_write(f.data, ""), _causal(f)),
        "data file is empty",
    ),
    "data_is_npz": (
        lambda f: _after(shutil.copy(f.traj, f.data), _causal(f)),
        "not a text CSV file (an .npz archive?)",
    ),
    "data_with_index_column": (
        lambda f: _data(f, index=True),
        "column(s) 1 of the data have no header name (an index column?",
    ),
    "data_not_utf8": (
        lambda f: _after(
            f.data.write_bytes("g\xe9ne,g1\n1,2\n".encode("latin-1")), _causal(f)
        ),
        "data file is not UTF-8 text",
    ),
    "data_duplicate_columns": (
        lambda f: _after(_write(f.data, "g0,g1,g0\n1,2,3\n4,5,6\n"), _causal(f)),
        "duplicate column name(s) in the data header: 'g0'",
    ),
    "data_non_numeric": (_text_in_data, "non-numeric values in column(s) 'g2'"),
    "data_missing_values": (
        lambda f: _data(f, pd.read_csv(f.data).assign(g1=np.nan)),
        "missing values in column(s) 'g1'",
    ),
    "data_one_variable": (
        lambda f: _after(_write(f.data, "g0\n1\n2\n"), _causal(f)),
        "need at least 2 variable columns",
    ),
    "data_rejected_by_the_estimator": (
        lambda f: _data(f, pd.read_csv(f.data).head(1)),
        "data.csv: X must",
    ),
    "interventions_column_missing": (
        lambda f: _causal(f, "--interventions", "nope"),
        "no column 'nope' for --interventions; columns are 'g0', 'g1', 'g2', "
        "'g3', 'g4'",
    ),
    "interventions_unknown_names": (
        lambda f: _causal(f, *_knockouts(f, names="gX")),
        "names variables that are not columns of the data: 'gX'",
    ),
    "knockout_column_without_option": (
        lambda f: _after(_knockouts(f), _causal(f)),
        "non-numeric values in column(s) 'knockout'; every variable column must "
        "hold numbers (knock-out names? pass --interventions knockout)",
    ),
    # the prior file
    "prior_missing": (
        lambda f: _after(f.prior.unlink(), _causal(f)),
        "prior.csv: prior file not found",
    ),
    "prior_wrong_name": (
        lambda f: _matrix_prior(f, P, index=[*NAMES[:-1], "gX"]),
        "prior names do not match the data columns (no row for 'g4'; row names "
        "not in the data 'gX')",
    ),
    "prior_duplicate_rows": (
        lambda f: _matrix_prior(f, P, index=["g0", "g0", "g2", "g3", "g4"]),
        "duplicate row names 'g0'; no row for 'g1'",
    ),
    "prior_duplicate_columns": (
        lambda f: _after(_write(f.prior, ",g0,g0\ng0,,1\ng1,0,\n"), _causal(f)),
        "duplicate column name(s) in the prior header: 'g0'",
    ),
    "prior_bad_values": (
        lambda f: _matrix_prior(f, np.where(np.isnan(P), np.nan, 2.0)),
        "prior entries must be 1, 0 or empty",
    ),
    "prior_no_known_edge": (
        lambda f: _matrix_prior(f, np.where(np.isnan(P), np.nan, 0.0)),
        "prior.csv: the prior has no known edges (1) off the diagonal",
    ),
    "prior_only_on_the_diagonal": (
        lambda f: _matrix_prior(f, np.where(np.eye(5, dtype=bool), 1.0, np.nan)),
        "no known edges (1) off the diagonal",
    ),
    "edge_list_unknown_names": (
        lambda f: _edge_list(f, [("g0", "gX", 1), ("gY", "g1", 0)]),
        "edge list names variables not in the data: 'gX', 'gY'",
    ),
    "edge_list_bad_label": (
        lambda f: _edge_list(f, [("g0", "g1", 1), ("g1", "g2", 3)]),
        "column 'label' must hold only 0 or 1",
    ),
    "edge_list_same_pair_twice": (
        _same_pair_twice,
        "the pair g0 -> g1 is labelled both 1 and 0",
    ),
    "edge_list_self_pair": (
        lambda f: _edge_list(f, [("g0", "g0", 1), ("g1", "g2", 0)]),
        "pairs a variable with itself: 'g0'",
    ),
    # dynamics input files
    "fit_text_array": (
        lambda f: _fit(f, data=_npz(f, X=np.full((4, 8, 1), "a"))),
        "array 'X' must hold real numbers; got dtype <U1",
    ),
    "fit_object_array": (
        lambda f: _fit(f, data=_npz(f, X=np.array([None, 1.0], dtype=object))),
        "holds an object array",
    ),
    "fit_csv_given_as_npz": (
        lambda f: _fit(f, data=f.data),
        "data.csv: is a text file (a CSV?), not an .npz archive",
    ),
    "fit_npy_given_as_npz": (
        lambda f: _after(
            np.save(f.tmp / "X.npy", np.zeros(3)), _fit(f, data=f.tmp / "X.npy")
        ),
        "is a single .npy array, not an .npz archive",
    ),
    "fit_missing_x": (
        lambda f: _fit(f, data=_npz(f, frames=np.zeros((4, 8, 2)))),
        "missing array 'X' (found 'frames')",
    ),
    "fit_rejected_by_the_estimator": (
        lambda f: _fit(f, "--n-context", "40"),
        "traj.npz: n_context=40 must be smaller",
    ),
    "predict_text_model": (
        lambda f: _predict(f, model=_write(f.tmp / "m.joblib", "hello\n")),
        "m.joblib: is a text file, not a model written by 'skdyncausal dynamics fit'",
    ),
    "predict_pickle_of_a_dict": (
        lambda f: _after(joblib.dump({"a": 1}, f.model), _predict(f)),
        "holds a dict, not a LatentDynamicsRegressor",
    ),
    "predict_damaged_model": (
        lambda f: _after(
            f.model.write_bytes(pickle.dumps([1.0] * 50)[:-20]), _predict(f)
        ),
        "(cannot unpickle it: EOFError)",
    ),
    "predict_unfitted_model": (_unfitted_model, "is not fitted"),
    # refused by the estimator, or failing while writing
    "estimator_parameters": (
        lambda f: _after(_bad_estimator_parameters(f.monkeypatch), _causal(f, *FAST)),
        "error: Invalid parameters for CausalStructureEstimator: ",
    ),
    "full_disk": (
        # after the fit: -q keeps its progress off stderr
        lambda f: _after(_full_disk(f.monkeypatch), _fit(f, *FAST, "-q")),
        "fitted.joblib: cannot write: No space left on device",
    ),
    "predict_empty_model": (
        lambda f: _predict(f, model=_write(f.tmp / "m.joblib", "")),
        "m.joblib: is an empty file, not a model",
    ),
    "predict_model_missing": (
        lambda f: _predict(f, model=f.tmp / "absent.joblib"),
        "absent.joblib: model file not found",
    ),
    "predict_npz_given_as_model": (
        lambda f: _predict(f, model=f.traj),
        "traj.npz: is an .npz archive, not a model",
    ),
    "predict_context_text_array": (
        lambda f: _predict(f, context=_npz(f, X=np.full((2, 4, 2), "a"))),
        "bad.npz: array 'X' must hold real numbers",
    ),
    "predict_context_rejected_by_the_estimator": (
        lambda f: _predict(f, context=_npz(f, X=np.zeros((2, 4)))),
        "bad.npz: X must have shape",
    ),
}


def _snapshot(folder):
    return {
        p.relative_to(folder): p.read_bytes() if p.is_file() else None
        for p in folder.rglob("*")
    }


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_bad_path_exits_2_with_one_line_and_writes_nothing(case, files, capsys):
    build, message = BAD[case]
    argv = build(files)
    before = _snapshot(files.tmp)
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdyncausal: error: ")
    assert message in lines[0]
    assert "Traceback" not in err and "allow_pickle" not in err
    assert out == ""
    assert _snapshot(files.tmp) == before  # no output, temporary or partial file


def test_a_parameter_error_is_shown_whole_and_blames_no_file(
    files, capsys, monkeypatch
):
    _bad_estimator_parameters(monkeypatch)
    assert main(_causal(files, *FAST)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "skdyncausal: error: Invalid parameters for CausalStructureEstimator: "
    )
    assert "; max_epochs must be an integer >= 1; got 0" in line
    assert "lr must be a real number in (0, inf); got -1.0" in line
    assert "prior.csv" not in line and "data.csv" not in line
    assert not (files.tmp / "edges.csv").exists()


@pytest.mark.parametrize(
    "argv",
    [
        lambda f: _causal(f, *FAST, out=f.tmp),
        lambda f: _causal(f, *FAST, "--plot", str(f.data / "g.png")),
        lambda f: _causal(f, *FAST, "--matrix", str(f.tmp / "no" / "m.csv")),
        lambda f: _fit(f, *FAST, out=f.traj),
    ],
)
def test_output_paths_are_checked_before_any_work(argv, files, monkeypatch):
    def fit(self, *args, **kwargs):
        raise AssertionError("fit ran before the outputs were checked")

    monkeypatch.setattr(CausalStructureEstimator, "fit", fit)
    monkeypatch.setattr(LatentDynamicsRegressor, "fit", fit)
    assert main(argv(files)) == 2


def test_help_from_console_script_and_module():
    for cmd in (["skdyncausal", "--help"], [sys.executable, "-m", "skdyncausal", "-h"]):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert "quickstart" in out.stdout and "causal" in out.stdout


def test_causal_help_explains_formats_and_outputs(capsys):
    with pytest.raises(SystemExit) as info:
        main(["causal", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "cause,effect,label" in text and "--interventions" in text
    assert "--force" in text and "--quiet" in text and "index=False" in text


def test_causal_round_trip(files, capsys):
    matrix, plot = files.tmp / "matrix.csv", files.tmp / "graph.svg"
    argv = [*_knockouts(files), "--matrix", str(matrix), "--plot", str(plot)]
    assert main(_causal(files, *argv, "--top-k", "3", *FAST)) == 0
    out, err = capsys.readouterr()
    edges = pd.read_csv(files.tmp / "edges.csv")
    assert list(edges.columns) == [
        "cause",
        "effect",
        "probability",
        "in_prior",
        "prior_label",
    ]
    assert len(edges) == 5 * 4
    assert edges["probability"].is_monotonic_decreasing
    assert set(edges["cause"]) == set(NAMES)
    known = ~np.isnan(files.prior_values) & ~np.eye(5, dtype=bool)
    assert edges["in_prior"].sum() == known.sum()
    square = pd.read_csv(matrix, index_col=0)
    assert list(square.columns) == NAMES
    assert np.allclose(np.diag(square.to_numpy()), 0.0)
    assert plot.read_text().lstrip().startswith("<?xml")  # the suffix set the format
    assert out.splitlines() == [
        f"wrote 20 ranked edges to {files.tmp / 'edges.csv'}",
        f"wrote the 5-variable probability matrix to {matrix}",
        f"wrote the graph plot to {plot}",
    ]
    assert err.rstrip().splitlines()[-1].startswith("done in ")


def test_causal_edge_rate_reaches_the_estimator(files, monkeypatch):
    from skdyncausal.causal import CausalStructureEstimator

    seen, fit = [], CausalStructureEstimator.fit

    def spy(self, *args, **kwargs):
        seen.append(self.edge_rate)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(CausalStructureEstimator, "fit", spy)
    for rate in ([], ["--edge-rate", "none"], ["--edge-rate", "0.01"]):
        assert main(_causal(files, *rate, "--force", *FAST)) == 0
    assert seen == ["auto", None, 0.01]


def test_causal_accepts_an_edge_list_prior(files):
    prior = files.prior_values
    rows = [
        (NAMES[i], NAMES[j], int(prior[i, j]))
        for i, j in zip(*np.nonzero(~np.isnan(prior)))
        if i != j
    ]
    argv = _edge_list(files, rows)
    assert main([*argv, *_knockouts(files), *FAST]) == 0
    assert pd.read_csv(files.tmp / "e.csv")["in_prior"].sum() == len(rows)


def test_parse_times():
    np.testing.assert_allclose(_parse_times("1:2:0.5"), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(_parse_times("0.1,0.3"), [0.1, 0.3])
    for bad in ("1:0:0.5", "0:1:0", "1,,2", "1,inf", "a:b:c"):
        with pytest.raises(argparse.ArgumentTypeError, match="start:stop:step"):
            _parse_times(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="at most 1000000"):
        _parse_times("0:1:1e-7")


def test_dynamics_fit_and_predict_round_trip(files, capsys):
    model = files.tmp / "fitted.joblib"
    assert main(_fit(files, *FAST)) == 0
    pred = files.tmp / "pred.npz"
    assert main(_predict(files, "--times", "1:2:0.25", model=model)) == 0
    with np.load(pred) as result:
        assert result["pred"].shape == (2, 5, 2)
        assert np.all(result["std"] > 0)
        np.testing.assert_allclose(result["times"], [1.0, 1.25, 1.5, 1.75, 2.0])
    assert capsys.readouterr().out.splitlines() == [
        f"wrote the fitted model to {model}",
        f"wrote predictions (2, 5, 2) to {pred}",
    ]
    # without --times: the fit grid after the context
    assert main(_predict(files, "--force", model=model)) == 0
    with np.load(pred) as result:
        assert result["pred"].shape == (2, 6, 2)


def test_dynamics_fit_passes_symmetries(files):
    rng = np.random.default_rng(0)
    videos = files.tmp / "videos.npz"
    np.savez(videos, X=rng.normal(size=(6, 8, 4, 4)))
    model = files.tmp / "fitted.joblib"
    argv = _fit(files, *FAST, "-q", "--symmetries", "flip_lr", "rot90", data=videos)
    assert main(argv) == 0
    assert joblib.load(model).symmetries == ["flip_lr", "rot90"]


def test_force_replaces_an_output_and_keeps_its_mode(files):
    out = _write(files.tmp / "model.out", "old\n")
    out.chmod(0o640)
    assert main(_fit(files, *FAST, "--force", out=out)) == 0
    assert joblib.load(out).n_context == 4
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o640


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


@posix_only
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_new_outputs_get_the_default_mode_of_the_umask(mask, mode, umask, tmp_path):
    umask(mask)
    target = tmp_path / "edges.csv"
    _Outputs(force=False).write(target, lambda tmp: Path(tmp).write_text("a\n"))
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert sorted(tmp_path.iterdir()) == [target]


@posix_only
def test_command_outputs_follow_the_umask(files, umask):
    umask(0o002)
    matrix = files.tmp / "matrix.csv"
    assert main(_causal(files, "--matrix", str(matrix), "-q", *FAST)) == 0
    for path in (files.tmp / "edges.csv", matrix):
        assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = _write(tmp_path / "edges.csv", "old\n")

    def write(tmp):
        Path(tmp).write_text("half")
        raise OSError(28, "No space left on device", tmp)

    with pytest.raises(Exception, match=r"edges\.csv: cannot write: No space left"):
        _Outputs(force=True).write(target, write)
    assert target.read_text() == "old\n"
    assert sorted(tmp_path.iterdir()) == [target]


def test_a_full_disk_exits_2_without_partial_file(files, capsys, monkeypatch):
    _full_disk(monkeypatch)
    before = _snapshot(files.tmp)
    assert main(_fit(files, *FAST, "-q")) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"skdyncausal: error: {files.tmp / 'fitted.joblib'}: cannot write: "
        "No space left on device"
    )
    assert _snapshot(files.tmp) == before


def test_an_interrupted_fit_writes_nothing(files, capsys, monkeypatch):
    original = LatentDynamicsRegressor.fit

    def fit(self, *args, **kwargs):  # as after Ctrl-C, which skorch swallows
        original(self, *args, **kwargs)
        self.net_.interrupted_ = True
        return self

    monkeypatch.setattr(LatentDynamicsRegressor, "fit", fit)
    assert main(_fit(files, *FAST)) == 130
    assert capsys.readouterr().err.splitlines()[-1] == "skdyncausal: error: interrupted"
    assert not (files.tmp / "fitted.joblib").exists()


@pytest.mark.parametrize(
    "flag, summary, result",
    [("-q", False, False), (None, False, True), ("-v", True, True)],
)
def test_verbosity_results_on_stdout_progress_on_stderr(
    flag, summary, result, files, capsys
):
    argv = _causal(files, *FAST) + ([flag] if flag else [])
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == (f"wrote 20 ranked edges to {files.tmp / 'edges.csv'}\n" * result)
    assert ("done in " in err) is result
    assert ("known edges" in err) is summary
    assert "\x1b[" not in err
    if flag == "-q":
        assert err == ""


def test_library_output_goes_to_stderr_without_colour_codes(capsys):
    console = _Console(1)
    with console.capture():
        print("\x1b[36m0.8505\x1b[0m")  # how skorch's PrintLog prints a best score
        sys.stderr.write("bar\x1b[A\n")  # how tqdm moves the cursor
        warnings.warn("first line\n  - second", UserWarning, stacklevel=1)
    console.result("result")
    out, err = capsys.readouterr()
    assert out == "result\n"
    assert err == "0.8505\nbar\nskdyncausal: warning: first line: second\n"


def test_colour_codes_reach_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    with _Console(1, stdout=io.StringIO(), stderr=terminal).capture():
        print("\x1b[36m0.85\x1b[0m")
    assert terminal.getvalue() == "\x1b[36m0.85\x1b[0m\n"


def test_quiet_drops_library_output_and_warnings(capsys):
    with _Console(0).capture():
        print("epoch table")
        sys.stderr.write("bar\n")
        warnings.warn("noise", UserWarning, stacklevel=1)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_long_name_lists_say_how_many_they_leave_out():
    assert _names(["a", "b"]) == "'a', 'b'"
    text = _names([f"g{k}" for k in range(25)])
    assert text.startswith("'g0', 'g1'") and text.endswith("'g9' and 15 more")
