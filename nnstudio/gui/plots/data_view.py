"""The data view: the samples in the space of their input columns, with what the network
makes of that space, updated live.

* Two input columns, classification: the plane coloured by the predicted class (the
  decision regions, any number of classes; paler where the network is less sure) under
  the points coloured by their true class.
* Two input columns, regression: the prediction over the plane as a colour map, the points
  coloured by their target on the same scale.
* One input column: the points and the fitted curve (regression), or the class
  probabilities along the axis (classification).
* More columns (Iris has four): pick the two to plot; the others are held at their
  training mean, which the view says.

Derived features are computed from the columns, so a network fed ``x1^2`` and ``x2^2``
still draws its circular boundary in the ``x1``-``x2`` plane. Hover over a hidden neuron
on the canvas and the plane shows that neuron's own output instead. Click a point to
select that sample (its outputs show in the Outputs view).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QLabel

from nnstudio.gui.plots.base import (CLASS_COLORS, Heatmap, LiveCurve, LiveScatter, Marker,
                                     TrainingView, cache_static, class_rgb, diverging_colormap,
                                     sequential_colormap, set_title, style_plot, unchanged)
from nnstudio.gui.training.session import NeuronProbe

SYMBOLS = {0: "o", 1: "t", 2: "s"}          # training, validation, test
PART_NAMES = {0: "training", 1: "validation", 2: "test"}


class DataView(TrainingView):
    """Points, decision regions / fitted curve, and a hidden neuron's output on hover."""

    title = "Data"
    #: the user picked other columns for the plane: (x column, y column)
    sigPlaneColumns = Signal(tuple)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.x_box, self.y_box = QComboBox(), QComboBox()
        for box, tip in ((self.x_box, "horizontal axis"), (self.y_box, "vertical axis")):
            box.setToolTip(f"The data column on the {tip}")
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.activated.connect(self._columns_chosen)
        self.axes_label = QLabel("plot")
        self.header.insertWidget(1, self.axes_label)
        self.header.insertWidget(2, self.x_box)
        self.header.insertWidget(3, self.y_box)
        self._show_axis_boxes(False)
        self.graphics = pg.GraphicsLayoutWidget()
        self.body.addWidget(self.graphics)
        self.plot = style_plot(self.graphics.addPlot(row=0, col=0))
        self.image = Heatmap()
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.curves: list[pg.PlotCurveItem] = []
        self.points = LiveScatter(size=8, hoverable=True, tip=None)
        self.points.sigClicked.connect(self._point_clicked)
        # the points never change during a run: draw them from a cached pixmap
        self.points.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot.addItem(self.points)
        self.selected = Marker("o", 17, pen=pg.mkPen("#ff2020", width=2.5))
        self.plot.addItem(self.selected, ignoreBounds=True)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextSize="9pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 150))   # the points show through
        # the emptiest corner depends on the plot's shape: look again when it changes
        self.plot.getViewBox().sigResized.connect(lambda _vb: self._place_legend())
        self.colorbar: pg.ColorBarItem | None = None
        self.mode: str | None = None
        self.probe: NeuronProbe | None = None
        self.hover_neuron: int | None = None
        self._rgb: np.ndarray | None = None
        self._class_rgb = np.zeros((0, 3))
        self._diverging_lut = diverging_colormap().getLookupTable(nPts=256)
        self._rect = QRectF(0, 0, 1, 1)
        self._neuron_shown = False
        self._title = ""
        self._drawn = None                # what the plane/curves show, to skip no-change frames
        self._y_span = 1.0
        self.set_note(now=True, text="Data: bind a data file and press Train")

    # ---------------------------------------------------------- layout
    def set_session(self, session) -> None:
        super().set_session(session)
        self._clear()
        if session is None:
            self.set_note(now=True, text="Data: bind a data file and press Train")
            return
        plane = session.plane
        raw = session.raw_columns
        self._fill_axis_boxes(session)
        if plane is None:
            self.mode = None
            self.set_note(now=True, text="The data view needs inputs made of data columns")
            return
        self.probe = NeuronProbe(session.compiled, plane.inputs)
        parts = np.zeros(session.prepared.m, dtype=np.intp)
        if session.prepared.split is not None:
            parts[session.prepared.split[1]] = 1
            parts[session.prepared.split[2]] = 2
        self._parts = parts
        if len(plane.columns) == 2:
            self.mode = "plane-class" if session.is_classification else "plane-value"
        else:
            self.mode = "curve-class" if session.is_classification else "curve-value"
        x_name = plane.columns[0]
        y_name = plane.columns[1] if len(plane.columns) == 2 else (
            session.prepared.target if self.mode == "curve-value" else "probability")
        self.plot.setLabel("bottom", x_name)
        self.plot.setLabel("left", y_name)
        self._title = {"plane-class": "decision regions: colour = predicted class "
                                      "(paler = less sure)",
                       "plane-value": f"predicted {session.prepared.target}",
                       "curve-value": "the network's fitted curve",
                       "curve-class": "class probabilities along "
                                      f"{plane.columns[0]}"}[self.mode]
        set_title(self.plot, self._title)
        if self.mode.startswith("plane"):
            self._plane_layout(session)
        else:
            self._curve_layout(session)
        self.legend.setVisible(bool(self.legend.items))   # an empty legend is a grey box
        self._place_legend()
        cache_static(self.graphics.scene())
        held = f"; {', '.join(plane.held)} held at their training mean" if plane.held else ""
        self.set_note(now=True, text=f"{session.prepared.m} samples, {len(raw)} input column"
                          f"{'s' if len(raw) != 1 else ''}{held}. Click a point to select it.")

    def _clear(self) -> None:
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        self.legend.clear()
        self.image.clear()
        self.image.setVisible(False)
        self.points.setData([], [])
        self.selected.set_point(None)
        if self.colorbar is not None:
            self.graphics.removeItem(self.colorbar)
            self.colorbar = None
        self.probe = None
        self.mode = None
        self._rgb = None
        self._drawn = None
        self._show_axis_boxes(False)

    def _fill_axis_boxes(self, session) -> None:
        raw = list(session.raw_columns)
        show = len(raw) > 2
        self._show_axis_boxes(show)
        if not show or session.plane is None:
            return
        for box, current in ((self.x_box, session.plane.columns[0]), (self.y_box, session.plane.columns[-1])):
            box.blockSignals(True)
            box.clear()
            box.addItems(raw)
            box.setCurrentText(current)
            box.blockSignals(False)

    def _show_axis_boxes(self, on: bool) -> None:
        for w in (self.axes_label, self.x_box, self.y_box):
            w.setVisible(on)

    def _columns_chosen(self) -> None:
        x, y = self.x_box.currentText(), self.y_box.currentText()
        if x and y and x != y:
            self.sigPlaneColumns.emit((x, y))

    def _point_style(self, session, values=None, cmap=None, levels=None):
        """Brushes/symbols for every sample: by class, or by value on ``cmap``."""
        m = session.prepared.m
        if session.is_classification:
            true = session.true_class(np.arange(m))
            colors = [pg.mkBrush(CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(session.n_classes)]
            brushes = [colors[k] for k in true]
        else:
            lo, hi = levels
            t = np.clip((values - lo) / ((hi - lo) or 1.0), 0, 1)
            brushes = [pg.mkBrush(c) for c in cmap.mapToQColor(t)]
        symbols = [SYMBOLS[p] for p in self._parts]
        return brushes, symbols

    def _plane_layout(self, session) -> None:
        plane = session.plane
        x = session.raw[plane.columns[0]]
        y = session.raw[plane.columns[1]]
        nx, ny = plane.shape[1], plane.shape[0]
        dx = (plane.x_range[1] - plane.x_range[0]) / (nx - 1)
        dy = (plane.y_range[1] - plane.y_range[0]) / (ny - 1)
        self._rect = QRectF(plane.x_range[0] - dx / 2, plane.y_range[0] - dy / 2, dx * nx, dy * ny)
        self.image.setVisible(True)
        self._rgb = np.zeros((ny, nx, 3), dtype=np.uint8)
        pen = pg.mkPen("#202020", width=0.8)
        if self.mode == "plane-class":
            self._class_rgb = np.array([class_rgb(k) for k in range(session.n_classes)])
            brushes, symbols = self._point_style(session)
            for k, name in enumerate(session.class_names):
                sample = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(CLASS_COLORS[k % len(CLASS_COLORS)]), pen=pen)
                self.legend.addItem(sample, name)
        else:
            target = session.prepared.Y[:, 0]
            self._value_levels = (float(target.min()), float(target.max()))
            self._value_cmap = sequential_colormap()
            self._value_lut = self._value_cmap.getLookupTable(nPts=256)
            brushes, symbols = self._point_style(session, target, self._value_cmap, self._value_levels)
            self.colorbar = pg.ColorBarItem(values=self._value_levels, colorMap=self._value_cmap,
                                            interactive=False, label=session.prepared.target, width=14)
            self.graphics.addItem(self.colorbar, row=0, col=1)
        self._add_part_legend(session, pen)
        self.points.setData(x, y, brush=brushes, symbol=symbols, pen=pen, data=np.arange(len(x)))
        self.plot.setXRange(*plane.x_range, padding=0)
        self.plot.setYRange(*plane.y_range, padding=0)

    def _add_part_legend(self, session, pen) -> None:
        if session.prepared.split is None:
            return
        for part in (1, 2):
            if len(session.prepared.split[part]):
                sample = pg.ScatterPlotItem(size=9, symbol=SYMBOLS[part], brush=pg.mkBrush("#ffffff"), pen=pen)
                self.legend.addItem(sample, f"{PART_NAMES[part]} sample")

    def _curve_layout(self, session) -> None:
        plane = session.plane
        x = session.raw[plane.columns[0]]
        pen = pg.mkPen("#202020", width=0.8)
        grid_x = np.linspace(*plane.x_range, plane.shape[0])
        self._grid_x = grid_x
        if self.mode == "curve-value":
            y = session.prepared.Y[:, 0]
            brushes, symbols = [pg.mkBrush(CLASS_COLORS[0])] * len(x), [SYMBOLS[p] for p in self._parts]
            self.points.setData(x, y, brush=brushes, symbol=symbols, pen=pen, data=np.arange(len(x)))
            curve = LiveCurve(pen=pg.mkPen("#d62728", width=2))
            self.plot.addItem(curve)
            self.legend.addItem(curve, "network's prediction")
            self.curves.append(curve)
            sample = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(CLASS_COLORS[0]), pen=pen)
            self.legend.addItem(sample, "samples")
            lo, hi = float(y.min()), float(y.max())
            self._y_span = (hi - lo) or 1.0
            pad = (hi - lo) * 0.08 or 1.0
            self.plot.setYRange(lo - pad, hi + pad, padding=0)
        else:
            K = session.n_classes
            true = session.true_class(np.arange(len(x)))
            rng = np.random.default_rng(0)
            y = np.where(true == K - 1, 1.0, 0.0) if K == 2 else true / max(K - 1, 1)
            y = y + rng.uniform(-0.03, 0.03, len(x))
            brushes, symbols = self._point_style(session)
            self.points.setData(x, y, brush=brushes, symbol=symbols, pen=pen, data=np.arange(len(x)))
            for k, name in enumerate(session.class_names):
                curve = LiveCurve(pen=pg.mkPen(CLASS_COLORS[k % len(CLASS_COLORS)], width=2))
                self.plot.addItem(curve)
                self.legend.addItem(curve, f"P({name})")
                self.curves.append(curve)
            self.plot.setYRange(-0.08, 1.08, padding=0)
        self._add_part_legend(session, pen)
        self.plot.setXRange(*plane.x_range, padding=0)

    def _place_legend(self) -> None:
        """Put the legend in the corner of the plot that hides the fewest data points
        (top right when several are as good); it can still be dragged."""
        x, y = self.points.getData()
        if x is None or not len(x) or not self.legend.items:
            return
        vb = self.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        box = self.legend.boundingRect()
        # the legend's share of the plot (before the first layout: a usual share)
        fx = min(0.9, (box.width() + 8) / vb.width()) if vb.width() > 50 else 0.45
        fy = min(0.9, (box.height() + 8) / vb.height()) if vb.height() > 50 else 0.35
        w, h = (x1 - x0) * fx, (y1 - y0) * fy
        best = None
        for cx, cy in ((1, 0), (0, 0), (1, 1), (0, 1)):       # (0, 0): top left
            xs = (x1 - w, x1) if cx else (x0, x0 + w)
            ys = (y1 - h, y1) if cy == 0 else (y0, y0 + h)
            hidden = int(np.count_nonzero((x >= xs[0]) & (x <= xs[1]) & (y >= ys[0]) & (y <= ys[1])))
            if best is None or hidden < best[0]:
                best = (hidden, cx, cy)
        _, cx, cy = best
        self.legend.anchor(itemPos=(cx, cy), parentPos=(cx, cy),
                           offset=(8 if cx == 0 else -8, 8 if cy == 0 else -8))

    # ---------------------------------------------------------- frames
    def show_neuron(self, neuron_id: int | None) -> None:
        """Show this hidden neuron's output over the plane (None: back to the network's)."""
        if neuron_id is not None and (self.session is None or neuron_id not in self.session.labels
                                      or self.session.levels.get(neuron_id, 0) == 0):
            neuron_id = None
        if neuron_id == self.hover_neuron:
            return
        self.hover_neuron = neuron_id
        if self.frame is not None and self.can_be_seen():
            self.draw_frame(self.frame)

    def draw_frame(self, frame) -> None:
        session, snap, layout = self.session, frame.snapshot, frame.inspect_key
        if session is None or snap is None or self.mode is None or layout is None:
            return
        if snap.outputs is None or len(snap.weights) != len(session.compiled.connection_keys):
            return
        out = np.asarray(snap.outputs, dtype=np.float64)
        grid = out[layout.grid]
        if len(grid) != int(np.prod(session.plane.shape)):
            return
        if self.hover_neuron is not None:
            self._draw_neuron(session, snap)
            self._draw_selected(session, layout)
            return
        if self._neuron_shown:                    # back from a hovered neuron
            self._neuron_shown = False
            self._drawn = None
            for curve in self.curves:
                curve.setVisible(True)
            set_title(self.plot, self._title)
        if self.mode == "plane-class":
            self._draw_regions(session, grid)
        elif self.mode == "plane-value":
            values = grid[:, 0].reshape(session.plane.shape)
            lo, hi = self._value_levels
            if not unchanged(self._drawn, values, 0.003 * ((hi - lo) or 1.0)):
                self._drawn = values
                self._set_image(values, levels=self._value_levels, lut=self._value_lut)
        elif self.mode == "curve-value":
            y = grid[:, 0]
            if not unchanged(self._drawn, y, 0.002 * self._y_span):
                self._drawn = y
                self.curves[0].setData(self._grid_x, y)
        else:
            probs = session.probabilities(grid)
            if not unchanged(self._drawn, probs, 0.003):
                self._drawn = probs
                for k, curve in enumerate(self.curves):
                    curve.setData(self._grid_x, probs[:, k])
        self._draw_selected(session, layout)

    def _set_image(self, image: np.ndarray, levels=None, lut=None) -> None:
        """Show ``image`` over the plane: RGB as it is (no ``lut``), or values coloured
        through ``lut`` from ``levels[0]`` to ``levels[1]``."""
        self.image.set_rect(self._rect)
        if lut is None:
            self.image.set_rgb(image)
        else:
            self.image.set_lut(lut)
            self.image.set_values(image, levels)

    def _draw_regions(self, session, grid: np.ndarray) -> None:
        probs = session.probabilities(grid)
        K = probs.shape[1]
        cls = np.argmax(probs, axis=1)
        top = probs[np.arange(len(cls)), cls]
        if session.loss == "ova":
            top = np.clip(top, 0, 1)
            confidence = top
        else:
            confidence = np.clip((top - 1.0 / K) / (1.0 - 1.0 / K), 0, 1)
        alpha = (0.18 + 0.5 * confidence)[:, None]
        rgb = (255.0 * (1 - alpha) + self._class_rgb[cls] * alpha).astype(np.uint8)
        rgb = rgb.reshape(self._rgb.shape)
        if self._drawn is not None and np.array_equal(rgb, self._drawn):
            return                                   # not one pixel changed
        self._drawn = rgb
        self._set_image(rgb)

    def _draw_neuron(self, session, snap) -> None:
        self._neuron_shown = True
        self._drawn = None
        nid = self.hover_neuron
        self.probe.run(snap.weights, snap.biases)
        values = self.probe.activation(nid)
        label = session.labels.get(nid, f"#{nid}")
        activation = session.network.neuron(nid).activation if session.network is not None else ""
        if self.mode.startswith("plane"):
            values = values.reshape(session.plane.shape)
            if activation in ("sigmoid", "softmax"):
                levels = (0.0, 1.0)
            else:
                lim = float(np.max(np.abs(values))) or 1.0
                levels = (-lim, lim)
            self._set_image(values, levels=levels, lut=self._diverging_lut)
            set_title(self.plot, f"output of {label} ({activation}): "
                                 f"{levels[0]:.3g} (red) to {levels[1]:.3g} (blue)")
        else:
            if self.curves:
                self.curves[0].setData(self._grid_x, values)
                for curve in self.curves[1:]:
                    curve.setVisible(False)
            set_title(self.plot, f"output of {label} ({activation})")

    def _draw_selected(self, session, layout) -> None:
        row = layout.selected_row
        if row >= session.prepared.m:
            return
        x, y = self.points.getData()
        if x is not None and row < len(x):
            self.selected.set_point(x[row], y[row])

    def _point_clicked(self, _item, points, _event=None) -> None:
        if len(points):
            self.sigSelectSample.emit(int(points[0].data()))
