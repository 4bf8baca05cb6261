"""Simulators of dynamical systems observed as images, trajectories and fields.

All simulators integrate their equations with a fixed-step fourth-order
Runge-Kutta scheme that is vectorised over instances and steps exactly onto the
requested observation times (each interval between two observations is split
into equal sub-steps no longer than an internal maximal step).
"""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from .._validation import check_bool, check_float, check_int, check_range


def _sub_rngs(random_state, n):
    """Independent child ``RandomState`` objects derived from ``random_state``.

    Each random component (parameters, initial conditions, times, noise) gets
    its own stream, so toggling e.g. ``irregular`` or ``noise`` leaves the
    other draws unchanged.
    """
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=n)
    return [np.random.RandomState(s) for s in seeds]


def _draw(bounds, n, rng):
    """Uniform draw in ``bounds``; always consumes ``n`` numbers of ``rng``."""
    return rng.uniform(bounds[0], bounds[1], size=n) if n else np.empty(0)


def _check_sampling(n_instances, n_times, dt, irregular, noise):
    """The arguments every trajectory simulator shares, validated."""
    return (
        check_int(n_instances, "n_instances", 1),
        check_int(n_times, "n_times", 1),
        check_float(dt, "dt", low=0.0, strict=True),
        check_bool(irregular, "irregular"),
        check_float(noise, "noise", low=0.0),
    )


def _streams(random_state):
    """Random streams of a simulator: parameters, initial states, times, noise."""
    return _sub_rngs(random_state, 4)


def _make_times(n_instances, n_times, dt, irregular, rng):
    """Regular grid ``k * dt`` or a per-instance jittered grid."""
    grid = np.arange(n_times, dtype=float) * dt
    times = np.tile(grid, (n_instances, 1))
    if irregular:
        jitter = rng.uniform(-0.4, 0.4, size=(n_instances, n_times)) * dt
        jitter[:, 0] = 0.0
        times = times + jitter
    return times


# --------------------------------------------------------------------------
# Integration
# --------------------------------------------------------------------------


def _rk4_step(rhs, y, h):
    k1 = rhs(y)
    k2 = rhs(y + 0.5 * h * k1)
    k3 = rhs(y + 0.5 * h * k2)
    k4 = rhs(y + h * k3)
    return y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def _integrate(rhs, y0, times, max_step):
    """Fixed-step RK4, vectorised over instances, landing exactly on ``times``.

    Parameters
    ----------
    rhs : callable
        ``rhs(y) -> dy/dt`` for a batch ``y`` of shape ``(n, ...)``.
    y0 : ndarray of shape (n, ...)
        Initial states at ``times[:, 0]``.
    times : ndarray of shape (n, T)
        Strictly increasing observation times per instance.
    max_step : float
        Largest internal step.

    Returns
    -------
    states : ndarray of shape (n, T, ...)
    """
    n, n_times = times.shape
    y = np.array(y0, dtype=float)
    out = np.empty((n, n_times, *y.shape[1:]), dtype=y.dtype)
    out[:, 0] = y
    bshape = (n,) + (1,) * (y.ndim - 1)
    for k in range(1, n_times):
        delta = times[:, k] - times[:, k - 1]
        n_sub = max(1, int(np.ceil(delta.max() / max_step - 1e-9)))
        h = (delta / n_sub).reshape(bshape)
        for _ in range(n_sub):
            y = _rk4_step(rhs, y, h)
        out[:, k] = y
    return out


# --------------------------------------------------------------------------
# Pendulum
# --------------------------------------------------------------------------

_PEND_SCALE = 0.4  # pixels per unit length, as a fraction of image_size
_PEND_BOB = 0.05  # bob radius as a fraction of image_size (at least 1 pixel)
_PEND_ROD = 0.35  # rod half-width in pixels


def _render_pendulum(theta, length, image_size):
    """Anti-aliased images of pendulums, shape ``theta.shape + (S, S)``."""
    n, n_times = theta.shape
    size = image_size
    centre = (size - 1) / 2.0
    scale = _PEND_SCALE * size
    bob_radius = max(1.0, _PEND_BOB * size)
    grid = np.arange(size, dtype=np.float32) - np.float32(centre)
    d_row = grid[:, None]  # (S, 1) offset from the pivot, down is positive
    d_col = grid[None, :]  # (1, S) offset from the pivot, right is positive
    radius = (length[:, None] * scale).astype(np.float32)
    v_row = (radius * np.cos(theta)).astype(np.float32)[..., None, None]
    v_col = (radius * np.sin(theta)).astype(np.float32)[..., None, None]
    seg2 = v_row**2 + v_col**2
    images = np.empty((n, n_times, size, size), dtype=np.float32)
    chunk = max(1, int(2_000_000 // (n_times * size * size)))
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        vr, vc = v_row[sl], v_col[sl]
        t = np.clip((d_row * vr + d_col * vc) / seg2[sl], 0.0, 1.0)
        d_seg = np.hypot(d_row - t * vr, d_col - t * vc)
        d_bob = np.hypot(d_row - vr, d_col - vc)
        rod = np.clip(np.float32(_PEND_ROD + 0.5) - d_seg, 0.0, 1.0)
        bob = np.clip(np.float32(bob_radius + 0.5) - d_bob, 0.0, 1.0)
        images[sl] = np.maximum(rod, bob)
    return images


def _pendulum_states(length, gravity, damping, theta0, omega0, times):
    """Integrate the damped pendulums; states of shape ``(n, T, 2)`` (theta, omega)."""
    g_over_l = (gravity / length)[:, None]
    b = damping[:, None]

    def rhs(y):
        th, om = y[:, :1], y[:, 1:]
        return np.concatenate([om, -g_over_l * np.sin(th) - b * om], axis=1)

    return _integrate(rhs, np.stack([theta0, omega0], axis=1), times, 0.01)


def _pendulum_params(length, gravity, damping, theta0, omega0):
    """Table of the per-instance parameters, initial state and initial energy."""
    energy0 = 0.5 * length**2 * omega0**2 + gravity * length * (1.0 - np.cos(theta0))
    return pd.DataFrame(
        {
            "length": length,
            "gravity": gravity,
            "damping": damping,
            "theta0": theta0,
            "omega0": omega0,
            "energy0": energy0,
        }
    )


def _pendulum_description(n, n_times, image_size, irregular, noise):
    """One-paragraph description of a pendulum video data set."""
    return (
        f"Pendulum videos: {n} instances x {n_times} frames of "
        f"{image_size}x{image_size} grayscale images; theta'' = -(g/L) sin(theta)"
        f" - b theta'. Pivot at the image centre, theta=0 points down, positive "
        f"theta swings right. Irregular times: {irregular}; pixel noise std: "
        f"{noise}."
    )


def make_pendulum(
    n_instances=100,
    n_times=60,
    image_size=32,
    *,
    dt=0.1,
    length=(0.6, 1.0),
    gravity=9.81,
    damping=0.0,
    irregular=False,
    noise=0.0,
    random_state=None,
):
    r"""Simulate videos of swinging pendulums rendered as grayscale images.

    Parameters
    ----------
    n_instances : int, default=100
        Number of independent pendulums (videos).
    n_times : int, default=60
        Number of frames per video.
    image_size : int, default=32
        Height and width of each frame in pixels (at least 8).
    dt : float, default=0.1
        Time between consecutive frames (mean spacing when ``irregular``).
    length : float or tuple of (float, float), default=(0.6, 1.0)
        Rod length ``L``. A float fixes it; a ``(low, high)`` tuple draws it
        uniformly per instance. Setting a different value or range is how an
        intervention on the system is simulated.
    gravity : float or tuple of (float, float), default=9.81
        Gravitational acceleration ``g`` (fixed or uniform range).
    damping : float or tuple of (float, float), default=0.0
        Linear damping coefficient ``b >= 0`` (fixed or uniform range).
    irregular : bool, default=False
        If True, every instance gets its own sorted observation times: a
        jittered grid ``t_k = k dt + u_k dt`` with ``u_k ~ U(-0.4, 0.4)`` and
        ``t_0 = 0``, hence strictly increasing.
    noise : float, default=0.0
        Standard deviation of additive Gaussian pixel noise; noisy images are
        clipped back to ``[0, 1]``.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation. Parameters, initial conditions, times and
        noise are drawn from separate streams derived from it, so changing one
        option (e.g. the ``length`` range) keeps the other draws unchanged.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        X : ndarray of shape (n_instances, n_times, image_size, image_size)
            Frames as float32 intensities in ``[0, 1]``.
        times : ndarray of shape (n_instances, n_times)
            Observation times (``times[:, 0] == 0``).
        theta : ndarray of shape (n_instances, n_times)
            True angle at each observation time, in radians.
        omega : ndarray of shape (n_instances, n_times)
            True angular velocity at each observation time, in rad per unit
            time.
        params : pandas.DataFrame of shape (n_instances, 6)
            Columns ``length``, ``gravity``, ``damping``, ``theta0``,
            ``omega0`` and ``energy0`` (initial energy per unit mass).
        description : str
            Short description of the data.

    Notes
    -----
    The angle :math:`\theta` obeys

    .. math::

        \ddot\theta = -\frac{g}{L}\sin\theta - b\,\dot\theta,

    with :math:`\theta_0 \sim U(-1.5, 1.5)` and
    :math:`\dot\theta_0 = \omega_0 \sim U(-1, 1)`. The initial energy per unit
    mass is :math:`E_0 = \tfrac12 L^2\omega_0^2 + gL(1 - \cos\theta_0)`.
    The equation is integrated with RK4 on sub-steps of at most 0.01.

    Rendering: the pivot sits at the image centre, pixel coordinates
    ``(c, c)`` with ``c = (image_size - 1) / 2``. The bob centre is at
    ``(row, col) = (c + r cos(theta), c + r sin(theta))`` with
    ``r = 0.4 * image_size * L`` pixels; hence ``theta = 0`` hangs straight
    down (larger row index) and positive angles swing to the right (larger
    column index). The pixel scale is fixed, so images made with different
    ``length`` ranges are comparable; lengths above about 1.1 leave the
    frame. Intensities are anti-aliased: with ``d`` the distance of a pixel
    centre to the rod segment (or to the bob centre), the intensity is
    ``clip(r + 0.5 - d, 0, 1)`` with half-width ``r = 0.35`` pixels for the
    rod and ``r = max(1, 0.05 * image_size)`` for the bob; the image is the
    pixel-wise maximum of both.

    Examples
    --------
    >>> from skdyncausal.datasets import make_pendulum
    >>> data = make_pendulum(n_instances=3, n_times=5, image_size=16,
    ...                      random_state=0)
    >>> data.X.shape, data.X.dtype, data.times.shape
    ((3, 5, 16, 16), dtype('float32'), (3, 5))
    >>> list(data.params.columns)
    ['length', 'gravity', 'damping', 'theta0', 'omega0', 'energy0']
    """
    n_instances, n_times, dt, irregular, noise = _check_sampling(
        n_instances, n_times, dt, irregular, noise
    )
    image_size = check_int(image_size, "image_size", 8)
    length_b = check_range(length, "length", low=0.0, strict=True)
    gravity_b = check_range(gravity, "gravity", low=0.0, strict=True)
    damping_b = check_range(damping, "damping", low=0.0, strict=False)

    n = n_instances
    param_rng, init_rng, time_rng, noise_rng = _streams(random_state)
    length_v = _draw(length_b, n, param_rng)
    gravity_v = _draw(gravity_b, n, param_rng)
    damping_v = _draw(damping_b, n, param_rng)
    theta0 = init_rng.uniform(-1.5, 1.5, size=n)
    omega0 = init_rng.uniform(-1.0, 1.0, size=n)
    times = _make_times(n, n_times, dt, irregular, time_rng)

    states = _pendulum_states(length_v, gravity_v, damping_v, theta0, omega0, times)
    theta = states[:, :, 0]
    X = _render_pendulum(theta, length_v, image_size)
    if noise > 0:
        X += (noise * noise_rng.standard_normal(X.shape)).astype(np.float32)
        np.clip(X, 0.0, 1.0, out=X)

    params = _pendulum_params(length_v, gravity_v, damping_v, theta0, omega0)
    description = _pendulum_description(n, n_times, image_size, irregular, noise)
    return Bunch(
        X=X,
        times=times,
        theta=theta,
        omega=states[:, :, 1],
        params=params,
        description=description,
    )


# --------------------------------------------------------------------------
# Lotka-Volterra
# --------------------------------------------------------------------------


def _lotka_volterra_states(values, x0, y0, times):
    """Integrate the predator-prey system; ``values`` maps rate names to arrays."""
    a, b, d, g = (values[k][:, None] for k in ("alpha", "beta", "delta", "gamma"))

    def rhs(state):
        x, y = state[:, :1], state[:, 1:]
        xy = x * y
        return np.concatenate([a * x - b * xy, d * xy - g * y], axis=1)

    return _integrate(rhs, np.stack([x0, y0], axis=1), times, 0.01)


def _lotka_volterra_description(n, n_times, irregular, noise):
    """One-paragraph description of a Lotka-Volterra data set."""
    return (
        f"Lotka-Volterra predator-prey trajectories: {n} instances x {n_times} "
        "times x 2 species (prey, predator); x' = alpha x - beta x y, "
        f"y' = delta x y - gamma y. Irregular times: {irregular}; "
        f"multiplicative log-normal noise std: {noise}."
    )


def make_lotka_volterra(
    n_instances=100,
    n_times=50,
    *,
    dt=0.2,
    alpha=(0.8, 1.2),
    beta=(0.3, 0.5),
    delta=(0.3, 0.5),
    gamma=(0.8, 1.2),
    irregular=False,
    noise=0.0,
    random_state=None,
):
    r"""Simulate predator-prey trajectories of the Lotka-Volterra system.

    Parameters
    ----------
    n_instances : int, default=100
        Number of independent trajectories.
    n_times : int, default=50
        Number of observations per trajectory.
    dt : float, default=0.2
        Time between observations (mean spacing when ``irregular``).
    alpha : float or tuple of (float, float), default=(0.8, 1.2)
        Prey growth rate (fixed, or a ``(low, high)`` uniform range).
    beta : float or tuple of (float, float), default=(0.3, 0.5)
        Predation rate (fixed or uniform range).
    delta : float or tuple of (float, float), default=(0.3, 0.5)
        Predator growth per prey eaten (fixed or uniform range).
    gamma : float or tuple of (float, float), default=(0.8, 1.2)
        Predator death rate (fixed or uniform range).
    irregular : bool, default=False
        If True, per-instance jittered times ``t_k = k dt + u_k dt``,
        ``u_k ~ U(-0.4, 0.4)``, ``t_0 = 0`` (strictly increasing).
    noise : float, default=0.0
        Standard deviation of multiplicative log-normal observation noise:
        observed values are ``x * exp(noise * e)`` with ``e ~ N(0, 1)``, which
        keeps them positive.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation (separate streams for parameters, initial
        conditions, times and noise).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        X : ndarray of shape (n_instances, n_times, 2)
            Prey ``x`` (channel 0) and predator ``y`` (channel 1), float32.
        times : ndarray of shape (n_instances, n_times)
            Observation times (``times[:, 0] == 0``).
        params : pandas.DataFrame of shape (n_instances, 6)
            Columns ``alpha``, ``beta``, ``delta``, ``gamma``, ``x0``, ``y0``.
        description : str
            Short description of the data.

    Notes
    -----
    The populations obey

    .. math::

        \dot x = \alpha x - \beta x y, \qquad
        \dot y = \delta x y - \gamma y,

    with :math:`x_0, y_0 \sim U(0.5, 2.5)`, integrated with RK4 on sub-steps
    of at most 0.01. Orbits are closed curves around
    :math:`(\gamma/\delta, \alpha/\beta)` on which
    :math:`V = \delta x - \gamma \log x + \beta y - \alpha \log y` is
    conserved; with the default ranges the period is about :math:`2\pi`, so
    the default horizon of 10 time units shows at least one full oscillation.

    Examples
    --------
    >>> from skdyncausal.datasets import make_lotka_volterra
    >>> data = make_lotka_volterra(n_instances=4, n_times=10, random_state=0)
    >>> data.X.shape, data.times.shape, bool((data.X > 0).all())
    ((4, 10, 2), (4, 10), True)
    """
    n_instances, n_times, dt, irregular, noise = _check_sampling(
        n_instances, n_times, dt, irregular, noise
    )
    bounds = {
        name: check_range(value, name, low=0.0, strict=True)
        for name, value in [
            ("alpha", alpha),
            ("beta", beta),
            ("delta", delta),
            ("gamma", gamma),
        ]
    }

    n = n_instances
    param_rng, init_rng, time_rng, noise_rng = _streams(random_state)
    values = {name: _draw(b, n, param_rng) for name, b in bounds.items()}
    x0 = init_rng.uniform(0.5, 2.5, size=n)
    y0 = init_rng.uniform(0.5, 2.5, size=n)
    times = _make_times(n, n_times, dt, irregular, time_rng)

    states = _lotka_volterra_states(values, x0, y0, times)
    if noise > 0:
        states = states * np.exp(noise * noise_rng.standard_normal(states.shape))
    params = pd.DataFrame({**values, "x0": x0, "y0": y0})
    description = _lotka_volterra_description(n, n_times, irregular, noise)
    return Bunch(
        X=states.astype(np.float32),
        times=times,
        params=params,
        description=description,
    )


# --------------------------------------------------------------------------
# Reaction-diffusion (lambda-omega)
# --------------------------------------------------------------------------


def _laplacian(field, h2):
    """Periodic 5-point Laplacian over the last two axes."""
    out = np.roll(field, 1, axis=-1)
    out += np.roll(field, -1, axis=-1)
    out += np.roll(field, 1, axis=-2)
    out += np.roll(field, -1, axis=-2)
    out -= 4.0 * field
    out /= h2
    return out


def _smooth_random_fields(n, grid_size, domain_size, corr_length, rng):
    """Random smooth complex fields with unit maximal modulus per instance."""
    noise = rng.standard_normal((n, 2, grid_size, grid_size))
    freq = np.fft.fftfreq(grid_size, d=domain_size / grid_size) * 2.0 * np.pi
    k2 = freq[:, None] ** 2 + freq[None, :] ** 2
    filt = np.exp(-0.5 * k2 * corr_length**2)
    smooth = np.fft.ifft2(np.fft.fft2(noise) * filt).real
    modulus = np.sqrt((smooth**2).sum(axis=1, keepdims=True))
    return smooth / modulus.max(axis=(2, 3), keepdims=True)


def _lambda_omega_states(diffusion, beta, state0, times, h, max_diffusion):
    """Integrate the lambda-omega fields from ``state0`` onto ``times``."""
    h2 = h * h
    d = diffusion[:, None, None, None]
    bet = beta[:, None, None]

    def rhs(y):
        u, v = y[:, 0], y[:, 1]
        a2 = u * u + v * v
        out = _laplacian(y, h2)
        out *= d
        out[:, 0] += (1.0 - a2) * u + bet * a2 * v
        out[:, 1] += -bet * a2 * u + (1.0 - a2) * v
        return out

    # Explicit diffusion is stable for steps up to h^2 / (4 d): keep a margin.
    max_step = min(0.05, 0.9 * h2 / (4.0 * max_diffusion))
    return _integrate(rhs, state0, times, max_step)


def _reaction_diffusion_description(
    n, n_times, grid_size, domain_size, irregular, noise
):
    """One-paragraph description of a reaction-diffusion data set."""
    return (
        f"Lambda-omega reaction-diffusion: {n} instances x {n_times} snapshots x "
        f"2 fields on a periodic {grid_size}x{grid_size} grid (domain side "
        f"{domain_size}); u_t = (1-A^2)u + beta A^2 v + d lap(u), "
        "v_t = -beta A^2 u + (1-A^2)v + d lap(v), A^2 = u^2+v^2. "
        f"Irregular times: {irregular}; additive noise std: {noise}."
    )


def make_reaction_diffusion(
    n_instances=100,
    n_times=40,
    grid_size=32,
    *,
    dt=0.1,
    diffusion=(0.05, 0.15),
    beta=(0.8, 1.2),
    domain_size=20.0,
    irregular=False,
    noise=0.0,
    random_state=None,
):
    r"""Simulate a 2-D lambda-omega reaction-diffusion system (spiral waves).

    Parameters
    ----------
    n_instances : int, default=100
        Number of independent simulations.
    n_times : int, default=40
        Number of snapshots per simulation.
    grid_size : int, default=32
        Number of grid points along each side of the periodic square grid
        (at least 8).
    dt : float, default=0.1
        Time between snapshots (mean spacing when ``irregular``).
    diffusion : float or tuple of (float, float), default=(0.05, 0.15)
        Diffusion coefficient ``d`` shared by both species (fixed, or a
        ``(low, high)`` uniform range drawn per instance).
    beta : float or tuple of (float, float), default=(0.8, 1.2)
        Rotation coefficient ``beta`` of the reaction term (fixed or range).
    domain_size : float, default=20.0
        Side length of the square periodic domain; the grid spacing is
        ``h = domain_size / grid_size``.
    irregular : bool, default=False
        If True, per-instance jittered times ``t_k = k dt + u_k dt``,
        ``u_k ~ U(-0.4, 0.4)``, ``t_0 = 0`` (strictly increasing).
    noise : float, default=0.0
        Standard deviation of additive Gaussian observation noise.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation (separate streams for parameters, initial
        conditions, times and noise).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        X : ndarray of shape (n_instances, n_times, 2, grid_size, grid_size)
            Fields ``u`` (channel 0) and ``v`` (channel 1), float32.
        times : ndarray of shape (n_instances, n_times)
            Observation times (``times[:, 0] == 0``).
        params : pandas.DataFrame of shape (n_instances, 2)
            Columns ``diffusion`` and ``beta``.
        description : str
            Short description of the data.

    Notes
    -----
    With :math:`A^2 = u^2 + v^2` the fields obey

    .. math::

        u_t &= (1 - A^2)\,u + \beta A^2 v + d\,\nabla^2 u, \\
        v_t &= -\beta A^2 u + (1 - A^2)\,v + d\,\nabla^2 v,

    on a periodic square. The modulus relaxes towards 1 while the phase
    rotates with angular frequency about :math:`\beta`, and the zeros of the
    initial field :math:`u + iv` seed rotating spiral waves, so the fields
    keep evolving instead of settling. Initial conditions are random smooth
    fields: white noise low-pass filtered with a Gaussian kernel of
    correlation length ``domain_size / 8``, scaled to a maximal modulus of 1.

    The Laplacian uses the periodic 5-point finite-difference stencil and
    time stepping is RK4 with sub-steps no longer than
    ``min(0.05, 0.9 h^2 / (4 d_max))``, which satisfies the explicit
    diffusion stability limit :math:`\Delta t \le h^2 / (4 d)`.

    Examples
    --------
    >>> from skdyncausal.datasets import make_reaction_diffusion
    >>> data = make_reaction_diffusion(n_instances=2, n_times=3, grid_size=16,
    ...                                random_state=0)
    >>> data.X.shape, data.times.shape, list(data.params.columns)
    ((2, 3, 2, 16, 16), (2, 3), ['diffusion', 'beta'])
    """
    n_instances, n_times, dt, irregular, noise = _check_sampling(
        n_instances, n_times, dt, irregular, noise
    )
    grid_size = check_int(grid_size, "grid_size", 8)
    diffusion_b = check_range(diffusion, "diffusion", low=0.0, strict=True)
    beta_b = check_range(beta, "beta", low=0.0, strict=False)
    domain_size = check_float(domain_size, "domain_size", low=0.0, strict=True)

    n = n_instances
    param_rng, init_rng, time_rng, noise_rng = _streams(random_state)
    diffusion_v = _draw(diffusion_b, n, param_rng)
    beta_v = _draw(beta_b, n, param_rng)
    h = domain_size / grid_size
    state0 = _smooth_random_fields(n, grid_size, domain_size, domain_size / 8, init_rng)
    times = _make_times(n, n_times, dt, irregular, time_rng)

    states = _lambda_omega_states(diffusion_v, beta_v, state0, times, h, diffusion_b[1])
    if noise > 0:
        states = states + noise * noise_rng.standard_normal(states.shape)
    params = pd.DataFrame({"diffusion": diffusion_v, "beta": beta_v})
    description = _reaction_diffusion_description(
        n, n_times, grid_size, domain_size, irregular, noise
    )
    return Bunch(
        X=states.astype(np.float32),
        times=times,
        params=params,
        description=description,
    )
