"""The conversation rules without a database."""

from __future__ import annotations

import pytest

from inboxd.domain import conversations as domain
from inboxd.domain.conversations import Actor
from inboxd.domain.errors import ParameterInvalid

CONTACT = Actor("user", "5f0000000000000000000001")
OPERATOR = Actor("bot", "1")
T = 1_000_000


def started():
    return domain.start_by_contact(CONTACT, "<p>Hi</p>", None, ["https://x.test/a/b.pdf?sig=1"], T)


def test_a_contact_conversation_starts_open_unread_and_waiting():
    conversation, source = started()
    assert conversation.state == "open" and conversation.open
    assert not conversation.read
    assert conversation.waiting_since == T
    assert source.delivered_as == "customer_initiated"
    assert source.author == CONTACT
    assert source.attachments[0]["name"] == "b.pdf"
    assert source.attachments[0]["content_type"] == "application/pdf"


def test_eleven_attachment_urls_are_too_many():
    with pytest.raises(ParameterInvalid) as raised:
        domain.start_by_contact(CONTACT, "x", None, ["https://x.test/f"] * 11, T)
    assert raised.value.field == "attachment_urls"


def test_update_records_one_part_per_changed_attribute():
    conversation, _ = started()
    change = domain.update_attributes(
        conversation, OPERATOR, T + 5, read=True, title="Refund", custom_attributes={"a": 1, "b": "x"}
    )
    assert change.conversation.read and change.conversation.title == "Refund"
    assert change.conversation.custom_attributes == {"a": 1, "b": "x"}
    assert [p.part_type for p in change.parts] == ["conversation_attribute_updated_by_admin"] * 3
    assert all(p.author == OPERATOR and p.created_at == T + 5 for p in change.parts)
    assert change.conversation.updated_at == T + 5
    assert change.conversation.stats.count_conversation_parts == 3


def test_setting_the_same_values_again_changes_nothing():
    conversation, _ = started()
    first = domain.update_attributes(conversation, OPERATOR, T + 5, title="Refund", custom_attributes={"a": 1})
    again = domain.update_attributes(first.conversation, OPERATOR, T + 9, title="Refund", custom_attributes={"a": 1})
    assert again.parts == []
    assert again.conversation == first.conversation


@pytest.mark.parametrize("value", [{"x": 1}, [1], float("nan")])
def test_custom_attribute_values_must_be_scalars(value):
    conversation, _ = started()
    with pytest.raises(ParameterInvalid) as raised:
        domain.update_attributes(conversation, OPERATOR, T, custom_attributes={"bad": value})
    assert raised.value.field == "custom_attributes.bad"


def test_titles_have_a_limit():
    conversation, _ = started()
    with pytest.raises(ParameterInvalid):
        domain.update_attributes(conversation, OPERATOR, T, title="x" * 256)


def test_the_first_contact_reply_is_the_source_of_a_conversation_a_contact_starts():
    conversation, source = started()
    first = domain.first_contact_reply(None, conversation, source)
    assert first == domain.FirstContactReply(created_at=T, type="conversation", url=None)
    # Recorded once: a later reply of the contact is not the first one.
    later = domain.reply_as_contact(conversation, CONTACT, "again", (), T + 60).conversation
    assert domain.first_contact_reply(conversation, later) is None


def test_an_admin_started_conversation_has_its_first_contact_reply_when_the_contact_writes():
    admin = Actor("admin", "7")
    conversation, source = domain.start_by_admin(admin, "inapp", "", "<p>Hello</p>", T)
    assert domain.first_contact_reply(None, conversation, source) is None
    answered = domain.reply_as_contact(conversation, CONTACT, "thanks", (), T + 60).conversation
    assert domain.first_contact_reply(conversation, answered) == domain.FirstContactReply(T + 60, "conversation", None)


def test_a_reader_sees_a_snooze_that_ran_out_as_open_as_the_wake_will_record_it():
    conversation, _ = started()
    admin = Actor("admin", "7")
    snoozed = domain.snooze(conversation, admin, T + 100, T + 10).conversation
    assert domain.as_of(snoozed, T + 99, OPERATOR) == snoozed
    seen = domain.as_of(snoozed, T + 500, OPERATOR)
    assert seen.state == "open" and seen.snoozed_until is None
    assert seen.updated_at == T + 100  # the moment it ran out, however late anyone looks
    assert seen == domain.wake(snoozed, OPERATOR).conversation
