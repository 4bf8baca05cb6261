"""The example scripts run end to end (tiny settings) and write their figures."""

import runpy
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(script), *argv])
    runpy.run_path(str(script), run_name="__main__")


def test_causal_example_writes_figure(tmp_path, monkeypatch, capsys):
    _run(EXAMPLES / "plot_causal_structure.py", [str(tmp_path)], monkeypatch)
    out = capsys.readouterr().out
    assert "CausalStructureEstimator" in out and "AUPRC" in out
    assert (tmp_path / "causal_structure.png").stat().st_size > 10_000


def test_pendulum_example_writes_figures(tmp_path, monkeypatch, capsys):
    argv = [str(tmp_path), "--epochs", "1", "--n-train", "12"]
    _run(EXAMPLES / "plot_pendulum_dynamics.py", argv, monkeypatch)
    out = capsys.readouterr().out
    assert "persistence" in out
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs, "the example saved no figure"
