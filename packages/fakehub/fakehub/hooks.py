"""The interface between the stand-in and a checker of its traffic against GitHub's API."""

from __future__ import annotations

from typing import Any, Protocol


class Conformance(Protocol):
    """Checks one request, response or webhook payload; returns the problems found (empty if none).

    `path` is the concrete REST path without the `/api/v3` prefix and without the query string,
    e.g. `/repos/octo/app/pulls/1`.
    """

    def check_request(self, method: str, path: str, body: object) -> list[str]: ...

    def check_response(self, method: str, path: str, status: int, body: object) -> list[str]: ...

    def check_webhook(self, event: str, payload: dict[str, Any]) -> list[str]: ...
