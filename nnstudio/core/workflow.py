"""Join a project's network with a data file: the steps between "a CSV and a network" and
"matrices the engine trains on". Pure Python + NumPy (no Qt): the command line and the
GUI's training worker both use it.

Training (:func:`prepare_training`)
-----------------------------------
1. **Target column**: the one asked for, else the project's data binding, else the last
   column of the file.
2. **Task** from the network's loss: ``mse`` is regression; ``bce``, ``ova`` and
   ``cross_entropy`` are classification.
3. **Features**, one expression per input neuron (in ``net.inputs()`` order, by id):
   polynomial features of degree ``poly`` over every non-target column when ``poly`` is
   given (:func:`~nnstudio.core.data.polynomial_features`); else the inputs' own
   ``feature`` fields when every input has one; else every non-target column in file
   order. A count that differs from the network's inputs is a :class:`FeatureCountError`
   that names both.
4. **Classes**: kept from the binding when it names the same target column (so class
   indices, and so output neurons, stay put); else the distinct labels, sorted.
5. **Split**: ``settings.split`` with ``settings.seed``, stratified by class for
   classification (:func:`~nnstudio.core.data.split_indices`).
6. **Scaling**: with ``settings.standardize``, a :class:`Standardizer` fitted on the
   training rows only and applied to every row.
7. **Targets**: ``Dataset.targets(n_outputs)``: one column for regression or a 0/1 output,
   one-hot rows for K outputs.

Evaluation and prediction (:func:`prepare_evaluation`)
-------------------------------------------------------
New data goes through the *stored* choices: the inputs' features, the binding's target
column, classes and scaler. Nothing is refitted and there is no split. For prediction the
target column may be absent (``require_target=False``).

Nothing here changes the project. :func:`binding_changes` says which neuron fields a
preparation implies (for an undoable edit in the GUI); :func:`apply_binding` makes them,
and stores the binding, directly (the command line).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nnstudio.core.data import (
    CLASSIFICATION,
    REGRESSION,
    DataError,
    Dataset,
    Standardizer,
    Table,
    feature_values,
    load_dataset,
    polynomial_features,
    read_csv,
    split_indices,
)
from nnstudio.core.graph import Network, NetworkError
from nnstudio.core.settings import DataBinding, Project, TrainingSettings

__all__ = [
    "FeatureCountError",
    "PreparedData",
    "task_for_loss",
    "resolve_target",
    "resolve_features",
    "prepare_training",
    "prepare_evaluation",
    "binding_changes",
    "apply_binding",
]

#: Task implied by each loss.
TASK_FOR_LOSS = {
    "mse": REGRESSION,
    "bce": CLASSIFICATION,
    "ova": CLASSIFICATION,
    "cross_entropy": CLASSIFICATION,
}


class FeatureCountError(DataError):
    """The data gives a different number of features than the network has inputs.

    ``n_inputs`` and ``features`` (the expressions the data gives) are kept so a caller
    can suggest a fix in its own terms (the CLI names ``--layers``).
    """

    def __init__(self, message: str, n_inputs: int, features: Sequence[str]) -> None:
        super().__init__(message)
        self.n_inputs = n_inputs
        self.features = list(features)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(items: Sequence[str], limit: int = 8) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... ({len(items)} in all)"


def _file(table: Table) -> str:
    return os.path.basename(table.path) if table.path else "the data"


def task_for_loss(loss: str) -> str:
    """``"regression"`` for ``mse``, ``"classification"`` for the other losses."""
    try:
        return TASK_FOR_LOSS[loss]
    except KeyError:
        raise NetworkError(f"unknown loss '{loss}'") from None


def resolve_target(table: Table, target: str | None = None,
                   binding: DataBinding | None = None) -> str:
    """The target column: ``target`` if given, else the binding's, else the last column.
    DataError listing the columns if it is not in the table."""
    if target is None and binding is not None:
        target = binding.target
    if target is None:
        target = table.columns[-1]
    table.index(target)
    return target


def resolve_features(net: Network, table: Table, target: str | None,
                     poly: int | None = None) -> list[str]:
    """The feature expression for each input neuron, in ``net.inputs()`` order.

    ``poly`` given: every polynomial feature of degree 1..poly over the non-target
    columns. Else the inputs' ``feature`` fields when all are set (an input without one,
    among inputs that have one, is an error naming it). Else every non-target column.
    ``target`` None means the table has no target column (prediction data).
    """
    inputs = net.inputs()
    if not inputs:
        raise NetworkError("the network has no input neurons")
    columns = [c for c in table.columns if c != target]
    if poly is not None:
        if not columns:
            raise DataError(f"{_file(table)} has only the target column {target!r}; "
                            "there is no column for polynomial features")
        features = polynomial_features(columns, poly)
        how = f"polynomial degree {poly} on column{'s' if len(columns) > 1 else ''} " \
              f"{_names(columns)} gives {_plural(len(features), 'feature')}"
    else:
        bound = [n for n in inputs if n.feature]
        if bound:
            unbound = [n for n in inputs if not n.feature]
            if unbound:
                free = [c for c in columns if c not in {n.feature for n in bound}]
                example = f" such as {free[0]!r}" if free else ""
                raise DataError(
                    f"input neuron {unbound[0].label or ''} (#{unbound[0].id}) has no data "
                    f"feature while other inputs have one; set its feature (a column "
                    f"name{example} or an expression like 'x^2')")
            return [n.feature for n in inputs]
        if not columns:
            raise DataError(f"{_file(table)} has only the target column {target!r}; "
                            "there is no column left to use as a feature")
        features = columns
        what = "column" if target is None else "non-target column"
        how = f"{_file(table)} has {_plural(len(features), what)}"
    if len(features) != len(inputs):
        raise FeatureCountError(
            f"the network has {_plural(len(inputs), 'input')} but {how} "
            f"({_names(features)})", len(inputs), features)
    return features


@dataclass(eq=False)
class PreparedData:
    """A data file made ready for one network.

    ``X`` (m, n) float64 holds the network's input values for every row of the file, in
    file order, one column per input neuron (``net.inputs()`` order); scaled by ``scaler``
    when there is one. ``Y`` (m, K) holds the targets in ``net.outputs()`` order, or is
    None for prediction data without a target column. ``dataset`` keeps the raw (unscaled)
    features and the class index of every row (None without a target).

    ``split`` is ``(train, val, test)`` sorted row-index arrays for training, None for
    evaluation (every row counts). ``X_train``, ``Y_val`` ... are views by that split;
    ``X_val``/``X_test`` are None when that part is empty.
    """

    table: Table
    features: list[str]
    target: str | None
    task: str
    classes: list[str] | None
    X: np.ndarray
    Y: np.ndarray | None
    dataset: Dataset | None
    scaler: Standardizer | None = None
    split: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def m(self) -> int:
        return int(self.X.shape[0])

    @property
    def path(self) -> str:
        return os.path.abspath(self.table.path) if self.table.path else ""

    def part(self, which: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(X, Y)`` of ``"train"``, ``"val"``, ``"test"`` or ``"all"``; ``(None, None)``
        for an empty part. Without a split, ``"train"`` and ``"all"`` are every row."""
        if which == "all" or (self.split is None and which == "train"):
            return self.X, self.Y
        if self.split is None:
            return None, None
        idx = self.split[("train", "val", "test").index(which)]
        if idx.size == 0:
            return None, None
        return self.X[idx], (None if self.Y is None else self.Y[idx])

    X_train = property(lambda self: self.part("train")[0])
    Y_train = property(lambda self: self.part("train")[1])
    X_val = property(lambda self: self.part("val")[0])
    Y_val = property(lambda self: self.part("val")[1])
    X_test = property(lambda self: self.part("test")[0])
    Y_test = property(lambda self: self.part("test")[1])

    def binding(self) -> DataBinding:
        """The :class:`DataBinding` to store in the project (absolute path)."""
        return DataBinding(path=self.path, target=self.target or "", task=self.task,
                           classes=None if self.classes is None else list(self.classes),
                           scaler=None if self.scaler is None else self.scaler.to_dict())

    def output_targets(self, n_outputs: int) -> list[str]:
        """What each output neuron stands for: the target column (regression), the
        positive class (one 0/1 output), or its class (one output per class)."""
        if self.task == REGRESSION or not self.classes:
            return [self.target or ""] * n_outputs
        if n_outputs == 1:
            return [self.classes[-1]]
        return list(self.classes[:n_outputs])


def _check_network(net: Network) -> None:
    """NetworkError naming the first validation error and its neuron ids, if any."""
    errors = net.errors()
    if errors:
        first = errors[0]
        ids = f" (neuron{'s' if len(first.neurons) > 1 else ''} " \
              f"{', '.join(f'#{i}' for i in first.neurons)})" if first.neurons else ""
        more = f"; and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}" \
            if len(errors) > 1 else ""
        raise NetworkError(f"{first.message}{ids}{more}")


def _load(data: str | os.PathLike | Table) -> Table:
    return data if isinstance(data, Table) else read_csv(data)


def _data_path(project: Project, data) -> str | os.PathLike | Table:
    if data is not None:
        return data
    if project.data is None or not project.data.path:
        raise DataError("the network has no data file bound to it: give a CSV file")
    return project.data.path


def _classes_from_binding(binding: DataBinding | None, target: str, task: str) -> list[str] | None:
    if task != CLASSIFICATION or binding is None or binding.target != target:
        return None
    return list(binding.classes) if binding.classes else None


def prepare_training(project: Project, data: str | os.PathLike | Table | None = None, *,
                     target: str | None = None, poly: int | None = None,
                     settings: TrainingSettings | None = None) -> PreparedData:
    """Everything the engine needs to train ``project.network`` on ``data``.

    ``data`` is a CSV path or a :class:`Table` (default: the project's bound file);
    ``settings`` default to ``project.settings`` (their ``split``, ``seed`` and
    ``standardize`` are used). The scaler is fitted on the training rows only. Raises
    DataError (data problems, feature/target counts) or NetworkError (a network that
    cannot train). The project is not changed: see :func:`apply_binding`.
    """
    net = project.network
    _check_network(net)
    settings = settings or project.settings
    table = _load(_data_path(project, data))
    target = resolve_target(table, target, project.data)
    task = task_for_loss(net.loss)
    features = resolve_features(net, table, target, poly)
    dataset = load_dataset(table, features=features, target=target, task=task,
                           classes=_classes_from_binding(project.data, target, task))
    Y = dataset.targets(len(net.outputs()))
    labels = dataset.y if task == CLASSIFICATION else None
    split = split_indices(dataset.m, settings.split, settings.seed, labels)
    X, scaler = dataset.X, None
    if settings.standardize:
        scaler = Standardizer.fit(dataset.X[split[0]])
        X = scaler.transform(dataset.X)
    return PreparedData(table=table, features=list(dataset.features), target=target, task=task,
                        classes=dataset.classes, X=X, Y=Y, dataset=dataset, scaler=scaler,
                        split=split)


def _stored_scaler(project: Project, n_features: int) -> Standardizer | None:
    binding = project.data
    if binding is None or binding.scaler is None:
        return None
    scaler = Standardizer.from_dict(binding.scaler)
    if scaler.n != n_features:
        raise DataError(f"the network's stored feature scaling is for {scaler.n} "
                        f"feature{'s' if scaler.n != 1 else ''} but it has {n_features} inputs")
    return scaler


def prepare_evaluation(project: Project, data: str | os.PathLike | Table | None = None, *,
                       require_target: bool = True) -> PreparedData:
    """``data`` made ready for evaluating or running ``project.network`` as trained.

    Uses the stored features, target column, classes and scaler (nothing is refitted;
    every row counts, no split). The target column is the binding's, else the last
    column. With ``require_target=False`` a file without that column is accepted
    (``Y`` and ``dataset`` are then None), for prediction on new data.
    """
    net = project.network
    _check_network(net)
    table = _load(_data_path(project, data))
    binding = project.data
    task = task_for_loss(net.loss)
    target = binding.target if binding is not None and binding.target else table.columns[-1]
    has_target = target in table.columns
    if not has_target and require_target:
        table.index(target)  # DataError listing the columns
    features = resolve_features(net, table, target if has_target else None)
    classes = _classes_from_binding(binding, target, task)
    dataset = Y = None
    if has_target:
        dataset = load_dataset(table, features=features, target=target, task=task,
                               classes=classes)
        Y = dataset.targets(len(net.outputs()))
        raw, features, classes = dataset.X, list(dataset.features), dataset.classes
    else:
        raw = np.empty((table.m, len(features)), dtype=np.float64)
        for j, expr in enumerate(features):
            raw[:, j] = feature_values(table, expr)
    scaler = _stored_scaler(project, len(features))
    X = raw if scaler is None else scaler.transform(raw)
    return PreparedData(table=table, features=features, target=target if has_target else None,
                        task=task, classes=classes, X=X, Y=Y, dataset=dataset, scaler=scaler)


def binding_changes(net: Network, prepared: PreparedData) -> dict[int, dict]:
    """Neuron field changes that bind ``net`` to ``prepared``: ``{id: {field: value}}``
    with only the fields that differ. Inputs get ``feature`` and ``label`` (the
    expression); outputs get ``target`` and ``label`` (see
    :meth:`PreparedData.output_targets`). Suitable for ``Network.update_neuron``."""
    changes: dict[int, dict] = {}

    def want(neuron, **fields) -> None:
        diff = {k: v for k, v in fields.items() if getattr(neuron, k) != v}
        if diff:
            changes[neuron.id] = diff

    for neuron, feature in zip(net.inputs(), prepared.features):
        want(neuron, feature=feature, label=feature)
    outputs = net.outputs()
    for neuron, target in zip(outputs, prepared.output_targets(len(outputs))):
        label = prepared.target if (len(outputs) == 1 and prepared.target) else target
        want(neuron, target=target, label=label)
    return changes


def apply_binding(project: Project, prepared: PreparedData) -> None:
    """Bind the project to ``prepared``: set its neurons' features and targets (see
    :func:`binding_changes`) and store ``prepared.binding()`` as ``project.data``."""
    for nid, fields in binding_changes(project.network, prepared).items():
        project.network.update_neuron(nid, **fields)
    project.data = prepared.binding()
