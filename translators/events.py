"""Frames → event dicts: the JSON layer between a wire framing and a provider translator.

Every decoder here takes bytes in arbitrary pieces (``decode(piece)``, then ``flush()`` at the end of the
body) and returns each event as a dict as soon as its last byte is in, with bounded memory:

* `JSONEventDecoder`: SSE whose ``data`` is one JSON object per event (Anthropic, the OpenAI family, …).
  The SSE rules come from `translators.sse.EventStreamDecoder`, and the JSON step runs in the same pass,
  with no intermediate `SSEEvent` (this is the hot path of ``stream()``). The SSE ``event:`` name fills
  in a missing ``"type"``; an event whose data is empty (or only whitespace) is skipped, as the
  providers' own SDKs skip it.
* `JSONArrayDecoder`: one JSON array of objects streamed element by element (Gemini without
  ``alt=sse``): each element comes out when its closing brace arrives, not at the closing ``]``.
* `NDJSONDecoder`: one JSON object per line (Ollama).
* `SniffingDecoder`: picks one of two decoders from the body's first non-whitespace byte.

Numbers: orjson reads an integer beyond 64 bits (below -2**63 or above 2**64 - 1) as the nearest float;
no provider sends such numbers, and checking every event's bytes for them would cost more than the whole
translation. (Without orjson, the standard library keeps them exact.)

Bad data raises `TranslationError` naming the event's ordinal: data that is not JSON, or JSON that is
not an object. Data that is not valid UTF-8 is read with replacement characters, as the SSE spec says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from translators._json import JSONDecodeError, loads
from translators.errors import TranslationError
from translators.sse import DEFAULT_MAX_EVENT_SIZE, EventStreamDecoder, LineDecoder

__all__ = ["JSONArrayDecoder", "JSONEventDecoder", "NDJSONDecoder", "SniffingDecoder", "json_object"]

Event = dict[str, Any]


def json_object(data: bytes | str, name: str, ordinal: int) -> dict[str, Any]:
    """One event's data as a JSON object; ``name`` (the SSE event name) fills a missing ``"type"``."""
    try:
        value = loads(data)
    except JSONDecodeError as exc:
        if isinstance(data, bytes):  # invalid UTF-8: the SSE spec reads it with replacement characters
            return json_object(data.decode("utf-8", "replace"), name, ordinal)
        raise TranslationError(f"SSE data is not JSON: {exc}", where=f"event #{ordinal}") from None
    if type(value) is not dict:
        raise TranslationError(f"SSE data is JSON {type(value).__name__}, not an object", where=f"event #{ordinal}")
    if "type" not in value and name != "message":
        value["type"] = name
    return value


class JSONEventDecoder(EventStreamDecoder[dict[str, Any]]):
    """Bytes in arbitrary pieces → the JSON object of each SSE event."""

    __slots__ = ("events",)

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self.events = 0
        """Events dispatched so far: the ordinal reported in errors."""

    def _event_of(self, data: list[bytes], name: bytes) -> dict[str, Any] | None:
        self.events += 1
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        try:
            value = loads(raw)
        except JSONDecodeError:
            if not raw.strip():
                return None  # an event with empty data carries nothing (the provider SDKs skip it too)
            return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)
        if type(value) is dict and "type" in value:
            return value  # the hot path
        return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)


class NDJSONDecoder:
    """Bytes in arbitrary pieces → one JSON object per line; blank lines are skipped.

    Lines end in LF, CRLF or CR (a raw CR cannot occur inside JSON text); a line longer than
    ``max_event_size`` raises `TranslationError`.
    """

    __slots__ = ("_lines", "_max", "events")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._lines = LineDecoder(max_event_size)
        self._max = max_event_size
        self.events = 0
        """Objects decoded so far: the ordinal reported in errors."""

    def decode(self, chunk: bytes) -> list[Event]:
        return self._objects(self._lines.decode(chunk))

    def flush(self) -> list[Event]:
        return self._objects(self._lines.flush())

    def _objects(self, lines: list[bytes]) -> list[Event]:
        events = []
        for line in lines:
            if line.strip():
                self.events += 1
                events.append(json_object(line, "message", self.events))
        if self._lines.overflow:  # lines before the long one are out; the long one is refused
            if events:
                return events
            raise TranslationError(
                f"NDJSON line longer than max_event_size ({self._max} bytes)", where=f"byte {self._lines.offset}"
            )
        return events


_WHITESPACE = b" \t\r\n"
_STRUCTURE = re.compile(rb'[{}\[\]"]')


class JSONArrayDecoder:
    """Bytes in arbitrary pieces → each object of a JSON array, as soon as its closing brace arrives.

    A linear scan with its state kept between reads (depth, inside a string or not), which jumps
    between structural bytes with one regular expression and across strings with ``find``: no byte is
    looked at twice, however the body is cut. Each complete element is then parsed by the JSON parser,
    which also validates it. An element larger than ``max_event_size`` raises `TranslationError`, as
    does anything that is not ``[`` object ``,`` object … ``]``.
    """

    __slots__ = ("_buf", "_depth", "_failure", "_max", "_offset", "_pos", "_state", "events")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._max = max_event_size
        self._buf = bytearray()  # the body from the current element's first byte (or unread separators)
        self._pos = 0  # how far into _buf the scan has got
        self._depth = 0
        self._state = "open"  # open: before "["; next: before an element or "]"; in / string: inside one;
        #                       after: after an element; closed: after "]"
        self._offset = 0  # bytes of the body dropped from _buf so far
        self._failure: TranslationError | None = None
        self.events = 0

    def decode(self, chunk: bytes) -> list[Event]:
        if self._failure is not None:
            raise self._failure
        self._buf += chunk
        events: list[Event] = []
        try:
            self._scan(events)
            if self._state in ("in", "string") and len(self._buf) > self._max:
                raise self._error("a JSON array element larger than max_event_size")
        except TranslationError as exc:
            self._failure = exc
            if events:  # the elements before the fault come out first; the fault is raised next time
                return events
            raise
        return events

    def flush(self) -> list[Event]:
        events = self.decode(b"")
        if self._state not in ("open", "closed"):
            self._failure = self._error("the JSON array body ended before its closing ']'")
            if not events:
                raise self._failure
        return events

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, where=f"byte {self._offset + self._pos}")

    def _scan(self, events: list[Event]) -> None:
        buf = self._buf
        self._read(buf, events)
        if self._state not in ("in", "string"):  # keep no separators: whitespace cannot pile up
            del buf[: self._pos]
            self._offset += self._pos
            self._pos = 0

    def _read(self, buf: bytearray, events: list[Event]) -> None:
        while self._pos < len(buf):
            state = self._state
            if state in ("in", "string"):
                end = self._element_end(buf)
                if end < 0:
                    return
                self.events += 1
                events.append(json_object(bytes(buf[:end]), "message", self.events))
                del buf[:end]
                self._offset += end
                self._pos = 0
                self._state = "after"
                continue
            byte = buf[self._pos]
            if byte in _WHITESPACE:
                self._pos += 1
            elif state == "open" and byte == 0x5B:  # [
                self._state = "next"
                self._pos += 1
            elif state in ("next", "after") and byte == 0x5D:  # ]
                self._state = "closed"
                self._pos += 1
            elif state == "after" and byte == 0x2C:  # ,
                self._state = "expect"
                self._pos += 1
            elif state in ("next", "expect") and byte == 0x7B:  # {
                del buf[: self._pos]
                self._offset += self._pos
                self._pos, self._depth, self._state = 0, 0, "in"
            else:
                raise self._error(f"unexpected {chr(byte)!r} in a JSON array body ({state})")

    def _element_end(self, buf: bytearray) -> int:
        """The index just past the current element's closing brace, or -1 if it is not all here yet."""
        pos, depth, state = self._pos, self._depth, self._state
        while True:
            if state == "string":
                quote = buf.find(b'"', pos)
                if quote < 0:
                    self._pos, self._depth, self._state = len(buf), depth, state
                    return -1
                backslashes = 0
                while buf[quote - 1 - backslashes] == 0x5C:
                    backslashes += 1
                pos = quote + 1
                if backslashes % 2 == 0:
                    state = "in"
                continue
            match = _STRUCTURE.search(buf, pos)
            if match is None:
                self._pos, self._depth, self._state = len(buf), depth, state
                return -1
            pos = match.end()
            char = buf[match.start()]
            if char == 0x22:  # "
                state = "string"
            elif char in (0x7B, 0x5B):  # { [
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return pos


class SniffingDecoder:
    """Hands the body to ``choose(first_byte, max_event_size)``, picked by its first non-whitespace byte
    (a leading BOM is dropped); until that byte arrives, nothing is decoded."""

    __slots__ = ("_choose", "_decoder", "_head", "_max")

    def __init__(self, choose: Callable[[int, int], _Decoder], max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._choose = choose
        self._max = max_event_size
        self._decoder: _Decoder | None = None
        self._head = b""

    def decode(self, chunk: bytes) -> list[Event]:
        if self._decoder is None:
            self._head += chunk
            first = self._head.lstrip(_WHITESPACE + b"\xef\xbb\xbf")
            if not first:
                if len(self._head) > self._max:
                    raise TranslationError("a body of nothing but whitespace", where=f"byte {len(self._head)}")
                return []
            self._decoder = self._choose(first[0], self._max)
            chunk, self._head = self._head.removeprefix(b"\xef\xbb\xbf"), b""
        return self._decoder.decode(chunk)

    def flush(self) -> list[Event]:
        if self._decoder is None:
            return []
        return self._decoder.flush()


class _Decoder(Protocol):
    def decode(self, chunk: bytes) -> list[Event]: ...

    def flush(self) -> list[Event]: ...
