"""The one clock. Production reads the wall clock; tests and the
test mode move it forward so that snoozes wake and statistics measure time without sleeping.

Whatever must happen when time moves (snoozes running out: operations/snoozes.py) registers in
``moved``: moving the clock runs it before :meth:`Clock.advance` returns, so a test or a client
that moves time sees its effects at once."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        self.moved: list[Callable[[], object]] = []

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        self.offset += seconds
        self._run_moved()

    def _run_moved(self) -> None:
        for callback in list(self.moved):
            callback()


class FrozenClock(Clock):
    """A clock that only moves when told to: deterministic tests."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def now(self) -> int:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += seconds
        self._run_moved()
