"""The gateway layer (`translators.gateway`): metering of every ending, peek, cancellation, keep-alive,
the idle timeout and no buffering. Timings use small timeouts; each async test has an overall limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from translators import gateway, stream
from translators.gateway import KEEPALIVE, GatewayCore, Meter, UsageReport

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CREATED = 1_700_000_000


def body_of(provider: str, case: str) -> bytes:
    return (FIXTURES / provider / f"{case}.sse").read_bytes()


def sse_events(body: bytes) -> list[bytes]:
    """An SSE body as its events, each with its closing blank line."""
    return [event + b"\n\n" for event in body.split(b"\n\n") if event.strip()]


def data_of(out: bytes) -> list[Any]:
    """The ``data:`` payloads of SSE output (JSON decoded; ``[DONE]`` as the string)."""
    items = []
    for event in out.split(b"\n\n"):
        if event.startswith(b"data: "):
            payload = event[6:]
            items.append("[DONE]" if payload == b"[DONE]" else json.loads(payload))
    return items


TEXT = body_of("anthropic", "prompt-caching-read-and-write")
MIDSTREAM_ERROR = body_of("anthropic", "error-midstream-after-text")
OVERLOADED_FIRST = body_of("anthropic", "overloaded-error-first-event")


class Prices:
    """A stand-in price table: 1 credit per token (`translators.pricing` has the real one)."""

    def __init__(self) -> None:
        self.asked: list[tuple[dict[str, Any], str]] = []

    def credits(self, usage: dict[str, Any], model: str) -> int:
        self.asked.append((usage, model))
        return int(usage["prompt_tokens"]) + int(usage["completion_tokens"])


def run(provider: str, pieces: list[bytes], **options: Any) -> tuple[bytes, list[UsageReport]]:
    reports: list[UsageReport] = []
    out = b"".join(gateway.stream(provider, pieces, on_usage=reports.append, created=CREATED, **options))
    return out, reports


# --- metering ------------------------------------------------------------------------------------------------


def test_without_prices_the_output_is_stream_output_and_the_usage_is_reported_once() -> None:
    out, reports = run("anthropic", [TEXT])
    assert out == b"".join(stream("anthropic", [TEXT], created=CREATED))
    (report,) = reports
    assert report.ending == "completed" and not report.estimated and report.credits_used is None
    assert report.usage["prompt_tokens"] == 22028 and report.usage["completion_tokens"] == 21
    assert (report.model, report.created) == ("claude-sonnet-4-5-20250929", CREATED)


def test_the_gateway_usage_chunk_is_second_to_last(monkeypatch: pytest.MonkeyPatch) -> None:
    prices = Prices()
    monkeypatch.setattr(gateway, "load", lambda p: p)
    out, (report,) = run("anthropic", sse_events(TEXT), prices=prices)
    items = data_of(out)
    assert items[-1] == "[DONE]"
    provider_usage, gateway_chunk = items[-3], items[-2]
    assert provider_usage["choices"] == [] and "credits_used" not in provider_usage
    assert gateway_chunk["choices"] == [] and gateway_chunk["credits_used"] == 22028 + 21 == report.credits_used
    assert gateway_chunk["usage"] == provider_usage["usage"]
    assert gateway_chunk["id"] == provider_usage["id"] and gateway_chunk["model"] == provider_usage["model"]
    finish = [i for i, item in enumerate(items[:-1]) if item["choices"] and item["choices"][0]["finish_reason"]]
    assert finish == [len(items) - 4]  # content → finish → provider usage → gateway usage → [DONE]
    assert prices.asked == [(report.usage, "claude-sonnet-4-5-20250929")]


def test_without_include_usage_the_provider_chunk_goes_but_the_meter_still_counts() -> None:
    out, (report,) = run("anthropic", [TEXT], include_usage=False, usage_chunk=True)
    items = data_of(out)
    usage_chunks = [item for item in items if item != "[DONE]" and item["choices"] == []]
    assert len(usage_chunks) == 1 and "credits_used" in usage_chunks[0]
    assert report.usage["prompt_tokens"] == 22028 and not report.estimated


def test_a_provider_error_is_billed_with_an_estimate_and_the_gateway_chunk_comes_before_it() -> None:
    out, (report,) = run("anthropic", sse_events(MIDSTREAM_ERROR), usage_chunk=True)
    items = data_of(out)
    assert "error" in items[-1] and items[-2]["choices"] == [] and items[-2]["usage"]["estimated"] is True
    assert report.ending == "error" and report.estimated and report.error == items[-1]["error"]
    text = "The three primary colours of light are red, green and"
    assert report.usage["completion_tokens"] == -(-len(text) // 4)
    assert report.usage["prompt_tokens"] == 58  # from message_start: the provider's partial count


def test_gemini_partial_counts_are_used_when_the_stream_is_cut() -> None:
    _, (report,) = run("gemini", [body_of("gemini", "truncated-no-finish")])
    assert report.ending == "truncated" and report.estimated
    assert report.usage["prompt_tokens"] == 25  # the last usageMetadata seen
    assert report.usage["completion_tokens"] >= 22 + 64  # candidates + thoughts so far, or the estimate


def test_a_truncated_stream_is_billed() -> None:
    out, (report,) = run("anthropic", sse_events(TEXT)[:6])
    assert report.ending == "truncated" and report.estimated
    assert data_of(out)[-1]["error"]["type"] == "upstream_truncated"


def test_bad_input_is_billed_as_an_error() -> None:
    out, (report,) = run("anthropic", [b"data: {nope\n\n"])
    assert report.ending == "error" and report.error is not None
    assert report.error["type"] == "translation_error" and "[DONE]" not in data_of(out)


def test_an_upstream_that_raises_ends_with_an_error_event_and_is_billed() -> None:
    def broken() -> Iterator[bytes]:
        yield from sse_events(TEXT)[:5]
        raise ConnectionResetError("peer reset")

    reports: list[UsageReport] = []
    out = b"".join(gateway.stream("anthropic", broken(), on_usage=reports.append, created=CREATED))
    error = data_of(out)[-1]["error"]
    assert error["code"] == "upstream_read_error" and "ConnectionResetError: peer reset" in error["message"]
    assert [r.ending for r in reports] == ["error"]


def test_closing_before_the_end_reports_cancelled_once_with_what_was_produced() -> None:
    reports: list[UsageReport] = []
    out = gateway.stream("anthropic", iter(sse_events(TEXT)), on_usage=reports.append, created=CREATED)
    sent = b""
    while b"content" not in sent or b'"content":""' in sent.split(b"\n\n")[-3]:
        sent += next(out)
    out.close()
    out.close()
    (report,) = reports
    assert report.ending == "cancelled" and report.estimated
    text = "".join(
        item["choices"][0]["delta"].get("content") or ""
        for item in data_of(sent)
        if item != "[DONE]" and item["choices"]
    )
    assert text and report.usage["completion_tokens"] == -(-len(text) // 4)


def test_closing_after_the_end_reports_nothing_more() -> None:
    reports: list[UsageReport] = []
    with gateway.stream("anthropic", [TEXT], on_usage=reports.append) as out:
        list(out)
    assert [r.ending for r in reports] == ["completed"]


def test_partial_counts_feed_the_estimate() -> None:
    meter = Meter()
    meter.observe({"id": "x", "choices": [{"index": 0, "delta": {"content": "abcdefghi"}, "finish_reason": None}]})
    meter.observe({"id": "x", "choices": [{"index": 0, "delta": {"reasoning_content": "abcde"}}]})
    calls = {"index": 0, "function": {"name": "get", "arguments": '{"a":1}'}}
    meter.observe({"id": "x", "choices": [{"index": 0, "delta": {"tool_calls": [calls]}}]})
    usage = meter.final_usage({"prompt_tokens": 40, "completion_tokens": 1})
    assert usage == {
        "prompt_tokens": 40,
        "completion_tokens": 5 + 2,  # ceil((9 + 3 + 7) / 4) + ceil(5 / 4)
        "total_tokens": 47,
        "completion_tokens_details": {"reasoning_tokens": 2},
        "estimated": True,
    }
    assert meter.final_usage({"completion_tokens": 50}, prompt_estimate=7)["completion_tokens"] == 50
    assert meter.final_usage(None, prompt_estimate=7)["prompt_tokens"] == 7


def test_meter_bearing_content() -> None:
    meter = Meter()
    role = {"id": "x", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    assert meter.observe(role) is False
    assert meter.observe({"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}) is True
    assert meter.observe({"id": "x", "choices": [], "usage": {"prompt_tokens": 1}}) is True
    assert meter.observe({"error": {"type": "api_error"}, "usage": {"prompt_tokens": 2}}) is True
    assert meter.usage == {"prompt_tokens": 1} and meter.error == {"type": "api_error"}


def test_decimal_credits_go_out_as_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    class Cents:
        def credits(self, usage: dict[str, Any], model: str) -> Decimal:
            return Decimal("0.25")

    monkeypatch.setattr(gateway, "load", lambda p: p)
    out, (report,) = run("anthropic", [TEXT], prices=Cents())
    assert data_of(out)[-2]["credits_used"] == 0.25 and report.credits_used == Decimal("0.25")


def test_unknown_options_are_refused_as_by_stream() -> None:
    with pytest.raises(TypeError, match="unknown option"):
        GatewayCore("anthropic", colour="red")


# --- peek ------------------------------------------------------------------------------------------------------


def test_peek_turns_an_opening_error_into_an_http_error_and_closes_the_upstream() -> None:
    closed: list[bool] = []

    def upstream() -> Iterator[bytes]:
        try:
            yield from sse_events(OVERLOADED_FIRST)
            yield b"never read"
        finally:
            closed.append(True)

    reports: list[UsageReport] = []
    out = gateway.stream("anthropic", upstream(), on_usage=reports.append)
    error = out.peek()
    assert error is not None
    status, body = error
    assert status == 503 and body["error"]["type"] == "overloaded_error" and error.retryable
    assert closed == [True] and [r.ending for r in reports] == ["error"]


def test_peek_lets_a_good_stream_through_with_nothing_lost_or_reordered() -> None:
    for pieces in ([TEXT], sse_events(TEXT), [bytes([b]) for b in TEXT]):
        out = gateway.stream("anthropic", iter(pieces), created=CREATED)
        assert out.peek() is None
        assert b"".join(out) == b"".join(stream("anthropic", [TEXT], created=CREATED))


def test_peek_reads_past_the_role_chunk_to_an_error_after_it() -> None:
    role_then_error = sse_events(MIDSTREAM_ERROR)[:1] + sse_events(OVERLOADED_FIRST)
    error = gateway.stream("anthropic", role_then_error).peek()
    assert error is not None and error.status == 503


def test_peek_stops_at_the_first_content() -> None:
    read: list[int] = []

    def upstream() -> Iterator[bytes]:
        for n, event in enumerate(sse_events(TEXT)):
            read.append(n)
            yield event

    out = gateway.stream("anthropic", upstream())
    assert out.peek() is None
    first_text = next(n for n, e in enumerate(sse_events(TEXT)) if b"text_delta" in e)
    assert read[-1] == first_text


# --- async: the same, cancellation, keep-alive, idle timeout, no buffering -------------------------------------


async def paced(events: list[bytes], delay: float, closed: list[float] | None = None) -> AsyncIterator[bytes]:
    try:
        for event in events:
            await asyncio.sleep(delay)
            yield event
    finally:
        if closed is not None:
            closed.append(time.monotonic())


def arun(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_async_output_equals_sync_output_and_is_billed() -> None:
    async def main() -> tuple[bytes, list[UsageReport]]:
        reports: list[UsageReport] = []
        out = gateway.astream("anthropic", paced(sse_events(TEXT), 0), on_usage=reports.append, created=CREATED)
        return b"".join([piece async for piece in out]), reports

    out, reports = arun(main())
    assert out == b"".join(stream("anthropic", [TEXT], created=CREATED))
    assert [r.ending for r in reports] == ["completed"]


def test_async_peek_both_ways() -> None:
    async def main() -> tuple[Any, Any, bytes]:
        bad = await gateway.astream("anthropic", paced(sse_events(OVERLOADED_FIRST), 0)).peek()
        out = gateway.astream("anthropic", paced(sse_events(TEXT), 0), created=CREATED, keepalive=5)
        good = await out.peek()
        return bad, good, b"".join([piece async for piece in out])

    bad, good, out = arun(main())
    assert bad is not None and bad.status == 503 and good is None
    assert out == b"".join(stream("anthropic", [TEXT], created=CREATED))


def test_cancelling_the_consumer_closes_the_upstream_within_250_ms() -> None:
    async def main() -> tuple[float, list[UsageReport]]:
        closed: list[float] = []
        reports: list[UsageReport] = []
        slow = paced(sse_events(TEXT), 0.05, closed)

        async def consume() -> None:
            async with gateway.astream("anthropic", slow, on_usage=reports.append) as out:
                async for _ in out:
                    pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.2)
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return closed[0] - cancelled_at, reports

    delay, reports = arun(main())
    assert 0 <= delay < 0.25
    assert [r.ending for r in reports] == ["cancelled"]


@pytest.mark.parametrize("liveness", [{}, {"keepalive": 0.03, "idle_timeout": 5}])
def test_aclose_closes_the_upstream_at_once(liveness: dict[str, float]) -> None:
    async def main() -> tuple[float, list[UsageReport]]:
        closed: list[float] = []
        reports: list[UsageReport] = []
        out = gateway.astream("anthropic", paced(sse_events(TEXT), 0.05, closed), on_usage=reports.append, **liveness)
        await out.__anext__()
        started = time.monotonic()
        await out.aclose()
        return closed[0] - started, reports

    delay, reports = arun(main())
    assert 0 <= delay < 0.25 and [r.ending for r in reports] == ["cancelled"]


def test_keepalive_comments_while_the_upstream_is_silent_and_nothing_else_changes() -> None:
    async def upstream() -> AsyncIterator[bytes]:
        events = sse_events(TEXT)
        yield events[0]
        await asyncio.sleep(0.2)
        for event in events[1:]:
            yield event

    async def main() -> list[bytes]:
        out = gateway.astream("anthropic", upstream(), keepalive=0.05, created=CREATED)
        return [piece async for piece in out]

    pieces = arun(main())
    keepalives = [p for p in pieces if p == KEEPALIVE]
    assert KEEPALIVE == b": keep-alive\n\n" and 2 <= len(keepalives) <= 5
    assert pieces[0] != KEEPALIVE and pieces.index(KEEPALIVE) == 1  # the role chunk went out first
    rest = b"".join(p for p in pieces if p != KEEPALIVE)
    assert rest == b"".join(stream("anthropic", [TEXT], created=CREATED))


def test_idle_timeout_ends_with_an_error_event_closes_the_upstream_and_bills() -> None:
    async def main() -> tuple[list[bytes], list[float], list[UsageReport]]:
        closed: list[float] = []
        reports: list[UsageReport] = []

        async def upstream() -> AsyncIterator[bytes]:
            try:
                yield sse_events(TEXT)[0]
                await asyncio.sleep(30)
                yield b"never"
            finally:
                closed.append(time.monotonic())

        out = gateway.astream("anthropic", upstream(), idle_timeout=0.1, keepalive=0.04, on_usage=reports.append)
        return [piece async for piece in out], closed, reports

    pieces, closed, reports = arun(main())
    last = data_of(pieces[-1])[-1]["error"]
    assert last["type"] == "timeout_error" and last["code"] == "idle_timeout"
    assert KEEPALIVE in pieces and closed
    assert [r.ending for r in reports] == ["timeout"]


def test_the_first_bytes_leave_before_the_second_upstream_event_arrives() -> None:
    async def main() -> bool:
        first_out = asyncio.Event()
        events = sse_events(TEXT)

        async def upstream() -> AsyncIterator[bytes]:
            yield events[0]
            await asyncio.wait_for(first_out.wait(), 2)  # raises if the gateway held the first bytes back
            for event in events[1:]:
                yield event

        out = gateway.astream("anthropic", upstream())
        first = await out.__anext__()
        first_out.set()
        rest = [piece async for piece in out]
        return b"role" in first and b"[DONE]" in rest[-1]

    assert arun(main())


def test_sync_first_bytes_leave_before_the_second_upstream_event_is_read() -> None:
    seen: list[bytes] = []

    def upstream() -> Iterator[bytes]:
        events = sse_events(TEXT)
        yield events[0]
        assert seen, "the gateway read on before sending what it had"
        yield from events[1:]

    for piece in gateway.stream("anthropic", upstream()):
        seen.append(piece)
    assert b"[DONE]" in seen[-1]


def test_an_async_upstream_that_raises_is_an_error_event() -> None:
    async def upstream() -> AsyncIterator[bytes]:
        yield sse_events(TEXT)[0]
        raise OSError("gone")

    async def main() -> list[bytes]:
        return [piece async for piece in gateway.astream("anthropic", upstream(), keepalive=1)]

    pieces = arun(main())
    assert data_of(pieces[-1])[-1]["error"]["code"] == "upstream_read_error"


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "5"])
def test_liveness_settings_are_checked(bad: Any) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        gateway.astream("anthropic", paced([], 0), keepalive=bad)


def test_meter_edges() -> None:
    meter = Meter()
    assert meter.observe({"error": {"type": "api_error"}, "usage": {"prompt_tokens": 3}})
    assert meter.usage == {"prompt_tokens": 3}
    other = Meter()
    other.observe({"id": "x", "choices": [{"delta": {"tool_calls": ["junk", {"function": "junk"}]}}]})
    assert other.completion_chars == 0
    partial = {"prompt_tokens": 9, "prompt_tokens_details": {"cached_tokens": 4}}
    assert other.final_usage(partial)["prompt_tokens_details"] == {"cached_tokens": 4}


def test_the_chunk_pipeline_reads_nothing_after_its_end() -> None:
    from translators._core import Options
    from translators.gateway import _ChunkPipeline

    pipeline = _ChunkPipeline("anthropic", Options(created=CREATED))
    assert pipeline.feed(TEXT)[-1]["choices"] == [] and pipeline.done and not pipeline.failed
    assert pipeline.feed(TEXT) == [] and pipeline.close() == []


def test_an_interrupt_while_reading_closes_the_upstream_and_propagates() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield sse_events(TEXT)[0]
            raise KeyboardInterrupt

        def close(self) -> None:
            closed.append(True)

    reports: list[UsageReport] = []
    out = gateway.stream("anthropic", Body(), on_usage=reports.append)
    next(out)
    with pytest.raises(KeyboardInterrupt):
        next(out)
    assert closed == [True] and [r.ending for r in reports] == ["cancelled"]


@pytest.mark.parametrize("liveness", [{}, {"keepalive": 1.0}])
def test_an_async_upstream_that_ends_early_is_truncated(liveness: dict[str, float]) -> None:
    async def main() -> tuple[list[bytes], list[UsageReport]]:
        reports: list[UsageReport] = []
        out = gateway.astream("anthropic", paced(sse_events(TEXT)[:4], 0), on_usage=reports.append, **liveness)
        return [piece async for piece in out], reports

    pieces, reports = arun(main())
    assert data_of(pieces[-1])[-1]["error"]["type"] == "upstream_truncated"
    assert [r.ending for r in reports] == ["truncated"]


def test_a_stream_dropped_without_closing_is_still_billed() -> None:
    import gc

    reports: list[UsageReport] = []
    out = gateway.stream("anthropic", iter(sse_events(TEXT)), on_usage=reports.append)
    next(out)
    del out
    gc.collect()
    assert [r.ending for r in reports] == ["cancelled"]

    async def main() -> None:
        aout = gateway.astream("anthropic", paced(sse_events(TEXT), 0), on_usage=reports.append)
        await aout.__anext__()
        del aout
        gc.collect()

    arun(main())
    assert [r.ending for r in reports] == ["cancelled", "cancelled"]
    finished = gateway.stream("anthropic", [TEXT], on_usage=reports.append)
    list(finished)
    del finished
    gc.collect()
    assert [r.ending for r in reports] == ["cancelled", "cancelled", "completed"]


def test_prices_from_a_file_a_mapping_or_a_table_give_the_tables_credits() -> None:
    from translators.pricing import load_prices

    path = FIXTURES / "prices" / "example.json"
    table = load_prices(path)
    credits = set()
    for prices in (path, str(path), json.loads(path.read_text()), table):
        out, (report,) = run("anthropic", [TEXT], prices=prices)
        assert report.credits_used == table.credits(report.usage, "claude-sonnet-4-5-20250929") is not None
        assert data_of(out)[-2]["credits_used"] == report.credits_used
        credits.add(report.credits_used)
    assert len(credits) == 1
    _, (unpriced,) = run("anthropic", [TEXT], prices=table, price_model="no-such-model")
    assert unpriced.credits_used is None


def test_created_comes_from_the_stream_when_the_caller_gives_none() -> None:
    body = (FIXTURES / "ollama" / "chat-options-created-from-stream.ndjson").read_bytes()
    plain = b"".join(stream("ollama", [body]))
    out = b"".join(gateway.stream("ollama", [body], usage_chunk=False))
    assert out == plain and data_of(out)[0]["created"] == data_of(plain)[0]["created"] < 1_760_000_000
