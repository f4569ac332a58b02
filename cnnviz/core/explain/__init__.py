"""Why a model answers as it does, and what its units look for: attributions (occlusion, integrated gradients,
deletion curves) and activation maximization. Qt-free; numpy in and out, images HWC float32 in the model's input
scale (0..1, as everywhere in cnnviz); TensorFlow is imported lazily through :mod:`cnnviz.core.tf_runtime`."""
