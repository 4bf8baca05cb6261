import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skdyncausal.cli import _parse_times, main
from skdyncausal.datasets import make_prior, make_sem

FAST = ["--max-epochs", "3", "--random-state", "0"]


@pytest.fixture
def causal_files(tmp_path):
    data = make_sem(n_samples=150, n_variables=6, n_interventions=3, random_state=0)
    names = [f"g{k}" for k in range(6)]
    frame = pd.DataFrame(data.X, columns=names)
    frame["knockout"] = [names[k] if k >= 0 else "" for k in data.interventions]
    prior = make_prior(data.adjacency, fraction=0.5, random_state=0)
    data_path = tmp_path / "data.csv"
    prior_path = tmp_path / "prior.csv"
    frame.to_csv(data_path, index=False)
    pd.DataFrame(prior, index=names, columns=names).to_csv(prior_path)
    return data_path, prior_path, names, prior


def test_help_from_console_script_and_module():
    for cmd in (["skdyncausal", "--help"], [sys.executable, "-m", "skdyncausal", "-h"]):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert "quickstart" in out.stdout and "causal" in out.stdout


def test_causal_help_explains_formats(capsys):
    with pytest.raises(SystemExit) as info:
        main(["causal", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "cause,effect,label" in text and "--interventions" in text


def test_causal_round_trip(causal_files, tmp_path):
    data_path, prior_path, names, prior = causal_files
    out = tmp_path / "edges.csv"
    matrix = tmp_path / "matrix.csv"
    status = main(
        [
            "causal",
            str(data_path),
            "--prior",
            str(prior_path),
            "--interventions",
            "knockout",
            "--out",
            str(out),
            "--matrix",
            str(matrix),
            *FAST,
        ]
    )
    assert status == 0
    edges = pd.read_csv(out)
    assert list(edges.columns) == [
        "cause",
        "effect",
        "probability",
        "in_prior",
        "prior_label",
    ]
    assert len(edges) == 6 * 5
    assert edges["probability"].is_monotonic_decreasing
    assert set(edges["cause"]) == set(names)
    known = edges[edges["in_prior"]]
    assert len(known) == int(np.sum(~np.isnan(prior)))
    square = pd.read_csv(matrix, index_col=0)
    assert list(square.columns) == names
    assert np.allclose(np.diag(square.to_numpy()), 0.0)


def test_causal_accepts_an_edge_list_prior(causal_files, tmp_path):
    data_path, _, names, prior = causal_files
    rows = [
        (names[i], names[j], int(prior[i, j]))
        for i, j in zip(*np.nonzero(~np.isnan(prior)))
    ]
    edge_list = tmp_path / "prior_edges.csv"
    pd.DataFrame(rows, columns=["cause", "effect", "label"]).to_csv(
        edge_list, index=False
    )
    out = tmp_path / "edges.csv"
    status = main(
        [
            "causal",
            str(data_path),
            "--prior",
            str(edge_list),
            "--interventions",
            "knockout",
            "--out",
            str(out),
            *FAST,
        ]
    )
    assert status == 0
    assert pd.read_csv(out)["in_prior"].sum() == len(rows)


def _bad_prior_names(tmp_path, names, prior):
    path = tmp_path / "bad_prior.csv"
    wrong = [*names[:-1], "not_a_gene"]
    pd.DataFrame(prior, index=wrong, columns=wrong).to_csv(path)
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_data", "data file not found"),
        ("non_numeric", "non-numeric values in column"),
        ("bad_prior_names", "prior names do not match"),
        ("bad_prior_values", "prior entries must be 1, 0 or empty"),
        ("bad_intervention_column", "no column 'nope' for --interventions"),
        ("one_class_prior", "positive"),
    ],
)
def test_causal_bad_input_exits_2_and_writes_nothing(
    case, message, causal_files, tmp_path, capsys
):
    data_path, prior_path, names, prior = causal_files
    args = ["--interventions", "knockout"]
    if case == "missing_data":
        data_path = tmp_path / "absent.csv"
    elif case == "non_numeric":
        frame = pd.read_csv(data_path)
        frame["g2"] = frame["g2"].astype(object)
        frame.loc[3, "g2"] = "high"
        frame.to_csv(data_path, index=False)
    elif case == "bad_prior_names":
        prior_path = _bad_prior_names(tmp_path, names, prior)
    elif case == "bad_prior_values":
        bad = np.where(np.isnan(prior), np.nan, 2.0)
        pd.DataFrame(bad, index=names, columns=names).to_csv(prior_path)
    elif case == "bad_intervention_column":
        args = ["--interventions", "nope"]
    elif case == "one_class_prior":
        zeros = np.where(np.isnan(prior), np.nan, 0.0)
        pd.DataFrame(zeros, index=names, columns=names).to_csv(prior_path)
    out = tmp_path / "edges.csv"
    status = main(
        [
            "causal",
            str(data_path),
            "--prior",
            str(prior_path),
            *args,
            "--out",
            str(out),
            *FAST,
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("skdyncausal: error: ")
    assert message in err[0]
    assert not out.exists()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_parse_times():
    np.testing.assert_allclose(_parse_times("1:2:0.5"), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(_parse_times("0.1,0.3"), [0.1, 0.3])
    from skdyncausal.cli import InputError

    with pytest.raises(InputError, match="start:stop:step"):
        _parse_times("1:0:0.5")


def test_dynamics_fit_and_predict_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 3, 16)
    phase = rng.uniform(0, np.pi, size=(24, 1))
    X = np.stack([np.sin(t + phase), np.cos(t + phase)], axis=-1)
    data = tmp_path / "traj.npz"
    np.savez(data, X=X, times=t)
    model = tmp_path / "model.joblib"
    argv = ["dynamics", "fit", str(data), "--out", str(model), "--n-context", "4"]
    assert main([*argv, *FAST]) == 0
    context = tmp_path / "context.npz"
    np.savez(context, X=X[:3, :4])
    pred = tmp_path / "pred.npz"
    argv = ["dynamics", "predict", str(model), str(context), "--times", "1:2:0.25"]
    assert main([*argv, "--out", str(pred)]) == 0
    with np.load(pred) as result:
        assert result["pred"].shape == (3, 5, 2)
        assert np.all(result["std"] > 0)
        np.testing.assert_allclose(result["times"], [1.0, 1.25, 1.5, 1.75, 2.0])


def test_dynamics_bad_files_exit_2(tmp_path, capsys):
    data = tmp_path / "traj.npz"
    np.savez(data, frames=np.zeros((4, 8, 2)))
    status = main(["dynamics", "fit", str(data), "--out", str(tmp_path / "m")])
    assert status == 2
    assert "missing array 'X'" in capsys.readouterr().err
    np.savez(data, X=np.zeros((4, 8)))
    status = main(["dynamics", "fit", str(data), "--out", str(tmp_path / "m")])
    assert status == 2
    assert str(data) in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
