"""Hypothesis strategies: valid Anthropic Messages streams (event dicts) and their SSE wire bytes.

The grammar follows https://docs.anthropic.com/en/docs/build-with-claude/streaming and the quirks of the
recordings in /work/shared/real-streams (see its SOURCES.md): whitespace padding after the JSON, pings
anywhere, an empty ``thinking_delta`` before the signature, no-argument tools that send one ``""``
``input_json_delta``, ``message_delta`` usage that overwrites (not extends) the ``message_start`` counts,
a text block before the thinking block, and a ``max_tokens`` cut that leaves the last block open.

* `anthropic_streams()`: a valid stream, as a list of event dicts.
* `sse_pieces(events)`: the same events as SSE bytes, one piece per event (formatting drawn at random).
* `ended_streams()`: a valid stream, or one ended by an ``error`` event, or cut off before message_stop.
* `anthropic_wire()`: ``(events, pieces)``.
* `splits(data)`: ``data`` cut at drawn offsets (1-byte pieces, empty pieces, cuts inside UTF-8 sequences
  and between CR and LF included).
* `mutated(data)`: ``data`` with bytes garbled, deleted or duplicated.
* `junk_events()`: JSON-ish dicts with the known field names holding values of random types.
"""

from __future__ import annotations

import json
import string
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "BLOCK_KINDS",
    "STOP_REASONS",
    "anthropic_streams",
    "anthropic_wire",
    "ended_streams",
    "json_values",
    "junk_events",
    "mutated",
    "splits",
    "sse_pieces",
    "texts",
    "tricky_strings",
]

STOP_REASONS = (
    "end_turn",
    "stop_sequence",
    "pause_turn",
    "max_tokens",
    "model_context_window_exceeded",
    "refusal",
)
"""Every documented stop reason but ``tool_use``, which is drawn only when a tool_use block was sent."""

BLOCK_KINDS = (
    "text",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
    "compaction",
    "future_block",
)

# -- text ----------------------------------------------------------------------------------------------

_SPECIAL_FRAGMENTS = (
    "",
    " ",
    "\n\n",
    "👋",
    "日本語のテキスト",
    "한국어",
    "\U0001f600\U0001f9d1\u200d\U0001f4bb",  # astral, with a ZWJ sequence
    "\U00020000\U0002a6d6",  # CJK extension B (astral)
    "é",
    "e\u0301",
    "\u2028\u2029",
    "\x85",  # NEL: a line break for str.splitlines, not for SSE
    "\r\n",
    "\r",
    "\x00",
    '"\\',
    "\\u0041",
    "data: x\n\nevent: y",
    "\ufeff",
    "\ufffd",
    "\x00value\x00",  # NUL-delimited, like an in-band placeholder an encoder might splice values into
    "{}",
)

texts = st.one_of(
    st.sampled_from(_SPECIAL_FRAGMENTS),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.text(alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x1FAFF, codec="utf-8"), max_size=4),
)
"""Fragments of model output: empty, ASCII, control characters, CJK, emoji and other astral characters."""

_ALNUM = string.ascii_letters + string.digits
_ids = st.text(alphabet=_ALNUM, min_size=1, max_size=24)
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
_counts = st.integers(min_value=0, max_value=200_000)
tricky_strings = st.sampled_from(["", "\x00value\x00", '"', "\\", "{}", "é", "👋", "\u2028", "\x00"])
"""Strings for the fields an encoder copies into every chunk (model, id): escapes, NUL, placeholders."""
_models = st.one_of(
    st.sampled_from(["claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-6"]), tricky_strings, texts
)
_urls = st.builds(lambda host, path: f"https://{host}.example/{path}", _ids, texts)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
tool_inputs = st.dictionaries(texts, json_values, max_size=5)


@st.composite
def json_fragments(draw: st.DrawFn, value: Any) -> list[str]:
    """``json.dumps(value)`` (drawn formatting) cut at drawn offsets, ``""`` fragments included."""
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
        allow_nan=False,
    )
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=10)))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in pairwise(bounds)]


# -- blocks ----------------------------------------------------------------------------------------------


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


@st.composite
def citations(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["web_search_result_location", "char_location", "page_location"]))
    cited = draw(texts)
    if kind == "web_search_result_location":
        return {
            "type": kind,
            "cited_text": cited,
            "url": draw(_urls),
            "title": draw(st.one_of(texts, st.none())),
            "encrypted_index": draw(_ids),
        }
    if kind == "char_location":
        start = draw(_counts)
        return {
            "type": kind,
            "cited_text": cited,
            "document_index": draw(st.integers(0, 5)),
            "document_title": draw(st.one_of(texts, st.none())),
            "start_char_index": start,
            "end_char_index": start + draw(_counts),
        }
    start = draw(st.integers(1, 50))
    return {
        "type": kind,
        "cited_text": cited,
        "document_index": draw(st.integers(0, 5)),
        "document_title": draw(st.one_of(texts, st.none())),
        "start_page_number": start,
        "end_page_number": start + draw(st.integers(0, 5)),
    }


@st.composite
def _text_block(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    start: dict[str, Any] = {"type": "text", "text": ""}
    if draw(st.booleans()):
        start = {"citations": [], "type": "text", "text": ""}
    deltas = draw(
        st.lists(
            st.one_of(
                st.builds(lambda t: {"type": "text_delta", "text": t}, texts),
                st.builds(lambda c: {"type": "citations_delta", "citation": c}, citations()),
            ),
            max_size=8,
        )
    )
    return [_start(index, start), *(_delta(index, d) for d in deltas)]


@st.composite
def _thinking_block(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    fragments = draw(st.lists(texts, max_size=8))
    if draw(st.booleans()):
        fragments.append("")  # the recordings send an empty thinking_delta before the signature
    signature = draw(st.text(alphabet=_ALNUM + "+/=", min_size=1, max_size=60))
    return [
        _start(index, {"type": "thinking", "thinking": "", "signature": ""}),
        *(_delta(index, {"type": "thinking_delta", "thinking": f}) for f in fragments),
        _delta(index, {"type": "signature_delta", "signature": signature}),
    ]


@st.composite
def _redacted_block(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    data = draw(st.text(alphabet=_ALNUM + "+/=", min_size=1, max_size=80))
    return [_start(index, {"type": "redacted_thinking", "data": data})]


@st.composite
def _input_fragments(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A tool's final input and the ``partial_json`` fragments that carry it."""
    value = draw(tool_inputs)
    if value:
        return value, draw(json_fragments(value))
    no_args: list[list[str]] = [[], [""], ["", ""], ["{}"], ["{", "}"], ["", "{}", ""]]
    return value, draw(st.sampled_from(no_args))


@st.composite
def _tool_block(draw: st.DrawFn, index: int) -> list[dict[str, Any]]:
    block = {"type": "tool_use", "id": "toolu_" + draw(_ids), "name": draw(_names), "input": {}}
    if draw(st.integers(0, 9)) == 9:  # input whole in the start, no deltas (as a non-streamed block would be)
        return [_start(index, {**block, "input": draw(tool_inputs)})]
    if draw(st.booleans()):
        block["caller"] = {"type": "direct"}
    _, fragments = draw(_input_fragments())
    return [_start(index, block), *(_delta(index, {"type": "input_json_delta", "partial_json": f}) for f in fragments)]


@st.composite
def _server_block(draw: st.DrawFn, index: int, kind: str) -> list[dict[str, Any]]:
    tool_id = draw(_ids)
    deltas: list[dict[str, Any]] = []
    if kind in ("server_tool_use", "mcp_tool_use"):
        prefix = "srvtoolu_" if kind == "server_tool_use" else "mcptoolu_"
        block: dict[str, Any] = {"type": kind, "id": prefix + tool_id, "name": draw(_names), "input": {}}
        if kind == "mcp_tool_use":
            block["server_name"] = draw(_names)
        _, fragments = draw(_input_fragments())
        deltas = [{"type": "input_json_delta", "partial_json": f} for f in fragments]
    elif kind == "web_search_tool_result":
        result = st.fixed_dictionaries(
            {
                "type": st.just("web_search_result"),
                "title": texts,
                "url": _urls,
                "encrypted_content": _ids,
                "page_age": st.one_of(st.none(), texts),
            }
        )
        error = st.fixed_dictionaries(
            {"type": st.just("web_search_tool_result_error"), "error_code": st.just("max_uses_exceeded")}
        )
        content = draw(st.one_of(st.lists(result, max_size=3), error))
        block = {"type": kind, "tool_use_id": "srvtoolu_" + tool_id, "content": content}
    elif kind == "mcp_tool_result":
        content = draw(st.lists(st.builds(lambda t: {"type": "text", "text": t}, texts), max_size=3))
        is_error = draw(st.booleans())
        block = {"type": kind, "tool_use_id": "mcptoolu_" + tool_id, "is_error": is_error, "content": content}
    elif kind == "compaction":
        block = {"type": kind, "content": None}
        fragments = draw(st.lists(texts, min_size=1, max_size=3))
        deltas = [{"type": "compaction_delta", "content": f} for f in fragments]
    elif kind == "container_upload":
        block = {"type": kind, "file_id": "file_" + tool_id}
    elif kind == "future_block":
        extra = draw(st.dictionaries(st.sampled_from(["payload", "id", "status"]), json_values, max_size=3))
        block = {**extra, "type": "future_block_" + draw(st.sampled_from(["a", "b"]))}
        # string values only: the openai fold concatenates repeated fields and cannot merge other lists
        deltas = [{"type": "future_delta", "value": v} for v in draw(st.lists(texts, max_size=2))]
    elif kind == "web_fetch_tool_result":
        document = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": draw(texts)},
            "title": draw(st.one_of(texts, st.none())),
        }
        content = {"type": "web_fetch_result", "url": draw(_urls), "retrieved_at": None, "content": document}
        block = {"type": kind, "tool_use_id": "srvtoolu_" + tool_id, "content": content}
    else:  # code execution results, delivered whole
        content = {
            "type": kind.replace("_tool_result", "_result"),
            "stdout": draw(texts),
            "stderr": draw(texts),
            "return_code": draw(st.integers(0, 255)),
            "content": [],
        }
        block = {"type": kind, "tool_use_id": "srvtoolu_" + tool_id, "content": content}
    return [_start(index, block), *(_delta(index, d) for d in deltas)]


@st.composite
def _block(draw: st.DrawFn, index: int, kind: str) -> list[dict[str, Any]]:
    if kind == "text":
        return draw(_text_block(index))
    if kind == "thinking":
        return draw(_thinking_block(index))
    if kind == "redacted_thinking":
        return draw(_redacted_block(index))
    if kind == "tool_use":
        return draw(_tool_block(index))
    return draw(_server_block(index, kind))


_block_kinds = st.sampled_from([*BLOCK_KINDS, "text", "text", "text", "thinking", "tool_use", "tool_use"])
"""Every block type, the common ones more often."""

# -- whole streams ------------------------------------------------------------------------------------


@st.composite
def _optional_count(draw: st.DrawFn, usage: dict[str, Any], key: str, *, none: bool = True) -> None:
    """Set ``usage[key]`` to a count, or None, or leave it absent."""
    choice = draw(st.sampled_from(["count", "none", "absent"] if none else ["count", "absent"]))
    if choice == "count":
        usage[key] = draw(_counts)
    elif choice == "none":
        usage[key] = None


@st.composite
def anthropic_streams(draw: st.DrawFn, *, max_blocks: int = 6, pings: bool = True) -> list[dict[str, Any]]:
    """A valid Anthropic Messages stream, as the list of its event dicts."""
    start_usage: dict[str, Any] = {"input_tokens": draw(_counts)}
    draw(_optional_count(start_usage, "cache_creation_input_tokens"))
    draw(_optional_count(start_usage, "cache_read_input_tokens"))
    if draw(st.booleans()):
        start_usage["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    start_usage["output_tokens"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        start_usage["service_tier"] = "standard"
    message = {
        "id": "msg_" + draw(st.one_of(_ids, tricky_strings, texts)),
        "type": "message",
        "role": "assistant",
        "model": draw(_models),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": message}]

    kinds = draw(st.lists(_block_kinds, max_size=max_blocks))
    tool_sent = "tool_use" in kinds
    reasons = [*STOP_REASONS, "tool_use"] if tool_sent else list(STOP_REASONS)
    reason = draw(st.sampled_from(reasons))
    if tool_sent and draw(st.booleans()):
        reason = "tool_use"
    leave_open = bool(kinds) and reason == "max_tokens" and draw(st.booleans())
    for index, kind in enumerate(kinds):
        block_events = draw(_block(index, kind))
        if leave_open and index == len(kinds) - 1:
            # A max_tokens cut: the last block gets some of its deltas and no content_block_stop.
            keep = draw(st.integers(1, len(block_events)))
            events.extend(block_events[:keep])
        else:
            events.extend(block_events)
            events.append({"type": "content_block_stop", "index": index})

    delta: dict[str, Any] = {"stop_reason": reason, "stop_sequence": None}
    if reason == "stop_sequence":
        delta["stop_sequence"] = draw(texts)
    if draw(st.booleans()):
        delta["stop_details"] = (
            {"type": "refusal", "category": "cyber", "explanation": draw(texts)} if reason == "refusal" else None
        )
    if draw(st.integers(0, 4)) == 4:
        delta["container"] = {"id": "container_" + draw(_ids), "expires_at": "2025-01-01T00:00:00Z"}
    end_usage: dict[str, Any] = {}
    draw(_optional_count(end_usage, "input_tokens"))
    draw(_optional_count(end_usage, "cache_creation_input_tokens"))
    draw(_optional_count(end_usage, "cache_read_input_tokens"))
    end_usage["output_tokens"] = draw(_counts)
    if draw(st.booleans()):
        end_usage["server_tool_use"] = {"web_search_requests": draw(st.integers(0, 5))}
    if draw(st.booleans()):
        end_usage["output_tokens_details"] = {"thinking_tokens": draw(_counts)}
    message_delta: dict[str, Any] = {"type": "message_delta", "delta": delta, "usage": end_usage}
    if draw(st.integers(0, 4)) == 4:
        message_delta["context_management"] = {"applied_edits": []}
    events.append(message_delta)
    events.append({"type": "message_stop"})

    if pings:
        positions = draw(st.lists(st.integers(0, len(events)), max_size=4))
        for position in sorted(positions, reverse=True):
            events.insert(position, {"type": "ping"})
    return events


_error_types = st.sampled_from(
    ["api_error", "overloaded_error", "rate_limit_error", "invalid_request_error", "request_too_large"]
)


@st.composite
def ended_streams(draw: st.DrawFn, **kwargs: Any) -> list[dict[str, Any]]:
    """A stream that ends cleanly, or with an ``error`` event at any point, or is cut off (no message_stop)."""
    events = draw(anthropic_streams(**kwargs))
    ending = draw(st.sampled_from(["complete", "complete", "error", "truncated"]))
    if ending == "complete":
        return events
    stop = next(i for i, e in enumerate(events) if e["type"] == "message_stop")
    cut = draw(st.integers(0, stop))
    if ending == "truncated":
        return events[:cut]
    error = {"type": _error_types, "message": texts}
    if draw(st.booleans()):
        error["details"] = st.none()
    return [*events[:cut], {"type": "error", "error": draw(st.fixed_dictionaries(error))}]


# -- the wire -----------------------------------------------------------------------------------------

_comment_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=10)
_eols = st.sampled_from(["\n", "\r\n", "\r"])
_maybe_id = st.one_of(st.none(), st.none(), st.none(), st.none(), _ids)
_event_format = st.tuples(
    st.sampled_from(["compact", "compact", "spaced", "lines"]),  # layout of the JSON
    st.booleans(),  # ensure_ascii
    st.text(alphabet=" \t", max_size=16),  # padding after the JSON
    st.sampled_from(["data: ", "data:"]),
    st.sampled_from(["before", "before", "before", "after", "none"]),  # the event: line
    st.tuples(_maybe_id, st.integers(0, 20)),  # an id: line, and where
    st.lists(st.tuples(_comment_text, st.integers(0, 20)), max_size=2),  # comment lines, and where
    st.one_of(st.none(), st.none(), st.none(), st.none(), _comment_text),  # a keep-alive after the event
)


@st.composite
def sse_pieces(draw: st.DrawFn, events: list[dict[str, Any]]) -> list[bytes]:
    """``events`` as SSE bytes, one piece per event (the first carries an optional BOM).

    Drawn per stream: the line ending (LF, CRLF or CR), a BOM, a missing last blank line; per event:
    whitespace padding after the JSON, comment lines, ``data:`` with or without the space, the ``event:``
    line (before, after, or absent), an ``id:`` line, and JSON spread over several ``data:`` lines.
    """
    eol = draw(_eols)
    pieces: list[bytes] = []
    for event in events:
        layout, ascii_only, padding, prefix, placement, (event_id, id_at), comments, keepalive = draw(_event_format)
        if layout == "compact":
            body = json.dumps(event, ensure_ascii=ascii_only, separators=(",", ":"))
        else:  # "lines": the JSON spread over several data: lines, which the decoder joins with LF
            body = json.dumps(event, ensure_ascii=ascii_only, indent=1 if layout == "lines" else None)
        lines = [prefix + line for line in body.split("\n")]
        lines[-1] += padding
        name = f"event: {event['type']}"
        if placement == "before":
            lines.insert(0, name)
        elif placement == "after":
            lines.append(name)
        if event_id is not None:
            lines.insert(id_at % (len(lines) + 1), "id: " + event_id)
        for comment, at in comments:
            lines.insert(at % (len(lines) + 1), ":" + comment)
        text = eol.join(lines) + eol + eol
        if keepalive is not None:
            text += ":" + keepalive + eol + eol
        pieces.append(text.encode("utf-8"))
    if pieces and draw(st.booleans()):
        pieces[0] = b"\xef\xbb\xbf" + pieces[0]
    if pieces and draw(st.integers(0, 4)) == 4:
        # the body ends without the last blank line (a recorded quirk): the end of input dispatches it
        pieces[-1] = pieces[-1][: -len(eol.encode()) * draw(st.integers(1, 2))]
    return pieces


@st.composite
def anthropic_wire(draw: st.DrawFn, *, ended: bool = False, **kwargs: Any) -> tuple[list[dict[str, Any]], list[bytes]]:
    """A valid stream's events and its SSE bytes, one piece per event; ``ended``: see `ended_streams`."""
    events = draw(ended_streams(**kwargs) if ended else anthropic_streams(**kwargs))
    return events, draw(sse_pieces(events))


def _interesting_offsets(data: bytes) -> list[int]:
    """Cuts inside a UTF-8 sequence, and between CR and LF."""
    return [i for i in range(1, len(data)) if 0x80 <= data[i] <= 0xBF or (data[i - 1] == 0x0D and data[i] == 0x0A)]


@st.composite
def splits(draw: st.DrawFn, data: bytes, *, max_bytewise: int = 2500) -> list[bytes]:
    """``data`` cut into pieces at drawn offsets; empty pieces included, ``b"".join`` gives ``data`` back.

    Bodies up to ``max_bytewise`` bytes may also come as 1-byte pieces, with or without empty reads between.
    """
    mode = draw(st.sampled_from(["random", "interesting", "interesting", "bytes", "bytes+empty"]))
    if mode.startswith("bytes") and len(data) > max_bytewise:
        mode = "interesting"  # keeps an example (and so shrinking) cheap
    if mode == "bytes":
        return [data[i : i + 1] for i in range(len(data))]
    if mode == "bytes+empty":  # 1-byte pieces with empty reads between them
        return [piece for i in range(len(data)) for piece in (data[i : i + 1], b"")]
    offsets = st.integers(min_value=0, max_value=len(data))
    interesting = _interesting_offsets(data)
    if mode == "interesting" and interesting:
        offsets = st.one_of(st.sampled_from(interesting), offsets)
    cuts = draw(st.lists(offsets, max_size=30))
    cuts += draw(st.lists(offsets, max_size=4)) * 2  # cut twice: an empty piece
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes garbled, spans deleted or duplicated."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["garble", "delete", "duplicate", "insert", "long"]))
        at = draw(st.integers(0, len(buf)))
        size = draw(st.integers(1, 40))
        if op == "garble" and at < len(buf):
            buf[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del buf[at : at + size]
        elif op == "duplicate":
            buf[at:at] = buf[at : at + size]
        elif op == "long":  # a long comment line (or the tail of the line it lands in)
            buf[at:at] = b"\n:" + b"c" * draw(st.integers(100, 3000)) + b"\n"
        else:
            buf[at:at] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b"\xff", b"\xe6\x97", b":", b"{", b"\x00"]))
    return bytes(buf)


# -- junk ---------------------------------------------------------------------------------------------

_EVENT_TYPES = (
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
    "text",
    "unknown_event",
)
_FIELD_NAMES = (
    "type",
    "index",
    "message",
    "content_block",
    "delta",
    "usage",
    "id",
    "model",
    "name",
    "input",
    "text",
    "thinking",
    "signature",
    "data",
    "partial_json",
    "citation",
    "url",
    "stop_reason",
    "error",
    "message",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "output_tokens_details",
    "thinking_tokens",
    "context_management",
    "content",
)
_block_types = st.sampled_from(
    ["text", "thinking", "redacted_thinking", "tool_use", "server_tool_use", "compaction", "x"]
)
_delta_types = st.sampled_from(
    ["text_delta", "citations_delta", "thinking_delta", "signature_delta", "input_json_delta", "compaction_delta", "x"]
)
_any_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    _block_types,
    _delta_types,
    st.integers(-1, 3),
)


def _junk_dict(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(_FIELD_NAMES) | st.text(max_size=4), inner, max_size=6)


junk_values = st.recursive(_any_scalar, lambda inner: st.lists(inner, max_size=3) | _junk_dict(inner), max_leaves=20)


@st.composite
def junk_events(draw: st.DrawFn) -> Any:
    """A JSON-ish value shaped like an Anthropic event: known field names, values of random types."""
    if draw(st.integers(0, 19)) == 19:
        return draw(junk_values)  # not even a dict
    event = draw(_junk_dict(junk_values))
    if draw(st.integers(0, 4)) != 4:
        event["type"] = draw(st.sampled_from(_EVENT_TYPES) | _any_scalar)
    return event
