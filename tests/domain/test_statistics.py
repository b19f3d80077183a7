"""Statistics are a fold over parts: each figure follows from the parts alone."""

from __future__ import annotations

from inboxd.domain import statistics
from inboxd.domain.conversations import Actor, Part

CONTACT = Actor("user", "5f0000000000000000000001")
ADMIN = Actor("admin", "7")
T = 1_000_000


def fold(parts, reopening=()):
    """Fold ``parts``; the parts at the indexes in ``reopening`` turned a closed conversation open."""
    stats = statistics.started_by_contact(T)
    for index, part in enumerate(parts):
        stats = statistics.record(stats, part, reopens=index in reopening)
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
        ],
        reopening={1},
    )
    assert stats.first_close_at == T + 100 and stats.time_to_first_close == 100
    assert stats.last_close_at == T + 400 and stats.time_to_last_close == 400
    assert stats.last_closed_by_id == "9"
    assert stats.count_reopens == 1
    assert stats.last_contact_reply_at == T + 250
    assert stats.first_contact_reply_at == T


def test_a_contact_reply_that_reopens_counts_as_a_reopen():
    stats = fold([Part("close", ADMIN, T + 5), Part("comment", CONTACT, T + 9)], reopening={1})
    assert stats.count_reopens == 1
    assert stats.awaiting_reply_since == T  # still waiting since the unanswered opening message


def test_median_time_to_reply_over_every_answered_contact_message():
    stats = fold(
        [
            Part("comment", ADMIN, T + 10),  # answers the opening message after 10 s
            Part("comment", CONTACT, T + 100),
            Part("comment", CONTACT, T + 150),  # still the same wait, from T + 100
            Part("comment", ADMIN, T + 130 + 100),  # 130 s after T + 100
            Part("comment", ADMIN, T + 300),  # nobody was waiting: not a reply time
            Part("comment", CONTACT, T + 400),
            Part("comment", ADMIN, T + 440),  # 40 s
        ]
    )
    assert stats.reply_durations == (10, 130, 40)
    assert stats.median_time_to_reply == 40
    assert stats.awaiting_reply_since is None
