"""Unit tests of the Ollama translator (``/api/chat`` and ``/api/generate``): each mapping row, each error."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import pytest

from tests.contract import acollect, aiter_of, check_async_equals_sync, check_contract, fold, parse_sse_output
from translators import TranslationError, atranslate, stream, translate
from translators._core import Options
from translators.providers.ollama import FINISH_REASONS, IGNORED_FIELDS, OllamaTranslator, call_id

CREATED = 1_700_000_000
AT = "2024-01-01T00:00:00Z"
AT_UNIX = 1_704_067_200
Event = dict[str, Any]

OLLAMA_FINISH = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}
"""The documented done_reason table, written out independently of FINISH_REASONS."""


def chat(content: Any = "", done: bool = False, **fields: Any) -> Event:
    """One ``/api/chat`` object; ``message`` fields other than content go in ``fields["message"]``."""
    message = {"role": "assistant", "content": content, **fields.pop("message", {})}
    return {"model": "llama3.2", "created_at": AT, "message": message, "done": done, **fields}


def final(reason: Any = "stop", **fields: Any) -> Event:
    counts = {"prompt_eval_count": 26, "eval_count": 5, "total_duration": 900, "load_duration": 100}
    counts |= {"prompt_eval_duration": 200, "eval_duration": 600}
    return chat("", True, done_reason=reason, **{**counts, **fields})


def generated(response: Any = "", done: bool = False, **fields: Any) -> Event:
    return {"model": "llama3.2", "created_at": AT, "response": response, "done": done, **fields}


def text_stream(*pieces: str) -> list[Event]:
    return [*(chat(p) for p in pieces), final()]


def run(events: list[Any], **options: Any) -> list[dict[str, Any]]:
    options.setdefault("created", CREATED)
    chunks = list(translate("ollama", events, **options))
    check_contract(chunks)
    return chunks


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deltas before the finish, without the role (the first chunk's role is checked by the contract)."""
    out = []
    for c in chunks:
        if c.get("choices") and c["choices"][0]["finish_reason"] is None:
            d = {k: v for k, v in c["choices"][0]["delta"].items() if k != "role"}
            if d:
                out.append(d)
    return out


def finish_of(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    [finish] = [c["choices"][0] for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"]]
    return finish


def raises(events: list[Any], match: str, **options: Any) -> TranslationError:
    with pytest.raises(TranslationError, match=match) as info:
        list(translate("ollama", events, created=CREATED, **options))
    assert info.value.provider == "ollama"
    assert info.value.where == f"object #{len(events)}"
    return info.value


def ndjson(events: list[Event], newline: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(e).encode() + newline for e in events)


def sse(body: bytes, pieces: list[bytes] | None = None, **options: Any) -> bytes:
    options.setdefault("created", CREATED)
    return b"".join(stream("ollama", pieces if pieces is not None else [body], **options))


# -- the first object: identity ------------------------------------------------------------------------


def test_the_first_object_names_the_model_and_the_stream() -> None:
    chunks = list(translate("ollama", text_stream("Hi", " there")))
    check_contract(chunks, usage=True)
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {
        (f"chatcmpl-ollama-{AT_UNIX}", AT_UNIX, "llama3.2")
    }
    assert deltas(chunks) == [{"content": "Hi"}, {"content": " there"}]


def test_the_first_object_gives_a_role_chunk_before_its_deltas() -> None:
    chunks = run(text_stream("Hi"))
    assert [c["choices"][0]["delta"] for c in chunks[:2]] == [{"role": "assistant"}, {"content": "Hi"}]


def test_tool_call_ids_differ_between_streams_of_the_same_second() -> None:
    call = {"function": {"name": "f", "arguments": {}}}
    first = [chat("", message={"tool_calls": [call]}), final()]
    second = [dict(e, created_at="2024-01-01T00:00:00.5Z") for e in first]
    ids = [deltas(run(events, created=None))[0]["tool_calls"][0]["id"] for events in (first, second)]
    assert ids[0] != ids[1]


def test_options_set_id_model_created_and_reasoning_field() -> None:
    events = [chat(message={"thinking": "hmm"}), *text_stream("a")]
    chunks = run(events, id="fixed", model="alias", created=42, reasoning_field="reasoning")
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {("fixed", "alias", 42)}
    assert deltas(chunks)[0]["reasoning"] == "hmm"


def test_the_created_option_wins_over_created_at() -> None:
    chunks = run(text_stream("a"), created=CREATED)
    assert {c["created"] for c in chunks} == {CREATED} and chunks[0]["id"] == f"chatcmpl-ollama-{CREATED}"


def _utc(*fields: int) -> int:
    return int(datetime(*fields, tzinfo=timezone.utc).timestamp())


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2024-01-01T00:00:00Z", _utc(2024, 1, 1)),
        ("2024-01-01T00:00:00.999999999Z", _utc(2024, 1, 1)),  # nanoseconds: whole seconds, truncated
        ("2023-08-04T08:52:19.385406455-07:00", _utc(2023, 8, 4, 15, 52, 19)),
        ("2024-01-01T02:30:00.5+02:30", _utc(2024, 1, 1)),
        ("2024-01-01T00:00:00+00:00", _utc(2024, 1, 1)),
    ],
)
def test_created_comes_from_created_at_in_rfc3339(created_at: str, expected: int) -> None:
    first = chat("a")
    first["created_at"] = created_at
    chunks = list(translate("ollama", [first, final()]))  # no created option
    check_contract(chunks)
    assert {c["created"] for c in chunks} == {expected}
    assert chunks[0]["id"] == f"chatcmpl-ollama-{expected}"


def test_created_at_of_later_objects_is_ignored() -> None:
    later = chat("b")
    later["created_at"] = "2030-01-01T00:00:00Z"
    chunks = list(translate("ollama", [chat("a"), later, final()]))
    assert {c["created"] for c in chunks} == {AT_UNIX}


@pytest.mark.parametrize(
    "created_at",
    [
        None,
        5,
        "",
        "yesterday",
        "2024-01-01T00:00:00",  # no zone
        "2024-01-01 00:00:00Z",  # no T
        "2024-02-30T00:00:00Z",  # the right shape, not a date
        "2024-01-01T25:00:00Z",
        "0001-01-01T00:00:00Z",  # Go's zero time: before the epoch
        "2024-01-01T00:00:00Zjunk",
    ],
)
def test_a_bad_created_at_is_ignored_for_the_clock(created_at: Any) -> None:
    first = chat("a")
    if created_at is None:
        del first["created_at"]
    else:
        first["created_at"] = created_at
    before = int(time.time())
    chunks = list(translate("ollama", [first, final()]))
    after = int(time.time())
    check_contract(chunks)
    [created] = {c["created"] for c in chunks}
    assert before <= created <= after
    assert chunks[0]["id"] == f"chatcmpl-ollama-{created}"


def test_a_model_that_is_not_a_string_is_left_empty() -> None:
    first = chat("a")
    first["model"] = 3
    assert {c["model"] for c in run([first, final()])} == {""}


# -- content and thinking ---------------------------------------------------------------------------------


def test_empty_and_missing_content_send_nothing() -> None:
    events = [chat(""), chat("a"), chat(""), {"model": "m", "message": {"role": "assistant"}, "done": False}, final()]
    assert deltas(run(events)) == [{"content": "a"}]


def test_thinking_is_one_reasoning_entry_for_the_whole_stream() -> None:
    events = [
        chat(message={"thinking": "Let me"}),
        chat(message={"thinking": ""}),
        chat(message={"thinking": " think"}),
        chat("Answer", message={"thinking": "."}),
        final(),
    ]
    chunks = run(events)
    d = deltas(chunks)
    assert d[0] == {
        "reasoning_content": "Let me",
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "format": "ollama", "text": "Let me"}],
    }
    assert d[1] == {
        "reasoning_content": " think",
        "reasoning_details": [{"index": 0, "type": "reasoning.text", "text": " think"}],
    }
    assert d[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.text", "text": "."}]
    assert d[3] == {"content": "Answer"}  # thinking first, then the content of the same object
    message = fold(chunks).choices[0].message
    assert message.content == "Answer"
    assert message.model_extra["reasoning_content"] == "Let me think."
    assert message.model_extra["reasoning_details"] == [
        {"index": 0, "type": "reasoning.text", "format": "ollama", "text": "Let me think."}
    ]


# -- the hot path ---------------------------------------------------------------------------------------


def _slow(events: list[Event]) -> list[Any]:
    """The same objects with each message behind a read-only Mapping: `feed` then takes the general path."""
    return [{**e, "message": MappingProxyType(e["message"])} if "message" in e else e for e in events]


def test_hot_path_and_general_path_give_the_same_output() -> None:
    events = [
        chat("a"),
        chat("b"),
        chat(""),
        chat("c", message={"thinking": "t"}),
        chat("d"),
        {**chat("e"), "done": None},
        chat("f", message={"tool_calls": [{"function": {"name": "f", "arguments": {}}}]}),
        chat("g"),
        final(),
    ]
    assert run(_slow(events)) == run(events)
    assert deltas(run(events))[:2] == [{"content": "a"}, {"content": "b"}]


def test_content_that_is_not_a_string_fails_on_the_hot_path_too() -> None:
    raises([chat("a"), chat(5)], "'content' is not a string")
    raises([chat(["x"])], "'content' is not a string")


# -- tool calls --------------------------------------------------------------------------------------------


def test_tool_calls_come_whole_with_deterministic_ids() -> None:
    weather = {"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2]}}}
    clock = {"function": {"name": "get_time"}}
    events = [
        chat("", message={"tool_calls": [weather, clock]}),
        chat("", message={"tool_calls": [{"function": {"name": "third", "arguments": {}}}]}),
        final(),
    ]
    chunks = run(events, id="chatcmpl-x")
    stream_id = "chatcmpl-x"

    def expected_id(n: int) -> str:
        return "call_" + hashlib.sha256(f"{stream_id}/{AT}/{n}".encode()).hexdigest()[:24]

    calls = [d["tool_calls"] for d in deltas(chunks)]
    assert calls == [
        [
            {
                "index": 0,
                "id": expected_id(0),
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris","days":[1,2]}'},
            }
        ],
        [{"index": 1, "id": expected_id(1), "type": "function", "function": {"name": "get_time", "arguments": "{}"}}],
        [{"index": 2, "id": expected_id(2), "type": "function", "function": {"name": "third", "arguments": "{}"}}],
    ]
    assert call_id(stream_id, AT, 1) == expected_id(1) and len(expected_id(1)) == 5 + 24
    assert run(events, id="chatcmpl-x") == chunks  # the same stream id, the same ids
    assert finish_of(chunks)["finish_reason"] == "tool_calls" and finish_of(chunks)["native_finish_reason"] == "stop"
    message = fold(chunks).choices[0].message
    assert [json.loads(c.function.arguments) for c in message.tool_calls] == [{"city": "Paris", "days": [1, 2]}, {}, {}]


def test_tool_call_ids_follow_the_stream_id() -> None:
    call = {"function": {"name": "f", "arguments": {}}}
    events = [chat("", message={"tool_calls": [call]}), final()]
    first = deltas(run(events))[0]["tool_calls"][0]["id"]
    assert first == call_id(f"chatcmpl-ollama-{CREATED}", AT, 0)
    assert deltas(run(events, id="other"))[0]["tool_calls"][0]["id"] == call_id("other", AT, 0) != first


def test_given_ids_are_kept_and_string_arguments_pass_verbatim() -> None:
    given = {"id": "call_abc", "function": {"name": "f", "arguments": '{"a":  1}'}}
    unnamed = {"id": "", "function": {"name": "g", "arguments": {"b": 2}}}
    odd = {"id": 7, "function": {"name": "h", "arguments": None}}
    chunks = run([chat("", message={"tool_calls": [given, unnamed, odd]}), final()])
    calls = [d["tool_calls"][0] for d in deltas(chunks)]
    assert [(c["id"], c["function"]["arguments"]) for c in calls] == [
        ("call_abc", '{"a":  1}'),
        (call_id(f"chatcmpl-ollama-{CREATED}", AT, 1), '{"b":2}'),
        (call_id(f"chatcmpl-ollama-{CREATED}", AT, 2), "{}"),
    ]


def test_tool_call_arguments_beyond_orjson_still_encode() -> None:
    call = {"function": {"name": "f", "arguments": {"big": 2**70, "s": "\ud800"}}}
    [d] = deltas(run([chat("", message={"tool_calls": [call]}), final()]))
    assert json.loads(d["tool_calls"][0]["function"]["arguments"]) == {"big": 2**70, "s": "\ud800"}


def test_tool_calls_with_length_keep_length() -> None:
    chunks = run([chat("", message={"tool_calls": [{"function": {"name": "f"}}]}), final("length")])
    assert finish_of(chunks)["finish_reason"] == "length"


@pytest.mark.parametrize(
    "calls",
    [
        [{"function": {"arguments": {}}}],
        [{"function": {"name": 3}}],
        [{"function": "f"}],
        [{}],
        ["f"],
        [None],
    ],
)
def test_a_tool_call_without_a_name_is_a_translation_error(calls: list[Any]) -> None:
    raises([chat("a"), chat("", message={"tool_calls": calls})], "without a string 'function.name'")


def test_tool_calls_that_are_not_a_list_are_a_translation_error() -> None:
    raises([chat("", message={"tool_calls": {"function": {"name": "f"}}})], "'message.tool_calls' is not a list")


def test_tool_call_arguments_that_cannot_be_json_are_a_translation_error() -> None:
    call = {"function": {"name": "f", "arguments": {"x": object()}}}
    raises([chat("", message={"tool_calls": [call]})], "tool call arguments cannot be encoded as JSON")


# -- logprobs -------------------------------------------------------------------------------------------------


def test_logprobs_become_openai_logprobs_with_bytes() -> None:
    items = [
        {
            "token": "Hé",
            "logprob": -0.25,
            "top_logprobs": [{"token": "Ha", "logprob": -1.5}, {"token": "😀", "logprob": -3}],
        },
        {"token": "llo", "logprob": 0},
    ]
    chunks = run([chat("Héllo", logprobs=items), chat("!", logprobs=[]), final()])
    first = next(c for c in chunks if c["choices"] and c["choices"][0]["logprobs"] is not None)
    assert first["choices"][0]["delta"]["content"] == "Héllo"
    assert first["choices"][0]["logprobs"] == {
        "content": [
            {
                "token": "Hé",
                "logprob": -0.25,
                "bytes": [72, 195, 169],
                "top_logprobs": [
                    {"token": "Ha", "logprob": -1.5, "bytes": [72, 97]},
                    {"token": "😀", "logprob": -3, "bytes": [240, 159, 152, 128]},
                ],
            },
            {"token": "llo", "logprob": 0, "bytes": [108, 108, 111], "top_logprobs": []},
        ],
        "refusal": None,
    }
    assert deltas(chunks)[1] == {"content": "!"}  # an empty list carries nothing
    folded = fold(chunks).choices[0]
    assert [t.token for t in folded.logprobs.content] == ["Hé", "llo"]
    assert folded.logprobs.content[0].top_logprobs[1].bytes == [240, 159, 152, 128]


def test_logprobs_of_an_object_without_content_still_go_out() -> None:
    chunks = run([chat("", logprobs=[{"token": "<think>", "logprob": -0.1}]), final()])
    [body] = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["logprobs"]]
    assert body["delta"]["content"] == "" and body["logprobs"]["content"][0]["token"] == "<think>"


@pytest.mark.parametrize(
    ("logprobs", "match"),
    [
        ({"token": "a", "logprob": -1}, "'logprobs' is not a list of objects"),
        (["a"], "'logprobs' is not a list of objects"),
        ([{"token": 1, "logprob": -1}], "string 'token' and a number 'logprob'"),
        ([{"token": "a"}], "string 'token' and a number 'logprob'"),
        ([{"token": "a", "logprob": True}], "string 'token' and a number 'logprob'"),
        ([{"token": "a", "logprob": -1, "top_logprobs": "b"}], "'top_logprobs' is not a list of objects"),
        ([{"token": "a", "logprob": -1, "top_logprobs": [1]}], "'top_logprobs' is not a list of objects"),
        ([{"token": "a", "logprob": -1, "top_logprobs": [{"token": "b"}]}], "string 'token' and a number"),
    ],
)
def test_bad_logprobs_are_a_translation_error(logprobs: Any, match: str) -> None:
    raises([chat("a", logprobs=logprobs)], match)


# -- the generate endpoint ---------------------------------------------------------------------------------


def test_generate_objects_map_response_thinking_image_and_context() -> None:
    events = [
        generated("", thinking="plan"),
        generated("The", thinking=""),
        generated(" sky"),
        generated("", image="iVBORw0KGgo="),
        generated("", image=""),
        generated("", done=True, done_reason="stop", context=[1, 2, 3], prompt_eval_count=4, eval_count=2),
    ]
    chunks = run(events)
    assert deltas(chunks) == [
        {
            "reasoning_content": "plan",
            "reasoning_details": [{"index": 0, "type": "reasoning.text", "format": "ollama", "text": "plan"}],
        },
        {"content": "The"},
        {"content": " sky"},
        {"images": [{"index": 0, "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
    ]
    finish = finish_of(chunks)
    assert finish["context"] == [1, 2, 3] and finish["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] == 6
    assert fold(chunks).choices[0].message.content == "The sky"


def test_a_chat_finish_has_no_context() -> None:
    assert "context" not in finish_of(run(text_stream("a")))


@pytest.mark.parametrize(
    ("event", "match"),
    [
        (generated(5), "'response' is not a string"),
        (generated("", thinking=[]), "'thinking' is not a string"),
        (chat("", message={"thinking": 1}), "'thinking' is not a string"),
        ({"model": "m", "message": "hi", "done": False}, "'message' is not an object"),
        ({"model": "m", "message": ["hi"], "done": False}, "'message' is not an object"),
    ],
)
def test_fields_of_the_wrong_type_are_a_translation_error(event: Event, match: str) -> None:
    raises([event], match)
    raises([chat("a"), event], match)


# -- the done object -----------------------------------------------------------------------------------------


def test_the_finish_table_is_the_documented_one() -> None:
    assert dict(FINISH_REASONS) == OLLAMA_FINISH


@pytest.mark.parametrize(("native", "expected"), sorted(OLLAMA_FINISH.items()))
def test_done_reasons_map_and_the_raw_value_is_kept(native: str, expected: str) -> None:
    finish = finish_of(run([*text_stream("a")[:-1], final(native)]))
    assert finish["finish_reason"] == expected and finish["native_finish_reason"] == native


@pytest.mark.parametrize("reason", ["brand_new", None, 3])
def test_unknown_missing_or_odd_done_reason_maps_to_stop(reason: Any) -> None:
    finish = finish_of(run([chat("a"), final(reason)]))
    assert finish["finish_reason"] == "stop" and finish["native_finish_reason"] == reason


def test_usage_counts_and_durations() -> None:
    chunk = run(text_stream("a"))[-1]
    assert chunk["choices"] == []
    assert chunk["usage"] == {
        "prompt_tokens": 26,
        "completion_tokens": 5,
        "total_tokens": 31,
        "native_usage": {
            "prompt_eval_count": 26,
            "eval_count": 5,
            "total_duration": 900,
            "load_duration": 100,
            "prompt_eval_duration": 200,
            "eval_duration": 600,
        },
    }


def test_missing_or_malformed_counts_count_nothing() -> None:
    bare = run([chat("a"), chat("", True)])[-1]["usage"]
    assert bare == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "native_usage": {}}
    odd = run([chat("a"), chat("", True, prompt_eval_count=-1, eval_count=2.5)])[-1]["usage"]
    assert (odd["prompt_tokens"], odd["completion_tokens"]) == (0, 0)
    assert odd["native_usage"] == {"prompt_eval_count": -1, "eval_count": 2.5}


def test_include_usage_false_leaves_out_the_usage_chunk() -> None:
    chunks = run(text_stream("a"), include_usage=False)
    check_contract(chunks, usage=False)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    out, done = parse_sse_output(sse(ndjson(text_stream("a")), include_usage=False))
    assert done and all(c["choices"] for c in out)


def test_a_single_done_object_is_a_whole_stream() -> None:
    chunks = run([final()])
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert finish_of(chunks)["finish_reason"] == "stop" and "usage" in chunks[-1]


def test_input_after_the_done_object_is_not_read() -> None:
    def events() -> Any:
        yield from text_stream("a")
        raise AssertionError("read past the done object")

    assert list(translate("ollama", events(), created=CREATED)) == run(text_stream("a"))


# -- strict and ignored fields ---------------------------------------------------------------------------------


def test_ignored_fields_are_dropped_even_when_strict() -> None:
    first = chat("a", message={"images": None, "tool_name": "x"}, remote_model="m", remote_host="h")
    first |= {"completed": 1, "total": 2}
    assert run([first, final()], strict=True) == run([chat("a"), final()])
    assert {"role", "images", "created_at", "remote_model"} <= IGNORED_FIELDS


@pytest.mark.parametrize(
    "event",
    [chat("a", future=1), chat("a", message={"future": 1})],
    ids=["object", "message"],
)
def test_unknown_fields_are_dropped_unless_strict(event: Event) -> None:
    assert run([event, final()]) == run([chat("a"), final()])
    raises([event], "unknown field\\(s\\) 'future'", strict=True)
    raises([chat("a"), event], "unknown field\\(s\\) 'future'", strict=True)


def test_strict_accepts_every_documented_field() -> None:
    events = [
        chat("a", message={"thinking": "t", "tool_calls": [{"function": {"name": "f"}}]}, logprobs=[]),
        generated("b", thinking="c", image="QQ=="),
        final(context=[1]),
    ]
    assert run(events, strict=True) == run(events)


# -- errors and truncation ---------------------------------------------------------------------------------


def test_an_error_object_ends_with_an_error_event() -> None:
    failure = {"error": "model 'nope' not found"}
    [only] = run([failure])
    assert only == {
        "error": {
            "message": "model 'nope' not found",
            "type": "not_found_error",
            "code": "model_not_found",
            "param": None,
            "native_error": failure,
        }
    }
    chunks = run([chat("a"), {"error": "out of memory", "done": False}])
    assert chunks[-1]["error"]["message"] == "out of memory"
    assert (chunks[-1]["error"]["type"], chunks[-1]["error"]["code"]) == ("api_error", "api_error")
    assert chunks[-1]["error"]["native_error"] == {"error": "out of memory", "done": False}
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks[:-1])


@pytest.mark.parametrize("value", ["", None, 3, {"message": "x"}])
def test_an_error_without_a_message_gets_a_default_one(value: Any) -> None:
    [only] = run([{"error": value}])
    assert only["error"]["message"] == "Ollama error" and only["error"]["native_error"] == {"error": value}


def test_an_error_object_through_stream_has_no_done() -> None:
    out, done = parse_sse_output(sse(ndjson([chat("a"), {"error": "boom"}])))
    assert not done and out[-1]["error"]["type"] == "api_error"
    check_contract(out, done=done)


@pytest.mark.parametrize("cut", [0, 1, 2])
def test_a_stream_without_its_done_object_is_truncated(cut: int) -> None:
    chunks = run(text_stream("a", "b")[:cut])
    assert chunks[-1] == {
        "error": {
            "message": "upstream stream ended before the done object",
            "type": "upstream_truncated",
            "code": "upstream_truncated",
            "param": None,
        }
    }
    out, done = parse_sse_output(sse(ndjson(text_stream("a", "b")[:cut])))
    assert not done and out[-1]["error"]["type"] == "upstream_truncated"


def test_an_error_beside_a_steady_message_is_not_taken_for_content() -> None:
    chunks = run([chat("a"), {**chat("b"), "error": "cut off"}])
    assert chunks[-1]["error"]["message"] == "cut off" and chunks[-1]["error"]["type"] == "api_error"
    assert deltas(chunks) == [{"content": "a"}]


def test_a_body_cut_inside_its_last_line_reads_as_truncated() -> None:
    body = ndjson(text_stream("a", "b"))
    whole = sse(body)
    assert sse(body.rstrip(b"\n")) == whole  # a complete last line without its line end still counts
    last_line = body.rstrip(b"\n").rfind(b"\n") + 1
    for cut in (last_line + 1, len(body) - 2):
        out, done = parse_sse_output(sse(body[:cut]))
        assert not done and out[-1]["error"]["type"] == "upstream_truncated", cut
        assert fold(out).choices[0].message.content == "ab"


def test_a_long_last_line_is_still_refused() -> None:
    body = ndjson([chat("a")]) + b'{"model": "' + b"x" * 200
    out, done = parse_sse_output(sse(body, max_event_size=100))
    assert not done and out[-1]["error"]["type"] == "translation_error"
    assert "longer than max_event_size" in out[-1]["error"]["message"]


def test_tool_call_ids_use_an_empty_created_at_when_it_is_not_a_string() -> None:
    first = chat("", message={"tool_calls": [{"function": {"name": "f"}}]})
    first["created_at"] = 12
    [d] = deltas(run([first, final()]))
    assert d["tool_calls"][0]["id"] == call_id(f"chatcmpl-ollama-{CREATED}", "", 0)


def test_finish_after_the_end_adds_nothing() -> None:
    translator = OllamaTranslator(Options(created=CREATED))
    assert translator.feed(final())[-1]["usage"]["total_tokens"] == 31
    assert translator.done and not translator.failed and translator.finish() == []
    failed = OllamaTranslator(Options(created=CREATED))
    assert failed.feed({"error": "x"})[0]["error"]["message"] == "x"
    assert failed.done and failed.failed and failed.finish() == []
    cut = OllamaTranslator(Options(created=CREATED))
    assert cut.feed(chat("a")) and cut.finish()[0]["error"]["type"] == "upstream_truncated"
    assert cut.finish() == []


def test_violations_through_stream_end_with_an_error_event() -> None:
    out, done = parse_sse_output(sse(ndjson([chat("a"), chat(5)])))
    assert not done and out[-1]["error"]["type"] == "translation_error"
    assert "'content' is not a string" in out[-1]["error"]["message"] and "ollama" in out[-1]["error"]["message"]
    out, done = parse_sse_output(sse(b'{"model": "m"}\nnot json\n'))
    assert not done and out[-1]["error"]["type"] == "translation_error"


# -- the byte pipeline, the SDK fold, async -----------------------------------------------------------------------

FULL = [
    chat("", message={"thinking": "Think"}),
    chat("", message={"thinking": "ing."}),
    chat("Hé", logprobs=[{"token": "Hé", "logprob": -0.5}]),
    chat("llo "),
    chat("wörld"),
    chat("", message={"tool_calls": [{"function": {"name": "lookup", "arguments": {"q": "x"}}}]}),
    final(),
]


def test_stream_output_is_translate_output_and_folds_with_the_sdk() -> None:
    body = ndjson(FULL)
    out, done = parse_sse_output(sse(body))
    assert done and out == run(FULL)
    folded = fold(out).choices[0]
    assert folded.message.content == "Héllo wörld"
    assert folded.message.model_extra["reasoning_content"] == "Thinking."
    assert folded.message.tool_calls[0].function.name == "lookup"
    assert folded.message.tool_calls[0].function.arguments == '{"q":"x"}'
    assert folded.finish_reason == "tool_calls"
    assert out[-1]["usage"]["total_tokens"] == 31


def test_ndjson_split_anywhere_gives_the_same_bytes() -> None:
    body = ndjson(FULL)
    whole = sse(body)
    assert sse(body, [body[i : i + 1] for i in range(len(body))]) == whole
    for cut in range(len(body) + 1):
        assert sse(body, [body[:cut], body[cut:]]) == whole, cut
    assert sse(ndjson(FULL, b"\r\n")) == whole
    assert sse(b"\n" + ndjson(FULL, b"\n\n")) == whole  # blank lines are skipped


def test_generate_stream_folds_with_the_sdk() -> None:
    events = [generated("Why"), generated(" blue?"), generated("", done=True, done_reason="length", context=[7])]
    out, done = parse_sse_output(sse(ndjson(events)))
    assert done and out == run(events)
    assert fold(out).choices[0].message.content == "Why blue?" and fold(out).choices[0].finish_reason == "length"


def test_atranslate_equals_translate_and_astream_equals_stream() -> None:
    for events in (FULL, FULL[:3], [*FULL[:2], {"error": "x"}]):
        got = asyncio.run(acollect(atranslate("ollama", aiter_of(events), created=CREATED)))
        assert got == list(translate("ollama", events, created=CREATED))
        body = ndjson(events)
        check_async_equals_sync("ollama", events, [body[i : i + 7] for i in range(0, len(body), 7)], created=CREATED)


def test_logprob_bytes_sent_by_the_server_are_kept() -> None:
    item = {"token": "\ufffd", "logprob": -0.5, "bytes": [240, 159], "top_logprobs": []}
    chunks = run([chat("\ufffd", logprobs=[item]), final()])
    [content] = [c["choices"][0]["logprobs"]["content"] for c in chunks if c["choices"] and c["choices"][0]["logprobs"]]
    assert content == [{"token": "\ufffd", "logprob": -0.5, "bytes": [240, 159], "top_logprobs": []}]
