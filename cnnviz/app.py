"""Application bootstrap: QApplication, main window, TensorFlow loading in the background, excepthook.

``cnnviz`` opens the window at once and imports TensorFlow on a worker thread; ``cnnviz --smoke`` builds the
window, spins the event loop once and exits 0 (used by tests and by the packaged bundle's self-check).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

_T_START = time.perf_counter()


def _say(text: str, err: bool = False) -> None:
    """Print if there is somewhere to print to: a windowed bundle on Windows/macOS has no stdout/stderr."""
    stream = sys.stderr if err else sys.stdout
    if stream is not None:
        print(text, file=stream, flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cnnviz", description="Desktop studio for learning CNNs")
    parser.add_argument("--smoke", action="store_true",
                        help="build the main window, run the event loop once, exit 0 (self-test)")
    parser.add_argument("--no-tensorflow", action="store_true",
                        help="do not import TensorFlow in the background (shape arithmetic still works)")
    # benchmarks/time_to_window.py: print seconds to window shown and to TensorFlow ready, then quit.
    parser.add_argument("--report-startup", action="store_true", help=argparse.SUPPRESS)
    from cnnviz import __version__

    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    return parser.parse_args(argv)


def _check_display() -> str | None:
    """A message when Qt has no screen to draw on (Linux without X11/Wayland), else None."""
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return ("cnnviz: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                    "  On a machine without a screen, run it under a virtual one:  xvfb-run cnnviz\n"
                    "  or use the headless commands:  cnnviz-cli --help")
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv if argv is not None else sys.argv[1:])
    if args.smoke and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = _check_display()
    if problem:
        _say(problem, err=True)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from cnnviz.qt.icons import app_icon
    from cnnviz.qt.main_window import MainWindow, install_excepthook

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from cnnviz.qt.gc_guard import MainThreadGarbageCollector

    collector = MainThreadGarbageCollector(parent=app)  # noqa: F841 - lives as long as the app
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    app.setWindowIcon(app_icon())
    window = MainWindow(load_tensorflow=not (args.smoke or args.no_tensorflow))
    app.aboutToQuit.connect(window.shutdown)   # the one quit hook: stops whatever closing did not (idempotent)
    install_excepthook(window)
    window.show()
    if args.report_startup:
        reporter = _startup_reporter(app, window)
        QTimer.singleShot(0, reporter.on_window_shown)
    if args.smoke:
        app.processEvents()
        ok = window.isVisible()
        window.close()
        _say(f"cnnviz smoke: window {'shown' if ok else 'NOT shown'} after "
              f"{time.perf_counter() - _T_START:.2f} s")
        return 0 if ok else 1
    QTimer.singleShot(0, window.start_background_work)
    QTimer.singleShot(0, window.offer_recovery)
    from cnnviz.qt.lesson.dock import offer_welcome

    QTimer.singleShot(0, lambda: setattr(window, "welcome", offer_welcome(window)))   # first launch: three ways in
    return app.exec()


def _startup_reporter(app, window):
    """A QObject (child of ``window``) that reports start-up times for benchmarks/time_to_window.py."""
    from PySide6.QtCore import QObject, Slot

    class StartupReporter(QObject):
        """Prints ``window_shown_s=`` once the event loop runs with the window shown, ``tensorflow_ready_s=``
        when the background import has finished (seconds since this module was imported), then quits."""

        def __init__(self, app, window) -> None:
            super().__init__(window)
            self._app = app
            self._window = window
            window.tf_loader.ready.connect(self.on_tensorflow_ready)
            window.tf_loader.failed.connect(self.on_tensorflow_failed)

        @Slot()
        def on_window_shown(self) -> None:
            _say(f"window_shown_s={time.perf_counter() - _T_START:.3f}")

        @Slot(float)
        def on_tensorflow_ready(self, _seconds: float) -> None:
            _say(f"tensorflow_ready_s={time.perf_counter() - _T_START:.3f}")
            self._window.close()
            self._app.quit()

        @Slot(str)
        def on_tensorflow_failed(self, message: str) -> None:
            _say(f"tensorflow_failed={message.splitlines()[0]}")
            self._app.exit(1)

    return StartupReporter(app, window)


if __name__ == "__main__":
    raise SystemExit(main())
