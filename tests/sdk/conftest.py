"""The `inboxd serve` the official SDKs talk to (tests/sdk/): one per database for each test module,
over the same workspace, so the Python and the Node SDK meet the same admins and team."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.server import Server, postgres_database

TOKEN = "sdk-test-token-1"
WORKSPACE_FILE = f"""
[[workspaces]]
name = "SDK Co"
id_code = "sdkco"
access_tokens = ["{TOKEN}"]

[[workspaces.admins]]
name = "Ada Admin"
email = "ada@sdk.test"

[[workspaces.admins]]
name = "Bob Builder"
email = "bob@sdk.test"

[[workspaces.teams]]
name = "Support"
admin_emails = ["ada@sdk.test", "bob@sdk.test"]
"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `inboxd serve` per database for the module, with the workspace file above; its base URL.
    Each module has a PostgreSQL database of its own, so two modules on one worker never share one."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    workdir = tmp_path_factory.mktemp(f"{module}-{request.param}")
    workspace_file = workdir / "workspaces.toml"
    workspace_file.write_text(WORKSPACE_FILE, encoding="utf-8")
    database: contextlib.AbstractContextManager[str] = (
        postgres_database(f"inboxd_{module}")
        if request.param == "postgres"
        else contextlib.nullcontext(f"sqlite:///{workdir}/sdk.sqlite3")
    )
    with database as database_url:
        process = Server(workdir, database_url, {"INBOXD_WORKSPACE_FILE": str(workspace_file)}, "sdk")
        try:
            process.wait_ready()
            yield process.base
        finally:
            assert process.stop() == 0, process.logs()
