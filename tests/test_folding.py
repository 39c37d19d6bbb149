"""The fold of a chunk stream into a chat.completion: the openai SDK's fold on every golden, and the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from translators.folding import Folder, FoldError, SSEChunks, fold, fold_sse, merge, sse_chunks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOLDENS = sorted(FIXTURES.glob("*/*.openai.sse"))
ERRORED = [path for path in GOLDENS if any("error" in chunk for chunk in sse_chunks(path.read_bytes()))]
COMPLETE = [path for path in GOLDENS if path not in ERRORED]
TOP = ("id", "object", "created", "model", "usage", "system_fingerprint", "service_tier")
"""The top-level fields of the SDK's ChatCompletion (it keeps other fields of the first chunk only)."""
CHOICE = ("index", "finish_reason", "logprobs")
"""The fields of its Choice besides the message (it keeps other fields of the first chunk only)."""


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name.split('.')[0]}"


def _clean(value: Any) -> Any:
    """Without nulls (the SDK's models have a null for every field not sent) and its parsed extras."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and k not in ("parsed", "parsed_arguments")}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def sdk_fold(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    from openai._models import construct_type
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: Any = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=chunk))
    # the snapshot, not get_final_completion(), which raises for finish_reason "length" (nothing to parse here)
    return _clean(state.current_completion_snapshot.model_dump(mode="json"))


def test_the_goldens_cover_the_kinds_of_stream() -> None:
    assert len(COMPLETE) > 100 and len(ERRORED) > 10
    folded = [fold_sse(path.read_bytes()) for path in COMPLETE]
    messages = [choice["message"] for completion in folded for choice in completion["choices"]]
    assert any(message.get("tool_calls") for message in messages)
    assert any(message.get("reasoning_content") for message in messages)
    assert any(message.get("refusal") for message in messages)
    assert any(completion["usage"] for completion in folded)
    assert any(len(completion["choices"]) > 1 for completion in folded)
    assert any(choice["logprobs"] for completion in folded for choice in completion["choices"])


@pytest.mark.parametrize("golden", COMPLETE, ids=_name)
def test_fold_agrees_with_the_openai_sdk(golden: Path) -> None:
    chunks = list(sse_chunks(golden.read_bytes()))
    ours, theirs = fold(chunks), sdk_fold(chunks)
    mine = _clean(ours)
    for key in TOP:
        assert mine.get(key) == theirs.get(key), key
    assert len(ours["choices"]) == len(theirs["choices"])
    for got, want in zip(mine["choices"], theirs["choices"], strict=True):
        for key in CHOICE:
            assert got.get(key) == want.get(key), key
        message, expected = got["message"], dict(want["message"])
        calls = expected.get("tool_calls")
        if calls:  # the SDK keeps each call's stream index; a chat.completion's calls have none
            expected["tool_calls"] = [{k: v for k, v in call.items() if k != "index"} for call in calls]
        expected.setdefault("annotations", [])
        assert message == expected


@pytest.mark.parametrize("golden", ERRORED, ids=_name)
def test_a_stream_ending_in_an_error_has_no_completion(golden: Path) -> None:
    chunks = list(sse_chunks(golden.read_bytes()))
    error = next(chunk["error"] for chunk in chunks if "error" in chunk)
    with pytest.raises(FoldError) as caught:
        fold(chunks)
    assert caught.value.error == error
    assert str(caught.value) == (error.get("message") or "the stream ended with an error")


# -- the rules ---------------------------------------------------------------------------------------------


def chunk(delta: dict[str, Any] | None = None, index: int = 0, **fields: Any) -> dict[str, Any]:
    choice = {"index": index, "delta": delta or {}, "logprobs": None, "finish_reason": fields.pop("finish", None)}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m", "choices": [choice]}


def test_a_text_stream_folds_into_the_openai_shape() -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk(finish="stop"),
        {"id": "chatcmpl-1", "created": 7, "model": "m", "choices": [], "usage": {"total_tokens": 3}},
    ]
    assert fold(chunks) == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 7,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "refusal": None, "annotations": []},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"total_tokens": 3},
    }


def test_tool_calls_merge_by_index_and_lose_it() -> None:
    chunks = [
        chunk({"role": "assistant", "tool_calls": [{"index": 1, "id": "b", "function": {"name": "g"}}]}),
        chunk(
            {"tool_calls": [{"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": ""}}]}
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"x":'}}, {"index": 1, "extra": {"k": 1}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}, finish="tool_calls"),
    ]
    message = fold(chunks)["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [
        {"id": "b", "type": "function", "function": {"name": "g", "arguments": ""}, "extra": {"k": 1}},
        {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
    ]


def test_choices_come_in_index_order_with_their_own_fields() -> None:
    chunks = [
        chunk({"content": "b"}, index=1),
        chunk({"content": "a"}, index=0),
        chunk(index=1, finish="length"),
        {**chunk(index=0, finish="stop"), "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "x": 1}]},
    ]
    choices = fold(chunks)["choices"]
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in choices] == [
        (0, "a", "stop"),
        (1, "b", "length"),
    ]
    assert choices[0]["x"] == 1 and "x" not in choices[1]


def test_logprobs_are_joined() -> None:
    first, second = {"token": "a", "logprob": -1.0}, {"token": "b", "logprob": -2.0}
    chunks = [chunk({"content": "a"}), chunk({"content": "b"})]
    chunks[0]["choices"][0]["logprobs"] = {"content": [first], "refusal": None}
    chunks[1]["choices"][0]["logprobs"] = {"content": [second]}
    assert fold(chunks)["choices"][0]["logprobs"] == {"content": [first, second]}


def test_identity_is_the_first_and_the_rest_the_last_sent() -> None:
    chunks = [
        {**chunk({"content": "x"}), "system_fingerprint": None, "service_tier": "default"},
        {**chunk(), "id": "other", "model": "other", "system_fingerprint": "fp", "provider": "p"},
        {"choices": [], "usage": {"total_tokens": 1}, "credits_used": 2, "object": "chat.completion.chunk"},
    ]
    completion = fold(chunks)
    assert (completion["id"], completion["model"], completion["object"]) == ("chatcmpl-1", "m", "chat.completion")
    assert completion["system_fingerprint"] == "fp" and completion["service_tier"] == "default"
    assert (completion["provider"], completion["credits_used"]) == ("p", 2)
    assert completion["usage"] == {"total_tokens": 1}
    assert list(completion)[:6] == ["id", "object", "created", "model", "choices", "usage"]


def test_merge_rules() -> None:
    acc: dict[str, Any] = {}
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "reasoning": "th", "n": 1, "flag": True, "meta": {"a": "x"}, "annotations": [{"u": 1}]},
        {"role": "assistant", "reasoning": "ink", "n": 2, "meta": {"a": "y", "b": [1]}, "annotations": [{"u": 2}]},
        {"reasoning": None, "meta": "a string now", "n": "not a number", "parts": [{"index": 0, "t": "a"}, "s", ["n"]]},
        {"parts": [{"index": 0, "t": "b"}, {"index": 3, "t": "c"}]},
    ]
    for delta in deltas:
        merge(acc, delta)
    assert acc == {
        "role": "assistant",
        "reasoning": "think",
        "n": 2,
        "flag": True,
        "meta": {"a": "xy", "b": [1]},
        "annotations": [{"u": 1}, {"u": 2}],
        "parts": [{"index": 0, "t": "ab"}, "s", ["n"], {"index": 3, "t": "c"}],
    }
    assert deltas[0]["meta"] == {"a": "x"} and deltas[2]["parts"][0] == {"index": 0, "t": "a"}  # not changed


def test_an_odd_choice_list_and_delta_are_skipped() -> None:
    folder = Folder()
    folder.feed({"id": "x", "choices": None})
    folder.feed({"choices": [{"index": 0, "delta": "not an object", "logprobs": "nor this"}]})
    folder.feed({"choices": [{"delta": {"tool_calls": ["opaque"]}}]})
    assert folder.completion()["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": ["opaque"],
                "annotations": [],
            },
            "finish_reason": None,
            "logprobs": None,
        }
    ]
    folder.feed({"choices": [{"delta": {"tool_calls": [{"index": 1, "function": "odd"}]}}]})
    assert folder.completion()["choices"][0]["message"]["tool_calls"][1]["function"] == {"name": None, "arguments": ""}


def test_errors() -> None:
    with pytest.raises(FoldError) as caught:
        fold([chunk({"content": "x"}), {"error": {"message": "boom", "type": "api_error"}}])
    assert caught.value.error == {"message": "boom", "type": "api_error"} and str(caught.value) == "boom"
    with pytest.raises(FoldError) as caught:
        fold([{"error": "plain text"}])
    assert caught.value.error == {"message": "plain text", "type": "api_error"}
    with pytest.raises(FoldError) as caught:
        fold([])
    assert caught.value.error["code"] == "empty_stream"


# -- from SSE ----------------------------------------------------------------------------------------------


def test_sse_in_any_pieces_with_comments_and_done() -> None:
    body = b': keep-alive\n\ndata: {"choices":[],"id":"a"}\n\ndata:\n\ndata: [DONE]\n\n'
    whole = list(sse_chunks(body))
    assert whole == [{"choices": [], "id": "a"}]
    assert list(sse_chunks(body[i : i + 1] for i in range(len(body)))) == whole
    assert list(sse_chunks(bytearray(body))) == whole
    decoder = SSEChunks()
    assert decoder.feed(b'data: {"id":"b"}') == [] and decoder.close() == [{"id": "b"}]


def test_sse_data_that_is_not_an_object_raises() -> None:
    with pytest.raises(ValueError, match="not a JSON object"):
        list(sse_chunks(b"data: [1, 2]\n\n"))
    with pytest.raises(ValueError):
        list(sse_chunks(b"data: {nope\n\n"))


def test_fold_sse_of_a_golden_equals_fold_of_its_chunks() -> None:
    golden = FIXTURES / "anthropic" / "tool-use-streamed-input.openai.sse"
    body = golden.read_bytes()
    assert fold_sse(body) == fold(sse_chunks(body)) == fold_sse([body[:100], body[100:]])
