"""Load test of a running scaled shop (`make run-scaled`), on this machine only, bounded in time.

    .venv/bin/python scripts/loadtest.py --base-url http://127.0.0.1:8000

Run with the same environment as the shop (DATABASE_URL…): it seeds what it needs (a product
with plenty of stock, an owner API key) with manage.py, then
1. drives mixed traffic from --clients (20) concurrent clients for --seconds (60): API orders with
   idempotency keys, order list and search pages (a logged-in owner), carrier webhooks (GHN,
   for parcels it made), shipments (confirm + send to the carrier), e-invoice issuing,
   marketplace orders (a buyer checks out on the Shopee, Lazada or TikTok Shop emulator, which
   pushes the order to our webhook; `mkt_order` times the checkout at the emulator, our push
   endpoint's answers are counted by the emulators), chatbot messages (the web chat widget's
   API: a visitor's session, then messages answered at once);
2. offers twice the rate it sustained for --overload-seconds (10), whatever the answers: the shop
   must shed the excess with 429/503, never 500;
3. prints throughput, p50/p95/p99 latency and answers per kind, for each phase;
4. waits for the background work, then checks the invariants: every accepted order exists once,
   `stock_rebuild --check` finds no drift, no reservation above what is on hand, every shipment
   once at the carrier's emulator, every e-invoice once at the provider's emulator (and at most
   one per order), every marketplace order taken in once (none missing, none twice, every push
   to us delivered), every stock push landed (each listing on each marketplace emulator shows
   what we publish; stock updates are absolute quantities, so "once" is "the latest one").
Exit status 1 if any request answered 5xx other than 503, or an invariant does not hold."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SKU = "LOADTEST-1"
MKT_SKU = "LOADTEST-MKT"  # listed on every marketplace emulator
CHAT_TEXTS = (
    "Shop ơi còn hàng không?",
    "Phí ship về Hà Nội bao nhiêu?",
    "Cho mình hỏi đơn hàng của mình đến đâu rồi",
    "Bao lâu thì giao tới?",
    "Có được kiểm tra hàng trước khi nhận không?",
)

SEED = r"""
import json
from donhang.accounts.models import User
from donhang.accounts.services import api_key_create
from donhang.catalog import services as catalog
from donhang.catalog.models import Variant
from donhang.inventory.models import Warehouse
from donhang.shipping.models import CarrierAccount
owner = User.objects.get(username="owner")
_key, raw = api_key_create(name="loadtest", role="owner", actor=owner)
warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "pk").first()
if not Variant.objects.filter(sku="__SKU__").exists():
    catalog.product_create(
        name="Load test product", sku="__SKU__",
        defaults={"cost_price": 50000, "sale_price": 99000, "vat_rate": "10", "weight_g": 200},
        initial_stock={warehouse.pk: 10000000}, actor=owner,
    )
account = CarrierAccount.objects.filter(provider="ghn", is_active=True).order_by("pk").first()
# Marketplaces: the demo's shops on their emulators connected now (the scheduler's job would
# within a minute), and a product of ours with plenty of stock, listed on each (by the caller).
from donhang.marketplaces import services as marketplaces
from donhang.marketplaces.models import ConnectionStatus, ShopConnection
marketplaces.connections_emulator_authorize()
if not Variant.objects.filter(sku="__MKT__").exists():
    catalog.product_create(
        name="Load test marketplace product", sku="__MKT__",
        defaults={"cost_price": 50000, "sale_price": 99000, "vat_rate": "10", "weight_g": 200},
        initial_stock={warehouse.pk: 10000000}, actor=owner,
    )
shops = [{"id": c.pk, "platform": c.platform, "base_url": c.base_url}
         for c in ShopConnection.objects.filter(environment="emulator",
                                                status=ConnectionStatus.CONNECTED)]
# The chat widget, and the e-invoice provider of the default template.
from donhang.chatbot.models import ChannelConnection
from donhang.invoicing.models import InvoiceTemplate
widget = ChannelConnection.objects.filter(kind="web", is_active=True).order_by("pk").first()
template = (InvoiceTemplate.objects.filter(is_default=True, is_active=True)
            .select_related("account").first())
print("SEED" + json.dumps({"key": raw, "ghn_account": account.pk if account else None,
                           "ghn_url": account.base_url if account else "",
                           "ghn_secret": account.webhook_secret if account else "",
                           "shops": shops, "widget": widget.external_id if widget else "",
                           "invoice_provider": template.account.provider if template else "",
                           "invoice_url": template.account.base_url if template else ""}))
""".replace("__SKU__", SKU).replace("__MKT__", MKT_SKU)

# Once the marketplace product is on the emulators: the shops' products pulled, so that its
# listings are linked to our product (and its stock pushed by the sync).
PULL = r"""
import json, sys
from donhang.marketplaces import services
from donhang.marketplaces.models import Listing, ShopConnection
out = {}
for pk in json.loads(sys.argv[-1]):
    connection = ShopConnection.objects.get(pk=pk)
    services.products_pull(connection=connection)
    out[connection.platform] = Listing.objects.filter(
        connection=connection, seller_sku="__MKT__", variant__isnull=False).count()
print("PULLED" + json.dumps(out))
""".replace("__MKT__", MKT_SKU)

INVARIANTS = r"""
import json, sys
from collections import Counter
from django.db.models import Count, F
from donhang.inventory.models import StockLevel
from donhang.orders.models import Order
from donhang.shipping.models import Shipment
asked = json.load(open(sys.argv[-1]))
keys = asked["keys"]
counts = dict(Order.objects.filter(external_id__in=keys).values_list("external_id")
              .annotate(n=Count("id")).values_list("external_id", "n"))
missing = [k for k in keys if counts.get(k, 0) == 0]
doubled = [k for k, n in counts.items() if n > 1]
over = StockLevel.objects.filter(reserved__gt=F("on_hand"), warehouse__allow_negative_stock=False).count()
shipments = list(Shipment.objects.exclude(tracking_code="").values_list("reference", "tracking_code"))
pending = Shipment.objects.filter(tracking_code="", attempts__lt=5).count()
gave_up = Shipment.objects.filter(tracking_code="", attempts__gte=5).count()
from donhang.invoicing.models import Invoice
invoices_doubled = (Invoice.objects.filter(purpose="original").values("order")
                    .annotate(n=Count("id")).filter(n__gt=1).count())
ours = Invoice.objects.filter(order__code__in=asked["invoiced"], purpose="original")
invoices = list(ours.exclude(number="").values_list("reference", flat=True))
invoices_pending = ours.filter(state="issuing").count()
invoices_failed = ours.filter(state="failed").count()
# Marketplace orders the load test placed on the emulators: each taken in once, as our order.
from donhang.marketplaces.models import Listing, MarketplaceOrder, ShopConnection
from donhang.marketplaces.services.stock import publishable_quantities
placed = [(platform, str(order_id)) for platform, order_id in asked["mkt_orders"]]
rows = Counter(MarketplaceOrder.objects.filter(external_id__in=[o for _p, o in placed])
               .values_list("connection__platform", "external_id"))
mkt_missing = [o for o in placed if rows[o] == 0]
mkt_doubled = [o for o in placed if rows[o] > 1]
mkt_without_order = MarketplaceOrder.objects.filter(
    external_id__in=[o for _p, o in placed], order__isnull=True).count()
# What each shop should show: {platform: {seller SKU: quantity}}, and listings still pending.
published, stock_pending = {}, 0
for connection in ShopConnection.objects.filter(pk__in=asked["connections"]):
    listings = list(Listing.objects.filter(connection=connection, variant__isnull=False,
                                           is_present=True))
    quantities = publishable_quantities(connection, {r.variant_id for r in listings})
    published[connection.platform] = {r.seller_sku: quantities[r.variant_id] for r in listings}
    stock_pending += sum(1 for r in listings if r.stock_dirty_at)
print("RESULT" + json.dumps({"accepted": len(keys), "missing": len(missing), "doubled": len(doubled),
    "reserved_above_on_hand": over, "shipments": shipments, "shipments_pending": pending,
    "shipments_gave_up": gave_up, "invoices_doubled": invoices_doubled, "invoices": invoices,
    "invoices_pending": invoices_pending, "invoices_failed": invoices_failed,
    "mkt_placed": len(placed), "mkt_missing": len(mkt_missing), "mkt_doubled": len(mkt_doubled),
    "mkt_without_order": mkt_without_order, "published": published,
    "stock_pending": stock_pending}))
"""


def run_script(code: str, *argv: str, marker: str) -> dict:
    path = ROOT / "var" / f"loadtest-{uuid.uuid4().hex}.py"
    path.write_text(code)
    try:
        run = subprocess.run(
            [PY, "-c", "import django, runpy, sys; django.setup(); runpy.run_path(sys.argv[1])",
             str(path), *argv],
            cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    if run.returncode != 0:
        raise SystemExit(f"script failed:\n{run.stdout}\n{run.stderr}")
    line = next(x for x in run.stdout.splitlines() if x.startswith(marker))
    return json.loads(line[len(marker) :])


def require_local(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"refusing to load {host}: this test only targets this machine (loopback)")


# --- measurements ------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    answers: dict = field(default_factory=lambda: defaultdict(Counter))
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    offered: int = 0  # open loop only: requests due
    not_sent: int = 0  # open loop only: due while every client was busy

    def add(self, kind: str, seconds: float, answer) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.answers[kind][answer] += 1

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.answers.values())

    def served(self) -> int:
        """Requests that got an answer the shop meant (not shed, not failed)."""
        return sum(
            n
            for c in self.answers.values()
            for a, n in c.items()
            if isinstance(a, int) and a < 500 and a != 429
        )

    def server_errors(self) -> int:
        """5xx other than 503, and requests the shop never answered (timeouts, resets)."""
        return sum(
            n
            for kind, c in self.answers.items()
            if kind != "client_error"
            for a, n in c.items()
            if not isinstance(a, int) or (a >= 500 and a != 503)
        )

    def report(self, title: str) -> None:
        seconds = (self.ended or time.monotonic()) - self.started
        print(f"\n== {title}: {self.total()} requests in {seconds:.1f} s "
              f"({self.total() / seconds:.1f}/s offered answered, {self.served() / seconds:.1f}/s served)")  # fmt: skip
        if self.offered:
            print(f"offered {self.offered} requests, {self.not_sent} not sent (every client "
                  f"busy), the others answered")  # fmt: skip
        print(f"{'kind':<14}{'n':>7}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  answers")
        for kind in sorted(self.latencies):
            values = sorted(self.latencies[kind])
            n = len(values)

            def pct(p, values=values, n=n):
                return values[min(n - 1, int(p * n))] * 1000

            answers = ", ".join(f"{a}: {c}" for a, c in sorted(self.answers[kind].items(), key=str))
            print(f"{kind:<14}{n:>7}{n / seconds:>8.1f}{pct(0.50):>9.0f}{pct(0.95):>9.0f}"
                  f"{pct(0.99):>9.0f}  {answers}")  # fmt: skip


# --- the shop's clients ------------------------------------------------------------------------


@dataclass
class Shared:
    base_url: str
    key: str
    ghn_account: int | None
    ghn_secret: str
    accepted: dict = field(default_factory=dict)  # idempotency key → order code
    to_ship: list = field(default_factory=list)  # order codes to confirm and ship
    shipped: list = field(default_factory=list)  # order codes with a shipment asked
    invoiced: list = field(default_factory=list)
    shops: list = field(default_factory=list)  # [{platform, root}] marketplace emulators
    mkt_orders: list = field(default_factory=list)  # (platform, order id) placed there
    widget: str = ""  # the chat widget's public key
    chat_tokens: list = field(default_factory=list)  # visitors' sessions, shared
    chat_sessions: int = 20  # at most this many visitors (the widget limits new chats per hour)
    lock: threading.Lock = field(default_factory=threading.Lock)
    search_terms: tuple = ("Trần", "0912", "DH", "Lê", "0987")
    session: dict = field(default_factory=dict)  # the owner's session cookies, shared


def order_body(key: str) -> dict:
    return {
        "channel": "website",
        "external_id": key[:64],
        "customer": {
            "name": random.choice(["Trần Thị Bình", "Lê Văn Cường", "Nguyễn An"]),
            "phone": f"09{random.randint(10000000, 99999999)}",
            "address": {"line": "5 Hàng Bè", "ward": 70, "province": 1},
        },
        "lines": [{"sku": SKU, "quantity": random.randint(1, 3)}],
        "shipping_fee": 30000,
        "shipping_fee_payer": "buyer",
        "payment_method": "cod",
    }


class Client:
    """One client: an API key, and a logged-in owner for the pages."""

    def __init__(self, shared: Shared, stats_of):
        self.shared, self.stats_of = shared, stats_of
        self.api = httpx.Client(
            base_url=shared.base_url,
            headers={"Authorization": f"Bearer {shared.key}"},
            timeout=30,
        )
        self.web = httpx.Client(base_url=shared.base_url, timeout=30, follow_redirects=False)
        self.emu = httpx.Client(timeout=30)  # the marketplace emulators (a buyer there)
        # One log-in shared by every client (as staff keep theirs open): logging in hashes a
        # password on purpose slowly, which is not the traffic measured here.
        with shared.lock:
            session = dict(shared.session)
        for name, value in session.items():
            self.web.cookies.set(name, value)
        self.logged_in = bool(session)

    def close(self):
        self.api.close()
        self.web.close()
        self.emu.close()

    def timed(self, kind: str, call):
        started = time.monotonic()
        try:
            response = call()
            answer = response.status_code
        except httpx.HTTPError as exc:
            response, answer = None, type(exc).__name__
        self.stats_of().add(kind, time.monotonic() - started, answer)
        return response

    def log_in(self) -> bool:
        """Log the owner in (a form with its CSRF token); False if the shop did not let us now
        (busy: tried again on the next page)."""
        page = self.timed("login", lambda: self.web.get("/accounts/login/"))
        if page is None or page.status_code != 200:
            return False
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        token = found.group(1) if found else self.web.cookies.get("csrftoken", "")
        answer = self.timed(
            "login",
            lambda: self.web.post(
                "/accounts/login/",
                data={
                    "username": "owner",
                    "password": "donhang-demo",
                    "csrfmiddlewaretoken": token,
                },
                headers={"Referer": f"{self.shared.base_url}/accounts/login/"},
            ),
        )
        self.logged_in = answer is not None and answer.status_code == 302
        if self.logged_in:
            with self.shared.lock:
                self.shared.session = {c.name: c.value for c in self.web.cookies.jar}
        return self.logged_in

    # kinds
    def api_order(self):
        key = uuid.uuid4().hex
        response = self.timed(
            "api_order",
            lambda: self.api.post(
                "/api/v1/orders", json=order_body(key), headers={"Idempotency-Key": key}
            ),
        )
        if response is not None and response.status_code == 201:
            code = response.json()["code"]
            with self.shared.lock:
                self.shared.accepted[key] = code
                if random.random() < 0.5:
                    self.shared.to_ship.append(code)

    def order_list(self):
        if not self.logged_in and not self.log_in():
            return
        self.timed("order_list", lambda: self.web.get("/orders/"))

    def order_search(self):
        if not self.logged_in and not self.log_in():
            return
        term = random.choice(self.shared.search_terms)
        self.timed("order_search", lambda: self.web.get("/orders/", params={"q": term}))

    def ship(self):
        with self.shared.lock:
            code = self.shared.to_ship.pop() if self.shared.to_ship else None
        if code is None or self.shared.ghn_account is None:
            return self.api_order()
        confirmed = self.timed("confirm", lambda: self.api.post(f"/api/v1/orders/{code}/confirm"))
        if confirmed is None or confirmed.status_code != 200:
            return None
        response = self.timed(
            "shipment",
            lambda: self.api.post(
                f"/api/v1/orders/{code}/shipments",
                json={"carrier_account_id": self.shared.ghn_account},
            ),
        )
        if response is not None and response.status_code == 202:
            with self.shared.lock:
                self.shared.shipped.append((code, response.json()))
        return None

    def webhook(self):
        with self.shared.lock:
            shipped = random.choice(self.shared.shipped) if self.shared.shipped else None
            if shipped is not None and not shipped[1].get("tracking_code"):
                self.shared.shipped.remove(shipped)  # put back with its tracking number
        if shipped is None:
            return self.order_list()
        _code, shipment = shipped
        if not shipment.get("tracking_code"):
            # A carrier only reports on parcels it made: the shipment's tracking number once
            # the carrier gave it (asked again later while there is none yet)
            response = self.timed(
                "shipment_get", lambda: self.api.get(f"/api/v1/shipments/{shipment['id']}")
            )
            tracking = ""
            if response is not None and response.status_code == 200:
                tracking = response.json().get("tracking_code") or ""
            shipment = {**shipment, "tracking_code": tracking}
            with self.shared.lock:
                self.shared.shipped.append((_code, shipment))
            if not tracking:
                return None
        body = {
            "OrderCode": shipment["tracking_code"],
            "ClientOrderCode": shipment.get("reference") or "",
            "Status": random.choice(["ready_to_pick", "picking", "picked", "storing"]),
            "Type": "switch_status",
            "Time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "CODAmount": 0,
        }
        self.timed(
            "webhook",
            lambda: self.web.post(
                "/shipping/webhooks/ghn/",
                json=body,
                headers={"X-Webhook-Secret": self.shared.ghn_secret},
            ),
        )
        return None

    def mkt_order(self):
        """A buyer checks out on a marketplace emulator; the emulator pushes the order to our
        webhook (verified, stored, processed by a task that reads the order and takes it in)."""
        if not self.shared.shops:
            return self.api_order()
        shop = random.choice(self.shared.shops)
        response = self.timed(
            "mkt_order",
            lambda: self.emu.post(
                shop["root"] + "/_emulator/orders",
                json={"lines": [{"sku": MKT_SKU, "quantity": 1}], "payment": "cod"},
            ),
        )
        if response is not None and response.status_code == 200:
            with self.shared.lock:
                order = response.json()["order"]
                order_id = order.get("order_sn") or order.get("order_id") or order.get("id")
                self.shared.mkt_orders.append((shop["platform"], str(order_id)))
        return None

    def chat(self):
        """A visitor writes in the web chat widget; the bot answers in the same request."""
        if not self.shared.widget:
            return self.order_list()
        base = f"/chatbot/w/{self.shared.widget}"
        with self.shared.lock:
            tokens = list(self.shared.chat_tokens)
        if len(tokens) < self.shared.chat_sessions:
            response = self.timed("chat_session", lambda: self.web.post(base + "/session", json={}))
            if response is None or response.status_code != 200:
                return None
            token = response.json()["token"]
            with self.shared.lock:
                self.shared.chat_tokens.append(token)
        else:
            token = random.choice(tokens)
        self.timed(
            "chat",
            lambda: self.web.post(
                base + "/messages",
                json={"text": random.choice(CHAT_TEXTS)},
                headers={"X-Visitor-Token": token},
            ),
        )
        return None

    def invoice(self):
        # A confirmed order (one shipped): an invoice is issued for a confirmed order
        with self.shared.lock:
            code = random.choice(self.shared.shipped)[0] if self.shared.shipped else None
        if code is None:
            return self.api_order()
        response = self.timed("invoice", lambda: self.api.post(f"/api/v1/orders/{code}/invoice"))
        if response is not None and response.status_code in (200, 202):
            with self.shared.lock:
                self.shared.invoiced.append(code)
        return None


WEIGHTS = [
    ("api_order", 30),
    ("order_list", 12),
    ("order_search", 12),
    ("ship", 12),
    ("webhook", 12),
    ("invoice", 6),
    ("mkt_order", 10),
    ("chat", 6),
]


def pick() -> str:
    return random.choices([k for k, _ in WEIGHTS], weights=[w for _, w in WEIGHTS])[0]


def act(client: Client, stats: Stats, kind: str | None = None) -> None:
    """One action; a bug or an odd answer on our side is counted, never the end of a client."""
    try:
        getattr(client, kind or pick())()
    except Exception as exc:  # a client-side surprise (bad JSON on a 503 page…)
        stats.add("client_error", 0.0, type(exc).__name__)


def sustained(shared: Shared, clients: int, seconds: float) -> Stats:
    stats = Stats()
    stop = time.monotonic() + seconds

    def loop():
        client = Client(shared, lambda: stats)
        try:
            while time.monotonic() < stop:
                act(client, stats)
        finally:
            client.close()

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.ended = time.monotonic()
    return stats


def overload(shared: Shared, rate: float, seconds: float, threads: int) -> Stats:
    """Open loop: a request every 1/rate s for `seconds`, whatever the answers (up to `threads`
    in flight; requests that find none free are counted as not sent). The clients are made
    before the clock starts (making one costs more than a request)."""
    stats = Stats()
    free: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(threads):
        free.put(Client(shared, lambda: stats))

    def one(client, kind):
        try:
            act(client, stats, kind)
        finally:
            free.put(client)

    interval = 1 / rate
    with ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.monotonic()
        stats.started = start
        n = 0
        while time.monotonic() - start < seconds:
            n += 1
            try:
                client = free.get_nowait()
            except queue.Empty:
                stats.not_sent += 1
            else:
                pool.submit(one, client, pick())
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        stats.offered = n
    while not free.empty():
        free.get_nowait().close()
    stats.ended = time.monotonic()
    return stats


def emulator_stock(shared: Shared, published: dict) -> dict:
    """{platform: {seller SKU: stock}} as each marketplace emulator shows it."""
    roots = {shop["platform"]: shop["root"] for shop in shared.shops}
    out = {}
    with httpx.Client(timeout=30) as client:
        for platform, quantities in published.items():
            out[platform] = {}
            for sku in quantities:
                answer = client.get(roots[platform] + "/_emulator/stock", params={"sku": sku})
                out[platform][sku] = answer.json().get("stock") if answer.is_success else None
    return out


def marketplace_pushes(shared: Shared) -> dict:
    """The emulators' own count of the pushes they sent us: delivered, still pending, failed
    (given up after retries: our endpoint did not take them)."""
    out = {}
    with httpx.Client(timeout=30) as client:
        for shop in shared.shops:
            state = client.get(shop["root"] + "/_emulator/state").json()
            out[shop["platform"]] = state["webhooks"]
    return out


def wait_for_background(shared: Shared, seconds: float) -> dict:
    """Until the work behind the requests is done (shipments and invoices made, marketplace
    orders taken in, stock pushed and shown on the marketplaces), or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        result = run_script(INVARIANTS, str(KEYS_FILE), marker="RESULT")
        result["at_marketplaces"] = emulator_stock(shared, result["published"])
        result["pushes_to_us"] = marketplace_pushes(shared)
        busy = (
            result["shipments_pending"]
            or result["invoices_pending"]
            or result["mkt_missing"]
            or result["stock_pending"]
            or result["at_marketplaces"] != result["published"]
            or any(p["pending"] for p in result["pushes_to_us"].values())
        )
        if not busy or time.monotonic() > deadline:
            return result
        time.sleep(3)


def at_invoice_provider(provider: str, url: str) -> Counter:
    """How many invoices the e-invoice emulator holds for each of our references."""
    if not provider:
        return Counter()
    root = url.split("/api/integration")[0].rstrip("/")
    require_local(root)
    state = httpx.get(root + "/_emulator/state", timeout=30).json()
    field = "transactionUuid" if provider == "sinvoice" else "RefID"
    return Counter(invoice.get(field) for invoice in state["invoices"])


def list_on_marketplaces(shared: Shared, shops: list[dict]) -> None:
    """Our marketplace product on every shop's emulator (once), then the shops' products
    pulled so that its listing is linked to our product."""
    if not shops:
        return
    with httpx.Client(timeout=30) as client:
        for shop in shops:
            root = shop["base_url"].rstrip("/").removesuffix("/rest")
            require_local(root)  # the demo's shops on this machine's emulators only
            there = client.get(root + "/_emulator/stock", params={"sku": MKT_SKU})
            if not (there.is_success and there.json().get("stock") is not None):
                product = {"name": "Load test product", "sku": MKT_SKU, "price": 99000}
                answer = client.post(
                    root + "/_emulator/products",
                    json={"products": [{**product, "stock": 1000000}]},
                )
                answer.raise_for_status()
            shared.shops.append({"platform": shop["platform"], "root": root})
    pulled = run_script(PULL, json.dumps([shop["id"] for shop in shops]), marker="PULLED")
    print(f"marketplace shops: {', '.join(f'{p} ({n} listing)' for p, n in pulled.items())}")


KEYS_FILE = ROOT / "var" / "loadtest-keys.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--overload-seconds", type=float, default=10)
    parser.add_argument("--overload-factor", type=float, default=2.0)
    parser.add_argument("--drain-seconds", type=float, default=180)
    args = parser.parse_args()
    require_local(args.base_url)
    args.clients = max(1, min(args.clients, 200))
    args.seconds = max(1.0, min(args.seconds, 600))
    args.overload_seconds = max(0.0, min(args.overload_seconds, 60))

    seed = run_script(SEED, marker="SEED")
    shared = Shared(args.base_url, seed["key"], seed["ghn_account"], seed["ghn_secret"])
    shared.widget, shared.chat_sessions = seed["widget"], args.clients
    list_on_marketplaces(shared, seed["shops"])
    print(f"target {args.base_url}; {args.clients} clients for {args.seconds:.0f} s, then "
          f"{args.overload_factor:g}× the sustained rate for {args.overload_seconds:.0f} s")  # fmt: skip

    opener = Client(shared, Stats)
    if not opener.log_in():
        raise SystemExit("could not log in as owner/donhang-demo (is the demo shop loaded?)")
    opener.close()

    first = sustained(shared, args.clients, args.seconds)
    first.report("sustained")
    rate = first.total() / (first.ended - first.started)
    second = Stats()
    if args.overload_seconds:
        second = overload(
            shared, rate * args.overload_factor, args.overload_seconds, threads=args.clients * 4
        )
        second.report(f"overload at {rate * args.overload_factor:.1f}/s offered")

    KEYS_FILE.write_text(
        json.dumps(
            {
                "keys": list(shared.accepted),
                "mkt_orders": shared.mkt_orders,
                "invoiced": sorted(set(shared.invoiced)),
                "connections": [shop["id"] for shop in seed["shops"]],
            }
        )
    )
    result = wait_for_background(shared, args.drain_seconds)
    problems = []
    errors = first.server_errors() + second.server_errors()
    if errors:
        problems.append(f"{errors} server errors (5xx other than 503, or no answer)")
    if result["missing"] or result["doubled"]:
        problems.append(f"orders: {result['missing']} missing, {result['doubled']} twice")
    if result["reserved_above_on_hand"]:
        problems.append(f"{result['reserved_above_on_hand']} stock levels reserve above on hand")
    if result["shipments_pending"]:
        problems.append(f"{result['shipments_pending']} shipments still not made")
    if result["invoices_doubled"]:
        problems.append(f"invoices twice for one order: {result['invoices_doubled']}")
    if result["invoices_pending"] or result["invoices_failed"]:
        problems.append(
            f"invoices: {result['invoices_pending']} still issuing, "
            f"{result['invoices_failed']} failed"
        )
    # Every invoice once at the provider (the emulator's own list)
    at_provider = at_invoice_provider(seed["invoice_provider"], seed["invoice_url"])
    invoices_once = all(at_provider[r] == 1 for r in result["invoices"])
    if not invoices_once:
        twice = sum(1 for r in result["invoices"] if at_provider[r] > 1)
        absent = sum(1 for r in result["invoices"] if at_provider[r] == 0)
        problems.append(f"invoices: {twice} twice at the provider, {absent} absent")
    # Every marketplace order taken in once; every push to us delivered; every stock push landed
    if result["mkt_missing"] or result["mkt_doubled"] or result["mkt_without_order"]:
        problems.append(
            f"marketplace orders: {result['mkt_missing']} missing, {result['mkt_doubled']} "
            f"twice, {result['mkt_without_order']} without our order"
        )
    refused = {p: w["failed"] for p, w in result["pushes_to_us"].items() if w["failed"]}
    if refused or any(w["pending"] for w in result["pushes_to_us"].values()):
        problems.append(f"marketplace pushes to us not delivered: {result['pushes_to_us']}")
    stock_right = result["at_marketplaces"] == result["published"] and not result["stock_pending"]
    if not stock_right:
        wrong = {
            p: {
                sku: (q, result["at_marketplaces"].get(p, {}).get(sku))
                for sku, q in quantities.items()
                if result["at_marketplaces"].get(p, {}).get(sku) != q
            }
            for p, quantities in result["published"].items()
        }
        problems.append(
            f"stock pushes: {result['stock_pending']} pending; (ours, theirs) where they "
            f"differ: {wrong}"
        )
    ledger = subprocess.run(
        [PY, "manage.py", "stock_rebuild", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    if ledger.returncode != 0:
        problems.append("stock_rebuild --check: " + (ledger.stdout + ledger.stderr)[-2000:])
    # Every shipment once at the carrier (the emulator's own list)
    at_carrier = Counter()
    if seed["ghn_url"]:
        state = httpx.get(seed["ghn_url"].rstrip("/") + "/_emulator/state", timeout=30).json()
        at_carrier = Counter(o["client_order_code"] for o in state["orders"])
        ours = {reference for reference, _tracking in result["shipments"]}
        twice = [r for r in ours if at_carrier[r] > 1]
        absent = [r for r in ours if at_carrier[r] == 0]
        if twice or absent:
            problems.append(f"shipments: {len(twice)} twice at GHN, {len(absent)} absent")

    print("\n== invariants")
    print(f"accepted orders: {result['accepted']}, each exactly once: "
          f"{not result['missing'] and not result['doubled']}")  # fmt: skip
    print(f"stock_rebuild --check: {'no drift' if ledger.returncode == 0 else 'DRIFT'}")
    print(f"reservations above on hand: {result['reserved_above_on_hand']}")
    print(f"shipments made: {len(result['shipments'])} (gave up: {result['shipments_gave_up']}, "
          f"pending: {result['shipments_pending']}); at GHN once each: "
          f"{all(at_carrier[r] == 1 for r, _t in result['shipments'])}")  # fmt: skip
    print(
        f"invoices asked: {len(shared.invoiced)}, issued: {len(result['invoices'])} (pending: "
        f"{result['invoices_pending']}, failed: {result['invoices_failed']}); one per order: "
        f"{not result['invoices_doubled']}; at the {seed['invoice_provider'] or '-'} emulator "
        f"once each: {invoices_once}"
    )
    print(
        f"marketplace orders placed: {result['mkt_placed']}, taken in once each: "
        f"{not result['mkt_missing'] and not result['mkt_doubled']} (missing "
        f"{result['mkt_missing']}, twice {result['mkt_doubled']}, without our order "
        f"{result['mkt_without_order']}); pushes to us by the emulators: "
        + "; ".join(
            f"{p} {w['delivered']} delivered, {w['failed']} failed, {w['pending']} pending"
            for p, w in result["pushes_to_us"].items()
        )
    )
    listings = sum(len(q) for q in result["published"].values())
    print(
        f"stock pushes: {listings} listings on {len(result['published'])} marketplaces, each "
        f"showing what we publish: {stock_right} (pending: {result['stock_pending']})"
    )
    chats = first.answers.get("chat", Counter()) + second.answers.get("chat", Counter())
    print(f"chat messages answered: {chats.get(200, 0)} (visitors: {len(shared.chat_tokens)})")
    print(f"server errors: {errors}")
    if problems:
        print("\nFAILED:\n- " + "\n- ".join(problems))
        return 1
    print("\nOK: no server errors, every invariant holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
