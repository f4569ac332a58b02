"""Data-parallel training on one machine with ``tf.distribute.MirroredStrategy``.

MultiWorkerMirroredStrategy with ``fit`` is broken on Keras 3 (keras-team/keras#20585), so cnnviz offers
single-node mirroring only: all local GPUs, or the devices named. On a CPU-only machine it can be tried with
logical CPU devices (``split_cpu``), which is how the tests run it.
"""
from __future__ import annotations


def split_cpu(count: int) -> None:
    """Make ``count`` logical CPU devices. Must run before TensorFlow initialises its devices."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * count)


def mirrored_strategy(devices: str | None = None):
    """A MirroredStrategy over ``devices`` ("/gpu:0,/gpu:1") or all local GPUs (or the CPU when there are none)."""
    import tensorflow as tf

    names = [d.strip() for d in devices.split(",") if d.strip()] if devices else None
    return tf.distribute.MirroredStrategy(devices=names)
