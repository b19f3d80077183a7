"""The workspace's tags (`POST /tags`): created, or renamed. Tagging a conversation is a change of
the conversation (operations/conversations.py)."""

from __future__ import annotations

from typing import Any

from inboxd.domain import tags as domain
from inboxd.domain.errors import NotFound
from inboxd.store.scope import Store


def create_or_rename(store: Store, now: int, name: str, tag_id: str | None) -> dict[str, Any]:
    """With ``tag_id``, that tag renamed to ``name``; without, the tag called ``name`` (without
    regard to case), created when there is none, as Intercom's `POST /tags` does."""
    name = domain.clean_name(name)
    tags = store.tags
    same_name = tags.by_name(name)
    if tag_id is not None:
        tag = tags.named(tag_id, NotFound("Tag not found", code="tag_not_found", field="id"))
        domain.check_rename(tag, same_name)
        tags.rename(tag["id"], name)
        changed = tag["id"]
    elif same_name is not None:
        return same_name
    else:
        changed = tags.create(name, now)
    shown = tags.get(changed)
    assert shown is not None  # written in this transaction
    return shown
