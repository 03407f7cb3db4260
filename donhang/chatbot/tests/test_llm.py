"""LLM mode against the scripted OpenAI-compatible emulator: the model picks tools and phrases
the reply; the server validates every call, bounds the loop and falls back to the offline
engine on any error, including a number no tool gave."""

import json

from donhang.chatbot.engine.tools import stock_of
from donhang.chatbot.tests.conftest import say
from donhang.orders.models import Order


def _tool(name, arguments, call_id=None):
    call = {"name": name, "arguments": arguments}
    if call_id:
        call["id"] = call_id
    return {"tool_calls": [call]}


def test_the_model_chooses_tools_and_phrases_the_reply(bot, api, llm):
    tee = bot["tee"]
    units = sum(stock_of([v.pk for v in tee.variants.all()]).values())
    llm.set_script(
        [
            _tool("search_products", {"query": "áo thun"}),
            _tool("product_details", {"product_id": tee.pk}),
            f"Dạ áo thun cotton basic giá 159.000đ, shop còn {units} sản phẩm ạ.",
        ]
    )
    answer = say(api, "áo thun giá sao shop")
    assert answer["engine"] == "llm"
    assert answer["reply"] == f"Dạ áo thun cotton basic giá 159.000đ, shop còn {units} sản phẩm ạ."
    assert answer["intent"] == "price"
    [first, _second, third] = llm.requests
    assert {t["function"]["name"] for t in first["body"]["tools"]} >= {
        "search_products",
        "product_details",
        "shipping_quote",
        "create_order",
    }
    assert first["body"]["messages"][0]["role"] == "system"
    tool_answer = third["body"]["messages"][-1]
    assert tool_answer["role"] == "tool"
    assert json.loads(tool_answer["content"])["product_id"] == tee.pk


def test_a_number_no_tool_gave_falls_back_to_the_offline_engine(bot, api, llm):
    llm.set_script(["Dạ áo thun cotton basic giá 99.000đ ạ."])  # invented
    answer = say(api, "áo thun cotton basic giá bao nhiêu")
    assert answer["engine"] == "offline"
    assert "159.000đ" in answer["reply"] and "99.000" not in answer["reply"]


def test_an_error_of_the_endpoint_falls_back_to_the_offline_engine(bot, api, llm):
    llm.set_script([{"error": {"status": 500, "message": "model crashed"}}])
    answer = say(api, "kem chống nắng giá bao nhiêu")
    assert answer["engine"] == "offline"
    assert "179.000đ" in answer["reply"]
    llm.faults.timeout_next()
    assert say(api, "kem chống nắng còn không")["engine"] == "offline"


def test_bad_tool_calls_get_an_error_result_not_a_crash(bot, api, llm):
    llm.set_script(
        [
            {"tool_calls": [{"name": "product_details", "arguments": "{not json"}]},
            _tool("delete_everything", {}),
            _tool("product_details", {"product_id": "abc"}),
            "Dạ anh/chị cho em xin tên sản phẩm cụ thể ạ.",
        ]
    )
    answer = say(api, "shop ơi")
    assert answer["engine"] == "llm"
    results = [json.loads(r["body"]["messages"][-1]["content"]) for r in llm.requests[1:]]
    assert results[0]["error"] == "arguments are not valid JSON"
    assert results[1]["error"] == "unknown tool delete_everything"
    assert "whole number" in results[2]["error"]


def test_the_tool_loop_is_bounded(bot, api, llm):
    llm.set_script([_tool("cod_available", {})] * 6)
    answer = say(api, "có cod không")
    assert answer["engine"] == "offline"
    assert len(llm.requests) == 4


def test_an_order_needs_the_customers_confirmation(bot, api, llm, carrier):
    llm.set_script(
        [
            "Dạ vâng ạ.",
            "Dạ em ghi nhận địa chỉ ạ.",
            _tool("create_order", {"quantity": 2}),
            "Dạ anh/chị xác nhận giúp em ạ.",
        ]
    )
    first = say(api, "áo thun đen size M")
    conversation = first["conversation"]
    say(api, "giao về 12 Lê Lợi, phường Bến Thành, TP HCM", conversation)
    # Every detail is there, but the customer did not say they order: the tool refuses.
    answer = say(api, "tên Lan 0912345678", conversation)
    refusal = json.loads(llm.requests[3]["body"]["messages"][-1]["content"])
    assert refusal["error"] == "customer_has_not_confirmed"
    assert answer["order"] is None and not Order.objects.exists()

    llm.set_script([_tool("create_order", {"quantity": 2}), "Dạ em đã lên đơn cho anh/chị ạ."])
    done = say(api, "ok chốt 2 cái nhé", conversation)
    assert done["engine"] == "llm"
    order = Order.objects.get()
    assert done["order"]["code"] == order.code
    assert order.channel == "chatbot" and order.lines.get().quantity == 2
    assert order.shipping_fee > 0
