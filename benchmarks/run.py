"""Run the benchmark suite, one script after another.

Each benchmark runs as its own subprocess (with this Python interpreter, in the
repository root, as modules: ``python -m benchmarks.<name>``), in this order:
``dynamics_quality``, ``causal_quality`` (ours, the baselines and the peers of
``peers.py``) and ``causal_scale``.
Every command and its wall time are printed; the exit status is non-zero when
any benchmark fails (the remaining ones still run).

Usage, from the repository root::

    python -m benchmarks.run --quick            # quick modes, under 10 min on 2 cores
    python -m benchmarks.run --full             # the committed tables (hours)
    python -m benchmarks.run --quick --dry-run  # print the commands only

The quick mode took 478 s on an idle 2-core CPU (dynamics 226 s, causal quality
210 s, scale 42 s). The full mode reruns the committed tables:
``dynamics_quality.py`` with 3 seeds (55 min on 2 cores), ``causal_quality.py``
on the full grid with the peers (31 min with one worker) and ``causal_scale.py``
for p up to 2,000 (35 min).

With ``--quick`` every script writes to ``results/quick/`` (the committed
tables are not overwritten), and ``causal_scale.py`` runs only ``ours`` and
``PartialCorr`` at p in {100, 300}; the peers are compared on equal data in
``causal_quality.py``.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

QUICK_OUT = str(HERE / "results" / "quick")
# The arguments after ``python``: ``-m`` and a module of this package.
DYNAMICS = "benchmarks.dynamics_quality"
QUICK = (
    ["-m", DYNAMICS, "--quick", "--out", QUICK_OUT],
    ["-m", "benchmarks.causal_quality", "--quick", "--out", QUICK_OUT],
    [
        "-m",
        "benchmarks.causal_scale",
        "--quick",
        "--methods",
        "ours",
        "PartialCorr",
        "--out",
        QUICK_OUT,
    ],
)
FULL = (
    ["-m", DYNAMICS],
    ["-m", "benchmarks.causal_quality", "--jobs", "2"],
    ["-m", "benchmarks.causal_scale"],
)


def commands(full=False):
    """The benchmark command lines, as argument lists, to run in :data:`ROOT`."""
    return [[sys.executable, *args] for args in (FULL if full else QUICK)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="quick modes")
    mode.add_argument("--full", action="store_true", help="full modes")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the commands, run nothing"
    )
    args = parser.parse_args(argv)
    failed = []
    total = time.perf_counter()
    for command in commands(full=args.full):
        line = " ".join(command)
        print(f"$ {line}", flush=True)
        if args.dry_run:
            continue
        start = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
        seconds = time.perf_counter() - start
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"[{status}] {seconds:.0f} s: {line}", flush=True)
        if code != 0:
            failed.append(line)
    if not args.dry_run:
        print(f"total {time.perf_counter() - total:.0f} s", flush=True)
    if failed:
        print("failed:\n" + "\n".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
