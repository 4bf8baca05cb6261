"""The only place that subclasses skorch.

Estimators in this package *compose* a :class:`_TrainingNet` (stored as ``net_``);
they never inherit from skorch, because a ``NeuralNet`` subclass fails most of
scikit-learn's estimator checks.
"""

import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping


class _TrainingNet(NeuralNet):
    """A ``NeuralNet`` that records interruptions and lets modules add penalties.

    Modules may return tuples (only the first element is a prediction); the
    criterion receives the whole tuple. A module that defines ``extra_loss()``
    adds it to the training loss (used for parameter priors).
    """

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch swallows KeyboardInterrupt in ``partial_fit``; remember that it
        # happened so the estimator can tell the user which weights it kept.
        self.interrupted_ = False
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping also stops by raising KeyboardInterrupt;
            # only a stop that no callback asked for is an interruption.
            self.interrupted_ = not any(
                isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                for _, cb in self.callbacks_
            )
            raise

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        extra = getattr(self.module_, "extra_loss", None)
        if callable(extra):
            loss = loss + extra()
        return loss

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        loss = step["loss"]
        if not torch.isfinite(loss):
            raise FloatingPointError(
                "the training loss became non-finite; lower `lr`, check the input "
                "scale (standardise X) or increase `batch_size`."
            )
        return step
