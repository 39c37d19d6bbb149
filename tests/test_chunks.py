"""The chunk builder: the one place chunk dicts are made, and the per-choice contract it enforces."""

from __future__ import annotations

import pytest

from translators import TranslationError
from translators.chunks import ChunkBuilder, error_event


def builder(**extra: object) -> ChunkBuilder:
    return ChunkBuilder(provider="p", id="chatcmpl-1", created=7, model="m", extra=dict(extra) or None)


def test_first_delta_of_each_choice_carries_the_role() -> None:
    out = builder()
    assert out.content("a")["choices"][0]["delta"] == {"role": "assistant", "content": "a"}
    assert out.content("b")["choices"][0]["delta"] == {"content": "b"}
    assert out.content("c", index=1)["choices"][0]["delta"] == {"role": "assistant", "content": "c"}


def test_chunk_head_and_extra_top_level_fields() -> None:
    chunk = builder(system_fingerprint="fp")
    first = chunk.role()
    assert {k: first[k] for k in ("id", "object", "created", "model", "system_fingerprint")} == {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
        "system_fingerprint": "fp",
    }


def test_role_twice_is_a_contract_violation() -> None:
    out = builder()
    out.role()
    with pytest.raises(TranslationError, match="announced twice"):
        out.role()


def test_finish_once_and_nothing_after_it() -> None:
    out = builder()
    finish = out.finish("stop", native_finish_reason="end")
    assert finish["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant"},
        "logprobs": None,
        "finish_reason": "stop",
        "native_finish_reason": "end",
    }
    assert out.finished() and not out.finished(1)
    with pytest.raises(TranslationError, match="after its finish_reason"):
        out.content("late")
    with pytest.raises(TranslationError, match="after its finish_reason"):
        out.finish("stop")


def test_tool_calls_count_per_choice_and_fragments_carry_only_index_and_arguments() -> None:
    out = builder()
    assert out.tool_calls_started() == 0
    index, first = out.tool_call_start("call_1", "f")
    assert index == 0 and first["choices"][0]["delta"]["tool_calls"] == [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
    ]
    assert out.tool_call_start("call_2", "g")[0] == 1
    assert out.tool_call_start("call_3", "h", index=1)[0] == 0
    assert out.tool_call_arguments(1, '{"a"')["choices"][0]["delta"] == {
        "tool_calls": [{"index": 1, "function": {"arguments": '{"a"'}}]
    }
    assert out.tool_calls_started() == 2 and out.tool_calls_started(1) == 1


def test_extension_entries_are_counted_per_field_and_choice() -> None:
    out = builder()
    assert [out.next_entry("annotations"), out.next_entry("annotations"), out.next_entry("server_blocks")] == [0, 1, 0]
    assert out.next_entry("annotations", index=1) == 0


def test_reasoning_uses_the_configured_field() -> None:
    out = ChunkBuilder(provider="p", id="i", created=1, model="m", reasoning_field="reasoning")
    delta = out.reasoning("think", details=[{"index": 0}])["choices"][0]["delta"]
    assert delta == {"role": "assistant", "reasoning": "think", "reasoning_details": [{"index": 0}]}


def test_usage_chunk_has_empty_choices() -> None:
    chunk = builder().usage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    assert chunk["choices"] == [] and chunk["usage"]["total_tokens"] == 3 and chunk["id"] == "chatcmpl-1"


def test_error_event_shape() -> None:
    assert error_event("boom", "api_error") == {
        "error": {"message": "boom", "type": "api_error", "code": "api_error", "param": None}
    }
    assert error_event("x", "t", code="c")["error"]["code"] == "c"


def test_encoded_mode_gives_the_json_of_the_same_chunks() -> None:
    import orjson

    plain = ChunkBuilder(provider="p", id="i", created=1, model="m", reasoning_field="reasoning", extra={"x": [1]})
    encoded = ChunkBuilder(
        provider="p", id="i", created=1, model="m", reasoning_field="reasoning", extra={"x": [1]}, encoded=True
    )
    texts = ["first", 'quote " and \\ back', "é👋\n\x00", ""]
    for out in (plain, encoded):
        out.tool_call_start("c", "f")
        out.tool_call_start("d", "g", index=2)
    calls = [
        lambda b, t: b.content(t),
        lambda b, t: b.content(t, index=2),
        lambda b, t: b.reasoning_fragment(t, entry=3),
        lambda b, t: b.reasoning_summary_fragment(t, entry=1),
        lambda b, t: b.tool_call_arguments(1, t),
        lambda b, t: b.tool_call_arguments(0, t, index=2),
    ]
    for call in calls:
        for text in texts:
            expected = call(plain, text)
            got = call(encoded, text)
            assert isinstance(expected, dict)
            assert isinstance(got, bytes) and got == orjson.dumps(expected)


def test_encoded_mode_still_returns_dicts_where_the_role_or_a_check_is_due() -> None:
    out = ChunkBuilder(provider="p", id="i", created=1, model="m", encoded=True)
    first = out.content("a")  # the choice's first chunk carries the role
    assert isinstance(first, dict) and first["choices"][0]["delta"] == {"role": "assistant", "content": "a"}
    out.finish("stop")
    with pytest.raises(TranslationError):
        out.content("late")


def test_encoded_mode_is_off_when_the_head_holds_the_template_marker() -> None:
    import orjson

    from translators.chunks import _MARK

    for kwargs in ({"model": _MARK}, {"model": "m", "reasoning_field": "r" + _MARK}):
        plain = ChunkBuilder(provider="p", id="i", created=1, **kwargs)  # type: ignore[arg-type]
        encoded = ChunkBuilder(provider="p", id="i", created=1, encoded=True, **kwargs)  # type: ignore[arg-type]
        for out in (plain, encoded):
            out.role()
        for call in (lambda b: b.content("x"), lambda b: b.reasoning_fragment("y", 0)):
            got = call(encoded)
            assert (got if isinstance(got, bytes) else orjson.dumps(got)) == orjson.dumps(call(plain))
    exact = ChunkBuilder(provider="p", id="i", created=1, model=_MARK, encoded=True)
    exact.role()
    assert isinstance(exact.content("x"), dict)  # an exact collision turns templates off
