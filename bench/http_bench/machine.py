"""The machine and software a run was measured on, as the report's header lists them."""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shutil
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path

import search_bench


def machine(pg_version: str) -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    wrk_version = "?"
    with contextlib.suppress(OSError):
        done = subprocess.run([shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True, check=False)
        wrk_version = (done.stdout + done.stderr).splitlines()[0].strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": search_bench._cpu(),
        "memory": _memory(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "packages": ", ".join(
            f"{p} {version(p)}" for p in ("granian", "starlette", "orjson", "sqlalchemy", "psycopg", "py-spy")
        ),
        "load generator": wrk_version,
        "load average at start (1/5/15 min; other work on the machine skews the figures)": " ".join(
            f"{x:.2f}" for x in os.getloadavg()
        ),
    }


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "?"
