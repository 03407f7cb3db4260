"""Plumbing shared by the chat-channel emulators (Messenger here, Zalo OA reuses it).

* ``ChatWebhooks``: ``SignedWebhooks`` whose body bytes are produced by a per-platform
  ``serialise`` function (Meta escapes non-ASCII and ``/``; Zalo sends raw UTF-8), with forged
  deliveries for tests (``forge``: ``bad_signature``, ``no_signature``, ``tampered_body``) and
  callbacks that may answer an ``int`` status, a ``(status, body)`` tuple or any object with
  ``status_code`` (and ``content``), e.g. the Django test client's response.
* ``http_call``: one request to a URL or to such a callable (the Messenger verification GET).
* ``ChatEmulatorBase``: clock, faults, lock and the ``/_emulator/`` stubs a chat platform has no
  use for (no shipments to advance, no COD).
* ``chat_page``: a small HTML page, served under ``/_emulator/chat``, where a person plays the
  customer in the demo: type a message, see the shop's replies (polling the transcript).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from random import Random
from typing import Any
from urllib.parse import urlencode

import httpx

from emulators.common import Clock, Faults, WebhookEvent
from emulators.marketplace import SignedWebhooks

FORGERIES = ("bad_signature", "no_signature", "tampered_body")


def hmac_hex(secret: str, body: bytes, digest=hashlib.sha256) -> str:
    return hmac.new(secret.encode(), body, digest).hexdigest()


def answer_of(result: Any) -> tuple[int, bytes]:
    """(status, body) of whatever a callback returned."""
    if isinstance(result, tuple):
        status, body = result[0], result[1] if len(result) > 1 else b""
    elif hasattr(result, "status_code"):
        status, body = result.status_code, getattr(result, "content", b"")
    else:
        status, body = result, b""
    if isinstance(body, str):
        body = body.encode()
    return int(status), bytes(body or b"")


def http_call(
    target: str | Callable | None,
    method: str,
    *,
    path: str = "/",
    query: dict | None = None,
    headers: dict | None = None,
    body: bytes = b"",
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[int, bytes]:
    """One request to ``target``: a URL (through ``transport`` when given, e.g. an
    ``httpx.MockTransport`` in tests), or a callable that gets ``path`` (+ query string).

    (0, b"") when it cannot be reached (connection refused, timeout, the callable raised)."""
    headers = dict(headers or {})
    qs = urlencode(query or {})
    try:
        if callable(target):
            return answer_of(target(method, path + ("?" + qs if qs else ""), headers, body))
        if isinstance(target, str):
            url = target + (("&" if "?" in target else "?") + qs if qs else "")
            with httpx.Client(transport=transport, timeout=timeout) as client:
                r = client.request(method, url, content=body or None, headers=headers)
            return r.status_code, r.content
    except Exception:
        return 0, b""
    return 0, b""


class ChatWebhooks(SignedWebhooks):
    """Signed chat events; ``serialise(payload) -> bytes`` fixes the exact body bytes."""

    def __init__(
        self,
        target=None,
        *,
        signer: Callable[[bytes], dict],
        serialise: Callable[[dict], bytes],
        path: str = "/",
        **kwargs,
    ):
        super().__init__(target, signer=signer, path=path, **kwargs)
        self.serialise = serialise
        self.forged: list[WebhookEvent] = []
        self.transport: httpx.BaseTransport | None = None  # for URL targets (tests)

    def enqueue(
        self, payload: dict, headers: dict | None = None, *, forge: str | None = None
    ) -> WebhookEvent:
        body = self.serialise(payload)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if forge is not None and forge not in FORGERIES:
            raise ValueError(f"forge must be one of {', '.join(FORGERIES)}")
        if forge != "no_signature":
            signed = self.signer(body) if self.signer else {}
            if forge == "bad_signature":
                signed = {k: _flip(v) for k, v in signed.items()}
            hdrs.update(signed)
        if forge == "tampered_body":
            # the signature was computed over the original bytes; a middleman changed one digit
            body = _tamper(body)
        copies = 2 if self.duplicate and forge is None else 1
        with self._lock:
            events = [WebhookEvent(next(self._ids), body, dict(hdrs)) for _ in range(copies)]
            self.queue.extend(events)
            if forge:
                self.forged.extend(events)
        return events[0]

    def _send(self, event: WebhookEvent) -> int:
        status, _ = http_call(
            self.target,
            "POST",
            path=self.path,
            headers=event.headers,
            body=event.body,
            timeout=self.timeout,
            transport=self.transport,
        )
        return status

    def describe(self) -> dict:
        return {**super().describe(), "forged": len(self.forged)}


def _flip(value: str) -> str:
    """The same header with the last hex digit changed (a signature made with another key)."""
    if not value:
        return "0"
    last = value[-1]
    return value[:-1] + ("0" if last != "0" else "1")


def _tamper(body: bytes) -> bytes:
    """One digit of the ``timestamp`` changed (the body stays valid JSON, the text intact)."""
    start = body.find(b'"timestamp":')
    start = 0 if start < 0 else start
    for i in range(start, len(body)):
        if 48 <= body[i] <= 57:
            return body[:i] + bytes([48 + (body[i] - 47) % 10]) + body[i + 1 :]
    return body + b" "


class ChatEmulatorBase:
    """Clock, faults, lock, id sequences and the shared ``/_emulator/`` stubs."""

    def _init_base(self, *, clock: Clock | None, seed: int) -> None:
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()

    def ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + "".join(
            str(self.rng.randint(0, 9)) for _ in range(n - 1)
        )

    def token(self, n: int = 32, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    # ------------------------------------------------------------------ control stubs

    def tick(self, seconds: float) -> int:
        with self.lock:
            self.clock.advance(seconds)
        return 0

    def pump(self, flush: bool = False) -> int:
        hooks = getattr(self, "webhooks", None)
        return hooks.pump(flush=flush) if hooks is not None else 0

    def advance(self, code, to_status=None, reason_code=None) -> dict:
        raise ValueError("a chat emulator has no orders to advance")

    def fail_next_delivery(self, code, reason_code=None) -> None:
        raise ValueError("a chat emulator has no deliveries")

    def mark_cod_transferred(self, code) -> None:
        raise ValueError("a chat emulator has no COD")


def json_compact(payload: dict, *, ascii_only: bool) -> bytes:
    return json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":")).encode()


def chat_page(title: str, user_field: str, base: str = "/_emulator") -> str:
    """The demo page: play a customer (``user_field`` = psid / user_id) and see the replies."""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:640px;margin:2em auto;color:#222}}
#log{{border:1px solid #ccc;border-radius:8px;padding:1em;height:420px;overflow-y:auto}}
.in{{text-align:right}} .in span{{background:#0084ff;color:#fff}}
.out span{{background:#eee}} span{{display:inline-block;padding:.4em .8em;border-radius:1em;
margin:.2em 0;white-space:pre-wrap;max-width:80%;text-align:left}}
form{{display:flex;gap:.5em;margin-top:1em}} input[name=text]{{flex:1}}
</style></head><body>
<h1>{title}</h1>
<p>Khách hàng giả lập: <input id="user" placeholder="{user_field} (để trống: khách mới)"></p>
<div id="log"></div>
<form id="f"><input name="text" autocomplete="off" placeholder="Nhập tin nhắn…">
<button>Gửi</button></form>
<script>
const log=document.getElementById('log'), user=document.getElementById('user');
async function refresh(){{
  if(!user.value) return;
  const r=await fetch('{base}/transcript?{user_field}='+encodeURIComponent(user.value));
  if(!r.ok) return;
  const data=await r.json(); log.innerHTML='';
  for(const m of data.messages){{
    const d=document.createElement('div'); d.className=m.direction;
    const s=document.createElement('span'); s.textContent=m.text||('['+(m.kind||'?')+']');
    d.appendChild(s); log.appendChild(d);
  }}
  log.scrollTop=log.scrollHeight;
}}
document.getElementById('f').onsubmit=async e=>{{
  e.preventDefault(); const t=e.target.text.value; if(!t) return; e.target.text.value='';
  const body={{text:t}}; if(user.value) body['{user_field}']=user.value;
  const r=await fetch('{base}/messages',{{method:'POST',headers:{{'Content-Type':'application/json'}},
    body:JSON.stringify(body)}});
  const a=await r.json(); if(a['{user_field}']) user.value=a['{user_field}']; refresh();
}};
setInterval(refresh,1500);
</script></body></html>"""
