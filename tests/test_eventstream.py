"""AWS event-stream framing: an encoder written here, real Bedrock recordings, corruption, properties.

botocore is not a test dependency (it is absent from the venv), so the recordings are checked against
this file's encoder instead: re-encoding the decoded frames must give the recorded bytes back exactly.
"""

from __future__ import annotations

import itertools
import json
import random
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_real_streams import REAL
from translators.errors import TranslationError
from translators.eventstream import EventStreamFrameDecoder, Frame, FrameDecoderBase, JSONFrameDecoder

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


def test_empty_frames_and_a_repeated_header_keeps_its_last_value() -> None:
    assert frames(frame_bytes(b"", b"")) == [Frame({}, b"")]
    assert frames(frame_bytes(header("a", 1) + header("a", "two") + header("", False), b"x")) == [
        Frame({"a": "two", "": False}, b"x")
    ]


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
