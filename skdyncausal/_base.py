"""What both estimators need, written once.

Seeding, device handling, parameter validation and the construction of the skorch
net that an estimator composes (never inherits).
"""

import contextlib
import numbers
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import EarlyStopping, GradientNormClipping
from skorch.helper import predefined_split

from ._skorch import _TrainingNet

__all__ = ["TorchEstimatorMixin", "resolve_device", "seed_from", "torch_rng"]


def seed_from(random_state):
    """Draw one integer seed from ``random_state`` (int, RandomState or None).

    Examples
    --------
    >>> seed_from(0) == seed_from(0)
    True
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def torch_rng(seed, device="cpu"):
    """Seed torch inside ``fork_rng`` so the caller's global RNG is left untouched.

    Yields a seeded CPU :class:`torch.Generator` for data loaders.

    Examples
    --------
    >>> import torch
    >>> with torch_rng(1) as g:
    ...     a = torch.rand(2, generator=g)
    >>> with torch_rng(1) as g:
    ...     b = torch.rand(2, generator=g)
    >>> bool(torch.equal(a, b))
    True
    """
    devices = []
    if str(device).startswith("cuda") and torch.cuda.is_available():
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield torch.Generator().manual_seed(seed)


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string.

    ``"auto"`` picks CUDA when available, else CPU.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None or device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    name = str(device)
    if name == "cpu":
        return name
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but torch.cuda.is_available() is "
                "False; install a CUDA build of torch or pass device='cpu' "
                "(or 'auto' to pick the GPU only when one exists)."
            )
        return name
    if name == "mps" and torch.backends.mps.is_available():
        return name
    raise ValueError(
        f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}."
    )


class _ParamCheck:
    """Collect every parameter problem, then raise them in one ``ValueError``."""

    def __init__(self, estimator):
        self.estimator = estimator
        self.problems = []

    def _get(self, name):
        return getattr(self.estimator, name)

    def integer(self, name, low, high=None, allow_none=False):
        value = self._get(name)
        if value is None and allow_none:
            return
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        ok = ok and value >= low and (high is None or value <= high)
        if not ok:
            bound = f">= {low}" if high is None else f"in [{low}, {high}]"
            self.problems.append(f"{name} must be an integer {bound}; got {value!r}")

    def real(self, name, low, high=None, *, low_open=False, allow_none=False):
        value = self._get(name)
        if value is None and allow_none:
            return
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        ok = ok and np.isfinite(value)
        if ok:
            ok = value > low if low_open else value >= low
            ok = ok and (high is None or value <= high)
        if not ok:
            left = "(" if low_open else "["
            right = "inf)" if high is None else f"{high}]"
            self.problems.append(
                f"{name} must be a real number in {left}{low}, {right}; got {value!r}"
            )

    def choice(self, name, options):
        value = self._get(name)
        if value not in options:
            self.problems.append(f"{name} must be one of {options}; got {value!r}")

    def flag(self, name):
        value = self._get(name)
        if not isinstance(value, bool | np.bool_):
            self.problems.append(f"{name} must be True or False; got {value!r}")

    def check(self, condition, message):
        if not condition:
            self.problems.append(message)

    def raise_if_any(self):
        if self.problems:
            name = type(self.estimator).__name__
            lines = "\n  - ".join(self.problems)
            raise ValueError(f"Invalid parameters for {name}:\n  - {lines}")


class TorchEstimatorMixin:
    """Shared machinery of the estimators that compose a skorch net.

    Subclasses define the parameters ``lr``, ``max_epochs``, ``batch_size``,
    ``weight_decay``, ``early_stopping``, ``n_iter_no_change``, ``device``,
    ``verbose`` and ``random_state``.
    """

    def _param_check(self):
        check = _ParamCheck(self)
        check.real("lr", 0, low_open=True)
        check.real("weight_decay", 0)
        check.integer("max_epochs", 1)
        check.integer("batch_size", 1)
        check.integer("n_iter_no_change", 1)
        check.flag("early_stopping")
        check.integer("verbose", 0)
        return check

    def _make_net(
        self,
        module,
        criterion,
        *,
        generator,
        valid_dataset=None,
        max_epochs=None,
        **module_params,
    ):
        """Build the skorch net; no internal split unless early stopping is on."""
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        train_split = None
        if valid_dataset is not None:
            train_split = predefined_split(valid_dataset)
            if self.early_stopping:
                callbacks.append(
                    (
                        "early_stopping",
                        EarlyStopping(
                            monitor="valid_loss",
                            patience=self.n_iter_no_change,
                            load_best=True,
                            sink=self._print,
                        ),
                    )
                )
        return _TrainingNet(
            module=module,
            criterion=criterion,
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs if max_epochs is None else max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            iterator_train__shuffle=True,
            iterator_train__generator=generator,
            device=self.device_,
            verbose=int(self.verbose),
            **{f"module__{k}": v for k, v in module_params.items()},
        )

    def _print(self, *args):
        if self.verbose:
            print(*args, flush=True)

    def _train(self, net, dataset, epochs=None):
        """Run skorch training and report an interruption to the user."""
        if epochs is None:
            net.partial_fit(dataset, y=None)
        else:
            net.partial_fit(dataset, y=None, epochs=epochs)
        if getattr(net, "interrupted_", False):
            n_done = len(net.history)
            warnings.warn(
                f"{type(self).__name__}.fit was interrupted after {n_done} epoch(s); "
                "the estimator keeps the weights it had (the best so far when early "
                "stopping is on) and can be used or trained further.",
                RuntimeWarning,
                stacklevel=3,
            )
        history = [
            {k: row.get(k) for k in ("epoch", "train_loss", "valid_loss", "dur")}
            for row in net.history
        ]
        return history


def as_float64(array):
    """Detach a tensor (or array) into a float64 numpy array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64)
