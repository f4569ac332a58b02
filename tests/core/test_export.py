"""Export to every format, verified in a fresh process per format; import with specific errors."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnnviz.core.model.build import build_model
from cnnviz.core.io.export import FORMATS, ExportError, export_model, normalise_path
from cnnviz.core.model.model_io import ModelFileError, load_model_file, spec_from_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.session import TrainingSession

pytestmark = pytest.mark.slow
L = LayerSpec.make

SPEC = ModelSpec((12, 12, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, padding="same", activation="relu"),
                               L("MaxPooling2D", "pool_1"), L("BatchNormalization", "bn"), L("Flatten", "flatten"),
                               L("Dropout", "dropout", rate=0.2), L("Dense", "out", units=3, activation="softmax")],
                name="small")


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    x = rng.random((96, 12, 12, 1), dtype=np.float32)
    y = rng.integers(0, 3, 96)
    model = build_model(SPEC, seed=0)
    TrainingSession(model, PreparedData(x[:80], y[:80], x[80:], y[80:], 3), TrainingConfig(batch_size=16, epochs=1,
                    validation_fraction=None)).run()
    return model, x[:8]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_exports_and_verifies_in_a_fresh_process(fmt, trained, tmp_path, project_root):
    model, x = trained
    report = export_model(model, fmt, tmp_path / "model", x_check=x)
    assert report.path == normalise_path(fmt, tmp_path / "model") and report.path.exists()
    assert report.max_abs_diff <= 1e-4 and report.size_bytes > 0 and report.images == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == [report.path.name]  # no temporary files left behind
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", np.asarray(model(x, training=False)))
    SPEC.save(tmp_path / "spec.json")
    code = textwrap.dedent(f"""
        import numpy as np
        from cnnviz.core.io.export import verify_export
        model = None
        if {fmt!r} == "weights":
            from cnnviz.core.model.build import build_model
            from cnnviz.core.model.spec import ModelSpec
            model = build_model(ModelSpec.load({str(tmp_path / 'spec.json')!r}))
        x = np.load({str(tmp_path / 'x.npy')!r}); expected = np.load({str(tmp_path / 'expected.npy')!r})
        print(verify_export({fmt!r}, {str(report.path)!r}, x, expected, model=model))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, cwd=project_root)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) <= 1e-4


def test_failed_export_leaves_no_file_and_keeps_the_old_one(trained, tmp_path, monkeypatch):
    model, x = trained
    target = tmp_path / "m.keras"
    target.write_bytes(b"previous")

    def broken_save(self, filepath, *args, **kwargs):   # writes part of its output, then the disk is full
        with open(filepath, "wb") as fh:
            fh.write(b"PK\x03\x04 half of a model archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(model), "save", broken_save)
    with pytest.raises(ExportError, match="No space left on device"):
        export_model(model, "keras", target, x_check=x)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_read_only_folder_is_refused(trained, tmp_path, monkeypatch):
    # Tests run as root, which ignores folder permissions: the check itself is what is exercised here.
    model, x = trained
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    with pytest.raises(ExportError, match="is not writable; choose another folder"):
        export_model(model, "keras", tmp_path / "m.keras", x_check=x)


def test_import_round_trip_gives_an_editable_spec(trained, tmp_path):
    model, x = trained
    report = export_model(model, "keras", tmp_path / "m.keras", x_check=x)
    imported = load_model_file(report.path)
    assert imported.spec is not None and imported.read_only_reason == ""
    assert [layer.to_dict() for layer in imported.spec.layers] == [layer.to_dict() for layer in SPEC.layers]
    np.testing.assert_allclose(np.asarray(imported.model(x)), np.asarray(model(x)), atol=1e-6)


def test_unsupported_layer_loads_read_only(tmp_path):
    import keras

    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 3, name="c")(inp)
    x = keras.layers.LayerNormalization(name="ln")(x)
    out = keras.layers.Dense(2, activation="softmax", name="d")(keras.layers.Flatten(name="f")(x))
    path = tmp_path / "ln.keras"
    keras.Model(inp, out).save(path)
    imported = load_model_file(path)
    assert imported.spec is None
    assert "read-only in the builder: layer 'ln' is a LayerNormalization" in imported.read_only_reason


def test_branching_model_is_not_mistaken_for_a_chain():
    import keras

    inp = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(2, 3, padding="same", name="a")(inp)
    b = keras.layers.Activation("relu", name="b")(inp)  # a second branch from the input
    c = keras.layers.Flatten(name="c")(keras.layers.Concatenate(name="cat")([a, b]))
    with pytest.raises(Exception, match="Concatenate"):
        spec_from_model(keras.Model(inp, keras.layers.Dense(2, name="d")(c)))


@pytest.mark.parametrize("content, name, fragment", [
    (None, "absent.keras", "no such file"),
    (b"", "empty.keras", "is empty"),
    (b"this is not a model\n", "text.keras", "a .keras file is a zip archive, this is a text file"),
    (b"PK\x03\x04" + b"\x00" * 40, "broken.keras", "truncated or damaged"),
    (b"hello", "model.txt", "choose a Keras model file ending in .keras"),
])
def test_bad_model_files_get_specific_messages(tmp_path, content, name, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        load_model_file(path)
    assert fragment in str(info.value)


def test_truncated_keras_file(trained, tmp_path):
    model, x = trained
    report = export_model(model, "keras", tmp_path / "m.keras", x_check=x)
    data = report.path.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="cut.keras"):
        load_model_file(cut)
