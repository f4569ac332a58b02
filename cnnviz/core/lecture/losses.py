"""Loss functions for classification, by hand and by Keras, for one example.

The lecture's three cases: binary classification (``BinaryCrossentropy``), multiclass with one-hot labels
(``CategoricalCrossentropy``) and multiclass with integer labels (``SparseCategoricalCrossentropy``), each from
probabilities or from logits (``from_logits=True``).

:func:`hand_loss` computes a case in float32 numpy exactly the way Keras 3's TensorFlow backend does
(keras/src/backend/tensorflow/nn.py), keeping every term so a view can print the formula with its numbers:

* from probabilities Keras clips each probability to [eps, 1 - eps] (eps = ``keras.config.epsilon()``, 1e-7), so
  a probability of 0 or 1 gives a large finite loss (-log(1e-7) = 16.12) instead of infinity;
  ``CategoricalCrossentropy`` first divides the probabilities by their sum; the sparse loss takes the log of the
  clipped probabilities as logits (so it renormalises through a softmax, after clipping);
* from logits nothing is clipped: binary uses the stable form max(z, 0) - z*y + log(1 + exp(-|z|)), multiclass
  log-sum-exp(z) - z[label].

:func:`keras_losses` asks Keras's loss objects for the same cases (TensorFlow imported lazily, so call it off the
GUI thread). :func:`related_cases` builds the cases a student compares for one prediction and :func:`pairs` says
which of them should agree and why, or why not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPSILON = 1e-7          # keras.config.epsilon()'s default
KINDS = ("binary", "categorical", "sparse")
KERAS_CLASSES = {"binary": "BinaryCrossentropy", "categorical": "CategoricalCrossentropy",
                 "sparse": "SparseCategoricalCrossentropy"}
AGREE_ATOL = 1e-5       # two float32 losses "agree" when |a - b| <= AGREE_ATOL + AGREE_RTOL * |b|
AGREE_RTOL = 1e-4


class LossInputError(ValueError):
    """A label or prediction that is not a valid input for the loss; the message says which value and why."""


@dataclass(frozen=True)
class LossCase:
    """One example: ``kind`` in KINDS, ``label`` (binary 0/1, else a class index), ``values`` (one probability or
    logit for binary, one per class otherwise) and whether they are logits."""

    kind: str
    label: int
    values: tuple[float, ...]
    from_logits: bool = False

    @property
    def keras_name(self) -> str:
        return f"{KERAS_CLASSES[self.kind]}(from_logits={self.from_logits})"

    @property
    def label_text(self) -> str:
        if self.kind == "categorical":
            return "one-hot y = [" + ", ".join("1" if k == self.label else "0" for k in range(len(self.values))) + "]"
        return f"y = {self.label}"


@dataclass(frozen=True)
class HandLoss:
    """The loss of ``case`` computed by hand: ``steps`` are lines of the formula with its numbers; ``clipped``
    the indices of the probabilities that Keras's epsilon clipping changed."""

    case: LossCase
    loss: float
    formula: str
    steps: tuple[str, ...]
    clipped: tuple[int, ...]
    epsilon: float


def validate(case: LossCase) -> None:
    """Raise LossInputError unless ``case`` is a valid single-example input."""
    if case.kind not in KINDS:
        raise LossInputError(f"Unknown loss kind {case.kind!r}; choose one of {', '.join(KINDS)}.")
    values = np.asarray(case.values, dtype=np.float64)
    if case.kind == "binary":
        if values.shape != (1,):
            raise LossInputError(f"Binary cross-entropy takes one value per example, got {values.size}.")
        if case.label not in (0, 1):
            raise LossInputError(f"A binary label is 0 or 1, got {case.label}.")
    else:
        if values.size < 2:
            raise LossInputError("Multiclass cross-entropy needs at least two classes.")
        if not 0 <= case.label < values.size:
            raise LossInputError(f"The label {case.label} is not a class index 0..{values.size - 1}.")
    if not np.all(np.isfinite(values)):
        raise LossInputError("Every value must be a finite number.")
    if not case.from_logits:
        bad = [i for i, v in enumerate(values) if not 0.0 <= v <= 1.0]
        if bad:
            raise LossInputError(f"Probability {values[bad[0]]:g} (class {bad[0]}) is outside 0..1.")
        if case.kind == "categorical" and values.sum() <= 0:
            raise LossInputError("The probabilities sum to 0: CategoricalCrossentropy divides by their sum.")


def _g(x: float) -> str:
    return f"{float(x):.6g}"


def _p(x: float) -> str:
    """A number to subtract: negative ones in parentheses."""
    return f"({_g(x)})" if float(x) < 0 else _g(x)


def _clip(p: np.ndarray, eps: float) -> np.ndarray:
    return np.clip(p, np.float32(eps), np.float32(1.0 - eps)).astype(np.float32)


def _log_sum_exp(z: np.ndarray) -> tuple[np.float32, np.float32]:
    m = np.max(z)
    return m, np.float32(m + np.log(np.sum(np.exp(z - m, dtype=np.float32), dtype=np.float32)))


def hand_loss(case: LossCase, epsilon: float = EPSILON) -> HandLoss:
    """The loss of one example computed in float32 numpy as Keras computes it, with every term."""
    validate(case)
    v = np.asarray(case.values, dtype=np.float32)
    y, eps = case.label, epsilon
    if case.kind == "binary":
        return _binary(case, v[0], y, eps)
    if case.from_logits:
        m, lse = _log_sum_exp(v)
        loss = np.float32(lse - v[y])
        soft = np.exp(v - lse)
        formula = "L = log Σₖ exp(zₖ) − z[y]   (= −log softmax(z)[y]; logits are not clipped)"
        steps = (f"z = [{', '.join(_g(x) for x in v)}], y = {y}",
                 f"softmax(z) = [{', '.join(_g(x) for x in soft)}]",
                 f"log Σₖ exp(zₖ) = {_g(m)} + log Σₖ exp(zₖ − {_p(m)}) = {_g(lse)}",
                 f"L = {_g(lse)} − {_p(v[y])} = {_g(loss)}")
        return HandLoss(case, float(loss), formula, steps, (), eps)
    if case.kind == "categorical":
        total = np.sum(v, dtype=np.float32)
        q = (v / total).astype(np.float32)
        qc = _clip(q, eps)
        clipped = tuple(int(i) for i in np.flatnonzero(qc != q))
        onehot = np.zeros_like(v)
        onehot[y] = 1
        terms = np.where(onehot > 0, onehot * np.log(qc), np.float32(0)).astype(np.float32)
        loss = np.float32(-np.sum(onehot * np.log(qc), dtype=np.float32))
        formula = "L = −Σₖ yₖ · log clip(pₖ / Σⱼ pⱼ, ε, 1 − ε)   (y one-hot)"
        steps = (f"p = [{', '.join(_g(x) for x in v)}], Σ p = {_g(total)}",
                 f"p / Σ p = [{', '.join(_g(x) for x in q)}]",
                 f"clipped to [{_g(eps)}, 1 − {_g(eps)}]: [{', '.join(_g(x) for x in qc)}]"
                 + (f" (class {', '.join(map(str, clipped))} clipped)" if clipped else " (nothing clipped)"),
                 "L = −(" + " + ".join(f"{int(onehot[k])}·log {_g(qc[k])}" for k in range(v.size)) + ")",
                 f"  = −({' + '.join(_g(t) for t in terms)}) = {_g(loss)}")
        return HandLoss(case, float(loss), formula, steps, clipped, eps)
    pc = _clip(v, eps)
    clipped = tuple(int(i) for i in np.flatnonzero(pc != v))
    logits = np.log(pc).astype(np.float32)
    m, lse = _log_sum_exp(logits)
    loss = np.float32(lse - logits[y])
    formula = "L = −log( clip(p[y]) / Σₖ clip(pₖ) )   (clip to [ε, 1 − ε]; y an integer)"
    steps = (f"p = [{', '.join(_g(x) for x in v)}], y = {y}",
             f"clipped to [{_g(eps)}, 1 − {_g(eps)}]: [{', '.join(_g(x) for x in pc)}]"
             + (f" (class {', '.join(map(str, clipped))} clipped)" if clipped else " (nothing clipped)"),
             f"log Σₖ clip(pₖ) = {_g(lse)}, log clip(p[{y}]) = {_g(logits[y])}",
             f"L = {_g(lse)} − ({_g(logits[y])}) = {_g(loss)}")
    return HandLoss(case, float(loss), formula, steps, clipped, eps)


def _binary(case: LossCase, v: np.float32, y: int, eps: float) -> HandLoss:
    if case.from_logits:
        relu, absz = np.maximum(v, np.float32(0)), np.abs(v)
        soft = np.log1p(np.exp(-absz, dtype=np.float32), dtype=np.float32)
        loss = np.float32(relu - v * np.float32(y) + soft)
        sigma = np.float32(1) / (np.float32(1) + np.exp(-v, dtype=np.float32))
        formula = "L = max(z, 0) − z·y + log(1 + exp(−|z|))   (= −[y log σ(z) + (1 − y) log(1 − σ(z))], not clipped)"
        steps = (f"z = {_g(v)}, y = {y}, σ(z) = 1 / (1 + exp(−z)) = {_g(sigma)}",
                 f"L = {_g(relu)} − {_g(v)}·{y} + log(1 + exp(−{_g(absz)}))",
                 f"  = {_g(relu)} − {_g(v * y)} + {_g(soft)} = {_g(loss)}")
        return HandLoss(case, float(loss), formula, steps, (), eps)
    pc = _clip(np.array([v], np.float32), eps)[0]
    clipped = (0,) if pc != v else ()
    yf = np.float32(y)
    a = yf * np.log(pc)
    b = (np.float32(1) - yf) * np.log(np.float32(1) - pc)
    loss = np.float32(-(a + b))
    formula = "L = −[ y·log p + (1 − y)·log(1 − p) ]   with p clipped to [ε, 1 − ε]"
    steps = (f"p = {_g(v)}, y = {y}" + (f"; clipped to {_g(pc)} (ε = {_g(eps)})" if clipped else ""),
             f"L = −[ {y}·log {_g(pc)} + {1 - y}·log(1 − {_g(pc)}) ]",
             f"  = −[ {_g(a)} + {_g(b)} ] = {_g(loss)}")
    return HandLoss(case, float(loss), formula, steps, clipped, eps)


def keras_losses(cases: list[LossCase] | tuple[LossCase, ...]) -> tuple[float, ...]:
    """Each case's loss computed by Keras's loss object (imports TensorFlow: call it off the GUI thread)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    out = []
    for case in cases:
        validate(case)
        y_pred = np.asarray(case.values, dtype=np.float32)[None, :]
        if case.kind == "binary":
            loss = keras.losses.BinaryCrossentropy(from_logits=case.from_logits)
            y_true = np.array([[case.label]], np.float32)
        elif case.kind == "categorical":
            loss = keras.losses.CategoricalCrossentropy(from_logits=case.from_logits)
            y_true = np.eye(y_pred.shape[1], dtype=np.float32)[[case.label]]
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=case.from_logits)
            y_true = np.array([case.label], np.int64)
        out.append(float(np.asarray(loss(y_true, y_pred))))
    return tuple(out)


def keras_epsilon() -> float:
    """Keras's fuzz factor (what it clips probabilities with)."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return float(keras.config.epsilon())


def sigmoid(z: float) -> float:
    return float(np.float32(1) / (np.float32(1) + np.exp(-np.float32(z))))


def softmax(z) -> tuple[float, ...]:
    z = np.asarray(z, np.float32)
    e = np.exp(z - np.max(z))
    return tuple(float(x) for x in (e / np.sum(e)).astype(np.float32))


def related_cases(task: str, label: int, values, given: str) -> tuple[LossCase, ...]:
    """The cases a student compares for one prediction. ``task`` "binary" or "multiclass"; ``given``
    "probabilities" or "logits" (what the student typed). The other form is derived: probabilities from logits
    by sigmoid/softmax; logits from probabilities by log(p / (1 - p)) or log p, only when no probability is 0
    or 1 (those have no finite logit). Multiclass gives the one-hot and the integer-label loss of each form."""
    values = tuple(float(v) for v in values)
    logits_given = given == "logits"
    if given not in ("probabilities", "logits"):
        raise LossInputError(f"given is 'probabilities' or 'logits', not {given!r}.")
    if task == "binary":
        first = LossCase("binary", label, values, logits_given)
        validate(first)
        p = np.float32(values[0])     # the float32 value Keras sees
        if logits_given:
            return first, LossCase("binary", label, (sigmoid(p),), False)
        if 0.0 < p < 1.0:
            return first, LossCase("binary", label, (float(np.log(p) - np.log1p(-p)),), True)
        return (first,)
    if task != "multiclass":
        raise LossInputError(f"task is 'binary' or 'multiclass', not {task!r}.")
    cases = [LossCase("categorical", label, values, logits_given), LossCase("sparse", label, values, logits_given)]
    for c in cases:
        validate(c)
    if logits_given:
        other = softmax(values)
    elif np.all(np.asarray(values, np.float32) > 0.0):
        other = tuple(float(x) for x in np.log(np.asarray(values, np.float32)))
    else:
        return tuple(cases)
    cases += [LossCase("categorical", label, other, not logits_given), LossCase("sparse", label, other, not logits_given)]
    return tuple(cases)


@dataclass(frozen=True)
class Pair:
    """Two of the cases that compute the same quantity (``relation``: "one-hot vs integer label" or "logits vs
    probabilities"); ``clipped_by`` names those of the two whose probabilities Keras clipped."""

    a: int
    b: int
    relation: str
    clipped_by: tuple[str, ...]
    rounded_by: tuple[str, ...] = ()

    def verdict(self, loss_a: float, loss_b: float) -> tuple[bool, str]:
        """(equal?, the sentence a student reads) for the two losses Keras computed."""
        same = agree(loss_a, loss_b)
        if same and not self.clipped_by:
            why = ("only the label is written differently" if self.relation.startswith("one-hot")
                   else "the probabilities are the sigmoid/softmax of the logits")
            return True, f"{self.relation}: equal, as they should be ({why})."
        if same:
            return True, (f"{self.relation}: equal here, although {' and '.join(self.clipped_by)} clipped a "
                          "probability to [ε, 1 − ε] (the clipped value weighs the same in both).")
        if self.clipped_by:
            return False, (f"{self.relation}: differ, because {' and '.join(self.clipped_by)} clipped a probability "
                           "to [ε, 1 − ε]; logits are never clipped, and the one-hot loss clips after dividing by "
                           "the sum, the integer-label loss before.")
        if self.rounded_by:
            return False, (f"{self.relation}: differ, because the probability is so close to 1 that float32 keeps "
                           "few digits of 1 − p (why Keras advises from_logits=True).")
        return False, f"{self.relation}: differ, and no value was clipped: this should not happen."


def agree(x: float, y: float) -> bool:
    return abs(x - y) <= AGREE_ATOL + AGREE_RTOL * abs(y)


def loses_precision(case: LossCase) -> bool:
    """True when a binary probability's float32 rounding alone moves log(1 - p) by more than the agreement
    tolerance (p close to 1 with label 0): the loss from p then differs from the loss from its logit."""
    if case.kind != "binary" or case.from_logits or case.label != 0:
        return False
    p = np.float32(case.values[0])
    return bool(p < 1 and np.spacing(p) / (1 - float(p)) > AGREE_ATOL)


def pairs(cases, hands=None) -> tuple[Pair, ...]:
    """The pairs among ``cases`` that compute the same quantity: one-hot vs integer label (same form) and
    logits vs probabilities (same kind of loss)."""
    hands = hands if hands is not None else [hand_loss(c) for c in cases]
    out = []
    for i, a in enumerate(cases):
        for j in range(i + 1, len(cases)):
            b = cases[j]
            clipped = tuple(h.case.keras_name for h in (hands[i], hands[j]) if h.clipped)
            rounded = tuple(h.case.keras_name for h in (hands[i], hands[j]) if loses_precision(h.case))
            if a.kind != b.kind and a.from_logits == b.from_logits:
                form = "logits" if a.from_logits else "probabilities"
                out.append(Pair(i, j, f"one-hot vs integer label (from {form})", clipped))
            elif a.kind == b.kind and a.from_logits != b.from_logits:
                out.append(Pair(i, j, f"logits vs probabilities ({KERAS_CLASSES[a.kind]})", clipped, rounded))
    return tuple(out)


def prediction_from_outputs(outputs, last_activation: str) -> tuple[str, str, tuple[float, ...]]:
    """(task, given, values) for one example's model outputs, from the last layer's activation name:
    sigmoid/softmax outputs are probabilities, linear ones logits; anything else cannot be read as either."""
    values = tuple(float(v) for v in np.asarray(outputs, np.float64).ravel())
    task = "binary" if len(values) == 1 else "multiclass"
    act = (last_activation or "linear").lower()
    if act in ("sigmoid", "softmax"):
        return task, "probabilities", values
    if act == "linear":
        return task, "logits", values
    raise LossInputError(f"The model's last layer uses the {act!r} activation: its outputs are neither "
                         "probabilities (sigmoid/softmax) nor logits (linear).")


def model_prediction(model, image: np.ndarray) -> tuple[str, str, tuple[float, ...]]:
    """Run ``model`` on one float32 HWC image (inference mode): (task, given, values) as for
    :func:`prediction_from_outputs`. Imports TensorFlow: call it off the GUI thread."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    out = np.asarray(model(np.asarray(image, np.float32)[None], training=False))[0]
    act = getattr(getattr(model.layers[-1], "activation", None), "__name__", "linear") if model.layers else "linear"
    return prediction_from_outputs(out, act)
