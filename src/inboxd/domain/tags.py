"""Tags: names are trimmed, non-empty, and unique without regard to case (as in Intercom)."""

from __future__ import annotations

from typing import Any

from inboxd.domain.errors import Conflict, ParameterInvalid

MAX_TAG_NAME = 255


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ParameterInvalid("invalid tag parameters: name must not be blank", field="name")
    # Uniqueness is checked on the case-folded name, which can be longer than the name itself
    # ("ß" folds to "ss"); both must fit the column.
    if len(cleaned.casefold()) > MAX_TAG_NAME:
        raise ParameterInvalid(f"invalid tag parameters: name is longer than {MAX_TAG_NAME} characters", field="name")
    return cleaned


def check_rename(tag: dict[str, Any], same_name: dict[str, Any] | None) -> None:
    """A tag may take a name no other tag of the workspace has (its own, in another case, is fine)."""
    if same_name is not None and same_name["id"] != tag["id"]:
        raise Conflict(f"A tag named {same_name['name']!r} already exists with id={same_name['id']}")
