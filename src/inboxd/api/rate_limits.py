"""Per-token rate limits as Intercom enforces them: a quota of calls per minute,
split into six 10-second windows, so ``X-RateLimit-Limit`` is the per-window number (1,000/min → 167).

The count is shared by every process on the database (store/rate_limits.py). Writing it on every
call would make every read a write, serialised on SQLite's one write lock, so each process counts
its calls in memory and adds them to the shared count in one atomic upsert:

- on the first call of a window (a fresh process learns what the others have used);
- every ``batch`` calls, and on the first call 100 ms after the last sync;
- on every call once the window's last tenth (at least ``batch`` calls) is reached.

A process admits a call without asking only while its view (the shared total at its last sync plus
its own calls since) stays below the limit, and its own count is exact, so one process never
overshoots. Several processes may together admit up to ``batch - 1`` calls each beyond the limit
in a window, when each admits calls the others have not seen yet (docs/security.md).
Refusing needs no query: the shared count only grows within a window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from inboxd.domain.errors import RateLimited
from inboxd.store import rate_limits
from inboxd.store.engine import Database
from inboxd.store.threads import in_thread
from inboxd.store.transactions import transacted

WINDOW_SECONDS = 10
WINDOWS_PER_MINUTE = 60 // WINDOW_SECONDS
# Intercom's 2.x pages: private apps get 10,000 calls per minute.
DEFAULT_PER_MINUTE = 10_000
BATCH = 10
SYNC_INTERVAL = 0.1  # seconds
_MAX_TRACKED = 10_000  # tokens remembered per process before old windows are dropped


def per_window(per_minute: int) -> int:
    """The minute's quota split in six, rounded up: 1,000/min → 167, as Intercom's headers show."""
    return max(1, -(-per_minute // WINDOWS_PER_MINUTE))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds at which the next window starts

    def headers(self, now: int) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(max(1, self.reset - now)).encode()))
        return headers


@dataclass
class _Count:
    start: int
    known: int = 0  # the shared count when this process last synced
    pending: int = 0  # calls admitted here since then, not yet in the shared count
    synced: float = float("-inf")
    pruned: bool = False


class RateLimiter:
    """One per process. :meth:`check` answers from memory or says the database must be asked;
    :meth:`sync` asks it (blocking: call it from a worker thread)."""

    def __init__(
        self,
        engine: Database,
        per_minute: int,
        batch: int = BATCH,
        interval: float = SYNC_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.limit = per_window(per_minute)
        self.batch = max(1, batch)
        self.interval = interval
        self.exact_below = max(self.batch, -(-self.limit // 10))
        self._monotonic = monotonic
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def check(self, digest: str, now: int) -> Verdict | None:
        start = now - now % WINDOW_SECONDS
        with self._lock:
            count = self._count(digest, start)
            used = count.known + count.pending
            if used >= self.limit:
                return self._verdict(False, used, start)
            if (
                count.pending + 1 >= self.batch
                or self._monotonic() - count.synced >= self.interval
                or self.limit - (used + 1) < self.exact_below
            ):
                return None
            count.pending += 1
            return self._verdict(True, used + 1, start)

    def sync(self, digest: str, now: int) -> Verdict:
        """Add this call and the ones admitted since the last sync to the shared count; the verdict
        follows from the new total."""
        start = now - now % WINDOW_SECONDS
        with self._lock:
            count = self._count(digest, start)
            sent, count.pending = count.pending + 1, 0
            count.synced = self._monotonic()
            prune, count.pruned = not count.pruned, True
        try:
            total = transacted(
                self.engine, lambda conn: rate_limits.add_calls(conn, digest, start, sent, prune=prune), write=True
            )
        except BaseException:
            with self._lock:
                count.pending += sent - 1  # this call fails; the others were admitted all the same
            raise
        with self._lock:
            count.known = max(count.known, total)
            used = count.known + count.pending
        return self._verdict(total <= self.limit, used, start)

    def _count(self, digest: str, start: int) -> _Count:
        count = self._counts.get(digest)
        if count is None or count.start != start:
            if count is None and len(self._counts) >= _MAX_TRACKED:
                self._counts = {key: c for key, c in self._counts.items() if c.start >= start}
            count = self._counts[digest] = _Count(start)
        return count

    def _verdict(self, allowed: bool, used: int, start: int) -> Verdict:
        return Verdict(allowed, self.limit, max(0, self.limit - used), start + WINDOW_SECONDS)


def admitted(request: Request, digest: str, now: int) -> bool:
    """The request's rate-limit step, from this process's memory: count the call against its
    token's window; over the limit → 429. False when the shared count must be asked first
    (:func:`admit`). The headers go on the response whatever it is (app.RequestId adds them),
    except a 401."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is None:
        return True
    verdict = limiter.check(digest, now)
    if verdict is None:
        return False
    _apply(request, verdict, now)
    return True


async def admit(request: Request, digest: str, now: int) -> None:
    """The rate-limit step when the shared count must be asked (a thread: it is a write)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    _apply(request, await in_thread(limiter.engine, limiter.sync, digest, now), now)


def _apply(request: Request, verdict: Verdict, now: int) -> None:
    request.state.rate_limit_headers = verdict.headers(now)
    if not verdict.allowed:
        raise RateLimited(f"Exceeded rate limit of {verdict.limit} in 10_seconds; the window resets at {verdict.reset}")
