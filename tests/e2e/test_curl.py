"""`curl -N` against the proxy on localhost: the raw bytes are the golden SSE, for every streamable fixture."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.e2e.support import (
    ALL_CASES,
    StreamableFixture,
    chat_request,
    golden_bytes,
    golden_error,
    opening_error_fixtures,
    streamable_fixtures,
)
from translators.errors import error_response

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(CURL is None, reason="curl not found on PATH")

STREAMABLE = streamable_fixtures()
OPENING_ERRORS = opening_error_fixtures()


def curl_raw(url: str, body: dict[str, object]) -> tuple[str, bytes]:
    """curl -N POSTing JSON: the response head (``-D``, to a file) and the raw body bytes (stdout)."""
    assert CURL is not None
    result = subprocess.run(
        [CURL, "-sS", "-N", "-D", "/dev/stderr", "-H", "Content-Type: application/json", "-d", json.dumps(body), url],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stderr.decode("latin-1"), result.stdout


def test_every_case_the_clients_read_is_among_the_streamable_fixtures() -> None:
    assert set(ALL_CASES) <= {fixture.name for fixture in STREAMABLE}
    assert len(STREAMABLE) > 100


@pytest.mark.parametrize("fixture", STREAMABLE, ids=[fixture.name for fixture in STREAMABLE])
def test_curl_raw_bytes_equal_the_golden_sse(proxy_url: str, fixture: StreamableFixture) -> None:
    body = chat_request(fixture.name, include_usage=fixture.include_usage)
    head, raw = curl_raw(f"{proxy_url}/v1/chat/completions", body)
    assert head.startswith("HTTP/1.1 200"), head
    headers = response_headers(head)
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert raw == golden_bytes(fixture.name)


def response_headers(head: str) -> dict[str, str]:
    lines = head.splitlines()[1:]
    return {key.strip().lower(): value.strip() for key, _, value in (line.partition(":") for line in lines) if value}


@pytest.mark.parametrize("fixture", OPENING_ERRORS, ids=[fixture.name for fixture in OPENING_ERRORS])
def test_curl_gets_an_opening_error_as_the_http_error_of_the_golden_error_event(
    proxy_url: str, fixture: StreamableFixture
) -> None:
    error = golden_error(fixture.name)
    assert error is not None
    status, body = error_response(error)
    head, raw = curl_raw(f"{proxy_url}/v1/chat/completions", chat_request(fixture.name))
    assert head.startswith(f"HTTP/1.1 {status} "), head
    assert response_headers(head)["content-type"] == "application/json"
    assert json.loads(raw) == body
