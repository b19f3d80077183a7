"""`inboxd serve | migrate`: the help a user reads, every flag and its INBOXD_* variable, migrations
that can be run any number of times, and what `serve` does before handing over to granian."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from inboxd.cli import main
from inboxd.store.engine import make_engine
from inboxd.store.tables import admins, teams, workspaces
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import workspace_for_token

SERVE_OPTIONS = {
    "--host": "INBOXD_HOST",
    "--port": "INBOXD_PORT",
    "--database-url": "INBOXD_DATABASE_URL",
    "--workspace-file": "INBOXD_WORKSPACE_FILE",
    "--workers": "INBOXD_WORKERS",
    "--rate-limit": "INBOXD_RATE_LIMIT",
    "--search-timeout": "INBOXD_SEARCH_TIMEOUT",
}

WORKSPACE_FILE = """
[[workspaces]]
name = "Initech"
access_tokens = ["initech-token-1"]

[[workspaces.admins]]
name = "Bill Lumbergh"
email = "bill@initech.test"

[[workspaces.teams]]
name = "TPS Reports"
admin_emails = ["bill@initech.test"]
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # `serve` exports INBOXD_DATABASE_URL for its workers; monkeypatch puts the environment back.
    for name in SERVE_OPTIONS.values():
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


class FakeGranian:
    """Stands in for granian's server: records how `serve` configured it instead of listening."""

    started: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, target: str, **kwargs: Any) -> None:
        self.config = {"target": target, **kwargs}

    def serve(self) -> None:
        FakeGranian.started.append({**self.config, "env_database_url": os.environ.get("INBOXD_DATABASE_URL")})


@pytest.fixture
def fake_granian(monkeypatch: pytest.MonkeyPatch) -> type[FakeGranian]:
    import granian

    FakeGranian.started = []
    monkeypatch.setattr(granian, "Granian", FakeGranian)
    return FakeGranian


# -- help ----------------------------------------------------------------------------------------


def test_main_help_lists_the_commands(runner):
    result = runner.invoke(main, ["--help"])

    assert result.exit_code == 0, result.output
    assert "serve" in result.output
    assert "migrate" in result.output


def test_short_help_flag(runner):
    result = runner.invoke(main, ["-h"])

    assert result.exit_code == 0
    assert "serve" in result.output


def test_serve_help_names_every_option_and_its_variable(runner):
    result = runner.invoke(main, ["serve", "--help"])

    assert result.exit_code == 0, result.output
    for option, variable in SERVE_OPTIONS.items():
        assert option in result.output
        assert variable in result.output


def test_migrate_help_names_its_option_and_variable(runner):
    result = runner.invoke(main, ["migrate", "--help"])

    assert result.exit_code == 0, result.output
    assert "--database-url" in result.output
    assert "INBOXD_DATABASE_URL" in result.output


def test_version(runner):
    result = runner.invoke(main, ["--version"])

    assert result.exit_code == 0
    assert importlib.metadata.version("inboxd") in result.output


def test_python_dash_m_inboxd_help():
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--help"], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout and "migrate" in result.stdout


def test_installed_inboxd_script_help():
    script = Path(sys.executable).with_name("inboxd")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable} (package not installed)")
    result = subprocess.run([str(script), "serve", "--help"], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert "--workspace-file" in result.stdout


# -- migrate ---------------------------------------------------------------------------------------


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_twice_on_a_fresh_sqlite_file(runner, tmp_path):
    path = tmp_path / "nested" / "dir" / "inboxd.sqlite3"  # missing directories are created
    url = f"sqlite:///{path}"

    first = runner.invoke(main, ["migrate", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "up to date" in first.output
    assert path.exists()
    assert {
        "workspaces",
        "access_tokens",
        "admins",
        "teams",
        "contacts",
        "conversations",
        "alembic_version",
    } <= _tables(url)

    # Data written between the two runs survives the second one.
    engine = make_engine(url)
    with transaction(engine, write=True) as conn:
        conn.execute(workspaces.insert().values(id_code="kept", name="Kept", created_at=1))
    engine.dispose()

    second = runner.invoke(main, ["migrate", "--database-url", url])
    assert second.exit_code == 0, second.output
    engine = make_engine(url)
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(workspaces.c.id_code)).scalars().all() == ["kept"]
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert len(versions) == 1


def test_migrate_reads_inboxd_database_url(runner, tmp_path):
    path = tmp_path / "from-env.sqlite3"

    result = runner.invoke(main, ["migrate"], env={"INBOXD_DATABASE_URL": f"sqlite:///{path}"})

    assert result.exit_code == 0, result.output
    assert "workspaces" in _tables(f"sqlite:///{path}")


def test_migrate_flag_wins_over_the_variable(runner, tmp_path):
    flag, env = tmp_path / "flag.sqlite3", tmp_path / "env.sqlite3"

    result = runner.invoke(
        main, ["migrate", "--database-url", f"sqlite:///{flag}"], env={"INBOXD_DATABASE_URL": f"sqlite:///{env}"}
    )

    assert result.exit_code == 0, result.output
    assert flag.exists()
    assert not env.exists()


# -- serve, up to the point where granian takes over ---------------------------------------------


def test_serve_reads_every_setting_from_the_environment(runner, fake_granian, tmp_path):
    database = tmp_path / "env.sqlite3"
    workspace_file = tmp_path / "workspaces.toml"
    workspace_file.write_text(WORKSPACE_FILE, encoding="utf-8")

    result = runner.invoke(
        main,
        ["serve"],
        env={
            "INBOXD_HOST": "127.0.0.2",
            "INBOXD_PORT": "18123",
            "INBOXD_DATABASE_URL": f"sqlite:///{database}",
            "INBOXD_WORKSPACE_FILE": str(workspace_file),
            "INBOXD_WORKERS": "3",
        },
    )

    assert result.exit_code == 0, result.output
    [started] = fake_granian.started
    assert (started["address"], started["port"], started["workers"]) == ("127.0.0.2", 18123, 3)
    assert started["target"] == "inboxd.app:asgi_from_env"
    assert started["env_database_url"] == f"sqlite:///{database}"  # what the workers will open
    assert "Initech" in result.output
    assert "demo" not in result.output.lower()  # a workspace file means no demo workspace
    engine = make_engine(f"sqlite:///{database}")
    with transaction(engine, write=False) as conn:
        assert workspace_for_token(conn, "initech-token-1").name == "Initech"
        assert conn.execute(select(teams.c.name)).scalars().all() == ["TPS Reports"]
    engine.dispose()


def test_serve_flags_win_over_the_environment(runner, fake_granian, tmp_path):
    result = runner.invoke(
        main,
        [
            "serve",
            "--host",
            "127.0.0.3",
            "--port",
            "18124",
            "--workers",
            "2",
            "--database-url",
            f"sqlite:///{tmp_path}/flag.sqlite3",
        ],
        env={
            "INBOXD_HOST": "0.0.0.0",
            "INBOXD_PORT": "1",
            "INBOXD_WORKERS": "9",
            "INBOXD_DATABASE_URL": "sqlite:///nope.sqlite3",
        },
    )

    assert result.exit_code == 0, result.output
    [started] = fake_granian.started
    assert (started["address"], started["port"], started["workers"]) == ("127.0.0.3", 18124, 2)
    assert started["env_database_url"] == f"sqlite:///{tmp_path}/flag.sqlite3"


def test_serve_on_an_empty_database_announces_the_demo_token_once(runner, fake_granian, tmp_path):
    url = f"sqlite:///{tmp_path}/demo.sqlite3"

    first = runner.invoke(main, ["serve", "--database-url", url, "--port", "18125"])
    second = runner.invoke(main, ["serve", "--database-url", url, "--port", "18125"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    tokens = [word for word in first.output.split() if word.startswith("demo_")]
    assert tokens, first.output
    token = tokens[0]
    assert f"Authorization: Bearer {token}' http://127.0.0.1:18125/me" in first.output
    assert "demo_" not in second.output
    engine = make_engine(url)
    with transaction(engine, write=False) as conn:
        assert workspace_for_token(conn, token).id_code == "demo"
        assert conn.execute(select(workspaces.c.id)).scalars().all() == [1]  # not a second demo
    engine.dispose()


@pytest.mark.parametrize(
    ("host", "curl_url", "listening"),
    [
        ("0.0.0.0", "http://127.0.0.1:18126/me", "http://0.0.0.0:18126"),
        ("::", "http://127.0.0.1:18126/me", "http://[::]:18126"),
        ("::1", "http://[::1]:18126/me", "http://[::1]:18126"),
        ("localhost", "http://localhost:18126/me", "http://localhost:18126"),
    ],
)
def test_printed_urls_are_usable(runner, fake_granian, tmp_path, host, curl_url, listening):
    result = runner.invoke(
        main, ["serve", "--host", host, "--port", "18126", "--database-url", f"sqlite:///{tmp_path}/u.sqlite3"]
    )

    assert result.exit_code == 0, result.output
    assert f"' {curl_url}\n" in result.output
    assert f"listening on {listening} " in result.output
    assert fake_granian.started[0]["address"] == host


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_serve_refuses_a_bad_port(runner, fake_granian, port):
    result = runner.invoke(main, ["serve", "--port", port])

    assert result.exit_code == 2
    assert "--port" in result.output
    assert fake_granian.started == []


def test_serve_with_a_broken_workspace_file_exits_with_the_problem(runner, fake_granian, tmp_path):
    workspace_file = tmp_path / "workspaces.toml"
    workspace_file.write_text(
        WORKSPACE_FILE.replace('admin_emails = ["bill@', 'admin_emails = ["milton@'), encoding="utf-8"
    )

    result = runner.invoke(
        main, ["serve", "--database-url", f"sqlite:///{tmp_path}/x.sqlite3", "--workspace-file", str(workspace_file)]
    )

    assert result.exit_code == 1
    assert "Error:" in result.output and "milton@initech.test" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert fake_granian.started == []


def test_serve_with_a_missing_workspace_file_exits_with_the_problem(runner, fake_granian, tmp_path):
    result = runner.invoke(
        main,
        ["serve", "--database-url", f"sqlite:///{tmp_path}/x.sqlite3", "--workspace-file", str(tmp_path / "nope.toml")],
    )

    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert fake_granian.started == []


def test_serve_refuses_a_token_that_another_workspace_owns(runner, fake_granian, tmp_path):
    url = f"sqlite:///{tmp_path}/x.sqlite3"
    workspace_file = tmp_path / "workspaces.toml"
    workspace_file.write_text(WORKSPACE_FILE, encoding="utf-8")
    assert runner.invoke(main, ["serve", "--database-url", url, "--workspace-file", str(workspace_file)]).exit_code == 0

    # Renaming the workspace without an id_code makes it a new one that claims the old token.
    workspace_file.write_text(WORKSPACE_FILE.replace('"Initech"', '"Initech Ltd"'), encoding="utf-8")
    result = runner.invoke(main, ["serve", "--database-url", url, "--workspace-file", str(workspace_file)])

    assert result.exit_code == 1
    assert "Error:" in result.output and "id_code" in result.output
    assert len(fake_granian.started) == 1
    engine = make_engine(url)
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(workspaces.c.name)).scalars().all() == ["Initech"]
        assert conn.execute(select(admins.c.email).order_by(admins.c.id)).scalars().all() == [
            "operator+initech@intercom.io",
            "bill@initech.test",
        ]
    engine.dispose()


def test_migrate_takes_a_url_with_percent_escapes(runner, tmp_path):
    """A percent-encoded password or path (here a space, %20) must not trip Alembic's config parser."""
    folder = tmp_path / "with space"
    folder.mkdir()
    url = f"sqlite:///file:{str(folder / 'db.sqlite3').replace(' ', '%20')}?uri=true"

    result = runner.invoke(main, ["migrate", "--database-url", url])

    assert result.exit_code == 0, result.output
    assert (folder / "db.sqlite3").exists()
