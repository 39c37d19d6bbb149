"""The one error type of the package and its contract; provider HTTP errors as OpenAI error responses.

`TranslationError` is raised for input that cannot be translated: bytes that do not frame, frames that
are not the provider's JSON, and events that break the provider's own grammar (a delta before the
stream's start event, a content block index never opened, an event that is too large). It is a
`ValueError`, so code that already guards against bad values catches it.

Contract:

* `translate()` / `atranslate()` raise it, and stop.
* `stream()` / `astream()` never raise it: they end the output with an OpenAI error event
  (`data: {"error": {...}}`) carrying the same message, so an HTTP client still sees a clean end.
* No other exception type escapes the package for bad provider input (no `KeyError`, `IndexError`,
  `TypeError`, `UnicodeDecodeError`).

Attributes: `provider` (which translator), `where` (which event or byte offset), `reason` (what was wrong).

Provider errors, for a gateway (the tables are in `translators._http_errors`, imported on first use):

* `translate_error(provider, status, body, headers=None)`: a provider's HTTP error response, received before any
  stream, as the `ErrorResponse` to send: an OpenAI-shaped body ``{"error": {"message", "type", "code", "param",
  "native_error"}}`` and a status from one vocabulary of types (``invalid_request_error`` 400,
  ``authentication_error`` 401, ``billing_error`` 402, ``permission_error`` 403, ``not_found_error`` 404,
  ``request_too_large`` 413, ``rate_limit_error`` 429, ``api_error`` 500/502, ``overloaded_error`` 503,
  ``timeout_error`` 504). In-stream error events use the same types and codes.
* `error_response(error)`: the ``error`` object of an in-stream error event as the `ErrorResponse` a gateway sends
  when that error comes before the first content.
* `ErrorResponse`: ``status, body = response``; also ``.headers`` (``Retry-After`` when known) and ``.retryable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ErrorResponse", "TranslationError", "error_response", "stream_error", "translate_error"]


class TranslationError(ValueError):
    """Provider input that cannot be translated: what was wrong, where, and for which provider."""

    def __init__(self, reason: str, *, provider: str | None = None, where: str | None = None) -> None:
        self.reason = reason
        self.provider = provider
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        suffix = f" (at {self.where})" if self.where else ""
        return f"{prefix}{self.reason}{suffix}"

    def located(self, *, provider: str | None = None, where: str | None = None) -> TranslationError:
        """Fill in the provider and location if the raiser did not know them; returns self."""
        if self.provider is None and provider is not None:
            self.provider = provider
        if self.where is None and where is not None:
            self.where = where
        self.args = (self._render(),)
        return self


class ErrorResponse(tuple[int, dict[str, Any]]):
    """``(status, body)``, so that ``status, body = translate_error(...)`` works; plus ``headers`` (the response
    headers to send: ``Retry-After`` when known) and ``retryable`` (whether the same request may succeed later)."""

    headers: dict[str, str]
    retryable: bool

    def __new__(
        cls, status: int, body: dict[str, Any], headers: dict[str, str] | None = None, retryable: bool = False
    ) -> ErrorResponse:
        self = super().__new__(cls, (status, body))
        self.headers = dict(headers or {})
        self.retryable = retryable
        return self

    @property
    def status(self) -> int:
        return self[0]

    @property
    def body(self) -> dict[str, Any]:
        return self[1]

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self[0], self[1], self.headers, self.retryable)

    def __repr__(self) -> str:
        return (
            f"ErrorResponse(status={self[0]!r}, body={self[1]!r}, headers={self.headers!r}, "
            f"retryable={self.retryable!r})"
        )


def translate_error(provider: str, status: Any, body: Any, headers: Any = None) -> ErrorResponse:
    """A provider's HTTP error response (before any stream) as the OpenAI-shaped `ErrorResponse` to send.

    ``status``: the upstream HTTP status; ``body``: the response body (bytes, str, or already-parsed JSON; None
    for none); ``headers``: the response headers (any mapping or ``(name, value)`` pairs, names in any case).
    The body's ``native_error`` is the provider's error object as sent (absent when the body was not JSON); a
    non-JSON body (an HTML 502 page, nothing) gives a message from its text (at most 1000 characters) and a type
    from the status. Never raises for a bad status, body or headers; `ValueError` for an unknown provider.
    """
    from translators._http_errors import translate_error as translate

    return translate(provider, status, body, headers)


def error_response(error: Mapping[str, Any]) -> ErrorResponse:
    """The ``error`` object of an in-stream error event (``{"message", "type", "code", ...}``) as the HTTP
    `ErrorResponse` a gateway sends if that error came before the first content: the status and retryable of its
    type, the body ``{"error": error}``."""
    from translators._http_errors import error_response as respond

    return respond(error)


def stream_error(
    provider: str, message: str, *, status: Any = None, native_type: Any = None, native_code: Any = None
) -> dict[str, Any]:
    """The error event that ends a stream on a provider's in-stream error, in the vocabulary above (the
    tables load on the first error: a stream that has none never imports them)."""
    from translators._http_errors import stream_error as build

    return build(provider, message, status=status, native_type=native_type, native_code=native_code)
