"""Text, JSON and Mermaid renderings."""

from __future__ import annotations

import json
import re

import pytest

from bot.plan.graph import analyse
from bot.plan.model import Phase, Plan
from bot.plan.parse import parse_plan
from bot.plan.render import to_json, to_mermaid, to_text
from tests.plan.plan_writers import json_plan

DIAMOND = {"1": [], "2": ["1"], "3": ["1"], "4": ["2", "3"]}
ESTIMATES = {"1": 10, "2": 10, "3": 10, "4": 10}
TOUCHES = {"2": ["app/api.py", "app/db.py"], "3": ["app/*.py"]}


def _diamond():
    plan = parse_plan(json_plan(DIAMOND, ESTIMATES, TOUCHES))
    return plan, analyse(plan)


def test_json_contract_has_exactly_the_documented_keys() -> None:
    data = to_json(*_diamond())
    assert set(data) == {
        "phases",
        "waves",
        "critical_path",
        "serial_minutes",
        "parallel_minutes",
        "warnings",
        "errors",
        "predicted_conflicts",
    }
    assert set(data["phases"][0]) == {"id", "label", "title", "depends_on", "line", "touches"}
    assert data["phases"][3]["depends_on"] == ["phase_2", "phase_3"]
    assert data["waves"] == [["phase_1"], ["phase_2", "phase_3"], ["phase_4"]]
    assert data["critical_path"] == ["phase_1", "phase_2", "phase_4"]
    assert (data["serial_minutes"], data["parallel_minutes"]) == (40, 30)
    assert data["predicted_conflicts"] == [
        {
            "phases": ["phase_2", "phase_3"],
            "paths": ["app/api.py ~ app/*.py", "app/db.py ~ app/*.py"],
        }
    ]
    assert json.loads(json.dumps(data)) == data


def test_json_of_an_invalid_plan_carries_errors_with_lines() -> None:
    plan = parse_plan("### Phase 1: A\n**Dependencies**: Phase 1\n")
    data = to_json(plan, analyse(plan))
    assert data["errors"] == [{"message": "phase_1 depends on itself", "line": 2}]
    assert data["waves"] == []


def test_text_summary() -> None:
    text = to_text(*_diamond())
    assert text.startswith("4 phases, valid")
    assert "phase_4  Phase 4: Step 4  (line" in text
    assert "after phase_2, phase_3  [json]" in text
    assert "  2. phase_2, phase_3" in text
    assert "Critical path: phase_1 → phase_2 → phase_4" in text
    assert "Makespan: serial 40 min, parallel 30 min (1.33× faster)" in text
    assert "phase_2 and phase_3: app/api.py ~ app/*.py" in text


def test_text_of_an_invalid_plan_lists_errors_and_no_schedule() -> None:
    plan = parse_plan("### Phase 1: A\n**Dependencies**: Phase 4\n")
    text = to_text(plan, analyse(plan))
    assert "invalid (1 errors)" in text
    assert "line 2: phase_1 depends on Phase 4" in text
    assert "Waves" not in text


def test_mermaid_flowchart() -> None:
    chart = to_mermaid(*_diamond())
    lines = chart.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    p_phase_1["Phase 1: Step 1"]' in lines
    edges = [line.strip() for line in lines if "-->" in line]
    assert edges == [
        "p_phase_1 --> p_phase_2",
        "p_phase_1 --> p_phase_3",
        "p_phase_2 --> p_phase_4",
        "p_phase_3 --> p_phase_4",
    ]
    assert "    linkStyle 0,2 stroke-width:4px" in lines


def test_mermaid_colours_nodes_by_state() -> None:
    plan, analysis = _diamond()
    states = {
        "phase_1": "done",
        "phase_2": "building",
        "phase_3": "building",
        "phase_4": "odd-state",
    }
    lines = to_mermaid(plan, analysis, states).splitlines()
    assert "    class p_phase_2,p_phase_3 state_building" in lines
    assert "    class p_phase_4 state_odd_state" in lines
    defined = {line.split()[1] for line in lines if line.strip().startswith("classDef")}
    assert defined == {"state_done", "state_building", "state_odd_state"}


def test_mermaid_node_names_and_labels_are_safe() -> None:
    phases = (
        Phase(id="end", label="1", title='Say "hi" #1', line=1),
        Phase(id="a-b c", label="2", title="x", line=2, depends_on=("end",)),
        Phase(id="a_b_c", label="3", title="y", line=3, depends_on=("a-b c",)),
    )
    plan = Plan(phases=phases)
    chart = to_mermaid(plan, analyse(plan))
    names = re.findall(r"^    (\S+)\[", chart, flags=re.MULTILINE)
    assert names == ["p_end", "p_a_b_c", "p_a_b_c_2"]
    assert all(re.fullmatch(r"\w+", name) for name in names)
    assert '["Phase 1: Say #quot;hi#quot; #35;1"]' in chart
    assert "p_a_b_c --> p_a_b_c_2" in chart


@pytest.mark.parametrize(
    ("label", "title", "shown"),
    [
        ("1", "Data layer", "Phase 1: Data layer"),
        ("1", "", "Phase 1"),
        # A JSON title that names its phase (0602 in the corpus) is not prefixed again.
        ("1", "Phase 1a: Shared types", "Phase 1a: Shared types"),
        ("2", "Phase 2 — Routes", "Phase 2 — Routes"),
        ("5", "Phase prompts — spir", "Phase 5: Phase prompts — spir"),
        # < > & would be read as HTML by GitHub's Mermaid: "<T>" vanished.
        ("3", "Add <T> & <br> tags", "Phase 3: Add #60;T#62; #38; #60;br#62; tags"),
    ],
)
def test_phase_headings_in_text_and_mermaid(label: str, title: str, shown: str) -> None:
    plan = Plan(phases=(Phase(id="p", label=label, title=title, line=1),))
    analysis = analyse(plan)
    assert f'    p_p["{shown}"]' in to_mermaid(plan, analysis).splitlines()
    text_shown = shown.replace("#60;", "<").replace("#62;", ">").replace("#38;", "&")
    assert f"  p  {text_shown}  (line 1)" in to_text(plan, analysis).splitlines()


def test_a_json_title_over_several_lines_is_shown_on_one() -> None:
    body = '{"phases": [{"id": "a", "title": "Line one\\nflowchart LR\\n\\tx --> y "}]}'
    plan = parse_plan(f"```json\n{body}\n```\n")
    assert plan.phases[0].title == "Line one flowchart LR x --> y"
    chart = to_mermaid(plan, analyse(plan))
    assert chart.splitlines()[1] == '    p_a["Phase 1: Line one flowchart LR x --#62; y"]'
