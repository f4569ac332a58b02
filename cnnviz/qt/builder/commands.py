"""Undoable edits of a ModelSpec: one QUndoCommand per kind of edit.

Each command computes the spec after the edit when it is created and keeps the spec before it; redo/undo hand a
copy of one or the other to the document. Specs are a few hundred bytes, so snapshots are simpler and safer
than inverse operations. Successive edits of the same field (typing "50" into a spin box emits 5, then 50)
merge into one command, so one undo takes the field back to where it was.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from cnnviz.core.model.presets import PRESETS, get_preset
from cnnviz.core.model.spec import ModelSpec

if TYPE_CHECKING:  # pragma: no cover
    from .document import SpecDocument

_EDIT_FIELD_ID = 1001
_INPUT_SHAPE_ID = 1002


class SpecCommand(QUndoCommand):
    """Replace the document's spec by ``after`` (redo) or the spec it had before (undo)."""

    def __init__(self, document: "SpecDocument", after: ModelSpec, text: str, focus_after: int,
                 focus_before: int | None = None) -> None:
        super().__init__(text)
        self._document = document
        self._before = document.spec.copy()
        self._after = after
        self._focus_after = focus_after
        self._focus_before = focus_after if focus_before is None else focus_before

    def redo(self) -> None:
        self._document._apply(self._after.copy(), self._focus_after)

    def undo(self) -> None:
        self._document._apply(self._before.copy(), self._focus_before)


class AddLayerCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", kind: str, index: int) -> None:
        after = document.spec.copy()
        layer = after.new_layer(kind)
        index = max(0, min(index, len(after.layers)))
        after.layers.insert(index, layer)
        super().__init__(document, after, f"Add {layer.name} ({layer.kind})", index,
                         focus_before=min(index, len(after.layers) - 2))


class RemoveLayerCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", index: int) -> None:
        after = document.spec.copy()
        layer = after.layers.pop(index)
        super().__init__(document, after, f"Remove {layer.name}", min(index, len(after.layers) - 1),
                         focus_before=index)


class DuplicateLayerCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", index: int) -> None:
        after = document.spec.copy()
        source = after.layers[index]
        twin = copy.deepcopy(source)
        twin.name = after.unique_name(source.layer_kind.prefix)
        after.layers.insert(index + 1, twin)
        super().__init__(document, after, f"Duplicate {source.name}", index + 1, focus_before=index)


class MoveLayerCommand(SpecCommand):
    """Move the layer at ``source`` so that it ends up at index ``target`` (indices of the list after the move)."""

    def __init__(self, document: "SpecDocument", source: int, target: int) -> None:
        after = document.spec.copy()
        layer = after.layers.pop(source)
        after.layers.insert(target, layer)
        super().__init__(document, after, f"Move {layer.name}", target, focus_before=source)


class EditFieldCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", index: int, name: str, value: Any) -> None:
        after = document.spec.copy()
        layer = after.layers[index]
        layer.params[name] = copy.deepcopy(value)
        label = layer.layer_kind.field(name).label.lower()
        super().__init__(document, after, f"Change {label} of {layer.name}", index)
        self.key = (index, name)

    def id(self) -> int:  # noqa: A003 (Qt name)
        return _EDIT_FIELD_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if not isinstance(other, EditFieldCommand) or other.key != self.key:
            return False
        self._after = other._after
        return True


class RenameLayerCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", index: int, name: str) -> None:
        after = document.spec.copy()
        old = after.layers[index].name
        after.layers[index].name = name
        super().__init__(document, after, f"Rename {old} to {name}", index)


class SetInputShapeCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", shape: tuple[int, int, int], focus: int) -> None:
        after = document.spec.copy()
        after.input_shape = tuple(int(v) for v in shape)
        super().__init__(document, after, "Change input shape to " + "x".join(map(str, after.input_shape)), focus)

    def id(self) -> int:  # noqa: A003 (Qt name)
        return _INPUT_SHAPE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if not isinstance(other, SetInputShapeCommand):
            return False
        self._after = other._after
        self.setText(other.text())
        return True


class LoadPresetCommand(SpecCommand):
    def __init__(self, document: "SpecDocument", key: str) -> None:
        after = get_preset(key)
        super().__init__(document, after, f"Load preset {PRESETS[key].title}", 0 if after.layers else -1,
                         focus_before=0)


class ReplaceSpecCommand(SpecCommand):
    """Replace the whole spec (used by other panels, e.g. an importer), still undoable."""

    def __init__(self, document: "SpecDocument", spec: ModelSpec, text: str) -> None:
        super().__init__(document, spec.copy(), text, 0 if spec.layers else -1, focus_before=0)
