"""An OpenAI-compatible chat completions client (OpenAI, Ollama, vLLM, llama.cpp server), with
explicit timeouts. Settings are read when used: CHATBOT_LLM_BASE_URL (unset: no LLM),
CHATBOT_LLM_API_KEY, CHATBOT_LLM_MODEL, CHATBOT_LLM_TIMEOUT (seconds)."""

from __future__ import annotations

import json
import os

from django.conf import settings

from donhang.core.integrations import (
    PermanentError,
    RetryableError,
    check_http_status,
    http_client,
    translate_transport_errors,
)


def setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name, default)
    return str(value or default)


def base_url() -> str:
    return setting("CHATBOT_LLM_BASE_URL").rstrip("/")


class LLMClient:
    def __init__(self, *, url: str = "", api_key: str = "", model: str = "", timeout=None):
        self.url = (url or base_url()).rstrip("/")
        self.api_key = api_key or setting("CHATBOT_LLM_API_KEY", "not-needed")
        self.model = model or setting("CHATBOT_LLM_MODEL", "qwen2.5:7b-instruct")
        self.timeout = float(timeout or setting("CHATBOT_LLM_TIMEOUT", "20"))

    def chat(self, *, messages: list[dict], tools: list[dict], temperature: float = 0.2) -> dict:
        """One chat completion; returns choices[0].message. Errors: RetryableError (timeout,
        5xx, 429), PermanentError (anything else that is not a usable answer)."""
        body = {
            "model": self.model,
            "messages": messages,
            "tools": tools,
            "tool_choice": "auto",
            "temperature": temperature,
            "max_tokens": 600,
        }
        with translate_transport_errors(), http_client(self.url, timeout=self.timeout) as client:
            response = client.post(
                "/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {self.api_key}"},
            )
        check_http_status(response)
        if response.status_code >= 400:
            raise PermanentError(f"LLM refused the request (HTTP {response.status_code})")
        try:
            data = response.json()
            message = data["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise PermanentError("LLM answer is not a chat completion") from exc
        if not isinstance(message, dict):
            raise PermanentError("LLM answer has no message")
        return message


def tool_arguments(call: dict) -> dict:
    """The arguments of a tool call: a JSON string by the protocol, parsed defensively."""
    raw = (call.get("function") or {}).get("arguments")
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        raise ValueError("arguments are not valid JSON") from None
    if not isinstance(value, dict):
        raise ValueError("arguments are not an object")
    return value


__all__ = ["LLMClient", "PermanentError", "RetryableError", "base_url", "tool_arguments"]
