"""Progress of long work, on standard error, through tqdm and skorch.

``verbose=1`` shows one bar over the epochs of a fit (count, elapsed time,
estimate of the time left, last losses) and one over the feature blocks of
the causal estimator; ``verbose=2`` shows skorch's table of every epoch and
its bar over the batches of each epoch instead of the epoch bar. Nothing goes
to standard output, and colour codes reach only a terminal.
"""

import re
import sys

from skorch.callbacks import Callback
from tqdm.auto import tqdm

__all__ = ["EpochBar", "log", "progress"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log(*args):
    """Print to standard error, without colour codes unless it is a terminal."""
    text = " ".join(str(a) for a in args)
    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        text = _ANSI.sub("", text)
    tqdm.write(text, file=stream)


def progress(iterable, *, total, desc, unit, verbose):
    """``iterable`` wrapped in a tqdm bar on standard error when ``verbose``."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not verbose,
        leave=False,
        dynamic_ncols=True,
    )


class EpochBar(Callback):
    """A tqdm bar over the epochs of one training run.

    ``total`` is set before each run (the epochs asked for); the bar closes
    at the end of the run, early stopping and interruptions included.
    """

    def __init__(self, total=None, desc="epochs"):
        self.total = total
        self.desc = desc

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(
            total=self.total,
            desc=self.desc,
            unit="epoch",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
        self.bar_ = None

    def __getstate__(self):
        # an open bar holds a stream: never pickle it
        return {**self.__dict__, "bar_": None}
