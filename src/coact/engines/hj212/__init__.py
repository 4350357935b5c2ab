"""Pure HJ 212 codec: framing, CRC, packet and CP parsing, replies (HJ/T 212-2005, HJ 212-2017,
HJ 212-2025). No I/O, no Django. See docs/hj212.md for the gateway-facing API."""

from coact.engines.hj212.crc import hj212_crc16, modbus_crc16
from coact.engines.hj212.errors import Rejection
from coact.engines.hj212.framing import Framer, FrameResult
from coact.engines.hj212.packet import Packet, parse_frame
from coact.engines.hj212.reassembly import Reassembled, SplitReassembler
from coact.engines.hj212.reply import (
    data_answer,
    encode_packet,
    execution_result,
    make_qn,
    notice_answer,
    replies_for,
    request_answer,
    time_calibration,
)
from coact.engines.hj212.tolerance import Tolerance

__all__ = [
    "FrameResult",
    "Framer",
    "Packet",
    "Reassembled",
    "Rejection",
    "SplitReassembler",
    "Tolerance",
    "data_answer",
    "encode_packet",
    "execution_result",
    "hj212_crc16",
    "make_qn",
    "modbus_crc16",
    "notice_answer",
    "parse_frame",
    "replies_for",
    "request_answer",
    "time_calibration",
]
