"""Property tests of the Bedrock ConverseStream translator over generated streams (see tests/bedrock_strategies.py).

The spec is the mapping table in ``translators/providers/bedrock.py``'s docstring; the oracle is the model
each generated stream carries (`BedrockStream`: text, reasoning and its details, tool calls, server blocks,
images, annotations, stop reason, metadata), built while drawing, without the translator. botocore's own
reading of the generated bodies (the bedrock-runtime service model) says they are ConverseStream events.

0. generated bodies are what Bedrock sends: botocore parses every message into the event we drew (less
   the ``"p"`` padding and members its model lacks), and translate() of botocore's events (blobs as bytes)
   equals translate() of ours.
1. contract: `check_contract` over translate() and stream() for complete, excepted and truncated streams;
   [DONE] iff complete; the documented error event otherwise; identity and options honoured.
2. fold equivalence: the openai fold of our output equals the model: content, reasoning, reasoning_details
   (signatures, redacted data), tool calls (ids, names, arguments, ``"{}"`` for no input), finish reason,
   usage (prompt = input + cache read + cache write).
3. nothing lost: native finish reason, additionalModelResponseFields, metadata extras, native usage,
   annotations, server blocks and images, as the docstring says.
4. split invariance: stream() output does not depend on how the body is cut (1-byte reads included), and
   equals translate() encoded.
5. a body cut anywhere before its end: an error event last, no [DONE], and before it a prefix of the
   complete output.
6. robustness: damaged bytes and junk values in any field: stream() ends in [DONE] or an error event,
   translate() raises nothing but TranslationError, all within a time limit.
7. async: atranslate/astream equal translate/stream.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import os
from collections.abc import Iterable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bedrock_strategies import (
    FIELD_NAMES,
    BedrockStream,
    bedrock_pieces,
    bedrock_streams,
    ended_bedrock_streams,
    flipped,
    junk_values,
    put_junk,
)
from tests.contract import acollect, aiter_of, check_async_equals_sync, check_contract, fold, outcome
from tests.strategies import mutated, splits, texts
from tests.test_properties import check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import astream, stream, translate
from translators.providers.bedrock import FINISH_REASONS

PROVIDER = "bedrock"
CREATED = 1_700_000_000
DEFAULT_ID = f"chatcmpl-bedrock-{CREATED}"

BEDROCK_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}
"""The documented stopReason → finish_reason table (anything else → "stop"), written out independently of
translators.providers.bedrock.FINISH_REASONS."""
METADATA_EXTRAS = ("metrics", "trace", "performanceConfig", "serviceTier")

STREAM_ERROR_TYPES = {
    "internalServerException": "api_error",
    "modelStreamErrorException": "api_error",
    "validationException": "invalid_request_error",
    "throttlingException": "rate_limit_error",
    "serviceUnavailableException": "overloaded_error",
}
ORIGINAL_STATUS_TYPES = {400: "invalid_request_error", 424: "api_error", 500: "api_error"}
"""The error vocabulary (README "Errors"): a stream exception's type, or the model's original status's."""

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_translate(events: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
    return list(translate(PROVIDER, iter(events), created=CREATED, **options))


def run_stream(pieces: Iterable[bytes], **options: Any) -> bytes:
    return b"".join(stream(PROVIDER, iter(pieces), created=CREATED, **options))


def body_of(model: BedrockStream) -> list[bytes]:
    pieces = bedrock_pieces(model.events)
    assert pieces is not None
    return pieces


def bodies(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0] for c in chunks if c.get("choices")]


def entries(chunks: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for body in bodies(chunks) for entry in body["delta"].get(name) or []]


def finish_body(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    (body,) = [b for b in bodies(chunks) if b["finish_reason"] is not None]
    return body


def without_native_error(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunks with the error event's ``native_error`` dropped: stream() reads an exception message with
    its headers, which a dict given to translate() does not have."""
    out = copy.deepcopy(chunks)
    for chunk in out:
        if "error" in chunk:
            chunk["error"].pop("native_error", None)
    return out


# -- 0. the generated bodies are ConverseStream bodies ----------------------------------------------------


@functools.cache
def converse_stream_shape() -> Any:
    """The ``stream`` member of botocore's ConverseStream output shape (the event union)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return model.operation_model("ConverseStream").output_shape.members["stream"]


def botocore_events(body: bytes) -> tuple[list[dict[str, Any]], Exception | None]:
    """botocore's reading of a ConverseStream body (as boto3's ``converse_stream()["stream"]`` yields it)."""
    from botocore.eventstream import EventStream
    from botocore.exceptions import EventStreamError
    from botocore.parsers import EventStreamJSONParser

    class Raw:
        def stream(self) -> Iterable[bytes]:
            yield body

        def close(self) -> None:
            pass

    events: list[dict[str, Any]] = []
    try:
        events.extend(EventStream(Raw(), converse_stream_shape(), EventStreamJSONParser(), "ConverseStream"))
    except EventStreamError as exc:
        return events, exc
    return events, None


def covers(ours: Any, theirs: Any, shape: Any, path: str = "$") -> None:
    """botocore's value ``theirs`` of ``shape`` is our drawn value ``ours``: every member the installed model
    knows is there with our value (blobs decoded); what it does not know (the ``"p"`` padding, members newer
    than the model) is left out."""
    if getattr(shape, "is_document_type", False):
        assert ours == theirs, path
    elif shape.type_name == "blob":
        assert isinstance(ours, str) and base64.b64decode(ours) == theirs, path
    elif shape.type_name == "structure":
        assert isinstance(ours, dict) and isinstance(theirs, dict), path
        assert set(theirs) == set(ours) & set(shape.members), (path, set(ours) ^ set(theirs))
        for key, value in theirs.items():
            covers(ours[key], value, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for n, (mine, value) in enumerate(zip(ours, theirs, strict=True)):
            covers(mine, value, shape.member, f"{path}[{n}]")
    elif shape.type_name == "map":
        assert isinstance(ours, dict) and set(ours) == set(theirs), path
        for key, value in theirs.items():
            covers(ours[key], value, shape.value, f"{path}.{key}")
    else:
        assert ours == theirs and type(ours) is type(theirs), path


@examples(100)
@given(ended_bedrock_streams())
def test_generated_bodies_are_converse_streams(model: BedrockStream) -> None:
    theirs, error = botocore_events(b"".join(body_of(model)))
    ours = model.events[:-1] if model.ending == "error" else model.events
    assert len(theirs) == len(ours)
    for mine, event in zip(ours, theirs, strict=True):
        covers(mine, event, converse_stream_shape())
    if model.ending == "error":
        assert model.error is not None and error is not None
        assert error.response["Error"] == {"Code": model.error["type"], "Message": model.error["message"]}
    else:
        assert error is None
    if model.ending == "complete":  # boto3's events (bytes blobs, no padding) translate as ours do
        from_boto = run_translate(theirs)
        from_ours = run_translate(model.events)
        for chunk in (*from_boto, *from_ours):
            chunk.get("usage", {}).pop("native_usage", None)
        assert from_boto == from_ours


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text"]),
        "strict": st.booleans(),  # every drawn event type and delta kind is a known one
    },
)


@examples(150)
@given(model=ended_bedrock_streams(), opts=options)
def test_contract(model: BedrockStream, opts: dict[str, Any]) -> None:
    with time_limit():
        chunks = run_translate(model.events, **opts)
        out = run_stream(body_of(model), **opts)
    clean = model.ending == "complete"
    check_contract(chunks, usage=opts["include_usage"] if clean else None)
    payloads, done = check_stream_output(out, usage=opts["include_usage"] if clean else None)
    assert done == clean
    assert without_native_error(payloads) == without_native_error(chunks)
    if model.ending == "error":
        assert model.error is not None
        error = chunks[-1]["error"]
        name = model.error["type"]
        kind = ORIGINAL_STATUS_TYPES.get(model.error.get("originalStatusCode"), STREAM_ERROR_TYPES[name])
        assert (error["type"], error["code"]) == (kind, name[0].upper() + name[1:])
        assert error["message"] == (model.error["message"] or "Bedrock stream error")
        (given,) = model.events[-1].values()
        assert error["native_error"] == given
        read = dict(payloads[-1]["error"]["native_error"])  # the message as the event-stream decoder reads it
        assert read.pop("headers")[":exception-type"] == model.error["type"]
        assert read == model.error
    elif model.ending == "truncated":
        assert chunks[-1]["error"]["type"] == "upstream_truncated"
    for chunk in chunks:
        if "error" not in chunk:
            assert (chunk["id"], chunk["created"]) == (opts.get("id", DEFAULT_ID), CREATED)
            assert chunk["model"] == opts.get("model", "")
    field = opts.get("reasoning_field", "reasoning_content")
    other = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    for body in bodies(chunks):
        assert not other & set(body["delta"]), body["delta"]
    if model.reasoning and clean:
        assert "".join(b["delta"].get(field, "") for b in bodies(chunks)) == model.reasoning


# -- 2. fold equivalence -----------------------------------------------------------------------------


@examples(150)
@given(bedrock_streams())
def test_fold_equivalence(model: BedrockStream) -> None:
    assert {reason: FINISH_REASONS.get(reason, "stop") for reason in BEDROCK_FINISH} == BEDROCK_FINISH
    with time_limit():
        chunks = run_translate(model.events)
    completion = fold(chunks)
    (choice,) = completion.choices
    message = choice.message
    extra = message.model_extra or {}
    assert (message.content or "") == model.content
    assert (extra.get("reasoning_content") or "") == model.reasoning
    assert (extra.get("reasoning_details") or []) == model.details
    calls = [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls or []]
    assert calls == model.tool_calls
    assert choice.finish_reason == BEDROCK_FINISH[model.stop_reason]

    assert model.metadata is not None
    native = model.metadata["usage"]
    cache_read, cache_write = native.get("cacheReadInputTokens", 0), native.get("cacheWriteInputTokens", 0)
    prompt = native["inputTokens"] + cache_read + cache_write
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt, native["outputTokens"])
    assert usage.total_tokens == prompt + native["outputTokens"]
    assert usage.prompt_tokens_details.cached_tokens == cache_read
    assert usage.prompt_tokens_details.cache_write_tokens == cache_write


# -- 3. nothing lost ---------------------------------------------------------------------------------


@examples(150)
@given(bedrock_streams())
def test_nothing_lost(model: BedrockStream) -> None:
    with time_limit():
        chunks = run_translate(model.events)
    body = finish_body(chunks)
    assert body["native_finish_reason"] == model.stop_reason
    assert body.get("additionalModelResponseFields") == model.additional
    assert model.metadata is not None
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["native_usage"] == model.metadata["usage"]
    for key in METADATA_EXTRAS:
        assert usage_chunk.get(key) == model.metadata.get(key), key
    assert entries(chunks, "annotations") == model.annotations
    assert entries(chunks, "server_blocks") == model.server_blocks
    assert [image["image_url"]["url"] for image in entries(chunks, "images")] == model.images
    assert [image["index"] for image in entries(chunks, "images")] == list(range(len(model.images)))
    for annotation in model.annotations:  # the span is the cited block's text in the content
        span = annotation.get("url_citation", annotation)
        assert 0 <= span["start_index"] <= span["end_index"] <= len(model.content)


# -- 4. split invariance -----------------------------------------------------------------------------


@examples(120)
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    model = data.draw(ended_bedrock_streams(), label="stream")
    pieces = body_of(model)
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        if len(body) <= 6000:
            assert run_stream([body[i : i + 1] for i in range(len(body))]) == whole
        chunks = run_translate(model.events)
    if model.ending == "error":
        payloads, _ = check_stream_output(whole)
        assert without_native_error(payloads) == without_native_error(chunks)
    else:
        assert whole == encode_chunks(chunks)


# -- 5. a body cut anywhere ---------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_body_cut_anywhere_ends_in_an_error_event(data: st.DataObject) -> None:
    model = data.draw(bedrock_streams(), label="stream")
    body = b"".join(body_of(model))
    kept = body[: data.draw(st.integers(0, len(body) - 1), label="cut")]
    with time_limit():
        out = run_stream(data.draw(splits(kept), label="pieces"))
        complete, _ = parse_complete(run_stream([body]))
    payloads, done = check_stream_output(out)
    assert not done and "error" in payloads[-1]
    assert payloads[:-1] == complete[: len(payloads) - 1], "what came before the cut is what a whole body gives"


def parse_complete(out: bytes) -> tuple[list[dict[str, Any]], bool]:
    payloads, done = check_stream_output(out)
    assert done
    return payloads, done


# -- 6. robustness -----------------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_damaged_bodies(data: st.DataObject) -> None:
    model = data.draw(ended_bedrock_streams(max_blocks=3), label="stream")
    body = b"".join(body_of(model))
    damaged = data.draw(st.one_of(flipped(body), mutated(body)), label="body")
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(cut)
        whole = run_stream([damaged])
        aout = b"".join(asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


@examples(150)
@given(st.data())
def test_junk_in_any_field(data: st.DataObject) -> None:
    events = copy.deepcopy(data.draw(ended_bedrock_streams(max_blocks=3), label="stream").events)
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        put_junk(data.draw, events, data.draw(junk_values, label="junk"), FIELD_NAMES)
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        outcome(run_translate, events, strict=strict, usage_adds_up=False)
        pieces = bedrock_pieces(events)
        if pieces is not None:
            check_stream_output(run_stream(pieces, strict=strict), usage_adds_up=False)


# -- 7. async twins ----------------------------------------------------------------------------------


@examples(60)
@given(st.data())
def test_async_equals_sync(data: st.DataObject) -> None:
    model = data.draw(ended_bedrock_streams(), label="stream")
    cut = data.draw(splits(b"".join(body_of(model))), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, model.events, cut, created=CREATED)
