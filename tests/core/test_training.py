"""Training session: real (tiny) Keras training, events, stop/continue, NaN handling, evaluation."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from cnnviz.core.model.build import build_model
from cnnviz.core.model.inference import Predictor, evaluate
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import AugmentConfig, TrainingConfig, TrainingError, augment_batch, compatibility_problems
from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingFinished, TrainingStarted
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.session import TrainingSession

pytestmark = pytest.mark.slow
L = LayerSpec.make


def bars_data(n=256, seed=0) -> PreparedData:
    """Class 0: a bright horizontal bar; class 1: a vertical bar; at random positions, with noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32) * 0.2
    y = rng.integers(0, 2, n)
    pos = rng.integers(1, 7, n)
    for i in range(n):
        if y[i] == 0:
            x[i, pos[i], :, 0] = 1.0
        else:
            x[i, :, pos[i], 0] = 1.0
    cut = n * 3 // 4
    return PreparedData(x[:cut], y[:cut], x[cut:], y[cut:], 2)


def tiny_spec(units=2, activation="softmax") -> ModelSpec:
    return ModelSpec((8, 8, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                 L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                 L("Dense", "out", units=units, activation=activation)])


def test_tiny_model_learns_and_reports_events():
    events = []
    data = bars_data()
    session = TrainingSession(build_model(tiny_spec()), data, TrainingConfig(batch_size=16, epochs=6,
                              learning_rate=0.01), events.append, batch_interval_s=0.0)
    result = session.run()
    assert result == events[-1] and result.reason == "completed" and result.epochs_done == 6
    assert isinstance(events[0], TrainingStarted) and events[0].steps_per_epoch == 12
    epochs = [e for e in events if isinstance(e, EpochResult)]
    assert [e.epoch for e in epochs] == list(range(6))
    batches = [e for e in events if isinstance(e, BatchProgress)]
    assert len(batches) == 6 * 12  # no throttling with interval 0
    assert session.history["loss"][-1] < session.history["loss"][0]
    assert session.history["val_accuracy"][-1] >= 0.9
    ev = evaluate(Predictor(session.model), data.x_val, data.y_val, 2)
    assert ev.accuracy == pytest.approx(session.history["val_accuracy"][-1], abs=1e-6)
    assert ev.confusion.sum() == len(data.y_val)


def test_same_seed_gives_the_same_curves():
    def run():
        s = TrainingSession(build_model(tiny_spec(), seed=7), bars_data(), TrainingConfig(batch_size=32, epochs=2,
                                                                                            seed=7))
        s.run()
        return s.history["loss"]

    np.testing.assert_allclose(run(), run(), rtol=1e-5)


def test_stop_mid_run_keeps_weights_and_history_and_train_more_continues():
    session = None

    def emit(event):
        if isinstance(event, EpochResult) and event.epoch == 1:
            session.request_stop()

    session = TrainingSession(build_model(tiny_spec()), bars_data(), TrainingConfig(batch_size=16, epochs=10), emit)
    result = session.run()
    assert result.reason == "stopped" and session.epochs_done == 2
    weights = [w.copy() for w in session.model.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(weights, session.last_good_weights))
    events = []
    session.emit = events.append
    assert session.stop_requested                       # the session never forgets a stop by itself
    session.reset_stop()                                # the caller starts something new
    again = session.run(epochs=2)
    assert again.reason == "completed" and session.epochs_done == 4
    assert [e.epoch for e in events if isinstance(e, EpochResult)] == [2, 3]
    assert isinstance(events[0], TrainingStarted) and events[0].initial_epoch == 2


def test_stop_from_another_thread_ends_within_a_batch():
    data = bars_data(n=4096)
    batches = []
    started = threading.Event()

    def emit(event):
        if isinstance(event, BatchProgress):
            batches.append((event.epoch, event.batch))
            if len(batches) == 5:
                started.set()

    # 384 batches an epoch: a stop honoured only at the epoch's end would let hundreds more run
    session = TrainingSession(build_model(tiny_spec()), data, TrainingConfig(batch_size=8, epochs=20), emit,
                              batch_interval_s=0.0)
    results = []
    thread = threading.Thread(target=lambda: results.append(session.run()))
    thread.start()
    assert started.wait(120)
    session.request_stop()
    seen_at_stop = len(batches)   # read after the request: a batch that ends meanwhile counts as "after"
    thread.join(120)
    assert not thread.is_alive()
    assert results[0].reason == "stopped"
    after = batches[seen_at_stop:]
    assert len(after) <= 1, after  # only the batch that was running when the stop came
    assert batches[-1][0] == 0 and session.epochs_done <= 1


def test_nan_loss_stops_with_a_message_and_restores_the_last_good_weights():
    data = bars_data()
    # A linear model, so an infinite pixel becomes inf - inf = NaN in the logits (relu and pooling would hide it).
    spec = ModelSpec((8, 8, 1), [L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")])
    session = TrainingSession(build_model(spec), data, TrainingConfig(batch_size=16, epochs=3))
    session.run(epochs=1)
    good = [w.copy() for w in session.model.get_weights()]
    poisoned = PreparedData(data.x_train.copy(), data.y_train, data.x_val, data.y_val, 2)
    poisoned.x_train[:] = np.inf
    session.data = poisoned
    events = []
    session.emit = events.append
    result = session.run(epochs=2)
    assert result.reason == "diverged" and events[-1] == result
    assert result.message.startswith("the loss became nan in epoch 2, batch 1") and "restored" in result.message
    assert session.epochs_done == 1
    assert all(np.array_equal(a, b) for a, b in zip(session.model.get_weights(), good))
    assert all(math.isfinite(v) for v in session.history["loss"])


def test_binary_classifier_with_one_sigmoid_output():
    data = bars_data()
    session = TrainingSession(build_model(tiny_spec(1, "sigmoid")), data,
                              TrainingConfig(batch_size=16, epochs=4, learning_rate=0.01))
    assert session.loss == "binary_crossentropy"
    session.run()
    ev = evaluate(Predictor(session.model), data.x_val, data.y_val, 2)
    assert ev.probabilities.shape == (len(data.y_val), 2)
    assert ev.accuracy == pytest.approx(session.history["val_accuracy"][-1], abs=1e-6)


def test_categorical_loss_on_one_hot_labels_trains():
    session = TrainingSession(build_model(tiny_spec()), bars_data(),
                              TrainingConfig(batch_size=16, epochs=1, loss="categorical_crossentropy"))
    assert session.run().reason == "completed"


def test_incompatible_data_is_refused_before_training_with_the_reason():
    with pytest.raises(TrainingError, match="last layer has 2 outputs but the dataset has 10 classes"):
        data = bars_data()
        TrainingSession(build_model(tiny_spec()), PreparedData(data.x_train, data.y_train, data.x_val, data.y_val,
                                                                10), TrainingConfig())
    assert compatibility_problems((28, 28, 1), 10, (28, 28, 3), 10) == [
        "the model expects 28x28x1 images but the dataset's are 28x28x3 (colour vs grayscale: change the model's "
        "input channels)"]
    with pytest.raises(TrainingError, match="learning rate"):
        TrainingSession(build_model(tiny_spec()), bars_data(), TrainingConfig(learning_rate=-1))


def test_augmentation_changes_training_images_only_within_range():
    x = bars_data().x_train[:8]
    aug = AugmentConfig(flip_horizontal=True, rotation_degrees=15, shift_fraction=0.1, brightness=0.2,
                        contrast=0.3)
    out = augment_batch(x, aug, seed=3)
    assert out.shape == x.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert not np.allclose(out, x)
    session = TrainingSession(build_model(tiny_spec()), bars_data(),
                              TrainingConfig(batch_size=32, epochs=1, augment=aug))
    assert session.run().reason == "completed"


def test_config_round_trips_and_refuses_unknown_keys():
    cfg = TrainingConfig(epochs=3, augment=AugmentConfig(flip_horizontal=True))
    assert TrainingConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(TrainingError, match="unknown training setting"):
        TrainingConfig.from_dict({"epochz": 3})


def test_a_stop_requested_before_the_run_is_honoured_without_training():
    events = []
    session = TrainingSession(build_model(tiny_spec()), bars_data(), TrainingConfig(batch_size=16, epochs=3),
                              events.append)
    before = [w.copy() for w in session.model.get_weights()]
    session.request_stop()
    result = session.run()
    assert result == TrainingFinished("stopped", 0, "stopped before the run began") and events == [result]
    assert session.epochs_done == 0
    assert all(np.array_equal(a, b) for a, b in zip(session.model.get_weights(), before))
    assert session.run().reason == "stopped"            # still asked: a second run does not clear it
    session.reset_stop()
    assert session.run(epochs=1).reason == "completed" and session.epochs_done == 1


def test_a_stop_during_the_run_is_honoured_by_the_session_within_a_batch():
    session = None
    seen = []

    def emit(event):
        if isinstance(event, BatchProgress):
            seen.append(event.batch)
            if event.batch == 3:
                session.request_stop()

    session = TrainingSession(build_model(tiny_spec()), bars_data(), TrainingConfig(batch_size=8, epochs=5), emit,
                              batch_interval_s=0.0)
    result = session.run()
    # no batch after the one that asked; Keras still ends the (partial) epoch, which the history keeps
    assert result.reason == "stopped" and seen == [1, 2, 3] and session.epochs_done == 1
