"""Replay the real Bedrock and Cohere recordings and check our output against an oracle read off the events.

The recordings live outside the project (see tests/test_real_streams.py for where); without them the
parametrized tests collect nothing and `test_the_recordings_are_there_when_the_folder_is` checks nothing.
Bedrock: three raw event-stream bodies and one decoded stream (one event dict per line). Cohere: two streams
re-serialised one event per line (the recorder dropped the SSE framing): they are translated as dicts, and
re-framed as SSE (``event:`` + ``data:``) for `stream`.

The oracle is written here, without the translator: the event-stream bodies are read by `read_eventstream`
(the AWS framing from its spec, CRCs checked; botocore's reading is compared with it), and
`expected_bedrock` / `expected_cohere` say from the raw events, as the providers' docs and our docstrings
describe them, the text, the reasoning, the reasoning_details (signatures, redacted data), the tool calls,
the server blocks, the finish reason and the usage. The openai SDK's fold of our output must agree.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.contract import acollect, aiter_of, check_async_equals_sync, check_contract, fold, parse_sse_output
from tests.test_real_streams import REAL
from translators import astream, stream, translate

CREATED = 1_700_000_000
BEDROCK_RAW = sorted((REAL / "bedrock").glob("*.eventstream")) if REAL else []
BEDROCK_DECODED = sorted((REAL / "bedrock").glob("*.jsonl")) if REAL else []
COHERE = sorted((REAL / "cohere").glob("*.jsonl")) if REAL else []

BEDROCK_FINISH = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length", "stop_sequence": "stop"}
COHERE_FINISH = {"COMPLETE": "stop", "TOOL_CALL": "tool_calls", "MAX_TOKENS": "length", "STOP_SEQUENCE": "stop"}
METADATA_EXTRAS = ("metrics", "trace", "performanceConfig", "serviceTier")


def test_the_recordings_are_there_when_the_folder_is() -> None:
    if REAL is not None:
        assert (len(BEDROCK_RAW), len(BEDROCK_DECODED), len(COHERE)) == (3, 1, 2)
    else:
        assert BEDROCK_RAW == BEDROCK_DECODED == COHERE == []


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def read_eventstream(body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The messages of an AWS event-stream body: (headers, payload), read from the framing's spec (prelude:
    total and headers length, prelude CRC; headers; payload; message CRC). The recordings hold string
    headers (type 7) only."""
    messages = []
    pos = 0
    while pos < len(body):
        total, headers_length, prelude_crc = struct.unpack_from(">III", body, pos)
        assert zlib.crc32(body[pos : pos + 8]) == prelude_crc
        assert zlib.crc32(body[pos : pos + total - 4]) == struct.unpack_from(">I", body, pos + total - 4)[0]
        headers: dict[str, str] = {}
        at, end = pos + 12, pos + 12 + headers_length
        while at < end:
            name_length = body[at]
            name = body[at + 1 : at + 1 + name_length].decode()
            at += 1 + name_length
            assert body[at] == 7, "a string header"
            (length,) = struct.unpack_from(">H", body, at + 1)
            headers[name] = body[at + 3 : at + 3 + length].decode()
            at += 3 + length
        messages.append((headers, body[end : pos + total - 4]))
        pos += total
    assert pos == len(body)
    return messages


def bedrock_events(path: Path) -> list[dict[str, Any]]:
    """The recording's events as boto3-style dicts ``{<event type>: <payload>}``, "p" padding included."""
    if path.suffix == ".jsonl":
        return _lines(path)
    messages = read_eventstream(path.read_bytes())
    assert all(h[":message-type"] == "event" and h[":content-type"] == "application/json" for h, _ in messages)
    return [{headers[":event-type"]: json.loads(payload)} for headers, payload in messages]


def botocore_events(body: bytes) -> list[dict[str, Any]]:
    """What boto3's ``converse_stream()["stream"]`` yields for the body (blobs decoded, padding dropped)."""
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("ConverseStream").output_shape.members["stream"]

    class Raw:
        def stream(self) -> Any:
            yield body

        def close(self) -> None:
            pass

    return list(EventStream(Raw(), shape, EventStreamJSONParser(), "ConverseStream"))


# -- the oracle ---------------------------------------------------------------------------------------------


def expected_bedrock(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the raw ConverseStream events say, read without the translator."""
    text, reasoning = "", ""
    details: dict[int, dict[str, Any]] = {}  # per reasoning block (contentBlockIndex)
    tools: dict[int, dict[str, Any]] = {}
    server: list[dict[str, Any]] = []
    server_index: dict[int, int] = {}
    stop: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for event in events:
        ((kind, body),) = event.items()
        body = {k: v for k, v in body.items() if k != "p"}
        index = body.get("contentBlockIndex")
        if kind == "contentBlockStart":
            tool = body["start"].get("toolUse")
            if tool is not None and tool.get("type", "tool_use") == "tool_use":
                tools[index] = {"id": tool["toolUseId"], "name": tool["name"], "arguments": ""}
            else:
                server_index[index] = len(server_index)
                server.append({"index": server_index[index], **body["start"]})
        elif kind == "contentBlockDelta":
            delta = body["delta"]
            if "text" in delta:
                text += delta["text"]
            elif "reasoningContent" in delta:
                ((part, value),) = delta["reasoningContent"].items()
                if part == "text":
                    reasoning += value
                if value:
                    kind_of = "reasoning.encrypted" if part == "redactedContent" else "reasoning.text"
                    key = {"text": "text", "signature": "signature", "redactedContent": "data"}[part]
                    entry = details.setdefault(
                        index, {"type": kind_of, "format": "bedrock-converse-v1"}
                    )  # one entry per block
                    entry[key] = entry.get(key, "") + value
            elif index in tools:
                tools[index]["arguments"] += delta["toolUse"]["input"]
            else:
                server.append({"index": server_index[index], **delta})
        elif kind == "messageStop":
            stop = body
        elif kind == "metadata":
            metadata = body
    usage = metadata["usage"]
    cache_read, cache_write = usage.get("cacheReadInputTokens", 0), usage.get("cacheWriteInputTokens", 0)
    prompt = usage["inputTokens"] + cache_read + cache_write
    return {
        "id": f"chatcmpl-bedrock-{CREATED}",
        "model": "",
        "content": text or None,
        "reasoning": reasoning,
        "details": [{"index": n, **entry} for n, entry in enumerate(details.values())],
        "tool_calls": [dict(call, arguments=call["arguments"] or "{}") for call in tools.values()],
        "server": server,
        "finish_reason": BEDROCK_FINISH[stop["stopReason"]],
        "native_finish_reason": stop["stopReason"],
        "additional": stop.get("additionalModelResponseFields"),
        "usage": (prompt, usage["outputTokens"], prompt + usage["outputTokens"], cache_read, cache_write),
        "native_usage": usage,
        "metadata": {key: metadata.get(key) for key in METADATA_EXTRAS},
    }


def expected_cohere(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the raw Cohere v2 events say, read without the translator."""
    text, reasoning = "", ""
    details: dict[Any, dict[str, Any]] = {}  # per thinking block, and the plan
    calls: dict[int, dict[str, Any]] = {}
    end: dict[str, Any] = {}
    for event in events:
        message = event.get("delta", {}).get("message", {})
        kind = event["type"]
        if kind in ("content-start", "content-delta"):
            content = message["content"]
            text += content.get("text", "")
            thinking = content.get("thinking", "")
            reasoning += thinking
            if thinking:
                entry = details.setdefault(
                    event["index"], {"type": "reasoning.text", "format": "cohere-v2", "text": ""}
                )
                entry["text"] += thinking
        elif kind == "tool-plan-delta":
            reasoning += message["tool_plan"]
            if message["tool_plan"]:
                plan = {"type": "reasoning.text", "format": "cohere-v2", "id": "tool_plan", "text": ""}
                details.setdefault("plan", plan)["text"] += message["tool_plan"]
        elif kind == "tool-call-start":
            call = message["tool_calls"]
            arguments = call["function"].get("arguments", "")
            calls[event["index"]] = {"id": call["id"], "name": call["function"]["name"], "arguments": arguments}
        elif kind == "tool-call-delta":
            calls[event["index"]]["arguments"] += message["tool_calls"]["function"]["arguments"]
        elif kind == "message-end":
            end = event["delta"]
    usage = end["usage"]
    prompt, completion = usage["tokens"]["input_tokens"], usage["tokens"]["output_tokens"]
    return {
        "id": "chatcmpl-" + events[0]["id"],
        "model": "",
        "content": text or None,
        "reasoning": reasoning,
        "details": [{"index": n, **entry} for n, entry in enumerate(details.values())],
        "tool_calls": [dict(call, arguments=call["arguments"] or "{}") for call in calls.values()],
        "server": [],
        "finish_reason": COHERE_FINISH[end["finish_reason"]],
        "native_finish_reason": end["finish_reason"],
        "usage": (prompt, completion, prompt + completion, usage.get("cached_tokens", 0), None),
        "native_usage": usage,
    }


# -- what our output says -----------------------------------------------------------------------------------


def observed(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Our output as the openai SDK folds it (content, reasoning, details, tool calls, usage), plus the
    fields the fold does not model, read off the chunks."""
    check_contract(chunks, usage=True)
    completion = fold(chunks)
    (choice,) = completion.choices
    message = choice.message
    extra = message.model_extra or {}
    (finish,) = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    usage = completion.usage
    details = usage.prompt_tokens_details
    return {
        "id": chunks[0]["id"],
        "model": chunks[0]["model"],
        "content": message.content,
        "reasoning": extra.get("reasoning_content", ""),
        "details": extra.get("reasoning_details", []),
        "tool_calls": [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls or []
        ],
        "server": [
            entry for c in chunks if c["choices"] for entry in c["choices"][0]["delta"].get("server_blocks", [])
        ],
        "finish_reason": choice.finish_reason,
        "native_finish_reason": finish["native_finish_reason"],
        "additional": finish.get("additionalModelResponseFields"),
        "usage": (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            details.cached_tokens,
            details.cache_write_tokens,
        ),
        "native_usage": chunks[-1]["usage"]["native_usage"],
        "metadata": {key: chunks[-1].get(key) for key in METADATA_EXTRAS},
    }


def agree(ours: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        assert ours[key] == value, key


def output(provider: str, pieces: list[bytes]) -> bytes:
    return b"".join(stream(provider, pieces, created=CREATED))


# -- Bedrock ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_body_agrees_with_the_oracle(path: Path) -> None:
    chunks, done = parse_sse_output(output("bedrock", [path.read_bytes()]))
    assert done
    agree(observed(chunks), expected_bedrock(bedrock_events(path)))
    assert chunks == list(translate("bedrock", bedrock_events(path), created=CREATED))


@pytest.mark.parametrize("path", BEDROCK_RAW + BEDROCK_DECODED, ids=lambda p: p.name)
def test_bedrock_events_agree_with_the_oracle(path: Path) -> None:
    events = bedrock_events(path)
    agree(observed(list(translate("bedrock", events, created=CREATED))), expected_bedrock(events))


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_body_cut_anywhere_gives_the_same_bytes(path: Path) -> None:
    """Two reads cut at every offset, and one byte per read: the same output."""
    body = path.read_bytes()
    whole = output("bedrock", [body])
    for cut in range(len(body) + 1):
        assert output("bedrock", [body[:cut], body[cut:]]) == whole, cut
    assert output("bedrock", [body[i : i + 1] for i in range(len(body))]) == whole


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_body_ended_early_ends_in_an_error_event(path: Path) -> None:
    """The body without its tail, at every offset: the output so far, then an error event, no [DONE]."""
    body = path.read_bytes()
    complete, _ = parse_sse_output(output("bedrock", [body]))
    for cut in range(0, len(body), 7):
        chunks, done = parse_sse_output(output("bedrock", [body[:cut]]))
        assert not done and "error" in chunks[-1], cut
        assert chunks[:-1] == complete[: len(chunks) - 1], cut


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_boto3_events_translate_as_the_body(path: Path) -> None:
    """boto3's events (no padding, redacted content as bytes) agree with our reading of the body, and give
    the body's output but for the usage members botocore's model does not know (Nova's serverToolUsage)."""
    body = path.read_bytes()
    theirs = botocore_events(body)
    ours = bedrock_events(path)
    assert len(theirs) == len(ours)
    for boto_event, event in zip(theirs, ours, strict=True):
        ((kind, payload),) = event.items()
        reasoning = payload.get("delta", {}).get("reasoningContent", {})
        if "redactedContent" in reasoning:
            redacted = boto_event[kind]["delta"]["reasoningContent"]["redactedContent"]
            assert base64.b64encode(redacted).decode() == reasoning["redactedContent"]
    from_boto = list(translate("bedrock", theirs, created=CREATED))
    from_body, _ = parse_sse_output(output("bedrock", [body]))
    for chunk in from_boto + from_body:
        chunk.get("usage", {}).get("native_usage", {}).pop("serverToolUsage", None)
    assert from_boto == from_body


def test_bedrock_redacted_reasoning_is_kept_as_sent() -> None:
    redacted = [p for p in BEDROCK_RAW if "redacted" in p.name]
    for path in redacted:
        chunks, _ = parse_sse_output(output("bedrock", [path.read_bytes()]))
        details = observed(chunks)["details"]
        assert [d["type"] for d in details] == ["reasoning.encrypted"] * 2
        assert all(base64.b64decode(d["data"], validate=True) for d in details)
    assert len(redacted) == (1 if REAL else 0)


def test_bedrock_nova_server_tool_and_result_are_server_blocks() -> None:
    nova = [p for p in BEDROCK_RAW if "nova" in p.name]
    for path in nova:
        chunks, _ = parse_sse_output(output("bedrock", [path.read_bytes()]))
        seen = observed(chunks)
        assert [b["index"] for b in seen["server"]] == [0, 0, 1, 1]
        assert seen["server"][0]["toolUse"]["type"] == "server_tool_use"
        assert seen["server"][2]["toolResult"]["type"] == "nova_code_interpreter_result"
        assert [c["name"] for c in seen["tool_calls"]] == ["final_result"]
    assert len(nova) == (1 if REAL else 0)


# -- Cohere -------------------------------------------------------------------------------------------------


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in events)


@pytest.mark.parametrize("path", COHERE, ids=lambda p: p.stem)
def test_cohere_events_agree_with_the_oracle(path: Path) -> None:
    events = _lines(path)
    agree(observed(list(translate("cohere", events, created=CREATED))), expected_cohere(events))


@pytest.mark.parametrize("path", COHERE, ids=lambda p: p.stem)
def test_cohere_reframed_as_sse_gives_what_the_events_give(path: Path) -> None:
    events = _lines(path)
    body = sse(events)
    out = output("cohere", [body])
    chunks, done = parse_sse_output(out)
    assert done and chunks == list(translate("cohere", events, created=CREATED))
    agree(observed(chunks), expected_cohere(events))
    assert output("cohere", [body[i : i + 1] for i in range(len(body))]) == out
    for cut in range(0, len(body) + 1, 13):
        assert output("cohere", [body[:cut], body[cut:]]) == out, cut


@pytest.mark.parametrize("path", COHERE, ids=lambda p: p.stem)
def test_cohere_body_ended_early_ends_in_an_error_event(path: Path) -> None:
    body = sse(_lines(path))
    complete, _ = parse_sse_output(output("cohere", [body]))
    for cut in range(0, body.rindex(b"}") + 1, 5):
        chunks, done = parse_sse_output(output("cohere", [body[:cut]]))
        assert not done and "error" in chunks[-1], cut
        assert chunks[:-1] == complete[: len(chunks) - 1], cut


# -- async --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BEDROCK_RAW + COHERE, ids=lambda p: p.name)
def test_async_equals_sync(path: Path) -> None:
    if path.suffix == ".eventstream":
        provider, events, body = "bedrock", bedrock_events(path), path.read_bytes()
    else:
        provider, events = "cohere", _lines(path)
        body = sse(events)
    pieces = [body[i : i + 97] for i in range(0, len(body), 97)]
    check_async_equals_sync(provider, events, pieces, created=CREATED)
    out = b"".join(asyncio.run(acollect(astream(provider, aiter_of([body]), created=CREATED))))
    assert out == output(provider, [body])
