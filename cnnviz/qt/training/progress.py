"""What the Training tab says about a run while it trains: the progress bar, the line under it (epoch, batch,
images/s, time left, loss) and the coloured message box. The panel places these widgets and feeds them runner
events; the wording lives here."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar

from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingStarted

STYLES = {
    "info": "color: #1b3a57; background: #e8f1fa; border: 1px solid #b6d4ef;",
    "ok": "color: #1b5e20; background: #e8f5e9; border: 1px solid #a5d6a7;",
    "error": "color: #b71c1c; background: #fdecea; border: 1px solid #f5c2c0;",
}


def format_duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '1 h 02 min'."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class RunProgress:
    """Owns ``bar`` (QProgressBar), ``label`` (the progress line) and ``message`` (the message box)."""

    def __init__(self) -> None:
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.label = QLabel("Not trained yet.")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._total = 1
        self._start_epoch = 0
        self._epochs = 0

    def started(self, e: TrainingStarted) -> None:
        self._start_epoch, self._epochs = e.initial_epoch, e.epochs
        self._total = max(1, e.epochs * e.steps_per_epoch)
        self.bar.setRange(0, self._total)
        self.bar.setValue(0)
        self.show_message(f"Training on {e.train_samples:,} images, validating on {e.val_samples:,}.", "info")
        self.label.setText(f"Epoch {e.initial_epoch + 1}/{e.initial_epoch + e.epochs} · starting…")

    def batch(self, e: BatchProgress) -> None:
        done = (e.epoch - self._start_epoch) * e.steps + e.batch
        self.bar.setValue(min(done, self._total))
        self.label.setText(
            f"Epoch {e.epoch + 1}/{self._start_epoch + self._epochs} · batch {e.batch}/{e.steps} · "
            f"{e.images_per_s:,.0f} images/s · {format_duration(e.eta_s)} left · loss {e.loss:.4f}")

    def epoch(self, e: EpochResult) -> None:
        val = "" if e.val_loss != e.val_loss else f", validation {e.val_loss:.4f} / {100 * e.val_accuracy:.1f}%"
        self.label.setText(f"Epoch {e.epoch + 1} done in {format_duration(e.seconds)}: loss "
                           f"{e.loss:.4f} / accuracy {100 * e.accuracy:.1f}%{val}")

    def done(self, epochs_done: int, completed: bool, last_seconds: float | None) -> None:
        if completed:
            self.bar.setValue(self.bar.maximum())
        self.label.setText(f"{epochs_done} epoch(s) trained"
                           + (f"; the last took {format_duration(last_seconds)}." if last_seconds else "."))

    def show_message(self, text: str, kind: str = "info", rich: bool = False) -> None:
        self.message.setToolTip("")
        self.message.setProperty("spec", False)
        self.message.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setStyleSheet(f"QLabel {{ {STYLES[kind]} padding: 5px; border-radius: 3px; }}")
