"""Loading GitHub's API descriptions once per process and resolving references inside them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012, Specification

JSON = dict[str, Any]


@dataclass(frozen=True)
class Document:
    """One parsed description, registered under a base URI so that `$ref`s resolve lazily."""

    contents: JSON
    base_uri: str
    registry: Registry[Any]

    def ref(self, pointer: str) -> JSON:
        """A schema that stands for the node at `pointer`: its own `$ref`s resolve in place."""
        return {"$ref": f"{self.base_uri}#{pointer}"}

    def resolve(self, node: JSON) -> JSON:
        """Follows a chain of local `$ref`s (responses, parameters) to the node they name."""
        return self.follow(node)[1]

    def follow(self, node: JSON, at: str = "") -> tuple[str, JSON]:
        """The pointer and contents of the node a chain of local `$ref`s ends at."""
        seen: set[str] = set()
        while "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"cannot resolve {ref!r}")
            seen.add(ref)
            at = ref[1:]
            node = self.node(at)
        return at, node

    def node(self, pointer: str) -> Any:
        node: Any = self.contents
        for token in pointer.lstrip("/").split("/"):
            node = node[unescape(token)]
        return node


def escape(token: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str | int) -> str:
    return "".join(f"/{escape(str(token))}" for token in tokens)


@lru_cache(maxsize=8)
def load(path: Path) -> Document:
    """Parses a description once per process; every checker built on the same file shares it."""
    with path.open("rb") as handle:
        contents: JSON = json.load(handle)
    # OpenAPI 3.0 schemas are a draft-4 dialect; 3.1 schemas are JSON Schema 2020-12.
    specification: Specification[Any] = (
        DRAFT202012 if str(contents.get("openapi", "")).startswith("3.1") else DRAFT4
    )
    # An http(s) base URI, because urljoin leaves fragments unresolved against a `urn:`.
    base_uri = f"https://conformance.invalid/{path.name}"
    resource = Resource.from_contents(contents, default_specification=specification)
    return Document(contents, base_uri, Registry().with_resource(base_uri, resource))
