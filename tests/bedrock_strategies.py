"""Hypothesis strategies: Amazon Bedrock ConverseStream streams (boto3-style event dicts ``{<type>: <payload>}``),
each with a model of what its translation must say, and their binary event-stream bodies.

Modelled on the recordings in /work/shared/real-streams/bedrock/ and the ConverseStream API reference: a
``messageStart``; content blocks with ascending ``contentBlockIndex``: text (no ``contentBlockStart``, text
deltas, ``citation`` deltas of every location kind), reasoning (text deltas, an empty one as Claude sends
before the ``signature``, the signature; or ``redactedContent`` base64, maybe in two pieces), client tool use
(``contentBlockStart.toolUse`` with or without ``type: "tool_use"``, ``input`` fragments of a JSON object,
none, or one ``""``), a server tool (``type: "server_tool_use"``) and its ``toolResult`` block (Nova's code
interpreter), images (``start.image`` + ``delta.image.source.bytes``); each block closed by
``contentBlockStop``; ``messageStop`` with every stop reason (and ``additionalModelResponseFields``); then
``metadata`` (usage with cache read / write counts, ``metrics``, ``trace``, ``performanceConfig``,
``serviceTier``). Every payload may carry the random-length ``"p"`` padding, keys in AWS's sorted order or
shuffled.

* `bedrock_streams()`: a complete `BedrockStream` (events + the model of the output).
* `ended_bedrock_streams()`: complete, ended by an exception message after any event (``{"error": {type,
  message}}`` as the event-stream decoder gives it, or boto3's ``{<exceptionType>: {message}}``), or cut
  after any event before ``metadata``.
* `bedrock_pieces(events)`: the body, one event-stream message per event (`encode_event`).
* `junk_values`, `FIELD_NAMES`, `put_junk`, `flipped`: for the robustness properties (`put_junk`,
  `junk_values_of` and `flipped` are generic: the Cohere and Ollama properties use them too).
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.strategies import json_fragments, texts, tool_inputs
from translators.eventstream import encode_event, encode_message

__all__ = [
    "EXCEPTION_TYPES",
    "FIELD_NAMES",
    "REASONING_FORMAT",
    "STOP_REASONS",
    "BedrockStream",
    "bedrock_pieces",
    "bedrock_streams",
    "ended_bedrock_streams",
    "flipped",
    "junk_values",
    "put_junk",
]

STOP_REASONS = (
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "model_context_window_exceeded",
    "malformed_model_output",
    "malformed_tool_use",
)
EXCEPTION_TYPES = (
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException",
)
REASONING_FORMAT = "bedrock-converse-v1"

_PAD_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + string.digits
_pads = st.integers(1, len(_PAD_ALPHABET)).map(lambda n: _PAD_ALPHABET[:n])
_counts = st.integers(0, 200_000)
_tool_ids = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=22, max_size=22).map(
    lambda s: "tooluse_" + s
)
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
_base64 = st.binary(min_size=1, max_size=48).map(lambda raw: base64.b64encode(raw).decode("ascii"))
_urls = st.builds(
    lambda host, path: f"https://{host}.example/{path}", _names, st.text(string.ascii_lowercase, max_size=8)
)


@dataclass
class BedrockStream:
    """A ConverseStream and what its translation must say (for a complete stream)."""

    events: list[Any]
    ending: str = "complete"
    """"complete", "error" (an exception message last) or "truncated" (cut before metadata)."""
    content: str = ""
    reasoning: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    """The ``reasoning_details`` entries as the openai fold merges them, in index order."""
    tool_calls: list[dict[str, str]] = field(default_factory=list)
    """``{"id", "name", "arguments"}`` per client tool block, ``"{}"`` for one without input."""
    server_blocks: list[dict[str, Any]] = field(default_factory=list)
    """Every ``server_blocks`` entry as sent (``{"index", **start}`` then ``{"index", **delta}``)."""
    images: list[str] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    additional: Any = None
    metadata: dict[str, Any] | None = None
    """The metadata payload without its padding."""
    error: dict[str, Any] | None = None
    """``{"type", "message", …}`` of the exception that ended the stream (a modelStreamErrorException also
    has ``originalStatusCode`` and ``originalMessage``)."""
    complete: int = 0
    """How many events the complete stream had."""


_layouts = st.tuples(
    st.sampled_from(["always", "always", "sometimes", "never"]), st.sampled_from(["sorted", "sorted", "shuffled"])
)
"""Per stream: when payloads carry the ``"p"`` padding, and whether their keys come in AWS's sorted order."""


def _padded(draw: st.DrawFn, fields: dict[str, Any], layout: tuple[str, str]) -> dict[str, Any]:
    """``fields`` laid out as ``layout`` says, with a padding of drawn length."""
    padding, order = layout
    items = list(fields.items())
    if padding == "always" or (padding == "sometimes" and draw(st.booleans())):
        items.append(("p", draw(_pads)))
    if order == "sorted":
        items.sort(key=lambda kv: kv[0])
    else:
        items = draw(st.permutations(items))
    return dict(items)


def _citation_location(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    kind = draw(st.sampled_from(["web", "documentChar", "documentPage", "documentChunk", "searchResultLocation"]))
    if kind == "web":
        web: dict[str, Any] = {"url": draw(_urls)}
        if draw(st.booleans()):
            web["domain"] = "example"
        return {"web": web}, kind
    if kind == "searchResultLocation":
        a, b = sorted(draw(st.lists(st.integers(0, 9), min_size=2, max_size=2)))
        return {kind: {"searchResultIndex": draw(st.integers(0, 3)), "start": a, "end": b}}, kind
    a, b = sorted(draw(st.lists(st.integers(0, 500), min_size=2, max_size=2)))
    return {kind: {"documentIndex": draw(st.integers(0, 3)), "start": a, "end": b}}, kind


def _citation(draw: st.DrawFn) -> dict[str, Any]:
    location, _ = _citation_location(draw)
    citation: dict[str, Any] = {"location": location}
    if draw(st.booleans()):
        citation["title"] = draw(texts)
    if draw(st.booleans()):
        citation["source"] = draw(_names)
    if draw(st.booleans()):
        citation["sourceContent"] = [{"text": draw(texts)}]
    return dict(sorted(citation.items()))


def _annotation(index: int, citation: dict[str, Any], span: tuple[int, int]) -> dict[str, Any]:
    """The documented annotation of a citation delta (written here from the bedrock module's docstring)."""
    location = citation["location"]
    url = location.get("web", {}).get("url")
    if url is not None:
        title = citation.get("title")
        return {
            "index": index,
            "type": "url_citation",
            "url_citation": {
                "url": url,
                "title": title if isinstance(title, str) else "",
                "start_index": span[0],
                "end_index": span[1],
            },
            "citation": citation,
        }
    return {
        "index": index,
        "type": next(iter(location)),
        "citation": citation,
        "start_index": span[0],
        "end_index": span[1],
    }


class _Writer:
    """Appends one stream's events and keeps its `BedrockStream` model up to date."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.layout = draw(_layouts)
        self.model = BedrockStream(events=[])
        self.server_entries = 0
        self.clients = 0

    def add(self, kind: str, fields: dict[str, Any]) -> None:
        self.model.events.append({kind: _padded(self.draw, fields, self.layout)})

    def delta(self, index: int, delta: dict[str, Any]) -> None:
        self.add("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})

    def stop(self, index: int) -> None:
        self.add("contentBlockStop", {"contentBlockIndex": index})

    def text(self, index: int) -> None:
        draw, model = self.draw, self.model
        start = len(model.content)
        items: list[tuple[str, Any]] = [("text", t) for t in draw(st.lists(texts, min_size=1, max_size=5))]
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
            items.insert(draw(st.integers(0, len(items))), ("citation", _citation(draw)))
        for kind, value in items:
            self.delta(index, {kind: value})
            if kind == "text":
                model.content += value
        span = (start, len(model.content))
        for citation in (value for kind, value in items if kind == "citation"):
            model.annotations.append(_annotation(len(model.annotations), citation, span))
        self.stop(index)

    def reasoning(self, index: int) -> None:
        draw, model = self.draw, self.model
        if draw(st.integers(0, 3)) == 0:  # redacted: one base64 blob, maybe sent in two pieces
            blob = draw(st.binary(min_size=1, max_size=60))
            data = base64.b64encode(blob).decode("ascii")
            cut = 4 * draw(st.integers(0, len(data) // 4))
            pieces = [p for p in (data[:cut], data[cut:]) if p]
            for piece in pieces:
                self.delta(index, {"reasoningContent": {"redactedContent": piece}})
            entry = {"index": len(model.details), "type": "reasoning.encrypted", "data": data}
            model.details.append({**entry, "format": REASONING_FORMAT})
        else:
            fragments = draw(st.lists(texts, min_size=1, max_size=5))
            if draw(st.booleans()):
                fragments.append("")  # Claude's empty last reasoning delta before the signature
            signature = draw(_base64) if draw(st.integers(0, 4)) else None
            for fragment in fragments:
                self.delta(index, {"reasoningContent": {"text": fragment}})
            if signature is not None:
                self.delta(index, {"reasoningContent": {"signature": signature}})
            text = "".join(fragments)
            model.reasoning += text
            if text or signature is not None:
                entry: dict[str, Any] = {"index": len(model.details), "type": "reasoning.text"}
                entry["format"] = REASONING_FORMAT
                if text:
                    entry["text"] = text
                if signature is not None:
                    entry["signature"] = signature
                model.details.append(entry)
        self.stop(index)

    def tool(self, index: int) -> None:
        draw, model = self.draw, self.model
        tool: dict[str, Any] = {"toolUseId": draw(_tool_ids), "name": draw(_names)}
        if draw(st.booleans()):
            tool["type"] = "tool_use"
        self.add("contentBlockStart", {"contentBlockIndex": index, "start": {"toolUse": dict(sorted(tool.items()))}})
        shape = draw(st.sampled_from(["json", "json", "json", "none", "empty"]))
        fragments = draw(json_fragments(draw(tool_inputs))) if shape == "json" else [] if shape == "none" else [""]
        for fragment in fragments:
            self.delta(index, {"toolUse": {"input": fragment}})
        self.stop(index)
        model.tool_calls.append(
            {"id": tool["toolUseId"], "name": tool["name"], "arguments": "".join(fragments) or "{}"}
        )
        self.clients += 1

    def server(self, index: int) -> int:
        """A server tool use block at ``index``, maybe followed by its toolResult block; the next index."""
        draw, model = self.draw, self.model
        tool_id = draw(_tool_ids)
        tool = {"name": "nova_code_interpreter", "toolUseId": tool_id, "type": "server_tool_use"}
        self.add("contentBlockStart", {"contentBlockIndex": index, "start": {"toolUse": tool}})
        entry = self.server_entries
        self.server_entries += 1
        model.server_blocks.append({"index": entry, "toolUse": tool})
        for fragment in draw(json_fragments({"snippet": draw(texts)})):
            self.delta(index, {"toolUse": {"input": fragment}})
            model.server_blocks.append({"index": entry, "toolUse": {"input": fragment}})
        self.stop(index)
        if not draw(st.integers(0, 3)):
            return index + 1
        index += 1
        status = draw(st.sampled_from(["success", "error"]))
        result = {"status": status, "toolUseId": tool_id, "type": "nova_code_interpreter_result"}
        self.add("contentBlockStart", {"contentBlockIndex": index, "start": {"toolResult": result}})
        entry = self.server_entries
        self.server_entries += 1
        model.server_blocks.append({"index": entry, "toolResult": result})
        for _ in range(draw(st.integers(0, 2))):
            output = {"stdOut": draw(texts), "stdErr": "", "exitCode": draw(st.integers(0, 2)), "isError": False}
            parts = [draw(st.sampled_from([{"json": output}, {"text": output["stdOut"]}]))]
            self.delta(index, {"toolResult": parts})
            model.server_blocks.append({"index": entry, "toolResult": parts})
        self.stop(index)
        return index + 1

    def image(self, index: int) -> None:
        draw, model = self.draw, self.model
        image_format = draw(st.sampled_from(["png", "jpeg", "gif", "webp"]))
        self.add("contentBlockStart", {"contentBlockIndex": index, "start": {"image": {"format": image_format}}})
        for _ in range(draw(st.integers(1, 2))):
            data = draw(_base64)
            self.delta(index, {"image": {"source": {"bytes": data}}})
            model.images.append(f"data:image/{image_format};base64,{data}")
        self.stop(index)


_block_kinds = st.sampled_from(["text", "text", "text", "reasoning", "reasoning", "tool", "tool", "server", "image"])


@st.composite
def bedrock_streams(draw: st.DrawFn, *, max_blocks: int = 5) -> BedrockStream:
    """A complete ConverseStream and the model of its translation."""
    writer = _Writer(draw)
    model = writer.model
    writer.add("messageStart", {"role": "assistant"})
    index = 0
    for kind in draw(st.lists(_block_kinds, max_size=max_blocks)):
        if kind == "server":
            index = writer.server(index)
            continue
        getattr(writer, kind)(index)
        index += 1

    reasons = st.sampled_from(STOP_REASONS)
    if writer.clients:
        reasons = st.one_of(st.just("tool_use"), reasons)
    model.stop_reason = draw(reasons)
    stop: dict[str, Any] = {"stopReason": model.stop_reason}
    if draw(st.integers(0, 3)) == 0:
        model.additional = draw(
            st.sampled_from([{"delta": {"stop_sequence": None}}, {"stop_sequence": "###"}, {"trace": [1, 2]}])
        )
        stop["additionalModelResponseFields"] = model.additional
    writer.add("messageStop", stop)

    inputs, outputs = draw(_counts), draw(_counts)
    usage: dict[str, Any] = {"inputTokens": inputs, "outputTokens": outputs}
    total = inputs + outputs
    for key in ("cacheReadInputTokens", "cacheWriteInputTokens"):
        if draw(st.booleans()):
            usage[key] = draw(_counts)
            total += usage[key]
    if draw(st.integers(0, 3)) == 0:
        usage["serverToolUsage"] = {}
    usage["totalTokens"] = total
    metadata: dict[str, Any] = {"usage": dict(sorted(usage.items())), "metrics": {"latencyMs": draw(_counts)}}
    if draw(st.integers(0, 4)) == 0:
        metadata["trace"] = {"guardrail": {"modelOutput": [draw(texts)]}}
    if draw(st.integers(0, 4)) == 0:
        metadata["performanceConfig"] = {"latency": draw(st.sampled_from(["standard", "optimized"]))}
    if draw(st.integers(0, 4)) == 0:
        metadata["serviceTier"] = {"type": draw(st.sampled_from(["default", "priority", "flex"]))}
    model.metadata = metadata
    writer.add("metadata", metadata)
    model.complete = len(model.events)
    return model


_messages = st.one_of(st.sampled_from(["", "Too many requests, please wait", "Model stream error"]), texts)


@st.composite
def ended_bedrock_streams(draw: st.DrawFn, **kwargs: Any) -> BedrockStream:
    """Complete, ended by an exception after any event, or cut before ``metadata``."""
    model = draw(bedrock_streams(**kwargs))
    ending = draw(st.sampled_from(["complete", "complete", "error", "truncated"]))
    if ending == "complete":
        return model
    model.ending = ending
    if ending == "truncated":
        del model.events[draw(st.integers(0, len(model.events) - 1)) :]
        return model
    del model.events[draw(st.integers(0, len(model.events) - 1)) :]
    error: dict[str, Any] = {"type": draw(st.sampled_from(EXCEPTION_TYPES)), "message": draw(_messages)}
    if error["type"] == "modelStreamErrorException" and draw(st.booleans()):
        error["originalStatusCode"] = draw(st.sampled_from([400, 424, 500]))
        error["originalMessage"] = draw(texts)
    model.error = error
    if draw(st.booleans()):
        model.events.append({"error": dict(error)})  # what the event-stream decoder makes of the message
    else:  # boto3's exception member
        model.events.append({error["type"]: {k: v for k, v in error.items() if k != "type"}})
    return model


def bedrock_pieces(events: list[Any]) -> list[bytes] | None:
    """The event-stream body, one message per event (None when a junk value cannot be JSON).

    An event dict of one key becomes what Bedrock sends (`encode_event`: an ``event`` message, or an
    ``exception`` message for an error or an exception member); anything else an ``event`` message of type
    ``junk`` whose payload is the value's JSON."""
    try:
        return [_message(event) for event in events]
    except (TypeError, ValueError):
        return None


def _message(event: Any) -> bytes:
    if isinstance(event, dict) and len(event) == 1:
        ((kind, body),) = event.items()
        if isinstance(kind, str) and isinstance(body, dict):
            json.dumps(body, allow_nan=False)  # encode_event's encoder takes values JSON cannot hold
            if kind in EXCEPTION_TYPES and isinstance(body.get("message"), str):
                return encode_event({"error": {**body, "type": kind}})
            if kind != "error" or (isinstance(body.get("type"), str) and isinstance(body.get("message"), str)):
                return encode_event(event)
    headers = {":event-type": "junk", ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(event, allow_nan=False).encode())


# -- junk -----------------------------------------------------------------------------------------------


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to three random bits flipped."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        if buf:
            at = draw(st.integers(0, len(buf) - 1))
            buf[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(buf)


FIELD_NAMES = (
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
    "error",
    "throttlingException",
    "role",
    "contentBlockIndex",
    "start",
    "delta",
    "toolUse",
    "toolUseId",
    "name",
    "type",
    "input",
    "text",
    "reasoningContent",
    "signature",
    "redactedContent",
    "citation",
    "toolResult",
    "image",
    "source",
    "bytes",
    "format",
    "stopReason",
    "usage",
    "inputTokens",
    "outputTokens",
    "cacheReadInputTokens",
    "message",
    "p",
)


def junk_values_of(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """JSON-ish values of random types, dicts keyed by ``names`` (or random keys)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-1, 3),
        st.floats(),
        st.text(max_size=8),
        st.sampled_from(names),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(names) | st.text(max_size=4), inner, max_size=5)
        ),
        max_leaves=15,
    )


junk_values = junk_values_of(FIELD_NAMES)


def _containers(value: Any, found: list[Any]) -> None:
    if isinstance(value, (dict, list)):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, found)


def put_junk(draw: st.DrawFn, events: list[Any], junk: Any, names: tuple[str, ...]) -> None:
    """Put ``junk`` somewhere in ``events`` (changed in place): as the value of a field (one that is there,
    or one of ``names``) of any object at any depth, as an item of any list, in place of an event, or as
    an extra event."""
    containers: list[Any] = []
    for event in events:
        _containers(event, containers)
    where = draw(st.sampled_from(["field", "field", "field", "item", "event", "extra"]))
    if where in ("field", "item") and containers:
        host = draw(st.sampled_from(containers))
        if isinstance(host, dict):
            host[draw(st.sampled_from([*host, *names]))] = junk
        elif host:
            host[draw(st.integers(0, len(host) - 1))] = junk
        else:
            host.append(junk)
    elif where == "event" and events:
        events[draw(st.integers(0, len(events) - 1))] = junk
    else:
        events.insert(draw(st.integers(0, len(events))), junk)
