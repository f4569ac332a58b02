"""The lecture's 2D convolution against references nobody here wrote: scipy.signal and tf.nn.conv2d."""
import numpy as np
import pytest
from scipy import signal

from cnnviz.core.inspect.textbook import (LECTURE_IMAGE, LECTURE_KERNEL, WORKED_EXAMPLES, conv2d, conv2d_steps,
                                          mode_padding, rotate180)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", [((5, 5), (3, 3)), ((7, 6), (2, 4)), ((6, 9), (4, 3)), ((4, 4), (1, 1))])
def test_true_convolution_equals_scipy_convolve2d(mode, shapes):
    rng = np.random.default_rng(sum(shapes[0]) * 10 + sum(shapes[1]))
    x, w = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(conv2d(x, w, mode), signal.convolve2d(x, w, mode), atol=1e-12)
    # flip off: the cross-correlation. For an even kernel in 'same' mode scipy's correlate2d centres its output
    # one cell later than numpy.correlate (and than its own convolve2d); the explorer keeps the windows of the
    # convolution, as numpy does, so there it is compared with numpy row by row on a one-row kernel below.
    if mode != "same" or all(m % 2 for m in shapes[1]):
        np.testing.assert_allclose(conv2d(x, w, mode, flip=False), signal.correlate2d(x, w, mode), atol=1e-12)


def test_even_kernel_same_cross_correlation_matches_numpy():
    x, w = np.arange(1.0, 8.0)[None, :], np.array([[1.0, 10.0]])
    np.testing.assert_allclose(conv2d(x, w, "same", flip=False)[0], np.correlate(x[0], w[0], "same"))
    np.testing.assert_allclose(conv2d(x, w, "same", flip=True)[0], np.convolve(x[0], w[0], "same"))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("stride", [2, 3])
def test_stride_keeps_every_sth_window(mode, stride):
    rng = np.random.default_rng(stride)
    x, w = rng.normal(size=(9, 8)), rng.normal(size=(3, 2))
    out = conv2d(x, w, mode, stride)
    np.testing.assert_allclose(out, signal.convolve2d(x, w, mode)[::stride, ::stride], atol=1e-12)
    (pt, pb), (pl, pr) = mode_padding(w.shape, mode)
    assert out.shape == ((9 + pt + pb - 3) // stride + 1, (8 + pl + pr - 2) // stride + 1)   # the lecture's o


@pytest.mark.parametrize("mode", ["same", "valid", "full"])
def test_tensorflow_conv2d_is_the_cross_correlation_and_equals_the_textbook_with_the_kernel_rotated(mode):
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(6, 7)), rng.normal(size=(3, 3))
    (pt, pb), (pl, pr) = mode_padding(w.shape, mode)

    def tf_conv(kernel):
        return tf.nn.conv2d(x[None, :, :, None], kernel[:, :, None, None], strides=1,
                            padding=[[0, 0], [pt, pb], [pl, pr], [0, 0]]).numpy()[0, :, :, 0]

    np.testing.assert_allclose(conv2d(x, w, mode, flip=False), tf_conv(w), atol=1e-10)
    np.testing.assert_allclose(conv2d(x, w, mode, flip=True), tf_conv(rotate180(w)), atol=1e-10)
    assert not np.allclose(conv2d(x, w, mode, flip=True), conv2d(x, w, mode, flip=False))


def test_the_lecture_slide_gives_its_convolved_feature():
    np.testing.assert_array_equal(conv2d(LECTURE_IMAGE, LECTURE_KERNEL, "valid"),
                                  [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    for example in WORKED_EXAMPLES.values():   # each one-click example runs
        np.testing.assert_allclose(conv2d(example.x, example.w, example.mode, example.stride),
                                   signal.convolve2d(example.x, example.w, example.mode)[::example.stride,
                                                                                          ::example.stride])


def test_steps_show_the_rotated_kernel_meeting_each_window():
    x = np.arange(16.0).reshape(4, 4)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    xp, steps = conv2d_steps(x, w, "valid", 1, flip=True)
    first = steps[0]
    np.testing.assert_array_equal(first.kernel, [[4, 3], [2, 1]])
    np.testing.assert_array_equal(first.window, [[0, 1], [4, 5]])
    assert first.value == 0 * 4 + 1 * 3 + 4 * 2 + 5 * 1
    assert first.formula(True).startswith("Y[0,0] = \u03a3 X window \u00b7 W rotated 180\u00b0 = 0\u00b74 + 1\u00b73")
    assert len(steps) == 9 and (steps[-1].row, steps[-1].col) == (2, 2)


@pytest.mark.parametrize("x, w, mode, stride, match", [
    ([[1, 2]], [[1, 2, 3]], "valid", 1, "does not fit"),
    ([[1, 2]], [[1]], "circular", 1, "mode"),
    ([[1, 2]], [[1]], "valid", 0, "stride"),
    ([1, 2], [[1]], "valid", 1, "2D"),
    ([[1, float("nan")]], [[1]], "valid", 1, "finite"),
    ([["a"]], [[1]], "valid", 1, "numbers"),
])
def test_bad_inputs_get_one_clear_message(x, w, mode, stride, match):
    with pytest.raises(ValueError, match=match):
        conv2d(x, w, mode, stride)
