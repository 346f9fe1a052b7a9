"""Flow control for one model endpoint: an adaptive concurrency limit and per-minute rate budgets.

`AdaptiveLimit` is a semaphore whose size halves when the endpoint says 429 (at most once per cool-down)
and grows back by one after each window of successes (AIMD, as TCP does), so a run slows down under a
provider's rate limiter and recovers once it passes. `RateBudget` is a token bucket for requests/min or
tokens/min that hosted APIs publish; a request larger than the bucket borrows against the future.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class AdaptiveLimit:
    """At most `limit` holders at once; `limit` moves between 1 and `ceiling` with the endpoint's mood."""

    def __init__(self, ceiling: int, *, cooldown_s: float = 1.0) -> None:
        if ceiling < 1:
            raise ValueError("concurrency must be at least 1")
        self.ceiling = ceiling
        self.limit = ceiling
        self.inflight = 0
        self.cooldown_s = cooldown_s
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._successes = 0
        self._last_cut = -float("inf")
        self.cuts = 0  # how often 429s lowered the limit (reported at the end of a run)

    async def acquire(self) -> None:
        if self.inflight < self.limit and not self._waiters:
            self.inflight += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # granted just as we were cancelled: give the slot back
            else:
                self._waiters.remove(future)
            raise

    def release(self) -> None:
        self.inflight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.inflight < self.limit:
            future = self._waiters.popleft()
            if not future.done():
                self.inflight += 1
                future.set_result(None)

    def throttled(self) -> None:
        """The endpoint answered 429: halve the limit, once per cool-down (a burst of 429s is one signal)."""
        now = time.monotonic()
        if now - self._last_cut >= self.cooldown_s:
            self.limit = max(1, self.limit // 2)
            self._last_cut = now
            self._successes = 0
            self.cuts += 1

    def succeeded(self) -> None:
        """One success: after `limit` of them in a row, allow one more in flight (up to the ceiling)."""
        if self.limit < self.ceiling:
            self._successes += 1
            if self._successes >= self.limit:
                self._successes = 0
                self.limit += 1
                self._wake()


class RateBudget:
    """A per-minute budget (requests or tokens) as a token bucket holding up to 5 seconds' worth."""

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * 5)
        self.level = self.capacity
        self.stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self, amount: float) -> None:
        """Wait until the budget is not in debt, then spend `amount` (which may overdraw it)."""
        async with self._lock:
            self._refill()
            while self.level < min(amount, self.capacity):
                await asyncio.sleep((min(amount, self.capacity) - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def refund(self, amount: float) -> None:
        """Give back an over-estimate once the real usage is known."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)
