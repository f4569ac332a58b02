"""Colour maps (as 256-entry lookup tables), numpy -> QImage, a colour-bar legend and a few shared styles."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PADDING_COLOR = QColor(205, 214, 236)      # zero-padding cells: pale blue-grey, hatched
HIGHLIGHT = QColor(255, 140, 0)             # the current window / cell
ACCENT = QColor(220, 40, 60)                # max of a pooling window, selected tile
UNTRAINED_STYLE = "background:#fff3cd; color:#7a5b00; border:1px solid #e0c36a; border-radius:4px; padding:4px 8px;"
ERROR_STYLE = "color:#b00020;"
NOTE_STYLE = "color:#555;"
CAPTION_STYLE = "font-weight:600; color:#222;"


def _interp(stops: list[tuple[float, tuple[int, int, int]]]) -> np.ndarray:
    pos = np.array([p for p, _ in stops])
    cols = np.array([c for _, c in stops], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)


_LUTS: dict[str, np.ndarray] = {
    "gray": np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1),
    # viridis (perceptually uniform, colour-blind safe), sampled from matplotlib's definition
    "viridis": _interp([(0.0, (68, 1, 84)), (0.13, (71, 44, 122)), (0.25, (59, 81, 139)), (0.38, (44, 113, 142)),
                        (0.5, (33, 144, 141)), (0.63, (39, 173, 129)), (0.75, (92, 200, 99)),
                        (0.88, (170, 220, 50)), (1.0, (253, 231, 37))]),
    # diverging blue - white - red (ColorBrewer RdBu reversed): negative blue, zero white, positive red
    "diverging": _interp([(0.0, (33, 102, 172)), (0.25, (103, 169, 207)), (0.5, (247, 247, 247)),
                          (0.75, (239, 138, 98)), (1.0, (178, 24, 43))]),
    # heat for saliency overlays: transparent-friendly black - red - yellow - white
    "heat": _interp([(0.0, (0, 0, 0)), (0.35, (180, 20, 20)), (0.7, (255, 200, 0)), (1.0, (255, 255, 255))]),
    # one colour channel of an RGB picture: white (0) to that colour (the channel at its brightest)
    "reds": _interp([(0.0, (255, 255, 255)), (1.0, (200, 30, 30))]),
    "greens": _interp([(0.0, (255, 255, 255)), (1.0, (30, 150, 50))]),
    "blues": _interp([(0.0, (255, 255, 255)), (1.0, (40, 70, 200))]),
}


def lut(name: str) -> np.ndarray:
    """(256, 3) uint8 RGB lookup table: gray, viridis, diverging, heat, reds, greens, blues."""
    return _LUTS[name]


def scale_indices(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values -> 0..255 LUT indices for the range lo..hi (NaN -> 0)."""
    span = hi - lo if hi > lo else 1.0
    idx = np.nan_to_num((np.asarray(values, np.float64) - lo) / span * 255.0, nan=0.0)
    return np.clip(idx, 0, 255).astype(np.uint8)


def colorize(values: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """(H, W) values -> (H, W, 3) uint8 RGB."""
    return lut(cmap)[scale_indices(values, lo, hi)]


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 -> a QImage that owns its pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def array_to_qimage(values: np.ndarray, lo: float, hi: float, cmap: str = "viridis") -> QImage:
    return rgb_to_qimage(colorize(values, lo, hi, cmap))


def image_to_qimage(image: np.ndarray) -> QImage:
    """A float HWC (C = 1 or 3) image in 0..1 -> QImage (gray or colour)."""
    a = np.clip(np.asarray(image, np.float64), 0.0, 1.0)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    rgb = (a * 255).round().astype(np.uint8)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    return rgb_to_qimage(rgb)


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m = max |value| (a diverging map centred on zero)."""
    m = float(np.nanmax(np.abs(values))) if np.size(values) else 1.0
    m = m if m > 0 else 1.0
    return -m, m


def data_range(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def text_color_on(rgb) -> QColor:
    """Black or white, whichever reads better on the RGB background."""
    r, g, b = (int(v) for v in rgb)
    return QColor(0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else QColor(255, 255, 255)


def fmt(v: float, digits: int = 3) -> str:
    """A compact number for a cell: 0.123, -1.2e-05, 12.3."""
    if v != v:  # NaN
        return ""
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    a = abs(v)
    if a >= 1000 or a < 10 ** -digits:
        return f"{v:.1e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if a < 1 else f"{v:.{max(digits - 1, 1)}f}"


class ColorBar(QWidget):
    """A horizontal legend: the gradient with its low, middle and high values."""

    def __init__(self, cmap: str = "viridis", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cmap, self._lo, self._hi, self._label = cmap, 0.0, 1.0, ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(QSize(260, 34))

    def set_range(self, lo: float, hi: float, cmap: str | None = None, label: str = "") -> None:
        self._lo, self._hi, self._label = float(lo), float(hi), label
        if cmap:
            self._cmap = cmap
        self.setToolTip(f"{label} colour scale: {self._lo:.4g} (left) to {self._hi:.4g} (right)".strip())
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        bar = QRectF(4, 2, self.width() - 8, 14)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        table = lut(self._cmap)
        for k in range(0, 256, 16):
            grad.setColorAt(k / 255, QColor(*table[k]))
        grad.setColorAt(1.0, QColor(*table[255]))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor(120, 120, 120)))
        p.drawRect(bar)
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() - 1))
        p.setFont(f)
        p.setPen(QColor(40, 40, 40))
        y = 18
        p.drawText(QRectF(0, y, 90, 14), Qt.AlignmentFlag.AlignLeft, f"{self._lo:.3g}")
        p.drawText(QRectF(self.width() / 2 - 45, y, 90, 14), Qt.AlignmentFlag.AlignHCenter,
                   f"{(self._lo + self._hi) / 2:.3g}")
        p.drawText(QRectF(self.width() - 90, y, 90, 14), Qt.AlignmentFlag.AlignRight, f"{self._hi:.3g}")
        p.end()
