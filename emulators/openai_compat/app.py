"""A scripted OpenAI-compatible ``/v1/chat/completions`` endpoint with tool calling.

Tests of the bot's LLM mode need a model that answers exactly what the test says, in the API's
shapes, and that refuses malformed requests as the real API does. Written from
``reference/chatbot-channels.md`` §2.1.

* Paths: ``POST /v1/chat/completions`` and ``GET /v1/models`` (also without ``/v1``, for clients
  configured with a bare base URL, as some Ollama/llama.cpp setups are).
* Auth: ``Authorization: Bearer <api_key>`` (401 ``invalid_api_key`` otherwise); ``api_key=None``
  accepts anything, like a local server.
* Validation (400, ``{"error": {"message", "type": "invalid_request_error", "param", "code"}}``,
  see ``emulators.openai_compat.validation``): unknown arguments, missing ``model``/``messages``,
  empty messages, unknown roles, a user message without content, a tool message without
  ``tool_call_id`` or not answering the assistant's ``tool_calls`` right before it, an assistant
  ``tool_calls`` not answered for every id, ``arguments`` not a string, tools whose name does not
  match ``^[a-zA-Z0-9_-]{1,64}$`` or whose ``parameters`` is not a JSON Schema of type object
  (with ``strict: true``: every property required, ``additionalProperties: false``),
  ``tool_choice`` without tools or naming an absent function, ``temperature`` outside 0–2,
  ``max_tokens`` < 1. An unknown model (when ``models`` is set) → 404 ``model_not_found``.
* The **script**: a queue of steps, each answering one request, in order:

  - ``"text"`` or ``{"content": "text"}`` → an assistant message, ``finish_reason: "stop"``;
  - ``{"tool_calls": [{"name", "arguments": {…} | "raw string", "id"?}], "content"?}`` →
    ``finish_reason: "tool_calls"``; ``arguments`` given as an object is sent as its JSON string,
    a string is sent as written (script invalid JSON on purpose to test the bot's defence);
  - ``{"error": {"status": 500, "message"?, "type"?, "code"?}}`` → that HTTP error, API-shaped;
  - ``{"raw": {...}, "status"?: 200}`` → that body as is (a broken server);
  - optional ``"finish_reason"`` overrides, e.g. ``"length"``.

  The script is returned as written, whatever ``tools``/``tool_choice`` the request carried, so a
  test can play a misbehaving model (a tool that was not offered, bad arguments). When it is
  empty: ``on_empty="error"`` (default) answers 500 ``script_exhausted``; ``"echo"`` answers
  with the last user message.
* ``stream: true`` answers Server-Sent Events (``chat.completion.chunk`` deltas, content in two
  pieces, tool call name then arguments, ``data: [DONE]``; usage last with
  ``stream_options.include_usage``).
* Every request is recorded (``requests``) with the step that answered it.

Control (``/_emulator/``, besides ``state`` and ``faults``): ``POST script`` ``{steps: [...],
append?: false}``, ``GET script`` (what is left), ``GET requests``, ``POST reset``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from emulators.common import BadJson, Clock, json_response, read_json
from emulators.control import add_control_routes
from emulators.marketplace import RouterApp
from emulators.messenger.chat import ChatEmulatorBase
from emulators.openai_compat.validation import InvalidRequest, validate_request

DEMO_API_KEY = "demo-llm-key"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def openai_error(
    message: str, *, status: int = 400, type_: str = "invalid_request_error", param=None, code=None
) -> Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return json_response(body, status)


class OpenAICompatEmulator(ChatEmulatorBase):
    """In-memory scripted model. ``wsgi_app`` serves the API."""

    def __init__(
        self,
        *,
        api_key: str | None = DEMO_API_KEY,
        models: Iterable[str] | None = None,
        on_empty: str = "error",
        clock: Clock | None = None,
        seed: int = 0,
        script: Iterable[Any] = (),
    ):
        if on_empty not in ("error", "echo"):
            raise ValueError("on_empty must be 'error' or 'echo'")
        self._init_base(clock=clock, seed=seed)
        self.api_key = api_key
        self.models = list(models) if models is not None else None
        self.on_empty = on_empty
        self.script: list[Any] = []
        self.requests: list[dict] = []
        self.set_script(script)
        self.app = RouterApp(self.faults)
        self.wsgi_app = self.app
        for prefix in ("/v1", ""):
            self.app.add(prefix + "/chat/completions", self._h_completions)
            self.app.add(prefix + "/models", self._h_models, ("GET",))
        self._control_routes()

    # ------------------------------------------------------------------ script

    def set_script(self, steps: Iterable[Any], *, append: bool = False) -> None:
        checked = [self._check_step(s) for s in steps]
        with self.lock:
            if not append:
                self.script.clear()
            self.script.extend(checked)

    def add(self, *steps: Any) -> None:
        self.set_script(steps, append=True)

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()

    @staticmethod
    def _check_step(step: Any) -> Any:
        if isinstance(step, str):
            return {"content": step}
        if not isinstance(step, dict):
            raise ValueError(f"a step is a string or an object, not {type(step).__name__}")
        kinds = [k for k in ("content", "tool_calls", "error", "raw") if k in step]
        if not kinds:
            raise ValueError("a step needs content, tool_calls, error or raw")
        for call in step.get("tool_calls") or []:
            if not isinstance(call, dict) or not call.get("name"):
                raise ValueError("each scripted tool call needs a name")
        return step

    # ------------------------------------------------------------------ API

    def _auth(self, request: Request) -> Response | None:
        if self.api_key is None:
            return None
        header = request.headers.get("Authorization", "")
        if not header:
            return openai_error(
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                status=401,
            )
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            shown = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else "*" * len(key)
            return openai_error(
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                status=401,
                code="invalid_api_key",
            )
        return None

    def _h_models(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        names = self.models or ["demo-llm"]
        created = self.clock.timestamp()
        return json_response(
            {
                "object": "list",
                "data": [
                    {"id": n, "object": "model", "created": created, "owned_by": "emulator"}
                    for n in names
                ],
            }
        )

    def _h_completions(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused is not None:
            return refused
        try:
            body = json.loads(request.get_data() or b"")
        except ValueError:
            return openai_error(
                "We could not parse the JSON body of your request. (HINT: This likely means you "
                "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
                "but what was sent was not valid JSON.)"
            )
        try:
            validate_request(body)
        except InvalidRequest as exc:
            self._record(body, None, 400)
            return openai_error(exc.message, param=exc.param, code=exc.code)
        if self.models is not None and body["model"] not in self.models:
            self._record(body, None, 404)
            return openai_error(
                f"The model `{body['model']}` does not exist or you do not have access to it.",
                status=404,
                code="model_not_found",
            )
        with self.lock:
            step = self.script.pop(0) if self.script else None
        if step is None:
            if self.on_empty == "echo":
                step = {"content": _last_user_text(body["messages"])}
            else:
                self._record(body, None, 500)
                return openai_error(
                    "The emulator's script is empty: no scripted response left.",
                    status=500,
                    type_="server_error",
                    code="script_exhausted",
                )
        if "error" in step:
            spec = step["error"] or {}
            status = int(spec.get("status", 500))
            self._record(body, step, status)
            return openai_error(
                spec.get("message") or "The server had an error while processing your request.",
                status=status,
                type_=spec.get("type") or ("server_error" if status >= 500 else "requests"),
                param=spec.get("param"),
                code=spec.get("code"),
            )
        if "raw" in step:
            status = int(step.get("status", 200))
            self._record(body, step, status)
            raw = step["raw"]
            if isinstance(raw, str):
                return Response(raw, status, content_type="application/json")
            return json_response(raw, status)
        completion = self._completion(body, step)
        self._record(body, step, 200)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Response(
                _sse(completion, include_usage),
                200,
                content_type="text/event-stream; charset=utf-8",
                headers={"Cache-Control": "no-cache"},
            )
        return json_response(completion)

    def _completion(self, body: dict, step: dict) -> dict:
        message: dict = {"role": "assistant", "content": step.get("content"), "refusal": None}
        calls = []
        for call in step.get("tool_calls") or []:
            arguments = call.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            calls.append(
                {
                    "id": call.get("id") or "call_" + self.token(24, ALNUM),
                    "type": "function",
                    "function": {"name": call["name"], "arguments": arguments},
                }
            )
        if calls:
            message["tool_calls"] = calls
        finish = step.get("finish_reason") or ("tool_calls" if calls else "stop")
        prompt = sum(len(json.dumps(m, ensure_ascii=False)) for m in body["messages"])
        prompt += len(json.dumps(body.get("tools") or [], ensure_ascii=False))
        completion_chars = len(message["content"] or "") + sum(
            len(c["function"]["arguments"]) + len(c["function"]["name"]) for c in calls
        )
        usage = {
            "prompt_tokens": max(1, prompt // 4),
            "completion_tokens": max(1, completion_chars // 4),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        n = int(body.get("n") or 1)
        return {
            "id": "chatcmpl-" + self.token(29, ALNUM),
            "object": "chat.completion",
            "created": self.clock.timestamp(),
            "model": body["model"],
            "choices": [
                {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
                for i in range(n)
            ],
            "usage": usage,
            "system_fingerprint": "fp_emulator",
        }

    def _record(self, body: Any, step: Any, status: int) -> None:
        with self.lock:
            self.requests.append({"body": body, "step": step, "status": status})

    # ------------------------------------------------------------------ control

    def state(self) -> dict:
        with self.lock:
            return {
                "provider": "openai_compat",
                "models": self.models,
                "script_left": len(self.script),
                "requests": len(self.requests),
                "on_empty": self.on_empty,
                "faults": self.faults.to_dict(),
            }

    def _control_routes(self) -> None:
        add_control_routes(self.app, self)

        def body(request) -> dict:
            try:
                return read_json(request)
            except BadJson:
                return {}

        def script(request):
            if request.method == "GET":
                with self.lock:
                    return json_response({"ok": True, "steps": list(self.script)})
            data = body(request)
            try:
                self.set_script(data.get("steps") or [], append=bool(data.get("append")))
            except ValueError as exc:
                return json_response({"ok": False, "error": str(exc)}, 400)
            return json_response({"ok": True, "left": len(self.script)})

        def requests(request):
            with self.lock:
                return json_response(
                    {
                        "ok": True,
                        "requests": [
                            {"body": r["body"], "step": r["step"], "status": r["status"]}
                            for r in self.requests
                        ],
                    }
                )

        def reset(request):
            self.reset()
            return json_response({"ok": True})

        self.app.add("/_emulator/script", script, ("GET", "POST"))
        self.app.add("/_emulator/requests", requests, ("GET",))
        self.app.add("/_emulator/reset", reset)


def _last_user_text(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _sse(completion: dict, include_usage: bool):
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"

    def chunk(delta: dict, finish=None, **extra) -> bytes:
        data = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        if include_usage and "usage" not in extra:
            data["usage"] = None
        return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

    choice = completion["choices"][0]
    message = choice["message"]
    yield chunk({"role": "assistant", "content": "" if message["content"] is not None else None})
    text = message["content"] or ""
    if text:
        half = len(text) // 2 or len(text)
        for piece in (text[:half], text[half:]):
            if piece:
                yield chunk({"content": piece})
    for i, call in enumerate(message.get("tool_calls") or []):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": ""},
                    }
                ]
            }
        )
        yield chunk(
            {"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]}
        )
    yield chunk({}, choice["finish_reason"])
    if include_usage:
        data = {**base, "choices": [], "usage": completion["usage"]}
        yield b"data: " + json.dumps(data).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"
