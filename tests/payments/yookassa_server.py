"""A local HTTP server on 127.0.0.1 that answers as YooKassa's API v3 documents (payments, capture,
refunds, Basic auth by shop id and secret key, Idempotence-Key), for tests of the YooKassa provider.

Tests steer it: `next_status` (the status a new payment gets), `settle(id, status)` (what the payer did),
`delay` (seconds before answering: a timeout) and read `requests` (method, path, headers, body).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeYooKassa:
    def __init__(self, shop_id: str = "123456", secret_key: str = "test_secret_abc") -> None:
        self.shop_id, self.secret_key = shop_id, secret_key
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.next_status = "pending"
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def __enter__(self) -> FakeYooKassa:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settle(self, payment_id: str, status: str) -> None:
        with self.lock:
            payment = self.payments[payment_id]
            payment["status"] = status
            payment["paid"] = status in ("succeeded", "waiting_for_capture")

    def notification(self, payment_id: str, event: str = "payment.succeeded") -> bytes:
        """The body YooKassa posts to the webhook (the object as it was when it was sent)."""
        return json.dumps({"type": "notification", "event": event, "object": self.payments[payment_id]}).encode()

    # --- the API --------------------------------------------------------------------------------
    def _answer(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        expected = "Basic " + base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"type": "error", "code": "invalid_credentials", "description": "Authentication failed"}
        parts = path.strip("/").split("/")[1:]  # after "v3"
        key = headers.get("idempotence-key", "")
        if method == "POST" and not key:
            return 400, {"type": "error", "code": "invalid_request", "description": "Idempotence-Key is required"}
        with self.lock:
            if method == "POST" and key in self.by_key:
                return 200, self.by_key[key]
            if parts == ["payments"] and method == "POST":
                answer = self._create(body)
            elif len(parts) == 2 and parts[0] == "payments" and method == "GET":
                found = self.payments.get(parts[1])
                return (200, found) if found else (404, {"type": "error", "code": "not_found"})
            elif len(parts) == 3 and parts[2] == "capture" and method == "POST":
                payment = self.payments.get(parts[1])
                if payment is None or payment["status"] != "waiting_for_capture":
                    return 400, {"type": "error", "code": "invalid_request", "description": "not capturable"}
                payment.update(status="succeeded", paid=True, captured_at="2026-12-07T10:00:00.000Z")
                answer = payment
            elif parts == ["refunds"] and method == "POST":
                payment = self.payments.get(str(body.get("payment_id")))
                if payment is None or payment["status"] != "succeeded":
                    return 400, {"type": "error", "code": "invalid_request", "description": "not refundable"}
                answer = {"id": str(uuid.uuid4()), "payment_id": payment["id"], "status": "succeeded",
                          "amount": body["amount"], "created_at": "2026-12-07T10:00:00.000Z"}
                self.refunds[answer["id"]] = answer
                payment["refunded_amount"] = body["amount"]
            else:
                return 404, {"type": "error", "code": "not_found"}
            self.by_key[key] = answer
            return 200, answer

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        payment_id = str(uuid.uuid4())
        payment = {
            "id": payment_id, "status": self.next_status, "paid": self.next_status != "pending",
            "amount": body["amount"], "description": body.get("description", ""),
            "recipient": {"account_id": self.shop_id, "gateway_id": "1"},
            "created_at": "2026-12-07T10:00:00.000Z", "test": True, "refundable": False,
            "metadata": body.get("metadata", {}),
            "confirmation": {"type": "redirect", "return_url": body["confirmation"]["return_url"],
                             "confirmation_url": f"{self.url[:-3]}/checkout/{payment_id}"},
        }
        self.payments[payment_id] = payment
        return payment

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append({"method": method, "path": self.path, "headers": headers, "body": body})
                if fake.delay:
                    time.sleep(fake.delay)
                if self.path.startswith("/checkout/"):
                    # The payment form: the payer "pays" by opening it, and goes back to the shop.
                    payment = fake.payments.get(self.path.rsplit("/", 1)[-1])
                    if payment is None:
                        self.send_response(404)
                        self.end_headers()
                        return
                    fake.settle(payment["id"], fake.checkout_status)
                    self.send_response(302)
                    self.send_header("Location", payment["confirmation"]["return_url"])
                    self.end_headers()
                    return
                status, answer = fake._answer(method, self.path.split("?")[0], headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        return Handler

    checkout_status = "succeeded"
