"""Cohere v2 chat streaming → OpenAI Chat Completions chunks.

Docs: https://docs.cohere.com/reference/chat-stream (events), https://docs.cohere.com/docs/streaming
(event grammar), https://docs.cohere.com/docs/reasoning (thinking), https://docs.cohere.com/docs/tool-use
(tool plan, tool calls), https://docs.cohere.com/docs/documents-and-citations (citations).

Wire: SSE, ``event: <type>`` lines with the same ``type`` inside the JSON data. Grammar:
``message-start``, then any of: content blocks (``content-start`` / ``content-delta``* / ``content-end``,
``type`` text or thinking), ``tool-plan-delta``*, tool calls (``tool-call-start`` / ``tool-call-delta``* /
``tool-call-end``), ``citation-start`` / ``citation-end``; then ``message-end`` (finish reason, usage),
the terminal event. ``debug`` events may come anywhere.

===========================================  ======================================================================
Cohere event                                 OpenAI chunk
===========================================  ======================================================================
message-start                                role chunk; ``id`` = ``"chatcmpl-" + id``; ``model``: the option
                                             (the stream does not name it), else ``""``
content-start / content-delta, text          ``delta.content``; a ``logprobs`` item rides along as the
                                             choice's ``native_logprobs``
content-start / content-delta, thinking      ``delta.<reasoning_field>`` and a ``reasoning_details`` entry
                                             ``{"index", "type": "reasoning.text", "format": "cohere-v2",
                                             "text"}`` per thinking block
tool-plan-delta                              ``delta.<reasoning_field>`` and one ``reasoning_details`` entry
                                             for the plan, the same with ``"id": "tool_plan"``
tool-call-start                              ``tool_calls[{index, id, type: "function", function: {name,
                                             arguments}}]``; ``index`` counts tool calls from 0
tool-call-delta                              ``tool_calls[{index, function: {arguments: fragment}}]``
tool-call-end of a call without arguments    ``arguments: "{}"``
citation-start                               ``delta.annotations`` entry (see below), at once
message-end, finish_reason ERROR or TIMEOUT  ``{"error": {message: delta.error, type: "api_error" or
                                             "timeout_error", code: <finish_reason>, param, native_error}}``; no
                                             ``[DONE]``
message-end, other finish reasons            the finish chunk (`FINISH_REASONS`, ``native_finish_reason``),
                                             then the usage chunk (``include_usage``), then ``[DONE]``
citation-end, debug, ``data: [DONE]``         ignored (`IGNORED_EVENTS`)
end of input without message-end             ``{"error": {"type": "upstream_truncated", …}}``
===========================================  ======================================================================

Usage: ``prompt_tokens`` = ``usage.tokens.input_tokens`` (it includes the cached tokens),
``completion_tokens`` = ``usage.tokens.output_tokens`` (``billed_units`` when ``tokens`` is missing),
``prompt_tokens_details.cached_tokens`` = ``usage.cached_tokens``; ``native_usage`` = the usage object
(``billed_units``, what Cohere bills, is there).

Annotations: a citation of the answer text (``type`` TEXT_CONTENT or none) is ``{"index", "type":
"url_citation", "url_citation": {url, title, start_index, end_index}, "citation"}`` when its first source is
a document with a ``url``, else ``{"index", "type": "citation", "citation", "start_index", "end_index"}``;
``start``/``end`` are shifted from the cited content block to the choice's ``content``. A citation of the
thinking or the tool plan keeps its own offsets, with ``type`` = the citation's type (``THINKING_CONTENT``,
``PLAN``).

Protocol violations raise `TranslationError`: an event before ``message-start`` or a second one, a delta
for a content block or tool call never started (or already ended), a field of the wrong type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Literal, TypedDict, cast

from translators._core import Options, ProviderSpec, stream_builder
from translators.chunks import ChunkBuilder, ChunkOut, FinishReason, annotation, count, error_event
from translators.errors import TranslationError, stream_error
from translators.events import DONE_EVENT, JSONEventDecoder

__all__ = ["FINISH_REASONS", "IGNORED_EVENTS", "SPEC", "CohereDecoder", "CohereTranslator"]

PROVIDER: Final = "cohere"
REASONING_FORMAT: Final = "cohere-v2"

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
}
"""Finish reasons of a complete answer; an unknown one maps to ``stop`` (the raw value is kept)."""

ERROR_REASONS: Final[Mapping[str, str]] = {"ERROR": "api_error", "TIMEOUT": "timeout_error"}
"""Finish reasons that end the stream with an error event instead: reason → error ``type``."""

IGNORED_EVENTS: Final = frozenset({"citation-end", "debug", DONE_EVENT})
"""Event types read and deliberately dropped. Other unknown types are dropped too, unless ``strict``."""


# -- wire shapes (https://docs.cohere.com/reference/chat-stream) -----------------------------------------


class UsageTokens(TypedDict, total=False):
    input_tokens: float
    output_tokens: float


class Usage(TypedDict, total=False):
    billed_units: dict[str, float]
    tokens: UsageTokens
    cached_tokens: float


class MessageEndDelta(TypedDict, total=False):
    finish_reason: str
    error: str
    usage: Usage


class Citation(TypedDict, total=False):
    start: int
    end: int
    text: str
    sources: list[dict[str, Any]]
    content_index: int
    type: str


# -- state ------------------------------------------------------------------------------------------------

BlockKind = Literal["text", "thinking"]


class _Block:
    __slots__ = ("entry", "kind", "open", "sent", "start")

    def __init__(self, kind: BlockKind, start: int) -> None:
        self.kind = kind
        self.open = True
        self.start = start  # text: offset of the block in the content
        self.entry = -1  # thinking: its reasoning_details entry
        self.sent = False


class _Call:
    __slots__ = ("index", "open", "sent")

    def __init__(self, index: int, sent: bool) -> None:
        self.index = index  # our tool index
        self.open = True
        self.sent = sent  # some arguments went out


Handler = Callable[["CohereTranslator", Mapping[str, Any]], list[ChunkOut]]


class CohereTranslator:
    """One Cohere v2 chat stream's translation: ``feed(event)`` per event, then ``finish()``."""

    def __init__(self, options: Options, *, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._blocks: dict[int, _Block] = {}
        self._calls: dict[int, _Call] = {}
        self._plan_entry = -1
        self._content_len = 0
        self._events = 0
        self._etype = ""
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        etype = event.get("type")
        if type(etype) is not str:
            raise self._error("event has no string 'type'")
        self._etype = etype
        if etype == "content-delta" and "logprobs" not in event:  # the hot paths: more of an open block,
            chunk = self._steady_delta(event)
            if chunk is not None:
                return chunk
        elif etype == "tool-call-delta":  # more arguments of an open call,
            chunk = self._steady_arguments(event)
            if chunk is not None:
                return chunk
        elif etype == "tool-plan-delta" and self._plan_entry >= 0:  # more of the plan under way
            delta = event.get("delta")
            message = delta.get("message") if type(delta) is dict else None
            text = message.get("tool_plan") if type(message) is dict else None
            if type(text) is str and text:
                return [cast(ChunkBuilder, self._out).reasoning_fragment(text, self._plan_entry)]
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
        return [error_event("upstream stream ended before message-end", "upstream_truncated")]

    def _steady_delta(self, event: Mapping[str, Any]) -> list[ChunkOut] | None:
        """A well-formed content-delta for an open text block, or a thinking block under way; else None
        (the checked path, `_on_content_delta`, takes it)."""
        index, delta = event.get("index"), event.get("delta")
        block = self._blocks.get(index) if type(index) is int else None
        if block is None or not block.open or type(delta) is not dict:
            return None
        message = delta.get("message")
        content = message.get("content") if type(message) is dict else None
        text = content.get(block.kind) if type(content) is dict else None
        if type(text) is not str:
            return None
        if not text:
            return []
        out = cast(ChunkBuilder, self._out)  # a block exists only after message-start
        if block.kind == "text":
            self._content_len += len(text)
            return [out.content(text)]
        if block.sent:
            return [out.reasoning_fragment(text, block.entry)]
        return None

    def _steady_arguments(self, event: Mapping[str, Any]) -> list[ChunkOut] | None:
        """A well-formed tool-call-delta with a fragment for an open call, else None (the checked path)."""
        index, delta = event.get("index"), event.get("delta")
        call = self._calls.get(index) if type(index) is int else None
        message = delta.get("message") if call is not None and call.open and type(delta) is dict else None
        calls = message.get("tool_calls") if type(message) is dict else None
        function = calls.get("function") if type(calls) is dict else None
        fragment = function.get("arguments") if type(function) is dict else None
        if type(fragment) is not str or not fragment or call is None:
            return None
        call.sent = True
        return [cast(ChunkBuilder, self._out).tool_call_arguments(call.index, fragment)]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"event #{self._events}, {self._etype}")

    def _builder(self) -> ChunkBuilder:
        if self._out is None:
            raise self._error("event before message-start")
        return self._out

    def _message(self, event: Mapping[str, Any], key: str) -> Any:
        """``event.delta.message[key]`` (a delta's payload), or `TranslationError`."""
        delta = event.get("delta")
        message = delta.get("message") if isinstance(delta, Mapping) else None
        if not isinstance(message, Mapping) or key not in message:
            raise self._error(f"missing field 'delta.message.{key}'")
        return message[key]

    def _index(self, event: Mapping[str, Any]) -> int:
        index = event.get("index")
        if type(index) is not int or index < 0:
            raise self._error("missing or invalid field 'index'")
        return index

    # -- message ---------------------------------------------------------------------------------

    def _on_message_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        if self._out is not None:
            raise self._error("second message-start")
        self._out = stream_builder(
            self._options, PROVIDER, upstream_id=event.get("id"), model=None, encoded=self._encoded
        )
        return [self._out.role()]

    def _on_message_end(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        delta = event.get("delta")
        delta = delta if isinstance(delta, Mapping) else {}
        reason = delta.get("finish_reason")
        self.done = True
        if isinstance(reason, str) and reason in ERROR_REASONS:
            self.failed = True
            message = delta.get("error")
            failure = stream_error(
                PROVIDER,
                message if isinstance(message, str) and message else f"Cohere stream ended with {reason}",
                native_type=reason,
                native_code=reason,
            )
            failure["error"]["native_error"] = dict(delta)
            return [failure]
        chunks = self._close_calls(out)
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        chunks.append(out.finish(finish, native_finish_reason=reason))
        if self._options.include_usage:
            usage = delta.get("usage")
            chunks.append(out.usage(_openai_usage(usage if isinstance(usage, Mapping) else {})))
        return chunks

    def _close_calls(self, out: ChunkBuilder) -> list[ChunkOut]:
        """Calls cut before their end and before any argument still get ``"{}"``."""
        chunks: list[ChunkOut] = []
        for call in self._calls.values():
            if call.open and not call.sent:
                call.sent = True
                chunks.append(out.tool_call_arguments(call.index, "{}"))
        return chunks

    # -- content -----------------------------------------------------------------------------------

    def _on_content_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = self._index(event)
        if index in self._blocks:
            raise self._error(f"content block {index} started twice")
        content = self._message(event, "content")
        if not isinstance(content, Mapping):
            raise self._error("'delta.message.content' is not an object")
        kind: BlockKind = "thinking" if content.get("type") == "thinking" else "text"
        block = self._blocks[index] = _Block(kind, self._content_len)
        return self._content(out, block, content)

    def _on_content_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = event.get("index")
        block = self._blocks.get(index) if type(index) is int else None
        if block is None or not block.open:
            raise self._error(f"content-delta for content block {index!r}, not started or already ended")
        content = self._message(event, "content")
        if not isinstance(content, Mapping):
            raise self._error("'delta.message.content' is not an object")
        return self._content(out, block, content, event.get("logprobs"))

    def _content(
        self, out: ChunkBuilder, block: _Block, content: Mapping[str, Any], logprobs: Any = None
    ) -> list[ChunkOut]:
        key = block.kind  # "text" or "thinking": the content's field of that name
        text = content.get(key)
        if text is None:
            return []
        if type(text) is not str:
            raise self._error(f"'delta.message.content.{key}' is not a string")
        if not text:
            return []
        if key == "text":
            self._content_len += len(text)
            if logprobs is not None:
                return [out.delta({"content": text}, extra={"native_logprobs": logprobs})]
            return [out.content(text)]
        if block.sent:
            return [out.reasoning_fragment(text, block.entry)]
        block.sent = True
        block.entry = out.next_entry("reasoning_details")
        entry = {"index": block.entry, "type": "reasoning.text", "format": REASONING_FORMAT, "text": text}
        return [out.reasoning(text, details=[entry])]

    def _on_content_end(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._builder()
        index = self._index(event)
        block = self._blocks.get(index)
        if block is None or not block.open:
            raise self._error(f"content-end for content block {index}, not started or already ended")
        block.open = False
        return []

    def _on_tool_plan(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        text = self._message(event, "tool_plan")
        if type(text) is not str:
            raise self._error("'delta.message.tool_plan' is not a string")
        if not text:
            return []
        if self._plan_entry >= 0:
            return [out.reasoning_fragment(text, self._plan_entry)]
        self._plan_entry = out.next_entry("reasoning_details")
        entry = {
            "index": self._plan_entry,
            "type": "reasoning.text",
            "format": REASONING_FORMAT,
            "id": "tool_plan",
            "text": text,
        }
        return [out.reasoning(text, details=[entry])]

    # -- tool calls ----------------------------------------------------------------------------------

    def _on_tool_call_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        index = self._index(event)
        if index in self._calls:
            raise self._error(f"tool call {index} started twice")
        call = self._message(event, "tool_calls")
        function = call.get("function") if isinstance(call, Mapping) else None
        call_id = call.get("id") if isinstance(call, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if type(call_id) is not str or type(name) is not str:
            raise self._error("tool-call-start without a string 'id' and 'function.name'")
        arguments = function.get("arguments") if isinstance(function, Mapping) else None
        arguments = arguments if isinstance(arguments, str) else ""
        tool_index, chunk = out.tool_call_start(call_id, name, arguments=arguments)
        self._calls[index] = _Call(tool_index, bool(arguments))
        return [chunk]

    def _open_call(self, event: Mapping[str, Any]) -> _Call:
        index = event.get("index")
        call = self._calls.get(index) if type(index) is int else None
        if call is None or not call.open:
            raise self._error(f"{self._etype} for tool call {index!r}, not started or already ended")
        return call

    def _on_tool_call_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        call = self._open_call(event)
        delta = self._message(event, "tool_calls")
        function = delta.get("function") if isinstance(delta, Mapping) else None
        fragment = function.get("arguments") if isinstance(function, Mapping) else None
        if type(fragment) is not str:
            raise self._error("'delta.message.tool_calls.function.arguments' is not a string")
        if not fragment:
            return []
        call.sent = True
        return [out.tool_call_arguments(call.index, fragment)]

    def _on_tool_call_end(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        call = self._open_call(event)
        call.open = False
        if call.sent:
            return []
        call.sent = True
        return [out.tool_call_arguments(call.index, "{}")]

    # -- citations -----------------------------------------------------------------------------------

    def _on_citation_start(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        out = self._builder()
        citation = self._message(event, "citations")
        if not isinstance(citation, Mapping):
            raise self._error("'delta.message.citations' is not an object")
        entry = self._annotation(out.next_entry("annotations"), citation)
        return [out.delta({"annotations": [entry]})]

    def _annotation(self, index: int, citation: Mapping[str, Any]) -> dict[str, Any]:
        start, end = count(citation.get("start")), count(citation.get("end"))
        kind = citation.get("type")
        if kind not in (None, "TEXT_CONTENT"):  # offsets into the thinking or the tool plan: kept as sent
            return annotation(index, citation, (start, end), kind=kind)
        content_index = citation.get("content_index", 0)
        if type(content_index) is not int:
            raise self._error("'citations.content_index' is not an integer")
        block = self._blocks.get(content_index)
        shift = block.start if block is not None and block.kind == "text" else 0
        url, title = _document_url(citation.get("sources"))
        return annotation(index, citation, (shift + start, shift + end), url=url, title=title)


def _document_url(sources: Any) -> tuple[Any, Any]:
    """The first source's document ``url`` and ``title``, when it has them."""
    if isinstance(sources, list) and sources and isinstance(sources[0], Mapping):
        document = sources[0].get("document")
        if isinstance(document, Mapping):
            return document.get("url"), document.get("title")
    return None, None


def _tokens(value: Any) -> int:
    """A token count: Cohere's schema says number, so an integral float counts too."""
    if type(value) is float and value.is_integer():
        value = int(value)
    return count(value)


def _openai_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    tokens = usage.get("tokens")
    if not isinstance(tokens, Mapping):
        billed = usage.get("billed_units")
        tokens = billed if isinstance(billed, Mapping) else {}
    prompt = _tokens(tokens.get("input_tokens"))
    completion = _tokens(tokens.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": _tokens(usage.get("cached_tokens"))},
        "native_usage": dict(usage),
    }


class CohereDecoder(JSONEventDecoder):
    """SSE → event dicts; the JSON carries its ``type`` (the ``event:`` name fills it in when missing)."""

    __slots__ = ()
    read_done: ClassVar[bool] = True


_HANDLERS: Final[Mapping[str, Handler]] = {
    "message-start": CohereTranslator._on_message_start,
    "content-start": CohereTranslator._on_content_start,
    "content-delta": CohereTranslator._on_content_delta,
    "content-end": CohereTranslator._on_content_end,
    "tool-plan-delta": CohereTranslator._on_tool_plan,
    "tool-call-start": CohereTranslator._on_tool_call_start,
    "tool-call-delta": CohereTranslator._on_tool_call_delta,
    "tool-call-end": CohereTranslator._on_tool_call_end,
    "citation-start": CohereTranslator._on_citation_start,
    "message-end": CohereTranslator._on_message_end,
}

SPEC: Final = ProviderSpec(name=PROVIDER, translator=CohereTranslator, decoder=CohereDecoder)
