"""The training panel: Train/Pause, Step batch, Step epoch, Reset weights, a status line,
the message banner (why training stopped, what to try), and the hyperparameter form.

The buttons show :class:`QAction` objects (made by :func:`make_actions`), so the same
actions sit in the Training menu and the toolbar with their shortcuts.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from nnstudio.gui.plots.base import ElidedLabel
from nnstudio.gui.training.controller import PAUSED, RUNNING
from nnstudio.gui.training.hyperparams import HyperparameterPanel

#: Seconds between two updates of the status line while training.
STATUS_INTERVAL = 0.2

BANNER_STYLE = {
    "info": "background: #e8f1fb; color: #0b3d6b; border: 1px solid #9cc3e6;",
    "warning": "background: #fff4e0; color: #6b3d00; border: 1px solid #f0b45a;",
    "error": "background: #fde8ea; color: #7a0010; border: 1px solid #e59aa3;",
}


class TrainingActions:
    """Train/Pause (Space), Step batch, Step epoch and Reset weights for a controller."""

    def __init__(self, controller, parent) -> None:
        self.controller = controller
        self.train = QAction("Train", parent)
        self.train.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.train.setToolTip("Train / Pause (Space)")
        self.train.setStatusTip("start or pause training")
        self.train.triggered.connect(lambda _c=False: controller.toggle())
        self.step_batch = QAction("Step batch", parent)
        self.step_batch.setShortcut(QKeySequence("Ctrl+Right"))
        self.step_batch.setToolTip("One optimizer step on the next mini-batch (Ctrl+Right)")
        self.step_batch.triggered.connect(lambda _c=False: controller.step_batch())
        self.step_epoch = QAction("Step epoch", parent)
        self.step_epoch.setShortcut(QKeySequence("Ctrl+Shift+Right"))
        self.step_epoch.setToolTip("Train to the end of the current epoch (Ctrl+Shift+Right)")
        self.step_epoch.triggered.connect(lambda _c=False: controller.step_epoch())
        self.reset = QAction("Reset weights", parent)
        self.reset.setToolTip("Re-initialize the weights with the chosen scheme and seed "
                              "(undoable); the history starts afresh")
        self.reset.triggered.connect(lambda _c=False: controller.reset_weights())
        controller.sigState.connect(self.update)
        self.update(controller.state)

    def all(self) -> list[QAction]:
        return [self.train, self.step_batch, self.step_epoch, self.reset]

    def update(self, state: str) -> None:
        running = state == RUNNING
        self.train.setText("Pause" if running else "Train")
        self.train.setToolTip("Pause training (Space)" if running else "Start training (Space)")


class TrainingPanel(QWidget):
    """Controls, status and settings for one controller (the Training dock's widget)."""

    def __init__(self, controller, actions: TrainingActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.actions = actions
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)

        buttons = QHBoxLayout()
        self.buttons = {}
        for action in actions.all():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setMinimumWidth(64)
            buttons.addWidget(button)
            self.buttons[action.text()] = button
        self.train_button = self.buttons["Train"]
        self.train_button.setStyleSheet("QToolButton { font-weight: bold; }")
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._buttons_layout = buttons

        # a changing status never lays out the window again (see ElidedLabel)
        self.status = ElidedLabel("Not trained yet")
        self.status.setObjectName("training-status")
        self._status_time = 0.0
        self._status_running = False
        layout.addWidget(self.status)

        self.banner = QFrame()
        self.banner.setObjectName("training-message")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(6, 3, 3, 3)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.banner.hide)
        banner_layout.addWidget(self.message, 1)
        banner_layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.hyperparams = HyperparameterPanel(controller)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.hyperparams)
        layout.addWidget(scroll, 1)

        controller.sigMessage.connect(self.show_message)
        controller.sigFrame.connect(self._frame)
        controller.sigState.connect(self._state)
        controller.sigSession.connect(lambda s: self._state(controller.state))

    def buttons_width(self) -> int:
        """The width the panel needs to show its buttons without shortening their text."""
        margins = self.layout().contentsMargins()
        return self._buttons_layout.sizeHint().width() + margins.left() + margins.right()

    def show_message(self, level: str, text: str) -> None:
        self.message.setText(text)
        self.banner.setStyleSheet("#training-message {" + BANNER_STYLE.get(level, "") + "}")
        self.banner.setProperty("level", level)
        self.banner.show()

    def _state(self, state: str) -> None:
        if state == RUNNING and self.banner.property("level") != "error":
            self.banner.hide()
        if state != RUNNING and self.controller.latest is None:
            self.status.setText("Ready to train" if state == PAUSED else "Not trained yet")

    def _frame(self, frame) -> None:
        snap = frame.snapshot
        if snap is None:
            return
        now = time.perf_counter()
        if frame.running and self._status_running and now - self._status_time < STATUS_INTERVAL:
            return
        self._status_time = now
        self._status_running = frame.running
        parts = [f"epoch {snap.epoch}", f"step {snap.step}"]
        if snap.train_cost is not None:
            parts.append(f"cost {_fmt(snap.train_cost)}")
        if snap.val_cost is not None:
            parts.append(f"validation {_fmt(snap.val_cost)}")
        if snap.train_accuracy is not None:
            acc = f"accuracy {100 * snap.train_accuracy:.1f}%"
            if snap.val_accuracy is not None:
                acc += f" / {100 * snap.val_accuracy:.1f}%"
            parts.append(acc)
        state = "training…" if frame.running else "paused"
        self.status.setText(" · ".join(parts), bold=f"{state}   ")


def _fmt(value: float) -> str:
    return f"{value:.5g}" if math.isfinite(value) else str(value)
