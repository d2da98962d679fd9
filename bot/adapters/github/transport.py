"""Where every PyGithub request passes through the installation's shared budget.

PyGithub sends through a `requests` session per connection; its documented
`Requester.injectConnectionClasses` lets us supply the connection classes, which mount an
HTTP adapter that asks the budget before each request and tells it each answer. A client
whose retry policy carries no budget (the App's own calls, tests' clients) is left as it was.
"""

from __future__ import annotations

from typing import Any

import requests
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
)

from bot.adapters.github.budget import Budget

_SECONDARY = b"secondary rate limit"


class BudgetAdapter(requests.adapters.HTTPAdapter):
    """Sends a request when the budget allows; a "wait" answer is recorded, waited out and
    the request sent again (nothing happened at GitHub), or the job is rescheduled."""

    def __init__(self, budget: Budget, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.budget = budget

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        method = request.method or "GET"
        while True:
            self.budget.before(method)
            response = super().send(request, *args, **kwargs)
            headers = dict(response.headers)
            if response.status_code == 403 and _SECONDARY in response.content.lower():
                headers.setdefault("retry-after", "60")  # GitHub: wait at least a minute
            if self.budget.after(response.status_code, headers) <= 0 or (
                response.status_code not in (403, 429)
            ):
                return response


def _mount_budget(connection: Any, retry: Any, scheme: str) -> None:
    budget = getattr(retry, "budget", None)
    if isinstance(budget, Budget):
        adapter = BudgetAdapter(
            budget,
            max_retries=connection.retry,
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.session.mount(f"{scheme}://", adapter)


class _BudgetHTTPS(HTTPSRequestsConnectionClass):
    def __init__(self, host: str, port: int | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(host, port, *args, **kwargs)
        _mount_budget(self, kwargs.get("retry"), "https")


class _BudgetHTTP(HTTPRequestsConnectionClass):
    def __init__(self, host: str, port: int | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(host, port, *args, **kwargs)
        _mount_budget(self, kwargs.get("retry"), "http")


_installed = False


def install() -> None:
    """Make PyGithub's connections honour a budget carried by their retry policy; idempotent."""
    global _installed
    if not _installed:
        Requester.injectConnectionClasses(_BudgetHTTP, _BudgetHTTPS)
        _installed = True
