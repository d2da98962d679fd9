"""The integration PR's body: every phase with its rounds of consultation and attempts, a
gantt Mermaid can read whatever the titles, and the issues it closes."""

from __future__ import annotations

import dataclasses

from bot.core import integration
from bot.core.state import PhaseStatus
from tests.core.core_support import T0, setup


def test_the_body_counts_consultation_rounds_and_keeps_hostile_titles_out_of_the_syntax() -> None:
    state = setup({"a": [], "b": ["a"]}, {"a": (PhaseStatus.DONE, 1), "b": (PhaseStatus.DONE, 2)})
    a = dataclasses.replace(
        state.phase("a"), started_at=T0, finished_at=T0 + 60, consulting_since=T0 + 50, iteration=2
    )
    b = dataclasses.replace(state.phase("b"), started_at=T0 + 70, finished_at=T0 + 90)
    titles = {"a": "Cart; rm -rf / | x", "b": "Checkout: #1"}
    state = dataclasses.replace(state.with_phase(a).with_phase(b), titles=titles)
    body = integration.body(state, ("local: merged b",))
    rows = [line for line in body.splitlines() if line.startswith("| ") and "#10" in line]
    # a was consulted twice (a review round sent it back once); b was never consulted.
    assert [row.split(" | ")[2:4] for row in rows] == [["2", "1"], ["0", "2"]]
    assert "rm -rf / \\| x" in rows[0]  # the pipe stays inside its cell
    gantt = body.split("```mermaid\n", 1)[1].split("```", 1)[0]
    for line in gantt.splitlines()[3:]:
        name = line.split(" :", 1)[0]
        assert not set(name) & set(";#:"), line
    assert "Closes #42" in body and "**Merges:** local: merged b" in body
