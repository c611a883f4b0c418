"""The gradients view: for every non-input neuron, the mean absolute gradient of the loss
with respect to its input, ``mean |dL/dz|`` over the last mini-batch, as bars grouped by
level (log scale), and the history of each level's mean, so vanishing gradients (the
early levels' curves sinking decades below the last one's) and exploding ones show.

The same numbers draw the halo around each neuron on the canvas.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from nnstudio.gui.plots.base import (GROWTH_STEPS, LEVEL_COLORS, PathCurve, Range, TrainingView,
                                     cache_static, decade_ticks, decimate, fit_ticks,
                                     style_plot, unchanged)

FLOOR = 1e-12            # a gradient of exactly 0 is drawn at this height
MAX_HISTORY = 4000       # points per curve; older ones are thinned out by 2 when full


class GradientsView(TrainingView):
    """Per-neuron gradient bars and per-level gradient history."""

    title = "Gradients"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.body.addWidget(self.graphics)
        self.bar_plot = style_plot(self.graphics.addPlot(row=0, col=0),
                                   "mean |dL/dz| per neuron (last batch)", None, "|dL/dz|")
        self.bar_plot.getViewBox().setMouseEnabled(x=False)
        # one filled step curve per level (a BarGraphItem repainted twice per update),
        # drawn by Qt alone (see PathCurve)
        self.bar_curves: list[PathCurve] = []
        self._bar_slices: list[slice] = []
        self.hist_plot = style_plot(self.graphics.addPlot(row=1, col=0),
                                    "mean |dL/dz| per level over training", "optimizer step",
                                    "|dL/dz|")
        # bottom left: the curves fall from the top left, and stay apart at the top right
        self.legend = self.hist_plot.addLegend(offset=(10, -10), labelTextSize="9pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        for plot in (self.bar_plot, self.hist_plot):
            plot.disableAutoRange()
        self.hist_plot.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        self.bar_plot.getViewBox().sigResized.connect(self._fit_bar_ticks)
        self._names: list[str] = []
        self._ticks_shown = None
        self._follow = True
        # the smallest neuron's gradient swings by decades from batch to batch: the
        # lower limit follows it down at once, and back up only after ~2 s (at 20 frames/s)
        self.bar_range = Range(settle=40)
        self.step_range = Range(shrink=3.0, steps=GROWTH_STEPS)
        self.decade_range = Range()
        cache_static(self.graphics.scene())
        self.curves: list[PathCurve] = []
        self._order = np.zeros(0, dtype=np.intp)
        self._xpos = np.zeros(0)
        self._level_of: list[np.ndarray] = []
        self._steps = np.zeros(MAX_HISTORY)
        self._values = np.zeros((0, MAX_HISTORY))
        self._n = 0
        self._last_step = -1
        self._drawn: np.ndarray | None = None
        self.set_note(now=True, text="Gradients per neuron: press Train")

    def set_session(self, session) -> None:
        super().set_session(session)
        for curve in self.curves:
            self.hist_plot.removeItem(curve)
            self.legend.removeItem(curve.sample)
        self.curves = []
        self._n, self._last_step = 0, -1
        self._follow = True
        self._drawn = None
        for r in (self.bar_range, self.step_range, self.decade_range):
            r.reset()
        for curve in self.bar_curves:
            self.bar_plot.removeItem(curve)
        self.bar_curves, self._bar_slices = [], []
        if session is None:
            return
        cn = session.compiled
        levels = [session.levels[nid] for nid in cn.neuron_ids]
        self._order = np.array(sorted(range(len(levels)), key=lambda i: (levels[i], cn.neuron_ids[i])),
                               dtype=np.intp)
        xs, x, prev = [], 0.0, None
        for i in self._order:
            if prev is not None and levels[i] != prev:
                x += 0.8                                 # a gap between levels
            xs.append(x)
            x += 1.0
            prev = levels[i]
        self._xpos = np.array(xs)
        n_levels = max(levels, default=0)
        ordered_levels = [levels[i] for i in self._order]
        start = 0
        while start < len(ordered_levels):
            stop = start
            while stop < len(ordered_levels) and ordered_levels[stop] == ordered_levels[start]:
                stop += 1
            color = LEVEL_COLORS[(ordered_levels[start] - 1) % len(LEVEL_COLORS)]
            curve = PathCurve(color, fill=color)
            self.bar_plot.addItem(curve)
            self.bar_curves.append(curve)
            self._bar_slices.append(slice(start, stop))
            start = stop
        self._names = [session.labels[cn.neuron_ids[i]] for i in self._order]
        self._ticks_shown = None
        self._fit_bar_ticks()
        self._level_of = []
        for lv in range(1, n_levels + 1):
            members = np.array([i for i in range(len(levels)) if levels[i] == lv], dtype=np.intp)
            self._level_of.append(members)
            name = "outputs" if lv == n_levels else f"level {lv}"
            curve = PathCurve(LEVEL_COLORS[(lv - 1) % len(LEVEL_COLORS)])
            self.hist_plot.addItem(curve)
            curve.sample = curve.legend_sample()
            self.legend.addItem(curve.sample, name)
            self.curves.append(curve)
        self._values = np.zeros((len(self.curves), MAX_HISTORY))
        if len(xs):
            self.bar_plot.setXRange(-0.6, self._xpos[-1] + 0.6, padding=0)
        cache_static(self.graphics.scene())

    def _fit_bar_ticks(self, *_args) -> None:
        if len(self._xpos):
            vb = self.bar_plot.getViewBox()
            pixels = (vb.width() or 300) * len(self._xpos) / (self._xpos[-1] + 1.2)
            self._ticks_shown = fit_ticks(self.bar_plot.getAxis("bottom"), list(self._xpos),
                                          self._names, pixels, self._ticks_shown)

    def _user_moved(self, *_args) -> None:
        self._follow = False

    def show_frame(self, frame) -> None:
        self._record(frame)              # the history grows even while the view is hidden
        super().show_frame(frame)

    def _record(self, frame) -> None:
        snap = frame.snapshot
        if self.session is None or snap is None or len(snap.neuron_grad) != len(self.session.compiled.neuron_ids):
            return
        if snap.step == self._last_step or snap.step == 0:
            return
        self._last_step = snap.step
        if self._n == MAX_HISTORY:                       # thin out: keep every other point
            half = MAX_HISTORY // 2
            self._steps[:half] = self._steps[1::2]
            self._values[:, :half] = self._values[:, 1::2]
            self._n = half
        g = np.asarray(snap.neuron_grad, dtype=np.float64)
        self._steps[self._n] = snap.step
        for j, members in enumerate(self._level_of):
            self._values[j, self._n] = max(float(g[members].mean()) if len(members) else 0.0, FLOOR)
        self._n += 1

    def draw_frame(self, frame) -> None:
        snap = frame.snapshot
        if self.session is None or snap is None or len(snap.neuron_grad) != len(self.session.compiled.neuron_ids):
            return
        g = np.asarray(snap.neuron_grad, dtype=np.float64)[self._order]
        if not len(g):
            return
        logs = np.log10(np.maximum(g, FLOOR))
        positive = logs[g > 0]
        if len(positive):
            low, high = float(positive.min()) - 0.3, float(positive.max()) + 0.3
        else:        # no batch yet (all zero): keep the range, or start with 0.001 to 1
            low, high = (self.bar_range.lo, self.bar_range.hi) if self.bar_range.lo is not None \
                else (-3.0, 0.0)
        if self.bar_range.decades(low, high):
            self.bar_plot.setYRange(self.bar_range.lo, self.bar_range.hi, padding=0)
            decade_ticks(self.bar_plot.getAxis("left"), self.bar_range.lo, self.bar_range.hi,
                         self.bar_plot.getViewBox().height())
            self._drawn = None
        bottom = self.bar_range.lo
        if not unchanged(self._drawn, logs, 0.01):     # a hundredth of a decade
            self._drawn = logs
            for curve, part in zip(self.bar_curves, self._bar_slices):
                x = self._xpos[part]
                # bars 0.8 wide with gaps at the baseline: edges x-0.4, x+0.4, next x-0.4...
                edges = np.empty(2 * len(x))
                edges[0::2], edges[1::2] = x - 0.4, x + 0.4
                heights = np.full(2 * len(x) - 1, bottom)
                heights[0::2] = np.maximum(logs[part], bottom)
                curve.setData(edges, heights, fill_level=bottom)
        n = self._n
        budget = max(200, int(self.hist_plot.getViewBox().width()))
        for j, curve in enumerate(self.curves):
            xs, ys = decimate(self._steps[:n], self._values[j, :n], budget=budget)
            curve.setData(xs, np.log10(ys))
        if n and self._follow:
            if self.step_range.linear(0.0, float(self._steps[n - 1])):
                self.hist_plot.setXRange(self.step_range.lo, self.step_range.hi, padding=0)
            v = np.log10(self._values[:, :n])
            if self.decade_range.decades(float(v.min()), float(v.max())):
                self.hist_plot.setYRange(self.decade_range.lo, self.decade_range.hi, padding=0)
                decade_ticks(self.hist_plot.getAxis("left"), self.decade_range.lo,
                             self.decade_range.hi, self.hist_plot.getViewBox().height())
        if len(self._level_of) >= 2 and n:
            first, last = self._values[0, n - 1], self._values[-1, n - 1]
            ratio = first / last if last > 0 else float("inf")
            self.set_note(f"step {snap.step}: level 1 gets {ratio:.3g}x the output "
                              f"level's gradient" + ("  (vanishing)" if ratio < 1e-3 else
                                                     "  (exploding)" if ratio > 1e3 else ""))
        elif n:
            self.set_note(f"step {snap.step}: mean |dL/dz| {g.mean():.3g}")
