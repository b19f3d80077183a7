"""`inboxd serve | migrate`: one entry point, every setting a flag or an ``INBOXD_*`` variable."""

from __future__ import annotations

import os
import sys

import click

from inboxd.config import ConfigError, load_workspace_file
from inboxd.domain.clock import Clock
from inboxd.store import migrate as migrations
from inboxd.store.engine import DEFAULT_DATABASE_URL, make_engine, normalise_url, transaction
from inboxd.store.workspaces import apply_workspace_file, demo_workspace, has_any_workspace

database_option = click.option(
    "--database-url",
    envvar="INBOXD_DATABASE_URL",
    show_envvar=True,
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="SQLAlchemy URL: sqlite:///path/file.sqlite3 or postgresql+psycopg://user:pass@host/db.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="inboxd")
def main() -> None:
    """inboxd: Intercom's Conversations API 2.10, self-hosted, over a real database."""


@main.command()
@database_option
def migrate(database_url: str) -> None:
    """Apply database migrations (serve does this too)."""
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    click.echo(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.option(
    "--host",
    envvar="INBOXD_HOST",
    show_envvar=True,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    envvar="INBOXD_PORT",
    show_envvar=True,
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@database_option
@click.option(
    "--workspace-file",
    envvar="INBOXD_WORKSPACE_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file declaring workspaces, tokens, admins and teams (docs/workspace-file.md).",
)
@click.option(
    "--workers",
    envvar="INBOXD_WORKERS",
    show_envvar=True,
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes.",
)
def serve(host: str, port: int, database_url: str, workspace_file: str | None, workers: int) -> None:
    """Start the HTTP server (applies migrations and the workspace file first)."""
    database_url = normalise_url(database_url)
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    now = Clock().now()
    try:
        file = load_workspace_file(workspace_file) if workspace_file else None
        with transaction(engine, write=True) as conn:
            if file is not None:
                applied = apply_workspace_file(conn, file, now)
                click.echo(f"workspace file {workspace_file}: {', '.join(ws.name for ws in applied)}")
            elif not has_any_workspace(conn):
                demo, token = demo_workspace()
                apply_workspace_file(conn, demo, now)
                _announce_demo(token, host, port)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()

    from granian import Granian
    from granian.constants import Interfaces

    os.environ["INBOXD_DATABASE_URL"] = database_url
    click.echo(f"inboxd listening on {_base_url(host, port)} ({workers} worker{'s' if workers > 1 else ''})")
    sys.stdout.flush()
    Granian(
        "inboxd.app:asgi_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
    ).serve()


def _base_url(host: str, port: int, reachable: bool = False) -> str:
    """The URL to print for an address: a wildcard is not somewhere curl can go, and an IPv6
    literal needs brackets (http://::1:8000 is not a URL)."""
    if reachable and host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _announce_demo(token: str, host: str, port: int) -> None:
    line = "=" * 72
    click.echo(
        f"\n{line}\n"
        "  No workspace file and an empty database: created the demo workspace\n"
        "  (admins Ada Admin and Grace Hopper, team Support). Its access token,\n"
        "  shown only this once (the database keeps only its hash):\n\n"
        f"    {token}\n\n"
        f"  curl -H 'Authorization: Bearer {token}' {_base_url(host, port, reachable=True)}/me\n"
        f"{line}\n"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
