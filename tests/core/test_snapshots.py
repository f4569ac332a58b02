"""Epoch-end snapshots of the first conv layer, checked against tf.nn.conv2d on the stored kernels."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from cnnviz.core.model.build import build_model
from cnnviz.core.train.snapshots import SnapshotStore
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.session import TrainingSession

pytestmark = pytest.mark.slow
L = LayerSpec.make


def _data(n=128, seed=0) -> PreparedData:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 10, 10, 1), dtype=np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) > x[:, 5:].mean(axis=(1, 2, 3))).astype(np.int64)
    return PreparedData(x[:96], y[:96], x[96:], y[96:], 2)


def _spec(with_conv=True) -> ModelSpec:
    head = [L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")]
    if not with_conv:
        return ModelSpec((10, 10, 1), head)
    return ModelSpec((10, 10, 1), [L("Dense", "mix", units=1, activation="linear"),  # not the first layer
                                   L("Conv2D", "conv_a", filters=3, kernel_size=3, activation="relu"),
                                   L("Conv2D", "conv_b", filters=2, kernel_size=3), *head])


def test_records_first_conv_each_epoch_matching_tensorflow():
    import tensorflow as tf

    data = _data()
    model = build_model(_spec(), seed=3)
    store = SnapshotStore((data.x_val[0] * 255).astype(np.uint8))
    first = store.record_initial(model)
    assert first.epoch == 0 and store.layer_name == "conv_a"
    session = TrainingSession(model, data, TrainingConfig(batch_size=32, epochs=2, learning_rate=0.05),
                              on_epoch_end=store.record)
    session.run()
    assert store.epochs == [0, 1, 2] and len(store) == 3
    last = store.latest
    kernel, bias = model.get_layer("conv_a").get_weights()
    np.testing.assert_array_equal(last.kernels, kernel)
    np.testing.assert_array_equal(last.bias, bias)
    assert not np.allclose(store.get(0).kernels, last.kernels)  # training changed the filters
    # Reference: the stored sample through the layers before conv_a, then tf.nn.conv2d with the stored kernels.
    mix = model.get_layer("mix")(store.sample[np.newaxis])
    ref = tf.nn.relu(tf.nn.conv2d(mix, last.kernels, strides=1, padding="VALID") + last.bias).numpy()[0]
    np.testing.assert_allclose(last.feature_maps, ref, rtol=1e-5, atol=1e-6)
    assert last.feature_maps.shape == (8, 8, 3) and not last.feature_maps.flags.writeable
    assert store.kernel_series().shape == (3, 3, 3, 1, 3)
    assert store.feature_series().shape == (3, 8, 8, 3)
    with pytest.raises(KeyError, match="no snapshot after 7"):
        store.get(7)


def test_train_more_appends_and_a_repeated_epoch_replaces():
    data = _data()
    model = build_model(_spec(), seed=1)
    store = SnapshotStore(data.x_val[1])
    session = TrainingSession(model, data, TrainingConfig(batch_size=32, epochs=1), on_epoch_end=store.record)
    session.run()
    session.run(epochs=1)
    assert store.epochs == [1, 2]
    store.take(2, model)
    assert store.epochs == [1, 2]
    store.clear()
    assert len(store) == 0 and store.latest is None and store.kernel_series().shape == (0,)


def test_model_without_conv_records_nothing_and_says_why():
    store = SnapshotStore(np.zeros((10, 10, 1), np.float32))
    assert store.record_initial(build_model(_spec(with_conv=False))) is None
    assert not store.available and store.reason == "the model has no Conv2D layer" and len(store) == 0


def test_sample_of_another_shape_is_reported_not_raised():
    store = SnapshotStore(np.zeros((12, 12, 1), np.float32))
    assert store.record_initial(build_model(_spec())) is None
    assert "expects (10, 10, 1)" in store.reason
    with pytest.raises(ValueError, match="one HWC image"):
        SnapshotStore(np.zeros((1, 10, 10, 1)))


def test_readers_on_another_thread_see_whole_snapshots():
    """Each epoch's weights are set to known values (kernel and bias all e), and epochs are taken again and again
    (replacing a snapshot is where a half-updated list could show). A reader on another thread, switching threads
    as often as Python allows, must only ever see complete, consistent snapshots: kernels, bias and feature maps
    of one and the same epoch, epochs sorted and unique, and an epoch once seen never missing later."""
    import sys

    import keras

    model = build_model(_spec(), seed=2)
    conv = model.get_layer("conv_a")
    sample = _data().x_val[0]
    probe = keras.Model(model.inputs[0], conv.output)
    kernel_shape = conv.get_weights()[0].shape

    def set_epoch(e):
        conv.set_weights([np.full(kernel_shape, 0.1 * e, np.float32), np.full(3, 0.1 * e, np.float32)])

    expected = {}
    for e in range(4):
        set_epoch(e)
        expected[e] = np.asarray(probe(sample[None], training=False))[0]
    assert len({round(float(m.sum()), 3) for m in expected.values()}) == 4   # the epochs' maps differ
    store = SnapshotStore(sample)
    problems, stop, reads = [], threading.Event(), [0]

    def reader():
        ever = set()
        while not stop.is_set():
            snaps = store.snapshots
            epochs = [s.epoch for s in snaps]
            reads[0] += 1
            if epochs != sorted(set(epochs)):
                problems.append(f"epochs {epochs}")
            if not ever <= set(epochs):
                problems.append(f"epoch(s) {sorted(ever - set(epochs))} missing from {epochs}")
            ever |= set(epochs)
            for snap in snaps:
                e = snap.epoch
                if not (np.all(snap.kernels == np.float32(0.1 * e)) and np.all(snap.bias == np.float32(0.1 * e))
                        and np.allclose(snap.feature_maps, expected[e], atol=1e-5)):
                    problems.append(f"snapshot of epoch {e} mixes epochs")

    class Paused(SnapshotStore):
        """Each time take() swaps in a new list, another thread reads right then (or as soon as the lock lets it)."""

        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)
            if name == "_snapshots" and len(expected) == 4 and round_[0] > 0:
                t = threading.Thread(target=read_during_take)
                t.start()
                t.join(0.05)      # a correct store holds its lock here: the read waits for the update to end
                paused.append(t)

    def read_during_take():
        epochs = store.epochs
        if epochs != [0, 1, 2, 3]:
            problems.append(f"during a replacement a reader saw epochs {epochs}")

    round_, paused = [0], []
    store.__class__ = Paused
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_[0] in range(15):
            for e in range(4):
                set_epoch(e)
                store.take(e, model)
    finally:
        stop.set()
        thread.join(30)
        for t in paused:
            t.join(30)
        sys.setswitchinterval(old)
    assert not thread.is_alive() and reads[0] > 0 and len(paused) == 14 * 4
    assert problems == [], problems[:5]
    assert store.epochs == [0, 1, 2, 3]