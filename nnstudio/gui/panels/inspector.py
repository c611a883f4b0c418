"""The inspector: edits the canvas selection through undo commands.

- one neuron: label, role, activation, bias, and its data binding (an input's feature, an
  output's target or class);
- one connection: its weight;
- several neurons: activation and bias for all of them at once (one undo step);
- nothing selected: the network summary (neurons by role, connections, parameters,
  levels), the loss, and the validation problems from ``Network.validate()``.

Every field shows the model's value and, when edited, pushes one command; the panel
refreshes from the model when the document says the network changed, so undo and redo
show up here too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QStackedWidget, QStyle, QVBoxLayout, QWidget)

from nnstudio.core import commands
from nnstudio.core.data import DataError, format_feature, parse_feature
from nnstudio.core.graph import ACTIVATIONS, LOSSES, ROLES, NetworkError
from nnstudio.gui.canvas.numbers import exact_number, parse_number

LOSS_TEXT = {
    "mse": "Mean squared error",
    "bce": "Binary cross-entropy",
    "cross_entropy": "Softmax cross-entropy",
    "ova": "One-versus-all",
}
LOSS_TIP = {
    "mse": "regression: outputs of any activation but softmax",
    "bce": "two classes: one sigmoid output",
    "cross_entropy": "K classes: one softmax output per class",
    "ova": "K classes: one sigmoid output per class, each its own binary classifier",
}
ROLE_TEXT = {"input": "Input", "hidden": "Hidden", "output": "Output"}
MIXED = "(mixed)"


def format_number(value: float) -> str:
    """Short, for the names of undo steps."""
    return f"{value:.6g}"


class NumberEdit(QLineEdit):
    """A line edit for one float. It shows the value exactly (:func:`exact_number`:
    0.2739233746429086, not 0.273923), so leaving the field without an edit, or typing
    the same number again, changes nothing; it emits ``sigValueEdited(float)`` when the
    user finishes typing a different number, and reverts on anything that is not a
    finite number (``sigInvalid`` says why)."""

    sigValueEdited = Signal(float)
    sigInvalid = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown = ""
        self._value: float | None = None
        self.editingFinished.connect(self._finish)

    def set_value(self, value: float | None) -> None:
        self._value = value
        self._shown = "" if value is None else exact_number(value)
        self.setText(self._shown)
        self.setCursorPosition(0)
        self.setToolTip("" if value is None else self._shown)
        self.setPlaceholderText(MIXED if value is None else "")

    def value(self) -> float | None:
        """The value shown (None: mixed)."""
        return self._value

    def _finish(self) -> None:
        text = self.text().strip()
        if text == self._shown:
            return
        if not text and self._value is None:
            return  # still mixed
        try:
            value = parse_number(text)
        except ValueError as e:
            self.setText(self._shown)
            self.sigInvalid.emit(str(e))
            return
        if value == self._value:  # "0.50" for 0.5: the same number, nothing to do
            self.setText(self._shown)
            return
        self.set_value(value)
        self.sigValueEdited.emit(value)


def _combo(items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    for data, text in items:
        box.addItem(text, data)
    return box


def _select(box: QComboBox, data) -> None:
    box.blockSignals(True)
    i = box.findData(data)
    if i < 0 and data is not None and box.isEditable():
        box.setEditText(str(data))
    else:
        box.setCurrentIndex(i)
        if box.isEditable() and data is None:
            box.setEditText("")
    box.blockSignals(False)


def _heading(text: str = "") -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


class InspectorPanel(QWidget):
    """Edits the selection of the canvas; the summary and problems when nothing is selected.

    ``sigStatus(str)`` explains a refused edit (shown in the status bar).
    """

    sigStatus = Signal(str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._neurons: list[int] = []
        self._connections: list[tuple[int, int]] = []
        self._choices: dict[str, list[str]] = {"features": [], "targets": []}

        self.title = _heading()
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.pages, 1)

        self._build_network_page()
        self._build_neuron_page()
        self._build_connection_page()

        document.sigNetworkChanged.connect(self.refresh)
        document.sigProjectReplaced.connect(lambda _p: self.set_selection([], []))
        self.refresh()

    # ------------------------------------------------------------------ pages
    def _build_network_page(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.summary_labels: dict[str, QLabel] = {}
        for key, text in (("inputs", "Input neurons"), ("hidden", "Hidden neurons"),
                          ("outputs", "Output neurons"), ("connections", "Connections"),
                          ("parameters", "Parameters"), ("levels", "Levels")):
            label = QLabel()
            label.setObjectName(f"summary-{key}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.summary_labels[key] = label
            form.addRow(text, label)
        self.loss_box = _combo([(loss, LOSS_TEXT[loss]) for loss in LOSSES])
        for i, loss in enumerate(LOSSES):
            self.loss_box.setItemData(i, LOSS_TIP[loss], Qt.ItemDataRole.ToolTipRole)
        self.loss_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.loss_box.setMinimumContentsLength(14)
        self.loss_box.setToolTip("The loss decides what the outputs mean; changing it also "
                                 "sets the output neurons' activation to match.")
        self.loss_box.currentIndexChanged.connect(self._loss_chosen)
        form.addRow("Loss", self.loss_box)
        form.addRow(_heading("Problems"))
        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setFrameShape(QFrame.Shape.NoFrame)
        form.addRow(self.problems)
        self.pages.addWidget(page)
        self.network_page = page

    def _build_neuron_page(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.label_edit = QLineEdit()
        self.label_edit.editingFinished.connect(self._label_edited)
        self.role_box = _combo([(r, ROLE_TEXT[r]) for r in ROLES])
        self.role_box.currentIndexChanged.connect(self._role_chosen)
        self.activation_box = _combo([(a, a) for a in ACTIVATIONS])
        self.activation_box.currentIndexChanged.connect(self._activation_chosen)
        self.bias_edit = NumberEdit()
        self.bias_edit.sigValueEdited.connect(self._bias_edited)
        self.bias_edit.sigInvalid.connect(self.sigStatus)
        self.feature_box = QComboBox()
        self.feature_box.setEditable(True)
        self.feature_box.setToolTip("The data column (or derived feature such as x^2 or "
                                    "x1*x2) this input reads")
        self.feature_box.lineEdit().editingFinished.connect(self._feature_edited)
        self.feature_box.activated.connect(lambda _i: self._feature_edited())
        self.target_box = QComboBox()
        self.target_box.setEditable(True)
        self.target_box.setToolTip("The target column (regression) or class label this "
                                   "output predicts")
        self.target_box.lineEdit().editingFinished.connect(self._target_edited)
        self.target_box.activated.connect(lambda _i: self._target_edited())
        self.links_label = QLabel()
        form.addRow("Label", self.label_edit)
        form.addRow("Role", self.role_box)
        form.addRow("Activation", self.activation_box)
        form.addRow("Bias", self.bias_edit)
        form.addRow("Feature", self.feature_box)
        form.addRow("Target", self.target_box)
        form.addRow("Connections", self.links_label)
        self._neuron_form = form
        self.pages.addWidget(page)
        self.neuron_page = page

    def _build_connection_page(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.weight_edit = NumberEdit()
        self.weight_edit.sigValueEdited.connect(self._weight_edited)
        self.weight_edit.sigInvalid.connect(self.sigStatus)
        form.addRow("Weight", self.weight_edit)
        self.pages.addWidget(page)
        self.connection_page = page

    # -------------------------------------------------------------- selection
    def set_selection(self, neuron_ids, connection_keys) -> None:
        """Follow the canvas selection (``sigSelectionChanged``)."""
        self._neurons = [int(n) for n in neuron_ids]
        self._connections = [tuple(k) for k in connection_keys]
        self.refresh()

    def set_data_choices(self, features: list[str], targets: list[str]) -> None:
        """Features and targets offered in the binding fields (from the dataset panel)."""
        self._choices = {"features": list(features), "targets": list(targets)}
        self.refresh()

    @property
    def net(self):
        return self.document.network

    def refresh(self) -> None:
        net = self.net
        self._neurons = [n for n in self._neurons if n in net]
        self._connections = [k for k in self._connections if net.has_connection(*k)]
        if self._neurons:
            self._show_neurons()
        elif len(self._connections) == 1:
            self._show_connection()
        elif self._connections:
            self._show_connections()
        else:
            self._show_network()

    def _show_network(self) -> None:
        net = self.net
        summary = net.summary()
        self.title.setText("Network")
        for key, label in self.summary_labels.items():
            value = summary[key]
            label.setText("— (the network has a cycle)" if value is None else str(value))
        _select(self.loss_box, net.loss)
        self.problems.clear()
        problems = self.document.problems()
        style = self.style()
        for p in problems:
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical
                                      if p.severity == "error"
                                      else QStyle.StandardPixmap.SP_MessageBoxWarning)
            item = QListWidgetItem(icon, p.message)
            item.setData(Qt.ItemDataRole.UserRole, list(p.neurons))
            item.setToolTip(f"{p.severity}: {p.message}")
            self.problems.addItem(item)
        if not problems:
            item = QListWidgetItem("No problems: the network can be trained.")
            item.setForeground(QColor("#2b7a3d"))
            self.problems.addItem(item)
        self.pages.setCurrentWidget(self.network_page)

    def _show_neurons(self) -> None:
        net = self.net
        neurons = [net.neuron(n) for n in self._neurons]
        single = len(neurons) == 1
        if single:
            n = neurons[0]
            self.title.setText(f"{ROLE_TEXT[n.role]} neuron {n.label} (#{n.id})")
        else:
            self.title.setText(f"{len(neurons)} neurons selected")

        def common(attr):
            values = {getattr(n, attr) for n in neurons}
            return values.pop() if len(values) == 1 else None

        self.label_edit.blockSignals(True)
        self.label_edit.setText(neurons[0].label if single else "")
        self.label_edit.setPlaceholderText("" if single else MIXED)
        self.label_edit.blockSignals(False)
        self.label_edit.setEnabled(single)
        self.role_box.setEnabled(single)
        _select(self.role_box, common("role"))
        _select(self.activation_box, common("activation"))
        all_inputs = all(n.role == "input" for n in neurons)
        self.activation_box.setEnabled(not all_inputs)
        self.activation_box.setToolTip("Inputs pass their feature value on unchanged"
                                       if all_inputs else "g(z) of this neuron")
        biases = {n.bias for n in neurons if n.role != "input"}
        self.bias_edit.set_value(biases.pop() if len(biases) == 1 else None)
        self.bias_edit.setEnabled(not all_inputs)

        role = neurons[0].role if single else None
        self._fill_choices(self.feature_box, self._choices["features"],
                           neurons[0].feature if single else None)
        self._fill_choices(self.target_box, self._choices["targets"],
                           neurons[0].target if single else None)
        self._neuron_form.setRowVisible(self.feature_box, role == "input")
        self._neuron_form.setRowVisible(self.target_box, role == "output")
        if single:
            n = neurons[0]
            self.links_label.setText(f"{len(net.incoming(n.id))} in, {len(net.outgoing(n.id))} out")
        self._neuron_form.setRowVisible(self.links_label, single)
        self.pages.setCurrentWidget(self.neuron_page)

    @staticmethod
    def _fill_choices(box: QComboBox, choices: list[str], value: str | None) -> None:
        box.blockSignals(True)
        box.clear()
        box.addItem("(none)", None)
        for c in choices:
            box.addItem(c, c)
        box.blockSignals(False)
        _select(box, value)

    def _show_connection(self) -> None:
        s, t = self._connections[0]
        net = self.net
        self.title.setText(f"Connection {net.neuron(s).label} → {net.neuron(t).label}")
        self.weight_edit.set_value(net.connection(s, t).weight)
        self.pages.setCurrentWidget(self.connection_page)

    def _show_connections(self) -> None:
        net = self.net
        self.title.setText(f"{len(self._connections)} connections selected")
        weights = {net.connection(*k).weight for k in self._connections}
        self.weight_edit.set_value(weights.pop() if len(weights) == 1 else None)
        self.pages.setCurrentWidget(self.connection_page)

    # ------------------------------------------------------------------ edits
    def _push(self, cmds: list, text: str) -> None:
        cmds = [c for c in cmds if c is not None]
        if not cmds:
            return
        try:
            self.document.push(cmds[0] if len(cmds) == 1 else commands.Macro(text, cmds))
        except NetworkError as e:
            self.sigStatus.emit(str(e))
        self.refresh()

    def _update(self, changes_for, text: str, skip_inputs: bool = False) -> None:
        """One UpdateNeuron per selected neuron whose fields would change."""
        cmds = []
        for nid in self._neurons:
            n = self.net.neuron(nid)
            if skip_inputs and n.role == "input":
                continue
            changes = {k: v for k, v in changes_for(n).items() if getattr(n, k) != v}
            if changes:
                cmds.append(commands.UpdateNeuron(nid, **changes))
        self._push(cmds, text)

    def _label_edited(self) -> None:
        if len(self._neurons) != 1:
            return
        label = self.label_edit.text().strip()
        if not label:
            self.sigStatus.emit("a neuron needs a label")
            self.refresh()
            return
        self._update(lambda n: {"label": label}, f"rename to {label}")

    def _role_chosen(self) -> None:
        role = self.role_box.currentData()
        if len(self._neurons) != 1 or role is None:
            return
        n = self.net.neuron(self._neurons[0])
        if role == n.role:
            return
        if role == "input" and self.net.incoming(n.id):
            self.sigStatus.emit(f"{n.label} has incoming connections, so it cannot be an input")
            self.refresh()
            return
        if role == "output" and self.net.outgoing(n.id):
            self.sigStatus.emit(f"{n.label} has outgoing connections, so it cannot be an output")
            self.refresh()
            return
        changes = {"role": role, "activation": self.net.default_activation(role)}
        if role != "input":
            changes["feature"] = None
        if role != "output":
            changes["target"] = None
        self._update(lambda _n: changes, f"make {n.label} {role}")

    def _activation_chosen(self) -> None:
        act = self.activation_box.currentData()
        if act is None:
            return
        self._update(lambda n: {"activation": act}, f"activation {act}", skip_inputs=True)

    def _bias_edited(self, value: float) -> None:
        self._update(lambda n: {"bias": value}, f"bias {format_number(value)}", skip_inputs=True)

    def _binding_text(self, box: QComboBox) -> str | None:
        text = box.currentText().strip()
        return None if text in ("", "(none)") else text

    def _feature_edited(self) -> None:
        if len(self._neurons) != 1:
            return
        value = self._binding_text(self.feature_box)
        if value is not None and value not in self._choices["features"]:
            try:  # a derived feature typed by hand: x^2, x1*x2
                value = format_feature(parse_feature(value))
            except DataError as e:
                self.sigStatus.emit(str(e))
                self.refresh()
                return
        self._update(lambda n: {"feature": value}, f"bind feature {value}")

    def _target_edited(self) -> None:
        if len(self._neurons) == 1:
            value = self._binding_text(self.target_box)
            self._update(lambda n: {"target": value}, f"bind target {value}")

    def _weight_edited(self, value: float) -> None:
        cmds = [commands.SetWeight(s, t, value) for s, t in self._connections
                if self.net.connection(s, t).weight != value]
        self._push(cmds, f"weight {format_number(value)}")

    def _loss_chosen(self) -> None:
        loss = self.loss_box.currentData()
        net = self.net
        if loss is None or loss == net.loss:
            return
        self._push([commands.SetLoss(loss)], f"loss {loss}")
