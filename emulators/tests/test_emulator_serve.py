import argparse

from emulators import serve


def test_build_wires_callbacks_and_secret():
    ns = argparse.Namespace(
        callback_base="http://127.0.0.1:8000/",
        no_webhooks=False,
        seed=3,
        secret="xyz",
        fail_rate=0.0,
        vtp_token="demo-vtp-token",
    )
    ghn, vtp = serve.build(ns)
    assert ghn.webhooks.target == "http://127.0.0.1:8000/shipping/webhooks/ghn/"
    assert vtp.webhooks.target == "http://127.0.0.1:8000/shipping/webhooks/viettelpost/"
    assert ghn.webhook_secret == vtp.webhook_secret == "xyz"
    assert "demo-ghn-token" in ghn.accounts and 885 in ghn.accounts["demo-ghn-token"]
    assert vtp.user_for("demo-vtp-token") == "demo@donhang.vn"
