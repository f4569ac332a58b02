"""Decoding CelebA's image files inside a ``tf.data`` pipeline, safely: a file's header is read before decoding
(a file announcing more than MAX_FACE_PIXELS is refused, never decoded), and a file that cannot be decoded is
named (its folder and file name) instead of failing the run with TensorFlow's anonymous decoding error.
TensorFlow is imported inside the functions."""
from __future__ import annotations

MAX_FACE_PIXELS = 4096 * 4096   # CelebA faces are 178x218; a file announcing more is refused before decoding


def header_size(data):
    """(height, width) int64 a PNG, JPEG, GIF or BMP file announces in its header (0, 0 for anything else), read
    from the bytes without decoding any pixel (TensorFlow ops, so it runs inside the pipeline)."""
    import tensorflow as tf

    head = tf.io.decode_raw(tf.strings.substr(tf.strings.join([tf.strings.substr(data, 0, 32), "\0" * 32]), 0, 32),
                            tf.uint8)
    b = tf.cast(head, tf.int64)

    def big(i):
        return b[i] * 16777216 + b[i + 1] * 65536 + b[i + 2] * 256 + b[i + 3]

    def little(i, n):
        return sum(b[i + k] * 256 ** k for k in range(n))

    png = tf.reduce_all(tf.equal(head[:4], tf.constant([0x89, 0x50, 0x4E, 0x47], tf.uint8)))
    gif = tf.equal(tf.strings.substr(data, 0, 3), "GIF")
    bmp = tf.equal(tf.strings.substr(data, 0, 2), "BM")
    zero = tf.constant([0, 0], tf.int64)
    return tf.case([(tf.io.is_jpeg(data), lambda: tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)),
                    (png, lambda: tf.stack([big(20), big(16)])),
                    (gif, lambda: tf.stack([little(8, 2), little(6, 2)])),
                    (bmp, lambda: tf.abs(tf.stack([little(22, 4) - tf.cast(b[25] >= 128, tf.int64) * 2 ** 32,
                                                   little(18, 4)])))],
                   default=lambda: zero, exclusive=False)


def _too_big_message(path, size, max_pixels: int):
    import tensorflow as tf

    return tf.strings.join([path, " is ", tf.strings.as_string(size[1]), "x", tf.strings.as_string(size[0]),
                            f" pixels, more than cnnviz decodes for CelebA ({max_pixels:,} pixels; its faces are "
                            "178x218)"])


def decode_image(path, max_pixels: int = MAX_FACE_PIXELS):
    """A JPEG/PNG file -> uint8 (H, W, 3) tensor. A file whose header announces more than ``max_pixels`` is refused
    (InvalidArgumentError naming it) before anything is decoded: a 315 KB PNG can announce 9000x9000 pixels."""
    import tensorflow as tf

    data = tf.io.read_file(path)
    size = header_size(data)
    check = tf.debugging.Assert(size[0] * size[1] <= max_pixels, [_too_big_message(path, size, max_pixels)])
    with tf.control_dependencies([check]):
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


# No ": " in the messages checked in the pipeline: the CLI shows a TensorFlow error's text after its last ": ".
UNREADABLE = ("could not be read as an image (empty, truncated or damaged), replace it with the picture from "
              "img_align_celeba.zip or remove its line from the attribute file")


def _short(path):
    """``img_align_celeba/000005.jpg`` of a full path (a string tensor): the folder and the file's name."""
    import tensorflow as tf

    return tf.strings.regex_replace(path, r"^.*[/\\]([^/\\]+[/\\][^/\\]+)$", r"\1")


def _named_decoding(ds, transform, *, max_pixels: int = MAX_FACE_PIXELS):
    """``ds`` of (path, label[, seed]) -> (transform(image[, seed]), label), where a file that cannot be decoded
    stops the pipeline with an InvalidArgumentError that names it (TensorFlow's own decode errors name no file).

    How: every element is numbered (and carries the previous element's path); decoding errors drop the element
    (``ignore_errors``), and the check after it sees the gap in the numbers and raises naming the dropped file. A
    sentinel after the last element (never decoded) catches a bad last file. A file announcing more than
    ``max_pixels`` is not decoded at all (a flag, checked after, keeps its own message)."""
    import tensorflow as tf

    ds = ds.concatenate(tf.data.Dataset.from_tensors(tuple(_sentinel(spec) for spec in ds.element_spec)))

    def number(state, item):
        k, prev = state
        return (k + 1, item[0]), (k, prev, *item)

    ds = ds.scan((tf.constant(0, tf.int64), tf.constant("")), number)

    def load(k, prev, path, label, *seed):
        real = tf.not_equal(label, -1)

        def decoded():
            data = tf.io.read_file(path)
            size = header_size(data)
            too_big = size[0] * size[1] > max_pixels
            image = tf.cond(too_big, lambda: tf.zeros([1, 1, 3], tf.uint8),
                            lambda: tf.ensure_shape(tf.io.decode_image(data, channels=3, expand_animations=False),
                                                    [None, None, 3]))
            return transform(image, *seed), too_big, size

        def placeholder():
            return transform(tf.zeros([1, 1, 3], tf.uint8), *seed), tf.constant(False), tf.zeros([2], tf.int64)

        image, too_big, size = tf.cond(real, decoded, placeholder)
        return k, prev, path, image, label, too_big, size

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()

    def check(expected, item):
        k, prev, path, image, label, too_big, size = item
        gap = tf.debugging.Assert(tf.equal(k, expected), [tf.strings.join([_short(prev), " ", UNREADABLE])],
                                  name="decode_check_file")
        big = tf.debugging.Assert(tf.logical_not(too_big), [_too_big_message(_short(path), size, max_pixels)],
                                  name="decode_check_size")
        with tf.control_dependencies([gap, big]):
            return k + 1, (tf.identity(image), label)

    ds = ds.scan(tf.constant(0, tf.int64), check)
    return ds.filter(lambda image, label: tf.not_equal(label, -1))


def _sentinel(spec):
    import tensorflow as tf

    if spec.dtype == tf.string:
        return tf.constant("")
    return tf.fill(spec.shape, tf.constant(-1, spec.dtype))   # a label of -1 (and, for training, a seed)
