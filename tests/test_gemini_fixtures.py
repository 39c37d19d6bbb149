"""Keep the hand-written Gemini bodies in fixtures/gemini/ honest: each is what the API could send.

Each body must be what ``streamGenerateContent`` could put on the wire: every chunk validates as a
``google.genai.types.GenerateContentResponse``, and every key in it is the camelCase wire name of a field
of the matching google-genai model. Validation alone is not enough: the models take snake_case names too
(``populate_by_name``) and only warn on an unknown enum value, so the key walk and the enum check below
catch what ``model_validate`` lets through (proved by the misspelling tests at the end).

Documented exceptions:

* ``error-midstream.sse`` ends in the API's in-stream error object ``{"error": {code, message, status}}``,
  which is not a ``GenerateContentResponse``; it is checked for that shape instead.
* ``usageMetadata.serviceTier`` is on the wire (AI Studio, real recordings) but not in the installed
  google-genai's usage model; it is checked against ``types.ServiceTier`` and left out of validation.
* ``citationMetadata.citationSources`` is the AI Studio wire name; google-genai renames it to ``citations``
  in a before-validator, so the key walk accepts it too.
"""

from __future__ import annotations

import copy
import enum
import json
import re
import types as pytypes
import warnings
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pydantic
import pytest
from google.genai import types

from translators.sse import SSEDecoder

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "gemini"
BODIES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".sse", ".json") and not p.name.endswith(".openai.sse"))
MIN_CASES = 12
ERROR_CASES = {"error-midstream.sse"}
NO_FINAL_BLANK_LINE = {"prompt-blocked.sse"}  # ends with one CRLF, like the real test data it is modelled on
ARRAY_SEPARATOR = b"\n,\r\n"

# wire keys the installed google-genai models do not declare: model -> {key: allowed values}
WIRE_ONLY: dict[type[pydantic.BaseModel], dict[str, set[str]]] = {
    types.GenerateContentResponseUsageMetadata: {"serviceTier": {t.value for t in types.ServiceTier}},
}
# wire keys google-genai renames before validating: (model, wire key) -> field alias
RENAMED = {(types.CitationMetadata, "citationSources"): "citations"}


def _id(path: Path) -> str:
    return path.name


def _sse_chunks(body: bytes) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    events = decoder.decode(body) + decoder.flush()
    return [json.loads(event.data) for event in events]


def _chunks(path: Path) -> list[dict[str, Any]]:
    body = path.read_bytes()
    if path.suffix == ".json":
        chunks = json.loads(body)
        assert isinstance(chunks, list)
        return chunks
    return _sse_chunks(body)


def _is_error(chunk: dict[str, Any]) -> bool:
    return set(chunk) == {"error"}


# -- the key walk ----------------------------------------------------------------------------------------


def _targets(annotation: Any) -> list[Any]:
    """The model or enum classes an annotation can hold (through Optional, Union and list)."""
    origin = get_origin(annotation)
    if origin in (Union, pytypes.UnionType, list):
        return [t for arg in get_args(annotation) for t in _targets(arg)]
    if isinstance(annotation, type) and issubclass(annotation, (pydantic.BaseModel, enum.Enum)):
        return [annotation]
    return []  # scalars, bytes, dict[str, Any] (function args), Any


def _walk(model: type[pydantic.BaseModel], data: dict[str, Any], path: str, problems: list[str]) -> None:
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    wire_only = WIRE_ONLY.get(model, {})
    for key, value in data.items():
        where = f"{path}.{key}"
        if key in wire_only:
            if value not in wire_only[key]:
                problems.append(f"{where}: {value!r} not in {sorted(wire_only[key])}")
            continue
        field = fields.get(RENAMED.get((model, key), key))
        if field is None:
            problems.append(f"{where}: not a wire field of {model.__name__}")
            continue
        for target in _targets(field.annotation):
            items = value if isinstance(value, list) else [value]
            for n, item in enumerate(items):
                at = f"{where}[{n}]" if isinstance(value, list) else where
                if issubclass(target, enum.Enum):
                    if item not in {m.value for m in target}:
                        problems.append(f"{at}: {item!r} is not a {target.__name__}")
                elif isinstance(item, dict):
                    _walk(target, item, at, problems)


def _problems(chunk: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    _walk(types.GenerateContentResponse, chunk, "$", problems)
    return problems


def _validate(chunk: dict[str, Any]) -> types.GenerateContentResponse:
    """`model_validate` with warnings as errors (google-genai only warns on an unknown enum value)."""
    data = copy.deepcopy(chunk)  # the citationSources validator renames keys in place
    usage = data.get("usageMetadata")
    if isinstance(usage, dict):
        for key in WIRE_ONLY[types.GenerateContentResponseUsageMetadata]:
            usage.pop(key, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return types.GenerateContentResponse.model_validate(data)


def _check(chunk: dict[str, Any]) -> None:
    problems = _problems(chunk)
    assert not problems, problems
    _validate(chunk)


# -- the bodies -----------------------------------------------------------------------------------------


def test_enough_cases_and_a_readme_listing_them() -> None:
    assert len(BODIES) >= MIN_CASES, [p.name for p in BODIES]
    readme = (FIXTURES / "README.md").read_text("utf-8")
    missing = [p.name for p in BODIES if f"`{p.name}`" not in readme]
    assert not missing, f"cases not in fixtures/gemini/README.md: {missing}"
    # every body has its golden (tests/test_conformance.py replays them)
    missing_goldens = [p.name for p in BODIES if not p.with_name(p.name.split(".")[0] + ".openai.sse").is_file()]
    assert not missing_goldens


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_every_chunk_is_a_generate_content_response(path: Path) -> None:
    chunks = _chunks(path)
    assert chunks
    for n, chunk in enumerate(chunks):
        if path.name in ERROR_CASES and n == len(chunks) - 1:
            continue  # the in-stream error object: see test_in_stream_error_object
        assert not _is_error(chunk), f"chunk {n} is an error object outside ERROR_CASES"
        problems = _problems(chunk)
        assert not problems, f"chunk {n}: {problems}"
        _validate(chunk)
        # seen on every chunk of the real recordings
        assert {"usageMetadata", "modelVersion", "responseId"} <= chunk.keys(), f"chunk {n}"


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_in_stream_error_object(name: str) -> None:
    *before, last = _chunks(FIXTURES / name)
    assert before, "the error must come after some output"
    assert set(last) == {"error"}
    error = last["error"]
    assert set(error) == {"code", "message", "status"}
    assert isinstance(error["code"], int) and isinstance(error["message"], str) and error["message"]
    assert re.fullmatch(r"[A-Z_]+", error["status"])
    with pytest.raises(pydantic.ValidationError):
        _validate(last)  # it really is not a GenerateContentResponse


def _wire_json(obj: Any) -> str:
    """Gemini's alt=sse JSON style: a space after each colon, none after commas, raw UTF-8, <> escaped."""
    text = json.dumps(obj, separators=(",", ": "), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


@pytest.mark.parametrize("path", [p for p in BODIES if p.suffix == ".sse"], ids=_id)
def test_sse_bodies_use_crlf_framing(path: Path) -> None:
    body = path.read_bytes()
    assert re.search(rb"(?<!\r)\n", body) is None, "LF without CR"
    assert re.search(rb"\r(?!\n)", body) is None, "CR without LF"
    if path.name in NO_FINAL_BLANK_LINE:
        assert body.endswith(b"}\r\n")
        events = (body[:-2] + b"\r\n\r\n").split(b"\r\n\r\n")[:-1]
    else:
        assert body.endswith(b"}\r\n\r\n")
        events = body.split(b"\r\n\r\n")[:-1]
    for event in events:
        assert event.startswith(b"data: {") and b"\r\n" not in event, event[:80]
        data = event[len(b"data: ") :].decode("utf-8")
        assert _wire_json(json.loads(data)) == data, "not in Gemini's JSON style"
    assert len(events) == len(_chunks(path))


@pytest.mark.parametrize("path", [p for p in BODIES if p.suffix == ".json"], ids=_id)
def test_json_array_body_framing(path: Path) -> None:
    body = path.read_bytes()
    assert body.startswith(b"[{") and body.endswith(b"}\n]")
    elements = body[1:-2].split(ARRAY_SEPARATOR)
    chunks = _chunks(path)
    assert len(chunks) >= 2 and len(elements) == len(chunks)
    assert [json.loads(e) for e in elements] == chunks


# -- the checks can fail ----------------------------------------------------------------------------------

_GOOD = {
    "candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}, "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 4, "candidatesTokenCount": 1},
    "modelVersion": "gemini-2.5-flash",
    "responseId": "abc",
}


def _mutated(path: tuple[str | int, ...], old: str, new: str, value: Any = None) -> dict[str, Any]:
    chunk = copy.deepcopy(_GOOD)
    target: Any = chunk
    for step in path:
        target = target[step]
    target[new] = target.pop(old) if value is None else value
    return chunk


def test_the_models_forbid_extra_keys() -> None:
    assert types.GenerateContentResponse.model_config.get("extra") == "forbid"
    _check(_GOOD)


def test_a_misspelled_field_fails() -> None:
    bad = _mutated(("candidates", 0), "finishReason", "finishReasn")
    assert _problems(bad) == ["$.candidates[0].finishReasn: not a wire field of Candidate"]
    with pytest.raises(pydantic.ValidationError, match="finishReasn"):
        _validate(bad)


def test_a_snake_case_key_fails_though_validation_accepts_it() -> None:
    bad = _mutated(("usageMetadata",), "totalTokenCount", "total_token_count")
    _validate(bad)  # populate_by_name: model_validate alone would let this through
    assert _problems(bad) == [
        "$.usageMetadata.total_token_count: not a wire field of GenerateContentResponseUsageMetadata"
    ]


def test_an_unknown_enum_value_fails() -> None:
    bad = _mutated(("candidates", 0), "finishReason", "finishReason", "STPO")
    assert _problems(bad) == ["$.candidates[0].finishReason: 'STPO' is not a FinishReason"]
    with pytest.raises(UserWarning, match="STPO"):
        _validate(bad)


def test_a_bad_service_tier_fails() -> None:
    bad = _mutated(("usageMetadata",), "serviceTier", "serviceTier", "gold")
    assert _problems(bad) and "serviceTier" in _problems(bad)[0]
    _validate(bad)  # stripped before validation: the walk is what checks it


def test_a_bad_body_would_be_caught() -> None:
    """The per-body check, run on a copy of a real fixture with one key misspelled."""
    source = FIXTURES / "text-usage-every-chunk.sse"
    body = source.read_bytes().replace(b'"finishReason": ', b'"finishReasn": ', 1)
    assert body != source.read_bytes()
    chunks = _sse_chunks(body)
    with pytest.raises(AssertionError, match="finishReasn"):
        for chunk in chunks:
            _check(chunk)
