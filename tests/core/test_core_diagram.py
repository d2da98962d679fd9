"""The phase state diagram in the READMEs is the transition table, drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.transitions import PHASE_TRANSITIONS, state_diagram

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("readme", ["README.md", "bot/core/README.md"])
def test_the_readme_draws_the_transition_table(readme: str) -> None:
    text = (ROOT / readme).read_text(encoding="utf-8")
    assert f"```mermaid\n{state_diagram()}```" in text


def test_the_diagram_has_a_line_per_transition() -> None:
    lines = state_diagram().splitlines()
    for transition in PHASE_TRANSITIONS:
        assert f"    {transition.source} --> {transition.target}: {transition.when}" in lines
