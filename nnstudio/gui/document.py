"""The open document: a :class:`~nnstudio.core.settings.Project`, the file it lives in, and
the undo stack of every edit made to it.

"Unsaved changes" is ``not undo_stack.isClean()``: saving marks the stack clean, and
undoing back to that point makes the document unmodified again.

Signals
-------
==========================  ================================================================
``sigTitleChanged(str)``    the window title changed (name, unsaved mark)
``sigModifiedChanged(bool)`` the document became modified / unmodified
``sigProjectReplaced(obj)`` New / Open put a different :class:`Project` in place: views
                            must rebind to ``project.network``
``sigNetworkChanged()``     the network was edited (not just moved); sent once per undo
                            step, or once per turn of the event loop for edits made outside
                            the undo stack
``sigDataChanged(obj)``     the project's :class:`DataBinding` (or None) changed
==========================  ================================================================

The document never shows a dialog: it raises, and the window decides what to tell the user.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nnstudio.core import fileformat
from nnstudio.core.graph import Event, Network
from nnstudio.core.settings import DataBinding, Project
from nnstudio.gui import undo

APP_NAME = "nnstudio"
UNTITLED = "Untitled"
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_PATH = SAMPLES_DIR / "xor.nns"


class SetDataBinding(QUndoCommand):
    """Bind the project to a dataset (or unbind it), as one undoable step."""

    def __init__(self, document: "Document", binding: DataBinding | None, text: str = "bind data"):
        super().__init__(text)
        self._document = document
        self._new = binding
        self._old = document.project.data

    def redo(self) -> None:
        self._document._set_binding(self._new)

    def undo(self) -> None:
        self._document._set_binding(self._old)


class Document(QObject):
    """A project, its path (None until saved) and its undo stack."""

    sigTitleChanged = Signal(str)
    sigModifiedChanged = Signal(bool)
    sigProjectReplaced = Signal(object)
    sigNetworkChanged = Signal()
    sigDataChanged = Signal(object)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.project: Project = project if project is not None else Project(Network())
        self.path: str | None = None
        self._display_name: str | None = None
        self._base_dir: str = os.getcwd()
        self._dirty = False
        self._problems: list | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self.project.network.subscribe(self._on_network_event)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(lambda _index: self._flush())

    # ---------------------------------------------------------------- queries
    @property
    def network(self) -> Network:
        return self.project.network

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def name(self) -> str:
        """What the title shows: the file's name without extension, or a given name."""
        if self.path:
            return Path(self.path).stem
        return self._display_name or UNTITLED

    def problems(self) -> list:
        """``network.validate()``, computed once per change (the status bar, the inspector
        and others all ask after each edit)."""
        if self._problems is None:
            self._problems = self.network.validate()
        return self._problems

    def title(self) -> str:
        """``"name* — nnstudio"``, with ``*`` only when there are unsaved changes."""
        return f"{self.name}{'*' if self.is_modified else ''} — {APP_NAME}"

    @property
    def base_dir(self) -> str:
        """The document's folder: where file dialogs start; a relative data path (only
        ever from code, files give absolute ones) is resolved against it."""
        return self._base_dir

    def data_path(self) -> str | None:
        """Absolute path of the bound CSV, or None when no data is bound."""
        binding = self.project.data
        if binding is None or not binding.path:
            return None
        path = Path(binding.path)
        if not path.is_absolute():
            path = Path(self._base_dir) / path
        return os.path.normpath(str(path))

    # ---------------------------------------------------------- replace whole
    def set_project(self, project: Project, path: str | os.PathLike | None = None,
                    base_dir: str | os.PathLike | None = None, name: str | None = None) -> None:
        """Put ``project`` in place (New / Open): the undo history starts afresh, clean."""
        self.project.network.unsubscribe(self._on_network_event)
        self._flush_timer.stop()
        self._dirty = False
        self._problems = None
        self.project = project
        self.path = os.path.abspath(path) if path is not None else None
        self._display_name = name
        if base_dir is not None:
            self._base_dir = os.path.abspath(base_dir)
        elif self.path is not None:
            self._base_dir = os.path.dirname(self.path)
        project.network.subscribe(self._on_network_event)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.sigProjectReplaced.emit(project)
        self.sigDataChanged.emit(project.data)
        self.sigNetworkChanged.emit()
        self._emit_title()

    def new(self, project: Project | None = None) -> None:
        """An empty, untitled project."""
        self.set_project(project if project is not None else Project(Network()),
                         base_dir=os.getcwd())

    def open(self, path: str | os.PathLike) -> None:
        """Load ``path``. On any problem raises (``FileFormatError``, ``OSError``) and
        changes nothing: the file is parsed and validated before anything is replaced."""
        project = fileformat.load_project(os.fspath(path))
        self.set_project(project, path=path)

    def open_sample(self) -> None:
        """The built-in sample (XOR with its data), untitled so Save asks where to put it."""
        if SAMPLE_PATH.exists():
            project = fileformat.load_project(str(SAMPLE_PATH))
        else:  # the sample file ships with the package; this only guards a broken install
            from nnstudio.core.graph import layered

            project = Project(layered([2, 2, 1], output="sigmoid"))
        self.set_project(project, base_dir=SAMPLES_DIR, name=f"{SAMPLE_PATH.stem} (sample)")

    # ------------------------------------------------------------------ save
    def save(self) -> None:
        """Save to the current path (the caller asks for one first if there is none)."""
        if not self.path:
            raise ValueError("the document has no file yet: use save_as")
        self.save_as(self.path)

    def save_as(self, path: str | os.PathLike) -> None:
        """Save to ``path`` (``.nns`` added if missing). The file format writes the data
        path relative to the file's folder, so the pair can move together. Raises
        ``FileFormatError`` (the old file, if any, is untouched)."""
        path = os.path.abspath(os.fspath(path))
        if not path.lower().endswith(fileformat.EXTENSION):
            path += fileformat.EXTENSION
        fileformat.save_project(self.project, path)
        self.path = path
        self._base_dir = os.path.dirname(path)
        self._display_name = None
        self.undo_stack.setClean()
        self._emit_title()

    # ----------------------------------------------------------------- edits
    def push(self, command):
        """Do a core command as one undo step. A refused edit raises ``NetworkError``
        and leaves the network and the stack unchanged."""
        return undo.push(self.undo_stack, self.network, command)

    def set_data_binding(self, binding: DataBinding | None, text: str = "bind data") -> None:
        """Bind the project to a dataset, undoably."""
        self.undo_stack.push(SetDataBinding(self, binding, text))

    def _set_binding(self, binding: DataBinding | None) -> None:
        self.project.data = binding
        self.sigDataChanged.emit(binding)

    # ---------------------------------------------------------------- events
    def _on_network_event(self, event: Event) -> None:
        if event.kind == "neuron_changed" and set(event.fields) <= {"x", "y"}:
            return  # moves change nothing the panels show; the canvas follows them itself
        self._problems = None
        self._dirty = True
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self._flush_timer.stop()
            self.sigNetworkChanged.emit()

    def _on_clean_changed(self, clean: bool) -> None:
        self.sigModifiedChanged.emit(not clean)
        self._emit_title()

    def _emit_title(self) -> None:
        self.sigTitleChanged.emit(self.title())
