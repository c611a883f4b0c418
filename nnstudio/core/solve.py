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
with an SVD solver (``numpy.linalg.lstsq``). The answer is the same ``theta``.

When ``X`` is rank-deficient and ``l2 = 0`` (duplicate or constant features, fewer samples
than parameters) the normal equation has infinitely many solutions. We return the one
with the smallest norm ``|theta|`` (what ``lstsq`` gives) and say so with a
:class:`SolveWarning`; :func:`solve_details` lists the note. Adding any ``l2 > 0`` makes
the solution unique.
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
        y = Y[:, k]
        p = A.shape[1]
        if l2 > 0:
            penalty = np.sqrt(2.0 * l2) * np.eye(p)[:-1]           # I0 without its bias row
            A_aug = np.vstack([A, penalty])
            y_aug = np.concatenate([y, np.zeros(p - 1)])
            theta, _, rank, _ = np.linalg.lstsq(A_aug, y_aug, rcond=None)
            rank = int(np.linalg.matrix_rank(A))
        else:
            theta, _, rank, _ = np.linalg.lstsq(A, y, rcond=None)
            rank = int(rank)
            if rank < p:
                label = net.neuron(out).label
                notes.append(f"{label}: the inputs connected to it are linearly dependent or too few samples "
                             f"(rank {rank} < {p} parameters), so the solution is not unique; "
                             "the one with the smallest weights was taken (add L2 to make it unique)")
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
