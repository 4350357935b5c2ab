"""Cut an HJ 212 byte stream (one TCP connection) into frames.

HJ 212-2017 section 6.3.1: ``"##" + LLLL + data segment (LLLL bytes) + CRC (4 hex) + CR LF``.
The ``Framer`` is fed arbitrary chunks (packets split across reads, several in one read,
garbage between them) and returns complete frames or framing errors, resynchronising on the next
``##`` as public receivers do (shared/reference/hj212.md section 2).

Delimiting, in order:

1. by the length field: the frame ends LLLL + 4 bytes after the length, followed by CR LF;
2. if that position holds no CR LF (a wrong length field, a UTF-16-counted length, a missing
   terminator), by the first LF or ``##`` after the length field. The frame is still handed
   out; ``parse_frame`` then judges the length and CRC against the device's tolerance;
3. while a frame is incomplete, an earlier LF or ``##`` in an ASCII prefix ends it at once (a
   length field too large, e.g. real length + 6, must not stall the connection).

Memory is bounded: a frame may not exceed ``6 + max_segment + 4 + 2`` bytes, input is consumed
in slices of that size, so the buffer never holds more than about twice that.
"""

from __future__ import annotations

from dataclasses import dataclass

from coact.engines.hj212 import errors as rc
from coact.engines.hj212.errors import Rejection
from coact.engines.hj212.tolerance import DEFAULT, Tolerance

_START = b"##"
_CRLF = b"\r\n"
_BLANK = b" \t\r\n\x00"


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 0.8 us a frame to build, this 0.25
class FrameResult:
    """One complete frame (``frame``: from ``##`` to the CRC, without the terminator) or one
    framing error (``error``). A frame with a terminator problem carries both."""

    frame: bytes | None
    error: Rejection | None = None
    quirks: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.frame is not None and self.error is None


class Framer:
    """Incremental HJ 212 framer for one connection.

    >>> framer = Framer()
    >>> [r.frame for r in framer.feed(b"junk##0008QN=1;CP=")]   # garbage reported, frame pending
    [None]
    """

    def __init__(self, tolerance: Tolerance = DEFAULT, max_segment: int | None = None) -> None:
        self.tolerance = tolerance
        self.max_segment = tolerance.max_segment if max_segment is None else max_segment
        self.max_frame = 6 + self.max_segment + 4 + 2
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a frame (bounded by about 2 x max_frame)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[FrameResult]:
        """Add received bytes; return the frames and errors they complete, in stream order."""
        results: list[FrameResult] = []
        step = self.max_frame
        for start in range(0, len(data), step):
            self._buffer += data[start : start + step]
            self._drain(results, final=False)
        return results

    def flush(self) -> list[FrameResult]:
        """End of stream (connection closed, idle timeout): hand out or reject what is left."""
        results: list[FrameResult] = []
        self._drain(results, final=True)
        self._buffer.clear()
        return results

    def _drain(self, results: list[FrameResult], final: bool) -> None:
        buffer = self._buffer
        position = 0
        while True:
            start = buffer.find(_START, position)
            if start < 0:
                # Keep a trailing "#": it may be the first half of the next "##".
                keep = len(buffer) - 1 if buffer.endswith(b"#") and not final else len(buffer)
                self._garbage(buffer, position, keep, results)
                position = keep
                break
            if start > position:
                self._garbage(buffer, position, start, results)
            next_position = self._take_frame(buffer, start, results, final)
            if next_position is None:
                position = start
                break
            position = next_position
        del buffer[:position]

    def _garbage(self, buffer: bytearray, start: int, end: int, out: list[FrameResult]) -> None:
        """Report discarded bytes, except blank filler (CR, LF, spaces) between frames."""
        if end <= start or not bytes(buffer[start:end]).strip(_BLANK):
            return
        sample = bytes(buffer[start : min(end, start + 16)])
        message = f"{end - start} bytes outside any frame discarded (start {sample!r})"
        out.append(FrameResult(None, Rejection(rc.GARBAGE, message)))

    def _take_frame(
        self, buffer: bytearray, pos: int, out: list[FrameResult], final: bool
    ) -> int | None:
        """Handle the frame starting at ``pos``; the position after it, or None to wait."""
        if len(buffer) - pos < 6:
            if final:
                return self._truncated(buffer, pos, out)
            return None
        length_field = bytes(buffer[pos + 2 : pos + 6])
        if length_field[:1] == b"#":
            return pos + 1  # "###...": the frame starts at the next "#"
        if not length_field.isdigit():
            message = f"'##' followed by {length_field!r}, not a 4-digit length"
            out.append(FrameResult(None, Rejection(rc.BAD_LENGTH_FIELD, message)))
            return pos + 1  # resynchronise on the next "##"
        length = int(length_field)
        if length > self.max_segment:
            message = f"length field {length} exceeds the maximum {self.max_segment}"
            out.append(FrameResult(None, Rejection(rc.OVERSIZE, message)))
            return pos + 1
        end = pos + 6 + length + 4
        if buffer[end : end + 2] == _CRLF:
            out.append(FrameResult(bytes(buffer[pos:end])))
            return end + 2
        if self.tolerance.missing_crlf and len(buffer) >= end:
            taken = self._take_unterminated(buffer, pos, end, out)
            if taken is not None:
                return taken
        if len(buffer) >= end + 2 or final:
            return self._take_delimited(buffer, pos, out, final)
        # Incomplete by the length field: an earlier delimiter in plain text ends it now.
        early = self._delimiter(buffer, pos)
        if early is not None and bytes(buffer[pos : early[0]]).isascii():
            return self._emit_delimited(buffer, pos, early, out)
        return None

    def _take_unterminated(
        self, buffer: bytearray, pos: int, end: int, out: list[FrameResult]
    ) -> int | None:
        """Tolerance ``missing-crlf``: a frame complete by its length field is handed out at once,
        whatever follows (a late CR LF is then blank filler and silently skipped). It is tagged
        as a quirk only when what follows proves the CR LF missing (LF alone, CR + other, ``##``).
        """
        frame = bytes(buffer[pos:end])
        after = bytes(buffer[end : end + 2])
        if after in (b"", b"\r"):
            out.append(FrameResult(frame))
            return end + len(after)
        if after[:1] in (b"\n", b"\r"):
            out.append(FrameResult(frame, None, ("missing-crlf",)))
            return end + 1
        if after[:1] == b"#":
            out.append(FrameResult(frame, None, ("missing-crlf",)))
            return end
        return None

    def _take_delimited(
        self, buffer: bytearray, pos: int, out: list[FrameResult], final: bool
    ) -> int | None:
        """Fallback: the frame ends at the first LF or ``##`` after the length field."""
        found = self._delimiter(buffer, pos)
        if found is not None:
            return self._emit_delimited(buffer, pos, found, out)
        if final:
            return self._truncated(buffer, pos, out)
        if len(buffer) - pos >= self.max_frame:
            message = f"no frame end within {self.max_frame} bytes; {len(buffer) - pos} discarded"
            out.append(FrameResult(None, Rejection(rc.OVERSIZE, message)))
            return len(buffer)
        return None

    @staticmethod
    def _delimiter(buffer: bytearray, pos: int) -> tuple[int, int] | None:
        """(frame end, next position) of the first LF or ``##`` after the length field."""
        limit = len(buffer)
        newline = buffer.find(b"\n", pos + 6, limit)
        start = buffer.find(_START, pos + 6, limit)
        if newline < 0 and start < 0:
            return None
        if start < 0 or 0 <= newline < start:
            end = newline - 1 if newline > pos and buffer[newline - 1] == 0x0D else newline
            return end, newline + 1
        return start, start

    def _emit_delimited(
        self, buffer: bytearray, pos: int, found: tuple[int, int], out: list[FrameResult]
    ) -> int:
        end, next_position = found
        frame = bytes(buffer[pos:end])
        terminator = bytes(buffer[end:next_position])
        if terminator == _CRLF:
            out.append(FrameResult(frame))
        elif self.tolerance.missing_crlf:
            out.append(FrameResult(frame, None, ("missing-crlf",)))
        else:
            shown = terminator or b"nothing"
            message = f"frame ended by {shown!r} instead of CR LF (tolerance 'missing-crlf')"
            out.append(FrameResult(frame, Rejection(rc.MISSING_CRLF, message, None, frame)))
        return next_position

    @staticmethod
    def _truncated(buffer: bytearray, pos: int, out: list[FrameResult]) -> int:
        frame = bytes(buffer[pos:])
        message = f"stream ended inside a frame after {len(frame)} bytes"
        out.append(FrameResult(None, Rejection(rc.TRUNCATED, message, None, frame)))
        return len(buffer)
