"""Live training curves: loss per batch (raw and smoothed) and, like the lecture's figure, loss and accuracy per
epoch for the training and the validation set, side by side.

Events only append to numpy-free Python lists; a timer redraws at most every 250 ms with ``setData`` on the
existing curves (never rebuilding plot items); only the plots whose data changed are touched, and the two epoch
plots are redrawn in separate turns of the event loop, so the GUI never paints all three in one go (an epoch's end
would otherwise stall the GUI thread for the length of three paints while the worker saves the checkpoint).
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QHBoxLayout, QWidget

from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingStarted

TRAIN_COLOR = "#0072b2"
VAL_COLOR = "#e69f00"
RAW_COLOR = (150, 150, 150, 140)
REDRAW_MS = 250
AXIS_WIDTH = 44
EPOCH_PLOTS = ("loss", "accuracy")


class BatchLossTracker:
    """Turns throttled BatchProgress events into a loss per interval of batches and its smoothed curve.

    Keras reports the *running mean* of the loss since the epoch began; two reports at batches b1 < b2 of one
    epoch give the mean loss of batches b1+1..b2 exactly: ``(b2*m2 - b1*m1) / (b2 - b1)``. The x value counts
    the batches trained so far in epochs (monotonic across stops and "train more"). Smoothing is an exponential
    moving average per batch (an interval of k batches weighs like k batches) with TensorBoard's start-up bias
    correction, so the smoothed curve does not depend on how often events arrive.
    """

    def __init__(self, smoothing: float = 0.9) -> None:
        self.smoothing = smoothing
        self.x: list[float] = []
        self.loss: list[float] = []
        self.ema: list[float] = []
        self._avg = 0.0
        self._n = 0
        self._batches_before = 0     # batches trained before the current epoch (all runs)
        self._epoch: int | None = None
        self._last_batch = 0
        self._last_mean = 0.0

    def new_run(self) -> None:
        """The next event starts a new epoch even if its index repeats (a stopped epoch is trained again)."""
        self._batches_before += self._last_batch
        self._epoch, self._last_batch, self._last_mean = None, 0, 0.0

    def add(self, e: BatchProgress) -> None:
        if e.epoch != self._epoch or e.batch <= self._last_batch:
            if self._epoch is not None:
                self._batches_before += self._last_batch
            self._epoch, self._last_batch, self._last_mean = e.epoch, 0, 0.0
        span = e.batch - self._last_batch
        value = (e.batch * e.loss - self._last_batch * self._last_mean) / span
        value = max(0.0, value) if math.isfinite(value) else e.loss
        self._last_batch, self._last_mean = e.batch, e.loss
        self._n += span
        keep = self.smoothing ** span
        self._avg = keep * self._avg + (1.0 - keep) * value
        self.x.append((self._batches_before + e.batch) / max(1, e.steps))
        self.loss.append(value)
        self.ema.append(self._avg / (1.0 - self.smoothing ** self._n))


def _plot(title: str, xlabel: str, ylabel: str) -> pg.PlotWidget:
    # No grid: pyqtgraph's axes draw it, and every repaint replays it (~1 ms per axis on a software-rendered
    # view, in the GUI thread, holding the GIL the training thread needs).
    widget = pg.PlotWidget(background="w")
    plot = widget.getPlotItem()
    plot.setTitle(title)
    plot.setLabel("left", ylabel)
    plot.setLabel("bottom", xlabel)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.getAxis("left").enableAutoSIPrefix(False)
    # A fixed width: the first epoch's tick labels would otherwise widen the axis, re-lay the plot out and paint
    # it a second time in the same pass (~13 ms each on a software-rendered view).
    plot.getAxis("left").setWidth(AXIS_WIDTH)
    return widget


class LivePlots(QWidget):
    """Three plots fed by training events. Connect the runner's signals to the ``on_*`` slots.

    Each plot is its own view, so a batch update repaints only the batch plot; its axes have fixed ranges during
    a run (x: the run's length, y: grows only when the loss exceeds it), so most updates repaint just the curve.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch_widget = _plot("Loss per batch", "epochs of data", "loss")
        self.loss_widget = _plot("Loss", "epoch", "loss")
        self.acc_widget = _plot("Accuracy", "epoch", "accuracy")
        self.batch_widget.setToolTip("Loss after each batch (thin) and its moving average (thick): it should fall. "
                                     "Drag to pan, wheel to zoom, double-click to see it all again")
        self.loss_widget.setToolTip("Loss per epoch: training images (circles), validation images (squares); a "
                                    "hollow point is an epoch a Stop cut short")
        self.acc_widget.setToolTip("Share classified right per epoch: training (circles), validation (squares); a "
                                   "hollow point is an epoch a Stop cut short")
        self.batch_plot = self.batch_widget.getPlotItem()
        self.loss_plot = self.loss_widget.getPlotItem()
        self.acc_plot = self.acc_widget.getPlotItem()
        self._user_range = False   # the user panned or zoomed the batch plot: leave its range alone
        self.batch_plot.getViewBox().sigRangeChangedManually.connect(self._on_batch_range_changed_manually)
        self.batch_widget.mouseDoubleClickEvent = self._on_batch_double_clicked
        for plot, offset in ((self.batch_plot, (-6, 6)), (self.loss_plot, (-6, 6)), (self.acc_plot, (-6, -6))):
            plot.addLegend(offset=offset, labelTextSize="8pt", verSpacing=-6)  # where the curves are not
        self.raw_curve = self.batch_plot.plot(pen=pg.mkPen(RAW_COLOR, width=1), name="per batch")
        self.ema_curve = self.batch_plot.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), name="smoothed (EMA)",
                                              antialias=True)
        self.curves = {}
        for plot, key in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            for prefix, color, name, symbol in (("", TRAIN_COLOR, "training", "o"),
                                                ("val_", VAL_COLOR, "validation", "s")):
                self.curves[prefix + key] = plot.plot(pen=pg.mkPen(color, width=2), name=name, symbol=symbol,
                                                      symbolSize=6, symbolBrush=color, symbolPen=None,
                                                      connect="finite", antialias=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget in (self.batch_widget, self.loss_widget, self.acc_widget):
            layout.addWidget(widget)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._on_timer_timeout)   # runs only while a run is training
        self._turn_pending = False
        self.clear()

    def clear(self) -> None:
        """Forget every curve (a new model is trained)."""
        self.tracker = BatchLossTracker()
        self.epochs: list[int] = []
        self.partial: list[bool] = []   # per epoch: cut short by a Stop
        self.history: dict[str, list[float]] = {k: [] for k in self.curves}
        self._x_end = 1.0
        self._y_top = 0.0
        self._applied: tuple[float, float] | None = None   # the batch plot's range as last set
        self._user_range = False
        self._batch_dirty, self._epoch_dirty = True, set(EPOCH_PLOTS)
        self._redraw()

    def set_history(self, history: dict[str, list[float]]) -> None:
        """Show per-epoch curves from a session's history."""
        self.history = {k: list(history.get(k, [])) for k in self.curves}
        self.epochs = list(range(1, len(self.history["loss"]) + 1))
        self.partial = [False] * len(self.epochs)
        self._epoch_dirty = set(EPOCH_PLOTS)

    # --- slots for the training runner -------------------------------------------------------------
    @Slot(object)
    def on_training_started(self, event: TrainingStarted) -> None:
        self.tracker.new_run()
        done = self.tracker.x[-1] if self.tracker.x else 0.0
        self._x_end = max(1.0, done + event.epochs)   # Train more: the x axis grows to the new run's end
        self._user_range = False
        self._batch_dirty = True
        self._timer.start()

    @Slot(object)
    def on_training_finished(self, event=None) -> None:
        """The run ended: draw what came last (one plot per turn of the event loop) and stop redrawing."""
        self.shutdown()
        self._batch_dirty = True
        self._redraw_in_turns()

    def shutdown(self) -> None:
        self._timer.stop()

    @Slot(object)
    def on_batch_progressed(self, event: BatchProgress) -> None:
        self.tracker.add(event)
        self._batch_dirty = True

    @Slot(object)
    def on_epoch_finished(self, event: EpochResult) -> None:
        self.epochs.append(event.epoch + 1)
        self.partial.append(bool(getattr(event, "partial", False)))
        for key in self.curves:
            self.history[key].append(getattr(event, key))
        self._epoch_dirty = set(EPOCH_PLOTS)

    def _on_batch_range_changed_manually(self, *_) -> None:
        self._user_range = True

    def _on_batch_double_clicked(self, event) -> None:
        """Double-click: back to the whole run after panning or zooming."""
        self._user_range = False
        self._applied = None
        self._batch_dirty = True
        self._redraw()
        event.accept()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._redraw_in_turns()

    def _redraw_in_turns(self) -> None:
        """Redraw the batch plot and at most one epoch plot now; the next dirty epoch plot in the next turn of the
        event loop, after the paint of this one (posted events run before timers)."""
        if self._batch_dirty or self._epoch_dirty:
            self._redraw(limit=1)
        if self._epoch_dirty and not self._turn_pending:
            self._turn_pending = True
            QTimer.singleShot(0, self, self._next_turn)

    @Slot()
    def _next_turn(self) -> None:
        self._turn_pending = False
        self._redraw_in_turns()

    def draw_pending(self) -> None:
        """Apply now what is not drawn yet (a run's result arrives: the curves are complete), nothing more."""
        self._redraw()

    def flush(self) -> None:
        """Redraw everything now (before a screenshot or an export)."""
        self._batch_dirty, self._epoch_dirty = True, set(EPOCH_PLOTS)
        self._redraw()

    def _redraw(self, limit: int | None = None) -> None:
        """Apply the dirty data to the curves: the batch plot, then the dirty epoch plots (``limit`` of them)."""
        if self._batch_dirty:
            self._batch_dirty = False
            t = self.tracker
            self.raw_curve.setData(t.x, t.loss)
            self.ema_curve.setData(t.x, t.ema)
            self._x_end = max(self._x_end, t.x[-1] if t.x else 0.0)
            top = max(t.loss, default=1.0)
            if top > self._y_top or not t.x:
                self._y_top = max(top * 1.08, 1e-3)
            wanted = (self._x_end, self._y_top)
            if wanted != self._applied and not self._user_range:   # only when it changed: repaints stay cheap
                self._applied = wanted
                self.batch_plot.setRange(xRange=(0, self._x_end), yRange=(0, self._y_top), padding=0.02)
        for key in [k for k in EPOCH_PLOTS if k in self._epoch_dirty][:limit]:
            self._epoch_dirty.discard(key)
            for name in (key, "val_" + key):
                curve, values = self.curves[name], self.history[name]
                if any(v == v for v in values):   # no validation set: an all-NaN curve stays empty
                    color = VAL_COLOR if name.startswith("val_") else TRAIN_COLOR
                    brushes = [pg.mkBrush(None) if cut else pg.mkBrush(color) for cut in self.partial]   # hollow
                    pens = [pg.mkPen(color, width=1.5) if cut else pg.mkPen(None) for cut in self.partial]
                    curve.setData(self.epochs, values, symbolBrush=brushes, symbolPen=pens)
                else:
                    curve.setData([], [])
            top = max(1, len(self.epochs))
            plot = self.loss_plot if key == "loss" else self.acc_plot
            plot.setXRange(0.5, top + 0.5, padding=0)
            plot.getAxis("bottom").setTickSpacing(major=max(1, round(top / 8)), minor=1)
