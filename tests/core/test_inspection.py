"""Inspection against Keras: feature maps, layer inputs for the stepper, ablation, saliency, image conversion."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.data.datasets import load_dataset
from cnnviz.core.inspect.inspection import InspectionError, ModelInspector, load_image_file, to_model_input
from cnnviz.core.train.prepared import to_float


@pytest.fixture(scope="module")
def lecture():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import get_preset

    model = build_model(get_preset("lecture"), seed=3)
    return model, ModelInspector(model, [str(d) for d in range(10)])


@pytest.fixture(scope="module")
def digit():
    return to_float(load_dataset("mnist_sample").x_test[7])


def _layer_output(model, name, image):
    """A layer's output from a sub-model Keras builds for that layer alone (not the inspector's path)."""
    import keras

    sub = keras.Model(model.inputs[0], model.get_layer(name).output)
    return np.asarray(sub(image[None], training=False))[0]


def test_layers_are_described_in_order_with_their_inputs(lecture):
    _, ins = lecture
    assert [i.name for i in ins.layers] == ["conv_1", "pool_1", "conv_2", "pool_2", "flatten", "fc_1", "dropout",
                                          "fc_2"]
    assert [i.input_index for i in ins.layers] == [-1, 0, 1, 2, 3, 4, 5, 6]
    conv2 = ins.layer("conv_2")
    assert conv2.is_conv and conv2.output_shape == (14, 14, 64)
    assert conv2.params["kernel_size"] == (5, 5) and conv2.params["padding"] == "same"
    assert ins.layer("pool_1").params["strides"] == (2, 2)
    assert ins.last_conv_layer().name == "conv_2"
    with pytest.raises(InspectionError, match="no layer called"):
        ins.layer("nope")


def test_feature_maps_equal_each_layers_keras_output(lecture, digit):
    model, ins = lecture
    maps = ins.feature_maps(digit)
    assert len(maps.outputs) == len(model.layers) - 1
    for info, out in zip(ins.layers, maps.outputs):
        np.testing.assert_allclose(out, _layer_output(model, info.name, digit), rtol=1e-5, atol=1e-5,
                                   err_msg=info.name)
    np.testing.assert_allclose(maps.probabilities, np.asarray(model(digit[None], training=False))[0], atol=1e-6)
    assert maps.predicted == int(np.argmax(maps.probabilities))


def test_steppers_use_the_real_layer_input_and_match_keras(lecture, digit):
    model, ins = lecture
    maps = ins.feature_maps(digit)
    np.testing.assert_array_equal(ins.layer_input(maps, "conv_2"), maps.outputs[1])
    conv2 = _layer_output(model, "conv_2", digit)
    for channel, cells in ((0, [(0, 0), (7, 7), (13, 12)]), (41, [(3, 9), (13, 13)])):
        stepper = ins.conv_stepper(maps, "conv_2", channel)
        for i, j in cells:
            assert stepper.step_at(i, j).value == pytest.approx(float(conv2[i, j, channel]), abs=1e-4)
    pool1 = _layer_output(model, "pool_1", digit)
    stepper = ins.pool_stepper(maps, "pool_1", 5)
    for i, j in [(0, 0), (6, 8), (13, 13)]:
        assert stepper.step_at(i, j).value == pytest.approx(float(pool1[i, j, 5]), abs=1e-6)
    with pytest.raises(InspectionError, match="not a Conv2D"):
        ins.conv_stepper(maps, "pool_1")


def test_weights_are_a_private_copy(lecture, digit):
    model, ins = lecture
    kernel, bias = ins.weights("conv_1")
    np.testing.assert_array_equal(kernel, model.get_layer("conv_1").get_weights()[0])
    assert kernel.shape == (5, 5, 1, 32) and bias.shape == (32,)
    before = ins.feature_maps(digit).outputs[0].copy()
    layer = model.get_layer("conv_1")
    saved = layer.get_weights()
    try:
        layer.set_weights([w * 0 for w in saved])  # "training" the original afterwards...
        np.testing.assert_array_equal(ins.feature_maps(digit).outputs[0], before)  # ...does not change the copy
    finally:
        layer.set_weights(saved)


def test_ablation_with_nothing_off_is_the_prediction(lecture, digit):
    _, ins = lecture
    probs = ins.feature_maps(digit).probabilities
    np.testing.assert_allclose(ins.ablate(digit, "conv_1", []), probs, atol=1e-6)
    np.testing.assert_allclose(ins.ablate(digit, "conv_2", ()), probs, atol=1e-6)


def test_ablation_equals_zeroing_the_filters_kernel_and_bias(lecture, digit):
    import keras

    model, ins = lecture
    off = [0, 5, 17]
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    kernel, bias = clone.get_layer("conv_2").get_weights()
    kernel[..., off] = 0.0
    bias[off] = 0.0  # relu(0 * x + 0) = 0: the same as switching the feature map off
    clone.get_layer("conv_2").set_weights([kernel, bias])
    expected = np.asarray(clone(digit[None], training=False))[0]
    got = ins.ablate(digit, "conv_2", off)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(InspectionError, match="64 channels"):
        ins.ablate(digit, "conv_2", [64])


def test_saliency_is_the_normalised_gradient_of_the_class_logit(lecture, digit):
    import keras
    import tensorflow as tf

    model, ins = lecture
    c = 4
    sal = ins.saliency(digit, c)
    assert sal.shape == (28, 28) and sal.min() >= 0 and sal.max() == pytest.approx(1.0)
    penultimate = keras.Model(model.inputs[0], model.get_layer("dropout").output)
    w, b = model.get_layer("fc_2").get_weights()
    x = tf.constant(digit[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = tf.matmul(penultimate(x, training=False), w)[:, c] + b[c]
    grad = np.abs(np.asarray(tape.gradient(logit, x))[0]).max(axis=-1)
    np.testing.assert_allclose(sal, grad / grad.max(), atol=1e-5)


def test_grad_cam_is_a_normalised_map_of_the_input_size(lecture, digit):
    _, ins = lecture
    cam = ins.grad_cam(digit, 2)
    assert cam.shape == (28, 28) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1.0 + 1e-6
    assert ins.grad_cam(digit, 2, "conv_1").shape == (28, 28)
    with pytest.raises(InspectionError):
        ins.grad_cam(digit, 2, "fc_1")


def test_images_are_converted_to_the_model_input():
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    gray = to_model_input(rgb, (28, 28, 1))
    assert gray.shape == (28, 28, 1) and gray.dtype == np.float32
    assert gray[10, 10, 0] == pytest.approx(0.299, abs=1e-3)  # luma of red
    colour = to_model_input(np.full((28, 28, 1), 0.5, np.float32), (64, 64, 3))
    assert colour.shape == (64, 64, 3) and np.allclose(colour, 0.5)
    with pytest.raises(InspectionError):
        to_model_input(np.zeros((5, 5, 2)), (28, 28, 1))


def test_image_files_of_any_mode_and_size_load(tmp_path):
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (120, 90), "white")
    ImageDraw.Draw(page).line([(60, 10), (60, 80)], fill="black", width=9)  # dark ink on paper
    page.save(tmp_path / "digit.jpg")
    page.convert("P").save(tmp_path / "digit.gif")
    page.convert("RGBA").save(tmp_path / "digit.png")
    page.convert("L").save(tmp_path / "digit.bmp")
    for name in ("digit.jpg", "digit.gif", "digit.png", "digit.bmp"):
        image, note = load_image_file(tmp_path / name, (28, 28, 1))
        assert image.shape == (28, 28, 1) and 0 <= image.min() and image.max() <= 1
        assert "inverted" in note
        assert image[14, 14, 0] > 0.5 and image[2, 2, 0] < 0.1  # light stroke on dark, like MNIST
    rgb, note = load_image_file(tmp_path / "digit.png", (32, 32, 3))
    assert rgb.shape == (32, 32, 3) and "inverted" not in note


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"not an image at all", "not an image"),
                                              (None, "does not exist")])
def test_unreadable_files_give_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InspectionError, match=message):
        load_image_file(path, (28, 28, 1))


def test_truncated_png_is_reported(tmp_path):
    from PIL import Image

    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(good)
    bad = tmp_path / "truncated.png"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(InspectionError, match="truncated or corrupt|not an image"):
        load_image_file(bad, (28, 28, 1))
