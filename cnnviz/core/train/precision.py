"""Mixed precision: which Keras dtype policy a run trains with, and why.

``float32`` everywhere is the safe default. ``mixed_bfloat16`` computes in bfloat16 and keeps the weights in
float32: on CPUs with bfloat16 instructions (AVX-512 BF16, AMX) the lecture model trains 1.7x faster at batch 64
and 2x at batch 128 (benchmarks/precision.py). ``mixed_float16`` is the usual win on NVIDIA GPUs with tensor cores
(compute capability 7.0 and later). ``auto`` picks one of the three
from the hardware and says why. Whatever the policy, the output layer computes in float32 (a softmax in 16 bits
loses the small probabilities the loss needs), the weights stay float32, and :func:`as_float32` gives the plain
float32 model that export and verification work on.

No TensorFlow at import; :func:`hardware` asks TensorFlow only about GPUs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")
EXPLANATIONS = {
    "float32": "32-bit floats everywhere (the safe default)",
    "mixed_bfloat16": "compute in bfloat16, weights in float32: 1.7-2x faster on CPUs with AVX-512 BF16 or AMX",
    "mixed_float16": "compute in float16, weights in float32: the usual win on NVIDIA GPUs with tensor cores",
    "auto": "bfloat16 on CPUs that have it in hardware, float16 on GPUs with tensor cores, float32 otherwise",
}
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Hardware:
    """What decides the automatic choice: the CPU's feature flags and each GPU's compute capability."""

    cpu_flags: frozenset[str]
    gpus: tuple[tuple[str, tuple[int, int] | None], ...] = ()   # (name, (major, minor)) per GPU


@dataclass(frozen=True)
class Precision:
    policy: str   # a Keras dtype policy name: float32, mixed_bfloat16, mixed_float16
    reason: str   # one line for the user: what was chosen and why

    @property
    def mixed(self) -> bool:
        return self.policy != "float32"


def cpu_flags(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo); empty where that file does not exist or cannot be read."""
    try:
        with open(Path(cpuinfo), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f):
                if line.startswith("flags") and ":" in line:
                    return frozenset(line.split(":", 1)[1].split())
                if n > 200:   # the first processor's block is enough
                    break
    except OSError:
        pass
    return frozenset()


def hardware() -> Hardware:
    """This machine's CPU flags and GPUs (imports TensorFlow to list the GPUs)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import tensorflow as tf

    gpus = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except (RuntimeError, ValueError):
            details = {}
        cc = details.get("compute_capability")
        gpus.append((str(details.get("device_name", device.name)), tuple(cc) if cc else None))
    return Hardware(cpu_flags(), tuple(gpus))


def resolve(choice: str, hw: Hardware | None = None) -> Precision:
    """The policy for a setting of PRECISIONS on ``hw`` (this machine when None), with the reason.

    ValueError for an unknown setting."""
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {choice!r}")
    if choice == "float32":
        return Precision("float32", "float32: 32-bit floats everywhere")
    hw = hardware() if hw is None else hw
    bf16 = sorted(set(BF16_CPU_FLAGS) & hw.cpu_flags)
    tensor_cores = [(name, cc) for name, cc in hw.gpus if cc is not None and tuple(cc) >= (7, 0)]
    if choice == "mixed_bfloat16":
        ampere = [name for name, cc in hw.gpus if cc is not None and tuple(cc) >= (8, 0)]
        if bf16:
            note = f"this CPU has {' and '.join(bf16)}"
        elif ampere:
            note = f"{ampere[0]} computes bfloat16 in hardware"
        else:
            note = ("no bfloat16 hardware here (avx512_bf16, amx_bf16 or a GPU of compute capability 8.0+): "
                    "TensorFlow emulates it, likely slower than float32")
        return Precision("mixed_bfloat16", f"mixed_bfloat16 (as asked): {note}")
    if choice == "mixed_float16":
        note = (f"{tensor_cores[0][0]} has tensor cores (compute capability "
                f"{'.'.join(map(str, tensor_cores[0][1]))})" if tensor_cores else
                "no GPU with tensor cores here, so float16 is likely slower than float32")
        return Precision("mixed_float16", f"mixed_float16 (as asked): {note}")
    # auto
    if tensor_cores:
        name, cc = tensor_cores[0]
        return Precision("mixed_float16", f"auto chose mixed_float16: {name} has tensor cores (compute capability "
                                          f"{cc[0]}.{cc[1]})")
    if hw.gpus:
        name, cc = hw.gpus[0]
        what = f"compute capability {cc[0]}.{cc[1]}" if cc else "an unknown compute capability"
        return Precision("float32", f"auto chose float32: {name} has {what}, no tensor cores for float16")
    if bf16:
        return Precision("mixed_bfloat16", f"auto chose mixed_bfloat16: this CPU has {' and '.join(bf16)}")
    return Precision("float32", "auto chose float32: no GPU, and this CPU has no bfloat16 instructions "
                                "(avx512_bf16, amx_bf16)")


def apply_policy(model, policy: str):
    """A copy of ``model`` whose layers compute with ``policy`` (the last layer in float32), same weights.

    ``model`` itself is returned when it already is that (float32 models stay float32)."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    want = [policy] * (len(layers) - 1) + ["float32"]
    if [layer.dtype_policy.name for layer in layers] == want:
        return model
    targets = dict(zip((layer.name for layer in layers), want))

    def clone(layer):
        config = layer.get_config()
        config["dtype"] = targets.get(layer.name, "float32")
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def as_float32(model):
    """The model with every layer computing in float32 (the weights are float32 in every mixed policy, so the
    numbers are the trained ones); ``model`` itself when it is float32 already. For export and verification."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if all(layer.dtype_policy.name == "float32" for layer in layers):
        return model
    return apply_policy(model, "float32")


def model_policy(model) -> str:
    """The policy most of the model's layers compute with (float32 for a plain model)."""
    import keras

    names = [layer.dtype_policy.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    mixed = [n for n in names if n != "float32"]
    return max(set(mixed), key=mixed.count) if mixed else "float32"
