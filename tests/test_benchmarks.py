"""The benchmark machinery works (``python -m benchmarks``): structure of its results, valid workloads.

Timings are never asserted here: they depend on the machine. Sizes are tiny so this stays fast.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import orjson
import pytest

import translators
from benchmarks import Config, NoWorkloadError, run
from benchmarks import __main__ as cli
from benchmarks.measure import decoder_name, floor, identity, streamer
from benchmarks.report import render
from benchmarks.workloads import (
    FRAMINGS,
    Workload,
    bedrock_reasoning_tool_events,
    bedrock_reasoning_tool_workload,
    bedrock_text_events,
    bedrock_text_workload,
    cohere_text_events,
    cohere_text_workload,
    cohere_tool_plan_calls_events,
    cohere_tool_plan_calls_workload,
    decode_events,
    event_reads,
    eventstream_frames,
    fixed_reads,
    frames,
    gemini_function_call_payloads,
    gemini_function_call_workload,
    gemini_text_payloads,
    gemini_text_workload,
    gemini_wire,
    ollama_text_events,
    ollama_text_workload,
    ollama_thinking_events,
    ollama_thinking_workload,
    openai_text_events,
    openai_text_workload,
    openai_tool_events,
    openai_tool_workload,
    responses_reasoning_call_events,
    responses_reasoning_call_workload,
    responses_text_events,
    responses_text_workload,
    text_events,
    text_workload,
    thinking_tool_events,
    thinking_tool_workload,
    with_decoder,
)
from tests.contract import check_contract, parse_sse_output
from translators.eventstream import EventStreamFrameDecoder, JSONFrameDecoder, json_frame_decoder


def tiny() -> Config:
    return Config(
        repeat=2,
        text_deltas=30,
        thinking_deltas=10,
        tool_text_deltas=5,
        json_deltas=12,
        gemini_text_chunks=12,
        gemini_thoughts=4,
        gemini_partial_args=9,
        openai_text_deltas=14,
        openai_tool_text_deltas=3,
        openai_tool_fragments=10,
        responses_text_deltas=16,
        responses_summary_deltas=8,
        responses_argument_deltas=11,
        bedrock_text_deltas=13,
        bedrock_reasoning_deltas=6,
        bedrock_tool_text_deltas=3,
        bedrock_input_deltas=9,
        cohere_text_deltas=15,
        cohere_plan_deltas=4,
        cohere_argument_deltas=10,
        ollama_text_deltas=17,
        ollama_thinking_deltas=7,
        ollama_thinking_text_deltas=5,
        memory_sizes=[20, 200],
        import_runs=1,
    )


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return run(tiny())


# -- workloads ------------------------------------------------------------------------------------------


WORKLOADS = [
    text_workload(40),
    thinking_tool_workload(15, 10, 25),
    gemini_text_workload(30),
    gemini_text_workload(30, "json-array"),
    gemini_function_call_workload(6, 20),
    openai_text_workload(40),
    openai_tool_workload(4, 30),
    responses_text_workload(40),
    responses_reasoning_call_workload(12, 30),
    bedrock_text_workload(40),
    bedrock_reasoning_tool_workload(12, 5, 25),
    with_decoder(bedrock_text_workload(40), JSONFrameDecoder, "pure"),
    with_decoder(bedrock_reasoning_tool_workload(12, 5, 25), JSONFrameDecoder, "pure"),
    cohere_text_workload(40),
    cohere_tool_plan_calls_workload(10, 30),
    ollama_text_workload(40),
    ollama_thinking_workload(20, 10),
]
WORKLOAD_IDS = [w.name for w in WORKLOADS]
SEPARATORS = {"sse": b"\n\n", "sse-crlf": b"\r\n\r\n", "json-array": b"\n,\r\n", "ndjson": b"\n"}


def translated(workload: Workload) -> list[dict[str, Any]]:
    """The chunks of ``stream()`` over the workload's own reads (with the workload's decoder), checked
    against the output contract."""
    out = b"".join(streamer(workload)(workload.pieces))
    payloads, done = parse_sse_output(out)
    assert done and not any("error" in p for p in payloads)
    check_contract(payloads, done=done, usage=True)
    return payloads


def content(chunks: list[dict[str, Any]], field: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(field) or "" for c in chunks if c["choices"])


def gemini_parts(workload: Workload) -> list[dict[str, Any]]:
    return [part for e in workload.events for c in e["candidates"] for part in c["content"]["parts"]]


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_workload_translates_cleanly(workload: Workload) -> None:
    assert b"".join(workload.pieces) == workload.body
    assert workload.framing in FRAMINGS
    payloads = translated(workload)
    for pieces in (list(fixed_reads([workload.body], 97)), [workload.body]):
        out = b"".join(streamer(workload)(pieces))
        assert parse_sse_output(out) == (payloads, True)  # however the body is cut
    if workload.decoder is not None:  # the same bytes as the provider's own decoder gives
        assert b"".join(streamer(workload)(workload.pieces)) == b"".join(
            translators.stream(workload.provider, workload.pieces, created=1)
        )
    chunks = list(translators.translate(workload.provider, workload.events, created=1))
    assert chunks == payloads  # the same translation either way
    assert (chunks[0]["id"], chunks[0]["model"]) == identity(workload)


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_reads_hold_one_to_four_whole_events(workload: Workload) -> None:
    if workload.framing == "eventstream":  # each read is 1-4 whole messages
        counts = [len(EventStreamFrameDecoder().decode(piece)) for piece in workload.pieces]
        assert all(1 <= n <= 4 for n in counts) and sum(counts) == len(workload.events)
        assert len(frames(workload.body, workload.framing)) == len(workload.events)
        return
    separator = SEPARATORS[workload.framing]
    counts = [piece.count(separator) for piece in workload.pieces]
    if workload.framing == "json-array":  # a separator before every element but the first
        assert workload.pieces[0].startswith(b"[{") and workload.pieces[-1].endswith(b"}\n]")
        assert sum(counts) == len(workload.events) - 1
        counts = [n + (p.startswith(b"[")) for n, p in zip(counts, workload.pieces, strict=True)]
        assert all(1 <= n <= 4 for n in counts[:-1]) and 0 <= counts[-1] <= 4  # "\n]" may come alone
    else:
        done = workload.body.endswith(b"\n\ndata: [DONE]\n\n")  # OpenAI chat's end marker: a block, no event
        assert done == (workload.provider == "openai")
        assert all(p.endswith(separator) for p in workload.pieces)
        assert all(1 <= n <= 4 for n in counts) and sum(counts) == len(workload.events) + done
    assert len(frames(workload.body, workload.framing)) == len(workload.events)


def test_text_workload_is_realistic() -> None:
    workload = text_workload()
    assert workload.counts["text_delta"] >= 2000
    assert workload.counts["ping"] >= 2
    assert workload.events[0]["type"] == "message_start"
    assert workload.events[-1]["type"] == "message_stop"
    lines = [line for line in workload.body.split(b"\n") if line.startswith(b"data: ")]
    assert any(line.endswith(b" }") for line in lines), "Anthropic's padding before the final brace"
    assert b'data: {"type": "ping"}' in workload.body


def test_thinking_tool_workload_has_every_kind() -> None:
    workload = thinking_tool_workload(20, 10, 30)
    counts = workload.counts
    assert counts["thinking_delta"] == 20 and counts["signature_delta"] == 1
    assert counts["text_delta"] == 10 and counts["input_json_delta"] == 31  # the first one is ""
    arguments = "".join(
        e["delta"]["partial_json"] for e in workload.events if e.get("delta", {}).get("type") == "input_json_delta"
    )
    assert isinstance(orjson.loads(arguments), dict)
    chunks = list(translators.translate("anthropic", workload.events, created=1))
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_generation_is_deterministic_and_lazy() -> None:
    assert b"".join(text_events(50)) == b"".join(text_events(50))
    assert b"".join(thinking_tool_events(5, 5, 5)) == b"".join(thinking_tool_events(5, 5, 5))
    assert list(gemini_text_payloads(5)) == list(gemini_text_payloads(5))
    assert list(gemini_function_call_payloads(3, 8)) == list(gemini_function_call_payloads(3, 8))
    assert b"".join(openai_text_events(9)) == b"".join(openai_text_events(9))
    assert b"".join(openai_tool_events(2, 9)) == b"".join(openai_tool_events(2, 9))
    assert b"".join(responses_text_events(9)) == b"".join(responses_text_events(9))
    assert b"".join(responses_reasoning_call_events(6, 9)) == b"".join(responses_reasoning_call_events(6, 9))
    assert b"".join(bedrock_text_events(9)) == b"".join(bedrock_text_events(9))
    assert b"".join(bedrock_reasoning_tool_events(4, 2, 6)) == b"".join(bedrock_reasoning_tool_events(4, 2, 6))
    assert b"".join(cohere_text_events(9)) == b"".join(cohere_text_events(9))
    assert b"".join(cohere_tool_plan_calls_events(3, 6)) == b"".join(cohere_tool_plan_calls_events(3, 6))
    assert b"".join(ollama_text_events(9)) == b"".join(ollama_text_events(9))
    assert b"".join(ollama_thinking_events(4, 5)) == b"".join(ollama_thinking_events(4, 5))
    assert next(bedrock_text_events(10**9))[12:].startswith(b"\x0b:event-type\x07\x00\x0cmessageStart")
    assert next(cohere_text_events(10**9)).startswith(b'event: message-start\ndata: {"id":"')
    assert next(ollama_thinking_events(10**9, 1)).startswith(b'{"model":"qwen3","created_at":"2025-05-27T22:54:5')
    assert next(openai_text_events(10**9)).startswith(b'data: {"id":"chatcmpl-')  # lazy too
    assert next(responses_text_events(10**9)).startswith(b"event: response.created\ndata: ")
    assert next(gemini_text_payloads(10**9))["candidates"][0]["index"] == 0  # lazy too
    assert next(gemini_wire(gemini_function_call_payloads(10**9, 5), "json-array")).startswith(b'[{\n  "candidates"')
    reads = event_reads(text_events(10**9))  # a generator: nothing is built until asked
    assert next(reads).startswith(b"event: message_start\n")
    body = b"".join(text_events(25))
    assert b"".join(fixed_reads(text_events(25), 100)) == body
    assert all(len(p) == 100 for p in list(fixed_reads(text_events(25), 100))[:-1])
    assert len(decode_events(body)) == 25 + 6  # start, block start, ping, deltas, stop, delta, stop


def test_gemini_text_workload_is_realistic() -> None:
    workload = gemini_text_workload(40)
    assert workload.counts == {"events": 40, "text": 40}
    body = workload.body
    assert body.startswith(b'data: {"candidates": [{"content": {"parts": [{"text": "')
    assert body.count(b"\r\n\r\n") == 40 and body.count(b"\n") == 80, "CRLF framing, no raw newline in the JSON"
    assert b'"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1234,' in body, "wire spacing"
    assert "—".encode() in body or "é".encode() in body, "raw UTF-8, as the service sends it"
    events = workload.events
    assert len({(e["responseId"], e["modelVersion"]) for e in events}) == 1
    used = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert used == sorted(used) and len(set(used)) == len(used), "cumulative usage on every chunk"
    assert [e["candidates"][0].get("finishReason") for e in events] == [None] * 39 + ["STOP"]
    assert all(30 <= len(part["text"]) < 300 for part in gemini_parts(workload))
    chunks = translated(workload)
    assert content(chunks) == "".join(part["text"] for part in gemini_parts(workload))
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == used[-1] + events[-1]["usageMetadata"]["thoughtsTokenCount"]


def test_gemini_array_workload_is_the_same_stream() -> None:
    sse, array = gemini_text_workload(25), gemini_text_workload(25, "json-array")
    assert array.events == sse.events
    assert array.body.startswith(b'[{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n')
    assert array.body.endswith(b'"\n}\n]') and array.body.count(b"\n,\r\n") == 24
    assert b"\r" not in array.body.replace(b"\n,\r\n", b""), "CR only in the separators"
    assert translated(array) == translated(sse)
    assert list(gemini_wire([], "json-array")) == [b"[]"] and frames(b"[]", "json-array") == []
    with pytest.raises(ValueError, match="no 'sse' framing"):
        next(gemini_wire([], "sse"))


def test_gemini_service_escapes() -> None:
    payload = {"candidates": [{"content": {"parts": [{"text": "<b> & é"}]}}]}
    wire = b"".join(gemini_wire([payload], "sse-crlf"))
    assert (
        wire
        == 'data: {"candidates": [{"content": {"parts": [{"text": "\\u003cb\\u003e \\u0026 é"}]}}]}\r\n\r\n'.encode()
    )
    assert decode_events(wire, "sse-crlf") == [payload]


def test_gemini_function_call_workload_has_every_kind() -> None:
    workload = gemini_function_call_workload(7, 30)
    assert workload.counts == {
        "events": 7 + 1 + 30 + 2,
        "thought": 7,
        "functionCall": 1,
        "partialArgs": 30,
        "functionCall_end": 1,
        "text": 1,
    }
    parts = gemini_parts(workload)
    assert all("index" not in c and "createTime" in e for e in workload.events for c in e["candidates"])
    assert parts[7]["functionCall"] == {"name": "write_file", "willContinue": True} and parts[7]["thoughtSignature"]
    pieces = [p for part in parts for p in part.get("functionCall", {}).get("partialArgs", [])]
    assert len(pieces) == 31 and pieces[-2:] == [
        {"jsonPath": "$.options.overwrite", "boolValue": True},
        {"jsonPath": "$.options.mode", "numberValue": 420},
    ]
    assert parts[-2] == {"functionCall": {}} and parts[-1] == {"text": ""}
    assert [e["usageMetadata"] for e in workload.events[:-1]] == [{"trafficType": "ON_DEMAND"}] * 39
    chunks = translated(workload)
    assert content(chunks, "reasoning_content") == "".join(part["text"] for part in parts[:7])
    calls = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls[0]["function"]["name"] == "write_file" and {c["index"] for c in calls} == {0}
    arguments = orjson.loads("".join(c["function"]["arguments"] for c in calls))
    text = "".join(p["stringValue"] for p in pieces if p["jsonPath"] == "$.content")
    assert arguments == {
        "path": "src/translators/example.py",
        "content": text,
        "options": {"overwrite": True, "mode": 420},
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def data_lines(workload: Workload) -> list[bytes]:
    return [line for line in workload.body.split(b"\n") if line.startswith(b"data: ")]


def test_openai_text_workload_is_realistic() -> None:
    workload = openai_text_workload(40)
    assert workload.counts == {"events": 44, "role": 1, "content": 40, "finish": 1, "usage": 1, "moderation": 1}
    assert b"\r" not in workload.body and workload.body.endswith(b"}\n\ndata: [DONE]\n\n"), "LF framing, [DONE]"
    lines = data_lines(workload)[:-1]
    assert all(line.startswith(b'data: {"id":"chatcmpl-') for line in lines)
    assert all(b'"service_tier":"default","system_fingerprint":null,"choices":[' in line for line in lines)
    assert all(b',"obfuscation":"' in line for line in lines)
    events = workload.events
    assert all(len(e["obfuscation"]) >= 2 for e in events)
    assert [e["usage"] for e in events[:-2]] == [None] * 42, "usage: null on every chunk with a choice"
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    deltas = [e["choices"][0] for e in events[1:41]]
    assert all(c == {"index": 0, "delta": {"content": c["delta"]["content"]}, "finish_reason": None} for c in deltas)
    assert events[41]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert events[42]["choices"] == [] and events[42]["usage"]["completion_tokens"] == 40
    assert events[43]["choices"] == [] and events[43]["usage"] is None and "moderation" in events[43]
    chunks = translated(workload)
    assert content(chunks) == "".join(c["delta"]["content"] for c in deltas)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["moderation"] == events[43]["moderation"] and chunks[-1]["usage"]["completion_tokens"] == 40
    assert all(c["system_fingerprint"] is None and c["service_tier"] == "default" for c in chunks)
    assert not any("obfuscation" in c for c in chunks)


def test_openai_tool_workload_has_two_parallel_calls() -> None:
    workload = openai_tool_workload(5, 30)
    assert workload.counts == {
        "events": 1 + 5 + 2 + 30 + 2,
        "role": 1,
        "content": 5,
        "tool_call": 2,
        "arguments": 30,
        "finish": 1,
        "usage": 1,
    }
    events = workload.events
    assert all(e["choices"][0]["logprobs"] is None for e in events[:-1])
    assert all(e["system_fingerprint"].startswith("fp_") for e in events)
    calls = [e["choices"][0]["delta"]["tool_calls"][0] for e in events[6:-2]]
    assert [c["index"] for c in calls] == [0] * 16 + [1] * 16, "one call after the other"
    starts = [c for c in calls if "id" in c]
    assert [c["function"] for c in starts] == [{"name": "write_file", "arguments": ""}] * 2
    chunks = translated(workload)
    out = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert [c["id"] for c in out if "id" in c] == [c["id"] for c in starts]
    for index in (0, 1):
        arguments = "".join(c["function"]["arguments"] for c in out if c["index"] == index)
        assert arguments == "".join(c["function"]["arguments"] for c in calls if c["index"] == index)
        assert isinstance(orjson.loads(arguments), dict)
    assert content(chunks) == "".join(e["choices"][0]["delta"]["content"] for e in events[1:6])
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_responses_text_workload_is_realistic() -> None:
    workload = responses_text_workload(40)
    kinds = ["created", "in_progress", "output_item.added", "content_part.added", *["output_text.delta"] * 40]
    kinds += ["output_text.done", "content_part.done", "output_item.done", "completed"]
    assert [e["type"].removeprefix("response.") for e in workload.events] == kinds
    assert [e["sequence_number"] for e in workload.events] == list(range(48))
    blocks = workload.body.split(b"\n\n")[:-1]
    assert all(b.startswith(b"event: response.") and b'\ndata: {"type":"response.' in b for b in blocks)
    delta = workload.events[4]
    assert list(delta) == [
        "type",
        "content_index",
        "delta",
        "item_id",
        "logprobs",
        "obfuscation",
        "output_index",
        "sequence_number",
    ], "the current shape: type first, then sorted"
    text = "".join(e["delta"] for e in workload.events[4:44])
    assert workload.events[44]["text"] == text
    completed = workload.events[-1]["response"]
    assert completed["output"][0]["content"][0]["text"] == text and completed["usage"]["output_tokens"] == 40
    chunks = translated(workload)
    assert content(chunks) == text
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 40


def test_responses_reasoning_call_workload_has_every_kind() -> None:
    workload = responses_reasoning_call_workload(12, 30)
    assert workload.counts == {
        "events": 2 + 2 + 2 * 3 + 12 + 2 + 30 + 1 + 1,  # lifecycle, items, summary parts, deltas, done
        "created": 1,
        "in_progress": 1,
        "output_item.added": 2,
        "reasoning_summary_part.added": 2,
        "reasoning_summary_text.delta": 12,
        "reasoning_summary_text.done": 2,
        "reasoning_summary_part.done": 2,
        "output_item.done": 2,
        "function_call_arguments.delta": 30,
        "function_call_arguments.done": 1,
        "completed": 1,
    }
    events = workload.events
    summary = [e for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert [e["summary_index"] for e in summary] == [0] * 6 + [1] * 6
    assert all(e["obfuscation"] for e in summary)
    fragments = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    arguments = "".join(fragments)
    assert isinstance(orjson.loads(arguments), dict)
    item = events[-2]["item"]
    assert item["type"] == "function_call" and item["arguments"] == arguments
    chunks = translated(workload)
    reasoning = content(chunks, "reasoning_content")
    parts = ["".join(e["delta"] for e in summary if e["summary_index"] == i) for i in (0, 1)]
    assert reasoning == parts[0] + "\n\n" + parts[1]
    calls = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls[0]["id"] == item["call_id"] and calls[0]["function"]["name"] == "write_file"
    assert "".join(c["function"]["arguments"] for c in calls) == arguments
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] == 12 + 300


def bedrock_payloads(workload: Workload) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(e.items())) for e in workload.events]


def test_bedrock_text_workload_is_realistic() -> None:
    workload = bedrock_text_workload(40)
    assert workload.counts == {
        "events": 44,
        "messageStart": 1,
        "text": 40,
        "contentBlockStop": 1,
        "messageStop": 1,
        "metadata": 1,
    }
    messages = EventStreamFrameDecoder().decode(workload.body)
    assert [m.headers for m in messages[:2]] == [
        {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
        for kind in ("messageStart", "contentBlockDelta")
    ]
    payloads = bedrock_payloads(workload)
    assert [kind for kind, _ in payloads] == [m.headers[":event-type"] for m in messages]
    for (_, payload), message in zip(payloads, messages, strict=True):
        assert list(payload) == sorted(payload), "top-level keys sorted, as Bedrock sends them"
        assert (
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".startswith(payload["p"]) and payload["p"]
        )
        assert message.payload == orjson.dumps(payload), "compact JSON"
    assert len({len(p["p"]) for _, p in payloads}) > 10, "random-length padding"
    texts = [p["delta"]["text"] for kind, p in payloads if kind == "contentBlockDelta"]
    assert all(p["contentBlockIndex"] == 0 for kind, p in payloads if kind == "contentBlockDelta")
    assert min(map(len, texts)) >= 1 and max(map(len, texts)) < 100
    assert payloads[-2][1]["stopReason"] == "end_turn" and payloads[-1][1]["usage"]["outputTokens"] == 240
    chunks = translated(workload)
    assert content(chunks) == "".join(texts)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["prompt_tokens"] == 1234 and chunks[-1]["usage"]["completion_tokens"] == 240
    assert decode_events(workload.body, "eventstream") == JSONFrameDecoder().decode(workload.body)


def test_bedrock_reasoning_tool_workload_has_every_kind() -> None:
    workload = bedrock_reasoning_tool_workload(12, 5, 25)
    assert workload.counts == {
        "events": 1 + 12 + 1 + 1 + 5 + 1 + 1 + 25 + 1 + 2,
        "messageStart": 1,
        "reasoningContent.text": 12,
        "reasoningContent.signature": 1,
        "contentBlockStop": 3,
        "text": 5,
        "contentBlockStart": 1,
        "toolUse": 25,
        "messageStop": 1,
        "metadata": 1,
    }
    payloads = bedrock_payloads(workload)
    deltas = [p for kind, p in payloads if kind == "contentBlockDelta"]
    reasoning = "".join(d["delta"]["reasoningContent"].get("text", "") for d in deltas if d["contentBlockIndex"] == 0)
    fragments = [d["delta"]["toolUse"]["input"] for d in deltas if d["contentBlockIndex"] == 2]
    start = next(p for kind, p in payloads if kind == "contentBlockStart")
    assert start["contentBlockIndex"] == 2 and start["start"]["toolUse"]["name"] == "write_file"
    assert start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    assert isinstance(orjson.loads("".join(fragments)), dict)
    chunks = translated(workload)
    assert content(chunks, "reasoning_content") == reasoning
    calls = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls[0]["id"] == start["start"]["toolUse"]["toolUseId"] and {c["index"] for c in calls} == {0}
    assert "".join(c["function"]["arguments"] for c in calls) == "".join(fragments)
    details = [d for c in chunks if c["choices"] for d in c["choices"][0]["delta"].get("reasoning_details") or []]
    assert any("signature" in d for d in details)
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_bedrock_decoders() -> None:
    workload = bedrock_text_workload(5)
    pure = with_decoder(workload, JSONFrameDecoder, "pure")
    assert (pure.name, pure.body, pure.decoder) == ("bedrock_text_pure", workload.body, JSONFrameDecoder)
    assert pure.description == "bedrock text (event stream, JSONFrameDecoder): 5 text deltas"
    assert decoder_name(pure) == "JSONFrameDecoder"
    assert decoder_name(workload) == type(json_frame_decoder()).__name__  # botocore's when installed
    assert not workload.reference and not pure.reference
    assert with_decoder(workload, JSONFrameDecoder, "ref", reference=True).reference


def test_eventstream_frames_checks_both_crcs() -> None:
    body = bytearray(b"".join(bedrock_text_events(3)))
    assert len(eventstream_frames(bytes(body))) == 7
    for at in (5, 40):  # in the prelude; in the first message's headers
        damaged = bytearray(body)
        damaged[at] ^= 1
        with pytest.raises(ValueError, match="CRC mismatch in the message at byte 0"):
            eventstream_frames(bytes(damaged))


def test_cohere_text_workload_is_realistic() -> None:
    workload = cohere_text_workload(40)
    assert workload.counts == {
        "events": 44,
        "message-start": 1,
        "content-start": 1,
        "content-delta": 40,
        "content-end": 1,
        "message-end": 1,
    }
    blocks = workload.body.split(b"\n\n")[:-1]
    assert all(
        b.startswith(b"event: " + e["type"].encode() + b"\ndata: {")
        for b, e in zip(blocks, workload.events, strict=True)
    )
    assert blocks[2].startswith(
        b'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"'
    )
    events = workload.events
    assert events[0]["delta"]["message"]["tool_calls"] == [] and len(events[0]["id"]) == 36
    text = "".join(e["delta"]["message"]["content"]["text"] for e in events[2:42])
    chunks = translated(workload)
    assert content(chunks) == text
    assert chunks[0]["id"] == "chatcmpl-" + events[0]["id"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 44 and chunks[-1]["usage"]["prompt_tokens"] == 1549


def test_cohere_tool_plan_calls_workload_has_every_kind() -> None:
    workload = cohere_tool_plan_calls_workload(10, 30)
    assert workload.counts == {
        "events": 1 + 10 + 2 + 30 + 2 + 1,
        "message-start": 1,
        "tool-plan-delta": 10,
        "tool-call-start": 2,
        "tool-call-delta": 30,
        "tool-call-end": 2,
        "message-end": 1,
    }
    events = workload.events
    plan = "".join(e["delta"]["message"]["tool_plan"] for e in events if e["type"] == "tool-plan-delta")
    starts = [e["delta"]["message"]["tool_calls"] for e in events if e["type"] == "tool-call-start"]
    assert [s["function"] for s in starts] == [{"name": "write_file", "arguments": ""}] * 2
    chunks = translated(workload)
    assert content(chunks, "reasoning_content") == plan
    out = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert [c["id"] for c in out if "id" in c] == [s["id"] for s in starts]
    for index in (0, 1):
        fragments = [
            e["delta"]["message"]["tool_calls"]["function"]["arguments"]
            for e in events
            if e["type"] == "tool-call-delta" and e["index"] == index
        ]
        assert len(fragments) == 15
        arguments = "".join(c["function"]["arguments"] for c in out if c["index"] == index)
        assert arguments == "".join(fragments) and isinstance(orjson.loads(arguments), dict)
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_ollama_text_workload_is_realistic() -> None:
    workload = ollama_text_workload(40)
    assert workload.counts == {"events": 41, "content": 40, "done": 1}
    lines = workload.body.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 42
    assert all(line.startswith(b'{"model":"llama3.2","created_at":"2025-05-27T22:5') for line in lines[:-1])
    assert all(line.endswith(b'"},"done":false}') for line in lines[:-2])
    events = workload.events
    stamps = [e["created_at"] for e in events]
    assert stamps == sorted(stamps) and len(set(stamps)) == 41, "a clock that moves"
    assert all(s.endswith("Z") for s in stamps)
    assert list(events[-1]) == [
        "model",
        "created_at",
        "message",
        "done_reason",
        "done",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ], "Go's field order"
    assert events[-1]["message"] == {"role": "assistant", "content": ""} and events[-1]["eval_count"] == 40
    chunks = translated(workload)
    assert content(chunks) == "".join(e["message"]["content"] for e in events)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 26,
        "completion_tokens": 40,
        "total_tokens": 66,
        "native_usage": {k: events[-1][k] for k in list(events[-1])[5:]},
    }


def test_ollama_thinking_workload_is_realistic() -> None:
    workload = ollama_thinking_workload(20, 10)
    assert workload.counts == {"events": 31, "thinking": 20, "content": 10, "done": 1}
    events = workload.events
    assert all(
        list(e["message"]) == ["role", "content", "thinking"] and e["message"]["content"] == "" for e in events[:20]
    )
    assert all(list(e["message"]) == ["role", "content"] for e in events[20:])
    chunks = translated(workload)
    assert content(chunks, "reasoning_content") == "".join(e["message"]["thinking"] for e in events[:20])
    assert content(chunks) == "".join(e["message"]["content"] for e in events[20:])
    assert {c["model"] for c in chunks} == {"qwen3"}
    assert chunks[-1]["usage"]["completion_tokens"] == 30


def expected_floor_contents(workload: Workload) -> list[Any]:
    """What the floor's chunks carry, worked out from the events independently of `benchmarks.measure`."""
    if workload.provider == "anthropic":
        return [
            e["delta"].get("text") or e["delta"].get("thinking") or e["delta"].get("partial_json")
            if e["type"] == "content_block_delta"
            else None
            for e in workload.events
        ]
    if workload.provider == "openai":
        found = []
        for event in workload.events:
            delta = event["choices"][0]["delta"] if event["choices"] else {}
            text = "".join(c["function"]["arguments"] for c in delta.get("tool_calls", [])) or delta.get("content")
            found.append(text or None)
        return found
    if workload.provider == "openai_responses":
        return [e["delta"] if e["type"].endswith(".delta") else None for e in workload.events]
    if workload.provider == "bedrock":
        found = []
        for kind, payload in bedrock_payloads(workload):
            delta = payload["delta"] if kind == "contentBlockDelta" else {}
            text = delta.get("text", delta.get("reasoningContent", {}).get("text"))
            found.append(text if text is not None else delta.get("toolUse", {}).get("input"))
        return found
    if workload.provider == "cohere":
        found = []
        for event in workload.events:
            message = event.get("delta", {}).get("message", {})
            if event["type"] == "content-delta":
                found.append(message["content"].get("text") or message["content"].get("thinking"))
            elif event["type"] == "tool-plan-delta":
                found.append(message["tool_plan"])
            elif event["type"] == "tool-call-delta":
                found.append(message["tool_calls"]["function"]["arguments"])
            else:
                found.append(None)
        return found
    if workload.provider == "ollama":
        return [e["message"].get("thinking") or e["message"]["content"] or None for e in workload.events]
    found = []
    for part in gemini_parts(workload):
        pieces = part.get("functionCall", {}).get("partialArgs")
        found.append(pieces[0]["stringValue"] if pieces and "stringValue" in pieces[0] else part.get("text"))
    return found


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_floor_emits_one_chunk_per_event(workload: Workload) -> None:
    out = floor(workload.body, workload.framing, workload.provider, "chatcmpl-x", "m")
    payloads, done = parse_sse_output(out)
    assert done and len(payloads) == len(workload.events)
    assert all(p["id"] == "chatcmpl-x" and p["object"] == "chat.completion.chunk" for p in payloads)
    assert [p["choices"][0]["delta"]["content"] for p in payloads] == expected_floor_contents(workload)


# -- results --------------------------------------------------------------------------------------------

NAMES = (
    "text",
    "thinking_tool",
    "gemini_text",
    "gemini_text_array",
    "gemini_call",
    "openai_text",
    "openai_tool",
    "responses_text",
    "responses_reasoning_call",
    "bedrock_text",
    "bedrock_reasoning_tool",
    "bedrock_text_pure",
    "bedrock_reasoning_tool_pure",
    "bedrock_text_botocore_buffer",
    "bedrock_reasoning_tool_botocore_buffer",
    "cohere_text",
    "cohere_tool_plan_calls",
    "ollama_text",
    "ollama_thinking",
    "text_gateway",
    "thinking_tool_gateway",
)


def test_results_structure(results: dict[str, Any]) -> None:
    assert isinstance(results["python"], str) and results["orjson"]
    names = [w["name"] for w in results["workloads"]]
    assert names == list(NAMES)
    assert [(w["provider"], w["framing"]) for w in results["workloads"]] == [
        ("anthropic", "sse"),
        ("anthropic", "sse"),
        ("gemini", "sse-crlf"),
        ("gemini", "json-array"),
        ("gemini", "sse-crlf"),
        ("openai", "sse"),
        ("openai", "sse"),
        ("openai_responses", "sse"),
        ("openai_responses", "sse"),
        *[("bedrock", "eventstream")] * 6,
        ("cohere", "sse"),
        ("cohere", "sse"),
        ("ollama", "ndjson"),
        ("ollama", "ndjson"),
        ("anthropic", "sse"),
        ("anthropic", "sse"),
    ]
    decoders = {w["name"]: w["decoder"] for w in results["workloads"]}
    default = type(json_frame_decoder()).__name__  # botocore's when installed
    assert decoders["bedrock_text"] == decoders["bedrock_reasoning_tool"] == default
    assert decoders["bedrock_text_pure"] == decoders["bedrock_reasoning_tool_pure"] == "JSONFrameDecoder"
    assert decoders["bedrock_text_botocore_buffer"] == "BotocoreJSONFrameDecoder"
    assert [w["name"] for w in results["workloads"] if w["reference"]] == [
        "bedrock_text_botocore_buffer",
        "bedrock_reasoning_tool_botocore_buffer",
        "text_gateway",
        "thinking_tool_gateway",
    ]
    assert decoders["cohere_text"] == "CohereDecoder" and decoders["ollama_text"] == "NDJSONDecoder"
    descriptions = {w["name"]: w["description"] for w in results["workloads"]}
    assert descriptions["bedrock_text"] == f"bedrock text (event stream, {default}): 13 text deltas"
    assert descriptions["bedrock_text_pure"] == "bedrock text (event stream, JSONFrameDecoder): 13 text deltas"
    for w in results["workloads"]:
        assert set(w["timings_ns"]) == {"floor", "stream", "stream_fixed", "stream_whole", "translate"}
        for timing in w["timings_ns"].values():
            assert isinstance(timing["min"], int) and timing["min"] > 0
            assert len(timing["all"]) == 2 and timing["min"] == min(timing["all"])
        for ratios in (w["ratios"], w["ratios_median"]):
            assert set(ratios) == {"stream", "stream_fixed", "stream_whole", "translate"}
            assert all(isinstance(r, float) and r > 0 for r in ratios.values())
    assert results["workloads"][0]["counts"]["text_delta"] == 30
    assert results["workloads"][2]["counts"]["text"] == results["workloads"][3]["counts"]["text"] == 12
    assert results["workloads"][4]["counts"]["partialArgs"] == 9 and results["workloads"][4]["counts"]["thought"] == 4
    counts = {w["name"]: w["counts"] for w in results["workloads"]}
    assert counts["openai_text"]["content"] == 14
    assert counts["openai_tool"]["content"] == 3 and counts["openai_tool"]["arguments"] == 10
    assert counts["responses_text"]["output_text.delta"] == 16
    assert counts["responses_reasoning_call"]["reasoning_summary_text.delta"] == 8
    assert counts["responses_reasoning_call"]["function_call_arguments.delta"] == 11
    for name in ("bedrock_text", "bedrock_text_pure"):
        assert counts[name]["text"] == 13
    for name in ("bedrock_reasoning_tool", "bedrock_reasoning_tool_pure"):
        assert counts[name]["reasoningContent.text"] == 6 and counts[name]["text"] == 3
        assert counts[name]["toolUse"] == 9
    assert counts["cohere_text"]["content-delta"] == 15
    assert counts["cohere_tool_plan_calls"]["tool-plan-delta"] == 4
    assert counts["cohere_tool_plan_calls"]["tool-call-delta"] == 10
    assert counts["ollama_text"]["content"] == 17
    assert counts["ollama_thinking"]["thinking"] == 7 and counts["ollama_thinking"]["content"] == 5


def test_memory_results(results: dict[str, Any]) -> None:
    memory = results["memory"]
    assert memory["sizes"] == [20, 200]
    assert all(isinstance(p, int) and p > 0 for p in memory["peaks"])
    assert isinstance(memory["ratio"], float) and memory["ratio"] > 0
    rows = memory["rows"]
    assert rows[1]["output_bytes"] > rows[0]["output_bytes"] > 0


def test_import_results(results: dict[str, Any]) -> None:
    imp = results["import"]
    for key in ("wall_ms", "self_ms", "cumulative_ms", "self_ms_with_provider", "self_ms_uncached"):
        assert isinstance(imp[key], float)
    assert imp["self_ms"] > 0 and imp["cumulative_ms"] >= imp["self_ms"]
    assert "translators" in imp["self_ms_by_module"] and "translators._core" in imp["self_ms_by_module"]
    assert "translators.providers.anthropic" in imp["self_ms_by_module_with_provider"]


def test_targets_and_report(results: dict[str, Any]) -> None:
    names = [t["name"] for t in results["targets"]]
    reads = ["1-4 events/read", "4 KiB reads", "one read"]
    streams = [f"stream() {w}, {r}" for w in NAMES if not w.endswith(("_botocore_buffer", "_gateway")) for r in reads]
    assert names == [*streams, "import translators", "memory flat"]
    assert all(isinstance(t["pass"], bool) for t in results["targets"])
    aims = {t["name"]: t["target"] for t in results["targets"]}
    assert aims["stream() openai_text, one read"] == "<= 2x floor (aim well below 2x)"
    assert aims["stream() responses_text, one read"] == "<= 2x floor (aim 1x)"
    text = render(results)
    assert "ratios against the floor measured in the same run" in text
    assert results["python"] in text
    assert text.count("PASS") + text.count("MISS") == len(names)
    json.dumps(results)  # plain data


def test_cli_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(Config, "quick", classmethod(lambda cls: tiny()))
    assert cli.main(["--quick", "--json", "--repeat", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["repeat"] == 1
    assert len(data["workloads"][0]["timings_ns"]["stream"]["all"]) == 1


def test_cli_only_selects_workloads(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(Config, "quick", classmethod(lambda cls: tiny()))
    assert cli.main(["--quick", "--json", "--only", "bedrock_*", "--only", "ollama_text"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["only"] == ["bedrock_*", "ollama_text"]
    names = [
        "bedrock_text",
        "bedrock_reasoning_tool",
        "bedrock_text_pure",
        "bedrock_reasoning_tool_pure",
        "bedrock_text_botocore_buffer",
        "bedrock_reasoning_tool_botocore_buffer",
        "ollama_text",
    ]
    assert [w["name"] for w in data["workloads"]] == names
    assert [t["name"] for t in data["targets"]][:3] == [
        "stream() bedrock_text, 1-4 events/read",
        "stream() bedrock_text, 4 KiB reads",
        "stream() bedrock_text, one read",
    ]
    with pytest.raises(SystemExit) as info:
        cli.main(["--quick", "--only", "nothing*"])
    assert info.value.code == 2 and "no workload matches nothing*" in capsys.readouterr().err
    with pytest.raises(NoWorkloadError):
        run(replace(tiny(), only=["nothing"]))


def test_the_metered_workload_times_the_gateway_with_its_usage_chunk() -> None:
    from benchmarks.workloads import metered

    workload = text_workload(5)
    gateway_workload = metered(workload)
    assert (gateway_workload.name, gateway_workload.reference) == ("text_gateway", True)
    plain = b"".join(streamer(workload)(workload.pieces))
    out = b"".join(streamer(gateway_workload)(gateway_workload.pieces))
    head, gateway_chunk, done = out.rsplit(b"\n\n", 3)[0], out.split(b"\n\n")[-3], out.split(b"\n\n")[-2]
    assert plain.endswith(b"data: [DONE]\n\n") and done == b"data: [DONE]"
    assert head + b"\n\n" == plain[: -len(b"data: [DONE]\n\n")]
    assert json.loads(gateway_chunk[6:])["credits_used"] >= 1
