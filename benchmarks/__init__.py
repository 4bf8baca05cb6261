"""Benchmarks of skdyncausal against its baselines and published peers.

Not part of the installed package. Run the scripts as modules from the
repository root, e.g. ``python -m benchmarks.causal_quality --quick``; they
import each other (and the tests import :mod:`benchmarks.peers`) as
``benchmarks.<module>``.
"""
