"""PyGithub's retries, minus those that could repeat a POST GitHub already carried out."""

from __future__ import annotations

import pytest
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from bot.adapters.github.retry import NoBlindPostRetry


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [("POST", 502, False), ("POST", 500, False), ("GET", 502, True), ("PUT", 503, True)],
)
def test_server_errors_are_retried_except_for_posts(
    method: str, status: int, retried: bool
) -> None:
    assert NoBlindPostRetry().is_retry(method, status) is retried


def test_a_post_whose_answer_never_came_is_not_sent_again() -> None:
    error = ReadTimeoutError(None, "/repos/o/r/issues/1/comments", "read timed out")  # type: ignore[arg-type]
    with pytest.raises(ReadTimeoutError):
        NoBlindPostRetry().increment("POST", "/repos/o/r/issues/1/comments", error=error)
    with pytest.raises(ProtocolError):
        NoBlindPostRetry().increment("POST", "/x", error=ProtocolError("connection reset"))


def test_reads_and_unsent_posts_are_retried() -> None:
    error = ReadTimeoutError(None, "/repos/o/r", "read timed out")  # type: ignore[arg-type]
    again = NoBlindPostRetry().increment("GET", "/repos/o/r", error=error)
    assert isinstance(again, NoBlindPostRetry)
    refused = NewConnectionError(None, "connection refused")  # type: ignore[arg-type]
    assert isinstance(NoBlindPostRetry().increment("POST", "/x", error=refused), NoBlindPostRetry)
