"""The classroom controls of a main window: zoom, presentation mode, theme, F1 help and the shortcut list.

``Classroom(window)`` adds its actions to the window's View and Help menus (built before it is made) and applies
the zoom and theme remembered in the window's AppSettings. It owns no panel: it re-styles what the panels made
(fonts, the palette, pyqtgraph plots). Plots made later (the Inspector's, a new feature-map section) get the
current look when they are first shown: an application event filter, installed only while the look is not the
default one, so a plain session pays nothing for it.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QWidget

from . import zoom as _zoom
from .help import HelpDialog, ShortcutsDialog
from .plots import PlotLook, plot_views, style_view
from .theme import DEFAULT_THEME, THEMES, apply_theme

THEME_LABELS = {"system": "&System", "light": "&Light", "dark": "&Dark"}


def _menu(window: QMainWindow, title: str) -> QMenu:
    """The window's menu called ``title`` (made if the window has none)."""
    for act in window.menuBar().actions():
        if act.menu() is not None and act.text().replace("&", "") == title:
            return act.menu()
    return window.menuBar().addMenu(f"&{title}")


class Classroom(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.settings = getattr(window, "settings", None)
        self.zoom_percent = _zoom.clamp(self._stored("zoom_percent", _zoom.DEFAULT_ZOOM))
        theme = self._stored("theme", DEFAULT_THEME)
        self.theme = theme if theme in THEMES else DEFAULT_THEME
        self.dark = False
        self.presentation = False
        self._before_presentation: tuple[int, Qt.WindowState] | None = None
        self._applied_zoom = _zoom.DEFAULT_ZOOM   # what the widgets were made under
        self._filtering = False
        self.help_dialog: HelpDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._make_actions()
        self._add_to_menus()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_color_scheme_changed)
        tabs = getattr(window, "tabs", None)
        if tabs is not None:
            tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.dark = apply_theme(self.theme)   # the widgets and plots are styled once, by set_zoom
        self.theme_actions[self.theme].setChecked(True)
        self.set_zoom(self.zoom_percent, persist=False)

    def _stored(self, name: str, default):
        return getattr(self.settings, name, default) if self.settings is not None else default

    def _store(self, name: str, value) -> None:
        if self.settings is not None and hasattr(type(self.settings), name):
            setattr(self.settings, name, value)

    # --- actions and menus -------------------------------------------------------------------------------------
    def _action(self, text: str, slot, keys=(), tip: str = "") -> QAction:
        act = QAction(text, self.window)
        sequences = []
        for k in keys:
            for seq in (QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) else [QKeySequence(k)]):
                if not seq.isEmpty() and seq not in sequences:
                    sequences.append(seq)
        act.setShortcuts(sequences)
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _make_actions(self) -> None:
        self.zoom_in_action = self._action("Zoom &in", self.zoom_in, ("Ctrl+=", "Ctrl++"),
                                           "Larger text in every tab, tables and plots included")
        self.zoom_out_action = self._action("Zoom &out", self.zoom_out, ("Ctrl+-",),
                                            "Smaller text in every tab")
        self.reset_zoom_action = self._action("&Reset zoom", self.reset_zoom, ("Ctrl+0",), "Text at 100 %")
        self.presentation_action = self._action("&Presentation mode", self._on_presentation_triggered,
                                                ("F11", "Ctrl+Shift+P"),
                                                f"For a projector: full screen, text at {_zoom.PRESENTATION_ZOOM} %, "
                                                "thick plot lines (again to leave)")
        self.presentation_action.setCheckable(True)
        self.theme_group = QActionGroup(self)
        self.theme_group.setExclusive(True)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            act = QAction(THEME_LABELS[name], self.window)
            act.setCheckable(True)
            act.setData(name)
            act.setToolTip({"system": "Light or dark as the desktop is set, following it when it changes",
                            "light": "Dark text on light backgrounds", "dark": "Light text on dark backgrounds, "
                            "plots included"}[name])
            act.triggered.connect(self._on_theme_action_triggered)
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        self.help_action = self._action("&Help for this tab", self.show_help, ("F1",),
                                        "What the current tab shows and how to use it")
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts, ("Ctrl+/",),
                                             "Every keyboard shortcut of the window")

    def _add_to_menus(self) -> None:
        view = _menu(self.window, "View")
        view.setToolTipsVisible(True)
        view.addSeparator()
        view.addActions([self.zoom_in_action, self.zoom_out_action, self.reset_zoom_action])
        view.addAction(self.presentation_action)
        self.theme_menu = view.addMenu("&Theme")
        self.theme_menu.setToolTipsVisible(True)
        self.theme_menu.addActions(list(self.theme_actions.values()))
        help_menu = _menu(self.window, "Help")
        help_menu.setToolTipsVisible(True)
        first = help_menu.actions()[0] if help_menu.actions() else None
        help_menu.insertActions(first, [self.help_action, self.shortcuts_action])
        if first is not None:
            help_menu.insertSeparator(first)

    # --- zoom --------------------------------------------------------------------------------------------------
    def set_zoom(self, percent: int, *, persist: bool = True) -> None:
        percent = _zoom.clamp(percent)
        self.zoom_percent = percent
        self._restyle_widgets()
        if persist and not self.presentation:
            self._store("zoom_percent", percent)
        self.reset_zoom_action.setEnabled(percent != _zoom.DEFAULT_ZOOM)
        self.restyle_plots()

    def _restyle_widgets(self) -> None:
        _zoom.apply_zoom(self.window, self.zoom_percent, self._applied_zoom, self.dark)
        self._applied_zoom = self.zoom_percent

    @Slot()
    def zoom_in(self) -> None:
        self.set_zoom(_zoom.next_step(self.zoom_percent, +1))
        self._say(f"Zoom {self.zoom_percent} %")

    @Slot()
    def zoom_out(self) -> None:
        self.set_zoom(_zoom.next_step(self.zoom_percent, -1))
        self._say(f"Zoom {self.zoom_percent} %")

    @Slot()
    def reset_zoom(self) -> None:
        self.set_zoom(_zoom.DEFAULT_ZOOM)
        self._say("Zoom 100 %")

    def _say(self, text: str) -> None:
        bar = self.window.statusBar() if hasattr(self.window, "statusBar") else None
        if bar is not None:
            bar.showMessage(text, 2000)

    # --- presentation ------------------------------------------------------------------------------------------
    @Slot()
    def _on_presentation_triggered(self) -> None:
        self.set_presentation(self.presentation_action.isChecked())

    def set_presentation(self, on: bool) -> None:
        if on == self.presentation:
            self.presentation_action.setChecked(on)
            return
        if on:
            self._before_presentation = (self.zoom_percent, self.window.windowState())
            self.presentation = True
            self.set_zoom(max(self.zoom_percent, _zoom.PRESENTATION_ZOOM), persist=False)
            self.window.showFullScreen()
        else:
            zoom, state = self._before_presentation or (_zoom.DEFAULT_ZOOM, Qt.WindowState.WindowNoState)
            self.presentation = False
            self.window.setWindowState(state & ~Qt.WindowState.WindowFullScreen)
            if not state & Qt.WindowState.WindowFullScreen:
                if state & Qt.WindowState.WindowMaximized:
                    self.window.showMaximized()
                else:
                    self.window.showNormal()
            self.set_zoom(zoom, persist=False)
        self.presentation_action.setChecked(on)
        self.restyle_plots()
        self._say("Presentation mode: F11 or Ctrl+Shift+P to leave" if on else "Presentation mode off")

    # --- theme -------------------------------------------------------------------------------------------------
    @Slot()
    def _on_theme_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.set_theme(str(act.data()))

    def set_theme(self, theme: str, *, persist: bool = True) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
        self.theme = theme
        self.dark = apply_theme(theme)
        self._restyle_widgets()
        self.theme_actions[theme].setChecked(True)
        if persist:
            self._store("theme", theme)
        self.restyle_plots()

    @Slot()
    def _on_color_scheme_changed(self, *_args) -> None:
        if self.theme == "system":
            self.set_theme("system", persist=False)

    # --- plots -------------------------------------------------------------------------------------------------
    def look(self) -> PlotLook:
        return PlotLook(font=QApplication.font(), zoom=self.zoom_percent / 100.0, dark=self.dark,
                        thick=self.presentation)

    def is_default_look(self) -> bool:
        return self.zoom_percent == _zoom.DEFAULT_ZOOM and not self.dark and not self.presentation

    def restyle_plots(self) -> None:
        """Give every plot of the window the current look; watch for new plots unless it is the default."""
        look = self.look()
        for view in plot_views(self.window):
            style_view(view, look)
        self._set_filtering(not self.is_default_look())

    def _set_filtering(self, on: bool) -> None:
        app = QApplication.instance()
        if on and not self._filtering:
            app.installEventFilter(self)
        elif not on and self._filtering:
            app.removeEventFilter(self)
        self._filtering = on

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        if kind not in (QEvent.Type.Show, QEvent.Type.StyleChange) or not isinstance(obj, QWidget):
            return False
        if not self.window.isAncestorOf(obj):
            return False
        if kind == QEvent.Type.Show and isinstance(obj, pg.GraphicsView):
            style_view(obj, self.look())
        # a panel set a style sheet (a red error; a new card, styled before it was put in the window): zoom its
        # font sizes, turn its colours dark (nothing to do when it already has the current look)
        _zoom.restyle_sheet(obj, self.zoom_percent / 100.0, self.dark, repolish=False)
        return False

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.help_dialog is not None and self.help_dialog.isVisible():
            self.help_dialog.show_tab(self.current_tab_title())

    # --- help --------------------------------------------------------------------------------------------------
    def current_tab_title(self) -> str:
        tabs = getattr(self.window, "tabs", None)
        if tabs is None or tabs.currentIndex() < 0:
            return "cnnviz"
        return tabs.tabText(tabs.currentIndex()).replace("&", "")

    @Slot()
    def show_help(self) -> HelpDialog:
        if self.help_dialog is None:
            self.help_dialog = HelpDialog(self.window)
        self.help_dialog.show_tab(self.current_tab_title())
        self.help_dialog.show()
        self.help_dialog.raise_()
        return self.help_dialog

    @Slot()
    def show_shortcuts(self) -> ShortcutsDialog:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self.window)
        else:
            self.shortcuts_dialog.refresh(self.window)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def shutdown(self) -> None:
        """Stop watching for new plots (the window is going)."""
        self._set_filtering(False)
