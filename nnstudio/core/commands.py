"""Edits as objects: every change a user makes to a :class:`~nnstudio.core.graph.Network`.

A command is plain data plus two methods::

    cmd.do(net)     # make the change (the first time, or again after undo: "redo")
    cmd.undo(net)   # put the network back exactly as it was before do()
    cmd.text        # what the edit is called in the Edit menu ("Add hidden neuron")

Rules every command keeps:

* ``do`` either succeeds completely or raises :class:`NetworkError` and leaves the network
  unchanged (commands that make several changes roll back the ones already made).
* ``undo`` after ``do`` restores the network exactly (same ids, labels, weights, positions),
  and ``do`` after ``undo`` gives exactly the network that the first ``do`` gave: ids chosen
  on the first ``do`` are remembered and reused.
* Commands touch the model only. The canvas follows the network's events; the GUI wraps
  each command in one ``QUndoCommand`` (``nnstudio.gui.undo``), so one command is one
  undo step. Several edits that belong together go in a :class:`Macro`.

No Qt here: these run (and are tested) without a display.
"""

from __future__ import annotations

import copy
from typing import Iterable, Mapping, Sequence

from .graph import (
    OUTPUT_ACTIVATION_FOR_LOSS,
    Connection,
    Network,
    NetworkError,
    Neuron,
    layer_positions,
)

Key = tuple[int, int]

#: Horizontal distance between two columns of neurons and vertical distance between two
#: neurons of a column, the same as :func:`nnstudio.core.graph.layer_positions`.
COLUMN_GAP = 160.0
ROW_GAP = 70.0

#: Fields of a neuron that :class:`UpdateNeuron` may change (positions go through MoveNeurons).
EDITABLE_FIELDS = ("label", "role", "activation", "bias", "feature", "target")


class Command:
    """Base class: an undoable edit of a network."""

    text = "Edit"

    def do(self, net: Network) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self, net: Network) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def merge(self, other: "Command") -> bool:
        """Absorb ``other`` (the next edit, already done) into this one; True if merged.

        Used for bursts of the same edit (typing a weight digit by digit) so they undo
        as one step. The default merges nothing.
        """
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text!r}>"


def _snapshot(neuron: Neuron) -> Neuron:
    return copy.copy(neuron)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------- neurons
class AddNeuron(Command):
    """Add one neuron. The id, label and activation chosen on the first ``do`` are kept."""

    def __init__(self, role: str, x: float = 0.0, y: float = 0.0, *, label: str | None = None,
                 activation: str | None = None, bias: float = 0.0, feature: str | None = None,
                 target: str | None = None) -> None:
        self.role = role
        self._kwargs = dict(label=label, activation=activation, bias=bias, x=x, y=y,
                            feature=feature, target=target)
        self.neuron: Neuron | None = None  # the neuron as first added
        self.text = f"Add {role} neuron"

    @property
    def id(self) -> int | None:
        return self.neuron.id if self.neuron else None

    def do(self, net: Network) -> None:
        if self.neuron is None:
            self.neuron = _snapshot(net.add_neuron(self.role, **self._kwargs))
        else:
            net.restore_neuron(_snapshot(self.neuron))

    def undo(self, net: Network) -> None:
        net.remove_neuron(self.neuron.id)


class RemoveNeurons(Command):
    """Remove neurons with every connection touching them; undo restores all (same ids, weights)."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.ids = sorted(dict.fromkeys(ids))
        self._removed: list[tuple[Neuron, list[Connection]]] = []
        self.text = f"Delete {_plural(len(self.ids), 'neuron')}"

    def do(self, net: Network) -> None:
        for nid in self.ids:
            net.neuron(nid)  # raise before changing anything if one is missing
        self._removed = []
        for nid in self.ids:
            neuron, conns = net.remove_neuron(nid)
            self._removed.append((_snapshot(neuron), [copy.copy(c) for c in conns]))

    def undo(self, net: Network) -> None:
        # Reverse order: a connection between two removed neurons was taken away with the
        # first of them, so it comes back with that one, after the other exists again.
        for neuron, conns in reversed(self._removed):
            net.restore_neuron(_snapshot(neuron), conns)


class UpdateNeuron(Command):
    """Change a neuron's label, role, activation, bias, feature or target."""

    def __init__(self, neuron_id: int, **changes) -> None:
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise NetworkError(f"a neuron's {', '.join(sorted(unknown))} cannot be edited this way")
        self.neuron_id = neuron_id
        self.changes = dict(changes)
        self.old: dict = {}
        what = ", ".join(self.changes) if self.changes else "nothing"
        self.text = f"Change {what}"

    def do(self, net: Network) -> None:
        self.old = net.update_neuron(self.neuron_id, **self.changes)

    def undo(self, net: Network) -> None:
        net.update_neuron(self.neuron_id, **self.old)

    def merge(self, other: Command) -> bool:
        if (isinstance(other, UpdateNeuron) and other.neuron_id == self.neuron_id
                and set(other.changes) == set(self.changes) and "role" not in self.changes):
            self.changes = dict(other.changes)
            return True
        return False


class MoveNeurons(Command):
    """Move many neurons at once (one drag is one step). ``positions``: id -> (x, y)."""

    def __init__(self, positions: Mapping[int, tuple[float, float]], text: str | None = None) -> None:
        self.positions = {nid: (float(x), float(y)) for nid, (x, y) in positions.items()}
        self.old: dict[int, tuple[float, float]] = {}
        self.text = text or f"Move {_plural(len(self.positions), 'neuron')}"

    def do(self, net: Network) -> None:
        for nid in self.positions:
            net.neuron(nid)
        self.old = {nid: (net.neuron(nid).x, net.neuron(nid).y) for nid in self.positions}
        for nid, (x, y) in self.positions.items():
            net.move_neuron(nid, x, y)

    def undo(self, net: Network) -> None:
        for nid, (x, y) in self.old.items():
            net.move_neuron(nid, x, y)


# ----------------------------------------------------------------- connections
class AddConnections(Command):
    """Add connections ``(source, target)`` or ``(source, target, weight)``; all or none."""

    def __init__(self, connections: Iterable[Sequence]) -> None:
        self.connections: list[tuple[int, int, float]] = []
        for c in connections:
            s, t = int(c[0]), int(c[1])
            w = float(c[2]) if len(c) > 2 else 0.0
            self.connections.append((s, t, w))
        n = len(self.connections)
        self.text = "Connect" if n == 1 else f"Add {n} connections"

    def do(self, net: Network) -> None:
        done: list[Key] = []
        try:
            for s, t, w in self.connections:
                net.add_connection(s, t, w)
                done.append((s, t))
        except NetworkError:
            for key in reversed(done):
                net.remove_connection(*key)
            raise

    def undo(self, net: Network) -> None:
        for s, t, _ in reversed(self.connections):
            net.remove_connection(s, t)


class RemoveConnections(Command):
    """Remove connections by key; undo puts them back with their weights."""

    def __init__(self, keys: Iterable[Key]) -> None:
        self.keys = [tuple(k) for k in dict.fromkeys(tuple(k) for k in keys)]
        self._removed: list[Connection] = []
        self.text = f"Delete {_plural(len(self.keys), 'connection')}"

    def do(self, net: Network) -> None:
        for key in self.keys:
            net.connection(*key)
        self._removed = [copy.copy(net.remove_connection(*key)) for key in self.keys]

    def undo(self, net: Network) -> None:
        for conn in reversed(self._removed):
            net.add_connection(conn.source, conn.target, conn.weight)


class SetWeight(Command):
    """Set one connection's weight."""

    def __init__(self, source: int, target: int, weight: float) -> None:
        self.key = (source, target)
        self.weight = float(weight)
        self.old: float | None = None
        self.text = "Set weight"

    def do(self, net: Network) -> None:
        self.old = net.set_weight(*self.key, self.weight)

    def undo(self, net: Network) -> None:
        net.set_weight(*self.key, self.old)

    def merge(self, other: Command) -> bool:
        if isinstance(other, SetWeight) and other.key == self.key:
            self.weight = other.weight
            return True
        return False


class SetParameters(Command):
    """Set many weights and biases as one step (learned parameters coming back from training)."""

    def __init__(self, weights: Mapping[Key, float], biases: Mapping[int, float],
                 text: str = "Keep learned weights") -> None:
        self.weights = {tuple(k): float(w) for k, w in weights.items()}
        self.biases = {int(k): float(b) for k, b in biases.items()}
        self.old: tuple[dict, dict] = ({}, {})
        self.text = text

    def do(self, net: Network) -> None:
        old_w = {k: net.connection(*k).weight for k in self.weights}
        old_b = {k: net.neuron(k).bias for k in self.biases}
        self.old = (old_w, old_b)
        net.set_parameters(self.weights, self.biases)

    def undo(self, net: Network) -> None:
        net.set_parameters(*self.old)


class SetLoss(Command):
    """Change the network's loss; with ``adjust_outputs`` also the output activations that
    the new loss cannot use (softmax for cross-entropy, sigmoid for bce and ova, and no
    softmax with mse)."""

    def __init__(self, loss: str, adjust_outputs: bool = True) -> None:
        self.loss = loss
        self.adjust_outputs = adjust_outputs
        self.old_loss: str | None = None
        self.old_activations: dict[int, str] = {}
        self.text = f"Set loss to {loss}"

    def _wanted(self, activation: str) -> str:
        if self.loss == "mse":
            return OUTPUT_ACTIVATION_FOR_LOSS["mse"] if activation == "softmax" else activation
        return OUTPUT_ACTIVATION_FOR_LOSS[self.loss]

    def do(self, net: Network) -> None:
        self.old_loss = net.set_loss(self.loss)
        self.old_activations = {}
        if self.adjust_outputs:
            for n in net.outputs():
                wanted = self._wanted(n.activation)
                if wanted != n.activation:
                    self.old_activations[n.id] = n.activation
                    net.update_neuron(n.id, activation=wanted)

    def undo(self, net: Network) -> None:
        for nid, act in self.old_activations.items():
            net.update_neuron(nid, activation=act)
        net.set_loss(self.old_loss)


# ------------------------------------------------------------- group builders
class _Builder(Command):
    """A command that adds neurons and connections; redo restores exactly what the first
    ``do`` made (same ids, labels), undo removes them again."""

    def __init__(self) -> None:
        self.neurons: list[Neuron] = []          # as first added
        self.connections: list[Connection] = []  # as first added
        self._done = False

    @property
    def new_ids(self) -> list[int]:
        return [n.id for n in self.neurons]

    def build(self, net: Network) -> None:  # pragma: no cover - interface
        """First do: add the neurons and connections (recorded by the helpers below)."""
        raise NotImplementedError

    def _add_neuron(self, net: Network, role: str, **kwargs) -> int:
        neuron = net.add_neuron(role, **kwargs)
        self.neurons.append(_snapshot(neuron))
        return neuron.id

    def _add_connection(self, net: Network, s: int, t: int, w: float) -> None:
        self.connections.append(copy.copy(net.add_connection(s, t, w)))

    def do(self, net: Network) -> None:
        if self._done:
            for n in self.neurons:
                net.restore_neuron(_snapshot(n))
            for c in self.connections:
                net.add_connection(c.source, c.target, c.weight)
            return
        try:
            self.build(net)
        except NetworkError:
            self.undo(net)
            self.neurons, self.connections = [], []
            raise
        self._done = True

    def undo(self, net: Network) -> None:
        for c in reversed(self.connections):
            if net.has_connection(c.source, c.target):
                net.remove_connection(c.source, c.target)
        for n in reversed(self.neurons):
            if n.id in net:
                net.remove_neuron(n.id)


def column_right_of(net: Network, sources: Sequence[int]) -> tuple[float, float]:
    """``(x, y_centre)`` for a new column one column gap to the right of ``sources``
    (or of everything, or at the origin for an empty network)."""
    pool = [net.neuron(i) for i in sources] or net.neurons()
    if not pool:
        return 0.0, 0.0
    x = max(n.x for n in pool) + COLUMN_GAP
    ys = [n.y for n in pool] if sources else [0.0]
    return x, (min(ys) + max(ys)) / 2


class AddLayer(_Builder):
    """Add ``n`` neurons in a column, each connected from every neuron of ``sources``.

    ``positions`` (one ``(x, y)`` per neuron) defaults to a new column to the right of the
    sources, centred on them.
    """

    def __init__(self, n: int, sources: Iterable[int] = (), role: str = "hidden",
                 activation: str | None = None, positions: Sequence[tuple[float, float]] | None = None,
                 weight: float = 0.0) -> None:
        super().__init__()
        if n < 1:
            raise NetworkError(f"a layer needs at least one neuron, not {n}")
        if positions is not None and len(positions) != n:
            raise NetworkError(f"{n} neurons need {n} positions, got {len(positions)}")
        self.n = int(n)
        self.sources = list(dict.fromkeys(sources))
        self.role = role
        self.activation = activation
        self.positions = list(positions) if positions is not None else None
        self.weight = float(weight)
        self.text = f"Add layer of {_plural(self.n, role + ' neuron')}"

    def build(self, net: Network) -> None:
        for s in self.sources:
            net.neuron(s)
        positions = self.positions
        if positions is None:
            x, yc = column_right_of(net, self.sources)
            positions = [(x, y + yc) for _, y in layer_positions(self.n, 0, ROW_GAP)]
        for x, y in positions:
            nid = self._add_neuron(net, self.role, activation=self.activation, x=x, y=y)
            for s in self.sources:
                self._add_connection(net, s, nid, self.weight)


class FullyConnect(_Builder):
    """Connect every neuron of group A to every neuron of group B (pairs already connected
    are left as they are). If any other pair is refused, nothing changes and the
    NetworkError names it."""

    def __init__(self, group_a: Iterable[int], group_b: Iterable[int], weight: float = 0.0) -> None:
        super().__init__()
        self.group_a = list(dict.fromkeys(group_a))
        self.group_b = list(dict.fromkeys(group_b))
        self.weight = float(weight)
        self.text = f"Fully connect {len(self.group_a)} \u2192 {len(self.group_b)} neurons"

    def missing(self, net: Network) -> list[Key]:
        return [(s, t) for s in self.group_a for t in self.group_b if not net.has_connection(s, t)]

    def build(self, net: Network) -> None:
        for s, t in self.missing(net):
            self._add_connection(net, s, t, self.weight)


class Duplicate(_Builder):
    """Copy neurons and the connections among them (with their weights), shifted by ``offset``.

    Copies get new ids and fresh labels; an input's feature and an output's target are not
    copied (two neurons bound to one column is rarely meant). ``mapping`` gives old -> new id.
    """

    def __init__(self, ids: Iterable[int], offset: tuple[float, float] = (40.0, 40.0)) -> None:
        super().__init__()
        self.ids = sorted(dict.fromkeys(ids))
        self.offset = (float(offset[0]), float(offset[1]))
        self.mapping: dict[int, int] = {}
        self.text = f"Duplicate {_plural(len(self.ids), 'neuron')}"

    def build(self, net: Network) -> None:
        originals = [net.neuron(i) for i in self.ids]
        dx, dy = self.offset
        for n in originals:
            self.mapping[n.id] = self._add_neuron(
                net, n.role, activation=n.activation, bias=n.bias, x=n.x + dx, y=n.y + dy)
        inside = set(self.ids)
        for nid in self.ids:
            for c in net.outgoing(nid):
                if c.target in inside:
                    self._add_connection(net, self.mapping[c.source], self.mapping[c.target], c.weight)


def auto_layout_positions(net: Network, column_gap: float = COLUMN_GAP,
                          row_gap: float = ROW_GAP) -> dict[int, tuple[float, float]]:
    """Positions in columns by level (inputs left, outputs right), each column centred on
    y = 0 and keeping the neurons' current top-to-bottom order."""
    levels = net.levels()
    columns: dict[int, list[Neuron]] = {}
    for nid, level in levels.items():
        columns.setdefault(level, []).append(net.neuron(nid))
    x0 = min((n.x for n in net.neurons()), default=0.0)
    positions = {}
    for level, members in columns.items():
        members.sort(key=lambda n: (n.y, n.id))
        for n, (_, y) in zip(members, layer_positions(len(members), 0, row_gap)):
            positions[n.id] = (x0 + level * column_gap, y)
    return positions


class AutoLayout(MoveNeurons):
    """Arrange the neurons in columns by level. Positions are computed on the first ``do``."""

    def __init__(self) -> None:
        super().__init__({}, text="Auto layout")
        self._computed = False

    def do(self, net: Network) -> None:
        if not self._computed:
            self.positions = auto_layout_positions(net)
            self._computed = True
        super().do(net)


class Macro(Command):
    """Several commands as one step: done in order, undone in reverse, all or none."""

    def __init__(self, text: str, commands: Iterable[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def do(self, net: Network) -> None:
        done: list[Command] = []
        try:
            for cmd in self.commands:
                cmd.do(net)
                done.append(cmd)
        except NetworkError:
            for cmd in reversed(done):
                cmd.undo(net)
            raise

    def undo(self, net: Network) -> None:
        for cmd in reversed(self.commands):
            cmd.undo(net)
