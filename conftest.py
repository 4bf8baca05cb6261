"""Shared test configuration: headless plotting and small, seeded fixtures."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
import torch

# The tests fit tiny models: one intra-op thread is fastest for them and avoids
# OpenMP threads spinning against each other on a busy two-core machine.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
