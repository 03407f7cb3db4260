"""The Graph API endpoints the Messenger emulator serves (mixed into ``MessengerEmulator``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from emulators.common import json_response
from emulators.messenger import model as m
from emulators.messenger.model import Message

VERSION = r"(?:/v(?P<version>\d+\.\d+))?"


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        *,
        status: int = 400,
        type_: str = "OAuthException",
    ):
        super().__init__(message)
        self.message, self.code, self.subcode = message, code, subcode
        self.status, self.type = status, type_


def _loose_json(value: Any) -> Any:
    """A form field's value: JSON, or the single-quoted JSON the Graph docs' curl examples use."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or text[0] not in "{[":
        return value
    for candidate in (text, text.replace("'", '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise GraphError(f"(#100) Param {value[:40]!r} is not valid JSON", 100)


def graph_params(request: Request) -> dict:
    """Query, then form or JSON body (body wins), as Graph reads them."""
    params: dict[str, Any] = dict(request.args.items())
    raw = request.get_data()
    ctype = (request.content_type or "").split(";")[0].strip().lower()
    if raw.strip():
        if ctype == "application/json" or raw.lstrip()[:1] in (b"{", b"["):
            try:
                body = json.loads(raw)
            except ValueError:
                raise GraphError("(#100) The request body is not valid JSON", 100) from None
            if not isinstance(body, dict):
                raise GraphError("(#100) The request body must be a JSON object", 100)
            params.update(body)
        else:
            for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
                params[key] = _loose_json(value)
    auth = request.headers.get("Authorization", "")
    if "access_token" not in params and auth.split(" ", 1)[0].lower() in ("bearer", "oauth"):
        params["access_token"] = auth.split(" ", 1)[1].strip() if " " in auth else ""
    return params


class GraphApi:
    """Send API, user profile, page subscriptions and the app's webhook subscription."""

    def _routes(self) -> None:
        app = self.app
        app.add_pattern(VERSION + r"/(?P<node>me|\d+)/messages", self._h_messages, ("POST",))
        app.add_pattern(
            VERSION + r"/(?P<node>me|\d+)/subscribed_apps",
            self._h_subscribed_apps,
            ("GET", "POST", "DELETE"),
        )
        app.add_pattern(
            VERSION + r"/(?P<node>\d+)/subscriptions", self._h_app_subscriptions, ("GET", "POST")
        )
        app.add_pattern(VERSION + r"/(?P<node>me|\d+)", self._h_node, ("GET",))

    # ------------------------------------------------------------------ plumbing

    def _graph(self, handler, request: Request, **kw) -> Response:
        try:
            with self.lock:
                return json_response(handler(graph_params(request), **kw))
        except GraphError as exc:
            return self.graph_error_response(exc)

    def graph_error_response(self, exc: GraphError) -> Response:
        error = {"message": exc.message, "type": exc.type, "code": exc.code}
        if exc.subcode is not None:
            error["error_subcode"] = exc.subcode
        error["fbtrace_id"] = "A" + self.token(
            22, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        )
        response = json_response({"error": error}, exc.status)
        if exc.code == 190:
            response.headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
            )
        return response

    def _page_token(self, params: dict) -> None:
        token = params.get("access_token")
        if not token:
            raise GraphError("An access token is required to request this resource.", 104)
        if token in self.revoked_tokens:
            raise GraphError(
                "Error validating access token: The session has been invalidated because the "
                "user changed their password or Facebook has changed the session for security "
                "reasons.",
                190,
                460,
            )
        if token != self.page_access_token:
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)

    def _page_node(self, node: str) -> None:
        if node not in ("me", self.page_id):
            raise GraphError(
                f"Unsupported post request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                100,
                33,
            )

    def _injected(self) -> None:
        """A Graph error queued by ``graph_error_next`` (control)."""
        if self.graph_errors:
            spec = self.graph_errors.pop(0)
            raise GraphError(
                spec.get("message")
                or "(#1200) Temporary send message failure. Please try again later",
                int(spec.get("code", 1200)),
                spec.get("subcode"),
                status=int(
                    spec.get("status", 500 if int(spec.get("code", 1200)) in (1, 2, 1200) else 400)
                ),
                type_=spec.get("type", "OAuthException"),
            )

    # ------------------------------------------------------------------ Send API

    def _h_messages(self, request: Request, node: str, version: str | None = None) -> Response:
        return self._graph(self._send, request, node=node)

    def _send(self, params: dict, node: str) -> dict:
        self._page_token(params)
        self._page_node(node)
        recipient = _loose_json(params.get("recipient"))
        if not isinstance(recipient, dict) or not recipient:
            raise GraphError("(#100) The parameter recipient is required", 100)
        psid = str(recipient.get("id") or "")
        if not psid:
            raise GraphError("(#100) param recipient[id] must be a non-empty string", 100)
        message = _loose_json(params.get("message"))
        action = params.get("sender_action")
        if message is not None and action is not None:
            raise GraphError(
                "(#100) Cannot send both message and state at the same time.", 100, 2018015
            )
        if message is None and action is None:
            raise GraphError("(#100) The parameter message is required", 100)
        messaging_type = params.get("messaging_type")
        tag = params.get("tag")
        if action is not None:
            if action not in m.SENDER_ACTIONS:
                raise GraphError(
                    f"(#100) param sender_action must be one of "
                    f'{{{", ".join(m.SENDER_ACTIONS).upper()}}} - got "{action}"',
                    100,
                )
        else:
            if messaging_type is None:
                raise GraphError("(#100) The parameter messaging_type is required", 100)
            if messaging_type not in m.MESSAGING_TYPES:
                raise GraphError(
                    f"(#100) param messaging_type must be one of "
                    f'{{{", ".join(m.MESSAGING_TYPES)}}} - got "{messaging_type}"',
                    100,
                )
            if messaging_type == "MESSAGE_TAG":
                if tag not in self.allowed_tags:
                    raise GraphError(
                        f"(#100) param tag must be one of "
                        f'{{{", ".join(self.allowed_tags)}}} - got "{tag}"',
                        100,
                    )
            elif tag is not None:
                raise GraphError(
                    "(#100) param tag is only allowed with messaging_type MESSAGE_TAG", 100
                )
            self._check_message(message)
        user = self.users.get(psid)
        if user is None:
            raise GraphError("(#100) No matching user found", 100, 2018001)
        self._injected()
        if not self.window_open(user, messaging_type if action is None else "RESPONSE", tag):
            raise GraphError(
                "(#10) This message is sent outside of allowed window. Learn more "
                "about the new policy here: https://developers.facebook.com/docs/"
                "messenger-platform/policy-overview",
                10,
                2018278,
            )
        if not user.available:
            raise GraphError("(#551) This person isn't available right now.", 551, 1545041)
        if action is not None:
            self.record_outbound(
                Message(
                    mid="",
                    psid=psid,
                    direction="out",
                    kind="sender_action",
                    at=self.clock.now(),
                    source="send_api",
                    sender_action=action,
                ),
                echo=False,
            )
            return {"recipient_id": psid}
        msg = self.record_outbound(
            Message(
                mid="",
                psid=psid,
                direction="out",
                kind="attachment" if message.get("attachment") else "text",
                at=self.clock.now(),
                text=message.get("text"),
                source="send_api",
                messaging_type=messaging_type,
                tag=tag,
                attachments=[message["attachment"]] if message.get("attachment") else [],
                quick_replies=list(message.get("quick_replies") or []),
                metadata=message.get("metadata"),
            ),
            echo=True,
        )
        return {"recipient_id": psid, "message_id": msg.mid}

    def _check_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            raise GraphError("(#100) param message must be an object", 100)
        text, attachment = message.get("text"), message.get("attachment")
        if text is None and attachment is None:
            raise GraphError("(#100) Must send either message text or an attachment", 100)
        if text is not None and attachment is not None:
            raise GraphError("(#100) Only one of text or attachment can be specified", 100)
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                raise GraphError(
                    "(#100) param message[text] must be a non-empty UTF-8 encoded string", 100
                )
            if len(text) > m.TEXT_LIMIT:
                raise GraphError(
                    f"(#100) Length of param message[text] must be less than or "
                    f"equal to {m.TEXT_LIMIT}",
                    100,
                )
        if attachment is not None:
            if not isinstance(attachment, dict) or attachment.get("type") not in m.ATTACHMENT_TYPES:
                raise GraphError(
                    f"(#100) param message[attachment][type] must be one of "
                    f"{{{', '.join(m.ATTACHMENT_TYPES)}}}",
                    100,
                )
            if not isinstance(attachment.get("payload"), dict):
                raise GraphError("(#100) param message[attachment][payload] must be an object", 100)
        metadata = message.get("metadata")
        if metadata is not None and (
            not isinstance(metadata, str) or len(metadata) > m.METADATA_LIMIT
        ):
            raise GraphError(
                f"(#100) param message[metadata] must be a string of at most "
                f"{m.METADATA_LIMIT} characters",
                100,
            )
        replies = message.get("quick_replies")
        if replies is not None:
            if not isinstance(replies, list) or not replies:
                raise GraphError(
                    "(#100) param message[quick_replies] must be a non-empty array", 100
                )
            if len(replies) > m.QUICK_REPLY_LIMIT:
                raise GraphError(
                    f"(#100) param message[quick_replies] must have at most "
                    f"{m.QUICK_REPLY_LIMIT} elements",
                    100,
                )
            for i, reply in enumerate(replies):
                kind = reply.get("content_type") if isinstance(reply, dict) else None
                if kind not in m.QUICK_REPLY_TYPES:
                    raise GraphError(
                        f"(#100) param message[quick_replies][{i}][content_type] "
                        f"must be one of {{{', '.join(m.QUICK_REPLY_TYPES)}}}",
                        100,
                    )
                if kind == "text":
                    title = reply.get("title")
                    if not isinstance(title, str) or not title:
                        raise GraphError(
                            f"(#100) param message[quick_replies][{i}][title] is required", 100
                        )
                    if len(title) > m.QUICK_REPLY_TITLE_LIMIT:
                        raise GraphError(
                            f"(#100) param message[quick_replies][{i}][title] must "
                            f"be at most {m.QUICK_REPLY_TITLE_LIMIT} characters",
                            100,
                        )
                    if not reply.get("payload"):
                        raise GraphError(
                            f"(#100) param message[quick_replies][{i}][payload] is required", 100
                        )

    # ------------------------------------------------------------------ profile, subscriptions

    def _h_node(self, request: Request, node: str, version: str | None = None) -> Response:
        return self._graph(self._node, request, node=node)

    def _node(self, params: dict, node: str) -> dict:
        self._page_token(params)
        if node in ("me", self.page_id):
            return {"name": self.page_name, "id": self.page_id}
        user = self.users.get(node)
        if user is None:
            raise GraphError(
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                100,
                33,
            )
        fields = [
            f.strip()
            for f in str(params.get("fields") or "first_name,last_name,profile_pic").split(",")
            if f.strip()
        ]
        values = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "name": f"{user.last_name} {user.first_name}",
            "profile_pic": user.profile_pic,
            "locale": user.locale,
            "timezone": user.timezone,
        }
        out = {}
        for f in fields:
            if f not in values:
                raise GraphError(
                    f"(#100) Tried accessing nonexisting field ({f}) on node type (User)", 100
                )
            out[f] = values[f]
        out["id"] = user.psid
        return out

    def _h_subscribed_apps(self, request: Request, node: str, version: str | None = None):
        return self._graph(self._subscribed_apps, request, node=node, method=request.method)

    def _subscribed_apps(self, params: dict, node: str, method: str) -> dict:
        self._page_token(params)
        self._page_node(node)
        if method == "GET":
            return {
                "data": [
                    {
                        "name": self.app_name,
                        "id": self.app_id,
                        "subscribed_fields": sorted(self.subscribed_fields),
                    }
                ]
            }
        if method == "DELETE":
            self.subscribed_fields = set()
            return {"success": True}
        fields = params.get("subscribed_fields")
        if isinstance(fields, str):
            fields = [f.strip() for f in fields.split(",") if f.strip()]
        if not fields:
            raise GraphError("(#100) The parameter subscribed_fields is required", 100)
        unknown = [f for f in fields if f not in self.KNOWN_FIELDS]
        if unknown:
            raise GraphError(
                f"(#100) Param subscribed_fields[0] must be one of "
                f'{{{", ".join(sorted(self.KNOWN_FIELDS))}}} - got "{unknown[0]}"',
                100,
            )
        self.subscribed_fields = set(fields)
        return {"success": True}

    def _h_app_subscriptions(self, request: Request, node: str, version: str | None = None):
        return self._graph(self._app_subscriptions, request, node=node, method=request.method)

    def _app_subscriptions(self, params: dict, node: str, method: str) -> dict:
        if node != self.app_id:
            raise GraphError(f"(#803) Some of the aliases you requested do not exist: {node}", 803)
        if params.get("access_token") != f"{self.app_id}|{self.app_secret}":
            raise GraphError("Invalid OAuth access token signature.", 190)
        if method == "GET":
            return {
                "data": [
                    {
                        "object": "page",
                        "callback_url": self.callback_url or "",
                        "active": self.verified,
                        "fields": [
                            {"name": f, "version": "v25.0"} for f in sorted(self.subscribed_fields)
                        ],
                    }
                ]
            }
        if params.get("object") != "page":
            raise GraphError(
                "(#100) Param object must be one of {page, user, permissions, instagram} - "
                f'got "{params.get("object")}"',
                100,
            )
        url, token = params.get("callback_url"), params.get("verify_token")
        if not url or not token:
            raise GraphError("(#100) callback_url and verify_token are required", 100)
        result = self.verify_callback(url=url, verify_token=token)
        if not result["verified"]:
            raise GraphError(f"(#2200) callback verification failed: {result['reason']}", 2200)
        fields = params.get("fields")
        if isinstance(fields, str):
            self.subscribed_fields = {f.strip() for f in fields.split(",") if f.strip()}
        return {"success": True}
