"""Unit tests of the Cohere v2 chat translator: each mapping row and each protocol violation."""

from __future__ import annotations

import asyncio
import json
from types import MappingProxyType
from typing import Any

import pytest

from tests.contract import acollect, aiter_of, check_contract, fold, parse_sse_output
from translators import TranslationError, atranslate, stream, translate
from translators._core import Options
from translators.providers.cohere import FINISH_REASONS, IGNORED_EVENTS, CohereTranslator

CREATED = 1_700_000_000
Event = dict[str, Any]

COHERE_FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length", "TOOL_CALL": "tool_calls"}
"""The documented finish_reason table, written out independently of FINISH_REASONS."""


def start(message_id: Any = "abc") -> Event:
    message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    return {"id": message_id, "type": "message-start", "delta": {"message": message}}


def cstart(index: int, kind: str = "text", text: str | None = "") -> Event:
    content: dict[str, Any] = {"type": kind}
    if text is not None:
        content[kind] = text
    return {"type": "content-start", "index": index, "delta": {"message": {"content": content}}}


def cdelta(index: Any, text: Any, kind: str = "text", **extra: Any) -> Event:
    return {"type": "content-delta", "index": index, "delta": {"message": {"content": {kind: text}}}, **extra}


def cend(index: Any) -> Event:
    return {"type": "content-end", "index": index}


def plan(text: Any) -> Event:
    return {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": text}}}


def tstart(index: int, call_id: Any = "call_1", name: Any = "weather", arguments: Any = "") -> Event:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": call}}}


def tdelta(index: Any, arguments: Any) -> Event:
    message = {"tool_calls": {"function": {"arguments": arguments}}}
    return {"type": "tool-call-delta", "index": index, "delta": {"message": message}}


def tend(index: Any) -> Event:
    return {"type": "tool-call-end", "index": index}


def cite(**citation: Any) -> Event:
    return {"type": "citation-start", "index": 0, "delta": {"message": {"citations": citation}}}


USAGE = {"billed_units": {"input_tokens": 5, "output_tokens": 7}, "tokens": {"input_tokens": 20, "output_tokens": 7}}


def end(reason: Any = "COMPLETE", usage: Any = None, **delta: Any) -> Event:
    return {"type": "message-end", "delta": {"finish_reason": reason, "usage": usage or USAGE, **delta}}


def text_stream(*pieces: str) -> list[Event]:
    return [start(), cstart(0), *(cdelta(0, p) for p in pieces), cend(0), end()]


def run(events: list[Any], **options: Any) -> list[dict[str, Any]]:
    chunks = list(translate("cohere", events, created=CREATED, **options))
    check_contract(chunks)
    return chunks


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def raises(events: list[Any], match: str, **options: Any) -> TranslationError:
    with pytest.raises(TranslationError, match=match) as info:
        list(translate("cohere", events, created=CREATED, **options))
    assert info.value.provider == "cohere"
    assert info.value.where is not None and info.value.where.startswith(f"event #{len(events)}")
    return info.value


# -- message level --------------------------------------------------------------------------------


def test_message_start_gives_the_role_chunk_with_the_id() -> None:
    chunks = run(text_stream("Hi"))
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {("chatcmpl-abc", "", CREATED)}
    assert chunks[0]["choices"] == [
        {"index": 0, "delta": {"role": "assistant"}, "logprobs": None, "finish_reason": None}
    ]
    assert deltas(chunks)[1] == {"content": "Hi"}


@pytest.mark.parametrize("message_id", [None, "", 5])
def test_message_start_without_an_id_gets_a_made_up_one(message_id: Any) -> None:
    events = text_stream("a")
    events[0] = start(message_id)
    assert run(events)[0]["id"] == f"chatcmpl-cohere-{CREATED}"


def test_options_set_id_model_created_and_reasoning_field() -> None:
    events = [start(), cstart(0, "thinking", "hmm"), cend(0), end()]
    chunks = list(translate("cohere", events, id="fixed", model="command-a", created=42, reasoning_field="reasoning"))
    check_contract(chunks)
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {("fixed", "command-a", 42)}
    assert deltas(chunks)[1]["reasoning"] == "hmm"


def test_the_finish_table_is_the_documented_one() -> None:
    assert dict(FINISH_REASONS) == COHERE_FINISH


@pytest.mark.parametrize(("native", "expected"), sorted(COHERE_FINISH.items()))
def test_finish_reasons_map_and_the_raw_value_is_kept(native: str, expected: str) -> None:
    finish = run([start(), end(native)])[-2]["choices"][0]
    assert finish["finish_reason"] == expected and finish["native_finish_reason"] == native


@pytest.mark.parametrize("reason", ["BRAND_NEW", None, 3])
def test_unknown_or_missing_finish_reason_maps_to_stop(reason: Any) -> None:
    finish = run([start(), end(reason)])[-2]["choices"][0]
    assert finish["finish_reason"] == "stop" and finish["native_finish_reason"] == reason


def test_message_end_without_a_delta_finishes_with_stop_and_zero_usage() -> None:
    chunks = run([start(), {"type": "message-end"}])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "prompt_tokens_details": {"cached_tokens": 0},
        "native_usage": {},
    }
    assert run([start(), {"type": "message-end", "delta": "x"}])[-1]["usage"]["total_tokens"] == 0


def test_usage_reads_tokens_and_keeps_billed_units_native() -> None:
    usage = {**USAGE, "cached_tokens": 12.0}
    chunk = run([start(), end(usage=usage)])[-1]
    assert chunk["choices"] == []
    assert chunk["usage"] == {
        "prompt_tokens": 20,
        "completion_tokens": 7,
        "total_tokens": 27,
        "prompt_tokens_details": {"cached_tokens": 12},
        "native_usage": usage,
    }


def test_usage_falls_back_to_billed_units_and_reads_integral_floats() -> None:
    usage = {"billed_units": {"input_tokens": 5.0, "output_tokens": 7.0}}
    got = run([start(), end(usage=usage)])[-1]["usage"]
    assert (got["prompt_tokens"], got["completion_tokens"], got["total_tokens"]) == (5, 7, 12)
    assert type(got["prompt_tokens"]) is int


@pytest.mark.parametrize(
    "usage",
    [
        {"tokens": {"input_tokens": 2.5, "output_tokens": -1}},
        {"billed_units": "x"},
        {"tokens": "x", "billed_units": None},
        "not an object",
    ],
)
def test_odd_usage_counts_count_nothing(usage: Any) -> None:
    chunks = run([start(), {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}}])
    assert chunks[-1]["usage"]["total_tokens"] == 0


def test_include_usage_false_leaves_out_the_usage_chunk() -> None:
    chunks = list(translate("cohere", text_stream("a"), created=CREATED, include_usage=False))
    check_contract(chunks, usage=False)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_input_after_message_end_is_not_read() -> None:
    def events() -> Any:
        yield from text_stream("a")
        raise AssertionError("read past message-end")

    assert list(translate("cohere", events(), created=CREATED)) == run(text_stream("a"))


# -- content --------------------------------------------------------------------------------------


def test_text_in_content_start_and_deltas_and_empty_ones_skipped() -> None:
    events = [start(), cstart(0, text="A"), cdelta(0, ""), cdelta(0, "b"), cdelta(0, None), cend(0), end()]
    assert deltas(run(events))[1:-1] == [{"content": "A"}, {"content": "b"}]
    no_text = [start(), cstart(0, text=None), cdelta(0, "x"), cend(0), end()]
    assert deltas(run(no_text))[1:-1] == [{"content": "x"}]


def test_thinking_blocks_get_one_reasoning_details_entry_each() -> None:
    events = [
        start(),
        cstart(0, "thinking", ""),
        cdelta(0, "step 1", "thinking"),
        cdelta(0, "", "thinking"),
        cdelta(0, ", step 2", "thinking"),
        cend(0),
        cstart(1, "thinking", "again"),
        cend(1),
        cstart(2),
        cdelta(2, "answer"),
        cend(2),
        end(),
    ]
    chunks = run(events)
    d = deltas(chunks)
    assert d[1] == {
        "reasoning_content": "step 1",
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "format": "cohere-v2", "text": "step 1"}],
    }
    assert d[2] == {
        "reasoning_content": ", step 2",
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "text": ", step 2"}],
    }
    assert d[3]["reasoning_details"] == [{"index": 1, "type": "reasoning.text", "format": "cohere-v2", "text": "again"}]
    message = fold(chunks).choices[0].message
    assert message.content == "answer" and message.model_extra["reasoning_content"] == "step 1, step 2again"
    assert [e["text"] for e in message.model_extra["reasoning_details"]] == ["step 1, step 2", "again"]


def test_text_key_in_a_thinking_block_is_not_its_text() -> None:
    events = [start(), cstart(0, "thinking", "t"), cdelta(0, "ignored", "text"), cend(0), end()]
    assert [x for x in deltas(run(events)) if "content" in x] == []


def _checked(events: list[Event]) -> list[Any]:
    """The same events with each delta behind a read-only Mapping: content-deltas take the checked path."""
    return [{**e, "delta": MappingProxyType(e["delta"])} if "delta" in e else e for e in events]


def test_hot_path_and_checked_path_give_the_same_output() -> None:
    events = [
        start(),
        cstart(0, "thinking", None),
        cdelta(0, "r1", "thinking"),
        cdelta(0, "r2", "thinking"),
        cdelta(0, "", "thinking"),
        cend(0),
        cstart(1),
        cdelta(1, "a"),
        cdelta(1, ""),
        cdelta(1, "b"),
        cend(1),
        end(),
    ]
    assert run(_checked(events)) == run(events)
    assert "".join(d.get("content", "") for d in deltas(run(events))) == "ab"


def test_logprobs_ride_along_as_native_logprobs() -> None:
    logprobs = {"token_ids": [1, 2], "text": "Hi", "logprobs": [-0.1, -0.2]}
    events = [start(), cstart(0), cdelta(0, "Hi", logprobs=logprobs), cdelta(0, "!", logprobs=None), cend(0), end()]
    chunks = run(events)
    first, second = (c["choices"][0] for c in chunks[1:3])
    assert first["delta"] == {"content": "Hi"} and first["native_logprobs"] == logprobs
    assert second["delta"] == {"content": "!"} and "native_logprobs" not in second


# -- tool plan and tool calls ------------------------------------------------------------------------


def test_tool_plan_is_one_reasoning_entry_with_id_tool_plan() -> None:
    events = [start(), plan("I will"), plan(""), plan(" call it."), end("TOOL_CALL")]
    chunks = run(events)
    d = deltas(chunks)
    assert d[1] == {
        "reasoning_content": "I will",
        "reasoning_details": [
            {"index": 0, "type": "reasoning.text", "format": "cohere-v2", "id": "tool_plan", "text": "I will"}
        ],
    }
    assert d[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.text", "text": " call it."}]
    details = fold(chunks).choices[0].message.model_extra["reasoning_details"]
    assert details == [
        {"index": 0, "type": "reasoning.text", "format": "cohere-v2", "id": "tool_plan", "text": "I will call it."}
    ]


def test_tool_calls_stream_and_count_from_zero() -> None:
    events = [
        start(),
        plan("plan"),
        tstart(0, "weather_1", "weather"),
        tdelta(0, ""),
        tdelta(0, '{"city": '),
        tdelta(0, '"Paris"}'),
        tend(0),
        tstart(1, "time_1", "time", '{"tz": "UTC"}'),
        tend(1),
        tstart(2, "noargs_1", "noargs", None),
        tend(2),
        end("TOOL_CALL"),
    ]
    chunks = run(events)
    calls = [x["tool_calls"][0] for x in deltas(chunks) if "tool_calls" in x]
    assert calls == [
        {"index": 0, "id": "weather_1", "type": "function", "function": {"name": "weather", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"city": '}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
        {"index": 1, "id": "time_1", "type": "function", "function": {"name": "time", "arguments": '{"tz": "UTC"}'}},
        {"index": 2, "id": "noargs_1", "type": "function", "function": {"name": "noargs", "arguments": ""}},
        {"index": 2, "function": {"arguments": "{}"}},
    ]
    message = fold(chunks).choices[0].message
    assert [c.function.arguments for c in message.tool_calls] == ['{"city": "Paris"}', '{"tz": "UTC"}', "{}"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_calls_never_ended_are_closed_with_empty_arguments_at_message_end() -> None:
    events = [start(), tstart(0, "a", "f"), tstart(1, "b", "g"), tdelta(1, "{}"), tstart(2, "c", "h", "{}")]
    chunks = run([*events, end("TOOL_CALL")])
    tail = deltas(chunks)[-2:]
    assert tail[0] == {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}
    assert tail[1] == {}  # the finish chunk: calls 1 and 2 already had arguments
    assert [c.function.arguments for c in fold(chunks).choices[0].message.tool_calls] == ["{}", "{}", "{}"]


# -- citations -------------------------------------------------------------------------------------------


def test_citations_are_annotations_shifted_by_the_cited_block() -> None:
    doc = {"type": "document", "id": "d1", "document": {"id": "d1", "url": "https://d.x", "title": "D"}}
    tool = {"type": "tool", "id": "t1", "tool_output": {"x": 1}}
    events = [
        start(),
        cstart(0, "thinking", "think"),
        cend(0),
        cstart(1, text="Intro. "),
        cend(1),
        cstart(2, text="cited words"),
        cite(start=0, end=5, text="cited", sources=[doc], content_index=2, type="TEXT_CONTENT"),
        cite(start=6, end=11, text="words", sources=[tool], content_index=2),
        cite(start=0, end=2, text="In", sources=[]),
        cite(start=0, end=5, text="think", sources=[doc], content_index=0, type="THINKING_CONTENT"),
        cite(start=1, end=3, text="la", type="PLAN"),
        cite(start=0, end=1, content_index=0),
        cite(start=0, end=1, content_index=9, sources="odd"),
        {"type": "citation-end", "index": 0},
        cend(2),
        end(),
    ]
    chunks = run(events)
    entries = [e for d in deltas(chunks) for e in d.get("annotations", [])]
    citations = [e["delta"]["message"]["citations"] for e in events if e.get("type") == "citation-start"]
    assert entries[0] == {
        "index": 0,
        "type": "url_citation",
        "url_citation": {"url": "https://d.x", "title": "D", "start_index": 7, "end_index": 12},
        "citation": citations[0],
    }
    spans = [(e["type"], e.get("start_index"), e.get("end_index")) for e in entries[1:]]
    assert spans == [
        ("citation", 13, 18),
        ("citation", 0, 2),  # content_index 0 defaults, a thinking block: no shift
        ("THINKING_CONTENT", 0, 5),
        ("PLAN", 1, 3),
        ("citation", 0, 1),
        ("citation", 0, 1),  # a block never seen: no shift
    ]
    assert [e["index"] for e in entries] == list(range(7)) and entries[1]["citation"] == citations[1]
    message = fold(chunks).choices[0].message
    span = message.annotations[0].url_citation
    assert message.content[span.start_index : span.end_index] == "cited"


@pytest.mark.parametrize(
    "sources",
    [
        [{"type": "document", "document": {"title": "no url"}}],
        [{"type": "document", "document": "odd"}],
        ["odd"],
        [],
    ],
)
def test_citations_without_a_document_url_are_plain_citations(sources: Any) -> None:
    events = [start(), cstart(0, text="abc"), cite(start=0, end=3, sources=sources), cend(0), end()]
    entry = deltas(run(events))[2]["annotations"][0]
    assert (entry["type"], entry["start_index"], entry["end_index"]) == ("citation", 0, 3)


def test_a_citation_content_index_of_the_wrong_type_is_a_translation_error() -> None:
    events = [start(), cstart(0, text="abc"), cite(start=0, end=3, content_index=[0])]
    raises(events, "content_index")


# -- unknown and ignored input -------------------------------------------------------------------------


@pytest.mark.parametrize("ignored", sorted(IGNORED_EVENTS))
def test_ignored_events_produce_nothing_even_in_strict_mode(ignored: str) -> None:
    events = text_stream("a")
    events.insert(3, {"type": ignored, "delta": {}})
    assert run(events, strict=True) == run(text_stream("a"))


def test_unknown_event_types_are_dropped_unless_strict() -> None:
    events = text_stream("a")
    events.insert(2, {"type": "future-event"})
    assert run(events) == run(text_stream("a"))
    raises(events[:3], "unknown event type 'future-event'", strict=True)


# -- endings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "kind"), [("ERROR", "api_error"), ("TIMEOUT", "timeout_error")])
def test_error_and_timeout_end_with_an_error_event(reason: str, kind: str) -> None:
    events = [*text_stream("a")[:3], {"type": "message-end", "delta": {"finish_reason": reason, "error": "boom"}}]
    chunks = run(events)
    assert chunks[-1] == {
        "error": {
            "message": "boom",
            "type": kind,
            "code": reason,
            "param": None,
            "native_error": {"finish_reason": reason, "error": "boom"},
        }
    }
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks[:-1])
    bare = run([start(), {"type": "message-end", "delta": {"finish_reason": reason, "error": ""}}])
    assert bare[-1]["error"]["message"] == f"Cohere stream ended with {reason}"


def test_error_through_stream_has_no_done() -> None:
    events = [start(), {"type": "message-end", "delta": {"finish_reason": "ERROR", "error": "x"}}]
    out, done = parse_sse_output(b"".join(stream("cohere", [_sse(events)], created=CREATED)))
    assert not done and out[-1]["error"]["code"] == "ERROR"


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 4])
def test_truncation_ends_with_upstream_truncated(cut: int) -> None:
    chunks = run(text_stream("a")[:cut])
    assert chunks[-1] == {
        "error": {
            "message": "upstream stream ended before message-end",
            "type": "upstream_truncated",
            "code": "upstream_truncated",
            "param": None,
        }
    }


def test_finish_after_the_end_adds_nothing() -> None:
    translator = CohereTranslator(Options(created=CREATED))
    for event in text_stream("a"):
        translator.feed(event)
    assert translator.done and not translator.failed and translator.finish() == []
    cut = CohereTranslator(Options(created=CREATED))
    assert cut.finish()[0]["error"]["type"] == "upstream_truncated" and cut.finish() == []


# -- protocol violations ---------------------------------------------------------------------------------

VIOLATIONS: dict[str, tuple[list[Any], str]] = {
    "no type": ([{"delta": {}}], "no string 'type'"),
    "type not a string": ([{"type": 3}], "no string 'type'"),
    "content before message-start": ([cstart(0)], "event before message-start"),
    "delta before message-start": ([cdelta(0, "x")], "event before message-start"),
    "content-end before message-start": ([cend(0)], "event before message-start"),
    "plan before message-start": ([plan("x")], "event before message-start"),
    "tool before message-start": ([tstart(0)], "event before message-start"),
    "citation before message-start": ([cite(start=0)], "event before message-start"),
    "end before message-start": ([end()], "event before message-start"),
    "second message-start": ([start(), start()], "second message-start"),
    "content started twice": ([start(), cstart(0), cstart(0)], "content block 0 started twice"),
    "content-start without index": ([start(), {**cstart(0), "index": None}], "field 'index'"),
    "content-start negative index": ([start(), cstart(-1)], "field 'index'"),
    "content-start bool index": ([start(), {**cstart(0), "index": True}], "field 'index'"),
    "content-start without content": ([start(), {"type": "content-start", "index": 0}], "'delta.message.content'"),
    "content-start content not object": (
        [start(), {"type": "content-start", "index": 0, "delta": {"message": {"content": "x"}}}],
        "not an object",
    ),
    "content-start text not a string": (
        [start(), {**cstart(0), "delta": {"message": {"content": {"text": 1}}}}],
        "str",
    ),
    "delta never started": ([start(), cdelta(0, "x")], "content block 0, not started"),
    "delta index a string": ([start(), cstart(0), cdelta("0", "x")], "content block '0', not started"),
    "delta after end": ([start(), cstart(0), cend(0), cdelta(0, "x")], "not started or already ended"),
    "delta without message": ([start(), cstart(0), {"type": "content-delta", "index": 0, "delta": "x"}], "content'"),
    "delta content not object": (
        [start(), cstart(0), {"type": "content-delta", "index": 0, "delta": {"message": {"content": []}}}],
        "'delta.message.content' is not an object",
    ),
    "delta text not a string": ([start(), cstart(0), cdelta(0, 5)], "'delta.message.content.text' is not a string"),
    "thinking not a string": (
        [start(), cstart(0, "thinking"), cdelta(0, ["x"], "thinking")],
        "'delta.message.content.thinking' is not a string",
    ),
    "logprobs delta text not a string": ([start(), cstart(0), cdelta(0, 5, logprobs={})], "not a string"),
    "content-end never started": ([start(), cend(0)], "content-end for content block 0"),
    "content-end twice": ([start(), cstart(0), cend(0), cend(0)], "content-end for content block 0"),
    "content-end without index": ([start(), cend("0")], "field 'index'"),
    "plan not a string": ([start(), plan(3)], "'delta.message.tool_plan' is not a string"),
    "plan missing": ([start(), {"type": "tool-plan-delta", "delta": {"message": {}}}], "'delta.message.tool_plan'"),
    "tool started twice": ([start(), tstart(0), tstart(0)], "tool call 0 started twice"),
    "tool without id": ([start(), tstart(0, call_id=None)], "string 'id' and 'function.name'"),
    "tool without name": ([start(), tstart(0, name=3)], "string 'id' and 'function.name'"),
    "tool call not an object": (
        [start(), {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": []}}}],
        "'id' and 'function.name'",
    ),
    "tool function not an object": (
        [start(), {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {"id": "a"}}}}],
        "'id' and 'function.name'",
    ),
    "tool delta never started": ([start(), tdelta(0, "{")], "tool-call-delta for tool call 0, not started"),
    "tool delta after end": ([start(), tstart(0), tend(0), tdelta(0, "{")], "already ended"),
    "tool delta index a string": ([start(), tstart(0), tdelta("0", "{")], "tool call '0'"),
    "tool delta not a string": ([start(), tstart(0), tdelta(0, {"a": 1})], "function.arguments' is not a string"),
    "tool delta not an object": (
        [start(), tstart(0), {"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": "x"}}}],
        "function.arguments' is not a string",
    ),
    "tool end never started": ([start(), tend(0)], "tool-call-end for tool call 0"),
    "tool end twice": ([start(), tstart(0), tend(0), tend(0)], "tool-call-end for tool call 0"),
    "citation not an object": (
        [start(), {"type": "citation-start", "delta": {"message": {"citations": []}}}],
        "'delta.message.citations' is not an object",
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_protocol_violations_raise_translation_error_with_where(case: str) -> None:
    events, message = VIOLATIONS[case]
    raises(events, message)


def test_non_mapping_event_raises_translation_error() -> None:
    with pytest.raises(TranslationError, match="not list"):
        list(translate("cohere", [[1, 2]], created=CREATED))


# -- the byte pipeline, the SDK fold, async -------------------------------------------------------------


def _sse(events: list[Event], *, named: bool = True) -> bytes:
    lines = []
    for e in events:
        name = f"event: {e['type']}\n" if named else ""
        lines.append(f"{name}data: {json.dumps(e)}\n\n")
    return "".join(lines).encode()


FULL = [
    start(),
    cstart(0, "thinking", ""),
    cdelta(0, "Let me think", "thinking"),
    cend(0),
    plan("Use the tool."),
    tstart(0, "get_weather_x1", "get_weather"),
    tdelta(0, '{"city":'),
    tdelta(0, '"Paris"}'),
    tend(0),
    cstart(1, text=""),
    cdelta(1, "It is "),
    cdelta(1, "sunny ☀"),
    cite(start=6, end=11, text="sunny", sources=[{"type": "tool", "id": "get_weather_x1:0"}], content_index=1),
    {"type": "citation-end", "index": 0},
    cend(1),
    end("TOOL_CALL"),
]


def test_stream_output_is_translate_output_and_folds_with_the_sdk() -> None:
    body = _sse(FULL)
    out, done = parse_sse_output(b"".join(stream("cohere", [body], created=CREATED)))
    assert done and out == run(FULL)
    pieces = [body[i : i + 1] for i in range(len(body))]
    assert b"".join(stream("cohere", pieces, created=CREATED)) == b"".join(stream("cohere", [body], created=CREATED))
    message = fold(out).choices[0].message
    assert message.content == "It is sunny ☀"
    assert message.model_extra["reasoning_content"] == "Let me thinkUse the tool."
    assert message.tool_calls[0].function.arguments == '{"city":"Paris"}'
    cited = message.annotations[0].model_extra
    assert message.content[cited["start_index"] : cited["end_index"]] == "sunny"
    assert fold(out).choices[0].finish_reason == "tool_calls"


def test_stream_reads_done_and_lets_the_event_name_fill_a_missing_type() -> None:
    untyped = [{k: v for k, v in e.items() if k != "type"} for e in text_stream("a", "b")]
    body = b"".join(
        f"event: {e['type']}\ndata: {json.dumps(u)}\n\n".encode()
        for e, u in zip(text_stream("a", "b"), untyped, strict=True)
    )
    expected = b"".join(stream("cohere", [_sse(text_stream("a", "b"))], created=CREATED))
    assert b"".join(stream("cohere", [body], created=CREATED)) == expected
    with_done = _sse(text_stream("a")[:-1]) + b"data: [DONE]\n\n" + _sse(text_stream("a")[-1:])
    assert b"".join(stream("cohere", [with_done], created=CREATED)) == b"".join(
        stream("cohere", [_sse(text_stream("a"))], created=CREATED)
    )


def test_stream_without_event_lines_reads_the_json_type() -> None:
    named = b"".join(stream("cohere", [_sse(FULL)], created=CREATED))
    assert b"".join(stream("cohere", [_sse(FULL, named=False)], created=CREATED)) == named


def test_stream_truncated_ends_with_an_error_event_and_no_done() -> None:
    out, done = parse_sse_output(b"".join(stream("cohere", [_sse(FULL[:5])], created=CREATED)))
    assert not done and out[-1]["error"]["type"] == "upstream_truncated"
    check_contract(out, done=done)


def test_atranslate_equals_translate() -> None:
    for events in (FULL, FULL[:5], [start(), end("TIMEOUT")]):
        got = asyncio.run(acollect(atranslate("cohere", aiter_of(events), created=CREATED)))
        assert got == list(translate("cohere", events, created=CREATED))


def _frozen(value: Any) -> Any:
    """The same JSON with every object a read-only Mapping (not a dict): the checked paths take it."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return [_frozen(item) for item in value] if isinstance(value, list) else value


def test_mappings_that_are_not_dicts_take_the_checked_paths_to_the_same_output() -> None:
    events = [start(), plan("a"), plan("b"), tstart(0), tdelta(0, '{"x"'), tdelta(0, ":1}"), tend(0), end("TOOL_CALL")]
    assert run([_frozen(e) for e in events]) == run(events)
