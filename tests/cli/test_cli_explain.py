"""cnnviz-cli explain / visualize (issue 17, headless): real model files and pictures in tmp folders, through the
CLI's main(); every bad input is one line on stderr and exit 2."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz.cli import main

SHIPPED = "resources/models/mnist_fast.keras"


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    from cnnviz.resources import resource_path

    d = np.load(resource_path("data", "mnist_sample.npz"))
    path = tmp_path_factory.mktemp("pictures") / "digit.png"
    Image.fromarray(d["x_test"][0]).save(path)
    return path, int(d["y_test"][0])


@pytest.fixture(scope="module")
def shipped_path(project_root):
    return str(project_root / SHIPPED)


def _run(capsys, *argv):
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:   # argparse's one-line refusal (cnnviz.cli._Parser.error)
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("method", ["saliency", "gradcam", "occlusion", "integrated-gradients"])
def test_explain_writes_a_heat_map_for_each_method(capsys, tmp_path, shipped_path, digit_png, method):
    image, label = digit_png
    out = tmp_path / "heat.png"
    rc, stdout, err = _run(capsys, "explain", shipped_path, "--image", image, "--method", method, "--scale", 2,
                           "--steps", 16, "--out", out)
    assert rc == 0, err
    assert f"class {label} " in stdout and str(out) in stdout
    with Image.open(out) as im:
        assert im.size == (56, 56) and im.mode == "RGB"
        heat = np.asarray(im)
    assert heat.reshape(-1, 3).std(axis=0).max() > 10      # a map, not a flat picture


def test_explain_a_chosen_class_and_the_completeness_line(capsys, tmp_path, shipped_path, digit_png):
    image, label = digit_png
    other = (label + 1) % 10
    rc, stdout, err = _run(capsys, "explain", shipped_path, "--image", image, "--method", "integrated-gradients",
                           "--class", other, "--out", tmp_path / "ig.png")
    assert rc == 0 and f"class {other} " in stdout
    gap = float(err.split("completeness gap ")[1].split("%")[0])
    assert gap < 1.0


def test_visualize_writes_the_optimised_input_that_feeds_back(capsys, tmp_path, shipped_path):
    from cnnviz.core.explain.attribution import probability
    from cnnviz.core.inspect.images import load_image_file
    from cnnviz.core.model.pretrained import load_shipped_model

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for out, scale in ((a, 1), (b, 3)):
        rc, stdout, err = _run(capsys, "visualize", shipped_path, "--layer", "output", "--unit", 4, "--seed", 2,
                               "--steps", 48, "--scale", scale, "--out", out)
        assert rc == 0, err
        assert "class 4 of layer output" in stdout
    with Image.open(a) as im_a, Image.open(b) as im_b:
        assert im_a.size == (28, 28) and im_a.mode == "L" and im_b.size == (84, 84)
        small, big = np.asarray(im_a), np.asarray(im_b)
    assert np.array_equal(big[::3, ::3], small)              # same seed, same image; the upscale is exact
    image, _ = load_image_file(a, (28, 28, 1), invert="never")
    np.testing.assert_allclose(image[..., 0], small / 255.0, atol=1e-6)   # 8-bit in the input scale 0..1
    assert probability(load_shipped_model(), image, 4) > 0.9
    # through explain's own reader too
    rc, stdout, _ = _run(capsys, "explain", shipped_path, "--image", b, "--method", "saliency", "--invert", "never",
                         "--out", tmp_path / "s.png")
    assert rc == 0 and "class 4 " in stdout


def test_visualize_a_conv_filter(capsys, tmp_path, shipped_path):
    rc, stdout, err = _run(capsys, "visualize", shipped_path, "--layer", "conv_2", "--unit", 10, "--steps", 16,
                           "--out", tmp_path / "f.png")
    assert rc == 0, err
    assert "filter 10 of layer conv_2" in stdout


STAGES = ["1_activations.png", "2_gradients.png", "3_alpha.csv", "4_weighted.png", "5_relu.png", "6_gradcam.png"]


def _pixels(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_gradcam_stages_are_written_one_file_per_step_and_end_in_the_heat_map(capsys, tmp_path, shipped_path,
                                                                              digit_png):
    """The stages folder holds what core gradcam_steps computes, drawn as the Inspector draws it; its last map is
    the --out heat map; running again replaces the folder (the earlier one is moved aside, not deleted)."""
    from cnnviz.core.explain.gradcam_steps import gradcam_steps
    from cnnviz.core.explain.heatmap import heat_rgb
    from cnnviz.core.inspect.images import load_image_file
    from cnnviz.core.model.model_io import load_model_file

    image_path, label = digit_png
    out, stages = tmp_path / "cam.png", tmp_path / "cam-steps"
    rc, stdout, err = _run(capsys, "explain", shipped_path, "--image", image_path, "--method", "gradcam",
                           "--scale", 2, "--out", out, "--stages", stages)
    assert rc == 0, err
    assert sorted(p.name for p in stages.iterdir() if not p.name.startswith(".")) == STAGES
    model = load_model_file(shipped_path).model
    image, _ = load_image_file(image_path, tuple(model.inputs[0].shape[1:]))
    steps = gradcam_steps(model, image, label)
    h = steps.activations.shape[0]
    big = round(28 / h) * 2
    c = steps.top_channels(1)[0][0]
    np.testing.assert_array_equal(_pixels(stages / "6_gradcam.png"), _pixels(out))
    np.testing.assert_array_equal(_pixels(stages / "6_gradcam.png"), heat_rgb(steps.heat, signed=False, scale=2))
    np.testing.assert_array_equal(_pixels(stages / "4_weighted.png"), heat_rgb(steps.weighted, signed=True,
                                                                               scale=big))
    np.testing.assert_array_equal(_pixels(stages / "1_activations.png"),
                                  heat_rgb(steps.activations[:, :, c], signed=False, scale=big))
    np.testing.assert_array_equal(_pixels(stages / "2_gradients.png"),
                                  heat_rgb(steps.gradients[:, :, c], signed=True, scale=big))
    np.testing.assert_array_equal(_pixels(stages / "5_relu.png"), heat_rgb(steps.relu, signed=False, scale=big))
    rows = (stages / "3_alpha.csv").read_text().splitlines()
    assert rows[0] == "channel,alpha" and len(rows) == 1 + steps.alpha.size
    np.testing.assert_allclose([float(r.split(",")[1]) for r in rows[1:]], steps.alpha, rtol=1e-6, atol=1e-9)
    assert f"for class {label}" in err and f"1_activations.png: 1. A: " in err and f": channel {c} of " in err

    (stages / "6_gradcam.png").write_bytes(b"edited")   # an earlier stages folder: replaced, kept aside
    rc, _, err = _run(capsys, "explain", shipped_path, "--image", image_path, "--method", "gradcam", "--scale", 2,
                      "--out", out, "--stages", stages)
    assert rc == 0 and "previous cam-steps" in err, err
    np.testing.assert_array_equal(_pixels(stages / "6_gradcam.png"), _pixels(out))


def test_an_existing_output_is_replaced_not_deleted(capsys, tmp_path, shipped_path, digit_png):
    out = tmp_path / "heat.png"
    out.write_bytes(b"an older picture")
    rc, _, err = _run(capsys, "explain", shipped_path, "--image", digit_png[0], "--method", "saliency", "--out", out)
    assert rc == 0 and "previous heat.png" in err
    with Image.open(out) as im:
        assert im.size == (28, 28)


def _bad(capsys, *argv, says):
    rc, stdout, err = _run(capsys, *argv)
    assert rc == 2, (rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnviz-cli"), err
    assert says in lines[0], lines[0]
    assert "Traceback" not in err


def test_bad_inputs_are_one_line_and_exit_2(capsys, tmp_path, shipped_path, digit_png):
    image = digit_png[0]
    not_image = tmp_path / "notes.png"
    not_image.write_text("not a picture")
    text_model = tmp_path / "model.keras"
    text_model.write_text("not a model")
    out = tmp_path / "x.png"
    _bad(capsys, "visualize", shipped_path, "--layer", "nope", "--unit", 0, "--out", out,
         says="no layer called 'nope'")
    _bad(capsys, "visualize", shipped_path, "--layer", "output", "--unit", 10, "--out", out,
         says="unit 10 is out of range: layer output has 10 units (0..9)")
    _bad(capsys, "visualize", shipped_path, "--layer", "output", "--unit", -1, "--out", out, says="--unit")
    _bad(capsys, "visualize", shipped_path, "--layer", "output", "--unit", 1, "--scale", 0, "--out", out,
         says="--scale")
    _bad(capsys, "visualize", shipped_path, "--layer", "output", "--unit", 1, "--out", tmp_path / "x.jpg",
         says="ending in .png")
    _bad(capsys, "explain", shipped_path, "--image", not_image, "--method", "saliency", "--out", out,
         says="notes.png")
    _bad(capsys, "explain", shipped_path, "--image", tmp_path / "absent.png", "--method", "saliency", "--out", out,
         says="does not exist")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "saliency", "--class", 12, "--out", out,
         says="class 12 is out of range")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "lime", "--out", out, says="--method")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "occlusion", "--patch", 29, "--out", out,
         says="patch must be 1..28")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "gradcam", "--layer", "output",
         "--out", out, says="Grad-CAM needs a convolution layer")
    mine = tmp_path / "my-folder"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "gradcam", "--stages", mine, "--out", out,
         says="my-folder")
    assert (mine / "notes.txt").read_text() == "mine" and len(list(mine.iterdir())) == 1
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "saliency", "--stages", tmp_path / "s",
         "--out", out, says="--stages is for --method gradcam (its steps), not saliency")
    _bad(capsys, "explain", shipped_path, "--image", image, "--method", "gradcam", "--stages", not_image,
         "--out", out, says="is a file")
    _bad(capsys, "explain", tmp_path / "none.keras", "--image", image, "--method", "saliency", "--out", out,
         says="no such file")
    _bad(capsys, "explain", text_model, "--image", image, "--method", "saliency", "--out", out,
         says="not a Keras model")
    assert not out.exists()


def test_the_installed_command_refuses_in_one_line_before_loading_tensorflow(project_root, tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "cnnviz.cli", "visualize", SHIPPED, "--layer", "output",
                             "--unit", "1", "--out", str(tmp_path / "unit.jpg")], cwd=project_root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cnnviz-cli: error: --out {tmp_path / 'unit.jpg'}: the picture is written as PNG; give a file name "
        "ending in .png"]
    assert not (tmp_path / "unit.jpg").exists()
