"""Unit tests of the Bedrock ConverseStream translator: each mapping row and each protocol violation."""

from __future__ import annotations

import asyncio
import base64
from types import MappingProxyType
from typing import Any

import pytest

from tests.contract import acollect, aiter_of, check_contract, fold, parse_sse_output
from translators import TranslationError, atranslate, stream, translate
from translators._core import Options
from translators.eventstream import encode_event
from translators.providers.bedrock import EXCEPTIONS, FINISH_REASONS, BedrockTranslator

CREATED = 1_700_000_000
Event = dict[str, Any]

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
"""The documented stopReason table, written out independently of FINISH_REASONS."""


def start() -> Event:
    return {"messageStart": {"role": "assistant", "p": "abc"}}


def block(index: int, content: dict[str, Any]) -> Event:
    return {"contentBlockStart": {"contentBlockIndex": index, "start": content, "p": "a"}}


def delta(index: Any, **fields: Any) -> Event:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": fields, "p": "ab"}}


def stop(index: Any) -> Event:
    return {"contentBlockStop": {"contentBlockIndex": index}}


def message_stop(reason: Any = "end_turn", **extra: Any) -> Event:
    return {"messageStop": {"stopReason": reason, **extra}}


def metadata(usage: dict[str, Any] | None = None, **extra: Any) -> Event:
    return {"metadata": {"usage": usage or {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, **extra}}


def end(reason: Any = "end_turn") -> list[Event]:
    return [message_stop(reason), metadata()]


def text_stream(*pieces: str) -> list[Event]:
    return [start(), *(delta(0, text=p) for p in pieces), stop(0), *end()]


def run(events: list[Any], **options: Any) -> list[dict[str, Any]]:
    chunks = list(translate("bedrock", events, created=CREATED, **options))
    check_contract(chunks)
    return chunks


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def raises(events: list[Any], match: str, **options: Any) -> TranslationError:
    with pytest.raises(TranslationError, match=match) as info:
        list(translate("bedrock", events, created=CREATED, **options))
    assert info.value.provider == "bedrock"
    assert info.value.where is not None and info.value.where.startswith(f"event #{len(events)}")
    return info.value


# -- message level --------------------------------------------------------------------------------


def test_message_start_gives_the_role_chunk_and_default_id_and_model() -> None:
    chunks = run(text_stream("Hi"))
    first = chunks[0]
    assert first["id"] == f"chatcmpl-bedrock-{CREATED}" and first["model"] == "" and first["created"] == CREATED
    assert first["choices"] == [{"index": 0, "delta": {"role": "assistant"}, "logprobs": None, "finish_reason": None}]
    assert deltas(chunks)[1] == {"content": "Hi"}


def test_options_set_id_model_created_and_reasoning_field() -> None:
    events = [start(), delta(0, reasoningContent={"text": "hmm"}), stop(0), *end()]
    chunks = list(translate("bedrock", events, id="fixed", model="claude", created=42, reasoning_field="reasoning"))
    check_contract(chunks)
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {("fixed", "claude", 42)}
    assert deltas(chunks)[1]["reasoning"] == "hmm"


def test_the_finish_table_is_the_documented_one() -> None:
    assert dict(FINISH_REASONS) == {k: v for k, v in BEDROCK_FINISH.items() if not k.startswith("malformed")}


@pytest.mark.parametrize(("native", "expected"), sorted(BEDROCK_FINISH.items()))
def test_stop_reasons_map_and_the_raw_value_is_kept(native: str, expected: str) -> None:
    chunks = run([start(), *end(native)])
    finish = chunks[-2]["choices"][0]
    assert finish["finish_reason"] == expected and finish["native_finish_reason"] == native
    assert "additionalModelResponseFields" not in finish


@pytest.mark.parametrize("reason", ["brand_new", None, 7])
def test_unknown_missing_or_odd_stop_reason_maps_to_stop(reason: Any) -> None:
    finish = run([start(), *end(reason)])[-2]["choices"][0]
    assert finish["finish_reason"] == "stop" and finish["native_finish_reason"] == reason


def test_additional_model_response_fields_ride_on_the_finish_chunk() -> None:
    fields = {"stop_sequence": "###"}
    chunks = run([start(), message_stop("stop_sequence", additionalModelResponseFields=fields), metadata()])
    assert chunks[-2]["choices"][0]["additionalModelResponseFields"] == fields


def test_usage_counts_cache_reads_and_writes_into_the_prompt() -> None:
    usage = {
        "inputTokens": 10,
        "outputTokens": 40,
        "totalTokens": 157,
        "cacheReadInputTokens": 100,
        "cacheWriteInputTokens": 7,
    }
    chunk = run([start(), message_stop(), metadata(usage)])[-1]
    assert chunk["choices"] == []
    assert chunk["usage"] == {
        "prompt_tokens": 117,
        "completion_tokens": 40,
        "total_tokens": 157,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 7},
        "native_usage": usage,
    }


def test_missing_or_malformed_usage_counts_nothing() -> None:
    for payload in ({}, {"usage": "x"}, {"usage": {"inputTokens": -1, "outputTokens": True}}):
        usage = run([start(), message_stop(), {"metadata": payload}])[-1]["usage"]
        assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (0, 0, 0)


def test_metadata_extras_ride_on_the_usage_chunk() -> None:
    extras = {"metrics": {"latencyMs": 12}, "trace": {"guardrail": {}}, "performanceConfig": {"latency": "optimized"}}
    extras["serviceTier"] = {"type": "flex"}
    chunk = run([start(), message_stop(), metadata(None, **extras, other="dropped")])[-1]
    assert {k: chunk[k] for k in extras} == extras and "other" not in chunk
    plain = run([start(), message_stop(), metadata(None, metrics=None)])[-1]
    assert "metrics" not in plain


def test_include_usage_false_leaves_out_the_usage_chunk_but_still_ends() -> None:
    chunks = list(translate("bedrock", text_stream("a"), created=CREATED, include_usage=False))
    check_contract(chunks, usage=False)
    assert all(c["choices"] for c in chunks) and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    out, done = parse_sse_output(b"".join(stream("bedrock", [_body(text_stream("a"))], include_usage=False)))
    assert done and all(c["choices"] for c in out)


def test_input_after_metadata_is_not_read() -> None:
    def events() -> Any:
        yield from text_stream("a")
        raise AssertionError("read past metadata")

    assert list(translate("bedrock", events(), created=CREATED)) == run(text_stream("a"))


# -- text and the hot path --------------------------------------------------------------------------


def test_text_blocks_open_implicitly_and_empty_text_is_skipped() -> None:
    events = [start(), delta(0, text=""), delta(0, text="a"), delta(0, text=""), delta(0, text="b"), stop(0), *end()]
    assert deltas(run(events))[1:-1] == [{"content": "a"}, {"content": "b"}]


def _checked(events: list[Event]) -> list[Any]:
    """The same events with every payload behind a read-only Mapping: `feed` then takes the checked path."""
    return [{k: MappingProxyType(v) for k, v in e.items()} for e in events]


def test_hot_path_and_checked_path_give_the_same_output() -> None:
    events = [
        start(),
        delta(0, text="Hel"),
        delta(0, text="lo"),
        delta(0, text=""),
        stop(0),
        delta(1, reasoningContent={"text": "r"}),
        stop(1),
        *end(),
    ]
    assert run(_checked(events)) == run(events)


@pytest.mark.parametrize("index", ["0", 0.0, True, None, -1])
def test_a_non_int_content_block_index_is_a_translation_error(index: Any) -> None:
    raises([start(), delta(0, text="a"), delta(index, text="b")], "contentBlockIndex")
    raises([start(), delta(index, text="b")], "contentBlockIndex")


def test_text_that_is_not_a_string_is_a_translation_error() -> None:
    raises([start(), delta(0, text="a"), delta(0, text=5)], "field 'text'")
    raises([start(), delta(0, text=["x"])], "field 'text'")


# -- reasoning ----------------------------------------------------------------------------------------


def test_reasoning_text_and_signature_make_one_entry_with_format_once() -> None:
    events = [
        start(),
        delta(0, reasoningContent={"text": "step 1"}),
        delta(0, reasoningContent={"text": ""}),
        delta(0, reasoningContent={"text": ", step 2"}),
        delta(0, reasoningContent={"signature": "sig=="}),
        stop(0),
        delta(1, text="answer"),
        stop(1),
        *end(),
    ]
    chunks = run(events)
    d = deltas(chunks)
    assert d[1] == {
        "reasoning_content": "step 1",
        "reasoning_details": [
            {"index": 0, "type": "reasoning.text", "format": "bedrock-converse-v1", "text": "step 1"}
        ],
    }
    assert d[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.text", "text": ", step 2"}]
    assert d[3] == {"reasoning_details": [{"index": 0, "type": "reasoning.text", "signature": "sig=="}]}
    message = fold(chunks).choices[0].message
    assert message.content == "answer"
    assert message.model_extra["reasoning_details"] == [
        {
            "index": 0,
            "type": "reasoning.text",
            "format": "bedrock-converse-v1",
            "text": "step 1, step 2",
            "signature": "sig==",
        }
    ]


def test_a_signature_first_carries_the_format_and_later_text_continues_the_entry() -> None:
    events = [start(), delta(0, reasoningContent={"signature": "s"}), delta(0, reasoningContent={"text": "t"})]
    d = deltas(run([*events, stop(0), *end()]))
    assert d[1] == {
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "format": "bedrock-converse-v1", "signature": "s"}]
    }
    assert d[2] == {
        "reasoning_content": "t",
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "text": "t"}],
    }


def test_redacted_content_as_str_and_bytes_is_one_encrypted_entry_per_block() -> None:
    blob = b"\x00\xffopaque"
    encoded = base64.b64encode(blob).decode()
    events = [
        start(),
        delta(0, reasoningContent={"redactedContent": encoded}),
        delta(0, reasoningContent={"redactedContent": bytearray(b"more")}),
        stop(0),
        delta(1, reasoningContent={"redactedContent": blob}),
        stop(1),
        *end(),
    ]
    d = deltas(run(events))
    fmt = "bedrock-converse-v1"
    assert d[1]["reasoning_details"] == [{"index": 0, "type": "reasoning.encrypted", "data": encoded, "format": fmt}]
    assert d[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.encrypted", "data": "bW9yZQ=="}]
    assert d[3]["reasoning_details"] == [{"index": 1, "type": "reasoning.encrypted", "data": encoded, "format": fmt}]


def test_reasoning_and_redacted_in_one_block_get_separate_entries() -> None:
    events = [
        start(),
        delta(0, reasoningContent={"text": "t"}),
        delta(0, reasoningContent={"redactedContent": "x"}),
        delta(0, reasoningContent={"signature": "s"}),
        stop(0),
        *end(),
    ]
    details = fold(run(events)).choices[0].message.model_extra["reasoning_details"]
    assert [(e["index"], e["type"]) for e in details] == [(0, "reasoning.text"), (1, "reasoning.encrypted")]
    assert details[0]["signature"] == "s" and details[1]["data"] == "x"


def test_unknown_reasoning_member_is_dropped_unless_strict() -> None:
    events = [start(), delta(0, reasoningContent={"text": "t"}), delta(0, reasoningContent={"future": 1})]
    events += [stop(0), *end()]
    base = [start(), delta(0, reasoningContent={"text": "t"}), stop(0), *end()]
    assert run(events) == run(base)
    raises(events[:3], "unknown reasoningContent member 'future'", strict=True)


# -- tools ----------------------------------------------------------------------------------------------


def test_tool_calls_count_from_zero_and_fragments_pass_verbatim() -> None:
    events = [
        start(),
        delta(0, text="Let me check."),
        stop(0),
        block(1, {"toolUse": {"toolUseId": "tooluse_a", "name": "weather"}}),
        delta(1, toolUse={"input": ""}),
        delta(1, toolUse={"input": '{"city": '}),
        delta(1, toolUse={"input": '"Paris"}'}),
        stop(1),
        block(2, {"toolUse": {"toolUseId": "tooluse_b", "name": "time", "type": "tool_use"}}),
        stop(2),
        *end("tool_use"),
    ]
    chunks = run(events)
    calls = [x["tool_calls"][0] for x in deltas(chunks) if "tool_calls" in x]
    assert calls == [
        {"index": 0, "id": "tooluse_a", "type": "function", "function": {"name": "weather", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"city": '}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
        {"index": 1, "id": "tooluse_b", "type": "function", "function": {"name": "time", "arguments": ""}},
        {"index": 1, "function": {"arguments": "{}"}},
    ]
    message = fold(chunks).choices[0].message
    assert [(c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("weather", '{"city": "Paris"}'),
        ("time", "{}"),
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("tool", "match"),
    [
        ({"name": "f"}, "field 'toolUseId'"),
        ({"toolUseId": 3, "name": "f"}, "field 'toolUseId'"),
        ({"toolUseId": "t"}, "field 'name'"),
    ],
)
def test_tool_without_id_or_name_is_a_translation_error(tool: dict[str, Any], match: str) -> None:
    raises([start(), block(0, {"toolUse": tool})], match)


@pytest.mark.parametrize("value", [{"input": 5}, {}, "raw"])
def test_tool_input_that_is_not_a_string_is_a_translation_error(value: Any) -> None:
    raises([start(), block(0, {"toolUse": {"toolUseId": "t", "name": "f"}}), delta(0, toolUse=value)], "'input'")


def test_server_tool_and_tool_result_go_to_server_blocks_never_tool_calls() -> None:
    server_tool = {"toolUseId": "srv_1", "name": "nova_code_interpreter", "type": "server_tool_use"}
    result_start = {"toolResult": {"toolUseId": "srv_1", "type": "nova_code_interpreter_result", "status": "success"}}
    output = [{"json": {"stdout": "2"}}]
    events = [
        start(),
        block(0, {"toolUse": server_tool}),
        delta(0, toolUse={"input": '{"code": "1+1"}'}),
        stop(0),
        block(1, result_start),
        delta(1, toolResult=output),
        stop(1),
        delta(2, toolResult=[{"text": "implicit"}]),
        stop(2),
        block(3, {"future": {"x": 1}}),
        stop(3),
        *end(),
    ]
    chunks = run(events)
    assert not any("tool_calls" in d for d in deltas(chunks))
    entries = [e for d in deltas(chunks) for e in d.get("server_blocks", [])]
    assert entries == [
        {"index": 0, "toolUse": server_tool},
        {"index": 0, "toolUse": {"input": '{"code": "1+1"}'}},
        {"index": 1, **result_start},
        {"index": 1, "toolResult": output},
        {"index": 2, "toolResult": [{"text": "implicit"}]},
        {"index": 3, "future": {"x": 1}},
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


def test_server_block_field_named_index_is_kept_as_native_index() -> None:
    d = deltas(run([start(), block(0, {"future": 1, "index": 9}), stop(0), *end()]))
    assert d[1]["server_blocks"] == [{"index": 0, "future": 1, "native_index": 9}]


# -- images ---------------------------------------------------------------------------------------------


def test_image_bytes_become_data_urls() -> None:
    events = [
        start(),
        block(0, {"image": {"format": "jpeg"}}),
        delta(0, image={"source": {"bytes": b"\x89img"}}),
        delta(0, image={"source": {"bytes": "QUJD"}}),
        stop(0),
        block(1, {"image": {}}),
        delta(1, image={"source": {"bytes": bytearray(b"x")}}),
        stop(1),
        *end(),
    ]
    chunks = run(events)
    images = [e for d in deltas(chunks) for e in d.get("images", [])]
    b64 = base64.b64encode(b"\x89img").decode()
    assert images == [
        {"index": 0, "type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{b64}"}},
        {"index": 1, "type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
        {"index": 2, "type": "image_url", "image_url": {"url": "data:image/png;base64,eA=="}},
    ]
    assert deltas(chunks)[1] == {"images": [images[0]]}  # the start itself sends nothing


def test_image_without_bytes_goes_to_server_blocks_in_one_entry() -> None:
    s3 = {"source": {"s3Location": {"uri": "s3://b/k"}}}
    events = [start(), block(0, {"image": {"format": "png"}}), delta(0, image=s3), delta(0, image="odd"), stop(0)]
    d = deltas(run([*events, *end()]))
    assert d[1] == {"server_blocks": [{"index": 0, "image": s3}]}
    assert d[2] == {"server_blocks": [{"index": 0, "image": "odd"}]}


def test_an_image_delta_opening_a_block_is_a_server_block() -> None:
    d = deltas(run([start(), delta(0, image={"source": {"bytes": "QUJD"}}), stop(0), *end()]))
    assert d[1] == {"server_blocks": [{"index": 0, "image": {"source": {"bytes": "QUJD"}}}]}


# -- citations ------------------------------------------------------------------------------------------


def test_citations_become_annotations_at_the_block_stop() -> None:
    web = {"title": "E", "location": {"web": {"url": "https://e.x", "domain": "e.x"}}}
    doc = {"location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 1}}, "sourceContent": []}
    bare = {"title": "no location", "location": "odd"}
    events = [
        start(),
        delta(0, text="Intro. "),
        stop(0),
        delta(1, citation=web),
        delta(1, text="cit"),
        delta(1, citation=doc),
        delta(1, text="ed"),
        delta(1, citation=bare),
        stop(1),
        *end(),
    ]
    chunks = run(events)
    d = deltas(chunks)
    annotated = [i for i, x in enumerate(d) if "annotations" in x]
    assert annotated == [len(d) - 2]  # sent once, at the stop of block 1, after its text
    assert d[-2]["annotations"] == [
        {
            "index": 0,
            "type": "url_citation",
            "url_citation": {"url": "https://e.x", "title": "E", "start_index": 7, "end_index": 12},
            "citation": web,
        },
        {"index": 1, "type": "documentChar", "citation": doc, "start_index": 7, "end_index": 12},
        {"index": 2, "type": "citation", "citation": bare, "start_index": 7, "end_index": 12},
    ]
    message = fold(chunks).choices[0].message
    span = message.annotations[0].url_citation
    assert message.content[span.start_index : span.end_index] == "cited"


def test_citations_of_a_block_left_open_are_flushed_at_message_stop() -> None:
    web = {"location": {"web": {"url": "https://e.x"}}}
    events = [start(), delta(0, text="part"), delta(0, citation=web), *end("max_tokens")]
    chunks = run(events)
    assert deltas(chunks)[-2]["annotations"][0]["url_citation"] == {
        "url": "https://e.x",
        "title": "",
        "start_index": 0,
        "end_index": 4,
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_a_citation_that_is_not_an_object_is_a_translation_error() -> None:
    raises([start(), delta(0, text="a"), delta(0, citation="x")], "field 'citation'")


# -- unknown input ---------------------------------------------------------------------------------------


def test_unknown_event_types_are_dropped_unless_strict() -> None:
    events = text_stream("a")
    events.insert(2, {"futureEvent": {"x": 1}})
    assert run(events) == run(text_stream("a"))
    raises(events[:3], "unknown event type 'futureEvent'", strict=True)


def test_unknown_delta_kind_is_dropped_unless_strict() -> None:
    events = text_stream("a")
    events.insert(2, delta(0, futureDelta={"x": 1}))
    assert run(events) == run(text_stream("a"))
    raises(events[:3], "a futureDelta delta does not fit a text block", strict=True)


# -- endings ----------------------------------------------------------------------------------------------


def test_exception_message_from_the_frame_decoder_ends_with_an_error_event() -> None:
    failure = {"error": {"type": "modelStreamErrorException", "message": "boom", "headers": {":message-type": "x"}}}
    chunks = run([*text_stream("a")[:2], failure])
    assert chunks[-1] == {
        "error": {
            "message": "boom",
            "type": "api_error",
            "code": "ModelStreamErrorException",
            "param": None,
            "native_error": failure["error"],
        }
    }
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks[:-1])


STREAM_EXCEPTION_TYPES = {
    "internalServerException": "api_error",
    "modelStreamErrorException": "api_error",
    "validationException": "invalid_request_error",
    "throttlingException": "rate_limit_error",
    "serviceUnavailableException": "overloaded_error",
}


@pytest.mark.parametrize("member", sorted(EXCEPTIONS))
def test_boto3_exception_members_end_with_an_error_event(member: str) -> None:
    chunks = run([start(), {member: {"message": "Too many requests"}}])
    err = chunks[-1]["error"]
    assert (err["type"], err["code"], err["message"], err["native_error"]) == (
        STREAM_EXCEPTION_TYPES[member],
        member[0].upper() + member[1:],
        "Too many requests",
        {"message": "Too many requests"},
    )


@pytest.mark.parametrize(("status", "kind"), [(500, "api_error"), (429, "rate_limit_error"), (529, "overloaded_error")])
def test_a_model_stream_error_takes_its_type_from_the_original_status(status: int, kind: str) -> None:
    error = {"message": "m", "originalStatusCode": status, "originalMessage": "o"}
    chunks = run([start(), {"modelStreamErrorException": error}])
    assert (chunks[-1]["error"]["type"], chunks[-1]["error"]["code"]) == (kind, "ModelStreamErrorException")


def test_error_event_defaults_and_first_position() -> None:
    [only] = run([{"error": {}}])
    assert (only["error"]["type"], only["error"]["code"]) == ("api_error", "api_error")
    assert only["error"]["message"] == "Bedrock stream error"
    [odd] = run([{"error": {"type": 5, "message": ""}}])
    assert (odd["error"]["type"], odd["error"]["message"]) == ("api_error", "Bedrock stream error")
    [throttled] = run([{"throttlingException": {}}])
    assert (throttled["error"]["type"], throttled["error"]["code"]) == ("rate_limit_error", "ThrottlingException")


def test_error_event_through_stream_has_no_done() -> None:
    body = _body([start(), delta(0, text="a"), {"error": {"type": "internalServerException", "message": "x"}}])
    out, done = parse_sse_output(b"".join(stream("bedrock", [body], created=CREATED)))
    assert not done and (out[-1]["error"]["type"], out[-1]["error"]["code"]) == ("api_error", "InternalServerException")
    check_contract(out, done=done)


@pytest.mark.parametrize(
    ("cut", "last"),
    [(1, "messageStop"), (2, "messageStop"), (3, "messageStop"), (4, "metadata")],
)
def test_truncation_names_the_event_it_ended_before(cut: int, last: str) -> None:
    chunks = run(text_stream("a")[:cut])
    assert chunks[-1] == {
        "error": {
            "message": f"upstream stream ended before {last}",
            "type": "upstream_truncated",
            "code": "upstream_truncated",
            "param": None,
        }
    }


def test_finish_after_the_end_adds_nothing() -> None:
    for events in (text_stream("a"), [start(), {"error": {}}], [start()]):
        translator = BedrockTranslator(Options(created=CREATED))
        for event in events:
            translator.feed(event)
        first = translator.finish()
        assert translator.done and translator.finish() == []
        assert (first == []) == (events[-1] != start())


def test_empty_input_is_truncated() -> None:
    assert run([])[-1]["error"]["type"] == "upstream_truncated"
    out, done = parse_sse_output(b"".join(stream("bedrock", [_body(text_stream("a")[:3])], created=CREATED)))
    assert not done and out[-1]["error"]["type"] == "upstream_truncated"


# -- protocol violations ---------------------------------------------------------------------------------

TOOL = block(0, {"toolUse": {"toolUseId": "t", "name": "f"}})
VIOLATIONS: dict[str, tuple[list[Any], str]] = {
    "delta before messageStart": ([delta(0, text="x")], "event before messageStart"),
    "stop before messageStart": ([stop(0)], "event before messageStart"),
    "messageStop before messageStart": ([message_stop()], "event before messageStart"),
    "second messageStart": ([start(), start()], "second messageStart"),
    "second messageStop": ([start(), message_stop(), message_stop()], "second messageStop"),
    "metadata before messageStop": ([start(), metadata()], "metadata before messageStop"),
    "two keys": ([{"messageStart": {}, "metadata": {}}], "one key .* not 2"),
    "no keys": ([{}], "one key .* not 0"),
    "two keys around a delta": ([{**delta(0, text="a"), "x": {}}], "not 2"),
    "payload not an object": ([start(), {"contentBlockStop": [0]}], "payload is list"),
    "delta payload not an object": ([start(), {"contentBlockDelta": "x"}], "payload is str"),
    "block started twice": ([start(), TOOL, TOOL], "index 0 started twice"),
    "implicit block started again": ([start(), delta(0, text="a"), TOOL], "index 0 started twice"),
    "start without start": ([start(), {"contentBlockStart": {"contentBlockIndex": 0}}], "field 'start'"),
    "start index missing": ([start(), {"contentBlockStart": {"start": {}}}], "'contentBlockIndex'"),
    "start index bool": ([start(), {"contentBlockStart": {"contentBlockIndex": True, "start": {}}}], "Index'"),
    "delta without delta": ([start(), {"contentBlockDelta": {"contentBlockIndex": 0}}], "field 'delta'"),
    "delta with two kinds": ([start(), delta(0, text="a", citation={})], "field 'delta'"),
    "delta with no kind": ([start(), delta(0)], "field 'delta'"),
    "tool delta never started": ([start(), delta(0, toolUse={"input": "{"})], "toolUse delta .* never started"),
    "odd kind never started": ([start(), delta(0, future=1)], "future delta .* never started"),
    "non-str kind never started": (
        [start(), {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {1: "x"}}}],
        "1 delta .* never started",
    ),
    "delta after stop": ([start(), delta(0, text="a"), stop(0), delta(0, text="b")], "index 0 already stopped"),
    "stop after stop": ([start(), delta(0, text="a"), stop(0), stop(0)], "index 0 already stopped"),
    "stop never started": ([start(), stop(4)], "index 4 was never started"),
    "stop index invalid": ([start(), stop("0")], "'contentBlockIndex'"),
    "text in a tool block": ([start(), TOOL, delta(0, text="a")], "a text delta does not fit a tool block"),
    "tool input in a text block": ([start(), delta(0, text="a"), delta(0, toolUse={"input": "{"})], "tool"),
    "text in a reasoning block": (
        [start(), delta(0, reasoningContent={"text": "r"}), delta(0, text="a")],
        "a text delta does not fit a reasoning block",
    ),
    "citation in an image block": (
        [start(), block(0, {"image": {}}), delta(0, citation={})],
        "a citation delta does not fit a image block",
    ),
    "reasoning not an object": ([start(), delta(0, reasoningContent="x")], "'reasoningContent'"),
    "reasoning with two members": ([start(), delta(0, reasoningContent={"text": "a", "signature": "s"})], "one of"),
    "reasoning text not a string": ([start(), delta(0, reasoningContent={"text": 1})], "field 'text'"),
    "signature not a string": ([start(), delta(0, reasoningContent={"signature": None})], "field 'signature'"),
    "redacted not a string": ([start(), delta(0, reasoningContent={"redactedContent": 3})], "'redactedContent'"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_protocol_violations_raise_translation_error_with_where(case: str) -> None:
    events, message = VIOLATIONS[case]
    raises(events, message)


def test_violations_through_stream_end_with_an_error_event() -> None:
    body = _body([start(), delta(0, text="a"), stop(0), stop(0)])
    out, done = parse_sse_output(b"".join(stream("bedrock", [body], created=CREATED)))
    assert not done and out[-1]["error"]["type"] == "translation_error"
    assert "already stopped" in out[-1]["error"]["message"]


def test_non_mapping_event_raises_translation_error() -> None:
    with pytest.raises(TranslationError, match="not list"):
        list(translate("bedrock", [[1, 2]], created=CREATED))


# -- the byte pipeline, the SDK fold, async -------------------------------------------------------------


def _body(events: list[Event]) -> bytes:
    return b"".join(encode_event(e) for e in events)


FULL = [
    start(),
    delta(0, reasoningContent={"text": "think"}),
    delta(0, reasoningContent={"signature": "sig"}),
    stop(0),
    delta(1, text="Hé"),
    delta(1, text="llo "),
    delta(1, citation={"title": "T", "location": {"web": {"url": "https://w"}}}),
    stop(1),
    block(2, {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup"}}),
    delta(2, toolUse={"input": '{"q":'}),
    delta(2, toolUse={"input": '"x"}'}),
    stop(2),
    message_stop("tool_use"),
    metadata({"inputTokens": 5, "outputTokens": 7, "totalTokens": 12, "cacheReadInputTokens": 1}),
]


def test_stream_output_is_translate_output_and_folds_with_the_sdk() -> None:
    body = _body(FULL)
    out, done = parse_sse_output(b"".join(stream("bedrock", [body], created=CREATED)))
    assert done and out == run(FULL)
    pieces = [body[i : i + 1] for i in range(len(body))]
    assert b"".join(stream("bedrock", pieces, created=CREATED)) == b"".join(stream("bedrock", [body], created=CREATED))
    message = fold(out).choices[0].message
    assert message.content == "Héllo "
    assert message.model_extra["reasoning_content"] == "think"
    assert message.tool_calls[0].function.arguments == '{"q":"x"}' and message.tool_calls[0].id == "tooluse_1"
    assert message.annotations[0].url_citation.url == "https://w"
    assert fold(out).choices[0].finish_reason == "tool_calls"
    assert out[-1]["usage"]["prompt_tokens"] == 6


def test_atranslate_equals_translate() -> None:
    for events in (FULL, FULL[:5], [*FULL[:3], {"throttlingException": {"message": "slow"}}]):
        got = asyncio.run(acollect(atranslate("bedrock", aiter_of(events), created=CREATED)))
        assert got == list(translate("bedrock", events, created=CREATED))


def test_a_body_cut_inside_a_frame_reads_as_truncated() -> None:
    body = _body(text_stream("Hello"))
    for cut in (len(body) - 1, len(body) - 20):
        chunks, done = parse_sse_output(b"".join(stream("bedrock", [body[:cut]], created=1)))
        assert not done and chunks[-1]["error"]["type"] == "upstream_truncated"
        check_contract(chunks, done=done)


def test_an_exception_frame_keeps_its_payload_fields_as_the_event_dict_does() -> None:
    error = {"message": "model failed", "originalStatusCode": 500, "originalMessage": "boom"}
    body = _body([start(), {"error": {"type": "modelStreamErrorException", **error}}])
    chunks, done = parse_sse_output(b"".join(stream("bedrock", [body], created=1)))
    native = chunks[-1]["error"]["native_error"]
    assert not done and chunks[-1]["error"]["code"] == "ModelStreamErrorException"
    assert {k: native[k] for k in error} == error and native["headers"][":message-type"] == "exception"
    [as_dict] = [c for c in translate("bedrock", [start(), {"modelStreamErrorException": error}]) if "error" in c]
    assert as_dict["error"]["native_error"] == error
