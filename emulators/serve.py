"""Serve the GHN and Viettel Post emulators on localhost for the demo.

    python -m emulators.serve --ghn-port 8701 --vtp-port 8702 \\
        --callback-base http://127.0.0.1:8000 --secret demo-secret

* GHN: ``http://127.0.0.1:8701/shiip/public-api`` (labels under ``/a5/public-api/``), header
  ``Token: demo-ghn-token``, ``ShopId: 885``. Webhooks go to
  ``<callback-base>/shipping/webhooks/ghn/`` with header ``X-Webhook-Secret: <secret>``.
* Viettel Post: ``http://127.0.0.1:8702`` (``/v2/...``, ``/v3/...``, ``/DigitalizePrint/...``),
  ``USERNAME demo@donhang.vn`` / ``PASSWORD demo-password`` (Login + ownerconnect), or directly
  the fixed long-lived ``Token: demo-vtp-token`` (``--vtp-token``). Webhooks go to
  ``<callback-base>/shipping/webhooks/viettelpost/`` with ``"TOKEN": <secret>`` in the body.
* Both: control endpoints under ``/_emulator/`` (see ``emulators.control``), e.g.
  ``curl -XPOST localhost:8701/_emulator/tick -d '{"seconds": 3600}'``.

Each emulator's clock starts at the real current time and runs ``3600 / --step-seconds`` times
faster than real time, so by default an order takes one status step per 60 s of real time.
Webhooks are pumped every ``--pump-interval`` seconds (retries included). ``--no-webhooks``
keeps them queued (see ``/_emulator/state``). State lives in memory only: a restart forgets
orders (so ``--seed`` defaults to the current time, keeping new order codes/waybills distinct
from those of earlier runs). Timeouts cannot be injected over real sockets (only in-process
through ``emulators.common.FaultyTransport``); 5xx/429 faults work through ``/_emulator/faults``.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from datetime import datetime

from werkzeug.serving import run_simple

from emulators.common import VN_TZ, Clock
from emulators.ghn import GhnEmulator
from emulators.viettelpost import ViettelPostEmulator

log = logging.getLogger("emulators")


def build(args) -> tuple[GhnEmulator, ViettelPostEmulator]:
    base = args.callback_base.rstrip("/")
    ghn_url = None if args.no_webhooks else f"{base}/shipping/webhooks/ghn/"
    vtp_url = None if args.no_webhooks else f"{base}/shipping/webhooks/viettelpost/"
    seed = int(time.time()) if args.seed is None else args.seed
    ghn = GhnEmulator(
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed,
        webhook_target=ghn_url,
        webhook_secret=args.secret,
        fail_rate=args.fail_rate,
    )
    vtp = ViettelPostEmulator(
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed,
        webhook_target=vtp_url,
        webhook_secret=args.secret,
        fail_rate=args.fail_rate,
        static_token=args.vtp_token,
    )
    return ghn, vtp


def run_clock(emulators, speed: float, interval: float, stop: threading.Event) -> None:
    last = time.monotonic()
    while not stop.wait(interval):
        now = time.monotonic()
        elapsed, last = now - last, now
        for emu in emulators:
            try:
                moved = emu.tick(elapsed * speed)
                delivered = emu.pump()
                if moved or delivered:
                    log.info("%s: %d step(s), %d webhook(s)", type(emu).__name__, moved, delivered)
            except Exception:
                log.exception("tick failed")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--ghn-port", type=int, default=8701)
    p.add_argument("--vtp-port", type=int, default=8702)
    p.add_argument("--callback-base", default="http://127.0.0.1:8000")
    p.add_argument("--secret", default="demo-secret")
    p.add_argument(
        "--step-seconds",
        type=float,
        default=60.0,
        help="real seconds per status step (the emulated step is one hour)",
    )
    p.add_argument("--pump-interval", type=float, default=1.0)
    p.add_argument("--fail-rate", type=float, default=0.0, help="share of failed deliveries")
    p.add_argument(
        "--seed", type=int, default=None, help="default: the current time (fresh codes per run)"
    )
    p.add_argument("--vtp-token", default="demo-vtp-token", help="fixed long-lived VTP token")
    p.add_argument("--no-webhooks", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    ghn, vtp = build(args)
    for emu, port in ((ghn, args.ghn_port), (vtp, args.vtp_port)):
        threading.Thread(
            target=run_simple,
            args=(args.host, port, emu.wsgi_app),
            kwargs={"threaded": True, "use_reloader": False},
            daemon=True,
        ).start()
    log.info("GHN on http://%s:%d/shiip/public-api", args.host, args.ghn_port)
    log.info("Viettel Post on http://%s:%d", args.host, args.vtp_port)
    stop = threading.Event()
    speed = ghn.step_seconds / args.step_seconds
    try:
        run_clock((ghn, vtp), speed, args.pump_interval, stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
