"""Re-style every pyqtgraph plot of a window for the classroom: zoomed fonts, the dark theme, thick lines.

pyqtgraph draws its own text (tick labels, axis labels, titles, legends) and colours (background, axes), so
scaling the application font and palette does not reach it. :func:`style_view` walks one pyqtgraph view (a
PlotWidget or a GraphicsLayoutWidget) and applies a :class:`PlotLook` to each of its plots. What a plot had
before the first re-styling is kept on the item (``_classroom_original``), so going back to 100 %, the light
theme or out of presentation mode restores exactly what the panel drew, whatever it was.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QWidget

_ORIGINAL = "_classroom_original"
_APPLIED = "_classroom_look"
_SIZE = re.compile(r"^\s*([0-9.]+)\s*(pt|px)\s*$")

DARK_BACKGROUND = QColor("#1e1f22")
DARK_FOREGROUND = QColor("#e6e6e6")
HIGH_CONTRAST_FOREGROUND = QColor("#000000")


@dataclass(frozen=True)
class PlotLook:
    """How plots should look: ``font`` is the (zoomed) application font, ``zoom`` the factor on fixed sizes
    such as a title's "9pt"; ``dark`` swaps background and text colours; ``thick`` widens the curves (projector)."""

    font: QFont
    zoom: float = 1.0
    dark: bool = False
    thick: bool = False

    def foreground(self) -> QColor | None:
        """The colour of axes and text: light on dark, black on a projector, else what the panel chose."""
        if self.dark:
            return DARK_FOREGROUND
        return HIGH_CONTRAST_FOREGROUND if self.thick else None

    def key(self) -> tuple:
        return (self.font.toString(), round(self.zoom, 4), self.dark, self.thick)


def plot_views(root: QWidget) -> list[pg.GraphicsView]:
    """Every pyqtgraph view (PlotWidget, GraphicsLayoutWidget, ...) below ``root`` (``root`` included)."""
    views = [w for w in root.findChildren(pg.GraphicsView)]
    if isinstance(root, pg.GraphicsView):
        views.insert(0, root)
    return views


def plot_items(view: pg.GraphicsView) -> list[pg.PlotItem]:
    """The PlotItems shown by ``view`` (one for a PlotWidget, each ``addPlot`` of a GraphicsLayoutWidget)."""
    scene = view.scene()
    if scene is None:
        return []
    return [item for item in scene.items() if isinstance(item, pg.PlotItem)]


def _scaled(size: str | None, zoom: float) -> str | None:
    """'9pt' at 1.5 -> '13.5pt'; None or an unknown unit stays as it is."""
    if not size:
        return size
    m = _SIZE.match(str(size))
    if m is None:
        return size
    return f"{float(m.group(1)) * zoom:g}{m.group(2)}"


def _remember(obj, **values) -> dict:
    original = getattr(obj, _ORIGINAL, None)
    if original is None:
        original = dict(values)
        setattr(obj, _ORIGINAL, original)
    return original


def style_view(view: pg.GraphicsView, look: PlotLook, *, force: bool = False) -> None:
    """Apply ``look`` to ``view`` and every plot in it (cheap when it already has that look)."""
    if not force and getattr(view, _APPLIED, None) == look.key():
        return
    original = _remember(view, background=pg.mkBrush(view.backgroundBrush()))
    if look.dark:
        view.setBackgroundBrush(pg.mkBrush(DARK_BACKGROUND))
    else:
        view.setBackgroundBrush(original["background"])
    for plot in plot_items(view):
        _style_plot(plot, look)
    for item in view.scene().items() if view.scene() is not None else ():
        if isinstance(item, pg.TextItem):
            _style_text_item(item, look)
    setattr(view, _APPLIED, look.key())


def _style_plot(plot: pg.PlotItem, look: PlotLook) -> None:
    font = QFont(look.font)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        original = _remember(axis, pen=QPen(axis.pen()), text_pen=QPen(axis.textPen()),
                             tick_font=axis.style.get("tickFont"),
                             label_size=axis.labelStyle.get("font-size"))
        tick_font = QFont(original["tick_font"]) if original["tick_font"] is not None else QFont(font)
        if original["tick_font"] is not None:
            tick_font.setPointSizeF(original["tick_font"].pointSizeF() * look.zoom)
        axis.setTickFont(tick_font)
        if original["label_size"]:
            axis.labelStyle["font-size"] = _scaled(original["label_size"], look.zoom)
        axis.label.setFont(QFont(font))
        fg = look.foreground()
        if fg is not None:
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
        else:
            axis.setPen(original["pen"])
            axis.setTextPen(original["text_pen"])
        axis._updateLabel()   # pyqtgraph re-renders the label's HTML and the space it needs
    title = plot.titleLabel
    t_original = _remember(title, size=title.opts.get("size"), color=title.opts.get("color"))
    title.item.setFont(QFont(font))
    fg = look.foreground()
    args = {"color": fg.name() if fg is not None else t_original["color"]}
    if t_original["size"]:
        args["size"] = _scaled(t_original["size"], look.zoom)
    if title.text:
        title.setText(title.text, **args)
    else:
        title.opts.update(args)
    legend = plot.legend
    if legend is not None:
        l_original = _remember(legend, size=legend.opts.get("labelTextSize"),
                               color=legend.opts.get("labelTextColor"), brush=legend.opts.get("brush"))
        legend.setLabelTextSize(_scaled(l_original["size"], look.zoom) or f"{font.pointSizeF():g}pt")
        if fg is not None:
            legend.setLabelTextColor(fg)
        if look.dark:
            legend.setBrush(pg.mkBrush(30, 31, 34, 200))
        else:
            legend.setBrush(l_original["brush"])
        if fg is None:
            color = l_original["color"]
            legend.setLabelTextColor(color if color is not None else pg.getConfigOption("foreground"))
        for _sample, label in legend.items:   # the labels' own HTML is rebuilt from their options
            label.setText(label.text)
    for curve in plot.listDataItems():
        if isinstance(curve, pg.PlotDataItem):
            _style_curve(curve, look)


def _style_curve(curve: pg.PlotDataItem, look: PlotLook) -> None:
    pen = curve.opts.get("pen")
    if pen is None:
        return
    original = _remember(curve, pen=pg.mkPen(pen))
    if look.thick:
        thick = QPen(original["pen"])
        thick.setWidthF(max(3.0, original["pen"].widthF() * 2.0))
        curve.setPen(thick)
    else:
        curve.setPen(original["pen"])


def _style_text_item(item: pg.TextItem, look: PlotLook) -> None:
    original = _remember(item, color=QColor(item.color))
    if look.dark and original["color"].lightnessF() < 0.5:
        item.setColor(DARK_FOREGROUND)
    elif look.thick and not look.dark:
        item.setColor(HIGH_CONTRAST_FOREGROUND)
    else:
        item.setColor(original["color"])


def tick_font_point_size(axis: pg.AxisItem) -> float:
    """The size tick labels of ``axis`` are drawn at (its tick font, or the font it inherits)."""
    font = axis.style.get("tickFont")
    return (font if font is not None else axis.font()).pointSizeF()
