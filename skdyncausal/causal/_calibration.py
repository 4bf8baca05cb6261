"""Calibrated edge probabilities (numpy and scikit-learn only).

The network is trained with a class-weighted loss, so its raw probabilities
overstate edges: a positive weight ``w`` multiplies the odds it learns by
``w``. :class:`EdgeCalibrator` takes ``log(w)`` off the logit and then fits
Platt scaling (a logistic regression of labels on the logit) on labelled
pairs the network did not train on: the held-out ``validation_pairs_``, or,
with ``prior_folds``, every labelled pair scored by a model that did not see
it. Both steps are monotone in the logit, so the ranking of the pairs (AUROC,
AUPRC) is the same as without calibration.

Platt scaling makes the probabilities right for pairs drawn like the labelled
ones; when the prior lists edges more often than they occur among the other
pairs, the probabilities of those pairs are still too high.
"""

import warnings

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

__all__ = ["EdgeCalibrator"]

# labelled pairs of each label needed to rescale the logits (Platt scaling)
_MIN_PER_CLASS = 5


class EdgeCalibrator:
    """Logit -> calibrated probability: class-weight correction, Platt scaling.

    Attributes (after :meth:`fit`)
    ------------------------------
    weight_shift_ : float
        ``-log(pos_weight)``, added to every logit first.
    slope_, intercept_ : float
        Platt scaling of the corrected logit (1 and 0 when too few labelled
        pairs of a label were given).
    n_pairs_ : int
        Labelled pairs the scaling was fitted on.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = (rng.random(4000) < 0.1).astype(float)
    >>> logits = 2.0 * (2 * y - 1) + rng.normal(size=y.size) + np.log(9.0)
    >>> cal = EdgeCalibrator().fit(logits, y, pos_weight=9.0)
    >>> p = cal.transform(logits)
    >>> bool(abs(p.mean() - y.mean()) < 0.01)
    True
    """

    def fit(self, logits, labels, *, pos_weight=1.0):
        """Fit on labelled pairs scored by a model that did not train on them."""
        self.weight_shift_ = -float(np.log(pos_weight))
        z = np.asarray(logits, dtype=np.float64) + self.weight_shift_
        y = np.asarray(labels, dtype=np.float64)
        self.n_pairs_ = int(y.size)
        self.slope_, self.intercept_ = 1.0, 0.0
        n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
        if min(n_pos, n_neg) >= _MIN_PER_CLASS:
            platt = LogisticRegression(C=1.0).fit(z[:, None], y)
            # a non-positive slope would reverse the ranking: keep it increasing
            self.slope_ = float(max(platt.coef_[0, 0], 1e-3))
            self.intercept_ = float(platt.intercept_[0])
        else:
            warnings.warn(
                f"only {n_pos} edges and {n_neg} absences among the labelled pairs "
                f"held out of training (fewer than {_MIN_PER_CLASS} of a label): "
                "the probabilities are corrected for the class weights of the "
                "loss only. Label more pairs, or fit with prior_folds=3 to "
                "calibrate on all labelled pairs.",
                UserWarning,
                stacklevel=4,
            )
        return self

    def transform(self, logits):
        """Calibrated probabilities of the pairs with these logits."""
        z = np.asarray(logits, dtype=np.float64) + self.weight_shift_
        return expit(self.slope_ * z + self.intercept_)
