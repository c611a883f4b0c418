"""Graph -> compiled network: levels, row maps and one weight matrix per level.

How a network of neurons becomes a few matrix products
------------------------------------------------------
Every neuron gets a *level*: inputs are level 0, a hidden neuron is one more than the
highest level among the neurons feeding it (1 if nothing feeds it), and all outputs sit
together on the last level ``L``, after every hidden neuron (softmax needs them together).
Neurons of one level only depend on lower levels, so a whole level is computed at once.

Activations live in one buffer ``A`` of shape ``(rows, batch)``: level by level, one row
per neuron, and after each level except the last a *row of ones*::

    rows:  x1 x2 | 1 | h1 h2 h3 | 1 | h4 h5 | 1 | y1 y2
           level 0     level 1        level 2     level 3 (outputs)

Level ``l`` draws from a contiguous block of rows, its *source rows*: from the first row
of the lowest level it draws from, through the ones row of the highest level it draws
from (usually just level ``l-1`` and its ones row). Its weight matrix ``W_l`` has one row
per neuron of the level and one column per source row, so the whole level is::

    Z_l = W_l @ A[source rows]        (the last column of W_l is the bias: it meets a ones row)
    A_l = g(Z_l)

Where a neuron has no connection from a source row, the entry of ``W_l`` is 0 and stays
0: the level records a 0/1 ``mask`` and the engine multiplies the gradient by it. A
layered network's levels are fully connected (no mask), so it computes exactly what a
hand-written MLP does. Skip connections (x1 -> y1 past the hidden levels) widen a level's
source block; the ones rows of intermediate levels it spans are masked out.

Within a level, rows are grouped by activation (each group is then one call), ordered by
id inside a group. Input rows follow the input order (by id), which is the column order
of ``X``; output rows may be regrouped, and ``output_order`` maps them back to the
column order of ``Y``.

All weight matrices are views into one flat parameter vector (each level starting on a
64-byte boundary), so an optimizer update is one call for the whole network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np

from nnstudio.core.graph import ACTIVATIONS as ACTIVATION_NAMES
from nnstudio.core.graph import Network, NetworkError

__all__ = ["CompiledNetwork", "Level", "compile_network", "aligned_empty", "aligned_zeros",
           "NetworkError", "DTYPES"]

DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}
ALIGN_BYTES = 64
#: Each level's matrix starts at a multiple of this many entries (64 bytes or more for
#: float32 and float64 alike), so the flat layout does not depend on the precision.
ALIGN_ENTRIES = 16
#: Networks with at most this many parameter slots mask gradients with one flat call;
#: bigger ones mask only their partially connected levels.
FLAT_MASK_LIMIT = 65536


def aligned_empty(shape, dtype, align: int = ALIGN_BYTES) -> np.ndarray:
    """An uninitialized C-contiguous array whose data starts on an ``align``-byte boundary."""
    dtype = np.dtype(dtype)
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(n * dtype.itemsize + align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start:start + n * dtype.itemsize].view(dtype).reshape(shape)


def aligned_zeros(shape, dtype, align: int = ALIGN_BYTES) -> np.ndarray:
    out = aligned_empty(shape, dtype, align)
    out.fill(0)
    return out


def as_dtype(dtype) -> np.dtype:
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    dt = np.dtype(dtype)
    if dt not in DTYPES.values():
        raise ValueError(f"precision must be float64 or float32, got {dt}")
    return dt


@dataclass(frozen=True, eq=False)
class Level:
    """One level ``l >= 1`` of the compiled network (see the module docstring).

    ``rows`` are buffer rows ``[start, stop)``; the ones row after them is ``stop`` (not
    for the output level). ``groups`` are ``(activation, lo, hi)`` with rows relative to
    ``start``. ``src`` are the source rows ``[src_start, src_stop)``; their last row is
    a ones row, so the last column of ``W_l`` holds the biases. ``back_start``: the first
    source row that needs ``dJ/da`` from this level (source rows of level 0, the data,
    need none); ``None`` if only level 0 feeds it. ``w_offset``: where ``W_l`` starts in
    the flat parameter vector. ``mask``: 0/1 of shape ``(n, ncols)``, or ``None`` if every
    entry is a real connection or bias.
    """

    index: int
    ids: tuple[int, ...]
    start: int
    stop: int
    groups: tuple[tuple[str, int, int], ...]
    src_start: int
    src_stop: int
    back_start: int | None
    w_offset: int
    mask: np.ndarray | None
    is_output: bool

    @property
    def n(self) -> int:
        return self.stop - self.start

    @property
    def ncols(self) -> int:
        return self.src_stop - self.src_start

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.ncols)

    @property
    def size(self) -> int:
        return self.n * self.ncols


class CompiledNetwork:
    """The immutable structure of a network plus a copy of its parameters at compile time.

    Parameters are one flat vector (see :meth:`new_params`); ``level_views`` shows it as
    the per-level matrices. Index maps translate between the flat vector and the graph:

    * ``connection_keys`` / ``weight_index``: the order of a weights vector and where
      each weight sits in the flat parameters;
    * ``bias_ids`` / ``bias_index``: the same for biases (non-input neurons, by id);
    * ``neuron_ids`` / ``neuron_rows``: non-input neurons (by id) and their buffer rows;
    * ``input_ids``: input neurons by id = the columns of ``X`` = buffer rows ``0..n-1``;
    * ``output_ids``: output neurons by id = the columns of ``Y``; ``output_order[r]`` is
      the ``Y`` column of output row ``r``.
    """

    def __init__(self, *, input_ids, output_ids, connection_keys, bias_ids, loss, dtype,
                 levels, n_rows, n_params, weight_index, bias_index, neuron_rows,
                 output_order, reg_mask, grad_mask, inputs_by_row, initial_params,
                 labels, output_activations):
        self.input_ids: tuple[int, ...] = tuple(input_ids)
        self.output_ids: tuple[int, ...] = tuple(output_ids)
        self.connection_keys: tuple[tuple[int, int], ...] = tuple(connection_keys)
        self.bias_ids: tuple[int, ...] = tuple(bias_ids)
        self.neuron_ids: tuple[int, ...] = tuple(bias_ids)
        self.loss: str = loss
        self.dtype: np.dtype = dtype
        self.levels: tuple[Level, ...] = tuple(levels)
        self.n_rows = n_rows
        self.n_params = n_params
        self.weight_index = _frozen(weight_index)
        self.bias_index = _frozen(bias_index)
        self.neuron_rows = _frozen(neuron_rows)
        self.output_order = _frozen(output_order)
        self.output_inverse = _frozen(np.argsort(output_order))
        self.reg_mask = _frozen(reg_mask)
        self.grad_mask = None if grad_mask is None else _frozen(grad_mask)
        #: True when only level 1 reads the inputs: the engine can then keep the input
        #: batch sample-major, ``(batch, n_inputs + 1)``, and gather whole rows of X.
        self.inputs_by_row: bool = inputs_by_row
        self.initial_params = _frozen(initial_params)
        self.labels: Mapping[int, str] = MappingProxyType(dict(labels))
        self.output_activations: tuple[str, ...] = tuple(output_activations)

    # ------------------------------------------------------------- structure
    @property
    def n_inputs(self) -> int:
        return len(self.input_ids)

    @property
    def n_outputs(self) -> int:
        return len(self.output_ids)

    @property
    def output_level(self) -> Level:
        return self.levels[-1]

    @property
    def partial(self) -> bool:
        """True if any level is only partially connected (has a mask)."""
        return any(lv.mask is not None for lv in self.levels)

    @property
    def flat_mask(self) -> bool:
        """Mask gradients with one call over all parameters (small networks)."""
        return self.partial and self.n_params <= FLAT_MASK_LIMIT

    def astype(self, dtype) -> "CompiledNetwork":
        """The same network in another precision (parameters rounded or widened)."""
        dtype = as_dtype(dtype)
        if dtype == self.dtype:
            return self
        levels = [replace(lv, mask=None if lv.mask is None else _frozen(lv.mask.astype(dtype)))
                  for lv in self.levels]
        params = aligned_empty(self.n_params, dtype)
        params[...] = self.initial_params
        return CompiledNetwork(
            input_ids=self.input_ids, output_ids=self.output_ids, connection_keys=self.connection_keys,
            bias_ids=self.bias_ids, loss=self.loss, dtype=dtype, levels=levels, n_rows=self.n_rows,
            n_params=self.n_params, weight_index=self.weight_index, bias_index=self.bias_index,
            neuron_rows=self.neuron_rows, output_order=self.output_order,
            reg_mask=self.reg_mask.astype(dtype),
            grad_mask=None if self.grad_mask is None else self.grad_mask.astype(dtype),
            inputs_by_row=self.inputs_by_row, initial_params=params, labels=self.labels,
            output_activations=self.output_activations)

    def summary(self) -> str:
        parts = [f"{self.n_inputs} inputs"]
        for lv in self.levels:
            acts = "+".join(a for a, _, _ in lv.groups)
            mask = ", masked" if lv.mask is not None else ""
            parts.append(f"level {lv.index}: {lv.n} {acts} <- rows {lv.src_start}:{lv.src_stop}{mask}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<CompiledNetwork {self.loss} {self.dtype}: {self.summary()}>"

    # ------------------------------------------------------------ parameters
    def new_params(self, source: np.ndarray | None = None) -> np.ndarray:
        """A fresh, aligned, writable copy of flat parameters (the compiled ones by default)."""
        out = aligned_empty(self.n_params, self.dtype)
        out[...] = self.initial_params if source is None else source
        return out

    def level_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """The per-level weight matrices ``W_l`` (bias in the last column) as views of ``flat``."""
        return [flat[lv.w_offset:lv.w_offset + lv.size].reshape(lv.shape) for lv in self.levels]

    def weights_vector(self, params: np.ndarray) -> np.ndarray:
        """Weights aligned with :attr:`connection_keys` (a fresh array)."""
        return params[self.weight_index]

    def biases_vector(self, params: np.ndarray) -> np.ndarray:
        """Biases aligned with :attr:`bias_ids` (a fresh array)."""
        return params[self.bias_index]

    def params_from_vectors(self, weights, biases) -> np.ndarray:
        """Flat parameters from a weights vector and a biases vector."""
        flat = aligned_zeros(self.n_params, self.dtype)
        flat[self.weight_index] = weights
        flat[self.bias_index] = biases
        return flat

    def to_network_parameters(self, params: np.ndarray) -> tuple[dict, dict]:
        """``(weights by connection key, biases by neuron id)`` as Python floats, for
        :meth:`Network.set_parameters`."""
        w = self.weights_vector(params).tolist()
        b = self.biases_vector(params).tolist()
        return dict(zip(self.connection_keys, w)), dict(zip(self.bias_ids, b))

    def parameter_names(self) -> list[str]:
        """Readable names, weights then biases: ``w(x1->h1)``, ``b(h1)``."""
        lab = self.labels
        return ([f"w({lab[s]}->{lab[t]})" for s, t in self.connection_keys]
                + [f"b({lab[i]})" for i in self.bias_ids])

    # ------------------------------------------------------------------ data
    def targets_by_row(self, Y: np.ndarray) -> np.ndarray:
        """``Y`` (m, K) in output-id order -> ``(K, m)`` in output-row order."""
        return np.ascontiguousarray(np.asarray(Y, dtype=self.dtype)[:, self.output_order].T)

    def outputs_by_column(self, out_rows: np.ndarray) -> np.ndarray:
        """Output-level rows ``(K, m)`` -> ``(m, K)`` in output-id order (a fresh array)."""
        return np.ascontiguousarray(out_rows[self.output_inverse].T)


def _frozen(a) -> np.ndarray:
    a = np.asarray(a)
    a.setflags(write=False)
    return a


_ACT_RANK = {name: i for i, name in enumerate(ACTIVATION_NAMES)}


def compile_network(net: Network, dtype=np.float64) -> CompiledNetwork:
    """Compile ``net`` (see the module docstring). Raises :class:`NetworkError` (from
    ``net.check()``) if the network cannot be trained."""
    net.check()
    dtype = as_dtype(dtype)
    align = ALIGN_ENTRIES

    inputs, hidden, outputs = net.inputs(), net.hidden(), net.outputs()
    preds = {n.id: [c.source for c in net.incoming(n.id)] for n in hidden + outputs}

    level: dict[int, int] = {n.id: 0 for n in inputs}
    for nid in net.topological_order():
        if net.neuron(nid).role == "hidden":
            level[nid] = 1 + max((level[p] for p in preds[nid]), default=0)
    n_levels = 1 + max((level[n.id] for n in hidden), default=0)   # index of the output level
    for n in outputs:
        level[n.id] = n_levels

    members: list[list[int]] = [[] for _ in range(n_levels + 1)]
    members[0] = [n.id for n in inputs]
    for n in sorted(hidden + outputs, key=lambda n: (_ACT_RANK[n.activation], n.id)):
        members[level[n.id]].append(n.id)

    # Buffer rows: each level's neurons, then a ones row (all levels but the output level).
    row: dict[int, int] = {}
    starts, ones = [], []
    r = 0
    for lvl, ids in enumerate(members):
        starts.append(r)
        for i, nid in enumerate(ids):
            row[nid] = r + i
        r += len(ids)
        ones.append(r if lvl < n_levels else None)
        if lvl < n_levels:
            r += 1
    n_rows = r

    levels: list[Level] = []
    offset = 0
    for lvl in range(1, n_levels + 1):
        ids = members[lvl]
        src_levels = {level[p] for nid in ids for p in preds[nid]} or {0}
        lo, hi = min(src_levels), max(src_levels)
        src_start, src_stop = starts[lo], ones[hi] + 1
        back_start = max(src_start, starts[1]) if hi >= 1 else None
        groups, g0 = [], 0
        for i in range(1, len(ids) + 1):
            if i == len(ids) or net.neuron(ids[i]).activation != net.neuron(ids[g0]).activation:
                groups.append((net.neuron(ids[g0]).activation, g0, i))
                g0 = i
        ncols = src_stop - src_start
        mask = np.zeros((len(ids), ncols), dtype=dtype)
        mask[:, -1] = 1
        for i, nid in enumerate(ids):
            for p in preds[nid]:
                mask[i, row[p] - src_start] = 1
        levels.append(Level(index=lvl, ids=tuple(ids), start=starts[lvl], stop=starts[lvl] + len(ids),
                            groups=tuple(groups), src_start=src_start, src_stop=src_stop,
                            back_start=back_start, w_offset=offset,
                            mask=None if mask.all() else _frozen(mask), is_output=lvl == n_levels))
        offset += -(-(len(ids) * ncols) // align) * align
    n_params = max(offset, 1)
    by_level = {lv.index: lv for lv in levels}

    def flat_pos(target: int, col_row: int) -> int:
        lv = by_level[level[target]]
        return lv.w_offset + (row[target] - lv.start) * lv.ncols + (col_row - lv.src_start)

    connection_keys = [c.key for c in net.connections()]
    bias_ids = [n.id for n in net.neurons() if n.role != "input"]
    weight_index = np.array([flat_pos(t, row[s]) for s, t in connection_keys], dtype=np.intp)
    bias_index = np.array([flat_pos(i, by_level[level[i]].src_stop - 1) for i in bias_ids], dtype=np.intp)

    params = aligned_zeros(n_params, dtype)
    params[weight_index] = [net.connection(s, t).weight for s, t in connection_keys]
    params[bias_index] = [net.neuron(i).bias for i in bias_ids]
    reg_mask = np.zeros(n_params, dtype=dtype)
    reg_mask[weight_index] = 1
    grad_mask = None
    if any(lv.mask is not None for lv in levels):
        grad_mask = reg_mask.copy()
        grad_mask[bias_index] = 1

    out_level = levels[-1]
    output_ids = [n.id for n in outputs]
    k_of = {nid: k for k, nid in enumerate(output_ids)}
    output_order = np.array([k_of[nid] for nid in out_level.ids], dtype=np.intp)
    inputs_by_row = all(lv.src_start > ones[0] for lv in levels[1:])

    return CompiledNetwork(
        input_ids=[n.id for n in inputs], output_ids=output_ids, connection_keys=connection_keys,
        bias_ids=bias_ids, loss=net.loss, dtype=dtype, levels=levels, n_rows=n_rows,
        n_params=n_params, weight_index=weight_index, bias_index=bias_index,
        neuron_rows=np.array([row[i] for i in bias_ids], dtype=np.intp),
        output_order=output_order, reg_mask=reg_mask, grad_mask=grad_mask,
        inputs_by_row=inputs_by_row, initial_params=params,
        labels={n.id: (n.label or f"#{n.id}") for n in net.neurons()},
        output_activations=[net.neuron(i).activation for i in output_ids])
