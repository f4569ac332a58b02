"""The guided lesson: a dock beside any tab that walks through a lesson file (cnnviz.core.lecture.lessons)."""
from .panel import LessonPanel

__all__ = ["LessonPanel"]
