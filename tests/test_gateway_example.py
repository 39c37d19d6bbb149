"""The README's "Using it in a gateway" example, run as written against a fake Anthropic upstream."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette", reason="starlette is a dev dependency: pip install -e '.[dev]'")
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
UPSTREAM = {
    "claude-sonnet-4-5": (200, (FIXTURES / "anthropic" / "prompt-caching-read-and-write.sse").read_bytes(), {}),
    "overloaded": (200, (FIXTURES / "anthropic" / "overloaded-error-first-event.sse").read_bytes(), {}),
    "limited": (
        429,
        b'{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded'
        b' your per-minute rate limit"},"request_id":"req_011CRateLimit"}',
        {"retry-after": "17"},
    ),
}


def example_code() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it in a gateway", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the gateway section has no python block"
    return match.group(1)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PRICES", str(FIXTURES / "prices" / "example.toml"))
    namespace: dict[str, Any] = {"__name__": "readme_gateway_example"}
    exec(compile(example_code(), "README.md", "exec"), namespace)
    requests: list[dict[str, Any]] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        status, content, headers = UPSTREAM[body["model"]]
        return httpx.Response(status, content=content, headers=headers)

    namespace["client"] = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
    namespace["sent"] = requests
    return namespace


def post(app: dict[str, Any], model: str, **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    with TestClient(app["app"]) as client:
        return client.post("/v1/chat/completions", json={**body, "stream": True, **extra})


def test_a_stream_goes_through_metered(app: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    response = post(app, "claude-sonnet-4-5", stream_options={"include_usage": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-accel-buffering"] == "no" and response.headers["cache-control"] == "no-cache"
    events = [json.loads(e[6:]) for e in response.text.split("\n\n") if e.startswith("data: {")]
    assert response.text.endswith("data: [DONE]\n\n")
    assert events[-2]["choices"] == [] and "credits_used" not in events[-2]  # the provider's usage chunk
    assert events[-1]["choices"] == [] and events[-1]["credits_used"] > 0  # then the gateway's
    assert "completed claude-sonnet-4-5-20250929" in capsys.readouterr().out
    assert app["sent"] == [
        {
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 1024,
            "system": "Be brief.",
            "stream": True,
        }
    ]


def test_without_include_usage_only_the_gateway_chunk_carries_usage(app: dict[str, Any]) -> None:
    response = post(app, "claude-sonnet-4-5")
    usage_chunks = [e for e in response.text.split("\n\n") if '"choices":[]' in e]
    assert len(usage_chunks) == 1 and '"credits_used"' in usage_chunks[0]


def test_an_opening_error_is_an_http_error(app: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    response = post(app, "overloaded")
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "overloaded_error"
    assert capsys.readouterr().out.startswith("error ")


def test_an_http_error_before_the_stream_keeps_retry_after(app: dict[str, Any]) -> None:
    response = post(app, "limited")
    assert response.status_code == 429 and response.headers["retry-after"] == "17"
    assert response.json()["error"]["type"] == "rate_limit_error"
