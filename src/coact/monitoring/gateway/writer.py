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
# write transactions instead: the handoff is immediate and neither starves.
DB_WRITE_LOCK = threading.Lock()


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
            if self.linger and not self._stopping.is_set():
                time.sleep(self.linger)  # let more items join this commit
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
                with DB_WRITE_LOCK:
                    result = self.store.write(batch)
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

    def submit(self, result: BatchResult) -> None:
        if result.new_data or result.new_quarantine or result.findings:
            self.queue.put(result)

    def stop(self) -> None:
        self.queue.put(None)

    def run(self) -> None:
        from django.db import close_old_connections

        while True:
            result = self.queue.get()
            if result is None:
                break
            # Merge everything queued meanwhile: one evaluation per outlet and period, not one
            # per batch, so the alarm thread never falls behind the writer.
            merged = [result]
            while not self.queue.empty():
                more = self.queue.get()
                if more is None:
                    self.queue.put(None)
                    break
                merged.append(more)
            try:
                self.work(merged)
            except Exception:
                log.exception("alarm evaluation failed")
                close_old_connections()
            self.done += len(merged)
        close_old_connections()
