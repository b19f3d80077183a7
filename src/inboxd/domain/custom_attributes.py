"""Custom attributes, of conversations and contacts alike: what a name and a value may be."""

from __future__ import annotations

from typing import Any

from inboxd.domain.errors import ParameterInvalid

MAX_CUSTOM_ATTRIBUTE_NAME = 190


def validate_custom_attribute(name: str, value: Any) -> None:
    """Custom attributes hold strings, numbers, booleans or null (to clear), nothing nested."""
    if not name or len(name) > MAX_CUSTOM_ATTRIBUTE_NAME:
        raise ParameterInvalid(
            f"custom attribute names must have 1 to {MAX_CUSTOM_ATTRIBUTE_NAME} characters",
            field="custom_attributes",
        )
    if value is None or isinstance(value, (str, bool, int, float)):
        if isinstance(value, float) and value != value:  # NaN cannot round-trip through JSON
            raise ParameterInvalid(f"custom_attributes.{name} is not a number", field=f"custom_attributes.{name}")
        return
    kind = "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__
    raise ParameterInvalid(
        f"custom_attributes.{name} is {kind}; a custom attribute must be a string, number, boolean or null",
        field=f"custom_attributes.{name}",
    )
