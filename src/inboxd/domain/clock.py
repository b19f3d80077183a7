"""The one clock (DESIGN.md, "Time is injected"). Production reads the wall clock; tests and the
test mode move it forward so that snoozes wake and statistics measure time without sleeping."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        self.offset += seconds


class FrozenClock(Clock):
    """A clock that only moves when told to: deterministic tests."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def now(self) -> int:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += seconds
