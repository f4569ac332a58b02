"""What closing the main window stops, in which order, and the one thing it keeps: a run's history so far.

``register_shutdown(window)`` fills the window's ``shutdown_registry`` (cnnviz.qt.concurrency.ShutdownRegistry);
``MainWindow.shutdown`` runs it once. A training run is stopped first and, when it was still training, its history
so far is written as a CSV to the cnnviz home folder (``stop_training_and_keep_history``).
"""
from __future__ import annotations

from functools import partial

__all__ = ["register_shutdown", "stop_training_and_keep_history"]


def register_shutdown(window) -> None:
    """What closing stops, in order: the training run first (it may take seconds and keeps its history),
    then the panels' own timers and jobs, the autosave, and last the lanes they all run on."""
    add = window.shutdown_registry.add
    add("training", partial(stop_training_and_keep_history, window.training))
    add("inspector", window._shutdown_inspector)   # the Inspector panel exists only once it was needed
    add("draw", window.draw)
    add("augment", window.augment)
    add("runs", window.runs.shutdown)
    add("model actions", window.models)
    add("autosave", window.autosave.shutdown)
    add("background lanes", window.background)


def stop_training_and_keep_history(training) -> bool:
    """Closing while training: stop within 5 s and keep the history so far in the cnnviz home folder.
    ``training``: the window's cnnviz.qt.training.TrainingPanel."""
    busy = training.is_busy
    stopped = training.shutdown(5000)
    run_folder = training.run_folder   # the run folder holds every finished epoch
    if busy and run_folder is not None and (run_folder / "history.jsonl").is_file():
        import time

        from cnnviz.core.io.autosave import cnnviz_home
        from cnnviz.qt.training.export import save_run_history_csv

        folder = cnnviz_home() / "history"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            save_run_history_csv(run_folder, folder / time.strftime("training-%Y%m%d-%H%M%S.csv"))
        except OSError:
            pass  # closing must not fail; the user was not asked for this file
    return stopped
