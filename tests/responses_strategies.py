"""Hypothesis strategies: realistic OpenAI Responses API streams (``POST /v1/responses``, ``stream: true``) as
event dicts, and their SSE wire bytes.

Modelled on the recordings in /work/shared/real-streams/openai-responses/ and xai/responses-*.jsonl (see
SOURCES.md) and on the openai SDK's types (``openai.types.responses``). A stream is ``response.created``
(background mode: then ``response.queued``), an optional ``response.in_progress``, output items in order with
``output_index`` 0, 1, 2, …, each opened by ``response.output_item.added`` and closed by
``response.output_item.done``, then the terminal event:

* reasoning items: summary parts (``reasoning_summary_part.added`` / ``reasoning_summary_text.delta`` /
  ``.done`` / ``reasoning_summary_part.done``, as o3-mini and grok send them), ``reasoning_text`` deltas in a
  ``reasoning_text`` content part (gpt-oss), or ``encrypted_content`` with ``summary: []`` and no deltas
  (gpt-5, gpt-5.5); the added item may carry a provisional ``encrypted_content``, the done item the real one;
* message items (``phase`` commentary / final_answer sometimes): ``output_text`` parts (deltas,
  ``output_text.annotation.added`` url_citations whose span lies in that part's text and file_citations,
  ``output_text.done``, ``content_part.done``) and ``refusal`` parts;
* function_call items: added with ``arguments: ""``, argument deltas (the JSON of an arguments object cut
  anywhere; now and then none, the arguments coming whole), ``function_call_arguments.done``, the item done
  with the full arguments; the first deltas may come before the item's ``output_item.added`` (a recorded
  quirk of 2025 streams);
* built-in tools (web_search_call, file_search_call, code_interpreter_call with code deltas,
  image_generation_call with partial images, mcp_call with argument deltas) with their progress events;
* terminal: ``response.completed`` with usage, ``response.incomplete`` (max_output_tokens / content_filter),
  ``response.failed``, or ``error`` then ``response.failed``; the final ``response`` holds exactly the done
  items, generated consistently with the deltas (it is the input's own fold).

The current shape has ``sequence_number`` on every event (0, 1, 2, …) and ``obfuscation`` on every ``*.delta``
event; `to_2025_03` gives the March 2025 shape of the same stream (no ``sequence_number``, no
``obfuscation``, no ``logprobs``). Every event of the current shape validates as the SDK's
``ResponseStreamEvent`` with no unknown key (``obfuscation`` aside, which the SDK does not declare);
`validate_event` is that check (tests/test_responses_properties.py asserts it).

* `responses_streams()`: a complete stream (``response.completed`` or ``response.incomplete``).
* `ended_responses_streams()`: complete, failed (``response.failed``, after an ``error`` event or not, at any
  point) or truncated (cut after any event before the terminal one); either shape.
* `ending_of(events)`, `TERMINAL_EVENTS`.
* `to_2025_03(events)`: the old shape. `sse_pieces(events)` / `responses_wire(events)`: the wire bytes, one
  piece per event (``event: <type>\\ndata: {json}\\n\\n``, or OpenRouter's data-only framing).
* `junk_events()`, `junk_values`, `UNKNOWN_EVENT_TYPES`: for the robustness properties.
"""

from __future__ import annotations

import base64
import copy
import json
import string
import typing
from typing import Any

import pydantic
from hypothesis import strategies as st
from openai.types.responses import ResponseStreamEvent

from tests.strategies import json_fragments, texts, tool_inputs, tricky_strings
from tests.test_responses_fixtures import extras_of

__all__ = [
    "BUILT_IN_KINDS",
    "ERROR_CODES",
    "INCOMPLETE_REASON_VALUES",
    "SDK_EVENT_TYPES",
    "TERMINAL_EVENTS",
    "UNKNOWN_EVENT_TYPES",
    "ended_responses_streams",
    "ending_of",
    "junk_events",
    "junk_values",
    "responses_streams",
    "responses_wire",
    "sse_pieces",
    "to_2025_03",
    "validate_event",
]

Event = dict[str, Any]

TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
BUILT_IN_KINDS = (
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "mcp_call",
)
INCOMPLETE_REASON_VALUES = ("max_output_tokens", "content_filter")
ERROR_CODES = ("server_error", "rate_limit_exceeded", "invalid_prompt", "vector_store_timeout", "invalid_image")
"""``response.error.code`` values (the SDK's literal lists these and more)."""
UNKNOWN_EVENT_TYPES = (
    "response.future_event",
    "response.output_text.future",
    "response.reasoning.future",
    "keepalive",
    "",
    "Response.Completed",
)
"""Event types no version of the API sends (what ``strict`` must reject and the default ignore)."""

_HEX = "0123456789abcdef"
_ALNUM = string.ascii_letters + string.digits
_stems = st.text(alphabet=_HEX, min_size=8, max_size=40)
_obfuscations = st.text(alphabet=_ALNUM, min_size=1, max_size=16)
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,30}", fullmatch=True)
_words = st.text(alphabet=string.ascii_lowercase + " ", min_size=1, max_size=30)
_models = st.one_of(
    st.sampled_from(
        [
            "gpt-4o-2024-08-06",
            "gpt-5-2025-08-07",
            "o3-mini-2025-01-31",
            "gpt-5.2-2025-12-11",
            "gpt-5.5-2026-04-23",
            "grok-code-fast-1",
            "gpt-oss-120b",
        ]
    ),
    tricky_strings,
    texts,
)
_urls = st.builds(lambda host, path: f"https://{host}.example/{path}", st.text(alphabet=_ALNUM, min_size=1), texts)
_encrypted = st.binary(min_size=1, max_size=60).map(lambda raw: "gAAAAAB" + base64.urlsafe_b64encode(raw).decode())
"""Encrypted reasoning, as the API sends it (Fernet tokens: URL-safe base64 starting ``gAAAAA``)."""
_b64 = st.binary(min_size=1, max_size=30).map(lambda raw: base64.b64encode(raw).decode())
_fragments = st.lists(texts, max_size=6)
"""The deltas of one text: empty fragments, control characters, astral characters, NUL included."""


# -- one stream's shared state -------------------------------------------------------------------------------


class _Item:
    """One output item: its events (``output_item.added`` first, ``output_item.done`` last) and done item."""

    __slots__ = ("done", "events")

    def __init__(self, events: list[Event], done: Event) -> None:
        self.events = events
        self.done = done


def _delta(kind: str, item_id: str, index: int, delta: str, obfuscation: str, **fields: Any) -> Event:
    return {
        "type": kind,
        "item_id": item_id,
        "output_index": index,
        **fields,
        "delta": delta,
        "obfuscation": obfuscation,
    }


def _added(index: int, item: Event) -> Event:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def _done(index: int, item: Event) -> Event:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def _progress(kind: str, item_id: str, index: int) -> Event:
    return {"type": kind, "item_id": item_id, "output_index": index}


# -- message items ---------------------------------------------------------------------------------------


@st.composite
def _annotations(draw: st.DrawFn, text: str, fragments: list[str]) -> list[tuple[int, Event]]:
    """(position among the deltas, annotation) pairs in annotation order: a url_citation comes once the deltas
    hold its span (``start_index``/``end_index`` in code points of the part's text); a file_citation anywhere."""
    bounds = [0]
    for fragment in fragments:
        bounds.append(bounds[-1] + len(fragment))
    out: list[tuple[int, Event]] = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        if draw(st.integers(0, 4)) == 0:
            annotation: Event = {
                "type": "file_citation",
                "file_id": "file-" + draw(st.text(alphabet=_ALNUM, min_size=4, max_size=22)),
                "filename": draw(_words) + ".md",
                "index": draw(st.integers(0, len(text))),
            }
            earliest = 0
        else:
            start = draw(st.integers(0, len(text)))
            end = draw(st.integers(start, len(text)))
            annotation = {
                "type": "url_citation",
                "end_index": end,
                "start_index": start,
                "title": draw(texts),
                "url": draw(_urls),
            }
            earliest = next(k for k, bound in enumerate(bounds) if bound >= end)
        out.append((draw(st.integers(earliest, len(fragments))), annotation))
    return sorted(out, key=lambda pair: pair[0])  # stable: annotation_index follows the stream order


@st.composite
def _text_part(draw: st.DrawFn, item_id: str, index: int, part: int) -> tuple[list[Event], Event]:
    fragments = draw(_fragments)
    text = "".join(fragments)
    placed = draw(_annotations(text, fragments))
    where = {"item_id": item_id, "output_index": index, "content_index": part}
    events: list[Event] = [
        {
            "type": "response.content_part.added",
            **where,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
        }
    ]
    annotations: list[Event] = []
    pending = list(placed)
    for k in range(len(fragments) + 1):
        while pending and pending[0][0] == k:
            annotation = pending.pop(0)[1]
            events.append(
                {
                    "type": "response.output_text.annotation.added",
                    **where,
                    "annotation_index": len(annotations),
                    "annotation": annotation,
                }
            )
            annotations.append(annotation)
        if k < len(fragments):
            events.append(
                {
                    "type": "response.output_text.delta",
                    **where,
                    "delta": fragments[k],
                    "logprobs": [],
                    "obfuscation": draw(_obfuscations),
                }
            )
    final = {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}
    events.append({"type": "response.output_text.done", **where, "text": text, "logprobs": []})
    events.append({"type": "response.content_part.done", **where, "part": final})
    return events, final


@st.composite
def _refusal_part(draw: st.DrawFn, item_id: str, index: int, part: int) -> tuple[list[Event], Event]:
    fragments = draw(_fragments)
    refusal = "".join(fragments)
    where = {"item_id": item_id, "output_index": index, "content_index": part}
    events: list[Event] = [{"type": "response.content_part.added", **where, "part": {"type": "refusal", "refusal": ""}}]
    for fragment in fragments:
        events.append(
            {"type": "response.refusal.delta", **where, "delta": fragment, "obfuscation": draw(_obfuscations)}
        )
    final = {"type": "refusal", "refusal": refusal}
    events.append({"type": "response.refusal.done", **where, "refusal": refusal})
    events.append({"type": "response.content_part.done", **where, "part": final})
    return events, final


@st.composite
def _message(draw: st.DrawFn, index: int, item_id: str, refusal: bool) -> _Item:
    head: Event = {"id": item_id, "type": "message", "status": "in_progress", "content": [], "role": "assistant"}
    phase = draw(st.sampled_from([None, None, None, "commentary", "final_answer"]))
    if phase is not None:
        head["phase"] = phase
    events = [_added(index, head)]
    content: list[Event] = []
    kinds = ["refusal"] if refusal else draw(st.sampled_from([["text"], ["text"], ["text"], [], ["text", "text"]]))
    for part, kind in enumerate(kinds):
        part_events, final = draw(
            _refusal_part(item_id, index, part) if kind == "refusal" else _text_part(item_id, index, part)
        )
        events += part_events
        content.append(final)
    done = {**head, "status": "completed", "content": content}
    events.append(_done(index, done))
    return _Item(events, done)


# -- reasoning items -------------------------------------------------------------------------------------


@st.composite
def _reasoning(draw: st.DrawFn, index: int, item_id: str, style: str) -> _Item:
    """``style``: "summary" (summary parts), "text" (reasoning_text deltas) or "encrypted" (no deltas)."""
    encrypted = draw(_encrypted) if style == "encrypted" or draw(st.booleans()) else None
    head: Event = {"id": item_id, "type": "reasoning", "summary": []}
    if style == "text" or draw(st.integers(0, 3)) == 0:
        head["content"] = []  # gpt-oss and gpt-5.5 send an empty content list
    if encrypted is not None and draw(st.booleans()):
        head["encrypted_content"] = draw(_encrypted)  # provisional: only the done item's counts
    events = [_added(index, head)]
    done: Event = {key: value for key, value in head.items() if key != "encrypted_content"}
    where = {"item_id": item_id, "output_index": index}
    if style == "summary":
        summary = []
        for part in range(draw(st.integers(1, 3))):
            fragments = draw(_fragments)
            text = "".join(fragments)
            events.append(
                {
                    "type": "response.reasoning_summary_part.added",
                    **where,
                    "summary_index": part,
                    "part": {"type": "summary_text", "text": ""},
                }
            )
            for fragment in fragments:
                events.append(
                    _delta(
                        "response.reasoning_summary_text.delta",
                        item_id,
                        index,
                        fragment,
                        draw(_obfuscations),
                        summary_index=part,
                    )
                )
            events.append(
                {"type": "response.reasoning_summary_text.done", **where, "summary_index": part, "text": text}
            )
            events.append(
                {
                    "type": "response.reasoning_summary_part.done",
                    **where,
                    "summary_index": part,
                    "part": {"type": "summary_text", "text": text},
                }
            )
            summary.append({"type": "summary_text", "text": text})
        done["summary"] = summary
    elif style == "text":
        fragments = draw(_fragments)
        text = "".join(fragments)
        part_where = {**where, "content_index": 0}
        events.append(
            {"type": "response.content_part.added", **part_where, "part": {"type": "reasoning_text", "text": ""}}
        )
        for fragment in fragments:
            events.append(
                _delta("response.reasoning_text.delta", item_id, index, fragment, draw(_obfuscations), content_index=0)
            )
        events.append({"type": "response.reasoning_text.done", **part_where, "text": text})
        events.append(
            {"type": "response.content_part.done", **part_where, "part": {"type": "reasoning_text", "text": text}}
        )
        done["content"] = [{"type": "reasoning_text", "text": text}]
    if encrypted is not None:
        done["encrypted_content"] = encrypted
    events.append(_done(index, done))
    return _Item(events, done)


# -- function calls --------------------------------------------------------------------------------------


@st.composite
def _function_call(draw: st.DrawFn, index: int, item_id: str, call_id: str) -> _Item:
    name = draw(_names)
    fragments = draw(json_fragments(draw(tool_inputs)))
    arguments = "".join(fragments)
    head: Event = {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": "",
        "status": "in_progress",
    }
    deltas = [
        _delta("response.function_call_arguments.delta", item_id, index, fragment, draw(_obfuscations))
        for fragment in fragments
    ]
    if draw(st.integers(0, 7)) == 7:
        deltas = []  # the arguments only whole, in .done and the done item
    early = draw(st.integers(1, len(deltas))) if deltas and draw(st.integers(0, 4)) == 0 else 0
    done = {**head, "arguments": arguments, "status": "completed"}
    events = [
        *deltas[:early],  # deltas that overtook their output_item.added
        _added(index, head),
        *deltas[early:],
        {
            "type": "response.function_call_arguments.done",
            "item_id": item_id,
            "output_index": index,
            "arguments": arguments,
        },
        _done(index, done),
    ]
    return _Item(events, done)


# -- built-in tools --------------------------------------------------------------------------------------


@st.composite
def _web_search(draw: st.DrawFn, index: int, item_id: str) -> _Item:
    # the wire's added item has no action yet; the SDK requires one, so it gets the bare {"type": "search"}
    head: Event = {"id": item_id, "type": "web_search_call", "status": "in_progress", "action": {"type": "search"}}
    action_kind = draw(st.sampled_from(["search", "search", "open_page", "find_in_page"]))
    action: Event
    if action_kind == "search":
        queries = draw(st.lists(_words, min_size=1, max_size=3))
        action = {"type": "search", "queries": queries, "query": queries[0]}
        if draw(st.booleans()):
            action["sources"] = [{"type": "url", "url": url} for url in draw(st.lists(_urls, max_size=3))]
    elif action_kind == "open_page":
        action = {"type": "open_page", "url": draw(_urls)}
    else:
        action = {"type": "find_in_page", "pattern": draw(_words), "url": draw(_urls)}
    events = [
        _added(index, head),
        _progress("response.web_search_call.in_progress", item_id, index),
        _progress("response.web_search_call.searching", item_id, index),
        _progress("response.web_search_call.completed", item_id, index),
    ]
    done = {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
    events.append(_done(index, done))
    return _Item(events, done)


@st.composite
def _file_search(draw: st.DrawFn, index: int, item_id: str) -> _Item:
    head: Event = {"id": item_id, "type": "file_search_call", "status": "in_progress", "queries": [], "results": None}
    results = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.fixed_dictionaries(
                    {
                        "file_id": st.text(alphabet=_ALNUM, min_size=4, max_size=12).map(lambda s: "file-" + s),
                        "filename": _words.map(lambda s: s + ".pdf"),
                        "score": st.floats(0, 1),
                        "text": texts,
                        "attributes": st.dictionaries(
                            _names, st.one_of(texts, st.booleans(), st.floats(0, 9)), max_size=2
                        ),
                    }
                ),
                max_size=2,
            ),
        )
    )
    events = [
        _added(index, head),
        _progress("response.file_search_call.in_progress", item_id, index),
        _progress("response.file_search_call.searching", item_id, index),
        _progress("response.file_search_call.completed", item_id, index),
    ]
    done = {
        **head,
        "status": "completed",
        "queries": draw(st.lists(_words, min_size=1, max_size=2)),
        "results": results,
    }
    events.append(_done(index, done))
    return _Item(events, done)


@st.composite
def _code_interpreter(draw: st.DrawFn, index: int, item_id: str) -> _Item:
    container = "cntr_" + draw(_stems)
    head: Event = {
        "id": item_id,
        "type": "code_interpreter_call",
        "status": "in_progress",
        "code": "",
        "container_id": container,
        "outputs": [],
    }
    fragments = draw(_fragments)
    code = "".join(fragments)
    events = [_added(index, head), _progress("response.code_interpreter_call.in_progress", item_id, index)]
    events += [
        _delta("response.code_interpreter_call_code.delta", item_id, index, fragment, draw(_obfuscations))
        for fragment in fragments
    ]
    events.append(
        {"type": "response.code_interpreter_call_code.done", "item_id": item_id, "output_index": index, "code": code}
    )
    events.append(_progress("response.code_interpreter_call.interpreting", item_id, index))
    events.append(_progress("response.code_interpreter_call.completed", item_id, index))
    outputs = draw(
        st.lists(
            st.one_of(
                st.builds(lambda logs: {"type": "logs", "logs": logs}, texts),
                st.builds(lambda url: {"type": "image", "url": url}, _urls),
            ),
            max_size=2,
        )
    )
    done = {**head, "status": "completed", "code": code, "outputs": outputs}
    events.append(_done(index, done))
    return _Item(events, done)


@st.composite
def _image_generation(draw: st.DrawFn, index: int, item_id: str) -> _Item:
    head: Event = {"id": item_id, "type": "image_generation_call", "status": "in_progress", "result": None}
    style = {
        "background": draw(st.sampled_from(["opaque", "transparent", "auto"])),
        "output_format": draw(st.sampled_from(["png", "webp", "jpeg"])),
        "quality": draw(st.sampled_from(["low", "medium", "high"])),
        "size": draw(st.sampled_from(["1024x1024", "1024x1536", "1536x1024"])),
    }
    events = [
        _added(index, head),
        _progress("response.image_generation_call.in_progress", item_id, index),
        _progress("response.image_generation_call.generating", item_id, index),
    ]
    for n in range(draw(st.integers(0, 2))):
        events.append(
            {
                **_progress("response.image_generation_call.partial_image", item_id, index),
                "partial_image_index": n,
                "partial_image_b64": draw(_b64),
                **style,
            }
        )
    events.append(_progress("response.image_generation_call.completed", item_id, index))
    done = {**head, "status": "completed", **style, "result": draw(_b64)}
    if draw(st.booleans()):
        done["revised_prompt"] = draw(texts)
    events.append(_done(index, done))
    return _Item(events, done)


@st.composite
def _mcp_call(draw: st.DrawFn, index: int, item_id: str) -> _Item:
    head: Event = {
        "id": item_id,
        "type": "mcp_call",
        "status": "in_progress",
        "approval_request_id": None,
        "arguments": "",
        "error": None,
        "name": draw(_names),
        "output": None,
        "server_label": draw(_names),
    }
    fragments = draw(json_fragments(draw(tool_inputs)))
    arguments = "".join(fragments)
    failed = draw(st.integers(0, 4)) == 0
    events = [_added(index, head), _progress("response.mcp_call.in_progress", item_id, index)]
    events += [
        _delta("response.mcp_call_arguments.delta", item_id, index, fragment, draw(_obfuscations))
        for fragment in fragments
    ]
    events.append(
        {"type": "response.mcp_call_arguments.done", "item_id": item_id, "output_index": index, "arguments": arguments}
    )
    events.append(_progress("response.mcp_call.failed" if failed else "response.mcp_call.completed", item_id, index))
    done = {**head, "status": "failed" if failed else "completed", "arguments": arguments}
    if failed:
        done["error"] = draw(
            st.one_of(
                st.builds(
                    lambda code, message: {"type": "mcp_protocol_error", "code": code, "message": message},
                    st.integers(-32700, -32000),
                    texts,
                ),
                st.builds(
                    lambda code, message: {"type": "http_error", "code": code, "message": message},
                    st.sampled_from([401, 403, 500, 502]),
                    texts,
                ),
                st.builds(lambda content: {"type": "mcp_tool_execution_error", "content": content}, texts),
            )
        )
    else:
        done["output"] = draw(texts)
    events.append(_done(index, done))
    return _Item(events, done)


# -- whole streams ---------------------------------------------------------------------------------------

_ITEM_KINDS = (
    "message",
    "message",
    "message",
    "refusal",
    "summary",
    "summary",
    "text",
    "encrypted",
    "function_call",
    "function_call",
    "function_call",
    *BUILT_IN_KINDS,
)
_PREFIXES = {
    "message": "msg",
    "refusal": "msg",
    "summary": "rs",
    "text": "rs",
    "encrypted": "rs",
    "function_call": "fc",
    "web_search_call": "ws",
    "file_search_call": "fs",
    "code_interpreter_call": "ci",
    "image_generation_call": "ig",
    "mcp_call": "mcp",
}


@st.composite
def _item(draw: st.DrawFn, kind: str, index: int, stem: str, call_id: str) -> _Item:
    item_id = f"{_PREFIXES[kind]}_{stem}{index:04x}"  # ids share the response's stem, as the API's do
    if kind in ("message", "refusal"):
        return draw(_message(index, item_id, refusal=kind == "refusal"))
    if kind in ("summary", "text", "encrypted"):
        return draw(_reasoning(index, item_id, kind))
    if kind == "function_call":
        return draw(_function_call(index, item_id, call_id))
    builder = {
        "web_search_call": _web_search,
        "file_search_call": _file_search,
        "code_interpreter_call": _code_interpreter,
        "image_generation_call": _image_generation,
        "mcp_call": _mcp_call,
    }[kind]
    return draw(builder(index, item_id))


def _response(head: Event, status: str, output: list[Event], **fields: Any) -> Event:
    """A ``Response`` object: the fields every recording sends that the SDK declares, in the API's order."""
    body: Event = {
        "id": head["id"],
        "object": "response",
        "created_at": head["created_at"],
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": head["max_output_tokens"],
        "max_tool_calls": None,
        "model": head["model"],
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "reasoning": head["reasoning"],
        "safety_identifier": None,
        "service_tier": head["service_tier"],
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": head["tools"],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": {},
    }
    body.update(fields)
    return body


@st.composite
def _usage(draw: st.DrawFn, *, reasoning: bool) -> Event:
    prompt = draw(st.integers(0, 200_000))
    cached = draw(st.integers(0, prompt))
    completion = draw(st.integers(0, 100_000))
    thought = draw(st.integers(0, completion)) if reasoning or draw(st.booleans()) else 0
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cache_write_tokens": draw(st.integers(0, prompt - cached)), "cached_tokens": cached},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": thought},
        "total_tokens": prompt + completion,
    }


_FUNCTION_TOOL = {
    "type": "function",
    "description": None,
    "name": "get_capital",
    "parameters": {"type": "object", "properties": {"country": {"type": "string"}}},
    "strict": False,
}


@st.composite
def _stream_parts(draw: st.DrawFn, *, max_items: int) -> tuple[Event, list[Event], list[_Item]]:
    """(the response head, the opening events, the output items)."""
    stem = draw(_stems)
    head: Event = {
        "id": "resp_" + stem if draw(st.integers(0, 9)) else draw(st.one_of(tricky_strings, texts)),
        "created_at": draw(st.integers(1_700_000_000, 1_800_000_000)),
        "model": draw(_models),
        "service_tier": draw(st.sampled_from(["auto", "default", "flex", "priority", None])),
        "max_output_tokens": draw(st.one_of(st.none(), st.integers(16, 4096))),
        "reasoning": {
            "effort": draw(st.sampled_from([None, "low", "medium", "high"])),
            "summary": draw(st.sampled_from([None, "auto", "detailed"])),
        },
        "tools": draw(st.sampled_from([[], [_FUNCTION_TOOL]])),
    }
    queued = draw(st.integers(0, 7)) == 7  # background mode: created and queued with status "queued"
    opening = [{"type": "response.created", "response": _response(head, "queued" if queued else "in_progress", [])}]
    if queued:
        opening.append({"type": "response.queued", "response": _response(head, "queued", [])})
    if queued or draw(st.integers(0, 4)):
        opening.append({"type": "response.in_progress", "response": _response(head, "in_progress", [])})
    kinds = draw(st.lists(st.sampled_from(_ITEM_KINDS), max_size=max_items))
    call_ids = draw(
        st.lists(
            st.text(alphabet=_ALNUM, min_size=8, max_size=24).map(lambda s: "call_" + s),
            min_size=len(kinds),
            max_size=len(kinds),
            unique=True,
        )
    )
    items = [draw(_item(kind, index, stem, call_ids[index])) for index, kind in enumerate(kinds)]
    return head, opening, items


def _numbered(events: list[Event]) -> list[Event]:
    """``sequence_number`` 0, 1, 2, … on every event, right after ``type`` (as the API places it)."""
    out = []
    for n, event in enumerate(events):
        numbered = {"type": event["type"], "sequence_number": n}
        numbered.update((key, value) for key, value in event.items() if key not in ("type", "sequence_number"))
        out.append(numbered)
    return out


@st.composite
def responses_streams(draw: st.DrawFn, *, max_items: int = 5, incomplete: bool | None = None) -> list[Event]:
    """A complete stream (current shape): ``response.completed``, or ``response.incomplete`` with
    ``incomplete_details.reason`` max_output_tokens / content_filter; its ``response.output`` holds the done
    items and ``usage`` is set."""
    head, opening, items = draw(_stream_parts(max_items=max_items))
    body = [event for item in items for event in item.events]
    output = [item.done for item in items]
    reasoning = any(item.done["type"] == "reasoning" for item in items)
    usage = draw(_usage(reasoning=reasoning))
    if incomplete is None:
        incomplete = draw(st.integers(0, 3)) == 3
    if incomplete:
        reason = draw(st.sampled_from(INCOMPLETE_REASON_VALUES))
        terminal = {
            "type": "response.incomplete",
            "response": _response(head, "incomplete", output, incomplete_details={"reason": reason}, usage=usage),
        }
    else:
        terminal = {"type": "response.completed", "response": _response(head, "completed", output, usage=usage)}
    return _numbered([*opening, *body, terminal])


@st.composite
def ended_responses_streams(draw: st.DrawFn, *, max_items: int = 5, shape: str | None = None) -> list[Event]:
    """A complete stream, a failed one (cut after any event, then ``response.failed``, after an ``error``
    event or not) or a truncated one (cut after any event before the terminal one, so possibly empty), in the
    current shape or (``shape="2025-03"``, drawn when None) the old one."""
    events = draw(responses_streams(max_items=max_items))
    ending = draw(st.sampled_from(["complete", "complete", "failed", "error", "truncated"]))
    if ending == "truncated":
        events = events[: draw(st.integers(0, len(events) - 1))]
    elif ending in ("failed", "error"):
        kept = events[: draw(st.integers(0, len(events) - 1))]
        head = events[0]["response"]
        done = [e["item"] for e in kept if e["type"] == "response.output_item.done"]
        error = {"code": draw(st.sampled_from(ERROR_CODES)), "message": draw(texts)}
        failed = {
            "type": "response.failed",
            "response": {**head, "status": "failed", "error": error, "output": done},
        }
        tail: list[Event] = [failed]
        if ending == "error":
            code = draw(
                st.one_of(st.none(), st.sampled_from([*ERROR_CODES, "insufficient_quota", "context_length_exceeded"]))
            )
            tail.insert(
                0, {"type": "error", "code": code, "message": draw(texts), "param": draw(st.one_of(st.none(), _names))}
            )
        events = _numbered([*kept, *tail])
    if shape is None:
        shape = draw(st.sampled_from(["current", "current", "2025-03"]))
    return to_2025_03(events) if shape == "2025-03" else events


def ending_of(events: list[Event]) -> str:
    """How a generated stream ends: "completed", "incomplete", "failed", "error" (an ``error`` event, then
    ``response.failed``) or "truncated"."""
    if not events or events[-1]["type"] not in TERMINAL_EVENTS:
        return "truncated"
    kind = events[-1]["type"].removeprefix("response.")
    if kind == "failed" and len(events) > 1 and events[-2]["type"] == "error":
        return "error"
    return kind


def _without_logprobs(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_logprobs(item) for key, item in value.items() if key != "logprobs"}
    if isinstance(value, list):
        return [_without_logprobs(item) for item in value]
    return value


def to_2025_03(events: list[Event]) -> list[Event]:
    """The March 2025 shape of a stream (text-gpt-4o-2025-03.sse): no ``sequence_number``, no ``obfuscation``,
    no ``logprobs`` (on ``output_text`` events and parts)."""
    return [
        _without_logprobs({key: value for key, value in event.items() if key not in ("sequence_number", "obfuscation")})
        for event in events
    ]


# -- SDK validation --------------------------------------------------------------------------------------

_ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseStreamEvent)
_MODELS: dict[str, type[pydantic.BaseModel]] = {
    typing.get_args(model.model_fields["type"].annotation)[0]: model
    for model in typing.get_args(typing.get_args(ResponseStreamEvent)[0])
}
SDK_EVENT_TYPES = frozenset(_MODELS)
"""Every event type of the SDK's ``ResponseStreamEvent`` union."""


def validate_event(event: Event) -> pydantic.BaseModel:
    """``event`` validated with ``TypeAdapter(ResponseStreamEvent)``; AssertionError unless it validates as the
    model of its own ``type`` (the union is not discriminated and its models allow extra keys) with no key the
    SDK does not declare (``obfuscation`` on ``*.delta`` events aside)."""
    assert event.get("type") in _MODELS, f"{event.get('type')!r} is no event type of the SDK"
    _MODELS[event["type"]].model_validate(copy.deepcopy(event))  # its own model first: a readable failure
    model = _ADAPTER.validate_python(copy.deepcopy(event))
    assert isinstance(model, pydantic.BaseModel)
    assert getattr(model, "type", None) == event["type"], f"{event['type']} validated as {type(model).__name__}"
    extras = [p for p in extras_of(model) if not (p == ".obfuscation" and event["type"].endswith(".delta"))]
    assert not extras, f"{event['type']}: keys the SDK does not declare: {extras}"
    return model


# -- the wire --------------------------------------------------------------------------------------------


def sse_pieces(events: list[Event], *, ensure_ascii: bool = False, named: bool = True) -> list[bytes]:
    """``events`` as the API sends them, one piece per event: ``event: <type>\\ndata: <compact JSON>\\n\\n``
    (``named=False``: OpenRouter's framing, ``data:`` lines only after a ``:`` comment, ending in
    ``data: [DONE]``)."""
    pieces = []
    for event in events:
        data = json.dumps(event, separators=(",", ":"), ensure_ascii=ensure_ascii)
        pieces.append((f"event: {event['type']}\ndata: {data}\n\n" if named else f"data: {data}\n\n").encode())
    if not named:
        pieces = [b": OPENROUTER PROCESSING\n\n", *pieces, b"data: [DONE]\n\n"]
    return pieces


@st.composite
def responses_wire(draw: st.DrawFn, events: list[Event]) -> list[bytes]:
    """``events`` as SSE bytes, one piece per event: raw UTF-8 or ASCII-escaped JSON, named events (as the API
    sends) or data-only (as OpenRouter relays them)."""
    return sse_pieces(events, ensure_ascii=draw(st.booleans()), named=draw(st.integers(0, 3)) != 0)


# -- junk ------------------------------------------------------------------------------------------------

_FIELD_NAMES = (
    "type",
    "sequence_number",
    "response",
    "id",
    "model",
    "created_at",
    "status",
    "output",
    "usage",
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
    "cached_tokens",
    "reasoning_tokens",
    "incomplete_details",
    "reason",
    "error",
    "code",
    "message",
    "param",
    "item",
    "item_id",
    "output_index",
    "content_index",
    "summary_index",
    "annotation_index",
    "annotation",
    "start_index",
    "end_index",
    "url",
    "title",
    "part",
    "delta",
    "text",
    "refusal",
    "arguments",
    "input",
    "name",
    "call_id",
    "encrypted_content",
    "summary",
    "content",
    "service_tier",
    "obfuscation",
    "logprobs",
)
_event_types = st.sampled_from(sorted(SDK_EVENT_TYPES | {"[DONE]", *UNKNOWN_EVENT_TYPES}))
_item_types = st.sampled_from(["message", "reasoning", "function_call", "custom_tool_call", *BUILT_IN_KINDS, "x"])
_any_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-1, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    _event_types,
    _item_types,
    st.sampled_from(["url_citation", "summary_text", "output_text", "completed", "max_output_tokens", "fc_1"]),
)


def _junk_dict(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(_FIELD_NAMES) | st.text(max_size=4), inner, max_size=6)


junk_values = st.recursive(_any_scalar, lambda inner: st.lists(inner, max_size=3) | _junk_dict(inner), max_leaves=16)
"""JSON values shaped like Responses events: the known field names, values of random types."""


@st.composite
def junk_events(draw: st.DrawFn) -> Any:
    """A JSON value shaped like a Responses event: mostly a dict with a known (or unknown) ``type`` and the
    known field names holding values of random types; now and then not a dict at all."""
    if draw(st.integers(0, 19)) == 19:
        return draw(junk_values)
    event = draw(_junk_dict(junk_values))
    if draw(st.integers(0, 4)):
        event["type"] = draw(_event_types | _any_scalar)
    return event
