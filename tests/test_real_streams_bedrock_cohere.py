"""Replay the real Bedrock and Cohere recordings and check our output against an oracle read off the events.

The recordings live outside the project (see tests/test_real_streams.py for where); without them the
parametrized tests collect nothing. Bedrock: three raw event-stream bodies and one decoded stream (one event
dict per line). Cohere: two streams re-serialised one event per line (the recorder dropped the SSE framing):
they are translated as dicts, and re-framed as SSE (``event:`` + ``data:``) for `stream`.

The oracle (`_expected_bedrock`, `_expected_cohere`) is written here from the providers' docs, without the
translator: the text, the reasoning, signatures and redacted data, tool calls, server blocks, the finish
reason and the usage a reader of the raw events would expect. The openai SDK's fold of our output must agree.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from tests.test_real_streams import REAL
from translators import stream, translate
from translators.eventstream import JSONFrameDecoder

CREATED = 1_700_000_000
BEDROCK_RAW = sorted((REAL / "bedrock").glob("*.eventstream")) if REAL else []
BEDROCK_DECODED = sorted((REAL / "bedrock").glob("*.jsonl")) if REAL else []
COHERE = sorted((REAL / "cohere").glob("*.jsonl")) if REAL else []

BEDROCK_FINISH = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length", "stop_sequence": "stop"}
COHERE_FINISH = {"COMPLETE": "stop", "TOOL_CALL": "tool_calls", "MAX_TOKENS": "length", "STOP_SEQUENCE": "stop"}


def test_the_recordings_are_there_when_the_folder_is() -> None:
    if REAL is not None:
        assert (len(BEDROCK_RAW), len(BEDROCK_DECODED), len(COHERE)) == (3, 1, 2)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _bedrock_events(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return _lines(path)
    decoder = JSONFrameDecoder()
    return decoder.decode(path.read_bytes()) + decoder.flush()


# -- the oracle ---------------------------------------------------------------------------------------------


def _expected_bedrock(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the raw ConverseStream events say, read without the translator."""
    text, reasoning, signatures, redacted = "", "", [], []
    tools: dict[int, dict[str, Any]] = {}
    server: list[dict[str, Any]] = []
    stop, usage = None, None
    for event in events:
        ((kind, body),) = event.items()
        if kind == "contentBlockStart":
            tool = body["start"].get("toolUse")
            if tool is not None and tool.get("type", "tool_use") == "tool_use":
                tools[body["contentBlockIndex"]] = {"id": tool["toolUseId"], "name": tool["name"], "arguments": ""}
            else:
                server.append(body["start"])
        elif kind == "contentBlockDelta":
            delta = body["delta"]
            index = body["contentBlockIndex"]
            if "text" in delta:
                text += delta["text"]
            elif "reasoningContent" in delta:
                part = delta["reasoningContent"]
                reasoning += part.get("text", "")
                signatures += [part["signature"]] if "signature" in part else []
                redacted += [part["redactedContent"]] if "redactedContent" in part else []
            elif "toolUse" in delta and index in tools:
                tools[index]["arguments"] += delta["toolUse"]["input"]
            else:
                server.append(delta)
        elif kind == "messageStop":
            stop = body["stopReason"]
        elif kind == "metadata":
            usage = body["usage"]
    assert stop is not None and usage is not None
    calls = [dict(call, arguments=call["arguments"] or "{}") for call in tools.values()]
    cache_read, cache_write = usage.get("cacheReadInputTokens", 0), usage.get("cacheWriteInputTokens", 0)
    prompt = usage["inputTokens"] + cache_read + cache_write
    return {
        "content": text or None,
        "reasoning": reasoning,
        "signatures": signatures,
        "redacted": redacted,
        "tool_calls": calls,
        "server": server,
        "finish_reason": BEDROCK_FINISH[stop],
        "native_finish_reason": stop,
        "usage": (prompt, usage["outputTokens"], prompt + usage["outputTokens"], cache_read),
        "native_usage": usage,
    }


def _expected_cohere(events: list[dict[str, Any]]) -> dict[str, Any]:
    text, reasoning = "", ""
    calls: dict[int, dict[str, Any]] = {}
    end: dict[str, Any] = {}
    for event in events:
        message = event.get("delta", {}).get("message", {})
        kind = event["type"]
        if kind in ("content-start", "content-delta"):
            content = message["content"]
            text += content.get("text", "")
            reasoning += content.get("thinking", "")
        elif kind == "tool-plan-delta":
            reasoning += message["tool_plan"]
        elif kind == "tool-call-start":
            call = message["tool_calls"]
            calls[event["index"]] = {"id": call["id"], "name": call["function"]["name"], "arguments": ""}
            calls[event["index"]]["arguments"] += call["function"].get("arguments", "")
        elif kind == "tool-call-delta":
            calls[event["index"]]["arguments"] += message["tool_calls"]["function"]["arguments"]
        elif kind == "message-end":
            end = event["delta"]
    usage = end["usage"]
    prompt, completion = usage["tokens"]["input_tokens"], usage["tokens"]["output_tokens"]
    return {
        "id": "chatcmpl-" + events[0]["id"],
        "content": text or None,
        "reasoning": reasoning,
        "tool_calls": [dict(call, arguments=call["arguments"] or "{}") for call in calls.values()],
        "finish_reason": COHERE_FINISH[end["finish_reason"]],
        "native_finish_reason": end["finish_reason"],
        "usage": (prompt, completion, prompt + completion, usage.get("cached_tokens", 0)),
        "native_usage": usage,
    }


# -- what our output says -----------------------------------------------------------------------------------


def _observed(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    check_contract(chunks, usage=True)
    message = fold(chunks).choices[0]
    finish = next(c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
    usage = chunks[-1]["usage"]
    details: dict[int, dict[str, Any]] = {}
    server: dict[int, list[dict[str, Any]]] = {}
    reasoning = ""
    for chunk in chunks:
        delta = chunk["choices"][0]["delta"] if chunk["choices"] else {}
        reasoning += delta.get("reasoning_content", "")
        for entry in delta.get("reasoning_details", []):
            details.setdefault(entry["index"], {}).update({k: v for k, v in entry.items() if k not in ("text",)})
        for entry in delta.get("server_blocks", []):
            server.setdefault(entry["index"], []).append({k: v for k, v in entry.items() if k != "index"})
    return {
        "id": chunks[0]["id"],
        "content": message.message.content,
        "reasoning": reasoning,
        "signatures": [d["signature"] for d in details.values() if "signature" in d],
        "redacted": [d["data"] for d in details.values() if d["type"] == "reasoning.encrypted"],
        "tool_calls": [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in message.message.tool_calls or []
        ],
        "server": [part for parts in server.values() for part in parts],
        "finish_reason": message.finish_reason,
        "native_finish_reason": finish["native_finish_reason"],
        "usage": (
            usage["prompt_tokens"],
            usage["completion_tokens"],
            usage["total_tokens"],
            usage["prompt_tokens_details"]["cached_tokens"],
        ),
        "native_usage": usage["native_usage"],
    }


def _agree(observed: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        assert observed[key] == value, key


# -- Bedrock ------------------------------------------------------------------------------------------------


def _bedrock_output(pieces: list[bytes]) -> bytes:
    return b"".join(stream("bedrock", pieces, created=CREATED))


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_body_agrees_with_the_oracle(path: Path) -> None:
    chunks, done = parse_sse_output(_bedrock_output([path.read_bytes()]))
    assert done
    _agree(_observed(chunks), _expected_bedrock(_bedrock_events(path)))


@pytest.mark.parametrize("path", BEDROCK_RAW, ids=lambda p: p.stem)
def test_bedrock_body_cut_anywhere_gives_the_same_bytes(path: Path) -> None:
    body = path.read_bytes()
    whole = _bedrock_output([body])
    for cut in range(1, len(body)):
        assert _bedrock_output([body[:cut], body[cut:]]) == whole, cut
    assert _bedrock_output([body[i : i + 1] for i in range(len(body))]) == whole


@pytest.mark.parametrize("path", BEDROCK_RAW + BEDROCK_DECODED, ids=lambda p: p.name)
def test_bedrock_events_agree_with_the_oracle(path: Path) -> None:
    events = _bedrock_events(path)
    chunks = list(translate("bedrock", events, created=CREATED))
    _agree(_observed(chunks), _expected_bedrock(events))
    finish = next(c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
    stop = next(e["messageStop"] for e in events if "messageStop" in e)
    assert finish.get("additionalModelResponseFields") == stop.get("additionalModelResponseFields")


def test_bedrock_redacted_reasoning_is_kept_as_sent() -> None:
    redacted = [p for p in BEDROCK_RAW if "redacted" in p.name]
    for path in redacted:
        chunks, _ = parse_sse_output(_bedrock_output([path.read_bytes()]))
        data = _observed(chunks)["redacted"]
        assert len(data) == 2 and all(base64.b64decode(d, validate=True) for d in data)
    assert len(redacted) == (1 if REAL else 0)


# -- Cohere -------------------------------------------------------------------------------------------------


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in events)


@pytest.mark.parametrize("path", COHERE, ids=lambda p: p.stem)
def test_cohere_events_agree_with_the_oracle(path: Path) -> None:
    events = _lines(path)
    chunks = list(translate("cohere", events, created=CREATED))
    _agree(_observed(chunks), _expected_cohere(events))


@pytest.mark.parametrize("path", COHERE, ids=lambda p: p.stem)
def test_cohere_reframed_as_sse_gives_what_the_events_give(path: Path) -> None:
    events = _lines(path)
    body = _sse(events)
    out = b"".join(stream("cohere", [body], created=CREATED))
    chunks, done = parse_sse_output(out)
    assert done and chunks == list(translate("cohere", events, created=CREATED))
    step = max(1, len(body) // 97)
    assert b"".join(stream("cohere", [body[i : i + step] for i in range(0, len(body), step)], created=CREATED)) == out
