"""Unit tests of the Responses API translator: each row of its mapping table and each violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from translators import PROVIDERS, TranslationError, stream, translate
from translators.providers.openai_responses import IGNORED_EVENTS, INCOMPLETE_REASONS, SUMMARY_SEPARATOR
from translators.sse import SSEDecoder, encode_event

CREATED = 1_700_000_000
USAGE = {
    "input_tokens": 20,
    "input_tokens_details": {"cached_tokens": 8},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 50,
}


def created(**response: Any) -> dict[str, Any]:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_760_000_000,
        "model": "gpt-x",
        "status": "in_progress",
    }
    return {"type": "response.created", "response": {**body, **response}}


def completed(usage: dict[str, Any] | None = None, **response: Any) -> dict[str, Any]:
    return {
        "type": "response.completed",
        "response": {"id": "resp_1", "status": "completed", "usage": usage, **response},
    }


def text(delta: str, item: str = "msg_1", part: int = 0) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": item,
        "output_index": 0,
        "content_index": part,
        "delta": delta,
    }


def item(kind: str, output_index: int, event: str = "added", **fields: Any) -> dict[str, Any]:
    return {"type": f"response.output_item.{event}", "output_index": output_index, "item": {"type": kind, **fields}}


def call(output_index: int, name: str = "f", event: str = "added", arguments: str = "", n: int = 1) -> dict[str, Any]:
    return item("function_call", output_index, event, id=f"fc_{n}", call_id=f"call_{n}", name=name, arguments=arguments)


def args(delta: str, output_index: int, n: int = 1) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.delta",
        "item_id": f"fc_{n}",
        "output_index": output_index,
        "delta": delta,
    }


def run(events: list[Any], **options: Any) -> list[dict[str, Any]]:
    chunks = list(translate("openai_responses", events, created=CREATED, **options))
    check_contract(chunks)
    return chunks


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def finish_of(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    (finish,) = [c["choices"][0] for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"]]
    return finish


def wire(events: list[dict[str, Any]]) -> bytes:
    return b"".join(encode_event(json.dumps(e), event=e["type"]) for e in events)


def test_registered() -> None:
    assert "openai_responses" in PROVIDERS


def test_text_stream_identity_content_finish_and_usage() -> None:
    events = [created(), text("Hel"), text("lo"), completed(USAGE)]
    chunks = run(events)
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {("chatcmpl-resp_1", CREATED, "gpt-x")}
    assert deltas(chunks) == [{"role": "assistant"}, {"content": "Hel"}, {"content": "lo"}, {}]
    assert finish_of(chunks)["finish_reason"] == "stop" and finish_of(chunks)["native_finish_reason"] == "completed"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 20,
        "completion_tokens": 30,
        "total_tokens": 50,
        "prompt_tokens_details": {"cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 12},
        "native_usage": USAGE,
    }
    assert "usage" not in run(events, include_usage=False)[-1]


def test_created_and_service_tier_come_from_the_response() -> None:
    chunks = list(translate("openai_responses", [created(service_tier="flex"), completed()]))
    assert {c["created"] for c in chunks} == {1_760_000_000} and {c["service_tier"] for c in chunks} == {"flex"}


def test_old_and_new_shapes_give_the_same_output() -> None:
    old = [created(), text("a"), completed(USAGE)]
    new = [{**e, "sequence_number": n} for n, e in enumerate(old)]
    new[1]["obfuscation"] = "zzz"
    assert run(new) == run(old)


def test_refusal_and_audio() -> None:
    events = [
        created(),
        {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "No"},
        {"type": "response.audio.transcript.delta", "delta": "hi"},
        {"type": "response.audio.delta", "delta": "AAA="},
        completed(),
    ]
    chunks = run(events)
    assert deltas(chunks)[1:4] == [{"refusal": "No"}, {"audio": {"transcript": "hi"}}, {"audio": {"data": "AAA="}}]
    assert fold(chunks).choices[0].message.refusal == "No"


def summary(delta: str, index: int, item_id: str = "rs_1") -> dict[str, Any]:
    return {
        "type": "response.reasoning_summary_text.delta",
        "item_id": item_id,
        "output_index": 0,
        "summary_index": index,
        "delta": delta,
    }


def test_reasoning_summary_parts_are_separated_and_kept_as_details() -> None:
    events = [created(), summary("A", 0), summary("B", 0), summary("C", 1), text("x"), completed()]
    chunks = run(events)
    assert [d.get("reasoning_content") for d in deltas(chunks)[1:4]] == ["A", "B", SUMMARY_SEPARATOR + "C"]
    entries = [e for d in deltas(chunks) for e in d.get("reasoning_details", [])]
    assert entries == [
        {"index": 0, "type": "reasoning.summary", "summary": "A", "id": "rs_1", "format": "openai-responses-v1"},
        {"index": 0, "type": "reasoning.summary", "summary": "B"},
        {
            "index": 1,
            "type": "reasoning.summary",
            "summary": SUMMARY_SEPARATOR + "C",
            "id": "rs_1",
            "format": "openai-responses-v1",
        },
    ]
    assert fold(chunks).choices[0].message.reasoning_content == "AB" + SUMMARY_SEPARATOR + "C"


def test_reasoning_text_deltas_and_the_reasoning_field_option() -> None:
    delta = {"type": "response.reasoning_text.delta", "item_id": "rs_1", "output_index": 0, "content_index": 0}
    events = [created(), {**delta, "delta": "th"}, {**delta, "delta": "ink"}, {**delta, "delta": ""}, completed()]
    chunks = run(events, reasoning_field="reasoning")
    assert [d.get("reasoning") for d in deltas(chunks)[1:3]] == ["th", "ink"]
    assert deltas(chunks)[1]["reasoning_details"][0]["type"] == "reasoning.text"


def test_encrypted_reasoning_item_is_kept() -> None:
    events = [
        created(),
        item("reasoning", 0, id="rs_9", summary=[]),
        item("reasoning", 0, "done", id="rs_9", summary=[], encrypted_content="gAAAA"),
        item("reasoning", 1, "done", id="rs_10", summary=[]),  # nothing to keep
        completed(),
    ]
    details = deltas(run(events))[1]["reasoning_details"]
    assert details == [
        {"index": 0, "type": "reasoning.encrypted", "data": "gAAAA", "id": "rs_9", "format": "openai-responses-v1"}
    ]


def test_function_calls_count_from_zero_and_finish_with_tool_calls() -> None:
    events = [
        created(),
        item("message", 0, id="msg_1"),
        text("Let me check."),
        call(1, "f", n=1),
        args('{"a":', 1, 1),
        args("1}", 1, 1),
        {"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 1, "arguments": '{"a":1}'},
        call(1, "f", "done", '{"a":1}', n=1),
        call(2, "g", n=2),
        call(2, "g", "done", "{}", n=2),  # no deltas: the arguments come whole at the end
        completed(),
    ]
    chunks = run(events)
    calls = fold(chunks).choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_1", "f", '{"a":1}'),
        ("call_2", "g", "{}"),
    ]
    starts = [c for d in deltas(chunks) for c in d.get("tool_calls", []) if "id" in c]
    assert [c["index"] for c in starts] == [0, 1]
    assert finish_of(chunks)["finish_reason"] == "tool_calls"


def test_argument_deltas_before_their_item_are_sent_with_its_start() -> None:
    events = [
        created(),
        args('{"x"', 0),
        args(":2}", 0),
        call(0),
        call(0, event="done", arguments='{"x":2}'),
        completed(),
    ]
    chunks = run(events)
    assert deltas(chunks)[1]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"x":2}'}
    assert len(deltas(chunks)) == 3  # role, the call, the finish: nothing repeated


def test_a_call_seen_only_when_done_is_sent_whole_and_custom_tools_are_calls() -> None:
    custom = item("custom_tool_call", 1, id="ctc_1", call_id="call_c", name="shell", input="")
    events = [
        created(),
        call(0, "f", "done", '{"k":true}'),
        custom,
        {"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1", "output_index": 1, "delta": "ls -la"},
        {**custom, "type": "response.output_item.done", "item": {**custom["item"], "input": "ls -la"}},
        completed(),
    ]
    calls = fold(run(events)).choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [("f", '{"k":true}'), ("shell", "ls -la")]


def test_final_arguments_that_do_not_continue_the_deltas_are_an_error() -> None:
    events = [created(), call(0), args('{"a"', 0), call(0, event="done", arguments='{"b":1}')]
    with pytest.raises(TranslationError, match="do not continue"):
        run(events)


def test_built_in_tools_go_to_server_blocks_when_done() -> None:
    search = {"id": "ws_1", "status": "completed", "action": {"type": "search", "query": "q"}}
    events = [
        created(),
        item("web_search_call", 0, id="ws_1", status="in_progress"),
        {"type": "response.web_search_call.searching", "item_id": "ws_1", "output_index": 0},
        item("web_search_call", 0, "done", **search),
        item("mcp_call", 1, "done", id="mcp_1", name="t", arguments="{}", server_label="s", index=3),
        completed(),
    ]
    blocks = [b for d in deltas(run(events)) for b in d.get("server_blocks", [])]
    assert blocks == [
        {"index": 0, "type": "web_search_call", **search},
        {
            "index": 1,
            "type": "mcp_call",
            "id": "mcp_1",
            "name": "t",
            "arguments": "{}",
            "server_label": "s",
            "native_index": 3,
        },
    ]


def test_url_citations_are_shifted_to_the_choice_content() -> None:
    part = {"type": "response.content_part.added", "item_id": "msg_2", "output_index": 1, "content_index": 0}
    cite = {"type": "url_citation", "start_index": 0, "end_index": 4, "title": "T", "url": "https://x"}
    events = [
        created(),
        text("Intro. ", "msg_1"),
        part,
        text("Fact here", "msg_2"),
        {
            "type": "response.output_text.annotation.added",
            "item_id": "msg_2",
            "output_index": 1,
            "content_index": 0,
            "annotation_index": 0,
            "annotation": cite,
        },
        {
            "type": "response.output_text.annotation.added",
            "item_id": "msg_2",
            "output_index": 1,
            "content_index": 0,
            "annotation_index": 1,
            "annotation": {"type": "file_citation", "file_id": "f", "index": 2},
        },
        completed(),
    ]
    chunks = run(events)
    url, file = [a for d in deltas(chunks) for a in d.get("annotations", [])]
    span = url["url_citation"]
    assert fold(chunks).choices[0].message.content[span["start_index"] : span["end_index"]] == "Fact"
    assert (url["index"], span["url"], span["title"]) == (0, "https://x", "T")
    assert file == {"index": 1, "type": "file_citation", "file_id": "f", "native_index": 2}


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter"), ("other", "length"), (None, "length")],
)
def test_incomplete_reasons(reason: str | None, expected: str) -> None:
    details = {"reason": reason} if reason else None
    events = [
        created(),
        text("a"),
        {"type": "response.incomplete", "response": {"incomplete_details": details, "usage": USAGE}},
    ]
    chunks = run(events)
    assert finish_of(chunks)["finish_reason"] == expected and chunks[-1]["usage"]["total_tokens"] == 50
    assert finish_of(chunks)["native_finish_reason"] == (reason or "incomplete")
    assert set(INCOMPLETE_REASONS.values()) == {"length", "content_filter"}


def test_error_then_failed_ends_in_the_error_without_done() -> None:
    error = {
        "type": "error",
        "code": "insufficient_quota",
        "message": "You exceeded your quota",
        "param": None,
        "sequence_number": 2,
    }
    failed = {"type": "response.failed", "response": {"status": "failed", "error": {"code": "x", "message": "y"}}}
    payloads, done = parse_sse_output(b"".join(stream("openai_responses", [wire([created(), error, failed])])))
    assert not done and payloads[-1]["error"] | {"native_error": None} == {
        "message": "You exceeded your quota",
        "type": "billing_error",
        "code": "insufficient_quota",
        "param": None,
        "native_error": None,
    }
    check_contract(payloads, done=done)


def test_failed_alone_and_before_created() -> None:
    failed = {
        "type": "response.failed",
        "response": {"status": "failed", "error": {"code": "server_error", "message": "boom"}},
    }
    for events in ([created(), text("a"), failed], [failed]):
        chunks = list(translate("openai_responses", events, created=CREATED))
        assert chunks[-1]["error"]["message"] == "boom" and chunks[-1]["error"]["code"] == "server_error"
        check_contract(chunks)
    nested = list(translate("openai_responses", [{"type": "error", "error": {"message": "m", "type": "t"}}]))
    assert (nested[-1]["error"]["type"], nested[-1]["error"]["code"]) == ("api_error", "t")
    assert nested[-1]["error"]["message"] == "m"


def test_a_stream_without_its_terminal_event_ends_in_an_error() -> None:
    chunks = list(translate("openai_responses", [created(), text("a")], created=CREATED))
    assert chunks[-1]["error"]["type"] == "upstream_truncated"
    payloads, done = parse_sse_output(b"".join(stream("openai_responses", [wire([created(), text("a")])])))
    assert not done and payloads[-1]["error"]["type"] == "upstream_truncated"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([text("a")], "before response.created"),
        ([created(), created()], "second response.created"),
        ([{"type": "response.created"}], "no object 'response'"),
        ([created(), {"type": "response.output_text.delta", "delta": 5}], "no string 'delta'"),
        ([created(), item("function_call", 0, call_id="c")], "has no name"),
        ([created(), item("function_call", 0, call_id="c", name="f", arguments=5)], "not a string"),
        ([{"no": "type"}], "no 'type'"),
    ],
)
def test_violations_raise_translation_error(events: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(TranslationError, match=message) as info:
        run(events)
    assert info.value.provider == "openai_responses"


def test_ignored_events_and_strict() -> None:
    noise = [{"type": kind} for kind in sorted(IGNORED_EVENTS)]
    base = [created(), text("a"), completed()]
    assert run([base[0], *noise, *base[1:]], strict=True) == run(base)
    assert run([base[0], {"type": "response.future"}, *base[1:]]) == run(base)
    with pytest.raises(TranslationError, match=r"unknown event type 'response\.future'"):
        run([base[0], {"type": "response.future"}], strict=True)


FIXTURES = sorted(
    p
    for p in (Path(__file__).parent.parent / "fixtures" / "openai_responses").glob("*.sse")
    if not p.name.endswith(".openai.sse")
)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_sdk_event_objects_fold_like_their_dicts(path: Path) -> None:
    """The openai SDK's event models (validated with the documented shims of test_responses_fixtures) give
    the same text, reasoning, refusal, calls, finish and usage as the wire dicts."""
    from tests.test_responses_fixtures import validate

    decoder = SSEDecoder()
    events = [json.loads(e.data) for e in decoder.decode(path.read_bytes()) + decoder.flush() if e.data != "[DONE]"]
    objects = [validate(event, n) for n, event in enumerate(events)]
    from_dicts = list(translate("openai_responses", events, created=CREATED))
    from_objects = list(translate("openai_responses", objects, created=CREATED))
    if "error" in from_dicts[-1]:
        assert from_objects[-1]["error"]["message"] == from_dicts[-1]["error"]["message"]
        return
    ours, theirs = fold(from_objects).choices[0], fold(from_dicts).choices[0]
    assert ours.finish_reason == theirs.finish_reason
    for field in ("content", "refusal", "reasoning_content", "tool_calls"):
        assert getattr(ours.message, field, None) == getattr(theirs.message, field, None), field
    usage = [c["usage"] for c in from_objects if "usage" in c]
    assert [{k: v for k, v in u.items() if k != "native_usage"} for u in usage] == [
        {k: v for k, v in c["usage"].items() if k != "native_usage"} for c in from_dicts if "usage" in c
    ]


def test_stream_equals_translate_encoded() -> None:
    from translators.sse import encode_json

    events = [created(), summary("r", 0), text("a"), call(1), args("{}", 1), completed(USAGE)]
    expected = b"".join(encode_json(c) for c in translate("openai_responses", events, created=CREATED))
    assert b"".join(stream("openai_responses", [wire(events)], created=CREATED)) == expected + b"data: [DONE]\n\n"
