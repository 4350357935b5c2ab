"""The asyncio HJ 212 gateway: many device connections, one group-commit writer.

``coact hj212 gateway --port 9212`` runs one process. Production runs several processes on
one port with ``--reuse-port`` (Linux SO_REUSEPORT spreads new connections over them) or one
process per port; each has its own writer (PostgreSQL takes concurrent writers; SQLite
serialises them, so one gateway process per SQLite file).

Per connection: a :class:`~.handler.PacketHandler` (framing, parsing, checks, limits), an
idle timeout, and back-pressure: when the writer's queue grows past ``high_water`` items,
every connection stops reading until it drains below ``low_water``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .handler import DeviceInfo, Item, Limits, PacketHandler
from .store import encode_values
from .writer import AfterCommitWorker, GroupCommitWriter

log = logging.getLogger("coact.monitoring.gateway")


@dataclass
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 9212
    reuse_port: bool = False
    idle_timeout: float = 600.0  # s without a byte (HJ 212 realtime interval is 30-3600 s)
    max_connections: int = 20_000
    high_water: int = 50_000
    low_water: int = 10_000
    max_batch: int = 5000
    linger: float = 0.004
    limits: Limits = field(default_factory=Limits)
    directory_refresh: float = 15.0
    alarms: bool = True
    alarms_inline: bool = False  # True: alarm rules in the writer thread (delays the acks)
    # Stop reading while a received packet has waited this many seconds for its commit or its
    # alarm evaluation: beyond the machine's capacity the wait moves into the devices' TCP
    # buffers (later answers; devices resend after 10 s), not between receipt and alarm case.
    alarm_lag_limit: float = 1.0


def _inline(after_batch: Callable[[list[Any]], None]) -> Callable[[Any], None]:
    def run(result: Any) -> None:
        if result.new_data or result.new_quarantine or result.findings:
            after_batch([result])

    return run


class DeviceDirectoryCache:
    """MN -> DeviceInfo, replaced wholesale by ``refresh`` (from the writer thread)."""

    def __init__(self, loader: Callable[[], dict[str, DeviceInfo]]) -> None:
        self.loader = loader
        self.devices: dict[str, DeviceInfo] = {}

    def refresh(self) -> None:
        self.devices = self.loader()

    def __call__(self, mn: str) -> DeviceInfo | None:
        return self.devices.get(mn)


class GatewayProtocol(asyncio.Protocol):
    __slots__ = ("gateway", "handler", "last_activity", "open", "peer", "transport")

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.last_activity = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peername = transport.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peername[0]}:{peername[1]}"
        gateway = self.gateway
        if len(gateway.connections) >= gateway.config.max_connections:
            transport.close()
            return
        self.open = True
        self.handler = PacketHandler(self.peer, gateway.directory, gateway.config.limits)
        gateway.connections.add(self)
        if gateway.paused_all:
            self.pause()

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        gateway = self.gateway
        items = self.handler.feed(data)
        submit = gateway.writer.submit
        for item in items:
            item.sink = self
            if item.values is not None:
                # Here, not in the writer: the writer is the serial stage of the pipeline
                # (JSON was a fifth of its time); the event loop has slack between reads.
                item.values_json = encode_values(item.values)
            submit(item)
        gateway.received += len(items)
        if not gateway.paused_all and gateway.writer.backlog > gateway.config.high_water:
            gateway.pause_all()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.open:
            return
        self.open = False
        self.gateway.connections.discard(self)
        try:
            for item in self.handler.flush():
                self.gateway.writer.submit(item)
        except Exception:  # pragma: no cover - defensive
            log.exception("flush on close failed for %s", self.peer)

    def pause(self) -> None:
        if self.open and self.transport is not None:
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.open and self.transport is not None:
            self.transport.resume_reading()

    def send(self, data: bytes) -> None:
        if self.open and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        directory: DeviceDirectoryCache,
        after_batch: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.directory = directory
        self.connections: set[GatewayProtocol] = set()
        self.paused_all = False
        self.alarm_pauses = 0
        self.received = 0
        self.acked = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        # Alarms run in their own thread so that opening a case never delays the acks; on
        # SQLite both threads take DB_WRITE_LOCK around their writes (see writer.py).
        inline = config.alarms_inline
        self.alarm_worker = AfterCommitWorker(after_batch) if after_batch and not inline else None
        post: Callable[[Any], None] | None = None
        if after_batch is not None:
            post = self.alarm_worker.submit if self.alarm_worker else _inline(after_batch)
        self.writer = GroupCommitWriter(
            self._committed_threadsafe,
            post,
            periodic=self._refresh_directory,
            max_batch=config.max_batch,
            linger=config.linger,
        )
        self._last_refresh = 0.0
        self.server: asyncio.base_events.Server | None = None

    def _refresh_directory(self) -> None:
        now = time.monotonic()
        if now - self._last_refresh >= self.config.directory_refresh:
            self._last_refresh = now
            self.directory.refresh()

    def _committed_threadsafe(self, batch: list[Item]) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self._send_acks, batch)

    def _send_acks(self, batch: list[Item]) -> None:
        by_sink: dict[Any, list[bytes]] = defaultdict(list)
        for item in batch:
            if item.replies and item.sink is not None:
                by_sink[item.sink].extend(item.replies)
                self.acked += 1
        for sink, replies in by_sink.items():
            sink.send(b"".join(replies))
        if self.paused_all and self._relieved():
            self.resume_all()

    def _alarm_lag(self) -> float:
        """Receipt -> evaluation delay now: the older of the writer's and the alarm thread's."""
        alarm = self.alarm_worker.lag() if self.alarm_worker is not None else 0.0
        return max(alarm, self.writer.lag())

    def _relieved(self) -> bool:
        return (
            self.writer.backlog < self.config.low_water
            and self._alarm_lag() < self.config.alarm_lag_limit / 2
        )

    async def _watch_alarm_lag(self) -> None:
        """Every 50 ms: pause reading while the alarms lag (resume: ``_send_acks`` or here)."""
        limit = self.config.alarm_lag_limit
        while True:
            await asyncio.sleep(0.05)
            if not self.paused_all and self._alarm_lag() > limit:
                self.alarm_pauses += 1
                self.pause_all()
            elif self.paused_all and self._relieved():
                self.resume_all()

    def pause_all(self) -> None:
        self.paused_all = True
        for connection in self.connections:
            connection.pause()

    def resume_all(self) -> None:
        self.paused_all = False
        for connection in self.connections:
            connection.resume()

    async def _sweep_idle(self) -> None:
        timeout = self.config.idle_timeout
        while True:
            await asyncio.sleep(min(5.0, timeout / 2))
            limit = time.monotonic() - timeout
            for connection in [c for c in self.connections if c.last_activity < limit]:
                if connection.transport is not None:
                    connection.transport.close()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        # The ORM may not run in the event loop's thread: load the directory in a worker.
        await self.loop.run_in_executor(None, self.directory.refresh)
        self._last_refresh = time.monotonic()
        if self.alarm_worker is not None:
            self.alarm_worker.start()
        self.writer.start()
        await asyncio.get_running_loop().run_in_executor(None, self.writer.ready.wait)
        self.server = await self.loop.create_server(
            lambda: GatewayProtocol(self),
            self.config.host,
            self.config.port,
            reuse_port=self.config.reuse_port or None,
            backlog=4096,
        )
        self._sweeper = asyncio.ensure_future(self._sweep_idle())
        self._watcher = (
            asyncio.ensure_future(self._watch_alarm_lag()) if self.alarm_worker else None
        )

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        await asyncio.sleep(0.05)
        self.writer.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.writer.join, 30)
        if self.alarm_worker is not None:
            self.alarm_worker.stop()
            await asyncio.get_running_loop().run_in_executor(None, self.alarm_worker.join, 30)
        self._sweeper.cancel()
        if self._watcher is not None:
            self._watcher.cancel()

    def status(self) -> dict[str, Any]:
        return {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "connections": len(self.connections),
            "received": self.received,
            "acked": self.acked,
            "committed": self.writer.committed_items,
            "batches": self.writer.committed_batches,
            "backlog": self.writer.backlog,
            "devices": len(self.directory.devices),
            **self._alarm_status(),
        }

    def _alarm_status(self) -> dict[str, Any]:
        worker = self.alarm_worker
        if worker is None:
            return {}
        return {
            "alarm_batches": worker.done,
            "alarm_calls": worker.calls,
            "alarm_busy_s": round(worker.busy_seconds, 2),
            "alarm_longest_s": round(worker.longest_call, 3),
            "alarm_queue": worker.queue.qsize(),
            "alarm_lag_s": round(worker.lag(), 3),
            "alarm_pauses": self.alarm_pauses,
        }


async def serve(gateway: Gateway, stop_after: float | None = None, status_every: float = 0) -> None:
    """Run until SIGINT/SIGTERM (or ``stop_after`` seconds), then drain and stop."""
    await gateway.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    print(f"hj212 gateway listening on {gateway.config.host}:{gateway.config.port}", flush=True)
    started = time.monotonic()
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=status_every or 1.0)
        if status_every:
            print(gateway.status(), flush=True)
        if stop_after is not None and time.monotonic() - started >= stop_after:
            break
    await gateway.stop()
