"""The main window driven as a person would: menu actions, keys, file prompts, drops."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import warnings

import pytest

from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, QSize, Qt, QUrl
from PySide6.QtGui import QCursor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from nnstudio.core import fileformat
from nnstudio.core.graph import Network, layered
from nnstudio.core.settings import Project
from nnstudio.gui.canvas.items import RADIUS
from nnstudio.gui.main_window import MAX_RECENT, MainWindow

from canvas_driver import Editor, assert_layered, build_by_hand


def file_url(path) -> QUrl:
    return QUrl.fromLocalFile(os.path.abspath(path))


def _save_network(path, net: Network) -> str:
    fileformat.save_project(Project(net), str(path))
    return str(path)


def _edit(window) -> None:
    """One ordinary edit, as from the palette: a hidden neuron."""
    window.palette_panel.items["hidden"].click()


def _counts(net) -> tuple[int, int, int]:
    return len(net.inputs()), len(net.hidden()), len(net.outputs())


# ------------------------------------------------------------------ the sample, title
def test_window_opens_on_the_sample_with_its_data(window):
    net = window.document.network
    inputs, hidden, outputs = _counts(net)
    assert inputs == 2 and hidden >= 2 and outputs == 1      # XOR: 2 inputs, a hidden layer
    assert net.errors() == []
    assert window.windowTitle() == "xor (sample) — nnstudio"
    assert window.document.project.data is not None
    assert window.dataset_panel.table is not None          # the bound CSV is shown
    assert window.dataset_panel.target_box.currentText() == window.document.project.data.target


def test_title_marks_unsaved_changes_until_undone(window):
    hidden = len(window.document.network.hidden())
    _edit(window)
    assert len(window.document.network.hidden()) == hidden + 1
    assert window.windowTitle() == "xor (sample)* — nnstudio"
    window.act_undo.trigger()
    assert len(window.document.network.hidden()) == hidden
    assert window.windowTitle() == "xor (sample) — nnstudio"
    window.act_redo.trigger()
    assert window.windowTitle().endswith("* — nnstudio")


def test_undo_shortcut_from_the_keyboard(window, qtbot):
    before = window.document.network.copy()
    _edit(window)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.network.same_as(before)
    assert not window.document.is_modified


def test_standard_shortcuts_are_set(window):
    from PySide6.QtGui import QKeySequence

    SK = QKeySequence.StandardKey
    for action, key in ((window.act_new, SK.New), (window.act_open, SK.Open),
                        (window.act_save, SK.Save), (window.act_save_as, SK.SaveAs),
                        (window.act_undo, SK.Undo), (window.act_redo, SK.Redo),
                        (window.act_delete, SK.Delete), (window.act_select_all, SK.SelectAll),
                        (window.act_zoom_in, SK.ZoomIn), (window.act_zoom_out, SK.ZoomOut)):
        assert action.shortcut() == QKeySequence(key), action.text()
    assert window.act_fit.shortcut() == QKeySequence("Ctrl+0")


def test_select_all_and_delete_keys_on_the_canvas(window, qtbot):
    before = window.document.network.copy()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.view.selected_neurons()) == len(before)
    assert window.act_delete.isEnabled()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert len(window.document.network) == 0
    window.act_undo.trigger()
    assert window.document.network.same_as(before)


def test_canvas_keys_do_not_fire_while_typing_in_a_panel(window, qtbot):
    """Delete and Select All belong to the canvas: in a text field they edit the text."""
    window.view.select_all()
    edit = window.dataset_panel.derived_edit
    edit.setFocus()
    qtbot.keyClicks(edit, "x1")
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    assert edit.text() == ""
    assert window.document.undo_stack.count() == 0


def test_palette_keys_add_at_the_cursor(window, qtbot):
    """I, H and O add a neuron where the mouse is (not just somewhere)."""
    net = window.document.network
    view = window.view
    view.setFocus()
    area = view.viewport().rect()               # three corners of the canvas, wherever it is
    w, h = area.width(), area.height()
    for key, role, point in ((Qt.Key.Key_H, "hidden", QPoint(w * 14 // 100, h * 12 // 100)),
                             (Qt.Key.Key_I, "input", QPoint(w * 6 // 100, h * 90 // 100)),
                             (Qt.Key.Key_O, "output", QPoint(w * 89 // 100, h * 60 // 100))):
        assert area.contains(point)
        x, y = view.mapToScene(point).x(), view.mapToScene(point).y()
        QCursor.setPos(view.viewport().mapToGlobal(point))
        assert view.viewport().mapFromGlobal(QCursor.pos()) == point
        before = {n.id for n in net.neurons()}
        qtbot.keyClick(view, key)
        (new,) = [n for n in net.neurons() if n.id not in before]
        assert new.role == role
        assert (new.x, new.y) == (x, y)              # the scene point under the cursor
        assert view.mapFromScene(QPointF(new.x, new.y)) == point
        assert view.selected_neurons() == [new.id]


def test_layer_tools(window):
    net = window.document.network
    before = net.copy()
    hidden = len(net.hidden())
    window.view.select([n.id for n in net.inputs()])
    window.ask_layer = lambda: (3, "hidden", "relu")
    window.act_add_layer.trigger()                      # fed by the selected inputs
    new = [n for n in net.hidden() if n.activation == "relu"]
    assert len(new) == 3 and len(net.hidden()) == hidden + 3
    assert all(len(net.incoming(n.id)) == 2 for n in new)
    window.act_undo.trigger()
    assert net.same_as(before)
    window.ask_layer = lambda: None                     # cancelled: nothing happens
    window.act_add_layer.trigger()
    assert net.same_as(before) and not window.document.is_modified

    window.view.select([n.id for n in net.hidden()])
    window.act_duplicate.trigger()
    assert len(net.hidden()) == 2 * hidden
    copies = window.view.selected_neurons()
    window.view.select(copies + [n.id for n in net.outputs()])
    window.act_connect.trigger()                        # copies -> output
    assert all(net.has_connection(c, net.outputs()[0].id) for c in copies)

    window.act_undo.trigger()
    window.act_undo.trigger()
    for n in net.neurons():                             # scramble, then auto layout
        net.move_neuron(n.id, n.y, n.x)
    window.act_layout.trigger()
    xs = {n.role: {m.x for m in net.neurons(n.role)} for n in net.neurons()}
    assert all(len(v) == 1 for v in xs.values())        # one column per role here
    assert xs["input"] < xs["hidden"] < xs["output"] or \
        max(xs["input"]) < min(xs["hidden"]) < min(xs["output"])


def test_status_bar_summary_follows_the_network(window):
    net = window.document.network
    assert f"{len(net.connections())} connections" in window.summary_label.text()
    assert "ready to train" in window.summary_label.text()
    hidden = len(net.hidden())
    _edit(window)
    assert f"{hidden + 1} hidden" in window.summary_label.text()
    window.view.select([n.id for n in net.outputs()])
    window.act_delete.trigger()
    assert "problem" in window.summary_label.text()


# ------------------------------------------------------------------------- files
def test_save_and_open_round_trip(window, tmp_path):
    path = tmp_path / "xor-copy.nns"
    window.ask_save_path = lambda: str(path)
    _edit(window)
    window.act_save.trigger()                        # untitled: Save asks where
    assert path.exists()
    assert window.windowTitle() == "xor-copy — nnstudio"
    saved = window.document.network.copy()

    window.act_new.trigger()
    assert len(window.document.network) == 0
    assert window.windowTitle() == "Untitled — nnstudio"

    window.ask_open_path = lambda: str(path)
    window.act_open.trigger()
    assert window.document.network.same_as(saved)
    assert window.document.path == str(path)
    assert window.windowTitle() == "xor-copy — nnstudio"
    # the data binding followed the file
    assert window.document.project.data is not None
    assert os.path.exists(window.document.data_path())


def test_save_keeps_the_file_and_clean_state(window, tmp_path):
    path = tmp_path / "a.nns"
    window.ask_save_path = lambda: str(path)
    window.act_save_as.trigger()
    _edit(window)
    assert window.document.is_modified
    window.ask_save_path = lambda: (_ for _ in ()).throw(AssertionError("asked again"))
    window.act_save.trigger()                        # has a path now: no prompt
    assert not window.document.is_modified
    assert fileformat.load_project(str(path)).network.same_as(window.document.network)


def test_save_as_adds_the_extension(window, tmp_path):
    window.ask_save_path = lambda: str(tmp_path / "noext")
    window.act_save_as.trigger()
    assert (tmp_path / "noext.nns").exists()


def test_open_recent_lists_and_opens_files(window, tmp_path):
    a = _save_network(tmp_path / "a.nns", layered([3, 4, 1]))
    b = _save_network(tmp_path / "b.nns", layered([4, 3]))
    for path in (a, b):
        window.ask_open_path = lambda p=path: p
        window.act_open.trigger()
    window.recent_menu.aboutToShow.emit()
    paths = [act.data() for act in window.recent_menu.actions() if act.data()]
    assert paths == [b, a]
    recent_a = next(act for act in window.recent_menu.actions() if act.data() == a)
    recent_a.trigger()
    assert window.document.network.same_as(fileformat.load_project(a).network)


def test_open_recent_keeps_at_most_eight(window, tmp_path):
    for i in range(MAX_RECENT + 3):
        window.add_recent(str(tmp_path / f"n{i}.nns"))
    files = window.recent_files()
    assert len(files) == MAX_RECENT
    assert files[0].endswith(f"n{MAX_RECENT + 2}.nns")


def test_missing_recent_file_is_removed_with_a_message(window, tmp_path, messages):
    gone = str(tmp_path / "gone.nns")
    window.add_recent(gone)
    before = window.document.network.copy()
    window.recent_menu.aboutToShow.emit()
    next(act for act in window.recent_menu.actions() if act.data() == gone).trigger()
    assert gone not in window.recent_files()
    assert messages and "gone.nns" in messages[-1][2]
    assert window.document.network.same_as(before)


def _bad_files(tmp_path) -> dict[str, tuple[str, str]]:
    """name -> (path, words the message must contain)."""
    good = fileformat.project_to_dict(Project(layered([2, 2, 1], output="sigmoid")))
    cycle = json.loads(json.dumps(good))
    hidden = [n["id"] for n in cycle["neurons"] if n["role"] == "hidden"]
    cycle["connections"] += [{"source": hidden[0], "target": hidden[1], "weight": 0.0},
                             {"source": hidden[1], "target": hidden[0], "weight": 0.0}]
    newer = dict(good, version=fileformat.FORMAT_VERSION + 1)
    files = {
        "broken": ('{"format": "nnstudio-network", "version": 1, "neurons": [', "JSON"),
        "cycle": (json.dumps(cycle), "cycle"),
        "newer": (json.dumps(newer), "newer"),
    }
    out = {}
    for name, (text, words) in files.items():
        path = tmp_path / f"{name}.nns"
        path.write_text(text, encoding="utf-8")
        out[name] = (str(path), words)
    return out


def test_bad_files_show_a_dialog_and_leave_the_network_untouched(window, tmp_path, messages):
    _edit(window)                                # unsaved work that must survive
    window.ask_unsaved_changes = lambda: "discard"
    before = window.document.network.copy()
    title = window.windowTitle()
    for name, (path, words) in _bad_files(tmp_path).items():
        messages.clear()
        window.ask_open_path = lambda p=path: p
        window.act_open.trigger()
        assert len(messages) == 1, name
        kind, _title, text = messages[0]
        assert kind == "warning"
        assert f"{name}.nns" in text and words.lower() in text.lower(), text
        assert "Traceback" not in text
        assert window.document.network.same_as(before), name
        assert window.windowTitle() == title
        assert path not in window.recent_files()
    assert window.document.is_modified            # the unsaved edit is still there
    window.act_undo.trigger()
    assert not window.document.is_modified


# ----------------------------------------------------------- unsaved-changes prompt
def test_cancel_keeps_the_document(window):
    _edit(window)
    edited = window.document.network.copy()
    asked = []
    window.ask_unsaved_changes = lambda: asked.append(1) or "cancel"
    window.act_new.trigger()
    assert asked and window.document.network.same_as(edited) and window.document.is_modified
    window.ask_open_path = lambda: (_ for _ in ()).throw(AssertionError("asked for a file"))
    window.act_open.trigger()                     # cancelled before the file prompt
    assert window.document.network.same_as(edited)
    window.close()
    assert window.isVisible()                     # close was refused


def test_discard_proceeds(window):
    _edit(window)
    window.ask_unsaved_changes = lambda: "discard"
    window.act_new.trigger()
    assert len(window.document.network) == 0
    assert not window.document.is_modified


def test_save_answer_saves_first(window, tmp_path):
    _edit(window)
    path = tmp_path / "kept.nns"
    window.ask_unsaved_changes = lambda: "save"
    window.ask_save_path = lambda: str(path)
    edited = window.document.network.copy()
    window.act_new.trigger()
    assert fileformat.load_project(str(path)).network.same_as(edited)
    assert len(window.document.network) == 0


def test_save_answer_then_cancelled_save_dialog_keeps_the_document(window):
    _edit(window)
    window.ask_unsaved_changes = lambda: "save"
    window.ask_save_path = lambda: None
    edited = window.document.network.copy()
    window.act_new.trigger()
    assert window.document.network.same_as(edited) and window.document.is_modified


def test_close_with_unsaved_changes_asks(window):
    _edit(window)
    window.ask_unsaved_changes = lambda: "discard"
    assert window.close()
    assert not window.isVisible()


# -------------------------------------------------------------------------- drops
def _drop(window, paths) -> None:
    """Drag files from a file manager and drop them on the middle of the canvas."""
    mime = QMimeData()
    mime.setUrls([file_url(p) for p in paths])
    target = window.view.viewport()
    centre = target.rect().center()
    with warnings.catch_warnings():       # PySide marks the QPoint constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)


def test_dropping_a_network_file_opens_it(window, tmp_path):
    path = _save_network(tmp_path / "dropped.nns", layered([3, 4, 1]))
    _drop(window, [path])
    assert window.windowTitle() == "dropped — nnstudio"
    assert len(window.document.network.inputs()) == 3


def test_dropping_a_csv_binds_it(window, sample_data):
    _drop(window, [str(sample_data / "iris.csv")])
    data = window.document.project.data
    assert data.target == "species" and data.classes == ["setosa", "versicolor", "virginica"]
    assert window.dataset_panel.table.columns[-1] == "species"
    window.act_undo.trigger()                      # binding is one undo step
    assert window.document.project.data.path.endswith("xor.csv")


def test_dropping_a_csv_on_an_empty_network_creates_inputs_and_outputs(window, sample_data):
    window.act_new.trigger()
    _drop(window, [str(sample_data / "linear_2var.csv")])
    net = window.document.network
    assert [n.feature for n in net.inputs()] == ["x1", "x2"]
    assert [n.target for n in net.outputs()] == ["y"] and net.loss == "mse"
    window.act_undo.trigger()                      # one step
    assert len(net) == 0 and window.document.project.data is None


# ------------------------------------------------------------------ docks, layout
def test_docks_exist_with_their_panels(window):
    names = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    views = {"dock-cost", "dock-weights", "dock-gradients", "dock-outputs", "dock-data"}
    assert set(names) == {"dock-palette", "dock-inspector", "dock-dataset", "dock-training"} | views
    assert names["dock-training"].widget() is window.training.panel
    # no placeholder promising training views is left anywhere
    assert not [label.text() for label in window.findChildren(QLabel)
                if "will live here" in label.text()]
    assert window.findChild(QLabel, "training-placeholder") is None
    for dock in names.values():
        assert dock.isVisible()
    assert set(window.docks()) == set(names.values())
    # the View menu shows and hides every one of them, Reset Layout last
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggles = [a for a in view_menu.actions() if a.isCheckable()]
    assert toggles == [d.toggleViewAction() for d in window.docks()]
    assert view_menu.actions()[-1] is window.act_reset_layout


def test_default_layout_leaves_the_canvas_room(window):
    """At the default size the canvas keeps a good share of the window, every panel is
    docked (none floats), the training row and the plots beside the canvas are not
    squeezed, and the training panel's buttons show their whole text."""
    assert window.size() == QSize(1280, 800)
    canvas = window.view.viewport()
    assert canvas.width() >= 0.45 * window.width() and canvas.height() >= 0.5 * window.height()
    for dock in window.docks():
        assert not dock.isFloating()
    ui = window.training
    for name in ("Cost", "Weights", "Data", "Outputs"):
        dock = ui.docks[name]
        assert dock.width() >= 250 and dock.height() >= 250, (name, dock.size())
    assert window.training_dock.width() >= ui.panel.buttons_width()
    for button in ui.panel.buttons.values():
        assert button.width() >= button.sizeHint().width(), button.text()


def test_reset_layout_restores_the_default_docks(window):
    cost, outputs = window.training.docks["Cost"], window.training.docks["Outputs"]
    window.dataset_dock.hide()
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.inspector_dock)
    window.palette_dock.setFloating(True)
    cost.setFloating(True)
    outputs.hide()
    window.act_reset_layout.trigger()
    assert window.dataset_dock.isVisible()
    assert not window.palette_dock.isFloating()
    assert window.dockWidgetArea(window.inspector_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not cost.isFloating() and outputs.isVisible()
    assert window.dockWidgetArea(cost) == Qt.DockWidgetArea.BottomDockWidgetArea


def test_a_layout_saved_before_the_training_views_is_not_restored(qtbot, settings_dir):
    """An older layout (version 1) would leave the training views wherever Qt puts them:
    the window shows the default layout instead."""
    first = MainWindow()
    qtbot.addWidget(first)
    first.dataset_dock.hide()
    old = first.saveState(1)
    first.persist_settings = False
    first.close()
    stored = QSettings(str(settings_dir / "nnstudio.ini"), QSettings.Format.IniFormat)
    stored.setValue("window/state", old)
    stored.sync()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert not second.dataset_dock.isHidden()             # (behind the Data tab)
    second.close()


def test_geometry_and_dock_state_persist(qtbot, settings_dir):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(QSize(700, 500))          # fits the offscreen screen (800x600)
    expected = first.size()                # (no smaller than the docks' minimum)
    first.dataset_dock.hide()
    first.add_recent("/tmp/some.nns")
    assert first.close()

    ini = settings_dir / "nnstudio.ini"
    assert ini.exists()
    stored = QSettings(str(ini), QSettings.Format.IniFormat)
    assert stored.value("window/geometry") is not None
    assert stored.value("window/state") is not None

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    size = second.size()             # offscreen Qt may be off by a pixel after restoring
    assert abs(size.width() - expected.width()) <= 2
    assert abs(size.height() - expected.height()) <= 2
    assert not second.dataset_dock.isVisible()
    assert second.recent_files() == ["/tmp/some.nns"]
    second.close()


def test_restored_dock_sizes_are_not_overridden(qtbot, settings_dir):
    """The panels' sizes a user left are the ones the next run shows, the training
    views' included: the default sizes apply only without a saved layout."""
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(QSize(780, 580))           # fits the offscreen screen (800x600)
    first.reset_layout()
    qtbot.wait(50)                          # the default dock sizes are applied by now
    data = first.training.docks["Data"]
    first.resizeDocks([data], [data.width() + 40], Qt.Orientation.Horizontal)
    qtbot.wait(20)
    left = data.width()
    size = first.size()
    assert first.close()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.wait(50)
    data = second.training.docks["Data"]
    assert abs(second.width() - size.width()) <= 2 and abs(second.height() - size.height()) <= 2
    assert abs(data.width() - left) <= 2, (data.width(), left)
    second.reset_layout()                   # and Reset Layout brings the defaults back
    qtbot.wait(20)
    assert data.width() < left - 20
    second.close()


def test_settings_never_touch_the_home_folder(qtbot, settings_dir, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    from nnstudio.gui.app import app_settings

    assert app_settings().fileName().startswith(str(settings_dir))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.add_recent(str(tmp_path / "x.nns"))
    w.close()
    assert list(home.rglob("*")) == []
    assert (settings_dir / "nnstudio.ini").exists()


# ------------------------------------------------------------------ bulk edits
def _count_selection_signals(window) -> list:
    """The canvas's selection signals, each with what the inspector was then handed."""
    log: list = []
    window.view.canvas.sigSelectionChanged.connect(lambda n, c: log.append(["canvas", len(n), len(c)]))
    inspector_set = window.inspector.set_selection

    def counting(neurons, connections):
        log.append(["inspector", len(neurons), len(connections)])
        inspector_set(neurons, connections)

    window.inspector.set_selection = counting  # _selection_changed calls it by name
    return log


def _signals(log) -> list:
    return sorted(tuple(e) for e in log)


def test_deleting_a_large_selection_announces_it_once(window):
    """Select All + Delete of 2,400 connections and 100 neurons: the selection changes
    once (not once per removed item, which made the inspector re-read the whole
    selection 2,500 times: quadratic), and so do undo and redo."""
    net = layered([10, 40, 40, 10], output="sigmoid")
    assert len(net.connections()) == 2400
    window.document.set_project(Project(net))
    before = net.copy()
    log = _count_selection_signals(window)
    window.view.select_all()
    assert _signals(log) == [("canvas", 100, 2400), ("inspector", 100, 2400)]
    log.clear()
    window.act_delete.trigger()
    assert len(net) == 0
    assert _signals(log) == [("canvas", 0, 0), ("inspector", 0, 0)]   # once, at once
    QApplication.processEvents()
    assert len(log) == 2                                    # and nothing owed afterwards
    assert window.inspector.pages.currentWidget() is window.inspector.network_page
    assert not window.act_delete.isEnabled()
    log.clear()
    layer = window.view.canvas.layer
    calls = {"geometry": 0, "repaint": 0}
    retrim, update = layer._retrim, layer.update

    def counting_retrim(rows):
        calls["geometry"] += 1
        retrim(rows)

    def counting_update(*args):
        calls["repaint"] += 1
        update(*args)

    layer._retrim, layer.update = counting_retrim, counting_update
    window.act_undo.trigger()                               # 2,400 connections come back:
    assert not layer.pending                                # wired at the end of the step,
    assert calls["geometry"] <= 2 and calls["repaint"] <= 3  # in one go, not 2,400
    for c in before.connections()[::97]:
        x0, y0, x1, y1 = layer.segment(c.key)
        s, t = net.neuron(c.source), net.neuron(c.target)
        assert math.hypot(x0 - s.x, y0 - s.y) == pytest.approx(RADIUS)        # on the outlines
        assert math.hypot(x1 - t.x, y1 - t.y) == pytest.approx(RADIUS + 1.5)
    QApplication.processEvents()
    assert net.same_as(before) and log == []                # nothing selected was removed
    calls.update(geometry=0, repaint=0)
    window.act_redo.trigger()
    assert calls["repaint"] <= 2 and len(layer) == 0
    QApplication.processEvents()
    assert len(net) == 0 and log == []


def test_undoing_bulk_additions_of_selected_neurons_announces_once(window):
    """Add Layer and Duplicate select what they add; undoing them removes the selected
    neurons: one selection signal per undo step, not one per neuron."""
    net = layered([10, 40, 10])
    window.document.set_project(Project(net))
    log = _count_selection_signals(window)
    window.view.select([n.id for n in net.hidden()])
    window.ask_layer = lambda: (100, "hidden", "tanh")
    log.clear()
    window.act_add_layer.trigger()
    assert len(net.hidden()) == 140 and _signals(log) == [("canvas", 100, 0), ("inspector", 100, 0)]
    log.clear()
    window.act_undo.trigger()
    QApplication.processEvents()
    assert len(net.hidden()) == 40 and _signals(log) == [("canvas", 0, 0), ("inspector", 0, 0)]

    window.view.select([n.id for n in net.neurons()])
    log.clear()
    window.act_duplicate.trigger()
    assert len(net) == 120 and len(log) == 2
    log.clear()
    window.act_undo.trigger()
    QApplication.processEvents()
    assert len(net) == 60 and _signals(log) == [("canvas", 0, 0), ("inspector", 0, 0)]

    # edits made outside the undo stack (training, scripts): once per turn of the loop
    window.view.select_all()
    log.clear()
    for n in net.hidden():
        net.remove_neuron(n.id)
    assert log == []
    QApplication.processEvents()
    assert _signals(log) == [("canvas", 20, 0), ("inspector", 20, 0)]


# ------------------------------------- course networks: mouse, Save, Open, command line
def _save_and_reopen_through_the_window(window, path) -> Network:
    """File > Save (an untitled network asks where), File > New, File > Open: the
    network that comes back is the one that was saved, and the canvas shows it."""
    built = window.document.network.copy()
    window.ask_save_path = lambda: str(path)
    window.act_save.trigger()
    assert window.document.path == str(path) and not window.document.is_modified
    window.ask_open_path = lambda: (_ for _ in ()).throw(AssertionError("asked too early"))
    window.act_new.trigger()
    assert len(window.document.network) == 0
    window.ask_open_path = lambda: str(path)
    window.act_open.trigger()
    reopened = window.document.network
    assert reopened is not built and reopened.same_as(built)  # neurons (positions, labels,
    assert window.windowTitle() == f"{path.stem} — nnstudio"  # biases...), connections, weights
    canvas = window.view.canvas
    assert sorted(canvas.items_by_id) == sorted(n.id for n in built.neurons())
    for n in built.neurons():
        assert canvas.neuron_item(n.id).pos() == QPointF(n.x, n.y)
    assert sorted(canvas.layer.keys()) == sorted(c.key for c in built.connections())
    return reopened


def _train_from_the_command_line(path, data, tmp_path) -> str:
    """``nnstudio train FILE --data CSV -o OUT`` in a fresh process; the trained file has
    the same neurons and connections. Returns what the command printed."""
    out = tmp_path / "trained.nns"
    done = subprocess.run([sys.executable, "-m", "nnstudio", "train", str(path), "--data", str(data),
                           "--epochs", "30", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    trained = fileformat.load_project(str(out)).network
    saved = fileformat.load_project(str(path)).network
    assert [(n.id, n.role) for n in trained.neurons()] == [(n.id, n.role) for n in saved.neurons()]
    assert [c.key for c in trained.connections()] == [c.key for c in saved.connections()]
    assert any(c.weight != 0 for c in trained.connections())
    return done.stdout


def _choose_loss(window, loss: str) -> None:
    """The loss, as a student picks it in the inspector (the outputs' activation follows)."""
    window.view.clear_selection()
    box = window.inspector.loss_box
    box.setCurrentIndex(box.findData(loss))
    assert window.document.network.loss == loss


def _regression_csv(tmp_path, features: int) -> str:
    rng = random.Random(7)
    path = tmp_path / "regression.csv"
    rows = [",".join(f"f{i}" for i in range(features)) + ",y"]
    for _ in range(60):
        xs = [rng.uniform(-1, 1) for _ in range(features)]
        rows.append(",".join(f"{x:.6f}" for x in xs) + f",{sum((i + 1) * x for i, x in enumerate(xs)):.6f}")
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize("sizes, loss, csv", [([4, 3], "cross_entropy", "iris.csv"),
                                              ([3, 4, 1], "mse", None),
                                              ([2, 2, 1], "bce", "xor.csv")])
def test_course_networks_built_with_the_mouse_saved_reopened_and_trained(
        window, qtbot, tmp_path, sample_data, sizes, loss, csv):
    """Issue 3, acceptance 2: every neuron dropped from the palette and every connection
    dragged on the main window's canvas; saved and reopened with File > Save and File >
    Open: identical; and ``nnstudio train`` trains the saved file."""
    window.act_new.trigger()
    ed = Editor(qtbot, view=window.view)
    build_by_hand(ed, sizes)
    _choose_loss(window, loss)
    assert_layered(ed.net, sizes)
    steps = sum(sizes) + sum(a * b for a, b in zip(sizes, sizes[1:])) + (loss != "mse")
    assert window.document.undo_stack.count() == steps  # one per drop, per drag, the loss
    path = tmp_path / f"net_{'_'.join(map(str, sizes))}.nns"
    reopened = _save_and_reopen_through_the_window(window, path)
    assert_layered(reopened, sizes)
    data = sample_data / csv if csv else _regression_csv(tmp_path, sizes[0])
    printed = _train_from_the_command_line(path, data, tmp_path)
    assert "cost" in printed
    if loss != "mse":
        assert "accuracy" in printed


def test_iris_4_10_3_with_add_layer_and_fully_connect_saved_reopened_and_trained(
        window, qtbot, tmp_path, sample_data):
    """Inputs and outputs dropped, a rubber band around the inputs, Add Layer (10 tanh),
    Fully Connect Selection to the outputs, softmax cross-entropy; Save, Open, train."""
    window.act_new.trigger()
    ed = Editor(qtbot, view=window.view)
    inputs = ed.column("input", 4, 0)
    outputs = ed.column("output", 3, 160)               # where the hidden layer will go
    ed.drag(ed.at(-40, -150), ed.at(40, 150))          # rubber band around the inputs
    assert window.view.selected_neurons() == inputs
    window.ask_layer = lambda: (10, "hidden", "tanh")
    window.act_add_layer.trigger()
    hidden = window.view.selected_neurons()
    assert len(hidden) == 10 and all(ed.net.neuron(o).x == 320 for o in outputs)
    window.view.select(hidden + outputs)
    window.act_connect.trigger()
    _choose_loss(window, "cross_entropy")
    assert_layered(ed.net, [4, 10, 3])
    assert {n.activation for n in ed.net.outputs()} == {"softmax"}
    path = tmp_path / "iris_by_hand.nns"
    reopened = _save_and_reopen_through_the_window(window, path)
    assert_layered(reopened, [4, 10, 3])
    printed = _train_from_the_command_line(path, sample_data / "iris.csv", tmp_path)
    assert "accuracy" in printed


def test_opening_a_crowded_network_suggests_auto_layout(window, tmp_path):
    tall = layered([2, 32, 32, 3], output="softmax")
    xs = sorted({n.x for n in tall.neurons()})
    for n in tall.neurons():        # squeeze the columns 160 apart, as an old file might have them
        tall.move_neuron(n.id, 160.0 * xs.index(n.x), n.y)
    path = _save_network(tmp_path / "tall.nns", tall)
    assert window.open_file(path)
    assert "Auto Layout (Ctrl+Shift+L)" in window.statusBar().currentMessage()
    window.act_layout.trigger()
    assert not window.view.layout_is_crowded()
    path = _save_network(tmp_path / "small.nns", layered([2, 4, 1], output="sigmoid"))
    window.confirm_close = False
    window.ask_unsaved_changes = lambda: "discard"
    assert window.open_file(path)
    assert window.statusBar().currentMessage() == f"Opened {path}"
