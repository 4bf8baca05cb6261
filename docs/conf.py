"""Sphinx configuration: python -m sphinx -W -b html docs docs/_build/html"""

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

import skdyncausal

project = "skdyncausal"
author = "skdyncausal developers"
copyright = "2026, skdyncausal developers"
version = release = skdyncausal.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "sg_execution_times.rst"]
html_theme = "alabaster"
# The examples run when the docs are built, small unless SKDYNCAUSAL_DOCS_FULL=1
# (docs/_gallery.py), so every gallery page shows its figures and output.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "True",
    "reset_argv": "_gallery.reset_argv",
    "download_all_examples": False,
    "write_computation_times": False,
}


# Inherited from scikit-learn with docstrings that point into scikit-learn's
# own documentation (set_*_request methods come from metadata routing).
_SKLEARN_DOC_LINKED = {"get_metadata_routing", "set_output"}


def _skip_routing_methods(app, what, name, obj, skip, options):
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if name in _SKLEARN_DOC_LINKED:
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_routing_methods)
