"""Receptive fields on the Builder's model: click a cell of any layer and see the pixels it sees.

The box comes from the layer arithmetic (:mod:`cnnviz.core.model.receptive_field`); "Effective field" asks the
model itself, on the TensorFlow lane, how much each pixel moves that cell (its gradient). The table gives each
layer's field size and jump with the recurrence written out, and the weights a dense layer would need for the
same mapping: the lecture's sparse connectivity and parameter sharing in numbers.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from cnnviz.core.model.receptive_field import (ReceptiveFieldError, dense_equivalent, field_table,
                                               receptive_box)
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.qt.concurrency import JobClient
from cnnviz.qt.inspector.number_grid import NumberGrid
from cnnviz.qt.state import AppState


def _effective(spec, model, layer_name: str, row: int, col: int, image: np.ndarray):
    """On the TensorFlow lane: the current model when it takes this input, else the spec freshly built."""
    from cnnviz.core.inspect.receptive import effective_field
    from cnnviz.core.model.build import build_model

    which = "the current model"
    if model is None or tuple(model.input_shape[1:]) != tuple(spec.input_shape) or \
            layer_name not in [la.name for la in model.layers]:
        model, which = build_model(spec, seed=0), "the Builder's model with fresh random weights"
    return effective_field(model, layer_name, row, col, image), which


class ReceptiveFieldView(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.spec = None
        self.cell = (0, 0)
        self._image: np.ndarray | None = None
        self._jobs = JobClient(state.background.tf, self)
        self._jobs.finished.connect(self._on_job_finished)
        self._jobs.failed.connect(self._on_job_failed)

        self.layer = QComboBox()
        self.layer.setToolTip("the layer whose cells you click")
        self.cells = NumberGrid(max_cell=22, min_cell=4)
        self.cells.show_numbers = False
        self.cells.setToolTip("one cell of the layer's feature maps (every channel has the same field): click one")
        self.picture = NumberGrid(max_cell=22, min_cell=4)
        self.picture.show_numbers = False
        self.picture.setToolTip("the input image: the outlined box holds every pixel the cell can see")
        self.effective_button = QPushButton("Effective field (gradient)")
        self.effective_button.setToolTip("how much each pixel moves the cell: |d cell / d pixel| for the current "
                                         "model (or the Builder's model with random weights), on this image")
        self.effective = NumberGrid(max_cell=22, min_cell=4)
        self.effective.show_numbers = False
        self.effective.setToolTip("|gradient| of the cell with respect to each pixel: zero outside the box")
        self.box_text = QLabel()
        self.box_text.setWordWrap(True)
        self.dense_text = QLabel()
        self.dense_text.setWordWrap(True)
        self.effective_text = QLabel("Press \u201cEffective field\u201d to ask the model itself.")
        self.effective_text.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["layer", "field (rows x cols)", "jump", "how"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip("receptive field after each layer: size_out = size_in + (k - 1)\u00b7d\u00b7jump_in, "
                              "jump_out = jump_in\u00b7s")

        intro = QLabel("A cell of a feature map sees only part of the image, its <b>local receptive field</b>; "
                       "deeper layers see more (a <b>feature hierarchy</b>). Each cell is computed from its field "
                       "with the <b>same</b> kernel (parameter sharing) and from nothing else (sparse "
                       "connectivity), which is why a convolution needs so few weights.")
        intro.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer, 1)
        top.addWidget(self.effective_button)
        grids = QHBoxLayout()
        for title, grid in (("cells of the layer", self.cells), ("the image and the cell's field", self.picture),
                            ("effective field", self.effective)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(grid)
            grids.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(grids, 2)
        layout.addWidget(self.box_text)
        layout.addWidget(self.effective_text)
        layout.addWidget(self.dense_text)
        layout.addWidget(self.table, 1)

        self.layer.currentIndexChanged.connect(self._on_layer_changed)
        self.cells.cell_clicked.connect(self.select_cell)
        self.effective_button.clicked.connect(self._on_effective_clicked)
        if state.document is not None:
            state.document.spec_changed.connect(self._on_spec_changed)
            self._on_spec_changed()

    # ------------------------------------------------------------------------------------------------ API
    def set_spec(self, spec) -> None:
        self.spec = spec
        report = infer_shapes(spec)
        current = self.layer.currentText()
        self.layer.blockSignals(True)
        self.layer.clear()
        for shape in report.layers:
            if shape.output is not None:
                self.layer.addItem(f"{shape.name}  ({'x'.join(map(str, shape.output))})", shape.index)
        at = self.layer.findText(current)
        self.layer.setCurrentIndex(at if at >= 0 else 0)
        self.layer.blockSignals(False)
        self._image = None
        self._fill_table()
        self._on_layer_changed()

    def select_layer(self, name: str) -> None:
        for i in range(self.layer.count()):
            if self.layer.itemText(i).split()[0] == name:
                self.layer.setCurrentIndex(i)
                return
        raise KeyError(name)

    @Slot(int, int)
    def select_cell(self, row: int, col: int) -> None:
        if self.spec is None or self.layer.currentIndex() < 0:
            return
        self.cell = (row, col)
        index = self.layer.currentData()
        try:
            box = receptive_box(self.spec, index, row, col)
        except ReceptiveFieldError as exc:
            self.box_text.setText(str(exc))
            return
        self.box = box
        self.cells.set_highlight((row, col, 1, 1))
        name = self.layer.currentText().split()[0]
        if box.whole_image:
            self.picture.set_highlight((0, 0, box.height, box.width))
            self.box_text.setText(f"Every unit of {name} reads every input: its field is the whole image.")
        elif box.empty:
            self.picture.set_highlight(None)
            self.box_text.setText(f"Cell ({row}, {col}) of {name} reads padding zeros only: it sees no pixel.")
        else:
            self.picture.set_highlight((box.top, box.left, box.height, box.width))
            t, l, b, r = box.unclipped
            clip = "" if (t, l, b, r) == (box.top, box.left, box.bottom, box.right) else \
                f" (rows {t}..{b}, columns {l}..{r} before clipping: the rest is padding)"
            self.box_text.setText(f"Cell ({row}, {col}) of {name} sees image rows {box.top}..{box.bottom} and "
                                  f"columns {box.left}..{box.right}: {box.height}x{box.width} pixels{clip}.")
        self.effective.set_data(np.zeros(self.picture.values.shape), 0, 1, "heat")
        self.effective_text.setText("Press \u201cEffective field\u201d to ask the model itself.")

    # ------------------------------------------------------------------------------------------ internals
    def _input_image(self) -> np.ndarray:
        if self._image is None:
            h, w, c = self.spec.input_shape
            image = np.tile(np.linspace(0.2, 0.8, w), (h, 1))[:, :, None].repeat(c, axis=2)
            if (h, w, c) == (28, 28, 1):
                try:
                    from cnnviz.core.data.datasets import load_mnist_sample

                    image = load_mnist_sample().x_test[0].astype(np.float32) / 255.0
                except Exception:   # noqa: BLE001 - no sample bundled: the plain gradient serves as well
                    pass
            self._image = image
        return self._image

    @Slot()
    def _on_spec_changed(self) -> None:
        self.set_spec(self.state.document.spec)

    def _fill_table(self) -> None:
        rows = field_table(self.spec)
        self.table.setRowCount(len(rows))
        for r, f in enumerate(rows):
            values = (f.name, "whole image" if f.size is None else f"{f.size[0]} x {f.size[1]}",
                      "" if f.jump is None else f"{f.jump[0]} x {f.jump[1]}", f.formula)
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()

    @Slot()
    def _on_layer_changed(self, *_) -> None:
        if self.spec is None or self.layer.currentIndex() < 0:
            return
        index = self.layer.currentData()
        shape = infer_shapes(self.spec).layers[index].output
        image = self._input_image()
        self.picture.set_data(image.mean(axis=2), 0.0, float(max(image.max(), 1e-6)), "gray")
        if len(shape) == 3:
            self.cells.set_data(np.full(shape[:2], 0.85), 0, 1, "gray")
            self.cells.setEnabled(True)
        else:
            self.cells.set_data(np.zeros((1, shape[0] if shape[0] <= 32 else 1)), 0, 1, "gray")
            self.cells.setEnabled(False)
        self.effective_button.setEnabled(len(shape) == 3)
        layer = self.spec.layers[index]
        conn = dense_equivalent(self.spec, index)
        if layer.layer_kind.role == "conv":
            self.dense_text.setText(f"{layer.name} has {conn.layer_params:,} weights. A dense layer making the same "
                                    f"mapping: {conn.formula}, {conn.ratio:,.0f} times as many.")
        else:
            self.dense_text.setText(f"{layer.name}: {conn.layer_params:,} weights (a dense layer from its input to "
                                    f"its output would need {conn.dense_params:,}).")
        rows, cols = (shape[0], shape[1]) if len(shape) == 3 else (1, 1)
        self.select_cell(min(self.cell[0], rows - 1), min(self.cell[1], cols - 1))

    @Slot()
    def _on_effective_clicked(self) -> None:
        name = self.layer.currentText().split()[0]
        model = self.state.model.model if self.state.model is not None else None
        self.effective_text.setText("Computing the gradient\u2026")
        self._jobs.submit("effective", _effective, self.spec, model, name, *self.cell, self._input_image())

    @Slot(str, object)
    def _on_job_finished(self, key: str, result) -> None:
        field, which = result
        self.effective.set_data(field, 0.0, float(max(field.max(), 1e-12)), "heat")
        box = self.box
        self.effective.set_highlight(None if box.empty else (box.top, box.left, box.height, box.width))
        inside = np.zeros(field.shape, bool)
        if not box.empty:
            inside[box.top:box.bottom + 1, box.left:box.right + 1] = True
        share = float(field[inside].sum() / max(field.sum(), 1e-30))
        self.effective_text.setText(f"Gradient of {which}: {share:.0%} of it falls inside the box "
                                    f"(the rest: {int((field[~inside] > 0).sum())} pixels outside); brighter pixels "
                                    "move the cell more.")

    @Slot(str, str, str)
    def _on_job_failed(self, key: str, message: str, details: str) -> None:
        self.effective_text.setText(f"Could not compute the gradient: {message}")
