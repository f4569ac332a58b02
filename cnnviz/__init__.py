"""cnnviz: a desktop studio for learning and exploring convolutional neural networks."""

__version__ = "0.1.0"
