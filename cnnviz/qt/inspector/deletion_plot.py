"""The deletion-check plot (the class probability as pixels are erased, an attribution's order against a seeded
random order) and its verdict text, shared by the Inspector's "Why this prediction" and the Draw tab."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

DELETION_TIP = ("Deletion curve: the probability of the class as pixels are erased (set to black), the most "
                "attributed first (solid), against the same number of pixels erased in a seeded random order "
                "(dashed). If the heat map points at what the model really uses, the solid curve falls faster: a "
                "smaller area under the curve (AUC) than random.")


class DeletionPlot(pg.PlotWidget):
    """A white plot of two curves on 0..1 x 0..1: ``deletion_curve`` (solid red) and ``random_curve`` (dashed)."""

    def __init__(self, title: str = "Deletion check: erase the most-attributed pixels first", parent=None) -> None:
        super().__init__(parent, background="w")
        plot = self.getPlotItem()
        plot.setTitle(title)
        plot.setLabel("left", "probability of the class")
        plot.setLabel("bottom", "fraction of pixels erased")
        plot.setMenuEnabled(False)
        plot.getViewBox().setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(0, 1, padding=0.02)
        plot.addLegend(offset=(-10, 10))
        self.deletion_curve = plot.plot([], [], pen=pg.mkPen("#c0392b", width=2), name="the method's order")
        self.random_curve = plot.plot([], [], pen=pg.mkPen("#555", width=2, style=Qt.PenStyle.DashLine),
                                      name="random order")
        self.setToolTip(DELETION_TIP)

    def show_curves(self, deletion, random, method_name: str, seed: int) -> None:
        """Draw two cnnviz.core.explain.attribution.DeletionCurve and name them in the legend."""
        self.deletion_curve.setData(deletion.fractions, deletion.probabilities)
        self.random_curve.setData(random.fractions, random.probabilities)
        legend = self.getPlotItem().legend
        if legend is not None:
            legend.clear()
            legend.addItem(self.deletion_curve, f"{method_name} order")
            legend.addItem(self.random_curve, f"random order (seed {seed})")

    def clear_curves(self) -> None:
        self.deletion_curve.setData([], [])
        self.random_curve.setData([], [])


def verdict_text(deletion, random, method_name: str, seed: int) -> str:
    """The areas under both curves and what they say (plain text, several lines)."""
    verdict = ("falls faster than random: the map points at pixels the model uses" if deletion.auc < random.auc
               else "does not fall faster than random: this map is not faithful here")
    return (f"Area under the curve (lower = more faithful):\n"
            f"  {method_name} order: AUC {deletion.auc:.3f}\n"
            f"  random order (seed {seed}): AUC {random.auc:.3f}\n"
            f"The {method_name.lower()} curve {verdict}.")
