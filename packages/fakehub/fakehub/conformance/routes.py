"""Matching concrete REST paths to the templated paths of GitHub's description."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation: a templated path and a method."""

    template: str
    method: str
    operation: dict[str, Any]
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    integer_params: frozenset[str]
    # Sort key, higher wins: literal segments, then not deprecated, then fewer multi-segment
    # parameters, so `commits/{ref}/status` beats `commits/{ref}` for `commits/abc/status`.
    rank: tuple[int, int, int]


@dataclass(frozen=True)
class Match:
    route: Route
    params: dict[str, str]


def _parameters(operation: dict[str, Any], resolve: Any) -> list[dict[str, Any]]:
    return [resolve(p) for p in operation.get("parameters", [])]


def _compile(template: str, multi: set[str]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A regex for the template; parameters marked `x-multi-segment` may span slashes."""
    names: list[str] = []

    def group(found: re.Match[str]) -> str:
        names.append(found.group(1))
        return "(.+)" if found.group(1) in multi else "([^/]+)"

    parts = [
        _PARAM.sub(group, re.escape(segment).replace(r"\{", "{").replace(r"\}", "}"))
        for segment in template.split("/")
    ]
    return re.compile("/".join(parts) + r"\Z"), tuple(names)


def build_routes(paths: dict[str, Any], resolve: Any) -> dict[str, list[Route]]:
    """Routes indexed by the first path segment, each list best match first."""
    index: dict[str, list[Route]] = defaultdict(list)
    for template, item in paths.items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            params = [resolve(p) for p in shared] + _parameters(operation, resolve)
            in_path = [p for p in params if p.get("in") == "path"]
            multi = {p["name"] for p in in_path if p.get("x-multi-segment")}
            integers = frozenset(
                p["name"] for p in in_path if p.get("schema", {}).get("type") == "integer"
            )
            pattern, names = _compile(template, multi)
            literals = sum(1 for s in template.split("/") if s and "{" not in s)
            rank = (literals, 0 if operation.get("deprecated") else 1, -len(multi))
            route = Route(template, method, operation, pattern, names, integers, rank)
            index[_first_segment(template)].append(route)
    for routes in index.values():
        routes.sort(key=lambda r: r.rank, reverse=True)
    return dict(index)


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.count("/") else ""


def match(index: dict[str, list[Route]], method: str, path: str) -> tuple[Match | None, list[str]]:
    """The best route for `method` and `path`, or None and the templates that matched the path
    under other methods (to say "not allowed" rather than "unknown")."""
    method = method.lower()
    other_methods: list[str] = []
    for route in index.get(_first_segment(path), []):
        found = route.pattern.match(path)
        if found is None:
            continue
        params = dict(zip(route.names, found.groups(), strict=True))
        # GitHub's router does not send `/issues/abc` to an `{issue_number}` operation.
        if any(not params[name].isdigit() for name in route.integer_params if name in params):
            continue
        if route.method == method:
            return Match(route, params), []
        other_methods.append(f"{route.method.upper()} {route.template}")
    return None, other_methods
