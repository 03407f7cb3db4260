"""The Zalo OA emulator's ``/_emulator/`` control routes (table in ``emulators.zalo_oa.app``)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from emulators.common import BadJson, json_response, read_json
from emulators.control import add_control_routes
from emulators.messenger.chat import chat_page


def add_zalo_control_routes(emu) -> None:
    """``emu``: the ``ZaloOaEmulator``."""
    app = emu.app
    add_control_routes(app, emu)

    def body(request) -> dict:
        try:
            return read_json(request)
        except BadJson:
            return {}

    def guarded(fn):
        def handler(request):
            try:
                return fn(body(request))
            except (KeyError, ValueError, TypeError) as exc:
                message = str(exc.args[0]) if exc.args else str(exc)
                return json_response({"ok": False, "error": message}, 400)

        return handler

    def deliver(data) -> bool:
        return data.get("deliver", True) is not False

    @guarded
    def followers(data):
        if data.get("follow", True) is False:
            user = emu.add_user(data.get("user_id"), display_name=data.get("display_name"))
        else:
            user = emu.follow(
                data.get("user_id"),
                display_name=data.get("display_name"),
                forge=data.get("forge"),
                deliver=deliver(data),
            )
        return json_response({"ok": True, "user_id": user.user_id, "user": user.detail()})

    @guarded
    def unfollow(data):
        emu.unfollow(str(data["user_id"]), deliver=deliver(data))
        return json_response({"ok": True})

    @guarded
    def messages(data):
        msg = emu.user_sends(
            data.get("user_id"),
            data.get("text"),
            image_url=data.get("image_url"),
            sticker_id=data.get("sticker_id"),
            forge=data.get("forge"),
            deliver=deliver(data),
        )
        return json_response({"ok": True, "msg_id": msg.msg_id, "user_id": msg.user_id})

    @guarded
    def seen(data):
        emu.user_seen(str(data["user_id"]), deliver=deliver(data))
        return json_response({"ok": True})

    def transcript(request):
        user_id = request.args.get("user_id")
        if user_id and user_id not in emu.users:
            return json_response({"ok": False, "error": f"unknown user_id {user_id!r}"}, 404)
        return json_response({"ok": True, "messages": emu.transcript(user_id)})

    @guarded
    def expire(data):
        return json_response({"ok": True, "expired": emu.expire_tokens()})

    @guarded
    def webhooks(data):
        hooks = emu.webhooks
        if "url" in data:
            emu.set_callback(data["url"] or None)
        for key in ("duplicate", "out_of_order"):
            if key in data:
                setattr(hooks, key, bool(data[key]))
        if "oa_send_events" in data:
            emu.oa_send_events = bool(data["oa_send_events"])
        replayed = emu.replay(int(data["replay"]), deliver=True) if data.get("replay") else 0
        return json_response({"ok": True, "replayed": replayed, "webhooks": hooks.describe()})

    @guarded
    def redirect(data):
        emu.redirect_url = data.get("url") or None
        return json_response({"ok": True})

    def page(request):
        return Response(chat_page("Zalo OA (giả lập)", "user_id"), content_type="text/html")

    app.add("/_emulator/followers", followers)
    app.add("/_emulator/unfollow", unfollow)
    app.add("/_emulator/messages", messages)
    app.add("/_emulator/seen", seen)
    app.add("/_emulator/transcript", transcript, ("GET",))
    app.add("/_emulator/tokens/expire", expire)
    app.add("/_emulator/webhooks", webhooks)
    app.add("/_emulator/redirect", redirect)
    app.add("/_emulator/chat", page, ("GET",))
