"""Predicted conflicts: phases that may run at once and say they will change the same paths."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.plan.model import Phase

_WILDCARD = re.compile(r"[*?\[{]")
_MAX_DEPTH = 32
_MAX_STARS = 6


@dataclass(frozen=True)
class Conflict:
    phases: tuple[str, str]
    paths: tuple[str, ...]


@lru_cache(maxsize=4096)
def _glob_regex(glob: str) -> re.Pattern[str]:
    """`**` crosses directories, `*` and `?` do not; a trailing `/` means everything under it."""
    glob = glob + "**" if glob.endswith("/") else glob
    out = []
    index = 0
    while index < len(glob):
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif glob[index] == "*":
            out.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(out) + r"(?:/.*)?\Z")


def _literal_prefix(glob: str) -> str:
    match = _WILDCARD.search(glob)
    return glob[: match.start()] if match else glob


def overlaps(a: str, b: str) -> bool:
    """Whether two path globs can name a common file (conservative for glob against glob)."""
    a_glob, b_glob = _is_glob(a), _is_glob(b)
    if not a_glob and not b_glob:
        # A path may name a directory: "src" holds "src/a.py".
        return a == b or b.startswith(a + "/") or a.startswith(b + "/")
    # Each `*` is a `.*`-like group: many of them backtrack badly, so fall back to prefixes.
    if a_glob and not b_glob and a.count("*") <= _MAX_STARS:
        return bool(_glob_regex(a).match(b))
    if b_glob and not a_glob and b.count("*") <= _MAX_STARS:
        return bool(_glob_regex(b).match(a))
    prefix_a, prefix_b = _literal_prefix(a), _literal_prefix(b)
    return prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)


def _shared_paths(a: Phase, b: Phase) -> tuple[str, ...]:
    shared = []
    for path_a in a.touches:
        for path_b in b.touches:
            if overlaps(path_a, path_b):
                shared.append(path_a if path_a == path_b else f"{path_a} ~ {path_b}")
    return tuple(dict.fromkeys(shared))


def _is_glob(path: str) -> bool:
    return bool(_WILDCARD.search(path)) or path.endswith("/")


def _pairs(indexes: Sequence[int]) -> set[tuple[int, int]]:
    unique = sorted(set(indexes))
    return {(a, b) for i, a in enumerate(unique) for b in unique[i + 1 :]}


def _candidate_pairs(phases: Sequence[Phase]) -> set[tuple[int, int]]:
    """Index pairs that may share a path: the same path, a path and its parent directory, or
    anything against a glob. Bucketing keeps thousands of phases cheap."""
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, phase in enumerate(phases):
        for path in phase.touches:
            by_path[path].append(index)
    candidates: set[tuple[int, int]] = set()
    for indexes in by_path.values():
        candidates |= _pairs(indexes)
    for index, phase in enumerate(phases):
        for path in phase.touches:
            # Real paths are a few directories deep; the cap keeps a pathological one linear.
            parts = path.split("/", _MAX_DEPTH)
            for depth in range(1, len(parts)):
                for other in by_path.get("/".join(parts[:depth]), ()):
                    candidates |= _pairs([index, other]) if other != index else set()
        if any(_is_glob(path) for path in phase.touches):
            candidates |= {(min(index, b), max(index, b)) for b in range(len(phases)) if b != index}
    return candidates


def predicted_conflicts(
    phases: Sequence[Phase], reaches: Callable[[str, str], bool]
) -> tuple[Conflict, ...]:
    """Pairs of concurrent phases (neither reaches the other) whose touched paths overlap."""
    conflicts = []
    for a, b in sorted(_candidate_pairs(phases)):
        first, second = phases[a], phases[b]
        if first.id == second.id or reaches(first.id, second.id) or reaches(second.id, first.id):
            continue
        shared = _shared_paths(first, second)
        if shared:
            conflicts.append(Conflict((first.id, second.id), shared))
    return tuple(conflicts)
