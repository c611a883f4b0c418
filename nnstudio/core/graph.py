"""The editable network: neurons, connections, weights, and their validation.

This is the one source of truth for a network's topology and committed parameters.
Everything else follows it: the canvas mirrors it through events, the compiler turns
a snapshot of it into matrices, the file format serializes it.

Conventions
-----------
* Neurons have stable integer ids, never reused within one network. Within a role,
  neurons are ordered by id: input ``i`` is the i-th feature column, output ``k`` is
  the k-th class (or target column).
* A neuron computes ``z = sum_j w_ji a_j + b`` over its incoming connections, then
  ``a = g(z)`` (TOPICS.md section 5). Input neurons just hold their feature value.
* ``loss`` is a property of the network because it decides what the outputs mean:
  ``mse`` (``1/(2m) sum (y_hat - y)^2``), ``bce`` (binary cross-entropy, sigmoid
  outputs), ``cross_entropy`` (softmax outputs), ``ova`` (one-versus-all: K sigmoid
  outputs, each its own binary classifier, predict the argmax).
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field, fields
from typing import Callable, Iterable

ROLES = ("input", "hidden", "output")
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
LOSSES = ("mse", "bce", "cross_entropy", "ova")

#: The output activation each loss expects (mse accepts any but softmax).
OUTPUT_ACTIVATION_FOR_LOSS = {
    "mse": "identity",
    "bce": "sigmoid",
    "cross_entropy": "softmax",
    "ova": "sigmoid",
}
DEFAULT_HIDDEN_ACTIVATION = "tanh"
_LABEL_PREFIX = {"input": "x", "hidden": "h", "output": "y"}


class NetworkError(ValueError):
    """An edit that would make the network impossible; the message names the neurons."""


@dataclass
class Neuron:
    """One neuron. ``feature`` binds an input to a data column or derived feature
    expression (``"x"``, ``"x^2"``, ``"x1*x2"``); ``target`` binds an output to a
    target column (regression) or a class label (classification)."""

    id: int
    role: str
    label: str = ""
    activation: str = "identity"
    bias: float = 0.0
    x: float = 0.0
    y: float = 0.0
    feature: str | None = None
    target: str | None = None

    def __str__(self) -> str:
        return f"{self.role} neuron '{self.label}' (#{self.id})"


@dataclass
class Connection:
    """A weighted edge ``source -> target``: contributes ``weight * a_source`` to ``z_target``."""

    source: int
    target: int
    weight: float = 0.0

    @property
    def key(self) -> tuple[int, int]:
        return (self.source, self.target)


@dataclass(frozen=True)
class Problem:
    """One validation finding. ``severity`` is ``"error"`` (cannot train) or ``"warning"``."""

    code: str
    message: str
    neurons: tuple[int, ...] = ()
    severity: str = "error"


@dataclass(frozen=True)
class Event:
    """What changed, sent to every subscriber after the change is made.

    kinds: ``neuron_added``, ``neuron_removed``, ``neuron_changed`` (``fields`` names
    what), ``connection_added``, ``connection_removed``, ``connection_changed``,
    ``network_changed`` (loss changed, or a bulk change: re-read everything).
    """

    kind: str
    neuron: int | None = None
    connection: tuple[int, int] | None = None
    fields: tuple[str, ...] = ()


NEURON_FIELDS = tuple(f.name for f in fields(Neuron) if f.name not in ("id",))


class Network:
    """A directed acyclic graph of neurons, with weights on connections and biases on neurons."""

    def __init__(self, loss: str = "mse") -> None:
        if loss not in LOSSES:
            raise NetworkError(f"unknown loss '{loss}' (choose one of {', '.join(LOSSES)})")
        self.loss = loss
        self._neurons: dict[int, Neuron] = {}
        self._connections: dict[tuple[int, int], Connection] = {}
        self._out: dict[int, list[int]] = {}
        self._in: dict[int, list[int]] = {}
        self.next_id = 1
        self._listeners: list[Callable[[Event], None]] = []

    # ----------------------------------------------------------------- events
    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Event], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ---------------------------------------------------------------- queries
    def __contains__(self, neuron_id: int) -> bool:
        return neuron_id in self._neurons

    def __len__(self) -> int:
        return len(self._neurons)

    def neuron(self, neuron_id: int) -> Neuron:
        try:
            return self._neurons[neuron_id]
        except KeyError:
            raise NetworkError(f"there is no neuron #{neuron_id}") from None

    def neurons(self, role: str | None = None) -> list[Neuron]:
        """Neurons in id order, optionally only those of one role."""
        ordered = sorted(self._neurons.values(), key=lambda n: n.id)
        return ordered if role is None else [n for n in ordered if n.role == role]

    def inputs(self) -> list[Neuron]:
        return self.neurons("input")

    def hidden(self) -> list[Neuron]:
        return self.neurons("hidden")

    def outputs(self) -> list[Neuron]:
        return self.neurons("output")

    def connection(self, source: int, target: int) -> Connection:
        try:
            return self._connections[(source, target)]
        except KeyError:
            raise NetworkError(
                f"there is no connection from #{source} to #{target}") from None

    def has_connection(self, source: int, target: int) -> bool:
        return (source, target) in self._connections

    def connections(self) -> list[Connection]:
        """Connections in a deterministic order (by target id, then source id)."""
        return [self._connections[k] for k in sorted(self._connections, key=lambda k: (k[1], k[0]))]

    def incoming(self, neuron_id: int) -> list[Connection]:
        return [self._connections[(s, neuron_id)] for s in sorted(self._in.get(neuron_id, ()))]

    def outgoing(self, neuron_id: int) -> list[Connection]:
        return [self._connections[(neuron_id, t)] for t in sorted(self._out.get(neuron_id, ()))]

    def reaches(self, start: int, goal: int) -> bool:
        """True if a directed path leads from ``start`` to ``goal`` (or they are the same)."""
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for nxt in self._out.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def topological_order(self) -> list[int]:
        """Neuron ids so that every connection goes forward (Kahn's algorithm, ties by id)."""
        indeg = {nid: len(self._in.get(nid, ())) for nid in self._neurons}
        ready = sorted(nid for nid, d in indeg.items() if d == 0)
        order: list[int] = []
        import heapq

        heapq.heapify(ready)
        while ready:
            nid = heapq.heappop(ready)
            order.append(nid)
            for t in self._out.get(nid, ()):
                indeg[t] -= 1
                if indeg[t] == 0:
                    heapq.heappush(ready, t)
        if len(order) != len(self._neurons):
            cycle = self.find_cycle()
            raise NetworkError("the network has a cycle: " + " -> ".join(
                self._neurons[i].label or f"#{i}" for i in cycle))
        return order

    def find_cycle(self) -> list[int]:
        """One directed cycle as a list of ids (first id repeated at the end), or []."""
        return find_cycle(self._out)

    def levels(self) -> dict[int, int]:
        """Level of each neuron: the longest path from a neuron with no inputs.

        Inputs are level 0; every output is placed on the last level, since nothing
        depends on an output and softmax needs all outputs computed together.
        """
        level: dict[int, int] = {}
        for nid in self.topological_order():
            preds = self._in.get(nid, ())
            level[nid] = 0 if not preds else 1 + max(level[p] for p in preds)
        outputs = [n.id for n in self.outputs()]
        if outputs:
            last = max([level[n] for n in level] + [1])
            for nid in outputs:
                level[nid] = last
        return level

    def parameter_count(self) -> int:
        """Weights plus biases (inputs have no bias)."""
        return len(self._connections) + sum(1 for n in self._neurons.values() if n.role != "input")

    def summary(self) -> dict:
        """Neurons by role, connections, parameters and levels, for the inspector and ``info``."""
        try:
            n_levels = 1 + max(self.levels().values()) if self._neurons else 0
        except NetworkError:
            n_levels = None
        return {
            "inputs": len(self.inputs()),
            "hidden": len(self.hidden()),
            "outputs": len(self.outputs()),
            "connections": len(self._connections),
            "parameters": self.parameter_count(),
            "levels": n_levels,
            "loss": self.loss,
        }

    # ------------------------------------------------------------------ edits
    def default_activation(self, role: str) -> str:
        if role == "input":
            return "identity"
        if role == "output":
            return OUTPUT_ACTIVATION_FOR_LOSS[self.loss]
        return DEFAULT_HIDDEN_ACTIVATION

    def _next_label(self, role: str) -> str:
        prefix = _LABEL_PREFIX[role]
        taken = {n.label for n in self._neurons.values()}
        i = 1 + sum(1 for n in self._neurons.values() if n.role == role)
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    def add_neuron(self, role: str, *, label: str | None = None, activation: str | None = None,
                   bias: float = 0.0, x: float = 0.0, y: float = 0.0,
                   feature: str | None = None, target: str | None = None,
                   id: int | None = None) -> Neuron:
        """Add a neuron and return it. ``id`` is for restoring a removed neuron (undo, files)."""
        if role not in ROLES:
            raise NetworkError(f"unknown role '{role}' (choose input, hidden or output)")
        activation = activation or self.default_activation(role)
        if activation not in ACTIVATIONS:
            raise NetworkError(
                f"unknown activation '{activation}' (choose one of {', '.join(ACTIVATIONS)})")
        if id is None:
            id = self.next_id
        elif id in self._neurons:
            raise NetworkError(f"neuron id #{id} is already used")
        neuron = Neuron(id=id, role=role, label=label if label is not None else self._next_label(role),
                        activation=activation, bias=float(bias), x=float(x), y=float(y),
                        feature=feature, target=target)
        self._neurons[id] = neuron
        self._out.setdefault(id, [])
        self._in.setdefault(id, [])
        self.next_id = max(self.next_id, id + 1)
        self._emit(Event("neuron_added", neuron=id))
        return neuron

    def remove_neuron(self, neuron_id: int) -> tuple[Neuron, list[Connection]]:
        """Remove a neuron and every connection touching it; return them for undo."""
        neuron = self.neuron(neuron_id)
        removed = self.incoming(neuron_id) + self.outgoing(neuron_id)
        for conn in removed:
            self.remove_connection(conn.source, conn.target)
        del self._neurons[neuron_id]
        del self._out[neuron_id]
        del self._in[neuron_id]
        self._emit(Event("neuron_removed", neuron=neuron_id))
        return neuron, removed

    def restore_neuron(self, neuron: Neuron, connections: Iterable[Connection] = ()) -> None:
        """Put back a neuron removed by :meth:`remove_neuron`, with its connections."""
        n = neuron
        self.add_neuron(n.role, label=n.label, activation=n.activation, bias=n.bias, x=n.x, y=n.y,
                        feature=n.feature, target=n.target, id=n.id)
        for conn in connections:
            self.add_connection(conn.source, conn.target, conn.weight)

    def update_neuron(self, neuron_id: int, **changes) -> dict:
        """Change fields of a neuron; return their old values (for undo)."""
        neuron = self.neuron(neuron_id)
        unknown = set(changes) - set(NEURON_FIELDS)
        if unknown:
            raise NetworkError(f"neurons have no field {', '.join(sorted(unknown))}")
        if "role" in changes:
            role = changes["role"]
            if role not in ROLES:
                raise NetworkError(f"unknown role '{role}' (choose input, hidden or output)")
            if role == "input" and self._in[neuron_id]:
                raise NetworkError(f"{neuron} has incoming connections, so it cannot be an input")
            if role == "output" and self._out[neuron_id]:
                raise NetworkError(f"{neuron} has outgoing connections, so it cannot be an output")
        if "activation" in changes and changes["activation"] not in ACTIVATIONS:
            raise NetworkError(f"unknown activation '{changes['activation']}'")
        old = {}
        for key, value in changes.items():
            if key in ("bias", "x", "y"):
                value = float(value)
            old[key] = getattr(neuron, key)
            setattr(neuron, key, value)
        self._emit(Event("neuron_changed", neuron=neuron_id, fields=tuple(changes)))
        return old

    def move_neuron(self, neuron_id: int, x: float, y: float) -> None:
        self.update_neuron(neuron_id, x=x, y=y)

    def connection_refusal(self, source: int, target: int) -> str | None:
        """Why ``source -> target`` cannot be added, or None if it can."""
        if source not in self._neurons or target not in self._neurons:
            missing = source if source not in self._neurons else target
            return f"there is no neuron #{missing}"
        src, dst = self._neurons[source], self._neurons[target]
        if source == target:
            return f"a neuron cannot connect to itself ({src.label})"
        if dst.role == "input":
            return f"{dst.label} is an input neuron: nothing can connect into an input"
        if src.role == "output":
            return f"{src.label} is an output neuron: an output cannot feed other neurons"
        if (source, target) in self._connections:
            return f"{src.label} is already connected to {dst.label}"
        # A cycle needs a path target -> source; none exists if the source has no inputs
        # or the target no outputs (this keeps bulk adds and undo of big deletes linear).
        if self._in.get(source) and self._out.get(target) and self.reaches(target, source):
            return f"connecting {src.label} to {dst.label} would make a cycle ({dst.label} already feeds {src.label})"
        return None

    def add_connection(self, source: int, target: int, weight: float = 0.0) -> Connection:
        reason = self.connection_refusal(source, target)
        if reason:
            raise NetworkError(reason)
        conn = Connection(source, target, float(weight))
        self._connections[(source, target)] = conn
        self._out[source].append(target)
        self._in[target].append(source)
        self._emit(Event("connection_added", connection=(source, target)))
        return conn

    def remove_connection(self, source: int, target: int) -> Connection:
        conn = self.connection(source, target)
        del self._connections[(source, target)]
        self._out[source].remove(target)
        self._in[target].remove(source)
        self._emit(Event("connection_removed", connection=(source, target)))
        return conn

    def set_weight(self, source: int, target: int, weight: float) -> float:
        """Set a connection's weight; return the old one."""
        conn = self.connection(source, target)
        old, conn.weight = conn.weight, float(weight)
        self._emit(Event("connection_changed", connection=(source, target), fields=("weight",)))
        return old

    def set_parameters(self, weights: dict[tuple[int, int], float], biases: dict[int, float]) -> None:
        """Set many weights and biases at once (learned parameters) with one bulk event."""
        for key, w in weights.items():
            self.connection(*key).weight = float(w)
        for nid, b in biases.items():
            self.neuron(nid).bias = float(b)
        self._emit(Event("network_changed", fields=("weights",)))

    def parameters(self) -> tuple[dict[tuple[int, int], float], dict[int, float]]:
        """All weights (by connection key) and biases (by neuron id, inputs excluded)."""
        weights = {k: c.weight for k, c in self._connections.items()}
        biases = {n.id: n.bias for n in self._neurons.values() if n.role != "input"}
        return weights, biases

    def set_loss(self, loss: str) -> str:
        """Change the loss; return the old one. Output activations are left to the caller."""
        if loss not in LOSSES:
            raise NetworkError(f"unknown loss '{loss}' (choose one of {', '.join(LOSSES)})")
        old, self.loss = self.loss, loss
        self._emit(Event("network_changed", fields=("loss",)))
        return old

    def copy(self) -> "Network":
        """A deep copy without subscribers."""
        listeners, self._listeners = self._listeners, []
        try:
            return _copy.deepcopy(self)
        finally:
            self._listeners = listeners

    def same_as(self, other: "Network") -> bool:
        """Exactly equal topology, attributes, weights and biases (for tests and round trips)."""
        return (self.loss == other.loss
                and self.neurons() == other.neurons()
                and self.connections() == other.connections())

    # ------------------------------------------------------------- validation
    def validate(self) -> list[Problem]:
        """Everything that stops this network from training, naming the neurons involved."""
        problems: list[Problem] = []

        def name(ids: Iterable[int]) -> str:
            return ", ".join(self._neurons[i].label or f"#{i}" for i in ids)

        inputs, outputs = self.inputs(), self.outputs()
        if not inputs:
            problems.append(Problem("no_inputs", "the network has no input neurons"))
        if not outputs:
            problems.append(Problem("no_outputs", "the network has no output neurons"))
        for conn in self._connections.values():
            src, dst = self._neurons[conn.source], self._neurons[conn.target]
            if dst.role == "input":
                problems.append(Problem("into_input", f"connection {src.label} -> {dst.label} goes into an input neuron",
                                        (src.id, dst.id)))
            if src.role == "output":
                problems.append(Problem("from_output", f"connection {src.label} -> {dst.label} leaves an output neuron",
                                        (src.id, dst.id)))
        cycle = self.find_cycle()
        if cycle:
            problems.append(Problem("cycle", "the connections form a cycle: " + " -> ".join(
                self._neurons[i].label for i in cycle), tuple(dict.fromkeys(cycle))))
        for n in self.hidden():
            if not self._in[n.id]:
                problems.append(Problem("hidden_no_inputs", f"hidden neuron {n.label} has no incoming connections",
                                        (n.id,), "warning"))
            if not self._out[n.id]:
                problems.append(Problem("hidden_no_outputs", f"hidden neuron {n.label} feeds nothing",
                                        (n.id,), "warning"))
        if inputs:
            reached: set[int] = set()
            stack = [n.id for n in inputs]
            while stack:
                nid = stack.pop()
                if nid in reached:
                    continue
                reached.add(nid)
                stack.extend(self._out.get(nid, ()))
            unreachable = [n.id for n in outputs if n.id not in reached]
            if unreachable:
                problems.append(Problem("unreachable_output",
                                        f"no input reaches output {name(unreachable)}", tuple(unreachable)))
        misplaced = [n.id for n in self._neurons.values() if n.activation == "softmax" and n.role != "output"]
        if misplaced:
            problems.append(Problem("softmax_not_output",
                                    f"softmax is only for output neurons, not {name(misplaced)}", tuple(misplaced)))
        problems.extend(self._loss_problems(outputs))
        return problems

    def _loss_problems(self, outputs: list[Neuron]) -> list[Problem]:
        if not outputs:
            return []
        ids = tuple(n.id for n in outputs)
        acts = {n.activation for n in outputs}
        labels = ", ".join(n.label for n in outputs)
        loss = self.loss
        if "softmax" in acts and len(outputs) == 1:
            return [Problem("softmax_single",
                            f"softmax on a single output ({labels}) always gives 1: use sigmoid with binary cross-entropy, or add outputs",
                            ids)]
        if loss == "cross_entropy" and acts != {"softmax"}:
            return [Problem("loss_mismatch",
                            f"softmax cross-entropy needs every output to be softmax (outputs: {labels})", ids)]
        if loss != "cross_entropy" and "softmax" in acts:
            return [Problem("loss_mismatch",
                            f"softmax outputs ({labels}) need the cross-entropy loss, not {loss}", ids)]
        if loss in ("bce", "ova") and acts != {"sigmoid"}:
            what = "binary cross-entropy" if loss == "bce" else "one-versus-all"
            return [Problem("loss_mismatch", f"{what} needs sigmoid outputs (outputs: {labels})", ids)]
        if loss == "ova" and len(outputs) < 2:
            return [Problem("loss_mismatch",
                            "one-versus-all needs one output per class (at least 2); with one output use binary cross-entropy",
                            ids)]
        return []

    def errors(self) -> list[Problem]:
        return [p for p in self.validate() if p.severity == "error"]

    def check(self) -> None:
        """Raise :class:`NetworkError` naming the first error, if any."""
        errs = self.errors()
        if errs:
            more = f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})" if len(errs) > 1 else ""
            raise NetworkError(errs[0].message + more)


def find_cycle(out: dict[int, Iterable[int]]) -> list[int]:
    """One directed cycle in the graph ``out`` (node -> successors), as a list of nodes
    with the first repeated at the end, or [] if there is none.

    Iterative depth-first search with three colours (unseen, on the stack, done): an edge
    to a node still on the stack closes a cycle. Nodes and successors are visited in
    sorted order, so the answer is deterministic. Shared with the file loader, which must
    find cycles in plain data before any Network exists.
    """
    colour: dict[int, int] = {}
    parent: dict[int, int] = {}
    for root in sorted(out):
        if colour.get(root):
            continue
        stack = [(root, iter(sorted(out[root])))]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(nxt) == 1:
                cycle, cur = [nxt], node
                while cur != nxt:
                    cycle.append(cur)
                    cur = parent[cur]
                cycle.append(nxt)
                return cycle[::-1]
            elif not colour.get(nxt):
                colour[nxt] = 1
                parent[nxt] = node
                stack.append((nxt, iter(sorted(out.get(nxt, ())))))
    return []


# ------------------------------------------------------------------ builders
def fully_connect(net: Network, sources: Iterable[int], targets: Iterable[int],
                  weight: float = 0.0) -> list[Connection]:
    """Connect every source to every target, skipping pairs already connected."""
    added = []
    targets = list(targets)
    for s in sources:
        for t in targets:
            if not net.has_connection(s, t):
                added.append(net.add_connection(s, t, weight))
    return added


#: the smallest horizontal gap between two columns, and the share of the columns' height
#: added for tall ones: the wires of two tall columns then fan out instead of filling a
#: narrow band (a 2-32-32-3 network gets ~870 units between its hidden columns)
MIN_COLUMN_GAP = 160.0
COLUMN_SPREAD = 0.2


def column_gap(n_left: int, n_right: int, row_gap: float = 70.0) -> float:
    """Horizontal distance between columns of ``n_left`` and ``n_right`` neurons."""
    height = (max(n_left, 1) - 1 + max(n_right, 1) - 1) * row_gap
    return max(MIN_COLUMN_GAP, round(COLUMN_SPREAD * height / 10) * 10)


def layer_positions(n: int, column: int, spacing: float = 70.0, column_gap: float = 160.0) -> list[tuple[float, float]]:
    """Canvas positions for ``n`` neurons in one column, centred on y = 0."""
    top = -(n - 1) * spacing / 2
    return [(column * column_gap, top + i * spacing) for i in range(n)]


def layered(sizes: Iterable[int], hidden: str = DEFAULT_HIDDEN_ACTIVATION, output: str = "identity",
            feature_names: Iterable[str] | None = None) -> Network:
    """A fully connected layered network, e.g. ``layered([2, 8, 8, 1], output="sigmoid")``.

    ``output`` is ``identity``/``linear`` (loss mse), ``sigmoid`` (bce for one output),
    ``softmax`` (cross_entropy) or ``ova`` (K sigmoid outputs, one-versus-all).
    Weights and biases start at zero: initialize them with the training module.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise NetworkError(f"layer sizes must be at least two positive numbers, got {sizes}")
    output = "identity" if output == "linear" else output
    if output == "ova":
        loss, out_act = "ova", "sigmoid"
    elif output == "softmax":
        loss, out_act = "cross_entropy", "softmax"
    elif output == "sigmoid":
        loss, out_act = "bce", "sigmoid"
    elif output in ACTIVATIONS:
        loss, out_act = "mse", output
    else:
        raise NetworkError(f"unknown output '{output}' (choose linear, sigmoid, softmax or ova)")
    if hidden not in ACTIVATIONS or hidden == "softmax":
        raise NetworkError(f"unknown hidden activation '{hidden}'")
    net = Network(loss)
    names = list(feature_names) if feature_names is not None else None
    previous: list[int] = []
    x_col = 0.0
    for col, size in enumerate(sizes):
        role = "input" if col == 0 else "output" if col == len(sizes) - 1 else "hidden"
        act = "identity" if role == "input" else out_act if role == "output" else hidden
        if col:
            x_col += column_gap(sizes[col - 1], size)
        ids = []
        for i, (_, y) in enumerate(layer_positions(size, 0)):
            x = x_col
            feature = names[i] if role == "input" and names and i < len(names) else None
            label = feature if feature else None
            ids.append(net.add_neuron(role, activation=act, x=x, y=y, feature=feature, label=label).id)
        if previous:
            fully_connect(net, previous, ids)
        previous = ids
    return net
