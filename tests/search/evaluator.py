"""A plain-Python evaluation of a parsed search query over conversations as `GET` shows them: the
oracle the SQL compiler is compared with. It follows the semantics written in the
docstring of inboxd.search.fields, independently of store/search/."""

from __future__ import annotations

from typing import Any

from inboxd.search.fields import NEGATIONS, Field, FieldType
from inboxd.search.query import Filter, Group, Node
from inboxd.search.tokens import fold, tokens

_MISSING = object()


def document(conversation: dict[str, Any]) -> dict[str, Any]:
    """The searchable values of a conversation, keyed by search field name."""
    source = conversation["source"]
    author = source["author"]
    doc: dict[str, Any] = {
        "id": conversation["id"],
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
        "source.type": source["type"],
        "source.id": source["id"],
        "source.delivered_as": source["delivered_as"],
        "source.subject": source["subject"],
        "source.body": set(tokens(source["body"] or "")),
        "source.author.id": author["id"],
        "source.author.type": author["type"],
        "source.author.name": author["name"],
        "source.author.email": author["email"] or None,
        "source.url": source["url"],
        "contact_ids": {c["id"] for c in conversation["contacts"]["contacts"]},
        "teammate_ids": {t["id"] for t in conversation["teammates"]["teammates"]},
        "admin_assignee_id": conversation["admin_assignee_id"],
        "team_assignee_id": conversation["team_assignee_id"],
        "channel_initiated": source["type"],
        "open": conversation["open"],
        "read": conversation["read"],
        "state": conversation["state"],
        "waiting_since": conversation["waiting_since"],
        "snoozed_until": conversation["snoozed_until"],
        "tag_ids": {t["id"] for t in conversation["tags"]["tags"]},
        # Documents come in 2.10's shape (the priority flag); searches are read as 2.16 (levels).
        "priority": "none" if conversation["priority"] == "not_priority" else conversation["priority"],
        "ai_agent_participated": None,
        "custom_attributes": conversation["custom_attributes"],
    }
    for name, value in conversation["statistics"].items():
        if name != "type":
            doc[f"statistics.{name}"] = value
    return doc


def evaluate(node: Node, doc: dict[str, Any]) -> bool:
    if isinstance(node, Group):
        results = [evaluate(child, doc) for child in node.children]
        return all(results) if node.operator == "AND" else any(results)
    return _filter(node, doc)


def _filter(item: Filter, doc: dict[str, Any]) -> bool:
    positive = NEGATIONS.get(item.operator)
    if positive is not None:
        if item.value is None:
            return not _is_null(item.field, doc)
        return not _positive(Filter(item.field, positive, item.value), doc)
    if item.value is None:
        return _is_null(item.field, doc)
    return _positive(item, doc)


def _value(field: Field, doc: dict[str, Any]) -> Any:
    attribute = field.custom_attribute
    if attribute is not None:
        stored = doc["custom_attributes"].get(attribute, _MISSING)
        if stored is _MISSING or stored is None:
            return None
        expected = {
            FieldType.STRING: isinstance(stored, str),
            FieldType.BOOLEAN: isinstance(stored, bool),
            FieldType.INTEGER: isinstance(stored, int) and not isinstance(stored, bool),
            FieldType.DATE: isinstance(stored, int) and not isinstance(stored, bool),
            FieldType.NUMBER: isinstance(stored, (int, float)) and not isinstance(stored, bool),
        }[field.type]
        return stored if expected else None
    return doc.get(field.name)


def _is_null(field: Field, doc: dict[str, Any]) -> bool:
    if field.custom_attribute is not None:
        return doc["custom_attributes"].get(field.custom_attribute) is None
    value = _value(field, doc)
    if field.multi or field.tokenised:
        return not value
    return value is None


def _positive(item: Filter, doc: dict[str, Any]) -> bool:
    value = _value(item.field, doc)
    if item.field.multi or item.field.tokenised:
        return any(_compare(element, item) for element in value)
    if value is None:
        return False
    return _compare(value, item)


def _compare(actual: Any, item: Filter) -> bool:
    wanted = item.value
    if item.operator in ("=", "IN"):
        options = wanted if isinstance(wanted, tuple) else (wanted,)
        return any(_equal(actual, option) for option in options)
    if item.operator in (">", ">=", "<", "<="):
        return {
            ">": actual > wanted,
            ">=": actual >= wanted,
            "<": actual < wanted,
            "<=": actual <= wanted,
        }[item.operator]
    text = fold(str(actual))
    assert isinstance(wanted, str)
    return {"~": wanted in text, "^": text.startswith(wanted), "$": text.endswith(wanted)}[item.operator]


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual == wanted
    if isinstance(actual, str) or isinstance(wanted, str):
        return isinstance(actual, str) and isinstance(wanted, str) and actual == wanted
    return bool(actual == wanted)
