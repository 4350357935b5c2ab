"""Group commit: one writer thread stores what every connection received, in batches.

Connections append items to a queue (a deque: appends from the event loop are thread-safe).
The writer wakes, waits ``linger`` seconds so that more items join, takes up to
``max_batch`` items, commits them in one transaction, and only then hands the batch back to
the event loop, which sends the replies (9014 ...). An acknowledged packet is therefore
always durably stored. If a commit fails, the batch is not acknowledged: devices resend
(HJ 212-2017 Table 1: 3 resends after a 10 s timeout [V]).

Post-commit work that needs the ORM (alarm rules, cases, webhooks) runs in a second thread,
so a slow case opening never delays the acknowledgements.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .handler import Item
from .store import BatchResult, BatchStore

log = logging.getLogger("coact.monitoring.gateway")

# SQLite has one write lock per file. A second writing thread (alarms) that meets a group
# commit waits in SQLite's busy handler, which polls with sleeps of up to 100 ms, and keeps
# losing the race against the next commit. Both threads take this process lock around their
# write transactions instead: the handoff is immediate and neither starves. PostgreSQL takes
# concurrent writers, so there the lock is not taken (it only made the writer wait for cases).


class DatabaseWriteLock:
    """``with DB_WRITE_LOCK:`` -- a process lock when the default database is SQLite, else
    nothing. The vendor is read once, at the first use (after Django is set up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._needed: bool | None = None

    def _is_needed(self) -> bool:
        if self._needed is None:
            from django.db import connections

            self._needed = connections["default"].vendor == "sqlite"
        return self._needed

    def __enter__(self) -> DatabaseWriteLock:
        if self._is_needed():
            self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._is_needed():
            self._lock.release()


DB_WRITE_LOCK = DatabaseWriteLock()


class GroupCommitWriter(threading.Thread):
    def __init__(
        self,
        on_committed: Callable[[list[Item]], None],
        after_commit: Callable[[BatchResult], None] | None = None,
        periodic: Callable[[], None] | None = None,
        *,
        max_batch: int = 5000,
        linger: float = 0.004,
        store: BatchStore | None = None,
    ) -> None:
        super().__init__(name="hj212-writer", daemon=True)
        self.on_committed = on_committed
        self.after_commit = after_commit
        self.periodic = periodic
        self.max_batch = max_batch
        self.linger = linger
        self.full = max(1, max_batch // 10)  # a backlog this long needs no lingering
        self.store = store or BatchStore()
        self._queue: deque[Item] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.committed_batches = 0
        self.committed_items = 0
        self.failed_batches = 0
        self.ready = threading.Event()

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def lag(self) -> float:
        """Seconds since the receipt of the oldest item waiting for a commit (0: none)."""
        try:
            oldest = self._queue[0].received_at
        except IndexError:
            return 0.0
        return time.time() - oldest.timestamp()

    def submit(self, item: Item) -> None:
        self._queue.append(item)
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        from django.db import close_old_connections

        self.store.prepare()
        self.ready.set()
        last_periodic = 0.0
        while not (self._stopping.is_set() and not self._queue):
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            now = time.monotonic()
            if self.periodic is not None and now - last_periodic > 10:
                last_periodic = now
                self._guard(self.periodic)
            if not self._queue:
                continue
            if self.linger and len(self._queue) < self.full and not self._stopping.is_set():
                time.sleep(self.linger)  # let more items join this commit (unless enough wait)
            batch = self._take()
            self._commit(batch)
        close_old_connections()

    def _take(self) -> list[Item]:
        batch = []
        take = self._queue.popleft
        for _ in range(min(self.max_batch, len(self._queue))):
            batch.append(take())
        if self._queue:
            self._wake.set()
        return batch

    def _commit(self, batch: list[Item]) -> None:
        for attempt in (1, 2):
            try:
                result = self.store.write(batch, DB_WRITE_LOCK)
                break
            except Exception:
                log.exception("batch of %s items failed (attempt %s)", len(batch), attempt)
                self._reconnect()
        else:
            self.failed_batches += 1
            return  # not acknowledged: the devices resend
        self.committed_batches += 1
        self.committed_items += len(batch)
        self._guard(lambda: self.on_committed(batch))
        if self.after_commit is not None:
            self._guard(lambda: self.after_commit(result))  # type: ignore[misc]

    def _reconnect(self) -> None:
        try:
            self.store.connection.close()
            self.store.prepare()
        except Exception:
            log.exception("reconnecting the writer failed")
            time.sleep(0.5)

    @staticmethod
    def _guard(func: Callable[[], Any]) -> None:
        try:
            func()
        except Exception:
            log.exception("post-commit step failed")


class AfterCommitWorker(threading.Thread):
    """Runs the ORM work of committed batches (alarms, cases, webhooks) in arrival order."""

    def __init__(self, work: Callable[[list[BatchResult]], None]) -> None:
        super().__init__(name="hj212-alarms", daemon=True)
        self.work = work
        self.queue: queue.SimpleQueue[BatchResult | None] = queue.SimpleQueue()
        self.done = 0
        self.calls = 0
        self.busy_seconds = 0.0
        self.longest_call = 0.0
        # Receipt times (epoch s) of the oldest packet queued and of the batches in work: the
        # event loop reads them to stop reading when the alarms fall behind.
        self._oldest_queued: float | None = None
        self._working_since: float | None = None

    def submit(self, result: BatchResult) -> None:
        if result.new_data or result.new_quarantine or result.findings:
            if self._oldest_queued is None:
                first = result.first_receipt
                self._oldest_queued = first.timestamp() if first is not None else time.time()
            self.queue.put(result)

    def lag(self) -> float:
        """Seconds since the receipt of the oldest packet whose batch is not yet evaluated
        (0: none waits): receipt -> commit -> alarm thread, the path to an alarm case."""
        since = [t for t in (self._working_since, self._oldest_queued) if t is not None]
        return time.time() - min(since) if since else 0.0

    def stop(self) -> None:
        self.queue.put(None)

    def run(self) -> None:
        from django.db import close_old_connections

        while True:
            result = self.queue.get()
            if result is None:
                break
            # Reset before draining: a batch queued meanwhile keeps an (older) stamp.
            self._working_since, self._oldest_queued = self._oldest_queued, None
            # Merge everything queued meanwhile: one evaluation per outlet and period, not one
            # per batch, so the alarm thread never falls behind the writer.
            merged = [result]
            while not self.queue.empty():
                more = self.queue.get()
                if more is None:
                    self.queue.put(None)
                    break
                merged.append(more)
            started = time.perf_counter()
            try:
                self.work(merged)
            except Exception:
                log.exception("alarm evaluation failed")
                close_old_connections()
            took = time.perf_counter() - started
            self.calls += 1
            self.busy_seconds += took
            self.longest_call = max(self.longest_call, took)
            self.done += len(merged)
            self._working_since = None
        close_old_connections()
