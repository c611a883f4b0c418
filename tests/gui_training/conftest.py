"""Fixtures for the training GUI tests: no dangling training thread, ever; no modal
message box; documents and projects on the sample data."""

from __future__ import annotations

import gc
import os

import pytest
from PySide6.QtCore import QCoreApplication
from qt_dialogs import record_message_boxes

from nnstudio.core.graph import layered
from nnstudio.core.settings import DataBinding, Project, TrainingSettings
from nnstudio.core.training import initialize


@pytest.fixture(autouse=True)
def no_dangling_threads(qapp):
    """Fail any test that leaves a training QThread running (and stop it, so one failure
    does not crash the rest of the session)."""
    from nnstudio.gui.training import controller, worker

    yield
    QCoreApplication.processEvents()
    left = worker.running_threads()
    if left:                                  # stop them, so one failure stays one
        for owner in list(controller.CONTROLLERS):
            if owner._worker is not None:
                owner._worker.stop()          # the loop ends within one chunk
            try:
                owner.shutdown()
            except RuntimeError:              # its window is already gone
                pass
        for thread in worker.running_threads():
            thread.wait(5000)
    gc.collect()
    assert not left, f"{len(left)} training thread(s) still running after the test"


@pytest.fixture(autouse=True)
def no_message_boxes(monkeypatch):
    """Message boxes are recorded, never shown (a modal box would hang a test)."""
    return record_message_boxes(monkeypatch)


def _xor_project(sample_data, **settings) -> Project:
    """A 2-8-8-1 tanh/sigmoid network on xor.csv with a validation split."""
    net = layered([2, 8, 8, 1], output="sigmoid", feature_names=["x1", "x2"])
    initialize(net, "glorot", 3)
    base = dict(optimizer="sgd", batch_size=16, learning_rate=0.5, split=(0.8, 0.2, 0.0),
                epochs=40, seed=3)
    base.update(settings)
    binding = DataBinding(path=os.fspath(sample_data / "xor.csv"), target="label",
                          task="classification", classes=["0", "1"])
    return Project(net, TrainingSettings(**base), binding)


def _linear_project(sample_data, **settings) -> Project:
    """One input, one identity output, mse: linear regression on linear_1var.csv."""
    net = layered([1, 1], output="identity", feature_names=["x"])
    initialize(net, "glorot", 0)
    base = dict(optimizer="gd", learning_rate=0.01, epochs=50)
    base.update(settings)
    binding = DataBinding(path=os.fspath(sample_data / "linear_1var.csv"), target="y",
                          task="regression")
    return Project(net, TrainingSettings(**base), binding)


@pytest.fixture
def xor_project(sample_data):
    """``xor_project(**settings)``: a 2-8-8-1 network on xor.csv (80/20 split)."""
    return lambda **settings: _xor_project(sample_data, **settings)


@pytest.fixture
def linear_project(sample_data):
    """``linear_project(**settings)``: a 1-1 linear regression on linear_1var.csv."""
    return lambda **settings: _linear_project(sample_data, **settings)


@pytest.fixture
def make_controller(qtbot):
    """``make_controller(project) -> (document, controller)``; shut down after the test."""
    from nnstudio.gui.document import Document
    from nnstudio.gui.training.controller import TrainingController

    made = []

    def make(project):
        document = Document(project)
        controller = TrainingController(document)
        controller.messages = []
        controller.sigMessage.connect(lambda level, text: controller.messages.append((level, text)))
        made.append((document, controller))
        return document, controller

    yield make
    for _document, controller in made:
        controller.shutdown()


def _unexpected_prompt():
    raise AssertionError("unexpected 'unsaved changes' prompt")


@pytest.fixture
def window(qtbot):
    """The main window (it installs training itself), on the XOR sample; closed (without
    the unsaved-changes question) after the test. ``window.training`` is the TrainingUI."""
    from nnstudio.gui.main_window import MainWindow

    w = MainWindow(restore=False)
    w.confirm_close = False
    w.ask_unsaved_changes = _unexpected_prompt     # a test fails instead of hanging on it
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.training.controller.session is not None, timeout=5000)
    yield w
    w.close()
    w.deleteLater()


@pytest.fixture
def open_sample(window, sample_data, qtbot):
    """``open_sample("iris")``: open sample_data/iris.nns in the window, views prepared."""
    def open_(name: str):
        assert window.open_file(str(sample_data / f"{name}.nns"))
        qtbot.waitUntil(lambda: window.training.controller.session is not None
                        and window.training.controller.latest is not None, timeout=5000)
        return window.training
    return open_
