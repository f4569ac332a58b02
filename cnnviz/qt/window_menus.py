"""The main window's menu bar: its actions (File, Edit, View's tab shortcuts, Help > About) and the menus they sit in.

``install_menus(window)`` makes the actions as attributes of the window (``window.save_action``,
``window.tab_actions``, ...; the file and run actions come from cnnviz.qt.actions, the model ones call the window's
slots) and fills the menu bar: File, Edit, Presets, View, Help. Other parts add to these menus later (the lesson dock
and the classroom tools find View and Help by name). ``show_about_dialog`` is Help > About.
"""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from cnnviz import __version__
from cnnviz.qt.actions import make_action

__all__ = ["install_menus", "show_about_dialog"]


def install_menus(window: QMainWindow, tab_titles: tuple[str, ...]) -> None:
    """Make the window's actions (View has one per tab: Ctrl+1, Ctrl+2, ...), then its menus
    (cnnviz.qt.main_window.MainWindow calls it once)."""
    _make_actions(window, tab_titles)
    _make_menus(window)


def show_about_dialog(window: QMainWindow) -> None:
    """Help > About (the window's ``show_about`` slot)."""
    QMessageBox.about(window, "About cnnviz",
                      f"<h3>cnnviz {__version__}</h3><p>A desktop studio for learning convolutional neural "
                      "networks: build a CNN, see its shapes and parameters, train it, look inside it.</p>"
                      "<p>PySide6 (Qt 6), pyqtgraph, TensorFlow/Keras. MIT licence.</p>")


def _make_actions(window, tab_titles: tuple[str, ...]) -> None:
    sk = QKeySequence.StandardKey
    files, runs = window.files, window.run_actions
    window.new_action, window.open_action = files.new_action, files.open_action
    window.save_action, window.save_as_action = files.save_action, files.save_as_action
    window.recent_menu = files.recent_menu
    window.open_run_action, window.follow_run_action = runs.open_run_action, runs.follow_run_action
    window.import_action = make_action(window, "&Import model…", window._on_import_triggered, "Ctrl+I",
                                       "Load a trained Keras model (.keras): its layers go to the builder when "
                                       "the builder supports them, the model to the other tabs")
    window.export_action = make_action(window, "&Export model…", window._on_export_triggered, "Ctrl+E",
                                       "Export the trained model (.keras, weights, SavedModel, TFLite, ONNX), "
                                       "verified by loading it back")
    window.run_config_action = make_action(window, "Export as &run config…", window._on_run_config_triggered, None,
                                           "Write what `cnnviz-cli train` needs to run this experiment headless")
    window.bundle_action = make_action(window, "Export reproducibility &bundle…", window._on_bundle_triggered, None,
                                       "Spec, Keras code, settings, seed, data, history, test metrics and "
                                       "library versions of the last training run, in one folder")
    window.quit_action = make_action(window, "&Quit", window._on_quit_triggered, sk.Quit, "Quit cnnviz")
    window.undo_action = window.document.undo_stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcut(QKeySequence(sk.Undo))
    window.redo_action = window.document.undo_stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcut(QKeySequence(sk.Redo))
    window.about_action = make_action(window, "&About cnnviz", window.show_about, None, "About cnnviz")
    window.tab_actions = []
    for i, title in enumerate(tab_titles):
        act = make_action(window, title, window._on_tab_action_triggered, f"Ctrl+{i + 1}", f"Show the {title} tab")
        act.setData(i)
        window.tab_actions.append(act)


def _make_menus(window) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.setToolTipsVisible(True)
    file_menu.addActions([window.new_action, window.open_action])
    file_menu.addMenu(window.recent_menu)
    file_menu.addSeparator()
    file_menu.addActions([window.save_action, window.save_as_action])
    file_menu.addSeparator()
    file_menu.addActions([window.import_action, window.export_action, window.bundle_action, window.run_config_action])
    file_menu.addSeparator()
    file_menu.addActions([window.open_run_action, window.follow_run_action])
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([window.undo_action, window.redo_action])
    edit_menu.addSeparator()
    edit_menu.addAction(window.builder.copy_code_action)
    window.presets_menu = bar.addMenu("&Presets")
    window.presets_menu.setToolTipsVisible(True)
    window.presets_menu.addActions(window.builder.preset_actions)
    view_menu = bar.addMenu("&View")
    view_menu.addActions(window.tab_actions)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(window.about_action)
