"""Typed reads of decoded JSON: each accessor checks the type it promises, so a model is either
built from a well-formed answer or the client says which field was wrong (never a KeyError)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

JSONObject = Mapping[str, object]


class WireFormatError(ValueError):
    """An answer of the API did not have the shape this client expects."""


def as_object(value: object, where: str) -> JSONObject:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise WireFormatError(f"{where}: expected a JSON object")
    return value


def text(obj: JSONObject, key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise WireFormatError(f"{key}: expected a string")
    return value


def optional_text(obj: JSONObject, key: str) -> str | None:
    return None if obj.get(key) is None else text(obj, key)


def integer(obj: JSONObject, key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):  # bool is an int in Python
        raise WireFormatError(f"{key}: expected an integer")
    return value


def optional_integer(obj: JSONObject, key: str) -> int | None:
    return None if obj.get(key) is None else integer(obj, key)


def boolean(obj: JSONObject, key: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise WireFormatError(f"{key}: expected true or false")
    return value


def timestamp(obj: JSONObject, key: str) -> datetime:
    raw = text(obj, key)
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise WireFormatError(f"{key}: expected an ISO 8601 timestamp") from None


def optional_timestamp(obj: JSONObject, key: str) -> datetime | None:
    return None if obj.get(key) is None else timestamp(obj, key)


def array(obj: JSONObject, key: str) -> list[object]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise WireFormatError(f"{key}: expected an array")
    return value


def objects(obj: JSONObject, key: str) -> list[JSONObject]:
    return [as_object(item, f"{key}[{n}]") for n, item in enumerate(array(obj, key))]


def scalars(obj: JSONObject, key: str) -> dict[str, str | int | bool | None]:
    """A flat object of scalars (metadata, delivery)."""
    found = as_object(obj.get(key), key)
    flat: dict[str, str | int | bool | None] = {}
    for name, value in found.items():
        if value is not None and not isinstance(value, str | int | bool):
            raise WireFormatError(f"{key}.{name}: expected a string, integer, boolean or null")
        flat[name] = value
    return flat


def integers(obj: JSONObject, key: str) -> tuple[int, ...]:
    values = array(obj, key)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise WireFormatError(f"{key}: expected an array of integers")
    return tuple(v for v in values if isinstance(v, int))


def texts(obj: JSONObject, key: str) -> tuple[str, ...]:
    values = array(obj, key)
    if not all(isinstance(v, str) for v in values):
        raise WireFormatError(f"{key}: expected an array of strings")
    return tuple(v for v in values if isinstance(v, str))
