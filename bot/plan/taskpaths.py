"""The file paths a task line names ("Create User model in src/models/user.py")."""

from __future__ import annotations

import re

from bot.plan.touches import path_like

_TOKEN = re.compile(r"`([^`\n]+)`|(\S+)")
# Extensions a bare file name (no `/`) must end with to count: prose holds "e.g." and "i.e.".
_EXTENSIONS = (
    "c|cc|cfg|cjs|conf|cpp|cs|css|csv|dart|env|ex|exs|go|gradle|graphql|h|hpp|html|ini|ipynb|mod|sum|"
    "java|js|json|jsx|kt|kts|lock|lua|md|mdx|mjs|php|pl|proto|ps1|py|pyi|r|rb|rs|scss|sh|sql|"
    "svelte|swift|tf|toml|ts|tsx|txt|vue|xml|yaml|yml|zig"
)
_FILE_NAME = re.compile(rf"[\w.-]*\w\.(?:{_EXTENSIONS})", re.IGNORECASE)
# Product names that look like file names: "Node.js", "Vue.js", "Next.js".
_PRODUCT = re.compile(r"[A-Z][A-Za-z0-9]*\.js")
_TRIM = "()[]{},;:'\"“”‘’!?"


def _word_path(token: str) -> str | None:
    """A path written in prose: with a `/`, it needs a file extension, a trailing `/` or two
    `/`s ("src/models/user.py", "docs/", "backend/src/api"), which "and/or" and "CI/CD" lack;
    without one, a known file extension ("README.md", "package.json")."""
    token = token.strip(_TRIM).rstrip(".").strip(_TRIM)
    if "/" in token:
        last = token.rstrip("/").rsplit("/", 1)[-1]
        if not (token.endswith("/") or token.count("/") >= 2 or _FILE_NAME.fullmatch(last)):
            return None
    elif not _FILE_NAME.fullmatch(token) or _PRODUCT.fullmatch(token):
        return None
    return path_like(token)


def task_paths(text: str) -> tuple[str, ...]:
    """Paths in backticks, and path-shaped words, in the order the task names them. One that
    starts with `/` is an HTTP route ("POST /albums/{id}/share"), not a file."""
    paths = []
    for match in _TOKEN.finditer(text):
        code, word = match.groups()
        found = path_like(code) if code is not None else _word_path(word)
        if found and not found.startswith("/"):
            paths.append(found)
    return tuple(dict.fromkeys(paths))
