"""Unit tests of the Anthropic translator: each mapping row and each protocol violation, on small streams."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract import check_contract, fold
from translators import TranslationError, translate
from translators.providers.anthropic import FINISH_REASONS, IGNORED_EVENTS

CREATED = 1_700_000_000


def start(usage: dict[str, Any] | None = None, model: str = "claude-test") -> dict[str, Any]:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": []}
    message["usage"] = usage or {"input_tokens": 10, "output_tokens": 1}
    return {"type": "message_start", "message": message}


def block(index: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content}


def delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def end(reason: str | None = "end_turn", usage: dict[str, Any] | None = None, **extra: Any) -> list[dict[str, Any]]:
    message_delta = {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None, **extra}}
    message_delta["usage"] = usage or {"output_tokens": 5}
    return [message_delta, {"type": "message_stop"}]


def text_stream(*pieces: str) -> list[dict[str, Any]]:
    body = [delta(0, type="text_delta", text=p) for p in pieces]
    return [start(), block(0, {"type": "text", "text": ""}), *body, stop(0), *end()]


def run(events: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    chunks = list(translate("anthropic", events, created=CREATED, **options))
    check_contract(chunks)
    return chunks


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


# -- message level --------------------------------------------------------------------------------


def test_message_start_gives_the_role_chunk_with_id_and_model() -> None:
    chunks = run(text_stream("Hi"))
    first = chunks[0]
    assert first["id"] == "chatcmpl-msg_1" and first["model"] == "claude-test" and first["created"] == CREATED
    assert first["choices"] == [{"index": 0, "delta": {"role": "assistant"}, "logprobs": None, "finish_reason": None}]
    assert deltas(chunks)[1] == {"content": "Hi"}


def test_options_override_id_model_and_reasoning_field() -> None:
    events = [
        start(),
        block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, type="thinking_delta", thinking="hmm"),
        stop(0),
        *end(),
    ]
    chunks = run(events, id="fixed", model="alias", reasoning_field="reasoning")
    assert {c["id"] for c in chunks} == {"fixed"} and {c["model"] for c in chunks} == {"alias"}
    assert deltas(chunks)[1]["reasoning"] == "hmm"


@pytest.mark.parametrize(("native", "expected"), sorted(FINISH_REASONS.items()))
def test_stop_reasons_map_and_the_raw_value_is_kept(native: str, expected: str) -> None:
    chunks = run([start(), *end(native)])
    finish = chunks[-2]["choices"][0]
    assert finish["finish_reason"] == expected and finish["native_finish_reason"] == native


def test_unknown_and_missing_stop_reason_map_to_stop() -> None:
    assert run([start(), *end("brand_new_reason")])[-2]["choices"][0]["finish_reason"] == "stop"
    chunks = run([start(), {"type": "message_stop"}])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-2]["choices"][0]["native_finish_reason"] is None


def test_finish_keeps_stop_sequence_details_container_and_context_management() -> None:
    events = [start(), *end("stop_sequence", stop_details={"type": "x"}, container={"id": "c1"})]
    events[1]["delta"]["stop_sequence"] = "###"
    events[1]["context_management"] = {"applied_edits": []}
    finish = run(events)[-2]["choices"][0]
    assert finish["stop_sequence"] == "###" and finish["stop_details"] == {"type": "x"}
    assert finish["container"] == {"id": "c1"} and finish["context_management"] == {"applied_edits": []}


def test_usage_overwrites_and_maps_cache_counts() -> None:
    usage_start = {
        "input_tokens": 10,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 7,
        "output_tokens": 1,
    }
    usage_end = {"input_tokens": 12, "cache_read_input_tokens": None, "output_tokens": 40}
    usage_end["output_tokens_details"] = {"thinking_tokens": 30}  # type: ignore[assignment]
    chunks = run([start(usage_start), *end(usage=usage_end)])
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == []
    assert usage["prompt_tokens"] == 12 + 100 + 7 and usage["completion_tokens"] == 40
    assert usage["total_tokens"] == 159
    assert usage["prompt_tokens_details"] == {"cached_tokens": 100, "cache_write_tokens": 7}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 30}
    assert usage["native_usage"]["input_tokens"] == 12 and usage["native_usage"]["cache_read_input_tokens"] == 100


def test_include_usage_false_leaves_out_the_usage_chunk() -> None:
    chunks = run(text_stream("a"), include_usage=False)
    assert all(c["choices"] for c in chunks)


def test_second_message_delta_updates_usage_only() -> None:
    events = [start(), *end("max_tokens")]
    events.insert(2, {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 99}})
    chunks = run(events)
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None, "length"]
    assert chunks[-1]["usage"]["completion_tokens"] == 99


# -- blocks ---------------------------------------------------------------------------------------


def test_empty_text_and_thinking_fragments_are_skipped() -> None:
    assert deltas(run(text_stream("", "a", "")))[1:-1] == [{"content": "a"}]


def test_thinking_and_signature_go_to_reasoning_details_with_format_once() -> None:
    events = [
        start(),
        block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, type="thinking_delta", thinking="step 1"),
        delta(0, type="thinking_delta", thinking=", step 2"),
        delta(0, type="thinking_delta", thinking=""),
        delta(0, type="signature_delta", signature="sig=="),
        stop(0),
        *end(),
    ]
    d = deltas(run(events))
    assert d[1] == {
        "reasoning_content": "step 1",
        "reasoning_details": [
            {"index": 0, "type": "reasoning.text", "format": "anthropic-claude-v1", "text": "step 1"}
        ],
    }
    assert d[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.text", "text": ", step 2"}]
    assert d[3] == {"reasoning_details": [{"index": 0, "type": "reasoning.text", "signature": "sig=="}]}
    message = fold(run(events)).choices[0].message
    assert message.model_extra["reasoning_details"] == [
        {
            "index": 0,
            "type": "reasoning.text",
            "format": "anthropic-claude-v1",
            "text": "step 1, step 2",
            "signature": "sig==",
        }
    ]


def test_redacted_thinking_is_one_encrypted_entry() -> None:
    events = [start(), block(0, {"type": "redacted_thinking", "data": "opaque"}), stop(0), *end()]
    entry = deltas(run(events))[1]["reasoning_details"]
    assert entry == [{"index": 0, "type": "reasoning.encrypted", "data": "opaque", "format": "anthropic-claude-v1"}]


def test_tool_index_counts_tool_blocks_only_and_fragments_pass_verbatim() -> None:
    events = [
        start(),
        block(0, {"type": "text", "text": ""}),
        delta(0, type="text_delta", text="Let me check."),
        stop(0),
        block(1, {"type": "tool_use", "id": "toolu_a", "name": "weather", "input": {}}),
        delta(1, type="input_json_delta", partial_json=""),
        delta(1, type="input_json_delta", partial_json='{"city": '),
        delta(1, type="input_json_delta", partial_json='"Paris"}'),
        stop(1),
        block(2, {"type": "tool_use", "id": "toolu_b", "name": "time", "input": {}}),
        delta(2, type="input_json_delta", partial_json=""),
        stop(2),
        *end("tool_use"),
    ]
    d = deltas(run(events))
    calls = [x["tool_calls"][0] for x in d if "tool_calls" in x]
    assert calls == [
        {"index": 0, "id": "toolu_a", "type": "function", "function": {"name": "weather", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"city": '}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
        {"index": 1, "id": "toolu_b", "type": "function", "function": {"name": "time", "arguments": ""}},
        {"index": 1, "function": {"arguments": "{}"}},
    ]


def test_tool_with_whole_input_in_its_start_and_no_deltas() -> None:
    events = [start(), block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {"x": 1}}), stop(0), *end()]
    assert deltas(run(events))[2] == {"tool_calls": [{"index": 0, "function": {"arguments": '{"x":1}'}}]}


def test_server_blocks_are_kept_and_never_tool_calls() -> None:
    result = {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": [{"type": "web_search_result"}]}
    events = [
        start(),
        block(0, {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {}}),
        delta(0, type="input_json_delta", partial_json='{"query": '),
        delta(0, type="input_json_delta", partial_json='"x"}'),
        stop(0),
        block(1, result),
        stop(1),
        block(2, {"type": "compaction", "content": None}),
        delta(2, type="compaction_delta", content="summary"),
        stop(2),
        *end(),
    ]
    chunks = run(events)
    assert not any("tool_calls" in d for d in deltas(chunks))
    extra = fold(chunks).choices[0].message.model_extra["server_blocks"]
    assert extra[0] == {
        "index": 0,
        "type": "server_tool_use",
        "id": "srv_1",
        "name": "web_search",
        "input": {},
        "partial_json": '{"query": "x"}',
    }
    assert extra[1] == {"index": 1, **result}
    assert extra[2] == {"index": 2, "type": "compaction", "content": "summary"}


def test_citations_become_annotations_spanning_their_text_block() -> None:
    web = {"type": "web_search_result_location", "url": "https://e.x", "title": "E", "cited_text": "c"}
    doc = {"type": "char_location", "cited_text": "d", "document_index": 0, "start_char_index": 0, "end_char_index": 1}
    events = [
        start(),
        block(0, {"type": "text", "text": ""}),
        delta(0, type="text_delta", text="Intro. "),
        stop(0),
        block(1, {"type": "text", "text": "", "citations": []}),
        delta(1, type="citations_delta", citation=web),
        delta(1, type="citations_delta", citation=doc),
        delta(1, type="text_delta", text="cited"),
        stop(1),
        *end(),
    ]
    message = fold(run(events)).choices[0].message
    first = message.annotations[0]
    assert first.url_citation.url == "https://e.x"
    assert message.content[first.url_citation.start_index : first.url_citation.end_index] == "cited"
    raw = next(a for a in deltas(run(events)) if "annotations" in a)["annotations"]
    assert raw[0]["citation"] == web and raw[1] == {
        "index": 1,
        "type": "char_location",
        "citation": doc,
        "start_index": 7,
        "end_index": 12,
    }


def test_citations_of_a_block_left_open_by_max_tokens_are_not_lost() -> None:
    web = {"type": "web_search_result_location", "url": "https://e.x", "title": "E", "cited_text": "c"}
    events = [
        start(),
        block(0, {"type": "text", "text": ""}),
        delta(0, type="citations_delta", citation=web),
        delta(0, type="text_delta", text="partial"),
        *end("max_tokens"),
    ]
    chunks = run(events)
    assert any("annotations" in d for d in deltas(chunks))
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize("ignored", sorted(IGNORED_EVENTS))
def test_ignored_events_produce_nothing_even_in_strict_mode(ignored: str) -> None:
    events = text_stream("a")
    events.insert(2, {"type": ignored})
    assert run(events, strict=True) == run(text_stream("a"))


def test_unknown_event_types_are_dropped_unless_strict() -> None:
    events = text_stream("a")
    events.insert(2, {"type": "future_event", "payload": 1})
    assert run(events) == run(text_stream("a"))
    with pytest.raises(TranslationError, match="unknown event type 'future_event'"):
        run(events, strict=True)


def test_unknown_delta_type_on_a_known_block_is_dropped_unless_strict() -> None:
    events = text_stream("a")
    events.insert(3, delta(0, type="future_delta", x=1))
    assert run(events) == run(text_stream("a"))
    with pytest.raises(TranslationError, match="future_delta does not fit a text block"):
        run(events, strict=True)


# -- endings --------------------------------------------------------------------------------------


def test_error_event_ends_the_stream_with_no_finish() -> None:
    events = [*text_stream("a")[:3], {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}]
    chunks = run(events)
    assert chunks[-1] == {
        "error": {
            "message": "Overloaded",
            "type": "overloaded_error",
            "code": "overloaded_error",
            "param": None,
            "native_error": {"type": "overloaded_error", "message": "Overloaded"},
        }
    }
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks[:-1])


def test_error_as_the_first_event() -> None:
    chunks = run([{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}])
    assert len(chunks) == 1 and chunks[0]["error"]["type"] == "overloaded_error"


def test_stream_without_message_stop_ends_with_upstream_truncated() -> None:
    for cut in (text_stream("a")[:3], text_stream("a")[:-1]):
        chunks = run(cut)
        assert chunks[-1]["error"]["type"] == "upstream_truncated"


def test_input_after_message_stop_is_not_read() -> None:
    def events() -> Any:
        yield from text_stream("a")
        raise AssertionError("read past message_stop")

    assert list(translate("anthropic", events(), created=CREATED)) == run(text_stream("a"))


# -- protocol violations --------------------------------------------------------------------------

VIOLATIONS = {
    "delta before message_start": ([delta(0, type="text_delta", text="x")], "event before message_start"),
    "second message_start": ([start(), start()], "second message_start"),
    "unknown block index": ([start(), delta(3, type="text_delta", text="x")], "index 3 was never started"),
    "block started twice": ([start(), block(0, {"type": "text"}), block(0, {"type": "text"})], "started twice"),
    "delta after stop": (
        [start(), block(0, {"type": "text", "text": ""}), stop(0), delta(0, type="text_delta", text="x")],
        "already stopped",
    ),
    "delta type does not fit": (
        [start(), block(0, {"type": "text", "text": ""}), delta(0, type="input_json_delta", partial_json="{")],
        "input_json_delta does not fit a text block",
    ),
    "no type": ([{"message": {}}], "no string 'type'"),
    "message without id": ([{"type": "message_start", "message": {"model": "m"}}], "field 'id'"),
    "index not an int": ([start(), {"type": "content_block_start", "index": "0", "content_block": {}}], "'index'"),
    "bool index": ([start(), {"type": "content_block_stop", "index": True}], "'index'"),
    "text not a string": (
        [start(), block(0, {"type": "text", "text": ""}), delta(0, type="text_delta", text=5)],
        "field 'text'",
    ),
    "tool without name": ([start(), block(0, {"type": "tool_use", "id": "t"})], "field 'name'"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_protocol_violations_raise_translation_error_with_where(case: str) -> None:
    events, message = VIOLATIONS[case]
    with pytest.raises(TranslationError, match=message) as info:
        list(translate("anthropic", events, created=CREATED))
    assert info.value.provider == "anthropic"
    assert info.value.where is not None and info.value.where.startswith(f"event #{len(events)}")


def test_non_mapping_event_raises_translation_error() -> None:
    with pytest.raises(TranslationError, match="not list"):
        list(translate("anthropic", [[1, 2]], created=CREATED))


def test_server_block_fields_named_index_are_kept_as_native_index() -> None:
    x_delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "x_delta", "index": 3}}
    events = [start(), block(0, {"type": "future_server_block", "index": 7}), x_delta]
    d = deltas(run([*events, stop(0), *end()]))
    assert d[1]["server_blocks"] == [{"index": 0, "type": "future_server_block", "native_index": 7}]
    assert d[2]["server_blocks"] == [{"index": 0, "native_index": 3}]


def test_whole_tool_input_beyond_orjson_still_encodes() -> None:
    big = {"n": -(2**63) - 1, "deep": [[[[[]]]]]}
    events = [start(), block(0, {"type": "tool_use", "id": "t", "name": "f", "input": big}), stop(0), *end()]
    arguments = deltas(run(events))[2]["tool_calls"][0]["function"]["arguments"]
    import json

    assert json.loads(arguments) == big
