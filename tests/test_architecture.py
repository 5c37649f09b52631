"""Structural rules, checked on the source with ast:

* the platform (council/) never imports the exercises package (exercises
  plug into the platform, not the other way round);
* services and the pure modules never import Flask, so every interface
  (pages, REST, sockets, CLI) and the tests can call them without a request;
* only council/config.py reads the process environment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COUNCIL = ROOT / "council"
PURE = ("access.py", "text.py", "realtime.py", "errors.py", "actors.py", "db.py", "audit/services.py")
SKIP_DIRS = {".venv", "node_modules", "__pycache__", ".git", "static", "templates", "instance"}


def python_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module named by an import, top level or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_the_scan_sees_the_code():
    names = {rel(p) for p in python_files(COUNCIL)}
    assert {"council/app.py", "council/config.py", "council/auth/services.py", "council/cli.py"} <= names


def test_nothing_under_council_imports_exercises():
    offenders = [
        f"{rel(path)}:{line} imports {module}"
        for path in python_files(COUNCIL)
        for line, module in imported_modules(parse(path))
        if _top(module) == "exercises"
    ]
    assert offenders == []


def service_modules() -> list[Path]:
    found = set(COUNCIL.rglob("services.py"))
    found |= {COUNCIL / name for name in PURE if (COUNCIL / name).exists()}
    return sorted(p for p in found if "__pycache__" not in p.parts)


def test_services_and_pure_modules_exist_to_be_checked():
    names = {rel(p) for p in service_modules()}
    assert {"council/auth/services.py", "council/orgs/services.py", "council/audit/services.py",
            "council/realtime.py", "council/text.py"} <= names


@pytest.mark.parametrize("path", service_modules(), ids=rel)
def test_services_do_not_import_flask(path):
    offenders = [
        f"{rel(path)}:{line} imports {module}"
        for line, module in imported_modules(parse(path))
        if _top(module) in {"flask", "flask_login", "flask_socketio", "flask_wtf", "werkzeug"}
    ]
    assert offenders == []


def environment_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """os.environ / os.getenv / os.putenv, however imported."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "environb", "getenv", "putenv", "unsetenv"}:
            yield node.lineno, f"os.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in {"environ", "environb", "getenv", "putenv", "unsetenv"}:
                    yield node.lineno, f"from os import {alias.name}"


def test_only_config_reads_the_environment():
    allowed = {COUNCIL / "config.py"}
    files = [*python_files(COUNCIL), ROOT / "wsgi.py"]
    offenders = [
        f"{rel(path)}:{line} uses {what}"
        for path in files if path not in allowed
        for line, what in environment_reads(parse(path))
    ]
    assert offenders == []


def test_config_itself_does_read_the_environment():
    assert list(environment_reads(parse(COUNCIL / "config.py")))


def test_the_checkers_catch_what_they_look_for():
    tree = ast.parse(
        "import os\nimport exercises.tabletop\nfrom flask import g\n"
        "def f():\n    from os import getenv\n    return os.environ['X']\n"
        "importlib.import_module('exercises')\n"
    )
    modules = [m for _l, m in imported_modules(tree)]
    assert "exercises.tabletop" in modules and "flask" in modules and "exercises" in modules
    assert sorted(w for _l, w in environment_reads(tree)) == ["from os import getenv", "os.environ"]
