"""`translate_error`, `error_response` and the error vocabulary shared with in-stream error events.

The bodies are modelled on the providers' documented (and observed) error responses; see the links in
`translators._http_errors`.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translators import PROVIDERS, stream, translate
from translators._http_errors import BY_STATUS, STRONG, TYPES, WEAK, bedrock_name, classify, retry_after
from translators.errors import ErrorResponse, error_response, translate_error

VOCABULARY = {
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
"""The README's vocabulary, written out apart from the module's table."""
UPSTREAM_TYPES = set(VOCABULARY) - {"upstream_truncated", "translation_error"}


def classified(response: ErrorResponse) -> tuple[str, str, int]:
    error = response.body["error"]
    return error["type"], error["code"], response.status


def anthropic_body(kind: str, message: str) -> bytes:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}
    return json.dumps(body).encode()


# -- Anthropic -------------------------------------------------------------------------------------------------

ANTHROPIC = [
    (400, "invalid_request_error", "messages: roles must alternate", "invalid_request_error", 400),
    (401, "authentication_error", "authentication failed", "authentication_error", 401),
    (402, "billing_error", "Your credit balance is too low", "billing_error", 402),
    (403, "permission_error", "Your API key does not have permission to use the specified resource.", "", 403),
    (404, "not_found_error", "Not found", "not_found_error", 404),
    (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", "", 413),
    (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", "", 429),
    (500, "api_error", "Internal server error", "api_error", 500),
    (504, "timeout_error", "Request timed out", "timeout_error", 504),
    (529, "overloaded_error", "Overloaded", "overloaded_error", 503),
]


@pytest.mark.parametrize(("status", "kind", "message", "_", "out"), ANTHROPIC)
def test_anthropic_errors(status: int, kind: str, message: str, _: str, out: int) -> None:
    response = translate_error("anthropic", status, anthropic_body(kind, message))
    assert classified(response) == (kind, kind, out)
    assert response.body["error"] == {
        "message": message,
        "type": kind,
        "code": kind,
        "param": None,
        "native_error": {"type": kind, "message": message},
    }
    assert response.retryable is VOCABULARY[kind][1]


@pytest.mark.parametrize(
    ("status", "kind", "message", "expected"),
    [
        (
            400,
            "invalid_request_error",
            "prompt is too long: 208310 tokens > 200000 maximum",
            ("invalid_request_error", "context_length_exceeded", 400),
        ),
        (404, "not_found_error", "model: claude-3-opus-2099", ("not_found_error", "model_not_found", 404)),
        (401, "authentication_error", "invalid x-api-key", ("authentication_error", "invalid_api_key", 401)),
        (409, "invalid_request_error", "conflict", ("invalid_request_error", "invalid_request_error", 409)),
        (418, "teapot_error", "short and stout", ("invalid_request_error", "teapot_error", 418)),
        (None, "future_error", "new", ("api_error", "future_error", 500)),
    ],
)
def test_anthropic_refinements(status: Any, kind: str, message: str, expected: tuple[str, str, int]) -> None:
    assert classified(translate_error("anthropic", status, anthropic_body(kind, message))) == expected


# -- Gemini ----------------------------------------------------------------------------------------------------

GRPC = [
    (400, "INVALID_ARGUMENT", "invalid_request_error", 400),
    (400, "FAILED_PRECONDITION", "invalid_request_error", 400),
    (401, "UNAUTHENTICATED", "authentication_error", 401),
    (403, "PERMISSION_DENIED", "permission_error", 403),
    (404, "NOT_FOUND", "not_found_error", 404),
    (429, "RESOURCE_EXHAUSTED", "rate_limit_error", 429),
    (500, "INTERNAL", "api_error", 500),
    (503, "UNAVAILABLE", "overloaded_error", 503),
    (504, "DEADLINE_EXCEEDED", "timeout_error", 504),
]


def gemini_error(code: int, status: str, message: str = "An error.", details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


@pytest.mark.parametrize(("code", "status", "kind", "out"), GRPC)
@pytest.mark.parametrize("wrapped", [False, True])
def test_gemini_errors(code: int, status: str, kind: str, out: int, wrapped: bool) -> None:
    body = gemini_error(code, status)
    wire = json.dumps([body] if wrapped else body, indent=2).encode()  # the JSON-array endpoint wraps it
    response = translate_error("gemini", code, wire)
    assert classified(response) == (kind, status, out)
    assert response.body["error"]["native_error"] == body["error"]
    assert classified(translate_error("vertex", code, wire)) == (kind, status, out)


def test_gemini_api_key_invalid_is_an_authentication_error() -> None:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": "API key not valid.",
        },
    ]
    body = gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", details)
    response = translate_error("gemini", 400, body)
    assert classified(response) == ("authentication_error", "invalid_api_key", 401)
    assert not response.retryable


@pytest.mark.parametrize(("delay", "header"), [("30s", "30"), ("1.5s", "2"), ("0s", "0"), ("0.001s", "1")])
def test_gemini_retry_info_gives_retry_after(delay: str, header: str) -> None:
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "x"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
    ]
    body = gemini_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", details)
    response = translate_error("gemini", 429, json.dumps([body]))
    assert response.headers == {"Retry-After": header}
    assert classified(response) == ("rate_limit_error", "RESOURCE_EXHAUSTED", 429)


@pytest.mark.parametrize(
    ("delay", "header"), [({"seconds": 2, "nanos": 500_000_000}, "3"), ("soon", None), ("xs", None), (5, None)]
)
def test_gemini_retry_info_other_forms(delay: Any, header: str | None) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]
    response = translate_error("gemini", 429, gemini_error(429, "RESOURCE_EXHAUSTED", "q", details))
    assert response.headers == ({"Retry-After": header} if header else {})


@pytest.mark.parametrize(
    ("status", "grpc", "message", "expected"),
    [
        (
            404,
            "NOT_FOUND",
            "models/gemini-9.0-pro is not found for API version v1beta, or is not supported for generateContent.",
            ("not_found_error", "model_not_found", 404),
        ),
        (
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            ("invalid_request_error", "context_length_exceeded", 400),
        ),
        (None, "UNAVAILABLE", "The model is overloaded.", ("overloaded_error", "UNAVAILABLE", 503)),
        (200, "SOMETHING_NEW", "new", ("api_error", "SOMETHING_NEW", 500)),
    ],
)
def test_gemini_refinements(status: Any, grpc: str, message: str, expected: tuple[str, str, int]) -> None:
    body = {"error": {"message": message, "status": grpc}}
    assert classified(translate_error("gemini", status, body)) == expected


def test_gemini_error_code_stands_in_for_a_missing_status() -> None:
    assert classified(translate_error("gemini", None, gemini_error(429, "NEW_STATUS"))) == (
        "rate_limit_error",
        "NEW_STATUS",
        429,
    )


# -- OpenAI and the OpenAI-compatible dialects -------------------------------------------------------------------


def openai_body(message: str, kind: Any, code: Any, param: Any = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


OPENAI = [
    (
        401,
        openai_body(
            "Incorrect API key provided: sk-abc. You can find your API key at …",
            "invalid_request_error",
            "invalid_api_key",
        ),
        ("authentication_error", "invalid_api_key", 401),
    ),
    (
        404,
        openai_body(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        ),
        ("not_found_error", "model_not_found", 404),
    ),
    (
        400,
        openai_body(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
            "messages",
        ),
        ("invalid_request_error", "context_length_exceeded", 400),
    ),
    (
        429,
        openai_body(
            "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000.", "tokens", "rate_limit_exceeded"
        ),
        ("rate_limit_error", "rate_limit_exceeded", 429),
    ),
    (
        429,
        openai_body(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        ),
        ("billing_error", "insufficient_quota", 402),
    ),
    (
        500,
        openai_body("The server had an error while processing your request. Sorry about that!", "server_error", None),
        ("api_error", "server_error", 500),
    ),
    (
        503,
        openai_body("The engine is currently overloaded, please try again later.", "server_error", None),
        ("overloaded_error", "server_error", 503),
    ),
    (
        403,
        openai_body(
            "Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory"
        ),
        ("permission_error", "unsupported_country_region_territory", 403),
    ),
    (
        404,
        openai_body("Invalid URL (POST /v1/chat/completion)", "invalid_request_error", None),
        ("not_found_error", "not_found_error", 404),
    ),
    (
        400,
        openai_body("Unrecognized request argument supplied: foo", "invalid_request_error", None),
        ("invalid_request_error", "invalid_request_error", 400),
    ),
]


@pytest.mark.parametrize("provider", ["openai", "openai_responses"])
@pytest.mark.parametrize(("status", "body", "expected"), OPENAI)
def test_openai_errors(provider: str, status: int, body: dict[str, Any], expected: tuple[str, str, int]) -> None:
    response = translate_error(provider, status, json.dumps(body).encode())
    assert classified(response) == expected
    assert response.body["error"]["native_error"] == body["error"]
    assert response.body["error"]["message"] == body["error"]["message"]
    assert response.body["error"]["param"] == body["error"]["param"]
    assert response.retryable is VOCABULARY[expected[0]][1]


OPENROUTER = [
    (400, "Invalid model: nope/nope", ("not_found_error", "model_not_found", 404)),
    (400, "messages: Required", ("invalid_request_error", "invalid_request_error", 400)),
    (401, "No auth credentials found", ("authentication_error", "authentication_error", 401)),
    (
        402,
        "Insufficient credits. Add more using https://openrouter.ai/credits",
        ("billing_error", "insufficient_quota", 402),
    ),
    (402, "This request requires more credits, or fewer max_tokens.", ("billing_error", "billing_error", 402)),
    (403, "Input was flagged by moderation", ("permission_error", "permission_error", 403)),
    (408, "Request timed out", ("timeout_error", "timeout_error", 504)),
    (429, "Rate limit exceeded: free-models-per-day", ("rate_limit_error", "rate_limit_error", 429)),
    (502, "Provider returned error", ("api_error", "api_error", 502)),
    (
        503,
        "No endpoints found that can handle the requested parameters.",
        ("overloaded_error", "overloaded_error", 503),
    ),
]


@pytest.mark.parametrize(("code", "message", "expected"), OPENROUTER)
def test_openrouter_errors(code: int, message: str, expected: tuple[str, str, int]) -> None:
    body = {"error": {"code": code, "message": message, "metadata": {"provider_name": "Anthropic", "raw": "{}"}}}
    assert classified(translate_error("openrouter", code, body)) == expected
    assert classified(translate_error("openrouter", None, body)) == expected  # error.code is the status


MISTRAL_DETAIL = [
    {"type": "extra_forbidden", "loc": ["body", "store"], "msg": "Extra inputs are not permitted", "input": False}
]


@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        (
            400,
            {
                "object": "error",
                "message": "Invalid model: mistral-huge",
                "type": "invalid_model",
                "param": None,
                "code": "1500",
            },
            ("not_found_error", "model_not_found", 404),
            "Invalid model: mistral-huge",
        ),
        (
            422,
            {"detail": MISTRAL_DETAIL},
            ("invalid_request_error", "invalid_request_error", 400),
            "body.store: Extra inputs are not permitted",
        ),
        (
            422,
            {
                "object": "error",
                "message": {"detail": MISTRAL_DETAIL},
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            },
            ("invalid_request_error", "invalid_request_error", 400),
            "body.store: Extra inputs are not permitted",
        ),
        (
            401,
            {"message": "Unauthorized", "request_id": "4f6d"},
            ("authentication_error", "authentication_error", 401),
            "Unauthorized",
        ),
        (401, {"detail": "Unauthorized"}, ("authentication_error", "authentication_error", 401), "Unauthorized"),
        (
            429,
            {
                "object": "error",
                "message": "Requests rate limit exceeded",
                "type": "rate_limit_exceeded",
                "param": None,
                "code": "1300",
            },
            ("rate_limit_error", "1300", 429),
            "Requests rate limit exceeded",
        ),
    ],
)
def test_mistral_errors(status: int, body: dict[str, Any], expected: tuple[str, str, int], message: str) -> None:
    response = translate_error("mistral", status, json.dumps(body))
    assert classified(response) == expected
    assert response.body["error"]["message"] == message
    assert response.body["error"]["native_error"] == body


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {
                "code": "Client specified an invalid argument",
                "error": "Incorrect API key provided: xa***Q6. You can obtain an API key from https://console.x.ai.",
            },
            ("authentication_error", "invalid_api_key", 401),
        ),
        (
            400,
            {"code": "Client specified an invalid argument", "error": "Model not found: grok-2-latest"},
            ("not_found_error", "model_not_found", 404),
        ),
        (
            404,
            {
                "code": "Some requested entity was not found",
                "error": "The model grok-beta does not exist or your team does not have access to it.",
            },
            ("not_found_error", "model_not_found", 404),
        ),
        (
            429,
            {"code": "Some resource has been exhausted", "error": "Your team has exceeded its rate limit."},
            ("rate_limit_error", "Some resource has been exhausted", 429),
        ),
    ],
)
def test_xai_errors(status: int, body: dict[str, Any], expected: tuple[str, str, int]) -> None:
    response = translate_error("xai", status, body)
    assert classified(response) == expected
    assert response.body["error"]["message"] == body["error"]


AZURE_FILTER = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {"hate": {"filtered": True, "severity": "high"}},
        },
    }
}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, AZURE_FILTER, ("invalid_request_error", "content_filter", 400)),
        (None, AZURE_FILTER, ("invalid_request_error", "content_filter", 400)),
        (
            429,
            {
                "error": {
                    "code": "429",
                    "message": "Requests to the ChatCompletions_Create Operation have exceeded token rate limit.",
                }
            },
            ("rate_limit_error", "rate_limit_error", 429),
        ),
        (
            None,
            {"error": {"code": "429", "message": "Requests have exceeded call rate limit."}},
            ("rate_limit_error", "rate_limit_error", 429),
        ),
        (
            404,
            {
                "error": {
                    "code": "DeploymentNotFound",
                    "message": "The API deployment for this resource does not exist.",
                }
            },
            ("not_found_error", "DeploymentNotFound", 404),
        ),
        (
            401,
            {
                "error": {
                    "code": "401",
                    "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                }
            },
            ("authentication_error", "authentication_error", 401),
        ),
    ],
)
def test_azure_errors(status: Any, body: dict[str, Any], expected: tuple[str, str, int]) -> None:
    response = translate_error("azure", status, body)
    assert classified(response) == expected
    assert response.body["error"]["param"] == body["error"].get("param")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            402,
            openai_body("Insufficient Balance", "unknown_error", "invalid_request_error"),
            ("billing_error", "insufficient_quota", 402),
        ),
        (
            422,
            openai_body(
                "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]", "invalid_request_error", None
            ),
            ("invalid_request_error", "invalid_request_error", 400),
        ),
        (
            401,
            openai_body(
                "Authentication Fails, Your api key: ****abcd is invalid",
                "authentication_error",
                "invalid_request_error",
            ),
            ("authentication_error", "authentication_error", 401),
        ),
        (503, b"", ("overloaded_error", "overloaded_error", 503)),
        (
            400,
            openai_body(
                "This model's maximum context length is 65536 tokens.", "invalid_request_error", "invalid_request_error"
            ),
            ("invalid_request_error", "context_length_exceeded", 400),
        ),
    ],
)
def test_deepseek_errors(status: int, body: Any, expected: tuple[str, str, int]) -> None:
    assert classified(translate_error("deepseek", status, body)) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            498,
            openai_body(
                "Flex tier capacity exceeded. This is a known issue.", "service_unavailable", "capacity_exceeded"
            ),
            ("overloaded_error", "capacity_exceeded", 503),
        ),
        (498, b"", ("overloaded_error", "overloaded_error", 503)),
        (
            413,
            openai_body(
                "Request too large for model `llama-3.1-8b-instant` on tokens per minute (TPM): Limit 6000",
                "tokens",
                "rate_limit_exceeded",
            ),
            ("request_too_large", "rate_limit_exceeded", 413),
        ),
        (
            429,
            openai_body(
                "Rate limit reached for model `llama-3.3-70b-versatile` on requests per minute",
                "requests",
                "rate_limit_exceeded",
            ),
            ("rate_limit_error", "rate_limit_exceeded", 429),
        ),
        (
            400,
            openai_body("Failed to call a function.", "invalid_request_error", "tool_use_failed"),
            ("invalid_request_error", "tool_use_failed", 400),
        ),
        (
            404,
            openai_body(
                "The model `llama-9` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            ),
            ("not_found_error", "model_not_found", 404),
        ),
    ],
)
def test_groq_errors(status: int, body: Any, expected: tuple[str, str, int]) -> None:
    assert classified(translate_error("groq", status, body)) == expected


# -- Bedrock ---------------------------------------------------------------------------------------------------

BEDROCK = [
    (400, "ValidationException", "invalid_request_error", 400),
    (403, "AccessDeniedException", "permission_error", 403),
    (403, "UnrecognizedClientException", "authentication_error", 401),
    (403, "ExpiredTokenException", "authentication_error", 401),
    (403, "InvalidSignatureException", "authentication_error", 401),
    (404, "ResourceNotFoundException", "not_found_error", 404),
    (429, "ThrottlingException", "rate_limit_error", 429),
    (400, "ServiceQuotaExceededException", "rate_limit_error", 429),
    (408, "ModelTimeoutException", "timeout_error", 504),
    (424, "ModelErrorException", "api_error", 502),
    (429, "ModelNotReadyException", "overloaded_error", 503),
    (500, "InternalServerException", "api_error", 500),
    (503, "ServiceUnavailableException", "overloaded_error", 503),
]


@pytest.mark.parametrize(("status", "name", "kind", "out"), BEDROCK)
def test_bedrock_errors_from_the_error_type_header(status: int, name: str, kind: str, out: int) -> None:
    headers = {
        "X-Amzn-ErrorType": f"{name}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        "x-amzn-RequestId": "r",
    }
    response = translate_error("bedrock", status, b'{"message":"The request failed."}', headers)
    assert classified(response) == (kind, name, out)
    assert response.body["error"]["native_error"] == {"message": "The request failed."}


@pytest.mark.parametrize(("status", "name", "kind", "out"), BEDROCK)
def test_bedrock_errors_from_the_type_field(status: int, name: str, kind: str, out: int) -> None:
    body = {"__type": f"com.amazon.coral.service#{name}", "Message": "The request failed."}
    response = translate_error("bedrock", status, body)
    assert classified(response) == (kind, name, out)
    assert response.body["error"]["message"] == "The request failed."


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (
            424,
            {"message": "Received error from model", "originalStatusCode": 400, "originalMessage": "bad"},
            [("x-amzn-errortype", "ModelErrorException")],
            ("invalid_request_error", "ModelErrorException", 400),
        ),
        (
            400,
            {"message": "Input is too long for requested model."},
            {"x-amzn-errortype": "ValidationException"},
            ("invalid_request_error", "context_length_exceeded", 400),
        ),
        (
            404,
            {"message": "Could not resolve the foundation model from the provided model identifier."},
            {"x-amzn-errortype": "ResourceNotFoundException"},
            ("not_found_error", "model_not_found", 404),
        ),
        (429, {"message": "Too many requests"}, None, ("rate_limit_error", "rate_limit_error", 429)),
        (500, {"message": "x"}, {"x-amzn-errortype": "BrandNewException"}, ("api_error", "BrandNewException", 500)),
    ],
)
def test_bedrock_refinements(status: int, body: Any, headers: Any, expected: tuple[str, str, int]) -> None:
    assert classified(translate_error("bedrock", status, body, headers)) == expected


def test_bedrock_names() -> None:
    assert bedrock_name("throttlingException") == "ThrottlingException"
    assert bedrock_name("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/") == (
        "ThrottlingException"
    )
    assert bedrock_name("com.amazon.coral.validate#ValidationException") == "ValidationException"
    assert bedrock_name("InternalFailure") == "InternalFailure"


# -- Cohere and Ollama -------------------------------------------------------------------------------------------

COHERE = [
    (
        400,
        "invalid request: list of documents must not be empty",
        ("invalid_request_error", "invalid_request_error", 400),
    ),
    (
        400,
        "too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4292.",
        ("invalid_request_error", "context_length_exceeded", 400),
    ),
    (401, "invalid api token", ("authentication_error", "authentication_error", 401)),
    (402, "Please add or update your payment method to continue.", ("billing_error", "billing_error", 402)),
    (
        404,
        "model 'command-x' not found, make sure the correct model ID was used",
        ("not_found_error", "model_not_found", 404),
    ),
    (
        422,
        "invalid request: temperature must be between 0 and 5",
        ("invalid_request_error", "invalid_request_error", 400),
    ),
    (
        429,
        "You are using a Trial key, which is limited to 10 API calls / minute.",
        ("rate_limit_error", "rate_limit_error", 429),
    ),
    (499, "request cancelled by user", ("api_error", "api_error", 502)),
    (500, "internal server error, this has been reported to our developers", ("api_error", "api_error", 500)),
    (503, "service unavailable", ("overloaded_error", "overloaded_error", 503)),
]


@pytest.mark.parametrize(("status", "message", "expected"), COHERE)
def test_cohere_errors(status: int, message: str, expected: tuple[str, str, int]) -> None:
    body = {"id": "6f1b4e3a-0c7d-4a8e-9d2b-3c5f1e7a9b0d", "message": message}
    response = translate_error("cohere", status, json.dumps(body).encode())
    assert classified(response) == expected
    assert response.body["error"]["message"] == message and response.body["error"]["native_error"] == body


OLLAMA = [
    (404, 'model "llama9" not found, try pulling it first', ("not_found_error", "model_not_found", 404)),
    (404, "model 'llama3.2' not found", ("not_found_error", "model_not_found", 404)),
    (400, "top_logprobs must be between 0 and 20", ("invalid_request_error", "invalid_request_error", 400)),
    (400, "llama3.2 does not support generate", ("invalid_request_error", "invalid_request_error", 400)),
    (500, "an error was encountered while running the model: unexpected EOF", ("api_error", "api_error", 500)),
    (502, "cloud model unreachable", ("api_error", "api_error", 502)),
    (401, "unauthorized", ("authentication_error", "authentication_error", 401)),
]


@pytest.mark.parametrize(("status", "message", "expected"), OLLAMA)
def test_ollama_errors(status: int, message: str, expected: tuple[str, str, int]) -> None:
    body = {"error": message}
    response = translate_error("ollama", status, json.dumps(body))
    assert classified(response) == expected
    assert response.body["error"]["message"] == message and response.body["error"]["native_error"] == body


# -- Retry-After -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "20"}, "20"),
        ({"Retry-After": "20"}, "20"),
        ({"RETRY-AFTER": " 7 "}, "7"),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ({"retry-after": "1.5"}, "2"),
        ({"retry-after-ms": "1500"}, "2"),
        ({"retry-after-ms": "2000"}, "2"),
        ({"retry-after-ms": "0.5"}, "1"),
        ({"Retry-After": "9", "retry-after-ms": "1"}, "9"),
        ({"retry-after": "soon", "retry-after-ms": "3000"}, "3"),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "-5"}, None),
        ({"retry-after-ms": "nan"}, None),
        ({"retry-after": "²"}, None),
        ([("Retry-After", "4"), ("x-request-id", "abc")], "4"),
        ([(b"retry-after", b"5")], "5"),
        ({}, None),
        (None, None),
        ("retry-after: 3", None),
        (42, None),
        ([("only-one",)], None),
    ],
)
def test_retry_after_forms(headers: Any, expected: str | None) -> None:
    assert retry_after(headers) == expected
    response = translate_error("anthropic", 429, anthropic_body("rate_limit_error", "slow down"), headers)
    assert response.headers == ({"Retry-After": expected} if expected else {})


def test_retry_after_from_an_httpx_like_headers_object() -> None:
    class Headers:
        def items(self) -> list[tuple[str, str]]:
            return [("Retry-After", "11"), ("retry-after", "12")]

    assert retry_after(Headers()) == "11"


# -- bodies that are not what the provider documents --------------------------------------------------------------

CLOUDFLARE_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
    b"\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_html_page_gives_its_title_and_the_status_type(provider: str) -> None:
    response = translate_error(provider, 502, CLOUDFLARE_502, {"content-type": "text/html"})
    assert response.body == {
        "error": {"message": "502 Bad Gateway", "type": "api_error", "code": "api_error", "param": None}
    }
    assert (response.status, response.retryable) == (502, True)


@pytest.mark.parametrize(
    ("status", "body", "message", "kind", "out"),
    [
        (503, b"", "anthropic returned HTTP 503 Service Unavailable", "overloaded_error", 503),
        (503, None, "anthropic returned HTTP 503 Service Unavailable", "overloaded_error", 503),
        (504, "upstream request timeout", "upstream request timeout", "timeout_error", 504),
        (500, b"<html><body><p>Internal</p>  <p>Error</p></body></html>", "Internal Error", "api_error", 500),
        (400, b"\xff\xfe not utf-8", "\ufffd\ufffd not utf-8", "invalid_request_error", 400),
        (599, b"   ", "anthropic returned HTTP 599", "api_error", 502),
        (None, b"", "anthropic error", "api_error", 500),
        ("garbage", b"oops", "oops", "api_error", 500),
        (True, b"oops", "oops", "api_error", 500),
        (200, b"oops", "oops", "api_error", 500),
        ("429", b"slow", "slow", "rate_limit_error", 429),
        (409, 12345, "anthropic returned HTTP 409 Conflict", "invalid_request_error", 409),
        (420, b"{}", "anthropic returned HTTP 420", "invalid_request_error", 420),
        (451, b'"blocked"', "blocked", "invalid_request_error", 451),
        (507, b"[1, 2]", "anthropic returned HTTP 507 Insufficient Storage", "api_error", 502),
    ],
)
def test_bodies_that_are_not_error_objects(status: Any, body: Any, message: str, kind: str, out: int) -> None:
    response = translate_error("anthropic", status, body)
    assert response.body["error"]["message"] == message
    assert (response.body["error"]["type"], response.status) == (kind, out)


def test_a_non_json_body_has_no_native_error_and_a_json_one_keeps_its_value() -> None:
    assert "native_error" not in translate_error("openai", 500, b"oops").body["error"]
    assert translate_error("openai", 500, b"[1, 2]").body["error"]["native_error"] == [1, 2]
    assert translate_error("openai", 500, b'"text"').body["error"]["native_error"] == "text"


def test_a_long_text_body_is_cut_to_1000_characters() -> None:
    response = translate_error("ollama", 500, "x" * 5000)
    assert response.body["error"]["message"] == "x" * 1000
    detail = [{"loc": ["body", "messages", i], "msg": "y" * 50} for i in range(100)]
    assert len(translate_error("mistral", 422, {"detail": detail}).body["error"]["message"]) == 1000


def test_odd_error_objects() -> None:
    odd = translate_error("openai", 400, {"error": {"message": 5, "type": 7, "code": ["x"], "param": {"p": 1}}})
    assert odd.body["error"] | {"native_error": None} == {
        "message": "openai returned HTTP 400 Bad Request",
        "type": "invalid_request_error",
        "code": "invalid_request_error",
        "param": None,
        "native_error": None,
    }
    nested = {"message": {"message": {"message": {"message": "deep"}}}}
    assert translate_error("mistral", 400, nested).body["error"]["message"] == "mistral returned HTTP 400 Bad Request"
    detail = translate_error(
        "mistral", 422, {"detail": ["plain", 3, {"msg": 4}, {"message": "m"}, {"loc": "x", "msg": "n"}]}
    )
    assert detail.body["error"]["message"] == "plain; m; n"
    assert translate_error("xai", 400, {"error": "  "}).body["error"]["message"] == "xai returned HTTP 400 Bad Request"
    assert translate_error("gemini", 400, [{"error": 5}]).body["error"]["type"] == "invalid_request_error"
    assert translate_error("gemini", 400, {"error": {"details": "x", "status": 3}}).body["error"]["code"] == (
        "invalid_request_error"
    )


def test_an_unknown_provider_is_a_value_error_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown provider 'nope'.*anthropic.*ollama"):
        translate_error("nope", 500, b"")
    with pytest.raises(ValueError, match="unknown provider"):
        classify("nope")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
_error_keys = st.sampled_from(
    ["error", "message", "type", "code", "status", "details", "detail", "param", "__type", "originalStatusCode"]
)
_error_json = st.recursive(
    _json,
    lambda children: st.dictionaries(_error_keys, children, max_size=5) | st.lists(children, max_size=2),
    max_leaves=25,
)
_statuses = st.one_of(st.integers(-10, 1000), st.none(), st.text(max_size=4), st.booleans(), st.floats())
_headers = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["retry-after", "Retry-After-Ms", "x-amzn-ErrorType", "other"]), st.text(max_size=40)
    ),
    st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=3),
)


def check_response(response: ErrorResponse) -> None:
    status, body = response
    assert 400 <= status <= 599 and status == response.status and body is response.body
    error = body["error"]
    assert error["type"] in UPSTREAM_TYPES
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["code"], str) and error["code"]
    assert error["param"] is None or isinstance(error["param"], str)
    assert response.retryable is VOCABULARY[error["type"]][1]
    assert set(response.headers) <= {"Retry-After"}
    json.dumps(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(provider=st.sampled_from(PROVIDERS), status=_statuses, body=st.binary(max_size=300), headers=_headers)
def test_any_bytes_give_a_vocabulary_error(provider: str, status: Any, body: bytes, headers: Any) -> None:
    response = translate_error(provider, status, body, headers)
    check_response(response)
    if "native_error" not in response.body["error"]:
        assert len(response.body["error"]["message"]) <= 1000


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    provider=st.sampled_from(PROVIDERS),
    status=_statuses,
    value=_error_json,
    as_text=st.booleans(),
    headers=_headers,
)
def test_any_json_gives_a_vocabulary_error(provider: str, status: Any, value: Any, as_text: bool, headers: Any) -> None:
    body = json.dumps(value) if as_text else value
    check_response(translate_error(provider, status, body, headers))


@settings(max_examples=200, deadline=None)
@given(
    provider=st.sampled_from(PROVIDERS),
    status=_statuses,
    native_type=st.one_of(st.none(), st.text(max_size=30), st.integers()),
    native_code=st.one_of(st.none(), st.text(max_size=30), st.integers()),
    message=st.one_of(st.none(), st.text(max_size=80), st.integers()),
)
def test_classify_never_raises(provider: str, status: Any, native_type: Any, native_code: Any, message: Any) -> None:
    found = classify(provider, status=status, native_type=native_type, native_code=native_code, message=message)
    assert found.type in UPSTREAM_TYPES and 400 <= found.status <= 599 and found.code
    assert found.retryable is VOCABULARY[found.type][1]


# -- error_response ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(VOCABULARY))
def test_error_response_for_every_type(kind: str) -> None:
    error = {"message": "m", "type": kind, "code": kind, "param": None}
    response = error_response(error)
    assert (response.status, response.retryable) == VOCABULARY[kind]
    assert response.body == {"error": error} and response.headers == {}
    assert error_response({"error": error}) == response  # the whole event


@pytest.mark.parametrize(
    ("error", "status", "retryable"),
    [
        (
            {"message": "m", "type": "api_error", "code": "api_error", "native_error": {"code": 502, "message": "x"}},
            502,
            True,
        ),
        ({"message": "m", "type": "api_error", "code": "x", "native_error": {"originalStatusCode": 500}}, 500, True),
        ({"message": "m", "type": "rate_limit_error", "code": "x", "native_error": {"status_code": 500}}, 429, True),
        ({"message": "m", "type": "invalid_request_error", "code": "x", "native_error": {"status": 409}}, 409, False),
        ({"message": "m", "type": "mystery", "code": "x"}, 500, True),
        ({"message": "m", "type": "timeout_error", "native_error": "not an object"}, 504, True),
    ],
)
def test_error_response_keeps_a_native_status_of_the_same_type(error: Any, status: int, retryable: bool) -> None:
    response = error_response(error)
    assert (response.status, response.retryable) == (status, retryable)
    assert response.body == {"error": error}


@pytest.mark.parametrize("error", [{}, None, "boom", 5])
def test_error_response_of_nothing_is_an_api_error(error: Any) -> None:
    response = error_response(error)
    assert (response.status, response.body["error"]["type"], response.retryable) == (500, "api_error", True)


def test_error_response_takes_retry_after_from_gemini_retry_info() -> None:
    native = gemini_error(
        429, "RESOURCE_EXHAUSTED", "q", [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41s"}]
    )
    [event] = translate("gemini", [native])
    assert error_response(event["error"]).headers == {"Retry-After": "41"}


# -- in-stream and pre-stream errors agree ---------------------------------------------------------------------------


def in_stream(provider: str, events: list[Any]) -> dict[str, Any]:
    last: dict[str, Any] = list(translate(provider, events))[-1]
    return last["error"]


def same_problem(provider: str, events: list[Any], status: int, body: Any, headers: Any = None) -> None:
    """The in-stream error event and the pre-stream HTTP error of one problem: the same type and code, and
    `error_response` of the event answers with the status `translate_error` gives."""
    streamed = in_stream(provider, events)
    before = translate_error(provider, status, body, headers)
    assert (streamed["type"], streamed["code"]) == (before.body["error"]["type"], before.body["error"]["code"])
    answer = error_response(streamed)
    assert (answer.status, answer.retryable) == (before.status, before.retryable)


def test_anthropic_overloaded_first_event_and_http_529_agree() -> None:
    error = {"type": "overloaded_error", "message": "Overloaded"}
    same_problem(
        "anthropic", [{"type": "error", "error": error}], 529, anthropic_body("overloaded_error", "Overloaded")
    )


@pytest.mark.parametrize(("code", "status", "kind", "out"), GRPC)
def test_gemini_in_stream_and_pre_stream_agree(code: int, status: str, kind: str, out: int) -> None:
    body = gemini_error(code, status, "Please try again later.")
    same_problem("gemini", [body], code, json.dumps([body]))
    [streamed] = list(stream("gemini", [json.dumps(body).encode()]))
    assert f'"type":"{kind}","code":"{status}"'.encode() in streamed


@pytest.mark.parametrize(
    ("status", "name", "kind", "out"),
    [
        row
        for row in BEDROCK
        if row[1]
        in ("ValidationException", "ThrottlingException", "InternalServerException", "ServiceUnavailableException")
    ],
)
def test_bedrock_exception_frames_and_http_errors_agree(status: int, name: str, kind: str, out: int) -> None:
    member = name[0].lower() + name[1:]
    events = [{"messageStart": {"role": "assistant"}}, {member: {"message": "Too many tokens, please wait."}}]
    same_problem("bedrock", events, status, {"message": "Too many tokens, please wait."}, {"x-amzn-errortype": name})
    frame = [{"messageStart": {"role": "assistant"}}, {"error": {"type": member, "message": "m", "headers": {}}}]
    assert in_stream("bedrock", frame)["code"] == name


def test_bedrock_model_stream_error_and_model_error_agree_on_the_original_status() -> None:
    native = {"message": "Received error", "originalStatusCode": 429, "originalMessage": "Too many requests"}
    events = [{"messageStart": {"role": "assistant"}}, {"modelStreamErrorException": native}]
    streamed = in_stream("bedrock", events)
    before = translate_error("bedrock", 424, native, {"x-amzn-errortype": "ModelErrorException"})
    assert streamed["type"] == before.body["error"]["type"] == "rate_limit_error"
    assert error_response(streamed).status == before.status == 429


@pytest.mark.parametrize(("code", "message", "expected"), OPENROUTER[1:])
def test_openrouter_error_chunk_and_http_error_agree(code: int, message: str, expected: tuple[str, str, int]) -> None:
    error = {"code": code, "message": message}
    chunk = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "error": error,
    }
    same_problem("openrouter", [chunk], code, {"error": error})


def test_openai_error_event_and_http_error_agree() -> None:
    body = openai_body("Rate limit reached for gpt-4o", "tokens", "rate_limit_exceeded")
    same_problem("openai", [body], 429, body)
    quota = openai_body("You exceeded your current quota", "insufficient_quota", "insufficient_quota")
    same_problem("openai", [quota], 429, quota)


def test_responses_error_event_and_http_error_agree() -> None:
    event = {"type": "error", "code": "insufficient_quota", "message": "You exceeded your current quota", "param": None}
    same_problem(
        "openai_responses", [event], 429, openai_body(event["message"], "insufficient_quota", "insufficient_quota")
    )
    failed = {
        "type": "response.failed",
        "response": {"status": "failed", "error": {"code": "server_error", "message": "x"}},
    }
    same_problem("openai_responses", [failed], 500, openai_body("x", "server_error", "server_error"))
    limited = {"type": "error", "code": "rate_limit_exceeded", "message": "Rate limit reached", "param": None}
    same_problem(
        "openai_responses", [limited], 429, openai_body("Rate limit reached", "requests", "rate_limit_exceeded")
    )


def test_groq_error_event_and_http_error_agree() -> None:
    error = {
        "message": "Failed to call a function.",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "status_code": 400,
    }
    same_problem("groq", [{"error": error}], 400, {"error": {k: v for k, v in error.items() if k != "status_code"}})


def test_ollama_error_line_and_http_error_agree() -> None:
    body = {"error": 'model "llama9" not found, try pulling it first'}
    same_problem("ollama", [body], 404, body)
    same_problem(
        "ollama",
        [{"error": "an error was encountered while running the model"}],
        500,
        {"error": "an error was encountered while running the model"},
    )


def test_cohere_in_stream_reasons() -> None:
    for reason, kind in (("ERROR", "api_error"), ("TIMEOUT", "timeout_error")):
        found = classify("cohere", native_type=reason, native_code=reason, message="x")
        assert (found.type, found.code) == (kind, reason)
        assert error_response({"type": kind, "message": "x"}).status == VOCABULARY[kind][0]


# -- the tables and the result type --------------------------------------------------------------------------------


def test_the_vocabulary_is_the_documented_one() -> None:
    assert dict(TYPES) == VOCABULARY
    rules = [*BY_STATUS.values()]
    for lookups in (*STRONG.values(), *WEAK.values()):
        rules.extend(rule for _, table in lookups for rule in table.values())
    assert {rule.type for rule in rules} <= UPSTREAM_TYPES


def test_classify_statuses() -> None:
    assert classify("openai", status=409)[:3] == ("invalid_request_error", "invalid_request_error", 409)
    assert classify("openai", status=501)[:3] == ("api_error", "api_error", 502)
    assert classify("openai", status=" 429 ")[:3] == ("rate_limit_error", "rate_limit_error", 429)
    assert classify("openai", status=350)[:3] == ("api_error", "api_error", 500)
    assert classify("openai", native_code="rate_limit_exceeded", status=413).status == 413


def test_error_response_is_a_two_item_tuple_with_attributes() -> None:
    response = translate_error("anthropic", 429, anthropic_body("rate_limit_error", "slow"), {"retry-after": "3"})
    status, body = response
    assert status == 429
    assert isinstance(response, tuple) and len(response) == 2 and response == (429, body)
    assert (response.status, response.body, response.headers, response.retryable) == (
        429,
        body,
        {"Retry-After": "3"},
        True,
    )
    copied = pickle.loads(pickle.dumps(response))
    assert copied == response and copied.headers == response.headers and copied.retryable is True
    assert repr(response).startswith("ErrorResponse(status=429, body={") and "retryable=True" in repr(response)
    assert ErrorResponse(500, {}).headers == {} and ErrorResponse(500, {}).retryable is False


def test_importing_the_package_does_not_load_the_error_tables() -> None:
    code = "import sys, translators, translators.errors; print('translators._http_errors' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_stream_without_errors_does_not_load_the_error_tables_and_one_with_an_error_does() -> None:
    code = (
        "import sys, translators\n"
        'ok = b\'data: {"candidates": [{"content": {"parts": [{"text": "hi"}]}, '
        '"finishReason": "STOP"}]}\\n\\n\'\n'
        "for provider in ('anthropic', 'gemini', 'openai', 'openai_responses', 'bedrock', 'cohere', 'ollama'):\n"
        "    list(translators.stream(provider, []))\n"
        "list(translators.stream('gemini', [ok]))\n"
        "print('translators._http_errors' in sys.modules)\n"
        'list(translators.stream(\'gemini\', [b\'data: {"error": {"code": 503, "status": "UNAVAILABLE"}}\\n\\n\']))\n'
        "print('translators._http_errors' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
