"""Statistics are a fold over parts: each figure follows from the parts alone."""

from __future__ import annotations

from inboxd.domain import statistics
from inboxd.domain.conversations import Actor, Part

CONTACT = Actor("user", "5f0000000000000000000001")
ADMIN = Actor("admin", "7")
T = 1_000_000


def fold(parts):
    stats = statistics.started_by_contact(T)
    for part in parts:
        stats = statistics.record(stats, part)
    return stats


def test_a_new_contact_conversation_has_its_first_reply_and_no_counts():
    stats = statistics.started_by_contact(T)
    assert stats.first_contact_reply_at == T
    assert stats.count_conversation_parts == 0
    assert stats.count_assignments == 0 and stats.count_reopens == 0
    assert stats.first_admin_reply_at is None


def test_admin_replies_measure_time_from_the_first_contact_reply():
    stats = fold([Part("comment", ADMIN, T + 30), Part("comment", ADMIN, T + 90)])
    assert stats.first_admin_reply_at == T + 30
    assert stats.time_to_admin_reply == 30
    assert stats.last_admin_reply_at == T + 90
    assert stats.count_conversation_parts == 2


def test_notes_are_not_replies():
    stats = fold([Part("note", ADMIN, T + 30)])
    assert stats.first_admin_reply_at is None
    assert stats.count_conversation_parts == 1


def test_assignment_before_the_first_reply_counts_as_time_to_assignment():
    stats = fold(
        [
            Part("assignment", ADMIN, T + 10, assigned_to=Actor("admin", "8")),
            Part("assignment", ADMIN, T + 20, assigned_to=Actor("admin", "9")),
            Part("comment", ADMIN, T + 50),
            Part("assignment", ADMIN, T + 70, assigned_to=Actor("admin", "8")),
        ]
    )
    assert stats.first_assignment_at == T + 10
    assert stats.last_assignment_at == T + 70
    assert stats.count_assignments == 3
    assert stats.time_to_assignment == 20  # the last assignment before the first admin reply


def test_closing_and_reopening():
    stats = fold(
        [
            Part("close", ADMIN, T + 100),
            Part("open", ADMIN, T + 200),
            Part("comment", CONTACT, T + 250),
            Part("close", Actor("admin", "9"), T + 400),
        ]
    )
    assert stats.first_close_at == T + 100 and stats.time_to_first_close == 100
    assert stats.last_close_at == T + 400 and stats.time_to_last_close == 400
    assert stats.last_closed_by_id == "9"
    assert stats.count_reopens == 1
    assert stats.last_contact_reply_at == T + 250
    assert stats.first_contact_reply_at == T


def test_opening_a_conversation_that_was_never_closed_is_not_a_reopen():
    assert fold([Part("open", ADMIN, T + 5)]).count_reopens == 0
