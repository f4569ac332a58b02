"""The guided lesson in the real window: every step of both shipped lessons runs its "Show me" and lands where it
says; checks are graded against the Builder's model; progress survives a restart; the welcome page's ways in."""
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from cnnviz.core.inspect.textbook import WORKED_EXAMPLES
from cnnviz.core.lecture.channels import CHANNEL_EXAMPLES, POOL_EXAMPLES
from cnnviz.core.lecture.lessons import available_lessons, expected_answer
from cnnviz.core.model.presets import get_preset
from cnnviz.qt.lesson.dock import WelcomeDialog, offer_welcome, start_lesson
from cnnviz.qt.main_window import MainWindow
from cnnviz.qt.settings import AppSettings


@pytest.fixture(autouse=True)
def no_boxes(monkeypatch):
    for kind in ("warning", "critical", "question", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))


@pytest.fixture
def settings(tmp_path):
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings):
    win = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _current_tab(window):
    return window.tabs.tabText(window.tabs.currentIndex()).replace("&", "")


def _assert_state(window, show):
    """Read back from the window what a show line asked for."""
    if show.verb == "tab":
        assert _current_tab(window) == show.args[0]
        if len(show.args) > 1:
            page = window.inspector if show.args[0] == "Inspector" else window.lecture
            sub = page.tabs if show.args[0] == "Inspector" else page
            assert sub.tabText(sub.currentIndex()) == show.args[1]
    elif show.verb == "preset":
        assert window.document.spec.to_dict() == get_preset(show.args[0]).to_dict()
    elif show.verb == "example" and show.args[0] in WORKED_EXAMPLES:
        view = window.lecture.explorer("2D convolution")
        ex = WORKED_EXAMPLES[show.args[0]]
        np.testing.assert_array_equal(view.x, ex.x)
        assert view.mode.currentText() == ex.mode
    elif show.verb == "example" and show.args[0] in CHANNEL_EXAMPLES:
        view = window.lecture.explorer("Channels and pooling")
        ex = CHANNEL_EXAMPLES[show.args[0]]
        assert (view.rgb_stride.value(), view.rgb_padding.currentText()) == (ex.stride, ex.padding)
        assert view.rgb_example.currentData() == show.args[0]
    elif show.verb == "example":
        view = window.lecture.explorer("Channels and pooling")
        ex = POOL_EXAMPLES[show.args[0]]
        np.testing.assert_array_equal(view.current_pool().x, ex.x)
        assert (view.pool_mode.currentData(), view.pool_size.value()) == (ex.mode, ex.size)
    elif show.verb == "field":
        view = window.lecture.explorer("Receptive fields")
        assert view.layer.currentText().split()[0] == show.args[0]
        if len(show.args) == 3:
            assert view.cell == (int(show.args[1]), int(show.args[2]))
    elif show.verb == "dataset":
        assert window.training.form.data_box.name == show.args[0]
    else:
        raise AssertionError(f"no read-back for {show.verb}")


@pytest.mark.parametrize("lesson_id", ["lecture", "celeba"])
def test_every_step_shows_its_state_and_grades_its_check(window, qtbot, lesson_id):
    panel = start_lesson(window, lesson_id)
    assert window.lesson_dock.isVisible() and panel.lesson.id == lesson_id
    for i, step in enumerate(panel.lesson.steps):
        panel.go_to(i)
        assert panel.title.text().endswith(step.title)
        if step.shows:
            qtbot.mouseClick(panel.show_button, Qt.MouseButton.LeftButton)
            assert panel.shown.text().startswith("Shown: "), panel.shown.text()
            # every show line's effect holds once the step is shown (later lines must not undo earlier ones)
            for show in step.shows:
                _assert_state(window, show)
        if step.check:
            panel.answer.setText("certainly wrong")
            assert not panel.check_answer() and panel.verdict.text().startswith("Not quite")
            panel.answer.setText(expected_answer(step.check, window.document.spec))
            qtbot.keyClick(panel.answer, Qt.Key.Key_Return)
            assert panel.verdict.text() == "Right.", (step.title, panel.verdict.text())
    assert panel.done_steps() == {i for i, s in enumerate(panel.lesson.steps) if s.check}


def test_progress_survives_a_restart_and_a_step_can_be_reset(qtbot, settings, tmp_path):
    first = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(first)
    panel = start_lesson(first, "lecture")
    panel.go_to(0)
    panel.answer.setText("784")
    assert panel.check_answer()
    first.close()
    again = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    second = MainWindow(load_tensorflow=False, settings=again)
    qtbot.addWidget(second)
    panel2 = start_lesson(second, "lecture")
    assert panel2.done_steps() == {0}
    assert panel2.index == 1                        # opens at the first step not done yet
    assert panel2.steps.item(0).text().startswith("\u2713")
    panel2.go_to(0)
    assert panel2.answer.text() == "784" and "answered before" in panel2.verdict.text()
    qtbot.mouseClick(panel2.reset_button, Qt.MouseButton.LeftButton)
    assert panel2.done_steps() == set() and panel2.answer.text() == ""
    second.close()


def test_a_broken_lesson_file_is_named_by_line_and_a_good_one_opens(window, tmp_path):
    panel = start_lesson(window)
    bad = tmp_path / "bad.md"
    bad.write_text("---\nid: t\ntitle: T\n---\n## One\nshow: fly away\n", encoding="utf-8")
    assert not panel.open_file(str(bad))
    assert panel.message.text() == f"{bad}, line 6: unknown 'show:' verb 'fly'; known: tab, preset, example, " \
                                   "field, dataset"
    good = tmp_path / "good.md"
    good.write_text("---\nid: t\ntitle: Teacher's own\n---\n## One\nshow: tab Runs\nHello.\n", encoding="utf-8")
    assert panel.open_file(str(good)) and panel.message.text() == ""
    assert panel.lesson.title == "Teacher's own" and panel.chooser.currentText() == "Teacher's own"
    panel.show_me()
    assert _current_tab(window) == "Runs"


def test_show_me_for_a_missing_tab_says_so(window, tmp_path):
    panel = start_lesson(window)
    lesson = tmp_path / "l.md"
    lesson.write_text("---\nid: m\ntitle: M\n---\n## One\nshow: tab Nowhere\n", encoding="utf-8")
    assert panel.open_file(str(lesson))
    assert panel.show_me() == []
    assert panel.shown.text() == "Could not show this step: line 6 (tab Nowhere): this app has no tab 'Nowhere'"


def test_f9_toggles_the_lesson_dock(window, qtbot):
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    lesson = [a for a in view_menu.actions() if a.text().replace("&", "") == "Lesson"]
    assert lesson and lesson[0].shortcut().toString() == "F9"   # the dock is found from the View menu too
    assert not window.lesson_dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert window.lesson_dock.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert not window.lesson_dock.isVisible()


def test_welcome_page_ways_in_and_dont_show_again(window, qtbot, settings):
    dialog = offer_welcome(window)
    assert isinstance(dialog, WelcomeDialog) and dialog.isVisible()
    qtbot.mouseClick(dialog.draw_button, Qt.MouseButton.LeftButton)
    assert _current_tab(window) == "Draw" and not dialog.isVisible()
    dialog = offer_welcome(window)
    dialog.dont_show.setChecked(True)
    qtbot.mouseClick(dialog.lesson_button, Qt.MouseButton.LeftButton)
    assert window.lesson_dock.isVisible() and window.lesson_dock.widget().lesson.id == "lecture"
    assert _current_tab(window) == "Inspector"       # the lesson's first "Show me" ran
    assert offer_welcome(window) is None              # not again
    settings.store.setValue("welcome/hide", False)
    dialog = offer_welcome(window)
    qtbot.mouseClick(dialog.blank_button, Qt.MouseButton.LeftButton)
    assert window.document.spec.layers == [] and _current_tab(window) == "Builder"
    assert available_lessons()[1] == []
