"""Losses (data costs), each with its gradient right beside it.

``J`` is the mean over the ``m`` samples of the per-sample loss, summed over the K
outputs. Arrays are ``(K, m)``: one row per output neuron, one column per sample (the
engine's layout); every function here is elementwise or reduces over axis 0, so the
readable versions also accept any layout where that holds.

Each loss works on the output pre-activations ``z`` as well as the outputs ``a = g(z)``
where that is more accurate: ``log(sigmoid(z))`` and ``log(softmax(z))`` are computed
from ``z`` directly, so the cost stays finite and exact even when ``a`` rounds to 0 or 1.

Gradients (TOPICS.md sections 1, 3, 4, 6):

=============  ==============================================  ==========================
loss           J                                               gradient the engine uses
=============  ==============================================  ==========================
mse            ``1/(2m) sum (a - y)^2``                        ``dJ/da = (a - y)/m``
bce            ``-1/m sum [y log a + (1-y) log(1-a)]``          ``dJ/dz = (a - y)/m``
cross_entropy  ``-1/m sum_i sum_k y_k log p_k``                ``dJ/dz = (p - y)/m``
ova            K sigmoid outputs, each its own bce, summed     ``dJ/dz = (a - y)/m``
=============  ==============================================  ==========================

For bce/ova the loss is differentiated together with its sigmoid outputs, and for
cross-entropy together with softmax: ``sigma'(z) = a(1-a)`` cancels the ``1/(a(1-a))``
of the log-loss, leaving ``a - y``. For mse the output activation's derivative is
applied afterwards (``delta = dJ/da * g'(z)``; for identity outputs that is a no-op).
"""

from __future__ import annotations

import numpy as np

LOSSES = ("mse", "bce", "cross_entropy", "ova")
#: Losses whose gradient is taken with respect to z (the output activation is folded in).
GRADIENT_WRT_Z = ("bce", "cross_entropy", "ova")
CLASSIFICATION = ("bce", "cross_entropy", "ova")


def softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` without overflow (``np.logaddexp(0, z)``)."""
    return np.logaddexp(0.0, z)


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z)) = -softplus(-z)``, exact for large ``|z|``."""
    return -softplus(-np.asarray(z))


def log_softmax(z: np.ndarray, axis: int = 0) -> np.ndarray:
    """``log p_k = z_k - logsumexp(z)``, with the max subtracted first so nothing overflows."""
    z = np.asarray(z)
    zmax = z.max(axis=axis, keepdims=True)
    return z - zmax - np.log(np.exp(z - zmax).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------------- mse
def mse_cost(a, y, m: int) -> float:
    """``J = 1/(2m) sum_i sum_k (a - y)^2``."""
    d = np.asarray(a) - y
    return float(0.5 * np.sum(d * d) / m)


def mse_gradient(a, y, m: int) -> np.ndarray:
    """``dJ/da = (a - y)/m``."""
    return (np.asarray(a) - y) / m


# ---------------------------------------------------------------------- bce / ova
def bce_cost(z, y, m: int) -> float:
    """``J = -1/m sum [y log a + (1-y) log(1-a)]`` with ``a = sigmoid(z)``.

    Since ``-log a = softplus(-z)`` and ``-log(1-a) = softplus(z) = softplus(-z) + z``,
    each term is ``softplus(z) - y z``: finite and exact for any ``z``. One-versus-all
    (``ova``) is the same sum over its K sigmoid outputs.
    """
    z = np.asarray(z)
    return float(np.sum(softplus(z) - y * z) / m)


def bce_gradient(a, y, m: int) -> np.ndarray:
    """``dJ/dz = (a - y)/m`` (sigmoid and log-loss differentiated together)."""
    return (np.asarray(a) - y) / m


# ---------------------------------------------------------------------- softmax CE
def cross_entropy_cost(z, y, m: int) -> float:
    """``J = -1/m sum_i sum_k y_k log p_k`` with ``log p = log_softmax(z)`` over the outputs."""
    return float(-np.sum(y * log_softmax(z, axis=0)) / m)


def cross_entropy_gradient(p, y, m: int) -> np.ndarray:
    """``dJ/dz = (p - y)/m`` (softmax and cross-entropy differentiated together)."""
    return (np.asarray(p) - y) / m


def cost(loss: str, z, a, y, m: int) -> float:
    """The data cost ``J`` (no regularization) of outputs ``a = g(z)`` against targets ``y``."""
    if loss == "mse":
        return mse_cost(a, y, m)
    if loss in ("bce", "ova"):
        return bce_cost(z, y, m)
    if loss == "cross_entropy":
        return cross_entropy_cost(z, y, m)
    raise ValueError(f"unknown loss '{loss}' (choose one of {', '.join(LOSSES)})")


def cost_sum(loss: str, z, a, y) -> float:
    """``m * J``: the summed per-sample losses, for adding up a data set chunk by chunk."""
    return cost(loss, z, a, y, 1)


def output_gradient(loss: str, a, y, m: int) -> np.ndarray:
    """The gradient the engine starts backpropagation from: ``dJ/da`` for mse, ``dJ/dz``
    for the others (see the module docstring). Both are ``(a - y)/m``."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss '{loss}'")
    return (np.asarray(a) - y) / m
