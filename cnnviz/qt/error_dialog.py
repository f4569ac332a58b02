"""The app's side of the one rule for failures (cnnviz.core.errors): an exception nobody caught, in the GUI thread
(``sys.excepthook``) or in any other thread (``threading.excepthook``), becomes the same one line the CLI prints,
naming the crash report for an unexpected one, shown in a dialog. The model being edited is autosaved first and
the app keeps running, so nothing the user made is lost.
"""
from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from cnnviz.core.errors import crash_line, user_message


def _say(line: str) -> None:
    if sys.stderr is not None:   # a windowed bundle has no stderr
        try:
            print(f"cnnviz: {line}", file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass


class ErrorReporter(QObject):
    """Turns uncaught exceptions into one line (with a crash report when unexpected) and one dialog at a time.

    ``reported`` carries the line and whether it was unexpected; it is emitted from whichever thread failed and
    shown by :meth:`_on_reported` in the GUI thread (queued), where the dialog lives."""

    reported = Signal(str, bool)   # the line, unexpected

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QMessageBox | None = None
        self.lines: list[str] = []     # every line reported, newest last
        self.reported.connect(self._on_reported)

    def report(self, exc: BaseException, where: str) -> str:
        """The line for ``exc`` (writing its crash report if it is unexpected); emits ``reported``."""
        message = user_message(exc)
        line = message if message is not None else crash_line(exc, where=where)
        _say(line)
        self.lines.append(line)
        self.reported.emit(line, message is None)
        return line

    def _keep_work(self) -> bool:
        """Autosave the model being edited (if it has unsaved changes); True when it was written."""
        autosave = getattr(self.window, "autosave", None)
        document = getattr(self.window, "document", None)
        if autosave is None or document is None or not document.is_dirty:
            return False
        try:
            autosave.save_now()
        except Exception:  # noqa: BLE001 - reporting one failure must not raise another
            return False
        return True

    @Slot(str, bool)
    def _on_reported(self, line: str, unexpected: bool) -> None:
        kept = self._keep_work()
        if self.dialog is not None and self.dialog.isVisible():
            return   # one dialog at a time (a timer failing every 500 ms must not stack dialogs); line is on stderr
        text = line + ("\n\nYour model's unsaved changes were autosaved." if kept else "")
        text += "\nThe app keeps running; you can save your work." if unexpected else ""
        self.dialog = QMessageBox(QMessageBox.Icon.Critical if unexpected else QMessageBox.Icon.Warning,
                                  "cnnviz: unexpected error" if unexpected else "cnnviz", text, parent=self.window)
        self.dialog.open()   # not exec(): no nested event loop inside an exception hook


def install_excepthook(window: QWidget) -> ErrorReporter:
    """Route uncaught exceptions of the GUI thread and of other threads to an :class:`ErrorReporter`."""
    reporter = ErrorReporter(window)

    def hook(exc_type, exc, tb):
        if exc is None:
            exc = exc_type()
        if tb is not None and exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        if isinstance(exc, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        reporter.report(exc, "cnnviz app (GUI thread)")

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        exc = args.exc_value if args.exc_value is not None else args.exc_type()
        name = getattr(args.thread, "name", "?")
        reporter.report(exc, f"cnnviz app (thread {name})")

    sys.excepthook = hook
    threading.excepthook = thread_hook
    window._error_reporter = reporter   # noqa: SLF001 - lives as long as the window
    return reporter
