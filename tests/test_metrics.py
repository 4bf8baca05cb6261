"""Tests for skdyncausal.metrics, with hand-computed expected values."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import BaseEstimator
from sklearn.metrics import make_scorer, roc_auc_score

from skdyncausal.metrics import (
    edge_average_precision,
    edge_f1,
    edge_orientation_accuracy,
    edge_precision,
    edge_precision_recall_f1,
    edge_recall,
    edge_roc_auc,
    edge_scores_to_frame,
    forecast_skill,
    normalized_mse,
    structural_hamming_distance,
)

# Chain 0 → 1 → 2. Off-diagonal pairs (row-major) with their scores:
#   (0,1)=0.9 edge   (0,2)=0.2 no   (1,0)=0.1 no
#   (1,2)=0.3 edge   (2,0)=0.4 no   (2,1)=0.2 no
CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float)
SCORES = np.array([[0.7, 0.9, 0.2], [0.1, 0.8, 0.3], [0.4, 0.2, 0.5]])


# ---------------------------------------------------------------------------
# edge_roc_auc / edge_average_precision
# ---------------------------------------------------------------------------


def test_edge_roc_auc_chain_by_hand():
    # Positive 0.9 beats all 4 negatives (0.2, 0.1, 0.4, 0.2); positive 0.3
    # beats 0.2, 0.1, 0.2 and loses to 0.4: 7 of 8 pairs -> 0.875. The large
    # diagonal scores must be ignored.
    assert edge_roc_auc(CHAIN, SCORES) == 0.875


def test_edge_roc_auc_tie_counts_half():
    scores = SCORES.copy()
    scores[2, 0] = 0.3  # now ties with the positive 0.3: 7.5 / 8
    assert edge_roc_auc(CHAIN, scores) == 0.9375


def test_edge_roc_auc_mask_excludes_prior_pairs():
    # The prior knows (2, 0) is not an edge; evaluating only unknown pairs
    # drops the 0.4 negative, so both positives beat all 3 negatives.
    prior = np.full((3, 3), np.nan)
    prior[2, 0] = 0.0
    assert edge_roc_auc(CHAIN, SCORES, mask=np.isnan(prior)) == 1.0
    # Excluding instead the pair (0, 2): 0.3 loses to 0.4 only -> 5 of 6.
    mask = np.ones((3, 3), dtype=bool)
    mask[0, 2] = False
    assert edge_roc_auc(CHAIN, SCORES, mask=mask) == pytest.approx(5 / 6)


def test_edge_roc_auc_nan_labels_allowed_only_outside_mask():
    y_true = CHAIN.copy()
    y_true[2, 0] = np.nan
    assert edge_roc_auc(y_true, SCORES, mask=~np.isnan(y_true)) == 1.0
    with pytest.raises(ValueError, match=r"y_true contains NaN at 1 evaluated"):
        edge_roc_auc(y_true, SCORES)
    # NaN on the diagonal is never evaluated.
    y_true = CHAIN.copy()
    np.fill_diagonal(y_true, np.nan)
    assert edge_roc_auc(y_true, SCORES) == 0.875


def test_edge_roc_auc_one_class_error():
    with pytest.raises(ValueError, match=r"AUROC needs both edges .* non-edges"):
        edge_roc_auc(np.zeros((3, 3)), SCORES)
    # Only the two true edges selected: all evaluated pairs are edges.
    with pytest.raises(ValueError, match=r"all 2 evaluated pair\(s\) are edges"):
        edge_roc_auc(CHAIN, SCORES, mask=CHAIN == 1)


def test_edge_roc_auc_shape_errors():
    msg = (
        r"y_score must be a square \(p, p\) matrix with the same shape as y_true "
        r"\(3, 3\); got shape \(3, 4\)\."
    )
    with pytest.raises(ValueError, match=msg):
        edge_roc_auc(CHAIN, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"y_true must be a square \(p, p\)"):
        edge_roc_auc(np.zeros((3, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"mask must be a boolean \(p, p\) matrix"):
        edge_roc_auc(CHAIN, SCORES, mask=np.ones((2, 2), dtype=bool))


def test_edge_roc_auc_other_input_errors():
    with pytest.raises(ValueError, match=r"mask must be a boolean .* True/False"):
        edge_roc_auc(CHAIN, SCORES, mask=np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match=r"mask selects no off-diagonal pair"):
        edge_roc_auc(CHAIN, SCORES, mask=np.eye(3, dtype=bool))
    with pytest.raises(ValueError, match=r"y_true must contain only 0 and 1"):
        edge_roc_auc(CHAIN * 0.5, SCORES)
    scores = SCORES.copy()
    scores[0, 1] = np.nan
    with pytest.raises(ValueError, match=r"y_score contains NaN or infinite"):
        edge_roc_auc(CHAIN, scores)


def test_mask_accepts_zero_one_integers():
    mask = np.ones((3, 3), dtype=int)
    mask[2, 0] = 0
    assert edge_roc_auc(CHAIN, SCORES, mask=mask) == 1.0


def test_edge_average_precision_by_hand():
    # Ranking: 0.9 (+), 0.4 (-), 0.3 (+), ... -> AP = (1/1 + 2/3) / 2 = 5/6.
    assert edge_average_precision(CHAIN, SCORES) == pytest.approx(5 / 6)
    prior = np.full((3, 3), np.nan)
    prior[2, 0] = 0.0
    assert edge_average_precision(CHAIN, SCORES, mask=np.isnan(prior)) == 1.0
    with pytest.raises(ValueError, match=r"Average precision needs both edges"):
        edge_average_precision(np.zeros((3, 3)), SCORES)


def test_dataframe_inputs():
    names = ["a", "b", "c"]
    y_true = pd.DataFrame(CHAIN, index=names, columns=names)
    y_score = pd.DataFrame(SCORES, index=names, columns=names)
    mask = pd.DataFrame(np.ones((3, 3), dtype=bool), index=names, columns=names)
    mask.iloc[2, 0] = False
    assert edge_roc_auc(y_true, y_score) == 0.875
    assert edge_roc_auc(y_true, y_score, mask=mask) == 1.0
    assert edge_average_precision(y_true, y_score) == pytest.approx(5 / 6)
    assert edge_orientation_accuracy(y_true, y_score) == 1.0
    assert structural_hamming_distance(y_true, y_true) == 0
    assert edge_precision_recall_f1(y_true, y_score) == pytest.approx((1.0, 0.5, 2 / 3))


# ---------------------------------------------------------------------------
# edge_orientation_accuracy
# ---------------------------------------------------------------------------


def test_orientation_accuracy_with_tie():
    scores = SCORES.copy()
    # Edge 0 → 1: 0.9 > 0.1 correct. Edge 1 → 2: tie 0.3 vs 0.3 -> 0.5.
    scores[2, 1] = 0.3
    assert edge_orientation_accuracy(CHAIN, scores) == 0.75
    # Edge 1 → 2 wrong: 0.3 < 0.35.
    scores[2, 1] = 0.35
    assert edge_orientation_accuracy(CHAIN, scores) == 0.5


def test_orientation_accuracy_skips_two_cycles_and_uses_mask():
    y_true = CHAIN.copy()
    y_true[0, 2] = y_true[2, 0] = 1  # 2-cycle 0 ⇄ 2 is skipped
    scores = SCORES.copy()
    scores[2, 1] = 0.3
    assert edge_orientation_accuracy(y_true, scores) == 0.75
    # Only the tied edge 1 → 2 selected by the mask.
    mask = np.zeros((3, 3), dtype=bool)
    mask[1, 2] = True
    assert edge_orientation_accuracy(y_true, scores, mask=mask) == 0.5
    # Only the 2-cycle selected: no edge left to evaluate.
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 2] = mask[2, 0] = True
    with pytest.raises(ValueError, match=r"skipped as 2-cycles"):
        edge_orientation_accuracy(y_true, scores, mask=mask)


def test_orientation_accuracy_no_edges_error():
    with pytest.raises(ValueError, match=r"needs at least one true edge"):
        edge_orientation_accuracy(np.zeros((3, 3)), SCORES)


def test_orientation_accuracy_nonfinite_reverse_score():
    # The reverse score (1, 0) of the evaluated edge 0 → 1 is outside the mask
    # but still needed.
    scores = SCORES.copy()
    scores[1, 0] = np.nan
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 1] = True
    with pytest.raises(ValueError, match=r"reverse pair"):
        edge_orientation_accuracy(CHAIN, scores, mask=mask)


# ---------------------------------------------------------------------------
# structural_hamming_distance
# ---------------------------------------------------------------------------


def _adjacency(p, edges):
    a = np.zeros((p, p), dtype=int)
    for i, j in edges:
        a[i, j] = 1
    return a


def test_shd_missing_extra_reversed():
    y_true = _adjacency(4, [(0, 1), (1, 2), (2, 3)])
    # 0 → 1 reversed, 1 → 2 kept, 2 → 3 missing, 0 → 3 extra.
    y_pred = _adjacency(4, [(1, 0), (1, 2), (0, 3)])
    assert structural_hamming_distance(y_true, y_pred) == 3
    assert structural_hamming_distance(y_true, y_pred, double_for_anticausal=True) == 4
    # Symmetric in its arguments.
    assert structural_hamming_distance(y_pred, y_true) == 3


def test_shd_identical_and_diagonal_ignored():
    y_true = _adjacency(3, [(0, 1), (1, 2)])
    y_pred = y_true.astype(float)
    np.fill_diagonal(y_pred, np.nan)
    assert structural_hamming_distance(y_true, y_pred) == 0
    np.fill_diagonal(y_pred, 1)
    assert structural_hamming_distance(y_true, y_pred) == 0


def test_shd_two_cycles():
    two_cycle = _adjacency(2, [(0, 1), (1, 0)])
    # Deleting both directed edges costs 2, in both modes.
    assert structural_hamming_distance(two_cycle, np.zeros((2, 2))) == 2
    assert (
        structural_hamming_distance(
            two_cycle, np.zeros((2, 2)), double_for_anticausal=True
        )
        == 2
    )
    # i → j versus i ⇄ j: one insertion, not a reversal.
    one = _adjacency(2, [(0, 1)])
    assert structural_hamming_distance(one, two_cycle) == 1


def test_shd_errors():
    with pytest.raises(ValueError, match=r"y_pred must contain only 0 and 1"):
        structural_hamming_distance(np.zeros((2, 2)), np.array([[0, 0.7], [0, 0]]))
    with pytest.raises(ValueError, match=r"y_true must contain only 0 and 1"):
        structural_hamming_distance(np.array([[0, np.nan], [0, 0]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"same shape as y_true \(2, 2\)"):
        structural_hamming_distance(np.zeros((2, 2)), np.zeros((3, 3)))


def _cdt_shd(target, pred, double_for_anticausal):
    # Reference formula of the Causal Discovery Toolbox (diagonal zeroed).
    diff = np.abs(target - pred)
    if double_for_anticausal:
        return int(diff.sum())
    diff = diff + diff.T
    diff[diff > 1] = 1
    return int(diff.sum() / 2)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_shd_matches_cdt_without_two_cycles(data):
    p = data.draw(st.integers(2, 6))
    bits = st.integers(0, 1)
    t = data.draw(arrays(np.int64, (p, p), elements=bits))
    q = data.draw(arrays(np.int64, (p, p), elements=bits))
    # Keep at most one direction per pair (no 2-cycles) and no self-loops.
    upper = np.triu(np.ones((p, p), dtype=bool), 1)
    flip_t = data.draw(arrays(bool, (p, p)))
    flip_q = data.draw(arrays(bool, (p, p)))
    t = np.where(upper & flip_t, t, 0) + np.where(upper & ~flip_t, t, 0).T
    q = np.where(upper & flip_q, q, 0) + np.where(upper & ~flip_q, q, 0).T
    for double in (False, True):
        assert structural_hamming_distance(
            t, q, double_for_anticausal=double
        ) == _cdt_shd(t, q, double)


# ---------------------------------------------------------------------------
# edge_precision_recall_f1
# ---------------------------------------------------------------------------


def test_precision_recall_f1_by_hand():
    # threshold 0.3: predicted (0,1)=0.9, (1,2)=0.3 (equal counts), (2,0)=0.4.
    # TP = 2, FP = 1, FN = 0 -> precision 2/3, recall 1, F1 = 4/5.
    precision, recall, f1 = edge_precision_recall_f1(CHAIN, SCORES, threshold=0.3)
    assert precision == pytest.approx(2 / 3)
    assert recall == 1.0
    assert f1 == pytest.approx(0.8)
    # Default threshold 0.5: only (0,1) predicted -> 1, 1/2, 2/3.
    assert edge_precision_recall_f1(CHAIN, SCORES) == pytest.approx((1.0, 0.5, 2 / 3))
    # Mask excluding the false positive (2, 0).
    mask = np.ones((3, 3), dtype=bool)
    mask[2, 0] = False
    assert edge_precision_recall_f1(CHAIN, SCORES, threshold=0.3, mask=mask) == (
        1.0,
        1.0,
        1.0,
    )


def test_precision_recall_f1_zero_division():
    # Nothing predicted: precision 0/0 -> 0.0, recall 0/2 -> 0.
    assert edge_precision_recall_f1(CHAIN, SCORES, threshold=2.0) == (0.0, 0.0, 0.0)
    # No true edges: recall 0/0 -> 0.0.
    assert edge_precision_recall_f1(np.zeros((3, 3)), SCORES) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"threshold must be a real number"):
        edge_precision_recall_f1(CHAIN, SCORES, threshold="0.5")


def test_precision_recall_f1_wrappers_and_make_scorer():
    kwargs = {"threshold": 0.3}
    assert edge_precision(CHAIN, SCORES, **kwargs) == pytest.approx(2 / 3)
    assert edge_recall(CHAIN, SCORES, **kwargs) == 1.0
    assert edge_f1(CHAIN, SCORES, **kwargs) == pytest.approx(0.8)

    class _FixedGraph(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return SCORES

    scorer = make_scorer(edge_f1, threshold=0.3)
    assert scorer(_FixedGraph(), np.zeros((5, 3)), CHAIN) == pytest.approx(0.8)


# ---------------------------------------------------------------------------
# normalized_mse / forecast_skill
# ---------------------------------------------------------------------------

# 2 instances, 3 times, 2 observed dims.
Y_TRUE = np.array(
    [
        [[1.0, 0.0], [0.0, 2.0], [np.nan, 1.0]],  # t2 has a NaN: ignored
        [[2.0, 0.0], [0.0, 0.0], [1.0, 1.0]],  # t1 has zero norm: ignored
    ]
)
Y_PRED = np.array(
    [
        [[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]],  # 0, 1/4, ignored
        [[1.0, 0.0], [3.0, 3.0], [0.0, 1.0]],  # 1/4, ignored, 1/2
    ]
)
EXPECTED_NONE = np.array([[0.0, 0.25, np.nan], [0.25, np.nan, 0.5]])


def test_normalized_mse_by_hand():
    np.testing.assert_array_equal(
        normalized_mse(Y_TRUE, Y_PRED, reduce="none"), EXPECTED_NONE
    )
    np.testing.assert_array_equal(
        normalized_mse(Y_TRUE, Y_PRED, reduce="time"), [0.125, 0.25, 0.5]
    )
    # Mean over the 4 valid frames, not over the time curve.
    assert normalized_mse(Y_TRUE, Y_PRED) == 0.25
    assert forecast_skill(Y_TRUE, Y_PRED) == 0.75


def test_normalized_mse_time_curve_nan_where_no_valid_frame():
    y_true = Y_TRUE.copy()
    y_true[1, 2, 0] = np.nan  # now no valid frame at t2
    curve = normalized_mse(y_true, Y_PRED, reduce="time")
    np.testing.assert_array_equal(curve, [0.125, 0.25, np.nan])
    assert normalized_mse(y_true, Y_PRED) == pytest.approx(0.5 / 3)


def test_normalized_mse_time_axis_and_shapes():
    swapped_true = np.swapaxes(Y_TRUE, 0, 1)
    swapped_pred = np.swapaxes(Y_PRED, 0, 1)
    np.testing.assert_array_equal(
        normalized_mse(swapped_true, swapped_pred, time_axis=0, reduce="none"),
        EXPECTED_NONE,
    )
    # 2-D input: scalar observations. (2 - 1)^2 / 2^2 = 1/4 and 0.
    assert normalized_mse([[2.0, 1.0]], [[1.0, 1.0]], reduce="time").tolist() == [
        0.25,
        0.0,
    ]
    # Several observation axes are summed: (1 + 1) / (1 + 1 + 1 + 1) = 1/2.
    y = np.ones((1, 1, 2, 2))
    y_hat = np.array([[[[0.0, 1.0], [1.0, 0.0]]]])
    assert normalized_mse(y, y_hat) == 0.5


def test_normalized_mse_errors():
    with pytest.raises(
        ValueError,
        match=r"y_pred must have the same shape as y_true \(2, 3, 2\); got shape "
        r"\(2, 3, 1\)\.",
    ):
        normalized_mse(Y_TRUE, Y_PRED[..., :1])
    with pytest.raises(ValueError, match=r"reduce must be one of"):
        normalized_mse(Y_TRUE, Y_PRED, reduce="sum")
    with pytest.raises(ValueError, match=r"time_axis must be an integer axis"):
        normalized_mse(Y_TRUE, Y_PRED, time_axis=3)
    with pytest.raises(ValueError, match=r"at least 2 dimensions"):
        normalized_mse(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"no valid frame"):
        normalized_mse(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"y_true contains infinite"):
        normalized_mse(np.full((1, 1, 1), np.inf), np.ones((1, 1, 1)))
    y_pred = Y_PRED.copy()
    y_pred[0, 0, 0] = np.nan  # valid frame
    with pytest.raises(ValueError, match=r"y_pred contains NaN at 1 valid frame"):
        normalized_mse(Y_TRUE, y_pred)
    y_pred = Y_PRED.copy()
    y_pred[0, 2, 1] = np.nan  # ignored frame: fine
    assert normalized_mse(Y_TRUE, y_pred) == 0.25


# ---------------------------------------------------------------------------
# edge_scores_to_frame
# ---------------------------------------------------------------------------


def test_edge_scores_to_frame_ranked_with_prior():
    prior = np.full((3, 3), np.nan)
    prior[2, 0] = 0.0
    prior[0, 1] = 1.0
    frame = edge_scores_to_frame(SCORES, ["a", "b", "c"], prior=prior)
    assert list(frame.columns) == [
        "cause",
        "effect",
        "probability",
        "in_prior",
        "prior_label",
    ]
    assert len(frame) == 6
    # Ties (0.2 at (0, 2) and (2, 1)) keep row-major order.
    assert list(zip(frame["cause"], frame["effect"])) == [
        ("a", "b"),
        ("c", "a"),
        ("b", "c"),
        ("a", "c"),
        ("c", "b"),
        ("b", "a"),
    ]
    assert frame["probability"].tolist() == [0.9, 0.4, 0.3, 0.2, 0.2, 0.1]
    assert frame["in_prior"].dtype == bool
    assert frame["in_prior"].tolist() == [True, True, False, False, False, False]
    np.testing.assert_array_equal(
        frame["prior_label"].to_numpy(), [1.0, 0.0, np.nan, np.nan, np.nan, np.nan]
    )
    assert frame.index.tolist() == list(range(6))


def test_edge_scores_to_frame_default_names_and_dataframe():
    frame = edge_scores_to_frame(np.array([[0.0, 0.2], [0.6, 0.0]]))
    assert frame["cause"].tolist() == ["x1", "x0"]
    assert not frame["in_prior"].any()
    assert frame["prior_label"].isna().all()
    df = pd.DataFrame(SCORES, index=["u", "v", "w"], columns=["u", "v", "w"])
    frame = edge_scores_to_frame(df, prior=pd.DataFrame(np.full((3, 3), np.nan)))
    assert (frame["cause"].iloc[0], frame["effect"].iloc[0]) == ("u", "v")


def test_edge_scores_to_frame_errors():
    with pytest.raises(ValueError, match=r"one name per variable \(p = 3\)"):
        edge_scores_to_frame(SCORES, ["a", "b"])
    with pytest.raises(ValueError, match=r"unique"):
        edge_scores_to_frame(SCORES, ["a", "a", "b"])
    with pytest.raises(ValueError, match=r"prior must be a square .* y_score"):
        edge_scores_to_frame(SCORES, prior=np.zeros((2, 2)))


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_edge_roc_auc_matches_sklearn(data):
    p = data.draw(st.integers(2, 6))
    y_true = data.draw(arrays(np.int64, (p, p), elements=st.integers(0, 1)))
    y_score = data.draw(
        arrays(np.float64, (p, p), elements=st.floats(-10, 10, allow_nan=False))
    )
    off = ~np.eye(p, dtype=bool)
    assume(0 < y_true[off].sum() < off.sum())
    expected = roc_auc_score(y_true[off], y_score[off])
    assert edge_roc_auc(y_true, y_score) == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_orientation_accuracy_of_transpose_is_complement(data):
    p = data.draw(st.integers(2, 6))
    y_true = data.draw(arrays(np.int64, (p, p), elements=st.integers(0, 1)))
    np.fill_diagonal(y_true, 0)
    assume((y_true & ~y_true.T.astype(bool)).any())
    values = data.draw(
        st.lists(
            st.floats(-10, 10, allow_nan=False),
            min_size=p * p,
            max_size=p * p,
            unique=True,
        )
    )
    y_score = np.array(values).reshape(p, p)
    total = edge_orientation_accuracy(y_true, y_score) + edge_orientation_accuracy(
        y_true, y_score.T
    )
    assert total == pytest.approx(1.0)
