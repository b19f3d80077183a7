"""`inboxd serve` as a subprocess on a free loopback port, for the tests that speak to the real
server (tests/test_serve_e2e.py, tests/sdk/): output goes to files, not pipes, so a chatty server
can never block on a full pipe; the process group is stopped with SIGTERM, then SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from inboxd.store.engine import make_engine
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.reliability.driver import drop_database

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `inboxd serve` process; `output` is everything it printed on stdout."""

    def __init__(self, workdir: Path, database_url: str, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXD_")}
        child_env.update(env)
        child_env["PYTHONUNBUFFERED"] = "1"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "inboxd",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--database-url",
                    database_url,
                ],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                cwd=workdir,  # the default ./data/ database, were it used by mistake, stays in tmp
                env=child_env,
                start_new_session=True,  # its own process group: stop() reaches granian's workers too
            )

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        err = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return f"--- stdout ---\n{self.output}\n--- stderr ---\n{err}"

    def wait_ready(self) -> None:
        """Until an HTTP request gets an answer: the port accepting is not enough, the worker must
        have imported the app."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"inboxd serve exited with {self.process.returncode}\n{self.logs()}")
            try:
                response = httpx2.get(f"{self.base}/me", timeout=2.0)
                if response.status_code == 401:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"inboxd serve did not answer within {START_TIMEOUT}s\n{self.logs()}")

    def stop(self) -> int:
        """SIGTERM (granian shuts down gracefully), SIGKILL after a while. Signals go to the
        process group only while its leader is unreaped, so the id cannot belong to anyone else."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        return self.process.returncode

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own beside the one INBOXD_TEST_POSTGRES_URL names (the shared
    `engine` fixture owns that one), dropped afterwards; skipped, or failed under
    INBOXD_REQUIRE_POSTGRES=1, as conftest does when PostgreSQL is not configured."""
    if not POSTGRES_URL:
        reason = "PostgreSQL not configured: set INBOXD_TEST_POSTGRES_URL to run the PostgreSQL half"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (INBOXD_REQUIRE_POSTGRES=1 makes it mandatory)")
        pytest.skip(reason)
    name = f"{prefix}_{os.getpid()}"
    admin = make_engine(make_url(POSTGRES_URL).set(database="postgres").render_as_string(hide_password=False))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    try:
        drop_database(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        # The server wrote enough to wake an autovacuum worker, which FORCE may not end: retried.
        drop_database(admin, name)
    finally:
        admin.dispose()
