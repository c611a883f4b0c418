"""What the canvas draws: one :class:`NeuronItem` per neuron and one :class:`ConnectionLayer`
for all connections.

Neuron items hold a neuron id and read everything else from the network when they paint
(through their scene). Their only state of their own is view state: selected, hovered,
the highlight of a connect gesture.

Connections are not one QGraphicsItem each: 20,000 long anti-aliased lines drawn item by
item cost ~180 ms a frame. The layer keeps every connection's geometry in NumPy arrays,
recomputed only for the rows whose ends moved or whose weight changed; each paint clips
the cached segments to the exposed rectangle (vectorized) and draws them in a handful of
``drawLines`` calls, one per pen. Dense views (thousands of segments) drop antialiasing
and arrowheads, which keeps a pan frame of the 1,000-neuron benchmark near 20 ms. A
crowded (not dense) view makes its weaker lines translucent; arrowheads are thin and only
drawn into neurons with few incoming connections (ARROW_MAX_FANIN), so they never pile up
on a rim. Bulk edits (undo of a large delete) add and remove rows cheaply and compute
their geometry in one pass (:meth:`ConnectionLayer.flush`).

Labels: short ones (at most INNER_LABEL_CHARS characters that fit) go inside the neuron,
above its activation glyph or sample value; when any label of a role is longer, every
label of that role goes beside its neuron on a light plate (outputs to the right, inputs
to the left, hidden neurons below), so a column never mixes the two placements. Text is
left out when it would be smaller than MIN_TEXT_PIXELS on screen.

Colours are colour-blind safe: positive weights blue ``#2166ac``, negative orange-red
``#d6604d``, zero grey; thickness grows with |weight| (relative to the largest |weight|,
at least 1). Roles are told apart by shape: inputs are rounded squares, hidden neurons
circles, outputs double circles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

if TYPE_CHECKING:  # pragma: no cover
    from .scene import NetworkScene

Key = tuple[int, int]

# ------------------------------------------------------------------- geometry
#: Neuron radius (half the side of an input's square), in scene units.
RADIUS = 20.0
#: How far the selection/gradient halo reaches outside a neuron.
HALO = 9.0

# --------------------------------------------------------------------- colours
POSITIVE = QColor("#2166ac")
NEGATIVE = QColor("#d6604d")
ZERO = QColor("#9a9a9a")
INK = QColor("#303030")
SELECTION = QColor(102, 170, 221, 150)
HOVER_WIRE = QColor(102, 170, 221, 110)
ALLOWED = QColor("#1b9e77")
REFUSED = QColor("#c51b7d")
ERROR = QColor("#c51b7d")
WARNING = QColor("#e08214")
GRADIENT = QColor("#8e6bbf")
ROLE_FILL = {"input": QColor("#eef4e8"), "hidden": QColor("#ffffff"), "output": QColor("#f1edf7")}

LABEL_FONT = QFont()
LABEL_FONT.setPixelSize(13)
LABEL_FONT.setBold(True)
SMALL_FONT = QFont()
SMALL_FONT.setPixelSize(10)
_SMALL_METRICS = QFontMetricsF(SMALL_FONT)
_LABEL_METRICS = QFontMetricsF(LABEL_FONT)
#: a smaller bold font for short labels like "h128" that do not fit at the normal size
COMPACT_FONT = QFont(LABEL_FONT)
COMPACT_FONT.setPixelSize(10)
_COMPACT_METRICS = QFontMetricsF(COMPACT_FONT)
#: Labels of at most this many characters may go inside a neuron; longer ones go beside it.
INNER_LABEL_CHARS = 4
#: Widest label drawn inside, by role: an output's label has to fit in its inner ring.
_INNER_LABEL_WIDTH = {"input": 2 * RADIUS - 7, "hidden": 2 * RADIUS - 10, "output": 2 * RADIUS - 15}
#: Longest label drawn beside a neuron (longer ones are elided).
OUTSIDE_LABEL_WIDTH = 160.0
#: Gap between a neuron's outline and a label beside it.
LABEL_GAP = 5.0
#: Text is drawn only when the label font is at least this many pixels high on screen.
MIN_TEXT_PIXELS = 6.0


def _inner_font(label: str, role: str = "hidden") -> QFont | None:
    """The font that fits ``label`` inside a neuron of ``role``, or None when it does not
    fit (too long, or too wide at the compact size): then it goes beside the neuron."""
    if len(label) > INNER_LABEL_CHARS:
        return None
    width = _INNER_LABEL_WIDTH.get(role, _INNER_LABEL_WIDTH["hidden"])
    if _LABEL_METRICS.horizontalAdvance(label) <= width:
        return LABEL_FONT
    if _COMPACT_METRICS.horizontalAdvance(label) <= width:
        return COMPACT_FONT
    return None


def label_fits_inside(label: str, role: str) -> bool:
    return _inner_font(label, role) is not None


def outside_label_rect(label: str, role: str) -> QRectF:
    """Where a label goes beside a neuron (item coordinates): outputs to the right, inputs
    to the left (where no wire comes or goes), hidden neurons below."""
    width = min(_LABEL_METRICS.horizontalAdvance(label), OUTSIDE_LABEL_WIDTH) + 8
    h = _LABEL_METRICS.height() + 2
    if role == "input":
        return QRectF(-RADIUS - LABEL_GAP - width, -h / 2, width, h)
    if role == "output":
        return QRectF(RADIUS + LABEL_GAP, -h / 2, width, h)
    return QRectF(-width / 2, RADIUS + 3, width, h)


def weight_color(weight: float) -> QColor:
    return POSITIVE if weight > 0 else NEGATIVE if weight < 0 else ZERO


def activation_fill(value: float) -> QColor:
    """White for 0, towards blue for positive and orange-red for negative values (|a| >= 1 full)."""
    base = POSITIVE if value >= 0 else NEGATIVE
    t = min(1.0, abs(float(value))) if math.isfinite(value) else 1.0
    t *= 0.85
    return QColor(round(255 + (base.red() - 255) * t), round(255 + (base.green() - 255) * t),
                  round(255 + (base.blue() - 255) * t))


def _activation_glyphs() -> dict[str, QPainterPath]:
    """Tiny plots of each activation function in a 16 x 8 box centred on (0, 0)."""
    def plot(fn, lo=-3.0, hi=3.0, ylo=-1.0, yhi=1.0) -> QPainterPath:
        path = QPainterPath()
        for i in range(25):
            u = lo + (hi - lo) * i / 24
            x = -8 + 16 * i / 24
            y = 4 - 8 * (fn(u) - ylo) / (yhi - ylo)
            if i == 0:
                path.moveTo(x, y)
            else:
                path.lineTo(x, y)
        return path

    glyphs = {
        "identity": plot(lambda u: u / 3),
        "sigmoid": plot(lambda u: 1 / (1 + math.exp(-2 * u)), ylo=0, yhi=1),
        "tanh": plot(lambda u: math.tanh(1.5 * u)),
        "relu": plot(lambda u: max(0.0, u), ylo=0, yhi=3),
        "leaky_relu": plot(lambda u: u if u > 0 else 0.15 * u, ylo=-0.45, yhi=3),
    }
    bars = QPainterPath()
    for i, h in enumerate((3.0, 8.0, 5.0)):
        bars.addRect(QRectF(-7 + i * 5.5, 4 - h, 3.5, h))
    glyphs["softmax"] = bars
    return glyphs


_GLYPHS = _activation_glyphs()


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def _short(value: float) -> str:
    """At most ~5 characters, to fit inside a neuron: 0.86, -0.39, 12, 3e+04 (the tooltip
    has more digits)."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if abs(value) < 9.995:
        text = f"{value:.2f}"
        return "0.00" if text == "-0.00" else text
    if abs(value) < 999.5:
        return f"{value:.0f}"
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-")


# ====================================================================== neurons
#: where the "problem" badge sits (its centre, up and right of the neuron's centre): on the
#: rim, clear of a label inside
BADGE_OFFSET = 0.95 * RADIUS


@dataclass
class TextLayout:
    """The text of a neuron, placed (item coordinates; see NeuronItem.text_layout)."""

    label_text: str
    label_font: QFont
    label_origin: QPointF            # the baseline's left end
    label_rect: QRectF               # what the label covers (beside: with its plate)
    outside: bool
    glyph_rect: QRectF | None = None
    value_text: str = ""
    value_origin: QPointF | None = None
    value_rect: QRectF | None = None


class NeuronItem(QGraphicsItem):
    """One neuron on the canvas. Holds its id; draws from the network through its scene."""

    #: connect-gesture highlight states
    TARGET_NONE, TARGET_ALLOWED, TARGET_REFUSED = 0, 1, 2

    def __init__(self, neuron_id: int) -> None:
        super().__init__()
        self.nid = neuron_id
        self.selected = False
        self.hover_zone: str | None = None   # None, "body" or "rim"
        self.target_state = self.TARGET_NONE
        #: (role, label too long for the inside) as the scene last counted it
        self.label_state: tuple[str, bool] | None = None
        self._rect = QRectF()
        self.setZValue(10)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, False)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setAcceptedMouseButtons(Qt.NoButton)  # gestures live in the view, not in items

    # ------------------------------------------------------------ model access
    def canvas(self) -> "NetworkScene":
        return self.scene()  # type: ignore[return-value]

    def neuron(self):
        return self.canvas().network.neuron(self.nid)

    # --------------------------------------------------------------- geometry
    def refresh(self) -> None:
        """Re-read the model (label, role...): new geometry, repaint."""
        self.prepareGeometryChange()
        self._rect = QRectF()
        self.update()

    def _outside_label_rect(self) -> QRectF | None:
        """Where the label goes when it is drawn beside the neuron, or None (inside).

        All neurons of a role are labelled the same way: when one label of the role is
        too long for the inside (see :func:`label_fits_inside`), every label of that role
        goes beside its neuron, so a column never mixes the two placements."""
        n = self.neuron()
        if not self.canvas().labels_outside(n.role):
            return None
        return outside_label_rect(n.label, n.role)

    def boundingRect(self) -> QRectF:
        if self._rect.isNull():
            r = RADIUS + HALO + 2
            rect = QRectF(-r, -r, 2 * r, 2 * r)
            if self.scene() is None or self.nid not in self.canvas().network:
                return rect  # not on a canvas yet: no label to measure, nothing cached
            outside = self._outside_label_rect()
            if outside is not None:
                rect = rect.united(outside.adjusted(-1, -1, 1, 1))
            self._rect = rect
        return self._rect

    def shape(self) -> QPainterPath:
        if self.scene() is not None and self.nid in self.canvas().network:
            return self._outline(self.neuron().role, RADIUS)
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), RADIUS, RADIUS)
        return path

    def zone(self, local: QPointF, pixel: float) -> str | None:
        """Where ``local`` (item coordinates) falls: ``"rim"`` (drag to connect), ``"body"``
        (drag to move) or None. ``pixel`` is the size of a screen pixel in scene units, so
        the rim stays at least ~7 pixels wide when zoomed out."""
        x, y = abs(local.x()), abs(local.y())
        d = max(x, y) if self.neuron().role == "input" else math.hypot(x, y)
        outer = RADIUS + 3 * pixel
        if d > outer:
            return None
        rim = min(0.6 * RADIUS, max(0.3 * RADIUS, 7 * pixel))
        return "rim" if d >= RADIUS - rim else "body"

    def rim_point(self, towards: QPointF) -> QPointF:
        """The point of the outline in the direction of ``towards`` (scene coordinates)."""
        c = self.pos()
        dx, dy = towards.x() - c.x(), towards.y() - c.y()
        d = math.hypot(dx, dy)
        if d < 1e-9:
            return QPointF(c.x() + RADIUS, c.y())
        return QPointF(c.x() + dx / d * RADIUS, c.y() + dy / d * RADIUS)

    # ----------------------------------------------------------------- state
    def set_selected(self, on: bool) -> None:
        if on != self.selected:
            self.selected = on
            self.update()

    def set_hover_zone(self, zone: str | None) -> None:
        if zone != self.hover_zone:
            self.hover_zone = zone
            self.update()

    def set_target_state(self, state: int) -> None:
        if state != self.target_state:
            self.target_state = state
            self.update()

    # ----------------------------------------------------------------- paint
    def _outline(self, role: str, r: float) -> QPainterPath:
        path = QPainterPath()
        if role == "input":
            path.addRoundedRect(QRectF(-r, -r, 2 * r, 2 * r), 0.3 * r, 0.3 * r)
        else:
            path.addEllipse(QPointF(0, 0), r, r)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        canvas = self.canvas()
        n = canvas.network.neuron(self.nid)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.Antialiasing, True)
        body = self._outline(n.role, RADIUS)

        # halos: gradient (amber), selection (light blue)
        grad = canvas.gradient_halo.get(self.nid) if canvas.gradient_halo else None
        if grad is not None and canvas.gradient_scale > 0:
            t = min(1.0, abs(grad) / canvas.gradient_scale)
            if t > 0.02:
                colour = QColor(GRADIENT)
                colour.setAlphaF(0.25 + 0.65 * t)
                painter.setPen(QPen(colour, 2 + 10 * t))
                painter.setBrush(Qt.NoBrush)
                painter.drawPath(self._outline(n.role, RADIUS + 1 + 4 * t))
        if self.selected:
            painter.setPen(QPen(SELECTION, 9))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(self._outline(n.role, RADIUS + 2.5))

        # body: fill by the sample activation, or a light tint of the role
        value = canvas.activations.get(self.nid) if canvas.activations else None
        fill = activation_fill(value) if value is not None else ROLE_FILL[n.role]
        problems = canvas.problems.get(self.nid, ())
        worst = "error" if any(p.severity == "error" for p in problems) else "warning" if problems else None
        width = 2.4 if self.hover_zone else 1.6
        painter.setPen(QPen(INK, width))
        painter.setBrush(fill)
        painter.drawPath(body)
        if n.role == "output":
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(INK, 1.1))
            painter.drawPath(self._outline(n.role, RADIUS - 4))

        if worst is not None:
            pen = QPen(ERROR if worst == "error" else WARNING, 3.2, Qt.DashLine)
            pen.setDashPattern([2.5, 1.5])
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(self._outline(n.role, RADIUS + 3))

        if self.target_state:
            allowed = self.target_state == self.TARGET_ALLOWED
            pen = QPen(ALLOWED if allowed else REFUSED, 4.5, Qt.SolidLine if allowed else Qt.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(self._outline(n.role, RADIUS + 3.5))
        elif self.hover_zone == "rim":
            painter.setPen(QPen(HOVER_WIRE, 0.3 * RADIUS))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(self._outline(n.role, RADIUS - 0.15 * RADIUS))

        if lod * LABEL_FONT.pixelSize() < MIN_TEXT_PIXELS:  # too small to read
            if lod * RADIUS >= 7 and value is None and n.role != "input":
                self._draw_glyph(painter, n.activation, 0.0, INK)
            return
        dark = value is not None and min(1.0, abs(value)) > 0.55
        ink = QColor("white") if dark else INK
        layout = self.text_layout(value)
        if layout.outside:
            self._draw_outside_label(painter, layout)
        else:
            painter.setFont(layout.label_font)
            painter.setPen(ink)
            painter.drawText(layout.label_origin, layout.label_text)
        if layout.value_text:
            painter.setFont(SMALL_FONT)
            painter.setPen(ink)
            painter.drawText(layout.value_origin, layout.value_text)
        elif layout.glyph_rect is not None:
            self._draw_glyph(painter, n.activation, layout.glyph_rect.center().y(), ink)
        if worst is not None:  # a small "!" badge, top right
            painter.setPen(Qt.NoPen)
            painter.setBrush(ERROR if worst == "error" else WARNING)
            centre = QPointF(BADGE_OFFSET, -BADGE_OFFSET)
            painter.drawEllipse(centre, 6.5, 6.5)
            painter.setPen(QColor("white"))
            painter.setFont(LABEL_FONT)
            painter.drawText(QRectF(centre.x() - 6.5, centre.y() - 7.5, 13, 15), Qt.AlignCenter, "!")


    def text_layout(self, value: float | None = None) -> "TextLayout":
        """Where the label, the activation glyph and the sample value go (item
        coordinates). Inside: the label above the centre, the glyph (or the value) below
        it, apart; beside (see :meth:`_outside_label_rect`): only the glyph (or the
        value), centred in the neuron."""
        n = self.neuron()
        outside = self._outside_label_rect()
        below = value is not None or n.role != "input"
        if outside is None:
            font = _inner_font(n.label, n.role) or COMPACT_FONT
            metrics = _LABEL_METRICS if font is LABEL_FONT else _COMPACT_METRICS
            text = n.label if _inner_font(n.label, n.role) is not None else metrics.elidedText(
                n.label, Qt.ElideRight, _INNER_LABEL_WIDTH[n.role])
            baseline = -2.0 if below else metrics.capHeight() / 2
            width = metrics.horizontalAdvance(text)
            origin = QPointF(-width / 2, baseline)
            rect = QRectF(-width / 2, baseline - metrics.ascent(), width, metrics.ascent() + metrics.descent())
            lower = 7.5
        else:
            font = LABEL_FONT
            text = _LABEL_METRICS.elidedText(n.label, Qt.ElideRight, OUTSIDE_LABEL_WIDTH)
            width = _LABEL_METRICS.horizontalAdvance(text)
            if n.role == "input":
                left = outside.right() - 4 - width
            elif n.role == "output":
                left = outside.left() + 4
            else:
                left = -width / 2
            baseline = outside.center().y() + _LABEL_METRICS.capHeight() / 2
            origin = QPointF(left, baseline)
            rect = QRectF(left - 4, outside.top(), width + 8, outside.height())  # with its plate
            lower = 0.0
        layout = TextLayout(label_text=text, label_font=font, label_origin=origin,
                            label_rect=rect, outside=outside is not None)
        if value is not None:
            layout.value_text = _short(value)
            width = _SMALL_METRICS.horizontalAdvance(layout.value_text)
            layout.value_origin = QPointF(-width / 2, lower + _SMALL_METRICS.capHeight() / 2)
            layout.value_rect = QRectF(-width / 2, layout.value_origin.y() - _SMALL_METRICS.capHeight(),
                                       width, _SMALL_METRICS.capHeight())
        elif n.role != "input" and n.activation in _GLYPHS:
            layout.glyph_rect = QRectF(-8, lower - 4, 16, 8)
        return layout

    @staticmethod
    def _draw_glyph(painter: QPainter, activation: str, y: float, ink: QColor) -> None:
        """The activation function's little plot (16 x 8), centred on (0, y)."""
        glyph = _GLYPHS.get(activation)
        if glyph is None:
            return
        painter.save()
        painter.translate(0, y)
        painter.setPen(QPen(ink, 1.3))
        painter.setBrush(QColor(ink) if activation == "softmax" else Qt.NoBrush)
        painter.drawPath(glyph)
        painter.restore()

    @staticmethod
    def _draw_outside_label(painter: QPainter, layout: "TextLayout") -> None:
        """The label beside the neuron, on a light plate that keeps it readable over wires."""
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(layout.label_rect, 4, 4)
        painter.setFont(layout.label_font)
        painter.setPen(INK)
        painter.drawText(layout.label_origin, layout.label_text)


# ================================================================= connections
def clip_segments(seg: np.ndarray, left: float, top: float, right: float, bottom: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Liang-Barsky clipping of many segments ``seg[i] = (x0, y0, x1, y1)`` to a rectangle.

    Returns ``(visible, clipped)``: a boolean mask, and the clipped segments (rows of
    invisible segments are meaningless)."""
    x0, y0, x1, y1 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    dx, dy = x1 - x0, y1 - y0
    t0 = np.zeros(len(seg))
    t1 = np.ones(len(seg))
    visible = np.ones(len(seg), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            visible &= ~((p == 0) & (q < 0))
            t = q / p
            t0 = np.where(p < 0, np.maximum(t0, t), t0)
            t1 = np.where(p > 0, np.minimum(t1, t), t1)
    visible &= t0 <= t1
    clipped = np.stack([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy], axis=1)
    return visible, clipped


#: widths (scene units) of the thickness levels, thinnest for the smallest |weight|
LEVEL_WIDTHS = (1.0, 1.6, 2.3, 3.1, 4.0, 5.0)
_LEVELS = len(LEVEL_WIDTHS)
#: the width of each bucket's lines (zero weights: 1)
_BUCKET_WIDTHS = (1.0,) + LEVEL_WIDTHS + LEVEL_WIDTHS
#: buckets from the weakest to the strongest weights, the two signs interleaved, so that
#: strong connections are drawn on top and neither colour buries the other
_DRAW_ORDER = [0] + [b for level in range(_LEVELS) for b in (1 + level, 1 + _LEVELS + level)]
#: arrowheads are drawn only into neurons with at most this many incoming connections:
#: more would pile up on the rim (and where many wires converge, the layout already
#: says which way they go)
ARROW_MAX_FANIN = 4
#: an arrowhead's length and half width, scene units; its strokes are thin whatever the
#: weight, so that converging arrowheads stay apart
ARROW_LENGTH, ARROW_HALF_WIDTH, ARROW_PEN = 9.0, 4.0, 1.4
#: when the lines in view would cover more than this fraction of it (their summed areas
#: over the viewport's), the weaker ones turn translucent, down to MIN_ALPHA, so that a
#: crowd of wires shows its structure instead of a solid block of colour (below DENSE)
CROWDED, MIN_ALPHA = 0.15, 0.3
#: above this many visible segments the layer drops antialiasing and arrowheads
DENSE = 2500
#: while the view is zooming, a dense view draws only this many segments (the largest
#: |weight| first); the full picture follows as soon as the zooming pauses
INTERACTIVE_BUDGET = 3000


def _lines(rows: np.ndarray) -> QPolygonF | list[QLineF]:
    """Segments ``(x0, y0, x1, y1)`` as the point pairs ``QPainter.drawLines`` takes: a
    QPolygonF filled straight from the array (no Python object per segment)."""
    n = len(rows)
    poly = QPolygonF()
    if n == 0:
        return poly
    try:
        poly.resize(2 * n)
        buffer = shiboken6.VoidPtr(poly.data(), n * 4 * 8, True)
        np.frombuffer(buffer, dtype=np.float64)[:] = np.ascontiguousarray(rows, dtype=np.float64).ravel()
        return poly
    except (AttributeError, TypeError, ValueError):  # a binding without QPolygonF.data()
        return [QLineF(a, b, c, d) for a, b, c, d in rows.tolist()]


class ConnectionLayer(QGraphicsItem):
    """All connections of the network, drawn in one item from cached NumPy geometry.

    ``position_of(neuron_id) -> (x, y)`` gives a neuron's centre as the canvas shows it.
    Rows are added and removed in O(1) (a removed row is replaced by the last one).

    Bulk edits: with ``on_pending`` (a callable), :meth:`add` and :meth:`remove` only do
    the bookkeeping and call ``on_pending()``; the owner then calls :meth:`flush` once
    (after the command, or at the next turn of the event loop), which computes the new
    rows' geometry and repaints what changed in one vectorized step. Undoing the deletion
    of 20,000 connections is then one NumPy pass instead of 20,000 small ones and 20,000
    repaint requests. Anything that reads the geometry flushes first; :meth:`paint` draws
    the rows done so far. Without ``on_pending`` every change is applied at once.
    """

    def __init__(self, position_of: Callable[[int], tuple[float, float]],
                 on_pending: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._position_of = position_of
        self._on_pending = on_pending
        self.setZValue(0)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._rect = QRectF()
        self.selected: set[Key] = set()
        self.hovered: Key | None = None
        self._move: tuple | None = None
        #: set by the view while a zoom is in progress (see INTERACTIVE_BUDGET)
        self.interactive = False
        self.clear()

    # -------------------------------------------------------------- storage
    def clear(self) -> None:
        self.prepareGeometryChange()
        self._keys: list[Key] = []
        self._row: dict[Key, int] = {}
        self._n = 0
        self._done = 0            # rows [0, _done) have their geometry; the rest await flush()
        self._dirty = QRectF()    # where removed rows were drawn, to repaint at flush()
        self._centres = np.zeros((16, 4))
        self._seg = np.zeros((16, 4))
        self._weight = np.zeros(16)
        self._bucket = np.zeros(16, np.int16)
        self._src = np.zeros(16, np.int64)
        self._tgt = np.zeros(16, np.int64)
        self._scale = 1.0
        self._rect = QRectF()
        self.selected = set()
        self.hovered = None
        self.update()

    def __len__(self) -> int:
        return self._n

    def __contains__(self, key: Key) -> bool:
        return key in self._row

    def keys(self) -> list[Key]:
        return list(self._keys)

    def weight(self, key: Key) -> float:
        return float(self._weight[self._row[key]])

    def segment(self, key: Key) -> tuple[float, float, float, float]:
        """The drawn segment (from the source's outline to the target's), scene coordinates."""
        self._ready()
        return tuple(self._seg[self._row[key]].tolist())

    # ----------------------------------------------------------- bulk edits
    @property
    def pending(self) -> bool:
        """True when added or removed rows wait for :meth:`flush`."""
        return self._done < self._n or not self._dirty.isNull()

    def _ready(self) -> None:
        """Flush before reading geometry."""
        if self._done < self._n:
            self.flush()

    def _request(self) -> None:
        if self._on_pending is None:
            self.flush()
        else:
            self._on_pending()

    def flush(self) -> None:
        """Compute the geometry of the rows added since the last flush and repaint where
        rows were added or removed (one update)."""
        n, start = self._n, self._done
        if start < n:
            rows = np.arange(start, n)
            src, tgt = self._src[start:n], self._tgt[start:n]
            pos = {nid: self._position_of(nid) for nid in np.unique(np.concatenate([src, tgt])).tolist()}
            self._centres[start:n, 0:2] = [pos[i] for i in src.tolist()]
            self._centres[start:n, 2:4] = [pos[i] for i in tgt.tolist()]
            self._retrim(rows)
            w = self._weight[start:n]
            if float(np.abs(w).max()) > self._scale:
                self._rescale()
                self.update()
            else:
                self._bucket[start:n] = self._buckets(w)
            self._done = n
            self._include(rows)
            self._dirty = self._dirty.united(self._rows_rect(rows))
        if not self._dirty.isNull():
            self.update(self._dirty)
            self._dirty = QRectF()

    def _grow(self, need: int) -> None:
        cap = len(self._weight)
        if need <= cap:
            return
        cap = max(need, 2 * cap)
        for name in ("_centres", "_seg"):
            arr = getattr(self, name)
            new = np.zeros((cap, 4))
            new[: self._n] = arr[: self._n]
            setattr(self, name, new)
        for name in ("_weight", "_bucket", "_src", "_tgt"):
            arr = getattr(self, name)
            new = np.zeros(cap, arr.dtype)
            new[: self._n] = arr[: self._n]
            setattr(self, name, new)

    def rebuild(self, connections: Iterable[tuple[int, int, float]]) -> None:
        """Replace everything with ``(source, target, weight)`` rows in one go."""
        rows = list(connections)
        self.clear()
        n = len(rows)
        self._grow(n)
        self._n = self._done = n
        self._keys = [(s, t) for s, t, _ in rows]
        self._row = {k: i for i, k in enumerate(self._keys)}
        if n:
            arr = np.array(rows, dtype=float).reshape(n, 3)
            self._src[:n] = arr[:, 0].astype(np.int64)
            self._tgt[:n] = arr[:, 1].astype(np.int64)
            self._weight[:n] = arr[:, 2]
            pos: dict[int, tuple[float, float]] = {}
            ids = np.unique(np.concatenate([self._src[:n], self._tgt[:n]]))
            for nid in ids.tolist():
                pos[nid] = self._position_of(nid)
            self._centres[:n, 0:2] = [pos[s] for s in self._src[:n].tolist()]
            self._centres[:n, 2:4] = [pos[t] for t in self._tgt[:n].tolist()]
            self._retrim(np.arange(n))
        self._rescale()
        self._refit_rect()
        self.update()

    def add(self, key: Key, weight: float) -> None:
        """A new connection (its geometry is computed by :meth:`flush`)."""
        if key in self._row:
            return
        self._move = None  # rows of a group move in progress are no longer valid
        i = self._n
        self._grow(i + 1)
        self._n += 1
        self._keys.append(key)
        self._row[key] = i
        self._src[i], self._tgt[i] = key
        self._weight[i] = weight
        self._request()

    def _row_rect(self, i: int) -> QRectF:
        x0, y0, x1, y1 = self._seg[i].tolist()
        m = 8.0 + LEVEL_WIDTHS[-1]
        return QRectF(min(x0, x1) - m, min(y0, y1) - m, abs(x1 - x0) + 2 * m, abs(y1 - y0) + 2 * m)

    def remove(self, key: Key) -> None:
        """A connection went away (the area it covered is repainted by :meth:`flush`)."""
        if key not in self._row:
            return
        self._ready()
        i = self._row.pop(key)
        self._move = None  # rows of a group move in progress are no longer valid
        self._dirty = self._dirty.united(self._row_rect(i))
        self.selected.discard(key)
        if self.hovered == key:
            self.hovered = None
        last = self._n - 1
        if i != last:
            moved = self._keys[last]
            self._keys[i] = moved
            self._row[moved] = i
            for arr in (self._centres, self._seg, self._weight, self._bucket, self._src, self._tgt):
                arr[i] = arr[last]
        self._keys.pop()
        self._n -= 1
        self._done = self._n
        self._request()

    # -------------------------------------------------------------- weights
    def _buckets(self, w: np.ndarray) -> np.ndarray:
        """0 for zero weights, 1.._LEVELS for positive, _LEVELS+1..2*_LEVELS for negative."""
        level = np.minimum(_LEVELS - 1, (np.abs(w) / self._scale * _LEVELS).astype(np.int64))
        return np.where(w > 0, 1 + level, np.where(w < 0, 1 + _LEVELS + level, 0)).astype(np.int16)

    def _rescale(self) -> None:
        n = self._n
        w = self._weight[:n]
        self._scale = max(1.0, float(np.abs(w).max())) if n else 1.0
        self._bucket[:n] = self._buckets(w)

    def set_weight(self, key: Key, weight: float) -> None:
        i = self._row.get(key)
        if i is None:
            return
        self._ready()
        old = self._weight[i]
        self._weight[i] = weight
        if abs(weight) > self._scale or abs(old) >= self._scale:
            self._rescale()
            self.update()
        else:
            self._bucket[i] = self._buckets(self._weight[i:i + 1])[0]
            self._touch(np.array([i]))

    def set_weights(self, weights: dict[Key, float]) -> None:
        """Recolour many connections at once (unknown keys are ignored)."""
        self._ready()
        row = self._row
        for key, w in weights.items():
            i = row.get(key)
            if i is not None:
                self._weight[i] = w
        self._rescale()
        self.update()

    # ------------------------------------------------------------- geometry
    def _retrim(self, rows: np.ndarray) -> None:
        """Segments from outline to outline for ``rows`` (the centres are already set)."""
        c = self._centres[rows]
        d = c[:, 2:4] - c[:, 0:2]
        length = np.hypot(d[:, 0], d[:, 1])
        ok = length > 2 * RADIUS + 1
        unit = np.zeros_like(d)
        unit[ok] = d[ok] / length[ok, None]
        seg = c.copy()
        seg[:, 0:2] += unit * RADIUS
        seg[:, 2:4] -= unit * (RADIUS + 1.5)
        self._seg[rows] = seg

    def _rows_rect(self, rows: np.ndarray) -> QRectF:
        if len(rows) == 0:
            return QRectF()
        s = self._seg[rows]
        xs, ys = s[:, 0::2], s[:, 1::2]
        m = 8.0 + LEVEL_WIDTHS[-1]
        return QRectF(float(xs.min()) - m, float(ys.min()) - m,
                      float(xs.max() - xs.min()) + 2 * m, float(ys.max() - ys.min()) + 2 * m)

    def _touch(self, rows: np.ndarray) -> None:
        rect = self._rows_rect(rows)
        if not rect.isNull():
            self.update(rect)

    def _include(self, rows: np.ndarray) -> None:
        rect = self._rows_rect(rows)
        if not rect.isNull() and not self._rect.contains(rect):
            self.prepareGeometryChange()
            self._rect = self._rect.united(rect) if not self._rect.isNull() else rect

    def _refit_rect(self) -> None:
        self.prepareGeometryChange()
        self._rect = self._rows_rect(np.arange(self._n))

    def neuron_moved(self, nid: int) -> None:
        """The canvas position of neuron ``nid`` changed: move the ends of its connections."""
        self._ready()
        n = self._n
        if not n:
            return
        x, y = self._position_of(nid)
        out = np.nonzero(self._src[:n] == nid)[0]
        inc = np.nonzero(self._tgt[:n] == nid)[0]
        rows = np.concatenate([out, inc])
        if not len(rows):
            return
        self._touch(rows)
        self._centres[out, 0:2] = (x, y)
        self._centres[inc, 2:4] = (x, y)
        self._retrim(rows)
        self._include(rows)
        self._touch(rows)

    def begin_move(self, ids: Iterable[int]) -> None:
        """Start moving a group of neurons together (see :meth:`move_by`). Adding or
        removing a connection before :meth:`end_move` abandons the group's rows."""
        self._ready()
        n = self._n
        ids = np.fromiter(ids, np.int64)
        out = np.nonzero(np.isin(self._src[:n], ids))[0]
        inc = np.nonzero(np.isin(self._tgt[:n], ids))[0]
        rows = np.union1d(out, inc)
        self._move = (out, inc, rows, self._centres[out, 0:2].copy(), self._centres[inc, 2:4].copy())

    def move_by(self, dx: float, dy: float) -> None:
        """Shift the ends attached to the group of :meth:`begin_move` by ``(dx, dy)``."""
        if self._move is None:
            return
        out, inc, rows, base_out, base_inc = self._move
        if not len(rows):
            return
        self._touch(rows)
        self._centres[out, 0:2] = base_out + (dx, dy)
        self._centres[inc, 2:4] = base_inc + (dx, dy)
        self._retrim(rows)
        self._include(rows)
        self._touch(rows)

    def end_move(self) -> bool:
        """Finish a group move; False if connections were added or removed meanwhile (the
        group's rows were then forgotten: call :meth:`neuron_moved` for each neuron)."""
        valid = self._move is not None
        self._move = None
        return valid

    # ----------------------------------------------------------- hit testing
    def connection_at(self, x: float, y: float, tolerance: float) -> Key | None:
        """The connection nearest to ``(x, y)`` within ``tolerance`` (scene units), or None."""
        self._ready()
        n = self._n
        if not n:
            return None
        s = self._seg[:n]
        d = s[:, 2:4] - s[:, 0:2]
        lengths2 = (d * d).sum(axis=1)
        p = np.array([x, y]) - s[:, 0:2]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip((p * d).sum(axis=1) / lengths2, 0.0, 1.0)
        t = np.nan_to_num(t)
        nearest = s[:, 0:2] + d * t[:, None]
        dist2 = ((nearest - (x, y)) ** 2).sum(axis=1)
        i = int(np.argmin(dist2))
        width = LEVEL_WIDTHS[(int(self._bucket[i]) - 1) % _LEVELS] if self._bucket[i] else 1.0
        if dist2[i] <= (tolerance + width / 2) ** 2:
            return self._keys[i]
        return None

    def keys_inside(self, rect: QRectF) -> list[Key]:
        """Connections whose drawn segment lies entirely inside ``rect``."""
        self._ready()
        n = self._n
        if not n:
            return []
        s = self._seg[:n]
        inside = ((s[:, 0] >= rect.left()) & (s[:, 2] >= rect.left())
                  & (s[:, 0] <= rect.right()) & (s[:, 2] <= rect.right())
                  & (s[:, 1] >= rect.top()) & (s[:, 3] >= rect.top())
                  & (s[:, 1] <= rect.bottom()) & (s[:, 3] <= rect.bottom()))
        return [self._keys[i] for i in np.nonzero(inside)[0].tolist()]

    # -------------------------------------------------------------- visuals
    def set_selected(self, keys: Iterable[Key]) -> None:
        self._ready()
        keys = {k for k in keys if k in self._row}
        changed = keys ^ self.selected
        self.selected = keys
        if changed:
            self._touch(np.array([self._row[k] for k in changed if k in self._row], dtype=np.int64))

    def set_hovered(self, key: Key | None) -> None:
        if key == self.hovered:
            return
        self._ready()
        rows = [self._row[k] for k in (key, self.hovered) if k is not None and k in self._row]
        self.hovered = key
        self._touch(np.array(rows, dtype=np.int64))

    def boundingRect(self) -> QRectF:
        return self._rect

    def _exposed_rects(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget) -> list[QRectF]:
        """The parts of the item to repaint, in item coordinates. When the view scrolls,
        Qt repaints only the uncovered strips, but ``exposedRect`` is their bounding box
        (nearly the whole viewport for a diagonal pan); the view records the region's
        rectangles so that only the strips are drawn."""
        rects = getattr(widget.parentWidget(), "exposed_rects", None) if widget is not None else None
        if rects and len(rects) <= 8:
            inverse, ok = painter.worldTransform().inverted()
            if ok:
                exposed = option.exposedRect
                out = [inverse.mapRect(QRectF(r)).intersected(exposed) for r in rects]
                return [r for r in out if not r.isEmpty()]
        return [option.exposedRect]

    def _visible_in_view(self, painter: QPainter, widget, fallback: int, lod: float = 1.0
                         ) -> tuple[int, float]:
        """How many segments the whole viewport shows, and how much of it their ink covers
        (the sum of the drawn lines' areas over the viewport's area: 1.0 would paint it
        over once). Computed on the whole viewport so that a repainted strip uses the same
        level of detail and the same translucency as the rest of the picture."""
        if widget is None:
            return fallback, 0.0
        inverse, ok = painter.worldTransform().inverted()
        if not ok:
            return fallback, 0.0
        r = inverse.mapRect(QRectF(widget.rect()))
        n = self._done
        visible, clipped = clip_segments(self._seg[:n], r.left(), r.top(), r.right(), r.bottom())
        count = int(visible.sum())
        if not count:
            return 0, 0.0
        c = clipped[visible]
        length = np.hypot(c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]) * lod
        widths = np.asarray(_BUCKET_WIDTHS)[self._bucket[:n][visible]]
        pixels = np.maximum(1.0, widths * lod * (1.4 if lod < 0.6 else 1.0))
        area = max(1.0, float(widget.width() * widget.height()))
        return count, float((length * pixels).sum()) / area

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        n = self._done  # rows added since the last flush() are drawn after it
        if not n:
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        pad = 8.0 / max(lod, 1e-6)
        parts = []
        for r in self._exposed_rects(painter, option, widget):
            visible, clipped = clip_segments(self._seg[:n], r.left() - pad, r.top() - pad,
                                             r.right() + pad, r.bottom() + pad)
            if visible.any():
                parts.append((visible, clipped))
        if not parts:
            return
        count = sum(int(v.sum()) for v, _ in parts)
        in_view, coverage = self._visible_in_view(painter, widget, count, lod)
        dense = in_view > DENSE
        # translucency only below DENSE: a dense view draws aliased hairlines already, and
        # blending 20,000 of them costs ten times as much as drawing them opaque
        alpha = 1.0 if dense or coverage <= CROWDED else max(MIN_ALPHA, math.sqrt(CROWDED / coverage))
        if dense and self.interactive and count > INTERACTIVE_BUDGET and len(parts) == 1:
            visible, clipped = parts[0]
            idx = np.nonzero(visible)[0]
            keep = idx[np.argpartition(-np.abs(self._weight[idx]), INTERACTIVE_BUDGET)[:INTERACTIVE_BUDGET]]
            visible = np.zeros(n, bool)
            visible[keep] = True
            parts = [(visible, clipped)]
        painter.setRenderHint(QPainter.Antialiasing, not dense)
        pens = self._pens(lod, dense, alpha)
        arrows = not dense and lod >= 0.35
        fan_in_ok = self._few_incoming() if arrows else None
        arrow_pens = self._arrow_pens(lod) if arrows else None
        for visible, clipped in parts:
            idx = np.nonzero(visible)[0]
            buckets = self._bucket[:n][idx]
            rows = clipped[idx]
            arrow_rows = arrowed = None
            if arrows:
                arrowed = fan_in_ok[idx]
                if arrowed.any():
                    arrow_rows = self._arrowheads(idx)
                else:
                    arrowed = None
            present = set(np.unique(buckets).tolist())
            for b in (b for b in _DRAW_ORDER if b in present):
                mine = buckets == b
                painter.setPen(pens[b])
                painter.drawLines(_lines(rows[mine]))
                if arrowed is not None and (mine & arrowed).any():
                    painter.setPen(arrow_pens[0 if b == 0 else 1 if b <= _LEVELS else 2])
                    painter.drawLines(_lines(arrow_rows[np.repeat(mine & arrowed, 2)]))
        # selection and hover on top, with a halo
        visible = np.zeros(n, bool)
        clipped = self._seg[:n]
        if len(parts) == 1:
            visible, clipped = parts[0]
        else:
            for v, _ in parts:
                visible |= v
        special = [k for k in self.selected if k in self._row]
        if self.hovered is not None and self.hovered in self._row:
            special.append(self.hovered)
        special = [k for k in special if self._row[k] < n and visible[self._row[k]]][:500]
        if special:
            painter.setRenderHint(QPainter.Antialiasing, True)
            for k in special:
                i = self._row[k]
                b = int(self._bucket[i])
                width = LEVEL_WIDTHS[(b - 1) % _LEVELS] if b else 1.0
                halo = QPen(SELECTION if k in self.selected else HOVER_WIRE, width + 7)
                halo.setCapStyle(Qt.FlatCap)
                if lod < 0.6:
                    halo.setCosmetic(True)
                    halo.setWidthF(max(5.0, (width + 7) * lod))
                line = QLineF(*clipped[i].tolist())
                painter.setPen(halo)
                painter.drawLine(line)
                painter.setPen(pens[b])
                painter.drawLine(line)

    def _few_incoming(self) -> np.ndarray:
        """Per row: does its target have at most ARROW_MAX_FANIN incoming connections?"""
        tgt = self._tgt[: self._n]
        _, inverse, counts = np.unique(tgt, return_inverse=True, return_counts=True)
        return counts[inverse] <= ARROW_MAX_FANIN

    def _arrowheads(self, idx: np.ndarray) -> np.ndarray:
        """Two short strokes per segment at its target end (a chevron), shape (2 len(idx), 4)."""
        s = self._seg[idx]
        d = s[:, 2:4] - s[:, 0:2]
        length = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)
        u = d / length[:, None]
        perp = np.stack([-u[:, 1], u[:, 0]], axis=1)
        tip = s[:, 2:4]
        back = tip - u * ARROW_LENGTH
        wings = np.empty((2 * len(idx), 4))
        wings[0::2, 0:2] = tip
        wings[0::2, 2:4] = back + perp * ARROW_HALF_WIDTH
        wings[1::2, 0:2] = tip
        wings[1::2, 2:4] = back - perp * ARROW_HALF_WIDTH
        return wings

    @staticmethod
    def _arrow_pens(lod: float) -> list[QPen]:
        """Thin pens for the arrowheads (zero, positive, negative weights)."""
        pens = []
        for colour in (ZERO, POSITIVE, NEGATIVE):
            pen = QPen(colour, ARROW_PEN)
            pen.setCapStyle(Qt.RoundCap)
            pen.setJoinStyle(Qt.RoundJoin)
            if lod < 0.8:
                pen.setCosmetic(True)
                pen.setWidthF(max(1.0, ARROW_PEN * lod))
            pens.append(pen)
        return pens

    def _pens(self, lod: float, dense: bool = False, alpha: float = 1.0) -> list[QPen]:
        """One pen per bucket. Zoomed out, widths shrink to at least one screen pixel; in a
        dense view every line is one pixel wide (thickness is unreadable there anyway, and
        a wide line costs Qt's rasterizer several times as much). ``alpha`` < 1 makes the
        weaker lines of a crowded picture translucent (the strongest stay opaque)."""
        pens = []
        cosmetic = lod < 0.6 or dense
        for b in range(1 + 2 * _LEVELS):
            colour = QColor(ZERO if b == 0 else POSITIVE if b <= _LEVELS else NEGATIVE)
            width = 1.0 if b == 0 else LEVEL_WIDTHS[(b - 1) % _LEVELS]
            if alpha < 1.0:
                level = 0 if b == 0 else (b - 1) % _LEVELS
                colour.setAlphaF(alpha + (1.0 - alpha) * level / (_LEVELS - 1))
            pen = QPen(colour, width)
            # flat caps: round caps make Qt's antialiased stroker up to 100x slower
            pen.setCapStyle(Qt.FlatCap)
            if dense:
                pen.setCosmetic(True)
                pen.setWidthF(0.0)
            elif cosmetic:
                pen.setCosmetic(True)
                pen.setWidthF(max(1.0, width * lod * 1.4))
            pens.append(pen)
        return pens


# ========================================================= gesture decorations
class WireItem(QGraphicsItem):
    """The live wire of a connect gesture: from a neuron's outline to the mouse."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(20)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._line = QLineF()
        self.state = NeuronItem.TARGET_NONE

    def set_line(self, line: QLineF, state: int) -> None:
        if line != self._line or state != self.state:
            self.prepareGeometryChange()
            self._line = line
            self.state = state
            self.update()

    def line(self) -> QLineF:
        return QLineF(self._line)

    def boundingRect(self) -> QRectF:
        a, b = self._line.p1(), self._line.p2()
        return QRectF(a, b).normalized().adjusted(-12, -12, 12, 12)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        colour = {NeuronItem.TARGET_ALLOWED: ALLOWED, NeuronItem.TARGET_REFUSED: REFUSED}.get(self.state, INK)
        painter.setRenderHint(QPainter.Antialiasing, True)
        pen = QPen(colour, 2.2, Qt.SolidLine if self.state == NeuronItem.TARGET_ALLOWED else Qt.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(self._line)
        painter.setBrush(colour)
        painter.setPen(Qt.NoPen)
        painter.drawEllipse(self._line.p2(), 3.5, 3.5)


class RubberBandItem(QGraphicsItem):
    """The rectangle of a rubber-band selection."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(30)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._rect = QRectF()

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF(rect)
        self.update()

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        pen = QPen(QColor(33, 102, 172, 220), 1, Qt.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(33, 102, 172, 35)))
        painter.drawRect(self._rect)
