"""The machine-readable phase block: a fenced JSON object with a `phases` list."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from bot.plan.markdown import Document, Fence
from bot.plan.model import Diagnostic

_JSON_INFO = {"", "json", "jsonc", "json5"}
MAX_ESTIMATE_MINUTES = 525_600
# A block that starts this way is meant to be the plan's own block, so failing to parse it is
# an error; other blocks that mention "phases" are examples (protocol files, API payloads).
_LOOKS_LIKE_PLAN_BLOCK = re.compile(r'^\s*\{\s*"phases"\s*:')


@dataclass(frozen=True)
class JsonPhase:
    id: str
    title: str
    line: int
    depends_on: tuple[str, ...] | None = None
    touches: tuple[str, ...] | None = None
    estimate_minutes: float | None = None


@dataclass(frozen=True)
class JsonBlock:
    line: int  # 1-based line of the opening fence
    phases: tuple[JsonPhase, ...]
    errors: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = field(default_factory=tuple)


def _string_list(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


_ID_ENTRY = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*")')


def _id_lines(fence: Fence) -> dict[str, list[int]]:
    """Every `"id": "..."` in the block -> the 1-based lines it appears on, in order.
    One pass over the block, whatever its layout (one phase per line, or all on one)."""
    found: dict[str, list[int]] = {}
    for offset, text in enumerate(fence.body.split("\n")):
        for match in _ID_ENTRY.finditer(text):
            try:
                value = json.loads(match.group(1))
            except json.JSONDecodeError:
                continue
            if isinstance(value, str):
                found.setdefault(value.strip(), []).append(fence.start + 2 + offset)
    return found


def _estimate(
    raw: dict[str, object], name: str, line: int, warnings: list[Diagnostic]
) -> float | None:
    value = raw.get("estimate_minutes")
    if value is None:
        return None
    try:
        minutes = float(value) if isinstance(value, int | float) else math.nan
    except OverflowError:  # an integer too large for a float
        minutes = math.inf
    if isinstance(value, bool) or not math.isfinite(minutes):
        warnings.append(Diagnostic(f"{name}: estimate_minutes must be a number; ignored", line))
        return None
    if minutes < 0:
        warnings.append(Diagnostic(f"{name}: estimate_minutes is negative; ignored", line))
        return None
    if minutes > MAX_ESTIMATE_MINUTES:
        # Sums of such values overflow to infinity, which JSON output cannot carry.
        message = f"{name}: estimate_minutes is over {MAX_ESTIMATE_MINUTES:,} (a year); ignored"
        warnings.append(Diagnostic(message, line))
        return None
    return minutes


def _read_phase(
    raw: object, position: int, fence: Fence, id_lines: dict[str, list[int]]
) -> tuple[JsonPhase | None, list[Diagnostic], list[Diagnostic]]:
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"].strip():
        message = f"phase {position} in the JSON block has no string id"
        return None, [Diagnostic(message, fence.start + 1)], warnings
    phase_id = raw["id"].strip()
    # A repeated id takes the next of its lines, so duplicates point at different lines.
    lines = id_lines.get(phase_id) or [fence.start + 1]
    line = lines.pop(0) if len(lines) > 1 else lines[0]
    depends_on = _string_list(raw["depends_on"]) if "depends_on" in raw else None
    if "depends_on" in raw and depends_on is None:
        errors.append(Diagnostic(f"{phase_id}: depends_on must be a list of phase ids", line))
    touches = _string_list(raw.get("touches", raw.get("files")))
    if ("touches" in raw or "files" in raw) and touches is None:
        warnings.append(Diagnostic(f"{phase_id}: touches must be a list of globs; ignored", line))
    title = raw.get("title")
    phase = JsonPhase(
        id=phase_id,
        # One line, as a header title is: a newline would break text and Mermaid output.
        title=" ".join(title.split()) if isinstance(title, str) else "",
        line=line,
        depends_on=depends_on,
        touches=touches,
        estimate_minutes=_estimate(raw, phase_id, line, warnings),
    )
    return phase, errors, warnings


def _read_block(fence: Fence, data: dict[str, object]) -> JsonBlock:
    raw_phases = data["phases"]
    assert isinstance(raw_phases, list)
    phases: list[JsonPhase] = []
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    id_lines = _id_lines(fence)
    for position, raw in enumerate(raw_phases, start=1):
        phase, phase_errors, phase_warnings = _read_phase(raw, position, fence, id_lines)
        errors += phase_errors
        warnings += phase_warnings
        if phase:
            phases.append(phase)
    return JsonBlock(fence.start + 1, tuple(phases), tuple(errors), tuple(warnings))


def _parse_error(fence: Fence, error: ValueError | RecursionError) -> JsonBlock:
    if isinstance(error, json.JSONDecodeError):
        line = fence.start + 1 + error.lineno
        reason = f"{error.msg} (column {error.colno})"
    else:  # nested too deeply, or an integer too long to convert
        line, reason = fence.start + 1, str(error) or type(error).__name__
    message = f"the phases JSON block does not parse: {reason}"
    return JsonBlock(fence.start + 1, (), (Diagnostic(message, line),))


def _is_candidate(fence: Fence) -> bool:
    return fence.info.split(" ")[0].lower() in _JSON_INFO and '"phases"' in fence.body


def phase_blocks(doc: Document) -> list[JsonBlock]:
    """Candidate phase blocks in document order. A block that fails to parse is returned only
    when it is clearly meant as the plan's block, and then it ends the list."""
    blocks: list[JsonBlock] = []
    for fence in filter(_is_candidate, doc.fences):
        try:
            data = json.loads(fence.body)
        except (ValueError, RecursionError) as error:
            if _LOOKS_LIKE_PLAN_BLOCK.match(fence.body):
                blocks.append(_parse_error(fence, error))
                break
            continue
        if isinstance(data, dict) and isinstance(data.get("phases"), list):
            blocks.append(_read_block(fence, data))
    return blocks
