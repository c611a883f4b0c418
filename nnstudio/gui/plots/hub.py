"""The hub between the training controller and the live views (and the canvas).

It forwards the controller's sessions, frames, history and settings to every view, and
keeps the GUI thread's share of the machine bounded. Everything the GUI thread does in
Python, and all of Qt's painting, holds Python's GIL, so each millisecond the GUI spends
is a millisecond the training thread waits. The hub therefore watches the GUI thread's own
CPU time (``time.thread_time``, painting included) and draws frames only as often as keeps
it under :data:`BUDGET` of the wall time: up to 21 frames a second (:data:`MIN_INTERVAL`)
on a normal machine and network, fewer when views are big or the machine slow. Skipped
frames lose nothing: views keep the newest frame, and the cost curve reads the history
itself.

A frame is drawn and painted in one go while the worker waits (:meth:`ViewHub._draw`):
see "Python's GIL" in :mod:`nnstudio.gui.training.worker`.

The canvas is recoloured at most :data:`CANVAS_RATE` times a second (less for a network
big enough that repainting it would take more than :data:`CANVAS_SHARE` of the time), and
only when a weight, gradient or activation changed enough to see. Neuron activations go to
the canvas only while a run goes on and only for a sample the user chose
(``controller.sample_chosen``): at rest the model holds the weights, and whoever shows the
chosen row from the model (the dataset panel in the main window) fills the neurons.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

#: Largest fraction of the wall time the GUI thread may be busy while training. At the
#: frame cap on a 2-core machine the GUI needs about 15% (frames, and the event loop's
#: other work, which this share counts too); a slower machine or bigger views get fewer
#: frames instead of slower training.
BUDGET = 0.18
#: Shortest and longest time between two drawn frames (seconds). 21 frames a second is
#: smooth to the eye; drawing more would only take time from training (a frame of every
#: view costs the training thread about 0.7% of its speed per frame a second).
MIN_INTERVAL, MAX_INTERVAL = 1 / 21, 0.5
#: How long the GUI's CPU time is averaged over before the frame interval is adjusted.
WINDOW = 0.3
#: Canvas updates per second at most, and the change (relative to the largest |value|)
#: below which an update is not worth a repaint.
CANVAS_RATE = 3.0
#: Largest share of the time the canvas's repaints may take while training: a big network
#: (a thousand antialiased wires take 25 ms to draw) is recoloured less often than 3 a second.
CANVAS_SHARE = 0.04
VISIBLE_CHANGE = 0.01


class ViewHub(QObject):
    """Feeds ``views`` (and optionally a canvas ``NetworkView``) from a controller."""

    #: every frame drawn: (frame, seconds it took to draw)
    sigDrawn = Signal(object, float)

    def __init__(self, controller, views, canvas=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.views = list(views)
        self.canvas = canvas
        self.session = None
        self.probe = None
        self.interval = MIN_INTERVAL      # current time between drawn frames
        self._last_draw = 0.0
        self._window_wall = time.perf_counter()
        self._window_cpu = time.thread_time()
        self.busy = 0.0                   # GUI thread's share of the last window
        self._window_frames = 0
        self._last_canvas = 0.0
        self._canvas_shown = None         # (weights, grads, activations) last sent
        self._kept = None                 # newest frame not drawn yet
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._draw_kept)
        self.frames_drawn = 0
        controller.paced = True           # the worker sends a frame when the last is drawn
        controller.sigSession.connect(self.set_session)
        controller.sigFrame.connect(self.show_frame)
        controller.sigHistory.connect(self.set_history)
        controller.sigSettings.connect(self.set_settings)
        controller.sigState.connect(self._state_changed)
        for view in self.views:
            view.sigSelectSample.connect(controller.select_sample)
        self.set_settings(controller.settings)
        self.set_history()
        if controller.session is not None:
            self.set_session(controller.session)
        if controller.latest is not None:
            self.show_frame(controller.latest)

    # ---------------------------------------------------------- forwarding
    def set_session(self, session) -> None:
        self.session = session
        self.probe = None
        for view in self.views:
            view.set_session(session)
        if self.canvas is not None and session is None:
            self.canvas.set_gradient_halo(None)

    def set_plane(self, session) -> None:
        """Only the data view changes when other columns are chosen for its plane."""
        self.session = session
        for view in self.views:
            if hasattr(view, "sigPlaneColumns"):
                view.set_session(session)
                if self.controller.latest is not None:
                    view.show_frame(self.controller.latest)

    def set_history(self) -> None:
        for view in self.views:
            view.set_history(self.controller.history)

    def set_settings(self, settings) -> None:
        for view in self.views:
            if hasattr(view, "set_settings"):
                view.set_settings(settings)

    def show_frame(self, frame) -> None:
        """Draw ``frame`` now, or keep it for later if the GUI is over its budget; a final
        frame (the end of a run) is always drawn."""
        now = time.perf_counter()
        self._govern(now)
        wait = self.interval - (now - self._last_draw)
        if frame.running and wait > 0.002:
            self._kept = frame                # draw it when the interval is over
            for view in self.views:
                view.keep_frame(frame)
            self._timer.start(max(1, int(wait * 1000)))
            return
        self._draw(frame, now)

    def draw_now(self, frame=None) -> None:
        """Draw ``frame`` (default: the controller's latest) at once, notes included,
        whatever the budget says: for pictures of the window and for tests."""
        frame = frame or self.controller.latest
        if frame is None:
            return
        for view in self.views:
            view._note_time = 0.0
        self._draw(frame, time.perf_counter(), force=True)
        for view in self.views:
            if view._note_pending is not None:
                view.set_note(view._note_pending, now=True)

    def _draw_kept(self) -> None:
        frame, self._kept = self._kept, None
        if frame is not None:
            self._draw(frame, time.perf_counter())

    def _draw(self, frame, now: float, force: bool = False) -> None:
        self._timer.stop()
        self._kept = None
        start = time.perf_counter()
        # while a run goes on, the worker waits for the frame to be drawn and painted
        held = self.controller.hold_worker() if frame.running else None
        try:
            for view in self.views:
                view.show_frame(frame)
            self._show_on_canvas(frame, final=force or not frame.running)
            if held is not None:
                self._paint_now()
        finally:
            self.controller.release_worker(held)
            if frame.running:            # even if a view failed: the frames keep coming
                self.controller.frame_shown()
        took = time.perf_counter() - start
        self._last_draw = now
        self.frames_drawn += 1
        self.sigDrawn.emit(frame, took)

    def _paint_now(self) -> None:
        """Paint what the frame changed now, while the worker waits, rather than at the
        event loop's next turn (when the worker would be training again and every
        callback into Python would have to take the GIL back from it). Qt paints in two
        posted steps: each scene works out the region its changed items cover (a queued
        call to the scene), then each window repaints its changed widgets (an update
        request posted to the window). Both are sent here, to those objects only."""
        widgets = [view for view in self.views if view.isVisible()]
        scenes = [view.graphics.scene() for view in widgets if hasattr(view, "graphics")]
        if self.canvas is not None and self.canvas.isVisible():
            widgets.append(self.canvas)
            scenes.append(self.canvas.scene())
        for scene in scenes:
            QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall)
        for window in {widget.window() for widget in widgets}:
            QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

    def _state_changed(self, state: str) -> None:
        """A run starts: measure afresh (what the GUI thread did while no run was going
        on says nothing about drawing frames), from the interval the last run ended with."""
        if state == "running":
            self._window_wall, self._window_cpu = time.perf_counter(), time.thread_time()
            self._window_frames = self.frames_drawn

    def _govern(self, now: float) -> None:
        """Set the frame interval from the GUI thread's CPU time over the last window:
        the interval at which drawing would use :data:`BUDGET` of the time, given what a
        frame cost and what the GUI spent besides (proportional, smoothed)."""
        wall = now - self._window_wall
        if wall < WINDOW:
            return
        cpu = time.thread_time() - self._window_cpu
        frames = self.frames_drawn - self._window_frames
        self.busy = cpu / wall
        self._window_wall, self._window_cpu = now, time.thread_time()
        self._window_frames = self.frames_drawn
        if frames:
            per_frame = cpu / frames               # fixed costs included: errs on the safe side
            ideal = per_frame / BUDGET
        elif self.busy < BUDGET:
            ideal = self.interval / 2
        else:
            ideal = self.interval * 2
        ideal = min(MAX_INTERVAL, max(MIN_INTERVAL, ideal))
        self.interval = 0.5 * self.interval + 0.5 * ideal

    # ---------------------------------------------------------- canvas
    def _show_on_canvas(self, frame, final: bool) -> None:
        canvas, session, snap = self.canvas, self.session, frame.snapshot
        if canvas is None or session is None or snap is None or not canvas.isVisible():
            return
        cn = session.compiled
        if len(snap.weights) != len(cn.connection_keys):
            return
        now = time.perf_counter()
        # the canvas is the biggest widget to repaint: at most every other drawn frame
        gap = max(1.0 / CANVAS_RATE, getattr(canvas, "paint_seconds", 0.0) / CANVAS_SHARE)
        if not final and (now - self._last_canvas < gap or self.frames_drawn % 2):
            return
        layout = frame.inspect_key
        activations = None
        if layout is not None and frame.running and getattr(self.controller, "sample_chosen", True):
            from nnstudio.gui.training.session import NeuronProbe

            if self.probe is None or self.probe.row != layout.selected_row:
                self.probe = NeuronProbe(cn, session.prepared.X[[layout.selected_row]])
                self.probe.row = layout.selected_row
            self.probe.run(snap.weights, snap.biases)
            activations = self.probe.values(0)
        grads = np.asarray(snap.neuron_grad, dtype=np.float64)
        shown = self._canvas_shown
        if not final and shown is not None and _close(shown[0], snap.weights) \
                and _close(shown[1], grads) and _close(shown[2], activations):
            return                                 # nothing the eye would see
        self._canvas_shown = (np.array(snap.weights), grads, activations)
        self._last_canvas = now
        if frame.running:
            canvas.refresh_weights(dict(zip(cn.connection_keys, snap.weights.tolist())),
                                   dict(zip(cn.bias_ids, snap.biases.tolist())))
        else:
            canvas.refresh_weights(None, None)     # the model holds the weights again
        canvas.set_gradient_halo(dict(zip(cn.neuron_ids, grads.tolist())))
        if activations is not None:
            canvas.set_sample_activations(self.probe.all_activations(0))


def _close(old, new) -> bool:
    """True if ``new`` differs from ``old`` by less than VISIBLE_CHANGE of its scale."""
    if old is None or new is None:
        return old is None and new is None
    new = np.asarray(new, dtype=np.float64)
    if old.shape != new.shape:
        return False
    if not old.size:
        return True
    scale = max(float(np.max(np.abs(new))), 1e-300)
    return float(np.max(np.abs(new - old))) < VISIBLE_CHANGE * scale
