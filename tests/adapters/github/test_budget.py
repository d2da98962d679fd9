"""The installation's shared GitHub budget, on a real Redis with a clock of the test's own."""

from __future__ import annotations

import pytest
import redis

from bot.adapters.github.budget import Budget, Limits, pause_until
from bot.errors import GitHubRateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _budget(redis_client: redis.Redis, clock: Clock, **limits: float) -> Budget:
    return Budget(redis_client, 7, Limits(**limits), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_writes_wait_for_a_place_in_the_minute(redis_client: redis.Redis) -> None:
    clock = Clock()
    first, second = (
        _budget(redis_client, clock, per_minute=3),
        _budget(redis_client, clock, per_minute=3),
    )
    for budget in (first, second, first):
        budget.before("POST")
        clock.now += 1
    assert clock.slept == []
    second.before("PATCH")  # a fourth write: shared across clients, it waits for the first
    assert clock.slept == [pytest.approx(57)]
    first.before("GET")  # reads take no place
    assert len(clock.slept) == 1


def test_a_wait_longer_than_allowed_raises_with_the_time_to_resume(
    redis_client: redis.Redis,
) -> None:
    clock = Clock()
    budget = _budget(redis_client, clock, per_minute=100, per_hour=2, max_wait=60)
    budget.before("POST")
    budget.before("POST")
    with pytest.raises(GitHubRateLimited) as raised:
        budget.before("POST")
    assert raised.value.resume_at == pytest.approx(clock.now + 3600)


def test_a_pause_github_asks_for_holds_every_client_and_every_method(
    redis_client: redis.Redis,
) -> None:
    clock = Clock()
    first, second = _budget(redis_client, clock), _budget(redis_client, clock)
    assert first.after(403, {"Retry-After": "30"}) == pytest.approx(30)
    second.before("GET")
    assert clock.slept == [pytest.approx(30)]
    # A primary limit reset ten minutes away is longer than a job should wait.
    first.after(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(clock.now + 600)})
    with pytest.raises(GitHubRateLimited) as raised:
        second.before("GET")
    assert raised.value.resume_at == pytest.approx(clock.now + 600)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {}, None),
        (403, {}, None),  # a permission error: nothing to wait for
        (403, {"retry-after": "5"}, 105.0),
        (429, {}, 160.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "700"}, 700.0),
        (200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "700"}, None),
    ],
)
def test_pause_until(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert pause_until(status, headers, 100.0) == expected
