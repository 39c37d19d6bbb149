"""Property tests of the Cohere v2 chat translator over generated streams (see tests/cohere_strategies.py).

The spec is the mapping table in ``translators/providers/cohere.py``'s docstring; the oracle is the model
each generated stream carries (`CohereStream`), built while drawing, without the translator; the cohere
SDK's ``StreamedChatResponseV2`` says the generated events are Cohere's.

0. generated events validate as the cohere SDK's ``StreamedChatResponseV2``, and translate() of the SDK's
   objects equals translate() of the dicts.
1. contract: `check_contract` over translate() and stream() for complete, errored (ERROR / TIMEOUT) and
   truncated streams; [DONE] iff complete; the documented error event otherwise; identity and options.
2. fold equivalence: the openai fold of our output equals the model: content, reasoning (thinking and the
   tool plan), reasoning_details, tool calls (ids, names, arguments, ``"{}"`` for none), finish reason,
   usage (``tokens``, else ``billed_units``; cached tokens).
3. nothing lost: native finish reason, native usage, annotations (spans shifted into the content),
   logprobs.
4. split invariance: stream() output does not depend on how the body is cut, nor on its SSE formatting
   (``event:`` line or not, ``type`` in the JSON or only in the ``event:`` line), and equals translate()
   encoded.
5. a body cut anywhere before the end of message-end: an error event last, no [DONE], and before it a
   prefix of the complete output.
6. robustness: damaged bytes and junk values in any field: stream() ends in [DONE] or an error event,
   translate() raises nothing but TranslationError.
7. async: atranslate/astream equal translate/stream.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import Iterable
from typing import Any

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bedrock_strategies import flipped, put_junk
from tests.cohere_strategies import (
    FIELD_NAMES,
    CohereStream,
    cohere_pieces,
    cohere_streams,
    ended_cohere_streams,
    junk_values,
)
from tests.contract import acollect, aiter_of, check_async_equals_sync, check_contract, fold, outcome
from tests.strategies import mutated, splits, texts
from tests.test_properties import check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import astream, stream, translate
from translators.providers.cohere import FINISH_REASONS

PROVIDER = "cohere"
CREATED = 1_700_000_000

COHERE_FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length", "TOOL_CALL": "tool_calls"}
"""The documented finish_reason table (anything else but ERROR / TIMEOUT → "stop"), written out
independently of translators.providers.cohere.FINISH_REASONS."""
COHERE_ERRORS = {"ERROR": "api_error", "TIMEOUT": "timeout_error"}

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_translate(events: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
    return list(translate(PROVIDER, iter(events), created=CREATED, **options))


def run_stream(pieces: Iterable[bytes], **options: Any) -> bytes:
    return b"".join(stream(PROVIDER, iter(pieces), created=CREATED, **options))


def bodies(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0] for c in chunks if c.get("choices")]


def entries(chunks: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for body in bodies(chunks) for entry in body["delta"].get(name) or []]


def tokens(value: Any) -> int:
    """A count as the docstring reads it: a non-negative integer, or an integral float; else 0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


# -- 0. the generated events are Cohere's -------------------------------------------------------------


def sdk_events(events: list[dict[str, Any]]) -> list[Any]:
    from cohere import StreamedChatResponseV2

    adapter: Any = pydantic.TypeAdapter(StreamedChatResponseV2)
    return [adapter.validate_python(copy.deepcopy(event)) for event in events]


@examples(100)
@given(ended_cohere_streams())
def test_sdk_objects(model: CohereStream) -> None:
    """Every generated event validates as the SDK's ``StreamedChatResponseV2`` (the right member of the
    union, not a fallback), and the SDK's objects translate as the dicts do (the SDK holds counts as floats,
    equal to the integers)."""
    objects = sdk_events(model.events)
    for event, obj in zip(model.events, objects, strict=True):
        assert obj.type == event["type"]
    with time_limit():
        assert run_translate(objects) == run_translate(model.events)


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text"]),
        "strict": st.booleans(),  # every drawn event type is a known (or ignored) one
    },
)


@examples(150)
@given(st.data())
def test_contract(data: st.DataObject) -> None:
    model = data.draw(ended_cohere_streams(), label="stream")
    opts = data.draw(options, label="options")
    pieces = data.draw(cohere_pieces(model.events), label="wire")
    with time_limit():
        chunks = run_translate(model.events, **opts)
        out = run_stream(pieces, **opts)
    clean = model.ending == "complete"
    check_contract(chunks, usage=opts["include_usage"] if clean else None)
    payloads, done = check_stream_output(out, usage=opts["include_usage"] if clean else None)
    assert done == clean
    assert payloads == chunks
    if model.ending == "error":
        assert model.end is not None
        reason = model.end["finish_reason"]
        message = model.end.get("error")
        assert chunks[-1]["error"] == {
            "message": message if message else f"Cohere stream ended with {reason}",
            "type": COHERE_ERRORS[reason],
            "code": reason,
            "param": None,
            "native_error": model.end,
        }
    elif model.ending == "truncated":
        assert chunks[-1]["error"]["type"] == "upstream_truncated"
    for chunk in chunks:
        if "error" not in chunk:
            assert (chunk["id"], chunk["created"]) == (opts.get("id", "chatcmpl-" + model.id), CREATED)
            assert chunk["model"] == opts.get("model", "")
    field = opts.get("reasoning_field", "reasoning_content")
    other = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    for body in bodies(chunks):
        assert not other & set(body["delta"]), body["delta"]
    if clean:
        assert "".join(b["delta"].get(field, "") for b in bodies(chunks)) == model.reasoning


# -- 2. fold equivalence -----------------------------------------------------------------------------


@examples(150)
@given(cohere_streams())
def test_fold_equivalence(model: CohereStream) -> None:
    assert {reason: FINISH_REASONS.get(reason, "stop") for reason in COHERE_FINISH} == COHERE_FINISH
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
    assert model.finish_reason is not None
    assert choice.finish_reason == COHERE_FINISH.get(model.finish_reason, "stop")

    assert model.usage is not None
    counted = model.usage.get("tokens", model.usage["billed_units"])
    prompt, completion_tokens = tokens(counted["input_tokens"]), tokens(counted["output_tokens"])
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt, completion_tokens)
    assert usage.total_tokens == prompt + completion_tokens
    assert usage.prompt_tokens_details.cached_tokens == tokens(model.usage.get("cached_tokens"))


# -- 3. nothing lost ---------------------------------------------------------------------------------


@examples(150)
@given(cohere_streams())
def test_nothing_lost(model: CohereStream) -> None:
    with time_limit():
        chunks = run_translate(model.events)
    (finish,) = [b for b in bodies(chunks) if b["finish_reason"] is not None]
    assert finish["native_finish_reason"] == model.finish_reason
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["native_usage"] == model.usage
    assert entries(chunks, "annotations") == model.annotations
    content = "".join(b["delta"].get("content") or "" for b in bodies(chunks))
    for annotation in model.annotations:  # a text citation spans its text in the content
        if annotation["type"] in ("url_citation", "citation"):
            span = annotation.get("url_citation", annotation)
            assert content[span["start_index"] : span["end_index"]] == annotation["citation"]["text"]
    assert [b["native_logprobs"] for b in bodies(chunks) if "native_logprobs" in b] == model.logprobs


# -- 4. split invariance -----------------------------------------------------------------------------


@examples(120)
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    model = data.draw(ended_cohere_streams(), label="stream")
    pieces = data.draw(cohere_pieces(model.events), label="wire")
    named = data.draw(cohere_pieces(model.events, type_from_event=True), label="type only in event:")
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        assert run_stream(named) == whole, "the type from the event: line"
        assert whole == encode_chunks(run_translate(model.events))


# -- 5. a body cut anywhere ---------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_body_cut_anywhere_ends_in_an_error_event(data: st.DataObject) -> None:
    model = data.draw(cohere_streams(), label="stream")
    body = b"".join(data.draw(cohere_pieces(model.events), label="wire"))
    end = body.rindex(b"}") + 1  # message-end is complete (the end of input dispatches it) from here on
    kept = body[: data.draw(st.integers(0, end - 1), label="cut")]
    with time_limit():
        out = run_stream(data.draw(splits(kept), label="pieces"))
        complete, whole_done = check_stream_output(run_stream([body]))
    assert whole_done
    payloads, done = check_stream_output(out)
    assert not done and "error" in payloads[-1]
    assert payloads[:-1] == complete[: len(payloads) - 1], "what came before the cut is what a whole body gives"


# -- 6. robustness -----------------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_damaged_bodies(data: st.DataObject) -> None:
    model = data.draw(ended_cohere_streams(max_segments=3), label="stream")
    body = b"".join(data.draw(cohere_pieces(model.events), label="wire"))
    damaged = data.draw(st.one_of(flipped(body), mutated(body)), label="body")
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(cut)
        whole = run_stream([damaged])
        aout = b"".join(asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


def wire_of(events: list[Any]) -> list[bytes] | None:
    """Junk events as SSE (an ``event:`` line when the type is a string); None when one is not JSON."""
    pieces = []
    for event in events:
        try:
            text = json.dumps(event, allow_nan=False)
        except (TypeError, ValueError):
            return None
        kind = event.get("type") if isinstance(event, dict) else None
        name = f"event: {kind}\n" if isinstance(kind, str) and "\n" not in kind and "\r" not in kind else ""
        pieces.append(f"{name}data: {text}\n\n".encode())
    return pieces


@examples(150)
@given(st.data())
def test_junk_in_any_field(data: st.DataObject) -> None:
    events = copy.deepcopy(data.draw(ended_cohere_streams(max_segments=3), label="stream").events)
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        put_junk(data.draw, events, data.draw(junk_values, label="junk"), FIELD_NAMES)
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        outcome(run_translate, events, strict=strict, usage_adds_up=False)
        pieces = wire_of(events)
        if pieces is not None:
            check_stream_output(run_stream(pieces, strict=strict), usage_adds_up=False)


# -- 7. async twins ----------------------------------------------------------------------------------


@examples(60)
@given(st.data())
def test_async_equals_sync(data: st.DataObject) -> None:
    model = data.draw(ended_cohere_streams(), label="stream")
    cut = data.draw(splits(b"".join(data.draw(cohere_pieces(model.events), label="wire"))), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, model.events, cut, created=CREATED)
