"""How fast the canvas opens and pans a large network: 10 columns x 100 neurons with 20,000
random connections between adjacent columns (random weights).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_canvas.py

Prints::

    large_open_s: X      NetworkView built on the network, shown, fitted and first rendered
    large_frame_ms: Y    median pan frame at zoom 1: scroll by (15, 10) px and repaint, as
                         on screen (Qt scrolls the pixels and repaints the exposed strips)
    large_redraw_ms: Z   median full repaint of the viewport at zoom 1 (worst case of a frame)
    large_fit_redraw_ms: W  the same with the whole network in view
    large_zoom_ms: V     median wheel-zoom step at zoom 1: one wheel notch (x1.2 around the
                         mouse) and repaint; while the wheel turns a dense view draws its
                         3,000 strongest connections, the full picture follows on a pause
    large_delete_all_s: U  in the main window (inspector and status bar listening): Select
                         All, Delete, then Undo, each run to the end of its event processing
                         (printed with the three parts: select, delete, undo)

Timings only; nothing is asserted. The first figure includes building the scene (one item
per neuron, one layer for all connections) and validating the network.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import random
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from nnstudio.gui import canvas  # noqa: E402,F401  (installs the PySide6 6.12.0 guard first)
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QUndoStack, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core.graph import Network, layer_positions  # noqa: E402
from nnstudio.gui.canvas import NetworkView  # noqa: E402


def large_network(columns: int = 10, per_column: int = 100, connections: int = 20_000,
                  seed: int = 0) -> Network:
    rng = random.Random(seed)
    net = Network("mse")
    ids: list[list[int]] = []
    for c in range(columns):
        role = "input" if c == 0 else "output" if c == columns - 1 else "hidden"
        ids.append([net.add_neuron(role, x=x, y=y).id for x, y in layer_positions(per_column, c)])
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < connections:
        c = rng.randrange(columns - 1)
        pairs.add((rng.choice(ids[c]), rng.choice(ids[c + 1])))
    for s, t in sorted(pairs):
        net.add_connection(s, t, rng.gauss(0.0, 1.0))
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    net = large_network()
    stack = QUndoStack()

    t0 = time.perf_counter()
    view = NetworkView(net, stack)
    view.resize(args.width, args.height)
    view.show()
    view.fit()
    app.processEvents()
    view.viewport().grab()  # a first complete render
    open_s = time.perf_counter() - t0

    def median_ms(samples: list[float]) -> float:
        return 1000 * statistics.median(samples)

    # full redraw with everything in view
    fit_frames = []
    for _ in range(5):
        t = time.perf_counter()
        view.viewport().repaint()
        fit_frames.append(time.perf_counter() - t)

    # work at zoom 1, in the middle of the network
    view.resetTransform()
    view.centerOn(4.5 * 160, 0)
    app.processEvents()
    h, v = view.horizontalScrollBar(), view.verticalScrollBar()
    pan = []
    for i in range(args.frames):
        sign = 1 if (i // 10) % 2 == 0 else -1
        t = time.perf_counter()
        h.setValue(h.value() + 15 * sign)
        v.setValue(v.value() + 10 * sign)
        app.processEvents()
        pan.append(time.perf_counter() - t)
    redraw = []
    for _ in range(10):
        t = time.perf_counter()
        view.viewport().repaint()
        redraw.append(time.perf_counter() - t)
    zoom = []
    anchor = QPointF(args.width / 2, args.height / 2)
    for i in range(10):
        notch = QPoint(0, 120 if i % 2 == 0 else -120)
        wheel = QWheelEvent(anchor, QPointF(view.viewport().mapToGlobal(anchor.toPoint())), QPoint(), notch,
                            Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
        t = time.perf_counter()
        QApplication.sendEvent(view.viewport(), wheel)
        view.viewport().repaint()
        zoom.append(time.perf_counter() - t)

    print(f"neurons: {len(net)}  connections: {len(net.connections())}  viewport: {args.width}x{args.height}")
    print(f"large_open_s: {open_s:.3f}")
    print(f"large_frame_ms: {median_ms(pan):.1f}")
    print(f"large_redraw_ms: {median_ms(redraw):.1f}")
    print(f"large_fit_redraw_ms: {median_ms(fit_frames):.1f}")
    print(f"large_zoom_ms: {median_ms(zoom):.1f}")
    view.canvas.detach()
    view.deleteLater()
    app.processEvents()
    delete_all(app, args.width, args.height)


def delete_all(app: QApplication, width: int, height: int) -> None:
    """Select All + Delete + Undo on the large network in the main window (the inspector
    follows the selection, the status bar the summary)."""
    from nnstudio.core.settings import Project
    from nnstudio.gui.main_window import MainWindow

    os.environ.setdefault("NNSTUDIO_SETTINGS_DIR", tempfile.mkdtemp(prefix="nnstudio-bench-"))
    net = large_network()
    window = MainWindow(restore=False, open_sample=False)
    window.resize(width, height)
    window.show()
    window.document.set_project(Project(net))
    app.processEvents()
    parts = []
    for step in (window.view.select_all, window.view.delete_selected, window.document.undo_stack.undo):
        t = time.perf_counter()
        step()
        app.processEvents()
        parts.append(time.perf_counter() - t)
    assert len(net) == 1000 and len(net.connections()) == 20_000, "undo did not restore the network"
    print(f"large_delete_all_s: {sum(parts):.3f}   (select {parts[0]:.3f}, delete {parts[1]:.3f}, "
          f"undo {parts[2]:.3f})")
    window.confirm_close = False
    window.close()


if __name__ == "__main__":
    main()
