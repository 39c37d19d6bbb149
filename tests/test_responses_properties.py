"""Property tests of the OpenAI Responses translator over generated streams (see tests/responses_strategies.py).

The spec is the mapping table in ``translators/providers/openai_responses.py``'s docstring; the oracle for what
a stream says is its own fold, the ``response`` object of its ``response.completed`` / ``.incomplete`` event
(generated consistently with the deltas, which `test_final_response_is_the_fold_of_the_deltas` checks with the
openai SDK's ``ResponseStreamState``), and the oracle for what our output says is the openai SDK's
``ChatCompletionStreamState`` (`tests.contract.fold`).

0. generated input is what the API sends: every event validates as the SDK's ``ResponseStreamEvent``.
1. contract: `check_contract` over translate() and stream() for complete, failed (``response.failed``, after an
   ``error`` event or not) and truncated streams; [DONE] iff complete; the error event carries the upstream
   message and code (also from the real recording's nested ``error`` shape); options (model, id,
   reasoning_field, include_usage) honoured.
2. split invariance: stream() output does not depend on how the body is cut, nor on its framing, and equals
   the encoding of translate().
3. fold equivalence: content, refusal, reasoning, tool calls, finish reason and usage of the openai fold of
   our output against the stream's final response.
4. nothing lost: encrypted reasoning, reasoning entries, built-in tool items, annotations (their spans moved
   into the choice's content), native usage and finish details.
5. the 2025-03 shape and the current shape of a stream give the same output.
6. robustness: damaged bytes, junk events, unknown event types: translate() raises only TranslationError,
   stream() never raises and ends in [DONE] or an error event, within a time limit; ``strict=True`` takes
   every valid stream as the default does and rejects the first unknown event type.
7. async: atranslate/astream equal translate/stream.

Translator bugs these properties found fail until fixed: `test_unhashable_json_values_are_bad_input` pins the
minimal inputs of the one `test_junk_events` finds (a JSON array or object used as a dict key: TypeError);
`test_strict_and_unknown_event_types` fails while ``strict=True`` rejects the documented
``response.reasoning_summary_part.added``.

``PROPERTIES_SCALE=N`` multiplies every test's example count (for a longer bug hunt).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import omit
from openai.lib.streaming.responses._responses import ResponseStreamState

from tests.contract import (
    acollect,
    aiter_of,
    check_async_equals_sync,
    check_contract,
    fold,
    outcome,
)
from tests.responses_strategies import (
    BUILT_IN_KINDS,
    ERROR_CODES,
    SDK_EVENT_TYPES,
    TERMINAL_EVENTS,
    UNKNOWN_EVENT_TYPES,
    ended_responses_streams,
    ending_of,
    junk_events,
    junk_values,
    responses_streams,
    responses_wire,
    sse_pieces,
    to_2025_03,
    validate_event,
)
from tests.strategies import mutated, splits, texts
from tests.test_properties import check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import TranslationError, astream, stream, translate
from translators.providers.openai_responses import INCOMPLETE_REASONS, SUMMARY_SEPARATOR

PROVIDER = "openai_responses"
CREATED = 1_700_000_000
REASONING_FORMAT = "openai-responses-v1"

RESPONSES_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}
"""The documented ``incomplete_details.reason`` → finish_reason table (any other reason → "length"), written
out independently of translators.providers.openai_responses.INCOMPLETE_REASONS."""

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""

Event = dict[str, Any]
Chunk = dict[str, Any]


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- helpers ------------------------------------------------------------------------------------------


def run_translate(events: Iterable[Any], **options: Any) -> list[Chunk]:
    return list(translate(PROVIDER, iter(events), created=CREATED, **options))


def run_stream(pieces: Iterable[bytes], **options: Any) -> bytes:
    return b"".join(stream(PROVIDER, iter(pieces), created=CREATED, **options))


def deltas(chunks: list[Chunk]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def entries(chunks: list[Chunk], name: str) -> list[dict[str, Any]]:
    return [entry for delta in deltas(chunks) for entry in delta.get(name) or []]


def finish_body(chunks: list[Chunk]) -> dict[str, Any]:
    (body,) = [c["choices"][0] for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"] is not None]
    return body


def final_response(events: list[Event]) -> dict[str, Any]:
    """The ``response`` of a complete stream's terminal event: the stream's own fold."""
    assert events[-1]["type"] in ("response.completed", "response.incomplete"), events[-1]["type"]
    return events[-1]["response"]


def items_of(response: dict[str, Any], *kinds: str) -> list[dict[str, Any]]:
    return [item for item in response["output"] if item["type"] in kinds]


def message_parts(response: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [part for item in items_of(response, "message") for part in item["content"] if part["type"] == kind]


def reasoning_texts(response: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(item id, "summary" | "text", text) of every reasoning summary part and reasoning_text part, in order."""
    out = []
    for item in items_of(response, "reasoning"):
        out += [(item["id"], "summary", part["text"]) for part in item["summary"]]
        out += [(item["id"], "text", part["text"]) for part in item.get("content") or []]
    return out


def expected_reasoning(response: dict[str, Any]) -> str:
    """The reasoning field's text: the non-empty summary / reasoning texts joined by SUMMARY_SEPARATOR."""
    return SUMMARY_SEPARATOR.join(text for _, _, text in reasoning_texts(response) if text)


def expected_finish(events: list[Event]) -> tuple[str, str]:
    """(finish_reason, native_finish_reason) of a complete stream."""
    response = final_response(events)
    if events[-1]["type"] == "response.incomplete":
        reason = response["incomplete_details"]["reason"]
        return RESPONSES_FINISH.get(reason, "length"), reason
    return ("tool_calls" if items_of(response, "function_call") else "stop"), response["status"]


def expected_usage(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        "prompt_tokens_details": {"cached_tokens": usage["input_tokens_details"]["cached_tokens"]},
        "completion_tokens_details": {"reasoning_tokens": usage["output_tokens_details"]["reasoning_tokens"]},
        "native_usage": usage,
    }


RESPONSES_ERROR_TYPES = {
    None: "api_error",
    "server_error": "api_error",
    "rate_limit_exceeded": "rate_limit_error",
    "invalid_prompt": "invalid_request_error",
    "vector_store_timeout": "timeout_error",
    "invalid_image": "invalid_request_error",
    "insufficient_quota": "billing_error",
    "context_length_exceeded": "invalid_request_error",
}
"""The error vocabulary (README "Errors") for the codes the strategies draw, apart from translators._http_errors."""


def expected_error(events: list[Event]) -> dict[str, Any]:
    """The error event a failed stream must end in (the fields the mapping table names)."""
    if ending_of(events) == "error":
        error = events[-2]
        native = {key: value for key, value in error.items() if key not in ("type", "sequence_number")}
        code = error["code"]
        return {
            "message": error["message"] or "stream error",
            "type": RESPONSES_ERROR_TYPES[code],
            "code": code or "api_error",
            "param": error["param"],
            "native_error": native,
        }
    error = events[-1]["response"]["error"]
    return {
        "message": error["message"] or "response failed",
        "type": RESPONSES_ERROR_TYPES[error["code"]],
        "code": error["code"],
        "param": None,
        "native_error": error,
    }


def created_response(events: list[Event]) -> dict[str, Any] | None:
    """The ``response.created`` response, when the translator saw it (before any error or failure)."""
    for event in events:
        if event["type"] == "response.created":
            return event["response"]
        if event["type"] in ("error", "response.failed"):
            return None
    return None


# -- 0. generated input is what the API sends ---------------------------------------------------------------


@examples(100)
@given(ended_responses_streams(shape="current"))
def test_generated_events_are_sdk_stream_events(events: list[Event]) -> None:
    """Every generated event validates with ``TypeAdapter(ResponseStreamEvent)`` as the model of its own type,
    with no key the SDK does not declare but ``obfuscation``, which is on exactly the ``*.delta`` events;
    ``sequence_number`` runs 0, 1, 2, …; ``output_index`` of the added items runs 0, 1, 2, …. The 2025-03
    shape lacks exactly ``sequence_number``, ``obfuscation`` and ``logprobs`` (which SDK 3.x requires on
    ``output_text`` events): filled back in, it validates too."""
    for position, event in enumerate(events):
        validate_event(event)
        assert event["sequence_number"] == position
        assert ("obfuscation" in event) == event["type"].endswith(".delta"), event["type"]
    added = [e["output_index"] for e in events if e["type"] == "response.output_item.added"]
    assert added == list(range(len(added)))
    for position, old in enumerate(to_2025_03(events)):
        assert not {"sequence_number", "obfuscation", "logprobs"} & set(old)
        restored = {**old, "sequence_number": position}
        if old["type"] in ("response.output_text.delta", "response.output_text.done"):
            restored["logprobs"] = []
        validate_event(restored)


def _sdk_snapshots(events: list[Event]) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    """Feed the events to the openai SDK's ``ResponseStreamState``: the last text snapshot of each output_text
    part and the last arguments snapshot of each function call, by output index (and content index)."""
    state: Any = ResponseStreamState(input_tools=omit, text_format=omit)
    texts_: dict[tuple[int, int], str] = {}
    arguments: dict[int, str] = {}
    for event in events:
        for out in state.handle_event(validate_event(event)):
            if out.type == "response.output_text.delta":
                texts_[(out.output_index, out.content_index)] = out.snapshot
            elif out.type == "response.function_call_arguments.delta":
                arguments[out.output_index] = out.snapshot
    return texts_, arguments


@examples(80)
@given(responses_streams())
def test_final_response_is_the_fold_of_the_deltas(events: list[Event]) -> None:
    """The oracle of the fold property is the stream's final ``response``; this checks that it says what the
    deltas say: the openai SDK's ``ResponseStreamState`` accumulates the same output_text and arguments (when
    no argument delta overtook its item, which the SDK cannot fold), and the summary, reasoning_text, refusal,
    argument and code deltas concatenate to their done parts (a call without deltas has its arguments whole
    in ``function_call_arguments.done``)."""
    response = final_response(events)
    outputs = response["output"]
    added: set[int] = set()
    streamed: set[int] = set()  # the function calls with argument deltas (others send their arguments whole)
    early = False
    for event in events:
        if event["type"] == "response.output_item.added":
            added.add(event["output_index"])
        elif event["type"] == "response.function_call_arguments.delta":
            streamed.add(event["output_index"])
            early = early or event["output_index"] not in added
    if not early:
        texts_, arguments = _sdk_snapshots(events)
        for index, item in enumerate(outputs):
            if item["type"] == "message":
                for part_index, part in enumerate(item["content"]):
                    if part["type"] == "output_text":
                        assert texts_.get((index, part_index), "") == part["text"]
            elif item["type"] == "function_call" and index in streamed:
                assert arguments[index] == item["arguments"]
    folded: dict[tuple[str, int, int], str] = {}
    for event in events:
        kind = event["type"]
        if kind.endswith(".delta"):
            part = event.get("summary_index", event.get("content_index", 0))
            key = (kind, event["output_index"], part)
            folded[key] = folded.get(key, "") + event["delta"]
    for index, item in enumerate(outputs):
        for part_index, part in enumerate(item.get("summary") or []):
            assert folded.get(("response.reasoning_summary_text.delta", index, part_index), "") == part["text"]
        for part_index, part in enumerate(item.get("content") or []):
            delta_kind = {
                "output_text": "response.output_text.delta",
                "refusal": "response.refusal.delta",
                "reasoning_text": "response.reasoning_text.delta",
            }[part["type"]]
            assert folded.get((delta_kind, index, part_index), "") == part.get("text", part.get("refusal"))
        if item["type"] == "mcp_call" or index in streamed:
            kind = "mcp_call_arguments" if item["type"] == "mcp_call" else "function_call_arguments"
            assert folded.get((f"response.{kind}.delta", index, 0), "") == item["arguments"]
        if item["type"] == "function_call":
            (final,) = [
                e["arguments"]
                for e in events
                if e["type"] == "response.function_call_arguments.done" and e["output_index"] == index
            ]
            assert final == item["arguments"]
        if item["type"] == "code_interpreter_call":
            assert folded.get(("response.code_interpreter_call_code.delta", index, 0), "") == item["code"]


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text", "reasoning_content"]),
    },
)


@examples(120)
@given(st.data())
def test_contract(data: st.DataObject) -> None:
    """translate() and stream() keep the output contract; a complete stream ends in [DONE] (with the usage
    chunk iff include_usage), a failed one in an error event with the upstream message and code and no
    [DONE], a truncated one (cut after any event) in an ``upstream_truncated`` error event; every chunk has
    the head of ``response.created`` (or the options') and the upstream ``service_tier``."""
    events = data.draw(ended_responses_streams(), label="events")
    pieces = data.draw(responses_wire(events), label="wire")
    opts = data.draw(options, label="options")
    with time_limit():
        chunks = run_translate(events, **opts)
        out = run_stream(pieces, **opts)
    ending = ending_of(events)
    complete = ending in ("completed", "incomplete")
    check_contract(chunks, usage=opts["include_usage"] if complete else None)
    payloads, done = check_stream_output(out, usage=opts["include_usage"] if complete else None)
    assert done == complete, f"{ending} stream: [DONE] {done}"
    assert payloads == chunks

    if complete:
        assert "error" not in chunks[-1]
    elif ending == "truncated":
        assert chunks[-1]["error"]["type"] == "upstream_truncated"
    else:
        assert chunks[-1]["error"] == expected_error(events)

    head = created_response(events)
    field = opts.get("reasoning_field", "reasoning_content")
    others = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    for chunk in chunks:
        if "error" in chunk:
            continue
        assert head is not None
        default_id = f"chatcmpl-{head['id']}" if head["id"] else f"chatcmpl-openai_responses-{CREATED}"
        assert chunk["id"] == opts.get("id", default_id)
        assert chunk["model"] == opts.get("model", head["model"])
        assert chunk["created"] == CREATED
        assert chunk.get("service_tier") == head["service_tier"]
        for body in chunk["choices"]:
            assert not others & set(body["delta"]), body["delta"]


@examples(40)
@given(ended_responses_streams(), st.sampled_from(ERROR_CODES))
def test_nested_error_event_shape(events: list[Event], code: str) -> None:
    """The real ``error`` event (error-insufficient-quota-then-failed.jsonl, openai/openai-dotnet#881) nests
    ``{type, code, message, param}`` under ``"error"`` instead of the documented flat fields: it ends the
    output in an error event with that message and code, the type its code means (README "Errors"), keeping the
    nested object as native_error."""
    kept = [e for e in events if e["type"] not in ("error", "response.failed")]
    cut = kept[: len(kept) // 2] if ending_of(events) in ("completed", "incomplete") else kept
    cut = [e for e in cut if e["type"] not in TERMINAL_EVENTS]
    nested = {"type": code, "code": code, "message": "You exceeded your current quota", "param": None}
    tail = [{"type": "error", "error": nested}, {"type": "response.failed", "response": {"status": "failed"}}]
    with time_limit():
        chunks = run_translate([*cut, *tail])
        payloads, done = check_stream_output(run_stream(sse_pieces([*cut, *tail])))
    check_contract(chunks)
    assert not done and payloads == chunks
    assert chunks[-1]["error"] == {**nested, "type": RESPONSES_ERROR_TYPES[code], "native_error": nested}


# -- 2. split invariance -----------------------------------------------------------------------------


@examples(100)
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    """Any cutting of the body gives the same bytes as the whole body, as one piece per event, and as the
    other framing (named events / data-only); and that is translate()'s chunks encoded with
    ``translators.sse.encode_json``, plus ``data: [DONE]`` when the stream completed."""
    events = data.draw(ended_responses_streams(), label="events")
    ascii_only = data.draw(st.booleans(), label="ascii")
    named = sse_pieces(events, ensure_ascii=ascii_only)
    data_only = sse_pieces(events, ensure_ascii=ascii_only, named=False)
    pieces = data.draw(st.sampled_from([named, data_only]), label="framing")
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        assert run_stream(data_only if pieces is named else named) == whole, "the two framings differ"
        chunks = run_translate(events)
    assert whole == encode_chunks(chunks)
    assert whole.endswith(b"data: [DONE]\n\n") == (ending_of(events) in ("completed", "incomplete"))


# -- 3. fold equivalence -----------------------------------------------------------------------------


@examples(120)
@given(responses_streams())
def test_fold_equivalence(events: list[Event]) -> None:
    """The openai SDK's fold of our output (``ChatCompletionStreamState`` over ``ChatCompletionChunk``s) says
    what the stream's final response says: content = the output_text of the message items, refusal, reasoning
    = the summary / reasoning texts joined by SUMMARY_SEPARATOR, the function calls (call_id, name,
    arguments) in order with tool indexes counting function calls only, the finish reason (tool_calls iff a
    function call; length / content_filter for incomplete) and the usage mapping."""
    assert dict(INCOMPLETE_REASONS) == RESPONSES_FINISH
    response = final_response(events)
    with time_limit():
        chunks = run_translate(events)
    check_contract(chunks, usage=True)
    folded = fold(chunks)
    assert [choice.index for choice in folded.choices] == [0]
    choice = folded.choices[0]
    message = choice.message

    assert (message.content or "") == "".join(part["text"] for part in message_parts(response, "output_text"))
    assert (message.refusal or "") == "".join(part["refusal"] for part in message_parts(response, "refusal"))
    assert (getattr(message, "reasoning_content", None) or "") == expected_reasoning(response)

    calls = items_of(response, "function_call")
    assert [(c.id, c.type, c.function.name, c.function.arguments) for c in message.tool_calls or []] == [
        (call["call_id"], "function", call["name"], call["arguments"]) for call in calls
    ]
    starts = [call for delta in deltas(chunks) for call in delta.get("tool_calls") or [] if "id" in call]
    assert [call["index"] for call in starts] == list(range(len(calls)))

    finish, native = expected_finish(events)
    assert choice.finish_reason == finish
    assert finish_body(chunks)["native_finish_reason"] == native

    usage = response["usage"]
    assert folded.usage is not None
    assert folded.usage.prompt_tokens == usage["input_tokens"]
    assert folded.usage.completion_tokens == usage["output_tokens"]
    assert folded.usage.total_tokens == usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"]
    assert folded.usage.prompt_tokens_details.cached_tokens == usage["input_tokens_details"]["cached_tokens"]
    reasoning_tokens = usage["output_tokens_details"]["reasoning_tokens"]
    assert folded.usage.completion_tokens_details.reasoning_tokens == reasoning_tokens
    assert chunks[-1]["usage"] == expected_usage(usage)


# -- 4. nothing lost ---------------------------------------------------------------------------------


def _merged(details: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """reasoning_details fragments merged per entry index (strings concatenated, as the openai fold does)."""
    merged: dict[int, dict[str, Any]] = {}
    for detail in details:
        entry = merged.setdefault(detail["index"], {})
        for key, value in detail.items():
            if key in ("summary", "text", "data") and key in entry:
                entry[key] += value
            elif key not in entry:
                entry[key] = value
            else:
                assert entry[key] == value, (key, entry[key], value)
    return merged


@examples(120)
@given(responses_streams())
def test_nothing_lost(events: list[Event]) -> None:
    """Encrypted reasoning → a ``reasoning.encrypted`` entry with the done item's data and id; every summary /
    reasoning text → its own ``reasoning.summary`` / ``reasoning.text`` entry with the item's id; built-in tool
    items → ``server_blocks`` entries equal to the done items; annotations → entries in stream order, a
    url_citation's span selecting in our content the text it selects in its part; usage → native_usage; an
    incomplete response's details on the finish chunk."""
    response = final_response(events)
    with time_limit():
        chunks = run_translate(events)
    content = "".join(delta.get("content") or "" for delta in deltas(chunks))

    merged = _merged(entries(chunks, "reasoning_details"))
    assert sorted(merged) == list(range(len(merged)))
    got_encrypted = [
        (e["data"], e.get("id"), e["format"]) for e in merged.values() if e["type"] == "reasoning.encrypted"
    ]
    assert got_encrypted == [
        (item["encrypted_content"], item["id"], REASONING_FORMAT)
        for item in items_of(response, "reasoning")
        if item.get("encrypted_content")
    ]
    got_texts = [
        (
            e.get("id"),
            e["type"].removeprefix("reasoning."),
            e["summary" if e["type"] == "reasoning.summary" else "text"],
        )
        for e in merged.values()
        if e["type"] != "reasoning.encrypted"
    ]
    assert all(e["format"] == REASONING_FORMAT for e in merged.values())
    expected_texts = []
    for item_id, kind, text in reasoning_texts(response):
        if text:
            expected_texts.append((item_id, kind, (SUMMARY_SEPARATOR if expected_texts else "") + text))
    assert got_texts == expected_texts

    assert entries(chunks, "server_blocks") == [
        {"index": n, **item} for n, item in enumerate(items_of(response, *BUILT_IN_KINDS))
    ]

    annotated = [
        (event["annotation"], part["text"])
        for event in events
        if event["type"] == "response.output_text.annotation.added"
        for part in [response["output"][event["output_index"]]["content"][event["content_index"]]]
    ]
    annotations = entries(chunks, "annotations")
    assert [entry["index"] for entry in annotations] == list(range(len(annotated)))
    for entry, (annotation, part_text) in zip(annotations, annotated, strict=True):
        if annotation["type"] == "url_citation":
            citation = entry["url_citation"]
            assert entry["type"] == "url_citation"
            assert (citation["url"], citation["title"]) == (annotation["url"], annotation["title"])
            start, end = annotation["start_index"], annotation["end_index"]
            assert content[citation["start_index"] : citation["end_index"]] == part_text[start:end]
            assert citation["end_index"] - citation["start_index"] == end - start
        else:
            assert entry == {**annotation, "index": entry["index"], "native_index": annotation["index"]}

    assert [c["usage"]["native_usage"] for c in chunks if "usage" in c] == [response["usage"]]
    body = finish_body(chunks)
    if events[-1]["type"] == "response.incomplete":
        assert body["incomplete_details"] == response["incomplete_details"]


# -- 5. old and new shapes ---------------------------------------------------------------------------


@examples(80)
@given(st.data())
def test_old_and_new_shapes_give_the_same_output(data: st.DataObject) -> None:
    """The 2025-03 shape (no ``sequence_number``, ``obfuscation`` or ``logprobs``) of a stream gives exactly
    what its current shape gives, from translate() and over the wire."""
    events = data.draw(ended_responses_streams(shape="current"), label="events")
    old = to_2025_03(events)
    ascii_only = data.draw(st.booleans(), label="ascii")
    with time_limit():
        assert run_translate(old) == run_translate(events)
        assert run_stream(sse_pieces(old, ensure_ascii=ascii_only)) == run_stream(
            sse_pieces(events, ensure_ascii=ascii_only)
        )


# -- 6. robustness -----------------------------------------------------------------------------------


def wire_of(events: list[Any]) -> list[bytes] | None:
    """Events (any JSON values) as data-only SSE, or None when one is not JSON."""
    try:
        return [b"data: " + json.dumps(e, allow_nan=False).encode() + b"\n\n" for e in events]
    except (TypeError, ValueError):
        return None


@examples(100)
@given(st.data())
def test_damaged_bodies(data: st.DataObject) -> None:
    """Garbled, deleted, duplicated bytes or a body cut anywhere: stream() never raises, its output keeps the
    contract and ends in [DONE] or an error event, however the reads cut it (the error message may name
    another byte offset), and astream() gives the same bytes."""
    events = data.draw(ended_responses_streams(max_items=3), label="events")
    body = b"".join(data.draw(responses_wire(events), label="wire"))
    damaged = data.draw(
        st.one_of(mutated(body), st.integers(0, len(body)).map(lambda n: body[:n]), st.binary(max_size=200)),
        label="body",
    )
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(cut)
        whole = run_stream([damaged])
        aout = b"".join(asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


def _insert_junk(draw: Any, events: list[Any], junk: Any) -> None:
    """Put ``junk`` where an event, a field of an event, or a field of an item, part or annotation goes."""
    dicts = [e for e in events if isinstance(e, dict)]
    nested = [
        value
        for e in dicts
        for key in ("item", "part", "annotation", "response")
        for value in [e.get(key)]
        if isinstance(value, dict)
    ]
    where = draw(st.sampled_from(["event", "field", "nested"]))
    if where == "field" and dicts:
        target = draw(st.sampled_from(dicts))
        fields = [
            "item_id",
            "output_index",
            "content_index",
            "summary_index",
            "delta",
            "item",
            "annotation",
            "response",
        ]
        target[draw(st.sampled_from([*target, *fields]))] = junk
    elif where == "nested" and nested:
        target = draw(st.sampled_from(nested))
        fields = ["id", "type", "call_id", "name", "arguments", "encrypted_content", "start_index", "usage", "error"]
        target[draw(st.sampled_from([*target, *fields]))] = junk
    else:
        events.insert(draw(st.integers(0, len(events))), junk)


@examples(150)
@given(st.data())
def test_junk_events(data: st.DataObject) -> None:
    """Junk events (known and unknown types, fields of random types) and junk in the fields of valid events:
    translate() ends or raises TranslationError, never another exception; stream() of the same events ends in
    [DONE] or an error event and never raises; both within the time limit."""
    events = copy.deepcopy(data.draw(ended_responses_streams(max_items=3), label="events"))
    for _ in range(data.draw(st.integers(1, 4), label="how many")):
        junk = data.draw(st.one_of(junk_events(), junk_values), label="junk")
        _insert_junk(data.draw, events, junk)
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        outcome(run_translate, events, strict=strict, usage_adds_up=False)
        wire = wire_of(events)
        if wire is not None:
            check_stream_output(run_stream(wire, strict=strict), usage_adds_up=False)


_CREATED: Event = {"type": "response.created", "response": {"id": "r", "model": "m", "created_at": 1}}
_CALL: Event = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}
UNHASHABLE_CASES: dict[str, list[Event]] = {
    "type": [{"type": []}],
    "type after created": [_CREATED, {"type": {}}],
    "content_part.added item_id": [
        _CREATED,
        {"type": "response.content_part.added", "item_id": [], "output_index": 0, "content_index": 0},
    ],
    "annotation.added content_index": [
        _CREATED,
        {
            "type": "response.output_text.annotation.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": {},
            "annotation": {"type": "url_citation", "start_index": 0, "end_index": 0, "url": "u", "title": "t"},
        },
    ],
    "arguments.delta output_index": [
        _CREATED,
        {"type": "response.function_call_arguments.delta", "output_index": [], "delta": "{"},
    ],
    "arguments.done output_index": [
        _CREATED,
        {"type": "response.function_call_arguments.done", "output_index": [], "arguments": "{}"},
    ],
    "output_item.added output_index": [
        _CREATED,
        {"type": "response.output_item.added", "output_index": [], "item": _CALL},
    ],
    "output_item.added item id": [
        _CREATED,
        {"type": "response.function_call_arguments.delta", "item_id": "fc_2", "output_index": 1, "delta": "{"},
        {"type": "response.output_item.added", "output_index": 0, "item": {**_CALL, "id": []}},
    ],
}


@pytest.mark.parametrize("events", list(UNHASHABLE_CASES.values()), ids=list(UNHASHABLE_CASES))
def test_unhashable_json_values_are_bad_input(events: list[Event]) -> None:
    """Found by `test_junk_events`: a JSON array or object (unhashable in Python) where the translator uses a
    value as a dict or set key (``type``, ``item_id``, ``output_index``, ``content_index``, a call item's
    ``id``) raised TypeError from translate() and from stream(), instead of TranslationError / an error
    event."""
    with time_limit():
        outcome(run_translate, events, usage_adds_up=False)
        wire = wire_of(events)
        assert wire is not None
        check_stream_output(run_stream(wire))


@examples(100)
@given(st.data())
def test_strict_and_unknown_event_types(data: st.DataObject) -> None:
    """Every event a valid stream holds is an event type of the API: ``strict=True`` gives exactly the default
    output for it. With event types no API version sends inserted anywhere, the default ignores them (same
    output as without them), and ``strict=True`` raises TranslationError naming the first one read."""
    events = data.draw(ended_responses_streams(max_items=4), label="events")
    with time_limit():
        plain = run_translate(events)
        assert run_translate(events, strict=True) == plain, "strict rejected a valid stream"
    mixed = copy.deepcopy(events)
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        kind = data.draw(st.sampled_from(UNKNOWN_EVENT_TYPES), label="type")
        unknown = {
            "type": kind,
            **data.draw(
                st.dictionaries(st.sampled_from(["item_id", "output_index", "delta"]), junk_values, max_size=2)
            ),
        }
        mixed.insert(data.draw(st.integers(0, len(mixed)), label="at"), unknown)
    with time_limit():
        assert run_translate(mixed) == plain
        read = _read_until_terminal(mixed)
        first = next((e["type"] for e in read if e["type"] not in SDK_EVENT_TYPES), None)
        if first is None:  # the unknown events all came after the terminal event: never read
            assert run_translate(mixed, strict=True) == plain
        else:
            with pytest.raises(TranslationError, match=f"unknown event type {re.escape(repr(first))}"):
                run_translate(mixed, strict=True)
            payloads, done = check_stream_output(run_stream(sse_pieces(mixed), strict=True))
            assert not done and payloads[-1]["error"]["type"] == "translation_error"


def _read_until_terminal(events: list[Event]) -> list[Event]:
    """The events translate() reads: up to the terminal event, or the first ``error`` event."""
    read = []
    for event in events:
        read.append(event)
        if event["type"] in ("response.completed", "response.incomplete", "response.failed", "error"):
            break
    return read


# -- 7. async twins ----------------------------------------------------------------------------------


@examples(50)
@given(st.data())
def test_async_equals_sync(data: st.DataObject) -> None:
    """atranslate/astream give exactly what translate/stream give, for the same events and byte pieces."""
    events = data.draw(ended_responses_streams(), label="events")
    pieces = data.draw(responses_wire(events), label="wire")
    cut = data.draw(splits(b"".join(pieces)), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, events, cut, created=CREATED)
