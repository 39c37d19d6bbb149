"""Amazon Bedrock ConverseStream → OpenAI Chat Completions chunks.

Docs: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html (events),
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlockDelta.html (deltas),
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html (usage),
https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html (stop reasons).

Wire: the AWS event-stream binary framing (`translators.eventstream`); each message becomes the dict
boto3's ``converse_stream()["stream"]`` yields, ``{<event type>: <payload>}``, which is also what
``translate("bedrock", events)`` takes. Grammar: ``messageStart``, then per content block an optional
``contentBlockStart`` (tool use, tool result and image blocks have one; text and reasoning blocks do
not), ``contentBlockDelta``*, ``contentBlockStop``; then ``messageStop`` (stop reason), then
``metadata`` (usage), the terminal event. An exception message may end the stream at any point.
Payloads carry a random-length ``"p"`` padding field, ignored.

===============================================  ==================================================================
ConverseStream event                             OpenAI chunk
===============================================  ==================================================================
messageStart                                     role chunk; ``id``, ``model``: the options (the stream names
                                                 neither), else ``chatcmpl-bedrock-<created>`` and ``""``
contentBlockDelta text                           ``delta.content``
contentBlockDelta citation                       ``delta.annotations`` at the block's stop (see below)
contentBlockDelta reasoningContent.text          ``delta.<reasoning_field>`` and a ``reasoning_details`` entry
                                                 ``{"index", "type": "reasoning.text", "format", "text"}``
contentBlockDelta reasoningContent.signature     that entry's ``signature``
contentBlockDelta reasoningContent.              ``reasoning_details`` entry ``{"index", "type":
redactedContent                                  "reasoning.encrypted", "data", "format"}`` (base64, as sent)
contentBlockStart toolUse (no ``type``, or       ``tool_calls[{index, id: toolUseId, type: "function",
``tool_use``)                                    function: {name, arguments: ""}}]``; ``index`` counts from 0
contentBlockDelta toolUse.input                  ``tool_calls[{index, function: {arguments: fragment}}]``
contentBlockStop of a tool without input         ``arguments: "{}"``
contentBlockStart toolUse ``server_tool_use``,   ``delta.server_blocks`` entry ``{"index", **start}`` (e.g.
toolResult, unknown starts                       ``{"index", "toolUse": {...}}``); each later delta as
                                                 ``{"index", **delta}`` (``{"index", "toolResult": [...]}``)
contentBlockStart image / delta image.source     ``delta.images`` entry ``{"index", "type": "image_url",
.bytes                                           "image_url": {"url": "data:image/<format>;base64,…"}}``;
                                                 an image delta without bytes goes to ``server_blocks``
messageStop                                      the finish chunk: ``finish_reason`` (`FINISH_REASONS`),
                                                 ``native_finish_reason`` = stopReason, and
                                                 ``additionalModelResponseFields`` when sent
metadata                                         the usage chunk (``include_usage``), then ``[DONE]``
``{"error": …}`` (an exception message) or a     ``{"error": {message, type, code: the exception name as the
boto3 exception member (throttlingException …)   API spells it (ThrottlingException), param, native_error}}``
                                                 (`translators._http_errors`); no ``[DONE]``
end of input without metadata                    ``{"error": {"type": "upstream_truncated", …}}``
===============================================  ==================================================================

``stopReason`` → ``finish_reason``: see `FINISH_REASONS`; an unknown or missing reason maps to ``stop``.

Usage (``metadata.usage``): Bedrock counts ``inputTokens`` apart from the cache, so ``prompt_tokens`` =
inputTokens + cacheReadInputTokens + cacheWriteInputTokens; ``completion_tokens`` = outputTokens;
``total_tokens`` = their sum; ``prompt_tokens_details`` = ``{cached_tokens: cacheRead, cache_write_tokens:
cacheWrite}``; ``native_usage`` = the usage object. The rest of ``metadata`` (``metrics``, ``trace``,
``performanceConfig``, ``serviceTier``) rides on the usage chunk under those names.

Annotations: one entry per ``citation`` delta, sent when its text block stops: ``url_citation`` when the
citation's ``location.web.url`` is set, else ``{"type": <location kind, e.g. "documentChar">, "citation"}``;
the span is the cited text block's span in the choice's ``content``, in code points.

Protocol violations raise `TranslationError`: an event before ``messageStart`` or a second one, an event
dict without exactly one key, a delta that does not fit its block (text in a tool block …), a delta or
stop for a block already stopped, a stop for a block never seen, a tool block without ``toolUseId`` or
``name``, a field of the wrong type.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypedDict, cast

from translators._core import Options, ProviderSpec, stream_builder
from translators.chunks import Chunk, ChunkBuilder, ChunkOut, FinishReason, annotation, count, error_event
from translators.chunks import extension_entry as entry_of
from translators.errors import TranslationError, stream_error
from translators.eventstream import json_frame_decoder

__all__ = ["EXCEPTIONS", "FINISH_REASONS", "IGNORED_EVENTS", "SPEC", "BedrockTranslator"]

PROVIDER: Final = "bedrock"
REASONING_FORMAT: Final = "bedrock-converse-v1"

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    # malformed_model_output, malformed_tool_use and unknown reasons: "stop" (raw value kept)
}

EXCEPTIONS: Final = frozenset(
    {
        "internalServerException",
        "modelStreamErrorException",
        "validationException",
        "throttlingException",
        "serviceUnavailableException",
    }
)
"""The exception members of ``ConverseStreamOutput``: as boto3-style event dicts, they end the stream."""

IGNORED_EVENTS: Final = frozenset[str]()
"""Event types read and deliberately dropped (none: every ConverseStream event has a mapping). Unknown
types are dropped too, unless ``strict``."""

_METADATA_EXTRAS: Final = ("metrics", "trace", "performanceConfig", "serviceTier")


# -- wire shapes (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html)


class TokenUsage(TypedDict, total=False):
    inputTokens: int
    outputTokens: int
    totalTokens: int
    cacheReadInputTokens: int
    cacheWriteInputTokens: int


class ContentBlockStartEvent(TypedDict):
    contentBlockIndex: int
    start: dict[str, Any]  # one of toolUse {toolUseId, name, type?}, toolResult {toolUseId, type, status}, image


class ContentBlockDeltaEvent(TypedDict):
    contentBlockIndex: int
    delta: dict[str, Any]  # one of text, toolUse {input}, toolResult [...], reasoningContent, citation, image


class MessageStopEvent(TypedDict, total=False):
    stopReason: str
    additionalModelResponseFields: Any


class MetadataEvent(TypedDict, total=False):
    usage: TokenUsage
    metrics: dict[str, Any]
    trace: dict[str, Any]
    performanceConfig: dict[str, Any]
    serviceTier: dict[str, Any]


# -- per-block state -----------------------------------------------------------------------------------

BlockKind = Literal["text", "reasoning", "tool", "server", "image"]
_IMPLICIT: Final[Mapping[str, BlockKind]] = {
    "text": "text",
    "citation": "text",
    "reasoningContent": "reasoning",
    "toolResult": "server",
    "image": "server",
}
"""Delta kind → the kind of block it opens when its index was never started."""


class _Block:
    __slots__ = ("citations", "encrypted", "entry", "image_format", "kind", "open", "sent", "start")

    def __init__(self, kind: BlockKind, start: int) -> None:
        self.kind = kind
        self.open = True
        self.start = start  # text: offset of the block in the content
        self.entry = -1  # tool index, or index in the block's extension list
        self.encrypted = -1  # reasoning: the reasoning.encrypted entry of redactedContent
        self.sent = False  # a fragment went out (tool: arguments; reasoning: the entry's fixed fields)
        self.citations: list[dict[str, Any]] = []
        self.image_format = ""


Handler = Callable[["BedrockTranslator", Mapping[str, Any]], list[ChunkOut]]


class BedrockTranslator:
    """One ConverseStream's translation: ``feed(event)`` per event dict, then ``finish()``."""

    def __init__(self, options: Options, *, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._blocks: dict[int, _Block] = {}
        self._content_len = 0
        self._events = 0
        self._etype = ""
        self._stopped = False
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        payload = event.get("contentBlockDelta")
        if type(payload) is dict and len(event) == 1:  # nearly every event
            self._etype = "contentBlockDelta"
            delta = payload.get("delta")
            if type(delta) is dict and len(delta) == 1:
                steady = self._steady_delta(payload, delta)
                if steady is not None:
                    return steady
            return self._on_delta(payload)
        if len(event) != 1:
            raise self._error(f"an event dict has one key (the event type), not {len(event)}")
        ((etype, payload),) = event.items()
        self._etype = str(etype)
        if not isinstance(payload, Mapping):
            raise self._error(f"{etype} payload is {type(payload).__name__}, not an object")
        handler = _HANDLERS.get(etype)
        if handler is not None:
            return handler(self, payload)
        if etype in EXCEPTIONS:
            return self._fail(etype, payload, payload)
        if etype in IGNORED_EVENTS or not self._options.strict:
            return []
        raise self._error(f"unknown event type {etype!r}")

    def _steady_delta(self, payload: Mapping[str, Any], delta: dict[str, Any]) -> list[ChunkOut] | None:
        """The hot path: more text, more tool input, or more reasoning text for an open block whose entry is
        under way; None sends anything else down the checked path (`_on_delta`)."""
        index = payload.get("contentBlockIndex")
        block = self._blocks.get(index) if type(index) is int else None
        if block is None or not block.open:
            return None
        out = cast(ChunkBuilder, self._out)  # a block exists only after messageStart
        kind = block.kind
        if kind == "text":
            text = delta.get("text")
            if type(text) is str and text:
                self._content_len += len(text)
                return [out.content(text)]
        elif kind == "tool":
            tool = delta.get("toolUse")
            fragment = tool.get("input") if type(tool) is dict else None
            if type(fragment) is str and fragment:
                block.sent = True
                return [out.tool_call_arguments(block.entry, fragment)]
        elif kind == "reasoning" and block.sent:
            part = delta.get("reasoningContent")
            text = part.get("text") if type(part) is dict and len(part) == 1 else None
            if type(text) is str and text:
                return [out.reasoning_fragment(text, block.entry)]
        return None

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = self.failed = True
        last = "metadata" if self._stopped else "messageStop"
        return [error_event(f"upstream stream ended before {last}", "upstream_truncated")]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"event #{self._events}, {self._etype}")

    def _builder(self) -> ChunkBuilder:
        if self._out is None:
            raise self._error("event before messageStart")
        return self._out

    def _field(self, mapping: Mapping[str, Any], key: str, kind: type) -> Any:
        """``mapping[key]`` if it is a ``kind`` (``int`` excludes bool and negatives; ``dict`` admits Mappings)."""
        value = mapping.get(key)
        if kind is int:
            if type(value) is int and value >= 0:
                return value
        elif isinstance(value, Mapping if kind is dict else kind):
            return value
        raise self._error(f"missing or invalid field {key!r}")

    # -- message-level events ------------------------------------------------------------------

    def _on_message_start(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        if self._out is not None:
            raise self._error("second messageStart")
        self._out = stream_builder(self._options, PROVIDER, upstream_id=None, model=None, encoded=self._encoded)
        return [self._out.role()]

    def _on_message_stop(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        if self._stopped:
            raise self._error("second messageStop")
        self._stopped = True
        open_cited = [block for block in self._blocks.values() if block.open and block.citations]
        chunks: list[ChunkOut] = [self._annotations(out, block) for block in open_cited]
        reason = payload.get("stopReason")
        extra: dict[str, Any] = {"native_finish_reason": reason}
        if payload.get("additionalModelResponseFields") is not None:
            extra["additionalModelResponseFields"] = payload["additionalModelResponseFields"]
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        chunks.append(out.finish(finish, **extra))
        return chunks

    def _on_metadata(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        if not self._stopped:
            raise self._error("metadata before messageStop")
        self.done = True
        if not self._options.include_usage:
            return []
        usage = payload.get("usage")
        chunk = out.usage(_openai_usage(usage if isinstance(usage, Mapping) else {}))
        chunk.update((key, payload[key]) for key in _METADATA_EXTRAS if payload.get(key) is not None)
        return [chunk]

    def _on_error(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        return self._fail(payload.get("type"), payload, payload)

    def _fail(self, kind: Any, payload: Mapping[str, Any], native: Mapping[str, Any]) -> list[ChunkOut]:
        message = payload.get("message")
        self.done = self.failed = True
        event = stream_error(
            PROVIDER,
            message if isinstance(message, str) and message else "Bedrock stream error",
            native_code=kind,
            status=payload.get("originalStatusCode"),
        )
        event["error"]["native_error"] = dict(native)
        return [event]

    # -- content blocks ------------------------------------------------------------------------

    def _on_block_start(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = self._field(payload, "contentBlockIndex", int)
        if index in self._blocks:
            raise self._error(f"content block index {index} started twice")
        start = self._field(payload, "start", dict)
        tool = start.get("toolUse")
        if isinstance(tool, Mapping) and tool.get("type", "tool_use") == "tool_use":
            block = self._blocks[index] = _Block("tool", self._content_len)
            call_id = self._field(tool, "toolUseId", str)
            block.entry, chunk = out.tool_call_start(call_id, self._field(tool, "name", str))
            return [chunk]
        image = start.get("image")
        if isinstance(image, Mapping):
            block = self._blocks[index] = _Block("image", self._content_len)
            image_format = image.get("format")
            block.image_format = image_format if isinstance(image_format, str) else "png"
            return []
        block = self._blocks[index] = _Block("server", self._content_len)
        return [self._server(out, block, start)]

    def _open_block(self, index: Any, kind: Any) -> _Block:
        """The open block at ``index``; a text, reasoning or tool-result delta opens its block."""
        block = self._blocks.get(index) if type(index) is int else None
        if block is not None:
            if not block.open:
                raise self._error(f"content block index {index} already stopped")
            return block
        index = self._field({"contentBlockIndex": index}, "contentBlockIndex", int)
        implicit = _IMPLICIT.get(kind) if isinstance(kind, str) else None
        if implicit is None:
            raise self._error(f"a {kind} delta for content block index {index}, never started")
        block = self._blocks[index] = _Block(implicit, self._content_len)
        return block

    def _on_delta(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        delta = payload.get("delta")
        if not isinstance(delta, Mapping) or len(delta) != 1:
            raise self._error("missing or invalid field 'delta' (one of text, toolUse, reasoningContent, …)")
        ((kind, value),) = delta.items()
        block = self._open_block(payload.get("contentBlockIndex"), kind)
        if kind == "text" and block.kind == "text":  # the hot path
            if type(value) is not str:
                raise self._error("missing or invalid field 'text'")
            if not value:
                return []
            self._content_len += len(value)
            return [out.content(value)]
        if block.kind == "server":
            return [self._server(out, block, delta)]
        handler = _DELTAS.get((block.kind, kind))
        if handler is not None:
            return handler(self, out, block, value)
        if kind not in _IMPLICIT and kind != "toolUse" and not self._options.strict:
            return []  # a delta kind newer than this table
        raise self._error(f"a {kind} delta does not fit a {block.kind} block")

    def _citation(self, out: ChunkBuilder, block: _Block, value: Any) -> list[ChunkOut]:
        if not isinstance(value, Mapping):
            raise self._error("missing or invalid field 'citation'")
        block.citations.append(dict(value))
        return []

    def _reasoning(self, out: ChunkBuilder, block: _Block, value: Any) -> list[ChunkOut]:
        if not isinstance(value, Mapping) or len(value) != 1:
            raise self._error("missing or invalid field 'reasoningContent' (one of text, signature, redactedContent)")
        ((kind, part),) = value.items()
        if kind == "text":
            return self._thinking(out, block, part)
        if kind == "signature":
            if type(part) is not str:
                raise self._error("missing or invalid field 'signature'")
            entry = self._text_entry(out, block)
            entry["signature"] = part
            return [out.delta({"reasoning_details": [entry]})]
        if kind == "redactedContent":
            return [self._redacted(out, block, part)]
        if self._options.strict:
            raise self._error(f"unknown reasoningContent member {kind!r}")
        return []

    def _thinking(self, out: ChunkBuilder, block: _Block, text: Any) -> list[ChunkOut]:
        if type(text) is not str:
            raise self._error("missing or invalid field 'text'")
        if not text:
            return []
        if block.sent:
            return [out.reasoning_fragment(text, block.entry)]
        entry = self._text_entry(out, block)
        entry["text"] = text
        return [out.reasoning(text, details=[entry])]

    def _text_entry(self, out: ChunkBuilder, block: _Block) -> dict[str, Any]:
        """The block's ``reasoning.text`` entry; its first fragment also carries the format."""
        if block.entry < 0:
            block.entry = out.next_entry("reasoning_details")
        entry: dict[str, Any] = {"index": block.entry, "type": "reasoning.text"}
        if not block.sent:
            block.sent = True
            entry["format"] = REASONING_FORMAT
        return entry

    def _redacted(self, out: ChunkBuilder, block: _Block, data: Any) -> Chunk:
        if isinstance(data, (bytes, bytearray)):  # boto3 gives the blob decoded
            data = base64.b64encode(data).decode("ascii")
        if type(data) is not str:
            raise self._error("missing or invalid field 'redactedContent'")
        entry: dict[str, Any] = {"index": block.encrypted, "type": "reasoning.encrypted", "data": data}
        if block.encrypted < 0:  # a later piece of the same blob continues its entry
            block.encrypted = entry["index"] = out.next_entry("reasoning_details")
            entry["format"] = REASONING_FORMAT
        return out.delta({"reasoning_details": [entry]})

    def _tool_input(self, out: ChunkBuilder, block: _Block, value: Any) -> list[ChunkOut]:
        fragment = value.get("input") if isinstance(value, Mapping) else None
        if type(fragment) is not str:
            raise self._error("missing or invalid field 'input'")
        if not fragment:
            return []
        block.sent = True
        return [out.tool_call_arguments(block.entry, fragment)]

    def _image(self, out: ChunkBuilder, block: _Block, value: Any) -> list[ChunkOut]:
        source = value.get("source") if isinstance(value, Mapping) else None
        data = source.get("bytes") if isinstance(source, Mapping) else None
        if isinstance(data, (bytes, bytearray)):
            data = base64.b64encode(data).decode("ascii")
        if type(data) is not str:  # an s3Location or an error: kept as sent
            if block.entry < 0:
                block.entry = out.next_entry("server_blocks")
            return [out.delta({"server_blocks": [entry_of(block.entry, {"image": value})]})]
        url = f"data:image/{block.image_format};base64,{data}"
        image = {"index": out.next_entry("images"), "type": "image_url", "image_url": {"url": url}}
        return [out.delta({"images": [image]})]

    def _server(self, out: ChunkBuilder, block: _Block, fields: Mapping[str, Any]) -> Chunk:
        if block.entry < 0:
            block.entry = out.next_entry("server_blocks")
        return out.delta({"server_blocks": [entry_of(block.entry, fields)]})

    def _on_block_stop(self, payload: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = self._field(payload, "contentBlockIndex", int)
        block = self._blocks.get(index)
        if block is None:
            raise self._error(f"content block index {index} was never started")
        if not block.open:
            raise self._error(f"content block index {index} already stopped")
        block.open = False
        if block.kind == "tool" and not block.sent:
            return [out.tool_call_arguments(block.entry, "{}")]
        if block.citations:
            return [self._annotations(out, block)]
        return []

    def _annotations(self, out: ChunkBuilder, block: _Block) -> Chunk:
        span = (block.start, self._content_len)
        entries = [_annotation(out.next_entry("annotations"), c, span) for c in block.citations]
        block.citations = []
        return out.delta({"annotations": entries})


def _annotation(index: int, citation: Mapping[str, Any], span: tuple[int, int]) -> dict[str, Any]:
    location = citation.get("location")
    location = location if isinstance(location, Mapping) else {}
    web = location.get("web")
    url = web.get("url") if isinstance(web, Mapping) else None
    return annotation(index, citation, span, url=url, title=citation.get("title"), kind=next(iter(location), None))


def _openai_usage(u: Mapping[str, Any]) -> dict[str, Any]:
    cache_read = count(u.get("cacheReadInputTokens"))
    cache_write = count(u.get("cacheWriteInputTokens"))
    prompt = count(u.get("inputTokens")) + cache_read + cache_write
    completion = count(u.get("outputTokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cache_read, "cache_write_tokens": cache_write},
        "native_usage": dict(u),
    }


Delta = Callable[[BedrockTranslator, ChunkBuilder, _Block, Any], list[ChunkOut]]

_HANDLERS: Final[Mapping[str, Handler]] = {
    "messageStart": BedrockTranslator._on_message_start,
    "contentBlockStart": BedrockTranslator._on_block_start,
    "contentBlockDelta": BedrockTranslator._on_delta,
    "contentBlockStop": BedrockTranslator._on_block_stop,
    "messageStop": BedrockTranslator._on_message_stop,
    "metadata": BedrockTranslator._on_metadata,
    "error": BedrockTranslator._on_error,
}
_DELTAS: Final[Mapping[tuple[BlockKind, str], Delta]] = {
    ("text", "citation"): BedrockTranslator._citation,
    ("reasoning", "reasoningContent"): BedrockTranslator._reasoning,
    ("tool", "toolUse"): BedrockTranslator._tool_input,
    ("image", "image"): BedrockTranslator._image,
}
"""(block kind, delta kind) → handler; text in a text block is `BedrockTranslator._on_delta`'s hot path."""

SPEC: Final = ProviderSpec(name=PROVIDER, translator=BedrockTranslator, decoder=json_frame_decoder)
