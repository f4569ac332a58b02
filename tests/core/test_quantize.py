"""int8 post-training quantization of the shipped MNIST model, evaluated for real by TFLite's interpreter."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.data.datasets import load_dataset
from cnnviz.core.explain.quantize import QuantizeError, compare, layer_errors, quantize
from cnnviz.core.model.pretrained import load_shipped_model

N_TEST = 400


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist_sample")


@pytest.fixture(scope="module")
def model():
    return load_shipped_model()


@pytest.fixture(scope="module")
def quantized(model, data):
    return quantize(model, data.x_train[:200])


@pytest.fixture(scope="module")
def report(quantized, data):
    return compare(quantized, data.x_test[:N_TEST], data.y_test[:N_TEST], repeats=20)


def test_int8_file_is_about_four_times_smaller(quantized, report):
    assert quantized.full_integer, quantized.note
    assert report.int8_size < report.float_size
    assert 3.0 <= report.size_ratio <= 4.5, report.lines()


def test_both_accuracies_come_from_real_evaluation(model, quantized, report, data):
    x = data.x_test[:N_TEST].astype(np.float32) / 255.0
    y = data.y_test[:N_TEST]
    keras_acc = float(np.mean(np.argmax(np.asarray(model(x, training=False)), 1) == y))
    # the float32 .tflite reproduces Keras; the int8 file is evaluated by the interpreter on the same images
    assert report.float_accuracy == pytest.approx(keras_acc, abs=1e-9)
    int8_acc = float(np.mean(np.argmax(quantized.predict_int8(x), 1) == y))
    assert report.int8_accuracy == pytest.approx(int8_acc, abs=1e-9)
    assert report.float_accuracy > 0.95
    assert abs(report.float_accuracy - report.int8_accuracy) <= 0.02, report.lines()
    assert report.test_images == N_TEST


def test_int8_outputs_really_are_quantized(quantized, data):
    x = data.x_test[:50].astype(np.float32) / 255.0
    pf, pq = quantized.predict_float(x), quantized.predict_int8(x)
    # int8 outputs come in steps of the output scale (1/256 for a softmax): not the float values
    assert not np.allclose(pf, pq, atol=1e-6)
    steps = pq / (1 / 256)
    assert np.allclose(steps, np.round(steps), atol=1e-3)
    assert quantized.int8_runner.input_dtype == np.int8


def test_report_numbers(report):
    assert 0 < report.max_prob_diff < 0.5
    assert 0 < report.mean_prob_diff <= report.max_prob_diff
    assert report.float_latency_ms > 0 and report.int8_latency_ms > 0
    assert report.agreement > 0.97
    assert len(report.lines()) == 4


def test_layer_errors_from_the_debugger(quantized):
    errors = layer_errors(quantized, max_images=8)
    ops = [e.op for e in errors]
    assert "CONV_2D" in ops and "FULLY_CONNECTED" in ops
    conv = next(e for e in errors if e.op == "CONV_2D")
    assert conv.rmse > 0 and conv.max_abs_error >= conv.rmse and conv.scale > 0
    assert 0.05 < conv.rmse_over_scale < 5


def test_bad_inputs_say_what_is_wrong(model, quantized):
    with pytest.raises(QuantizeError, match="expects"):
        quantize(model, np.zeros((4, 32, 32, 3), np.float32))
    with pytest.raises(QuantizeError, match="labels"):
        compare(quantized, np.zeros((4, 28, 28, 1), np.float32), np.zeros(3))


def test_each_accuracy_is_its_own_models(quantized, data):
    """On noisy digits the two files disagree on some images: each accuracy must be that file's own."""
    x = data.x_test[:N_TEST].astype(np.float32) / 255.0
    noisy = np.clip(x + np.random.default_rng(0).normal(0, 0.5, x.shape).astype(np.float32), 0, 1)
    y = data.y_test[:N_TEST]
    report = compare(quantized, noisy, y, repeats=2)
    own_float = float(np.mean(np.argmax(quantized.predict_float(noisy), 1) == y))
    own_int8 = float(np.mean(np.argmax(quantized.predict_int8(noisy), 1) == y))
    assert own_float != own_int8   # the check below can tell the two apart
    assert report.float_accuracy == pytest.approx(own_float, abs=1e-9)
    assert report.int8_accuracy == pytest.approx(own_int8, abs=1e-9)
    assert report.agreement < 1.0
