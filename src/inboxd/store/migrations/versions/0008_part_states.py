"""Parts record the conversation's state once they were written (2.13's `conversation_part.state`),
and a part that set a ticket's state records it and the one before (`ticket_part.ticket_state`,
`previous_ticket_state`)

The parts written before are filled in: each conversation's parts replayed in order from the state
every conversation starts in (open), in batches of parts read by (conversation_id, id), so the table
is never read whole; each conversion part gets its ticket's state as both (docs/decisions.md,
Conversation lifecycle and Tickets). Stored documents of the shapes that show a part's state go.

Revision ID: 0008_part_states
Revises: 0007_quick_replies_priority
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_part_states"
down_revision = "0007_quick_replies_priority"
branch_labels = None
depends_on = None

BATCH = 10_000
STATE_SHAPES = ("2.13", "2.14", "2.15", "2.16")  # the shapes of domain/versions.py with a part's state

# The state a part leaves a conversation in, as domain/conversations.py's TRANSITIONS had it when
# this migration was written (a copy: a migration must replay the rules of its own day). Every
# state may be closed, snoozed or opened; the timer opens a snoozed one; a contact's comment opens
# a closed or snoozed one; every other part leaves the state as it was.
_MOVES = {"close": "closed", "snoozed": "snoozed", "open": "open", "timer_unsnooze": "open"}
_CONTACTS = frozenset({"user", "lead", "contact"})
_INITIAL = "open"


def _state_after(state: str, part_type: str, author_type: str) -> str:
    if part_type == "comment" and author_type in _CONTACTS:
        return "open"
    return _MOVES.get(part_type, state)


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): SQLite adds them in place, without copying the table.
    op.add_column("conversation_parts", sa.Column("state", sa.String(16), nullable=True))
    op.add_column("conversation_parts", sa.Column("ticket_state", sa.String(32), nullable=True))
    op.add_column("conversation_parts", sa.Column("previous_ticket_state", sa.String(32), nullable=True))
    _fill_states(op.get_bind())
    # Conversations kept as drawn in the shapes that show a part's state were drawn without it: the
    # documents are a cache, and the next view draws them again.
    op.execute(f"DELETE FROM conversation_documents WHERE shape IN ({', '.join(map(repr, STATE_SHAPES))})")
    # A ticket's state has never changed after its conversion: its conversion part set that state.
    ticket_state = "(SELECT t.ticket_state FROM tickets t WHERE t.conversation_id = conversation_parts.conversation_id)"
    op.execute(
        f"UPDATE conversation_parts SET ticket_state = {ticket_state}, previous_ticket_state = {ticket_state} "
        "WHERE part_type = 'ticket_state_updated_by_admin' AND conversation_id IN (SELECT conversation_id FROM tickets)"
    )


def _fill_states(bind: Any, batch: int = BATCH) -> None:
    """Each part's state, conversation by conversation, ``batch`` parts at a time (keyset on the
    (conversation_id, id) index); a conversation whose parts span two batches carries its state over."""
    read = sa.text(
        "SELECT id, conversation_id, part_type, author_type FROM conversation_parts "
        "WHERE (conversation_id, id) > (:conversation, :id) "
        "ORDER BY conversation_id, id LIMIT :limit"
    )
    write = sa.text("UPDATE conversation_parts SET state = :state WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    conversation, last_id, state = -1, -1, _INITIAL
    while True:
        rows = bind.execute(read, {"conversation": conversation, "id": last_id, "limit": batch}).all()
        if not rows:
            return
        by_state: dict[str, list[int]] = {}
        for part_id, conversation_id, part_type, author_type in rows:
            if conversation_id != conversation:
                conversation, state = conversation_id, _INITIAL
            state = _state_after(state, part_type, author_type)
            by_state.setdefault(state, []).append(part_id)
            last_id = part_id
        for value, ids in by_state.items():
            for chunk in _chunks(ids, 1000):  # under SQLite's bound-parameter limit
                bind.execute(write, {"state": value, "ids": chunk})


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def downgrade() -> None:
    for column in ("previous_ticket_state", "ticket_state", "state"):
        op.drop_column("conversation_parts", column)  # SQLite 3.35+ drops a column in place
