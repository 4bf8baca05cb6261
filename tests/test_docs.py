"""The documentation builds without a single warning, gallery included."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """HTML of a fresh build (examples run small, two at a time: docs/_gallery.py)."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser"):
        pytest.importorskip(module, reason="the docs extra is not installed")
    pytest.importorskip("pydata_sphinx_theme", reason="the docs extra is not installed")
    tmp_path = tmp_path_factory.mktemp("docs")
    src = tmp_path / "docs"
    # Outputs of a local build are left out, so the examples run again here.
    shutil.copytree(
        ROOT / "docs",
        src,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"),
    )
    # conf.py and the gallery find the package and the examples relative to docs/.
    shutil.copytree(
        ROOT / "examples",
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("*_output"),
    )
    shutil.copytree(
        ROOT / "benchmarks" / "results", tmp_path / "benchmarks" / "results"
    )
    shutil.copytree(ROOT / "skdyncausal", tmp_path / "skdyncausal")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "-q", "-j", "2", "-b", "html"]
    cmd += [str(src), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_docs_build_without_warnings(html):
    assert (html / "api.html").exists()
    assert (html / "generated" / "skdyncausal.CausalStructureEstimator.html").exists()


def test_navigation_holds_every_section(html):
    index = (html / "index.html").read_text()
    for page in (
        "install",
        "user_guide",
        "choosing_settings",
        "auto_examples/index",
        "api",
        "benchmarks",
        "cli",
    ):
        assert f'href="{page}.html"' in index, page


def test_every_example_ran_and_shows_a_figure(html):
    examples = sorted((ROOT / "examples").glob("plot_*.py"))
    assert len(examples) >= 9
    for example in examples:
        page = (html / "auto_examples" / f"{example.stem}.html").read_text()
        assert "sphx-glr-single-img" in page or "sphx-glr-multi-img" in page, (
            f"{example.name} shows no figure"
        )
        assert "sphx-glr-script-out" in page, f"{example.name} printed nothing"


def test_benchmark_tables_are_tables(html):
    pages = sorted((html / "benchmarks").glob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert "benchmark-table" in text, f"{page.name} has no table"
        # no markdown left as text: table rows, delimiter rows, headings
        assert not re.search(r"\|\s*-{3}", text), f"{page.name} shows raw markdown"
        assert not re.search(r"<p>(\|\s|#+\s)", text), f"{page.name}: raw markdown"
    scale = (html / "benchmarks" / "causal_scale.html").read_text()
    assert "causal_scale.png" in scale
    overview = (html / "benchmarks.html").read_text()
    assert "dynamics_quality_curves.png" in overview and "causal_scale.png" in overview
