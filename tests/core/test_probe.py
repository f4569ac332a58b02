"""The probe image's feature maps during training: recorded at the chosen batch interval, equal to a Keras
sub-model's output on the probe for the recorded weights, kernels per epoch, an auto interval within budget."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.explain.probe import ProbeRecorder, choose_every
from cnnviz.core.explain.scores import ExplainError
from cnnviz.core.model.build import build_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.session import TrainingSession

pytestmark = pytest.mark.slow
L = LayerSpec.make


def _data(n=160, seed=0) -> PreparedData:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 10, 10, 1), dtype=np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) > x[:, 5:].mean(axis=(1, 2, 3))).astype(np.int64)
    return PreparedData(x[:120], y[:120], x[120:], y[120:], 2)


def _spec() -> ModelSpec:
    return ModelSpec((10, 10, 1), [L("Conv2D", "conv_a", filters=3, kernel_size=3, activation="relu"),
                                   L("Conv2D", "conv_b", filters=2, kernel_size=3, activation="relu"),
                                   L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")])


def _train(probe: ProbeRecorder, epochs=2, batch=12, seed=3):
    data = _data()
    model = build_model(_spec(), seed=seed)
    session = TrainingSession(model, data, TrainingConfig(batch_size=batch, epochs=epochs, learning_rate=0.05),
                              on_epoch_end=probe.on_epoch)
    session.on_batch_end = probe.on_batch
    session.run()
    return model, data


def test_maps_every_n_batches_and_per_epoch_equal_a_keras_submodel():
    import keras

    data = _data()
    probe = ProbeRecorder(data.x_val[0], every=3)
    model, _ = _train(probe)   # 120 images / 12 = 10 batches an epoch
    assert probe.recorded == [(0, 3), (0, 6), (0, 9), (1, 3), (1, 6), (1, 9)]
    assert probe.epochs == [1, 2]
    last = probe.at_epoch(2)
    assert last.layer_name == "conv_a" and last.epochs_done == 2 and last.batch == 10 and last.step == 20
    assert last.maps.shape == (8, 8, 3) and not last.maps.flags.writeable
    sub = keras.Model(model.inputs[0], model.get_layer("conv_a").output)
    ref = np.asarray(sub(data.x_val[:1], training=False))[0]
    np.testing.assert_allclose(last.maps, ref, rtol=1e-5, atol=1e-6)
    kernel, bias = model.get_layer("conv_a").get_weights()
    np.testing.assert_array_equal(last.kernels, kernel)
    np.testing.assert_array_equal(last.bias, bias)
    assert not np.allclose(probe.at_epoch(1).kernels, last.kernels)   # the epochs differ: training moved them
    assert not np.allclose(probe.at_epoch(1).maps, last.maps)
    assert probe.latest is last
    with pytest.raises(KeyError, match="no probe maps after 5"):
        probe.at_epoch(5)


def test_a_chosen_layer_and_clear_errors():
    import keras

    data = _data()
    probe = ProbeRecorder((data.x_val[1] * 255).astype(np.uint8)[..., 0], layer_name="conv_b", every=4)
    model, _ = _train(probe, epochs=1)
    assert probe.recorded == [(0, 4), (0, 8)]
    rec = probe.at_epoch(1)
    assert rec.layer_name == "conv_b" and rec.maps.shape == (6, 6, 2)
    sub = keras.Model(model.inputs[0], model.get_layer("conv_b").output)
    ref = np.asarray(sub(probe.image[None], training=False))[0]
    np.testing.assert_allclose(rec.maps, ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ExplainError, match="no Conv2D layer 'nope' to probe; the conv layers are conv_a, conv_b"):
        ProbeRecorder(data.x_val[0], layer_name="nope").maps(model)
    with pytest.raises(ExplainError, match="the probe image is"):
        ProbeRecorder(np.zeros((5, 5, 1), np.float32)).maps(model)
    with pytest.raises(ExplainError, match="at least 1 batch"):
        ProbeRecorder(data.x_val[0], every=0)
    no_conv = build_model(ModelSpec((10, 10, 1), [L("Flatten", "flatten"), L("Dense", "out", units=2)]), seed=0)
    with pytest.raises(ExplainError, match="the model has no Conv2D layer: there are no feature maps to probe"):
        ProbeRecorder(data.x_val[0]).on_batch(0, 1, no_conv)


def test_the_layer_chosen_mid_run_is_probed_from_the_next_record():
    data = _data()
    probe = ProbeRecorder(data.x_val[0], every=5)
    model = build_model(_spec(), seed=1)
    session = TrainingSession(model, data, TrainingConfig(batch_size=12, epochs=2, learning_rate=0.05),
                              on_epoch_end=probe.on_epoch)
    layers = []

    def on_batch(epoch, batch, m):
        rec = probe.on_batch(epoch, batch, m)
        if rec is not None:
            layers.append(rec.layer_name)
            if len(layers) == 2:
                probe.choose_layer("conv_b")

    session.on_batch_end = on_batch
    session.run()
    assert layers == ["conv_a", "conv_a", "conv_b", "conv_b"]
    assert probe.at_epoch(1).layer_name == "conv_b" and probe.at_epoch(2).maps.shape == (6, 6, 2)


def test_auto_interval_keeps_the_probe_within_its_budget():
    assert choose_every(0.001, 0.05, 0.01) == 2
    assert choose_every(0.001, 0.2, 0.01) == 1
    assert choose_every(0.01, 0.01, 0.01) == 100
    data = _data()
    probe = ProbeRecorder(data.x_val[0], budget=0.01)
    _train(probe, epochs=2, batch=4)   # 30 tiny batches an epoch: the probe costs like a batch, so N grows
    assert probe.recorded[0] == (0, 1)
    assert probe.every > 1
    gaps = [b - a for (e1, a), (e2, b) in zip(probe.recorded, probe.recorded[1:]) if e1 == e2]
    assert gaps and min(gaps) >= 1 and len(probe.recorded) < 60


def test_each_epochs_grad_cam_equals_the_core_grad_cam_of_that_epochs_weights():
    from cnnviz.core.explain.gradcam_steps import gradcam_steps

    data = _data()
    label = int(data.y_val[0])
    probe = ProbeRecorder(data.x_val[0], every=50, label=label)
    model = build_model(_spec(), seed=3)
    weights = {}

    def on_epoch(epoch, m):
        probe.on_epoch(epoch, m)
        weights[epoch + 1] = [np.array(w) for w in m.get_weights()]   # epoch k's weights, as the probe saw them

    session = TrainingSession(model, data, TrainingConfig(batch_size=12, epochs=3, learning_rate=0.05),
                              on_epoch_end=on_epoch)
    session.run()
    assert probe.epochs == [1, 2, 3] and probe.cam_error == ""
    assert len(probe.cam_seconds) == 3
    twin = build_model(_spec(), seed=9)
    cams = {}
    for k in (1, 2, 3):
        rec = probe.at_epoch(k)
        assert rec.cam_class == label and rec.cam_true and rec.cam_layer == "conv_b"
        assert rec.cam.shape == (10, 10) and not rec.cam.flags.writeable
        twin.set_weights(weights[k])
        ref = gradcam_steps(twin, probe.image, label).heat   # computed independently, on a model of epoch k
        np.testing.assert_allclose(rec.cam, ref, atol=1e-5)
        cams[k] = rec.cam
    final = gradcam_steps(model, probe.image, label)
    np.testing.assert_allclose(probe.at_epoch(3).cam, final.heat, atol=1e-5)
    assert final.heat.max() > 0
    assert not np.allclose(cams[1], cams[3], atol=1e-3), "the epochs' heat maps should differ"


def test_without_a_label_grad_cam_explains_the_predicted_class():
    from cnnviz.core.inspect.inspection import ModelInspector

    data = _data()
    probe = ProbeRecorder(data.x_val[2], every=50)
    model, _ = _train(probe, epochs=1)
    rec = probe.at_epoch(1)
    ins = ModelInspector(model)
    predicted = ins.feature_maps(probe.image).predicted
    assert rec.cam_class == predicted and not rec.cam_true
    np.testing.assert_allclose(rec.cam, ins.grad_cam(probe.image, predicted), atol=1e-5)
    bad = ProbeRecorder(data.x_val[0], every=50, label=7)
    _train(bad, epochs=1)
    assert bad.at_epoch(1).cam is None and bad.at_epoch(1).maps is not None
    assert bad.cam_error == "no Grad-CAM: the probe's class 7 is out of range: the model has 2 classes"
