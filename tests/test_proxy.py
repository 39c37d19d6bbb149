"""The reference proxy: every fixture through it (stream and fold), its errors, auth, liveness, disconnects,
the real upstreams against a fake service, and the ``serve`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette", reason="starlette is a dev dependency: pip install -e '.[dev]'")
from starlette.testclient import TestClient

from translators import stream as translate_stream
from translators.errors import error_response
from translators.folding import fold, sse_chunks
from translators.gateway import KEEPALIVE, Meter, UsageReport
from translators.proxy import (
    AnthropicUpstream,
    ConfigError,
    GeminiUpstream,
    Opened,
    ProxyError,
    ReplayUpstream,
    RoutingUpstream,
    UpstreamError,
    add_cli,
    app_from_args,
    create_app,
    upstream_from_env,
)
from translators.replay import Fixture, fixtures

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ALL = fixtures(FIXTURES)
PRICES = FIXTURES / "prices" / "example.toml"
MESSAGES = [{"role": "user", "content": "Hi"}]
TEXT = "anthropic/text-pings-padding"
TOOLS = "anthropic/tool-use-streamed-input"
REASONING = "anthropic/thinking-signature-then-text"
MIDSTREAM = "anthropic/error-midstream-after-text"
USAGE = "anthropic/prompt-caching-read-and-write"
OPENING = "anthropic/overloaded-error-first-event"
DONE = b"data: [DONE]\n\n"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ReplayUpstream(FIXTURES, delay=0))) as test_client:
        yield test_client


def post(client: TestClient, model: str, **extra: Any) -> httpx.Response:
    return client.post("/v1/chat/completions", json={"model": model, "messages": MESSAGES, **extra})


def golden(name: str) -> bytes:
    fixture = ALL[name]
    return fixture.path.with_name(fixture.path.name.split(".")[0] + ".openai.sse").read_bytes()


def first_content(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The chunk the gateway's peek stops at."""
    meter = Meter()
    return next(chunk for chunk in chunks if meter.observe(chunk))


def data(response: httpx.Response) -> list[dict[str, Any]]:
    return list(sse_chunks(response.content))


# -- every fixture ------------------------------------------------------------------------------------------


def test_the_fixtures_cover_what_the_issue_names() -> None:
    for name in (TEXT, TOOLS, REASONING, MIDSTREAM, USAGE, OPENING):
        assert name in ALL
    assert len(ALL) > 100


@pytest.mark.parametrize("name", list(ALL))
def test_a_stream_is_its_golden_or_the_opening_error(client: TestClient, name: str) -> None:
    expected = golden(name)
    usage = ALL[name].options.get("include_usage", True)
    response = post(client, name, stream=True, stream_options={"include_usage": usage})
    opening = first_content(list(sse_chunks(expected)))
    if "error" in opening:
        status, body = error_response(opening["error"])
        assert (response.status_code, response.json()) == (status, body)
        return
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache" and response.headers["x-accel-buffering"] == "no"
    assert response.content == expected


@pytest.mark.parametrize("name", list(ALL))
def test_a_non_streaming_answer_is_the_fold_or_the_error(client: TestClient, name: str) -> None:
    chunks = list(sse_chunks(golden(name)))
    response = post(client, name)
    errors = [chunk["error"] for chunk in chunks if "error" in chunk]
    if errors:
        status, body = error_response(errors[0])
        assert (response.status_code, response.json()) == (status, body)
        return
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    fixture = ALL[name]
    if fixture.options.get("include_usage", True) is False:  # the golden has no usage chunk; the fold asks for it
        body = fixture.path.read_bytes()
        options = {**fixture.options, "include_usage": True}
        chunks = list(sse_chunks(translate_stream(fixture.provider, [body], **options)))
        assert "usage" in chunks[-1]
    assert response.json() == fold(chunks)


# -- the kinds of stream, by hand ------------------------------------------------------------------------------


def test_text_tools_and_reasoning_folded(client: TestClient) -> None:
    text = post(client, TEXT).json()["choices"][0]
    assert text["message"]["content"] and text["finish_reason"] == "stop"
    tools = post(client, TOOLS).json()["choices"][0]
    assert [call["function"]["name"] for call in tools["message"]["tool_calls"]] == ["get_forecast"] * 2
    assert json.loads(tools["message"]["tool_calls"][0]["function"]["arguments"])["city"] == "Lyon"
    assert tools["finish_reason"] == "tool_calls"
    reasoning = post(client, REASONING).json()["choices"][0]["message"]
    assert reasoning["reasoning_content"] and reasoning["content"]


def test_a_midstream_error_ends_the_stream_and_fails_the_fold(client: TestClient) -> None:
    streamed = post(client, MIDSTREAM, stream=True)
    assert streamed.status_code == 200
    chunks = data(streamed)
    assert chunks[0]["choices"][0]["delta"].get("role") == "assistant"
    assert chunks[-1]["error"]["message"] == "Internal server error" and DONE not in streamed.content
    folded = post(client, MIDSTREAM, stream=False)
    assert folded.status_code == 500 and folded.json()["error"] == chunks[-1]["error"]


def test_an_opening_error_is_an_http_error(client: TestClient) -> None:
    response = post(client, OPENING, stream=True)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "overloaded_error"


def test_include_usage_is_honoured(client: TestClient) -> None:
    def usage_chunks(**extra: Any) -> list[dict[str, Any]]:
        return [chunk for chunk in data(post(client, USAGE, stream=True, **extra)) if not chunk["choices"]]

    assert usage_chunks() == [] and usage_chunks(stream_options={"include_usage": False}) == []
    assert usage_chunks(stream_options=None) == []
    [chunk] = usage_chunks(stream_options={"include_usage": True})
    assert chunk["usage"]["prompt_tokens_details"]["cached_tokens"] > 0
    assert post(client, USAGE).json()["usage"] == chunk["usage"]  # the fold always has it


def test_prices_add_credits_and_on_usage_reports_each_stream() -> None:
    reports: list[UsageReport] = []
    app = create_app(ReplayUpstream(FIXTURES, delay=0), prices=PRICES, on_usage=reports.append)
    with TestClient(app) as client:
        chunks = data(post(client, USAGE, stream=True))
        completion = post(client, USAGE).json()
    assert chunks[-1]["credits_used"] > 0 and chunks[-1]["choices"] == []
    assert completion["credits_used"] == chunks[-1]["credits_used"]
    assert [report.ending for report in reports] == ["completed", "completed"]
    assert reports[0].credits_used == chunks[-1]["credits_used"]


# -- a fake upstream ---------------------------------------------------------------------------------------------


class Fake:
    """An in-process upstream: ``pieces`` of a provider body, ``delay`` seconds apart after the first ``quick``
    ones; records its closing."""

    def __init__(
        self,
        pieces: list[bytes],
        *,
        provider: str = "anthropic",
        delay: float = 0.0,
        quick: int = 1,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.pieces, self.provider, self.delay, self.quick = pieces, provider, delay, quick
        self.status, self.headers = status, headers or {}
        self.requests: list[dict[str, Any]] = []
        self.closed_at: float | None = None
        self.on_close_calls = 0
        self.aclose_calls = 0

    @classmethod
    def of(cls, name: str, **options: Any) -> Fake:
        from translators.replay import split_events

        fixture: Fixture = ALL[name]
        return cls(split_events(fixture.path.read_bytes(), fixture.framing), provider=fixture.provider, **options)

    async def open(self, request: dict[str, Any]) -> Opened:
        self.requests.append(request)
        return Opened(self.provider, self.status, self.headers, self._body(), {"created": 1}, self._on_close)

    async def _body(self) -> AsyncIterator[bytes]:
        try:
            for n, piece in enumerate(self.pieces):
                if n >= self.quick and self.delay:
                    await asyncio.sleep(self.delay)
                yield piece
        finally:
            self.closed_at = time.monotonic()

    async def _on_close(self) -> None:
        self.on_close_calls += 1

    async def aclose(self) -> None:
        self.aclose_calls += 1


def test_an_upstream_error_status_is_translated() -> None:
    body = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    fake = Fake([body[:20], body[20:]], status=429, headers={"retry-after": "17"})
    with TestClient(create_app(fake)) as client:
        response = post(client, "claude-x", stream=True)
    assert response.status_code == 429 and response.headers["retry-after"] == "17"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert response.json()["error"]["message"] == "slow down"
    assert fake.closed_at is not None and fake.on_close_calls == 1


def test_the_request_reaches_the_upstream_as_sent() -> None:
    fake = Fake.of(TEXT)
    with TestClient(create_app(fake)) as client:
        post(client, "claude-x", temperature=0.5, stream=True)
    assert fake.requests == [{"model": "claude-x", "messages": MESSAGES, "temperature": 0.5, "stream": True}]


def test_keepalive_while_the_upstream_is_silent() -> None:
    fake = Fake.of(TEXT, delay=0.12)
    with TestClient(create_app(fake, keepalive=0.05)) as client:
        response = post(client, "m", stream=True)
    assert KEEPALIVE in response.content and response.content.endswith(DONE)
    assert fold(data(response))["choices"][0]["message"]["content"]


def test_the_idle_timeout_ends_a_silent_stream() -> None:
    stalls = Fake.of(TEXT, delay=0.5, quick=6)  # some text, then silence
    silent = Fake.of(TEXT, delay=0.5)  # silence before any content
    with TestClient(create_app(stalls, idle_timeout=0.1)) as client:
        streamed = post(client, "m", stream=True)
        folded = post(client, "m")
    with TestClient(create_app(silent, idle_timeout=0.1)) as client:
        opening = post(client, "m", stream=True)
    chunks = data(streamed)
    assert streamed.status_code == 200 and chunks[1]["choices"][0]["delta"]["content"]
    assert chunks[-1]["error"]["code"] == "idle_timeout"
    for response in (folded, opening):
        assert response.status_code == 504 and response.json()["error"]["code"] == "idle_timeout"
    assert stalls.closed_at is not None and silent.closed_at is not None


def test_nothing_unexpected_leaks_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        async def open(self, request: dict[str, Any]) -> Opened:
            raise KeyError("secret internals")

    with TestClient(create_app(Broken())) as client, caplog.at_level(logging.ERROR, "translators.proxy"):
        response = post(client, "m")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error" and "secret" not in response.text
    assert "secret internals" in caplog.text


def test_a_failure_after_the_stream_started_is_an_error_event(caplog: pytest.LogCaptureFixture) -> None:
    def broken(report: UsageReport) -> None:
        raise RuntimeError("billing is down")

    fake = Fake.of(TEXT)
    with TestClient(create_app(fake, on_usage=broken)) as client, caplog.at_level(logging.ERROR):
        streamed = post(client, "m", stream=True)
        folded = post(client, "m")
    assert streamed.status_code == 200 and data(streamed)[-1]["error"]["code"] == "internal_error"
    assert folded.status_code == 500 and folded.json()["error"]["code"] == "internal_error"
    assert "billing is down" in caplog.text and "billing" not in streamed.text + folded.text


def test_a_failing_upstream_close_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    fake = Fake.of(TEXT)

    async def failing() -> None:
        raise OSError("socket already gone")

    fake._on_close = failing  # type: ignore[method-assign]
    with TestClient(create_app(fake)) as client, caplog.at_level(logging.WARNING, "translators.proxy"):
        response = post(client, "m", stream=True)
    assert response.content.endswith(DONE) and "closing the upstream failed" in caplog.text


# -- requests the proxy refuses ----------------------------------------------------------------------------------


def test_authentication() -> None:
    with TestClient(create_app(ReplayUpstream(FIXTURES, delay=0), api_key="sk-test")) as client:
        missing = post(client, TEXT)
        wrong = client.post(
            "/v1/chat/completions",
            json={"model": TEXT, "messages": MESSAGES},
            headers={"Authorization": "Bearer sk-other"},
        )
        basic = client.post("/v1/chat/completions", json={}, headers={"Authorization": "Basic sk-test"})
        right = client.post(
            "/v1/chat/completions",
            json={"model": TEXT, "messages": MESSAGES},
            headers={"Authorization": "Bearer sk-test"},
        )
        models = client.get("/v1/models")
        health = client.get("/healthz")
    for response in (missing, wrong, basic, models):
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        assert (error["type"], error["code"], error["param"]) == ("authentication_error", "invalid_api_key", None)
    assert "Missing" in missing.json()["error"]["message"] and "Incorrect" in wrong.json()["error"]["message"]
    assert right.status_code == 200 and health.json() == {"ok": True}


BAD_BODIES: list[tuple[bytes, str | None, str]] = [
    (b"{not json", None, "invalid_json"),
    (b"", None, "invalid_json"),
    (b"[1, 2]", None, "invalid_json"),
    (b'{"messages": [{"role": "user", "content": "Hi"}]}', "model", "missing_required_parameter"),
    (b'{"model": "", "messages": [{"role": "user", "content": "Hi"}]}', "model", "missing_required_parameter"),
    (b'{"model": "m"}', "messages", "missing_required_parameter"),
    (b'{"model": "m", "messages": []}', "messages", "missing_required_parameter"),
    (b'{"model": "m", "messages": [{}], "stream": "yes"}', "stream", "invalid_type"),
    (b'{"model": "m", "messages": [{}], "stream_options": []}', "stream_options", "invalid_type"),
    (
        b'{"model": "m", "messages": [{}], "stream_options": {"include_usage": 1}}',
        "stream_options.include_usage",
        "invalid_type",
    ),
]


@pytest.mark.parametrize(("body", "param", "code"), BAD_BODIES)
def test_bad_bodies_are_400(client: TestClient, body: bytes, param: str | None, code: str) -> None:
    response = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_bodies_over_max_body_are_413() -> None:
    body = json.dumps({"model": TEXT, "messages": [{"role": "user", "content": "x" * 2000}]}).encode()
    with TestClient(create_app(ReplayUpstream(FIXTURES, delay=0), max_body=1000)) as client:
        sized = client.post("/v1/chat/completions", content=body)
        chunked = client.post("/v1/chat/completions", content=iter([body[:600], body[600:]]))
        small = post(client, TEXT)
    for response in (sized, chunked):
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "request_too_large"
    assert "content-length" not in chunked.request.headers
    assert small.status_code == 200


def test_unknown_models_paths_and_methods(client: TestClient) -> None:
    unknown = post(client, "anthropic/no-such-case")
    assert unknown.status_code == 404
    error = unknown.json()["error"]
    assert (error["code"], error["param"]) == ("model_not_found", "model") and "close names" in error["message"]
    path = client.get("/v1/nothing")
    assert path.status_code == 404 and path.json()["error"]["code"] == "not_found"
    method = client.get("/v1/chat/completions")
    assert method.status_code == 405 and method.headers["allow"] == "POST" and "error" in method.json()


def test_models_lists_the_fixtures(client: TestClient) -> None:
    listing = client.get("/v1/models").json()
    assert listing["object"] == "list"
    assert {model["id"]: model["owned_by"] for model in listing["data"]} == {
        name: fixture.provider for name, fixture in ALL.items()
    }


# -- disconnects ---------------------------------------------------------------------------------------------------


async def call(app: Any, body: bytes, gone: asyncio.Event) -> tuple[list[dict[str, Any]], float]:
    """Call the ASGI app with ``body``; the client disconnects once ``gone`` is set (or at once, if it is).
    Returns the messages sent and the time of the disconnect."""
    sent: list[dict[str, Any]] = []
    left = [0.0]
    received: list[bool | int] = [False]

    async def receive() -> dict[str, Any]:
        if not received[0] and not gone.is_set():
            received[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        if received[0] is True:  # a stray empty body message, which an ASGI server may send
            received[0] = 2
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        left[0] = left[0] or time.monotonic()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            gone.set()  # the client leaves after the first piece

    headers = [(b"content-type", b"application/json")]
    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers}
    await app({**scope, "query_string": b"", "root_path": "", "scheme": "http", "server": ("t", 80)}, receive, send)
    return sent, left[0]


def request_body(stream: bool) -> bytes:
    return json.dumps({"model": "m", "messages": MESSAGES, "stream": stream}).encode()


def test_a_client_leaving_a_stream_closes_the_upstream_at_once() -> None:
    reports: list[UsageReport] = []
    fake = Fake.of(TOOLS, delay=0.3)
    app = create_app(fake, on_usage=reports.append)
    sent, left = asyncio.run(call(app, request_body(True), asyncio.Event()))
    assert sent[0]["status"] == 200 and fake.closed_at is not None
    assert fake.closed_at - left < 0.25
    assert [report.ending for report in reports] == ["cancelled"]
    assert fake.on_close_calls == 1


def test_a_client_leaving_a_non_streaming_request_closes_the_upstream_at_once() -> None:
    reports: list[UsageReport] = []
    fake = Fake.of(TOOLS, delay=0.3)
    app = create_app(fake, on_usage=reports.append)

    async def leave_soon() -> tuple[list[dict[str, Any]], float]:
        gone = asyncio.Event()
        asyncio.get_running_loop().call_later(0.4, gone.set)
        return await call(app, request_body(False), gone)

    sent, left = asyncio.run(leave_soon())
    assert sent[0]["status"] == 499 and fake.closed_at is not None
    assert fake.closed_at - left < 0.25
    assert [report.ending for report in reports] == ["cancelled"]


def test_a_client_leaving_before_its_body_is_read() -> None:
    fake = Fake.of(TEXT)
    gone = asyncio.Event()
    gone.set()
    sent, _ = asyncio.run(call(create_app(fake), request_body(True), gone))
    assert sent[0]["status"] == 499 and fake.requests == []


def free_port_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a free port, in a thread."""
    uvicorn = pytest.importorskip("uvicorn")
    sock = free_port_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_under_uvicorn_pieces_flow_and_a_disconnect_closes_the_upstream() -> None:
    reports: list[UsageReport] = []
    fake = Fake.of(TOOLS, delay=0.3)
    with serving(create_app(fake, on_usage=reports.append)) as base, httpx.Client(base_url=base) as http:
        body = {"model": "m", "messages": MESSAGES, "stream": True}
        with http.stream("POST", "/v1/chat/completions", json=body) as response:
            first = next(response.iter_raw())
        left = time.monotonic()
        deadline = left + 2
        while fake.closed_at is None and time.monotonic() < deadline:
            time.sleep(0.005)
    assert response.headers["x-accel-buffering"] == "no" and first.startswith(b"data: ")
    assert fake.closed_at is not None and fake.closed_at - left < 0.25
    assert [report.ending for report in reports] == ["cancelled"]


# -- the real upstreams, against a fake service ----------------------------------------------------------------------


class Service:
    """An ``httpx.MockTransport`` handler: records requests, answers with a body (or raises)."""

    def __init__(self, status: int = 200, content: bytes = b"", raises: Exception | None = None) -> None:
        self.status, self.content, self.raises = status, content, raises
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.raises is not None:
            raise self.raises
        return httpx.Response(self.status, content=self.content, headers={"retry-after": "3"})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def test_anthropic_upstream_sends_the_messages_request_and_is_translated() -> None:
    service = Service(content=ALL[TOOLS].path.read_bytes())
    upstream = AnthropicUpstream("sk-ant", base_url="http://fake/", client=service.client(), models=["claude-x"])
    with TestClient(create_app(upstream)) as client:
        streamed = post(client, "anthropic/claude-x", stream=True, max_tokens=50)
        folded = post(client, "claude-x")
        models = client.get("/v1/models").json()["data"]
    identity = ("created", "usage")  # the clock's, read per request; the fold asks for the usage
    expected = {k: v for k, v in fold(data(streamed)).items() if k not in identity}
    assert streamed.content.endswith(DONE) and {k: v for k, v in folded.json().items() if k not in identity} == expected
    assert folded.json()["choices"][0]["finish_reason"] == "tool_calls"
    request = service.requests[0]
    assert str(request.url) == "http://fake/v1/messages"
    assert request.headers["x-api-key"] == "sk-ant" and request.headers["anthropic-version"] == "2023-06-01"
    sent = json.loads(request.content)
    assert (sent["model"], sent["max_tokens"], sent["stream"]) == ("claude-x", 50, True)
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}] or sent["messages"] == [
        {"role": "user", "content": "Hi"}
    ]
    assert models == [{"id": "claude-x", "object": "model", "created": 0, "owned_by": "anthropic"}]


def test_gemini_upstream_sends_stream_generate_content_and_is_translated() -> None:
    service = Service(content=ALL["gemini/text-usage-every-chunk"].path.read_bytes())
    upstream = GeminiUpstream("g-key", base_url="http://fake", client=service.client())
    with TestClient(create_app(upstream)) as client:
        folded = post(client, "gemini/gemini-2.5-flash", temperature=0.2)
    assert folded.status_code == 200 and folded.json()["choices"][0]["message"]["content"]
    request = service.requests[0]
    assert str(request.url) == "http://fake/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert request.headers["x-goog-api-key"] == "g-key"
    sent = json.loads(request.content)
    assert sent["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert sent["generationConfig"]["temperature"] == 0.2


def test_real_upstream_errors() -> None:
    limited = Service(429, b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}')
    cases = [
        (AnthropicUpstream("k", client=limited.client()), {}, 429, "rate_limit_error"),
        (AnthropicUpstream("k", client=Service(raises=httpx.ConnectError("refused")).client()), {}, 502, "api_error"),
        (GeminiUpstream("k", client=Service(raises=httpx.ReadTimeout("slow")).client()), {}, 504, "timeout_error"),
        (GeminiUpstream("k", client=Service().client()), {"n": "two"}, 400, "invalid_request_error"),
    ]
    for upstream, extra, status, kind in cases:
        with TestClient(create_app(upstream)) as client:
            response = post(client, "m", **extra)
        assert response.status_code == status, response.text
        assert response.json()["error"]["type"] == kind
    assert limited.requests and "upstream_unreachable" not in response.text


def test_an_unmappable_request_names_its_param() -> None:
    upstream = AnthropicUpstream("k", client=Service().client())
    bad = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]
    with TestClient(create_app(upstream)) as client:
        response = client.post("/v1/chat/completions", json={"model": "claude-x", "messages": bad})
    assert response.status_code == 400 and response.json()["error"]["param"].startswith("messages[0]")


def test_an_owned_client_is_closed_an_injected_one_is_not() -> None:
    owned = AnthropicUpstream("k")
    injected = GeminiUpstream("k", client=httpx.AsyncClient())
    asyncio.run(owned.aclose())
    asyncio.run(injected.aclose())
    assert owned.client.is_closed and not injected.client.is_closed
    assert owned.base_url == "https://api.anthropic.com" and injected.base_url.startswith("https://generative")


def test_routing_by_model() -> None:
    first, second = Fake.of(TEXT), Fake.of(TOOLS)
    first.models = lambda: [{"id": "claude-x"}]  # type: ignore[attr-defined]
    routing = RoutingUpstream([("claude-*", first), ("anthropic/*", first), ("gemini-*", second)])
    with TestClient(create_app(routing)) as client:
        claude = post(client, "claude-x")
        prefixed = post(client, "anthropic/claude-x")
        gemini = post(client, "gemini-x")
        unknown = post(client, "gpt-x")
        models = client.get("/v1/models").json()["data"]
    assert claude.json()["model"] == prefixed.json()["model"] == "claude-haiku-4-5-20251001"
    assert gemini.json()["choices"][0]["message"]["tool_calls"]
    assert len(first.requests) == 2 and len(second.requests) == 1
    assert unknown.status_code == 404 and "claude-*, anthropic/*, gemini-*" in unknown.json()["error"]["message"]
    assert models == [{"id": "claude-x"}]
    assert (first.aclose_calls, second.aclose_calls) == (1, 1)  # at shutdown, once each


# -- pieces ------------------------------------------------------------------------------------------------------


def test_opened_reads_up_to_a_limit_and_closes_once() -> None:
    class Plain:  # an async iterator without aclose
        def __init__(self) -> None:
            self.left = [b"abc", b"def", b"ghi"]

        def __aiter__(self) -> Plain:
            return self

        async def __anext__(self) -> bytes:
            if not self.left:
                raise StopAsyncIteration
            return self.left.pop(0)

    closes: list[int] = []

    async def on_close() -> None:
        closes.append(1)

    async def run() -> tuple[bytes, bytes]:
        opened = Opened("anthropic", 500, {}, Plain(), on_close=on_close)
        head = await opened.read(limit=4)
        rest = await Opened("anthropic", 500, {}, Plain()).read()
        await opened.aclose()
        await opened.aclose()
        return head, rest

    assert asyncio.run(run()) == (b"abcd", b"abcdefghi")
    assert closes == [1]


def test_errors_and_arguments() -> None:
    assert str(UpstreamError(404, {"error": {"message": "gone"}})) == "404: gone"
    assert str(ProxyError(500, {"error": "flat"})) == "500: flat"
    with pytest.raises(ValueError, match="keepalive"):
        create_app(ReplayUpstream(FIXTURES), keepalive=0)
    with pytest.raises(ValueError, match="idle_timeout"):
        create_app(ReplayUpstream(FIXTURES), idle_timeout=float("inf"))
    with pytest.raises(ValueError, match="delay"):
        ReplayUpstream(FIXTURES, delay=-1)


# -- the serve command ---------------------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="translators")
    add_cli(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["serve", *argv])


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "TRANSLATORS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_serve_runs_uvicorn_on_the_replay(no_keys: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    runs: list[tuple[Any, dict[str, Any]]] = []
    no_keys.setattr(uvicorn, "run", lambda app, **kw: runs.append((app, kw)))
    no_keys.setenv("TRANSLATORS_API_KEY", "sk-env")
    args = parse("--replay", str(FIXTURES), "--port", "9", "--delay", "0", "--keepalive", "0", "--prices", str(PRICES))
    assert args.run(args) == 0
    [(app, options)] = runs
    assert (options["host"], options["port"]) == ("127.0.0.1", 9)
    assert "serving the fixtures" in capsys.readouterr().err
    with TestClient(app) as client:
        assert post(client, TEXT).status_code == 401
        authorized = client.post(
            "/v1/chat/completions",
            json={"model": USAGE, "messages": MESSAGES},
            headers={"Authorization": "Bearer sk-env"},
        )
    assert authorized.json()["credits_used"] > 0


def test_serve_refuses_what_it_cannot_start(
    no_keys: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in [
        ((), "nothing to serve"),
        (("--replay", str(tmp_path / "missing")), "not a folder"),
        (("--replay", str(FIXTURES), "--prices", str(tmp_path / "none.toml")), "--prices"),
    ]:
        args = parse(*argv)
        assert args.run(args) == 2
        assert message in capsys.readouterr().err
    no_keys.setitem(sys.modules, "uvicorn", None)
    args = parse("--replay", str(FIXTURES))
    assert args.run(args) == 2
    assert "pip install 'translators[proxy]'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("--delay", "-1")
    with pytest.raises(SystemExit):
        parse("--keepalive", "soon")


def test_real_upstreams_from_the_environment(no_keys: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError):
        upstream_from_env(None, 0.02, {})
    both = upstream_from_env(
        None, 0.02, {"ANTHROPIC_API_KEY": "a", "GOOGLE_API_KEY": "g", "GEMINI_BASE_URL": "http://g"}
    )
    assert isinstance(both, RoutingUpstream)
    patterns = [(pattern, type(upstream).__name__) for pattern, upstream in both.routes]
    assert patterns == [
        ("claude-*", "AnthropicUpstream"),
        ("anthropic/*", "AnthropicUpstream"),
        ("gemini-*", "GeminiUpstream"),
        ("gemini/*", "GeminiUpstream"),
        ("google/*", "GeminiUpstream"),
    ]
    assert isinstance(both.routes[2][1], GeminiUpstream) and both.routes[2][1].base_url == "http://g"
    gemini_only = upstream_from_env(None, 0.02, {"GEMINI_API_KEY": "g"})
    assert [pattern for pattern, _ in gemini_only.routes] == ["gemini-*", "gemini/*", "google/*"]  # type: ignore[attr-defined]
    assert isinstance(upstream_from_env(str(FIXTURES), 0.5, {"ANTHROPIC_API_KEY": "a"}), ReplayUpstream)
    no_keys.setenv("ANTHROPIC_API_KEY", "a")
    app = app_from_args(parse("--idle-timeout", "0"), {"ANTHROPIC_API_KEY": "a"})
    with TestClient(app) as client:
        assert client.get("/v1/models").json() == {"object": "list", "data": []}
