"""The main window: wiring only.

The canvas (:class:`~nnstudio.gui.canvas.NetworkView`) sits in the middle; the palette,
inspector, dataset and training panels and the live training views
(:func:`~nnstudio.gui.training.install.install_training`, ``window.training``) are docks
around it. Menus and the toolbar call the document (files, undo) and the canvas (editing,
zoom); panels talk to the document.

Everything that would block on a person is a small method a test can replace:
:meth:`MainWindow.ask_unsaved_changes`, :meth:`ask_open_path`, :meth:`ask_save_path`,
:meth:`ask_layer`; messages go through ``QMessageBox.warning`` / ``information``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDockWidget, QFileDialog,
                               QFormLayout, QLabel, QMainWindow, QMessageBox, QSpinBox,
                               QToolBar, QVBoxLayout, QWidget)

from nnstudio.core.fileformat import EXTENSION, FileFormatError
from nnstudio.core.graph import ACTIVATIONS, DEFAULT_HIDDEN_ACTIVATION
from nnstudio.gui.app import DEFAULT_SIZE, app_settings
from nnstudio.gui.canvas import NetworkView
from nnstudio.gui.document import Document
from nnstudio.gui.panels import DatasetPanel, InspectorPanel, PalettePanel
from nnstudio.gui.training.install import install_training

MAX_RECENT = 8
#: The dock layout's version: 2 since the training views joined the window (a layout saved
#: without them is not restored; the default one is shown instead).
STATE_VERSION = 2
NETWORK_FILTER = f"nnstudio networks (*{EXTENSION});;All files (*)"
KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_RECENT = "recent/files"


class LayerDialog(QDialog):
    """Ask how many neurons a new layer has, their role and activation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add layer")
        form = QFormLayout()
        self.count = QSpinBox()
        self.count.setRange(1, 1000)
        self.count.setValue(3)
        self.role = QComboBox()
        self.role.addItem("Hidden", "hidden")
        self.role.addItem("Output", "output")
        self.activation = QComboBox()
        for act in ACTIVATIONS:
            self.activation.addItem(act, act)
        self.activation.setCurrentIndex(ACTIVATIONS.index(DEFAULT_HIDDEN_ACTIVATION))
        form.addRow("Neurons", self.count)
        form.addRow("Role", self.role)
        form.addRow("Activation", self.activation)
        note = QLabel("The new layer is fully connected to the selected neurons, or to the "
                      "last layer when nothing is selected.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> tuple[int, str, str]:
        return self.count.value(), self.role.currentData(), self.activation.currentData()


class MainWindow(QMainWindow):
    """The editor window. ``restore`` False ignores (and never writes) saved settings,
    for reproducible screenshots."""

    def __init__(self, settings: QSettings | None = None, restore: bool = True,
                 open_sample: bool = True) -> None:
        super().__init__()
        self.settings = settings if settings is not None else app_settings()
        self.persist_settings = restore
        self.confirm_close = True
        self.setObjectName("nnstudio-main")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)

        self.document = Document(parent=self)
        self.view = NetworkView(self.document.network, self.document.undo_stack)
        self.view.setObjectName("canvas")
        self.setCentralWidget(self.view)

        self.palette_panel = PalettePanel()
        self.inspector = InspectorPanel(self.document)
        self.dataset_panel = DatasetPanel(self.document)

        self.palette_dock = self._dock("Palette", "dock-palette", self.palette_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "dock-inspector", self.inspector,
                                         Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dataset_dock = self._dock("Dataset", "dock-dataset", self.dataset_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        # the training panel and the live views' docks come with install_training below
        self.training_dock = self._dock("Training", "dock-training", None,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        # the bottom row (training panel and plots) runs under the left column: the plots
        # get the width, the palette and inspector need less height
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("status-summary")
        self.statusBar().addPermanentWidget(self.summary_label)

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._connect()
        self.training = install_training(self)   # its docks join the default layout below

        self.resize(DEFAULT_SIZE)
        self._default_state = self.saveState(STATE_VERSION)
        self._sizes_pending = True          # dock sizes apply once the window is laid out
        if restore:
            self._sizes_pending = not self._restore_settings()
        if open_sample:
            self.open_sample()
        self._update_title()
        self._update_summary()

    # ---------------------------------------------------------------- building
    def _dock(self, title: str, name: str, widget: QWidget | None,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if widget is not None:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str = "",
                context: Qt.ShortcutContext | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{text.replace('&', '').rstrip('.…')}: {tip}")
        if context is not None:
            action.setShortcutContext(context)
        action.triggered.connect(lambda _checked=False: slot())
        if context is None:  # window-wide; canvas-only actions are added to the view
            self.addAction(action)
        return action

    def _create_actions(self) -> None:
        SK = QKeySequence.StandardKey
        canvas_only = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.act_new = self._action("&New", self.new_document, SK.New, "start an empty network")
        self.act_open = self._action("&Open…", self.open_dialog, SK.Open, "open a network file")
        self.act_sample = self._action("Open &Sample Network", self.open_sample_checked,
                                       tip="the built-in XOR network with its data")
        self.act_save = self._action("&Save", self.save, SK.Save, "save the network")
        self.act_save_as = self._action("Save &As…", self.save_as, SK.SaveAs,
                                        "save the network to a new file")
        self.act_bind_csv = self._action("&Bind Data (CSV)…", self.dataset_panel.choose_csv,
                                         tip="choose the CSV the network trains on")
        self.act_quit = self._action("&Quit", self.close, SK.Quit)

        stack = self.document.undo_stack
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence(SK.Undo))
        self.act_redo = stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QKeySequence(SK.Redo))
        self.addActions([self.act_undo, self.act_redo])
        # Short-labelled twins for the toolbar (the menu's say what they undo); no
        # shortcut, so the keys stay unambiguous.
        self.act_undo_tool = QAction("Undo", self)
        self.act_undo_tool.triggered.connect(stack.undo)
        self.act_redo_tool = QAction("Redo", self)
        self.act_redo_tool.triggered.connect(stack.redo)
        stack.canUndoChanged.connect(self.act_undo_tool.setEnabled)
        stack.canRedoChanged.connect(self.act_redo_tool.setEnabled)
        stack.undoTextChanged.connect(lambda t: self.act_undo_tool.setToolTip(f"Undo {t}".strip()))
        stack.redoTextChanged.connect(lambda t: self.act_redo_tool.setToolTip(f"Redo {t}".strip()))
        self.act_undo_tool.setEnabled(False)
        self.act_redo_tool.setEnabled(False)

        view = self.view
        self.act_delete = self._action("&Delete", view.delete_selected, SK.Delete,
                                       "delete the selected neurons and connections", canvas_only)
        self.act_select_all = self._action("Select &All", view.select_all, SK.SelectAll,
                                           context=canvas_only)
        self.act_duplicate = self._action("D&uplicate", view.duplicate_selected, "Ctrl+D",
                                          "copy the selected neurons and the connections "
                                          "between them", canvas_only)
        self.act_add = {}
        for role, key in (("input", "I"), ("hidden", "H"), ("output", "O")):
            self.act_add[role] = self._action(
                f"Add {role.capitalize()} Neuron", lambda r=role: self.add_neuron(r), key,
                f"add a {role} neuron at the mouse cursor", canvas_only)
        self.act_add_layer = self._action("Add &Layer…", self.add_layer_dialog, "Ctrl+L",
                                          "add N neurons fully connected to the selected or "
                                          "last layer")
        self.act_connect = self._action("&Fully Connect Selection", view.fully_connect_selection,
                                        "Ctrl+K", "connect every selected neuron of one layer "
                                        "to every selected neuron of the next")
        self.act_layout = self._action("Auto &Layout", view.auto_layout, "Ctrl+Shift+L",
                                       "arrange the neurons in columns by level")

        self.act_zoom_in = self._action("Zoom &In", view.zoom_in, SK.ZoomIn)
        self.act_zoom_in.setShortcuts([QKeySequence(SK.ZoomIn), QKeySequence("Ctrl+=")])
        self.act_zoom_out = self._action("Zoom &Out", view.zoom_out, SK.ZoomOut)
        self.act_fit = self._action("&Fit Network", view.fit, "Ctrl+0",
                                    "zoom so the whole network is in view")
        self.act_reset_layout = self._action("&Reset Layout", self.reset_layout,
                                             tip="put the panels back where they started")
        self.act_about = self._action("&About nnstudio", self.about)
        for action in (self.act_delete, self.act_select_all, self.act_duplicate,
                       *self.act_add.values()):
            view.addAction(action)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recent-menu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.act_sample)
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        file_menu.addAction(self.act_bind_csv)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)

        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_delete, self.act_duplicate, self.act_select_all])

        network = bar.addMenu("&Network")
        network.addActions(list(self.act_add.values()))
        network.addSeparator()
        network.addActions([self.act_add_layer, self.act_connect, self.act_layout])

        view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.dataset_dock, self.training_dock):
            view.addAction(dock.toggleViewAction())
        view.addAction(self.act_reset_layout)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)
        self._fill_recent_menu()

    def _create_toolbar(self) -> None:
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("toolbar-main")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        bar.addActions([self.act_undo_tool, self.act_redo_tool])
        bar.addSeparator()
        bar.addActions([self.act_add_layer, self.act_connect, self.act_layout])
        bar.addSeparator()
        bar.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _connect(self) -> None:
        doc = self.document
        doc.sigTitleChanged.connect(lambda _t: self._update_title())
        doc.sigProjectReplaced.connect(self._project_replaced)
        doc.sigNetworkChanged.connect(self._update_summary)
        self.view.sigStatus.connect(self.show_status)
        self.view.sigSelectionChanged.connect(self._selection_changed)
        self.inspector.sigStatus.connect(self.show_status)
        self.dataset_panel.sigStatus.connect(self.show_status)
        self.dataset_panel.sigChoicesChanged.connect(self.inspector.set_data_choices)
        self.dataset_panel.sigSampleActivations.connect(self.view.set_sample_activations)
        self.palette_panel.sigAddNeuron.connect(self.add_neuron)
        self.view.sigNeuronActivated.connect(self._edit_neuron)
        self.view.viewport().installEventFilter(self)
        self._selection_changed([], [])

    # ------------------------------------------------------------- user prompts
    def ask_unsaved_changes(self) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"`` (tests replace this)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to {self.document.name}?")
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
                    QMessageBox.StandardButton(answer), "cancel")

    def ask_open_path(self) -> str | None:
        """A network file to open, or None (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open network", self._dialog_dir(), NETWORK_FILTER)
        return path or None

    def ask_save_path(self) -> str | None:
        """Where to save, or None (tests replace this)."""
        start = self.document.path or os.path.join(self._dialog_dir(),
                                                   self.document.name.split(" ")[0] + EXTENSION)
        path, _ = QFileDialog.getSaveFileName(self, "Save network as", start, NETWORK_FILTER)
        return path or None

    def ask_layer(self) -> tuple[int, str, str] | None:
        """(neurons, role, activation) of a new layer, or None (tests replace this)."""
        dialog = LayerDialog(self)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def _dialog_dir(self) -> str:
        recent = self.recent_files()
        if self.document.path:
            return os.path.dirname(self.document.path)
        if recent:
            return os.path.dirname(recent[0])
        return os.getcwd()

    # -------------------------------------------------------------------- files
    def maybe_save(self) -> bool:
        """True when it is fine to throw the current document away."""
        self.training.keep_learned_weights()
        if not self.document.is_modified:
            return True
        answer = self.ask_unsaved_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.new()
        self.show_status("New network: drag neurons from the palette onto the canvas.")
        return True

    def open_sample(self) -> None:
        self.document.open_sample()
        notes = self.document.project.notes.strip()
        self.show_status(f"The built-in sample. {notes}" if notes else "The built-in sample network.")

    def open_sample_checked(self) -> bool:
        if not self.maybe_save():
            return False
        self.open_sample()
        return True

    def open_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        path = self.ask_open_path()
        return bool(path) and self.open_file(path, ask=False)

    def open_file(self, path: str | os.PathLike, ask: bool = True) -> bool:
        """Open a network file, or bind a CSV; a bad file leaves everything as it was."""
        path = os.path.abspath(os.fspath(path))
        if path.lower().endswith(".csv"):
            return self.bind_csv(path)
        if ask and not self.maybe_save():
            return False
        try:
            self.document.open(path)
        except (FileFormatError, OSError, ValueError) as e:
            self.show_error("Cannot open network", f"Cannot open {os.path.basename(path)}.\n\n{e}")
            self.show_status(f"Cannot open {os.path.basename(path)}")
            return False
        self.add_recent(path)
        hint = self._layout_hint()
        self.show_status(f"Opened {os.path.basename(path) if hint else path}{hint}")
        return True

    def _layout_hint(self) -> str:
        if not self.view.layout_is_crowded():
            return ""
        key = self.act_layout.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        return f" \u2014 crowded columns: Auto Layout ({key}) spreads them out"

    def open_startup_file(self, path: str) -> str | None:
        """For ``nnstudio FILE``: open it; the problem as one line if it cannot be opened."""
        path = os.path.abspath(path)
        if path.lower().endswith(".csv"):
            self.document.new()
            if not self.dataset_panel.load_csv(path, create=True):
                return self.dataset_panel.error_label.text()
            return None
        try:
            self.document.open(path)
        except (FileFormatError, OSError, ValueError) as e:
            return " ".join(str(e).split())
        self.add_recent(path)
        self.show_status(f"Opened {os.path.basename(path)}{self._layout_hint()}")
        return None

    def bind_csv(self, path: str) -> bool:
        """Bind a CSV to the network; on an empty network also create its inputs/outputs."""
        self.dataset_dock.show()
        self.dataset_dock.raise_()
        return self.dataset_panel.load_csv(path, create=not self.document.network.neurons())

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        self.training.keep_learned_weights()
        try:
            self.document.save_as(path)
        except (FileFormatError, OSError, ValueError) as e:
            self.show_error("Cannot save network", str(e))
            return False
        self.add_recent(self.document.path)
        self.show_status(f"Saved {self.document.path}")
        return True

    # ------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value(KEY_RECENT, [])
        if value is None:
            return []
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in value][:MAX_RECENT]

    def _set_recent(self, paths: list[str]) -> None:
        self.settings.setValue(KEY_RECENT, list(paths[:MAX_RECENT]))
        self.settings.sync()
        self._fill_recent_menu()

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self._set_recent([path] + [p for p in self.recent_files() if p != path])

    def open_recent(self, path: str) -> bool:
        if not os.path.exists(path):
            self._set_recent([p for p in self.recent_files() if p != path])
            QMessageBox.information(self, "File not found",
                                    f"{path} no longer exists; it was removed from the "
                                    "recent files.")
            return False
        return self.open_file(path)

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for i, path in enumerate(files, start=1):
            action = menu.addAction(f"&{i} {Path(path).name}")
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_recent(p))
        if not files:
            menu.addAction("(no recent files)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent Files", lambda: self._set_recent([]))

    # ------------------------------------------------------------------ editing
    def add_neuron(self, role: str) -> None:
        self.view.add_neuron_at(role)

    def add_layer_dialog(self) -> None:
        answer = self.ask_layer()
        if answer:
            n, role, activation = answer
            self.view.add_layer(n, role=role, activation=activation)

    def _edit_neuron(self, neuron_id: int) -> None:
        """A double-click on a neuron: its label, ready to type over, in the inspector."""
        self.view.select([neuron_id])
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.label_edit.setFocus()
        self.inspector.label_edit.selectAll()

    # ---------------------------------------------------------------- the view
    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _selection_changed(self, neurons, connections) -> None:
        self.inspector.set_selection(neurons, connections)
        some = bool(neurons or connections)
        self.act_delete.setEnabled(some)
        self.act_duplicate.setEnabled(bool(neurons))

    def _project_replaced(self, project) -> None:
        self.view.set_network(project.network)
        self.view.fit()
        self._selection_changed([], [])
        self._update_summary()

    def _update_title(self) -> None:
        self.setWindowTitle(self.document.title())

    def _update_summary(self) -> None:
        net = self.document.network
        s = net.summary()
        errors = sum(1 for p in self.document.problems() if p.severity == "error")
        parts = [f"{s['inputs']} in", f"{s['hidden']} hidden", f"{s['outputs']} out",
                 f"{s['connections']} connections", f"{s['parameters']} parameters"]
        state = ("ready to train" if not errors
                 else f"{errors} problem{'s' if errors != 1 else ''} (see Inspector)")
        self.summary_label.setText("  ·  ".join(parts) + "   |   " + state)

    def _apply_default_sizes(self) -> None:
        """A narrow palette and inspector column; the training row, the data column and
        their plots as :meth:`TrainingUI.apply_sizes` sizes them; the canvas the rest."""
        self.resizeDocks([self.palette_dock], [250], Qt.Orientation.Horizontal)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [150, 500], Qt.Orientation.Vertical)
        self.training.apply_sizes()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._sizes_pending:
            self._sizes_pending = False
            self._apply_default_sizes()

    def docks(self) -> list[QDockWidget]:
        """Every panel's dock: the editor's four and the training views'."""
        return [self.palette_dock, self.inspector_dock, self.dataset_dock, self.training_dock,
                *self.training.docks.values()]

    def reset_layout(self) -> None:
        for dock in self.docks():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, STATE_VERSION)
        self._apply_default_sizes()
        self.show_status("Panels are back in their default places.")

    def about(self) -> None:
        from nnstudio import __version__

        QMessageBox.about(self, "About nnstudio",
                          f"<b>nnstudio {__version__}</b><br>Build neural networks neuron by "
                          "neuron, train them, and watch them learn.")

    # ----------------------------------------------------------------- settings
    def _restore_settings(self) -> bool:
        """Window geometry and dock layout from the last run; True if a layout was restored."""
        geometry = self.settings.value(KEY_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.value(KEY_STATE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            return self.restoreState(state, STATE_VERSION)
        return False

    def save_settings(self) -> None:
        if not self.persist_settings:
            return
        self.settings.setValue(KEY_GEOMETRY, self.saveGeometry())
        self.settings.setValue(KEY_STATE, self.saveState(STATE_VERSION))
        self.settings.sync()

    # ------------------------------------------------------------------- events
    def closeEvent(self, event) -> None:
        if self.confirm_close and not self.maybe_save():
            event.ignore()
            return
        self.save_settings()
        event.accept()

    @staticmethod
    def _dropped_files(mime) -> list[str]:
        if not mime.hasUrls():
            return []
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if p.lower().endswith((EXTENSION, ".csv"))]

    def eventFilter(self, watched, event) -> bool:
        """Files dragged over the canvas are the window's business, not the scene's."""
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) \
                and self._dropped_files(event.mimeData()):
            if event.type() == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                event.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event) -> None:
        if self._dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = self._dropped_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_dropped(paths)

    def open_dropped(self, paths: list[str]) -> None:
        """A network file opens (the first one); a CSV is bound to the network."""
        networks = [p for p in paths if p.lower().endswith(EXTENSION)]
        csvs = [p for p in paths if p.lower().endswith(".csv")]
        if networks:
            self.open_file(networks[0])
        if csvs:
            self.bind_csv(csvs[0])

    def sizeHint(self) -> QSize:
        return DEFAULT_SIZE

