"""The request's body and query parameters: read, bounded, decoded and validated into the request
models of each handler; the first problem becomes Intercom's error."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from inboxd.domain.errors import IntercomError, ParameterInvalid, ParameterNotFound, PayloadTooLarge

MAX_BODY_BYTES = 4 * 1024 * 1024  # attachments travel as base64 in JSON; 4 MiB leaves room for ten small files

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any, prefix: str = "") -> Model:
    """Validate ``data`` against a request model; the first problem becomes an Intercom error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise to_intercom_error(exc, prefix) from None


_TYPE_WORDS = {
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def to_intercom_error(exc: ValidationError, prefix: str = "") -> IntercomError:
    error = exc.errors(include_url=False)[0]
    field = prefix + ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        return ParameterNotFound(f"{field} is a required parameter", field=field)
    if kind in _TYPE_WORDS:
        return ParameterInvalid(f"{field} must be {_TYPE_WORDS[kind]}", field=field)
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return ParameterInvalid(f"{field} must be one of {expected}", field=field)
    if kind in ("greater_than_equal", "less_than_equal"):
        return ParameterInvalid(f"{field} is out of range", field=field)
    if kind == "too_long":
        limit = error.get("ctx", {}).get("max_length")
        return ParameterInvalid(f"{field} has too many items; at most {limit} are allowed", field=field)
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return ParameterInvalid(f"{field} {message}", field=field)
    return ParameterInvalid(f"{field}: {error['msg']}", field=field)


async def read_body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD"):
        return {}
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ParameterInvalid(f"Request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(data, dict):
        raise ParameterInvalid("Request body must be a JSON object")
    if b"\\u0000" in raw:
        refuse_nul(data, "")
    return data


def refuse_nul(value: Any, path: str) -> None:
    """PostgreSQL text cannot hold NUL characters and no Intercom field needs one: refuse them here,
    once for every endpoint, rather than let the database fail on them. A loop, not recursion: the
    body may nest as deep as orjson allows (1,024 levels), past Python's recursion limit."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                field = path or "(body)"
                raise ParameterInvalid(f"{field} must not contain NUL characters", field=field)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append((item, f"{path}.{key}" if path else key))
                stack.append((key, path or "(key)"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}") for index, item in reversed(list(enumerate(value))))


def parse_flag(raw: str | None, name: str) -> bool:
    """A boolean query parameter as the spec types it: `true` or `false`; anything else is refused
    like any malformed parameter."""
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise ParameterInvalid(f"{name} must be a boolean", field=name)
    return raw == "true"


def parse_per_page(raw: str | None, default: int = 20, maximum: int = 150) -> int:
    return parse_count(raw, "per_page", default, maximum)


def parse_count(raw: str | None, name: str, default: int, maximum: int) -> int:
    """A query parameter that counts (a page size, a page number): an integer from 1 to ``maximum``."""
    if raw is None:
        return default
    if not (raw.isascii() and raw.strip().isdigit()):
        raise ParameterInvalid(f"{name} must be an integer", field=name)
    # Ten thousand digits are an integer too, but int() refuses strings past 4,300 digits.
    value = int(raw) if len(raw.strip()) <= 6 else maximum + 1
    if value < 1 or value > maximum:
        raise ParameterInvalid(f"{name} must be between 1 and {maximum}", field=name)
    return value
