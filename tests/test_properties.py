"""Property tests of the Anthropic translator over generated streams (see tests/strategies.py).

1. contract: `check_contract` over translate() and stream() output, for streams that end cleanly, with an
   error event, or cut off; options (model, id, reasoning_field, include_usage) honoured.
2. split invariance: stream() output does not depend on how the body is cut (1-byte pieces, empty reads,
   cuts inside UTF-8 sequences and between CR and LF), and equals the encoding of translate().
3. fold equivalence: the openai SDK's fold of our output agrees with the anthropic SDK's fold of the input
   (text, tool calls, finish reason, usage).
4. nothing lost: signatures, redacted data, citations, server blocks and reasoning text all come out.
5. no lookahead: each chunk is out before the next event (or byte piece) is pulled; nothing after the
   terminal event is read.
6. robustness: bad bytes and damaged streams end in [DONE] or an error event (stream), bad events in
   TranslationError (translate), never another exception or a hang; long lines are refused with bounded
   memory, however the reads cut them; values the JSON encoder dislikes (deep, huge) are handled.
7. SDK event objects (MessageStream's, derived events included) fold like dicts; stream()/astream()
   close their body.
8. async: atranslate/astream equal translate/stream.

``PROPERTIES_SCALE=N`` multiplies every test's example count (for a longer bug hunt).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from anthropic._models import construct_type
from anthropic.lib.streaming._messages import accumulate_event, build_events
from anthropic.types import RawMessageStreamEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine as _hypothesis_engine

from tests.contract import (
    ANTHROPIC_FINISH,
    acollect,
    aiter_of,
    check_async_equals_sync,
    check_contract,
    fold,
    parse_sse_output,
)
from tests.strategies import (
    anthropic_streams,
    anthropic_wire,
    junk_events,
    mutated,
    splits,
    texts,
    tricky_strings,
)
from translators import TranslationError, astream, stream, translate
from translators._core import Options
from translators.providers.anthropic import FINISH_REASONS, AnthropicTranslator
from translators.sse import DONE, encode_json

PROVIDER = "anthropic"
CREATED = 1_700_000_000
TIME_LIMIT = 20  # seconds per example: a hang fails instead of stalling the suite


OWN_KINDS = ("text", "thinking", "redacted_thinking", "tool_use")

# Shrinking a failure of these (costly) examples could take Hypothesis's default 300 s per test; 10 s still
# gives a small example, and keeps a red run about as short as a green one. (An internal knob: if a future
# Hypothesis drops it, this assignment is inert.)
_hypothesis_engine.MAX_SHRINKING_SECONDS = 10

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""
fast = settings(max_examples=int(60 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
thorough = settings(max_examples=int(120 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- helpers ------------------------------------------------------------------------------------------


class TimeLimit(Exception):
    pass


@contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise TimeLimit(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_translate(events: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
    return list(translate(PROVIDER, iter(events), created=CREATED, **options))


def run_stream(pieces: Iterable[bytes], **options: Any) -> bytes:
    return b"".join(stream(PROVIDER, iter(pieces), created=CREATED, **options))


def encode_chunks(chunks: list[dict[str, Any]]) -> bytes:
    done = not chunks or "error" not in chunks[-1]
    return b"".join(encode_json(c) for c in chunks) + (DONE if done else b"")


def check_stream_output(out: bytes, **kwargs: Any) -> tuple[list[dict[str, Any]], bool]:
    """A complete output: parses, keeps the contract, ends in [DONE] or an error event."""
    payloads, done = parse_sse_output(out)
    check_contract(payloads, done=done, **kwargs)
    assert done or (payloads and "error" in payloads[-1]), "output must end in [DONE] or an error event"
    return payloads, done


def without_error_messages(out: bytes) -> list[Any]:
    """Parsed output with the error event's message (which names a byte offset) removed."""
    payloads, done = parse_sse_output(out)
    for p in payloads:
        if "error" in p:
            p["error"] = {k: v for k, v in p["error"].items() if k != "message"}
    return [payloads, done]


def ending_of(events: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """How a generated stream ends: ("complete" | "error" | "truncated", the error event)."""
    for e in events:
        if e["type"] == "message_stop":
            return "complete", None
        if e["type"] == "error":
            return "error", e
    return "truncated", None


@dataclass
class Block:
    index: int
    kind: str
    start: dict[str, Any]
    deltas: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


def blocks_of(events: list[dict[str, Any]]) -> list[Block]:
    """The content blocks of a valid stream, in start order (events after message_stop ignored)."""
    blocks: dict[int, Block] = {}
    for e in events:
        if e["type"] == "content_block_start":
            blocks[e["index"]] = Block(e["index"], e["content_block"]["type"], e["content_block"])
        elif e["type"] == "content_block_delta":
            blocks[e["index"]].deltas.append(e["delta"])
        elif e["type"] == "content_block_stop":
            blocks[e["index"]].closed = True
        elif e["type"] == "message_stop":
            break
    return list(blocks.values())


def anthropic_fold(events: list[dict[str, Any]]) -> Any:
    """The anthropic SDK's own accumulation of the events (pings dropped, as its MessageStream ignores them)."""
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic serializer warnings on block types the SDK types loosely
        for e in events:
            if e["type"] == "ping":
                continue
            snapshot = accumulate_event(event=copy.deepcopy(e), current_snapshot=snapshot, json_bufs=json_bufs)
            if e["type"] == "message_stop":
                break
    return snapshot


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def entries(chunks: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for d in deltas(chunks) for entry in d.get(name, [])]


def by_index(items: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(item["index"], []).append(item)
    return grouped


class Pulls:
    """An iterable that counts how many items its consumer pulled."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.pulled = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.pulled += 1
            yield item


# -- 1. the output contract ---------------------------------------------------------------------------


options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text"]),
    },
)


@thorough
@given(anthropic_wire(ended=True), options)
def test_contract(wire: tuple[list[dict[str, Any]], list[bytes]], opts: dict[str, Any]) -> None:
    events, pieces = wire
    with time_limit():
        chunks = run_translate(events, **opts)
        out = run_stream(pieces, **opts)
    ending, error = ending_of(events)
    check_contract(chunks, usage=opts["include_usage"] if ending == "complete" else None)
    if ending == "complete":
        assert "error" not in chunks[-1]
    elif ending == "error":
        assert error is not None
        kind, message = error["error"]["type"], error["error"]["message"]
        native = error["error"]
        assert chunks[-1] == {
            "error": {"message": message, "type": kind, "code": kind, "param": None, "native_error": native}
        }
    else:
        assert chunks[-1]["error"]["type"] == "upstream_truncated"

    starts = [e for e in events if e["type"] == "message_start"]
    for chunk in chunks:
        if "error" in chunk:
            continue
        message = starts[0]["message"]
        assert chunk["id"] == opts.get("id", "chatcmpl-" + message["id"])
        assert chunk["model"] == opts.get("model", message["model"])
        assert chunk["created"] == CREATED
    field = opts.get("reasoning_field", "reasoning_content")
    other = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    assert not any(other & set(d) for d in deltas(chunks))

    payloads, done = check_stream_output(out, usage=opts["include_usage"] if ending == "complete" else None)
    assert done == (ending == "complete")
    assert payloads == chunks


# -- 2. split invariance -----------------------------------------------------------------------------


@thorough
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    events, pieces = data.draw(anthropic_wire(ended=True), label="wire")
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        assert whole == encode_chunks(run_translate(events))


# -- 3. fold equivalence -----------------------------------------------------------------------------


@thorough
@given(anthropic_streams())
def test_fold_equivalence(events: list[dict[str, Any]]) -> None:
    assert dict(FINISH_REASONS) == ANTHROPIC_FINISH
    with time_limit():
        chunks = run_translate(events)
    ours = fold(chunks)
    theirs = anthropic_fold(events)
    choice = ours.choices[0]
    message = choice.message

    text = "".join(b.text for b in theirs.content if b.type == "text")
    assert (message.content or "") == text

    sdk_tools = [b for b in theirs.content if b.type == "tool_use"]
    ref_tools = [b for b in blocks_of(events) if b.kind == "tool_use"]
    calls = message.tool_calls or []
    assert len(calls) == len(sdk_tools) == len(ref_tools)
    for call, sdk, ref in zip(calls, sdk_tools, ref_tools, strict=True):
        assert call.id == sdk.id == ref.start["id"]
        assert call.function.name == sdk.name == ref.start["name"]
        fragments = "".join(d["partial_json"] for d in ref.deltas)
        if fragments:
            assert call.function.arguments == fragments  # verbatim
        if ref.closed:
            assert json.loads(call.function.arguments) == sdk.input
            if not fragments and not ref.start["input"]:
                assert call.function.arguments == "{}"
        else:  # a max_tokens cut: what came, unparsed
            assert call.function.arguments == fragments

    assert choice.finish_reason == ANTHROPIC_FINISH.get(theirs.stop_reason, "stop")
    finish = next(c for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"])
    assert finish["choices"][0]["native_finish_reason"] == theirs.stop_reason

    u = theirs.usage
    cache_read = u.cache_read_input_tokens or 0
    cache_write = u.cache_creation_input_tokens or 0
    assert ours.usage.prompt_tokens == u.input_tokens + cache_read + cache_write
    assert ours.usage.completion_tokens == u.output_tokens
    assert ours.usage.total_tokens == ours.usage.prompt_tokens + ours.usage.completion_tokens
    assert ours.usage.prompt_tokens_details.cached_tokens == cache_read
    details = u.output_tokens_details
    if details is not None:
        thinking = details["thinking_tokens"] if isinstance(details, dict) else details.thinking_tokens
        assert ours.usage.completion_tokens_details.reasoning_tokens == thinking


# -- 4. nothing lost ---------------------------------------------------------------------------------


@thorough
@given(anthropic_streams())
def test_nothing_lost(events: list[dict[str, Any]]) -> None:
    with time_limit():
        chunks = run_translate(events)
    blocks = blocks_of(events)
    content = "".join(d.get("content") or "" for d in deltas(chunks))

    # reasoning: one reasoning_details entry index per thinking / redacted_thinking block, in order
    reasoning_blocks = [b for b in blocks if b.kind in ("thinking", "redacted_thinking")]
    thinking = "".join(d["thinking"] for b in reasoning_blocks for d in b.deltas if d["type"] == "thinking_delta")
    assert "".join(d.get("reasoning_content") or "" for d in deltas(chunks)) == thinking
    details = by_index(entries(chunks, "reasoning_details"))
    assert set(details) <= set(range(len(reasoning_blocks)))
    folded_details = (fold(chunks).choices[0].message.model_extra or {}).get("reasoning_details", [])
    for n, block in enumerate(reasoning_blocks):
        parts = details.get(n, [])
        if block.kind == "thinking" and not any(d.get("thinking") or d.get("signature") for d in block.deltas):
            assert parts == [] and not block.closed  # only a max_tokens cut leaves a thinking block empty
            continue
        assert sum("format" in p for p in parts) == 1, "fixed fields go once per entry"
        folded = folded_details[n]
        if block.kind == "redacted_thinking":
            assert parts == [
                {"index": n, "type": "reasoning.encrypted", "data": block.start["data"], "format": parts[0]["format"]}
            ]
            assert folded["data"] == block.start["data"]
            continue
        assert {p["type"] for p in parts} == {"reasoning.text"}
        text = "".join(d["thinking"] for d in block.deltas if d["type"] == "thinking_delta")
        signatures = [d["signature"] for d in block.deltas if d["type"] == "signature_delta"]
        assert "".join(p.get("text", "") for p in parts) == text
        assert [p["signature"] for p in parts if "signature" in p] == signatures
        assert folded.get("text", "") == text
        assert folded.get("signature", "") == "".join(signatures)

    # citations: one annotation each, in order, spanning its text block in the content
    annotations = entries(chunks, "annotations")
    assert [a["index"] for a in annotations] == list(range(len(annotations)))
    expected = [
        (b, d["citation"]) for b in blocks if b.kind == "text" for d in b.deltas if d["type"] == "citations_delta"
    ]
    assert len(annotations) == len(expected)
    for annotation, (block, citation) in zip(annotations, expected, strict=True):
        assert annotation["citation"] == citation
        block_text = "".join(d["text"] for d in block.deltas if d["type"] == "text_delta")
        if "url" in citation:
            assert annotation["type"] == "url_citation"
            url_citation = annotation["url_citation"]
            assert url_citation["url"] == citation["url"]
            assert url_citation["title"] == (citation["title"] or "")
            assert content[url_citation["start_index"] : url_citation["end_index"]] == block_text
        else:
            assert annotation["type"] == citation["type"]
            assert annotation["citation"]["cited_text"] == citation["cited_text"]

    # server blocks: the start whole, then every non-empty delta, under one entry index per block
    server = [b for b in blocks if b.kind not in OWN_KINDS]
    parts_by_block = by_index(entries(chunks, "server_blocks"))
    assert sorted(parts_by_block) == list(range(len(server)))
    for n, block in enumerate(server):
        parts = parts_by_block[n]
        assert parts[0] == {**block.start, "index": n}, "the entry's index is the per-field counter"
        assert parts[0]["type"] == block.kind
        sent = [{k: v for k, v in d.items() if k != "type"} for d in block.deltas]
        sent = [{**d, "index": n} for d in sent if any(v != "" for v in d.values())]
        assert parts[1:] == sent


# -- 5. no lookahead ---------------------------------------------------------------------------------


def reference_feed(events: list[dict[str, Any]]) -> list[tuple[int, list[dict[str, Any]], bool]]:
    """(events pulled so far, the chunks that step returned, [DONE] follows) for a bare translator."""
    translator = AnthropicTranslator(Options.from_kwargs({"created": CREATED}))
    steps = []
    for i, event in enumerate(events, 1):
        chunks = translator.feed(event)
        steps.append((i, chunks, translator.done and not translator.failed))
        if translator.done:
            return steps
    steps.append((len(events), translator.finish(), False))
    return steps


def grouped(pairs: Iterable[tuple[int, bytes]]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for i, piece in pairs:
        out[i] = out.get(i, b"") + piece
    return {i: piece for i, piece in out.items() if piece}


@thorough
@given(anthropic_wire(ended=True))
def test_no_lookahead(wire: tuple[list[dict[str, Any]], list[bytes]]) -> None:
    events, pieces = wire
    steps = reference_feed(events)
    last = steps[-1][0]  # the terminal event: nothing after it is read

    source = Pulls(events)
    with time_limit():
        got = [(source.pulled, chunk) for chunk in translate(PROVIDER, source, created=CREATED)]
    assert got == [(i, chunk) for i, chunks, _ in steps for chunk in chunks]
    assert source.pulled == last

    body = Pulls(pieces)
    with time_limit():
        out = [(body.pulled, piece) for piece in stream(PROVIDER, body, created=CREATED)]
    expected = [(i, b"".join(encode_json(c) for c in chunks) + (DONE if done else b"")) for i, chunks, done in steps]
    assert grouped(out) == grouped(expected)
    assert body.pulled == last


@fast
@given(
    model=st.one_of(tricky_strings, texts),
    msg_id=st.one_of(tricky_strings, texts),
    fragments=st.lists(st.one_of(tricky_strings, texts), min_size=1, max_size=4),
    via_option=st.booleans(),
)
def test_head_is_the_same_in_every_chunk(model: str, msg_id: str, fragments: list[str], via_option: bool) -> None:
    """Whatever the model and id hold (from the wire or the options), every chunk carries them unchanged,
    the frequent delta chunks (text, thinking, tool arguments) included, in stream() as in translate()."""
    start = {"type": "message_start", "message": {"id": msg_id, "model": model, "usage": {"input_tokens": 1}}}
    options: dict[str, Any] = {"model": model, "id": msg_id or "x"} if via_option else {}
    if via_option:
        start["message"] = {"id": "msg_1", "model": "m"}
    events: list[dict[str, Any]] = [start]
    blocks = [
        ({"type": "text", "text": ""}, [{"type": "text_delta", "text": f} for f in fragments]),
        (
            {"type": "thinking", "thinking": "", "signature": ""},
            [{"type": "thinking_delta", "thinking": f} for f in fragments],
        ),
        (
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
            [{"type": "input_json_delta", "partial_json": f} for f in fragments],
        ),
    ]
    for n, (block, block_deltas) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": n, "content_block": block})
        events += [{"type": "content_block_delta", "index": n, "delta": d} for d in block_deltas]
        events.append({"type": "content_block_stop", "index": n})
    events += [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]
    body = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    with time_limit():
        chunks = run_translate(events, **options)
        out = run_stream(body, **options)
    heads = {(c["id"], c["model"]) for c in chunks}
    derived = "chatcmpl-" + msg_id if msg_id else f"chatcmpl-anthropic-{CREATED}"  # an empty id is never the id
    assert heads == {(options.get("id", derived), options.get("model", model))}
    payloads, _ = check_stream_output(out, usage=True)
    assert {(c["id"], c["model"]) for c in payloads} == heads
    assert payloads == chunks


# -- 6. robustness -----------------------------------------------------------------------------------


@thorough
@given(st.data())
def test_random_bytes(data: st.DataObject) -> None:
    body = data.draw(
        st.one_of(
            st.binary(max_size=400),
            st.lists(
                st.sampled_from(
                    [
                        b"event: ",
                        b"data: ",
                        b"data:{",
                        b"}",
                        b"\n",
                        b"\r",
                        b"\r\n",
                        b":",
                        b"\xff",
                        b'{"type":"message_start","message":{"id":"m"}}',
                        b"\xef\xbb\xbf",
                        b"x",
                        b"y" * 40,
                        b":" + b"c" * 40,
                    ]
                ),
                max_size=40,
            ).map(b"".join),
        ),
        label="body",
    )
    cut = data.draw(splits(body), label="pieces")
    max_event_size = data.draw(st.sampled_from([16, 1024, 16 * 1024 * 1024]), label="max_event_size")
    with time_limit():
        out = run_stream(cut, max_event_size=max_event_size)
        whole = run_stream([body], max_event_size=max_event_size)
    check_stream_output(out)
    assert without_error_messages(out) == without_error_messages(whole)


@thorough
@given(st.data())
def test_damaged_streams(data: st.DataObject) -> None:
    _, pieces = data.draw(anthropic_wire(max_blocks=3), label="wire")
    body = data.draw(mutated(b"".join(pieces)), label="body")
    cut = data.draw(splits(body), label="pieces")
    max_event_size = data.draw(st.sampled_from([16 * 1024 * 1024, 1024, 200]), label="max_event_size")
    with time_limit():
        out = run_stream(cut, max_event_size=max_event_size)
        whole = run_stream([body], max_event_size=max_event_size)
        aout = b"".join(
            asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED, max_event_size=max_event_size)))
        )
    check_stream_output(out)
    assert aout == out
    # the same bytes cut differently give the same output (only the error's byte offset may differ)
    assert without_error_messages(out) == without_error_messages(whole)


@thorough
@given(st.data())
def test_junk_events(data: st.DataObject) -> None:
    valid = data.draw(anthropic_streams(max_blocks=3, pings=False), label="valid")
    junk = data.draw(st.lists(junk_events(), min_size=1, max_size=6), label="junk")
    at = data.draw(st.integers(0, len(valid)), label="at")
    events = valid[:at] + junk + valid[at:]
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        chunks: list[dict[str, Any]] = []
        try:
            for chunk in translate(PROVIDER, iter(events), created=CREATED, strict=strict):
                chunks.append(chunk)
        except TranslationError:
            pass
        # the same events over the wire (when they are JSON): a complete output, never an exception
        try:
            wire = [b"data: " + json.dumps(e, allow_nan=False).encode() + b"\n\n" for e in events]
        except (TypeError, ValueError):
            return
        check_stream_output(run_stream(wire, strict=strict))


@fast
@given(
    prefix=anthropic_streams(max_blocks=2).map(lambda evs: evs[:2]),
    size=st.integers(1, 3000),
    kind=st.sampled_from(["line", "comment", "data-lines"]),
)
def test_long_line_is_refused_with_bounded_memory(prefix: list[dict[str, Any]], size: int, kind: str) -> None:
    limit = 1024
    head = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in prefix)
    if kind == "line":  # one data line that never ends
        opener, piece, counted = b"data: ", b"y" * size, size
    elif kind == "comment":  # one comment line that never ends, in multi-byte characters
        opener, piece = b":", "日".encode() * (size // 3 + 1)
        counted = len(piece)
    else:  # short data lines that never end their event
        opener, piece = b"", b"data: " + b"z" * (size % 100) + b"\n"
        counted = size % 100 + 1  # what each line adds to the event's data
    pulled = 0

    def body() -> Iterator[bytes]:
        nonlocal pulled
        yield head + opener
        while True:  # endless: only the limit stops it
            pulled += 1
            yield piece

    with time_limit():
        out = run_stream(body(), max_event_size=limit)
    payloads, done = check_stream_output(out)
    assert not done and payloads[-1]["error"]["type"] == "translation_error"
    assert "max_event_size" in payloads[-1]["error"]["message"]
    # it stopped reading once the limit was passed: nothing grew without bound
    assert (pulled - 1) * counted <= limit


def minimal_stream(block: dict[str, Any] | None = None, **message_delta: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": {"input_tokens": 1}}}
    ]
    if block is not None:
        events += [
            {"type": "content_block_start", "index": 0, "content_block": block},
            {"type": "content_block_stop", "index": 0},
        ]
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}
    return [*events, {**delta, **message_delta}, {"type": "message_stop"}]


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@fast
@given(
    depth=st.integers(1, 1000),
    where=st.sampled_from(["server block", "citation", "usage", "container", "stop_details"]),
)
def test_deep_json_from_the_wire(depth: int, where: str) -> None:
    """Any JSON the wire decoder accepts (orjson: depth <= 1024) gives a complete output, never an exception."""
    value = nested(depth)
    if where == "server block":
        events = minimal_stream({"type": "web_search_tool_result", "tool_use_id": "s", "content": value})
    elif where == "citation":
        events = minimal_stream({"type": "text", "text": ""})
        citation = {"type": "char_location", "cited_text": "x", "extra": value}
        events.insert(
            2, {"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": citation}}
        )
    elif where == "usage":
        events = minimal_stream(usage={"output_tokens": 1, "iterations": value})
    else:
        events = minimal_stream()
        events[1]["delta"][where] = value
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    with time_limit():
        out = run_stream([body])
    payloads, done = check_stream_output(out)
    if done:  # no error: the value went through whole
        assert str(depth) and json.dumps(payloads).count("leaf") == 1


@fast
@given(number=st.one_of(st.integers(), st.integers(min_value=2**63)))
def test_wire_numbers_pass_through(number: int) -> None:
    """A number in a passed-through field (here a server block's) comes out of stream() as it came in,
    exactly within 64 bits; beyond, as orjson reads it: the nearest float (a documented limit).

    (Read back with the stdlib ``json``: orjson, as in `parse_sse_output`, reads integers past 64 bits as floats.)
    """
    block = {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "content": [], "count": number}
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in minimal_stream(block))
    with time_limit():
        out = run_stream([body])
    check_stream_output(out)
    lines = [line for line in out.split(b"\n\n") if b"server_blocks" in line]
    assert len(lines) == 1
    entry = json.loads(lines[0][len(b"data: ") :])["choices"][0]["delta"]["server_blocks"][0]
    if -(2**63) <= number < 2**64:
        assert entry["count"] == number and type(entry["count"]) is int
    else:
        assert entry["count"] == float(number)


@fast
@given(value=st.recursive(st.integers() | st.integers(min_value=2**62) | texts, st.lists, max_leaves=4))
def test_tool_input_sent_whole(value: Any) -> None:
    """A tool_use whose input comes whole in its start: the arguments are that input, or TranslationError."""
    block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"v": value}}
    with time_limit():
        try:
            chunks = run_translate(minimal_stream(block))
        except TranslationError:
            return
    arguments = "".join(call["function"]["arguments"] for d in deltas(chunks) for call in d.get("tool_calls", []))
    assert json.loads(arguments) == {"v": value}


@fast
@given(
    index=st.one_of(st.none(), st.integers(), texts),
    before=st.integers(0, 2),
)
def test_server_block_with_an_index_field(index: Any, before: int) -> None:
    """A server block (or a future block type) with its own ``index`` field keeps the entry counter as the
    ``index`` of its server_blocks entry: the openai fold merges entries by it."""
    blocks = [{"type": "container_upload", "file_id": f"file_{n}"} for n in range(before)]
    blocks.append({"type": "future_block", "index": index, "payload": "p"})
    head, *tail = minimal_stream()
    events = [head]
    for n, block in enumerate(blocks):
        events.append({"type": "content_block_start", "index": n, "content_block": block})
        events.append({"type": "content_block_stop", "index": n})
    events += tail
    with time_limit():
        chunks = run_translate(events)
    assert [e["index"] for e in entries(chunks, "server_blocks")] == list(range(len(blocks)))
    assert fold(chunks) is not None


# -- 7. SDK event objects, and closing the body --------------------------------------------------------


def sdk_stream_events(events: list[dict[str, Any]]) -> list[Any]:
    """What the anthropic SDK's MessageStream yields for these events: each raw event as an SDK model,
    with the derived ``text``/``thinking``/``input_json``/``citation``/``signature`` events beside it."""
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    out: list[Any] = []
    for e in events:
        if e["type"] == "ping":
            continue
        model = construct_type(type_=RawMessageStreamEvent, value=copy.deepcopy(e))
        snapshot = accumulate_event(event=model, current_snapshot=snapshot, json_bufs=json_bufs)
        out += build_events(event=model, message_snapshot=snapshot)
        if e["type"] == "message_stop":
            break
    return out


@fast
@given(anthropic_streams())
def test_sdk_event_objects(events: list[dict[str, Any]]) -> None:
    """translate() over the SDK's MessageStream events (models, derived events included) folds like over dicts.

    (Not chunk-for-chunk: ``model_dump(exclude_none=True)`` drops null fields, e.g. a citation's null title.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic serializer warnings on block types the SDK types loosely
        objects = sdk_stream_events(events)
        with time_limit():
            from_objects = run_translate(objects)
    with time_limit():
        from_dicts = run_translate(events)
    check_contract(from_objects, usage=True)
    a, b = fold(from_objects), fold(from_dicts)
    ma, mb = a.choices[0].message, b.choices[0].message
    assert ma.content == mb.content
    calls = [[(c.id, c.function.name, c.function.arguments) for c in m.tool_calls or []] for m in (ma, mb)]
    assert calls[0] == calls[1]
    assert a.choices[0].finish_reason == b.choices[0].finish_reason
    assert a.usage.prompt_tokens == b.usage.prompt_tokens and a.usage.completion_tokens == b.usage.completion_tokens
    ea, eb = ma.model_extra or {}, mb.model_extra or {}
    assert ea.get("reasoning_details") == eb.get("reasoning_details")
    assert [x["type"] for x in ea.get("server_blocks") or []] == [x["type"] for x in eb.get("server_blocks") or []]
    assert [x["citation"].get("cited_text") for x in ea.get("annotations") or []] == [
        x["citation"].get("cited_text") for x in eb.get("annotations") or []
    ]


class ClosableBody:
    """A response body: iterable once, with ``close`` (sync) and ``aclose`` (async)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    def close(self) -> None:
        self.closed = True

    def __aiter__(self) -> AsyncIterator[bytes]:
        return aiter_of(self.pieces)

    async def aclose(self) -> None:
        self.closed = True


@fast
@given(anthropic_wire(ended=True), st.integers(0, 4))
def test_stream_closes_its_body(wire: tuple[list[dict[str, Any]], list[bytes]], taken: int) -> None:
    """stream()/astream() close the body once the output is complete, or when the caller closes them
    after reading any number of outputs (none included)."""
    _, pieces = wire
    body = ClosableBody(pieces)
    with time_limit():
        b"".join(stream(PROVIDER, body, created=CREATED))
    assert body.closed, "body left open after a complete output"

    body = ClosableBody(pieces)
    outputs = stream(PROVIDER, body, created=CREATED)
    for _ in zip(range(taken), outputs, strict=False):
        pass
    outputs.close()
    assert body.closed, f"body left open after the caller closed stream() having read {taken} outputs"

    async def take_then_close() -> bool:
        abody = ClosableBody(pieces)
        aoutputs = astream(PROVIDER, abody, created=CREATED)
        for _ in range(taken):
            if await anext(aoutputs, None) is None:
                break
        await aoutputs.aclose()
        return abody.closed

    with time_limit():
        assert asyncio.run(take_then_close()), f"body left open after astream() was closed having read {taken}"


# -- 8. async twins ----------------------------------------------------------------------------------


@fast
@given(st.data())
def test_async_equals_sync(data: st.DataObject) -> None:
    events, pieces = data.draw(anthropic_wire(ended=True), label="wire")
    cut = data.draw(splits(b"".join(pieces)), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, events, cut, created=CREATED)
