"""What a conversation shows (store/views.py, domain/views.py) on SQLite and PostgreSQL: every
author is found in the table of their kind, and who is not found keeps the kind their part
recorded."""

from __future__ import annotations

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.views import Person
from inboxd.render.conversations import author
from inboxd.store import views
from inboxd.store.transactions import transaction
from tests.conftest import ACME_TOKEN, T0
from tests.store.test_conversations import _start, _store


def _parts_by(engine, *authors: Actor) -> tuple[int, list[Person]]:
    """A conversation with a note by each of ``authors``, and the authors its parts show."""
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        before = store.conversations.require(conversation_id)
        notes = [domain.Part("note", who, T0 + i, body=f"note {i}") for i, who in enumerate(authors)]
        store.conversations.apply(before, domain.Change(before, notes))
    with transaction(engine, write=False) as conn:
        view = views.conversation_view(_store(conn, ACME_TOKEN), conversation_id, T0)
    assert view.parts is not None
    return conversation_id, [part.author for part in view.parts]


def test_admins_and_the_operator_are_found_among_the_admins(engine):
    with transaction(engine, write=False) as conn:
        store = _store(conn, ACME_TOKEN)
        admin = store.admins.list()[0]
        operator = store.admins.operator_id()
    _, (by_admin, by_bot) = _parts_by(engine, Actor("admin", str(admin["id"])), Actor("bot", str(operator)))
    assert by_admin == Person("admin", str(admin["id"]), "admin", admin["name"], admin["email"])
    assert (by_bot.kind, by_bot.id) == ("bot", str(operator))


def test_whoever_is_not_found_shows_the_kind_recorded_and_an_empty_email(engine):
    # A team is nobody the admins or contacts tables know; a contact id of no contact neither.
    _, (team, gone) = _parts_by(engine, Actor("team", "1"), Actor("user", "5f00000000000000000000ff"))
    assert team == Person("team", "1", None, None, None)
    assert author(team) == {"type": "team", "id": "1", "name": None, "email": ""}
    assert author(gone) == {"type": "user", "id": "5f00000000000000000000ff", "name": None, "email": ""}


def test_a_contact_shows_as_the_role_it_has_now_and_is_one_person_in_every_part(engine):
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        [contact_id] = store.conversations.contact_ids(conversation_id)
        store.contacts.update(contact_id, {"role": "lead"})
    with transaction(engine, write=False) as conn:
        view = views.conversation_view(_store(conn, ACME_TOKEN), conversation_id, T0)
    assert (view.source.author.recorded_as, view.source.author.kind) == ("user", "lead")
    _, (first, second) = _parts_by(engine, Actor("user", contact_id), Actor("user", contact_id))
    assert first is second


def test_an_unknown_conversation_is_left_out(engine):
    with transaction(engine, write=False) as conn:
        assert views.read(_store(conn, ACME_TOKEN), [999_999]) == []
