"""JSON Schema validation with the quirks of GitHub's descriptions, and readable problems."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from jsonschema import FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft4Validator, extend
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    OAS31Validator,
    oas30_format_checker,
)
from rfc3339_validator import validate_rfc3339

from fakehub.conformance.documents import Document, pointer

# At most this many problems per body: past that, one more line says how many were left out.
MAX_PROBLEMS = 20
MAX_MESSAGE = 160

Keyword = Callable[[Any, Any, Any, dict[str, Any]], Iterator[ValidationError]]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _nullable(keyword: Keyword) -> Keyword:
    """OpenAPI 3.0's `nullable: true` admits null whatever else the same schema says.

    openapi-schema-validator applies it to `type` only, but GitHub also writes it beside an
    `enum` that lists no null (71 times), and beside `allOf`/`anyOf`/`oneOf` of a `$ref`.
    (Webhook schemas are OpenAPI 3.1, which spells null in `type` instead.)
    """

    def check(
        validator: Any, value: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)

    return check


_PLAIN = Draft4Validator.VALIDATORS
_REST_KEYWORDS = {
    "enum": _nullable(_PLAIN["enum"]),
    # JSON Schema's own combinators: `discriminator` is taken as the hint OpenAPI calls it.
    # openapi-schema-validator enforces it, which refuses what GitHub returns: contents maps the
    # pseudo-type "array" to the directory listing, and `user_view_type` is often absent.
    "allOf": _nullable(_PLAIN["allOf"]),
    "anyOf": _nullable(_PLAIN["anyOf"]),
    # GitHub's REST `oneOf` branches overlap, e.g. a 409 as oneOf(basic-error,
    # repository-rule-violation-error), which every error body fits both of; exclusivity could
    # never hold, so a body must fit at least one branch. (Webhook schemas keep strict oneOf:
    # their branches are exclusive, and GitHub's examples pass them.)
    "oneOf": _nullable(_PLAIN["anyOf"]),
}
# Responses are read (writeOnly fields must not appear); requests are written (no readOnly).
ResponseValidator = extend(OAS30ReadValidator, _REST_KEYWORDS)
RequestValidator = extend(OAS30WriteValidator, _REST_KEYWORDS)
WebhookValidator = OAS31Validator


def _is_date_time(instance: object) -> bool:
    return not isinstance(instance, str) or validate_rfc3339(instance)


def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return len(instance) == 10


def _is_uri(instance: object) -> bool:
    """An absolute URI: a scheme, then no whitespace (RFC 3986 section 4.3, loosely)."""
    return not isinstance(instance, str) or bool(_SCHEME.match(instance))


def _is_uri_template(instance: object) -> bool:
    """An absolute URI whose `{...}` expressions are balanced, like `.../following{/other_user}`."""
    if not isinstance(instance, str):
        return True
    depth = 0
    for char in instance:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth not in (0, 1):
            return False
    return depth == 0 and _is_uri(instance)


def _is_email(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    local, at, domain = instance.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in instance)


def _format_checker() -> FormatChecker:
    """OpenAPI's numeric formats plus the string formats GitHub relies on.

    jsonschema checks `uri` and `email` only when optional packages are installed; the checks
    are spelled out here so that results do not depend on what else is in the environment.
    """
    checker = FormatChecker(formats=())
    for name, func in oas30_format_checker.checkers.items():
        checker.checkers[name] = func
    checker.checks("date-time")(_is_date_time)
    checker.checks("date")(_is_date)
    checker.checks("uri")(_is_uri)
    checker.checks("uri-template")(_is_uri_template)
    checker.checks("email")(_is_email)
    return checker


FORMATS = _format_checker()


def compile_validator(
    cls: type[Validator], document: Document, pointer: str, overlay: dict[str, Any] | None = None
) -> Validator:
    """A validator for the schema at `pointer`, with `overlay` (extra rules) applied as well."""
    schema = document.ref(pointer)
    if overlay:
        schema = {"allOf": [schema, overlay]}
    return cls(schema, registry=document.registry, format_checker=FORMATS)


def json_pointer(error: ValidationError) -> str:
    return pointer(*error.absolute_path)


def _closest(error: ValidationError) -> list[ValidationError]:
    """The errors that matter: for a failed anyOf/oneOf, those of the branch that came closest.

    Reporting the whole value as "not valid under any of the given schemas" hides which field
    is wrong; the branch of the right type with the fewest errors is almost always the one meant.
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    nearest = min(branches.values(), key=_distance)
    return [leaf for sub in nearest for leaf in _closest(sub)]


def _distance(errors: list[ValidationError]) -> tuple[bool, int]:
    # A branch whose type differs from the value's (`null` for an object) describes another kind
    # of value altogether, however few its errors.
    wrong_kind = any(e.validator == "type" and not e.relative_path for e in errors)
    return wrong_kind, len(errors)


def problems(validator: Validator, instance: object, where: str) -> list[str]:
    """One line per failing field: `where`, the field's JSON pointer, and what is wrong."""
    found: list[str] = []
    errors = [leaf for error in validator.iter_errors(instance) for leaf in _closest(error)]
    for error in sorted(errors, key=lambda e: [str(part) for part in e.absolute_path]):
        message = error.message
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        problem = f"{where}: {json_pointer(error) or '/'}: {message}"
        # A field can break GitHub's schema and an added rule the same way; say it once.
        if problem not in found:
            found.append(problem)
    if len(found) > MAX_PROBLEMS:
        extra = len(found) - MAX_PROBLEMS
        found = [*found[:MAX_PROBLEMS], f"{where}: and {extra} more"]
    return found
