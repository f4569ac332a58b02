"""The Inspector tab: feature maps, kernels, the convolution step by step, saliency and ablation for one image."""
from .panel import InspectorPanel

__all__ = ["InspectorPanel"]
