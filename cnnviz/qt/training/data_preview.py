"""What the data box shows about a loaded dataset: a one-paragraph summary, a few images, the images per class.

Pure presentation: given a Dataset (or the data box's CelebASource), each function returns text or thumbnail
items, and :class:`ClassCountsPlot` draws the training images per class.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg

from cnnviz.core.data.celeba import CLASSIC_TRAIN_LIMIT, SPLITS
from cnnviz.core.data.dataset import Dataset

from .celeba_source import CELEBA_TEST_LIMIT, CELEBA_VALID_LIMIT, PREVIEW_COUNT, CelebASource


def short(name: str, n: int = 7) -> str:
    return name if len(name) <= n else name[:n - 1] + "…"


def dataset_summary(ds: Dataset) -> str:
    h, w, c = ds.input_shape
    notes = f"<br><i>{len(ds.notes)} file(s) skipped</i>" if ds.notes else ""
    return (f"<b>{len(ds.x_train):,}</b> training + <b>{len(ds.x_test):,}</b> test images, {h}×{w}×{c}, "
            f"{ds.num_classes} classes{notes}")


def dataset_preview_items(ds: Dataset) -> list:
    """Up to PREVIEW_COUNT training images (the same ones every time), labelled with their class."""
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(ds.x_train), size=min(PREVIEW_COUNT, len(ds.x_train)), replace=False))
    return [(ds.x_train[i], short(ds.class_names[ds.y_train[i]]), None) for i in idx]


def celeba_summary(src: CelebASource) -> str:
    c, p = src.counts, src.positives
    per_split = ", ".join(f"<b>{c[s]:,}</b> {s} ({p[s]:,} {html.escape(src.attribute)})" for s in SPLITS)
    used = (f"Training streams the images from disk (the lecture used {CLASSIC_TRAIN_LIMIT:,}: set "
            f"“Images to use”); validation: the first {min(c['valid'], CELEBA_VALID_LIMIT):,} valid images; "
            f"results: the first {min(c['test'], CELEBA_TEST_LIMIT):,} test images.")
    return (f"CelebA: {per_split}; 64×64×3, classes “{src.class_names[0]}” / “{src.class_names[1]}”."
            f"<br><i>{used}</i>")


def celeba_preview_items(src: CelebASource) -> list:
    return [(img, short(src.attribute if y else "not", 9), None) for img, y in zip(src.x_train, src.y_train)]


class ClassCountsPlot(pg.PlotWidget):
    """Bars of training images per class (class names as ticks, exact counts on hover)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setFixedHeight(110)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setTitle("training images per class", size="9pt")
        self.setToolTip("How many training images each class has: a class with few images is learned worse")
        self._bars: pg.BarGraphItem | None = None

    def set_counts(self, ds) -> None:
        """Show ``ds.class_counts("train")``; None clears the plot."""
        if self._bars is not None:
            self.removeItem(self._bars)
            self._bars = None
        if ds is None:
            return
        counts = ds.class_counts("train")
        x = np.arange(len(counts))
        self._bars = pg.BarGraphItem(x=x, height=counts, width=0.7, brush="#0072b2", pen=None)
        self.addItem(self._bars)
        step = max(1, len(counts) // 12)
        self.getAxis("bottom").setTicks([[(i, short(ds.class_names[i])) for i in range(0, len(counts), step)]])
        self.setXRange(-0.6, len(counts) - 0.4, padding=0)
        self.setYRange(0, max(1, int(counts.max())) * 1.1, padding=0)
        self.setToolTip("\n".join(f"{n}: {int(k):,}" for n, k in zip(ds.class_names, counts)))
