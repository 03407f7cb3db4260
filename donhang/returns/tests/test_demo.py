import pytest
from django.core.management import call_command

from donhang.returns.models import Refund, Return, State
from donhang.returns.tests.conftest import assert_no_drift

pytestmark = pytest.mark.django_db


def test_the_demo_has_returns_in_every_state():
    call_command("load_demo", verbosity=0)

    states = set(Return.objects.values_list("state", flat=True))
    assert states >= {State.REQUESTED, State.RECEIVED, State.INSPECTED, State.CLOSED}
    assert Return.objects.filter(state=State.CANCELLED).exists()
    assert Return.objects.filter(from_parcel=True).exists()  # the returned demo parcel
    assert Return.objects.filter(exchange_order__isnull=False).exists()
    damaged = Return.objects.get(state=State.INSPECTED).lines.get()
    assert damaged.damaged_quantity == 1 and damaged.damage_photo
    assert Refund.objects.filter(status="pending", method="bank_transfer").exists()
    assert Refund.objects.filter(status="refunded").exists()
    assert_no_drift()

    count = Return.objects.count()
    call_command("load_demo", verbosity=0)
    assert Return.objects.count() == count
