"""The outputs view.

Classification:

* the selected sample's class probabilities as bars, its true class marked (softmax
  probabilities add up to 1; with one-versus-all the K sigmoid scores stand side by side
  and need not; one sigmoid output p shows as the two classes 1 - p and p);
* the probabilities for every evaluation sample (the validation set, else the training
  set) as a heatmap, samples grouped by their true class: a well-trained network shows
  a bright diagonal staircase. Click a column to select that sample;
* the confusion matrix (rows: true class, columns: predicted), with counts.

Regression: the predicted against the true value of every evaluation sample, with the
line ``predicted = true`` that a perfect fit would sit on.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from nnstudio.core.metrics import confusion_matrix
from nnstudio.gui.plots.base import (CLASS_COLORS, Heatmap, LiveScatter, Marker, TrainingView,
                                     cache_static, class_color, set_tick_labels, set_ticks,
                                     set_title, style_plot, unchanged)

MAX_CELL_TEXTS = 12   # confusion matrices bigger than this show colours only


class OutputsView(TrainingView):
    """Network outputs for the selected sample and the evaluation set."""

    title = "Outputs"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.body.addWidget(self.graphics)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self._reset_items()
        self.set_note(now=True, text="Outputs: press Train")

    def _reset_items(self) -> None:
        self.graphics.clear()
        self.sample_plot = self.heat_plot = self.confusion_plot = self.scatter_plot = None
        self.bars = self.true_marker = self.heat_image = self.confusion_image = None
        self.selected_line = self.scatter = None
        self.cell_texts: list[pg.TextItem] = []
        self._columns = np.zeros(0, dtype=np.intp)      # heatmap column -> eval index
        self._eval_true = np.zeros(0, dtype=np.intp)
        self._last_counts = None
        self._drawn_sample = self._drawn_heat = self._drawn_pred = None
        self._title = None

    # ---------------------------------------------------------- layout
    def set_session(self, session) -> None:
        super().set_session(session)
        self._reset_items()
        if session is None:
            self.set_note(now=True, text="Outputs: no network to train yet")
            return
        parts = np.zeros(session.prepared.m, dtype=np.intp)
        if session.prepared.split is not None:
            parts[session.prepared.split[1]] = 1
            parts[session.prepared.split[2]] = 2
        self._parts = parts
        if session.is_classification:
            self._classification_layout(session)
        else:
            self._regression_layout(session)
        cache_static(self.graphics.scene())

    def _classification_layout(self, session) -> None:
        K = session.n_classes
        names = session.class_names
        ova = session.loss == "ova"
        what = ("one-versus-all score" if ova else "softmax probability"
                if session.loss == "cross_entropy" else "probability (sigmoid)")
        self.sample_plot = style_plot(self.graphics.addPlot(row=0, col=0), "selected sample",
                                      None, what)
        self.sample_plot.setYRange(0, 1.05, padding=0)
        self.sample_plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.sample_plot.setXRange(-0.6, K - 0.4, padding=0)
        set_ticks(self.sample_plot.getAxis("bottom"), names)
        self.bars = pg.BarGraphItem(x=np.arange(K), height=np.zeros(K), width=0.7,
                                    brushes=[pg.mkBrush(CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(K)],
                                    pens=[pg.mkPen(None)] * K)
        self.sample_plot.addItem(self.bars)
        self.true_marker = Marker("t1", 16, pen=pg.mkPen("#202020", width=1.5), brush="#ffffff")
        self.sample_plot.addItem(self.true_marker, ignoreBounds=True)
        self.true_text = pg.TextItem("true class", color="#202020", anchor=(0.5, 1.0))
        self.sample_plot.addItem(self.true_text)
        if session.loss == "cross_entropy" or session.compiled.n_outputs == 1:
            self.sample_plot.addItem(pg.InfiniteLine(1.0, angle=0, pen=pg.mkPen("#bbbbbb", style=Qt.PenStyle.DotLine)))

        self.confusion_plot = style_plot(self.graphics.addPlot(row=0, col=1),
                                         f"confusion ({session.eval_name})", "predicted", "true")
        self.confusion_plot.invertY(True)
        self.confusion_plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.confusion_image = Heatmap(pg.colormap.get("CET-L12").getLookupTable(nPts=256))
        self.confusion_plot.addItem(self.confusion_image)
        self.confusion_plot.setXRange(0, K, padding=0)
        self.confusion_plot.setYRange(0, K, padding=0)
        self.confusion_plot.getAxis("left").setTicks([[(k + 0.5, names[k]) for k in range(K)], []])
        set_tick_labels(self.confusion_plot.getAxis("bottom"),
                        [(k + 0.5, names[k]) for k in range(K)])
        if K <= MAX_CELL_TEXTS:
            for r in range(K):
                for c in range(K):
                    text = pg.TextItem("", color="#202020", anchor=(0.5, 0.5))
                    text.setPos(c + 0.5, r + 0.5)
                    self.confusion_plot.addItem(text)
                    self.cell_texts.append(text)

        rows = session.eval_rows
        true = session.true_class(rows)
        order = np.argsort(true, kind="stable")
        self._columns = order
        self._eval_true = true
        self.heat_plot = style_plot(self.graphics.addPlot(row=1, col=0, colspan=2),
                                    f"{session.eval_name} set, by true class (click a column)",
                                    None, "class")
        self.heat_plot.invertY(True)
        self.heat_plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.heat_image = Heatmap(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self.heat_plot.addItem(self.heat_image)
        self.heat_plot.getAxis("left").setTicks([[(k + 0.5, names[k]) for k in range(K)], []])
        n = len(rows)
        self.heat_plot.setXRange(0, max(n, 1), padding=0)
        self.heat_plot.setYRange(0, K, padding=0)
        sorted_true = true[order]
        ticks = []
        for k in range(K):
            idx = np.flatnonzero(sorted_true == k)
            if len(idx):
                ticks.append((idx.mean() + 0.5, f"true {names[k]}"))
                if idx[0] > 0:
                    self.heat_plot.addItem(pg.InfiniteLine(idx[0], angle=90, pen=pg.mkPen("w", width=1)))
        set_tick_labels(self.heat_plot.getAxis("bottom"), ticks)
        self.selected_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ff3030", width=1))
        self.selected_line.setVisible(False)
        self.heat_plot.addItem(self.selected_line)
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(1, 1)
        self.set_note(now=True, text=f"{K} classes; evaluation set: {session.eval_name} ({n} samples)")

    def _regression_layout(self, session) -> None:
        self.scatter_plot = style_plot(self.graphics.addPlot(row=0, col=0),
                                       f"predicted vs true ({session.eval_name} set)",
                                       f"true {session.prepared.target}",
                                       f"predicted {session.prepared.target}")
        y = session.prepared.Y[session.eval_rows, 0]
        lo, hi = float(np.min(y)), float(np.max(y))
        pad = (hi - lo) * 0.05 or 1.0
        ideal = pg.PlotDataItem([lo - pad, hi + pad], [lo - pad, hi + pad],
                                pen=pg.mkPen("#2ca02c", width=1.5, style=Qt.PenStyle.DashLine))
        self.scatter_plot.addItem(ideal)
        legend = self.scatter_plot.addLegend(offset=(10, 10), labelTextSize="9pt")
        legend.addItem(ideal, "perfect fit")
        self.scatter = LiveScatter(size=7, pen=pg.mkPen(None), brush=pg.mkBrush(CLASS_COLORS[0]))
        self.scatter_plot.addItem(self.scatter)
        legend.addItem(self.scatter, "samples")
        self.selected_marker = Marker("o", 14, pen=pg.mkPen("#ff3030", width=2))
        self.scatter_plot.addItem(self.selected_marker, ignoreBounds=True)
        self._eval_true = y
        self.set_note(now=True, text=f"regression on {session.prepared.target}: {len(y)} {session.eval_name} samples")

    # ---------------------------------------------------------- frames
    def draw_frame(self, frame) -> None:
        session, snap, layout = self.session, frame.snapshot, frame.inspect_key
        if session is None or snap is None or snap.outputs is None or layout is None:
            return
        out = np.asarray(snap.outputs, dtype=np.float64)
        if out.shape[1] != session.compiled.n_outputs or layout.eval.stop > len(out):
            return
        if session.is_classification:
            self._draw_classification(session, out, layout, snap)
        else:
            self._draw_regression(session, out, layout, snap)

    def _draw_classification(self, session, out, layout, snap) -> None:
        probs = session.probabilities(out)
        K = probs.shape[1]
        sample = probs[layout.selected]
        true = int(session.true_class(np.array([layout.selected_row]))[0])
        if not unchanged(self._drawn_sample, sample, 0.004):
            self._drawn_sample = sample
            self.bars.setOpts(height=sample)
            self.true_marker.set_point(true, min(sample[true] + 0.04, 1.0))
            self.true_text.setPos(true, min(sample[true] + 0.1, 1.04))
            # over the first (last) bar the label leans right (left), inside the plot
            self.true_text.setAnchor((0.25 if true == 0 else 0.75 if true == K - 1 else 0.5, 1.0))
        part = ("training", "validation", "test")[int(self._parts[layout.selected_row])]
        predicted = int(np.argmax(sample))
        names = session.class_names
        title = (f"#{layout.selected_row + 1} ({part}): true {names[true]}, "
                 f"predicted {names[predicted]}")
        if title != self._title:                  # a new title re-lays out the plot
            self._title = title
            set_title(self.sample_plot, title)

        ev = probs[layout.eval]
        heat = np.clip(ev[self._columns].T * 255, 0, 255).astype(np.uint8)
        if self._drawn_heat is None or not np.array_equal(heat, self._drawn_heat):
            self._drawn_heat = heat
            self.heat_image.set_values(heat, (0, 255))
        pos = np.flatnonzero(session.eval_rows[self._columns] == layout.selected_row)
        self.selected_line.setVisible(bool(len(pos)))
        if len(pos):
            self.selected_line.setPos(pos[0] + 0.5)

        pred = session.predicted_class(out[layout.eval])
        counts = confusion_matrix(self._eval_true, pred, K)
        if self._last_counts is None or not np.array_equal(counts, self._last_counts):
            self._last_counts = counts
            totals = counts.sum(axis=1, keepdims=True)
            share = counts / np.maximum(totals, 1)
            self.confusion_image.set_values(share, (0.0, 1.0))
            for text, count, s in zip(self.cell_texts, counts.ravel(), share.ravel()):
                text.setText(str(int(count)))
                text.setColor("#ffffff" if s > 0.6 else "#202020")
            correct = int(np.trace(counts))
            set_title(self.confusion_plot, f"confusion: {correct}/{int(counts.sum())} right")
        self.set_note(f"epoch {snap.epoch}: {session.eval_name} accuracy "
                          f"{100 * np.mean(pred == self._eval_true):.1f}%")

    def _draw_regression(self, session, out, layout, snap) -> None:
        pred = out[layout.eval, 0]
        span = float(np.ptp(self._eval_true)) or 1.0
        if not unchanged(self._drawn_pred, pred, 0.002 * span):
            self._drawn_pred = pred
            self.scatter.setData(self._eval_true, pred)
        true = float(session.prepared.Y[layout.selected_row, 0])
        self.selected_marker.set_point(true, float(out[layout.selected, 0]))
        mse = float(np.mean((pred - self._eval_true) ** 2))
        self.set_note(f"epoch {snap.epoch}: {session.eval_name} mean squared error {mse:.4g}; "
                          f"sample #{layout.selected_row + 1}: true {true:.4g}, predicted "
                          f"{float(out[layout.selected, 0]):.4g}")

    # ---------------------------------------------------------- clicks
    def _clicked(self, event) -> None:
        if self.heat_plot is None or self.session is None:
            return
        pos = event.scenePos()
        if not self.heat_plot.sceneBoundingRect().contains(pos):
            return
        x = self.heat_plot.getViewBox().mapSceneToView(pos).x()
        col = int(np.floor(x))
        if 0 <= col < len(self._columns):
            self.sigSelectSample.emit(int(self.session.eval_rows[self._columns[col]]))


__all__ = ["OutputsView", "class_color"]
