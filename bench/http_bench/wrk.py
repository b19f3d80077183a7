"""The load generator: wrk runs, their scripts, and what they print.

A script is three parts written into one file per run: ``PARAMS``, a Lua table of this run's values
(files of ids, bodies, paths, the token, the thread count), then lua/common.lua (headers, the
thread's number, ``done()``'s JSON line), then the load's own file of lua/.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from http_bench.databases import TOKEN
from http_bench.paths import LUA


@dataclasses.dataclass
class Figure:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    noop: int | None = None  # close/open: answers that changed nothing (must be 0)
    stale: int | None = None  # read-after-write: GETs that did not show the reply before them (must be 0)
    # read-after-write: the figures of each kind of request, timed by its script (lua/read_after_write.lua)
    split: dict[str, Figure] | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + (self.noop or 0) + (self.stale or 0)

    def as_json(self) -> dict[str, Any]:
        out = {**dataclasses.asdict(self), "rps": round(self.rps, 1), "error_count": self.error_count}
        if self.split is not None:
            out["split"] = {name: figure.as_json() for name, figure in self.split.items()}
        return out


@dataclasses.dataclass(frozen=True)
class Script:
    """A load's script: the name of its file in lua/ and the values it reads from PARAMS."""

    name: str
    params: dict[str, Any]


def lua_string(value: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


def lua_value(value: Any) -> str:
    """A Python value as a Lua literal: strings, paths, numbers, booleans, lists of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return lua_string(str(value))
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    raise TypeError(f"no Lua literal for {value!r}")


def threads(connections: int) -> int:
    return 1 if connections <= 1 else 2


class Wrk:
    def __init__(self, workdir: Path, timeout_s: int) -> None:
        self.workdir, self.timeout_s = workdir, timeout_s
        self.binary = shutil.which("wrk") or "wrk"
        self.count = 0

    def script(
        self, script: Script, connections: int, token: str = TOKEN, instance: int = 0, instances: int = 1
    ) -> Path:
        """The run's script file; ``instance`` of ``instances``: this wrk's number among those run
        at once against several servers (lua/common.lua ``lines_of`` shares the lines out)."""
        self.count += 1
        path = self.workdir / f"load-{self.count}-{script.name}.lua"
        params = {
            "token": token,
            "threads": threads(connections),
            "instance": instance,
            "instances": instances,
            **script.params,
        }
        table = ",\n".join(f"  {key} = {lua_value(value)}" for key, value in params.items())
        parts = [
            f"PARAMS = {{\n{table}\n}}\n",
            (LUA / "common.lua").read_text(),
            (LUA / f"{script.name}.lua").read_text(),
        ]
        path.write_text("\n".join(parts))
        return path

    def command(self, url: str, script: Path, connections: int, seconds: int) -> list[str]:
        t = threads(connections)
        argv = [self.binary, "-t", str(t), "-c", str(connections), "-d", f"{seconds}s"]
        return [*argv, "--timeout", f"{self.timeout_s}s", "-s", str(script), url]

    def run(self, url: str, script: Path, connections: int, seconds: int) -> Figure:
        """One wrk run. A script whose threads stop before -d (lua/cold_get.lua) prints
        ``WRKSTOP <thread>`` as each does; wrk's main thread would still sleep out -d, so once
        every thread has stopped it gets SIGINT, on which wrk prints its results at once."""
        process = subprocess.Popen(
            self.command(url, script, connections, seconds),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        lines, stopped = [], set()
        for line in process.stdout:
            lines.append(line)
            if line.startswith("WRKSTOP "):
                stopped.add(line.split()[1])
                if len(stopped) == threads(connections):
                    process.send_signal(signal.SIGINT)
        process.wait()
        return parse_wrk("".join(lines), "")


def parse_wrk(stdout: str, stderr: str) -> Figure:
    for line in stdout.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line[len("WRKJSON ") :])
            errors = {k: int(raw[k]) for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
            extra = raw.get("extra", {})
            # A run whose threads all stopped early lasted from its first request to the last stop.
            seconds = (extra.get("span_us") or raw["duration_us"]) / 1e6
            return Figure(
                requests=int(raw["requests"]),
                seconds=seconds,
                errors=errors,
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
            )
    raise RuntimeError(f"wrk printed no result:\n{stdout}\n{stderr}")
