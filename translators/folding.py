"""Fold a stream of ``chat.completion.chunk`` dicts into the ``chat.completion`` object it adds up to.

What a non-streaming answer is made of, and what the openai SDK's ``ChatCompletionStreamState`` computes from
the same chunks (the tests compare the two on every golden in ``fixtures/``)::

    completion = fold(chunks)                    # chunk dicts
    completion = fold_sse(body)                  # OpenAI SSE bytes (whole, or in pieces)
    folder = Folder(); folder.feed(chunk) ...; folder.completion()   # incrementally

The rules:

=====================  ==================================================================================
field                  folded as
=====================  ==================================================================================
``id``, ``created``,   the first value sent (``object`` is ``"chat.completion"``)
``model``
``usage``,             the last value sent that is not null (``usage`` is null when no chunk had one)
``system_fingerprint``,
``service_tier``, any
other top-level field
``choices``            one per ``index``, in index order: ``index``, ``message``, ``finish_reason`` (the last
                       non-null), ``logprobs`` (``content``/``refusal`` lists joined; null when none), and
                       any other choice field (the last non-null value)
``message``            the deltas merged: ``role`` (default ``"assistant"``), ``content`` and ``refusal``
                       (strings joined; null when none), the reasoning field (``reasoning_content``, or
                       whatever the stream names it), ``tool_calls`` (merged by their ``index``, which is then
                       dropped: ``{id, type, function: {name, arguments}}``), ``annotations`` (default
                       ``[]``), any other delta field (strings joined, objects merged, lists extended or
                       merged by ``index``)
=====================  ==================================================================================

An error chunk (``{"error": {...}}``) raises `FoldError` with that error object: a stream that ends in an error
has no completion. So does a stream without a single chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from translators._json import loads
from translators.sse import SSEDecoder

__all__ = ["FoldError", "Folder", "SSEChunks", "fold", "fold_sse", "merge", "sse_chunks"]

Chunk = dict[str, Any]

_FIRST: Final = frozenset({"id", "created", "model"})
_REPLACED: Final = frozenset({"role", "type", "index"})
_EMPTY: Final = {"message": "the upstream stream ended without a chunk", "type": "api_error", "code": "empty_stream"}


class FoldError(Exception):
    """The stream ended in an error event (or had no chunk): ``error`` is its OpenAI error object."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        self.error: dict[str, Any] = dict(error)
        super().__init__(str(self.error.get("message") or "the stream ended with an error"))


class Folder:
    """The incremental fold: `feed` each chunk, then `completion`."""

    __slots__ = ("_choices", "_seen", "_top")

    def __init__(self) -> None:
        self._top: dict[str, Any] = {}
        self._choices: dict[int, _Choice] = {}
        self._seen = False

    def feed(self, chunk: Mapping[str, Any]) -> None:
        """Add one chunk; an error chunk raises `FoldError`."""
        if "error" in chunk:
            error = chunk["error"]
            raise FoldError(error if isinstance(error, Mapping) else {"message": str(error), "type": "api_error"})
        self._seen = True
        top = self._top
        for key, value in chunk.items():
            if key == "choices":
                self._feed_choices(value)
            elif value is None or key == "object":
                continue
            elif key in _FIRST:
                top.setdefault(key, value)
            else:
                top[key] = value

    def _feed_choices(self, choices: Any) -> None:
        for choice in choices if isinstance(choices, list) else ():
            index = choice.get("index", 0)
            state = self._choices.get(index)
            if state is None:
                state = self._choices[index] = _Choice(index)
            state.feed(choice)

    def completion(self) -> Chunk:
        """The ``chat.completion`` object so far (module docstring)."""
        if not self._seen:
            raise FoldError(_EMPTY)
        top = self._top
        out: Chunk = {
            "id": top.get("id"),
            "object": "chat.completion",
            "created": top.get("created"),
            "model": top.get("model"),
            "choices": [self._choices[index].result() for index in sorted(self._choices)],
            "usage": top.get("usage"),
        }
        out.update((key, value) for key, value in top.items() if key not in out)
        return out


class _Choice:
    __slots__ = ("extras", "index", "logprobs", "message")

    def __init__(self, index: int) -> None:
        self.index = index
        self.message: dict[str, Any] = {}
        self.logprobs: dict[str, Any] | None = None
        self.extras: dict[str, Any] = {}

    def feed(self, choice: Mapping[str, Any]) -> None:
        for key, value in choice.items():
            if key == "delta":
                if isinstance(value, Mapping):
                    merge(self.message, value)
            elif key == "logprobs":
                self._feed_logprobs(value)
            elif key != "index" and value is not None:
                self.extras[key] = value

    def _feed_logprobs(self, logprobs: Any) -> None:
        if not isinstance(logprobs, Mapping):
            return
        if self.logprobs is None:
            self.logprobs = {}
        merge(self.logprobs, logprobs)

    def result(self) -> Chunk:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, **self.message}
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            message["tool_calls"] = [_tool_call(call) for call in calls]
        message.setdefault("annotations", [])
        extras = dict(self.extras)
        return {
            "index": self.index,
            "message": message,
            "finish_reason": extras.pop("finish_reason", None),
            "logprobs": self.logprobs,
            **extras,
        }


def _tool_call(call: Any) -> Any:
    if not isinstance(call, dict):
        return call
    function = call.get("function")
    function = function if isinstance(function, dict) else {}
    out = {
        "id": call.get("id"),
        "type": call.get("type") or "function",
        "function": {**function, "name": function.get("name"), "arguments": function.get("arguments") or ""},
    }
    out.update((key, value) for key, value in call.items() if key not in out and key != "index")
    return out


def merge(acc: dict[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a delta into ``acc`` (in place, and returned): strings are joined, objects merged, lists extended
    (entries with an ``index`` are merged into the entry of that index), ``role``/``type``/``index`` and other
    scalars replaced; null never overwrites, nor does a value of another kind than the one there (an object
    after a string: the SDK's rule too). ``delta`` is not changed."""
    for key, value in delta.items():
        if value is None:
            continue
        old = acc.get(key)
        if old is None or key in _REPLACED:
            acc[key] = _merged_list([], value) if isinstance(value, list) else _copy(value)
        elif isinstance(old, str) and isinstance(value, str):
            acc[key] = old + value
        elif isinstance(old, dict) and isinstance(value, Mapping):
            merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            _merged_list(old, value)
        elif not isinstance(old, dict | list | str) and not isinstance(value, dict | list | str):
            acc[key] = value
    return acc


def _merged_list(acc: list[Any], entries: list[Any]) -> list[Any]:
    for entry in entries:
        index = entry.get("index") if isinstance(entry, Mapping) else None
        target = _indexed(acc, index) if isinstance(index, int) else None
        if target is None:
            acc.append(merge({}, entry) if isinstance(entry, Mapping) else _copy(entry))
        else:
            merge(target, entry)
    return acc


def _indexed(entries: list[Any], index: int) -> dict[str, Any] | None:
    for entry in entries:
        if isinstance(entry, dict) and entry.get("index") == index:
            return entry
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return merge({}, value)
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def fold(chunks: Iterable[Mapping[str, Any]]) -> Chunk:
    """The ``chat.completion`` object the chunks add up to; `FoldError` on an error chunk or none at all."""
    folder = Folder()
    for chunk in chunks:
        folder.feed(chunk)
    return folder.completion()


# -- from SSE bytes ---------------------------------------------------------------------------------------


class SSEChunks:
    """OpenAI SSE bytes, in any pieces → chunk dicts (``[DONE]`` and comments such as keep-alives skipped).

    Data that is not a JSON object raises `ValueError`."""

    __slots__ = ("_decoder",)

    def __init__(self) -> None:
        self._decoder = SSEDecoder()

    def feed(self, piece: bytes) -> list[Chunk]:
        return [_chunk(event.data) for event in self._decoder.decode(piece) if _carries(event.data)]

    def close(self) -> list[Chunk]:
        return [_chunk(event.data) for event in self._decoder.flush() if _carries(event.data)]


def _carries(data: str) -> bool:
    return data != "[DONE]" and bool(data.strip())


def _chunk(data: str) -> Chunk:
    value = loads(data)
    if not isinstance(value, dict):
        raise ValueError(f"an SSE event's data is not a JSON object: {data[:200]!r}")
    return value


def sse_chunks(body: bytes | Iterable[bytes]) -> Iterator[Chunk]:
    """The chunk dicts of an OpenAI SSE body (whole, or in pieces)."""
    decoder = SSEChunks()
    for piece in [body] if isinstance(body, bytes | bytearray) else body:
        yield from decoder.feed(bytes(piece))
    yield from decoder.close()


def fold_sse(body: bytes | Iterable[bytes]) -> Chunk:
    """`fold` of an OpenAI SSE body."""
    return fold(sse_chunks(body))
