"""The provider-independent core: options, the translator protocol, and the byte pipeline.

Layers (each tested on its own):

    wire bytes --Decoder.decode--> event dicts --Translator.feed--> chunk dicts --encode_json--> SSE bytes

A decoder is the framing (``translators.sse``) and the JSON step (``translators.events``) in one pass.

A `Translator` is sans-I/O: ``feed(event) -> list[chunk]`` and ``finish() -> list[chunk]``. It never
reads a clock, a socket or a random source. `BytePipeline` does the same for bytes. The public
``translate``/``atranslate``/``stream``/``astream`` (in ``translators/__init__``) are thin loops over
these two, so sync, async and byte-at-a-time use share one implementation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, cast

from translators._json import dumps, dumps_any
from translators.chunks import Chunk, ChunkBuilder, ChunkOut, error_event
from translators.errors import TranslationError
from translators.sse import DEFAULT_MAX_EVENT_SIZE, DONE, encode_json

__all__ = [
    "BytePipeline",
    "Options",
    "ProviderSpec",
    "Translator",
    "as_event_dict",
    "stream_builder",
]

Event = Mapping[str, Any]


@dataclass(frozen=True)
class Options:
    """Options common to all providers (see the README's "Options" table)."""

    include_usage: bool = True
    model: str | None = None
    id: str | None = None
    created: int | None = None
    """Unix time for every chunk; None reads the clock once, when the options are made."""
    reasoning_field: str = "reasoning_content"
    strict: bool = False
    """Raise `TranslationError` on event types the translator does not know (default: ignore them)."""
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    """Largest SSE line or event accepted by ``stream()``, in bytes."""
    created_from_clock: bool = field(default=False, init=False, compare=False)
    """``created`` was not given: a provider whose stream carries its own creation time may use that."""

    def __post_init__(self) -> None:
        if self.created is None:  # the one clock read of a stream: the core never reads one
            object.__setattr__(self, "created", int(time.time()))
            object.__setattr__(self, "created_from_clock", True)

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> Options:
        """Validate keyword options (an unknown name is a TypeError, as for a function's keywords)."""
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**options)


def stream_builder(
    options: Options,
    provider: str,
    *,
    upstream_id: Any,
    model: Any,
    created: Any = None,
    id_prefix: str = "chatcmpl-",
    extra: dict[str, Any] | None = None,
    encoded: bool = False,
) -> ChunkBuilder:
    """The `ChunkBuilder` of one stream, its identity from the options, else from the upstream's first event.

    ``id``: the option; else ``id_prefix + upstream_id`` (a non-empty string); else ``chatcmpl-<provider>-<created>``.
    ``created``: the option; else the upstream's unix time (a positive number); else the clock read by `Options`.
    ``model``: the option; else the upstream's (a string); else ``""``.
    """
    stream_created = cast(int, options.created)  # Options fills it in
    if options.created_from_clock and type(created) in (int, float) and created > 0:
        stream_created = int(created)
    if options.id is not None:
        stream_id = options.id
    elif isinstance(upstream_id, str) and upstream_id:
        stream_id = id_prefix + upstream_id
    else:
        stream_id = f"chatcmpl-{provider}-{stream_created}"
    return ChunkBuilder(
        provider=provider,
        id=stream_id,
        created=stream_created,
        model=options.model if options.model is not None else (model if isinstance(model, str) else ""),
        reasoning_field=options.reasoning_field,
        extra=extra,
        encoded=encoded,
    )


class Translator(Protocol):
    """The sans-I/O core of one provider's translation of one stream."""

    done: bool
    """The provider's terminal event (or an error event) was seen: no more input is read."""
    failed: bool
    """The output ended with an error event (so no ``[DONE]``)."""

    def feed(self, event: Event) -> list[ChunkOut]: ...

    def finish(self) -> list[ChunkOut]:
        """End of input. A stream without its terminal event gets a final error event here."""
        ...


class Decoder(Protocol):
    """Wire bytes → event dicts (framing and JSON in one pass), in arbitrary pieces."""

    def decode(self, chunk: bytes) -> Sequence[Event]: ...

    def flush(self) -> Sequence[Event]:
        """End of body: what the last bytes completed."""
        ...


@dataclass(frozen=True)
class ProviderSpec:
    """What the pipeline needs to know about one provider."""

    name: str
    translator: Callable[..., Translator]
    """``translator(options, encoded=False)``: with ``encoded``, steady-state chunks may come as JSON bytes."""
    decoder: Callable[[int], Decoder]
    """Builds the wire decoder, given ``max_event_size``."""
    to_dict: Callable[[Any], Event] | None = None
    """Turns an SDK event object into an event dict; None: use `as_event_dict`."""


def as_event_dict(event: Any) -> Event:
    """A decoded JSON dict, any Mapping, or a pydantic model (an SDK event object) → a dict."""
    if type(event) is dict:
        return event
    if isinstance(event, Mapping):
        return event
    dump = getattr(event, "model_dump", None)
    if callable(dump):
        result = dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(result, dict):
            return result
    raise TranslationError(f"event must be a JSON object or an SDK event model, not {type(event).__name__}")


def _encode(chunk: ChunkOut) -> bytes:
    """A chunk's JSON; what cannot be encoded (a value nested past the encoders' limits) is bad input."""
    if type(chunk) is bytes:
        return chunk
    try:
        return dumps(chunk)
    except TypeError:
        try:
            return dumps_any(chunk)
        except ValueError as exc:
            raise TranslationError(f"a chunk {exc}") from None


_BATCH = 64 * 1024
"""Reads larger than this are decoded and translated a slice at a time (the output is the same)."""


def _framed(parts: list[bytes]) -> bytes:
    r"""``data: <json>\n\n`` for each part, framed with one join per read."""
    return b"data: " + b"\n\ndata: ".join(parts) + b"\n\n" if parts else b""


def failure(exc: TranslationError) -> Chunk:
    """The error event that ends a stream whose input could not be translated."""
    return error_event(str(exc), "translation_error")


class BytePipeline:
    """Wire bytes → OpenAI SSE bytes for one stream, fed in arbitrary pieces; sans-I/O.

    ``feed(piece)`` returns the bytes to send now (possibly ``b""``); ``close()`` returns the last bytes
    at end of body. After ``done`` turns true, the output is complete and further input is not read.
    """

    __slots__ = ("_decoder", "_spec", "_translator", "done")

    def __init__(self, spec: ProviderSpec, options: Options) -> None:
        self._spec = spec
        self._translator = spec.translator(options, encoded=True)
        self._decoder = spec.decoder(options.max_event_size)
        self.done = False

    def feed(self, piece: bytes) -> bytes:
        if self.done:
            return b""
        parts: list[bytes] = []
        try:
            if len(piece) <= _BATCH:
                self._run(self._decoder.decode(piece), parts)
            else:  # a large read in slices: each slice's events are translated while they are still in cache
                view = memoryview(piece)
                for start in range(0, len(piece), _BATCH):
                    self._run(self._decoder.decode(bytes(view[start : start + _BATCH])), parts)
                    if self.done:
                        break
        except TranslationError as exc:
            return _framed(parts) + self._fail(exc)
        return self._end(parts)

    def close(self) -> bytes:
        if self.done:
            return b""
        parts: list[bytes] = []
        try:
            self._run(self._decoder.flush(), parts)
            if not self.done:
                self.done = True
                parts.extend(_encode(chunk) for chunk in self._translator.finish())
        except TranslationError as exc:
            return _framed(parts) + self._fail(exc)
        return self._end(parts)

    def _run(self, events: Sequence[Event], parts: list[bytes]) -> None:
        """Translate ``events`` into ``parts`` (one JSON document per chunk) until the terminal event."""
        translator = self._translator
        feed = translator.feed
        for event in events:
            for chunk in feed(event):
                parts.append(chunk if type(chunk) is bytes else _encode(chunk))
            if translator.done:
                self.done = True
                return

    def _end(self, parts: list[bytes]) -> bytes:
        out = _framed(parts)
        return out + DONE if self.done and not self._translator.failed else out

    def _fail(self, exc: TranslationError) -> bytes:
        self.done = True
        exc.located(provider=self._spec.name)
        return encode_json(failure(exc))
