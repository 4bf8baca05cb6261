"""The documentation builds without a single warning."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("numpydoc", reason="the docs extra is not installed")
    pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")
    src = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", src, ignore=shutil.ignore_patterns("_build"))
    # conf.py and the gallery find the package and the examples relative to docs/.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(
        ROOT / "benchmarks" / "results", tmp_path / "benchmarks" / "results"
    )
    shutil.copytree(ROOT / "skdyncausal", tmp_path / "skdyncausal")
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "-q",
        "-b",
        "html",
        str(src),
        str(tmp_path / "html"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "html" / "api.html").exists()
    assert (
        tmp_path / "html" / "generated" / "skdyncausal.CausalStructureEstimator.html"
    ).exists()
