"""The canvas widget: a QGraphicsView on a :class:`NetworkScene`, with the editing verbs.

Every edit goes through the undo stack as one command (``nnstudio.gui.undo.push``). The
view routes mouse presses to gesture objects (``interactions.py``), zooms with the wheel
around the cursor, pans with the middle button or Space + drag, accepts neurons dragged
from the palette (:data:`PALETTE_MIME`), and offers context menus.

Signals
-------
==========================  ===============================================================
sigStatus(str)              a message for the status bar: refusals with their reason, hints
sigSelectionChanged(list,   selected neuron ids and selected connection keys (sorted)
    list)
sigNeuronActivated(int)     a neuron was double-clicked (the inspector may focus it)
==========================  ===============================================================

Keyboard: the main window owns Delete, Select All, Undo... as actions; the view handles
Esc itself while a gesture runs (it cancels the live wire, a move or a rubber band), and
Space + drag pans.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QPainter, QUndoStack
from PySide6.QtWidgets import QFrame, QGraphicsView, QInputDialog, QLineEdit, QMenu, QToolTip

from ...core.graph import column_gap
from ...core.commands import (
    COLUMN_GAP,
    ROW_GAP,
    AddLayer,
    AddNeuron,
    Command,
    Duplicate,
    FullyConnect,
    Macro,
    MoveNeurons,
    RemoveConnections,
    RemoveNeurons,
    SetWeight,
    UpdateNeuron,
    auto_layout_positions,
)
from ...core.graph import ACTIVATIONS, Network, NetworkError, layer_positions
from ..undo import push
from .interactions import ConnectGesture, Gesture, Pointer, gesture_for_press
from .items import RADIUS
from .numbers import exact_number, parse_number
from .scene import NetworkScene

#: MIME type of a neuron dragged from the palette; the payload is the role, utf-8
#: ("input", "hidden" or "output").
PALETTE_MIME = "application/x-nnstudio-neuron"

MIN_ZOOM, MAX_ZOOM = 0.02, 8.0
ZOOM_STEP = 1.25
#: neurons whose x differ by less than this are in the same column
COLUMN_TOLERANCE = 2 * RADIUS
#: how far the scene reaches around the content (room to pan, and no jumps when it grows)
_SCENE_HALF_SIZE = 1.0e6


def readable_layout_positions(network: Network) -> dict[int, tuple[float, float]]:
    """The core's auto layout (columns by level, ``ROW_GAP`` apart vertically, each
    centred on y = 0, keeping the top-to-bottom order), with wider gaps after and before
    tall columns (:func:`nnstudio.core.graph.column_gap`). A 2-32-32-3 network gets about 870 units between its hidden columns
    instead of 160, which is what makes 1,024 wires readable at the fit zoom."""
    positions = auto_layout_positions(network)  # raises NetworkError on a cycle
    if not positions:
        return positions
    levels = network.levels()
    sizes: dict[int, int] = {}
    for level in levels.values():
        sizes[level] = sizes.get(level, 0) + 1
    x0 = min(x for x, _ in positions.values())
    xs: dict[int, float] = {}
    x = x0
    previous = None
    for level in range(max(sizes) + 1):
        if previous is not None:
            x += column_gap(sizes.get(previous, 1), sizes.get(level, 1), ROW_GAP)
        xs[level] = x
        previous = level
    return {nid: (xs[levels[nid]], y) for nid, (_, y) in positions.items()}


class NetworkView(QGraphicsView):
    """The network editor canvas. See the module docstring for signals and gestures."""

    sigStatus = Signal(str)
    sigSelectionChanged = Signal(list, list)
    sigNeuronActivated = Signal(int)

    def __init__(self, network: Network, undo_stack: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.canvas = NetworkScene(network, self)
        self.canvas.sigSelectionChanged.connect(self.sigSelectionChanged)
        # a command that added or removed connections, or removed selected items, left
        # work for once per edit (wire geometry, one selection signal): do it as soon as
        # the command (do, undo or redo) is over, not once per item
        undo_stack.indexChanged.connect(self._command_done)
        self.setScene(self.canvas)
        self._gesture: Gesture | None = None
        self.space_held = False
        self._fit_pending = True
        self._hover_item = None
        self.exposed_rects: list | None = None
        self.paint_seconds = 0.0          # how long the last repaint took
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(180)
        self._settle.timeout.connect(self._settled)

        self.setSceneRect(QRectF(-_SCENE_HALF_SIZE, -_SCENE_HALF_SIZE, 2 * _SCENE_HALF_SIZE, 2 * _SCENE_HALF_SIZE))
        self.setRenderHint(QPainter.Antialiasing, True)
        self.setRenderHint(QPainter.TextAntialiasing, True)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, False)
        self.setBackgroundBrush(Qt.white)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setDragMode(QGraphicsView.NoDrag)
        self.setFrameShape(QFrame.NoFrame)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.centerOn(0, 0)

    # ------------------------------------------------------------ the model
    @property
    def network(self) -> Network:
        return self.canvas.network

    def set_network(self, network: Network) -> None:
        """Show a newly opened network (the undo stack is the caller's to clear)."""
        self.cancel_gesture()
        self.canvas.set_network(network)
        self._hover_item = None
        self._fit_pending = True
        if self.isVisible():
            self.fit()

    def execute(self, command: Command) -> bool:
        """Push ``command`` on the undo stack; on refusal report the reason and return False."""
        try:
            push(self.undo_stack, self.network, command)
        except NetworkError as exc:
            self.status(str(exc))
            return False
        return True

    def _command_done(self, _index: int = 0) -> None:
        self.canvas.flush_pending()

    def status(self, message: str) -> None:
        self.sigStatus.emit(message)

    # ------------------------------------------------------------ selection
    def selected_neurons(self) -> list[int]:
        return self.canvas.selected_neurons()

    def selected_connections(self) -> list[tuple[int, int]]:
        return self.canvas.selected_connections()

    def select(self, neurons=(), connections=()) -> None:
        self.canvas.set_selection(neurons, connections)

    def select_all(self) -> None:
        self.canvas.set_selection(list(self.canvas.items_by_id), self.canvas.layer.keys())

    def clear_selection(self) -> None:
        self.canvas.set_selection([], [])

    # ----------------------------------------------------------------- edits
    def add_neuron_at(self, role: str, scene_pos: QPointF | None = None) -> int | None:
        """Add a neuron of ``role`` at ``scene_pos`` (None: under the mouse if it is over
        the canvas, else the centre of the view). Returns its id, None if refused."""
        if scene_pos is None:
            cursor = self.viewport().mapFromGlobal(QCursor.pos())
            if self.viewport().rect().contains(cursor):
                scene_pos = self.mapToScene(cursor)
            else:
                scene_pos = self.mapToScene(self.viewport().rect().center())
        command = AddNeuron(role, scene_pos.x(), scene_pos.y())
        if not self.execute(command):
            return None
        self.canvas.set_selection([command.id], [])
        self.status(f"Added {role} neuron {command.neuron.label}")
        return command.id

    def delete_selected(self) -> None:
        """Delete the selected neurons (with their connections) and connections: one step."""
        neurons = self.selected_neurons()
        gone = set(neurons)
        connections = [k for k in self.selected_connections() if k[0] not in gone and k[1] not in gone]
        commands: list[Command] = []
        if connections:
            commands.append(RemoveConnections(connections))
        if neurons:
            commands.append(RemoveNeurons(neurons))
        if not commands:
            self.status("Nothing selected to delete")
            return
        command = commands[0] if len(commands) == 1 else Macro(
            f"Delete {len(neurons)} neurons and {len(connections)} connections", commands)
        self.execute(command)

    def duplicate_selected(self) -> list[int]:
        """Copy the selected neurons and the connections among them; select the copies."""
        neurons = self.selected_neurons()
        if not neurons:
            self.status("Select neurons to duplicate")
            return []
        command = Duplicate(neurons, offset=(2 * RADIUS, 2 * RADIUS))
        if not self.execute(command):
            return []
        self.canvas.set_selection(command.new_ids, [])
        return command.new_ids

    def auto_layout(self) -> None:
        """Arrange the neurons in columns by level (one undo step), the columns far
        enough apart for the wires between tall columns to stay readable (see
        :func:`readable_layout_positions`)."""
        try:
            positions = readable_layout_positions(self.network)
        except NetworkError as exc:
            self.status(str(exc))
            return
        if all((n.x, n.y) == positions[n.id] for n in self.network.neurons()):
            self.status("The network is already laid out")
            return
        self.execute(MoveNeurons(positions, text="Auto layout"))

    def layout_is_crowded(self) -> bool:
        """True when two neighbouring levels stand much closer together than auto layout
        would put them (less than half its gap): the wires between tall columns then
        fill a narrow band, and Auto Layout is worth suggesting."""
        net = self.network
        if len(net) < 2:
            return False
        try:
            wanted = readable_layout_positions(net)
        except NetworkError:
            return False
        levels = net.levels()
        actual: dict[int, list[float]] = {}
        ideal: dict[int, float] = {}
        for n in net.neurons():
            actual.setdefault(levels[n.id], []).append(n.x)
            ideal[levels[n.id]] = wanted[n.id][0]
        order = sorted(actual)
        for a, b in zip(order, order[1:]):
            gap = ideal[b] - ideal[a]
            if gap <= COLUMN_GAP:
                continue
            have = abs(sum(actual[b]) / len(actual[b]) - sum(actual[a]) / len(actual[a]))
            if have < 0.5 * gap:
                return True
        return False

    def _last_column(self) -> list[int]:
        candidates = [n for n in self.network.neurons() if n.role != "output"]
        if not candidates:
            return []
        right = max(n.x for n in candidates)
        return [n.id for n in candidates if n.x >= right - COLUMN_TOLERANCE / 2]

    def add_layer(self, n: int, role: str = "hidden", activation: str | None = None) -> list[int]:
        """Add ``n`` neurons in a new column right of the sources, each fully connected from
        them. Sources: the selected neurons, or else the rightmost column of non-output
        neurons. Neurons already standing where the new column goes (and everything to
        their right) move one column right, in the same undo step."""
        sources = self.selected_neurons() or self._last_column()
        net = self.network
        if sources:
            x = max(net.neuron(s).x for s in sources) + COLUMN_GAP
            ys = [net.neuron(s).y for s in sources]
            yc = (min(ys) + max(ys)) / 2
        else:
            x = max((nn.x for nn in net.neurons()), default=-COLUMN_GAP) + COLUMN_GAP
            yc = 0.0
        positions = [(x, y + yc) for _, y in layer_positions(n, 0, ROW_GAP)]
        source_set = set(sources)
        others = [nn for nn in net.neurons() if nn.id not in source_set]
        in_the_way: dict[int, tuple[float, float]] = {}
        if any(abs(nn.x - x) < COLUMN_GAP / 2 for nn in others):
            in_the_way = {nn.id: (nn.x + COLUMN_GAP, nn.y) for nn in others if nn.x > x - COLUMN_GAP / 2}
        layer = AddLayer(n, sources, role=role, activation=activation, positions=positions)
        command: Command = layer
        if in_the_way:
            command = Macro(layer.text, [MoveNeurons(in_the_way), layer])
        if not self.execute(command):
            return []
        self.canvas.set_selection(layer.new_ids, [])
        return layer.new_ids

    def _columns(self, ids: list[int]) -> list[list[int]]:
        """``ids`` grouped into columns by x (left to right)."""
        net = self.network
        columns: list[list[int]] = []
        last_x = None
        for nid in sorted(ids, key=lambda i: (net.neuron(i).x, net.neuron(i).y)):
            x = net.neuron(nid).x
            if last_x is None or x - last_x > COLUMN_TOLERANCE:
                columns.append([])
            columns[-1].append(nid)
            last_x = x
        return columns

    def fully_connect_selection(self) -> None:
        """Group the selected neurons into columns by x position and connect every column
        fully to the next one (two columns: left group -> right group). One undo step."""
        columns = self._columns(self.selected_neurons())
        if len(columns) < 2:
            self.status("Select neurons in at least two columns: each column is fully connected to the next")
            return
        commands = [FullyConnect(a, b) for a, b in zip(columns, columns[1:])]
        if not any(c.missing(self.network) for c in commands):
            self.status("These neurons are already fully connected")
            return
        command = commands[0] if len(commands) == 1 else Macro("Fully connect columns", commands)
        if self.execute(command):
            added = sum(len(c.connections) for c in commands)
            self.status(f"Added {added} connection{'s' * (added != 1)}")

    def connect_from(self, neuron_id: int) -> None:
        """Start a wire from ``neuron_id`` that follows the mouse; a click on a neuron ends it."""
        self.cancel_gesture()
        cursor = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(cursor):
            cursor = self.mapFromScene(self.canvas.neuron_item(neuron_id).pos())
        gesture = ConnectGesture(self, neuron_id, sticky=True)
        self._gesture = gesture
        gesture.start(Pointer(self.mapToScene(cursor), cursor))

    def set_activation(self, neuron_ids: list[int], activation: str) -> None:
        commands = [UpdateNeuron(i, activation=activation) for i in neuron_ids
                    if self.network.neuron(i).activation != activation]
        if commands:
            self.execute(commands[0] if len(commands) == 1 else Macro(f"Set activation to {activation}", commands))

    def set_weight(self, key: tuple[int, int], weight: float) -> bool:
        """Set one connection's weight (one undo step); an unchanged weight pushes nothing.
        True if the weight changed."""
        if self.network.connection(*key).weight == weight:
            return False
        return self.execute(SetWeight(key[0], key[1], weight))

    # --------------------------------------------------------------- visuals
    def set_sample_activations(self, values: dict[int, float] | None) -> None:
        """Fill each neuron by its activation on the selected sample (None: plain fill)."""
        self.canvas.set_activations(values)

    def set_gradient_halo(self, values: dict[int, float] | None) -> None:
        """Draw a halo around each neuron, stronger for a larger |value| (None: no halo)."""
        self.canvas.set_gradient_halo(values)

    def refresh_weights(self, weights: dict[tuple[int, int], float] | None = None,
                        biases: dict[int, float] | None = None) -> None:
        """Recolour connections from ``weights`` (live training) without an undo step;
        None re-reads the network."""
        self.canvas.refresh_weights(weights, biases)

    # ------------------------------------------------------------------ zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def pixel(self) -> float:
        """The size of one screen pixel in scene units."""
        return 1.0 / max(self.zoom(), 1e-9)

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom by ``factor`` keeping the scene point under ``anchor`` (viewport
        coordinates; default the centre) where it is."""
        current = self.zoom()
        factor = min(max(current * factor, MIN_ZOOM), MAX_ZOOM) / current
        if abs(factor - 1.0) < 1e-9:
            return
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        old = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.scale(factor, factor)
        after = self.mapToScene(anchor)
        d = after - before
        self.translate(d.x(), d.y())
        self.setTransformationAnchor(old)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def fit(self) -> None:
        """Show the whole network (never magnified beyond 1.5x)."""
        rect = self.canvas.content_rect()
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        margin = 30.0
        rect = rect.adjusted(-margin, -margin, margin, margin)
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom() > 1.5:
            self.resetTransform()
            self.scale(1.5, 1.5)
        elif self.zoom() < MIN_ZOOM:
            self.resetTransform()
            self.scale(MIN_ZOOM, MIN_ZOOM)
        self.centerOn(rect.center())
        self._fit_pending = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._fit_pending:
            self.fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_pending and self.isVisible():
            self.fit()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        # while the wheel turns, a dense canvas draws a lighter picture; the full one
        # follows when the wheel pauses (_settled)
        self.canvas.layer.interactive = True
        self._settle.start()
        self.zoom_by(math.pow(1.0015, delta), event.position().toPoint())
        event.accept()

    def _settled(self) -> None:
        if self.canvas.layer.interactive:
            self.canvas.layer.interactive = False
            self.viewport().update()

    # --------------------------------------------------------------- gestures
    def _pointer(self, event) -> Pointer:
        pos = event.position().toPoint()
        return Pointer(self.mapToScene(pos), pos, event.modifiers())

    @property
    def gesture(self) -> Gesture | None:
        """The gesture in progress, if any."""
        return self._gesture

    def cancel_gesture(self) -> bool:
        """Cancel the gesture in progress (the main window's Esc may call this). True if
        there was one."""
        if self._gesture is None:
            return False
        self._gesture.cancel()
        return True

    def _gesture_ended(self, gesture: Gesture) -> None:
        if self._gesture is gesture:
            self._gesture = None

    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.MouseFocusReason)
        p = self._pointer(event)
        if self._gesture is not None:
            self._gesture.press(p, event.button())
            event.accept()
            return
        if event.button() == Qt.RightButton:
            event.ignore()  # the context menu event follows
            return
        self._set_hover(None)
        gesture = gesture_for_press(self, p, event.button())
        if gesture is not None:
            self._gesture = gesture
            gesture.start(p)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        p = self._pointer(event)
        if self._gesture is not None:
            self._gesture.move(p)
        else:
            self._hover(p)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._gesture is not None:
            self._gesture.release(self._pointer(event))
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self._gesture is None:
            nid, _ = self.canvas.neuron_at(self.mapToScene(event.position().toPoint()), self.pixel())
            if nid is not None:
                self.sigNeuronActivated.emit(nid)
                event.accept()
                return
        self.mousePressEvent(event)

    def _hover(self, p: Pointer) -> None:
        nid, zone = self.canvas.neuron_at(p.scene, self.pixel())
        if nid is not None:
            self._set_hover("neuron", nid, zone)
            return
        key = self.canvas.connection_at(p.scene, self.pixel())
        self._set_hover("connection" if key is not None else None, key)

    def _set_hover(self, kind: str | None, ident=None, zone: str | None = None) -> None:
        """Highlight what the mouse is over (no button down) and pick the cursor."""
        new = (kind, ident, zone) if kind is not None else None
        old = self._hover_item
        if new == old:
            return
        if old is not None and old[0] == "neuron" and (new is None or new[:2] != old[:2]):
            item = self.canvas.items_by_id.get(old[1])
            if item is not None:
                item.set_hover_zone(None)
        if kind == "neuron":
            self.canvas.neuron_item(ident).set_hover_zone(zone)
        self.canvas.layer.set_hovered(ident if kind == "connection" else None)
        self._hover_item = new
        if not self.space_held:
            cursor = {None: Qt.ArrowCursor, "connection": Qt.PointingHandCursor}.get(kind)
            if kind == "neuron":
                cursor = Qt.CrossCursor if zone == "rim" else Qt.SizeAllCursor
            self.viewport().setCursor(cursor)
        if kind == "neuron":
            label = self.network.neuron(ident).label
            self.status(f"Drag from {label}'s edge to another neuron to connect them" if zone == "rim"
                        else f"Drag to move {label}; drag from its edge to connect")
        elif kind == "connection":
            self.status(self.canvas.connection_tooltip(ident).replace("<b>", "").replace("</b>", "")
                        .replace("<br>", ", "))

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    # -------------------------------------------------------------- keyboard
    def event(self, event) -> bool:
        if (event.type() == QEvent.ShortcutOverride and self._gesture is not None
                and event.key() == Qt.Key_Escape):
            event.accept()  # Esc belongs to the gesture, not to a window shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Escape and self._gesture is not None:
            self.cancel_gesture()
            event.accept()
            return
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self.space_held = True
            if self._gesture is None:
                self.viewport().setCursor(Qt.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self.space_held = False
            if self._gesture is None:
                self.viewport().setCursor(Qt.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self.space_held = False
        super().focusOutEvent(event)

    def paintEvent(self, event) -> None:
        # the connection layer draws only these rectangles (see ConnectionLayer._exposed_rects)
        self.exposed_rects = list(event.region())
        start = time.perf_counter()
        try:
            super().paintEvent(event)
        finally:
            self.exposed_rects = None
            # what a repaint costs: live training recolours a big network less often
            self.paint_seconds = time.perf_counter() - start

    # -------------------------------------------------------------- tooltips
    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.ToolTip:
            text = self.canvas.tooltip_at(self.mapToScene(event.pos()), self.pixel())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # --------------------------------------------------------------- drops
    def _palette_role(self, event) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasFormat(PALETTE_MIME):
            return None
        role = bytes(mime.data(PALETTE_MIME)).decode("utf-8").strip()
        return role if role in ("input", "hidden", "output") else None

    def dragEnterEvent(self, event) -> None:
        if self._palette_role(event):
            event.acceptProposedAction()
        else:
            event.ignore()  # let the window handle files

    def dragMoveEvent(self, event) -> None:
        if self._palette_role(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        role = self._palette_role(event)
        if role is None:
            event.ignore()
            return
        self.add_neuron_at(role, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    # --------------------------------------------------------- context menus
    def context_menu(self, scene_pos: QPointF) -> QMenu:
        """The menu for a right click at ``scene_pos`` (built, not shown)."""
        menu = QMenu(self)
        nid, _ = self.canvas.neuron_at(scene_pos, self.pixel())
        if nid is not None:
            if nid not in self.selected_neurons():
                self.canvas.set_selection([nid], [])
            ids = self.selected_neurons()
            neuron = self.network.neuron(nid)
            act = menu.addAction(f"Connect from {neuron.label}")
            act.triggered.connect(lambda: self.connect_from(nid))
            activation = menu.addMenu("Activation")
            for name in ACTIVATIONS:
                a = activation.addAction(name)
                a.setCheckable(True)
                a.setChecked(all(self.network.neuron(i).activation == name for i in ids))
                a.triggered.connect(lambda _=False, name=name: self.set_activation(self.selected_neurons(), name))
            activation.setEnabled(any(self.network.neuron(i).role != "input" for i in ids))
            menu.addSeparator()
            if len(ids) > 1:
                menu.addAction("Fully connect columns", self.fully_connect_selection)
            menu.addAction("Duplicate", self.duplicate_selected)
            menu.addAction(f"Delete {len(ids)} neurons" if len(ids) > 1 else "Delete", self.delete_selected)
            return menu
        key = self.canvas.connection_at(scene_pos, self.pixel())
        if key is not None:
            if key not in self.selected_connections():
                self.canvas.set_selection([], [key])
            menu.addAction("Set weight\u2026", lambda: self._ask_weight(key))
            menu.addAction("Delete connection", self.delete_selected)
            return menu
        for role in ("input", "hidden", "output"):
            act = menu.addAction(f"Add {role} neuron here")
            act.triggered.connect(lambda _=False, role=role: self.add_neuron_at(role, scene_pos))
        menu.addSeparator()
        menu.addAction("Select all", self.select_all)
        menu.addAction("Auto layout", self.auto_layout)
        menu.addAction("Fit to view", self.fit)
        return menu

    def _ask_weight(self, key: tuple[int, int]) -> None:
        """Ask for a connection's weight. The field shows the exact weight (every digit
        that matters, so OK without an edit changes nothing) and takes any finite number
        (1e-3, -250000...)."""
        net = self.network
        s, t = net.neuron(key[0]).label, net.neuron(key[1]).label
        current = net.connection(*key).weight
        text, ok = QInputDialog.getText(self, "Set weight", f"Weight of {s} \u2192 {t}:",
                                        QLineEdit.Normal, exact_number(current))
        if not ok or not net.has_connection(*key):
            return
        try:
            value = parse_number(text)
        except ValueError as exc:
            self.status(f"Weight not changed: {exc}")
            return
        if self.set_weight(key, value):
            self.status(f"Weight of {s} \u2192 {t} set to {exact_number(value)}")

    def contextMenuEvent(self, event) -> None:
        if self._gesture is not None:
            self.cancel_gesture()
        menu = self.context_menu(self.mapToScene(event.pos()))
        menu.exec(event.globalPos())
        menu.deleteLater()
        event.accept()
