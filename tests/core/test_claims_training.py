"""Training claims checked where they are observable: a resumed run starts from its checkpoint's weights and
optimizer state, validation images are never augmented (the stop after each batch: tests/core/test_training.py)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.model.build import build_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import AugmentConfig, TrainingConfig
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.run import Run
from cnnviz.core.train.session import TrainingSession

pytestmark = pytest.mark.slow
L = LayerSpec.make


def _mnist_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=2, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=10, activation="softmax")], name="tiny")


def _same_weights(a, b, atol=0.0) -> bool:
    return len(a) == len(b) and all(np.allclose(x, y, rtol=0, atol=atol) for x, y in zip(a, b))


def test_resume_starts_from_the_checkpoint_weights_and_optimizer_state(tmp_path):
    import keras

    config = TrainingConfig(batch_size=32, epochs=3, validation_count=20, validation_fraction=None)
    live = Run.start(tmp_path / "live", data=DataChoice("mnist_sample", limit=120), config=config,
                     spec=_mnist_spec())
    assert live.train(1).reason == "completed"          # epoch 1 checkpointed; then the process "dies"
    shutil.copytree(live.path, tmp_path / "killed")
    at_kill = [w.copy() for w in live.model.get_weights()]
    checkpoint = keras.saving.load_model(tmp_path / "killed" / "checkpoints" / "last.keras")
    assert _same_weights(checkpoint.get_weights(), at_kill)

    resumed = Run.resume(tmp_path / "killed")
    assert resumed.epochs_done == 1
    assert _same_weights(resumed.model.get_weights(), at_kill)            # the checkpoint's weights, exactly
    x = live.test.arrays()[0][:16]
    np.testing.assert_array_equal(np.asarray(resumed.model(x, training=False)),
                                  np.asarray(live.model(x, training=False)))
    assert int(resumed.model.optimizer.iterations.numpy()) == int(live.model.optimizer.iterations.numpy()) == 4
    # one more epoch each: the resumed run continues as the live one does (same weights, Adam moments, shuffle)
    assert live.train(1).reason == resumed.train(1).reason == "completed"
    assert _same_weights(resumed.model.get_weights(), live.model.get_weights(), atol=1e-5)
    assert not _same_weights(resumed.model.get_weights(), at_kill, atol=1e-3)   # and it did train


def _bars(n=192, seed=0) -> PreparedData:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32) * 0.2
    y = rng.integers(0, 2, n)
    for i, pos in enumerate(rng.integers(1, 7, n)):
        if y[i] == 0:
            x[i, pos, :, 0] = 1.0
        else:
            x[i, :, pos, 0] = 1.0
    return PreparedData(x[:128], y[:128], x[128:], y[128:], 2)


def _bars_spec() -> ModelSpec:
    return ModelSpec((8, 8, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                 L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")])


def test_validation_images_are_not_augmented():
    """Strong augmentation on: the validation loss and accuracy Keras reports after the epoch are the model's on
    the untouched validation images (computed here with numpy from the model's outputs)."""
    data = _bars()
    aug = AugmentConfig(flip_horizontal=True, rotation_degrees=30, shift_fraction=0.2, brightness=0.4,
                        contrast=0.5)
    session = TrainingSession(build_model(_bars_spec(), seed=0), data,
                              TrainingConfig(batch_size=32, epochs=1, augment=aug, validation_fraction=None))
    assert session.run().reason == "completed"
    probs = np.asarray(session.model(data.x_val, training=False), np.float64)
    loss = float(np.mean(-np.log(np.clip(probs[np.arange(len(data.y_val)), data.y_val], 1e-7, 1.0))))
    accuracy = float(np.mean(probs.argmax(axis=1) == data.y_val))
    assert session.history["val_loss"][-1] == pytest.approx(loss, rel=1e-4, abs=1e-5)
    assert session.history["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)
