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
from typing import Any, ClassVar, Final, Protocol

from translators._json import JSONDecodeError, loads
from translators.errors import TranslationError
from translators.sse import DEFAULT_MAX_EVENT_SIZE, EventStreamDecoder, LineDecoder

__all__ = [
    "DONE_EVENT",
    "JSONArrayDecoder",
    "JSONDocumentDecoder",
    "JSONEventDecoder",
    "NDJSONDecoder",
    "SniffingDecoder",
    "json_object",
]

Event = dict[str, Any]


def json_object(data: bytes | str, name: str, ordinal: int, what: str = "SSE data") -> dict[str, Any]:
    """One event's data as a JSON object; ``name`` (the SSE event name) fills a missing ``"type"``;
    ``what`` names the data in errors."""
    try:
        value = loads(data)
    except (JSONDecodeError, UnicodeDecodeError) as exc:  # the stdlib's loads raises the latter on bad UTF-8
        if isinstance(data, bytes):  # invalid UTF-8: the SSE spec reads it with replacement characters
            return json_object(data.decode("utf-8", "replace"), name, ordinal, what)
        raise TranslationError(f"{what} is not JSON: {exc}", where=f"event #{ordinal}") from None
    if type(value) is not dict:
        raise TranslationError(f"{what} is JSON {type(value).__name__}, not an object", where=f"event #{ordinal}")
    if "type" not in value and name != "message":
        value["type"] = name
    return value


DONE_EVENT: Final = "[DONE]"
"""The ``type`` of the event a `JSONEventDecoder` with ``read_done`` makes of ``data: [DONE]``."""


class JSONEventDecoder(EventStreamDecoder[dict[str, Any]]):
    """Bytes in arbitrary pieces → the JSON object of each SSE event.

    ``read_done`` (a class attribute; the OpenAI family's subclass sets it): ``data: [DONE]`` is the event
    ``{"type": "[DONE]"}`` instead of data that is not JSON (checked only where the JSON parse failed).

    At the end of the body, a last event without its closing blank line whose data is not JSON was cut
    short (the body ended inside it): it is dropped, so that the stream reads as truncated, as the NDJSON
    and event-stream decoders treat a cut last line or message.
    """

    __slots__ = ("_at_end", "events")
    read_done: ClassVar[bool] = False

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self.events = 0
        """Events dispatched so far: the ordinal reported in errors."""
        self._at_end = False

    def flush(self) -> list[dict[str, Any]]:
        self._at_end = True  # what is dispatched now had no closing blank line
        return super().flush()

    def _event_of(self, data: list[bytes], name: bytes) -> dict[str, Any] | None:
        self.events += 1
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        try:
            value = loads(raw)
        except JSONDecodeError:
            if not raw.strip():
                return None  # an event with empty data carries nothing (the provider SDKs skip it too)
            if raw == b"[DONE]" and self.read_done:
                return {"type": DONE_EVENT}
            if self._at_end:
                return None  # cut short
            return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)
        if type(value) is dict:
            if "type" in value or not name or name == b"message":
                return value  # the hot path: no event name to fill in (Gemini events have no "type")
            value["type"] = name.decode("utf-8", "replace")
            return value
        return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)


class NDJSONDecoder:
    """Bytes in arbitrary pieces → one JSON object per line; blank lines are skipped.

    Lines end in LF, CRLF or CR (a raw CR cannot occur inside JSON text); a line longer than
    ``max_event_size`` raises `TranslationError`.
    """

    __slots__ = ("_error", "_lines", "_max", "events")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._lines = LineDecoder(max_event_size)
        self._max = max_event_size
        self._error: TranslationError | None = None
        self.events = 0
        """Objects decoded so far: the ordinal reported in errors."""

    def decode(self, chunk: bytes) -> list[Event]:
        if self._error is not None:
            raise self._error
        return self._objects(self._lines.decode(chunk))

    def flush(self) -> list[Event]:
        """The last line, when the body did not end with a line end; a last line that is not JSON was cut
        short (the body ended inside it): dropped, so that the stream reads as truncated."""
        if self._error is not None:
            raise self._error
        lines = self._lines.flush()
        try:
            return self._objects(lines)
        except TranslationError:
            if self._lines.overflow:
                raise
            self._error = None
            return []

    def _objects(self, lines: list[bytes]) -> list[Event]:
        """The objects of ``lines``; a bad line raises `TranslationError`, after the objects before it (in
        the same read) have come out: then the error waits for the next call."""
        events = []
        for line in lines:
            try:  # the hot path: a line that is a JSON object
                value = loads(line)
            except (JSONDecodeError, UnicodeDecodeError):
                value = None
            if type(value) is dict:
                self.events += 1
                events.append(value)
            elif line.strip():  # json_object says what is wrong with it (or reads invalid UTF-8 leniently)
                self.events += 1
                try:
                    events.append(json_object(line, "message", self.events, "NDJSON line"))
                except TranslationError as exc:
                    self._error = exc
                    if events:
                        return events
                    raise
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

    The end of an element is proven by the JSON parser itself: the bytes from its ``{`` to a candidate
    ``}`` parse only if that ``}`` is the element's own (no proper prefix of a JSON object is one, and
    nothing can go on after an object's closing brace). The candidates are found in C (``find`` and
    regular expressions), never byte by byte in Python, and each ``}`` is looked at once:

    * Gemini's separator ``}\\n,\\r\\n{``: a ``\\r`` never occurs inside a pretty-printed element, so
      the first one after an element's ``{`` comes right after its end (checked, then proven by the
      parse; a body where this does not hold turns this off for good); and a read that ends with a
      ``}``, as Gemini's do (the separator starts the next read), is tried whole at once (a failure
      counts toward the budget below, and that ``}`` is looked at again as a candidate);
    * otherwise, and for what a read leaves of an element: any ``}`` followed by what may follow an
      element (``,`` then the next element's ``{"`` or anything but a key, ``]`` then anything but what
      follows an inner array, a ``{"``, or the end of the data so far, which is tried at once), and the
      last ``}`` of a read when it is followed by what follows no inner ``}`` (garbage after an element).

    A failed parse that stopped at the end of its bytes (a prefix of JSON: the ``}`` was an inner one)
    settles nothing more. The fallback is a linear scan with its state kept between reads (depth,
    inside a string or not), which jumps between structural bytes with one regular expression and
    across strings with ``find``, then lets the parser validate the element. It takes over, from where
    it last stopped: after any other failed parse (a broken element, whose error comes out on this
    read), when the failed attempts on one element would outgrow its length (so that a large element
    arriving in small reads stays linear), at the end of the body, and past ``max_event_size``.

    A valid body's elements come out exactly as they would from the scan alone. A body broken right
    after an element's brace, with garbage that could be the rest of an element (``{…}]]``, ``{…}"x"``),
    gets the same error, found later (at the latest at the end of the body, which then raises at once,
    without that last element).

    An element larger than ``max_event_size`` raises `TranslationError` however the reads cut it, as
    does anything that is not ``[`` object ``,`` object … ``]``.
    """

    __slots__ = (
        "_buf",
        "_depth",
        "_failed",
        "_failure",
        "_max",
        "_offset",
        "_pos",
        "_seen",
        "_start",
        "_state",
        "_strong",
        "events",
    )

    _TOKEN = re.compile(rb"[^ \t\r\n]")  # between elements: the next byte that is not whitespace
    _NEXT = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*\{")  # after an element: the separator up to the next "{"
    # A "}" and what may follow an element's own (see the docstring). Each (?=(W))\N takes a whole run
    # of whitespace and never gives any back (an atomic group, before Python 3.11), or every "}" of a
    # pretty-printed body would cost a backtracking step per byte of indentation.
    _CANDIDATE = re.compile(
        rb'\}(?=([ \t\r\n]*))\1(?:,(?=([ \t\r\n]*))\2(?:\{(?=([ \t\r\n]*))\3(?:["}]|\Z)|[^"{]|\Z)'
        rb'|\{(?=([ \t\r\n]*))\4(?:["}]|\Z)|\](?=([ \t\r\n]*))\5(?:[^,\]}]|\Z)|\Z)'
    )
    # A "}" followed by what follows no inner one, nor often one in a string: garbage after an element?
    _GARBAGE = re.compile(rb'\}[ \t\r\n]*[^,\]}"\\ \t\r\n]')

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._max = max_event_size
        self._buf = bytearray()  # the body from the current element's "{" (or from the next unread byte)
        self._pos = 0  # between elements: the next byte to read; in one: how far the fallback scan has got
        self._depth = 0
        self._state = "open"  # open: before "["; next: before an element or "]"; in / string: inside one;
        #                       after: after an element; expect: after its ","; closed: after "]"
        self._start = 0  # in an element: where its "{" is in _buf
        self._seen = 0  # in an element: each "}" before this index has been tried or ruled out
        self._failed = 0  # in an element: bytes given to parse attempts that failed
        self._strong = 0  # where to look for Gemini's next "\r" separator; -1: not that kind of body
        self._offset = 0  # bytes of the body dropped from _buf so far
        self._failure: TranslationError | None = None
        self.events = 0

    def decode(self, chunk: bytes) -> list[Event]:
        if (self._state == "in" or self._state == "string") and self._failure is None:
            buf = self._buf
            if (
                0x7D not in chunk  # no "}" (nor Gemini's "\r"): no candidate, nothing to do yet
                and (self._strong < 0 or 0x0D not in chunk)
                and len(buf) + len(chunk) - self._start <= self._max
            ):
                buf += chunk
                return []
            if self._strong >= 0 and self._pos == self._start:  # Gemini's body: the hot path, in short
                buf += chunk
                events: list[Event] = []
                found = self._gemini(buf, events)
                if found != 2:  # the general way reads on from here
                    return self._decode(b"", False, events, found if found <= 0 else None)
                start = self._start
                if start:  # keep no separators: whitespace cannot pile up
                    del buf[:start]
                    self._offset += start
                    self._start = self._pos = 0
                    self._seen = self._strong = len(buf)
                return events
        return self._decode(chunk, False)

    def flush(self) -> list[Event]:
        events = self._decode(b"", True)
        if self._failure is None and self._state not in ("open", "closed"):
            self._failure = TranslationError(
                "the JSON array body ended before its closing ']'", where=f"byte {self._offset + len(self._buf)}"
            )
        if self._failure is not None:  # no read comes after this one: the fault cannot wait
            raise self._failure
        return events

    def _decode(
        self, chunk: bytes, final: bool, events: list[Event] | None = None, found: int | None = None
    ) -> list[Event]:
        """``events``: those already out of this read; ``found``: what `_gemini` has said of the element."""
        if self._failure is not None:
            raise self._failure
        buf = self._buf
        buf += chunk
        if events is None:
            events = []
        try:
            self._read(buf, events, final, found)
        except TranslationError as exc:
            self._failure = exc
            if events and not final:  # the elements before the fault come out first; the fault next time
                return events
            raise
        drop = self._start if self._state == "in" or self._state == "string" else self._pos
        if drop:  # keep no separators: whitespace cannot pile up
            del buf[:drop]
            self._offset += drop
            self._pos -= drop
            self._start -= drop
            self._seen -= drop
            if self._strong > 0:
                self._strong = max(self._strong - drop, 0)
        return events

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, where=f"byte {self._offset + self._pos}")

    def _read(self, buf: bytearray, events: list[Event], final: bool, found: int | None) -> None:
        while True:
            state = self._state
            if state == "in" or state == "string":
                if found is None:
                    found = self._gemini(buf, events) if self._strong >= 0 else 0
                status, found = found, None
                if status == 1:
                    continue
                if status == 2 and not final:  # nothing can end here yet
                    return
                end = self._element(buf, events, final, status < 0)
                if end < 0:
                    return
                match = self._NEXT.match(buf, end)
                if match is None:
                    self._state, self._pos = "after", end
                else:  # the usual "," between elements, and the next one's "{"
                    if self._strong >= 0 and 0x0D not in match.group():
                        self._strong = -1  # a separator without "\r": not Gemini's kind of body
                    self._begin(match.end() - 1)
                continue
            match = self._TOKEN.search(buf, self._pos)
            if match is None:
                self._pos = len(buf)
                return
            pos = self._pos = match.start()
            byte = buf[pos]
            if state == "open" and byte == 0x5B:  # [
                self._state, self._pos = "next", pos + 1
            elif state in ("next", "after") and byte == 0x5D:  # ]
                self._state, self._pos = "closed", pos + 1
            elif state == "after" and byte == 0x2C:  # ,
                self._state, self._pos = "expect", pos + 1
            elif state in ("next", "expect") and byte == 0x7B:  # {
                self._begin(pos)
            else:
                raise self._error(f"unexpected {chr(byte)!r} in a JSON array body ({state})")

    def _begin(self, start: int) -> None:
        self._state, self._start, self._pos, self._seen, self._depth, self._failed = "in", start, start, start, 0, 0

    def _gemini(self, buf: bytearray, events: list[Event]) -> int:
        """The elements that Gemini's separators prove, one after another (the hot path). Then 1: the
        state is after an element; 2: an element is pending, and no other candidate is here; 0: an
        element is pending; -1: the same, and a parse failed before the end of its bytes (the element
        may be broken: the scan must settle this read)."""
        start, strong, limit = self._start, self._strong, self._max
        if self._pos > start:  # the scan has been into this element: _element tries what is past it
            return 0
        find = buf.find
        before, failure = len(events), 0
        cr = find(0x0D, strong if strong > start else start)
        while cr >= 0:
            if buf[cr - 3 : cr + 3] == b"}\n,\r\n{" and cr - 2 - start <= limit:  # the usual
                try:
                    events.append(loads(buf[start : cr - 2]))
                except (ValueError, RecursionError) as exc:  # ValueError: also the stdlib's UnicodeDecodeError
                    strong, failure = -1, cr - 2 - start if self._truncated(exc) else start + 2 - cr
                    break
                start = cr + 2
                cr = find(0x0D, start)
                continue
            # (a negative start slices too short to match) Otherwise: "}", blanks, "," or "]", blanks, "\r"
            brace = buf.rfind(0x7D, start, cr) + 1
            if brace <= start or brace - start > limit or bytes(buf[brace:cr]).strip(b" \t\r\n") not in (b",", b"]"):
                strong = -1
                break
            try:
                events.append(loads(buf[start:brace]))
            except (ValueError, RecursionError) as exc:
                strong, failure = -1, brace - start if self._truncated(exc) else start - brace
                break
            match = self._NEXT.match(buf, brace)
            if match is None:  # read on from the brace
                self._strong, self._state, self._pos = cr + 1, "after", brace
                self.events += len(events) - before
                return 1
            start = match.end() - 1
            cr = find(0x0D, start)
        else:
            strong = len(buf)
        self._strong = strong
        if len(events) > before:
            self.events += len(events) - before
            self._begin(start)
        if failure:
            self._failed += abs(failure)
            return -1 if failure < 0 else 0
        if strong < 0 or len(buf) - start > limit:
            return 0
        if buf[-1] == 0x7D:  # Gemini's reads end with an element's "}", its separator starts the next read
            try:
                events.append(loads(buf[start:]))
            except (ValueError, RecursionError):
                self._failed += len(buf) - start  # an inner "}": counted, and tried again below
            else:
                self.events += 1
                self._strong, self._state, self._pos = len(buf), "after", len(buf)
                return 1
        brace = find(0x7D, self._seen if self._seen > start else start)
        if brace >= 0:
            match = self._CANDIDATE.search(buf, brace)
            if match is not None:
                self._seen = match.start()  # for _element to try
                return 0
            brace = buf.rfind(0x7D, brace)
            if self._GARBAGE.match(buf, brace):
                self._seen = brace  # for _element to try
                return 0
        self._seen = len(buf)
        return 2

    @staticmethod
    def _truncated(exc: BaseException) -> bool:
        """Whether a failed parse stopped at the very end of its bytes, which are then a prefix of JSON:
        the "}" tried is an inner one, and the scan has nothing to find up to it."""
        pos, doc = getattr(exc, "pos", None), getattr(exc, "doc", None)
        return type(pos) is int and type(doc) is str and 0 < pos == len(doc)

    def _element(self, buf: bytearray, events: list[Event], final: bool, tried: bool) -> int:
        """The index just past the current element's closing brace, with the element appended to
        ``events``; -1 if it is not all here yet. ``tried``: a parse failed, not at its end, on this read."""
        start, end = self._start, len(buf)
        search = self._CANDIDATE.search
        first = at = buf.find(0x7D, self._seen if self._seen > self._pos else self._pos)  # memchr to a "}"
        while at >= 0 and (match := search(buf, at)) is not None:
            at = match.start() + 1
            if self._failed > at - start or at - start > self._max:  # over budget, or too large anyway
                return self._scan(buf, events)
            try:
                value = loads(buf[start:at])
            except (ValueError, RecursionError) as exc:
                self._failed += at - start
                tried = tried or not self._truncated(exc)
                continue
            self.events += 1
            events.append(value)
            return at
        if first >= 0:  # the last "}" here, followed by garbage? Then it may be the element's (tried if cheap)
            at = buf.rfind(0x7D, first) + 1
            if self._failed <= at - start <= self._max and self._GARBAGE.match(buf, at - 1):
                try:
                    value = loads(buf[start:at])
                except (ValueError, RecursionError) as exc:
                    self._failed += at - start
                    tried = tried or not self._truncated(exc)
                else:
                    self.events += 1
                    events.append(value)
                    return at
        self._seen = end
        if tried or final or end - start > self._max:
            return self._scan(buf, events)
        return -1

    def _scan(self, buf: bytearray, events: list[Event]) -> int:
        """The fallback: the scan resumes where it stopped, and settles everything up to the end of ``buf``."""
        start = self._start
        end = self._element_end(buf)
        if (self._pos if end < 0 else end) - start > self._max:
            raise TranslationError(
                f"a JSON array element larger than max_event_size ({self._max} bytes)",
                where=f"byte {self._offset + start}",
            )
        if end < 0:
            self._seen = self._pos
            return -1
        self.events += 1
        events.append(json_object(bytes(buf[start:end]), "message", self.events))
        return end

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


class JSONDocumentDecoder:
    """Bytes in arbitrary pieces → the one JSON object the whole body is (an API's error body, sent
    instead of a stream). It comes out at ``flush()``; a body over ``max_event_size`` is refused."""

    __slots__ = ("_buffer", "_max")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._buffer = bytearray()
        self._max = max_event_size

    def decode(self, chunk: bytes) -> list[Event]:
        self._buffer += chunk
        if len(self._buffer) > self._max:
            raise TranslationError(f"JSON body exceeds max_event_size ({self._max} bytes)", where="body")
        return []

    def flush(self) -> list[Event]:
        body, self._buffer = bytes(self._buffer), bytearray()
        if not body.strip():
            return []
        return [json_object(body, "message", 1)]


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
