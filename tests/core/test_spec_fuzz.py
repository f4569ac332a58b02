"""Fuzzing the spec loader and the shape arithmetic: never an unhandled exception, every refusal a message."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.core.model.shapes import infer_shapes, summary_table
from cnnviz.core.model.spec import LAYER_KINDS, ModelSpec, SpecError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)

param_names = sorted({f.name for kind in LAYER_KINDS.values() for f in kind.fields})
layer_dicts = st.fixed_dictionaries(
    {"type": st.sampled_from(list(LAYER_KINDS) + ["Conv3D", "MaxPool2D", ""]), "name": st.text(max_size=10)},
    optional={name: json_values | st.integers(-3, 60) | st.lists(st.integers(-3, 60), max_size=3)
              for name in param_names})
spec_dicts = st.fixed_dictionaries(
    {"schema_version": st.sampled_from([1, 1, 1, 0, 2, "1", None]),
     "input_shape": st.lists(st.integers(-2, 64), min_size=2, max_size=4) | json_values,
     "layers": st.lists(layer_dicts, max_size=6) | json_values},
    optional={"name": json_values, "schema": st.sampled_from(["cnnviz.model-spec", "other"])})


def _check(text: str) -> None:
    try:
        spec = ModelSpec.from_json(text)
    except SpecError as exc:
        assert str(exc).strip(), "a refusal must say why"
        return
    report = infer_shapes(spec)  # must not raise, whatever the values
    for problem in report.problems:
        assert problem.message.strip()
    summary_table(spec, report)
    assert ModelSpec.from_json(spec.to_json()) == spec  # whatever loads, saves and loads the same


@settings(max_examples=400, deadline=None, derandomize=True)
@given(spec_dicts)
def test_structured_but_malformed_specs(data):
    _check(json.dumps(data))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=80) | json_values.map(json.dumps))
def test_arbitrary_text(text):
    _check(text)
