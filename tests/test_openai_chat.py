"""Unit tests of the chat-dialect translator: each row of its mapping table, each dialect quirk, each violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from translators import PROVIDERS, TranslationError, stream, translate
from translators.providers.openai_chat import DIALECTS, FINISH_REASONS, IGNORED_FIELDS
from translators.sse import encode_json

CREATED = 1_700_000_000
ID = "chatcmpl-abc"


def chunk(*choices: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "m-1",
        **fields,
        "choices": list(choices),
    }


def choice(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


def text_stream(*texts: str, finish: str = "stop", **fields: Any) -> list[dict[str, Any]]:
    return [
        chunk(choice(role="assistant", content=""), **fields),
        *[chunk(choice(content=t), **fields) for t in texts],
        chunk(choice(finish=finish), **fields),
    ]


def usage_chunk(**usage: Any) -> dict[str, Any]:
    return chunk(usage=usage)


def run(events: list[Any], provider: str = "openai", **options: Any) -> list[dict[str, Any]]:
    chunks = list(translate(provider, events, created=CREATED, **options))
    check_contract(chunks)
    return chunks


def wire(events: list[dict[str, Any]], done: bool = True) -> bytes:
    return b"".join(encode_json(e) for e in events) + (b"data: [DONE]\n\n" if done else b"")


def bodies(chunks: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    return [c for ch in chunks for c in ch.get("choices") or [] if c["index"] == index]


def deltas(chunks: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    return [c["delta"] for c in bodies(chunks, index)]


def finish_of(chunks: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    (finish,) = [c for c in bodies(chunks, index) if c["finish_reason"]]
    return finish


def usage_of(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    (last,) = [c for c in chunks if c.get("choices") == []]
    usage: dict[str, Any] = last["usage"]
    return usage


# -- registration and identity ----------------------------------------------------------------------------


def test_every_dialect_is_a_provider_with_its_quirks_documented() -> None:
    assert set(DIALECTS) == {"openai", "azure", "deepseek", "mistral", "xai", "groq", "openrouter"}
    assert set(DIALECTS) <= set(PROVIDERS)
    for dialect in DIALECTS.values():
        assert dialect.quirks and dialect.docs.startswith("https://")


def test_text_stream_keeps_identity_and_head_fields_and_drops_obfuscation() -> None:
    events = text_stream("Hel", "lo", system_fingerprint="fp_1", service_tier="default", obfuscation="xyz", usage=None)
    chunks = run(events)
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {(ID, CREATED, "m-1")}
    assert all(c["system_fingerprint"] == "fp_1" and c["service_tier"] == "default" for c in chunks)
    assert not any("obfuscation" in c or "usage" in c for c in chunks)
    assert deltas(chunks) == [{"role": "assistant"}, {"content": "Hel"}, {"content": "lo"}, {}]
    assert finish_of(chunks)["native_finish_reason"] == "stop"


def test_created_comes_from_the_upstream_only_when_the_caller_gave_none() -> None:
    events = text_stream("a")
    assert {c["created"] for c in translate("openai", events)} == {1_760_000_000}
    assert {c["created"] for c in translate("openai", events, created=5)} == {5}
    assert {c["id"] for c in translate("openai", events, id="x", model="y")} == {"x"}


def test_an_upstream_without_id_or_created_gets_neither_empty_nor_zero() -> None:
    events = [{**e, "id": "", "created": 0} for e in text_stream("a")]
    chunks = list(translate("mistral", events))
    assert all(c["id"] == f"chatcmpl-mistral-{c['created']}" and c["created"] > 0 for c in chunks)


# -- usage --------------------------------------------------------------------------------------------------


def test_one_usage_chunk_at_the_end_in_openai_semantics() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    chunks = run([*text_stream("a", usage=None), usage_chunk(**usage)])
    assert usage_of(chunks) == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2},
        "native_usage": usage,
    }
    assert "usage" not in run([*text_stream("a"), usage_chunk(**usage)], include_usage=False)[-1]


def test_usage_on_the_finish_chunk_becomes_its_own_last_chunk() -> None:  # DeepSeek, Mistral
    usage = {
        "prompt_tokens": 6,
        "completion_tokens": 20,
        "total_tokens": 26,
        "prompt_cache_hit_tokens": 4,
        "prompt_cache_miss_tokens": 2,
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    events = [
        chunk(choice(role="assistant", reasoning_content="hm", content=None)),
        chunk(choice(content="ok", reasoning_content=None)),
        chunk(choice(finish="stop", content=""), usage=usage),
    ]
    chunks = run(events, "deepseek")
    assert deltas(chunks) == [{"role": "assistant", "reasoning_content": "hm"}, {"content": "ok"}, {}]
    assert chunks[-1]["choices"] == [] and usage_of(chunks)["prompt_tokens_details"] == {"cached_tokens": 4}
    assert usage_of(chunks)["completion_tokens"] == 20


def test_xai_completion_tokens_get_the_reasoning_its_total_counts_outside_them() -> None:
    usage = {
        "prompt_tokens": 307,
        "completion_tokens": 26,
        "total_tokens": 560,
        "completion_tokens_details": {"reasoning_tokens": 227},
    }
    result = usage_of(run([*text_stream("a"), usage_chunk(**usage)], "xai"))
    assert (result["prompt_tokens"], result["completion_tokens"], result["total_tokens"]) == (307, 253, 560)
    # OpenAI-style counts (reasoning inside completion) are left alone
    openai = {**usage, "completion_tokens": 253}
    assert usage_of(run([*text_stream("a"), usage_chunk(**openai)], "openai"))["completion_tokens"] == 253


def test_groq_usage_from_x_groq_and_x_groq_kept() -> None:
    x_groq = {
        "id": "req_1",
        "usage": {"queue_time": 0.1, "prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    events = text_stream("a")
    events[0]["x_groq"] = {"id": "req_1", "seed": 7}
    events[-1]["x_groq"] = x_groq
    chunks = run(events, "groq")
    assert usage_of(chunks)["total_tokens"] == 5
    assert chunks[-1]["x_groq"] == {"id": "req_1", "seed": 7, "usage": x_groq["usage"]}


def test_moderation_after_the_usage_chunk_goes_on_the_usage_chunk() -> None:
    events = [*text_stream("a"), usage_chunk(prompt_tokens=1, completion_tokens=1, total_tokens=2)]
    events.append(chunk(moderation={"input": {"flagged": False}}, usage=None))
    chunks = run(events)
    assert chunks[-1]["moderation"] == {"input": {"flagged": False}} and chunks[-1]["usage"]["total_tokens"] == 2


def test_no_usage_upstream_means_no_usage_chunk() -> None:
    assert all(c.get("choices") for c in run(text_stream("a")))


# -- Azure ----------------------------------------------------------------------------------------------------


def test_azure_prompt_filter_chunk_never_leaks_its_empty_id_and_filters_are_kept() -> None:
    filters = [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}]
    first = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": filters}
    result = {"hate": {"filtered": False, "severity": "safe"}}
    events = [
        first,
        chunk({**choice(role="assistant", content=""), "content_filter_results": {}}),
        chunk({**choice(content="Hi"), "content_filter_results": result}),
        chunk({**choice(finish="content_filter"), "content_filter_results": result}),
    ]
    chunks = run(events, "azure")
    assert all(c["id"] == ID and c["created"] == CREATED for c in chunks)
    assert chunks[0]["prompt_filter_results"] == filters and not any("prompt_filter_results" in c for c in chunks[1:])
    assert "content_filter_results" not in bodies(chunks)[0]
    assert bodies(chunks)[1]["content_filter_results"] == result
    assert finish_of(chunks)["finish_reason"] == "content_filter"
    assert finish_of(chunks)["content_filter_results"] == result


def test_azure_prompt_filters_go_on_the_first_chunk_even_when_it_has_no_delta() -> None:
    filters = [{"prompt_index": 0, "content_filter_results": {}}]
    first = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": filters}
    events = [
        first,
        chunk({"index": 0, "finish_reason": None}),
        chunk(choice(content="a")),
        chunk(choice(finish="stop")),
    ]
    chunks = run(events, "azure")
    assert chunks[0]["prompt_filter_results"] == filters and deltas(chunks)[0] == {"role": "assistant"}
    assert not any("prompt_filter_results" in c for c in chunks[1:])


# -- content, reasoning, refusal -------------------------------------------------------------------------------


def test_mistral_content_arrays_split_into_reasoning_and_content() -> None:
    thinking = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me"}, {"type": "text", "text": " see"}]}
    ]
    events = [
        chunk(choice(role="assistant", content="")),
        chunk(choice(content=thinking)),
        chunk(choice(content=[{"type": "text", "text": "Yes"}, {"type": "reference", "reference_ids": [1]}])),
        chunk(choice(content="!")),
        chunk(choice(finish="stop")),
    ]
    chunks = run(events, "mistral")
    assert deltas(chunks)[1] == {"reasoning_content": "Let me see"}
    assert deltas(chunks)[2] == {
        "content": "Yes",
        "content_parts": [{"index": 0, "type": "reference", "reference_ids": [1]}],
    }
    assert fold(chunks).choices[0].message.content == "Yes!"


def test_reasoning_goes_to_the_configured_field_whatever_the_upstream_called_it() -> None:
    for provider, key in (("deepseek", "reasoning_content"), ("groq", "reasoning"), ("openrouter", "reasoning")):
        events = [
            chunk(choice(role="assistant", **{key: "think"})),
            chunk(choice(content="x")),
            chunk(choice(finish="stop")),
        ]
        assert deltas(run(events, provider, reasoning_field="reasoning"))[0] == {
            "role": "assistant",
            "reasoning": "think",
        }


def test_groq_channel_is_kept_beside_the_reasoning() -> None:
    events = [
        chunk(choice(role="assistant", content="")),
        chunk(choice(reasoning="We", channel="analysis")),
        chunk(choice(finish="stop")),
    ]
    assert deltas(run(events, "groq"))[1] == {"reasoning_content": "We", "channel": "analysis"}


def test_openrouter_reasoning_details_keep_one_entry_per_upstream_index() -> None:
    detail = {"type": "reasoning.text", "text": "a", "index": 0, "format": None}
    events = [
        chunk(choice(role="assistant", reasoning="a", reasoning_details=[detail]), provider="OpenAI"),
        chunk(choice(reasoning="b", reasoning_details=[{**detail, "text": "b"}]), provider="OpenAI"),
        chunk(choice(reasoning_details=[{"type": "reasoning.encrypted", "data": "zz", "index": 1}])),
        chunk(choice(finish="stop")),
    ]
    chunks = run(events, "openrouter")
    entries = [e for d in deltas(chunks) for e in d.get("reasoning_details", [])]
    assert [e["index"] for e in entries] == [0, 0, 1]
    assert all(c["provider"] == "OpenAI" for c in chunks)
    message = fold(chunks).choices[0].message
    assert message.reasoning_content == "ab"


def test_an_unhashable_reasoning_details_index_still_names_one_entry() -> None:
    odd = {"type": "reasoning.text", "text": "a", "index": [1]}
    events = [chunk(choice(role="assistant", reasoning_details=[odd])), chunk(choice(reasoning_details=[odd]))]
    entries = [
        e
        for d in deltas(run([*events, chunk(choice(finish="stop"))], "openrouter"))
        for e in d.get("reasoning_details", [])
    ]
    assert [e["index"] for e in entries] == [0, 0] and entries[0]["native_index"] == [1]


def test_refusal_logprobs_and_audio_pass_through() -> None:
    logprobs = {"content": [{"token": "No", "logprob": -0.1, "bytes": [78, 111], "top_logprobs": []}], "refusal": None}
    events = [
        chunk(choice(role="assistant", content=None, refusal="")),
        chunk({**choice(refusal="I can't"), "logprobs": logprobs}),
        chunk(choice(audio={"id": "au_1", "transcript": "hi"})),
        chunk(choice(finish="stop")),
    ]
    chunks = run(events)
    assert deltas(chunks)[1] == {"refusal": "I can't"} and bodies(chunks)[1]["logprobs"] == logprobs
    assert deltas(chunks)[2] == {"audio": {"id": "au_1", "transcript": "hi"}}
    assert fold(chunks).choices[0].message.refusal == "I can't"


def test_annotations_are_indexed_per_choice() -> None:
    cite = {"type": "url_citation", "url_citation": {"url": "https://a", "start_index": 0, "end_index": 1}}
    events = [
        chunk(choice(role="assistant", content="a", annotations=[cite])),
        chunk(choice(annotations=[cite])),
        chunk(choice(finish="stop")),
    ]
    entries = [e for d in deltas(run(events)) for e in d.get("annotations", [])]
    assert [e["index"] for e in entries] == [0, 1] and entries[0]["url_citation"]["url"] == "https://a"


# -- choices ---------------------------------------------------------------------------------------------------


def test_n_choices_each_get_role_and_one_finish_and_appear_in_order() -> None:
    events = [
        chunk(choice(1, role="assistant", content="b")),
        chunk(choice(0, role="assistant", content="a")),
        chunk(choice(1, finish="stop")),
        chunk(choice(0, finish="length")),
    ]
    chunks = run(events)
    assert [c["choices"][0]["index"] for c in chunks] == [0, 1, 0, 1, 0]
    assert deltas(chunks, 0) == [{"role": "assistant"}, {"content": "a"}, {}]
    folded = fold(chunks)
    assert [c.message.content for c in folded.choices] == ["a", "b"]
    assert [c.finish_reason for c in folded.choices] == ["length", "stop"]


def test_a_repeated_finish_is_dropped_and_content_after_finish_is_an_error() -> None:
    events = [*text_stream("a", finish="length"), chunk(choice(finish="length", role="assistant", content=""))]
    assert [finish_of(run(events, "openrouter"))["finish_reason"]] == ["length"]
    with pytest.raises(TranslationError, match="after its finish_reason"):
        run([*text_stream("a"), chunk(choice(content="late"))])


CHAT_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "function_call",
    "end_turn": "stop",
    "eos": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "tool_use": "tool_calls",
}
"""The documented table, written out independently of FINISH_REASONS so that a change there is deliberate."""


def test_the_finish_table_is_the_documented_one() -> None:
    assert FINISH_REASONS == CHAT_FINISH


@pytest.mark.parametrize(("reason", "expected"), [*sorted(CHAT_FINISH.items()), ("something_new", "stop")])
def test_finish_reason_table(reason: str, expected: str) -> None:
    finish = finish_of(run(text_stream("a", finish=reason)))
    assert (finish["finish_reason"], finish["native_finish_reason"]) == (expected, reason)


# -- tool calls -------------------------------------------------------------------------------------------------


def tool(
    index: int | None = None, id: str | None = None, name: str | None = None, arguments: str = ""
) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {"arguments": arguments}}
    if name is not None:
        call["function"]["name"] = name
    if index is not None:
        call["index"] = index
    if id is not None:
        call["id"] = id
        call["type"] = "function"
    return call


def test_streamed_parallel_tool_calls() -> None:
    events = [
        chunk(choice(role="assistant", content=None, tool_calls=[tool(0, "call_a", "f")])),
        chunk(choice(tool_calls=[tool(0, arguments='{"x":')])),
        chunk(choice(tool_calls=[tool(0, arguments="1}")])),
        chunk(choice(tool_calls=[tool(1, "call_b", "g", "{}")])),
        chunk(choice(finish="tool_calls")),
    ]
    chunks = run(events)
    assert deltas(chunks)[0] == {"role": "assistant"}
    assert deltas(chunks)[1] == {
        "tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": ""}}]
    }
    calls = fold(chunks).choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", '{"x":1}'),
        ("call_b", "g", "{}"),
    ]


def test_mistral_whole_calls_without_index_or_type_get_both() -> None:
    whole = {"id": "gSIM", "function": {"name": "weather", "arguments": '{"q": 1}'}}
    events = [
        chunk(choice(role="assistant", content="")),
        chunk(
            choice(finish="tool_calls", content=None, tool_calls=[whole, {**whole, "id": "other"}]),
            usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        ),
    ]
    chunks = run(events, "mistral")
    calls = [c for d in deltas(chunks) for c in d.get("tool_calls", [])]
    assert [(c["index"], c["id"], c["type"]) for c in calls] == [(0, "gSIM", "function"), (1, "other", "function")]
    assert finish_of(chunks)["finish_reason"] == "tool_calls" and usage_of(chunks)["total_tokens"] == 3


def test_a_call_without_id_gets_a_deterministic_one_and_stop_after_calls_is_tool_calls() -> None:
    events = [
        chunk(choice(role="assistant", tool_calls=[tool(0, name="f", arguments="{}")])),
        chunk(choice(finish="stop")),
    ]
    chunks = run(events)
    assert deltas(chunks)[1]["tool_calls"][0]["id"] == "call_abc_0"
    assert finish_of(chunks)["finish_reason"] == "tool_calls" and finish_of(chunks)["native_finish_reason"] == "stop"


def test_object_arguments_and_the_legacy_function_call_become_tool_calls() -> None:
    events = [
        chunk(
            choice(
                role="assistant", tool_calls=[{"index": 0, "id": "c", "function": {"name": "f", "arguments": {"a": 1}}}]
            )
        ),
        chunk(choice(function_call={"name": "g", "arguments": "{"})),
        chunk(choice(function_call={"arguments": "}"})),
        chunk(choice(finish="function_call")),
    ]
    calls = fold(run(events)).choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [("f", '{"a":1}'), ("g", "{}")]


@pytest.mark.parametrize(
    ("calls", "message"),
    [
        ([tool(0, "c")], "no function name"),
        ("x", "'tool_calls' is not a list"),
        ([5], "not an object"),
        ([{"index": 0, "function": 5}], "'function' is not an object"),
        ([{"index": [0], "id": "c", "function": {"name": "f"}}], "'index' is not an integer"),
    ],
)
def test_bad_tool_calls_raise(calls: Any, message: str) -> None:
    with pytest.raises(TranslationError, match=message):
        run([chunk(choice(role="assistant", tool_calls=calls))])


# -- ends and errors --------------------------------------------------------------------------------------------


def test_stream_ends_at_done_and_reads_nothing_after_it() -> None:
    body = wire(text_stream("a")) + b"data: {not json\n\n"
    payloads, done = parse_sse_output(b"".join(stream("openai", [body], created=CREATED)))
    assert done and payloads[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("cut", [0, 1, 2])
def test_a_stream_without_every_finish_ends_in_an_error(cut: int) -> None:
    events = text_stream("a", "b")[: cut + 1]
    chunks = list(translate("openai", events, created=CREATED))
    assert chunks[-1]["error"]["type"] == "upstream_truncated"
    payloads, done = parse_sse_output(b"".join(stream("openai", [wire(events)], created=CREATED)))
    assert not done and payloads[-1]["error"]["type"] == "upstream_truncated"
    assert list(translate("openai", [], created=CREATED))[-1]["error"]["type"] == "upstream_truncated"


def test_groq_error_event_ends_the_stream_without_done() -> None:
    error = {
        "message": "Tool call validation failed",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": "{}",
        "status_code": 400,
    }
    body = wire(text_stream("a")[:2], done=False) + b"event: error\ndata: " + encode_json({"error": error})[6:]
    payloads, done = parse_sse_output(b"".join(stream("groq", [body], created=CREATED)))
    assert not done
    assert payloads[-1]["error"] | {"native_error": None} == {
        "message": "Tool call validation failed",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "param": None,
        "native_error": None,
    }
    assert payloads[-1]["error"]["native_error"] == error
    check_contract(payloads, done=done)


def test_openrouter_error_chunk_after_the_finish_is_an_error_event_even_before_done() -> None:
    usage = {"prompt_tokens": 43, "completion_tokens": 10, "total_tokens": 53, "cost": 0}
    events = [
        *text_stream("a", finish="length"),
        chunk(choice(role="assistant", content=""), error={"code": 400, "message": "Token limit reached"}, usage=usage),
    ]
    body = wire(events)
    payloads, done = parse_sse_output(b"".join(stream("openrouter", [body], created=CREATED)))
    assert not done and payloads[-1]["error"]["message"] == "Token limit reached"
    assert (payloads[-1]["error"]["type"], payloads[-1]["error"]["code"]) == ("invalid_request_error",) * 2
    assert payloads[-1]["usage"]["total_tokens"] == 53
    check_contract(payloads, done=done)


def test_a_null_error_field_is_not_an_error() -> None:
    assert run([{**e, "error": None} for e in text_stream("a")]) == run(text_stream("a"))


def test_finish_reason_error_without_an_error_object_is_an_error_event() -> None:
    events = [*text_stream("a")[:2], chunk(choice(finish="error"))]
    chunks = list(translate("openrouter", events, created=CREATED))
    assert "error" in chunks[-1] and chunks[-1]["error"]["type"] == "api_error"
    check_contract(chunks)
    payloads, done = parse_sse_output(b"".join(stream("openrouter", [wire(events)], created=CREATED)))
    assert not done and payloads == chunks


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"id": "x"}, "no 'choices' list"),
        (chunk(5), "a choice is not an object"),
        (chunk({"index": -1, "delta": {}}), "'index'"),
        (chunk({"index": 0, "delta": 5}), "'delta' is not an object"),
        (chunk(choice(content=5)), "neither a string nor a list"),
        (chunk(choice(content=[5])), "content part is not an object"),
        (chunk(choice(reasoning_content=5)), "not a string"),
        (chunk(choice(reasoning_details="x")), "not a list"),
        (chunk(choice(annotations="x")), "not a list"),
        (chunk(choice(content="a"), usage=5), "'usage' is not an object"),
    ],
)
def test_malformed_chunks_raise_translation_error(event: dict[str, Any], message: str) -> None:
    with pytest.raises(TranslationError, match=message) as info:
        run([event])
    assert info.value.provider == "openai" and info.value.where == "chunk #1"


def test_strict_rejects_unknown_fields_and_event_types_but_not_the_ignored_ones() -> None:
    events = text_stream("a", obfuscation="x")
    assert {"obfuscation"} <= IGNORED_FIELDS
    run(events, strict=True)
    with pytest.raises(TranslationError, match="unknown field 'surprise'"):
        run([chunk(choice(content="a"), surprise=1)], strict=True)
    with pytest.raises(TranslationError, match="unknown event type"):
        run([{"type": "ping"}], strict=True)
    assert run([{"type": "ping"}, *text_stream("a")]) == run(text_stream("a"))


def test_sdk_chunk_objects_translate_like_their_dicts() -> None:
    from openai.types.chat import ChatCompletionChunk

    events = text_stream("a", "b")
    objects = [ChatCompletionChunk.model_validate(e) for e in events]
    assert run(objects) == run(events)


def test_stream_equals_translate_encoded_for_every_dialect() -> None:
    events = text_stream("a", "b", "c")
    for provider in DIALECTS:
        expected = b"".join(encode_json(c) for c in translate(provider, events, created=CREATED)) + b"data: [DONE]\n\n"
        assert b"".join(stream(provider, [wire(events)], created=CREATED)) == expected
