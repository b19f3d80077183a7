"""A document drawn in the newest shape, taken back to the shape of the version asked for.

render/ draws every document as the newest description has it. Each entry of
render/versions/changes.py says what one version changed and how to undo it on one kind of
object; a version older than the newest gets the undos of every change newer than it, newest
first. Objects sit inside others (a conversation's parts, a part's author): :data:`NESTED` says
where, and the chain undoes the inner objects before the one that holds them, so a change to a
container may move or drop what it holds.

A plan per (shape, kind) is built once: the newest shape's plans are empty and cost nothing.

A request body goes the other way (:func:`read`): sent in an older version, it gets the request
upgrades of every change newer than that version, oldest first, and reads as the newest."""

from __future__ import annotations

import functools
from typing import Any

from inboxd.domain.versions import NEWEST, Version
from inboxd.render.versions.changes import CHANGES, Undo, Upgrade

# Where objects of one kind hold objects of another: (key, kind). A key ending in [] holds a list.
NESTED: dict[str, tuple[tuple[str, str], ...]] = {
    "conversation": (
        ("source", "conversation_source"),
        ("statistics", "conversation_statistics"),
        ("conversation_parts", "conversation_part.list"),
    ),
    "conversation_part.list": (("conversation_parts[]", "conversation_part"),),
    "conversation_part": (("author", "conversation_part_author"),),
    "conversation_source": (("author", "conversation_part_author"),),
    "conversation.list": (),
    "admin.list": (("admins[]", "admin"),),
    "team.list": (("teams[]", "team"),),
    "contact_list": (("data[]", "contact"),),
    "tag_list": (("data[]", "tag"),),
    "ticket_type.list": (("data[]", "ticket_type"),),
    "ticket": (("ticket_type", "ticket_type"), ("ticket_parts", "ticket_part.list")),
    "ticket_part.list": (("ticket_parts[]", "ticket_part"),),
}

Plan = tuple[tuple[Undo, ...], tuple[tuple[str, bool, "Plan"], ...]]


@functools.cache
def _plan(shape: str, kind: str) -> Plan:
    """The undos for ``kind`` at ``shape`` (newest change first) and the plans of what it holds
    (only those with something to do)."""
    undos = tuple(
        undo
        for change in reversed(CHANGES)
        if change.undone_in(shape)
        for undo in (change.undo.get(kind),)
        if undo is not None
    )
    inner = []
    for key, inner_kind in NESTED.get(kind, ()):
        plan = _plan(shape, inner_kind)
        if plan[0] or plan[1]:
            many = key.endswith("[]")
            inner.append((key.removesuffix("[]"), many, plan))
    return undos, tuple(inner)


def _apply(plan: Plan, obj: dict[str, Any]) -> None:
    undos, inner = plan
    for key, many, inner_plan in inner:
        held = obj.get(key)
        if held is None:
            continue
        if many:
            for item in held:
                if isinstance(item, dict):  # a list page's items may be encoded already
                    _apply(inner_plan, item)
        elif isinstance(held, dict):
            _apply(inner_plan, held)
    for undo in undos:
        undo(obj)


def shaped(kind: str, document: dict[str, Any], version: Version) -> dict[str, Any]:
    """``document``, a ``kind`` drawn in the newest shape, as ``version`` shows it (in place)."""
    if version.shape != NEWEST:
        _apply(_plan(version.shape, kind), document)
    return document


@functools.cache
def _upgrades(shape: str, kind: str) -> tuple[Upgrade, ...]:
    return tuple(
        upgrade
        for change in CHANGES
        if change.undone_in(shape)
        for upgrade in (change.request.get(kind),)
        if upgrade is not None
    )


def read(kind: str, body: dict[str, Any], version: Version) -> dict[str, Any]:
    """``body``, a ``kind`` of request sent in ``version``, as the newest version reads it (a copy
    where anything changes: the handler may run again on the same body, store/unit_of_work.py)."""
    upgrades = _upgrades(version.shape, kind)
    if not upgrades:
        return body
    read_as_newest = dict(body)
    for upgrade in upgrades:
        upgrade(read_as_newest)
    return read_as_newest
