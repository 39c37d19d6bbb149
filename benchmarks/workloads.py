"""Deterministic, realistic Anthropic Messages SSE bodies, generated in code (no files).

The wire shape copies the recordings in ``real-streams/anthropic``: every event is
``event: <type>\\ndata: <compact JSON>\\n\\n``; the JSON is padded with 0-15 spaces before its final
``}`` (``{"type":"message_stop"   }``), pings are ``{"type": "ping"}`` (with a space); text and
thinking deltas are short fragments of a few tokens (median about 10 characters, raw UTF-8 with the odd
``—``/``é``/``×``, escaped quotes and newlines); ``input_json_delta`` fragments are cuts of one JSON
document (about 7 characters on average, sometimes mid-escape); a tool_use block starts with ``"input": {}`` and
an empty first fragment.

Reads: `event_reads` groups whole events 1-4 per read (the way an HTTP/1.1 chunked or HTTP/2 response
from Anthropic arrives: the server flushes per event, the client's read returns what has arrived);
`fixed_reads` cuts the body every N bytes regardless of event boundaries (a buffered reader), which
splits lines and UTF-8 sequences. Both are lazy, so a 100k-delta stream is never held whole.
"""

from __future__ import annotations

import base64
import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "Workload",
    "decode_events",
    "event_reads",
    "fixed_reads",
    "text_events",
    "text_workload",
    "thinking_tool_events",
    "thinking_tool_workload",
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
    """One generated stream: the body as bytes, its reads, and its decoded events for translate()."""

    name: str
    description: str
    body: bytes
    pieces: list[bytes]
    events: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def reads(self) -> str:
        return "1-4 whole events per read"


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
    text: list[str] = []
    size = 0
    while size < n_fragments * 7:  # about 7 characters per fragment on average
        piece = _fragment(rng)
        text.append(piece)
        size += len(piece)
    document = orjson.dumps(
        {"path": "src/translators/example.py", "content": "".join(text), "overwrite": True, "mode": 420}
    ).decode()
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


def event_reads(blocks: Iterable[bytes], seed: int = 3) -> Iterator[bytes]:
    """Whole SSE events grouped 1-4 per read (deterministic)."""
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


def decode_events(body: bytes) -> list[dict[str, Any]]:
    """The body's events as dicts (what the SDK's raw stream, or translate()'s caller, hands over)."""
    events = []
    for block in body.split(b"\n\n"):
        data = block.partition(b"data: ")[2]
        if data:
            events.append(orjson.loads(data))
    return events


def _workload(name: str, description: str, blocks: list[bytes]) -> Workload:
    body = b"".join(blocks)
    events = decode_events(body)
    counts: dict[str, int] = {"events": len(events)}
    for event in events:
        kind = event.get("delta", {}).get("type") if event["type"] == "content_block_delta" else event["type"]
        counts[kind] = counts.get(kind, 0) + 1
    return Workload(name, description, body, list(event_reads(blocks)), events, counts)


def text_workload(n_deltas: int = 2000) -> Workload:
    return _workload("text", f"text: {n_deltas} text_delta", list(text_events(n_deltas)))


def thinking_tool_workload(n_thinking: int = 800, n_text: int = 400, n_json: int = 1000) -> Workload:
    description = f"thinking+tool: {n_thinking} thinking, {n_text} text, {n_json} input_json"
    return _workload("thinking_tool", description, list(thinking_tool_events(n_thinking, n_text, n_json)))
