"""Remembered packet layouts: a device sends the same field names in the same order every time.

The conforming fast path of ``packet.parse_frame`` splits a segment at ``;``, ``,`` and ``=``
and builds two dicts (about 6 µs for a 600-byte hourly packet, most of it making and hashing
~140 strings). Once a device's packet of a given CN has been parsed that way, its layout (the
header names, the CP names and the separators between them) is kept as one compiled regular
expression with the names as literals: the next packet of that device and CN is parsed by one
``fullmatch`` that yields only the values, and the dicts are built from the remembered name
tuples, whose hashes are cached. A packet matching the pattern splits exactly as the general
path would split it (values cannot contain ``;``, ``,`` or ``=``); anything else fails the
match and takes the general path, which then learns the new layout.

Bounded: at most ``max_layouts`` compiled patterns (shared by every device with the same
layout; ~15 kB each for a 77-field hourly layout, measured) and ``max_keys`` (MN, CN)
entries; when either is full nothing new is learnt, so a fleet with too many layouts costs a
dict lookup per packet, never a recompilation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VALUE = "([^;,=]*)"  # a value as the general path cuts it


@dataclass(frozen=True, slots=True)
class Layout:
    """The names of a packet in order, and the pattern that matches packets laid out alike."""

    pattern: re.Pattern[str]
    header_names: tuple[str, ...]
    cp_names: tuple[str, ...]
    # The CP names as a dict: copying it and updating the values is ~40 % faster than
    # dict(zip(...)) (no resizing on the way, hashes already stored).
    cp_template: dict[str, str | None]

    def cp(self, values: tuple[str, ...]) -> dict[str, str]:
        """The flat CP mapping from the match's values (the header's come first)."""
        fields = self.cp_template.copy()
        fields.update(zip(self.cp_names, values[len(self.header_names) :], strict=True))
        return fields  # type: ignore[return-value]


class LayoutCache:
    """(MN, CN) -> the layout last parsed for them; layouts shared between devices."""

    def __init__(self, max_keys: int = 65_536, max_layouts: int = 2_048) -> None:
        self.max_keys = max_keys
        self.max_layouts = max_layouts
        self._by_key: dict[bytes, Layout] = {}
        self._by_shape: dict[tuple[tuple[str, ...], tuple[str, ...], str], Layout] = {}

    def __len__(self) -> int:
        return len(self._by_shape)

    def get(self, segment: bytes) -> Layout | None:
        return self._by_key.get(device_key(segment))

    def learn(self, segment: bytes, header: dict[str, str], cp: dict[str, str], body: str) -> None:
        """Remember the layout of a packet the general fast path has just accepted."""
        key = device_key(segment)
        shape = (tuple(header), tuple(cp), _separators(body))
        layout = self._by_shape.get(shape)
        if layout is None:
            if len(self._by_shape) >= self.max_layouts:
                return
            layout = Layout(_compile(*shape), shape[0], shape[1], dict.fromkeys(shape[1]))
            self._by_shape[shape] = layout
        if key in self._by_key or len(self._by_key) < self.max_keys:
            self._by_key[key] = layout


def device_key(segment: bytes) -> bytes:
    """What identifies a device and CN, as a bytes key, without decoding: when the header starts
    with QN (as HJ 212-2017 6.3.2 orders it), the header after the QN (ST, CN, PW, MN, Flag:
    the same in every packet of a device and CN; one find and one slice); else the MN and CN
    values (devices that order their header otherwise)."""
    if segment.startswith(b"QN="):
        start = segment.find(b";") + 1
        end = segment.find(b"CP=&&", start)
        if start and end > 0:
            return segment[start:end]
    return _value_after(segment, b"MN=") + b"|" + _value_after(segment, b"CN=")


def _value_after(segment: bytes, name: bytes) -> bytes:
    start = segment.find(name)
    if start < 0:
        return b""
    start += len(name)
    end = segment.find(b";", start)
    return segment[start:end] if end >= 0 else segment[start : start + 32]


_KEEP_SEPARATORS = bytes(b for b in range(256) if b not in b";,")


def _separators(body: str) -> str:
    """The ``;`` and ``,`` between the CP items, in order."""
    return body.encode("ascii").translate(None, _KEEP_SEPARATORS).decode("ascii")


def _compile(header: tuple[str, ...], cp: tuple[str, ...], separators: str) -> re.Pattern[str]:
    """``QN=(v);ST=(v);...;CP=&&DataTime=(v);a21026-Rtd=(v),a21026-Flag=(v)&&``."""
    head = "".join(f"{re.escape(name)}={_VALUE};" for name in header)
    items = [f"{re.escape(name)}={_VALUE}" for name in cp]
    body = "".join(item + re.escape(sep) for item, sep in zip(items, separators, strict=False))
    body += items[-1] if len(items) > len(separators) else ""
    return re.compile(f"{head}CP=&&{body}&&")
