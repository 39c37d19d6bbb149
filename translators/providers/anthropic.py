"""Anthropic Messages streaming → OpenAI Chat Completions chunks.

Docs: https://docs.anthropic.com/en/docs/build-with-claude/streaming (event grammar),
https://docs.anthropic.com/en/api/messages (blocks, stop reasons, usage),
https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking (signatures, redacted thinking),
https://docs.anthropic.com/en/docs/build-with-claude/citations.

Grammar: ``message_start``, then per content block ``content_block_start`` / ``content_block_delta``* /
``content_block_stop``, then ``message_delta`` (stop reason, cumulative usage), then ``message_stop``.
``ping`` may come anywhere; ``error`` may end the stream at any point.

==================================================  ===============================================================
Anthropic event                                     OpenAI chunk
==================================================  ===============================================================
message_start                                       role chunk; ``id`` = ``"chatcmpl-" + message.id``,
                                                    ``model`` = message.model (the ``model`` option overrides)
text block: text_delta                              ``delta.content``
text block: citations_delta                         ``delta.annotations`` at the block's stop (see below)
thinking block: thinking_delta                      ``delta.<reasoning_field>`` and a ``reasoning_details`` entry
thinking block: signature_delta                     ``reasoning_details`` entry ``{"type": "reasoning.text",
                                                    "signature"}``
redacted_thinking block (data in the start)         ``reasoning_details`` entry ``{"type": "reasoning.encrypted",
                                                    "data"}``
tool_use block start                                ``tool_calls[{index, id, type: "function", function: {name,
                                                    arguments: ""}}]``; ``index`` counts tool_use blocks from 0
tool_use block: input_json_delta                    ``tool_calls[{index, function: {arguments: fragment}}]``,
                                                    verbatim; ``""`` fragments are skipped
tool_use block stop, no argument sent               ``arguments: "{}"``
any other block (server_tool_use, web_search_tool_  ``delta.server_blocks`` entry: ``{"index", **block}`` at the
result, web_fetch_tool_result, *code_execution_     start; each later delta as ``{"index", **delta minus type}``
tool_result, mcp_tool_use, mcp_tool_result,         (``partial_json`` for input_json_delta, ``content`` for
container_upload, compaction, and unknown types)    compaction_delta)
message_delta                                       the finish chunk: ``finish_reason`` from the table below,
                                                    ``native_finish_reason`` = stop_reason; ``stop_sequence``,
                                                    ``stop_details``, ``container`` and ``context_management``
                                                    when the provider sent them
message_stop                                        the usage chunk (``include_usage``), then ``[DONE]``
error                                               ``{"error": {message, type, code, param, native_error}}``
                                                    (type, code: `translators._http_errors`); no ``[DONE]``
ping; and the derived events of the SDK's           ignored (`IGNORED_EVENTS`)
``MessageStream`` helper (text, thinking, …)
end of input without message_stop                   ``{"error": {"type": "upstream_truncated", …}}``
==================================================  ===============================================================

``stop_reason`` → ``finish_reason``: see `FINISH_REASONS`; an unknown or missing reason maps to ``stop``.

Usage: ``message_delta.usage`` counts are cumulative and overwrite the ``message_start`` ones (a null or
absent count keeps the earlier value). ``prompt_tokens`` = input + cache_read + cache_creation;
``completion_tokens`` = output; ``prompt_tokens_details`` = ``{cached_tokens: cache_read,
cache_write_tokens: cache_creation}``; ``completion_tokens_details.reasoning_tokens`` from
``output_tokens_details.thinking_tokens`` when sent; ``native_usage`` = the merged Anthropic usage object.

Annotations: one entry per citation, sent when its text block stops (the citation's span in the answer is
only known then): ``{"index", "type": "url_citation", "url_citation": {url, title, start_index,
end_index}, "citation": <the Anthropic citation>}`` for citations with a ``url``; others are
``{"index", "type": <the citation's type>, "citation": ..., "start_index", "end_index"}``. The indexes are
the cited text block's span in the choice's ``content``, in code points.

Protocol violations raise `TranslationError`: an event before ``message_start`` or a second one, a
delta or stop for a block index never started (or already stopped), a delta type that does not fit
its block, an event without its required fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypedDict, cast

from translators._core import Options, ProviderSpec, stream_builder
from translators._json import dumps_any
from translators.chunks import Chunk, ChunkBuilder, ChunkOut, FinishReason, annotation, error_event, extension_entry
from translators.errors import TranslationError, stream_error
from translators.events import JSONEventDecoder

__all__ = ["FINISH_REASONS", "IGNORED_EVENTS", "SPEC", "AnthropicTranslator"]

PROVIDER: Final = "anthropic"
REASONING_FORMAT: Final = "anthropic-claude-v1"

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

IGNORED_EVENTS: Final = frozenset(
    {
        "ping",
        # Derived events that anthropic's MessageStream helper yields beside the raw ones it wraps.
        "text",
        "thinking",
        "signature",
        "citation",
        "input_json",
        "compaction",
    }
)
"""Event types read and deliberately dropped. Other unknown types are dropped too, unless ``strict``."""


# -- wire shapes (https://docs.anthropic.com/en/docs/build-with-claude/streaming) ---------------------


class Usage(TypedDict, total=False):
    input_tokens: int | None
    output_tokens: int
    cache_creation_input_tokens: int | None
    cache_read_input_tokens: int | None


class Message(TypedDict, total=False):
    id: str
    model: str
    usage: Usage


class MessageStartEvent(TypedDict):
    type: Literal["message_start"]
    message: Message


class ContentBlockStartEvent(TypedDict):
    type: Literal["content_block_start"]
    index: int
    content_block: dict[str, Any]


class ContentBlockDeltaEvent(TypedDict):
    type: Literal["content_block_delta"]
    index: int
    delta: dict[str, Any]


class MessageDeltaEvent(TypedDict, total=False):
    type: Literal["message_delta"]
    delta: dict[str, Any]
    usage: Usage
    context_management: dict[str, Any]


class ErrorEvent(TypedDict):
    type: Literal["error"]
    error: dict[str, Any]


# -- per-block state ----------------------------------------------------------------------------------

BlockKind = Literal["text", "thinking", "redacted_thinking", "tool_use", "server"]
_BLOCK_KINDS: Final[Mapping[str, BlockKind]] = {
    "text": "text",
    "thinking": "thinking",
    "redacted_thinking": "redacted_thinking",
    "tool_use": "tool_use",
}
_FINISH_EXTRAS: Final = ("stop_sequence", "stop_details", "container")
_DELTA_BLOCK: Final[Mapping[str, BlockKind]] = {
    "text_delta": "text",
    "citations_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "thinking",
    "input_json_delta": "tool_use",
}


class _Block:
    __slots__ = ("citations", "entry", "kind", "open", "sent", "start", "tool_input")

    def __init__(self, kind: BlockKind, start: int) -> None:
        self.kind = kind
        self.open = True
        self.start = start  # text: offset of the block in the content; others unused
        self.entry = -1  # index in the block's extension list, or the tool index
        self.sent = False  # a non-empty fragment (or the reasoning entry's header) went out
        self.citations: list[dict[str, Any]] = []
        self.tool_input: Any = None


Handler = Callable[["AnthropicTranslator", Mapping[str, Any]], list[ChunkOut]]


class AnthropicTranslator:
    """One Anthropic stream's translation: ``feed(event)`` per event, then ``finish()``."""

    def __init__(self, options: Options, *, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._blocks: dict[int, _Block] = {}
        self._usage: dict[str, Any] = {}
        self._content_len = 0
        self._events = 0
        self._etype = ""
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        etype = event.get("type")
        if etype == "content_block_delta":  # nearly every event: skip the table lookup
            self._etype = etype
            return self._on_block_delta(event)
        if type(etype) is not str:
            raise self._error("event has no string 'type'")
        self._etype = etype
        handler = _HANDLERS.get(etype)
        if handler is not None:
            return handler(self, event)
        if etype in IGNORED_EVENTS or not self._options.strict:
            return []
        raise self._error(f"unknown event type {etype!r}")

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = self.failed = True
        return [error_event("upstream stream ended before message_stop", "upstream_truncated")]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"event #{self._events}, {self._etype}")

    def _builder(self) -> ChunkBuilder:
        if self._out is None:
            raise self._error("event before message_start")
        return self._out

    def _field(self, mapping: Mapping[str, Any], key: str, kind: type) -> Any:
        """``mapping[key]`` if it is a ``kind`` (``dict`` admits any Mapping; ``int`` excludes bool)."""
        value = mapping.get(key)
        if type(value) is kind or (kind is dict and isinstance(value, Mapping)):
            return value  # the first test is the hot path: exact types, no ABC check
        if kind is not int and kind is not dict and isinstance(value, kind):
            return value
        raise self._error(f"missing or invalid field {key!r}")

    def _block(self, event: Mapping[str, Any]) -> _Block:
        index = event.get("index")
        block = self._blocks.get(index) if type(index) is int else None
        if block is not None and block.open:
            return block
        index = self._field(event, "index", int)
        if block is None:
            raise self._error(f"content block index {index} was never started")
        raise self._error(f"content block index {index} already stopped")

    # -- message-level events ------------------------------------------------------------------

    def _on_message_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        if self._out is not None:
            raise self._error("second message_start")
        message = self._field(event, "message", dict)
        msg_id = self._field(message, "id", str)
        model = message.get("model")
        self._out = stream_builder(
            self._options, PROVIDER, upstream_id=msg_id, model=str(model or ""), encoded=self._encoded
        )
        usage = message.get("usage")
        if isinstance(usage, Mapping):
            self._usage.update(usage)
        return [self._out.role()]

    def _on_message_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        delta = self._field(event, "delta", dict)
        usage = event.get("usage")
        if isinstance(usage, Mapping):
            self._usage.update((k, v) for k, v in usage.items() if v is not None)
        if out.finished():
            return []  # a later message_delta only updates usage
        extra: dict[str, Any] = {key: delta[key] for key in _FINISH_EXTRAS if delta.get(key) is not None}
        if event.get("context_management") is not None:
            extra["context_management"] = event["context_management"]
        return self._finish(out, delta.get("stop_reason"), extra)

    def _finish(self, out: ChunkBuilder, reason: Any, extra: dict[str, Any]) -> list[ChunkOut]:
        chunks = self._flush_open_citations(out)
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        chunks.append(out.finish(finish, native_finish_reason=reason, **extra))
        return chunks

    def _on_message_stop(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        chunks = [] if out.finished() else self._finish(out, None, {})
        self.done = True
        if self._options.include_usage:
            chunks.append(out.usage(self._openai_usage()))
        return chunks

    def _on_error(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        error = event.get("error")
        error = error if isinstance(error, Mapping) else {}
        kind = error.get("type")
        message = error.get("message")
        self.done = self.failed = True
        text = message if isinstance(message, str) else "Anthropic stream error"
        failure = stream_error(PROVIDER, text, native_type=kind)
        if error:
            failure["error"]["native_error"] = dict(error)
        return [failure]

    def partial_usage(self) -> dict[str, Any] | None:
        """The usage the stream has reported so far (OpenAI-shaped), for metering a stream cut short;
        None before any."""
        return self._openai_usage() if self._usage else None

    def _openai_usage(self) -> dict[str, Any]:
        u = self._usage
        cache_read = _count(u.get("cache_read_input_tokens"))
        cache_write = _count(u.get("cache_creation_input_tokens"))
        prompt = _count(u.get("input_tokens")) + cache_read + cache_write
        completion = _count(u.get("output_tokens"))
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cache_read, "cache_write_tokens": cache_write},
        }
        details = u.get("output_tokens_details")
        if isinstance(details, Mapping) and isinstance(details.get("thinking_tokens"), int):
            usage["completion_tokens_details"] = {"reasoning_tokens": details["thinking_tokens"]}
        usage["native_usage"] = dict(u)
        return usage

    # -- content blocks ------------------------------------------------------------------------

    def _on_block_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = self._field(event, "index", int)
        if index in self._blocks:
            raise self._error(f"content block index {index} started twice")
        content = self._field(event, "content_block", dict)
        btype = self._field(content, "type", str)
        block = self._blocks[index] = _Block(_BLOCK_KINDS.get(btype, "server"), self._content_len)
        return _BLOCK_STARTS[block.kind](self, out, block, content)

    def _start_text(self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any]) -> list[ChunkOut]:
        text = content.get("text")
        return self._text(out, block, text) if isinstance(text, str) and text else []

    def _start_thinking(self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any]) -> list[ChunkOut]:
        block.entry = out.next_entry("reasoning_details")
        chunks: list[ChunkOut] = []
        text = content.get("thinking")
        if isinstance(text, str) and text:
            chunks.append(self._thinking(out, block, text))
        signature = content.get("signature")
        if isinstance(signature, str) and signature:
            chunks.append(self._signature(out, block, signature))
        return chunks

    def _start_redacted(self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any]) -> list[ChunkOut]:
        entry = {
            "index": out.next_entry("reasoning_details"),
            "type": "reasoning.encrypted",
            "data": self._field(content, "data", str),
            "format": REASONING_FORMAT,
        }
        return [out.delta({"reasoning_details": [entry]})]

    def _start_tool(self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any]) -> list[ChunkOut]:
        call_id = self._field(content, "id", str)
        name = self._field(content, "name", str)
        block.tool_input = content.get("input")
        block.entry, chunk = out.tool_call_start(call_id, name)
        return [chunk]

    def _start_server(self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any]) -> list[ChunkOut]:
        block.entry = out.next_entry("server_blocks")
        return [out.delta({"server_blocks": [extension_entry(block.entry, content)]})]

    def _on_block_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        index = event.get("index")
        delta = event.get("delta")
        block = self._blocks.get(index) if type(index) is int else None
        if block is not None and block.open and type(delta) is dict:
            # The hot path: nearly every event is a delta that fits its open block. (A block exists only
            # after message_start, so the builder does too.) Anything else takes the checked path.
            out = cast(ChunkBuilder, self._out)
            dtype = delta.get("type")
            if dtype == "text_delta" and block.kind == "text":
                text = delta.get("text")
                if type(text) is str:
                    if not text:
                        return []
                    self._content_len += len(text)
                    return [out.content(text)]
            elif type(dtype) is str and _DELTA_BLOCK.get(dtype) == block.kind:
                return _DELTAS[dtype](self, out, block, delta)
        return self._checked_block_delta(event)

    def _checked_block_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        block = self._block(event)
        delta = self._field(event, "delta", dict)
        dtype = self._field(delta, "type", str)
        if block.kind == "server":
            return self._server_delta(out, block, delta)
        if _DELTA_BLOCK.get(dtype) != block.kind:
            if dtype not in _DELTA_BLOCK and not self._options.strict:
                return []  # a delta type newer than this table, on a known block
            raise self._error(f"{dtype} does not fit a {block.kind} block")
        return _DELTAS[dtype](self, out, block, delta)

    def _text_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        """The checked path's text delta (`_on_block_delta` inlines the same for well-formed ones)."""
        text = self._field(delta, "text", str)
        return self._text(out, block, text) if text else []

    def _text(self, out: ChunkBuilder, block: _Block, text: str) -> list[ChunkOut]:
        self._content_len += len(text)
        return [out.content(text)]

    def _citation_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        block.citations.append(self._field(delta, "citation", dict))
        return []

    def _thinking_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        text = delta.get("thinking")
        if type(text) is not str:
            text = self._field(delta, "thinking", str)
        return [self._thinking(out, block, text)] if text else []

    def _thinking(self, out: ChunkBuilder, block: _Block, text: str) -> ChunkOut:
        if block.sent:
            return out.reasoning_fragment(text, block.entry)
        entry = self._reasoning_entry(block)  # the entry's first fragment also carries its format
        entry["text"] = text
        return out.reasoning(text, details=[entry])

    def _signature_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        return [self._signature(out, block, self._field(delta, "signature", str))]

    def _signature(self, out: ChunkBuilder, block: _Block, signature: str) -> Chunk:
        entry = self._reasoning_entry(block)
        entry["signature"] = signature
        return out.delta({"reasoning_details": [entry]})

    def _reasoning_entry(self, block: _Block) -> dict[str, Any]:
        entry: dict[str, Any] = {"index": block.entry, "type": "reasoning.text"}
        if not block.sent:  # fixed fields go once: the SDK fold concatenates repeated strings
            block.sent = True
            entry["format"] = REASONING_FORMAT
        return entry

    def _json_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        fragment = delta.get("partial_json")
        if type(fragment) is not str:
            fragment = self._field(delta, "partial_json", str)
        if not fragment:
            return []
        block.sent = True
        return [out.tool_call_arguments(block.entry, fragment)]

    def _server_delta(self, out: ChunkBuilder, block: _Block, delta: Mapping[str, Any]) -> list[ChunkOut]:
        payload = {key: value for key, value in delta.items() if key != "type"}
        if not any(value != "" for value in payload.values()):
            return []
        return [out.delta({"server_blocks": [extension_entry(block.entry, payload)]})]

    def _on_block_stop(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        block = self._block(event)
        block.open = False
        if block.kind == "tool_use" and not block.sent:
            return [out.tool_call_arguments(block.entry, self._whole_input(block.tool_input))]
        if block.citations:
            return [self._annotations(out, block)]
        return []

    def _whole_input(self, tool_input: Any) -> str:
        """A tool input that came whole in its block start, as the arguments string; ``{}`` when empty."""
        if not tool_input:
            return "{}"
        try:
            return dumps_any(tool_input).decode("utf-8", "surrogatepass")
        except ValueError as exc:
            raise self._error(f"tool_use input {exc}") from None

    def _flush_open_citations(self, out: ChunkBuilder) -> list[ChunkOut]:
        """Citations of text blocks that a max_tokens cut left open still go out, before the finish."""
        return [self._annotations(out, b) for b in self._blocks.values() if b.open and b.citations]

    def _annotations(self, out: ChunkBuilder, block: _Block) -> Chunk:
        span = (block.start, self._content_len)
        entries = [_annotation(out.next_entry("annotations"), c, span) for c in block.citations]
        block.citations = []
        return out.delta({"annotations": entries})


def _annotation(index: int, citation: Mapping[str, Any], span: tuple[int, int]) -> dict[str, Any]:
    return annotation(
        index, citation, span, url=citation.get("url"), title=citation.get("title"), kind=citation.get("type")
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


BlockStart = Callable[[AnthropicTranslator, ChunkBuilder, _Block, Mapping[str, Any]], list[ChunkOut]]

_HANDLERS: Final[Mapping[str, Handler]] = {
    "message_start": AnthropicTranslator._on_message_start,
    "content_block_start": AnthropicTranslator._on_block_start,
    "content_block_delta": AnthropicTranslator._on_block_delta,
    "content_block_stop": AnthropicTranslator._on_block_stop,
    "message_delta": AnthropicTranslator._on_message_delta,
    "message_stop": AnthropicTranslator._on_message_stop,
    "error": AnthropicTranslator._on_error,
}
_BLOCK_STARTS: Final[Mapping[BlockKind, BlockStart]] = {
    "text": AnthropicTranslator._start_text,
    "thinking": AnthropicTranslator._start_thinking,
    "redacted_thinking": AnthropicTranslator._start_redacted,
    "tool_use": AnthropicTranslator._start_tool,
    "server": AnthropicTranslator._start_server,
}
_DELTAS: Final[Mapping[str, BlockStart]] = {
    "text_delta": AnthropicTranslator._text_delta,
    "citations_delta": AnthropicTranslator._citation_delta,
    "thinking_delta": AnthropicTranslator._thinking_delta,
    "signature_delta": AnthropicTranslator._signature_delta,
    "input_json_delta": AnthropicTranslator._json_delta,
}

SPEC: Final = ProviderSpec(name=PROVIDER, translator=AnthropicTranslator, decoder=JSONEventDecoder)
