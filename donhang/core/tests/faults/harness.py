"""The app as real processes for the fault tests: a database in a private PostgreSQL cluster
(made from a migrated, seeded template), gunicorn, task workers and the scheduler, and API
clients that drive orders and shipments the way a shop's programs would."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from django.conf import settings as django_settings

from donhang.core.tests.servers import PostgresCluster, free_port, wait_for_port

BASE_DIR = Path(django_settings.BASE_DIR)
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("werkzeug").setLevel(logging.WARNING)
PY = sys.executable

SEED = r"""
import json
import logging
from donhang.accounts.services import api_key_create, user_create
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse
owner = user_create(username="owner", password="a-long-pass-123", role="owner")
_key, raw = api_key_create(name="faults", role="owner", actor=owner)
warehouse = Warehouse.objects.create(
    code="HN", name="Kho Ha Noi", priority=1, province_id=1, ward_id=70,
    address_line="18 Hang Bac", contact_name="Nguyen Thi Lan", phone="+84912000111",
)
for sku in ("AT01", "AT02"):
    catalog.product_create(
        name="San pham " + sku, sku=sku,
        defaults={"cost_price": 80000, "sale_price": 150000, "vat_rate": "10", "weight_g": 300},
        initial_stock={warehouse.pk: 1000000}, actor=owner,
    )
print("SEED" + json.dumps({"key": raw, "warehouse": warehouse.pk}))
"""

CARRIER = r"""
import json, sys
from donhang.inventory.models import Warehouse
from donhang.shipping import services
provider, base_url = sys.argv[-2], sys.argv[-1]
if provider == "ghn":
    credentials, options = {"token": "demo-ghn-token"}, {"shop_id": 885}
else:
    credentials = {"username": "demo@donhang.vn", "password": "demo-password"}
    options = {"default_service": "VCN"}
account = services.carrier_account_save(
    provider=provider, name=provider, environment="emulator", base_url=base_url,
    credentials=credentials, options=options, pickup_warehouse=Warehouse.objects.get(code="HN"),
)
print("ACCOUNT" + json.dumps({"id": account.pk}))
"""

# The emulators' seller (emulators.sinvoice / emulators.misa defaults) is the shop.
INVOICING = r"""
import json, sys
from django.utils import timezone
from donhang.accounts.models import ShopProfile
from donhang.customers.models import Ward
from donhang.invoicing import services
provider, base_url = sys.argv[-2], sys.argv[-1]
ward = Ward.objects.select_related("province").get(pk=70)
ShopProfile.objects.update_or_create(
    id=ShopProfile.SINGLETON_ID,
    defaults={"name": "Cong ty TNHH Thoi trang Lan", "tax_code": "0107654326",
              "address_line": "18 Hang Bai", "ward": ward, "province": ward.province,
              "phone": "+842438251234", "email": "lienhe@thoitranglan.example.vn"},
)
yy = timezone.localdate().year % 100
if provider == "sinvoice":
    account = services.invoice_account_save(
        provider="sinvoice", name="S-Invoice", environment="emulator", base_url=base_url,
        credentials={"username": "0107654326", "password": "demo-password"},
    )
    template_code = "1/001"
else:
    account = services.invoice_account_save(
        provider="misa", name="MISA", environment="emulator",
        base_url=base_url + "/api/integration",
        credentials={"app_id": "demo-misa-appid", "username": "demo@donhang.vn",
                     "password": "demo-password"},
    )
    template_code = "1"
template = services.invoice_template_save(
    account=account, kind="vat", template_code=template_code, series=f"C{yy}TAA", is_default=True
)
print("INVOICING" + json.dumps({"account": account.pk, "template": template.pk}))
"""

# A shop on a marketplace emulator (the demo's app credentials), connected as the demo's shops
# connect themselves, with `n` of our products listed there under the same SKUs (MP000…).
MARKETPLACE = r"""
import json, sys
from donhang.accounts.models import User
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse
from donhang.marketplaces import services
from donhang.marketplaces.demo import DEMO_SHOPS
from donhang.marketplaces.models import Environment, Listing, ShopConnection
platform, base_url, n = sys.argv[-3], sys.argv[-2], int(sys.argv[-1])
owner = User.objects.get(username="owner")
warehouse = Warehouse.objects.get(code="HN")
for i in range(n):
    catalog.product_create(
        name=f"Hang {i}", sku=f"MP{i:03d}",
        defaults={"cost_price": 50000, "sale_price": 100000, "vat_rate": "10", "weight_g": 300},
        initial_stock={warehouse.pk: 1000}, actor=owner,
    )
connection = ShopConnection(
    platform=platform, name=platform, environment=Environment.EMULATOR, base_url=base_url,
    options={"auto_authorize": True, "category_id": "100001"},
)
connection.credentials = next(c for p, _n, _u, c in DEMO_SHOPS if p == platform)
connection.save()
services.connections_emulator_authorize(callback_base="http://127.0.0.1:9")
connection.refresh_from_db()
assert connection.is_connected, connection.last_error
pulled = services.products_pull(connection=connection)
dirty = Listing.objects.filter(connection=connection, stock_dirty_at__isnull=False).count()
print("MARKETPLACE" + json.dumps({"id": connection.pk, "matched": pulled.matched, "dirty": dirty}))
"""

# What our side publishes on the shop now: {seller SKU: quantity}, and what is still pending.
PUBLISHED = r"""
import json, sys
from donhang.marketplaces.models import Listing, ShopConnection
from donhang.marketplaces.services.stock import publishable_quantities
connection = ShopConnection.objects.get(pk=int(sys.argv[-1]))
rows = list(Listing.objects.filter(connection=connection, variant__isnull=False))
quantities = publishable_quantities(connection, {r.variant_id for r in rows})
print("PUBLISHED" + json.dumps({
    "quantities": {r.seller_sku: quantities[r.variant_id] for r in rows},
    "dirty": sum(1 for r in rows if r.stock_dirty_at),
    "failed": sum(1 for r in rows if r.last_error and r.stock_dirty_at),
}))
"""

# The stock sync's cycle, every `interval` seconds for `seconds` (the scheduler does it every
# 30 s: here faster, so that a test sees several cycles).
SYNC_CYCLES = r"""
import sys, time
from donhang.marketplaces.tasks import sync_stock_task
interval, seconds = float(sys.argv[-2]), float(sys.argv[-1])
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        sync_stock_task.enqueue()
    except Exception as exc:  # the queue away for a moment: next cycle
        print("cycle:", exc, flush=True)
    time.sleep(interval)
"""


def manage(*args: str, env: dict, timeout: float = 300, check: bool = True):
    run = subprocess.run(
        [PY, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and run.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run


def shell(code: str, *argv: str, env: dict, marker: str) -> dict:
    path = Path(env["DONHANG_VAR_DIR"]) / f"script-{uuid.uuid4().hex}.py"
    path.write_text(code)
    run = subprocess.run(
        [PY, "-c", "import django, runpy, sys; django.setup(); runpy.run_path(sys.argv[1])",
         str(path), *argv],
        cwd=BASE_DIR, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if run.returncode != 0:
        raise AssertionError(f"script failed:\n{run.stdout}\n{run.stderr}")
    line = next(x for x in run.stdout.splitlines() if x.startswith(marker))
    return json.loads(line[len(marker) :])


class Shop:
    """One database of the private cluster and the processes serving it."""

    def __init__(self, cluster: PostgresCluster, template: str, tmp_path: Path, **env):
        self.cluster = cluster
        self.name = f"shop_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
        self.tmp = tmp_path
        (tmp_path / "var").mkdir(parents=True, exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
            "DATABASE_URL": cluster.url(self.name),
            "DONHANG_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": "faults-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DONHANG_TASK_LEASE_SECONDS": "5",
            "DONHANG_TASK_LEASE_HEARTBEAT_SECONDS": "1",
            "DATABASE_CONNECT_TIMEOUT": "2",
            "LOG_LEVEL": "WARNING",
            "TASKS_BACKEND": "database",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.port = 0
        self.key = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def start_web(self, *, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self._spawn(
            "web",
            [
                str(Path(PY).parent / "gunicorn"), "config.wsgi:application",
                "-c", "scripts/gunicorn_conf.py",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--threads", str(threads), "--worker-class", "gthread", "--timeout", "30",
            ],
        )  # fmt: skip
        wait_for_port(self.port, timeout=30)
        self.warm_up(workers * threads)

    def warm_up(self, requests: int) -> None:
        """Every web process loads its code on its first request: done here, not in the test."""
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=120) as client:
            for _ in range(requests):
                started = time.monotonic()
                assert client.get("/api/v1/me").status_code == 200, self.log("web")
                self.warmed = max(getattr(self, "warmed", 0.0), time.monotonic() - started)

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        if self.env["TASKS_BACKEND"] == "redis":
            args = [PY, "manage.py", "rqworker", "default", "--with-scheduler", "--name", name]
        else:
            args = [PY, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]
        return self._spawn(name, [*args])

    def start_scheduler(self, interval: float = 1.0) -> None:
        self._spawn("scheduler", [PY, "manage.py", "scheduler", "--interval", str(interval)])

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(15)

    def kill_tree(self, name: str) -> None:
        """SIGKILL a process and its children (an RQ work-horse runs in a group of its own):
        what a crashed machine does to them."""
        process = self.processes.pop(name)
        for pid in [*_children(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(15)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name == "web" else signal.SIGKILL)

    def carrier_account(self, base_url: str, provider: str = "ghn") -> int:
        return shell(CARRIER, provider, base_url, env=self.env, marker="ACCOUNT")["id"]

    def invoice_account(self, provider: str, base_url: str) -> dict:
        return shell(INVOICING, provider, base_url, env=self.env, marker="INVOICING")

    def marketplace_shop(self, platform: str, base_url: str, skus: int) -> dict:
        return shell(MARKETPLACE, platform, base_url, str(skus), env=self.env, marker="MARKETPLACE")

    def published(self, connection_id: int) -> dict:
        return shell(PUBLISHED, str(connection_id), env=self.env, marker="PUBLISHED")

    def start_sync_cycles(self, *, interval: float = 1.0, seconds: float = 600) -> None:
        path = Path(self.env["DONHANG_VAR_DIR"]) / "sync_cycles.py"
        path.write_text(SYNC_CYCLES)
        self._spawn(
            "sync-cycles",
            [PY, "-c", "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
             "import django, runpy, sys; django.setup(); runpy.run_path(sys.argv[1])",
             str(path), str(interval), str(seconds)],
        )  # fmt: skip

    def query(self, sql: str, params=()):
        with psycopg.connect(self.cluster.url(self.name)) as conn:
            return conn.execute(sql, params).fetchall()

    def ledger_check(self) -> subprocess.CompletedProcess:
        return manage("stock_rebuild", "--check", env=self.env, check=False)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [*_children(child), child]
    return found


def make_template(cluster: PostgresCluster, tmp_path: Path) -> tuple[str, str]:
    """Migrate and seed one database, used as the template of every test's database; returns
    its name and the owner's API key."""
    name = "shop_template"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
        "DATABASE_URL": cluster.url(name),
        "DONHANG_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "faults-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "TASKS_BACKEND": "database",
    }
    manage("migrate", "--noinput", env=env, timeout=600)
    seed = shell(SEED, env=env, marker="SEED")
    return name, seed["key"]


# --- clients -----------------------------------------------------------------------------------


def order_body(key: str, sku: str = "AT01") -> dict:
    return {
        "channel": "website",
        "external_id": key[:64],
        "customer": {
            "name": "Trần Thị Bình",
            "phone": "0987654321",
            "address": {"line": "5 Hàng Bè", "ward": 70, "province": 1},
        },
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping_fee": 30000,
        "shipping_fee_payer": "buyer",
        "payment_method": "cod",
    }


@dataclass
class Outcomes:
    statuses: Counter = field(default_factory=Counter)
    by_phase: dict = field(default_factory=dict)
    accepted: dict = field(default_factory=dict)  # idempotency key → order code
    pending: set = field(default_factory=set)  # keys never answered 201 yet
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, phase: str, status: int | str) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_phase.setdefault(phase, Counter())[status] += 1


def place_orders(shop: Shop, outcomes: Outcomes, stop: threading.Event, phase: list[str]):
    """One client: new orders with idempotency keys until stopped; a key refused with 503 or
    a lost connection is kept to be sent again later (as a shop's program would)."""
    headers = {"Authorization": f"Bearer {shop.key}"}
    with httpx.Client(base_url=shop.url, headers=headers, timeout=15) as client:
        while not stop.is_set():
            key = uuid.uuid4().hex
            asked_in = phase[0]  # counted in the phase the request started in
            try:
                response = client.post(
                    "/api/v1/orders", json=order_body(key), headers={"Idempotency-Key": key}
                )
                status: int | str = response.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
                response = None
            outcomes.record(asked_in, status)
            with outcomes.lock:
                if status == 201:
                    outcomes.accepted[key] = response.json()["code"]
                else:
                    outcomes.pending.add(key)
            if status == 503:
                time.sleep(0.2)


def complete_pending(shop: Shop, outcomes: Outcomes, *, deadline: float = 60) -> None:
    """Send every key that was not accepted again, until each is (idempotent: the order is
    created once whether or not the first attempt reached the database)."""
    headers = {"Authorization": f"Bearer {shop.key}"}
    end = time.monotonic() + deadline
    with httpx.Client(base_url=shop.url, headers=headers, timeout=15) as client:
        for key in sorted(outcomes.pending):
            while True:
                response = client.post(
                    "/api/v1/orders", json=order_body(key), headers={"Idempotency-Key": key}
                )
                if response.status_code == 201:
                    outcomes.accepted[key] = response.json()["code"]
                    break
                assert response.status_code == 503, (response.status_code, response.text)
                assert time.monotonic() < end, "the service did not come back"
                time.sleep(0.5)
    outcomes.pending.clear()
