"""Where, in the REST description, the schema for one request or response body lives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakehub.conformance.documents import Document, pointer
from fakehub.conformance.routes import Route


@dataclass(frozen=True)
class Declared:
    """What the description says about one response status (or a request body)."""

    key: str  # the key it was found under: "200", "2XX" or "default"
    schema_pointer: str | None  # JSON pointer to the JSON schema, or None when no JSON is described
    required: bool = False


def _json_media(content: dict[str, Any]) -> str | None:
    if "application/json" in content:
        return "application/json"
    return next((m for m in content if m.endswith("+json")), None)


def _schema_pointer(document: Document, at: str) -> str | None:
    """The schema of the JSON content of the response or request body at `at`."""
    at, node = document.follow(document.node(at), at)
    media = _json_media(node.get("content", {}))
    if media is None or "schema" not in node["content"][media]:
        return None
    return at + pointer("content", media, "schema")


def operation_pointer(route: Route) -> str:
    return pointer("paths", route.template, route.method)


def declared_statuses(route: Route) -> list[str]:
    return list(route.operation.get("responses", {}))


def response(document: Document, route: Route, status: int) -> Declared | None:
    """The declared response for `status`: exact, then a range like `2XX`, then `default`."""
    responses = route.operation.get("responses", {})
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            at = operation_pointer(route) + pointer("responses", key)
            return Declared(key, _schema_pointer(document, at))
    return None


def request_body(document: Document, route: Route) -> Declared | None:
    body = route.operation.get("requestBody")
    if body is None:
        return None
    at = operation_pointer(route) + pointer("requestBody")
    required = bool(document.resolve(body).get("required", False))
    return Declared("requestBody", _schema_pointer(document, at), required)
