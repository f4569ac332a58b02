"""The Draw tab: a drawing canvas, live digit prediction and the preprocessing strip."""
from .drawing import CANVAS_SIZE, DrawingCanvas
from .panel import DrawPanel

__all__ = ["CANVAS_SIZE", "DrawPanel", "DrawingCanvas"]
