"""Plan markdown to a Plan: the phase set, ids, dependencies (R1-R4) and touched paths. Pure."""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass

from bot.plan.claims import find_claims
from bot.plan.headers import HeaderPhase, header_phases
from bot.plan.jsonblock import JsonBlock, JsonPhase, phase_blocks
from bot.plan.markdown import Document, scan
from bot.plan.model import DependencySource, Diagnostic, Phase, Plan, PlanSource
from bot.plan.rules import Declared, PhaseRef, Resolver, declare
from bot.plan.taskgraph import task_list_phases
from bot.plan.tasklist import TaskList, read_task_list
from bot.plan.taskunits import task_list_sections
from bot.plan.touches import section_touches

Paths = tuple[str, ...]

MAX_PLAN_BYTES = 2 * 1024 * 1024  # the largest real plan is ~50 kB
_ID_LABEL = re.compile(r"^phase[_-]?(\d+[a-z]?|[a-z])(?:[_-].*)?$", re.IGNORECASE)
_TITLE_LABEL = re.compile(r"^[Pp]hase\s+(\d+[a-z]?|[A-Z])\s*[:—–-]")


@dataclass(frozen=True)
class _Draft:
    """A phase before its dependencies are known."""

    id: str
    label: str
    title: str
    line: int
    header: HeaderPhase | None
    json: JsonPhase | None


def _json_label(phase: JsonPhase) -> str | None:
    for pattern, text in ((_ID_LABEL, phase.id), (_TITLE_LABEL, phase.title)):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def _match(block: JsonBlock, headers: list[HeaderPhase]) -> dict[int, HeaderPhase]:
    """JSON phase position -> its header: through the id, `phase_<label>`, a `Phase 1a:` title
    prefix, and document order when the counts agree."""
    by_label = {header.label.lower(): header for header in headers}
    matched: dict[int, HeaderPhase] = {}
    taken: set[int] = set()  # header line indexes already matched
    for position, phase in enumerate(block.phases):
        for alias in (phase.id, _json_label(phase)):
            header = by_label.get((alias or "").lower())
            if header is not None and header.index not in taken:
                matched[position] = header
                taken.add(header.index)
                break
    if len(block.phases) == len(headers):
        free = iter(h for h in headers if h.index not in taken)
        for position in range(len(block.phases)):
            if position not in matched:
                matched[position] = next(free)
    return matched


def _from_json(
    block: JsonBlock,
    headers: list[HeaderPhase],
    warnings: list[Diagnostic],
    empty: Set[int] = frozenset(),
) -> list[_Draft]:
    """Phases from the JSON block, matched to their headers. `empty` holds the header lines
    of task-list phases without tasks: a block written back from the list leaves them out."""
    matched = _match(block, headers)
    drafts = []
    for position, phase in enumerate(block.phases):
        header = matched.get(position)
        label = header.label if header else _json_label(phase) or str(position + 1)
        line = header.index + 1 if header else phase.line
        title = phase.title or (header.title if header else "")
        drafts.append(_Draft(phase.id, label, title, line, header, phase))
    taken = {header.index for header in matched.values()}
    for header in headers:
        if header.index not in taken and header.index not in empty:
            message = f"header Phase {header.label} matches no phase of the JSON block; ignored"
            warnings.append(Diagnostic(message, header.index + 1))
    return drafts


def _from_headers(headers: list[HeaderPhase]) -> list[_Draft]:
    return [
        _Draft(f"phase_{h.label.lower()}", h.label, h.title, h.index + 1, h, None) for h in headers
    ]


def _choose_block(
    blocks: list[JsonBlock], headers: list[HeaderPhase], warnings: list[Diagnostic]
) -> JsonBlock | None:
    """The first block that can be the plan's: one whose phases fit the headers, if any."""
    for block in blocks:
        if not block.phases or not headers or _match(block, headers):
            return block
        ids = ", ".join(phase.id for phase in block.phases[:3])
        message = f"JSON block lists phases ({ids}) that match no Phase header; read as an example"
        warnings.append(Diagnostic(message, block.line))
    return None


def _drafts(
    doc: Document,
    block: JsonBlock | None,
    headers: list[HeaderPhase],
    task_list: TaskList | None,
    warnings: list[Diagnostic],
) -> list[_Draft]:
    if block is None or not block.phases:
        return _from_headers(headers)
    warnings += block.warnings
    empty = {p.index for p in task_list.phases if not p.has_items} if task_list else set()
    return _from_json(block, header_phases(doc, merge_same_level=True), warnings, empty)


def _overview(doc: Document) -> str:
    for header in doc.headers:
        if re.search(r"overview|summary", header.text, re.IGNORECASE) and header.level <= 2:
            body = doc.lines[header.index + 1 : doc.section_end(header)]
            return "\n".join(body).strip()
    return ""


def _json_declared(draft: _Draft) -> Declared | None:
    """R1: the JSON `depends_on`, when the phase has one."""
    json = draft.json
    if json is None or json.depends_on is None:
        return None
    return Declared(json.depends_on, DependencySource.JSON, json.line)


def _build(
    doc: Document, draft: _Draft, declared: Declared, task_part: tuple[str, Paths] | None
) -> Phase:
    """The phase; `task_part` is its section and paths when a task list holds it."""
    ranges = draft.header.ranges() if draft.header else []
    json = draft.json
    if task_part is not None:
        section, touches = task_part
    else:
        section = "\n".join("\n".join(doc.lines[start:end]) for start, end in ranges)
        touches = section_touches(doc, ranges)
    if json is not None and json.touches is not None:
        touches = json.touches
    return Phase(
        id=draft.id,
        label=draft.label,
        title=draft.title,
        line=draft.line,
        depends_on=declared.ids,
        touches=touches,
        section=section,
        estimate_minutes=json.estimate_minutes if json else None,
        depends_line=declared.line,
        depends_source=declared.source,
    )


def _phase_ref(draft: _Draft) -> PhaseRef:
    ranges = tuple(draft.header.ranges()) if draft.header else ()
    aliases = [_json_label(draft.json) if draft.json else None]
    if draft.json and draft.header:
        aliases.append(draft.header.label)
    unique = tuple(dict.fromkeys(a for a in aliases if a and a.lower() != draft.label.lower()))
    return PhaseRef(draft.id, draft.label, ranges, unique)


def _source(
    block: JsonBlock | None, task_list: TaskList | None, phases: tuple[Phase, ...]
) -> PlanSource:
    if not phases:
        return PlanSource.NONE
    if block is not None and block.phases:
        return PlanSource.JSON_BLOCK
    return PlanSource.TASK_LIST if task_list is not None else PlanSource.HEADERS


def parse_plan(text: str, *, split_parallel_tasks: bool = False) -> Plan:
    """Read plan markdown. Never raises: what is wrong becomes `errors`, with line numbers.

    The phases come from the first source that applies: the JSON block, a spec-kit task
    list, `Phase` headers. `split_parallel_tasks` runs each `[P]` task of a task list as a
    phase of its own."""
    doc = scan(text)
    warnings: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    headers = header_phases(doc)
    block = _choose_block(phase_blocks(doc), headers, warnings)
    if block is not None:
        errors += block.errors
    task_list = read_task_list(doc)
    if task_list is not None and (block is None or not block.phases):
        read = task_list_phases(doc, task_list, split_parallel_tasks)
        return Plan(
            phases=read.phases,
            overview=_overview(doc),
            warnings=tuple(warnings) + read.warnings,
            errors=tuple(errors) + read.errors,
            source=_source(None, task_list, read.phases),
        )
    drafts = _drafts(doc, block, headers, task_list, warnings)
    refs = [_phase_ref(draft) for draft in drafts]
    resolver = Resolver(refs)
    declared = declare(doc, refs, resolver, [_json_declared(draft) for draft in drafts])
    # A JSON block pasted into a task list: the sections still come from the task list.
    parts = task_list_sections(doc, task_list, {d.id for d in drafts}) if task_list else {}
    phases = tuple(
        _build(doc, d, dec, parts.get(d.id)) for d, dec in zip(drafts, declared, strict=True)
    )
    return Plan(
        phases=phases,
        overview=_overview(doc),
        warnings=tuple(warnings + resolver.warnings),
        errors=tuple(errors + resolver.errors),
        # The prose checks read codev's wording; a task list's is read by its own rules.
        claims=find_claims(doc, refs) if task_list is None else (),
        source=_source(block, task_list, phases),
    )


def _input_error(message: str) -> Plan:
    return Plan(phases=(), errors=(Diagnostic(message, 0),))


def parse_plan_bytes(
    data: bytes, limit: int = MAX_PLAN_BYTES, *, split_parallel_tasks: bool = False
) -> Plan:
    """Read a plan from raw bytes (a file, stdin, an API download). Oversized, binary or
    undecodable input becomes a clear error rather than an exception or garbage phases."""
    if len(data) > limit:
        # Not the size: readers stop one byte past the limit, so `data` may be a prefix.
        return _input_error(
            f"the plan is larger than {limit / 1_048_576:g} MB; larger plans are refused"
        )
    if b"\x00" in data:
        return _input_error("the plan is binary data (it holds NUL bytes), not markdown text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _input_error(f"the plan is not UTF-8 text (byte {error.start} cannot be decoded)")
    if not text.strip():
        return _input_error("the plan is empty")
    return parse_plan(text, split_parallel_tasks=split_parallel_tasks)
