"""Named architectures, each with its source. ``PRESETS[name]()`` returns a fresh ModelSpec."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from cnnviz.core.model.spec import LayerSpec, ModelSpec

L = LayerSpec.make


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    source: str
    build: Callable[[], ModelSpec]
    # the training settings the architecture is meant to be trained with (TrainingConfig fields), {} for none:
    # the preset and its recipe are one choice in the app and the CLI
    training: dict[str, Any] = field(default_factory=dict)


def lecture_mnist() -> ModelSpec:
    """The lecture's MNIST CNN (CS-618 lecture 4, after Raschka & Mirjalili, *Python Machine Learning*, ch. 15).

    Shapes [28,28,32] [14,14,32] [14,14,64] [7,7,64] [3136] [1024] [1024] [10];
    parameters 832 + 51,264 + 3,212,288 + 10,250 = 3,274,634.
    """
    return ModelSpec((28, 28, 1), [
        L("Conv2D", "conv_1", filters=32, kernel_size=5, strides=1, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_1", pool_size=2),
        L("Conv2D", "conv_2", filters=64, kernel_size=5, strides=1, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_2", pool_size=2),
        L("Flatten", "flatten"),
        L("Dense", "fc_1", units=1024, activation="relu"),
        L("Dropout", "dropout", rate=0.5),
        L("Dense", "fc_2", units=10, activation="softmax"),
    ], name="lecture_mnist_cnn", description="The lecture's MNIST CNN: 3,274,634 parameters")


def keras_io_mnist() -> ModelSpec:
    """keras.io example "Simple MNIST convnet" (F. Chollet): 34,826 parameters, ~99% test accuracy."""
    return ModelSpec((28, 28, 1), [
        L("Conv2D", "conv_1", filters=32, kernel_size=3, activation="relu"),
        L("MaxPooling2D", "pool_1", pool_size=2),
        L("Conv2D", "conv_2", filters=64, kernel_size=3, activation="relu"),
        L("MaxPooling2D", "pool_2", pool_size=2),
        L("Flatten", "flatten"),
        L("Dropout", "dropout", rate=0.5),
        L("Dense", "output", units=10, activation="softmax"),
    ], name="keras_io_simple_convnet", description="keras.io 'Simple MNIST convnet': 34,826 parameters")


def lenet5() -> ModelSpec:
    """LeNet-5 (LeCun et al., 1998) on 28x28 MNIST: C1 uses 'same' padding in place of the original 32x32 input;
    tanh activations and average pooling (sub-sampling) as in the paper. 61,706 parameters."""
    return ModelSpec((28, 28, 1), [
        L("Conv2D", "c1", filters=6, kernel_size=5, padding="same", activation="tanh"),
        L("AveragePooling2D", "s2", pool_size=2),
        L("Conv2D", "c3", filters=16, kernel_size=5, activation="tanh"),
        L("AveragePooling2D", "s4", pool_size=2),
        L("Conv2D", "c5", filters=120, kernel_size=5, activation="tanh"),
        L("Flatten", "flatten"),
        L("Dense", "f6", units=84, activation="tanh"),
        L("Dense", "output", units=10, activation="softmax"),
    ], name="lenet5", description="LeNet-5 (LeCun et al. 1998), adapted to 28x28 input")


def tiny_vgg() -> ModelSpec:
    """CNN Explainer's Tiny VGG (Wang et al., 2020, poloclub.github.io/cnn-explainer): 64x64 RGB, 10 classes."""
    return ModelSpec((64, 64, 3), [
        L("Conv2D", "conv_1_1", filters=10, kernel_size=3, activation="relu"),
        L("Conv2D", "conv_1_2", filters=10, kernel_size=3, activation="relu"),
        L("MaxPooling2D", "max_pool_1", pool_size=2),
        L("Conv2D", "conv_2_1", filters=10, kernel_size=3, activation="relu"),
        L("Conv2D", "conv_2_2", filters=10, kernel_size=3, activation="relu"),
        L("MaxPooling2D", "max_pool_2", pool_size=2),
        L("Flatten", "flatten"),
        L("Dense", "output", units=10, activation="softmax"),
    ], name="tiny_vgg", description="CNN Explainer's Tiny VGG: 64x64x3 input, 19,920 parameters")


def fast_mnist() -> ModelSpec:
    """cnnviz's quick preset for a laptop CPU: the lecture's layout made ~60x smaller (53k parameters);
    reaches ~99% on MNIST in a few epochs."""
    return ModelSpec((28, 28, 1), [
        L("Conv2D", "conv_1", filters=24, kernel_size=5, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_1", pool_size=2),
        L("Conv2D", "conv_2", filters=48, kernel_size=5, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_2", pool_size=2),
        L("Flatten", "flatten"),
        L("Dropout", "dropout", rate=0.25),
        L("Dense", "output", units=10, activation="softmax"),
    ], name="fast_mnist", description="Small and fast: the lecture's layout with fewer filters and no fc_1")


def fast_to_99() -> ModelSpec:
    """A speed recipe after tuomaso/train_mnist_fast ("99% on MNIST in 0.76 s on a laptop GPU"): two small
    convolutions, a 256-unit layer; trained with batch 256, Adam (beta_1 0.7, beta_2 0.9) and a warm-up then cosine
    schedule peaking at 1e-2 (see FAST_TO_99_TRAINING), it reaches 99% MNIST test accuracy in two epochs."""
    return ModelSpec((28, 28, 1), [
        L("Conv2D", "conv_1", filters=24, kernel_size=5, activation="relu"),
        L("MaxPooling2D", "pool_1", pool_size=2),
        L("Conv2D", "conv_2", filters=32, kernel_size=3, activation="relu"),
        L("MaxPooling2D", "pool_2", pool_size=2),
        L("Flatten", "flatten"),
        L("Dense", "fc_1", units=256, activation="relu"),
        L("Dense", "output", units=10, activation="softmax"),
    ], name="fast_to_99", description="Fast to 99%: a speed recipe (batch 256, Adam 0.7/0.9, warm-up + cosine to 1e-2)")


FAST_TO_99_TRAINING = {"batch_size": 256, "epochs": 2, "optimizer": "adam", "learning_rate": 1e-2,
                       "beta_1": 0.7, "beta_2": 0.9, "schedule": "warmup_cosine", "warmup_fraction": 0.2}


def celeba_gender() -> ModelSpec:
    """The lecture's CelebA gender classifier (Raschka & Mirjalili, ch. 15): 64x64 RGB crops, one sigmoid output."""
    return ModelSpec((64, 64, 3), [
        L("Conv2D", "conv_1", filters=32, kernel_size=3, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_1", pool_size=2),
        L("Dropout", "dropout_1", rate=0.5),
        L("Conv2D", "conv_2", filters=64, kernel_size=3, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_2", pool_size=2),
        L("Dropout", "dropout_2", rate=0.5),
        L("Conv2D", "conv_3", filters=128, kernel_size=3, padding="same", activation="relu"),
        L("MaxPooling2D", "pool_3", pool_size=2),
        L("Conv2D", "conv_4", filters=256, kernel_size=3, padding="same", activation="relu"),
        L("GlobalAveragePooling2D", "gap"),
        L("Dense", "output", units=1, activation="sigmoid"),
    ], name="celeba_gender", description="The lecture's CelebA gender classifier (binary, sigmoid output)")


PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("lecture", "Lecture MNIST CNN (3,274,634 params)", "CS-618 lecture 4 / Raschka & Mirjalili ch. 15",
           lecture_mnist),
    Preset("fast", "Fast MNIST CNN (53k params)", "cnnviz", fast_mnist),
    Preset("fast99", "Fast to 99%: speed recipe (215k params, 2 epochs)", "after tuomaso/train_mnist_fast",
           fast_to_99, FAST_TO_99_TRAINING),
    Preset("keras_io", "keras.io simple MNIST convnet", "keras.io/examples/vision/mnist_convnet", keras_io_mnist),
    Preset("lenet5", "LeNet-5", "LeCun, Bottou, Bengio, Haffner (1998)", lenet5),
    Preset("tiny_vgg", "Tiny VGG (CNN Explainer)", "Wang et al. (2020), CNN Explainer", tiny_vgg),
    Preset("celeba", "CelebA gender classifier", "CS-618 lecture 4 / Raschka & Mirjalili ch. 15", celeba_gender),
)}


def preset_training(key: str) -> dict[str, Any]:
    """The training settings preset ``key`` comes with ({} when it has none); KeyError for an unknown preset."""
    if key not in PRESETS:
        raise KeyError(f"unknown preset {key!r}; known presets: {', '.join(PRESETS)}")
    return dict(PRESETS[key].training)


def get_preset(key: str) -> ModelSpec:
    """A fresh copy of the preset called ``key``; KeyError naming the known presets otherwise."""
    try:
        return PRESETS[key].build()
    except KeyError:
        raise KeyError(f"unknown preset {key!r}; known presets: {', '.join(PRESETS)}") from None
