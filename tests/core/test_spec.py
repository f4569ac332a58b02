"""Model spec: JSON round trip, loading errors that say what is wrong, value validation."""
from __future__ import annotations

import json
import os

import pytest

from cnnviz.core.model.presets import PRESETS, get_preset
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import LAYER_KINDS, LayerSpec, ModelSpec, SpecError, validate_values


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_round_trips_through_json(key, tmp_path):
    spec = get_preset(key)
    path = tmp_path / f"{key}.json"
    spec.save(path)
    again = ModelSpec.load(path)
    assert again == spec
    assert json.loads(path.read_text())["schema_version"] == 1


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.json"
    get_preset("lecture").save(path)
    get_preset("fast").save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert ModelSpec.load(path).name == "fast_mnist"


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    get_preset("lecture").save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="No space"):
        get_preset("fast").save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "a model spec is a JSON object"),
    ('{"schema_version": 1}', "'input_shape'"),
    ('{"input_shape": [28, 28, 1], "layers": []}', "missing 'schema_version'"),
    ('{"schema_version": 99, "input_shape": [28, 28, 1], "layers": []}', "newer than this cnnviz"),
    ('{"schema_version": 1, "input_shape": [28, 28], "layers": []}', "[height, width, channels]"),
    ('{"schema_version": 1, "input_shape": [28, 28, 1], "layers": {}}', "'layers' must be a list"),
    ('{"schema_version": 1, "input_shape": [28, 28, 1], "layers": [{"type": "Conv3D", "name": "c"}]}',
     "unknown layer type 'Conv3D'"),
    ('{"schema_version": 1, "input_shape": [28, 28, 1], "layers": [{"type": "Conv2D"}]}', "missing or invalid 'name'"),
    ('{"schema_version": 1, "input_shape": [28, 28, 1], "layers": [{"type": "Conv2D", "name": "c", "filters": "x"}]}',
     "layer 1 (c): filters must be a whole number"),
    ('{"schema_version": 1, "input_shape": [28, 28, 1], "layers": [{"type": "Conv2D", "name": "c", "kernel": 3}]}',
     "unknown parameter(s) kernel"),
    ('{"schema": "keras", "schema_version": 1, "input_shape": [28, 28, 1], "layers": []}', "not a cnnviz model spec"),
])
def test_malformed_json_gets_a_specific_message(text, fragment):
    with pytest.raises(SpecError) as info:
        ModelSpec.from_json(text)
    assert fragment in str(info.value)


def test_load_reports_missing_binary_and_folder(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        ModelSpec.load(tmp_path / "absent.json")
    with pytest.raises(SpecError, match="is a folder"):
        ModelSpec.load(tmp_path)
    binary = tmp_path / "weights.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(SpecError, match="not a text file"):
        ModelSpec.load(binary)


def test_pairs_accept_an_int_and_keep_out_of_range_values():
    layer = LayerSpec.make("Conv2D", "c", kernel_size=5, filters=0)
    assert layer.params["kernel_size"] == [5, 5]
    assert layer.params["filters"] == 0  # kept, reported by validation: nothing typed is lost
    spec = ModelSpec((28, 28, 1), [layer])
    messages = [p.message for p in validate_values(spec)]
    assert messages == ["layer 1 (c): filters must be at least 1, got 0"]


def test_aliases_and_defaults():
    assert LayerSpec.make("MaxPool2D", "p").kind == "MaxPooling2D"
    assert LayerSpec.make("MaxPool2D", "p").params == {"pool_size": [2, 2], "strides": None, "padding": "valid"}
    assert set(LAYER_KINDS) >= {"Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout", "SpatialDropout2D",
                                "BatchNormalization", "Flatten", "GlobalAveragePooling2D", "Dense", "Activation"}


def test_duplicate_and_bad_names_and_values_are_reported_per_layer():
    spec = ModelSpec((28, 28, 1), [
        LayerSpec.make("Conv2D", "conv", padding="diagonal"),
        LayerSpec.make("Dropout", "conv", rate=1.0),
        LayerSpec.make("Dense", "bad name!", units=10),
    ])
    problems = validate_values(spec)
    text = [(p.layer, p.message) for p in problems]
    assert (0, "layer 1 (conv): padding must be one of valid, same, got 'diagonal'") in text
    assert (1, "layer 2 (conv): name is already used by layer 1") in text
    assert (1, "layer 2 (conv): rate must be below 1, got 1") in text
    assert any(i == 2 and "name must start with a letter" in m for i, m in text)


def test_new_layer_gets_a_unique_name():
    spec = get_preset("lecture")
    layer = spec.new_layer("Conv2D", filters=8)
    assert layer.name == "conv_3"
    spec.layers.append(layer)
    assert infer_shapes(spec).ok is False  # conv after Dense: reported, not raised


def test_version_1_files_without_the_new_fields_still_load():
    """Files written before dilation existed: the new field gets its default, and the spec is unchanged."""
    old = {"schema": "cnnviz.model-spec", "schema_version": 1, "name": "old", "input_shape": [28, 28, 1],
           "layers": [{"type": "Conv2D", "name": "conv_1", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1],
                       "padding": "same", "activation": "relu", "use_bias": True}]}
    spec = ModelSpec.from_dict(old)
    assert spec.layers[0].params["dilation_rate"] == [1, 1]
    assert infer_shapes(spec).ok
    assert ModelSpec.from_json(spec.to_json()) == spec
    # and a file written now that does not dilate is the same file as before (older cnnviz opens it)
    assert spec.to_dict()["layers"] == old["layers"]
    spec.layers[0].params["dilation_rate"] = [2, 1]
    assert spec.to_dict()["layers"][0]["dilation_rate"] == [2, 1]
    assert ModelSpec.from_json(spec.to_json()) == spec


def test_new_kinds_round_trip_and_take_aliases():
    spec = ModelSpec((32, 32, 3), [
        LayerSpec.make("Rescaling", "r"), LayerSpec.make("ZeroPadding2D", "p", top=0, left=0),
        LayerSpec.make("DepthwiseConv2d", "dw", strides=2, depth_multiplier=2),
        LayerSpec.make("SeparableConv2D", "sep", filters=16, dilation_rate=2),
        LayerSpec.make("LeakyReLU", "l", negative_slope=0.1),
    ])
    assert ModelSpec.from_json(spec.to_json()) == spec
    assert spec.layers[2].kind == "DepthwiseConv2D"
    assert [layer.describe() for layer in spec.layers] == [
        "Rescaling x0.003922 +0", "ZeroPadding2D top 0 bottom 1 left 0 right 1",
        "DepthwiseConv2D x2 3x3 /2x2 valid relu", "SeparableConv2D 16 3x3 d2x2 valid relu", "LeakyReLU 0.1"]
    with pytest.raises(SpecError, match="unknown parameter"):
        LayerSpec.make("LeakyReLU", "l", alpha=0.1)
    bad = ModelSpec((8, 8, 1), [LayerSpec.make("LeakyReLU", "l", negative_slope=-0.5)])
    assert "negative slope must be at least 0" in validate_values(bad)[0].message
