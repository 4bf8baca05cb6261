"""Tiny estimator configurations shared by the test modules (fit in about a second)."""

DYN_TINY = dict(
    n_context=3,
    latent_dim=2,
    token_dim=8,
    hidden_dim=8,
    conv_channels=2,
    n_heads=2,
    n_layers=1,
    n_frequencies=2,
    max_epochs=2,
    batch_size=4,
    n_posterior_samples=3,
    random_state=0,
)
CAUSAL_TINY = dict(
    image_size=4,
    hidden_dim=4,
    cnn_channels=2,
    gnn_layers=1,
    max_epochs=2,
    batch_size=32,
    random_state=0,
)
