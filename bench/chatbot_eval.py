"""`make eval-chatbot`: the chatbot on its evaluation set (evaluation/chatbot/, see its README).

A fresh database (`eval_chatbot` of the configured DATABASE_URL; SQLite: var/eval_chatbot.sqlite3)
with the demo shop loaded (`load_demo`), the offline engine (no LLM), the demo carriers answered
by their emulators in-process (no sockets), every message sent through
`POST /api/v1/chatbot/messages` with Django's test client. Prints intent accuracy, entity F1,
dialogue completion and p95 reply latency, then the failures.

    python -m bench.chatbot_eval [--failures 40] [--keepdb]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="make eval-chatbot")
    parser.add_argument("--messages", default=str(ROOT / "evaluation/chatbot/messages.jsonl"))
    parser.add_argument("--dialogues", default=str(ROOT / "evaluation/chatbot/dialogues.jsonl"))
    parser.add_argument("--failures", type=int, default=60, help="failures to print (0: none)")
    parser.add_argument("--keepdb", action="store_true", help="reuse the database (no reload)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TEST_DATABASE_NAME"] = "eval_chatbot"
    os.environ["CHATBOT_LLM_BASE_URL"] = ""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from donhang.accounts.services import api_key_create
    from donhang.chatbot import evaluation
    from donhang.chatbot.engine.tools import stock_of
    from donhang.core.integrations import register_transport
    from donhang.core.phone import display_phone
    from donhang.orders.models import Order
    from emulators.common import Clock, FaultyTransport
    from emulators.ghn import GhnEmulator
    from emulators.viettelpost import ViettelPostEmulator

    settings.CHATBOT_LLM_BASE_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    setup_test_environment()
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if not args.keepdb or not Order.objects.exists():
        call_command("load_demo", verbosity=0)
    for url, emulator in (
        (os.environ.get("DEMO_GHN_URL", "http://127.0.0.1:8701"), GhnEmulator),
        (os.environ.get("DEMO_VTP_URL", "http://127.0.0.1:8702"), ViettelPostEmulator),
    ):
        instance = emulator(
            webhook_target=None, webhook_secret="demo-secret", seed=1, clock=Clock(timezone.now())
        )
        register_transport(url, FaultyTransport(instance.wsgi_app, instance.faults))
    _key, raw = api_key_create(name="evaluation", role="sales")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    def send(text: str, conversation):
        began = time.perf_counter()
        response = client.post(
            "/api/v1/chatbot/messages",
            {"conversation": conversation, "text": text},
            content_type="application/json",
        )
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            return {"intent": "", "entities": {}, "reply": response.content.decode()[:200]}, seconds
        return response.json(), seconds

    def order_of(code: str):
        order = (
            Order.objects.select_related("shipping_ward", "shipping_province")
            .prefetch_related("lines")
            .filter(code=code)
            .first()
        )
        if order is None:
            return None
        address = ", ".join(
            x
            for x in (
                order.shipping_address_line,
                order.shipping_ward.name if order.shipping_ward else "",
                order.shipping_province.name if order.shipping_province else "",
            )
            if x
        )
        return {
            "code": order.code,
            "channel": order.channel,
            "lines": [(ln.sku, ln.quantity) for ln in order.lines.all()],
            "phone": display_phone(order.customer_phone).replace(" ", ""),
            "name": order.customer_name,
            "address": address,
            "fee": order.shipping_fee,
            "variants": [(ln.variant_id, ln.quantity, ln.unit_price) for ln in order.lines.all()],
        }

    def facts(wanted: dict, order: dict) -> dict:
        # What the bot should have quoted: the unit prices, the stock before this order took
        # its units (and after, should the customer have asked again), the order's fee.
        prices = [item.get("unit_price") for item in wanted["items"] if item.get("unit_price")]
        prices += [unit for _v, _q, unit in order["variants"]]
        left = stock_of([v for v, _q, _u in order["variants"]])
        stock = []
        for variant_id, quantity, _unit in order["variants"]:
            stock += [left.get(variant_id, 0) + quantity, left.get(variant_id, 0)]
        return {"price": prices, "stock": stock, "fee": [order["fee"]] if order["fee"] else []}

    from donhang.catalog.models import Product

    catalog_names = dict(Product.objects.values_list("sku", "name"))
    messages = evaluation.load(Path(args.messages))
    dialogues = evaluation.load(Path(args.dialogues))
    send("xin chào", None)  # warm-up: indexes built, caches filled
    report = evaluation.Report()
    evaluation.score_messages(messages, send, report, catalog_names)
    evaluation.score_dialogues(dialogues, send, report, order_of, facts)
    print()
    evaluation.print_report(report, sizes=(len(messages), len(dialogues)))
    if args.failures:
        print(f"\nfailures (first {args.failures}):")
        for kind, item_id, expected, got, text, reply in report.failures[: args.failures]:
            print(f"- [{kind}] {item_id}: expected {expected!r}, got {got!r} — {text}")
            if reply and kind == "dialogue":
                print("    " + reply.replace("\n", "\n    ")[:1500])
    print(f"\n(evaluation took {time.perf_counter() - started:.0f} s)")
    targets = report.intent_accuracy >= 0.9 and report.completion >= 0.9 and report.p95_ms <= 300
    return 0 if targets else 1


if __name__ == "__main__":
    sys.exit(main())
