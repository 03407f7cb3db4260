"""gunicorn settings for the scaled run (`scripts/run_scaled.sh`, `-c scripts/gunicorn_conf.py`).

The application and its URLs (every view, every API schema: seconds of imports) are loaded once
in the master before the workers fork, so a new or restarted worker answers its first request at
once instead of after those seconds. Database connections opened while loading are closed
before the fork: a connection is never shared between processes."""

preload_app = True
# Idle keep-alive connections stay open longer than clients keep them (httpx: 5 s, browsers and
# proxies: up to 60 s), so a client never sends on a connection the server has just closed.
keepalive = 75


def when_ready(server):
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every urls module and view)
    connections.close_all()


def post_fork(server, worker):
    from django.db import connections

    connections.close_all()
