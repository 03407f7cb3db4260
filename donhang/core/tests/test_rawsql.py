"""core.rawsql writes and reads rows as the ORM would: defaults, auto_now_add, JSON, booleans,
datetimes, foreign keys (a missing one as None). Upserts: inventory stock_changes_record."""

from datetime import datetime

import pytest
from django.utils import timezone

from donhang.accounts.models import User
from donhang.core import rawsql
from donhang.core.models import AuditEntry


@pytest.mark.django_db
def test_an_inserted_row_reads_back_as_the_orm_reads_it():
    user = User.objects.create(username="an")
    entries = rawsql.insert(
        [
            AuditEntry(actor=user, actor_label="an", action="x.one", object_type="t", object_id="1",
                       data={"ờ": [1, 2]}),
            AuditEntry(actor=None, actor_label="system", action="x.two", object_type="t",
                       object_id="2"),
        ]
    )  # fmt: skip

    assert all(e.pk and not e._state.adding for e in entries)
    orm = {e.pk: e for e in AuditEntry.objects.filter(pk__in=[e.pk for e in entries])}
    read = rawsql.select(
        AuditEntry, "t0.action LIKE %s", ["x.%"], related=("actor",), tail="ORDER BY t0.id"
    )
    assert [e.pk for e in read] == [e.pk for e in entries]
    for e in read:
        same = orm[e.pk]
        for f in AuditEntry._meta.concrete_fields:
            assert getattr(e, f.attname) == getattr(same, f.attname), f.name
    assert isinstance(read[0].at, datetime) and timezone.is_aware(read[0].at)
    assert read[0].data == {"ờ": [1, 2]} and read[1].data == {}
    assert read[0].actor == user and read[0].actor.is_active is True
    assert read[1].actor is None


@pytest.mark.django_db
def test_an_update_writes_prepared_values():
    (entry,) = rawsql.insert(
        [AuditEntry(actor_label="s", action="a", object_type="t", object_id="1")]
    )
    rawsql.update(AuditEntry, entry.pk, summary="changed", data={"k": True})

    entry.refresh_from_db()
    assert (entry.summary, entry.data) == ("changed", {"k": True})
