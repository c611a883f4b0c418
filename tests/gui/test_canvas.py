"""The canvas driven the way a person drives it: mouse presses, moves and releases on the
view's viewport at the screen points of scene positions, palette drops with real MIME
data, the Esc key. Every edit must land in the model as one undo step, and undo/redo must
give back exactly the same networks."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QInputDialog

from nnstudio.core import fileformat
from nnstudio.core.commands import AddConnections, RemoveNeurons, SetWeight, UpdateNeuron
from nnstudio.core.graph import Network, layered
from nnstudio.core.settings import Project
from nnstudio.gui.canvas.interactions import ConnectGesture
from nnstudio.gui.canvas.items import RADIUS, WireItem

from canvas_driver import Editor, assert_layered, build_by_hand

pytestmark = pytest.mark.qt_log_level_fail("WARNING")


@pytest.fixture
def editor(qtbot):
    ed = Editor(qtbot)
    yield ed
    ed.view.canvas.detach()


def _editor_on(qtbot, net: Network) -> Editor:
    return Editor(qtbot, net)


# ----------------------------------------------------------------- palette drops
def test_drop_from_palette_adds_a_neuron_at_the_drop_point(editor):
    for role, (x, y) in (("input", (-40.0, 25.0)), ("hidden", (130.0, -60.0)), ("output", (333.0, 47.0))):
        nid = editor.drop(role, x, y)
        n = editor.net.neuron(nid)
        assert n.role == role
        assert abs(n.x - x) <= 1.0 and abs(n.y - y) <= 1.0
    assert editor.stack.count() == 3
    assert editor.view.selected_neurons() == [nid]  # the new neuron is selected
    assert editor.view.canvas.neuron_item(nid).pos() == QPointF(editor.net.neuron(nid).x, editor.net.neuron(nid).y)


def test_drops_of_other_things_are_left_to_the_window(editor):
    mime = QMimeData()
    mime.setUrls([])
    mime.setText("not a neuron")
    enter = QDragEnterEvent(editor.at(0, 0), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(editor.viewport, enter)
    assert not enter.isAccepted()
    assert len(editor.net) == 0


# --------------------------------------------------------------- drag to connect
def test_drag_from_one_neuron_to_another_connects_them(editor):
    x = editor.drop("input", 0, 0)
    h = editor.drop("hidden", 160, 30)
    editor.connect(x, h)
    assert editor.net.has_connection(x, h)
    assert editor.stack.count() == 3 and editor.stack.undoText() == "Connect"
    assert "Connected x1 \u2192 h1" in editor.statuses[-1]
    assert (x, h) in editor.view.canvas.layer
    assert not any(isinstance(i, WireItem) for i in editor.view.canvas.items())  # live wire gone
    editor.stack.undo()
    assert not editor.net.has_connection(x, h) and (x, h) not in editor.view.canvas.layer


def test_live_wire_follows_the_mouse_and_the_target_highlights(editor):
    x = editor.drop("input", 0, 0)
    h = editor.drop("hidden", 200, 0)
    y = editor.drop("output", 200, 150)
    editor.connect(h, y)
    vp = editor.viewport
    editor.qtbot.mousePress(vp, Qt.LeftButton, Qt.NoModifier, editor.rim(x))
    editor.qtbot.mouseMove(vp, editor.at(80, 60))
    gesture = editor.view.gesture
    assert isinstance(gesture, ConnectGesture)
    wire = gesture.wire.line()
    assert abs(wire.p2().x() - 80) < 1.5 and abs(wire.p2().y() - 60) < 1.5
    editor.qtbot.mouseMove(vp, editor.centre(h))
    assert editor.view.canvas.neuron_item(h).target_state == 1  # allowed
    assert "Release to connect x1 \u2192 h1" in editor.statuses[-1]
    editor.qtbot.mouseMove(vp, editor.at(140, 60))
    assert editor.view.canvas.neuron_item(h).target_state == 0
    editor.qtbot.mouseMove(vp, editor.centre(y))
    assert editor.view.canvas.neuron_item(y).target_state == 1
    editor.qtbot.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, editor.centre(y))
    assert editor.net.has_connection(x, y)


@pytest.mark.parametrize("case, reason", [
    ("into an input", "nothing can connect into an input"),
    ("from an output", "an output cannot feed other neurons"),
    ("duplicate", "already connected"),
    ("cycle", "would make a cycle"),
])
def test_refused_drag_changes_nothing_and_says_why(editor, case, reason):
    x = editor.drop("input", 0, 0)
    h1 = editor.drop("hidden", 160, -50)
    h2 = editor.drop("hidden", 320, 0)
    y = editor.drop("output", 480, 0)
    editor.connect(x, h1)
    editor.connect(h1, h2)
    editor.connect(h2, y)
    source, target = {"into an input": (h1, x), "from an output": (y, h2),
                      "duplicate": (x, h1), "cycle": (h2, h1)}[case]
    before, steps = editor.net.copy(), editor.stack.count()
    editor.connect(source, target)
    assert editor.net.same_as(before)
    assert editor.stack.count() == steps
    assert reason in editor.statuses[-1]
    assert editor.view.gesture is None


def test_role_refusal_hints_at_the_other_direction(editor):
    x = editor.drop("input", 0, 0)
    h = editor.drop("hidden", 160, 0)
    editor.connect(h, x)
    assert "drag from x1" in editor.statuses[-1]


def test_wire_released_over_nothing_is_cancelled(editor):
    x = editor.drop("input", 0, 0)
    editor.drag(editor.rim(x), editor.at(150, 120))
    assert editor.net.connections() == [] and editor.stack.count() == 1
    assert "cancelled" in editor.statuses[-1]


def test_escape_cancels_a_live_wire(editor):
    x = editor.drop("input", 0, 0)
    h = editor.drop("hidden", 160, 0)
    vp = editor.viewport
    editor.qtbot.mousePress(vp, Qt.LeftButton, Qt.NoModifier, editor.rim(x))
    editor.qtbot.mouseMove(vp, editor.at(100, 10))
    editor.qtbot.mouseMove(vp, editor.centre(h))
    assert any(isinstance(i, WireItem) for i in editor.view.canvas.items())
    editor.qtbot.keyClick(editor.view, Qt.Key_Escape)
    assert editor.view.gesture is None
    assert not any(isinstance(i, WireItem) for i in editor.view.canvas.items())
    assert editor.view.canvas.neuron_item(h).target_state == 0
    editor.qtbot.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, editor.centre(h))
    assert editor.net.connections() == [] and editor.stack.count() == 2


def test_connect_from_context_menu_wire_ends_with_a_click(editor):
    x = editor.drop("input", 0, 0)
    h = editor.drop("hidden", 160, 0)
    menu = editor.view.context_menu(QPointF(0, 0))
    action = next(a for a in menu.actions() if a.text().startswith("Connect from"))
    action.trigger()
    assert isinstance(editor.view.gesture, ConnectGesture)
    editor.qtbot.mouseMove(editor.viewport, editor.at(80, 5))   # no button held: the wire follows
    editor.qtbot.mouseMove(editor.viewport, editor.centre(h))
    editor.click(editor.centre(h))
    assert editor.net.has_connection(x, h) and editor.view.gesture is None


# -------------------------------------------------------- select, move, delete
def test_rubber_band_select_then_delete_takes_connections_along(qtbot):
    ed = _editor_on(qtbot, layered([2, 3, 1]))
    net = ed.net
    hidden = [n.id for n in net.hidden()]
    before = net.copy()
    ed.drag(ed.at(120, -140), ed.at(200, 140))      # around the hidden column (x = 160)
    assert ed.view.selected_neurons() == hidden
    assert ed.selections[-1][0] == hidden
    assert ed.view.selected_connections() == []     # no connection lies wholly inside
    ed.view.delete_selected()
    assert net.hidden() == [] and net.connections() == []
    assert ed.stack.count() == 1 and ed.view.selected_neurons() == []
    assert len(ed.view.canvas.layer) == 0 and len(ed.view.canvas.items_by_id) == 3
    ed.stack.undo()
    assert net.same_as(before) and len(ed.view.canvas.layer) == 9
    ed.view.canvas.detach()


def test_rubber_band_selects_connections_inside_and_shift_adds(qtbot):
    ed = _editor_on(qtbot, layered([2, 2, 1]))
    net = ed.net
    x1, x2 = (n.id for n in net.inputs())
    ed.drag(ed.at(-40, -80), ed.at(200, 80))         # inputs, hidden and the 4 connections
    assert len(ed.view.selected_neurons()) == 4
    assert len(ed.view.selected_connections()) == 4
    ed.click(ed.at(600, 300))                        # background click clears
    assert ed.view.selected_neurons() == [] and ed.view.selected_connections() == []
    ed.click(ed.centre(x1))
    ed.click(ed.centre(x2), Qt.ShiftModifier)
    assert ed.view.selected_neurons() == [x1, x2]
    ed.click(ed.centre(x1), Qt.ControlModifier)
    assert ed.view.selected_neurons() == [x2]
    ed.view.canvas.detach()


def test_click_selects_a_connection_and_delete_removes_only_it(qtbot):
    ed = _editor_on(qtbot, layered([1, 1]))
    (conn,) = ed.net.connections()
    ed.click(ed.at(80, 0))  # the middle of the wire
    assert ed.view.selected_connections() == [conn.key]
    ed.view.delete_selected()
    assert ed.net.connections() == [] and len(ed.net) == 2 and ed.stack.count() == 1
    ed.view.canvas.detach()


def test_moving_several_neurons_with_one_drag_is_one_undo_step(qtbot):
    ed = _editor_on(qtbot, layered([2, 3, 1]))
    net = ed.net
    hidden = [n.id for n in net.hidden()]
    start = {i: (net.neuron(i).x, net.neuron(i).y) for i in hidden}
    ed.drag(ed.at(120, -140), ed.at(200, 140))
    assert ed.view.selected_neurons() == hidden
    ed.drag(ed.centre(hidden[0]), ed.centre(hidden[0]) + QPoint(60, 25), steps=10)
    assert ed.stack.count() == 1 and ed.stack.undoText() == "Move 3 neurons"
    for i in hidden:
        assert (net.neuron(i).x, net.neuron(i).y) == pytest.approx((start[i][0] + 60, start[i][1] + 25))
        assert ed.view.canvas.neuron_item(i).pos() == QPointF(net.neuron(i).x, net.neuron(i).y)
    # the wires followed their ends
    x = net.inputs()[0].id
    seg = ed.view.canvas.layer.segment((x, hidden[0]))
    n = net.neuron(hidden[0])
    assert abs(seg[2] - n.x) <= RADIUS + 2 and abs(seg[3] - n.y) <= RADIUS + 2
    ed.stack.undo()
    for i in hidden:
        assert (net.neuron(i).x, net.neuron(i).y) == start[i]
        assert ed.view.canvas.neuron_item(i).pos() == QPointF(*start[i])
    ed.view.canvas.detach()


def test_a_click_without_moving_is_not_a_move(qtbot):
    ed = _editor_on(qtbot, layered([2, 1]))
    x = ed.net.inputs()[0].id
    ed.click(ed.centre(x))
    assert ed.stack.count() == 0 and ed.view.selected_neurons() == [x]
    ed.view.canvas.detach()


def test_escape_during_a_move_puts_the_neurons_back(qtbot):
    ed = _editor_on(qtbot, layered([2, 1]))
    x = ed.net.inputs()[0].id
    start = ed.view.canvas.neuron_item(x).pos()
    vp = ed.viewport
    ed.qtbot.mousePress(vp, Qt.LeftButton, Qt.NoModifier, ed.centre(x))
    ed.qtbot.mouseMove(vp, ed.centre(x) + QPoint(20, 20))
    ed.qtbot.mouseMove(vp, ed.centre(x) + QPoint(50, 40))
    assert ed.view.canvas.neuron_item(x).pos() != start
    ed.qtbot.keyClick(ed.view, Qt.Key_Escape)
    ed.qtbot.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, ed.centre(x) + QPoint(50, 40))
    assert ed.view.canvas.neuron_item(x).pos() == start and ed.stack.count() == 0
    ed.view.canvas.detach()


# ----------------------------------------------------------------- undo / redo
def test_undo_back_to_empty_and_redo_forward_give_the_same_model(editor):
    """Build XOR's 2-2-1 with the mouse, then walk the undo stack both ways twice."""
    states = [editor.net.copy()]
    x = [editor.drop("input", 0, y) for y in (-35, 35)]
    states += [None, None]
    h = [editor.drop("hidden", 160, y) for y in (-35, 35)]
    y = editor.drop("output", 320, 0)
    for s in x:
        for t in h:
            editor.connect(s, t)
    for s in h:
        editor.connect(s, y)
    editor.view.select(h)
    editor.drag(editor.centre(h[0]), editor.centre(h[0]) + QPoint(10, -20))
    editor.view.select([x[0]])
    editor.view.duplicate_selected()
    editor.view.delete_selected()
    editor.view.execute(SetWeight(x[0], h[0], 0.75))
    # record the model after every step by walking back from the end
    count = editor.stack.count()
    assert count == 5 + 6 + 4
    states = {count: editor.net.copy()}
    for i in range(count - 1, -1, -1):
        editor.stack.undo()
        states[i] = editor.net.copy()
    assert len(editor.net) == 0 and len(editor.view.canvas.items_by_id) == 0 and len(editor.view.canvas.layer) == 0
    for _ in range(2):
        for i in range(1, count + 1):
            editor.stack.redo()
            assert editor.net.same_as(states[i]), editor.stack.text(i - 1)
            _assert_scene_mirrors(editor)
        for i in range(count - 1, -1, -1):
            editor.stack.undo()
            assert editor.net.same_as(states[i]), editor.stack.text(i)
            _assert_scene_mirrors(editor)


def _assert_scene_mirrors(ed: Editor) -> None:
    """The scene shows exactly the model: one item per neuron at its position, one row per
    connection with its weight, each wire from its source's outline to its target's."""
    scene, net = ed.view.canvas, ed.net
    assert sorted(scene.items_by_id) == [n.id for n in net.neurons()]
    for n in net.neurons():
        assert scene.neuron_item(n.id).pos() == QPointF(n.x, n.y)
    assert sorted(scene.layer.keys()) == sorted(c.key for c in net.connections())
    for c in net.connections():
        assert scene.layer.weight(c.key) == c.weight
        x0, y0, x1, y1 = scene.layer.segment(c.key)
        s, t = net.neuron(c.source), net.neuron(c.target)
        assert abs(((x0 - s.x) ** 2 + (y0 - s.y) ** 2) ** 0.5 - RADIUS) < 0.01
        assert abs(((x1 - t.x) ** 2 + (y1 - t.y) ** 2) ** 0.5 - RADIUS - 1.5) < 0.01


def test_scene_follows_random_edits_undos_and_redos(qtbot):
    """Many connections added and removed in random order (rows are swapped on removal):
    the connection layer must keep mirroring the model."""
    ed = _editor_on(qtbot, layered([6, 8, 8, 3]))
    rng = random.Random(3)
    net = ed.net
    for _ in range(60):
        op = rng.random()
        neurons = [n.id for n in net.neurons()]
        if op < 0.3 and len(neurons) > 4:
            ed.view.execute(RemoveNeurons(rng.sample(neurons, 2)))
        elif op < 0.6:
            pairs = [(s, t) for s in neurons for t in neurons if net.connection_refusal(s, t) is None]
            if pairs:
                ed.view.execute(AddConnections([(*rng.choice(pairs), rng.uniform(-3, 3))]))
        elif op < 0.75 and net.connections():
            ed.view.execute(SetWeight(*rng.choice(net.connections()).key, rng.uniform(-5, 5)))
        elif op < 0.9 and ed.stack.canUndo():
            ed.stack.undo()
        elif ed.stack.canRedo():
            ed.stack.redo()
        _assert_scene_mirrors(ed)
    ed.view.canvas.detach()


# ------------------------------------------------------------ course networks
@pytest.mark.parametrize("sizes, loss", [([4, 3], "cross_entropy"), ([3, 4, 1], "mse"), ([2, 2, 1], "bce")])
def test_course_networks_built_neuron_by_neuron(qtbot, tmp_path, sizes, loss):
    ed = Editor(qtbot, Network(loss))
    build_by_hand(ed, sizes)
    assert_layered(ed.net, sizes)
    assert ed.stack.count() == sum(sizes) + sum(a * b for a, b in zip(sizes, sizes[1:]))
    path = tmp_path / "built.nns"
    fileformat.save_project(Project(ed.net), str(path))
    assert fileformat.load_project(str(path)).network.same_as(ed.net)
    ed.view.canvas.detach()


def test_iris_4_10_3_with_add_layer_and_fully_connect(qtbot, tmp_path):
    ed = Editor(qtbot, Network("cross_entropy"))
    inputs = ed.column("input", 4, 0)
    outputs = ed.column("output", 3, 160)                # where the hidden layer will go
    ed.drag(ed.at(-40, -150), ed.at(40, 150))           # rubber band around the inputs
    assert ed.view.selected_neurons() == inputs
    hidden = ed.view.add_layer(10)
    assert len(hidden) == 10 and ed.view.selected_neurons() == hidden
    assert all(ed.net.neuron(o).x == 320 for o in outputs)  # made room: outputs moved right
    ed.view.select(hidden + outputs)
    ed.view.fully_connect_selection()
    assert_layered(ed.net, [4, 10, 3])
    assert {n.activation for n in ed.net.outputs()} == {"softmax"}
    assert ed.stack.count() == 7 + 2
    path = tmp_path / "iris.nns"
    fileformat.save_project(Project(ed.net), str(path))
    assert fileformat.load_project(str(path)).network.same_as(ed.net)
    ed.stack.undo()
    ed.stack.undo()
    assert len(ed.net) == 7 and ed.net.connections() == []
    assert [ed.net.neuron(o).x for o in outputs] == [160, 160, 160]
    ed.view.canvas.detach()


def test_add_layer_without_selection_grows_from_the_last_column(qtbot):
    ed = _editor_on(qtbot, layered([2, 3], output="linear"))
    ed.view.clear_selection()
    # outputs are never sources: the last non-output column is the inputs
    new = ed.view.add_layer(4, activation="relu")
    inputs = [n.id for n in ed.net.inputs()]
    for nid in new:
        assert sorted(c.source for c in ed.net.incoming(nid)) == inputs
        assert ed.net.neuron(nid).activation == "relu"
    assert ed.stack.count() == 1
    ed.view.canvas.detach()


def test_fully_connect_needs_two_columns(editor):
    a = editor.column("hidden", 3, 0)
    editor.view.select(a)
    editor.view.fully_connect_selection()
    assert "two columns" in editor.statuses[-1] and editor.stack.count() == 3


# ------------------------------------------------------------- view commands
def test_duplicate_and_auto_layout_are_single_steps(qtbot):
    ed = _editor_on(qtbot, layered([2, 2, 1]))
    net = ed.net
    ed.view.select([n.id for n in net.hidden()] + [net.outputs()[0].id])
    new = ed.view.duplicate_selected()
    assert len(new) == 3 and ed.view.selected_neurons() == new and ed.stack.count() == 1
    assert len(net.connections()) == 6 + 2
    ed.view.execute(RemoveNeurons(new))
    ed.view.execute(SetWeight(net.inputs()[0].id, net.hidden()[0].id, 1.0))
    for n in net.neurons():
        ed.view.canvas.neuron_item(n.id)  # exists
    from nnstudio.core.commands import MoveNeurons
    ed.view.execute(MoveNeurons({n.id: (n.x * 0.3 + 17, -n.y) for n in net.neurons()}))
    count = ed.stack.count()
    ed.view.auto_layout()
    assert ed.stack.count() == count + 1
    xs = sorted({n.x for n in net.neurons()})
    assert len(xs) == 3 and xs[1] - xs[0] == 160
    ed.view.auto_layout()  # already laid out: no new step
    assert ed.stack.count() == count + 1
    ed.view.canvas.detach()


def test_context_menus(qtbot, monkeypatch):
    ed = _editor_on(qtbot, layered([1, 1]))
    net = ed.net
    menu = ed.view.context_menu(QPointF(60, 200))
    texts = [a.text() for a in menu.actions()]
    assert "Add hidden neuron here" in texts and "Add output neuron here" in texts
    next(a for a in menu.actions() if a.text() == "Add hidden neuron here").trigger()
    new = net.hidden()[-1]
    assert (new.x, new.y) == (60, 200)
    (conn,) = [c for c in net.connections()]
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("-1.5", True)))
    menu = ed.view.context_menu(QPointF(80, 0))
    next(a for a in menu.actions() if a.text().startswith("Set weight")).trigger()
    assert net.connection(*conn.key).weight == -1.5
    menu = ed.view.context_menu(QPointF(160, 0))
    act = next(a for a in menu.actions() if a.text() == "Activation")
    next(a for a in act.menu().actions() if a.text() == "sigmoid").trigger()
    assert net.outputs()[0].activation == "sigmoid"
    ed.view.canvas.detach()


def test_set_weight_dialog_is_exact_and_pushes_nothing_unchanged(qtbot, monkeypatch):
    """The dialog shows the weight with every digit; OK without an edit leaves the weight
    and the undo stack alone; any finite number is taken; a bad one is explained."""
    net = layered([1, 1])
    (conn,) = net.connections()
    net.set_weight(*conn.key, 0.2739233746429086)
    ed = _editor_on(qtbot, net)
    shown = []
    answer = {"text": None, "ok": True}

    def get_text(parent, title, label, echo, text):
        shown.append(text)
        return (text if answer["text"] is None else answer["text"]), answer["ok"]

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))

    def set_weight_from_menu():
        menu = ed.view.context_menu(QPointF(80, 0))
        next(a for a in menu.actions() if a.text().startswith("Set weight")).trigger()

    set_weight_from_menu()                                 # OK, untouched
    assert shown == ["0.2739233746429086"]
    assert net.connection(*conn.key).weight == 0.2739233746429086 and ed.stack.count() == 0
    answer["text"] = " 0.27392337464290860 "              # the same number, typed again
    set_weight_from_menu()
    assert ed.stack.count() == 0
    answer["text"] = "-2.5e7"                              # beyond the old +-1e6 cap
    set_weight_from_menu()
    assert net.connection(*conn.key).weight == -2.5e7 and ed.stack.count() == 1
    answer["text"] = "1,5"
    set_weight_from_menu()
    assert net.connection(*conn.key).weight == -2.5e7 and ed.stack.count() == 1
    assert "'1,5' is not a number" in ed.statuses[-1]
    answer.update(text="3", ok=False)                      # Cancel
    set_weight_from_menu()
    assert net.connection(*conn.key).weight == -2.5e7 and ed.stack.count() == 1
    assert shown[-1] == "-25000000"
    ed.view.canvas.detach()


# -------------------------------------------------------------- zoom and pan
def test_zoom_and_fit_change_the_view_transform(qtbot):
    ed = _editor_on(qtbot, layered([4, 10, 3]))
    view = ed.view
    assert view.zoom() == 1.0
    view.zoom_in()
    assert view.zoom() == pytest.approx(1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(0.8)
    view.fit()
    rect = view.canvas.content_rect()
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(rect)
    for _ in range(100):
        view.zoom_in()
    assert view.zoom() <= 8.0
    ed.view.canvas.detach()


def test_wheel_zooms_around_the_cursor(qtbot):
    ed = _editor_on(qtbot, layered([2, 2, 1]))
    view = ed.view
    anchor = ed.at(160, 35)
    before = view.mapToScene(anchor)
    view.zoom_by(1.6, anchor)
    after = view.mapToScene(anchor)
    assert view.zoom() == pytest.approx(1.6)
    assert abs(after.x() - before.x()) < 1.0 and abs(after.y() - before.y()) < 1.0
    ed.view.canvas.detach()


def test_middle_drag_and_space_drag_pan_without_editing(qtbot):
    ed = _editor_on(qtbot, layered([2, 2, 1]))
    view = ed.view
    centre = view.viewport().rect().center()
    before = view.mapToScene(centre)
    ed.drag(centre, centre + QPoint(100, 40), button=Qt.MiddleButton)
    moved = view.mapToScene(centre)
    assert moved.x() == pytest.approx(before.x() - 100, abs=1) and moved.y() == pytest.approx(before.y() - 40, abs=1)
    x = ed.net.inputs()[0].id
    ed.qtbot.keyPress(view, Qt.Key_Space)
    ed.drag(ed.centre(x), ed.centre(x) + QPoint(-30, 0))  # even on a neuron: pans, does not move it
    ed.qtbot.keyRelease(view, Qt.Key_Space)
    assert view.mapToScene(centre).x() == pytest.approx(moved.x() + 30, abs=1)
    assert ed.stack.count() == 0
    ed.view.canvas.detach()


# ----------------------------------------------------------- what is shown
def test_problems_are_outlined_with_their_message(editor):
    h = editor.drop("hidden", 0, 0)
    QApplication.processEvents()  # validation runs once per event-loop turn
    problems = editor.view.canvas.problems[h]
    assert {p.code for p in problems} == {"hidden_no_inputs", "hidden_no_outputs"}
    tip = editor.view.canvas.tooltip_at(QPointF(0, 0))
    assert "has no incoming connections" in tip and "h1" in tip
    x = editor.drop("input", -160, 0)
    editor.connect(x, h)
    y = editor.drop("output", 160, 0)
    editor.connect(h, y)
    QApplication.processEvents()
    assert editor.view.canvas.problems == {}


def test_tooltips_show_values(qtbot):
    net = layered([1, 1])
    (conn,) = net.connections()
    net.set_weight(*conn.key, -0.625)
    ed = _editor_on(qtbot, net)
    assert "weight: -0.625" in ed.view.canvas.tooltip_at(QPointF(80, 0))
    ed.view.set_sample_activations({conn.target: 0.25})
    assert "activation on the sample: 0.25" in ed.view.canvas.tooltip_at(QPointF(160, 0))
    ed.view.canvas.detach()


def test_visual_feeds_do_not_touch_the_model(qtbot):
    net = layered([2, 3, 1])
    ed = _editor_on(qtbot, net)
    before = net.copy()
    ids = [n.id for n in net.neurons()]
    ed.view.set_sample_activations({i: (i % 3 - 1) * 0.7 for i in ids})
    ed.view.set_gradient_halo({i: i * 0.1 for i in ids})
    ed.view.refresh_weights({c.key: 2.0 for c in net.connections()}, {i: 0.5 for i in ids})
    ed.view.grab()  # paints with all of it
    assert all(ed.view.canvas.layer.weight(c.key) == 2.0 for c in net.connections())
    assert net.same_as(before) and ed.stack.count() == 0
    ed.view.refresh_weights()
    assert all(ed.view.canvas.layer.weight(c.key) == 0.0 for c in net.connections())
    ed.view.set_sample_activations(None)
    ed.view.set_gradient_halo(None)
    ed.view.canvas.detach()


def test_set_network_swaps_the_scene(qtbot):
    old = layered([2, 2, 1])
    ed = _editor_on(qtbot, old)
    other = layered([3, 1])
    ed.view.select([1])
    ed.view.set_network(other)
    assert ed.view.network is other and ed.view.selected_neurons() == []
    assert len(ed.view.canvas.items_by_id) == 4 and len(ed.view.canvas.layer) == 3
    old.add_neuron("hidden")  # the old network no longer drives the scene
    assert len(ed.view.canvas.items_by_id) == 4
    ed.view.canvas.detach()


def test_wires_stay_attached_when_connections_change_during_a_drag(qtbot):
    ed = _editor_on(qtbot, layered([2, 2, 1]))
    net = ed.net
    x1, x2 = (n.id for n in net.inputs())
    h1 = net.hidden()[0].id
    vp = ed.viewport
    ed.qtbot.mousePress(vp, Qt.LeftButton, Qt.NoModifier, ed.centre(x1))
    ed.qtbot.mouseMove(vp, ed.centre(x1) + QPoint(10, 10))
    ed.qtbot.mouseMove(vp, ed.centre(x1) + QPoint(30, 50))
    ed.view.execute(RemoveNeurons([x2]))  # e.g. an undo shortcut in the middle of the drag
    ed.qtbot.mouseMove(vp, ed.centre(x1) + QPoint(40, 60))
    ed.qtbot.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, ed.centre(x1) + QPoint(40, 60))
    _assert_scene_mirrors(ed)
    assert (net.neuron(x1).x, net.neuron(x1).y) == pytest.approx((40, -35 + 60))
    assert net.has_connection(x1, h1)
    ed.view.canvas.detach()


# ------------------------------------------------------------------ undo bridge
def test_push_runs_do_and_a_refused_command_leaves_no_step():
    from nnstudio.core.commands import FullyConnect
    from nnstudio.core.graph import NetworkError
    from nnstudio.gui.undo import push

    net = layered([2, 1])
    stack = QUndoStack()
    x = [n.id for n in net.inputs()]
    y = net.outputs()[0].id
    before = net.copy()
    with pytest.raises(NetworkError, match="input"):
        push(stack, net, FullyConnect([y], x))
    assert stack.count() == 0 and net.same_as(before)
    push(stack, net, SetWeight(x[0], y, 0.5))
    push(stack, net, SetWeight(x[0], y, 0.75))   # a burst on one weight merges into one step
    push(stack, net, SetWeight(x[1], y, -1.0))
    assert stack.count() == 2 and net.connection(x[0], y).weight == 0.75
    stack.undo()
    stack.undo()
    assert net.same_as(before)
    stack.redo()
    assert net.connection(x[0], y).weight == 0.75 and stack.undoText() == "Set weight"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen tooltip window
def test_hover_shows_where_a_drag_would_connect_or_move(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    net = layered([1, 1])
    net.set_weight(*net.connections()[0].key, 0.5)
    ed = _editor_on(qtbot, net)
    x = net.inputs()[0].id
    item = ed.view.canvas.neuron_item(x)
    ed.qtbot.mouseMove(ed.viewport, ed.rim(x))
    assert item.hover_zone == "rim" and ed.viewport.cursor().shape() == Qt.CrossCursor
    assert "to connect" in ed.statuses[-1]
    ed.qtbot.mouseMove(ed.viewport, ed.centre(x))
    assert item.hover_zone == "body" and ed.viewport.cursor().shape() == Qt.SizeAllCursor
    ed.qtbot.mouseMove(ed.viewport, ed.at(80, 0))
    assert item.hover_zone is None and ed.view.canvas.layer.hovered == net.connections()[0].key
    ed.qtbot.mouseMove(ed.viewport, ed.at(80, 200))
    assert ed.view.canvas.layer.hovered is None
    pos = ed.at(80, 0)
    QApplication.sendEvent(ed.viewport, QHelpEvent(QEvent.ToolTip, pos, ed.viewport.mapToGlobal(pos)))
    assert "weight: 0.5" in QToolTip.text()
    QToolTip.hideText()
    ed.view.canvas.detach()


# ------------------------------------------------------------------ labels
def _outline_rect() -> QRectF:
    return QRectF(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS)


def _assert_text_clear(item) -> None:
    """The label never covers the glyph or the value; inside, it stays within the
    neuron; beside, it stays clear of the neuron."""
    for value in (None, -0.123):
        layout = item.text_layout(value)
        other = layout.glyph_rect if value is None else layout.value_rect
        if other is not None:
            assert not layout.label_rect.intersects(other), (item.nid, layout)
            assert _outline_rect().contains(other)
        if layout.outside:
            assert not layout.label_rect.intersects(_outline_rect())
        else:
            assert abs(layout.label_rect.left()) <= RADIUS - 3 and layout.label_rect.top() >= -RADIUS


def test_labels_are_placed_the_same_way_for_a_whole_role(qtbot):
    """Short labels go inside, long ones beside the neuron (outputs right, inputs left,
    hidden below); one long label takes its whole role outside, so a column never mixes
    the two; nothing overlaps the activation glyph."""
    net = layered([2, 3, 4], output="ova")
    for n, label in zip(net.outputs(), ("alpha", "beta", "delta", "y")):
        net.update_neuron(n.id, label=label)
    ed = _editor_on(qtbot, net)
    canvas = ed.view.canvas
    item = canvas.neuron_item
    for n in net.neurons():
        _assert_text_clear(item(n.id))
    assert [item(n.id).text_layout().outside for n in net.outputs()] == [True] * 4  # "beta", "y" too
    assert all(item(n.id).text_layout().label_rect.left() > RADIUS for n in net.outputs())
    assert not any(item(n.id).text_layout().outside for n in net.inputs() + net.hidden())

    h1 = net.hidden()[0]
    ed.view.execute(UpdateNeuron(h1.id, label="hidden detector"))
    for n in net.hidden():                                   # all hidden labels go below
        layout = item(n.id).text_layout()
        assert layout.outside and layout.label_rect.top() > RADIUS, n.label
        assert item(n.id).boundingRect().contains(layout.label_rect)
        _assert_text_clear(item(n.id))
    ed.stack.undo()
    assert not any(item(n.id).text_layout().outside for n in net.hidden())
    x1 = net.inputs()[0]
    ed.view.execute(UpdateNeuron(x1.id, label="sepal_length"))
    for n in net.inputs():                                   # inputs: to the left
        layout = item(n.id).text_layout()
        assert layout.outside and layout.label_rect.right() < -RADIUS
    ed.view.execute(RemoveNeurons([x1.id]))                  # the long one leaves: inside again
    assert not item(net.inputs()[0].id).text_layout().outside
    ed.view.grab()
    ed.view.canvas.detach()


def test_arrowheads_only_where_few_wires_converge(qtbot):
    from nnstudio.gui.canvas.items import ARROW_MAX_FANIN

    net = layered([ARROW_MAX_FANIN + 3, 2, 1])
    ed = _editor_on(qtbot, net)
    layer = ed.view.canvas.layer
    few = layer._few_incoming()
    for key, ok in zip(layer.keys(), few.tolist()):
        assert ok == (len(net.incoming(key[1])) <= ARROW_MAX_FANIN)
    assert few.any() and not few.all()
    ed.view.canvas.detach()


def crowded(sizes):
    """A softmax network with its columns squeezed 160 apart, however tall they are."""
    net = layered(sizes, output="softmax")
    xs = sorted({n.x for n in net.neurons()})
    for n in net.neurons():
        net.move_neuron(n.id, 160.0 * xs.index(n.x), n.y)
    return net


def test_layered_spaces_tall_columns_apart():
    net = layered([2, 32, 32, 3], output="softmax")
    xs = sorted({n.x for n in net.neurons()})
    assert xs[0] == 0.0
    assert [b - a for a, b in zip(xs, xs[1:])] == [
        max(160.0, round(0.2 * (a - 1 + b - 1) * 70 / 10) * 10) for a, b in [(2, 32), (32, 32), (32, 3)]]


def test_auto_layout_spreads_tall_columns_apart(qtbot):
    """2-32-32-3 with columns 160 apart (2,170 tall) is a solid band of wires; Auto Layout
    spaces the columns by their heights (one undo step), small networks keep the usual 160."""
    from nnstudio.core.commands import COLUMN_GAP, ROW_GAP
    from nnstudio.core.graph import COLUMN_SPREAD
    from nnstudio.gui.canvas.view import readable_layout_positions

    net = crowded([2, 32, 32, 3])
    before = net.copy()
    ed = _editor_on(qtbot, net)
    assert ed.view.layout_is_crowded()
    ed.view.auto_layout()
    assert ed.stack.count() == 1 and not ed.view.layout_is_crowded()
    xs = sorted({n.x for n in net.neurons()})
    gaps = [b - a for a, b in zip(xs, xs[1:])]
    heights = [(k - 1) * ROW_GAP for k in (2, 32, 32, 3)]
    assert gaps == [max(COLUMN_GAP, round(COLUMN_SPREAD * (a + b) / 10) * 10)
                    for a, b in zip(heights, heights[1:])]
    assert gaps[1] > 5 * COLUMN_GAP
    for column in ({n.id for n in net.hidden() if n.x == x} for x in xs[1:3]):
        ys = [net.neuron(i).y for i in sorted(column)]
        assert ys == sorted(ys) and ys[1] - ys[0] == ROW_GAP   # order and spacing kept
    ed.stack.undo()
    assert net.same_as(before)
    small = layered([2, 4, 1])
    assert {x for x, _ in readable_layout_positions(small).values()} == {0.0, COLUMN_GAP, 2 * COLUMN_GAP}
    ed.view.canvas.detach()
