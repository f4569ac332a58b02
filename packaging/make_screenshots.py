"""Make the README's screenshots from the app itself (offscreen), so they stay current.

    .venv/bin/python packaging/make_screenshots.py [--out docs/screenshots]

Builds the main window at 1280x820, loads the lecture preset, trains a small model for the Training and Runs
tabs, draws a digit, inspects it, and grabs each tab to a PNG.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEVEN = [[(50, 60), (230, 60), (120, 250)], [(90, 150), (175, 150)]]


def wait(app, condition, timeout=180.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def settle(app, seconds=0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="cnnviz-shots-"))
    os.environ["CNNVIZ_HOME"] = str(tmp / "home")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.run import Run
    from cnnviz.qt.main_window import TAB_TITLES, MainWindow
    from cnnviz.qt.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    window = MainWindow(load_tensorflow=True,
                        settings=AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)))
    window.resize(1280, 820)
    window.show()
    window.start_background_work()
    window.document.load_preset("lecture")

    def grab(tab: str, name: str) -> None:
        window.tabs.setCurrentIndex(TAB_TITLES.index(tab))
        settle(app, 0.8)
        window.grab().save(str(out / f"{name}.png"))
        print(f"wrote {out / name}.png", flush=True)

    grab("Builder", "builder")

    # Runs: two short CLI-style runs of the fast and keras.io presets on the bundled sample.
    for key in ("fast", "keras_io"):
        Run.start(tmp / f"runs/{key}", data=DataChoice("mnist_sample"), spec=get_preset(key),
                  config=TrainingConfig(batch_size=64, epochs=4, seed=1)).execute()
        window.runs.add_run(tmp / f"runs/{key}")
    grab("Runs", "runs")

    # Draw: a 7 with the shipped model.
    window.draw.wait_for_loader()
    wait(app, window.draw.model_ready)
    for stroke in SEVEN:
        window.draw.canvas.add_stroke(stroke)
    window.draw.predict_now()
    grab("Draw", "draw")

    # Inspector: the drawing, with the shipped model.
    window.draw.inspect_button.click()
    inspector = window.inspector
    inspector._on_shipped_clicked()
    wait(app, lambda: inspector.inspector is not None and inspector.maps is not None)
    settle(app, 2.0)
    grab("Inspector", "inspector")

    # Training: the fast preset on 1,500 images of the bundled sample, 4 epochs, through the panel's own button.
    window.document.load_preset("fast")
    training = window.training
    wait(app, lambda: training.form.dataset is not None)
    training.form.data_box.limit_spin.setValue(1500)
    training.form.epochs_spin.setValue(4)
    trained = []
    training.model_trained.connect(trained.append)
    window.tabs.setCurrentIndex(TAB_TITLES.index("Training"))
    training.train_button.click()
    wait(app, lambda: bool(trained), timeout=300)
    settle(app, 1.5)
    grab("Training", "training")
    window.document.load_preset("lecture")
    window.tabs.setCurrentIndex(TAB_TITLES.index("Augment"))
    wait(app, lambda: not window.augment.is_busy() and window.augment.tiles["contrast"].array is not None)
    grab("Augment", "augment")

    # Lecture: each explorer, and the guided lesson beside it.
    lecture = window.lecture
    for title, name in (("Loss functions", "lecture_loss"), ("Dropout", "lecture_dropout"),
                        ("2D convolution", "lecture_conv2d"), ("Channels and pooling", "lecture_channels"),
                        ("Receptive fields", "lecture_fields")):
        lecture.setCurrentIndex([lecture.tabText(i) for i in range(lecture.count())].index(title))
        if title == "2D convolution":
            lecture.explorer(title).load_example("sobel")
            lecture.explorer(title).slider.setValue(7)
        if title == "Channels and pooling":
            lecture.explorer(title).go_to_conv(1, 1)
            lecture.explorer(title).go_to_pool(1, 0)
        if title == "Receptive fields":
            lecture.explorer(title).select_layer("conv_2")
            lecture.explorer(title).select_cell(6, 9)
        grab("Lecture", name)
    from cnnviz.qt.lesson.dock import start_lesson

    panel = start_lesson(window, "lecture")
    panel.go_to(2)
    panel.show_me()
    settle(app, 1.0)
    window.grab().save(str(out / "lesson.png"))
    print(f"wrote {out / 'lesson.png'}", flush=True)
    window.lesson_dock.hide()
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
