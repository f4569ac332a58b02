"""Loss functions for classification: edit a label and a prediction, see each Keras loss computed by Keras itself
beside the formula with its numbers, and see that the pairs that should agree do (or why they do not).

The formulas are cnnviz.core.lecture.losses.hand_loss (numpy, instant); Keras's loss objects run on the
TensorFlow lane (``state.background.tf``), so the window never waits for them. "Use a test image" runs the
app's current model on a test image of the bundled MNIST sample and puts its prediction and true label here.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from cnnviz.core.lecture.losses import (EPSILON, LossInputError, hand_loss, keras_losses, model_prediction, pairs,
                                        related_cases, softmax)

INTRO = ("Cross-entropy for one example, by hand and by Keras. Binary: one output p (after a sigmoid) or logit z. "
         "Multiclass: one probability (after a softmax) or logit per class, with the label one-hot "
         "(CategoricalCrossentropy) or an integer (SparseCategoricalCrossentropy). From probabilities Keras clips "
         f"each one to [ε, 1 − ε] with ε = {EPSILON:g} (so p = 0 costs −log ε ≈ 16.12, not infinity); logits are "
         "never clipped. Each number in the Keras column is Keras's own loss object; the formula beside it is ours.")
HEADERS = ("Keras loss object", "y_pred given to it", "Keras", "formula")


def _mono() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    return font


class LossSection(QGroupBox):
    """The editors and results of one task ("binary" or "multiclass"); emits ``edited`` when the input changes."""

    edited = Signal()

    def __init__(self, task: str, parent: QWidget | None = None) -> None:
        super().__init__("Binary classification (one sigmoid output)" if task == "binary" else
                         "Multiclass classification (softmax over the classes)", parent)
        self.task = task
        self.label = QSpinBox()
        self.label.setRange(0, 1 if task == "binary" else 2)
        self.given = QComboBox()
        self.given.addItem("probabilities", "probabilities")
        self.given.addItem("logits", "logits")
        self.classes = QSpinBox()
        self.classes.setRange(2, 20)
        self.classes.setValue(3)
        self.value_boxes: list[QDoubleSpinBox] = []
        self._values_row = QHBoxLayout()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.steps = QLabel()
        self.steps.setFont(_mono())
        self.steps.setWordWrap(True)
        self.pairs_label = QLabel()
        self.pairs_label.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.cases: tuple = ()
        self.hands: list = []
        self.keras: tuple[float, ...] | None = None

        editors = QHBoxLayout()
        editors.addWidget(QLabel("true label y"))
        editors.addWidget(self.label)
        if task == "multiclass":
            editors.addWidget(QLabel("classes"))
            editors.addWidget(self.classes)
        editors.addWidget(QLabel("prediction as"))
        editors.addWidget(self.given)
        editors.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(editors)
        layout.addLayout(self._values_row)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        layout.addWidget(self.steps)
        layout.addWidget(self.pairs_label)
        self._make_value_boxes([0.8] if task == "binary" else [0.7, 0.2, 0.1])
        self.label.setValue(1 if task == "binary" else 0)
        self.label.valueChanged.connect(self._on_edited)
        self.given.currentIndexChanged.connect(self._on_given_changed)
        self.classes.valueChanged.connect(self._on_classes_changed)

    # --- editors ----------------------------------------------------------------------------------------------
    def values(self) -> list[float]:
        return [b.value() for b in self.value_boxes]

    def given_form(self) -> str:
        return self.given.currentData()

    def _make_value_boxes(self, values) -> None:
        while self._values_row.count():
            item = self._values_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.value_boxes = []
        probs = self.given_form() == "probabilities"
        name = ("p" if probs else "z") if self.task == "binary" else ("p" if probs else "z")
        for k, v in enumerate(values):
            box = QDoubleSpinBox()
            box.setDecimals(6 if probs else 4)
            box.setRange(0.0, 1.0) if probs else box.setRange(-100.0, 100.0)
            box.setSingleStep(0.05 if probs else 0.5)
            box.setValue(float(v))
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._on_edited)
            self._values_row.addWidget(QLabel(name if self.task == "binary" else f"{name}{k}"))
            self._values_row.addWidget(box)
            self.value_boxes.append(box)
        self._values_row.addStretch(1)

    def set_prediction(self, given: str, values, label: int) -> None:
        """Show a prediction (e.g. a model's on a test image); emits ``edited`` once."""
        for w in (self.label, self.given, self.classes):
            w.blockSignals(True)
        self.given.setCurrentIndex(self.given.findData(given))
        if self.task == "multiclass":
            self.classes.setValue(len(values))
            self.label.setRange(0, len(values) - 1)
        self.label.setValue(int(label))
        for w in (self.label, self.given, self.classes):
            w.blockSignals(False)
        self._make_value_boxes(values)
        self._on_edited()

    @Slot()
    def _on_edited(self) -> None:
        self.edited.emit()

    @Slot(int)
    def _on_given_changed(self, _index: int) -> None:
        v = np.asarray(self.values(), np.float64)
        if self.given_form() == "logits":       # the same prediction written as logits, where it has them
            p = np.clip(v, 1e-6, 1 - 1e-6)
            new = np.log(p / (1 - p)) if self.task == "binary" else np.log(p) - np.log(p).mean()
        else:
            new = 1 / (1 + np.exp(-v)) if self.task == "binary" else np.asarray(softmax(v))
        self._make_value_boxes(np.round(new, 6))
        self._on_edited()

    @Slot(int)
    def _on_classes_changed(self, k: int) -> None:
        self.label.setRange(0, k - 1)
        probs = self.given_form() == "probabilities"
        self._make_value_boxes([round(1.0 / k, 6) if probs else 0.0] * k)
        self._on_edited()

    # --- results ----------------------------------------------------------------------------------------------
    def compute_hand(self) -> bool:
        """Hand formulas for the current input; False (and the message shown) when the input is invalid."""
        try:
            self.cases = related_cases(self.task, self.label.value(), self.values(), self.given_form())
            self.hands = [hand_loss(c) for c in self.cases]
        except LossInputError as exc:
            self.cases, self.hands = (), []
            self.error.setText(str(exc))
            self.error.show()
            self.table.setRowCount(0)
            self.steps.clear()
            self.pairs_label.clear()
            return False
        self.error.hide()
        self.keras = None
        self.table.setRowCount(len(self.cases))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height()
                                  + sum(self.table.rowHeight(r) for r in range(len(self.cases))) + 8)
        for row, (case, hand) in enumerate(zip(self.cases, self.hands)):
            pred = ", ".join(f"{v:.6g}" for v in case.values)
            for col, text in enumerate((case.keras_name, f"[{pred}], {case.label_text}", "computing…",
                                        f"{hand.loss:.6g}")):
                self.table.setItem(row, col, QTableWidgetItem(text))
        blocks = []
        for hand in self.hands:
            lines = [f"<b>{html.escape(hand.case.keras_name)}</b>: {html.escape(hand.formula)}"]
            lines += [html.escape(s) for s in hand.steps]
            blocks.append("<br>".join(lines))
        missing = ""
        if len(self.cases) < (2 if self.task == "binary" else 4):
            missing = ("<br><i>A probability of exactly 0 or 1 has no finite logit, so the from-logits loss is "
                       "not shown.</i>")
        self.steps.setText("<br><br>".join(blocks) + missing)
        self.pairs_label.setText("<i>Waiting for Keras…</i>")
        return True

    def show_keras(self, losses: tuple[float, ...]) -> None:
        self.keras = tuple(losses)
        for row, value in enumerate(losses):
            self.table.item(row, 2).setText(f"{value:.6g}")
        lines = []
        for pair in pairs(self.cases, self.hands):
            same, why = pair.verdict(losses[pair.a], losses[pair.b])
            mark = "✔" if same else "≠"
            lines.append(f"{mark} {html.escape(why)} ({losses[pair.a]:.6g} vs {losses[pair.b]:.6g})")
        hand_ok = all(abs(h.loss - k) <= 2e-6 + 2e-6 * abs(k) for h, k in zip(self.hands, losses))
        lines.append(("✔ every formula equals Keras's loss object (to float32 rounding)." if hand_ok else
                      "≠ a formula differs from Keras's loss object: please report this."))
        self.pairs_label.setText("<b>Pairs that should agree</b><br>" + "<br>".join(lines))


class LossView(QWidget):
    """Signals: ``keras_shown(str)`` the task whose Keras numbers were just shown; ``prediction_used(str)``."""

    keras_shown = Signal(str)
    prediction_used = Signal(str)

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._jobs = state.background.tf.client(self)
        self._jobs.finished.connect(self._on_job_finished)
        self._jobs.failed.connect(self._on_job_failed)
        self._test_index = 0
        self._shown_once = False
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.test_button = QPushButton("Use a test image with the current model")
        self.test_button.setToolTip("Run the current model on the next test image of the bundled MNIST sample and "
                                    "put its prediction and true label here")
        self.test_status = QLabel("No model yet: train or open one, or edit the numbers below.")
        self.test_status.setWordWrap(True)
        self.sections = {"binary": LossSection("binary"), "multiclass": LossSection("multiclass")}
        top = QHBoxLayout()
        top.addWidget(self.test_button)
        top.addWidget(self.test_status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        for section in self.sections.values():
            layout.addWidget(section)
            section.edited.connect(self._on_section_edited)
        layout.addStretch(1)
        self.test_button.clicked.connect(self.use_test_image)
        for section in self.sections.values():
            section.compute_hand()       # instant; Keras's numbers follow once the view is shown

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            for task in self.sections:
                self._submit(task)

    def _submit(self, task: str) -> None:
        section = self.sections[task]
        if section.cases:
            self._jobs.submit(task, _keras_job, task, section.cases)

    @Slot()
    def _on_section_edited(self) -> None:
        section = self.sender()
        if isinstance(section, LossSection) and section.compute_hand():
            self._submit(section.task)

    def use_prediction(self, task: str, given: str, values, label: int, description: str = "") -> None:
        """Put a model's prediction (probabilities or logits) and the true label into the ``task`` section."""
        self.sections[task].set_prediction(given, values, label)
        if description:
            self.test_status.setText(description)
        self.prediction_used.emit(task)

    @Slot()
    def use_test_image(self) -> None:
        current = self.state.model
        if current is None:
            self.test_status.setText("No current model: train one in the Training tab or open one (File menu).")
            return
        self.test_status.setText("Running the model on a test image…")
        self._jobs.submit("test image", _test_image_job, current.model, self._test_index, current.name)
        self._test_index += 1

    @Slot(str, object)
    def _on_job_finished(self, key: str, result) -> None:
        if key == "test image":
            task, given, values, label, description = result
            self.use_prediction(task, given, values, label, description)
            return
        task, cases, losses = result
        section = self.sections[task]
        if cases == section.cases:      # not an answer for an input since edited
            section.show_keras(losses)
            self.keras_shown.emit(task)

    @Slot(str, str, str)
    def _on_job_failed(self, key: str, message: str, _details: str) -> None:
        if key == "test image":
            self.test_status.setText(message)
        else:
            self.sections[key].pairs_label.setText(f"Keras could not compute these losses: {message}")


def _keras_job(task: str, cases) -> tuple:
    return task, cases, keras_losses(cases)


def _test_image_job(model, index: int, name: str) -> tuple:
    from cnnviz.core.data.datasets import load_mnist_sample
    from cnnviz.core.inspect.images import to_model_input

    data = load_mnist_sample()
    shape = tuple(int(d) for d in model.input_shape[1:])
    units = int(model.output_shape[-1])
    if units != len(data.class_names):
        raise LossInputError(f"The test images are the bundled MNIST sample ({len(data.class_names)} classes); "
                             f"{name} has {units} outputs.")
    i = index % len(data.x_test)
    image = to_model_input(data.x_test[i], shape)
    task, given, values = model_prediction(model, image)
    label = int(data.y_test[i])
    return task, given, values, label, (f"{name} on MNIST-sample test image {i} (true label {label}): its "
                                        f"{given} are below.")
