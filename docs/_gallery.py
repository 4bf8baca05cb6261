"""Sizes of the gallery examples when the documentation is built.

The examples train models. By default the docs build runs them small, so
that the whole gallery runs in about a minute on 2 cores; set the
environment variable ``SKDYNCAUSAL_DOCS_FULL=1`` to run them at the sizes
their scripts use by default.
"""

import os
from pathlib import Path

# command-line arguments of each example in the small (default) build
SMALL_ARGV = {
    "plot_pendulum_dynamics.py": ["--epochs", "20", "--n-train", "120"],
}


def reset_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` for an example run by sphinx-gallery."""
    if os.environ.get("SKDYNCAUSAL_DOCS_FULL") == "1":
        return []
    return SMALL_ARGV.get(Path(script_vars["src_file"]).name, [])
