"""Closed-form solutions for linear networks (TOPICS.md sections 1 and 2).

A network with no hidden neurons, identity outputs and the mse loss is linear
regression: each output ``k`` is ``y_hat_k = sum_j W_jk x_j + b_k`` over the inputs
connected to it, and its cost ``1/(2m) sum (y_hat_k - y_k)^2 + (l2/m) sum W^2`` is
minimized, separately for each output, by the normal equation::

    theta = (X^T X + 2 l2 I0)^-1 X^T y            (l2 = 0: the plain normal equation)

where ``X`` holds the columns of the inputs connected to the output plus a column of ones,
``theta`` their weights followed by the bias, and ``I0`` is the identity with 0 for the
bias (the bias is never penalized). The ``2`` comes from the course's cost: the gradient
of ``(l2/m) W^2`` is ``(2 l2/m) W`` next to ``(1/m) X^T (X theta - y)``.

How it is computed: not by inverting ``X^T X`` (that squares the condition number and
loses half the digits on badly scaled features), but as the equivalent least-squares
problem ``min |X theta - y|^2 + 2 l2 |I0 theta|^2``, i.e. ``[X; sqrt(2 l2) I0] theta ~ [y; 0]``,
with an SVD. The answer is the same ``theta``.

Before the SVD every column of that (augmented) matrix is scaled to unit length, and ``y``
by its largest value (column equilibration): ``theta_j = phi_j * max|y| / |column_j|``.
This is an exact change of variables -- the penalty rows are scaled with their column, so
the ridge cost is unchanged -- but it makes the rank decision meaningful: without it,
features like ``x, ..., x^7`` on ``[0, 100]`` (columns from about 1 to 1e14) or a column
``[1e200, 2e200, 3]`` next to the column of ones lose real directions to the solver's
relative cut-off, and the "least-squares" answer then fits worse than a constant. Singular
values of the scaled matrix below ``max(rows, p) * eps * sigma_max`` (numpy's default
rank tolerance) count as zero. Values that are not finite, or a result that overflows,
raise :class:`NotSolvable` naming the feature.

When ``X`` is rank-deficient and ``l2 = 0`` (duplicate or constant features, fewer samples
than parameters) the normal equation has infinitely many solutions. We return the one
with the smallest norm ``|theta|`` (the pseudo-inverse's answer ``pinv(X) y``) and say so
with a :class:`SolveWarning`; :func:`solve_details` lists the note. Adding any ``l2 > 0``
makes the solution unique (if ``l2`` is so small next to the features that it vanishes in
rounding, the solution with the smallest weights ``|I0 theta|`` is taken, with a note).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from nnstudio.core.graph import Network


class NotSolvable(ValueError):
    """The network has no closed-form solution; the message says why and what to do."""


class SolveWarning(UserWarning):
    """The closed form is not unique: the minimum-norm solution was returned."""


@dataclass(frozen=True)
class Solution:
    weights: dict
    biases: dict
    #: per output id: (rank of its design matrix, number of parameters)
    ranks: dict
    notes: tuple[str, ...]


def _check_solvable(net: Network, l1: float, l2: float) -> None:
    net.check()
    if l2 < 0 or l1 < 0:
        raise ValueError("regularization strengths must be >= 0")
    if net.loss != "mse":
        raise NotSolvable(f"the closed form is for the mse loss (linear regression); this network uses {net.loss}: "
                          "train it with gradient descent")
    hidden = net.hidden()
    if hidden:
        names = ", ".join(n.label for n in hidden)
        raise NotSolvable(f"the closed form is for networks without hidden neurons; this one has {names}: "
                          "train it with gradient descent")
    curved = [n for n in net.outputs() if n.activation != "identity"]
    if curved:
        names = ", ".join(f"{n.label} ({n.activation})" for n in curved)
        raise NotSolvable(f"the closed form needs identity (linear) outputs, not {names}")
    if l1 > 0:
        raise NotSolvable("L1 regularization has no closed form (|W| is not differentiable at 0): "
                          "set L1 to 0 or train with gradient descent")


def _min_norm(theta0: np.ndarray, M: np.ndarray, metric: np.ndarray) -> np.ndarray:
    """The point of ``theta0 + span(M)`` smallest in ``|metric * theta|`` (``metric`` is a
    0/1 vector: all ones for ``|theta|``, ``I0``'s diagonal for ``|W|``)."""
    big = np.max(np.abs(M), axis=0)
    big[big == 0] = 1.0
    Mn = M / big                                    # columns of M span the same space
    z, *_ = np.linalg.lstsq(Mn * metric[:, None], theta0 * metric, rcond=None)
    return theta0 - Mn @ z


def _fit(A: np.ndarray, y: np.ndarray, l2: float, labels: list[str], out_label: str):
    """Least-squares / ridge fit of ``A theta ~ y`` (last column of ``A`` the ones of the bias)
    on column-equilibrated data. Returns ``(theta, rank of A, rank of the solved system)``."""
    m, p = A.shape
    for j in range(p - 1):
        if not np.all(np.isfinite(A[:, j])):
            raise NotSolvable(f"the feature {labels[j]!r} has values that are infinite or not a number; "
                              "clean the data before solving")
    if not np.all(np.isfinite(y)):
        raise NotSolvable(f"the target of {out_label} has values that are infinite or not a number; "
                          "clean the data before solving")
    with np.errstate(all="ignore"):
        # 1. scale by max-abs: every entry in [-1, 1], nothing can overflow from here on
        amax = np.max(np.abs(A), axis=0, initial=0.0)
        amax[amax == 0] = 1.0
        A1 = A / amax
        ymax = float(np.max(np.abs(y), initial=0.0)) or 1.0
        y1 = y / ymax
        # 2. scale each column of the (augmented) matrix to unit length; the penalty entry of
        #    weight j is sqrt(2 l2) in theta units, sqrt(2 l2) / amax_j in A1 units
        norms = np.linalg.norm(A1, axis=0)
        if l2 > 0:
            pen = np.sqrt(2.0 * l2) / amax[:-1]                      # may be inf: see below
            h = norms.copy()
            h[:-1] = np.hypot(norms[:-1], pen)
        else:
            h = norms.copy()
        h[h == 0] = 1.0                                             # an all-zero column
        As = A1 / h                                                 # 0 where h is inf
        if l2 > 0:
            # pen / h computed so that pen = inf gives 1 (the penalty is all of the column)
            penalty_rows = np.zeros((p - 1, p))
            penalty_rows[np.arange(p - 1), np.arange(p - 1)] = 1.0 / np.hypot(norms[:-1] / pen, 1.0)
            B = np.vstack([As, penalty_rows])
            rhs = np.concatenate([y1, np.zeros(p - 1)])
        else:
            B, rhs = As, y1
        eps = np.finfo(np.float64).eps

        def svd(matrix, rhs):
            """Singular values, V^T, U^T rhs and the numerical rank of ``matrix``."""
            rows = matrix.shape[0]
            if rows < p:                                            # zero rows: same solutions,
                matrix = np.vstack([matrix, np.zeros((p - rows, p))])  # and a full p x p V
                rhs = np.concatenate([rhs, np.zeros(p - rows)])
            U, S, Vt = np.linalg.svd(matrix, full_matrices=False)
            tol = S[0] * max(rows, p) * eps
            return S, Vt, U.T @ rhs, int(np.sum(S > tol))

        try:
            S, Vt, Ut_rhs, rank = svd(B, rhs)
            if l2 == 0:
                rank_A = rank
            else:                                                   # rank of X alone, for the report
                SA = np.linalg.svd(As, compute_uv=False)
                rank_A = int(np.sum(SA > SA[0] * max(m, p) * eps)) if m else 0
        except np.linalg.LinAlgError as e:                          # pragma: no cover - finite input
            raise NotSolvable(f"{out_label}: the least-squares problem could not be solved ({e}); "
                              "standardize the inputs") from None
        phi = Vt[:rank].T @ (Ut_rhs[:rank] / S[:rank])
        # 3. back to theta: theta_j = phi_j / h_j * ymax / amax_j (this order cannot overflow
        #    before the last step, and then only if the weight itself is out of range)
        theta = (phi / h) * (ymax / amax)
        if rank < p:
            # theta0 + (null space of the scaled system, in theta units): all fit equally well;
            # take the smallest |theta| (plain) or |W| (ridge whose penalty vanished in rounding)
            null = Vt[rank:].T
            if rank > 0:
                # a parameter outside every dependency has a null-space row of rounding noise
                # (~ eps * cond); in theta units that noise would be amplified by the column
                # scales and swamp the real direction, so drop such rows
                noise = np.sqrt(p) * max(B.shape[0], p) * eps * S[0] / S[rank - 1]
                null = np.where(np.linalg.norm(null, axis=1, keepdims=True) > noise, null, 0.0)
            null = (null / h[:, None]) * (ymax / amax)[:, None]
            metric = np.ones(p)
            if l2 > 0:
                metric[-1] = 0.0
            null[~np.isfinite(null)] = 0.0
            if np.all(np.isfinite(theta)):
                theta = _min_norm(theta, null, metric)
    bad = [j for j in range(p) if not np.isfinite(theta[j])]
    if bad:
        what = "the bias" if bad[0] == p - 1 else f"the weight of {labels[bad[0]]!r}"
        raise NotSolvable(f"{out_label}: {what} is too large to represent (overflow); "
                          "the values are too large or too small: standardize the inputs "
                          "or rescale the data")
    return theta, rank_A, rank


def solve_details(net: Network, X, Y, l2: float = 0.0, l1: float = 0.0) -> Solution:
    """Solve every output's (ridge) normal equation; see the module docstring."""
    _check_solvable(net, l1, l2)
    inputs = [n.id for n in net.inputs()]
    outputs = [n.id for n in net.outputs()]
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if X.shape[1] != len(inputs) or Y.shape != (X.shape[0], len(outputs)):
        raise ValueError(f"X must be (m, {len(inputs)}) and Y (m, {len(outputs)}), "
                         f"got {X.shape} and {Y.shape}")
    m = X.shape[0]
    col = {nid: j for j, nid in enumerate(inputs)}
    weights, biases, ranks, notes = {}, {}, {}, []
    for k, out in enumerate(outputs):
        sources = [c.source for c in net.incoming(out)]
        A = np.column_stack([X[:, [col[s] for s in sources]], np.ones(m)])
        p = A.shape[1]
        label = net.neuron(out).label
        theta, rank, solved_rank = _fit(A, Y[:, k], l2, [net.neuron(s).label for s in sources], label)
        if l2 == 0 and rank < p:
            notes.append(f"{label}: the inputs connected to it are linearly dependent or too few samples "
                         f"(rank {rank} < {p} parameters), so the solution is not unique; "
                         "the one with the smallest weights was taken (add L2 to make it unique)")
        elif l2 > 0 and solved_rank < p:
            notes.append(f"{label}: the solution is not unique in floating point (L2 {l2:g} is negligible "
                         f"next to these features, or there are no samples; rank {rank} < {p} parameters); "
                         "the one with the smallest weights was taken (increase L2)")
        ranks[out] = (rank, p)
        for s, w in zip(sources, theta[:-1]):
            weights[(s, out)] = float(w)
        biases[out] = float(theta[-1])
    return Solution(weights, biases, ranks, tuple(notes))


def solve(net: Network, X, Y, l2: float = 0.0, l1: float = 0.0) -> tuple[dict, dict]:
    """``(weights, biases)`` minimizing the cost exactly, for ``Network.set_parameters``.

    Raises :class:`NotSolvable` for hidden neurons, non-identity outputs, a loss other than
    mse, or L1 > 0; warns with :class:`SolveWarning` when the minimum-norm solution is used.
    """
    sol = solve_details(net, X, Y, l2=l2, l1=l1)
    for note in sol.notes:
        warnings.warn(note, SolveWarning, stacklevel=2)
    return sol.weights, sol.biases
