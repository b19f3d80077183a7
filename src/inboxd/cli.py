"""`inboxd serve | migrate | seed | token`: one entry point, every setting a flag or an ``INBOXD_*`` variable."""

from __future__ import annotations

import os
import sys
import time

import click

from inboxd.api.rate_limits import DEFAULT_PER_MINUTE
from inboxd.api.render_cache import DEFAULT_BUDGET_MB
from inboxd.config import ConfigError, load_workspace_file
from inboxd.domain.clock import Clock
from inboxd.search.query import DEFAULT_COUNT_LIMIT, DEFAULT_TIMEOUT
from inboxd.store import migrate as migrations
from inboxd.store.engine import DEFAULT_DATABASE_URL, make_engine, normalise_url
from inboxd.store.transactions import transaction
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
@click.option(
    "--rate-limit",
    envvar="INBOXD_RATE_LIMIT",
    show_envvar=True,
    default=DEFAULT_PER_MINUTE,
    show_default=True,
    type=click.IntRange(0),
    help="Calls per minute per token, enforced per 10-second window (a sixth each); 0 disables.",
)
@click.option(
    "--search-count-limit",
    envvar="INBOXD_SEARCH_COUNT_LIMIT",
    show_envvar=True,
    default=DEFAULT_COUNT_LIMIT,
    show_default=True,
    type=click.IntRange(0),
    help="A search's total_count is exact up to this many matches and says this many beyond; 0: always exact.",
)
@click.option(
    "--search-timeout",
    envvar="INBOXD_SEARCH_TIMEOUT",
    show_envvar=True,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds a search may run before it is ended with 504 request_timeout; 0: no limit.",
)
@click.option(
    "--document-cache-mb",
    envvar="INBOXD_DOCUMENT_CACHE_MB",
    show_envvar=True,
    default=DEFAULT_BUDGET_MB,
    show_default=True,
    type=click.IntRange(1),
    help="Megabytes of rendered conversations each worker keeps in memory (GET answers without a render).",
)
def serve(
    host: str,
    port: int,
    database_url: str,
    workspace_file: str | None,
    workers: int,
    rate_limit: int,
    search_count_limit: int,
    search_timeout: float,
    document_cache_mb: int,
) -> None:
    """Start the HTTP server (applies migrations and the workspace file first)."""
    database_url = normalise_url(database_url)
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    now = Clock().now()
    try:
        file = load_workspace_file(workspace_file) if workspace_file else None
        with transaction(engine, write=True) as conn:
            migrations.one_start_up_at_a_time(conn)  # another process may be applying the same file
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
    os.environ["INBOXD_RATE_LIMIT"] = str(rate_limit)
    os.environ["INBOXD_SEARCH_COUNT_LIMIT"] = str(search_count_limit)
    os.environ["INBOXD_SEARCH_TIMEOUT"] = str(search_timeout)
    os.environ["INBOXD_DOCUMENT_CACHE_MB"] = str(document_cache_mb)
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


def _parts_range(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    low, sep, high = value.partition("-")
    try:
        bounds = (int(low), int(high) if sep else int(low))
    except ValueError:
        raise click.BadParameter("expected a range like 1-30 (or one number)") from None
    if not 0 <= bounds[0] <= bounds[1] <= 500:
        raise click.BadParameter("expected 0 <= low <= high <= 500")
    return bounds


@main.command("seed")
@database_option
@click.option(
    "--workspace",
    default=None,
    help="id_code of the workspace to fill. Default: the first workspace; an empty database gets the demo one.",
)
@click.option("--conversations", type=click.IntRange(0), default=1000, show_default=True, help="How many to add.")
@click.option(
    "--contacts", type=click.IntRange(1), default=None, help="Contacts to create. Default: conversations / 5."
)
@click.option("--admins", type=click.IntRange(0, 1000), default=0, show_default=True, help="Extra admins to create.")
@click.option(
    "--tags", type=click.IntRange(0, 1000), default=36, show_default=True, help="Tags to use (created if missing)."
)
@click.option(
    "--parts-per-conversation",
    "parts",
    default="1-30",
    show_default=True,
    callback=_parts_range,
    help="Range of conversation parts each conversation gets (fewer when its history reaches now).",
)
@click.option("--seed", "seed_value", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option("--now", type=int, default=None, help="Unix time the two years of history end at. Default: now.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=os.cpu_count() or 1,
    show_default="the number of CPUs",
    help="Processes generating conversations (the data does not depend on it).",
)
def seed_command(
    database_url: str,
    workspace: str | None,
    conversations: int,
    contacts: int | None,
    admins: int,
    tags: int,
    parts: tuple[int, int],
    seed_value: int,
    now: int | None,
    jobs: int,
) -> None:
    """Fill a workspace with realistic conversations (benchmarks, demos)."""
    from inboxd import seed as seeding

    engine = make_engine(normalise_url(database_url))
    migrations.upgrade(engine)
    clock_now = Clock().now()
    with transaction(engine, write=True) as conn:
        if not has_any_workspace(conn):
            demo, token = demo_workspace()
            apply_workspace_file(conn, demo, clock_now)
            _announce_demo(token, "127.0.0.1", 8000)
    options = seeding.Options(
        conversations=conversations,
        contacts=contacts,
        admins=admins,
        tags=tags,
        parts=parts,
        seed=seed_value,
        now=now if now is not None else clock_now,
        jobs=jobs,
    )
    started = time.monotonic()
    try:
        with click.progressbar(
            length=conversations, label="conversations", show_eta=True, show_pos=True, item_show_func=lambda s: s
        ) as bar:

            def progress(done: int) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                bar.update(done - bar.pos, f"{rate:,.0f}/s")

            report = seeding.seed(engine, workspace, options, progress)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(
        f"workspace {report.workspace}: {report.conversations:,} conversations, {report.parts:,} parts, "
        f"{report.contacts:,} contacts, {report.tokens:,} index rows in {time.monotonic() - started:,.1f} s"
    )


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


@main.group()
def token() -> None:
    """Create and revoke access tokens (docs/security.md)."""


@token.command("create")
@database_option
@click.option("--workspace", "id_code", required=True, help="id_code of the workspace the token opens.")
def token_create(database_url: str, id_code: str) -> None:
    """Make a new token for a workspace and print it, once: only its hash is stored."""
    from inboxd.store import access_tokens

    engine = make_engine(normalise_url(database_url))
    migrations.upgrade(engine)
    try:
        with transaction(engine, write=True) as conn:
            workspace, new_token = access_tokens.create(conn, id_code, Clock().now())
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"new token for workspace {workspace.id_code} ({workspace.name}), shown only this once:", err=True)
    click.echo(new_token)


@token.command("revoke")
@database_option
@click.argument("token_value", metavar="TOKEN")
def token_revoke(database_url: str, token_value: str) -> None:
    """Revoke a token at once, in every running inboxd process. A workspace file that still lists
    it does not bring it back: remove it from the file too. TOKEN "-" reads the token from standard
    input (it then stays out of the shell history and the process list)."""
    from inboxd.store import access_tokens

    if token_value == "-":
        token_value = sys.stdin.readline()

    engine = make_engine(normalise_url(database_url))
    migrations.upgrade(engine)
    try:
        with transaction(engine, write=True) as conn:
            workspace = access_tokens.revoke(conn, token_value.strip(), Clock().now())
    finally:
        engine.dispose()
    if workspace is None:
        raise click.ClickException("no workspace has this token (already revoked, or mistyped)")
    click.echo(f"revoked a token of workspace {workspace.id_code} ({workspace.name})")


if __name__ == "__main__":  # pragma: no cover
    main()
