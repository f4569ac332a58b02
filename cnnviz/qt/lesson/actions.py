"""What "Show me" does: each ``show:`` verb of a lesson, carried out on the main window through public methods.

Every handler returns a short line saying what it did (shown in the lesson panel and read back by the tests),
and raises ValueError with a message for the student when the lesson asks for something this app lacks.
"""
from __future__ import annotations

from collections.abc import Callable

from cnnviz.core.lecture.lessons import Show


def _tab_index(tabs, title: str) -> int:
    for i in range(tabs.count()):
        if tabs.tabText(i).replace("&", "").lower() == title.lower():
            return i
    raise ValueError(f"this app has no tab {title!r}")


def window_handlers(window) -> dict[str, Callable[[tuple[str, ...]], str]]:
    """The handlers of every verb in SHOW_VERBS, working on ``window`` (a MainWindow)."""

    def tab(args):
        title = args[0]
        i = _tab_index(window.tabs, title)
        page = window.inspector if title.lower() == "inspector" else window.tabs.widget(i)
        window.tabs.setCurrentIndex(i)
        if len(args) > 1:
            sub = getattr(page, "tabs", page)   # the Inspector keeps its sub-tabs in .tabs; the Lecture tab is one
            sub.setCurrentIndex(_tab_index(sub, args[1]))
            return f"{window.tabs.tabText(i)} \u203a {args[1]}"
        return window.tabs.tabText(i)

    def preset(args):
        from cnnviz.core.model.presets import PRESETS, get_preset

        key = args[0]
        if key not in PRESETS:
            raise ValueError(f"no preset {key!r}; presets: {', '.join(PRESETS)}")
        if window.document.spec.to_dict() != get_preset(key).to_dict():
            window.document.load_preset(key)   # one undoable edit
        return f"model: {window.document.spec.name} (Edit \u203a Undo brings your model back)"

    def example(args):
        from cnnviz.core.inspect.textbook import WORKED_EXAMPLES
        from cnnviz.core.lecture.channels import CHANNEL_EXAMPLES, POOL_EXAMPLES

        key = args[0]
        if key in WORKED_EXAMPLES:
            view = window.lecture.explorer("2D convolution")
            view.load_example(key)
            return f"2D convolution example: {view.example.currentText()}"
        if key in CHANNEL_EXAMPLES or key in POOL_EXAMPLES:
            view = window.lecture.explorer("Channels and pooling")
            view.load_example(key)
            box = view.rgb_example if key in CHANNEL_EXAMPLES else view.pool_example
            return f"Channels and pooling example: {box.currentText()}"
        raise ValueError(f"no worked example {key!r}; examples: "
                         f"{', '.join([*WORKED_EXAMPLES, *CHANNEL_EXAMPLES, *POOL_EXAMPLES])}")

    def field(args):
        view = window.lecture.explorer("Receptive fields")
        view.select_layer(args[0])
        if len(args) == 3:
            view.select_cell(int(args[1]), int(args[2]))
        return f"receptive field of {args[0]}" + (f" cell ({args[1]}, {args[2]})" if len(args) == 3 else "")

    def dataset(args):
        window.training.form.data_box.select(args[0])
        return f"dataset: {args[0]}"

    return {"tab": tab, "preset": preset, "example": example, "field": field, "dataset": dataset}


def run_shows(handlers, shows: list[Show]) -> list[str]:
    """Carry out a step's ``show:`` lines in order; the lines saying what each did."""
    done = []
    for show in shows:
        try:
            done.append(handlers[show.verb](show.args))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"line {show.line} ({show.verb} {' '.join(show.args)}): {exc}") from None
    return done
