"""Acceptance (issue 8): `kill -9` of the task worker while it creates a shipment, then a
restart: the shipment is created once and the order moves on, without staff action.

Real processes: `manage.py db_worker` against the test database, the GHN emulator served over
HTTP on 127.0.0.1 (it makes the parcel, then our answer hangs until the worker is killed)."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from werkzeug.serving import make_server

from donhang.core.leases import requeue_expired_tasks
from donhang.core.models import IntegrationCall
from donhang.orders.models import SubState
from donhang.shipping import services
from donhang.shipping.models import Shipment
from emulators.ghn import GhnEmulator

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 5


class AnswerHangsOnce:
    """WSGI wrapper: the first create is processed by the emulator (the parcel exists), then the
    answer waits until released, so the worker is mid-call when it is killed."""

    def __init__(self, app):
        self.app = app
        self.created, self.release = threading.Event(), threading.Event()
        self.creates = 0

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").endswith("shipping-order/create"):
            return self.app(environ, start_response)
        self.creates += 1
        body = b"".join(self.app(environ, start_response))
        if self.creates == 1:
            self.created.set()
            self.release.wait(20)
        return [body]


@pytest.fixture
def served_ghn():
    emulator = GhnEmulator(seed=7, webhook_target=None)
    app = AnswerHangsOnce(emulator.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield emulator, app, f"http://127.0.0.1:{server.server_port}"
    app.release.set()
    server.shutdown()
    thread.join(5)


def _database_url() -> str:
    """The test database (as pytest-django named it), for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(tmp_path, name: str, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DONHANG_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
        "DONHANG_TASK_LEASE_HEARTBEAT_SECONDS": "1",
    }
    env.pop("TASKS_BACKEND", None)
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            *extra,
        ],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_while_creating_a_shipment_is_taken_up_again(
    served_ghn, warehouse, packed_order, staff, settings, tmp_path
):
    emulator, app, url = served_ghn
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    account = services.carrier_account_save(
        provider="ghn",
        name="GHN",
        environment="emulator",
        base_url=url,
        credentials={"token": "demo-ghn-token"},
        options={"shop_id": 885},
        pickup_warehouse=warehouse,
    )
    order = packed_order()

    # Given a shipment whose creation a worker is doing: GHN has made the parcel, the worker
    # waits for the answer
    shipment = services.shipment_create(order=order, account=account, actor=staff)
    task = DBTaskResult.objects.get(task_path="donhang.shipping.tasks.create_shipment_task")
    first = _worker(tmp_path, "worker-1")
    try:
        assert app.created.wait(25), (tmp_path / "worker-1.log").read_text()
        # When the worker is killed (no chance to record anything)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        app.release.set()
    assert len(emulator.orders) == 1
    task.refresh_from_db()
    shipment.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
    assert (shipment.tracking_code, shipment.create_outcome) == ("", "sending")

    # And its lease runs out: the scheduler puts the task back, a worker starts again
    later = timezone.now() + timedelta(seconds=LEASE_SECONDS + 1)
    assert requeue_expired_tasks(now=later) == [str(task.pk)]
    second = _worker(tmp_path, "worker-2", "--batch")
    assert second.wait(25) == 0, (tmp_path / "worker-2.log").read_text()

    # Then the shipment was created once: found by our reference, not sent again
    shipment.refresh_from_db()
    order.refresh_from_db()
    task.refresh_from_db()
    assert app.creates == 1 and len(emulator.orders) == 1
    (parcel,) = emulator.orders.values()
    assert parcel.client_order_code == shipment.reference
    assert shipment.tracking_code == parcel.order_code
    assert (shipment.status, shipment.create_outcome) == ("ready_to_pick", "created")
    assert order.sub_state == SubState.READY_TO_SHIP  # the order moved on by itself
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert IntegrationCall.objects.filter(
        reference=shipment.reference, operation="find", ok=True
    ).exists()
    assert Shipment.objects.filter(order=order).count() == 1
