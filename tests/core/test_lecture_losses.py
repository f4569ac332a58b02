"""Each loss the Lecture tab shows, computed by hand (cnnviz.core.lecture.losses), equals Keras's loss object on the
same values: many random predictions, probabilities of exactly 0 and 1 (which Keras clips with epsilon), large
logits; and the pairs the view says agree do agree in Keras's own numbers."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.lecture.losses import (EPSILON, LossCase, LossInputError, hand_loss, keras_epsilon, keras_losses,
                                        model_prediction, pairs, prediction_from_outputs, related_cases)


def _random_groups(seed: int, n: int):
    rng = np.random.default_rng(seed)
    groups = []
    for t in range(n):
        k = int(rng.integers(3, 8))
        p = rng.dirichlet(np.ones(k) * rng.choice([0.05, 1.0, 5.0]))
        if t % 4 == 0:                       # a probability of exactly 0
            p[rng.integers(k)] = 0.0
            p /= p.sum()
        if t % 5 == 0:                       # a certain prediction: one 1, the rest 0
            p = np.zeros(k)
            p[rng.integers(k)] = 1.0
        if t % 6 == 0:                       # probabilities that do not sum to 1 (Keras rescales them)
            p = rng.random(k)
        label = int(rng.integers(k))
        groups.append(related_cases("multiclass", label, p, "probabilities"))
        groups.append(related_cases("multiclass", label, rng.normal(0, rng.choice([1.0, 10.0, 40.0]), k), "logits"))
        b = float(rng.choice([0.0, 1.0, rng.random(), 1e-9, 1 - 1e-9, 0.5]))
        groups.append(related_cases("binary", int(rng.integers(2)), [b], "probabilities"))
        groups.append(related_cases("binary", int(rng.integers(2)), [rng.normal(0, 20)], "logits"))
    return groups


@pytest.fixture(scope="module")
def computed():
    groups = _random_groups(7, 120)
    cases = [c for g in groups for c in g]
    return groups, cases, keras_losses(cases)


def test_keras_epsilon_is_the_one_the_hand_formula_clips_with():
    assert keras_epsilon() == EPSILON


def test_every_hand_formula_equals_keras_loss_object(computed):
    groups, cases, keras = computed
    kinds = {(c.kind, c.from_logits) for c in cases}
    assert kinds == {(k, f) for k in ("binary", "categorical", "sparse") for f in (False, True)}
    hand = np.array([hand_loss(c).loss for c in cases])
    np.testing.assert_allclose(hand, np.array(keras), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", [
    LossCase("binary", 1, (0.0,)), LossCase("binary", 0, (1.0,)), LossCase("binary", 1, (1.0,)),
    LossCase("binary", 0, (0.0,)), LossCase("categorical", 0, (0.0, 0.0, 1.0)),
    LossCase("sparse", 0, (0.0, 0.0, 1.0)), LossCase("categorical", 2, (0.0, 0.0, 1.0)),
    LossCase("sparse", 1, (0.0, 1.0, 0.0, 0.0)),
])
def test_probabilities_of_0_and_1_are_clipped_like_keras(case):
    hand = hand_loss(case)
    (keras,) = keras_losses([case])
    assert hand.loss == pytest.approx(keras, rel=1e-6, abs=1e-6)
    assert np.isfinite(hand.loss) and hand.loss <= -np.log(np.float32(EPSILON)) * 1.001
    assert hand.clipped                        # the view says a value was clipped
    assert any("clipped" in s for s in hand.steps)


def test_the_steps_show_the_numbers():
    hand = hand_loss(LossCase("categorical", 1, (0.2, 0.7, 0.1)))
    text = "\n".join(hand.steps)
    assert "0.7" in text and "log" in text
    assert hand.loss == pytest.approx(-np.log(0.7), rel=1e-6)
    hand = hand_loss(LossCase("binary", 1, (2.0,), from_logits=True))
    assert hand.loss == pytest.approx(np.log1p(np.exp(-2.0)), rel=1e-6)
    assert "0.880797" in "\n".join(hand.steps)    # sigma(2)


def test_pairs_that_should_agree_agree_in_keras_numbers(computed):
    groups, cases, keras = computed
    losses = dict(zip(cases, keras))
    seen = {"equal": 0, "differ": 0}
    relations = set()
    for g in groups:
        for pair in pairs(g):
            relations.add(pair.relation.split(" (")[0])
            same, why = pair.verdict(losses[g[pair.a]], losses[g[pair.b]])
            if not (pair.clipped_by or pair.rounded_by):
                assert same, (why, g[pair.a], g[pair.b], losses[g[pair.a]], losses[g[pair.b]])
            seen["equal" if same else "differ"] += 1
            assert ("equal" in why) == same
    assert relations == {"one-hot vs integer label", "logits vs probabilities"}
    assert seen["equal"] > 100 and seen["differ"] > 5   # clipping really changes some of them


def test_large_logits_differ_from_clipped_probabilities_and_the_pair_says_why():
    cases = related_cases("multiclass", 0, [-30.0, 0.0, 30.0], "logits")
    keras = keras_losses(cases)
    assert keras[0] == pytest.approx(60.0, rel=1e-5)           # from logits: not clipped
    assert keras[2] == pytest.approx(-np.log(np.float32(EPSILON)), rel=1e-5)   # softmax -> 0 -> clipped to 1e-7
    verdicts = [p.verdict(keras[p.a], keras[p.b]) for p in pairs(cases)]
    assert any(not same and "clipped" in why for same, why in verdicts)


def test_bad_input_gets_one_clear_message():
    with pytest.raises(LossInputError, match="outside 0..1"):
        hand_loss(LossCase("binary", 1, (1.5,)))
    with pytest.raises(LossInputError, match="not a class index"):
        hand_loss(LossCase("sparse", 3, (0.2, 0.3, 0.5)))
    with pytest.raises(LossInputError, match="0 or 1"):
        hand_loss(LossCase("binary", 2, (0.5,)))
    with pytest.raises(LossInputError, match="finite"):
        hand_loss(LossCase("categorical", 0, (float("nan"), 0.5), from_logits=True))


def test_a_model_prediction_becomes_the_right_case():
    import keras

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    image = np.random.default_rng(0).random((4, 4, 1)).astype(np.float32)
    task, given, values = model_prediction(model, image)
    assert (task, given) == ("multiclass", "probabilities")
    np.testing.assert_allclose(values, np.asarray(model(image[None]))[0], rtol=1e-6)
    assert prediction_from_outputs([0.3], "linear")[:2] == ("binary", "logits")
    with pytest.raises(LossInputError, match="relu"):
        prediction_from_outputs([0.3, 0.2], "relu")
