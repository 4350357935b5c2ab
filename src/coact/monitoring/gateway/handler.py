"""The per-connection HJ 212 logic without sockets (sans-IO): bytes in, items to store out.

One :class:`PacketHandler` per TCP connection. ``feed(data, now)`` frames the bytes with the
codec's ``Framer``, parses every frame with the tolerance of the device that sent it, checks
the MN and PW against the device directory, turns data uploads into reading values, and
returns one :class:`Item` per frame. An item is what the group-commit writer archives (every
frame, good or bad), the reading it stores, and the replies to send once it is durable.

Nothing here raises on bad input: a frame that breaks anything is archived as ``rejected``
with the reason, and the handler goes on with the next frame. Memory is bounded by the
Framer (about two frames), the split reassembler (``max_split_groups``) and the caller
taking the items.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coact.engines.hj212 import Framer, Packet, SplitReassembler, Tolerance, parse_frame
from coact.engines.hj212.codes import canonical_factor_code
from coact.engines.hj212.reply import Addressee, replies_for, time_calibration
from coact.monitoring import rules

log = logging.getLogger("coact.monitoring.gateway")

CHINA = dt.timezone(dt.timedelta(hours=8))  # DataTime/QN are Beijing time; China has no DST
MAX_STORED_FRAME = 12_000  # bytes of one archived frame (the codec caps a frame near 10 kB)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the gateway needs to know about a registered device (loaded from the database)."""

    pk: int
    mn: str
    password: str
    outlet_pk: int
    tolerance: Tolerance
    rule_set: str = "default"
    edition: str = ""
    decrypt_cp: Callable[[bytes], bytes] | None = None  # SM4 of an HJ 212-2025 device's key


@dataclass(slots=True)
class Item:
    """One received frame, as archived; plus the reading and replies it yields."""

    received_at: dt.datetime
    peer: str
    raw: bytes
    status: str  # accepted / rejected / framing / quarantined / ignored (PacketStatus)
    error: str = ""
    message: str = ""
    mn: str = ""
    cn: str = ""
    qn: str = ""
    device: DeviceInfo | None = None
    kind: str | None = None
    data_time: dt.datetime | None = None
    values: dict[str, dict[str, Any]] | None = None
    values_json: str | None = None  # ``values`` encoded, when the event loop did it already
    replies: list[bytes] = field(default_factory=list)
    findings: list[rules.Finding] = field(default_factory=list)
    quarantine: str | None = None
    sink: Any = None  # the connection that sends ``replies`` after the commit
    monotonic: float = 0.0


@dataclass
class Limits:
    """Per-connection limits: frame size, packet and byte rates (token buckets)."""

    max_segment: int = 9999  # the 4-digit length field's maximum (HJ 212 allows 1024; real 1623)
    packets_per_second: float = 20.0
    packet_burst: float = 200.0
    bytes_per_second: float = 256_000.0
    byte_burst: float = 1_000_000.0
    max_split_groups: int = 16


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self, amount: float, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


Directory = Callable[[str], DeviceInfo | None]


def peek_mn(frame: bytes) -> str:
    """The MN of a frame before parsing it (to pick the device's tolerance): ``MN=`` to ``;``."""
    at = frame.find(b"MN=")
    if at < 0:
        return ""
    end = frame.find(b";", at)
    value = frame[at + 3 : end if end > 0 else at + 67]
    return value[:64].decode("ascii", "replace")


def as_value(text: str) -> float | str:
    """A CP value as a number when it is one (flags and times stay text)."""
    try:
        number = float(text)
    except ValueError:
        return text
    return number if number == number and abs(number) != float("inf") else text


def reading_values(cp: dict[str, str], edition: str) -> tuple[dict[str, dict[str, Any]], dict]:
    """Per factor code (2005 codes mapped to 2017 ones) its fields; and the top-level fields."""
    values: dict[str, dict[str, Any]] = {}
    top: dict[str, str] = {}
    old_codes = edition == "2005"
    for name, text in cp.items():
        code, dash, suffix = name.rpartition("-")
        if not dash or not code:
            top[name] = text
            continue
        if old_codes:
            code = canonical_factor_code(code)
        fields = values.get(code)
        if fields is None:
            fields = values[code] = {}
        if suffix in TEXT_SUFFIXES:
            fields[suffix] = text
            continue
        try:  # inline: this runs for every value of every packet
            number = float(text)
            fields[suffix] = number if number - number == 0 else text  # NaN/inf stay text
        except ValueError:
            fields[suffix] = text
    return values, top


TEXT_SUFFIXES = frozenset({"Flag", "EFlag", "SampleTime", "Info", "SN", "CompleteTime"})


def fast_hj_time(text: str | None) -> dt.datetime | None:
    """``YYYYMMDDhhmmss`` (or 17 digits) -> naive datetime; about 10x faster than strptime."""
    if not text or len(text) not in (14, 17) or not text.isdigit():
        return None
    try:
        return dt.datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
        )
    except ValueError:
        return None


class PlausibleRanges:
    """Per factor code the (low, high) of rules.plausible_ranges, cached for the hot path."""

    def __init__(self, book: rules.RuleBook) -> None:
        self.book = book
        self.cache: dict[str, tuple[float | None, float | None]] = {}

    def outside(self, values: dict[str, dict[str, Any]]) -> bool:
        for code, fields in values.items():
            bounds = self.cache.get(code)
            if bounds is None:
                bounds = self.cache[code] = self.book.plausible_range(code)
            low, high = bounds
            for suffix in ("Rtd", "Avg", "Min", "Max"):
                value = fields.get(suffix)
                if value.__class__ is float and (
                    (low is not None and value < low) or (high is not None and value > high)
                ):
                    return True
        return False


_RANGES: dict[int, PlausibleRanges] = {}


def _ranges(book: rules.RuleBook) -> PlausibleRanges:
    found = _RANGES.get(id(book))
    if found is None:
        found = _RANGES[id(book)] = PlausibleRanges(book)
    return found


class PacketHandler:
    """HJ 212 protocol state of one connection. ``feed`` never raises."""

    def __init__(
        self,
        peer: str,
        directory: Directory,
        limits: Limits | None = None,
        book: rules.RuleBook | None = None,
    ) -> None:
        self.peer = peer
        self.directory = directory
        self.limits = limits or Limits()
        self.book = book or rules.rule_book()
        self.ranges = _ranges(self.book)
        self.framer = Framer(Tolerance(), max_segment=self.limits.max_segment)
        self.packets = TokenBucket(self.limits.packets_per_second, self.limits.packet_burst)
        self.bytes = TokenBucket(self.limits.bytes_per_second, self.limits.byte_burst)
        self.splits: SplitReassembler | None = None
        self.device: DeviceInfo | None = None
        self.dropped_bytes = 0
        self.dropped_packets = 0
        self.calibrated_at = 0.0
        self.counts: dict[str, int] = {}
        self._limited = False
        self._names: dict[str, frozenset[str]] = {}

    # --- input -----------------------------------------------------------------------------

    def feed(self, data: bytes, now: dt.datetime | None = None) -> list[Item]:
        now = now or dt.datetime.now(dt.UTC)
        tick = time.monotonic()
        if not self.bytes.take(len(data), tick):
            self.dropped_bytes += len(data)
            return self._limit_item(now, tick, "byte rate above the connection limit")
        try:
            results = self.framer.feed(data)
        except Exception as exc:  # the codec promises not to raise; belt and braces
            log.exception("framer failed on %s", self.peer)
            self.framer = Framer(Tolerance(), max_segment=self.limits.max_segment)
            return [self._item(now, data[:200], "framing", "internal", repr(exc)[:300])]
        items = []
        for result in results:
            if not self.packets.take(1, tick):
                self.dropped_packets += 1
                items.extend(self._limit_item(now, tick, "packet rate above the connection limit"))
                continue
            self._limited = False
            items.append(self._one(result, now, tick))
        return items

    def flush(self, now: dt.datetime | None = None) -> list[Item]:
        """At close or idle timeout: whatever the framer still holds, as framing errors."""
        now = now or dt.datetime.now(dt.UTC)
        try:
            results = self.framer.flush()
        except Exception:  # pragma: no cover - defensive
            return []
        return [self._one(r, now, time.monotonic()) for r in results]

    def _limit_item(self, now: dt.datetime, tick: float, message: str) -> list[Item]:
        if self._limited:
            return []  # one archived note per burst of dropped input, not one per frame
        self._limited = True
        return [self._item(now, b"", "rejected", "rate-limit", message)]

    def _item(self, now: dt.datetime, raw: bytes, status: str, error: str, message: str) -> Item:
        self.counts[error or status] = self.counts.get(error or status, 0) + 1
        return Item(now, self.peer, raw[:MAX_STORED_FRAME], status, error, message)

    def _one(self, result: Any, now: dt.datetime, tick: float) -> Item:
        try:
            if result.error is not None:
                error = result.error
                return self._item(
                    now, result.frame or b"", "framing", error.code, error.message[:300]
                )
            return self._packet(result.frame, now, tick)
        except Exception as exc:
            log.exception("frame from %s could not be handled", self.peer)
            return self._item(
                now, getattr(result, "frame", b"") or b"", "rejected", "internal", repr(exc)[:300]
            )

    # --- one frame -------------------------------------------------------------------------

    def _packet(self, frame: bytes, now: dt.datetime, tick: float) -> Item:
        device = self.directory(peek_mn(frame))
        tolerance = device.tolerance if device is not None else Tolerance()
        packet = parse_frame(
            frame,
            tolerance,
            received_on=now.astimezone(CHINA).date(),
            decrypt_cp=device.decrypt_cp if device is not None else None,
        )
        if not packet.ok:
            item = self._item(now, frame, "rejected", packet.code, packet.message[:300])
            partial = packet.packet
            if partial is not None:
                item.mn, item.cn, item.qn = partial.mn or "", partial.cn or "", partial.qn or ""
            item.device = device if device is not None and item.mn == device.mn else None
            return item
        item = Item(now, self.peer, frame[:MAX_STORED_FRAME], "accepted")
        item.mn, item.cn, item.qn = packet.mn or "", packet.cn or "", (packet.qn or "")[:20]
        item.monotonic = tick
        if device is None or device.mn != packet.mn:
            device = self.directory(packet.mn or "")
        if device is None:
            return self._quarantine(item, "unknown_device", f"MN {packet.mn!r} is not registered")
        if packet.pw != device.password:
            item.device = device
            return self._quarantine(item, "wrong_password", f"wrong PW for MN {packet.mn}")
        item.device = self.device = device
        self._data(item, packet, now)
        # The answer first (9014/9013, 1012 after a 1013), then any time calibration.
        item.replies = (
            replies_for(packet, now.astimezone(CHINA).replace(tzinfo=None)) + item.replies
        )
        self.counts["accepted"] = self.counts.get("accepted", 0) + 1
        return item

    def _quarantine(self, item: Item, reason: str, message: str) -> Item:
        item.status, item.error, item.message, item.quarantine = (
            "quarantined",
            reason,
            message,
            reason,
        )
        self.counts[reason] = self.counts.get(reason, 0) + 1
        return item

    def _data(self, item: Item, packet: Packet, now: dt.datetime) -> None:
        kind = rules.KIND_BY_CN.get(packet.cn or "")
        if kind is None:
            item.status = "ignored"
            return
        cp = packet.cp
        if packet.is_split:
            if self.splits is None:
                self.splits = SplitReassembler(max_groups=self.limits.max_split_groups)
            whole = self.splits.add(packet, now.replace(tzinfo=None))
            if whole is None:
                item.status, item.message = "ignored", f"split part {packet.pno}/{packet.pnum}"
                return
            cp = whole.cp
        values, top = reading_values(cp, packet.edition)
        local = fast_hj_time(top.get("DataTime") or top.get("RestartTime"))
        if local is None:
            item.status, item.error = "ignored", "no-datatime"
            item.message = f"CN {packet.cn} without a valid DataTime: archived, no reading"
            return
        item.kind, item.values = kind, values
        item.data_time = local.replace(tzinfo=CHINA)
        if kind == "restart" and "RestartTime" in top:
            values["_restart"] = {"RestartTime": top["RestartTime"]}
        self._packet_checks(item, packet, now)

    def _rule_names(self, rule_set: str) -> frozenset[str]:
        names = self._names.get(rule_set)
        if names is None:
            names = self._names[rule_set] = frozenset(self.book.rule_sets.get(rule_set, ()))
        return names

    def _packet_checks(self, item: Item, packet: Packet, now: dt.datetime) -> None:
        """Per-packet alarms (impossible values; clock drift of realtime data) and the 1012
        time calibration a drifting clock gets (at most once an hour per connection)."""
        names = self._rule_names(item.device.rule_set if item.device else "default")
        if "impossible_value" in names and item.values and self.ranges.outside(item.values):
            rule = self.book.rules["impossible_value"]
            item.findings.extend(
                rules.impossible_values(self.book, rule, item.values, item.data_time)
            )
        if "clock_drift" in names and item.kind == "rtd" and not packet.resent:
            rule = self.book.rules["clock_drift"]
            finding = rules.clock_drift(rule, item.data_time, now)
            if finding is not None:
                item.findings.append(finding)
                tick = time.monotonic()
                due = not self.calibrated_at or tick - self.calibrated_at > 3600
                if rule.get("calibrate") and due:
                    self.calibrated_at = tick
                    target = Addressee(
                        mn=packet.mn or "",
                        pw=packet.pw or "",
                        st=packet.st or "31",
                        edition=packet.edition,
                    )
                    local_now = now.astimezone(CHINA).replace(tzinfo=None)
                    item.replies.append(time_calibration(target, local_now))
