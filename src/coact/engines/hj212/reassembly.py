"""Reassemble split HJ 212 uploads (Flag bit 1, PNUM/PNO; HJ 212-2017 section 6.3.2, App. C.50).

Each part carries its own QN (and gets its own answer), so parts are grouped by
(MN, CN, DataTime, PNUM), not by QN (shared/reference/hj212.md section 5). Memory is bounded:
at most ``max_groups`` incomplete groups, each dropped ``max_age`` after its first part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from coact.engines.hj212.packet import Packet

GroupKey = tuple[str, str, str, int]


@dataclass(slots=True)
class Reassembled:
    """The parts of one upload in PNO order, and their CP fields merged (first value wins)."""

    mn: str | None
    cn: str | None
    data_time: str | None
    parts: list[Packet]
    cp: dict[str, str] = field(default_factory=dict)

    @property
    def cp_items(self) -> list[tuple[str, str]]:
        return [item for part in self.parts for item in part.cp_items]


@dataclass(slots=True)
class _Group:
    first_seen: dt.datetime
    pnum: int
    parts: dict[int, Packet]


class SplitReassembler:
    """Collect split packets until every PNO 1..PNUM has arrived.

    ``add`` returns a ``Reassembled`` when the packet completes a group (an unsplit packet is a
    group of one) and None otherwise. Duplicated parts (resends) keep the first copy.
    """

    def __init__(self, max_groups: int = 1000, max_age: dt.timedelta | None = None) -> None:
        self.max_groups = max_groups
        self.max_age = max_age or dt.timedelta(minutes=10)
        self._groups: dict[GroupKey, _Group] = {}
        self.dropped = 0  # incomplete groups given up (expired or evicted)

    def __len__(self) -> int:
        return len(self._groups)

    def add(self, packet: Packet, now: dt.datetime) -> Reassembled | None:
        self.expire(now)
        if packet.pnum is None or packet.pnum <= 1:
            return self._complete([packet])
        key = (packet.mn or "", packet.cn or "", packet.cp.get("DataTime", ""), packet.pnum)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.max_groups:
                oldest = min(self._groups, key=lambda k: self._groups[k].first_seen)
                del self._groups[oldest]
                self.dropped += 1
            group = self._groups[key] = _Group(now, packet.pnum, {})
        group.parts.setdefault(packet.pno or 1, packet)
        if all(number in group.parts for number in range(1, group.pnum + 1)):
            del self._groups[key]
            return self._complete([group.parts[n] for n in range(1, group.pnum + 1)])
        return None

    def expire(self, now: dt.datetime) -> int:
        """Drop groups whose first part is older than ``max_age``; how many were dropped."""
        old = [k for k, g in self._groups.items() if now - g.first_seen > self.max_age]
        for key in old:
            del self._groups[key]
        self.dropped += len(old)
        return len(old)

    @staticmethod
    def _complete(parts: list[Packet]) -> Reassembled:
        merged: dict[str, str] = {}
        for part in parts:
            for name, value in part.cp.items():
                merged.setdefault(name, value)
        first = parts[0]
        return Reassembled(first.mn, first.cn, first.cp.get("DataTime"), parts, merged)
