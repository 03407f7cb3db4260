"""The staff order list and the dashboard on a small and a big database (1,000 and up to
1,000,000 orders), and the peak memory of a web worker serving them.

Each size lives in its own bench database (`bench_list_<orders>`), seeded once with COPY
(PostgreSQL) or executemany (SQLite) and kept between runs."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from bench.harness import column_defaults, database_prepare, is_sqlite

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Đức"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Em", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung",
         "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thu", "Trang",
         "Trung", "Tuấn", "Tùng", "Vân", "Việt", "Yến"]  # fmt: skip
STATUSES = (
    [("new", "")] * 4
    + [("new", "awaiting_stock")]
    + [("processing", "packing")] * 4
    + [("processing", "awaiting_stock")] * 2
    + [("processing", "ready_to_ship")] * 4
    + [("shipping", "")] * 9
    + [("shipping", "delivery_failed")]
    + [("completed", "")] * 65
    + [("cancelled", "")] * 7
    + [("returned", "")] * 3
)
CHANNELS = [
    "website",
    "shopee",
    "shopee",
    "lazada",
    "tiktok_shop",
    "manual_phone",
    "manual_facebook",
]
PAYMENTS = ["cod", "cod", "bank_transfer", "marketplace_prepaid"]
SPAN = timedelta(days=694)  # a million orders at one a minute: the same span at every size
OWNER = "bench-owner"
OWNER_PASSWORD = "bench-owner-password-1"


def db_name(total: int) -> str:
    return f"bench_list_{total}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _insert_rows(table: str, columns: list[str], rows) -> None:
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        if is_sqlite():
            cur.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})",
                rows,
            )
        else:
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _when(at: datetime):
    # SQLite stores UTC as text; psycopg takes the aware datetime as it is.
    return at.strftime("%Y-%m-%d %H:%M:%S.%f") if is_sqlite() else at


def seed(total: int) -> None:
    """Bring the database up to `total` orders (only what the list and dashboard read)."""
    from donhang.accounts.models import User
    from donhang.accounts.services import user_create
    from donhang.core.text import fold
    from donhang.customers.models import Customer, Ward
    from donhang.inventory.models import Warehouse
    from donhang.orders.models import Order

    if not User.objects.filter(username=OWNER).exists():
        user_create(username=OWNER, password=OWNER_PASSWORD, role="owner")
    have = Order.objects.count()
    if have >= total:
        return
    started = time.perf_counter()
    print(f"  (seeding {total - have:,} orders into {connection.settings_dict['NAME']}, once)")
    sys.stdout.flush()
    rng = random.Random(7 + have)
    wards = list(Ward.objects.values_list("code", "province_id"))
    with transaction.atomic():
        warehouses = []
        for code, name in (("HN", "Kho Hà Nội"), ("HCM", "Kho TP.HCM"), ("DN", "Kho Đà Nẵng")):
            wh, _ = Warehouse.objects.get_or_create(code=code, defaults={"name": name})
            warehouses.append(wh.pk)
        customers = list(Customer.objects.values_list("pk", flat=True)[:2000])
        if len(customers) < 2000:
            Customer.objects.bulk_create(
                [
                    Customer(name=_name(rng), phone=f"+849{rng.randrange(10**8):08d}")
                    for _ in range(2000 - len(customers))
                ]
            )
            customers = list(Customer.objects.values_list("pk", flat=True)[:2000])
    if is_sqlite():
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous=OFF")

    table = Order._meta.db_table
    per_row = [
        "code", "channel", "external_id", "customer_id", "customer_name", "customer_phone",
        "shipping_name", "shipping_phone", "shipping_address_line", "shipping_province_id",
        "shipping_ward_id", "status", "sub_state", "payment_method", "shipping_fee", "goods_total",
        "vat_total", "total", "cod_amount", "payment_status", "warehouse_id", "created_at",
        "updated_at", "search_text",
    ]  # fmt: skip
    constants = column_defaults(Order, set(per_row))
    constants = {k: v for k, v in constants.items() if k not in per_row}
    columns = per_row + list(constants)
    constant_values = tuple(constants.values())
    now = datetime.now(UTC)
    step = SPAN / total
    next_id = (Order.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    batch = 50_000

    def rows(lo: int, hi: int):
        for i in range(lo, hi):
            status, sub = rng.choice(STATUSES)
            name = _name(rng)
            national = f"09{rng.choice('0134789')}{rng.randrange(10**7):07d}"
            phone = "+84" + national[1:]
            ward, province = wards[rng.randrange(len(wards))]
            channel = rng.choice(CHANNELS)
            payment = (
                "marketplace_prepaid"
                if channel in ("shopee", "lazada", "tiktok_shop")
                else rng.choice(PAYMENTS[:3])
            )
            amount = rng.randrange(50, 5000) * 1000
            at = _when(now - SPAN + step * i)
            code = f"DH{next_id + i - have:07d}"
            external = (
                f"{rng.randrange(10**14):014d}"
                if channel in ("shopee", "lazada", "tiktok_shop")
                else ""
            )
            yield (
                code,
                channel,
                external,
                customers[i % len(customers)],
                name,
                phone,
                name,
                phone,
                f"{rng.randrange(1, 300)} Phố Huế",
                province,
                ward,
                status,
                sub,
                payment,
                30000,
                amount,
                amount // 11,
                amount,
                amount if payment == "cod" else 0,
                "paid" if status == "completed" else "unpaid",
                warehouses[i % 3],
                at,
                at,
                " ".join(p for p in (fold(name), national, code.lower(), external) if p),
                *constant_values,
            )

    for lo in range(have, total, batch):
        hi = min(lo + batch, total)
        with transaction.atomic():
            _insert_rows(table, columns, rows(lo, hi))
        print(f"  … {hi:,} orders ({time.perf_counter() - started:.0f} s)", end="\r")
        sys.stdout.flush()
    with connection.cursor() as cur:
        cur.execute("ANALYZE" if is_sqlite() else f"VACUUM ANALYZE {table}")
    _counters_rebuild()
    print(f"  (seeded {total - have:,} orders in {time.perf_counter() - started:.0f} s)" + " " * 20)


def _counters_rebuild() -> None:
    """After rows were written around the services: the order counters, where they exist."""
    try:
        from donhang.orders.counters import order_counters_rebuild
    except ImportError:
        return
    order_counters_rebuild()


class Cases:
    """The pages measured on a database of one size: the list's first page, each tab, searches
    by phone, name and code, a deep page (90 % down), and the dashboard."""

    def __init__(self, total: int):
        from donhang.orders.models import Order

        database_prepare(db_name(total))
        seed(total)
        self.total = total
        count = Order.objects.count()
        ids = Order.objects.order_by("-id").values_list("id", flat=True)
        deep = ids[int(count * 0.9)] if count > 10 else None
        middle = Order.objects.filter(pk__lte=ids[count // 2]).order_by("-id").first()
        url = reverse("orders:order_list")
        self.urls = {"list: first page": url}
        for status in ("new", "processing", "shipping", "completed", "cancelled", "returned"):
            self.urls[f"list: tab {status}"] = f"{url}?status={status}"
        self.urls["list: search by phone"] = f"{url}?" + urlencode(
            {"q": "0" + middle.customer_phone[3:]}
        )
        self.urls["list: search by name"] = f"{url}?" + urlencode({"q": middle.customer_name})
        self.urls["list: search by code"] = f"{url}?" + urlencode({"q": middle.code})
        self.urls["list: deep page (90 %)"] = f"{url}?after={deep}"
        self.urls["dashboard"] = reverse("web:dashboard")

    def cookie(self) -> str:
        client = Client()
        client.login(username=OWNER, password=OWNER_PASSWORD)
        from django.conf import settings

        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )


class PagesWork:
    """Each client requests every page `repeat` times, round robin."""

    def __init__(self, cases: Cases, repeat: int):
        self.cases = cases
        self.repeat = repeat

    def warmup(self, client: int) -> None:
        self.http = Client()
        assert self.http.login(username=OWNER, password=OWNER_PASSWORD)
        for url in self.cases.urls.values():
            response = self.http.get(url)
            assert response.status_code == 200, (url, response.status_code)

    def run(self, client: int):
        samples: dict[str, list[float]] = {}
        for _ in range(self.repeat):
            for case, url in self.cases.urls.items():
                start = time.perf_counter()
                response = self.http.get(url)
                samples.setdefault(case, []).append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
        return sum(len(v) for v in samples.values()), samples


def queries_per_page(cases: Cases) -> dict[str, int]:
    from django.test.utils import CaptureQueriesContext

    http = Client()
    http.login(username=OWNER, password=OWNER_PASSWORD)
    out = {}
    for case, url in cases.urls.items():
        http.get(url)
        with CaptureQueriesContext(connection) as ctx:
            http.get(url)
        out[case] = len(ctx.captured_queries)
    return out


# --- a real web worker: peak memory --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def worker_memory(cases: Cases, rounds: int = 3) -> dict[str, float]:
    """Serve every page `rounds` times from one gunicorn sync worker on this database; its peak
    resident memory (VmHWM) after start-up and after serving."""
    port = _free_port()
    env = dict(os.environ)
    if is_sqlite():
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        s = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    cookie = cases.cookie()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    master = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        with open(f"/proc/{master.pid}/task/{master.pid}/children") as f:
            worker = int(f.read().split()[0])
        idle = _status_kb(worker, "VmHWM")
        for _ in range(rounds):
            for url in cases.urls.values():
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{url}", headers={"Cookie": cookie}
                )
                with urllib.request.urlopen(request, timeout=120) as response:
                    assert response.status == 200, url
                    response.read()
        return {"start_mb": idle / 1024, "peak_mb": _status_kb(worker, "VmHWM") / 1024}
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)
