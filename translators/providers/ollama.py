"""Ollama ``/api/chat`` and ``/api/generate`` streaming → OpenAI Chat Completions chunks.

Docs: https://github.com/ollama/ollama/blob/main/docs/api.md (``Generate a chat completion``, ``Generate a
completion``: streamed objects, the final object's counts and durations), https://ollama.com/blog/thinking,
https://ollama.com/blog/streaming-tool.

Wire: NDJSON, one JSON object per line. Every object has ``model``, ``created_at`` and ``done``; the
chat endpoint's carry a ``message`` (``content``, ``thinking``, ``tool_calls``), the generate endpoint's a
``response`` and ``thinking``. The object with ``done: true`` is the terminal one: ``done_reason`` and the
counts. An ``{"error": "..."}`` object may come instead of any line.

=============================================  ====================================================================
Ollama object field                            OpenAI chunk
=============================================  ====================================================================
the first object                               a role chunk, before its deltas; ``model`` = model,
                                               ``created`` = created_at (unless the option is given), ``id``:
                                               the option, else ``chatcmpl-ollama-<created>``
``message.content`` / ``response``             ``delta.content``
``message.thinking`` / ``thinking``            ``delta.<reasoning_field>`` and one ``reasoning_details`` entry
                                               ``{"index", "type": "reasoning.text", "format": "ollama",
                                               "text"}``
``message.tool_calls[]`` (whole, no ids)       one chunk per call: ``tool_calls[{index, id, type: "function",
                                               function: {name, arguments: <JSON text of the arguments>}}]``;
                                               ``id``: the call's own ``id`` when sent, else `call_id` (a hash
                                               of the stream id, the first ``created_at`` and the tool index)
``logprobs[]``                                 the choice's ``logprobs``: ``{"content": [{token, logprob, bytes,
                                               top_logprobs}]}`` (``bytes`` as sent, else the token's UTF-8)
``image`` (generate, image models)             ``delta.images`` entry (``data:image/png;base64,…``)
``done: true``                                 the finish chunk: ``finish_reason`` (`FINISH_REASONS`;
                                               ``tool_calls`` when a call was sent), ``native_finish_reason`` =
                                               done_reason, ``context`` (generate) when sent; then the usage
                                               chunk (``include_usage``), then ``[DONE]``
``{"error": "..."}``                           ``{"error": {message, type: "api_error" (``model "x" not
                                               found``: "not_found_error"), code, param, native_error}}``;
                                               no ``[DONE]``
end of input without ``done: true``            ``{"error": {"type": "upstream_truncated", …}}``
=============================================  ====================================================================

Usage: ``prompt_tokens`` = ``prompt_eval_count``, ``completion_tokens`` = ``eval_count``, ``total_tokens`` =
their sum; ``native_usage`` = the counts and the durations (``total_duration``, ``load_duration``,
``prompt_eval_duration``, ``eval_duration``, in nanoseconds) as sent.

Ignored fields (`IGNORED_FIELDS`): ``message.role``, ``message.images``, ``created_at`` after the first
object, the image-generation progress counters, the cloud models' ``remote_*``. Bad input raises
`TranslationError`: a field of the wrong type, a tool call without a name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, TypedDict

from translators._core import Options, ProviderSpec, stream_builder
from translators._json import dumps_text
from translators.chunks import ChunkBuilder, ChunkOut, FinishReason, count, error_event
from translators.errors import TranslationError, stream_error
from translators.events import NDJSONDecoder

__all__ = ["FINISH_REASONS", "IGNORED_FIELDS", "SPEC", "OllamaTranslator", "call_id"]

PROVIDER: Final = "ollama"
REASONING_FORMAT: Final = "ollama"

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "load": "stop",
    "unload": "stop",
}
"""``done_reason`` → ``finish_reason``; an unknown or missing one maps to ``stop`` (the raw value is kept)."""

IGNORED_FIELDS: Final = frozenset(
    {"role", "images", "tool_name", "created_at", "completed", "total", "remote_model", "remote_host"}
)
"""Fields (of an object or its message) read and deliberately dropped. With ``strict``, a field neither
here nor in `KNOWN_FIELDS` raises `TranslationError`; otherwise it is dropped too."""

USAGE_FIELDS: Final = (
    "prompt_eval_count",
    "eval_count",
    "total_duration",
    "load_duration",
    "prompt_eval_duration",
    "eval_duration",
)
KNOWN_FIELDS: Final = frozenset(
    {"model", "done", "done_reason", "message", "response", "thinking", "content", "tool_calls", "logprobs"}
    | {"image", "context", "error", *USAGE_FIELDS}
)
"""Fields (of an object or its message) that have a mapping."""


# -- wire shapes (https://github.com/ollama/ollama/blob/main/docs/api.md) ----------------------------------


class ToolCall(TypedDict, total=False):
    id: str
    function: dict[str, Any]  # {name, arguments: object, index?}


class Message(TypedDict, total=False):
    role: str
    content: str
    thinking: str
    tool_calls: list[ToolCall]


class ChatObject(TypedDict, total=False):
    model: str
    created_at: str
    message: Message
    done: bool
    done_reason: str
    prompt_eval_count: int
    eval_count: int


def call_id(stream_id: str, created_at: str, tool_index: int) -> str:
    """The id of a tool call that came without one: ``call_`` + 24 hex digits of SHA-256 of
    ``"<stream id>/<first created_at>/<tool index>"``. The same stream gives the same ids; two streams
    differ by their ``created_at`` (nanoseconds) even when their ids (whole seconds) are equal."""
    return "call_" + hashlib.sha256(f"{stream_id}/{created_at}/{tool_index}".encode()).hexdigest()[:24]


class OllamaTranslator:
    """One Ollama stream's translation: ``feed(object)`` per NDJSON object, then ``finish()``."""

    def __init__(self, options: Options, *, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._entry = -1  # the reasoning_details entry, once thinking went out
        self._created_at = ""  # the first object's, for tool-call ids
        self._events = 0
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        if self._options.strict:
            self._check_fields(event)
        out = self._out
        message = event.get("message")
        if out is not None and type(message) is dict and event.get("done") is False and "error" not in event:
            content = message.get("content")  # the hot path: {"role", "content"} of a steady stream
            plain = "thinking" not in message and "tool_calls" not in message and "logprobs" not in event
            if type(content) is str and plain:
                return [out.content(content)] if content else []
        if "error" in event:
            return self._fail(event)
        chunks: list[ChunkOut] = []
        if out is None:
            out = self._start(event, chunks)
        if isinstance(message, Mapping):
            self._message(out, message, event, chunks)
        elif message is not None:
            raise self._error("'message' is not an object")
        else:
            self._generated(out, event, chunks)
        if event.get("done") is True:
            self._done(out, event, chunks)
        return chunks

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = self.failed = True
        return [error_event("upstream stream ended before the done object", "upstream_truncated")]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"object #{self._events}")

    def _check_fields(self, event: Mapping[str, Any]) -> None:
        message = event.get("message")
        fields = {*event, *(message if isinstance(message, Mapping) else ())}
        unknown = sorted(fields - KNOWN_FIELDS - IGNORED_FIELDS)
        if unknown:
            raise self._error(f"unknown field(s) {', '.join(map(repr, unknown))}")

    def _text(self, mapping: Mapping[str, Any], key: str) -> str:
        value = mapping.get(key)
        if value is None:
            return ""
        if type(value) is not str:
            raise self._error(f"'{key}' is not a string")
        return value

    def _start(self, event: Mapping[str, Any], chunks: list[ChunkOut]) -> ChunkBuilder:
        created_at = event.get("created_at")
        self._created_at = created_at if isinstance(created_at, str) else ""
        out = self._out = stream_builder(
            self._options,
            PROVIDER,
            upstream_id=None,
            model=event.get("model"),
            created=_unix_time(event.get("created_at")),
            encoded=self._encoded,
        )
        chunks.append(out.role())
        return out

    def _fail(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        message = event.get("error")
        self.done = self.failed = True
        failure = stream_error(PROVIDER, message if isinstance(message, str) and message else "Ollama error")
        failure["error"]["native_error"] = dict(event)
        return [failure]

    # -- content -----------------------------------------------------------------------------------

    def _message(
        self, out: ChunkBuilder, message: Mapping[str, Any], event: Mapping[str, Any], chunks: list[ChunkOut]
    ) -> None:
        self._deltas(out, self._text(message, "thinking"), self._text(message, "content"), event, chunks)
        calls = message.get("tool_calls")
        if calls is not None:
            if not isinstance(calls, list):
                raise self._error("'message.tool_calls' is not a list")
            chunks.extend(self._tool_call(out, call) for call in calls)

    def _generated(self, out: ChunkBuilder, event: Mapping[str, Any], chunks: list[ChunkOut]) -> None:
        self._deltas(out, self._text(event, "thinking"), self._text(event, "response"), event, chunks)
        image = event.get("image")
        if isinstance(image, str) and image:
            entry = {"index": out.next_entry("images"), "type": "image_url"}
            entry["image_url"] = {"url": f"data:image/png;base64,{image}"}
            chunks.append(out.delta({"images": [entry]}))

    def _deltas(
        self, out: ChunkBuilder, thinking: str, content: str, event: Mapping[str, Any], chunks: list[ChunkOut]
    ) -> None:
        if thinking:
            chunks.append(self._thinking(out, thinking))
        logprobs = event.get("logprobs")
        if logprobs:
            chunks.append(out.delta({"content": content}, logprobs=self._logprobs(logprobs)))
        elif content:
            chunks.append(out.content(content))

    def _thinking(self, out: ChunkBuilder, text: str) -> ChunkOut:
        if self._entry >= 0:
            return out.reasoning_fragment(text, self._entry)
        self._entry = out.next_entry("reasoning_details")
        entry = {"index": self._entry, "type": "reasoning.text", "format": REASONING_FORMAT, "text": text}
        return out.reasoning(text, details=[entry])

    def _logprobs(self, items: Any) -> dict[str, Any]:
        if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
            raise self._error("'logprobs' is not a list of objects")
        return {"content": [self._logprob(item, top=True) for item in items], "refusal": None}

    def _logprob(self, item: Mapping[str, Any], *, top: bool) -> dict[str, Any]:
        token, logprob = item.get("token"), item.get("logprob")
        if type(token) is not str or type(logprob) not in (int, float):
            raise self._error("a logprob without a string 'token' and a number 'logprob'")
        raw = item.get("bytes")  # newer servers send the token's bytes (a piece of a character differs from token)
        if not isinstance(raw, list) or not all(type(b) is int and 0 <= b < 256 for b in raw):
            raw = list(token.encode("utf-8", "replace"))
        entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": raw}
        if top:
            alternatives = item.get("top_logprobs") or []
            if not isinstance(alternatives, list) or not all(isinstance(a, Mapping) for a in alternatives):
                raise self._error("'top_logprobs' is not a list of objects")
            entry["top_logprobs"] = [self._logprob(a, top=False) for a in alternatives]
        return entry

    def _tool_call(self, out: ChunkBuilder, call: Any) -> ChunkOut:
        function = call.get("function") if isinstance(call, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if type(name) is not str or not isinstance(function, Mapping):
            raise self._error("a tool call without a string 'function.name'")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            try:
                arguments = dumps_text(arguments if arguments is not None else {})
            except ValueError as exc:
                raise self._error(f"tool call arguments {exc}") from None
        given = call.get("id")
        if not isinstance(given, str) or not given:
            given = call_id(out.id, self._created_at, out.tool_calls_started())
        return out.tool_call_start(given, name, arguments=arguments)[1]

    # -- end ---------------------------------------------------------------------------------------------

    def _done(self, out: ChunkBuilder, event: Mapping[str, Any], chunks: list[ChunkOut]) -> None:
        self.done = True
        reason = event.get("done_reason")
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        if finish == "stop" and out.tool_calls_started():
            finish = "tool_calls"
        extra: dict[str, Any] = {"native_finish_reason": reason}
        if event.get("context") is not None:
            extra["context"] = event["context"]
        chunks.append(out.finish(finish, **extra))
        if self._options.include_usage:
            chunks.append(out.usage(_openai_usage(event)))


def _openai_usage(event: Mapping[str, Any]) -> dict[str, Any]:
    prompt, completion = count(event.get("prompt_eval_count")), count(event.get("eval_count"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "native_usage": {key: event[key] for key in USAGE_FIELDS if key in event},
    }


_RFC3339: Final = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", re.ASCII)


def _unix_time(text: Any) -> int | None:
    """``created_at`` (RFC 3339, nanoseconds allowed) as whole unix seconds; None when it is not one."""
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    zone = "+00:00" if match[3] == "Z" else match[3]
    try:
        return int(datetime.fromisoformat(match[1] + zone).timestamp())
    except ValueError:
        return None


SPEC: Final = ProviderSpec(name=PROVIDER, translator=OllamaTranslator, decoder=NDJSONDecoder)
