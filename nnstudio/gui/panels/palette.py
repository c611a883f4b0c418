"""The palette: input, hidden and output neurons to drag onto the canvas.

Dragging an item starts a ``QDrag`` whose payload is the role (utf-8 text) under the
canvas's MIME type, so the neuron lands where it is dropped. Clicking an item (or its
shortcut, shown in the tooltip) adds one at the mouse cursor on the canvas instead.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from nnstudio.gui.canvas import PALETTE_MIME

#: (role, text, shortcut key, explanation). Shortcuts work while the canvas has focus.
ROLES = (
    ("input", "Input", "I", "An input neuron holds one feature of a sample."),
    ("hidden", "Hidden", "H", "A hidden neuron computes g(w·a + b) from the neurons feeding it."),
    ("output", "Output", "O", "An output neuron gives the network's prediction."),
)


def _canvas_style():
    """(fill by role, ink) as the canvas draws neurons, so the palette looks the same."""
    try:
        from nnstudio.gui.canvas import items

        return dict(items.ROLE_FILL), QColor(items.INK)
    except (ImportError, AttributeError):  # the canvas renamed them: plain colours still work
        return ({"input": QColor("#eef4e8"), "hidden": QColor("#ffffff"),
                 "output": QColor("#f1edf7")}, QColor("#303030"))


def neuron_pixmap(role: str, size: int = 28) -> QPixmap:
    """The neuron as the canvas draws it: inputs are rounded squares, hidden neurons
    circles, outputs circles with an inner ring."""
    fills, ink = _canvas_style()
    dpr = 2.0
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(ink, 1.6))
    painter.setBrush(QColor(fills[role]))
    body = QRectF(2, 2, size - 4, size - 4)
    if role == "input":
        r = 0.15 * body.width()
        painter.drawRoundedRect(body, r, r)
    else:
        painter.drawEllipse(body)
    if role == "output":
        painter.setPen(QPen(ink, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(body.adjusted(4, 4, -4, -4))
    painter.end()
    return pixmap


class PaletteItem(QToolButton):
    """One draggable neuron kind. ``sigActivated(role)`` on a click (no drag)."""

    sigActivated = Signal(str)

    def __init__(self, role: str, text: str, key: str, explanation: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.setObjectName(f"palette-{role}")
        self.setText(f"{text} neuron")
        self.setIcon(QIcon(neuron_pixmap(role)))
        self.setIconSize(QSize(24, 24))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(f"{explanation}\nDrag onto the canvas, or click to add one at the "
                        f"cursor (key {key} on the canvas).")
        self._press: QPoint | None = None
        self.clicked.connect(lambda: self.sigActivated.emit(self.role))

    def mimeData(self) -> QMimeData:
        data = QMimeData()
        data.setData(PALETTE_MIME, self.role.encode("utf-8"))
        return data

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if (self._press is not None and event.buttons() & Qt.MouseButton.LeftButton
                and (event.position().toPoint() - self._press).manhattanLength()
                >= QApplication.startDragDistance()):
            self._press = None
            self.setDown(False)
            drag = QDrag(self)
            drag.setMimeData(self.mimeData())
            pixmap = neuron_pixmap(self.role, 36)
            drag.setPixmap(pixmap)
            drag.setHotSpot(QPoint(18, 18))
            drag.exec(Qt.DropAction.CopyAction)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._press = None
        super().mouseReleaseEvent(event)


class PalettePanel(QWidget):
    """The three neuron kinds. ``sigAddNeuron(role)``: add one at the canvas cursor."""

    sigAddNeuron = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(2)
        self.items: dict[str, PaletteItem] = {}
        for role, text, key, explanation in ROLES:
            item = PaletteItem(role, text, key, explanation, self)
            item.sigActivated.connect(self.sigAddNeuron)
            layout.addWidget(item)
            self.items[role] = item
        hint = QLabel("Drag a neuron onto the canvas. Drag from one neuron to another "
                      "to connect them.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(hint)
        layout.addStretch(1)
