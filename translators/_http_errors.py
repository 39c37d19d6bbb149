"""Provider errors → one OpenAI-shaped vocabulary, before the stream (HTTP errors) and inside it.

Vocabulary (`TYPES`): every error the package emits has one of these ``type``\\s, and a gateway answers it with
that status:

=====================  ==============================================================  =========
type                   status                                                          retryable
=====================  ==============================================================  =========
invalid_request_error  400 (an upstream 422 → 400; another 4xx not listed here: kept)   no
authentication_error   401                                                             no
billing_error          402                                                             no
permission_error       403                                                             no
not_found_error        404                                                             no
request_too_large      413                                                             no
rate_limit_error       429                                                             yes
api_error              500 (upstream 502, 424, 499 and other 5xx → 502)                yes
overloaded_error       503 (Anthropic 529, Groq 498, Bedrock ModelNotReadyException)   yes
timeout_error          504 (upstream 408 → 504)                                        yes
upstream_truncated     502 (ours, in-stream only)                                      yes
translation_error      502 (ours)                                                      no
=====================  ==============================================================  =========

How a provider's error is classified (`classify`), first match wins:

1. the provider's own error name in its table (`STRONG`): Anthropic ``error.type``; Gemini's ErrorInfo
   ``reason`` then its gRPC ``status``; Bedrock's exception name (``x-amzn-ErrorType``, ``__type``, the stream's
   ``:exception-type``); Cohere's finish reason; for the OpenAI-compatible dialects only the specific codes
   (``insufficient_quota``, ``model_not_found``, ``invalid_api_key``, ``context_length_exceeded``,
   ``content_filter``, Groq ``capacity_exceeded``, Mistral ``invalid_model``);
2. the HTTP status (`BY_STATUS`), or the status the body names (OpenRouter ``error.code``, Azure
   ``error.status``, Groq ``status_code``, Gemini ``error.code``, Bedrock ``originalStatusCode``);
3. the OpenAI-compatible dialects' generic codes and types (`WEAK`: ``server_error``, ``rate_limit_exceeded``,
   ``invalid_request_error`` …), which in-stream errors carry without a status;
4. else ``api_error``.

Then the message may refine it (`MESSAGE_RULES`): "model not found" / "invalid model" (and Ollama's
``model "x" not found``) → ``not_found_error`` ``model_not_found``; an invalid API key →
``authentication_error`` ``invalid_api_key``; a prompt over the context window → ``context_length_exceeded``;
an insufficient balance → ``insufficient_quota``.

``code``: the OpenAI code where one applies (``model_not_found``, ``rate_limit_exceeded`` as sent,
``insufficient_quota``, ``context_length_exceeded``, ``invalid_api_key``, ``content_filter``), else the provider's
own code, type or status string as sent (``RESOURCE_EXHAUSTED``, ``ThrottlingException``, ``overloaded_error``,
``tool_use_failed``; one of our type names counts as none), else the type. Bedrock's stream exceptions are
named in lower camel case (``throttlingException``); their code is the API's name (``ThrottlingException``), as
before the stream.
A number is a status, never a code.

Decisions beyond the providers' docs: OpenAI's ``insufficient_quota`` (HTTP 429) is ``billing_error`` 402, not
retryable (the same problem as Anthropic's ``billing_error`` and DeepSeek's and OpenRouter's 402); Cohere's 499
is ``api_error`` 502; an unknown 4xx is ``invalid_request_error`` with its status kept, an unknown 5xx is
``api_error`` 502.

Retry-After (`retry_after`): the ``retry-after`` header as sent (seconds or an HTTP date), else
``retry-after-ms`` in whole seconds rounded up, else Gemini's ``RetryInfo.retryDelay`` ("30s", "1.5s") rounded up.

Providers' error docs:
Anthropic https://docs.anthropic.com/en/api/errors ·
Gemini https://ai.google.dev/gemini-api/docs/troubleshooting and https://cloud.google.com/apis/design/errors ·
OpenAI https://platform.openai.com/docs/guides/error-codes ·
Azure https://learn.microsoft.com/en-us/azure/ai-foundry/openai/concepts/content-filter ·
DeepSeek https://api-docs.deepseek.com/quick_start/error_codes ·
Mistral https://docs.mistral.ai/api/ ·
xAI https://docs.x.ai/docs/key-information/debugging ·
Groq https://console.groq.com/docs/errors ·
OpenRouter https://openrouter.ai/docs/api-reference/errors ·
Bedrock https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors
and https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html ·
Cohere https://docs.cohere.com/reference/errors ·
Ollama https://github.com/ollama/ollama/blob/main/docs/api.md#errors
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Final, NamedTuple

from translators._json import loads
from translators._registry import MODULES, PROVIDERS
from translators.chunks import error_event
from translators.errors import ErrorResponse

__all__ = [
    "BY_STATUS",
    "MESSAGE_RULES",
    "STRONG",
    "TYPES",
    "WEAK",
    "Classified",
    "ErrorResponse",
    "classify",
    "error_response",
    "gemini_reason",
    "retry_after",
    "stream_error",
    "translate_error",
]

MAX_MESSAGE: Final = 1000
"""A message taken from a non-JSON body (or built from a validation error list) is cut to this many characters."""


class _Rule(NamedTuple):
    type: str
    code: str | None = None  # the OpenAI code this native name means, if any
    status: int | None = None  # a status other than the type's
    defer: bool = False  # a known status decides instead (Bedrock's model errors carry the model's status)


class Classified(NamedTuple):
    type: str
    code: str
    status: int
    retryable: bool


TYPES: Final[Mapping[str, tuple[int, bool]]] = {
    "invalid_request_error": (400, False),
    "authentication_error": (401, False),
    "billing_error": (402, False),
    "permission_error": (403, False),
    "not_found_error": (404, False),
    "request_too_large": (413, False),
    "rate_limit_error": (429, True),
    "api_error": (500, True),
    "overloaded_error": (503, True),
    "timeout_error": (504, True),
    "upstream_truncated": (502, True),
    "translation_error": (502, False),
}
"""The vocabulary: type → (status, retryable)."""

BY_STATUS: Final[Mapping[int, _Rule]] = {
    400: _Rule("invalid_request_error"),
    401: _Rule("authentication_error"),
    402: _Rule("billing_error"),
    403: _Rule("permission_error"),
    404: _Rule("not_found_error"),
    408: _Rule("timeout_error"),
    413: _Rule("request_too_large"),
    422: _Rule("invalid_request_error"),
    424: _Rule("api_error", status=502),
    429: _Rule("rate_limit_error"),
    498: _Rule("overloaded_error"),
    499: _Rule("api_error", status=502),
    500: _Rule("api_error"),
    502: _Rule("api_error", status=502),
    503: _Rule("overloaded_error"),
    504: _Rule("timeout_error"),
    529: _Rule("overloaded_error"),
}
"""Upstream HTTP status → rule. Not listed: another 4xx is invalid_request_error (status kept), another 5xx is
api_error 502."""

_ANTHROPIC: Final = {
    name: _Rule(name)
    for name in (
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "timeout_error",
        "overloaded_error",
    )
}

_GEMINI_REASONS: Final = {"API_KEY_INVALID": _Rule("authentication_error", "invalid_api_key")}

_GRPC: Final = {
    "INVALID_ARGUMENT": _Rule("invalid_request_error"),
    "FAILED_PRECONDITION": _Rule("invalid_request_error"),
    "OUT_OF_RANGE": _Rule("invalid_request_error"),
    "UNAUTHENTICATED": _Rule("authentication_error"),
    "PERMISSION_DENIED": _Rule("permission_error"),
    "NOT_FOUND": _Rule("not_found_error"),
    "RESOURCE_EXHAUSTED": _Rule("rate_limit_error"),
    "INTERNAL": _Rule("api_error"),
    "UNKNOWN": _Rule("api_error"),
    "DATA_LOSS": _Rule("api_error"),
    "UNAVAILABLE": _Rule("overloaded_error"),
    "DEADLINE_EXCEEDED": _Rule("timeout_error"),
}

_AUTH: Final = _Rule("authentication_error")
_BEDROCK: Final = {
    "ValidationException": _Rule("invalid_request_error"),
    "AccessDeniedException": _Rule("permission_error"),
    "UnrecognizedClientException": _AUTH,
    "ExpiredTokenException": _AUTH,
    "InvalidSignatureException": _AUTH,
    "IncompleteSignature": _AUTH,
    "MissingAuthenticationTokenException": _AUTH,
    "ResourceNotFoundException": _Rule("not_found_error"),
    "ThrottlingException": _Rule("rate_limit_error"),
    "ServiceQuotaExceededException": _Rule("rate_limit_error"),
    "ModelTimeoutException": _Rule("timeout_error"),
    "ModelErrorException": _Rule("api_error", status=502, defer=True),
    "ModelStreamErrorException": _Rule("api_error", defer=True),
    "ModelNotReadyException": _Rule("overloaded_error"),
    "InternalServerException": _Rule("api_error"),
    "InternalFailure": _Rule("api_error"),
    "ServiceUnavailableException": _Rule("overloaded_error"),
}

_COHERE: Final = {"ERROR": _Rule("api_error"), "TIMEOUT": _Rule("timeout_error")}

_OPENAI_STRONG: Final = {
    "insufficient_quota": _Rule("billing_error", "insufficient_quota"),
    "model_not_found": _Rule("not_found_error", "model_not_found"),
    "invalid_model": _Rule("not_found_error", "model_not_found"),  # Mistral
    "invalid_api_key": _Rule("authentication_error", "invalid_api_key"),
    "context_length_exceeded": _Rule("invalid_request_error", "context_length_exceeded"),
    "content_filter": _Rule("invalid_request_error", "content_filter"),  # Azure
    "capacity_exceeded": _Rule("overloaded_error"),  # Groq flex tier (498)
}

_OPENAI_WEAK: Final = {
    **{name: _Rule(name) for name in TYPES if name not in ("upstream_truncated", "translation_error")},
    "server_error": _Rule("api_error"),
    "internal_error": _Rule("api_error"),
    "rate_limit_exceeded": _Rule("rate_limit_error", "rate_limit_exceeded"),
    "requests": _Rule("rate_limit_error"),
    "tokens": _Rule("rate_limit_error"),
    "invalid_prompt": _Rule("invalid_request_error"),
    "invalid_image": _Rule("invalid_request_error"),
    "vector_store_timeout": _Rule("timeout_error"),
    "timeout": _Rule("timeout_error"),
}

STRONG: Final[Mapping[str, tuple[tuple[str, Mapping[str, _Rule]], ...]]] = {
    "anthropic": (("type", _ANTHROPIC),),
    "gemini": (("type", _GEMINI_REASONS), ("code", _GRPC)),
    "bedrock": (("code", _BEDROCK),),
    "cohere": (("type", _COHERE), ("code", _COHERE)),
    "openai": (("code", _OPENAI_STRONG), ("type", _OPENAI_STRONG)),
    "ollama": (),
}
"""Per provider family: which native field is looked up in which table, before the status."""

WEAK: Final[Mapping[str, tuple[tuple[str, Mapping[str, _Rule]], ...]]] = {
    "openai": (("code", _OPENAI_WEAK), ("type", _OPENAI_WEAK)),
}
"""Per provider family: tables consulted after the status (for errors that carry none)."""

_FAMILIES: Final = {
    "anthropic": "anthropic",
    "gemini": "gemini",
    "vertex": "gemini",
    "bedrock": "bedrock",
    "cohere": "cohere",
    "ollama": "ollama",
}
"""Provider → error family; the others are the OpenAI-compatible dialects (``openai``)."""

OPENAI_CODES: Final = frozenset(
    {
        "model_not_found",
        "rate_limit_exceeded",
        "insufficient_quota",
        "context_length_exceeded",
        "invalid_api_key",
        "content_filter",
    }
)

_I = re.IGNORECASE
MESSAGE_RULES: Final = (
    (
        frozenset({"invalid_request_error"}),
        re.compile(r"^\W*(?:model not found|invalid model)\b", _I),
        "not_found_error",
        "model_not_found",
    ),
    (frozenset({"not_found_error"}), re.compile(r"\bmodels?\b", _I), "not_found_error", "model_not_found"),
    (  # Ollama's in-stream error line carries no status
        frozenset({"api_error"}),
        re.compile(r"^model [\"'][^\"']*[\"'] not found\b", _I),
        "not_found_error",
        "model_not_found",
    ),
    (
        frozenset({"invalid_request_error", "authentication_error"}),
        re.compile(r"\b(?:incorrect|invalid) (?:x-)?api[ _-]?key|\bapi key not valid", _I),
        "authentication_error",
        "invalid_api_key",
    ),
    (
        frozenset({"invalid_request_error", "request_too_large"}),
        re.compile(
            r"context length|context window|prompt is too long|input is too long|input token count"
            r"|tokens in the prompt",
            _I,
        ),
        None,
        "context_length_exceeded",
    ),
    (
        frozenset({"billing_error"}),
        re.compile(r"\binsufficient (?:balance|credits?|quota|funds)", _I),
        None,
        "insufficient_quota",
    ),
)
"""(types it applies to, message pattern, new type or None to keep it, OpenAI code): applied when the code is not
an OpenAI code yet; the first match wins."""


# -- classification ---------------------------------------------------------------------------------------


def family(provider: str) -> str:
    """The error dialect of ``provider``; `ValueError` for a provider the package does not implement."""
    if provider not in MODULES:
        raise ValueError(f"unknown provider {provider!r}; implemented: {', '.join(PROVIDERS)}")
    return _FAMILIES.get(provider, "openai")


_STATUS_TEXT: Final = re.compile(r"[1-5][0-9][0-9]")


def error_status(value: Any) -> int | None:
    """``value`` as an HTTP error status (an int, or a numeric string, from 400 to 599), else None."""
    if isinstance(value, str) and _STATUS_TEXT.fullmatch(value.strip()):
        value = int(value)
    return value if type(value) is int and 400 <= value <= 599 else None


def _native_name(value: Any) -> str | None:
    """A native type or code as a name: a non-empty string that is not a status number."""
    if not isinstance(value, str) or not value.strip() or error_status(value) is not None:
        return None
    return value.strip()


def _lookup(lookups: Iterable[tuple[str, Mapping[str, _Rule]]], names: Mapping[str, str | None]) -> _Rule | None:
    for field, table in lookups:
        name = names[field]
        rule = table.get(name) if name is not None else None
        if rule is not None:
            return rule
    return None


def _by_status(status: int) -> _Rule:
    rule = BY_STATUS.get(status)
    if rule is not None:
        return rule
    return _Rule("invalid_request_error", status=status) if status < 500 else _Rule("api_error", status=502)


def _status_of(rule: _Rule, status: int | None) -> int:
    """The status to answer with: the rule's own, else the upstream status's when it means the same type, else
    the type's."""
    if rule.status is not None:
        return rule.status
    if status is not None:
        same = _by_status(status)
        if same.type == rule.type:
            return same.status if same.status is not None else TYPES[rule.type][0]
    return TYPES[rule.type][0]


def classify(
    provider: str,
    *,
    status: Any = None,
    native_type: Any = None,
    native_code: Any = None,
    message: Any = None,
) -> Classified:
    """The vocabulary ``(type, code, status, retryable)`` of a provider's error (see the module docstring).

    ``status``: the upstream HTTP status or the status the error names; ``native_type`` / ``native_code``: the
    provider's own type and code (Gemini: ErrorInfo reason and gRPC status; Bedrock: the exception name, code
    only; Cohere: the finish reason); ``message``: the provider's message. Nothing raises but an unknown provider.
    """
    kind = family(provider)
    upstream = error_status(status)
    names = {"type": _native_name(native_type), "code": _native_name(native_code)}
    if kind == "bedrock" and names["code"] is not None:
        names["code"] = bedrock_name(names["code"])
    rule = _lookup(STRONG[kind], names)
    if upstream is not None and (rule is None or rule.defer):
        rule = _by_status(upstream)
    rule = rule or _lookup(WEAK.get(kind, ()), names) or _Rule("api_error")
    code = rule.code or _own_name(names["code"]) or _own_name(names["type"]) or rule.type
    rule, code = _refine(rule, code, message)
    out = _status_of(rule, upstream)
    return Classified(rule.type, code, out, TYPES[rule.type][1])


def _own_name(name: str | None) -> str | None:
    """A native code or type as our code, unless it is one of our type names (DeepSeek's ``code:
    "invalid_request_error"`` on a 401): then the code is our type."""
    return None if name is None or name in TYPES else name


def _refine(rule: _Rule, code: str, message: Any) -> tuple[_Rule, str]:
    if code in OPENAI_CODES or not isinstance(message, str):
        return rule, code
    for types, pattern, new_type, openai_code in MESSAGE_RULES:
        if rule.type in types and pattern.search(message):
            if new_type is not None and new_type != rule.type:
                rule = _Rule(new_type)
            return rule, openai_code
    return rule, code


def bedrock_name(name: str) -> str:
    """An AWS error name as the API reference spells it: ``throttlingException`` (stream) → ``ThrottlingException``;
    ``ThrottlingException:http://internal.amazon.com/…`` (header) and ``com.amazon.coral#X`` (``__type``) → the
    name."""
    name = name.split(":", 1)[0].rsplit("#", 1)[-1].strip()
    return name[:1].upper() + name[1:] if name.endswith("Exception") else name


def stream_error(
    provider: str,
    message: str,
    *,
    status: Any = None,
    native_type: Any = None,
    native_code: Any = None,
) -> dict[str, Any]:
    """The error event that ends a stream on a provider's in-stream error: `classify`'s type and code."""
    found = classify(provider, status=status, native_type=native_type, native_code=native_code, message=message)
    return error_event(message, found.type, found.code)


# -- the HTTP error before the stream ---------------------------------------------------------------------


class _Native(NamedTuple):
    message: str | None
    type: Any
    code: Any
    param: Any
    status: Any  # a status the body names, used when the HTTP status is not an error status
    error: Any  # the native error object, as sent
    details: Any  # Gemini's details (RetryInfo)


_NOT_JSON: Final = object()
_NOTHING: Final = _Native(None, None, None, None, None, None, None)


def translate_error(provider: str, status: Any, body: Any, headers: Any = None) -> ErrorResponse:
    """See `translators.errors.translate_error`."""
    kind = family(provider)
    value, text = _parse(body)
    is_json = value is not _NOT_JSON
    native = _extract(kind, value, _headers(headers)) if is_json else _NOTHING
    upstream = _upstream_status(kind, status, native)
    found = classify(
        provider, status=upstream, native_type=native.type, native_code=native.code, message=native.message
    )
    sent = error_status(status)
    message = native.message or (_text_message(text) if not is_json else "")
    error: dict[str, Any] = {
        "message": message or _default_message(provider, sent if sent is not None else upstream),
        "type": found.type,
        "code": found.code,
        "param": native.param if isinstance(native.param, str) else None,
    }
    if is_json:
        error["native_error"] = native.error
    delay = retry_after(headers, native.details)
    return ErrorResponse(found.status, {"error": error}, {"Retry-After": delay} if delay else {}, found.retryable)


def _upstream_status(kind: str, status: Any, native: _Native) -> int | None:
    """The HTTP status; without an error status, the one the body names; Bedrock: the model's own status behind a
    ModelErrorException (424), when the body names it."""
    named = error_status(native.status)
    if kind == "bedrock" and named is not None:
        return named
    sent = error_status(status)
    return sent if sent is not None else named


def _parse(body: Any) -> tuple[Any, str]:
    """The body's JSON value (or `_NOT_JSON`) and its text."""
    if isinstance(body, (dict, list)):
        return body, ""
    if isinstance(body, (bytes, bytearray, memoryview)):
        text = bytes(body).decode("utf-8", "replace")
    elif isinstance(body, str):
        text = body
    else:
        return _NOT_JSON, ""
    if not text.strip():
        return _NOT_JSON, ""
    try:
        return loads(text), text
    except (ValueError, RecursionError):
        return _NOT_JSON, text


def _extract(kind: str, value: Any, headers: Mapping[str, str]) -> _Native:
    if isinstance(value, list) and value and isinstance(value[0], Mapping) and "error" in value[0]:
        value = value[0]  # Gemini's JSON-array endpoint wraps the error in a one-element list
    if not isinstance(value, Mapping):
        return _Native(value if isinstance(value, str) else None, None, None, None, None, value, None)
    if kind == "bedrock":
        return _bedrock(value, headers)
    inner = value.get("error")
    if isinstance(inner, Mapping):
        return _wrapped(kind, inner)
    code = value.get("code")
    message = _message_of(inner) or _message_of(value.get("message")) or _message_of(value.get("detail"))
    return _Native(message, value.get("type"), code, value.get("param"), code, dict(value), None)


def _wrapped(kind: str, error: Mapping[str, Any]) -> _Native:
    """``{"error": {...}}``: Anthropic, Gemini, OpenAI and its dialects, OpenRouter, Azure."""
    message = _message_of(error.get("message"))
    code, status = error.get("code"), error.get("status_code", error.get("status"))
    if kind == "gemini":
        details = error.get("details")
        return _Native(message, gemini_reason(details), error.get("status"), None, code, dict(error), details)
    if error_status(status) is None:
        status = code
    return _Native(message, error.get("type"), code, error.get("param"), status, dict(error), None)


def _bedrock(body: Mapping[str, Any], headers: Mapping[str, str]) -> _Native:
    name = headers.get("x-amzn-errortype") or body.get("__type") or body.get("code") or body.get("Code")
    message = _message_of(body.get("message")) or _message_of(body.get("Message"))
    return _Native(message, None, name, None, body.get("originalStatusCode"), dict(body), None)


def gemini_reason(details: Any) -> str | None:
    """The ``reason`` of the ErrorInfo in a Google error's ``details`` (``API_KEY_INVALID`` …)."""
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            reason = detail.get("reason")
            return reason if isinstance(reason, str) else None
    return None


def _message_of(value: Any, depth: int = 0) -> str | None:
    """A message: a non-empty string, or a validation error list (``detail``: FastAPI / Mistral 422) as text,
    or either of those in an object's ``detail`` or ``message`` (Mistral: ``{"message": {"detail": [...]}}``)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, Mapping) and depth < 2:
        return _message_of(value.get("detail"), depth + 1) or _message_of(value.get("message"), depth + 1)
    if isinstance(value, list):
        parts = [_detail_text(item) for item in value]
        text = "; ".join(part for part in parts if part)
        return text[:MAX_MESSAGE] or None
    return None


def _detail_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if not isinstance(item, Mapping):
        return ""
    msg = item.get("msg", item.get("message"))
    loc = item.get("loc")
    where = ".".join(str(part) for part in loc) if isinstance(loc, list) else ""
    text = msg if isinstance(msg, str) else ""
    return f"{where}: {text}" if where and text else text


_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG: Final = re.compile(r"<[^>]*>")
_SPACE: Final = re.compile(r"\s+")


def _text_message(text: str) -> str:
    """A non-JSON body as a message: an HTML page's title (else its text without tags), on one line, cut."""
    title = _TITLE.search(text)
    if title:
        text = title.group(1)
    elif text.lstrip().startswith("<"):
        text = _TAG.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:MAX_MESSAGE]


def _default_message(provider: str, status: int | None) -> str:
    if status is None:
        return f"{provider} error"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{provider} returned HTTP {status} {phrase}".rstrip()


# -- Retry-After --------------------------------------------------------------------------------------------


def _headers(headers: Any) -> dict[str, str]:
    """Response headers as a dict with lower-case names; anything unreadable gives nothing."""
    if headers is None:
        return {}
    try:
        items = headers.items() if callable(getattr(headers, "items", None)) else headers
        found: dict[str, str] = {}
        for name, value in items:
            key = name.decode("latin-1") if isinstance(name, bytes) else name
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if isinstance(key, str) and isinstance(text, str):
                found.setdefault(key.lower(), text)
        return found
    except (TypeError, ValueError, AttributeError):
        return {}


def retry_after(headers: Any, details: Any = None) -> str | None:
    """The Retry-After value to send: ``retry-after`` as sent (seconds, or an HTTP date), else ``retry-after-ms``
    in whole seconds rounded up, else Gemini's ``RetryInfo.retryDelay`` in whole seconds rounded up."""
    found = _headers(headers)
    sent = found.get("retry-after", "").strip()
    seconds = _seconds(sent)
    if _DIGITS.fullmatch(sent) or (sent and seconds is None and _is_http_date(sent)):
        return sent
    if seconds is not None:
        return str(seconds)  # "1.5" is not valid Retry-After: whole seconds, rounded up
    ms = _number(found.get("retry-after-ms", ""))
    if ms is not None:
        return str(math.ceil(ms / 1000))
    delay = _retry_delay(details)
    return str(delay) if delay is not None else None


_DIGITS: Final = re.compile(r"[0-9]+")
_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?")


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _seconds(text: str) -> int | None:
    """Seconds as a (non-negative, maybe fractional) number, rounded up."""
    if not _SECONDS.fullmatch(text):
        return None
    value = _number(text)
    return math.ceil(value) if value is not None else None


def _is_http_date(text: str) -> bool:
    from email.utils import parsedate_to_datetime

    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return True


def _retry_delay(details: Any) -> int | None:
    """Gemini's ``RetryInfo`` in an error's ``details``: ``retryDelay`` "30s" / "1.5s" (or ``{seconds, nanos}``)."""
    for detail in details if isinstance(details, list) else ():
        if not isinstance(detail, Mapping) or not str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            seconds = _number(delay[:-1])
            return math.ceil(seconds) if seconds is not None else None
        if isinstance(delay, Mapping):
            whole, nanos = delay.get("seconds", 0), delay.get("nanos", 0)
            parts = [_number(str(whole)), _number(str(nanos))]
            if parts[0] is not None and parts[1] is not None:
                return math.ceil(parts[0] + parts[1] / 1e9)
    return None


# -- an in-stream error as the HTTP error it would have been ------------------------------------------------


def error_response(error: Any) -> ErrorResponse:
    """See `translators.errors.error_response`."""
    if isinstance(error, Mapping) and "type" not in error and isinstance(error.get("error"), Mapping):
        error = error["error"]  # the whole event
    fields = dict(error) if isinstance(error, Mapping) else {}
    kind = fields.get("type")
    rule = _Rule(kind) if isinstance(kind, str) and kind in TYPES else _Rule("api_error")
    native = fields.get("native_error")
    status = _status_of(rule, _native_status(native))
    if not fields:
        fields = {"message": "upstream error", "type": "api_error", "code": "api_error", "param": None}
    details = native.get("details") if isinstance(native, Mapping) else None
    delay = _retry_delay(details)
    headers = {"Retry-After": str(delay)} if delay is not None else {}
    return ErrorResponse(status, {"error": fields}, headers, TYPES[rule.type][1])


def _native_status(native: Any) -> int | None:
    """The status a native error object names (OpenRouter and Gemini ``code``, Bedrock ``originalStatusCode``,
    Groq ``status_code``, Azure ``status``)."""
    if not isinstance(native, Mapping):
        return None
    for key in ("originalStatusCode", "status_code", "status", "code"):
        status = error_status(native.get(key))
        if status is not None:
            return status
    return None
