"""Writing a plan's graph back as its JSON block, and reading that block again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.plan.model import Phase, Plan, PlanSource
from bot.plan.parse import parse_plan, parse_plan_bytes
from bot.plan.render import to_json_block
from tests.plan.plan_writers import json_plan

SPECKIT = Path(__file__).resolve().parent / "speckit"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _graph(plan: Plan) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    return [(p.id, p.title, p.depends_on, p.touches) for p in plan.phases]


def _reads_back(plan: Plan, text: str) -> None:
    """The block on its own gives the same phases, edges and touches; pasted at the top of
    the plan it wins over what the plan said, and each phase keeps its section."""
    block = to_json_block(plan)
    alone = parse_plan(block)
    assert alone.errors == ()
    assert _graph(alone) == _graph(plan)
    if plan.phases:
        pasted = parse_plan(block + "\n" + text)
        assert pasted.source is PlanSource.JSON_BLOCK
        assert _graph(pasted) == _graph(plan)
        assert [p.section for p in pasted.phases] == [p.section for p in plan.phases]


def test_the_block_of_the_diamond_example() -> None:
    plan = parse_plan((EXAMPLES / "diamond.md").read_text())
    assert to_json_block(plan) == (
        "```json\n"
        '{"phases": [\n'
        '  {"id": "phase_1", "title": "Data layer", "depends_on": [], "estimate_minutes": 10,\n'
        '   "touches": ["app/models.py", "app/db.py"]},\n'
        '  {"id": "phase_2", "title": "API routes", "depends_on": ["phase_1"], '
        '"estimate_minutes": 10,\n'
        '   "touches": ["app/api.py"]},\n'
        '  {"id": "phase_3", "title": "UI components", "depends_on": ["phase_1"], '
        '"estimate_minutes": 10,\n'
        '   "touches": ["app/ui.py"]},\n'
        '  {"id": "phase_4", "title": "Integration", "depends_on": ["phase_2", "phase_3"],\n'
        '   "estimate_minutes": 10, "touches": ["app/main.py"]}\n'
        "]}\n"
        "```\n"
    )


def test_short_phases_stay_on_one_line_and_odd_titles_survive() -> None:
    plan = Plan(
        phases=(
            Phase("a", "1", 'Quote " and <T> — ✓', 1, estimate_minutes=7.5),
            Phase("b", "2", "", 2, depends_on=("a",)),
        )
    )
    block = to_json_block(plan)
    assert block.splitlines()[2:5] == [
        '  {"id": "a", "title": "Quote \\" and <T> — ✓", "depends_on": [], '
        '"estimate_minutes": 7.5,',
        '   "touches": []},',
        '  {"id": "b", "title": "", "depends_on": ["a"], "touches": []}',
    ]
    again = parse_plan(block)
    assert [(p.id, p.title, p.depends_on, p.estimate_minutes) for p in again.phases] == [
        ("a", 'Quote " and <T> — ✓', (), 7.5),
        ("b", "", ("a",), None),
    ]


def test_long_lists_wrap_under_themselves() -> None:
    paths = tuple(f"src/module_{n}/implementation.py" for n in range(8))
    plan = Plan(phases=(Phase("a", "1", "A", 1), Phase("b", "2", "B", 2, ("a",), paths)))
    lines = to_json_block(plan).splitlines()
    assert lines[3] == '  {"id": "b", "title": "B", "depends_on": ["a"],'
    assert lines[4].startswith('   "touches": ["src/module_0/implementation.py", ')
    assert lines[5].startswith('               "src/module_')
    assert max(len(line) for line in lines) <= 100
    assert parse_plan("\n".join(lines)).phase("b").touches == paths


def test_a_plan_without_phases_writes_an_empty_block() -> None:
    assert to_json_block(Plan(phases=())) == '```json\n{"phases": []}\n```\n'


@pytest.mark.parametrize("writer_touches", [None, {"2": ["app/api/**"], "3": ["app/ui.py"]}])
def test_a_written_plan_reads_back(writer_touches: dict[str, list[str]] | None) -> None:
    text = json_plan({"1": [], "2": ["1"], "3": ["1"], "4": ["2", "3"]}, touches=writer_touches)
    _reads_back(parse_plan(text), text)


def test_every_plan_of_the_corpus_reads_back(shared_dir: Path) -> None:
    folder = shared_dir / "plans-corpus"
    if not folder.is_dir():
        pytest.skip(f"plans corpus not found at {folder}")
    paths = sorted(folder.glob("*.md"))
    assert len(paths) >= 190
    for path in paths:
        plan = parse_plan_bytes(path.read_bytes())
        _reads_back(plan, path.read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("name", sorted(p.name for p in SPECKIT.glob("*.md")))
def test_every_task_list_fixture_reads_back(name: str, split: bool) -> None:
    text = (SPECKIT / name).read_text()
    plan = parse_plan(text, split_parallel_tasks=split)
    assert plan.source is PlanSource.TASK_LIST
    _reads_back(plan, text)
