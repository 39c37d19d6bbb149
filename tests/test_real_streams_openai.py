"""Replay the real recorded OpenAI-shaped streams (Chat Completions dialects and the Responses API).

The recordings live outside the project (see tests/test_real_streams.py for where); without them the
parametrized tests collect nothing. ``.sse`` files are exact bodies; ``.jsonl`` files hold one event per line
(the recorder dropped the SSE framing) and are re-framed: Chat ``data: <line>`` plus a final ``data: [DONE]``,
Responses ``event: <type>`` + ``data: <line>``.

Recordings: ``openai-chat`` (provider ``openai``), ``azure-openai`` (``azure``), ``deepseek``, ``mistral``,
``xai`` (its chat file), ``groq``, ``openrouter``; and ``openai-responses`` plus xAI's Responses file
(``openai_responses``). For every one:

1. the output contract holds, and the stream ends with ``[DONE]``, or (for the three recordings that carry
   an upstream error) with an error event whose message and code are the upstream's;
2. any cutting of the body (seeded random cuts; byte by byte for bodies under 8 KB) gives the same bytes,
   and ``translate`` over the parsed events gives the chunks ``stream`` gives;
3. the openai SDK's fold of our output (``ChatCompletionStreamState``, via tests.contract.fold) equals the
   upstream's own fold. Chat: a small reference fold of the upstream chunks written below (per choice:
   content, reasoning, refusal, tool calls, finish_reason; usage) — the two folds are independent, so a
   dropped, doubled or reordered fragment shows. Responses: the final ``Response`` that the SDK's
   ``ResponseStreamState`` reports on ``response.completed``, fed the events as SDK models validated by
   pydantic (tests.test_responses_fixtures.validate: the SDK's ``TypeAdapter`` plus its documented shims for
   wire/SDK gaps). Usage is compared with the upstream numbers, with OpenAI's semantics;
4. nothing is lost: Azure's filter results, OpenAI's moderation object and logprobs, Groq's ``x_groq``,
   OpenRouter's ``provider``.
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from tests.test_real_streams import REAL
from translators import stream, translate
from translators.providers.openai_responses import SUMMARY_SEPARATOR
from translators.sse import SSEDecoder

CREATED = 1_700_000_000
SMALL = 8 * 1024  # bodies below this are also fed byte by byte

Event = dict[str, Any]
Chunk = dict[str, Any]

CHAT_FOLDERS = {
    "openai-chat": "openai",
    "azure-openai": "azure",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "xai": "xai",
    "groq": "groq",
    "openrouter": "openrouter",
}
RESPONSES_IN_XAI = "responses-reasoning-summary-grok-code-fast.jsonl"  # xAI's /v1/responses, not chat

ERROR_ENDINGS = {  # recording → (type, code) of the error event it ends with, and the upstream error's code
    "groq/gpt-oss-reasoning-midstream-error-event": ("invalid_request_error", "tool_use_failed", "tool_use_failed"),
    "openrouter/processing-comments-reasoning-then-error-chunk": (
        "invalid_request_error",
        "invalid_request_error",
        400,
    ),
    "openai-responses/error-insufficient-quota-then-failed": (
        "billing_error",
        "insufficient_quota",
        "insufficient_quota",
    ),
}


@dataclass(frozen=True)
class Recording:
    path: Path
    provider: str

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @property
    def responses(self) -> bool:
        return self.provider == "openai_responses"

    @cached_property
    def body(self) -> bytes:
        """The wire body: the file itself, or a ``.jsonl`` file re-framed as SSE."""
        data = self.path.read_bytes()
        if self.path.suffix != ".jsonl":
            return data
        lines = [line for line in data.splitlines() if line.strip()]
        if self.responses:
            return b"".join(b"event: %s\ndata: %s\n\n" % (json.loads(line)["type"].encode(), line) for line in lines)
        return b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"

    @cached_property
    def events(self) -> list[Event]:
        """The upstream's JSON events, in order (``[DONE]`` left out)."""
        decoder = SSEDecoder()
        frames = decoder.decode(self.body) + decoder.flush()
        return [json.loads(frame.data) for frame in frames if frame.data and frame.data != "[DONE]"]

    def output(self, pieces: list[bytes] | None = None) -> bytes:
        return b"".join(stream(self.provider, pieces if pieces is not None else [self.body], created=CREATED))

    @cached_property
    def chunks(self) -> tuple[list[Chunk], bool]:
        return parse_sse_output(self.output())


def _recordings() -> list[Recording]:
    if REAL is None:
        return []
    found = []
    for folder, provider in CHAT_FOLDERS.items():
        for path in sorted((REAL / folder).glob("*")):
            if path.suffix in (".sse", ".jsonl") and path.name != RESPONSES_IN_XAI:
                found.append(Recording(path, provider))
    for path in [*sorted((REAL / "openai-responses").glob("*")), REAL / "xai" / RESPONSES_IN_XAI]:
        if path.suffix in (".sse", ".jsonl") and path.is_file():
            found.append(Recording(path, "openai_responses"))
    return found


RECORDINGS = _recordings()
CHAT = [r for r in RECORDINGS if not r.responses]
RESPONSES = [r for r in RECORDINGS if r.responses]
COMPLETE_RESPONSES = [r for r in RESPONSES if r.name not in ERROR_ENDINGS]


def _ids(recording: Recording) -> str:
    return recording.name


def _of(provider: str) -> list[Recording]:
    return [r for r in CHAT if r.provider == provider]


def _usage_chunk(chunks: list[Chunk]) -> Chunk | None:
    return next((c for c in chunks if c.get("choices") == []), None)


def test_the_recordings_are_there_when_the_folder_is() -> None:
    if REAL is None:
        assert RECORDINGS == []
        return
    assert {r.path.parent.name for r in CHAT} == set(CHAT_FOLDERS)
    assert len(CHAT) >= 15 and len(RESPONSES) >= 8, [r.name for r in RECORDINGS]
    assert set(ERROR_ENDINGS) <= {r.name for r in RECORDINGS}


# -- 1. contract and ending -----------------------------------------------------------------------------------


def _upstream_error(recording: Recording) -> dict[str, Any]:
    """The error object the upstream sent (Groq's ``event: error``, OpenRouter's chunk, Responses' ``error``)."""
    errors: list[dict[str, Any]] = [e["error"] for e in recording.events if isinstance(e.get("error"), dict)]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize("recording", RECORDINGS, ids=_ids)
def test_contract_and_ending(recording: Recording) -> None:
    chunks, done = recording.chunks
    check_contract(chunks, done=done)
    ending = ERROR_ENDINGS.get(recording.name)
    if ending is None:
        assert done, chunks[-1]
        assert _usage_chunk(chunks) is not None, "every complete recording reports usage"
        return
    assert not done and "error" in chunks[-1]
    ours, theirs = chunks[-1]["error"], _upstream_error(recording)
    assert ours["message"] == theirs["message"]
    kind, code, native_code = ending
    assert (ours["type"], ours["code"], theirs["code"]) == (kind, code, native_code)
    assert ours["native_error"] == theirs


# -- 2. any cutting gives the same bytes ----------------------------------------------------------------------


@pytest.mark.parametrize("recording", RECORDINGS, ids=_ids)
def test_random_cuts_give_the_same_bytes(recording: Recording) -> None:
    body = recording.body
    whole = recording.output()
    rng = random.Random(zlib.crc32(recording.path.name.encode()))
    for _ in range(6):
        offsets = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, 120))))
        assert recording.output([body[a:b] for a, b in pairwise([0, *offsets, len(body)])]) == whole, offsets


@pytest.mark.parametrize("recording", [r for r in RECORDINGS if len(r.body) < SMALL], ids=_ids)
def test_byte_at_a_time_gives_the_same_bytes(recording: Recording) -> None:
    body = recording.body
    assert recording.output([body[i : i + 1] for i in range(len(body))]) == recording.output()


@pytest.mark.parametrize("recording", RECORDINGS, ids=_ids)
def test_translate_over_events_gives_what_stream_gives(recording: Recording) -> None:
    events = [*recording.events, *([{"type": "[DONE]"}] if b"data: [DONE]" in recording.body else [])]
    chunks, _ = recording.chunks
    assert list(translate(recording.provider, events, created=CREATED)) == chunks


# -- 3a. Chat: a reference fold of the upstream chunks -------------------------------------------------------


@dataclass
class ChoiceFold:
    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    calls: dict[Any, dict[str, Any]] = field(default_factory=dict)  # upstream index (or id) → id/name/arguments
    finish: str | None = None


@dataclass
class ChatFold:
    choices: dict[int, ChoiceFold] = field(default_factory=dict)
    usage: dict[str, Any] | None = None


def _fold_content(into: ChoiceFold, content: Any) -> None:
    if isinstance(content, str):
        into.content += content
    for part in content if isinstance(content, list) else []:  # Mistral's typed parts
        if part["type"] == "text":
            into.content += part["text"]
        elif part["type"] == "thinking":
            into.reasoning += "".join(item["text"] for item in part["thinking"] if item["type"] == "text")


def _fold_call(into: ChoiceFold, call: dict[str, Any]) -> None:
    key = call["index"] if call.get("index") is not None else ("id", call["id"])  # Mistral: no index
    seen = into.calls.setdefault(key, {"id": None, "name": None, "arguments": ""})
    function = call.get("function") or {}
    seen["id"] = seen["id"] or call.get("id")
    seen["name"] = seen["name"] or function.get("name")
    seen["arguments"] += function.get("arguments") or ""


def chat_reference_fold(events: list[Event]) -> ChatFold:
    """The upstream's own fold, per choice, written to be obviously right rather than fast."""
    result = ChatFold()
    for event in events:
        usage = event.get("usage") or (event.get("x_groq") or {}).get("usage")
        if usage is not None:
            result.usage = usage
        for choice in event.get("choices") or []:
            into = result.choices.setdefault(choice.get("index", 0), ChoiceFold())
            delta = choice.get("delta") or {}
            _fold_content(into, delta.get("content"))
            into.reasoning += delta.get("reasoning_content") or delta.get("reasoning") or ""
            into.refusal += delta.get("refusal") or ""
            for call in delta.get("tool_calls") or []:
                _fold_call(into, call)
            if choice.get("finish_reason") is not None:
                into.finish = choice["finish_reason"]
    return result


def _expected_usage(provider: str, upstream: dict[str, Any]) -> dict[str, int]:
    """OpenAI semantics of an upstream usage object (xAI leaves reasoning out of completion_tokens)."""
    completion = upstream["completion_tokens"]
    if provider == "xai":
        completion += upstream["completion_tokens_details"]["reasoning_tokens"]
    if provider == "deepseek":
        cached = upstream["prompt_cache_hit_tokens"]
    else:
        cached = (upstream.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    return {
        "prompt_tokens": upstream["prompt_tokens"],
        "completion_tokens": completion,
        "total_tokens": upstream["prompt_tokens"] + completion,
        "cached_tokens": cached,
    }


def _usage_numbers(usage: dict[str, Any]) -> dict[str, int]:
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {key: usage[key] for key in keys} | {"cached_tokens": usage["prompt_tokens_details"]["cached_tokens"]}


@pytest.mark.parametrize("recording", CHAT, ids=_ids)
def test_chat_fold_matches_the_upstream_fold(recording: Recording) -> None:
    chunks, _ = recording.chunks
    theirs = chat_reference_fold(recording.events)
    snapshot = fold(chunks)  # the openai SDK's ChatCompletionStreamState over our chunks
    assert [c.index for c in snapshot.choices] == sorted(theirs.choices)
    for choice in snapshot.choices:
        expected, message = theirs.choices[choice.index], choice.message
        assert (message.content or "") == expected.content
        assert ((message.model_extra or {}).get("reasoning_content") or "") == expected.reasoning
        assert (message.refusal or "") == expected.refusal
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
        assert calls == [(c["id"], c["name"], c["arguments"]) for c in expected.calls.values()]
        assert choice.finish_reason == expected.finish
    if theirs.usage is None:
        assert _usage_chunk(chunks) is None and "usage" not in chunks[-1]
        return
    usage_chunk = _usage_chunk(chunks)
    ours = usage_chunk["usage"] if usage_chunk is not None else chunks[-1]["usage"]  # or beside the error
    assert _usage_numbers(ours) == _expected_usage(recording.provider, theirs.usage)
    assert ours["native_usage"] == theirs.usage
    if usage_chunk is not None:
        assert snapshot.usage is not None
        assert (snapshot.usage.prompt_tokens, snapshot.usage.completion_tokens) == (
            ours["prompt_tokens"],
            ours["completion_tokens"],
        )


# -- 3b. Responses: the SDK's final Response ---------------------------------------------------------------


def _sdk_final_response(events: list[Event]) -> Any:
    """What ``ResponseStreamState`` reports on ``response.completed``, fed SDK-validated event models."""
    from openai import omit
    from openai.lib.streaming.responses._responses import ResponseStreamState

    from tests.test_responses_fixtures import validate

    state: Any = ResponseStreamState(input_tools=omit, text_format=omit)
    final = None
    for position, event in enumerate(events):
        for emitted in state.handle_event(validate(event, position)):
            if emitted.type == "response.completed":
                final = emitted.response
    assert final is not None, "no response.completed"
    return final


def _items(response: Any, kind: str) -> list[Any]:
    return [item for item in response.output if item.type == kind]


def _raw_final(events: list[Event]) -> dict[str, Any]:
    final: dict[str, Any] = next(e["response"] for e in events if e["type"] == "response.completed")
    return final


def _details(message: Any, kind: str) -> list[dict[str, Any]]:
    return [d for d in (message.model_extra or {}).get("reasoning_details") or [] if d["type"] == kind]


@pytest.mark.parametrize("recording", COMPLETE_RESPONSES, ids=_ids)
def test_responses_fold_matches_the_sdk_final_response(recording: Recording) -> None:
    chunks, _ = recording.chunks
    theirs = _sdk_final_response(recording.events)
    (choice,) = fold(chunks).choices
    message = choice.message

    texts = [part.text for item in _items(theirs, "message") for part in item.content if part.type == "output_text"]
    assert (message.content or "") == "".join(texts)
    summaries = [part.text for item in _items(theirs, "reasoning") for part in item.summary]
    assert ((message.model_extra or {}).get("reasoning_content") or "") == SUMMARY_SEPARATOR.join(summaries)

    functions = _items(theirs, "function_call")
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    assert calls == [(f.call_id, f.name, f.arguments) for f in functions]
    assert choice.finish_reason == ("tool_calls" if functions else "stop")

    # encrypted_content is a Fernet token, encrypted anew (new timestamp and IV) each time the API serializes the
    # item: added, done and completed all differ. Ours is the item's own at output_item.done; the completed
    # response's has the same id and length.
    encrypted = [(r.id, len(r.encrypted_content)) for r in _items(theirs, "reasoning") if r.encrypted_content]
    sent = _details(message, "reasoning.encrypted")
    assert [(d["id"], len(d["data"])) for d in sent] == encrypted
    done = [e["item"] for e in recording.events if e["type"] == "response.output_item.done"]
    assert [(d["id"], d["data"]) for d in sent] == [
        (item["id"], item["encrypted_content"]) for item in done if item.get("encrypted_content")
    ]

    raw_output = _raw_final(recording.events)["output"]
    servers = [item for item in raw_output if item["type"] == "web_search_call"]
    blocks = [
        {k: v for k, v in b.items() if k != "index"} for b in (message.model_extra or {}).get("server_blocks", [])
    ]
    assert blocks == servers


@pytest.mark.parametrize("recording", COMPLETE_RESPONSES, ids=_ids)
def test_responses_usage_is_the_upstream_usage(recording: Recording) -> None:
    chunks, _ = recording.chunks
    usage = _sdk_final_response(recording.events).usage
    ours = _usage_chunk(chunks)
    assert ours is not None
    assert _usage_numbers(ours["usage"]) == {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "cached_tokens": usage.input_tokens_details.cached_tokens,
    }
    assert (
        ours["usage"]["completion_tokens_details"]["reasoning_tokens"] == usage.output_tokens_details.reasoning_tokens
    )
    assert ours["usage"]["native_usage"] == _raw_final(recording.events)["usage"]


@pytest.mark.parametrize("recording", [r for r in COMPLETE_RESPONSES if "url_citation" in r.body.decode()], ids=_ids)
def test_url_citations_select_the_same_text(recording: Recording) -> None:
    chunks, _ = recording.chunks
    theirs = _sdk_final_response(recording.events)
    message = fold(chunks).choices[0].message
    cited = [
        (part.text[a.start_index : a.end_index], a.url)
        for item in _items(theirs, "message")
        for part in item.content
        if part.type == "output_text"
        for a in part.annotations
        if a.type == "url_citation"
    ]
    assert cited
    ours = [a.url_citation for a in message.annotations or [] if a.type == "url_citation"]
    content = message.content or ""
    assert [(content[c.start_index : c.end_index], c.url) for c in ours] == cited


# -- 4. nothing lost ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("recording", _of("azure"), ids=_ids)
def test_azure_filter_results_are_kept(recording: Recording) -> None:
    chunks, _ = recording.chunks
    prompt_filters = [e["prompt_filter_results"] for e in recording.events if "prompt_filter_results" in e]
    assert prompt_filters and chunks[0]["prompt_filter_results"] == prompt_filters[0]
    assert all("prompt_filter_results" not in c for c in chunks[1:])
    theirs = [
        c["content_filter_results"] for e in recording.events for c in e["choices"] if c.get("content_filter_results")
    ]
    ours = [c["content_filter_results"] for chunk in chunks for c in chunk["choices"] if "content_filter_results" in c]
    assert theirs and ours == theirs


@pytest.mark.parametrize("recording", _of("openai"), ids=_ids)
def test_openai_moderation_and_logprobs_are_kept(recording: Recording) -> None:
    chunks, _ = recording.chunks
    moderation = [e["moderation"] for e in recording.events if "moderation" in e]
    usage_chunk = _usage_chunk(chunks)
    assert usage_chunk is not None
    assert usage_chunk.get("moderation") == (moderation[-1] if moderation else None)
    theirs = [c["logprobs"] for e in recording.events for c in e["choices"] if c.get("logprobs")]
    ours = [c["logprobs"] for chunk in chunks for c in chunk["choices"] if c.get("logprobs")]
    assert ours == theirs


def test_the_moderation_recording_is_there() -> None:
    if REAL is not None:
        assert any("moderation" in e for r in _of("openai") for e in r.events)


@pytest.mark.parametrize("recording", _of("groq"), ids=_ids)
def test_groq_x_groq_is_on_the_usage_chunk(recording: Recording) -> None:
    chunks, _ = recording.chunks
    merged: dict[str, Any] = {}
    for event in recording.events:
        merged.update(event.get("x_groq") or {})
    usage_chunk = _usage_chunk(chunks)
    if usage_chunk is None:  # the error recording: no usage upstream, so no usage chunk
        assert "usage" not in merged and "error" in chunks[-1]
        return
    assert usage_chunk["x_groq"] == merged


@pytest.mark.parametrize("recording", _of("openrouter"), ids=_ids)
def test_openrouter_provider_is_on_every_chunk(recording: Recording) -> None:
    chunks, _ = recording.chunks
    (provider,) = {e["provider"] for e in recording.events}
    assert all(c["provider"] == provider for c in chunks if "error" not in c)


# -- the comparisons are not vacuous --------------------------------------------------------------------------


def _features(recording: Recording) -> set[str]:
    """What a recording exercises of the comparisons above."""
    if not recording.responses:
        folded = chat_reference_fold(recording.events)
        choices = folded.choices.values()
        found = {"n>1"} if len(folded.choices) > 1 else set()
        found |= {
            name for name in ("content", "reasoning", "refusal", "calls") if any(getattr(c, name) for c in choices)
        }
        return found | {f"{recording.provider} reasoning" for c in choices if c.reasoning}
    if recording.name in ERROR_ENDINGS:
        return set()
    output = _raw_final(recording.events)["output"]
    found = {item["type"] for item in output}
    found |= {"encrypted" for item in output if item.get("encrypted_content")}
    found |= {"summary" for item in output if item.get("summary")}
    return found | {"url_citation" for e in recording.events if e["type"] == "response.output_text.annotation.added"}


def test_the_compared_features_are_in_the_recordings() -> None:
    """So that no comparison above passes by comparing nothing with nothing."""
    if REAL is None:
        return
    found = set().union(*map(_features, RECORDINGS))
    chat = {"n>1", "content", "reasoning", "refusal", "calls"}
    chat |= {f"{p} reasoning" for p in ("deepseek", "mistral", "xai", "groq", "openrouter")}
    responses = {"message", "reasoning", "function_call", "web_search_call", "encrypted", "summary", "url_citation"}
    assert chat | responses <= found, (chat | responses) - found
