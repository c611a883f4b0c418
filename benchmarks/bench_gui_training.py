"""Training in the real window: how much of the engine's speed survives the live views,
and how responsive the window stays while it trains.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_training.py [--seconds S] [--slices N]

Two networks, as in the issue: 2-8-8-1 (tanh, sigmoid output, binary cross-entropy) on
circles.csv, and 4-10-3 (tanh, softmax) on iris.csv (60/20/20 split), both trained with
mini-batch SGD (batch 16) so a frame shows many steps. For each, interleaved:

* headless: the core ``Trainer`` alone on the same data and settings, ``run_epoch`` in a
  loop (each epoch records its costs, exactly what the worker does);
* GUI: the real main window with training installed, 1600 x 1000, every view open (the
  docks untabbed so all five plots and the canvas are on screen and repaint): from
  pressing Train to the end of Pause, with the event loop running S seconds in between
  (as under ``app.exec()``) and a 10 ms precise QTimer measuring how late it is.

The two alternate in slices of S seconds (``--slices`` pairs per network), so both see
the same machine load; rates are totals over the slices.

Prints one figure per line::

    gui_throughput_ratio: X   GUI epochs/s over headless epochs/s (the worse network)
    event_loop_p99_ms: Y      99th percentile lateness of the 10 ms timer while training
    view_refresh_hz: Z        frames drawn into all the views per second (the slower
                              network); a view whose picture would not change skips
                              its repaint

followed by the per-network details (and the GUI thread's share of the CPU). Targets
(README): ratio >= 0.8, p99 < 50 ms, refresh >= 20 Hz. They pull against each other: the
GUI thread's Python (and Qt's painting of Python items) holds the GIL the training thread
needs, so the view hub draws at most 21 frames a second, each drawn and painted in one go
while the worker waits, and fewer if the GUI thread would be busy more than 18% of the
time (see ``nnstudio/gui/plots/hub.py``). Timings only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NNSTUDIO_SETTINGS_DIR", tempfile.mkdtemp(prefix="nnstudio-bench-"))

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402

from nnstudio.core.graph import layered  # noqa: E402
from nnstudio.core.settings import DataBinding, Project, TrainingSettings  # noqa: E402
from nnstudio.core.training import Trainer, initialize  # noqa: E402
from nnstudio.core.workflow import prepare_training  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "sample_data")


def circles_project() -> Project:
    net = layered([2, 8, 8, 1], output="sigmoid", feature_names=["x1", "x2"])
    initialize(net, "glorot", 0)
    settings = TrainingSettings(optimizer="sgd", learning_rate=0.3, batch_size=16, epochs=0,
                                split=(0.8, 0.2, 0.0), standardize=True, seed=0)
    return Project(net, settings, DataBinding(os.path.join(DATA, "circles.csv"), "label",
                                              "classification", ["0", "1"]))


def iris_project() -> Project:
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    net = layered([4, 10, 3], output="softmax", feature_names=features)
    initialize(net, "glorot", 0)
    settings = TrainingSettings(optimizer="sgd", learning_rate=0.1, batch_size=16, epochs=0,
                                split=(0.6, 0.2, 0.2), standardize=True, seed=0)
    return Project(net, settings, DataBinding(os.path.join(DATA, "iris.csv"), "species",
                                              "classification",
                                              ["setosa", "versicolor", "virginica"]))


NETWORKS = {"2-8-8-1 circles": circles_project, "4-10-3 iris": iris_project}


def headless_trainer(make) -> Trainer:
    """The core Trainer alone on the benchmark project (warmed up)."""
    project = make()
    data = prepare_training(project)
    trainer = Trainer(project.network, project.settings, data.X_train, data.Y_train,
                      data.X_val, data.Y_val)
    for _ in range(20):
        trainer.run_epoch()
    return trainer


def headless_slice(trainer: Trainer, seconds: float) -> tuple[int, float]:
    """Epochs of the core Trainer alone in about ``seconds`` (costs recorded every epoch,
    exactly what the worker does)."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.run_epoch()
        n += 1
    return n, time.perf_counter() - start


def open_every_view(window, ui) -> None:
    """Untab the docks so every view (and the canvas) is on screen at once."""
    d = ui.docks
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    right = Qt.DockWidgetArea.RightDockWidgetArea
    window.addDockWidget(bottom, d["Gradients"])
    window.splitDockWidget(d["Weights"], d["Gradients"], Qt.Orientation.Horizontal)
    window.addDockWidget(right, d["Data"])
    window.splitDockWidget(window.dataset_dock, d["Data"], Qt.Orientation.Vertical)
    window.splitDockWidget(d["Data"], d["Outputs"], Qt.Orientation.Vertical)
    window.dataset_dock.hide()
    for dock in d.values():
        dock.show()
        dock.raise_()


def run_loop(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()                                 # the event loop runs as under app.exec()


def measure(app, make, seconds: float, slices: int) -> dict:
    """Headless and GUI training in alternating slices (the machine's load changes; each
    pair of slices sees about the same), summed over ``slices`` pairs."""
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(restore=False, open_sample=False)
    window.confirm_close = False
    ui = window.training                     # the main window installs training itself
    window.document.set_project(make(), name="benchmark")
    window.resize(1600, 1000)
    window.show()
    open_every_view(window, ui)
    run_loop(1.0)
    controller = ui.controller
    assert controller.session is not None, "the benchmark network could not be prepared"
    hidden = [v.title for v in ui.views if not v.can_be_seen()]
    assert not hidden, f"views not on screen: {hidden}"
    trainer = headless_trainer(make)

    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    expected = [None]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if expected[0] is not None:
            lateness.append(max(0.0, now - expected[0]))
        expected[0] = now + 10.0

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    drawn: list[float] = []
    ui.hub.sigDrawn.connect(lambda _frame, _took: drawn.append(time.perf_counter()))

    head_epochs = head_time = gui_epochs = gui_time = gui_cpu = 0.0
    n_drawn = 0
    for _ in range(slices):
        n, t = headless_slice(trainer, seconds)
        head_epochs += n
        head_time += t
        epoch0 = controller.epoch                # exact: training is paused
        start, cpu, before = time.perf_counter(), time.thread_time(), len(drawn)
        controller.train()
        expected[0] = None
        timer.start(10)
        run_loop(seconds)
        timer.stop()
        controller.pause(wait=True)              # the final frame has the exact epoch
        elapsed = time.perf_counter() - start
        gui_cpu += time.thread_time() - cpu
        gui_time += elapsed
        gui_epochs += controller.epoch - epoch0
        n_drawn += len(drawn) - before
        run_loop(0.1)
    ui.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    head_rate, gui_rate = head_epochs / head_time, gui_epochs / gui_time
    return {"headless": head_rate, "gui": gui_rate, "ratio": gui_rate / head_rate,
            "refresh_hz": n_drawn / gui_time, "lateness": lateness, "gui_cpu": gui_cpu / gui_time}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one slice")
    parser.add_argument("--slices", type=int, default=6,
                        help="alternating headless / GUI slices per network")
    args = parser.parse_args(argv)

    from nnstudio.gui.app import ensure_application

    app = ensure_application()
    results = {name: measure(app, make, args.seconds, args.slices) for name, make in NETWORKS.items()}
    lateness = [v for r in results.values() for v in r["lateness"]]
    p99 = float(np.percentile(lateness, 99)) if lateness else float("nan")
    print(f"gui_throughput_ratio: {min(r['ratio'] for r in results.values()):.3f}")
    print(f"event_loop_p99_ms: {p99:.1f}")
    print(f"view_refresh_hz: {min(r['refresh_hz'] for r in results.values()):.1f}")
    for name, r in results.items():
        key = name.split()[0]
        print(f"headless_epochs_per_s[{key}]: {r['headless']:.0f}")
        print(f"gui_epochs_per_s[{key}]: {r['gui']:.0f}")
        print(f"gui_throughput_ratio[{key}]: {r['ratio']:.3f}")
        print(f"view_refresh_hz[{key}]: {r['refresh_hz']:.1f}")
        print(f"gui_thread_cpu_share[{key}]: {r['gui_cpu']:.3f}")
    print(f"event_loop_median_ms: {float(np.median(lateness)) if lateness else float('nan'):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
