"""The status comment and check run fields rendered from a run's state."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.core.render import (
    GITHUB_TEXT_LIMIT,
    STATUS_LABELS,
    STATUS_STYLES,
    check_run_output,
    clock,
    duration,
    iso_time,
    marked_run_id,
    state_mermaid,
    status_by_phase,
    status_comment,
    status_marker,
    summary_line,
)
from bot.core.state import PhaseStatus, RunState, RunStatus
from bot.plan.render import STATE_STYLES
from tests.core.core_support import DIAMOND, T0, run_of, setup

P = PhaseStatus


def diamond_midway() -> RunState:
    state = setup(
        DIAMOND,
        {"a": (P.DONE, 1), "b": (P.BUILDING, 2), "c": (P.FAILED, 1), "d": (P.BLOCKED, 0)},
        retries=1,
    )
    a = dataclasses.replace(state.phases["a"], finished_at=T0 + 10 + 252)
    c = dataclasses.replace(state.phases["c"], finished_at=T0 + 100, error="checks failed")
    return state.with_phase(a).with_phase(c)


def test_the_comment_carries_a_marker_that_finds_its_run() -> None:
    body = status_comment(diamond_midway())
    assert body.startswith(status_marker("run1"))
    assert marked_run_id(body) == "run1"
    assert marked_run_id("a comment by a person") is None


def test_the_comment_has_a_row_per_phase_with_state_pr_and_times() -> None:
    body = status_comment(diamond_midway())
    rows = [line for line in body.splitlines() if line.startswith("| Phase")]
    assert rows[0] == "| Phase | State | PR | Started | Took |"
    assert rows[1:] == [
        "| Phase a: Title of a | ✅ done | #101 | 08:53:30 | 4m 12s |",
        "| Phase b: Title of b | 🔨 building (attempt 2) | #101 | 08:53:30 | — |",
        "| Phase c: Title of c | ❌ failed | #101 | 08:53:30 | 1m 30s |",
        "| Phase d: Title of d | ⛔ blocked | — | — | — |",
    ]


def test_the_comment_summarises_and_lists_errors() -> None:
    body = status_comment(diamond_midway())
    assert "**1 of 4 phases done** · 1 building · 1 failed · 1 blocked" in body
    assert "- **Phase c: Title of c**: checks failed" in body
    assert "### porch parallel: running" in body


def test_a_finished_run_says_how_long_it_took() -> None:
    state = setup(DIAMOND, {p: (P.DONE, 1) for p in DIAMOND}, run=RunStatus.DONE)
    state = dataclasses.replace(state, finished_at=T0 + 30 * 60 + 5)
    body = status_comment(state)
    assert "**4 of 4 phases done** · run done after 30m 05s" in body
    assert "### porch parallel: done" in body


def test_the_graph_is_coloured_by_state() -> None:
    graph = state_mermaid(diamond_midway())
    assert graph.startswith("flowchart TD")
    for edge in ("p_a --> p_b", "p_a --> p_c", "p_b --> p_d", "p_c --> p_d"):
        assert edge in graph
    for node, status in (("p_a", P.DONE), ("p_b", P.BUILDING), ("p_c", P.FAILED)):
        assert f"classDef {status.value} {STATUS_STYLES[status]}" in graph
        assert f"class {node} {status.value}" in graph
    assert "class p_d blocked" in graph
    assert "pending" not in graph  # only the states present get a class


def test_colours_follow_the_plan_preview_where_it_has_them() -> None:
    for status in PhaseStatus:
        if status.value in STATE_STYLES:
            assert STATUS_STYLES[status] == STATE_STYLES[status.value]
    assert len(set(STATUS_STYLES.values())) >= 5  # the states stay distinguishable


def test_the_graph_is_embedded_and_replaceable() -> None:
    state = diamond_midway()
    assert f"```mermaid\n{state_mermaid(state)}\n```" in status_comment(state)
    body = status_comment(state, mermaid=lambda s: "flowchart LR\n    x")
    assert "```mermaid\nflowchart LR\n    x\n```" in body
    assert status_by_phase(state) == {
        "a": "done",
        "b": "building",
        "c": "failed",
        "d": "blocked",
    }


def test_labels_and_ids_are_made_safe_for_mermaid_and_tables() -> None:
    state = run_of({"end": [], "x.y": ["end"]})
    titles = {"end": 'Say "hi" <b>#1</b>', "x.y": "a | b"}
    state = dataclasses.replace(state, titles=titles, labels={})
    graph = state_mermaid(state)
    assert 'p_end["end: Say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt;"]' in graph
    assert "p_end --> p_x_y" in graph
    assert "| x.y: a \\| b |" in status_comment(state)


@pytest.mark.parametrize(
    ("status", "check_status", "conclusion", "started"),
    [
        (P.MERGING, "queued", None, False),
        (P.PREPARING, "queued", None, False),
        (P.QUEUED, "queued", None, False),
        (P.BUILDING, "in_progress", None, True),
        (P.DONE, "completed", "success", True),
        (P.FAILED, "completed", "failure", True),
        (P.CANCELLED, "completed", "cancelled", False),
        (P.SKIPPED, "completed", "skipped", False),
        (P.BLOCKED, "completed", "neutral", False),
    ],
)
def test_check_run_status_and_conclusion(
    status: PhaseStatus, check_status: str, conclusion: str | None, started: bool
) -> None:
    state = setup(DIAMOND, {"a": (status, 1)})
    state = state.with_phase(dataclasses.replace(state.phases["a"], finished_at=T0 + 70))
    fields = check_run_output(state, "a")
    assert fields["status"] == check_status
    assert fields.get("conclusion") == conclusion
    assert ("completed_at" in fields) == (conclusion is not None)
    assert fields["name"] == "porch · Phase a: Title of a"
    assert fields["external_id"] == "run1:a"
    # A check run starts when its builder does: queued, merging or preparing is not started.
    if started:
        assert fields["started_at"] == "2025-11-28T08:53:30Z"
    else:
        assert "started_at" not in fields


def test_every_status_has_a_label_and_a_colour() -> None:
    assert set(STATUS_LABELS) == set(PhaseStatus) == set(STATUS_STYLES)
    assert len(set(STATUS_LABELS.values())) == len(PhaseStatus)


def test_queued_and_merging_phases_show_as_such_without_a_start() -> None:
    state = setup(
        {"a": [], "b": [], "c": ["a", "b"], "x": []},
        {"a": (P.DONE, 1), "b": (P.DONE, 1), "c": (P.MERGING, 1), "x": (P.QUEUED, 2)},
        retries=1,
    )
    x = dataclasses.replace(state.phases["x"], started_at=None)
    body = status_comment(state.with_phase(x))
    assert "| Phase c: Title of c | 🔀 merging | — | — | — |" in body
    # A retry waiting for a builder says which attempt it waits for.
    assert "| Phase x: Title of x | 🕒 queued (attempt 2) | #101 | — | — |" in body
    assert "**2 of 4 phases done** · 1 merging · 1 queued" in body
    graph = state_mermaid(state)
    assert "class p_c merging" in graph
    assert "class p_x queued" in graph


def test_check_run_output_shows_the_attempt_error_and_log_tail() -> None:
    state = diamond_midway()
    c = dataclasses.replace(state.phases["c"], log_tail="step 1\nstep 2: boom")
    output = check_run_output(state.with_phase(c), "c")["output"]
    assert output["title"] == "Phase c: Title of c — failed"
    assert "attempt 1 of 2" in output["summary"]
    assert "Error: checks failed" in output["summary"]
    assert "took 1m 30s" in output["summary"]
    assert output["text"].endswith("```\nstep 1\nstep 2: boom\n```")


def test_a_log_with_fences_gets_a_longer_fence() -> None:
    state = diamond_midway()
    c = dataclasses.replace(state.phases["c"], log_tail="```python\nx\n```")
    text = check_run_output(state.with_phase(c), "c")["output"]["text"]
    assert text.endswith("````\n```python\nx\n```\n````")


def test_a_huge_log_is_cut_from_the_front_to_githubs_limit() -> None:
    state = diamond_midway()
    log = "".join(f"line {i}\n" for i in range(20_000)) + "the real error"
    c = dataclasses.replace(state.phases["c"], log_tail=log, error="e" * 100_000)
    output = check_run_output(state.with_phase(c), "c")["output"]
    assert len(output["text"]) <= GITHUB_TEXT_LIMIT
    assert len(output["summary"]) <= GITHUB_TEXT_LIMIT
    assert output["text"].endswith("the real error\n```")
    note = re.search(r"… \((\d+) characters cut\)", output["text"])
    assert note is not None
    cut = int(note.group(1))
    kept = output["text"].split("characters cut)\n", 1)[1].removesuffix("\n```")
    assert cut + len(kept) == len(log)
    assert len(output["title"]) <= 250


def test_a_phase_without_a_log_has_no_text() -> None:
    state = setup(DIAMOND, {"a": (P.BUILDING, 1)})
    assert check_run_output(state, "a")["output"]["text"] == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (42.4, "42s"),
        (60, "1m 00s"),
        (252, "4m 12s"),
        (3600 * 2 + 180, "2h 03m"),
        (-5, "0s"),
    ],
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_times_are_utc() -> None:
    assert clock(0) == "00:00:00"
    assert clock(T0) == "08:53:20"
    assert iso_time(T0) == "2025-11-28T08:53:20Z"


def _long_run(n: int, title_length: int, done: int) -> RunState:
    deps = {f"phase_{i}": ([f"phase_{i - 1}"] if i > 1 else []) for i in range(1, n + 1)}
    state = run_of(deps)
    titles = {pid: (f"{pid} " + "x" * title_length)[:title_length] for pid in state.phases}
    state = dataclasses.replace(state, titles=titles)
    for i, pid in enumerate(state.phases):
        if i < done:
            state = state.with_phase(
                dataclasses.replace(
                    state.phases[pid],
                    status=PhaseStatus.DONE,
                    pr_number=i + 2,
                    started_at=T0 + i,
                    finished_at=T0 + i + 1,
                )
            )
    return state


@pytest.mark.parametrize("done", [0, 120, 200])
def test_a_200_phase_status_comment_fits_and_accounts_for_every_phase(done: int) -> None:
    state = _long_run(200, 200, done)
    body = status_comment(state)
    assert len(body) <= 65536
    # The summary line survives, near the top, and every phase is there by its id or name.
    assert summary_line(state) in body.split("\n")[:6]
    for pid in state.phases:
        assert f"`{pid}`" in body or f"| Phase {pid}: {pid} x" in body, pid
    if done:
        assert "<details><summary>" in body and f"{done} finished phases" in body


def test_a_small_run_keeps_its_graph_and_one_table() -> None:
    body = status_comment(_long_run(4, 30, 2))
    assert "```mermaid" in body and "<details>" not in body
