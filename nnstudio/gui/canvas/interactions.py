"""Mouse gestures on the canvas, each an object with ``start``, ``move``, ``release``,
``end`` and ``cancel`` (the shape of orange-canvas-core's user interactions).

The view (:class:`~nnstudio.gui.canvas.view.NetworkView`) turns a mouse press into a
gesture with :func:`gesture_for_press`, feeds it the moves and the release, and cancels it
on Esc. A gesture changes the network only when it ends successfully, and then by exactly
one command on the undo stack; cancelling restores whatever it showed on the way.

Gesture rules
-------------
======================================  ==============================================
press on ...                            gesture
======================================  ==============================================
a neuron's rim (outer band) or Alt+drag  connect: a live wire follows the mouse, the
                                        neuron under it turns green (allowed) or
                                        magenta/dashed (refused, reason in the status)
a neuron's body                         select it (Shift/Ctrl toggles), then drag moves
                                        every selected neuron: one MoveNeurons step
a connection (within 5 px)              select it (Shift/Ctrl toggles)
the background                          rubber band: neurons it touches and connections
                                        wholly inside it (Shift/Ctrl adds)
the background with the middle button,  pan
  or with Space held
======================================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt
from PySide6.QtWidgets import QApplication

from ...core.commands import AddConnections, MoveNeurons
from .items import NeuronItem, RubberBandItem, WireItem

if TYPE_CHECKING:  # pragma: no cover
    from .view import NetworkView


@dataclass
class Pointer:
    """Where the mouse is: scene and viewport coordinates, and the modifier keys."""

    scene: QPointF
    view: QPoint
    modifiers: Qt.KeyboardModifier = Qt.NoModifier

    @property
    def additive(self) -> bool:
        return bool(self.modifiers & (Qt.ShiftModifier | Qt.ControlModifier))


def _moved_enough(a: QPoint, b: QPoint) -> bool:
    return (a - b).manhattanLength() >= max(3, QApplication.startDragDistance() // 2)


class Gesture:
    """One gesture from mouse press to release. Subclasses override the hooks."""

    #: a sticky gesture continues after the button is released and ends on the next press
    sticky = False

    def __init__(self, view: "NetworkView") -> None:
        self.view = view
        self.canvas = view.canvas
        self.finished = False
        self.cancelled = False

    def start(self, p: Pointer) -> None:
        """The gesture begins at ``p``."""

    def move(self, p: Pointer) -> None:
        """The mouse moved (with the button still down, or any time for sticky gestures)."""

    def release(self, p: Pointer) -> None:
        """The button was released: commit and end."""
        self.end()

    def press(self, p: Pointer, button: Qt.MouseButton) -> None:
        """Another press while the gesture runs (sticky gestures finish here)."""
        self.cancel()

    def end(self) -> None:
        """Finish: remove temporary items and hand control back to the view."""
        if self.finished:
            return
        self.finished = True
        self.cleanup()
        self.view._gesture_ended(self)

    def cancel(self) -> None:
        """Abandon the gesture: undo whatever it showed, change nothing."""
        if self.finished:
            return
        self.cancelled = True
        self.revert()
        self.end()

    def cleanup(self) -> None:
        """Remove temporary items (called once by :meth:`end`)."""

    def revert(self) -> None:
        """Put back what the gesture changed on screen (called by :meth:`cancel`)."""


# ------------------------------------------------------------------- connect
class ConnectGesture(Gesture):
    """Drag a live wire from ``source`` to another neuron to connect them."""

    def __init__(self, view: "NetworkView", source: int, sticky: bool = False) -> None:
        super().__init__(view)
        self.source = source
        self.sticky = sticky
        self.target: int | None = None
        self.refusal: str | None = None
        self.wire: WireItem | None = None

    def _names(self, target: int) -> tuple[str, str]:
        net = self.view.network
        return net.neuron(self.source).label, net.neuron(target).label

    def start(self, p: Pointer) -> None:
        self.wire = WireItem()
        self.canvas.addItem(self.wire)
        source = self.view.network.neuron(self.source)
        if source.role == "output":
            self.view.status(f"{source.label} is an output neuron: an output cannot feed other neurons")
        else:
            self.view.status(f"Drag to the neuron that {source.label} should feed (Esc cancels)")
        self.move(p)

    def _hover(self, p: Pointer) -> None:
        net = self.view.network
        if self.source not in net:
            self.cancel()
            return
        target, _ = self.canvas.neuron_at(p.scene, self.view.pixel(), exclude=self.source)
        if target != self.target:
            if self.target is not None and self.target in self.canvas.items_by_id:
                self.canvas.neuron_item(self.target).set_target_state(NeuronItem.TARGET_NONE)
            self.target = target
            self.refusal = None
            if target is not None:
                self.refusal = net.connection_refusal(self.source, target)
                state = NeuronItem.TARGET_REFUSED if self.refusal else NeuronItem.TARGET_ALLOWED
                self.canvas.neuron_item(target).set_target_state(state)
                s, t = self._names(target)
                self.view.status(self.refusal if self.refusal else f"Release to connect {s} \u2192 {t}")

    def move(self, p: Pointer) -> None:
        self._hover(p)
        if self.finished:
            return
        source_item = self.canvas.neuron_item(self.source)
        if self.target is not None:
            target_item = self.canvas.neuron_item(self.target)
            end = target_item.rim_point(source_item.pos())
            state = NeuronItem.TARGET_REFUSED if self.refusal else NeuronItem.TARGET_ALLOWED
        else:
            end = p.scene
            state = NeuronItem.TARGET_NONE
        start = source_item.rim_point(end)
        self.wire.set_line(QLineF(start, end), state)

    def release(self, p: Pointer) -> None:
        if not self.sticky:
            self.finish(p)

    def press(self, p: Pointer, button: Qt.MouseButton) -> None:
        if button == Qt.LeftButton:
            self.finish(p)
        else:
            self.cancel()

    def finish(self, p: Pointer) -> None:
        self._hover(p)
        if self.finished:
            return
        if self.target is None:
            self.view.status("Connection cancelled: release the wire over a neuron to connect")
        elif self.refusal:
            self.view.status(self.refusal + self._hint())
        else:
            s, t = self._names(self.target)
            if self.view.execute(AddConnections([(self.source, self.target)])):
                self.view.status(f"Connected {s} \u2192 {t}")
        self.end()

    def _hint(self) -> str:
        """For a connection refused because of roles, say how to make it the other way."""
        net = self.view.network
        src, dst = net.neuron(self.source), net.neuron(self.target)
        if (dst.role == "input" or src.role == "output") and net.connection_refusal(dst.id, src.id) is None:
            return f" (to connect {dst.label} \u2192 {src.label}, drag from {dst.label})"
        return ""

    def cleanup(self) -> None:
        if self.target is not None and self.target in self.canvas.items_by_id:
            self.canvas.neuron_item(self.target).set_target_state(NeuronItem.TARGET_NONE)
        if self.wire is not None:
            self.canvas.removeItem(self.wire)
            self.wire = None

    def revert(self) -> None:
        self.view.status("Connection cancelled")


# ---------------------------------------------------------------------- move
class MoveGesture(Gesture):
    """Drag the selected neurons; the whole drag is one MoveNeurons command."""

    def __init__(self, view: "NetworkView", clicked: int, ids: list[int], collapse_on_click: bool) -> None:
        super().__init__(view)
        self.clicked = clicked
        self.ids = list(ids)
        self.collapse_on_click = collapse_on_click
        self.moving = False
        self.origin: Pointer | None = None
        self.starts: dict[int, QPointF] = {}

    def start(self, p: Pointer) -> None:
        self.origin = p
        self.starts = {nid: QPointF(self.canvas.neuron_item(nid).pos()) for nid in self.ids}

    def move(self, p: Pointer) -> None:
        if not self.moving:
            if not _moved_enough(p.view, self.origin.view):
                return
            self.moving = True
            self.canvas.layer.begin_move(self.ids)
        d = p.scene - self.origin.scene
        self._place(d.x(), d.y())

    def _place(self, dx: float, dy: float) -> None:
        for nid, start in self.starts.items():
            item = self.canvas.items_by_id.get(nid)
            if item is not None:
                item.setPos(start.x() + dx, start.y() + dy)
        self.canvas.layer.move_by(dx, dy)

    def _finish_wires(self) -> None:
        if not self.canvas.layer.end_move():  # connections changed during the drag
            for nid in self.starts:
                if nid in self.canvas.items_by_id:
                    self.canvas.layer.neuron_moved(nid)

    def release(self, p: Pointer) -> None:
        if self.moving:
            self._finish_wires()
            positions = {nid: (self.canvas.neuron_item(nid).x(), self.canvas.neuron_item(nid).y())
                         for nid in self.starts if nid in self.canvas.items_by_id}
            if any(positions[nid] != (s.x(), s.y()) for nid, s in self.starts.items() if nid in positions):
                self.view.execute(MoveNeurons(positions))
        elif self.collapse_on_click:
            self.canvas.set_selection([self.clicked], [])
        self.end()

    def revert(self) -> None:
        if self.moving:
            self._place(0.0, 0.0)
            self._finish_wires()


# --------------------------------------------------------------- rubber band
class RubberBandGesture(Gesture):
    """Select the neurons a rectangle touches and the connections wholly inside it."""

    def __init__(self, view: "NetworkView", additive: bool) -> None:
        super().__init__(view)
        self.additive = additive
        self.band: RubberBandItem | None = None
        self.origin: Pointer | None = None
        self.before: tuple[list, list] = ([], [])

    def start(self, p: Pointer) -> None:
        self.origin = p
        self.before = (self.canvas.selected_neurons(), self.canvas.selected_connections())
        if not self.additive:
            self.canvas.set_selection([], [])

    def move(self, p: Pointer) -> None:
        if self.band is None:
            if not _moved_enough(p.view, self.origin.view):
                return
            self.band = RubberBandItem()
            self.canvas.addItem(self.band)
        rect = QRectF(self.origin.scene, p.scene).normalized()
        self.band.set_rect(rect)
        neurons = self.canvas.neurons_in(rect)
        connections = self.canvas.layer.keys_inside(rect)
        if self.additive:
            neurons = set(neurons) | set(self.before[0])
            connections = set(connections) | set(self.before[1])
        self.canvas.set_selection(neurons, connections)

    def release(self, p: Pointer) -> None:
        if self.band is not None:
            n, c = len(self.canvas.selected_neurons()), len(self.canvas.selected_connections())
            self.view.status(f"Selected {n} neuron{'s' * (n != 1)} and {c} connection{'s' * (c != 1)}")
        self.end()

    def cleanup(self) -> None:
        if self.band is not None:
            self.canvas.removeItem(self.band)
            self.band = None

    def revert(self) -> None:
        self.canvas.set_selection(*self.before)


# ----------------------------------------------------------------------- pan
class PanGesture(Gesture):
    """Drag the view (middle button, or Space + left button)."""

    def start(self, p: Pointer) -> None:
        self.last = QPoint(p.view)
        self.view.viewport().setCursor(Qt.ClosedHandCursor)

    def move(self, p: Pointer) -> None:
        d = p.view - self.last
        self.last = QPoint(p.view)
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - d.x())
        v.setValue(v.value() - d.y())

    def cleanup(self) -> None:
        self.view.viewport().setCursor(Qt.OpenHandCursor if self.view.space_held else Qt.ArrowCursor)


# ------------------------------------------------------------------- chooser
def gesture_for_press(view: "NetworkView", p: Pointer, button: Qt.MouseButton) -> Gesture | None:
    """The gesture a press starts (selection clicks happen here too), or None."""
    if button == Qt.MiddleButton or (button == Qt.LeftButton and view.space_held):
        return PanGesture(view)
    if button != Qt.LeftButton:
        return None
    canvas = view.canvas
    pixel = view.pixel()
    nid, zone = canvas.neuron_at(p.scene, pixel)
    if nid is not None:
        if zone == "rim" or p.modifiers & Qt.AltModifier:
            return ConnectGesture(view, nid)
        selected = canvas.selected_neurons()
        connections = canvas.selected_connections()
        if p.additive:
            if nid in selected:
                canvas.set_selection([i for i in selected if i != nid], connections)
                return None
            canvas.set_selection(selected + [nid], connections)
        elif nid not in selected:
            canvas.set_selection([nid], [])
        collapse = not p.additive and nid in selected and len(selected) > 1
        return MoveGesture(view, nid, canvas.selected_neurons(), collapse)
    key = canvas.connection_at(p.scene, pixel)
    if key is not None:
        selected = canvas.selected_connections()
        if p.additive:
            keys = [k for k in selected if k != key] if key in selected else selected + [key]
            canvas.set_selection(canvas.selected_neurons(), keys)
        else:
            canvas.set_selection([], [key])
        return None
    return RubberBandGesture(view, p.additive)
