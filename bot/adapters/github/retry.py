"""PyGithub's retry policy, minus the retries that duplicate work.

PyGithub retries every method on a 5xx, and urllib3 retries a request whose answer never
came (a read timeout, a dropped connection). GitHub sometimes does the work and then fails to
answer, so a repeated POST opens a second comment or check run. Our creates look for their
own earlier result before trying again (bot.adapters.github.client); here a POST that may
have reached GitHub is handed back to them. Rate-limit answers (403/429) and failures to
connect mean nothing happened, and are retried as PyGithub does.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from github.GithubRetry import GithubRetry
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry


class NoBlindPostRetry(GithubRetry):
    # The installation's shared budget (bot.adapters.github.budget), when the client has one:
    # then rate-limit answers are its to wait out (every worker together), not this policy's.
    budget: Any = None

    def new(self, **kw: Any) -> NoBlindPostRetry:
        copy: NoBlindPostRetry = super().new(**kw)
        copy.budget = self.budget
        return copy

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" and status_code >= 500:
            return False
        if self.budget is not None and status_code in (403, 429):
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        sent = error is not None and not isinstance(error, ConnectTimeoutError | NewConnectionError)
        if (method or "").upper() == "POST" and response is None and sent:
            raise error.with_traceback(_stacktrace)  # type: ignore[union-attr]
        return super().increment(method, url, response, error, _pool, _stacktrace)
