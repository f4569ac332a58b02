"""One editor widget per FieldDef kind: int, pair, optional_pair, float, optional_float, choice, bool.

Editors never clamp silently: their ranges reach past the valid values (a kernel of 50 on a 4x4 input, a filter
count of 0) so that the spec keeps what the user typed and the builder shows why it is wrong; a value loaded
from a file that lies outside the range widens the range instead of being cut.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QLineEdit, QSpinBox, QWidget)

from cnnviz.core.model.spec import FieldDef

from .style import ERROR_BACKGROUND

_INT_MAX = 2**31 - 1


def _int_range(fdef: FieldDef) -> tuple[int, int]:
    low = 0 if fdef.minimum is None else int(min(0, fdef.minimum))
    high = _INT_MAX if fdef.maximum is None else int(min(_INT_MAX, max(9999, 10 * fdef.maximum)))
    return low, high


def mark_error(widget: QWidget, error: bool) -> None:
    """Tint an input widget's background (a palette change: style sheets would break Fusion's spin arrows)."""
    if not error:
        widget.setPalette(QPalette())  # back to the inherited palette
        return
    palette = widget.palette()
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, ERROR_BACKGROUND)
    widget.setPalette(palette)


def _spin(fdef: FieldDef) -> QSpinBox:
    box = QSpinBox()
    box.setRange(*_int_range(fdef))
    box.setMinimumWidth(60)
    box.setAccelerated(True)
    box.setToolTip(fdef.help)
    return box


def _set_spin(box: QSpinBox, value: int) -> None:
    """Show ``value`` even if it lies outside the box's range (widen the range, never clamp)."""
    if value < box.minimum():
        box.setMinimum(value)
    if value > box.maximum():
        box.setMaximum(value)
    box.setValue(value)


class FieldEditor(QWidget):
    """Base: ``value_edited(value)`` when the user changes the value; ``set_value`` does not emit."""

    value_edited = Signal(object)

    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fdef = fdef
        self.setToolTip(fdef.help)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._updating = False

    def set_value(self, value: Any) -> None:
        self._updating = True
        try:
            self._show(value)
        finally:
            self._updating = False

    def value(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _show(self, value: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_error(self, message: str | None) -> None:
        """Mark the editor red (``message`` as tooltip) or back to normal."""
        self.setProperty("error", bool(message))
        for child in self.findChildren(QWidget):
            if isinstance(child, (QAbstractSpinBox, QComboBox, QLineEdit)):
                mark_error(child, bool(message))
        self.setToolTip(f"{self.fdef.help}\n⚠ {message}" if message else self.fdef.help)

    def has_error(self) -> bool:
        return bool(self.property("error"))

    def _emit(self) -> None:
        if not self._updating:
            self.value_edited.emit(self.value())


class IntEditor(FieldEditor):
    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(fdef, parent)
        self.spin = _spin(fdef)
        self._layout.addWidget(self.spin)
        self._layout.addStretch(1)
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    @Slot(int)
    def _on_spin_value_changed(self, _value: int) -> None:
        self._emit()

    def value(self) -> int:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        _set_spin(self.spin, int(value))


class PairEditor(FieldEditor):
    """Height x width; for optional_pair an "auto" box (value None: the same as the pool size)."""

    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(fdef, parent)
        self.height_spin = _spin(fdef)
        self.width_spin = _spin(fdef)
        self.height_spin.setToolTip(f"{fdef.label}: height (rows)")
        self.width_spin.setToolTip(f"{fdef.label}: width (columns)")
        self.auto_box: QCheckBox | None = None
        if fdef.kind == "optional_pair":
            self.auto_box = QCheckBox("auto")
            self.auto_box.setToolTip("same as the pool size (Keras's strides=None)")
            self._layout.addWidget(self.auto_box)
            self.auto_box.toggled.connect(self._on_auto_box_toggled)
        self._layout.addWidget(self.height_spin)
        self._layout.addWidget(QLabel("×"))
        self._layout.addWidget(self.width_spin)
        self._layout.addStretch(1)
        self.height_spin.valueChanged.connect(self._on_spin_value_changed)
        self.width_spin.valueChanged.connect(self._on_spin_value_changed)

    def is_auto(self) -> bool:
        return self.auto_box is not None and self.auto_box.isChecked()

    def set_auto_hint(self, pair: list[int] | None) -> None:
        """The pair shown (greyed) while "auto" is checked: what Keras will use."""
        if self.is_auto() and pair is not None:
            self._updating = True
            try:
                _set_spin(self.height_spin, int(pair[0]))
                _set_spin(self.width_spin, int(pair[1]))
            finally:
                self._updating = False

    @Slot(int)
    def _on_spin_value_changed(self, _value: int) -> None:
        self._emit()

    @Slot(bool)
    def _on_auto_box_toggled(self, checked: bool) -> None:
        self.height_spin.setEnabled(not checked)
        self.width_spin.setEnabled(not checked)
        self._emit()

    def value(self) -> list[int] | None:
        if self.is_auto():
            return None
        return [self.height_spin.value(), self.width_spin.value()]

    def _show(self, value: Any) -> None:
        if self.auto_box is not None:
            self.auto_box.setChecked(value is None)
            self.height_spin.setEnabled(value is not None)
            self.width_spin.setEnabled(value is not None)
        if value is not None:
            _set_spin(self.height_spin, int(value[0]))
            _set_spin(self.width_spin, int(value[1]))


class FloatEditor(FieldEditor):
    """A number; for optional_float a box named by ``fdef.none_text`` (ticked: the value None, e.g. "no cap").
    Unticking it offers the value shown last, or ``fdef.typical`` when there was none."""

    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(fdef, parent)
        step = 0.01 if fdef.step is None else fdef.step
        decimals = 3 if fdef.decimals is None else fdef.decimals
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step)
        low = -1e6 if fdef.minimum is None else fdef.minimum - 1.0
        high = 1e6 if fdef.maximum is None else fdef.maximum + 1.0
        self.spin.setRange(low, high)
        self.spin.setMinimumWidth(90)
        self.spin.setToolTip(fdef.help)
        self.none_box: QCheckBox | None = None
        if fdef.kind == "optional_float":
            self.none_box = QCheckBox(fdef.none_text)
            self.none_box.setToolTip(fdef.help)
            self._layout.addWidget(self.none_box)
            if fdef.typical is not None:
                self.spin.setValue(fdef.typical)
            self.none_box.toggled.connect(self._on_none_box_toggled)
        self._layout.addWidget(self.spin)
        self._layout.addStretch(1)
        self.spin.valueChanged.connect(self._on_spin_value_changed)

    def is_none(self) -> bool:
        return self.none_box is not None and self.none_box.isChecked()

    @Slot(float)
    def _on_spin_value_changed(self, _value: float) -> None:
        self._emit()

    @Slot(bool)
    def _on_none_box_toggled(self, checked: bool) -> None:
        self.spin.setEnabled(not checked)
        self._emit()

    def value(self) -> float | None:
        if self.is_none():
            return None
        return float(self.spin.value())

    def _show(self, value: Any) -> None:
        if self.none_box is not None:
            self.none_box.setChecked(value is None)
            self.spin.setEnabled(value is not None)
            if value is None:
                return
        value = float(value)
        if value == value:  # NaN cannot be shown in a spin box; it stays in the spec and is reported
            self.spin.setRange(min(self.spin.minimum(), value), max(self.spin.maximum(), value))
            self.spin.setValue(value)


class ChoiceEditor(FieldEditor):
    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(fdef, parent)
        self.combo = QComboBox()
        self.combo.addItems(list(fdef.choices))
        self.combo.setToolTip(fdef.help)
        self.combo.setMinimumWidth(110)
        self._layout.addWidget(self.combo)
        self._layout.addStretch(1)
        self.combo.currentTextChanged.connect(self._on_combo_text_changed)

    @Slot(str)
    def _on_combo_text_changed(self, _text: str) -> None:
        self._emit()

    def value(self) -> str:
        return self.combo.currentText()

    def _show(self, value: Any) -> None:
        text = str(value)
        if self.combo.findText(text) < 0:  # an unknown value from a file: keep it visible, it is reported
            self.combo.addItem(text)
        self.combo.setCurrentText(text)


class BoolEditor(FieldEditor):
    def __init__(self, fdef: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(fdef, parent)
        self.check = QCheckBox()
        self.check.setToolTip(fdef.help)
        self._layout.addWidget(self.check)
        self._layout.addStretch(1)
        self.check.toggled.connect(self._on_check_toggled)

    @Slot(bool)
    def _on_check_toggled(self, _checked: bool) -> None:
        self._emit()

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))


EDITORS = {"int": IntEditor, "pair": PairEditor, "optional_pair": PairEditor, "float": FloatEditor,
           "optional_float": FloatEditor, "choice": ChoiceEditor, "bool": BoolEditor}


def make_editor(fdef: FieldDef, parent: QWidget | None = None) -> FieldEditor:
    editor = EDITORS[fdef.kind](fdef, parent)
    editor.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return editor
