"""A classroom (issue 15, item 9): View > Zoom, Presentation mode, Theme, F1 help, the shortcut list, and a
hover explanation on every plot, all on a real main window driven by its keys."""
from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QTableView

from cnnviz.qt.classroom.plots import plot_items, plot_views, tick_font_point_size
from cnnviz.qt.main_window import TAB_TITLES, MainWindow
from cnnviz.qt.settings import AppSettings

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def no_modal_boxes(monkeypatch):
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))


def _settings(path) -> AppSettings:
    return AppSettings(QSettings(str(path), QSettings.Format.IniFormat))


def _open(qtbot, settings) -> MainWindow:
    win = MainWindow(load_tensorflow=False, settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    return win


def _close(win: MainWindow) -> None:
    # the application font and palette are process-wide: leave them as the next test expects them
    win.classroom.set_presentation(False)
    win.classroom.set_zoom(100, persist=False)
    win.classroom.set_theme("system", persist=False)
    assert win.shutdown(), win.shutdown_registry.failures


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = _open(qtbot, _settings(tmp_path / "s.ini"))
    yield win
    _close(win)


def press(qtbot, win, keys: str) -> None:
    """Type ``keys`` (e.g. "Ctrl+=") at the window, as a user would, and let Qt deliver what follows."""
    QTest.keySequence(win, QKeySequence(keys))
    qtbot.wait(20)


def summary_table(win) -> QTableView:
    return win.builder.findChildren(QTableView)[0]


def test_zoom_scales_tables_and_plot_axes_and_ctrl0_restores(qtbot, window, tmp_path):
    table, axis = summary_table(window), window.training.plots.batch_plot.getAxis("left")
    title = window.training.plots.batch_plot.titleLabel
    table_pt, axis_pt, rows = table.font().pointSizeF(), tick_font_point_size(axis), table.verticalHeader()
    row_px = rows.defaultSectionSize()
    note = window.training.results.grid_note   # has a style sheet: Qt alone would leave its font as it was
    note_pt = note.font().pointSizeF()
    press(qtbot, window, "Ctrl+=")
    press(qtbot, window, "Ctrl+=")
    assert window.classroom.zoom_percent == 125
    qtbot.waitUntil(lambda: table.font().pointSizeF() > table_pt * 1.2)
    assert tick_font_point_size(axis) == pytest.approx(axis_pt * 1.25)
    qtbot.waitUntil(lambda: note.font().pointSizeF() == pytest.approx(note_pt * 1.25))
    assert title.item.font().pointSizeF() == pytest.approx(QApplication.font().pointSizeF())
    assert rows.defaultSectionSize() >= table.fontMetrics().height()
    assert window.settings.zoom_percent == 125   # remembered
    press(qtbot, window, "Ctrl+-")
    assert window.classroom.zoom_percent == 110
    press(qtbot, window, "Ctrl+0")
    qtbot.waitUntil(lambda: table.font().pointSizeF() == pytest.approx(table_pt))
    assert tick_font_point_size(axis) == pytest.approx(axis_pt)
    assert rows.defaultSectionSize() == row_px
    assert window.settings.zoom_percent == 100


def test_a_remembered_zoom_is_applied_at_the_next_launch(qtbot, tmp_path):
    settings = _settings(tmp_path / "s.ini")
    settings.zoom_percent = 150
    base = QApplication.font().pointSizeF()
    win = _open(qtbot, settings)
    try:
        assert win.classroom.zoom_percent == 150
        assert QApplication.font().pointSizeF() == pytest.approx(base * 1.5)
        assert tick_font_point_size(win.training.plots.loss_plot.getAxis("bottom")) == pytest.approx(base * 1.5)
    finally:
        _close(win)


def test_presentation_mode_toggles_full_screen_large_text_and_thick_lines(qtbot, window):
    curve = window.training.plots.curves["loss"]
    axis = window.training.plots.loss_plot.getAxis("bottom")
    width, text = curve.opts["pen"].widthF(), axis.textPen().color()
    press(qtbot, window, "F11")
    assert window.classroom.presentation and window.classroom.presentation_action.isChecked()
    qtbot.waitUntil(window.isFullScreen)
    assert window.classroom.zoom_percent == 150
    assert curve.opts["pen"].widthF() >= max(3.0, 2 * width)
    assert axis.textPen().color() == QColor("black")   # high contrast: black axes and labels, not grey
    assert window.settings.zoom_percent == 100   # a projector's zoom is not the user's
    press(qtbot, window, "Ctrl+Shift+P")
    assert not window.classroom.presentation
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert window.classroom.zoom_percent == 100
    assert curve.opts["pen"].widthF() == width
    assert axis.textPen().color() == text


def _theme_action(win, name: str) -> QAction:
    return next(a for a in win.classroom.theme_menu.actions() if a.text().replace("&", "") == name)


def test_dark_theme_changes_the_palette_and_the_plots_and_back(qtbot, window):
    light_window = QApplication.palette().color(QPalette.ColorRole.Window)
    view = window.training.plots.loss_widget
    axis = window.training.plots.loss_plot.getAxis("left")
    light_bg, light_text = view.backgroundBrush().color(), axis.textPen().color()
    assert light_bg.lightnessF() > 0.9
    _theme_action(window, "Dark").trigger()
    assert window.classroom.dark and window.settings.theme == "dark"
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.3
    assert view.backgroundBrush().color().lightnessF() < 0.2
    assert axis.textPen().color().lightnessF() > 0.8
    note = window.training.results.grid_note   # a panel's own style sheet ("color: #555"): made readable
    assert "#555" not in note.styleSheet()
    _theme_action(window, "Light").trigger()
    assert not window.classroom.dark and window.settings.theme == "light"
    assert QApplication.palette().color(QPalette.ColorRole.Window) == light_window
    assert view.backgroundBrush().color() == light_bg
    assert axis.textPen().color() == light_text
    assert "#555" in note.styleSheet()


def test_f1_shows_the_help_of_the_current_tab(qtbot, window):
    window.tabs.setCurrentIndex(TAB_TITLES.index("Builder"))
    press(qtbot, window, "F1")
    dialog = window.classroom.help_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    builder_text = dialog.browser.toPlainText()
    assert "summary table" in builder_text
    window.tabs.setCurrentIndex(TAB_TITLES.index("Training"))   # it follows the tab while open
    training_text = dialog.browser.toPlainText()
    assert "confusion matrix" in training_text and training_text != builder_text
    dialog.close()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.tabs.setCurrentIndex(TAB_TITLES.index("Draw"))
    press(qtbot, window, "F1")
    assert dialog.isVisible() and "preprocessing" in dialog.browser.toPlainText()
    texts = set()
    for title in TAB_TITLES:   # every tab has its own, real text
        window.tabs.setCurrentIndex(TAB_TITLES.index(title))
        text = dialog.browser.toPlainText()
        assert text.startswith(title) and "No help" not in text and len(text) > 300
        texts.add(text)
    assert len(texts) == len(TAB_TITLES)


def test_keyboard_shortcuts_lists_every_action_with_a_key_at_runtime(qtbot, window):
    extra = QAction("Classroom test action", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+K"))
    window.addAction(extra)
    window.classroom.shortcuts_action.trigger()
    dialog = window.classroom.shortcuts_dialog
    assert dialog.isVisible() and not dialog.isModal()
    keys = dialog.keys()
    for key in ("Ctrl+S", "Ctrl+O", "F1", "Ctrl+0", "F9", "Ctrl+1", "Ctrl+D"):
        assert any(key in k.split(", ") for k in keys), (key, keys)
    names = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert "Classroom test action" in names and "Save model spec" in names


def test_every_plot_of_the_window_says_what_it_shows(qtbot, window):
    for i in range(window.tabs.count()):   # show every tab (and every Lecture explorer) once
        window.tabs.setCurrentIndex(i)
        qtbot.wait(10)
    for i in range(window.lecture.count()):
        window.lecture.setCurrentIndex(i)
        qtbot.wait(10)
    views = plot_views(window)
    assert len(views) >= 7   # 3 live plots, class counts, probability bars, runs, dropout effect
    assert all(plot_items(v) for v in views)
    missing = [f"{type(v).__name__} in {type(v.parent()).__name__}" for v in views if not v.toolTip().strip()]
    assert not missing, missing


def test_plots_and_styles_made_later_get_the_current_look(qtbot, window):
    window.classroom.set_theme("dark", persist=False)
    window.classroom.set_zoom(150, persist=False)
    note = QLabel("made after the zoom", window.runs)
    note.setStyleSheet("color: #333333; font-size: 10pt")   # as a panel does when something happens
    assert "font-size: 15pt" in note.styleSheet() and "#333333" not in note.styleSheet()
    card = QLabel("styled before it is put in the window")
    card.setStyleSheet("background: white; font-size: 8pt")
    window.runs.layout().addWidget(card)
    late = pg.PlotWidget(background="w")
    late.setTitle("late", size="10pt")
    window.runs.layout().addWidget(late)
    window.tabs.setCurrentIndex(TAB_TITLES.index("Runs"))
    qtbot.waitUntil(late.isVisible)
    qtbot.waitUntil(card.isVisible)
    assert "font-size: 12pt" in card.styleSheet() and "white" not in card.styleSheet()
    assert late.backgroundBrush().color().lightnessF() < 0.2
    assert late.getPlotItem().titleLabel.opts["size"] == "15pt"


def test_the_inspectors_dense_layer_plots_say_what_they_show(qtbot):
    """The Inspector makes a bar plot per hidden Dense layer once a model is inspected (it needs TensorFlow in
    the window): its feature-map view is given the lecture CNN's layer list directly."""
    from types import SimpleNamespace

    from cnnviz.core.inspect.inspection import LayerInfo
    from cnnviz.qt.inspector.feature_maps import FeatureMapsView

    layers = [LayerInfo(0, "conv_1", "Conv2D", (28, 28, 32), -1,
                        {"kernel_size": (5, 5), "strides": (1, 1), "padding": "same", "activation": "relu",
                         "filters": 32}),
              LayerInfo(1, "flatten", "Flatten", (25088,), 0),
              LayerInfo(2, "fc_1", "Dense", (1024,), 1, {"units": 1024, "activation": "relu"}),
              LayerInfo(3, "fc_2", "Dense", (10,), 2, {"units": 10, "activation": "softmax"})]
    view = FeatureMapsView()
    qtbot.addWidget(view)
    view.set_inspector(SimpleNamespace(layers=layers))
    plots = plot_views(view)
    assert len(plots) == 1   # fc_1's activations (fc_2 is the probability bars)
    assert "Dense" in plots[0].toolTip()


def test_system_theme_follows_the_desktop_when_it_turns_dark(qtbot, window, monkeypatch):
    from PySide6.QtGui import QGuiApplication

    from cnnviz.qt.classroom import theme

    assert window.classroom.theme == "system" and not window.classroom.dark
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)   # the desktop switches to dark
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window.classroom.dark
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.3
    assert window.training.plots.acc_widget.backgroundBrush().color().lightnessF() < 0.2
    _theme_action(window, "Light").trigger()   # an explicit choice wins over the desktop
    assert not window.classroom.dark
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not window.classroom.dark
    monkeypatch.setattr(theme, "system_is_dark", lambda: False)
