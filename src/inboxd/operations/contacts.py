"""Contacts: creating one (`POST /contacts`), and finding the contact a request names: by inboxd's
id, by the external id (Intercom's `user_id`) or by email, in that order of precedence. Each
request says in its own words what it needs when it names none (replies, participants and
messages differ), so :func:`named` returns None then."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inboxd.domain import contacts as domain
from inboxd.domain.errors import NotFound
from inboxd.store.scope import Store


@dataclass(frozen=True)
class ContactRef:
    id: str | None = None
    external_id: str | None = None
    email: str | None = None

    @property
    def names_one(self) -> bool:
        return self.id is not None or self.external_id is not None or self.email is not None


def named(store: Store, ref: ContactRef) -> dict[str, Any] | None:
    """The contact ``ref`` names; an id of no contact is Intercom's 404. None: an external id or
    email nobody has, or a ref naming nobody."""
    if ref.id is not None:
        return store.contacts.require(ref.id)
    if ref.external_id is not None:
        return store.contacts.find(external_id=ref.external_id)
    if ref.email is not None:
        return store.contacts.find(email=ref.email)
    return None


def require(store: Store, ref: ContactRef) -> dict[str, Any]:
    """The contact ``ref`` names, or "User Not Found"."""
    found = named(store, ref)
    if found is None:
        raise NotFound("User Not Found")
    return found


def create(store: Store, now: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A new contact from `POST /contacts` fields, unless one with its external id (or a user
    with its email) exists."""
    contact = domain.new_contact(fields, now)
    contacts = store.contacts
    domain.check_unique(
        contact,
        contacts.find(external_id=contact["external_id"]) if contact["external_id"] else None,
        contacts.find(email=contact["email"]) if contact["email"] else None,
    )
    contacts.insert(contact)
    return contacts.require(contact["id"])
