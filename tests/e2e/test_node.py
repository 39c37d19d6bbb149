"""The openai Node SDK and the Vercel AI SDK (`ai` + `@ai-sdk/openai`, `streamText`) against the proxy on localhost.

The set-up installs the packages of tests/e2e/node/package.json with npm (once, cached in node_modules); the tests
skip, saying so, only when node or npm is absent. One node process per SDK streams every chosen fixture.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import ALL_CASES, COMPLETE_CASES, ERROR_CASES, expected

# the AI SDK's names for OpenAI's finish reasons
AI_SDK_FINISH_REASON = {
    "stop": "stop",
    "tool_calls": "tool-calls",
    "length": "length",
    "content_filter": "content-filter",
}


def run_node_client(node_dir: Path, sdk: str, proxy_url: str) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None
    cases = [{"model": name, "tools": sorted({call.name for call in expected(name).tool_calls})} for name in ALL_CASES]
    result = subprocess.run(
        [node, "clients.mjs", sdk, f"{proxy_url}/v1", json.dumps(cases)],
        cwd=node_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"node clients.mjs {sdk} failed:\n{result.stdout}\n{result.stderr}"
    read: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return read


@pytest.fixture(scope="module")
def openai_node(node_clients: Path, proxy_url: str) -> dict[str, dict[str, Any]]:
    return run_node_client(node_clients, "openai", proxy_url)


@pytest.fixture(scope="module")
def ai_sdk(node_clients: Path, proxy_url: str) -> dict[str, dict[str, Any]]:
    return run_node_client(node_clients, "ai", proxy_url)


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_openai_node_sdk_reads_text_reasoning_tool_calls_finish_reason_and_usage(
    openai_node: dict[str, dict[str, Any]], name: str
) -> None:
    read, want = openai_node[name], expected(name)
    assert read["error"] is None
    assert read["text"] == want.content
    assert read["reasoning"] == want.reasoning
    assert read["toolCalls"] == [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in want.tool_calls]
    assert read["finishReason"] == want.finish_reason
    assert read["usage"] == want.usage


@pytest.mark.parametrize("name", ERROR_CASES)
def test_openai_node_sdk_throws_api_error_with_the_upstream_message(
    openai_node: dict[str, dict[str, Any]], name: str
) -> None:
    read, want = openai_node[name], expected(name)
    assert want.error is not None and read["error"] is not None
    assert read["error"]["isAPIError"] is True
    assert read["error"]["message"] == want.error["message"]
    assert read["error"]["error"] == want.error
    assert read["text"] == want.content


@pytest.mark.parametrize("name", COMPLETE_CASES)
def test_ai_sdk_stream_text_reads_text_tool_calls_and_finish_reason(
    ai_sdk: dict[str, dict[str, Any]], name: str
) -> None:
    read, want = ai_sdk[name], expected(name)
    assert read["error"] is None
    assert read["text"] == want.content
    assert read["toolCalls"] == [
        {"id": c.id, "name": c.name, "input": json.loads(c.arguments or "{}")} for c in want.tool_calls
    ]
    assert want.finish_reason is not None
    assert read["finishReason"] == AI_SDK_FINISH_REASON[want.finish_reason]
    assert want.usage is not None
    assert read["usage"]["inputTokens"] == want.usage["prompt_tokens"]
    assert read["usage"]["outputTokens"] == want.usage["completion_tokens"]


@pytest.mark.parametrize("name", ERROR_CASES)
def test_ai_sdk_stream_text_reports_the_midstream_error_with_its_message(
    ai_sdk: dict[str, dict[str, Any]], name: str
) -> None:
    read, want = ai_sdk[name], expected(name)
    assert want.error is not None and read["error"] is not None
    assert read["error"]["message"] == want.error["message"]
    assert read["text"] == want.content
    assert read["finishReason"] == "error"
