"""Nothing a user made is ever lost: exports and bundles never delete a folder, names from documents never leave
the chosen folder, every JSON file is strict. (Issue 14, "Nothing lost".)"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cnnviz.core.io import files
from cnnviz.core.io.export import ExportError, export_model
from cnnviz.core.io.files import (OUTPUT_MARKER, TargetRefused, atomic_path, path_inside, replacing_output,
                                  safe_file_name, strict_json)
from cnnviz.core.model.spec import LayerSpec, ModelSpec

L = LayerSpec.make
SPEC = ModelSpec((6, 6, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Flatten", "f"),
                             L("Dense", "d", units=3, activation="softmax")], name="tiny")


@pytest.fixture
def trash(tmp_path, monkeypatch):
    """The freedesktop trash of send2trash pointed at a folder of this test; returns its files/ folder."""
    from send2trash import plat_other

    home = tmp_path / "xdg-data"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", str(home).encode())
    monkeypatch.setattr(plat_other, "HOMETRASH_B", str(home / "Trash").encode())
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home / "Trash"))
    return home / "Trash" / "files"


@pytest.fixture(scope="module")
def model():
    from cnnviz.core.model.build import build_model

    return build_model(SPEC, seed=0)


def _x():
    return np.random.default_rng(1).random((4, 6, 6, 1), dtype=np.float32)


def _user_folder(path: Path) -> Path:
    path.mkdir()
    (path / "thesis.tex").write_text("two years of work")
    (path / "figures").mkdir()
    (path / "figures" / "a.png").write_bytes(b"\x89PNG")
    return path


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# --- export -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_savedmodel_export_onto_a_users_folder_is_refused_and_the_folder_untouched(model, tmp_path, trash):
    target = _user_folder(tmp_path / "work")
    before = _tree(target)
    with pytest.raises(ExportError, match=r"is not a SavedModel export written by cnnviz \(it holds figures, "
                                          r"thesis.tex\); choose a new or empty folder"):
        export_model(model, "savedmodel", target, x_check=_x())
    assert _tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]   # no temporary left behind
    assert not trash.exists()


@pytest.mark.slow
def test_cli_export_onto_a_users_folder_is_one_line_and_exit_2(model, tmp_path, trash, capsys):
    from cnnviz import cli

    model.save(tmp_path / "m.keras")
    target = _user_folder(tmp_path / "work")
    before = _tree(target)
    code = cli.main(["export", str(tmp_path / "m.keras"), "--format", "savedmodel", "--out", str(target)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "is not a SavedModel export written by cnnviz" in err[0]
    assert _tree(target) == before


@pytest.mark.slow
def test_replacing_a_previous_savedmodel_export_moves_it_to_the_trash(model, tmp_path, trash):
    import tensorflow as tf

    target = tmp_path / "served"
    first = export_model(model, "savedmodel", target, x_check=_x())
    assert first.previous == "" and json.loads((target / OUTPUT_MARKER).read_text())["kind"] == "savedmodel"
    old = _tree(target)
    second = export_model(model, "savedmodel", target, x_check=_x())
    assert second.previous == "the previous served is in the trash" and "in the trash" in second.describe()
    assert _tree(trash / "served") == old                    # every file of the old export, byte for byte
    info = (trash.parent / "info" / "served.trashinfo").read_text()
    assert f"Path={target}" in info
    tf.saved_model.load(str(target))                         # the new one is a SavedModel, marker and all
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served", "xdg-data"]


@pytest.mark.slow
def test_without_a_trash_the_previous_export_is_kept_beside(model, tmp_path, trash, monkeypatch):
    def no_trash(path):
        raise OSError(18, "no trash on this volume")

    monkeypatch.setattr(files, "send_to_trash", no_trash)
    target = tmp_path / "m.keras"
    export_model(model, "keras", target, x_check=_x())
    old = target.read_bytes()
    report = export_model(model, "keras", target, x_check=_x())
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("m.keras.old-")]
    assert len(kept) == 1 and kept[0].read_bytes() == old
    assert report.previous == f"the previous m.keras was kept as {kept[0].name}"


@pytest.mark.slow
def test_a_file_export_never_replaces_a_folder_and_a_folder_export_never_a_file(model, tmp_path, trash):
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(ExportError, match="is a folder; give a file name for the Keras model"):
        export_model(model, "keras", tmp_path / "m.keras", x_check=_x())
    (tmp_path / "notes").write_text("mine")
    with pytest.raises(ExportError, match="is a file; the SavedModel export is a folder"):
        export_model(model, "savedmodel", tmp_path / "notes", x_check=_x())
    assert (tmp_path / "notes").read_text() == "mine" and (tmp_path / "m.keras").is_dir()


def test_a_link_is_never_written_through(tmp_path, trash):
    _user_folder(tmp_path / "work")
    (tmp_path / "link").symlink_to(tmp_path / "work")
    with pytest.raises(TargetRefused, match="is a link"):
        with replacing_output(tmp_path / "link", kind="savedmodel", folder=True):
            pass
    assert (tmp_path / "work" / "thesis.tex").read_text() == "two years of work"


def test_an_empty_folder_is_used_and_a_folder_of_another_kind_refused(tmp_path, trash):
    (tmp_path / "empty").mkdir()
    with replacing_output(tmp_path / "empty", kind="bundle", folder=True) as out:
        out.tmp.mkdir()
        (out.tmp / "a.txt").write_text("new")
    assert (tmp_path / "empty" / "a.txt").read_text() == "new" and out.previous == ""
    with pytest.raises(TargetRefused, match="is a reproducibility bundle written by cnnviz, not a SavedModel"):
        with replacing_output(tmp_path / "empty", kind="savedmodel", folder=True) as out:
            out.tmp.mkdir()
    assert (tmp_path / "empty" / "a.txt").read_text() == "new"


def test_a_failed_write_leaves_the_previous_output_and_no_temporary(tmp_path, trash):
    with replacing_output(tmp_path / "b", kind="bundle", folder=True) as out:
        out.tmp.mkdir()
        (out.tmp / "x").write_text("first")
    with pytest.raises(RuntimeError):
        with replacing_output(tmp_path / "b", kind="bundle", folder=True) as out:
            out.tmp.mkdir()
            raise RuntimeError("disk full")
    assert (tmp_path / "b" / "x").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"] and not trash.exists()


def test_atomic_path_never_replaces_a_folder(tmp_path):
    _user_folder(tmp_path / "work")
    with pytest.raises(IsADirectoryError):
        with atomic_path(tmp_path / "work") as tmp:
            tmp.write_text("x")
    assert (tmp_path / "work" / "thesis.tex").is_file()


# --- bundle -------------------------------------------------------------------------------------------------

def _bundle(folder, **extra):
    from cnnviz.core.io.bundle import write_bundle

    history = {k: [0.5, float("nan")] for k in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")}
    return write_bundle(folder, spec=SPEC, training={"epochs": 2, "batch_size": 8, "optimizer": "adam",
                                                     "learning_rate": 1e-3, "seed": 1, **extra},
                        data={"name": "mnist_sample", "ratio": float("inf")}, history=history,
                        metrics={"test_accuracy": float("nan")}, versions={"numpy": np.__version__})


def test_bundle_onto_a_users_folder_is_refused(tmp_path, trash):
    target = _user_folder(tmp_path / "work")
    before = _tree(target)
    with pytest.raises(TargetRefused, match="is not a reproducibility bundle written by cnnviz"):
        _bundle(target)
    assert _tree(target) == before and sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_bundle_replaces_its_previous_self_through_the_trash(tmp_path, trash):
    _bundle(tmp_path / "b", seed=1)
    old = _tree(tmp_path / "b")
    _bundle(tmp_path / "b", seed=2)
    assert _tree(trash / "b") == old
    assert json.loads((tmp_path / "b" / "training.json").read_text())["seed"] == 2


def _strict_load(text: str):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_every_json_file_of_a_bundle_is_strict(tmp_path, trash):
    folder = _bundle(tmp_path / "b")
    for path in folder.glob("*.json"):
        _strict_load(path.read_text())
    _strict_load((folder / OUTPUT_MARKER).read_text())
    assert json.loads((folder / "metrics.json").read_text()) == {"test_accuracy": None}
    assert json.loads((folder / "data.json").read_text())["ratio"] is None


def test_strict_json_turns_every_non_finite_number_into_null():
    data = {"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": np.float32("nan"),
            "d": np.array([1.0, np.nan]), "e": (np.int64(3),)}
    assert _strict_load(strict_json(data)) == {"a": None, "b": [None, None, 1.5], "c": None, "d": [1.0, None],
                                               "e": [3]}
    assert not math.isnan(_strict_load(strict_json({"x": 0.25}))["x"])


# --- names from documents -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "etc_passwd"), ("/abs/path", "abs_path"), ("..", "model"), ("", "model"),
    ("a\\b:c", "a_b_c"), ("line\nbreak", "line_break"), ("lecture-cnn_v2.1", "lecture-cnn_v2.1"),
    (".hidden", "hidden"), ("名前 v2", "名前_v2"), ("\x00\x1b[31m", "31m"),
])
def test_safe_file_name(name, expected):
    assert safe_file_name(name) == expected


@pytest.mark.parametrize("name", ["../x", "/etc/x", "..", ".", "a/b", "a\\b", ""])
def test_path_inside_refuses_names_that_leave_the_folder(tmp_path, name):
    with pytest.raises(TargetRefused):
        path_inside(tmp_path, name)


@pytest.mark.slow
@pytest.mark.parametrize("hostile", ["../../outside", "/tmp/absolute-model", "..", "a/../../b"])
def test_export_dialog_keeps_a_hostile_model_name_inside_the_chosen_folder(qtbot, model, tmp_path, trash,
                                                                           hostile):
    from cnnviz.qt.export_dialog import ExportDialog

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    dialog = ExportDialog(model, x_check=_x(), folder=str(chosen), name=hostile)
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("keras"))
    assert Path(dialog.path_edit.text()).parent == chosen
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60_000)
    assert dialog.report.path.parent == chosen and dialog.report.path.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chosen"]
    assert dialog.shutdown()


@pytest.mark.slow
def test_export_dialog_refuses_a_typed_path_above_its_folder_and_a_users_folder(qtbot, model, tmp_path, trash):
    from cnnviz.qt.export_dialog import ExportDialog

    chosen = tmp_path / "chosen"
    chosen.mkdir()
    dialog = ExportDialog(model, x_check=_x(), folder=str(chosen), name="m")
    qtbot.addWidget(dialog)
    dialog.path_edit.setText("../escaped")
    dialog.start_export()
    assert "would lie outside" in dialog.result_label.text() and "Nothing was written" in dialog.result_label.text()
    _user_folder(chosen / "work")
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("savedmodel"))
    dialog.path_edit.setText(str(chosen / "work"))
    dialog.start_export()
    assert "is not a SavedModel export written by cnnviz" in dialog.result_label.text()
    assert dialog.export_button.isEnabled() and dialog.report is None
    assert (chosen / "work" / "thesis.tex").read_text() == "two years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chosen"]
    assert dialog.shutdown()
