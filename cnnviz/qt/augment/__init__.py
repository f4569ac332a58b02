"""The Augment tab: the lecture's image transformations and the CelebA training augmentation, made visible."""
from .panel import AugmentPanel

__all__ = ["AugmentPanel"]
