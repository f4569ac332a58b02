"""The Lecture tab: explorers for the lecture's sections (see cnnviz.qt.lecture.panel.LecturePanel)."""
from .panel import LecturePanel

__all__ = ["LecturePanel"]
