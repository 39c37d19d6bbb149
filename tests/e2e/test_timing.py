"""Timing on a slow replay upstream: events reach the client as they are released, and a client that leaves closes
the upstream at once.

The proxy runs under uvicorn in a thread of this process over a `RecordingUpstream`: a `ReplayUpstream` whose body
records the monotonic time each upstream event is released to the proxy, when the body ends and when it is closed.
The client reads over a real socket and notes the monotonic time each SSE event arrives; the same clock on both sides.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import pytest

import translators
from tests.e2e.support import (
    FIXTURES,
    REASONING_EVENTSTREAM,
    REASONING_THEN_TOOL_CALL,
    TEXT,
    TOOL_CALLS,
    USAGE,
    chat_request,
    golden_bytes,
    provider_of,
    serve_in_thread,
    sse_events,
)
from translators.proxy import Opened, ReplayUpstream, create_app

SLOW_DELAY = 0.05  # seconds between upstream events: a slow model
STALL_DELAY = 2.0  # an upstream that goes quiet (a long think)
MEDIAN_LATENCY_LIMIT = 0.010
DISCONNECT_LIMIT = 0.250
LATENCY_CASES = [TEXT, USAGE, TOOL_CALLS, REASONING_THEN_TOOL_CALL, REASONING_EVENTSTREAM]


@dataclass
class Recording:
    """One upstream response as the proxy read it (times from `time.monotonic`)."""

    provider: str
    options: dict[str, Any]
    released: list[tuple[float, bytes]] = field(default_factory=list)
    ended: float | None = None  # the body had no more events
    body_closed: float | None = None  # the body's ``finally`` ran
    closed: float | None = None  # ``Opened.aclose()`` reached the upstream connection


class RecordingUpstream:
    """A `ReplayUpstream` whose responses are recorded, by the request's ``user`` field."""

    def __init__(self, inner: ReplayUpstream) -> None:
        self.inner = inner
        self.recordings: dict[str, Recording] = {}

    async def open(self, request: dict[str, Any]) -> Opened:
        opened = await self.inner.open(request)
        record = self.recordings[str(request.get("user"))] = Recording(opened.provider, dict(opened.options))

        async def body() -> AsyncIterator[bytes]:
            try:
                async for piece in opened.body:
                    record.released.append((time.monotonic(), piece))
                    yield piece
                record.ended = time.monotonic()
            finally:
                record.body_closed = time.monotonic()

        async def on_close() -> None:
            record.closed = time.monotonic()
            await opened.aclose()

        return Opened(opened.provider, opened.status, opened.headers, body(), opened.options, on_close=on_close)

    def wait_closed(self, user: str, timeout: float = 5.0) -> Recording:
        deadline = time.monotonic() + timeout
        while (record := self.recordings.get(user)) is None or record.closed is None or record.body_closed is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the upstream of {user} was not closed within {timeout} s: {record}")
            time.sleep(0.001)
        return record


@dataclass
class RecordingProxy:
    url: str
    upstream: RecordingUpstream


@pytest.fixture(scope="module")
def slow_proxy() -> Iterator[RecordingProxy]:
    upstream = RecordingUpstream(ReplayUpstream(FIXTURES, delay=SLOW_DELAY))
    with serve_in_thread(create_app(upstream)) as url:
        yield RecordingProxy(url, upstream)


@pytest.fixture(scope="module")
def stalled_proxy() -> Iterator[RecordingProxy]:
    upstream = RecordingUpstream(ReplayUpstream(FIXTURES, delay=STALL_DELAY))
    with serve_in_thread(create_app(upstream)) as url:
        yield RecordingProxy(url, upstream)


def received_events(url: str, body: dict[str, Any]) -> list[tuple[float, bytes]]:
    """POST and read the SSE response off the socket: each event with the time its last byte arrived."""
    events: list[tuple[float, bytes]] = []
    buffer = b""
    with httpx.Client(timeout=30) as client, client.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        for raw in response.iter_raw():
            now = time.monotonic()
            buffer += raw
            *complete, buffer = buffer.split(b"\n\n")
            events += [(now, event + b"\n\n") for event in complete]
    assert buffer == b""
    return events


def event_owners(provider: str, pieces: list[bytes], options: dict[str, Any]) -> list[int]:
    """For each output event of the translation, the index of the upstream piece whose arrival produced it
    (``len(pieces)``: the end of the body), found by translating the same pieces one at a time."""
    current = 0

    def body() -> Iterator[bytes]:
        nonlocal current
        for n, piece in enumerate(pieces):
            current = n
            yield piece
        current = len(pieces)

    owners: list[int] = []
    for out in translators.stream(provider, body(), **{**options, "include_usage": True}):
        owners += [current] * out.count(b"\n\n")
    return owners


@dataclass
class Latency:
    name: str
    piece: int  # index of the upstream event (len(pieces) = the end of the body)
    seconds: float


def latencies(proxy: RecordingProxy, name: str) -> list[Latency]:
    user = f"latency-{uuid.uuid4()}"
    received = received_events(proxy.url, chat_request(name, user=user))
    record = proxy.upstream.recordings[user]
    assert b"".join(event for _, event in received) == golden_bytes(name)  # nothing lost or changed on the way
    pieces = [piece for _, piece in record.released]
    owners = event_owners(provider_of(name), pieces, record.options)
    assert len(owners) == len(received) == len(sse_events(golden_bytes(name)))
    released = [at for at, _ in record.released]
    released.append(record.ended or released[-1])  # the translator may end at its last event, before the body's end
    first_event_of_piece: dict[int, float] = {}
    for owner, (at, _) in zip(owners, received, strict=True):
        first_event_of_piece.setdefault(owner, at)
    found = [Latency(name, piece, at - released[piece]) for piece, at in sorted(first_event_of_piece.items())]
    assert all(latency.seconds > -0.001 for latency in found), f"an event seen before its upstream event: {found}"
    return found


def test_median_time_from_upstream_event_to_client_chunk_is_under_10ms(slow_proxy: RecordingProxy) -> None:
    found = [latency for name in LATENCY_CASES for latency in latencies(slow_proxy, name)]
    seconds = sorted(latency.seconds for latency in found)
    median = statistics.median(seconds)
    p90 = seconds[int(0.9 * (len(seconds) - 1))]
    held = [f"{item.name}#{item.piece}: {item.seconds * 1000:.1f} ms" for item in found if item.seconds > 0.010]
    print(
        f"\n[timing] upstream event -> client chunk, replay delay {SLOW_DELAY} s, {len(seconds)} upstream events "
        f"over {len(LATENCY_CASES)} fixtures: median {median * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms, "
        f"max {seconds[-1] * 1000:.2f} ms; over 10 ms: {held or 'none'}"
    )
    assert median < MEDIAN_LATENCY_LIMIT


def disconnect_after_first_content(proxy: RecordingProxy, name: str) -> tuple[float, Recording]:
    """Stream with the openai SDK, leave after the first content, and time how soon the upstream is closed."""
    user = f"disconnect-{uuid.uuid4()}"
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="e2e", max_retries=0, timeout=30) as client:
        stream = client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": "Hello"}], stream=True, user=user
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
        left = time.monotonic()
        stream.close()  # closes the HTTP connection mid-response: the client is gone
    record = proxy.upstream.wait_closed(user)
    assert record.ended is None, "the upstream had already ended: nothing to cancel"
    assert record.closed is not None and record.body_closed is not None
    return max(record.closed, record.body_closed) - left, record


def test_client_disconnect_closes_the_upstream_within_250ms(slow_proxy: RecordingProxy) -> None:
    took, record = disconnect_after_first_content(slow_proxy, TEXT)
    print(
        f"\n[timing] client disconnect -> upstream closed, replay delay {SLOW_DELAY} s: {took * 1000:.1f} ms "
        f"(after {len(record.released)} upstream events)"
    )
    assert took < DISCONNECT_LIMIT


def test_client_disconnect_while_the_upstream_is_quiet_closes_it_within_250ms(stalled_proxy: RecordingProxy) -> None:
    took, record = disconnect_after_first_content(stalled_proxy, USAGE)
    print(
        f"\n[timing] client disconnect -> upstream closed, upstream quiet for {STALL_DELAY} s between events: "
        f"{took * 1000:.1f} ms (after {len(record.released)} upstream events)"
    )
    assert took < DISCONNECT_LIMIT
