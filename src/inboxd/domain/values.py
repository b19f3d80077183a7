"""Copies of the domain's frozen dataclasses with some fields changed."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def evolve(value: T, **changes: Any) -> T:
    """``dataclasses.replace`` for the domain's frozen dataclasses, none of which has an
    ``__init__`` that computes anything or a ``__post_init__``: the fields copied, ``changes``
    set over them. replace() calls ``fields()`` and ``__init__`` each time, several times the cost
    of this, and a reply makes four (docs/decisions.md, Performance: "Small costs"). An unknown field name is
    refused as replace() refuses it."""
    known = value.__dataclass_fields__  # type: ignore[attr-defined]
    for name in changes:
        if name not in known:
            raise TypeError(f"{type(value).__name__} has no field {name!r}")
    copy = object.__new__(type(value))
    copy.__dict__.update(value.__dict__)
    copy.__dict__.update(changes)
    return copy
