"""Attachment files of one workspace: stored in the database, with their bytes, so that a backup of
the database is a backup of everything and several inboxd processes share them (docs/decisions.md,
"Attachments")."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from inboxd.domain.attachments import NewAttachment
from inboxd.store.engine import inserted_id
from inboxd.store.tables import attachments

_TOKEN_COLUMN_LENGTH = 64  # tables.attachments.token: longer strings cannot be tokens
# Everything but the bytes: what a part keeps and renders.
_DESCRIPTION = [column for column in attachments.c if column.name != "data"]


class Attachments:
    def __init__(self, conn: Connection, workspace_id: int) -> None:
        self.conn = conn
        self.workspace_id = workspace_id

    def save(self, new: NewAttachment, now: int) -> dict[str, Any]:
        """Store one file; the row, without its bytes, as a part keeps it."""
        row: dict[str, Any] = {
            "workspace_id": self.workspace_id,
            # 256 random bits, URL-safe: the token is the capability to read the file.
            "token": secrets.token_urlsafe(32),
            "name": new.name,
            "content_type": new.content_type,
            "filesize": new.filesize,
            "width": new.width,
            "height": new.height,
            "created_at": now,
        }
        row["id"] = inserted_id(self.conn.execute(insert(attachments).values(**row, data=new.data)))
        return {column.name: row[column.name] for column in _DESCRIPTION}

    def delete(self, tokens: list[str]) -> None:
        """Remove stored files for good (a redacted part takes its files with it)."""
        if tokens:
            self.conn.execute(
                delete(attachments).where(
                    attachments.c.workspace_id == self.workspace_id, attachments.c.token.in_(tokens)
                )
            )


def load_by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """The file whose URL carries ``token``, bytes included, whatever its workspace: like Intercom's
    signed attachment URLs, whoever holds the URL may read the file."""
    if not token or len(token) > _TOKEN_COLUMN_LENGTH:
        return None
    row = conn.execute(select(attachments).where(attachments.c.token == token)).first()
    if row is None:
        return None
    found = row._asdict()
    found["data"] = bytes(found["data"])
    return found
