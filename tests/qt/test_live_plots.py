"""The Training tab's live plots: Train more extends the batch plot, a user's pan or zoom is kept until a
double-click, and an epoch a Stop cut short is drawn hollow (issue 15, item 8)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush

from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingStarted
from cnnviz.qt.training.live_plots import LivePlots


def _epoch(plots, epoch, steps=10, batches=None, loss=1.0):
    batches = steps if batches is None else batches
    for b in range(1, batches + 1):
        plots.on_batch_progressed(BatchProgress(epoch, b, steps, loss / b, 0.5, 100.0, 1.0, 1.0))
    plots.on_epoch_finished(EpochResult(epoch, loss, 0.5, loss, 0.5, 1.0, batches, steps))


def _x_range(plots):
    return plots.batch_plot.getViewBox().viewRange()[0]


def test_train_more_extends_the_batch_plot_and_a_stopped_epoch_is_hollow(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    plots.on_training_started(TrainingStarted(2, 0, 10, 100, 10))
    _epoch(plots, 0)
    _epoch(plots, 1, batches=4)                      # Stop after 4 of 10 batches
    plots.on_training_finished()
    assert _x_range(plots)[1] < 2.2
    plots.on_training_started(TrainingStarted(3, 2, 10, 100, 10))   # Train more: 3 more epochs
    _epoch(plots, 2)
    plots.flush()
    assert _x_range(plots)[1] >= 1.4 + 3 - 0.01       # the x axis reaches the new run's end (1.4 + 3 epochs)
    brushes = plots.curves["loss"].opts["symbolBrush"]
    assert [b.style() == Qt.BrushStyle.NoBrush for b in brushes] == [False, True, False]
    plots.on_training_finished()


def test_a_pan_or_zoom_is_kept_while_training_until_a_double_click(qtbot):
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    plots.on_training_started(TrainingStarted(4, 0, 10, 100, 10))
    _epoch(plots, 0)
    plots.flush()
    view = plots.batch_plot.getViewBox()
    view.setXRange(0.2, 0.6, padding=0)
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])   # what a drag or the wheel emits
    _epoch(plots, 1, loss=5.0)                       # a higher loss would rescale the plot
    plots.flush()
    lo, hi = _x_range(plots)
    assert (round(lo, 2), round(hi, 2)) == (0.2, 0.6)   # the user's view stays
    qtbot.mouseDClick(plots.batch_widget.viewport(), Qt.MouseButton.LeftButton)
    assert _x_range(plots)[1] >= 4 - 0.01            # the whole run again
    plots.on_training_finished()


def test_the_epoch_plots_are_redrawn_in_separate_turns_and_none_is_lost(qtbot):
    """At an epoch's end the GUI paints one epoch plot per turn of the event loop (a 10 ms timer can run between
    them), and the last run's points all arrive; the left axes keep their width, so no second layout pass."""
    from cnnviz.qt.training.live_plots import AXIS_WIDTH

    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    plots.on_training_started(TrainingStarted(1, 0, 10, 100, 10))
    _epoch(plots, 0, loss=0.25)
    plots.on_training_finished()
    assert list(plots.curves["loss"].getData()[1]) == [0.25]          # this turn: the loss plot
    assert plots.curves["accuracy"].getData()[1] is None or len(plots.curves["accuracy"].getData()[1]) == 0
    qtbot.waitUntil(lambda: plots.curves["accuracy"].getData()[1] is not None
                    and list(plots.curves["accuracy"].getData()[1]) == [0.5], timeout=2000)   # the next turn
    assert list(plots.curves["val_accuracy"].getData()[1]) == [0.5]
    for plot in (plots.batch_plot, plots.loss_plot, plots.acc_plot):
        assert plot.getAxis("left").width() == AXIS_WIDTH
