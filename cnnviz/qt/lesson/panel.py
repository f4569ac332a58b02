"""The lesson panel: a lesson's steps in order, each with its text, "Show me" and a small graded check.

It lives in a dock beside any tab (View > Lesson, F9). Progress (steps done, answers) is remembered per lesson
in the app's settings; "Reset step" forgets a step. The panel knows nothing of the window: "Show me" calls the
handlers it is given (cnnviz.qt.lesson.actions.window_handlers), and ``spec_source`` gives the Builder's model
for computed answers.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QTextBrowser, QVBoxLayout, QWidget)

from cnnviz.core.lecture.lessons import Lesson, LessonError, available_lessons, grade, read_lesson

from .actions import run_shows

_DONE = "\u2713 "


class LessonPanel(QWidget):
    step_changed = Signal(int)

    def __init__(self, handlers: dict[str, Callable], spec_source: Callable[[], object], settings=None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.handlers, self.spec_source, self.settings = handlers, spec_source, settings
        self.lessons: list[Lesson] = []
        self.lesson: Lesson | None = None
        self.index = 0
        self.progress: dict[str, dict] = {}

        self.chooser = QComboBox()
        self.chooser.setToolTip("the lessons shipped with cnnviz, installed by packages, or opened from a file")
        self.open_button = QPushButton("Open lesson file\u2026")
        self.open_button.setToolTip("a lesson written as Markdown (see resources/lessons/ for the format)")
        self.steps = QListWidget()
        self.steps.setMaximumHeight(170)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt")
        self.title.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.show_button = QPushButton("Show me")
        self.show_button.setToolTip("put the app where this step happens (tab, model, example)")
        self.shown = QLabel()
        self.shown.setWordWrap(True)
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.answer = QLineEdit()
        self.answer.setPlaceholderText("your answer")
        self.check_button = QPushButton("Check")
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.back_button = QPushButton("\u25c0 Back")
        self.next_button = QPushButton("Next \u25b6")
        self.reset_button = QPushButton("Reset step")
        self.reset_button.setToolTip("forget this step's answer")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")

        top = QHBoxLayout()
        top.addWidget(self.chooser, 1)
        top.addWidget(self.open_button)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer, 1)
        answer_row.addWidget(self.check_button)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.reset_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.steps)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.show_button)
        layout.addWidget(self.shown)
        layout.addWidget(self.question)
        layout.addLayout(answer_row)
        layout.addWidget(self.verdict)
        layout.addLayout(nav)

        self.chooser.currentIndexChanged.connect(self._on_chooser_changed)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.steps.currentRowChanged.connect(self.go_to)
        self.show_button.clicked.connect(self.show_me)
        self.check_button.clicked.connect(self.check_answer)
        self.answer.returnPressed.connect(self.check_answer)
        self.back_button.clicked.connect(lambda: self.go_to(self.index - 1))
        self.next_button.clicked.connect(lambda: self.go_to(self.index + 1))
        self.reset_button.clicked.connect(self.reset_step)
        self._load_progress()
        lessons, problems = available_lessons()
        self.message.setText("\n".join(problems))
        for lesson in lessons:
            self.add_lesson(lesson, select=False)
        if self.lessons:
            self.select_lesson(self.lessons[0].id)

    # ------------------------------------------------------------------------------------------------ API
    def add_lesson(self, lesson: Lesson, select: bool = True) -> None:
        for i, known in enumerate(self.lessons):
            if known.id == lesson.id:   # the same lesson again (a newer file): replace it
                self.lessons[i] = lesson
                break
        else:
            self.lessons.append(lesson)
            self.chooser.addItem(lesson.title, lesson.id)
        if select:
            self.select_lesson(lesson.id)

    def open_file(self, path: str) -> bool:
        try:
            lesson = read_lesson(path)
        except LessonError as exc:
            self.message.setText(str(exc))
            return False
        self.message.clear()
        self.add_lesson(lesson)
        return True

    def select_lesson(self, lesson_id: str) -> None:
        self.chooser.setCurrentIndex(self.chooser.findData(lesson_id))
        self._on_chooser_changed()

    @Slot(int)
    def go_to(self, index: int) -> None:
        if self.lesson is None:
            return
        index = max(0, min(index, len(self.lesson.steps) - 1))
        self.index = index
        step = self.lesson.steps[index]
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(index)
        self.steps.blockSignals(False)
        self.title.setText(f"{index + 1}/{len(self.lesson.steps)}  {step.title}")
        self.text.setMarkdown(step.text)
        self.show_button.setEnabled(bool(step.shows))
        self.shown.clear()
        self.verdict.clear()
        has_check = step.check is not None
        for w in (self.question, self.answer, self.check_button):
            w.setVisible(has_check)
        self.question.setText(step.check.question if has_check else "")
        saved = self._step_progress().get(str(index), {})
        self.answer.setText(saved.get("answer", ""))
        if saved.get("right"):
            self.verdict.setText("Right (answered before).")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.lesson.steps) - 1)
        self.step_changed.emit(index)

    @Slot()
    def show_me(self) -> list[str]:
        step = self.lesson.steps[self.index]
        try:
            done = run_shows(self.handlers, step.shows)
        except ValueError as exc:
            self.shown.setText(f"Could not show this step: {exc}")
            return []
        self.shown.setText("Shown: " + "; ".join(done))
        return done

    @Slot()
    def check_answer(self) -> bool:
        step = self.lesson.steps[self.index]
        if step.check is None:
            return False
        try:
            right, line = grade(step.check, self.answer.text(), self.spec_source())
        except LessonError as exc:
            self.verdict.setText(str(exc))
            return False
        self.verdict.setText(line)
        self.verdict.setStyleSheet("color: #1b5e20" if right else "color: #b00020")
        if self.answer.text().strip():
            self._step_progress()[str(self.index)] = {"answer": self.answer.text(), "right": right}
            self._save_progress()
            self._mark_steps()
        return right

    @Slot()
    def reset_step(self) -> None:
        self._step_progress().pop(str(self.index), None)
        self._save_progress()
        self._mark_steps()
        self.go_to(self.index)

    def done_steps(self) -> set[int]:
        return {int(k) for k, v in self._step_progress().items() if v.get("right")}

    # ------------------------------------------------------------------------------------------ internals
    @Slot()
    def _on_chooser_changed(self, *_) -> None:
        lesson_id = self.chooser.currentData()
        self.lesson = next((le for le in self.lessons if le.id == lesson_id), None)
        if self.lesson is None:
            return
        self._mark_steps()
        done = self.done_steps()
        first_open = next((i for i in range(len(self.lesson.steps)) if i not in done), 0)
        self.go_to(first_open)

    def _mark_steps(self) -> None:
        done = self.done_steps()
        self.steps.blockSignals(True)
        self.steps.clear()
        for i, step in enumerate(self.lesson.steps):
            item = QListWidgetItem(f"{_DONE if i in done else '   '}{i + 1}. {step.title}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.steps.addItem(item)
        self.steps.setCurrentRow(self.index)
        self.steps.blockSignals(False)

    def _step_progress(self) -> dict:
        return self.progress.setdefault(self.lesson.id, {}) if self.lesson else {}

    def _load_progress(self) -> None:
        if self.settings is None:
            return
        raw = self.settings.store.value("lessons/progress", "")
        try:
            data = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError:
            data = {}
        self.progress = data if isinstance(data, dict) else {}

    def _save_progress(self) -> None:
        if self.settings is not None:
            self.settings.store.setValue("lessons/progress", json.dumps(self.progress))

    @Slot()
    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open lesson", "", "Lessons (*.md);;All files (*)")
        if path:
            self.open_file(path)
