"""Batched forward and backward passes over a compiled network.

The math (TOPICS.md section 6), per level ``l`` with source rows ``S_l``::

    forward    Z_l = W_l @ A[S_l]            A_l = g(Z_l)
    output     delta_L = scale * (A_L - Y)   (times g'(Z_L) for mse with non-identity outputs)
    backward   dJ/dA[S_l] += W_l^T @ delta_l                 (skipping the data rows)
               delta_l = dJ/dA_l * g'(Z_l)
               dW_l = delta_l @ A[S_l]^T     (the bias column meets a ones row: dJ/db = sum delta)

``scale`` is ``1/m_batch``, so ``dW`` is the gradient of the mean cost; the trainer may
fold the learning rate into it (``lr/m_batch``) so the update is one subtraction.

How it is made fast (ENGINE-SPEED.md): an :class:`Engine` owns every buffer for one batch
size, allocated once, and compiles the step into flat lists of ``(ufunc, args)`` calls
that all write with ``out=`` into those buffers; running a step is replaying the list,
and it allocates no arrays (only NumPy's broadcasting loops, for softmax's per-sample
max and sum, keep a small scratch buffer of their own).
Activations are stored ``(units, batch)`` and biases folded into ``W`` via ones rows, so
a level is one matrix product; the first level's ``dJ/dA`` (the data) is never computed.

Arrays: ``A``, ``D`` (dJ/dA, then delta in place) and ``T`` (scratch) are ``(rows, batch)``
with the compiled row layout; ``Y`` is ``(K, batch)`` in output-row order. When only
level 1 reads the inputs (``net.inputs_by_row``), the input batch is kept sample-major,
``X = (batch, n_inputs + 1)`` with a ones column, so a mini-batch is a gather of whole
rows of the data set.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core import activations as act_mod
from nnstudio.core import losses
from nnstudio.core.compile import CompiledNetwork, aligned_empty, aligned_zeros

Call = tuple


def run(calls: list[Call]) -> None:
    """Replay a compiled list of ``(f, args)`` calls."""
    for f, args in calls:
        f(*args)


# ---------------------------------------------------------------- data
class Data:
    """A data set laid out for the engine: inputs as the engine gathers them and targets
    ``(K, m)`` in output-row order. Read-only; shared by every engine of a network."""

    def __init__(self, net: CompiledNetwork, X, Y=None):
        X = np.asarray(X, dtype=net.dtype)
        if X.ndim == 1:
            X = X.reshape(-1, 1) if net.n_inputs == 1 else X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != net.n_inputs:
            raise ValueError(f"X must have {net.n_inputs} columns (one per input neuron), "
                             f"got shape {np.shape(X)}")
        self.m = X.shape[0]
        if net.inputs_by_row:
            xs = aligned_empty((self.m, net.n_inputs + 1), net.dtype)
            xs[:, :-1] = X
            xs[:, -1] = 1
        else:
            xs = aligned_empty((net.n_inputs, self.m), net.dtype)
            xs[...] = X.T
        xs.setflags(write=False)
        self.inputs = xs
        self.targets = None
        if Y is not None:
            Y = np.asarray(Y, dtype=net.dtype)
            if Y.ndim == 1:
                Y = Y.reshape(-1, 1)
            if Y.shape != (self.m, net.n_outputs):
                raise ValueError(f"Y must have shape ({self.m}, {net.n_outputs}) (one column per "
                                 f"output neuron), got {np.shape(Y)}")
            yt = aligned_empty((net.n_outputs, self.m), net.dtype)
            yt[...] = Y[:, net.output_order].T
            yt.setflags(write=False)
            self.targets = yt
        self.by_row = net.inputs_by_row

    def astype(self, dtype) -> "Data":
        """The same data in another precision (for a network converted with ``astype``)."""
        out = object.__new__(Data)
        out.m, out.by_row = self.m, self.by_row
        out.inputs = self._cast(self.inputs, dtype)
        out.targets = None if self.targets is None else self._cast(self.targets, dtype)
        return out

    @staticmethod
    def _cast(a, dtype):
        b = aligned_empty(a.shape, dtype)
        b[...] = a
        b.setflags(write=False)
        return b


# ---------------------------------------------------------------- engine
class Engine:
    """Buffers and compiled calls for one network, one batch size and one parameter vector.

    ``params`` and ``grads`` are flat vectors (see :class:`CompiledNetwork`) that the
    engine reads and writes through views; the owner may update them between steps.

    * ``forward_calls``: inputs in ``X`` -> outputs ``A[output rows]``.
    * ``delta_calls``: ``D[output rows] = scale * dJ/dz`` from outputs and ``Y``.
    * ``backward_calls``: deltas back through every level and ``grads = dJ/dW`` (scaled).
    With ``keep_z`` the output level's pre-activations are kept in ``Z`` (for exact costs).
    """

    def __init__(self, net: CompiledNetwork, params: np.ndarray, grads: np.ndarray | None,
                 batch: int, *, keep_z: bool = False):
        if batch < 1:
            raise ValueError("batch size must be at least 1")
        dt = net.dtype
        self.net, self.batch = net, batch
        R, K = net.n_rows, net.n_outputs
        self.A = aligned_zeros((R, batch), dt)
        self.T = aligned_zeros((R, batch), dt)
        self.Y = aligned_zeros((K, batch), dt)
        self.scale = np.array(1.0 / batch, dtype=dt)
        self._zero = np.zeros((), dtype=dt)
        for lv in net.levels[:-1]:
            self.A[lv.stop] = 1
        self.A[net.n_inputs] = 1
        if net.inputs_by_row:
            self.X = aligned_zeros((batch, net.n_inputs + 1), dt)
            self.X[:, -1] = 1
        else:
            self.X = self.A[:net.n_inputs]
        out_lv = net.output_level
        self.out = self.A[out_lv.start:out_lv.stop]
        self.Z = aligned_zeros((K, batch), dt) if keep_z else self.out
        self.forward_calls = self._forward(net.level_views(params), keep_z)
        self.D = None
        self.delta_calls: list[Call] = []
        self.backward_calls: list[Call] = []
        if grads is not None:
            self.D = aligned_zeros((R, batch), dt)
            self.delta_out = self.D[out_lv.start:out_lv.stop]
            self.delta_calls = self._output_delta()
            self.backward_calls = self._backward(net.level_views(params), net.level_views(grads), grads)

    # ---------------------------------------------------------- compile
    def _source(self, lv):
        """The operand holding level ``lv``'s source rows, ``(ncols, batch)``."""
        if lv.index == 1 and self.net.inputs_by_row:
            return self.X.T
        return self.A[lv.src_start:lv.src_stop]

    def _forward(self, W, keep_z) -> list[Call]:
        calls: list[Call] = []
        for lv, Wl in zip(self.net.levels, W):
            out = self.A[lv.start:lv.stop]
            tmp = self.T[lv.start:lv.stop]
            if lv.is_output and keep_z:
                calls.append((np.dot, (Wl, self._source(lv), self.Z)))
                for name, lo, hi in lv.groups:
                    calls += act_mod.get(name).forward_calls_from(self.Z[lo:hi], out[lo:hi], tmp[lo:hi])
            else:
                calls.append((np.dot, (Wl, self._source(lv), out)))
                for name, lo, hi in lv.groups:
                    calls += act_mod.get(name).forward_calls(out[lo:hi], tmp[lo:hi])
        return calls

    def _output_delta(self) -> list[Call]:
        lv = self.net.output_level
        d, a = self.delta_out, self.out
        calls: list[Call] = [(np.subtract, (a, self.Y, d)), (np.multiply, (d, self.scale, d))]
        if self.net.loss not in losses.GRADIENT_WRT_Z:      # mse: dJ/da, times g'(z)
            tmp = self.T[lv.start:lv.stop]
            for name, lo, hi in lv.groups:
                calls += act_mod.get(name).backward_calls(a[lo:hi], d[lo:hi], tmp[lo:hi])
        return calls

    def _backward(self, W, G, grads) -> list[Call]:
        net, A, D, T = self.net, self.A, self.D, self.T
        # Which buffer rows belong to which level (levels >= 1, each with its ones row).
        blocks = {lv.index: (lv.start, lv.stop + (0 if lv.is_output else 1)) for lv in net.levels}
        written = {net.output_level.index}
        calls: list[Call] = []
        for lv, Wl, Gl in zip(reversed(net.levels), reversed(W), reversed(G)):
            if lv.index not in written:
                # Feeds nothing, so dJ/dW here is 0. Say so every step: the optimizer adds
                # the penalty gradient into this buffer in place, and a stale value would
                # accumulate (a dead-end level with L2 drifted instead of decaying).
                calls.append((np.copyto, (Gl, self._zero)))
                continue
            d = D[lv.start:lv.stop]
            if not lv.is_output:
                a, tmp = A[lv.start:lv.stop], T[lv.start:lv.stop]
                for name, lo, hi in lv.groups:
                    calls += act_mod.get(name).backward_calls(a[lo:hi], d[lo:hi], tmp[lo:hi])
            if lv.index == 1 and net.inputs_by_row:
                calls.append((np.dot, (d, self.X, Gl)))
            else:
                calls.append((np.dot, (d, A[lv.src_start:lv.src_stop].T, Gl)))
            if lv.mask is not None and not net.flat_mask:
                calls.append((np.multiply, (Gl, lv.mask, Gl)))
            if lv.back_start is None:
                continue
            b0, b1 = lv.back_start, lv.src_stop
            back_w = Wl[:, b0 - lv.src_start:].T
            targets = [k for k, (s, e) in blocks.items() if s >= b0 and e <= b1]
            if not any(k in written for k in targets):
                calls.append((np.dot, (back_w, d, D[b0:b1])))
            else:
                calls.append((np.dot, (back_w, d, T[b0:b1])))
                runs: list[list] = []
                for k in sorted(targets):
                    s, e = blocks[k]
                    if runs and runs[-1][2] == (k in written) and runs[-1][1] == s:
                        runs[-1][1] = e
                    else:
                        runs.append([s, e, k in written])
                for s, e, was_written in runs:
                    if was_written:
                        calls.append((np.add, (D[s:e], T[s:e], D[s:e])))
                    else:
                        calls.append((np.copyto, (D[s:e], T[s:e])))
            written.update(targets)
        if net.flat_mask:
            calls.append((np.multiply, (grads, net.grad_mask, grads)))
        return calls

    # ---------------------------------------------------------- data in
    def load(self, data: Data, idx: np.ndarray) -> None:
        """Gather the samples ``idx`` (``batch`` of them) into the input and target buffers."""
        # ndarray.take, not np.take: the function adds ~0.6 us of Python dispatch per call
        data.inputs.take(idx, 0 if data.by_row else 1, self.X, "clip")
        if data.targets is not None:
            data.targets.take(idx, 1, self.Y, "clip")

    def load_range(self, data: Data, start: int) -> None:
        """Copy the samples ``start .. start + batch`` into the buffers."""
        stop = start + self.batch
        if data.by_row:
            np.copyto(self.X, data.inputs[start:stop])
        else:
            np.copyto(self.X, data.inputs[:, start:stop])
        if data.targets is not None:
            np.copyto(self.Y, data.targets[:, start:stop])

    def load_calls(self, data: Data, idx: np.ndarray) -> list[Call]:
        """Calls that gather the (fixed) sample indices ``idx`` each time they are run."""
        axis = 0 if data.by_row else 1
        calls = [(data.inputs.take, (idx, axis, self.X, "clip"))]
        if data.targets is not None:
            calls.append((data.targets.take, (idx, 1, self.Y, "clip")))
        return calls

    # ---------------------------------------------------------- running
    def forward(self) -> None:
        run(self.forward_calls)

    def gradient(self) -> None:
        """Forward, output delta and backward on the loaded batch: ``grads = scale * m_b * dJ/dW``."""
        run(self.forward_calls)
        run(self.delta_calls)
        run(self.backward_calls)

    def deltas(self) -> np.ndarray:
        """``D`` rows of the non-input neurons (``net.neuron_ids`` order): the last batch's
        ``scale * m_b * dJ/dz`` per sample, ``(neurons, batch)`` (a fresh array)."""
        return self.D[self.net.neuron_rows]


# ---------------------------------------------------------------- evaluation
class Evaluator:
    """Forward passes over whole data sets in chunks, for costs, accuracies and outputs.

    Keeps the output pre-activations so that log-losses are computed from ``z`` (exact).
    Engines are cached per chunk size; ``params`` is read at every call.
    """

    CHUNK = 2048

    def __init__(self, net: CompiledNetwork, params: np.ndarray):
        self.net, self.params = net, params
        self._engines: dict[int, Engine] = {}

    def _engine(self, b: int) -> Engine:
        eng = self._engines.get(b)
        if eng is None:
            eng = self._engines[b] = Engine(self.net, self.params, None, b, keep_z=True)
        return eng

    def chunks(self, data: Data):
        """Yield ``(start, engine)`` after running the forward pass on each chunk."""
        start = 0
        while start < data.m:
            b = min(self.CHUNK, data.m - start)
            eng = self._engine(b)
            eng.load_range(data, start)
            run(eng.forward_calls)
            yield start, eng
            start += b

    def outputs(self, data: Data, with_z: bool = False):
        """Network outputs ``(K, m)`` in output-row order (and ``z`` if asked)."""
        K = self.net.n_outputs
        a = np.empty((K, data.m), dtype=self.net.dtype)
        z = np.empty((K, data.m), dtype=self.net.dtype) if with_z else None
        for start, eng in self.chunks(data):
            a[:, start:start + eng.batch] = eng.out
            if with_z:
                z[:, start:start + eng.batch] = eng.Z
        return (a, z) if with_z else a

    def data_cost(self, data: Data) -> float:
        """The data cost ``J`` (mean over the data set, no regularization)."""
        if data.m == 0:
            return float("nan")
        total = 0.0
        with np.errstate(all="ignore"):
            for start, eng in self.chunks(data):
                total += losses.cost_sum(self.net.loss, eng.Z, eng.out,
                                         data.targets[:, start:start + eng.batch])
        return total / data.m


def regularization_cost(net: CompiledNetwork, params: np.ndarray, m: int,
                        l1: float = 0.0, l2: float = 0.0) -> float:
    """``(l2/m) sum W^2 + (l1/m) sum |W|`` over connection weights (never biases)."""
    if not (l1 or l2):
        return 0.0
    w = net.weights_vector(params).astype(np.float64)
    return float(l2 / m * np.dot(w, w) + l1 / m * np.abs(w).sum())


def regularization_gradient(net: CompiledNetwork, params: np.ndarray, m: int,
                            l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    """Flat ``(2 l2/m) W + (l1/m) sign(W)`` on weights, 0 on biases (a fresh array)."""
    return net.reg_mask * (2.0 * l2 / m * params + l1 / m * np.sign(params))


# ---------------------------------------------------------------- one-shot helpers
def forward(net: CompiledNetwork, params: np.ndarray, X) -> np.ndarray:
    """Outputs ``(m, K)`` in output-id order (probabilities for classifiers)."""
    data = Data(net, X)
    with np.errstate(all="ignore"):
        a = Evaluator(net, params).outputs(data)
    return net.outputs_by_column(a)


def cost(net: CompiledNetwork, params: np.ndarray, X, Y, l1: float = 0.0, l2: float = 0.0) -> float:
    """``J`` on ``(X, Y)`` including regularization with ``m = len(X)``."""
    data = Data(net, X, Y)
    return (Evaluator(net, params).data_cost(data)
            + regularization_cost(net, params, data.m, l1, l2))


def gradient(net: CompiledNetwork, params: np.ndarray, X, Y, l1: float = 0.0,
             l2: float = 0.0) -> np.ndarray:
    """The full-batch gradient ``dJ/dparams`` (flat, like ``params``) including regularization."""
    data = Data(net, X, Y)
    grads = aligned_zeros(net.n_params, net.dtype)
    eng = Engine(net, params, grads, data.m)
    eng.load_range(data, 0)
    with np.errstate(all="ignore"):
        eng.gradient()
    return grads + regularization_gradient(net, params, data.m, l1, l2)
