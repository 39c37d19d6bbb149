"""Keep the hand-written Ollama bodies in fixtures/ollama/ honest: each is what the server could send.

No recording of an Ollama stream exists here, so the bodies are written from Ollama's API docs and its Go
structs (``api/types.go``): NDJSON, one object per line, each line what Go's ``encoding/json`` makes of a
``ChatResponse`` (``chat-*`` cases, ``/api/chat``) or a ``GenerateResponse`` (``generate-*``, ``/api/generate``):
compact, raw UTF-8 with ``<``, ``>`` and ``&`` escaped, keys in the struct's order, ``created_at`` in RFC 3339 with
up to nine fraction digits (trailing zeros dropped). Or an ``{"error": "..."}`` object.

Every object validates strictly as ``ollama.ChatResponse`` / ``ollama.GenerateResponse`` (the ``ollama`` Python
client). Those models ignore unknown keys (pydantic's default), so validation alone would pass a misspelt key;
the key walk below checks that every key is a declared field at every level (proved by the mutation tests).

Documented exceptions (`WIRE_ONLY`): newer servers send a tool call's ``id`` and ``function.index`` and a logprob's
``bytes``, which the installed client (0.6.3) does not declare.
"""

from __future__ import annotations

import copy
import json
import re
import types as pytypes
from datetime import datetime
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import ollama
import pydantic
import pytest
from ollama._types import Logprob, Message, TokenLogprob

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "ollama"
GOLDEN_SUFFIX = ".openai.sse"
BODIES = sorted(FIXTURES.glob("*.ndjson"))
MIN_CASES = 10
ENDPOINTS: dict[str, type[pydantic.BaseModel]] = {"chat": ollama.ChatResponse, "generate": ollama.GenerateResponse}
ERROR_CASES = {"chat-error-midstream.ndjson"}  # the last line is {"error": ...}
TRUNCATED = {"chat-truncated.ndjson"}  # ends at a line boundary with no done line
CUT_MID_LINE = {"generate-truncated-mid-line.ndjson"}  # ends inside its last line
LOAD_CASES = {"chat-load.ndjson"}  # done_reason "load": no counts, no durations

# keys newer servers send that the installed client does not declare: model -> {key: JSON type}
WIRE_ONLY: dict[type[pydantic.BaseModel], dict[str, type]] = {
    Message.ToolCall: {"id": str},
    Message.ToolCall.Function: {"index": int},
    Logprob: {"bytes": list},
    TokenLogprob: {"bytes": list},
}
# the Go structs' field order (json tags), which encoding/json keeps
METRICS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)
CHAT_ORDER = ("model", "remote_model", "remote_host", "created_at", "message", "done", "done_reason", "_debug_info")
CHAT_ORDER += ("logprobs", *METRICS)
GENERATE_ORDER = ("model", "remote_model", "remote_host", "created_at", "response", "thinking", "done", "done_reason")
GENERATE_ORDER += ("context", *METRICS, "tool_calls", "_debug_info", "logprobs", "image", "completed", "total")
MESSAGE_ORDER = ("role", "content", "thinking", "images", "tool_calls", "tool_name", "tool_call_id")
RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{0,8}[1-9]))?(Z|[+-]\d\d:\d\d)")


def _id(path: Path) -> str:
    return path.name


def _endpoint(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _lines(path: Path) -> list[str]:
    """The complete lines of a body (a cut last line left out)."""
    body = path.read_bytes().decode("utf-8")
    lines = body.split("\n")
    assert lines[-1] == "" or path.name in CUT_MID_LINE, "the body must end with LF"
    return lines[:-1]


def _go_json(obj: Any) -> str:
    """Go's encoding/json: compact, raw UTF-8, HTML characters escaped."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _is_error(obj: dict[str, Any]) -> bool:
    return set(obj) == {"error"}


# -- the key walk ------------------------------------------------------------------------------------------


def _models(annotation: Any) -> list[type[pydantic.BaseModel]]:
    """The model classes an annotation can hold (through Optional, Union and Sequence)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin in (Union, pytypes.UnionType) or (origin is not None and "Sequence" in str(origin)):
        return [m for arg in get_args(annotation) for m in _models(arg)]
    return []  # scalars, Mapping[str, Any] (tool arguments)


def _walk(model: type[pydantic.BaseModel], data: dict[str, Any], path: str, problems: list[str]) -> None:
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    wire_only = WIRE_ONLY.get(model, {})
    for key, value in data.items():
        where = f"{path}.{key}"
        if key in wire_only:
            kind = wire_only[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                problems.append(f"{where}: {value!r} is not a {kind.__name__}")
            continue
        field = fields.get(key)
        if field is None:
            problems.append(f"{where}: not a field of {model.__name__}")
            continue
        for target in _models(field.annotation):
            items = value if isinstance(value, list) else [value]
            for n, item in enumerate(items):
                if isinstance(item, dict):
                    _walk(target, item, f"{where}[{n}]" if isinstance(value, list) else where, problems)


def _problems(obj: dict[str, Any], endpoint: str) -> list[str]:
    problems: list[str] = []
    _walk(ENDPOINTS[endpoint], obj, "$", problems)
    return problems


def _validate(obj: dict[str, Any], endpoint: str) -> pydantic.BaseModel:
    """Strict validation (lax mode would take ``"12"`` for an int). Wire-only keys are ignored by the model."""
    return ENDPOINTS[endpoint].model_validate(obj, strict=True)


def _order_problems(obj: dict[str, Any], endpoint: str) -> list[str]:
    order = CHAT_ORDER if endpoint == "chat" else GENERATE_ORDER
    problems = []
    if [k for k in order if k in obj] != list(obj):
        problems.append(f"keys {list(obj)} not in the Go struct's order")
    message = obj.get("message")
    if isinstance(message, dict) and [k for k in MESSAGE_ORDER if k in message] != list(message):
        problems.append(f"message keys {list(message)} not in the Go struct's order")
    return problems


def _created_at(text: str) -> datetime:
    """RFC 3339 as Go's RFC3339Nano writes it; the time, to microseconds."""
    match = RFC3339.fullmatch(text)
    assert match, f"created_at {text!r} is not RFC 3339 (Go RFC3339Nano)"
    fraction = (match[2] or "").ljust(6, "0")[:6]
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(f"{match[1]}.{fraction}{zone}")


def _check(obj: dict[str, Any], endpoint: str) -> None:
    """One non-error object: the key walk, the key order, created_at, strict validation."""
    problems = _problems(obj, endpoint) + _order_problems(obj, endpoint)
    assert not problems, problems
    _created_at(obj["created_at"])
    _validate(obj, endpoint)


# -- the bodies --------------------------------------------------------------------------------------------


def test_enough_cases_and_a_readme_listing_them() -> None:
    assert len(BODIES) >= MIN_CASES, [p.name for p in BODIES]
    assert {_endpoint(p) for p in BODIES} == set(ENDPOINTS)
    readme = (FIXTURES / "README.md").read_text("utf-8")
    missing = [p.name for p in BODIES if f"`{p.name}`" not in readme]
    assert not missing, f"cases not in fixtures/ollama/README.md: {missing}"
    missing_goldens = [p.name for p in BODIES if not p.with_name(p.name.split(".")[0] + GOLDEN_SUFFIX).is_file()]
    assert not missing_goldens


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_every_line_is_a_response_object(path: Path) -> None:
    endpoint = _endpoint(path)
    lines = _lines(path)
    assert lines and all(lines), "no blank lines"
    for n, line in enumerate(lines):
        assert "\r" not in line
        obj = json.loads(line)
        assert _go_json(obj) == line, f"line {n}: not as Go's encoding/json writes it"
        if _is_error(obj):
            assert path.name in ERROR_CASES and n == len(lines) - 1, f"line {n}: an error object outside ERROR_CASES"
            assert isinstance(obj["error"], str) and obj["error"]
            continue
        _check(obj, endpoint)


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_the_stream_holds_together(path: Path) -> None:
    """One model, created_at never going back, done false until the one done line, which comes last."""
    endpoint = _endpoint(path)
    objects = [json.loads(line) for line in _lines(path)]
    if path.name in ERROR_CASES:
        assert _is_error(objects.pop()) and objects, "the error must come after some output"
    assert len({o["model"] for o in objects}) == 1
    times = [_created_at(o["created_at"]) for o in objects]
    assert times == sorted(times)
    *before, last = objects
    assert all(o["done"] is False and "done_reason" not in o for o in before)
    assert not any(k in o for o in before for k in (*METRICS, "context"))
    if path.name in ERROR_CASES | TRUNCATED | CUT_MID_LINE:
        assert last["done"] is False
        return
    assert last["done"] is True and last["done_reason"] in {"stop", "length", "load"}
    if endpoint == "chat":
        assert last["message"] == {"role": "assistant", "content": ""}
    else:
        assert last["response"] == "" and all(isinstance(t, int) for t in last["context"])
    if path.name in LOAD_CASES:
        assert last["done_reason"] == "load" and len(objects) == 1 and not any(k in last for k in METRICS)
    else:
        assert all(isinstance(last[k], int) and last[k] > 0 for k in METRICS)
        assert last["load_duration"] + last["prompt_eval_duration"] + last["eval_duration"] <= last["total_duration"]


@pytest.mark.parametrize("name", sorted(CUT_MID_LINE))
def test_the_cut_line_is_a_prefix_of_an_object(name: str) -> None:
    body = (FIXTURES / name).read_text("utf-8")
    assert not body.endswith("\n")
    cut = body.rsplit("\n", 1)[1]
    assert cut.startswith('{"model":"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


def _sorted_keys(value: Any) -> bool:
    """Every object in ``value`` has its keys sorted, as Go's encoding/json writes a map."""
    if isinstance(value, dict):
        return list(value) == sorted(value) and all(_sorted_keys(v) for v in value.values())
    if isinstance(value, list):
        return all(_sorted_keys(v) for v in value)
    return True


def _tool_call_problems(call: dict[str, Any], position: int) -> list[str]:
    """A whole call, arguments an object; a call without ``id`` is from an older server, whose arguments were a Go
    ``map[string]any`` (keys sorted; newer servers keep the model's order)."""
    function = call["function"]
    problems = []
    if not isinstance(function["arguments"], dict) or not function["name"]:
        problems.append(f"tool call {position}: arguments not an object, or no name")
    if function.get("index", 0) != position:
        problems.append(f"tool call {position}: index {function.get('index')}")
    if "id" not in call and not _sorted_keys(function["arguments"]):
        problems.append(f"tool call {position}: arguments keys not sorted (an older server's Go map)")
    return problems


@pytest.mark.parametrize("path", [p for p in BODIES if _endpoint(p) == "chat"], ids=_id)
def test_tool_calls_and_logprobs(path: Path) -> None:
    """Tool calls come whole; logprobs describe the line's content, ``bytes`` the token's UTF-8."""
    for line in _lines(path):
        obj = json.loads(line)
        if _is_error(obj):
            continue
        calls = obj["message"].get("tool_calls") or []
        for position, call in enumerate(calls):
            assert not _tool_call_problems(call, position)
        if "logprobs" in obj:
            assert "".join(lp["token"] for lp in obj["logprobs"]) == obj["message"]["content"]
            for lp in obj["logprobs"]:
                top = {"token": lp["token"], "logprob": lp["logprob"], "bytes": lp["bytes"]}
                assert lp["logprob"] <= 0 and lp["top_logprobs"][0] == top
                for item in (lp, *lp["top_logprobs"]):
                    assert item["bytes"] == list(item["token"].encode("utf-8"))


# -- the checks can fail -----------------------------------------------------------------------------------

_CHAT = FIXTURES / "chat-parallel-tool-calls.ndjson"


def _object(path: Path, n: int) -> dict[str, Any]:
    return copy.deepcopy(json.loads(_lines(path)[n]))


def test_the_models_ignore_unknown_keys() -> None:
    """Why the walk exists: the client's models drop an unknown key silently."""
    obj = _object(_CHAT, -1)
    obj["done_reasn"] = obj.pop("done_reason")
    assert _validate(obj, "chat").done_reason is None


def test_a_misspelt_key_fails() -> None:
    bad = _object(_CHAT, -1)
    bad["done_reasn"] = bad.pop("done_reason")
    assert _problems(bad, "chat") == ["$.done_reasn: not a field of ChatResponse"]


def test_a_misspelt_nested_key_fails() -> None:
    bad = _object(_CHAT, 0)
    bad["message"]["thinkng"] = bad["message"].pop("thinking")
    _validate(bad, "chat")
    assert _problems(bad, "chat") == ["$.message.thinkng: not a field of Message"]
    worse = _object(_CHAT, 1)
    worse["message"]["tool_calls"][1]["function"]["argument"] = {}
    assert _problems(worse, "chat") == ["$.message.tool_calls[1].function.argument: not a field of Function"]


def test_a_wrong_type_fails() -> None:
    bad = _object(_CHAT, -1)
    bad["eval_count"] = "61"
    assert ENDPOINTS["chat"].model_validate(bad).eval_count == 61  # lax mode would coerce it
    with pytest.raises(pydantic.ValidationError, match="eval_count"):
        _check(bad, "chat")
    arguments_as_text = _object(_CHAT, 1)
    arguments_as_text["message"]["tool_calls"][0]["function"]["arguments"] = '{"city":"Toronto"}'
    with pytest.raises(pydantic.ValidationError, match="arguments"):
        _check(arguments_as_text, "chat")
    bad_index = _object(_CHAT, 1)
    bad_index["message"]["tool_calls"][1]["function"]["index"] = "1"
    assert _problems(bad_index, "chat") == ["$.message.tool_calls[1].function.index: '1' is not a int"]


def test_a_generate_key_in_a_chat_object_fails() -> None:
    bad = _object(_CHAT, -1)
    bad["context"] = [1, 2, 3]
    assert _problems(bad, "chat") == ["$.context: not a field of ChatResponse"]


def test_keys_out_of_order_fail() -> None:
    bad = _object(_CHAT, -1)
    bad = {"done": bad.pop("done"), **bad}
    assert _order_problems(bad, "chat")


def test_unsorted_arguments_from_an_older_server_fail() -> None:
    call = _object(_CHAT, 1)["message"]["tool_calls"][1]
    assert not _tool_call_problems(call, 1)
    call["function"]["arguments"] = {"city": "Montréal", "alerts": None}
    assert _tool_call_problems(call, 1) == ["tool call 1: arguments keys not sorted (an older server's Go map)"]
    call["id"] = "call_k2v8q0zt"  # a newer server keeps the model's order
    assert not _tool_call_problems(call, 1)


def test_a_bad_logprob_fails() -> None:
    logprobs = FIXTURES / "chat-logprobs.ndjson"
    bad = _object(logprobs, 0)
    bad["logprobs"][0]["top_logprobs"][1]["bytes"] = "Hi"
    bad["logprobs"][0]["top_logprob"] = bad["logprobs"][0].pop("top_logprobs")
    _validate(bad, "chat")
    assert _problems(bad, "chat") == ["$.logprobs[0].top_logprob: not a field of Logprob"]
    worse = _object(logprobs, 0)
    worse["logprobs"][0]["top_logprobs"][1]["bytes"] = "Hi"
    assert _problems(worse, "chat") == ["$.logprobs[0].top_logprobs[1].bytes: 'Hi' is not a list"]
    worse["logprobs"][0]["logprob"] = "-0.03"
    with pytest.raises(pydantic.ValidationError, match="logprob"):
        _validate(worse, "chat")


@pytest.mark.parametrize(
    "text", ["2025-07-18 11:42:30.274026021Z", "2025-07-18T11:42:30.2740260210Z", "2025-07-18T11:42:30.27400Z"]
)
def test_a_bad_created_at_fails(text: str) -> None:
    """Not RFC 3339, more than nine fraction digits, or trailing zeros Go would have dropped."""
    bad = _object(_CHAT, 0)
    bad["created_at"] = text
    with pytest.raises(AssertionError, match="RFC 3339"):
        _check(bad, "chat")
