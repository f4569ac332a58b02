"""Help > Help for this tab (F1) and Help > Keyboard shortcuts.

The help of each tab is a Markdown file in ``resources/help/<tab>.md`` (a teacher edits it without Python),
shown in a non-modal window that follows the current tab while it is open. The shortcut list is collected from
the window at the moment it is opened (every QAction and QShortcut with a key), so it is never out of date.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QMainWindow, QMenu, QTableWidget,
                               QTableWidgetItem, QTabWidget, QTextBrowser, QVBoxLayout, QWidget)

from cnnviz.resources import resource_path


def help_file_name(tab_title: str) -> str:
    return tab_title.strip().lower().replace(" ", "_") + ".md"


def help_markdown(tab_title: str) -> str:
    """The help text of the tab called ``tab_title``, or one line saying which file is missing."""
    try:
        return resource_path("help", help_file_name(tab_title)).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError, UnicodeDecodeError) as exc:
        return f"# {tab_title}\n\nNo help for this tab: {exc}"


class HelpDialog(QDialog):
    """A window beside the app with the help of one tab (non-modal: the app stays usable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classroom_help")
        self.setModal(False)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.tab_title = ""
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def show_tab(self, title: str) -> None:
        self.tab_title = title
        self.setWindowTitle(f"Help: {title} tab")
        self.browser.setMarkdown(help_markdown(title))


@dataclass(frozen=True)
class Shortcut:
    keys: str     # e.g. "Ctrl+S", several separated by ", "
    name: str     # what it does
    where: str    # the menu path, or the tab it belongs to


def _clean(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "...").strip()


def _menu_paths(window: QMainWindow) -> dict[int, tuple[int, str]]:
    """id(action) -> (its place in the menus, top to bottom; its menu's path "View > Theme")."""
    paths: dict[int, tuple[int, str]] = {}

    def walk(menu: QMenu, prefix: str) -> None:
        for act in menu.actions():
            path = f"{prefix} > {_clean(act.text())}" if prefix else _clean(act.text())
            if act.menu() is not None:
                walk(act.menu(), path)
            else:
                paths.setdefault(id(act), (len(paths), prefix))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _clean(top.text()))
    return paths


def _tab_of(obj: QObject, window: QMainWindow) -> str:
    tabs = getattr(window, "tabs", None)
    node = obj
    while node is not None:
        if isinstance(tabs, QTabWidget) and isinstance(node, QWidget):
            index = tabs.indexOf(node)
            if index >= 0:
                return f"{tabs.tabText(index)} tab"
        node = node.parent()
    return "window"


def collect_shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action and shortcut of ``window`` that has a key: the menus' in their order, then each tab's."""
    paths = _menu_paths(window)
    seen: set[int] = set()
    found: list[tuple[tuple, Shortcut]] = []
    for act in [*window.findChildren(QAction), *window.actions()]:
        if id(act) in seen:
            continue
        seen.add(id(act))
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts() if not k.isEmpty()]
        if not keys or not act.text():
            continue
        name = _clean(act.text())
        if id(act) in paths:
            order, where = paths[id(act)]
            found.append(((0, order), Shortcut(", ".join(keys), name, where)))
        else:
            where = _tab_of(act.parent(), window)
            found.append(((1, where, name), Shortcut(", ".join(keys), name, where)))
    for sc in window.findChildren(QShortcut):
        key = sc.key()
        if key.isEmpty():
            continue
        name = _clean(sc.whatsThis() or sc.objectName() or "") or "panel shortcut"
        where = _tab_of(sc.parent(), window)
        found.append(((1, where, name), Shortcut(key.toString(QKeySequence.SequenceFormat.NativeText), name, where)))
    return [sc for _key, sc in sorted(found, key=lambda pair: pair[0])]   # the menus' order, then each tab's


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: a table of every shortcut of the window (non-modal)."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("classroom_shortcuts")
        self.setWindowTitle("Keyboard shortcuts")
        self.setModal(False)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Does", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        note = QLabel("Collected from the window now: every menu command and panel action that has a key.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)
        self.refresh(window)

    def refresh(self, window: QMainWindow) -> None:
        shortcuts = collect_shortcuts(window)
        self.table.setRowCount(len(shortcuts))
        for row, sc in enumerate(shortcuts):
            for col, text in enumerate((sc.keys, sc.name, sc.where)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, col, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)

    def keys(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]
