"""The time-lapse half of "Watch it learn": the loss curve with a marker at the epoch shown, the probed conv layer's
kernels after that epoch, the probe image's feature maps (live every few batches while the slider follows
the newest epoch, else the maps recorded when that epoch ended) and the probe's Grad-CAM after that epoch.

Everything shown was recorded on the training thread by :class:`cnnviz.core.explain.probe.ProbeRecorder`; this
widget only draws those arrays (GUI thread, no TensorFlow). :func:`attach_probe` hooks the recorder into a
session's batches.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from cnnviz.core.errors import UserError
from cnnviz.qt.inspector.colors import data_range
from cnnviz.qt.inspector.explain_view import overlay
from cnnviz.qt.inspector.kernels_view import show_kernels
from cnnviz.qt.inspector.tiles import TileGrid

from .images import to_pixmap

MAX_MAPS = 32   # channels drawn (a wider layer shows its first 32)
PROBE_SIGNAL_S = 0.1   # the live probe maps are redrawn at most this often
CAM_PX = 84   # the Grad-CAM overlay's size on screen
CAM_ALPHA = 0.6


def why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"




class TimeLapse(QWidget):
    """Loss curve + marker, kernels and probe maps for one epoch (:meth:`show_epoch`) or live (:meth:`show_live`).
    ``layer_chosen(name)`` when the user picks another conv layer to probe."""

    layer_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown_epoch: int | None = None
        self.shown_maps = None       # the ProbeMaps drawn
        self.shown_cam = None        # the Grad-CAM heat map drawn (an epoch record's ``cam``)
        self.class_names: tuple[str, ...] = ()
        self._probe = None           # the probe image (HWC float 0..1)
        self.loss_widget = pg.PlotWidget(background="w")
        self.loss_widget.setFixedHeight(150)
        plot = self.loss_plot = self.loss_widget.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", "loss")
        self.loss_curve = plot.plot(pen=pg.mkPen("#0072b2", width=2), symbol="o", symbolSize=5,
                                    symbolBrush="#0072b2", name="training")
        self.val_curve = plot.plot(pen=pg.mkPen("#d55e00", width=2, style=Qt.PenStyle.DashLine), symbol="o",
                                   symbolSize=5, symbolBrush="#d55e00", name="validation")
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#444", width=1.5))
        self.marker.setVisible(False)
        plot.addItem(self.marker)
        self.loss_widget.setToolTip("The loss after every epoch; the grey line marks the epoch shown")
        self.loss_key = QLabel("<span style='color:#0072b2'>&#9644;</span> training loss &nbsp; "
                               "<span style='color:#d55e00'>&#9644;</span> validation loss &nbsp; "
                               "<span style='color:#444'>|</span> the epoch shown")

        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The conv layer whose kernels and probe maps are recorded (from the next "
                                    "batch of training on)")
        self.layer_combo.currentTextChanged.connect(self._on_layer_combo_changed)
        self.kernel_title = QLabel("Kernels")
        self.kernel_grid = TileGrid(tile_px=30, gap=3, label_px=12)
        self.kernel_grid.setToolTip("The probed conv layer's kernels after the epoch shown (blue negative, red "
                                    "positive; one scale for all)")
        self.maps_title = QLabel("Probe image's feature maps")
        self.maps_grid = TileGrid(tile_px=56, gap=3, label_px=12)
        self.maps_grid.setToolTip("What the probed layer makes of one fixed test image: one map per filter, bright "
                                  "= strong response. While training they refresh every few batches.")
        self.probe_image = QLabel()
        self.probe_image.setToolTip("The probe: the first test image, fed through the network every few batches")
        self.cam_image = QLabel()
        self.cam_image.setToolTip("Grad-CAM of the probe after the epoch shown: where the last conv layer finds "
                                  "the evidence for the class (bright red = strong)")
        self.cam_title = QLabel("")
        self.note = QLabel("")
        for label in (self.kernel_title, self.maps_title, self.cam_title, self.note):
            label.setWordWrap(True)

        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(self.loss_widget)
        box.addWidget(self.loss_key)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Probe layer"))
        pick.addWidget(self.layer_combo, 1)
        box.addLayout(pick)
        box.addWidget(self.kernel_title)
        box.addWidget(self.kernel_grid)
        row = QHBoxLayout()
        row.addWidget(self.probe_image, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.cam_image, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.maps_title, 1)
        box.addLayout(row)
        box.addWidget(self.cam_title)
        box.addWidget(self.maps_grid)
        box.addWidget(self.note)
        box.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def clear(self) -> None:
        self.shown_epoch = self.shown_maps = self.shown_cam = None
        self.cam_image.clear()
        self.cam_title.setText("")
        self.loss_curve.setData([], [])
        self.val_curve.setData([], [])
        self.marker.setVisible(False)
        self.kernel_grid.set_tiles([], -1.0, 1.0, "diverging")
        self.maps_grid.set_tiles([], 0.0, 1.0, "gray")
        self.kernel_title.setText("Kernels")
        self.maps_title.setText("Probe image's feature maps")
        self.probe_image.clear()
        self.set_layers([])
        self.note.setText("Drag the epoch slider to replay the run: the loss marker, the kernels, the probe's "
                          "maps, the projection and the histogram move to that epoch together. At the right end "
                          "the maps follow the training live.")

    def set_layers(self, names: list[str], current: str | None = None) -> None:
        """The conv layers one can probe (no signal)."""
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(list(names))
        if current in names:
            self.layer_combo.setCurrentText(current)
        self.layer_combo.blockSignals(False)

    @Slot(str)
    def _on_layer_combo_changed(self, name: str) -> None:
        if name:
            self.layer_chosen.emit(name)

    def set_probe_image(self, image) -> None:
        """The probe (HWC float 0..1) shown beside its maps."""
        self._probe = np.asarray(image, np.float32)
        self.probe_image.setPixmap(to_pixmap(self._probe, 56))

    def set_class_names(self, names) -> None:
        """Class names for the Grad-CAM caption (empty: class numbers)."""
        self.class_names = tuple(str(n) for n in names or ())

    def set_history(self, history: dict) -> None:
        """Per-epoch ``loss`` / ``val_loss`` lists (a copy of the session's)."""
        loss = [float(v) for v in history.get("loss", [])]
        val = [float(v) for v in history.get("val_loss", [])]
        self.loss_curve.setData(np.arange(1, len(loss) + 1), np.asarray(loss))
        self.loss_plot.setXRange(0.8, max(2, len(loss)) + 0.2, padding=0)
        keep = [(i + 1, v) for i, v in enumerate(val) if np.isfinite(v)]
        self.val_curve.setData([k for k, _ in keep], [v for _, v in keep])

    def show_epoch(self, epoch: int, maps, cam_note: str = "") -> None:
        """Epoch ``epoch``'s record (a ProbeMaps with kernels, or None when the probe recorded none);
        ``cam_note``: why there is no Grad-CAM, if there is none."""
        self.shown_epoch = int(epoch)
        self.marker.setValue(float(epoch))
        self.marker.setVisible(True)
        if maps is None:
            return
        if maps.kernels is not None:
            show_kernels(self.kernel_grid, maps.kernels, maps.bias, tile_px=max(18, 6 * maps.kernels.shape[0]))
            kh, kw, c_in, f = maps.kernels.shape
            self.kernel_title.setText(f"Kernels of “{maps.layer_name}” after epoch {epoch} ({f} filters, "
                                      f"{kh}×{kw}×{c_in})")
        self._draw_maps(maps, f"after epoch {epoch}")
        self._draw_cam(epoch, maps, cam_note)

    def _draw_cam(self, epoch: int, maps, note: str) -> None:
        self.shown_cam = maps.cam
        if maps.cam is None or self._probe is None:
            self.cam_image.clear()
            self.cam_title.setText(f"No Grad-CAM after epoch {epoch}" + (f" ({note})" if note else ""))
            return
        k = maps.cam_class
        name = self.class_names[k] if 0 <= k < len(self.class_names) else str(k)
        self.cam_image.setPixmap(to_pixmap(overlay(self._probe, maps.cam, CAM_ALPHA), CAM_PX))
        which = "true" if maps.cam_true else "predicted"
        self.cam_title.setText(f"Middle: Grad-CAM after epoch {epoch} for the {which} class “{name}” "
                               f"(“{maps.cam_layer}”)")

    def show_live(self, maps) -> None:
        """The newest batch record (while the slider follows the run)."""
        if maps is not None:
            self._draw_maps(maps, f"live: epoch {maps.epoch + 1}, batch {maps.batch}")

    def _draw_maps(self, maps, when: str) -> None:
        self.shown_maps = maps
        m = np.asarray(maps.maps)
        n = min(MAX_MAPS, m.shape[-1])
        tiles = [m[:, :, c] for c in range(n)]
        lo, hi = data_range(m[:, :, :n])
        self.maps_grid.set_tiles(tiles, lo, hi, "gray", labels=[f"f{c}" for c in range(n)], columns=8)
        more = f", the first {n} of {m.shape[-1]}" if m.shape[-1] > n else ""
        self.maps_title.setText(f"Probe image's feature maps at “{maps.layer_name}”, {when} ({m.shape[0]}×"
                                f"{m.shape[1]}{more}; one gray scale {lo:.2g}..{hi:.2g})")


def attach_probe(view, session, probe, relay) -> None:
    """Chain ``probe.on_batch`` into ``session.on_batch_end`` (the training thread): it records every few
    batches and, at most every PROBE_SIGNAL_S, emits ``relay.probed`` (queued to the GUI thread). A probe that
    fails says why in ``view._probe_error`` and stops; the training goes on."""
    if probe is None:
        return
    previous = session.on_batch_end
    last = [0.0]

    def on_batch_end(epoch, batch, model, _previous=previous):   # the training thread
        if _previous is not None:
            _previous(epoch, batch, model)
        if not view._live or view._probe_error:
            return
        try:   # never let the probe break the training run
            if probe.on_batch(epoch, batch, model) is None:
                return
        except Exception as exc:  # noqa: BLE001
            view._probe_error = f"no probe maps: {why(exc)}"
            return
        now = time.perf_counter()
        if now - last[0] >= PROBE_SIGNAL_S:
            last[0] = now
            try:
                relay.probed.emit()
            except RuntimeError:   # the view is gone (the app is closing)
                pass

    session.on_batch_end = on_batch_end
