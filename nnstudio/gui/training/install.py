"""Put training into the main window: one call, :func:`install_training` (the main window
makes it itself; the result is ``window.training``, and a second call returns it).

It needs of the window only ``document`` (the :class:`~nnstudio.gui.document.Document`),
``view`` (the canvas), ``training_dock`` (the empty dock reserved for training) and the
QMainWindow API; a ``dataset_panel`` and ``dataset_dock``, if there, are joined in. It adds:

* the Training panel (buttons, status, messages, hyperparameters) in ``training_dock``;
* five view docks: Cost, Weights, Gradients (bottom), Data and Outputs (right);
* a Training menu and toolbar (Train/Pause on Space, Step batch, Step epoch, Reset
  weights) and the docks' toggles in the View menu;
* on the canvas: Space tapped (not held to pan) trains/pauses (elsewhere Space is the
  Train/Pause shortcut, except on a focused button, check box list or combo box); hovering
  a hidden neuron shows its output in the Data view; live weights, gradient halos and the
  chosen sample's activations;
* one inspected sample: a row chosen in the dataset panel is the sample the views inspect,
  and a point or column clicked in a view is selected in the dataset panel;
* closing the window pauses training (the learned weights come back to the model, so the
  "save changes?" question covers them) and ends the worker thread.
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QComboBox,
                               QDockWidget, QMainWindow, QToolBar)

from nnstudio.gui.plots.base import configure_pyqtgraph
from nnstudio.gui.training.controller import RUNNING, TrainingController
from nnstudio.gui.training.gcguard import collector
from nnstudio.gui.training.panel import TrainingActions, TrainingPanel

#: A Space press shorter than this, with no drag, is a tap (Train/Pause), not a pan.
TAP_SECONDS = 0.35


class TrainingUI(QObject):
    """Everything :func:`install_training` made, and :meth:`shutdown`."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        configure_pyqtgraph()
        from nnstudio.gui.plots.cost import CostView
        from nnstudio.gui.plots.data_view import DataView
        from nnstudio.gui.plots.gradients import GradientsView
        from nnstudio.gui.plots.hub import ViewHub
        from nnstudio.gui.plots.outputs import OutputsView
        from nnstudio.gui.plots.weights import WeightsView

        self.window = window
        self.controller = TrainingController(window.document, self)
        self.actions = TrainingActions(self.controller, window)
        self.panel = TrainingPanel(self.controller, self.actions)
        self.panel.setObjectName("training-panel")
        dock = window.training_dock
        old = dock.widget()
        dock.setWidget(self.panel)
        if old is not None:
            old.hide()
            old.deleteLater()

        self.cost = CostView()
        self.weights = WeightsView()
        self.gradients = GradientsView()
        self.outputs = OutputsView()
        self.data = DataView()
        self.views = [self.cost, self.weights, self.gradients, self.outputs, self.data]
        self.docks: dict[str, QDockWidget] = {}
        for view in self.views:
            self.docks[view.title] = self._dock(view)
        self._arrange()

        self.hub = ViewHub(self.controller, self.views, canvas=window.view, parent=self)
        self.data.sigPlaneColumns.connect(self._plane_columns)
        self._link_dataset_panel(getattr(window, "dataset_panel", None))

        self._menus()
        self._filter = _WindowFilter(self)
        window.installEventFilter(self._filter)
        self._space_keeper = _SpaceForWidgets(window, self)
        window.view.installEventFilter(self._filter)
        window.view.viewport().installEventFilter(self._filter)
        window.destroyed.connect(self._window_destroyed)
        QTimer.singleShot(0, self, lambda: self.controller.prepare(quiet=True))

    # ---------------------------------------------------------- building
    def _dock(self, view) -> QDockWidget:
        dock = QDockWidget(view.title, self.window)
        dock.setObjectName(f"dock-{view.title.lower()}")
        dock.setWidget(view)
        view.setObjectName(f"view-{view.title.lower()}")
        return dock

    def _arrange(self) -> None:
        w = self.window
        bottom, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        d = self.docks
        training = w.training_dock
        if w.dockWidgetArea(training) != bottom:
            w.addDockWidget(bottom, training)
        w.addDockWidget(bottom, d["Cost"])
        w.splitDockWidget(training, d["Cost"], Qt.Orientation.Horizontal)
        w.splitDockWidget(d["Cost"], d["Weights"], Qt.Orientation.Horizontal)
        w.tabifyDockWidget(d["Weights"], d["Gradients"])
        d["Weights"].raise_()
        dataset = getattr(w, "dataset_dock", None)
        w.addDockWidget(right, d["Data"])
        # split before tabifying: splitting a tabbed dock only adds another tab
        w.splitDockWidget(d["Data"], d["Outputs"], Qt.Orientation.Vertical)
        if dataset is not None and w.dockWidgetArea(dataset) == right:
            w.tabifyDockWidget(d["Data"], dataset)
        d["Data"].raise_()
        self.apply_sizes()

    def apply_sizes(self) -> None:
        """The default sizes: the bottom row about a third of the height, the right
        column under a third of the width, the training panel wide enough for its
        buttons. The window calls this once it is shown (docks are laid out only then)
        unless it restored a saved layout, and on Reset Layout."""
        w, d = self.window, self.docks
        width, height = max(w.width(), 800), max(w.height(), 600)
        right = int(width * 0.28)
        w.resizeDocks([d["Data"]], [right], Qt.Orientation.Horizontal)
        w.resizeDocks([w.training_dock], [int(height * 0.36)], Qt.Orientation.Vertical)
        row = width - right
        panel = min(max(self.panel.buttons_width() + 8, int(row * 0.3)), int(row * 0.4))
        plots = (row - panel) // 2
        w.resizeDocks([w.training_dock, d["Cost"], d["Weights"]], [panel, plots, plots],
                      Qt.Orientation.Horizontal)
        w.resizeDocks([d["Data"], d["Outputs"]], [int(height * 0.5), int(height * 0.4)],
                      Qt.Orientation.Vertical)

    def _menus(self) -> None:
        w = self.window
        menu = None
        for action in w.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "Help":
                menu = w.menuBar().insertMenu(action, _new_menu(w, "&Training")).menu()
                break
        if menu is None:
            menu = w.menuBar().addMenu("&Training")
        self.menu = menu
        menu.addAction(self.actions.train)
        menu.addSeparator()
        menu.addActions([self.actions.step_batch, self.actions.step_epoch])
        menu.addSeparator()
        menu.addAction(self.actions.reset)
        w.addActions(self.actions.all())
        bar = QToolBar("Training", w)
        bar.setObjectName("toolbar-training")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions(self.actions.all())
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        toggles = [dock.toggleViewAction() for dock in self.docks.values()]
        for action in w.menuBar().actions():
            if action.menu() is not None and action.text().replace("&", "") == "View":
                view_menu = action.menu()
                # with the other panels' toggles, before the window's Reset Layout
                reset = getattr(w, "act_reset_layout", None)
                if reset is not None and reset in view_menu.actions():
                    view_menu.insertActions(reset, toggles)
                    view_menu.insertSeparator(reset)
                else:
                    view_menu.addSeparator()
                    view_menu.addActions(toggles)

    def _link_dataset_panel(self, panel) -> None:
        """One inspected sample: a row chosen in the dataset panel's table is the sample the
        training views inspect, and a sample chosen in a view (a point, a bar) is selected
        in the table. At rest the panel fills the canvas's neurons from the model; while a
        run goes on the hub does, from the live weights; when it stops, the panel again."""
        if panel is None or not hasattr(panel, "sigSampleRow"):
            return
        controller = self.controller
        self._dataset_panel = panel
        panel.sigSampleRow.connect(controller.select_sample)
        controller.sigSampleChosen.connect(panel.select_row)
        controller.sigState.connect(self._state_for_panel)
        if panel.selected_row() is not None:
            controller.select_sample(panel.selected_row())

    def _state_for_panel(self, state: str) -> None:
        if state != RUNNING:          # the live activations end: the model's are the truth
            self._dataset_panel.show_sample_again()

    # ---------------------------------------------------------- behaviour
    def _plane_columns(self, columns: tuple) -> None:
        self.controller.set_plane_columns(columns)
        self.hub.set_plane(self.controller.session)

    def shutdown(self) -> None:
        """Pause (keeping the learned weights) and end the worker thread."""
        self.controller.shutdown()

    def keep_learned_weights(self) -> None:
        """If training runs, pause it now, so the model holds the learned weights (one
        undo step) before the document is saved or replaced. Call it first thing in
        ``maybe_save`` and before saving: while training runs, the model still has the
        weights of the last pause."""
        self.controller.pause(wait=True)

    def _window_destroyed(self, *_args) -> None:
        # the window went away without a close event: never leave a thread running
        controller = self.controller
        worker, thread = controller._worker, controller._thread
        if worker is not None:
            worker.stop()
        if thread is not None:
            thread.wait()
            controller._worker = controller._thread = None
            collector().release()


def _new_menu(window, title: str):
    from PySide6.QtWidgets import QMenu

    return QMenu(title, window)


#: Widgets for which Space is a key of their own: it presses a button, toggles a check box
#: or a list item, opens a combo box. With the focus on one of them, Space is theirs, not
#: Train/Pause. (Text fields take it by themselves.)
SPACE_WIDGETS = (QAbstractButton, QComboBox, QAbstractItemView)


class _SpaceForWidgets(QObject):
    """Leaves Space to the focused widget when it uses Space itself (see
    :data:`SPACE_WIDGETS`): the Train/Pause shortcut is window-wide, and would otherwise
    take the key from a focused button or combo box."""

    def __init__(self, window, parent: QObject) -> None:
        super().__init__(parent)
        self.window = window
        self._watched = None
        app = QApplication.instance()
        app.focusChanged.connect(self._focus_changed)
        self._focus_changed(None, app.focusWidget())

    def _focus_changed(self, _old, new) -> None:
        watched, self._watched = self._watched, None
        if watched is not None and shiboken6.isValid(watched):
            watched.removeEventFilter(self)
        if new is not None and isinstance(new, SPACE_WIDGETS) and shiboken6.isValid(self.window) \
                and self.window.isAncestorOf(new):
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space \
                and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.accept()                 # no shortcut: the key goes to the widget
            return True
        return False


class _WindowFilter(QObject):
    """Close of the window, Space taps and hovering on the canvas."""

    def __init__(self, ui: TrainingUI) -> None:
        super().__init__(ui)
        self.ui = ui
        self._space_down: float | None = None
        self._dragged = False

    def eventFilter(self, obj, event) -> bool:
        ui = self.ui
        kind = event.type()
        if obj is ui.window:
            if kind == QEvent.Type.Close:
                ui.shutdown()                 # the learned weights reach the model first
            return False
        view = ui.window.view
        if obj is view:
            return self._canvas_key(event, kind)
        if kind == QEvent.Type.MouseMove:
            if self._space_down is not None:
                self._dragged = True
            nid = None
            try:
                scene_pos = view.mapToScene(event.position().toPoint())
                nid, _zone = view.canvas.neuron_at(scene_pos, view.pixel())
            except (AttributeError, RuntimeError):
                pass
            ui.data.show_neuron(nid)
        elif kind == QEvent.Type.Leave:
            ui.data.show_neuron(None)
        elif kind == QEvent.Type.MouseButtonPress and self._space_down is not None:
            self._dragged = True
        return False

    def _canvas_key(self, event, kind) -> bool:
        if kind == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space:
            event.accept()        # the canvas gets Space (tap: train/pause; hold + drag: pan)
            return True
        if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = time.monotonic()
            self._dragged = False
        elif kind == QEvent.Type.KeyRelease and event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            down, self._space_down = self._space_down, None
            if down is not None and not self._dragged and time.monotonic() - down < TAP_SECONDS:
                self.ui.controller.toggle()
        return False


def install_training(window: QMainWindow) -> TrainingUI:
    """Add training (panel, views, menu, toolbar, canvas hooks) to ``window``, once: it
    becomes ``window.training``, and a window that has it already gets the same one back
    (the main window installs training itself)."""
    existing = getattr(window, "training", None)
    if isinstance(existing, TrainingUI) and existing.window is window:
        return existing
    ui = TrainingUI(window)
    window.training = ui
    return ui
