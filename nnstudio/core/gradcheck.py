"""Gradient check: backpropagation against central finite differences.

For every weight and bias ``theta_i`` (TOPICS.md section 6, ``f(x+h) ~ f(x) + h f'(x)``)::

    numeric_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps)

and compares it with the analytic gradient from the engine's backward pass. ``J`` is the
full cost on ``(X, Y)``: data cost plus ``(l2/m) sum W^2 + (l1/m) sum |W|``.

The numeric side is deliberately independent of the engine: it evaluates ``J`` with the
plain, neuron-by-neuron forward pass of the graph (``z = sum w a + b``, ``a = g(z)``, in
topological order), in extended precision (``np.longdouble``, 64-bit mantissa on x86)
where the platform has it. Round-off then contributes about ``1e-19 |J| / eps`` instead
of ``1e-16 |J| / eps`` to each numeric derivative, and truncation ``eps^2 J''' / 6`` stays
near ``1e-13``, so agreement to ``1e-6`` relative is meaningful even for small gradients.

Relative error of one row::

    |analytic - numeric| / max(|analytic|, |numeric|, floor),   floor = 1e-6 * max(1, |J|)

The floor keeps a gradient that is (nearly) zero from turning finite-difference noise
into a huge "relative" error: below it, the check is on the absolute error.
Finite differences are wrong at kinks (relu at ``z = 0``, ``|w|`` at ``w = 0`` under L1):
a row whose parameter sits within ``eps`` of a kink may disagree, and that is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core import engine
from nnstudio.core.compile import compile_network
from nnstudio.core.graph import Network

#: The precision of the finite-difference reference.
NUMERIC_DTYPE = np.longdouble if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps else np.float64


@dataclass(frozen=True)
class GradCheckRow:
    key: object            # (source, target) for a weight, neuron id for a bias
    name: str              # "w(x1->h1)" or "b(h1)"
    analytic: float
    numeric: float
    rel_error: float


@dataclass(frozen=True)
class GradCheckResult:
    rows: tuple[GradCheckRow, ...]
    cost: float
    eps: float
    numeric_dtype: str

    @property
    def max_rel_error(self) -> float:
        return max((r.rel_error for r in self.rows), default=0.0)

    @property
    def worst(self) -> GradCheckRow | None:
        return max(self.rows, key=lambda r: r.rel_error, default=None)

    def passed(self, tolerance: float = 1e-6) -> bool:
        return self.max_rel_error < tolerance

    def table(self) -> str:
        lines = [f"{'parameter':<24}{'backprop':>16}{'numeric':>16}{'rel. error':>12}"]
        for r in self.rows:
            lines.append(f"{r.name:<24}{r.analytic:>16.8g}{r.numeric:>16.8g}{r.rel_error:>12.2e}")
        return "\n".join(lines)


# ------------------------------------------------------------- reference forward
def _g(name: str, z):
    """The activations again, written plainly (softmax is handled with the loss)."""
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0 * z)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    raise ValueError(f"no elementwise activation '{name}'")


def reference_pre_activations(net: Network, weights: dict, biases: dict, X, dtype=NUMERIC_DTYPE) -> dict:
    """``z`` of every non-input neuron, ``{id: (m,) array}``, by the obvious per-neuron loop."""
    X = np.asarray(X, dtype=dtype)
    a, z = {}, {}
    inputs = [n.id for n in net.inputs()]
    for j, nid in enumerate(inputs):
        a[nid] = X[:, j]
    for nid in net.topological_order():
        n = net.neuron(nid)
        if n.role == "input":
            continue
        zn = np.full(X.shape[0], biases[nid], dtype=dtype)
        for c in net.incoming(nid):
            zn = zn + weights[(c.source, nid)] * a[c.source]
        z[nid] = zn
        if n.role != "output":
            a[nid] = _g(n.activation, zn)
    return z


def reference_cost(net: Network, weights: dict, biases: dict, X, Y, l1: float = 0.0, l2: float = 0.0,
                   dtype=NUMERIC_DTYPE):
    """``J`` by the per-neuron forward pass, in ``dtype`` (independent of the engine)."""
    z = reference_pre_activations(net, weights, biases, X, dtype)
    outs = net.outputs()
    Y = np.asarray(Y, dtype=dtype).reshape(len(z[outs[0].id]), len(outs))
    m = Y.shape[0]
    Z = np.stack([z[n.id] for n in outs], axis=1)            # (m, K)
    if net.loss == "cross_entropy":
        zmax = Z.max(axis=1, keepdims=True)
        logp = Z - zmax - np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True))
        data = -np.sum(Y * logp) / m
    elif net.loss in ("bce", "ova"):
        data = np.sum(np.logaddexp(dtype(0), Z) - Y * Z) / m
    else:
        A = np.stack([_g(n.activation, z[n.id]) for n in outs], axis=1)
        data = np.sum((A - Y) ** 2) / (2 * m)
    w = np.array(list(weights.values()), dtype=dtype)
    return data + (dtype(l2) / m) * np.sum(w * w) + (dtype(l1) / m) * np.sum(np.abs(w))


# ------------------------------------------------------------- the check
def gradient_check(net: Network, X, Y, l1: float = 0.0, l2: float = 0.0, eps: float = 1e-6,
                   max_rows: int | None = None) -> GradCheckResult:
    """Compare backprop (float64 engine) with central differences for every weight and bias.

    Each parameter costs two slow forward passes; ``max_rows`` limits the check to that
    many parameters, evenly spread over weights then biases (all of them by default).
    """
    cn = compile_network(net, np.float64)
    params = cn.new_params()
    grad = engine.gradient(cn, params, X, Y, l1, l2)
    analytic = np.concatenate([grad[cn.weight_index], grad[cn.bias_index]])

    dt = NUMERIC_DTYPE
    weights = {k: dt(net.connection(*k).weight) for k in cn.connection_keys}
    biases = {i: dt(net.neuron(i).bias) for i in cn.bias_ids}
    X = np.asarray(X, dtype=dt)
    Y = np.asarray(Y, dtype=dt)
    J = reference_cost(net, weights, biases, X, Y, l1, l2)
    h = dt(eps)
    entries = [(weights, k) for k in cn.connection_keys] + [(biases, i) for i in cn.bias_ids]
    names = cn.parameter_names()
    chosen = range(len(entries))
    if max_rows is not None and len(entries) > max_rows:
        chosen = sorted(set(np.linspace(0, len(entries) - 1, max(1, max_rows)).round().astype(int).tolist()))
    numeric = []
    for table, key in (entries[i] for i in chosen):
        v = table[key]
        table[key] = v + h
        jp = reference_cost(net, weights, biases, X, Y, l1, l2)
        table[key] = v - h
        jm = reference_cost(net, weights, biases, X, Y, l1, l2)
        table[key] = v
        numeric.append((jp - jm) / (2 * h))
    floor = 1e-6 * max(1.0, abs(float(J)))
    rows = []
    for i, n in zip(chosen, numeric):
        key, name, a = entries[i][1], names[i], analytic[i]
        a, n = float(a), float(n)
        rel = abs(a - n) / max(abs(a), abs(n), floor)
        rows.append(GradCheckRow(key, name, a, n, rel))
    return GradCheckResult(tuple(rows), float(J), float(eps), np.dtype(dt).name)
