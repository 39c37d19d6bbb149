"""Deterministic, realistic provider stream bodies, generated in code (no files).

Each `Workload` names its provider (``anthropic``, ``gemini``, ``openai``, ``openai_responses``) and its
framing (`FRAMINGS`: ``sse``, ``sse-crlf``, ``json-array``); `frames` splits a body of any of them into the
JSON text of each event, for `decode_events` here and for the floor in `benchmarks.measure`.

Anthropic (``sse``): the wire shape copies the recordings in ``real-streams/anthropic``: every event is
``event: <type>\\ndata: <compact JSON>\\n\\n``; the JSON is padded with 0-15 spaces before its final
``}`` (``{"type":"message_stop"   }``), pings are ``{"type": "ping"}`` (with a space); text and
thinking deltas are short fragments of a few tokens (median about 10 characters, raw UTF-8 with the odd
``—``/``é``/``×``, escaped quotes and newlines); ``input_json_delta`` fragments are cuts of one JSON
document (about 7 characters on average, sometimes mid-escape); a tool_use block starts with ``"input": {}`` and
an empty first fragment.

Gemini copies ``real-streams/gemini`` and ``fixtures/gemini``: ``alt=sse`` is ``sse-crlf``
(``data: {...}\\r\\n\\r\\n``, JSON with a space after each colon and none after a comma, raw UTF-8,
``<``/``>``/``&`` escaped as ``\\u003c``…); without ``alt=sse`` the body is ``json-array``: one array of
pretty-printed (2-space) objects, ``[{`` … ``}\\n,\\r\\n{`` … ``}\\n]``. AI Studio text chunks carry a few
sentences (30-220 characters), cumulative ``usageMetadata``, ``modelVersion`` and ``responseId`` on every
chunk, ``index: 0``, and STOP on the last; the Vertex function-call stream (no ``index``, role before parts,
``createTime``, ``usageMetadata`` only ``{trafficType}`` until the last chunk) has thought parts, then
``functionCall {name, willContinue}`` with a signature, one ``partialArgs`` piece per chunk, ``functionCall:
{}`` to close, and an empty text part with STOP and the full usage.

OpenAI Chat Completions copies ``real-streams/openai-chat``: ``data: <compact JSON>\\n\\n`` (LF), raw UTF-8,
every chunk ``id, object, created, model, service_tier, system_fingerprint, choices``, then ``usage: null``
(until the usage chunk) and ``obfuscation`` (random padding, shorter for longer deltas); one token per
content delta; the role chunk ``{"role": "assistant", "content": "", "refusal": null}``; the finish chunk
with an empty delta; the ``choices: []`` usage chunk (``stream_options.include_usage``); gpt-5's trailing
``choices: []`` moderation chunk; ``data: [DONE]``. gpt-4o-mini adds ``logprobs: null`` to every choice and
a ``system_fingerprint``; its parallel tool calls stream one after the other, each opened by a delta with
``index``, ``id``, ``type``, ``function.name`` and ``arguments: ""``.

The Responses API copies ``real-streams/openai-responses`` (gpt-5.2/5.5, the current shape):
``event: <type>\\ndata: <JSON>\\n\\n``, the JSON's keys ``type`` first then sorted, ``sequence_number`` on
every event, ``obfuscation`` on the deltas (``logprobs: []`` too on text deltas); response.created and
response.in_progress carry the whole response object, the ``.done`` events and response.completed repeat
the whole text (response.completed: the whole output and the usage).

Reads: `event_reads` groups whole events 1-4 per read (the way an HTTP/1.1 chunked or HTTP/2 response
arrives: the server flushes per event, the client's read returns what has arrived); `fixed_reads` cuts
the body every N bytes regardless of event boundaries (a buffered reader), which splits lines and UTF-8
sequences. Both are lazy, so a 100k-delta stream is never held whole.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import struct
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from translators.eventstream import encode_event

__all__ = [
    "FRAMINGS",
    "Workload",
    "bedrock_reasoning_tool_events",
    "bedrock_reasoning_tool_workload",
    "bedrock_text_events",
    "bedrock_text_workload",
    "cohere_text_events",
    "cohere_text_workload",
    "cohere_tool_plan_calls_events",
    "cohere_tool_plan_calls_workload",
    "decode_events",
    "event_reads",
    "fixed_reads",
    "frames",
    "gemini_function_call_payloads",
    "gemini_function_call_workload",
    "gemini_text_payloads",
    "gemini_text_workload",
    "gemini_wire",
    "metered",
    "ollama_text_events",
    "ollama_text_workload",
    "ollama_thinking_events",
    "ollama_thinking_workload",
    "openai_text_events",
    "openai_text_workload",
    "openai_tool_events",
    "openai_tool_workload",
    "responses_reasoning_call_events",
    "responses_reasoning_call_workload",
    "responses_text_events",
    "responses_text_workload",
    "text_events",
    "text_workload",
    "thinking_tool_events",
    "thinking_tool_workload",
    "with_decoder",
]

MODEL = "claude-sonnet-4-5-20250929"

_WORD_TEXT = """
the a an of to in and or is are was be it that this for on with as by at from not but can will you
your we our they their if then so because when which while each every some more most less model
request stream token response value function return result error data field event chunk server
client message content block index delta usage input output cache latency throughput Python JSON
HTTP API parser buffer memory allocation decoder encoder string bytes list dict first second next
last simple clear safe fast small large careful important however therefore example instance
approach step check handle update compute read write send receive parse build
"""
_WORDS = _WORD_TEXT.split()
_PUNCT = (",", ".", ":", ";", "?", "!", " —", "…")
_SPECIAL = (
    "\n\n",
    "\n",
    "\n- ",
    "\n\n## ",
    "**",
    "`",
    " `stream()`",
    ' "quoted"',
    " (e.g.",
    ")",
    " café",
    " naïve",
    " 6544 × 65464",
    " →",
    " 42",
    " 3.14",
    " 100%",
    " ✓",
    "\t",
)


@dataclass
class Workload:
    """One generated stream: whose wire it is, the body as bytes, its reads, and its decoded events."""

    name: str
    description: str
    provider: str
    """The ``translators`` provider name, for ``stream()``/``translate()``."""
    framing: str
    """One of `FRAMINGS`: how `frames` (and the floor) split ``body`` into events."""
    body: bytes
    pieces: list[bytes]
    """The body in reads of 1-4 whole events (`event_reads`)."""
    events: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    decoder: Callable[[int], Any] | None = None
    """The wire decoder ``stream()`` is measured with (``decoder(max_event_size)``, as in `ProviderSpec`);
    None: the provider's own (its ``SPEC.decoder``)."""
    reference: bool = False
    """Measured for comparison only (a decoder ``stream()`` does not use by default): no target row."""
    streamer: Callable[[list[bytes]], Iterable[bytes]] | None = None
    """What is timed instead of ``stream()`` (``pieces -> output``); None: ``stream()``."""


def _fragment(rng: random.Random) -> str:
    """A few tokens of prose: what one text_delta/thinking_delta carries."""
    parts: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7))):
        r = rng.random()
        if r < 0.80:
            parts.append(" " + rng.choice(_WORDS))
        elif r < 0.93:
            parts.append(rng.choice(_PUNCT))
        else:
            parts.append(rng.choice(_SPECIAL))
    return "".join(parts)


def _prose(rng: random.Random, n_chars: int) -> str:
    """Fragments of prose up to at least ``n_chars`` characters."""
    text: list[str] = []
    size = 0
    while size < n_chars:
        piece = _fragment(rng)
        text.append(piece)
        size += len(piece)
    return "".join(text)


_PATH = "src/translators/example.py"


def _ident(rng: random.Random, prefix: str, n: int = 24) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(n))


def _event(rng: random.Random, payload: dict[str, Any]) -> bytes:
    raw = orjson.dumps(payload)
    raw = raw[:-1] + b" " * rng.randrange(16) + b"}"  # Anthropic's padding before the final brace
    name: str = payload["type"]
    return b"event: " + name.encode() + b"\ndata: " + raw + b"\n\n"


_PING = b'event: ping\ndata: {"type": "ping"}\n\n'
_PING_EVERY = 1000  # "a few pings": one after the first block start, then one per 1,000 deltas


def _message_start(rng: random.Random) -> bytes:
    message: dict[str, Any] = {
        "model": MODEL,
        "id": _ident(rng, "msg_01"),
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 1234,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 2048,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 1,
            "service_tier": "standard",
        },
    }
    return _event(rng, {"type": "message_start", "message": message})


def _message_end(rng: random.Random, stop_reason: str, output_tokens: int, thinking: int = 0) -> Iterator[bytes]:
    usage: dict[str, Any] = {
        "input_tokens": 1234,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 2048,
        "output_tokens": output_tokens,
    }
    if thinking:
        usage["output_tokens_details"] = {"thinking_tokens": thinking}
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    yield _event(rng, {"type": "message_delta", "delta": delta, "usage": usage})
    yield _event(rng, {"type": "message_stop"})


def _block_start(rng: random.Random, index: int, block: dict[str, Any]) -> bytes:
    return _event(rng, {"type": "content_block_start", "index": index, "content_block": block})


def _delta(rng: random.Random, index: int, delta: dict[str, Any]) -> bytes:
    return _event(rng, {"type": "content_block_delta", "index": index, "delta": delta})


def _block_stop(rng: random.Random, index: int) -> bytes:
    return _event(rng, {"type": "content_block_stop", "index": index})


def _text_block(rng: random.Random, index: int, n_deltas: int, ping_first: bool) -> Iterator[bytes]:
    yield _block_start(rng, index, {"type": "text", "text": ""})
    if ping_first:
        yield _PING
    for i in range(1, n_deltas + 1):
        yield _delta(rng, index, {"type": "text_delta", "text": _fragment(rng)})
        if i % _PING_EVERY == 0:
            yield _PING
    yield _block_stop(rng, index)


def text_events(n_deltas: int, seed: int = 1) -> Iterator[bytes]:
    """Workload (a), lazily: one text block of ``n_deltas`` text_delta events, as SSE event blocks."""
    rng = random.Random(seed)
    yield _message_start(rng)
    yield from _text_block(rng, 0, n_deltas, ping_first=True)
    yield from _message_end(rng, "end_turn", n_deltas * 2)


def _tool_arguments(rng: random.Random, n_fragments: int) -> list[str]:
    """One tool call's JSON input, cut at random places into exactly ``n_fragments`` non-empty pieces."""
    content = _prose(rng, n_fragments * 7)  # about 7 characters per fragment on average
    document = orjson.dumps({"path": _PATH, "content": content, "overwrite": True, "mode": 420}).decode()
    bounds = [0, *sorted(rng.sample(range(1, len(document)), n_fragments - 1)), len(document)]
    return [document[a:b] for a, b in itertools.pairwise(bounds)]


def thinking_tool_events(n_thinking: int, n_text: int, n_json: int, seed: int = 2) -> Iterator[bytes]:
    """Workload (b), lazily: thinking (deltas + signature), a short text, then a tool_use block."""
    rng = random.Random(seed)
    yield _message_start(rng)
    yield _block_start(rng, 0, {"type": "thinking", "thinking": "", "signature": ""})
    yield _PING
    for i in range(1, n_thinking + 1):
        yield _delta(rng, 0, {"type": "thinking_delta", "thinking": _fragment(rng)})
        if i % _PING_EVERY == 0:
            yield _PING
    signature = base64.b64encode(rng.randbytes(rng.randrange(300, 600))).decode()
    yield _delta(rng, 0, {"type": "signature_delta", "signature": signature})
    yield _block_stop(rng, 0)
    yield from _text_block(rng, 1, n_text, ping_first=False)
    tool = {"type": "tool_use", "id": _ident(rng, "toolu_01"), "name": "write_file", "input": {}}
    yield _block_start(rng, 2, tool)
    yield _delta(rng, 2, {"type": "input_json_delta", "partial_json": ""})
    for fragment in _tool_arguments(rng, n_json):
        yield _delta(rng, 2, {"type": "input_json_delta", "partial_json": fragment})
    yield _block_stop(rng, 2)
    yield from _message_end(rng, "tool_use", n_thinking + n_text + n_json, thinking=n_thinking)


# -- Gemini --------------------------------------------------------------------------------------------

GEMINI_MODEL = "gemini-2.5-flash"
VERTEX_MODEL = "gemini-3.1-pro-preview"


def _gemini_usage(prompt: int, candidates: int, thoughts: int) -> dict[str, Any]:
    """AI Studio's cumulative usageMetadata, in its wire key order."""
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        "thoughtsTokenCount": thoughts,
        "serviceTier": "standard",
    }


def gemini_text_payloads(n_chunks: int, seed: int = 4) -> Iterator[dict[str, Any]]:
    """Lazily: an AI Studio text answer in ``n_chunks`` responses (gemini-2.5-flash)."""
    rng = random.Random(seed)
    response_id = _ident(rng, "", 23)
    prompt, thoughts, candidates = 1234, rng.randrange(200, 900), 0
    for i in range(1, n_chunks + 1):
        text = _prose(rng, rng.randrange(30, 220))
        candidates += 1 + len(text) // 4
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
        if i == n_chunks:
            candidate["finishReason"] = "STOP"
        candidate["index"] = 0
        yield {
            "candidates": [candidate],
            "usageMetadata": _gemini_usage(prompt, candidates, thoughts),
            "modelVersion": GEMINI_MODEL,
            "responseId": response_id,
        }


def _partial_args(rng: random.Random, n_pieces: int) -> Iterator[dict[str, Any]]:
    """``n_pieces`` (at least 5) partialArgs pieces of ``{path, content, options: {overwrite, mode}}``:
    each string streamed with ``willContinue`` and closed by an empty ``stringValue``, as Vertex does."""
    yield {"jsonPath": "$.path", "stringValue": _PATH, "willContinue": True}
    yield {"jsonPath": "$.path", "stringValue": ""}
    for _ in range(n_pieces - 5):
        yield {"jsonPath": "$.content", "stringValue": _fragment(rng), "willContinue": True}
    yield {"jsonPath": "$.content", "stringValue": ""}
    yield {"jsonPath": "$.options.overwrite", "boolValue": True}  # sent together with the next one
    yield {"jsonPath": "$.options.mode", "numberValue": 420}


def gemini_function_call_payloads(n_thoughts: int, n_args: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """Lazily: Vertex thought parts, then one function call whose arguments stream as ``n_args``
    partialArgs chunks (at least 4; the last carries two pieces), closed by ``functionCall: {}``, then
    an empty text part with STOP."""
    rng = random.Random(seed)
    response_id = _ident(rng, "", 23)
    head = {"modelVersion": VERTEX_MODEL, "createTime": "2026-04-02T17:03:50.399550Z", "responseId": response_id}
    on_demand = {"trafficType": "ON_DEMAND"}

    def response(part: dict[str, Any], usage: dict[str, Any] = on_demand, **candidate: Any) -> dict[str, Any]:
        return {
            "candidates": [{"content": {"role": "model", "parts": [part]}, **candidate}],
            "usageMetadata": usage,
            **head,
        }

    for _ in range(n_thoughts):
        yield response({"text": _prose(rng, rng.randrange(40, 400)), "thought": True})
    signature = base64.b64encode(rng.randbytes(rng.randrange(300, 600))).decode()
    yield response({"functionCall": {"name": "write_file", "willContinue": True}, "thoughtSignature": signature})
    pieces = list(_partial_args(rng, n_args + 1))  # n_args chunks: the last two pieces share one
    for piece in pieces[:-2]:
        yield response({"functionCall": {"partialArgs": [piece], "willContinue": True}})
    yield response({"functionCall": {"partialArgs": pieces[-2:], "willContinue": True}})
    yield response({"functionCall": {}})
    prompt, candidates, thoughts = 412, n_args * 3, n_thoughts * 60
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": candidates}],
        "thoughtsTokenCount": thoughts,
    }
    yield response({"text": ""}, usage, finishReason="STOP")


def _gemini_json(payload: dict[str, Any], indent: int | None = None) -> bytes:
    """The service's JSON: a space after each colon (and none after a comma when not indented), raw
    UTF-8, and ``<``/``>``/``&`` escaped (they only occur inside strings, so this stays valid JSON)."""
    text = json.dumps(payload, ensure_ascii=False, indent=indent, separators=(",", ": "))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


_ARRAY_SEPARATOR = b"\n,\r\n"


def gemini_wire(payloads: Iterable[dict[str, Any]], framing: str) -> Iterator[bytes]:
    """Gemini responses as the body's blocks, one per response (the array's closing ``\\n]`` is a block of
    its own): ``sse-crlf`` for ``alt=sse``, ``json-array`` without it."""
    if framing == "sse-crlf":
        for payload in payloads:
            yield b"data: " + _gemini_json(payload) + b"\r\n\r\n"
        return
    if framing != "json-array":
        raise ValueError(f"Gemini has no {framing!r} framing")
    separator = b"["
    for payload in payloads:
        yield separator + _gemini_json(payload, indent=2)
        separator = _ARRAY_SEPARATOR
    yield b"[]" if separator == b"[" else b"\n]"


# -- OpenAI Chat Completions ---------------------------------------------------------------------------

OPENAI_TEXT_MODEL = "gpt-5-2025-08-07"
OPENAI_TOOL_MODEL = "gpt-4o-mini-2024-07-18"
_OBFUSCATION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(rng: random.Random) -> str:
    """One token of prose: what one OpenAI delta carries (a word, punctuation, or the odd special)."""
    r = rng.random()
    if r < 0.80:
        return " " + rng.choice(_WORDS)
    if r < 0.93:
        return rng.choice(_PUNCT)
    return rng.choice(_SPECIAL)


def _obfuscation(rng: random.Random, text: str = "") -> str:
    """OpenAI's ``obfuscation`` padding: random characters, fewer the longer the delta's text."""
    n = max(2, rng.randrange(12, 17) - len(text))
    return "".join(rng.choice(_OBFUSCATION_ALPHABET) for _ in range(n))


def _chat_usage(prompt: int, completion: int, reasoning: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


_MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "sexual",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm/intent",
    "self-harm/instructions",
    "self-harm",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def _moderation(rng: random.Random) -> dict[str, Any]:
    """The ``moderation`` object of gpt-5's trailing ``choices: []`` chunk (input and output results)."""

    def results() -> dict[str, Any]:
        result = {
            "type": "moderation_result",
            "model": "omni-moderation-latest",
            "flagged": False,
            "categories": dict.fromkeys(_MODERATION_CATEGORIES, False),
            "category_scores": {c: rng.random() * 1e-4 for c in _MODERATION_CATEGORIES},
            "category_applied_input_types": {c: ["text"] for c in _MODERATION_CATEGORIES},
        }
        return {"type": "moderation_results", "model": "omni-moderation-latest", "results": [result]}

    return {"input": results(), "output": results()}


def _chat_stream(rng: random.Random, model: str, fingerprint: str | None, logprobs: bool) -> Callable[..., bytes]:
    """A function making the SSE block of one chunk of a new stream: OpenAI's field order, ``service_tier``,
    ``system_fingerprint`` and ``obfuscation`` on every chunk, ``usage: null`` on every one but the usage
    chunk; ``delta=None`` makes a ``choices: []`` chunk."""
    chunk_id = _ident(rng, "chatcmpl-", 29)
    created = 1784728648

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, text: str = "", **top: Any) -> bytes:
        payload: dict[str, Any] = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": fingerprint,
        }
        if delta is None:
            payload["choices"] = []
        else:
            choice: dict[str, Any] = {"index": 0, "delta": delta}
            if logprobs:
                choice["logprobs"] = None
            choice["finish_reason"] = finish
            payload["choices"] = [choice]
        payload.update(top)
        if "usage" not in top:
            payload["usage"] = None
        payload["obfuscation"] = _obfuscation(rng, text)
        return b"data: " + orjson.dumps(payload) + b"\n\n"

    return chunk


_CHAT_DONE = b"data: [DONE]\n\n"


def openai_text_events(n_deltas: int, seed: int = 6) -> Iterator[bytes]:
    """Lazily, as SSE blocks: a gpt-5 Chat Completions text answer (``stream_options.include_usage``):
    the role chunk, ``n_deltas`` one-token content deltas, the finish chunk, the ``choices: []`` usage chunk,
    the trailing moderation chunk, ``data: [DONE]``."""
    rng = random.Random(seed)
    chunk = _chat_stream(rng, OPENAI_TEXT_MODEL, None, logprobs=False)
    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for _ in range(n_deltas):
        text = _token(rng)
        yield chunk({"content": text}, text=text)
    yield chunk({}, "stop")
    yield chunk(None, usage=_chat_usage(13, n_deltas, n_deltas // 4))
    yield chunk(None, moderation=_moderation(rng))
    yield _CHAT_DONE


def openai_tool_events(n_text: int, n_fragments: int, seed: int = 7) -> Iterator[bytes]:
    """Lazily, as SSE blocks: a gpt-4o-mini answer with ``n_text`` content deltas, then two parallel
    tool calls (one after the other, as OpenAI streams them) whose arguments come in ``n_fragments``
    fragments in all (at least 2 per call), ``finish_reason: tool_calls``, the usage chunk, ``[DONE]``."""
    rng = random.Random(seed)
    chunk = _chat_stream(rng, OPENAI_TOOL_MODEL, "fp_" + rng.randbytes(5).hex(), logprobs=True)
    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for _ in range(n_text):
        text = _token(rng)
        yield chunk({"content": text}, text=text)
    first = n_fragments // 2
    for index, n in enumerate((first, n_fragments - first)):
        call = {
            "index": index,
            "id": _ident(rng, "call_", 24),
            "type": "function",
            "function": {"name": "write_file", "arguments": ""},
        }
        yield chunk({"tool_calls": [call]})
        for fragment in _tool_arguments(rng, n):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, text=fragment)
    yield chunk({}, "tool_calls")
    yield chunk(None, usage=_chat_usage(412, n_text + n_fragments))
    yield _CHAT_DONE


# -- OpenAI Responses ----------------------------------------------------------------------------------

RESPONSES_MODEL = "gpt-5.5-2026-04-23"


def _responses_event(payload: dict[str, Any]) -> bytes:
    """``event: <type>\\ndata: <json>\\n\\n`` in the current shape: ``type`` first, then the event's other
    keys sorted (nested objects keep their own order), compact, raw UTF-8."""
    kind: str = payload["type"]
    ordered = {"type": kind, **{key: payload[key] for key in sorted(payload) if key != "type"}}
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(ordered) + b"\n\n"


class _Responses:
    """One Responses stream being generated: its response object and the next ``sequence_number``."""

    def __init__(self, rng: random.Random, tools: list[dict[str, Any]], effort: str | None) -> None:
        self.rng = rng
        self.sequence = 0
        created = 1785273853
        self.response: dict[str, Any] = {
            "id": "resp_" + rng.randbytes(25).hex(),
            "object": "response",
            "created_at": created,
            "status": "in_progress",
            "background": False,
            "completed_at": None,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "max_tool_calls": None,
            "model": RESPONSES_MODEL,
            "output": [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "prompt_cache_key": None,
            "reasoning": {"effort": effort, "summary": "detailed" if effort else None},
            "safety_identifier": None,
            "service_tier": "default",
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": tools,
            "top_logprobs": 0,
            "top_p": 0.98,
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": {},
        }

    def event(self, kind: str, **fields: Any) -> bytes:
        block = _responses_event({"type": kind, **fields, "sequence_number": self.sequence})
        self.sequence += 1
        return block

    def start(self) -> Iterator[bytes]:
        yield self.event("response.created", response=self.response)
        yield self.event("response.in_progress", response=self.response)

    def completed(self, output: list[dict[str, Any]], usage: dict[str, Any]) -> bytes:
        response = {**self.response, "status": "completed", "completed_at": self.response["created_at"] + 9}
        response.update(output=output, usage=usage)
        return self.event("response.completed", response=response)


def _responses_usage(prompt: int, output: int, reasoning: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + output,
    }


def responses_text_events(n_deltas: int, seed: int = 8) -> Iterator[bytes]:
    """Lazily, as SSE blocks: a Responses text answer: created, in_progress, the message item and its
    content part added, ``n_deltas`` one-token ``response.output_text.delta`` (with ``logprobs: []`` and
    ``obfuscation``), the ``.done`` events repeating the text, and response.completed with the whole output
    and usage."""
    rng = random.Random(seed)
    stream = _Responses(rng, [], None)
    yield from stream.start()
    item_id = "msg_" + rng.randbytes(25).hex()
    message: dict[str, Any] = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "phase": "final_answer",
        "role": "assistant",
    }
    at = {"item_id": item_id, "output_index": 0, "content_index": 0}
    yield stream.event("response.output_item.added", item=message, output_index=0)
    part: dict[str, Any] = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    yield stream.event("response.content_part.added", part=part, **at)
    texts: list[str] = []
    for _ in range(n_deltas):
        text = _token(rng)
        texts.append(text)
        yield stream.event(
            "response.output_text.delta", delta=text, logprobs=[], obfuscation=_obfuscation(rng, text), **at
        )
    text = "".join(texts)
    yield stream.event("response.output_text.done", logprobs=[], text=text, **at)
    part = {**part, "text": text}
    yield stream.event("response.content_part.done", part=part, **at)
    message = {**message, "status": "completed", "content": [part]}
    yield stream.event("response.output_item.done", item=message, output_index=0)
    yield stream.completed([message], _responses_usage(21, n_deltas, 0))


def responses_reasoning_call_events(n_summary: int, n_arguments: int, seed: int = 9) -> Iterator[bytes]:
    """Lazily, as SSE blocks: a reasoning item (encrypted content) whose summary streams as ``n_summary``
    ``response.reasoning_summary_text.delta`` over two summary parts, then a function call whose arguments
    stream as ``n_arguments`` ``response.function_call_arguments.delta``, the ``.done`` events, and
    response.completed."""
    rng = random.Random(seed)
    tool = {
        "type": "function",
        "description": "Write a file",
        "name": "write_file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "additionalProperties": True},
        "strict": False,
    }
    stream = _Responses(rng, [tool], "medium")
    yield from stream.start()
    reasoning_id = "rs_" + rng.randbytes(25).hex()
    encrypted = "gAAAAA" + base64.urlsafe_b64encode(rng.randbytes(rng.randrange(900, 1400))).decode()
    reasoning: dict[str, Any] = {"id": reasoning_id, "type": "reasoning", "encrypted_content": encrypted, "summary": []}
    yield stream.event("response.output_item.added", item=reasoning, output_index=0)
    summaries: list[dict[str, Any]] = []
    first = n_summary // 2
    for index, n in enumerate((first, n_summary - first)):
        at = {"item_id": reasoning_id, "output_index": 0, "summary_index": index}
        part: dict[str, Any] = {"type": "summary_text", "text": ""}
        yield stream.event("response.reasoning_summary_part.added", part=part, **at)
        texts = [f"**{_prose(rng, 20).strip().capitalize()}**\n\n"]
        yield stream.event("response.reasoning_summary_text.delta", delta=texts[0], obfuscation=_obfuscation(rng), **at)
        for _ in range(n - 1):
            text = _token(rng)
            texts.append(text)
            yield stream.event(
                "response.reasoning_summary_text.delta", delta=text, obfuscation=_obfuscation(rng, text), **at
            )
        part = {**part, "text": "".join(texts)}
        summaries.append(part)
        yield stream.event("response.reasoning_summary_text.done", text=part["text"], **at)
        yield stream.event("response.reasoning_summary_part.done", part=part, **at)
    reasoning = {**reasoning, "summary": summaries}
    yield stream.event("response.output_item.done", item=reasoning, output_index=0)
    call_id = "fc_" + rng.randbytes(25).hex()
    call: dict[str, Any] = {
        "id": call_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": _ident(rng, "call_", 24),
        "name": "write_file",
    }
    yield stream.event("response.output_item.added", item=call, output_index=1)
    fragments = _tool_arguments(rng, n_arguments)
    at = {"item_id": call_id, "output_index": 1}
    for fragment in fragments:
        yield stream.event(
            "response.function_call_arguments.delta", delta=fragment, obfuscation=_obfuscation(rng, fragment), **at
        )
    arguments = "".join(fragments)
    yield stream.event("response.function_call_arguments.done", arguments=arguments, **at)
    call = {**call, "status": "completed", "arguments": arguments}
    yield stream.event("response.output_item.done", item=call, output_index=1)
    yield stream.completed([reasoning, call], _responses_usage(412, n_summary + n_arguments + 300, n_summary + 300))


# -- Amazon Bedrock (ConverseStream) -------------------------------------------------------------------

_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _bedrock_message(rng: random.Random, event_type: str, payload: dict[str, Any]) -> bytes:
    """One event-stream message as Bedrock sends it: the payload's top-level keys sorted, with the
    random-length ``"p"`` padding (a prefix of ``abc…XYZ0…9``) among them, compact JSON, the
    ``:event-type``, ``:content-type`` and ``:message-type`` headers (`encode_event`)."""
    padded = {**payload, "p": _PADDING[: rng.randrange(1, len(_PADDING))]}
    return encode_event({event_type: {key: padded[key] for key in sorted(padded)}})


def _bedrock_end(rng: random.Random, stop_reason: str, output_tokens: int) -> Iterator[bytes]:
    yield _bedrock_message(rng, "messageStop", {"stopReason": stop_reason})
    usage = {"inputTokens": 1234, "outputTokens": output_tokens, "totalTokens": 1234 + output_tokens}
    yield _bedrock_message(rng, "metadata", {"metrics": {"latencyMs": rng.randrange(900, 30000)}, "usage": usage})


def _bedrock_delta(rng: random.Random, index: int, delta: dict[str, Any]) -> bytes:
    return _bedrock_message(rng, "contentBlockDelta", {"contentBlockIndex": index, "delta": delta})


def bedrock_text_events(n_deltas: int, seed: int = 10) -> Iterator[bytes]:
    """Lazily, as event-stream messages: a Claude-on-Bedrock text answer: messageStart, ``n_deltas``
    text deltas of 1-50 characters (no contentBlockStart: a text block has none), contentBlockStop,
    messageStop, metadata (usage, latency). Every payload carries ``"p"`` padding."""
    rng = random.Random(seed)
    yield _bedrock_message(rng, "messageStart", {"role": "assistant"})
    for _ in range(n_deltas):
        yield _bedrock_delta(rng, 0, {"text": _prose(rng, rng.randrange(1, 40))})
    yield _bedrock_message(rng, "contentBlockStop", {"contentBlockIndex": 0})
    yield from _bedrock_end(rng, "end_turn", n_deltas * 6)


def bedrock_reasoning_tool_events(n_reasoning: int, n_text: int, n_input: int, seed: int = 11) -> Iterator[bytes]:
    """Lazily, as event-stream messages: reasoning (``reasoningContent.text`` deltas, then its signature),
    a short text, then a tool call (``contentBlockStart`` toolUse, ``n_input`` ``toolUse.input``
    fragments), messageStop ``tool_use``, metadata."""
    rng = random.Random(seed)
    yield _bedrock_message(rng, "messageStart", {"role": "assistant"})
    for _ in range(n_reasoning):
        yield _bedrock_delta(rng, 0, {"reasoningContent": {"text": _fragment(rng)}})
    signature = base64.b64encode(rng.randbytes(rng.randrange(300, 600))).decode()
    yield _bedrock_delta(rng, 0, {"reasoningContent": {"signature": signature}})
    yield _bedrock_message(rng, "contentBlockStop", {"contentBlockIndex": 0})
    for _ in range(n_text):
        yield _bedrock_delta(rng, 1, {"text": _fragment(rng)})
    yield _bedrock_message(rng, "contentBlockStop", {"contentBlockIndex": 1})
    tool = {"name": "write_file", "toolUseId": _ident(rng, "tooluse_", 22)}
    yield _bedrock_message(rng, "contentBlockStart", {"contentBlockIndex": 2, "start": {"toolUse": tool}})
    for fragment in _tool_arguments(rng, n_input):
        yield _bedrock_delta(rng, 2, {"toolUse": {"input": fragment}})
    yield _bedrock_message(rng, "contentBlockStop", {"contentBlockIndex": 2})
    yield from _bedrock_end(rng, "tool_use", n_reasoning + n_text + n_input)


_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")


def eventstream_frames(body: bytes) -> list[tuple[bytes, bytes]]:
    """The (raw headers, payload) of each event-stream message of a whole body, both CRCs checked
    (`ValueError` on a mismatch). The minimal walk: the prelude's lengths say where the headers and
    the payload are; the headers are not parsed."""
    found = []
    view = memoryview(body)
    crc32 = zlib.crc32
    unpack_prelude = _PRELUDE.unpack_from
    unpack_crc = _U32.unpack_from
    pos, end = 0, len(body)
    while pos < end:
        total, headers_length, prelude_crc = unpack_prelude(body, pos)
        last = pos + total - 4
        if crc32(view[pos : pos + 8]) != prelude_crc or crc32(view[pos:last]) != unpack_crc(body, last)[0]:
            raise ValueError(f"event-stream CRC mismatch in the message at byte {pos}")
        headers_end = pos + 12 + headers_length
        found.append((body[pos + 12 : headers_end], body[headers_end:last]))
        pos += total
    return found


def _event_type(raw_headers: bytes) -> str:
    """The ``:event-type`` header's string value, from raw headers (for `decode_events`, not timed)."""
    pos = 0
    while pos < len(raw_headers):
        name_end = pos + 1 + raw_headers[pos]
        name, value_type = raw_headers[pos + 1 : name_end], raw_headers[name_end]
        if value_type != 7:
            raise ValueError(f"unexpected header value type {value_type} in a generated body")
        value_end = name_end + 3 + int.from_bytes(raw_headers[name_end + 1 : name_end + 3], "big")
        if name == b":event-type":
            return raw_headers[name_end + 3 : value_end].decode()
        pos = value_end
    raise ValueError("no :event-type header")


# -- Cohere v2 chat --------------------------------------------------------------------------------------


def _cohere_event(payload: dict[str, Any]) -> bytes:
    """``event: <type>\\ndata: <compact JSON, type inside>\\n\\n``, raw UTF-8."""
    name: str = payload["type"]
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _cohere_start(rng: random.Random) -> bytes:
    message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return _cohere_event({"id": message_id, "type": "message-start", "delta": {"message": message}})


def _cohere_end(reason: str, billed: int, output_tokens: int) -> bytes:
    usage = {
        "billed_units": {"input_tokens": 119, "output_tokens": billed},
        "tokens": {"input_tokens": 1549, "output_tokens": output_tokens},
        "cached_tokens": 1504,
    }
    return _cohere_event({"type": "message-end", "delta": {"finish_reason": reason, "usage": usage}})


def cohere_text_events(n_deltas: int, seed: int = 12) -> Iterator[bytes]:
    """Lazily, as SSE blocks: a Cohere v2 text answer: message-start, content-start (text ``""``),
    ``n_deltas`` one-token content-delta, content-end, message-end COMPLETE with usage."""
    rng = random.Random(seed)
    yield _cohere_start(rng)
    content = {"type": "text", "text": ""}
    yield _cohere_event({"type": "content-start", "index": 0, "delta": {"message": {"content": content}}})
    for _ in range(n_deltas):
        delta = {"message": {"content": {"text": _token(rng)}}}
        yield _cohere_event({"type": "content-delta", "index": 0, "delta": delta})
    yield _cohere_event({"type": "content-end", "index": 0})
    yield _cohere_end("COMPLETE", n_deltas, n_deltas + 4)


def cohere_tool_plan_calls_events(n_plan: int, n_arguments: int, seed: int = 13) -> Iterator[bytes]:
    """Lazily, as SSE blocks: ``n_plan`` one-token tool-plan-delta, then two tool calls one after the
    other (tool-call-start with ``arguments: ""``, tool-call-delta fragments, ``n_arguments`` in all,
    tool-call-end), message-end TOOL_CALL."""
    rng = random.Random(seed)
    yield _cohere_start(rng)
    for _ in range(n_plan):
        yield _cohere_event({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": _token(rng)}}})
    first = n_arguments // 2
    for index, n in enumerate((first, n_arguments - first)):
        call = {
            "id": _ident(rng, "write_file_", 12).lower(),
            "type": "function",
            "function": {"name": "write_file", "arguments": ""},
        }
        yield _cohere_event({"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": call}}})
        for fragment in _tool_arguments(rng, n):
            message = {"tool_calls": {"function": {"arguments": fragment}}}
            yield _cohere_event({"type": "tool-call-delta", "index": index, "delta": {"message": message}})
        yield _cohere_event({"type": "tool-call-end", "index": index})
    yield _cohere_end("TOOL_CALL", n_plan + n_arguments, n_plan + n_arguments + 50)


# -- Ollama /api/chat ------------------------------------------------------------------------------------

OLLAMA_TEXT_MODEL = "llama3.2"
OLLAMA_THINKING_MODEL = "qwen3"


def _ollama_time(at: datetime) -> str:
    """Go's RFC 3339 with nanoseconds, as Ollama writes ``created_at``: trailing zeros of the fraction dropped."""
    fraction = f"{at.microsecond:06d}".rstrip("0")
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


class _Ollama:
    """One /api/chat stream being generated: its model and clock (one token every 10-40 ms)."""

    def __init__(self, rng: random.Random, model: str) -> None:
        self.rng = rng
        self.model = model
        self.at = datetime(2025, 5, 27, 22, 54, 57, 641643, tzinfo=timezone.utc)
        self.start = self.at

    def line(self, message: dict[str, Any], **end: Any) -> bytes:
        """One NDJSON line, in Go's field order: model, created_at, message, (done_reason,) done, (counts)."""
        self.at += timedelta(microseconds=self.rng.randrange(10_000, 40_000))
        payload: dict[str, Any] = {"model": self.model, "created_at": _ollama_time(self.at), "message": message}
        payload.update(end or {"done": False})
        return orjson.dumps(payload) + b"\n"

    def done(self, prompt: int, output: int) -> bytes:
        eval_ns = int((self.at - self.start).total_seconds() * 1e9)
        counts = {
            "done_reason": "stop",
            "done": True,
            "total_duration": eval_ns + 412_345_678,
            "load_duration": 30_771_500,
            "prompt_eval_count": prompt,
            "prompt_eval_duration": 381_574_178,
            "eval_count": output,
            "eval_duration": eval_ns,
        }
        return self.line({"role": "assistant", "content": ""}, **counts)


def ollama_text_events(n_deltas: int, seed: int = 14) -> Iterator[bytes]:
    """Lazily, as NDJSON lines: an /api/chat answer of ``n_deltas`` one-token objects
    (``{"role": "assistant", "content": …}``, ``done: false``), then the ``done: true`` object with the counts."""
    stream = _Ollama(random.Random(seed), OLLAMA_TEXT_MODEL)
    for _ in range(n_deltas):
        yield stream.line({"role": "assistant", "content": _token(stream.rng)})
    yield stream.done(26, n_deltas)


def ollama_thinking_events(n_thinking: int, n_text: int, seed: int = 15) -> Iterator[bytes]:
    """Lazily, as NDJSON lines: ``think: true``: ``n_thinking`` one-token thinking objects
    (``{"role", "content": "", "thinking": …}``), then ``n_text`` content objects, then ``done: true``."""
    stream = _Ollama(random.Random(seed), OLLAMA_THINKING_MODEL)
    for _ in range(n_thinking):
        yield stream.line({"role": "assistant", "content": "", "thinking": _token(stream.rng)})
    for _ in range(n_text):
        yield stream.line({"role": "assistant", "content": _token(stream.rng)})
    yield stream.done(18, n_thinking + n_text)


def event_reads(blocks: Iterable[bytes], seed: int = 3) -> Iterator[bytes]:
    """Whole events (SSE events, JSON-array elements) grouped 1-4 per read (deterministic)."""
    rng = random.Random(seed)
    group: list[bytes] = []
    want = rng.randint(1, 4)
    for block in blocks:
        group.append(block)
        if len(group) >= want:
            yield b"".join(group)
            group = []
            want = rng.randint(1, 4)
    if group:
        yield b"".join(group)


def fixed_reads(blocks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The body cut every ``size`` bytes, ignoring event (and UTF-8) boundaries."""
    buffer = bytearray()
    for block in blocks:
        buffer += block
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


FRAMINGS = ("sse", "sse-crlf", "json-array", "ndjson", "eventstream")
_BLANK_LINE = {"sse": b"\n\n", "sse-crlf": b"\r\n\r\n"}


def frames(body: bytes, framing: str) -> list[bytes]:
    """The JSON text of each event of a whole body: for SSE, the ``data: `` of each block between blank
    lines; for the JSON array, its elements split on the separator the service sends (``\\n,\\r\\n``, which
    cannot occur inside a pretty-printed element: raw newlines there are between tokens, and a comma
    ends its own line); for NDJSON, the lines; for the AWS event stream, each message's payload
    (`eventstream_frames`: both CRCs checked, the headers skipped). OpenAI chat's final ``data: [DONE]``
    is no event, and is left out. Only for the bodies generated here: no general SSE or JSON parser."""
    if framing == "json-array":
        inner = body[1:-1]  # between "[" and "]"
        return inner.split(_ARRAY_SEPARATOR) if inner.strip() else []
    if framing == "ndjson":  # every line ends in LF; JSON text has no raw newline
        return body[:-1].split(b"\n") if body else []
    if framing == "eventstream":
        return [payload for _, payload in eventstream_frames(body)]
    found = [data for block in body.split(_BLANK_LINE[framing]) if (data := block.partition(b"data: ")[2])]
    if found and found[-1] == b"[DONE]":  # OpenAI chat's end marker: no event (the SDKs swallow it)
        found.pop()
    return found


def decode_events(body: bytes, framing: str = "sse") -> list[dict[str, Any]]:
    """The body's events as dicts (what the SDK's raw stream, or translate()'s caller, hands over). For the
    AWS event stream: ``{<:event-type>: <payload>}``, as boto3's ``converse_stream`` yields them (the
    ``"p"`` padding kept, as `translators.eventstream.JSONFrameDecoder` keeps it)."""
    if framing == "eventstream":
        return [{_event_type(headers): orjson.loads(payload)} for headers, payload in eventstream_frames(body)]
    return [orjson.loads(data) for data in frames(body, framing)]


def _anthropic_kind(event: dict[str, Any]) -> str:
    kind: str = event["delta"]["type"] if event["type"] == "content_block_delta" else event["type"]
    return kind


def _gemini_kind(event: dict[str, Any]) -> str:
    """The kind of a response's first part: text, thought, functionCall (a call's start), partialArgs, or
    functionCall_end (the closing ``functionCall: {}``)."""
    part = event["candidates"][0]["content"]["parts"][0]
    call = part.get("functionCall")
    if call is not None:
        return "functionCall" if "name" in call else "partialArgs" if "partialArgs" in call else "functionCall_end"
    return "thought" if part.get("thought") else "text"


def _openai_kind(event: dict[str, Any]) -> str:
    """role, content, tool_call (a call's first delta), arguments, finish; usage or moderation for the
    ``choices: []`` chunks."""
    if not event["choices"]:
        return "usage" if event.get("usage") else "moderation" if "moderation" in event else "empty"
    choice = event["choices"][0]
    delta = choice["delta"]
    if choice.get("finish_reason"):
        return "finish"
    if "role" in delta:
        return "role"
    calls = delta.get("tool_calls")
    if calls:
        return "tool_call" if "id" in calls[0] else "arguments"
    return "content"


def _responses_kind(event: dict[str, Any]) -> str:
    """The event's type without ``response.`` (``output_text.delta`` …)."""
    kind: str = event["type"]
    return kind.removeprefix("response.")


def _bedrock_kind(event: dict[str, Any]) -> str:
    """The event type; for a delta, its kind (text, reasoningContent.text / .signature, toolUse)."""
    ((kind, payload),) = event.items()
    if kind != "contentBlockDelta":
        return str(kind)
    ((delta_kind, value),) = payload["delta"].items()
    if delta_kind == "reasoningContent":
        ((part, _),) = value.items()
        return f"reasoningContent.{part}"
    return str(delta_kind)


def _cohere_kind(event: dict[str, Any]) -> str:
    kind: str = event["type"]
    return kind


def _ollama_kind(event: dict[str, Any]) -> str:
    """done (the last object), thinking, or content."""
    if event["done"]:
        return "done"
    return "thinking" if event["message"].get("thinking") else "content"


_KINDS = {
    "anthropic": _anthropic_kind,
    "gemini": _gemini_kind,
    "openai": _openai_kind,
    "openai_responses": _responses_kind,
    "bedrock": _bedrock_kind,
    "cohere": _cohere_kind,
    "ollama": _ollama_kind,
}


def _workload(name: str, description: str, provider: str, framing: str, blocks: list[bytes]) -> Workload:
    body = b"".join(blocks)
    events = decode_events(body, framing)
    counts: dict[str, int] = {"events": len(events)}
    kind_of = _KINDS[provider]
    for event in events:
        kind = kind_of(event)
        counts[kind] = counts.get(kind, 0) + 1
    return Workload(name, description, provider, framing, body, list(event_reads(blocks)), events, counts)


def text_workload(n_deltas: int = 2000) -> Workload:
    return _workload("text", f"text: {n_deltas} text_delta", "anthropic", "sse", list(text_events(n_deltas)))


def thinking_tool_workload(n_thinking: int = 800, n_text: int = 400, n_json: int = 1000) -> Workload:
    description = f"thinking+tool: {n_thinking} thinking, {n_text} text, {n_json} input_json"
    blocks = list(thinking_tool_events(n_thinking, n_text, n_json))
    return _workload("thinking_tool", description, "anthropic", "sse", blocks)


def gemini_text_workload(n_chunks: int = 2000, framing: str = "sse-crlf") -> Workload:
    """The Gemini text stream over ``alt=sse`` (``sse-crlf``), or the same responses as the JSON-array body."""
    name, wire = ("gemini_text", "SSE") if framing == "sse-crlf" else ("gemini_text_array", "JSON array")
    blocks = list(gemini_wire(gemini_text_payloads(n_chunks), framing))
    return _workload(name, f"gemini text ({wire}): {n_chunks} chunks", "gemini", framing, blocks)


def gemini_function_call_workload(n_thoughts: int = 600, n_args: int = 1400) -> Workload:
    description = f"gemini thinking+call (SSE): {n_thoughts} thought, {n_args} partialArgs"
    blocks = list(gemini_wire(gemini_function_call_payloads(n_thoughts, n_args), "sse-crlf"))
    return _workload("gemini_call", description, "gemini", "sse-crlf", blocks)


def openai_text_workload(n_deltas: int = 2000) -> Workload:
    blocks = list(openai_text_events(n_deltas))
    return _workload("openai_text", f"openai text (SSE): {n_deltas} content deltas", "openai", "sse", blocks)


def openai_tool_workload(n_text: int = 20, n_fragments: int = 1000) -> Workload:
    description = f"openai tools (SSE): {n_text} content, 2 calls, {n_fragments} arguments"
    blocks = list(openai_tool_events(n_text, n_fragments))
    return _workload("openai_tool", description, "openai", "sse", blocks)


def responses_text_workload(n_deltas: int = 2000) -> Workload:
    description = f"responses text (SSE): {n_deltas} output_text deltas"
    blocks = list(responses_text_events(n_deltas))
    return _workload("responses_text", description, "openai_responses", "sse", blocks)


def responses_reasoning_call_workload(n_summary: int = 600, n_arguments: int = 1000) -> Workload:
    description = f"responses summary+call (SSE): {n_summary} summary, {n_arguments} arguments"
    blocks = list(responses_reasoning_call_events(n_summary, n_arguments))
    return _workload("responses_reasoning_call", description, "openai_responses", "sse", blocks)


def bedrock_text_workload(n_deltas: int = 2000) -> Workload:
    description = f"bedrock text (event stream): {n_deltas} text deltas"
    blocks = list(bedrock_text_events(n_deltas))
    return _workload("bedrock_text", description, "bedrock", "eventstream", blocks)


def bedrock_reasoning_tool_workload(n_reasoning: int = 800, n_text: int = 400, n_input: int = 1000) -> Workload:
    description = f"bedrock reasoning+tool (event stream): {n_reasoning} reasoning, {n_text} text, {n_input} input"
    blocks = list(bedrock_reasoning_tool_events(n_reasoning, n_text, n_input))
    return _workload("bedrock_reasoning_tool", description, "bedrock", "eventstream", blocks)


def with_decoder(
    workload: Workload, decoder: Callable[[int], Any], suffix: str, *, reference: bool = False
) -> Workload:
    """The same workload measured with another wire decoder: named ``<name>_<suffix>``, the decoder's class
    named in the description; ``reference``: for comparison only (no target row)."""
    name = getattr(decoder, "__name__", type(decoder).__name__)
    description = workload.description.replace(")", f", {name})", 1)
    return replace(
        workload, name=f"{workload.name}_{suffix}", description=description, decoder=decoder, reference=reference
    )


def metered(workload: Workload) -> Workload:
    """The same workload through `translators.gateway.stream` with a price table (``_gateway``, reference):
    what metering, the usage report and the gateway usage chunk cost on top of ``stream()``."""
    from translators import gateway
    from translators.pricing import load_prices

    prices = load_prices({"credit_unit": "0.0001", "models": {"*": {"prompt": 3, "completion": 15}}})
    provider = workload.provider

    def run(pieces: list[bytes]) -> Iterable[bytes]:
        return gateway.stream(provider, pieces, created=1, prices=prices, on_usage=lambda report: None)

    description = workload.description.replace(")", ", translators.gateway with prices)", 1)
    return replace(workload, name=f"{workload.name}_gateway", description=description, streamer=run, reference=True)


def cohere_text_workload(n_deltas: int = 2000) -> Workload:
    blocks = list(cohere_text_events(n_deltas))
    return _workload("cohere_text", f"cohere text (SSE): {n_deltas} content deltas", "cohere", "sse", blocks)


def cohere_tool_plan_calls_workload(n_plan: int = 400, n_arguments: int = 1000) -> Workload:
    description = f"cohere plan+calls (SSE): {n_plan} tool plan, 2 calls, {n_arguments} arguments"
    blocks = list(cohere_tool_plan_calls_events(n_plan, n_arguments))
    return _workload("cohere_tool_plan_calls", description, "cohere", "sse", blocks)


def ollama_text_workload(n_deltas: int = 2000) -> Workload:
    blocks = list(ollama_text_events(n_deltas))
    return _workload("ollama_text", f"ollama text (NDJSON): {n_deltas} content", "ollama", "ndjson", blocks)


def ollama_thinking_workload(n_thinking: int = 1400, n_text: int = 600) -> Workload:
    description = f"ollama thinking (NDJSON): {n_thinking} thinking, {n_text} content"
    blocks = list(ollama_thinking_events(n_thinking, n_text))
    return _workload("ollama_thinking", description, "ollama", "ndjson", blocks)
