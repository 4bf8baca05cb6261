"""Predictions of both estimators on fixed small configurations.

``tests/data/reference_predictions.npz`` holds what :func:`compute` returned
before the estimators were split into parts; ``test_reference.py`` checks that
the package still gives the same numbers. Regenerate only on purpose, when a
change of behaviour is intended, and say why in the commit:
``python tests/_reference.py`` rewrites everything, ``python tests/_reference.py
causal`` (or ``dyn``) only that estimator's entries. The causal entries
were re-recorded when the default pair statistics gained the conditional
independence, v-structure and causal-order evidence, again when beta
calibration became the default, and when the baseline logit began to take the
causal-order columns whenever the noise tests non-Gaussian, and when the
fit began to leave out the labelled pairs its out-of-fold scores contradict
and refit (``prior_cleaning="refit"``), and when ``calibration="auto"`` (the
beta map moved towards isotonic regression) became the default. The dynamics
entries that use the default batch size were re-recorded when it went from 16
to 8; all dynamics entries when the encoder began to read the context's rates
of change (``context_motion=True``), when the default dropout went from 0.1
to 0, and when the default learning rate began to anneal to 0 over the last
quarter of the steps (``lr_schedule="anneal"``).
"""

from pathlib import Path

import numpy as np

from skdyncausal import CausalStructureEstimator, LatentDynamicsRegressor
from skdyncausal.datasets import (
    make_lotka_volterra,
    make_pendulum,
    make_prior,
    make_reaction_diffusion,
    make_sem,
)

PATH = Path(__file__).parent / "data" / "reference_predictions.npz"

_VECTOR = dict(
    n_context=4,
    latent_dim=4,
    token_dim=16,
    hidden_dim=16,
    n_heads=2,
    n_frequencies=4,
    max_epochs=3,
    batch_size=8,
    n_posterior_samples=4,
    random_state=0,
)


def _dynamics(**params):
    return LatentDynamicsRegressor(**params)


def _dynamics_cases():
    """name -> (estimator, fit data, context, query times)."""
    pend = make_pendulum(n_instances=14, n_times=16, image_size=32, random_state=0)
    lv = make_lotka_volterra(n_instances=24, n_times=20, random_state=1)
    rd = make_reaction_diffusion(n_instances=8, n_times=8, grid_size=16, random_state=2)
    t_p, t_lv, t_rd = pend.times[0], lv.times[0], rd.times[0]
    span = t_lv[-1] - t_lv[0]
    lv_query = np.r_[t_lv[4:] + 0.03, t_lv[-1] + 0.6 * span]  # past the span
    return {
        # the quickstart's configuration (defaults), on a smaller data set
        "quickstart": (
            LatentDynamicsRegressor(n_context=10, max_epochs=2, random_state=0),
            (pend.X[:10], t_p),
            pend.X[10:, :10],
            t_p[10:],
        ),
        "direct": (
            LatentDynamicsRegressor(**_VECTOR),
            (lv.X[:20], t_lv),
            lv.X[20:, :4],
            lv_query,
        ),
        "ode": (
            _dynamics(**_VECTOR, dynamics="ode"),
            (lv.X[:20], t_lv),
            lv.X[20:, :4],
            lv_query,
        ),
        "gru": (
            _dynamics(**_VECTOR, dynamics="gru"),
            (lv.X[:20], t_lv),
            lv.X[20:, :4],
            lv_query,
        ),
        "early_stopping": (
            LatentDynamicsRegressor(
                **{**_VECTOR, "max_epochs": 4},
                early_stopping=True,
                n_iter_no_change=2,
                curriculum=True,
                horizon=8,
            ),
            (lv.X[:20], t_lv),
            lv.X[20:, :4],
            lv_query,
        ),
        "grid": (
            LatentDynamicsRegressor(
                n_context=3,
                latent_layout="grid",
                latent_dim=4,
                token_dim=16,
                hidden_dim=16,
                conv_channels=4,
                n_heads=2,
                max_epochs=2,
                batch_size=4,
                n_posterior_samples=3,
                random_state=0,
            ),
            (rd.X[:6], t_rd),
            rd.X[6:, :3],
            t_rd[3:] + 0.01,
        ),
    }


def _dynamics_reference(out):
    for name, (est, (X, t), ctx, query) in _dynamics_cases().items():
        est.fit(X, times=t)
        out[f"dyn_{name}_pred"] = est.predict(ctx, times=query)
        mean, std = est.predict(ctx, times=query[:3], return_std=True)
        out[f"dyn_{name}_sampled_mean"], out[f"dyn_{name}_std"] = mean, std
        out[f"dyn_{name}_psi"] = est.transform(ctx)
        out[f"dyn_{name}_loss"] = np.asarray(est.loss_curve_)
        if name == "direct":
            est.partial_fit(X[:10], times=t, epochs=2)
            out["dyn_partial_fit_pred"] = est.predict(ctx, times=query)


def _causal_cases():
    quick = make_sem(
        n_samples=500, n_variables=15, n_interventions=7, snr=1.0, random_state=0
    )
    tanh = make_sem(
        n_samples=300,
        n_variables=12,
        n_interventions=6,
        mechanism="tanh",
        noise="laplace",
        random_state=3,
    )
    return {
        # the quickstart's configuration (defaults, fewer epochs)
        "quickstart": (
            CausalStructureEstimator(max_epochs=6, random_state=0),
            quick,
            make_prior(quick.adjacency, fraction=0.3, random_state=0),
        ),
        "ancestral_no_image": (
            CausalStructureEstimator(
                labels="ancestral",
                architecture="no_image",
                max_epochs=4,
                baseline_offset=False,
                random_state=1,
            ),
            tanh,
            make_prior(tanh.ancestral, fraction=0.4, random_state=1),
        ),
        "image_small": (
            CausalStructureEstimator(
                architecture="image",
                image_size=8,
                max_epochs=3,
                knockout_dropout=0.0,
                class_weight=None,
                block_size=5,
                random_state=2,
            ),
            tanh,
            make_prior(tanh.adjacency, fraction=0.5, random_state=2),
        ),
    }


def _causal_reference(out):
    for name, (est, data, prior) in _causal_cases().items():
        est.fit(data.X, prior=prior, interventions=data.interventions)
        out[f"causal_{name}_proba"] = est.predict_proba()
        half = data.X[: len(data.X) // 2]
        iv = data.interventions[: len(data.X) // 2]
        out[f"causal_{name}_proba_rows"] = est.predict_proba(half, interventions=iv)
        out[f"causal_{name}_score"] = np.asarray(est.score(half, interventions=iv))
        out[f"causal_{name}_pairs"] = est.train_pairs_


def compute():
    """Every recorded output, as a dict of arrays."""
    out = {}
    _dynamics_reference(out)
    _causal_reference(out)
    return out


if __name__ == "__main__":
    import sys

    import torch

    torch.set_num_threads(1)
    part = sys.argv[1] if len(sys.argv) > 1 else None
    if part is None:
        out = compute()
    else:
        parts = {"causal": _causal_reference, "dyn": _dynamics_reference}
        with np.load(PATH) as old:
            out = {k: old[k] for k in old.files if not k.startswith(f"{part}_")}
        parts[part](out)
    np.savez_compressed(PATH, **out)
    print(f"wrote {PATH}")
