"""Colours shared by the layer list, the summary table and the diagram, so a layer type looks the same everywhere."""
from __future__ import annotations

from PySide6.QtGui import QColor

from cnnviz.core.model import layers as layer_registry

# One colour per family of layer types (colour-blind-friendly hues, Okabe-Ito palette); a kind names its family
# (cnnviz/core/model/layers/), every family of core's FAMILIES has a colour here (tests/qt/test_builder.py checks).
FAMILY_COLORS = {
    "input": "#7f7f7f",
    "conv": "#0072b2",
    "pool": "#009e73",
    "dense": "#e69f00",
    "reshape": "#cc79a7",
    "regularise": "#56b4e9",
    "activation": "#d55e00",
    "preprocess": "#b8a400",  # Okabe-Ito yellow, darkened to read on white
}

ERROR_COLOR = QColor("#c62828")
ERROR_BACKGROUND = QColor("#fde2e2")
OK_COLOR = QColor("#256b29")
INCOMPLETE_COLOR = QColor("#9a5b00")   # a model not finished yet (no classifier head): amber, not an error
MUTED_COLOR = QColor("#5c5c5c")


def kind_color(kind: str) -> QColor:
    """The colour of a layer type (``"input"`` for the input tensor); an unknown kind raises (never grey)."""
    family = "input" if kind == "input" else layer_registry.get(kind).family
    return QColor(FAMILY_COLORS[family])


def format_shape(shape: tuple[int, ...] | None) -> str:
    """Keras's notation with the batch axis: (None, 28, 28, 32)."""
    if shape is None:
        return "?"
    return "(None, " + ", ".join(str(v) for v in shape) + ")"


def format_bytes(n_params: int) -> str:
    """Size of float32 parameters as Keras's summary prints it: 12.49 MB."""
    size = n_params * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"  # pragma: no cover
