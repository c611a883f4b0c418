"""Activation functions, each with its derivative right beside it.

Every activation ``g`` appears twice, saying the same math:

* ``fn(z)`` and ``derivative(a)``: readable NumPy that allocates its result. Use these to
  learn, to test, and anywhere speed does not matter.
* ``forward_calls(buf, tmp)`` and ``backward_calls(a, delta, tmp)``: the same formulas as a
  list of ``(ufunc, args)`` calls that write into preallocated buffers. The engine
  compiles these once per batch size and replays them every step (see ENGINE-SPEED.md:
  on teaching-size networks the cost of a step is the number of NumPy calls).

Shapes: engine arrays are ``(units, batch)``: one row per neuron, one column per sample.
Every activation here is elementwise except softmax, which couples the rows (the
neurons of the output group) of each column (sample).

Derivatives are written in terms of the activation ``a = g(z)`` rather than ``z``: for
every function here ``g'(z)`` is a function of ``a`` alone, so the forward pass can
overwrite ``z`` with ``a`` in place. (For relu and leaky relu, ``z > 0`` exactly when
``a > 0``.)
"""

from __future__ import annotations

from functools import partial

import numpy as np

#: Slope of leaky relu for negative inputs.
LEAKY_SLOPE = 0.01

Call = tuple  # (callable, args tuple): the engine runs ``f(*args)``


def _maximum_into(out: np.ndarray):
    """``np.maximum`` writing into ``out`` (it takes ``out`` only as a keyword)."""
    return partial(np.maximum, out=out)


def _const(value: float, dtype) -> np.ndarray:
    """A 0-d array constant: a ufunc takes it without converting a Python float each call."""
    return np.array(value, dtype=dtype)


class Activation:
    """One activation function ``a = g(z)`` and its derivative ``g'(z)``."""

    name = ""
    #: True if ``g`` acts on each neuron alone (everything but softmax).
    elementwise = True

    def fn(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, a: np.ndarray) -> np.ndarray:
        """``g'(z)`` written in terms of ``a = g(z)``."""
        raise NotImplementedError

    def forward_calls(self, buf: np.ndarray, tmp: np.ndarray) -> list[Call]:
        """Calls that turn ``buf`` (holding ``z``) into ``g(z)`` in place; ``tmp`` is scratch
        of the same shape."""
        raise NotImplementedError

    def forward_calls_from(self, z: np.ndarray, a: np.ndarray, tmp: np.ndarray) -> list[Call]:
        """Calls that write ``g(z)`` into ``a`` and leave ``z`` as it is."""
        return [(np.copyto, (a, z))] + self.forward_calls(a, tmp)

    def backward_calls(self, a: np.ndarray, delta: np.ndarray, tmp: np.ndarray) -> list[Call]:
        """Calls that multiply ``delta`` (holding ``dJ/da``) by ``g'(z)`` in place, giving
        ``dJ/dz``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Identity(Activation):
    """``g(z) = z``, ``g'(z) = 1``. Linear outputs for regression."""

    name = "identity"

    def fn(self, z):
        return np.array(z, copy=True)

    def derivative(self, a):
        return np.ones_like(a)

    def forward_calls(self, buf, tmp):
        return []

    def backward_calls(self, a, delta, tmp):
        return []


class Sigmoid(Activation):
    """``g(z) = 1 / (1 + exp(-z))``, ``g'(z) = a (1 - a)``.

    ``exp(-z)`` overflows to ``inf`` for very negative ``z`` and ``1/(1 + inf)`` is the
    correct limit 0, so the engine runs under ``np.errstate(over="ignore")``. This form
    keeps full relative precision for small ``a`` (unlike ``(1 + tanh(z/2)) / 2``).
    """

    name = "sigmoid"

    def fn(self, z):
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-np.asarray(z)))

    def derivative(self, a):
        return a * (1.0 - a)

    def forward_calls(self, buf, tmp):
        one = _const(1.0, buf.dtype)
        return [(np.negative, (buf, buf)), (np.exp, (buf, buf)),
                (np.add, (buf, one, buf)), (np.divide, (one, buf, buf))]

    def backward_calls(self, a, delta, tmp):
        one = _const(1.0, a.dtype)
        return [(np.subtract, (one, a, tmp)), (np.multiply, (tmp, a, tmp)),
                (np.multiply, (delta, tmp, delta))]


class Tanh(Activation):
    """``g(z) = tanh(z)``, ``g'(z) = 1 - a^2``."""

    name = "tanh"

    def fn(self, z):
        return np.tanh(z)

    def derivative(self, a):
        return 1.0 - a * a

    def forward_calls(self, buf, tmp):
        return [(np.tanh, (buf, buf))]

    def backward_calls(self, a, delta, tmp):
        one = _const(1.0, a.dtype)
        return [(np.multiply, (a, a, tmp)), (np.subtract, (one, tmp, tmp)),
                (np.multiply, (delta, tmp, delta))]


class ReLU(Activation):
    """``g(z) = max(z, 0)``, ``g'(z) = 1 if z > 0 else 0`` (0 at the kink ``z = 0``).

    Since ``a >= 0``, ``sign(a)`` is exactly that 0/1 derivative, as a float array.
    """

    name = "relu"

    def fn(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, a):
        return (a > 0).astype(np.result_type(a, np.float32))

    def forward_calls(self, buf, tmp):
        zero = _const(0.0, buf.dtype)
        return [(_maximum_into(buf), (buf, zero))]

    #: From this many elements on, the bit mask below beats ``np.sign`` (which NumPy does
    #: not vectorize); below it, the two-call ``sign`` version has less overhead.
    BIT_MASK_FROM = 4096

    def backward_calls(self, a, delta, tmp):
        if a.size < self.BIT_MASK_FROM:
            return [(np.sign, (a, tmp)), (np.multiply, (delta, tmp, delta))]
        # The same product, without a float<->bool cast (which would need a temporary
        # buffer): read the floats' bits as signed integers. a >= +0 (relu never makes -0.0:
        # maximum(-0.0, +0.0) is +0.0), and for such a, a > 0 exactly when its bits are > 0.
        # -bits >> (width - 1) is then all ones where a > 0 and 0 where a = 0, and ANDing
        # delta's bits with it keeps delta or makes it +0.0.
        itype = np.dtype(f"i{a.dtype.itemsize}")
        ai, ti, di = a.view(itype), tmp.view(itype), delta.view(itype)
        shift = np.array(8 * itype.itemsize - 1, dtype=itype)
        return [(np.negative, (ai, ti)), (np.right_shift, (ti, shift, ti)),
                (np.bitwise_and, (di, ti, di))]


class LeakyReLU(Activation):
    """``g(z) = z if z > 0 else 0.01 z``, ``g'(z) = 1 if z > 0 else 0.01`` (0.01 at ``z = 0``).

    Forward as ``max(z, 0.01 z)``; the derivative as ``max(sign(a), 0.01)``, which is
    exactly 1 or 0.01.
    """

    name = "leaky_relu"

    def fn(self, z):
        z = np.asarray(z)
        return np.where(z > 0, z, LEAKY_SLOPE * z)

    def derivative(self, a):
        return np.where(a > 0, 1.0, LEAKY_SLOPE).astype(np.result_type(a, np.float32))

    def forward_calls(self, buf, tmp):
        slope = _const(LEAKY_SLOPE, buf.dtype)
        return [(np.multiply, (buf, slope, tmp)), (_maximum_into(buf), (buf, tmp))]

    def backward_calls(self, a, delta, tmp):
        slope = _const(LEAKY_SLOPE, a.dtype)
        return [(np.sign, (a, tmp)), (_maximum_into(tmp), (tmp, slope)),
                (np.multiply, (delta, tmp, delta))]


class Softmax(Activation):
    """``p_k = exp(z_k) / sum_j exp(z_j)`` over the neurons of the output group (axis 0).

    Computed as ``exp(z_k - max_j z_j) / sum_j exp(z_j - max_j z_j)``: the same value,
    but no ``exp`` can overflow. The Jacobian ``dp_k/dz_j = p_k (delta_kj - p_j)``
    couples the outputs; paired with cross-entropy it collapses to ``dJ/dz = p - y``,
    which is how the engine uses it (see losses.py), so there are no backward calls.
    """

    name = "softmax"
    elementwise = False

    def fn(self, z):
        z = np.asarray(z)
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def derivative(self, a):
        raise NotImplementedError("softmax has a Jacobian, not an elementwise derivative; "
                                  "use it with the cross-entropy loss (dJ/dz = p - y)")

    @staticmethod
    def jacobian(p: np.ndarray) -> np.ndarray:
        """For one sample's probabilities ``p`` (K,): the K x K matrix ``dp_k/dz_j``."""
        return np.diag(p) - np.outer(p, p)

    def forward_calls(self, buf, tmp):
        return self.forward_calls_from(buf, buf, tmp)

    def forward_calls_from(self, z, a, tmp):
        # tmp[:1] holds the per-sample max, then the per-sample sum.
        row = tmp[:1]
        return [(np.maximum.reduce, (z, 0, None, row, True)),
                (np.subtract, (z, row, a)), (np.exp, (a, a)),
                (np.add.reduce, (a, 0, None, row, True)),
                (np.divide, (a, row, a))]

    def backward_calls(self, a, delta, tmp):
        raise NotImplementedError("softmax is only differentiated together with cross-entropy")


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Identity(), Sigmoid(), Tanh(), ReLU(), LeakyReLU(), Softmax())}


def get(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation '{name}' (choose one of {', '.join(ACTIVATIONS)})") from None


def run(calls: list[Call]) -> None:
    """Replay a compiled list of calls."""
    for f, args in calls:
        f(*args)
