"""The ticket store on SQLite and PostgreSQL: a conversation gets one ticket, even when two
conversions race, and one workspace's store never reaches another's tickets."""

from __future__ import annotations

import threading

import pytest

from inboxd.domain.errors import NotFound, ParameterInvalid
from inboxd.domain.tickets import NewTicket
from inboxd.domain.views import TicketLink
from inboxd.operations import ticket_types
from inboxd.store import views
from inboxd.store.transactions import transaction
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0
from tests.store.test_conversations import _start, _store


def _conversation_and_type(engine):
    with transaction(engine, write=True) as conn:
        store = _store(conn, ACME_TOKEN)
        conversation_id = _start(store, T0)
        ticket_type_id = ticket_types.create(store, T0, {"name": "Bug"})["id"]
    return conversation_id, NewTicket(ticket_type_id, "submitted", {"_default_title_": "T"}, True, T0)


def test_a_ticket_links_its_conversation(engine):
    conversation_id, new = _conversation_and_type(engine)
    with transaction(engine, write=True) as conn:
        ticket_id = _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)
    with transaction(engine, write=False) as conn:
        store = _store(conn, ACME_TOKEN)
        assert store.conversations.require_row(conversation_id)["ticket_id"] == ticket_id
        row = store.tickets.require(str(ticket_id))
        assert (row["conversation_id"], row["ticket_state"], row["attributes"]) == (
            conversation_id,
            "submitted",
            {"_default_title_": "T"},
        )
        # As the conversation shows it (store/views.py): its ticket, its type's category and its state.
        [shown] = views.conversation_views(store, views.read(store, [conversation_id, 999]), T0)
        assert shown.ticket == TicketLink(ticket_id, "Customer", "submitted")


def test_a_conversation_gets_one_ticket(engine):
    conversation_id, new = _conversation_and_type(engine)
    with transaction(engine, write=True) as conn:
        _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)
    with pytest.raises(ParameterInvalid), transaction(engine, write=True) as conn:
        _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)


def test_racing_conversions_make_one_ticket(engine):
    """The second conversion waits for the first one's lock (a row lock on PostgreSQL, the write
    lock on SQLite), then finds the conversation taken: a 400, not a unique-key failure."""
    conversation_id, new = _conversation_and_type(engine)
    outcome: list[str] = []

    def second() -> None:
        try:
            with transaction(engine, write=True) as conn:
                _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)
            outcome.append("created")
        except ParameterInvalid:
            outcome.append("refused")

    with transaction(engine, write=True) as conn:
        _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # waiting for this transaction
    racer.join(timeout=20)
    assert outcome == ["refused"]


def test_another_workspaces_ticket_is_not_found(engine):
    conversation_id, new = _conversation_and_type(engine)
    with transaction(engine, write=True) as conn:
        ticket_id = _store(conn, ACME_TOKEN).tickets.create(conversation_id, new)
    with transaction(engine, write=True) as conn:
        globex = _store(conn, GLOBEX_TOKEN)
        with pytest.raises(NotFound):
            globex.tickets.require(ticket_id)
        assert views.read(globex, [conversation_id]) == []
        with pytest.raises(ParameterInvalid):  # not Globex's conversation: nothing to claim
            globex.tickets.create(conversation_id, new)
