"""Property tests of the Ollama translator over generated streams (see tests/ollama_strategies.py).

The spec is the mapping table in ``translators/providers/ollama.py``'s docstring; the oracle is the model
each generated stream carries (`OllamaStream`), built while drawing, without the translator; the ollama
SDK's ``ChatResponse`` / ``GenerateResponse`` say the generated objects are Ollama's.

0. generated objects validate as the ollama SDK's models, and translate() of the SDK's objects equals
   translate() of the dicts (less what the SDK's models drop: a tool call's ``id`` and ``function.index``,
   a logprob's ``bytes``).
1. contract: `check_contract` over translate() and stream() for complete, errored and truncated streams;
   [DONE] iff complete; the documented error event otherwise; identity and options honoured, ``created``
   and the default id from the first object's ``created_at`` when no ``created`` option is given.
2. fold equivalence: the openai fold of our output equals the model: content, reasoning and its one
   reasoning_details entry, tool calls (the call's id or the documented derived one, the arguments as
   JSON), finish reason (``tool_calls`` when a call was sent), usage.
3. nothing lost: native finish reason, ``context``, native usage (counts and durations), logprobs.
4. split invariance: stream() output does not depend on how the body is cut nor on the NDJSON layout
   (blank lines, CRLF, a last line without its end), and equals translate() encoded.
5. a body cut anywhere before the end of the done object: an error event last, no [DONE], and before it a
   prefix of the complete output.
6. robustness: damaged bytes and junk values in any field: stream() ends in [DONE] or an error event,
   translate() raises nothing but TranslationError.
7. async: atranslate/astream equal translate/stream.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bedrock_strategies import flipped, put_junk
from tests.contract import acollect, aiter_of, check_async_equals_sync, check_contract, fold, outcome
from tests.ollama_strategies import (
    FIELD_NAMES,
    USAGE_FIELDS,
    OllamaStream,
    ended_ollama_streams,
    junk_values,
    ollama_pieces,
    ollama_streams,
)
from tests.strategies import mutated, splits, texts
from tests.test_properties import check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import astream, stream, translate
from translators.providers.ollama import FINISH_REASONS

PROVIDER = "ollama"
CREATED = 1_700_000_000

OLLAMA_FINISH = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}
"""The documented done_reason → finish_reason table (anything else → "stop"; "stop" → "tool_calls" when a
call was sent), written out independently of translators.providers.ollama.FINISH_REASONS."""

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_translate(events: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
    options.setdefault("created", CREATED)
    return list(translate(PROVIDER, iter(events), **options))


def run_stream(pieces: Iterable[bytes], **options: Any) -> bytes:
    options.setdefault("created", CREATED)
    return b"".join(stream(PROVIDER, iter(pieces), **options))


def bodies(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0] for c in chunks if c.get("choices")]


def derived_id(stream_id: str, created_at: str, tool_index: int) -> str:
    """The documented id of a call sent without one: ``call_`` + 24 hex digits of SHA-256 of
    ``"<stream id>/<first created_at>/<tool index>"``."""
    return "call_" + hashlib.sha256(f"{stream_id}/{created_at}/{tool_index}".encode()).hexdigest()[:24]


def expected_finish(model: OllamaStream) -> str:
    reason = model.done.get("done_reason")
    finish = OLLAMA_FINISH.get(reason, "stop") if isinstance(reason, str) else "stop"
    return "tool_calls" if finish == "stop" and model.tool_calls else finish


# -- 0. the generated objects are Ollama's --------------------------------------------------------------


def without_unmodelled(events: list[Any]) -> list[Any]:
    """The objects less what the SDK's models drop: a tool call's ``id``, its function's ``index``, a
    logprob's ``bytes``."""
    out = copy.deepcopy(events)
    for event in out:
        for call in (event.get("message") or {}).get("tool_calls") or []:
            call.pop("id", None)
            call["function"].pop("index", None)
        for item in event.get("logprobs") or []:
            item.pop("bytes", None)
            for alternative in item.get("top_logprobs") or []:
                alternative.pop("bytes", None)
    return out


@examples(100)
@given(ollama_streams().flatmap(lambda m: st.integers(1, len(m.events)).map(lambda n: (m, n))))
def test_sdk_objects(case: tuple[OllamaStream, int]) -> None:
    """Every generated object (of a complete stream or a truncated one) validates as the SDK's model, and the
    SDK's objects translate as the dicts do."""
    import ollama

    model, n = case
    events = model.events[:n]
    kind = ollama.ChatResponse if model.endpoint == "chat" else ollama.GenerateResponse
    objects = [kind.model_validate(copy.deepcopy(event)) for event in events]
    with time_limit():
        assert run_translate(objects) == run_translate(without_unmodelled(events))


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text"]),
        "strict": st.booleans(),  # every drawn field is a known or an ignored one
    },
)


@examples(150)
@given(st.data())
def test_contract(data: st.DataObject) -> None:
    model = data.draw(ended_ollama_streams(), label="stream")
    opts = data.draw(options, label="options")
    pieces = data.draw(ollama_pieces(model.events), label="wire")
    with time_limit():
        chunks = run_translate(model.events, **opts)
        out = run_stream(pieces, **opts)
    clean = model.ending == "complete"
    check_contract(chunks, usage=opts["include_usage"] if clean else None)
    payloads, done = check_stream_output(out, usage=opts["include_usage"] if clean else None)
    assert done == clean
    assert payloads == chunks
    if model.ending == "error":
        missing = re.match(r"model '[^'\"]*' not found", model.error, re.IGNORECASE) is not None
        assert chunks[-1]["error"] == {
            "message": model.error or "Ollama error",
            "type": "not_found_error" if missing else "api_error",
            "code": "model_not_found" if missing else "api_error",
            "param": None,
            "native_error": {"error": model.error},
        }
    elif model.ending == "truncated":
        assert chunks[-1]["error"]["type"] == "upstream_truncated"
    for chunk in chunks:
        if "error" not in chunk:
            assert (chunk["id"], chunk["created"]) == (opts.get("id", f"chatcmpl-ollama-{CREATED}"), CREATED)
            assert chunk["model"] == opts.get("model", model.model)
    field = opts.get("reasoning_field", "reasoning_content")
    other = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    for body in bodies(chunks):
        assert not other & set(body["delta"]), body["delta"]
    if clean:
        assert "".join(b["delta"].get(field, "") for b in bodies(chunks)) == model.reasoning


@examples(60)
@given(ollama_streams())
def test_created_from_the_first_object(model: OllamaStream) -> None:
    """Without the ``created`` option, ``created`` is the first object's ``created_at`` in unix seconds,
    and the default id is made of it."""
    with time_limit():
        chunks = list(translate(PROVIDER, iter(model.events)))
    for chunk in chunks:
        if chunk["choices"] or "usage" in chunk:
            assert (chunk["created"], chunk["id"]) == (model.created, f"chatcmpl-ollama-{model.created}")


# -- 2. fold equivalence -----------------------------------------------------------------------------


@examples(150)
@given(ollama_streams())
def test_fold_equivalence(model: OllamaStream) -> None:
    assert {reason: FINISH_REASONS.get(reason, "stop") for reason in OLLAMA_FINISH} == OLLAMA_FINISH
    with time_limit():
        chunks = run_translate(model.events)
    completion = fold(chunks)
    (choice,) = completion.choices
    message = choice.message
    extra = message.model_extra or {}
    assert (message.content or "") == model.content
    assert (extra.get("reasoning_content") or "") == model.reasoning
    details = [{"index": 0, "type": "reasoning.text", "format": "ollama", "text": model.reasoning}]
    assert (extra.get("reasoning_details") or []) == (details if model.reasoning else [])
    calls = message.tool_calls or []
    assert [c.function.name for c in calls] == [c["name"] for c in model.tool_calls]
    for n, (call, expected) in enumerate(zip(calls, model.tool_calls, strict=True)):
        assert call.id == (expected["id"] or derived_id(chunks[0]["id"], model.created_at, n))
        assert json.loads(call.function.arguments) == expected["arguments"]
    assert choice.finish_reason == expected_finish(model)

    prompt, completion_tokens = model.done.get("prompt_eval_count", 0), model.done["eval_count"]
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt, completion_tokens)
    assert usage.total_tokens == prompt + completion_tokens


# -- 3. nothing lost ---------------------------------------------------------------------------------


@examples(150)
@given(ollama_streams())
def test_nothing_lost(model: OllamaStream) -> None:
    with time_limit():
        chunks = run_translate(model.events)
    (finish,) = [b for b in bodies(chunks) if b["finish_reason"] is not None]
    assert finish["native_finish_reason"] == model.done.get("done_reason")
    assert finish.get("context") == model.done.get("context")
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["native_usage"] == {key: model.done[key] for key in USAGE_FIELDS if key in model.done}
    logprobs = [item for b in bodies(chunks) if b["logprobs"] for item in b["logprobs"]["content"]]
    assert logprobs == model.logprobs


# -- 4. split invariance -----------------------------------------------------------------------------


@examples(120)
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    model = data.draw(ended_ollama_streams(), label="stream")
    pieces = data.draw(ollama_pieces(model.events), label="wire")
    other = data.draw(ollama_pieces(model.events), label="another layout")
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        assert run_stream(other) == whole
        assert whole == encode_chunks(run_translate(model.events))


# -- 5. a body cut anywhere ---------------------------------------------------------------------------


@examples(150)
@given(st.data())
def test_body_cut_anywhere_ends_in_an_error_event(data: st.DataObject) -> None:
    model = data.draw(ollama_streams(), label="stream")
    body = b"".join(data.draw(ollama_pieces(model.events), label="wire"))
    end = body.rindex(b"}") + 1  # the done object is complete (the end of input ends its line) from here on
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
    model = data.draw(ended_ollama_streams(max_objects=3), label="stream")
    body = b"".join(data.draw(ollama_pieces(model.events), label="wire"))
    damaged = data.draw(st.one_of(flipped(body), mutated(body)), label="body")
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(cut)
        whole = run_stream([damaged])
        aout = b"".join(asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


def test_a_bad_line_keeps_the_objects_before_it_in_the_same_read() -> None:
    """Found: a line that is not JSON made `NDJSONDecoder.decode` raise, and the objects decoded before it in
    the same read were lost: the whole body in one read gave only the error event, the same body read
    line by line gave the first object's chunks and then the error event. The output must not depend on
    the reads (the SSE and event-stream decoders hand out what came before the error first)."""
    good = {"model": "m", "created_at": "2025-01-01T00:00:00Z", "message": {"role": "assistant", "content": "Hi"}}
    body = json.dumps({**good, "done": False}).encode() + b"\n" + b'{"model" 1}\n'
    with time_limit():
        whole = run_stream([body])
        by_line = run_stream(body.splitlines(keepends=True))
    payloads, done = check_stream_output(by_line)
    assert not done and [b["delta"].get("content") for b in bodies(payloads)] == [None, "Hi"]
    assert without_error_messages(whole) == without_error_messages(by_line)


def wire_of(events: list[Any]) -> list[bytes] | None:
    try:
        return [json.dumps(event, allow_nan=False).encode() + b"\n" for event in events]
    except (TypeError, ValueError):
        return None


@examples(150)
@given(st.data())
def test_junk_in_any_field(data: st.DataObject) -> None:
    events = copy.deepcopy(data.draw(ended_ollama_streams(max_objects=3), label="stream").events)
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
    model = data.draw(ended_ollama_streams(), label="stream")
    cut = data.draw(splits(b"".join(data.draw(ollama_pieces(model.events), label="wire"))), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, model.events, cut, created=CREATED)
