"""OpenAI ``chat.completion.chunk`` dicts: the one place they are built, and the contract they keep.

Every provider translator emits through a `ChunkBuilder`, which holds the stream's ``id``, ``created``
and ``model`` and enforces the per-choice output contract:

1. the first chunk of a choice carries ``delta.role = "assistant"`` (merged into its first delta);
2. deltas follow as they come; a tool call's first delta carries ``index``, ``id``, ``type`` and
   ``function.name`` (and ``arguments: ""``), later ones only ``index`` and ``function.arguments``;
   the tool ``index`` counts tool calls from 0 per choice;
3. exactly one chunk with a non-null ``finish_reason`` per choice, after its last delta: a delta or a
   second finish after it raises `TranslationError`;
4. the usage chunk has ``"choices": []``.

Encoded mode (``encoded=True``, used by the byte pipeline only): the steady-state chunks (`content`,
`reasoning_fragment`, `reasoning_summary_fragment`, `tool_call_arguments` for a choice already started)
come back as their JSON bytes, made from a template of the chunk serialised once per stream, byte-identical
to ``dumps`` of the dict. Every other chunk, and every chunk in the default mode, is a dict; `translate()`
never sees bytes.

Extension list fields (``reasoning_details``, ``annotations``, ``server_blocks``) give every entry an
``index`` counted per field and per choice, because the openai SDK's stream fold merges list entries by
``index`` and concatenates repeated string values: an entry's fixed fields (``type`` aside) are sent once,
on its first fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from translators._json import dumps
from translators.errors import TranslationError

__all__ = ["ChunkBuilder", "annotation", "count", "error_event", "extension_entry", "is_count"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
Chunk = dict[str, Any]
ChunkOut = dict[str, Any] | bytes
"""A chunk as a translator returns it: a dict, or (encoded mode only) that dict's JSON bytes."""

_MARK = "\x00value\x00"
_MARK_JSON = dumps(_MARK)


class ErrorBody(TypedDict):
    message: str
    type: str
    code: str | int | None
    param: str | None


class ErrorEvent(TypedDict):
    error: ErrorBody


def error_event(message: str, type: str, code: str | int | None = None) -> dict[str, Any]:
    """The final event of a failed stream: ``{"error": {"message", "type", "code", "param"}}``."""
    body: ErrorBody = {"message": message, "type": type, "code": code if code is not None else type, "param": None}
    return {"error": body}


def is_count(value: Any) -> bool:
    """A token count (or offset) as a provider's JSON gives it: a non-negative integer, not a bool."""
    return type(value) is int and value >= 0


def count(value: Any) -> int:
    """``value`` if it `is_count`, else 0 (a missing or malformed count counts nothing)."""
    return value if type(value) is int and value >= 0 else 0


def extension_entry(index: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An extension-list entry: our ``index``, then ``fields``; a provider field named ``index`` is kept
    as ``native_index`` (the SDK fold needs ``index`` to be ours)."""
    entry = {"index": index, **fields}
    if "index" in fields:
        entry["native_index"] = fields["index"]
        entry["index"] = index
    return entry


def annotation(
    index: int,
    citation: Mapping[str, Any],
    span: tuple[int, int],
    *,
    url: Any = None,
    title: Any = None,
    kind: Any = None,
) -> dict[str, Any]:
    """A ``delta.annotations`` entry for a provider's ``citation`` of the content span ``span``.

    With a string ``url``: ``{"index", "type": "url_citation", "url_citation": {url, title, start_index,
    end_index}, "citation"}``; else ``{"index", "type": kind (default "citation"), "citation", "start_index",
    "end_index"}``. The span is in code points of the choice's ``content``."""
    if isinstance(url, str):
        url_citation = {
            "url": url,
            "title": title if isinstance(title, str) else "",
            "start_index": span[0],
            "end_index": span[1],
        }
        return {"index": index, "type": "url_citation", "url_citation": url_citation, "citation": dict(citation)}
    return {
        "index": index,
        "type": kind if isinstance(kind, str) else "citation",
        "citation": dict(citation),
        "start_index": span[0],
        "end_index": span[1],
    }


class _Choice:
    __slots__ = ("counters", "finished", "started", "tools")

    def __init__(self) -> None:
        self.started = False
        self.finished = False
        self.tools = 0
        self.counters: dict[str, int] = {}


class ChunkBuilder:
    """Builds all chunk dicts of one stream and enforces the per-choice contract (module docstring)."""

    __slots__ = ("_choices", "_head", "_steady", "_templates", "created", "id", "model", "provider", "reasoning_field")

    def __init__(
        self,
        *,
        provider: str,
        id: str,
        created: int,
        model: str,
        reasoning_field: str = "reasoning_content",
        extra: dict[str, Any] | None = None,
        encoded: bool = False,
    ) -> None:
        self.provider = provider
        self.id = id
        self.created = created
        self.model = model
        self.reasoning_field = reasoning_field
        self._head: dict[str, Any] = {"id": id, "object": "chat.completion.chunk", "created": created, "model": model}
        if extra:
            self._head.update(extra)
        self._choices: dict[int, _Choice] = {}
        self._steady: set[int] = set()
        """Choices that have had their first chunk and no finish: their deltas need no role and no check."""
        # Templates mark the value's place with _MARK; a head or field name that holds it cannot use them.
        encodable = encoded and _MARK_JSON not in dumps([self._head, reasoning_field])
        self._templates: dict[tuple[str, int, int], list[bytes]] | None = {} if encodable else None

    # -- per-choice state -------------------------------------------------------------------------

    def _open(self, index: int) -> _Choice:
        choice = self._choices.get(index)
        if choice is None:
            choice = self._choices[index] = _Choice()
        elif choice.finished:
            raise TranslationError(f"delta for choice {index} after its finish_reason", provider=self.provider)
        return choice

    def started(self, index: int = 0) -> bool:
        choice = self._choices.get(index)
        return choice is not None and choice.started

    def finished(self, index: int = 0) -> bool:
        choice = self._choices.get(index)
        return choice is not None and choice.finished

    def next_entry(self, field: str, index: int = 0) -> int:
        """The next ``index`` for an entry of an extension list field (``annotations`` …) of a choice."""
        counters = self._open(index).counters
        n = counters.get(field, 0)
        counters[field] = n + 1
        return n

    # -- chunks ----------------------------------------------------------------------------------

    def _choice_chunk(self, choice: dict[str, Any]) -> Chunk:
        chunk = dict(self._head)
        chunk["choices"] = [choice]
        return chunk

    def delta(
        self,
        delta: dict[str, Any],
        index: int = 0,
        logprobs: dict[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Chunk:
        """A chunk carrying ``delta`` (and ``logprobs``) for choice ``index``; the choice's first one also
        carries the role. ``extra`` adds documented fields to the choice (``content_filter_results`` …)."""
        if index not in self._steady:
            choice = self._open(index)
            if not choice.started:
                choice.started = True
                self._steady.add(index)
                delta = {"role": "assistant", **delta}
        body = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": None}
        if extra:
            body.update(extra)
        return self._choice_chunk(body)

    def role(self, index: int = 0) -> Chunk:
        """The role-only first chunk of a choice, for providers that announce the message before content."""
        if self.started(index):
            raise TranslationError(f"choice {index} announced twice", provider=self.provider)
        return self.delta({}, index)

    def _encoded(self, kind: str, index: int, entry: int, value: str) -> bytes:
        """The JSON of a steady-state delta chunk carrying ``value``, from a template cached per stream."""
        templates = self._templates
        assert templates is not None
        key = (kind, index, entry)
        parts = templates.get(key)
        if parts is None:  # first use: serialise the chunk once, with a marker where the value goes
            body = {"index": index, "delta": self._template_delta(kind, entry), "logprobs": None, "finish_reason": None}
            parts = templates[key] = dumps({**self._head, "choices": [body]}).split(_MARK_JSON)
        return dumps(value).join(parts)

    def _template_delta(self, kind: str, entry: int) -> dict[str, Any]:
        if kind == "content":
            return {"content": _MARK}
        if kind == "reasoning":
            details = [{"index": entry, "type": "reasoning.text", "text": _MARK}]
            return {self.reasoning_field: _MARK, "reasoning_details": details}
        if kind == "summary":
            details = [{"index": entry, "type": "reasoning.summary", "summary": _MARK}]
            return {self.reasoning_field: _MARK, "reasoning_details": details}
        return {"tool_calls": [{"index": entry, "function": {"arguments": _MARK}}]}

    def content(self, text: str, index: int = 0) -> ChunkOut:
        if self._templates is not None and index in self._steady:
            return self._encoded("content", index, 0, text)
        return self.delta({"content": text}, index)

    def reasoning(self, text: str, index: int = 0, details: list[dict[str, Any]] | None = None) -> Chunk:
        delta: dict[str, Any] = {self.reasoning_field: text}
        if details is not None:
            delta["reasoning_details"] = details
        return self.delta(delta, index)

    def reasoning_fragment(self, text: str, entry: int, index: int = 0) -> ChunkOut:
        """Reasoning text that continues ``reasoning_details`` entry ``entry`` (a ``reasoning.text`` one)."""
        if self._templates is not None and index in self._steady:
            return self._encoded("reasoning", index, entry, text)
        return self.reasoning(text, index, [{"index": entry, "type": "reasoning.text", "text": text}])

    def reasoning_summary_fragment(self, text: str, entry: int, index: int = 0) -> ChunkOut:
        """Reasoning text that continues ``reasoning_details`` entry ``entry`` (a ``reasoning.summary`` one)."""
        if self._templates is not None and index in self._steady:
            return self._encoded("summary", index, entry, text)
        return self.reasoning(text, index, [{"index": entry, "type": "reasoning.summary", "summary": text}])

    def tool_call_start(
        self,
        call_id: str,
        name: str,
        index: int = 0,
        arguments: str = "",
        *,
        call_extra: dict[str, Any] | None = None,
        delta_extra: dict[str, Any] | None = None,
    ) -> tuple[int, Chunk]:
        """Open the next tool call of a choice; returns its tool index and its first chunk.

        ``call_extra`` adds documented fields to the tool call (``extra_content`` …), ``delta_extra``
        fields beside ``tool_calls`` in the delta (``reasoning_details`` …)."""
        choice = self._open(index)
        tool_index = choice.tools
        choice.tools += 1
        call = {
            "index": tool_index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        if call_extra:
            call.update(call_extra)
        delta: dict[str, Any] = {"tool_calls": [call]}
        if delta_extra:
            delta.update(delta_extra)
        return tool_index, self.delta(delta, index)

    def tool_call_arguments(self, tool_index: int, fragment: str, index: int = 0) -> ChunkOut:
        if self._templates is not None and index in self._steady:
            return self._encoded("arguments", index, tool_index, fragment)
        return self.delta({"tool_calls": [{"index": tool_index, "function": {"arguments": fragment}}]}, index)

    def tool_calls_started(self, index: int = 0) -> int:
        choice = self._choices.get(index)
        return choice.tools if choice is not None else 0

    def finish(self, reason: FinishReason, index: int = 0, **extra: Any) -> Chunk:
        """The one finish chunk of a choice; ``extra`` adds documented fields (``native_finish_reason`` …)."""
        choice = self._open(index)
        delta: dict[str, Any] = {}
        if not choice.started:
            choice.started = True
            delta["role"] = "assistant"
        choice.finished = True
        self._steady.discard(index)
        body = {"index": index, "delta": delta, "logprobs": None, "finish_reason": reason}
        body.update(extra)
        return self._choice_chunk(body)

    def usage(self, usage: dict[str, Any]) -> Chunk:
        """The usage chunk: ``"choices": []`` and OpenAI-shaped ``usage``."""
        chunk = dict(self._head)
        chunk["choices"] = []
        chunk["usage"] = usage
        return chunk
