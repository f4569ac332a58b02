"""What units look for: activation maximization (cnnviz.core.explain.maximize) for every unit of a layer, as a
gallery; click an image to inspect it (the Inspector's feature maps then show what that unit responds to).

The images are made on the Inspector's TensorFlow lane, one job per unit (cnnviz.qt.concurrency.JobClient), with
progress from the core's ``progress`` callback (relayed to the GUI thread by a signal) and stopped by its
``should_stop`` callback when the user picks another layer, seed or step count, leaves the tab, or the model
changes. Every job carries the gallery's generation number: an answer for an older gallery is dropped, so a stale
image never appears. The same seed gives the same images (the core draws every random number from one seeded
numpy Generator).
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ..concurrency import JobClient, SerialWorker, current_token
from .colors import CAPTION_STYLE, ERROR_STYLE, NOTE_STYLE, rgb_to_qimage

PAGE = 16          # units shown at first, and added by each "more"
COLUMNS = 8
TILE_PX = 96
PROGRESS_S = 0.05  # at most this often a progress report crosses to the GUI thread
DEFAULT_STEPS = 64
NOTE = ("Each picture is an input made to excite one unit as much as possible: starting from gray noise, the "
        "image is changed step by step along the gradient of the unit's value (before its activation), with a "
        "little jitter and blur so that it stays smooth. A conv filter's picture shows the pattern it detects, an "
        "output class's picture what the network takes for that class. Click a picture to inspect it.")


class _Relay(QObject):
    """Carries progress from the worker thread to the GUI thread. Parentless and held by each job (its
    arguments), so a job that outlives the view still has something to emit on."""

    progress = Signal(int, int, int, int)   # generation, unit, step, steps


def _maximize_job(inspector, layer: str, unit: int, seed: int, steps: int, relay: _Relay, generation: int):
    """Worker thread: the unit's activation-maximization image and, for an output class, the model's
    probability of that class for it. Stops early (and reports nothing) when the job is cancelled."""
    from cnnviz.core.explain.attribution import probability
    from cnnviz.core.explain.maximize import maximize

    from .worker import _scores_for

    token = current_token()
    last = [0.0]

    def progress(step: int, total: int, _objective: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_S or step == total:
            last[0] = now
            relay.progress.emit(generation, unit, step, total)

    result = maximize(inspector.model, layer, unit, seed=seed, steps=steps, progress=progress,
                      should_stop=lambda: token.cancelled)
    token.check()
    k = 1 if inspector.layers[-1].channels == 1 else unit   # one sigmoid unit: its logit is class 1's score
    p = probability(_scores_for(inspector), result.image, k) if result.kind == "class" else None
    return generation, result, p


class UnitTile(QWidget):
    """One unit's picture and caption; a click emits ``clicked(unit)`` once the picture is there."""

    clicked = Signal(int)

    def __init__(self, unit: int, name: str) -> None:
        super().__init__()
        self.unit = unit
        self.result = None
        self.picture = QLabel("…")
        self.picture.setFixedSize(TILE_PX, TILE_PX)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background:#333; color:#bbb; border:1px solid #999;")
        self.caption = QLabel(name)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet("font-size: 9pt;")
        self.caption.setFixedWidth(TILE_PX + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)

    def show_result(self, result, text: str) -> None:
        self.result = result
        rgb = result.to_uint8()
        if rgb.shape[2] == 1:
            rgb = np.repeat(rgb, 3, axis=2)
        pm = QPixmap.fromImage(rgb_to_qimage(rgb)).scaled(TILE_PX, TILE_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.FastTransformation)
        self.picture.setPixmap(pm)
        self.caption.setText(text)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to inspect this image (feature maps, prediction)")

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.result is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.unit)
        super().mousePressEvent(event)


class UnitsView(QWidget):
    """The "What units look for" gallery. ``set_inspector(inspector)`` when the model changes; emits
    ``image_chosen(image HWC float32, description)`` when a picture is clicked, ``gallery_done()`` when every
    shown unit has its picture, ``failed(message)`` on an error."""

    image_chosen = Signal(object, str)
    gallery_done = Signal()
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, worker: SerialWorker | None = None) -> None:
        super().__init__(parent)
        self.worker = SerialWorker("units", self) if worker is None else worker
        self._own_worker = worker is None
        self.client = JobClient(self.worker, self)
        self.client.finished.connect(self._on_client_finished)
        self.client.failed.connect(self._on_client_failed)
        self.relay = _Relay()
        self.relay.progress.connect(self._on_relay_progress)
        self.inspector = None
        self.generation = 0
        self.shown = 0                     # units the gallery shows (the first N)
        self.tiles: list[UnitTile] = []
        self._submitted: set[int] = set()  # units of this generation whose job is out
        self._step: dict[int, int] = {}    # unit -> last step reported
        self._active = False               # the tab is shown: only then are pictures computed
        self.stale_dropped = 0             # answers for an older gallery, dropped (never shown)

        self.layer = QComboBox()
        self.layer.setToolTip("The layer whose units are shown: a conv layer's filters, a Dense layer's units or "
                              "the output's classes")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The seed of the starting noise and the jitter: the same seed gives the same pictures")
        self.steps = QSpinBox()
        self.steps.setRange(1, 2048)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Gradient-ascent steps per picture (more: a stronger, slower picture)")
        self.more_button = QPushButton()
        self.more_button.hide()
        self.title = QLabel("Choose a layer")
        self.title.setStyleSheet(CAPTION_STYLE)
        self.status = QLabel()
        self.status.setStyleSheet(NOTE_STYLE)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(220)
        self.progress.hide()
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        note = QLabel(NOTE)
        note.setWordWrap(True)
        note.setStyleSheet(NOTE_STYLE)
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        controls = QHBoxLayout()
        for w in (QLabel("Layer"), self.layer, QLabel("seed"), self.seed, QLabel("steps"), self.steps):
            controls.addWidget(w)
        controls.addStretch(1)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status)
        head.addWidget(self.progress)
        gallery = QHBoxLayout()
        gallery.addLayout(self.grid)
        gallery.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(note)
        layout.addLayout(head)
        layout.addWidget(self.error)
        layout.addLayout(gallery)
        layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.layer.currentIndexChanged.connect(self._on_settings_changed)
        self.seed.valueChanged.connect(self._on_settings_changed)
        self.steps.valueChanged.connect(self._on_settings_changed)
        self.more_button.clicked.connect(self._on_more_button_clicked)

    # ------------------------------------------------------------------------------------------------ API
    def set_inspector(self, inspector) -> None:
        """Show this model's layers (conv, Dense and the output); the output layer is chosen."""
        self.inspector = inspector
        self.layer.blockSignals(True)
        self.layer.clear()
        last = len(inspector.layers) - 1
        for info in inspector.layers:
            if info.index == last:
                self.layer.addItem(f"{info.name} (the output: {info.channels} classes)", info.name)
            elif info.is_conv and info.is_spatial:
                self.layer.addItem(f"{info.name} ({info.kind}, {info.channels} filters)", info.name)
            elif info.kind == "Dense":
                self.layer.addItem(f"{info.name} (Dense, {info.channels} units)", info.name)
        self.layer.setCurrentIndex(self.layer.count() - 1)
        self.layer.blockSignals(False)
        self.restart()

    def unit_count(self) -> int:
        info = self._info()
        return 0 if info is None else info.channels

    def busy(self) -> bool:
        return bool(self._submitted)

    def done(self) -> bool:
        return self.shown > 0 and all(t.result is not None for t in self.tiles)

    def restart(self) -> None:
        """A new gallery (new layer, seed, steps or model): cancel the old one's jobs and start over."""
        self.client.cancel_all()
        self.generation += 1
        self._submitted.clear()
        self._step.clear()
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        self.error.hide()
        info = self._info()
        self.shown = 0
        if info is None:
            self.title.setText("This model has no conv, Dense or output layer to show")
            self._update_progress()
            return
        if info.index == len(self.inspector.layers) - 1:
            kind = "class"
        else:
            kind = "filter" if info.is_spatial else "unit"
        plural = "classes" if kind == "class" else f"{kind}s"
        self.title.setText(f"What the {plural} of {info.name} look for (seed {self.seed.value()}, "
                           f"{self.steps.value()} steps)")
        self._grow(min(PAGE, info.channels))

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        self._active = False
        self.client.cancel_all()
        return self.worker.shutdown(timeout_ms) if self._own_worker else True

    # -------------------------------------------------------------------------------------------- private
    def _info(self):
        if self.inspector is None or self.layer.currentData() is None:
            return None
        return self.inspector.layer(self.layer.currentData())

    def _grow(self, shown: int) -> None:
        info = self._info()
        names = self.inspector.class_names if info.index == len(self.inspector.layers) - 1 else None
        if names is not None and info.channels == 1:
            names = names[1:]   # one sigmoid unit: maximising its logit means class 1
        for k in range(self.shown, shown):
            tile = UnitTile(k, f"class {names[k]}" if names else f"unit {k}")
            tile.clicked.connect(self._on_tile_clicked)
            self.grid.addWidget(tile, k // COLUMNS, k % COLUMNS)
            self.tiles.append(tile)
        self.shown = shown
        left = info.channels - shown
        self.more_button.setVisible(left > 0)
        self.more_button.setText(f"Show {min(PAGE, left)} more ({shown} of {info.channels} shown)")
        self._fill()

    def _fill(self) -> None:
        """Submit a job for every shown unit without a picture (only while the tab is shown)."""
        if not self._active or self.inspector is None:
            self._update_progress()
            return
        layer = self.layer.currentData()
        for tile in self.tiles:
            if tile.result is None and tile.unit not in self._submitted:
                job = self.client.submit(None, _maximize_job, self.inspector, layer, tile.unit, self.seed.value(),
                                         self.steps.value(), self.relay, self.generation)
                if job is not None:
                    self._submitted.add(tile.unit)
        self._update_progress()

    def _update_progress(self) -> None:
        if not self._submitted:
            self.progress.hide()
            n = sum(t.result is not None for t in self.tiles)
            self.status.setText("" if n == self.shown else f"{n} of {self.shown} pictures (paused while hidden)")
            return
        steps = self.steps.value()
        total = self.shown * steps
        have = sum(t.result is not None for t in self.tiles)
        running = sum(self._step.get(u, 0) for u in self._submitted)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(min(total, have * steps + running))
        self.progress.show()
        self.status.setText(f"making picture {have + 1} of {self.shown}…")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._active = True
        self._fill()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        self._active = False
        self.client.cancel_all()   # the jobs stop at their next step; the missing pictures resume when shown
        self._submitted.clear()
        self._step.clear()
        self.generation += 1       # answers already on their way are dropped
        self._update_progress()

    @Slot()
    def _on_settings_changed(self) -> None:
        self.restart()

    @Slot()
    def _on_more_button_clicked(self) -> None:
        info = self._info()
        if info is not None:
            self._grow(min(info.channels, self.shown + PAGE))

    @Slot(int, int, int, int)
    def _on_relay_progress(self, generation: int, unit: int, step: int, _steps: int) -> None:
        if generation == self.generation and unit in self._submitted:
            self._step[unit] = step
            self._update_progress()

    @Slot(str, object)
    def _on_client_finished(self, _key: str, answer) -> None:
        generation, result, p = answer
        if generation != self.generation or result.layer != self.layer.currentData():
            self.stale_dropped += 1
            return
        self._submitted.discard(result.unit)
        self._step.pop(result.unit, None)
        tile = self.tiles[result.unit]
        text = tile.caption.text()
        text = f"{text}: p = {p:.2f}" if p is not None else f"{text}: {result.objective[-1]:.2g}"
        tile.show_result(result, text)
        tile.caption.setToolTip("the model's probability of this class for the picture" if p is not None else
                                "the unit's value for the picture (before its activation; a filter: the mean of "
                                "its map's positive part)")
        self._update_progress()
        if self.done():
            self.gallery_done.emit()

    @Slot(str, str, str)
    def _on_client_failed(self, _key: str, message: str, _details: str) -> None:
        self._submitted.clear()
        self.client.cancel_all()
        self.error.setText(f"The picture could not be made: {message}")
        self.error.show()
        self._update_progress()
        self.failed.emit(message)

    @Slot(int)
    def _on_tile_clicked(self, unit: int) -> None:
        result = self.tiles[unit].result
        caption = self.tiles[unit].caption.text().split(":")[0]
        self.image_chosen.emit(result.image.copy(),
                               f"What {result.layer} {caption} looks for (activation maximization, seed "
                               f"{result.seed}, {len(result.objective)} steps)")
