"""Plan paths from commands: normalised, relative, inside the repository, or refused."""

from __future__ import annotations

import pytest

from bot.inputs.discovery import PlanNotFound, find_plan, path_problem


@pytest.mark.parametrize(
    "path", ["codev/plans/0042-board.md", "plan.md", "docs/a.b/plan-2.md", "ü/plan.md"]
)
def test_paths_inside_the_repository_pass(path: str) -> None:
    assert path_problem(path) is None


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("../../x", "not a normalised path"),
        ("a/../../issues/1", "not a normalised path"),
        ("a/./b", "not a normalised path"),
        ("a//b", "not a normalised path"),
        ("/etc/passwd", "not a path inside the repository"),
        ("https://example.com/p.md", "not a path inside the repository"),
        ("C:/plan.md", "not a path inside the repository"),
        ("a\\..\\b", "not a path inside the repository"),
        ("a/%2e%2e/b", "URL syntax"),
        ("%2E%2E/x", "URL syntax"),
        ("p.md?ref=x", "URL syntax"),
        ("p.md#x", "URL syntax"),
        ("a\nb", "control characters"),
        ("", "empty"),
    ],
)
def test_paths_that_leave_the_repository_are_refused(path: str, says: str) -> None:
    problem = path_problem(path)
    assert problem is not None and says in problem


def test_a_refused_path_is_never_read() -> None:
    read: list[str] = []
    found = find_plan("", "../../x", lambda p: read.append(p) or None, "main")
    assert isinstance(found, PlanNotFound) and "`../../x`" in found.reason
    assert read == []
