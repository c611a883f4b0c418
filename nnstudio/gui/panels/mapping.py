"""How a dataset maps onto a network's inputs and outputs (no widgets here).

The dataset panel uses these to infer the task from the target column, to offer the ways
outputs can encode it (one linear output, one sigmoid output, one softmax or sigmoid
output per class), and to build the commands that make a network match the data.
"""

from __future__ import annotations

from nnstudio.core import commands
from nnstudio.core.data import REGRESSION, Table, load_dataset
from nnstudio.core.graph import layer_positions

_ROW_COLUMN = "\x00row"  # a stand-in feature used to infer the task from the target alone

#: How the outputs can encode the target: mode -> (loss, output activation).
OUTPUT_MODES = {
    "linear": ("mse", "identity"),
    "binary": ("bce", "sigmoid"),
    "softmax": ("cross_entropy", "softmax"),
    "ova": ("ova", "sigmoid"),
}


def infer_target(table: Table, target: str, task: str | None = None) -> tuple[str, list[str] | None]:
    """(task, classes) of ``target`` in ``table``, whatever the feature columns hold."""
    j = table.index(target)  # DataError listing the columns if there is none
    sub = Table(table.path, (target, _ROW_COLUMN),
                tuple((row[j], "0") for row in table.cells), table.lines)
    ds = load_dataset(sub, features=[_ROW_COLUMN], target=target, task=task)
    return ds.task, ds.classes


def output_modes(task: str, classes: list[str] | None) -> list[tuple[str, str]]:
    """The ways outputs can encode this target: (mode, description), default first."""
    if task == REGRESSION:
        return [("linear", "1 linear output (mean squared error)")]
    k = len(classes or ())
    modes = []
    if k == 2:
        modes.append(("binary", "1 sigmoid output (binary cross-entropy)"))
    modes.append(("softmax", f"{k} softmax outputs (cross-entropy)"))
    modes.append(("ova", f"{k} sigmoid outputs (one-versus-all)"))
    return modes


def class_label(target: str, cls: str) -> str:
    """An output neuron's label for a class: the class name, or ``target=3`` for numbers."""
    try:
        float(cls)
    except ValueError:
        return cls
    return f"{target}={cls}"


def output_spec(mode: str, target: str, classes: list[str] | None) -> list[tuple[str, str]]:
    """(label, target binding) of each output neuron, in class order."""
    if mode == "linear":
        return [(target, target)]
    if mode == "binary":
        return [(target, classes[1])]
    return [(class_label(target, c), c) for c in classes]


class ConnectAll(commands.Command):
    """Connect every source to every target, where an end may be a neuron added by an
    earlier command of the same macro (an :class:`AddNeuron`, whose id is known only once
    it has been done)."""

    def __init__(self, sources: list, targets: list) -> None:
        self.sources, self.targets = list(sources), list(targets)
        self._inner: commands.AddConnections | None = None
        self.text = "Connect inputs to outputs"

    @staticmethod
    def _id(end) -> int:
        return end if isinstance(end, int) else end.id

    def do(self, net) -> None:
        if self._inner is None:
            pairs = [(self._id(s), self._id(t)) for s in self.sources for t in self.targets]
            self._inner = commands.AddConnections(
                [p for p in pairs if not net.has_connection(*p)])
        self._inner.do(net)

    def undo(self, net) -> None:
        self._inner.undo(net)


def io_commands(net, features: list[str], outputs: list[tuple[str, str]], loss: str,
                activation: str, connect: bool) -> list:
    """Commands that give ``net`` one input per feature and the ``outputs`` (label, target).

    Existing inputs and outputs are reused in id order (rebound, relabelled, keeping their
    connections); extra ones are removed; missing ones are added below the others in the
    input / output column. With ``connect``, every input is connected to every output.
    """
    cmds: list = []
    if net.loss != loss:
        cmds.append(commands.SetLoss(loss, adjust_outputs=False))
    inputs, outs = net.inputs(), net.outputs()
    in_x = min((n.x for n in inputs), default=0.0)
    if outs:
        out_x = max(n.x for n in outs)
    else:  # leave room for a hidden layer between inputs and outputs
        right = max((n.x for n in net.neurons()), default=in_x)
        out_x = right + (2 * commands.COLUMN_GAP if not net.hidden() else commands.COLUMN_GAP)

    def place(kept, n_total, column_x):
        """Positions for the neurons beyond the ``kept`` ones of a column."""
        if not kept:
            return [(column_x, y) for _x, y in layer_positions(n_total, 0, commands.ROW_GAP)]
        bottom = max(n.y for n in kept)
        return [(column_x, bottom + commands.ROW_GAP * (i + 1))
                for i in range(n_total - len(kept))]

    remove = [n.id for n in inputs[len(features):]] + [n.id for n in outs[len(outputs):]]
    if remove:
        cmds.append(commands.RemoveNeurons(remove))

    def reuse(neuron, **wanted) -> None:
        changes = {k: v for k, v in wanted.items() if getattr(neuron, k) != v}
        if changes:
            cmds.append(commands.UpdateNeuron(neuron.id, **changes))

    input_ends: list = []
    for n, feature in zip(inputs, features):
        reuse(n, feature=feature, label=feature)
        input_ends.append(n.id)
    for (x, y), feature in zip(place(inputs[:len(features)], len(features), in_x),
                               features[len(inputs):]):
        add = commands.AddNeuron("input", x, y, label=feature, feature=feature)
        cmds.append(add)
        input_ends.append(add)

    output_ends: list = []
    for n, (label, target) in zip(outs, outputs):
        reuse(n, target=target, label=label, activation=activation)
        output_ends.append(n.id)
    for (x, y), (label, target) in zip(place(outs[:len(outputs)], len(outputs), out_x),
                                       outputs[len(outs):]):
        add = commands.AddNeuron("output", x, y, label=label, target=target, activation=activation)
        cmds.append(add)
        output_ends.append(add)

    if connect:
        cmds.append(ConnectAll(input_ends, output_ends))
    return cmds
