"""benchmarks/run_all.py exits non-zero when a benchmark misses its target, and says which (with the benchmark's
own MISSED TARGET line); the benchmarks here are stand-in scripts, the real ones take minutes."""
from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _script(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(body))


def test_run_all_names_the_benchmarks_that_missed_their_target(tmp_path, capsys):
    run_all = _run_all()
    run_all.HERE = tmp_path
    _script(tmp_path, "time_to_window", """
        import sys
        print("SUMMARY: window shown 3.10 s (target: window <= 2 s)")
        print("MISSED TARGET: window shown 3.10 s after launch (target <= 2 s)")
        sys.exit(1)
    """)
    _script(tmp_path, "draw_latency", """
        print("SUMMARY: stroke to probabilities: median 4.0 ms (target median <= 16 ms)")
    """)
    _script(tmp_path, "feature_maps", "raise SystemExit(3)\n")
    assert run_all.main(["--only", "time_to_window", "draw_latency", "feature_maps"]) == 1
    out = capsys.readouterr().out
    assert "| time_to_window | FAILED (exit 1) |" in out and "| draw_latency | FAILED" not in out
    assert "MISSED OR FAILED (2 of 3): time_to_window, feature_maps" in out
    assert "  time_to_window: window shown 3.10 s after launch (target <= 2 s)" in out


def test_run_all_exits_0_when_every_target_is_met(tmp_path, capsys):
    run_all = _run_all()
    run_all.HERE = tmp_path
    _script(tmp_path, "draw_latency", 'print("SUMMARY: fine")\n')
    assert run_all.main(["--only", "draw_latency"]) == 0
    assert "MISSED" not in capsys.readouterr().out


def _missed_exit_codes(source: str) -> tuple[str, set] | None:
    """(name, exit codes) of the function that prints 'MISSED TARGET:': the constants its return statements can
    give ('?' for a computed one); None when no function prints it. Read from the syntax tree, so that
    'return 1000.0 * t' is not taken for 'return 1'."""
    import ast

    def own_nodes(fn):
        stack = list(ast.iter_child_nodes(fn))
        while stack:
            node = stack.pop()
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                yield node
                stack.extend(ast.iter_child_nodes(node))

    def codes(value):
        if isinstance(value, ast.IfExp):
            return codes(value.body) | codes(value.orelse)
        if isinstance(value, ast.Constant) and isinstance(value.value, int):
            return {value.value}
        return {"?"}

    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, ast.FunctionDef):
            nodes = list(own_nodes(fn))
            if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("MISSED TARGET:")
                   for n in nodes):
                return fn.name, set().union(*(codes(n.value) for n in nodes if isinstance(n, ast.Return)))
    return None


def test_every_benchmark_with_a_target_exits_non_zero_when_it_misses_it():
    """Each benchmark that prints a target prints MISSED TARGET in its main(), whose returns include a non-zero
    constant, and main()'s value is the exit status (peak_memory has no target: it reports); run_all runs every
    benchmark in the folder (one left out would miss its target unseen). A structural check: the benchmarks
    themselves take minutes."""
    listed = _run_all().BENCHMARKS
    assert sorted(listed) == sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem != "run_all")
    for name in listed:
        text = (ROOT / "benchmarks" / f"{name}.py").read_text()
        if name == "peak_memory":
            assert "target" not in text.lower() and _missed_exit_codes(text) is None
            continue
        found = _missed_exit_codes(text)
        assert found is not None and found[0] == "main", (name, found)
        assert any(code not in (0, "?") for code in found[1]), (name, found)
        assert "sys.exit(main())" in text or "raise SystemExit(main())" in text, name


def test_the_exit_code_check_reads_returns_not_text():
    assert _missed_exit_codes("def main():\n    t = 1000.0\n    print('MISSED TARGET: x')\n    return 0\n"
                              "def f(t):\n    return 1000.0 * t\n") == ("main", {0})
    assert _missed_exit_codes("def main(ok):\n    print('MISSED TARGET: x')\n    return 0 if ok else 1\n") == (
        "main", {0, 1})
