"""`inboxd token create | revoke` on both engines: a new token works at once, a revoked one stops at
once — also in an app that was already serving it — and the workspace file neither resurrects a
revoked token nor drops one made on the command line. Failed attempts are logged without the token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from inboxd.app import create_app
from inboxd.cli import main
from inboxd.config import WorkspaceFile
from inboxd.domain.clock import FrozenClock
from inboxd.store.tables import access_tokens, rate_limits, revoked_tokens
from inboxd.store.transactions import transaction
from inboxd.store.workspaces import apply_workspace_file, token_digest
from tests.conftest import ACME_TOKEN, GLOBEX_TOKEN, T0, WORKSPACES, Api


@pytest.fixture
def cli(engine: Engine) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(main, ["token", *args, "--database-url", url], input=stdin)

    return invoke


@pytest.fixture
def serving(engine: Engine, clock: FrozenClock) -> Iterator[TestClient]:
    """An app that is already running when the CLI acts, as a server process would be."""
    with TestClient(create_app(engine, clock, rate_limit=600)) as client:
        yield client


def test_create_prints_a_token_that_works_at_once(cli, serving, engine):
    result = cli("create", "--workspace", "globex")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("globex_") and len(token) > 40
    assert "shown only this once" in result.stderr
    assert Api(serving, token).get("/me").json()["app"]["id_code"] == "globex"
    with transaction(engine, write=False) as conn:
        stored = conn.execute(select(access_tokens.c.token_sha256, access_tokens.c.origin)).all()
    assert (token_digest(token), "cli") in stored
    assert all(token not in digest for digest, _ in stored)  # only the hash is kept

    assert cli("create", "--workspace", "globex").stdout.strip() != token  # a new one each time


def test_create_for_an_unknown_workspace_fails(cli):
    result = cli("create", "--workspace", "nobody")
    assert result.exit_code != 0
    assert "no workspace with id_code 'nobody'" in result.output


def test_revoke_takes_effect_at_once_in_a_running_app(cli, serving, engine):
    acme = Api(serving, ACME_TOKEN)
    assert acme.get("/me").status_code == 200  # known to the app: cached and counted
    assert Api(serving, GLOBEX_TOKEN).get("/me").status_code == 200
    result = cli("revoke", ACME_TOKEN)
    assert result.exit_code == 0, result.output
    assert "revoked a token of workspace acme" in result.output
    with transaction(engine, write=False) as conn:
        assert conn.execute(select(revoked_tokens.c.token_sha256)).scalars().all() == [token_digest(ACME_TOKEN)]
        # Its rate-limit counters went with it.
        assert conn.execute(select(rate_limits.c.token_sha256)).scalars().all() == [token_digest(GLOBEX_TOKEN)]
    assert acme.get("/me").status_code == 401
    assert acme.post("/contacts", json={"email": "late@x.test"}).status_code == 401
    assert Api(serving, GLOBEX_TOKEN).get("/me").status_code == 200  # others are untouched


def test_revoke_reads_the_token_from_stdin(cli, serving):
    made = cli("create", "--workspace", "acme").stdout.strip()
    assert Api(serving, made).get("/me").status_code == 200
    result = cli("revoke", "-", stdin=made + "\n")
    assert result.exit_code == 0, result.output
    assert Api(serving, made).get("/me").status_code == 401
    assert Api(serving, ACME_TOKEN).get("/me").status_code == 200


def test_revoking_an_unknown_token_fails(cli):
    result = cli("revoke", "never-issued-token")
    assert result.exit_code != 0
    assert "no workspace has this token" in result.output
    assert cli("revoke", ACME_TOKEN).exit_code == 0
    assert cli("revoke", ACME_TOKEN).exit_code != 0  # twice: already gone


def test_the_workspace_file_keeps_cli_tokens_and_never_resurrects_revoked_ones(cli, serving, engine, caplog):
    made = cli("create", "--workspace", "acme").stdout.strip()
    assert cli("revoke", ACME_TOKEN).exit_code == 0
    with caplog.at_level(logging.WARNING, logger="inboxd"), transaction(engine, write=True) as conn:
        apply_workspace_file(conn, WORKSPACES, T0 + 60)  # the next start: the file still lists it
    assert "revoked with `inboxd token revoke` and stay revoked" in caplog.text
    assert Api(serving, ACME_TOKEN).get("/me").status_code == 401
    assert Api(serving, made).get("/me").status_code == 200

    # A file that drops its own token still revokes it, as before.
    edited = WorkspaceFile.model_validate(
        {"workspaces": [{**WORKSPACES.workspaces[1].model_dump(), "access_tokens": ["globex-rotated-1"]}]}
    )
    with transaction(engine, write=True) as conn:
        apply_workspace_file(conn, edited, T0 + 120)
    assert Api(serving, GLOBEX_TOKEN).get("/me").status_code == 401
    assert Api(serving, "globex-rotated-1").get("/me").status_code == 200


def test_failed_attempts_are_logged_without_the_token(cli, serving, caplog):
    wrong = "wrong-secret-token-value"
    assert Api(serving, ACME_TOKEN).get("/me").status_code == 200  # known to the app before the revocation
    with caplog.at_level(logging.WARNING, logger="inboxd"):
        Api(serving, wrong).get("/me")
        Api(serving, None).get("/conversations")
        cli("revoke", ACME_TOKEN)
        Api(serving, ACME_TOKEN).get("/me")
    messages = [record.getMessage() for record in caplog.records if record.name == "inboxd"]
    assert any(f"unknown token sha256:{token_digest(wrong)[:8]}" in m and "GET /me" in m for m in messages)
    assert any("no bearer token" in m and "GET /conversations" in m for m in messages)
    assert any(f"revoked token sha256:{token_digest(ACME_TOKEN)[:8]}" in m for m in messages)
    assert wrong not in caplog.text and ACME_TOKEN not in caplog.text
