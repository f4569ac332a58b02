"""The learning-rate schedule a run trains with, and the speed preset's recipe."""
from __future__ import annotations

import pytest

from cnnviz.core.model.presets import PRESETS, get_preset, preset_training
from cnnviz.core.model.shapes import classifier_problems
from cnnviz.core.train.config import TrainingConfig, TrainingError, learning_rate, make_optimizer


def test_warmup_then_cosine_over_the_planned_steps():
    config = TrainingConfig(epochs=2, learning_rate=1e-2, schedule="warmup_cosine", warmup_fraction=0.2)
    schedule = learning_rate(config, steps_per_epoch=50)     # 100 steps: 20 of warm-up, 80 of decay
    at = lambda step: float(schedule(step))                 # noqa: E731
    assert at(0) == pytest.approx(1e-3)                     # a tenth of the peak
    assert at(10) == pytest.approx((1e-3 + 1e-2) / 2, rel=1e-3)   # linear warm-up
    assert at(20) == pytest.approx(1e-2)                    # the peak
    assert at(60) == pytest.approx(0.5e-2, rel=1e-3)        # half-way down the cosine
    assert at(100) == pytest.approx(0.0, abs=1e-9) and at(150) == pytest.approx(0.0, abs=1e-9)
    assert all(at(s) >= at(s + 1) for s in range(20, 100))


def test_constant_is_the_number_and_adam_gets_the_betas():
    assert learning_rate(TrainingConfig(learning_rate=3e-4), 10) == 3e-4
    opt = make_optimizer(TrainingConfig(beta_1=0.7, beta_2=0.9, schedule="warmup_cosine"), 10)
    assert (float(opt.beta_1), float(opt.beta_2)) == (0.7, 0.9)


@pytest.mark.parametrize("bad, words", [({"schedule": "cyclic"}, "schedule must be one of"),
                                        ({"warmup_fraction": 1.0}, "warm-up fraction"),
                                        ({"beta_1": 1.5}, "beta_1"), ({"beta_2": True}, "beta_2")])
def test_bad_schedule_settings_are_named(bad, words):
    with pytest.raises(TrainingError, match=words):
        TrainingConfig.from_dict(bad)


def test_the_speed_preset_is_a_classifier_with_its_recipe():
    spec = get_preset("fast99")
    assert classifier_problems(spec) == []
    recipe = preset_training("fast99")
    config = TrainingConfig(**recipe)
    assert config.problems() == [] and (config.batch_size, config.schedule) == (256, "warmup_cosine")
    assert preset_training("lecture") == {} and all(isinstance(p.training, dict) for p in PRESETS.values())
    with pytest.raises(KeyError, match="known presets"):
        preset_training("nope")
