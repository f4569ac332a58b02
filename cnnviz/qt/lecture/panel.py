"""The Lecture tab: one sub-tab per explorer of a lecture section.

Cheap to make: no explorer imports TensorFlow when it is built; Keras's numbers are asked for on the TensorFlow
lane when an explorer is first shown. Each explorer sits in a QScrollArea, so a wide one never raises the
window's minimum size. Further explorers are added with :meth:`LecturePanel.add_explorer`.
"""
from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget

from cnnviz.qt.state import AppState

from .dropout_view import DropoutView
from .loss_view import LossView


class LecturePanel(QTabWidget):
    def __init__(self, state: AppState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else AppState(parent=self)
        self.setDocumentMode(True)
        self.loss_view = self.add_explorer(LossView(self.state), "Loss functions")
        self.dropout_view = self.add_explorer(DropoutView(self.state), "Dropout")
        from .channels_view import ChannelsPoolingView
        from .conv2d_view import Conv2DLectureView
        from .receptive_view import ReceptiveFieldView

        self.conv2d_view = self.add_explorer(Conv2DLectureView(), "2D convolution")
        self.channels_view = self.add_explorer(ChannelsPoolingView(), "Channels and pooling")
        self.receptive_view = self.add_explorer(ReceptiveFieldView(self.state), "Receptive fields")

    def add_explorer(self, widget: QWidget, title: str) -> QWidget:
        """Add ``widget`` as a sub-tab called ``title`` (inside a scroll area); returns the widget."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        self.addTab(scroll, title)
        return widget

    def explorer(self, title: str) -> QWidget | None:
        for i in range(self.count()):
            if self.tabText(i) == title:
                return self.widget(i).widget()
        return None

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop the lanes when this panel made its own state (a test, a preview); the window stops its own."""
        return self.state.shutdown_own_background(timeout_ms)
