import httpx
import pytest

from emulators.common import (
    Clock,
    Faults,
    FaultyTransport,
    JsonApp,
    WebhookDispatcher,
    json_response,
)
from emulators.tests.helpers import Recorder


def make_app(faults=None):
    app = JsonApp(faults or Faults(seed=1))
    app.add("/ping", lambda request: json_response({"pong": True}), ("GET", "POST"))
    return app


def client_for(app, transport=None):
    return httpx.Client(transport=transport or httpx.WSGITransport(app=app), base_url="http://emu")


def test_clock_only_moves_when_told():
    clock = Clock()
    start = clock.now()
    assert clock.now() == start
    clock.advance(90)
    assert (clock.now() - start).total_seconds() == 90
    assert start.utcoffset().total_seconds() == 7 * 3600


def test_fail_next_then_recovers_and_paths_filter():
    app = make_app()
    app.add("/other", lambda request: json_response({"ok": True}))
    app.faults.fail_next(2, status=503, paths="/ping")
    c = client_for(app)
    assert c.post("/other").status_code == 200  # not matched by the filter
    assert [c.get("/ping").status_code for _ in range(3)] == [503, 503, 200]


def test_fail_rate_is_deterministic_per_seed():
    def run(seed):
        app = make_app(Faults(seed=seed))
        app.faults.fail_rate(0.3)
        c = client_for(app)
        return [c.get("/ping").status_code for _ in range(50)]

    first = run(7)
    assert first == run(7)
    errors = [s for s in first if s != 200]
    assert 5 < len(errors) < 30
    assert set(errors) <= {500, 502, 503}


def test_rate_limit_and_control_paths_exempt():
    app = make_app()
    app.add("/_emulator/state", lambda request: json_response({}), ("GET",))
    app.faults.rate_limit_rate(1.0)
    c = client_for(app)
    r = c.get("/ping")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert c.get("/_emulator/state").status_code == 200
    app.faults.clear()
    assert c.get("/ping").status_code == 200


def test_connect_timeout_never_reaches_the_app():
    app = make_app()
    app.faults.timeout_next(1)
    c = client_for(app, FaultyTransport(app, app.faults))
    with pytest.raises(httpx.ConnectTimeout):
        c.get("/ping")
    assert app.calls == []
    assert c.get("/ping").status_code == 200


def test_read_timeout_after_the_app_processed():
    app = make_app()
    app.faults.timeout_next(1, after=True)
    c = client_for(app, FaultyTransport(app, app.faults))
    with pytest.raises(httpx.ReadTimeout):
        c.get("/ping")
    assert app.calls == [("GET", "/ping")]


def test_dispatcher_retries_then_gives_up():
    rec = Recorder()
    rec.statuses = [500] * 20
    hooks = WebhookDispatcher(rec, path="/hook/", max_retries=3)
    hooks.enqueue({"n": 1}, {"X-Secret": "s"})
    for _ in range(10):
        hooks.pump()
    assert len(rec.calls) == 4  # first try + 3 retries
    assert len(hooks.failed) == 1 and not hooks.pending
    assert rec.calls[0]["path"] == "/hook/" and rec.calls[0]["headers"]["X-Secret"] == "s"


def test_dispatcher_retry_succeeds_on_next_pump():
    rec = Recorder()
    rec.statuses = [502]
    hooks = WebhookDispatcher(rec)
    hooks.enqueue({"n": 1})
    assert hooks.pump() == 0
    assert hooks.pump() == 1
    assert [c["body"] for c in rec.calls] == [b'{"n": 1}', b'{"n": 1}']
    assert hooks.pump() == 0


def test_dispatcher_duplicates_and_out_of_order():
    rec = Recorder()
    hooks = WebhookDispatcher(rec, duplicate=True)
    hooks.enqueue({"n": 1})
    hooks.pump()
    assert rec.bodies == [{"n": 1}, {"n": 1}]

    rec = Recorder()
    hooks = WebhookDispatcher(rec, out_of_order=True)
    hooks.enqueue({"n": 1})
    hooks.pump()
    assert rec.bodies == []  # held back until something later goes out
    hooks.enqueue({"n": 2})
    hooks.enqueue({"n": 3})
    hooks.pump()
    hooks.flush()
    assert [b["n"] for b in rec.bodies] == [2, 3, 1]


def test_dispatcher_url_unreachable_counts_as_failure():
    hooks = WebhookDispatcher("http://127.0.0.1:9/hook", max_retries=1, timeout=0.5)
    hooks.enqueue({"n": 1})
    hooks.pump()
    hooks.pump()
    assert hooks.attempts[0][1] == 0 and len(hooks.failed) == 1
