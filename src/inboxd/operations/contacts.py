"""Finding the contact a request names: by inboxd's id, by the external id (Intercom's `user_id`)
or by email, in that order of precedence. Each request says in its own words what it needs when
it names none (replies, participants and messages differ), so :func:`named` returns None then."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
