"""What every live training view shares: the session/frame protocol, colours, a header
with an export button, and the rule that a hidden view does no work.

A view is told three things (by :class:`~nnstudio.gui.plots.hub.ViewHub`):

* :meth:`TrainingView.set_session` when a new session starts (or None): create the plot
  items for this network and data, once;
* :meth:`TrainingView.show_frame` for every frame: only ``setData``/``setImage`` on those
  items (pyqtgraph's performance rule: never recreate items per update);
* :meth:`TrainingView.set_history` when the history was replaced (cost view only).

A view that cannot be seen (its dock closed, or behind another tab) skips frames and
catches up from the latest frame when it is shown again.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QAction, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath,
                           QPalette, QPen, QPixmap, QTransform)
from PySide6.QtWidgets import (QApplication, QFileDialog, QGraphicsPathItem, QGraphicsPixmapItem,
                               QHBoxLayout, QMenu, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

#: Seconds between two changes of a view's note line while training.
NOTE_INTERVAL = 0.25

#: One colour per class (colour-blind friendly order, Okabe-Ito then Tableau).
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
                "#F0E442", "#000000", "#8c564b", "#7f7f7f"]
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
OPTIMUM_COLOR = "#2ca02c"
#: Weight colours, the same as the canvas's connections: red-orange < 0 < blue.
NEGATIVE = "#d6604d"
POSITIVE = "#2166ac"
LEVEL_COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
                "#da8bc3", "#8c8c8c"]


def class_color(k: int) -> QColor:
    return QColor(CLASS_COLORS[k % len(CLASS_COLORS)])


def class_rgb(k: int) -> np.ndarray:
    c = class_color(k)
    return np.array([c.red(), c.green(), c.blue()], dtype=np.float64)


def diverging_colormap() -> pg.ColorMap:
    """Negative red-orange, zero near white, positive blue (like the canvas)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor(NEGATIVE), QColor("#f7f7f7"), QColor(POSITIVE)])


def sequential_colormap() -> pg.ColorMap:
    return pg.colormap.get("viridis")


def configure_pyqtgraph() -> None:
    """Light plots with antialiased lines (set before any plot widget is made)."""
    pg.setConfigOptions(background="w", foreground="#303030", antialias=True)


#: Grid lines: off, since an axis that draws a grid covers the whole plot, so every
#: update of a curve repaints the axes too (measured: a third of a plot's painting).
GRID = False


def style_plot(plot: pg.PlotItem, title: str | None = None, x: str | None = None,
               y: str | None = None, grid: bool | None = None) -> pg.PlotItem:
    """A plot with a title, axis labels, no auto-range "A" button (grid lines on request)."""
    grid = GRID if grid is None else grid
    if title:
        set_title(plot, title)
    if x:
        plot.setLabel("bottom", x)
    if y:
        plot.setLabel("left", y)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.15)
    plot.hideButtons()
    plot.setMenuEnabled(True)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTextPen("#303030")
        axis.setPen("#606060")
        axis.enableAutoSIPrefix(False)
    return plot


TITLE_SIZE = "10pt"


def set_title(plot: pg.PlotItem, text: str | None) -> None:
    """Set a plot's title without letting a long one widen the plot (pyqtgraph makes a
    title's width the plot's minimum width; in a narrow dock that clips the plots beside
    it). A title too long for the plot is shortened with an ellipsis to the plot's width
    (again whenever the plot is resized); the full text is the tooltip, and stays in
    ``plot.titleLabel.text``."""
    label = plot.titleLabel
    if not getattr(label, "_nnstudio_capped", False):
        original = label.updateMin

        def update_min() -> None:            # LabelItem calls this on every text or resize
            original()
            label.setMinimumWidth(10)
            hints = getattr(label, "_sizeHint", None)
            if isinstance(hints, dict) and Qt.SizeHint.MinimumSize in hints:
                hints[Qt.SizeHint.MinimumSize] = (10, hints[Qt.SizeHint.MinimumSize][1])
                # the preferred width is the whole title's, shortened or not: a title
                # shortened to fit must not make its plot narrower, and so on
                full = getattr(label, "_nnstudio_full_width", None)
                if full is not None and Qt.SizeHint.PreferredSize in hints:
                    hints[Qt.SizeHint.PreferredSize] = (full, hints[Qt.SizeHint.PreferredSize][1])

        label.updateMin = update_min
        label._nnstudio_capped = True
        label._nnstudio_eliding = False
        label.geometryChanged.connect(lambda: _while_alive(_elide_title, label))
    label._nnstudio_full = text
    label._nnstudio_shown = text
    label._nnstudio_full_width = None
    if text is None:
        label.setToolTip("")
        plot.setTitle(None)
        return
    plot.setTitle(text, size=TITLE_SIZE)
    label._nnstudio_full_width = label.itemRect().width()
    label.updateMin()
    _elide_title(label)


def _while_alive(fit, item) -> None:
    """``fit(item)`` on a resize, unless the item is being destroyed (its scene is torn
    down: resizes come then too)."""
    if shiboken6.isValid(item):
        try:
            fit(item)
        except RuntimeError:                 # a part of it is gone already
            pass


def _elide_title(label) -> None:
    """Show as much of the label's full title (plain text) as fits: centred over the plot
    area, or, if longer, ending at its right edge and running left over the axis, and
    shortened with an ellipsis if it is longer still."""
    full = getattr(label, "_nnstudio_full", None)
    if full is None or label._nnstudio_eliding:
        return
    rect = label.rect()
    if rect.width() < 20:
        return
    plot = label.parentItem()
    left = rect.left()
    if plot is not None:
        left = min(left, label.mapFromItem(plot, plot.boundingRect().topLeft()).x() + 2)
    font = QFont(label.item.font())
    font.setPointSizeF(float(TITLE_SIZE.removesuffix("pt")))
    shown = QFontMetricsF(font).elidedText(full, Qt.TextElideMode.ElideRight,
                                           rect.right() - left - 8)
    label.setToolTip(full if shown != full else "")
    if shown != label._nnstudio_shown:
        label._nnstudio_eliding = True
        try:
            label.setText(shown)
            label._nnstudio_shown = shown
        finally:
            label.text = full
            label._nnstudio_eliding = False
    bounds = label.itemRect()
    if bounds.right() > rect.right():
        label.item.moveBy(max(rect.right() - bounds.right(), left - bounds.left()), 0)


def nice_limit(value: float, previous: float | None = None) -> float:
    """A symmetric colour-bar limit that does not flicker: the next 1-2-5 step above
    ``value``, changed only when ``value`` leaves (previous/2.5, previous]."""
    value = float(abs(value))
    if not np.isfinite(value) or value <= 0:
        return previous or 1.0
    if previous and previous / 2.5 < value <= previous:
        return previous
    exp = np.floor(np.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10 ** exp >= value:
            return float(m * 10 ** exp)
    return float(10 ** (exp + 1))


def cache_static(scene) -> None:
    """Draw axes, titles, legends and text from cached pixmaps: they change rarely, and
    redrawing their text every frame was most of a plot's painting time (and painting
    holds the GIL, so it is time taken from training). A cached item's children are not
    cached with it, so the legend's line samples and the text items inside labels are
    cached one by one. Call again after adding legend entries or text."""
    from pyqtgraph.graphicsItems.LegendItem import ItemSample
    from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem

    mode = QGraphicsItem.CacheMode.DeviceCoordinateCache
    for item in scene.items():
        if isinstance(item, (pg.AxisItem, pg.LabelItem, pg.LegendItem, ItemSample,
                             QGraphicsTextItem)):
            item.setCacheMode(mode)


COARSE_STEPS = (1.0, 2.0, 5.0, 10.0)
#: Steps for an axis that grows with time (epochs, steps): the data fills at least 40% of
#: the width, and the axis is redrawn three times per decade (each redraw of an axis costs
#: the training thread as much as a frame of a small view).
GROWTH_STEPS = (1.0, 2.0, 5.0, 10.0)


def nice_ceiling(value: float, steps=COARSE_STEPS) -> float:
    """The next 1-2-5 step (or one of ``steps``) at or above ``value`` (> 0)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exp = np.floor(np.log10(value))
    for m in steps:
        if m * 10 ** exp >= value * (1 - 1e-12):
            return float(m * 10 ** exp)
    return float(10 ** (exp + 1))


class Range:
    """An axis range that moves in steps, so the axis (and its cached picture) is redrawn
    only now and then, not at every frame: it grows to the next 1-2-5 step when the data
    leaves it and shrinks when the data uses less than ``1/shrink`` of it."""

    def __init__(self, shrink: float = 4.0, steps=COARSE_STEPS, settle: int = 0) -> None:
        self.lo: float | None = None
        self.hi: float | None = None
        self.shrink = shrink
        self.steps = steps
        #: :meth:`decades` shrinks the range only after the data has been narrow for this
        #: many fits in a row (values that swing by decades would otherwise make the range,
        #: and the axis with it, jump back and forth)
        self.settle = settle
        self._narrow = 0

    def reset(self) -> None:
        self.lo = self.hi = None
        self._narrow = 0

    def linear(self, lo: float, hi: float, zero: bool = True) -> bool:
        """Fit [lo, hi] (from 0 when ``zero``); True if the range changed. Grows to take
        in new data; shrinks only when the data uses less than ``1/shrink`` of it."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return False
        lo = min(lo, 0.0) if zero else lo
        span = hi - lo
        if self.lo is not None and self.lo <= lo and hi <= self.hi and \
                span > (self.hi - self.lo) / self.shrink:
            return False
        if zero and lo >= 0:
            new_lo, new_hi = 0.0, nice_ceiling(hi * 1.03 if hi > 0 else 1.0, self.steps)
        else:
            step = nice_ceiling(max(span, 1e-12) / 4)
            new_lo, new_hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
            if new_hi <= new_lo:
                new_hi = new_lo + step
        if self.lo is not None and span > (self.hi - self.lo) / self.shrink:
            new_lo, new_hi = min(new_lo, self.lo), max(new_hi, self.hi)    # grow only
        changed = (new_lo, new_hi) != (self.lo, self.hi)
        self.lo, self.hi = float(new_lo), float(new_hi)
        return changed

    def decades(self, lo: float, hi: float) -> bool:
        """Fit [lo, hi] given as log10 values, in whole decades; True if changed. The range
        only grows (noisy values would make it jump every frame) until it is more than
        four decades wider than the data (for more than :attr:`settle` fits in a row),
        then fits the data again."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return False
        fit_lo, fit_hi = float(np.floor(lo)), float(np.ceil(hi))
        if fit_hi - fit_lo < 2:                 # one decade crowds a log axis with labels
            fit_lo = fit_hi - 2
        narrow = self.lo is not None and (self.hi - self.lo) - (fit_hi - fit_lo) > 4
        self._narrow = self._narrow + 1 if narrow else 0
        if self.lo is None or (narrow and self._narrow > self.settle):
            new_lo, new_hi = fit_lo, fit_hi
            self._narrow = 0
        else:
            # values that leave the range usually go on the same way (a cost or a
            # gradient falling by decades): a decade of room on that side halves the
            # number of times the axis is redrawn
            new_lo = self.lo if fit_lo >= self.lo else fit_lo - 1
            new_hi = self.hi if fit_hi <= self.hi else fit_hi + 1
        changed = (new_lo, new_hi) != (self.lo, self.hi)
        self.lo, self.hi = new_lo, new_hi
        return changed


def unchanged(old: np.ndarray | None, new: np.ndarray, tolerance: float) -> bool:
    """True if ``new`` is within ``tolerance`` (absolute) of ``old`` everywhere: the
    picture would not change, so a view skips the update (and the repaint)."""
    if old is None or old.shape != new.shape:
        return False
    with np.errstate(invalid="ignore"):
        diff = np.abs(new - old)
    return bool(np.all((diff <= tolerance) | (np.isnan(new) & np.isnan(old))))


def decimate(x: np.ndarray, y: np.ndarray, x0: float | None = None, x1: float | None = None,
             budget: int = 800) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``budget`` points of the sorted series (x, y) between x0 and x1 that
    look the same as all of them: the minimum and maximum of each of ``budget/2`` bins
    (what a pixel column shows). Drawing 20,000 antialiased points took 20 ms a frame;
    drawing 800 takes 1."""
    n = len(x)
    if n and (x0 is not None or x1 is not None):
        i0 = max(0, int(np.searchsorted(x, x0 if x0 is not None else x[0])) - 1)
        i1 = min(n, int(np.searchsorted(x, x1 if x1 is not None else x[-1], side="right")) + 1)
        x, y = x[i0:i1], y[i0:i1]
        n = len(x)
    if n <= budget:
        return x, y
    k = int(np.ceil(n / (budget // 2)))
    m = (n // k) * k
    xs, ys = x[:m].reshape(-1, k), y[:m].reshape(-1, k)
    lo, hi = np.fmin.reduce(ys, axis=1), np.fmax.reduce(ys, axis=1)
    out_x = np.empty(2 * len(lo))
    out_y = np.empty(2 * len(lo))
    out_x[0::2], out_x[1::2] = xs[:, 0], xs[:, -1]
    first_is_min = np.argmin(np.where(np.isnan(ys), np.inf, ys), axis=1) <= \
        np.argmax(np.where(np.isnan(ys), -np.inf, ys), axis=1)
    out_y[0::2] = np.where(first_is_min, lo, hi)
    out_y[1::2] = np.where(first_is_min, hi, lo)
    if m < n:
        out_x = np.concatenate([out_x, x[m:]])
        out_y = np.concatenate([out_y, y[m:]])
    return out_x, out_y


def fit_ticks(axis: pg.AxisItem, positions, labels: list[str], pixels: float,
              shown: list | None = None) -> list:
    """Label ``positions`` with ``labels``, every k-th one so they do not overlap in
    ``pixels`` of axis length; long labels are shortened. Returns what was set (pass it
    back as ``shown`` to skip setting the same ticks again)."""
    n = len(labels)
    if not n:
        return []
    longest = max(len(t) for t in labels)
    if longest > 8:
        labels = [t if len(t) <= 8 else t[:7] + "…" for t in labels]
        longest = 8
    need = 6.0 * longest + 6                    # pixels a label needs (8-point text)
    step = max(1, int(np.ceil(need * n / max(pixels, 1.0))))
    ticks = [(positions[i], labels[i]) for i in range(0, n, step)]
    if ticks != shown:
        axis.setTicks([ticks, []])
    return ticks


def decade_label(k: int) -> str:
    """``10**k`` written as people write it: 1000, 100, 10, 1, 0.1, 0.01, 0.001, 1e-04."""
    if -3 <= k <= 3:
        return f"{10.0 ** k:g}"
    return f"1e{k:+03d}"


def decade_ticks(axis: pg.AxisItem, lo: float, hi: float, pixels: float = 200.0) -> None:
    """Label an axis whose values are log10 at the whole decades between lo and hi (a
    plain axis: pyqtgraph's log axis crowds a short one with minor labels)."""
    ks = list(range(int(np.ceil(lo)), int(np.floor(hi)) + 1))
    step = max(1, int(np.ceil(len(ks) * 16 / max(pixels, 1.0))))
    axis.setTicks([[(k, decade_label(k)) for k in ks[::step]], [(k, "") for k in ks]])


def set_ticks(axis: pg.AxisItem, labels: list[str], max_labels: int = 40) -> None:
    """Label integer positions 0..n-1 of a bottom axis with ``labels`` (every k-th when
    there are many); see :func:`set_tick_labels`."""
    n = len(labels)
    step = max(1, int(np.ceil(n / max_labels)))
    set_tick_labels(axis, [(float(i), labels[i]) for i in range(0, n, step)])


def set_tick_labels(axis: pg.AxisItem, ticks: list[tuple[float, str]]) -> None:
    """Label a bottom axis at the given ``(position, text)`` ticks, each text shortened
    with an ellipsis to the room between it and its neighbours (again whenever the axis
    is resized; set the axis's range first), so no two labels run into each other."""
    axis._nnstudio_labels = sorted(ticks)
    axis._nnstudio_ticks = None
    if not getattr(axis, "_nnstudio_fitting", False):
        axis._nnstudio_fitting = True
        axis.geometryChanged.connect(lambda: _while_alive(_fit_ticks, axis))
    _fit_ticks(axis)


def _fit_ticks(axis: pg.AxisItem) -> None:
    ticks = axis._nnstudio_labels
    lo, hi = axis.range
    scale = axis.width() / max(hi - lo, 1e-9)           # pixels per unit
    metrics = QFontMetricsF(axis.style.get("tickFont") or axis.font())
    shown = []
    for i, (pos, text) in enumerate(ticks):
        gaps = [abs(pos - ticks[j][0]) for j in (i - 1, i + 1) if 0 <= j < len(ticks)]
        room = (min(gaps) * scale if gaps else axis.width()) - 8
        if axis.width() > 1:
            text = _shorten(metrics, text, room)
        shown.append((pos, text))
    if shown != axis._nnstudio_ticks:
        axis._nnstudio_ticks = shown
        axis.setTicks([shown, []])


def _shorten(metrics: QFontMetricsF, text: str, room: float) -> str:
    """``text`` if it fits in ``room`` pixels, else cut with an ellipsis; when so little
    room is left that the ellipsis would hide nearly all, the first letters that fit
    (at least one)."""
    elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
    if elided == text or len(elided) > 3:
        return elided
    n = 1
    while n < len(text) and metrics.horizontalAdvance(text[:n + 1]) <= room:
        n += 1
    return text[:n]


class ElidedLabel(QWidget):
    """A one-line label that ends with an ellipsis when it is too narrow for its text (the
    whole text is then its tooltip); ``text()`` is always the whole text, ``bold`` an
    optional lead-in drawn in bold before it.

    Not a ``QLabel``: a QLabel's ``setText`` asks its parent to lay itself out again, and
    that request climbs through the dock to the main window, whose whole layout then runs
    (ten times a second while training, each taking the GIL from the training thread).
    This widget has a fixed height, takes whatever width it is given, and a new text only
    repaints it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self._bold = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)
        self.setMinimumWidth(20)
        # the figures can be copied (right click), as from a selectable label
        copy = QAction("Copy", self)
        copy.triggered.connect(lambda: QApplication.clipboard().setText(self.text()))
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def text(self) -> str:
        return self._bold + self._text

    def setText(self, text: str, bold: str = "") -> None:
        if (text, bold) != (self._text, self._bold):
            self._text, self._bold = text, bold
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 8, self.height())

    def paintEvent(self, event) -> None:
        rect = self.contentsRect().adjusted(2, 0, -2, 0)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        left = 0
        if self._bold:
            font = QFont(self.font())
            font.setBold(True)
            painter.setFont(font)
            bold = QFontMetricsF(font).elidedText(self._bold, Qt.TextElideMode.ElideRight,
                                                  rect.width())
            painter.drawText(rect, flags, bold)
            left = int(QFontMetricsF(font).horizontalAdvance(bold))
            painter.setFont(self.font())
        room = rect.adjusted(left, 0, 0, 0)
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight,
                                              max(room.width(), 0))
        painter.drawText(room, flags, shown)
        painter.end()
        whole = self._bold + self._text
        tip = whole if (shown != self._text or left >= rect.width()) else ""
        if self.toolTip() != tip:
            self.setToolTip(tip)


class LiveCurve(pg.PlotCurveItem):
    """A :class:`pyqtgraph.PlotCurveItem` for a curve that changes every frame, with a
    cheaper bounding rectangle. Qt asks for an item's bounding rectangle several times per
    update; the stock one recomputes the data bounds (with warning filters) and the size of
    a pixel through the device transform after every ``setData``: 57 us of the GUI thread
    (which holds the GIL the training thread needs), against 3.5 us here. The pixel
    padding is taken once per view change (``viewTransformChanged``), the data bounds once
    per ``setData``, with NaN ignored (``fmin``/``fmax``) as ``connect="finite"`` draws."""

    def __init__(self, *args, **kwargs) -> None:
        self._pad: tuple[float, float] | None = None
        super().__init__(*args, **kwargs)

    def viewTransformChanged(self) -> None:
        self._pad = None
        super().viewTransformChanged()

    def setPen(self, *args, **kwargs) -> None:
        self._pad = None                   # the padding depends on the pen's width
        super().setPen(*args, **kwargs)

    def boundingRect(self) -> QRectF:
        rect = self._boundingRect
        if rect is not None:
            return rect
        x, y = self.xData, self.yData
        if x is None or y is None or not len(x) or not len(y):
            return QRectF()
        with np.errstate(invalid="ignore"):
            x0, x1 = float(np.fmin.reduce(x)), float(np.fmax.reduce(x))
            y0, y1 = float(np.fmin.reduce(y)), float(np.fmax.reduce(y))
        if not all(np.isfinite((x0, x1, y0, y1))):
            return super().boundingRect()   # infinities or no finite point: the careful way
        fill = self.opts["fillLevel"]
        if fill is not None and fill != "enclosed":
            y0, y1 = min(y0, fill), max(y1, fill)
        pad = self._pad
        if pad is None:
            px, py = self.pixelVectors()
            if px is None or py is None:   # not on screen yet: no padding, not cached
                pad = (0.0, 0.0)
            else:
                width = self.pixelPadding()
                pad = self._pad = (px.length() * width, py.length() * width)
        rect = QRectF(x0 - pad[0], y0 - pad[1], x1 - x0 + 2 * pad[0], y1 - y0 + 2 * pad[1])
        self._boundingRect = rect
        return rect


class PathCurve(QGraphicsPathItem):
    """A line (or filled steps) that Qt draws on its own: a ``QGraphicsPathItem`` with the
    points turned into a path by pyqtgraph's ``arrayToQPath``. A pyqtgraph curve is a
    Python item: Qt calls back into Python (and so takes the GIL from the training thread)
    to ask its size and to paint it, every frame; this one is painted and measured in C++
    while training goes on. Its pen is a one-pixel hairline (width 0), whose bounding
    rectangle is the points' own, so it stays cheap at any axis scale.

    ``getData()`` returns what ``setData`` was given. For a legend entry, use
    :meth:`legend_sample` (pyqtgraph's legend reads a pyqtgraph item's style).
    """

    def __init__(self, color: str, fill=None, parent=None) -> None:
        """``color``: the line's; ``fill``: the steps' brush (anything ``pg.mkBrush``
        takes), or None for a plain line."""
        super().__init__(parent)
        pen = QPen(QColor(color))
        pen.setWidthF(0)                      # cosmetic hairline: 1 pixel at any scale
        pen.setCosmetic(True)
        self.setPen(pen)
        self.color = color
        self.fill = fill
        if fill is not None:
            self.setBrush(pg.mkBrush(fill))
        self._x = np.zeros(0)
        self._y = np.zeros(0)

    def setData(self, x, y, fill_level: float | None = None) -> None:
        """Draw the points (x, y) joined by lines, skipping non-finite ones. With
        ``fill_level``, ``x`` holds the ``len(y) + 1`` edges of steps (pyqtgraph's
        ``stepMode="center"``), filled down to ``fill_level``."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self._x, self._y = x, y
        if not len(y):
            self.setPath(QPainterPath())
            return
        if fill_level is not None:
            xs = np.repeat(x, 2)
            ys = np.concatenate([[fill_level], np.repeat(y, 2), [fill_level]])
            path = pg.arrayToQPath(xs, ys, connect="all", finiteCheck=False)
            path.closeSubpath()
        else:
            finite = bool(np.isfinite(y).all() and np.isfinite(x).all())
            path = pg.arrayToQPath(x, y, connect="all" if finite else "finite",
                                   finiteCheck=not finite)
        self.setPath(path)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def legend_sample(self) -> pg.PlotDataItem:
        """A stand-in with this curve's style, for ``LegendItem.addItem``."""
        return pg.PlotDataItem(pen=pg.mkPen(self.color, width=1),
                               fillLevel=0 if self.fill is not None else None,
                               fillBrush=pg.mkBrush(self.fill) if self.fill is not None else None)


class Marker(QGraphicsPathItem):
    """One symbol at one point that moves (the best epoch, the selected sample), drawn
    by Qt alone: its size is in pixels (it ignores the view's scaling) and moving it is
    ``setPos``. A one-point ``ScatterPlotItem`` costs 0.15 ms of Python per move and a
    Python paint per frame. Symbols are pyqtgraph's (``"o"``, ``"star"``, ``"t1"``...)."""

    def __init__(self, symbol: str = "o", size: float = 10.0, pen=None, brush=None,
                 parent=None) -> None:
        from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
        from PySide6.QtWidgets import QGraphicsItem

        super().__init__(parent)
        self.style = dict(symbol=symbol, size=size, pen=pen, brush=brush)
        self.setPath(QTransform.fromScale(size, size).map(Symbols[symbol]))
        self.setPen(pg.mkPen(pen))
        self.setBrush(pg.mkBrush(brush))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.point: tuple[float, float] | None = None
        self.setVisible(False)

    def set_point(self, x: float | None, y: float | None = None) -> None:
        """Show the symbol at (x, y), or hide it (``x`` None)."""
        point = None if x is None else (float(x), float(y))
        if point == self.point:
            return
        self.point = point
        if point is not None:
            self.setPos(*point)
        self.setVisible(point is not None)

    def legend_sample(self) -> pg.ScatterPlotItem:
        """A stand-in with this marker's style, for ``LegendItem.addItem``."""
        return pg.ScatterPlotItem(**self.style)


class Heatmap(QGraphicsPixmapItem):
    """A grid of coloured cells (a weight matrix, a confusion matrix, decision regions)
    that Qt draws on its own: values go through a lookup table in NumPy into an RGBA
    picture, shown as a pixmap stretched over :meth:`set_rect` without smoothing. A
    pyqtgraph ``ImageItem`` paints from Python (0.16 ms a frame, holding the GIL the
    training thread needs); this one is painted in C++. NaN cells are transparent.

    ``image`` is the last array shown (None before the first).
    """

    def __init__(self, lut: np.ndarray | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._lut = None
        if lut is not None:
            self.set_lut(lut)
        self._rect: QRectF | None = None
        self.image: np.ndarray | None = None

    def set_lut(self, lut: np.ndarray) -> None:
        """The colours of values from the low level to the high one: (n, 3) or (n, 4)."""
        lut = np.asarray(lut, dtype=np.uint8)
        if lut.shape[1] == 3:
            lut = np.concatenate([lut, np.full((len(lut), 1), 255, np.uint8)], axis=1)
        self._lut = np.ascontiguousarray(lut)

    def set_values(self, values: np.ndarray, levels: tuple[float, float]) -> None:
        """Show ``values`` (rows top to bottom as given), coloured from ``levels[0]`` (the
        first colour) to ``levels[1]`` (the last)."""
        values = np.asarray(values, dtype=np.float64)
        lo, hi = levels
        n = len(self._lut)
        with np.errstate(invalid="ignore"):      # as pyqtgraph's ImageItem maps them
            scaled = (values - lo) * (n / ((hi - lo) or 1.0))
            index = np.clip(np.nan_to_num(scaled, nan=0.0), 0, n - 1).astype(np.intp)
        rgba = self._lut[index]
        missing = np.isnan(values)
        if missing.any():
            rgba[missing] = 0
        self._show(rgba, values)

    def set_rgb(self, rgb: np.ndarray) -> None:
        """Show an (h, w, 3) or (h, w, 4) uint8 picture as it is."""
        rgb = np.asarray(rgb, dtype=np.uint8)
        if rgb.shape[2] == 3:
            rgb = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
        self._show(rgb, rgb)

    def _show(self, rgba: np.ndarray, shown: np.ndarray) -> None:
        rgba = np.ascontiguousarray(rgba)
        h, w = rgba.shape[:2]
        image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.setPixmap(QPixmap.fromImage(image))     # a copy: the array may go
        self.image = shown
        self._place()

    def set_rect(self, rect: QRectF) -> None:
        """Stretch the picture over ``rect`` (in the plot's coordinates)."""
        self._rect = QRectF(rect)
        self._place()

    def _place(self) -> None:
        pixmap = self.pixmap()
        if pixmap.isNull():
            return
        # one unit per cell unless a rectangle was given (as pyqtgraph's ImageItem)
        r = self._rect or QRectF(0, 0, pixmap.width(), pixmap.height())
        self.setTransform(QTransform.fromScale(r.width() / pixmap.width(),
                                               r.height() / pixmap.height()))
        self.setPos(r.topLeft())

    def clear(self) -> None:
        self.setPixmap(QPixmap())
        self.image = None


class LiveScatter(pg.ScatterPlotItem):
    """A :class:`pyqtgraph.ScatterPlotItem` that remembers its bounding rectangle. The stock
    one recomputes it (data bounds and pixel size) at every one of Qt's many calls, 24 us
    each, about 14 times a frame. pyqtgraph replaces its ``bounds`` list whenever the
    points, their sizes or the view change, so the rectangle is kept while that list is
    the same object."""

    _rect_for = None
    _rect = None

    def boundingRect(self) -> QRectF:
        if self._rect_for is not self.bounds:
            self._rect = super().boundingRect()
            self._rect_for = self.bounds
        return self._rect


class TrainingView(QWidget):
    """Base class of the live views: a header (title, note, Export button) above the
    plots. Subclasses fill :attr:`body` and implement the session/frame methods."""

    #: Ask the controller to select this data row (a click on a point or heatmap column).
    sigSelectSample = Signal(int)

    title = "View"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.frame = None
        self._dirty = False
        self._note_time = 0.0
        self._note_pending: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        self.note = ElidedLabel("")
        self.note.setObjectName("view-note")
        palette = self.note.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#555555"))
        self.note.setPalette(palette)
        header.addWidget(self.note, 1)
        self.header = header
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save this view as a picture (PNG or SVG)")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("PNG image…", lambda: self.export_dialog("png"))
        menu.addAction("SVG drawing…", lambda: self.export_dialog("svg"))
        self.export_menu = menu
        self.export_button.setMenu(menu)
        header.addWidget(self.export_button)
        layout.addLayout(header)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.body, 1)

    # ---------------------------------------------------------- protocol
    def set_note(self, text: str, now: bool = False) -> None:
        """The line above the plot. While training it changes at most every
        :data:`NOTE_INTERVAL` seconds: a label repaint costs as much as a small plot's."""
        t = time.perf_counter()
        if not now and t - self._note_time < NOTE_INTERVAL:
            self._note_pending = text
            return
        self._note_time = t
        self._note_pending = None
        if text != self.note.text():
            self.note.setText(text)

    def set_session(self, session) -> None:
        self.session = session
        self.frame = None

    def show_frame(self, frame) -> None:
        """Remember ``frame``; draw it now if the view can be seen, else when shown."""
        self.frame = frame
        if self.can_be_seen():
            self._dirty = False
            self.draw_frame(frame)
            if not frame.running and self._note_pending is not None:
                self.set_note(self._note_pending, now=True)     # the final state, at once
        else:
            self._dirty = True

    def keep_frame(self, frame) -> None:
        """Remember ``frame`` without drawing it (the GUI is over its time budget)."""
        self.frame = frame
        self._dirty = True

    def draw_frame(self, frame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def set_history(self, history) -> None:
        """The whole training history (replaced: new project, undo, reset)."""

    def can_be_seen(self) -> bool:
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty and self.frame is not None:
            self._dirty = False
            self.draw_frame(self.frame)



    # ---------------------------------------------------------- export
    def export_targets(self) -> pg.GraphicsScene | pg.GraphicsItem | None:
        """What Export saves: the whole scene of the view by default."""
        return None

    def export_dialog(self, kind: str) -> str | None:
        from nnstudio.gui.plots.export import export_view

        name = self.title.lower().replace(" ", "_")
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "csv": "CSV table (*.csv)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.title}", f"{name}.{kind}",
                                              filters[kind])
        if not path:
            return None
        if not path.lower().endswith("." + kind):
            path += "." + kind
        export_view(self, path)
        return path
