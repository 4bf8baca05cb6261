"""Sphinx configuration: python -m sphinx -W -j 2 -b html docs docs/_build/html"""

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.abspath(".."))
# docs/_gallery.py (example sizes) and docs/_benchmarks.py (benchmark tables)
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("MPLBACKEND", "Agg")

import torch

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
    # MyST parses the committed benchmark reports (benchmarks/results/*.md),
    # included by the benchmark-results directive of docs/_benchmarks.py.
    "myst_parser",
    "_benchmarks",
]
# The pages themselves are reStructuredText; markdown is only included.
source_suffix = {".rst": "restructuredtext"}
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "sg_execution_times.rst"]
# "fit()" rather than "CausalStructureEstimator.fit()" in a page's contents
toc_object_entries_show_parents = "hide"
html_theme = "pydata_sphinx_theme"
html_title = f"skdyncausal {release}"
html_static_path = ["_static"]
html_css_files = ["skdyncausal.css"]
# Pages of wide content, the benchmark tables and the examples' code, move
# their table of contents from the right sidebar to the left one, below the
# section's pages, so the content gets the width of the right sidebar.
_DOCS = Path(__file__).resolve().parent
_WIDE_PAGES = [f"benchmarks/{p.stem}" for p in (_DOCS / "benchmarks").glob("*.rst")]
_WIDE_PAGES += [
    f"auto_examples/{p.stem}" for p in (_DOCS.parent / "examples").glob("plot_*.py")
]
html_sidebars = {
    "benchmarks/*": ["sidebar-nav-bs", "page-toc"],
    "auto_examples/plot_*": ["sidebar-nav-bs", "page-toc"],
    # pages without sub-pages have no left sidebar
    "index": [],
    "install": [],
    "user_guide": [],
    "choosing_settings": [],
    "cli": [],
}
html_theme_options = {
    # every top-level page stays in the header, none in a "More" menu, and the
    # search is a button so that the header holds on one line
    "header_links_before_dropdown": 8,
    "navbar_align": "left",
    "navbar_persistent": ["search-button"],
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": {
        "**": ["page-toc"],
        "index": [],
        **{page: [] for page in _WIDE_PAGES},
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# The examples run when the docs are built, small unless SKDYNCAUSAL_DOCS_FULL=1
# (docs/_gallery.py), so every gallery page shows its figures and output. They
# train small networks, for which one torch thread is the fastest, all the more
# on cores shared with other work. With ``-j N`` the examples run in N worker
# processes ("parallel": True takes Sphinx's -j), where joblib gives each one
# thread per core it has.
torch.set_num_threads(1)
sphinx_gallery_conf = {
    "parallel": True,
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "True",
    "reset_argv": "_gallery.reset_argv",
    "within_subsection_order": "_gallery.ExampleOrder",
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
