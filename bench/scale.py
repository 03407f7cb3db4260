"""Issue 17's figures at scale (`make bench BENCH_ARGS=--scale`, run by bench/__main__.py in a
process of its own per engine, with DATABASE_URL set):

- reservations: 1,000 orders of 1 unit for one variant with 100 on hand, from many clients at
  once (forked processes × threads), through the service layer and through the HTTP API
  (in-process WSGI), refusing backorders; accepted must be exactly 100, nothing reserved above
  on hand, and `stock_rebuild --check` finds no drift;
- chatbot: the offline engine answering the evaluation set (evaluation/chatbot/: every single
  message, every dialogue turn) through `POST /api/v1/chatbot/messages`, at 1 and 4 clients:
  p50/p95/p99 per message (PostgreSQL only);
- worker: the peak memory (VmHWM) of a task worker rendering label batches of 500 labels: the
  embedded queue's `manage.py db_worker`, and the scaled run's `manage.py rqworker` (its
  work-horses too) when Redis answers (PostgreSQL only);
- web: the scaled run (gunicorn with scripts/gunicorn_conf.py, gthread, as scripts/run_scaled.sh
  starts it; the task queue and cache on Redis when it answers) at 1, 2 and 4 web workers, a
  fixed closed-loop load of API orders, order list and search pages for --seconds each:
  requests/s, p50/p95/p99, and each worker's peak memory (PostgreSQL only);
- marketplaces (only when asked): bench/marketplaces.py's sync of 10,000 SKUs and 10,000 orders
  against the Lazada emulator's own rate limit, on a database of its own.

Each part has its own bench database (`bench_scale_<part>`; SQLite: var/bench_scale_*.sqlite3),
kept between runs.

    python -m bench.scale [--parts reservations,chatbot,worker,web] [--seconds 15]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARTS = "reservations,chatbot,worker,web"
PG_ONLY = {"chatbot", "worker", "web"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--parts", default=DEFAULT_PARTS)
    parser.add_argument("--attempts", type=int, default=1000, help="orders tried (reservations)")
    parser.add_argument("--units", type=int, default=100, help="units on hand (reservations)")
    parser.add_argument("--procs", type=int, default=8, help="client processes (reservations)")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--seconds", type=float, default=15, help="load per web worker count")
    parser.add_argument("--web-clients", type=int, default=16, help="closed-loop web clients")
    parser.add_argument("--web-orders", type=int, default=20_000, help="orders in the web db")
    parser.add_argument("--batches", type=int, default=4, help="label batches (worker)")
    parser.add_argument("--skus", type=int, default=10_000, help="marketplaces")
    parser.add_argument("--market-orders", type=int, default=10_000, help="marketplaces")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["CHATBOT_LLM_BASE_URL"] = ""  # the offline engine
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the refused orders' 409s
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SHOW server_version")
        version = cur.fetchone()[0]
    title = f"{'SQLite' if vendor == 'sqlite' else 'PostgreSQL'} {version}"
    print(f"\n######## scale · {title} · {os.cpu_count()} cores · python {sys.version.split()[0]}")
    results: dict = {"engine": title + " (scale)", "ratios": {}}
    for part in parts:
        if part in PG_ONLY and vendor == "sqlite":
            print(f"\n== {part}: PostgreSQL only (the scaled run), skipped on SQLite")
            continue
        started = time.perf_counter()
        {
            "reservations": _reservations,
            "chatbot": _chatbot,
            "worker": _worker,
            "web": _web,
            "marketplaces": _marketplaces,
        }[part](args, results)
        print(f"  ({part} took {time.perf_counter() - started:.0f} s)")
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)
    return 0


def _ms(values: list[float], pct: float) -> str:
    from bench.harness import percentile

    return f"{percentile(values, pct):.1f}"


def _pg_url(name: str) -> str:
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgresql://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    )


# --- 1. 1,000 concurrent reservations on 100 units ---------------------------------------------


class ReserveWork:
    """Each client process runs `threads` threads; together they try `per_client` orders of one
    unit of the variant, backorders refused. Samples are keyed by outcome."""

    def __init__(self, via: str, variant, ward: int, key: str, per_client: int, threads: int):
        self.via, self.variant_id, self.sku = via, variant.pk, variant.sku
        self.ward, self.key = ward, key
        self.per_client, self.threads = per_client, threads

    def _one(self, client: int, i: int, http) -> str:
        from donhang.core.errors import Conflict
        from donhang.orders import services

        phone = f"098{(client * 10_000 + i) % 10**7:07d}"
        if self.via == "service":
            try:
                services.order_create(
                    channel="website",
                    customer=services.CustomerInput(
                        name=f"Khách {client}-{i}",
                        phone=phone,
                        address=services.AddressInput(line="1 Hàng Bạc", ward=self.ward),
                    ),
                    lines=[services.LineInput(variant_id=self.variant_id, quantity=1)],
                    shipping_fee=30_000,
                    allow_backorder=False,
                )
                return "accepted"
            except Conflict as exc:
                return "refused" if exc.code == "insufficient_stock" else f"conflict {exc.code}"
        response = http.post(
            "/api/v1/orders",
            {
                "channel": "website",
                "customer": {
                    "name": f"Khách {client}-{i}",
                    "phone": phone,
                    "address": {"line": "1 Hàng Bạc", "ward": self.ward},
                },
                "lines": [{"sku": self.sku, "quantity": 1}],
                "shipping_fee": 30_000,
                "allow_backorder": False,
            },
            content_type="application/json",
            headers={"Idempotency-Key": f"scale-{uuid.uuid4().hex}"},
        )
        if response.status_code == 201:
            return "accepted"
        if response.status_code == 409:
            return "refused"
        return f"HTTP {response.status_code}"

    def run(self, client: int):
        from django.db import connections
        from django.test import Client

        samples: dict[str, list[float]] = {}
        lock = threading.Lock()

        def thread(t: int) -> None:
            http = Client(headers={"Authorization": f"Bearer {self.key}"})
            try:
                for i in range(t, self.per_client, self.threads):
                    began = time.perf_counter()
                    try:
                        outcome = self._one(client, i, http)
                    except Exception as exc:  # counted, not fatal: the figure shows them
                        outcome = f"error {type(exc).__name__}"
                    ms = (time.perf_counter() - began) * 1000
                    with lock:
                        samples.setdefault(outcome, []).append(ms)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(thread, range(self.threads)))
        return sum(len(v) for v in samples.values()), samples


def _reservations(args, results) -> None:
    from django.core.management import CommandError, call_command
    from django.db.models import F, Sum

    from bench.harness import database_prepare, run_clients, table
    from donhang.accounts.services import api_key_create
    from donhang.catalog import services as catalog
    from donhang.catalog.models import Variant
    from donhang.customers.models import Ward
    from donhang.inventory.models import Reservation, StockLevel, Warehouse
    from donhang.orders.models import OrderLine

    database_prepare("bench_scale_reserve")
    warehouse, _ = Warehouse.objects.get_or_create(
        code="SCALE", defaults={"name": "Bench scale warehouse", "priority": 0}
    )
    ward = Ward.objects.get(code=70).code
    _key, raw = api_key_create(name=f"scale-{time.time_ns()}", role="owner")
    clients = args.procs * args.threads
    per_client = -(-args.attempts // args.procs)
    rows = []
    problems = []
    for via in ("service", "api"):
        sku = f"SCALE-{via}-{time.time_ns()}"
        catalog.product_create(
            name=f"Scale {via}",
            sku=sku,
            defaults={"cost_price": 50_000, "sale_price": 99_000, "vat_rate": "10"},
            initial_stock={warehouse.pk: args.units},
        )
        variant = Variant.objects.get(product__sku=sku)
        run = run_clients(
            ReserveWork(via, variant, ward, raw, per_client, args.threads), args.procs
        )
        outcomes = Counter({k: len(v) for k, v in run.samples.items()})
        everything = [ms for v in run.samples.values() for ms in v]
        level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
        held = Reservation.objects.filter(variant=variant).aggregate(n=Sum("quantity"))["n"] or 0
        orders = OrderLine.objects.filter(variant=variant).values("order").distinct().count()
        other = ", ".join(
            f"{k}: {n}" for k, n in sorted(outcomes.items()) if k not in ("accepted", "refused")
        )
        ok = (
            outcomes["accepted"] == args.units
            and level.reserved == args.units
            and held == args.units
            and orders == args.units
            and level.reserved <= level.on_hand
        )
        if not ok:
            problems.append(via)
        rows.append(
            [
                "service layer" if via == "service" else "HTTP API (in-process)",
                f"{run.units}",
                f"{run.seconds:.1f}",
                f"{run.rate:.0f}",
                f"{_ms(everything, 50)} / {_ms(everything, 95)} / {_ms(everything, 99)}",
                f"{outcomes['accepted']}",
                f"{outcomes['refused']}",
                other or "0",
                f"{level.on_hand} / {level.reserved} / {held} / {orders}",
                "yes" if ok else "NO",
            ]
        )
        results["ratios"][f"reservations accepted / on hand ({via})"] = [
            outcomes["accepted"] / args.units
        ]
    over = StockLevel.objects.filter(
        reserved__gt=F("on_hand"), warehouse__allow_negative_stock=False
    ).count()
    out = io.StringIO()
    try:
        call_command("stock_rebuild", "--check", stdout=out, stderr=out)
        check = out.getvalue().strip().splitlines()[-1]
    except CommandError as exc:
        check = f"FAILED: {exc} {out.getvalue().strip()[:500]}"
        problems.append("stock_rebuild")
    table(
        f"{args.attempts:,} orders of 1 unit at once on {args.units} units of one variant, "
        f"{clients} concurrent clients ({args.procs} processes × {args.threads} threads), "
        "backorders refused",
        [
            "through",
            "orders",
            "s",
            "orders/s",
            "p50/p95/p99 ms",
            "accepted",
            "refused",
            "other",
            "on hand / reserved / reservations / orders",
            f"exactly {args.units}",
        ],
        rows,
    )
    print(f"  levels with reserved above on hand (whole database): {over}")
    print(f"  stock_rebuild --check: {check}")
    if problems or over:
        print(f"  PROBLEM: {', '.join(problems) or 'reserved above on hand'}")


# --- 2. chatbot p95 ----------------------------------------------------------------------------


class ChatWork:
    """Every evaluation message (a conversation of its own) and every dialogue's turns in order,
    through the API; samples: "message", "dialogue turn"."""

    def __init__(self, key: str, messages: list[dict], dialogues: list[dict]):
        self.key, self.messages, self.dialogues = key, messages, dialogues

    def _send(self, text: str, conversation):
        began = time.perf_counter()
        response = self.http.post(
            "/api/v1/chatbot/messages",
            {"conversation": conversation, "text": text},
            content_type="application/json",
        )
        ms = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response.json(), ms

    def warmup(self, client: int) -> None:
        from django.test import Client

        self.http = Client(headers={"Authorization": f"Bearer {self.key}"})
        self._send("xin chào", None)

    def run(self, client: int):
        samples: dict[str, list[float]] = {"message": [], "dialogue turn": []}
        for item in self.messages:
            samples["message"].append(self._send(item["text"], None)[1])
        for dialogue in self.dialogues:
            conversation = None
            for turn in dialogue["turns"]:
                answer, ms = self._send(turn, conversation)
                conversation = answer.get("conversation")
                samples["dialogue turn"].append(ms)
        return sum(len(v) for v in samples.values()), samples


def _chatbot(args, results) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from bench.harness import database_prepare, run_clients, table
    from donhang.accounts.services import api_key_create
    from donhang.chatbot import evaluation
    from donhang.core.integrations import register_transport
    from donhang.orders.models import Order
    from emulators.common import Clock, FaultyTransport
    from emulators.ghn import GhnEmulator
    from emulators.viettelpost import ViettelPostEmulator

    settings.CHATBOT_LLM_BASE_URL = ""
    # Side work of draft orders runs at once (as in `make eval-chatbot`), inside the request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    database_prepare("bench_scale_chatbot")
    if not Order.objects.exists():
        print("  (loading the demo shop into bench_scale_chatbot, once)")
        call_command("load_demo", verbosity=0)
    for url, emulator in (
        (os.environ.get("DEMO_GHN_URL", "http://127.0.0.1:8701"), GhnEmulator),
        (os.environ.get("DEMO_VTP_URL", "http://127.0.0.1:8702"), ViettelPostEmulator),
    ):
        instance = emulator(
            webhook_target=None, webhook_secret="demo-secret", seed=1, clock=Clock(timezone.now())
        )
        register_transport(url, FaultyTransport(instance.wsgi_app, instance.faults))
    _key, raw = api_key_create(name=f"scale-chat-{time.time_ns()}", role="sales")
    messages = evaluation.load(ROOT / "evaluation/chatbot/messages.jsonl")
    dialogues = evaluation.load(ROOT / "evaluation/chatbot/dialogues.jsonl")
    rows = []
    for clients in (1, 4):
        run = run_clients(ChatWork(raw, messages, dialogues), clients)
        both = run.samples["message"] + run.samples["dialogue turn"]
        for case, values in (*run.samples.items(), ("all", both)):
            rows.append(
                [
                    f"{case}, {clients} client{'s' if clients > 1 else ''}",
                    f"{len(values)}",
                    _ms(values, 50),
                    _ms(values, 95),
                    _ms(values, 99),
                    f"{max(values):.0f}",
                    f"{run.rate:.0f}" if case == "all" else "",
                ]
            )
        from bench.harness import percentile

        results["ratios"][f"chatbot p95 ms @{clients}"] = [percentile(both, 95)]
    table(
        f"chatbot (offline engine) through POST /api/v1/chatbot/messages: {len(messages)} "
        f"messages and {len(dialogues)} dialogues per client (goal p95 ≤ 300 ms)",
        ["", "replies", "p50 ms", "p95 ms", "p99 ms", "max ms", "replies/s"],
        rows,
    )


# --- 3. peak memory of a task worker -----------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def _worker(args, results) -> None:
    from django.db import connection

    from bench import labels
    from bench.harness import database_prepare
    from donhang.catalog import services as catalog
    from donhang.catalog.models import Variant
    from donhang.inventory.models import Warehouse
    from donhang.shipping.models import LabelBatch
    from donhang.shipping.services.labels import label_batch_create

    database_prepare("bench_scale_worker")
    warehouse, _ = Warehouse.objects.get_or_create(
        code="SCALEW", defaults={"name": "Bench worker warehouse", "priority": 0}
    )
    for i in range(6):
        if not Variant.objects.filter(product__sku=f"SCALEW-{i}").exists():
            catalog.product_create(
                name=f"Bench product {i}",
                sku=f"SCALEW-{i}",
                defaults={"cost_price": 50_000, "sale_price": 100_000, "vat_rate": "10"},
                initial_stock={warehouse.pk: 1_000_000},
            )
    variants = list(Variant.objects.filter(product__sku__startswith="SCALEW-").order_by("pk"))
    ids = labels.fixture(variants)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_pg_url(connection.settings_dict["NAME"]),
        MEDIA_ROOT=tempfile.mkdtemp(prefix="bench_scale_media_"),
    )
    connection.close()
    kinds = ["db"]
    redis_urls = _redis_urls()
    if redis_urls:
        kinds.append("rq")
    else:
        print("\n== RQ worker: skipped (Redis does not answer)")
    for kind in kinds:
        if kind == "db":
            env.update(TASKS_BACKEND="database")
            command = ["db_worker", "--no-startup-delay", "--interval", "0.2"]
            command += ["--worker-id", f"bench-scale-{os.getpid()}"]
        else:
            env.update(TASKS_BACKEND="redis", REDIS_URL=redis_urls[0], CACHE_URL=redis_urls[1])
            command = ["rqworker", "default", "--with-scheduler", "--name"]
            command += [f"bench-scale-{os.getpid()}"]
        with tempfile.TemporaryFile() as log:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            horses: dict[int, int] = {}  # RQ's work-horse (forked per job) → its peak
            try:
                # Started up: its resident size stops growing (imports done, polling an empty queue).
                last, steady = -1, 0
                deadline = time.time() + 60
                while steady < 3 and time.time() < deadline:
                    time.sleep(0.5)
                    now = _status_kb(worker.pid, "VmRSS")
                    steady = steady + 1 if now == last and now else 0
                    last = now
                start_kb = _status_kb(worker.pid, "VmHWM")
                began = time.perf_counter()
                if kind == "db":
                    batches = [
                        label_batch_create(shipment_ids=ids, size="A6").pk
                        for _ in range(args.batches)
                    ]
                else:  # enqueued by a process whose task backend is RQ, as the web would
                    out = subprocess.run(
                        [sys.executable, "-c", ENQUEUE_LABELS, json.dumps(ids), str(args.batches)],
                        cwd=ROOT,
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    batches = json.loads(out.stdout.strip().splitlines()[-1])
                deadline = time.time() + 600
                checked = 0.0
                while time.time() < deadline and worker.poll() is None:
                    for child in _children(worker.pid):
                        horses[child] = max(horses.get(child, 0), _status_kb(child, "VmHWM"))
                    if time.time() - checked > 0.5:
                        checked = time.time()
                        states = list(
                            LabelBatch.objects.filter(pk__in=batches).values_list(
                                "state", flat=True
                            )
                        )
                        if all(
                            s in (LabelBatch.State.DONE, LabelBatch.State.FAILED) for s in states
                        ):
                            break
                    time.sleep(0.05)
                seconds = time.perf_counter() - began
                peak_kb = _status_kb(worker.pid, "VmHWM")
                done = LabelBatch.objects.filter(
                    pk__in=batches, state=LabelBatch.State.DONE
                ).count()
            finally:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            name = "manage.py db_worker" if kind == "db" else "manage.py rqworker (RQ on Redis)"
            horse = (
                f"; its work-horses (one forked per job) peaked at {max(horses.values()) / 1024:.0f} MB"
                if horses
                else ""
            )
            results["ratios"][f"task worker peak MB ({kind})"] = [peak_kb / 1024]
            print(
                f"\n== one task worker ({name}) rendering {args.batches} label batches of "
                f"{len(ids)} labels each: {done}/{args.batches} done in {seconds:.1f} s; "
                f"peak RSS {peak_kb / 1024:.0f} MB (after start-up {start_kb / 1024:.0f} MB){horse}"
            )
            if done < args.batches:
                log.seek(0)
                print("  PROBLEM: not every batch was rendered\n" + log.read().decode()[-1500:])
    if redis_urls:
        _redis_empty(redis_urls)


ENQUEUE_LABELS = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from donhang.shipping.services.labels import label_batch_create
ids = json.loads(sys.argv[1])
print(json.dumps([label_batch_create(shipment_ids=ids, size="A6").pk for _ in range(int(sys.argv[2]))]))
"""


# --- 4. the scaled run at 1, 2 and 4 web workers -----------------------------------------------


def _redis_urls() -> tuple[str, str] | None:
    """Two Redis databases for the queue and the cache of the bench's gunicorn, if Redis answers
    (BENCH_REDIS_URL, default redis://127.0.0.1:6379; databases 13 and 14, emptied after)."""
    base = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    try:
        import redis

        redis.Redis.from_url(f"{base}/13", socket_connect_timeout=2).ping()
    except Exception:
        return None
    return f"{base}/13", f"{base}/14"


def _redis_empty(urls) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


class WebLoad:
    """A closed loop of `clients` threads for `seconds`: API orders (idempotency keys), the order
    list and searches, as an owner; latency and answer per kind."""

    KINDS = (("api_order", 4), ("order_list", 3), ("order_search", 3))
    TERMS = ("Trần", "0912", "DH00012", "Lê Văn", "0987")

    def __init__(self, base: str, key: str, cookie: tuple[str, str], sku: str):
        self.base, self.key, self.cookie, self.sku = base, key, cookie, sku

    def run(self, clients: int, seconds: float):
        import httpx

        lock = threading.Lock()
        latencies: dict[str, list[float]] = {}
        answers: dict[str, Counter] = {}
        stop = time.monotonic() + seconds
        schedule = [k for k, w in self.KINDS for _ in range(w)]

        def client(n: int) -> None:
            http = httpx.Client(base_url=self.base, timeout=30, follow_redirects=False)
            http.cookies.set(*self.cookie)
            i = n
            try:
                while time.monotonic() < stop:
                    kind = schedule[i % len(schedule)]
                    i += 7
                    began = time.monotonic()
                    try:
                        if kind == "api_order":
                            key = uuid.uuid4().hex
                            r = http.post(
                                "/api/v1/orders",
                                json={
                                    "channel": "website",
                                    "external_id": key,
                                    "customer": {
                                        "name": "Trần Thị Bình",
                                        "phone": f"09{n:02d}{i % 10**6:06d}",
                                        "address": {"line": "5 Hàng Bè", "ward": 70},
                                    },
                                    "lines": [{"sku": self.sku, "quantity": 1}],
                                    "shipping_fee": 30_000,
                                },
                                headers={
                                    "Authorization": f"Bearer {self.key}",
                                    "Idempotency-Key": key,
                                },
                            )
                            ok = 201
                        elif kind == "order_list":
                            r = http.get("/orders/")
                            ok = 200
                        else:
                            r = http.get("/orders/", params={"q": self.TERMS[i % len(self.TERMS)]})
                            ok = 200
                        answer = r.status_code if r.status_code != ok else "ok"
                    except httpx.HTTPError as exc:
                        answer = type(exc).__name__
                    ms = (time.monotonic() - began) * 1000
                    with lock:
                        latencies.setdefault(kind, []).append(ms)
                        answers.setdefault(kind, Counter())[answer] += 1
            finally:
                http.close()

        began = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, range(clients)))
        return time.monotonic() - began, latencies, answers


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def _web(args, results) -> None:
    import httpx
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench import pages
    from bench.harness import database_prepare, percentile, table
    from donhang.accounts.services import api_key_create
    from donhang.catalog import services as catalog
    from donhang.catalog.models import Variant
    from donhang.inventory.models import Warehouse

    database_prepare("bench_scale_web")
    pages.seed(args.web_orders)
    sku = "SCALE-WEB-1"
    if not Variant.objects.filter(product__sku=sku).exists():
        warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "pk").first()
        catalog.product_create(
            name="Scale web product",
            sku=sku,
            defaults={"cost_price": 50_000, "sale_price": 99_000, "vat_rate": "10"},
            initial_stock={warehouse.pk: 100_000_000},
        )
    sku = Variant.objects.get(product__sku=sku).sku
    _key, raw = api_key_create(name=f"scale-web-{time.time_ns()}", role="owner")
    http = Client()
    assert http.login(username=pages.OWNER, password=pages.OWNER_PASSWORD)
    cookie = (settings.SESSION_COOKIE_NAME, http.cookies[settings.SESSION_COOKIE_NAME].value)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_pg_url(connection.settings_dict["NAME"]),
        MAX_CONCURRENT_REQUESTS="4",
        MAX_QUEUE_WAIT_SECONDS="1",
    )
    redis_urls = _redis_urls()
    if redis_urls:
        env.update(TASKS_BACKEND="redis", REDIS_URL=redis_urls[0], CACHE_URL=redis_urls[1])
        queue = f"Redis ({redis_urls[0]}, cache {redis_urls[1]})"
    else:
        env.update(TASKS_BACKEND="database")
        env.pop("CACHE_URL", None)
        queue = "database (Redis does not answer)"
    connection.close()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = []
    rates: dict[int, float] = {}
    memory_rows = []
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed after the loop)
    for workers in (1, 2, 4):
        port = pages._free_port()
        base = f"http://127.0.0.1:{port}"
        master = subprocess.Popen(
            [
                gunicorn,
                "config.wsgi:application",
                "-c",
                "scripts/gunicorn_conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                "8",
                "--worker-class",
                "gthread",
                "--worker-connections",
                "64",
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,  # what it logs (requests shed…) is counted in the table instead
        )
        try:
            deadline = time.time() + 60
            while True:
                try:
                    if httpx.get(f"{base}/accounts/login/", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline or master.poll() is not None:
                    log.seek(0)
                    raise RuntimeError("gunicorn did not start:\n" + log.read().decode()[-2000:])
                time.sleep(0.3)
            load = WebLoad(base, raw, cookie, sku)
            load.run(args.web_clients, 3)  # warm every worker (connections, caches)
            pids = _children(master.pid)
            cpu_before = sum(_cpu_seconds(pid) for pid in pids)
            machine_before, mine_before = _machine_cpu(), os.times()
            seconds, latencies, answers = load.run(args.web_clients, args.seconds)
            web_cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu_before
            machine_after, mine_after = _machine_cpu(), os.times()
            peaks = [_status_kb(pid, "VmHWM") / 1024 for pid in _children(master.pid)]
        finally:
            master.send_signal(signal.SIGTERM)
            try:
                master.wait(timeout=30)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()
        everything = [ms for v in latencies.values() for ms in v]
        total = len(everything)
        served = sum(c["ok"] for c in answers.values())
        shed = sum(c[503] for c in answers.values())
        failed = total - served - shed
        rates[workers] = served / seconds
        busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
        client_cpu = (mine_after.user + mine_after.system) - (mine_before.user + mine_before.system)
        per_kind = ", ".join(
            f"{k} {len(latencies[k]) / seconds:.0f}/s p95 {percentile(latencies[k], 95):.0f}"
            for k, _w in WebLoad.KINDS
            if k in latencies
        )
        rows.append(
            [
                f"{workers}",
                f"{served / seconds:.1f}",
                f"{rates[workers] / rates[1]:.2f}×",
                _ms(everything, 50),
                _ms(everything, 95),
                _ms(everything, 99),
                f"{shed}",
                f"{failed}",
                f"{web_cpu * 1000 / max(1, total):.0f}",
                f"{busy * 100:.0f} %",
                f"{client_cpu * 100 / seconds / (os.cpu_count() or 1):.0f} %",
                per_kind,
            ]
        )
        memory_rows.append(f"{workers}: " + ", ".join(f"{p:.0f}" for p in peaks))
        if workers == 1:
            results["ratios"]["web served req/s @1w"] = [rates[1]]
        else:
            results["ratios"][f"web served req/s @{workers}w / @1w"] = [rates[workers] / rates[1]]
        results["ratios"].setdefault("web worker peak MB (max)", []).append(max(peaks or [0]))
    log.close()
    if redis_urls:
        _redis_empty(redis_urls)
    table(
        f"the scaled run at 1, 2 and 4 web workers (gunicorn gthread × 8 threads, "
        f"MAX_CONCURRENT_REQUESTS=4 each; queue: {queue}), {args.web_orders:,} orders, "
        f"{args.web_clients} closed-loop clients for {args.seconds:.0f} s each "
        "(API orders 40 %, order list 30 %, searches 30 %)",
        [
            "workers",
            "served/s",
            "vs 1",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "503 shed",
            "other errors",
            "web CPU ms/req",
            "machine busy",
            "load generator",
            "per kind",
        ],
        rows,
    )
    print(
        f"  (the load generator shares the machine's {os.cpu_count()} cores with the web workers, "
        f"PostgreSQL and whatever else runs: load average before the runs {load_before}; "
        "'machine busy' is every core's use during the run)"
    )
    print("  peak RSS of each web worker after its run, MB: " + "; ".join(memory_rows))


# --- marketplaces ------------------------------------------------------------------------------


def _marketplaces(args, results) -> None:
    from bench import marketplaces
    from bench.harness import database_prepare

    database_prepare("bench_scale_market")
    marketplaces.run_sync(skus=args.skus, orders=args.market_orders)
    if args.market_orders:
        # orders_poll reads each new order's detail (one call) and the items of a page of 100:
        # the emulator's own intake rate is about its per-API rate limit, in orders per second.
        print("  emulator's own (orders/s)  20 (one detail read per order at 20 calls/s)")


if __name__ == "__main__":
    sys.exit(main())
