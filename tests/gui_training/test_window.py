"""Training installed in the real main window: controls, live views, canvas, closing."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QToolBar

from nnstudio.gui.plots.export import export_view
from nnstudio.gui.training import worker as worker_mod
from nnstudio.gui.training.controller import PAUSED, RUNNING

TIMEOUT = 20_000


def frames(qtbot, ui, n: int = 2) -> None:
    for _ in range(n):
        qtbot.waitSignal(ui.controller.sigFrame, timeout=TIMEOUT).wait()


def endless(ui) -> None:
    """Train until paused (the samples stop after a few hundred epochs otherwise)."""
    ui.controller.set_settings(ui.controller.settings.with_changes(epochs=0))


def test_install_adds_panel_views_menu_and_toolbar(window):
    ui = window.training
    assert window.training_dock.widget() is ui.panel
    assert set(ui.docks) == {"Cost", "Weights", "Gradients", "Outputs", "Data"}
    texts = [a.text() for a in ui.menu.actions() if a.text()]
    assert texts == ["Train", "Step batch", "Step epoch", "Reset weights"]
    assert ui.actions.train.shortcut().toString() == "Space"
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus.index("Training") == menus.index("Help") - 1
    assert ui.toolbar.actions() == ui.actions.all()


def test_train_action_and_space_tap_train_and_pause(window, qtbot):
    ui = window.training
    endless(ui)
    ui.actions.train.trigger()
    assert ui.controller.state == RUNNING and ui.actions.train.text() == "Pause"
    frames(qtbot, ui)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Space)        # a tap: pause
    qtbot.waitUntil(lambda: ui.controller.state == PAUSED and not ui.controller.busy,
                    timeout=TIMEOUT)
    assert ui.actions.train.text() == "Train"
    QTest.keyClick(window.view, Qt.Key.Key_Space)        # and train again
    assert ui.controller.state == RUNNING
    frames(qtbot, ui, 1)
    ui.actions.train.trigger()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)


def test_install_training_is_done_once(window):
    """The main window installs training itself; installing again changes nothing."""
    from nnstudio.gui.training.install import install_training

    ui = window.training
    assert install_training(window) is ui
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus.count("Training") == 1 and menus.count("View") == 1
    toolbars = [t.objectName() for t in window.findChildren(QToolBar)]
    assert sorted(toolbars) == ["toolbar-main", "toolbar-training"]
    docks = [d.objectName() for d in window.findChildren(QDockWidget)]
    assert len(docks) == len(set(docks)) == 9
    assert window.training_dock.widget() is ui.panel


def test_space_stays_with_buttons_lists_and_text_fields(window, qtbot):
    """Space is Train/Pause everywhere in the window except where it is the focused
    widget's own key: a button is pressed, a check-box list item toggled, a space typed."""
    ui = window.training
    toggled = []
    ui.controller.toggle = lambda: toggled.append(True)
    button = window.palette_panel.items["hidden"]
    pressed = []
    button.clicked.connect(lambda: pressed.append(True))
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert pressed and not toggled
    features = window.dataset_panel.features
    features.setFocus()
    features.setCurrentRow(0)
    before = features.item(0).checkState()
    qtbot.keyClick(features, Qt.Key.Key_Space)
    assert features.item(0).checkState() != before and not toggled
    edit = ui.panel.hyperparams.learning_rate
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_End)
    qtbot.keyClick(edit, Qt.Key.Key_Space)
    assert edit.text().endswith(" ") and not toggled
    window.view.setFocus()                                # on the canvas: a tap trains
    QTest.keyClick(window.view, Qt.Key.Key_Space)
    assert toggled == [True]
    plot = ui.cost.graphics                               # and in a plot: the shortcut
    plot.setFocus()
    qtbot.keyClick(plot, Qt.Key.Key_Space)
    assert toggled == [True, True]
    assert ui.actions.train.shortcut().toString() == "Space"


def test_every_view_shows_live_data(window, qtbot, open_sample):
    ui = open_sample("iris")
    endless(ui)
    window.dataset_panel.select_row(7)                    # a sample to inspect
    assert ui.controller.selected_row == 7 and ui.controller.sample_chosen
    for dock in ui.docks.values():                       # untab, so every view draws
        dock.setFloating(True)
        dock.resize(420, 320)
        dock.show()
    qtbot.wait(50)
    ui.controller.train()
    frames(qtbot, ui, 4)
    ui.controller.pause(wait=True)
    x, y = ui.cost.train_curve.getData()
    assert len(x) > 1 and np.all(np.isfinite(y))
    assert len(ui.cost.val_curve.getData()[0]) > 1        # iris has a validation split
    assert all(img.image is not None for img in ui.weights.images)
    assert len(ui.weights.images) == 2                     # 4-10-3: two levels
    assert any(len(c.getData()[0]) > 1 for c in ui.gradients.curves)
    heights = ui.outputs.bars.opts["height"]
    assert heights.sum() == pytest.approx(1.0)            # softmax
    assert ui.outputs.confusion_image.image is not None
    assert ui.data.mode == "plane-class" and ui.data.image.image is not None
    assert ui.data.x_box.isVisible()                       # 4 columns: choose two
    # the canvas follows: gradient halos and the chosen sample's activations (the model's
    # weights again, now that training is paused)
    assert window.view.canvas.gradient_halo
    assert window.view.canvas.activations == window.dataset_panel.sample.activations
    assert window.dataset_panel.sample.row == 7


def test_plane_columns_can_be_chosen(window, qtbot, open_sample):
    ui = open_sample("iris")
    ui.data.x_box.setCurrentText("sepal_length")
    ui.data.y_box.setCurrentText("sepal_width")
    ui.data._columns_chosen()
    assert ui.controller.session.plane.columns == ("sepal_length", "sepal_width")
    assert "petal_length" in ui.data.note.text() or ui.controller.session.plane.held
    qtbot.waitUntil(lambda: ui.data.image.image is not None, timeout=TIMEOUT)


def test_regression_shows_fitted_curve_and_closed_form_optimum(window, qtbot, open_sample):
    ui = open_sample("linear_1var")
    assert ui.data.mode == "curve-value"
    assert ui.cost.optimum is not None and ui.cost.optimum_line.isVisible()
    ui.controller.step_epoch()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)
    x, y = ui.data.curves[0].getData()
    assert len(x) > 10 and np.all(np.isfinite(y))
    assert ui.outputs.scatter.getData()[0] is not None
    # gradient descent never goes below the closed-form optimum
    assert ui.controller.history[-1].train_cost >= ui.cost.optimum - 1e-9


def test_clicking_a_point_selects_the_sample(window, qtbot, open_sample):
    ui = open_sample("iris")
    points = ui.data.points.points()
    with qtbot.waitSignal(ui.controller.sigFrame, timeout=TIMEOUT):
        ui.data._point_clicked(ui.data.points, [points[42]])
    assert ui.controller.selected_row == 42
    assert "#43" in ui.outputs.sample_plot.titleLabel.text


def _probe_activations(ui, row: int) -> dict[int, float]:
    """Every neuron's activation on data row ``row`` as the training views compute it:
    the session's prepared inputs through its compiled copy, with the model's weights."""
    from nnstudio.gui.training.session import NeuronProbe

    session = ui.controller.session
    cn = session.compiled
    probe = NeuronProbe(cn, session.prepared.X[[row]])
    weights, biases = ui.controller.document.network.parameters()
    probe.run(np.array([weights[k] for k in cn.connection_keys]),
              np.array([biases[i] for i in cn.bias_ids]))
    return probe.all_activations(0)


def _assert_same_values(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for nid, value in want.items():
        assert got[nid] == pytest.approx(value, rel=1e-9, abs=1e-12), nid


def test_the_table_and_the_views_inspect_one_sample(window, qtbot, open_sample):
    """Issues 3 and 4: one selected sample. A row chosen in the dataset table is the
    sample the training views inspect, a point clicked in a view is selected in the table,
    and the canvas fills the neurons with their activations on it, the same numbers the
    training views compute; nothing is filled until a sample is chosen, or once the choice
    is cleared, even while training runs."""
    ui = open_sample("iris")
    panel, canvas, controller = window.dataset_panel, window.view.canvas, ui.controller
    assert panel.selected_row() is None and not controller.sample_chosen
    assert canvas.activations is None                     # the views show row 1 meanwhile

    # a row of the table: the views inspect it
    rect = panel.preview.visualItemRect(panel.preview.item(4, 0))
    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        QTest.mouseClick(panel.preview.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.selected_row() == 4
    assert controller.selected_row == 4 and controller.sample_chosen
    assert "#5 " in ui.outputs.sample_plot.titleLabel.text
    _assert_same_values(canvas.activations, _probe_activations(ui, 4))

    # a point of the data view past the table's rows: selected, not highlighted
    points = ui.data.points.points()
    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        ui.data._point_clicked(ui.data.points, [points[42]])
    assert controller.selected_row == 42 and panel.selected_row() == 42
    assert panel.preview.selectionModel().selectedRows() == []
    assert panel.sample.row == 42
    _assert_same_values(canvas.activations, _probe_activations(ui, 42))
    # one in the table's rows: highlighted there
    ui.data._point_clicked(ui.data.points, [points[3]])
    assert [i.row() for i in panel.preview.selectionModel().selectedRows()] == [3]
    assert "Row 4 on the canvas" in window.statusBar().currentMessage()

    # training: the canvas shows the live activations, then the learned weights' ones
    endless(ui)
    before = dict(canvas.activations)
    controller.train()
    qtbot.waitUntil(lambda: canvas.activations != before, timeout=TIMEOUT)
    controller.pause(wait=True)
    assert canvas.activations == panel.sample.activations
    _assert_same_values(canvas.activations, _probe_activations(ui, 3))

    # the choice cleared: no activations on the canvas, not even while training
    panel.select_row(None)
    assert not controller.sample_chosen and canvas.activations is None
    controller.train()
    frames(qtbot, ui, 6)
    controller.pause(wait=True)
    assert canvas.activations is None and canvas.gradient_halo

    # another file: nothing chosen any more
    ui.data._point_clicked(ui.data.points, [points[5]])
    assert panel.selected_row() == 5
    window.ask_unsaved_changes = lambda: "discard"      # the training is not kept
    open_sample("xor")
    assert panel.selected_row() is None and not controller.sample_chosen
    assert canvas.activations is None


def test_hovering_a_hidden_neuron_shows_its_output(window, qtbot):
    ui = window.training
    view = window.view
    hidden = window.document.network.hidden()[0]
    view.fit()
    qtbot.wait(20)
    pos = view.mapFromScene(hidden.x, hidden.y)
    QTest.mouseMove(view.viewport(), pos)
    qtbot.waitUntil(lambda: ui.data.hover_neuron == hidden.id, timeout=3000)
    assert hidden.label in ui.data.plot.titleLabel.text
    QTest.mouseMove(view.viewport(), QPoint(2, 2))
    qtbot.waitUntil(lambda: ui.data.hover_neuron is None, timeout=3000)


def _svg_png_difference(svg, png) -> float:
    """Mean absolute grey-level difference (0-255) between the SVG drawn at the PNG's size
    and the PNG."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    reference = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
    drawn = QImage(reference.size(), QImage.Format.Format_ARGB32)
    drawn.fill(0xFFFFFFFF)
    painter = QPainter(drawn)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    drawn = drawn.convertToFormat(QImage.Format.Format_Grayscale8)

    def grey(image):
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        return rows[:, :image.width()].astype(np.float64)

    return float(np.mean(np.abs(grey(drawn) - grey(reference))))


def test_a_frame_is_painted_while_the_worker_waits(window, qtbot, open_sample):
    """The hub holds the worker, draws the frame into every view, paints the changed
    views at once (not at the event loop's next turn), then lets the worker go on."""
    from PySide6.QtCore import QEvent, QObject

    ui = open_sample("iris")
    endless(ui)
    log = []

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                log.append("paint")
            return False

    spy = Painted()
    for view in ui.views:
        view.graphics.viewport().installEventFilter(spy)
    hold, release = ui.controller.hold_worker, ui.controller.release_worker

    def logged_hold():
        worker = hold()
        log.append("hold" if worker is not None else "no worker")
        return worker

    def logged_release(worker):
        if worker is not None:
            log.append("release")
        release(worker)

    ui.controller.hold_worker, ui.controller.release_worker = logged_hold, logged_release
    ui.controller.train()
    frames(qtbot, ui, 4)
    ui.controller.pause(wait=True)
    assert log.count("hold") >= 2 and log.count("hold") == log.count("release")
    first, last = log.index("hold"), log.index("release")
    assert "paint" in log[first:last]             # painted inside the hold


@pytest.mark.parametrize("sample", ["iris", "xor", "linear_1var"])
def test_the_data_legend_sits_where_it_hides_no_point(window, qtbot, open_sample, sample):
    ui = open_sample(sample)
    dock = ui.docks["Data"]
    dock.setFloating(True)
    dock.resize(520, 460)
    dock.show()
    qtbot.wait(50)
    data = ui.data
    data.set_session(ui.controller.session)      # placed at the shown size
    qtbot.wait(50)
    legend = data.legend.sceneBoundingRect()
    vb = data.plot.getViewBox()
    x, y = data.points.getData()
    inside = [i for i in range(len(x)) if legend.contains(vb.mapViewToScene(QPointF(x[i], y[i])))]
    assert legend.width() > 30 and not inside, (sample, inside)


def test_view_all_after_panning_away_shows_the_data_again(window, qtbot, open_sample):
    """The curves count for the plots' "View All" (auto range) from the context menu."""
    ui = open_sample("iris")
    for plot, curve in ((ui.cost.cost_plot, ui.cost.train_curve),
                        (ui.gradients.hist_plot, ui.gradients.curves[0]),
                        (ui.weights.level_plots[0], ui.weights.images[0])):
        vb = plot.getViewBox()
        vb.setRange(xRange=(5000, 6000), yRange=(500, 600), padding=0)
        vb.autoRange()
        (x0, x1), (y0, y1) = vb.viewRange()
        bounds = curve.mapRectToItem(vb.childGroup, curve.boundingRect())
        assert x0 <= bounds.left() + 1e-9 and bounds.right() - 1e-9 <= x1, plot
        assert y0 <= bounds.top() + 1e-9 and bounds.bottom() - 1e-9 <= y1, plot
        assert x1 < 5000


@pytest.mark.parametrize("share, at_least, at_most", [(0.04, 2, 8), (1e-9, 0, 1)])
def test_the_canvas_is_recoloured_less_when_its_repaint_is_costly(window, qtbot, open_sample,
                                                                  monkeypatch, share,
                                                                  at_least, at_most):
    """At most CANVAS_RATE recolourings a second, fewer when a repaint would take more
    than CANVAS_SHARE of the time (a tiny share stands for a very costly repaint)."""
    from nnstudio.gui.plots import hub as hub_mod

    ui = open_sample("circles")
    endless(ui)
    monkeypatch.setattr(hub_mod, "CANVAS_SHARE", share)
    calls = []
    view = window.view
    original = view.refresh_weights
    monkeypatch.setattr(view, "refresh_weights",
                        lambda w, b: (calls.append(w is not None), original(w, b)))
    view.paint_seconds = 0.001
    ui.controller.train()
    qtbot.wait(1500)
    ui.controller.pause(wait=True)
    live = calls.count(True)                      # recolourings while running
    assert at_least <= live <= at_most, live


def test_the_status_and_notes_can_be_copied(window, qtbot, open_sample):
    from PySide6.QtWidgets import QApplication

    ui = open_sample("iris")
    for label in (ui.panel.status, ui.cost.note):
        label.setText("epoch 3 · cost 0.25", bold="paused   ")
        (copy,) = [a for a in label.actions() if a.text() == "Copy"]
        copy.trigger()
        assert QApplication.clipboard().text() == "paused   epoch 3 · cost 0.25"


def test_views_export_png_svg_and_history_csv(window, qtbot, tmp_path):
    ui = window.training
    ui.controller.step_epoch()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)
    ui.controller.step_epoch()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)
    for view in ui.views:
        for ext in ("png", "svg"):
            path = export_view(view, tmp_path / f"{view.title}.{ext}")
            assert (tmp_path / f"{view.title}.{ext}").stat().st_size > 500, path
        # the drawing is the same picture as the PNG: axes, cells and points in place
        # (an SVG made at 72 dpi had every axis at 3/4 of its plot: difference 5.5-9.5)
        difference = _svg_png_difference(tmp_path / f"{view.title}.svg",
                                          tmp_path / f"{view.title}.png")
        assert difference < 3.5, (view.title, difference)
    export_view(ui.cost, tmp_path / "history.csv")
    with open(tmp_path / "history.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["epoch", "step", "train_cost"]
    assert len(rows) == 1 + len(ui.controller.history) == 3
    assert float(rows[-1][2]) == ui.controller.history[-1].train_cost


def test_hyperparameters_apply_live_say_when_and_undo(window, qtbot):
    ui = window.training
    panel = ui.panel.hyperparams
    assert panel.when("split") == "at reset" and panel.when("init") == "at reset"
    assert panel.when("optimizer") == "live" and panel.when("output_mode") == "recompiles"
    panel.learning_rate.setText("0.25")
    panel.learning_rate.editingFinished.emit()
    assert ui.controller.settings.learning_rate == 0.25
    window.document.undo_stack.undo()
    assert ui.controller.settings.learning_rate != 0.25
    assert panel.learning_rate.text() == f"{ui.controller.settings.learning_rate:.6g}"
    panel.split.setText("70/30")
    panel.split.editingFinished.emit()
    assert ui.controller.settings.split == (0.7, 0.3, 0.0)


def test_switching_softmax_to_one_versus_all_recompiles_and_trains(window, qtbot, open_sample):
    ui = open_sample("iris")
    panel = ui.panel.hyperparams
    assert panel.output_mode.isVisibleTo(panel)
    panel.output_mode.setCurrentIndex(panel.output_mode.findData("ova"))
    panel._output_mode_chosen(0)
    assert window.document.network.loss == "ova"
    qtbot.waitUntil(lambda: ui.controller.session is not None
                    and ui.controller.session.loss == "ova", timeout=5000)
    ui.controller.step_epoch()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)
    assert ui.outputs.bars.opts["height"].sum() != pytest.approx(1.0, abs=1e-6)
    assert "one-versus-all" in ui.outputs.sample_plot.getAxis("left").labelText
    stack = window.document.undo_stack
    assert stack.text(stack.index() - 1) == "Step training"
    stack.undo()                                       # the step, then the switch
    stack.undo()
    assert window.document.network.loss == "cross_entropy"


def test_divergence_shows_the_message_in_the_panel(window, qtbot, open_sample):
    ui = open_sample("linear_1var")
    ui.controller.set_settings(ui.controller.settings.with_changes(learning_rate=80.0, epochs=0))
    ui.controller.train()
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=TIMEOUT)
    assert ui.panel.banner.isVisible() and ui.panel.banner.property("level") == "warning"
    assert "smaller learning rate" in ui.panel.message.text()


def test_closing_the_window_while_training_keeps_weights_and_leaves_no_thread(qtbot):
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(restore=False)
    window.confirm_close = False
    ui = window.training
    window.show()
    qtbot.waitUntil(lambda: ui.controller.session is not None, timeout=5000)
    before = window.document.network.parameters()
    endless(ui)
    ui.controller.train()
    frames(qtbot, ui)
    assert ui.controller.thread_running()
    window.close()
    assert not worker_mod.running_threads()
    assert not ui.controller.thread_running()
    assert window.document.network.parameters() != before     # the learned weights were kept
    assert window.document.undo_stack.text(window.document.undo_stack.index() - 1).startswith("Train")
    window.deleteLater()


def test_keep_learned_weights_before_saving(window, qtbot, tmp_path):
    ui = window.training
    endless(ui)
    before = window.document.network.parameters()
    ui.controller.train()
    frames(qtbot, ui)
    ui.keep_learned_weights()
    assert not ui.controller.busy and ui.controller.state == PAUSED
    assert window.document.network.parameters() == ui.controller.latest.parameters
    assert window.document.network.parameters() != before
    window.document.save_as(str(tmp_path / "trained.nns"))
    from nnstudio.core.fileformat import load_project

    saved = load_project(str(tmp_path / "trained.nns"))
    assert saved.network.parameters() == window.document.network.parameters()
    assert len(saved.history) == ui.controller.epoch and saved.state["epoch"] == ui.controller.epoch
