"""Tickets: turning a conversation into a customer ticket, and what a ticket's attributes may hold.

Pure Python. :func:`convert_to_ticket` takes the conversation, the ticket type (a row
with its ``attributes``) and the request's attributes, and returns the conversation's
:class:`~inboxd.domain.conversations.Change` together with the :class:`NewTicket` to store; the
store writes both in the request's one transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inboxd.domain.attachments import url_attachment
from inboxd.domain.conversations import Actor, Change, Conversation, Part, advance
from inboxd.domain.errors import ParameterInvalid, ParameterNotFound
from inboxd.domain.limits import MAX_TIMESTAMP

# The ticket states of the spec's `ticket.ticket_state` enum and the labels Intercom gives them by
# default (the spec's examples: "submitted" → "Submitted", "in_progress" → "In progress").
STATES = {
    "submitted": "Submitted",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting on customer",
    "resolved": "Resolved",
}
INITIAL_STATE = "submitted"

# Only customer tickets can be made from a conversation; the message is the spec's own example.
CONVERTIBLE_CATEGORY = "Customer"
NOT_CUSTOMER = "Ticket type is not a customer ticket type"

# The part a conversion leaves. The spec's convertConversationToTicket example ends with a
# `ticket_state_updated_by_admin` part by the Operator bot, entering "submitted" (docs/decisions.md).
CONVERSION_PART = "ticket_state_updated_by_admin"

MAX_FILES = 10
_INT_LIMIT = 2**63  # the widest integer every client and both databases read back unchanged


@dataclass(frozen=True)
class NewTicket:
    ticket_type_id: int
    ticket_state: str
    attributes: dict[str, Any]
    is_shared: bool
    created_at: int


def already_converted() -> ParameterInvalid:
    return ParameterInvalid("Conversation has already been converted to a ticket", field="id")


def convert_to_ticket(
    conversation: Conversation,
    ticket_id: int | None,
    ticket_type: dict[str, Any],
    attributes: dict[str, Any],
    operator: Actor,
    now: int,
) -> tuple[Change, NewTicket]:
    """Make a customer ticket of ``conversation`` (whose current ticket, if any, is ``ticket_id``).

    The conversation keeps its state; it gains one part, recorded by the Operator bot as in the
    spec's example, and its ``updated_at`` moves. The ticket starts "submitted" and shared with
    the customer, as a customer ticket is.
    """
    if ticket_id is not None:
        raise already_converted()
    if ticket_type["category"] != CONVERTIBLE_CATEGORY:
        raise ParameterInvalid(NOT_CUSTOMER, field="ticket_type_id")
    if ticket_type["archived"]:
        raise ParameterInvalid("Ticket type is archived", field="ticket_type_id")
    values = validate_attributes(ticket_type["attributes"], attributes)
    # The ticket's first state, set by the conversion's part: Intercom's examples of a new ticket show
    # that part with the state as both ticket_state and previous_ticket_state.
    part = Part(CONVERSION_PART, operator, now, ticket_state=INITIAL_STATE, previous_ticket_state=INITIAL_STATE)
    change = advance(conversation, [part], now).caused("ticket.created")
    ticket = NewTicket(
        ticket_type_id=int(ticket_type["id"]),
        ticket_state=INITIAL_STATE,
        attributes=values,
        is_shared=True,
        created_at=now,
    )
    return change, ticket


# -- attributes -----------------------------------------------------------------------------------


def validate_attributes(definitions: list[dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """The attributes to store: each name must be one of the ticket type's (unarchived) attributes
    and each value must suit its ``data_type``; every ``required_to_create`` attribute must have a
    value. A null value sets nothing."""
    known = {d["name"]: d for d in definitions if not d["archived"]}
    values: dict[str, Any] = {}
    for name, value in given.items():
        field = f"attributes.{name}"
        definition = known.get(name)
        if definition is None:
            raise ParameterInvalid(f"{field} is not an attribute of this ticket type", field=field)
        if value is not None:
            values[name] = _value(definition, value, field)
    for definition in known.values():
        if definition["required_to_create"] and _blank(values.get(definition["name"])):
            field = f"attributes.{definition['name']}"
            raise ParameterNotFound(f"{field} is a required parameter", field=field)
    return values


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _value(definition: dict[str, Any], value: Any, field: str) -> Any:
    kind = definition["data_type"]
    check = _CHECKS.get(kind)
    if check is None:
        # A data type this server does not know (the spec lists seven): take what JSON allows.
        return value
    return check(definition.get("input_options") or {}, value, field)


def _string(options: dict[str, Any], value: Any, field: str) -> Any:
    if not isinstance(value, str):
        raise ParameterInvalid(f"{field} must be a string", field=field)
    return value


def _list(options: dict[str, Any], value: Any, field: str) -> Any:
    """A list attribute's value is the id of one of its items (spec, ticket_request_custom_attributes).
    Without recorded items any non-blank string is taken."""
    if not isinstance(value, str) or not value.strip():
        raise ParameterInvalid(f"{field} must be the id of one of the attribute's list items", field=field)
    items = options.get("list_options")
    if isinstance(items, list) and items:
        ids = {str(item.get("id")) for item in items if isinstance(item, dict) and not item.get("archived")}
        if value not in ids:
            raise ParameterInvalid(f"{field} must be the id of one of the attribute's list items", field=field)
    return value


def _integer(options: dict[str, Any], value: Any, field: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterInvalid(f"{field} must be an integer", field=field)
    if not -_INT_LIMIT < value < _INT_LIMIT:
        raise ParameterInvalid(f"{field} is out of range", field=field)
    return value


def _decimal(options: dict[str, Any], value: Any, field: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterInvalid(f"{field} must be a number", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterInvalid(f"{field} must be a finite number", field=field)
    if isinstance(value, int):
        return _integer(options, value, field)
    return value


def _boolean(options: dict[str, Any], value: Any, field: str) -> Any:
    if not isinstance(value, bool):
        raise ParameterInvalid(f"{field} must be a boolean", field=field)
    return value


def _datetime(options: dict[str, Any], value: Any, field: str) -> Any:
    """A Unix timestamp (seconds, as every date of the API) or an ISO 8601 date-time, kept as given."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < MAX_TIMESTAMP:  # the bound of every request time (domain/limits.py)
            raise ParameterInvalid(f"{field} must be a Unix timestamp or an ISO 8601 date-time", field=field)
        return value
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise ParameterInvalid(f"{field} must be a Unix timestamp or an ISO 8601 date-time", field=field)


def _files(options: dict[str, Any], value: Any, field: str) -> Any:
    """Files are given by URL (inboxd has no upload ids) and kept as the spec's `file_attribute`."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ParameterInvalid(f"{field} must be an array of file URLs", field=field)
    limit = MAX_FILES if options.get("allow_multiple_values", True) else 1
    if len(value) > limit:
        raise ParameterInvalid(f"{field} has too many items; at most {limit} are allowed", field=field)
    for url in value:
        if not url.startswith(("https://", "http://")):
            raise ParameterInvalid(f"{field} must be an array of http(s) URLs", field=field)
    return [url_attachment(url) for url in value]


_CHECKS = {
    "string": _string,
    "list": _list,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "datetime": _datetime,
    "files": _files,
}
