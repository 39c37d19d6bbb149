"""Hypothesis strategies: Cohere v2 chat streams (event dicts), each with a model of what its translation must
say, and their SSE bodies.

Modelled on the recordings in /work/shared/real-streams/cohere/ and https://docs.cohere.com/reference/chat-stream:
``message-start`` (``id``, the empty message skeleton); then, in any order, content blocks (``content-start``
of ``type`` text or thinking with an empty or non-empty first piece, ``content-delta``s, some with
``logprobs``, ``content-end``), ``tool-plan-delta``s, tool calls (``tool-call-start`` with ``arguments`` ""
or a first piece, ``tool-call-delta`` fragments of a JSON object, ``tool-call-end``), ``citation-start`` /
``citation-end`` for the text, the thinking or the plan (document sources with or without a url, tool
sources), and ``debug`` events; then ``message-end`` with every finish reason and ``usage`` (``billed_units``
and ``tokens``, counts as integers or integral floats as the SDK dumps them, ``cached_tokens``; ``tokens``
sometimes missing). A MAX_TOKENS end may leave the last tool call open. Every event validates as the cohere
SDK's ``StreamedChatResponseV2`` (asserted by a test).

* `cohere_streams()`: a complete `CohereStream` (events + the model of the output).
* `ended_cohere_streams()`: complete, ended by ``message-end`` with ERROR or TIMEOUT, or cut after any event
  before ``message-end``.
* `cohere_pieces(events)`: the SSE body, one piece per event: ``event:`` line (or none: the JSON's ``type``
  names the event), ``data:`` JSON compact or spaced, ASCII-escaped or not, LF or CRLF; with
  ``type_from_event``, the JSON loses its ``type`` and only the ``event:`` line names it.
* `junk_values`, `FIELD_NAMES`: for the robustness properties.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.bedrock_strategies import junk_values_of
from tests.strategies import json_fragments, texts, tool_inputs

__all__ = [
    "ERROR_REASONS",
    "FIELD_NAMES",
    "FINISH_REASON_VALUES",
    "REASONING_FORMAT",
    "CohereStream",
    "cohere_pieces",
    "cohere_streams",
    "ended_cohere_streams",
    "junk_values",
]

FINISH_REASON_VALUES = ("COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "TOOL_CALL")
ERROR_REASONS = ("ERROR", "TIMEOUT")
REASONING_FORMAT = "cohere-v2"

_ids = st.uuids().map(str)
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
_call_ids = st.builds(
    lambda name, tail: f"{name}_{tail}",
    _names,
    st.text(string.ascii_lowercase + string.digits, min_size=12, max_size=12),
)
_urls = st.builds(
    lambda host, path: f"https://{host}.example/{path}", _names, st.text(string.ascii_lowercase, max_size=8)
)
_counts = st.integers(0, 200_000)
_numbers = _counts.flatmap(lambda n: st.sampled_from([n, float(n)]))
"""A token count as Cohere's schema types it (number): integral floats too."""


@dataclass
class CohereStream:
    """A Cohere v2 chat stream and what its translation must say (for a complete stream)."""

    events: list[dict[str, Any]]
    ending: str = "complete"
    """"complete", "error" (message-end with ERROR or TIMEOUT) or "truncated" (cut before message-end)."""
    id: str = ""
    content: str = ""
    reasoning: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    """The ``reasoning_details`` entries as the openai fold merges them, in index order."""
    tool_calls: list[dict[str, str]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[Any] = field(default_factory=list)
    """The ``logprobs`` of the text deltas, in order (each rides on its chunk as ``native_logprobs``)."""
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    """message-end's ``delta``."""
    complete: int = 0


def _ev(kind: str, index: int | None = None, **delta: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind}
    if index is not None:
        event["index"] = index
    if delta:
        event["delta"] = delta
    return event


def _message(**message: Any) -> dict[str, Any]:
    return {"message": message}


def _source(draw: st.DrawFn) -> tuple[dict[str, Any], Any, Any]:
    """A citation source, and the url and title the annotation must name (None, None: none)."""
    if draw(st.integers(0, 3)) == 0:
        return {"type": "tool", "id": draw(_call_ids) + ":0", "tool_output": {"result": draw(texts)}}, None, None
    document: dict[str, Any] = {"id": "doc:" + str(draw(st.integers(0, 9))), "snippet": draw(texts)}
    url = title = None
    if draw(st.booleans()):
        url = document["url"] = draw(_urls)
    if draw(st.booleans()):
        title = document["title"] = draw(texts)
    return {"type": "document", "id": document["id"], "document": document}, url, title


class _Writer:
    """Appends one stream's events and keeps its `CohereStream` model up to date."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.model = CohereStream(events=[])
        self.blocks: list[tuple[str, int, str]] = []  # (kind, start offset in content, text) per content block
        self.calls = 0
        self.citations = 0
        self.plan = ""
        self.plan_entry: dict[str, Any] | None = None

    def add(self, event: dict[str, Any]) -> None:
        self.model.events.append(event)

    def reasoning_entry(self, text: str, **extra: Any) -> dict[str, Any]:
        entry = {"index": len(self.model.details), "type": "reasoning.text", "format": REASONING_FORMAT, **extra}
        entry["text"] = text
        self.model.details.append(entry)
        return entry

    def content(self, kind: str) -> None:
        draw, model = self.draw, self.model
        index = len(self.blocks)
        first = draw(texts) if draw(st.integers(0, 3)) == 0 else ""  # the real streams start with ""
        self.add(_ev("content-start", index, **_message(content={"type": kind, kind: first})))
        text = first
        entry: dict[str, Any] | None = None
        for n, fragment in enumerate([first, *draw(st.lists(texts, max_size=5))]):
            if n:
                event = _ev("content-delta", index, **_message(content={kind: fragment}))
                if kind == "text" and fragment and draw(st.integers(0, 5)) == 0:
                    logprobs: dict[str, Any] = {"token_ids": [draw(st.integers(0, 255_000))]}
                    logprobs["logprobs"] = [-draw(st.floats(0, 20))]
                    if draw(st.booleans()):
                        logprobs["text"] = fragment
                    event["logprobs"] = logprobs
                    model.logprobs.append(logprobs)
                self.add(event)
                text += fragment
            if kind == "thinking" and fragment:
                if entry is None:
                    entry = self.reasoning_entry(fragment)
                else:
                    entry["text"] += fragment
        if kind == "text":
            self.blocks.append((kind, len(model.content), text))
            model.content += text
        else:
            self.blocks.append((kind, 0, text))
            model.reasoning += text
        self.add(_ev("content-end", index))

    def tool_plan(self) -> None:
        for fragment in self.draw(st.lists(texts, min_size=1, max_size=5)):
            self.add(_ev("tool-plan-delta", **_message(tool_plan=fragment)))
            self.plan += fragment
            self.model.reasoning += fragment
            if fragment and self.plan_entry is None:
                self.plan_entry = self.reasoning_entry(fragment, id="tool_plan")
            elif fragment:
                assert self.plan_entry is not None
                self.plan_entry["text"] += fragment

    def tool_call(self, *, closed: bool = True) -> None:
        draw = self.draw
        index = self.calls
        self.calls += 1
        call_id, name = draw(_call_ids), draw(_names)
        shape = draw(st.sampled_from(["json", "json", "json", "none", "empty", "first"]))
        fragments = (
            draw(json_fragments(draw(tool_inputs))) if shape in ("json", "first") else [""] if shape == "empty" else []
        )
        first = fragments.pop(0) if shape == "first" and fragments else ""
        if not closed:
            fragments = fragments[: draw(st.integers(0, len(fragments)))]
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": first}}
        self.add(_ev("tool-call-start", index, **_message(tool_calls=call)))
        for fragment in fragments:
            self.add(_ev("tool-call-delta", index, **_message(tool_calls={"function": {"arguments": fragment}})))
        if closed:
            self.add(_ev("tool-call-end", index))
        arguments = first + "".join(fragments)
        self.model.tool_calls.append({"id": call_id, "name": name, "arguments": arguments or "{}"})

    def citation(self) -> None:
        """A citation of a content block (text or thinking) or of the plan, whichever is there."""
        draw, model = self.draw, self.model
        targets = [("block", n) for n in range(len(self.blocks))] + ([("plan", 0)] if self.plan else [])
        if not targets:
            return
        target, n = draw(st.sampled_from(targets))
        text = self.plan if target == "plan" else self.blocks[n][2]
        start, end = sorted(draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=2)))
        sources, url, title = [], None, None
        for k in range(draw(st.integers(0, 2))):
            source, source_url, source_title = _source(draw)
            sources.append(source)
            if k == 0:
                url, title = source_url, source_title
        citation: dict[str, Any] = {"start": start, "end": end, "text": text[start:end], "sources": sources}
        if target == "plan":
            kind: str | None = "PLAN"
        elif self.blocks[n][0] == "thinking":
            kind = "THINKING_CONTENT"
            citation["content_index"] = n
        else:
            kind = draw(st.sampled_from(["TEXT_CONTENT", "TEXT_CONTENT", None]))
            if n or draw(st.booleans()):  # content_index 0 may be left out
                citation["content_index"] = n
        if kind is not None:
            citation["type"] = kind
        index = self.citations
        self.citations += 1
        self.add(_ev("citation-start", index, **_message(citations=citation)))
        if draw(st.integers(0, 4)):
            self.add(_ev("citation-end", index))
        entry = len(model.annotations)
        if kind in ("PLAN", "THINKING_CONTENT"):
            annotation = {"index": entry, "type": kind, "citation": citation, "start_index": start, "end_index": end}
        else:
            shift = self.blocks[n][1]
            span = (shift + start, shift + end)
            if url is not None:
                url_citation = {
                    "url": url,
                    "title": title if title is not None else "",
                    "start_index": span[0],
                    "end_index": span[1],
                }
                annotation = {
                    "index": entry,
                    "type": "url_citation",
                    "url_citation": url_citation,
                    "citation": citation,
                }
            else:
                annotation = {
                    "index": entry,
                    "type": "citation",
                    "citation": citation,
                    "start_index": span[0],
                    "end_index": span[1],
                }
        model.annotations.append(annotation)


_segments = st.sampled_from(["text", "text", "thinking", "plan", "call", "call", "citation", "citation", "debug"])


def _usage(draw: st.DrawFn) -> dict[str, Any]:
    usage: dict[str, Any] = {"billed_units": {"input_tokens": draw(_numbers), "output_tokens": draw(_numbers)}}
    if draw(st.integers(0, 5)):
        usage["tokens"] = {"input_tokens": draw(_numbers), "output_tokens": draw(_numbers)}
    if draw(st.booleans()):
        usage["cached_tokens"] = draw(_numbers)
    return usage


@st.composite
def cohere_streams(draw: st.DrawFn, *, max_segments: int = 6) -> CohereStream:
    """A complete Cohere v2 chat stream and the model of its translation."""
    writer = _Writer(draw)
    model = writer.model
    model.id = draw(_ids)
    skeleton = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    writer.add({"id": model.id, "type": "message-start", "delta": {"message": skeleton}})
    for segment in draw(st.lists(_segments, max_size=max_segments)):
        if segment in ("text", "thinking"):
            writer.content(segment)
        elif segment == "plan":
            writer.tool_plan()
        elif segment == "call":
            writer.tool_call()
        elif segment == "citation":
            writer.citation()
        else:
            writer.add({"type": "debug", "prompt": draw(texts)})
    reasons = st.sampled_from((*FINISH_REASON_VALUES, "SOME_NEW_REASON"))
    if writer.calls:
        reasons = st.one_of(st.just("TOOL_CALL"), reasons)
    model.finish_reason = draw(reasons)
    if model.finish_reason == "MAX_TOKENS" and draw(st.booleans()):
        writer.tool_call(closed=False)  # cut by the token limit: no tool-call-end
    model.usage = _usage(draw)
    model.end = {"finish_reason": model.finish_reason, "usage": model.usage}
    writer.add({"type": "message-end", "delta": model.end})
    model.complete = len(model.events)
    return model


@st.composite
def ended_cohere_streams(draw: st.DrawFn, **kwargs: Any) -> CohereStream:
    """Complete, ended by message-end with ERROR or TIMEOUT, or cut before message-end."""
    model = draw(cohere_streams(**kwargs))
    ending = draw(st.sampled_from(["complete", "complete", "error", "truncated"]))
    if ending == "complete":
        return model
    model.ending = ending
    # an ERROR end still comes after message-start (an event before it is a protocol violation)
    del model.events[draw(st.integers(1 if ending == "error" else 0, len(model.events) - 1)) :]
    if ending == "error":
        end: dict[str, Any] = {"finish_reason": draw(st.sampled_from(ERROR_REASONS))}
        if draw(st.integers(0, 3)):
            end["error"] = draw(st.one_of(st.just("internal server error"), texts))
        if draw(st.booleans()):
            end["usage"] = _usage(draw)
        model.end = end
        model.events.append({"type": "message-end", "delta": end})
    return model


@st.composite
def cohere_pieces(draw: st.DrawFn, events: list[dict[str, Any]], *, type_from_event: bool = False) -> list[bytes]:
    """The SSE body of ``events``, one piece per event (formatting drawn per stream and per event)."""
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    pieces = []
    for event in events:
        named = type_from_event or draw(st.integers(0, 5)) > 0
        data = {k: v for k, v in event.items() if k != "type"} if type_from_event else event
        text = json.dumps(
            data,
            ensure_ascii=draw(st.booleans()),
            separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
        )
        lines = ([f"event: {event['type']}"] if named else []) + [f"data: {text}"]
        pieces.append((eol.join(lines) + eol + eol).encode("utf-8"))
    return pieces


FIELD_NAMES = (
    "type",
    "id",
    "index",
    "delta",
    "message",
    "content",
    "text",
    "thinking",
    "tool_plan",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "citations",
    "start",
    "end",
    "sources",
    "document",
    "url",
    "content_index",
    "finish_reason",
    "error",
    "usage",
    "tokens",
    "billed_units",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "logprobs",
    "message-start",
    "content-start",
    "content-delta",
    "content-end",
    "tool-plan-delta",
    "tool-call-start",
    "tool-call-delta",
    "tool-call-end",
    "citation-start",
    "message-end",
    "COMPLETE",
    "ERROR",
)
junk_values = junk_values_of(FIELD_NAMES)
