"""Server-sent events: an incremental decoder and an encoder.

The decoder follows the WHATWG HTML "event stream" interpretation rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

* lines end in CRLF, LF or CR; a read may end anywhere, inside a UTF-8 sequence or between CR and LF;
* a leading U+FEFF BOM is dropped; lines starting with ``:`` are comments;
* ``data`` lines accumulate (joined with LF), ``event`` names the event, ``id`` sets the last event id
  (ignored when it holds NUL), ``retry`` takes digits only, other fields are ignored;
* a blank line dispatches the event, unless no ``data`` line came (then it only resets the name);
* text is decoded as UTF-8 with replacement characters.

One documented leniency: the spec drops an event that EOF cuts off before its blank line. ``flush()``
dispatches it instead, because real recordings (and some servers) end without the final blank line;
whether the *stream* was complete is the provider translator's call, from its terminal event.

Memory is bounded: a line, or an event's accumulated data, longer than ``max_event_size`` bytes raises
`TranslationError`, so a peer that never sends a newline cannot grow the buffer without limit.

Shape (after httpx-sse): `LineDecoder` turns bytes into lines, `SSEDecoder` turns lines into `SSEEvent`s;
each has ``decode``/``flush``. `encode_event` and `encode_json` go the other way.
"""

from __future__ import annotations

from typing import Any, Generic, NamedTuple, TypeVar

from translators._json import dumps
from translators.errors import TranslationError

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "DONE",
    "EventStreamDecoder",
    "LineDecoder",
    "SSEDecoder",
    "SSEEvent",
    "encode_comment",
    "encode_event",
    "encode_json",
]

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
"""Largest line or event (bytes of ``data``) accepted by default: 16 MiB, above any real provider event."""

DONE = b"data: [DONE]\n\n"
T = TypeVar("T")
_BOM = b"\xef\xbb\xbf"
_CR = 0x0D
_LF = 0x0A


class SSEEvent(NamedTuple):
    """One dispatched event. ``event`` is ``"message"`` when the stream named none."""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


_new_event = tuple.__new__  # builds an SSEEvent without NamedTuple's Python-level __new__ (hot path)


class LineDecoder:
    """Bytes in arbitrary pieces → complete lines (bytes, without their terminator)."""

    __slots__ = ("_max", "_partial", "_partial_len", "_pending_cr", "offset", "overflow")

    def __init__(self, max_line_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._max = max_line_size
        self._partial: list[bytes] = []
        self._partial_len = 0
        self._pending_cr = False
        self.offset = 0
        """Bytes consumed so far: the position reported in errors."""
        self.overflow = False
        """Set when a line outgrew the limit: that line and all input after it are dropped."""

    def decode(self, chunk: bytes) -> list[bytes]:
        if not chunk or self.overflow:  # an empty read must not end a CR's wait for its LF
            return []
        self.offset += len(chunk)
        if self._pending_cr:
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        # int membership is a plain memchr; `b"\r" in chunk` goes through the buffer protocol, ~9x slower
        if _CR in chunk:
            lines = self._split_cr(chunk)
        elif _LF in chunk:
            lines = chunk.split(b"\n")
        else:
            if chunk:
                self._keep(chunk)
            return []
        tail = lines.pop()
        held = self._partial_len
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial = []
            self._partial_len = 0
        if held + len(chunk) > self._max:  # only then can a line here be too long: find the first
            for n, line in enumerate(lines):
                if len(line) > self._max:
                    self.overflow = True  # the same line is refused however the reads cut it
                    del lines[n:]
                    return lines
        if tail:
            self._keep(tail)
        return lines

    def flush(self) -> list[bytes]:
        """The last line, if the body did not end with a line terminator."""
        if not self._partial:
            return []
        line = b"".join(self._partial)
        self._partial = []
        self._partial_len = 0
        return [line]

    def _split_cr(self, chunk: bytes) -> list[bytes]:
        """The lines of a read holding a CR, where CRLF and a lone CR end a line as LF does."""
        lines = chunk.splitlines()  # on bytes it splits at exactly LF, CRLF and CR, the SSE line ends, in C
        last = chunk[-1]
        if last == _CR:  # an LF may start the next read; remember to drop it
            self._pending_cr = True
            lines.append(b"")
        elif last == _LF:
            lines.append(b"")  # the tail: nothing after the last line end
        return lines

    def _keep(self, piece: bytes) -> None:
        self._partial.append(piece)
        self._partial_len += len(piece)
        if self._partial_len > self._max:
            self._partial = []
            self._partial_len = 0
            self.overflow = True


class EventStreamDecoder(Generic[T]):
    """Bytes in arbitrary pieces → events, by the WHATWG rules (see the module docstring).

    Subclasses say what an event becomes: `SSEDecoder` gives `SSEEvent`s; a subclass may parse the data
    straight into its own type (``translators.events.JSONEventDecoder``) or drop an event (return None).
    """

    __slots__ = ("_data", "_data_len", "_error", "_event", "_last_id", "_lines", "_max", "_retry", "_started")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._lines = LineDecoder(max_event_size)
        self._max = max_event_size
        self._data: list[bytes] = []
        self._data_len = 0
        self._event = b""
        self._last_id = ""
        self._retry: int | None = None
        self._started = False
        self._error: TranslationError | None = None

    @property
    def offset(self) -> int:
        """Bytes consumed so far."""
        return self._lines.offset

    def decode(self, chunk: bytes) -> list[T]:
        """The events completed by ``chunk``. An error raises only after the events before it are out."""
        if self._error is not None:
            raise self._error
        events: list[T] = []
        self._run(self._lines.decode(chunk), events)
        if self._error is None and not self._lines.overflow:
            return events
        return self._deliver(events)

    def flush(self) -> list[T]:
        """End of body: the last line, and an event that had no closing blank line (see the docstring)."""
        if self._error is not None:
            raise self._error
        events: list[T] = []
        self._run(self._lines.flush(), events)
        if self._data and self._error is None and not self._lines.overflow:
            self._dispatch(events)
        return self._deliver(events)

    def _deliver(self, events: list[T]) -> list[T]:
        if self._lines.overflow and self._error is None:
            self._error = TranslationError(
                f"SSE line longer than max_event_size ({self._max} bytes)", where=f"byte {self.offset}"
            )
        if self._error is not None and not events:
            raise self._error
        return events

    def _run(self, lines: list[bytes], events: list[T]) -> None:
        if lines and not self._started:
            self._started = True
            if lines[0].startswith(_BOM):
                lines[0] = lines[0][3:]
        # The hot loop works on locals (attribute access would dominate) and stores them back at the end;
        # the rare fields (id, retry, unknown names) go through _field, which sees the stored state.
        data, size, name, limit = self._data, self._data_len, self._event, self._max
        try:
            for line in lines:
                if not line:
                    if data:
                        event = self._event_of(data, name)
                        if event is not None:
                            events.append(event)
                        self._retry = None
                        data, size = [], 0
                    name = b""
                elif line[:5] == b"data:":
                    value = line[6:] if line[5:6] == b" " else line[5:]
                    data.append(value)
                    size += len(value) + 1
                    if size > limit:
                        self._too_large()
                elif line[:6] == b"event:":
                    name = line[7:] if line[6:7] == b" " else line[6:]
                elif line == b"data":  # a field name alone: the value is empty
                    data.append(b"")
                    size += 1
                elif line == b"event":
                    name = b""
                elif line[0] != 0x3A:  # ":" starts a comment
                    self._field(line)
        except TranslationError as exc:
            self._error = exc
        self._data, self._data_len, self._event = data, size, name

    def _field(self, line: bytes) -> None:
        """A line that is neither data, event, nor a comment: id, retry, or a field to ignore."""
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"id":
            if b"\x00" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)

    def _too_large(self) -> None:
        raise TranslationError(
            f"SSE event larger than max_event_size ({self._max} bytes)", where=f"byte {self._lines.offset}"
        )

    def _dispatch(self, events: list[T]) -> None:
        """The pending event, at end of body."""
        event = self._event_of(self._data, self._event)
        if event is not None:
            events.append(event)
        self._data, self._data_len, self._event, self._retry = [], 0, b"", None

    def _event_of(self, data: list[bytes], name: bytes) -> T | None:
        """One dispatched event: its ``data`` lines (without their LF) and its ``event`` name (raw bytes)."""
        raise NotImplementedError


class SSEDecoder(EventStreamDecoder[SSEEvent]):
    """Bytes in arbitrary pieces → `SSEEvent`s (text decoded as UTF-8 with replacement characters)."""

    __slots__ = ()

    def _event_of(self, data: list[bytes], name: bytes) -> SSEEvent:
        text = (data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace")
        event_name = name.decode("utf-8", "replace") if name else "message"
        return _new_event(SSEEvent, (event_name, text, self._last_id, self._retry))


def encode_event(data: str, *, event: str | None = None, id: str | None = None) -> bytes:
    """One SSE event as bytes; multi-line ``data`` becomes several ``data:`` lines."""
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    if id is not None:
        lines.append(f"id: {id}")
    lines.extend(f"data: {line}" for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def encode_json(value: Any) -> bytes:
    """``data: <compact JSON>\\n\\n``: how every OpenAI chunk and error event goes on the wire."""
    return b"data: " + dumps(value) + b"\n\n"


def encode_comment(text: str = "") -> bytes:
    """A comment line (``: text``), which clients ignore: used for keep-alives."""
    return f": {text}\n\n".encode() if text else b":\n\n"
