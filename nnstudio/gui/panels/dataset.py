"""The dataset panel: choose a CSV, see it, map its columns to the network's neurons.

- "Choose CSV..." reads the file (``core.data.read_csv``) and shows its columns and first
  rows. A problem with the file is shown as a message here, never a traceback.
- The target column (default: the last one) decides the task: regression, or
  classification with its classes. The task can be overridden.
- Feature columns are checked in a list; derived features (``x^2``, ``x1*x2``) can be
  added by hand or with the polynomial-degree helper.
- "Create inputs and outputs from data" makes the network match the data, as one undo
  step: one input neuron per feature (existing inputs are reused in id order and
  rebound), and the outputs: one for regression or a binary class, one per class for
  softmax / one-versus-all (the one-hot encoding is shown in a small table). It also
  sets the loss that goes with the outputs, and stores the
  :class:`~nnstudio.core.settings.DataBinding` on the project.

Choosing a file or a target binds the project to the data at once (undoably too), so the
binding saved with the network is always what the panel shows.

Selecting a row of the preview runs it through the network (:mod:`.sample`) and sends
every neuron's activation (``sigSampleActivations``) for the canvas to fill its neurons
with; the values follow edits of the network while the row stays selected. The selected
sample can be any row of the file (:meth:`DatasetPanel.select_row`, e.g. a point clicked in
a training view); the preview highlights it when it is one of the rows shown.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QScrollArea, QSizePolicy, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from nnstudio.core import commands
from nnstudio.core.data import (CLASSIFICATION, REGRESSION, DataError, Table, feature_values,
                                format_feature, load_dataset, parse_feature, polynomial_features,
                                read_csv)
from nnstudio.core.settings import DataBinding
from nnstudio.gui.panels.mapping import (OUTPUT_MODES, infer_target, io_commands, output_modes,
                                         output_spec)
from nnstudio.gui.panels.sample import SAMPLE_ERRORS, Sample, sample_activations

PREVIEW_ROWS = 20


class DatasetPanel(QWidget):
    """Choose and map a CSV.

    ``sigStatus(str)``: something to tell the user in the status bar.
    ``sigChoicesChanged(features, targets)``: the feature expressions and target values a
    neuron can be bound to (the inspector offers them).
    ``sigSampleActivations(object)``: every neuron's activation (``{id: value}``) on the
    selected row, or None when no row is selected or it cannot be computed.
    ``sigSampleRow(object)``: the selected row (0-based, file order) changed: an int, or
    None when no row is selected.
    """

    sigStatus = Signal(str)
    sigChoicesChanged = Signal(list, list)
    sigSampleActivations = Signal(object)
    sigSampleRow = Signal(object)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.table: Table | None = None
        self.path: str | None = None
        self.task: str | None = None
        self.classes: list[str] | None = None
        self._syncing = False
        #: the selected row run through the network (None: none selected)
        self.sample: Sample | None = None
        self._row: int | None = None          # the selected row (any row of the table)
        self._highlighting = False            # the preview follows _row: not a user's choice
        self._build(document)
        document.sigDataChanged.connect(self.sync_from_document)
        document.sigNetworkChanged.connect(self._update_create_hint)
        document.sigNetworkChanged.connect(lambda: self._update_sample(announce=False))
        self.sync_from_document(document.project.data)

    # ----------------------------------------------------------------- layout
    def _build(self, document) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(8, 6, 8, 6)

        top = QHBoxLayout()
        self.file_label = QLabel("No data bound.")
        self.file_label.setObjectName("dataset-file")
        self.file_label.setWordWrap(True)
        self.file_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choose_button = QPushButton("Choose CSV…")
        self.choose_button.setToolTip("Read a comma-separated file with a header line")
        self.choose_button.clicked.connect(self.choose_csv)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.choose_button)
        layout.addLayout(top)

        self.error_label = QLabel()
        self.error_label.setObjectName("dataset-error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #b2182b;")
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.preview = QTableWidget()
        self.preview.setObjectName("dataset-preview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().setDefaultSectionSize(20)
        self.preview.verticalHeader().setVisible(False)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.preview.setMinimumHeight(120)
        self.preview.setMaximumHeight(170)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.preview.setToolTip("Select a row to see every neuron's activation on it in the "
                                "canvas (hover a neuron for its value)")
        self.preview.itemSelectionChanged.connect(self._preview_selection_changed)
        layout.addWidget(self.preview)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.target_box = QComboBox()
        self.target_box.setObjectName("dataset-target")
        self.target_box.currentIndexChanged.connect(self._target_chosen)
        form.addRow("Target", self.target_box)
        self.task_box = QComboBox()
        self.task_box.addItem("Regression", REGRESSION)
        self.task_box.addItem("Classification", CLASSIFICATION)
        self.task_box.currentIndexChanged.connect(self._task_chosen)
        form.addRow("Task", self.task_box)
        self.task_label = QLabel()
        self.task_label.setObjectName("dataset-task")
        self.task_label.setWordWrap(True)
        form.addRow("", self.task_label)
        layout.addLayout(form)

        layout.addWidget(QLabel("Features (one input neuron each):"))
        self.features = QListWidget()
        self.features.setObjectName("dataset-features")
        self.features.setMinimumHeight(70)
        self.features.setMaximumHeight(110)
        self.features.itemChanged.connect(lambda _i: self._refresh_outputs())
        layout.addWidget(self.features)

        derived = QHBoxLayout()
        self.derived_edit = QLineEdit()
        self.derived_edit.setPlaceholderText("derived feature, e.g. x^2 or x1*x2")
        self.derived_edit.returnPressed.connect(self.add_derived_from_edit)
        add = QPushButton("Add")
        add.clicked.connect(self.add_derived_from_edit)
        derived.addWidget(self.derived_edit, 1)
        derived.addWidget(add)
        layout.addLayout(derived)

        poly = QHBoxLayout()
        poly.addWidget(QLabel("Polynomial degree"))
        self.degree_box = QSpinBox()
        self.degree_box.setRange(2, 9)
        self.degree_box.setValue(2)
        poly.addWidget(self.degree_box)
        self.poly_button = QPushButton("Add terms")
        self.poly_button.setToolTip("Add every product of the checked columns up to this degree")
        self.poly_button.clicked.connect(lambda: self.add_polynomial(self.degree_box.value()))
        poly.addWidget(self.poly_button)
        poly.addStretch(1)
        layout.addLayout(poly)

        out_form = QFormLayout()
        self.output_box = QComboBox()
        self.output_box.setObjectName("dataset-outputs")
        self.output_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.output_box.setMinimumContentsLength(12)
        self.output_box.currentIndexChanged.connect(lambda _i: self._refresh_encoding())
        out_form.addRow("Outputs", self.output_box)
        layout.addLayout(out_form)

        self.encoding_label = QLabel()
        self.encoding_label.setWordWrap(True)
        layout.addWidget(self.encoding_label)
        self.encoding = QTableWidget()
        self.encoding.setObjectName("dataset-encoding")
        self.encoding.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.encoding.verticalHeader().setDefaultSectionSize(20)
        self.encoding.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.encoding.setMaximumHeight(130)
        layout.addWidget(self.encoding)

        self.connect_check = QCheckBox("Connect every input to every output")
        self._connect_touched = False  # the user's choice wins over the suggestion
        self.connect_check.clicked.connect(lambda: setattr(self, "_connect_touched", True))
        document.sigProjectReplaced.connect(lambda _p: setattr(self, "_connect_touched", False))
        self.connect_check.setToolTip("A network with no hidden layer: linear or logistic "
                                      "regression, softmax regression")
        layout.addWidget(self.connect_check)
        self.create_button = QPushButton("Create inputs and outputs from data")
        self.create_button.setObjectName("dataset-create")
        self.create_button.clicked.connect(self.create_inputs_outputs)
        layout.addWidget(self.create_button)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.target_box, self.task_box, self.features, self.derived_edit,
                  self.degree_box, self.poly_button, self.output_box, self.connect_check,
                  self.create_button):
            w.setEnabled(on)

    # --------------------------------------------------------------- messages
    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self.sigStatus.emit(text)

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() or self.error_label.text() else ""

    # ------------------------------------------------------ the selected sample
    def selected_row(self) -> int | None:
        """The selected row (0-based, file order), or None."""
        return self._row

    def _preview_row(self) -> int | None:
        model = self.preview.selectionModel()
        rows = model.selectedRows() if model is not None else []
        return rows[0].row() if rows else None

    def select_row(self, row: int | None) -> None:
        """Select data row ``row`` (None: no row), as a click on it in the preview does;
        a row past the preview is selected too, just not highlighted."""
        if row is not None and (self.table is None or not 0 <= row < self.table.m):
            row = None
        self._highlight(row)
        self._set_row(row)

    def _highlight(self, row: int | None) -> None:
        """Show ``row`` selected in the preview (no selection when it is not shown)."""
        self._highlighting = True
        try:
            if row is not None and row < self.preview.rowCount():
                self.preview.selectRow(row)
                item = self.preview.item(row, 0)
                if item is not None:
                    self.preview.scrollToItem(item)
            else:
                self.preview.clearSelection()
        finally:
            self._highlighting = False

    def _preview_selection_changed(self) -> None:
        if not self._highlighting:
            self._set_row(self._preview_row())

    def _set_row(self, row: int | None) -> None:
        if row == self._row:
            return
        self._row = row
        self._update_sample()
        self.sigSampleRow.emit(row)

    def show_sample_again(self) -> None:
        """Send the selected row's activations (or None) again, e.g. after something else
        (live training) has filled the canvas meanwhile."""
        sample = self.sample
        self.sigSampleActivations.emit(None if sample is None else dict(sample.activations))

    def _update_sample(self, announce: bool = True) -> None:
        """Run the selected row through the network and send the activations (or None).
        ``announce``: say so in the status bar (a row was chosen, not the network edited)."""
        row = self._row
        sample = None
        if row is not None and self.table is not None:
            try:
                sample = sample_activations(self.document.project, self.table, row)
            except SAMPLE_ERRORS as e:
                if announce:
                    self.sigStatus.emit(f"Row {row + 1}: no activations to show: {_one_line(e)}")
        changed = (sample is None) != (self.sample is None) or (
            sample is not None and (sample.row != self.sample.row
                                    or sample.activations != self.sample.activations))
        self.sample = sample
        if not changed:
            return
        self.sigSampleActivations.emit(None if sample is None else dict(sample.activations))
        if sample is not None and announce:
            net = self.document.network
            outputs = ", ".join(f"{n.label} = {sample.activations[n.id]:.3g}"
                                for n in net.outputs() if n.id in sample.activations)
            scaled = " (inputs standardized)" if sample.scaled else ""
            self.sigStatus.emit(f"Row {row + 1} on the canvas{scaled}: {outputs}. Hover a "
                                "neuron for its activation.")

    # ---------------------------------------------------------------- loading
    def ask_csv_path(self) -> str | None:
        """Ask the user for a CSV (tests replace this)."""
        start = os.path.dirname(self.path) if self.path else self.document.base_dir
        path, _ = QFileDialog.getOpenFileName(self, "Choose a CSV file", start,
                                              "CSV files (*.csv);;All files (*)")
        return path or None

    def choose_csv(self) -> None:
        path = self.ask_csv_path()
        if path:
            self.load_csv(path)

    def load_csv(self, path: str | os.PathLike, target: str | None = None,
                 create: bool = False) -> bool:
        """Read ``path`` and bind the project to it (one undo step); with ``create`` also
        create the inputs and outputs in that same step. False (message shown, nothing
        changed) on a bad file."""
        path = os.path.abspath(os.fspath(path))
        name = os.path.basename(path)
        try:
            table = read_csv(path)
            target = target if target in table.columns else table.columns[-1]
            task, classes = infer_target(table, target)
        except (DataError, OSError) as e:
            self.show_error(f"Cannot use {name}: {_one_line(e)}")
            return False
        self.show_error("")
        stack = self.document.undo_stack
        stack.beginMacro(f"bind data {name}")
        try:
            self._show_table(table, path)
            self._set_mapping(target, task, classes, features=None)
            self._bind(f"bind data {name}")
            if create:
                self.create_inputs_outputs()
        finally:
            stack.endMacro()
        if not create:
            self.sigStatus.emit(f"Bound {name}: {table.m} rows, target '{target}' "
                                f"({self._task_text()})")
        return True

    def _show_table(self, table: Table, path: str) -> None:
        self._set_row(None)                  # a row of another table means nothing here
        self.table, self.path = table, path
        self.file_label.setText(f"<b>{Path(path).name}</b> — {table.m} rows, "
                                f"{len(table.columns)} columns")
        self.file_label.setToolTip(path)
        self.preview.clear()
        self.preview.setColumnCount(len(table.columns))
        self.preview.setHorizontalHeaderLabels(list(table.columns))
        rows = table.cells[:PREVIEW_ROWS]
        self.preview.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                item = QTableWidgetItem(cell)
                if _is_number(cell):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.preview.setItem(i, j, item)
        self.target_box.blockSignals(True)
        self.target_box.clear()
        self.target_box.addItems(list(table.columns))
        self.target_box.blockSignals(False)
        self._set_enabled(True)

    def _clear(self) -> None:
        self._set_row(None)
        self.table = self.path = self.task = self.classes = None
        self.file_label.setText("No data bound. Choose a CSV, or drop one on the window.")
        self.file_label.setToolTip("")
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        self.target_box.blockSignals(True)
        self.target_box.clear()
        self.target_box.blockSignals(False)
        self.features.clear()
        self.task_label.setText("")
        self._set_enabled(False)
        self._refresh_outputs()

    def _set_mapping(self, target: str, task: str, classes: list[str] | None,
                     features: list[str] | None) -> None:
        """Show ``target``/``task``; check ``features`` (default: the numeric columns)."""
        table = self.table
        self.task, self.classes = task, classes
        _set_current(self.target_box, target)
        _set_current_data(self.task_box, task)
        self.task_label.setText(self._task_text())
        self.features.blockSignals(True)
        self.features.clear()
        numeric = {c: table.is_numeric(c) for c in table.columns if c != target}
        chosen = features if features is not None else [c for c, ok in numeric.items() if ok]
        for c in numeric:
            self._add_feature_item(c, c in chosen, numeric[c])
        for f in chosen:
            if f not in numeric:
                self._add_feature_item(f, True, True)
        self.features.blockSignals(False)
        self._refresh_outputs()

    def _add_feature_item(self, name: str, checked: bool, usable: bool = True) -> QListWidgetItem:
        item = QListWidgetItem(name)
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
        if usable:
            flags |= Qt.ItemFlag.ItemIsEnabled
        else:
            item.setToolTip(f"'{name}' has values that are not numbers, so it cannot be a feature")
        item.setFlags(flags)
        item.setCheckState(Qt.CheckState.Checked if checked and usable else Qt.CheckState.Unchecked)
        self.features.addItem(item)
        return item

    def _task_text(self) -> str:
        if self.task == REGRESSION:
            return "regression: the output predicts a number"
        if self.classes:
            return f"classification, {len(self.classes)} classes: {', '.join(self.classes)}"
        return ""

    # ------------------------------------------------------------ the binding
    def binding(self) -> DataBinding | None:
        if self.table is None:
            return None
        target = self.target_box.currentText()
        return DataBinding(path=self.path, target=target, task=self.task,
                           classes=list(self.classes) if self.classes else None)

    def _binding_is_current(self) -> bool:
        new, old = self.binding(), self.document.project.data
        if old is None or new is None:
            return old is new
        return (self.document.data_path() == os.path.normpath(new.path) and old.target == new.target
                and old.task == new.task and old.classes == new.classes)

    def _bind(self, text: str) -> None:
        """Store what the panel shows as the project's binding (one undo step)."""
        if self._binding_is_current():
            return
        self._syncing = True
        try:
            self.document.set_data_binding(self.binding(), text)
        finally:
            self._syncing = False

    def sync_from_document(self, binding: DataBinding | None) -> None:
        """Show what the project is bound to (after Open, New, undo, redo)."""
        if self._syncing:
            return
        if binding is None:
            self._clear()
            self.show_error("")
            return
        path = self.document.data_path()
        if path != self.path or self.table is None:
            try:
                table = read_csv(path)
            except (DataError, OSError) as e:
                self._clear()
                self.file_label.setText(f"<b>{Path(path).name}</b> (bound, not readable)")
                self.show_error(f"The bound data cannot be read: {_one_line(e)}")
                return
            self.show_error("")
            self._show_table(table, path)
        features = [n.feature for n in self.document.network.inputs() if n.feature]
        task = binding.task
        classes = binding.classes
        if binding.target in self.table.columns:
            try:
                task, classes = infer_target(self.table, binding.target, task)
                if binding.classes:
                    classes = list(binding.classes)
            except DataError as e:
                self.show_error(_one_line(e))
        self._set_mapping(binding.target, task, classes, features or None)

    def _target_chosen(self) -> None:
        if self.table is None:
            return
        target = self.target_box.currentText()
        previous = self.checked_features()
        try:
            task, classes = infer_target(self.table, target)
        except DataError as e:
            self.show_error(_one_line(e))
            return
        self.show_error("")
        keep = [f for f in previous if target not in _columns_of(f)]
        self._set_mapping(target, task, classes, keep if previous else None)
        self._bind(f"target {target}")

    def _task_chosen(self) -> None:
        if self.table is None:
            return
        task = self.task_box.currentData()
        if task == self.task:
            return
        target = self.target_box.currentText()
        try:
            task, classes = infer_target(self.table, target, task)
        except DataError as e:
            self.show_error(_one_line(e))
            _set_current_data(self.task_box, self.task)
            return
        self.show_error("")
        self.task, self.classes = task, classes
        self.task_label.setText(self._task_text())
        self._refresh_outputs()
        self._bind(f"task {task}")

    # --------------------------------------------------------------- features
    def checked_features(self) -> list[str]:
        return [self.features.item(i).text() for i in range(self.features.count())
                if self.features.item(i).checkState() == Qt.CheckState.Checked]

    def all_features(self) -> list[str]:
        """Every usable feature in the list, checked or not."""
        items = (self.features.item(i) for i in range(self.features.count()))
        return [it.text() for it in items if it.flags() & Qt.ItemFlag.ItemIsEnabled]

    def add_feature(self, expr: str) -> bool:
        """Add a derived feature (``x^2``, ``x1*x2``), checked; False with a message if bad."""
        if self.table is None:
            self.show_error("Choose a CSV first.")
            return False
        try:
            name = expr.strip() if expr.strip() in self.table.columns else format_feature(parse_feature(expr))
            feature_values(self.table, name)  # every column exists and is numeric
        except DataError as e:
            self.show_error(_one_line(e))
            return False
        target = self.target_box.currentText()
        if target in _columns_of(name):
            self.show_error(f"'{target}' is the target, so it cannot be part of a feature")
            return False
        self.show_error("")
        existing = self.features.findItems(name, Qt.MatchFlag.MatchExactly)
        if existing:
            existing[0].setCheckState(Qt.CheckState.Checked)
        else:
            self._add_feature_item(name, True)
        self._refresh_outputs()
        return True

    def add_derived_from_edit(self) -> None:
        if self.add_feature(self.derived_edit.text()):
            self.derived_edit.clear()

    def add_polynomial(self, degree: int) -> None:
        """Every monomial of the checked plain columns up to ``degree``, checked."""
        if self.table is None:
            return
        columns = [f for f in self.checked_features() if f in self.table.columns]
        if not columns:
            self.show_error("Check at least one plain column to build polynomial terms from.")
            return
        try:
            terms = polynomial_features(columns, degree)
        except DataError as e:
            self.show_error(_one_line(e))
            return
        for term in terms:
            self.add_feature(term)
        self.sigStatus.emit(f"{len(terms)} polynomial features of degree up to {degree} "
                            f"from {', '.join(columns)}")

    # ---------------------------------------------------------------- outputs
    def _refresh_outputs(self) -> None:
        mode = self.output_box.currentData()
        self.output_box.blockSignals(True)
        self.output_box.clear()
        if self.task:
            for key, text in output_modes(self.task, self.classes):
                self.output_box.addItem(text, key)
                self.output_box.setItemData(self.output_box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
            wanted = mode if self.output_box.findData(mode) >= 0 else self._mode_of_network()
            _set_current_data(self.output_box, wanted)
        self.output_box.blockSignals(False)
        self._refresh_encoding()
        self._update_create_hint()
        self.sigChoicesChanged.emit(self.all_features() if self.table else [],
                                    self._target_choices())

    def _target_choices(self) -> list[str]:
        if self.table is None:
            return []
        if self.task == REGRESSION:
            return [self.target_box.currentText()]
        return list(self.classes or [])

    def _mode_of_network(self) -> str | None:
        """The output mode the network already has, so the default keeps it."""
        net = self.document.network
        k = len(net.outputs())
        if self.task == CLASSIFICATION and self.classes:
            if net.loss == "bce" and k == 1 and len(self.classes) == 2:
                return "binary"
            if net.loss == "ova":
                return "ova"
        return None

    def output_mode(self) -> str | None:
        return self.output_box.currentData()

    def set_output_mode(self, mode: str) -> None:
        _set_current_data(self.output_box, mode)

    def _refresh_encoding(self) -> None:
        mode = self.output_box.currentData()
        table = self.encoding
        table.clear()
        if not mode or self.table is None:
            self.encoding_label.setText("")
            table.setRowCount(0)
            table.setColumnCount(0)
            table.hide()
            return
        target = self.target_box.currentText()
        spec = output_spec(mode, target, self.classes)
        if mode == "linear":
            self.encoding_label.setText(f"The output neuron predicts the value of '{target}'.")
            table.hide()
            return
        if mode == "binary":
            self.encoding_label.setText(f"Target for the output: 1 for '{self.classes[1]}', "
                                        f"0 for '{self.classes[0]}'.")
        else:
            self.encoding_label.setText("One-hot encoding: each class sets its own output to 1.")
        table.setRowCount(len(self.classes))
        table.setColumnCount(len(spec))
        table.setHorizontalHeaderLabels([label for label, _t in spec])
        table.setVerticalHeaderLabels(list(self.classes))
        for i, cls in enumerate(self.classes):
            for j, (_label, bound) in enumerate(spec):
                one = (bound == cls)
                item = QTableWidgetItem("1" if one else "0")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if one:
                    item.setBackground(QColor("#e6eef7"))
                table.setItem(i, j, item)
        rows_height = 20 * len(self.classes) + table.horizontalHeader().sizeHint().height() + 4
        table.setFixedHeight(min(rows_height, 130))
        table.show()

    def _update_create_hint(self) -> None:
        """Suggest direct input-output connections while there is no hidden layer."""
        if not self._connect_touched:
            net = self.document.network
            self.connect_check.setChecked(not net.hidden())

    # ----------------------------------------------------------------- create
    def create_inputs_outputs(self) -> bool:
        """Make the network's inputs and outputs match the data (one undo step)."""
        if self.table is None:
            self.show_error("Choose a CSV first.")
            return False
        features = self.checked_features()
        target = self.target_box.currentText()
        mode = self.output_box.currentData()
        if not features:
            self.show_error("Check at least one feature column.")
            return False
        try:
            load_dataset(self.table, features=features, target=target, task=self.task,
                         classes=self.classes if self.task == CLASSIFICATION else None)
        except DataError as e:
            self.show_error(_one_line(e))
            return False
        self.show_error("")
        loss, activation = OUTPUT_MODES[mode]
        spec = output_spec(mode, target, self.classes)
        net = self.document.network
        cmds = io_commands(net, features, spec, loss, activation, self.connect_check.isChecked())
        name = Path(self.path).name
        if not cmds and self._binding_is_current():
            self.sigStatus.emit(f"The inputs and outputs already match {name}")
            return True
        text = f"create inputs and outputs from {name}"
        stack = self.document.undo_stack
        stack.beginMacro(text)
        try:
            if cmds:
                self.document.push(commands.Macro(text, cmds))
            self._bind(text)
        finally:
            stack.endMacro()
        self.sigStatus.emit(f"{len(features)} inputs and {len(spec)} output"
                            f"{'s' if len(spec) != 1 else ''} match {Path(self.path).name}")
        return True


# ------------------------------------------------------------------- helpers
def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns_of(expr: str) -> list[str]:
    try:
        return [name for name, _p in parse_feature(expr)]
    except DataError:
        return [expr]


def _set_current(box: QComboBox, text: str) -> None:
    box.blockSignals(True)
    box.setCurrentIndex(box.findText(text))
    box.blockSignals(False)


def _set_current_data(box: QComboBox, data) -> None:
    box.blockSignals(True)
    i = box.findData(data)
    box.setCurrentIndex(i if i >= 0 else (0 if box.count() else -1))
    box.blockSignals(False)
