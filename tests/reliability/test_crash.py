"""Crash safety, CI-sized: `inboxd serve` under full-speed concurrent writes is killed with SIGKILL
mid-request, restarted on the same database, and everything it acknowledged must be there, whole.

The long form (20 kills, thousands of requests, both engines, 1 and 2 workers) is
`make reliability`; its figures are in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3

from sqlalchemy.engine import make_url

from tests.reliability import checks
from tests.reliability.driver import KEY_PREFIX, Recorder, Server, Writer, client, crash_campaign, setup, sqlite_url

KILLS = 3


def test_every_acknowledged_write_survives_sigkill_and_nothing_is_half_applied(database_url, tmp_path):
    result = crash_campaign(tmp_path, database_url, kills=KILLS, writers=6, requests_per_kill=(40, 80))

    assert result.problems == []
    assert (result.kills, result.lost) == (KILLS, 0)
    assert result.acknowledged >= 100, result
    # The kills landed in the middle of requests: some never got an answer (either outcome is
    # fine for those; their conversations were checked whole all the same).
    assert result.unanswered > 0, result
    assert set(result.statuses) <= {"200", "no answer"}, result.statuses


def test_the_checks_see_a_lost_reply_a_half_applied_close_and_a_duplicate(tmp_path):
    """The oracle is not vacuous: damage a database the way a crash could, and it is reported."""
    url = sqlite_url(tmp_path)
    recorder = Recorder()
    server = Server(tmp_path, url).start()
    try:
        world = setup(server.base, recorder, contacts=1, conversations=3, tags=1)
        with client(server.base) as http:
            writer = Writer(http, recorder, world, random.Random(0))
            replies = [writer.on_conversation("contact_comment") for _ in range(6)]
        assert all(r.acknowledged for r in replies)
        # The damage a crash leaves is read by a server started afterwards, as after a crash: the
        # first one keeps its writes' answers as documents in its memory (api/conversations.py).
        server.close()
        first, second, third = world.live[:3]
        with contextlib.closing(sqlite3.connect(make_url(url).database or "")) as db, db:
            # An acknowledged reply gone; a conversation closed without its close part; a part twice.
            lost = next(r for r in replies if r.conversation == first)
            db.execute("DELETE FROM conversation_parts WHERE body = ?", (KEY_PREFIX + lost.key,))
            db.execute("UPDATE conversations SET state = 'closed' WHERE id = ?", (int(second),))
            columns = (
                "workspace_id, conversation_id, part_type, body, created_at, updated_at, notified_at, "
                "author_type, author_id, attachments, redacted"
            )
            db.execute(
                f"INSERT INTO conversation_parts ({columns}) SELECT {columns} FROM conversation_parts "
                "WHERE conversation_id = ? ORDER BY id LIMIT 1",
                (int(third),),
            )
        server = Server(tmp_path, url).start()
        problems = "\n".join(checks.verify(server.base, recorder.snapshot()).problems)
    finally:
        server.close()
    assert f"LOST contact_comment {lost.key}" in problems
    assert f"conversation {first}: state" in problems  # the count still says one more part
    assert f"conversation {second}: state State(state='closed'" in problems
    assert "stored twice" in problems
