"""Scripted OpenAI-compatible endpoint: tool-calling loop, the API's 400s, auth, streaming,
errors and the control API."""

import json

import httpx
import pytest

from emulators.common import FaultyTransport
from emulators.openai_compat import DEMO_API_KEY, OpenAICompatEmulator, schema_problem

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_products",
        "description": "Tìm sản phẩm theo tên, màu, size",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "color": {"type": "string", "enum": ["Đen", "Trắng", "Be"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10},
            },
            "required": ["query"],
        },
    },
}
SYSTEM = {"role": "system", "content": "Bạn là trợ lý bán hàng. Chỉ dùng số liệu từ công cụ."}
USER = {"role": "user", "content": "ao thun den size M con ko"}
ROOT = "https://api.openai.example"


@pytest.fixture
def llm():
    return OpenAICompatEmulator()


@pytest.fixture
def http(llm):
    with httpx.Client(
        transport=httpx.WSGITransport(app=llm.wsgi_app),
        base_url="https://api.openai.example/v1",
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    ) as client:
        yield client


def complete(http, messages, **extra):
    return http.post("/chat/completions", json={"model": "demo-llm", "messages": messages, **extra})


def test_scripted_tool_call_then_answer(http, llm):
    llm.set_script(
        [
            {"tool_calls": [{"name": "search_products", "arguments": {"query": "áo thun đen"}}]},
            "Dạ áo thun đen size M còn 20 cái, giá 159.000đ ạ.",
        ]
    )
    first = complete(http, [SYSTEM, USER], tools=[SEARCH], tool_choice="auto")
    assert first.status_code == 200
    body = first.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert isinstance(call["function"]["arguments"], str)
    assert json.loads(call["function"]["arguments"]) == {"query": "áo thun đen"}
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )

    # the loop continues with the assistant message unchanged and one tool message per call
    tool_result = {"role": "tool", "tool_call_id": call["id"], "content": '{"stock": 20}'}
    second = complete(http, [SYSTEM, USER, choice["message"], tool_result], tools=[SEARCH])
    answer = second.json()["choices"][0]
    assert answer["finish_reason"] == "stop"
    assert answer["message"]["content"] == "Dạ áo thun đen size M còn 20 cái, giá 159.000đ ạ."
    assert [r["status"] for r in llm.requests] == [200, 200] and llm.script == []


def test_raw_string_arguments_are_sent_as_written(http, llm):
    llm.add({"tool_calls": [{"name": "create_order", "arguments": '{"phone": "0912'}]})
    call = complete(http, [USER], tools=[SEARCH]).json()["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "create_order", "arguments": '{"phone": "0912'}


@pytest.mark.parametrize(
    ("change", "param", "fragment"),
    [
        (lambda b: b.pop("model"), None, "you must provide a model parameter"),
        (lambda b: b.pop("messages"), "messages", "Missing required parameter: 'messages'"),
        (lambda b: b.update(messages=[]), "messages", "empty array"),
        (lambda b: b.update(foo=1), None, "Unrecognized request argument supplied: foo"),
        (lambda b: b.update(temperature=3), "temperature", "Expected a value <= 2"),
        (lambda b: b.update(max_tokens=0), "max_tokens", "Expected a value >= 1"),
        (lambda b: b.update(tool_choice="auto"), "tool_choice", "only allowed when 'tools'"),
        (
            lambda b: b.update(messages=[{"role": "bot", "content": "x"}]),
            "messages[0].role",
            "Invalid value: 'bot'",
        ),
        (
            lambda b: b.update(messages=[{"role": "user"}]),
            "messages[0].content",
            "Missing required parameter",
        ),
        (
            lambda b: b.update(
                messages=[USER, {"role": "tool", "tool_call_id": "c1", "content": "x"}]
            ),
            "messages.[1].role",
            "must be a response to a preceeding message with 'tool_calls'",
        ),
        (
            lambda b: b.update(messages=[USER, {"role": "tool", "content": "x"}]),
            "messages[1].tool_call_id",
            "Missing required parameter",
        ),
    ],
)
def test_malformed_requests_get_400_with_the_error_shape(http, llm, change, param, fragment):
    llm.add("never served")
    body = {"model": "demo-llm", "messages": [USER]}
    change(body)
    r = http.post("/chat/completions", json=body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert fragment in error["message"]
    assert llm.script == [{"content": "never served"}]


def test_tool_calls_must_all_be_answered(http):
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "x", "arguments": "{}"}},
            {"id": "call_b", "type": "function", "function": {"name": "y", "arguments": "{}"}},
        ],
    }
    answered_a = {"role": "tool", "tool_call_id": "call_a", "content": "ok"}
    r = complete(http, [USER, assistant, answered_a, {"role": "user", "content": "?"}])
    assert r.status_code == 400
    assert "did not have response messages: call_b" in r.json()["error"]["message"]
    not_string = dict(
        assistant,
        tool_calls=[dict(assistant["tool_calls"][0], function={"name": "x", "arguments": {}})],
    )
    r = complete(http, [USER, not_string, answered_a])
    assert r.json()["error"]["code"] == "invalid_type"
    assert r.json()["error"]["param"] == "messages[1].tool_calls[0].function.arguments"


@pytest.mark.parametrize(
    ("tool", "fragment"),
    [
        ({"type": "function", "function": {"name": "tìm kiếm"}}, "does not match pattern"),
        ({"type": "retrieval", "function": {"name": "x"}}, "Invalid value: 'retrieval'"),
        ({"function": {"name": "x"}}, "Missing required parameter: 'tools[0].type'"),
        (
            {"type": "function", "function": {"name": "x", "parameters": {"type": "array"}}},
            "schema must be a JSON Schema of 'type: \"object\"'",
        ),
        (
            {
                "type": "function",
                "function": {
                    "name": "x",
                    "parameters": {"type": "object", "properties": {"q": {"type": "text"}}},
                },
            },
            "Invalid schema for function 'x'",
        ),
        (
            {
                "type": "function",
                "function": {
                    "name": "x",
                    "parameters": {"type": "object", "required": "q"},
                },
            },
            "'required' must be an array of strings",
        ),
    ],
)
def test_bad_tools_are_refused(http, tool, fragment):
    r = complete(http, [USER], tools=[tool])
    assert r.status_code == 400 and fragment in r.json()["error"]["message"]


def test_strict_schemas_follow_structured_output_rules():
    loose = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    assert schema_problem(loose) is None
    assert "additionalProperties" in schema_problem(loose, strict=True)
    closed = dict(
        loose,
        properties={"q": {"type": "string"}, "n": {"type": "integer"}},
        additionalProperties=False,
    )
    assert "Missing 'n'" in schema_problem(closed, strict=True)
    assert schema_problem(dict(closed, required=["q", "n"]), strict=True) is None
    assert schema_problem(SEARCH["function"]["parameters"]) is None


def test_tool_choice_must_name_an_offered_function(http, llm):
    llm.add("ok")
    choice = {"type": "function", "function": {"name": "create_order"}}
    r = complete(http, [USER], tools=[SEARCH], tool_choice=choice)
    assert r.status_code == 400 and "create_order" in r.json()["error"]["message"]
    choice["function"]["name"] = "search_products"
    assert complete(http, [USER], tools=[SEARCH], tool_choice=choice).status_code == 200


def test_authentication_and_models(llm):
    transport = httpx.WSGITransport(app=llm.wsgi_app)
    with httpx.Client(transport=transport, base_url="https://x/v1") as anonymous:
        r = anonymous.post("/chat/completions", json={"model": "m", "messages": [USER]})
        assert r.status_code == 401 and "didn't provide an API key" in r.json()["error"]["message"]
        r = anonymous.post(
            "/chat/completions",
            json={"model": "m", "messages": [USER]},
            headers={"Authorization": "Bearer sk-wrong-key-123"},
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert "sk-wrong-key-123" not in r.json()["error"]["message"]

    restricted = OpenAICompatEmulator(api_key=None, models=["qwen2.5:7b-instruct"], script=["x"])
    with httpx.Client(
        transport=httpx.WSGITransport(app=restricted.wsgi_app), base_url="http://localhost:11434"
    ) as local:
        r = local.post("/v1/chat/completions", json={"model": "gpt-9", "messages": [USER]})
        assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
        models = local.get("/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["qwen2.5:7b-instruct"]
        bare = local.post(
            "/chat/completions", json={"model": "qwen2.5:7b-instruct", "messages": [USER]}
        )
        assert bare.json()["choices"][0]["message"]["content"] == "x"


def test_empty_script_errors_or_echoes(http, llm):
    r = complete(http, [USER])
    assert r.status_code == 500 and r.json()["error"]["code"] == "script_exhausted"
    echo = OpenAICompatEmulator(api_key=None, on_empty="echo")
    with httpx.Client(transport=httpx.WSGITransport(app=echo.wsgi_app), base_url="http://e") as c:
        r = c.post("/v1/chat/completions", json={"model": "m", "messages": [SYSTEM, USER]})
        assert r.json()["choices"][0]["message"]["content"] == USER["content"]


def test_scripted_errors_and_raw_bodies(http, llm):
    llm.set_script(
        [
            {
                "error": {
                    "status": 429,
                    "message": "Rate limit reached",
                    "code": "rate_limit_exceeded",
                }
            },
            {"error": {"status": 503}},
            {"raw": "not json at all"},
            {"raw": {"choices": []}},
        ]
    )
    limited = complete(http, [USER])
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert complete(http, [USER]).json()["error"]["type"] == "server_error"
    broken = complete(http, [USER])
    assert broken.status_code == 200 and broken.text == "not json at all"
    assert complete(http, [USER]).json() == {"choices": []}


def test_streaming_reassembles_to_the_scripted_answer(http, llm):
    llm.set_script(
        [
            "Dạ còn hàng ạ",
            {
                "tool_calls": [
                    {"name": "search_products", "arguments": {"query": "dép"}, "id": "call_1"}
                ]
            },
        ]
    )

    def events(response):
        lines = [ln for ln in response.text.split("\n\n") if ln]
        assert lines[-1] == "data: [DONE]"
        return [json.loads(ln.removeprefix("data: ")) for ln in lines[:-1]]

    text = complete(http, [USER], stream=True, stream_options={"include_usage": True})
    assert text.headers["content-type"].startswith("text/event-stream")
    chunks = events(text)
    assert "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    ) == ("Dạ còn hàng ạ")
    assert (
        chunks[-1]["usage"]["total_tokens"] > 0
        and chunks[-2]["choices"][0]["finish_reason"] == "stop"
    )

    calls = events(complete(http, [USER], tools=[SEARCH], stream=True))
    deltas = [c["choices"][0]["delta"] for c in calls]
    arguments = "".join(
        d["tool_calls"][0]["function"].get("arguments", "") for d in deltas if "tool_calls" in d
    )
    assert json.loads(arguments) == {"query": "dép"}
    assert calls[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_timeouts_and_5xx_faults(llm):
    llm.set_script(["a", "b"])
    with httpx.Client(
        transport=FaultyTransport(llm.wsgi_app, llm.faults),
        base_url="https://x/v1",
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    ) as client:
        llm.faults.timeout_next(1)
        with pytest.raises(httpx.ConnectTimeout):
            complete(client, [USER])
        llm.faults.fail_next(1, 502)
        assert complete(client, [USER]).status_code == 502
        assert complete(client, [USER]).json()["choices"][0]["message"]["content"] == "a"


def test_control_api(http, llm):
    steps = [{"tool_calls": [{"name": "search_products", "arguments": {"query": "x"}}]}, "xong"]
    assert http.post(ROOT + "/_emulator/script", json={"steps": steps}).json() == {
        "ok": True,
        "left": 2,
    }
    assert (
        http.post(ROOT + "/_emulator/script", json={"steps": [{"nothing": 1}]}).status_code == 400
    )
    assert len(http.get(ROOT + "/_emulator/script").json()["steps"]) == 2
    complete(http, [USER], tools=[SEARCH])
    recorded = http.get(ROOT + "/_emulator/requests").json()["requests"]
    assert recorded[0]["body"]["tools"][0]["function"]["name"] == "search_products"
    assert recorded[0]["step"]["tool_calls"][0]["name"] == "search_products"
    assert (
        http.post(ROOT + "/_emulator/reset").json()["ok"]
        and llm.script == []
        and llm.requests == []
    )
    assert http.get(ROOT + "/_emulator/state").json()["provider"] == "openai_compat"
