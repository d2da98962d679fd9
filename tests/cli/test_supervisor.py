"""What `porch-parallel up` starts, and how long it waits before starting a dead child again."""

from __future__ import annotations

from bot.cli.supervisor import MAX_RESTART_SECONDS, ChildSpec, installation, restart_delay


def test_the_web_app_then_each_role() -> None:
    assert installation(1, 2, None) == [
        ChildSpec("web", ("serve",)),
        ChildSpec("events-1", ("worker", "--role", "events")),
        ChildSpec("builders-1", ("worker", "--role", "builders")),
        ChildSpec("builders-2", ("worker", "--role", "builders")),
    ]
    assert installation(0, 0, 3) == [ChildSpec("web", ("serve", "--workers", "3"))]


def test_a_child_that_keeps_dying_waits_longer_each_time() -> None:
    delays = [restart_delay(failures) for failures in range(1, 9)]
    assert delays[:3] == [1, 2, 4]
    assert delays == sorted(delays)
    assert delays[-1] == MAX_RESTART_SECONDS
