"""`OpenAPIConformance`: the checker the stand-in runs on every request, response and webhook."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator

from fakehub.conformance import rest, webhooks
from fakehub.conformance.allowances import REQUEST_ALTERNATIVES
from fakehub.conformance.documents import Document, load
from fakehub.conformance.routes import Match, Route, build_routes, match
from fakehub.conformance.schemas import (
    FORMATS,
    RequestValidator,
    ResponseValidator,
    WebhookValidator,
    compile_validator,
    problems,
)

# Statuses GitHub may answer on any operation, declared or not: bad credentials (401), the
# primary and secondary rate limits (403, 429) and server errors, which the stand-in injects.
# https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
ANY_OPERATION_STATUSES = frozenset({401, 403, 429, 500, 502, 503})
BASIC_ERROR = "/components/schemas/basic-error"
# GitHub's error bodies always carry both fields and clients show `message`; the description
# leaves them optional in `basic-error`, so they are required here on top of it.
ERROR_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["message", "documentation_url"],
    "properties": {"message": {"type": "string"}, "documentation_url": {"type": "string"}},
}
NO_BODY_STATUSES = frozenset({204, 304})
_MATCH_CACHE_SIZE = 4096


@lru_cache(maxsize=8)
def _routes(path: Path) -> dict[str, list[Route]]:
    document = load(path)
    return build_routes(document.contents.get("paths", {}), document.resolve)


@lru_cache(maxsize=8)
def _webhook_index(path: Path) -> dict[tuple[str, str | None], str]:
    return webhooks.build_index(load(path))


class OpenAPIConformance:
    """Checks bodies against api.github.com.json (REST) and openapi-webhooks.json (webhooks).

    Every method returns short problem strings naming method, path, status and the JSON pointer
    of the failing field; an empty list means the body fits GitHub's description. `body` is the
    decoded JSON, or None when there is no body.

    Safe to share between the server's threads: the caches are plain dicts whose worst race is
    compiling one validator twice, and compiled validators hold no state between calls.
    """

    def __init__(self, rest_spec: Path, webhook_spec: Path) -> None:
        self._rest_path = rest_spec.resolve()
        self._webhook_path = webhook_spec.resolve()
        self._rest: Document = load(self._rest_path)
        self._webhooks: Document = load(self._webhook_path)
        self._routes = _routes(self._rest_path)
        self._webhook_index = _webhook_index(self._webhook_path)
        self._validators: dict[tuple[str, ...], Validator] = {}
        self._matches: dict[tuple[str, str], tuple[Match | None, list[str]]] = {}

    @property
    def description(self) -> Document:
        """The parsed REST description, for tests that read its examples."""
        return self._rest

    # -- REST --------------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> str | None:
        """The documented operation a request maps to, like `GET /repos/{owner}/{repo}`."""
        found, _ = self._match(method, path)
        return _describe(found.route) if found else None

    def check_request(self, method: str, path: str, body: object) -> list[str]:
        found, unknown = self._match(method, path)
        if found is None:
            return unknown
        route = found.route
        where = f"{method.upper()} {path} request"
        declared = rest.request_body(self._rest, route)
        if declared is None:
            if body is None or body == {}:
                return []
            return [f"{where}: GitHub's API takes no body for {_describe(route)}"]
        if body is None:
            return [f"{where}: a body is required"] if declared.required else []
        if declared.schema_pointer is None:
            return []
        validator = self._validator(RequestValidator, self._rest, declared.schema_pointer)
        broken = problems(validator, body, where)
        alternative = REQUEST_ALTERNATIVES.get((route.method, route.template))
        if (
            broken
            and alternative is not None
            and self._alternative(route, alternative).is_valid(body)
        ):
            return []
        return broken

    def check_response(self, method: str, path: str, status: int, body: object) -> list[str]:
        found, unknown = self._match(method, path)
        if found is None:
            return unknown
        route = found.route
        where = f"{method.upper()} {path} {status}"
        declared = rest.response(self._rest, route, status)
        if declared is None:
            if status not in ANY_OPERATION_STATUSES:
                statuses = ", ".join(rest.declared_statuses(route))
                return [f"{where}: status not declared for {_describe(route)} ({statuses})"]
            declared = rest.Declared("any", BASIC_ERROR)
        if status in NO_BODY_STATUSES:
            return [] if body is None else [f"{where}: a {status} response has no body"]
        schema_pointer = declared.schema_pointer
        if schema_pointer is None and status >= 400 and body is not None:
            # Undescribed error bodies (the merges 409, for one) are GitHub's basic error.
            schema_pointer = BASIC_ERROR
        if schema_pointer is None:
            return []
        if body is None:
            return [f"{where}: no body, GitHub sends JSON here"]
        overlay = ERROR_SHAPE if status >= 400 else None
        validator = self._validator(ResponseValidator, self._rest, schema_pointer, overlay)
        return problems(validator, body, where)

    # -- webhooks ----------------------------------------------------------------------------

    def check_webhook(self, event: str, payload: dict[str, Any]) -> list[str]:
        action = payload.get("action")
        where = f"webhook {event}" + (f".{action}" if isinstance(action, str) else "")
        key = webhooks.find(self._webhook_index, event, payload)
        if key is None:
            actions = webhooks.known_actions(self._webhook_index, event)
            if not actions:
                return [f"{where}: not in GitHub's webhooks"]
            return [f"{where}: action not in GitHub's webhooks ({', '.join(actions)})"]
        schema_pointer = webhooks.schema_pointer(self._webhooks, key)
        validator = self._validator(WebhookValidator, self._webhooks, schema_pointer)
        return problems(validator, payload, where)

    # -- caches ------------------------------------------------------------------------------

    def _match(self, method: str, path: str) -> tuple[Match | None, list[str]]:
        """The operation for a request, or the problem saying why there is none."""
        key = (method.upper(), path)
        cached = self._matches.get(key)
        if cached is None:
            found, elsewhere = match(self._routes, method, path)
            problem = f"not in GitHub's API: {key[0]} {path}"
            if elsewhere:
                problem += f" (the path exists for {'; '.join(elsewhere)})"
            cached = (found, [] if found else [problem])
            if len(self._matches) >= _MATCH_CACHE_SIZE:
                self._matches.clear()
            self._matches[key] = cached
        return cached

    def _alternative(self, route: Route, schema: dict[str, Any]) -> Validator:
        key = ("alternative", route.method, route.template)
        validator = self._validators.get(key)
        if validator is None:
            validator = RequestValidator(schema, format_checker=FORMATS)
            self._validators[key] = validator
        return validator

    def _validator(
        self,
        cls: type[Validator],
        document: Document,
        schema_pointer: str,
        overlay: dict[str, Any] | None = None,
    ) -> Validator:
        key = (cls.__name__, document.base_uri, schema_pointer, "overlay" if overlay else "")
        validator = self._validators.get(key)
        if validator is None:
            validator = compile_validator(cls, document, schema_pointer, overlay)
            self._validators[key] = validator
        return validator


def _describe(route: Route) -> str:
    return f"{route.method.upper()} {route.template}"
