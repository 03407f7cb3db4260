"""Zalo OpenAPI (``openapi.zalo.me``) and OAuth v4 (``oauth.zaloapp.com``) endpoints, mixed
into ``ZaloOaEmulator``. Both hosts' paths are served from one base URL."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from emulators.common import json_response
from emulators.marketplace import TokenError

OAUTH_DOC = (
    "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new"
)
TEXT_LIMIT = 2000


class ZaloError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class OAuthError(Exception):
    def __init__(self, code: int, name: str, description: str):
        super().__init__(description)
        self.code, self.name, self.description = code, name, description


def pkce_challenge(verifier: str) -> str:
    """Unpadded base64url SHA-256 of the verifier (RFC 7636 S256)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class ZaloApi:
    """Send (consultation message), user detail, OA info, OAuth v4 permission and token."""

    def _routes(self) -> None:
        app = self.app
        app.add("/v3.0/oa/message/cs", self._h_send_cs)
        app.add("/v3.0/oa/user/detail", self._h_user_detail, ("GET",))
        app.add("/v2.0/oa/getoa", self._h_getoa, ("GET",))
        app.add("/v4/oa/permission", self._h_permission, ("GET",))
        app.add("/v4/oa/access_token", self._h_access_token)

    # ------------------------------------------------------------------ OpenAPI plumbing

    def _openapi(self, handler, request: Request) -> Response:
        try:
            with self.lock:
                self._check_token(request.headers.get("access_token", ""))
                if self.zalo_errors:
                    spec = self.zalo_errors.pop(0)
                    raise ZaloError(int(spec.get("error", -32)), spec.get("message") or "Error")
                data = handler(request)
            return json_response({"data": data, "error": 0, "message": "Success"})
        except ZaloError as exc:
            # Zalo answers failures with HTTP 200 and a non-zero ``error``
            return json_response({"error": exc.code, "message": exc.message})

    def _check_token(self, token: str) -> None:
        if not token:
            raise ZaloError(-216, "Access token is invalid")
        try:
            pair = self.tokens.check_access(token, self.clock.timestamp())
        except TokenError as exc:
            message = (
                "Access token has expired" if exc.kind == "expired" else "Access token is invalid"
            )
            raise ZaloError(-216, message) from None
        if pair.subject != self.oa_id:
            raise ZaloError(-216, "Access token is invalid")

    # ------------------------------------------------------------------ send

    def _h_send_cs(self, request: Request) -> Response:
        return self._openapi(self._send_cs, request)

    def _send_cs(self, request: Request) -> dict:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            raise ZaloError(-201, "Body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ZaloError(-201, "Parameters are invalid")
        recipient = body.get("recipient")
        user_id = str(recipient.get("user_id") or "") if isinstance(recipient, dict) else ""
        if not user_id:
            raise ZaloError(-201, "recipient.user_id is required")
        message = body.get("message")
        if not isinstance(message, dict):
            raise ZaloError(-201, "message is required")
        text, attachment = message.get("text"), message.get("attachment")
        if text is None and attachment is None:
            raise ZaloError(-201, "message.text or message.attachment is required")
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                raise ZaloError(-201, "message.text must be a non-empty string")
            if len(text) > TEXT_LIMIT:
                raise ZaloError(-201, f"message.text is longer than {TEXT_LIMIT} characters")
        if attachment is not None:
            payload = attachment.get("payload") if isinstance(attachment, dict) else None
            if attachment.get("type") != "template" or not isinstance(payload, dict):
                raise ZaloError(-201, "message.attachment is invalid")
        user = self.users.get(user_id)
        if user is None:
            raise ZaloError(-201, "user_id is invalid")
        quote = message.get("quote_message_id")
        if quote is not None and quote not in {
            x.msg_id for x in self.messages if x.user_id == user_id
        }:
            raise ZaloError(-201, "quote_message_id is invalid")
        quota = self.consume_reply(user)
        msg = self.record_outbound(user, text=text, attachment=attachment, quote=quote)
        return {"message_id": msg.msg_id, "user_id": user.user_id, "quota": quota}

    # ------------------------------------------------------------------ user, OA

    def _h_user_detail(self, request: Request) -> Response:
        return self._openapi(self._user_detail, request)

    def _user_detail(self, request: Request) -> dict:
        try:
            data = json.loads(request.args.get("data") or "{}")
        except ValueError:
            raise ZaloError(-201, "data is not valid JSON") from None
        user_id = str((data or {}).get("user_id") or "") if isinstance(data, dict) else ""
        user = self.users.get(user_id)
        if user is None:
            raise ZaloError(-201, "user_id is invalid")
        return user.detail()

    def _h_getoa(self, request: Request) -> Response:
        return self._openapi(self._getoa, request)

    def _getoa(self, request: Request) -> dict:
        return {
            "oa_id": self.oa_id,
            "name": self.oa_name,
            "description": "Cửa hàng thời trang và gia dụng (giả lập)",
            "oa_alias": "shopdemodonhang",
            "is_verified": self.verified_oa,
            "oa_type": 2,
            "cate_name": "Mua sắm",
            "num_follower": sum(1 for u in self.users.values() if u.follower),
            "avatar": "https://s160-ava-talk.zadn.vn/demo/oa.jpg",
        }

    # ------------------------------------------------------------------ OAuth v4

    def _h_permission(self, request: Request) -> Response:
        """The seller approves at once (as the simulated OA admin) and is sent back."""
        args = request.args
        if args.get("app_id") != self.app_id:
            return json_response({"error": -14002, "message": "Invalid app_id"}, 400)
        redirect = args.get("redirect_uri") or self.redirect_url
        if not redirect:
            return json_response({"error": -14001, "message": "redirect_uri is required"}, 400)
        if self.redirect_url and not redirect.startswith(self.redirect_url):
            return json_response(
                {"error": -14001, "message": "redirect_uri does not match the app's callback"}, 400
            )
        with self.lock:
            code = self.tokens.issue_code(self.oa_id, self.clock.timestamp())
            self.code_challenges[code] = args.get("code_challenge") or None
        query = {"oa_id": self.oa_id, "code": code, "state": args.get("state", "")}
        if args.get("code_challenge"):
            query["code_challenge"] = args["code_challenge"]
        sep = "&" if "?" in redirect else "?"
        return Response(status=302, headers={"Location": redirect + sep + urlencode(query)})

    def _h_access_token(self, request: Request) -> Response:
        try:
            with self.lock:
                return json_response(self._access_token(request))
        except OAuthError as exc:
            return json_response(
                {
                    "error": exc.code,
                    "error_name": exc.name,
                    "error_reason": exc.description,
                    "ref_doc": OAUTH_DOC,
                    "error_description": exc.description,
                }
            )

    def _access_token(self, request: Request) -> dict:
        form = request.form
        if request.headers.get("secret_key", "") != self.app_secret:
            raise OAuthError(-14003, "Invalid secret key", "secret_key header is wrong or missing")
        if form.get("app_id") != self.app_id:
            raise OAuthError(-14002, "Invalid app id", "app_id is wrong or missing")
        grant = form.get("grant_type")
        now = self.clock.timestamp()
        if grant == "authorization_code":
            code = form.get("code") or ""
            challenge = self.code_challenges.get(code)
            try:
                subject = self.tokens.take_code(code, now)
            except TokenError as exc:
                raise OAuthError(-14019, "Invalid authorization code", str(exc)) from None
            if challenge and pkce_challenge(form.get("code_verifier") or "") != challenge:
                raise OAuthError(-14020, "Invalid code verifier", "code_verifier does not match")
            pair = self.tokens.issue(subject, now)
        elif grant == "refresh_token":
            try:
                pair = self.tokens.refresh(form.get("refresh_token") or "", now)
            except TokenError as exc:
                raise OAuthError(-14014, "Invalid refresh token", str(exc)) from None
        else:
            raise OAuthError(-14004, "Invalid grant type", f"grant_type {grant!r} is not supported")
        self.token_grants.append((grant, pair.access_token))
        return {
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": str(int(self.tokens.access_ttl)),
            "refresh_token_expires_in": str(int(self.tokens.refresh_ttl)),
        }
