"""Hypothesis strategies: realistic Gemini ``streamGenerateContent`` streams (camelCase
``GenerateContentResponse`` dicts) and their wire bodies, in both framings.

Modelled on fixtures/gemini/ and the recordings in /work/shared/real-streams/gemini/ (field names, key
orders and quirks): AI Studio style (``index`` on every candidate, or none at all as gemini-2.0 sends,
cumulative ``usageMetadata`` on every chunk, ``content`` as ``{parts, role}``) and Vertex style (no
``index`` for candidate 0, ``content`` as ``{role, parts}``, ``createTime``, ``usageMetadata`` only
``{trafficType}`` until the last chunk); ``groundingMetadata: {}`` on intermediate chunks and full on the
last (segments as UTF-8 byte offsets, ``startIndex`` 0 omitted as proto3 JSON omits defaults);
``citationMetadata.citationSources`` on any chunk, repeated sources included; thought parts, signatures
on thought / text / function-call / image / empty parts and alone; whole ``functionCall`` parts; Vertex
streamed calls (``{name, willContinue}``, ``partialArgs`` pieces, ``functionCall: {}``) with strings
split over ``willContinue`` pieces closed by an empty ``stringValue``; code execution, images and other
blobs; the final ``{"text": ""}`` part carrying the ``finishReason``; a MAX_TOKENS cut inside a streamed
call. Every chunk validates as ``google.genai.types.GenerateContentResponse`` (asserted by a test).

* `gemini_streams()`: a complete stream (every candidate gets its ``finishReason``).
* `ended_gemini_streams()`: complete, ended by an in-stream error object (`error_objects`), truncated (some
  candidate never finishes), or a blocked prompt (`blocked_streams`: ``promptFeedback.blockReason``, no
  candidates); `completed_at(events)` says how many objects complete a stream.
* `args_objects()` / `streamed_call()`: a random arguments object and the Vertex parts that stream it
  (``rfc_keys`` draws keys only RFC 9535's escapes can name in a ``jsonPath``).
* `streamed_call_streams()`: ``(targets, events)``: one candidate streaming its calls' arguments.
* `sse_pieces(events)` / `json_array_pieces(events)` / `gemini_wire(events)`: the body, one piece per object.
* `json_path(segments)`, `assemble_partial_args(pieces)`: RFC 9535 paths, and what a list of pieces
  describes (a reference written independently of the translator's writer).
* `junk_values`, `MALFORMED_JSON_PATHS`, `HUGE_INDEXES`: for the robustness properties.
"""

from __future__ import annotations

import base64
import json
import re
import string
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from google.genai import types
from hypothesis import strategies as st

from tests.strategies import json_values, texts, tricky_strings

__all__ = [
    "BLOCK_REASONS",
    "ERROR_STATUSES",
    "FINISH_REASON_VALUES",
    "HUGE_INDEXES",
    "MALFORMED_JSON_PATHS",
    "args_objects",
    "assemble_partial_args",
    "blocked_streams",
    "completed_at",
    "ended_gemini_streams",
    "error_objects",
    "gemini_streams",
    "gemini_wire",
    "json_array_pieces",
    "json_path",
    "junk_values",
    "parse_path",
    "signatures",
    "sse_pieces",
    "streamed_call",
    "streamed_call_streams",
]

FINISH_REASON_VALUES = tuple(reason.value for reason in types.FinishReason)
"""The full enum, FINISH_REASON_UNSPECIFIED included."""
BLOCK_REASONS = tuple(reason.value for reason in types.BlockedReason)
ERROR_STATUSES = (
    (400, "INVALID_ARGUMENT"),
    (403, "PERMISSION_DENIED"),
    (429, "RESOURCE_EXHAUSTED"),
    (500, "INTERNAL"),
    (503, "UNAVAILABLE"),
    (504, "DEADLINE_EXCEEDED"),
)

_ALNUM = string.ascii_letters + string.digits
_names = st.from_regex(r"[a-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
_counts = st.integers(min_value=0, max_value=100_000)
_unit = st.floats(min_value=0, max_value=1)
_models = st.one_of(
    st.sampled_from(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-2.0-flash"]),
    tricky_strings,
    texts,
)
_response_ids = st.one_of(st.text(alphabet=_ALNUM + "-_", min_size=16, max_size=27), tricky_strings, texts)
_create_times = st.sampled_from(["2026-04-02T17:03:50.399550Z", "2026-11-20T09:14:07.512331Z"])

signatures = st.binary(min_size=1, max_size=48).map(lambda raw: base64.b64encode(raw).decode("ascii"))
"""``thoughtSignature``: standard base64 (with ``+``, ``/`` and padding), as on the wire."""

_images = st.builds(
    lambda mime, raw: {"mimeType": mime, "data": base64.b64encode(raw).decode("ascii")},
    st.sampled_from(["image/png", "image/jpeg", "image/webp"]),
    st.binary(min_size=1, max_size=24),
)
_other_blobs = st.builds(
    lambda mime, raw: {"mimeType": mime, "data": base64.b64encode(raw).decode("ascii")},
    st.sampled_from(["audio/wav", "application/pdf", "text/plain"]),
    st.binary(min_size=1, max_size=24),
)


# -- streamed function-call arguments (Vertex partialArgs) --------------------------------------------

Segment = str | int

_SHORTHAND = re.compile(r"[A-Za-z_\u0080-\ud7ff\ue000-\U0010ffff][A-Za-z0-9_\u0080-\ud7ff\ue000-\U0010ffff]*")
"""RFC 9535 member-name-shorthand (``$.name``)."""
_RFC_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

# Keys the translator's jsonPath reader takes without escapes: JSON escapes still needed ("), quotes of
# the other kind, dots, brackets, spaces, non-ASCII, the empty key.
_plain_key_chars = st.sampled_from([*"abcxyz_019 .-[\"'$*@", "é", "日", "👋", "\u2028"])
_plain_keys = st.one_of(
    _names,
    st.text(alphabet=_plain_key_chars, max_size=6).filter(lambda k: not ("'" in k and '"' in k)),
)
# Keys only RFC 9535's escapes (or a quoted "]") can name: backslash, both quotes, control characters.
_rfc_keys = st.text(alphabet=st.sampled_from(list("ab ']\\\"\n\t\x01\x1f.")), min_size=1, max_size=6).filter(
    lambda k: bool(set(k) & set("]\\\n\t\x01\x1f")) or ("'" in k and '"' in k)
)


def _quoted(key: str) -> str:
    """A bracketed RFC 9535 name selector for ``key``: quotes with no escapes when one kind allows it."""
    controls = any(ord(c) < 0x20 for c in key)
    if "'" not in key and "\\" not in key and not controls:
        return f"['{key}']"
    if '"' not in key and "\\" not in key and not controls:
        return f'["{key}"]'
    escaped = "".join(
        _RFC_ESCAPES.get(c, "\\'" if c == "'" else (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c)) for c in key
    )
    return f"['{escaped}']"


def json_path(segments: tuple[Segment, ...], brackets: Iterator[bool] | None = None) -> str:
    """An RFC 9535 path: ``.name`` where the shorthand allows (unless ``brackets`` says otherwise),
    ``['name']`` / ``["name"]`` / escaped ``['…']`` otherwise, ``[n]`` for an array index."""
    out = ["$"]
    for segment in segments:
        if type(segment) is int:
            out.append(f"[{segment}]")
        elif _SHORTHAND.fullmatch(segment) and not (brackets is not None and next(brackets, False)):
            out.append("." + segment)
        else:
            out.append(_quoted(segment))
    return "".join(out)


_arg_scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


def args_objects(*, rfc_keys: bool = False, max_leaves: int = 10) -> st.SearchStrategy[dict[str, Any]]:
    """A function call's arguments as partialArgs can describe them: no empty object or array below the
    root (a jsonPath names leaves only); nested objects, arrays of scalars, objects and arrays."""
    keys = st.one_of(_plain_keys, _rfc_keys) if rfc_keys else _plain_keys

    def nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(inner, min_size=1, max_size=3) | st.dictionaries(keys, inner, min_size=1, max_size=3)

    values = st.recursive(_arg_scalars, nested, max_leaves=max_leaves)
    return st.dictionaries(keys, values, max_size=4)


def _leaves(value: Any, path: tuple[Segment, ...] = ()) -> Iterator[tuple[tuple[Segment, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _leaves(item, (*path, n))
    else:
        yield path, value


@st.composite
def _pieces(draw: st.DrawFn, target: dict[str, Any]) -> list[dict[str, Any]]:
    """The in-order partialArgs pieces that describe ``target``."""
    pieces: list[dict[str, Any]] = []
    bracket_flags = iter(draw(st.lists(st.integers(0, 3).map(lambda n: n == 0), min_size=64, max_size=64)))
    for segments, leaf in _leaves(target):
        path = json_path(segments, bracket_flags)
        if isinstance(leaf, str):
            cuts = sorted(draw(st.lists(st.integers(0, len(leaf)), max_size=3)))
            parts = [leaf[a:b] for a, b in pairwise([0, *cuts, len(leaf)])]
            end = draw(st.sampled_from(["empty", "empty", "empty", "last", "implicit"]))
            if not leaf:
                parts, end = [], "empty"
            for n, part in enumerate(parts):
                piece: dict[str, Any] = {"jsonPath": path, "stringValue": part}
                if not (end == "last" and n == len(parts) - 1):
                    piece["willContinue"] = True
                pieces.append(piece)
            if end == "empty":  # as the recordings close a string
                pieces.append({"jsonPath": path, "stringValue": ""})
        elif isinstance(leaf, bool):
            pieces.append({"jsonPath": path, "boolValue": leaf})
        elif leaf is None:
            pieces.append({"jsonPath": path, "nullValue": "NULL_VALUE"})
        else:
            pieces.append({"jsonPath": path, "numberValue": leaf})
    return pieces


@st.composite
def streamed_call(
    draw: st.DrawFn, target: dict[str, Any] | None = None, *, signed: bool | None = None, rfc_keys: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(arguments, parts)``: a Vertex streamed call, ``{name, willContinue}`` (signed or not), then
    ``partialArgs`` parts of 1-3 pieces each, then ``functionCall: {}`` (or, now and then, the last
    pieces without ``willContinue``)."""
    if target is None:
        target = draw(args_objects(rfc_keys=rfc_keys))
    opening: dict[str, Any] = {"functionCall": {"name": draw(_names), "willContinue": True}}
    if draw(st.integers(0, 5)) == 0:
        opening["functionCall"] = {
            "id": "fc_" + draw(st.text(_ALNUM, min_size=4, max_size=12)),
            **opening["functionCall"],
        }
    if signed if signed is not None else draw(st.booleans()):
        opening["thoughtSignature"] = draw(signatures)
    pieces = draw(_pieces(target))
    sizes = draw(st.lists(st.integers(1, 3), min_size=len(pieces), max_size=len(pieces)))
    groups: list[list[dict[str, Any]]] = []
    at = 0
    for size in sizes:
        if at >= len(pieces):
            break
        groups.append(pieces[at : at + size])
        at += size
    parts = [{"functionCall": {"partialArgs": group, "willContinue": True}} for group in groups]
    if parts and draw(st.integers(0, 5)) == 0:
        del parts[-1]["functionCall"]["willContinue"]  # the last pieces close the call
    else:
        parts.append({"functionCall": {}})
    return target, [opening, *parts]


def _set(root: Any, path: tuple[Segment, ...], value: Any, *, append: bool) -> Any:
    if not path:
        return (root + value) if append and isinstance(root, str) else value
    head, rest = path[0], path[1:]
    if root is None:
        root = [] if type(head) is int else {}
    if type(head) is int:
        while len(root) <= head:
            root.append(None)
    else:
        root.setdefault(head, None)
    root[head] = _set(root[head], rest, value, append=append)
    return root


_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]")
_UNESCAPE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"', "/": "/"}


def _unescape(text: str) -> str:
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|.)",
        lambda m: (
            chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "u" and len(m.group(1)) == 5 else _UNESCAPE[m.group(1)]
        ),
        text,
    )


def parse_path(path: str) -> tuple[Segment, ...]:
    """An RFC 9535 path as written by `json_path` → its segments (the reference reader)."""
    assert path.startswith("$"), path
    segments: list[Segment] = []
    at = 1
    while at < len(path):
        match = _PATH_TOKEN.match(path, at)
        assert match is not None, (path, at)
        dotted, index, single, double = match.groups()
        if dotted is not None:
            segments.append(dotted)
        elif index is not None:
            segments.append(int(index))
        else:
            segments.append(_unescape(single if single is not None else double))
        at = match.end()
    return tuple(segments)


def assemble_partial_args(pieces: list[Any]) -> dict[str, Any]:
    """What a sequence of partialArgs pieces (dicts, or google-genai PartialArg objects) describes:
    each value set at its path, string pieces at one path concatenated."""
    root: dict[str, Any] = {}
    open_string: tuple[Segment, ...] | None = None
    for item in pieces:
        piece = item if isinstance(item, dict) else item.model_dump(by_alias=True, exclude_none=True)
        path = parse_path(piece["jsonPath"])
        if piece.get("stringValue") is not None:
            _set(root, path, piece["stringValue"], append=open_string == path)
            open_string = path if piece.get("willContinue") else None
            continue
        open_string = None
        if piece.get("boolValue") is not None:
            value: Any = piece["boolValue"]
        elif piece.get("numberValue") is not None:
            value = piece["numberValue"]
        else:
            value = None
        _set(root, path, value, append=False)
    return root


# -- parts -----------------------------------------------------------------------------------------------


@st.composite
def _text_item(draw: st.DrawFn) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": t} for t in draw(st.lists(texts, min_size=1, max_size=4))]
    if draw(st.integers(0, 3)) == 0:  # the first answer part after thinking carries the signature
        parts[0]["thoughtSignature"] = draw(signatures)
    return parts


@st.composite
def _thought_item(draw: st.DrawFn) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [
        {"text": t, "thought": True} for t in draw(st.lists(texts.filter(bool), min_size=1, max_size=4))
    ]
    where = draw(st.sampled_from(["none", "none", "last", "empty"]))
    if where == "last":
        parts[-1]["thoughtSignature"] = draw(signatures)
    elif where == "empty":  # an empty thought part that only brings the signature
        parts.append({"text": "", "thought": True, "thoughtSignature": draw(signatures)})
    return parts


@st.composite
def _call_item(draw: st.DrawFn) -> list[dict[str, Any]]:
    call: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        call["id"] = "call-" + draw(st.text(_ALNUM, min_size=1, max_size=12))
    call["name"] = draw(_names)
    if draw(st.integers(0, 4)) != 0:  # a no-argument call may come without "args"
        call["args"] = draw(st.dictionaries(texts, json_values, max_size=4))
    part: dict[str, Any] = {"functionCall": call}
    if draw(st.booleans()):
        part["thoughtSignature"] = draw(signatures)
    return [part]


@st.composite
def _code_item(draw: st.DrawFn) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"executableCode": {"language": "PYTHON", "code": draw(texts)}}]
    if draw(st.integers(0, 3)) != 0:
        outcome = draw(st.sampled_from(["OUTCOME_OK", "OUTCOME_OK", "OUTCOME_FAILED", "OUTCOME_DEADLINE_EXCEEDED"]))
        result = {"outcome": outcome}
        if draw(st.integers(0, 4)) != 0:
            result["output"] = draw(texts)
        parts.append({"codeExecutionResult": result})
    return parts


@st.composite
def _blob_item(draw: st.DrawFn) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(["image", "image", "blob", "file"]))
    if kind == "image":
        part: dict[str, Any] = {"inlineData": draw(_images)}
        if draw(st.booleans()):  # image models sign their images
            part["thoughtSignature"] = draw(signatures)
        return [part]
    if kind == "blob":
        return [{"inlineData": draw(_other_blobs)}]
    mime = draw(st.sampled_from(["application/pdf", "video/mp4"]))
    return [{"fileData": {"mimeType": mime, "fileUri": "gs://bucket/" + draw(st.text(_ALNUM, min_size=1, max_size=8))}}]


_ITEM_KINDS = ("text", "text", "text", "thought", "thought", "signature", "call", "streamed", "code", "blob")


@st.composite
def _items(draw: st.DrawFn, max_items: int) -> list[tuple[str, list[dict[str, Any]]]]:
    kinds = draw(st.lists(st.sampled_from(_ITEM_KINDS), max_size=max_items))
    if kinds and "thought" in kinds and draw(st.booleans()):  # thinking first, as models send it
        kinds.sort(key=lambda kind: kind != "thought")
    items: list[tuple[str, list[dict[str, Any]]]] = []
    for kind in kinds:
        if kind == "text":
            parts = draw(_text_item())
        elif kind == "thought":
            parts = draw(_thought_item())
        elif kind == "signature":
            parts = [{"thoughtSignature": draw(signatures)}]
        elif kind == "call":
            parts = draw(_call_item())
        elif kind == "streamed":
            _, parts = draw(streamed_call())
        elif kind == "code":
            parts = draw(_code_item())
        else:
            parts = draw(_blob_item())
        items.append((kind, parts))
    return items


# -- candidates ------------------------------------------------------------------------------------------


def _answer_text(parts: list[dict[str, Any]]) -> str:
    return "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))


def _byte_offset(text: str, points: int) -> int:
    return len(text[:points].encode("utf-8"))


@st.composite
def _span(draw: st.DrawFn, text: str) -> dict[str, int]:
    """A code-point span of ``text`` as Gemini's UTF-8 byte offsets (startIndex 0 omitted, as proto3 JSON does)."""
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, len(text)))
    span: dict[str, int] = {}
    if a:
        span["startIndex"] = _byte_offset(text, a)
    span["endIndex"] = _byte_offset(text, b)
    return span


@st.composite
def _citation_source(draw: st.DrawFn, text: str) -> dict[str, Any]:
    source: dict[str, Any] = draw(_span(text))
    if draw(st.integers(0, 4)) != 0:
        source["uri"] = "https://" + draw(st.text(_ALNUM, min_size=1, max_size=8)) + ".example/" + draw(texts)
    if draw(st.integers(0, 3)) == 0:
        source["title"] = draw(texts)
    if draw(st.integers(0, 3)) == 0:
        source["license"] = draw(st.sampled_from(["CC-BY-4.0", "mit", ""]))
    if draw(st.integers(0, 5)) == 0:
        source["publicationDate"] = {"year": draw(st.integers(1990, 2026)), "month": draw(st.integers(1, 12))}
    return source


@st.composite
def _grounding(draw: st.DrawFn, text: str) -> dict[str, Any]:
    """Full groundingMetadata for the candidate's whole answer ``text``."""
    chunks = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["web", "web", "retrievedContext", "maps"]))
        chunk: dict[str, Any] = {}
        if kind == "web" or draw(st.integers(0, 2)) != 0:  # a retrieved context or place may have no uri
            chunk["uri"] = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/" + draw(
                st.text(_ALNUM + "-_", min_size=1, max_size=12)
            )
        if draw(st.integers(0, 4)) != 0:
            chunk["title"] = draw(texts)
        if kind == "retrievedContext" and draw(st.booleans()):
            chunk["text"] = draw(texts)
        chunks.append({kind: chunk})
    supports = []
    for _ in range(draw(st.integers(0, 3))):
        segment: dict[str, Any] = draw(_span(text))
        encoded = text.encode("utf-8", "surrogatepass")
        start, end = segment.get("startIndex", 0), segment["endIndex"]
        segment["text"] = encoded[start:end].decode("utf-8", "surrogatepass")
        indices = draw(st.lists(st.integers(0, len(chunks) - 1), min_size=1, max_size=3, unique=True))
        support: dict[str, Any] = {"segment": segment, "groundingChunkIndices": indices}
        if draw(st.booleans()):
            support["confidenceScores"] = [draw(_unit) for _ in indices]
        supports.append(support)
    metadata: dict[str, Any] = {}
    if draw(st.booleans()):
        metadata["searchEntryPoint"] = {"renderedContent": "<style>\n.container { display: flex; }\n</style>"}
    metadata["groundingChunks"] = chunks
    metadata["groundingSupports"] = supports
    metadata["webSearchQueries"] = draw(st.lists(texts, min_size=1, max_size=2))
    return metadata


@st.composite
def _safety_ratings(draw: st.DrawFn, *, vertex: bool) -> list[dict[str, Any]]:
    ratings = []
    categories = ["HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT"]
    for category in draw(st.lists(st.sampled_from(categories), min_size=1, max_size=3, unique=True)):
        rating: dict[str, Any] = {"category": category, "probability": draw(st.sampled_from(["NEGLIGIBLE", "LOW"]))}
        if vertex:
            rating["probabilityScore"] = draw(_unit)
            rating["severity"] = draw(st.sampled_from(["HARM_SEVERITY_NEGLIGIBLE", "HARM_SEVERITY_LOW"]))
            rating["severityScore"] = draw(_unit)
            if draw(st.integers(0, 3)) == 0:
                rating["blocked"] = True
        ratings.append(rating)
    return ratings


@st.composite
def _candidate_objects(
    draw: st.DrawFn, index: int, *, vertex: bool, with_index: bool, max_items: int
) -> list[dict[str, Any]]:
    """One candidate's objects, one per chunk it appears in, in order; the last carries finishReason."""
    reason = draw(st.sampled_from([*FINISH_REASON_VALUES, "STOP", "STOP", "STOP", "MAX_TOKENS"]))
    items = draw(_items(max_items))
    if reason == "MAX_TOKENS" and items and items[-1][0] == "streamed" and draw(st.booleans()):
        kind, parts = items[-1]  # cut inside the streamed call: no closing functionCall {}
        items[-1] = (kind, parts[: draw(st.integers(1, len(parts) - 1))])
    parts = [part for _, part_list in items for part in part_list]

    # parts → per-chunk groups (mostly one part per chunk, as the recordings stream them)
    groups: list[list[dict[str, Any]]] = []
    at = 0
    while at < len(parts):
        size = draw(st.sampled_from([1, 1, 1, 2, 3]))
        groups.append(parts[at : at + size])
        at += size
    ending = draw(st.sampled_from(["last", "empty-text", "empty-text", "no-content"]))
    if ending == "empty-text" or not groups:
        groups.append([{"text": ""}])
    elif ending == "no-content":
        groups.append([])

    grounding = draw(st.integers(0, 4)) == 0
    finish_message = draw(st.integers(0, 5)) == 0 and reason != "STOP"
    objects: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    so_far: list[dict[str, Any]] = []
    for n, group in enumerate(groups):
        last = n == len(groups) - 1
        so_far += group
        obj: dict[str, Any] = {}
        if group or not last:
            obj["content"] = {"role": "model", "parts": group} if vertex else {"parts": group, "role": "model"}
        elif draw(st.booleans()):  # a finish with nothing to say may still send the role
            obj["content"] = {"role": "model"}
        if last:
            obj["finishReason"] = reason
            if vertex or draw(st.integers(0, 3)) == 0:
                obj["safetyRatings"] = draw(_safety_ratings(vertex=vertex))
            if finish_message:
                obj["finishMessage"] = draw(texts)
            if draw(st.integers(0, 5)) == 0:
                obj["avgLogprobs"] = -draw(st.floats(min_value=0, max_value=5))
        if draw(st.integers(0, 6)) == 0:
            text = _answer_text(so_far)
            sources = [draw(_citation_source(text)) for _ in range(draw(st.integers(1, 2)))]
            if seen and draw(st.booleans()):
                sources.append(draw(st.sampled_from(seen)))  # a source repeated on a later chunk
            seen += sources
            obj["citationMetadata"] = {"citationSources": sources}
        if with_index:
            obj["index"] = index
        if grounding:
            obj["groundingMetadata"] = draw(_grounding(_answer_text(so_far))) if last else {}
        objects.append(obj)
    return objects


def _usage_at(final: dict[str, Any], starts: dict[str, int], k: int, m: int) -> dict[str, Any]:
    """AI Studio's cumulative usageMetadata on chunk ``k`` of ``m``: counts grow to ``final``."""
    usage: dict[str, Any] = {}
    for key, value in final.items():
        if key in ("totalTokenCount", "promptTokensDetails", "trafficType"):
            continue
        if k >= starts.get(key, 0):
            usage[key] = value if key in ("promptTokenCount", "cachedContentTokenCount") else value * (k + 1) // m
    if "totalTokenCount" in final:
        usage["totalTokenCount"] = sum(
            usage.get(key, 0)
            for key in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount")
        )
    if "promptTokensDetails" in final:
        usage["promptTokensDetails"] = final["promptTokensDetails"]
    return dict(sorted(usage.items(), key=lambda kv: list(final).index(kv[0])))


@st.composite
def _final_usage(draw: st.DrawFn, *, thoughts: bool, vertex: bool) -> dict[str, Any]:
    prompt = draw(st.integers(1, 5000))
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if draw(st.integers(0, 5)) != 0:
        usage["candidatesTokenCount"] = draw(_counts)
    if draw(st.integers(0, 4)) == 0:
        usage["cachedContentTokenCount"] = draw(st.integers(0, prompt))
    if draw(st.integers(0, 3)) == 0:
        usage["toolUsePromptTokenCount"] = draw(_counts)
    if thoughts or draw(st.integers(0, 3)) == 0:
        usage["thoughtsTokenCount"] = draw(_counts)
    if draw(st.integers(0, 5)) != 0:
        usage["totalTokenCount"] = sum(
            usage.get(key, 0)
            for key in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount")
        )
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if vertex:
        usage["trafficType"] = draw(st.sampled_from(["ON_DEMAND", "ON_DEMAND_FLEX", "PROVISIONED_THROUGHPUT"]))
    return usage


@st.composite
def gemini_streams(
    draw: st.DrawFn, *, max_candidates: int = 3, max_items: int = 5, vertex: bool | None = None
) -> list[dict[str, Any]]:
    """A complete Gemini stream: 1-``max_candidates`` candidates, each finishing once."""
    if vertex is None:
        vertex = draw(st.booleans())
    count = min(draw(st.sampled_from([1, 1, 1, 2, 3])), max_candidates)
    with_index = vertex or count > 1 or draw(st.integers(0, 3)) != 0  # gemini-2.0 sends no index at all
    queues = [
        draw(
            _candidate_objects(i, vertex=vertex, with_index=with_index and not (vertex and i == 0), max_items=max_items)
        )
        for i in range(count)
    ]
    rows: list[list[dict[str, Any]]] = []
    while any(queues):
        active = [i for i in range(count) if queues[i]]
        chosen = draw(st.lists(st.sampled_from(active), min_size=1, max_size=len(active), unique=True))
        rows.append([queues[i].pop(0) for i in chosen])  # any order: a higher index may come first

    thoughts = any(p.get("thought") for row in rows for c in row for p in (c.get("content") or {}).get("parts", []))
    final = draw(_final_usage(thoughts=thoughts, vertex=vertex))
    starts = {key: draw(st.integers(0, len(rows) - 1)) for key in final if key != "promptTokenCount"}
    model = draw(_models)
    response_id = draw(st.one_of(st.none(), _response_ids)) if not vertex else draw(_response_ids)
    create_time = draw(_create_times)
    feedback = draw(st.integers(0, 9)) == 0  # an early promptFeedback with ratings only (not blocked)
    events: list[dict[str, Any]] = []
    for k, row in enumerate(rows):
        event: dict[str, Any] = {"candidates": row}
        if vertex and k < len(rows) - 1:
            event["usageMetadata"] = {"trafficType": final["trafficType"]}
        elif vertex:
            event["usageMetadata"] = final
        else:
            event["usageMetadata"] = _usage_at(final, starts, k, len(rows))
        if feedback and k == 0:
            event["promptFeedback"] = {"safetyRatings": draw(_safety_ratings(vertex=False))}
        event["modelVersion"] = model
        if vertex:
            event["createTime"] = create_time
        if response_id is not None:
            event["responseId"] = response_id
        events.append(event)
    return events


@st.composite
def blocked_streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A blocked prompt: one object with ``promptFeedback.blockReason`` and no candidates."""
    feedback: dict[str, Any] = {"blockReason": draw(st.sampled_from(BLOCK_REASONS))}
    if draw(st.integers(0, 3)) == 0:
        feedback["blockReasonMessage"] = draw(texts)
    feedback["safetyRatings"] = draw(_safety_ratings(vertex=False))
    event: dict[str, Any] = {"promptFeedback": feedback}
    if draw(st.booleans()):  # the real recording has nothing else
        prompt = draw(st.integers(1, 500))
        event["usageMetadata"] = {"promptTokenCount": prompt, "totalTokenCount": prompt}
        event["modelVersion"] = draw(_models)
        event["responseId"] = draw(_response_ids)
    return [event]


def completed_at(events: list[dict[str, Any]]) -> int:
    """How many objects it takes until every candidate (every index up to the highest seen: the choices
    are 0..n-1) has its finishReason; AssertionError if that never happens."""
    seen = {c.get("index", 0) for e in events for c in e.get("candidates", [])}
    indexes = set(range(max(seen) + 1)) if seen else {0}
    finished: set[int] = set()
    for k, event in enumerate(events, 1):
        finished |= {c.get("index", 0) for c in event.get("candidates", []) if "finishReason" in c}
        if finished == indexes:
            return k
    raise AssertionError("not a complete stream")


@st.composite
def error_objects(draw: st.DrawFn) -> dict[str, Any]:
    code, status = draw(st.sampled_from(ERROR_STATUSES))
    return {"error": {"code": code, "message": draw(texts), "status": status}}


@st.composite
def ended_gemini_streams(draw: st.DrawFn, **kwargs: Any) -> list[dict[str, Any]]:
    """A complete stream, or one ended by an in-stream error object, or truncated (some candidate never
    gets its finishReason: the body ends at an object boundary), or a blocked prompt."""
    ending = draw(st.sampled_from(["complete", "complete", "error", "truncated", "blocked"]))
    if ending == "blocked":
        return draw(blocked_streams())
    events = draw(gemini_streams(**kwargs))
    if ending == "complete":
        return events
    if ending == "truncated":
        return events[: draw(st.integers(0, completed_at(events) - 1))]
    return [*events[: draw(st.integers(0, len(events)))], draw(error_objects())]


@st.composite
def streamed_call_streams(
    draw: st.DrawFn, *, rfc_keys: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(targets, events)``: one Vertex candidate that may think, then streams 1-3 calls' arguments,
    one part per chunk, then finishes with STOP on an empty text part."""
    parts: list[dict[str, Any]] = []
    if draw(st.booleans()):
        parts += draw(_thought_item())
    targets = []
    for _ in range(draw(st.integers(1, 3))):
        target, call_parts = draw(streamed_call(rfc_keys=rfc_keys))
        targets.append(target)
        parts += call_parts
    events = [
        {
            "candidates": [{"content": {"role": "model", "parts": [part]}}],
            "usageMetadata": {"trafficType": "ON_DEMAND"},
            "modelVersion": "gemini-3-pro-preview",
            "responseId": "r1",
        }
        for part in parts
    ]
    events.append(
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
            "modelVersion": "gemini-3-pro-preview",
            "responseId": "r1",
        }
    )
    return targets, events


# -- the wire --------------------------------------------------------------------------------------------


def _gemini_json(event: dict[str, Any], style: str) -> str:
    if style == "gemini":  # alt=sse: a space after each colon, none after commas, raw UTF-8, <> escaped
        text = json.dumps(event, separators=(",", ": "), ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e")
    if style == "ascii":
        return json.dumps(event, separators=(",", ": "))
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)  # re-serialised, as vercel/ai stores it


@st.composite
def sse_pieces(draw: st.DrawFn, events: list[dict[str, Any]]) -> list[bytes]:
    """``events`` as ``alt=sse`` bytes, one piece per object: ``data: {...}`` then CRLF CRLF (as the
    service sends) or LF LF; now and then the body ends with one line ending and no blank line."""
    eol = draw(st.sampled_from(["\r\n", "\r\n", "\r\n", "\n"]))
    style = draw(st.sampled_from(["gemini", "gemini", "compact", "ascii"]))
    pieces = [f"data: {_gemini_json(e, style)}{eol}{eol}".encode() for e in events]
    if pieces and draw(st.integers(0, 4)) == 0:
        pieces[-1] = pieces[-1][: -len(eol)]  # the prompt-blocked recording's ending
    return pieces


@st.composite
def json_array_pieces(draw: st.DrawFn, events: list[dict[str, Any]]) -> list[bytes]:
    """``events`` as the body without ``alt=sse``: one JSON array, streamed element by element
    (``[{...}`` then ``\\n,\\r\\n{...}`` … then ``\\n]``), pretty-printed or compact."""
    pretty = draw(st.booleans())
    separator = draw(st.sampled_from(["\n,\r\n", "\n,\r\n", ",\r\n", ","]))
    texts_ = [
        json.dumps(e, indent=2, ensure_ascii=False)
        if pretty
        else json.dumps(e, separators=(",", ":"), ensure_ascii=False)
        for e in events
    ]
    pieces = [("[" if n == 0 else separator) + text for n, text in enumerate(texts_)]
    closing = "\n]" if pretty or draw(st.booleans()) else "]"
    if not pieces:
        return [b"[", closing.encode()]
    return [p.encode() for p in [*pieces, closing]]


@st.composite
def gemini_wire(draw: st.DrawFn, events: list[dict[str, Any]]) -> tuple[str, list[bytes]]:
    """``(framing, pieces)``: ``events`` as an SSE or a JSON-array body."""
    framing = draw(st.sampled_from(["sse", "sse", "json"]))
    return framing, draw(sse_pieces(events) if framing == "sse" else json_array_pieces(events))


# -- junk ------------------------------------------------------------------------------------------------

_FIELD_NAMES = (
    "candidates",
    "content",
    "parts",
    "role",
    "text",
    "thought",
    "thoughtSignature",
    "functionCall",
    "name",
    "id",
    "args",
    "partialArgs",
    "jsonPath",
    "stringValue",
    "numberValue",
    "boolValue",
    "nullValue",
    "willContinue",
    "index",
    "finishReason",
    "groundingMetadata",
    "groundingChunks",
    "groundingSupports",
    "groundingChunkIndices",
    "segment",
    "startIndex",
    "endIndex",
    "web",
    "uri",
    "title",
    "citationMetadata",
    "citationSources",
    "citations",
    "usageMetadata",
    "promptTokenCount",
    "totalTokenCount",
    "thoughtsTokenCount",
    "inlineData",
    "mimeType",
    "data",
    "executableCode",
    "codeExecutionResult",
    "logprobsResult",
    "chosenCandidates",
    "topCandidates",
    "token",
    "logProbability",
    "promptFeedback",
    "blockReason",
    "error",
    "code",
    "message",
    "status",
    "modelVersion",
    "responseId",
)

MALFORMED_JSON_PATHS = (
    "",
    "$",
    "$.",
    "$..a",
    "a",
    "a.b",
    "$[",
    "$['a",
    "$['a'",
    "$[a]",
    "$[-1]",
    "$[0]",
    "$.a[",
    "$.a[1]",
    "$.a]",
    "$['a]b']",
    "$.a.b[0].c",
    "$[' ']x",
    "$['\\'']",
    "$.__proto__",
    "$.a[999999999999999999999]",
)
HUGE_INDEXES = (64, 65, 1000, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, -1, -(2**63))

_any_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "$.a", "$", "image/png", "NULL_VALUE", "model"]),
    st.integers(-1, 3),
)


def _junk_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(_FIELD_NAMES) | st.text(max_size=4), inner, max_size=5
    )


junk_values = st.recursive(_any_scalar, _junk_containers, max_leaves=16)
"""JSON values shaped like Gemini objects: the known field names, values of random types."""
