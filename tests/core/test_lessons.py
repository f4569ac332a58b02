"""Lesson files: parsed as data (never run), every mistake named by its line, answers graded generously."""
import os

import pytest

from cnnviz.core.lecture import lessons as L
from cnnviz.core.model.presets import get_preset

GOOD = """---
id: demo
title: A demo
---

## First
show: tab Lecture / 2D convolution
show: example slide
Some *Markdown* text.
check: Output size? = 3x3

## Second
check: Params of conv_1? = params(conv_1)
"""


def test_a_lesson_parses_into_steps_with_shows_and_checks():
    lesson = L.parse_lesson(GOOD, "demo.md")
    assert (lesson.id, lesson.title, len(lesson.steps)) == ("demo", "A demo", 2)
    first = lesson.steps[0]
    assert [(s.verb, s.args, s.line) for s in first.shows] == [("tab", ("Lecture", "2D convolution"), 7),
                                                              ("example", ("slide",), 8)]
    assert first.text == "Some *Markdown* text." and first.check.answer == "3x3"


@pytest.mark.parametrize("text, line, message", [
    ("id: x\n", 1, "front matter"),
    ("---\nid: x\ntitle: y\n", 3, "not closed"),
    ("---\ntitle: y\n---\n## s\n", 1, "needs 'id"),
    ("---\nid: a b\ntitle: y\n---\n## s\n", 1, "id must be"),
    ("---\nid: x\ntitle: y\nwhat\n---\n", 4, "key: value"),
    ("---\nid: x\ntitle: y\n---\nloose text\n## s\n", 5, "before the first step"),
    ("---\nid: x\ntitle: y\n---\n## s\nshow: teleport home\n", 6, "unknown 'show:' verb 'teleport'"),
    ("---\nid: x\ntitle: y\n---\n## s\nshow: tab\n", 6, "needs an argument"),
    ("---\nid: x\ntitle: y\n---\n## s\nshow: field conv_1 a b\n", 6, "whole numbers"),
    ("---\nid: x\ntitle: y\n---\n## s\ncheck: no equals sign\n", 6, "QUESTION = ANSWER"),
    ("---\nid: x\ntitle: y\n---\n## s\ncheck: q = __import__('os').system('x')\n", 6, "unknown computed answer"),
    ("---\nid: x\ntitle: y\n---\n## s\ncheck: a = 1\ncheck: b = 2\n", 7, "at most one"),
    ("---\nid: x\ntitle: y\n---\n", 4, "no steps"),
])
def test_every_mistake_names_its_line(text, line, message):
    with pytest.raises(L.LessonError) as err:
        L.parse_lesson(text, "bad.md")
    assert f"bad.md, line {line}:" in str(err.value) and message in str(err.value)


def test_answers_are_graded_as_numbers_shapes_and_words():
    lesson = L.parse_lesson(GOOD)
    check = lesson.steps[0].check
    assert L.grade(check, "3 x 3")[0] and L.grade(check, "(3, 3)")[0] and not L.grade(check, "5x5")[0]
    params = lesson.steps[1].check
    spec = get_preset("lecture")
    assert L.grade(params, "832", spec) == (True, "Right.")
    assert not L.grade(params, "8,32", spec)[0]  # a comma separates thousands only
    total = L.Check("total?", "total_params", 1)
    assert L.grade(total, "3,274,634", spec)[0] and L.grade(total, "3274634", spec)[0]
    assert L.grade(params, "833", spec) == (False, "Not quite: the answer is 832.")
    assert L.grade(params, "", spec) == (False, "Type an answer first.")
    with pytest.raises(L.LessonError, match="no layer 'conv_1'"):
        L.grade(params, "832", get_preset("lecture").__class__((28, 28, 1), [], name="empty"))
    words = L.Check("loss?", "sparse categorical cross-entropy | SparseCategoricalCrossentropy", 1)
    assert L.grade(words, "Sparse categorical crossentropy")[0] and L.grade(words, "sparsecategoricalcrossentropy")[0]
    assert not L.grade(words, "categorical cross-entropy")[0]


def test_shipped_lessons_parse_and_their_computed_answers_hold():
    found, problems = L.available_lessons()
    assert problems == []
    by_id = {lesson.id: lesson for lesson in found}
    assert {"lecture", "celeba"} <= set(by_id)
    lecture = get_preset("lecture")
    answers = {s.title: L.expected_answer(s.check, lecture) for s in by_id["lecture"].steps if s.check}
    assert answers["Counting parameters"] == "3212288" and answers["Train it"] == "3274634"
    assert answers["Stride and pooling halve the size"] == "14x14x64"


def test_lesson_files_are_read_safely(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(L.LessonError, match="not a regular file"):
        L.read_lesson(fifo)                      # never blocks on a FIFO
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (L.MAX_BYTES + 1))
    with pytest.raises(L.LessonError, match="at most"):
        L.read_lesson(big)
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"---\nid: x\ntitle: caf\xe9\n---\n")
    with pytest.raises(L.LessonError, match="not UTF-8"):
        L.read_lesson(latin)
    with pytest.raises(L.LessonError, match="cannot be read"):
        L.read_lesson(tmp_path / "missing.md")


def test_lessons_installed_by_a_package_through_the_entry_point_group(tmp_path, monkeypatch):
    folder = tmp_path / "pkg_lessons"
    folder.mkdir()
    (folder / "extra.md").write_text(GOOD.replace("id: demo", "id: extra"), encoding="utf-8")
    (folder / "broken.md").write_text("---\nid: b\n", encoding="utf-8")

    class EP:
        def __init__(self, name, value, target):
            self.name, self.value, self._target = name, value, target

        def load(self):
            if isinstance(self._target, Exception):
                raise self._target
            return self._target

    eps = [EP("teacher", "teacher_pkg:LESSONS", lambda: str(folder)),
           EP("oops", "oops_pkg:LESSONS", ImportError("No module named 'oops_pkg'"))]
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None: eps if group == "cnnviz.lessons" else [])
    found, problems = L.available_lessons()
    assert "extra" in {lesson.id for lesson in found}
    assert any("oops" in p and "No module named" in p for p in problems)
    assert any("broken.md" in p and "not closed" in p for p in problems)
