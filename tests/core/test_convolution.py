"""The teaching convolution (core/convolution.py, core/stepper.py) against references nobody here wrote.

1D: numpy.convolve / numpy.correlate. 2D: tf.nn.conv2d and real Keras Conv2D, MaxPooling2D and
AveragePooling2D layers, whose weights are set to the same kernel and bias. Tolerance 1e-4 (float32 layers).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnviz.core.inspect import convolution as conv
from cnnviz.core.inspect.convolution import (ACTIVATIONS, activate, conv1d, conv1d_mode, conv1d_mode_padding,
                                     conv1d_output_formula, conv1d_output_size, conv2d, pad2d, pool2d, same_pads)
from cnnviz.core.inspect.stepper import (Conv2DStepper, ConvStep, Pool2DStepper, conv1d_steps, conv2d_step_at,
                                 conv2d_steps, pool2d_step_at, pool2d_steps)
from cnnviz.core.model.spec import ACTIVATIONS as SPEC_ACTIVATIONS

TOL = dict(rtol=1e-4, atol=1e-4)
FAST = settings(derandomize=True, max_examples=60, deadline=None)
KERAS = settings(derandomize=True, max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

seeds = st.integers(0, 2**32 - 1)
strides = st.tuples(st.integers(1, 3), st.integers(1, 3))
paddings = st.sampled_from(["valid", "same"])


@pytest.fixture(scope="module")
def tf():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def keras(tf):
    import keras

    return keras


# ------------------------------------------------------------------------------------------------------- 1D
@FAST
@given(n=st.integers(1, 25), m=st.integers(1, 25), mode=st.sampled_from(["full", "same", "valid"]), seed=seeds)
def test_conv1d_modes_match_numpy_convolve(n, m, mode, seed):
    if mode != "full":
        assume(m <= n)  # numpy swaps x and w when w is longer; the lecture's modes keep x as the input
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    np.testing.assert_allclose(conv1d_mode(x, w, mode), np.convolve(x, w, mode), rtol=1e-12, atol=1e-12)


def test_same_mode_centres_even_kernels_like_numpy():
    x, w = np.arange(1.0, 8.0), np.array([1.0, 10.0, 100.0, 1000.0])
    assert conv1d_mode_padding(4, "same") == (2, 1)  # the extra zero on the left, as numpy does
    np.testing.assert_allclose(conv1d_mode(x, w, "same"), np.convolve(x, w, "same"))
    assert conv1d_mode_padding(3, "full") == (2, 2) and conv1d_mode_padding(3, "valid") == (0, 0)


def test_lecture_example_with_p2_is_same_mode():
    x, w = [1, 3, 2, 4, 5, 6, 1, 3], [1, 0, 3, 1, 2]
    np.testing.assert_allclose(conv1d(x, w, p=2, s=1), np.convolve(x, w, mode="same"))


@FAST
@given(n=st.integers(1, 25), m=st.integers(1, 25), seed=seeds)
def test_flip_false_is_cross_correlation_like_numpy_correlate(n, m, seed):
    assume(m <= n)
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    np.testing.assert_allclose(conv1d(x, w, p=0, flip=False), np.correlate(x, w, "valid"), rtol=1e-12, atol=1e-12)


@FAST
@given(n=st.integers(1, 30), m=st.integers(1, 12), p=st.integers(0, 5), s=st.integers(1, 4), seed=seeds)
def test_output_size_formula_matches_result_length_and_strided_numpy(n, m, p, s, seed):
    assume(n + 2 * p >= m)
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    y = conv1d(x, w, p=p, s=s)
    o = conv1d_output_size(n, m, p, s)
    assert len(y) == o == math.floor((n + 2 * p - m) / s) + 1
    assert conv1d_output_formula(n, m, p, s).endswith(f"= {o}")
    # a stride keeps every s-th output of the stride-1 convolution of the padded input
    np.testing.assert_allclose(y, np.convolve(np.pad(x, p), w, "valid")[::s], rtol=1e-12, atol=1e-12)
    steps = list(conv1d_steps(x, w, p, s))
    assert [st_.index for st_ in steps] == list(range(o))
    np.testing.assert_allclose([st_.total for st_ in steps], y, rtol=1e-12)


def test_output_formula_text_and_steps_detail():
    assert conv1d_output_formula(10, 3, 0, 1) == "o = floor((n + 2p - m)/s) + 1 = floor((10 + 2*0 - 3)/1) + 1 = 8"
    assert conv1d_output_formula(7, 4, (2, 1), 1).endswith("floor((7 + 2 + 1 - 4)/1) + 1 = 7")
    step = list(conv1d_steps([1.0, 2.0, 3.0], [1.0, 2.0], p=1, s=2))[1]
    assert step.start == 2
    np.testing.assert_array_equal(step.window, [2.0, 3.0])
    np.testing.assert_array_equal(step.kernel, [2.0, 1.0])  # flipped
    np.testing.assert_array_equal(step.products, [4.0, 3.0])
    assert step.total == 7.0 and not step.is_padding.any()
    assert list(conv1d_steps([1.0, 2.0], [1.0], p=1))[0].is_padding.tolist() == [True]


# --------------------------------------------------------------------------------------------- activations
def test_activation_names_cover_the_spec_and_match_keras(keras):
    assert set(SPEC_ACTIVATIONS) == set(ACTIVATIONS)
    x = np.linspace(-9, 9, 361).reshape(1, -1)  # past 6 on both sides: relu6's cap is compared too
    for name in ACTIVATIONS:
        ref = np.asarray(keras.activations.get(name)(keras.ops.convert_to_tensor(x, dtype="float64")))
        np.testing.assert_allclose(activate(x, name), ref, rtol=1e-7, atol=1e-9, err_msg=name)


def test_keras_gelu_is_the_exact_one_and_leaky_relu_slope_is_0_2(keras):
    x = np.array([-2.0, 1.5])
    exact = np.asarray(keras.activations.gelu(x))
    approx = np.asarray(keras.activations.gelu(x, approximate=True))
    assert np.abs(exact - approx).max() > 1e-4  # the difference is visible at the tolerance
    np.testing.assert_allclose(activate(x, "gelu"), exact, rtol=1e-6)
    assert activate(-1.0, "leaky_relu") == pytest.approx(-0.2)


def test_relu6_is_relu_capped_at_six_as_keras_computes_it(keras):
    x = np.array([-3.0, 0.0, 2.5, 5.999, 6.0, 6.001, 100.0])
    np.testing.assert_array_equal(activate(x, "relu6"), [0.0, 0.0, 2.5, 5.999, 6.0, 6.0, 6.0])
    np.testing.assert_allclose(activate(x, "relu6"), np.asarray(keras.activations.relu6(x)), rtol=1e-7)
    np.testing.assert_allclose(activate(x, "relu6"), np.asarray(keras.layers.ReLU(6.0)(x)), rtol=1e-6)


# ------------------------------------------------------------------------------------------------------- 2D
@st.composite
def conv_case(draw):
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(paddings)
    if padding == "valid":
        assume(kh <= h and kw <= w)
    rng = np.random.default_rng(draw(seeds))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = rng.normal(size=(h, w, c_in)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    return x, kernel, bias, draw(strides), padding


def assembled_conv(x, kernel, bias, s, padding, activation):
    """conv2d's output rebuilt cell by cell from the steps of every output channel."""
    channels = []
    for c in range(kernel.shape[3]):
        stepper = Conv2DStepper(x, kernel, bias, s, padding, c, activation)
        out = np.empty(stepper.output_shape)
        for step in conv2d_steps(x, kernel, bias, s, padding, c, activation):
            out[step.index] = step.value
        channels.append(out)
    return np.stack(channels, axis=-1)


@FAST
@given(case=conv_case())
def test_conv2d_and_its_steps_match_tf_nn_conv2d(tf, case):
    x, kernel, bias, s, padding = case
    ref = tf.nn.conv2d(x[None], kernel, strides=[1, *s, 1], padding=padding.upper())[0].numpy() + bias
    np.testing.assert_allclose(conv2d(x, kernel, bias, s, padding), ref, **TOL)
    np.testing.assert_allclose(assembled_conv(x, kernel, bias, s, padding, None), ref, **TOL)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(KERAS, max_examples=6)
@given(case=conv_case())
def test_conv2d_and_its_steps_match_a_keras_conv2d_layer(keras, activation, case):
    x, kernel, bias, s, padding = case
    if activation == "softmax":
        assume(kernel.shape[3] > 1)  # over one channel softmax is always 1 (and Keras warns)
    layer = keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], strides=s, padding=padding, activation=activation)
    layer.build((None, *x.shape))
    layer.set_weights([kernel, bias])
    ref = np.asarray(layer(x[None]))[0]
    np.testing.assert_allclose(conv2d(x, kernel, bias, s, padding, activation), ref, **TOL)
    if activation == "softmax":  # not per cell: step the pre-activations, then normalise over the channels
        np.testing.assert_allclose(activate(assembled_conv(x, kernel, bias, s, padding, None), "softmax"), ref, **TOL)
    else:
        np.testing.assert_allclose(assembled_conv(x, kernel, bias, s, padding, activation), ref, **TOL)


@FAST
@given(n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 4), seed=seeds)
def test_pad2d_pads_are_tensorflows(tf, n, k, s, seed):
    x = np.random.default_rng(seed).normal(size=(n, n + 1, 1)).astype(np.float32)
    kernel = np.random.default_rng(seed + 1).normal(size=(k, k, 1, 1)).astype(np.float32)
    padded, (top, bottom, left, right) = pad2d(x, "same", k, s)
    assert (top, bottom) == same_pads(n, k, s) and (left, right) == same_pads(n + 1, k, s)
    assert padded.shape[:2] == (n + top + bottom, n + 1 + left + right)
    explicit = [[0, 0], [top, bottom], [left, right], [0, 0]]
    same = tf.nn.conv2d(x[None], kernel, strides=s, padding="SAME")
    np.testing.assert_allclose(tf.nn.conv2d(x[None], kernel, strides=s, padding=explicit), same, **TOL)
    np.testing.assert_allclose(tf.nn.conv2d(padded[None].astype(np.float32), kernel, s, "VALID"), same, **TOL)


@pytest.mark.parametrize("n, k, s, pads", [(5, 2, 1, (0, 1)), (6, 3, 2, (0, 1)), (6, 4, 1, (1, 2)), (7, 2, 2, (0, 1))])
def test_asymmetric_same_padding_puts_the_odd_zero_after(tf, n, k, s, pads):
    assert same_pads(n, k, s) == pads
    rng = np.random.default_rng(n * k * s)
    x, kernel = rng.normal(size=(n, n, 1)).astype(np.float32), rng.normal(size=(k, k, 1, 1)).astype(np.float32)
    ref = tf.nn.conv2d(x[None], kernel, strides=s, padding="SAME")[0].numpy()
    np.testing.assert_allclose(conv2d(x, kernel, None, s, "same"), ref, **TOL)
    swapped = [[0, 0], [pads[1], pads[0]], [pads[1], pads[0]], [0, 0]]
    assert not np.allclose(tf.nn.conv2d(x[None], kernel, strides=s, padding=swapped)[0].numpy(), ref, **TOL)


@FAST
@given(case=conv_case(), data=st.data())
def test_step_at_equals_the_generated_step(case, data):
    x, kernel, bias, s, padding = case
    c = data.draw(st.integers(0, kernel.shape[3] - 1))
    steps = list(conv2d_steps(x, kernel, bias, s, padding, c, "tanh"))
    stepper = Conv2DStepper(x, kernel, bias, s, padding, c, "tanh")
    assert len(steps) == len(stepper) == stepper.output_shape[0] * stepper.output_shape[1]
    k = data.draw(st.integers(0, len(steps) - 1))
    i, j = divmod(k, stepper.output_shape[1])
    step = conv2d_step_at(x, kernel, bias, s, padding, c, "tanh", i=i, j=j)
    assert step == steps[k] and step.index == (i, j)
    # what the step says about itself holds together
    np.testing.assert_allclose(step.products, step.window * step.kernel)
    np.testing.assert_allclose(step.channel_sums.sum(), step.total)
    assert step.pre_activation == pytest.approx(step.total + step.bias)
    assert step.value == pytest.approx(math.tanh(step.pre_activation))
    assert step.origin == (i * s[0], j * s[1])
    rows = np.arange(kernel.shape[0])[:, None] + step.input_origin[0]
    cols = np.arange(kernel.shape[1])[None, :] + step.input_origin[1]
    inside = (rows >= 0) & (rows < x.shape[0]) & (cols >= 0) & (cols < x.shape[1])
    np.testing.assert_array_equal(step.is_padding, ~inside)
    assert not step.window[step.is_padding].any()


def test_steps_are_frozen():
    step = conv2d_step_at(np.ones((3, 3, 1)), np.ones((2, 2, 1, 1)), i=0, j=0)
    assert isinstance(step, ConvStep)
    with pytest.raises(AttributeError):
        step.total = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        step.window[0, 0, 0] = 5.0


# -------------------------------------------------------------------------------------------------- pooling
@st.composite
def pool_case(draw):
    h, w, c = draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(st.integers(1, 3))
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(paddings)
    if padding == "valid":
        assume(pool[0] <= h and pool[1] <= w)
    s = draw(st.one_of(st.none(), strides))
    rng = np.random.default_rng(draw(seeds))
    x = rng.normal(size=(h, w, c)).astype(np.float32)
    if draw(st.booleans()):
        x = -np.abs(x) - 1  # all negative: a zero-padded max would show up
    return x, pool, s, padding


@settings(KERAS, max_examples=40)
@given(case=pool_case(), mode=st.sampled_from(["max", "average"]))
def test_pooling_and_its_steps_match_keras_layers(keras, case, mode):
    x, pool, s, padding = case
    cls = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    ref = np.asarray(cls(pool_size=pool, strides=s, padding=padding)(x[None]))[0]
    np.testing.assert_allclose(pool2d(x, pool, s, padding, mode), ref, **TOL)
    for c in range(x.shape[2]):
        stepper = Pool2DStepper(x, pool, s, padding, mode, c)
        out = np.empty(stepper.output_shape)
        for step in pool2d_steps(x, pool, s, padding, mode, c):
            out[step.index] = step.value
            assert step.count == (~step.is_padding).sum()
            if mode == "max":
                assert step.window[step.argmax] == step.value and not step.is_padding[step.argmax]
            else:
                assert step.argmax is None and step.value == pytest.approx(step.total / step.count)
        np.testing.assert_allclose(out, ref[..., c], **TOL)
        i, j = stepper.output_shape[0] - 1, stepper.output_shape[1] - 1
        assert pool2d_step_at(x, pool, s, padding, mode, c, i=i, j=j) == stepper.step_at(i, j)


def test_same_average_pooling_counts_only_real_cells(keras):
    x = np.arange(1.0, 10.0).reshape(3, 3, 1)
    step = pool2d_step_at(x, 2, 2, "same", "average", i=1, j=1)  # the corner window holds one real cell
    assert step.count == 1 and step.value == 9.0 and np.isnan(step.window[step.is_padding]).all()
    ref = np.asarray(keras.layers.AveragePooling2D(2, padding="same")(x[None].astype(np.float32)))[0]
    assert ref[1, 1, 0] == 9.0


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(np.ones((4, 4, 3)), np.ones((2, 2, 2, 1))), "input channel"),
    (lambda: conv2d_steps(np.ones((4, 4, 1)), np.ones((2, 2, 1, 2)), activation="softmax"), "not element-wise"),
    (lambda: conv2d_step_at(np.ones((4, 4, 1)), np.ones((2, 2, 1, 2)), None, 1, "same", 0, "softmax", i=0, j=0),
     "softmax"),
    (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1)), strides=0), "positive integer"),
    (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1)), strides=(1, 0)), "positive integer"),
    (lambda: pool2d(np.ones((4, 4, 1)), 2, strides=0), "positive integer"),
    (lambda: conv1d([1.0, 2.0], [1.0], s=0), "positive integer"),
    (lambda: conv1d([], [1.0]), "empty"),
    (lambda: conv1d([1.0], []), "empty"),
    (lambda: conv2d(np.ones((0, 4, 1)), np.ones((2, 2, 1, 1))), "empty"),
    (lambda: pool2d(np.ones((4, 0, 1))), "empty"),
    (lambda: conv2d(np.ones((4, 4)), np.ones((2, 2, 1, 1))), "channel axis"),
    (lambda: conv2d(np.ones((2, 2, 1)), np.ones((3, 3, 1, 1))), "larger than the input"),
    (lambda: pool2d(np.ones((2, 2, 1)), 3), "larger than the input"),
    (lambda: conv1d([1.0, 2.0], [1.0, 2.0, 3.0]), "longer than the padded input"),
    (lambda: conv1d_mode([1.0, 2.0], [1.0], "middle"), "'full', 'same' or 'valid'"),
    (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1)), activation="mish"), "unsupported activation"),
    (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1)), padding="full"), "'valid' or 'same'"),
    (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 2)), bias=np.ones(3)), "one value per output channel"),
    (lambda: conv2d_steps(np.ones((4, 4, 1)), np.ones((2, 2, 1, 2)), out_channel=2), "out_channel"),
    (lambda: pool2d(np.ones((4, 4, 1)), mode="min"), "'max' or 'average'"),
])
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_cell_outside_the_output_is_an_index_error():
    with pytest.raises(IndexError, match="outside"):
        conv2d_step_at(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1)), i=3, j=0)


def test_step_api_is_reexported_from_convolution():
    assert conv.conv2d_steps is conv2d_steps and conv.PoolStep.__name__ == "PoolStep"


# ------------------------------------------------------------------------------- dilation, depthwise, separable
def _zero_inserted(kernel: np.ndarray, d: tuple[int, int]) -> np.ndarray:
    """The dilated kernel written out: d - 1 zeros between the taps (what a dilation means)."""
    kh, kw = kernel.shape[:2]
    out = np.zeros(((kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1) + kernel.shape[2:])
    out[::d[0], ::d[1]] = kernel
    return out


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("d, s", [((2, 2), (1, 1)), ((3, 1), (1, 1)), ((1, 2), (2, 1)), ((2, 3), (1, 1))])
def test_dilation_equals_the_kernel_with_zeros_between_its_taps(padding, d, s):
    rng = np.random.default_rng(11)
    x, kernel, bias = rng.normal(size=(11, 10, 2)), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=3)
    ref = conv2d(x, _zero_inserted(kernel, d), bias, s, padding)
    np.testing.assert_allclose(conv2d(x, kernel, bias, s, padding, dilation_rate=d), ref, atol=1e-12)
    stepper = Conv2DStepper(x, kernel, bias, s, padding, 1, dilation_rate=d)
    assert stepper.output_shape == ref.shape[:2]
    for step in stepper:
        assert step.value == pytest.approx(ref[step.index][1], abs=1e-12)
    step = stepper.step_at(1, 1)
    r, c = step.origin
    assert step.footprint == (r, c, 2 * d[0] + 1, d[1] + 1)
    assert step.taps() == [(r + a * d[0], c + b * d[1]) for a in range(3) for b in range(2)]
    np.testing.assert_array_equal(step.window, stepper.padded[[t[0] for t in step.taps()],
                                                              [t[1] for t in step.taps()]].reshape(3, 2, 2))


def test_depthwise_equals_a_block_diagonal_conv2d_and_separable_its_two_stages():
    from cnnviz.core.inspect.depthwise import (DepthwiseConv2DStepper, SeparableConv2DStepper, depthwise_conv2d,
                                               separable_conv2d)

    rng = np.random.default_rng(12)
    c_in, m, f = 3, 2, 4
    x, dk = rng.normal(size=(9, 8, c_in)), rng.normal(size=(3, 3, c_in, m))
    full = np.zeros((3, 3, c_in, c_in * m))
    for c in range(c_in):
        for j in range(m):
            full[:, :, c, c * m + j] = dk[:, :, c, j]  # output channel c*m + j reads input channel c only
    bias = rng.normal(size=c_in * m)
    for padding, s, d in (("same", 1, 2), ("valid", 2, 1)):
        ref = conv2d(x, full, bias, s, padding, "relu", dilation_rate=d)
        np.testing.assert_allclose(depthwise_conv2d(x, dk, bias, s, padding, "relu", d), ref, atol=1e-12)
        st = DepthwiseConv2DStepper(x, dk, bias, s, padding, 5, "relu", d)
        assert (st.in_channel, st.multiplier) == (2, 1) and st.output_shape == ref.shape[:2]
        assert all(step.value == pytest.approx(ref[step.index][5], abs=1e-12) for step in st)
        pw, pb = rng.normal(size=(1, 1, c_in * m, f)), rng.normal(size=f)
        sep = separable_conv2d(x, dk, pw, pb, s, padding, None, d)
        np.testing.assert_allclose(sep, conv2d(conv2d(x, full, None, s, padding, dilation_rate=d), pw, pb),
                                   atol=1e-12)
        st = SeparableConv2DStepper(x, dk, pw, pb, s, padding, 3, None, d)
        for step in st:
            assert step.value == pytest.approx(sep[step.index][3], abs=1e-12)
            assert step.total == pytest.approx(float(step.depthwise_values @ pw[0, 0, :, 3]), abs=1e-12)
    with pytest.raises(ValueError, match="pointwise kernel must be 1 x 1 x 6"):
        separable_conv2d(x, dk, np.ones((1, 1, 3, 2)))
    with pytest.raises(ValueError, match="input channel"):
        depthwise_conv2d(x[..., :2], dk)
