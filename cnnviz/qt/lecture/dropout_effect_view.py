"""The effect of dropout: two tiny real runs on a small MNIST subset, without and with dropout, side by side.

Runs on the training lane (``state.background.training``) through cnnviz.core.lecture.dropout_effect; each
epoch's accuracies come back through a bridge QObject living in the GUI thread. Closing the app cancels the job
(checked after every batch).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from cnnviz.qt.concurrency import current_token

COLOURS = {0.0: "#d95f02", 1.0: "#1b9e77"}   # without dropout / with dropout


class _Bridge(QObject):
    """Lives in the GUI thread; the worker emits ``epoch`` and Qt queues it to the receiving slot."""

    epoch = Signal(float, int, float, float)


class DropoutEffectBox(QGroupBox):
    """Signals: ``finished(object)`` the (without, with) EffectRun pair."""

    finished = Signal(object)

    def __init__(self, state, rate_source, parent: QWidget | None = None) -> None:
        super().__init__("The effect: train with and without dropout (a small MNIST subset)", parent)
        self.state = state
        self.rate_source = rate_source          # a callable giving the current p_drop
        self._jobs = state.background.training.client(self)
        self._jobs.finished.connect(self._on_finished)
        self._jobs.failed.connect(self._on_failed)
        self._bridge = _Bridge(self)
        self._bridge.epoch.connect(self._on_epoch)
        self.points: dict[float, tuple[list, list]] = {}
        self.result = None

        self.train_count = QSpinBox()
        self.train_count.setRange(100, 3000)
        self.train_count.setSingleStep(100)
        self.train_count.setValue(500)
        self.epochs = QSpinBox()
        self.epochs.setRange(2, 50)
        self.epochs.setValue(15)
        self.button = QPushButton("Train both")
        self.status = QLabel("Two runs of Flatten → Dense(256, relu) → [Dropout(p_drop)] → Dense(10, softmax) from "
                             "the same initial weights on the same images; 1,000 other images validate.")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(220)
        self.plot.setToolTip("Accuracy per epoch with and without dropout (solid: training, dashed: validation)")
        self.plot.setBackground("w")
        self.plot.addLegend(offset=(-10, -10))
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "accuracy")
        self.curves = {}
        for key, name in ((0.0, "without dropout"), (1.0, "with dropout")):
            colour = COLOURS[key]
            self.curves[(key, "train")] = self.plot.plot([], [], pen=pg.mkPen(colour, width=2),
                                                         name=f"{name}: training")
            self.curves[(key, "val")] = self.plot.plot([], [], pen=pg.mkPen(colour, width=2, style=pg.QtCore.Qt.DashLine),
                                                       name=f"{name}: validation")
        row = QHBoxLayout()
        for w in (QLabel("training images"), self.train_count, QLabel("epochs"), self.epochs, self.button):
            row.addWidget(w)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.plot)
        self.button.clicked.connect(self.start)

    @Slot()
    def start(self) -> None:
        rate = float(self.rate_source())
        if not 0.0 < rate < 1.0:
            self.status.setText("Set p_drop above 0 first: with p_drop = 0 both runs would be the same.")
            return
        self.points = {0.0: ([], []), 1.0: ([], [])}
        for curve in self.curves.values():
            curve.setData([], [])
        self.result = None
        self.button.setEnabled(False)
        self.status.setText(f"Training without dropout, then with p_drop = {rate:g}…")
        self._jobs.submit("effect", _effect_job, self._bridge, rate, self.train_count.value(), self.epochs.value())

    @Slot(float, int, float, float)
    def _on_epoch(self, rate: float, epoch: int, acc: float, val: float) -> None:
        key = 0.0 if rate == 0 else 1.0
        if key not in self.points:
            return
        train, valid = self.points[key]
        train.append(acc)
        valid.append(val)
        xs = list(range(1, len(train) + 1))
        self.curves[(key, "train")].setData(xs, train)
        self.curves[(key, "val")].setData(xs, valid)

    @Slot(str, object)
    def _on_finished(self, _key: str, result) -> None:
        without, with_ = result
        self.result = result
        self.button.setEnabled(True)
        self.status.setText(
            f"Last epoch, training − validation accuracy: without dropout {without.accuracy[-1]:.3f} − "
            f"{without.val_accuracy[-1]:.3f} = {without.gap:.3f}; with p_drop = {with_.rate:g} "
            f"{with_.accuracy[-1]:.3f} − {with_.val_accuracy[-1]:.3f} = {with_.gap:.3f}. "
            "A smaller gap means less overfitting (on a few hundred images, one run can be noisy: try again "
            "with more epochs or images).")
        self.finished.emit(result)

    @Slot(str, str, str)
    def _on_failed(self, _key: str, message: str, _details: str) -> None:
        self.button.setEnabled(True)
        self.status.setText(f"Training failed: {message}")


def _effect_job(bridge: _Bridge, rate: float, train: int, epochs: int):
    from cnnviz.core.lecture.dropout_effect import mnist_subset, train_with_and_without

    token = current_token()

    def on_epoch(r: float, epoch: int, logs: dict) -> None:
        bridge.epoch.emit(float(r), int(epoch), float(logs.get("accuracy", 0.0)), float(logs.get("val_accuracy", 0.0)))

    return train_with_and_without(*mnist_subset(train, 1000), rate=rate, epochs=epochs, on_epoch=on_epoch,
                                  should_stop=lambda: token.cancelled)
