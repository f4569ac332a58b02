"""Several channels and pooling, the lecture's worked examples one cell at a time.

Top: a 5x5x3 RGB image and one 3x3x3 kernel. The window sits at the same place in all three colour channels, each
kernel slice meets its own channel, the three sums plus the bias make one output cell (a one-channel feature map).
Bottom: max or average pooling of an editable feature map, window by window. The numbers are the core's steppers
(:mod:`cnnviz.core.lecture.channels`); the tests check them against TensorFlow and Keras's pooling layers.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from cnnviz.core.lecture.channels import (CHANNEL_EXAMPLES, CHANNEL_NAMES, POOL_EXAMPLES, RGB_IMAGE, RGB_KERNEL,
                                          PoolExample, channel_formula, pool_formula, pool_stepper, rgb_stepper)
from cnnviz.qt.inspector.colors import symmetric_range
from cnnviz.qt.inspector.number_grid import NumberGrid

from .conv2d_view import matrix_text, parse_matrix

_CHANNEL_CMAPS = ("reds", "greens", "blues")


def _boxed(title: str, widget: QWidget, tip: str = "") -> QGroupBox:
    box = QGroupBox(title)
    box.setToolTip(tip)
    lay = QVBoxLayout(box)
    lay.setContentsMargins(4, 4, 4, 4)
    lay.addWidget(widget)
    return box


class _Steps(QWidget):
    """Back / Step / a slider over the output cells; ``moved(n)`` is the callback."""

    def __init__(self, moved, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.back_button = QPushButton("\u25c0 Back")
        self.step_button = QPushButton("Step \u25b6")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("which output cell is computed")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.back_button)
        lay.addWidget(self.step_button)
        lay.addWidget(self.slider, 1)
        self.back_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() - 1))
        self.step_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() + 1))
        self.slider.valueChanged.connect(moved)

    def reset(self, count: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def show_position(self, n: int, count: int) -> None:
        self.back_button.setEnabled(n > 0)
        self.step_button.setEnabled(n < count - 1)


class ChannelsPoolingView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conv_stepper = None
        self.conv_step = None
        self.conv_output = np.zeros((1, 1))
        self.pool_stepper_ = None
        self.pool_step = None
        self.pool_output = np.zeros((1, 1))

        # ------------------------------------------------------------------------------ several channels
        self.rgb_example = QComboBox()
        for key, ex in CHANNEL_EXAMPLES.items():
            self.rgb_example.addItem(ex.title, key)
        self.rgb_example.setToolTip("one click sets the stride and the padding of the lecture's RGB example")
        self.rgb_stride = QSpinBox()
        self.rgb_stride.setRange(1, 3)
        self.rgb_stride.setToolTip("the step between two windows")
        self.rgb_padding = QComboBox()
        self.rgb_padding.addItems(["valid", "same"])
        self.rgb_padding.setToolTip("valid: windows inside the image; same: zeros around every channel, output as "
                                    "big as the image (at stride 1)")
        self.channel_grids = [NumberGrid(max_cell=34, show_indices=True) for _ in CHANNEL_NAMES]
        self.kernel_grids = [NumberGrid(max_cell=34) for _ in CHANNEL_NAMES]
        self.sum_labels = [QLabel() for _ in CHANNEL_NAMES]
        self.rgb_out = NumberGrid(max_cell=34, show_indices=True)
        self.rgb_formula = QLabel()
        self.rgb_formula.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.rgb_formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rgb_note = QLabel()
        self.rgb_note.setWordWrap(True)
        self.rgb_steps = _Steps(self._show_conv)

        rgb_box = QGroupBox("Several channels: a 3\u00d73\u00d73 kernel on an RGB image")
        rgb = QVBoxLayout(rgb_box)
        intro = QLabel("The kernel has the image's depth. Its red slice meets the red channel, its green slice the "
                       "green one, its blue slice the blue one, all at the same window. The three sums and the "
                       "bias add up to one number, so one kernel makes one feature map; a layer with 32 kernels "
                       "makes 32 (the MNIST CNN's conv_1).")
        intro.setWordWrap(True)
        rgb.addWidget(intro)
        form = QHBoxLayout()
        for w in (QLabel("Example"), self.rgb_example, QLabel("Stride"), self.rgb_stride, QLabel("Padding"),
                  self.rgb_padding):
            form.addWidget(w)
        form.addStretch(1)
        rgb.addLayout(form)
        grid = QGridLayout()
        for c, name in enumerate(CHANNEL_NAMES):
            grid.addWidget(_boxed(f"{name} channel, the window", self.channel_grids[c],
                                  f"the image's {name} channel (hatched: zero padding)"), 0, c)
            grid.addWidget(_boxed(f"\u00d7 kernel slice {name}", self.kernel_grids[c],
                                  f"the kernel's weights for the {name} channel"), 1, c)
            grid.addWidget(self.sum_labels[c], 2, c)
            self.channel_grids[c].setMinimumSize(140, 140)
            self.kernel_grids[c].setMinimumSize(100, 100)
            grid.setColumnStretch(c, 1)
        grid.addWidget(_boxed("= one feature map (click a cell)", self.rgb_out,
                              "the output so far: one channel, whatever the input's depth"), 0, 3, 2, 1)
        self.rgb_out.setMinimumSize(140, 140)
        grid.setColumnStretch(3, 1)
        rgb.addLayout(grid)
        rgb.addWidget(self.rgb_steps)
        rgb.addWidget(self.rgb_formula)
        rgb.addWidget(self.rgb_note)

        # ------------------------------------------------------------------------------------------ pooling
        self.pool_example = QComboBox()
        for key, ex in POOL_EXAMPLES.items():
            self.pool_example.addItem(ex.title, key)
        self.pool_example.setToolTip("one click sets the feature map, the window, the stride and the mode")
        self.pool_mode = QComboBox()
        self.pool_mode.addItem("max", "max")
        self.pool_mode.addItem("average", "average")
        self.pool_size = QSpinBox()
        self.pool_size.setRange(1, 4)
        self.pool_size.setToolTip("the window: pool_size x pool_size")
        self.pool_stride = QSpinBox()
        self.pool_stride.setRange(1, 4)
        self.pool_stride.setToolTip("the step between windows (Keras's default: the window's size)")
        self.pool_padding = QComboBox()
        self.pool_padding.addItems(["valid", "same"])
        self.pool_edit = QPlainTextEdit()
        self.pool_edit.setFixedHeight(96)
        self.pool_edit.setTabChangesFocus(True)
        self.pool_edit.setToolTip("the feature map to pool: one row per line, numbers separated by spaces")
        self.pool_error = QLabel()
        self.pool_error.setStyleSheet("color: #b00020")
        self.pool_error.setWordWrap(True)
        self.pool_in = NumberGrid(max_cell=40, show_indices=True)
        self.pool_out = NumberGrid(max_cell=40, show_indices=True)
        self.pool_formula = QLabel()
        self.pool_formula.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.pool_formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pool_note = QLabel()
        self.pool_note.setWordWrap(True)
        self.pool_steps = _Steps(self._show_pool)

        pool_box = QGroupBox("Pooling: max or average of each window")
        pool = QVBoxLayout(pool_box)
        pool_intro = QLabel("Pooling shrinks a feature map. Max pooling keeps each window's largest value, average "
                            "pooling its mean; usually 2\u00d72 windows with stride 2, which halve the rows and the "
                            "columns (the MNIST CNN's pool_1: 28\u00d728 \u2192 14\u00d714). Pooling has no weights "
                            "and works on each channel separately.")
        pool_intro.setWordWrap(True)
        pool.addWidget(pool_intro)
        pform = QGridLayout()
        pform.addWidget(QLabel("Example"), 0, 0)
        pform.addWidget(self.pool_example, 0, 1, 1, 7)
        for n, (text, w) in enumerate((("Mode", self.pool_mode), ("Window", self.pool_size),
                                       ("Stride", self.pool_stride), ("Padding", self.pool_padding))):
            pform.addWidget(QLabel(text), 1, 2 * n)
            pform.addWidget(w, 1, 2 * n + 1)
        pform.addWidget(QLabel("Feature map"), 2, 0)
        pform.addWidget(self.pool_edit, 2, 1, 1, 7)
        pool.addLayout(pform)
        pool.addWidget(self.pool_error)
        pgrids = QHBoxLayout()
        pgrids.addWidget(_boxed("Feature map, the window (red: the maximum)", self.pool_in,
                                "the map being pooled; the outlined window makes the current output cell"), 1)
        pgrids.addWidget(_boxed("Pooled (click a cell)", self.pool_out, "the pooled map so far"), 1)
        for g in (self.pool_in, self.pool_out):
            g.setMinimumSize(160, 160)
        pool.addLayout(pgrids)
        pool.addWidget(self.pool_steps)
        pool.addWidget(self.pool_formula)
        pool.addWidget(self.pool_note)

        layout = QVBoxLayout(self)
        layout.addWidget(rgb_box)
        layout.addWidget(pool_box)

        self.rgb_example.currentIndexChanged.connect(self._on_rgb_example_changed)
        self.rgb_stride.valueChanged.connect(self._on_rgb_changed)
        self.rgb_padding.currentIndexChanged.connect(self._on_rgb_changed)
        self.rgb_out.cell_clicked.connect(self.go_to_conv)
        self.pool_example.currentIndexChanged.connect(self._on_pool_example_changed)
        self.pool_mode.currentIndexChanged.connect(self._on_pool_changed)
        self.pool_size.valueChanged.connect(self._on_pool_changed)
        self.pool_stride.valueChanged.connect(self._on_pool_changed)
        self.pool_padding.currentIndexChanged.connect(self._on_pool_changed)
        self.pool_edit.textChanged.connect(self._on_pool_changed)
        self.pool_out.cell_clicked.connect(self.go_to_pool)
        self._on_rgb_example_changed()
        self._on_pool_example_changed()

    # ----------------------------------------------------------------------------------------------- API
    def load_example(self, key: str) -> None:
        """One click: an RGB example (``rgb``, ``rgb_same``, ``rgb_stride2``) or a pooling example
        (``max``, ``average``, ...). KeyError for an unknown key."""
        if key in CHANNEL_EXAMPLES:
            self.rgb_example.setCurrentIndex(self.rgb_example.findData(key))
            self._on_rgb_example_changed()
        elif key in POOL_EXAMPLES:
            self.pool_example.setCurrentIndex(self.pool_example.findData(key))
            self._on_pool_example_changed()
        else:
            raise KeyError(f"no channels or pooling example {key!r}; known: "
                           f"{', '.join([*CHANNEL_EXAMPLES, *POOL_EXAMPLES])}")

    def go_to_conv(self, i: int, j: int) -> None:
        if self.conv_stepper is not None:
            self.rgb_steps.slider.setValue(i * self.conv_stepper.output_shape[1] + j)

    def go_to_pool(self, i: int, j: int) -> None:
        if self.pool_stepper_ is not None:
            self.pool_steps.slider.setValue(i * self.pool_stepper_.output_shape[1] + j)

    # --------------------------------------------------------------------------------------- channels
    def _on_rgb_example_changed(self, *_) -> None:
        ex = CHANNEL_EXAMPLES[self.rgb_example.currentData()]
        for w in (self.rgb_stride, self.rgb_padding):
            w.blockSignals(True)
        self.rgb_stride.setValue(ex.stride)
        self.rgb_padding.setCurrentText(ex.padding)
        for w in (self.rgb_stride, self.rgb_padding):
            w.blockSignals(False)
        self._on_rgb_changed()
        self.rgb_note.setText(self.rgb_note.text() + " " + ex.note)

    def _on_rgb_changed(self, *_) -> None:
        stride, padding = self.rgb_stride.value(), self.rgb_padding.currentText()
        self.conv_stepper = st = rgb_stepper(stride=stride, padding=padding)
        self.conv_output = np.array([s.value for s in st]).reshape(st.output_shape)
        h, w = RGB_IMAGE.shape[:2]
        top, bottom, left, right = st.pads
        oh, ow = st.output_shape
        self.rgb_note.setText(f"Image 5\u00d75\u00d73, kernel 3\u00d73\u00d73, stride {stride}, '{padding}': "
                              f"o = \u230a({h} + {top + bottom} \u2212 3) / {stride}\u230b + 1 = {oh} rows, "
                              f"\u230a({w} + {left + right} \u2212 3) / {stride}\u230b + 1 = {ow} columns, "
                              f"1 channel. Weights: 3\u00b73\u00b73 + 1 bias = 28.")
        klo, khi = symmetric_range(RGB_KERNEL)
        for c in range(len(CHANNEL_NAMES)):
            self.kernel_grids[c].set_data(RGB_KERNEL[:, :, c, 0], klo, khi, "diverging")
        self.rgb_steps.reset(len(st))
        self._show_conv(0)

    def _show_conv(self, n: int) -> None:
        st = self.conv_stepper
        n = max(0, min(int(n), len(st) - 1))
        i, j = divmod(n, st.output_shape[1])
        self.conv_step = s = st.step_at(i, j)
        top, bottom, left, right = st.pads
        padded = st.padded
        mask = np.ones(padded.shape[:2], bool)
        mask[top:padded.shape[0] - bottom, left:padded.shape[1] - right] = False
        for c, name in enumerate(CHANNEL_NAMES):
            grid = self.channel_grids[c]
            grid.set_data(padded[..., c], 0.0, 2.0, _CHANNEL_CMAPS[c], padding=mask, offset=(top, left))
            grid.set_highlight((*s.origin, 3, 3))
            products = " + ".join(f"{_n(a)}\u00b7{_n(b)}" for a, b in zip(s.window[..., c].ravel(),
                                                                          s.kernel[..., c].ravel()) if a and b)
            self.sum_labels[c].setText(f"{name}: {products or 'every product is 0'} = "
                                       f"<b>{_n(s.channel_sums[c])}</b>")
            self.sum_labels[c].setToolTip("the products window \u00d7 kernel slice that are not 0, added up")
        lo, hi = symmetric_range(self.conv_output)
        filled = (np.arange(self.conv_output.size) <= n).reshape(self.conv_output.shape)
        self.rgb_out.set_data(self.conv_output, lo, hi, "diverging", filled=filled)
        self.rgb_out.set_highlight((i, j, 1, 1))
        self.rgb_formula.setText(f"output[{i}, {j}] = {channel_formula(s)}")
        self.rgb_steps.show_position(n, len(st))

    # ---------------------------------------------------------------------------------------- pooling
    def _on_pool_example_changed(self, *_) -> None:
        ex = POOL_EXAMPLES[self.pool_example.currentData()]
        widgets = (self.pool_mode, self.pool_size, self.pool_stride, self.pool_padding, self.pool_edit)
        for w in widgets:
            w.blockSignals(True)
        self.pool_mode.setCurrentIndex(self.pool_mode.findData(ex.mode))
        self.pool_size.setValue(ex.size)
        self.pool_stride.setValue(ex.stride)
        self.pool_padding.setCurrentText(ex.padding)
        self.pool_edit.setPlainText(matrix_text(ex.x))
        for w in widgets:
            w.blockSignals(False)
        self._on_pool_changed()
        if self.pool_stepper_ is not None:
            self.pool_note.setText(self.pool_note.text() + " " + ex.note)

    def current_pool(self) -> PoolExample:
        """What the controls say now (ValueError for a feature map that is not a matrix of numbers)."""
        x = parse_matrix(self.pool_edit.toPlainText(), "Feature map")
        return PoolExample("", x, self.pool_size.value(), self.pool_stride.value(),
                           self.pool_padding.currentText(), self.pool_mode.currentData(), "")

    def _on_pool_changed(self, *_) -> None:
        try:
            ex = self.current_pool()
            st = pool_stepper(ex)
        except ValueError as exc:
            self.pool_stepper_ = None
            self.pool_error.setText(str(exc))
            for w in (self.pool_steps, self.pool_in, self.pool_out):
                w.setEnabled(False)
            return
        self.pool_error.clear()
        for w in (self.pool_steps, self.pool_in, self.pool_out):
            w.setEnabled(True)
        self.pool_stepper_ = st
        self.pool_output = np.array([s.value for s in st]).reshape(st.output_shape)
        (h, w), (oh, ow) = ex.x.shape, st.output_shape
        top, bottom, left, right = st.pads
        self.pool_note.setText(f"{h}\u00d7{w} map, {ex.size}\u00d7{ex.size} window, stride {ex.stride}, "
                               f"'{ex.padding}': o = \u230a({h} + {top + bottom} \u2212 {ex.size}) / {ex.stride}\u230b "
                               f"+ 1 = {oh} rows, \u230a({w} + {left + right} \u2212 {ex.size}) / {ex.stride}\u230b "
                               f"+ 1 = {ow} columns.")
        self._pool_range = (float(min(ex.x.min(), 0.0)), float(max(ex.x.max(), 1.0)))
        self.pool_steps.reset(len(st))
        self._show_pool(0)

    def _show_pool(self, n: int) -> None:
        st = self.pool_stepper_
        if st is None:
            return
        n = max(0, min(int(n), len(st) - 1))
        i, j = divmod(n, st.output_shape[1])
        self.pool_step = s = st.step_at(i, j)
        lo, hi = self._pool_range
        top, bottom, left, right = st.pads
        mask = np.ones(st.padded.shape, bool)
        mask[top:st.padded.shape[0] - bottom, left:st.padded.shape[1] - right] = False
        self.pool_in.set_data(np.nan_to_num(st.padded), lo, hi, "viridis", padding=mask, offset=(top, left))
        marks = [] if s.argmax is None else [(s.origin[0] + s.argmax[0], s.origin[1] + s.argmax[1])]
        self.pool_in.set_highlight((*s.origin, *s.window.shape), marks)
        filled = (np.arange(self.pool_output.size) <= n).reshape(self.pool_output.shape)
        self.pool_out.set_data(self.pool_output, lo, hi, "viridis", filled=filled)
        self.pool_out.set_highlight((i, j, 1, 1))
        extra = f"  ({int(s.is_padding.sum())} padded cell(s) take no part)" if s.is_padding.any() else ""
        self.pool_formula.setText(f"pooled[{i}, {j}] = {pool_formula(s)}{extra}")
        self.pool_steps.show_position(n, len(st))


def _n(v: float) -> str:
    """A number for a sum written out: negative ones in brackets, 2\u00b7(\u22121)."""
    v = float(v)
    text = f"{v:g}" if v.is_integer() else f"{v:.3g}"
    return f"(\u2212{text[1:]})" if v < 0 else text
