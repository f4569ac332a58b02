"""View > Zoom: one factor for every text of the window, tables and plots included.

The application font is scaled (every widget that inherits its font follows, in every tab and dialog). Widgets
that set a size of their own (a 1.25x title, a 64 pt digit, a stylesheet's "font-size: 14pt") are scaled from the
size they had at 100 %, remembered on the widget; table rows grow with the font. Plots are re-styled by
cnnviz.qt.classroom.plots.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView, QWidget

MIN_ZOOM, MAX_ZOOM, DEFAULT_ZOOM = 50, 300, 100
STEPS = (50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200, 250, 300)   # what browsers offer
PRESENTATION_ZOOM = 150

_BASE_PT = "_classroom_base_pt"
_BASE_CSS = "_classroom_base_css"
_SET_CSS = "_classroom_set_css"
_BASE_ROW = "_classroom_base_row"
_SIZE_RESOLVED = 0x0002   # QFont::SizeResolved (PySide6 does not export the enum)
_CSS_SIZE = re.compile(r"font-size\s*:\s*([0-9.]+)\s*(pt|px)")
_COLOR_VALUE = r"(#[0-9a-fA-F]{3,8}\b|white|black|gr[ae]y|lightgr[ae]y|darkgr[ae]y)"
_CSS_COLOR = re.compile(r"((?<![-\w])color\s*:\s*)" + _COLOR_VALUE)
_CSS_BACKGROUND = re.compile(r"((?<![-\w])background(?:-color)?\s*:\s*)" + _COLOR_VALUE)

_base_font: QFont | None = None


def base_font() -> QFont:
    """The application font at 100 % (taken once, before any zoom, so a second window never compounds it)."""
    global _base_font
    if _base_font is None:
        _base_font = QFont(QApplication.font())
    return QFont(_base_font)


def clamp(percent: int) -> int:
    return max(MIN_ZOOM, min(MAX_ZOOM, int(percent)))


def next_step(percent: int, direction: int) -> int:
    """The next zoom step up (``direction`` > 0) or down from ``percent``."""
    if direction > 0:
        return next((s for s in STEPS if s > percent), MAX_ZOOM)
    return next((s for s in reversed(STEPS) if s < percent), MIN_ZOOM)


def zoomed_font(percent: int) -> QFont:
    font = base_font()
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * percent / 100.0)
    else:   # a pixel-sized application font
        font.setPixelSize(max(1, round(font.pixelSize() * percent / 100.0)))
    return font


def apply_zoom(root: QWidget, percent: int, previous: int, dark: bool = False) -> None:
    """Scale the application font to ``percent`` and every widget below ``root`` that fixes its own size.

    ``previous`` is the zoom the widgets seen for the first time were made under (their size is taken as
    ``previous`` % of their size at 100 %). With ``dark``, the colours a panel's style sheet fixes are turned
    for a dark background (dark text made light, white backgrounds made dark)."""
    factor = percent / 100.0
    font = zoomed_font(percent)
    font_changed = QApplication.font() != font
    if font_changed:
        QApplication.setFont(font)
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        _scale_own_font(w, factor, previous / 100.0)
        restyle_sheet(w, factor, dark, repolish=font_changed)
    for view in (w for w in widgets if isinstance(w, QTableView)):
        _fit_rows(view, percent)


def _scale_own_font(w: QWidget, factor: float, previous: float) -> None:
    base = w.property(_BASE_PT)
    if base is None:
        font = w.font()
        # only a widget that fixed its own size: the others follow the application font
        if not (font.resolveMask() & _SIZE_RESOLVED) or font.pointSizeF() <= 0:
            return
        base = font.pointSizeF() / previous
        w.setProperty(_BASE_PT, base)
    font = w.font()
    font.setPointSizeF(max(1.0, float(base) * factor))
    w.setFont(font)


def _flip(color: str, want_light: bool) -> str:
    """``color`` with its lightness mirrored when it is on the wrong side for the dark theme."""
    c = QColor(color)
    if not c.isValid():
        return color
    h, s, lightness, a = c.getHslF()
    if (lightness < 0.5) == want_light:
        c.setHslF(max(h, 0.0), s, 1.0 - lightness * 0.85, a)
        return c.name()
    return color


def dark_css(css: str) -> str:
    """``css`` for a dark window: text colours light, background colours dark."""
    css = _CSS_COLOR.sub(lambda m: m.group(1) + _flip(m.group(2), want_light=True), css)
    return _CSS_BACKGROUND.sub(lambda m: m.group(1) + _flip(m.group(2), want_light=False), css)


def restyle_sheet(w: QWidget, factor: float, dark: bool = False, *, repolish: bool = True) -> None:
    """Give ``w``'s own style sheet the zoom (its "font-size"s scaled) and the theme (see :func:`dark_css`).

    A widget with a style sheet (and its children) keeps the font it was polished with when the application font
    changes (Qt does not propagate it there): ``repolish`` sets its sheet again even when the text is the same."""
    css = w.styleSheet()
    if not css:
        return
    if css != w.property(_SET_CSS):   # new, or the panel set another style since: that is the 100 % style
        w.setProperty(_BASE_CSS, css)
    base = w.property(_BASE_CSS)
    scaled = _CSS_SIZE.sub(lambda m: f"font-size: {float(m.group(1)) * factor:g}{m.group(2)}", base)
    if dark:
        scaled = dark_css(scaled)
    w.setProperty(_SET_CSS, scaled)
    if scaled == css and not repolish:
        return
    if scaled == css:
        w.setStyleSheet("")       # the same text again would not polish it again
    w.setStyleSheet(scaled)


def _fit_rows(view: QAbstractItemView, percent: int) -> None:
    """Rows tall enough for the zoomed font (at 100 % exactly as the panel made them)."""
    header = view.verticalHeader()
    base = view.property(_BASE_ROW)
    if base is None:
        if percent == DEFAULT_ZOOM:
            return
        base = header.defaultSectionSize()
        view.setProperty(_BASE_ROW, base)
    if percent == DEFAULT_ZOOM:
        header.setDefaultSectionSize(int(base))
    else:
        font = zoomed_font(percent) if not view.testAttribute(Qt.WidgetAttribute.WA_SetFont) else view.font()
        header.setDefaultSectionSize(max(int(base), QFontMetrics(font).height() + 8))
