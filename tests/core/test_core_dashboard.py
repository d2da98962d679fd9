"""The dashboard's pure parts: spans from the event log, the critical path, the swimlanes'
bars, the Mermaid gantt and the signed links."""

from __future__ import annotations

from collections.abc import Callable

from bot.core import access, links
from bot.core.events import Event, IntegrationOpened, RunStarted
from bot.core.gantt import gantt
from bot.core.history import LogEntry, log_entry
from bot.core.reducer import reduce
from bot.core.state import RunState, RunStatus
from bot.core.swimlanes import run_page
from bot.core.timeline import makespan, timeline
from tests.core.core_support import (
    DIAMOND,
    T0,
    build_failed,
    built,
    merged,
    prepared,
    run_of,
    started,
)


def _drive(
    state: RunState, steps: list[Callable[[RunState], Event]]
) -> tuple[RunState, list[LogEntry]]:
    entries = []
    for step in steps:
        event = step(state)
        after, _ = reduce(state, event)
        if after is not state:
            entries.append(log_entry(state, after, event))
        state = after
    return state, entries


def diamond_run(retry_c: bool = False) -> tuple[RunState, list[LogEntry]]:
    """a, then b and c side by side (c failing once when asked), then d after both."""
    steps: list[Callable[[RunState], Event]] = [
        lambda s: RunStarted(at=T0),
        lambda s: prepared(s, "a", at=T0 + 2),
        lambda s: started("a", at=T0 + 3),
        lambda s: built("a", at=T0 + 10),
        lambda s: prepared(s, "b", at=T0 + 11),
        lambda s: prepared(s, "c", at=T0 + 11),
        lambda s: started("b", at=T0 + 12),
        lambda s: started("c", at=T0 + 12),
    ]
    c_end = T0 + 20
    if retry_c:
        steps += [
            lambda s: build_failed("c", at=T0 + 15),
            lambda s: started("c", attempt=2, at=T0 + 16),
        ]
        c_end = T0 + 24
    steps += [
        lambda s: built("b", at=T0 + 18),
        lambda s: built("c", attempt=2 if retry_c else 1, at=c_end),
        lambda s: merged(s, "d", at=c_end + 1),
        lambda s: prepared(s, "d", at=c_end + 2),
        lambda s: started("d", at=c_end + 3),
        lambda s: built("d", at=c_end + 9),
        lambda s: IntegrationOpened(at=c_end + 9, pr_number=9, sha="i"),
    ]
    return _drive(run_of(DIAMOND, retries=1), steps)


def test_spans_follow_the_log_and_siblings_overlap() -> None:
    state, entries = diamond_run()
    assert state.status is RunStatus.DONE
    line = timeline(state, entries, now=T0 + 1000)
    building = {s.phase_id: s for s in line.spans if s.status == "building"}
    assert (building["a"].start, building["a"].end) == (T0 + 3, T0 + 10)
    assert building["b"].start < building["c"].end and building["c"].start < building["b"].end
    assert building["d"].start >= max(building["b"].end, building["c"].end)
    assert [s.status for s in line.of("d")] == ["merging", "preparing", "queued", "building"]
    assert {o.phase_id: o.status for o in line.outcomes} == dict.fromkeys("abcd", "done")
    # A finished run ends where it finished, whatever `now` is.
    assert line.end == T0 + 29


def test_the_critical_path_is_the_chain_that_ended_last_and_serial_adds_every_span() -> None:
    state, entries = diamond_run()
    line = timeline(state, entries, now=T0 + 1000)
    span = makespan(state, line)
    assert span.critical_path == ("a", "c", "d")
    assert span.wall == 29
    assert span.serial == sum(s.seconds for s in line.spans)
    assert span.speedup is not None and span.speedup > 1


def test_a_retry_is_a_second_bar_in_the_same_lane() -> None:
    state, entries = diamond_run(retry_c=True)
    bars = [(s.status, s.attempt) for s in timeline(state, entries, T0).of("c")]
    assert bars == [
        ("preparing", 1),
        ("queued", 1),
        ("building", 1),
        ("queued", 2),
        ("building", 2),
    ]


def test_a_live_run_s_open_span_ends_now() -> None:
    state, entries = diamond_run()
    live_state, live_entries = state, entries[:7]  # b building, c queued
    line = timeline(live_state, live_entries, now=T0 + 14)
    open_spans = [s for s in line.spans if s.open]
    assert {(s.phase_id, s.status) for s in open_spans} == {("b", "building"), ("c", "queued")}
    assert all(s.end == T0 + 14 for s in open_spans)


def test_the_page_draws_a_lane_per_phase_and_links_to_github() -> None:
    state, entries = diamond_run()
    web = links.web_base("https://api.github.com")
    page = run_page(state, entries, web=web, now=T0 + 100)
    assert page.lanes_svg.count('class="lane"') == 4
    assert page.lanes_svg.count('class="bar"') == len(timeline(state, entries, T0).spans)
    assert page.issue_url == f"https://github.com/{state.repo}/issues/{state.issue_number}"
    assert all(
        p.pr_url == f"https://github.com/{state.repo}/pull/{p.pr_number}" for p in page.phases
    )
    assert not page.live and page.integration_url is None


def test_text_in_the_pictures_is_escaped() -> None:
    state, entries = diamond_run()
    state = state.__class__(**{**state.__dict__, "titles": {**state.titles, "a": "<script>x"}})
    page = run_page(state, entries, web="https://github.com", now=T0)
    assert "<script>" not in page.lanes_svg and "<script>" not in page.graph_svg
    assert "&lt;script&gt;" in page.lanes_svg


def test_the_gantt_has_a_section_per_phase_and_real_epoch_seconds() -> None:
    state, entries = diamond_run()
    chart = gantt(state, entries)
    assert chart.startswith("gantt\n") and "dateFormat X" in chart
    assert chart.count("\n    section ") == 4
    assert f"building :crit, p1_3, {int(T0 + 3)}, {int(T0 + 10)}" in chart
    assert ":" not in chart.split("section ")[1].split("\n")[0]


def test_web_addresses_follow_the_api_address() -> None:
    assert links.web_base("https://api.github.com") == "https://github.com"
    assert links.web_base("https://ghe.example.com/api/v3") == "https://ghe.example.com"
    assert links.web_base("http://127.0.0.1:8765/api/v3/") == "http://127.0.0.1:8765"


def test_a_signed_link_opens_one_run_until_it_expires() -> None:
    key = access.link_key("webhook secret")
    assert key != b"webhook secret"
    link = access.run_link("https://porch.example.com/", key, "r1-2-1", now=T0)
    query = dict(part.split("=") for part in link.split("?", 1)[1].split("&"))
    exp, sig = query["exp"], query["sig"]
    assert link.startswith("https://porch.example.com/runs/r1-2-1?")
    assert access.valid(key, "r1-2-1", exp, sig, now=T0 + 3600)
    assert int(exp) >= T0 + access.LINK_SECONDS
    assert not access.valid(key, "r1-2-1", exp, sig, now=int(exp) + 1)
    assert not access.valid(key, "r1-2-2", exp, sig, now=T0)
    assert not access.valid(key, "r1-2-1", str(int(exp) + 1), sig, now=T0)
    assert not access.valid(access.link_key("other"), "r1-2-1", exp, sig, now=T0)
    assert not access.valid(key, "r1-2-1", "-1", sig, now=T0)


def test_the_status_comment_links_the_page_and_folds_the_gantt_in_once_finished() -> None:
    from bot.core.render import status_comment

    state, entries = diamond_run()
    link = "https://porch.example.com/runs/run1?exp=1&sig=ab"
    body = status_comment(state, dashboard_url=link, gantt=gantt(state, entries))
    assert f"]({link})" in body
    assert "<details><summary>When each phase ran</summary>" in body
    assert "```mermaid\ngantt\n" in body
    plain = status_comment(state)
    assert "dashboard" not in plain and "gantt" not in plain
