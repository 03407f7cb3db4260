"""Backups taken while the shop takes orders restore to a database whose ledger holds
(`stock_rebuild --check`): SQLite through its online backup API, PostgreSQL through pg_dump."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections

from donhang.catalog import services as catalog
from donhang.core.backups import BackupError, current_target, sqlite_restore
from donhang.inventory.models import Warehouse
from donhang.orders.models import Order

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stocked(db):
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    catalog.product_create(
        name="Áo thun",
        sku="AT01",
        defaults={"cost_price": 80_000, "sale_price": 150_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 100_000},
    )
    return warehouse


def write_orders_until(stop: threading.Event, place_order, placed: list, errors: list):
    try:
        while not stop.is_set():
            placed.append(place_order(("AT01", 1), ("AT01", 2)).code)
    except Exception as exc:  # reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


def check_ledger(database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", "stock_rebuild", "--check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_sqlite_backup_taken_during_writes_restores_with_the_ledger_intact(
    stocked, place_order, tmp_path
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite online backup")
    stop, placed, errors = threading.Event(), [], []
    writer = threading.Thread(target=write_orders_until, args=(stop, place_order, placed, errors))
    writer.start()
    try:
        # Given orders being written all the time
        deadline = time.monotonic() + 20
        while len(placed) < 5:
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.05)
        # When a backup is taken in the middle of it
        before = len(placed)
        call_command("backup", str(tmp_path / "shop.sqlite3"))
        after = len(placed)
        # And the shop goes on writing after the backup
        deadline = time.monotonic() + 20
        while len(placed) < after + 5:
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join(30)
    assert not errors, errors

    # Then the backup restores (into a new database) to one whose ledger checks out
    restored = tmp_path / "restored.sqlite3"
    call_command("restore", str(tmp_path / "shop.sqlite3"), to=f"sqlite:///{restored}")
    checked = check_ledger(f"sqlite:///{restored}")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No drift" in checked.stdout

    # And it holds the orders of the moment it was taken, each whole (no half-written order)
    with sqlite3.connect(restored) as db:
        codes = {code for (code,) in db.execute("SELECT code FROM orders_order")}
        lineless = db.execute(
            "SELECT COUNT(*) FROM orders_order o WHERE NOT EXISTS "
            "(SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id)"
        ).fetchone()[0]
    db.close()
    assert before <= len(codes) <= after + 1
    assert codes <= set(placed) and lineless == 0
    assert Order.objects.count() > len(codes)  # the live database went on


def test_a_damaged_backup_is_refused(tmp_path):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    with pytest.raises((BackupError, sqlite3.DatabaseError)):
        sqlite_restore(broken, tmp_path / "out.sqlite3")
    assert not (tmp_path / "out.sqlite3").exists() or (tmp_path / "out.sqlite3").stat().st_size == 0


def test_a_postgresql_backup_restores_into_another_database(stocked, place_order, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore")
    for _ in range(3):
        place_order(("AT01", 1))
    dump = tmp_path / "shop.pgdump"
    call_command("backup", str(dump))
    assert dump.stat().st_size > 0

    scratch = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    url = current_target().url
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        target = url.rsplit("/", 1)[0] + f"/{scratch}"
        call_command("restore", str(dump), to=target)
        checked = check_ledger(target)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with psycopg.connect(target) as restored:
            count = restored.execute("SELECT COUNT(*) FROM orders_order").fetchone()[0]
        assert count == 3
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
