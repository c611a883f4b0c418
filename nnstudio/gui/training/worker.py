"""The training worker: the core :class:`~nnstudio.core.training.Trainer` run in a
:class:`QThread`, sending immutable :class:`Frame` objects to the GUI.

One action per thread
---------------------
A :class:`TrainerBox` holds a Trainer and what the loop keeps about it between actions.
Each action (a run, one batch, one epoch) gets a fresh :class:`TrainingWorker` in a fresh
QThread; the thread ends with the action's final frame. So no thread waits around while
training is paused, and the box belongs to exactly one thread at a time: the worker's
from :meth:`TrainingWorker.start` until its thread has finished, the GUI's otherwise.

What crosses between the threads
--------------------------------
* worker -> GUI: :class:`Frame` objects through the queued signal ``sigFrame``, at most
  :data:`MAX_FRAME_RATE` a second however fast the network trains, and only after the GUI
  has acknowledged the previous one (:meth:`TrainingWorker.frame_done`), so a slow GUI never
  builds a backlog: the epochs in between travel together in the next frame's ``records``.
  A frame's arrays are fresh read-only copies.
* GUI -> worker: the stop flag and a thread-safe queue of commands (pause, a new goal,
  new settings, new inspected rows), read between chunks of training.

Nothing else is shared.

Python's GIL
------------
Training runs in chunks of about :data:`CHUNK_SECONDS` (whole epochs when they are short,
single mini-batches when they are long); between chunks the worker reads its commands and
maybe sends a frame. The interpreter hands the GIL to the GUI thread whenever it asks (at
least every ``sys.getswitchinterval()``); what the GUI does with it is the GUI's cost,
kept in budget by :class:`~nnstudio.gui.plots.hub.ViewHub`.

While the GUI draws a frame it asks the worker to step aside
(:meth:`TrainingWorker.hold_for_drawing`, then :meth:`TrainingWorker.drawing_done`): the
worker waits, without the GIL, before its next epoch or batch. Drawing calls back into
Python hundreds of times, and each call would otherwise take the GIL back from a busy
worker, a handoff that costs both threads more than the call itself. The wait never lasts
more than :data:`HOLD_LIMIT`.

Signals
-------
==================  ===========================================================
``sigFrame(obj)``   a :class:`Frame`: progress while running, or the final frame of
                    the action (``running`` False, ``reason`` set) with the
                    parameters and state to keep
``sigFinished()``   the thread's work is done (it quits right after)
==================  ===========================================================
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from nnstudio.core.settings import EpochRecord, TrainingSettings
from nnstudio.core.training import Divergence, Snapshot, Trainer

#: Frames per second the worker sends at most while training.
MAX_FRAME_RATE = 30.0
#: Seconds of training between two looks at the command queue.
CHUNK_SECONDS = 0.006
#: Epochs "without limit" (``settings.epochs == 0``) are this many.
UNLIMITED = 10 ** 15
#: Longest the worker waits for the GUI to finish drawing a frame (seconds).
HOLD_LIMIT = 0.1

#: Every QThread a worker was started in, to check that none outlives its test or window.
THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """The training threads still running (should be none once a window has closed)."""
    out = []
    for thread in list(THREADS):
        try:
            if thread.isRunning():
                out.append(thread)
        except RuntimeError:  # the C++ object is gone: not running
            pass
    return out


# Why a run ended (``Frame.reason``).
USER = "paused"           # the user pressed Pause (or the network was edited)
STEP = "step"             # one batch or one epoch was stepped
EPOCHS = "epochs"         # the stop rule's number of epochs was reached
RULE = "rule"             # target cost or early stop on validation (``message`` says which)
DIVERGED = "diverged"     # NaN or inf; the trainer rolled back (``message`` says what to try)
ERROR = "error"           # anything else went wrong (``message`` has the error)


@dataclass(frozen=True)
class Frame:
    """What the GUI gets from the worker: one immutable message.

    ``snapshot``: the core's :class:`~nnstudio.core.training.Snapshot` (weights, biases,
    per-neuron gradients, costs, outputs for the inspected rows). ``records``: the epochs
    finished since the previous frame, in order. ``running``: False in the last frame of a
    run; it then carries ``reason``/``message`` and ``parameters`` (weights by connection,
    biases by neuron id: what the model should keep) and ``state`` (optimizer and random
    state, plain data, for the project file). ``serial`` counts frames from 1.
    """

    serial: int
    snapshot: Snapshot
    records: tuple[EpochRecord, ...] = ()
    running: bool = True
    reason: str = ""
    message: str = ""
    parameters: tuple[dict, dict] | None = None
    state: dict | None = None
    inspect_key: object = None
    source: int = 0


@dataclass
class _Cursor:
    """Where the trainer is inside its epoch, mirrored from public facts (``m``, the
    settings and the steps taken) so the loop can finish an epoch with ``run_epoch`` (which
    records its costs) instead of a bare ``step_batch``."""

    m: int
    batch: int = 0
    position: int = 0     # samples of the current epoch already used

    def configure(self, settings: TrainingSettings) -> None:
        full = settings.optimizer == "gd" or settings.batch_size is None \
            or settings.batch_size >= self.m
        self.batch = self.m if full else int(settings.batch_size)
        if full:
            self.position = 0

    @property
    def last_step_of_epoch(self) -> bool:
        return self.position + self.batch >= self.m

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.m // self.batch)

    def stepped(self) -> None:
        self.position += min(self.batch, self.m - self.position)
        if self.position >= self.m:
            self.position = 0


class StopRule:
    """The stop rules of ``settings``, applied to each epoch's record the way the core's
    ``Trainer.train`` applies them (target cost first, then patience on the validation
    cost), so a run in the app stops at the same epoch as headless training."""

    def __init__(self, best_val: float | None = None, bad_epochs: int = 0) -> None:
        self.best_val = best_val
        self.bad_epochs = bad_epochs

    def check(self, record: EpochRecord, settings: TrainingSettings) -> str | None:
        """Update the validation bookkeeping with ``record``; why to stop, or None."""
        if record.val_cost is not None:
            if self.best_val is None or record.val_cost < self.best_val:
                self.best_val, self.bad_epochs = record.val_cost, 0
            else:
                self.bad_epochs += 1
        if settings.target_cost is not None and record.train_cost <= settings.target_cost:
            return (f"the training cost {record.train_cost:.6g} reached the target "
                    f"{settings.target_cost:g}")
        if settings.early_stop_patience is not None and record.val_cost is not None \
                and self.bad_epochs >= settings.early_stop_patience:
            return (f"the validation cost has not improved for {self.bad_epochs} epochs "
                    f"(best {self.best_val:.6g})")
        return None


class TrainerBox:
    """A :class:`Trainer` with what the loop keeps about it between runs (where it is in
    its epoch, the stop-rule bookkeeping, how long a step takes, the frame counter).

    Owned by exactly one thread at a time: the GUI thread while no worker runs (it may
    then step it, take snapshots, change its settings), the worker's thread from
    :meth:`TrainingWorker.start` until that thread has finished.
    """

    _next_token = 0

    def __init__(self, trainer: Trainer, position: int = 0) -> None:
        TrainerBox._next_token += 1
        #: stamped on every frame (``Frame.source``), so frames of an older trainer are known
        self.token = TrainerBox._next_token
        self.trainer = trainer
        state = trainer.state()
        self.rule = StopRule(state.get("best_val"), int(state.get("bad_epochs", 0)))
        self.cursor = _Cursor(trainer.m, position=position)
        self.cursor.configure(trainer.settings)
        self.step_seconds = 0.0      # running mean of one optimizer step
        self.serial = 0
        self.pending: list[EpochRecord] = []
        self._probe = None                # forward pass buffers for the inspected rows

    # ------------------------------------------------------------- stepping
    def whole_epoch_next(self) -> bool:
        """Run a whole epoch next (it is short, or only its last step is left)?"""
        cursor = self.cursor
        if cursor.last_step_of_epoch:
            return True
        if cursor.position != 0:
            return False
        if self.step_seconds == 0:          # not measured yet: measure on one step
            return cursor.steps_per_epoch == 1
        return self.step_seconds * cursor.steps_per_epoch <= CHUNK_SECONDS

    def epoch(self) -> EpochRecord:
        """Finish the current epoch (a whole one if none is under way) and record it."""
        trainer = self.trainer
        before, start = trainer.step, time.perf_counter()
        record = trainer.run_epoch()
        self._timed(start, trainer.step - before)
        self.cursor.position = 0
        self.pending.append(record)
        return record

    def batch(self) -> EpochRecord | None:
        """One mini-batch; the epoch's last one through :meth:`epoch`, which records it."""
        if self.cursor.last_step_of_epoch:
            return self.epoch()
        start = time.perf_counter()
        self.trainer.step_batch()
        self._timed(start, 1)
        self.cursor.stepped()
        return None

    def _timed(self, start: float, steps: int) -> None:
        if steps > 0:
            per = (time.perf_counter() - start) / steps
            self.step_seconds = per if self.step_seconds == 0 else 0.8 * self.step_seconds + 0.2 * per

    def update_settings(self, settings: TrainingSettings) -> None:
        self.trainer.update_settings(settings)
        self.cursor.configure(settings)

    def resync(self) -> None:
        """After a rollback (divergence), read where the trainer is from its public state."""
        try:
            state = self.trainer.state()
        except Exception:  # noqa: BLE001
            self.cursor.position = 0
            return
        self.cursor.position = int(state.get("position", 0))
        self.rule.best_val = state.get("best_val")
        self.rule.bad_epochs = int(state.get("bad_epochs", 0))

    # -------------------------------------------------------------- frames
    def _outputs(self, rows: np.ndarray, snapshot: Snapshot) -> np.ndarray:
        """The network's outputs for ``rows`` with the snapshot's weights: the core
        engine's forward pass, with its buffers kept from frame to frame (the same as
        ``Trainer.predict``, a quarter of the cost on the 6,400 points of a plane)."""
        from nnstudio.gui.training.session import NeuronProbe

        probe = self._probe
        if probe is None or probe.inputs is not rows or probe.compiled is not self.trainer.compiled:
            probe = self._probe = NeuronProbe(self.trainer.compiled, rows)
        probe.run(snapshot.weights, snapshot.biases)
        out = probe.outputs()
        out.setflags(write=False)
        return out

    def frame(self, inspect: np.ndarray | None, inspect_key: object, *, running: bool,
              final: bool, reason: str = "", message: str = "") -> Frame:
        """A frame of the trainer as it is now, with the records since the last frame."""
        trainer = self.trainer
        snapshot = trainer.snapshot(None)
        if inspect is not None:
            try:
                snapshot = replace(snapshot, outputs=self._outputs(inspect, snapshot))
            except Exception:  # noqa: BLE001 - e.g. inspected rows of the wrong width
                pass
        self.serial += 1
        frame = Frame(serial=self.serial, snapshot=snapshot, records=tuple(self.pending),
                      running=running, reason=reason, message=message,
                      parameters=trainer.parameters() if final else None,
                      state=trainer.state() if final else None,
                      inspect_key=inspect_key, source=self.token)
        self.pending = []
        return frame


class TrainingWorker(QObject):
    """One action (a run, one batch, one epoch) of a :class:`TrainerBox` in its own QThread.

    Create it in the GUI thread and :meth:`start` it; while it runs, talk to it only
    through the command methods (thread-safe). The thread ends after the action's final
    frame (``running`` False), so no thread waits around while training is paused; the
    box then belongs to the GUI thread again (after ``thread.wait()``).
    """

    sigFrame = Signal(object)
    sigFinished = Signal()

    def __init__(self, box: TrainerBox, action: tuple, inspect: np.ndarray | None = None,
                 inspect_key: object = None) -> None:
        super().__init__()
        self.box = box
        self.token = box.token
        self._action = action
        self._inspect = inspect
        self._inspect_key = inspect_key
        self._commands: "queue.SimpleQueue[tuple]" = queue.SimpleQueue()
        self._stop = threading.Event()
        self._acked = threading.Event()
        self._acked.set()
        self._go = threading.Event()      # cleared while the GUI draws a frame
        self._go.set()
        self._goal: int | None = None
        self._last_emit = 0.0
        #: set once the final frame has been emitted
        self.final_sent = threading.Event()
        self.thread: QThread | None = None

    # ------------------------------------------------------------ GUI side
    def start(self) -> QThread:
        """Move to a new QThread and do the action there. Returns the thread."""
        thread = QThread()
        thread.setObjectName("nnstudio-training")
        THREADS.add(thread)
        self.moveToThread(thread)
        thread.started.connect(self._loop)
        self.thread = thread
        thread.start()
        return thread

    def pause(self) -> None:
        """End the run after the current chunk (its final frame follows)."""
        self._commands.put(("pause",))

    def set_goal(self, goal_epoch: int) -> None:
        """Train until epoch ``goal_epoch`` instead."""
        self._commands.put(("goal", int(goal_epoch)))

    def update_settings(self, settings: TrainingSettings) -> None:
        """New hyperparameters, applied before the next step (weights kept)."""
        self._commands.put(("settings", settings))

    def set_inspect(self, rows: np.ndarray | None, key: object = None) -> None:
        """Rows whose outputs every frame carries (``snapshot.outputs``); ``key`` comes
        back in ``Frame.inspect_key`` so the GUI knows which rows a frame answers."""
        self._commands.put(("inspect", rows, key))

    def frame_done(self) -> None:
        """The GUI has shown the last frame: the next may be sent."""
        self._acked.set()

    def hold_for_drawing(self) -> None:
        """The GUI starts drawing a frame: wait before the next epoch or batch (at most
        :data:`HOLD_LIMIT`) until :meth:`drawing_done`."""
        self._go.clear()

    def drawing_done(self) -> None:
        """The GUI has drawn the frame: train on."""
        self._go.set()

    def stop(self) -> None:
        """Like :meth:`pause`, and also skip anything still queued."""
        self._stop.set()
        self._commands.put(("pause",))
        self._go.set()

    # --------------------------------------------------------- worker side
    def _loop(self) -> None:
        try:
            kind = self._action[0]
            if kind == "run":
                self._goal = int(self._action[1])
                if self.box.trainer.epoch >= self._goal:
                    self._final(EPOCHS, f"Training stopped after epoch {self.box.trainer.epoch}.")
                else:
                    self._train()
            else:
                self._step(kind == "step_epoch")
        except BaseException as e:  # noqa: BLE001 - a worker must never die silently
            self._final(ERROR, _error_text(e))
        finally:
            thread = QThread.currentThread()
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())   # the GUI thread deletes it
            self.sigFinished.emit()
            thread.quit()                         # exec() then returns at once

    def _drain(self) -> str | None:
        """Apply queued commands; "pause" if the run must end."""
        result = None
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return result
            kind = command[0]
            if kind == "pause":
                result = "pause"
            elif kind == "goal":
                self._goal = command[1]
            elif kind == "settings":
                self.box.update_settings(command[1])
            elif kind == "inspect":
                self._inspect, self._inspect_key = command[1], command[2]

    def _train(self) -> None:
        box = self.box
        trainer = box.trainer
        while True:
            if self._drain() == "pause" or self._stop.is_set():
                self._final(USER, "")
                return
            deadline = time.perf_counter() + CHUNK_SECONDS
            go = self._go
            try:
                while True:
                    if not go.is_set():           # the GUI is drawing: let it have the GIL
                        go.wait(HOLD_LIMIT)
                        deadline = time.perf_counter() + CHUNK_SECONDS
                    if box.whole_epoch_next():
                        record = box.epoch()
                        reason = box.rule.check(record, trainer.settings)
                        if reason:
                            self._final(RULE, f"Training stopped: {reason}.")
                            return
                        if trainer.epoch >= self._goal:
                            self._final(EPOCHS, f"Training stopped after epoch {trainer.epoch}.")
                            return
                    else:
                        box.batch()
                    if time.perf_counter() >= deadline:
                        break
            except Divergence as e:
                box.resync()
                self._final(DIVERGED, str(e))
                return
            now = time.perf_counter()
            if now - self._last_emit >= 1.0 / MAX_FRAME_RATE and self._acked.is_set():
                self._acked.clear()
                self._last_emit = now
                self.sigFrame.emit(box.frame(self._inspect, self._inspect_key,
                                             running=True, final=False))

    def _step(self, whole_epoch: bool) -> None:
        box = self.box
        try:
            record = box.epoch() if whole_epoch else box.batch()
            if record is not None:
                box.rule.check(record, box.trainer.settings)
        except Divergence as e:
            box.resync()
            self._final(DIVERGED, str(e))
            return
        self._final(STEP, "")

    def _final(self, reason: str, message: str) -> None:
        if self.final_sent.is_set():
            return
        self._drain()                    # settings or rows sent meanwhile still count
        try:
            frame = self.box.frame(self._inspect, self._inspect_key, running=False, final=True,
                                   reason=reason, message=message)
        except Exception as e:  # noqa: BLE001
            frame = Frame(serial=self.box.serial + 1, snapshot=None, running=False,
                          reason=ERROR, message=_error_text(e), source=self.token)
        self.sigFrame.emit(frame)
        self.final_sent.set()


def _error_text(e: BaseException) -> str:
    last = traceback.extract_tb(e.__traceback__)[-1:] if e.__traceback__ else []
    where = f" (in {last[0].name}, {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"Training stopped by an error: {type(e).__name__}: {e}{where}"
