"""Edit commands without Qt: every command's do / undo / redo round trip gives back exactly
the same network (same ids, labels, weights, positions), and refused edits change nothing."""

from __future__ import annotations

import random
import sys

import pytest

from nnstudio.core.commands import (
    AddConnections,
    AddLayer,
    AddNeuron,
    AutoLayout,
    Duplicate,
    FullyConnect,
    Macro,
    MoveNeurons,
    RemoveConnections,
    RemoveNeurons,
    SetLoss,
    SetParameters,
    SetWeight,
    UpdateNeuron,
    auto_layout_positions,
)
from nnstudio.core.graph import Network, NetworkError, layered


def _weighted(sizes, seed=0, **kw) -> Network:
    net = layered(sizes, **kw)
    rng = random.Random(seed)
    for c in net.connections():
        net.set_weight(c.source, c.target, rng.uniform(-2, 2))
    for n in net.neurons():
        if n.role != "input":
            net.update_neuron(n.id, bias=rng.uniform(-1, 1))
    return net


def round_trip(net: Network, command) -> Network:
    """do, undo, redo, undo, redo: check the network at each step; return the final one."""
    before = net.copy()
    command.do(net)
    after = net.copy()
    assert not after.same_as(before) or isinstance(command, (AutoLayout,)), "the command changed nothing"
    for _ in range(2):
        command.undo(net)
        assert net.same_as(before)
        command.do(net)
        assert net.same_as(after)
    return after


def test_add_neuron_keeps_its_id_and_label_on_redo():
    net = Network()
    cmd = AddNeuron("hidden", 10, 20)
    round_trip(net, cmd)
    n = net.neuron(cmd.id)
    assert (n.role, n.label, n.x, n.y, n.activation) == ("hidden", "h1", 10.0, 20.0, "tanh")
    # a neuron added after an undo never takes the undone neuron's id
    cmd.undo(net)
    other = AddNeuron("hidden")
    other.do(net)
    assert other.id != cmd.id


def test_remove_neurons_restores_neurons_and_connections_with_weights():
    net = _weighted([2, 3, 1])
    hidden = [n.id for n in net.hidden()]
    cmd = RemoveNeurons(hidden[:2] + [net.inputs()[0].id])
    after = round_trip(net, cmd)
    assert len(after.neurons()) == 3
    assert len(after.connections()) == 2  # x2 -> h3 -> y1


def test_remove_neurons_that_are_connected_to_each_other():
    net = _weighted([1, 1, 1])
    ids = [n.id for n in net.neurons()]
    round_trip(net, RemoveNeurons(ids))
    assert len(net) == 0


def test_remove_missing_neuron_changes_nothing():
    net = _weighted([2, 1])
    before = net.copy()
    with pytest.raises(NetworkError):
        RemoveNeurons([net.inputs()[0].id, 999]).do(net)
    assert net.same_as(before)


def test_add_connections_all_or_nothing():
    net = Network()
    a, b, c = (net.add_neuron(r).id for r in ("input", "hidden", "output"))
    round_trip(net, AddConnections([(a, b, 0.5), (b, c)]))
    assert net.connection(a, b).weight == 0.5
    before = net.copy()
    with pytest.raises(NetworkError, match="input"):
        AddConnections([(a, c), (b, a)]).do(net)  # the second goes into an input
    assert net.same_as(before)


@pytest.mark.parametrize("pair, reason", [
    ("into_input", "nothing can connect into an input"),
    ("from_output", "an output cannot feed"),
    ("duplicate", "already connected"),
    ("cycle", "cycle"),
])
def test_refused_connections_name_the_reason(pair, reason):
    net = Network()
    x = net.add_neuron("input").id
    h1 = net.add_neuron("hidden").id
    h2 = net.add_neuron("hidden").id
    y = net.add_neuron("output").id
    net.add_connection(x, h1)
    net.add_connection(h1, h2)
    s, t = {"into_input": (h1, x), "from_output": (y, h1), "duplicate": (x, h1), "cycle": (h2, h1)}[pair]
    before = net.copy()
    with pytest.raises(NetworkError, match=reason):
        AddConnections([(s, t)]).do(net)
    assert net.same_as(before)


def test_remove_connections_and_set_weight():
    net = _weighted([2, 2, 1])
    keys = [c.key for c in net.connections()[:3]]
    round_trip(net, RemoveConnections(keys))
    key = net.connections()[0].key
    round_trip(net, SetWeight(*key, 3.25))
    assert net.connection(*key).weight == 3.25


def test_set_weight_merges_a_burst_into_one_step():
    net = _weighted([1, 1])
    key = net.connections()[0].key
    original = net.connection(*key).weight
    first = SetWeight(*key, 1.0)
    first.do(net)
    second = SetWeight(*key, 2.0)
    second.do(net)
    assert first.merge(second)
    first.undo(net)
    assert net.connection(*key).weight == original
    first.do(net)
    assert net.connection(*key).weight == 2.0


@pytest.mark.parametrize("changes", [
    {"label": "bias unit"}, {"activation": "relu"}, {"bias": -0.5}, {"role": "output"},
])
def test_update_neuron(changes):
    net = Network()
    x = net.add_neuron("input").id
    h = net.add_neuron("hidden").id
    net.add_connection(x, h)
    round_trip(net, UpdateNeuron(h, **changes))
    for k, v in changes.items():
        assert getattr(net.neuron(h), k) == v


def test_update_neuron_refused_role_changes_nothing():
    net = _weighted([1, 1, 1])
    h = net.hidden()[0].id
    before = net.copy()
    with pytest.raises(NetworkError, match="cannot be an input"):
        UpdateNeuron(h, role="input").do(net)
    assert net.same_as(before)
    with pytest.raises(NetworkError):
        UpdateNeuron(h, x=3.0)  # positions go through MoveNeurons


def test_update_feature_and_target_of_bound_neurons():
    net = _weighted([2, 1])
    x, y = net.inputs()[0].id, net.outputs()[0].id
    round_trip(net, Macro("bind", [UpdateNeuron(x, feature="x^2"), UpdateNeuron(y, target="price")]))
    assert (net.neuron(x).feature, net.neuron(y).target) == ("x^2", "price")


def test_move_many_neurons_is_one_command():
    net = _weighted([3, 2])
    moves = {n.id: (n.x + 5, n.y - 7) for n in net.neurons()}
    round_trip(net, MoveNeurons(moves))
    assert all((net.neuron(i).x, net.neuron(i).y) == p for i, p in moves.items())


def test_set_parameters_is_one_step():
    net = _weighted([2, 3, 1])
    weights = {c.key: c.weight * 2 + 1 for c in net.connections()}
    biases = {n.id: 0.25 for n in net.neurons() if n.role != "input"}
    round_trip(net, SetParameters(weights, biases))
    assert net.parameters() == (weights, biases)


def test_set_loss_adjusts_incompatible_outputs():
    net = _weighted([4, 3], output="linear")
    cmd = SetLoss("cross_entropy")
    round_trip(net, cmd)
    assert net.loss == "cross_entropy"
    assert {n.activation for n in net.outputs()} == {"softmax"}
    assert net.errors() == []
    back = SetLoss("mse")
    round_trip(net, back)
    assert {n.activation for n in net.outputs()} == {"identity"}
    with pytest.raises(NetworkError):
        SetLoss("hinge").do(net)


def test_add_layer_fully_connected_from_a_group():
    net = _weighted([4, 3])
    inputs = [n.id for n in net.inputs()]
    cmd = AddLayer(10, inputs, activation="relu")
    round_trip(net, cmd)
    assert len(cmd.new_ids) == 10
    for nid in cmd.new_ids:
        n = net.neuron(nid)
        assert (n.role, n.activation) == ("hidden", "relu")
        assert sorted(c.source for c in net.incoming(nid)) == inputs
        assert n.x == max(net.neuron(i).x for i in inputs) + 160
    ys = sorted(net.neuron(i).y for i in cmd.new_ids)
    centre = (min(net.neuron(i).y for i in inputs) + max(net.neuron(i).y for i in inputs)) / 2
    assert ys == pytest.approx([centre + (k - 4.5) * 70 for k in range(10)])


def test_add_layer_refused_changes_nothing():
    net = _weighted([2, 1])
    before = net.copy()
    with pytest.raises(NetworkError, match="output"):
        AddLayer(3, [net.outputs()[0].id]).do(net)  # outputs feed nothing
    assert net.same_as(before)
    with pytest.raises(NetworkError):
        AddLayer(0, [])


def test_fully_connect_skips_existing_and_refuses_whole():
    net = Network()
    a = [net.add_neuron("input").id for _ in range(3)]
    b = [net.add_neuron("hidden").id for _ in range(2)]
    net.add_connection(a[0], b[0], 0.75)
    cmd = FullyConnect(a, b)
    assert len(cmd.missing(net)) == 5
    round_trip(net, cmd)
    assert len(net.connections()) == 6 and net.connection(a[0], b[0]).weight == 0.75
    before = net.copy()
    with pytest.raises(NetworkError, match="input"):
        FullyConnect(b, a).do(net)
    assert net.same_as(before)


def test_duplicate_copies_neurons_and_inner_connections():
    net = _weighted([2, 2, 1])
    hidden = [n.id for n in net.hidden()]
    y = net.outputs()[0].id
    cmd = Duplicate(hidden + [y], offset=(40, 40))
    round_trip(net, cmd)
    assert len(net.hidden()) == 4 and len(net.outputs()) == 2
    for old, new in cmd.mapping.items():
        o, n = net.neuron(old), net.neuron(new)
        assert (n.x, n.y) == (o.x + 40, o.y + 40) and n.role == o.role and n.label != o.label
        assert n.activation == o.activation and n.bias == o.bias
    # connections among the copies, with the same weights; none from outside
    for h in hidden:
        assert net.connection(cmd.mapping[h], cmd.mapping[y]).weight == net.connection(h, y).weight
        assert net.incoming(cmd.mapping[h]) == []


def test_auto_layout_puts_levels_in_columns():
    net = Network()
    x = net.add_neuron("input", x=300, y=5).id
    h = net.add_neuron("hidden", x=-50, y=80).id
    y = net.add_neuron("output", x=0, y=-20).id
    net.add_connection(x, h)
    net.add_connection(h, y)
    round_trip(net, AutoLayout())
    xs = [net.neuron(i).x for i in (x, h, y)]
    assert xs[0] < xs[1] < xs[2] and xs[1] - xs[0] == 160
    assert auto_layout_positions(net) == {i: (net.neuron(i).x, net.neuron(i).y) for i in (x, h, y)}


def test_macro_rolls_back_on_failure():
    net = _weighted([2, 1])
    before = net.copy()
    x = net.inputs()[0].id
    with pytest.raises(NetworkError):
        Macro("bad", [AddNeuron("hidden"), RemoveNeurons([x]), AddConnections([(999, x)])]).do(net)
    assert net.same_as(before)


def test_undo_to_empty_and_redo_forward_gives_the_same_networks():
    """A whole build, step by step; undo all, redo all, compare at every step."""
    net = Network()
    x1, x2, h1, h2, y = (AddNeuron(r, i * 10.0, 0) for i, r in
                         enumerate(("input", "input", "hidden", "hidden", "output")))
    history = [x1, x2, h1, h2, y]
    states = [net.copy()]
    for cmd in history:
        cmd.do(net)
        states.append(net.copy())
    more = [FullyConnect([x1.id, x2.id], [h1.id, h2.id]), FullyConnect([h1.id, h2.id], [y.id]),
            SetWeight(x1.id, h1.id, 0.5), MoveNeurons({h1.id: (1, 2), y.id: (3, 4)}),
            RemoveNeurons([h2.id]), Duplicate([h1.id]), AutoLayout(), SetLoss("bce")]
    for cmd in more:
        cmd.do(net)
        history.append(cmd)
        states.append(net.copy())
    for _ in range(2):
        for i in range(len(history) - 1, -1, -1):
            history[i].undo(net)
            assert net.same_as(states[i]), f"undo of {history[i]!r}"
        assert len(net) == 0
        for i, cmd in enumerate(history):
            cmd.do(net)
            assert net.same_as(states[i + 1]), f"redo of {cmd!r}"


def test_commands_import_no_qt():
    import nnstudio.core.commands  # noqa: F401
    # other tests may have loaded Qt already; what matters is commands.py's own imports
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(sys.modules["nnstudio.core.commands"]))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.split(".")[0] in ("PySide6", "shiboken6") for m in names)
