"""The scorer of `make eval-chatbot` (the README of evaluation/chatbot/), on small examples."""

from donhang.chatbot import evaluation


def test_entity_matching_rules():
    match = evaluation.entity_match
    canonical = {"product": "AT-BASIC", "province": "Thành phố Hồ Chí Minh", "size": "M"}
    names = {"AT-BASIC": "Áo thun cotton basic cổ tròn"}
    assert match("phone", "+84 912 345 678", "0912345678", {}, {})
    assert match("order_code", "DH000123", "000123", {}, {})
    assert match("quantity", 2, 2, {}, {}) and not match("quantity", 3, 2, {}, {})
    assert match("province", "Thành phố Hồ Chí Minh", "tp hcm", canonical, names)
    assert match("size", "M", "size m", canonical, names)
    assert match("product", "Áo thun cotton basic cổ tròn", "ao thun", canonical, names)
    assert match("product", "áo thun basic", "áo thun basic cổ tròn", {}, {})  # token F1 0.86
    assert not match("product", "áo", "áo thun basic cổ tròn", {}, {})
    assert match("address", "12 Lê Lợi, Phường Bến Thành", "12 Le Loi, phuong Ben Thanh", {}, {})


def test_numbers_quoted_in_any_usual_writing():
    assert evaluation._quoted(["Dạ giá 159.000đ ạ"], 159000)
    assert evaluation._quoted(["giá 159k"], 159000)
    assert not evaluation._quoted(["giá 1.159.000đ"], 159000)
    assert evaluation._quoted(["còn 12 sản phẩm"], 12) and not evaluation._quoted(["còn 120"], 12)


def test_messages_and_dialogues_are_scored():
    answers = {
        "giá áo thun": {"intent": "price", "entities": {"product": "áo thun"}, "conversation": 1},
        "chốt": {
            "intent": "place_order",
            "entities": {},
            "conversation": 1,
            "reply": "159.000đ",
            "order": {"code": "DH000001"},
        },
    }

    def send(text, conversation):
        return answers[text], 0.01

    report = evaluation.Report()
    evaluation.score_messages(
        [
            {
                "id": "m1",
                "text": "giá áo thun",
                "intent": "price",
                "entities": {"product": "áo thun"},
            },
            {"id": "m2", "text": "chốt", "intent": "stock", "entities": {"quantity": 1}},
        ],
        send,
        report,
        {},
    )
    assert report.intent_accuracy == 0.5 and report.f1("product")[2] == 1.0
    assert report.entity_fn["quantity"] == 1
    evaluation.score_dialogues(
        [
            {
                "id": "d1",
                "turns": ["giá áo thun", "chốt"],
                "expect": {
                    "order": {"items": [{"sku": "A-M", "quantity": 1}], "phone": "0912345678"},
                    "quotes_price": True,
                },
            }
        ],
        send,
        report,
        lambda code: {
            "channel": "chatbot",
            "lines": [("A-M", 1)],
            "phone": "0912345678",
            "name": "Lan",
            "address": "12 Lê Lợi",
        },
        lambda wanted, order: {"price": [159000]},
    )
    assert report.completion == 1.0 and report.strict == 1
    assert report.p95_ms == 10.0
