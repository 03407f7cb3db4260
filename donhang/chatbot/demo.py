"""The demo's chatbot: settings, an FAQ, a web chat widget (its demo page at /chatbot/demo/),
and a Facebook page and a Zalo OA connected to the emulators that `make run` serves (ports of
CHATBOT_EMULATOR_PORTS; credentials: the emulators' public demo values, see emulators/serve.py).
Safe to run again."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from donhang.chatbot import services
from donhang.chatbot.models import BotSettings, ChannelConnection, FaqEntry

DEMO_WIDGET_KEY = "demo-widget"

FAQ = [
    (
        "shipping",
        "Shop giao hàng bao lâu thì nhận được?",
        "bao lâu nhận hàng, mấy ngày nhận, giao hàng mất bao lâu, thời gian giao hàng",
        "Dạ shop giao hàng toàn quốc qua Giao Hàng Nhanh và Viettel Post: nội thành thường 1–2 "
        "ngày, các tỉnh 2–4 ngày ạ. Phí ship tính theo địa chỉ, em báo chính xác khi có phường/xã "
        "và tỉnh/thành của anh/chị ạ.",
    ),
    (
        "shipping",
        "Shop có freeship không?",
        "freeship, miễn phí vận chuyển, miễn phí ship",
        "Dạ hiện shop chưa có chương trình freeship ạ; phí ship tính theo địa chỉ nhận hàng.",
    ),
    (
        "returns",
        "Chính sách đổi trả của shop thế nào?",
        "đổi trả, đổi size, trả hàng, hoàn tiền, bảo hành, hàng lỗi",
        "Dạ shop nhận đổi size, đổi mẫu hoặc trả hàng trong 7 ngày kể từ khi nhận, sản phẩm còn "
        "tem mác và chưa qua sử dụng. Hàng lỗi do shop được đổi mới miễn phí ạ.",
    ),
    (
        "payment",
        "Shop nhận thanh toán những hình thức nào?",
        "thanh toán, trả tiền, chuyển khoản, cod, ship cod",
        "Dạ shop nhận thanh toán khi nhận hàng (COD) và chuyển khoản ngân hàng: khi lên đơn em "
        "gửi mã VietQR có sẵn số tiền và mã đơn ạ.",
    ),
    (
        "hours",
        "Shop làm việc mấy giờ? Địa chỉ shop ở đâu?",
        "giờ làm việc, mấy giờ mở cửa, địa chỉ shop, cửa hàng ở đâu, hotline",
        "Dạ nhân viên shop trực từ 8:00 đến 21:00 mỗi ngày; ngoài giờ em vẫn trả lời và lên đơn "
        "giúp anh/chị ạ. Shop bán online và giao hàng toàn quốc ạ.",
    ),
]


def load_demo_chatbot(*, actor) -> dict:
    """Settings, FAQ and the three channels of the demo; returns what it created."""
    created: dict = {"faq": 0, "channels": []}
    if not BotSettings.objects.exists():
        services.bot_settings_save(
            actor=actor,
            bot_name="Trợ lý Lan Nguyễn",
            greeting=(
                "Dạ em chào anh/chị ạ! Em là trợ lý tự động của shop: em báo giá, còn hàng, phí "
                "ship và lên đơn giúp anh/chị 24/7. Anh/chị cần tìm sản phẩm nào ạ?"
            ),
        )
    if not FaqEntry.objects.exists():
        for position, (topic, question, keywords, answer) in enumerate(FAQ):
            services.faq_save(
                topic=topic,
                question=question,
                keywords=keywords,
                answer=answer,
                position=position,
                actor=actor,
            )
            created["faq"] += 1
    ports = getattr(settings, "CHATBOT_EMULATOR_PORTS", {})
    specs = [
        (
            "web",
            "Website (demo)",
            DEMO_WIDGET_KEY,
            "",
            "",
            {},
        ),
        (
            "messenger",
            "Facebook page (demo)",
            "104729385610247",
            f"http://127.0.0.1:{ports.get('messenger', 8731)}/v25.0",
            "",
            {
                "page_access_token": (
                    "EAAdemoPageToken0donhang0Messenger0PageAccessToken0104729385610247"
                ),
                "app_secret": "3f9c2a7d5e8b41c6a0d9e7f2b4c81a5d",
                "verify_token": "donhang-demo-verify-token",
            },
        ),
        (
            "zalo",
            "Zalo OA (demo)",
            "3141592653589793238",
            f"http://127.0.0.1:{ports.get('zalo', 8732)}",
            f"http://127.0.0.1:{ports.get('zalo', 8732)}",
            {
                "app_id": "2718281828459045235",
                "app_secret": "ZkDemoAppSecret0donhang0Zalo0App",
                "oa_secret_key": "ZkDemoOASecret00donhang0Zalo0OA0",
                "access_token": "zoa-demo-access-token-donhang-3141592653589793238",
                "refresh_token": "zoa-demo-refresh-token-donhang-3141592653589793238",
            },
        ),
    ]
    for kind, name, external_id, base_url, auth_url, credentials in specs:
        if ChannelConnection.objects.filter(kind=kind, external_id=external_id).exists():
            continue
        created["channels"].append(
            services.connection_save(
                kind=kind,
                name=name,
                external_id=external_id,
                base_url=base_url,
                auth_url=auth_url,
                credentials=credentials,
                access_expires_at=timezone.now() + timedelta(hours=24) if kind == "zalo" else None,
                actor=actor,
            )
        )
    return created
