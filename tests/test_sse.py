"""The SSE layer, against the WHATWG spec's own examples and its line-ending and field rules."""

from __future__ import annotations

import pytest

from translators import TranslationError
from translators.sse import (
    DONE,
    LineDecoder,
    SSEDecoder,
    SSEEvent,
    encode_comment,
    encode_event,
    encode_json,
)


def decode_all(body: bytes, *, pieces: int | None = None, max_event_size: int = 1 << 20) -> list[SSEEvent]:
    decoder = SSEDecoder(max_event_size)
    step = pieces or max(len(body), 1)
    events: list[SSEEvent] = []
    for i in range(0, len(body), step):
        events.extend(decoder.decode(body[i : i + step]))
    events.extend(decoder.flush())
    return events


def every_split(body: bytes) -> list[list[SSEEvent]]:
    """The body decoded whole, byte by byte, and cut in two at every offset."""
    results = [decode_all(body), decode_all(body, pieces=1)]
    for cut in range(1, len(body)):
        decoder = SSEDecoder()
        results.append(decoder.decode(body[:cut]) + decoder.decode(body[cut:]) + decoder.flush())
    return results


# -- the spec's examples (html.spec.whatwg.org, "9.2.6 Interpreting an event stream") ---------------


def test_spec_example_stock_ticker_multiline_data() -> None:
    body = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    assert decode_all(body) == [SSEEvent("message", "YHOO\n+2\n10")]


def test_spec_example_comment_ids_and_unterminated_last_event() -> None:
    body = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
    # The spec drops the last event (no blank line before EOF); flush() dispatches it (documented leniency).
    assert decode_all(body) == [
        SSEEvent("message", "first event", "1"),
        SSEEvent("message", "second event", ""),
        SSEEvent("message", " third event", ""),
    ]


def test_spec_example_empty_data_lines() -> None:
    body = b"data\n\ndata\ndata\n\ndata:"
    assert decode_all(body) == [SSEEvent("message", ""), SSEEvent("message", "\n"), SSEEvent("message", "")]


def test_spec_example_space_after_colon_is_optional() -> None:
    assert decode_all(b"data:test\n\ndata: test\n\n") == [SSEEvent("message", "test")] * 2


# -- line endings and chunk boundaries ------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings_give_the_same_events_at_every_split(eol: bytes) -> None:
    body = eol.join([b"event: message_start", b'data: {"a": 1}', b"", b": ping", b"data: x", b"data: y", b"", b""])
    expected = [SSEEvent("message_start", '{"a": 1}'), SSEEvent("message", "x\ny")]
    for result in every_split(body):
        assert result == expected


def test_cr_then_lf_in_the_next_read_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: a\r") == []
    assert decoder.decode(b"\n\r") == [SSEEvent("message", "a")]
    assert decoder.decode(b"\ndata: b\r\r") == [SSEEvent("message", "b")]


def test_empty_reads_change_nothing_even_between_cr_and_lf() -> None:
    decoder = SSEDecoder()
    pieces = [b"data: {\r", b"", b"\ndata: }\r", b"", b"", b"\n\r", b"", b"\n"]
    events = [e for piece in pieces for e in decoder.decode(piece)]
    assert events + decoder.flush() == [SSEEvent("message", "{\n}")]


def test_utf8_sequence_split_across_reads() -> None:
    body = "data: héllo 👋 世界\n\n".encode()
    for result in every_split(body):
        assert result == [SSEEvent("message", "héllo 👋 世界")]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert decode_all(b"data: a\xffb\n\n") == [SSEEvent("message", "a\ufffdb")]


def test_leading_bom_is_dropped_once_even_when_split() -> None:
    body = b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n"
    for result in every_split(body):
        # only the stream's first BOM is dropped; a later one makes the line's field name unknown
        assert result == [SSEEvent("message", "a")]


# -- fields ---------------------------------------------------------------------------------------


def test_event_name_resets_after_dispatch_and_after_an_empty_event() -> None:
    body = b"event: a\ndata: 1\n\ndata: 2\n\nevent: b\n\ndata: 3\n\n"
    assert [(e.event, e.data) for e in decode_all(body)] == [("a", "1"), ("message", "2"), ("message", "3")]


def test_id_persists_and_null_ids_are_ignored() -> None:
    body = b"id: 7\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\n"
    assert [e.id for e in decode_all(body)] == ["7", "7", "7"]


def test_retry_takes_digits_only() -> None:
    events = decode_all(b"retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\n")
    assert [e.retry for e in events] == [1500, None]


def test_unknown_fields_and_field_without_colon_are_ignored() -> None:
    assert decode_all(b"foo: bar\nbaz\ndata: ok\n\n") == [SSEEvent("message", "ok")]


def test_only_one_leading_space_is_removed() -> None:
    assert decode_all(b"data:   spaced  \n\n") == [SSEEvent("message", "  spaced  ")]


def test_comments_only_produce_nothing() -> None:
    assert decode_all(b": OPENROUTER PROCESSING\n\n: keep-alive\n\n") == []


def test_body_with_no_trailing_line_end_flushes_last_event() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: {}") == []
    assert decoder.flush() == [SSEEvent("message", "{}")]
    assert decoder.flush() == []


# -- bounded memory -------------------------------------------------------------------------------


def test_unterminated_line_over_the_limit_raises_and_keeps_no_buffer() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(TranslationError, match="max_event_size") as info:
        for _ in range(100):
            decoder.decode(b"x" * 100)
    assert "byte" in (info.value.where or "")
    with pytest.raises(TranslationError):  # the decoder stays failed
        decoder.decode(b"\n\n")


def test_event_over_the_limit_raises() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(TranslationError, match="larger than max_event_size"):
        for _ in range(20):
            decoder.decode(b"data: " + b"y" * 90 + b"\n")


def test_events_before_an_oversized_line_are_delivered_first() -> None:
    decoder = SSEDecoder(max_event_size=100)
    events = decoder.decode(b"data: a\n\n" + b"z" * 500)
    assert events == [SSEEvent("message", "a")]
    with pytest.raises(TranslationError):
        decoder.decode(b"more")
    with pytest.raises(TranslationError):
        decoder.flush()


def test_line_decoder_mixed_line_ends_in_one_read_and_no_other_control_byte_ends_a_line() -> None:
    lines = LineDecoder()
    assert lines.decode(b"a\r\nb\rc\nd\x0be\x0cf\x1c\x85g\r\r\nh") == [b"a", b"b", b"c", b"d\x0be\x0cf\x1c\x85g", b""]
    assert lines.decode(b"\n") == [b"h"]


def test_line_decoder_counts_bytes_consumed() -> None:
    lines = LineDecoder()
    assert lines.decode(b"ab\r") == [b"ab"]
    assert lines.decode(b"\ncd") == []
    assert lines.offset == 6
    assert lines.flush() == [b"cd"]


# -- encoder --------------------------------------------------------------------------------------


def test_encode_json_is_one_compact_data_line() -> None:
    assert encode_json({"a": [1, "é"]}) == b'data: {"a":[1,"\xc3\xa9"]}\n\n'


def test_encode_event_round_trips_through_the_decoder() -> None:
    wire = encode_event("line 1\nline 2\r\nline 3", event="update", id="42")
    assert decode_all(wire) == [SSEEvent("update", "line 1\nline 2\nline 3", "42")]


def test_done_and_comment() -> None:
    assert DONE == b"data: [DONE]\n\n"
    assert encode_comment("keep-alive") == b": keep-alive\n\n"
    assert decode_all(encode_comment("x") + encode_comment()) == []


def test_line_limit_holds_however_the_reads_cut_the_line() -> None:
    body = b"data: a\n\n" + b"x" * 40 + b"\ndata: b\n\n"
    for step in (1, 7, len(body)):
        decoder = SSEDecoder(max_event_size=32)
        events: list[SSEEvent] = []
        with pytest.raises(TranslationError, match="max_event_size"):
            for i in range(0, len(body), step):
                events.extend(decoder.decode(body[i : i + step]))
            events.extend(decoder.flush())
        assert events == [SSEEvent("message", "a")], step  # nothing after the long line
