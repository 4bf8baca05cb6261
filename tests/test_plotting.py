import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from skdyncausal.plotting import (
    EdgeCurvesDisplay,
    EdgeProbabilityDisplay,
    GraphDisplay,
    HorizonErrorDisplay,
    LatentEmbeddingDisplay,
    TrajectoryDisplay,
)


@pytest.fixture
def graph():
    truth = np.zeros((5, 5), dtype=int)
    truth[0, 1] = truth[1, 2] = truth[3, 4] = 1
    rng = np.random.default_rng(0)
    proba = np.clip(0.7 * truth + 0.3 * rng.random((5, 5)), 0, 1)
    np.fill_diagonal(proba, 0)
    prior = np.full((5, 5), np.nan)
    prior[0, 1], prior[2, 0] = 1, 0
    return truth, proba, prior


def test_edge_probability_display_marks_prior_and_truth(graph, tmp_path):
    truth, proba, prior = graph
    disp = EdgeProbabilityDisplay(
        proba, prior=prior, truth=truth, variable_names=list("abcde")
    ).plot()
    np.testing.assert_allclose(disp.image_.get_array(), proba)
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert labels == list("abcde")
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["known edge", "known absence", "true edge"]
    # the known edge 0 -> 1 is drawn at column 1, row 0
    np.testing.assert_allclose(disp.ax_.collections[0].get_offsets(), [[1, 0]])
    disp.figure_.savefig(tmp_path / "heat.png")
    assert (tmp_path / "heat.png").stat().st_size > 1000


def test_graph_display_top_k_and_threshold(graph, tmp_path):
    _, proba, _ = graph
    disp = GraphDisplay(proba, top_k=3, variable_names=list("abcde")).plot()
    assert {e for e in disp.graph_.edges} == {("a", "b"), ("b", "c"), ("d", "e")}
    assert disp.ax_.get_title() == "3 predicted edges"
    disp.figure_.savefig(tmp_path / "graph.png")
    strict = GraphDisplay(proba, threshold=0.99).plot()
    assert strict.graph_.number_of_edges() == 0


def test_edge_curves_display_reports_metrics(graph):
    truth, proba, prior = graph
    disp = EdgeCurvesDisplay.from_predictions(truth, proba, mask=np.isnan(prior))
    assert disp.roc_auc_ == pytest.approx(1.0)
    assert len(disp.ax_) == 2
    assert "AUROC 1.000" in disp.ax_[0].get_legend().get_texts()[0].get_text()


def test_trajectory_display_images_and_vectors(tmp_path):
    t = np.linspace(0, 1, 12)
    frames = np.random.default_rng(0).random((12, 8, 8))
    disp = TrajectoryDisplay(t, frames, frames, n_frames=4).plot()
    assert disp.ax_.shape == (2, 4)
    assert len(disp.ax_[1, 0].images) == 1
    vec = np.stack([np.sin(t), np.cos(t)], axis=1)
    disp = TrajectoryDisplay(t, vec, vec + 0.1, y_std=np.full_like(vec, 0.05)).plot()
    assert len(disp.ax_.lines) == 4  # one prediction and one truth line per channel
    assert len(disp.ax_.collections) == 2  # one uncertainty band per channel
    disp.figure_.savefig(tmp_path / "traj.png")


def test_horizon_error_display_curves():
    y = np.ones((3, 5, 2))
    disp = HorizonErrorDisplay.from_predictions(
        np.arange(5), y, {"perfect": y, "zero": np.zeros_like(y)}
    )
    np.testing.assert_allclose(disp.curves["perfect"], 0.0)
    np.testing.assert_allclose(disp.curves["zero"], 1.0)
    assert [line.get_label() for line in disp.ax_.lines] == ["perfect", "zero"]


def test_latent_embedding_display_projects_to_two_dims():
    emb = np.random.default_rng(0).normal(size=(20, 6))
    disp = LatentEmbeddingDisplay(emb, color=np.arange(20), color_label="g").plot()
    assert disp.projection_.shape == (20, 2)
    assert len(disp.figure_.axes) == 2  # the scatter axes and its colour bar
