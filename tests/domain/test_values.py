import dataclasses

import pytest

from inboxd.domain.statistics import Statistics
from inboxd.domain.values import evolve


def test_evolve_is_dataclasses_replace_for_the_domain_values():
    stats = Statistics(first_contact_reply_at=10, reply_durations=(5,))
    changed = evolve(stats, last_admin_reply_at=20, count_conversation_parts=3)
    assert changed == dataclasses.replace(stats, last_admin_reply_at=20, count_conversation_parts=3)
    assert hash(changed) == hash(dataclasses.replace(stats, last_admin_reply_at=20, count_conversation_parts=3))
    assert stats.last_admin_reply_at is None and stats.count_conversation_parts == 0  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.count_reopens = 1  # type: ignore[misc]


def test_evolve_refuses_a_field_the_value_does_not_have():
    with pytest.raises(TypeError, match="no field 'last_admin_reply'"):
        evolve(Statistics(), last_admin_reply=1)
