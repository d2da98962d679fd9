"""A small line-level view of Markdown: fenced blocks, headers and tables, with line numbers."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

_HEADER = re.compile(r" {0,3}(#{1,6})(?:[ \t](.*))?")
_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True)
class Fence:
    """A fenced code block; `start` and `end` are 0-based indexes of the fence lines."""

    start: int
    end: int
    info: str
    body: str


@dataclass(frozen=True)
class Header:
    index: int  # 0-based line index
    level: int
    text: str


@dataclass(frozen=True)
class Document:
    lines: tuple[str, ...]
    in_fence: tuple[bool, ...]  # True for fence lines and everything between them
    fences: tuple[Fence, ...]
    headers: tuple[Header, ...]
    header_lines: tuple[int, ...]  # the headers' line indexes, for bisection

    def headers_between(self, start: int, end: int) -> tuple[Header, ...]:
        """Headers on lines start..end-1 (0-based), found by bisection: plans can be long."""
        lines = self.header_lines
        return self.headers[bisect_left(lines, start) : bisect_left(lines, end)]

    def section_end(self, header: Header) -> int:
        """Index one past the last line under `header` (next header of the same or higher level)."""
        for following in range(bisect_right(self.header_lines, header.index), len(self.headers)):
            if self.headers[following].level <= header.level:
                return self.headers[following].index
        return len(self.lines)


def split_lines(text: str) -> list[str]:
    # Not str.splitlines(): it also breaks on form feeds and U+2028, which would shift line
    # numbers away from what an editor shows.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _fence_close(line: str, marker: str) -> bool:
    stripped = line.strip()
    return (
        len(stripped) >= len(marker)
        and stripped[0] == marker[0]
        and stripped == marker[0] * len(stripped)
    )


def _scan_fences(lines: list[str]) -> tuple[list[bool], list[Fence]]:
    in_fence = [False] * len(lines)
    fences: list[Fence] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        # An opener of backticks whose info string holds a backtick is inline code, not a fence.
        if not match or (match.group(1)[0] == "`" and "`" in match.group(2)):
            index += 1
            continue
        marker, info = match.group(1), match.group(2).strip()
        end = index + 1
        while end < len(lines) and not _fence_close(lines[end], marker):
            end += 1
        for inner in range(index, min(end + 1, len(lines))):
            in_fence[inner] = True
        body = "\n".join(lines[index + 1 : end])
        fences.append(Fence(index, min(end, len(lines) - 1), info, body))
        index = end + 1
    return in_fence, fences


def _header_text(text: str) -> str:
    """Header text without the optional closing run of #s. Done by hand: a regex for it
    backtracks quadratically on long lines of spaces and tabs."""
    text = text.strip()
    closing = text.rstrip("#")
    if closing != text and (not closing or closing[-1] in " \t"):
        text = closing.rstrip()
    return text


def scan(text: str) -> Document:
    lines = split_lines(text)
    in_fence, fences = _scan_fences(lines)
    headers = []
    for index, line in enumerate(lines):
        if in_fence[index] or not line.startswith(("#", " ")):
            continue
        match = _HEADER.fullmatch(line)
        if match:
            headers.append(Header(index, len(match.group(1)), _header_text(match.group(2) or "")))
    header_lines = tuple(header.index for header in headers)
    return Document(tuple(lines), tuple(in_fence), tuple(fences), tuple(headers), header_lines)


def table_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row, or None when the line is not one."""
    stripped = line.strip()
    if not stripped.startswith("|") or stripped.count("|") < 2:
        return None
    inner = stripped[1:-1] if stripped.endswith("|") else stripped[1:]
    return [cell.strip() for cell in inner.split("|")]


def is_separator_row(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{2,}:?", cell.replace(" ", "")) for cell in cells if cell)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (0-based line index, cells)


def tables(doc: Document) -> list[Table]:
    """Every table outside fenced blocks: a header row, a separator row, then body rows."""
    found: list[Table] = []
    index = 0
    lines = doc.lines
    while index + 1 < len(lines):
        header = None if doc.in_fence[index] else table_cells(lines[index])
        separator = table_cells(lines[index + 1]) if header else None
        if not header or not separator or not is_separator_row(separator):
            index += 1
            continue
        rows = []
        index += 2
        while index < len(lines) and not doc.in_fence[index]:
            cells = table_cells(lines[index])
            if cells is None:
                break
            rows.append((index, tuple(cells)))
            index += 1
        found.append(Table(tuple(header), tuple(rows)))
    return found


_EMPHASIS = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)")


def strip_emphasis(text: str) -> str:
    """Drop bold/italic markers and backticks, which authors sprinkle inside declarations."""
    return _EMPHASIS.sub("", text)
