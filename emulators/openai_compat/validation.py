"""Request checks of ``/v1/chat/completions`` as the OpenAI API makes them (400 + error shape).

Each failure raises ``InvalidRequest(message, param, code)``; messages follow the wording the
API uses for the same mistake (``Missing required parameter: 'messages'.``, ``Invalid
parameter: messages with role 'tool' must be a response to a preceeding message with
'tool_calls'.`` — the API's own spelling). The JSON Schema check is structural (keywords and
their types), like the API's; ``strict: true`` adds the Structured Outputs rules (every property
required, ``additionalProperties: false`` on every object).
"""

from __future__ import annotations

import re
from typing import Any

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
KNOWN_PARAMS = {
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "seed",
    "response_format",
    "functions",
    "function_call",
    "metadata",
    "store",
    "service_tier",
    "reasoning_effort",
    "modalities",
    "prediction",
    "audio",
    "web_search_options",
    "safety_identifier",
    "prompt_cache_key",
    "verbosity",
}
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
JSON_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SCHEMA_ONE = ("items", "not", "additionalProperties", "contains", "if", "then", "else")
NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
COUNT_KEYS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


class InvalidRequest(Exception):
    def __init__(self, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a decimal",
        type(None): "null",
    }.get(type(value), "a value")


def _expect(value: Any, kinds: tuple, param: str, wanted: str) -> None:
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        raise InvalidRequest(
            f"Invalid type for '{param}': expected {wanted}, but got {_type_name(value)} instead.",
            param,
            "invalid_type",
        )


def _missing(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required parameter: '{param}'.", param, "missing_required_parameter"
    )


def _range(body: dict, key: str, low: float, high: float | None, integer: bool = False) -> None:
    if key not in body or body[key] is None:
        return
    value = body[key]
    _expect(
        value, (int,) if integer else (int, float), key, "an integer" if integer else "a number"
    )
    kind = "integer" if integer else "decimal"
    if value < low:
        raise InvalidRequest(
            f"Invalid '{key}': {kind} below minimum value. Expected a value >= {low:g}, but got "
            f"{value} instead.",
            key,
            f"{kind}_below_min_value",
        )
    if high is not None and value > high:
        raise InvalidRequest(
            f"Invalid '{key}': {kind} above maximum value. Expected a value <= {high:g}, but got "
            f"{value} instead.",
            key,
            f"{kind}_above_max_value",
        )


def validate_request(body: Any) -> None:
    """Raise ``InvalidRequest`` for what the real endpoint answers with 400."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", None, None)
    unknown = sorted(set(body) - KNOWN_PARAMS)
    if unknown:
        raise InvalidRequest(f"Unrecognized request argument supplied: {unknown[0]}", None, None)
    if not body.get("model"):
        raise InvalidRequest("you must provide a model parameter", None, None)
    _expect(body["model"], (str,), "model", "a string")
    if "messages" not in body:
        raise _missing("messages")
    messages = body["messages"]
    _expect(messages, (list,), "messages", "an array")
    if not messages:
        raise InvalidRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            "messages",
            "empty_array",
        )
    for i, message in enumerate(messages):
        _check_message(message, i)
    _check_tool_pairing(messages)
    tools = body.get("tools")
    names: list[str] = []
    if tools is not None:
        _expect(tools, (list,), "tools", "an array")
        for i, tool in enumerate(tools):
            names.append(_check_tool(tool, i))
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise InvalidRequest(
                f"Invalid 'tools': duplicate function name '{dup}'.", "tools", "invalid_value"
            )
    _check_tool_choice(body, names, tools)
    _range(body, "temperature", 0, 2)
    _range(body, "top_p", 0, 1)
    _range(body, "presence_penalty", -2, 2)
    _range(body, "frequency_penalty", -2, 2)
    _range(body, "n", 1, 128, integer=True)
    _range(body, "max_tokens", 1, None, integer=True)
    _range(body, "max_completion_tokens", 1, None, integer=True)
    for key in ("stream", "parallel_tool_calls", "logprobs"):
        if body.get(key) is not None:
            _expect(body[key], (bool,), key, "a boolean")
    fmt = body.get("response_format")
    if fmt is not None:
        _expect(fmt, (dict,), "response_format", "an object")
        if fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise InvalidRequest(
                f"Invalid value: '{fmt.get('type')}'. Supported values are: 'text', "
                "'json_object', and 'json_schema'.",
                "response_format.type",
                "invalid_value",
            )


def _check_message(message: Any, i: int) -> None:
    where = f"messages[{i}]"
    _expect(message, (dict,), where, "an object")
    if "role" not in message:
        raise _missing(f"{where}.role")
    role = message["role"]
    if role not in ROLES:
        raise InvalidRequest(
            f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
            "'function', 'tool', and 'developer'.",
            f"{where}.role",
            "invalid_value",
        )
    content = message.get("content")
    if role == "assistant":
        calls = message.get("tool_calls")
        if content is None and not calls and not message.get("function_call"):
            raise InvalidRequest(
                f"Invalid value for '{where}.content': expected a string, got null.",
                f"{where}.content",
                None,
            )
        if calls is not None:
            _expect(calls, (list,), f"{where}.tool_calls", "an array")
            for j, call in enumerate(calls):
                _check_call(call, f"{where}.tool_calls[{j}]")
    elif "content" not in message:
        raise _missing(f"{where}.content")
    if role == "tool" and not message.get("tool_call_id"):
        raise _missing(f"{where}.tool_call_id")
    if content is not None:
        _check_content(content, f"{where}.content", role)
    if message.get("name") is not None:
        _expect(message["name"], (str,), f"{where}.name", "a string")


def _check_content(content: Any, where: str, role: str) -> None:
    if isinstance(content, str):
        return
    _expect(content, (list,), where, "one of a string or array of objects")
    for k, part in enumerate(content):
        _expect(part, (dict,), f"{where}[{k}]", "an object")
        kind = part.get("type")
        allowed = ("text", "image_url", "input_audio", "file") if role == "user" else ("text",)
        if kind not in allowed:
            raise InvalidRequest(
                f"Invalid value: '{kind}'. Supported values are: "
                + ", ".join(f"'{a}'" for a in allowed)
                + ".",
                f"{where}[{k}].type",
                "invalid_value",
            )
        if kind == "text":
            if "text" not in part:
                raise _missing(f"{where}[{k}].text")
            _expect(part["text"], (str,), f"{where}[{k}].text", "a string")
        if kind == "image_url" and not isinstance((part.get("image_url") or {}), dict):
            raise _missing(f"{where}[{k}].image_url")


def _check_call(call: Any, where: str) -> None:
    _expect(call, (dict,), where, "an object")
    for key in ("id", "type", "function"):
        if key not in call:
            raise _missing(f"{where}.{key}")
    if call["type"] != "function":
        raise InvalidRequest(
            f"Invalid value: '{call['type']}'. Supported values are: 'function'.",
            f"{where}.type",
            "invalid_value",
        )
    fn = call["function"]
    _expect(fn, (dict,), f"{where}.function", "an object")
    for key in ("name", "arguments"):
        if key not in fn:
            raise _missing(f"{where}.function.{key}")
    _expect(fn["name"], (str,), f"{where}.function.name", "a string")
    _expect(fn["arguments"], (str,), f"{where}.function.arguments", "a string")


def _check_tool_pairing(messages: list[dict]) -> None:
    """Tool messages answer the assistant's tool calls right before them, every one of them."""
    i = 0
    while i < len(messages):
        message = messages[i]
        if message["role"] == "tool":
            raise InvalidRequest(
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceeding message with 'tool_calls'.",
                f"messages.[{i}].role",
                None,
            )
        i += 1
        calls = message.get("tool_calls") if message["role"] == "assistant" else None
        if not calls:
            continue
        waiting = [c["id"] for c in calls]
        while i < len(messages) and messages[i]["role"] == "tool":
            call_id = messages[i]["tool_call_id"]
            if call_id not in waiting:
                raise InvalidRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages.[{i}].role",
                    None,
                )
            waiting.remove(call_id)
            i += 1
        if waiting:
            raise InvalidRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                "response messages: " + ", ".join(waiting),
                f"messages.[{i - 1}].role" if i else "messages",
                None,
            )


def _check_tool(tool: Any, i: int) -> str:
    where = f"tools[{i}]"
    _expect(tool, (dict,), where, "an object")
    if "type" not in tool:
        raise _missing(f"{where}.type")
    if tool["type"] != "function":
        raise InvalidRequest(
            f"Invalid value: '{tool['type']}'. Supported values are: 'function' and 'custom'.",
            f"{where}.type",
            "invalid_value",
        )
    if "function" not in tool:
        raise _missing(f"{where}.function")
    fn = tool["function"]
    _expect(fn, (dict,), f"{where}.function", "an object")
    if "name" not in fn:
        raise _missing(f"{where}.function.name")
    name = fn["name"]
    _expect(name, (str,), f"{where}.function.name", "a string")
    if not NAME_PATTERN.match(name):
        raise InvalidRequest(
            f"Invalid '{where}.function.name': string does not match pattern. Expected a string "
            "that matches the pattern '^[a-zA-Z0-9_-]+$'.",
            f"{where}.function.name",
            "invalid_value",
        )
    if fn.get("description") is not None:
        _expect(fn["description"], (str,), f"{where}.function.description", "a string")
    params = fn.get("parameters")
    if params is not None:
        problem = schema_problem(params, strict=bool(fn.get("strict")))
        if problem:
            raise InvalidRequest(
                f"Invalid schema for function '{name}': {problem}",
                f"{where}.function.parameters",
                "invalid_function_parameters",
            )
    return name


def _check_tool_choice(body: dict, names: list[str], tools: Any) -> None:
    if "tool_choice" not in body or body["tool_choice"] is None:
        return
    choice = body["tool_choice"]
    if not tools:
        raise InvalidRequest(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            "tool_choice",
            None,
        )
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise InvalidRequest(
                f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                "tool_choice",
                "invalid_value",
            )
        return
    _expect(choice, (dict,), "tool_choice", "an object")
    name = (choice.get("function") or {}).get("name") if choice.get("type") == "function" else None
    if not name:
        raise _missing("tool_choice.function.name")
    if name not in names:
        raise InvalidRequest(
            f"Invalid value for 'tool_choice': function '{name}' is not one of the 'tools'.",
            "tool_choice",
            None,
        )


def schema_problem(schema: Any, *, strict: bool = False) -> str | None:
    """What is wrong with a function's ``parameters`` schema, or None."""
    if not isinstance(schema, dict):
        return f"schema must be a JSON Schema of 'type: \"object\"', got {_type_name(schema)}."
    if schema.get("type") != "object":
        return (
            "schema must be a JSON Schema of 'type: \"object\"', got "
            f"'type: \"{schema.get('type')}\"'."
        )
    return _walk(schema, (), strict)


def _walk(schema: Any, context: tuple, strict: bool) -> str | None:
    at = f"In context={context}, "
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return at + f"schema must be an object or a boolean, got {_type_name(schema)}."
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        bad = [k for k in kinds if k not in JSON_TYPES]
        if bad or not kinds:
            return at + f"'{bad[0] if bad else kind}' is not valid under any of the given schemas."
    for key in ("description", "title", "format", "pattern", "$ref"):
        if key in schema and not isinstance(schema[key], str):
            return at + f"'{key}' must be a string."
    if isinstance(schema.get("pattern"), str):
        try:
            re.compile(schema["pattern"])
        except re.error:
            return at + f"'{schema['pattern']}' is not a valid regular expression."
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        return at + "'enum' must be a non-empty array."
    if "required" in schema:
        req = schema["required"]
        if not isinstance(req, list) or not all(isinstance(r, str) for r in req):
            return at + "'required' must be an array of strings."
    for key in NUMBER_KEYS:
        if key in schema and (
            not isinstance(schema[key], int | float) or isinstance(schema[key], bool)
        ):
            return at + f"'{key}' must be a number."
    for key in COUNT_KEYS:
        if key in schema and (not isinstance(schema[key], int) or schema[key] < 0):
            return at + f"'{key}' must be a non-negative integer."
    for key in SCHEMA_MAPS:
        if key in schema:
            if not isinstance(schema[key], dict):
                return at + f"'{key}' must be an object."
            for name, sub in schema[key].items():
                problem = _walk(sub, (*context, key, name), strict)
                if problem:
                    return problem
    for key in SCHEMA_LISTS:
        if key in schema:
            if not isinstance(schema[key], list) or not schema[key]:
                return at + f"'{key}' must be a non-empty array."
            for n, sub in enumerate(schema[key]):
                problem = _walk(sub, (*context, key, str(n)), strict)
                if problem:
                    return problem
    for key in SCHEMA_ONE:
        if key in schema:
            problem = _walk(schema[key], (*context, key), strict)
            if problem:
                return problem
    if strict and (kind == "object" or "properties" in schema):
        if schema.get("additionalProperties") is not False:
            return at + "'additionalProperties' is required to be supplied and to be false."
        props = list((schema.get("properties") or {}).keys())
        missing = [p for p in props if p not in (schema.get("required") or [])]
        if missing:
            return (
                at + "'required' is required to be supplied and to be an array including every "
                f"key in properties. Missing '{missing[0]}'."
            )
    return None
