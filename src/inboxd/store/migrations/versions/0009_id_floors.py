"""Conversations can be deleted (`DELETE /conversations/{id}`): SQLite keeps the ids deleted rows
leave taken, so that none is given again (store/id_floors.py)

Revision ID: 0009_id_floors
Revises: 0008_part_states
Create Date: 2026-12-03 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_id_floors"
down_revision = "0008_part_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_floors",
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("floor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_id_floors")),
    )


def downgrade() -> None:
    op.drop_table("id_floors")
