"""Fixtures for the GUI tests: a fresh settings folder per test, no dialog that could block,
and a main window opened on the built-in sample."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog
from qt_dialogs import record_message_boxes


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, monkeypatch):
    """Each test gets its own empty settings folder (recent files, window layout)."""
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.setenv("NNSTUDIO_SETTINGS_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def messages(monkeypatch):
    """Every message box the app shows, as (kind, title, text), instead of a modal dialog."""
    return record_message_boxes(monkeypatch)


@pytest.fixture(autouse=True)
def no_file_dialogs(monkeypatch):
    """A test that forgot to replace a path prompt (or an input dialog) fails instead of
    hanging."""
    def refuse(*args, **kwargs):
        raise AssertionError("a real file dialog was opened in a test")

    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))
    for name in ("getText", "getDouble", "getInt", "getItem"):
        monkeypatch.setattr(QInputDialog, name, staticmethod(refuse))


def _unexpected_prompt():
    raise AssertionError("unexpected 'unsaved changes' prompt")


@pytest.fixture
def window(qtbot):
    """The main window on the built-in sample, shown and active."""
    from nnstudio.gui.main_window import MainWindow

    w = MainWindow()
    w.ask_unsaved_changes = _unexpected_prompt
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    yield w
    w.confirm_close = False  # whatever the test left unsaved, closing must not ask
    w.close()
    w.deleteLater()
