"""The openai Python SDK, sync and async, against the proxy on localhost: it reads what the goldens say."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from tests.e2e.support import (
    ALL_CASES,
    COMPLETE_CASES,
    ERROR_CASES,
    MIDSTREAM_ERROR,
    REASONING_THEN_TOOL_CALL,
    TOOL_CALLS,
    ToolCall,
    expected,
    golden_chunks,
    sdk_fold,
)

MESSAGES: list[Any] = [{"role": "user", "content": "Hello"}]
INCLUDE_USAGE: Any = {"include_usage": True}


@dataclass
class Read:
    """What a client program accumulates from the SDK's typed chunks (choice 0)."""

    content: str = ""
    reasoning: str = ""
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    chunks: int = 0

    def add(self, chunk: ChatCompletionChunk) -> None:
        self.chunks += 1
        if chunk.usage is not None:
            self.usage = chunk.usage.to_dict()
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self.content += choice.delta.content or ""
            self.reasoning += getattr(choice.delta, "reasoning_content", None) or ""
            for call in choice.delta.tool_calls or []:
                entry = self.calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                if call.function is not None:
                    entry["name"] += call.function.name or ""
                    entry["arguments"] += call.function.arguments or ""
            self.finish_reason = choice.finish_reason or self.finish_reason

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [ToolCall(**self.calls[index]) for index in sorted(self.calls)]


def assert_read_matches_golden(read: Read, name: str) -> None:
    want = expected(name)
    assert read.content == want.content
    assert read.reasoning == want.reasoning
    assert read.tool_calls == want.tool_calls
    assert read.finish_reason == want.finish_reason
    assert read.usage == want.usage
    assert read.chunks == len(golden_chunks(name))


def function_calls(calls: Iterable[Any] | None) -> list[tuple[str, str, str, str]]:
    """(id, type, name, arguments) of each function tool call of a message."""
    return [(call.id, call.type, call.function.name, call.function.arguments) for call in calls or []]


@pytest.fixture
def client(proxy_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{proxy_url}/v1", api_key="e2e", max_retries=0, timeout=30) as sync_client:
        yield sync_client


def async_client(proxy_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{proxy_url}/v1", api_key="e2e", max_retries=0, timeout=30)


def test_the_chosen_fixtures_cover_text_tool_calls_reasoning_usage_and_a_midstream_error() -> None:
    assert expected(REASONING_THEN_TOOL_CALL).reasoning and expected(REASONING_THEN_TOOL_CALL).tool_calls
    assert len(expected(TOOL_CALLS).tool_calls) == 3
    assert all(expected(name).usage for name in COMPLETE_CASES)
    assert all(expected(name).content or expected(name).tool_calls for name in ALL_CASES)
    assert all(expected(name).error for name in ERROR_CASES)
    assert expected(MIDSTREAM_ERROR).content  # the error comes after some text


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_sync_stream_reads_content_reasoning_tool_calls_finish_reason_and_usage(
    client: openai.OpenAI, name: str
) -> None:
    read = Read()
    stream = client.chat.completions.create(model=name, messages=MESSAGES, stream=True, stream_options=INCLUDE_USAGE)
    with stream:
        for chunk in stream:
            read.add(chunk)
    assert_read_matches_golden(read, name)


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_async_stream_reads_content_reasoning_tool_calls_finish_reason_and_usage(proxy_url: str, name: str) -> None:
    async def run() -> Read:
        read = Read()
        async with async_client(proxy_url) as aclient:
            stream = await aclient.chat.completions.create(
                model=name, messages=MESSAGES, stream=True, stream_options=INCLUDE_USAGE
            )
            async for chunk in stream:
                read.add(chunk)
        return read

    assert_read_matches_golden(asyncio.run(run()), name)


@pytest.mark.parametrize("name", ERROR_CASES)
def test_sync_stream_raises_api_error_with_the_upstream_message_after_the_text(
    client: openai.OpenAI, name: str
) -> None:
    read = Read()
    want = expected(name)
    assert want.error is not None
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(model=name, messages=MESSAGES, stream=True):
            read.add(chunk)
    assert type(caught.value) is openai.APIError  # a mid-stream error, not an HTTP status error
    assert caught.value.message == want.error["message"]
    assert caught.value.body == want.error
    assert read.content == want.content  # everything before the error got through


@pytest.mark.parametrize("name", ERROR_CASES)
def test_async_stream_raises_api_error_with_the_upstream_message_after_the_text(proxy_url: str, name: str) -> None:
    async def run() -> tuple[Read, BaseException]:
        read = Read()
        async with async_client(proxy_url) as aclient:
            stream = await aclient.chat.completions.create(model=name, messages=MESSAGES, stream=True)
            try:
                async for chunk in stream:
                    read.add(chunk)
            except openai.APIError as exc:
                return read, exc
        raise AssertionError("the stream ended without an APIError")

    want = expected(name)
    read, error = asyncio.run(run())
    assert want.error is not None
    assert type(error) is openai.APIError
    assert error.message == want.error["message"]
    assert error.body == want.error
    assert read.content == want.content


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_stream_helper_final_completion_equals_the_sdk_fold_of_the_golden(client: openai.OpenAI, name: str) -> None:
    with client.chat.completions.stream(model=name, messages=MESSAGES, stream_options=INCLUDE_USAGE) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.model_dump() == sdk_fold(golden_chunks(name)).model_dump()
    want = expected(name)
    message = final.choices[0].message
    assert (message.content or "") == want.content
    assert function_calls(message.tool_calls) == [(c.id, "function", c.name, c.arguments) for c in want.tool_calls]


@pytest.mark.parametrize("name", [TOOL_CALLS, REASONING_THEN_TOOL_CALL])
def test_async_stream_helper_final_completion_equals_the_sdk_fold_of_the_golden(proxy_url: str, name: str) -> None:
    async def run() -> Any:
        async with async_client(proxy_url) as aclient:
            manager = aclient.chat.completions.stream(model=name, messages=MESSAGES, stream_options=INCLUDE_USAGE)
            async with manager as stream:
                async for _ in stream:
                    pass
                return await stream.get_final_completion()

    assert asyncio.run(run()).model_dump() == sdk_fold(golden_chunks(name)).model_dump()


def test_stream_helper_raises_api_error_on_the_midstream_error(client: openai.OpenAI) -> None:
    want = expected(MIDSTREAM_ERROR)
    assert want.error is not None
    with (
        pytest.raises(openai.APIError, match=want.error["message"]),
        client.chat.completions.stream(model=MIDSTREAM_ERROR, messages=MESSAGES) as stream,
    ):
        for _ in stream:
            pass


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_non_streaming_completion_is_the_fold_of_the_golden(client: openai.OpenAI, name: str) -> None:
    completion = client.chat.completions.create(model=name, messages=MESSAGES)
    folded = sdk_fold(golden_chunks(name))
    assert completion.object == "chat.completion"
    assert (completion.id, completion.model, completion.created) == (folded.id, folded.model, folded.created)
    assert completion.usage is not None and folded.usage is not None
    assert completion.usage.to_dict() == folded.usage.to_dict()
    assert len(completion.choices) == len(folded.choices)
    for got, want in zip(completion.choices, folded.choices, strict=True):
        assert got.finish_reason == want.finish_reason
        assert got.message.role == "assistant"
        assert got.message.content == want.message.content
        assert getattr(got.message, "reasoning_content", None) == getattr(want.message, "reasoning_content", None)
        assert function_calls(got.message.tool_calls) == function_calls(want.message.tool_calls)


@pytest.mark.parametrize("name", ERROR_CASES)
def test_non_streaming_request_for_a_midstream_error_is_an_api_status_error_with_its_message(
    client: openai.OpenAI, name: str
) -> None:
    want = expected(name)
    assert want.error is not None
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=name, messages=MESSAGES)
    assert caught.value.status_code >= 400
    assert want.error["message"] in caught.value.message
