"""The JSON-array, NDJSON and sniffing decoders: element-by-element output, any cut, bounded memory."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translators import TranslationError, events
from translators.events import JSONArrayDecoder, JSONEventDecoder, NDJSONDecoder, SniffingDecoder
from translators.sse import DEFAULT_MAX_EVENT_SIZE

Event = dict[str, Any]

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


# -- JSON array: the fast path against the scan ------------------------------------------------------


class ScanOnly(JSONArrayDecoder):
    """The decoder with its fast path off: the scan finds every element, on every read (as before it)."""

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._strong = -1  # no Gemini separators

    def decode(self, chunk: bytes) -> list[Event]:
        return self._decode(chunk, False)  # no shortcut for a read without a "}"

    def _element(self, buf: bytearray, events: list[Event], final: bool, tried: bool) -> int:
        return self._scan(buf, events)


def reads(decoder: JSONArrayDecoder, pieces: list[bytes]) -> tuple[list[list[Event]], str | None]:
    """What each read gives (the end of the body last), and the error that ends the body, if any."""
    out: list[list[Event]] = []
    try:
        for piece in pieces:
            out.append(decoder.decode(piece))
        out.append(decoder.flush())
    except TranslationError as exc:
        return out, f"{exc.reason} (at {exc.where})"
    return out, None


def flat(outcome: tuple[list[list[Event]], str | None]) -> tuple[list[Event], str | None]:
    return [event for events in outcome[0] for event in events], outcome[1]


def due(body: bytes, pieces: list[bytes]) -> list[list[Event]]:
    """Each element of a valid body in the read that brings its closing brace (then nothing at the end)."""
    text, ends, values = body.decode(), [], []
    at = text.index("[") + 1
    while True:
        at = len(text) - len(text[at:].lstrip(" \t\r\n,"))
        if at == len(text) or text[at] == "]":
            break
        value, at = json.JSONDecoder().raw_decode(text, at)
        values.append(value)
        ends.append(len(text[:at].encode()))
    out, got, done = [], 0, 0
    for piece in [*pieces, b""]:
        got += len(piece)
        upto = done
        while upto < len(ends) and ends[upto] <= got:
            upto += 1
        out.append(values[done:upto])
        done = upto
    return out


def array(*elements: Any, indent: int | None = 2, separator: bytes = b"\n,\r\n") -> bytes:
    """Gemini's layout by default: pretty-printed elements, the "," on a line of its own, CRLF after it."""
    dumped = [json.dumps(element, indent=indent, ensure_ascii=False).encode() for element in elements]
    return b"[" + separator.join(dumped) + b"\n]"


CHUNK = {
    "candidates": [{"content": {"parts": [{"text": "**Thinking**\n\nabout dogs", "thought": True}]}, "index": 0}],
    "usageMetadata": {"promptTokensDetails": [{"modality": "TEXT", "tokenCount": 6}, {"modality": "IMAGE"}]},
    "responseId": "r1",
}
TRAPS = {  # what a string may hold: the separator, braces and brackets, escapes, JSON, code, non-ASCII
    "candidates": [
        {
            "content": {
                "parts": [
                    {"text": '}\n,\r\n{\n}\n]\n, } ] [ { " \\" \\\\ \\'},
                    {"text": '[{"name":"Shadow","age":4},{"name":"Zephyr"}]'},
                    {"text": "if (x) {\n  f({a: [1]});\n} else { g(); }, h(); }] é ✓ 🐕 ", "thought": True},
                ]
            }
        }
    ],
    "modelVersion": "}",
}
NESTED = {"a": {"b": [{"c": {}}, {"d": [[{}], {"e": "}"}]}]}, "f": [], "g": {"h": {"i": {"j": 1}}}}
USAGE = {"usageMetadata": {"totalTokenCount": 3}, "responseId": "r1"}

VALID = {
    "gemini-shaped": GEMINI_SHAPED,
    "pretty": array(CHUNK, TRAPS, NESTED, USAGE),
    "column-0 (indent 0)": array(NESTED, TRAPS, CHUNK, indent=0),
    "compact ,": array(TRAPS, NESTED, CHUNK, USAGE, indent=None, separator=b","),
    "compact ,CRLF": array(CHUNK, TRAPS, {}, USAGE, indent=None, separator=b",\r\n"),
    "spaced": array(NESTED, USAGE, TRAPS, indent=None, separator=b" ,\t"),
    "empty objects": b'[{}\n,\r\n{}\n,\r\n{ }\n,\r\n{"a":{}}]',
    "separators that change": b"[" + b"\n,\r\n".join([b'{"a": 1}', b'{"b": {}},{"c": [{}]}', b'{"d": "}"}']) + b"]",
}


@pytest.fixture(params=["orjson", "stdlib"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The JSON parser the decoders use: orjson, or the standard library's (the fallback without orjson)."""
    if request.param == "stdlib":
        monkeypatch.setattr(events, "loads", json.loads)
        monkeypatch.setattr(events, "JSONDecodeError", json.JSONDecodeError)
    return str(request.param)


@pytest.mark.parametrize("name", VALID)
def test_fast_path_and_scan_give_each_element_in_the_read_of_its_brace(name: str, parser: str) -> None:
    body = VALID[name]
    for pieces in every_cut(body):
        expected = (due(body, pieces), None)
        assert reads(JSONArrayDecoder(), pieces) == expected, pieces
        assert reads(ScanOnly(), pieces) == expected, pieces


@pytest.mark.parametrize("name", ["pretty", "compact ,", "separators that change"])
def test_a_truncated_body_gives_the_same_at_every_cut(name: str, parser: str) -> None:
    body = VALID[name]
    for end in range(len(body)):
        cuts = [[body[:end]], [body[: end // 2], body[end // 2 : end]]]
        if end % 13 == 0 or end == len(body) - 1:
            cuts.append([body[i : i + 1] for i in range(end)])
        for pieces in cuts:
            outcome = reads(JSONArrayDecoder(), pieces)
            assert outcome == reads(ScanOnly(), pieces)
            assert outcome[0] == due(body, pieces)[: len(outcome[0])]  # each element in the read of its brace
            assert outcome[1] == (f"the JSON array body ended before its closing ']' (at byte {end})" if end else None)


GARBAGE = {  # after an element: same elements, same error (reason and byte), whatever the cuts
    b'[{"a": 1}, 7]': "unexpected '7' in a JSON array body (expect) (at byte 11)",
    b'[{"a": 1} {"b": 2}]': "unexpected '{' in a JSON array body (after) (at byte 10)",
    b'[{"a": 1}\n,\r\n{"b": 2}\n] x': "unexpected 'x' in a JSON array body (closed) (at byte 24)",
    b'[{"a": 1},]': "unexpected ']' in a JSON array body (expect) (at byte 10)",
    b'[{"a": 1},,{"b": 2}]': "unexpected ',' in a JSON array body (expect) (at byte 10)",
    b'[{"a": 1}x, {"b": 2}]': "unexpected 'x' in a JSON array body (after) (at byte 9)",
    b'[{"a": 1}\n,\r\n{"b": [2]} 3\n,\r\n{"c": 3}\n]': "unexpected '3' in a JSON array body (after) (at byte 24)",
    b'[{"a": 1}\n,\r\n{"b": }\n,\r\n{"c": 3}\n]': "SSE data is not JSON",
    b'[{"a": 1}\n,\r\n{"b": [1}]\n,\r\n{"c": 3}\n]': "SSE data is not JSON",
    b'[{"a": "x\n}"}\n,\r\n{"b": 2}\n]': "SSE data is not JSON",  # a raw newline in a string: "}" at column 0
    b'[{"a": "x}\n,\r\n{"}\n,\r\n{"b": 2}\n]': "SSE data is not JSON",  # Gemini's separator in a string
    b'[{"a": 1}\n,\r\n{"b": 2}x\n]': "unexpected 'x' in a JSON array body (after) (at byte 21)",
}


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_between_elements_gives_the_same_elements_and_error_at_every_cut(body: bytes, parser: str) -> None:
    for pieces in every_cut(body):
        outcome = flat(reads(JSONArrayDecoder(), pieces))
        assert outcome == flat(reads(ScanOnly(), pieces)), pieces
        assert outcome[1] is not None and outcome[1].startswith(GARBAGE[body])


GARBAGE_LATE = {  # right after an element's brace, what can follow an inner one (or one in a string)
    b'[{"a": 1}]]': "unexpected ']' in a JSON array body (closed) (at byte 10)",
    b'[{"a": 1}],': "unexpected ',' in a JSON array body (closed) (at byte 10)",
    b'[{"a": 1}"x"]': "unexpected '\"' in a JSON array body (after) (at byte 9)",
}


@pytest.mark.parametrize("body", GARBAGE_LATE)
def test_garbage_that_looks_like_more_of_an_element_is_found_later_with_the_same_error(body: bytes) -> None:
    """Only a candidate brace is tried at once; the others wait for the scan (at the latest at the end of
    the body, which then raises at once): the error is the same, and the element just before it may be
    left out when nothing but that garbage follows it."""
    for pieces in every_cut(body):
        events_, error = flat(reads(JSONArrayDecoder(), pieces))
        scan_events, scan_error = flat(reads(ScanOnly(), pieces))
        assert error == scan_error == GARBAGE_LATE[body]
        assert events_ == scan_events[: len(events_)]


def test_invalid_utf8_in_an_element_is_read_with_replacement_characters_by_both() -> None:
    body = b'[{"a": "\xff"}\n,\r\n{"b": "\xe2\x9c"}\n,\r\n{"c": 3}\n]'
    expected = [{"a": "\ufffd"}, {"b": "\ufffd"}, {"c": 3}]
    for pieces in every_cut(body):
        assert flat(reads(JSONArrayDecoder(), pieces)) == flat(reads(ScanOnly(), pieces)) == (expected, None)


@pytest.mark.parametrize("size", [71, 72])
def test_an_oversize_element_is_refused_however_the_reads_cut_it(size: int, parser: str) -> None:
    big = {"b": "x" * 63}  # 72 bytes as compact JSON
    body = array({"a": 1}, big, {"c": 3}, indent=None)
    for pieces in every_cut(body):
        outcome = reads(JSONArrayDecoder(size), pieces)
        assert outcome == reads(ScanOnly(size), pieces)
        if size < 72:
            assert outcome[1] == "a JSON array element larger than max_event_size (71 bytes) (at byte 13)"
            assert flat(outcome)[0] == [{"a": 1}]
        else:
            assert flat(outcome) == ([{"a": 1}, big, {"c": 3}], None)


@settings(max_examples=200, deadline=None)
@given(
    elements=st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=4), max_size=4),
    indent=st.sampled_from([None, 0, 2]),
    separator=st.sampled_from([b",", b"\n,\r\n", b" , ", b",\r\n", b"\n,\n"]),
    ascii_only=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_any_array_gives_each_element_in_the_read_of_its_brace(
    elements: list[dict[str, Any]], indent: int | None, separator: bytes, ascii_only: bool, cuts: list[int]
) -> None:
    dumped = [json.dumps(e, indent=indent, ensure_ascii=ascii_only).encode() for e in elements]
    body = b"[" + separator.join(dumped) + b"]"
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert reads(JSONArrayDecoder(), pieces) == (due(body, pieces), None)


class Meter:
    """Counts the bytes given to the parser, and those the regular expressions go through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = self.calls = self.searched = 0
        parse, structure, candidate = events.loads, events._STRUCTURE, JSONArrayDecoder._CANDIDATE

        def loads(data: bytes | bytearray) -> Any:
            self.parsed += len(data)
            self.calls += 1
            return parse(data)

        def searching(pattern: re.Pattern[bytes]) -> Any:
            meter = self

            class Counted:
                def search(self, buf: bytearray, pos: int) -> re.Match[bytes] | None:
                    match = pattern.search(buf, pos)
                    meter.searched += (len(buf) if match is None else match.end()) - pos
                    return match

            return Counted()

        monkeypatch.setattr(events, "loads", loads)
        monkeypatch.setattr(events, "_STRUCTURE", searching(structure))
        monkeypatch.setattr(JSONArrayDecoder, "_CANDIDATE", searching(candidate))


LARGE = {
    "pretty, many inner braces": array({"items": [{"i": i, "s": "}"} for i in range(3000)]}),
    "compact, many inner braces": array({"items": [{"i": {}} for i in range(6000)]}, indent=None),
    "a string of code": array({"text": "f({a: 1}); } else { g(); }; h(x) }" * 1500}),
    "garbage-like braces in a string": array({"text": "}x" * 20000}, indent=None),
}


@pytest.mark.parametrize("name", LARGE)
def test_a_large_element_one_byte_at_a_time_costs_linear_work(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = LARGE[name]
    meter = Meter(monkeypatch)
    decoder = JSONArrayDecoder()
    out = [event for i in range(len(body)) for event in decoder.decode(body[i : i + 1])] + decoder.flush()
    assert out == json.loads(body)
    assert meter.parsed <= 5 * len(body)  # failed attempts bounded by the element's length, then the parse
    assert meter.calls <= 40
    assert meter.searched <= 3 * len(body)  # no byte searched again and again


def test_many_elements_one_byte_at_a_time_cost_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    body = array(*[CHUNK, TRAPS, NESTED, USAGE] * 10)
    meter = Meter(monkeypatch)
    decoder = JSONArrayDecoder()
    out = [event for i in range(len(body)) for event in decoder.decode(body[i : i + 1])] + decoder.flush()
    assert out == json.loads(body)
    assert meter.parsed <= 5 * len(body)
    assert meter.searched <= 3 * len(body)


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


def test_ndjson_bad_line_comes_after_the_objects_before_it_in_the_same_read_and_sticks() -> None:
    decoder = NDJSONDecoder()
    assert decoder.decode(b'{"a": 1}\n{oops}\n{"b": 2}\n') == [{"a": 1}]
    for call in (lambda: decoder.decode(b'{"c": 3}\n'), decoder.flush):
        with pytest.raises(TranslationError, match="NDJSON line is not JSON") as info:
            call()
        assert info.value.where == "event #2"


def test_ndjson_last_line_cut_short_is_dropped_at_the_end() -> None:
    decoder = NDJSONDecoder()
    assert decoder.decode(b'{"a": 1}\n{"b": ') == [{"a": 1}]
    assert decoder.flush() == []
    whole = NDJSONDecoder()
    assert whole.decode(b'{"a": 1}\n{"b": 2}') == [{"a": 1}] and whole.flush() == [{"b": 2}]


def test_ndjson_long_line_is_refused_after_the_lines_before_it() -> None:
    decoder = NDJSONDecoder(max_event_size=50)
    assert decoder.decode(b'{"a": 1}\n' + b"z" * 80 + b"\n") == [{"a": 1}]
    with pytest.raises(TranslationError, match="longer than max_event_size"):
        decoder.decode(b"")
    with pytest.raises(TranslationError, match="longer than max_event_size"):
        decoder.flush()  # the long line is refused, not read as a last line cut short


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
