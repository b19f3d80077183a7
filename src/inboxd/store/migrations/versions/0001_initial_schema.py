"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 02:48:50.646932
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("id_code", name=op.f("uq_workspaces_id_code")),
    )
    op.create_table(
        "access_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_access_tokens_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_access_tokens")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_tokens_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "admins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("away_mode_enabled", sa.Boolean(), nullable=False),
        sa.Column("away_mode_reassign", sa.Boolean(), nullable=False),
        sa.Column("has_inbox_seat", sa.Boolean(), nullable=False),
        sa.Column("avatar", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_admins_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_admins_workspace_id_email")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("filesize", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_attachments_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("token", name=op.f("uq_attachments_token")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("avatar", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("unsubscribed_from_emails", sa.Boolean(), nullable=False),
        sa.Column("signed_up_at", sa.BigInteger(), nullable=True),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=True),
        sa.Column("custom_attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_contacts_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("workspace_id", "external_id", name=op.f("uq_contacts_workspace_id_external_id")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contacts_workspace_id_created_at_id"), ["workspace_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contacts_workspace_id_email"), ["workspace_id", "email"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_tags_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("workspace_id", "name_folded", name=op.f("uq_tags_workspace_id_name_folded")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_teams_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("icon", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("is_internal", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_ticket_types_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
    )
    with op.batch_alter_table("ticket_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_types_workspace_id_id"), ["workspace_id", "id"], unique=False)

    op.create_table(
        "token_stats",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_token_stats_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("workspace_id", "token", name=op.f("pk_token_stats")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("round_robin", sa.Boolean(), nullable=False),
        sa.Column("last_admin_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_assignment_rules_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_assignment_rules_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
        sa.UniqueConstraint("workspace_id", "position", name=op.f("uq_assignment_rules_workspace_id_position")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.String(length=24), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_messages_contact_id_contacts")),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_messages_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_workspace_id_contact_id_created_at"),
            ["workspace_id", "contact_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "team_members",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["admin_id"], ["admins.id"], name=op.f("fk_team_members_admin_id_admins")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_team_members_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("team_id", "admin_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_members_workspace_id_admin_id"), ["workspace_id", "admin_id"], unique=False
        )

    op.create_table(
        "ticket_type_attributes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_type", sa.String(length=32), nullable=False),
        sa.Column("input_options", sa.JSON(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("required_to_create", sa.Boolean(), nullable=False),
        sa.Column("required_to_create_for_contacts", sa.Boolean(), nullable=False),
        sa.Column("visible_on_create", sa.Boolean(), nullable=False),
        sa.Column("visible_to_contacts", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_ticket_type_attributes_ticket_type_id_ticket_types")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_ticket_type_attributes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_type_attributes")),
    )
    with op.batch_alter_table("ticket_type_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_type_attributes_workspace_id_ticket_type_id"),
            ["workspace_id", "ticket_type_id"],
            unique=False,
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("waiting_since", sa.BigInteger(), nullable=True),
        sa.Column("snoozed_until", sa.BigInteger(), nullable=True),
        sa.Column("admin_assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("team_assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_delivered_as", sa.String(length=32), nullable=False),
        sa.Column("source_subject", sa.Text(), nullable=False),
        sa.Column("source_body", sa.Text(), nullable=False),
        sa.Column("source_author_type", sa.String(length=16), nullable=False),
        sa.Column("source_author_id", sa.String(length=32), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_attachments", sa.JSON(), nullable=False),
        sa.Column("source_redacted", sa.Boolean(), nullable=False),
        sa.Column("first_contact_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("first_contact_reply_type", sa.String(length=32), nullable=True),
        sa.Column("first_contact_reply_url", sa.Text(), nullable=True),
        sa.Column("custom_attributes", sa.JSON(), nullable=False),
        sa.Column("conversation_rating", sa.JSON(), nullable=True),
        sa.Column("sla_applied", sa.JSON(), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("ai_agent_participated", sa.Boolean(), nullable=True),
        sa.Column("ai_agent", sa.JSON(), nullable=True),
        sa.Column("stat_time_to_assignment", sa.BigInteger(), nullable=True),
        sa.Column("stat_time_to_admin_reply", sa.BigInteger(), nullable=True),
        sa.Column("stat_time_to_first_close", sa.BigInteger(), nullable=True),
        sa.Column("stat_time_to_last_close", sa.BigInteger(), nullable=True),
        sa.Column("stat_median_time_to_reply", sa.BigInteger(), nullable=True),
        sa.Column("stat_first_contact_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_first_assignment_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_first_admin_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_first_close_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_assignment_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_assignment_admin_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_contact_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_admin_reply_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_close_at", sa.BigInteger(), nullable=True),
        sa.Column("stat_last_closed_by_id", sa.String(length=32), nullable=True),
        sa.Column("stat_count_reopens", sa.BigInteger(), nullable=True),
        sa.Column("stat_count_assignments", sa.BigInteger(), nullable=True),
        sa.Column("stat_count_conversation_parts", sa.BigInteger(), nullable=True),
        sa.Column("stat_reply_durations", sa.JSON(), nullable=False),
        sa.Column("stat_awaiting_reply_since", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["messages.id"], name=op.f("fk_conversations_source_id_messages")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversations_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_workspace_id_created_at_id"),
            ["workspace_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_workspace_id_source_id"), ["workspace_id", "source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_workspace_id_state_snoozed_until"),
            ["workspace_id", "state", "snoozed_until"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_workspace_id_state_updated_at"),
            ["workspace_id", "state", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_workspace_id_updated_at_id"),
            ["workspace_id", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "conversation_contacts",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_conversation_contacts_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_contacts_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_contacts_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "contact_id", name=op.f("pk_conversation_contacts")),
    )
    with op.batch_alter_table("conversation_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_contacts_workspace_id_contact_id"), ["workspace_id", "contact_id"], unique=False
        )

    op.create_table(
        "conversation_parts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("notified_at", sa.BigInteger(), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("assigned_to_type", sa.String(length=16), nullable=True),
        sa.Column("assigned_to_id", sa.String(length=32), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_conversation_parts_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_parts_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_parts")),
    )
    with op.batch_alter_table("conversation_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_parts_conversation_id_id"), ["conversation_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversation_parts_workspace_id_id"), ["workspace_id", "id"], unique=False)

    op.create_table(
        "conversation_tags",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("applied_at", sa.BigInteger(), nullable=False),
        sa.Column("applied_by_admin_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_conversation_tags_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_conversation_tags_tag_id_tags")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_tags_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "tag_id", name=op.f("pk_conversation_tags")),
    )
    with op.batch_alter_table("conversation_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_tags_workspace_id_tag_id"), ["workspace_id", "tag_id"], unique=False
        )

    op.create_table(
        "conversation_teammates",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["admin_id"], ["admins.id"], name=op.f("fk_conversation_teammates_admin_id_admins")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_teammates_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_teammates_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "admin_id", name=op.f("pk_conversation_teammates")),
    )
    with op.batch_alter_table("conversation_teammates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_teammates_workspace_id_admin_id"), ["workspace_id", "admin_id"], unique=False
        )

    op.create_table(
        "conversation_tokens",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_conversation_tokens_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_tokens_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("workspace_id", "token", "conversation_id", name=op.f("pk_conversation_tokens")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("conversation_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_tokens_conversation_id_token"), ["conversation_id", "token"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_state", sa.String(length=32), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("is_shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_tickets_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_tickets_ticket_type_id_ticket_types")
        ),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_tickets_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_tickets_conversation_id")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_workspace_id_id"), ["workspace_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_workspace_id_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("conversation_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_tokens_conversation_id_token"))

    op.drop_table("conversation_tokens")
    with op.batch_alter_table("conversation_teammates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_teammates_workspace_id_admin_id"))

    op.drop_table("conversation_teammates")
    with op.batch_alter_table("conversation_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_tags_workspace_id_tag_id"))

    op.drop_table("conversation_tags")
    with op.batch_alter_table("conversation_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_parts_workspace_id_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_parts_conversation_id_id"))

    op.drop_table("conversation_parts")
    with op.batch_alter_table("conversation_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_contacts_workspace_id_contact_id"))

    op.drop_table("conversation_contacts")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_workspace_id_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_workspace_id_state_updated_at"))
        batch_op.drop_index(batch_op.f("ix_conversations_workspace_id_state_snoozed_until"))
        batch_op.drop_index(batch_op.f("ix_conversations_workspace_id_source_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_workspace_id_created_at_id"))

    op.drop_table("conversations")
    with op.batch_alter_table("ticket_type_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_type_attributes_workspace_id_ticket_type_id"))

    op.drop_table("ticket_type_attributes")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_workspace_id_admin_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_workspace_id_contact_id_created_at"))

    op.drop_table("messages")
    op.drop_table("assignment_rules")
    op.drop_table("token_stats")
    with op.batch_alter_table("ticket_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_types_workspace_id_id"))

    op.drop_table("ticket_types")
    op.drop_table("teams")
    op.drop_table("tags")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_workspace_id_email"))
        batch_op.drop_index(batch_op.f("ix_contacts_workspace_id_created_at_id"))

    op.drop_table("contacts")
    op.drop_table("attachments")
    op.drop_table("admins")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_workspace_id"))

    op.drop_table("access_tokens")
    op.drop_table("workspaces")
