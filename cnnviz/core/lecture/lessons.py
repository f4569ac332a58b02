"""Guided lessons as data: Markdown files a teacher writes without Python.

A lesson file::

    ---
    id: lecture
    title: Convolutional networks, the lecture
    description: one line for the lesson list
    ---

    ## Images are numbers
    show: tab Inspector / Image as numbers
    A grey image is a grid of numbers, 0 black to 255 white ...
    check: How many numbers hold a 28x28 grey image? = 784

* The front matter (between ``---`` lines, ``key: value``) needs ``id`` and ``title``.
* Each ``## heading`` starts a step. Its other lines are Markdown text, except for directive lines:
  ``show: VERB ARGS`` (what "Show me" does, in order; verbs in :data:`SHOW_VERBS`) and at most one
  ``check: QUESTION = ANSWER``.
* An answer is a number (``3,274,634``), a text (``same``), a shape (``14x14x64``) or one of the computed answers
  in :data:`COMPUTED`, read from the model in the Builder when the student answers: ``params(fc_1)``,
  ``output(conv_2)``, ``total_params``; ``A | B`` accepts either. Nothing in a lesson file is ever run as code.

Any mistake raises :class:`LessonError` naming the file and line. Lessons are found in the app's
``resources/lessons`` folder and in packages that declare the entry-point group ``cnnviz.lessons`` (an entry point
names a file or folder path, or a callable returning one). No Qt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SHOW_VERBS = {
    "tab": "tab TITLE [/ SUB-TAB]: go to a tab of the window (and one of its sub-tabs)",
    "preset": "preset KEY: load a preset model into the Builder (lecture, fast, celeba, ...)",
    "example": "example KEY: load a worked example into its explorer (2D convolution: slide, sobel, ...; "
               "Channels and pooling: rgb, rgb_stride2, max, average, ...)",
    "field": "field LAYER [ROW COL]: show a layer's receptive field (a cell of it) in the Receptive fields explorer",
    "dataset": "dataset NAME: choose a dataset in the Training tab (mnist, mnist_sample, celeba, ...)",
}
COMPUTED = {
    "params": "params(LAYER): the layer's parameter count",
    "output": "output(LAYER): the layer's output shape, e.g. 14x14x64",
    "total_params": "total_params: the model's parameter count",
}
MAX_BYTES = 1_000_000


class LessonError(ValueError):
    """A lesson file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Show:
    verb: str
    args: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Check:
    question: str
    answer: str
    line: int


@dataclass
class Step:
    title: str
    text: str = ""
    shows: list[Show] = field(default_factory=list)
    check: Check | None = None
    line: int = 0


@dataclass
class Lesson:
    id: str
    title: str
    description: str
    steps: list[Step]
    source: str = ""


_FRONT_KEY = re.compile(r"^([a-z_]+)\s*:\s*(.*)$")
_COMPUTED_RE = re.compile(r"^(params|output)\(\s*([A-Za-z0-9_.\-]+)\s*\)$|^(total_params)$")


def parse_lesson(text: str, source: str = "<lesson>") -> Lesson:
    """The lesson in ``text``; LessonError naming ``source`` and the line at fault."""
    lines = text.splitlines()

    def fail(n: int, message: str):
        raise LessonError(f"{source}, line {n}: {message}")

    if not lines or lines[0].strip() != "---":
        fail(1, "a lesson starts with front matter: a line '---', then 'id: ...' and 'title: ...', then '---'")
    meta: dict[str, str] = {}
    n = 1
    for n in range(2, len(lines) + 1):
        line = lines[n - 1].strip()
        if line == "---":
            break
        if not line:
            continue
        m = _FRONT_KEY.match(line)
        if not m:
            fail(n, f"front matter lines are 'key: value', got {line[:60]!r}")
        meta[m.group(1)] = m.group(2).strip()
    else:
        fail(len(lines), "the front matter is not closed by a line '---'")
    for key in ("id", "title"):
        if not meta.get(key):
            fail(1, f"the front matter needs '{key}: ...'")
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", meta["id"]):
        fail(1, f"id must be letters, digits, '_' or '-' (at most 64), got {meta['id']!r}")

    steps: list[Step] = []
    body: list[str] = []
    for n in range(n + 1, len(lines) + 1):
        raw = lines[n - 1]
        stripped = raw.strip()
        if stripped.startswith("## "):
            if steps:
                steps[-1].text = "\n".join(body).strip()
            steps.append(Step(stripped[3:].strip(), line=n))
            body = []
            continue
        directive = re.match(r"^(show|check)\s*:\s*(.*)$", stripped)
        if not steps:
            if stripped and not stripped.startswith("#"):
                fail(n, "text before the first step: start each step with a line '## Title'")
            continue
        if directive:
            kind, rest = directive.groups()
            if kind == "show":
                steps[-1].shows.append(_parse_show(rest, n, fail))
            else:
                if steps[-1].check is not None:
                    fail(n, "a step has at most one 'check:' line")
                steps[-1].check = _parse_check(rest, n, fail)
        else:
            body.append(raw)
    if not steps:
        fail(len(lines), "the lesson has no steps: start each with a line '## Title'")
    steps[-1].text = "\n".join(body).strip()
    return Lesson(meta["id"], meta["title"], meta.get("description", ""), steps, source)


def _parse_show(rest: str, n: int, fail) -> Show:
    words = rest.split()
    if not words:
        fail(n, f"'show:' needs a verb: {', '.join(SHOW_VERBS)}")
    verb = words[0].lower()
    if verb not in SHOW_VERBS:
        fail(n, f"unknown 'show:' verb {words[0]!r}; known: {', '.join(SHOW_VERBS)}")
    args = tuple(words[1:])
    if verb == "tab":
        title = " ".join(args)
        args = tuple(part.strip() for part in title.split("/")) if title else ()
    if not args:
        fail(n, f"'show: {verb}' needs an argument ({SHOW_VERBS[verb]})")
    if verb == "field" and len(args) not in (1, 3):
        fail(n, f"'show: field' takes a layer name and optionally a row and a column ({SHOW_VERBS['field']})")
    if verb == "field" and len(args) == 3 and not all(a.isdigit() for a in args[1:]):
        fail(n, "'show: field LAYER ROW COL': the row and column are whole numbers")
    return Show(verb, args, n)


def _parse_check(rest: str, n: int, fail) -> Check:
    if "=" not in rest:
        fail(n, "'check:' is 'QUESTION = ANSWER'")
    question, answer = (part.strip() for part in rest.rsplit("=", 1))
    if not question or not answer:
        fail(n, "'check:' needs a question and an answer: 'QUESTION = ANSWER'")
    for alternative in (a.strip() for a in answer.split("|")):
        if not alternative:
            fail(n, "an empty answer between '|'")
        if "(" in alternative and not _COMPUTED_RE.match(alternative):
            fail(n, f"unknown computed answer {alternative!r}; known: {'; '.join(COMPUTED.values())}")
    return Check(question, answer, n)


# ------------------------------------------------------------------------------------------------ grading
def expected_answer(check: Check, spec=None) -> str:
    """The (first) answer as text; computed answers are read from ``spec`` (a ModelSpec)."""
    return _expected(check.answer.split("|")[0].strip(), check, spec)


def _expected(answer: str, check: Check, spec) -> str:
    m = _COMPUTED_RE.match(answer)
    if not m:
        return answer
    if spec is None:
        raise LessonError(f"line {check.line}: the answer {check.answer} needs a model in the Builder")
    from cnnviz.core.model.shapes import infer_shapes

    report = infer_shapes(spec)
    if m.group(3):
        return str(report.total_params)
    what, name = m.group(1), m.group(2)
    for layer in report.layers:
        if layer.name == name:
            if what == "params":
                return str(layer.params)
            if layer.output is None:
                raise LessonError(f"line {check.line}: {name} has no output shape in this model")
            return "x".join(str(v) for v in layer.output)
    raise LessonError(f"line {check.line}: the model in the Builder has no layer {name!r}; press \u201cShow me\u201d "
                      "to load the lesson's model")


def _normal(text: str) -> str | float:
    t = text.strip().lower().strip("().[]")
    t = re.sub(r"\s+", "", t)
    number = t.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", t) else t   # 3,274,634
    try:
        return float(number.replace("_", ""))
    except ValueError:
        pass
    if re.fullmatch(r"\d+([x\u00d7*,]\d+)+", t):   # a shape: 14x14x64, 14 x 14 x 64, (14, 14, 64)
        return "x".join(re.split(r"[x\u00d7*,]", t))
    return re.sub(r"[-_]", "", t)


def grade(check: Check, given: str, spec=None) -> tuple[bool, str]:
    """(right?, a line to show): numbers compare as numbers, shapes and words ignoring spaces and case."""
    if not given.strip():
        return False, "Type an answer first."
    a = _normal(given)
    for alternative in check.answer.split("|"):
        b = _normal(_expected(alternative.strip(), check, spec))
        if isinstance(a, float) and isinstance(b, float):
            right = abs(a - b) <= 1e-9 * max(1.0, abs(b))
        else:
            right = a == b
        if right:
            return True, "Right."
    return False, f"Not quite: the answer is {expected_answer(check, spec)}."


# ------------------------------------------------------------------------------------------------ discovery
def read_lesson(path: str | Path) -> Lesson:
    """Parse a lesson file: a regular file of at most 1 MB of UTF-8 text (LessonError otherwise)."""
    import os
    import stat

    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise LessonError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise LessonError(f"{p}: not a regular file")
    if st.st_size > MAX_BYTES:
        raise LessonError(f"{p}: {st.st_size:,} bytes; a lesson file has at most {MAX_BYTES:,}")
    try:
        text = p.read_bytes()[:MAX_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LessonError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    return parse_lesson(text, str(p))


def shipped_lesson_paths() -> list[Path]:
    from cnnviz.resources import resource_path

    folder = Path(resource_path("lessons"))
    return sorted(folder.glob("*.md"))


def installed_lesson_paths() -> tuple[list[Path], list[str]]:
    """(lesson files named by the ``cnnviz.lessons`` entry points, one message per entry point that failed)."""
    from importlib.metadata import entry_points

    paths, problems = [], []
    for ep in entry_points(group="cnnviz.lessons"):
        try:
            target = ep.load()
            target = target() if callable(target) else target
            p = Path(target)
            paths.extend(sorted(p.glob("*.md")) if p.is_dir() else [p])
        except Exception as exc:   # noqa: BLE001 - another package's bug must not stop the app
            problems.append(f"lesson package {ep.name!r} ({ep.value}): {exc}")
    return paths, problems


def available_lessons() -> tuple[list[Lesson], list[str]]:
    """Every shipped and installed lesson (shipped first), and a message for each that could not be read."""
    paths, problems = installed_lesson_paths()
    lessons: list[Lesson] = []
    for p in shipped_lesson_paths() + paths:
        try:
            lessons.append(read_lesson(p))
        except LessonError as exc:
            problems.append(str(exc))
    return lessons, problems
