"""Hypothesis strategies: realistic Chat Completions streams of the seven "compatible" dialects (``openai``,
``azure``, ``deepseek``, ``mistral``, ``xai``, ``groq``, ``openrouter``) as lists of chunk dicts, and their
wire bodies.

Modelled on the recordings in /work/shared/real-streams/{openai-chat,azure-openai,deepseek,mistral,xai,groq,
openrouter} and the "Quirks seen" section of its SOURCES.md (field names, key orders, event orders):

* OpenAI: role chunk ``{"role":"assistant","content":"","refusal":null}`` (``content: null`` for tool calls,
  ``refusal: ""`` for refusals), the first tool-call entry in the role chunk or the next one, argument
  fragments by ``index``, n > 1 choices interleaved, logprobs (``{"content": [], "refusal": null}`` on the
  role chunk), ``service_tier``/``system_fingerprint``; 2024 style (no ``usage`` key, no ``obfuscation``) or
  2025 style (``usage: null`` on every chunk until a ``choices: []`` usage chunk, ``obfuscation`` on every
  chunk, a ``moderation`` chunk after the usage chunk).
* Azure: the first chunk ``{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":
  [...]}``, keys in alphabetical order, ``content_filter_results`` on every choice (``{}`` on role and finish
  chunks).
* DeepSeek: ``reasoning_content`` and ``content``, the other one null; usage (with ``prompt_cache_hit_tokens``
  / ``prompt_cache_miss_tokens``) on the finish chunk; ``insufficient_system_resource``.
* Mistral: ``content`` as a list of ``thinking`` parts (``text`` items inside, ``[]`` closing) or ``text``
  parts, then strings; tool calls whole, without ``index`` or ``type``, on the finish chunk with the usage;
  ``model_length``; ``finish_reason: "error"``.
* xAI: role inside the first delta, no ``finish_reason`` key until the finish, ``created`` that moves on,
  tool calls whole in one chunk, a usage chunk whose ``total_tokens`` counts reasoning outside
  ``completion_tokens``.
* Groq: ``x_groq`` (``{id, seed}`` first, ``{id, usage}`` on the finish chunk, beside or instead of
  ``usage``), ``reasoning`` with ``channel: "analysis"``, whole tool calls, ``event: error`` and no
  ``[DONE]``.
* OpenRouter: ``: OPENROUTER PROCESSING`` comments, ``provider``, ``role`` on every delta,
  ``native_finish_reason``, ``reasoning`` + ``reasoning_details``, annotations, a repeated finish chunk, the
  usage on a chunk of its own (a choice with ``finish_reason: null``, or none), an error chunk (top-level
  ``error``, ``finish_reason`` null or ``"error"``) then ``[DONE]``.

Every chunk validates as ``openai.types.chat.ChatCompletionChunk`` once its dialect's documented deviations
(`DEVIATIONS`) are normalised by `as_sdk_chunk` (asserted by a test), and the keys the SDK models do not
declare are the ones `EXTRA_KEYS` lists for the dialect.

* `chat_streams(dialect)`: a complete `ChatStream` (every choice finishes, the usage where the dialect puts
  it, ``[DONE]`` on the wire).
* `ended_chat_streams(dialect)`: complete, truncated (cut after any chunk, no ``[DONE]``), or ended by the
  dialect's error (`error_chunks`).
* `chat_wire(stream)`: the body, one piece per SSE event.
* `junk_values`, `CHAT_FIELD_NAMES`: for the robustness properties.
"""

from __future__ import annotations

import copy
import functools
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk

from tests.strategies import json_fragments, texts, tool_inputs, tricky_strings
from tests.test_openai_chat_fixtures import EXTRA_KEYS as FIXTURE_EXTRA_KEYS
from tests.test_openai_chat_fixtures import extra_keys

__all__ = [
    "CHAT_FIELD_NAMES",
    "DEVIATIONS",
    "DIALECT_NAMES",
    "EXTRA_KEYS",
    "REASONING",
    "ChatStream",
    "as_sdk_chunk",
    "chat_streams",
    "chat_wire",
    "ended_chat_streams",
    "error_chunks",
    "extra_keys",
    "junk_values",
    "validate_chunk",
]

DIALECT_NAMES = ("openai", "azure", "deepseek", "mistral", "xai", "groq", "openrouter")
MULTI_CHOICE = frozenset({"openai", "azure", "xai"})
"""Dialects that serve ``n`` > 1 (the others always stream one choice)."""
REASONING = frozenset({"deepseek", "mistral", "xai", "groq", "openrouter"})
"""Dialects that stream reasoning text (each under its own key)."""
WHOLE_CALLS = frozenset({"mistral", "xai", "groq"})
"""Dialects that send each tool call whole in one delta (the others stream argument fragments)."""

SDK_FINISH = ("stop", "length", "tool_calls", "content_filter", "function_call")

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
_counts = st.integers(min_value=0, max_value=50_000)
_created = st.integers(min_value=1_700_000_000, max_value=1_800_000_000)
_uuids = st.uuids().map(str)


@functools.cache
def _alnum(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_ALNUM, min_size=size, max_size=size)


_MODELS = {
    "openai": st.sampled_from(("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-5-2025-08-07")),
    "azure": st.sampled_from(("gpt-5-nano-2025-08-07", "gpt-4o-2024-11-20")),
    "deepseek": st.sampled_from(("deepseek-reasoner", "deepseek-chat")),
    "mistral": st.sampled_from(("magistral-medium-latest", "mistral-small-latest", "magistral-small-latest")),
    "xai": st.sampled_from(("grok-3-mini", "grok-4-0709", "grok-code-fast-1")),
    "groq": st.sampled_from(("openai/gpt-oss-120b", "llama-3.3-70b-versatile", "qwen/qwen3-32b")),
    "openrouter": st.sampled_from(("minimax/minimax-m2:free", "openai/gpt-4o-mini", "qwen/qwen3-235b-a22b-2507")),
}
_PROVIDERS = st.sampled_from(("Minimax", "OpenAI", "DeepInfra", "Google", "Anthropic", "Together"))
_tricky_models = st.one_of(tricky_strings, texts)


@functools.cache
def _stream_ids(dialect: str) -> st.SearchStrategy[str]:
    if dialect in ("openai", "azure"):
        return _alnum(29).map(lambda s: "chatcmpl-" + s)
    if dialect in ("deepseek", "xai"):
        return _uuids
    if dialect == "mistral":
        return st.text(alphabet=_HEX, min_size=32, max_size=32)
    if dialect == "groq":
        return _uuids.map(lambda s: "chatcmpl-" + s)
    return st.tuples(_created, _alnum(20)).map(lambda p: f"gen-{p[0]}-{p[1]}")


@functools.cache
def _call_ids(dialect: str) -> st.SearchStrategy[str]:
    if dialect in ("openai", "azure"):
        return _alnum(24).map(lambda s: "call_" + s)
    if dialect == "deepseek":
        return _uuids.map(lambda s: "call_0_" + s)
    if dialect in ("mistral", "groq"):
        return _alnum(9)
    if dialect == "xai":
        return st.integers(10_000_000, 99_999_999).map(lambda n: f"call_{n}")
    return st.one_of(_alnum(24).map(lambda s: "call_" + s), _alnum(24).map(lambda s: "toolu_vrtx_" + s))


# -- the stream as a plan ------------------------------------------------------------------------------------


@dataclass
class _Call:
    id: str
    name: str
    fragments: list[str]

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


@dataclass
class _Plan:
    """What one choice says: reasoning fragments, then text / refusal fragments and calls, then its finish."""

    index: int
    reasoning: list[str] = field(default_factory=list)
    items: list[tuple[str, Any]] = field(default_factory=list)  # ("text", str) | ("refusal", str) | ("call", _Call)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    finish: str = "stop"
    native_finish: str | None = None


@dataclass
class ChatStream:
    """One generated upstream stream.

    ``chunks`` is what `translate()` is given: the chunk dicts in order, an error object included, no
    ``[DONE]`` (which is wire only: ``done``). ``ending``: ``"complete"`` (every choice finished, the usage
    where the dialect puts it), ``"truncated"`` (cut after some chunk: no ``[DONE]``; every choice may still
    have finished), or ``"error"`` (the last chunk is the dialect's error: an error object, an error chunk, or
    ``finish_reason: "error"``)."""

    dialect: str
    chunks: list[dict[str, Any]]
    ending: str
    done: bool
    usage_in_stream: bool = True
    """The upstream sent usage (OpenAI-style dialects only with ``stream_options.include_usage``)."""


@dataclass
class _Ctx:
    dialect: str
    id: str
    created: int
    model: str
    fingerprint: str | None
    service_tier: str | None
    provider: str
    modern: bool  # OpenAI 2025 style: usage null + obfuscation
    include_usage: bool
    logprobs: bool
    groq_request: str
    draw: st.DrawFn

    def created_now(self) -> int:
        if self.dialect == "xai" and self.draw(st.integers(0, 3)) == 0:
            self.created += 1  # xAI's created moves on during the stream
        return self.created


def _obfuscation(draw: st.DrawFn) -> str:
    return draw(st.text(alphabet=_ALNUM, min_size=1, max_size=16))


def _chunk(ctx: _Ctx, choices: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    """A chunk in the dialect's key order. ``top`` holds ``usage`` (a dict, or ``None`` for ``usage: null``),
    ``x_groq``, ``moderation``, ``error``; absent keys are not sent."""
    d = ctx.dialect
    head: dict[str, Any] = {"id": ctx.id}
    if d == "openrouter":
        head["provider"] = ctx.provider
        if "error" in top:
            head["error"] = top.pop("error")
        head.update(model=ctx.model, object="chat.completion.chunk", created=ctx.created, choices=choices)
        if "usage" in top and top["usage"] is not None:
            head["usage"] = top["usage"]
        return head
    head.update(object="chat.completion.chunk", created=ctx.created_now(), model=ctx.model)
    if d == "openai" and ctx.modern and ctx.service_tier is not None:  # the 2024 recordings have none
        head["service_tier"] = ctx.service_tier
    if d in ("openai", "azure", "deepseek", "groq"):
        head["system_fingerprint"] = ctx.fingerprint
    head["choices"] = choices
    if "x_groq" in top:
        head["x_groq"] = top["x_groq"]
    if "moderation" in top:
        head["moderation"] = top["moderation"]
    if "usage" in top:
        head["usage"] = top["usage"]
    elif d == "deepseek" or (d in ("openai", "azure") and ctx.modern and ctx.include_usage):
        head["usage"] = None
    if d == "xai":
        head["system_fingerprint"] = ctx.fingerprint
    if d in ("openai", "azure") and ctx.modern:
        head["obfuscation"] = _obfuscation(ctx.draw)
    if "error" in top:
        head["error"] = top["error"]
    if d == "azure":
        head = dict(sorted(head.items()))
    return head


def _body(
    ctx: _Ctx,
    index: int,
    delta: dict[str, Any] | None,
    finish: str | None = None,
    *,
    logprobs: Any = None,
    filters: dict[str, Any] | None = None,
    native: str | None = None,
) -> dict[str, Any]:
    """One choice of a chunk, in the dialect's key order."""
    d = ctx.dialect
    body: dict[str, Any] = {"index": index}
    if delta is not None:
        body["delta"] = delta
    if d == "openai":
        if not ctx.modern or ctx.logprobs:
            body["logprobs"] = logprobs
        body["finish_reason"] = finish
    elif d == "azure":
        body = {
            "content_filter_results": filters if filters is not None else {},
            "delta": delta,
            "finish_reason": finish,
            "index": index,
            "logprobs": logprobs,
        }
    elif d in ("deepseek", "groq"):
        body.update(logprobs=None, finish_reason=finish)
    elif d == "mistral":
        body["finish_reason"] = finish
        if ctx.modern:
            body["logprobs"] = None
    elif d == "xai":
        if finish is not None:
            body["finish_reason"] = finish
    else:  # openrouter
        body.update(finish_reason=finish, native_finish_reason=native, logprobs=None)
    return body


# -- per-dialect pieces --------------------------------------------------------------------------------------

_SEVERITIES = ("safe", "low", "medium", "high")


@st.composite
def _filters(draw: st.DrawFn, *, filtered: bool = False) -> dict[str, Any]:
    """Azure's ``content_filter_results`` of a choice."""
    out: dict[str, Any] = {}
    for category in ("hate", "self_harm", "sexual", "violence"):
        severity = draw(st.sampled_from(_SEVERITIES))
        out[category] = {"filtered": filtered and severity in ("medium", "high"), "severity": severity}
    if filtered and not any(v["filtered"] for v in out.values()):
        out["violence"] = {"filtered": True, "severity": "high"}
    if draw(st.integers(0, 4)) == 0:
        out["protected_material_text"] = {"filtered": False, "detected": False}
    return dict(sorted(out.items()))


@st.composite
def _prompt_filter_results(draw: st.DrawFn) -> list[dict[str, Any]]:
    results = []
    for n in range(draw(st.integers(1, 2))):
        filters = draw(_filters())
        filters["jailbreak"] = {"filtered": False, "detected": draw(st.booleans())}
        results.append({"prompt_index": n, "content_filter_results": dict(sorted(filters.items()))})
    return results


def _token_logprob(token: str, draw: st.DrawFn) -> dict[str, Any]:
    logprob = -draw(st.floats(min_value=0, max_value=20, allow_nan=False))
    top = [
        {"token": t, "logprob": logprob - 1, "bytes": list(t.encode())}
        for t in draw(st.lists(st.sampled_from(("a", " the", "é", "!")), max_size=2))
    ]
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8")), "top_logprobs": top}


_MOD_CATEGORIES = ("harassment", "hate", "self-harm", "sexual", "violence", "illicit")


@st.composite
def _moderation_results(draw: st.DrawFn) -> dict[str, Any]:
    result = {
        "type": "moderation_result",
        "model": "omni-moderation-latest",
        "flagged": False,
        "categories": {c: False for c in _MOD_CATEGORIES},
        "category_scores": {c: draw(st.floats(0, 0.01)) for c in _MOD_CATEGORIES},
        "category_applied_input_types": {c: ["text"] for c in _MOD_CATEGORIES},
    }
    return {"type": "moderation_results", "model": "omni-moderation-latest", "results": [result]}


@st.composite
def _moderation(draw: st.DrawFn) -> dict[str, Any]:
    return {"input": draw(_moderation_results()), "output": draw(_moderation_results())}


@st.composite
def _annotation(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 200))
    citation = {
        "url": "https://" + draw(_alnum(6)) + ".example/" + draw(_alnum(4)),
        "title": draw(texts),
        "content": draw(texts),
        "start_index": start,
        "end_index": start + draw(st.integers(0, 50)),
    }
    return {"type": "url_citation", "url_citation": citation}


# -- one choice's plan ---------------------------------------------------------------------------------------


@st.composite
def _call(draw: st.DrawFn, dialect: str) -> _Call:
    arguments = draw(tool_inputs)
    if dialect in WHOLE_CALLS:
        separators = (", ", ": ") if dialect == "mistral" else (",", ":")
        return _Call(draw(_call_ids(dialect)), draw(_names), [json.dumps(arguments, separators=separators)])
    fragments = draw(json_fragments(arguments))
    return _Call(draw(_call_ids(dialect)), draw(_names), fragments)


_OPENROUTER_NATIVE = {
    "stop": ["stop", "STOP", "end_turn", "eos"],
    "length": ["length", "MAX_TOKENS", "max_tokens"],
    "tool_calls": ["tool_calls", "tool_use", "STOP"],
    "content_filter": ["content_filter", "SAFETY"],
}


@st.composite
def _plan(draw: st.DrawFn, dialect: str, index: int, *, max_items: int) -> _Plan:
    plan = _Plan(index)
    if dialect in REASONING and draw(st.booleans()):
        plan.reasoning = draw(st.lists(texts, min_size=1, max_size=4))
    refusal = dialect in ("openai", "azure") and draw(st.integers(0, 5)) == 0
    if refusal:
        plan.items = [("refusal", t) for t in draw(st.lists(texts, min_size=1, max_size=4))]
    else:
        kinds = draw(st.lists(st.sampled_from(("text", "text", "text", "call")), max_size=max_items))
        for kind in kinds:
            if kind == "text":
                plan.items += [("text", t) for t in draw(st.lists(texts, min_size=1, max_size=3))]
            else:
                plan.items.append(("call", draw(_call(dialect))))
    if dialect == "mistral":  # whole calls come last, on the finish chunk
        plan.items.sort(key=lambda item: item[0] == "call")
    calls = any(kind == "call" for kind, _ in plan.items)
    reasons = ["stop", "stop", "length"]
    if dialect in ("openai", "azure", "deepseek", "openrouter"):
        reasons.append("content_filter")
    if dialect == "deepseek":
        reasons.append("insufficient_system_resource")
    if dialect == "mistral":
        reasons.append("model_length")
    if calls:
        reasons = ["tool_calls", "tool_calls", "tool_calls", "stop", "length"]
    plan.finish = draw(st.sampled_from(reasons))
    if dialect == "openrouter":
        plan.native_finish = draw(st.sampled_from(_OPENROUTER_NATIVE[plan.finish]))
    if dialect == "openrouter" and draw(st.integers(0, 5)) == 0:
        plan.annotations = draw(st.lists(_annotation(), min_size=1, max_size=2))
    return plan


# -- a choice's plan → its chunks (choice bodies; the top level is added when the rows are interleaved) ----------


def _role_delta(ctx: _Ctx, plan: _Plan) -> dict[str, Any] | None:
    """The dialect's role-only first delta, or None when the role rides on the first real delta."""
    d = ctx.dialect
    calls_first = bool(plan.items) and plan.items[0][0] == "call"
    refusal = any(kind == "refusal" for kind, _ in plan.items)
    if d in ("openai", "azure"):
        if refusal:
            delta: dict[str, Any] = {"role": "assistant", "content": None, "refusal": ""}
        elif calls_first:
            delta = {"role": "assistant", "content": None}
        else:
            delta = {"role": "assistant", "content": "", "refusal": None}
        return dict(sorted(delta.items())) if d == "azure" else delta
    if d == "deepseek":
        if plan.reasoning or ctx.model == "deepseek-reasoner":
            return {"role": "assistant", "content": None, "reasoning_content": ""}
        return {"role": "assistant", "content": ""}
    if d == "mistral":
        return {"role": "assistant", "content": ""}
    if d == "groq":
        return {"role": "assistant", "content": None if calls_first else ""}
    return None  # xAI and OpenRouter: the role is on the first (OpenRouter: every) delta


def _reasoning_delta(ctx: _Ctx, text: str, detail_format: str | None) -> dict[str, Any]:
    d = ctx.dialect
    if d == "deepseek":
        return {"content": None, "reasoning_content": text}
    if d == "mistral":
        return {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": text}]}]}
    if d == "xai":
        return {"reasoning_content": text}
    if d == "groq":
        return {"reasoning": text, "channel": "analysis"}
    detail = {"type": "reasoning.text", "text": text, "index": 0, "format": detail_format}
    return {"role": "assistant", "content": "", "reasoning": text, "reasoning_details": [detail]}


def _text_delta(ctx: _Ctx, text: str) -> dict[str, Any]:
    d = ctx.dialect
    if d == "deepseek":
        return {"content": text, "reasoning_content": None}
    if d == "mistral" and ctx.draw(st.integers(0, 4)) == 0:
        return {"content": [{"type": "text", "text": text}]}
    if d == "openrouter":
        return {"role": "assistant", "content": text}
    return {"content": text}


def _call_deltas(ctx: _Ctx, call: _Call, tool_index: int) -> list[dict[str, Any]]:
    """The deltas that carry one call (Mistral's are built with the finish chunk)."""
    d = ctx.dialect
    if d in ("xai", "groq"):
        function = {"name": call.name, "arguments": call.arguments}
        if d == "xai":
            entry: dict[str, Any] = {"id": call.id, "function": function, "index": tool_index, "type": "function"}
        else:
            entry = {"id": call.id, "type": "function", "function": function, "index": tool_index}
        return [{"tool_calls": [entry]}]
    first_args = call.fragments[0] if call.fragments and ctx.draw(st.integers(0, 3)) == 0 else ""
    rest = call.fragments[1:] if first_args else call.fragments
    opening = {
        "index": tool_index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": first_args},
    }
    deltas = [{"tool_calls": [opening]}]
    deltas += [{"tool_calls": [{"index": tool_index, "function": {"arguments": f}}]} for f in rest]
    if d == "openrouter":
        deltas = [{"role": "assistant", "content": None, **delta} for delta in deltas]
    return deltas


def _choice_rows(ctx: _Ctx, plan: _Plan, final_usage: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The choice bodies of one choice, in order; the finish one carries ``_usage`` / ``_x_groq`` markers for
    the dialects that put the usage there (popped when the chunk is built)."""
    draw = ctx.draw
    d = ctx.dialect
    i = plan.index
    rows: list[dict[str, Any]] = []
    azure_filters = d == "azure"
    detail_format = draw(st.sampled_from((None, "unknown", "openai-responses-v1")))

    def add(delta: dict[str, Any], *, logprobs: Any = None) -> None:
        filters = draw(_filters()) if azure_filters and draw(st.integers(0, 4)) != 0 else {}
        rows.append(_body(ctx, i, delta, logprobs=logprobs, filters=filters))

    role = _role_delta(ctx, plan)
    if role is not None:
        role_logprobs = {"content": [], "refusal": None} if ctx.logprobs else None
        first_call = plan.items[0][1] if plan.items and plan.items[0][0] == "call" else None
        if d in ("openai", "azure") and first_call is not None and draw(st.booleans()):
            # gpt-4o-mini (2026): the first tool-call entry already in the role chunk
            (opening, *rest) = _call_deltas(ctx, first_call, 0)
            role = {**role, **opening, "refusal": None}
            rows.append(_body(ctx, i, role, logprobs=role_logprobs, filters={}))
            for delta in rest:
                add(delta)
            plan_items = plan.items[1:]
            tool_index = 1
        else:
            rows.append(_body(ctx, i, role, logprobs=role_logprobs, filters={}))
            if d == "mistral" and draw(st.booleans()):
                rows.append(_body(ctx, i, {"content": ""}))  # magistral's second empty delta
            plan_items = plan.items
            tool_index = 0
    else:
        plan_items = plan.items
        tool_index = 0

    pending: list[dict[str, Any]] = []  # deltas, each becomes one row
    for text in plan.reasoning:
        pending.append(_reasoning_delta(ctx, text, detail_format))
    if d == "mistral" and plan.reasoning and draw(st.booleans()):
        pending.append({"content": [{"type": "thinking", "thinking": []}]})  # closes the thinking
    for n, annotation in enumerate(plan.annotations):
        if n == 0:
            pending.append({"role": "assistant", "content": "", "annotations": [annotation]})
        else:
            pending[-1]["annotations"].append(annotation)
    mistral_calls: list[_Call] = []
    for kind, value in plan_items:
        if kind == "text":
            pending.append(_text_delta(ctx, value))
        elif kind == "refusal":
            pending.append({"refusal": value})
        elif d == "mistral":
            mistral_calls.append(value)
        else:
            pending += _call_deltas(ctx, value, tool_index)
            tool_index += 1
    if d == "xai" and role is None:
        if pending:
            pending[0] = {**pending[0], "role": "assistant"}
        else:
            pending.append({"role": "assistant"})
    if d == "openrouter" and not pending:
        pending.append({"role": "assistant", "content": ""})
    for delta in pending:
        logprobs = None
        if ctx.logprobs and "content" in delta and isinstance(delta["content"], str):
            logprobs = {"content": [_token_logprob(delta["content"], draw)], "refusal": None}
        elif ctx.logprobs and "refusal" in delta:
            logprobs = {"content": None, "refusal": [_token_logprob(delta["refusal"], draw)]}
        add(delta, logprobs=logprobs)

    # the finish
    if d in ("openai", "azure", "xai"):
        finish_delta: dict[str, Any] = {}
    elif d == "deepseek":
        finish_delta = {"content": "", "reasoning_content": None}
    elif d == "mistral":
        finish_delta = {"content": ""}
        if mistral_calls:
            entries = [{"id": c.id, "function": {"name": c.name, "arguments": c.arguments}} for c in mistral_calls]
            finish_delta = {"content": None, "tool_calls": entries}
    elif d == "groq":
        finish_delta = {}
    else:
        finish_delta = {"role": "assistant", "content": ""}
    merge_last = d == "openrouter" and rows and draw(st.integers(0, 3)) == 0 and "tool_calls" not in rows[-1]["delta"]
    if merge_last:  # the last delta rides on the finish chunk
        finish_delta = rows.pop()["delta"]
    filters = draw(_filters(filtered=True)) if d == "azure" and plan.finish == "content_filter" else {}
    finish = _body(ctx, i, finish_delta, plan.finish, filters=filters, native=plan.native_finish)
    if final_usage is not None:
        finish["_usage"] = final_usage
    rows.append(finish)
    if d == "openrouter" and draw(st.integers(0, 3)) == 0:  # the repeated finish chunk
        again = {"role": "assistant", "content": "", "reasoning": None, "reasoning_details": []}
        rows.append(_body(ctx, i, again, plan.finish, native=plan.native_finish))
    return rows


# -- usage -------------------------------------------------------------------------------------------------


@st.composite
def _usage(draw: st.DrawFn, ctx: _Ctx, reasoned: bool) -> dict[str, Any]:
    d = ctx.dialect
    prompt = draw(st.integers(1, 20_000))
    completion = draw(_counts)
    reasoning = draw(st.integers(0, completion)) if reasoned else 0
    cached = draw(st.integers(0, prompt))
    if d in ("openai", "azure"):
        if not ctx.modern:
            usage: dict[str, Any] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "completion_tokens_details": {"reasoning_tokens": 0},
            }
        else:
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": draw(st.integers(0, completion)),
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            }
        if d == "azure":
            usage = {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in sorted(usage.items())}
        return usage
    if d == "deepseek":
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if draw(st.integers(0, 3)) != 0:  # older deepseek-chat: the cache counts only
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        usage["prompt_cache_hit_tokens"] = cached
        usage["prompt_cache_miss_tokens"] = prompt - cached
        return usage
    if d == "mistral":
        return {"prompt_tokens": prompt, "total_tokens": prompt + completion, "completion_tokens": completion}
    if d == "xai":
        reasoning = draw(_counts) if reasoned else 0
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion + reasoning,
            "prompt_tokens_details": {
                "text_tokens": prompt,
                "audio_tokens": 0,
                "image_tokens": 0,
                "cached_tokens": cached,
            },
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
            "num_sources_used": 0,
            "cost_in_usd_ticks": draw(st.integers(0, 10_000_000)),
        }
    if d == "groq":
        times = st.floats(min_value=0, max_value=2, allow_nan=False)
        usage = {
            "queue_time": draw(times),
            "prompt_tokens": prompt,
            "prompt_time": draw(times),
            "completion_tokens": completion,
            "completion_time": draw(times),
            "total_tokens": prompt + completion,
            "total_time": draw(times),
        }
        if reasoned and draw(st.booleans()):
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return usage
    cost = draw(st.floats(min_value=0, max_value=0.01, allow_nan=False))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": cost,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "cost_details": {
            "upstream_inference_cost": None,
            "upstream_inference_prompt_cost": cost / 3,
            "upstream_inference_completions_cost": cost * 2 / 3,
        },
        # OpenRouter may count more reasoning tokens than completion tokens (the recording does)
        "completion_tokens_details": {"reasoning_tokens": draw(_counts) if reasoned else 0, "image_tokens": 0},
    }


# -- whole streams -----------------------------------------------------------------------------------------


@st.composite
def _context(draw: st.DrawFn, dialect: str) -> _Ctx:
    tricky = draw(st.integers(0, 9)) == 0
    return _Ctx(
        dialect=dialect,
        id=draw(tricky_strings if tricky else _stream_ids(dialect)),
        created=draw(_created),
        model=draw(_tricky_models if tricky else _MODELS[dialect]),
        fingerprint=draw(st.one_of(st.none(), _alnum(10).map(lambda s: "fp_" + s))),
        service_tier=draw(st.sampled_from((None, "default", "default", "auto", "flex", "priority", "scale"))),
        provider=draw(_PROVIDERS),
        modern=draw(st.booleans()),
        include_usage=draw(st.booleans()) if dialect in ("openai", "azure") else True,
        logprobs=dialect == "openai" and draw(st.integers(0, 3)) == 0,
        groq_request="req_" + draw(st.text(alphabet=_HEX + "xyz", min_size=26, max_size=26)),
        draw=draw,
    )


def _interleave(draw: st.DrawFn, queues: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Rows of choice bodies: each chunk takes the next body of one choice (OpenAI sends one per chunk).
    Choices start in index order (as the recordings do), except now and then (the translator announces
    the lower ones itself)."""
    rows: list[list[dict[str, Any]]] = []
    queues = [list(q) for q in queues]
    in_order = draw(st.integers(0, 4)) != 0
    started: set[int] = set()
    while any(queues):
        active = [i for i, q in enumerate(queues) if q]
        if in_order:  # a choice may start only after the one before it
            active = [i for i in active if i == 0 or i in started or i - 1 in started]
        chosen = draw(st.sampled_from(active)) if draw(st.integers(0, 2)) else active[0]
        started.add(chosen)
        rows.append([queues[chosen].pop(0)])
    return rows


@st.composite
def chat_streams(
    draw: st.DrawFn, dialect: str | None = None, *, max_choices: int = 3, max_items: int = 4
) -> ChatStream:
    """A complete stream of ``dialect`` (drawn when None): every choice finishes once, the usage comes where
    the dialect puts it, the wire ends in ``[DONE]``."""
    if dialect is None:
        dialect = draw(st.sampled_from(DIALECT_NAMES))
    ctx = draw(_context(dialect))
    count = 1
    if dialect in MULTI_CHOICE:
        count = min(draw(st.sampled_from((1, 1, 1, 2, 3))), max_choices)
    plans = [draw(_plan(dialect, i, max_items=max_items)) for i in range(count)]
    reasoned = any(p.reasoning for p in plans)
    usage = draw(_usage(ctx, reasoned))
    on_finish = dialect in ("deepseek", "mistral", "groq")
    queues = [_choice_rows(ctx, plan, usage if on_finish else None) for plan in plans]

    chunks: list[dict[str, Any]] = []
    if dialect == "azure":
        chunks.append(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": draw(_prompt_filter_results()),
            }
        )
    groq_first = True
    groq_usage_where = draw(st.sampled_from(("both", "both", "x_groq")))
    for row in _interleave(draw, queues):
        top: dict[str, Any] = {}
        for body in row:
            marked = body.pop("_usage", None)
            if marked is None:
                continue
            if dialect == "groq":
                top["x_groq"] = {"id": ctx.groq_request, "usage": marked}
                if groq_usage_where == "both":
                    top["usage"] = marked
            else:
                top["usage"] = marked
        if dialect == "groq" and groq_first:
            top["x_groq"] = {"id": ctx.groq_request, "seed": draw(st.integers(0, 2**31))}
            groq_first = False
        chunks.append(_chunk(ctx, row, **top))

    usage_in_stream = True
    if dialect in ("openai", "azure", "xai"):
        if ctx.include_usage:
            chunks.append(_chunk(ctx, [], usage=usage))
            if dialect == "openai" and ctx.modern and draw(st.integers(0, 3)) == 0:
                chunks.append(_chunk(ctx, [], moderation=draw(_moderation()), usage=None))
        else:
            usage_in_stream = False
    elif dialect == "openrouter":
        if draw(st.integers(0, 3)) == 0:
            chunks.append(_chunk(ctx, [], usage=usage))
        else:
            body = _body(ctx, 0, {"role": "assistant", "content": ""}, None)
            chunks.append(_chunk(ctx, [body], usage=usage))
    return ChatStream(dialect, chunks, "complete", True, usage_in_stream)


_ERROR_TYPES = ("server_error", "invalid_request_error", "rate_limit_exceeded", "api_error", "")


@st.composite
def error_chunks(draw: st.DrawFn, ctx_stream: ChatStream) -> dict[str, Any]:
    """The dialect's way to fail mid-stream, as the object `translate()` is given:

    * Groq: the data of an ``event: error`` (``{"error": {message, type, code, failed_generation,
      status_code}}``);
    * OpenRouter: a chunk with a top-level ``error`` (``code`` a number or a string), with ``usage`` beside it
      or ``finish_reason: "error"`` on its choice;
    * Mistral: a finish chunk with ``finish_reason: "error"`` (no error object);
    * the others: a bare ``{"error": {message, type, param, code}}`` data event, as OpenAI sends.
    """
    dialect = ctx_stream.dialect
    first = next((c for c in ctx_stream.chunks if c.get("choices")), ctx_stream.chunks[-1])
    message = draw(st.one_of(texts, st.sampled_from(("Token limit reached", "Provider disconnected"))))
    if dialect == "groq":
        failed = json.dumps({"name": draw(_names), "arguments": {"x": draw(texts)}})
        return {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "code": draw(st.sampled_from(("tool_use_failed", "json_validate_failed"))),
                "failed_generation": failed,
                "status_code": 400,
            }
        }
    if dialect == "openrouter":  # as the recording: the error right after provider
        error: dict[str, Any] = {"code": draw(st.sampled_from((400, 429, 502, "server_error"))), "message": message}
        chunk: dict[str, Any] = {"id": first["id"], "provider": first["provider"], "error": error}
        chunk.update(model=first["model"], object="chat.completion.chunk", created=first["created"])
        if draw(st.booleans()):  # after a finish: a choice with finish_reason null, and the usage
            delta = {"role": "assistant", "content": ""}
            chunk["choices"] = [
                {"index": 0, "delta": delta, "finish_reason": None, "native_finish_reason": None, "logprobs": None}
            ]
            prompt, completion = draw(_counts), draw(_counts)
            chunk["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "cost": 0,
                "is_byok": False,
                "completion_tokens_details": {"reasoning_tokens": draw(_counts), "image_tokens": 0},
            }
        else:  # mid-stream (OpenRouter's docs): finish_reason "error" beside the error
            delta = {"content": ""}
            chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": "error", "native_finish_reason": "error"}]
        return chunk
    if dialect == "mistral":
        head = {k: first[k] for k in ("id", "object", "created", "model")}
        return {**head, "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]}
    code = draw(st.sampled_from((None, "server_error", 500)))
    return {"error": {"message": message, "type": draw(st.sampled_from(_ERROR_TYPES)), "param": None, "code": code}}


@st.composite
def ended_chat_streams(draw: st.DrawFn, dialect: str | None = None, **kwargs: Any) -> ChatStream:
    """A complete stream, or one truncated after any chunk (no ``[DONE]``), or ended by the dialect's error
    (`error_chunks`) at any point (OpenRouter and Mistral then still send ``[DONE]``, the others close)."""
    stream = draw(chat_streams(dialect, **kwargs))
    ending = draw(st.sampled_from(("complete", "complete", "truncated", "error")))
    if ending == "complete":
        return stream
    if ending == "truncated":
        cut = draw(st.integers(0, len(stream.chunks) - 1))
        return ChatStream(stream.dialect, stream.chunks[:cut], "truncated", False, stream.usage_in_stream)
    error = draw(error_chunks(stream))
    if stream.dialect == "mistral":  # the error finish replaces the choice's own
        cut = draw(st.integers(0, len(stream.chunks) - 1))
    else:
        cut = draw(st.integers(0, len(stream.chunks)))
    done = stream.dialect in ("openrouter", "mistral") and draw(st.integers(0, 3)) != 0
    return ChatStream(stream.dialect, [*stream.chunks[:cut], error], "error", done, stream.usage_in_stream)


# -- the wire ----------------------------------------------------------------------------------------------

PROCESSING = b": OPENROUTER PROCESSING\n\n"


def _json(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only, allow_nan=False).encode("utf-8")


@st.composite
def chat_wire(draw: st.DrawFn, stream: ChatStream) -> list[bytes]:
    r"""``stream`` as its SSE body, one piece per event: ``data: {json}\n\n`` per chunk (compact JSON, raw
    UTF-8 or ASCII escapes), ``event: error`` for Groq's error, ``: OPENROUTER PROCESSING`` comments before
    the first data event (and now and then between events) for OpenRouter, ``data: [DONE]\n\n`` when the
    upstream sent it."""
    ascii_only = draw(st.booleans())
    pieces: list[bytes] = []
    if stream.dialect == "openrouter":
        pieces += [PROCESSING] * draw(st.integers(0, 17))
    for chunk in stream.chunks:
        data = b"data: " + _json(chunk, ascii_only) + b"\n\n"
        if stream.dialect == "groq" and set(chunk) == {"error"}:
            data = b"event: error\n" + data
        pieces.append(data)
        if stream.dialect == "openrouter" and draw(st.integers(0, 9)) == 0:
            pieces.append(PROCESSING)
    if stream.done:
        pieces.append(b"data: [DONE]\n\n")
    return pieces


# -- validation against the openai SDK, with each dialect's deviations -------------------------------------------

_BARE_ERROR = "a bare error object ({message, type, param, code}): not a chunk"
DEVIATIONS: dict[str, tuple[str, ...]] = {
    "openai": (_BARE_ERROR,),
    "azure": (
        "the first chunk: object '', id '', model '', created 0, choices [], prompt_filter_results",
        _BARE_ERROR,
    ),
    "deepseek": ("finish_reason 'insufficient_system_resource'", _BARE_ERROR),
    "mistral": (
        "delta.content as a list of thinking / text parts",
        "whole tool calls without index or type",
        "finish_reason 'model_length' or 'error'",
    ),
    "xai": (_BARE_ERROR,),
    "groq": ("event: error: an error object ({message, type, code, failed_generation, status_code}), not a chunk",),
    "openrouter": ("finish_reason 'error' (beside a top-level error)",),
}
"""What each dialect sends that ``ChatCompletionChunk`` rejects; `as_sdk_chunk` normalises exactly these."""

EXTRA_KEYS: dict[str, set[str]] = {
    dialect: keys | ({"ChoiceDelta.annotations"} if dialect == "openrouter" else set())
    for dialect, keys in FIXTURE_EXTRA_KEYS.items()
}
"""The keys each dialect adds that the SDK models do not declare, as ``<SDK model>.<key>``."""


def _deltas(chunk: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for body in chunk.get("choices") or []:
        if isinstance(body.get("delta"), dict):
            yield body["delta"]


def as_sdk_chunk(dialect: str, chunk: dict[str, Any]) -> dict[str, Any] | None:
    """``chunk`` with its dialect's `DEVIATIONS` normalised (asserting their own shape), or None when it is an
    error object rather than a chunk. What is left must validate as ``ChatCompletionChunk``."""
    if set(chunk) == {"error"}:
        assert dialect != "openrouter" and dialect != "mistral", "a bare error object outside its dialects"
        error = chunk["error"]
        assert isinstance(error["message"], str)
        return None
    normal = copy.deepcopy(chunk)
    if dialect == "azure" and chunk.get("object") == "":
        assert chunk["id"] == "" and chunk["model"] == "" and chunk["created"] == 0 and chunk["choices"] == []
        assert chunk["prompt_filter_results"]
        normal["object"] = "chat.completion.chunk"
    for body in normal.get("choices") or []:
        reason = body.get("finish_reason")
        if reason is not None and reason not in SDK_FINISH:
            allowed = {
                "deepseek": {"insufficient_system_resource"},
                "mistral": {"model_length", "error"},
                "openrouter": {"error"},
            }.get(dialect, set())
            assert reason in allowed, f"{dialect} finish_reason {reason!r}"
            body["finish_reason"] = None
    for delta in _deltas(normal):
        content = delta.get("content")
        if isinstance(content, list):
            assert dialect == "mistral"
            text = ""
            for part in content:
                if part["type"] == "thinking":
                    assert all(item["type"] == "text" and isinstance(item["text"], str) for item in part["thinking"])
                else:
                    assert part["type"] == "text" and isinstance(part["text"], str)
                    text += part["text"]
            delta["content"] = text
        for position, call in enumerate(delta.get("tool_calls") or []):
            if "index" not in call:
                assert dialect == "mistral" and "type" not in call
                assert call["id"] and call["function"]["name"] and isinstance(call["function"]["arguments"], str)
                call["index"] = position
    return normal


def validate_chunk(dialect: str, chunk: dict[str, Any]) -> ChatCompletionChunk | None:
    """Validate one generated chunk as the SDK's model (after `as_sdk_chunk`); None for an error object."""
    normal = as_sdk_chunk(dialect, chunk)
    if normal is None:
        return None
    return ChatCompletionChunk.model_validate(normal)


# -- junk --------------------------------------------------------------------------------------------------

CHAT_FIELD_NAMES = (
    "id",
    "object",
    "created",
    "model",
    "choices",
    "index",
    "delta",
    "role",
    "content",
    "reasoning_content",
    "reasoning",
    "reasoning_details",
    "channel",
    "refusal",
    "tool_calls",
    "function_call",
    "function",
    "name",
    "arguments",
    "type",
    "text",
    "thinking",
    "annotations",
    "audio",
    "logprobs",
    "finish_reason",
    "native_finish_reason",
    "content_filter_results",
    "prompt_filter_results",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
    "cached_tokens",
    "reasoning_tokens",
    "prompt_cache_hit_tokens",
    "x_groq",
    "moderation",
    "error",
    "message",
    "code",
    "provider",
    "system_fingerprint",
    "service_tier",
    "obfuscation",
)

_any_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(("assistant", "stop", "tool_calls", "error", "function", "thinking", "text", "[DONE]")),
    st.integers(-1, 3),
)


def _junk_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(CHAT_FIELD_NAMES) | st.text(max_size=4), inner, max_size=5
    )


junk_values = st.recursive(_any_scalar, _junk_containers, max_leaves=16)
"""JSON values shaped like chat chunks: the known field names, values of random types."""
