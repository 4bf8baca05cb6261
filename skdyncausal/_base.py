"""What both estimators need, written once.

Seeding, device handling, parameter validation and the construction of the skorch
net that an estimator composes (never inherits).
"""

import contextlib
import copy
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    GradientNormClipping,
    ProgressBar,
)
from skorch.helper import predefined_split

from ._progress import EpochBar, log
from ._skorch import _TrainingNet
from ._validation import ParamCheck

__all__ = [
    "TorchEstimatorMixin",
    "resolve_device",
    "resolve_optimizer",
    "seed_from",
    "torch_rng",
]


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


# Optimizers offered by name; any torch.optim.Optimizer subclass works too.
OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


def resolve_optimizer(optimizer):
    """The optimizer class for the ``optimizer`` parameter (a name or a class).

    Examples
    --------
    >>> resolve_optimizer("adamw").__name__
    'AdamW'
    """
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        return OPTIMIZERS[optimizer]
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer
    raise ValueError(
        f"optimizer must be one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer "
        f"subclass; got {optimizer!r}."
    )


class TorchEstimatorMixin:
    """Shared machinery of the estimators that compose a skorch net.

    Subclasses define the parameters ``optimizer``, ``lr``, ``weight_decay``,
    ``gradient_clip``, ``max_epochs``, ``batch_size``, ``early_stopping``,
    ``n_iter_no_change``, ``torch_threads``, ``device``, ``verbose`` and
    ``random_state``. The mixin gives them the parameter checks, the skorch
    net, training with interruption reports, the rollback of a failed fit,
    the torch thread setting and unpickling onto the device the net landed on.
    """

    def _param_check(self):
        check = ParamCheck(self)
        try:
            resolve_optimizer(self.optimizer)
        except ValueError as exc:
            check.check(False, str(exc).rstrip("."))
        check.real("lr", 0, low_open=True)
        check.real("weight_decay", 0)
        check.real("gradient_clip", 0, low_open=True, allow_none=True)
        check.integer("max_epochs", 1)
        check.integer("batch_size", 1)
        check.integer("n_iter_no_change", 1)
        check.flag("early_stopping")
        check.integer("torch_threads", 1, allow_none=True)
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
        valid_score=None,
        **module_params,
    ):
        """Build the skorch net; no internal split unless early stopping is on.

        ``valid_score``: ``(name, scoring)``, a score of the held-out data to
        maximise (``scoring(net, dataset, y)``, skorch's EpochScoring), which
        early stopping then monitors instead of the held-out loss.
        """
        callbacks = []
        # 1: one bar over the epochs; 2: skorch's epoch table and its bar over
        # the batches of each epoch (two bars at once would need cursor codes)
        if self.verbose == 1:
            callbacks.append(("progress", EpochBar()))
        if self.verbose >= 2:
            callbacks.append(("batches", ProgressBar()))
        if self.gradient_clip is not None:
            clip = GradientNormClipping(gradient_clip_value=float(self.gradient_clip))
            callbacks.append(("clip", clip))
        train_split = None
        if valid_dataset is not None:
            train_split = predefined_split(valid_dataset)
            monitor, lower_is_better = "valid_loss", True
            if valid_score is not None:
                monitor, lower_is_better = valid_score[0], False
                scoring = EpochScoring(
                    valid_score[1], lower_is_better=False, name=monitor
                )
                callbacks.append((monitor, scoring))
            if self.early_stopping:
                stopper = EarlyStopping(
                    monitor=monitor,
                    lower_is_better=lower_is_better,
                    patience=self.n_iter_no_change,
                    load_best=True,
                    sink=self._print,
                )
                callbacks.append(("early_stopping", stopper))
        return _TrainingNet(
            module=module,
            criterion=criterion,
            optimizer=resolve_optimizer(self.optimizer),
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs if max_epochs is None else max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            iterator_train__shuffle=True,
            iterator_train__generator=generator,
            device=self.device_,
            # skorch's per-epoch table only at verbose >= 2, on stderr (its
            # PrintLog prints through any sink but ``print`` whatever verbose)
            verbose=int(self.verbose >= 2),
            callbacks__print_log__sink=log if self.verbose >= 2 else print,
            **{f"module__{k}": v for k, v in module_params.items()},
        )

    @contextlib.contextmanager
    def _rollback(self, weights=False):
        """Put back the previous state should the block fail.

        A fresh estimator stays unfitted, a fitted one keeps its previous fit;
        a failed or interrupted fit never leaves a half-built model behind.
        With ``weights``, the block trains ``net_`` in place (warm start): its
        weights, optimizer state, history and split are restored as well.
        """
        state = dict(self.__dict__)
        saved = _net_state(self.net_) if weights else None
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            if saved is not None:
                _restore_net_state(self.net_, saved)
            raise

    @contextlib.contextmanager
    def _threads(self):
        """Run with ``torch_threads`` intra-op threads; restore them afterwards."""
        before = torch.get_num_threads()
        wanted = self.torch_threads
        if wanted is not None and wanted != before:
            torch.set_num_threads(int(wanted))
        try:
            yield
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)

    def __setstate__(self, state):
        # skorch loads a net saved on CUDA onto the CPU when CUDA is missing;
        # follow the device the net actually landed on.
        net = state.get("net_")
        if net is not None and "device_" in state:
            state = {**state, "device_": str(torch.device(net.device))}
        super().__setstate__(state)

    def _print(self, *args):
        if self.verbose:
            log(*args)

    def _train(self, net, dataset, epochs=None):
        """Run skorch training and report an interruption to the user."""
        bar = dict(net.callbacks_).get("progress")
        if bar is not None:
            bar.total = net.max_epochs if epochs is None else epochs
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
        keys = ("epoch", "train_loss", "valid_loss", "dur")
        scores = [n for n, cb in net.callbacks_ if isinstance(cb, EpochScoring)]
        history = [{k: row.get(k) for k in (*keys, *scores)} for row in net.history]
        return history


def _net_state(net):
    """Copies of what training a skorch net in place changes."""
    return {
        "module": copy.deepcopy(net.module_.state_dict()),
        "optimizer": copy.deepcopy(net.optimizer_.state_dict()),
        "history": copy.deepcopy(net.history),
        "train_split": net.train_split,
    }


def _restore_net_state(net, saved):
    net.module_.load_state_dict(saved["module"])
    net.optimizer_.load_state_dict(saved["optimizer"])
    net.history = saved["history"]
    net.train_split = saved["train_split"]


def as_float64(array):
    """Detach a tensor (or array) into a float64 numpy array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64)
