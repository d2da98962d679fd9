"""The paths a phase says it will change, read from its "Files to Create / Modify" parts."""

from __future__ import annotations

import re

from bot.plan.markdown import Document, table_cells

_FILES_HEADER = re.compile(r"\bfiles?\b", re.IGNORECASE)
_FILES_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?\*\*(files?\b[^*]*)\*\*(.*)$", re.IGNORECASE)
# "Files NOT touched", "Files to KEEP": lists of what a phase leaves alone.
_EXCLUDED = re.compile(r"\bnot\b|\bkeep\b|unchanged|untouched|\bno\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
# "- [ ] New file: `src/forge.ts` — dispatcher", anywhere in a phase's section.
_FILE_ITEM = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?\**(?:new|modif\w*|updated?|creat\w*|delet\w*|"
    r"edit\w*|chang\w*)\s+files?\**\s*:?\**\s*`([^`\n]+)`",
    re.IGNORECASE,
)
_PATH = re.compile(r"[\w.~/*?\[\]{}-]+")
# "**Create**: `a.py`", "**CLAUDE.md** - why": a bold (or italic) lead, then the rest.
_BOLD_LEAD = re.compile(r"^(\*\*|\*)([^*\s][^*]*?)\1(?!\*)\s*:?\s*(.*)$")


def path_like(token: str) -> str | None:
    """`token` as a repository path or glob, or None when it is not one."""
    token = re.sub(r":\d[\d\-,]*$", "", token.strip().strip(",;:"))
    token = token.removeprefix("./")
    if not token or token.startswith(("-", "http", "@", "$")) or "{{" in token:
        return None
    if not _PATH.fullmatch(token) or token.count(".") == len(token):
        return None
    if "/" in token or "*" in token or re.search(r"\w\.[A-Za-z]\w{0,7}$", token):
        return token
    return None


def _item_path(content: str) -> str | None:
    """The path a list item or table cell leads with: `- \\`a.py\\``, `- **a.py** - why`,
    or after a bold label, `- **Create**: \\`a.py\\``."""
    content = content.strip()
    bold = _BOLD_LEAD.match(content)
    if bold:
        inner = bold.group(2).strip().rstrip(":").strip()
        inner_code = _CODE.fullmatch(inner)
        lead = path_like(inner_code.group(1) if inner_code else inner)
        if lead or not re.fullmatch(r"[A-Za-z][\w ]{0,30}", inner):
            return lead  # a bold path, or bold prose that names none
        content = bold.group(3).strip()
    code = _CODE.match(content)
    if code:
        return path_like(code.group(1))
    first = content.split(" ", 1)[0] if content else ""
    return path_like(first)


def _paths_in_block(lines: list[str]) -> list[str]:
    paths = []
    for line in lines:
        cells = table_cells(line)
        item = _LIST_ITEM.match(line)
        found = _item_path(cells[0]) if cells else _item_path(item.group(1)) if item else None
        if found:
            paths.append(found)
    return paths


def _label_block(doc: Document, index: int, end: int) -> tuple[list[str], int]:
    """Lines of the list that follows a `**Files to modify:**` label, and where it ends."""
    block = []
    cursor = index + 1
    while cursor < end:
        line = doc.lines[cursor]
        if doc.in_fence[cursor] or line.lstrip().startswith(("**", "#")):
            break
        if not line.strip():
            following = doc.lines[cursor + 1] if cursor + 1 < end else ""
            if not (_LIST_ITEM.match(following) or table_cells(following)):
                break
        block.append(line)
        cursor += 1
    return block, cursor


def _header_blocks(doc: Document, start: int, end: int) -> list[str]:
    paths: list[str] = []
    for header in doc.headers_between(start + 1, end):
        if _FILES_HEADER.search(header.text) and not _EXCLUDED.search(header.text):
            stop = min(doc.section_end(header), end)
            lines = [doc.lines[i] for i in range(header.index + 1, stop) if not doc.in_fence[i]]
            paths += _paths_in_block(lines)
    return paths


def _label_blocks(doc: Document, start: int, end: int) -> list[str]:
    paths: list[str] = []
    index = start
    while index < end:
        match = None if doc.in_fence[index] else _FILES_LABEL.match(doc.lines[index])
        if not match or _EXCLUDED.search(match.group(1)):
            index += 1
            continue
        paths += [p for code in _CODE.findall(match.group(2)) if (p := path_like(code))]
        block, index = _label_block(doc, index, end)
        paths += _paths_in_block(block)
    return paths


def _file_items(doc: Document, start: int, end: int) -> list[str]:
    found = (_FILE_ITEM.match(doc.lines[i]) for i in range(start, end) if not doc.in_fence[i])
    return [path for match in found if match and (path := path_like(match.group(1)))]


def _under_files_header(doc: Document, index: int) -> bool:
    """Whether the header at `index` sits in a section such as "## File Summary"."""
    level = next(h.level for h in doc.headers_between(index, index + 1))
    for header in reversed(doc.headers_between(0, index)):
        if header.level < level:
            return bool(_FILES_HEADER.search(header.text))
    return False


def section_touches(doc: Document, ranges: list[tuple[int, int]]) -> tuple[str, ...]:
    """Paths named in a phase's Files headers and `**Files…**` labels, first mention first.
    A repeat of the phase's header under a "Files" section is itself a file list."""
    paths: list[str] = []
    for number, (start, end) in enumerate(ranges):
        if number and _under_files_header(doc, start):
            lines = [doc.lines[i] for i in range(start + 1, end) if not doc.in_fence[i]]
            paths += _paths_in_block(lines)
        paths += _header_blocks(doc, start, end)
        paths += _label_blocks(doc, start, end)
        paths += _file_items(doc, start, end)
    return tuple(dict.fromkeys(paths))
