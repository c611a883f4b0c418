"""A training session: what one compiled network training on one prepared data set shows.

Made in the GUI thread when training (re)starts, never changed afterwards, and shared by
every view: the GUI's own compiled copy of the network (structure and index maps, for
laying out heatmaps and bars), the prepared data (raw features for plots, targets,
classes, split), and the layout of the *inspected rows*, the inputs whose outputs each
snapshot carries:

* the evaluation rows: the validation set, or the training set when there is none
  (capped at :data:`MAX_EVAL_ROWS`), for the probability heatmap and confusion matrix;
* the selected sample (one row), for the class-probability bars;
* a grid over the plane of two input columns (decision regions), or points along one
  input column (the fitted curve), for the data view.

Pure NumPy apart from nothing: no Qt here, so it is easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.compile import CompiledNetwork
from nnstudio.core.data import CLASSIFICATION, parse_feature
from nnstudio.core.workflow import PreparedData

MAX_EVAL_ROWS = 1000
GRID_SIZE = 80            # decision-region grid: GRID_SIZE x GRID_SIZE points
CURVE_POINTS = 200
PAD = 0.08                # margin around the data in the data view, as a fraction of the range


@dataclass(frozen=True)
class Plane:
    """Where the data view draws: one or two raw data columns, the others held at their
    training mean. ``grid_raw`` (points, n_columns) are the raw column values of the grid
    (x fastest), ``shape`` (ny, nx), or (n,) for a curve."""

    columns: tuple[str, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float] | None
    shape: tuple[int, ...]
    inputs: np.ndarray            # network inputs for the grid (scaled), (points, n_inputs)
    held: tuple[str, ...] = ()    # columns held at their mean


@dataclass(frozen=True)
class Session:
    """Everything the views need to lay themselves out for one training run."""

    compiled: CompiledNetwork
    prepared: PreparedData
    loss: str
    task: str
    classes: tuple[str, ...] | None
    labels: dict                  # neuron id -> label
    levels: dict                  # neuron id -> level index (inputs 0)
    eval_name: str                # "validation" or "training"
    eval_rows: np.ndarray         # row indices into prepared.X (file order)
    raw_columns: tuple[str, ...]  # the data columns the input features are made of
    raw: dict = field(default_factory=dict)   # column -> raw values for every row
    plane: Plane | None = None
    network: object = None        # the GUI's copy of the network (for the closed form)

    # ---------------------------------------------------------------- facts
    @property
    def is_classification(self) -> bool:
        return self.task == CLASSIFICATION

    @property
    def n_classes(self) -> int:
        """Classes shown: K outputs, or 2 for one bce output."""
        if not self.is_classification:
            return 0
        return 2 if self.compiled.n_outputs == 1 else self.compiled.n_outputs

    @property
    def class_names(self) -> list[str]:
        if self.classes:
            names = list(self.classes)
            if len(names) >= self.n_classes:
                return names[:self.n_classes]
        return [str(k) for k in range(self.n_classes)]

    def true_class(self, rows: np.ndarray) -> np.ndarray:
        """Class index of data rows (classification)."""
        Y = self.prepared.Y[rows]
        if Y.shape[1] == 1:
            return (Y[:, 0] >= 0.5).astype(np.intp)
        return np.argmax(Y, axis=1)

    def predicted_class(self, outputs: np.ndarray) -> np.ndarray:
        """Class index from network outputs (m, K)."""
        if outputs.shape[1] == 1:
            return (outputs[:, 0] >= 0.5).astype(np.intp)
        return np.argmax(outputs, axis=1)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Per-class scores (m, n_classes): a single sigmoid output p becomes (1-p, p)."""
        if outputs.shape[1] == 1 and self.is_classification:
            p = outputs[:, 0]
            return np.stack([1 - p, p], axis=1)
        return outputs

    # ---------------------------------------------------------- inspection
    def inspect_rows(self, selected: int) -> tuple[np.ndarray, "InspectLayout"]:
        """The network inputs whose outputs each frame should carry, and where each
        part sits in them."""
        X = self.prepared.X
        parts = [X[self.eval_rows], X[[selected]]]
        n_eval = len(self.eval_rows)
        grid = slice(n_eval + 1, n_eval + 1)
        if self.plane is not None:
            parts.append(self.plane.inputs)
            grid = slice(n_eval + 1, n_eval + 1 + len(self.plane.inputs))
        rows = np.ascontiguousarray(np.concatenate(parts, axis=0))
        rows.setflags(write=False)
        return rows, InspectLayout(eval=slice(0, n_eval), selected=n_eval, selected_row=selected,
                                   grid=grid)


@dataclass(frozen=True)
class InspectLayout:
    """Where the parts of ``snapshot.outputs`` are (see :meth:`Session.inspect_rows`)."""

    eval: slice
    selected: int
    selected_row: int
    grid: slice


# ------------------------------------------------------------------ building
def feature_columns(features: list[str], columns: tuple[str, ...]) -> list[str]:
    """The raw data columns the feature expressions use, in order of first use."""
    out: list[str] = []
    for expr in features:
        names = [expr] if expr in columns else [name for name, _ in parse_feature(expr)]
        for name in names:
            if name not in out:
                out.append(name)
    return out


def features_from_columns(features: list[str], columns: dict[str, np.ndarray],
                          table_columns: tuple[str, ...]) -> np.ndarray:
    """Feature values (points, n_features) from raw column arrays (like
    ``core.data.feature_values``, but for any points, not only a table's rows)."""
    n = len(next(iter(columns.values())))
    out = np.empty((n, len(features)), dtype=np.float64)
    for j, expr in enumerate(features):
        if expr in table_columns:
            out[:, j] = columns[expr]
            continue
        v = np.ones(n)
        for name, power in parse_feature(expr):
            v = v * (columns[name] ** power)
        out[:, j] = v
    return out


def default_plane_columns(raw_columns: list[str], raw: dict[str, np.ndarray],
                          prepared: PreparedData) -> tuple[str, ...]:
    """Two columns for the plane: the pair that best separates the classes (largest ratio
    of between-class to within-class spread, summed over the two), or the first two."""
    if len(raw_columns) <= 2:
        return tuple(raw_columns)
    if prepared.task != CLASSIFICATION or prepared.dataset is None:
        return tuple(raw_columns[:2])
    y = prepared.dataset.y
    scores = []
    for name in raw_columns:
        v = raw[name]
        total = v.var() or 1.0
        within = np.mean([v[y == c].var() for c in np.unique(y)])
        scores.append(1.0 - within / total)
    best = np.argsort(scores)[::-1][:2]
    return tuple(raw_columns[i] for i in sorted(best))


def make_plane(prepared: PreparedData, raw_columns: list[str], raw: dict[str, np.ndarray],
               columns: tuple[str, ...]) -> Plane | None:
    """The data view's grid (two columns) or curve (one column), as network inputs."""
    if not columns or len(columns) > 2:
        return None
    train = prepared.split[0] if prepared.split is not None else slice(None)
    ranges = []
    for name in columns:
        v = raw[name]
        lo, hi = float(v.min()), float(v.max())
        pad = (hi - lo) * PAD or 1.0
        ranges.append((lo - pad, hi + pad))
    if len(columns) == 2:
        xs = np.linspace(*ranges[0], GRID_SIZE)
        ys = np.linspace(*ranges[1], GRID_SIZE)
        gx, gy = np.meshgrid(xs, ys)            # (ny, nx), x fastest when raveled
        values = {columns[0]: gx.ravel(), columns[1]: gy.ravel()}
        shape = (GRID_SIZE, GRID_SIZE)
    else:
        values = {columns[0]: np.linspace(*ranges[0], CURVE_POINTS)}
        shape = (CURVE_POINTS,)
    n = len(next(iter(values.values())))
    held = tuple(c for c in raw_columns if c not in columns)
    for name in held:
        values[name] = np.full(n, float(raw[name][train].mean()))
    X = features_from_columns(prepared.features, values, prepared.table.columns)
    if prepared.scaler is not None:
        X = prepared.scaler.transform(X)
    X = np.ascontiguousarray(X)
    X.setflags(write=False)
    return Plane(columns=tuple(columns), x_range=ranges[0],
                 y_range=ranges[1] if len(columns) == 2 else None, shape=shape, inputs=X,
                 held=held)


def build_session(compiled: CompiledNetwork, prepared: PreparedData, labels: dict, levels: dict,
                  plane_columns: tuple[str, ...] | None = None, network=None) -> Session:
    """A session for ``compiled`` (the GUI's copy) training on ``prepared``."""
    train, val, _test = prepared.split if prepared.split is not None else (
        np.arange(prepared.m), np.array([], dtype=np.int64), None)
    if len(val):
        eval_name, eval_rows = "validation", val
    else:
        eval_name, eval_rows = "training", train
    if len(eval_rows) > MAX_EVAL_ROWS:
        eval_rows = eval_rows[np.linspace(0, len(eval_rows) - 1, MAX_EVAL_ROWS).astype(np.int64)]
    eval_rows = np.asarray(eval_rows, dtype=np.int64)
    eval_rows.setflags(write=False)
    table = prepared.table
    raw_columns = feature_columns(prepared.features, table.columns)
    raw = {name: table.numeric(name) for name in raw_columns}
    if plane_columns is None or any(c not in raw_columns for c in plane_columns):
        plane_columns = default_plane_columns(raw_columns, raw, prepared)
    plane = make_plane(prepared, raw_columns, raw, tuple(plane_columns))
    return Session(compiled=compiled, prepared=prepared, loss=compiled.loss, task=prepared.task,
                   classes=None if prepared.classes is None else tuple(prepared.classes),
                   labels=dict(labels), levels=dict(levels), eval_name=eval_name,
                   eval_rows=eval_rows, raw_columns=tuple(raw_columns), raw=raw, plane=plane,
                   network=network)


class NeuronProbe:
    """Every neuron's activation for some inputs, from a snapshot's weights: a forward
    pass of the core engine on the GUI's own compiled copy (for the data view's "output of
    this hidden neuron over the plane" and the canvas's activations on the selected sample).
    Buffers are made once per set of inputs."""

    def __init__(self, compiled: CompiledNetwork, inputs: np.ndarray) -> None:
        from nnstudio.core.engine import Data, Engine

        self.compiled = compiled
        self.inputs = inputs if isinstance(inputs, np.ndarray) else np.asarray(inputs)
        self._params = compiled.new_params()
        self._data = Data(compiled, self.inputs)
        self._engine = Engine(compiled, self._params, None, max(1, self._data.m))
        self._rows = {nid: int(r) for nid, r in zip(compiled.neuron_ids, compiled.neuron_rows)}
        self.row: int | None = None       # which data row the inputs are (set by the user)
        self._inputs = {nid: j for j, nid in enumerate(compiled.input_ids)}

    def run(self, weights: np.ndarray, biases: np.ndarray) -> None:
        cn = self.compiled
        np.copyto(self._params, cn.params_from_vectors(weights, biases))
        self._engine.load_range(self._data, 0)
        with np.errstate(all="ignore"):
            self._engine.forward()

    def activation(self, neuron_id: int) -> np.ndarray:
        """The neuron's activation for every input row (after :meth:`run`), a fresh array."""
        if neuron_id in self._inputs:
            return self.inputs[:, self._inputs[neuron_id]].astype(np.float64)
        return np.array(self._engine.A[self._rows[neuron_id]], dtype=np.float64)

    def outputs(self) -> np.ndarray:
        """The network outputs ``(rows, K)`` in output-id order (after :meth:`run`)."""
        return self.compiled.outputs_by_column(self._engine.out)

    def values(self, row: int = 0) -> np.ndarray:
        """Every non-input neuron's activation for one input row, in ``neuron_ids`` order."""
        return np.array(self._engine.A[self.compiled.neuron_rows, row], dtype=np.float64)

    def all_activations(self, row: int = 0) -> dict[int, float]:
        """Every neuron's activation for one input row (after :meth:`run`)."""
        out = {nid: float(self.inputs[row, j]) for nid, j in self._inputs.items()}
        A = self._engine.A
        out.update({nid: float(A[r, row]) for nid, r in self._rows.items()})
        return out
