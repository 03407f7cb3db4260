"""The Messenger emulator's ``/_emulator/`` control routes (table in ``emulators.messenger.app``)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from emulators.common import BadJson, json_response, read_json
from emulators.control import add_control_routes
from emulators.messenger.chat import chat_page


def add_messenger_control_routes(emu) -> None:
    """``emu``: the ``MessengerEmulator``."""
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

    @guarded
    def users(data):
        user = emu.add_user(
            data.get("psid"),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            locale=data.get("locale") or "vi_VN",
        )
        if "available" in data:
            user.available = bool(data["available"])
        return json_response({"ok": True, "user": user.describe(), "psid": user.psid})

    @guarded
    def messages(data):
        deliver = data.get("deliver", True) is not False
        if data.get("batch"):
            sent = emu.user_sends_batch(list(data["batch"]), deliver=deliver)
            return json_response({"ok": True, "mids": [x.mid for x in sent]})
        psid = data.get("psid")
        if psid and str(psid) not in emu.users:
            emu.add_user(psid)
        msg = emu.user_sends(
            psid,
            data.get("text"),
            quick_reply_payload=data.get("quick_reply_payload"),
            attachments=data.get("attachments"),
            sticker_id=data.get("sticker_id"),
            postback=data.get("postback"),
            forge=data.get("forge"),
            deliver=deliver,
        )
        return json_response({"ok": True, "mid": msg.mid, "psid": msg.psid})

    @guarded
    def read(data):
        emu.user_reads(str(data["psid"]), deliver=data.get("deliver", True) is not False)
        return json_response({"ok": True})

    @guarded
    def page_reply(data):
        msg = emu.page_reply(str(data["psid"]), str(data["text"]))
        emu.pump()
        return json_response({"ok": True, "mid": msg.mid})

    def transcript(request):
        psid = request.args.get("psid")
        if psid and psid not in emu.users:
            return json_response({"ok": False, "error": f"unknown psid {psid!r}"}, 404)
        return json_response({"ok": True, "messages": emu.transcript(psid)})

    @guarded
    def verify(data):
        result = emu.verify_callback(data.get("url"), data.get("verify_token"))
        return json_response({"ok": result["verified"], **result})

    @guarded
    def webhooks(data):
        hooks = emu.webhooks
        if "url" in data:
            emu.set_callback(data["url"] or None)
        for key in ("duplicate", "out_of_order"):
            if key in data:
                setattr(hooks, key, bool(data[key]))
        if "subscribed_fields" in data:
            fields = set(data["subscribed_fields"] or [])
            unknown = fields - emu.KNOWN_FIELDS
            if unknown:
                raise ValueError(f"unknown fields {sorted(unknown)}")
            emu.subscribed_fields = fields
        replayed = emu.replay(int(data["replay"]), deliver=True) if data.get("replay") else 0
        return json_response({"ok": True, "replayed": replayed, "webhooks": hooks.describe()})

    def page(request):
        return Response(chat_page("Messenger (giả lập)", "psid"), content_type="text/html")

    app.add("/_emulator/users", users)
    app.add("/_emulator/messages", messages)
    app.add("/_emulator/read", read)
    app.add("/_emulator/page-reply", page_reply)
    app.add("/_emulator/transcript", transcript, ("GET",))
    app.add("/_emulator/verify", verify)
    app.add("/_emulator/webhooks", webhooks)
    app.add("/_emulator/chat", page, ("GET",))
