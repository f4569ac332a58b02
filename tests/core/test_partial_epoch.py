"""A Stop inside an epoch: Keras still ends the epoch, and the run says it saw only part of the data."""
from __future__ import annotations

import pytest

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.events import BatchProgress, EpochResult
from cnnviz.core.train.run import Run, epoch_line
from cnnviz.core.train.runs import read_history

pytestmark = pytest.mark.slow
L = LayerSpec.make


def test_an_epoch_stopped_after_two_batches_is_recorded_and_shown_as_partial(tmp_path):
    spec = ModelSpec((28, 28, 1), [L("Flatten", "flatten"), L("Dense", "out", units=10, activation="softmax")])
    events, holder = [], []

    def emit(event):
        events.append(event)
        if isinstance(event, BatchProgress) and event.epoch == 1 and event.batch == 2:
            holder[0].request_stop()

    run = Run.start(tmp_path / "r", data=DataChoice("mnist_sample", limit=400), spec=spec, emit=emit,
                    config=TrainingConfig(batch_size=32, epochs=3, validation_count=20, validation_fraction=None),
                    batch_interval_s=0.0)
    holder.append(run)
    run.execute()
    epochs = [e for e in events if isinstance(e, EpochResult)]
    assert [(e.partial, e.batches) for e in epochs] == [(False, 12), (True, 2)]   # 380 images: 12 batches
    assert epoch_line(epochs[1], 3).endswith("(stopped: 2 of 12 batches)")
    assert "stopped" not in epoch_line(epochs[0], 3)
    history = read_history(run.path / "history.jsonl")
    assert "batches" not in history[0] and (history[1]["batches"], history[1]["steps"]) == (2, 12)
