"""Unit tests of the Gemini translator: each mapping row, the jsonPath argument writer, and each violation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from translators import PROVIDERS, TranslationError, stream, translate
from translators.providers.gemini import FINISH_REASONS, IGNORED_FIELDS, ArgumentsWriter, parse_json_path

CREATED = 1_700_000_000


def response(*parts: dict[str, Any], index: int | None = None, **candidate: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, **candidate}
    if index is not None:
        body["index"] = index
    return {"candidates": [body], "modelVersion": "gemini-test", "responseId": "resp1"}


def usage(**counts: int) -> dict[str, Any]:
    return {"usageMetadata": counts, "modelVersion": "gemini-test", "responseId": "resp1"}


def run(events: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    return list(translate("gemini", events, created=CREATED, **options))


def body_of(chunks: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    return [c for chunk in chunks for c in chunk.get("choices") or [] if c["index"] == index]


def deltas(chunks: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    return [c["delta"] for c in body_of(chunks, index)]


def finish_of(chunks: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    (finish,) = [c for c in body_of(chunks, index) if c["finish_reason"]]
    return finish


def arguments(chunks: list[dict[str, Any]], tool: int = 0) -> str:
    return "".join(
        call["function"].get("arguments", "")
        for d in deltas(chunks)
        for call in d.get("tool_calls") or []
        if call["index"] == tool
    )


def test_registered_with_the_vertex_alias() -> None:
    assert {"gemini", "vertex"} <= set(PROVIDERS)
    events = [response({"text": "hi"}, finishReason="STOP")]
    assert run(events) == list(translate("vertex", events, created=CREATED))


# -- stream identity, text, finish, usage -----------------------------------------------------------


def test_text_stream_identity_and_usage() -> None:
    events = [
        response({"text": "Hel"}) | usage(promptTokenCount=5, totalTokenCount=6, candidatesTokenCount=1),
        response({"text": "lo"}, finishReason="STOP")
        | usage(
            promptTokenCount=5,
            candidatesTokenCount=2,
            thoughtsTokenCount=7,
            toolUsePromptTokenCount=3,
            cachedContentTokenCount=4,
            totalTokenCount=17,
        ),
    ]
    chunks = run(events)
    check_contract(chunks, usage=True)
    assert {(c["id"], c["model"], c["created"]) for c in chunks} == {("chatcmpl-resp1", "gemini-test", CREATED)}
    assert [d.get("content") for d in deltas(chunks)] == ["Hel", "lo", None]
    assert finish_of(chunks) | {"delta": {}} == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
        "native_finish_reason": "STOP",
    }
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 8,
        "completion_tokens": 9,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 7},
        "native_usage": events[1]["usageMetadata"],
    }


def test_options_override_id_and_model_and_usage_can_be_left_out() -> None:
    chunks = run([response({"text": "x"}, finishReason="STOP")], id="chatcmpl-mine", model="m", include_usage=False)
    assert {(c["id"], c["model"]) for c in chunks} == {("chatcmpl-mine", "m")}
    assert all(c["choices"] for c in chunks)


def test_without_response_id_the_id_is_derived_from_created_only() -> None:
    event = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}]}
    chunks = run([event])
    assert {c["id"] for c in chunks} == {f"chatcmpl-gemini-{CREATED}"}
    assert {c["model"] for c in chunks} == {""}


def test_total_defaults_to_the_sum_and_missing_counts_are_zero() -> None:
    chunks = run([response({"text": "x"}, finishReason="STOP") | usage(promptTokenCount=2, candidatesTokenCount=3)])
    assert chunks[-1]["usage"]["total_tokens"] == 5


def test_usage_counts_merge_across_chunks() -> None:
    """Vertex sends only trafficType until the last chunk; a later chunk that omits a count keeps it."""
    events = [
        response({"text": "a"}) | {"usageMetadata": {"trafficType": "ON_DEMAND"}},
        response({"text": "b"}, finishReason="STOP") | usage(promptTokenCount=3, totalTokenCount=9),
        usage(candidatesTokenCount=6),
    ]
    assert run(events)[-1]["usage"]["native_usage"] == {
        "trafficType": "ON_DEMAND",
        "promptTokenCount": 3,
        "totalTokenCount": 9,
        "candidatesTokenCount": 6,
    }


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        *[(r, "content_filter") for r in ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII")],
        *[(r, "content_filter") for r in ("IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION")],
        ("MODEL_ARMOR", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("OTHER", "stop"),
        ("LANGUAGE", "stop"),
        ("UNEXPECTED_TOOL_CALL", "stop"),
        ("A_REASON_FROM_THE_FUTURE", "stop"),
    ],
)
def test_finish_reason_table(reason: str, expected: str) -> None:
    chunks = run([response({"text": "x"}, finishReason=reason)])
    assert finish_of(chunks)["finish_reason"] == expected
    assert finish_of(chunks)["native_finish_reason"] == reason
    assert FINISH_REASONS.get(reason, "stop") == expected


def test_stop_after_a_function_call_is_tool_calls_and_other_reasons_keep_their_mapping() -> None:
    call = {"functionCall": {"name": "f", "args": {"a": 1}}}
    assert finish_of(run([response(call), response({"text": ""}, finishReason="STOP")]))["finish_reason"] == (
        "tool_calls"
    )
    assert finish_of(run([response(call, finishReason="MAX_TOKENS")]))["finish_reason"] == "length"
    assert finish_of(run([response(call, finishReason="TOO_MANY_TOOL_CALLS")]))["finish_reason"] == "tool_calls"


def test_candidate_fields_are_kept_on_the_finish_chunk() -> None:
    ratings = [{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}]
    events = [
        response({"text": "a"}, safetyRatings=[{"category": "X", "probability": "LOW"}]),
        response(
            {"text": "b"}, finishReason="SAFETY", safetyRatings=ratings, finishMessage="blocked", avgLogprobs=-0.5
        ),
    ]
    finish = finish_of(run(events))
    assert finish["candidate_metadata"] == {"safetyRatings": ratings, "finishMessage": "blocked", "avgLogprobs": -0.5}


def test_prompt_feedback_of_a_normal_stream_is_kept_on_the_finish() -> None:
    feedback = {"safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}
    events = [response({"text": "a"}) | {"promptFeedback": feedback}, response({"text": "b"}, finishReason="STOP")]
    assert finish_of(run(events))["prompt_feedback"] == feedback


def test_blocked_prompt_finishes_with_content_filter() -> None:
    feedback = {"blockReason": "PROHIBITED_CONTENT", "blockReasonMessage": "no"}
    chunks = run([{"promptFeedback": feedback, "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}}])
    check_contract(chunks, usage=True)
    finish = finish_of(chunks)
    assert (finish["finish_reason"], finish["native_finish_reason"]) == ("content_filter", "PROHIBITED_CONTENT")
    assert finish["delta"] == {"role": "assistant"}
    assert finish["prompt_feedback"] == feedback
    assert chunks[-1]["usage"]["prompt_tokens"] == 4


# -- completion and errors ------------------------------------------------------------------------


def test_a_stream_without_finish_reason_ends_in_an_error() -> None:
    chunks = run([response({"text": "a"})])
    assert chunks[-1]["error"]["type"] == "upstream_truncated"
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in chunks)


def test_an_empty_stream_ends_in_an_error() -> None:
    (chunk,) = run([])
    assert chunk["error"]["type"] == "upstream_truncated"


def test_every_candidate_must_finish() -> None:
    events = [response({"text": "a"}, index=0, finishReason="STOP"), response({"text": "b"}, index=1)]
    assert run(events)[-1]["error"]["type"] == "upstream_truncated"


def test_in_stream_error_object() -> None:
    error = {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}
    chunks = run([response({"text": "a"}), {"error": error}, response({"text": "never"})])
    assert chunks[-1] == {
        "error": {
            "message": "Resource exhausted",
            "type": "rate_limit_error",
            "code": "RESOURCE_EXHAUSTED",
            "param": None,
            "native_error": error,
        }
    }
    assert "never" not in json.dumps(chunks)


def test_error_object_with_odd_fields_still_ends_the_stream() -> None:
    (chunk,) = run([{"error": "boom"}])
    assert chunk["error"]["type"] == "api_error"
    assert chunk["error"]["message"] == "Gemini stream error"


@pytest.mark.parametrize(
    "event",
    [
        {"candidates": {"content": {}}},
        {"candidates": ["text"]},
        {"candidates": [{"index": -1}]},
        {"candidates": [{"index": "0"}]},
        {"candidates": [{"index": 64}]},
        {"candidates": [{"content": {"parts": "hi"}}]},
        {"candidates": [{"content": ["hi"]}]},
        {"candidates": [{"content": {"parts": ["hi"]}}]},
        {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
        {"candidates": [{"content": {"parts": [{"text": "a", "thoughtSignature": 5}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": "f"}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": 5}}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": [1]}}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"partialArgs": [{"jsonPath": "$.a"}]}}]}}]},
        {"usageMetadata": 5},
        {"promptFeedback": "blocked"},
    ],
)
def test_malformed_responses_raise_translation_error(event: dict[str, Any]) -> None:
    with pytest.raises(TranslationError) as info:
        run([event])
    assert info.value.provider == "gemini"
    assert info.value.where == "response #1"


def test_content_after_a_finish_is_an_error() -> None:
    with pytest.raises(TranslationError, match="after its finish"):
        run([response({"text": "a"}, finishReason="STOP"), response({"text": "b"})])


def test_a_repeated_finish_or_empty_text_after_it_is_harmless() -> None:
    events = [response({"text": "a"}, finishReason="STOP"), response({"text": ""}, finishReason="STOP")]
    check_contract(run(events), usage=True)


def test_stream_turns_violations_into_an_error_event() -> None:
    body = b'data: {"candidates": [{"content": {"parts": ["x"]}}]}\r\n\r\n'
    chunks, done = parse_sse_output(b"".join(stream("gemini", [body], created=CREATED)))
    assert not done
    assert chunks[-1]["error"]["type"] == "translation_error"
    assert "gemini" in chunks[-1]["error"]["message"]


def test_strict_rejects_unknown_top_level_fields_but_not_the_ignored_ones() -> None:
    event = response({"text": "a"}, finishReason="STOP") | {field: {} for field in IGNORED_FIELDS}
    check_contract(run([event], strict=True), usage=True)
    run([event | {"newField": 1}])
    with pytest.raises(TranslationError, match="newField"):
        run([event | {"newField": 1}], strict=True)


# -- choices ----------------------------------------------------------------------------------------


def test_candidates_become_choices_announced_in_index_order() -> None:
    events = [
        response({"text": "one"}, index=2),
        {"candidates": [{"index": 0, "content": {"parts": [{"text": "zero"}]}, "finishReason": "STOP"}]},
        {"candidates": [{"index": 2, "finishReason": "STOP"}, {"index": 1, "finishReason": "MAX_TOKENS"}]},
    ]
    chunks = run(events)
    check_contract(chunks, usage=True)
    firsts = [c["choices"][0]["index"] for c in chunks[:3]]
    assert firsts == [0, 1, 2]
    snapshot = fold(chunks)
    assert [(c.index, c.message.content, c.finish_reason) for c in snapshot.choices] == [
        (0, "zero", "stop"),
        (1, None, "length"),
        (2, "one", "stop"),
    ]


# -- thoughts and signatures ------------------------------------------------------------------------


def test_thought_parts_are_reasoning_with_one_entry_per_run() -> None:
    events = [
        response({"text": "think ", "thought": True}),
        response({"text": "more", "thought": True}),
        response({"text": "sig", "thought": True, "thoughtSignature": "U0lH"}),
        response({"text": "answer", "thoughtSignature": "VEVY"}),
        response({"text": "again", "thought": True}, finishReason="STOP"),
    ]
    chunks = run(events)
    check_contract(chunks, usage=True)
    got = deltas(chunks)
    assert [d.get("reasoning_content") for d in got[:3]] == ["think ", "more", "sig"]
    assert got[0]["reasoning_details"] == [
        {"index": 0, "type": "reasoning.text", "format": "google-gemini-v1", "text": "think "}
    ]
    assert got[2]["reasoning_details"] == [{"index": 0, "type": "reasoning.text", "text": "sig", "signature": "U0lH"}]
    assert got[3]["content"] == "answer"
    assert got[3]["reasoning_details"] == [
        {"index": 1, "type": "reasoning.encrypted", "data": "VEVY", "format": "google-gemini-v1"}
    ]
    assert got[4]["reasoning_details"][0]["index"] == 2  # a new run after the text
    message = fold(chunks).choices[0].message
    details = message.model_extra["reasoning_details"]
    assert details[0]["text"] == "think moresig"
    assert details[0]["signature"] == "U0lH"


def test_a_thought_run_continues_across_chunks_with_the_reasoning_field_option() -> None:
    chunks = run(
        [response({"text": "a", "thought": True}), response({"text": "b", "thought": True}, finishReason="STOP")],
        reasoning_field="reasoning",
    )
    assert [d.get("reasoning") for d in deltas(chunks)[:2]] == ["a", "b"]


def test_signature_only_and_empty_parts() -> None:
    events = [response({"thoughtSignature": "QUJD"}, {"text": ""}, {"text": "", "thought": True}, {})]
    chunks = run([*events, response(finishReason="STOP")])
    got = deltas(chunks)
    assert got[0]["reasoning_details"] == [
        {"index": 0, "type": "reasoning.encrypted", "data": "QUJD", "format": "google-gemini-v1"}
    ]
    assert len(got) == 2  # the signature, then the finish: empty parts send nothing


def test_text_part_extras_are_kept() -> None:
    chunks = run([response({"text": "a", "partMetadata": {"k": "v"}}, finishReason="STOP")])
    assert deltas(chunks)[0]["part_metadata"] == [{"index": 0, "partMetadata": {"k": "v"}}]


# -- function calls -----------------------------------------------------------------------------------


def test_function_calls_get_deterministic_ids_or_keep_theirs() -> None:
    events = [
        response(
            {"functionCall": {"name": "a", "args": {"x": [1, "é"]}}, "thoughtSignature": "U0lH"},
            {"functionCall": {"name": "b"}},
            {"functionCall": {"name": "c", "id": "given-id", "args": {}}},
        ),
        response({"text": ""}, finishReason="STOP"),
    ]
    chunks = run(events)
    check_contract(chunks, usage=True)
    calls = fold(chunks).choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_resp1_0", "a", '{"x":[1,"é"]}'),
        ("call_resp1_1", "b", "{}"),
        ("given-id", "c", "{}"),
    ]
    first = deltas(chunks)[0]
    assert first["tool_calls"][0]["extra_content"] == {"google": {"thought_signature": "U0lH"}}
    assert first["reasoning_details"] == [
        {
            "index": 0,
            "type": "reasoning.encrypted",
            "data": "U0lH",
            "format": "google-gemini-v1",
            "id": "call_resp1_0",
        }
    ]
    assert calls[0].model_extra["extra_content"] == {"google": {"thought_signature": "U0lH"}}


def test_call_ids_are_unique_across_candidates() -> None:
    call = {"functionCall": {"name": "f"}}
    events = [{"candidates": [{"index": i, "content": {"parts": [call]}, "finishReason": "STOP"} for i in (0, 1)]}]
    ids = [c.message.tool_calls[0].id for c in fold(run(events)).choices]
    assert ids == [f"call_gemini-{CREATED}_0", f"call_gemini-{CREATED}_1"]


def streamed(name: str, *pieces: list[dict[str, Any]], close: bool = True) -> list[dict[str, Any]]:
    events = [response({"functionCall": {"name": name, "willContinue": True}})]
    events += [response({"functionCall": {"partialArgs": piece, "willContinue": True}}) for piece in pieces]
    if close:
        events.append(response({"functionCall": {}}))
    return events


def test_streamed_arguments_arrive_as_fragments_of_the_final_json() -> None:
    events = streamed(
        "get_weather",
        [{"jsonPath": "$.location", "stringValue": "Bos", "willContinue": True}],
        [{"jsonPath": "$.location", "stringValue": 'ton "MA"', "willContinue": True}],
        [{"jsonPath": "$.location", "stringValue": ""}],
        [{"jsonPath": "$.days", "numberValue": 3}, {"jsonPath": "$.opts.hourly", "boolValue": False}],
        [{"jsonPath": "$.opts.tags[0]", "stringValue": "a"}, {"jsonPath": "$.opts.tags[1]", "nullValue": "NULL_VALUE"}],
    )
    chunks = run([*events, response({"text": ""}, finishReason="STOP")])
    check_contract(chunks, usage=True)
    fragments = [call["function"]["arguments"] for d in deltas(chunks) for call in d.get("tool_calls") or []]
    assert fragments == [
        "",
        '{"location":"Bos',
        'ton \\"MA\\"',
        '"',
        ',"days":3,"opts":{"hourly":false',
        ',"tags":["a",null',
        "]}}",
    ]
    assert json.loads("".join(fragments)) == {
        "location": 'Boston "MA"',
        "days": 3,
        "opts": {"hourly": False, "tags": ["a", None]},
    }
    assert finish_of(chunks)["finish_reason"] == "tool_calls"


def test_a_streamed_call_without_arguments_is_an_empty_object() -> None:
    assert arguments(run([*streamed("f"), response(finishReason="STOP")])) == "{}"


def test_an_open_streamed_call_is_closed_by_the_next_call_or_the_finish() -> None:
    piece = [{"jsonPath": "$.a", "stringValue": "x", "willContinue": True}]
    events = [*streamed("f", piece, close=False), response({"functionCall": {"name": "g", "args": {"b": 1}}})]
    chunks = run([*events, *streamed("h", piece, close=False), response(finishReason="STOP")])
    check_contract(chunks, usage=True)
    assert [json.loads(arguments(chunks, i)) for i in range(3)] == [{"a": "x"}, {"b": 1}, {"a": "x"}]


def test_partial_args_can_come_with_the_name_or_end_the_call() -> None:
    events = [
        response({"functionCall": {"name": "f", "partialArgs": [{"jsonPath": "$.a", "numberValue": 1.5}]}}),
        response(
            {
                "functionCall": {
                    "name": "g",
                    "willContinue": True,
                    "partialArgs": [{"jsonPath": "$.b", "boolValue": True}],
                }
            }
        ),
        response({"functionCall": {"partialArgs": [{"jsonPath": "$.c", "stringValue": "end"}]}}),
        response({"functionCall": {}}, finishReason="STOP"),  # nothing open: a closing call alone is harmless
    ]
    chunks = run(events)
    assert json.loads(arguments(chunks, 0)) == {"a": 1.5}
    assert json.loads(arguments(chunks, 1)) == {"b": True, "c": "end"}


def test_signature_on_a_continuation_part_is_kept() -> None:
    events = [*streamed("f", close=False), response({"functionCall": {}, "thoughtSignature": "U0lH"})]
    chunks = run([*events, response(finishReason="STOP")])
    details = [e for d in deltas(chunks) for e in d.get("reasoning_details") or []]
    assert details == [
        {"index": 0, "type": "reasoning.encrypted", "data": "U0lH", "format": "google-gemini-v1", "id": "call_resp1_0"}
    ]


@pytest.mark.parametrize(
    ("pieces", "message"),
    [
        ([[{"jsonPath": "a", "numberValue": 1}]], "does not start at"),
        ([[{"jsonPath": "$", "numberValue": 1}]], "names no field"),
        ([[{"jsonPath": "$[0]", "numberValue": 1}]], "indexes an object"),
        ([[{"jsonPath": "$.a", "numberValue": 1}], [{"jsonPath": "$.a", "numberValue": 2}]], "already written"),
        (
            [
                [
                    {"jsonPath": "$.a.b", "numberValue": 1},
                    {"jsonPath": "$.c", "numberValue": 1},
                    {"jsonPath": "$.a.d", "numberValue": 1},
                ]
            ],
            "goes back to .a.",
        ),
        ([[{"jsonPath": "$.a[1]", "numberValue": 1}]], "index 1 of 0"),
        ([[{"jsonPath": "$.a[0]", "numberValue": 1}, {"jsonPath": "$.a.b", "numberValue": 1}]], "key in an array"),
        ([[{"jsonPath": "$.a", "numberValue": "1"}]], "no valid value"),
        ([[{"jsonPath": "$.a", "boolValue": "yes"}]], "no valid value"),
        ([[{"jsonPath": "$.a", "stringValue": 1}]], "not a string"),
        ([[{"jsonPath": "$.a"}]], "no valid value"),
        ([[{"stringValue": "x"}]], "no jsonPath"),
        ([["x"]], "not an object"),
        ([[{"jsonPath": "$.a[x]", "numberValue": 1}]], "invalid selector"),
        ([[{"jsonPath": "$.a[0", "numberValue": 1}]], "unclosed"),
        ([[{"jsonPath": "$..a", "numberValue": 1}]], "no member name"),
        ([[{"jsonPath": "$a", "numberValue": 1}]], "has 'a'"),
    ],
)
def test_bad_partial_args_raise_translation_error(pieces: list[list[dict[str, Any]]], message: str) -> None:
    with pytest.raises(TranslationError, match=message):
        run(streamed("f", *pieces))


def test_partial_args_must_be_a_list_and_need_an_open_call() -> None:
    with pytest.raises(TranslationError, match="not a list"):
        run([response({"functionCall": {"name": "f", "willContinue": True, "partialArgs": {"jsonPath": "$.a"}}})])
    with pytest.raises(TranslationError, match="no call open"):
        run([response({"functionCall": {"partialArgs": [{"jsonPath": "$.a", "numberValue": 1}]}})])


# -- the argument writer on its own ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$.a", ("a",)),
        ("$.a.b_c[0][12].d", ("a", "b_c", 0, 12, "d")),
        ("$['a b'][\"c.d\"]", ("a b", "c.d")),
        ("$.été", ("été",)),
    ],
)
def test_parse_json_path(path: str, segments: tuple[Any, ...]) -> None:
    assert parse_json_path(path) == segments


def test_writer_closes_what_it_opened_and_writes_nothing_twice() -> None:
    writer = ArgumentsWriter()
    text = writer.write([{"jsonPath": "$.a.b[0].c", "stringValue": "x", "willContinue": True}])
    text += writer.write([{"jsonPath": "$.a.b[0].c", "stringValue": "y"}, {"jsonPath": "$.a.b[1].c", "numberValue": 2}])
    text += writer.write([{"jsonPath": "$.a.e", "stringValue": "open", "willContinue": True}])
    text += writer.close()
    assert json.loads(text) == {"a": {"b": [{"c": "xy"}, {"c": 2}], "e": "open"}}
    assert writer.close() == "{}"  # a closed writer starts over


def test_writer_escapes_keys_and_values() -> None:
    writer = ArgumentsWriter()
    odd = 'quote " backslash \\ newline \n control \x01 emoji 😀'
    path = "$['" + odd.replace("\\", "\\\\").replace("'", "\\'") + "']"  # RFC 9535 escapes
    text = writer.write([{"jsonPath": path, "stringValue": odd}]) + writer.close()
    assert json.loads(text) == {odd: odd}


# -- other parts ------------------------------------------------------------------------------------------


def test_server_side_parts_go_to_server_blocks() -> None:
    code = {"executableCode": {"language": "PYTHON", "code": "print(1)"}}
    result = {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}, "thoughtSignature": "U0lH"}
    odd = {"somethingNew": {"index": 7}, "index": 3}
    chunks = run([response(code, result, odd, {"fileData": {"fileUri": "gs://x", "mimeType": "text/csv"}})])
    blocks = [b for d in deltas(chunks) for b in d.get("server_blocks") or []]
    assert blocks == [
        {"index": 0, "type": "executableCode", **code},
        {"index": 1, "type": "codeExecutionResult", "codeExecutionResult": result["codeExecutionResult"]},
        {"index": 2, "type": "somethingNew", "somethingNew": {"index": 7}, "native_index": 3},
        {"index": 3, "type": "fileData", "fileData": {"fileUri": "gs://x", "mimeType": "text/csv"}},
    ]
    assert deltas(chunks)[1]["reasoning_details"][0]["data"] == "U0lH"


def test_images_go_to_images_and_other_inline_data_to_server_blocks() -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBO"}, "thoughtSignature": "U0lH"}
    audio = {"inlineData": {"mimeType": "audio/wav", "data": "UklG"}}
    chunks = run([response(image, audio, finishReason="STOP")])
    got = deltas(chunks)
    assert got[0]["images"] == [{"index": 0, "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]
    assert got[0]["reasoning_details"][0]["data"] == "U0lH"
    assert got[1]["server_blocks"] == [{"index": 0, "type": "inlineData", **audio}]


def test_logprobs_become_openai_logprobs() -> None:
    result = {
        "chosenCandidates": [{"token": "Hi", "logProbability": -0.1}, {"token": "!", "logProbability": -1.5}],
        "topCandidates": [
            {"candidates": [{"token": "Hi", "logProbability": -0.1}, {"token": "Hey", "logProbability": -2.0}]},
            "junk",
        ],
    }
    chunks = run([response({"text": "Hi!"}, logprobsResult=result, finishReason="STOP")])
    (logprobs,) = [c["logprobs"] for c in body_of(chunks) if c["logprobs"]]
    assert logprobs == {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.1,
                "bytes": [72, 105],
                "top_logprobs": [
                    {"token": "Hi", "logprob": -0.1, "bytes": [72, 105]},
                    {"token": "Hey", "logprob": -2.0, "bytes": [72, 101, 121]},
                ],
            },
            {"token": "!", "logprob": -1.5, "bytes": [33], "top_logprobs": []},
        ],
        "refusal": None,
    }
    assert [t.token for t in fold(chunks).choices[0].logprobs.content] == ["Hi", "!"]


# -- annotations ----------------------------------------------------------------------------------------


def test_grounding_supports_become_url_citations_in_code_points() -> None:
    text = "Café au lait. Prix: 3 €."
    first, second = "Café au lait.", "Prix: 3 €."
    start2 = len((text[: text.index(second)]).encode())
    grounding = {
        "groundingChunks": [
            {"web": {"uri": "https://a.example", "title": "a"}},
            {"retrievedContext": {"uri": "gs://b", "title": "b"}},
            {"web": {"title": "no uri"}},
        ],
        "groundingSupports": [
            {"segment": {"endIndex": len(first.encode()), "text": first}, "groundingChunkIndices": [0, 2, 9]},
            {
                "segment": {"startIndex": start2, "endIndex": len(text.encode()), "text": second},
                "groundingChunkIndices": [1],
            },
            "junk",
        ],
        "webSearchQueries": ["cafe"],
    }
    events = [
        response({"text": text[:8]}, groundingMetadata={}),
        response({"text": text[8:]}, groundingMetadata=grounding, finishReason="STOP"),
    ]
    chunks = run(events)
    check_contract(chunks, usage=True)
    (annotated,) = [d for d in deltas(chunks) if "annotations" in d]
    spans = [
        (a["url_citation"]["url"], a["url_citation"]["start_index"], a["url_citation"]["end_index"])
        for a in annotated["annotations"]
    ]
    assert spans == [("https://a.example", 0, len(first)), ("gs://b", text.index(second), len(text))]
    for _, start, end in spans:
        assert text[start:end] in (first, second)
    assert annotated["grounding_metadata"] == [{"index": 0, **grounding}]
    assert "candidate_metadata" not in finish_of(chunks)


def test_citation_sources_become_annotations_once_each() -> None:
    source = {"startIndex": 0, "endIndex": 5, "uri": "https://c.example", "license": "mit"}
    bare = {"startIndex": 2, "endIndex": 99}
    events = [
        response({"text": "Hello world"}, citationMetadata={"citationSources": [source]}),
        response({"text": "!"}, citationMetadata={"citations": [source, bare]}, finishReason="STOP"),
    ]
    chunks = run(events)
    entries = [a for d in deltas(chunks) for a in d.get("annotations") or []]
    assert entries == [
        {
            "index": 0,
            "type": "url_citation",
            "url_citation": {"url": "https://c.example", "title": "", "start_index": 0, "end_index": 5},
            "citation": source,
        },
        {"index": 1, "type": "citation", "start_index": 2, "end_index": 12, "citation": bare},
    ]
    assert len(fold(chunks).choices[0].message.annotations) == 2


def test_metadata_after_the_finish_is_an_error() -> None:
    late = response(citationMetadata={"citationSources": [{"uri": "https://late.example"}]})
    with pytest.raises(TranslationError, match="after its finish"):
        run([response({"text": "a"}, finishReason="STOP"), late])


# -- input forms --------------------------------------------------------------------------------------------


def test_google_genai_objects_translate_like_their_dicts() -> None:
    from google.genai import types

    events = [
        response({"text": "think", "thought": True}),
        response({"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "U0lH"}),
        response({"text": "x"}, finishReason="STOP") | usage(promptTokenCount=1, candidatesTokenCount=2),
    ]
    objects = [types.GenerateContentResponse.model_validate(e) for e in events]
    assert list(translate("gemini", objects, created=CREATED)) == run(events)


def test_sse_and_json_array_bodies_give_the_same_output() -> None:
    events = [response({"text": "a"}), response({"text": "b"}, finishReason="STOP") | usage(promptTokenCount=1)]
    sse = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
    array = b"[" + b"\n,\r\n".join(json.dumps(e, indent=2).encode() for e in events) + b"\n]"
    outputs = {b"".join(stream("gemini", [body], created=CREATED)) for body in (sse, array, b" \r\n" + array)}
    assert len(outputs) == 1
    chunks, done = parse_sse_output(outputs.pop())
    assert done
    assert chunks == run(events)


def test_thought_false_is_plain_text() -> None:
    chunks = run([response({"text": "a", "thought": False}, finishReason="STOP")])
    assert deltas(chunks)[0] == {"role": "assistant", "content": "a"}


@pytest.mark.parametrize(
    "candidate",
    [{"groundingMetadata": "web"}, {"citationMetadata": ["x"]}],
)
def test_malformed_metadata_raises(candidate: dict[str, Any]) -> None:
    with pytest.raises(TranslationError, match="is not an object"):
        run([response({"text": "a"}, **candidate)])


def test_metadata_it_cannot_read_is_still_kept_raw() -> None:
    grounding = {"groundingChunks": "?", "groundingSupports": [], "webSearchQueries": ["q"]}
    events = [response({"text": "a"}, groundingMetadata=grounding, citationMetadata={"citationSources": "?"})]
    chunks = run([*events, response(citationMetadata={"citationSources": ["junk"]}, finishReason="STOP")])
    got = [d for d in deltas(chunks) if "grounding_metadata" in d]
    assert got == [{"grounding_metadata": [{"index": 0, **grounding}]}]
    assert not any("annotations" in d for d in deltas(chunks))


def test_a_citation_source_too_deep_to_encode_is_a_translation_error() -> None:
    deep: Any = {}
    for _ in range(2000):
        deep = {"a": deep}
    with pytest.raises(TranslationError, match="citation source"):
        run([response({"text": "a"}, citationMetadata={"citationSources": [{"uri": "u", "x": deep}]})])


def test_finish_after_the_end_of_input_is_not_repeated() -> None:
    from translators._core import Options
    from translators.providers.gemini import GeminiTranslator

    translator = GeminiTranslator(Options(created=CREATED))
    translator.feed(response({"text": "a"}, finishReason="STOP"))
    assert translator.finish()[0]["usage"]["total_tokens"] == 0
    assert translator.finish() == []
    assert (translator.done, translator.failed) == (True, False)


def test_writer_fast_path_for_a_continued_string_agrees_with_write() -> None:
    opening = {"jsonPath": "$.a", "stringValue": "x", "willContinue": True}
    pieces = [
        {"jsonPath": "$.a", "stringValue": 'y "z"\n', "willContinue": True},
        {"jsonPath": "$.a", "stringValue": "lone \ud800 surrogate", "willContinue": True},  # orjson refuses it
    ]
    fast, slow = ArgumentsWriter(), ArgumentsWriter()
    assert fast.write([opening]) == slow.write([opening])
    for piece in pieces:
        assert fast.continued(piece) == slow.write([piece])
    assert fast.close() == slow.close()
    assert fast.continued(pieces[0]) is None  # nothing open: not the fast path's piece
    fast.write([opening])
    assert fast.continued({"jsonPath": "$.b", "stringValue": "x", "willContinue": True}) is None  # another path
    assert fast.continued({"jsonPath": "$.a", "stringValue": "x"}) is None  # the string's last piece
    assert fast.continued({"jsonPath": "$.a", "numberValue": 1, "willContinue": True}) is None


def test_writer_ends_an_open_string_on_a_piece_without_a_value() -> None:
    writer = ArgumentsWriter()
    text = writer.write([{"jsonPath": "$.a", "stringValue": "x", "willContinue": True}, {"jsonPath": "$.a"}])
    assert text + writer.close() == '{"a":"x"}'


def test_a_repeated_block_reason_finishes_once() -> None:
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}}
    chunks = run([blocked, blocked])
    check_contract(chunks, usage=True)


def test_odd_grounding_sources_and_too_deep_args() -> None:
    grounding = {
        "groundingChunks": ["junk", {"maps": {"uri": "https://maps.example", "title": "m"}}],
        "groundingSupports": [{"segment": {"endIndex": 1}, "groundingChunkIndices": [0, 1, "2"]}],
    }
    chunks = run([response({"text": "a"}, groundingMetadata=grounding, finishReason="STOP")])
    (annotated,) = [d["annotations"] for d in deltas(chunks) if "annotations" in d]
    assert [a["url_citation"]["url"] for a in annotated] == ["https://maps.example"]
    deep: Any = {}
    for _ in range(2000):
        deep = {"a": deep}
    with pytest.raises(TranslationError, match="functionCall args"):
        run([response({"functionCall": {"name": "f", "args": deep}})])


@pytest.mark.parametrize(
    ("stamp", "created"),
    [
        ("2026-04-02T17:03:50.399550Z", 1775149430),
        ("2026-04-02T17:03:50Z", 1775149430),
        ("2026-13-02T17:03:50Z", None),
        ("2026-04-02 17:03:50Z", None),
        ("2026-04-02T17:03:50+01:00", None),
        ("２０26-04-02T17:03:50Z", None),
        (12, None),
    ],
)
def test_vertex_create_time_gives_created_unless_the_caller_did(stamp: Any, created: int | None) -> None:
    events = [response({"text": "a"}, finishReason="STOP") | {"createTime": stamp}]
    chunks = list(translate("gemini", events))
    if created is None:
        assert abs(chunks[0]["created"] - time.time()) < 60  # the clock, read once
    else:
        assert {c["created"] for c in chunks} == {created}
    assert {c["created"] for c in run(events)} == {CREATED}


def test_an_error_body_instead_of_a_stream_ends_in_its_error() -> None:
    error = {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}
    body = json.dumps({"error": error}, indent=2).encode() + b"\n"
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    chunks, done = parse_sse_output(b"".join(stream("gemini", pieces, created=CREATED)))
    assert not done
    (error,) = chunks
    assert (error["error"]["type"], error["error"]["code"], error["error"]["message"]) == (
        "rate_limit_error",
        "RESOURCE_EXHAUSTED",
        "Quota exceeded",
    )
