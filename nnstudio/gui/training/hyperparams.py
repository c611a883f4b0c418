"""The hyperparameter panel: every training setting, each change one undo step.

What applies when, as the panel says next to each field:

* **live** (the next training step uses it, the weights are kept): optimizer, learning
  rate, batch size, momentum, L1 and L2 strength, precision, and the stop rule (epochs,
  target cost, early stop on validation);
* **recompiles** (training pauses, the weights are kept): the output mode, softmax or
  one-versus-all, which is a change of the network's loss and output activations;
* **at reset** (takes effect when you press Reset weights): the train/validation/test
  split, feature scaling, the initialization scheme and the seed.

The panel never keeps settings of its own: it shows the project's
:class:`~nnstudio.core.settings.TrainingSettings` and follows ``sigSettings`` (so undo
shows here too).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QSpinBox, QWidget)

from nnstudio.core.commands import SetLoss
from nnstudio.core.data import DataError, parse_split
from nnstudio.core.settings import INITIALIZATIONS, PRECISIONS, SettingsError

LIVE, RECOMPILE, RESET = "live", "recompiles", "at reset"
WHEN_TIP = {
    LIVE: "applies at the next training step; the weights are kept",
    RECOMPILE: "pauses training and recompiles the network; the weights are kept",
    RESET: "takes effect when you press Reset weights (or the network is recompiled)",
}
OPTIMIZER_TEXT = {
    "gd": "Gradient descent (whole set)",
    "sgd": "Stochastic GD (mini-batches)",
    "momentum": "Momentum",
    "adam": "Adam",
}
INIT_TEXT = {
    "glorot": "Glorot (tanh, sigmoid)",
    "he": "He (relu)",
    "uniform": "Uniform ±0.1",
    "zeros": "Zeros (breaks nothing: watch why)",
}
OUTPUT_MODE_TEXT = {
    "cross_entropy": "Softmax (probabilities add up to 1)",
    "ova": "One-versus-all (K sigmoids)",
}


def _format(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


class NumberField(QLineEdit):
    """One number (or empty when ``optional``): emits ``sigValue(object)`` with the new
    float (or None) when the user finishes typing a different valid value; anything else
    reverts."""

    sigValue = Signal(object)

    def __init__(self, optional: bool = False, placeholder: str = "") -> None:
        super().__init__()
        self.optional = optional
        self._shown = ""
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self._finish)

    def set_value(self, value: float | None) -> None:
        self._shown = _format(value)
        self.setText(self._shown)

    def _finish(self) -> None:
        text = self.text().strip()
        if text == self._shown:
            return
        if text == "" and self.optional:
            self._shown = ""
            self.sigValue.emit(None)
            return
        try:
            value = float(text)
        except ValueError:
            self.setText(self._shown)
            return
        if not math.isfinite(value):
            self.setText(self._shown)
            return
        self._shown = _format(value)
        self.sigValue.emit(value)


class HyperparameterPanel(QWidget):
    """The settings form for one :class:`~nnstudio.gui.training.controller.TrainingController`."""

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._updating = False
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(3)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form = form
        self.fields: dict[str, QWidget] = {}
        self.setMinimumWidth(10)

        self.optimizer = QComboBox()
        for key, text in OPTIMIZER_TEXT.items():
            self.optimizer.addItem(text, key)
        self.optimizer.activated.connect(lambda _i: self._set("optimizer", self.optimizer.currentData(),
                                                              "Optimizer"))
        self._row("Optimizer", self.optimizer, LIVE, "optimizer")

        self.learning_rate = NumberField()
        self.learning_rate.sigValue.connect(lambda v: self._set("learning_rate", v, "Learning rate"))
        self._row("Learning rate", self.learning_rate, LIVE, "learning_rate")

        self.batch_size = QSpinBox()
        self.batch_size.setRange(0, 10_000_000)
        self.batch_size.setSpecialValueText("all")
        self.batch_size.setToolTip("Samples per step; 'all' (0) uses the whole training set")
        self.batch_size.editingFinished.connect(self._batch_changed)
        self._row("Batch size", self.batch_size, LIVE, "batch_size")

        self.momentum = NumberField()
        self.momentum.sigValue.connect(lambda v: self._set("momentum", v, "Momentum"))
        self._row("Momentum μ", self.momentum, LIVE, "momentum")

        reg = QHBoxLayout()
        self.l1, self.l2 = NumberField(placeholder="L1"), NumberField(placeholder="L2")
        self.l1.sigValue.connect(lambda v: self._set("l1", v, "L1 strength"))
        self.l2.sigValue.connect(lambda v: self._set("l2", v, "L2 strength"))
        self.l1.setToolTip("L1 strength: adds (L1/m) sum |w| to the cost")
        self.l2.setToolTip("L2 strength: adds (L2/m) sum w^2 to the cost")
        reg.addWidget(self.l1)
        reg.addWidget(self.l2)
        self._row("L1, L2", reg, LIVE, "regularization")

        self.output_mode = QComboBox()
        for key, text in OUTPUT_MODE_TEXT.items():
            self.output_mode.addItem(text, key)
        self.output_mode.activated.connect(self._output_mode_chosen)
        self.loss_label = QLabel("")
        self.loss_label.setStyleSheet("color: #555;")
        out = QHBoxLayout()
        out.addWidget(self.output_mode)
        out.addWidget(self.loss_label)
        self._row("Outputs", out, RECOMPILE, "output_mode")

        self.precision = QComboBox()
        for p in PRECISIONS:
            self.precision.addItem(p, p)
        self.precision.activated.connect(lambda _i: self._set("precision", self.precision.currentData(),
                                                              "Precision"))
        self._row("Precision", self.precision, LIVE, "precision")

        self.epochs = QSpinBox()
        self.epochs.setRange(0, 100_000_000)
        self.epochs.setSpecialValueText("no limit (until paused)")
        self.epochs.setToolTip("Epochs per press of Train (0: until you pause)")
        self.epochs.editingFinished.connect(lambda: self._set("epochs", self.epochs.value(), "Epochs"))
        self.target_cost = NumberField(optional=True, placeholder="target cost")
        self.target_cost.setToolTip("Stop when the training cost falls to this value (empty: no target)")
        self.target_cost.sigValue.connect(lambda v: self._set("target_cost", v, "Target cost"))
        self.patience = QSpinBox()
        self.patience.setRange(0, 1_000_000)
        self.patience.setSpecialValueText("no patience")
        self.patience.setPrefix("patience ")
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip("Early stop: stop when the validation cost has not improved "
                                 "for this many epochs (needs a validation split)")
        self.patience.editingFinished.connect(
            lambda: self._set("early_stop_patience", self.patience.value() or None, "Early stop"))
        self.epochs.setSuffix(" epochs")
        self._row("Stop after", self.epochs, LIVE, "stop")
        early = QHBoxLayout()
        early.addWidget(self.target_cost, 1)
        early.addWidget(self.patience, 1)
        self._row("Stop early", early, LIVE, "early_stop")

        data = QHBoxLayout()
        self.split = QLineEdit()
        self.split.setToolTip("Train / validation / test fractions, e.g. 60/20/20 or 0.8,0.2")
        self.split.editingFinished.connect(self._split_changed)
        self.standardize = QCheckBox("scale")
        self.standardize.setToolTip("Scale every input to mean 0 and standard deviation 1 "
                                    "(fitted on the training split)")
        self.standardize.toggled.connect(lambda on: self._set("standardize", bool(on), "Feature scaling"))
        data.addWidget(self.split, 1)
        data.addWidget(self.standardize)
        self._row("Split", data, RESET, "split")

        init = QHBoxLayout()
        self.init = QComboBox()
        for key in INITIALIZATIONS:
            self.init.addItem(INIT_TEXT.get(key, key), key)
        self.init.activated.connect(lambda _i: self._set("init", self.init.currentData(), "Initialization"))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        self.seed.setToolTip("Seeds the initial weights, the split and the mini-batch order")
        self.seed.editingFinished.connect(lambda: self._set("seed", self.seed.value(), "Seed"))
        init.addWidget(self.init, 2)
        init.addWidget(QLabel("seed"))
        init.addWidget(self.seed, 1)
        self._row("Initialization", init, RESET, "init")

        for combo in self.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        for field in self.findChildren(QLineEdit) + self.findChildren(QSpinBox):
            field.setMinimumWidth(50)
        self.legend = QLabel("<span style='color:#2a7;'>●</span> live &nbsp; "
                             "<span style='color:#c80;'>●</span> recompiles &nbsp; "
                             "<span style='color:#888;'>●</span> at Reset weights")
        self.legend.setToolTip("\n".join(f"{k}: {v}" for k, v in WHEN_TIP.items()))
        form.addRow(self.legend)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        form.addRow(self.error)

        controller.sigSettings.connect(lambda _s: self.refresh())
        controller.document.sigNetworkChanged.connect(self._refresh_outputs)
        controller.document.sigProjectReplaced.connect(lambda _p: self.refresh())
        self.refresh()

    # ---------------------------------------------------------- building
    def _row(self, text: str, field, when: str, key: str) -> None:
        color = {LIVE: "#2a7", RECOMPILE: "#c80", RESET: "#888"}[when]
        label = QLabel(f"{text} <span style='color:{color};'>●</span>")
        label.setToolTip(f"{text}: {WHEN_TIP[when]}")
        label.setProperty("when", when)
        self.form.addRow(label, field)
        self.fields[key] = label

    def when(self, key: str) -> str:
        """``live``, ``recompiles`` or ``at reset`` for a row (as the panel says)."""
        return self.fields[key].property("when")

    # ---------------------------------------------------------- showing
    def refresh(self) -> None:
        s = self.controller.settings
        self._updating = True
        try:
            self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(s.optimizer)))
            self.learning_rate.set_value(s.learning_rate)
            self.batch_size.setValue(s.batch_size or 0)
            self.batch_size.setEnabled(s.optimizer != "gd")
            self.momentum.set_value(s.momentum)
            self.momentum.setEnabled(s.optimizer == "momentum")
            self.l1.set_value(s.l1)
            self.l2.set_value(s.l2)
            self.precision.setCurrentIndex(max(0, self.precision.findData(s.precision)))
            self.epochs.setValue(s.epochs)
            self.target_cost.set_value(s.target_cost)
            self.patience.setValue(s.early_stop_patience or 0)
            self.split.setText("/".join(f"{100 * f:g}" for f in s.split))
            self.standardize.setChecked(s.standardize)
            self.init.setCurrentIndex(max(0, self.init.findData(s.init)))
            self.seed.setValue(s.seed)
        finally:
            self._updating = False
        self._refresh_outputs()

    def _refresh_outputs(self) -> None:
        net = self.controller.document.network
        choice = net.loss in OUTPUT_MODE_TEXT and len(net.outputs()) >= 2
        self.output_mode.setVisible(choice)
        self._updating = True
        try:
            if choice:
                self.output_mode.setCurrentIndex(self.output_mode.findData(net.loss))
        finally:
            self._updating = False
        text = {"mse": "mean squared error (regression)", "bce": "binary cross-entropy (1 sigmoid)",
                "cross_entropy": "cross-entropy", "ova": "binary cross-entropy per class"}[net.loss]
        self.loss_label.setText(text if not choice else "")
        self.loss_label.setVisible(not choice)

    # ---------------------------------------------------------- editing
    def _set(self, name: str, value, text: str) -> None:
        if self._updating:
            return
        settings = self.controller.settings
        if getattr(settings, name) == value:
            return
        try:
            new = settings.with_changes(**{name: value})
        except SettingsError as e:
            self._show_error(str(e))
            self.refresh()
            return
        self._show_error("")
        self.controller.set_settings(new, text)

    def _batch_changed(self) -> None:
        value = self.batch_size.value()
        self._set("batch_size", value if value > 0 else None, "Batch size")

    def _split_changed(self) -> None:
        if self._updating:
            return
        try:
            split = parse_split(self.split.text())
        except DataError as e:
            self._show_error(str(e))
            self.refresh()
            return
        self._set("split", tuple(split), "Split")

    def _output_mode_chosen(self, _index: int) -> None:
        if self._updating:
            return
        loss = self.output_mode.currentData()
        net = self.controller.document.network
        if loss != net.loss:
            self.controller.document.push(SetLoss(loss))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
