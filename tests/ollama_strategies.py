"""Hypothesis strategies: Ollama ``/api/chat`` and ``/api/generate`` streams (NDJSON objects), each with a model
of what its translation must say, and their NDJSON bodies.

Modelled on https://github.com/ollama/ollama/blob/main/docs/api.md and the thinking / streaming tool-call
posts (no recorded native stream exists: see the "Known gaps" of /work/shared/real-streams/SOURCES.md):
every object has ``model``, ``created_at`` (RFC 3339 with 0-9 fraction digits, ``Z`` or an offset) and
``done``. Chat objects carry ``message: {role, content, thinking?, tool_calls?}`` (``content: ""`` beside the
thinking, as Ollama sends it; whole tool calls, with or without the newer ``id`` and ``function.index``),
generate objects ``response`` and ``thinking``; some carry ``logprobs`` (with ``top_logprobs``). The last
object has ``done: true``, every ``done_reason`` (or none), the counts and durations (``prompt_eval_count``
sometimes missing, as for a cached prompt), and ``context`` for generate. Every object validates as the
ollama SDK's ``ChatResponse`` / ``GenerateResponse`` (asserted by a test).

* `ollama_streams()`: a complete `OllamaStream` (objects + the model of the output).
* `ended_ollama_streams()`: complete, ended by an ``{"error": "..."}`` object after any object, or cut after
  any object before the done one.
* `ollama_pieces(events)`: the NDJSON body, one piece per object (compact or spaced JSON, ASCII-escaped or
  not, LF or CRLF, blank lines, the last line with or without its line end).
* `junk_values`, `FIELD_NAMES`: for the robustness properties.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from tests.bedrock_strategies import junk_values_of
from tests.strategies import texts, tool_inputs

__all__ = [
    "DONE_REASONS",
    "FIELD_NAMES",
    "USAGE_FIELDS",
    "OllamaStream",
    "ended_ollama_streams",
    "junk_values",
    "ollama_pieces",
    "ollama_streams",
]

DONE_REASONS = ("stop", "length", "load", "unload")
USAGE_FIELDS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)

_models = st.one_of(
    st.sampled_from(["llama3.2", "qwen3:8b", "gpt-oss:20b", "deepseek-r1:1.5b", "gemma3:4b"]),
    st.sampled_from(["", '"', "\\", "é", "\x00value\x00"]),
)
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
_call_ids = st.text(string.ascii_lowercase + string.digits, min_size=8, max_size=8).map(lambda s: "call_" + s)
_counts = st.integers(0, 200_000)
_durations = st.integers(0, 10**11)


@dataclass
class OllamaStream:
    """An Ollama stream and what its translation must say (for a complete stream)."""

    events: list[Any]
    endpoint: str = "chat"
    ending: str = "complete"
    """"complete", "error" (an error object last) or "truncated" (cut before the done object)."""
    model: str = ""
    created: int = 0
    """The unix time of the first object's ``created_at``."""
    created_at: str = ""
    """The first object's ``created_at``."""
    content: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """``{"id": the call's own id or None, "name", "arguments": the arguments object}``."""
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    """The OpenAI ``logprobs.content`` items the objects' logprobs make, in order."""
    done: dict[str, Any] = field(default_factory=dict)
    """The done object."""
    error: str | None = None


def _created_at(epoch: int, nanos: int, digits: int, offset_minutes: int | None) -> str:
    """RFC 3339 as Go's RFC3339Nano writes it: the fraction to ``digits`` digits, ``Z`` or an offset."""
    zone = timezone.utc if offset_minutes is None else timezone(timedelta(minutes=offset_minutes))
    local = datetime.fromtimestamp(epoch, zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{nanos:09d}"[:digits]
    if offset_minutes is None:
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _logprob_item(draw: st.DrawFn, *, top: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """An Ollama logprob item, and the OpenAI item it must become."""
    token = draw(texts)
    logprob = -draw(st.floats(0, 30))
    item: dict[str, Any] = {"token": token, "logprob": logprob}
    raw = list(token.encode("utf-8"))
    if draw(st.booleans()):  # newer servers send the bytes: a token that is a piece of a character differs
        raw = item["bytes"] = draw(st.sampled_from([raw, raw[:1], [0xE6, 0x97]]))
    expected: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": raw}
    if top:
        alternatives = [_logprob_item(draw, top=False) for _ in range(draw(st.integers(0, 2)))]
        if alternatives or draw(st.booleans()):
            item["top_logprobs"] = [a for a, _ in alternatives]
        expected["top_logprobs"] = [e for _, e in alternatives]
    return item, expected


@st.composite
def ollama_streams(draw: st.DrawFn, *, max_objects: int = 6) -> OllamaStream:
    """A complete Ollama stream (chat or generate) and the model of its translation."""
    endpoint = draw(st.sampled_from(["chat", "chat", "generate"]))
    model = OllamaStream(events=[], endpoint=endpoint, model=draw(_models))
    epoch = draw(st.integers(1_600_000_000, 1_900_000_000))
    model.created = epoch
    digits = draw(st.sampled_from([0, 3, 6, 7, 9]))
    offset = draw(st.sampled_from([None, None, -7 * 60, -4 * 60, 0, 5 * 60 + 30, 5 * 60 + 45, 9 * 60]))

    def head(n: int) -> dict[str, Any]:
        stamp = _created_at(epoch + n // 4, draw(st.integers(0, 10**9 - 1)), digits, offset)
        return {"model": model.model, "created_at": stamp}

    pieces = draw(
        st.lists(st.sampled_from(["content", "content", "thinking", "tool", "logprobs"]), max_size=max_objects)
    )
    if draw(st.booleans()):  # thinking models think first
        pieces.sort(key=lambda kind: kind != "thinking")
    for n, kind in enumerate(pieces):
        obj = head(n)
        text = draw(texts)
        if endpoint == "chat":
            message: dict[str, Any] = {"role": "assistant", "content": "" if kind in ("thinking", "tool") else text}
            if kind == "thinking":
                message["thinking"] = text
            if kind == "tool":
                calls = []
                for _ in range(draw(st.integers(1, 2))):
                    arguments = draw(tool_inputs)
                    function: dict[str, Any] = {"name": draw(_names), "arguments": arguments}
                    call: dict[str, Any] = {"function": function}
                    given_id = None
                    if draw(st.booleans()):  # newer Ollama: an id, and the function's index
                        given_id = draw(_call_ids)
                        call = {"id": given_id, "function": {"index": len(model.tool_calls), **function}}
                    calls.append(call)
                    model.tool_calls.append({"id": given_id, "name": function["name"], "arguments": arguments})
                message["tool_calls"] = calls
            obj["message"] = message
        else:
            if kind == "tool":
                kind = "content"
            obj["response"] = "" if kind == "thinking" else text
            if kind == "thinking":
                obj["thinking"] = text
        if kind == "thinking":
            model.reasoning += text
        elif kind != "tool":
            model.content += text
        if kind == "logprobs":
            items = [_logprob_item(draw, top=True) for _ in range(draw(st.integers(1, 2)))]
            obj["logprobs"] = [item for item, _ in items]
            model.logprobs += [expected for _, expected in items]
        obj["done"] = False
        model.events.append(obj)

    done = head(len(pieces))
    if endpoint == "chat":
        done["message"] = {"role": "assistant", "content": ""}
    else:
        done["response"] = ""
    done["done"] = True
    reason = draw(st.sampled_from([*DONE_REASONS, "stop", "stop", None, "some_new_reason"]))
    if reason is not None:
        done["done_reason"] = reason
    if endpoint == "generate" and draw(st.integers(0, 3)):
        done["context"] = draw(st.lists(st.integers(0, 200_000), max_size=6))
    for key in USAGE_FIELDS:
        if key != "prompt_eval_count" or draw(st.integers(0, 4)):
            done[key] = draw(_counts if key.endswith("count") else _durations)
    model.done = done
    model.events.append(done)
    model.created_at = model.events[0]["created_at"]
    return model


@st.composite
def ended_ollama_streams(draw: st.DrawFn, **kwargs: Any) -> OllamaStream:
    """Complete, ended by an error object after any object, or cut before the done object."""
    model = draw(ollama_streams(**kwargs))
    ending = draw(st.sampled_from(["complete", "complete", "error", "truncated"]))
    if ending == "complete":
        return model
    model.ending = ending
    del model.events[draw(st.integers(0, len(model.events) - 1)) :]
    if ending == "error":
        model.error = draw(st.one_of(st.sampled_from(["", "model 'x' not found", "an error was encountered"]), texts))
        model.events.append({"error": model.error})
    return model


@st.composite
def ollama_pieces(draw: st.DrawFn, events: list[Any]) -> list[bytes]:
    """The NDJSON body of ``events``, one piece per object (formatting drawn per stream and per object)."""
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    pieces = []
    for event in events:
        text = json.dumps(
            event,
            ensure_ascii=draw(st.booleans()),
            separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
        )
        blank = eol if draw(st.integers(0, 9)) == 0 else ""
        pieces.append((text + eol + blank).encode("utf-8"))
    if pieces and draw(st.integers(0, 4)) == 0:  # the last line without its line end
        pieces[-1] = pieces[-1].rstrip(b"\r\n")
    return pieces


FIELD_NAMES = (
    "model",
    "created_at",
    "message",
    "role",
    "content",
    "thinking",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "id",
    "response",
    "done",
    "done_reason",
    "context",
    "error",
    "logprobs",
    "token",
    "logprob",
    "top_logprobs",
    "image",
    *USAGE_FIELDS,
)
junk_values = junk_values_of(FIELD_NAMES)
