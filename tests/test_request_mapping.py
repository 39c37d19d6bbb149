"""translators.request_mapping: OpenAI Chat Completions requests → Anthropic Messages / Gemini requests.

Every mapped body is checked twice: against the expected dict, and with the providers' own SDK request types
(`assert_anthropic_body`, `assert_gemini_body`; tests/test_real_upstream.py uses them for its fake upstreams).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from anthropic.types.message_create_params import MessageCreateParamsStreaming
from google.genai import types as genai_types

from tests.contract import fold, parse_sse_output
from translators.request_mapping import DEFAULT_MAX_TOKENS, RequestError, to_anthropic, to_gemini

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# ---------------------------------------------------------------------------------------------------------------
# The SDKs' request types as validators
# ---------------------------------------------------------------------------------------------------------------

# Module level on purpose: pydantic validates ``Iterable[...]`` fields lazily, and an iterator outliving its
# TypeAdapter crashes pydantic-core.
_ANTHROPIC_REQUEST = pydantic.TypeAdapter(MessageCreateParamsStreaming)


def _drained(value: Any) -> Any:
    """A validated TypedDict with its lazy ``Iterable`` fields run (which validates their items)."""
    if isinstance(value, Iterator):
        return [_drained(item) for item in value]
    if isinstance(value, dict):
        return {key: _drained(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_drained(item) for item in value]
    return value


SAMPLING = ("temperature", "top_p")
"""Not in the anthropic SDK's request types since anthropic 1.0 (SDK users send them with ``extra_body``): the
API still takes them on the models that sample (Claude 4.6 and earlier) and answers 400 on those that do not."""


def assert_anthropic_body(body: dict[str, Any]) -> None:
    """``body`` is a valid anthropic ``MessageCreateParamsStreaming``, with no key the type does not know
    (but `SAMPLING`, numbers).

    TypedDict validation ignores unknown keys, so the validated (and drained) value must equal the body.
    """
    typed = {key: value for key, value in body.items() if key not in SAMPLING}
    assert all(type(body[key]) in (int, float) for key in SAMPLING if key in body)
    validated = _drained(_ANTHROPIC_REQUEST.validate_python(typed))
    assert validated == typed


class GeminiRequest(pydantic.BaseModel):
    """The ``generateContent`` REST body, made of google-genai's types (camelCase aliases, extra keys forbidden)."""

    model_config = pydantic.ConfigDict(
        extra="forbid", alias_generator=pydantic.alias_generators.to_camel, populate_by_name=True
    )

    contents: list[genai_types.Content]
    system_instruction: genai_types.Content | None = None
    tools: list[genai_types.Tool] | None = None
    tool_config: genai_types.ToolConfig | None = None
    generation_config: genai_types.GenerationConfig | None = None


BYTES_FIELDS = ("data", "thoughtSignature")  # bytes in google-genai: base64 in JSON (dumped URL-safe)


def _bytes_decoded(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: base64.urlsafe_b64decode(item.replace("+", "-").replace("/", "_"))
            if key in BYTES_FIELDS and isinstance(item, str)
            else _bytes_decoded(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_bytes_decoded(item) for item in value]
    return value


def assert_gemini_body(body: dict[str, Any]) -> None:
    """``body`` validates as google-genai types from its JSON (base64 checked) and dumps back to itself."""
    validated = GeminiRequest.model_validate_json(json.dumps(body))
    dumped = validated.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert _bytes_decoded(dumped) == _bytes_decoded(body)


def anthropic(request: dict[str, Any]) -> dict[str, Any]:
    body = to_anthropic(request)
    assert_anthropic_body(body)
    return body


def gemini(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    model, body = to_gemini(request)
    assert_gemini_body(body)
    return model, body


# ---------------------------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------------------------

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_local_time"}}

ROUND_TRIP = [
    {"role": "system", "content": "You are a weather assistant."},
    {"role": "user", "content": "Weather in Lisbon and Porto, and the time?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Porto"}'}},
            {"id": "call_3", "type": "function", "function": {"name": "get_local_time", "arguments": ""}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21, "sky": "clear"}'},
    {
        "role": "tool",
        "tool_call_id": "call_2",
        "content": [{"type": "text", "text": "18 C, "}, {"type": "text", "text": "rain"}],
    },
    {"role": "tool", "tool_call_id": "call_3", "content": ""},
    {"role": "user", "content": "Thanks! Which is warmer?"},
]


def request(**fields: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello"}], **fields}


# ---------------------------------------------------------------------------------------------------------------
# Anthropic
# ---------------------------------------------------------------------------------------------------------------


def test_anthropic_text_defaults() -> None:
    body = anthropic({"model": "anthropic/claude-haiku-4-5", "messages": [{"role": "user", "content": "Hi"}]})
    assert body == {
        "model": "claude-haiku-4-5",
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "stream": True,
    }


def test_anthropic_ignores_what_the_proxy_handles() -> None:
    body = anthropic(
        request(stream=False, stream_options={"include_usage": True}, n=1, user="u1", logprobs=True, seed=7)
    )
    assert set(body) == {"model", "max_tokens", "messages", "stream"}
    assert body["stream"] is True


def test_anthropic_system_and_developer_anywhere() -> None:
    body = anthropic(
        {
            "model": "claude-sonnet-4-5",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Rule one."}, {"type": "text", "text": ""}]},
                {"role": "system", "content": "Rule two."},
                {"role": "user", "content": "Hi"},
                {"role": "system", "content": "Late rule."},
                {"role": "assistant", "content": "Hello!"},
            ],
        }
    )
    assert body["system"] == [
        {"type": "text", "text": "Rule one."},
        {"type": "text", "text": "Rule two."},
        {"type": "text", "text": "Late rule."},
    ]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]},
    ]


def test_anthropic_images() -> None:
    content = [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpg;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://upload.example.org/cat.webp?size=large"}},
        {"type": "image_url", "image_url": "http://example.org/dog"},
    ]
    body = anthropic(request(messages=[{"role": "user", "content": content}]))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Compare these."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://upload.example.org/cat.webp?size=large"}},
        {"type": "image", "source": {"type": "url", "url": "http://example.org/dog"}},
    ]


def test_anthropic_tool_round_trip() -> None:
    body = anthropic(request(messages=ROUND_TRIP, tools=[WEATHER_TOOL, TIME_TOOL]))
    assert body["system"] == [{"type": "text", "text": "You are a weather assistant."}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Lisbon and Porto, and the time?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Lisbon"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Porto"}},
                {"type": "tool_use", "id": "call_3", "name": "get_local_time", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": '{"temp_c": 21, "sky": "clear"}'},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "18 C, rain"},
                {"type": "tool_result", "tool_use_id": "call_3"},
                {"type": "text", "text": "Thanks! Which is warmer?"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "input_schema": WEATHER_TOOL["function"]["parameters"],  # type: ignore[index]
        },
        {"name": "get_local_time", "input_schema": {"type": "object", "properties": {}}},
    ]


def test_anthropic_tool_parameters_without_type_get_object() -> None:
    tool = {"type": "function", "function": {"name": "noop", "parameters": {"properties": {}}}}
    body = anthropic(request(tools=[tool]))
    assert body["tools"] == [{"name": "noop", "input_schema": {"type": "object", "properties": {}}}]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tool_choice": "auto"}, {"type": "auto"}),
        ({"tool_choice": "none"}, {"type": "none"}),
        ({"tool_choice": "required"}, {"type": "any"}),
        (
            {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
            {"type": "tool", "name": "get_weather"},
        ),
        ({"parallel_tool_calls": False}, {"type": "auto", "disable_parallel_tool_use": True}),
        ({"tool_choice": "required", "parallel_tool_calls": False}, {"type": "any", "disable_parallel_tool_use": True}),
        (
            {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "parallel_tool_calls": False},
            {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True},
        ),
        ({"tool_choice": "none", "parallel_tool_calls": False}, {"type": "none"}),
        ({"parallel_tool_calls": True}, None),
        ({}, None),
    ],
)
def test_anthropic_tool_choice(fields: dict[str, Any], expected: dict[str, Any] | None) -> None:
    body = anthropic(request(tools=[WEATHER_TOOL], **fields))
    assert body.get("tool_choice") == expected


def test_anthropic_parallel_tool_calls_without_tools_sends_nothing() -> None:
    assert "tool_choice" not in anthropic(request(parallel_tool_calls=False))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"stop": "END"}, {"stop_sequences": ["END"]}),
        ({"stop": ["\n\n", "Human:"]}, {"stop_sequences": ["\n\n", "Human:"]}),
        ({"stop": []}, {}),
        ({"stop": None}, {}),
        ({"max_tokens": 300}, {"max_tokens": 300}),
        ({"max_completion_tokens": 200, "max_tokens": 300}, {"max_tokens": 200}),
        ({"max_completion_tokens": None, "max_tokens": 300}, {"max_tokens": 300}),
        ({"temperature": 0.3, "top_p": 0.95}, {"temperature": 0.3, "top_p": 0.95}),
        ({"temperature": 1, "top_p": None}, {"temperature": 1}),
        ({"presence_penalty": 0.5, "frequency_penalty": 0.5, "seed": 1}, {}),
    ],
)
def test_anthropic_params(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    body = anthropic(request(**fields))
    rest = {key: value for key, value in body.items() if key not in ("model", "messages", "stream")}
    assert rest == {"max_tokens": DEFAULT_MAX_TOKENS, **expected}


def test_anthropic_merges_consecutive_turns_and_drops_empty_ones() -> None:
    body = anthropic(
        request(
            messages=[
                {"role": "user", "content": "One."},
                {"role": "user", "content": [{"type": "text", "text": "Two."}]},
                {"role": "assistant", "content": ""},
                {"role": "user", "content": None},
                {"role": "user", "content": "Three."},
                {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help with that."}]},
            ]
        )
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": t} for t in ("One.", "Two.", "Three.")],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "I can't help with that."}]},
    ]


# ---------------------------------------------------------------------------------------------------------------
# Gemini
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
        ("google/gemini-3-pro-preview", "gemini-3-pro-preview"),
        ("models/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
    ],
)
def test_gemini_model_and_text(model: str, expected: str) -> None:
    assert gemini({"model": model, "messages": [{"role": "user", "content": "Hi"}]}) == (
        expected,
        {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
    )


def test_gemini_system_instruction() -> None:
    _, body = gemini(
        {
            "model": "gemini-2.5-flash",
            "messages": [
                {"role": "system", "content": "Rule one."},
                {"role": "developer", "content": [{"type": "text", "text": "Rule two."}]},
                {"role": "user", "content": "Hi"},
            ],
        }
    )
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "systemInstruction": {"parts": [{"text": "Rule one."}, {"text": "Rule two."}]},
    }


def test_gemini_images() -> None:
    content = [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/heic;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://upload.example.org/cat.webp?size=large"}},
        {"type": "image_url", "image_url": {"url": "https://example.org/dog"}},
    ]
    _, body = gemini(request(model="gemini-2.5-flash", messages=[{"role": "user", "content": content}]))
    assert body["contents"][0]["parts"] == [
        {"text": "Compare these."},
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        {"inlineData": {"mimeType": "image/heic", "data": PNG}},
        {"fileData": {"fileUri": "https://upload.example.org/cat.webp?size=large", "mimeType": "image/webp"}},
        {"fileData": {"fileUri": "https://example.org/dog"}},
    ]


def test_gemini_tool_round_trip() -> None:
    _, body = gemini(request(model="gemini-2.5-flash", messages=ROUND_TRIP, tools=[WEATHER_TOOL, TIME_TOOL]))
    assert body["systemInstruction"] == {"parts": [{"text": "You are a weather assistant."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Lisbon and Porto, and the time?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Lisbon"}}},
                {"functionCall": {"name": "get_weather", "args": {"city": "Porto"}}},
                {"functionCall": {"name": "get_local_time", "args": {}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21, "sky": "clear"}}},
                {"functionResponse": {"name": "get_weather", "response": {"output": "18 C, rain"}}},
                {"functionResponse": {"name": "get_local_time", "response": {"output": ""}}},
                {"text": "Thanks! Which is warmer?"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "parametersJsonSchema": WEATHER_TOOL["function"]["parameters"],  # type: ignore[index]
                },
                {"name": "get_local_time"},
            ]
        }
    ]


def test_gemini_function_response_that_is_json_but_not_an_object() -> None:
    messages = [*ROUND_TRIP[:3], {"role": "tool", "tool_call_id": "call_1", "content": "[1, 2]"}]
    _, body = gemini(request(messages=messages))
    assert body["contents"][-1]["parts"][0]["functionResponse"]["response"] == {"output": "[1, 2]"}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_weather"]},
        ),
    ],
)
def test_gemini_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    _, body = gemini(request(tools=[WEATHER_TOOL], tool_choice=choice, parallel_tool_calls=False))
    assert body["toolConfig"] == {"functionCallingConfig": expected}


def test_gemini_generation_config() -> None:
    _, body = gemini(
        request(
            max_completion_tokens=256,
            max_tokens=999,
            temperature=0.7,
            top_p=0.9,
            n=2,
            seed=42,
            presence_penalty=0.1,
            frequency_penalty=-0.2,
            stop=["END", "STOP"],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert body["generationConfig"] == {
        "maxOutputTokens": 256,
        "temperature": 0.7,
        "topP": 0.9,
        "candidateCount": 2,
        "seed": 42,
        "presencePenalty": 0.1,
        "frequencyPenalty": -0.2,
        "stopSequences": ["END", "STOP"],
    }
    _, body = gemini(request(stop="END"))
    assert body["generationConfig"] == {"stopSequences": ["END"]}


def test_gemini_thought_signature_goes_back_on_the_call() -> None:
    call = {
        "id": "call_x_0",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'},
        "extra_content": {"google": {"thought_signature": "c2lnbmF0dXJl"}},
    }
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_x_0", "content": "sunny"},
    ]
    _, body = gemini(request(messages=messages))
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Lisbon"}}, "thoughtSignature": "c2lnbmF0dXJl"}
        ],
    }
    anthropic(request(messages=messages))  # ignored there


# ---------------------------------------------------------------------------------------------------------------
# The translators' own output as conversation history
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "golden",
    [
        "anthropic/tool-use-streamed-input",
        "anthropic/thinking-then-tool-use",
        "anthropic/parallel-tools-no-arguments",
        "gemini/function-call-thought-signature",
        "gemini/parallel-function-calls",
    ],
)
@pytest.mark.parametrize("mapping", ["anthropic", "gemini"])
def test_folded_golden_answers_map_back(golden: str, mapping: str) -> None:
    """An assistant message as an OpenAI client keeps it (the fold of a golden), with its tool results, maps."""
    chunks, _ = parse_sse_output((FIXTURES / f"{golden}.openai.sse").read_bytes())
    message = fold(chunks).choices[0].message.model_dump(mode="json", exclude_none=True)
    results = [
        {"role": "tool", "tool_call_id": call["id"], "content": json.dumps({"ok": True})}
        for call in message["tool_calls"]
    ]
    messages = [{"role": "user", "content": "Go."}, message, *results]
    if mapping == "anthropic":
        body = anthropic(request(messages=messages))
        uses = [block for block in body["messages"][1]["content"] if block["type"] == "tool_use"]
        assert [use["id"] for use in uses] == [call["id"] for call in message["tool_calls"]]
        assert [block["tool_use_id"] for block in body["messages"][2]["content"]] == [use["id"] for use in uses]
    else:
        _, body = gemini(request(messages=messages))
        calls = [part for part in body["contents"][1]["parts"] if "functionCall" in part]
        assert [call["functionCall"]["name"] for call in calls] == [
            c["function"]["name"] for c in message["tool_calls"]
        ]
        signatures = [
            c.get("extra_content", {}).get("google", {}).get("thought_signature") for c in message["tool_calls"]
        ]
        assert [call.get("thoughtSignature") for call in calls] == signatures
        responses = body["contents"][2]["parts"]
        assert [r["functionResponse"]["name"] for r in responses] == [c["functionCall"]["name"] for c in calls]


# ---------------------------------------------------------------------------------------------------------------
# Bad requests
# ---------------------------------------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a request: set the value at a dotted path (list indexes as numbers); ``...`` deletes."""

    def change(req: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = req
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        index: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[index]
        else:
            node[index] = value

    return change


def _base() -> dict[str, Any]:
    return copy.deepcopy(request(messages=ROUND_TRIP, tools=[WEATHER_TOOL, TIME_TOOL]))


BAD = [
    (_set("model", ...), "model", "non-empty string"),
    (_set("model", 7), "model", "non-empty string"),
    (_set("model", "anthropic/"), "model", "non-empty string"),
    (_set("messages", ...), "messages", "must be an array"),
    (_set("messages", []), "messages", "no user, assistant or tool message"),
    (_set("messages", [{"role": "system", "content": "Only rules."}]), "messages", "no user"),
    (_set("messages.1", "hello"), "messages[1]", "must be an object"),
    (_set("messages.1.role", "function"), "messages[1].role", "unsupported role 'function'"),
    (_set("messages.1.role", ...), "messages[1].role", "unsupported role None"),
    (_set("messages.1.content", 5), "messages[1].content", "must be an array"),
    (
        _set("messages.1.content", [{"type": "input_audio", "input_audio": {}}]),
        "messages[1].content[0].type",
        "'input_audio'",
    ),
    (_set("messages.1.content", [{"type": "file", "file": {}}]), "messages[1].content[0].type", "'file'"),
    (_set("messages.1.content", ["text"]), "messages[1].content[0]", "must be an object"),
    (_set("messages.1.content", [{"type": "text", "text": 3}]), "messages[1].content[0].text", "must be a string"),
    (_set("messages.1.content", [{"type": "image_url"}]), "messages[1].content[0].image_url", "must be an object"),
    (
        _set("messages.1.content", [{"type": "image_url", "image_url": {"url": ""}}]),
        "messages[1].content[0].image_url.url",
        "non-empty string",
    ),
    (
        _set("messages.1.content", [{"type": "image_url", "image_url": {"url": "ftp://example.org/a.png"}}]),
        "messages[1].content[0].image_url.url",
        "data: URL or an http(s) URL",
    ),
    (
        _set("messages.1.content", [{"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}]),
        "messages[1].content[0].image_url.url",
        ";base64,",
    ),
    (
        _set("messages.1.content", [{"type": "image_url", "image_url": {"url": "data:;base64,AAAA"}}]),
        "messages[1].content[0].image_url.url",
        ";base64,",
    ),
    (
        _set("messages.1.content", [{"type": "image_url", "image_url": {"url": "data:image/png;base64"}}]),
        "messages[1].content[0].image_url.url",
        ";base64,",
    ),
    (
        _set("messages.0.content", [{"type": "image_url", "image_url": {"url": "https://example.org/a.png"}}]),
        "messages[0].content",
        "only text",
    ),
    (_set("messages.2.tool_calls", {}), "messages[2].tool_calls", "must be an array"),
    (_set("messages.2.tool_calls.0.type", "custom"), "messages[2].tool_calls[0].type", "'custom'"),
    (_set("messages.2.tool_calls.0.id", ...), "messages[2].tool_calls[0].id", "non-empty string"),
    (_set("messages.2.tool_calls.0.function", ...), "messages[2].tool_calls[0].function", "must be an object"),
    (_set("messages.2.tool_calls.0.function.name", ""), "messages[2].tool_calls[0].function.name", "non-empty"),
    (
        _set("messages.2.tool_calls.0.function.arguments", "{oops"),
        "messages[2].tool_calls[0].function.arguments",
        "not valid JSON",
    ),
    (
        _set("messages.2.tool_calls.0.function.arguments", "[1]"),
        "messages[2].tool_calls[0].function.arguments",
        "must be a JSON object",
    ),
    (
        _set("messages.2.tool_calls.0.function.arguments", {"city": "Lisbon"}),
        "messages[2].tool_calls[0].function.arguments",
        "must be a string of JSON",
    ),
    (_set("messages.3.tool_call_id", ...), "messages[3].tool_call_id", "non-empty string"),
    (
        _set("messages.3.content", [{"type": "image_url", "image_url": {"url": "https://example.org/a.png"}}]),
        "messages[3].content",
        "only text",
    ),
    (_set("tools", {}), "tools", "must be an array"),
    (_set("tools.0", "get_weather"), "tools[0]", "must be an object"),
    (_set("tools.0.type", "custom"), "tools[0].type", "unsupported tool type 'custom'"),
    (_set("tools.0.function", ...), "tools[0].function", "must be an object"),
    (_set("tools.0.function.name", ...), "tools[0].function.name", "non-empty string"),
    (_set("tools.0.function.description", 1), "tools[0].function.description", "must be a string"),
    (_set("tools.0.function.parameters", []), "tools[0].function.parameters", "must be an object"),
    (_set("tool_choice", "any"), "tool_choice", "'auto', 'none', 'required'"),
    (_set("tool_choice", {"type": "function"}), "tool_choice.function", "must be an object"),
    (_set("tool_choice", {"type": "function", "function": {}}), "tool_choice.function.name", "non-empty"),
    (_set("max_tokens", "100"), "max_tokens", "non-negative integer"),
    (_set("max_completion_tokens", -1), "max_completion_tokens", "non-negative integer"),
    (_set("max_tokens", True), "max_tokens", "non-negative integer"),
    (_set("temperature", "hot"), "temperature", "must be a number"),
    (_set("top_p", True), "top_p", "must be a number"),
    (_set("stop", 5), "stop", "string or an array of strings"),
    (_set("stop", ["a", 1]), "stop", "string or an array of strings"),
    (_set("response_format", {"type": "json_object"}), "response_format", "only {'type': 'text'}"),
]


@pytest.mark.parametrize(("change", "param", "message"), BAD)
@pytest.mark.parametrize("mapping", [to_anthropic, to_gemini])
def test_bad_requests(change: Callable[[dict[str, Any]], None], param: str, message: str, mapping: Any) -> None:
    req = _base()
    change(req)
    if param == "model" and req.get("model") == "anthropic/" and mapping is to_gemini:
        req["model"] = "gemini/"
    with pytest.raises(RequestError) as caught:
        mapping(req)
    assert caught.value.param == param
    assert message in caught.value.message
    assert str(caught.value) == f"{param}: {caught.value.message}"
    assert isinstance(caught.value, ValueError)


def test_the_unchanged_base_request_maps() -> None:
    anthropic(_base())
    gemini(_base())


def test_a_text_response_format_is_fine() -> None:
    anthropic(request(response_format={"type": "text"}))
    gemini(request(response_format={"type": "text"}))


@pytest.mark.parametrize("mapping", [to_anthropic, to_gemini])
def test_not_an_object(mapping: Any) -> None:
    with pytest.raises(RequestError, match="the request body must be a JSON object") as caught:
        mapping(["model"])
    assert caught.value.param is None


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (_set("n", 2), "n", "n must be 1"),
        (
            _set("messages.1.content", [{"type": "image_url", "image_url": {"url": f"data:image/heic;base64,{PNG}"}}]),
            "messages[1].content[0].image_url.url",
            "not 'image/heic'",
        ),
    ],
)
def test_bad_requests_for_anthropic(change: Callable[[dict[str, Any]], None], param: str, message: str) -> None:
    req = _base()
    change(req)
    with pytest.raises(RequestError) as caught:
        to_anthropic(req)
    assert (caught.value.param, message in caught.value.message) == (param, True)


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (_set("n", 1.5), "n", "must be an integer"),
        (_set("seed", "1"), "seed", "must be an integer"),
        (_set("messages.3.tool_call_id", "call_9"), "messages[3].tool_call_id", "no assistant tool call has the id"),
    ],
)
def test_bad_requests_for_gemini(change: Callable[[dict[str, Any]], None], param: str, message: str) -> None:
    req = _base()
    change(req)
    with pytest.raises(RequestError) as caught:
        to_gemini(req)
    assert (caught.value.param, message in caught.value.message) == (param, True)


def test_the_validators_catch_bad_bodies() -> None:
    """The SDK checks used above do reject what the providers would reject."""
    body = to_anthropic(request())
    body["messages"][0]["content"][0]["bogus"] = 1
    with pytest.raises(AssertionError):
        assert_anthropic_body(body)
    body["messages"][0]["content"][0] = {"type": "picture"}
    with pytest.raises(pydantic.ValidationError):
        assert_anthropic_body(body)
    _, body = to_gemini(request())
    with pytest.raises(pydantic.ValidationError):
        assert_gemini_body({**body, "safetySetting": []})
    with pytest.raises(pydantic.ValidationError):
        assert_gemini_body(
            {"contents": [{"role": "user", "parts": [{"inlineData": {"data": "!!", "mimeType": "a/b"}}]}]}
        )
