"""Test helpers: the output contract as an executable check, and the openai SDK's fold of our output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

import orjson

from translators import TranslationError
from translators.sse import DONE

ANTHROPIC_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
"""The documented stop_reason → finish_reason table (anything else → "stop"), written out independently of
translators.providers.anthropic.FINISH_REASONS so that a change there must be made on purpose here too."""


def parse_sse_output(data: bytes) -> tuple[list[dict[str, Any]], bool]:
    """Our SSE output → (the JSON payloads in order, whether it ended with ``[DONE]``)."""
    assert data.endswith(b"\n\n"), "output must end with a blank line"
    events = data[:-2].split(b"\n\n")
    done = events[-1] == DONE[:-2]
    if done:
        events.pop()
    payloads = []
    for raw in events:
        assert raw.startswith(b"data: ") and b"\n" not in raw, f"not a single data line: {raw[:80]!r}"
        assert raw != DONE[:-2], "[DONE] before the end"
        payloads.append(orjson.loads(raw[6:]))
    return payloads, done


def check_contract(
    chunks: Sequence[dict[str, Any]],
    *,
    done: bool | None = None,
    usage: bool | None = None,
    usage_adds_up: bool = True,
) -> None:
    """Assert the output contract of DEVELOPERS.md over one stream's chunk dicts (and its [DONE] flag).

    ``usage_adds_up=False``: for damaged input, whose provider total need not be prompt + completion.

    1. one id/created/model; 2. role first per choice, tool-call delta shapes, tool index from 0;
    3. exactly one finish per choice, after its last delta; 4. then at most one usage chunk;
    5. [DONE] only after a clean end; an error event only last, and then no [DONE].
    """
    errors = [c for c in chunks if "error" in c]
    if errors:
        assert chunks[-1] is errors[-1] and len(errors) == 1, "an error event must be the last, and the only one"
        err = errors[0]["error"]
        assert {"message", "type", "code"} <= set(err), err
        assert done in (None, False), "no [DONE] after an error event"
        chunks = chunks[:-1]
    elif done is not None:
        assert done, "a stream without an error event must end with [DONE]"

    heads = {(c["id"], c["created"], c["model"]) for c in chunks}
    assert len(heads) <= 1, f"id/created/model change within the stream: {heads}"
    for c in chunks:
        assert c["object"] == "chat.completion.chunk"
        assert isinstance(c["created"], int) and c["created"] > 0 and c["id"], "empty id or zero created leaked"

    started: set[int] = set()
    finished: set[int] = set()
    tools: dict[int, set[int]] = {}
    usage_seen = False
    for c in chunks:
        if c["choices"] == []:
            assert "usage" in c and not usage_seen, "one usage chunk at most"
            assert finished and finished == started, "usage chunk before every choice finished"
            assert set(c["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}
            if usage_adds_up:
                assert c["usage"]["total_tokens"] == c["usage"]["prompt_tokens"] + c["usage"]["completion_tokens"]
            usage_seen = True
            continue
        assert not usage_seen, "choice chunk after the usage chunk"
        assert len(c["choices"]) == 1
        choice = c["choices"][0]
        n = choice["index"]
        delta = choice["delta"]
        assert n not in finished, f"chunk for choice {n} after its finish"
        if n not in started:
            assert delta.get("role") == "assistant", f"first chunk of choice {n} lacks the role"
            started.add(n)
        else:
            assert "role" not in delta, "role repeated"
        for call in delta.get("tool_calls") or []:
            seen = tools.setdefault(n, set())
            if call["index"] not in seen:
                assert call["index"] == len(seen), "tool index must count from 0 without gaps"
                assert call["type"] == "function" and call["id"] and call["function"]["name"], call
                seen.add(call["index"])
            else:
                assert set(call) == {"index", "function"} and set(call["function"]) == {"arguments"}, call
        if choice["finish_reason"] is not None:
            finished.add(n)
    if errors:
        return
    assert finished == started and started, "every choice must finish exactly once"
    if usage is not None:
        assert usage_seen == usage


def fold(chunks: Iterable[dict[str, Any]]) -> Any:
    """Fold chunk dicts with openai's ChatCompletionStreamState: the accumulated completion snapshot, or None."""
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: Any = ChatCompletionStreamState()
    folded = False
    for chunk in chunks:
        if "error" not in chunk:
            state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
            folded = True
    # get_final_completion() raises on length/content_filter by design; the snapshot is the fold itself
    return state.current_completion_snapshot if folded else None


async def aiter_of(items: Iterable[Any]) -> AsyncIterator[Any]:
    """An async iterator over ``items`` that yields to the event loop between them."""
    for item in items:
        await asyncio.sleep(0)
        yield item


async def acollect(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


def check_async_equals_sync(provider: str, events: list[Any], pieces: list[bytes], **options: Any) -> None:
    """atranslate/astream give exactly what translate/stream give, for the same events and byte pieces."""
    from translators import astream, atranslate, stream, translate

    assert asyncio.run(acollect(atranslate(provider, aiter_of(events), **options))) == list(
        translate(provider, iter(events), **options)
    )
    async_out = b"".join(asyncio.run(acollect(astream(provider, aiter_of(pieces), **options))))
    assert async_out == b"".join(stream(provider, iter(pieces), **options))


def first_appearances(chunks: Iterable[dict[str, Any]]) -> list[int]:
    """The choice indexes in the order of their first chunks (the openai fold needs 0, 1, 2, …)."""
    order: list[int] = []
    for chunk in chunks:
        for body in chunk.get("choices") or []:
            if body["index"] not in order:
                order.append(body["index"])
    return order


def outcome(
    run: Callable[..., list[dict[str, Any]]], *args: Any, usage_adds_up: bool = True, **options: Any
) -> list[dict[str, Any]] | None:
    """``run(*args, **options)`` (a module's translate-to-the-end helper): its chunks, contract checked, or
    None when it raised TranslationError. ``usage_adds_up``: as in `check_contract`."""
    try:
        chunks = run(*args, **options)
    except TranslationError:
        return None
    check_contract(chunks, usage_adds_up=usage_adds_up)
    return chunks
