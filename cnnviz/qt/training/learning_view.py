"""Watch it learn: after every epoch, where the network puts a fixed set of test images (the penultimate layer's
activations projected to 2D by PCA, one colour per class) and the weight histograms of a chosen layer.

The numbers are made on the training thread at the end of each epoch (the session's ``on_epoch_end`` hook, as
the conv snapshots are) by :class:`cnnviz.core.explain.projection.ProjectionRecorder` and
:class:`cnnviz.core.explain.weights.WeightHistograms`; the GUI thread only draws what they recorded, when the
queued ``recorded`` signal arrives. Clicking a point sends its image to the Inspector.

A probe image (the first test image) is watched too: :class:`cnnviz.core.explain.probe.ProbeRecorder` records its
feature maps at the first conv layer every few batches (the session's ``on_batch_end`` hook; the interval is
chosen to cost about 1% of the training time) and the layer's kernels at each epoch's end; a queued ``probed``
signal, at most every 0.1 s, redraws them. The epoch slider is the time-lapse scrubber: it moves the projection,
the histogram, the loss curve's marker, the kernels and the probe's maps together (learning_timelapse.py).
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QSplitter, QVBoxLayout,
                               QWidget)

from cnnviz.core.explain.probe import ProbeRecorder, conv_layers
from cnnviz.core.explain.projection import ProjectionRecorder
from cnnviz.core.explain.weights import WeightHistograms
from cnnviz.core.errors import UserError

from .learning_timelapse import TimeLapse, attach_probe, why as _why

# Okabe-Ito and Tableau colours: ten classes told apart, also by most colour-blind viewers
CLASS_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
                "#8c564b", "#7f7f7f")
DEFAULT_IMAGES = 300   # enough to see the classes part; cheap next to an epoch (benchmarks/learning_overhead.py)
HIST_NOW = "#0072b2"
HIST_START = (120, 120, 120)


def class_color(k: int) -> str:
    return CLASS_COLORS[int(k) % len(CLASS_COLORS)]


class _Relay(QObject):
    """Carries "epoch recorded" from the training thread to the GUI thread (queued)."""

    recorded = Signal(int)
    probed = Signal()
    failed = Signal(str)


class LearningView(QWidget):
    """The projection scatter and the weight histograms, per epoch. ``inspect_requested(image, description)``
    when a point is clicked. Feed it with :meth:`begin_run` (the test images) and :meth:`attach` (the session)."""

    inspect_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None, max_images: int = DEFAULT_IMAGES) -> None:
        super().__init__(parent)
        self.max_images = int(max_images)
        self.recorder: ProjectionRecorder | None = None
        self.histograms: WeightHistograms | None = None
        self.probe: ProbeRecorder | None = None
        self.probe_every: int | None = None   # batches between probe records; None: chosen to cost ~1%
        self._probe_error = ""
        self._images = None        # float32 NHWC 0..1 test images (the recorder's)
        self._names: tuple[str, ...] = ()
        self._session = None
        self._live = True
        self._relay = _Relay(self)
        self._relay.recorded.connect(self._on_recorded)
        self._relay.probed.connect(self._on_probed)
        self._relay.failed.connect(self._on_failed)
        self.timelapse = TimeLapse()
        self.timelapse.layer_chosen.connect(self._on_probe_layer_chosen)

        self.live_check = QCheckBox("Record after every epoch")
        self.live_check.setChecked(True)
        self.live_check.setToolTip("Compute the projection and the weight histograms at the end of each epoch, on "
                                   "the training thread (a few milliseconds an epoch). Untick to train without.")
        self.live_check.toggled.connect(self._on_live_toggled)
        self.epoch_slider = QSlider(Qt.Orientation.Horizontal)
        self.epoch_slider.setRange(0, 0)
        self.epoch_slider.setEnabled(False)
        self.epoch_slider.setToolTip("Which epoch to show; it follows the newest one while it is at the right end")
        self.epoch_slider.valueChanged.connect(self._on_epoch_slider_changed)
        self.epoch_label = QLabel("")
        self.status = QLabel("Train a model: after every epoch the test images appear here, placed by what the "
                             "network's last hidden layer makes of them.")
        self.status.setWordWrap(True)

        self.scatter_widget = pg.PlotWidget(background="w")
        self.scatter_plot = self.scatter_widget.getPlotItem()
        self.scatter_plot.setMenuEnabled(False)
        self.scatter_plot.hideButtons()
        self.scatter_plot.setTitle("Test images, penultimate layer, PCA")
        self.scatter_plot.setLabel("bottom", "component 1")
        self.scatter_plot.setLabel("left", "component 2")
        for axis in ("bottom", "left"):
            self.scatter_plot.getAxis(axis).enableAutoSIPrefix(False)
        self.legend = QLabel()   # one coloured dot and name per class, under the plot
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.scatter_widget.setToolTip(
            "Each dot is one test image, coloured by its true class, placed by the activations of the layer just "
            "before the output, squeezed to two numbers by PCA (the two directions along which those activations "
            "vary most). As the network learns, images of one class gather and the classes move apart. Click a dot "
            "to open its image in the Inspector.")
        self.class_items: list[pg.ScatterPlotItem] = []

        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The layer whose weights the histogram counts")
        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        self.hist_widget = pg.PlotWidget(background="w")
        self.hist_plot = self.hist_widget.getPlotItem()
        self.hist_plot.setMenuEnabled(False)
        self.hist_plot.hideButtons()
        self.hist_plot.setTitle("Weights")
        self.hist_plot.setLabel("bottom", "weight value")
        self.hist_plot.setLabel("left", "how many")
        self.hist_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.hist_key = QLabel("<span style='color:#787878'>&#9646;</span> after the first epoch recorded &nbsp; "
                               f"<span style='color:{HIST_NOW}'>&#9646;</span> after the epoch shown")
        self.hist_widget.setToolTip("How the chosen layer's weights (kernel and bias) are spread: grey outline "
                                    "after the first epoch recorded, blue after the epoch shown. The bins stay the same every "
                                    "epoch; weights beyond them are counted in the end bins.")
        self.hist_start = self.hist_plot.plot(stepMode="center", pen=pg.mkPen(HIST_START, width=1.5))
        self.hist_now = self.hist_plot.plot(stepMode="center", fillLevel=0, pen=pg.mkPen(HIST_NOW, width=1.5),
                                            brush=(0, 114, 178, 90))

        top = QHBoxLayout()
        top.addWidget(self.live_check)
        top.addWidget(QLabel("Epoch"))
        top.addWidget(self.epoch_slider, 1)
        top.addWidget(self.epoch_label)
        hist_box = QWidget()
        hl = QVBoxLayout(hist_box)
        hl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.layer_combo, 1)
        hl.addLayout(row)
        hl.addWidget(self.hist_widget, 1)
        hl.addWidget(self.hist_key)
        scatter_box = QWidget()
        sl = QVBoxLayout(scatter_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.scatter_widget, 1)
        sl.addWidget(self.legend)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scatter_box)
        split.addWidget(self.timelapse)
        split.addWidget(hist_box)
        split.setSizes([420, 420, 260])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    # --- API (GUI thread) -----------------------------------------------------------------------------
    @property
    def shown_epoch(self) -> int | None:
        return self.epoch_slider.value() if self.epoch_slider.isEnabled() else None

    def begin_run(self, dataset) -> None:
        """A new run is about to train on ``dataset``: take its first test images (up to ``max_images``)."""
        self.clear()
        x = getattr(dataset, "x_test", None)
        y = getattr(dataset, "y_test", None)
        if x is None or y is None or len(x) < 3:
            self.status.setText("The projection needs test images held in memory; this dataset has none "
                                "(a streamed dataset such as CelebA is not projected).")
            return
        n = min(self.max_images, len(x))
        try:
            self.recorder = ProjectionRecorder(np.asarray(x[:n]), np.asarray(y[:n]))
        except UserError as exc:
            self.status.setText(f"No projection: {exc}")
            return
        self._images = self.recorder.images
        self._names = tuple(getattr(dataset, "class_names", ()) or ())
        self.histograms = WeightHistograms()
        try:
            self.probe = ProbeRecorder(np.asarray(x[0]), every=self.probe_every, label=int(np.asarray(y[0])))
            self.timelapse.set_probe_image(self.probe.image)
            self.timelapse.set_class_names(self._names)
        except UserError as exc:
            self.probe, self._probe_error = None, f"no probe maps: {exc}"
        self.status.setText(f"Waiting for the first epoch: {n} test images will be projected after each one.")

    def attach(self, session) -> None:
        """Record at the end of each epoch of ``session`` (its ``on_epoch_end`` is chained, once)."""
        if session is None or self.recorder is None or session is self._session:
            return
        self._session = session
        previous = session.on_epoch_end
        recorder, hists, relay, probe = self.recorder, self.histograms, self._relay, self.probe
        attach_probe(self, session, probe, relay)
        if probe is not None:
            try:   # names only (the model is built): no TensorFlow op runs here
                names = [ly.name for ly in conv_layers(session.model)]
            except Exception:  # noqa: BLE001
                names = []
            self.timelapse.set_layers(names, probe.layer_name or (names[0] if names else None))

        def on_epoch_end(epoch, model, _previous=previous):   # the training thread
            if _previous is not None:
                _previous(epoch, model)
            if not self._live:
                return
            try:   # never let a view break the training run: say what went wrong instead
                hists.record(epoch, model)
                recorder.record(epoch, model)
                if probe is not None and not self._probe_error:
                    try:
                        probe.on_epoch(epoch, model)
                    except Exception as exc:  # noqa: BLE001 (e.g. no conv layer: the other views go on)
                        self._probe_error = f"no probe maps: {_why(exc)}"
                relay.recorded.emit(epoch + 1)
            except Exception as exc:  # noqa: BLE001
                try:
                    relay.failed.emit(_why(exc))
                except RuntimeError:   # the view is gone (the app is closing)
                    pass

        session.on_epoch_end = on_epoch_end

    def clear(self) -> None:
        self.recorder = self.histograms = self._images = self.probe = None
        self._session = None
        self._probe_error = ""
        self.timelapse.clear()
        for item in self.class_items:
            self.scatter_plot.removeItem(item)
        self.class_items = []
        self.legend.setText("")
        self.hist_now.setData([], [])
        self.hist_start.setData([], [])
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.blockSignals(False)
        self.epoch_slider.setEnabled(False)
        self.epoch_slider.setRange(0, 0)
        self.epoch_label.setText("")

    def class_name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def describe(self, i: int) -> str:
        """What the Inspector says about test image ``i``."""
        y = int(self.recorder.labels[i])
        name = self.class_name(y)
        epoch = self.shown_epoch
        return (f"Test image #{int(self.recorder.indices[i])} of the training run: true class {name} "
                f"(a dot of the projection after epoch {epoch})")

    def inspect(self, i: int) -> None:
        self.inspect_requested.emit(np.array(self._images[i], np.float32), self.describe(i))

    # --- slots -----------------------------------------------------------------------------------------
    @Slot(bool)
    def _on_live_toggled(self, on: bool) -> None:
        self._live = bool(on)

    @Slot(int)
    def _on_recorded(self, epoch: int) -> None:
        if self.recorder is None:
            return
        epochs = [p.epoch for p in self.recorder.projections]
        if not epochs:
            return
        follow = not self.epoch_slider.isEnabled() or self.epoch_slider.value() >= self.epoch_slider.maximum()
        self.epoch_slider.blockSignals(True)
        self.epoch_slider.setRange(epochs[0], epochs[-1])
        self.epoch_slider.setEnabled(True)
        if follow:
            self.epoch_slider.setValue(epochs[-1])
        self.epoch_slider.blockSignals(False)
        self._fill_layers()
        if self._session is not None:
            self.timelapse.set_history({k: list(self._session.history.get(k, [])) for k in ("loss", "val_loss")})
        ms = 1000 * float(self.recorder.seconds[-1]) if self.recorder.seconds else 0.0
        p = self.recorder.latest
        self.status.setText(f"Epoch {epoch}: {len(p.points)} test images, layer “{p.layer_name}”; the two axes "
                            f"hold {100 * float(p.explained.sum()):.0f}% of its variance. Recording takes "
                            f"{ms:.0f} ms (the last epoch)."
                            + (f" Probe: every {self.probe.every} batch(es)." if self.probe is not None
                               and not self._probe_error else f" {self._probe_error}."))
        self._show(self.epoch_slider.value())

    @Slot()
    def _on_probed(self) -> None:
        following = not self.epoch_slider.isEnabled() or self.epoch_slider.value() >= self.epoch_slider.maximum()
        if self.probe is not None and following:
            self.timelapse.show_live(self.probe.latest)

    @Slot(str)
    def _on_probe_layer_chosen(self, name: str) -> None:
        if self.probe is not None:
            self.probe.choose_layer(name)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.setText(f"No projection: {message}")

    @Slot(int)
    def _on_epoch_slider_changed(self, value: int) -> None:
        self._show(value)

    @Slot(int)
    def _on_layer_changed(self, _index: int) -> None:
        self._show_histogram(self.shown_epoch)

    # --- drawing ---------------------------------------------------------------------------------------
    def _fill_layers(self) -> None:
        names = self.histograms.layers if self.histograms is not None else []
        have = [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]
        if names != have:
            current = self.layer_combo.currentText()
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            if current in names:
                self.layer_combo.setCurrentText(current)
            self.layer_combo.blockSignals(False)

    def _class_item(self, k: int) -> pg.ScatterPlotItem:
        while len(self.class_items) <= k:
            j = len(self.class_items)
            color = class_color(j)
            item = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=0.5), brush=pg.mkBrush(color),
                                      hoverable=True, hoverSize=11)
            item.setObjectName(f"class_{j}")
            item.sigClicked.connect(self._on_points_clicked)
            self.scatter_plot.addItem(item)
            self.class_items.append(item)
            self.legend.setText(" &nbsp; ".join(
                f"<span style='color:{class_color(i)}'>&#9679;</span>&nbsp;{html.escape(self.class_name(i))}"
                for i in range(len(self.class_items))))
        return self.class_items[k]

    def _show(self, epoch: int | None) -> None:
        if self.recorder is None or epoch is None:
            return
        proj = next((p for p in self.recorder.projections if p.epoch == epoch), None)
        if proj is None:
            return
        self.epoch_label.setText(f"{epoch}")
        labels = proj.labels
        for k in range(int(labels.max()) + 1 if len(labels) else 0):
            self._class_item(k)
        for k, item in enumerate(self.class_items):
            idx = np.flatnonzero(labels == k)
            item.setData(x=proj.points[idx, 0], y=proj.points[idx, 1], data=idx)
        var = proj.explained
        self.scatter_plot.setLabel("bottom", f"component 1 ({100 * float(var[0]):.0f}% of the variance)")
        self.scatter_plot.setLabel("left", f"component 2 ({100 * float(var[1]):.0f}%)")
        self.scatter_plot.setTitle(f"Test images after epoch {epoch}: layer “{proj.layer_name}”, PCA")
        self._show_histogram(epoch)
        maps = None
        if self.probe is not None and epoch in self.probe.epochs:
            maps = self.probe.at_epoch(epoch)
        self.timelapse.show_epoch(epoch, maps, self.probe.cam_error if self.probe is not None else "")

    def _show_histogram(self, epoch: int | None) -> None:
        name = self.layer_combo.currentText()
        if self.histograms is None or not name or epoch is None:
            return
        try:
            now = self.histograms.get(name, epoch)
        except KeyError:
            now = self.histograms.get(name)
        first = self.histograms.get(name, self.histograms.epochs(name)[0])
        self.hist_start.setData(first.edges, first.counts)
        self.hist_now.setData(now.edges, now.counts)
        out = f", {now.outside:,} beyond the bins" if now.outside else ""
        self.hist_plot.setTitle(f"“{name}”: {now.total:,} weights after epoch {now.epoch}{out}")

    @Slot(object, object, object)
    def _on_points_clicked(self, _item, points, _event=None) -> None:
        if self.recorder is None or not len(points):
            return
        self.inspect(int(points[0].data()))

