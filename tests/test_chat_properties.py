"""Property tests of the chat-dialect translator (``translators/providers/openai_chat.py``) over generated
streams of all seven dialects (see tests/chat_strategies.py); every property runs once per dialect.

The spec is the mapping table, the usage semantics and the completion rule in the translator's module
docstring; the oracles for what an upstream stream says are a reference fold written here
(`reference_fold`, independent of the translator) and the openai SDK's own models and stream fold.

0. generated input is what the APIs send: every chunk validates as ``ChatCompletionChunk`` once its
   dialect's documented deviations are normalised, and carries no undeclared key outside the dialect's list.
1. contract: `check_contract` over translate() and stream() output for complete, truncated (cut after any
   chunk) and errored streams; ``[DONE]`` iff every choice that appeared finished; a truncation ends in
   ``upstream_truncated``, an upstream error in the documented error event; identity and options honoured.
2. split invariance: stream() output does not depend on how the body is cut, and equals translate()
   encoded (``encode_json`` per chunk, ``[DONE]`` when complete).
3. fold equivalence: `reference_fold` of the upstream chunks equals a fold of our output (text, reasoning
   whatever the upstream key, refusal, tool calls, finish, usage in OpenAI semantics), the openai SDK's
   ``ChatCompletionStreamState`` agrees, and so does the SDK's fold of the upstream where the SDK can fold it.
4. nothing lost: logprobs, refusal, service_tier, system_fingerprint, provider, content_filter_results,
   prompt_filter_results, x_groq, moderation, annotations, reasoning_details, channel,
   native_finish_reason and native_usage come out where the docstring says.
5. the ``reasoning_field`` option: the reasoning lands under the chosen key whatever the upstream called it.
6. robustness: junk fields and values in chunks, and ``index`` fields of any type or size, raise nothing but
   TranslationError from translate(); damaged bytes make stream() end in ``[DONE]`` or an error event; all
   within a time limit. ``strict=True`` rejects unknown top-level fields (without it they change nothing);
   the ignored fields (``object``, ``obfuscation``) and null fields change nothing.

Some tests pin a translator bug these properties found (their docstrings say "Found:").
7. async: atranslate/astream equal translate/stream.

``PROPERTIES_SCALE=N`` multiplies every test's example count (for a longer bug hunt).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import Iterable
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from tests.chat_strategies import (
    DIALECT_NAMES,
    EXTRA_KEYS,
    REASONING,
    ChatStream,
    as_sdk_chunk,
    chat_streams,
    chat_wire,
    ended_chat_streams,
    extra_keys,
    junk_values,
    validate_chunk,
)
from tests.contract import (
    acollect,
    aiter_of,
    check_async_equals_sync,
    check_contract,
    first_appearances,
    fold,
    outcome,
)
from tests.strategies import mutated, splits, texts
from tests.test_properties import check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import TranslationError, astream, stream, translate
from translators.providers.openai_chat import FINISH_REASONS, IGNORED_FIELDS

CREATED = 1_700_000_000
REASONING_KEYS = {"reasoning_content", "reasoning", "reasoning_text", "thinking"}
HEAD_FIELDS = ("system_fingerprint", "service_tier", "provider")
KNOWN_TOP_LEVEL = {"id", "created", "model", "choices", "usage", "system_fingerprint", "service_tier", "provider"} | {
    "x_groq",
    "prompt_filter_results",
    "moderation",
    "error",
    "type",
    "citations",
}
"""The top-level chunk fields the docstring's table reads (``strict`` accepts these and IGNORED_FIELDS)."""

ERROR_STATUS_TYPES = {400: "invalid_request_error", 429: "rate_limit_error", 500: "api_error", 502: "api_error"}
ERROR_NAME_TYPES = {
    "server_error": "api_error",
    "api_error": "api_error",
    "rate_limit_exceeded": "rate_limit_error",
    "invalid_request_error": "invalid_request_error",
}
"""The error vocabulary (README "Errors") for the statuses and names `error_chunks` draws, written out apart from
translators._http_errors."""
OUR_TYPES = {"invalid_request_error", "rate_limit_error", "api_error"}


def expected_chat_error(native: dict[str, Any]) -> tuple[str, str]:
    """``(type, code)`` of the error event for a drawn error object: a numeric code or Groq's ``status_code`` is
    the status, which decides the type; else the code, then the type, name it; the code is the native code, else
    OpenAI's rate_limit_exceeded, else a native type that is not ours, else the type."""
    kind, code = native.get("type"), native.get("code")
    status = native.get("status_code", code)
    if isinstance(status, int):
        want = ERROR_STATUS_TYPES[status]
    else:
        want = ERROR_NAME_TYPES.get(code or "") or ERROR_NAME_TYPES.get(kind or "") or "api_error"
    if isinstance(code, str) and code:
        return want, code
    if kind == "rate_limit_exceeded" and want == "rate_limit_error":
        return want, kind
    return want, kind if kind and kind not in OUR_TYPES else want


SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


dialects = pytest.mark.parametrize("dialect", DIALECT_NAMES)
reasoning_dialects = pytest.mark.parametrize("dialect", sorted(REASONING))


# -- helpers ------------------------------------------------------------------------------------------


def run_translate(dialect: str, chunks: Iterable[Any], **options: Any) -> list[dict[str, Any]]:
    options.setdefault("created", CREATED)
    return list(translate(dialect, iter(chunks), **options))


def run_stream(dialect: str, pieces: Iterable[bytes], **options: Any) -> bytes:
    options.setdefault("created", CREATED)
    return b"".join(stream(dialect, iter(pieces), **options))


def is_error(chunk: dict[str, Any]) -> bool:
    return "error" in chunk


def read_chunks(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunks the translator reads: up to (not including) the first error object or error chunk."""
    out = []
    for chunk in chunks:
        if is_error(chunk):
            break
        out.append(chunk)
    return out


def outcome_of(stream: ChatStream) -> str:
    """What the output must say: "error" (an upstream error), "complete" (every choice that appeared, that is
    every index up to the highest seen, got a finish_reason), or "truncated"."""
    if stream.ending == "error":
        return "error"
    indexes = {b["index"] for c in stream.chunks for b in c.get("choices") or []}
    finished = {b["index"] for c in stream.chunks for b in c.get("choices") or [] if b.get("finish_reason")}
    if indexes and finished >= set(range(max(indexes) + 1)):
        return "complete"
    return "truncated"


def first_choice_chunk(chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in read_chunks(chunks) if c.get("choices")), None)


def choice_bodies(chunks: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [b for c in chunks if not is_error(c) for b in c.get("choices") or [] if b["index"] == index]


def finish_body(chunks: list[dict[str, Any]], index: int) -> dict[str, Any]:
    (body,) = [b for b in choice_bodies(chunks, index) if b["finish_reason"] is not None]
    return body


def upstream_bodies(chunks: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """The upstream choice bodies of ``index`` the translator acts on: up to and including its first finish."""
    bodies = []
    for body in choice_bodies(read_chunks(chunks), index):
        bodies.append(body)
        if body.get("finish_reason") is not None:
            break
    return bodies


def usage_chunk(chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
    found = [c for c in chunks if c.get("choices") == []]
    assert len(found) <= 1
    return found[0] if found else None


# -- the reference fold of the upstream -------------------------------------------------------------------


def upstream_usage(chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The upstream's usage object: the last ``usage`` object sent (DeepSeek / Mistral / Groq: on the finish
    chunk; OpenAI, xAI, OpenRouter: a usage chunk), else Groq's ``x_groq.usage``."""
    usage: dict[str, Any] | None = None
    groq: dict[str, Any] | None = None
    for chunk in read_chunks(chunks):
        if isinstance(chunk.get("usage"), dict):
            usage = chunk["usage"]
        x_groq = chunk.get("x_groq")
        if isinstance(x_groq, dict) and isinstance(x_groq.get("usage"), dict):
            groq = x_groq["usage"]
    return usage if usage is not None else groq


def openai_usage(usage: dict[str, Any]) -> dict[str, int]:
    """OpenAI semantics: prompt as sent (cached included; DeepSeek's ``prompt_cache_hit_tokens`` when there is
    no ``cached_tokens``); completion including reasoning (xAI's total counts it outside: added); total =
    prompt + completion."""
    prompt = usage.get("prompt_tokens", 0)
    completion = usage.get("completion_tokens", 0)
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    details = usage.get("prompt_tokens_details") or {}
    cached = details["cached_tokens"] if "cached_tokens" in details else usage.get("prompt_cache_hit_tokens", 0)
    if reasoning and usage.get("total_tokens") == prompt + completion + reasoning:
        completion += reasoning
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
    }


def expected_finish(reason: str, calls: int) -> str:
    finish = FINISH_REASONS.get(reason, "stop")
    return "tool_calls" if finish == "stop" and calls else finish


def reference_fold(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What the upstream chunks say, per choice: text (string content and Mistral ``text`` parts), reasoning
    (``reasoning_content``, ``reasoning``, Mistral ``thinking`` parts), refusal, tool calls (OpenAI style by
    ``index``, Mistral's whole calls by ``id``), the finish (mapped) and the raw one; and the usage."""
    choices: dict[int, dict[str, Any]] = {}
    for chunk in read_chunks(chunks):
        for body in chunk.get("choices") or []:
            mine = choices.setdefault(
                body["index"], {"content": "", "reasoning": "", "refusal": "", "calls": {}, "raw": None}
            )
            if mine["raw"] is not None:
                continue  # a repeated finish (OpenRouter) or an empty delta after the finish
            delta = body.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                mine["content"] += content
            for part in content if isinstance(content, list) else []:
                if part["type"] == "text":
                    mine["content"] += part["text"]
                else:
                    mine["reasoning"] += "".join(item["text"] for item in part["thinking"])
            for key in ("reasoning_content", "reasoning"):
                if isinstance(delta.get(key), str):
                    mine["reasoning"] += delta[key]
            mine["refusal"] += delta.get("refusal") or ""
            for call in delta.get("tool_calls") or []:
                key = call["index"] if "index" in call else ("id", call["id"])
                if key not in mine["calls"]:
                    mine["calls"][key] = {"id": call["id"], "name": call["function"]["name"], "arguments": ""}
                mine["calls"][key]["arguments"] += call["function"].get("arguments") or ""
            if body.get("finish_reason") is not None:
                mine["raw"] = body["finish_reason"]
                mine["native"] = body.get("native_finish_reason") or body["finish_reason"]
    for mine in choices.values():
        mine["calls"] = list(mine["calls"].values())
        mine["finish"] = expected_finish(mine["raw"], len(mine["calls"]))
    usage = upstream_usage(chunks)
    return {"choices": choices, "usage": openai_usage(usage) if usage is not None else None}


def output_fold(chunks: list[dict[str, Any]], reasoning_field: str = "reasoning_content") -> dict[str, Any]:
    """A plain fold of our output chunks, in the same shape as `reference_fold`."""
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for body in chunk.get("choices") or []:
            mine = choices.setdefault(body["index"], {"content": "", "reasoning": "", "refusal": "", "calls": {}})
            delta = body["delta"]
            mine["content"] += delta.get("content") or ""
            mine["reasoning"] += delta.get(reasoning_field) or ""
            mine["refusal"] += delta.get("refusal") or ""
            for call in delta.get("tool_calls") or []:
                if call["index"] not in mine["calls"]:
                    mine["calls"][call["index"]] = {"id": call["id"], "name": call["function"]["name"], "arguments": ""}
                mine["calls"][call["index"]]["arguments"] += call["function"]["arguments"]
            if body["finish_reason"] is not None:
                mine["finish"] = body["finish_reason"]
    for mine in choices.values():
        assert list(mine["calls"]) == list(range(len(mine["calls"])))
        mine["calls"] = list(mine["calls"].values())
    found = usage_chunk(chunks)
    usage = None
    if found is not None:
        u = found["usage"]
        usage = {
            "prompt_tokens": u["prompt_tokens"],
            "completion_tokens": u["completion_tokens"],
            "total_tokens": u["total_tokens"],
            "cached_tokens": u["prompt_tokens_details"]["cached_tokens"],
            "reasoning_tokens": u["completion_tokens_details"]["reasoning_tokens"],
        }
    return {"choices": choices, "usage": usage}


def without(fold_: dict[str, Any], *keys: str) -> dict[int, dict[str, Any]]:
    return {i: {k: v for k, v in c.items() if k not in keys} for i, c in fold_["choices"].items()}


# -- 0. generated input is what the APIs send ------------------------------------------------------------------


@dialects
@examples(12)
@given(data=st.data())
def test_generated_chunks_are_chat_completion_chunks(dialect: str, data: st.DataObject) -> None:
    """Every generated chunk validates as the openai SDK's ``ChatCompletionChunk`` once its dialect's
    `DEVIATIONS` are normalised (Azure's first chunk, Mistral's list content and index-less calls, finish
    reasons outside OpenAI's five, error objects that are not chunks); a normalised chunk did need it (the
    raw one fails); the keys the SDK models do not declare are the dialect's `EXTRA_KEYS`; the wire is
    ``data:`` lines (``event: error`` for Groq, comments for OpenRouter) ending in ``[DONE]`` iff sent."""
    case = data.draw(ended_chat_streams(dialect), label="stream")
    for chunk in case.chunks:
        normal = as_sdk_chunk(dialect, chunk)
        model = validate_chunk(dialect, chunk)
        if normal is None:
            assert model is None and set(chunk) == {"error"}
            continue
        assert model is not None
        unexpected = set(extra_keys(model)) - EXTRA_KEYS[dialect]
        assert not unexpected, unexpected
        if normal != chunk:
            with pytest.raises(pydantic.ValidationError):
                ChatCompletionChunk.model_validate(chunk)
    pieces = data.draw(chat_wire(case), label="wire")
    body = b"".join(pieces)
    assert body.endswith(b"data: [DONE]\n\n") == case.done
    for event in body.split(b"\n\n")[:-1]:
        lines = event.split(b"\n")
        assert lines[-1].startswith(b"data: ") or lines == [b": OPENROUTER PROCESSING"], event
        assert len(lines) == 1 or (dialect == "groq" and lines[0] == b"event: error"), event


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text", "reasoning_content"]),
        "strict": st.booleans(),  # generated chunks hold only known (or ignored) top-level fields
    },
)


@dialects
@examples(25)
@given(data=st.data())
def test_contract(dialect: str, data: st.DataObject) -> None:
    """translate() and stream() keep the output contract for complete, truncated and errored streams: [DONE]
    iff every choice that appeared finished; a cut stream with an unfinished choice ends in
    ``upstream_truncated``; an upstream error (an error object, an error chunk, ``finish_reason: "error"``)
    ends in the documented error event, with the usage beside it when its chunk had one; the id, model and
    created are the stream's (or the options'), choices start in index order; the usage chunk comes iff the
    upstream sent usage and ``include_usage`` holds; stream() parses to what translate() gives."""
    case = data.draw(ended_chat_streams(dialect), label="stream")
    pieces = data.draw(chat_wire(case), label="wire")
    opts = data.draw(options, label="options")
    with time_limit():
        chunks = run_translate(dialect, case.chunks, **opts)
        out = run_stream(dialect, pieces, **opts)
    outcome = outcome_of(case)
    clean = outcome == "complete"
    expect_usage = opts["include_usage"] and upstream_usage(case.chunks) is not None if clean else None
    check_contract(chunks, usage=expect_usage)
    payloads, done = check_stream_output(out, usage=expect_usage)
    assert done == clean, f"{outcome} stream: [DONE] {done}"
    assert payloads == chunks

    if outcome == "truncated":
        assert chunks[-1]["error"]["type"] == "upstream_truncated"
    elif outcome == "error":
        error_chunk = case.chunks[-1]
        got = chunks[-1]["error"]
        if "error" in error_chunk:
            native = error_chunk["error"]
            message = native.get("message")
            assert got["message"] == (message if message else f"{dialect} stream error")
            assert (got["type"], got["code"]) == expected_chat_error(native)
            assert got["native_error"] == native
            if isinstance(error_chunk.get("usage"), dict):
                usage = chunks[-1]["usage"]
                assert usage["native_usage"] == error_chunk["usage"]
                assert {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == {
                    k: openai_usage(error_chunk["usage"])[k]
                    for k in ("prompt_tokens", "completion_tokens", "total_tokens")
                }
            else:
                assert "usage" not in chunks[-1]
        else:  # Mistral's finish_reason "error"
            assert got["type"] == "api_error" and "finish_reason 'error'" in got["message"]

    first = first_choice_chunk(case.chunks)
    for chunk in chunks:
        if is_error(chunk):
            continue
        assert first is not None
        upstream_id = first["id"]
        default_id = upstream_id if upstream_id else f"chatcmpl-{dialect}-{CREATED}"
        assert chunk["id"] == opts.get("id", default_id)
        assert chunk["model"] == opts.get("model", first["model"])
        assert chunk["created"] == CREATED
    assert first_appearances(chunks) == sorted(first_appearances(chunks)), "choices must start in index order"
    field = opts.get("reasoning_field", "reasoning_content")
    for chunk in chunks:
        for body in chunk.get("choices") or []:
            assert not (REASONING_KEYS - {field}) & set(body["delta"]), body["delta"]


@dialects
@examples(8)
@given(data=st.data())
def test_created_comes_from_the_upstream_when_not_given(dialect: str, data: st.DataObject) -> None:
    """Without the ``created`` option every chunk carries the ``created`` of the first chunk with choices
    (never Azure's zero, never a later xAI value)."""
    case = data.draw(chat_streams(dialect), label="stream")
    with time_limit():
        chunks = list(translate(dialect, iter(case.chunks)))
    first = first_choice_chunk(case.chunks)
    assert first is not None
    assert {c["created"] for c in chunks} == {first["created"]}


# -- 2. split invariance -----------------------------------------------------------------------------


@dialects
@examples(20)
@given(data=st.data())
def test_split_invariance(dialect: str, data: st.DataObject) -> None:
    """stream() gives the same bytes however the body is cut (1-byte pieces, empty reads, cuts inside UTF-8
    sequences), and they are translate()'s chunks through ``encode_json``, then ``[DONE]`` when complete."""
    case = data.draw(ended_chat_streams(dialect), label="stream")
    pieces = data.draw(chat_wire(case), label="wire")
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream(dialect, [body])
        assert run_stream(dialect, cut) == whole
        assert run_stream(dialect, pieces) == whole
        chunks = run_translate(dialect, case.chunks)
    assert whole == encode_chunks(chunks)
    assert whole.endswith(b"data: [DONE]\n\n") == (outcome_of(case) == "complete")


# -- 3. fold equivalence -----------------------------------------------------------------------------


def sdk_fold_of_upstream(dialect: str, chunks: list[dict[str, Any]]) -> Any:
    """The openai SDK's fold of the upstream chunks themselves (deviations normalised), or None where the SDK
    cannot fold them: OpenRouter repeats ``role`` in every delta (the SDK concatenates it), Azure's first
    chunk has no choices, Mistral's calls have no index of their own, and choices that start out of order."""
    if dialect in ("openrouter", "azure", "mistral"):
        return None
    if first_appearances(chunks) != sorted(first_appearances(chunks)):
        return None  # the SDK needs the choices to start in index order (the translator announces them so)
    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        normal = as_sdk_chunk(dialect, chunk)
        if normal is not None:
            state.handle_chunk(ChatCompletionChunk.model_validate(normal))
    return state.current_completion_snapshot


@dialects
@examples(25)
@given(data=st.data())
def test_fold_equivalence(dialect: str, data: st.DataObject) -> None:
    """The reference fold of the upstream equals the fold of our output: per choice the text, the reasoning
    (whatever the upstream key), the refusal, the tool calls (id, name, arguments), the finish (FINISH_REASONS,
    ``stop`` after calls is ``tool_calls``); and the usage in OpenAI semantics. The openai SDK's
    ChatCompletionStreamState over our output agrees, and so does its fold of the upstream (text, refusal,
    calls) where it can fold it. Truncated streams that still completed are included."""
    case = data.draw(ended_chat_streams(dialect).filter(lambda s: outcome_of(s) == "complete"), label="stream")
    with time_limit():
        chunks = run_translate(dialect, case.chunks)
    reference = reference_fold(case.chunks)
    ours = output_fold(chunks)
    assert without(ours, "raw", "native") == without(reference, "raw", "native")
    assert ours["usage"] == reference["usage"]
    assert sorted(reference["choices"]) == list(range(len(reference["choices"])))

    snapshot = fold(chunks)
    assert [c.index for c in snapshot.choices] == sorted(reference["choices"])
    for choice in snapshot.choices:
        expected = reference["choices"][choice.index]
        message = choice.message
        assert (message.content or "") == expected["content"]
        assert (message.refusal or "") == expected["refusal"]
        assert ((message.model_extra or {}).get("reasoning_content") or "") == expected["reasoning"]
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
        assert calls == [(c["id"], c["name"], c["arguments"]) for c in expected["calls"]]
        assert choice.finish_reason == expected["finish"]
    if reference["usage"] is None:
        assert snapshot.usage is None
    else:
        assert snapshot.usage is not None
        assert snapshot.usage.prompt_tokens == reference["usage"]["prompt_tokens"]
        assert snapshot.usage.completion_tokens == reference["usage"]["completion_tokens"]
        assert snapshot.usage.total_tokens == reference["usage"]["total_tokens"]

    theirs = sdk_fold_of_upstream(dialect, case.chunks)
    if theirs is not None:
        for choice in theirs.choices:
            expected = reference["choices"][choice.index]
            assert (choice.message.content or "") == expected["content"]
            assert (choice.message.refusal or "") == expected["refusal"]
            calls = [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []]
            assert calls == [(c["id"], c["name"], c["arguments"]) for c in expected["calls"]]


# -- 4. nothing lost ---------------------------------------------------------------------------------


def filter_results(bodies: list[dict[str, Any]]) -> list[Any]:
    """The non-empty ``content_filter_results`` of choice bodies, in order."""
    return [b["content_filter_results"] for b in bodies if b.get("content_filter_results") not in (None, {})]


@dialects
@examples(25)
@given(data=st.data())
def test_nothing_lost(dialect: str, data: st.DataObject) -> None:
    """Every field the docstring keeps comes out where it says: the head fields (``system_fingerprint``,
    ``service_tier``, ``provider``) on every chunk; Azure's ``prompt_filter_results`` on the first chunk only
    and each non-empty ``content_filter_results`` on its choice; each non-null ``logprobs`` of a choice, in
    order; annotations and ``reasoning_details`` re-indexed per choice, Groq's ``channel`` beside the
    reasoning; ``native_finish_reason`` on the finish; on the usage chunk ``native_usage`` (the upstream
    object), Groq's merged ``x_groq`` and OpenAI's ``moderation``; ``obfuscation`` nowhere.

    Found: a finish chunk whose choice carries non-empty ``content_filter_results`` (Azure's
    ``content_filter`` finish) gives an extra empty-delta chunk carrying them, then the finish chunk carrying
    them again: one upstream chunk's filter results come out twice (fixtures/azure/finish-content-filter's
    golden has the extra chunk)."""
    case = data.draw(chat_streams(dialect), label="stream")
    with time_limit():
        chunks = run_translate(dialect, case.chunks)
    upstream = case.chunks
    first = first_choice_chunk(upstream)
    assert first is not None
    for chunk in chunks:
        assert "obfuscation" not in chunk and chunk["object"] == "chat.completion.chunk"
        for key in HEAD_FIELDS:
            assert chunk.get(key, "absent") == first.get(key, "absent"), key

    filters = [c["prompt_filter_results"] for c in upstream if "prompt_filter_results" in c]
    assert [c["prompt_filter_results"] for c in chunks if "prompt_filter_results" in c] == filters
    if filters:
        assert "prompt_filter_results" in chunks[0]

    for index in {b["index"] for c in upstream for b in c.get("choices") or []}:
        sent = upstream_bodies(upstream, index)
        got = choice_bodies(chunks, index)
        assert [b["logprobs"] for b in got if b["logprobs"] is not None] == [
            b["logprobs"] for b in sent if b.get("logprobs") is not None
        ]
        assert filter_results(got) == filter_results(sent)
        annotations = [a for b in got for a in b["delta"].get("annotations") or []]
        sent_annotations = [a for b in sent for a in (b.get("delta") or {}).get("annotations") or []]
        assert annotations == [{"index": n, **a} for n, a in enumerate(sent_annotations)]

        details = [d for b in got for d in b["delta"].get("reasoning_details") or []]
        sent_details = [d for b in sent for d in (b.get("delta") or {}).get("reasoning_details") or []]
        assert [{k: v for k, v in d.items() if k not in ("index", "native_index")} for d in details] == [
            {k: v for k, v in d.items() if k != "index"} for d in sent_details
        ]
        ours_of: dict[Any, int] = {}
        for detail, original in zip(details, sent_details, strict=True):
            assert detail["native_index"] == original["index"]
            assert ours_of.setdefault(original["index"], detail["index"]) == detail["index"]
        assert sorted(set(ours_of.values())) == list(range(len(ours_of)))

        channels = [b["delta"]["channel"] for b in got if "channel" in b["delta"]]
        assert channels == [b["delta"]["channel"] for b in sent if (b.get("delta") or {}).get("channel") is not None]

        body = finish_body(chunks, index)
        raw = sent[-1]
        assert body["native_finish_reason"] == (raw.get("native_finish_reason") or raw["finish_reason"])

    usage = upstream_usage(upstream)
    found = usage_chunk(chunks)
    assert (found is not None) == (usage is not None)
    if found is not None:
        assert found["usage"]["native_usage"] == usage
        x_groq: dict[str, Any] = {}
        for chunk in upstream:
            x_groq.update(chunk.get("x_groq") or {})
        assert found.get("x_groq") == (x_groq or None)
        moderation = [c["moderation"] for c in upstream if "moderation" in c]
        assert found.get("moderation") == (moderation[-1] if moderation else None)
        for key in ("prompt_tokens_details", "completion_tokens_details"):
            assert (usage.get(key) or {}).items() <= found["usage"][key].items(), key


# -- 5. the reasoning_field option -----------------------------------------------------------------------------


@reasoning_dialects
@examples(15)
@given(data=st.data())
def test_reasoning_field(dialect: str, data: st.DataObject) -> None:
    """With ``reasoning_field=F`` the reasoning, whatever the upstream called it (``reasoning_content``,
    ``reasoning``, Mistral ``thinking`` parts), folds to the reference reasoning under F and under no other
    reasoning key, in translate() and in stream()."""
    case = data.draw(chat_streams(dialect), label="stream")
    reasoning_field = data.draw(st.sampled_from(["reasoning", "reasoning_text", "thinking", "reasoning_content"]))
    pieces = data.draw(chat_wire(case), label="wire")
    with time_limit():
        chunks = run_translate(dialect, case.chunks, reasoning_field=reasoning_field)
        out = run_stream(dialect, pieces, reasoning_field=reasoning_field)
    assert out == encode_chunks(chunks)
    reference = reference_fold(case.chunks)
    ours = output_fold(chunks, reasoning_field)
    for index, expected in reference["choices"].items():
        assert ours["choices"][index]["reasoning"] == expected["reasoning"]
    for chunk in chunks:
        for body in chunk.get("choices") or []:
            assert not (REASONING_KEYS - {reasoning_field}) & set(body["delta"]), body["delta"]
    snapshot = fold(chunks)
    for choice in snapshot.choices:
        extra = choice.message.model_extra or {}
        assert (extra.get(reasoning_field) or "") == reference["choices"][choice.index]["reasoning"]


# -- 6. robustness -----------------------------------------------------------------------------------


def wire_of(chunks: list[Any]) -> list[bytes] | None:
    try:
        return [b"data: " + json.dumps(c, allow_nan=False).encode() + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
    except (TypeError, ValueError):
        return None


def _insert_junk(draw: st.DrawFn, chunks: list[Any], junk: Any) -> None:
    """Put ``junk`` where a chunk, a top-level field, a choice, a choice field, a delta field, a tool call or
    a tool call field goes."""
    objects = [c for c in chunks if isinstance(c, dict)]
    bodies = [b for c in objects if isinstance(c.get("choices"), list) for b in c["choices"] if isinstance(b, dict)]
    deltas = [b["delta"] for b in bodies if isinstance(b.get("delta"), dict)]
    calls = [call for d in deltas if isinstance(d.get("tool_calls"), list) for call in d["tool_calls"]]
    calls = [call for call in calls if isinstance(call, dict)]
    functions = [call["function"] for call in calls if isinstance(call.get("function"), dict)]
    where = draw(st.sampled_from(["chunk", "top", "choice", "choice-field", "delta-field", "call", "call-field"]))
    if where == "top" and objects:
        target = draw(st.sampled_from(objects))
        keys = ["id", "created", "model", "choices", "usage", "x_groq", "prompt_filter_results", "moderation"]
        target[draw(st.sampled_from([*target, *keys, "error", "type"]))] = junk
    elif where == "choice" and objects:
        host = draw(st.sampled_from([c for c in objects if isinstance(c.get("choices"), list)] or [{"choices": []}]))
        host["choices"].insert(draw(st.integers(0, len(host["choices"]))), junk)
    elif where == "choice-field" and bodies:
        target = draw(st.sampled_from(bodies))
        keys = ["index", "delta", "finish_reason", "logprobs", "content_filter_results", "native_finish_reason"]
        target[draw(st.sampled_from([*target, *keys]))] = junk
    elif where == "delta-field" and deltas:
        target = draw(st.sampled_from(deltas))
        keys = ["content", "reasoning_content", "reasoning", "reasoning_details", "refusal", "tool_calls"]
        target[draw(st.sampled_from([*target, *keys, "annotations", "function_call", "channel", "role"]))] = junk
    elif where == "call" and deltas:
        target = draw(st.sampled_from(deltas))
        host = target.setdefault("tool_calls", [])
        if isinstance(host, list):
            host.insert(draw(st.integers(0, len(host))), junk)
    elif where == "call-field" and calls:
        target = draw(st.sampled_from(calls + functions))
        keys = ["index", "id", "type", "function", "name", "arguments"]
        target[draw(st.sampled_from([*target, *keys]))] = junk
    else:
        chunks.insert(draw(st.integers(0, len(chunks))), junk)


@dialects
@examples(25)
@given(data=st.data())
def test_junk_in_chunks(dialect: str, data: st.DataObject) -> None:
    """Junk values where chunks, top-level fields, choices, choice fields, delta fields, tool calls and their
    fields go: translate() raises nothing but TranslationError (and what it gives keeps the contract);
    stream() of the same chunks ends in [DONE] or an error event; both within the time limit."""
    case = data.draw(chat_streams(dialect, max_choices=2, max_items=2), label="stream")
    chunks = copy.deepcopy(case.chunks)
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        _insert_junk(data.draw, chunks, data.draw(junk_values, label="junk"))
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        outcome(run_translate, dialect, chunks, strict=strict, usage_adds_up=False)
        wire = wire_of(chunks)
        if wire is not None:
            check_stream_output(run_stream(dialect, wire, strict=strict), usage_adds_up=False)


HUGE_INDEXES = (127, 128, 1000, 2**31, 2**63, 10**30, -1, -(2**63))
odd_indexes = st.one_of(
    st.sampled_from(HUGE_INDEXES),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(0, 2), max_size=1),
)
"""Values for an ``index`` field: out of range, negative, of every JSON type (lists and objects included)."""


@dialects
@examples(15)
@given(data=st.data())
def test_odd_indexes(dialect: str, data: st.DataObject) -> None:
    """A choice, tool-call or ``reasoning_details`` ``index`` that is huge, negative, a float, a string, null,
    a list or an object: translate() gives a contract-keeping output or raises TranslationError, never another
    exception; stream() ends in [DONE] or an error event.

    Found: a tool call ``index`` (or a ``reasoning_details`` ``index``) that was a list or an object was used
    as a dict key, and TypeError (unhashable type) escaped translate() and stream()."""
    case = data.draw(chat_streams(dialect, max_choices=2, max_items=3), label="stream")
    chunks = copy.deepcopy(case.chunks)
    bodies = [b for c in chunks for b in c.get("choices") or []]
    deltas = [b["delta"] for b in bodies if isinstance(b.get("delta"), dict)]
    entries = [e for d in deltas for key in ("tool_calls", "reasoning_details") for e in d.get(key) or []]
    target = data.draw(st.sampled_from(bodies + entries * 3), label="target")
    target["index"] = data.draw(odd_indexes, label="index")
    with time_limit():
        outcome(run_translate, dialect, chunks, usage_adds_up=False)
        wire = wire_of(chunks)
        assert wire is not None
        check_stream_output(run_stream(dialect, wire), usage_adds_up=False)


@dialects
@examples(15)
@given(data=st.data())
def test_damaged_bodies(dialect: str, data: st.DataObject) -> None:
    """Garbled, deleted, duplicated and inserted bytes (or a body cut anywhere): stream() ends in [DONE] or an
    error event whatever the cuts, astream() gives the same, and cutting the same bytes differently changes
    at most the error's message."""
    case = data.draw(ended_chat_streams(dialect, max_choices=2, max_items=2), label="stream")
    body = b"".join(data.draw(chat_wire(case), label="wire"))
    damaged = data.draw(st.one_of(mutated(body), st.integers(0, len(body)).map(lambda n: body[:n])), label="body")
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(dialect, cut)
        whole = run_stream(dialect, [damaged])
        aout = b"".join(asyncio.run(acollect(astream(dialect, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


unknown_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda name: name not in KNOWN_TOP_LEVEL and name not in IGNORED_FIELDS
)


@dialects
@examples(12)
@given(data=st.data())
def test_strict_rejects_unknown_top_level_fields(dialect: str, data: st.DataObject) -> None:
    """An unknown top-level field on any chunk: ``strict=True`` raises TranslationError (stream() ends in an
    error event); without it the field changes nothing."""
    case = data.draw(chat_streams(dialect), label="stream")
    chunks = copy.deepcopy(case.chunks)
    target = data.draw(st.sampled_from(chunks), label="chunk")
    target[data.draw(unknown_names, label="name")] = data.draw(junk_values, label="value")
    with time_limit():
        with pytest.raises(TranslationError):
            run_translate(dialect, chunks, strict=True)
        wire = wire_of(chunks)
        assert wire is not None
        payloads, done = check_stream_output(run_stream(dialect, wire, strict=True))
        assert not done and payloads[-1]["error"]["type"] == "translation_error"
        assert run_translate(dialect, chunks) == run_translate(dialect, case.chunks)


def _groq_without_object() -> list[dict[str, Any]]:
    head = {"id": "chatcmpl-1", "created": 1_770_770_843, "model": "llama-3.3-70b-versatile"}
    usage = {"prompt_tokens": 210, "completion_tokens": 15, "total_tokens": 225}
    return [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}}], "x_groq": {"id": "r"}},
        {
            **head,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "x_groq": {"id": "r", "usage": usage},
        },
    ]


GROQ_X_GROQ_USAGE_ONLY = ChatStream(
    "groq", [{**c, "object": "chat.completion.chunk"} for c in _groq_without_object()], "complete", True
)


@examples(40)
@given(case=st.sampled_from(DIALECT_NAMES).flatmap(chat_streams))
@example(case=GROQ_X_GROQ_USAGE_ONLY)
def test_ignored_fields_change_nothing(case: ChatStream) -> None:
    """``obfuscation`` and ``object`` are dropped on purpose (IGNORED_FIELDS): a stream without them gives the
    same output (and ``strict`` accepts them).

    Found: a chunk of five keys or fewer (``object`` not counted on) skips the chunk-level fields, so a Groq
    stream whose chunks have no ``object`` (and no ``system_fingerprint``) loses ``x_groq`` (and with it the
    usage, when only ``x_groq.usage`` carries it): `GROQ_X_GROQ_USAGE_ONLY`."""
    stripped = [{k: v for k, v in c.items() if k not in IGNORED_FIELDS} for c in case.chunks]
    with time_limit():
        full = run_translate(case.dialect, case.chunks, strict=True)
        assert run_translate(case.dialect, stripped) == full


def without_nulls(chunk: dict[str, Any]) -> dict[str, Any]:
    """``chunk`` without its null choice fields (``finish_reason``, ``logprobs``, ``native_finish_reason`` …),
    null delta fields and ``usage: null``, as dialects that omit them send it (xAI has no ``finish_reason``
    key until the finish; Mistral and gpt-5 no ``logprobs`` key)."""
    out = {k: v for k, v in chunk.items() if not (k == "usage" and v is None)}
    if isinstance(out.get("choices"), list):
        out["choices"] = [
            {
                k: ({dk: dv for dk, dv in v.items() if dv is not None} if k == "delta" and isinstance(v, dict) else v)
                for k, v in body.items()
                if v is not None
            }
            for body in out["choices"]
        ]
    return out


@dialects
@examples(12)
@given(data=st.data())
def test_null_fields_mean_absent(dialect: str, data: st.DataObject) -> None:
    """A null choice or delta field (and ``usage: null``) says nothing: the stream without them gives the same
    output (the dialects differ only in which keys they send as null and which they omit).

    Found: a choice of at most three keys besides ``logprobs`` takes a fast path that skips its choice-level
    fields, and `_choice_extra` skips them for choices of four keys; so Azure's ``content_filter_results``
    (or any other choice-level field) is lost on a choice sent without ``finish_reason: null`` /
    ``logprobs: null``, and kept when they are there."""
    case = data.draw(chat_streams(dialect), label="stream")
    with time_limit():
        expected = run_translate(dialect, case.chunks)
        assert run_translate(dialect, [without_nulls(c) for c in case.chunks]) == expected


# -- 7. async twins ----------------------------------------------------------------------------------


@dialects
@examples(10)
@given(data=st.data())
def test_async_equals_sync(dialect: str, data: st.DataObject) -> None:
    """atranslate()/astream() give exactly what translate()/stream() give, for any cut of the body."""
    case = data.draw(ended_chat_streams(dialect), label="stream")
    pieces = data.draw(chat_wire(case), label="wire")
    cut = data.draw(splits(b"".join(pieces)), label="pieces")
    with time_limit():
        check_async_equals_sync(dialect, case.chunks, cut, created=CREATED)
