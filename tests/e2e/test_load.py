"""Load: 200 concurrent streams through the proxy complete without loss; throughput and proxy CPU per chunk, against
a pass-through server that streams the goldens untranslated over the same HTTP stack.

Both servers run in their own process (``serve.py``) so that their CPU time (from /proc/<pid>/stat) is theirs alone;
the client, in this process, is a minimal asyncio HTTP/1.1 client (one connection per stream), light enough that
the server, not the client, is what limits the throughput on a 2-core machine. Every stream's body must be its
golden byte for byte, hence fold to the golden's fold (checked too, with `translators.folding.fold_sse`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.support import (
    ServerProcess,
    StreamableFixture,
    chat_request,
    golden_bytes,
    serve_in_subprocess,
    sse_data,
    streamable_fixtures,
)
from translators.folding import FoldError, fold_sse

CONCURRENCY = 200  # streams open at once
STREAMS_PER_WORKER = 5  # each of the 200 workers runs this many streams, one after the other
REPLAY_DELAY = 0.005  # seconds between replayed events: the streams overlap, as real ones do
STREAM_TIMEOUT = 60.0


class HTTPResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


async def post_json(
    host: str, port: int, path: str, payload: dict[str, Any], on_head: Callable[[], None] = lambda: None
) -> HTTPResponse:
    """POST JSON over a fresh connection and read the whole response (chunked or not); ``on_head`` runs when
    the response head has arrived, i.e. the stream is open."""
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        on_head()
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await reader.readline()).split(b";")[0], 16):
                parts.append((await reader.readexactly(size + 2))[:-2])
            await reader.readline()
            data = b"".join(parts)
        else:
            data = await reader.readexactly(int(headers.get("content-length", "0")))
        return HTTPResponse(status, headers, data)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def folded(raw: bytes) -> dict[str, Any]:
    try:
        return {"completion": fold_sse(raw)}
    except FoldError as exc:
        return {"error": exc.error}


@dataclass
class LoadResult:
    kind: str
    streams: int
    chunks: int
    seconds: float
    cpu_seconds: float
    peak_open: int
    failures: list[str]

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds

    @property
    def cpu_us_per_chunk(self) -> float:
        return self.cpu_seconds / self.chunks * 1e6

    def line(self) -> str:
        return (
            f"{self.kind:>11}: {self.streams} streams ({CONCURRENCY} concurrent, "
            f"peak {self.peak_open} responses open at once), "
            f"{self.chunks} chunks in {self.seconds:.2f} s = {self.chunks_per_second:,.0f} chunks/s; "
            f"server CPU {self.cpu_seconds:.2f} s = {self.cpu_us_per_chunk:.0f} µs/chunk, "
            f"{self.cpu_seconds / self.streams * 1000:.2f} ms/stream"
        )


async def run_load(server: ServerProcess, kind: str, fixtures: list[StreamableFixture]) -> LoadResult:
    names = itertools.cycle(fixtures)
    plan = [[next(names) for _ in range(STREAMS_PER_WORKER)] for _ in range(CONCURRENCY)]
    expected_chunks = {f.name: sum(1 for d in sse_data(golden_bytes(f.name)) if d != "[DONE]") for f in fixtures}
    golden_folds = {f.name: folded(golden_bytes(f.name)) for f in fixtures}
    failures: list[str] = []
    chunks = 0
    open_now = peak_open = 0
    address = urlsplit(server.base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80

    async def one(fixture: StreamableFixture) -> None:
        nonlocal chunks, open_now
        body = chat_request(fixture.name, include_usage=fixture.include_usage)
        is_open = False

        def opened() -> None:
            nonlocal open_now, peak_open, is_open
            open_now, is_open = open_now + 1, True
            peak_open = max(peak_open, open_now)

        try:
            response = await asyncio.wait_for(
                post_json(host, port, "/v1/chat/completions", body, on_head=opened), STREAM_TIMEOUT
            )
        finally:
            open_now -= is_open
        if response.status != 200 or response.body != golden_bytes(fixture.name):
            failures.append(f"{fixture.name}: status {response.status}, body differs from the golden")
        elif folded(response.body) != golden_folds[fixture.name]:
            failures.append(f"{fixture.name}: fold differs from the golden's")
        else:
            chunks += expected_chunks[fixture.name]

    async def worker(streams: list[StreamableFixture]) -> None:
        for fixture in streams:
            try:
                await one(fixture)
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
                failures.append(f"{fixture.name}: {type(exc).__name__}: {exc}")

    cpu_before, started = server.cpu_seconds(), time.monotonic()
    await asyncio.gather(*(worker(streams) for streams in plan))
    seconds, cpu = time.monotonic() - started, server.cpu_seconds() - cpu_before
    return LoadResult(kind, CONCURRENCY * STREAMS_PER_WORKER, chunks, seconds, cpu, peak_open, failures)


@pytest.fixture(scope="module")
def fixtures() -> list[StreamableFixture]:
    return streamable_fixtures()


def test_200_concurrent_streams_through_the_proxy_all_equal_their_goldens(fixtures: list[StreamableFixture]) -> None:
    with serve_in_subprocess("proxy", delay=REPLAY_DELAY) as proxy:
        translated = asyncio.run(run_load(proxy, "proxy", fixtures))
    with serve_in_subprocess("passthrough", delay=REPLAY_DELAY) as passthrough:
        untranslated = asyncio.run(run_load(passthrough, "passthrough", fixtures))
    print(
        f"\n[load] {len(fixtures)} fixtures cycled, replay delay {REPLAY_DELAY} s between events\n"
        f"[load] {translated.line()}\n[load] {untranslated.line()}\n"
        f"[load] translation overhead: {translated.cpu_us_per_chunk - untranslated.cpu_us_per_chunk:.0f} µs/chunk "
        f"({translated.cpu_us_per_chunk / untranslated.cpu_us_per_chunk:.2f}x the pass-through CPU per chunk)"
    )
    assert untranslated.failures == []
    assert translated.failures == []
    assert translated.peak_open > CONCURRENCY // 2  # the streams really overlapped
