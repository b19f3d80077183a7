"""Starting a conversation, and the changes that are not parts of a reply: attributes, tags and
participants (api/conversations.py parses and renders them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inboxd.domain import contacts as contact_rules
from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import NotFound, ParameterNotFound, UnprocessableEntity
from inboxd.operations import contacts
from inboxd.operations.contacts import ContactRef
from inboxd.operations.snoozes import current
from inboxd.store.scope import Store


def start_by_contact(
    store: Store,
    now: int,
    contact_id: str,
    body: str,
    subject: str | None = None,
    attachment_urls: Sequence[str] = (),
    url: str | None = None,
    *,
    created_at: int | None = None,
    brand_id: str | None = None,
) -> int:
    """A contact starts a conversation (`POST /conversations`, or `POST /messages` from a contact):
    the message it sent, as the conversation's source; the id of that message. ``created_at`` dates
    it (an import)."""
    contact = store.contacts.require(contact_id)
    if brand_id is not None:
        # inboxd keeps no brands (docs/decisions.md): no id names one.
        raise NotFound("Brand Not Found", field="brand_id")
    conversation, source = domain.start_by_contact(
        Actor(contact["role"], contact["id"]), body, subject, list(attachment_urls), now, url, created_at
    )
    message_id = store.messages.create(
        kind="user_message",
        message_type="inapp",
        subject=source.subject,
        body=source.body,
        author_type=contact["role"],
        author_id=contact["id"],
        contact_id=contact["id"],
        created_at=conversation.created_at,
    )
    conversation_id = store.conversations.create(conversation, source, message_id, [contact["id"]])
    store.messages.link(message_id, conversation_id)
    store.record("conversation.user.created", conversation_id, now)
    return message_id


def update(
    store: Store,
    now: int,
    conversation_id: str,
    *,
    read: bool | None = None,
    title: str | None = None,
    custom_attributes: dict[str, Any] | None = None,
    company_id: str | None = None,
) -> int:
    """`PUT /conversations/{id}`: read, title, custom attributes, set by the Operator bot. A
    conversation has no company (inboxd keeps none: docs/decisions.md), so none can be given; null
    removes none."""
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    if company_id is not None:
        raise NotFound("Company Not Found", code="company_not_found", field="company_id")
    change = domain.update_attributes(
        conversation,
        Actor("bot", str(store.admins.operator_id())),
        now,
        read=read,
        title=title,
        custom_attributes=custom_attributes,
    )
    store.conversations.apply(conversation, change)
    return conversation.id or 0


# -- tags -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tagging:
    tag: dict[str, Any]
    applied_at: int | None
    applied_by_admin_id: int | None


def _conversation_for_tags(store: Store, conversation_id: str) -> int:
    # The tag endpoints answer an unknown conversation with this message (spec examples).
    return store.conversations.existing(conversation_id, NotFound("Conversation not found"))


def _tag(store: Store, tag_id: str) -> dict[str, Any]:
    return store.tags.named(tag_id, NotFound("Tag not found", code="tag_not_found", field="id"))


def tag(store: Store, now: int, conversation_id: str, tag_id: str, admin_id: str) -> Tagging:
    number = _conversation_for_tags(store, conversation_id)
    admin = store.admins.require(admin_id)
    found = _tag(store, tag_id)
    tagging = store.conversations.tag(number, found["id"], admin["id"], now)
    store.record("conversation_part.tag.created", number, now)
    return Tagging(found, tagging["applied_at"], tagging["applied_by_admin_id"])


def untag(store: Store, now: int, conversation_id: str, tag_id: str, admin_id: str) -> Tagging:
    """The tag taken off the conversation, as it was applied. A tag of the workspace that is not on
    the conversation is not found there (the spec's example for this operation)."""
    number = _conversation_for_tags(store, conversation_id)
    store.admins.require(admin_id)
    found = _tag(store, tag_id)
    tagging = store.conversations.untag(number, found["id"])
    if tagging is None:
        raise NotFound("Tag not found", code="tag_not_found")
    return Tagging(found, tagging["applied_at"], tagging["applied_by_admin_id"])


# -- participants -----------------------------------------------------------------------------------


def _customer(store: Store, now: int, customer: ContactRef) -> dict[str, Any]:
    """The contact a request names; an email nobody has yet becomes a new lead (spec)."""
    if not customer.names_one:
        raise ParameterNotFound("customer needs intercom_user_id, user_id or email", field="customer")
    found = contacts.named(store, customer)
    if found is not None:
        return found
    if customer.id is not None or customer.external_id is not None or customer.email is None:
        raise NotFound("User Not Found")
    lead = contact_rules.new_contact({"role": "lead", "email": customer.email}, now)
    store.contacts.insert(lead)
    return store.contacts.require(lead["id"])


def participants(store: Store, conversation_id: int) -> list[Actor]:
    """The conversation's contacts, in the order they joined, each as the kind of contact it is."""
    ids = store.conversations.contact_ids(conversation_id)
    found = store.contacts.many(ids)
    return [Actor(found[i]["role"], i) for i in ids if i in found]


def attach_contact(store: Store, now: int, conversation_id: str, admin_id: str, customer: ContactRef) -> int:
    """The contact joins the conversation (once: attaching a participant again changes nothing)."""
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    admin = store.admins.require(admin_id)
    contact = _customer(store, now, customer)
    assert conversation.id is not None
    if store.conversations.add_contact(conversation.id, contact["id"]):
        change = domain.attach_contact(
            conversation, Actor("admin", str(admin["id"])), Actor(contact["role"], contact["id"]), now
        )
        store.conversations.apply(conversation, change)
    return conversation.id


def detach_contact(store: Store, now: int, conversation_id: str, admin_id: str, contact_id: str) -> int:
    """The contact leaves the conversation; the last one may not."""
    conversation = current(store, store.conversations.parse_id(conversation_id), now)
    admin = store.admins.require(admin_id)
    contact = store.contacts.require(contact_id)
    assert conversation.id is not None
    present = store.conversations.contact_ids(conversation.id)
    if contact["id"] not in present:
        raise NotFound("User Not Found")
    if present == [contact["id"]]:
        raise UnprocessableEntity("Removing the last customer is not allowed")
    store.conversations.remove_contact(conversation.id, contact["id"])
    change = domain.detach_contact(
        conversation, Actor("admin", str(admin["id"])), Actor(contact["role"], contact["id"]), now
    )
    store.conversations.apply(conversation, change)
    return conversation.id


# -- deletion ---------------------------------------------------------------------------------------


def delete(store: Store, now: int, conversation_id: str) -> int:
    """`DELETE /conversations/{id}` (2.13 on): the conversation and everything it owns are gone for
    good (store/conversation_deletion.py); its id. A snooze that ran out is not woken first: there
    is nothing left to wake."""
    number = store.conversations.parse_id(conversation_id)
    store.conversations.delete(number)
    store.record("conversation.deleted", number, now)
    return number
