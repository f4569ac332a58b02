"""A QTabWidget whose pages scroll instead of growing the window.

A QTabWidget's minimum size is the largest minimum of ALL its pages (QStackedLayout), so one wide page (the
inspector's step-by-step grids, a long 1D convolution strip) raised the main window's minimum size past a
1280x720 screen as soon as it existed, pushing buttons and the status bar off-screen. Here every page sits in a
frameless, resizable QScrollArea: while the tab is at least as big as the page's minimum the page fills it exactly
as before; when it is smaller the page scrolls. The tab widget's own minimum is then the tab bar's.

The page API speaks of the pages themselves, not their scroll areas: ``widget(i)``, ``currentWidget()``,
``setCurrentWidget(page)`` and ``indexOf(page)`` work as on a plain QTabWidget (``scroll_area(i)`` gives the
wrapper).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget


class ScrollTabs(QTabWidget):
    """QTabWidget with every page in a QScrollArea (see the module docstring)."""

    def _wrap(self, page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setObjectName(f"scroll:{page.objectName() or type(page).__name__}")
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        area.setWidget(page)
        return area

    def addTab(self, page: QWidget, *args) -> int:  # noqa: N802 - Qt's name
        return super().addTab(self._wrap(page), *args)

    def insertTab(self, index: int, page: QWidget, *args) -> int:  # noqa: N802 - Qt's name
        return super().insertTab(index, self._wrap(page), *args)

    def scroll_area(self, index: int) -> QScrollArea | None:
        area = super().widget(index)
        return area if isinstance(area, QScrollArea) else None

    def widget(self, index: int) -> QWidget | None:
        area = self.scroll_area(index)
        return area.widget() if area is not None else None

    def currentWidget(self) -> QWidget | None:  # noqa: N802 - Qt's name
        return self.widget(self.currentIndex())

    def indexOf(self, page: QWidget) -> int:  # noqa: N802 - Qt's name
        for i in range(self.count()):
            if self.widget(i) is page:
                return i
        return super().indexOf(page)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802 - Qt's name
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)

    def removeTab(self, index: int) -> None:  # noqa: N802 - Qt's name
        """Remove the tab; its page is taken out of the scroll area (unparented, as QTabWidget leaves it)."""
        area = self.scroll_area(index)
        super().removeTab(index)
        if area is not None:
            area.takeWidget()
            area.deleteLater()
