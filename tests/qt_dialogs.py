"""Replace Qt's modal message boxes in tests: a modal box would hang the run."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

KINDS = ("warning", "critical", "information", "question", "about")


def record_message_boxes(monkeypatch) -> list[tuple[str, str, str]]:
    """Make every static QMessageBox call append (kind, title, text) and answer Ok."""
    shown: list[tuple[str, str, str]] = []

    def recorder(kind):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in KINDS:
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))
    return shown
