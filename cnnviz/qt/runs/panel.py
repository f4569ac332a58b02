"""Open run folders, follow one that another process is writing, and compare several side by side.

The runs made in the Training tab are run folders in the app's runs folder (cnnviz.core.train.runs.app_runs_dir):
the panel lists the most recent of them whenever it is shown or refreshed, and follows those still running.

Reading a run folder is a handful of small files (no TensorFlow), so it is done in the GUI thread on a timer;
:class:`cnnviz.core.train.runs.HistoryFollower` makes a poll of an unchanged run cost one ``stat`` call.
"""
from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from cnnviz.core.train.run_records import DamagedRun
from cnnviz.core.train.runs import HistoryFollower, RunError, app_runs_dir, list_runs, summarize_run
from cnnviz.core.train.sweep import SweepError, is_sweep_folder, sweep_trials

RECENT_APP_RUNS = 12   # app runs listed on their own; older ones can still be opened
COLUMNS = ("Run", "Status", "Parameters", "Epochs", "Time", "Best val. acc.", "Test acc.")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _fmt(value, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def _summary_cells(s) -> tuple[str, ...]:
    """The table row of a RunSummary: '?' where a damaged file made a value unreadable, the reasons beside the
    status (one line each, in the order found)."""
    def cell(key: str, value, pattern: str) -> str:
        return "?" if key in s.problems else _fmt(value, pattern)

    status = s.status + "".join(f" (damaged: {why})" for why in s.problems.values())
    return (s.name, status, cell("params", s.params, "{:,}"), str(s.epochs), cell("seconds", s.seconds, "{:.0f} s"),
            _fmt(s.best_val_accuracy, "{:.4f}"), cell("test_accuracy", s.test_accuracy, "{:.4f}"))


class _RunCurves:
    """The four plot items of one run (training/validation loss and accuracy), updated with setData."""

    def __init__(self, loss_plot, acc_plot, color: str, name: str) -> None:
        solid = pg.mkPen(color, width=2)
        dashed = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine)
        self.items = {
            "loss": loss_plot.plot(pen=dashed, name=f"{name} train", symbol="o", symbolSize=5, symbolBrush=color),
            "val_loss": loss_plot.plot(pen=solid, name=f"{name} val", symbol="o", symbolSize=5, symbolBrush=color),
            "accuracy": acc_plot.plot(pen=dashed, name=f"{name} train", symbol="o", symbolSize=5,
                                      symbolBrush=color),
            "val_accuracy": acc_plot.plot(pen=solid, name=f"{name} val", symbol="o", symbolSize=5,
                                          symbolBrush=color),
        }

    def update(self, records: list[dict]) -> None:
        epochs = [r["epoch"] + 1 for r in records]
        for key, item in self.items.items():
            pairs = [(e, r.get(key)) for e, r in zip(epochs, records)
                     if isinstance(r.get(key), (int, float)) and r.get(key) == r.get(key)]
            item.setData([p[0] for p in pairs], [p[1] for p in pairs])

    def remove(self, loss_plot, acc_plot) -> None:
        for key, item in self.items.items():
            (loss_plot if "loss" in key else acc_plot).removeItem(item)


class RunsPanel(QWidget):
    """List of run folders with overlaid curves and a comparison table; one may be followed live."""

    model_requested = Signal(str)   # path of a run folder whose model the user wants in the app
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None, poll_ms: int = 500,
                 runs_dir: str | Path | None = None) -> None:
        super().__init__(parent)
        self._runs_dir = Path(runs_dir) if runs_dir is not None else None   # None: app_runs_dir() when listed
        self._dismissed: set[Path] = set()   # app runs the user removed from the list
        self._followers: dict[Path, HistoryFollower] = {}
        self._curves: dict[Path, _RunCurves] = {}
        self._live: set[Path] = set()
        self._settings: dict[Path, str] = {}   # a sweep trial's settings, shown beside its name

        self.open_button = QPushButton("Open run…")
        self.open_button.setToolTip("Add a finished run folder to the comparison, or a sweep folder "
                                    "(`cnnviz-cli sweep`) to compare its trials")
        self.follow_button = QPushButton("Follow run…")
        self.follow_button.setToolTip("Watch a run folder that another process (a CLI run, a synced server folder) "
                                      "is writing; the curves grow as epochs land")
        self.load_model_button = QPushButton("Use this run's model")
        self.remove_button = QPushButton("Remove")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.follow_button.clicked.connect(self._on_follow_clicked)
        self.load_model_button.clicked.connect(self._on_load_model_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.follow_button, self.load_model_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List new runs of the Training tab and read new epochs")
        self.refresh_button.clicked.connect(self.refresh)
        buttons.insertWidget(buttons.count() - 1, self.refresh_button)
        self.status = QLabel("The Training tab's runs are listed here; open a run folder written by "
                             "`cnnviz-cli train`, or follow one while it trains.")
        self.status.setWordWrap(True)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)   # reasons of damage
        self.table.setWordWrap(False)   # one line per run; the whole status is its tooltip

        pg.setConfigOptions(antialias=True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.loss_plot = self.plots.addPlot(title="Loss (dashed: training, solid: validation)")
        self.acc_plot = self.plots.addPlot(title="Accuracy")
        self.plots.setToolTip("Loss and accuracy per epoch of the selected runs (dashed: training, solid: validation)")
        for plot, label in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            plot.setLabel("bottom", "epoch")
            plot.setLabel("left", label)
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.getAxis("left").enableAutoSIPrefix(False)  # accuracy 0.95, not "950 (x0.001)"
        self.acc_plot.addLegend(offset=(-10, -10))

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.table)
        split.setSizes([450, 200])
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self._on_timer_timeout)

    # --- public ---------------------------------------------------------------------------------------
    def run_paths(self) -> list[Path]:
        return list(self._followers)

    @property
    def runs_dir(self) -> Path:
        """The app's runs folder that this panel lists."""
        return self._runs_dir if self._runs_dir is not None else app_runs_dir()

    @Slot(str)
    def open_run(self, path: str | Path) -> bool:
        """Add a run folder to the comparison (a run of the app or of the CLI); one still running is followed."""
        path = Path(path).resolve()
        self._dismissed.discard(path)
        try:
            running = summarize_run(path).status == "running"
        except RunError:
            running = False
        return self.add_run(path, follow=running)

    def open_sweep(self, path: str | Path) -> int:
        """Add every trial of a sweep folder (``cnnviz-cli sweep --out``) to the comparison, each named with its
        settings; trials still running are followed, those not started yet are listed and fill in as they run.
        Returns how many trials were added (0, with a message box, for a folder that is not a sweep)."""
        path = Path(path).resolve()
        try:
            trials = sweep_trials(path)
        except SweepError as exc:
            QMessageBox.warning(self, "Open sweep", str(exc))
            return 0
        for folder, settings in trials:
            self._settings[folder.resolve()] = ", ".join(f"{k}={v}" for k, v in settings.items())
            self._dismissed.discard(folder.resolve())
            try:
                running = summarize_run(folder).status in ("running",)
            except DamagedRun:
                running = False
            except RunError:
                running = True   # not started yet: followed until its run folder appears and finishes
            if folder.resolve() not in self._followers:
                self._add(folder.resolve(), follow=running)
        self.status.setText(f"Sweep “{path.name}”: {len(trials)} trial(s)")
        self._update()
        return len(trials)

    def list_app_runs(self) -> int:
        """Add the most recent runs of the app's runs folder that are not listed yet; returns how many were added."""
        added = 0
        for path in list_runs(self.runs_dir)[-RECENT_APP_RUNS:]:
            path = path.resolve()
            if path in self._followers or path in self._dismissed:
                continue
            try:
                running = summarize_run(path).status == "running"
            except DamagedRun:
                running = False   # listed, with what is damaged in its Status cell
            except RunError:
                continue
            self._add(path, follow=running)
            added += 1
        return added

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def add_run(self, path: str | Path, *, follow: bool = False) -> bool:
        """Add a run folder (``follow``: keep polling it). Returns False with a message box if it's not a run."""
        path = Path(path).resolve()
        if path in self._followers:
            if follow:
                self._live.add(path)
                self.timer.start()
            return True
        try:
            summarize_run(path)  # validates the folder
        except DamagedRun:
            pass   # a run folder with a damaged file: listed, its Status cell says what is damaged
        except RunError as exc:
            if not follow:
                QMessageBox.warning(self, "Open run", str(exc))
                return False
            if not path.is_dir():
                QMessageBox.warning(self, "Follow run", f"{path} is not a folder")
                return False
            # Following a folder before the other process has created its files is allowed.
        self._add(path, follow)
        self.refresh()
        return True

    def _add(self, path: Path, follow: bool) -> None:
        color = PALETTE[len(self._followers) % len(PALETTE)]
        self._followers[path] = HistoryFollower(path)
        self._curves[path] = _RunCurves(self.loss_plot, self.acc_plot, color, path.name)
        if follow:
            self._live.add(path)
            self.timer.start()

    @Slot()
    def refresh(self) -> None:
        """List new app runs, read new epochs of every run and update curves and table."""
        self.list_app_runs()
        self._update()

    def _update(self) -> None:
        for path, follower in self._followers.items():
            try:
                if follower.poll() or not follower.records:
                    self._curves[path].update(follower.records)
            except RunError:
                pass   # a damaged history: the table's Status cell says why (summarize_run reads it again)
        self._fill_table()
        live = [p for p in self._live if self._followers[p].status() in ("running", "?")]
        if self._live:
            names = ", ".join(f"{p.name} ({len(self._followers[p].records)} epochs, {self._followers[p].status()})"
                              for p in self._live)
            self.status.setText(f"Following: {names}")
        if self._live and not live:
            self.timer.stop()  # every followed run has finished

    def shutdown(self) -> None:
        self.timer.stop()

    # --- internals ------------------------------------------------------------------------------------
    def _fill_table(self) -> None:
        self.table.setRowCount(len(self._followers))
        for row, path in enumerate(self._followers):
            try:
                s = summarize_run(path)
                cells = _summary_cells(s)
            except DamagedRun as exc:
                cells = (path.name, str(exc), "–", "–", "–", "–", "–")
            except RunError:
                cells = (path.name, "waiting for the run to start", "–", "0", "–", "–", "–")
            if path in self._settings:
                cells = (f"{cells[0]} ({self._settings[path]})", *cells[1:])
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setToolTip(text)
                if col == 0:
                    item.setForeground(QColor(PALETTE[row % len(PALETTE)]))
                    item.setToolTip(str(path))
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def _selected_path(self) -> Path | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            return None
        return list(self._followers)[min(rows)]

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._update()   # the followed runs only; the runs folder is listed on show and on refresh

    @Slot()
    def _on_open_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open run or sweep folder")
        if folder and is_sweep_folder(folder):
            self.open_sweep(folder)
        elif folder:
            self.add_run(folder)

    @Slot()
    def _on_follow_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Follow run folder")
        if folder:
            self.add_run(folder, follow=True)

    @Slot()
    def _on_load_model_clicked(self) -> None:
        path = self._selected_path()
        if path is None:
            self.message.emit("Select a run in the table first.")
            return
        self.model_requested.emit(str(path))

    @Slot()
    def _on_remove_clicked(self) -> None:
        path = self._selected_path()
        if path is None:
            return
        self._curves.pop(path).remove(self.loss_plot, self.acc_plot)
        self._followers.pop(path)
        self._dismissed.add(path)
        self._live.discard(path)
        self.refresh()
