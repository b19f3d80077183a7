"""Alembic environment: runs on the connection inboxd hands it (see store/migrate.py)."""

from alembic import context

from inboxd.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - inboxd always passes its own connection
    raise RuntimeError("run migrations through `inboxd migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table.
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
