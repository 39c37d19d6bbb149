"""The proxy's real upstreams against local fake services that validate what they are sent.

`translators.proxy.AnthropicUpstream` / `GeminiUpstream` get an ``httpx.AsyncClient`` on an ``httpx.MockTransport``
whose handler plays the provider: it checks the method, path, query and headers, validates the JSON body with the
provider SDK's request types (`tests.test_request_mapping.assert_anthropic_body` / `assert_gemini_body`), and
answers with a recorded stream from ``fixtures/``. The client side is the proxy app (`create_app`), so the
OpenAI request, its mapping, the upstream call and the translation back are exercised together; the answer must
be the fixture's golden (``created`` aside: a real upstream has no fixed translation options).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.contract import parse_sse_output
from tests.test_request_mapping import (
    PNG,
    ROUND_TRIP,
    TIME_TOOL,
    WEATHER_TOOL,
    assert_anthropic_body,
    assert_gemini_body,
)
from translators.folding import fold_sse
from translators.proxy import AnthropicUpstream, GeminiUpstream, RoutingUpstream, create_app
from translators.request_mapping import to_anthropic, to_gemini

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ANTHROPIC_FIXTURE = "anthropic/tool-use-streamed-input"
GEMINI_FIXTURE = "gemini/parallel-function-calls"


class FakeProvider:
    """A provider's streaming endpoint as an ``httpx.MockTransport`` handler; what it saw is kept.

    ``answer`` is the response to give a valid request (a fixture's stream by default). A request that fails a
    check is answered 400 in the provider's error shape, with the failure in the message, and kept in
    ``failures``, so a test sees both a non-200 and why.
    """

    def __init__(self, provider: str, fixture: str, answer: httpx.Response | None = None) -> None:
        self.provider = provider
        self.fixture = fixture
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []
        self.failures: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            body = json.loads(request.content)
            self.bodies.append(body)
            CHECKS[self.provider](request, body)
        except Exception as exc:  # the fake's verdict, passed on to the test
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return httpx.Response(400, json=ERRORS[self.provider](self.failures[-1]))
        if self.answer is not None:
            return self.answer
        stream = (FIXTURES / f"{self.fixture}.sse").read_bytes()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Pieces(stream))

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


class Pieces(httpx.AsyncByteStream):
    """A body sent in small pieces, as a network delivers it."""

    def __init__(self, body: bytes, size: int = 97) -> None:
        self.body = body
        self.size = size

    async def __aiter__(self) -> Any:
        for start in range(0, len(self.body), self.size):
            yield self.body[start : start + self.size]


def check_anthropic(request: httpx.Request, body: dict[str, Any]) -> None:
    assert (request.method, request.url.path, request.url.query) == ("POST", "/v1/messages", b"")
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert body["stream"] is True
    assert_anthropic_body(body)


def check_gemini(request: httpx.Request, body: dict[str, Any]) -> None:
    assert request.method == "POST"
    assert request.url.path.startswith("/v1beta/models/")
    assert request.url.path.endswith(":streamGenerateContent")
    assert request.url.params["alt"] == "sse"
    assert request.headers["x-goog-api-key"] == "gemini-test"
    assert request.headers["content-type"] == "application/json"
    assert_gemini_body(body)


CHECKS: dict[str, Callable[[httpx.Request, dict[str, Any]], None]] = {
    "anthropic": check_anthropic,
    "gemini": check_gemini,
}
ERRORS: dict[str, Callable[[str], dict[str, Any]]] = {
    "anthropic": lambda message: {"type": "error", "error": {"type": "invalid_request_error", "message": message}},
    "gemini": lambda message: {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}},
}


@pytest.fixture
def anthropic_fake() -> FakeProvider:
    return FakeProvider("anthropic", ANTHROPIC_FIXTURE)


@pytest.fixture
def gemini_fake() -> FakeProvider:
    return FakeProvider("gemini", GEMINI_FIXTURE)


@contextmanager
def serving(upstream: Any) -> Iterator[TestClient]:
    """A client of the proxy app over ``upstream``, its lifespan running."""
    with TestClient(create_app(upstream)) as client:
        yield client


@pytest.fixture
def anthropic_proxy(anthropic_fake: FakeProvider) -> Iterator[TestClient]:
    with serving(AnthropicUpstream("sk-ant-test", "https://anthropic.test", client=anthropic_fake.client())) as client:
        yield client


@pytest.fixture
def gemini_proxy(gemini_fake: FakeProvider) -> Iterator[TestClient]:
    with serving(GeminiUpstream("gemini-test", "https://gemini.test/", client=gemini_fake.client())) as client:
        yield client


def golden_chunks(fixture: str) -> list[dict[str, Any]]:
    chunks, done = parse_sse_output((FIXTURES / f"{fixture}.openai.sse").read_bytes())
    assert done
    return chunks


def without_created(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in chunk.items() if key != "created"} for chunk in chunks]


# Realistic requests: every core field the mapping takes
CONVERSATION = {
    "messages": [
        {"role": "developer", "content": "Answer with tools when you can."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Where was this taken, and what's the weather there?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
        *ROUND_TRIP[2:],
    ],
    "tools": [WEATHER_TOOL, TIME_TOOL],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "max_completion_tokens": 512,
    "temperature": 0.4,
    "stop": ["\n\nUser:"],
    "stream": True,
    "stream_options": {"include_usage": True},
}
SIMPLE = {"messages": [{"role": "user", "content": "What's the weather in Lyon?"}], "stream": True}
FORCED = {
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.org/map.png"}}]},
    ],
    "tools": [WEATHER_TOOL],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "max_tokens": 64,
    "top_p": 0.5,
    "stop": "END",
}
REQUESTS = {"conversation": CONVERSATION, "simple": SIMPLE, "forced": FORCED}


# ---------------------------------------------------------------------------------------------------------------
# Anthropic
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUESTS)
def test_anthropic_requests_are_valid_and_exactly_the_mapping(
    name: str, anthropic_fake: FakeProvider, anthropic_proxy: TestClient
) -> None:
    wanted = {"model": "anthropic/claude-sonnet-4-5", **copy.deepcopy(REQUESTS[name])}
    response = anthropic_proxy.post("/v1/chat/completions", json=wanted)
    assert anthropic_fake.failures == []
    assert response.status_code == 200
    assert anthropic_fake.bodies == [to_anthropic(wanted)]
    assert anthropic_fake.bodies[0]["model"] == "claude-sonnet-4-5"


def test_anthropic_stream_is_the_golden(anthropic_fake: FakeProvider, anthropic_proxy: TestClient) -> None:
    wanted = {"model": "claude-sonnet-4-5", **copy.deepcopy(CONVERSATION)}
    with anthropic_proxy.stream("POST", "/v1/chat/completions", json=wanted) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read()
    assert anthropic_fake.failures == []
    chunks, done = parse_sse_output(body)
    assert done
    assert without_created(chunks) == without_created(golden_chunks(ANTHROPIC_FIXTURE))


def test_anthropic_non_stream_is_the_golden_fold(anthropic_fake: FakeProvider, anthropic_proxy: TestClient) -> None:
    wanted = {"model": "claude-sonnet-4-5", **copy.deepcopy(CONVERSATION), "stream": False}
    response = anthropic_proxy.post("/v1/chat/completions", json=wanted)
    assert anthropic_fake.failures == []
    assert response.status_code == 200
    completion = response.json()
    expected = fold_sse((FIXTURES / f"{ANTHROPIC_FIXTURE}.openai.sse").read_bytes())
    assert completion == {**expected, "created": completion["created"]}
    assert [call["function"]["name"] for call in completion["choices"][0]["message"]["tool_calls"]] == [
        "get_forecast",
        "get_forecast",
    ]


def test_anthropic_error_status_is_translated() -> None:
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests over your limit"}}
    fake = FakeProvider("anthropic", ANTHROPIC_FIXTURE, httpx.Response(429, json=error, headers={"retry-after": "7"}))
    with serving(AnthropicUpstream("sk-ant-test", client=fake.client())) as client:
        response = client.post("/v1/chat/completions", json={"model": "claude-haiku-4-5", **SIMPLE})
    assert fake.failures == []
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert "over your limit" in response.json()["error"]["message"]


# ---------------------------------------------------------------------------------------------------------------
# Gemini
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUESTS)
def test_gemini_requests_are_valid_and_exactly_the_mapping(
    name: str, gemini_fake: FakeProvider, gemini_proxy: TestClient
) -> None:
    wanted = {"model": "gemini/gemini-2.5-flash", **copy.deepcopy(REQUESTS[name])}
    response = gemini_proxy.post("/v1/chat/completions", json=wanted)
    assert gemini_fake.failures == []
    assert response.status_code == 200
    model, body = to_gemini(wanted)
    assert gemini_fake.bodies == [body]
    assert gemini_fake.requests[0].url.path == f"/v1beta/models/{model}:streamGenerateContent"
    assert model == "gemini-2.5-flash"


def test_gemini_stream_is_the_golden(gemini_fake: FakeProvider, gemini_proxy: TestClient) -> None:
    wanted = {"model": "gemini-2.5-flash", **copy.deepcopy(CONVERSATION)}
    with gemini_proxy.stream("POST", "/v1/chat/completions", json=wanted) as response:
        assert response.status_code == 200
        body = response.read()
    assert gemini_fake.failures == []
    chunks, done = parse_sse_output(body)
    assert done
    assert without_created(chunks) == without_created(golden_chunks(GEMINI_FIXTURE))


def test_gemini_non_stream_and_the_answer_back(gemini_fake: FakeProvider, gemini_proxy: TestClient) -> None:
    """The folded answer, sent back as history with tool results, is again a valid Gemini request; the thought
    signature the stream carried goes back on its function call."""
    first = {"model": "gemini-2.5-flash", "messages": copy.deepcopy(SIMPLE["messages"]), "tools": [WEATHER_TOOL]}
    response = gemini_proxy.post("/v1/chat/completions", json=first)
    assert response.status_code == 200
    completion = response.json()
    expected = fold_sse((FIXTURES / f"{GEMINI_FIXTURE}.openai.sse").read_bytes())
    assert completion == {**expected, "created": completion["created"]}
    message = completion["choices"][0]["message"]
    results = [
        {"role": "tool", "tool_call_id": call["id"], "content": '{"temp_c": 20}'} for call in message["tool_calls"]
    ]
    second = {**first, "messages": [*first["messages"], message, *results]}
    assert gemini_proxy.post("/v1/chat/completions", json=second).status_code == 200
    assert gemini_fake.failures == []
    model_turn = gemini_fake.bodies[1]["contents"][1]
    signature = message["tool_calls"][0]["extra_content"]["google"]["thought_signature"]
    assert model_turn["parts"][0]["thoughtSignature"] == signature
    assert len(gemini_fake.bodies[1]["contents"][2]["parts"]) == len(message["tool_calls"])


def test_gemini_error_status_is_translated() -> None:
    error = {"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}
    fake = FakeProvider("gemini", GEMINI_FIXTURE, httpx.Response(400, json=error))
    with serving(GeminiUpstream("gemini-test", client=fake.client())) as client:
        response = client.post("/v1/chat/completions", json={"model": "gemini-2.5-pro", **SIMPLE})
    assert fake.failures == []
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "invalid argument" in response.json()["error"]["message"]


# ---------------------------------------------------------------------------------------------------------------
# Both, behind one proxy
# ---------------------------------------------------------------------------------------------------------------


def test_routing_to_both_fakes(anthropic_fake: FakeProvider, gemini_fake: FakeProvider) -> None:
    anthropic = AnthropicUpstream("sk-ant-test", client=anthropic_fake.client())
    gemini = GeminiUpstream("gemini-test", client=gemini_fake.client())
    routes = [("claude-*", anthropic), ("anthropic/*", anthropic), ("gemini-*", gemini), ("gemini/*", gemini)]
    with serving(RoutingUpstream(routes)) as client:
        for model in ("claude-opus-4-5", "anthropic/claude-opus-4-5", "gemini-2.5-flash", "gemini/gemini-2.5-flash"):
            response = client.post("/v1/chat/completions", json={"model": model, **copy.deepcopy(CONVERSATION)})
            assert response.status_code == 200
    assert (anthropic_fake.failures, gemini_fake.failures) == ([], [])
    assert [body["model"] for body in anthropic_fake.bodies] == ["claude-opus-4-5", "claude-opus-4-5"]
    assert [request.url.path for request in gemini_fake.requests] == [
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    ] * 2


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}, "messages[0]"),
        ({"tool_choice": "any"}, "tool_choice"),
        ({"stop": 3}, "stop"),
    ],
)
@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_unmappable_requests_are_400_and_never_sent(
    change: dict[str, Any], param: str, provider: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeProvider = request.getfixturevalue(f"{provider}_fake")
    client: TestClient = request.getfixturevalue(f"{provider}_proxy")
    model = "claude-sonnet-4-5" if provider == "anthropic" else "gemini-2.5-flash"
    response = client.post("/v1/chat/completions", json={"model": model, **copy.deepcopy(SIMPLE), **change})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"].startswith(param)
    assert fake.requests == []


def test_the_fakes_do_check(
    anthropic_fake: FakeProvider, anthropic_proxy: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body the SDK types refuse is the fake's 400, which the proxy passes on with the reason."""

    def refuse(request: httpx.Request, body: dict[str, Any]) -> None:
        check_anthropic(request, {**body, "messages": [{"role": "robot", "content": "?"}]})

    monkeypatch.setitem(CHECKS, "anthropic", refuse)
    response = anthropic_proxy.post("/v1/chat/completions", json={"model": "claude-sonnet-4-5", **SIMPLE})
    assert response.status_code == 400
    assert len(anthropic_fake.failures) == 1
    assert "ValidationError" in response.json()["error"]["message"]
