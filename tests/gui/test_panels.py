"""Palette, inspector and dataset panels, through their widgets."""

from __future__ import annotations

import warnings

import pytest

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from nnstudio.gui.canvas import PALETTE_MIME
from nnstudio.gui.canvas.numbers import exact_number


def _select(window, neurons=(), connections=()) -> None:
    """Select on the canvas (the canvas tests cover clicks and rubber bands)."""
    window.view.select(list(neurons), list(connections))


def _neuron(net, label):
    return next(n for n in net.neurons() if n.label == label)


def _type(qtbot, edit, text) -> None:
    """Replace the text of a line edit by typing, then press Enter."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


# --------------------------------------------------------------------------- palette
def test_palette_items_carry_the_canvas_mime_type(window):
    for role in ("input", "hidden", "output"):
        item = window.palette_panel.items[role]
        mime = item.mimeData()
        assert bytes(mime.data(PALETTE_MIME)).decode() == role


class _DragToCanvas:
    """Stands in for QDrag: the drag ends with a drop on the canvas at ``point``."""

    def __init__(self, view, point, log):
        self.view, self.point, self.log = view, point, log

    def __call__(self, source):          # QDrag(source)
        self.source = source
        return self

    def setMimeData(self, mime):
        self.mime = mime

    def setPixmap(self, pixmap):
        pass

    def setHotSpot(self, point):
        pass

    def exec(self, actions):
        self.log.append(bytes(self.mime.data(PALETTE_MIME)).decode())
        viewport = self.view.viewport()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            enter = QDragEnterEvent(self.point, Qt.DropAction.CopyAction, self.mime,
                                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, enter)
        if not enter.isAccepted():
            return Qt.DropAction.IgnoreAction
        drop = QDropEvent(QPointF(self.point), Qt.DropAction.CopyAction, self.mime,
                          Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, drop)
        return Qt.DropAction.CopyAction


def test_dragging_from_the_palette_drops_a_neuron_where_it_lands(window, qtbot, monkeypatch):
    from nnstudio.gui.panels import palette

    view = window.view
    point = view.viewport().rect().center() + QPoint(-120, 90)
    log: list[str] = []
    monkeypatch.setattr(palette, "QDrag", _DragToCanvas(view, point, log))
    item = window.palette_panel.items["output"]
    start = item.rect().center()
    qtbot.mousePress(item, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(item, start + QPoint(QApplication.startDragDistance() + 5, 0))
    qtbot.mouseRelease(item, Qt.MouseButton.LeftButton, pos=start)
    assert log == ["output"]
    net = window.document.network
    assert len(net.outputs()) == 2                      # the drag added one, the release none
    new = net.outputs()[-1]
    where = view.mapToScene(point)
    assert abs(new.x - where.x()) < 1 and abs(new.y - where.y()) < 1


def test_palette_click_adds_a_neuron(window):
    net = window.document.network
    window.palette_panel.items["output"].click()
    assert len(net.outputs()) == 2
    window.act_add["input"].trigger()
    assert len(net.inputs()) == 3
    assert window.document.undo_stack.count() == 2


# ------------------------------------------------------------------------- inspector
def test_nothing_selected_shows_the_summary(window):
    insp = window.inspector
    assert insp.pages.currentWidget() is insp.network_page
    labels = {k: v.text() for k, v in insp.summary_labels.items()}
    summary = window.document.network.summary()
    assert labels == {k: str(summary[k]) for k in labels}
    assert labels["inputs"] == "2" and labels["levels"] == "3"
    assert insp.loss_box.currentData() == "bce"
    assert insp.problems.count() == 1 and "No problems" in insp.problems.item(0).text()


def test_summary_and_problems_follow_edits(window):
    insp = window.inspector
    hidden = len(window.document.network.hidden())
    window.palette_panel.items["hidden"].click()        # an unconnected hidden neuron
    window.view.clear_selection()
    assert insp.summary_labels["hidden"].text() == str(hidden + 1)
    texts = [insp.problems.item(i).text() for i in range(insp.problems.count())]
    assert any(f"h{hidden + 1} has no incoming connections" in t for t in texts)
    window.act_undo.trigger()
    assert insp.summary_labels["hidden"].text() == str(hidden)
    assert "No problems" in insp.problems.item(0).text()


def test_inspector_edits_a_neuron_undoably(window, qtbot):
    insp = window.inspector
    net = window.document.network
    h1 = _neuron(net, "h1")
    _select(window, [h1.id])
    assert insp.pages.currentWidget() is insp.neuron_page
    assert insp.label_edit.text() == "h1"

    _type(qtbot, insp.label_edit, "hidden A")
    assert h1.label == "hidden A"
    insp.activation_box.setCurrentIndex(insp.activation_box.findData("relu"))
    assert h1.activation == "relu"
    _type(qtbot, insp.bias_edit, "0.25")
    assert h1.bias == 0.25
    assert window.document.undo_stack.count() == 3
    assert insp.title.text().startswith("Hidden neuron hidden A")

    window.act_undo.trigger()
    assert h1.bias == 0.0 and insp.bias_edit.text() == "0"
    window.act_undo.trigger()
    assert h1.activation == "tanh" and insp.activation_box.currentData() == "tanh"
    window.act_undo.trigger()
    assert h1.label == "h1" and insp.label_edit.text() == "h1"
    assert not window.document.is_modified
    window.act_redo.trigger()
    assert h1.label == "hidden A"


def test_inspector_rejects_a_bad_number(window, qtbot):
    insp = window.inspector
    h1 = _neuron(window.document.network, "h1")
    _select(window, [h1.id])
    _type(qtbot, insp.bias_edit, "abc")
    assert h1.bias == 0.0 and insp.bias_edit.text() == "0"
    assert "not a number" in window.statusBar().currentMessage()
    assert window.document.undo_stack.count() == 0


def test_inspector_edits_a_weight_undoably(window, qtbot):
    insp = window.inspector
    net = window.document.network
    conn = net.connections()[0]
    old = conn.weight
    _select(window, [], [conn.key])
    assert insp.pages.currentWidget() is insp.connection_page
    _type(qtbot, insp.weight_edit, "-1.5")
    assert net.connection(*conn.key).weight == -1.5
    window.act_undo.trigger()
    assert net.connection(*conn.key).weight == old
    assert insp.weight_edit.text() == exact_number(old)


def test_inspector_number_fields_are_exact_and_push_nothing_unchanged(window, qtbot):
    """A weight like 0.2739233746429086 shows with every digit; leaving the field, or
    typing the same number differently, changes nothing and pushes no undo step."""
    insp = window.inspector
    net = window.document.network
    stack = window.document.undo_stack
    conn = net.connections()[0]
    h1 = _neuron(net, "h1")
    net.set_weight(*conn.key, 0.2739233746429086)
    net.update_neuron(h1.id, bias=-1.0000000000000002e-07)
    stack.clear()
    _select(window, [], [conn.key])
    assert insp.weight_edit.text() == "0.2739233746429086"
    insp.weight_edit.setFocus()
    insp.weight_edit.editingFinished.emit()                 # Enter / Tab without an edit
    _type(qtbot, insp.weight_edit, "0.27392337464290860")  # the same float, typed again
    assert net.connection(*conn.key).weight == 0.2739233746429086 and stack.count() == 0
    _type(qtbot, insp.weight_edit, "2.5e7")                 # no range cap
    assert net.connection(*conn.key).weight == 2.5e7 and stack.count() == 1
    assert insp.weight_edit.text() == "25000000"

    _select(window, [h1.id])
    assert insp.bias_edit.text() == "-1.0000000000000002e-07"
    insp.bias_edit.editingFinished.emit()
    _type(qtbot, insp.bias_edit, "-1.0000000000000002e-7")
    assert h1.bias == -1.0000000000000002e-07 and stack.count() == 1
    _type(qtbot, insp.bias_edit, "inf")
    assert h1.bias == -1.0000000000000002e-07 and stack.count() == 1
    assert "not a finite number" in window.statusBar().currentMessage()


def test_inspector_role_change_is_refused_with_a_reason(window):
    insp = window.inspector
    h1 = _neuron(window.document.network, "h1")
    _select(window, [h1.id])
    insp.role_box.setCurrentIndex(insp.role_box.findData("input"))
    assert h1.role == "hidden"
    assert "cannot be an input" in window.statusBar().currentMessage()
    assert insp.role_box.currentData() == "hidden"


def test_inspector_edits_several_neurons_in_one_step(window):
    insp = window.inspector
    net = window.document.network
    ids = [n.id for n in net.hidden()]
    _select(window, ids)
    assert insp.title.text() == f"{len(ids)} neurons selected"
    insp.activation_box.setCurrentIndex(insp.activation_box.findData("sigmoid"))
    assert {n.activation for n in net.hidden()} == {"sigmoid"}
    assert window.document.undo_stack.count() == 1
    window.act_undo.trigger()
    assert {n.activation for n in net.hidden()} == {"tanh"}


def test_loss_selector_sets_the_outputs_to_match(window):
    insp = window.inspector
    net = window.document.network
    insp.loss_box.setCurrentIndex(insp.loss_box.findData("mse"))
    assert net.loss == "mse" and net.outputs()[0].activation == "sigmoid"   # mse takes any
    insp.loss_box.setCurrentIndex(insp.loss_box.findData("bce"))
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert net.loss == "bce" and not window.document.is_modified
    window.palette_panel.items["output"].click()
    insp.loss_box.setCurrentIndex(insp.loss_box.findData("cross_entropy"))
    assert {n.activation for n in net.outputs()} == {"softmax"}
    window.act_undo.trigger()
    assert net.loss == "bce" and {n.activation for n in net.outputs()} == {"sigmoid"}


# --------------------------------------------------------------------------- dataset
def _load(window, qtbot, path):
    panel = window.dataset_panel
    panel.ask_csv_path = lambda: str(path)
    qtbot.mouseClick(panel.choose_button, Qt.MouseButton.LeftButton)
    return panel


def test_iris_creates_four_inputs_and_three_softmax_outputs(window, qtbot, sample_data):
    window.act_new.trigger()
    panel = _load(window, qtbot, sample_data / "iris.csv")
    assert panel.preview.columnCount() == 5 and panel.preview.rowCount() == 20
    assert panel.preview.item(0, 0).text() == "5.1"
    panel.target_box.setCurrentText("species")
    assert "3 classes: setosa, versicolor, virginica" in panel.task_label.text()
    assert panel.checked_features() == ["sepal_length", "sepal_width", "petal_length",
                                        "petal_width"]
    assert panel.output_mode() == "softmax"
    # the one-hot encoding table: rows are classes, columns outputs, 1 on the diagonal
    enc = panel.encoding
    assert (enc.rowCount(), enc.columnCount()) == (3, 3)
    assert [[enc.item(i, j).text() for j in range(3)] for i in range(3)] == \
        [["1", "0", "0"], ["0", "1", "0"], ["0", "0", "1"]]

    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    net = window.document.network
    assert [n.feature for n in net.inputs()] == ["sepal_length", "sepal_width",
                                                 "petal_length", "petal_width"]
    assert [n.target for n in net.outputs()] == ["setosa", "versicolor", "virginica"]
    assert {n.activation for n in net.outputs()} == {"softmax"}
    assert net.loss == "cross_entropy"
    data = window.document.project.data
    assert data.target == "species" and data.task == "classification"
    assert data.classes == ["setosa", "versicolor", "virginica"]
    assert data.path.endswith("iris.csv")

    window.act_undo.trigger()                      # create: one step
    assert len(net) == 0
    assert window.document.project.data.target == "species"   # choosing the file: another
    window.act_undo.trigger()
    assert window.document.project.data is None and panel.table is None


def test_iris_on_the_xor_sample_reuses_its_inputs_and_output(window, qtbot, sample_data):
    net = window.document.network
    before = net.copy()
    x1 = net.inputs()[0]
    panel = _load(window, qtbot, sample_data / "iris.csv")
    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    assert len(net.inputs()) == 4 and len(net.outputs()) == 3
    assert net.inputs()[0].id == x1.id and net.inputs()[0].feature == "sepal_length"
    assert len(net.outgoing(x1.id)) == len(before.outgoing(x1.id))   # kept its connections
    assert net.errors() == [] or all(p.code != "loss_mismatch" for p in net.errors())
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert net.same_as(before)
    assert window.document.project.data.path.endswith("xor.csv")
    assert panel.path.endswith("xor.csv")


def test_binary_target_has_one_sigmoid_output(window, qtbot, sample_data):
    window.act_new.trigger()
    panel = _load(window, qtbot, sample_data / "linear_classes.csv")
    assert panel.output_mode() == "binary"
    panel.connect_check.setChecked(True)
    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    net = window.document.network
    assert len(net.outputs()) == 1 and net.outputs()[0].activation == "sigmoid"
    assert net.loss == "bce" and net.outputs()[0].target == "1"
    assert len(net.connections()) == 2 and net.errors() == []


def test_derived_and_polynomial_features(window, qtbot, sample_data):
    window.act_new.trigger()
    panel = _load(window, qtbot, sample_data / "polynomial.csv")
    assert panel.task == "regression" and panel.output_mode() == "linear"
    panel.degree_box.setValue(3)
    qtbot.mouseClick(panel.poly_button, Qt.MouseButton.LeftButton)
    assert panel.checked_features() == ["x", "x^2", "x^3"]
    qtbot.keyClicks(panel.derived_edit, "x * x")           # same as x^2: not added twice
    qtbot.keyClick(panel.derived_edit, Qt.Key.Key_Return)
    assert panel.checked_features() == ["x", "x^2", "x^3"]
    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    net = window.document.network
    assert [n.feature for n in net.inputs()] == ["x", "x^2", "x^3"]
    assert [n.target for n in net.outputs()] == ["y"] and net.loss == "mse"
    assert len(net.connections()) == 3                     # no hidden layer: connected


def test_bad_derived_feature_is_explained(window, qtbot, sample_data):
    panel = _load(window, qtbot, sample_data / "polynomial.csv")
    qtbot.keyClicks(panel.derived_edit, "z^2")
    qtbot.keyClick(panel.derived_edit, Qt.Key.Key_Return)
    assert "no column 'z'" in panel.error_label.text()
    assert "z^2" not in panel.checked_features()


def test_bad_csv_shows_the_error_in_the_panel(window, qtbot, tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("x,y\n1,2\n3,4,5\n", encoding="utf-8")
    before = window.document.project.data
    panel = _load(window, qtbot, bad)
    assert panel.error_label.isVisible() or panel.error_label.text()
    assert "ragged.csv line 3" in panel.error_label.text()
    assert "expected 2 values" in panel.error_label.text()
    assert window.document.project.data is before       # binding untouched
    assert not window.document.is_modified


def test_empty_csv_shows_the_error(window, qtbot, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    panel = _load(window, qtbot, empty)
    assert "empty" in panel.error_label.text()


def test_inspector_offers_the_data_for_binding(window, qtbot, sample_data):
    panel = _load(window, qtbot, sample_data / "iris.csv")
    net = window.document.network
    x1 = net.inputs()[0]
    _select(window, [x1.id])
    insp = window.inspector
    choices = [insp.feature_box.itemText(i) for i in range(insp.feature_box.count())]
    assert "petal_width" in choices
    insp.feature_box.setCurrentIndex(insp.feature_box.findText("petal_width"))
    insp.feature_box.activated.emit(insp.feature_box.currentIndex())
    assert x1.feature == "petal_width"
    window.act_undo.trigger()
    assert x1.feature != "petal_width"
    assert panel.table is not None


def test_missing_bound_data_is_explained_not_fatal(window, tmp_path, sample_data):
    import shutil

    from nnstudio.core import fileformat
    from nnstudio.core.graph import layered
    from nnstudio.core.settings import DataBinding, Project

    csv = tmp_path / "iris.csv"
    shutil.copy(sample_data / "iris.csv", csv)
    path = tmp_path / "iris.nns"
    fileformat.save_project(Project(layered([4, 3], output="softmax"),
                                    data=DataBinding(str(csv), "species", "classification",
                                                     ["setosa", "versicolor", "virginica"])),
                            str(path))
    csv.unlink()
    window.ask_open_path = lambda: str(path)
    window.act_open.trigger()
    panel = window.dataset_panel
    assert window.windowTitle() == "iris — nnstudio"
    assert "cannot be read" in panel.error_label.text() and "iris.csv" in panel.error_label.text()
    assert panel.table is None
    assert window.document.project.data.target == "species"     # the binding is kept


def test_double_click_on_a_neuron_edits_its_label(window, qtbot):
    h1 = _neuron(window.document.network, "h1")
    view = window.view
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                      pos=view.mapFromScene(QPointF(h1.x, h1.y)))
    insp = window.inspector
    assert insp.pages.currentWidget() is insp.neuron_page
    assert insp.label_edit.hasFocus() and insp.label_edit.selectedText() == "h1"
    qtbot.keyClicks(insp.label_edit, "first")
    qtbot.keyClick(insp.label_edit, Qt.Key.Key_Return)
    assert h1.label == "first"


# ------------------------------------------------- the mapping, without widgets
def test_io_commands_undo_and_redo_exactly():
    from nnstudio.core import commands
    from nnstudio.core.graph import layered
    from nnstudio.gui.panels.mapping import io_commands, output_spec

    classes = ["setosa", "versicolor", "virginica"]
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    for start in (layered([2, 4, 1], output="sigmoid"), layered([6, 2]), layered([1, 1])):
        net = start.copy()
        spec = output_spec("softmax", "species", classes)
        macro = commands.Macro("create", io_commands(net, features, spec, "cross_entropy",
                                                     "softmax", connect=True))
        macro.do(net)
        assert [n.feature for n in net.inputs()] == features
        assert [n.target for n in net.outputs()] == classes
        assert all(net.has_connection(i.id, o.id) for i in net.inputs() for o in net.outputs())
        assert net.errors() == []
        done = net.copy()
        macro.undo(net)
        assert net.same_as(start)
        macro.do(net)
        assert net.same_as(done)


def test_output_encodings():
    from nnstudio.gui.panels.mapping import class_label, output_modes, output_spec

    assert [m for m, _ in output_modes("regression", None)] == ["linear"]
    assert [m for m, _ in output_modes("classification", ["0", "1"])] == ["binary", "softmax", "ova"]
    assert [m for m, _ in output_modes("classification", list("abc"))] == ["softmax", "ova"]
    assert output_spec("binary", "label", ["0", "1"]) == [("label", "1")]
    assert output_spec("linear", "price", None) == [("price", "price")]
    assert class_label("digit", "3") == "digit=3" and class_label("species", "setosa") == "setosa"


def test_inspector_takes_a_typed_derived_feature(window, qtbot):
    x1 = window.document.network.inputs()[0]
    _select(window, [x1.id])
    box = window.inspector.feature_box
    _type(qtbot, box.lineEdit(), "x1 * x2")
    assert x1.feature == "x1*x2"
    _type(qtbot, box.lineEdit(), "x1^^2")
    assert x1.feature == "x1*x2"
    assert "bad feature expression" in window.statusBar().currentMessage()


# ------------------------------------------------------------- the selected sample
def _expected_activations(net, x: list[float]) -> dict[int, float]:
    """A forward pass by hand (tanh hidden, sigmoid output): the reference."""
    import math

    value = {n.id: xi for n, xi in zip(net.inputs(), x)}
    for nid in net.topological_order():
        n = net.neuron(nid)
        if n.role == "input":
            continue
        z = n.bias + sum(c.weight * value[c.source] for c in net.incoming(nid))
        value[nid] = {"tanh": math.tanh, "sigmoid": lambda v: 1 / (1 + math.exp(-v))}[n.activation](z)
    return value


def test_selecting_a_data_row_fills_the_neurons_with_its_activations(window, qtbot):
    """Issue 3: neuron fill by its activation on the selected sample. A row chosen in the
    dataset preview runs through the network (core engine); the canvas fills every neuron
    by its value, shows it on hover, follows edits, and clears when the row is
    deselected or the network cannot run."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    from nnstudio.core.commands import AddNeuron
    from nnstudio.gui.canvas.items import RADIUS, activation_fill

    net = window.document.network
    panel = window.dataset_panel
    canvas = window.view.canvas
    assert canvas.activations is None
    row = 4
    x = [float(panel.table.cells[row][0]), float(panel.table.cells[row][1])]
    table_rect = panel.preview.visualItemRect(panel.preview.item(row, 0))
    qtbot.mouseClick(panel.preview.viewport(), Qt.MouseButton.LeftButton, pos=table_rect.center())
    assert panel.selected_row() == row
    controller = window.training.controller      # the training views inspect the same row
    assert controller.selected_row == row and controller.sample_chosen
    expected = _expected_activations(net, x)
    assert canvas.activations is not None and set(canvas.activations) == set(expected)
    for nid, value in expected.items():
        assert abs(canvas.activations[nid] - value) < 1e-12, net.neuron(nid).label
    assert "Row 5 on the canvas" in window.statusBar().currentMessage()

    # the fill: the input x2 (value 0.86) is painted in the colour of its activation
    x2 = _neuron(net, "x2")
    image = window.view.viewport().grab().toImage()
    point = window.view.mapFromScene(QPointF(x2.x - 0.75 * RADIUS, x2.y - 0.75 * RADIUS))
    want = activation_fill(canvas.activations[x2.id])
    got = image.pixelColor(point)
    assert max(abs(got.red() - want.red()), abs(got.green() - want.green()),
               abs(got.blue() - want.blue())) <= 3, (got.name(), want.name())

    # hover: the tooltip gives the value
    out = net.outputs()[0]
    at = window.view.mapFromScene(QPointF(out.x, out.y))
    QApplication.sendEvent(window.view.viewport(), QHelpEvent(
        QEvent.Type.ToolTip, at, window.view.viewport().mapToGlobal(at)))
    assert f"activation on the sample: {expected[out.id]:.3g}" in QToolTip.text()
    QToolTip.hideText()

    # an edit of a weight (inspector) updates the values
    conn = net.incoming(out.id)[0]
    _select(window, [], [conn.key])
    _type(qtbot, window.inspector.weight_edit, "3")
    assert canvas.activations[out.id] == pytest.approx(_expected_activations(net, x)[out.id], abs=1e-12)
    assert canvas.activations[out.id] != pytest.approx(expected[out.id])

    # a network that cannot run (an unconnected output) shows no values; fixed, they return
    window.document.push(AddNeuron("output", 500, 0))
    assert canvas.activations is None
    window.act_undo.trigger()
    assert canvas.activations is not None
    panel.select_row(None)
    assert canvas.activations is None and panel.sample is None
    assert not controller.sample_chosen
