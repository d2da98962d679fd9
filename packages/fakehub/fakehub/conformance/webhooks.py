"""Finding the payload schema for a webhook event and action in openapi-webhooks.json."""

from __future__ import annotations

from typing import Any

from fakehub.conformance.documents import Document, pointer


def _normal(name: str) -> str:
    # Event names are snake_case on the wire, kebab-case in operation ids.
    return name.replace("_", "-")


def build_index(document: Document) -> dict[tuple[str, str | None], str]:
    """(event, action) -> webhook key, from each webhook's operationId (`issue-comment/created`).

    Events without actions (`push`, `ping`) are keyed with action None.
    """
    index: dict[tuple[str, str | None], str] = {}
    for key, item in document.contents.get("webhooks", {}).items():
        operation_id: str = item["post"]["operationId"]
        event, _, action = operation_id.partition("/")
        index[(_normal(event), _normal(action) if action else None)] = key
    return index


def find(
    index: dict[tuple[str, str | None], str], event: str, payload: dict[str, Any]
) -> str | None:
    action = payload.get("action")
    if isinstance(action, str):
        key = index.get((_normal(event), _normal(action)))
        if key is not None:
            return key
    return index.get((_normal(event), None))


def schema_pointer(document: Document, key: str) -> str:
    return pointer("webhooks", key, "post", "requestBody", "content", "application/json", "schema")


def known_actions(index: dict[tuple[str, str | None], str], event: str) -> list[str]:
    return sorted(a for (e, a) in index if e == _normal(event) and a is not None)
