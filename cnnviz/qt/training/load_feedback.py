"""What the Training tab's data box (data_box.py) says about a load: the status line, a progress bar with "Cancel
loading" while a load runs, a failed load's message (its details in the tooltip) with the offer of the bundled
sample, and the words for each kind of progress and for "nothing found".

:class:`LoadFeedback` only shows what it is told; starting, cancelling and telling loads apart stay in DataBox.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from cnnviz.core.data.dataset import DatasetError

from .data_source import WHAT_TO_CHOOSE, accepts_path

ERROR_STYLE = "QLabel { color: #b71c1c; background: #fdecea; border: 1px solid #f5c2c0; padding: 4px; }"
PROGRESS_WORDS = {"listing": "Looking for images: {done:,} files found", "reading": "Reading images: {done:,} of "
                  "{total:,}", "index": "Reading the CelebA index: {done:,} of {total:,} rows",
                  "faces": "Decoding preview faces: {done} of {total}"}


def explain_failure(exc: DatasetError, name: str, path_chosen: bool) -> str:
    """The message to show for a failed load of dataset ``name``: for "nothing found" (no file chosen, nothing
    local, no download) one line that says what to choose; otherwise the reader's own message."""
    message = str(exc)
    if exc.suggest_sample and accepts_path(name) and not path_chosen:
        first = message.split("\n", 1)[0].rstrip(".")
        return (f"{first}. Click “Open file or folder…” and choose {WHAT_TO_CHOOSE[name]}, or drop it on this "
                "box.")
    return message


class LoadFeedback:
    """Status line, progress row (``busy_row``: ``progress`` + ``cancel_button``), ``error`` and
    ``sample_button``. Not a widget of its own: the owner puts ``widgets`` in its layout, one under the other
    (so they share its spacing and spare room as its own rows do), calls ``show_error(None)`` once they are
    placed, and connects the two buttons."""

    def __init__(self) -> None:
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel loading")
        self.cancel_button.setToolTip("Stop reading this dataset; choose another one, or the same again")
        self.busy_row = QWidget()
        busy = QHBoxLayout(self.busy_row)
        busy.setContentsMargins(0, 0, 0, 0)
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        self.busy_row.hide()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_button = QPushButton("Use the bundled MNIST sample instead")
        self.widgets: tuple[QWidget, ...] = (self.status, self.busy_row, self.error, self.sample_button)

    def start(self, text: str) -> None:
        """A load has started: ``text`` and a busy bar until its progress says how far it is."""
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self.busy_row.show()

    def show_progress(self, what: str, done: int, total: int) -> None:
        """``done`` of ``total`` (0: unknown) of the stage ``what`` (a PROGRESS_WORDS key)."""
        words = PROGRESS_WORDS.get(what, "{done:,}")
        self.status.setText(words.format(done=done, total=max(total, done)) + "…")
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)

    def show_error(self, message: str | None, offer_sample: bool = False, details: str = "") -> None:
        """A failed load's ``message`` (None: no error), ``details`` in its tooltip, and the sample button."""
        self.error.setText(message or "")
        self.error.setToolTip(details if details and details != message else "")
        self.error.setVisible(bool(message))
        self.sample_button.setVisible(bool(message) and offer_sample)
