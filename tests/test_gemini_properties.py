"""Property tests of the Gemini translator over generated streams (see tests/gemini_strategies.py).

The spec is the mapping table in ``translators/providers/gemini.py``'s docstring; the oracle for what a
stream says is google-genai's own model of it (``GenerateContentResponse.model_validate`` per chunk).

1. contract: `check_contract` over translate() and stream() output for complete, errored, truncated and
   blocked streams; [DONE] iff every candidate finished (or the prompt was blocked); an error object or a
   truncation ends in an error event; options (model, id, reasoning_field, include_usage) honoured.
2. split invariance: stream() output does not depend on how the body is cut, nor on its framing (SSE with
   CRLF or LF, the JSON array pretty or compact), equals the encoding of translate(), and ``vertex`` gives
   the same bytes as ``gemini``.
3. fold equivalence per candidate: the openai fold of our output against google-genai's reading of the
   input (answer text, thought text, function calls and their arguments, finish reason, usage).
4. nothing lost: signatures, server parts, images, grounding, citations, the raw finish reason and the
   candidate's other fields all come out in their documented fields.
5. streamed arguments: the fragments of a Vertex streamed call concatenate to the JSON of the arguments
   the partialArgs describe, and after every object the output describes all that object brought.
6. robustness: damaged bodies, junk candidates / parts / fields, malformed jsonPaths, partialArgs with no
   call open, huge candidate indexes: stream() ends in [DONE] or an error event, translate() raises only
   TranslationError, never another exception or a hang.
7. SDK objects: translate() over google-genai objects equals translate() over the dicts (signatures
   compared decoded, arguments compared as JSON).
8. async: atranslate/astream equal translate/stream.

Some tests pin a translator bug these properties found (their docstrings say "Found:"): each failed until
the fix, and guards against its return.

``PROPERTIES_SCALE=N`` multiplies every test's example count (for a longer bug hunt).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import os
import warnings
from collections.abc import Iterable
from typing import Any

import pydantic
from google.genai import types
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.contract import (
    acollect,
    aiter_of,
    check_async_equals_sync,
    check_contract,
    first_appearances,
    fold,
    outcome,
)
from tests.gemini_strategies import (
    HUGE_INDEXES,
    MALFORMED_JSON_PATHS,
    assemble_partial_args,
    blocked_streams,
    completed_at,
    ended_gemini_streams,
    error_objects,
    gemini_streams,
    gemini_wire,
    json_array_pieces,
    junk_values,
    signatures,
    sse_pieces,
    streamed_call,
    streamed_call_streams,
)
from tests.strategies import mutated, splits, texts
from tests.test_gemini_fixtures import _problems
from tests.test_properties import Pulls, check_stream_output, encode_chunks, time_limit, without_error_messages
from translators import astream, stream, translate
from translators.providers.gemini import FINISH_REASONS

PROVIDER = "gemini"
CREATED = 1_700_000_000

GEMINI_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    **{
        reason: "content_filter"
        for reason in (
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
            "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT",
            "IMAGE_RECITATION",
            "MODEL_ARMOR",
            "JAILBREAK",
        )
    },
}
"""The documented finishReason → finish_reason table (anything else → "stop"; "stop" → "tool_calls" when the
choice sent a call), written out independently of translators.providers.gemini.FINISH_REASONS."""

HANDLED_CANDIDATE_FIELDS = {
    "content",
    "index",
    "finishReason",
    "groundingMetadata",
    "citationMetadata",
    "logprobsResult",
}
OWN_PART_KINDS = {"text", "functionCall"}
PART_MODIFIERS = {"thought", "thoughtSignature", "partMetadata", "mediaResolution", "videoMetadata"}

GRPC_TYPES = {
    "INVALID_ARGUMENT": "invalid_request_error",
    "PERMISSION_DENIED": "permission_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "INTERNAL": "api_error",
    "UNAVAILABLE": "overloaded_error",
    "DEADLINE_EXCEEDED": "timeout_error",
}
"""The error vocabulary (README "Errors") for the gRPC statuses the strategies draw; the code is the status."""

SCALE = float(os.environ.get("PROPERTIES_SCALE", "1"))
"""Multiplies every test's max_examples: ``PROPERTIES_SCALE=20`` for a long bug hunt."""


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- helpers ------------------------------------------------------------------------------------------


def run_translate(events: Iterable[Any], provider: str = PROVIDER, **options: Any) -> list[dict[str, Any]]:
    return list(translate(provider, iter(events), created=CREATED, **options))


def run_stream(pieces: Iterable[bytes], provider: str = PROVIDER, **options: Any) -> bytes:
    return b"".join(stream(provider, iter(pieces), created=CREATED, **options))


def sdk(event: dict[str, Any]) -> types.GenerateContentResponse:
    """google-genai's reading of one object (a copy: its citationSources validator renames keys in place)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # google-genai only warns on an unknown enum value
        return types.GenerateContentResponse.model_validate(copy.deepcopy(event))


def ending_of(events: list[dict[str, Any]]) -> str:
    """How a stream from `ended_gemini_streams` ends: "complete", "blocked", "error" or "truncated"."""
    if events and "error" in events[-1]:
        return "error"
    if any((e.get("promptFeedback") or {}).get("blockReason") and not e.get("candidates") for e in events):
        return "blocked"
    try:
        completed_at(events)
    except AssertionError:
        return "truncated"
    return "complete"


def choice_bodies(chunks: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [c["choices"][0] for c in chunks if c.get("choices") and c["choices"][0]["index"] == index]


def choice_entries(chunks: list[dict[str, Any]], index: int, name: str) -> list[dict[str, Any]]:
    return [entry for body in choice_bodies(chunks, index) for entry in body["delta"].get(name) or []]


def finish_body(chunks: list[dict[str, Any]], index: int) -> dict[str, Any]:
    (body,) = [b for b in choice_bodies(chunks, index) if b["finish_reason"] is not None]
    return body


def candidates_by_index(events: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        for candidate in event.get("candidates") or []:
            grouped.setdefault(candidate.get("index", 0), []).append(candidate)
    return grouped


def parts_of(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [part for c in candidates for part in (c.get("content") or {}).get("parts", [])]


def part_kind(part: dict[str, Any]) -> str | None:
    return next((key for key in part if key not in PART_MODIFIERS), None)


def expected_finish(reason: str, calls: int) -> str:
    finish = GEMINI_FINISH.get(reason, "stop")
    return "tool_calls" if finish == "stop" and calls else finish


def arguments_by_call(chunks: list[dict[str, Any]]) -> dict[tuple[int, int], str]:
    """(choice, tool index) → the concatenated ``arguments`` fragments."""
    out: dict[tuple[int, int], str] = {}
    for c in chunks:
        for body in c.get("choices") or []:
            for call in body["delta"].get("tool_calls") or []:
                key = (body["index"], call["index"])
                out[key] = out.get(key, "") + call["function"]["arguments"]
    return out


def close_json_prefix(text: str) -> str:
    """A prefix of a JSON text that ends between values (or inside a string) → that prefix completed."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            assert stack.pop() == char, text
    assert not escaped, f"a fragment ends inside an escape: {text!r}"
    return text + ('"' if in_string else "") + "".join(reversed(stack))


# -- generated input is what the API sends ----------------------------------------------------------------


@examples(120)
@given(st.one_of(ended_gemini_streams(), streamed_call_streams(rfc_keys=True).map(lambda case: case[1])))
def test_generated_chunks_are_generate_content_responses(events: list[dict[str, Any]]) -> None:
    """Every generated chunk validates as google-genai's GenerateContentResponse (warnings as errors) and
    uses only camelCase wire keys; the error object is the one thing that is not one."""
    for event in events:
        if "error" in event:
            assert set(event) == {"error"} and set(event["error"]) == {"code", "message", "status"}
            try:
                sdk(event)
            except pydantic.ValidationError:
                continue
            raise AssertionError("the error object validated as a GenerateContentResponse")
        assert not _problems(event), _problems(event)
        sdk(event)


# -- 1. the output contract ---------------------------------------------------------------------------

options = st.fixed_dictionaries(
    {"include_usage": st.booleans()},
    optional={
        "model": texts,
        "id": texts.filter(bool),
        "reasoning_field": st.sampled_from(["reasoning", "reasoning_text"]),
        "strict": st.booleans(),  # generated objects hold only known (or ignored) fields
    },
)


@examples(100)
@given(st.data())
def test_contract(data: st.DataObject) -> None:
    events = data.draw(ended_gemini_streams(), label="events")
    _, pieces = data.draw(gemini_wire(events), label="wire")
    opts = data.draw(options, label="options")
    with time_limit():
        chunks = run_translate(events, **opts)
        out = run_stream(pieces, **opts)
    ending = ending_of(events)
    clean = ending in ("complete", "blocked")
    check_contract(chunks, usage=opts["include_usage"] if clean else None)
    payloads, done = check_stream_output(out, usage=opts["include_usage"] if clean else None)
    assert done == clean, f"{ending} stream: [DONE] {done}"
    assert payloads == chunks

    if clean:
        assert "error" not in chunks[-1]
    elif ending == "error":
        error = events[-1]["error"]
        got = chunks[-1]["error"]
        assert got["message"] == error["message"]
        assert (got["type"], got["code"]) == (GRPC_TYPES[error["status"]], error["status"])
        assert got["native_error"] == error
    else:
        assert chunks[-1]["error"]["type"] == "upstream_truncated"

    if ending == "blocked":
        feedback = events[0]["promptFeedback"]
        body = finish_body(chunks, 0)
        assert body["finish_reason"] == "content_filter"
        assert body["native_finish_reason"] == feedback["blockReason"]
        assert body["prompt_feedback"] == feedback
        assert [c["choices"][0]["index"] for c in chunks if c.get("choices")] == [0]

    first = next((e for e in events if "error" not in e), None)
    for chunk in chunks:
        if "error" in chunk:
            continue
        assert first is not None
        response_id = first.get("responseId")
        default_id = f"chatcmpl-{response_id}" if response_id else f"chatcmpl-gemini-{CREATED}"
        assert chunk["id"] == opts.get("id", default_id)
        assert chunk["model"] == opts.get("model", first.get("modelVersion", ""))
        assert chunk["created"] == CREATED
    assert first_appearances(chunks) == sorted(first_appearances(chunks)), "choices must start in index order"
    field = opts.get("reasoning_field", "reasoning_content")
    other = {"reasoning", "reasoning_text", "reasoning_content"} - {field}
    for chunk in chunks:
        for body in chunk.get("choices") or []:
            assert not other & set(body["delta"]), body["delta"]


@examples(40)
@given(
    quiet=st.sampled_from(
        [
            {"content": {"parts": [{"text": ""}], "role": "model"}},
            {"content": {"parts": [{"text": "", "thought": True}], "role": "model"}},
            {"content": {"role": "model"}},
            {"groundingMetadata": {}},
        ]
    ),
    higher=st.integers(1, 3),
    text=texts,
)
def test_a_choice_seen_before_it_said_anything_is_announced_in_order(
    quiet: dict[str, Any], higher: int, text: str
) -> None:
    """Found: lower indexes must be announced first (role chunks) so that the openai fold sees the choices
    in index order. A candidate whose first object brings nothing to send (an empty text part, an empty
    thought, ``groundingMetadata: {}``) counted as seen without any chunk, so a higher candidate that spoke
    next was the stream's first choice, and the openai SDK's ChatCompletionStreamState raised IndexError."""
    last = [
        {"content": {"parts": [{"text": "a"}], "role": "model"}, "finishReason": "STOP", "index": n}
        for n in range(higher + 1)
    ]
    events = [
        {"candidates": [{**quiet, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "index": higher}]},
        {"candidates": last},
    ]
    with time_limit():
        chunks = run_translate(events)
    check_contract(chunks, usage=True)
    assert first_appearances(chunks) == list(range(higher + 1))
    assert fold(chunks) is not None


# -- 2. split invariance -----------------------------------------------------------------------------


@examples(100)
@given(st.data())
def test_split_invariance(data: st.DataObject) -> None:
    events = data.draw(ended_gemini_streams(), label="events")
    sse = data.draw(sse_pieces(events), label="sse")
    array = data.draw(json_array_pieces(events), label="array")
    framing = data.draw(st.sampled_from(["sse", "json"]), label="framing")
    pieces = sse if framing == "sse" else array
    body = b"".join(pieces)
    cut = data.draw(splits(body), label="pieces")
    assert b"".join(cut) == body
    with time_limit():
        whole = run_stream([body])
        assert run_stream(cut) == whole
        assert run_stream(pieces) == whole
        assert run_stream(cut, provider="vertex") == whole
        assert run_stream(array if framing == "sse" else sse) == whole, "the two framings differ"
        assert whole == encode_chunks(run_translate(events))
        assert run_translate(events, provider="vertex") == run_translate(events)


# -- 3. fold equivalence -----------------------------------------------------------------------------


def sdk_view(events: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per candidate index, what google-genai's objects say: answer text, thought text, calls, finishReason."""
    view: dict[int, dict[str, Any]] = {}
    seq = 0  # the stream's calls, counted from 0 across candidates
    for response in (sdk(e) for e in events):
        for candidate in response.candidates or []:
            mine = view.setdefault(candidate.index or 0, {"content": [], "thoughts": [], "calls": [], "reason": None})
            for part in (candidate.content.parts if candidate.content else None) or []:
                if part.text is not None:
                    (mine["thoughts"] if part.thought else mine["content"]).append(part.text)
                call = part.function_call
                if call is None:
                    continue
                if call.name is not None:
                    streamed = bool(call.will_continue) or call.partial_args is not None
                    pieces = [] if streamed else None
                    mine["calls"].append(
                        {"id": call.id, "seq": seq, "name": call.name, "args": call.args, "pieces": pieces}
                    )
                    seq += 1
                if call.partial_args:
                    mine["calls"][-1]["pieces"] += call.partial_args
            if candidate.finish_reason is not None:
                mine["reason"] = candidate.finish_reason.value
    return view


@examples(100)
@given(gemini_streams())
def test_fold_equivalence(events: list[dict[str, Any]]) -> None:
    assert dict(FINISH_REASONS) == GEMINI_FINISH
    with time_limit():
        chunks = run_translate(events)
    ours = {choice.index: choice for choice in fold(chunks).choices}
    theirs = sdk_view(events)
    assert sorted(ours) == sorted(theirs) == list(range(len(theirs)))
    for index, expected in theirs.items():
        choice = ours[index]
        message = choice.message
        extra = message.model_extra or {}
        assert (message.content or "") == "".join(expected["content"])
        assert (extra.get("reasoning_content") or "") == "".join(expected["thoughts"])

        calls = message.tool_calls or []
        assert [c.function.name for c in calls] == [c["name"] for c in expected["calls"]]
        for call, sdk_call in zip(calls, expected["calls"], strict=True):
            args = assemble_partial_args(sdk_call["pieces"]) if sdk_call["pieces"] is not None else sdk_call["args"]
            assert json.loads(call.function.arguments) == (args or {}), call.function.arguments
            stem = chunks[0]["id"].removeprefix("chatcmpl-")
            assert call.id == (sdk_call["id"] or f"call_{stem}_{sdk_call['seq']}")

        assert choice.finish_reason == expected_finish(expected["reason"], len(calls))
        assert finish_body(chunks, index)["native_finish_reason"] == expected["reason"]

    usage = sdk(events[-1]).usage_metadata
    assert usage is not None
    prompt = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
    thoughts = usage.thoughts_token_count or 0
    completion = (usage.candidates_token_count or 0) + thoughts
    folded = fold(chunks).usage
    assert folded.prompt_tokens == prompt
    assert folded.completion_tokens == completion
    assert folded.total_tokens == (
        usage.total_token_count if usage.total_token_count is not None else prompt + completion
    )
    assert folded.prompt_tokens_details.cached_tokens == (usage.cached_content_token_count or 0)
    assert folded.completion_tokens_details.reasoning_tokens == thoughts


# -- 4. nothing lost ---------------------------------------------------------------------------------


def _utf8_slice(text: str, span: dict[str, Any]) -> str:
    raw = text.encode("utf-8")
    return raw[span.get("startIndex", 0) : span.get("endIndex", len(raw))].decode("utf-8")


@examples(100)
@given(gemini_streams())
def test_nothing_lost(events: list[dict[str, Any]]) -> None:
    with time_limit():
        chunks = run_translate(events)
    feedback = [e["promptFeedback"] for e in events if "promptFeedback" in e]
    for index, candidates in candidates_by_index(events).items():
        parts = parts_of(candidates)
        bodies = choice_bodies(chunks, index)
        content = "".join(b["delta"].get("content") or "" for b in bodies)
        calls = [call for b in bodies for call in b["delta"].get("tool_calls") or [] if "id" in call]

        # every signature, in order: on its reasoning.text entry, or a reasoning.encrypted entry
        details = choice_entries(chunks, index, "reasoning_details")
        sent = [
            ("text" if p.get("thought") and "text" in p else "encrypted", p["thoughtSignature"])
            for p in parts
            if p.get("thoughtSignature")
        ]
        got = [
            ("text", d["signature"]) if "signature" in d else ("encrypted", d["data"])
            for d in details
            if "signature" in d or d["type"] == "reasoning.encrypted"
        ]
        assert got == sent
        assert all(d["format"] == "google-gemini-v1" for d in details if d["type"] == "reasoning.encrypted")
        # a signed call: the signature also on the tool call, and its encrypted entry names the call
        named_calls = [p for p in parts if "functionCall" in p and "name" in p["functionCall"]]
        assert len(calls) == len(named_calls)
        for call, part in zip(calls, named_calls, strict=True):
            signature = part.get("thoughtSignature")
            google = (call.get("extra_content") or {}).get("google", {})
            assert google.get("thought_signature") == signature
            if signature:
                assert {"type": "reasoning.encrypted", "data": signature, "id": call["id"]}.items() <= next(
                    d for d in details if d.get("data") == signature and d.get("id") == call["id"]
                ).items()

        # images, server parts
        images = [
            p["inlineData"] for p in parts if "inlineData" in p and p["inlineData"]["mimeType"].startswith("image/")
        ]
        assert [i["image_url"]["url"] for i in choice_entries(chunks, index, "images")] == [
            f"data:{blob['mimeType']};base64,{blob['data']}" for blob in images
        ]
        others = [
            p
            for p in parts
            if part_kind(p) not in (None, *OWN_PART_KINDS)
            and not (part_kind(p) == "inlineData" and p["inlineData"]["mimeType"].startswith("image/"))
        ]
        blocks = choice_entries(chunks, index, "server_blocks")
        assert blocks == [
            {"index": n, "type": part_kind(p), **{k: v for k, v in p.items() if k != "thoughtSignature"}}
            for n, p in enumerate(others)
        ]

        # grounding and citations: the metadata whole, one annotation per (support, source with a uri)
        # and per distinct citation source, spanning the cited text of the content
        groundings = [c["groundingMetadata"] for c in candidates if c.get("groundingMetadata")]
        assert choice_entries(chunks, index, "grounding_metadata") == [
            {"index": n, **g} for n, g in enumerate(groundings)
        ]
        expected: list[tuple[str, Any, Any]] = []
        seen: list[Any] = []
        for candidate in candidates:
            grounding = candidate.get("groundingMetadata") or {}
            sources = grounding.get("groundingChunks", [])
            for support in grounding.get("groundingSupports", []):
                for n in support["groundingChunkIndices"]:
                    found = next(iter(sources[n].values()))
                    if "uri" in found:
                        expected.append(("url", (found["uri"], found.get("title", "")), support["segment"]["text"]))
            for source in (candidate.get("citationMetadata") or {}).get("citationSources", []):
                if source in seen:
                    continue
                seen.append(source)
                expected.append(("citation", source, None))
        annotations = choice_entries(chunks, index, "annotations")
        assert [a["index"] for a in annotations] == list(range(len(annotations)))
        assert len(annotations) == len(expected)
        for annotation, (kind, what, cited) in zip(annotations, expected, strict=True):
            if kind == "citation":
                assert annotation["citation"] == what
                cited = _utf8_slice(content, what)
                if "uri" in what:
                    assert (annotation["url_citation"]["url"], annotation["url_citation"]["title"]) == (
                        what["uri"],
                        what.get("title", ""),
                    )
                else:
                    assert annotation["type"] == "citation"
            else:
                assert (annotation["url_citation"]["url"], annotation["url_citation"]["title"]) == what
            span = annotation["url_citation"] if annotation["type"] == "url_citation" else annotation
            assert content[span["start_index"] : span["end_index"]] == cited

        # the finish chunk: raw reason, the candidate's other fields (last value of each), the feedback
        body = finish_body(chunks, index)
        assert body["native_finish_reason"] == candidates[-1]["finishReason"]
        metadata = {k: v for c in candidates for k, v in c.items() if k not in HANDLED_CANDIDATE_FIELDS}
        assert body.get("candidate_metadata") == (metadata or None)
        assert body.get("prompt_feedback") == (feedback[-1] if feedback else None)


@examples(30)
@given(
    text=texts,
    category=st.sampled_from(["HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT"]),
    index=st.sampled_from([None, 0]),
)
def test_prompt_feedback_on_the_finishing_object_is_kept(text: str, category: str, index: int | None) -> None:
    """Found: ``prompt_feedback`` (on the finish chunk "when the stream had one") was lost when the
    promptFeedback came on the same object as the finishReason, as in a one-object stream."""
    feedback = {"safetyRatings": [{"category": category, "probability": "NEGLIGIBLE"}]}
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}
    if index is not None:
        candidate["index"] = index
    events = [{"candidates": [candidate], "promptFeedback": feedback, "modelVersion": "gemini-2.5-flash"}]
    with time_limit():
        chunks = run_translate(events)
    assert finish_body(chunks, 0).get("prompt_feedback") == feedback


@examples(60)
@given(
    runs=st.lists(
        st.lists(st.tuples(texts.filter(bool), st.one_of(st.none(), signatures)), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_signed_thought_runs_fold_to_intact_signatures(runs: list[list[tuple[str, str | None]]]) -> None:
    """Found: consecutive thought parts share one reasoning.text entry; when two of them carried a
    signature, both went to that entry and the openai fold concatenated them into one invalid signature.
    Each signature must survive the fold whole (a signature now ends its entry)."""
    events = []
    for run in runs:
        parts = [{"text": t, "thought": True, **({"thoughtSignature": s} if s else {})} for t, s in run]
        events.append({"candidates": [{"content": {"parts": [*parts, {"text": "answer"}], "role": "model"}}]})
    events.append({"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP"}]})
    with time_limit():
        chunks = run_translate(events)
    sent = [s for run in runs for _, s in run if s]
    folded = (fold(chunks).choices[0].message.model_extra or {}).get("reasoning_details") or []
    assert [d["signature"] for d in folded if d.get("signature")] == sent


# -- 5. streamed arguments ---------------------------------------------------------------------------


@examples(80)
@given(streamed_call_streams())
def test_streamed_arguments(case: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    targets, events = case
    source = Pulls(events)
    with time_limit():
        got = [(source.pulled, chunk) for chunk in translate(PROVIDER, source, created=CREATED)]
    chunks = [chunk for _, chunk in got]
    final = arguments_by_call(chunks)
    assert [json.loads(final[(0, n)]) for n in range(len(targets))] == targets

    # after each object, the output describes exactly what the pieces so far describe: nothing held back
    pieces: list[list[dict[str, Any]]] = []
    for k, event in enumerate(events, 1):
        for part in event["candidates"][0]["content"]["parts"]:
            call = part.get("functionCall")
            if call is None:
                continue
            if "name" in call:
                pieces.append([])
            pieces[-1] += call.get("partialArgs", [])
        so_far = arguments_by_call([chunk for i, chunk in got if i <= k])
        for n, described in enumerate(pieces):
            text = so_far.get((0, n), "")
            assert final[(0, n)].startswith(text)
            if text:
                assert json.loads(close_json_prefix(text)) == assemble_partial_args(described), (k, text)
            else:
                assert described == [], f"object {k}: pieces in, no arguments out"
    with time_limit():
        body = [b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events]
        assert run_stream(body) == encode_chunks(chunks)


@examples(60)
@given(st.data())
def test_streamed_arguments_cut_by_the_finish(data: st.DataObject) -> None:
    """A MAX_TOKENS cut inside a streamed call (no closing ``functionCall: {}``, maybe mid-string): the
    finish closes the arguments, which hold what came."""
    _, parts = data.draw(streamed_call(signed=False), label="call")
    keep = parts[: data.draw(st.integers(1, len(parts) - 1), label="keep")]
    events: list[dict[str, Any]] = [{"candidates": [{"content": {"parts": [part]}}]} for part in keep]
    events.append({"candidates": [{"finishReason": "MAX_TOKENS"}]})
    with time_limit():
        chunks = run_translate(events)
    pieces = [piece for part in keep for piece in part["functionCall"].get("partialArgs", [])]
    assert json.loads(arguments_by_call(chunks)[(0, 0)]) == assemble_partial_args(pieces)
    assert finish_body(chunks, 0)["finish_reason"] == "length"


def one_call(target: dict[str, Any], pieces: list[dict[str, Any]]) -> tuple[list[Any], list[dict[str, Any]]]:
    """``([target], events)``: one Vertex streamed call whose ``pieces`` describe ``target``, then STOP."""
    parts = [
        {"functionCall": {"name": "f", "willContinue": True}},
        *({"functionCall": {"partialArgs": [piece], "willContinue": True}} for piece in pieces),
        {"functionCall": {}},
    ]
    events = [{"candidates": [{"content": {"role": "model", "parts": [part]}}]} for part in parts]
    events.append({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}]})
    return [target], events


@examples(80)
@given(streamed_call_streams(rfc_keys=True))
@example(one_call({"it's": "v"}, [{"jsonPath": "$['it\\'s']", "stringValue": "v"}]))
@example(one_call({"a]b": 1}, [{"jsonPath": "$['a]b']", "numberValue": 1}]))
@example(one_call({"a\\b": True}, [{"jsonPath": "$['a\\\\b']", "boolValue": True}]))
def test_rfc9535_escaped_keys(case: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    """Found: Google documents PartialArg.jsonPath as an RFC 9535 JSON Path. A key with a quote, backslash
    or control character needs RFC 9535's escapes (``$['it\\'s']``, ``$['a\\\\b']``, ``$['\\n']``), and
    ``]`` may stand unescaped inside quotes (``$['a]b']``); the path reader did neither."""
    targets, events = case
    with time_limit():
        chunks = run_translate(events)
    final = arguments_by_call(chunks)
    assert [json.loads(final[(0, n)]) for n in range(len(targets))] == targets


# -- 6. robustness -----------------------------------------------------------------------------------


def wire_of(events: list[Any]) -> list[bytes] | None:
    try:
        return [b"data: " + json.dumps(e, allow_nan=False).encode() + b"\r\n\r\n" for e in events]
    except (TypeError, ValueError):
        return None


@examples(100)
@given(st.data())
def test_damaged_bodies(data: st.DataObject) -> None:
    events = data.draw(ended_gemini_streams(max_items=3), label="events")
    _, pieces = data.draw(gemini_wire(events), label="wire")
    body = b"".join(pieces)
    damaged = data.draw(st.one_of(mutated(body), st.integers(0, len(body)).map(lambda n: body[:n])), label="body")
    cut = data.draw(splits(damaged), label="pieces")
    with time_limit():
        out = run_stream(cut)
        whole = run_stream([damaged])
        aout = b"".join(asyncio.run(acollect(astream(PROVIDER, aiter_of(cut), created=CREATED))))
    check_stream_output(out, usage_adds_up=False)  # a damaged count keeps the provider's total (the rule)
    assert aout == out
    assert without_error_messages(out) == without_error_messages(whole)


def _insert_junk(draw: Any, events: list[Any], junk: Any) -> None:
    """Put ``junk`` where a candidate, a part, a field of either (or of a functionCall), or an object goes."""
    objects = [e for e in events if isinstance(e, dict) and isinstance(e.get("candidates"), list)]
    candidates = [c for e in objects for c in e["candidates"] if isinstance(c, dict)]
    hosts = [
        c["content"]["parts"]
        for c in candidates
        if isinstance(c.get("content"), dict) and isinstance(c["content"].get("parts"), list)
    ]
    parts = [p for host in hosts for p in host if isinstance(p, dict)]
    calls = [p["functionCall"] for p in parts if isinstance(p.get("functionCall"), dict)]
    where = draw(st.sampled_from(["candidate", "part", "field", "event"]))
    if where == "candidate" and objects:
        host = draw(st.sampled_from(objects))["candidates"]
        host.insert(draw(st.integers(0, len(host))), junk)
    elif where == "part" and hosts:
        host = draw(st.sampled_from(hosts))
        host.insert(draw(st.integers(0, len(host))), junk)
    elif where == "field" and candidates:
        target = draw(st.sampled_from(candidates + parts + calls))
        fields = ["index", "content", "text", "thought", "thoughtSignature", "args", "partialArgs", "groundingMetadata"]
        target[draw(st.sampled_from([*target, *fields]))] = junk
    else:
        events.insert(draw(st.integers(0, len(events))), junk)


@examples(100)
@given(st.data())
def test_junk_in_candidates_and_parts(data: st.DataObject) -> None:
    events = copy.deepcopy(data.draw(gemini_streams(max_items=3), label="events"))
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        _insert_junk(data.draw, events, data.draw(junk_values, label="junk"))
    strict = data.draw(st.booleans(), label="strict")
    with time_limit():
        outcome(run_translate, events, strict=strict)
        wire = wire_of(events)
        if wire is not None:
            check_stream_output(run_stream(wire, strict=strict))


@examples(100)
@given(st.data())
def test_malformed_partial_args(data: st.DataObject) -> None:
    """Malformed jsonPaths, partialArgs with no call open, pieces without a value or with values of the
    wrong type: TranslationError from translate(), an error event from stream(), never anything else."""
    _, events = data.draw(streamed_call_streams(), label="events")
    events = copy.deepcopy(events)
    pieces = [
        p
        for e in events
        for part in e["candidates"][0]["content"]["parts"]
        for p in part.get("functionCall", {}).get("partialArgs", [])
    ]
    for _ in range(data.draw(st.integers(1, 3), label="how many")):
        damage = data.draw(st.sampled_from(["path", "path", "orphan", "value", "drop-open"]), label="damage")
        if damage == "path" and pieces:
            piece = data.draw(st.sampled_from(pieces), label="piece")
            piece["jsonPath"] = data.draw(st.one_of(st.sampled_from(MALFORMED_JSON_PATHS), texts, junk_values))
        elif damage == "value" and pieces:
            piece = data.draw(st.sampled_from(pieces), label="piece")
            for key in ("stringValue", "numberValue", "boolValue", "nullValue"):
                piece.pop(key, None)
            key = data.draw(st.sampled_from(["stringValue", "numberValue", "boolValue", "nullValue", "none"]))
            if key != "none":
                piece[key] = data.draw(junk_values)
        elif damage == "drop-open":  # the opening {name, willContinue} lost: its pieces have no call
            opening = next(
                (e for e in events if "name" in e["candidates"][0]["content"]["parts"][0].get("functionCall", {})), None
            )
            if opening is not None:
                events.remove(opening)
        else:
            orphan = {"functionCall": {"partialArgs": [{"jsonPath": "$.x", "stringValue": "y"}], "willContinue": True}}
            events.insert(data.draw(st.integers(0, len(events))), {"candidates": [{"content": {"parts": [orphan]}}]})
    with time_limit():
        outcome(run_translate, events)
        wire = wire_of(events)
        if wire is not None:
            check_stream_output(run_stream(wire))


@examples(60)
@given(st.data())
def test_huge_candidate_indexes(data: st.DataObject) -> None:
    events = copy.deepcopy(data.draw(gemini_streams(max_items=2), label="events"))
    candidates = [c for e in events for c in e["candidates"]]
    target = data.draw(st.sampled_from(candidates), label="candidate")
    target["index"] = data.draw(
        st.one_of(st.sampled_from(HUGE_INDEXES), st.integers(), st.floats(0, 100)), label="index"
    )
    with time_limit():
        chunks = outcome(run_translate, events)
        wire = wire_of(events)
        assert wire is not None
        out = run_stream(wire)
    check_stream_output(out)
    if chunks is not None and "error" not in chunks[-1]:
        # accepted (a small index): the output has a choice for every index up to the highest
        highest = max(c.get("index", 0) for c in candidates)
        assert {b["index"] for c in chunks for b in c.get("choices") or []} == set(range(highest + 1))


@examples(40)
@given(events=gemini_streams(max_items=2), error=error_objects())
def test_error_object_type_and_code(events: list[dict[str, Any]], error: dict[str, Any]) -> None:
    """Found: the error event's ``code`` disagreed with the docstring. Now (README "Errors"): ``type`` from the
    gRPC status, ``code`` the status name."""
    events = [*events[: len(events) // 2], error]
    with time_limit():
        chunks = run_translate(events)
    got = chunks[-1]["error"]
    assert (got["type"], got["code"]) == (GRPC_TYPES[error["error"]["status"]], error["error"]["status"])


@examples(40)
@given(error=error_objects(), pretty=st.booleans(), cut=st.integers(1, 5))
def test_whole_body_error_object(error: dict[str, Any], pretty: bool, cut: int) -> None:
    """Found: with ``alt=sse``, an API error (HTTP 4xx/5xx) comes as a bare JSON body ``{"error": {...}}``
    (Google pretty-prints it), not as SSE. stream() read it as SSE, found no event, and reported
    ``upstream_truncated``, losing the API's status and message."""
    body = (json.dumps(error, indent=2) if pretty else json.dumps(error)).encode() + b"\n"
    with time_limit():
        out = run_stream([body[i : i + cut] for i in range(0, len(body), cut)])
        array_out = run_stream([b"[" + body + b"]"])
    payloads, done = check_stream_output(out)
    assert not done
    kind = GRPC_TYPES[error["error"]["status"]]
    assert check_stream_output(array_out)[0][-1]["error"]["type"] == kind
    assert payloads[-1]["error"]["type"] == kind, payloads[-1]
    assert payloads[-1]["error"]["code"] == error["error"]["status"]
    assert payloads[-1]["error"]["message"] == error["error"]["message"]


# -- 7. SDK objects ----------------------------------------------------------------------------------


def _decoded(value: str) -> bytes:
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:  # pragma: no cover - a failure message, not a path
        raise AssertionError(f"not base64: {value!r}") from exc


def normalized(chunks: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[tuple[int, int], Any]]:
    """Chunks with signatures decoded and argument fragments set aside as parsed JSON: the two differences
    between an SDK object and its wire dict that the output may keep. google-genai holds a thoughtSignature
    as bytes and dumps it as URL-safe base64 (the wire has standard base64; the API takes either back, and
    google-genai itself sends URL-safe), and holds numberValue as a float (3 becomes 3.0, the same JSON
    number). Image and blob data are not excused: a ``data:`` URL needs standard base64 (see
    `test_sdk_image_data_url_is_standard_base64`)."""
    arguments = {
        key: json.loads(close_json_prefix(text)) if text else None for key, text in arguments_by_call(chunks).items()
    }  # a truncated stream leaves a streamed call's JSON open
    out = copy.deepcopy(chunks)
    for chunk in out:
        for body in chunk.get("choices") or []:
            delta = body["delta"]
            for detail in delta.get("reasoning_details") or []:
                for key in ("signature", "data"):
                    if key in detail:
                        detail[key] = _decoded(detail[key])
            for call in delta.get("tool_calls") or []:
                call["function"]["arguments"] = None
                google = (call.get("extra_content") or {}).get("google")
                if google:
                    google["thought_signature"] = _decoded(google["thought_signature"])
    return out, arguments


sdk_streams = st.one_of(
    gemini_streams(),
    blocked_streams(),
    gemini_streams().flatmap(lambda events: st.integers(0, completed_at(events) - 1).map(lambda n: events[:n])),
)


@examples(80)
@given(sdk_streams)
def test_sdk_objects(events: list[dict[str, Any]]) -> None:
    """translate() over google-genai's GenerateContentResponse objects equals translate() over the dicts
    (signatures compared decoded, arguments compared as JSON: see `normalized`; google-genai renames
    citationSources to citations, which the translator reads alike)."""
    objects = [sdk(e) for e in events]
    with time_limit():
        from_objects = run_translate(objects)
        from_dicts = run_translate(events)
    assert normalized(from_objects) == normalized(from_dicts)


@examples(40)
@given(raw=st.binary(min_size=1, max_size=30), mime=st.sampled_from(["image/png", "image/jpeg"]))
def test_sdk_image_data_url_is_standard_base64(raw: bytes, mime: str) -> None:
    """Found: from a google-genai object, inlineData bytes came out URL-safe base64 encoded (google-genai
    serialises bytes so), and an image's ``data:`` URL held ``-``/``_``, which data URLs reject. The SDK
    path must give what the dict path gives: the wire's standard base64."""
    data = base64.b64encode(raw).decode()
    parts = [{"inlineData": {"mimeType": mime, "data": data}}, {"inlineData": {"mimeType": "audio/wav", "data": data}}]
    event = {"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}]}
    with time_limit():
        from_objects = run_translate([sdk(event)])
        from_dicts = run_translate([event])
    for chunks in (from_dicts, from_objects):
        assert choice_entries(chunks, 0, "images")[0]["image_url"]["url"] == f"data:{mime};base64,{data}"
        assert choice_entries(chunks, 0, "server_blocks")[0]["inlineData"]["data"] == data


# -- 8. async twins ----------------------------------------------------------------------------------


@examples(50)
@given(st.data())
def test_async_equals_sync(data: st.DataObject) -> None:
    events = data.draw(ended_gemini_streams(), label="events")
    _, pieces = data.draw(gemini_wire(events), label="wire")
    cut = data.draw(splits(b"".join(pieces)), label="pieces")
    with time_limit():
        check_async_equals_sync(PROVIDER, events, cut, created=CREATED)
