"""The confusion matrix cell by cell: models whose every answer is known (weights set by hand), labels made by hand,
the expected matrix written out (rows: true class, columns: predicted). CelebA's evaluate_dataset against numbers
computed from the miniature's own attribute table, not from another evaluation."""
from __future__ import annotations

import numpy as np
import pytest

from celeba_miniature import MALE, make_celeba
from cnnviz.core.data.celeba import CELEBA_ATTRIBUTES, evaluate_dataset, load_celeba
from cnnviz.core.model.inference import Predictor, evaluate
from cnnviz.core.train.evaluation import evaluate_batches

pytestmark = pytest.mark.slow

# image i is a 1x1 pixel with three channels; the model predicts the channel that is lit
PREDICTED = [0, 1, 2, 1, 1, 2, 0, 2, 2, 0]
LABELS = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0]
CONFUSION = [[2, 1, 1],     # true 0: predicted 0 twice (images 0, 9), 1 once (1), 2 once (2)
             [0, 2, 0],     # true 1: both right (3, 4)
             [1, 0, 3]]     # true 2: one taken for a 0 (6), three right (5, 7, 8)


def _argmax_model():
    """Flatten -> Dense(3, softmax) with kernel 10 * identity: the class is the brightest channel."""
    import keras

    model = keras.Sequential([keras.Input((1, 1, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.layers[-1].set_weights([10 * np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
    return model


def _images(predicted) -> np.ndarray:
    return np.eye(3, dtype=np.float32)[predicted].reshape(-1, 1, 1, 3)


def test_confusion_cells_match_hand_made_labels():
    ev = evaluate(Predictor(_argmax_model()), _images(PREDICTED), np.array(LABELS), 3)
    assert ev.predicted.tolist() == PREDICTED
    assert ev.confusion.tolist() == CONFUSION
    assert ev.accuracy == pytest.approx(7 / 10)
    np.testing.assert_allclose(ev.per_class_accuracy, [2 / 4, 2 / 2, 3 / 4])


def test_a_runs_batched_evaluation_gives_the_same_cells():
    x, y = _images(PREDICTED), np.array(LABELS)
    batches = [(x[i:i + 3], y[i:i + 3]) for i in range(0, len(y), 3)]   # 3 + 3 + 3 + 1
    ev = evaluate_batches(_argmax_model(), batches, 3)
    assert ev.confusion.tolist() == CONFUSION and ev.predicted.tolist() == PREDICTED


def test_one_sigmoid_unit_predicts_class_1_from_one_half():
    import keras

    model = keras.Sequential([keras.Input((1, 1, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.layers[-1].set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    # pixel v gives p = sigmoid(v): v = -2, -1 -> class 0; v = 0 (p exactly 0.5), 1, 3 -> class 1
    x = np.array([-2, -1, 0, 1, 3], np.float32).reshape(-1, 1, 1, 1)
    y = np.array([0, 1, 1, 0, 0])
    ev = evaluate(Predictor(model), x, y, 2)
    assert ev.predicted.tolist() == [0, 0, 1, 1, 1]
    assert ev.confusion.tolist() == [[1, 2],    # true 0: -2 right, 1 and 3 taken for a 1
                                     [1, 1]]    # true 1: -1 missed, 0 right
    np.testing.assert_allclose(ev.probabilities[:, 1], 1 / (1 + np.exp(-x.reshape(-1))), rtol=1e-6)


# ---------------------------------------------------------------------------------------------- CelebA
@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba")
    return root, make_celeba(root)


def _brightness_model():
    """Predicts 'Male' from brightness (the miniature's male faces are brighter: base 170 vs 70 of 255):
    global average -> Dense(1, sigmoid), logit = 10 * (r + g + b) - 14."""
    import keras

    model = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.layers[-1].set_weights([np.full((3, 1), 10.0, np.float32), np.array([-14.0], np.float32)])
    return model


def test_celeba_evaluate_dataset_against_the_attribute_table(celeba):
    """The model answers 'Male' (known from the files); the label is another attribute. Every cell of the matrix
    is then a count of the miniature's attribute table over the test partition."""
    root, truth = celeba
    test = truth["partition"] == 2
    male = truth["attrs"][test, MALE] == 1
    for attribute in CELEBA_ATTRIBUTES:   # one whose table with Male is lopsided, so a transposed matrix shows
        label = truth["attrs"][test, CELEBA_ATTRIBUTES.index(attribute)] == 1
        expected = [[int(np.sum(~label & ~male)), int(np.sum(~label & male))],
                    [int(np.sum(label & ~male)), int(np.sum(label & male))]]
        if expected[0][1] != expected[1][0]:
            break
    else:
        pytest.fail("the miniature has no attribute whose table with Male is asymmetric")
    data = load_celeba(root, attribute, seed=1)
    model = _brightness_model()
    ev = evaluate_dataset(Predictor(model), data.test.batch(3), 2)
    assert ev.confusion.tolist() == expected
    assert ev.accuracy == pytest.approx((expected[0][0] + expected[1][1]) / int(test.sum()))
    # the model's own answers, computed here with Keras on the streamed test images
    xs = np.stack([np.asarray(x) for x, _ in data.test])
    assert (np.asarray(model.predict(xs, verbose=0))[:, 0] >= 0.5).sum() == int(male.sum())
    assert evaluate_dataset(model, data.test, 2).confusion.tolist() == expected   # unbatched, a plain model
