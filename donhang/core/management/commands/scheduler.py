import logging
import time

from django.core.management.base import BaseCommand
from django.db import connections

from donhang.core.scheduler import enqueue_due_jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue periodic jobs when due (tracking polls…). Safe to run on several hosts."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")

    def handle(self, *args, once=False, interval=30.0, **options):
        while True:
            try:
                for name in enqueue_due_jobs():
                    self.stdout.write(f"enqueued {name}")
            except Exception:
                # A database or Redis outage: log it and check again later, never stop.
                if once:
                    raise
                logger.exception("scheduler check failed; trying again in %s s", interval)
                connections.close_all()
            if once:
                return
            time.sleep(interval)
