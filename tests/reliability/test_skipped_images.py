"""Files of an image folder skipped as unreadable are never silent (issue 14, "One clear line"): ``cnnviz-cli train``
says so in one warning line (the count and the first names) and the run's meta.json lists every one of them."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def _two_class_spec(tmp_path) -> str:
    from cnnviz.core.model.presets import get_preset

    spec = get_preset("fast").to_dict()
    assert spec["layers"][-1]["type"] == "Dense"
    spec["layers"][-1]["units"] = 2   # cats and dogs
    path = tmp_path / "two.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _image_folder(root, *, broken: dict[str, bytes]):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        for i in range(12):
            Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8), "L").save(root / cls / f"{i:02d}.png")
    for rel, data in broken.items():
        (root / rel).write_bytes(data)
    return root


@pytest.mark.parametrize("broken, count", [
    ({"cats/broken.png": b"\x89PNG\r\n\x1a\n this is not a picture"}, 1),
    ({"cats/broken.png": b"\x89PNG\r\n\x1a\n garbage", "dogs/empty.png": b"", "dogs/notes.png": b"hello"}, 3),
])
def test_cli_train_names_the_skipped_files_and_meta_json_lists_them(capsys, tmp_path, monkeypatch, broken, count):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    folder = _image_folder(tmp_path / "pets", broken=broken)
    out = tmp_path / "run"
    rc = main(["train", "--dataset", "folder", "--data-path", str(folder), "--image-size", "28x28",
               "--spec", _two_class_spec(tmp_path),
               "--epochs", "1", "--batch-size", "8", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    warnings = [line for line in captured.err.splitlines() if line.startswith("cnnviz-cli: warning: ")]
    assert len(warnings) == 1, captured.err
    line = warnings[0]
    first = sorted(broken)[0]
    assert line.startswith(f"cnnviz-cli: warning: Skipped {count} file(s) that Pillow could not read as images: "
                           f"skipped {first}: "), line
    assert line.endswith("(all are listed in the run's meta.json)"), line
    notes = json.loads((out / "meta.json").read_text())["dataset"]["notes"]
    assert notes[0] == f"Skipped {count} file(s) that Pillow could not read as images."
    assert sorted(n.split(":")[0] for n in notes[1:]) == [f"skipped {rel}" for rel in sorted(broken)]
    assert json.loads((out / "state.json").read_text())["status"] == "completed"


def test_a_clean_folder_gives_no_warning_and_no_notes(capsys, tmp_path, monkeypatch):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    folder = _image_folder(tmp_path / "pets", broken={})
    out = tmp_path / "run"
    assert main(["train", "--dataset", "folder", "--data-path", str(folder), "--spec", _two_class_spec(tmp_path),
                 "--epochs", "1",
                 "--batch-size", "8", "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert json.loads((out / "meta.json").read_text())["dataset"]["notes"] == []
