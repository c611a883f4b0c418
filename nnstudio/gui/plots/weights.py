"""The weights view: each level's weight matrix as a heatmap, and a histogram of all the
weights whose axis carries the shared colour scale.

Level ``l`` computes ``Z_l = W_l @ A[sources]`` (see :mod:`nnstudio.core.compile`): a row
of the heatmap is one neuron of the level, a column one source (a neuron of a lower level,
or the bias in the last column). Entries with no connection (a partially connected level)
are left blank. Colours are those of the canvas: blue positive, red-orange negative.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont

from nnstudio.gui.plots.base import (Heatmap, PathCurve, Range, TrainingView, cache_static,
                                     diverging_colormap, fit_ticks, nice_limit, style_plot,
                                     unchanged)

BINS = 41


class WeightsView(TrainingView):
    """Heatmaps of ``W_l`` per level and a histogram of all weights."""

    title = "Weights"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.body.addWidget(self.graphics)
        self.cmap = diverging_colormap()
        self._lut = self.cmap.getLookupTable(nPts=256)
        self.limit = 1.0
        self.images: list[Heatmap] = []
        self.level_plots: list[pg.PlotItem] = []
        self.scale_image: pg.ImageItem | None = None
        self.hist_plot: pg.PlotItem | None = None
        self.hist_curve: PathCurve | None = None
        self._buffers: list[np.ndarray] = []
        self._masks: list[np.ndarray | None] = []
        self._tick_names: list = []
        self._ticks_shown: list = []
        self._drawn: np.ndarray | None = None
        self.set_note(now=True, text="Weight matrices: press Train")

    # ---------------------------------------------------------- layout
    def set_session(self, session) -> None:
        super().set_session(session)
        self.graphics.clear()
        self.images, self.level_plots, self._buffers, self._masks = [], [], [], []
        self._tick_names, self._ticks_shown = [], []
        self.hist_plot = self.hist_curve = self.scale_image = None
        self._shown_limit = None
        self._drawn = None
        if session is None:
            self.set_note(now=True, text="Weight matrices: no network to train yet")
            return
        cn = session.compiled
        labels = session.labels
        row_label = _row_labels(cn, labels)
        n_levels = len(cn.levels)
        for col, lv in enumerate(cn.levels):
            title = "outputs" if lv.is_output else f"hidden level {lv.index}"
            plot = style_plot(self.graphics.addPlot(row=0, col=col),
                              f"W{lv.index}: {title}", "from", "to" if col == 0 else None)
            plot.invertY(True)
            plot.setAspectLocked(False)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            img = Heatmap(self._lut)
            plot.addItem(img)
            sources = [row_label.get(r, "1") for r in range(lv.src_start, lv.src_stop - 1)] + ["bias"]
            targets = [labels[i] for i in lv.ids]
            self._tick_names.append((sources, targets))
            self._ticks_shown.append([None, None])
            self._fit_level_ticks(plot, len(self._tick_names) - 1)
            plot.setXRange(0, lv.ncols, padding=0)
            plot.setYRange(0, lv.n, padding=0)
            small = QFont()
            small.setPointSize(8)
            for name in ("bottom", "left"):
                plot.getAxis(name).setStyle(tickFont=small)
            # wider matrices get more room
            self.graphics.ci.layout.setColumnStretchFactor(col, 4 + lv.ncols)
            self.images.append(img)
            self.level_plots.append(plot)
            plot.getViewBox().sigResized.connect(
                lambda vb, i=len(self.level_plots) - 1: self._fit_level_ticks(self.level_plots[i], i))
            self._buffers.append(np.zeros(lv.shape))
            self._masks.append(None if lv.mask is None else lv.mask == 0)
        # the histogram's x axis doubles as the colour bar: a strip of the colour map
        # under the bars (a separate colour bar would take width from the heatmaps)
        self.hist_plot = style_plot(self.graphics.addPlot(row=1, col=0, colspan=n_levels),
                                    None, "weight (colours of the heatmaps)", "count")
        self.scale_image = pg.ImageItem(self.cmap.getLookupTable(nPts=256, alpha=True)[None, :, :],
                                        axisOrder="row-major")
        self.hist_plot.addItem(self.scale_image)
        self.hist_curve = PathCurve("#555555", fill=(120, 120, 120, 110))
        self.hist_plot.addItem(self.hist_curve)
        self.hist_plot.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#999999", style=Qt.PenStyle.DashLine)))
        self.hist_plot.getViewBox().setMouseEnabled(y=False)
        self.hist_plot.disableAutoRange()
        self._count_range = Range()
        self._shown_limit = None
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        cache_static(self.graphics.scene())
        self.set_note(now=True, text=f"{len(cn.connection_keys)} weights in {n_levels} "
                          f"level{'s' if n_levels != 1 else ''}; rows: neurons, columns: their inputs")

    # ---------------------------------------------------------- frames
    def draw_frame(self, frame) -> None:
        session = self.session
        snap = frame.snapshot
        if session is None or snap is None or not self.images:
            return
        cn = session.compiled
        if len(snap.weights) != len(cn.connection_keys):
            return                                     # a frame of an older network
        flat = cn.params_from_vectors(snap.weights, snap.biases)
        if unchanged(self._drawn, flat, 0.004 * self.limit):
            return                                     # no colour would change
        self._drawn = np.array(flat, dtype=np.float64)
        largest = 0.0
        for img, buf, mask, W in zip(self.images, self._buffers, self._masks, cn.level_views(flat)):
            np.copyto(buf, W, casting="unsafe")
            if mask is not None:
                buf[mask] = np.nan
            if buf.size:
                largest = max(largest, float(np.nanmax(np.abs(buf))) if not np.all(np.isnan(buf)) else 0.0)
        self.limit = nice_limit(largest, self.limit)
        levels = (-self.limit, self.limit)
        for img, buf in zip(self.images, self._buffers):
            img.set_values(buf, levels)
        rescale = self._shown_limit != self.limit
        weights = np.asarray(snap.weights, dtype=np.float64)
        if weights.size:
            counts, edges = np.histogram(weights, bins=BINS, range=levels)
            self.hist_curve.setData(edges, counts, fill_level=0.0)
            if self._count_range.linear(0.0, float(counts.max())) or rescale:
                top = self._count_range.hi
                self.hist_plot.setYRange(-0.12 * top, top, padding=0)
                self.hist_plot.setXRange(*levels, padding=0.02)
                self.scale_image.setRect(QRectF(-self.limit, -0.1 * top, 2 * self.limit, 0.08 * top))
                self._shown_limit = self.limit
            self.set_note(f"epoch {snap.epoch}: {weights.size} weights, |w| up to "
                              f"{np.max(np.abs(weights)):.3g}, mean |w| {np.mean(np.abs(weights)):.3g}")


    def _fit_level_ticks(self, plot, i: int) -> None:
        """Neuron names on the heatmap's axes, as many as fit."""
        sources, targets = self._tick_names[i]
        vb = plot.getViewBox()
        shown = self._ticks_shown[i]
        shown[0] = fit_ticks(plot.getAxis("bottom"), [k + 0.5 for k in range(len(sources))],
                             sources, vb.width() or 200, shown[0])
        # rows need only the text height (13 px), not its width
        step = max(1, int(np.ceil(13 * len(targets) / max(vb.height() or 100, 1))))
        ticks = [(k + 0.5, targets[k]) for k in range(0, len(targets), step)]
        if ticks != shown[1]:
            plot.getAxis("left").setTicks([ticks, []])
            shown[1] = ticks


def _row_labels(cn, labels: dict) -> dict[int, str]:
    """Buffer row -> neuron label (inputs are rows 0..n-1)."""
    out = {r: labels[nid] for r, nid in enumerate(cn.input_ids)}
    for nid, r in zip(cn.neuron_ids, cn.neuron_rows):
        out[int(r)] = labels[nid]
    return out


__all__ = ["WeightsView"]
