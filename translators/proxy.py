"""The reference proxy: an OpenAI-compatible ``/v1/chat/completions`` in front of a replay or a real upstream.

Run it with ``translators serve --replay fixtures/`` (no API key needed: the request's ``model`` names a
recorded fixture, e.g. ``anthropic/tool-use-streamed-input``), or with ``ANTHROPIC_API_KEY`` and/or
``GEMINI_API_KEY`` set for the real services; embed it with ``create_app(upstream)``, a Starlette app
(``pip install 'translators[proxy]'``). It is thin on purpose: the stream logic (translation, metering, the
first-event peek, keep-alive, the idle timeout, cancellation) is `translators.gateway`'s, and every piece the
gateway yields is sent on at once, never buffered.

==============================  ===============================================================================
endpoint                        answer
==============================  ===============================================================================
``POST /v1/chat/completions``   ``stream: true``: ``text/event-stream`` (``Cache-Control: no-cache``,
                                ``X-Accel-Buffering: no``), the translated chunks as they come, the usage chunk
                                only with ``stream_options.include_usage: true``, and with a price table the
                                gateway's usage chunk with ``credits_used``.
                                ``stream: false`` (the default): the ``chat.completion`` the stream folds into
                                (`translators.folding`), with its usage (and ``credits_used`` with prices).
``GET /v1/models``              the upstream's models as an OpenAI model list (the replay: every fixture)
``GET /healthz``                ``{"ok": true}`` (no authentication)
==============================  ===============================================================================

Every error is OpenAI-shaped, ``{"error": {"message", "type", "param", "code"}}``, never a traceback:

======  ==========================================================================================================
status  when
======  ==========================================================================================================
400     the body is not JSON, not an object, or lacks ``model`` / ``messages``, or ``stream`` /
        ``stream_options`` have the wrong type; or the upstream cannot express the request (`RequestError`)
401     ``api_key`` is set and the request has no ``Authorization: Bearer <api_key>``
404     no such model (an unknown fixture, or a model no route of `RoutingUpstream` takes); unknown path
413     the body is over ``max_body`` bytes
4xx/5xx the upstream answered an error status: `translators.errors.translate_error` (status, body, Retry-After)
4xx/5xx the stream's first content is an error event (e.g. ``overloaded_error`` → 503): the gateway's peek; with
        ``stream: false`` any error event of the stream
502/504 the upstream could not be reached / timed out
500     anything unexpected (logged on the ``translators.proxy`` logger)
======  ==========================================================================================================

A stream that fails after it started ends with an error event (``data: {"error": {...}}``), as the gateway's
do. A client that disconnects ends the gateway stream and closes the upstream at once, for either kind of
request (the gateway reports the stream ``cancelled`` to ``on_usage``).

`create_app` keywords:

=================  ================  =========================================================================
keyword            default           meaning
=================  ================  =========================================================================
``api_key``        None              require ``Authorization: Bearer <api_key>`` (None: no authentication)
``prices``         None              a price table (`translators.pricing`: a ``PriceTable``, its data or a
                                     file) for ``credits_used``; loaded once, here
``keepalive``      15.0              seconds of upstream silence before a ``: keep-alive`` comment (None: off)
``idle_timeout``   300.0             seconds of upstream silence that end the stream with an error (None: off)
``max_body``       1 MiB             the largest request body accepted
``on_usage``       None              given each stream's `translators.gateway.UsageReport`
=================  ================  =========================================================================

Upstreams (anything with ``async open(request) -> Opened``, `Upstream`): `ReplayUpstream` (fixtures in
process, paced as `translators.replay` serves them, with each fixture's translation options so that the
output is its golden), `AnthropicUpstream` and `GeminiUpstream` (the request mapped by
`translators.request_mapping`, sent with httpx), and `RoutingUpstream` (by model name pattern).

CLI (`add_cli`): ``translators serve [--replay DIR] [--delay 0.02] [--host 127.0.0.1] [--port 8000]
[--api-key KEY] [--prices FILE] [--keepalive 15] [--idle-timeout 300]``. ``--api-key`` defaults to
``$TRANSLATORS_API_KEY``; ``0`` turns the keep-alive or the idle timeout off. Without ``--replay``, the real
upstreams whose keys are set: ``ANTHROPIC_API_KEY`` for ``claude-*`` and ``anthropic/*`` models,
``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``) for ``gemini-*``, ``gemini/*`` and ``google/*``
(``ANTHROPIC_BASE_URL`` / ``GEMINI_BASE_URL`` point them elsewhere); with neither, it exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol
from urllib.parse import quote

from translators import gateway
from translators._json import dumps_any, loads
from translators.errors import ErrorResponse, error_response, translate_error
from translators.folding import Folder, FoldError, SSEChunks
from translators.sse import encode_json

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import Receive

    from translators.pricing import PriceTable

__all__ = [
    "ANTHROPIC_URL",
    "GEMINI_URL",
    "AnthropicUpstream",
    "ConfigError",
    "GeminiUpstream",
    "Opened",
    "ProxyError",
    "ReplayUpstream",
    "RoutingUpstream",
    "Upstream",
    "UpstreamError",
    "add_cli",
    "app_from_args",
    "create_app",
    "openai_error",
    "upstream_from_env",
]

log = logging.getLogger("translators.proxy")

JSONDict = dict[str, Any]
ANTHROPIC_URL: Final = "https://api.anthropic.com"
GEMINI_URL: Final = "https://generativelanguage.googleapis.com"
ANTHROPIC_VERSION: Final = "2023-06-01"
MAX_BODY: Final = 1_048_576
SSE_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_ERROR_BODY_LIMIT: Final = 1_048_576
"""The most of an upstream error body read (the rest is not needed for the message)."""
_CLOSE_TIMEOUT: Final = 5.0


def openai_error(
    message: str, type: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> JSONDict:
    """``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class ProxyError(Exception):
    """An HTTP error to answer with instead of a stream: ``status``, an OpenAI-shaped ``body``, ``headers``."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})
        error = self.body.get("error")
        super().__init__(f"{status}: {error.get('message') if isinstance(error, dict) else error}")


class UpstreamError(ProxyError):
    """The upstream cannot serve the request: no such model, a request it cannot express, unreachable."""


# -- upstreams ---------------------------------------------------------------------------------------------


@dataclass
class Opened:
    """An upstream response, opened: the ``provider`` whose translator reads ``body``, the HTTP ``status`` and
    ``headers``, and the translation ``options`` (e.g. a fixture's). ``aclose()`` closes the body and then
    calls ``on_close`` (e.g. ``httpx.Response.aclose``); it is idempotent."""

    provider: str
    status: int
    headers: Mapping[str, str]
    body: AsyncIterator[bytes]
    options: dict[str, Any] = field(default_factory=dict)
    on_close: Callable[[], Awaitable[object]] | None = None
    closed: bool = field(default=False, repr=False)

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.body, "aclose", None)
            if callable(close):
                # RuntimeError: an async generator still running in the gateway's cancelled read task, which
                # that cancellation ends
                with suppress(RuntimeError):
                    await close()
        finally:
            if self.on_close is not None:
                await self.on_close()

    async def read(self, limit: int = _ERROR_BODY_LIMIT) -> bytes:
        """The body, up to ``limit`` bytes (for an error response)."""
        parts: list[bytes] = []
        size = 0
        async for part in self.body:
            parts.append(part)
            size += len(part)
            if size >= limit:
                break
        return b"".join(parts)[:limit]


class Upstream(Protocol):
    """What the proxy reads from. Raise `UpstreamError` for a request it cannot serve. Optional methods:
    ``models() -> list[dict]`` (the OpenAI model objects of ``GET /v1/models``) and ``async aclose()`` (called
    when the app shuts down)."""

    async def open(self, request: dict[str, Any]) -> Opened: ...


def _model_entry(name: str, owner: str) -> JSONDict:
    return {"id": name, "object": "model", "created": 0, "owned_by": owner}


class ReplayUpstream:
    """The fixtures under ``root``, in process: the request's ``model`` names one (``anthropic/tool-use``),
    whose events come ``delay`` seconds apart (`translators.replay.paced`), translated with its options."""

    def __init__(self, root: str | os.PathLike[str], delay: float = 0.02) -> None:
        from translators.replay import checked_delay

        self.root = Path(root)
        self.delay = checked_delay(delay)

    async def open(self, request: dict[str, Any]) -> Opened:
        from translators.replay import find_fixture, paced

        try:
            fixture = find_fixture(self.root, str(request.get("model")))
        except LookupError as exc:
            raise UpstreamError(404, openai_error(str(exc), code="model_not_found", param="model")) from None
        headers = {"content-type": fixture.media_type}
        return Opened(fixture.provider, 200, headers, paced(fixture, self.delay), dict(fixture.options))

    def models(self) -> list[JSONDict]:
        from translators.replay import fixtures

        return [_model_entry(fixture.name, fixture.provider) for fixture in fixtures(self.root).values()]


class _HTTPUpstream(ABC):
    """A provider's streaming API over httpx: `_request` maps the OpenAI request to (url, body, headers)."""

    provider: ClassVar[str]
    default_url: ClassVar[str]

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        models: Sequence[str] = (),
    ) -> None:
        self.api_key = api_key
        self.base_url = (self.default_url if base_url is None else base_url).rstrip("/")
        self._owned = client is None
        if client is None:
            import httpx

            client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None))
        self.client = client
        self._models = list(models)

    @abstractmethod
    def _request(self, request: dict[str, Any]) -> tuple[str, JSONDict, dict[str, str]]:
        """The URL, JSON body and headers of the provider's streaming request for an OpenAI request."""

    async def open(self, request: dict[str, Any]) -> Opened:
        import httpx

        from translators.request_mapping import RequestError

        try:
            url, body, headers = self._request(request)
        except RequestError as exc:
            raise UpstreamError(400, openai_error(exc.message, param=exc.param)) from None
        try:
            response = await self.client.send(
                self.client.build_request("POST", url, json=body, headers=headers), stream=True
            )
        except httpx.TimeoutException as exc:
            raise UpstreamError(504, _unreachable(self.provider, exc, "timeout_error", "upstream_timeout")) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(502, _unreachable(self.provider, exc, "api_error", "upstream_unreachable")) from None
        return Opened(
            self.provider, response.status_code, response.headers, response.aiter_bytes(), {}, response.aclose
        )

    def models(self) -> list[JSONDict]:
        return [_model_entry(name, self.provider) for name in self._models]

    async def aclose(self) -> None:
        """Close the httpx client if it is this upstream's own."""
        if self._owned:
            await self.client.aclose()


def _unreachable(provider: str, exc: Exception, kind: str, code: str) -> JSONDict:
    return openai_error(f"{provider} upstream: {type(exc).__name__}: {exc}", kind, code)


class AnthropicUpstream(_HTTPUpstream):
    """Anthropic's Messages API: ``POST {base_url}/v1/messages`` with ``stream: true`` (the body from
    `translators.request_mapping.to_anthropic`); ``client`` (an ``httpx.AsyncClient``) is injectable."""

    provider = "anthropic"
    default_url = ANTHROPIC_URL

    def _request(self, request: dict[str, Any]) -> tuple[str, JSONDict, dict[str, str]]:
        from translators.request_mapping import to_anthropic

        headers = {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION}
        return f"{self.base_url}/v1/messages", {**to_anthropic(request), "stream": True}, headers


class GeminiUpstream(_HTTPUpstream):
    """The Gemini API: ``POST {base_url}/v1beta/models/{model}:streamGenerateContent?alt=sse`` (model and body
    from `translators.request_mapping.to_gemini`); ``client`` (an ``httpx.AsyncClient``) is injectable."""

    provider = "gemini"
    default_url = GEMINI_URL

    def _request(self, request: dict[str, Any]) -> tuple[str, JSONDict, dict[str, str]]:
        from translators.request_mapping import to_gemini

        model, body = to_gemini(request)
        url = f"{self.base_url}/v1beta/models/{quote(model, safe='')}:streamGenerateContent?alt=sse"
        return url, body, {"x-goog-api-key": self.api_key}


class RoutingUpstream:
    """Picks an upstream by the request's model: the first ``(pattern, upstream)`` whose shell-style pattern
    (``fnmatch``, case-sensitive) matches it; none → `UpstreamError` 404."""

    def __init__(self, routes: Sequence[tuple[str, Upstream]]) -> None:
        self.routes = list(routes)

    async def open(self, request: dict[str, Any]) -> Opened:
        model = request.get("model")
        for pattern, upstream in self.routes:
            if isinstance(model, str) and fnmatchcase(model, pattern):
                return await upstream.open(request)
        patterns = ", ".join(pattern for pattern, _ in self.routes)
        message = f"no upstream serves the model {model!r} (models served: {patterns})"
        raise UpstreamError(404, openai_error(message, code="model_not_found", param="model"))

    def _upstreams(self) -> list[Upstream]:
        unique: list[Upstream] = []
        for _, upstream in self.routes:
            if all(upstream is not seen for seen in unique):
                unique.append(upstream)
        return unique

    def models(self) -> list[JSONDict]:
        return [model for upstream in self._upstreams() for model in _models_of(upstream)]

    async def aclose(self) -> None:
        for upstream in self._upstreams():
            await _aclose_upstream(upstream)


def _models_of(upstream: Upstream) -> list[JSONDict]:
    models = getattr(upstream, "models", None)
    return list(models()) if callable(models) else []


async def _aclose_upstream(upstream: Upstream) -> None:
    aclose = getattr(upstream, "aclose", None)
    if callable(aclose):
        await aclose()


# -- the app ---------------------------------------------------------------------------------------------


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    from starlette.responses import Response

    return Response(dumps_any(body), status, dict(headers or {}), media_type="application/json")


def _error_json(error: ErrorResponse) -> Response:
    return _json(error.status, error.body, error.headers)


class _Proxy:
    """The endpoints of `create_app`, over one upstream and one configuration."""

    def __init__(
        self,
        upstream: Upstream,
        api_key: str | None,
        prices: PriceTable | None,
        keepalive: float | None,
        idle_timeout: float | None,
        max_body: int,
        on_usage: Callable[[gateway.UsageReport], object] | None,
    ) -> None:
        self.upstream = upstream
        self.api_key = api_key
        self.prices = prices
        self.keepalive = gateway.checked_seconds("keepalive", keepalive)
        self.idle_timeout = gateway.checked_seconds("idle_timeout", idle_timeout)
        self.max_body = max_body
        self.on_usage = on_usage

    async def chat(self, request: Request) -> Response:
        from starlette.requests import ClientDisconnect

        try:
            return await self._chat(request)
        except ProxyError as exc:
            return _json(exc.status, exc.body, exc.headers)
        except ClientDisconnect:
            return _json(499, openai_error("the client closed the request", code="client_closed"))
        except Exception:
            log.exception("POST /v1/chat/completions failed")
            return _json(500, openai_error("the proxy failed on this request", "api_error", "internal_error"))

    async def models(self, request: Request) -> Response:
        try:
            self._authorize(request)
        except ProxyError as exc:
            return _json(exc.status, exc.body, exc.headers)
        return _json(200, {"object": "list", "data": _models_of(self.upstream)})

    def _authorize(self, request: Request) -> None:
        if self.api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            message = "Missing bearer authentication: send the header Authorization: Bearer <API key>"
        elif not hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            message = "Incorrect API key provided"
        else:
            return
        error = openai_error(message, "authentication_error", "invalid_api_key")
        raise ProxyError(401, error, {"WWW-Authenticate": "Bearer"})

    async def _body(self, request: Request) -> bytes:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            raise self._too_large()
        parts: list[bytes] = []
        size = 0
        async for part in request.stream():
            size += len(part)
            if size > self.max_body:
                raise self._too_large()
            parts.append(part)
        return b"".join(parts)

    def _too_large(self) -> ProxyError:
        message = f"the request body is over {self.max_body} bytes"
        return ProxyError(413, openai_error(message, "request_too_large", "request_too_large"))

    async def _chat(self, request: Request) -> Response:
        self._authorize(request)
        wanted = _validated(await self._body(request))
        opened = await self.upstream.open(wanted)
        out: gateway.AsyncGatewayStream | None = None
        relayed = False
        try:
            if opened.status != 200:
                error = translate_error(opened.provider, opened.status, await opened.read(), opened.headers)
                return _error_json(error)
            streaming = wanted.get("stream") is True
            out = self._translated(wanted, opened, streaming)
            if not streaming:
                return await _folded(out, request.receive)
            peeked = await out.peek()
            if peeked is not None:
                return _error_json(peeked)
            response = _streaming(_relay(out, opened))
            relayed = True
            return response
        finally:
            if not relayed:
                await _close(out, opened)

    def _translated(self, wanted: JSONDict, opened: Opened, streaming: bool) -> gateway.AsyncGatewayStream:
        include_usage = _include_usage(wanted) if streaming else True
        return gateway.astream(
            opened.provider,
            opened.body,
            prices=self.prices,
            on_usage=self.on_usage,
            keepalive=self.keepalive if streaming else None,
            idle_timeout=self.idle_timeout,
            **{**opened.options, "include_usage": include_usage},
        )


def _validated(raw: bytes) -> JSONDict:
    """The request as a dict, with the fields the proxy itself reads checked (the rest is the upstream's)."""
    try:
        wanted = loads(raw)
    except ValueError:
        raise ProxyError(400, openai_error("the request body is not valid JSON", code="invalid_json")) from None
    if not isinstance(wanted, dict):
        raise ProxyError(400, openai_error("the request body must be a JSON object", code="invalid_json"))
    model = wanted.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid("model", "a model name (a non-empty string) is required")
    messages = wanted.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _invalid("messages", "messages (a non-empty array) are required")
    stream = wanted.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _invalid("stream", "stream must be a boolean")
    options = wanted.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _invalid("stream_options", "stream_options must be an object")
    include = (options or {}).get("include_usage")
    if include is not None and not isinstance(include, bool):
        raise _invalid("stream_options.include_usage", "stream_options.include_usage must be a boolean")
    return wanted


def _invalid(param: str, message: str) -> ProxyError:
    code = "missing_required_parameter" if "required" in message else "invalid_type"
    return ProxyError(400, openai_error(message, code=code, param=param))


def _include_usage(wanted: Mapping[str, Any]) -> bool:
    return (wanted.get("stream_options") or {}).get("include_usage") is True


def _streaming(pieces: AsyncIterator[bytes]) -> Response:
    from starlette.responses import StreamingResponse

    return StreamingResponse(pieces, media_type="text/event-stream", headers=SSE_HEADERS)


async def _relay(out: gateway.AsyncGatewayStream, opened: Opened) -> AsyncIterator[bytes]:
    """Each piece of the gateway stream as it comes; however the response ends (the end of the stream, the
    client gone, which cancels this), the gateway stream and the upstream are closed."""
    try:
        async for piece in out:
            yield piece
    except Exception:
        log.exception("the stream failed after it started")
        yield encode_json(openai_error("the proxy failed during the stream", "api_error", "internal_error"))
    finally:
        await _close(out, opened)


async def _close(out: gateway.AsyncGatewayStream | None, opened: Opened) -> None:
    """Close the gateway stream (which reports ``cancelled`` if it had not ended) and the upstream; shielded,
    so that a cancelled request (the client left) still closes them."""
    import anyio

    with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
        for close in (out.aclose if out is not None else None, opened.aclose):
            if close is None:
                continue
            try:
                await close()
            except Exception:
                log.warning("closing the upstream failed", exc_info=True)


async def _folded(out: gateway.AsyncGatewayStream, receive: Receive) -> Response:
    """The fold of the whole stream as the ``chat.completion`` JSON; an error event → its HTTP error."""
    folder = Folder()
    chunks = SSEChunks()
    failed: list[FoldError] = []

    async def read() -> None:
        try:
            async for piece in out:  # whole events: the gateway frames each piece
                for chunk in chunks.feed(piece):
                    folder.feed(chunk)
        except FoldError as exc:
            failed.append(exc)

    if not await _unless_disconnected(read, receive):
        return _json(499, openai_error("the client closed the request", code="client_closed"))
    if failed:
        return _error_json(error_response(failed[0].error))
    return _json(200, folder.completion())  # the gateway's output always has a chunk: no FoldError here


async def _unless_disconnected(work: Callable[[], Awaitable[None]], receive: Receive) -> bool:
    """Run ``work`` unless the client disconnects first (it is then cancelled); whether it finished. (asyncio,
    as the gateway's streams are.)"""
    worker = asyncio.ensure_future(work())
    watcher = asyncio.ensure_future(_disconnect(receive))
    try:
        await asyncio.wait({worker, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        worker.cancel()  # no-op when it is done
        watcher.cancel()
        await asyncio.wait({worker, watcher})
    if worker.cancelled():
        return False
    worker.result()  # its exception, if it raised
    return True


async def _disconnect(receive: Receive) -> None:
    """Return when the client has disconnected (the request body is read: nothing else comes)."""
    message = await receive()
    while message["type"] != "http.disconnect":
        message = await receive()


async def _health(request: Request) -> Response:
    return _json(200, {"ok": True})


async def _not_routed(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (an unknown path: 404, a wrong method: 405) as an OpenAI-shaped error."""
    status: int = getattr(exc, "status_code", 500)
    message = f"{request.method} {request.url.path}: {getattr(exc, 'detail', '')}"
    return _json(
        status, openai_error(message, code="not_found" if status == 404 else None), getattr(exc, "headers", None)
    )


def create_app(
    upstream: Upstream,
    *,
    api_key: str | None = None,
    prices: PriceTable | Mapping[str, Any] | str | Path | None = None,
    keepalive: float | None = 15.0,
    idle_timeout: float | None = 300.0,
    max_body: int = MAX_BODY,
    on_usage: Callable[[gateway.UsageReport], object] | None = None,
) -> Starlette:
    """The proxy's Starlette app over ``upstream`` (module docstring: endpoints, statuses, keywords)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    proxy = _Proxy(upstream, api_key, gateway.load(prices), keepalive, idle_timeout, max_body, on_usage)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await _aclose_upstream(upstream)

    routes = [
        Route("/v1/chat/completions", proxy.chat, methods=["POST"]),
        Route("/v1/models", proxy.models, methods=["GET"]),
        Route("/healthz", _health, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _not_routed}, lifespan=lifespan)


# -- command line ----------------------------------------------------------------------------------------


class ConfigError(Exception):
    """What the ``serve`` command cannot start with (exit status 2)."""


def upstream_from_env(replay: str | None, delay: float, environ: Mapping[str, str]) -> Upstream:
    """The ``serve`` command's upstream: the fixtures under ``replay``, else the real services whose API keys
    ``environ`` has (module docstring); `ConfigError` when there is none."""
    if replay is not None:
        if not Path(replay).is_dir():
            raise ConfigError(f"--replay: not a folder: {replay}")
        return ReplayUpstream(replay, delay)
    routes: list[tuple[str, Upstream]] = []
    if key := environ.get("ANTHROPIC_API_KEY"):
        anthropic = AnthropicUpstream(key, environ.get("ANTHROPIC_BASE_URL") or ANTHROPIC_URL)
        routes += [("claude-*", anthropic), ("anthropic/*", anthropic)]
    if key := environ.get("GEMINI_API_KEY") or environ.get("GOOGLE_API_KEY"):
        gemini = GeminiUpstream(key, environ.get("GEMINI_BASE_URL") or GEMINI_URL)
        routes += [("gemini-*", gemini), ("gemini/*", gemini), ("google/*", gemini)]
    if not routes:
        raise ConfigError(
            "nothing to serve: give --replay FIXTURES_DIR, or set ANTHROPIC_API_KEY and/or GEMINI_API_KEY"
            " (or GOOGLE_API_KEY)"
        )
    return RoutingUpstream(routes)


def app_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> Starlette:
    """The app the ``serve`` command runs; `ConfigError` for what it cannot start with."""
    upstream = upstream_from_env(args.replay, args.delay, environ)
    prices: PriceTable | None = None
    if args.prices is not None:
        try:
            prices = gateway.load(args.prices)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"--prices {args.prices}: {exc}") from None
    api_key = args.api_key or environ.get("TRANSLATORS_API_KEY") or None
    return create_app(
        upstream,
        api_key=api_key,
        prices=prices,
        keepalive=args.keepalive or None,
        idle_timeout=args.idle_timeout or None,
    )


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``serve`` command (module docstring); its handler, ``args.run(args)``, returns the exit status."""
    from translators.replay import seconds_argument

    command = subparsers.add_parser(
        "serve", help="serve an OpenAI-compatible /v1/chat/completions over a replay or a real upstream"
    )
    command.add_argument("--replay", metavar="DIR", help="serve the fixtures in DIR (model = <provider>/<case>)")
    command.add_argument("--delay", type=seconds_argument, default=0.02, help="replay: seconds between events (0.02)")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    command.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    command.add_argument("--api-key", help="require Authorization: Bearer KEY (default: $TRANSLATORS_API_KEY)")
    command.add_argument("--prices", metavar="FILE", help="a price table (.json or .toml) for credits_used")
    command.add_argument(
        "--keepalive", type=seconds_argument, default=15.0, help="keep-alive after S silent seconds (0: off)"
    )
    command.add_argument(
        "--idle-timeout", type=seconds_argument, default=300.0, help="end a stream silent S seconds (0: off)"
    )
    command.set_defaults(run=_serve)
    return command


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        app = app_from_args(args, os.environ)
    except ImportError as exc:
        print(f"translators serve needs {exc.name or 'uvicorn'}: pip install 'translators[proxy]'", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"translators serve: {exc}", file=sys.stderr)
        return 2
    source = f"the fixtures in {args.replay}" if args.replay is not None else "the real upstreams"
    print(f"serving {source} on http://{args.host}:{args.port}/v1/chat/completions", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
