"""OpenAI Responses API streaming (also xAI's ``/v1/responses``) → OpenAI Chat Completions chunks.

Docs: https://platform.openai.com/docs/api-reference/responses-streaming (events),
https://platform.openai.com/docs/guides/reasoning (summaries, encrypted reasoning),
https://platform.openai.com/docs/guides/tools (built-in tools), https://docs.x.ai/docs/guides/responses-api.

One response is one choice (index 0). Events are dispatched by ``type`` through `_HANDLERS`; both the
2025-03 shape (no ``sequence_number``) and the current one work, and ``obfuscation`` is dropped.

==============================================  ===================================================================
Responses event                                 OpenAI chunk
==============================================  ===================================================================
response.created                                role chunk; ``id`` = ``"chatcmpl-" + response.id``, ``model`` =
                                                response.model, ``created`` = response.created_at (options win)
response.output_text.delta                      ``delta.content``
response.output_text.annotation.added           ``delta.annotations`` entry; a ``url_citation`` as in Chat
                                                Completions ``{type, url_citation: {url, title, start_index,
                                                end_index}}``, its span shifted to the choice's ``content`` (code
                                                points); other types ``{type, <the annotation>}``
response.refusal.delta                          ``delta.refusal``
response.reasoning_summary_text.delta           the reasoning field, and a ``reasoning_details`` entry
                                                ``{type: "reasoning.summary", summary, id, format}``; parts after
                                                the first are preceded by `SUMMARY_SEPARATOR`
response.reasoning_text.delta                   the reasoning field, and a ``reasoning.text`` entry
reasoning item done with ``encrypted_content``  ``reasoning_details`` entry ``{type: "reasoning.encrypted", data,
                                                id, format}``
function_call item added                        tool call start: ``index`` counts function calls only, ``id`` =
                                                ``call_id``, ``function.name`` = name
response.function_call_arguments.delta          ``arguments`` fragment; deltas that come before their item (by
                                                ``item_id`` or ``output_index``) are sent with its start
function_call_arguments.done / item done        the rest of ``arguments`` when the deltas sent less
custom_tool_call (input deltas)                 a tool call like a function call, ``arguments`` = the raw input
web_search_call, file_search_call,              ``delta.server_blocks`` entry ``{index, **item}`` when the item is
code_interpreter_call, image_generation_call,   done (their progress events are ignored: the done item holds
mcp_call, mcp_list_tools, computer_call, …      everything)
response.audio.delta / .transcript.delta        ``delta.audio.data`` / ``delta.audio.transcript``
response.completed                              finish ``tool_calls`` if a function call was sent, else ``stop``;
                                                then the usage chunk
response.incomplete                             finish from ``incomplete_details.reason`` (`INCOMPLETE_REASONS`),
                                                then usage; ``native_finish_reason`` = that reason
response.failed, error                          ``{"error": {message, type, code, param, native_error}}``, no
                                                ``[DONE]``
end of input (or a proxy's ``data: [DONE]``)    ``{"error": {"type": "upstream_truncated", …}}``
without a terminal event
other events (`IGNORED_EVENTS`)                 ignored: progress and ``*.done`` events that repeat the deltas
==============================================  ===================================================================

Usage: ``input_tokens`` → ``prompt_tokens`` (cached included, as the API counts them), ``output_tokens`` →
``completion_tokens`` (reasoning included), ``input_tokens_details.cached_tokens`` → ``cached_tokens``,
``output_tokens_details.reasoning_tokens`` → ``reasoning_tokens``; ``native_usage`` keeps the object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from translators._core import Options, ProviderSpec, stream_builder
from translators.chunks import ChunkBuilder, ChunkOut, FinishReason, count, error_event, extension_entry
from translators.errors import TranslationError, stream_error
from translators.providers.openai_chat import DONE_EVENT, ChatDecoder

__all__ = ["IGNORED_EVENTS", "INCOMPLETE_REASONS", "SPEC", "SUMMARY_SEPARATOR", "ResponsesTranslator"]

PROVIDER: Final = "openai_responses"
REASONING_FORMAT: Final = "openai-responses-v1"
SUMMARY_SEPARATOR: Final = "\n\n"
"""Written to the reasoning field between two reasoning summary parts (and two reasoning items)."""

INCOMPLETE_REASONS: Final[dict[str, FinishReason]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
"""``incomplete_details.reason`` → ``finish_reason``; any other reason maps to ``length``."""

IGNORED_EVENTS: Final = frozenset(
    {
        "response.queued",
        "response.reasoning_summary_part.added",
        "response.in_progress",
        "response.content_part.done",
        "response.output_text.done",
        "response.refusal.done",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
        "response.audio.done",
        "response.audio.transcript.done",
        "response.custom_tool_call_input.done",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_list_tools.failed",
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
        "response.shell_call_output_content.delta",
        "response.shell_call_output_content.done",
        "response.compaction.compacting",
        "response.steer",
        "response.steer.accepted",
        "response.steer.failed",
        "response.steer.pending",
    }
)
"""Events that carry nothing the output needs: progress, and ``*.done`` events repeating their deltas
(a built-in tool's item is sent whole when its ``output_item.done`` comes)."""

_CLIENT_CALLS: Final = frozenset({"function_call", "custom_tool_call"})
_NOT_SERVER_BLOCKS: Final = frozenset({"message", "reasoning", "function_call", "custom_tool_call"})


class _Call:
    __slots__ = ("id", "sent", "tool_index")

    def __init__(self, call_id: str, tool_index: int, arguments: str) -> None:
        self.id = call_id
        self.tool_index = tool_index
        self.sent = [arguments]  # the argument text sent so far, in pieces (joined only at the end)


class ResponsesTranslator:
    """One Responses stream (sans-I/O): ``feed(event)`` → chunks; ``finish()`` at the end of input."""

    def __init__(self, options: Options, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._calls: dict[Any, _Call] = {}  # by item id and by output index
        self._early: dict[Any, list[str]] = {}  # argument deltas before their item, by item id / output index
        self._reasoning_entries: dict[tuple[str, str, int], int] = {}  # (item, kind, part) → entry index
        self._reasoning_started = False
        self._text_starts: dict[tuple[Any, Any], int] = {}  # (item, content index) → offset in content
        self._content_length = 0  # code points of content sent so far
        self._events = 0
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        kind = event.get("type")
        if kind == "response.output_text.delta":  # the hot path
            text = event.get("delta")
            if type(text) is str and self._out is not None:
                self._content_length += len(text)
                return [self._out.content(text)] if text else []
        elif kind == "response.function_call_arguments.delta":  # the other hot path: a known call's fragment
            text, item_id = event.get("delta"), event.get("item_id")
            call = self._calls.get(item_id) if type(item_id) is str else None
            if call is not None and type(text) is str and self._out is not None:
                if not text:
                    return []
                call.sent.append(text)
                return [self._out.tool_call_arguments(call.tool_index, text)]
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            if self._out is None and kind not in _BEFORE_START:
                raise self._error(f"{kind} before response.created")
            return handler(self, event)
        if not isinstance(kind, str):
            raise self._error("event has no 'type'")
        if kind in IGNORED_EVENTS:
            return []
        if self._options.strict:
            raise self._error(f"unknown event type {kind!r}")
        return []

    def _on_done_marker(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        """``data: [DONE]`` (proxies such as OpenRouter add it): the end of input."""
        return self.finish()

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = self.failed = True
        return [error_event("upstream stream ended before response.completed", "upstream_truncated")]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"event #{self._events}")

    def _builder(self) -> ChunkBuilder:
        return cast(ChunkBuilder, self._out)

    def _text(self, event: Mapping[str, Any], key: str = "delta") -> str:
        text = event.get(key)
        if not isinstance(text, str):
            raise self._error(f"{event.get('type')} has no string {key!r}")
        return text

    def _ref(self, event: Mapping[str, Any], key: str) -> str | int | None:
        """An ``item_id``, ``output_index`` or ``content_index``: a string, an integer, or absent."""
        value = event.get(key)
        if value is None or type(value) is str or type(value) is int:
            return value
        raise self._error(f"{event.get('type')} has a {key!r} that is neither a string nor an integer")

    def _object(self, event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = event.get(key)
        if not isinstance(value, Mapping):
            raise self._error(f"{event.get('type')} has no object {key!r}")
        return value

    # -- lifecycle -----------------------------------------------------------------------------

    def _on_created(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        if self._out is not None:
            raise self._error("a second response.created")
        response = self._object(event, "response")
        tier = response.get("service_tier")
        self._out = stream_builder(
            self._options,
            PROVIDER,
            upstream_id=response.get("id"),
            model=response.get("model"),
            created=response.get("created_at"),
            extra={"service_tier": tier} if tier is not None else None,
            encoded=self._encoded,
        )
        return [self._out.role()]

    def _on_completed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        response = self._object(event, "response")
        out = self._builder()
        finish: FinishReason = "tool_calls" if out.tool_calls_started() else "stop"
        return self._end(out, response, finish, response.get("status", "completed"))

    def _on_incomplete(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        response = self._object(event, "response")
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        finish = INCOMPLETE_REASONS.get(reason, "length") if isinstance(reason, str) else "length"
        extra = {"incomplete_details": details}
        return self._end(self._builder(), response, finish, reason if reason is not None else "incomplete", extra)

    def _end(
        self,
        out: ChunkBuilder,
        response: Mapping[str, Any],
        finish: FinishReason,
        native: Any,
        extra: dict[str, Any] | None = None,
    ) -> list[ChunkOut]:
        self.done = True
        chunks: list[ChunkOut] = [out.finish(finish, native_finish_reason=native, **(extra or {}))]
        usage = response.get("usage")
        if self._options.include_usage and isinstance(usage, Mapping):
            chunks.append(out.usage(_openai_usage(usage)))
        return chunks

    def _on_failed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        response = event.get("response")
        error = response.get("error") if isinstance(response, Mapping) else None
        return self._fail(error if isinstance(error, Mapping) else {}, "response failed")

    def _on_error(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        fields = {key: value for key, value in event.items() if key not in ("type", "sequence_number")}
        nested = fields.get("error")  # some proxies nest the error object
        return self._fail(nested if isinstance(nested, Mapping) else fields, "stream error")

    def _fail(self, error: Mapping[str, Any], default: str) -> list[ChunkOut]:
        self.done = self.failed = True
        message, code = error.get("message"), error.get("code")
        text = message if isinstance(message, str) and message else default
        result = stream_error(PROVIDER, text, status=code, native_type=error.get("type"), native_code=code)
        result["error"]["param"] = error.get("param")
        result["error"]["native_error"] = dict(error)
        return [result]

    # -- message content -----------------------------------------------------------------------

    def _on_text_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        text = self._text(event)
        self._content_length += len(text)
        return [self._builder().content(text)] if text else []

    def _on_refusal_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        text = self._text(event)
        return [self._builder().delta({"refusal": text})] if text else []

    def _on_annotation(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        annotation = self._object(event, "annotation")
        out = self._builder()
        start = self._text_starts.get((self._ref(event, "item_id"), self._ref(event, "content_index")), 0)
        kind = annotation.get("type")
        entry: dict[str, Any]
        if kind == "url_citation":
            fields = {key: value for key, value in annotation.items() if key != "type"}
            for key in ("start_index", "end_index"):
                if type(fields.get(key)) is int:
                    fields[key] += start
            entry = {"index": out.next_entry("annotations"), "type": "url_citation", "url_citation": fields}
        else:
            entry = extension_entry(out.next_entry("annotations"), annotation)
        return [out.delta({"annotations": [entry]})]

    def _on_content_part_added(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._text_starts[(self._ref(event, "item_id"), self._ref(event, "content_index"))] = self._content_length
        return []

    def _on_audio_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        text = self._text(event)
        field = "transcript" if event.get("type") == "response.audio.transcript.delta" else "data"
        return [self._builder().delta({"audio": {field: text}})] if text else []

    # -- reasoning -----------------------------------------------------------------------------

    def _on_reasoning_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        text = self._text(event)
        summary = event.get("type") == "response.reasoning_summary_text.delta"
        part = event.get("summary_index" if summary else "content_index", 0)
        item = event.get("item_id")
        kind = "summary" if summary else "text"
        key = (item if isinstance(item, str) else "", kind, part if type(part) is int else 0)
        out = self._builder()
        entry = self._reasoning_entries.get(key)
        if entry is None:
            if not text:
                return []
            entry = self._reasoning_entries[key] = out.next_entry("reasoning_details")
            if self._reasoning_started:
                text = SUMMARY_SEPARATOR + text
            self._reasoning_started = True
            detail: dict[str, Any] = {"index": entry, "type": "reasoning.summary" if summary else "reasoning.text"}
            detail["summary" if summary else "text"] = text
            if isinstance(item, str):
                detail["id"] = item
            detail["format"] = REASONING_FORMAT
        elif not text:
            return []
        elif summary:
            return [out.reasoning_summary_fragment(text, entry)]
        else:
            return [out.reasoning_fragment(text, entry)]
        return [out.reasoning(text, details=[detail])]

    # -- output items --------------------------------------------------------------------------

    def _on_item_added(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        item = self._object(event, "item")
        if self._item_type(item) in _CLIENT_CALLS:
            return self._start_call(item, self._ref(event, "output_index"))
        return []

    def _item_type(self, item: Mapping[str, Any]) -> str:
        kind = item.get("type")
        if not isinstance(kind, str):
            raise self._error("an output item has no string 'type'")
        return kind

    def _on_item_done(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        item = self._object(event, "item")
        kind = self._item_type(item)
        out = self._builder()
        if kind in _CLIENT_CALLS:
            output_index = self._ref(event, "output_index")
            call = self._call_for(item.get("id"), output_index)
            if call is None:  # the item only at its end: the whole call at once
                return self._start_call(item, output_index)
            return self._complete(call, item.get("arguments" if kind == "function_call" else "input"))
        if kind == "reasoning":
            encrypted = item.get("encrypted_content")
            if not isinstance(encrypted, str) or not encrypted:
                return []
            detail = {"index": out.next_entry("reasoning_details"), "type": "reasoning.encrypted", "data": encrypted}
            if isinstance(item.get("id"), str):
                detail["id"] = item["id"]
            detail["format"] = REASONING_FORMAT
            return [out.delta({"reasoning_details": [detail]})]
        if kind in _NOT_SERVER_BLOCKS:
            return []
        return [out.delta({"server_blocks": [extension_entry(out.next_entry("server_blocks"), item)]})]

    def _start_call(self, item: Mapping[str, Any], output_index: Any) -> list[ChunkOut]:
        out = self._builder()
        name, call_id, item_id = item.get("name"), item.get("call_id"), item.get("id")
        if not isinstance(name, str) or not name:
            raise self._error("a function_call item has no name")
        if not isinstance(call_id, str) or not call_id:
            call_id = item_id if isinstance(item_id, str) and item_id else f"call_{out.id.removeprefix('chatcmpl-')}"
        arguments = item.get("arguments" if item.get("type") == "function_call" else "input") or ""
        if not isinstance(arguments, str):
            raise self._error("a function_call item's arguments are not a string")
        early = self._early.pop(item_id if isinstance(item_id, str) else None, [])
        early += self._early.pop(("output", output_index), [])
        if early and not arguments:
            arguments = "".join(early)
        tool_index, chunk = out.tool_call_start(call_id, name, arguments=arguments)
        call = _Call(call_id, tool_index, arguments)
        if isinstance(item_id, str):
            self._calls[item_id] = call
        if output_index is not None:
            self._calls[("output", output_index)] = call
        return [chunk]

    def _call_for(self, item_id: Any, output_index: Any) -> _Call | None:
        call = self._calls.get(item_id) if isinstance(item_id, str) else None
        return call if call is not None else self._calls.get(("output", output_index))

    def _on_arguments_delta(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        text = self._text(event)
        item_id, output_index = self._ref(event, "item_id"), self._ref(event, "output_index")
        call = self._call_for(item_id, output_index)
        if call is None:  # before its item: kept until the item comes
            key = item_id if isinstance(item_id, str) else ("output", output_index)
            self._early.setdefault(key, []).append(text)
            return []
        if not text:
            return []
        call.sent.append(text)
        return [self._builder().tool_call_arguments(call.tool_index, text)]

    def _on_arguments_done(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        call = self._call_for(self._ref(event, "item_id"), self._ref(event, "output_index"))
        if call is None:
            return []  # its item is still to come, and carries the arguments
        return self._complete(call, event.get("arguments", event.get("input")))

    def _complete(self, call: _Call, final: Any) -> list[ChunkOut]:
        """The rest of a call's arguments when its final text says the deltas sent less."""
        sent = "".join(call.sent)
        if not isinstance(final, str) or final == sent:
            return []
        if not final.startswith(sent):
            raise self._error(f"final arguments of call {call.id} do not continue the streamed ones")
        rest = final[len(sent) :]
        call.sent = [final]
        return [self._builder().tool_call_arguments(call.tool_index, rest)]


def _openai_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    prompt, completion = count(usage.get("input_tokens")), count(usage.get("output_tokens"))
    input_details = usage.get("input_tokens_details")
    output_details = usage.get("output_tokens_details")
    cached = input_details.get("cached_tokens") if isinstance(input_details, Mapping) else 0
    reasoning = output_details.get("reasoning_tokens") if isinstance(output_details, Mapping) else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": count(cached)},
        "completion_tokens_details": {"reasoning_tokens": count(reasoning)},
        "native_usage": dict(usage),
    }


Handler = Callable[[ResponsesTranslator, Mapping[str, Any]], list[ChunkOut]]

_HANDLERS: Final[dict[str, Handler]] = {
    "response.created": ResponsesTranslator._on_created,
    DONE_EVENT: ResponsesTranslator._on_done_marker,
    "response.completed": ResponsesTranslator._on_completed,
    "response.incomplete": ResponsesTranslator._on_incomplete,
    "response.failed": ResponsesTranslator._on_failed,
    "error": ResponsesTranslator._on_error,
    "response.output_text.delta": ResponsesTranslator._on_text_delta,
    "response.output_text.annotation.added": ResponsesTranslator._on_annotation,
    "response.content_part.added": ResponsesTranslator._on_content_part_added,
    "response.refusal.delta": ResponsesTranslator._on_refusal_delta,
    "response.audio.delta": ResponsesTranslator._on_audio_delta,
    "response.audio.transcript.delta": ResponsesTranslator._on_audio_delta,
    "response.reasoning_summary_text.delta": ResponsesTranslator._on_reasoning_delta,
    "response.reasoning_text.delta": ResponsesTranslator._on_reasoning_delta,
    "response.output_item.added": ResponsesTranslator._on_item_added,
    "response.output_item.done": ResponsesTranslator._on_item_done,
    "response.function_call_arguments.delta": ResponsesTranslator._on_arguments_delta,
    "response.function_call_arguments.done": ResponsesTranslator._on_arguments_done,
    "response.custom_tool_call_input.delta": ResponsesTranslator._on_arguments_delta,
}
_BEFORE_START: Final = frozenset({"response.created", "error", "response.failed", DONE_EVENT})
_IGNORED_CHECK: Final = IGNORED_EVENTS.isdisjoint(_HANDLERS)
assert _IGNORED_CHECK, "an event is both handled and ignored"

SPEC: Final = ProviderSpec(name=PROVIDER, translator=ResponsesTranslator, decoder=ChatDecoder)
