"""Concurrency over real HTTP: 32 clients writing to one conversation at the same instant, against
`inboxd serve` with one worker process and with two (two processes on one database), on both engines.

What serial execution would give is checked, not assumed: every answer shows a conversation whose
parts are a prefix of the final history (so all clients saw one total order), every part is stored
once, and the final state, `waiting_since` and `count_conversation_parts` are those the parts imply.
The long form (`make reliability`) runs many more rounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability import checks
from tests.reliability.conftest import database
from tests.reliability.driver import (
    Recorder,
    Server,
    burst,
    client,
    get_json,
    reply_requests,
    setup,
    state_change_requests,
)

CLIENTS = 32


@pytest.fixture(
    scope="module",
    params=[("sqlite", 1), ("sqlite", 2), ("postgres", 1), ("postgres", 2)],
    ids=["sqlite-1worker", "sqlite-2workers", "postgres-1worker", "postgres-2workers"],
)
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Recorder]]:
    """A server for the module's tests, and the one recorder of everything they sent it (each
    test checks the whole workspace against all of it)."""
    engine, workers = request.param
    directory = tmp_path_factory.mktemp(f"{engine}-{workers}")
    for url in database(engine, directory):
        server = Server(directory, url, workers=workers, name=f"{engine}-w{workers}").start()
        try:
            yield server, Recorder()
        finally:
            server.close()
        assert server.server_errors() == 0, server.logs()


def _one_conversation(server: Server, recorder: Recorder) -> tuple[str, str, list[str], list[str]]:
    world = setup(server.base, recorder, contacts=1, conversations=1, tags=0)
    conversation = world.live[0]
    return conversation, world.owner[conversation], world.admins, world.teams


def _final(server: Server, conversation: str) -> dict[str, Any]:
    with client(server.base) as http:
        return get_json(http, f"/conversations/{conversation}")


def _assert_serial(server: Server, recorder: Recorder, records: list[Any]) -> None:
    assert [r.status for r in records] == [200] * len(records), [(r.status, r.response) for r in records]
    verdict = checks.verify(server.base, recorder.snapshot())
    assert verdict.problems == []
    assert verdict.lost == 0


def test_32_clients_replying_at_once_each_stored_once_in_one_order(rig):
    server, recorder = rig
    conversation, contact, admins, _ = _one_conversation(server, recorder)
    requests = reply_requests(conversation, contact, admins, CLIENTS, "reply")

    records = burst(server.base, requests, recorder)

    _assert_serial(server, recorder, records)
    final = _final(server, conversation)
    parts = checks.parts_of(final)
    assert sorted(p["body"] for p in parts) == sorted(body["body"] for _, _, body in requests if body)
    assert final["conversation_parts"]["total_count"] == CLIENTS
    assert final["statistics"]["count_conversation_parts"] == CLIENTS
    # Each answer saw the replies before it and its own: answers of 1, 2, …, 32 parts, each the
    # beginning of the final order (checked by verify), so the final order is the order of commits.
    assert sorted(len(checks.parts_of(r.response)) for r in records) == list(range(1, CLIENTS + 1))
    # Waiting since the first contact comment after the last admin comment.
    assert final["waiting_since"] == checks.replay(final, parts).waiting_since


def test_concurrent_close_open_snooze_assign_end_in_a_serial_state(rig):
    server, recorder = rig
    conversation, contact, admins, teams = _one_conversation(server, recorder)
    for turn in range(2):
        requests = state_change_requests(conversation, contact, admins, teams, CLIENTS, f"change{turn}", turn)
        _assert_serial(server, recorder, burst(server.base, requests, recorder))

    final = _final(server, conversation)
    parts = checks.parts_of(final)
    # The final state is the one the last state-changing part gives (a contact's comment opens).
    changes = [p["part_type"] for p in parts if p["part_type"] in checks.STATE_OF_PART or p["author"]["type"] == "user"]
    assert final["state"] == {"close": "closed", "snoozed": "snoozed"}.get(changes[-1], "open")
    assert checks.observed(final) == checks.replay(final, parts)
    assert final["statistics"]["count_conversation_parts"] == len(parts) == final["conversation_parts"]["total_count"]
    if final["state"] == "snoozed":  # until the time the last snooze asked for
        last_snooze = max(int(p["id"]) for p in parts if p["part_type"] == "snoozed")
        [mine] = [
            r
            for r in recorder.snapshot()
            if r.op == "snooze" and checks.parts_of(r.response)[-1]["id"] == str(last_snooze)
        ]
        assert final["snoozed_until"] == mine.body["snoozed_until"]
