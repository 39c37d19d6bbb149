"""AWS event-stream framing (``application/vnd.amazon.eventstream``): bytes → frames → event dicts.

The binary framing of Bedrock's ``ConverseStream`` (and S3 Select, Transcribe, …), described in
https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html; the reference decoder is
botocore's ``botocore/eventstream.py`` (``EventStreamBuffer``). Every integer is big-endian. A message is::

    prelude    total_length u32 | headers_length u32 | prelude_crc u32 (CRC32 of the 8 bytes before it)
    headers    headers_length bytes of: name_len u8, name (UTF-8), value_type u8, value
    payload    total_length - headers_length - 16 bytes
    message_crc u32: CRC32 of every byte of the message before it

Header values by type: 0 true, 1 false, 2 i8, 3 i16, 4 i32, 5 i64, 6 bytes (u16 length + bytes),
7 string (u16 length + UTF-8), 8 timestamp (i64 milliseconds since the epoch, kept as that int, as
botocore does), 9 UUID (16 bytes, kept as bytes, as botocore does). A repeated header name is refused
(as botocore refuses it).

Decoders, with the interface of those in `translators.events` (``decode(piece)`` in arbitrary pieces,
``flush()`` at the end of the body, bounded memory):

* `EventStreamFrameDecoder`: each message as a `Frame` (headers dict, payload bytes).
* `JSONFrameDecoder`: each message as the event dict boto3's ``converse_stream`` yields, keyed by the
  ``:event-type`` header (``{"contentBlockDelta": {...}}``), with the payload's JSON object as the value
  (kept whole: Bedrock's random-length ``"p"`` padding field stays in; boto3 drops it only because its
  model has no such member). An ``exception`` (or ``error``) message becomes
  ``{"error": {"type": ..., "message": ..., "headers": {...}}}`` (`json_event`).
* `BotocoreHeadersJSONFrameDecoder`: the same event dicts, each distinct header block parsed by
  botocore's ``EventStreamHeaderParser`` (the ``bedrock`` extra installs botocore). `json_frame_decoder`
  picks it when botocore can be imported, else `JSONFrameDecoder`.
* `BotocoreJSONFrameDecoder`: the same event dicts, each whole message decoded by botocore's
  ``EventStreamBuffer`` as well: the cross-check, at about 2.7x the cost of the others.
  All three give the same dicts and the same errors (the tests hold them to it).

And the way back, for fixtures and replay servers: `encode_message` (headers and payload → one message)
and `encode_event` (an event dict as above → one message).

Both CRCs are checked, as are the lengths (a message is at least 16 bytes, its headers fit in it); a
``total_length`` above ``max_event_size`` is refused as soon as its prelude is in, before the rest is
buffered. The body is kept in one ``bytearray`` with a read offset, and whole messages are sliced out of
it: each byte is copied a constant number of times however the reads cut it. Bad input raises
`TranslationError` with ``where="byte N"`` (N counted from the start of the body); the messages
completed before the fault come out first, and the error is raised by the next call.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, NamedTuple, TypeVar

from translators._json import JSONDecodeError, dumps_any, loads
from translators.errors import TranslationError
from translators.sse import DEFAULT_MAX_EVENT_SIZE

__all__ = [
    "BotocoreHeadersJSONFrameDecoder",
    "BotocoreJSONFrameDecoder",
    "EventStreamFrameDecoder",
    "Frame",
    "FrameDecoderBase",
    "JSONFrameDecoder",
    "encode_event",
    "encode_message",
    "json_event",
    "json_frame_decoder",
]

T = TypeVar("T")

_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")
_MIN_FRAME = 16  # prelude (12) + message CRC (4)
# value_type → struct format of the fixed-size values (0 and 1 have no value bytes; 6, 7 are sized)
_FIXED: dict[int, struct.Struct] = {
    2: struct.Struct(">b"),
    3: struct.Struct(">h"),
    4: struct.Struct(">i"),
    5: struct.Struct(">q"),
    8: struct.Struct(">q"),
}
_U16 = struct.Struct(">H")
MAX_HEADERS_LENGTH: Final = 128 * 1024
MAX_PAYLOAD_LENGTH: Final = 24 * 1024 * 1024
"""The format's limits on a message's headers and payload (botocore refuses beyond them too)."""
_KNOWN_LIMIT: Final = 64
"""Distinct header blocks a decoder keeps parsed."""


class Frame(NamedTuple):
    """One event-stream message: its headers (name → bool, int, bytes or str) and its raw payload."""

    headers: dict[str, Any]
    payload: bytes


class FrameDecoderBase(Generic[T]):
    """Bytes in arbitrary pieces → one item per message; subclasses say what a message becomes."""

    __slots__ = ("_base", "_buf", "_cut_frame_is_error", "_error", "_known", "_max", "_pos", "frames")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE, *, cut_frame_is_error: bool = True) -> None:
        self._max = max_event_size
        self._cut_frame_is_error = cut_frame_is_error
        self._known: dict[bytes, dict[str, Any]] = {}  # raw header block → its headers (shared: read only)
        self._buf = bytearray()  # the body from the first byte not yet part of a decoded message
        self._pos = 0  # within a decode: where the next message starts in _buf
        self._base = 0  # offset in the body of _buf[0]
        self._error: TranslationError | None = None
        self.frames = 0
        """Messages decoded so far."""

    @property
    def offset(self) -> int:
        """Bytes of the body taken in so far."""
        return self._base + len(self._buf)

    def decode(self, chunk: bytes) -> list[T]:
        """The items of the messages completed by ``chunk``."""
        if self._error is not None:
            raise self._error
        buf = self._buf
        buf += chunk
        items: list[T] = []
        try:
            self._run(buf, items)
        except TranslationError as exc:
            self._error = exc
        if self._pos:  # drop the decoded messages (a prefix delete: no copy of what is left, in CPython)
            if self._pos == len(buf):
                buf.clear()
            else:
                del buf[: self._pos]
            self._base += self._pos
            self._pos = 0
        if self._error is not None and not items:
            raise self._error
        return items

    def flush(self) -> list[T]:
        """End of body: nothing; when it ended inside a message, `TranslationError`, or (with
        ``cut_frame_is_error=False``) nothing either: the cut message is dropped, as an SSE decoder drops an
        event the body cut short, so that the stream reads as truncated."""
        if self._error is not None:
            raise self._error
        if self._buf and self._cut_frame_is_error:
            self._error = TranslationError(
                f"body ended inside an event-stream frame ({len(self._buf)} bytes of it)",
                where=f"byte {self._base}",
            )
            raise self._error
        return []

    def _run(self, buf: bytearray, items: list[T]) -> None:
        limit, end = self._max, len(buf)
        with memoryview(buf) as view:
            while True:
                start = self._pos
                if end - start < 12:
                    return
                total, headers_length, prelude_crc = _PRELUDE.unpack_from(buf, start)
                where = self._base + start
                if zlib.crc32(view[start : start + 8]) != prelude_crc:
                    raise TranslationError("event-stream prelude CRC mismatch", where=f"byte {where}")
                if total < _MIN_FRAME:
                    raise TranslationError(
                        f"event-stream frame length {total} is below the minimum of 16", where=f"byte {where}"
                    )
                if total > limit:
                    raise TranslationError(
                        f"event-stream frame of {total} bytes is larger than max_event_size ({limit} bytes)",
                        where=f"byte {where}",
                    )
                if headers_length > total - _MIN_FRAME:
                    raise TranslationError(
                        f"event-stream headers length {headers_length} does not fit in a frame of {total} bytes",
                        where=f"byte {where}",
                    )
                if headers_length > MAX_HEADERS_LENGTH or total - headers_length - _MIN_FRAME > MAX_PAYLOAD_LENGTH:
                    raise TranslationError(
                        f"event-stream frame over the format's limits (headers {headers_length} bytes, at most "
                        f"{MAX_HEADERS_LENGTH}; payload {total - headers_length - _MIN_FRAME}, at most "
                        f"{MAX_PAYLOAD_LENGTH})",
                        where=f"byte {where}",
                    )
                if end - start < total:
                    return
                headers, payload = self._message(view, start, total, headers_length)
                self._pos = start + total
                self.frames += 1
                item = self._item(headers, payload, where)
                if item is not None:
                    items.append(item)

    def _message(self, view: memoryview, start: int, total: int, headers_length: int) -> tuple[dict[str, Any], bytes]:
        """The headers and payload of the whole message at ``view[start:start + total]``, its CRC checked."""
        crc_at = start + total - 4
        if zlib.crc32(view[start:crc_at]) != _U32.unpack_from(view, crc_at)[0]:
            raise TranslationError("event-stream message CRC mismatch", where=f"byte {self._base + crc_at}")
        headers_end = start + 12 + headers_length
        return self._known_headers(view, start + 12, headers_end), bytes(view[headers_end:crc_at])

    def _known_headers(self, view: memoryview, pos: int, end: int) -> dict[str, Any]:
        """`_headers`, each distinct block parsed once (a stream repeats a few of them); the dict is shared."""
        raw = bytes(view[pos:end])
        headers = self._known.get(raw)
        if headers is None:
            headers = self._headers(view, pos, end)
            if len(self._known) < _KNOWN_LIMIT:
                self._known[raw] = headers
        return headers

    def _headers(self, view: memoryview, pos: int, end: int) -> dict[str, Any]:
        """The headers in ``view[pos:end]`` (already covered by the message CRC, but maybe ill-formed)."""
        headers: dict[str, Any] = {}
        while pos < end:
            at = pos
            name_end = pos + 1 + view[pos]
            if name_end >= end:  # the name, then at least the value type byte
                raise self._bad_header("runs past the end of the headers", at)
            try:
                name = str(view[pos + 1 : name_end], "utf-8")
                value_type = view[name_end]
                pos = name_end + 1
                value: Any
                if value_type <= 1:
                    value = value_type == 0
                elif value_type in _FIXED:
                    fixed = _FIXED[value_type]
                    if pos + fixed.size > end:
                        raise self._bad_header("runs past the end of the headers", at)
                    value = fixed.unpack_from(view, pos)[0]
                    pos += fixed.size
                elif value_type == 6 or value_type == 7:
                    if pos + 2 > end:
                        raise self._bad_header("runs past the end of the headers", at)
                    value_end = pos + 2 + _U16.unpack_from(view, pos)[0]
                    if value_end > end:
                        raise self._bad_header("runs past the end of the headers", at)
                    value = bytes(view[pos + 2 : value_end])
                    if value_type == 7:
                        value = value.decode("utf-8")
                    pos = value_end
                elif value_type == 9:
                    if pos + 16 > end:
                        raise self._bad_header("runs past the end of the headers", at)
                    value = bytes(view[pos : pos + 16])
                    pos += 16
                else:
                    raise self._bad_header(f"has unknown value type {value_type}", at)
            except UnicodeDecodeError:
                raise self._bad_header("is not valid UTF-8", at) from None
            if name in headers:
                raise self._bad_header(f"name {name!r} is repeated", at)
            headers[name] = value
        return headers

    def _bad_header(self, what: str, at: int) -> TranslationError:
        return TranslationError(f"event-stream header {what}", where=f"byte {self._base + at}")

    def _item(self, headers: dict[str, Any], payload: bytes, where: int) -> T | None:
        """One decoded message (``where``: its first byte's offset in the body); None drops it."""
        raise NotImplementedError


class EventStreamFrameDecoder(FrameDecoderBase[Frame]):
    """Bytes in arbitrary pieces → `Frame` (headers, payload) per event-stream message."""

    __slots__ = ()

    def _item(self, headers: dict[str, Any], payload: bytes, where: int) -> Frame:
        return Frame(dict(headers), payload)  # a copy: the parsed block is shared with later messages


class JSONFrameDecoder(FrameDecoderBase[dict[str, Any]]):
    """Bytes in arbitrary pieces → the event dict of each message (`json_event`), as boto3's
    ``converse_stream`` yields them."""

    __slots__ = ()

    def _item(self, headers: dict[str, Any], payload: bytes, where: int) -> dict[str, Any]:
        return json_event(headers, payload, where)


def json_event(headers: Mapping[str, Any], payload: bytes, where: int = 0) -> dict[str, Any]:
    """One message as an event dict (``where``: the message's offset in the body, for errors).

    * ``:message-type`` ``event``: ``{<:event-type>: <payload's JSON object>}`` (an empty payload is ``{}``);
    * ``exception`` or ``error``: ``{"error": {"type", "message", <the payload's other fields>, "headers"}}``,
      the type from ``:exception-type`` (or ``:error-code``), the message from the payload's ``message``
      (or ``Message``), else the ``:error-message`` header (Bedrock's ``modelStreamErrorException`` adds
      ``originalStatusCode`` and ``originalMessage``);
    * anything else, a missing ``:event-type``, or a payload that is not a JSON object:
      `TranslationError`.
    """
    kind = headers.get(":message-type")
    if kind == "event":
        event_type = headers.get(":event-type")
        if type(event_type) is not str:
            raise TranslationError("event-stream event has no :event-type header", where=f"byte {where}")
        return {event_type: _json_object(payload, where)}
    if kind == "exception" or kind == "error":
        body = _json_object(payload, where)
        error_type = headers.get(":exception-type", headers.get(":error-code", kind))
        message = body.get("message", body.get("Message"))
        if type(message) is not str:
            message = headers.get(":error-message", "")
        rest = {key: value for key, value in body.items() if key not in _ERROR_KEYS}
        return {"error": {"type": error_type, "message": message, **rest, "headers": dict(headers)}}
    raise TranslationError(
        f"event-stream :message-type {kind!r} is not event, exception or error", where=f"byte {where}"
    )


_ERROR_KEYS: Final = frozenset({"type", "message", "Message", "headers"})
"""Keys of an error event that an exception payload's own fields cannot take."""


def _json_object(payload: bytes, where: int) -> dict[str, Any]:
    try:
        value = loads(payload)
    except (JSONDecodeError, UnicodeDecodeError) as exc:
        if not payload.strip():
            return {}
        raise TranslationError(f"event-stream payload is not JSON: {exc}", where=f"byte {where}") from None
    if type(value) is not dict:
        raise TranslationError(
            f"event-stream payload is JSON {type(value).__name__}, not an object", where=f"byte {where}"
        )
    return value


class BotocoreJSONFrameDecoder(JSONFrameDecoder):
    """`JSONFrameDecoder` with each message decoded (CRC, headers, payload) by botocore's ``EventStreamBuffer``.

    The framing around it stays ours: the prelude is checked (CRC, lengths, ``max_event_size``) before a
    message is buffered, since botocore trusts a prelude's lengths once its CRC holds (a ``total_length``
    of 0 would never advance), and the header block goes through our parser first (botocore reads a value
    that runs past the block as cut short). What botocore refuses becomes `TranslationError` at the
    message's offset.

    botocore's header parser goes behind a cache of its results (`_CachedHeaders`): a stream repeats a few
    header blocks byte for byte (``:event-type``, ``:content-type``, ``:message-type``), and parsing them
    was two thirds of botocore's time per message.
    """

    __slots__ = ("_buffer", "_refused")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE, *, cut_frame_is_error: bool = True) -> None:
        from botocore.eventstream import EventStreamBuffer, ParserError

        super().__init__(max_event_size, cut_frame_is_error=cut_frame_is_error)
        self._buffer = EventStreamBuffer()
        parse = getattr(getattr(self._buffer, "_header_parser", None), "parse", None)
        if callable(parse):  # botocore's private attribute: without it, botocore parses every block
            self._buffer._header_parser = _CachedHeaders(parse)
        self._refused = (ParserError, struct.error, UnicodeDecodeError, KeyError, ValueError)

    def _message(self, view: memoryview, start: int, total: int, headers_length: int) -> tuple[dict[str, Any], bytes]:
        # botocore reads a value that runs past the header block as cut short: our parse refuses it first
        self._known_headers(view, start + 12, start + 12 + headers_length)
        buffer = self._buffer  # holds nothing between messages: each is added whole and taken out whole
        buffer.add_data(bytes(view[start : start + total]))
        try:
            message = next(buffer)
        except self._refused as exc:  # the decoder stops here for good, so the buffer is not needed again
            reason = str(exc) or type(exc).__name__
            raise TranslationError(
                f"event-stream message refused by botocore: {reason}", where=f"byte {self._base + start}"
            ) from None
        return message.headers, message.payload


class _CachedHeaders:
    """A header parser (``parse(raw) -> dict``) that parses each distinct header block once.

    The dicts it returns are shared between messages with the same header bytes: read them, do not change
    them (`json_event` copies before it keeps one). At most `LIMIT` blocks are kept."""

    __slots__ = ("_cache", "_parse")
    LIMIT: Final = _KNOWN_LIMIT

    def __init__(self, parse: Callable[[bytes], dict[str, Any]]) -> None:
        self._parse = parse
        self._cache: dict[bytes, dict[str, Any]] = {}

    def parse(self, raw: bytes) -> dict[str, Any]:
        headers = self._cache.get(raw)
        if headers is None:
            headers = self._parse(raw)
            if len(self._cache) < self.LIMIT:
                self._cache[raw] = headers
        return headers


class BotocoreHeadersJSONFrameDecoder(JSONFrameDecoder):
    """`JSONFrameDecoder` with each distinct header block parsed by botocore's ``EventStreamHeaderParser``.

    The header block is the intricate part of the format (ten value types); the rest of a message is
    lengths and CRCs, which this decoder checks itself, as `BotocoreJSONFrameDecoder` must too (botocore
    trusts a prelude's lengths). Handing each whole message to botocore's ``EventStreamBuffer`` on top
    re-does those checks and costs more than the translation (the benchmark's ``_botocore_buffer`` rows);
    parsing each distinct header block with botocore costs nothing per message, since a stream repeats a
    few blocks. A block goes through our parser first (botocore reads a value that runs past the block as
    cut short); the dict kept is botocore's.
    """

    __slots__ = ("_parse", "_refused")

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE, *, cut_frame_is_error: bool = True) -> None:
        from botocore.eventstream import EventStreamHeaderParser, ParserError

        super().__init__(max_event_size, cut_frame_is_error=cut_frame_is_error)
        self._parse: Callable[[bytes], dict[str, Any]] = EventStreamHeaderParser().parse
        self._refused = (ParserError, struct.error, UnicodeDecodeError, KeyError, ValueError)

    def _headers(self, view: memoryview, pos: int, end: int) -> dict[str, Any]:
        super()._headers(view, pos, end)  # refuses what botocore would misread, with the offset
        try:
            return self._parse(bytes(view[pos:end]))
        except self._refused as exc:
            reason = str(exc) or type(exc).__name__
            raise self._bad_header(f"block refused by botocore: {reason}", pos) from None


def json_frame_decoder(max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> JSONFrameDecoder:
    """Bedrock's decoder: `BotocoreHeadersJSONFrameDecoder` when botocore can be imported, else
    `JSONFrameDecoder` (the same dicts and errors either way); a body cut inside a message ends without it
    (the translator then reports the stream truncated)."""
    try:
        return BotocoreHeadersJSONFrameDecoder(max_event_size, cut_frame_is_error=False)
    except ImportError:
        return JSONFrameDecoder(max_event_size, cut_frame_is_error=False)


# -- encoding -------------------------------------------------------------------------------------------


def encode_message(headers: Mapping[str, str | bytes | bool | int], payload: bytes = b"") -> bytes:
    """One event-stream message: str headers as type 7, bytes as 6, bools as 0/1, ints as 5 (i64)."""
    raw = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw += bytes([len(raw_name)]) + raw_name
        if isinstance(value, bool):
            raw.append(0 if value else 1)
        elif isinstance(value, int):
            raw.append(5)
            raw += _FIXED[5].pack(value)
        else:
            data = value.encode("utf-8") if isinstance(value, str) else value
            raw.append(7 if isinstance(value, str) else 6)
            raw += _U16.pack(len(data)) + data
    total = 16 + len(raw) + len(payload)
    head = struct.pack(">II", total, len(raw))
    message = head + _U32.pack(zlib.crc32(head)) + raw + payload
    return message + _U32.pack(zlib.crc32(message))


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The message of one event dict, as Bedrock sends it: ``{<event type>: <payload object>}`` → an
    ``event`` message (JSON payload, the payload's keys in their order); ``{"error": {"type", "message"}}``
    → an ``exception`` message with ``:exception-type``, the payload the error's other fields
    (``message``, ``originalStatusCode`` …)."""
    if len(event) != 1:
        raise ValueError(f"an event dict has exactly one key, not {len(event)}")
    ((event_type, body),) = event.items()
    if event_type == "error":
        if not isinstance(body, Mapping) or type(body.get("type")) is not str:
            raise ValueError('an "error" event is {"type": <exception type>, "message": …}')
        headers = {":exception-type": body["type"], ":content-type": "application/json", ":message-type": "exception"}
        fields = {key: value for key, value in body.items() if key not in ("type", "headers")}
        return encode_message(headers, dumps_any(fields))
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, dumps_any(body))
