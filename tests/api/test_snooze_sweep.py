"""Snoozes that run out are woken by a sweep of their own (operations/snoozes.py), never by the
request that happens to come next: reads write nothing, a write wakes only the conversation it
changes, and the sweep works in small transactions."""

from __future__ import annotations

from sqlalchemy import func, select

from inboxd.operations import snoozes
from inboxd.store.scope import Store
from inboxd.store.tables import conversation_parts, conversations
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_for_token
from tests import factories
from tests.conftest import ACME_TOKEN, T0

NOW = T0 + 3600


def _snooze(api, admin_id: str, conversation_id: str, until: int) -> None:
    body = {"message_type": "snoozed", "admin_id": admin_id, "snoozed_until": until}
    assert api.post(f"/conversations/{conversation_id}/parts", json=body).status_code == 200


def _states(engine) -> dict[str, int]:
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(conversations.c.state, func.count()).group_by(conversations.c.state))
        return {state: count for state, count in rows}


def _part_count(engine) -> int:
    with transaction(engine, write=False) as conn:
        return int(conn.execute(select(func.count()).select_from(conversation_parts)).scalar_one())


def _let_time_pass(api, clock, seconds: int) -> None:
    """Time passes with nobody sweeping (a server that was down): the app's sweeper is stopped (it
    looks at the clock every second) and the clock moves without telling."""
    api.client.app.state.snooze_sweeper.close()
    clock.at += seconds


def test_reads_never_wake_a_due_snooze(api, engine, clock):
    ada = api.get("/me").json()
    conversation = factories.conversation(api)
    _snooze(api, ada["id"], conversation["id"], NOW + 60)
    _let_time_pass(api, clock, 3600)
    parts = _part_count(engine)
    for path in ("/admins", "/conversations", f"/conversations/{conversation['id']}", "/contacts"):
        assert api.get(path).status_code == 200
    assert api.post("/conversations/search", json={"query": {"field": "state", "operator": "=", "value": "open"}})
    assert _states(engine) == {"snoozed": 1}, "a read wrote"
    assert _part_count(engine) == parts
    assert snoozes.sweep(engine, clock.now()) == 1
    shown = api.get(f"/conversations/{conversation['id']}").json()
    assert shown["state"] == "open"
    assert shown["conversation_parts"]["conversation_parts"][-1]["part_type"] == "timer_unsnooze"


def test_every_reader_sees_a_snooze_that_ran_out_as_open_before_the_sweep_writes_it(api, engine, clock):
    ada = api.get("/me").json()
    conversation = factories.conversation(api)
    path = f"/conversations/{conversation['id']}"
    _snooze(api, ada["id"], conversation["id"], NOW + 60)
    before = api.get(path).json()  # rendered and kept while still snoozed
    assert before["state"] == "snoozed" and api.get("/conversations").json()["conversations"][0]["state"] == "snoozed"
    _let_time_pass(api, clock, 3600)
    search = {"query": {"field": "id", "operator": "=", "value": conversation["id"]}}
    shown = [
        api.get(path).json(),
        api.get(path).json(),  # twice: the first one was kept nowhere
        api.get("/conversations").json()["conversations"][0],
        api.post("/conversations/search", json=search).json()["conversations"][0],
    ]
    for seen in shown:
        assert (seen["state"], seen["open"], seen["snoozed_until"]) == ("open", True, None)
        assert seen["updated_at"] == NOW + 60  # when it ran out, as the wake will record it
    assert _states(engine) == {"snoozed": 1}, "a read wrote"
    assert [p["part_type"] for p in shown[0]["conversation_parts"]["conversation_parts"]][-1] == "snoozed"
    assert snoozes.sweep(engine, clock.now()) == 1
    woken = api.get(path).json()
    assert woken["conversation_parts"]["conversation_parts"][-1]["part_type"] == "timer_unsnooze"
    assert {k: woken[k] for k in ("state", "updated_at", "snoozed_until", "statistics", "waiting_since")} == {
        k: shown[0][k] for k in ("state", "updated_at", "snoozed_until", "statistics", "waiting_since")
    }


def test_a_write_wakes_the_conversation_it_changes_and_no_other(api, engine, clock):
    ada = api.get("/me").json()
    first, second = factories.conversation(api), factories.conversation(api)
    _snooze(api, ada["id"], first["id"], NOW + 60)
    _snooze(api, ada["id"], second["id"], NOW + 60)
    _let_time_pass(api, clock, 3600)
    reply = {"type": "admin", "admin_id": ada["id"], "message_type": "comment", "body": "back"}
    replied = api.post(f"/conversations/{first['id']}/reply", json=reply).json()
    kinds = [p["part_type"] for p in replied["conversation_parts"]["conversation_parts"]]
    assert kinds == ["snoozed", "timer_unsnooze", "comment"]
    assert replied["conversation_parts"]["conversation_parts"][1]["created_at"] == NOW + 60
    assert replied["state"] == "open"
    assert _states(engine) == {"open": 1, "snoozed": 1}  # the other one is the sweep's to wake


def test_the_sweep_works_in_batches_oldest_first(api, engine, clock):
    ada = api.get("/me").json()
    ids = [factories.conversation(api)["id"] for _ in range(5)]
    for offset, conversation_id in enumerate(ids):
        _snooze(api, ada["id"], conversation_id, NOW + 100 - offset)  # the last one runs out first
    _let_time_pass(api, clock, 3600)
    with transaction(engine, write=True) as conn:
        acme = workspace_for_token(conn, ACME_TOKEN)
        assert acme is not None
        assert snoozes.wake_due(Store(conn, acme.id), clock.now(), limit=2) == 2
    with transaction(engine, write=False) as conn:
        stored = dict(conn.execute(select(conversations.c.id, conversations.c.state)).all())
    assert [stored[int(i)] for i in ids] == ["snoozed", "snoozed", "snoozed", "open", "open"]
    assert snoozes.sweep(engine, clock.now(), batch=2) == 3
    assert _states(engine) == {"open": 5}


def test_moving_the_clock_wakes_what_fell_due_before_it_returns(api, clock):
    ada = api.get("/me").json()
    conversation = factories.conversation(api)
    _snooze(api, ada["id"], conversation["id"], NOW + 60)
    clock.advance(61)
    assert api.get(f"/conversations/{conversation['id']}").json()["state"] == "open"
