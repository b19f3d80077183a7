"""Everything render/ needs to draw conversations, loaded in a fixed number of queries per page."""

from __future__ import annotations

from typing import Any

from inboxd.domain.views import ConversationView
from inboxd.store.scope import Store


def _person(kind: str, ident: str, contacts: dict[str, Any], admins: dict[int, Any]) -> dict[str, Any]:
    """An author as the wire shows it (render/ sends this dict as it is): type, id, name, and an
    email that is a string, empty when unknown."""
    if kind in ("admin", "bot", "team"):
        found = admins.get(int(ident)) if ident.isdigit() else None
        return {
            "type": found["kind"] if found else kind,
            "id": ident,
            "name": found["name"] if found else None,
            "email": (found["email"] or "") if found else "",
        }
    contact = contacts.get(ident)
    return {
        "type": contact["role"] if contact else kind,
        "id": ident,
        "name": contact["name"] if contact else None,
        "email": (contact["email"] or "") if contact else "",
    }


def conversation_views(store: Store, rows: list[dict[str, Any]], with_parts: bool = False) -> list[ConversationView]:
    ids = [row["id"] for row in rows]
    related = store.conversations.related(ids)
    # Only converted conversations carry a ticket_id: a page without one costs no query.
    tickets = store.tickets.for_conversations([row["id"] for row in rows if row.get("ticket_id")])
    parts_by_id: dict[int, tuple[list[dict[str, Any]], int]] = {}
    if with_parts:
        parts_by_id = {i: store.conversations.recent_parts(i) for i in ids}

    contact_ids = {c for rel in related.values() for c in rel["contacts"]}
    admin_ids: set[int] = {a for rel in related.values() for a in rel["teammates"]}
    tag_ids = {t["tag_id"] for rel in related.values() for t in rel["tags"]}
    for row in rows:
        if row["source_author_type"] in ("admin", "bot"):
            admin_ids.add(int(row["source_author_id"]))
        else:
            contact_ids.add(row["source_author_id"])
    for parts, _ in parts_by_id.values():
        for part in parts:
            if part["author_type"] in ("admin", "bot"):
                admin_ids.add(int(part["author_id"]))
            else:
                contact_ids.add(part["author_id"])

    contacts = store.contacts.many(contact_ids)
    admins = store.admins.identities(admin_ids)
    tags = store.tags.many(tag_ids)

    # One author dict per person, shared by every part and source they wrote: render/ sends it as
    # it is, and nothing downstream changes it (render/tickets.py copies before it retypes).
    authors: dict[tuple[str, str], dict[str, Any]] = {}

    def author(kind: str, ident: str) -> dict[str, Any]:
        found = authors.get((kind, ident))
        if found is None:
            found = authors[(kind, ident)] = _person(kind, ident, contacts, admins)
        return found

    views = []
    for row in rows:
        rel = related[row["id"]]
        view = ConversationView(
            row=row,
            contacts=[
                {"id": cid, "external_id": contacts[cid]["external_id"] if cid in contacts else None}
                for cid in rel["contacts"]
            ],
            teammates=rel["teammates"],
            tags=[{**t, "name": tags[t["tag_id"]]["name"]} for t in rel["tags"] if t["tag_id"] in tags],
            source_author=author(row["source_author_type"], row["source_author_id"]),
            ticket=tickets.get(row["id"]),
        )
        if with_parts:
            parts, total = parts_by_id[row["id"]]
            for part in parts:  # rows read for this call alone: completed in place, not copied
                part["author"] = author(part["author_type"], part["author_id"])
            view.parts = parts
            view.parts_total = total
        views.append(view)
    return views
