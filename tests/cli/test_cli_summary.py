"""cnnviz-cli summary/presets, run as a user runs them (a subprocess of the installed entry point's module)."""
from __future__ import annotations

import subprocess
import sys


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cnnviz.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_summary_prints_the_lectures_table():
    result = run_cli("summary", "--preset", "lecture")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines if line.startswith(("conv_", "pool_", "flatten", "fc_", "dropout"))]
    assert [r[0] for r in rows] == ["conv_1", "pool_1", "conv_2", "pool_2", "flatten", "fc_1", "dropout", "fc_2"]
    assert [r[-1] for r in rows] == ["832", "0", "51,264", "0", "0", "3,212,288", "0", "10,250"]
    assert "(None, 7, 7, 64)" in result.stdout
    assert "Total params: 3,274,634" in lines


def test_summary_of_a_saved_spec_with_an_error_exits_1(tmp_path):
    from cnnviz.core.model.spec import LayerSpec, ModelSpec

    path = tmp_path / "m.json"
    ModelSpec((4, 4, 1), [LayerSpec.make("Conv2D", "c", kernel_size=5)]).save(path)
    result = run_cli("summary", "--spec", str(path))
    assert result.returncode == 1
    assert "error: layer 1 (c): kernel 5x5 is larger than its 4x4 input" in result.stdout


def test_bad_input_exits_2_with_one_clear_line(tmp_path):
    result = run_cli("summary", "--preset", "resnet")
    assert result.returncode == 2
    assert result.stderr.strip() == ("cnnviz-cli: error: unknown preset 'resnet'; known presets: lecture, fast, "
                                     "fast99, keras_io, lenet5, tiny_vgg, celeba")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = run_cli("summary", "--spec", str(bad))
    assert result.returncode == 2 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr


def test_presets_lists_every_preset():
    """One line per preset, in order, each with the parameter count Keras gives the built model (not the number
    that some titles also carry)."""
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import PRESETS

    result = run_cli("presets")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    for line, (key, preset) in zip(lines, PRESETS.items()):
        keras_params = build_model(preset.build(), seed=0).count_params()
        counted = line.rsplit(" params ", 1)[0].split()[-1]   # the column before "params   source: ..."
        assert counted == f"{keras_params:,}", (key, line, keras_params)
        assert line.rstrip().endswith(f"source: {preset.source}")


def test_summary_of_a_relu6_spec_lists_the_relu_layers(tmp_path):
    """MobileNet's ReLU(6.) layer and relu6 activation read back from a spec file, as Keras's summary shows them."""
    from cnnviz.core.model.spec import LayerSpec, ModelSpec

    path = tmp_path / "mobilenet.json"
    ModelSpec((32, 32, 3), [
        LayerSpec.make("Conv2D", "conv1", filters=8, strides=2, padding="same", use_bias=False, activation="linear"),
        LayerSpec.make("BatchNormalization", "conv1_bn"),
        LayerSpec.make("ReLU", "conv1_relu", max_value=6.0),
        LayerSpec.make("DepthwiseConv2D", "dw", padding="same", activation="relu6"),
        LayerSpec.make("GlobalAveragePooling2D", "gap"),
        LayerSpec.make("Dense", "predictions", units=10, activation="softmax"),
    ]).save(path)
    result = run_cli("summary", "--spec", str(path), "--formulas")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.startswith(("conv1", "dw"))}
    assert rows["conv1_relu"][1:] == ["(ReLU)", "(None,", "16,", "16,", "8)", "0"]
    assert rows["dw"][-1] == "80"
    assert "Total params: 418" in result.stdout
