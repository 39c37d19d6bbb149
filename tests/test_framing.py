"""The JSON-array, NDJSON and sniffing decoders: element-by-element output, any cut, bounded memory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translators import TranslationError
from translators.events import JSONArrayDecoder, JSONEventDecoder, NDJSONDecoder, SniffingDecoder

GEMINI_SHAPED = (
    b'[{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "a } ] [ {'
    b' \\" \\\\"\n          }\n        ]\n      }\n    }\n  ],\n  "responseId": "r1"\n}\n,\r\n{\n  "usageMetadata":'
    b' {"totalTokenCount": 3},\n  "responseId": "r1"\n}\n]'
)
GEMINI_ELEMENTS = [
    {"candidates": [{"content": {"parts": [{"text": 'a } ] [ { " \\'}]}}], "responseId": "r1"},
    {"usageMetadata": {"totalTokenCount": 3}, "responseId": "r1"},
]


def run(decoder: Any, pieces: list[bytes]) -> list[dict[str, Any]]:
    events = [event for piece in pieces for event in decoder.decode(piece)]
    return events + decoder.flush()


def every_cut(body: bytes) -> list[list[bytes]]:
    return [[body], [body[i : i + 1] for i in range(len(body))]] + [[body[:n], body[n:]] for n in range(len(body))]


# -- JSON array ------------------------------------------------------------------------------------


def test_gemini_shaped_array_at_every_cut() -> None:
    for pieces in every_cut(GEMINI_SHAPED):
        assert run(JSONArrayDecoder(), pieces) == GEMINI_ELEMENTS


def test_each_element_comes_out_when_its_brace_arrives_not_at_the_closing_bracket() -> None:
    decoder = JSONArrayDecoder()
    first_end = GEMINI_SHAPED.index(b"}\n,\r\n") + 1
    assert decoder.decode(GEMINI_SHAPED[:first_end]) == GEMINI_ELEMENTS[:1]
    assert decoder.decode(GEMINI_SHAPED[first_end:-1]) == GEMINI_ELEMENTS[1:]
    assert decoder.decode(b"]") == [] and decoder.flush() == []


def test_empty_array_and_empty_body() -> None:
    assert run(JSONArrayDecoder(), [b" [ ", b"]\n"]) == []
    assert run(JSONArrayDecoder(), [b""]) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": 1}', "unexpected '{'"),
        (b"[1]", "unexpected '1'"),
        (b'[{"a": }]', "not JSON"),
        (b'[{"a": 1} {"b": 2}]', "unexpected '{'"),
        (b'[{"a": 1}] x', "unexpected 'x'"),
        (b'[{"a": 1},', "ended before its closing"),
        (b'[{"a": "unterminated', "ended before its closing"),
    ],
)
def test_malformed_bodies_raise_translation_error(body: bytes, message: str) -> None:
    with pytest.raises(TranslationError, match=message):
        run(JSONArrayDecoder(), [body])


def test_elements_before_a_fault_come_out_first_and_the_fault_stays() -> None:
    decoder = JSONArrayDecoder()
    assert decoder.decode(b'[{"a": 1}, 7') == [{"a": 1}]
    for _ in range(2):
        with pytest.raises(TranslationError, match="unexpected '7'"):
            decoder.decode(b"")


def test_an_element_over_the_limit_raises_and_memory_stays_bounded() -> None:
    decoder = JSONArrayDecoder(max_event_size=1000)
    decoder.decode(b'[{"text": "')
    with pytest.raises(TranslationError, match="larger than max_event_size"):
        for _ in range(100):
            decoder.decode(b"x" * 100)


def test_whitespace_between_elements_does_not_pile_up() -> None:
    decoder = JSONArrayDecoder(max_event_size=100)
    decoder.decode(b"[")
    for _ in range(1000):
        decoder.decode(b" \r\n\t" * 100)
    assert decoder.decode(b'{"a": 1}]') == [{"a": 1}]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    elements=st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=4), max_size=4),
    indent=st.sampled_from([None, 0, 2]),
    separator=st.sampled_from([b",", b"\n,\r\n", b" , "]),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_any_array_of_objects_at_any_cuts(
    elements: list[dict[str, Any]], indent: int | None, separator: bytes, cuts: list[int]
) -> None:
    body = b"[" + separator.join(json.dumps(e, indent=indent).encode() for e in elements) + b"]"
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert run(JSONArrayDecoder(), pieces) == elements


# -- NDJSON -----------------------------------------------------------------------------------------


def test_ndjson_lines_at_every_cut() -> None:
    body = b'{"a": 1}\n\n{"b": "x\\ny"}\r\n{"c": [1, 2]}'
    for pieces in every_cut(body):
        assert run(NDJSONDecoder(), pieces) == [{"a": 1}, {"b": "x\ny"}, {"c": [1, 2]}]


def test_ndjson_bad_line_names_its_ordinal() -> None:
    decoder = NDJSONDecoder()
    assert decoder.decode(b'{"a": 1}\n') == [{"a": 1}]
    with pytest.raises(TranslationError, match="not JSON") as info:
        decoder.decode(b"{oops}\n")
    assert info.value.where == "event #2"


def test_ndjson_long_line_is_refused_after_the_lines_before_it() -> None:
    decoder = NDJSONDecoder(max_event_size=50)
    assert decoder.decode(b'{"a": 1}\n' + b"z" * 80 + b"\n") == [{"a": 1}]
    with pytest.raises(TranslationError, match="longer than max_event_size"):
        decoder.decode(b"")


# -- sniffing ----------------------------------------------------------------------------------------


def choose(first: int, max_event_size: int) -> Any:
    return JSONArrayDecoder(max_event_size) if first == ord("[") else JSONEventDecoder(max_event_size)


@pytest.mark.parametrize("prefix", [b"", b"  \r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_sniffing_picks_by_the_first_non_whitespace_byte_at_any_cut(prefix: bytes) -> None:
    array = prefix + b'[{"type": "a"}]'
    sse = prefix + b'data: {"type": "a"}\r\n\r\n'
    for body in (array, sse):
        for pieces in every_cut(body):
            assert run(SniffingDecoder(choose), pieces) == [{"type": "a"}], (body, pieces)


def test_sniffing_an_empty_or_blank_body_decodes_nothing() -> None:
    assert run(SniffingDecoder(choose), [b"", b"  \n"]) == []
    with pytest.raises(TranslationError, match="nothing but whitespace"):
        SniffingDecoder(choose, max_event_size=8).decode(b" " * 20)
