"""Database routing: reads marked by donhang.core.replica.reads_from_replica (the dashboard,
reports) go to the `replica` alias when DATABASE_REPLICA_URL configured one; everything else,
and every write, goes to the primary (`default`)."""

from donhang.core.replica import REPLICA, replica_alias


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there relates to one here.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica follows its primary; migrations run on the primary only.
        return db != REPLICA
