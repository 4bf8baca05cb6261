"""The methods of the causal benchmarks by name, and the published peers.

Registry
--------

:func:`get_scorer` turns a method name into a function

    scores = scorer(X, prior, interventions)

that returns a ``(p, p)`` score matrix, ``scores[i, j]`` larger when the edge
``i → j`` is more likely (row = cause, column = effect, the convention of
:mod:`skdyncausal.metrics`). ``prior`` is the partial prior (1 / 0 / NaN) and
``interventions`` the knocked-out column of every row (``-1`` observational) or
None. The names are the method labels of the benchmark tables:

- ``ours:full``, ``ours:no_image``, ``ours:image``, ``ours:graph``:
  ``CausalStructureEstimator(architecture=...)`` fitted on ``X`` with the prior
  and the interventions, scored with ``predict_proba()``; ``ours`` is
  ``ours:full`` (the label of ``causal_scale.py``); ``ours:dask`` is ``ours``
  with ``n_jobs=2`` inside ``joblib.parallel_config(backend="dask")`` on a
  ``distributed.LocalCluster`` of two single-threaded worker processes, started
  before the scoring call; ``ours:screen`` is ``ours`` scored with
  ``predict_proba_sparse(threshold=0, screen=SCREEN)``: only the candidate
  pairs of each variable's :data:`SCREEN` strongest partners go through the
  network, and the scorer returns them as a ``scipy.sparse`` matrix (a pair
  left out scores 0);
- ``abs-corr``: ``|correlation|``
  (:func:`skdyncausal.causal.correlation_scores`; no prior);
- ``abs-pcorr``: ``|partial correlation|`` from the Ledoit–Wolf precision of
  the standardised data (:func:`skdyncausal.causal.partial_correlation_scores`;
  no prior); ``PartialCorr`` is the same method (the label of
  ``causal_scale.py``);
- ``MRCL``: :func:`skdyncausal.causal.mrcl_scores` with the prior;
- the peers ``PC``, ``GES``, ``DirectLiNGAM`` and ``DAGMA``
  (:func:`pc`, :func:`ges`, :func:`direct_lingam`, :func:`dagma`; causal-learn
  and dagma, ``pip install -e ".[benchmarks]"``), every row passed as i.i.d.
  samples; how each uses the prior and how its output becomes scores is
  below and in their docstrings.

The keyword arguments of :func:`get_scorer` set the budget and the setting;
a method ignores those that it does not use.

``causal_quality.py`` and ``causal_scale.py`` take all their methods from
here, ``causal_profile.py`` its ``|pcorr|`` reference (it profiles the
estimator itself).

Peers
-----

The published causal-discovery methods ("peers") share one calling
convention: every peer is a function

    scores = peer(X, prior, interventions=None, *, random_state=0,
                  time_budget=None, labels="direct", rows="all")

that returns a ``(p, p)`` float array with ``scores[i, j]`` larger when the
edge ``i → j`` is more likely (row = cause, the convention of
:mod:`skdyncausal.metrics`) and a zero diagonal.

Arguments
---------
X : array of shape (n_rows, p)
    Data; observational rows and knock-out rows together.
prior : array of shape (p, p) or None
    Partial prior: 1 = known edge, 0 = known absence, NaN = unknown.
interventions : array of shape (n_rows,) or None
    ``-1`` for observational rows, else the knocked-out column. None means
    all rows are observational.
random_state : int
    Seed, passed on where the method is randomised.
time_budget : float or None
    Seconds. None runs the method in this process. A number runs it in a
    fresh ``spawn`` child process that is killed when the budget runs out;
    :class:`PeerTimeout` is then raised. The child's start-up (a few
    seconds of imports, the parent's main module included) counts against
    the budget.
labels : {"direct", "ancestral"}
    What the prior's labels mean. ``"direct"`` (the prior of
    ``make_prior(adjacency)``): 1 = direct edge ``i → j``, 0 = no direct
    edge. ``"ancestral"`` (the prior of ``make_prior(ancestral)`` or
    ``prior_from_interventions``): 1 = a directed path ``i ⇝ j``, 0 = none.
rows : {"all", "observational"}
    Rows passed to the method. Default ``"all"``: none of the peers models
    interventions, and a knock-out of ``k`` only breaks the structural
    equation of ``k`` itself (its ``intervention_samples`` rows), while the
    shifted level of ``k`` is informative about the edges out of ``k``; so
    every peer sees every row, as i.i.d. samples. ``"observational"`` keeps
    only the rows with ``interventions == -1``.

How each method uses the prior, and how its output is turned into scores, is
documented in the peer's docstring. In short, a prior pair is turned into
"required" and "forbidden" directed edges:

- ``labels="direct"``: 1 at ``(i, j)`` requires ``i → j`` and forbids
  ``j → i`` (acyclicity); 0 forbids ``i → j``.
- ``labels="ancestral"``: 1 at ``(i, j)`` forbids ``j → i`` (a path ``i ⇝ j``
  rules out the edge ``j → i`` in a DAG) but requires nothing (a path is not
  an edge); 0 forbids ``i → j``.

Contradictory pairs (e.g. 1 in both directions) are dropped, and so are
DirectLiNGAM's order constraints that lie on a cycle (which it cannot run
with); :func:`prior_adjustment` says what was dropped for a given prior, for
benchmarks to record next to the run. Scores at the prior's own pairs are
whatever the method outputs; benchmarks evaluate on the unlabelled pairs only.

Failures: a missing package leaves the peer out of :func:`available_peers`
(its reason is in :func:`unavailable_peers`); a solver failure raises
:class:`PeerError`, a peer that declines the problem (e.g. GES above
:data:`GES_MAX_P` variables) raises :class:`PeerSkipped`, and a run over
``time_budget`` raises :class:`PeerTimeout`, both subclasses of
:class:`PeerError`, which benchmarks catch and report.

Installation: ``pip install -e ".[benchmarks]"`` brings causal-learn (PC,
GES and its DirectLiNGAM port) and dagma. The ``lingam`` package is not in
the extra: lingam 1.13 pins ``scipy<=1.13.1`` (which forces ``numpy<2.3``),
and older releases need pygam, whose releases cap ``scipy<1.17``; either
would downgrade numpy/scipy in an existing environment. It is used when
installed separately.

The optional packages are imported only when a peer runs or its
availability is asked for (:func:`peer_status`), so importing this module
costs numpy alone; the scale benchmark relies on that to measure the memory
of each method in a fresh process.

Run ``python -m benchmarks.peers`` (from the repository root) for a
self-check of the peers on a small simulated problem.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import multiprocessing
import time
import warnings

import numpy as np

__all__ = [
    "ARCHITECTURES",
    "GES_MAX_P",
    "METHODS",
    "PEERS",
    "PEER_NAMES",
    "STATISTIC_ABLATIONS",
    "PeerError",
    "PeerSkipped",
    "PeerTimeout",
    "available_peers",
    "dagma",
    "direct_lingam",
    "ges",
    "get_scorer",
    "pc",
    "peer_notes",
    "peer_status",
    "prior_adjustment",
    "unavailable_peers",
]

#: GES (causal-learn) is pure Python and slows down steeply with p; above this
#: many variables :func:`ges` raises :class:`PeerSkipped` instead of running.
GES_MAX_P = 300
#: Significance level of PC's Fisher-z tests.
PC_ALPHA = 0.05
#: L1 penalty of DAGMA (its default is 0.03).
DAGMA_LAMBDA1 = 0.02


class PeerError(RuntimeError):
    """A peer could not produce scores; the message says why."""


class PeerSkipped(PeerError):
    """A peer declined the problem (e.g. too many variables for it)."""


class PeerTimeout(PeerError):
    """A peer did not finish within its time budget."""


# ---------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------


def _check_inputs(X, prior, interventions, labels, rows):
    """Validate the uniform arguments; return (X used, prior, p)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2 or X.shape[0] < 3:
        raise ValueError(
            f"X must be a (n_rows, p) array with p >= 2 and n_rows >= 3, got shape "
            f"{X.shape}."
        )
    if not np.isfinite(X).all():
        raise ValueError("X must be finite; remove or impute NaN/inf first.")
    n, p = X.shape
    if prior is None:
        prior = np.full((p, p), np.nan)
    prior = np.array(prior, dtype=float)
    if prior.shape != (p, p):
        raise ValueError(f"prior must have shape {(p, p)}, got {prior.shape}.")
    known = ~np.isnan(prior)
    if not np.isin(prior[known], (0.0, 1.0)).all():
        raise ValueError("prior must hold 0, 1 or NaN only.")
    np.fill_diagonal(prior, np.nan)
    if labels not in ("direct", "ancestral"):
        raise ValueError(f"labels must be 'direct' or 'ancestral', got {labels!r}.")
    if rows not in ("all", "observational"):
        raise ValueError(f"rows must be 'all' or 'observational', got {rows!r}.")
    if interventions is not None:
        interventions = np.asarray(interventions)
        if interventions.shape != (n,):
            raise ValueError(
                f"interventions must have shape ({n},), got {interventions.shape}."
            )
        if rows == "observational":
            X = X[interventions == -1]
            if X.shape[0] < 3:
                raise ValueError(
                    "fewer than 3 observational rows (interventions == -1)."
                )
    return np.ascontiguousarray(X), prior, p


def _constraints(prior, labels):
    """Required and forbidden directed edges implied by the prior.

    Returns two boolean (p, p) matrices, ``required[i, j]`` / ``forbidden[i,
    j]`` for the edge ``i → j``, with contradictions removed.
    """
    ones = prior == 1
    zeros = prior == 0
    # A 1 in both directions is contradictory under both readings (2-cycle).
    ones &= ~ones.T
    forbidden = zeros | ones.T
    required = ones.copy() if labels == "direct" else np.zeros_like(ones)
    conflict = required & forbidden
    required &= ~conflict
    forbidden &= ~conflict
    np.fill_diagonal(required, False)
    np.fill_diagonal(forbidden, False)
    return required, forbidden


def _cpdag_scores(graph):
    """Scores from a causal-learn graph matrix (CPDAG or PAG-like).

    causal-learn encodes ``i → j`` as ``graph[j, i] == 1`` and ``graph[i, j]
    == -1``; ``i — j`` as ``-1`` both ways and ``i ↔ j`` as ``1`` both ways.
    Directed edges score 1, undirected and bidirected ones 0.5 each way,
    absent pairs 0.
    """
    G = np.asarray(graph)
    scores = np.zeros(G.shape, dtype=float)
    scores[(G == -1) & (G.T == 1)] = 1.0
    both = ((G == -1) & (G.T == -1)) | ((G == 1) & (G.T == 1))
    scores[both] = 0.5
    np.fill_diagonal(scores, 0.0)
    return scores


# ---------------------------------------------------------------------------
# Running under a time budget
# ---------------------------------------------------------------------------


def _child_main(conn, func, args, kwargs):
    try:
        result = func(*args, **kwargs)
    except BaseException as exc:  # report anything to the parent
        conn.send(("error", type(exc).__name__, str(exc)))
    else:
        conn.send(("ok", result, None))
    finally:
        conn.close()


_ERRORS = {"PeerSkipped": PeerSkipped, "PeerTimeout": PeerTimeout}


def _call(name, func, X, prior, *, time_budget, **kwargs):
    """Run ``func(X, prior, **kwargs)`` here or in a child process."""
    if time_budget is None:
        return func(X, prior, **kwargs)
    if not time_budget > 0:
        raise ValueError(f"time_budget must be positive seconds, got {time_budget!r}.")
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child_main, args=(sender, func, (X, prior), kwargs), daemon=True
    )
    proc.start()
    sender.close()
    try:
        if not receiver.poll(time_budget):
            raise PeerTimeout(f"{name} did not finish within {time_budget:g} s")
        try:
            status, payload, message = receiver.recv()
        except EOFError:
            proc.join(5)
            raise PeerError(
                f"{name} worker process died (exit code {proc.exitcode})"
            ) from None
    finally:
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        receiver.close()
    if status == "ok":
        return payload
    raise _ERRORS.get(payload, PeerError)(f"{name}: {payload}: {message}")


def _wrap_failure(name, exc):
    if isinstance(exc, PeerError):
        return exc
    return PeerError(f"{name} failed: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------
# PC (causal-learn)
# ---------------------------------------------------------------------------


def _pc_scores(X, prior, *, labels, random_state):
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.search.ConstraintBased.PC import pc as cl_pc
    from causallearn.utils.cit import fisherz
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    p = X.shape[1]
    names = [f"X{i + 1}" for i in range(p)]
    nodes = [GraphNode(name) for name in names]
    required, forbidden = _constraints(prior, labels)
    bk = None
    if required.any() or forbidden.any():
        bk = BackgroundKnowledge()
        for i, j in zip(*np.nonzero(required)):
            bk.add_required_by_node(nodes[i], nodes[j])
        for i, j in zip(*np.nonzero(forbidden)):
            bk.add_forbidden_by_node(nodes[i], nodes[j])
        # BackgroundKnowledge scans its rule sets linearly on every query;
        # with ~10 % of p^2 pairs known that dominates PC's run time. Only
        # node rules are used here, so set membership gives the same answers.
        req_set, forb_set = bk.required_rules_specs, bk.forbidden_rules_specs
        bk.is_required = lambda a, b: (a, b) in req_set
        bk.is_forbidden = lambda a, b: (a, b) in forb_set
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cg = cl_pc(
                X,
                PC_ALPHA,
                fisherz,
                stable=True,
                background_knowledge=bk,
                show_progress=False,
                node_names=names,
            )
        except Exception as exc:
            raise _wrap_failure("PC", exc) from exc
    return _cpdag_scores(cg.G.graph)


def pc(
    X,
    prior,
    interventions=None,
    *,
    random_state=0,
    time_budget=None,
    labels="direct",
    rows="all",
):
    """PC algorithm (causal-learn), Fisher-z tests at ``alpha = 0.05``.

    Prior: passed as causal-learn ``BackgroundKnowledge`` — required edges
    ``i → j`` for prior 1s (``labels="direct"`` only) and forbidden edges (see
    the module docstring). causal-learn removes a skeleton edge only when
    both directions are forbidden, orients an undirected edge away from a
    forbidden or towards a required direction, and respects the knowledge in
    the collider and Meek rules; a required edge that the independence tests
    removed is not added back.

    Scores: the output is a CPDAG. A directed edge ``i → j`` scores 1 at
    ``(i, j)`` and 0 at ``(j, i)``; an undirected edge ``i — j`` (or a
    bidirected one from conflicting colliders) scores 0.5 both ways; no edge
    scores 0. The scores take three values only, so ROC and PR curves have
    few points.
    """
    X, prior, _ = _check_inputs(X, prior, interventions, labels, rows)
    return _call(
        "PC",
        _pc_scores,
        X,
        prior,
        time_budget=time_budget,
        labels=labels,
        random_state=random_state,
    )


# ---------------------------------------------------------------------------
# GES (causal-learn)
# ---------------------------------------------------------------------------


def _ges_scores(X, prior, *, labels, random_state):
    from causallearn.search.ScoreBased.GES import ges as cl_ges

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            record = cl_ges(X, score_func="local_score_BIC")
        except Exception as exc:
            raise _wrap_failure("GES", exc) from exc
    return _cpdag_scores(record["G"].graph)


def ges(
    X,
    prior,
    interventions=None,
    *,
    random_state=0,
    time_budget=None,
    labels="direct",
    rows="all",
):
    """Greedy equivalence search (causal-learn), BIC score.

    Prior: not used. causal-learn's ``ges`` takes no background knowledge
    (its arguments are the data, score function, ``maxP``, score parameters,
    node names, or a covariance matrix), so GES runs without the prior.

    Scores: same CPDAG scoring as :func:`pc` (directed 1, undirected 0.5 each
    way, absent 0).

    GES is pure Python and slows down steeply with ``p``: above
    :data:`GES_MAX_P` variables it raises :class:`PeerSkipped`; within that,
    use ``time_budget`` (or an outer process timeout) to bound a run.
    """
    X, prior, p = _check_inputs(X, prior, interventions, labels, rows)
    if p > GES_MAX_P:
        raise PeerSkipped(
            f"GES skipped: p = {p} > GES_MAX_P = {GES_MAX_P} (it does not finish "
            "within a usable budget at this size)"
        )
    return _call(
        "GES",
        _ges_scores,
        X,
        prior,
        time_budget=time_budget,
        labels=labels,
        random_state=random_state,
    )


# ---------------------------------------------------------------------------
# DirectLiNGAM (lingam, or the copy shipped with causal-learn)
# ---------------------------------------------------------------------------


def _lingam_class():
    """DirectLiNGAM class and its source, preferring the ``lingam`` package."""
    try:
        from lingam import DirectLiNGAM

        return DirectLiNGAM, "lingam"
    except Exception:
        from causallearn.search.FCMBased.lingam import DirectLiNGAM

        return DirectLiNGAM, "causal-learn"


def _lingam_orders(pk):
    """The causal-order constraints lingam derives from ``pk``.

    Mirrors ``DirectLiNGAM._extract_partial_orders`` (lingam and its
    causal-learn port): ``pk[j, i] = 1`` (path ``i ⇝ j``) puts ``i`` before
    ``j``; ``pk[j, i] = 0`` (no path ``i ⇝ j``) puts ``j`` before ``i``
    unless ``pk[i, j] = 0`` too (two "no path" entries cancel). Returns the
    boolean matrix ``before[a, b]`` (``a`` must precede ``b``) and the ``pk``
    cell that each constraint comes from, as ``cell[a, b] = (row, col)``
    packed into two integer arrays.
    """
    p = pk.shape[0]
    before = np.zeros((p, p), dtype=bool)
    rows = np.full((p, p), -1)
    cols = np.full((p, p), -1)
    path = pk == 1
    np.fill_diagonal(path, False)
    # path[j, i]: i precedes j
    i_idx, j_idx = np.nonzero(path.T)
    before[i_idx, j_idx] = True
    rows[i_idx, j_idx], cols[i_idx, j_idx] = j_idx, i_idx
    no_path = pk == 0
    np.fill_diagonal(no_path, False)
    no_path &= ~no_path.T  # both ways: cancelled, no order
    # no_path[j, i]: j precedes i
    j_idx, i_idx = np.nonzero(no_path)
    new = ~before[j_idx, i_idx]
    j_idx, i_idx = j_idx[new], i_idx[new]
    before[j_idx, i_idx] = True
    rows[j_idx, i_idx], cols[j_idx, i_idx] = j_idx, i_idx
    return before, rows, cols


def _on_cycles(before):
    """Boolean mask of the constraints ``a → b`` that lie on a directed cycle.

    An edge lies on a cycle exactly when both ends are in the same strongly
    connected component.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, comp = connected_components(csr_matrix(before), connection="strong")
    return before & (comp[:, None] == comp[None, :])


def _lingam_prior(prior, labels):
    """Our prior as a lingam ``prior_knowledge`` matrix (or None), and a note.

    lingam indexes ``pk[to, from]``: ``pk[j, i] = 1`` means a directed path
    ``i ⇝ j``, ``0`` means no such path, ``-1`` unknown. So our ``(i, j)``
    goes to ``pk[j, i]``. Our 1s are paths under both readings (an edge is a
    path). Our 0s are "no path" only for ``labels="ancestral"``; a direct 0
    says nothing about paths, and lingam would also turn it into an ordering
    constraint, so direct 0s are not passed.

    Applied hard, the knowledge restricts every step of DirectLiNGAM's
    causal-order search to the variables with no unplaced predecessor in the
    order constraints of :func:`_lingam_orders`. If those constraints have a
    directed cycle, some step has no admissible variable and lingam fails
    ("argmax of an empty sequence"); acyclic constraints always leave one.
    Cycles arise from "no path" entries: lingam reads a lone ``0`` at "no
    path ``i ⇝ j``" as "``j`` before ``i``", which is true of *some*
    causal order of the true graph for each pair on its own but not of one
    order for all pairs together (three unrelated variables labelled 0 in
    a ring already conflict). Paths (1s) of a true graph never form a cycle.

    So every constraint on a cycle is dropped, the "no path" ones first
    (their cell of ``pk`` is set back to ``-1``); if the paths alone still
    form cycles (a prior with errors), the paths on cycles are dropped too.
    What remains is acyclic. The note says what was dropped ("" when
    nothing was); ``pk`` is None when nothing usable is left.
    """
    p = prior.shape[0]
    ones = prior == 1
    both = ones & ones.T  # paths both ways would be a cycle: drop
    ones &= ~both
    pk = -np.ones((p, p))
    pk[ones.T] = 1.0
    if labels == "ancestral":
        pk[(prior == 0).T] = 0.0
    np.fill_diagonal(pk, -1.0)
    notes = []
    if both.any():
        notes.append(f"{int(both.sum()) // 2} pairs labelled 1 both ways dropped")
    n_before = int(_lingam_orders(pk)[0].sum())
    dropped = {0.0: 0, 1.0: 0}
    while True:
        before, rows, cols = _lingam_orders(pk)
        cyc = _on_cycles(before)
        if not cyc.any():
            break
        cells = rows[cyc], cols[cyc]
        # "no path" constraints on cycles first; paths only if none is left.
        kind = 0.0 if (pk[cells] == 0).any() else 1.0
        hit = pk[cells] == kind
        dropped[kind] += int(hit.sum())
        pk[cells[0][hit], cells[1][hit]] = -1.0
    if dropped[0.0] or dropped[1.0]:
        parts = [
            f"{count} {what}"
            for count, what in (
                (dropped[0.0], "'no path'"),
                (dropped[1.0], "'path'"),
            )
            if count
        ]
        notes.append(
            f"{' and '.join(parts)} of {n_before} order constraints dropped (on cycles)"
        )
    if not (pk >= 0).any():
        if notes:
            notes.append("no usable prior left: run without prior")
        return None, "; ".join(notes)
    return pk, "; ".join(notes)


def prior_adjustment(name, prior, labels="direct"):
    """What a peer drops from ``prior`` before running, as a short note.

    ``""`` when the peer uses the prior as :func:`pc`, :func:`ges`,
    :func:`direct_lingam` and :func:`dagma` document it. For DirectLiNGAM,
    the order constraints on cycles that :func:`_lingam_prior` removes
    (``"prior reduced: ..."``) or, when nothing is left, ``"prior dropped:
    ..."``. Deterministic and cheap: benchmarks call it next to the peer to
    record the note with the run.

    Examples
    --------
    >>> import numpy as np
    >>> prior = np.full((3, 3), np.nan)
    >>> prior[0, 1] = prior[1, 2] = prior[2, 0] = 0.0  # "no path" in a ring
    >>> note = prior_adjustment("DirectLiNGAM", prior, labels="ancestral")
    >>> note.startswith("prior dropped: 3 'no path' of 3 order constraints")
    True
    >>> prior_adjustment("DirectLiNGAM", prior, labels="direct")  # 0s not passed
    ''
    >>> prior_adjustment("PC", prior, labels="ancestral")
    ''
    """
    if name != "DirectLiNGAM" or prior is None:
        return ""
    prior = np.array(prior, dtype=float)
    np.fill_diagonal(prior, np.nan)
    pk, note = _lingam_prior(prior, labels)
    if not note:
        return ""
    return f"prior {'dropped' if pk is None else 'reduced'}: {note}"


def _lingam_scores(X, prior, *, labels, random_state):
    DirectLiNGAM, _ = _lingam_class()
    pk, _ = _lingam_prior(prior, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = DirectLiNGAM(random_state=random_state, prior_knowledge=pk)
            model.fit(X)
        except Exception as exc:
            raise _wrap_failure("DirectLiNGAM", exc) from exc
    B = np.asarray(model.adjacency_matrix_, dtype=float)
    # lingam: B[i, j] != 0 means j → i; ours is row = cause.
    scores = np.abs(B).T
    np.fill_diagonal(scores, 0.0)
    return scores


def direct_lingam(
    X,
    prior,
    interventions=None,
    *,
    random_state=0,
    time_budget=None,
    labels="direct",
    rows="all",
):
    """DirectLiNGAM (pairwise likelihood-ratio measure), hard prior.

    Uses ``lingam.DirectLiNGAM`` when the ``lingam`` package imports,
    otherwise the port of it that causal-learn ships
    (``causallearn.search.FCMBased.lingam.DirectLiNGAM``: same algorithm,
    same ``prior_knowledge`` convention); :func:`peer_notes` says which.

    Prior: lingam's ``prior_knowledge`` is indexed ``[to, from]`` (the
    transpose of ours) and speaks of directed paths: 1 = path, 0 = no path,
    -1 = unknown. Our 1s become paths (``pk[j, i] = 1``). Our 0s are passed
    as "no path" only for ``labels="ancestral"``: with direct labels a 0 is
    only "no direct edge", which does not rule out a path, so lingam would
    be given a false ordering constraint. lingam applies the knowledge
    hard: it constrains the causal order and drops "no path" parents from
    the adaptive-lasso regressions. lingam turns the matrix into causal-order
    constraints (a lone "no path ``i ⇝ j``" into "``j`` before ``i``"); when
    those have a directed cycle, as ancestral 0s often do, its order search
    runs out of candidates ("argmax of an empty sequence"). The constraints
    on cycles are therefore dropped first ("no path" ones before paths; see
    :func:`_lingam_prior`), which always leaves an acyclic set, and the run
    goes on with what is left, or without prior when nothing is;
    :func:`prior_adjustment` gives the note to record with the run.

    Scores: ``|B|`` transposed, where ``B = adjacency_matrix_`` and
    ``B[i, j] != 0`` means ``j → i`` in lingam; adaptive lasso (BIC) sets
    many entries to exactly 0.
    """
    X, prior, _ = _check_inputs(X, prior, interventions, labels, rows)
    return _call(
        "DirectLiNGAM",
        _lingam_scores,
        X,
        prior,
        time_budget=time_budget,
        labels=labels,
        random_state=random_state,
    )


# ---------------------------------------------------------------------------
# DAGMA (linear)
# ---------------------------------------------------------------------------


def _edge_tuple(mask):
    edges = tuple((int(i), int(j)) for i, j in zip(*np.nonzero(mask)))
    return edges or None


def _dagma_scores(X, prior, *, labels, random_state):
    # DAGMA starts from W = 0 and is deterministic: random_state is unused.
    from dagma.linear import DagmaLinear

    required, forbidden = _constraints(prior, labels)
    # DAGMA prints a tqdm progress bar on stderr; keep the output quiet.
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = DagmaLinear(loss_type="l2")
            W = model.fit(
                X.copy(),  # fit() centres X in place
                lambda1=DAGMA_LAMBDA1,
                w_threshold=0.0,
                exclude_edges=_edge_tuple(forbidden),
                include_edges=_edge_tuple(required),
            )
        except Exception as exc:
            raise _wrap_failure("DAGMA", exc) from exc
    W = np.asarray(W, dtype=float)
    if not np.isfinite(W).all():
        raise PeerError("DAGMA failed: non-finite weights")
    scores = np.abs(W)
    np.fill_diagonal(scores, 0.0)
    return scores


def dagma(
    X,
    prior,
    interventions=None,
    *,
    random_state=0,
    time_budget=None,
    labels="direct",
    rows="all",
):
    """DAGMA, linear least-squares loss, ``lambda1 = 0.02``.

    Prior: ``DagmaLinear.fit`` takes ``exclude_edges`` and ``include_edges``
    (tuples of ``(i, j)`` for ``i → j``). Forbidden edges are excluded (their
    weight is held at 0); required edges are included, which in DAGMA only
    exempts them from the L1 penalty and does not force them into the
    solution (documented by DAGMA).

    Scores: ``|W|`` with ``W[i, j] != 0`` meaning ``i → j``, fitted with
    ``w_threshold=0`` so that small weights keep their rank instead of being
    cut to 0 at DAGMA's default threshold of 0.3.
    """
    X, prior, _ = _check_inputs(X, prior, interventions, labels, rows)
    return _call(
        "DAGMA",
        _dagma_scores,
        X,
        prior,
        time_budget=time_budget,
        labels=labels,
        random_state=random_state,
    )


# ---------------------------------------------------------------------------
# Registry and availability
# ---------------------------------------------------------------------------

#: Every peer adapter, available or not.
PEERS = {"PC": pc, "GES": ges, "DirectLiNGAM": direct_lingam, "DAGMA": dagma}
#: The peers, in the order of the tables.
PEER_NAMES = tuple(PEERS)

_REQUIREMENTS = {
    "PC": ["causallearn.search.ConstraintBased.PC"],
    "GES": ["causallearn.search.ScoreBased.GES"],
    "DirectLiNGAM": [],  # checked through _lingam_class
    "DAGMA": ["dagma.linear"],
}
_INSTALL_HINT = 'install the benchmark extra: pip install -e ".[benchmarks]"'


@functools.cache
def peer_status(name):
    """``(available, note)`` for the peer ``name``; imports its packages once.

    ``note`` is the reason when the peer is unavailable, else extra information
    (which package provides DirectLiNGAM) or ``""``. Only the packages of
    ``name`` are imported.
    """
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for module in _REQUIREMENTS[name]:
                importlib.import_module(module)
            if name == "DirectLiNGAM":
                return True, f"DirectLiNGAM from {_lingam_class()[1]}"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc} ({_INSTALL_HINT})"
    return True, ""


def available_peers(verbose=True):
    """Available peers (name -> function); print why the others are skipped."""
    if verbose:
        for name, reason in unavailable_peers().items():
            print(f"peer {name} skipped: {reason}")
    return {name: PEERS[name] for name in PEERS if peer_status(name)[0]}


def unavailable_peers():
    """Peers whose packages do not import, as a dict name -> reason."""
    return {name: peer_status(name)[1] for name in PEERS if not peer_status(name)[0]}


def peer_notes():
    """Extra notes on the available peers, as a dict name -> note."""
    notes = {name: peer_status(name) for name in PEERS}
    return {name: note for name, (ok, note) in notes.items() if ok and note}


# ---------------------------------------------------------------------------
# Registry of the benchmark methods
# ---------------------------------------------------------------------------

#: Architectures of ours, as in the method names ``ours:<architecture>``.
ARCHITECTURES = ("full", "no_image", "image", "graph")


#: Ablations of the pair statistics: ours (full) without one kind of evidence.
STATISTIC_ABLATIONS = {
    "ours:no_ci": "ConditionalIndependence",
    "ours:no_order": "OrderedRegression",
}


def _ours(architecture, without=None):
    def make(*, random_state, labels, max_epochs, **_):
        # Imported here, outside the timed scoring call.
        from skdyncausal.causal import DEFAULT_STATISTICS, CausalStructureEstimator

        params = dict(
            labels=labels, architecture=architecture, random_state=random_state
        )
        if max_epochs is not None:
            params["max_epochs"] = max_epochs
        if without is not None:
            params["statistics"] = [
                s for s in DEFAULT_STATISTICS if type(s).__name__ != without
            ]

        def scorer(X, prior, interventions):
            est = CausalStructureEstimator(**params)
            est.fit(X, prior=prior, interventions=interventions)
            return est.predict_proba()

        return scorer

    return make


#: Candidate partners per variable of ``ours:screen`` (the user guide's value).
SCREEN = 50


def _ours_screen(*, random_state, labels, max_epochs, **_):
    """Ours with the sparse output of the screened candidate pairs: only each
    variable's strongest partners go through the network, and every scored
    pair is returned (``threshold=0``) as a scipy sparse matrix."""
    from skdyncausal.causal import CausalStructureEstimator

    params = dict(labels=labels, random_state=random_state)
    if max_epochs is not None:
        params["max_epochs"] = max_epochs

    def scorer(X, prior, interventions):
        est = CausalStructureEstimator(**params)
        est.fit(X, prior=prior, interventions=interventions)
        return est.predict_proba_sparse(threshold=0.0, screen=SCREEN)

    return scorer


def _ours_dask(*, random_state, labels, max_epochs, **_):
    """Ours with its pair-feature blocks on a local Dask cluster (two worker
    processes, one thread each) through joblib's Dask backend: the recipe of
    the user guide for a real cluster, on one machine."""
    import joblib
    from distributed import Client, LocalCluster

    from skdyncausal.causal import CausalStructureEstimator

    # Started here, outside the timed call; it lives as long as this process.
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    params = dict(labels=labels, random_state=random_state, n_jobs=2)
    if max_epochs is not None:
        params["max_epochs"] = max_epochs

    def scorer(X, prior, interventions):
        with joblib.parallel_config(backend="dask"):
            est = CausalStructureEstimator(**params)
            est.fit(X, prior=prior, interventions=interventions)
            return est.predict_proba()

    scorer.client = client  # keeps the cluster alive with the scorer
    return scorer


def _abs_corr(**_):
    from skdyncausal.causal import correlation_scores

    return lambda X, prior, interventions: correlation_scores(X)


def _abs_pcorr(**_):
    from skdyncausal.causal import partial_correlation_scores

    return lambda X, prior, interventions: partial_correlation_scores(X)


def _mrcl(*, random_state, **_):
    from skdyncausal.causal import mrcl_scores

    return lambda X, prior, interventions: mrcl_scores(
        X, prior, random_state=random_state
    )


def _peer(name):
    def make(*, random_state, labels, time_budget, **_):
        available, note = peer_status(name)
        if not available:
            raise ImportError(note)
        peer = PEERS[name]
        return lambda X, prior, interventions: peer(
            X,
            prior,
            interventions,
            random_state=random_state,
            time_budget=time_budget,
            labels=labels,
        )

    return make


#: Method name -> ``make(random_state=, labels=, max_epochs=, time_budget=)``
#: returning the scorer. ``ours`` and ``ours:full``, ``abs-pcorr`` and
#: ``PartialCorr`` are the same method under the labels of different tables.
_FACTORIES = {
    **{f"ours:{arch}": _ours(arch) for arch in ARCHITECTURES},
    **{name: _ours("full", stat) for name, stat in STATISTIC_ABLATIONS.items()},
    "ours": _ours("full"),
    "ours:dask": _ours_dask,
    "ours:screen": _ours_screen,
    "abs-corr": _abs_corr,
    "abs-pcorr": _abs_pcorr,
    "PartialCorr": _abs_pcorr,
    "MRCL": _mrcl,
    **{name: _peer(name) for name in PEER_NAMES},
}
#: Every method name that :func:`get_scorer` knows.
METHODS = tuple(_FACTORIES)


def get_scorer(
    name, *, random_state=0, labels="direct", max_epochs=None, time_budget=None
):
    """The scorer of method ``name``: ``scorer(X, prior, interventions)``.

    Parameters
    ----------
    name : str
        One of :data:`METHODS` (see the module docstring).
    random_state : int
        Seed of ours, MRCL and the randomised peers.
    labels : {"direct", "ancestral"}
        What the prior's labels mean, for ours and the peers.
    max_epochs : int or None
        ``max_epochs`` of ours; None keeps the estimator's default.
    time_budget : float or None
        Seconds per peer call, in a child process that is killed when they run
        out (:class:`PeerTimeout`); None runs the peer in this process.

    Returns
    -------
    scorer : callable
        ``scorer(X, prior, interventions)`` returning a ``(p, p)`` array, row =
        cause. The packages a method needs are imported here, not in the call,
        so that timing the call times the method only. A peer raises
        :class:`PeerError` (or a subclass) when it produces no scores.

    Raises
    ------
    ValueError
        For an unknown name.
    ImportError
        For a peer whose packages do not import (the message says why).
    """
    try:
        make = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown method {name!r}; known: {', '.join(METHODS)}"
        ) from None
    return make(
        random_state=random_state,
        labels=labels,
        max_epochs=max_epochs,
        time_budget=time_budget,
    )


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------


def _self_check():
    from skdyncausal.datasets import make_prior, make_sem
    from skdyncausal.metrics import (
        edge_average_precision,
        edge_orientation_accuracy,
        edge_roc_auc,
    )

    data = make_sem(
        n_samples=300,
        n_variables=10,
        noise="laplace",
        n_interventions=5,
        random_state=0,
    )
    prior = make_prior(data.adjacency, fraction=0.3, random_state=0)
    mask = np.isnan(prior)
    truth = data.adjacency
    print(
        f"make_sem(300, 10, noise='laplace', n_interventions=5, random_state=0): "
        f"X {data.X.shape}, {int(truth.sum())} edges; prior: 30 % of pairs "
        f"({int((~mask).sum())} known), evaluated on the "
        f"{int(mask.sum() - truth.shape[0])} unlabelled pairs"
    )
    for name, note in peer_notes().items():
        print(f"  {name}: {note}")
    header = f"{'peer':<14}{'AUROC':>8}{'AUPRC':>8}{'orient':>8}{'time s':>9}"
    print(header)
    print("-" * len(header))
    for name in available_peers():
        scorer = get_scorer(name, random_state=0)
        start = time.perf_counter()
        try:
            scores = scorer(data.X, prior, data.interventions)
        except PeerError as exc:
            print(f"{name:<14}{'failed: ' + str(exc)}")
            continue
        elapsed = time.perf_counter() - start
        assert scores.shape == truth.shape and np.all(np.diag(scores) == 0)
        row = []
        for metric in (edge_roc_auc, edge_average_precision, edge_orientation_accuracy):
            try:
                row.append(f"{metric(truth, scores, mask=mask):8.3f}")
            except ValueError:
                row.append(f"{'n/a':>8}")
        print(f"{name:<14}{''.join(row)}{elapsed:9.2f}")


if __name__ == "__main__":
    _self_check()
