"""AWS event-stream framing: an encoder written here, real Bedrock recordings, corruption, properties.

The recordings are checked against this file's encoder (re-encoding the decoded frames must give the
recorded bytes back exactly) and against botocore, a dev dependency: `BotocoreJSONFrameDecoder`, which
hands each message to botocore's ``EventStreamBuffer``, and `BotocoreHeadersJSONFrameDecoder` (the
default), which has botocore parse the header blocks, must give the same dicts and the same errors as
`JSONFrameDecoder` at every cut, on the recordings and on generated frames.
"""

from __future__ import annotations

import itertools
import json
import random
import struct
import sys
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_real_streams import REAL
from translators.errors import TranslationError
from translators.eventstream import (
    BotocoreHeadersJSONFrameDecoder,
    BotocoreJSONFrameDecoder,
    EventStreamFrameDecoder,
    Frame,
    FrameDecoderBase,
    JSONFrameDecoder,
    _CachedHeaders,
    encode_event,
    encode_message,
    json_frame_decoder,
)

BEDROCK = sorted((REAL / "bedrock").glob("*.eventstream")) if REAL is not None else []
CONVERSE_STREAM_EVENTS = {
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
}


# --- the encoder -------------------------------------------------------------------------------------


def header(name: str, value: Any, value_type: int | None = None) -> bytes:
    """One header; the type is guessed from the value (bool, int → long, bytes, str) unless given."""
    if value_type is None:
        if isinstance(value, bool):
            value_type = 0 if value else 1
        elif isinstance(value, int):
            value_type = 5
        elif isinstance(value, bytes):
            value_type = 6
        else:
            value_type = 7
    raw_name = name.encode()
    out = bytes([len(raw_name)]) + raw_name + bytes([value_type])
    if value_type in (0, 1):
        return out
    if value_type in (2, 3, 4, 5, 8):
        return out + struct.pack({2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}[value_type], value)
    if value_type in (6, 7):
        raw = value if isinstance(value, bytes) else value.encode()
        return out + struct.pack(">H", len(raw)) + raw
    assert value_type == 9
    return out + value


def frame_bytes(raw_headers: bytes, payload: bytes, *, total: int | None = None, hlen: int | None = None) -> bytes:
    """A message around already-encoded headers; ``total``/``hlen`` override the lengths (CRCs still right)."""
    total = len(raw_headers) + len(payload) + 16 if total is None else total
    hlen = len(raw_headers) if hlen is None else hlen
    prelude = struct.pack(">II", total, hlen)
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def encode(headers: dict[str, Any], payload: bytes = b"") -> bytes:
    return frame_bytes(b"".join(header(name, value) for name, value in headers.items()), payload)


def event(event_type: str, value: Any) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode(headers, json.dumps(value).encode())


def frames(body: bytes, cuts: list[int] | None = None, **kwargs: Any) -> list[Frame]:
    decoder = EventStreamFrameDecoder(**kwargs)
    out: list[Frame] = []
    points = [0, *(cuts or []), len(body)]
    for a, b in itertools.pairwise(points):
        out.extend(decoder.decode(body[a:b]))
    return out + decoder.flush()


def events(body: bytes, step: int | None = None) -> list[dict[str, Any]]:
    decoder = JSONFrameDecoder()
    size = step or len(body) or 1
    out: list[dict[str, Any]] = []
    for i in range(0, len(body), size):
        out.extend(decoder.decode(body[i : i + size]))
    return out + decoder.flush()


def error_of(body: bytes, **kwargs: Any) -> TranslationError:
    with pytest.raises(TranslationError) as info:
        frames(body, **kwargs)
    return info.value


ALL_TYPES = [
    ("t", True, 0),
    ("f", False, 1),
    ("byte", -128, 2),
    ("short", -32768, 3),
    ("int", 2**31 - 1, 4),
    ("long", -(2**63), 5),
    ("bytes", b"\x00\xff" * 3, 6),
    ("string", "h\u00e9llo \U0001f600", 7),
    ("ts", 1_700_000_000_123, 8),
    ("uuid", uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF).bytes, 9),
]


# --- round trips ---------------------------------------------------------------------------------------


def test_all_ten_header_types_round_trip() -> None:
    raw = b"".join(header(name, value, kind) for name, value, kind in ALL_TYPES)
    body = frame_bytes(raw, b"payload \x00\xff")
    [frame] = frames(body)
    assert frame == Frame({name: value for name, value, _ in ALL_TYPES}, b"payload \x00\xff")
    assert frame.headers["t"] is True and frame.headers["f"] is False
    assert all(frames(body, [cut]) == [frame] for cut in range(len(body) + 1))


def test_empty_frames_and_a_repeated_header_is_refused() -> None:
    assert frames(frame_bytes(b"", b"")) == [Frame({}, b"")]
    assert frames(frame_bytes(header("a", 1) + header("", False), b"x")) == [Frame({"a": 1, "": False}, b"x")]
    with pytest.raises(TranslationError, match="name 'a' is repeated"):
        frames(frame_bytes(header("a", 1) + header("a", "two"), b"x"))


def test_every_split_and_one_byte_reads_decode_identically() -> None:
    body = b"".join(encode({":event-type": f"e{i}", "n": i}, b"p" * i) for i in range(5))
    whole = frames(body)
    assert [f.headers["n"] for f in whole] == [0, 1, 2, 3, 4]
    for cut in range(len(body) + 1):
        assert frames(body, [cut]) == whole
    assert frames(body, list(range(1, len(body)))) == whole


def test_offset_and_frame_count() -> None:
    body = encode({"a": 1}, b"xy") * 3
    decoder = EventStreamFrameDecoder()
    assert decoder.decode(body[:-5]) == [Frame({"a": 1}, b"xy")] * 2
    assert (decoder.offset, decoder.frames) == (len(body) - 5, 2)
    assert decoder.decode(b"") == []
    assert decoder.decode(body[-5:]) == [Frame({"a": 1}, b"xy")]
    assert (decoder.offset, decoder.frames) == (len(body), 3)
    assert decoder.flush() == []


def test_the_base_class_says_what_a_message_becomes() -> None:
    with pytest.raises(NotImplementedError):
        FrameDecoderBase[Frame]().decode(encode({}))


# --- real recordings -------------------------------------------------------------------------------


def test_bedrock_recordings_are_found_when_the_folder_exists() -> None:
    if REAL is None:
        assert BEDROCK == []
    else:
        assert len(BEDROCK) >= 3, f"{REAL} exists but has no bedrock/*.eventstream"


@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_recording_decodes_identically_at_every_cut(path: Path) -> None:
    body = path.read_bytes()
    whole = frames(body)
    assert whole
    # re-encoding gives the recorded bytes back: the headers (order, types) and payloads are exact
    assert b"".join(encode(f.headers, f.payload) for f in whole) == body
    if len(body) <= 20_000:
        cuts: list[list[int]] = [[cut] for cut in range(len(body) + 1)]
    else:  # pragma: no cover - the recordings are small
        cuts = [[random.Random(n).randrange(len(body) + 1)] for n in range(2000)]
    rng = random.Random(path.name)
    cuts += [sorted(rng.sample(range(1, len(body)), rng.randint(2, 40))) for _ in range(200)]
    cuts.append(list(range(1, len(body))))
    for points in cuts:
        assert frames(body, points) == whole, points


@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_recording_is_a_converse_stream(path: Path) -> None:
    body = path.read_bytes()
    for frame in frames(body):
        assert frame.headers.keys() == {":event-type", ":content-type", ":message-type"}
        assert frame.headers[":message-type"] == "event"
        assert frame.headers[":content-type"] == "application/json"
    decoded = events(body)
    assert decoded == events(body, step=1) == events(body, step=7)
    types = [next(iter(e)) for e in decoded]
    assert all(len(e) == 1 for e in decoded)
    assert set(types) <= CONVERSE_STREAM_EVENTS
    assert types[0] == "messageStart" and types[-2:] == ["messageStop", "metadata"]
    assert decoded[0]["messageStart"]["role"] == "assistant"
    usage = decoded[-1]["metadata"]["usage"]
    assert usage["inputTokens"] + usage["outputTokens"] == usage["totalTokens"]
    # Bedrock pads every payload with a random-length prefix of the alphabet in "p"
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    assert all(alphabet.startswith(next(iter(e.values()))["p"]) for e in decoded)


@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_recording_every_flipped_byte_and_every_truncation_is_refused(path: Path) -> None:
    body = path.read_bytes()
    ends, end = set(), 0
    for frame in frames(body):
        end += len(encode(frame.headers, frame.payload))
        ends.add(end)
    for i in range(len(body)):
        bad = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1 :]
        with pytest.raises(TranslationError):
            frames(bad)
        if i not in ends and i:
            assert "ended inside" in error_of(body[:i]).reason


# --- corruption -------------------------------------------------------------------------------------


GOOD = encode({":event-type": "x", "n": 7}, b'{"a": 1}')


def flip(body: bytes, i: int) -> bytes:
    return body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]


@pytest.mark.parametrize("i", [0, 3, 4, 7, 8, 11])
def test_flipped_prelude_byte_is_a_prelude_crc_error(i: int) -> None:
    err = error_of(GOOD + flip(GOOD, i))
    assert "prelude CRC" in err.reason and err.where == f"byte {len(GOOD)}"


@pytest.mark.parametrize("i", [12, 20, len(GOOD) - 5, len(GOOD) - 4, len(GOOD) - 1])
def test_flipped_header_payload_or_crc_byte_is_a_message_crc_error(i: int) -> None:
    err = error_of(flip(GOOD, i))
    assert "message CRC" in err.reason and err.where == f"byte {len(GOOD) - 4}"


def test_lengths_with_valid_crcs_are_checked() -> None:
    assert "below the minimum" in error_of(frame_bytes(b"", b"", total=15)).reason
    assert "below the minimum" in error_of(frame_bytes(b"", b"", total=0)).reason
    assert "does not fit" in error_of(frame_bytes(b"", b"", total=16, hlen=1)).reason
    assert "does not fit" in error_of(frame_bytes(b"", b"x" * 10, hlen=2**32 - 1)).reason
    # a total_length that claims more than is there: the body ends inside the frame
    assert "ended inside" in error_of(frame_bytes(b"", b"", total=17)).reason
    # one that claims less: the message CRC is read from the wrong place
    assert "CRC" in error_of(frame_bytes(header("a", "b"), b"xyz", total=23)).reason


NAME = bytes([1]) + b"n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (bytes([5]) + b"ab", "runs past"),  # name longer than the headers
        (NAME, "runs past"),  # no value type byte
        (NAME + bytes([2]), "runs past"),
        (NAME + bytes([3, 0]), "runs past"),
        (NAME + bytes([4, 0, 0, 0]), "runs past"),
        (NAME + bytes([5]) + bytes(7), "runs past"),
        (NAME + bytes([8]) + bytes(7), "runs past"),
        (NAME + bytes([6, 0]), "runs past"),
        (NAME + bytes([7, 0, 5]) + b"abcd", "runs past"),
        (NAME + bytes([9]) + bytes(15), "runs past"),
        (NAME + bytes([10]), "unknown value type 10"),
        (NAME + bytes([255]), "unknown value type 255"),
        (bytes([1, 0xFF, 0]), "not valid UTF-8"),
        (NAME + bytes([7, 0, 2]) + b"\xc3\x28", "not valid UTF-8"),
    ],
)
def test_ill_formed_headers_under_valid_crcs(raw: bytes, reason: str) -> None:
    err = error_of(GOOD + frame_bytes(header("ok", 1) + raw, b"payload"))
    assert reason in err.reason
    assert err.where == f"byte {len(GOOD) + 12 + len(header('ok', 1))}"


def test_flipped_header_type_byte() -> None:
    raw = header("a", "b")
    i = 12 + 2  # the value type of header "a"
    assert "message CRC" in error_of(flip(frame_bytes(raw, b""), i)).reason
    assert "unknown value type" in error_of(frame_bytes(raw[:2] + bytes([42]) + raw[3:], b"")).reason


def test_oversize_frame_is_refused_from_its_prelude() -> None:
    big = encode({"a": 1}, b"x" * 1000)
    decoder = EventStreamFrameDecoder(max_event_size=500)
    assert decoder.decode(big[:11]) == []
    with pytest.raises(TranslationError, match="larger than max_event_size") as info:
        decoder.decode(big[11:12])
    assert info.value.where == "byte 0"
    assert frames(big, max_event_size=len(big)) == [Frame({"a": 1}, b"x" * 1000)]
    assert "larger than" in error_of(big, max_event_size=len(big) - 1).reason


def test_truncated_body_raises_at_flush() -> None:
    decoder = EventStreamFrameDecoder()
    assert decoder.decode(GOOD + GOOD[:5]) == [Frame({":event-type": "x", "n": 7}, b'{"a": 1}')]
    with pytest.raises(TranslationError, match="ended inside an event-stream frame") as info:
        decoder.flush()
    assert info.value.where == f"byte {len(GOOD)}"
    with pytest.raises(TranslationError, match="ended inside"):  # and it stays broken
        decoder.flush()


def test_frames_before_an_error_come_out_first_then_it_sticks() -> None:
    decoder = EventStreamFrameDecoder()
    out = decoder.decode(GOOD + flip(GOOD, 0))
    assert len(out) == 1
    for call in (lambda: decoder.decode(GOOD), decoder.flush):
        with pytest.raises(TranslationError, match="prelude CRC"):
            call()


# --- the JSON layer ---------------------------------------------------------------------------------


def test_events_are_keyed_by_event_type() -> None:
    body = event("messageStart", {"role": "assistant"}) + event("contentBlockDelta", {"delta": {"text": "hi"}})
    assert (
        events(body)
        == events(body, step=1)
        == [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"delta": {"text": "hi"}}},
        ]
    )
    assert events(encode({":message-type": "event", ":event-type": "ping"}, b" ")) == [{"ping": {}}]


def test_exception_frames_become_the_error_dict() -> None:
    headers = {":exception-type": "throttlingException", ":content-type": "application/json"}
    headers[":message-type"] = "exception"
    body = event("messageStart", {"role": "assistant"}) + encode(headers, b'{"message":"Too many requests"}')
    assert events(body) == [
        {"messageStart": {"role": "assistant"}},
        {"error": {"type": "throttlingException", "message": "Too many requests", "headers": headers}},
    ]
    [capital] = events(encode(headers, b'{"Message":"slow down"}'))
    assert capital["error"]["message"] == "slow down"
    error = {":message-type": "error", ":error-code": "InternalError", ":error-message": "We hit a snag"}
    assert events(encode(error)) == [{"error": {"type": "InternalError", "message": "We hit a snag", "headers": error}}]
    [bare] = events(encode({":message-type": "exception"}, b'{"message": 3}'))
    assert bare == {"error": {"type": "exception", "message": "", "headers": {":message-type": "exception"}}}


@pytest.mark.parametrize(
    ("headers", "payload", "reason"),
    [
        ({":message-type": "event", ":event-type": "x"}, b"{nope", "not JSON"),
        ({":message-type": "event", ":event-type": "x"}, b'{"a": "\xff"}', "not JSON"),
        ({":message-type": "event", ":event-type": "x"}, b"[1]", "JSON list, not an object"),
        ({":message-type": "exception"}, b"nope", "not JSON"),
        ({":message-type": "event"}, b"{}", "no :event-type"),
        ({":message-type": "event", ":event-type": 3}, b"{}", "no :event-type"),
        ({":message-type": "request"}, b"{}", "'request' is not event"),
        ({}, b"{}", "None is not event"),
    ],
)
def test_json_layer_errors(headers: dict[str, Any], payload: bytes, reason: str) -> None:
    body = event("a", {}) + encode(headers, payload)
    decoder = JSONFrameDecoder()
    assert decoder.decode(body) == [{"a": {}}]
    with pytest.raises(TranslationError) as info:
        decoder.flush()
    assert reason in info.value.reason and info.value.where == f"byte {len(event('a', {}))}"


# --- properties -------------------------------------------------------------------------------------


def _decode_all(body: bytes, cuts: list[int], max_event_size: int = 4096) -> list[Any]:
    decoder = JSONFrameDecoder(max_event_size=max_event_size)
    out: list[Any] = []
    points = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    try:
        for a, b in itertools.pairwise(points):
            out.extend(decoder.decode(body[a:b]))
        out.extend(decoder.flush())
    except TranslationError:
        out.append("error")
    return out


@settings(max_examples=300)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=5))
def test_any_bytes_raise_only_translation_errors(body: bytes, cuts: list[int]) -> None:
    _decode_all(body, cuts)
    _decode_all(body, cuts, max_event_size=0)


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.binary(max_size=40), st.binary(max_size=40)), min_size=1, max_size=4),
    st.binary(max_size=20),
    st.lists(st.integers(0, 500), max_size=6),
)
def test_well_framed_garbage_raises_only_translation_errors_and_cuts_do_not_matter(
    parts: list[tuple[bytes, bytes]], tail: bytes, cuts: list[int]
) -> None:
    body = b"".join(frame_bytes(raw, payload) for raw, payload in parts) + tail
    assert _decode_all(body, cuts) == _decode_all(body, [])


@settings(max_examples=200)
@given(
    st.lists(
        st.dictionaries(st.sampled_from([n for n, _, _ in ALL_TYPES] + [":x", "é"]), st.sampled_from(ALL_TYPES)),
        max_size=5,
    ),
    st.lists(st.integers(0, 2000), max_size=8),
)
def test_encoded_frames_round_trip_under_any_cuts(headers: list[dict[str, Any]], cuts: list[int]) -> None:
    messages = [({name: v for name, (_, v, _) in h.items()}, bytes(len(h))) for h in headers]
    body = b"".join(
        frame_bytes(b"".join(header(name, v, kind) for name, (_, v, kind) in h.items()), bytes(len(h))) for h in headers
    )
    points = sorted(c % (len(body) + 1) for c in cuts)
    assert frames(body, points) == [Frame(h, p) for h, p in messages]


# --- botocore's decoder ------------------------------------------------------------------------------

BOTOCORE_DECODERS = [BotocoreHeadersJSONFrameDecoder, BotocoreJSONFrameDecoder]
JSON_DECODERS = [JSONFrameDecoder, *BOTOCORE_DECODERS]


def outcome(cls: type[JSONFrameDecoder], body: bytes, points: list[int], max_event_size: int = 4096) -> list[Any]:
    """The dicts a decoder gives for ``body`` read in the pieces ``points`` cut; an error ends the list as
    ``("error", where)``."""
    decoder = cls(max_event_size=max_event_size)
    out: list[Any] = []
    try:
        for a, b in itertools.pairwise([0, *points, len(body)]):
            out.extend(decoder.decode(body[a:b]))
        out.extend(decoder.flush())
    except TranslationError as exc:
        out.append(("error", exc.where.split()[0] if exc.where else None))
    return out


@pytest.mark.parametrize("cls", BOTOCORE_DECODERS)
@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_botocore_decoder_gives_the_same_dicts_at_every_cut(path: Path, cls: type[JSONFrameDecoder]) -> None:
    body = path.read_bytes()
    whole = outcome(JSONFrameDecoder, body, [])
    assert whole and ("error", "byte") not in whole
    assert outcome(cls, body, []) == whole
    for cut in range(len(body) + 1):
        assert outcome(cls, body, [cut]) == whole, cut
    assert outcome(cls, body, list(range(1, len(body)))) == whole


@pytest.mark.parametrize("cls", BOTOCORE_DECODERS)
@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_botocore_decoder_refuses_every_flip_and_truncation_as_ours_does(
    path: Path, cls: type[JSONFrameDecoder]
) -> None:
    body = path.read_bytes()
    rng = random.Random(path.name)
    for i in sorted(rng.sample(range(len(body)), min(len(body), 300))):
        bad = body[:i] + bytes([body[i] ^ (1 << rng.randrange(8))]) + body[i + 1 :]
        ours, theirs = outcome(JSONFrameDecoder, bad, []), outcome(cls, bad, [])
        assert ours[-1][0] == theirs[-1][0] == "error" and ours[:-1] == theirs[:-1], i
    for end in range(0, len(body), 37):
        assert outcome(cls, body[:end], []) == outcome(JSONFrameDecoder, body[:end], [])


@pytest.mark.parametrize("path", BEDROCK, ids=lambda p: p.stem)
def test_encoders_reproduce_the_recordings_byte_for_byte(path: Path) -> None:
    body = path.read_bytes()
    assert b"".join(encode_message(f.headers, f.payload) for f in frames(body)) == body
    assert b"".join(encode_event(e) for e in events(body)) == body


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.binary(max_size=40), st.binary(max_size=40)), min_size=1, max_size=4),
    st.binary(max_size=20),
    st.lists(st.integers(0, 500), max_size=6),
)
def test_botocore_decoder_agrees_on_well_framed_garbage(
    parts: list[tuple[bytes, bytes]], tail: bytes, cuts: list[int]
) -> None:
    body = b"".join(frame_bytes(raw, payload) for raw, payload in parts) + tail
    points = sorted(c % (len(body) + 1) for c in cuts)
    ours = outcome(JSONFrameDecoder, body, points)
    for cls in BOTOCORE_DECODERS:
        theirs = outcome(cls, body, points)
        assert [x for x in theirs if type(x) is dict] == [x for x in ours if type(x) is dict]
        assert (type(ours[-1]) is tuple) == (type(theirs[-1]) is tuple)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
header_values = st.one_of(
    st.text(max_size=20),
    st.binary(max_size=20),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
)


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.text(min_size=1, max_size=20).filter(lambda kind: kind != "error"),
                st.dictionaries(st.text(max_size=8), json_values, max_size=4),
            ),
            st.tuples(st.just("error"), st.fixed_dictionaries({"type": st.text(max_size=20), "message": st.text()})),
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(0, 3000), max_size=6),
)
def test_encode_event_round_trips_through_both_decoders(items: list[tuple[str, Any]], cuts: list[int]) -> None:
    body = b"".join(encode_event({kind: value}) for kind, value in items)
    points = sorted(c % (len(body) + 1) for c in cuts)
    expected = []
    for kind, value in items:
        if kind == "error":
            headers = {":exception-type": value["type"], ":content-type": "application/json"}
            headers[":message-type"] = "exception"
            expected.append({"error": {**value, "headers": headers}})
        else:
            expected.append({kind: value})
    for cls in JSON_DECODERS:
        assert outcome(cls, body, points) == expected


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.dictionaries(st.text(max_size=10), header_values, max_size=5), st.binary(max_size=50)),
        min_size=1,
        max_size=4,
    )
)
def test_encode_message_round_trips_through_the_frame_decoder_and_botocore(
    messages: list[tuple[dict[str, Any], bytes]],
) -> None:
    from botocore.eventstream import EventStreamBuffer

    body = b"".join(encode_message(headers, payload) for headers, payload in messages)
    assert frames(body) == [Frame(h, p) for h, p in messages]
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    assert [(m.headers, m.payload) for m in buffer] == messages


def test_encode_event_refuses_a_dict_without_exactly_one_key() -> None:
    with pytest.raises(ValueError, match="exactly one key, not 2"):
        encode_event({"a": {}, "b": {}})
    with pytest.raises(ValueError, match="not 0"):
        encode_event({})
    for bad in ({"message": "no type"}, "text", {"type": 5}):
        with pytest.raises(ValueError, match='an "error" event is'):
            encode_event({"error": bad})


def test_encode_message_header_types() -> None:
    [frame] = frames(encode_message({"s": "x", "b": b"\x00", "t": True, "f": False, "i": -5}, b"p"))
    assert frame == Frame({"s": "x", "b": b"\x00", "t": True, "f": False, "i": -5}, b"p")
    raw = encode_message({"i": 1})
    assert raw[12:15] == b"\x01i\x05"  # an int is an i64 (type 5)


@pytest.mark.parametrize("cls", JSON_DECODERS)
@pytest.mark.parametrize("total", [0, 1, 15])
def test_a_total_length_below_16_with_a_valid_prelude_crc_is_refused_not_looped_on(
    cls: type[JSONFrameDecoder], total: int
) -> None:
    body = event("a", {}) + frame_bytes(b"", b"", total=total) + event("b", {})
    assert outcome(cls, body, []) == [{"a": {}}, ("error", "byte")]
    decoder = cls()
    assert decoder.decode(body) == [{"a": {}}]
    with pytest.raises(TranslationError, match="below the minimum of 16") as info:
        decoder.decode(b"")
    assert info.value.where == f"byte {len(event('a', {}))}"


@pytest.mark.parametrize("cls", BOTOCORE_DECODERS)
def test_a_repeated_header_gives_the_same_outcome_from_both_decoders(cls: type[JSONFrameDecoder]) -> None:
    raw = header(":message-type", "event") + header(":event-type", "x") + header(":event-type", "y")
    body = event("a", {}) + frame_bytes(raw, b"{}")
    assert outcome(cls, body, []) == outcome(JSONFrameDecoder, body, [])


@pytest.mark.parametrize("cls", JSON_DECODERS)
def test_both_decoders_refuse_crc_flips_lengths_and_truncation(cls: type[JSONFrameDecoder]) -> None:
    good = event("a", {"x": 1})
    assert outcome(cls, good + flip(good, 0), []) == [{"a": {"x": 1}}, ("error", "byte")]
    assert outcome(cls, flip(good, len(good) - 1), []) == [("error", "byte")]
    assert outcome(cls, flip(good, 20), []) == [("error", "byte")]
    assert outcome(cls, frame_bytes(b"", b"", total=16, hlen=1), []) == [("error", "byte")]
    decoder = cls()
    assert decoder.decode(good + good[:7]) == [{"a": {"x": 1}}]
    with pytest.raises(TranslationError, match="ended inside an event-stream frame") as info:
        decoder.flush()
    assert info.value.where == f"byte {len(good)}"


@pytest.mark.parametrize("cls", JSON_DECODERS)
def test_both_decoders_refuse_an_oversize_frame_from_its_prelude(cls: type[JSONFrameDecoder]) -> None:
    big = event("big", {"x": "y" * 1000})
    decoder = cls(max_event_size=500)
    assert decoder.decode(big[:11]) == []
    with pytest.raises(TranslationError, match="larger than max_event_size") as info:
        decoder.decode(big[11:12])
    assert info.value.where == "byte 0"
    assert outcome(cls, big, [], max_event_size=len(big)) == [{"big": {"x": "y" * 1000}}]
    assert outcome(cls, big, [], max_event_size=len(big) - 1) == [("error", "byte")]


@pytest.mark.parametrize("cls", BOTOCORE_DECODERS)
@pytest.mark.parametrize("value_type", [10, 42, 255])
def test_an_unknown_header_type_is_refused_before_botocore_sees_it(
    value_type: int, cls: type[JSONFrameDecoder]
) -> None:
    raw = header("a", "b")
    bad = frame_bytes(raw[:2] + bytes([value_type]) + raw[3:], b"{}")
    decoder = cls()
    assert decoder.decode(event("ok", {})) == [{"ok": {}}]
    with pytest.raises(TranslationError, match="unknown value type") as info:
        decoder.decode(bad)
    assert info.value.where == f"byte {len(event('ok', {})) + 12}"  # the header's offset
    with pytest.raises(TranslationError, match="unknown value type"):  # and it stays broken
        decoder.flush()
    with pytest.raises(TranslationError, match="unknown value type"):
        outcome_raise(JSONFrameDecoder, bad)


def outcome_raise(cls: type[JSONFrameDecoder], body: bytes) -> list[Any]:
    decoder = cls()
    return decoder.decode(body) + decoder.flush()


@pytest.mark.parametrize("cls", JSON_DECODERS)
def test_header_errors_are_the_same_translation_errors_from_every_decoder(cls: type[JSONFrameDecoder]) -> None:
    bad_utf8 = frame_bytes(bytes([1, 0xFF, 0]), b"{}")
    with pytest.raises(TranslationError, match="not valid UTF-8"):
        outcome_raise(cls, bad_utf8)


# --- the header cache and the choice of decoder -----------------------------------------------------------


def test_the_header_cache_is_in_place_and_returns_botocores_parse() -> None:
    from botocore.eventstream import EventStreamHeaderParser

    decoder = BotocoreJSONFrameDecoder()
    cache = decoder._buffer._header_parser
    assert isinstance(cache, _CachedHeaders)
    raw = header(":event-type", "x") + header(":message-type", "event") + header("n", 7, 4)
    assert (
        cache.parse(raw)
        == EventStreamHeaderParser().parse(raw)
        == {":event-type": "x", ":message-type": "event", "n": 7}
    )
    assert cache.parse(raw) is cache.parse(raw)  # parsed once
    body = event("a", {"i": 1}) + event("a", {"i": 2}) + event("b", {})
    assert decoder.decode(body) == [{"a": {"i": 1}}, {"a": {"i": 2}}, {"b": {}}]
    assert len(cache._cache) == 3


def test_the_header_cache_keeps_at_most_limit_blocks() -> None:
    calls: list[bytes] = []

    def parse(raw: bytes) -> dict[str, Any]:
        calls.append(raw)
        return {"raw": raw}

    cache = _CachedHeaders(parse)
    blocks = [bytes([n]) for n in range(_CachedHeaders.LIMIT + 10)]
    for raw in blocks:
        assert cache.parse(raw) == {"raw": raw}
    assert len(cache._cache) == _CachedHeaders.LIMIT == 64
    for raw in blocks:
        assert cache.parse(raw) == {"raw": raw}
    assert calls == blocks + blocks[_CachedHeaders.LIMIT :]  # the first LIMIT are cached, the rest parsed again


def test_the_decoder_still_works_when_botocores_buffer_lacks_the_header_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore.eventstream

    original = botocore.eventstream.EventStreamBuffer

    class Bare(original):  # type: ignore[misc,valid-type]
        """A botocore whose buffer has no ``_header_parser`` (a private attribute that may go away)."""

        def __init__(self) -> None:
            super().__init__()
            del self._header_parser

        def _parse_headers(self) -> Any:
            raw = self._data[12 : self._prelude.headers_end]
            return botocore.eventstream.EventStreamHeaderParser().parse(raw)

    monkeypatch.setattr(botocore.eventstream, "EventStreamBuffer", Bare)
    decoder = BotocoreJSONFrameDecoder()
    assert not hasattr(decoder._buffer, "_header_parser")
    body = event("a", {"i": 1}) + event("b", {})
    assert decoder.decode(body) + decoder.flush() == [{"a": {"i": 1}}, {"b": {}}]


def test_json_frame_decoder_picks_botocore_when_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    decoder = json_frame_decoder(1234)
    assert type(decoder) is BotocoreHeadersJSONFrameDecoder and decoder._max == 1234
    monkeypatch.setitem(sys.modules, "botocore.eventstream", None)
    fallback = json_frame_decoder(99)
    assert type(fallback) is JSONFrameDecoder and fallback._max == 99
    for cls in BOTOCORE_DECODERS:
        with pytest.raises(ImportError):
            cls()


def test_the_headers_decoder_keeps_botocores_parse_of_each_distinct_block() -> None:
    calls: list[bytes] = []
    decoder = BotocoreHeadersJSONFrameDecoder()
    botocore_parse = decoder._parse

    def parse(raw: bytes) -> dict[str, Any]:
        calls.append(raw)
        return {**botocore_parse(raw), "parsed-by": "botocore"}

    decoder._parse = parse
    body = event("a", {"i": 1}) + event("a", {"i": 2}) + event("b", {})
    assert decoder.decode(body) == [{"a": {"i": 1}}, {"a": {"i": 2}}, {"b": {}}]
    assert len(calls) == 2  # one parse per distinct block
    assert [h["parsed-by"] for h in decoder._known.values()] == ["botocore", "botocore"]


def test_a_block_botocore_refuses_is_a_translation_error_at_its_offset() -> None:
    from botocore.eventstream import ParserError

    decoder = BotocoreHeadersJSONFrameDecoder()

    def refuse(raw: bytes) -> dict[str, Any]:
        raise ParserError("no")

    decoder._parse = refuse
    with pytest.raises(TranslationError, match="block refused by botocore: no") as info:
        decoder.decode(event("a", {}))
    assert info.value.where == "byte 12"
    with pytest.raises(TranslationError, match="refused by botocore"):  # and it stays broken
        decoder.flush()


def test_an_item_of_none_drops_the_message() -> None:
    class OnlyX(FrameDecoderBase[bytes]):
        __slots__ = ()

        def _item(self, headers: dict[str, Any], payload: bytes, where: int) -> bytes | None:
            return payload if headers.get("keep") else None

    decoder = OnlyX()
    body = encode({"keep": True}, b"1") + encode({"keep": False}, b"2") + encode({"keep": True}, b"3")
    assert decoder.decode(body) == [b"1", b"3"] and decoder.frames == 3


_EVENT_HEADERS = header(":message-type", "event") + header(":event-type", "x")
HEADER_EDGES = {
    "string value past the headers": NAME + bytes([7, 0, 5]) + b"abcd",
    "bytes value past the headers": NAME + bytes([6, 0, 5]) + b"abcd",
    "uuid value past the headers": NAME + bytes([9]) + bytes(15),
    "headers over botocore's 128 KiB": b"".join(header(f"h{i}", b"x" * 60_000) for i in range(3)),
}


@pytest.mark.parametrize("case", sorted(HEADER_EDGES))
def test_header_edge_cases_give_the_same_outcome_from_both_decoders(case: str) -> None:
    """The module's promise, "both give the same dicts and the same errors", on header blocks that one of
    the two parsers alone looks at closely (botocore slices a sized value short; ours caps nothing)."""
    body = event("a", {}) + frame_bytes(_EVENT_HEADERS + HEADER_EDGES[case], b"{}")
    size = len(body) + 1
    for cls in BOTOCORE_DECODERS:
        assert outcome(cls, body, [], size) == outcome(JSONFrameDecoder, body, [], size)


def test_our_header_cache_keeps_at_most_its_limit_and_still_decodes_the_rest() -> None:
    body = b"".join(event(f"type{i}", {"n": i}) for i in range(70))
    decoder = JSONFrameDecoder()
    assert decoder.decode(body) == [{f"type{i}": {"n": i}} for i in range(70)]
    assert len(decoder._known) == 64
    assert decoder.decode(body) == [{f"type{i}": {"n": i}} for i in range(70)]  # cached or not, the same
