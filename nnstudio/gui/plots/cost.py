"""The cost view: training and validation cost per epoch (log scale on demand), accuracy
for classifiers, the best validation epoch marked, and for a network the normal equation
can solve, the optimum cost as a horizontal line that gradient descent converges to.

Hovering shows the exact values of the epoch under the mouse (rate-limited with
:class:`pyqtgraph.SignalProxy`). The curves read the history list itself, converting only
the records added since the last draw, so no epoch is ever missed however frames are
thinned out.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from nnstudio.gui.plots.base import (GROWTH_STEPS, OPTIMUM_COLOR, TRAIN_COLOR, VAL_COLOR,
                                     Marker, PathCurve, Range, TrainingView, cache_static,
                                     decade_ticks, decimate, style_plot)

_FIELDS = ("epoch", "train_cost", "val_cost", "train_accuracy", "val_accuracy")
TINY = 1e-300
#: The log scale turns itself on when the cost has fallen by this factor (unless the user
#: has chosen a scale): on a linear axis the first epochs would flatten the rest.
AUTO_LOG_RATIO = 30.0


class _Binned:
    """One series' minimum and maximum per bin of ``k`` consecutive points (``k`` a power
    of two), kept up to date as points are appended: drawing a long history costs the same
    at epoch 100 and at epoch 1,000,000 (the bins are rebuilt only when ``k`` doubles)."""

    def __init__(self) -> None:
        self.k = 0
        self.done = 0                     # points already in complete bins
        self.x = np.empty((0, 2))
        self.y = np.empty((0, 2))

    def update(self, xs: np.ndarray, ys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(xs)
        if k != self.k:
            self.k, self.done = k, 0
            self.x, self.y = np.empty((0, 2)), np.empty((0, 2))
        m = (n // k) * k
        if m > self.done:
            bx, by = xs[self.done:m].reshape(-1, k), ys[self.done:m].reshape(-1, k)
            lo, hi = np.fmin.reduce(by, axis=1), np.fmax.reduce(by, axis=1)
            finite = np.where(np.isnan(by), np.inf, by)
            lo_first = np.argmin(finite, axis=1) <= np.argmax(np.where(np.isnan(by), -np.inf, by), axis=1)
            px = np.stack([bx[:, 0], bx[:, -1]], axis=1)
            py = np.stack([np.where(lo_first, lo, hi), np.where(lo_first, hi, lo)], axis=1)
            self.x = np.concatenate([self.x, px])
            self.y = np.concatenate([self.y, py])
            self.done = m
        return (np.concatenate([self.x.ravel(), xs[m:]]),
                np.concatenate([self.y.ravel(), ys[m:]]))


class _Columns:
    """The history as growing float arrays (None -> NaN), appended to in place, with the
    running minimum and maximum cost and the best validation epoch (so nothing per frame
    looks at the whole history)."""

    def __init__(self) -> None:
        self.data = {name: np.empty(256) for name in _FIELDS}
        self.clear()

    def clear(self) -> None:
        self.n = 0
        self.low = math.inf               # smallest finite cost (training or validation)
        self.high = -math.inf
        self.best = -1                    # index of the lowest validation cost
        self.bins = {name: _Binned() for name in _FIELDS if name != "epoch"}

    def extend(self, records) -> None:
        k = len(records)
        if not k:
            return
        start, need = self.n, self.n + k
        if need > len(self.data["epoch"]):
            size = max(need, 2 * len(self.data["epoch"]))
            for name, old in self.data.items():
                new = np.empty(size)
                new[:self.n] = old[:self.n]
                self.data[name] = new
        for name in _FIELDS:
            self.data[name][start:need] = [
                math.nan if (v := getattr(r, name)) is None else v for r in records]
        self.n = need
        for name in ("train_cost", "val_cost"):
            new = self.data[name][start:need]
            new = new[np.isfinite(new)]
            if len(new):
                self.low = min(self.low, float(new.min()))
                self.high = max(self.high, float(new.max()))
        val = self.data["val_cost"][start:need]
        if not np.all(np.isnan(val)):
            i = start + int(np.nanargmin(val))
            if self.best < 0 or self.data["val_cost"][i] < self.data["val_cost"][self.best]:
                self.best = i

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name][:self.n]

    def decimated(self, name: str, budget: int) -> tuple[np.ndarray, np.ndarray]:
        """All of series ``name`` in about ``budget`` points (min/max per bin)."""
        k = 1
        while self.n / k > budget // 2:
            k *= 2
        if k == 1:
            return self["epoch"], self[name]
        return self.bins[name].update(self["epoch"], self[name], k)


class CostView(TrainingView):
    """Cost (and accuracy) per epoch."""

    title = "Cost"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.log_box = QCheckBox("log scale")
        self.log_box.setToolTip("Show the cost on a logarithmic axis (small costs become visible)")
        self.log_box.toggled.connect(self.set_log)
        self.log_box.clicked.connect(self._log_chosen)
        self.header.insertWidget(1, self.log_box)
        self.export_menu.addAction("History as CSV…", lambda: self.export_dialog("csv"))
        self.graphics = pg.GraphicsLayoutWidget()
        self.body.addWidget(self.graphics)
        self.cost_plot = style_plot(self.graphics.addPlot(row=0, col=0), None, None, "cost J")
        self.acc_plot = style_plot(self.graphics.addPlot(row=1, col=0), None, "epoch", "accuracy")
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.acc_plot.setXLink(self.cost_plot)
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.getAxis("left").setTicks([[(0, "0%"), (0.5, "50%"), (1, "100%")], []])
        self.acc_plot.getViewBox().setMouseEnabled(y=False)
        self.cost_plot.setLabel("bottom", "epoch")

        legend = self.cost_plot.addLegend(offset=(-10, 10), labelTextSize="9pt")
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.train_curve = self._curve(self.cost_plot, TRAIN_COLOR, "training")
        self.val_curve = self._curve(self.cost_plot, VAL_COLOR, "validation")
        self.best_marker = Marker("star", 13, pen="#7a3d00", brush=VAL_COLOR)
        self.cost_plot.addItem(self.best_marker, ignoreBounds=True)
        self._samples = (self.train_curve.legend_sample(), self.val_curve.legend_sample(),
                         self.best_marker.legend_sample())
        self.optimum_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(OPTIMUM_COLOR, width=1, style=Qt.PenStyle.DashLine),
            label="closed-form optimum {value:.6g}",
            labelOpts={"position": 0.5, "color": OPTIMUM_COLOR, "anchors": [(0.5, 1), (0.5, 1)]})
        self.cost_plot.addItem(self.optimum_line)
        self._optimum_legend = pg.PlotDataItem(pen=pg.mkPen(OPTIMUM_COLOR, width=1,
                                                            style=Qt.PenStyle.DashLine))
        self.legend = legend

        self.train_acc = self._curve(self.acc_plot, TRAIN_COLOR, None)
        self.val_acc = self._curve(self.acc_plot, VAL_COLOR, None)

        for plot in (self.cost_plot, self.acc_plot):
            plot.disableAutoRange()
            plot.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        self.x_range = Range(shrink=3.0, steps=GROWTH_STEPS)
        self.y_range = Range()
        self._follow = True
        cache_static(self.graphics.scene())
        self.hover_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#999999", width=1))
        self.hover_line.setVisible(False)
        self.cost_plot.addItem(self.hover_line, ignoreBounds=True)
        self._proxy = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._mouse_moved)
        self.columns = _Columns()
        self.history = []
        self.optimum: float | None = None
        self._is_classifier = False
        self._has_val = False
        self._log = False
        self._auto_log = True              # until the user ticks or unticks the box
        self.settings = None
        self._set_optimum(None)
        self._show_accuracy(False)
        self._best_epoch: int | None = None
        self.set_note(now=True, text="Cost per epoch: press Train")

    @staticmethod
    def _curve(plot: pg.PlotItem, color: str, name: str | None) -> PathCurve:
        # drawn by Qt alone (see PathCurve); log scale is done here (values as log10,
        # the axis labels powers of ten)
        curve = PathCurve(color)
        plot.addItem(curve)
        return curve

    # ---------------------------------------------------------- protocol
    def set_session(self, session) -> None:
        super().set_session(session)
        self._is_classifier = bool(session is not None and session.is_classification)
        self._has_val = bool(session is not None and session.eval_name == "validation")
        self._show_accuracy(self._is_classifier)
        self._compute_optimum()
        self._redraw_all()

    def _fill_legend(self) -> None:
        """Only the lines this session draws: training, validation and its best epoch,
        the optimum."""
        legend = self.legend
        legend.clear()
        legend.addItem(self._samples[0], "training")
        if self._has_val:
            legend.addItem(self._samples[1], "validation")
            legend.addItem(self._samples[2], "best validation")
        if self.optimum is not None:
            legend.addItem(self._optimum_legend, "normal equation optimum")
        cache_static(self.graphics.scene())

    def set_settings(self, settings) -> None:
        changed = self.settings is None or (settings.l1, settings.l2) != (self.settings.l1, self.settings.l2)
        self.settings = settings
        if changed:
            self._compute_optimum()

    def set_history(self, history) -> None:
        self.history = history
        self.columns.clear()
        self._follow = True
        self.x_range.reset()
        self.y_range.reset()
        self._redraw_all()

    def _log_chosen(self, _checked: bool) -> None:
        self._auto_log = False

    def _user_moved(self, *_args) -> None:
        self._follow = False          # the user zoomed or panned: leave the ranges alone
        self._redraw_all()            # and show the detail of the new range

    def draw_frame(self, frame) -> None:
        self._redraw_all()

    def history_rows(self):
        return list(self.history)

    # ---------------------------------------------------------- drawing
    def _redraw_all(self) -> None:
        history = self.history
        if len(history) < self.columns.n:
            self.columns.clear()
        self.columns.extend(history[self.columns.n:])
        c = self.columns
        x = c["epoch"]
        val = c["val_cost"]
        has_val = bool(len(val)) and not np.isnan(val[-1])
        self._fit_ranges(x)
        x0, x1 = self.cost_plot.getViewBox().viewRange()[0]
        budget = max(200, int(self.cost_plot.getViewBox().width()))

        def show(curve, name, on=True, log=False):
            if not (on and len(x)):
                curve.setData([], [])
                return
            if self._follow:             # the whole history is in view: cached bins
                xs, ys = c.decimated(name, budget)
            else:                        # zoomed in: the points in view
                xs, ys = decimate(x, c[name], x0, x1, budget)
            curve.setData(xs, np.log10(np.maximum(ys, TINY)) if log else ys)

        show(self.train_curve, "train_cost", log=self._log)
        show(self.val_curve, "val_cost", has_val, log=self._log)
        if self._is_classifier:
            show(self.train_acc, "train_accuracy")
            show(self.val_acc, "val_accuracy", has_val)
        best = None
        if has_val and c.best >= 0:
            best = (float(x[c.best]), float(val[c.best]))
        self._show_best(best)
        if c.n and not self._hovering():
            self.set_note(self._describe(c.n - 1, "last"))
        elif not c.n:
            self.set_note("Cost per epoch: press Train")

    def _fit_ranges(self, x) -> None:
        """Follow the data in steps (see :class:`~nnstudio.gui.plots.base.Range`)."""
        if not self._follow or not len(x):
            return
        if self.x_range.linear(0.0, float(x[-1])):
            self.cost_plot.setXRange(self.x_range.lo, self.x_range.hi, padding=0)
        low, high = self.columns.low, self.columns.high
        if self._auto_log and not self._log and low > 0 and high / low > AUTO_LOG_RATIO:
            self.log_box.setChecked(True)          # a cost falling by decades: log scale
            return
        if self.optimum is not None:
            low, high = min(low, self.optimum), max(high, self.optimum)
        if not (math.isfinite(low) and math.isfinite(high)):
            return
        if self._log:
            changed = self.y_range.decades(math.log10(max(low, TINY)), math.log10(max(high, TINY)))
        else:
            changed = self.y_range.linear(low, high)
        if changed:
            self.cost_plot.setYRange(self.y_range.lo, self.y_range.hi, padding=0.02)
            if self._log:
                decade_ticks(self.cost_plot.getAxis("left"), self.y_range.lo, self.y_range.hi,
                             self.cost_plot.getViewBox().height())

    def _show_best(self, best: tuple[float, float] | None) -> None:
        if best is None:
            self.best_marker.set_point(None)
            self._best_epoch = None
            return
        epoch, cost = best
        self.best_marker.set_point(epoch, math.log10(max(cost, TINY)) if self._log else cost)
        self._best_epoch = int(epoch)

    def _show_accuracy(self, on: bool) -> None:
        self.acc_plot.setVisible(on)
        # a hidden item keeps its room in a graphics layout: collapse its row too
        self.acc_plot.setMaximumHeight(1e6 if on else 0)
        self.graphics.ci.layout.setRowStretchFactor(1, 1 if on else 0)
        self.cost_plot.setLabel("bottom", "" if on else "epoch")
        self.cost_plot.getAxis("bottom").setStyle(showValues=not on)

    def set_log(self, on: bool) -> None:
        self._log = bool(on)                   # values are drawn as log10 when on
        if not self._log:
            self.cost_plot.getAxis("left").setTicks(None)
        self.y_range.reset()
        self._follow = True
        if self.log_box.isChecked() != self._log:
            self.log_box.setChecked(self._log)
        self._set_optimum(self.optimum)
        self._redraw_all()

    # ---------------------------------------------------------- optimum
    def _compute_optimum(self) -> None:
        self._set_optimum(closed_form_optimum(self.session, self.settings))

    def _set_optimum(self, value: float | None) -> None:
        self.optimum = value
        visible = value is not None and math.isfinite(value)
        self.optimum_line.setVisible(visible)
        self._optimum_legend.setVisible(visible)
        if visible:
            self.optimum_line.setPos(math.log10(max(value, TINY)) if self._log else value)
            self.optimum_line.label.setFormat(f"closed-form optimum {value:.6g}")
        self._fill_legend()

    # ---------------------------------------------------------- hover
    def _hovering(self) -> bool:
        return self.hover_line.isVisible()

    def _mouse_moved(self, event) -> None:
        pos = event[0]
        c = self.columns
        inside = None
        for plot in (self.cost_plot, self.acc_plot):
            if plot.isVisible() and plot.sceneBoundingRect().contains(pos):
                inside = plot
        if inside is None or not c.n:
            self.hover_line.setVisible(False)
            if c.n:
                self.set_note(now=True, text=self._describe(c.n - 1, "last"))
            return
        x = inside.getViewBox().mapSceneToView(pos).x()
        epochs = c["epoch"]
        i = int(np.clip(np.searchsorted(epochs, x), 0, c.n - 1))
        if i > 0 and abs(epochs[i - 1] - x) < abs(epochs[i] - x):
            i -= 1
        self.hover_line.setPos(float(epochs[i]))
        self.hover_line.setVisible(True)
        self.set_note(now=True, text=self._describe(i, "epoch"))

    def _describe(self, i: int, what: str) -> str:
        c = self.columns
        parts = [f"epoch {int(c['epoch'][i])}", f"train cost {c['train_cost'][i]:.6g}"]
        if not math.isnan(c["val_cost"][i]):
            parts.append(f"validation cost {c['val_cost'][i]:.6g}")
        if self._is_classifier and not math.isnan(c["train_accuracy"][i]):
            acc = f"accuracy {100 * c['train_accuracy'][i]:.1f}%"
            if not math.isnan(c["val_accuracy"][i]):
                acc += f" (validation {100 * c['val_accuracy'][i]:.1f}%)"
            parts.append(acc)
        if what == "last" and self._best_epoch is not None:
            parts.append(f"best validation at epoch {self._best_epoch}")
        if self.optimum is not None:
            parts.append(f"optimum {self.optimum:.6g}")
        return "   ".join(parts)


def closed_form_optimum(session, settings) -> float | None:
    """The cost J (with the L2 term) of the normal-equation solution on the training set,
    when the network is one the closed form can solve (linear, mse, no L1); else None."""
    if session is None or session.network is None or session.loss != "mse":
        return None
    from nnstudio.core import engine
    from nnstudio.core.solve import NotSolvable, solve

    l1 = settings.l1 if settings is not None else 0.0
    l2 = settings.l2 if settings is not None else 0.0
    X, Y = session.prepared.X_train, session.prepared.Y_train
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weights, biases = solve(session.network, X, Y, l2=l2, l1=l1)
    except (NotSolvable, ValueError, np.linalg.LinAlgError):
        return None
    cn = session.compiled
    w = np.array([weights[k] for k in cn.connection_keys], dtype=np.float64)
    b = np.array([biases[i] for i in cn.bias_ids], dtype=np.float64)
    params = cn.params_from_vectors(w, b)
    value = engine.cost(cn, params, X, Y, l1=l1, l2=l2)
    return float(value) if math.isfinite(value) else None
