"""Every Python code block of the README and the user guide runs as written.

Each block runs on its own in a fresh interpreter (so a block that leans on
names from an earlier one fails), from an empty working folder; two blocks
run at a time, one thread each.
"""

import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def rst_blocks(path):
    """The bodies of the ``.. code-block:: python`` directives of an rst file."""
    lines = path.read_text().splitlines()
    blocks, k = [], 0
    while k < len(lines):
        if lines[k].strip() == ".. code-block:: python":
            k += 1
            body = []
            while k < len(lines) and (not lines[k].strip() or lines[k][:1] == " "):
                body.append(lines[k])
                k += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
        else:
            k += 1
    return blocks


BLOCKS = [(f"README-{k}", b) for k, b in enumerate(readme_blocks())] + [
    (f"user_guide-{k}", b)
    for k, b in enumerate(rst_blocks(ROOT / "docs" / "user_guide.rst"))
]


def test_blocks_are_found():
    names = [name for name, _ in BLOCKS]
    assert sum(n.startswith("README") for n in names) >= 3
    assert sum(n.startswith("user_guide") for n in names) >= 5


def _run_block(code, folder):
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """Every block's finished process, two at a time (one thread each)."""
    folders = [tmp_path_factory.mktemp(name) for name, _ in BLOCKS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = pool.map(_run_block, [code for _, code in BLOCKS], folders)
        return dict(zip([name for name, _ in BLOCKS], procs))


@pytest.mark.parametrize("name", [n for n, _ in BLOCKS])
def test_code_block_runs_verbatim(name, finished):
    proc = finished[name]
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-2000:]}"
