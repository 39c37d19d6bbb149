"""The public API: translate / atranslate / stream / astream, options, errors, SDK objects, imports."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import translators
from tests.contract import acollect, aiter_of, check_contract, parse_sse_output
from tests.test_anthropic import CREATED, block, delta, end, start, stop, text_stream
from translators import PROVIDERS, TranslationError, astream, atranslate, stream, translate
from translators.sse import encode_event, encode_json


def wire(events: list[dict[str, Any]]) -> bytes:
    """Events as Anthropic puts them on the wire (event name + JSON data, padded like the real service)."""
    import json

    return b"".join(encode_event(json.dumps(e) + "   ", event=e["type"]) for e in events)


def test_providers_lists_anthropic() -> None:
    assert isinstance(PROVIDERS, tuple) and "anthropic" in PROVIDERS


def test_unknown_provider_and_option_are_rejected_up_front() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        translate("nope", [])
    with pytest.raises(TypeError, match="unknown option"):
        translate("anthropic", [], include_usag=True)


def test_translation_error_is_a_value_error_with_provider_and_where() -> None:
    err = TranslationError("bad thing", provider="anthropic", where="event #3")
    assert isinstance(err, ValueError)
    assert str(err) == "anthropic: bad thing (at event #3)" and err.reason == "bad thing"


def test_stream_equals_encoded_translate() -> None:
    events = text_stream("Hello", " world")
    expected = b"".join(encode_json(c) for c in translate("anthropic", events, created=CREATED)) + b"data: [DONE]\n\n"
    assert b"".join(stream("anthropic", [wire(events)], created=CREATED)) == expected


def test_stream_output_for_each_read_comes_before_the_next_read() -> None:
    events = text_stream("a", "b", "c")
    pieces = [wire([e]) for e in events]
    pulled = 0

    def body() -> Iterator[bytes]:
        nonlocal pulled
        for piece in pieces:
            pulled += 1
            yield piece

    outputs = []
    for out in stream("anthropic", body(), created=CREATED):
        outputs.append((pulled, out))
    # role at read 1, nothing for the block start, one per delta, finish at message_delta, usage+DONE at stop
    assert [n for n, _ in outputs] == [1, 3, 4, 5, 7, 8]


def test_a_read_larger_than_a_batch_gives_the_output_of_small_reads() -> None:
    from translators._core import _BATCH

    events = text_stream(*[f"piece {n} " * 20 for n in range(800)])
    body = wire(events)
    assert len(body) > 3 * _BATCH
    small = b"".join(stream("anthropic", [body[i : i + 1000] for i in range(0, len(body), 1000)], created=CREATED))
    assert b"".join(stream("anthropic", [body], created=CREATED)) == small
    # an error inside a large read: the chunks before it, the error, nothing after it
    broken = body[: 2 * _BATCH] + b"data: {not json\n\n" + body[2 * _BATCH :]
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [broken], created=CREATED)))
    assert not done and "not JSON" in payloads[-1]["error"]["message"]
    check_contract(payloads, done=done)
    # the terminal event inside a large read ends the output there
    tail = body + wire(text_stream("after"))
    assert b"".join(stream("anthropic", [tail], created=CREATED)) == small


def test_stream_turns_violations_into_an_error_event_without_done() -> None:
    events = [start(), delta(5, type="text_delta", text="x")]
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [wire(events)], created=CREATED)))
    assert not done and payloads[-1]["error"]["type"] == "translation_error"
    assert "index 5 was never started" in payloads[-1]["error"]["message"]
    check_contract(payloads, done=done)


def test_stream_keeps_chunks_made_before_an_error_in_the_same_read() -> None:
    body = wire(text_stream("a")[:3]) + b"data: {not json\n\n"
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [body], created=CREATED)))
    assert payloads[1]["choices"][0]["delta"] == {"content": "a"}
    assert "not JSON" in payloads[-1]["error"]["message"] and not done


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"data: [1, 2]\n\n", "not an object"),
        (b"data: \xff\xfe\n\n", "not JSON"),
        (b"\x00\x01garbage", "ended before message_stop"),
        (b"", "ended before message_stop"),
    ],
)
def test_stream_never_raises_on_bad_bytes(body: bytes, message: str) -> None:
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [body], created=CREATED)))
    assert not done and message in payloads[-1]["error"]["message"]


def test_stream_enforces_max_event_size() -> None:
    body = wire([start()]) + b"data: " + b"x" * 5000
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [body], created=CREATED, max_event_size=1024)))
    assert "max_event_size" in payloads[-1]["error"]["message"] and not done


def test_stream_closes_the_body_when_done_and_when_the_client_goes_away() -> None:
    closed = []

    def body(events: list[dict[str, Any]]) -> Iterator[bytes]:
        try:
            for e in events:
                yield wire([e])
            yield b"trailing bytes that must not be read"
        finally:
            closed.append(True)

    assert b"".join(stream("anthropic", body(text_stream("a")), created=CREATED)).endswith(b"data: [DONE]\n\n")
    assert closed == [True]
    out = stream("anthropic", body(text_stream("a", "b")), created=CREATED)
    next(out)
    out.close()  # type: ignore[attr-defined]
    assert closed == [True, True]


def test_async_twins_equal_the_sync_functions() -> None:
    events = text_stream("x", "y")
    body = wire(events)
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    assert asyncio.run(acollect(atranslate("anthropic", aiter_of(events), created=CREATED))) == list(
        translate("anthropic", events, created=CREATED)
    )
    assert b"".join(asyncio.run(acollect(astream("anthropic", aiter_of(pieces), created=CREATED)))) == b"".join(
        stream("anthropic", pieces, created=CREATED)
    )


def test_astream_closes_the_body_and_reports_errors_as_events() -> None:
    closed = []

    async def body() -> AsyncIterator[bytes]:
        try:
            yield wire([start()])
            yield b"data: {oops\n\n"
            yield b"never read"
        finally:
            closed.append(True)

    payloads, done = parse_sse_output(b"".join(asyncio.run(acollect(astream("anthropic", body(), created=CREATED)))))
    assert not done and payloads[-1]["error"]["type"] == "translation_error" and closed == [True]


def test_atranslate_raises_on_violations_and_reports_truncation() -> None:
    with pytest.raises(TranslationError):
        asyncio.run(acollect(atranslate("anthropic", aiter_of([delta(0, type="text_delta", text="x")]))))
    chunks = asyncio.run(acollect(atranslate("anthropic", aiter_of(text_stream("a")[:3]), created=CREATED)))
    assert chunks[-1]["error"]["type"] == "upstream_truncated"


def test_created_is_read_once_per_stream_when_not_given() -> None:
    before = int(time.time())
    chunks = list(translate("anthropic", text_stream("a", "b")))
    assert len({c["created"] for c in chunks}) == 1 and before <= chunks[0]["created"] <= int(time.time())


def test_sdk_event_objects_translate_like_dicts() -> None:
    from anthropic.types import RawMessageStreamEvent
    from pydantic import TypeAdapter

    events = [
        start({"input_tokens": 3, "output_tokens": 1, "cache_read_input_tokens": 2}),
        block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, type="thinking_delta", thinking="t"),
        delta(0, type="signature_delta", signature="s"),
        stop(0),
        block(1, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}),
        delta(1, type="input_json_delta", partial_json='{"a": 1}'),
        stop(1),
        *end("tool_use", usage={"output_tokens": 9}),
    ]
    adapter: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)
    models = [adapter.validate_python(e) for e in events]
    assert not isinstance(models[0], dict)
    assert list(translate("anthropic", models, created=CREATED)) == list(
        translate("anthropic", events, created=CREATED)
    )


def test_messagestream_helper_events_are_ignored() -> None:
    events = text_stream("a")
    events.insert(3, {"type": "text", "text": "a", "snapshot": "a"})
    assert list(translate("anthropic", events, created=CREATED)) == list(
        translate("anthropic", text_stream("a"), created=CREATED)
    )


def test_tool_stream_end_to_end_through_bytes() -> None:
    events = [
        start(),
        block(0, {"type": "tool_use", "id": "toolu_9", "name": "calc", "input": {}}),
        delta(0, type="input_json_delta", partial_json='{"x": '),
        delta(0, type="input_json_delta", partial_json="2}"),
        stop(0),
        *end("tool_use"),
    ]
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [wire(events)], created=CREATED)))
    check_contract(payloads, done=done, usage=True)
    assert payloads[-2]["choices"][0]["finish_reason"] == "tool_calls"


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_import_loads_no_provider_sdk_and_no_provider_module() -> None:
    code = (
        "import sys, translators; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'anthropic', 'openai', 'google', 'pydantic', 'asyncio'} or m.startswith('translators.providers.')))"
    )
    assert run_python(code) == "[]"


def test_stdlib_json_fallback_gives_the_same_bytes() -> None:
    body = wire(text_stream("héllo", ' 👋 "quoted"'))
    code = (
        "import sys; sys.modules['orjson'] = None; import translators; "
        f"sys.stdout.write(b''.join(translators.stream('anthropic', [{body!r}], created=1)).decode())"
    )
    assert run_python(code) == b"".join(stream("anthropic", [body], created=1)).decode().strip()


def test_version_is_exposed() -> None:
    assert translators.__version__


def test_nesting_deeper_than_orjson_encodes_still_streams() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = [deep]
    events = [start(), block(0, {"type": "web_search_tool_result", "tool_use_id": "s", "content": deep}), stop(0)]
    payloads, done = parse_sse_output(b"".join(stream("anthropic", [wire([*events, *end()])], created=CREATED)))
    check_contract(payloads, done=done)
    assert done and payloads[1]["choices"][0]["delta"]["server_blocks"][0]["content"] == deep


def test_closing_before_the_first_item_still_closes_the_body() -> None:
    class Body:
        closed = False

        def __iter__(self) -> Iterator[bytes]:
            yield wire(text_stream("a"))

        def close(self) -> None:
            self.closed = True

    body = Body()
    stream("anthropic", body, created=CREATED).close()
    assert body.closed
    body = Body()
    with stream("anthropic", body, created=CREATED) as out:
        assert next(out).startswith(b"data: ")
    assert body.closed


def test_aclose_before_the_first_item_still_closes_the_body() -> None:
    class Body:
        closed = False

        def __aiter__(self) -> AsyncIterator[bytes]:
            return aiter_of([wire(text_stream("a"))])

        async def aclose(self) -> None:
            self.closed = True

    async def scenario() -> tuple[bool, bool]:
        first = Body()
        await astream("anthropic", first, created=CREATED).aclose()
        second = Body()
        async with astream("anthropic", second, created=CREATED) as out:
            await out.__anext__()
        return first.closed, second.closed

    assert asyncio.run(scenario()) == (True, True)


def test_a_failing_body_is_closed_and_its_error_propagates() -> None:
    closed = []

    def body() -> Iterator[bytes]:
        try:
            yield wire([start()])
            raise ConnectionError("upstream reset")
        finally:
            closed.append(True)

    out = stream("anthropic", body(), created=CREATED)
    assert next(out)
    with pytest.raises(ConnectionError):
        next(out)
    assert closed == [True]


def test_options_read_the_clock_once_when_created_is_not_given() -> None:
    from translators._core import Options

    before = int(time.time())
    assert before <= (Options().created or 0) <= int(time.time())
    assert Options(created=5).created == 5
