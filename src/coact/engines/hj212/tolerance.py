"""Per-device tolerance of the deviations real HJ 212 devices show (shared/reference/hj212.md
sections 2, 3 and 8). Strict by default: a gateway opts a device in after seeing its packets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

# Public names (CLI --tolerate, device configuration) -> dataclass field.
_NAMES = {
    "wrong-length": "wrong_length",
    "swapped-crc": "swapped_crc",
    "modbus-crc": "modbus_crc",
    "ignore-crc": "ignore_crc",
    "lowercase-hex": "lowercase_hex",
    "char-count": "char_count",
    "missing-crlf": "missing_crlf",
}


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Which deviations from HJ 212 framing are accepted (and recorded as quirks).

    Defaults: everything that weakens the integrity checks is off. Two readings of the standard
    itself are on, because the text allows them and conforming libraries differ:

    * ``lowercase_hex`` (on): the CRC hex digits may be lower case. The standard's example is upper
      case, but it does not forbid lower case and common libraries emit it (hj212.md section 2).
    * ``char_count`` (on): for non-ASCII (Chinese) content the length and CRC may count UTF-16
      characters instead of UTF-8 bytes; the standard says "ASCII 字符数" and implementations
      differ (hj212.md section 2). Bytes are tried first.

    Opt-in quirks:

    * ``wrong_length``: accept a length field that does not match (e.g. real length + 6).
    * ``swapped_crc``: accept CRC-16/MODBUS printed with its two bytes swapped (2020 server log).
    * ``modbus_crc``: accept CRC-16/MODBUS printed high byte first.
    * ``ignore_crc``: accept any CRC (hand-made test clients; never for production devices).
    * ``missing_crlf``: accept frames ended by LF only, or by nothing (next ``##`` / end of stream).
    * ``max_segment``: the largest data segment accepted (the 4-digit field allows 9999; the
      standard's limit is 1024 and real devices send more, so above 1024 is only a warning).
    """

    wrong_length: bool = False
    swapped_crc: bool = False
    modbus_crc: bool = False
    ignore_crc: bool = False
    lowercase_hex: bool = True
    char_count: bool = True
    missing_crlf: bool = False
    max_segment: int = 9999

    @classmethod
    def strict(cls) -> Tolerance:
        """Nothing tolerated, not even lower-case hex or character counting."""
        return cls(lowercase_hex=False, char_count=False)

    @classmethod
    def lenient(cls) -> Tolerance:
        """Every quirk tolerated (for forensics on captured traffic, not for production)."""
        return cls(**{attr: True for attr in _NAMES.values()})

    @classmethod
    def from_names(cls, names: str | Iterable[str], base: Tolerance | None = None) -> Tolerance:
        """Build from names such as ``"wrong-length,swapped-crc"``; ``all``, ``none``, ``strict``.

        A name prefixed with ``no-`` turns a flag off (e.g. ``no-lowercase-hex``).
        Raises ValueError naming the unknown entry and the valid ones.
        """
        items = names.split(",") if isinstance(names, str) else list(names)
        result = base or cls()
        for raw in items:
            name = raw.strip()
            if not name:
                continue
            if name == "all":
                result = cls.lenient()
            elif name in ("none", "strict"):
                result = cls.strict()
            elif name in _NAMES:
                result = replace(result, **{_NAMES[name]: True})
            elif name.startswith("no-") and name[3:] in _NAMES:
                result = replace(result, **{_NAMES[name[3:]]: False})
            else:
                known = ", ".join([*_NAMES, "all", "none"])
                raise ValueError(f"unknown tolerance {name!r}; known: {known}")
        return result

    def names(self) -> tuple[str, ...]:
        """The enabled flags by public name (for logs and docs)."""
        return tuple(name for name, attr in _NAMES.items() if getattr(self, attr))


TOLERANCE_NAMES = tuple(_NAMES)
DEFAULT = Tolerance()
