"""Keep the hand-written Cohere v2 chat-stream bodies in fixtures/cohere/ honest: each is what the API could send.

Each body must be what ``POST /v2/chat`` with ``stream: true`` could put on the wire: LF-framed SSE, every event
``event: <type>`` + ``data: <JSON>`` with the same ``type`` inside the JSON, and every event (as
`translators.providers.cohere.CohereDecoder` decodes it) a valid member of the cohere SDK's ``V2ChatStreamResponse``
union for its type, validated strictly (no ``"0"`` for an int).

Validation alone is not enough: cohere's models are ``UncheckedBaseModel`` with ``extra="allow"``, and the enums
(``finish_reason``, citation ``type``) are ``Union[Literal[...], Any]``, so they accept almost anything. The key
walk below therefore checks that every key is a declared field of the matching model at every level, and that
every enum value is one of the literals (proved by the mutation tests at the end). The event grammar (blocks and
tool calls started before their deltas, citations matching the cited text, …) is checked too.

Documented exception: the real ``message-start`` (``/work/shared/real-streams/cohere/*.jsonl``) carries
``delta.message.{content: [], tool_plan: "", tool_calls: [], citations: []}``, which the SDK's
``ChatMessageStartEventDeltaMessage`` does not declare; `WIRE_ONLY` allows exactly those empty values.
"""

from __future__ import annotations

import copy
import json
import re
import types as pytypes
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
import pytest
from cohere.types.chat_message_start_event_delta_message import ChatMessageStartEventDeltaMessage
from cohere.v2.types.v2chat_stream_response import V2ChatStreamResponse

from translators.providers.cohere import CohereDecoder
from translators.sse import SSEDecoder

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "cohere"
GOLDEN_SUFFIX = ".openai.sse"
BODIES = sorted(p for p in FIXTURES.glob("*.sse") if not p.name.endswith(GOLDEN_SUFFIX))
MIN_CASES = 10
TRUNCATED = {"truncated-no-message-end.sse"}  # the body ends without message-end, like a cut connection

# the union's members, by the literal of their `type` field
MEMBERS: dict[str, type[pydantic.BaseModel]] = {
    get_args(member.model_fields["type"].annotation)[0]: member
    for member in get_args(get_args(V2ChatStreamResponse)[0])
}
# keys on the wire that the SDK model does not declare: model -> {key: the only value seen}
WIRE_ONLY: dict[type[pydantic.BaseModel], dict[str, Any]] = {
    ChatMessageStartEventDeltaMessage: {"content": [], "tool_plan": "", "tool_calls": [], "citations": []},
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _id(path: Path) -> str:
    return path.name


# -- decoding ----------------------------------------------------------------------------------------------


def _decode(body: bytes) -> list[dict[str, Any]]:
    """The events as the translator's decoder reads them, each checked against its SSE ``event:`` name."""
    decoder = CohereDecoder()
    events = decoder.decode(body) + decoder.flush()
    sse = SSEDecoder()
    named = sse.decode(body) + sse.flush()
    assert len(named) == len(events), "the translator's decoder and the SSE decoder disagree"
    for n, (raw, event) in enumerate(zip(named, events, strict=True)):
        assert raw.event == event.get("type"), f"event {n}: `event: {raw.event}` but type {event.get('type')!r}"
        assert json.loads(raw.data) == event
    return events


# -- the key walk ------------------------------------------------------------------------------------------


def _args(annotation: Any) -> tuple[Any, ...]:
    origin = get_origin(annotation)
    if origin in (Union, pytypes.UnionType, list, Annotated):
        return get_args(annotation)
    return ()


def _models(annotation: Any) -> list[type[pydantic.BaseModel]]:
    """The model classes an annotation can hold (through Optional, Union, List and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return [m for arg in _args(annotation) for m in _models(arg)]


def _literals(annotation: Any) -> set[Any]:
    """The values of the Literal an annotation holds (``Union[Literal[...], Any]`` included), else empty."""
    if get_origin(annotation) is Literal:
        return set(get_args(annotation))
    return {v for arg in _args(annotation) for v in _literals(arg)}


def _pick(models: list[type[pydantic.BaseModel]], item: dict[str, Any]) -> type[pydantic.BaseModel] | None:
    """The model for ``item``: the only one, or the one whose ``type`` literal it carries (cohere's unions)."""
    if len(models) == 1:
        return models[0]
    matching = [m for m in models if item.get("type") in _literals(m.model_fields["type"].annotation)]
    return matching[0] if len(matching) == 1 else None


def _walk(model: type[pydantic.BaseModel], data: dict[str, Any], path: str, problems: list[str]) -> None:
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    wire_only = WIRE_ONLY.get(model, {})
    for key, value in data.items():
        where = f"{path}.{key}"
        if key in wire_only:
            if value != wire_only[key]:
                problems.append(f"{where}: {value!r} is not the wire-only value {wire_only[key]!r}")
            continue
        field = fields.get(key)
        if field is None:
            problems.append(f"{where}: not a field of {model.__name__}")
            continue
        literals = _literals(field.annotation)
        if literals and value is not None and value not in literals:
            problems.append(f"{where}: {value!r} not in {sorted(literals)}")
        models = _models(field.annotation)
        if not models:
            continue  # scalars, dict[str, Any] (a document, a tool output), lists of numbers
        items = value if isinstance(value, list) else [value]
        for n, item in enumerate(items):
            at = f"{where}[{n}]" if isinstance(value, list) else where
            if not isinstance(item, dict):
                continue  # validation reports it
            target = _pick(models, item)
            if target is None:
                problems.append(f"{at}: type {item.get('type')!r} matches none of {[m.__name__ for m in models]}")
            else:
                _walk(target, item, at, problems)


def _problems(event: dict[str, Any]) -> list[str]:
    member = MEMBERS.get(event.get("type"))  # type: ignore[arg-type]
    if member is None:
        return [f"$.type: {event.get('type')!r} is not a V2ChatStreamResponse type"]
    problems: list[str] = []
    _walk(member, event, "$", problems)
    return problems


def _validate(event: dict[str, Any]) -> pydantic.BaseModel:
    """Strict validation as the union member for its type (lax mode would take ``"0"`` for an int)."""
    return MEMBERS[event["type"]].model_validate(event, strict=True)


def _check(event: dict[str, Any]) -> None:
    problems = _problems(event)
    assert not problems, problems
    _validate(event)


# -- the event grammar -------------------------------------------------------------------------------------


def _grammar(events: list[dict[str, Any]], *, complete: bool) -> None:
    """message-start first; blocks and calls start, take deltas, end; citations match their text; message-end last."""
    first, *rest = events
    assert first["type"] == "message-start" and UUID.fullmatch(first["id"]), first
    assert all(e["type"] != "message-start" for e in rest)
    blocks: dict[int, dict[str, Any]] = {}  # index -> {kind, text, open}
    calls: dict[int, dict[str, Any]] = {}  # index -> {name, arguments, open}
    open_citation = None
    for n, event in enumerate(rest, 1):
        kind, index = event["type"], event.get("index")
        assert kind != "message-end" or n == len(rest), "events after message-end"
        if kind == "content-start":
            assert index == len(blocks), f"event {n}: content blocks count from 0"
            content = event["delta"]["message"]["content"]
            assert content == {"type": content["type"], content["type"]: ""}, f"event {n}: {content}"
            blocks[index] = {"kind": content["type"], "text": "", "open": True}
        elif kind == "content-delta":
            block = blocks[index]
            assert block["open"], f"event {n}: delta for a closed block"
            content = event["delta"]["message"]["content"]
            assert set(content) == {block["kind"]}, f"event {n}: {content} in a {block['kind']} block"
            block["text"] += content[block["kind"]]
            if "logprobs" in event:
                logprobs = event["logprobs"]
                assert logprobs["text"] == content["text"] and len(logprobs["token_ids"]) == len(logprobs["logprobs"])
                assert all(lp <= 0 for lp in logprobs["logprobs"])
        elif kind == "content-end":
            assert blocks[index]["open"]
            blocks[index]["open"] = False
        elif kind == "tool-call-start":
            assert index == len(calls), f"event {n}: tool calls count from 0"
            call = event["delta"]["message"]["tool_calls"]
            assert call["type"] == "function" and call["id"].startswith(call["function"]["name"] + "_"), call
            calls[index] = {"arguments": call["function"].get("arguments", ""), "open": True}
        elif kind == "tool-call-delta":
            assert calls[index]["open"]
            calls[index]["arguments"] += event["delta"]["message"]["tool_calls"]["function"]["arguments"]
        elif kind == "tool-call-end":
            call = calls[index]
            assert call["open"]
            call["open"] = False
            assert isinstance(json.loads(call["arguments"] or "{}"), dict), f"event {n}: {call['arguments']!r}"
        elif kind == "citation-start":
            assert open_citation is None
            open_citation = index
            citation = event["delta"]["message"]["citations"]
            text = blocks[citation["content_index"]]["text"]
            assert text[citation["start"] : citation["end"]] == citation["text"], citation
            for source in citation["sources"]:
                assert source["type"] == "document" and source["document"]["id"] == source["id"]
        elif kind == "citation-end":
            assert open_citation == index
            open_citation = None
    if not complete:
        assert rest[-1]["type"] != "message-end"
        return
    end = rest[-1]
    assert end["type"] == "message-end"
    assert all(not b["open"] for b in blocks.values()) and all(not c["open"] for c in calls.values())
    reason = end["delta"]["finish_reason"]
    assert (reason == "TOOL_CALL") == bool(calls), reason
    assert ("error" in end["delta"]) == (reason == "ERROR")
    usage = end["delta"].get("usage")
    if usage is not None:
        assert usage["cached_tokens"] <= usage["tokens"]["input_tokens"]
        assert usage["billed_units"]["output_tokens"] <= usage["tokens"]["output_tokens"]


# -- the bodies --------------------------------------------------------------------------------------------


def test_enough_cases_and_a_readme_listing_them() -> None:
    assert len(BODIES) >= MIN_CASES, [p.name for p in BODIES]
    readme = (FIXTURES / "README.md").read_text("utf-8")
    missing = [p.name for p in BODIES if f"`{p.name}`" not in readme]
    assert not missing, f"cases not in fixtures/cohere/README.md: {missing}"
    missing_goldens = [p.name for p in BODIES if not p.with_name(p.name.split(".")[0] + GOLDEN_SUFFIX).is_file()]
    assert not missing_goldens


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_every_event_is_a_v2_chat_stream_response(path: Path) -> None:
    events = _decode(path.read_bytes())
    assert events
    for n, event in enumerate(events):
        problems = _problems(event)
        assert not problems, f"event {n}: {problems}"
        _validate(event)


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_event_grammar(path: Path) -> None:
    _grammar(_decode(path.read_bytes()), complete=path.name not in TRUNCATED)


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_sse_framing(path: Path) -> None:
    """LF framing, each event exactly ``event: <type>\\ndata: <compact JSON>\\n\\n``, raw UTF-8."""
    body = path.read_bytes()
    assert b"\r" not in body and body.endswith(b"}\n\n")
    frames = body.split(b"\n\n")[:-1]
    for frame in frames:
        name, data = frame.decode("utf-8").split("\n")
        assert name.startswith("event: ") and data.startswith("data: {"), frame[:80]
        obj = json.loads(data[len("data: ") :])
        assert name == f"event: {obj['type']}"
        assert json.dumps(obj, separators=(",", ":"), ensure_ascii=False) == data[len("data: ") :]
    assert len(frames) == len(_decode(body))


def test_the_cases_cover_the_finish_reasons_and_event_types() -> None:
    seen_reasons, seen_types = set(), set()
    for path in BODIES:
        for event in _decode(path.read_bytes()):
            seen_types.add(event["type"])
            if event["type"] == "message-end":
                seen_reasons.add(event["delta"]["finish_reason"])
    assert seen_types == set(MEMBERS), set(MEMBERS) - seen_types
    assert seen_reasons == {"COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "TOOL_CALL", "ERROR", "TIMEOUT"}


# -- the checks can fail -----------------------------------------------------------------------------------

_SOURCE = FIXTURES / "rag-citations.sse"


def _event(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in _decode(_SOURCE.read_bytes()) if e["type"] == kind))


def test_the_models_accept_unknown_keys() -> None:
    """Why the walk exists: the SDK models keep an unknown key instead of rejecting it."""
    assert all(m.model_config.get("extra") == "allow" for m in MEMBERS.values())


def test_a_misspelt_key_fails() -> None:
    bad = _event("message-end")
    bad["delta"]["finish_reasn"] = bad["delta"].pop("finish_reason")
    _validate(bad)  # extra="allow": validation alone lets it through
    assert _problems(bad) == ["$.delta.finish_reasn: not a field of ChatMessageEndEventDelta"]


def test_a_misspelt_nested_key_fails() -> None:
    bad = _event("citation-start")
    source = bad["delta"]["message"]["citations"]["sources"][0]
    source["documnet"] = source.pop("document")
    _validate(bad)
    assert _problems(bad) == ["$.delta.message.citations.sources[0].documnet: not a field of DocumentSource"]


def test_a_wrong_type_fails() -> None:
    bad = _event("content-delta")
    bad["index"] = "1"
    assert MEMBERS["content-delta"].model_validate(bad).index == 1  # lax mode would coerce it
    with pytest.raises(pydantic.ValidationError, match="index"):
        _validate(bad)
    worse = _event("content-delta")
    worse["delta"]["message"]["content"]["thinking"] = 5
    with pytest.raises(pydantic.ValidationError, match="thinking"):
        _check(worse)


def test_an_unknown_enum_value_fails() -> None:
    bad = _event("message-end")
    bad["delta"]["finish_reason"] = "DONE"
    _validate(bad)  # Union[Literal[...], Any]
    assert _problems(bad) and "'DONE' not in" in _problems(bad)[0]


def test_a_wire_only_key_with_another_value_fails() -> None:
    bad = _event("message-start")
    bad["delta"]["message"]["tool_plan"] = "I will"
    assert _problems(bad) == ["$.delta.message.tool_plan: 'I will' is not the wire-only value ''"]


def test_an_event_name_that_differs_from_the_type_fails() -> None:
    body = _SOURCE.read_bytes().replace(b"event: content-end\n", b"event: content-stop\n", 1)
    with pytest.raises(AssertionError, match="content-stop"):
        _decode(body)


def test_a_citation_off_its_text_fails() -> None:
    events = _decode(_SOURCE.read_bytes())
    citation = next(e for e in events if e["type"] == "citation-start")["delta"]["message"]["citations"]
    citation["start"] += 1
    with pytest.raises(AssertionError):
        _grammar(events, complete=True)
