"""OpenAI Chat Completions streams and the "compatible" dialects → one OpenAI chunk contract.

Providers: ``openai``, ``azure``, ``deepseek``, ``mistral``, ``xai``, ``groq``, ``openrouter``. Their wire is
already ``chat.completion.chunk`` SSE, but each bends it in a way that breaks strict clients (an empty
first chunk, usage on the finish chunk, content as a list, tool calls without ``index``, errors inside a
chunk). The translator rebuilds every chunk through `ChunkBuilder`, so the output keeps the contract
whatever the dialect sent; one translator serves all dialects, and each dialect's quirks are rows of
`DIALECTS` (documentation and tests), not branches.

Docs: https://platform.openai.com/docs/api-reference/chat-streaming,
https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter (Azure filter results),
https://api-docs.deepseek.com/api/create-chat-completion, https://docs.mistral.ai/api/#tag/chat,
https://docs.x.ai/docs/guides/streaming-response, https://console.groq.com/docs/errors,
https://openrouter.ai/docs/api-reference/streaming, https://openrouter.ai/docs/use-cases/reasoning-tokens.

=============================================  ====================================================================
Upstream chunk field                           Output
=============================================  ====================================================================
first chunk with an ``id``                     the stream's ``id`` and ``model`` (options override); ``created``
                                               from the chunk unless the caller gave one (never a zero);
                                               ``system_fingerprint``, ``service_tier`` and OpenRouter's
                                               ``provider`` are kept on every chunk
chunk with ``choices: []`` and no usage        nothing of its own: Azure's ``prompt_filter_results`` goes on the
(Azure's first chunk, OpenAI's moderation)     first chunk out (top level); ``moderation`` goes on the usage chunk
``delta.role``                                 the role chunk of the choice (one per choice, added if missing);
                                               lower choice indexes are announced first
``delta.content`` string                       ``delta.content`` (``""`` and null are dropped)
``delta.content`` list (Mistral)               ``text`` parts → ``content``; ``thinking`` parts (their ``text``
                                               items) → the reasoning field; other parts → ``delta.content_parts``
``delta.reasoning_content`` (DeepSeek, xAI),   the reasoning field (the ``reasoning_field`` option); Groq's
``delta.reasoning`` (Groq, OpenRouter)         ``channel`` is kept beside it
``delta.reasoning_details`` (OpenRouter)       ``delta.reasoning_details``, entries re-indexed per choice (one
                                               upstream ``index`` stays one entry)
``delta.refusal``                              ``delta.refusal``
``delta.tool_calls``                           tool calls; the first delta of each carries ``index`` (counting
                                               calls from 0 per choice), ``id``, ``type``, ``function.name``;
                                               later ones ``index`` and ``arguments`` fragments. Calls without
                                               ``index`` or ``type`` (Mistral, whole in one chunk) get both; a
                                               missing ``id`` is ``call_<stream id>_<n>``
``delta.annotations``, ``delta.audio``, other  passed through on the delta (annotations re-indexed per choice)
``logprobs``                                   ``logprobs`` of the same chunk
``content_filter_results`` (Azure), other      kept on the choice of the chunk that carried them (when not
choice-level fields                            empty)
``finish_reason``                              the one finish chunk of the choice (`FINISH_REASONS`; ``stop``
                                               after tool calls is ``tool_calls``), ``native_finish_reason``
                                               = the upstream's own (OpenRouter's field, else the raw reason);
                                               a repeated finish is dropped
``usage`` (any chunk), ``x_groq.usage``        one usage chunk at the end, OpenAI semantics (below);
                                               ``native_usage`` keeps the upstream object, ``x_groq`` Groq's
top-level ``error`` (OpenRouter, in a chunk)   ``{"error": {message, type, code, param, native_error}}``, and
or ``event: error`` (Groq)                     ``usage`` beside it when the chunk had one; no ``[DONE]``
``finish_reason: "error"``                     the same error event
``data: [DONE]``                               end of the stream: the usage chunk, then ``[DONE]``
end of input with a choice unfinished          ``{"error": {"type": "upstream_truncated", …}}``
``obfuscation``, ``usage: null``, ``object``,  dropped (`IGNORED_FIELDS`)
``created``/``id``/``model`` after the first
=============================================  ====================================================================

Usage, OpenAI semantics: ``prompt_tokens`` includes cached tokens (DeepSeek's ``prompt_cache_hit_tokens``
fill ``prompt_tokens_details.cached_tokens`` when it is missing); ``completion_tokens`` includes reasoning
tokens. xAI counts reasoning outside ``completion_tokens`` (its ``total_tokens`` = prompt + completion +
reasoning): when the upstream total says so, reasoning is added to ``completion_tokens``. ``total_tokens``
= prompt + completion.

A stream is complete when every choice that appeared has finished; ``[DONE]`` is not required (SDK
iterators swallow it), and input after it is not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from translators._core import Options, ProviderSpec, stream_builder
from translators._json import dumps_text
from translators.chunks import (
    Chunk,
    ChunkBuilder,
    ChunkOut,
    FinishReason,
    count,
    error_event,
    extension_entry,
    is_count,
)
from translators.errors import TranslationError, stream_error
from translators.events import DONE_EVENT, JSONEventDecoder

__all__ = ["DIALECTS", "DONE_EVENT", "FINISH_REASONS", "IGNORED_FIELDS", "SPECS", "ChatDecoder", "ChatTranslator"]


@dataclass(frozen=True)
class Dialect:
    """One provider speaking the Chat Completions stream, and what it bends."""

    name: str
    docs: str
    quirks: tuple[str, ...]


DIALECTS: Final = {
    d.name: d
    for d in (
        Dialect(
            "openai",
            "https://platform.openai.com/docs/api-reference/chat-streaming",
            (
                "obfuscation on every chunk: dropped",
                "usage: null on every chunk until a choices: [] usage chunk: one usage chunk at the end",
                "a choices: [] chunk with moderation after the usage chunk: moderation goes on the usage chunk",
                "logprobs, refusal, n > 1, service_tier, system_fingerprint: kept",
            ),
        ),
        Dialect(
            "azure",
            "https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter",
            (
                "first chunk: choices [], id '', created 0, model '', prompt_filter_results: the filter results go"
                " on the first chunk out; the empty id and zero created never do",
                "content_filter_results on every choice: kept on the choice when not empty",
            ),
        ),
        Dialect(
            "deepseek",
            "https://api-docs.deepseek.com/api/create-chat-completion",
            (
                "reasoning_content (the other of content/reasoning_content null): the reasoning field",
                "usage on the finish chunk: its own usage chunk at the end",
                "prompt_cache_hit_tokens / prompt_cache_miss_tokens: cached_tokens, and native_usage",
            ),
        ),
        Dialect(
            "mistral",
            "https://docs.mistral.ai/api/#tag/chat",
            (
                "content as a list of typed parts: thinking → reasoning, text → content",
                "tool calls whole in one chunk without index or type: both added",
                "usage on the finish chunk: its own usage chunk",
            ),
        ),
        Dialect(
            "xai",
            "https://docs.x.ai/docs/guides/streaming-response",
            (
                "reasoning_content: the reasoning field",
                "completion_tokens exclude reasoning (total = prompt + completion + reasoning): reasoning added",
                "chunks without a finish_reason key; tool calls whole in one chunk",
            ),
        ),
        Dialect(
            "groq",
            "https://console.groq.com/docs/errors",
            (
                "x_groq.usage beside (or instead of) usage: usage; x_groq kept on the usage chunk",
                "delta.reasoning with channel: the reasoning field, channel kept",
                "event: error with no [DONE]: the error event",
            ),
        ),
        Dialect(
            "openrouter",
            "https://openrouter.ai/docs/api-reference/streaming",
            (
                "': OPENROUTER PROCESSING' comments: skipped by the SSE layer",
                "reasoning and reasoning_details: the reasoning field and reasoning_details",
                "an error inside a chunk (finish_reason 'error' or a top-level error), then [DONE]: the error event",
                "a repeated finish chunk: dropped",
            ),
        ),
    )
}
"""Each dialect's quirks, as handled; every one is exercised by a fixture in ``fixtures/<dialect>/``."""

FINISH_REASONS: Final[dict[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "function_call",
    "end_turn": "stop",
    "eos": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "tool_use": "tool_calls",
}
"""Upstream ``finish_reason`` → OpenAI's; any other maps to ``stop`` (``error`` is an error event)."""

IGNORED_FIELDS: Final = frozenset({"obfuscation", "object"})
"""Top-level chunk fields dropped on purpose (``id``/``created``/``model`` are read from the first chunk)."""

_KNOWN_FIELDS: Final = frozenset(
    {"id", "created", "model", "choices", "usage", "system_fingerprint", "service_tier", "provider"}
    | {"x_groq", "prompt_filter_results", "moderation", "error", "type", "citations"}
)
_HEAD_FIELDS: Final = ("system_fingerprint", "service_tier", "provider")
_DELTA_HANDLED: Final = frozenset(
    {"role", "content", "reasoning_content", "reasoning", "reasoning_details", "refusal", "tool_calls"}
    | {"function_call", "channel", "annotations"}
)
_CHOICE_HANDLED: Final = frozenset({"index", "delta", "finish_reason", "logprobs", "native_finish_reason"})
_PLAIN_CHOICE_FIELDS: Final = frozenset({"index", "delta", "finish_reason", "logprobs"})
_CHUNK_FIELDS: Final = frozenset({"usage", "x_groq", "moderation", "prompt_filter_results"})
"""Top-level fields read from any chunk (`_chunk_fields`)."""
_SPECIAL_FIELDS: Final = frozenset({"error", "type", "x_groq", "moderation", "prompt_filter_results"})
"""A chunk with one of these (or a usage) never takes the hot path."""
MAX_CHOICES: Final = 128


class ChatChunk(TypedDict, total=False):
    """A ``chat.completion.chunk`` as the dialects send it (the fields read here)."""

    id: str
    created: int
    model: str
    choices: list[dict[str, Any]]
    usage: dict[str, Any] | None
    error: dict[str, Any]


class ChatDecoder(JSONEventDecoder):
    """`JSONEventDecoder` that also reads ``data: [DONE]``, as ``{"type": "[DONE]"}``."""

    __slots__ = ()
    read_done = True


class _Tool:
    __slots__ = ("id", "index")

    def __init__(self, call_id: str, index: int) -> None:
        self.id = call_id
        self.index = index


class _Choice:
    __slots__ = ("detail_entries", "last_tool", "tools")

    def __init__(self) -> None:
        self.tools: dict[Any, _Tool] = {}  # upstream key (its index, or its id) → the call
        self.last_tool: _Tool | None = None
        self.detail_entries: dict[Any, int] = {}  # upstream reasoning_details index → ours


class ChatTranslator:
    """One chat-dialect stream (sans-I/O): ``feed(chunk)`` → chunks; ``finish()`` at the end of input."""

    def __init__(self, options: Options, encoded: bool = False, *, provider: str = "openai") -> None:
        self._options = options
        self._encoded = encoded
        self._provider = provider
        self._out: ChunkBuilder | None = None
        self._choices: dict[int, _Choice] = {}
        self._usage: Mapping[str, Any] | None = None
        self._x_groq: dict[str, Any] = {}
        self._moderation: Any = None
        self._prompt_filter_results: Any = None
        self._calls = 0
        self._events = 0
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        if (
            self._out is not None
            and event.get("usage") is None
            and event.keys().isdisjoint(_SPECIAL_FIELDS)
            and not self._options.strict
        ):  # the hot path: a chunk with one steady delta and nothing else to read
            choices = event.get("choices")
            if type(choices) is list and len(choices) == 1:
                steady = self._steady_delta(self._out, choices[0])
                if steady is not None:
                    return steady
        if "error" in event and event["error"] is not None:
            return self._on_error(event)
        kind = event.get("type")
        if kind is not None:
            if kind == DONE_EVENT:
                self.done = True
                return self._end()
            if self._options.strict:
                raise self._error(f"unknown event type {kind!r}")
            return []  # a named SSE event that is not a chunk (none is known but error)
        choices = event.get("choices")
        if type(choices) is not list:
            raise self._error("chunk has no 'choices' list")
        out = self._out
        if out is None:
            if not choices:  # before the first real chunk (Azure's prompt filter chunk): only its fields
                self._chunk_fields(event)
                return []
            out = self._start(event)
        chunks: list[ChunkOut] = []
        for choice in choices:
            if type(choice) is not dict:
                raise self._error("a choice is not an object")
            self._choice(out, choice, chunks)
        if self._options.strict or not event.keys().isdisjoint(_CHUNK_FIELDS):
            self._chunk_fields(event)
        if self.done:
            return chunks + self._failed_choice()
        return chunks

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = True
        return self._end()

    # -- stream level --------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=self._provider, where=f"chunk #{self._events}")

    def _start(self, event: Mapping[str, Any]) -> ChunkBuilder:
        head = {key: event[key] for key in _HEAD_FIELDS if key in event}
        self._out = stream_builder(
            self._options,
            self._provider,
            upstream_id=event.get("id"),
            model=event.get("model"),
            created=event.get("created"),
            id_prefix="",  # a chat id already
            extra=head,
            encoded=self._encoded,
        )
        return self._out

    def _chunk_fields(self, event: Mapping[str, Any]) -> None:
        usage = event.get("usage")
        if usage is not None:
            if not isinstance(usage, Mapping):
                raise self._error("'usage' is not an object")
            self._usage = usage
        groq = event.get("x_groq")
        if isinstance(groq, Mapping):
            self._x_groq.update(groq)
            if self._usage is None and isinstance(groq.get("usage"), Mapping):
                self._usage = groq["usage"]
        if "moderation" in event:
            self._moderation = event["moderation"]
        if "prompt_filter_results" in event:
            self._prompt_filter_results = event["prompt_filter_results"]
        if self._options.strict:
            for key in event:
                if key not in _KNOWN_FIELDS and key not in IGNORED_FIELDS:
                    raise self._error(f"unknown field {key!r}")

    def _end(self) -> list[ChunkOut]:
        """End of the stream ([DONE] or end of input): complete, or an error event."""
        out = self._out
        if out is None or not self._choices or not all(out.finished(i) for i in self._choices):
            self.failed = True
            return [error_event("upstream stream ended before every choice had a finish_reason", "upstream_truncated")]
        if not self._options.include_usage or self._usage is None:
            return []
        chunk = out.usage(self._openai_usage(self._usage))
        if self._x_groq:
            chunk["x_groq"] = self._x_groq
        if self._moderation is not None:
            chunk["moderation"] = self._moderation
        return [chunk]

    def _on_error(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        """Groq's ``event: error``, or a chunk with a top-level ``error`` (OpenRouter): the last event."""
        error = event.get("error")
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        self.done = self.failed = True
        message, code = error.get("message"), error.get("code")
        result = stream_error(
            self._provider,
            message if isinstance(message, str) and message else f"{self._provider} stream error",
            status=error.get("status_code", code),  # Groq's status_code; OpenRouter's numeric code
            native_type=error.get("type"),
            native_code=code,
        )
        result["error"]["native_error"] = dict(error)
        usage = event.get("usage")
        if isinstance(usage, Mapping):
            result["usage"] = self._openai_usage(usage)
        return [result]

    def _failed_choice(self) -> list[ChunkOut]:
        """A choice finished with ``finish_reason: "error"`` (and no error object)."""
        self.failed = True
        return [error_event(f"{self._provider} ended a choice with finish_reason 'error'", "api_error")]

    def _openai_usage(self, usage: Mapping[str, Any]) -> dict[str, Any]:
        prompt, completion = count(usage.get("prompt_tokens")), count(usage.get("completion_tokens"))
        prompt_details = _details(usage.get("prompt_tokens_details"))
        completion_details = _details(usage.get("completion_tokens_details"))
        cached = prompt_details.get("cached_tokens")
        if not is_count(cached):
            cached = count(usage.get("prompt_cache_hit_tokens"))
        reasoning = count(completion_details.get("reasoning_tokens"))
        if reasoning and usage.get("total_tokens") == prompt + completion + reasoning:
            completion += reasoning  # xAI: reasoning counted outside completion_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {**prompt_details, "cached_tokens": cached},
            "completion_tokens_details": {**completion_details, "reasoning_tokens": reasoning},
            "native_usage": dict(usage),
        }

    # -- choices -------------------------------------------------------------------------------

    def _choice(self, out: ChunkBuilder, choice: dict[str, Any], chunks: list[ChunkOut]) -> None:
        index = choice.get("index", 0)
        if type(index) is not int or not 0 <= index < MAX_CHOICES:
            raise self._error("choice 'index' is not an integer in range")
        delta = choice.get("delta")
        reason = choice.get("finish_reason")
        state = self._choices.get(index)
        if state is None:
            state = self._new_choice(out, index, chunks)
        if out.finished(index):
            if reason == "error":
                self.done = True
            elif _has_content(delta):
                raise self._error(f"delta for choice {index} after its finish_reason")
            return  # a repeated finish (OpenRouter), or an empty delta after it
        if delta is not None:
            if type(delta) is not dict:
                raise self._error("choice 'delta' is not an object")
            self._delta(out, state, index, choice, delta, chunks, reason is None)
        elif choice.get("logprobs") is not None:
            chunks.append(out.delta({}, index, logprobs=choice["logprobs"]))
        if reason is not None:
            self._finish(out, state, index, choice, reason, chunks)
        elif not out.started(index):
            chunks.append(self._first(out.delta({}, index, extra=_choice_extra(choice))))

    def _steady_delta(self, out: ChunkBuilder, choice: Any) -> list[ChunkOut] | None:
        """A started choice's plain content delta or argument fragment, fast; None: anything else."""
        if type(choice) is not dict or not choice.keys() <= _PLAIN_CHOICE_FIELDS:
            return None
        if choice.get("finish_reason") is not None or choice.get("logprobs") is not None:
            return None
        delta, index = choice.get("delta"), choice.get("index", 0)
        state = self._choices.get(index) if type(index) is int else None
        if state is None or type(delta) is not dict or len(delta) != 1:
            return None
        text = delta.get("content")
        if type(text) is str:
            return [out.content(text, index)] if text else []
        calls = delta.get("tool_calls")
        if type(calls) is list and len(calls) == 1:
            call = calls[0]
            key = call.get("index") if type(call) is dict and len(call) == 2 else None
            if type(key) is int:
                tool = state.tools.get(key)
                function = call.get("function")
                if tool is not None and type(function) is dict and len(function) == 1:
                    fragment = function.get("arguments")
                    if type(fragment) is str:
                        state.last_tool = tool
                        return [out.tool_call_arguments(tool.index, fragment, index)] if fragment else []
        return None

    def _new_choice(self, out: ChunkBuilder, index: int, chunks: list[ChunkOut]) -> _Choice:
        for lower in range(index):  # the openai SDK's fold needs choices to appear in index order
            if lower not in self._choices:
                self._choices[lower] = _Choice()
                chunks.append(self._first(out.role(lower)))
        state = self._choices[index] = _Choice()
        return state

    def _first(self, chunk: Chunk) -> Chunk:
        """The first chunk out carries Azure's prompt filter results, if any came."""
        if self._prompt_filter_results is not None:
            chunk["prompt_filter_results"] = self._prompt_filter_results
            self._prompt_filter_results = None
        return chunk

    def _delta(
        self,
        out: ChunkBuilder,
        state: _Choice,
        index: int,
        choice: Mapping[str, Any],
        delta: dict[str, Any],
        chunks: list[ChunkOut],
        open_choice: bool = True,
    ) -> None:
        """``open_choice`` False: the same chunk finishes the choice, and the finish carries its extras."""
        fields: dict[str, Any] = {}
        content = delta.get("content")
        if type(content) is str:
            if content:
                fields["content"] = content
        elif type(content) is list:
            self._content_parts(out, index, content, fields)
        elif content is not None:
            raise self._error("delta 'content' is neither a string nor a list")
        for key in ("reasoning_content", "reasoning"):
            text = delta.get(key)
            if text:
                if not isinstance(text, str):
                    raise self._error(f"delta {key!r} is not a string")
                fields[out.reasoning_field] = fields.get(out.reasoning_field, "") + text
        if "channel" in delta and delta["channel"] is not None:
            fields["channel"] = delta["channel"]
        details = delta.get("reasoning_details")
        if details:
            fields["reasoning_details"] = self._reasoning_details(out, state, index, details)
        refusal = delta.get("refusal")
        if refusal:
            fields["refusal"] = refusal
        annotations = delta.get("annotations")
        if annotations:
            if type(annotations) is not list:
                raise self._error("delta 'annotations' is not a list")
            fields["annotations"] = [
                extension_entry(out.next_entry("annotations", index), a if isinstance(a, Mapping) else {"value": a})
                for a in annotations
            ]
        if len(delta) > len(_DELTA_HANDLED & delta.keys()):
            for key, value in delta.items():
                if key not in _DELTA_HANDLED and value is not None:
                    fields[key] = value  # audio and whatever a dialect adds: passed through
        extra = _choice_extra(choice) if open_choice else None
        logprobs = choice.get("logprobs")
        if fields or logprobs is not None or extra or not out.started(index):
            chunk = out.delta(fields, index, logprobs=logprobs, extra=extra)
            chunks.append(self._first(chunk))
        calls = delta.get("tool_calls")
        if calls:
            if type(calls) is not list:
                raise self._error("delta 'tool_calls' is not a list")
            for call in calls:
                call_chunk = self._tool_call(out, state, index, call)
                if call_chunk is not None:
                    chunks.append(call_chunk)
        legacy = delta.get("function_call")  # the deprecated single function call: one tool call
        if legacy:
            call_chunk = self._tool_call(out, state, index, {"index": "function_call", "function": legacy})
            if call_chunk is not None:
                chunks.append(call_chunk)

    def _content_parts(self, out: ChunkBuilder, index: int, parts: list[Any], fields: dict[str, Any]) -> None:
        """Mistral's typed content parts."""
        reasoning: list[str] = []
        text: list[str] = []
        other: list[Mapping[str, Any]] = []
        for part in parts:
            if not isinstance(part, Mapping):
                raise self._error("a content part is not an object")
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                text.append(part["text"])
            elif kind == "thinking" and isinstance(part.get("thinking"), list):
                for item in part["thinking"]:
                    if isinstance(item, Mapping) and isinstance(item.get("text"), str):
                        reasoning.append(item["text"])
                    else:
                        other.append({"type": "thinking", "thinking": [item]})
            else:
                other.append(part)
        if text and "".join(text):
            fields["content"] = "".join(text)
        if reasoning and "".join(reasoning):
            fields[out.reasoning_field] = "".join(reasoning)
        if other:
            fields["content_parts"] = [extension_entry(out.next_entry("content_parts", index), p) for p in other]

    def _reasoning_details(self, out: ChunkBuilder, state: _Choice, index: int, details: Any) -> list[dict[str, Any]]:
        if type(details) is not list:
            raise self._error("delta 'reasoning_details' is not a list")
        entries = []
        for n, detail in enumerate(details):
            if not isinstance(detail, Mapping):
                raise self._error("a reasoning_details entry is not an object")
            key = detail.get("index", ("position", n))
            if type(key) is not int and type(key) is not tuple:
                key = ("value", _json_text(key))  # an odd upstream index still names one entry
            ours = state.detail_entries.get(key)
            if ours is None:
                ours = state.detail_entries[key] = out.next_entry("reasoning_details", index)
            entries.append(extension_entry(ours, detail))
        return entries

    def _tool_call(self, out: ChunkBuilder, state: _Choice, index: int, call: Any) -> ChunkOut | None:
        if type(call) is not dict and not isinstance(call, Mapping):
            raise self._error("a tool call is not an object")
        function = call.get("function")
        if function is None:
            function = {}
        elif not isinstance(function, Mapping):
            raise self._error("tool call 'function' is not an object")
        arguments = function.get("arguments")
        if arguments is None:
            arguments = ""
        elif not isinstance(arguments, str):
            arguments = _json_text(arguments)  # an object where the API says a JSON string
        call_id = call.get("id")
        key = call.get("index")
        if key is not None and type(key) is not int and type(key) is not str:
            raise self._error("tool call 'index' is not an integer")
        if key is None:  # Mistral: whole calls without index; a call is known by its id
            key = ("id", call_id) if isinstance(call_id, str) and call_id else None
        tool = state.tools.get(key) if key is not None else state.last_tool
        if tool is not None:
            state.last_tool = tool
            if not arguments:
                return None
            return out.tool_call_arguments(tool.index, arguments, index)
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise self._error("a new tool call has no function name")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_{out.id.removeprefix('chatcmpl-')}_{self._calls}"
        self._calls += 1
        extra = {k: v for k, v in call.items() if k not in ("index", "id", "type", "function") and v is not None}
        tool_index, chunk = out.tool_call_start(call_id, name, index, arguments, call_extra=extra or None)
        tool = state.tools[key if key is not None else ("id", call_id)] = _Tool(call_id, tool_index)
        state.last_tool = tool
        return chunk

    def _finish(
        self,
        out: ChunkBuilder,
        state: _Choice,
        index: int,
        choice: Mapping[str, Any],
        reason: Any,
        chunks: list[ChunkOut],
    ) -> None:
        if reason == "error":
            self.done = True
            return
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        if finish == "stop" and out.tool_calls_started(index):
            finish = "tool_calls"
        native = choice.get("native_finish_reason")
        extra: dict[str, Any] = {"native_finish_reason": native if native is not None else reason}
        extra.update(_choice_extra(choice) or {})
        chunks.append(self._first(out.finish(finish, index, **extra)))


def _choice_extra(choice: Mapping[str, Any]) -> dict[str, Any] | None:
    """Choice-level fields a dialect adds (Azure's ``content_filter_results`` …), when not empty."""
    if choice.keys() <= _CHOICE_HANDLED:
        return None
    extra = {k: v for k, v in choice.items() if k not in _CHOICE_HANDLED and v is not None and v != {} and v != []}
    return extra or None


def _has_content(delta: Any) -> bool:
    if not isinstance(delta, Mapping):
        return False
    return any(value not in (None, "", [], {}) for key, value in delta.items() if key != "role")


def _details(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _json_text(value: Any) -> str:
    try:
        return dumps_text(value)
    except ValueError as exc:
        raise TranslationError(f"tool call arguments {exc}") from None


def _spec(provider: str) -> ProviderSpec:
    def translator(options: Options, encoded: bool = False) -> ChatTranslator:
        return ChatTranslator(options, encoded, provider=provider)

    return ProviderSpec(name=provider, translator=translator, decoder=ChatDecoder)


SPECS: Final = {name: _spec(name) for name in DIALECTS}
"""One `ProviderSpec` per dialect; all share `ChatTranslator` and `ChatDecoder`."""
