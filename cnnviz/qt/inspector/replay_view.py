"""Training replay: how the first conv layer's kernels and feature maps changed epoch by epoch, from the
snapshots the Training tab records (:class:`cnnviz.core.train.snapshots.SnapshotStore`)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider, QVBoxLayout, QWidget

from .colors import CAPTION_STYLE, NOTE_STYLE, ColorBar, data_range
from .kernels_view import kernel_hover, show_kernels
from .number_grid import NumberGrid
from .tiles import TileGrid

EMPTY = ("No training snapshots yet. Train a model in the Training tab: after every epoch the first conv layer's "
         "kernels and its feature maps for one fixed image are recorded here, so you can replay how the filters "
         "formed.")


class ReplayView(QWidget):
    """Polls the store once a second while visible (snapshots arrive from the training thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = None
        self._shown_count = -1
        self.title = QLabel(EMPTY)
        self.title.setWordWrap(True)
        self.title.setStyleSheet(CAPTION_STYLE)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.epoch_label = QLabel()
        self.last_button = QPushButton("Latest")
        self.sample = NumberGrid(max_cell=5, min_cell=2)
        self.sample.show_numbers = False
        self.sample.setFixedSize(120, 120)
        self.kernel_legend = ColorBar("diverging")
        self.kernels = TileGrid()
        self.maps_legend = ColorBar("viridis")
        self.maps = TileGrid(tile_px=64)
        self.note = QLabel("Kernels: blue negative, white zero, red positive (one scale for all epochs would hide the "
                           "early small weights, so each epoch has its own). Feature maps: the fixed sample image.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Epoch"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.epoch_label)
        top.addWidget(self.play_button)
        top.addWidget(self.last_button)
        column = QWidget()
        v = QVBoxLayout(column)
        head = QHBoxLayout()
        head.addWidget(self.sample)
        head.addWidget(self.note, 1)
        v.addLayout(head)
        side_by_side = QHBoxLayout()
        for caption, legend, grid, stretch in (("Kernels", self.kernel_legend, self.kernels, 0),
                                               ("Feature maps of the sample", self.maps_legend, self.maps, 1)):
            box = QVBoxLayout()
            label = QLabel(caption)
            label.setStyleSheet(CAPTION_STYLE)
            box.addWidget(label)
            box.addWidget(legend)
            box.addWidget(grid)
            box.addStretch(1)
            side_by_side.addLayout(box, stretch)
            side_by_side.addSpacing(16)
        v.addLayout(side_by_side)
        v.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(column)
        self.content = scroll
        scroll.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(900)
        self.play_timer.timeout.connect(self._on_play_timer_timeout)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider.valueChanged.connect(self._on_slider_changed)
        self.last_button.clicked.connect(self._on_last_clicked)

    def set_store(self, store) -> None:
        self.store = store
        self._shown_count = -1
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.timer.stop()
        self.play_button.setChecked(False)

    def refresh(self) -> None:
        snaps = self.store.snapshots if self.store is not None else ()
        if len(snaps) == self._shown_count:
            return
        at_end = self.slider.value() >= self._shown_count - 1
        self._shown_count = len(snaps)
        self.slider.setEnabled(bool(snaps))
        self.content.setVisible(bool(snaps))
        if not snaps:
            reason = self.store.reason if self.store is not None else ""
            self.title.setText(EMPTY + (f" ({reason})" if reason and reason != "no model recorded yet" else ""))
            return
        self.title.setText(f"How {self.store.layer_name} learned: {len(snaps)} snapshot(s), epochs "
                           f"{snaps[0].epoch}…{snaps[-1].epoch} (epoch 0 = the initial random weights)")
        self.slider.setRange(0, len(snaps) - 1)
        self.sample.set_data(self.store.sample.mean(axis=2), 0.0, 1.0, "gray")
        if at_end:
            self.slider.setValue(len(snaps) - 1)
        self._show(self.slider.value())

    def _show(self, k: int) -> None:
        snaps = self.store.snapshots
        if not 0 <= k < len(snaps):
            return
        snap = snaps[k]
        self.epoch_label.setText(f"after {snap.epoch} epoch(s)")
        lo, hi = show_kernels(self.kernels, snap.kernels, snap.bias)
        self.kernels.hover_text = kernel_hover(snap.kernels, snap.bias)
        self.kernel_legend.set_range(lo, hi, "diverging", "kernels")
        fm = snap.feature_maps
        mlo, mhi = data_range(fm)
        self.maps.set_tiles([fm[..., c] for c in range(fm.shape[-1])], mlo, mhi, "viridis",
                            labels=[str(c) for c in range(fm.shape[-1])])
        self.maps_legend.set_range(mlo, mhi, "viridis", "feature maps")

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.refresh()

    @Slot(int)
    def _on_slider_changed(self, k: int) -> None:
        if self.store is not None:
            self._show(k)

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.slider.isEnabled():
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.play_timer.start()
        else:
            self.play_timer.stop()

    @Slot()
    def _on_play_timer_timeout(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)

    @Slot()
    def _on_last_clicked(self) -> None:
        self.slider.setValue(self.slider.maximum())
