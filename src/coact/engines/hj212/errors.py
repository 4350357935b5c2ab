"""Why an HJ 212 frame or packet was rejected: a stable machine-readable code and a message.

The codes are part of the gateway's interface (logged, counted, shown per device), so they
never change meaning; new reasons get new codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coact.engines.hj212.packet import Packet

# Framing (Framer) reasons.
GARBAGE = "garbage"  # bytes outside any frame were discarded
BAD_LENGTH_FIELD = "bad-length-field"  # "##" not followed by 4 decimal digits
OVERSIZE = "oversize"  # length field or frame above the configured maximum
MISSING_CRLF = "missing-crlf"  # frame not ended by CR LF (tolerance "missing-crlf")
TRUNCATED = "truncated"  # the stream ended inside a frame

# Packet (parse_frame) reasons.
NO_HEADER = "no-header"  # does not start with "##"
TOO_SHORT = "too-short"  # fewer than the 10 bytes of "##" + length + CRC
BAD_CRC_FIELD = "bad-crc-field"  # last 4 characters are not hex digits
LOWERCASE_CRC = "lowercase-crc"  # lower-case hex while the tolerance forbids it
CRC_MISMATCH = "crc-mismatch"  # CRC field differs from the HJ 212 CRC of the data segment
LENGTH_MISMATCH = "length-mismatch"  # length field differs from the data segment's length
ENCRYPTED_CP = "encrypted-cp"  # CP region is not text (HJ 212-2025 SM4?) and no key was given
BAD_ENCODING = "bad-encoding"  # header bytes are not UTF-8
BAD_CP = "bad-cp"  # no "CP=&&...&&" region
MISSING_FIELD = "missing-field"  # a required header field (CN) is absent
BAD_FLAG = "bad-flag"  # Flag is not an integer 0..255
BAD_PACKET_NUMBER = "bad-packet-number"  # PNUM/PNO not a positive integer

ALL_CODES = (
    GARBAGE,
    BAD_LENGTH_FIELD,
    OVERSIZE,
    MISSING_CRLF,
    TRUNCATED,
    NO_HEADER,
    TOO_SHORT,
    BAD_CRC_FIELD,
    LOWERCASE_CRC,
    CRC_MISMATCH,
    LENGTH_MISMATCH,
    ENCRYPTED_CP,
    BAD_ENCODING,
    BAD_CP,
    MISSING_FIELD,
    BAD_FLAG,
    BAD_PACKET_NUMBER,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A frame or packet that was not accepted.

    ``code`` is one of ``ALL_CODES``; ``message`` says what was wrong and where;
    ``packet`` is the partially parsed packet when one could be built (fields, CP), so a
    gateway can still log who sent it; ``frame`` is the raw bytes concerned, if any.
    """

    code: str
    message: str
    packet: Packet | None = None
    frame: bytes | None = None

    @property
    def ok(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
