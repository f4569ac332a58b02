"""Mixed precision: the automatic choice and its reason, layers built in the policy with a float32 head, and a
run trained in mixed_bfloat16 that exports and verifies as float32."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.io.export import export_model
from cnnviz.core.model.build import build_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig, TrainingError
from cnnviz.core.train.precision import Hardware, as_float32, cpu_flags, model_policy, resolve
from cnnviz.core.train.run import Run

L = LayerSpec.make
AMX = Hardware(frozenset({"avx512f", "avx512_bf16", "amx_bf16"}))
PLAIN = Hardware(frozenset({"avx2", "fma"}))


def tiny_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=10, activation="softmax")], name="tiny")


@pytest.mark.parametrize("hw, policy, words", [
    (AMX, "mixed_bfloat16", "amx_bf16 and avx512_bf16"),
    (PLAIN, "float32", "no bfloat16 instructions"),
    (Hardware(frozenset(), (("NVIDIA H200", (9, 0)),)), "mixed_float16", "tensor cores (compute capability 9.0)"),
    (Hardware(frozenset({"amx_bf16"}), (("Tesla K80", (3, 7)),)), "float32", "compute capability 3.7"),
])
def test_auto_picks_from_the_hardware_and_says_why(hw, policy, words):
    chosen = resolve("auto", hw)
    assert chosen.policy == policy and chosen.reason.startswith(f"auto chose {policy}") and words in chosen.reason


def test_an_explicit_choice_is_kept_with_a_warning_where_the_hardware_lacks_it():
    assert resolve("float32", AMX).policy == "float32"
    slow = resolve("mixed_bfloat16", PLAIN)
    assert slow.policy == "mixed_bfloat16" and "emulates it" in slow.reason
    assert "avx512_bf16" in resolve("mixed_bfloat16", AMX).reason
    assert "likely slower" in resolve("mixed_float16", AMX).reason
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve("bf16", AMX)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu avx512f amx_bf16 avx512_bf16\n\n"
                    "processor\t: 1\nflags\t\t: other\n")
    assert cpu_flags(info) == {"fpu", "avx512f", "amx_bf16", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_the_config_checks_the_setting():
    with pytest.raises(TrainingError, match="precision must be one of"):
        TrainingConfig.from_dict({"precision": "half"})
    assert TrainingConfig.from_dict({}).precision == "float32"   # older run configs have no precision


def test_layers_compute_in_the_policy_the_head_in_float32_weights_stay_float32():
    model = build_model(tiny_spec(), seed=0, precision="mixed_bfloat16")
    layers = model.layers[1:]
    assert [layer.compute_dtype for layer in layers] == ["bfloat16"] * 3 + ["float32"]
    assert {w.dtype for w in model.weights} == {"float32"}
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    y = np.asarray(model(x))
    assert y.dtype == np.float32 and np.allclose(y.sum(axis=1), 1, atol=1e-5)
    plain = as_float32(model)
    assert model_policy(plain) == "float32" and model_policy(model) == "mixed_bfloat16"
    assert [layer.compute_dtype for layer in plain.layers[1:]] == ["float32"] * 4
    np.testing.assert_allclose(np.asarray(plain(x)), y, atol=2e-2)   # same weights; bfloat16 has 8 bits of mantissa
    assert as_float32(plain) is plain


@pytest.mark.slow
def test_a_mixed_bfloat16_run_trains_records_its_precision_and_exports_float32(tmp_path):
    config = TrainingConfig(batch_size=32, epochs=2, validation_count=20, validation_fraction=None,
                            precision="mixed_bfloat16")
    run = Run.start(tmp_path / "r", data=DataChoice("mnist_sample", limit=200), config=config, spec=tiny_spec())
    assert model_policy(run.model) == "mixed_bfloat16"
    started = []
    run.session.emit = started.append
    result = run.execute()
    assert result.status == "completed" and run.evaluation is not None
    assert [e.precision for e in started if type(e).__name__ == "TrainingStarted"] == ["mixed_bfloat16"]
    losses = [json.loads(line)["loss"] for line in (run.path / "history.jsonl").read_text().splitlines()]
    assert len(losses) == 2 and all(np.isfinite(losses)) and losses[1] < losses[0]
    meta = json.loads((run.path / "meta.json").read_text())
    assert meta["precision"]["policy"] == "mixed_bfloat16" and "as asked" in meta["precision"]["reason"]
    reports = {fmt: export_model(run.model, fmt, tmp_path / f"exported_{fmt}") for fmt in ("keras", "tflite")}
    assert all(r.max_abs_diff <= 1e-4 for r in reports.values())
    import keras

    reloaded = keras.saving.load_model(reports["keras"].path)
    assert model_policy(reloaded) == "float32"   # the export computes in float32, with the trained weights
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(reloaded(x)), np.asarray(run.model(x)), atol=2e-2)
