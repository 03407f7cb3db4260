"""A trigram index on the orders' search text (name, phone, code, channel order id), so that a
search by part of a name (`LIKE '%tran thi binh%'`) reads the index instead of every order.

PostgreSQL only, and a no-op on SQLite. `CREATE EXTENSION pg_trgm` needs a superuser (or the
database owner on PostgreSQL 13+, pg_trgm being a trusted extension); where the application's
role may not create it, a superuser runs `CREATE EXTENSION IF NOT EXISTS pg_trgm;` once in the
database before migrating. The index is built CONCURRENTLY (this migration is not atomic), so
orders keep being taken while it is built on a big table.
"""

from django.db import migrations

INDEX = "order_search_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
            "ON orders_order USING gin (search_text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("orders", "0007_order_counts_covering_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
