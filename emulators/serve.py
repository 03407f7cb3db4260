"""Serve the carrier, e-invoice and marketplace emulators on localhost for the demo.

    python -m emulators.serve --ghn-port 8701 --vtp-port 8702 \\
        --sinvoice-port 8711 --misa-port 8712 \\
        --callback-base http://127.0.0.1:8000 --secret demo-secret

* GHN: ``http://127.0.0.1:8701/shiip/public-api`` (``--ghn-port`` or ``GHN_EMULATOR_PORT``) (labels under ``/a5/public-api/``), header
  ``Token: demo-ghn-token``, ``ShopId: 885``. Webhooks go to
  ``<callback-base>/shipping/webhooks/ghn/`` with header ``X-Webhook-Secret: <secret>``.
* Viettel Post: ``http://127.0.0.1:8702`` (``--vtp-port`` or ``VTP_EMULATOR_PORT``; ``/v2/...``, ``/v3/...``, ``/DigitalizePrint/...``),
  ``USERNAME demo@donhang.vn`` / ``PASSWORD demo-password`` (Login + ownerconnect), or directly
  the fixed long-lived ``Token: demo-vtp-token`` (``--vtp-token``). Webhooks go to
  ``<callback-base>/shipping/webhooks/viettelpost/`` with ``"TOKEN": <secret>`` in the body.
* Viettel SInvoice: login ``http://127.0.0.1:8711/auth/login``, API base
  ``http://127.0.0.1:8711/services/einvoiceapplication/api/``; ``username 0107654326`` /
  ``password demo-password`` (``--sinvoice-username``/``--sinvoice-password``), supplier tax code
  ``0107654326`` (``--einvoice-tax-code``, the demo shop's), template ``1/001``, series
  ``C<yy>TAA`` and ``C<yy>TAB`` (yy = this year). See ``emulators.sinvoice.app``.
* MISA meInvoice: base ``http://127.0.0.1:8712/api/integration``; ``appid demo-misa-appid``,
  ``taxcode 0107654326``, ``username demo@donhang.vn``, ``password demo-password``
  (``--misa-appid``, ``--misa-username``, ``--misa-password``); series ``1C<yy>TAA`` and
  ``1C<yy>MAA`` (cash register). CQT codes arrive ``--misa-tax-delay`` seconds (30) after issue.
  See ``emulators.misa.app``. ``--no-einvoice`` serves the carriers only.
* Marketplaces (``--no-marketplaces`` leaves them out), each one demo shop, pushes to
  ``<callback-base>/marketplaces/webhooks/<shopee|lazada|tiktok_shop>/``:

  - Shopee: ``http://127.0.0.1:8721`` (``/api/v2/...``; ``--shopee-port`` or
    ``SHOPEE_EMULATOR_PORT``), ``partner_id 1000001``, partner key
    ``shpk4e6f2d64656d6f2d73686f7065652d706172746e65722d6b6579``, shop ``220001``.
  - Lazada: ``http://127.0.0.1:8722/rest`` (authorize page ``/oauth/authorize``;
    ``--lazada-port`` or ``LAZADA_EMULATOR_PORT``), ``app_key 500001``, app secret
    ``dGVtb2xhemFkYWFwcHNlY3JldGRvbmhhbmc``, seller ``200100001``.
  - TikTok Shop: ``http://127.0.0.1:8723`` for the API, the token API and ``/open/authorize``
    (``--tiktok-port`` or ``TIKTOK_EMULATOR_PORT``), ``app_key 6demodonhang``, app secret
    ``7d3f0c1e5b2a4d6e8f9a0b1c2d3e4f5a6b7c8d9e``, ``service_id 7300000000000000001``, shop
    ``7494000000000000001``; the authorization redirects to ``--tiktok-redirect-url`` (default
    ``<callback-base>/marketplaces/oauth/tiktok_shop/callback/``).

  Products: a few built-in demo products (``emulators.marketplace.DEMO_PRODUCTS``), or
  ``--marketplace-seed-file products.json`` (``{"products": [{"name", "sku", "price", "stock"}
  | {"name", "tiers": [{"name", "options"}], "variants": [{"sku", "price", "stock",
  "options"}]}]}``) loaded into all three, or ``POST /_emulator/products`` with the same body at
  any time (the demo loader can send the catalogue's SKUs that way). A simulated buyer orders on
  each marketplace every ``--buyer-interval`` seconds (0: never; ``POST /_emulator/orders``
  places one). Their clocks run at real time; one status step takes ``--marketplace-step-seconds``.
* Chat channels and the LLM (``--no-chat`` leaves them out); control pages to play a customer:
  ``http://127.0.0.1:8731/_emulator/chat`` (Messenger) and ``…:8732/_emulator/chat`` (Zalo).

  - Messenger (Graph API): ``http://127.0.0.1:8731`` (``/v25.0/me/messages``;
    ``--messenger-port`` or ``MESSENGER_EMULATOR_PORT``), page ``104729385610247``, page access
    token ``EAAdemoPageToken0donhang0Messenger0PageAccessToken0104729385610247``, app
    ``1938475610293847`` with app secret ``3f9c2a7d5e8b41c6a0d9e7f2b4c81a5d``
    (``--messenger-app-secret``), verify token ``donhang-demo-verify-token``
    (``--messenger-verify-token``). Events go to ``<callback-base>/chatbot/webhooks/messenger/``
    signed ``X-Hub-Signature-256``; ``curl -XPOST localhost:8731/_emulator/verify`` runs the
    verification handshake against it. See ``emulators.messenger.app``.
  - Zalo OA: ``http://127.0.0.1:8732`` for both ``openapi.zalo.me`` and ``oauth.zaloapp.com``
    paths (``--zalo-port`` or ``ZALO_EMULATOR_PORT``), app ``2718281828459045235`` with App
    secret ``ZkDemoAppSecret0donhang0Zalo0App``, OA ``3141592653589793238`` with OA secret
    key ``ZkDemoOASecret00donhang0Zalo0OA0`` (``--zalo-oa-secret``), demo tokens
    ``zoa-demo-access-token-donhang-3141592653589793238`` / ``zoa-demo-refresh-token-donhang-
    3141592653589793238`` (25 h / 3 months, refresh single use). Events go to
    ``<callback-base>/chatbot/webhooks/zalo/`` with ``X-ZEvent-Signature: mac=…``. See
    ``emulators.zalo_oa.app``.
  - LLM: ``http://127.0.0.1:8733/v1`` (``--llm-port`` or ``LLM_EMULATOR_PORT``), API key
    ``demo-llm-key`` (``--llm-api-key``), any model name; answers what
    ``POST /_emulator/script`` queued, else a 500 (``--llm-on-empty echo`` repeats the user).
    See ``emulators.openai_compat.app``.
* All: control endpoints under ``/_emulator/`` (see ``emulators.control`` and
  ``emulators.marketplace``), e.g.
  ``curl -XPOST localhost:8701/_emulator/tick -d '{"seconds": 3600}'``.

Each carrier emulator's clock starts at the real current time and runs ``3600 / --step-seconds``
times faster than real time, so by default an order takes one status step per 60 s of real time.
The e-invoice emulators' clocks run at real time (tokens, the 3-day idempotency window and the
tax authority's delay are real durations).
Webhooks are pumped every ``--pump-interval`` seconds (retries included). ``--no-webhooks``
keeps them queued (see ``/_emulator/state``). State lives in memory only: a restart forgets
orders (so ``--seed`` defaults to the current time, keeping new order codes/waybills distinct
from those of earlier runs). Timeouts cannot be injected over real sockets (only in-process
through ``emulators.common.FaultyTransport``); 5xx/429 faults work through ``/_emulator/faults``.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from datetime import datetime

from werkzeug.serving import run_simple

from emulators.common import VN_TZ, Clock
from emulators.ghn import GhnEmulator
from emulators.lazada import LazadaEmulator
from emulators.marketplace import DEMO_PRODUCTS
from emulators.messenger import MessengerEmulator
from emulators.misa import MisaEmulator
from emulators.openai_compat import OpenAICompatEmulator
from emulators.shopee import ShopeeEmulator
from emulators.sinvoice import SInvoiceEmulator
from emulators.tiktok_shop import TiktokShopEmulator
from emulators.viettelpost import ViettelPostEmulator
from emulators.zalo_oa import ZaloOaEmulator

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


def build_einvoice(args) -> tuple[SInvoiceEmulator, MisaEmulator]:
    """The e-invoice emulators with the demo credentials (overridable by flags)."""
    seed = int(time.time()) if getattr(args, "seed", None) is None else args.seed
    tax_code = getattr(args, "einvoice_tax_code", "0107654326")
    sinvoice = SInvoiceEmulator(
        username=getattr(args, "sinvoice_username", None) or tax_code,
        password=getattr(args, "sinvoice_password", "demo-password"),
        tax_code=tax_code,
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed,
    )
    misa = MisaEmulator(
        appid=getattr(args, "misa_appid", "demo-misa-appid"),
        tax_code=tax_code,
        username=getattr(args, "misa_username", "demo@donhang.vn"),
        password=getattr(args, "misa_password", "demo-password"),
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed,
        tax_delay=getattr(args, "misa_tax_delay", 30.0),
    )
    return sinvoice, misa


def build_marketplaces(args) -> tuple[ShopeeEmulator, LazadaEmulator, TiktokShopEmulator]:
    """The marketplace emulators with the demo credentials, real-time clocks and demo products."""
    base = args.callback_base.rstrip("/")
    no_push = getattr(args, "no_webhooks", False)
    seed = int(time.time()) if getattr(args, "seed", None) is None else args.seed
    step = float(getattr(args, "marketplace_step_seconds", 60.0))
    timeline = {
        "step_seconds": step,
        "pay_seconds": step,
        "complete_seconds": 3 * step,
        "settle_seconds": 2 * step,
    }

    def push(code: str) -> str | None:
        return None if no_push else f"{base}/marketplaces/webhooks/{code}/"

    shopee = ShopeeEmulator(
        clock=Clock(datetime.now(VN_TZ)), seed=seed, push_url=push("shopee"), **timeline
    )
    lazada = LazadaEmulator(
        clock=Clock(datetime.now(VN_TZ)), seed=seed + 1, push_url=push("lazada"), **timeline
    )
    redirect = getattr(args, "tiktok_redirect_url", None)
    tiktok = TiktokShopEmulator(
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed + 2,
        push_url=push("tiktok_shop"),
        redirect_url=redirect or f"{base}/marketplaces/oauth/tiktok_shop/callback/",
        **timeline,
    )
    seed_file = getattr(args, "marketplace_seed_file", None)
    for emu in (shopee, lazada, tiktok):
        if seed_file:
            emu.load_seed_file(seed_file)
        else:
            emu.seed_products(None, DEMO_PRODUCTS)
    return shopee, lazada, tiktok


def build_chat(args) -> tuple[MessengerEmulator, ZaloOaEmulator, OpenAICompatEmulator]:
    """The Messenger, Zalo OA and LLM emulators with the demo credentials, real-time clocks."""
    base = args.callback_base.rstrip("/")
    no_push = getattr(args, "no_webhooks", False)
    seed = int(time.time()) if getattr(args, "seed", None) is None else args.seed
    messenger_kwargs = {}
    if getattr(args, "messenger_app_secret", None):
        messenger_kwargs["app_secret"] = args.messenger_app_secret
    if getattr(args, "messenger_verify_token", None):
        messenger_kwargs["verify_token"] = args.messenger_verify_token
    messenger = MessengerEmulator(
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed,
        webhook_target=None if no_push else f"{base}/chatbot/webhooks/messenger/",
        **messenger_kwargs,
    )
    zalo_kwargs = {}
    if getattr(args, "zalo_oa_secret", None):
        zalo_kwargs["oa_secret"] = args.zalo_oa_secret
    zalo = ZaloOaEmulator(
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed + 1,
        webhook_target=None if no_push else f"{base}/chatbot/webhooks/zalo/",
        **zalo_kwargs,
    )
    llm = OpenAICompatEmulator(
        api_key=getattr(args, "llm_api_key", "demo-llm-key") or None,
        on_empty=getattr(args, "llm_on_empty", "error"),
        clock=Clock(datetime.now(VN_TZ)),
        seed=seed + 2,
    )
    return messenger, zalo, llm


def run_buyers(emulators, interval: float, stop: threading.Event) -> None:
    """A simulated buyer orders on each marketplace every ``interval`` seconds."""
    while not stop.wait(interval):
        for emu in emulators:
            try:
                order = emu.simulate_buyer()
                if order is not None:
                    log.info("%s: a buyer ordered %s", type(emu).__name__, order.id)
            except Exception:
                log.exception("simulated buyer failed")


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
    env = os.environ
    # The ports are settings (README): the demo's carrier accounts read the same variables.
    p.add_argument("--ghn-port", type=int, default=int(env.get("GHN_EMULATOR_PORT", 8701)))
    p.add_argument("--vtp-port", type=int, default=int(env.get("VTP_EMULATOR_PORT", 8702)))
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
    p.add_argument(
        "--sinvoice-port", type=int, default=int(env.get("SINVOICE_EMULATOR_PORT", 8711))
    )
    p.add_argument("--misa-port", type=int, default=int(env.get("MISA_EMULATOR_PORT", 8712)))
    p.add_argument("--no-einvoice", action="store_true", help="serve the carriers only")
    p.add_argument("--einvoice-tax-code", default="0107654326", help="the seller's tax code")
    p.add_argument("--sinvoice-username", default=None, help="default: the tax code")
    p.add_argument("--sinvoice-password", default="demo-password")
    p.add_argument("--misa-appid", default="demo-misa-appid")
    p.add_argument("--misa-username", default="demo@donhang.vn")
    p.add_argument("--misa-password", default="demo-password")
    p.add_argument("--misa-tax-delay", type=float, default=30.0, help="seconds until a CQT code")
    p.add_argument("--shopee-port", type=int, default=int(env.get("SHOPEE_EMULATOR_PORT", 8721)))
    p.add_argument("--lazada-port", type=int, default=int(env.get("LAZADA_EMULATOR_PORT", 8722)))
    p.add_argument("--tiktok-port", type=int, default=int(env.get("TIKTOK_EMULATOR_PORT", 8723)))
    p.add_argument("--no-marketplaces", action="store_true", help="leave the marketplaces out")
    p.add_argument("--marketplace-seed-file", default=None, help="JSON products for the shops")
    p.add_argument("--marketplace-step-seconds", type=float, default=60.0)
    p.add_argument("--buyer-interval", type=float, default=180.0, help="0: no simulated buyers")
    p.add_argument("--tiktok-redirect-url", default=None)
    p.add_argument(
        "--messenger-port", type=int, default=int(env.get("MESSENGER_EMULATOR_PORT", 8731))
    )
    p.add_argument("--zalo-port", type=int, default=int(env.get("ZALO_EMULATOR_PORT", 8732)))
    p.add_argument("--llm-port", type=int, default=int(env.get("LLM_EMULATOR_PORT", 8733)))
    p.add_argument("--no-chat", action="store_true", help="leave Messenger, Zalo and the LLM out")
    p.add_argument("--messenger-app-secret", default=None, help="default: the demo app secret")
    p.add_argument("--messenger-verify-token", default=None, help="default: the demo one")
    p.add_argument("--zalo-oa-secret", default=None, help="default: the demo OA secret key")
    p.add_argument("--llm-api-key", default="demo-llm-key", help="empty: no key needed")
    p.add_argument("--llm-on-empty", choices=("error", "echo"), default="error")
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
    if not args.no_einvoice:
        sinvoice, misa = build_einvoice(args)
        for emu, port in ((sinvoice, args.sinvoice_port), (misa, args.misa_port)):
            threading.Thread(
                target=run_simple,
                args=(args.host, port, emu.wsgi_app),
                kwargs={"threaded": True, "use_reloader": False},
                daemon=True,
            ).start()
        log.info(
            "SInvoice on http://%s:%d/services/einvoiceapplication/api/",
            args.host,
            args.sinvoice_port,
        )
        log.info("MISA meInvoice on http://%s:%d/api/integration", args.host, args.misa_port)
        threading.Thread(
            target=run_clock,
            args=((sinvoice, misa), 1.0, args.pump_interval, stop),
            daemon=True,
        ).start()
    if not args.no_marketplaces:
        markets = build_marketplaces(args)
        ports = (args.shopee_port, args.lazada_port, args.tiktok_port)
        for emu, port in zip(markets, ports, strict=True):
            threading.Thread(
                target=run_simple,
                args=(args.host, port, emu.wsgi_app),
                kwargs={"threaded": True, "use_reloader": False},
                daemon=True,
            ).start()
        log.info("Shopee on http://%s:%d/api/v2/", args.host, args.shopee_port)
        log.info("Lazada on http://%s:%d/rest", args.host, args.lazada_port)
        log.info("TikTok Shop on http://%s:%d", args.host, args.tiktok_port)
        threading.Thread(
            target=run_clock, args=(markets, 1.0, args.pump_interval, stop), daemon=True
        ).start()
        if args.buyer_interval > 0:
            threading.Thread(
                target=run_buyers, args=(markets, args.buyer_interval, stop), daemon=True
            ).start()
    if not args.no_chat:
        chat = build_chat(args)
        ports = (args.messenger_port, args.zalo_port, args.llm_port)
        for emu, port in zip(chat, ports, strict=True):
            threading.Thread(
                target=run_simple,
                args=(args.host, port, emu.wsgi_app),
                kwargs={"threaded": True, "use_reloader": False},
                daemon=True,
            ).start()
        log.info("Messenger (Graph API) on http://%s:%d", args.host, args.messenger_port)
        log.info("Zalo OA on http://%s:%d", args.host, args.zalo_port)
        log.info("LLM (OpenAI-compatible) on http://%s:%d/v1", args.host, args.llm_port)
        threading.Thread(
            target=run_clock, args=(chat, 1.0, args.pump_interval, stop), daemon=True
        ).start()
    speed = ghn.step_seconds / args.step_seconds
    try:
        run_clock((ghn, vtp), speed, args.pump_interval, stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
