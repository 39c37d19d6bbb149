"""JSON in and out: orjson when installed (a runtime dependency), the standard library otherwise."""

from __future__ import annotations

from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by the stdlib fallback test in a subprocess
    _orjson = None  # type: ignore[assignment]

__all__ = ["JSONDecodeError", "dumps", "dumps_any", "dumps_text", "loads"]

if _orjson is not None:
    JSONDecodeError: type[ValueError] = _orjson.JSONDecodeError
    loads = _orjson.loads
    dumps = _orjson.dumps  # compact UTF-8 bytes; bound directly, no wrapper call on the hot path

else:  # pragma: no cover - see above
    import json as _json

    JSONDecodeError = _json.JSONDecodeError
    _encoder = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def loads(data: str | bytes | bytearray | memoryview) -> Any:
        if isinstance(data, memoryview):
            data = bytes(data)
        return _json.loads(data)

    def dumps(value: Any) -> bytes:
        return _encoder.encode(value).encode("utf-8", "surrogatepass")


def dumps_any(value: Any) -> bytes:
    """`dumps`, falling back to the standard library for what orjson refuses (integers beyond 64 bits,
    nesting deeper than 254 levels, lone surrogates); raises ValueError when neither can encode it."""
    try:
        return dumps(value)
    except TypeError:
        import json

        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValueError(f"cannot be encoded as JSON: {exc}") from None
        return text.encode("utf-8", "surrogatepass")


def dumps_text(value: Any) -> str:
    """`dumps_any` as text (a lone surrogate in a string survives, as the JSON escape orjson refuses)."""
    return dumps_any(value).decode("utf-8", "surrogatepass")
