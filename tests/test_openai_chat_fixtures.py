"""Keep the hand-written OpenAI-compatible chat bodies in fixtures/<dialect>/ honest.

Each body must be what ``POST /v1/chat/completions`` with ``stream: true`` could send: LF-framed SSE whose
every data event (other than ``[DONE]``) validates as ``openai.types.chat.ChatCompletionChunk``. The SDK
models accept unknown keys (``extra="allow"``), so validation alone would pass any invented field; the
walk over ``model_extra`` below therefore allows a non-OpenAI key only where `EXTRA_KEYS` lists it for that
dialect. What the SDK model rejects outright is handled by `DEVIATIONS`, one row per dialect quirk, each
saying how it is recognised and checked. Both tables are held to the fixtures: every row must be seen in at
least one body, so neither can go stale.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import pytest
from openai.types.chat import ChatCompletionChunk

from translators.sse import SSEDecoder, SSEEvent

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DIALECTS = ("openai", "azure", "deepseek", "mistral", "xai", "groq", "openrouter")
MIN_CASES_PER_DIALECT = 2
GOLDEN_SUFFIX = ".openai.sse"
DONE_DATA = "[DONE]"

BODIES: list[tuple[str, Path]] = sorted(
    (dialect, path)
    for dialect in DIALECTS
    for path in (FIXTURES / dialect).glob("*.sse")
    if not path.name.endswith(GOLDEN_SUFFIX)
)

# Bodies that end without `data: [DONE]`, as the real streams they are modelled on do. Every other body ends with it.
NO_DONE = {
    ("openai", "truncated-mid-text.sse"),  # connection cut mid-text: no finish_reason, no usage, no [DONE]
    ("groq", "gpt-oss-tool-use-failed-error-event.sse"),  # `event: error` ends the body
}
MODERATION_CASE = ("openai", "text-usage-then-moderation.sse")
GROQ_ERROR_CASE = ("groq", "gpt-oss-tool-use-failed-error-event.sse")

# Non-OpenAI keys each dialect may carry, as "<SDK model>.<key>". Everything else must be a declared field.
EXTRA_KEYS: dict[str, set[str]] = {
    "openai": set(),
    "azure": {"ChatCompletionChunk.prompt_filter_results", "Choice.content_filter_results"},
    "deepseek": {
        "ChoiceDelta.reasoning_content",
        "CompletionUsage.prompt_cache_hit_tokens",
        "CompletionUsage.prompt_cache_miss_tokens",
    },
    "mistral": set(),
    "xai": {"ChoiceDelta.reasoning_content", "CompletionUsage.num_sources_used", "CompletionUsage.cost_in_usd_ticks"},
    "groq": {
        "ChatCompletionChunk.x_groq",
        "ChoiceDelta.reasoning",
        "ChoiceDelta.channel",
        "CompletionUsage.queue_time",
        "CompletionUsage.prompt_time",
        "CompletionUsage.completion_time",
        "CompletionUsage.total_time",
    },
    "openrouter": {
        "ChatCompletionChunk.provider",
        "ChatCompletionChunk.error",
        "Choice.native_finish_reason",
        "ChoiceDelta.reasoning",
        "ChoiceDelta.reasoning_details",
        "CompletionUsage.cost",
        "CompletionUsage.is_byok",
        "CompletionUsage.cost_details",
        "CompletionTokensDetails.image_tokens",
    },
}


# -- the deviations table ------------------------------------------------------------------------------------


def _deltas(chunk: dict[str, Any]) -> Iterator[dict[str, Any]]:
    choices = chunk.get("choices")
    if isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                yield choice["delta"]


def _is_azure_prompt_filter_chunk(event: SSEEvent, chunk: dict[str, Any]) -> bool:
    return "prompt_filter_results" in chunk


def _check_azure_prompt_filter_chunk(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """Azure's first chunk: empty id/model/object, created 0, no choices, only the prompt's filter results."""
    assert chunk["object"] == "" and chunk["id"] == "" and chunk["model"] == ""
    assert chunk["created"] == 0 and chunk["choices"] == []
    results = chunk["prompt_filter_results"]
    assert isinstance(results, list) and results
    for result in results:
        assert isinstance(result["prompt_index"], int)
        assert isinstance(result["content_filter_results"], dict) and result["content_filter_results"]
    return {**chunk, "object": "chat.completion.chunk"}  # the rest must still be a valid chunk


def _is_mistral_content_list(event: SSEEvent, chunk: dict[str, Any]) -> bool:
    return any(isinstance(delta.get("content"), list) for delta in _deltas(chunk))


def _check_mistral_content_list(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """Magistral's list-valued content: thinking parts (text parts inside) and text parts; validated as text."""
    normal = copy.deepcopy(chunk)
    for delta in _deltas(normal):
        parts = delta.get("content")
        if not isinstance(parts, list):
            continue
        text = ""
        for part in parts:
            if part["type"] == "thinking":
                assert isinstance(part["thinking"], list)  # an empty list closes the thinking
                for inner in part["thinking"]:
                    assert inner["type"] == "text" and isinstance(inner["text"], str)
            else:
                assert part["type"] == "text" and isinstance(part["text"], str), part
                text += part["text"]
        delta["content"] = text
    return normal


def _is_mistral_tool_call_without_index(event: SSEEvent, chunk: dict[str, Any]) -> bool:
    return any("index" not in call for delta in _deltas(chunk) for call in delta.get("tool_calls") or [])


def _check_mistral_tool_call_without_index(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """Mistral sends each tool call whole, with no `index` (and no `type`): complete id, name and JSON arguments."""
    normal = copy.deepcopy(chunk)
    for delta in _deltas(normal):
        for position, call in enumerate(delta.get("tool_calls") or []):
            assert "index" not in call and "type" not in call
            assert isinstance(call["id"], str) and call["id"]
            assert isinstance(call["function"]["name"], str) and call["function"]["name"]
            assert isinstance(json.loads(call["function"]["arguments"]), dict)
            call["index"] = position
    return normal


def _is_groq_error_event(event: SSEEvent, chunk: dict[str, Any]) -> bool:
    return event.event == "error"


def _check_groq_error_event(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """Groq's named `event: error`: an error object, not a chunk."""
    assert set(chunk) == {"error"}
    error = chunk["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and isinstance(error["code"], str)
    assert isinstance(error["status_code"], int)
    assert isinstance(error["failed_generation"], str)
    return None


def _is_openrouter_error_chunk(event: SSEEvent, chunk: dict[str, Any]) -> bool:
    return "error" in chunk


def _check_openrouter_error_chunk(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """OpenRouter's upstream error: a normal chunk (choices, usage) with a top-level `error` added."""
    error = chunk["error"]
    assert isinstance(error["code"], int)
    assert isinstance(error["message"], str) and error["message"]
    return chunk  # still validated whole: the error is an extra key (see EXTRA_KEYS)


@dataclass(frozen=True)
class Deviation:
    """A place where a dialect's wire differs from what `ChatCompletionChunk` accepts, and how it is checked.

    ``check`` asserts the dialect's own shape and returns the chunk to validate (normalised) or None when
    the event is not a chunk at all.
    """

    name: str
    applies: Callable[[SSEEvent, dict[str, Any]], bool]
    check: Callable[[dict[str, Any]], dict[str, Any] | None]


DEVIATIONS: dict[str, tuple[Deviation, ...]] = {
    "azure": (
        Deviation(
            "prompt-filter first chunk (object '')", _is_azure_prompt_filter_chunk, _check_azure_prompt_filter_chunk
        ),
    ),
    "mistral": (
        Deviation("list-valued delta.content", _is_mistral_content_list, _check_mistral_content_list),
        Deviation(
            "tool call without index or type",
            _is_mistral_tool_call_without_index,
            _check_mistral_tool_call_without_index,
        ),
    ),
    "groq": (Deviation("named `error` event", _is_groq_error_event, _check_groq_error_event),),
    "openrouter": (
        Deviation("chunk with a top-level error", _is_openrouter_error_chunk, _check_openrouter_error_chunk),
    ),
}


# -- parsing and checking ------------------------------------------------------------------------------------


def _events(body: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return decoder.decode(body) + decoder.flush()


def _parsed(body: bytes) -> list[tuple[SSEEvent, dict[str, Any]]]:
    """The body's events with their JSON, `[DONE]` left out."""
    return [(event, json.loads(event.data)) for event in _events(body) if event.data != DONE_DATA]


def extra_keys(model: pydantic.BaseModel) -> Iterator[str]:
    """``<model class>.<key>`` for every key the SDK models did not declare, at any depth."""
    for key in model.model_extra or {}:
        yield f"{type(model).__name__}.{key}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, pydantic.BaseModel):
                yield from extra_keys(item)


def _check_event(dialect: str, event: SSEEvent, chunk: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Validate one event; return the deviations it used and its extra keys. Raises on anything invalid."""
    used: list[str] = []
    target: dict[str, Any] | None = chunk
    for deviation in DEVIATIONS.get(dialect, ()):
        if target is not None and deviation.applies(event, target):
            used.append(deviation.name)
            target = deviation.check(target)
    if target is None:
        return used, set()
    assert event.event == "message", f"named event {event.event!r} outside DEVIATIONS"
    model = ChatCompletionChunk.model_validate(target)
    extras = set(extra_keys(model))
    unexpected = extras - EXTRA_KEYS[dialect]
    assert not unexpected, f"keys that are not OpenAI fields and not allowed for {dialect}: {sorted(unexpected)}"
    return used, extras


def _check_body(dialect: str, body: bytes) -> tuple[set[str], set[str]]:
    used: set[str] = set()
    extras: set[str] = set()
    for n, (event, chunk) in enumerate(_parsed(body)):
        try:
            names, keys = _check_event(dialect, event, chunk)
        except (AssertionError, KeyError, TypeError, ValueError) as exc:  # pydantic.ValidationError is a ValueError
            raise AssertionError(f"event {n}: {exc}") from exc
        used.update(names)
        extras.update(keys)
    return used, extras


def _id(item: tuple[str, Path]) -> str:
    return f"{item[0]}/{item[1].name}"


# -- the bodies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_enough_cases_and_a_readme_listing_them(dialect: str) -> None:
    cases = [path for d, path in BODIES if d == dialect]
    assert len(cases) >= MIN_CASES_PER_DIALECT, (dialect, [p.name for p in cases])
    readme = (FIXTURES / dialect / "README.md").read_text("utf-8")
    missing = [p.name for p in cases if f"| `{p.name}` |" not in readme]
    assert not missing, f"cases not in fixtures/{dialect}/README.md: {missing}"


def test_tables_name_only_known_dialects_and_cases() -> None:
    assert set(DEVIATIONS) <= set(DIALECTS) and set(EXTRA_KEYS) == set(DIALECTS)
    known = {(d, p.name) for d, p in BODIES}
    assert {*NO_DONE, MODERATION_CASE, GROQ_ERROR_CASE} <= known


@pytest.mark.parametrize(("dialect", "path"), BODIES, ids=[_id(b) for b in BODIES])
def test_every_chunk_validates(dialect: str, path: Path) -> None:
    chunks = _parsed(path.read_bytes())
    assert chunks
    _check_body(dialect, path.read_bytes())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_deviation_and_extra_key_occurs(dialect: str) -> None:
    """The tables cannot go stale: each row is used by at least one of the dialect's bodies."""
    used: set[str] = set()
    extras: set[str] = set()
    for d, path in BODIES:
        if d == dialect:
            names, keys = _check_body(dialect, path.read_bytes())
            used |= names
            extras |= keys
    listed = {deviation.name for deviation in DEVIATIONS.get(dialect, ())}
    assert listed - used == set(), f"deviations no {dialect} fixture shows"
    assert EXTRA_KEYS[dialect] - extras == set(), f"extra keys no {dialect} fixture has"


@pytest.mark.parametrize(("dialect", "path"), BODIES, ids=[_id(b) for b in BODIES])
def test_lf_framing_and_compact_json(dialect: str, path: Path) -> None:
    body = path.read_bytes()
    assert b"\r" not in body, "CR in body: these providers frame with LF only"
    assert body.endswith(b"\n\n") and not body.endswith(b"\n\n\n")
    blocks = body[:-2].split(b"\n\n")
    assert all(blocks), "empty event block"
    data_lines = 0
    for block in blocks:
        lines = block.decode("utf-8").split("\n")
        for line in lines[:-1]:
            assert line.startswith("event: "), line  # only groq's `event: error` precedes a data line
        last = lines[-1]
        if last.startswith(": "):
            assert len(lines) == 1  # a comment, alone in its block (openrouter's processing notes)
            continue
        assert last.startswith("data: "), last[:80]
        data_lines += 1
        payload = last[len("data: ") :]
        if payload != DONE_DATA:
            assert _compact(payload), f"JSON with whitespace outside strings: {payload[:80]}"
    assert data_lines == len(_events(body))


def _compact(text: str) -> bool:
    """No whitespace outside JSON strings (the providers send compact JSON)."""
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char.isspace():
            return False
    return True


@pytest.mark.parametrize(("dialect", "path"), BODIES, ids=[_id(b) for b in BODIES])
def test_one_id_per_body(dialect: str, path: Path) -> None:
    ids = [
        chunk["id"]
        for _, chunk in _parsed(path.read_bytes())
        if "id" in chunk and not (dialect == "azure" and "prompt_filter_results" in chunk)
    ]
    assert ids and len(set(ids)) == 1, sorted(set(ids))
    assert ids[0]


@pytest.mark.parametrize(("dialect", "path"), BODIES, ids=[_id(b) for b in BODIES])
def test_done_is_last_where_present(dialect: str, path: Path) -> None:
    events = _events(path.read_bytes())
    done = [n for n, event in enumerate(events) if event.data == DONE_DATA]
    if (dialect, path.name) in NO_DONE:
        assert done == []
    else:
        assert done == [len(events) - 1], done
        assert path.read_bytes().endswith(b"\n\ndata: [DONE]\n\n")


def test_groq_error_event_ends_the_body() -> None:
    dialect, name = GROQ_ERROR_CASE
    events = _events((FIXTURES / dialect / name).read_bytes())
    assert [e.event for e in events].count("error") == 1
    assert events[-1].event == "error" and DONE_DATA not in {e.data for e in events}
    assert all(e.event == "message" for e in events[:-1]) and len(events) > 1


def test_openrouter_error_chunk_follows_a_length_finish_and_precedes_done() -> None:
    chunks = [c for _, c in _parsed((FIXTURES / "openrouter" / "reasoning-length-then-error-chunk.sse").read_bytes())]
    errors = [n for n, c in enumerate(chunks) if "error" in c]
    assert errors == [len(chunks) - 1]
    finishes = [c["choices"][0]["finish_reason"] for c in chunks[:-1]]
    assert finishes[-2:] == ["length", "length"], "the finish chunk is sent twice"
    assert chunks[-1]["usage"]["completion_tokens"] >= 0


def test_moderation_chunk_comes_after_the_usage_chunk() -> None:
    dialect, name = MODERATION_CASE
    chunks = [c for _, c in _parsed((FIXTURES / dialect / name).read_bytes())]
    usage_at = [n for n, c in enumerate(chunks) if c.get("usage") is not None]
    moderation_at = [n for n, c in enumerate(chunks) if c.get("moderation") is not None]
    assert len(usage_at) == 1 and len(moderation_at) == 1
    assert moderation_at[0] == usage_at[0] + 1 == len(chunks) - 1
    assert chunks[usage_at[0]]["choices"] == [] and chunks[moderation_at[0]]["choices"] == []
    # include_usage: every other chunk carries "usage": null, and obfuscation is on all of them
    assert all("usage" in c and "obfuscation" in c for c in chunks)


def test_every_openai_chunk_after_2025_has_obfuscation_and_usage_null() -> None:
    """The modern OpenAI shape (service_tier present) always has both keys; the 2024 shape has neither."""
    for dialect, path in BODIES:
        if dialect != "openai":
            continue
        chunks = [c for _, c in _parsed(path.read_bytes())]
        modern = "service_tier" in chunks[0]
        for chunk in chunks:
            assert ("obfuscation" in chunk) is modern, path.name
            assert ("usage" in chunk) is (modern or chunk["choices"] == []), path.name


# -- the checks can fail ----------------------------------------------------------------------------------------

_GOOD: dict[str, Any] = {
    "id": "chatcmpl-test",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"content": "hi"}, "logprobs": None, "finish_reason": None}],
}


def _event(chunk: dict[str, Any]) -> tuple[SSEEvent, dict[str, Any]]:
    return SSEEvent(data=json.dumps(chunk)), chunk


def test_a_good_chunk_passes() -> None:
    assert _check_event("openai", *_event(_GOOD)) == ([], set())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("choices",), {"index": 0}),  # choices not a list
        (("choices", 0, "finish_reason"), 5),
        (("choices", 0, "finish_reason"), "done"),
        (("object",), "chat.completion"),
        (("choices", 0, "delta", "content"), ["not", "a", "string"]),
    ],
)
def test_a_broken_chunk_fails(path: tuple[str | int, ...], value: Any) -> None:
    bad = copy.deepcopy(_GOOD)
    target: Any = bad
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(pydantic.ValidationError):
        _check_event("openai", *_event(bad))


def test_an_unlisted_extra_key_fails() -> None:
    bad = copy.deepcopy(_GOOD)
    bad["choices"][0]["delta"]["reasoning_content"] = "hmm"
    _check_event("deepseek", *_event(bad))  # allowed there
    with pytest.raises(AssertionError, match=r"ChoiceDelta\.reasoning_content"):
        _check_event("openai", *_event(bad))


def test_a_deviation_is_not_allowed_outside_its_dialect() -> None:
    azure_first = (FIXTURES / "azure" / "prompt-filter-first-chunk.sse").read_bytes().split(b"\n\n")[0] + b"\n\n"
    _check_body("azure", azure_first)
    with pytest.raises(AssertionError, match="object"):
        _check_body("openai", azure_first)
    groq_error = b'event: error\ndata: {"error":{"message":"x","type":"t","code":"c"}}\n\n'
    with pytest.raises(AssertionError):
        _check_body("openai", groq_error)


def test_a_bad_body_would_be_caught() -> None:
    """The per-body check, run on a copy of a real fixture with one finish_reason spoiled."""
    source = (FIXTURES / "openai" / "refusal.sse").read_bytes()
    body = source.replace(b'"finish_reason":"stop"', b'"finish_reason":"halt"', 1)
    assert body != source
    with pytest.raises(AssertionError, match="finish_reason"):
        _check_body("openai", body)
