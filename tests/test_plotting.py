import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text

from skdyncausal.plotting import (
    EdgeCurvesDisplay,
    EdgeProbabilityDisplay,
    GraphDisplay,
    HorizonErrorDisplay,
    LatentEmbeddingDisplay,
    TrajectoryDisplay,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


@pytest.fixture(scope="module")
def sem30():
    """Partial correlations of a 30-variable SEM rescaled to [0, 1], and a prior."""
    from skdyncausal.causal import partial_correlation_scores
    from skdyncausal.datasets import make_prior, make_sem

    data = make_sem(500, 30, n_interventions=15, random_state=0)
    prior = make_prior(data.adjacency, fraction=0.3, random_state=0)
    scores = partial_correlation_scores(data.X)
    return scores / scores.max(), prior, data.adjacency


def test_edge_probability_display_marks_prior_and_truth(graph, tmp_path):
    truth, proba, prior = graph
    disp = EdgeProbabilityDisplay(
        proba, prior=prior, truth=truth, variable_names=list("abcde")
    ).plot()
    np.testing.assert_allclose(disp.image_.get_array(), proba)
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert labels == list("abcde")
    (legend,) = disp.figure_.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "known edge",
        "known absence",
        "true edge",
    ]
    disp.figure_.canvas.draw()  # the legend lies outside the matrix
    assert not legend.get_window_extent().overlaps(disp.ax_.get_window_extent())
    # the known edge 0 -> 1 is drawn at column 1, row 0
    np.testing.assert_allclose(disp.ax_.collections[0].get_offsets(), [[1, 0]])
    disp.figure_.savefig(tmp_path / "heat.png")
    assert (tmp_path / "heat.png").stat().st_size > 1000


def test_graph_display_top_k_and_threshold(graph, tmp_path):
    _, proba, _ = graph
    disp = GraphDisplay(proba, top_k=3, variable_names=list("abcde")).plot()
    assert {e for e in disp.graph_.edges} == {("a", "b"), ("b", "c"), ("d", "e")}
    assert disp.ax_.get_title().startswith("3 most probable edges (top_k=3)")
    disp.figure_.savefig(tmp_path / "graph.png")
    strict = GraphDisplay(proba, threshold=0.99).plot()
    assert strict.graph_.number_of_edges() == 0
    assert strict.ax_.get_title().startswith("0 edges with P ≥ 0.99")


@pytest.mark.parametrize("p", [2, 4, 6])
def test_graph_display_default_cli_top_k_draws_no_self_loop(p):
    # top_k=30 exceeds the p * (p - 1) off-diagonal pairs for every p <= 6
    proba = np.random.default_rng(p).random((p, p))
    disp = GraphDisplay(proba, top_k=30).plot()
    drawn = list(disp.graph_.edges)
    assert drawn and all(u != v for u, v in drawn)
    assert len(drawn) == len(disp.edges_) == p * (p - 1)
    assert disp.ax_.get_title().startswith(f"{p * (p - 1)} most probable edges")


def test_graph_display_title_counts_only_drawn_edges(graph):
    _, proba, prior = graph
    proba = np.clip(proba, 0.01, 1)
    proba[4, 0] = 0.005
    disp = GraphDisplay(proba, prior=prior, top_k=30).plot()
    title = disp.ax_.get_title()
    n_predicted = len(disp.edges_)
    assert n_predicted == 20 - 2  # two pairs are fixed by the prior
    assert title.startswith(f"{n_predicted} most probable edges (top_k=30)")
    assert "lowest P = 0.005" in title
    assert "and 1 known edge from the prior" in title
    thresholded = GraphDisplay(proba, prior=prior, threshold=0.6).plot()
    n_drawn = int(np.sum((proba >= 0.6) & np.isnan(prior)))
    assert len(thresholded.edges_) == n_drawn
    assert thresholded.ax_.get_title().startswith(f"{n_drawn} edges with P ≥ 0.6")


@pytest.mark.parametrize("top_k", [-5, 0, 2.5, True, "3"])
def test_graph_display_rejects_bad_top_k(graph, top_k):
    _, proba, _ = graph
    with pytest.raises(ValueError, match="top_k must be a positive integer or None"):
        GraphDisplay(proba, top_k=top_k).plot()


def test_graph_display_reports_all_parameter_problems(graph):
    _, proba, _ = graph
    with pytest.raises(ValueError, match=r"top_k.*; threshold must be a number"):
        GraphDisplay(proba, top_k=-5, threshold=1.5).plot()


def _pixel_positions(disp):
    disp.figure_.canvas.draw()
    return disp.ax_.transData.transform(disp.nodes_.get_offsets())


@pytest.mark.parametrize("acyclic", [True, False])
def test_graph_display_separates_nodes_at_p30(sem30, acyclic):
    proba, prior, _ = sem30
    if acyclic:  # keep only i -> j with i < j: the drawn graph is a DAG
        proba = np.triu(proba, 1)
    disp = GraphDisplay(proba, prior=prior, top_k=30).plot()
    assert len(disp.graph_) >= 20
    xy = _pixel_positions(disp)
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=-1)[np.triu_indices(len(xy), 1)]
    diameter = np.sqrt(disp.nodes_.get_sizes()[0]) * disp.figure_.dpi / 72
    assert gaps.min() > 1.5 * diameter  # nodes never touch, room for an arrow
    ax_box = disp.ax_.get_window_extent()
    assert diameter > 0.02 * min(ax_box.width, ax_box.height)  # and stay visible
    inside = (xy >= [ax_box.x0, ax_box.y0]) & (xy <= [ax_box.x1, ax_box.y1])
    assert inside.all()


def test_graph_display_has_probability_colorbar_and_arrows(sem30):
    proba, prior, _ = sem30
    disp = GraphDisplay(proba, prior=prior, top_k=30).plot()
    assert disp.colorbar_.ax in disp.figure_.axes
    assert disp.colorbar_.mappable.get_clim() == (0.0, 1.0)
    assert "probability" in disp.colorbar_.ax.get_ylabel()
    assert len(disp.edges_) == 30
    assert all(
        patch.get_arrowstyle().__class__.__name__ == "CurveFilledB"
        for patch in disp.edges_
    )


def test_graph_display_prior_edges_styled_apart_from_predicted(sem30):
    proba, prior, _ = sem30
    disp = GraphDisplay(proba, prior=prior, top_k=30).plot()
    n_known = int(np.sum(prior == 1))
    assert len(disp.known_edges_) == n_known > 0
    known = {(p.get_linestyle(), tuple(p.get_edgecolor())) for p in disp.known_edges_}
    predicted = {(p.get_linestyle(), tuple(p.get_edgecolor())) for p in disp.edges_}
    assert {style for style, _ in known} == {"--"}
    assert {style for style, _ in predicted} <= {"-", "solid"}
    assert not known & predicted
    labels = [t.get_text() for t in disp.figure_.legends[0].get_texts()]
    assert labels == ["predicted edge", "known (prior)"]
    # a pair the prior rules out is never drawn, however probable
    absent = np.argwhere(prior == 0)
    names = [str(k) for k in range(len(proba))]
    drawn = set(disp.graph_.edges)
    assert not any((names[i], names[j]) in drawn for i, j in absent)


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


def _inside_figure(fig, *artists):
    fig.canvas.draw()
    box = fig.bbox
    for artist in artists:
        extent = artist.get_window_extent()
        assert extent.width > 0
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, artist.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, artist.get_text()


def test_horizon_error_display_axis_labels_inside_figure():
    y = np.ones((3, 5, 2))
    disp = HorizonErrorDisplay.from_predictions(np.arange(5), y, {"zero": 0 * y})
    _inside_figure(disp.figure_, disp.ax_.xaxis.label, disp.ax_.yaxis.label)


def test_latent_embedding_display_axis_labels_inside_figure():
    emb = np.random.default_rng(0).normal(size=(20, 6)) * 1e-3
    disp = LatentEmbeddingDisplay(emb, color=np.arange(20), color_label="g").plot()
    _inside_figure(disp.figure_, disp.ax_.xaxis.label, disp.ax_.yaxis.label)
    assert "of variance" in disp.ax_.get_xlabel()


def test_trajectory_display_frames_have_title_and_row_labels():
    t = np.linspace(0, 1, 12)
    frames = np.random.default_rng(0).random((12, 8, 8))
    disp = TrajectoryDisplay(t, frames, frames, n_frames=4).plot()
    assert disp.ax_[0, 0].get_ylabel() == "observed"
    assert disp.ax_[1, 0].get_ylabel() == "forecast"
    title = disp.figure_.get_suptitle()
    assert "observed (top)" in title and "forecast (bottom)" in title
    (suptitle,) = [t for t in disp.figure_.findobj(Text) if t.get_text() == title]
    _inside_figure(disp.figure_, suptitle, disp.ax_[1, 0].yaxis.label)
    custom = TrajectoryDisplay(
        t, frames, frames, labels=("true", "model"), title="video 3"
    ).plot()
    assert custom.figure_.get_suptitle() == "video 3"
    assert custom.ax_[1, 0].get_ylabel() == "model"


def test_trajectory_display_vectors_title_names_the_rows():
    t = np.linspace(0, 1, 12)
    vec = np.stack([np.sin(t), np.cos(t)], axis=1)
    disp = TrajectoryDisplay(t, vec, vec, y_std=np.full_like(vec, 0.05)).plot()
    assert disp.ax_.get_title() == "observed (dots), forecast (lines ± 2 std)"
    _inside_figure(disp.figure_, disp.ax_.xaxis.label)


def test_quickstart_horizon_plot_shows_the_mean_frame_baseline(tmp_path):
    from types import SimpleNamespace

    from skdyncausal._quickstart import _plot_dynamics

    rng = np.random.default_rng(0)
    times = np.arange(8) * 0.1
    test = rng.random((3, 8, 6, 6))
    target = test[:, 2:]
    baselines = [
        target + 0.1,
        np.repeat(test[:, 1:2], 6, axis=1),
        np.broadcast_to(test.mean(axis=(0, 1)), target.shape),
    ]
    est = SimpleNamespace(n_context=2)
    frames, horizon = _plot_dynamics(
        tmp_path, est, test, times, *baselines[:2], target, baselines[2]
    )
    labels = [line.get_label() for line in horizon.ax_.lines]
    assert labels == [
        "LatentDynamicsRegressor",
        "persistence (last context frame)",
        "mean frame",
    ]
    assert "forecast from frames 1-2" in frames.figure_.get_suptitle()
    assert (tmp_path / "pendulum_nmse_horizon.png").stat().st_size > 1000
