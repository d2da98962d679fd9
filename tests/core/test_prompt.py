"""The builder's prompt."""

from __future__ import annotations

from bot.core.prompt import DependencyNote, PromptInput, build_prompt


def test_prompt_holds_phase_dependencies_siblings_and_feedback() -> None:
    text = build_prompt(
        PromptInput(
            run_id="o/r#7",
            phase_id="phase_4",
            title="Integration",
            section="### Phase 4: Integration\n\nWire it up.",
            overview="A task board.",
            iteration=2,
            attempt=3,
            dependencies=[DependencyNote("phase_2", "API routes", 12, ["app/api.py"])],
            sibling_touches={"Docs": ["README.md"]},
            feedback="Please add tests.",
        )
    )
    assert text.startswith("# Phase phase_4: Integration\n")
    # A retry knows it is one, so it can look at what the attempt before it left behind.
    assert "(run `o/r#7`, iteration 2, attempt 3)" in text
    assert "A task board." in text
    assert "Wire it up." in text
    assert "- phase_2: API routes (#12): changed `app/api.py`" in text
    assert "- Docs: `README.md`" in text
    assert "Please add tests." in text


def test_prompt_leaves_out_empty_sections() -> None:
    text = build_prompt(PromptInput("o/r#1", "phase_1", "Data", "Do it.", "", 1))
    assert "iteration 1, attempt 1" in text
    assert "Already done" not in text
    assert "Keep out of the way" not in text
    assert "Review feedback" not in text
