"""langchain-openai's ChatOpenAI(streaming=True) against the proxy on localhost: text, tool calls, usage metadata."""

from __future__ import annotations

import json
from functools import reduce
from operator import add
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessageChunk
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from tests.e2e.support import COMPLETE_CASES, ERROR_CASES, expected


def chat_model(proxy_url: str, name: str) -> ChatOpenAI:
    return ChatOpenAI(
        model=name,
        base_url=f"{proxy_url}/v1",
        api_key=SecretStr("e2e"),
        streaming=True,
        stream_usage=True,
        max_retries=0,
        timeout=30,
    )


def streamed_message(proxy_url: str, name: str) -> AIMessageChunk:
    chunks = list(chat_model(proxy_url, name).stream("Hello"))
    assert chunks, "no chunk streamed"
    message: AIMessageChunk = reduce(add, chunks)
    return message


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_chat_openai_streaming_reads_text_tool_calls_and_usage_metadata(proxy_url: str, name: str) -> None:
    want = expected(name)
    message = streamed_message(proxy_url, name)
    assert message.text == want.content
    calls: list[dict[str, Any]] = [
        {"id": call["id"], "name": call["name"], "args": call["args"]} for call in message.tool_calls
    ]
    assert calls == [
        {"id": call.id, "name": call.name, "args": json.loads(call.arguments or "{}")} for call in want.tool_calls
    ]
    assert message.response_metadata.get("finish_reason") == want.finish_reason
    assert want.usage is not None and message.usage_metadata is not None
    usage = message.usage_metadata
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (
        want.usage["prompt_tokens"],
        want.usage["completion_tokens"],
        want.usage["total_tokens"],
    )
    reasoning_tokens = (want.usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if reasoning_tokens:
        assert usage.get("output_token_details", {}).get("reasoning") == reasoning_tokens


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_chat_openai_invoke_with_streaming_gives_the_same_message(proxy_url: str, name: str) -> None:
    want = expected(name)
    message = chat_model(proxy_url, name).invoke("Hello")
    assert message.text == want.content
    assert [call["name"] for call in getattr(message, "tool_calls", [])] == [call.name for call in want.tool_calls]


@pytest.mark.parametrize("name", ERROR_CASES)
def test_chat_openai_streaming_raises_api_error_with_the_upstream_message(proxy_url: str, name: str) -> None:
    want = expected(name)
    assert want.error is not None
    seen = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in chat_model(proxy_url, name).stream("Hello"):
            seen += chunk.text
    assert caught.value.message == want.error["message"]
    assert seen == want.content
