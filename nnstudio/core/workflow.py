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
   training rows only and applied to every row; a project that continues training (it has
   a training state) on the same features keeps its stored scaler instead, since its
   weights were learned on inputs scaled by it.
7. **Targets**: ``Dataset.targets(n_outputs)``: one column for regression or a 0/1 output,
   one-hot rows for K outputs.

Evaluation and prediction (:func:`prepare_evaluation`)
-------------------------------------------------------
New data goes through the *stored* choices: the inputs' features, the binding's target
column, classes and scaler. Nothing is refitted and there is no split, unless
``split=True`` asks to draw the training split again (to score the test rows once, course
section 2). For prediction the target column is not read (``require_target=False``).

Before training
---------------
* :func:`initialize_if_needed`: a network with every weight 0 and no training state (drawn
  on the canvas, built by ``graph.layered`` or by edit commands) gets its weights from
  ``settings.init`` and ``settings.seed``. The command line and the app's training both
  call it, so the same file trains the same way in either.
* :func:`preprocessing_changes`: what a preparation changes (standardization, features,
  target) relative to the run that produced the project's training state; continuing that
  state on differently prepared inputs is refused by the command line.

Checking (:func:`project_problems`)
-----------------------------------
``network.validate()`` plus the problems that need more than the graph: the inputs'
feature expressions (and, given the data's columns, the columns they use), and the
``zero_weights`` warning when all-zero weights will not be initialized (hidden neurons
would stay identical).

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
    canonical_feature,
    feature_values,
    load_dataset,
    parse_feature,
    polynomial_features,
    read_csv,
    split_indices,
)
from nnstudio.core.graph import Network, NetworkError, Problem
from nnstudio.core.settings import DataBinding, Project, TrainingSettings

__all__ = [
    "FeatureCountError",
    "PreparedData",
    "task_for_loss",
    "resolve_target",
    "resolve_features",
    "prepare_training",
    "prepare_evaluation",
    "preprocessing_changes",
    "binding_changes",
    "apply_binding",
    "needs_initialization",
    "initialize_if_needed",
    "zero_weight_problem",
    "feature_problems",
    "project_problems",
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


def _neuron(n) -> str:
    """``input neuron x1 (#1)``."""
    return f"{n.role} neuron {n.label or ''} (#{n.id})".replace("  ", " ")


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
            for n in inputs:
                try:
                    canonical_feature(table, n.feature)
                except DataError as e:
                    raise DataError(f"{_neuron(n)}: {e}") from None
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
    ``standardize`` are used). The scaler is fitted on the training rows only, except
    when the project continues training (it has a training state) with the same
    features: then its stored scaler is kept, since the weights were learned on inputs
    scaled by it. Raises DataError (data problems, feature/target counts, values too
    large) or NetworkError (a network that cannot train). The project is not changed:
    see :func:`apply_binding`.
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
        scaler = _continued_scaler(project, dataset.features)
        if scaler is None:
            scaler = Standardizer.fit(dataset.X[split[0]], names=dataset.features,
                                      lines=[table.line(int(i)) for i in split[0]],
                                      source=table.path)
        X = _scaled(scaler, dataset.X, dataset.features, table)
    return PreparedData(table=table, features=list(dataset.features), target=target, task=task,
                        classes=dataset.classes, X=X, Y=Y, dataset=dataset, scaler=scaler,
                        split=split)


def _continued_scaler(project: Project, features: Sequence[str]) -> Standardizer | None:
    """The stored scaler, when training continues (a training state) on the same features."""
    binding = project.data
    if project.state is None or binding is None or binding.scaler is None:
        return None
    if [n.feature for n in project.network.inputs()] != list(features):
        return None
    try:
        scaler = Standardizer.from_dict(binding.scaler)
    except DataError:
        return None
    return scaler if scaler.n == len(features) else None


def _scaled(scaler: Standardizer, raw: np.ndarray, features: Sequence[str], table: Table,
            ) -> np.ndarray:
    """``scaler.transform(raw)``; DataError naming the feature and the file line of the
    first value that overflows (a value far outside the range the scaler was fitted on)."""
    X = scaler.transform(raw)
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{_file(table)} line {table.line(i)}: feature {features[j]!r} is "
                        f"{raw[i, j]:.6g}, too far from the values the scaling was fitted on "
                        f"(mean {scaler.mean[j]:.6g}, standard deviation {scaler.std[j]:.6g}) "
                        "to be scaled")
    return X


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
                       require_target: bool = True, split: bool = False) -> PreparedData:
    """``data`` made ready for evaluating or running ``project.network`` as trained.

    Uses the stored features, target column, classes and scaler (nothing is refitted;
    every row counts, no split). The target column is the binding's, else the last
    column. With ``require_target=False`` (prediction on new data) the target column is
    not read at all, so it may be absent or hold classes the network does not know
    (``Y`` and ``dataset`` are then None).

    ``split=True`` reproduces the training split on these rows: ``settings.split`` with
    ``settings.seed``, stratified by class for classification, exactly as
    :func:`prepare_training` drew it (so, on the data the network was trained on,
    ``part("test")`` is the test rows it never saw). Needs the target.
    """
    net = project.network
    _check_network(net)
    table = _load(_data_path(project, data))
    binding = project.data
    task = task_for_loss(net.loss)
    target = binding.target if binding is not None and binding.target else table.columns[-1]
    has_target = target in table.columns
    if (not has_target and require_target) or (split and not has_target):
        table.index(target)  # DataError listing the columns
    features = resolve_features(net, table, target if has_target else None)
    classes = _classes_from_binding(binding, target, task)
    dataset = Y = None
    if has_target and (require_target or split):
        dataset = load_dataset(table, features=features, target=target, task=task,
                               classes=classes)
        Y = dataset.targets(len(net.outputs()))
        raw, features, classes = dataset.X, list(dataset.features), dataset.classes
    else:
        raw = np.empty((table.m, len(features)), dtype=np.float64)
        for j, expr in enumerate(features):
            raw[:, j] = feature_values(table, expr)
        features = [canonical_feature(table, f) for f in features]
    scaler = _stored_scaler(project, len(features))
    X = raw if scaler is None else _scaled(scaler, raw, features, table)
    parts = None
    if split:
        labels = dataset.y if task == CLASSIFICATION else None
        parts = split_indices(dataset.m, project.settings.split, project.settings.seed, labels)
    return PreparedData(table=table, features=features, target=target if has_target else None,
                        task=task, classes=classes, X=X, Y=Y, dataset=dataset, scaler=scaler,
                        split=parts)


def preprocessing_changes(project: Project, prepared: PreparedData,
                          settings: TrainingSettings | None = None) -> list[str]:
    """How ``prepared`` (with ``settings``, default the project's) prepares the inputs
    differently from the run that produced the project's training state: a list such as
    ``["standardization on -> off", "features x -> x, x^2", "target 'y' -> 'z'"]``.

    Empty when the project has no training state (nothing learned yet to lose) or nothing
    changed. Continuing a training state after such a change would run the old optimizer
    on inputs the weights were not learned on; callers refuse (the command line) or ask.
    """
    if project.state is None:
        return []
    settings = settings or project.settings
    changes = []
    binding = project.data
    # What the weights were trained with: the stored scaler says it (the settings may
    # have been edited since); without a binding, the settings.
    before = binding.scaler is not None if binding is not None else project.settings.standardize
    if settings.standardize != before:
        changes.append(f"standardization {'on' if before else 'off'} -> "
                       f"{'on' if settings.standardize else 'off'}")
    old = [n.feature for n in project.network.inputs()]
    if all(old) and old != list(prepared.features):
        changes.append(f"features {_names(old)} -> {_names(prepared.features)}")
    if binding is not None and binding.target and prepared.target \
            and binding.target != prepared.target:
        changes.append(f"target {binding.target!r} -> {prepared.target!r}")
    return changes


# ------------------------------------------------------------------ initialization
def needs_initialization(project: Project, settings: TrainingSettings | None = None) -> bool:
    """True when training ``project`` should first initialize its weights: it has no
    training state, at least one connection, every weight exactly 0 (a network drawn on
    the canvas, built by :func:`~nnstudio.core.graph.layered` or by commands, has no
    weights yet), and the initialization setting is not ``"zeros"``."""
    settings = settings or project.settings
    conns = project.network.connections()
    return (project.state is None and settings.init != "zeros" and bool(conns)
            and all(c.weight == 0.0 for c in conns))


def initialize_if_needed(project: Project, settings: TrainingSettings | None = None) -> bool:
    """Initialize the weights before training when :func:`needs_initialization` says so:
    ``nnstudio.core.training.initialize(net, settings.init, settings.seed)`` (``settings``
    default to the project's). Biases the network already has are kept (``initialize``
    zeroes them; with all weights 0 they are usually 0 anyway). Returns True if it
    initialized, False if the network was left as it is.

    Both the command line's ``train`` and the app's training call it just before a run,
    so a network drawn with all-zero weights trains the same way in either (hidden
    neurons that start identical would stay identical forever, TOPICS section 5).
    """
    settings = settings or project.settings
    if not needs_initialization(project, settings):
        return False
    from nnstudio.core.training import initialize

    net = project.network
    _, biases = net.parameters()
    initialize(net, settings.init, settings.seed)
    weights, _ = net.parameters()
    if any(biases.values()):
        net.set_parameters(weights, biases)
    return True


def zero_weight_problem(project: Project, settings: TrainingSettings | None = None) -> Problem | None:
    """A ``zero_weights`` warning when the network has hidden neurons, every weight is 0
    and training will not initialize them (initialization ``zeros``, or a training state
    to continue): its hidden neurons compute the same value and get the same updates, so
    they stay identical (symmetry is never broken). None otherwise."""
    settings = settings or project.settings
    net = project.network
    hidden = net.hidden()
    conns = net.connections()
    if not hidden or not conns or any(c.weight != 0.0 for c in conns) \
            or needs_initialization(project, settings):
        return None
    why = "the initialization is 'zeros'" if settings.init == "zeros" else \
        "training continues from them (there is a training state)"
    return Problem(
        "zero_weights",
        f"every weight is 0 and {why}: the hidden neurons {_names([n.label for n in hidden])} "
        "compute the same value and get the same updates, so they stay identical; "
        "initialize them (glorot, he or uniform) to break the symmetry",
        tuple(n.id for n in hidden), "warning")


def feature_problems(net: Network, columns: Sequence[str] | None = None,
                     source: str = "the data") -> list[Problem]:
    """Errors in the inputs' ``feature`` fields, each naming its neuron: an expression
    that does not parse (``x1^^2``), an input without a feature among inputs that have
    one, and, when the data's ``columns`` are given (``source`` names the file), a
    feature that uses a column the data does not have."""
    problems = []
    inputs = net.inputs()
    bound = [n for n in inputs if n.feature]
    if bound:
        for n in inputs:
            if not n.feature:
                problems.append(Problem(
                    "unbound_input", f"input {n.label} has no data feature while other inputs "
                    "have one; set its feature (a column name or an expression like 'x^2')",
                    (n.id,)))
    for n in bound:
        if columns is not None and n.feature.strip() in columns:
            continue                      # a column named exactly so, e.g. 'size (m^2)'
        try:
            terms = parse_feature(n.feature)
        except DataError as e:
            problems.append(Problem("bad_feature", f"input {n.label}: {e}", (n.id,)))
            continue
        if columns is not None:
            missing = [c for c, _ in terms if c not in columns]
            if missing:
                problems.append(Problem(
                    "unknown_column", f"input {n.label}: feature {n.feature!r} uses column "
                    f"{missing[0]!r}, which {source} does not have (columns: "
                    f"{_names(list(columns))})", (n.id,)))
    return problems


def project_problems(project: Project, columns: Sequence[str] | None = None,
                     source: str = "the data") -> list[Problem]:
    """``network.validate()`` plus what needs the project around it: the inputs' feature
    expressions (:func:`feature_problems`, against ``columns`` when given) and the
    ``zero_weights`` symmetry warning (:func:`zero_weight_problem`)."""
    problems = list(project.network.validate())
    problems.extend(feature_problems(project.network, columns, source))
    symmetry = zero_weight_problem(project)
    if symmetry is not None:
        problems.append(symmetry)
    return problems


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
