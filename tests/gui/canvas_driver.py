"""Driving the canvas the way a person does, shared by the canvas and main-window tests:
mouse presses, moves and releases on the view's viewport at the screen points of scene
positions, and palette drops with real MIME data."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import QApplication

from nnstudio.core.graph import Network
from nnstudio.gui.canvas import PALETTE_MIME, NetworkView
from nnstudio.gui.canvas.items import RADIUS


class Editor:
    """A NetworkView at zoom 1 on a network, with its undo stack and status messages.

    ``view``: drive that view (the main window's canvas) instead of a new one on
    ``network``; ``net`` is always the network the view shows now."""

    def __init__(self, qtbot, network: Network | None = None, view: NetworkView | None = None) -> None:
        self.qtbot = qtbot
        if view is None:
            self.stack = QUndoStack()
            view = NetworkView(network if network is not None else Network(), self.stack)
            view.resize(1000, 700)
            qtbot.addWidget(view)
            view.show()
            qtbot.waitExposed(view)
        else:
            self.stack = view.undo_stack
        self.view = view
        self.view.resetTransform()
        self.view.centerOn(200, 0)
        self.statuses: list[str] = []
        self.view.sigStatus.connect(self.statuses.append)
        self.selections: list[tuple[list, list]] = []
        self.view.sigSelectionChanged.connect(lambda n, c: self.selections.append((n, c)))

    @property
    def net(self) -> Network:
        return self.view.network

    # ------------------------------------------------------------ pointers
    @property
    def viewport(self):
        return self.view.viewport()

    def at(self, x: float, y: float) -> QPoint:
        return self.view.mapFromScene(QPointF(x, y))

    def centre(self, nid: int) -> QPoint:
        n = self.net.neuron(nid)
        return self.at(n.x, n.y)

    def rim(self, nid: int) -> QPoint:
        """A point on the neuron's outer band, on its right (where a wire starts)."""
        n = self.net.neuron(nid)
        return self.at(n.x + RADIUS - 4, n.y)

    def drag(self, a: QPoint, b: QPoint, button=Qt.LeftButton, modifiers=Qt.NoModifier, steps: int = 6) -> None:
        self.qtbot.mousePress(self.viewport, button, modifiers, a)
        for i in range(1, steps + 1):
            p = a + (b - a) * (i / steps)
            self.qtbot.mouseMove(self.viewport, p)
        self.qtbot.mouseRelease(self.viewport, button, modifiers, b)

    def click(self, p: QPoint, modifiers=Qt.NoModifier) -> None:
        self.qtbot.mouseClick(self.viewport, Qt.LeftButton, modifiers, p)

    # ------------------------------------------------------------ actions
    def drop(self, role: str, x: float, y: float) -> int:
        """Drop a neuron from the palette at scene (x, y), as a real drag-and-drop ends."""
        mime = QMimeData()
        mime.setData(PALETTE_MIME, role.encode("utf-8"))
        pos = QPointF(self.at(x, y))
        enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(self.viewport, enter)
        assert enter.isAccepted()
        event = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(self.viewport, event)
        assert event.isAccepted()
        return max(n.id for n in self.net.neurons())

    def connect(self, source: int, target: int) -> None:
        self.drag(self.rim(source), self.centre(target))

    def column(self, role: str, n: int, x: float, gap: float = 70.0) -> list[int]:
        top = -(n - 1) * gap / 2
        return [self.drop(role, x, top + i * gap) for i in range(n)]


def assert_layered(net: Network, sizes: list[int]) -> None:
    """The network is a fully connected layered network of these sizes, and trains."""
    levels = net.levels()
    groups: dict[int, list[int]] = {}
    for nid, level in levels.items():
        groups.setdefault(level, []).append(nid)
    assert [len(groups[k]) for k in sorted(groups)] == sizes
    ordered = [groups[k] for k in sorted(groups)]
    for a, b in zip(ordered, ordered[1:]):
        for s in a:
            for t in b:
                assert net.has_connection(s, t)
    assert len(net.connections()) == sum(x * y for x, y in zip(sizes, sizes[1:]))
    assert net.errors() == []


def build_by_hand(ed: Editor, sizes: list[int]) -> list[list[int]]:
    """Drop every neuron from the palette and drag every connection."""
    columns = []
    for i, size in enumerate(sizes):
        role = "input" if i == 0 else "output" if i == len(sizes) - 1 else "hidden"
        columns.append(ed.column(role, size, 160.0 * i))
    for a, b in zip(columns, columns[1:]):
        for s in a:
            for t in b:
                ed.connect(s, t)
    return columns
