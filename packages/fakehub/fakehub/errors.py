"""GitHub-shaped API errors, raised anywhere in a request and rendered in one place."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            data["errors"] = self.errors
        data["status"] = str(self.status)
        return data


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation(resource: str, field: str | None, code: str, message: str | None = None) -> ApiError:
    """GitHub's 422: "Validation Failed" with one error naming the resource and field."""
    error: dict[str, Any] = {"resource": resource, "code": code}
    if field is not None:
        error["field"] = field
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", [error])


# GitHub's limit on the body of an issue, a pull request or a comment (in characters).
MAX_BODY_CHARS = 65536


def check_body(resource: str, body: object) -> None:
    """422 for a body over GitHub's limit, worded as GitHub words it for each resource."""
    if not isinstance(body, str) or len(body) <= MAX_BODY_CHARS:
        return
    limit = f"is too long (maximum is {MAX_BODY_CHARS} characters)"
    if resource == "IssueComment":
        raise validation(resource, "data", "unprocessable", f"Body {limit}")
    raise validation(resource, "body", "custom", f"body {limit}")
