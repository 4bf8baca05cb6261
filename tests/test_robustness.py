"""Malformed, read-only and large inputs for both estimators.

Property tests (hypothesis) feed every public method malformed input and
require a ``ValueError`` or ``TypeError`` that names the offending argument,
raised by input validation rather than deep inside torch, and leaving the
estimator as it was: unfitted after a failed first fit, unchanged after a
failed call on a fitted one.
"""

import copy
import os
import re

import _helpers
import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import skdyncausal
from skdyncausal.causal import CausalStructureEstimator
from skdyncausal.datasets import make_prior, make_sem
from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.dynamics import _data as dyn_data
from skdyncausal.dynamics import _forecast as dyn_forecast
from skdyncausal.dynamics._module import LatentDynamicsModule

# Few examples, no deadline (a fit takes a moment on shared cores), no example
# database written into the repository, and the same examples on every run.
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FIT_PROPERTY = settings(PROPERTY, max_examples=6)

DYN_TINY = {**_helpers.DYN_TINY, "max_epochs": 1, "n_posterior_samples": 2}
CAUSAL_TINY = _helpers.CAUSAL_TINY
N, T, F = 8, 8, 2  # dynamics fixture: instances, times, features
P = 5  # causal fixture: variables

_PACKAGE_DIR = os.path.dirname(skdyncausal.__file__)


def assert_clear_error(info, name):
    """A ValueError/TypeError naming ``name``, raised by input validation."""
    exc = info.value
    assert isinstance(exc, ValueError | TypeError), repr(exc)
    message = str(exc)
    assert re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message), (
        f"the message does not name {name!r}: {message}"
    )
    # No "during handling of the above exception" chain of internals.
    assert exc.__context__ is None or exc.__suppress_context__, repr(exc.__context__)
    # The innermost frame is the package's (or scikit-learn's) validation,
    # not torch or a numpy operation deep inside the computation.
    origin = info.traceback[-1].path
    assert str(origin).startswith(_PACKAGE_DIR) or "sklearn" in str(origin), origin


def assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# =============================================================== dynamics
def sines(n=N, n_times=T, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 3.0, n_times)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    arg = t + phase
    return np.stack([np.sin(arg), np.cos(arg)], axis=-1), t


@pytest.fixture(scope="module")
def dyn():
    X, t = sines()
    est = LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)
    reference = est.predict(X[:2]), est.transform(X[:2])
    return est, X, t, reference


def assert_dyn_unchanged(est, X, reference):
    np.testing.assert_array_equal(est.predict(X[:2]), reference[0])
    np.testing.assert_array_equal(est.transform(X[:2]), reference[1])


finite = st.floats(-1e6, 1e6, allow_nan=False)

# Shapes that are not (n_instances, n_times, *obs) with obs of 1-3 dimensions
# and no empty axis.
bad_shapes = hnp.array_shapes(min_dims=0, max_dims=6, min_side=0, max_side=3).filter(
    lambda s: not (3 <= len(s) <= 5) or 0 in s
)


@st.composite
def bad_trajectories(draw):
    """(X, reason) for X that fit, predict, transform and score must refuse."""
    kind = draw(
        st.sampled_from(
            ["shape", "inf", "string", "bytes", "complex", "object", "ragged"]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(N, T, F))
    if kind == "shape":
        return rng.normal(size=draw(bad_shapes)), kind
    if kind == "inf":
        index = tuple(draw(st.integers(0, s - 1)) for s in X.shape)
        X[index] = draw(st.sampled_from([np.inf, -np.inf]))
        return X, kind
    if kind == "string":
        return X.astype(str), kind  # numbers as text: refused, not parsed
    if kind == "bytes":
        return X.astype(bytes), kind
    if kind == "complex":
        return X + 1j, kind
    if kind == "object":
        X = X.astype(object)
        X[0, 0, 0] = draw(st.sampled_from(["a", {}, [1, 2], object()]))
        return X, kind
    return [X[0].tolist(), X[1, :-1].tolist()], kind  # ragged nested list


@st.composite
def bad_times(draw, n_times=T):
    """Time grids that are not finite, real and strictly increasing."""
    kind = draw(
        st.sampled_from(
            ["unsorted", "duplicate", "nonfinite", "length", "ndim", "string"]
        )
    )
    t = np.sort(draw(hnp.arrays(np.float64, n_times, unique=True, elements=finite)))
    if kind == "unsorted":
        i = draw(st.integers(0, n_times - 2))
        t[[i, i + 1]] = t[[i + 1, i]]
    elif kind == "duplicate":
        i = draw(st.integers(0, n_times - 2))
        t[i + 1] = t[i]
    elif kind == "nonfinite":
        t[draw(st.integers(0, n_times - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    elif kind == "length":
        size = draw(st.integers(0, 2 * n_times).filter(lambda k: k not in (n_times,)))
        t = np.arange(float(size))
    elif kind == "ndim":
        t = t.reshape((1, 1, n_times))
    else:
        t = np.array(["t0"] * n_times)
    return t


@PROPERTY
@given(case=bad_trajectories())
def test_dyn_fit_refuses_malformed_X(case):
    X, _ = case
    est = LatentDynamicsRegressor(**DYN_TINY)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(X)
    assert_clear_error(info, "X")
    assert_unfitted(est)


@PROPERTY
@given(times=bad_times())
def test_dyn_fit_refuses_malformed_times(times):
    X, _ = sines()
    est = LatentDynamicsRegressor(**DYN_TINY)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(X, times=times)
    assert_clear_error(info, "times")
    assert_unfitted(est)


@PROPERTY
@given(n_times=st.integers(1, 6), extra=st.integers(0, 4))
def test_dyn_fit_refuses_n_context_not_below_trajectory_length(n_times, extra):
    X, t = sines(n_times=n_times)
    est = LatentDynamicsRegressor(**{**DYN_TINY, "n_context": n_times + extra})
    with pytest.raises(ValueError) as info:
        est.fit(X, times=t)
    assert_clear_error(info, "n_context")
    assert_unfitted(est)


@PROPERTY
@given(instance=st.integers(0, N - 1), n_context=st.integers(1, 4))
def test_dyn_fit_refuses_unobserved_context(instance, n_context):
    X, t = sines()
    X[instance, :n_context] = np.nan
    est = LatentDynamicsRegressor(**{**DYN_TINY, "n_context": n_context})
    with pytest.raises(ValueError) as info:
        est.fit(X, times=t)
    assert_clear_error(info, "X")
    assert_unfitted(est)


@FIT_PROPERTY
@given(
    kind=st.sampled_from(["constant", "duplicate"]),
    value=st.floats(-1e3, 1e3),
    column=st.integers(0, F - 1),
)
def test_dyn_constant_or_duplicated_features_fit(kind, value, column):
    X, t = sines()
    X = np.concatenate([X, X[..., column : column + 1]], axis=-1)
    if kind == "constant":
        X[..., -1] = value
    est = LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)
    assert np.isfinite(est.predict(X[:2])).all()
    assert np.isfinite(est.transform(X[:2])).all()
    assert np.isfinite(est.score(X, times=t))


@PROPERTY
@given(
    method=st.sampled_from(["predict", "transform", "score"]),
    case=bad_trajectories(),
)
def test_dyn_methods_refuse_malformed_X(dyn, method, case):
    est, X_fit, t, reference = dyn
    X, _ = case
    kwargs = {"times": t} if method == "score" else {}
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(est, method)(X, **kwargs)
    assert_clear_error(info, "X")
    assert_dyn_unchanged(est, X_fit, reference)


@PROPERTY
@given(
    method=st.sampled_from(["predict", "transform", "score"]), n_obs=st.integers(1, 5)
)
def test_dyn_methods_refuse_other_observation_shape(dyn, method, n_obs):
    est, X_fit, t, reference = dyn
    X = np.zeros((2, T, F + n_obs))
    kwargs = {"times": t} if method == "score" else {}
    with pytest.raises(ValueError, match="fitted on observations") as info:
        getattr(est, method)(X, **kwargs)
    assert_clear_error(info, "X")
    assert_dyn_unchanged(est, X_fit, reference)


@st.composite
def bad_query_times(draw):
    kind = draw(st.sampled_from(["nonfinite", "empty", "ndim", "string", "before"]))
    q = draw(hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(0, 10)))
    if kind == "nonfinite":
        q[draw(st.integers(0, q.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    elif kind == "empty":
        q = np.zeros((0,))
    elif kind == "ndim":
        q = np.zeros((2, 2, q.size))
    elif kind == "string":
        q = q.astype(str)
    else:
        q[0] = -draw(st.floats(1e-3, 1e3))  # before the first context time
    return q


@PROPERTY
@given(times=bad_query_times())
def test_dyn_predict_refuses_malformed_query_times(dyn, times):
    est, X, _, reference = dyn
    with pytest.raises((ValueError, TypeError)) as info:
        est.predict(X[:2, :3], times=times)
    assert_clear_error(info, "times")
    assert_dyn_unchanged(est, X, reference)


@PROPERTY
@given(times=bad_times(n_times=3), method=st.sampled_from(["predict", "transform"]))
def test_dyn_refuses_malformed_context_times(dyn, times, method):
    est, X, _, reference = dyn
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(est, method)(X[:2, :3], context_times=times)
    assert_clear_error(info, "context_times")
    assert_dyn_unchanged(est, X, reference)


@PROPERTY
@given(times=bad_times())
def test_dyn_score_refuses_malformed_times(dyn, times):
    est, X, _, reference = dyn
    with pytest.raises((ValueError, TypeError)) as info:
        est.score(X, times=times)
    assert_clear_error(info, "times")
    assert_dyn_unchanged(est, X, reference)


@PROPERTY
@given(n_times=st.integers(1, DYN_TINY["n_context"]))
def test_dyn_score_needs_frames_after_the_context(dyn, n_times):
    est, X, t, reference = dyn
    with pytest.raises(ValueError) as info:
        est.score(X[:, :n_times], times=t[:n_times])
    assert_clear_error(info, "X")
    assert_dyn_unchanged(est, X, reference)


@pytest.mark.parametrize("epochs", [0, -1, 1.5, "2", True])
def test_dyn_partial_fit_refuses_bad_epochs(dyn, epochs):
    est, X, t, _ = dyn
    with pytest.raises(ValueError) as info:
        copy.deepcopy(est).partial_fit(X, times=t, epochs=epochs)
    assert_clear_error(info, "epochs")
    with pytest.raises(ValueError):
        LatentDynamicsRegressor(**DYN_TINY).partial_fit(X, times=t, epochs=epochs)


def test_dyn_failed_refit_keeps_the_previous_fit(dyn):
    est, X, t, reference = dyn
    est = copy.deepcopy(est)
    with pytest.raises(ValueError):
        est.fit(X, times=t[::-1])
    with pytest.raises(TypeError):
        est.fit(X.astype(str), times=t)
    with pytest.raises(ValueError):
        est.set_params(warm_start=True).fit(X[..., :1], times=t)
    assert_dyn_unchanged(est, X, reference)


class _Boom(RuntimeError):
    pass


def _fail_at_item(monkeypatch, n_ok):
    """Make the training windows raise after ``n_ok`` items: training fails."""
    original = dyn_data.TrajectoryWindows.__getitem__
    calls = []

    def getitem(self, i):
        calls.append(i)
        if len(calls) > n_ok:
            raise _Boom("disk went away")
        return original(self, i)

    monkeypatch.setattr(dyn_data.TrajectoryWindows, "__getitem__", getitem)


def test_dyn_failure_during_training_leaves_no_half_fit(dyn, monkeypatch):
    est, X, t, reference = dyn
    _fail_at_item(monkeypatch, n_ok=5)
    fresh = LatentDynamicsRegressor(**{**DYN_TINY, "max_epochs": 3})
    with pytest.raises(_Boom):
        fresh.fit(X, times=t)
    assert_unfitted(fresh)
    assert set(vars(fresh)) == set(fresh.get_params())

    # A failed refit puts the previous fit back, weights and all.
    refit = copy.deepcopy(est)
    with pytest.raises(_Boom):
        refit.fit(X, times=t)
    assert_dyn_unchanged(refit, X, reference)

    # A failed continuation (warm start) undoes its partial training.
    history = len(est.net_.history)
    warm = copy.deepcopy(est).set_params(warm_start=True, max_epochs=3)
    with pytest.raises(_Boom):
        warm.fit(X, times=t)
    assert len(warm.net_.history) == history
    assert_dyn_unchanged(warm, X, reference)


# ----------------------------------------------- read-only and memory-mapped
def _read_only(array):
    array = np.array(array)
    array.setflags(write=False)
    return array


def _memmap(array, tmp_path, name):
    """As joblib hands large arrays to its workers: a read-only memory map."""
    path = tmp_path / f"{name}.joblib"
    joblib.dump(np.asarray(array), path)
    out = joblib.load(path, mmap_mode="r")
    assert isinstance(out, np.memmap) and not out.flags.writeable
    return out


@pytest.mark.parametrize("wrap", ["read_only", "memmap"])
def test_dyn_read_only_and_memmapped_inputs(dyn, wrap, tmp_path):
    est, X, t, _ = dyn
    if wrap == "read_only":
        Xw, tw = _read_only(X), _read_only(t)
    else:
        Xw, tw = _memmap(X, tmp_path, "X"), _memmap(t, tmp_path, "t")
    other = LatentDynamicsRegressor(**DYN_TINY).fit(Xw, times=tw)
    np.testing.assert_array_equal(other.predict(X[:2]), est.predict(X[:2]))
    np.testing.assert_array_equal(
        est.predict(Xw[:2], tw[3:]), est.predict(X[:2], t[3:])
    )
    np.testing.assert_array_equal(est.transform(Xw), est.transform(X))
    assert est.score(Xw, times=tw) == est.score(X, times=t)


# ------------------------------------------------------ streaming and chunks
def test_dyn_training_streams_fixed_size_batches(monkeypatch):
    """Training memory does not grow with the number of instances."""
    seen = []
    original = LatentDynamicsModule.forward

    def forward(self, context, *args, **kwargs):
        seen.append(context.shape[0])
        return original(self, context, *args, **kwargs)

    monkeypatch.setattr(LatentDynamicsModule, "forward", forward)
    for n in (8, 40):
        seen.clear()
        X, t = sines(n=n)
        est = LatentDynamicsRegressor(**DYN_TINY).fit(X, times=t)
        assert max(seen) <= est.batch_size
        assert sum(seen) == n  # one window per instance per epoch, in batches
    # The training data are windows cut lazily per item, never a tensor of all.
    ds = dyn_data.TrajectoryWindows(
        X.astype(np.float32), np.tile(t, (len(X), 1)), 3, 2, consistency=False
    )
    item, target = ds[0]
    assert item["context"].shape == (3, F) and target["target"].shape == (5, F)


def test_dyn_predicts_10000_query_times_in_bounded_chunks(dyn, monkeypatch):
    est, X, t, _ = dyn
    query = np.linspace(0.0, 2.5 * t[-1], 10_000)  # some rolled past the span
    context = X[:3, :3]
    full = est.predict(context, query)
    assert full.shape == (3, 10_000, F) and np.isfinite(full).all()

    # Predicting in pieces gives the same frames.
    pieces = np.concatenate(
        [est.predict(context, q) for q in np.array_split(query, 7)], axis=1
    )
    np.testing.assert_allclose(full, pieces, rtol=1e-6, atol=1e-6)

    # No pass of the time map sees more query times than the chunk size.
    chunk = 97
    monkeypatch.setattr(dyn_forecast, "_QUERY_CHUNK", chunk)
    widths = []
    original = LatentDynamicsModule.latent

    def latent(self, psi, tau):
        widths.append(tau.shape[1])
        return original(self, psi, tau)

    monkeypatch.setattr(LatentDynamicsModule, "latent", latent)
    chunked = est.predict(context, query)
    assert max(widths) <= chunk
    assert len(widths) >= 10_000 // chunk
    np.testing.assert_allclose(chunked, full, rtol=1e-6, atol=1e-6)
    widths.clear()
    _, std = est.predict(context, query[:1000], return_std=True)
    assert max(widths) <= chunk and np.isfinite(std).all()


# ================================================================= causal
@pytest.fixture(scope="module")
def sem():
    return make_sem(60, P, random_state=0)


@pytest.fixture(scope="module")
def prior(sem):
    return make_prior(sem.adjacency, fraction=0.6, random_state=0)


@pytest.fixture(scope="module")
def causal(sem, prior):
    est = CausalStructureEstimator(**CAUSAL_TINY).fit(sem.X, prior=prior)
    return est, est.predict_proba(sem.X)


def assert_causal_unchanged(est, sem, reference):
    np.testing.assert_array_equal(est.predict_proba(sem.X), reference)


@st.composite
def bad_priors(draw, prior):
    """Priors that do not match a (P, P) 0/1/NaN matrix with both labels."""
    kind = draw(
        st.sampled_from(
            [
                "shape",
                "value",
                "no_positive",
                "no_negative",
                "unlabelled",
                "string",
                "frame_names",
            ]
        )
    )
    A = prior.copy()
    known = ~np.isnan(A)
    if kind == "shape":
        shape = draw(
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=P + 2).filter(
                lambda s: s != (P, P)
            )
        )
        return np.zeros(shape)
    if kind == "value":
        src, dst = np.nonzero(known)
        k = draw(st.integers(0, len(src) - 1))
        A[src[k], dst[k]] = draw(
            st.sampled_from([2.0, -1.0, 0.5, np.inf, -np.inf, 1 + 1e-9])
        )
        return A
    if kind == "no_positive":
        return np.where(known, 0.0, np.nan)
    if kind == "no_negative":
        return np.where(known, 1.0, np.nan)
    if kind == "unlabelled":
        return np.full((P, P), np.nan)
    if kind == "string":
        return np.where(known, "yes", "")
    names = [f"x{k}" for k in range(P)]
    names[draw(st.integers(0, P - 1))] = draw(st.sampled_from(["y", "x99", ""]))
    return pd.DataFrame(A, index=names, columns=names)


@PROPERTY
@given(data=st.data())
def test_causal_fit_refuses_malformed_prior(sem, prior, data):
    A = data.draw(bad_priors(prior))
    est = CausalStructureEstimator(**CAUSAL_TINY)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(sem.X, prior=A)
    assert_clear_error(info, "prior")
    assert not hasattr(est, "net_")


@PROPERTY
@given(data=st.data())
def test_causal_fit_refuses_malformed_interventions(sem, prior, data):
    n = len(sem.X)
    kind = data.draw(st.sampled_from(["length", "range", "fraction", "name", "ndim"]))
    if kind == "length":
        iv = np.full(data.draw(st.integers(0, 2 * n).filter(lambda k: k != n)), -1)
    elif kind == "range":
        iv = np.full(n, -1)
        iv[data.draw(st.integers(0, n - 1))] = data.draw(
            st.sampled_from([P, P + 3, -2, -100])
        )
    elif kind == "fraction":
        iv = np.full(n, -1.0)
        iv[0] = data.draw(st.sampled_from([0.5, np.nan, np.inf]))
    elif kind == "name":
        iv = np.array(["x0"] * n, dtype=object)
        iv[data.draw(st.integers(0, n - 1))] = "not_a_variable"
    else:
        iv = np.full((n, 2), -1)
    est = CausalStructureEstimator(**CAUSAL_TINY)
    with pytest.raises((ValueError, TypeError)) as info:
        est.fit(sem.X, prior=prior, interventions=iv)
    assert_clear_error(info, "interventions")
    assert not hasattr(est, "net_")


@PROPERTY
@given(
    row=st.integers(0, 59),
    col=st.integers(0, P - 1),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    method=st.sampled_from(["fit", "predict_proba", "predict", "score"]),
)
def test_causal_refuses_non_finite_X(causal, sem, prior, row, col, value, method):
    est, reference = causal
    X = sem.X.copy()
    X[row, col] = value
    target = CausalStructureEstimator(**CAUSAL_TINY) if method == "fit" else est
    kwargs = {"prior": prior} if method == "fit" else {}
    with pytest.raises(ValueError) as info:
        getattr(target, method)(X, **kwargs)
    assert_clear_error(info, "X")
    assert_causal_unchanged(est, sem, reference)


@PROPERTY
@given(
    width=st.integers(1, 2 * P).filter(lambda w: w != P),
    method=st.sampled_from(["predict_proba", "predict", "score"]),
)
def test_causal_methods_refuse_other_number_of_variables(causal, sem, width, method):
    est, reference = causal
    X = np.random.default_rng(width).normal(size=(30, width))
    with pytest.raises(ValueError) as info:
        getattr(est, method)(X)
    assert_clear_error(info, "X")
    assert_causal_unchanged(est, sem, reference)


@pytest.mark.filterwarnings("ignore:the held-out labelled pairs")
@FIT_PROPERTY
@given(
    kind=st.sampled_from(["constant", "duplicate"]),
    value=st.floats(-1e3, 1e3),
    column=st.integers(0, P - 1),
)
def test_causal_constant_or_duplicated_columns_fit(sem, prior, kind, value, column):
    X = sem.X.copy()
    other = (column + 1) % P
    X[:, column] = value if kind == "constant" else X[:, other]
    est = CausalStructureEstimator(**CAUSAL_TINY).fit(X, prior=prior)
    proba = est.predict_proba()
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(proba, est.predict_proba(X))
    assert est.score(X) == _helpers.held_out_auroc(est, X)


def test_causal_dataframe_prior_with_other_names(sem, prior):
    names = list("abcde")
    X = pd.DataFrame(sem.X, columns=names)
    est = CausalStructureEstimator(**CAUSAL_TINY)
    for frame_names in (list("abcdz"), list("abcd"), list("abcdef")):
        A = np.full((len(frame_names),) * 2, np.nan)
        k = min(len(frame_names), P)
        A[:k, :k] = prior[:k, :k]
        frame = pd.DataFrame(A, index=frame_names, columns=frame_names)
        with pytest.raises(ValueError) as info:
            est.fit(X, prior=frame)
        assert_clear_error(info, "prior")
    assert not hasattr(est, "net_")


@pytest.mark.filterwarnings("ignore:the held-out labelled pairs")
@pytest.mark.parametrize("wrap", ["read_only", "memmap"])
def test_causal_read_only_and_memmapped_inputs(causal, sem, prior, wrap, tmp_path):
    est, reference = causal
    if wrap == "read_only":
        Xw, Aw = _read_only(sem.X), _read_only(prior)
    else:
        Xw, Aw = _memmap(sem.X, tmp_path, "X"), _memmap(prior, tmp_path, "A")
    other = CausalStructureEstimator(**CAUSAL_TINY).fit(Xw, prior=Aw)
    np.testing.assert_array_equal(other.predict_proba(sem.X), reference)
    np.testing.assert_array_equal(est.predict_proba(Xw), reference)
    assert est.score(Xw) == est.score(sem.X)


# ------------------------------------------- causal: input form and state
@PROPERTY
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
def test_causal_malformed_X_shape_names_X(causal, sem, prior, shape):
    """X of the wrong dimension or empty: fit/predict_proba/score must name X."""
    est, _ = causal
    ok = len(shape) == 2 and shape[0] >= 2 and shape[1] >= 2
    if ok:
        return
    X = np.random.default_rng(0).normal(size=shape)
    with pytest.raises(ValueError) as info:
        CausalStructureEstimator(**CAUSAL_TINY).fit(X, prior=prior)
    assert_clear_error(info, "X")
    for method in ("predict_proba", "score"):
        with pytest.raises(ValueError) as info:
            getattr(est, method)(X)
        assert_clear_error(info, "X")


@pytest.mark.parametrize("kind", ["numeric_strings", "letters", "bytes", "frame"])
def test_causal_string_and_object_X_refused(sem, prior, kind):
    """X of str/bytes dtype, or a DataFrame with a text column: refused, naming X."""
    X = sem.X
    if kind == "numeric_strings":
        X = X.astype(str)
    elif kind == "letters":
        X = np.full(X.shape, "a")
    elif kind == "bytes":
        X = X.astype(bytes)
    else:
        X = pd.DataFrame(X, columns=list("abcde")).assign(e="text")
    with pytest.raises((ValueError, TypeError)) as info:
        CausalStructureEstimator(**CAUSAL_TINY).fit(X, prior=prior)
    assert_clear_error(info, "X")


def test_causal_failed_first_fit_leaves_it_unfitted(sem, prior):
    """A fit that fails validation on a fresh estimator leaves it unfitted."""
    est = CausalStructureEstimator(**CAUSAL_TINY)
    with pytest.raises(ValueError):
        est.fit(sem.X, prior=prior[:3, :3])
    assert_unfitted(est)


def test_causal_failed_refit_keeps_or_clears_state(causal, sem, prior):
    """A refit failing validation keeps the previous fit (or cleanly unfits)."""
    est, reference = causal
    est = copy.deepcopy(est)
    with pytest.raises(ValueError):
        est.fit(sem.X[:, :4], prior=prior)  # 4 columns, a (5, 5) prior
    try:
        check_is_fitted(est)
    except NotFittedError:
        assert not hasattr(est, "net_")
    else:
        assert est.n_features_in_ == P
        assert_causal_unchanged(est, sem, reference)


def test_causal_unpickles_cuda_model_on_cpu(causal, sem, monkeypatch):
    """A model saved with device='cuda' loads on a CPU-only machine (stand-in)."""
    import pickle

    est, reference = causal
    saved = copy.deepcopy(est)
    saved.device_ = "cuda"
    saved.net_.device = "cuda"
    blob = pickle.dumps(saved)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    assert_causal_unchanged(loaded, sem, reference)
    # Tensors outside skorch's device-mapped attributes are unpickled on the
    # device they were saved from; on a real GPU fit, the criterion instance's
    # pos_weight made loading fail on a CPU-only machine ("Attempting to
    # deserialize object on a CUDA device").
    assert _helpers.tensors_outside_device_mapping(est.net_) == []
