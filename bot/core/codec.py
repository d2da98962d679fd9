"""Frozen dataclasses to JSON-ready dicts and back, driven by their type hints.

Run state, events and effects travel through Redis and RQ as JSON; one small codec keeps the
three in step instead of a hand-written `to_dict` per class that drifts from its fields.
Supported field types: str, int, float, bool, None, enums, nested dataclasses, `tuple[X, ...]`,
`Mapping[str, X]` / `dict[str, X]`, and unions of these with None.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A JSON-ready copy of `value`: enums become their values, tuples lists, dataclasses dicts."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    return value


def decode(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build the dataclass `cls` from `data`, as `encode` produced it; unknown keys are refused."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    kwargs = {name: _decode_value(hints[name], data[name]) for name in hints if name in data}
    return cls(**kwargs)


# Resolving string annotations is the slow part of decoding; the classes never change.
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        _HINTS[cls] = {k: v for k, v in typing.get_type_hints(cls).items() if k in names}
    return _HINTS[cls]


def _decode_value(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode_value(inner, value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode_value(args[0], v) for v in value)
        return tuple(_decode_value(a, v) for a, v in zip(args, value, strict=True))
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {value!r}")
        return {str(k): _decode_value(args[1], v) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return decode(hint, value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # JSON writes 12.0 as 12
    if hint in (str, int, float, bool) and not (
        isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    ):
        raise ValueError(f"expected {hint.__name__}, got {value!r}")
    return value


def encode_tagged(value: Any) -> dict[str, Any]:
    """`{"type": "<ClassName>", ...fields}`: a member of a union, ready to travel as JSON."""
    return {"type": type(value).__name__, **encode(value)}


def decode_tagged(types_by_name: Mapping[str, type[T]], data: Mapping[str, Any]) -> T:
    """The inverse of `encode_tagged` over the classes named; ValueError for anything else."""
    fields = dict(data)
    name = fields.pop("type", None)
    cls = types_by_name.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown type {name!r}")
    try:
        return decode(cls, fields)
    except TypeError as exc:  # a required field is missing
        raise ValueError(f"{name}: {exc}") from exc
