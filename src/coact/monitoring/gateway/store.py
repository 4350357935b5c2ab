"""Durable storage of one batch of gateway items, in one transaction (group commit).

The writer thread calls :meth:`BatchStore.write` with every item collected in the last few
milliseconds; only after it returns (the transaction committed) are the batch's replies sent.
SQLite runs in WAL mode with ``synchronous=FULL`` on this connection, so a committed batch
survives a crash of the process and of the machine; PostgreSQL commits are durable with its
default ``synchronous_commit=on``. Rows are written with ``executemany`` (no model ``save``):
at thousands of packets per second the ORM's per-object cost would dominate (PostgreSQL:
``COPY``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from coact.core.bulk import copy_rows

from .handler import Item

LAST_SEEN_EVERY = dt.timedelta(seconds=30)  # a device's last_seen is refreshed at most this often

# One encoder for every reading: json.dumps with options builds a new encoder per call.
encode_values = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def datetime_adapter(connection: Any) -> Callable[[dt.datetime], Any]:
    """The connection's ``adapt_datetimefield_value``; for SQLite in UTC, a direct equivalent
    (``str`` of the naive UTC time, Django's own text) without its per-call checks, which
    were a tenth of the writer's time at 5,000 packets/s."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone is not dt.UTC:
        return adapt
    utc = dt.UTC

    def stamp(value: dt.datetime) -> Any:
        if value.__class__ is not dt.datetime or value.tzinfo is None:
            return adapt(value)
        return str(value.astimezone(utc).replace(tzinfo=None))

    return stamp


@dataclass
class BatchResult:
    """What the post-commit work (alarms, webhooks) needs to know about a stored batch."""

    items: int = 0
    readings: int = 0
    first_receipt: dt.datetime | None = None  # of the batch's first item (the oldest)
    # outlet pk -> {kind: the data_times stored in this batch}
    new_data: dict[int, dict[str, set[dt.datetime]]] = field(default_factory=dict)
    new_quarantine: list[Item] = field(default_factory=list)
    findings: list[Item] = field(default_factory=list)
    earliest_receipt: dict[tuple[int, str], dt.datetime] = field(default_factory=dict)
    # (outlet pk, kind, data_time) -> values, for hourly and daily readings: lets the
    # exceedance rules skip the database when the new period is under every limit.
    period_values: dict[tuple[int, str, dt.datetime], dict[str, Any]] = field(default_factory=dict)


ROWS_PER_STATEMENT = 500  # x 11 columns = 5,500 parameters, far below SQLite's limit


def insert_batch(
    cursor: Any, head: str, row: str, tail: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """SQLite: ``INSERT ... VALUES (...), (...), ...`` with up to ROWS_PER_STATEMENT rows a
    statement; PostgreSQL: ``COPY`` (``coact.core.bulk.copy_rows``); others: ``executemany``.

    SQLite: one statement per 500 rows, not one step per row (``executemany``): each step
    releases and retakes the GIL, and while the event loop holds it every retake waits up
    to the switch interval (5 ms), so a per-row insert made the writer crawl under load."""
    if cursor.db.vendor == "postgresql":
        table, names = _insert_target(head)
        # COPY (see coact.core.bulk); the tail here is always an ON CONFLICT ... DO NOTHING.
        copy_rows(cursor.cursor, table, ", ".join(names), rows, ignore_conflicts=bool(tail))
        return
    if cursor.db.vendor != "sqlite":
        cursor.executemany(head + row + tail, rows)
        return
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        key = (head, row, tail, len(chunk))
        sql = _STATEMENTS.get(key)
        if sql is None:
            # "?" placeholders on the driver's cursor: Django would rewrite the 5,500 "%s"
            # of the statement with a regular expression at every call.
            sql = head + ", ".join([row] * len(chunk)) + tail
            sql = _STATEMENTS[key] = sql.replace("%s", "?")
        sqlite3.Cursor.execute(cursor.cursor, sql, [v for values in chunk for v in values])


_STATEMENTS: dict[tuple[str, str, str, int], str] = {}


def _insert_target(head: str) -> tuple[str, list[str]]:
    """``"INSERT INTO t (a, b) VALUES "`` -> ``("t", ["a", "b"])``."""
    before, _, after = head.partition("(")
    table = before.removeprefix("INSERT INTO").strip()
    names = [name.strip() for name in after.rpartition(")")[0].split(",")]
    return table, names


class BatchStore:
    """Writes batches through the Django connection of the calling thread."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.seen: dict[int, dt.datetime] = {}
        self.known_quarantine: set[tuple[str, str]] | None = None
        self._stamp: Callable[[dt.datetime], Any] | None = None

    @property
    def stamp(self) -> Callable[[dt.datetime], Any]:
        if self._stamp is None:
            self._stamp = datetime_adapter(self.connection)
        return self._stamp

    @property
    def connection(self) -> Any:
        return connections[self.using]

    def prepare(self) -> None:
        """Per-connection durability settings (SQLite: WAL + synchronous=FULL)."""
        self.connection.ensure_connection()
        if self.connection.vendor == "sqlite":
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
                # 64 MB of page cache (default 2 MB): the archive's five indexes stay in memory.
                cursor.execute("PRAGMA cache_size=-65536")

    def _json(self) -> str:
        return "%s::jsonb" if self.connection.vendor == "postgresql" else "%s"

    def write(
        self, items: Sequence[Item], lock: AbstractContextManager[Any] | None = None
    ) -> BatchResult:
        """Store ``items`` in one transaction. ``lock`` (the writer's DB_WRITE_LOCK) is held
        only around the SQL: the rows are built before, so the alarm thread waits for the
        database work alone, not for the Python work of the batch."""
        stamp = self.stamp
        result = BatchResult(
            items=len(items), first_receipt=items[0].received_at if items else None
        )
        raw_rows, reading_rows = [], []
        quarantine: dict[tuple[str, str], Item] = {}
        quarantine_counts: dict[tuple[str, str], int] = defaultdict(int)
        last_received: dt.datetime | None = None
        received = ""
        for item in items:
            device = item.device
            if item.received_at is not last_received:  # one feed's items share the moment
                last_received = item.received_at
                received = stamp(last_received)
            raw_rows.append(
                (
                    received,
                    item.peer[:64],
                    item.mn[:64],
                    item.cn[:8],
                    item.qn[:20],
                    device.pk if device else None,
                    device.outlet_pk if device else None,
                    item.status,
                    item.error[:40],
                    item.message[:300],
                    item.raw,
                )
            )
            if item.quarantine:
                key = (item.mn[:64], item.quarantine)
                quarantine[key] = item
                quarantine_counts[key] += 1
            if item.findings:
                result.findings.append(item)
            if item.values is not None and device is not None and item.data_time is not None:
                reading_rows.append(
                    (
                        device.outlet_pk,
                        device.pk,
                        item.kind,
                        stamp(item.data_time),
                        received,
                        item.qn[:20],
                        item.values_json or encode_values(item.values),
                    )
                )
                if item.kind in ("hour", "day"):
                    result.period_values[(device.outlet_pk, item.kind, item.data_time)] = (
                        item.values
                    )
                kinds = result.new_data.setdefault(device.outlet_pk, {})
                kinds.setdefault(item.kind or "", set()).add(item.data_time)
                key = (device.outlet_pk, item.kind or "")
                if key not in result.earliest_receipt:
                    result.earliest_receipt[key] = item.received_at
        with (
            lock or contextlib.nullcontext(),
            transaction.atomic(using=self.using),
            self.connection.cursor() as cursor,
        ):
            insert_batch(
                cursor,
                "INSERT INTO monitoring_rawpacket (received_at, peer, mn, cn, qn, device_id,"
                " outlet_id, status, error, message, data) VALUES ",
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                "",
                raw_rows,
            )
            if reading_rows:
                insert_batch(
                    cursor,
                    "INSERT INTO monitoring_reading (outlet_id, device_id, kind, data_time,"
                    ' received_at, qn, "values") VALUES ',
                    "(%s, %s, %s, %s, %s, %s, " + self._json() + ")",
                    " ON CONFLICT (device_id, kind, data_time) DO NOTHING",
                    reading_rows,
                )
            if quarantine:
                result.new_quarantine = self._quarantine(cursor, quarantine, quarantine_counts)
            self._last_seen(cursor, items)
        result.readings = len(reading_rows)
        return result

    def _quarantine(
        self, cursor: Any, entries: dict[tuple[str, str], Item], counts: dict[tuple[str, str], int]
    ) -> list[Item]:
        stamp = self.stamp
        if self.known_quarantine is None:
            cursor.execute("SELECT mn, reason FROM monitoring_quarantineentry")
            self.known_quarantine = {(mn, reason) for mn, reason in cursor.fetchall()}
        new = [item for key, item in entries.items() if key not in self.known_quarantine]
        cursor.executemany(
            "INSERT INTO monitoring_quarantineentry (mn, reason, device_id, first_seen, last_seen,"
            " count, last_peer, last_packet) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (mn, reason) DO UPDATE SET last_seen = excluded.last_seen,"
            " count = monitoring_quarantineentry.count + excluded.count,"
            " last_peer = excluded.last_peer, last_packet = excluded.last_packet",
            [
                (
                    mn,
                    reason,
                    item.device.pk if item.device else None,
                    stamp(item.received_at),
                    stamp(item.received_at),
                    counts[(mn, reason)],
                    item.peer[:64],
                    item.raw[:2000],
                )
                for (mn, reason), item in entries.items()
            ],
        )
        self.known_quarantine.update(entries)
        return new

    def _last_seen(self, cursor: Any, items: Sequence[Item]) -> None:
        stamp = self.stamp
        latest: dict[int, Item] = {}
        for item in items:
            if item.device is not None and item.status in ("accepted", "ignored"):
                latest[item.device.pk] = item
        due = []
        for pk, item in latest.items():
            before = self.seen.get(pk)
            if before is None or item.received_at - before >= LAST_SEEN_EVERY:
                self.seen[pk] = item.received_at
                due.append((pk, item))
        if not due:
            return
        cursor.executemany(
            "UPDATE monitoring_device SET last_seen = %s, last_peer = %s WHERE id = %s",
            [(stamp(i.received_at), i.peer[:64], pk) for pk, i in due],
        )
        outlets = {i.device.outlet_pk: i.received_at for _pk, i in due if i.device}
        cursor.executemany(
            "UPDATE monitoring_outlet SET last_seen = %s WHERE id = %s",
            [(stamp(moment), pk) for pk, moment in outlets.items()],
        )
