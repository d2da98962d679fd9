"""The stand-in's modules import one another in one direction only, at any depth of the code.

A cycle that works only because one side imports inside a function is still a cycle: the two
modules cannot be read, tested or moved apart. Checked on the source with `ast`, so every
import counts, at module level, inside functions and under `TYPE_CHECKING` alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import fakehub

PACKAGE_DIR = Path(fakehub.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that `source` imports anywhere.

    `from p import m` counts as importing p.m when m is a module, else as importing p: the
    package a submodule sits in is loaded first whatever imports it, so that is no edge.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return (found & known) - {module}


def import_graph(package_dir: Path) -> nx.DiGraph:
    paths = {module_name(p): p for p in sorted(package_dir.rglob("*.py"))}
    graph = nx.DiGraph()
    graph.add_nodes_from(paths)
    for module, path in paths.items():
        source = path.read_text(encoding="utf-8")
        for imported in imported_modules(source, module, path.name == "__init__.py", set(paths)):
            graph.add_edge(module, imported)
    return graph


def test_the_graph_sees_the_stand_in() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert graph.has_edge("fakehub.refs", "fakehub.pulls")
    assert graph.has_edge("fakehub.routes.repos", "fakehub.merges")


def test_no_import_cycles_among_fakehub_modules() -> None:
    cycles = sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(import_graph(PACKAGE_DIR)))
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from fakehub import pulls", {"fakehub.pulls"}),
        ("def f():\n    from fakehub import pulls", {"fakehub.pulls"}),
        ("import fakehub.pulls", {"fakehub.pulls"}),
        ("from .pulls import emit", {"fakehub.pulls"}),
        ("from fakehub.pulls import emit", {"fakehub.pulls"}),
        ("if TYPE_CHECKING:\n    from fakehub.pulls import emit", {"fakehub.pulls"}),
        ("from fakehub.store import Repo", {"fakehub.store"}),
        ("from fakehub import VERSION", {"fakehub"}),
        ("import json", set()),
    ],
)
def test_function_level_and_relative_imports_count(source: str, expected: set[str]) -> None:
    known = {"fakehub", "fakehub.pulls", "fakehub.refs", "fakehub.store"}
    assert imported_modules(source, "fakehub.refs", False, known) == expected
