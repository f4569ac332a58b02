"""The Builder tab: edit a model as a list of layers, see its shapes, parameters and errors live."""
from .document import SpecDocument
from .panel import BuilderPanel

__all__ = ["BuilderPanel", "SpecDocument"]
