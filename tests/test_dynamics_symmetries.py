"""``symmetries``: random symmetry maps of the training windows of
LatentDynamicsRegressor; which maps are drawn, that all frames of a window get
the same one, the checks, and that a mirror teaches motions the data lack."""

import _helpers
import numpy as np
import pytest
import torch

from skdyncausal.dynamics import LatentDynamicsRegressor
from skdyncausal.dynamics._data import TrajectoryWindows, check_symmetries
from skdyncausal.metrics import normalized_mse

TINY = _helpers.DYN_SMALL


def labelled_frames(n=2, n_times=12, height=3, width=4):
    """Images whose pixel (h, w) of frame j of instance i is 1000 i + 100 j
    + 10 h + w: every value says where it came from."""
    i, j, h, w = np.meshgrid(
        np.arange(n),
        np.arange(n_times),
        np.arange(height),
        np.arange(width),
        indexing="ij",
    )
    X = (1000 * i + 100 * j + 10 * h + w).astype(np.float32)[:, :, None]
    return X, np.tile(np.arange(n_times, dtype=float), (n, 1))


def paired_draws(symmetries, n_draws=40, **shape):
    """The same windows drawn with and without ``symmetries`` (same seeds)."""
    X, t = labelled_frames(**shape)
    plain = TrajectoryWindows(X, t, 4, 8, frames_per_window=6)
    mapped = TrajectoryWindows(X, t, 4, 8, frames_per_window=6, symmetries=symmetries)
    pairs = []
    for k in range(n_draws):
        torch.manual_seed(k)
        a = plain[k % 2]
        torch.manual_seed(k)
        pairs.append((a, mapped[k % 2]))
    return pairs


def the_map(before, after, candidates):
    """Index of the one candidate map that takes ``before`` to ``after``."""
    hits = [k for k, f in enumerate(candidates) if np.array_equal(f(before), after)]
    assert len(hits) == 1
    return hits[0]


def window_parts(pair):
    (item, y) = pair
    return [item["context"], item["query_frames"], item["query_mask"], y["target"]]


@pytest.mark.parametrize(
    ("names", "maps", "shape"),
    [
        (["flip_lr"], [lambda a: a, lambda a: a[..., ::-1]], {}),
        (["flip_ud"], [lambda a: a, lambda a: a[..., ::-1, :]], {}),
        (
            ["rot90"],
            [lambda a, k=k: np.rot90(a, k, axes=(-2, -1)) for k in range(4)],
            dict(height=4, width=4),
        ),
        (
            ["translate"],
            [
                lambda a, s=(r, c): np.roll(a, s, axis=(-2, -1))
                for r in range(3)
                for c in range(4)
            ],
            {},
        ),
    ],
)
def test_each_window_gets_one_random_map_of_the_group(names, maps, shape):
    used = set()
    for (item, y), (item_m, y_m) in paired_draws(names, **shape):
        # the same window: same start, frames and times
        np.testing.assert_array_equal(item["query_times"], item_m["query_times"])
        np.testing.assert_array_equal(item["context_mask"], item_m["context_mask"])
        np.testing.assert_array_equal(item["query_mask"], item_m["query_mask"])
        k = the_map(item["context"], item_m["context"], maps)
        used.add(k)
        # the same map for the query frames, the target and its mask
        for key, a, b in (
            ("query_frames", item, item_m),
            ("target", y, y_m),
            ("mask", y, y_m),
        ):
            np.testing.assert_array_equal(maps[k](a[key]), b[key])
            assert b[key].flags.c_contiguous
    assert used == set(range(len(maps)))  # every element is drawn


def test_mirrors_combine_into_the_group_they_generate():
    maps = [
        lambda a: a,
        lambda a: a[..., ::-1],
        lambda a: a[..., ::-1, :],
        lambda a: a[..., ::-1, ::-1],
    ]
    used = {
        the_map(a[0]["context"], b[0]["context"], maps)
        for a, b in paired_draws(["flip_lr", "flip_ud"])
    }
    assert used == {0, 1, 2, 3}


def test_validation_windows_are_never_mapped():
    X, t = labelled_frames()
    ds = TrajectoryWindows(X, t, 4, 8, random_windows=False, symmetries=["flip_lr"])
    for seed in range(10):
        torch.manual_seed(seed)
        item, y = ds[0]
        np.testing.assert_array_equal(item["context"], X[0, :4])
        np.testing.assert_array_equal(y["target"], X[0, :12])


def test_check_symmetries_normalises_names():
    assert check_symmetries(None, (8, 8)) == ()
    assert check_symmetries([], (8, 8)) == ()
    assert check_symmetries("flip_lr", (8, 8)) == ("flip_lr",)
    names = check_symmetries(("rot90", "translate", "rot90"), (2, 8, 8))
    assert names == ("rot90", "translate")


@pytest.mark.parametrize(
    ("symmetries", "obs_shape", "match"),
    [
        (["mirror"], (8, 8), "symmetries must be None or a list of names"),
        (3, (8, 8), "symmetries must be None or a list of names"),
        ([None], (8, 8), "symmetries must be None or a list of names"),
        (["flip_lr"], (2,), "vectors of shape"),
        (["rot90"], (8, 6), "need square frames"),
    ],
)
def test_bad_symmetries_say_what_to_pass(symmetries, obs_shape, match):
    with pytest.raises(ValueError, match=match):
        check_symmetries(symmetries, obs_shape)


def test_fit_rejects_symmetries_of_vectors_and_keeps_its_state():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 10, 2))
    est = LatentDynamicsRegressor(**TINY).fit(X)
    before = est.predict(X[:2, :4])
    est.set_params(symmetries=["flip_lr"])
    with pytest.raises(ValueError, match="symmetries"):
        est.fit(X)
    with pytest.raises(ValueError, match="symmetries"):
        est.partial_fit(X, epochs=1)
    np.testing.assert_array_equal(est.predict(X[:2, :4]), before)


# ------------------------------------------------------------- what it teaches
def gliders(direction, n, seed, n_times=12, width=12):
    """A bright column moving at a constant speed across a 4 × width image:
    rightwards (+1) or leftwards (-1)."""
    rng = np.random.default_rng(seed)
    speed = rng.uniform(0.35, 0.6, (n, 1))
    start = rng.uniform(1.5, 3.0, (n, 1))
    x = start + speed * np.arange(n_times)  # (n, T) column position
    if direction < 0:
        x = (width - 1) - x
    cols = np.arange(width)
    frames = np.exp(-0.5 * ((cols - x[..., None]) / 0.8) ** 2)  # (n, T, W)
    return np.repeat(frames[:, :, None, :], 4, axis=2)  # (n, T, 4, W)


def test_a_mirror_teaches_the_mirrored_motion():
    train = gliders(+1, 48, seed=0)
    left, right = gliders(-1, 16, seed=1), gliders(+1, 16, seed=1)
    params = {**TINY, "max_epochs": 30, "lr": 3e-3, "random_state": 1}
    scores = {}
    for symmetries in (None, ["flip_lr"]):
        est = LatentDynamicsRegressor(**params, symmetries=symmetries).fit(train)
        for name, data in (("left", left), ("right", right)):
            pred = est.predict(data[:, :4], np.arange(4.0, 12.0))
            scores[name, str(symmetries)] = normalized_mse(data[:, 4:], pred)
    # the plain model learned the rightward motion it saw, not the leftward one
    assert scores["right", "None"] < 0.2
    assert scores["left", "None"] > 0.8
    # the mirrored windows teach it
    assert scores["left", "['flip_lr']"] < 0.3


def test_symmetries_are_deterministic_under_random_state():
    X = gliders(+1, 16, seed=0)
    fits = [
        LatentDynamicsRegressor(**TINY, symmetries=s).fit(X).predict(X[:2, :4])
        for s in (["flip_lr"], ["flip_lr"], None)
    ]
    np.testing.assert_array_equal(fits[0], fits[1])
    assert not np.allclose(fits[0], fits[2])
