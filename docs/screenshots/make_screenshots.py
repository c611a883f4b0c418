"""Render the app mid-training on the sample networks, for the README.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py [OUT_DIR]

For each sample (XOR, circles, Iris, one-variable linear regression) the window opens the
sample's ``.nns`` file at 2200 x 1240 with every view on screen, trains with the sample's
own settings for a few dozen epochs (:data:`SHOTS`), presses Train again and takes the
picture at the first frame drawn while it trains (the status line says "training…").

Files: ``training-<sample>.png``, and ``training-circles_hidden_neuron.png`` (the mouse
over a hidden neuron: the Data view shows that neuron's own output over the plane).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NNSTUDIO_SETTINGS_DIR", tempfile.mkdtemp(prefix="nnstudio-shots-"))

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(REPO, "sample_data")

#: sample -> (epoch to stop at before resuming, plane columns for the data view or None)
SHOTS = {
    "xor": (40, None),
    "circles": (40, None),
    "iris": (30, ("petal_length", "petal_width")),
    "linear_1var": (40, None),
}


def wait(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def until(condition, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        wait(0.01)


def arrange(window, ui) -> None:
    """Every view on screen: Gradients beside Weights instead of behind it."""
    d = ui.docks
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["Gradients"])  # untab
    window.splitDockWidget(d["Weights"], d["Gradients"], Qt.Orientation.Horizontal)
    for dock in d.values():
        dock.show()
    d["Data"].raise_()
    window.resizeDocks([window.palette_dock], [190], Qt.Orientation.Horizontal)
    window.resizeDocks([window.training_dock, d["Cost"], d["Weights"], d["Gradients"]],
                       [330, 400, 400, 400], Qt.Orientation.Horizontal)
    window.resizeDocks([window.training_dock], [470], Qt.Orientation.Vertical)
    window.resizeDocks([d["Data"]], [560], Qt.Orientation.Horizontal)
    window.resizeDocks([d["Data"], d["Outputs"]], [560, 500], Qt.Orientation.Vertical)


def shoot(app, name: str, stop_at: int, columns, out_dir: str, hover: bool = False) -> str:
    from nnstudio.gui.main_window import MainWindow

    window = MainWindow(restore=False, open_sample=False)
    window.confirm_close = False
    ui = window.training                     # the main window installs training itself
    window.resize(2200, 1240)
    window.show()
    assert window.open_file(os.path.join(SAMPLES, f"{name}.nns")), name
    arrange(window, ui)
    controller = ui.controller
    until(lambda: controller.session is not None)
    if columns:
        ui.data.x_box.setCurrentText(columns[0])
        ui.data.y_box.setCurrentText(columns[1])
        ui.data._columns_chosen()
    controller.set_settings(controller.settings.with_changes(epochs=stop_at))
    controller.train()
    until(lambda: not controller.busy)
    controller.select_sample(0)
    window.view.fit()
    suffix = ""
    if hover:                                # the mouse rests on a hidden neuron
        from PySide6.QtTest import QTest

        neuron = window.document.network.hidden()[2]
        QTest.mouseMove(window.view.viewport(), window.view.mapFromScene(neuron.x, neuron.y))
        until(lambda: ui.data.hover_neuron == neuron.id)
        suffix = "_hidden_neuron"
    path = os.path.join(out_dir, f"training-{name}{suffix}.png")
    saved = []

    def picture(frame) -> None:
        # the first frame while training: drawn and photographed before the next one
        # arrives, so every view (and the history) shows the same moment
        if saved or not frame.running:
            return
        ui.hub.draw_now(frame)
        saved.append((frame.snapshot.epoch, window.grab().save(path, "PNG")))

    controller.set_settings(controller.settings.with_changes(epochs=0))
    controller.sigFrame.connect(picture)
    controller.train()
    until(lambda: bool(saved))
    epoch, ok = saved[0]
    print(f"{path}: epoch {epoch}, {'saved' if ok else 'NOT saved'}")
    ui.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    return path


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = os.path.abspath(argv[0]) if argv else HERE
    os.makedirs(out_dir, exist_ok=True)
    from nnstudio.gui.app import ensure_application

    app = ensure_application()
    for name, (stop_at, columns) in SHOTS.items():
        shoot(app, name, stop_at, columns, out_dir)
    shoot(app, "circles", SHOTS["circles"][0], None, out_dir, hover=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
