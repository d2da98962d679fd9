"""The checker on a small hand-written description holding the quirks of GitHub's real one.

These tests need no shared data: each quirk is spelled out here, so a change in how the
checker treats it shows up even where the full descriptions are absent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakehub.conformance import OpenAPIConformance

WIDGET = {
    "type": "object",
    "required": ["id", "state", "owner", "created_at"],
    "properties": {
        "id": {"type": "integer", "format": "int32", "readOnly": True},
        "state": {"type": "string", "enum": ["open", "closed"], "nullable": True},
        "owner": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/user"}]},
        "parent": {"nullable": True, "oneOf": [{"$ref": "#/components/schemas/user"}]},
        "created_at": {"type": "string", "format": "date-time"},
        "due_on": {"type": "string", "format": "date"},
        "homepage": {"type": "string", "format": "uri"},
        "email": {"type": "string", "format": "email"},
        "secret": {"type": "string", "writeOnly": True},
        "anything": {"nullable": True},
    },
}
USER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["login"],
    "properties": {"login": {"type": "string"}},
}


def operation(responses: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": responses}
    if body is not None:
        op["requestBody"] = body
    return op


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


REST = {
    "openapi": "3.0.3",
    "paths": {
        "/widgets/{widget_id}": {
            "get": operation(
                {
                    "200": {"$ref": "#/components/responses/widget"},
                    "4XX": {
                        "description": "error",
                        **json_content({"$ref": "#/components/schemas/error"}),
                    },
                }
            ),
            "patch": operation(
                {"default": {"$ref": "#/components/responses/widget"}},
                {"required": True, **json_content({"$ref": "#/components/schemas/widget"})},
            ),
            "delete": operation({"204": {"description": "gone"}}),
            "parameters": [{"$ref": "#/components/parameters/widget-id"}],
        },
        # Like contents: a discriminator naming a pseudo-type "array", and overlapping oneOf
        # branches for a 409 (any error body fits both).
        "/things/{name}": {
            "get": operation(
                {
                    "200": json_content(
                        {
                            "oneOf": [
                                {"type": "array", "items": {"$ref": "#/components/schemas/thing"}},
                                {"$ref": "#/components/schemas/thing"},
                            ],
                            "discriminator": {
                                "propertyName": "type",
                                "mapping": {
                                    "array": "#/components/schemas/things",
                                    "file": "#/components/schemas/thing",
                                },
                            },
                        }
                    )
                    | {"description": "one or many"},
                    "409": json_content(
                        {
                            "oneOf": [
                                {"$ref": "#/components/schemas/error"},
                                {"$ref": "#/components/schemas/basic-error"},
                            ]
                        }
                    )
                    | {"description": "conflict"},
                }
            )
        },
        "/widgets/search": {"get": operation({"200": {"$ref": "#/components/responses/widgets"}})},
        "/shelves/{shelf}/items/{path}": {
            "get": operation(
                {"200": {"description": "ok"}},
            ),
            "parameters": [
                {"name": "shelf", "in": "path", "required": True, "schema": {"type": "string"}},
                {"$ref": "#/components/parameters/multi-path"},
            ],
        },
        "/shelves/{shelf}/items/{path}/history": {
            "get": operation({"200": {"description": "ok"}}),
            "parameters": [
                {"name": "shelf", "in": "path", "required": True, "schema": {"type": "string"}},
                {"$ref": "#/components/parameters/multi-path"},
            ],
        },
        "/diff/{base}...{head}": {
            "get": {"deprecated": True, **operation({"200": {"description": "old"}})},
        },
        "/diff/{basehead}": {
            "get": operation({"200": {"description": "new"}}),
            "parameters": [
                {
                    "name": "basehead",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "x-multi-segment": True,
                }
            ],
        },
    },
    "components": {
        "schemas": {
            # A chain: widget -> widget-body -> the schema itself.
            "widget": {"$ref": "#/components/schemas/widget-body"},
            "widget-body": WIDGET,
            "user": USER,
            "thing": {
                "type": "object",
                "required": ["type", "name"],
                "properties": {"type": {"type": "string"}, "name": {"type": "string"}},
            },
            "error": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "documentation_url": {"type": "string"},
                },
            },
            "basic-error": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "documentation_url": {"type": "string"},
                },
            },
        },
        "responses": {
            "widget": {"$ref": "#/components/responses/widget-again"},
            "widget-again": {
                "description": "a widget",
                **json_content({"$ref": "#/components/schemas/widget"}),
            },
            "widgets": {
                "description": "widgets",
                **json_content({"type": "array", "items": {"$ref": "#/components/schemas/widget"}}),
            },
        },
        "parameters": {
            "widget-id": {
                "name": "widget_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
            },
            "multi-path": {
                "name": "path",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "x-multi-segment": True,
            },
        },
    },
}

WEBHOOKS = {
    "openapi": "3.1.0",
    "webhooks": {
        "widget-opened": {
            "post": {
                "operationId": "widget/opened",
                "requestBody": json_content({"$ref": "#/components/schemas/webhook-widget-opened"}),
                "responses": {"200": {"description": "ok"}},
            }
        },
        "ping": {
            "post": {
                "operationId": "ping",
                "requestBody": json_content({"type": "object", "required": ["zen"]}),
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {
            "webhook-widget-opened": {
                "type": "object",
                "required": ["action", "widget"],
                "properties": {
                    "action": {"type": "string", "enum": ["opened"]},
                    "widget": {
                        "type": "object",
                        "required": ["id", "closed_at"],
                        "properties": {
                            "id": {"type": "integer"},
                            "closed_at": {"type": ["string", "null"], "format": "date-time"},
                        },
                    },
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIConformance:
    folder = tmp_path_factory.mktemp("descriptions")
    (folder / "rest.json").write_text(json.dumps(REST))
    (folder / "webhooks.json").write_text(json.dumps(WEBHOOKS))
    return OpenAPIConformance(folder / "rest.json", folder / "webhooks.json")


def widget(**changes: Any) -> dict[str, Any]:
    return {
        "id": 1,
        "state": "open",
        "owner": {"login": "octo"},
        "created_at": "2026-11-28T09:00:00Z",
        **changes,
    }


NULLABLE_AND_FORMATS = [
    # nullable beside an enum that lists no null, beside allOf and oneOf, and alone
    (widget(state=None), []),
    (widget(owner=None, parent=None, anything=None), []),
    (widget(anything={"any": ["thing"]}), []),
    (widget(state="merged"), ["/state: 'merged' is not one of ['open', 'closed']"]),
    # $ref chains reach the schema, and additionalProperties: false holds behind them
    (
        widget(owner={"login": "octo", "admin": True}),
        ["/owner: Additional properties are not allowed"],
    ),
    (widget(parent={}), ["/parent: 'login' is a required property"]),
    # formats GitHub uses
    (widget(created_at="2026-11-28T09:00:00+01:00", due_on="2026-12-01"), []),
    (widget(created_at="2026-11-28"), ["/created_at: '2026-11-28' is not a 'date-time'"]),
    (widget(due_on="2026-12-1"), ["/due_on: '2026-12-1' is not a 'date'"]),
    (widget(homepage="www.example.com"), ["/homepage: 'www.example.com' is not a 'uri'"]),
    (
        widget(homepage="https://example.com/a b"),
        ["/homepage: 'https://example.com/a b' is not a 'uri'"],
    ),
    (widget(email="octo.example.com"), ["/email: 'octo.example.com' is not a 'email'"]),
    (widget(id=2**31), ["/id: 2147483648 is not a 'int32'"]),
    # writeOnly fields never appear in a response
    (widget(secret="s3cret"), ["/secret: Tried to read write-only property with s3cret"]),
]


@pytest.mark.parametrize(("body", "expected"), NULLABLE_AND_FORMATS)
def test_response_quirks(
    checker: OpenAPIConformance, body: dict[str, Any], expected: list[str]
) -> None:
    """Each expected entry is the start of one problem, after `GET /widgets/1 200: `."""
    found = checker.check_response("GET", "/widgets/1", 200, body)
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert problem.startswith(f"GET /widgets/1 200: {start}")


def test_status_ranges_and_default(checker: OpenAPIConformance) -> None:
    error = {"message": "Not Found", "documentation_url": "https://docs.example.com"}
    assert checker.check_response("GET", "/widgets/1", 404, error) == []
    assert checker.check_response(
        "GET", "/widgets/1", 404, {"message": 404, "documentation_url": ""}
    ) == ["GET /widgets/1 404: /message: 404 is not of type 'string'"]
    # `default` covers every status, even an error, which then also needs GitHub's error shape.
    assert checker.check_response("PATCH", "/widgets/1", 201, widget()) == []
    assert checker.check_response("GET", "/widgets/1", 302, None) == [
        "GET /widgets/1 302: status not declared for GET /widgets/{widget_id} (200, 4XX)"
    ]


def test_one_of_with_a_discriminator_and_overlapping_branches(checker: OpenAPIConformance) -> None:
    thing = {"type": "file", "name": "a"}
    assert checker.check_response("GET", "/things/a", 200, thing) == []
    assert checker.check_response("GET", "/things/a", 200, [thing, thing]) == []
    assert checker.check_response("GET", "/things/a", 200, [{"type": "file"}]) == [
        "GET /things/a 200: /0: 'name' is a required property"
    ]
    error = {"message": "Conflict", "documentation_url": "https://docs.example.com"}
    assert checker.check_response("GET", "/things/a", 409, error) == []
    assert checker.check_response("GET", "/things/a", 409, {**error, "message": 1}) == [
        "GET /things/a 409: /message: 1 is not of type 'string'"
    ]


def test_request_quirks(checker: OpenAPIConformance) -> None:
    assert checker.check_request("PATCH", "/widgets/1", widget(id=5) | {"secret": "s"}) == [
        "PATCH /widgets/1 request: /id: Tried to write read-only property with 5"
    ]
    body = {k: v for k, v in widget().items() if k != "id"}
    assert checker.check_request("PATCH", "/widgets/1", body) == []
    assert checker.check_request("PATCH", "/widgets/1", None) == [
        "PATCH /widgets/1 request: a body is required"
    ]


ROUTES = [
    ("GET", "/widgets/7", "GET /widgets/{widget_id}"),
    ("GET", "/widgets/search", "GET /widgets/search"),
    ("DELETE", "/widgets/7", "DELETE /widgets/{widget_id}"),
    ("GET", "/widgets/seven", None),
    ("GET", "/shelves/top/items/a/b/c.txt", "GET /shelves/{shelf}/items/{path}"),
    ("GET", "/shelves/top/items/a/b/c.txt/history", "GET /shelves/{shelf}/items/{path}/history"),
    ("GET", "/shelves/top/shelf/items/a", None),
    ("GET", "/diff/main...topic/x", "GET /diff/{basehead}"),
    ("GET", "/diff/main...topic", "GET /diff/{basehead}"),
    ("POST", "/widgets/7", None),
]


@pytest.mark.parametrize(("method", "path", "expected"), ROUTES)
def test_route_matching(
    checker: OpenAPIConformance, method: str, path: str, expected: str | None
) -> None:
    assert checker.operation(method, path) == expected


def test_webhooks_3_1(checker: OpenAPIConformance) -> None:
    good = {"action": "opened", "widget": {"id": 1, "closed_at": None}}
    assert checker.check_webhook("widget", good) == []
    bad = {"action": "opened", "widget": {"id": 1, "closed_at": "soon"}}
    assert checker.check_webhook("widget", bad) == [
        "webhook widget.opened: /widget/closed_at: 'soon' is not a 'date-time'"
    ]
    assert checker.check_webhook("widget", {"action": "closed"}) == [
        "webhook widget.closed: action not in GitHub's webhooks (opened)"
    ]
    assert checker.check_webhook("ping", {}) == ["webhook ping: /: 'zen' is a required property"]
    assert checker.check_webhook("gadget", {}) == ["webhook gadget: not in GitHub's webhooks"]


def test_no_content_statuses(checker: OpenAPIConformance) -> None:
    assert checker.check_response("DELETE", "/widgets/1", 204, None) == []
    assert checker.check_response("DELETE", "/widgets/1", 204, {"message": "x"}) == [
        "DELETE /widgets/1 204: a 204 response has no body"
    ]
