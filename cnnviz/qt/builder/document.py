"""The model being edited: a ModelSpec, its undo stack, its file and whether it has unsaved changes.

Widgets never change the spec themselves: they call the edit methods here, each of which pushes a QUndoCommand,
so undo/redo covers every edit. Other panels (training, inspector) read ``document.spec`` and listen to
``spec_changed``. The shape report (core/shapes.py, no TensorFlow) is recomputed once per change and shared.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.shapes import ShapeReport, classifier_problems, infer_shapes
from cnnviz.core.model.spec import ModelSpec, Problem

from . import commands as cmd


def empty_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [], name="untitled")


class _DetachFileCommand(QUndoCommand):
    """A command that replaces the whole model (a preset, an import): the result is no longer the model in the
    document's file, so the document becomes untitled (Save asks for a name instead of overwriting that file with
    another model); undo brings the file name back with the model."""

    def __init__(self, document: "SpecDocument", inner: QUndoCommand) -> None:
        super().__init__(inner.text())
        self._document, self._inner, self._path = document, inner, document.path

    def redo(self) -> None:
        self._inner.redo()
        self._document._set_path(None)
        self._document.replaced.emit()

    def undo(self) -> None:
        self._inner.undo()
        self._document._set_path(self._path)
        self._document.replaced.emit()


class SpecDocument(QObject):
    """Owns the current ModelSpec. ``spec_changed`` after every change (edit, undo, redo, open, new);
    ``replaced`` after the whole model was replaced (open, new, a preset, an import, and their undo/redo), after
    ``spec_changed``: the file name then follows (a preset or an import is untitled)."""

    spec_changed = Signal()
    replaced = Signal()
    dirty_changed = Signal(bool)
    path_changed = Signal(str)  # "" when the spec has no file yet
    can_train_changed = Signal(bool)
    focus_requested = Signal(int)  # the layer row an edit/undo/redo concerns (-1: none)
    preset_loaded = Signal(str)    # the preset's key, after load_preset (its training recipe goes with it)

    def __init__(self, spec: ModelSpec | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spec = spec.copy() if spec is not None else get_preset("lecture")
        self._path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self._report = infer_shapes(self._spec)
        self._problems = classifier_problems(self._spec, self._report)
        self._can_train = not self._problems

    # --- state ----------------------------------------------------------------------------------------
    @property
    def spec(self) -> ModelSpec:
        """The current spec. Treat it as read-only: change it through the edit methods (undoable)."""
        return self._spec

    @property
    def report(self) -> ShapeReport:
        return self._report

    @property
    def problems(self) -> list[Problem]:
        """Everything that stops the model from being trained (shape errors, bad values, no classifier head)."""
        return list(self._problems)

    def _get_can_train(self) -> bool:
        return self._can_train

    can_train = Property(bool, _get_can_train, notify=can_train_changed)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        """The file name, or the model's name while it has no file."""
        return self._path.name if self._path else self._spec.name

    # --- edits (each one undoable) ----------------------------------------------------------------------
    def add_layer(self, kind: str, index: int | None = None) -> int:
        """Insert a new layer of type ``kind`` at ``index`` (default: at the end). Returns its index."""
        index = len(self._spec.layers) if index is None else index
        command = cmd.AddLayerCommand(self, kind, index)
        self.undo_stack.push(command)
        return command._focus_after

    def remove_layer(self, index: int) -> None:
        if 0 <= index < len(self._spec.layers):
            self.undo_stack.push(cmd.RemoveLayerCommand(self, index))

    def duplicate_layer(self, index: int) -> None:
        if 0 <= index < len(self._spec.layers):
            self.undo_stack.push(cmd.DuplicateLayerCommand(self, index))

    def move_layer(self, source: int, target: int) -> bool:
        """Move layer ``source`` to index ``target`` (its index after the move). False if nothing moved."""
        n = len(self._spec.layers)
        if not (0 <= source < n and 0 <= target < n) or source == target:
            return False
        self.undo_stack.push(cmd.MoveLayerCommand(self, source, target))
        return True

    def set_field(self, index: int, name: str, value: Any) -> None:
        """Set parameter ``name`` of layer ``index``; the value is kept even if invalid (it is reported)."""
        layer = self._spec.layers[index]
        if layer.params.get(name) != value:
            self.undo_stack.push(cmd.EditFieldCommand(self, index, name, value))

    def rename_layer(self, index: int, name: str) -> None:
        if self._spec.layers[index].name != name:
            self.undo_stack.push(cmd.RenameLayerCommand(self, index, name))

    def set_input_shape(self, shape: tuple[int, int, int], focus: int = -1) -> None:
        if tuple(shape) != tuple(self._spec.input_shape):
            self.undo_stack.push(cmd.SetInputShapeCommand(self, tuple(shape), focus))

    def load_preset(self, key: str) -> None:
        """Replace the model by a preset (undoable); the document becomes untitled (undo: its file again)."""
        self.undo_stack.push(_DetachFileCommand(self, cmd.LoadPresetCommand(self, key)))
        self.preset_loaded.emit(key)

    def replace_spec(self, spec: ModelSpec, text: str = "Replace model") -> None:
        """Replace the whole model (undoable); the document becomes untitled (undo: its file again)."""
        self.undo_stack.push(_DetachFileCommand(self, cmd.ReplaceSpecCommand(self, spec, text)))

    # --- files ---------------------------------------------------------------------------------------------
    def new(self, spec: ModelSpec | None = None) -> None:
        """Start over with ``spec`` (default: an empty 28x28x1 model): no file, no undo history, not dirty."""
        self._set_path(None)
        self._reset(spec if spec is not None else empty_spec())

    def open(self, path: str | Path) -> None:
        """Load a spec file. Raises SpecError (message for the user) and leaves the document as it was."""
        spec = ModelSpec.load(path)
        self._set_path(Path(path))
        self._reset(spec)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the spec as JSON (atomically) to ``path`` or the current file. Raises OSError."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("no file name given for an untitled model")
        self._spec.save(target)
        self._set_path(target)
        self.undo_stack.setClean()
        return target

    def _reset(self, spec: ModelSpec) -> None:
        self.undo_stack.clear()
        self._apply(spec.copy(), 0 if spec.layers else -1)
        self.undo_stack.setClean()
        self.dirty_changed.emit(False)
        self.replaced.emit()

    def _set_path(self, path: Path | None) -> None:
        if path != self._path:
            self._path = path
            self.path_changed.emit(str(path) if path else "")

    # --- called by the commands ----------------------------------------------------------------------------
    def _apply(self, spec: ModelSpec, focus: int) -> None:
        self._spec = spec
        self._report = infer_shapes(spec)
        self._problems = classifier_problems(spec, self._report)
        self.spec_changed.emit()
        if focus is not None and focus >= -1:
            self.focus_requested.emit(min(focus, len(spec.layers) - 1))
        can_train = not self._problems
        if can_train != self._can_train:
            self._can_train = can_train
            self.can_train_changed.emit(can_train)

    @Slot(bool)
    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)
