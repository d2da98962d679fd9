"""Which App permission a REST request needs, as GitHub documents per endpoint."""

from __future__ import annotations

import re

# (path pattern under /repos/{owner}/{repo}, permission), first match wins.
_REPO_RULES = (
    (re.compile(r"/(check-runs|check-suites|commits/[^/]+/check-runs)(/|$)"), "checks"),
    (re.compile(r"/pulls(/|$)"), "pull_requests"),
    (re.compile(r"/issues(/|$)"), "issues"),
    (
        re.compile(r"/(contents|git|branches|merges|commits|compare|zipball|tarball)(/|$)"),
        "contents",
    ),
)
_REPO = re.compile(r"^/repos/[^/]+/[^/]+(?P<rest>/.*)?$")


def required(method: str, path: str) -> tuple[str, str] | None:
    """(permission, `read`/`write`) a request needs; None for what any token may call."""
    match = _REPO.match(path)
    if match is None:
        return None
    rest = match.group("rest") or ""
    level = "read" if method in ("GET", "HEAD") else "write"
    for pattern, permission in _REPO_RULES:
        if pattern.match(rest):
            return permission, level
    if rest in ("", "/collaborators") or rest.startswith("/collaborators/"):
        return "metadata", "read"
    return None
