"""The processes a run serves (inboxd serve, the ceiling, bench/frozen_serve.py): started and
awaited on /readyz, stopped as an orchestrator would, and their workers' resident memory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from http_bench.databases import TOKEN
from http_bench.paths import ROOT, log

WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return sorted(out)


def started_at(pid: int) -> int | None:
    """The process's start time (clock ticks after boot), None when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    """A server process (inboxd serve, the ceiling): started, awaited on /readyz, stopped with SIGTERM."""

    def __init__(self, name: str, argv: list[str], port: int, logs: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.port = name, argv, port
        self.log_path = logs / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 120.0) -> float:
        """Spawn and wait until GET /readyz answers 200; the seconds that took."""
        started = time.monotonic()
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                seconds = time.monotonic() - started
                # every worker up (granian starts them one after the other)
                while len(self.workers()) < WORKERS and time.monotonic() - started < timeout:
                    time.sleep(0.01)
                return seconds
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process is not None else []

    def rss(self) -> dict[int, float]:
        return {pid: mb for pid in self.workers() if (mb := rss_mb(pid)) is not None}

    def stop(self) -> None:
        """SIGTERM, as an orchestrator would. granian 2.8's main process can wait forever for a
        worker that was still starting when the signal came (it never hears of it and keeps
        serving): after 10 s the workers get SIGTERM themselves, and whatever is left is killed."""
        if self.process is None or self.process.poll() is not None:
            return
        workers = {pid: started_at(pid) for pid in self.workers()}

        def left() -> list[int]:  # the same processes (a pid may be reused once one has gone)
            return [pid for pid, start in workers.items() if start is not None and started_at(pid) == start]

        def signal_workers(number: int) -> None:
            for pid in left():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, number)

        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: still running 10 s after SIGTERM; SIGTERM to its workers")
            signal_workers(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 10
        while left() and time.monotonic() < deadline:
            time.sleep(0.05)
        signal_workers(signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def get(self, path: str, token: str = TOKEN) -> bytes:
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {token}", "Intercom-Version": "2.10"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body: bytes = response.read()
            return body


def inboxd_serve(url: str, port: int, logs: Path, name: str, workspace_file: Path | None) -> Server:
    argv = [sys.executable, "-m", "inboxd", "serve", "--workers", str(WORKERS), "--database-url", url]
    argv += ["--port", str(port), "--rate-limit", "0", "--host", "127.0.0.1"]
    if workspace_file is not None:
        argv += ["--workspace-file", str(workspace_file)]
    return Server(name, argv, port, logs)


class Sampler:
    """Samples the workers' resident memory every ``interval`` seconds in a thread."""

    def __init__(self, server: Server, interval: float = 0.5) -> None:
        self.server, self.interval = server, interval
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, mb in self.server.rss().items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
