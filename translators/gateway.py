"""The gateway layer: metering, a first-event peek, cancellation, keep-alive and an idle timeout.

What a proxy that embeds the translators needs beyond chunk mapping, usable from any framework::

    out = gateway.astream("anthropic", upstream.aiter_bytes(), prices=table, on_usage=bill,
                          keepalive=15, idle_timeout=120, include_usage=wants_usage)
    error = await out.peek()          # before committing a 200
    if error is not None:
        return JSONResponse(error.body, status_code=error.status, headers=error.headers)
    return StreamingResponse(out, media_type="text/event-stream")   # and aclose() it in a finally

Output order of a metered stream (``prices`` given)::

    content chunks → finish chunk → provider usage chunk (include_usage) → gateway usage chunk → [DONE]

The gateway usage chunk is ``{"id", "object", "created", "model", "choices": [], "usage": {...},
"credits_used": N}``. A stream that ends in an error event gets the gateway usage chunk just before it.

Usage report (`UsageReport`, given to ``on_usage`` exactly once per stream, however it ended):

=============  =======================================================================================
``ending``     when
=============  =======================================================================================
completed      the output ended with ``[DONE]``
error          the provider sent an error, the input could not be translated, or reading it raised
truncated      the upstream body ended before the provider's terminal event
timeout        the upstream sent nothing for ``idle_timeout`` seconds
cancelled      the output was closed (``close()``/``aclose()``, task cancelled) before it ended
=============  =======================================================================================

``usage`` is the provider's final usage when it sent one. Otherwise it is an estimate, with
``"estimated": true`` in it: the prompt tokens are the provider's partial count where its stream had one
(Anthropic's ``message_start``, Gemini's running ``usageMetadata``), else the caller's
``prompt_tokens_estimate``, else 0; the completion tokens are the larger of the provider's partial count and
the characters sent (content, refusal, tool names and arguments, reasoning) divided by 4, rounded up
(OpenAI's rule of thumb for English text), with the reasoning part as ``reasoning_tokens``.

Everything here but the two stream classes is sans-I/O (`GatewayCore`: bytes in, bytes out). The stream
classes read the clock only for the keep-alive and the idle timeout; nothing waits on purpose and nothing
is held back: each upstream read that completes something is sent on at once.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal

from translators._core import Options, _encode, _framed, failure
from translators._registry import spec
from translators.chunks import count, error_event
from translators.errors import ErrorResponse, TranslationError, error_response
from translators.sse import DONE, encode_comment

if TYPE_CHECKING:
    from translators.pricing import PriceTable

__all__ = [
    "KEEPALIVE",
    "AsyncGatewayStream",
    "GatewayCore",
    "GatewayStream",
    "Meter",
    "UsageReport",
    "astream",
    "checked_seconds",
    "stream",
]

Ending = Literal["completed", "error", "truncated", "timeout", "cancelled"]
Chunk = dict[str, Any]

KEEPALIVE: Final = encode_comment("keep-alive")
"""``: keep-alive\\n\\n``: an SSE comment, which clients, proxies and browsers skip."""
CHARS_PER_TOKEN: Final = 4
"""The estimate's divisor: characters sent per completion token."""


@dataclass(frozen=True)
class UsageReport:
    """The final usage of one stream, however it ended (module docstring)."""

    provider: str
    ending: Ending
    usage: dict[str, Any]
    """OpenAI-shaped; ``"estimated": True`` in it when the provider never reported its final usage."""
    estimated: bool
    id: str | None = None
    model: str | None = None
    created: int | None = None
    credits_used: int | Decimal | None = None
    """From the price table (None without one, or when it prices no such model)."""
    error: dict[str, Any] | None = None
    """The ``error`` object the stream ended with, if it did."""


# -- the meter: what the chunks of one stream add up to ------------------------------------------------------


class Meter:
    """Watches the chunk dicts of one stream: identity, characters sent, the final usage, the error.

    ``observe(chunk)`` returns whether the chunk bears content (anything but a role-only first delta):
    what `peek` waits for."""

    __slots__ = (
        "_reasoning_field",
        "completion_chars",
        "created",
        "error",
        "id",
        "model",
        "reasoning_chars",
        "usage",
    )

    def __init__(self, reasoning_field: str = "reasoning_content") -> None:
        self._reasoning_field = reasoning_field
        self.id: str | None = None
        self.created: int | None = None
        self.model: str | None = None
        self.completion_chars = 0
        self.reasoning_chars = 0
        self.usage: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None

    def observe(self, chunk: Mapping[str, Any]) -> bool:
        error = chunk.get("error")
        if isinstance(error, dict):
            self.error = error
            usage = chunk.get("usage")  # OpenRouter's error chunks carry the usage so far
            if isinstance(usage, dict) and self.usage is None:
                self.usage = usage
            return True
        if self.id is None:
            self.id, self.created, self.model = chunk.get("id"), chunk.get("created"), chunk.get("model")
        choices = chunk.get("choices")
        if not choices:
            usage = chunk.get("usage")
            if isinstance(usage, dict):
                self.usage = usage
            return True
        bears = False
        for choice in choices:
            bears = self._choice(choice) or bears
        return bears

    def _choice(self, choice: Mapping[str, Any]) -> bool:
        delta = choice.get("delta") or {}
        bears = choice.get("finish_reason") is not None
        for key, value in delta.items():
            if key == "role" or value == "" or value is None:
                continue
            bears = True
            if type(value) is str:
                if key == self._reasoning_field:
                    self.reasoning_chars += len(value)
                elif key in ("content", "refusal"):
                    self.completion_chars += len(value)
            elif key == "tool_calls" and isinstance(value, list):
                self.completion_chars += sum(_call_chars(call) for call in value)
        return bears

    def final_usage(
        self, partial: Mapping[str, Any] | None = None, prompt_estimate: int | None = None
    ) -> dict[str, Any]:
        """The provider's usage when it sent its final one; else the estimate (module docstring)."""
        if self.usage is not None:
            return self.usage
        partial = partial or {}
        reasoning = -(-self.reasoning_chars // CHARS_PER_TOKEN)
        completion = -(-self.completion_chars // CHARS_PER_TOKEN) + reasoning
        prompt = count(partial.get("prompt_tokens"))
        if prompt == 0 and prompt_estimate is not None:
            prompt = max(prompt_estimate, 0)
        completion = max(completion, count(partial.get("completion_tokens")))
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        details = partial.get("prompt_tokens_details")
        if isinstance(details, dict):
            usage["prompt_tokens_details"] = details
        if reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        usage["estimated"] = True
        return usage


def _call_chars(call: Any) -> int:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        return 0
    return sum(len(v) for k, v in function.items() if k in ("name", "arguments") and type(v) is str)


# -- the sans-I/O core ------------------------------------------------------------------------------------


class _ChunkPipeline:
    """Wire bytes → chunk dicts for one stream (`BytePipeline` without the encoding)."""

    __slots__ = ("_decoder", "_provider", "_translator", "done", "failed")

    def __init__(self, provider: str, options: Options) -> None:
        provider_spec = spec(provider)
        self._provider = provider_spec.name
        self._translator = provider_spec.translator(options)
        self._decoder = provider_spec.decoder(options.max_event_size)
        self.done = False
        self.failed = False

    def feed(self, piece: bytes) -> list[Chunk]:
        return self._guarded(lambda: self._decoder.decode(piece), finish=False)

    def close(self) -> list[Chunk]:
        return self._guarded(self._decoder.flush, finish=True)

    def partial_usage(self) -> Mapping[str, Any] | None:
        """The provider's counts so far, where its translator keeps them (``partial_usage()``)."""
        partial = getattr(self._translator, "partial_usage", None)
        return partial() if callable(partial) else None

    def _guarded(self, events: Callable[[], Sequence[Mapping[str, Any]]], *, finish: bool) -> list[Chunk]:
        if self.done:
            return []
        out: list[Chunk] = []
        translator = self._translator
        try:
            for event in events():
                out.extend(translator.feed(event))  # type: ignore[arg-type]  # not encoded: dicts only
                if translator.done:
                    break
            if finish and not translator.done:
                out.extend(translator.finish())  # type: ignore[arg-type]
        except TranslationError as exc:
            exc.located(provider=self._provider)
            out.append(failure(exc))
            self.done = self.failed = True
            return out
        if translator.done or finish:
            self.done = True
            self.failed = translator.failed
        return out


class GatewayCore:
    """One metered stream, sans-I/O: ``feed(piece)`` / ``close()`` return the SSE bytes to send now;
    ``fail(error)`` ends it with an error of the gateway's own (idle timeout, upstream read failure);
    ``cancel()`` records that the client went away. The `UsageReport` goes to ``on_usage`` once."""

    def __init__(
        self,
        provider: str,
        *,
        prices: PriceTable | None = None,
        on_usage: Callable[[UsageReport], object] | None = None,
        price_model: str | None = None,
        prompt_tokens_estimate: int | None = None,
        usage_chunk: bool | None = None,
        **options: Any,
    ) -> None:
        opts = Options.from_kwargs({**options, "include_usage": True})  # the meter needs the usage chunk
        self.provider = provider
        self._include_usage = bool(options.get("include_usage", True))
        self._pipeline = _ChunkPipeline(provider, opts)
        self._meter = Meter(opts.reasoning_field)
        self._prices = prices
        self._on_usage = on_usage
        self._price_model = price_model
        self._prompt_estimate = prompt_tokens_estimate
        self._usage_chunk = prices is not None if usage_chunk is None else usage_chunk
        self.content_seen = False
        """A chunk that bears content (or the end) has gone out: what `peek` waits for."""
        self.report: UsageReport | None = None
        """Set when the stream ended (and ``on_usage`` was called with it)."""

    @property
    def done(self) -> bool:
        return self.report is not None

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object the stream ended with, if it did."""
        return self._meter.error

    def feed(self, piece: bytes) -> bytes:
        return b"" if self.done else self._emit(self._pipeline.feed(piece))

    def close(self) -> bytes:
        return b"" if self.done else self._emit(self._pipeline.close())

    def fail(self, message: str, type: str, code: str) -> bytes:
        """End the stream with an error event of the gateway's own."""
        return b"" if self.done else self._emit([error_event(message, type, code)])

    def cancel(self) -> None:
        """The client went away before the end: report what was produced."""
        if not self.done:
            self._finish("cancelled")

    def _emit(self, chunks: list[Chunk]) -> bytes:
        parts: list[bytes] = []
        meter = self._meter
        for chunk in chunks:
            self.content_seen = meter.observe(chunk) or self.content_seen
            if "error" in chunk:
                report = self._finish(_ending(chunk["error"]))
                if self._usage_chunk:
                    parts.append(_encode(self._gateway_chunk(report)))
                parts.append(_encode(chunk))
                return _framed(parts)
            if chunk.get("choices") or self._include_usage or "usage" not in chunk:
                parts.append(_encode(chunk))
        if not self._pipeline.done:
            return _framed(parts)
        report = self._finish("completed")
        if self._usage_chunk:
            parts.append(_encode(self._gateway_chunk(report)))
        return _framed(parts) + DONE

    def _finish(self, ending: Ending) -> UsageReport:
        meter = self._meter
        usage = meter.final_usage(self._pipeline.partial_usage(), self._prompt_estimate)
        credits = None
        if self._prices is not None:
            credits = self._prices.credits(usage, self._price_model or meter.model or "")
        self.report = report = UsageReport(
            provider=self.provider,
            ending=ending,
            usage=usage,
            estimated=bool(usage.get("estimated")),
            id=meter.id,
            model=meter.model,
            created=meter.created,
            credits_used=credits,
            error=meter.error,
        )
        self.content_seen = True
        if self._on_usage is not None:
            self._on_usage(report)
        return report

    def _gateway_chunk(self, report: UsageReport) -> Chunk:
        credits = report.credits_used
        return {
            "id": report.id,
            "object": "chat.completion.chunk",
            "created": report.created,
            "model": report.model,
            "choices": [],
            "usage": report.usage,
            "credits_used": credits if credits is None or isinstance(credits, int) else float(credits),
        }


def _ending(error: Mapping[str, Any]) -> Ending:
    kind = error.get("type")
    if kind == "upstream_truncated":
        return "truncated"
    if error.get("code") == IDLE_CODE:
        return "timeout"
    return "error"


IDLE_CODE: Final = "idle_timeout"
READ_ERROR_CODE: Final = "upstream_read_error"


def _read_error(exc: Exception) -> tuple[str, str, str]:
    return f"reading the upstream body failed: {type(exc).__name__}: {exc}", "api_error", READ_ERROR_CODE


def _peeked_error(core: GatewayCore) -> ErrorResponse | None:
    """The HTTP error a gateway sends instead of a 200 when the stream's first content was an error."""
    error = core.error
    if error is None or core.report is None:
        return None
    return error_response(error)


def load(prices: PriceTable | Mapping[str, Any] | str | Path | None) -> PriceTable | None:
    """A price table from a `PriceTable`, its data, or a ``.json``/``.toml`` file (`translators.pricing`)."""
    if prices is None:
        return None
    from translators.pricing import PriceTable, load_prices

    return prices if isinstance(prices, PriceTable) else load_prices(prices)


# -- sync ---------------------------------------------------------------------------------------------------

_END = object()


class GatewayStream(Iterator[bytes]):
    """`GatewayCore` over a sync body: iterate for SSE bytes; ``peek()`` first to catch an opening error;
    ``close()`` (or leaving a ``with`` block) closes the body and, before the end, reports ``cancelled``."""

    def __init__(self, core: GatewayCore, body: Iterable[bytes]) -> None:
        self.core = core
        self._body = body
        self._pieces = iter(body)
        self._ready: list[bytes] = []
        self._closed = False

    def peek(self) -> ErrorResponse | None:
        """Read until the first content-bearing chunk; an error there comes back as the HTTP response to
        send instead (the stream is then closed); else None, and iteration yields everything read."""
        while not self.core.content_seen:
            out = self._step()
            if out:
                self._ready.append(out)
        error = _peeked_error(self.core)
        if error is not None:
            self.close()
        return error

    def __iter__(self) -> GatewayStream:
        return self

    def __next__(self) -> bytes:
        if self._ready:
            return self._ready.pop(0)
        try:
            while not self.core.done:
                out = self._step()
                if out:
                    return out
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration

    def _step(self) -> bytes:
        core = self.core
        try:
            piece = next(self._pieces, _END)
        except Exception as exc:  # the upstream connection broke: a clean error event, billed
            out = core.fail(*_read_error(exc))
        else:
            out = core.close() if piece is _END else core.feed(piece)  # type: ignore[arg-type]
        if core.done:
            self._close_body()
        return out

    def close(self) -> None:
        """Stop: report ``cancelled`` if the stream had not ended, and close the body (once)."""
        self.core.cancel()
        self._close_body()

    def _close_body(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if callable(close):
                close()

    def __del__(self) -> None:  # dropped without close(): still billed, as cancelled
        core = getattr(self, "core", None)
        if core is not None and not core.done:
            core.cancel()

    def __enter__(self) -> GatewayStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


# -- async --------------------------------------------------------------------------------------------------


def checked_seconds(name: str, value: float | None) -> float | None:
    """``value`` if it is None or a positive, finite number of seconds; else `ValueError` naming ``name``."""
    if value is not None and not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number of seconds or None, not {value!r}")
    return value


_KEEP = object()
_IDLE = object()


@dataclass
class _Liveness:
    keepalive: float | None
    idle_timeout: float | None
    last: float = 0.0
    """Loop time of the last upstream read (or of the start)."""
    pending: asyncio.Future[bytes] | None = field(default=None, repr=False)


class AsyncGatewayStream(AsyncIterator[bytes]):
    """The async twin of `GatewayStream`, plus ``keepalive`` (send ``: keep-alive`` while the upstream is
    silent that long) and ``idle_timeout`` (end with an error event, and close the upstream, when it stays
    silent that long). Task cancellation, ``aclose()`` and ``async with`` close the upstream at once."""

    def __init__(
        self,
        core: GatewayCore,
        body: AsyncIterable[bytes],
        *,
        keepalive: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        checked_seconds("keepalive", keepalive)
        checked_seconds("idle_timeout", idle_timeout)
        self.core = core
        self._body = body
        self._pieces = body.__aiter__()
        self._live = _Liveness(keepalive, idle_timeout)
        self._ready: list[bytes] = []
        self._closed = False
        self._started = False

    async def peek(self) -> ErrorResponse | None:
        """As `GatewayStream.peek`; keep-alives read meanwhile are dropped (nothing was sent yet)."""
        while not self.core.content_seen:
            out = await self._step()
            if out and out is not KEEPALIVE:
                self._ready.append(out)
        error = _peeked_error(self.core)
        if error is not None:
            await self.aclose()
        return error

    def __aiter__(self) -> AsyncGatewayStream:
        return self

    async def __anext__(self) -> bytes:
        if self._ready:
            return self._ready.pop(0)
        try:
            while not self.core.done:
                out = await self._step()
                if out:
                    return out
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    async def _step(self) -> bytes:
        core = self.core
        try:
            piece = await self._next_piece()
        except Exception as exc:
            out = core.fail(*_read_error(exc))
        else:
            if piece is _KEEP:
                return KEEPALIVE
            if piece is _IDLE:
                seconds = self._live.idle_timeout
                out = core.fail(f"the upstream sent nothing for {seconds:g} s", "timeout_error", IDLE_CODE)
            else:
                out = core.close() if piece is _END else core.feed(piece)  # type: ignore[arg-type]
        if core.done:
            await self._close_body()
        return out

    async def _next_piece(self) -> object:
        live = self._live
        if live.keepalive is None and live.idle_timeout is None:
            try:
                return await self._pieces.__anext__()
            except StopAsyncIteration:
                return _END
        loop = asyncio.get_running_loop()
        if not self._started:
            self._started = True
            live.last = loop.time()
        if live.pending is None:  # one read at a time, kept across keep-alives (cancelling it would end the body)
            live.pending = asyncio.ensure_future(self._pieces.__anext__())
        waits = [live.keepalive] if live.keepalive is not None else []
        if live.idle_timeout is not None:
            waits.append(max(live.last + live.idle_timeout - loop.time(), 0.0))
        done, _ = await asyncio.wait({live.pending}, timeout=min(waits))
        if not done:
            if live.idle_timeout is not None and loop.time() - live.last >= live.idle_timeout:
                return _IDLE
            return _KEEP
        task, live.pending = live.pending, None
        live.last = loop.time()
        try:
            return task.result()
        except StopAsyncIteration:
            return _END

    async def aclose(self) -> None:
        """Stop: report ``cancelled`` if the stream had not ended, and close the upstream (once)."""
        self.core.cancel()
        await self._close_body()

    async def _close_body(self) -> None:
        if self._closed:
            return
        self._closed = True
        pending, self._live.pending = self._live.pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            await asyncio.wait({pending})
        aclose = getattr(self._body, "aclose", None)
        if callable(aclose):
            await aclose()

    def __del__(self) -> None:  # dropped without aclose() (the body cannot be awaited here): still billed
        core = getattr(self, "core", None)  # None: __init__ refused its arguments
        if core is not None and not core.done:
            core.cancel()

    async def __aenter__(self) -> AsyncGatewayStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


# -- entry points -------------------------------------------------------------------------------------------


def stream(
    provider: str,
    body: Iterable[bytes],
    *,
    prices: PriceTable | Mapping[str, Any] | str | Path | None = None,
    on_usage: Callable[[UsageReport], object] | None = None,
    **options: Any,
) -> GatewayStream:
    """`translators.stream` with metering: ``prices`` (a `PriceTable`, its data, or a file) adds the gateway
    usage chunk; ``on_usage`` gets the `UsageReport`. More keywords: ``price_model`` (price the stream as
    this model), ``prompt_tokens_estimate``, ``usage_chunk`` (force the gateway chunk on or off), and every
    option of `translators.stream`."""
    return GatewayStream(GatewayCore(provider, prices=load(prices), on_usage=on_usage, **options), body)


def astream(
    provider: str,
    body: AsyncIterable[bytes],
    *,
    prices: PriceTable | Mapping[str, Any] | str | Path | None = None,
    on_usage: Callable[[UsageReport], object] | None = None,
    keepalive: float | None = None,
    idle_timeout: float | None = None,
    **options: Any,
) -> AsyncGatewayStream:
    """The async twin of `stream`, with ``keepalive`` and ``idle_timeout`` in seconds (None: off)."""
    core = GatewayCore(provider, prices=load(prices), on_usage=on_usage, **options)
    return AsyncGatewayStream(core, body, keepalive=keepalive, idle_timeout=idle_timeout)
