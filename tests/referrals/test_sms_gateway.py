"""The HTTP SMS gateway against a real local HTTP server speaking the SMS.ru-style protocol."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.config import load_settings
from integrations.base import RenderedMessage, TransportError
from integrations.courier import courier_for
from integrations.sms import HttpSmsGateway, SmsMailboxTransport


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, list[str]]] = []
    answer: tuple[int, dict] = (200, {"status": "OK"})

    def do_POST(self):  # noqa: N802 - http.server hook name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        fields = urllib.parse.parse_qs(body)
        fields["authorization"] = [self.headers.get("Authorization", "")]
        Gateway.received.append(fields)
        code, payload = Gateway.answer
        if payload.get("status") == "OK":
            number = fields["to"][0]
            payload = {"status": "OK", "sms": {number: payload.get("per_number", {"status": "OK", "sms_id": "1"})}}
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.received, Gateway.answer = [], (200, {"status": "OK"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    server.shutdown()


def sms(to: str = "+79123456789") -> RenderedMessage:
    return RenderedMessage(subject="", text="Код для входа: 123456\n", html="", to=to)


def test_an_sms_is_posted_with_the_token_number_and_text(gateway):
    HttpSmsGateway(gateway, "secret-token").send(sms())

    [fields] = Gateway.received
    assert fields["to"] == ["79123456789"] and fields["msg"] == ["Код для входа: 123456"]
    assert fields["api_id"] == ["secret-token"] and fields["authorization"] == ["Bearer secret-token"]


def test_a_number_the_gateway_refuses_fails_for_good(gateway):
    Gateway.answer = (200, {"status": "OK", "per_number": {"status": "ERROR", "status_text": "Неверный номер"}})

    with pytest.raises(TransportError) as caught:
        HttpSmsGateway(gateway, "t").send(sms())

    assert caught.value.permanent and "Неверный номер" in caught.value.message


def test_a_wrong_token_fails_for_good_and_a_gateway_error_is_retried(gateway):
    Gateway.answer = (200, {"status": "ERROR", "status_text": "Неправильный api_id"})
    with pytest.raises(TransportError) as refused:
        HttpSmsGateway(gateway, "t").send(sms())
    Gateway.answer = (503, {"status": "ERROR"})
    with pytest.raises(TransportError) as down:
        HttpSmsGateway(gateway, "t").send(sms())

    assert refused.value.permanent and not down.value.permanent


def test_an_unreachable_gateway_is_a_temporary_failure():
    with pytest.raises(TransportError) as caught:
        HttpSmsGateway("http://127.0.0.1:9/sms", "t", timeout=2).send(sms())

    assert not caught.value.permanent


def test_the_courier_uses_the_gateway_only_when_one_is_configured(tmp_path, gateway):
    with_gateway = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path), "CAREPATH_SMS_GATEWAY_URL": gateway,
                                  "CAREPATH_SMS_GATEWAY_TOKEN": "t"})  # fmt: skip
    without = load_settings({"CAREPATH_INSTANCE_PATH": str(tmp_path)})

    assert isinstance(courier_for(with_gateway).transports["sms"], HttpSmsGateway)
    assert isinstance(courier_for(without).transports["sms"], SmsMailboxTransport)
