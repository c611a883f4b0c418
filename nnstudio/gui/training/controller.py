"""The training controller: owns the worker thread and turns user actions into worker
commands and model changes.

One controller per document. It builds a *session* (prepared data, the GUI's compiled copy
of the network, a :class:`~nnstudio.core.training.Trainer` handed to a new
:class:`~nnstudio.gui.training.worker.TrainingWorker`) when training starts, and keeps it
while only hyperparameters change. The model (the document's network) stays the one source
of truth: learned weights come back to it as one undo step each time a run ends (Pause, a
stop rule, a step, divergence), and any edit of the network or its data makes the session
stale, so the next Train recompiles from the model (every surviving connection keeps its
trained weight; the optimizer and random state carry over from the project's state).

States: ``"idle"`` (no worker), ``"paused"`` (a worker waits for commands), ``"running"``.

Signals
-------
===========================  ===========================================================
``sigState(str)``            idle / paused / running
``sigSession(object)``       a new :class:`~nnstudio.gui.training.session.Session` (None
                             when there is none): views lay themselves out again
``sigFrame(object)``         a :class:`~nnstudio.gui.training.worker.Frame` to show
``sigHistory()``             the history was replaced (new project, reset, undo)
``sigMessage(str, str)``     (level, text): ``info``, ``warning`` (divergence, stop rule)
                             or ``error`` (cannot train: the text says why and what to do)
``sigSettings(object)``      the project's :class:`TrainingSettings` changed (edit, undo)
``sigLayout(object)``        a new :class:`~nnstudio.gui.training.session.InspectLayout`
``sigSampleChosen(object)``  the data row the user chose to inspect (a click on a point,
                             a bar, a table row), or None when the choice was cleared
===========================  ===========================================================

The inspected sample: the views always show one data row (:attr:`selected_row`, the
first row until one is chosen); :attr:`sample_chosen` says whether the user chose it, in
which case the canvas fills its neurons with their activations on it and the dataset
panel highlights it.
"""

from __future__ import annotations

import weakref

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QUndoCommand

from nnstudio.core.commands import SetParameters
from nnstudio.core.compile import compile_network
from nnstudio.core.data import DataError
from nnstudio.core.graph import Network, NetworkError
from nnstudio.core.settings import EpochRecord, TrainingSettings
from nnstudio.core.training import Trainer, initialize
from nnstudio.core.workflow import prepare_training
from nnstudio.gui.training import worker as worker_mod
from nnstudio.gui.training.gcguard import collector
from nnstudio.gui.training.session import InspectLayout, Session, build_session
from nnstudio.gui.training.worker import Frame, TrainerBox, TrainingWorker
from nnstudio.gui.undo import UndoCommand

IDLE, PAUSED, RUNNING = "idle", "paused", "running"

#: Settings that only matter when a session starts or the weights are reset: the UI says
#: they "apply at Reset weights".
RESTART_SETTINGS = ("split", "standardize", "init", "seed")

#: QUndoCommand ids (any number unique to this module).
_STEP_MERGE_ID = 4711
_SETTINGS_MERGE_ID = 4712

#: Every controller, so tests and the window can check none keeps a thread running.
CONTROLLERS: "weakref.WeakSet[TrainingController]" = weakref.WeakSet()


def training_signature(net: Network) -> tuple:
    """What training depends on besides the weights: the loss, each neuron's role,
    activation and data binding, and the connections. Moving or renaming neurons does not
    change it (training goes on); anything else recompiles."""
    return (net.loss,
            tuple((n.id, n.role, n.activation, n.feature, n.target) for n in net.neurons()),
            tuple(c.key for c in net.connections()))


class TrainingCommit(UndoCommand):
    """Learned (or reset) weights as one undo step, with the training history and the
    optimizer/random state that go with them, so undoing a run goes back in time exactly:
    the next Train continues from the restored epoch with the same random batches."""

    def __init__(self, controller: "TrainingController", command: SetParameters,
                 history_start: int, records: tuple, state: dict | None, text: str,
                 mergeable: bool = False) -> None:
        super().__init__(controller.document.network, command)
        self.setText(text)
        self._controller = weakref.ref(controller)
        self._project = controller.document.project
        self._start = history_start
        self._records = tuple(records)
        self._new_state = state
        history = self._project.history
        # the run's records are already in the history (the views showed them live)
        self._old_history = list(history[history_start:max(history_start, len(history) - len(records))])
        self._old_state = self._project.state
        self._mergeable = mergeable

    def redo(self) -> None:
        super().redo()
        project = self._project
        project.history[self._start:] = list(self._records)
        project.state = self._new_state
        self._notify()

    def undo(self) -> None:
        super().undo()
        project = self._project
        project.history[self._start:] = list(self._old_history)
        project.state = self._old_state
        self._notify(undo=True)

    def _notify(self, undo: bool = False) -> None:
        controller = self._controller()
        if controller is not None:
            controller._commit_applied(self, undo)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _STEP_MERGE_ID if self._mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, TrainingCommit) and self._mergeable and other._mergeable
                and other._project is self._project):
            return False
        mine, theirs = self.command, other.command
        for k, w in theirs.old[0].items():
            mine.old[0].setdefault(k, w)
        for k, b in theirs.old[1].items():
            mine.old[1].setdefault(k, b)
        mine.weights.update(theirs.weights)
        mine.biases.update(theirs.biases)
        end = other._start - self._start
        self._records = self._records[:end] + other._records
        self._new_state = other._new_state
        return True


class SetTrainingSettings(QUndoCommand):
    """Change the project's training settings as one undo step (merging quick edits of
    the same setting, e.g. typing a learning rate)."""

    def __init__(self, controller: "TrainingController", settings: TrainingSettings,
                 text: str) -> None:
        super().__init__(text)
        self._controller = weakref.ref(controller)
        self._project = controller.document.project
        self._old = self._project.settings
        self._new = settings
        self._changed = frozenset(k for k in settings.to_dict()
                                  if getattr(settings, k) != getattr(self._old, k))

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)

    def _apply(self, settings: TrainingSettings) -> None:
        self._project.settings = settings
        controller = self._controller()
        if controller is not None and controller.document.project is self._project:
            controller._settings_applied(settings)

    def id(self) -> int:  # noqa: A003
        return _SETTINGS_MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if isinstance(other, SetTrainingSettings) and other._project is self._project \
                and other._changed == self._changed and len(self._changed) == 1:
            self._new = other._new
            return True
        return False


class TrainingController(QObject):
    """Train / Pause / Step / Reset for one :class:`~nnstudio.gui.document.Document`."""

    sigState = Signal(str)
    sigSession = Signal(object)
    sigFrame = Signal(object)
    sigHistory = Signal()
    sigMessage = Signal(str, str)
    sigSettings = Signal(object)
    sigLayout = Signal(object)
    sigSampleChosen = Signal(object)

    def __init__(self, document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        CONTROLLERS.add(self)
        self.document = document
        self.state = IDLE
        self.session: Session | None = None
        self.layout: InspectLayout | None = None
        self.latest: Frame | None = None
        self.selected_row = 0
        #: the user chose :attr:`selected_row` (else it is just the views' default)
        self.sample_chosen = False
        self.plane_columns: tuple[str, ...] | None = None
        self._box: TrainerBox | None = None        # GUI-owned while no worker runs
        self._worker: TrainingWorker | None = None
        self._thread = None
        self._inspect_rows: np.ndarray | None = None
        self._stale = True
        self._signature = None
        self._base: tuple[dict, dict] | None = None     # model parameters the box started from
        self._run_start = 0                              # history length when the action began
        self._goal: int | None = None
        self._last_serial = 0
        self._committing = False
        self._action: str | None = None
        #: True when a view hub acknowledges frames itself (see :meth:`frame_shown`)
        self.paced = False
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(250)
        self._rebuild_timer.timeout.connect(self._quiet_rebuild)
        document.sigNetworkChanged.connect(self._network_changed)
        document.sigDataChanged.connect(self._data_changed)
        document.sigProjectReplaced.connect(self._project_replaced)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ================================================================ queries
    @property
    def project(self):
        return self.document.project

    @property
    def settings(self) -> TrainingSettings:
        return self.document.project.settings

    @property
    def history(self) -> list[EpochRecord]:
        return self.document.project.history

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def busy(self) -> bool:
        """A worker thread is doing something (a run or a step)."""
        return self._worker is not None

    @property
    def epoch(self) -> int:
        """The epoch of the weights shown (the last frame's, else the project's state)."""
        if self.latest is not None and self.latest.snapshot is not None:
            return self.latest.snapshot.epoch
        return int((self.project.state or {}).get("epoch", 0))

    def frame_shown(self) -> None:
        """The views have shown the last frame: the worker may send the next one. Called
        at once after each frame, unless :attr:`paced` (a view hub then calls it when it
        has drawn, so frames arrive only as fast as the GUI shows them)."""
        if self._worker is not None:
            self._worker.frame_done()

    def hold_worker(self):
        """Ask a running worker to wait while the GUI draws a frame (see
        :meth:`TrainingWorker.hold_for_drawing`). Returns that worker (None if there is no
        run); always give it back to :meth:`release_worker`."""
        worker = self._worker
        if worker is not None:
            worker.hold_for_drawing()
        return worker

    def release_worker(self, worker) -> None:
        """The frame is drawn: ``worker`` (what :meth:`hold_worker` returned) trains on."""
        if worker is not None:
            worker.drawing_done()

    def thread_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    # ================================================================ actions
    def train(self) -> bool:
        """Start (or resume) training; False with a message if it cannot start."""
        if self.state == RUNNING:
            return True
        self._join()
        if not self._ensure_box():
            return False
        epochs = self.settings.epochs
        epoch = self.epoch
        if self._goal is None or epoch >= self._goal:
            self._goal = epoch + epochs if epochs > 0 else worker_mod.UNLIMITED
        self._start(("run", self._goal))
        self._set_state(RUNNING)
        return True

    def pause(self, wait: bool = False) -> None:
        """Pause training. The learned weights come back to the model when the worker's
        final frame arrives; with ``wait`` that has happened when this returns."""
        if self._worker is None:
            return
        self._worker.pause()
        if wait:
            self._join()

    def toggle(self) -> None:
        """Train when stopped, pause when training (the Space key)."""
        if self.state == RUNNING:
            self.pause()
        else:
            self.train()

    def step_batch(self) -> bool:
        """One optimizer step on the next mini-batch (pauses a run first)."""
        return self._step("step_batch")

    def step_epoch(self) -> bool:
        """The rest of the current epoch, or one whole epoch (pauses a run first)."""
        return self._step("step_epoch")

    def _step(self, kind: str) -> bool:
        self.pause(wait=True)
        if not self._ensure_box():
            return False
        self._start((kind,))
        return True

    def reset_weights(self) -> bool:
        """Re-initialize the weights with the settings' scheme and seed, as one undo step;
        the history and the optimizer state start afresh."""
        self.pause(wait=True)
        copy = self.document.network.copy()
        try:
            initialize(copy, self.settings.init, self.settings.seed)
        except (ValueError, NetworkError) as e:
            self._message("error", f"Cannot reset the weights: {e}")
            return False
        weights, biases = copy.parameters()
        self._goal = None
        self.latest = None
        cmd = TrainingCommit(self, SetParameters(weights, biases, "Reset weights"), 0, (), None,
                             f"Reset weights ({self.settings.init}, seed {self.settings.seed})")
        self._push(cmd)
        self._stale = True
        self.prepare(quiet=True)
        self._message("info", f"Weights re-initialized ({self.settings.init}, seed "
                              f"{self.settings.seed}). Press Train to start.")
        return True

    def set_settings(self, settings: TrainingSettings, text: str = "Change training settings") -> None:
        """New hyperparameters as one undo step; they reach the trainer before its next
        step (those in :data:`RESTART_SETTINGS` matter only at Reset weights)."""
        if settings == self.settings:
            return
        self.document.undo_stack.push(SetTrainingSettings(self, settings, text))

    def select_sample(self, row: int | None) -> None:
        """Inspect data row ``row`` (0-based, file order): its outputs in the outputs view,
        its activations on the canvas. None clears the choice (the views keep showing the
        row they show, the canvas shows no activations)."""
        if row is None:
            if self.sample_chosen:
                self.sample_chosen = False
                self.sigSampleChosen.emit(None)
            return
        row = max(0, int(row))
        if self.session is not None:
            row = int(min(row, self.session.prepared.m - 1))
        changed = row != self.selected_row
        if not changed and self.sample_chosen:
            return
        self.selected_row = row
        self.sample_chosen = True
        if changed and self.session is not None:
            self._send_inspect()
        self.sigSampleChosen.emit(row)

    def set_plane_columns(self, columns: tuple[str, ...]) -> None:
        """Which data columns the data view plots (the others are held at their mean)."""
        self.plane_columns = tuple(columns)
        if self.session is None:
            return
        old = self.session
        self.session = build_session(old.compiled, old.prepared, old.labels, old.levels,
                                     self.plane_columns, old.network)
        self.sigSession.emit(self.session)
        self._send_inspect()

    def shutdown(self) -> None:
        """Pause (keeping the learned weights) and end the worker thread: for closing the
        window or quitting. Returns when no thread is left."""
        self._rebuild_timer.stop()
        if self._worker is not None:
            self._worker.stop()
            self._join()

    def prepare(self, quiet: bool = False) -> bool:
        """Build the session now, so the views show the network and its data before
        training; ``quiet``: no message if it cannot (nothing bound yet)."""
        if self._worker is not None:
            return True
        return self._ensure_box(quiet=quiet)

    # ============================================================ the worker
    def _start(self, action: tuple) -> None:
        self._run_start = len(self.history)
        self._action = action[0]
        worker = TrainingWorker(self._box, action, self._inspect_rows, self.layout)
        worker.sigFrame.connect(self._on_frame, Qt.ConnectionType.QueuedConnection)
        worker.sigFinished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._worker = worker
        collector().acquire()            # garbage is collected in this thread only
        self._thread = worker.start()

    def _join(self) -> None:
        """Wait for the worker's thread to end, then handle its queued frames: the box is
        the GUI thread's again and the final frame has been committed."""
        worker, thread = self._worker, self._thread
        if worker is None:
            return
        if thread is not None:
            thread.wait()                # the run ends within one chunk of training
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        if self._worker is worker:       # the final frame never came (cannot happen)
            self._worker_done()

    def _worker_done(self) -> None:
        worker, thread = self._worker, self._thread
        self._worker = self._thread = None
        if thread is not None:
            thread.wait()
            collector().release()
        if worker is not None:
            try:
                worker.sigFrame.disconnect(self._on_frame)
            except (RuntimeError, TypeError):
                pass
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self._action = None
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def _on_finished(self) -> None:
        """Safety net: a worker ended without its final frame being handled."""
        worker = self.sender()
        if worker is not None and worker is self._worker and self._worker.final_sent.is_set():
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)

    # ============================================================ the session
    def _ensure_box(self, quiet: bool = False) -> bool:
        if self._box is not None and not self._stale:
            return True
        try:
            trainer, session = self._build()
        except (NetworkError, DataError, ValueError, OSError) as e:
            if not quiet:
                self._message("error", self._cannot_train_text(e))
            if self._box is None:
                self._set_state(IDLE)
            return False
        state = self.project.state or {}
        position = int(state.get("position", 0)) if int(state.get("samples", -1)) == trainer.m else 0
        self._box = TrainerBox(trainer, position=position)
        self._stale = False
        self._signature = training_signature(self.document.network)
        self._base = self.document.network.parameters()
        self.session = session
        row = int(min(max(self.selected_row, 0), session.prepared.m - 1))
        clipped, self.selected_row = row != self.selected_row, row
        self._inspect_rows, self.layout = session.inspect_rows(self.selected_row)
        if clipped and self.sample_chosen:      # fewer rows than before: the last one
            self.sigSampleChosen.emit(row)
        self.latest = None
        self._last_serial = 0
        self.sigSession.emit(session)
        self.sigLayout.emit(self.layout)
        if self.state == IDLE:
            self._set_state(PAUSED)
        self._refresh_frame()
        return True

    def _build(self) -> tuple[Trainer, Session]:
        project, net = self.project, self.document.network
        problems = net.errors()
        if problems:
            raise NetworkError(problems[0].message)
        prepared = prepare_training(project, self.document.data_path())
        X, Y = _private(prepared.X_train), _private(prepared.Y_train)
        X_val = Y_val = None
        if prepared.X_val is not None:
            X_val, Y_val = _private(prepared.X_val), _private(prepared.Y_val)
        state = project.state
        try:
            trainer = Trainer(net, self.settings, X, Y, X_val, Y_val, state=state)
        except (ValueError, KeyError, TypeError):
            if state is None:
                raise
            trainer = Trainer(net, self.settings, X, Y, X_val, Y_val, state=None)
        gui_copy = net.copy()
        compiled = compile_network(gui_copy, self.settings.precision)
        levels = {nid: 0 for nid in compiled.input_ids}
        for lv in compiled.levels:
            for nid in lv.ids:
                levels[nid] = lv.index
        labels = {n.id: n.label or f"#{n.id}" for n in gui_copy.neurons()}
        session = build_session(compiled, prepared, labels, levels, self.plane_columns, gui_copy)
        return trainer, session

    @staticmethod
    def _cannot_train_text(e: Exception) -> str:
        if isinstance(e, NetworkError):
            return (f"Cannot train yet: {e}. Fix the network on the canvas "
                    "(the Inspector lists the problems).")
        if isinstance(e, DataError):
            return f"Cannot train yet: {e}. Bind a data file in the Dataset panel."
        return f"Cannot train: {e}"

    def _send_inspect(self) -> None:
        if self.session is None:
            return
        self._inspect_rows, self.layout = self.session.inspect_rows(self.selected_row)
        self.sigLayout.emit(self.layout)
        if self._worker is not None:
            self._worker.set_inspect(self._inspect_rows, self.layout)
        else:
            self._refresh_frame()

    def _refresh_frame(self) -> None:
        """A frame of the (GUI-owned) trainer as it is, e.g. after a new selection."""
        if self._box is None or self._worker is not None or self._stale:
            return
        self._on_frame(self._box.frame(self._inspect_rows, self.layout, running=False,
                                       final=False))

    # ============================================================ frames
    def _on_frame(self, frame: Frame) -> None:
        box = self._box
        if box is None or frame.source != box.token or frame.serial <= self._last_serial:
            return                      # from an older trainer, or already handled
        self._last_serial = frame.serial
        if frame.records:
            self.history.extend(frame.records)
        if frame.snapshot is not None:
            self.latest = frame
        final = bool(frame.reason)
        if final:
            self._worker_done()
            self._run_ended(frame)
        self.sigFrame.emit(frame)
        if not final and not self.paced:
            self.frame_shown()
        if final and self._stale:
            self._schedule_rebuild()

    def _run_ended(self, frame: Frame) -> None:
        if frame.parameters is not None:
            self._commit(frame)
        else:
            self.project.state = frame.state if frame.state is not None else self.project.state
        if frame.reason == worker_mod.DIVERGED:
            self._goal = None
            self._message("warning", frame.message)
        elif frame.reason == worker_mod.ERROR:
            self._message("error", frame.message)
        elif frame.reason in (worker_mod.RULE, worker_mod.EPOCHS):
            self._goal = None
            self._message("info", frame.message)
        elif frame.reason == worker_mod.USER and self._stale:
            self._message("info", "Training paused because the network or its data changed. "
                                  "Press Train to continue from the learned weights.")

    def _commit(self, frame: Frame) -> None:
        """Bring the worker's parameters back into the model as one undo step, keeping any
        weight the user edited meanwhile (three-way: base -> user edit vs base -> trained)."""
        net = self.document.network
        trained_w, trained_b = frame.parameters
        base_w, base_b = self._base or ({}, {})
        model_w, model_b = net.parameters()
        weights = {k: w for k, w in trained_w.items()
                   if k in model_w and model_w[k] == base_w.get(k) and model_w[k] != w}
        biases = {i: b for i, b in trained_b.items()
                  if i in model_b and model_b[i] == base_b.get(i) and model_b[i] != b}
        start = min(self._run_start, len(self.history))
        records = tuple(self.history[start:])
        if not weights and not biases and not records:
            self.project.state = frame.state
            return
        step = frame.reason == worker_mod.STEP
        if step:
            text = "Step training"
        elif records:
            text = f"Train epochs {records[0].epoch}-{records[-1].epoch}"
        else:
            text = "Train"
        cmd = TrainingCommit(self, SetParameters(weights, biases), start, records, frame.state,
                             text, mergeable=step)
        self._push(cmd)
        if not self._stale:
            self._base = net.parameters()
        self._run_start = len(self.history)

    def _push(self, cmd: QUndoCommand) -> None:
        self._committing = True
        try:
            self.document.undo_stack.push(cmd)
        finally:
            self._committing = False

    def _commit_applied(self, cmd: TrainingCommit, undo: bool) -> None:
        """A training commit was done, undone or redone: keep the views and the trainer in
        step with the model."""
        if self._committing and not undo:
            self.sigHistory.emit()
            return
        # undo / redo: the model's weights (and history, state) moved under the trainer:
        # recompile from the model. Never wait here: we are inside the undo stack, and a
        # final frame's commit must not push from within it.
        self._stale = True
        self._goal = None
        self.latest = None
        if self._worker is not None:
            self._worker.pause()
        self.sigHistory.emit()
        self._schedule_rebuild()

    # ============================================================ model events
    def _network_changed(self) -> None:
        if self._committing or self._box is None or self._stale:
            return
        net = self.document.network
        if training_signature(net) == self._signature and net.parameters() == self._base:
            return                                 # moved or renamed: training goes on
        self._stale = True
        if self._worker is not None:
            self._worker.pause()
        else:
            self._schedule_rebuild()

    def _data_changed(self, _binding) -> None:
        if self._box is None:
            return
        self._stale = True
        if self._worker is not None:
            self._worker.pause()
        else:
            self._schedule_rebuild()

    def _schedule_rebuild(self) -> None:
        """Soon after an edit (once edits pause for a moment), recompile quietly so the
        views show the edited network; if it cannot train yet, the old views stay."""
        if self._worker is None:
            self._rebuild_timer.start()

    def _quiet_rebuild(self) -> None:
        if self._worker is None and self._stale:
            self._ensure_box(quiet=True)

    def _project_replaced(self, _project) -> None:
        if self._worker is not None:     # the old project is gone: nothing to keep
            worker = self._worker
            self._box = None
            worker.stop()
            self._thread.wait()
            self._worker_done()
        self._box = None
        self._stale = True
        self._goal = None
        self.latest = None
        self.session = None
        self.layout = None
        self.selected_row = 0
        chosen, self.sample_chosen = self.sample_chosen, False
        self.plane_columns = None
        self._set_state(IDLE)
        self.sigSession.emit(None)
        self.sigHistory.emit()
        self.sigSettings.emit(self.settings)
        if chosen:
            self.sigSampleChosen.emit(None)
        QTimer.singleShot(0, self, lambda: self.prepare(quiet=True))

    def _settings_applied(self, settings: TrainingSettings) -> None:
        if self._worker is not None:
            self._worker.update_settings(settings)
        elif self._box is not None:
            try:
                self._box.update_settings(settings)
            except (ValueError, NetworkError) as e:
                self._message("error", f"Cannot use these settings: {e}")
        self.sigSettings.emit(settings)

    # ============================================================ helpers
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.sigState.emit(state)

    def _message(self, level: str, text: str) -> None:
        self.sigMessage.emit(level, text)


def _private(a: np.ndarray | None) -> np.ndarray | None:
    """A read-only copy of a data array for the worker (it shares nothing with the GUI)."""
    if a is None:
        return None
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out
