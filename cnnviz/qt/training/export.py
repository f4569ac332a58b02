"""Saving what the training panel shows: the history as CSV and the plots as PNG, both written atomically."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QWidget

from cnnviz.core.model.spec import atomic_write_text
from cnnviz.core.train.events import HISTORY_KEYS


def history_csv(history: dict[str, list[float]]) -> str:
    """CSV text: a header ``epoch,loss,accuracy,val_loss,val_accuracy,seconds`` and one row per epoch (1-based)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *HISTORY_KEYS])
    for i in range(len(history.get("loss", []))):
        writer.writerow([i + 1, *(repr(float(history[k][i])) for k in HISTORY_KEYS)])
    return out.getvalue()


def read_history_csv(path: str | os.PathLike) -> dict[str, list[float]]:
    """The inverse of :func:`history_csv` (for checks and re-plotting)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [float(r[k]) for r in rows] for k in HISTORY_KEYS}


def save_history_csv(history: dict[str, list[float]], path: str | os.PathLike) -> None:
    atomic_write_text(Path(path), history_csv(history))


def run_history(run_folder: str | os.PathLike) -> dict[str, list[float]]:
    """The per-epoch history a run folder recorded (history.jsonl), as the session's dict of lists."""
    from cnnviz.core.train.runs import read_history

    records = read_history(Path(run_folder) / "history.jsonl")
    return {k: [float(r.get(k, float("nan"))) for r in records] for k in HISTORY_KEYS}


def save_run_history_csv(run_folder: str | os.PathLike, path: str | os.PathLike) -> None:
    """The history of a run folder as CSV (:func:`history_csv`)."""
    save_history_csv(run_history(run_folder), path)


def save_widget_png(widget: QWidget, path: str | os.PathLike) -> None:
    """Screenshot ``widget`` into a PNG via a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        if not widget.grab().save(tmp, "PNG"):
            raise OSError(f"could not write a PNG image to {path.parent}")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
