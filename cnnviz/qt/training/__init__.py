"""The Training tab (issue 4): set-up form, live plots, results. See :class:`TrainingPanel`."""
from .panel import TrainingPanel

__all__ = ["TrainingPanel"]
