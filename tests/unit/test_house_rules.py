"""Rules of the house that a grep can keep (issue 21): the environment is written in one place, Python
reads marts and ops (never dbt's staging views), modules stay small."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"
ENTRY_POINT = "flows/environment.py"  # the only module that may write os.environ
MAX_LINES = 400
TOO_LONG_FOR_NOW: set[str] = set()  # a module here is being split on another branch
ENVIRON_WRITES = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def environ_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every write to os.environ in `source`, and every alias that could write it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if _is_environ(node.func.value) and node.func.attr in ENVIRON_WRITES:
                found.append((node.lineno, f"os.environ.{node.func.attr}()"))
            elif (isinstance(node.func.value, ast.Name) and node.func.value.id == "os"
                  and node.func.attr in ("putenv", "unsetenv")):
                found.append((node.lineno, f"os.{node.func.attr}()"))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.append((node.lineno, "os.environ[...] = / del"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and _is_environ(node.value):
            found.append((node.lineno, "a name bound to os.environ itself"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names
                      if a.name in ("environ", "putenv", "unsetenv")]
    return found


def _modules() -> list[tuple[str, Path]]:
    return [(p.relative_to(FLOWS.parent).as_posix(), p) for p in sorted(FLOWS.rglob("*.py"))]


def test_the_detector_sees_every_kind_of_write():
    sample = """
import os
from os import environ
os.environ["A"] = "1"
os.environ.update({"B": "2"})
os.environ.setdefault("C", "3")
os.environ.pop("D", None)
del os.environ["E"]
os.putenv("F", "6")
env = os.environ
copy = {**os.environ, "G": "7"}
value = os.environ.get("H")
"""
    assert sorted(line for line, _ in environ_writes(sample)) == [3, 4, 5, 6, 7, 8, 9, 10]


def test_only_the_entry_point_writes_the_environment():
    offenders = [f"{name}:{line}: {what}" for name, path in _modules() if name != ENTRY_POINT
                 for line, what in environ_writes(path.read_text())]
    assert offenders == [], "only flows/environment.py may write os.environ:\n" + "\n".join(offenders)
    assert environ_writes((FLOWS / "environment.py").read_text()), "the entry point was moved: update ENTRY_POINT"


@pytest.mark.parametrize("name,path", _modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_module_is_longer_than_400_lines(name, path):
    lines = len(path.read_text().splitlines())
    if name in TOO_LONG_FOR_NOW:
        pytest.skip(f"{name}: {lines} lines, being split in issue 21")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES}): split it by responsibility"


def test_no_python_module_queries_dbt_staging():
    hits = [f"{name}:{n}: {line.strip()}" for name, path in _modules()
            for n, line in enumerate(path.read_text().splitlines(), start=1)
            if re.search(r"\bstaging\.[a-z_]", line)]
    assert not hits, "Python reads marts (or ops), not staging:\n" + "\n".join(hits)
