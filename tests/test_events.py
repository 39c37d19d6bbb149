"""The JSON layer: SSE events whose data is a JSON object → event dicts, in one pass."""

from __future__ import annotations

import pytest

from translators import TranslationError
from translators.events import JSONEventDecoder, json_object


def decode(body: bytes, step: int | None = None) -> list[dict[str, object]]:
    decoder = JSONEventDecoder()
    size = step or len(body) or 1
    events = []
    for i in range(0, len(body), size):
        events.extend(decoder.decode(body[i : i + size]))
    return events + decoder.flush()


def test_data_objects_come_out_as_dicts_with_padding_tolerated() -> None:
    body = b'event: ping\ndata: {"type": "ping"}\n\nevent: x\ndata: {"type":"x","a":1}      \n\n'
    assert decode(body) == decode(body, step=1) == [{"type": "ping"}, {"type": "x", "a": 1}]


def test_event_name_fills_a_missing_type_but_never_overrides_one() -> None:
    body = b'event: error\ndata: {"error": {"message": "m"}}\n\nevent: a\ndata: {"type": "b"}\n\ndata: {"k": 1}\n\n'
    assert decode(body) == [{"type": "error", "error": {"message": "m"}}, {"type": "b"}, {"k": 1}]


def test_events_with_empty_data_are_skipped() -> None:
    body = b'data:\n\nevent: ping\ndata: \n\ndata:  \ndata:\n\ndata: {"type": "t"}\n\n'
    assert decode(body) == decode(body, step=1) == [{"type": "t"}]


def test_multi_line_data_is_one_json_document() -> None:
    assert decode(b'data: {"type":\ndata: "t"}\n\n') == [{"type": "t"}]


def test_invalid_utf8_in_a_string_is_read_with_replacement_characters() -> None:
    assert decode(b'data: {"type": "t", "s": "a\xffb"}\n\n') == [{"type": "t", "s": "a\ufffdb"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"data: {nope\n\n", "not JSON"), (b"data: [1]\n\n", "JSON list, not an object"), (b"data: 3\n\n", "JSON int")],
)
def test_bad_data_raises_with_the_event_ordinal(data: bytes, message: str) -> None:
    decoder = JSONEventDecoder()
    assert decoder.decode(b'data: {"type": "ok"}\n\n') == [{"type": "ok"}]
    with pytest.raises(TranslationError, match=message) as info:
        decoder.decode(data)
    assert info.value.where == "event #2"


def test_events_before_a_bad_one_in_the_same_read_are_delivered_first() -> None:
    decoder = JSONEventDecoder()
    assert decoder.decode(b'data: {"type": "a"}\n\ndata: nope\n\n') == [{"type": "a"}]
    with pytest.raises(TranslationError, match="not JSON"):
        decoder.flush()


def test_json_object_from_text() -> None:
    assert json_object('{"a": 1}', "named", 1) == {"a": 1, "type": "named"}
    with pytest.raises(TranslationError, match="not JSON"):
        json_object("{", "message", 4)


def test_json_event_decoder_keeps_a_typeless_object_and_names_it_from_the_event() -> None:
    from translators.events import JSONEventDecoder

    decoder = JSONEventDecoder()
    body = b'data: {"a": 1}\r\n\r\nevent: ping\ndata: {"b": 2}\n\nevent: message\ndata: {"c": 3}\n\n'
    assert decoder.decode(body) == [{"a": 1}, {"b": 2, "type": "ping"}, {"c": 3}]


def test_json_document_decoder_reads_the_whole_body_at_flush() -> None:
    from translators.errors import TranslationError
    from translators.events import JSONDocumentDecoder

    body = b'{\n  "error": {\n    "code": 429,\n    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n'
    decoder = JSONDocumentDecoder()
    assert [e for i in range(len(body)) for e in decoder.decode(body[i : i + 1])] == []
    assert decoder.flush() == [{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}]
    assert JSONDocumentDecoder().flush() == []
    small = JSONDocumentDecoder(max_event_size=10)
    with pytest.raises(TranslationError, match="max_event_size"):
        small.decode(body)
    bad = JSONDocumentDecoder()
    bad.decode(b"{nope")
    with pytest.raises(TranslationError, match="not JSON"):
        bad.flush()


def test_done_marker_is_an_event_only_for_decoders_that_read_it() -> None:
    from translators.events import DONE_EVENT
    from translators.providers.openai_chat import ChatDecoder

    body = b'data: {"a": 1}\n\ndata: [DONE]\n\n'
    assert ChatDecoder().decode(body) == [{"a": 1}, {"type": DONE_EVENT}]
    with pytest.raises(TranslationError, match="not JSON"):
        JSONEventDecoder().decode(b"data: [DONE]\n\n")
    with pytest.raises(TranslationError, match="not JSON"):  # only the exact marker
        ChatDecoder().decode(b"data: [DONE]x\n\n")


def test_a_last_event_cut_inside_its_json_is_dropped_so_the_stream_reads_as_truncated() -> None:
    decoder = JSONEventDecoder()
    assert decoder.decode(b'data: {"a": 1}\n\ndata: {"b": ') == [{"a": 1}]
    assert decoder.flush() == []
    complete = JSONEventDecoder()  # a whole last event without its blank line still counts
    assert complete.decode(b'data: {"a": 1}\n\ndata: {"b": 2}') == [{"a": 1}]
    assert complete.flush() == [{"b": 2}]
    with pytest.raises(TranslationError, match="not JSON"):  # before the end, bad data is still an error
        JSONEventDecoder().decode(b'data: {"b": \n\n')


def test_a_body_cut_inside_an_event_ends_as_upstream_truncated() -> None:
    from translators import stream

    body = b'event: message_start\ndata: {"type": "message_start", "message": {"id": "m", "model": "x"'
    out = b"".join(stream("anthropic", [body], created=1))
    assert b'"type":"upstream_truncated"' in out and b"[DONE]" not in out
