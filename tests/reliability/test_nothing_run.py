"""Nothing a file or a user types is ever run: hostile model and layer names through the generated Keras code.

The generated code (builder's "Copy Keras code", the bundle's model_code.py) is executed here, as a user would run
it, both as written and after an editor re-split its lines at every line break Python's ``str.splitlines`` knows
(\\r, \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028, \\u2029). A marker file that the injected statement would create must
never appear, and the code must still build the model.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.core.model.codegen import comment_text, keras_code
from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.spec import LayerSpec, ModelSpec

BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.fixture(scope="module")
def keras_mod():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _payload(marker: Path, brk: str) -> str:
    return f"x{brk}open({str(marker)!r}, 'w').close(){brk}import os; os.system('echo pwned'){brk}#"


def _run_both_ways(code: str) -> list[dict]:
    """Execute the code as written and re-split at every str.splitlines break; the namespaces."""
    spaces = []
    for text in (code, "\n".join(code.splitlines()) + "\n"):
        namespace: dict = {}
        exec(compile(text, "<generated>", "exec"), namespace)  # noqa: S102 - the point of the test
        spaces.append(namespace)
    return spaces


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_a_hostile_model_name_stays_in_its_comment_and_the_model_still_builds(keras_mod, tmp_path, brk):
    marker = tmp_path / "marker"
    spec = get_preset("fast")
    spec.name = _payload(marker, brk)
    code = keras_code(spec, summary=False)
    assert len(code.splitlines()) == len(spec.layers) + 6   # 2 comments, import, blank, Sequential, build
    for namespace in _run_both_ways(code):
        model = namespace["model"]
        assert model.count_params() == 53_002   # the fast preset, built
        assert len(model.layers) == len(spec.layers)
    assert not marker.exists()


@pytest.mark.parametrize("brk", ["\n", "\r", "\u2028", "\x85", "\x0c"], ids=repr)
def test_hostile_layer_names_reach_the_code_only_as_strings(keras_mod, tmp_path, brk):
    """A layer name is invalid (the builder says so), so its problem message is written into the warning comment
    and the name itself into ``name=...``: neither may run. The problem comment keeps one line per problem."""
    marker = tmp_path / "marker"
    spec = get_preset("fast")
    spec.layers[0].name = _payload(marker, brk)
    spec.layers[1].name = "a'); open(" + repr(str(marker)) + ", 'w').close(); ('"
    code = keras_code(spec, summary=False)
    header = code.split("import tensorflow as tf")[0].splitlines()
    assert header[1].startswith("# WARNING") and all(line.startswith("#   layer ") for line in header[2:])
    for text in (code, "\n".join(code.splitlines()) + "\n"):
        namespace: dict = {}
        try:
            exec(compile(text, "<generated>", "exec"), namespace)  # noqa: S102
        except ValueError as exc:   # Keras may refuse such a name; that is Keras judging a string, not code run
            assert "name" in str(exc).lower() or "layer" in str(exc).lower()
        else:
            names = [layer.name for layer in namespace["model"].layers]
            assert names[:2] == [spec.layers[0].name, spec.layers[1].name]
    assert not marker.exists()


def test_every_line_break_and_control_is_escaped_in_comments():
    text = "a" + "".join(BREAKS) + "\t\x00\x7f\u200b b × é"
    out = comment_text(text)
    assert len(out.splitlines()) == 1 and out.isprintable()
    assert out.startswith("a\\n\\r\\r\\n\\x0b\\x0c\\x1c\\x1d\\x1e\\x85\\u2028\\u2029\\t\\x00\\x7f\\u200b")
    assert out.endswith(" b × é")   # printable text is kept as typed


def test_parameter_values_are_written_only_as_literals():
    spec = ModelSpec((8, 8, 1), [LayerSpec.make("Conv2D", "c", filters=2, kernel_size=3)])
    spec.layers[0].params["padding"] = "same') or __import__('os').system('echo pwned') or ('"
    code = keras_code(spec, summary=False)
    assert "padding=\"same') or __import__('os').system('echo pwned') or ('\"" in code
    spec.layers[0].params["padding"] = object()   # not a JSON value: refused, never str()-ed into code
    with pytest.raises(TypeError, match="literal"):
        keras_code(spec)


def test_the_bundles_model_code_runs_as_a_script_without_running_the_name(tmp_path):
    from cnnviz.core.io.bundle import write_bundle

    marker = tmp_path / "marker"
    spec = get_preset("fast")
    spec.name = _payload(marker, "\n") + _payload(marker, "\u2028")
    folder = write_bundle(tmp_path / "bundle", spec=spec, training={"epochs": 1}, data={"name": "mnist_sample"},
                          history={"loss": []}, metrics=None, versions={})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "model_code.py"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Total params: 53,002" in done.stdout
    assert "pwned" not in [line.strip() for line in done.stdout.splitlines()]   # what `echo pwned` prints
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------ CelebA paths
def _celeba_with(root: Path, first_name: str) -> Path:
    """The miniature CelebA, with the first image's name in both index files replaced by ``first_name``."""
    from celeba_miniature import make_celeba

    truth = make_celeba(root / "celeba", sizes=(2, 1, 1))
    for file in ("list_attr_celeba.txt", "list_eval_partition.txt"):
        path = root / "celeba" / file
        path.write_text(path.read_text().replace(truth["names"][0], first_name))
    return root / "celeba"


@pytest.mark.parametrize("hostile", ["../secret.jpg", "../../etc/passwd", "sub/../../secret.jpg",
                                     "ABSOLUTE", "..", "a\\..\\..\\secret.jpg"])
def test_an_index_naming_a_picture_outside_the_folder_is_refused(tmp_path, hostile):
    from PIL import Image

    from cnnviz.core.data.celeba import CelebAError, read_index

    Image.new("RGB", (8, 8), "red").save(tmp_path / "secret.jpg")
    name = str(tmp_path / "secret.jpg") if hostile == "ABSOLUTE" else hostile
    folder = _celeba_with(tmp_path, name)
    with pytest.raises(CelebAError, match=r"list_attr_celeba.txt line 3 names .* as an image: an image must be a "
                                          r"plain file name inside img_align_celeba/"):
        read_index(folder)


def test_a_link_leading_outside_the_image_folder_is_neither_trained_on_nor_shown(qtbot, tmp_path, monkeypatch):
    from PIL import Image
    from PySide6.QtWidgets import QMessageBox

    from cnnviz.core.data.celeba import CelebAError, read_index, select
    from cnnviz.qt.augment.source import FaceSource

    Image.new("RGB", (8, 8), "red").save(tmp_path / "secret.jpg")
    folder = _celeba_with(tmp_path, "000001.jpg")
    link = folder / "img_align_celeba" / "000001.jpg"
    link.unlink()
    link.symlink_to(tmp_path / "secret.jpg")
    index = read_index(folder)
    with pytest.raises(CelebAError, match="000001.jpg is a link leading outside"):
        select(index, "Male")
    with pytest.raises(CelebAError, match="leads outside"):
        index.image_path(0)
    assert index.image_path(1) == folder / "img_align_celeba" / "000002.jpg"   # the others still open

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: None))
    source = FaceSource()
    qtbot.addWidget(source)
    shown = []
    source.image_chosen.connect(lambda image, text: shown.append(image))
    source.celeba_index = index
    assert source.show_celeba_image(1) is False
    assert "leads outside" in source.error_label.text() and not shown
    assert source.show_celeba_image(2) is True and len(shown) == 1 and shown[0].shape == (218, 178, 3)
    assert source.shutdown(30_000)


def test_the_statement_check_stops_code_that_escaped_its_quoting(monkeypatch, tmp_path):
    """The last line of defence: were a comment ever left unescaped, keras_code refuses to hand out the code."""
    from cnnviz.core.model import codegen

    monkeypatch.setattr(codegen, "comment_text", str)
    spec = get_preset("fast")
    spec.name = _payload(tmp_path / "marker", "\n")
    with pytest.raises(AssertionError, match="unexpected statements"):
        codegen.keras_code(spec)
    spec.name = "plain name"
    assert "model.add(" in codegen.keras_code(spec)
