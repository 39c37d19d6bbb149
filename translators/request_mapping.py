"""OpenAI Chat Completions requests → Anthropic Messages and Gemini ``streamGenerateContent`` requests.

The request side of the reference proxy's real upstreams (`translators.proxy`): ``to_anthropic(request)``
gives the body of ``POST /v1/messages``; ``to_gemini(request)`` gives the model for the URL
``/v1beta/models/{model}:streamGenerateContent?alt=sse`` and its body. Plain dicts in, plain dicts out, no I/O.

Docs: https://platform.openai.com/docs/api-reference/chat/create (the input),
https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/docs/build-with-claude/vision,
https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use,
https://ai.google.dev/api/generate-content#request-body, https://ai.google.dev/api/caching#Content,
https://ai.google.dev/gemini-api/docs/function-calling, https://ai.google.dev/gemini-api/docs/thought-signatures.

=====================================  ======================================  ========================================
OpenAI request                         Anthropic ``/v1/messages``              Gemini ``streamGenerateContent``
=====================================  ======================================  ========================================
``model``                              ``model``, without ``anthropic/``       the URL's model, without ``gemini/``,
                                                                               ``google/`` or ``models/``
``system`` / ``developer`` messages    ``system``: a text block per text       ``systemInstruction.parts``: a text
(anywhere, in order)                   (string or text parts)                  part per text
``user`` message                       ``user`` turn                           ``user`` content
``assistant`` message                  ``assistant`` turn                      ``model`` content
content string / ``text`` part         ``text`` block                          ``text`` part
``refusal`` part (assistant)           ``text`` block                          ``text`` part
``image_url`` part, ``data:`` URL      ``image`` block, ``base64`` source      ``inlineData {mimeType, data}``
                                       (jpeg, png, gif, webp)
``image_url`` part, http(s) URL        ``image`` block, ``url`` source         ``fileData {fileUri, mimeType}`` (the
                                                                               type guessed from the URL, if it can)
assistant ``tool_calls[]``             ``tool_use {id, name, input}`` blocks   ``functionCall {name, args}`` parts;
                                       after the text                          ``extra_content.google.
                                                                               thought_signature`` → the part's
                                                                               ``thoughtSignature``
``tool`` message                       ``user`` turn with a ``tool_result      ``user`` content with a
                                       {tool_use_id, content}`` block          ``functionResponse {name, response}``
                                                                               part; name from the matching call;
                                                                               response = the content if it is a
                                                                               JSON object, else ``{"output": text}``
consecutive turns of one role          merged into one turn                    merged into one content
``tools[]`` (``type: function``)       ``{name, description, input_schema}``   ``[{functionDeclarations: [{name,
                                                                               description, parametersJsonSchema}]}]``
``tool_choice`` auto / none /          ``{"type": auto / none / any}``         ``toolConfig.functionCallingConfig.
required                                                                       mode`` AUTO / NONE / ANY
``tool_choice`` ``{"type":             ``{"type": "tool", "name"}``            mode ANY, ``allowedFunctionNames``
"function", "function": {"name"}}``                                            ``[name]``
``parallel_tool_calls: false``         ``disable_parallel_tool_use: true``     (no equivalent: ignored)
                                       on ``tool_choice`` (with tools)
``max_completion_tokens`` /            ``max_tokens`` (required: default       ``generationConfig.maxOutputTokens``
``max_tokens``                         `DEFAULT_MAX_TOKENS`)
``temperature``, ``top_p``             ``temperature``, ``top_p``              ``temperature``, ``topP``
``stop`` (string or list)              ``stop_sequences``                      ``stopSequences``
``n``                                  1 only                                  ``candidateCount``
``seed``, ``presence_penalty``,        (ignored)                               ``seed``, ``presencePenalty``,
``frequency_penalty``                                                          ``frequencyPenalty``
``stream``, ``stream_options``         ``stream: true`` always                 (the URL streams)
=====================================  ======================================  ========================================

The upstream request always streams: ``stream: false`` only changes how the proxy answers (the fold of the
stream), and ``stream_options.include_usage`` only what it sends on (both providers always report usage).
Values are passed on as given, and the provider's 400 for one it refuses reaches the client through
`translators.errors.translate_error`: e.g. an Anthropic ``temperature`` above 1, ``temperature`` or ``top_p`` on a
Claude model without sampling parameters (Opus 4.7 and later; the anthropic SDK dropped both from its request
types in 1.0 and sends them as ``extra_body``), or both at once on Claude 4.5 models. Other request fields
(``user``, ``metadata``, ``logprobs``, ``reasoning_effort``, ``service_tier``, …) are ignored.

Empty text is dropped (both providers reject empty text blocks), and so is a turn left with nothing. Assistant
``reasoning_content`` / ``reasoning_details`` are not sent back (no thinking is requested).

A request that cannot be mapped raises `RequestError` (a `ValueError`; the proxy answers 400), with
``param`` naming where, e.g. ``messages[2].content[0]``: not an object, no ``model`` or ``messages``, an unknown
role or content part type (``input_audio``, ``file``), an image URL that is neither ``data:`` (base64) nor
http(s), an image type Anthropic does not take, tool call arguments that are not a JSON object, a ``tool``
message whose ``tool_call_id`` no assistant tool call has (Gemini), a tool that is not a function, a
``response_format`` other than text, ``n`` > 1 for Anthropic, and wrongly typed parameters.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple, TypeAlias

from translators._json import JSONDecodeError, loads

__all__ = ["DEFAULT_MAX_TOKENS", "RequestError", "to_anthropic", "to_gemini"]

DEFAULT_MAX_TOKENS: Final = 4096
"""Anthropic's ``max_tokens`` is required; this is sent when the request has neither max field."""

JSONObject = dict[str, Any]


class RequestError(ValueError):
    """An OpenAI request that cannot be mapped to the provider's request; ``param`` says where."""

    def __init__(self, message: str, param: str | None = None) -> None:
        self.message = message
        self.param = param
        super().__init__(f"{param}: {message}" if param else message)


# ---------------------------------------------------------------------------------------------------------------
# Reading the OpenAI request (shared)
# ---------------------------------------------------------------------------------------------------------------


class _Image(NamedTuple):
    """An ``image_url`` part: a base64 ``data`` with its media type, or an http(s) ``url``; ``param``: where."""

    media_type: str | None
    data: str | None
    url: str | None
    param: str


class _Call(NamedTuple):
    """An assistant tool call, arguments parsed."""

    id: str
    name: str
    arguments: JSONObject
    signature: str | None


_Part: TypeAlias = "str | _Image"  # a content part: its text, or an image
_Turn: TypeAlias = "tuple[str, list[JSONObject]]"  # a provider role and its blocks (Anthropic) or parts (Gemini)

_SYSTEM_ROLES: Final = frozenset({"system", "developer"})
_TURN_ROLES: Final = frozenset({"user", "assistant", "tool"})
_URL_SCHEMES: Final = ("http://", "https://")


def _object(value: object, param: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RequestError("must be an object", param)
    return value


def _string(value: object, param: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestError("must be a non-empty string", param)
    return value


def _list(value: object, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise RequestError("must be an array", param)
    return value


def _model(request: Mapping[str, Any], prefixes: Sequence[str]) -> str:
    model = _string(request.get("model"), "model")
    for prefix in prefixes:
        model = model.removeprefix(prefix)
    return _string(model, "model")


def _messages(request: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``(role, param, message)`` for each message, checked to be an object with a known role."""
    messages = _list(request.get("messages"), "messages")
    out: list[tuple[str, str, Mapping[str, Any]]] = []
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        role = _object(message, param).get("role")
        if role not in _SYSTEM_ROLES and role not in _TURN_ROLES:
            raise RequestError(f"unsupported role {role!r}", f"{param}.role")
        out.append((str(role), param, message))
    if not any(role in _TURN_ROLES for role, _, _ in out):
        raise RequestError("no user, assistant or tool message", "messages")
    return out


def _parts(content: object, param: str) -> list[_Part]:
    """The content's parts: a string is one text; ``None`` is none; empty texts are dropped."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content] if content else []
    parts: list[_Part] = []
    for i, item in enumerate(_list(content, param)):
        part = _part(_object(item, f"{param}[{i}]"), f"{param}[{i}]")
        if part:
            parts.append(part)
    return parts


def _part(item: Mapping[str, Any], param: str) -> _Part:
    kind = item.get("type")
    if kind in ("text", "refusal"):
        text = item.get(kind)
        if not isinstance(text, str):
            raise RequestError(f"{kind!r} must be a string", f"{param}.{kind}")
        return text
    if kind == "image_url":
        return _image(item.get("image_url"), f"{param}.image_url")
    raise RequestError(f"unsupported content part type {kind!r}", f"{param}.type")


def _image(value: object, param: str) -> _Image:
    url = value if isinstance(value, str) else _object(value, param).get("url")
    url = _string(url, f"{param}.url")
    if url.startswith(_URL_SCHEMES):
        return _Image(mimetypes.guess_type(url.partition("?")[0])[0], None, url, param)
    if not url.startswith("data:"):
        raise RequestError("the image URL must be a data: URL or an http(s) URL", f"{param}.url")
    header, comma, data = url[5:].partition(",")
    media_type, *parameters = header.split(";")
    if not comma or not media_type or "base64" not in parameters or not data:
        raise RequestError("a data: URL must be data:<media type>;base64,<data>", f"{param}.url")
    return _Image(media_type.lower(), data, None, param)


def _texts(content: object, param: str) -> list[str]:
    """The texts of a content that may only hold text (system and tool messages)."""
    texts: list[str] = []
    for part in _parts(content, param):
        if not isinstance(part, str):
            raise RequestError("only text is supported here", param)
        texts.append(part)
    return texts


def _calls(message: Mapping[str, Any], param: str) -> list[_Call]:
    calls = message.get("tool_calls")
    if calls is None:
        return []
    return [_call(_object(call, f"{param}[{i}]"), f"{param}[{i}]") for i, call in enumerate(_list(calls, param))]


def _call(call: Mapping[str, Any], param: str) -> _Call:
    if call.get("type", "function") != "function":
        raise RequestError(f"unsupported tool call type {call.get('type')!r}", f"{param}.type")
    function = _object(call.get("function"), f"{param}.function")
    name = _string(function.get("name"), f"{param}.function.name")
    arguments = _arguments(function.get("arguments"), f"{param}.function.arguments")
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, Mapping) else None
    signature = google.get("thought_signature") if isinstance(google, Mapping) else None
    signature = signature if isinstance(signature, str) and signature else None
    return _Call(_string(call.get("id"), f"{param}.id"), name, arguments, signature)


def _arguments(value: object, param: str) -> JSONObject:
    """A tool call's ``arguments``: a JSON object's text (empty or absent: ``{}``)."""
    if value is None or value == "":
        return {}
    if not isinstance(value, str):
        raise RequestError("must be a string of JSON", param)
    try:
        arguments = loads(value)
    except JSONDecodeError:
        raise RequestError("is not valid JSON", param) from None
    if not isinstance(arguments, dict):
        raise RequestError("must be a JSON object", param)
    return arguments


def _tool_result(message: Mapping[str, Any], param: str) -> tuple[str, str]:
    """A ``tool`` message's call id and text."""
    call_id = _string(message.get("tool_call_id"), f"{param}.tool_call_id")
    return call_id, "".join(_texts(message.get("content"), f"{param}.content"))


def _tools(request: Mapping[str, Any]) -> list[tuple[str, str | None, JSONObject | None]]:
    """``(name, description, parameters)`` per function tool."""
    tools = request.get("tools")
    if tools is None:
        return []
    out: list[tuple[str, str | None, JSONObject | None]] = []
    for i, tool in enumerate(_list(tools, "tools")):
        param = f"tools[{i}]"
        if _object(tool, param).get("type") != "function":
            raise RequestError(f"unsupported tool type {tool.get('type')!r}", f"{param}.type")
        function = _object(tool.get("function"), f"{param}.function")
        description = function.get("description")
        if description is not None and not isinstance(description, str):
            raise RequestError("must be a string", f"{param}.function.description")
        parameters = function.get("parameters")
        if parameters is not None:
            parameters = {"type": "object", **_object(parameters, f"{param}.function.parameters")}
        out.append((_string(function.get("name"), f"{param}.function.name"), description or None, parameters))
    return out


def _tool_choice(request: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """``("auto" | "none" | "required", None)``, ``("function", name)``, or ``None`` when absent."""
    choice = request.get("tool_choice")
    if choice is None:
        return None
    if choice in ("auto", "none", "required"):
        return str(choice), None
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        function = _object(choice.get("function"), "tool_choice.function")
        return "function", _string(function.get("name"), "tool_choice.function.name")
    raise RequestError("must be 'auto', 'none', 'required' or a function choice", "tool_choice")


def _max_tokens(request: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = request.get(key)
        if value is not None:
            if type(value) is not int or value < 0:
                raise RequestError("must be a non-negative integer", key)
            return value
    return None


def _stop(request: Mapping[str, Any]) -> list[str]:
    stop = request.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(item, str) for item in stop):
        return list(stop)
    raise RequestError("must be a string or an array of strings", "stop")


_PARAM_TYPES: Final[dict[str, tuple[type, ...]]] = {"n": (int,), "seed": (int,)}


def _params(request: Mapping[str, Any], names: Mapping[str, str]) -> JSONObject:
    """The numeric sampling parameters present, renamed by ``names`` (OpenAI name → provider name)."""
    out: JSONObject = {}
    for key, name in names.items():
        value = request.get(key)
        if value is None:
            continue
        if type(value) not in _PARAM_TYPES.get(key, (int, float)):
            raise RequestError("must be an integer" if key in _PARAM_TYPES else "must be a number", key)
        out[name] = value
    return out


def _check(request: object) -> None:
    """The checks before mapping: a JSON object, without what neither mapping can honour."""
    if not isinstance(request, Mapping):
        raise RequestError("the request body must be a JSON object")
    response_format = request.get("response_format")
    if response_format is not None and response_format != {"type": "text"}:
        raise RequestError("only {'type': 'text'} is supported", "response_format")


def _append(turns: list[JSONObject], role: str, key: str, items: list[JSONObject]) -> None:
    """Add ``items`` as a turn of ``role``, merged into the previous turn when it has the same role."""
    if not items:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})


# ---------------------------------------------------------------------------------------------------------------
# Anthropic
# ---------------------------------------------------------------------------------------------------------------

_ANTHROPIC_PREFIXES: Final = ("anthropic/",)
_ANTHROPIC_IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_MEDIA_TYPE_ALIASES: Final = {"image/jpg": "image/jpeg"}
_ANTHROPIC_CHOICES: Final[dict[str, JSONObject]] = {
    "auto": {"type": "auto"},
    "none": {"type": "none"},
    "required": {"type": "any"},
}
_ANTHROPIC_PARAMS: Final = {"temperature": "temperature", "top_p": "top_p"}


def to_anthropic(request: Mapping[str, Any]) -> JSONObject:
    """The Anthropic Messages request body (``stream: true``) for an OpenAI Chat Completions request."""
    _check(request)
    model = _model(request, _ANTHROPIC_PREFIXES)
    if request.get("n") not in (None, 1):
        raise RequestError("Anthropic returns one choice: n must be 1", "n")
    system: list[JSONObject] = []
    turns: list[JSONObject] = []
    for role, param, message in _messages(request):
        if role in _SYSTEM_ROLES:
            system.extend({"type": "text", "text": text} for text in _texts(message.get("content"), f"{param}.content"))
        else:
            turn_role, blocks = _ANTHROPIC_TURNS[role](message, param)
            _append(turns, turn_role, "content", blocks)
    max_tokens = _max_tokens(request)
    body: JSONObject = {
        "model": model,
        "max_tokens": DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
        "messages": turns,
    }
    if system:
        body["system"] = system
    body.update(_anthropic_tools(request))
    if stop := _stop(request):
        body["stop_sequences"] = stop
    body.update(_params(request, _ANTHROPIC_PARAMS))
    body["stream"] = True
    return body


def _anthropic_user(message: Mapping[str, Any], param: str) -> _Turn:
    return "user", [_anthropic_block(part) for part in _parts(message.get("content"), f"{param}.content")]


def _anthropic_assistant(message: Mapping[str, Any], param: str) -> _Turn:
    blocks = [_anthropic_block(part) for part in _parts(message.get("content"), f"{param}.content")]
    for call in _calls(message, f"{param}.tool_calls"):
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
    return "assistant", blocks


def _anthropic_tool(message: Mapping[str, Any], param: str) -> _Turn:
    call_id, text = _tool_result(message, param)
    block: JSONObject = {"type": "tool_result", "tool_use_id": call_id}
    if text:
        block["content"] = text
    return "user", [block]


_ANTHROPIC_TURNS: Final[dict[str, Callable[[Mapping[str, Any], str], _Turn]]] = {
    "user": _anthropic_user,
    "assistant": _anthropic_assistant,
    "tool": _anthropic_tool,
}


def _anthropic_block(part: _Part) -> JSONObject:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if part.url is not None:
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    media_type = _MEDIA_TYPE_ALIASES.get(part.media_type or "", part.media_type)
    if media_type not in _ANTHROPIC_IMAGE_TYPES:
        raise RequestError(f"Anthropic takes jpeg, png, gif or webp images, not {media_type!r}", f"{part.param}.url")
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": part.data}}


def _anthropic_tools(request: Mapping[str, Any]) -> JSONObject:
    tools = [
        {
            "name": name,
            **({"description": description} if description else {}),
            "input_schema": parameters or {"type": "object", "properties": {}},
        }
        for name, description, parameters in _tools(request)
    ]
    choice = _tool_choice(request)
    out: JSONObject = {"tools": tools} if tools else {}
    if choice is not None:
        kind, name = choice
        out["tool_choice"] = {"type": "tool", "name": name} if name else dict(_ANTHROPIC_CHOICES[kind])
    if tools and request.get("parallel_tool_calls") is False:
        tool_choice = out.setdefault("tool_choice", {"type": "auto"})
        if tool_choice["type"] != "none":
            tool_choice["disable_parallel_tool_use"] = True
    return out


# ---------------------------------------------------------------------------------------------------------------
# Gemini
# ---------------------------------------------------------------------------------------------------------------

_GEMINI_PREFIXES: Final = ("gemini/", "google/", "models/")
_GEMINI_MODES: Final = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}
_GEMINI_PARAMS: Final = {
    "temperature": "temperature",
    "top_p": "topP",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


def to_gemini(request: Mapping[str, Any]) -> tuple[str, JSONObject]:
    """The Gemini model name and ``generateContent`` request body for an OpenAI Chat Completions request."""
    _check(request)
    model = _model(request, _GEMINI_PREFIXES)
    messages = _messages(request)
    names = _call_names(messages)
    system: list[JSONObject] = []
    contents: list[JSONObject] = []
    for role, param, message in messages:
        if role in _SYSTEM_ROLES:
            system.extend({"text": text} for text in _texts(message.get("content"), f"{param}.content"))
        else:
            content_role, parts = _GEMINI_TURNS[role](message, param, names)
            _append(contents, content_role, "parts", parts)
    body: JSONObject = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    body.update(_gemini_tools(request))
    if config := _generation_config(request):
        body["generationConfig"] = config
    return model, body


def _call_names(messages: list[tuple[str, str, Mapping[str, Any]]]) -> dict[str, str]:
    """Tool call id → function name, over every assistant message (a ``functionResponse`` needs the name)."""
    return {
        call.id: call.name
        for role, param, message in messages
        if role == "assistant"
        for call in _calls(message, f"{param}.tool_calls")
    }


def _gemini_user(message: Mapping[str, Any], param: str, names: Mapping[str, str]) -> _Turn:
    return "user", [_gemini_part(part) for part in _parts(message.get("content"), f"{param}.content")]


def _gemini_assistant(message: Mapping[str, Any], param: str, names: Mapping[str, str]) -> _Turn:
    parts = [_gemini_part(part) for part in _parts(message.get("content"), f"{param}.content")]
    for call in _calls(message, f"{param}.tool_calls"):
        part: JSONObject = {"functionCall": {"name": call.name, "args": call.arguments}}
        if call.signature:
            part["thoughtSignature"] = call.signature
        parts.append(part)
    return "model", parts


def _gemini_tool(message: Mapping[str, Any], param: str, names: Mapping[str, str]) -> _Turn:
    call_id, text = _tool_result(message, param)
    name = names.get(call_id)
    if name is None:
        raise RequestError(f"no assistant tool call has the id {call_id!r}", f"{param}.tool_call_id")
    return "user", [{"functionResponse": {"name": name, "response": _function_response(text)}}]


_GEMINI_TURNS: Final[dict[str, Callable[[Mapping[str, Any], str, Mapping[str, str]], _Turn]]] = {
    "user": _gemini_user,
    "assistant": _gemini_assistant,
    "tool": _gemini_tool,
}


def _function_response(text: str) -> JSONObject:
    """A JSON object as it is; any other text as ``{"output": text}`` (the key Google's docs suggest)."""
    try:
        value = loads(text)
    except JSONDecodeError:
        value = None
    return value if isinstance(value, dict) else {"output": text}


def _gemini_part(part: _Part) -> JSONObject:
    if isinstance(part, str):
        return {"text": part}
    if part.url is not None:
        file_data = {"fileUri": part.url}
        if part.media_type:
            file_data["mimeType"] = part.media_type
        return {"fileData": file_data}
    return {"inlineData": {"mimeType": part.media_type, "data": part.data}}


def _gemini_tools(request: Mapping[str, Any]) -> JSONObject:
    declarations = [
        {
            "name": name,
            **({"description": description} if description else {}),
            **({"parametersJsonSchema": parameters} if parameters else {}),
        }
        for name, description, parameters in _tools(request)
    ]
    out: JSONObject = {"tools": [{"functionDeclarations": declarations}]} if declarations else {}
    choice = _tool_choice(request)
    if choice is not None:
        kind, name = choice
        config: JSONObject = {"mode": _GEMINI_MODES[kind]}
        if name:
            config["allowedFunctionNames"] = [name]
        out["toolConfig"] = {"functionCallingConfig": config}
    return out


def _generation_config(request: Mapping[str, Any]) -> JSONObject:
    config: JSONObject = {}
    max_tokens = _max_tokens(request)
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    config.update(_params(request, _GEMINI_PARAMS))
    if stop := _stop(request):
        config["stopSequences"] = stop
    return config
