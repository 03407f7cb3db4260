"""HTTP control endpoints under ``/_emulator/`` shared by all emulators (no auth; demo only).

| Path | Body | Effect |
|---|---|---|
| ``GET  /_emulator/state`` | | orders, webhook queue, fault rules, clock |
| ``POST /_emulator/advance`` | ``{order_code, to_status?, reason_code?}`` | next (or given) status |
| ``POST /_emulator/fail-delivery`` | ``{order_code, reason_code?}`` | next delivery attempt fails |
| ``POST /_emulator/tick`` | ``{seconds}`` | advance the clock, move orders along the timeline |
| ``POST /_emulator/cod-transferred`` | ``{order_code}`` | COD paid out to the shop |
| ``POST /_emulator/pump`` | ``{flush?}`` | deliver queued webhooks |
| ``POST /_emulator/webhooks`` | ``{url?, duplicate?, out_of_order?}`` | webhook settings |
| ``POST /_emulator/faults`` | ``{action, n?, rate?, status?, paths?}`` | ``action``: fail_next, fail_rate, rate_limit_next, rate_limit_rate, lose_answer_next, lose_answer_rate, timeout_next, timeout_rate, clear; others go to the emulator's ``control_fault(action, data)`` if it has one |

``lose_answer_*``: the request is handled (an invoice is created), then the answer is replaced by a
504. ``timeout_*`` (``after?``) only fire in-process, through ``common.FaultyTransport``. An
emulator whose world has no deliveries or COD (the e-invoice ones) answers those routes with
``{ok: false, error}`` (its methods raise ``ValueError``).
"""

from __future__ import annotations

from emulators.common import BadJson, JsonApp, json_response, read_json


def add_control_routes(app: JsonApp, emulator) -> None:
    def body(request) -> dict:
        try:
            return read_json(request)
        except BadJson:
            return {}

    def error(message: str):
        return json_response({"ok": False, "error": message}, 400)

    def state(request):
        return json_response(emulator.state())

    def advance(request):
        data = body(request)
        try:
            order = emulator.advance(
                data.get("order_code"), data.get("to_status"), data.get("reason_code")
            )
        except (KeyError, ValueError) as exc:
            return error(str(exc))
        return json_response({"ok": True, "order": order})

    def fail_delivery(request):
        data = body(request)
        try:
            emulator.fail_next_delivery(data.get("order_code"), data.get("reason_code"))
        except (KeyError, ValueError) as exc:
            return error(str(exc))
        return json_response({"ok": True})

    def tick(request):
        moved = emulator.tick(float(body(request).get("seconds", 3600)))
        return json_response({"ok": True, "moved": moved, "now": emulator.clock.now().isoformat()})

    def cod(request):
        try:
            emulator.mark_cod_transferred(body(request).get("order_code"))
        except (KeyError, ValueError) as exc:
            return error(str(exc))
        return json_response({"ok": True})

    def pump(request):
        n = emulator.pump(flush=bool(body(request).get("flush")))
        return json_response({"ok": True, "delivered": n})

    def webhooks(request):
        data = body(request)
        hooks = emulator.webhooks
        if "url" in data:
            hooks.target = data["url"] or None
        for key in ("duplicate", "out_of_order"):
            if key in data:
                setattr(hooks, key, bool(data[key]))
        return json_response({"ok": True, "webhooks": hooks.describe()})

    def faults(request):
        data = body(request)
        f = emulator.faults
        action = data.get("action")
        status = data.get("status")
        if isinstance(status, list):
            status = tuple(status)
        paths = data.get("paths")
        if action == "clear":
            f.clear()
        elif action == "fail_next":
            f.fail_next(int(data.get("n", 1)), status or 500, paths)
        elif action == "fail_rate":
            f.fail_rate(float(data.get("rate", 0.5)), status or (500, 502, 503), paths)
        elif action == "rate_limit_next":
            f.rate_limit_next(int(data.get("n", 1)), paths)
        elif action == "rate_limit_rate":
            f.rate_limit_rate(float(data.get("rate", 0.5)), paths)
        elif action == "lose_answer_next":
            f.lose_answer_next(int(data.get("n", 1)), paths, status or 504)
        elif action == "lose_answer_rate":
            f.lose_answer_rate(float(data.get("rate", 0.5)), paths, status or 504)
        elif action == "timeout_next":
            f.timeout_next(int(data.get("n", 1)), after=bool(data.get("after")), paths=paths)
        elif action == "timeout_rate":
            f.timeout_rate(float(data.get("rate", 0.5)), after=bool(data.get("after")), paths=paths)
        elif hasattr(emulator, "control_fault"):
            try:
                emulator.control_fault(action, data)
            except (KeyError, ValueError) as exc:
                return error(str(exc))
        else:
            return error(f"unknown action {action!r}")
        return json_response({"ok": True, "faults": f.to_dict()})

    app.add("/_emulator/state", state, ("GET",))
    app.add("/_emulator/advance", advance)
    app.add("/_emulator/fail-delivery", fail_delivery)
    app.add("/_emulator/tick", tick)
    app.add("/_emulator/cod-transferred", cod)
    app.add("/_emulator/pump", pump)
    app.add("/_emulator/webhooks", webhooks)
    app.add("/_emulator/faults", faults)
