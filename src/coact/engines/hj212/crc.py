"""CRC checks of HJ 212 packets (HJ 212-2017 Appendix A; same text in HJ/T 212-2005 and
HJ 212-2025 Appendix A.1), plus the CRC-16/MODBUS variant some real devices send.

The HJ 212 algorithm is *not* CRC-16/MODBUS: for each byte it does ``crc = (crc >> 8) ^ byte``
and then 8 shift/XOR-0xA001 steps, so the low byte of the register is dropped on every byte
(shared/reference/hj212.md section 3). Two consequences make a fast pure-Python form possible:

* the carried state is only the high byte ``s = crc >> 8`` and it evolves as
  ``s' = H[s ^ b]`` with ``H[i] = T[i] >> 8`` (``T`` = the usual reflected-0xA001 table);
* ``H`` is linear over GF(2) and ``H^8`` is the identity, so a byte's contribution to the final
  state depends only on its distance from the end modulo 8. XOR-folding the message as 64-bit
  words (C-speed big-integer operations) collects each residue class in one byte, and eight table
  look-ups finish the job: ~3 us for a 600-byte segment instead of ~18 us byte by byte.

``hj212_crc16_bitwise`` is the literal Appendix A procedure, kept as the test oracle.
"""

from __future__ import annotations

from collections.abc import Iterable


def _reflected_table(poly: int) -> tuple[int, ...]:
    """256-entry table of 8 reflected shift/XOR steps (0xA001 = reflected 0x8005)."""
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ poly if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


_TABLE = _reflected_table(0xA001)
_HIGH = tuple(value >> 8 for value in _TABLE)


def _powers_of_high() -> tuple[tuple[int, ...], ...]:
    """H^0 .. H^7 as look-up tables (H^8 is the identity, checked at import)."""
    powers = [tuple(range(256))]
    for _ in range(8):
        powers.append(tuple(_HIGH[x] for x in powers[-1]))
    if powers[8] != powers[0]:  # pragma: no cover - a property of the 0xA001 table
        raise AssertionError("HJ 212 CRC state map does not have order 8")
    return tuple(powers[:8])


_HP = _powers_of_high()
# State after m bytes starts from s0 = 0xFF transformed m times: H^(m mod 8)(0xFF).
_INITIAL = tuple(_HP[m][0xFF] for m in range(8))
_FOLD_PLANS: dict[int, tuple[tuple[int, int], ...]] = {}  # word count -> fold steps


def _fold_plan(words: int) -> tuple[tuple[int, int], ...]:
    """(shift, mask) of each halving step that XOR-folds ``words`` 64-bit words into one;
    computed once per word count (a 10 kB segment has 1,250), so a fold is a bare loop."""
    steps = []
    while words > 1:
        half = words >> 1
        steps.append((64 * half, (1 << (64 * half)) - 1))
        words -= half
    return tuple(steps)


def hj212_crc16(data: bytes) -> int:
    """HJ 212 CRC16 of ``data`` (the data segment as sent), an int 0..0xFFFF.

    Standard: HJ 212-2017 Appendix A (identical in HJ/T 212-2005 and HJ 212-2025 A.1).
    Example (2017 Appendix A): the segment ``QN=20160801085857223;...;CP=&&RtdInterval=30&&``
    gives 0x1C80.
    """
    size = len(data)
    if size == 0:
        return 0xFFFF
    folded = int.from_bytes(data[:-1], "big")
    words = (size + 6) >> 3  # 64-bit words of the size - 1 bytes folded
    plan = _FOLD_PLANS.get(words)
    if plan is None:
        plan = _FOLD_PLANS[words] = _fold_plan(words)
    for shift, mask in plan:  # XOR-fold to one 64-bit word (from the least significant end)
        folded = (folded >> shift) ^ (folded & mask)
    hp = _HP
    # The byte k places from the end of the word (k = 0 is the last byte before the final one)
    # was transformed k + 1 times: exponent (k + 1) mod 8.
    state = (
        _INITIAL[(size - 1) & 7]
        ^ hp[1][folded & 255]
        ^ hp[2][(folded >> 8) & 255]
        ^ hp[3][(folded >> 16) & 255]
        ^ hp[4][(folded >> 24) & 255]
        ^ hp[5][(folded >> 32) & 255]
        ^ hp[6][(folded >> 40) & 255]
        ^ hp[7][(folded >> 48) & 255]
        ^ hp[0][folded >> 56]
    )
    return _TABLE[state ^ data[-1]]


def hj212_crc16_bitwise(data: Iterable[int]) -> int:
    """The Appendix A procedure literally (slow; the oracle for ``hj212_crc16``).

    ``data`` may hold values above 255: Java implementations feed UTF-16 chars this way.
    """
    crc = 0xFFFF
    for unit in data:
        crc = (crc >> 8) ^ unit
        for _ in range(8):
            carry = crc & 1
            crc >>= 1
            if carry:
                crc ^= 0xA001
    return crc


def hj212_crc16_chars(text: str) -> int:
    """HJ 212 CRC fed with UTF-16 code units instead of UTF-8 bytes.

    This is what the Java libraries do (xiaoyao9184 ``crc16Checkout(char[])``) for packets with
    Chinese text; the standard is ambiguous (hj212.md section 2). For a unit above 0xFF the 8 steps
    give ``(x >> 8) ^ T[x & 0xFF]`` by linearity.
    """
    crc = 0xFFFF
    table = _TABLE
    units = text.encode("utf-16-be")
    for index in range(0, len(units), 2):
        value = (crc >> 8) ^ ((units[index] << 8) | units[index + 1])
        crc = (value >> 8) ^ table[value & 0xFF]
    return crc


def modbus_crc16(data: bytes) -> int:
    """CRC-16/MODBUS (reflected 0x8005, init 0xFFFF), the register value (low byte sent first
    on a Modbus line). Some HJ 212 devices print it byte-swapped instead of the HJ CRC."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def swap_bytes(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def format_crc(value: int) -> str:
    """Four upper-case hex digits, high byte first, as HJ 212-2017 Appendix A prints them."""
    return f"{value:04X}"
