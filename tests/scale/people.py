"""Simulated people for the several-hosts test and bench/scale.py: locust used as a library, in a process
of its own (locust patches the standard library with gevent, which the test process must not get).

    python tests/scale/people.py CONFIG.json RESULT.json

CONFIG: {"hosts": [web URLs], "users": N, "seconds": S, "spawn_rate": R, "patients": [emails],
"password": "...", "slots": [slot ids], "newcomers": fraction, "mix": "full" | "browse",
"think_seconds": [min, max] between one action and the next (default 5–15)}.
Each person picks one of the web hosts for every request, so a session started on one host goes on on
another. RESULT: request counts, server errors, connections dropped without an answer, p50/p95,
requests/s, and every uploaded document (owner, id, sha256) for the checks afterwards.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import sys
import time
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.scale.pdf import small_pdf  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASK_LINK = re.compile(r'href="(/tasks/\d+/[0-9a-f-]{36})"')
MY_DOCUMENT = re.compile(r'href="/consultations/documents/(\d+)"')
CONCLUSION = re.compile(r'href="(/history/document/\d+\.pdf)"')

CONFIG: dict[str, Any] = json.loads(open(sys.argv[1]).read()) if len(sys.argv) > 2 else {}
ACCOUNTS = itertools.cycle(CONFIG.get("patients", []))
NEWCOMERS = itertools.count()
ARRIVALS = itertools.count()
SERVER_ERRORS: list[str] = []
DROPPED: list[str] = []
UPLOADED: list[dict[str, Any]] = []
DOWNLOADED: list[str] = []


@events.request.add_listener
def _count_server_errors(name: str, response: Any, exception: Any, **_: Any) -> None:
    status = getattr(response, "status_code", 0) if response is not None else 0
    if status >= 500:
        SERVER_ERRORS.append(f"{status} {name}")
    elif not status and exception is not None:  # refused, reset or closed without an answer
        DROPPED.append(f"{name}: {exception!r}"[:300])


# People read a page before they act: several seconds between actions, as the "simulated people"
# (not a request generator flooding the hosts; bench/scale.py may choose shorter thinking for throughput).
THINK_SECONDS = tuple(CONFIG.get("think_seconds", (5.0, 15.0)))


class Person(HttpUser):
    wait_time = between(*THINK_SECONDS)
    host = CONFIG.get("hosts", ["http://127.0.0.1"])[0]

    def url(self, path: str) -> str:
        return random.choice(CONFIG["hosts"]) + path

    def token(self, path: str, name: str | None = None) -> str | None:
        page = self.client.get(self.url(path), name=name or path)
        found = CSRF.search(page.text)
        return found.group(1) if found else None

    def on_start(self) -> None:
        self.email = ""
        # Each person first goes once through the whole journey, in order, then does what people do
        # most (weighted tasks below), so every action happens even when the machine is slow.
        self.journey = [self.book, self.complete_task, self.upload, self.conclusions]
        if CONFIG.get("mix") == "browse":
            return
        share = CONFIG.get("newcomers", 0.15)
        # Every n-th person arriving is new (the first one included), the others have accounts.
        if share and next(ARRIVALS) % max(1, round(1 / share)) == 0:
            self.register()
        else:
            self.login(next(ACCOUNTS))

    def register(self) -> None:
        email = f"newcomer-{os.getpid()}-{next(NEWCOMERS)}-{random.randrange(10**9)}@example.org"
        token = self.token("/account/register")
        form = {"csrf_token": token, "last_name": "Новиков", "first_name": "Пётр", "birth_date": "1985-03-04",
                "email": email, "phone": "+79990001122", "password": CONFIG["password"],
                "password_again": CONFIG["password"], "consent": "y"}
        self.client.post(self.url("/account/register"), data=form, name="/account/register [POST]")

    def login(self, email: str) -> None:
        token = self.token("/account/login")
        answer = self.client.post(self.url("/account/login"), name="/account/login [POST]",
                                  data={"csrf_token": token, "email": email, "password": CONFIG["password"]})
        if answer.ok and "/account/login" not in answer.url:
            self.email = email

    @task
    def act(self) -> None:
        if self.journey:
            self.journey.pop(0)()
            return
        choice = random.choices([self.browse, self.book, self.complete_task, self.upload, self.conclusions],
                                weights=[3, 2, 2, 2, 2])[0]
        choice()

    def browse(self) -> None:
        self.client.get(self.url("/registry/"), name="/registry/")
        if self.email:
            self.client.get(self.url("/cabinet/"), name="/cabinet/")

    def book(self) -> None:
        if not self.email or not CONFIG.get("slots"):
            return
        slot = random.choice(CONFIG["slots"])
        token = self.token(f"/registry/book/{slot}", "/registry/book/[slot]")
        if token:
            self.client.post(self.url(f"/registry/book/{slot}"), data={"csrf_token": token},
                             name="/registry/book/[slot] [POST]")

    def complete_task(self) -> None:
        if not self.email:
            return
        inbox = self.client.get(self.url("/tasks/"), name="/tasks/")
        for link in TASK_LINK.findall(inbox.text)[:1]:
            token = self.token(link, "/tasks/[task]")
            if token:
                self.client.post(self.url(link), data={"csrf_token": token}, name="/tasks/[task] [POST]")

    def upload(self) -> None:
        if not self.email:
            return
        token = self.token("/consultations/documents")
        data = small_pdf(f"{self.email} {time.time_ns()} {random.random()}")
        answer = self.client.post(self.url("/consultations/documents"), data={"csrf_token": token},
                                  files={"files": ("выписка.pdf", data, "application/pdf")},
                                  name="/consultations/documents [POST]")
        if answer.ok:
            ids = MY_DOCUMENT.findall(answer.text)
            if ids:  # newest first
                UPLOADED.append({"email": self.email, "id": int(ids[0]), "sha256": hashlib.sha256(data).hexdigest()})

    def conclusions(self) -> None:
        if not self.email:
            return
        page = self.client.get(self.url("/history/"), name="/history/")
        for link in CONCLUSION.findall(page.text)[:1]:
            with self.client.get(self.url(link), name="/history/document/[id].pdf", catch_response=True) as pdf:
                if pdf.ok and not pdf.content.startswith(b"%PDF"):
                    pdf.failure("not a PDF")
                elif pdf.ok:
                    DOWNLOADED.append(link)


def main() -> int:
    result_path = sys.argv[2]
    env = Environment(user_classes=[Person], events=events)
    runner = env.create_local_runner()
    runner.start(CONFIG["users"], spawn_rate=CONFIG["spawn_rate"])
    gevent.spawn_later(CONFIG["seconds"], runner.quit)
    runner.greenlet.join()
    total = env.stats.total
    by_name = {f"{s.method} {s.name}": {"requests": s.num_requests, "failures": s.num_failures,
                                         "p95_ms": s.get_response_time_percentile(0.95)}
               for s in env.stats.entries.values()}
    result = {
        "requests": total.num_requests, "failures": total.num_failures,
        "failure_reasons": [f"{e.method} {e.name}: {e.error}" for e in env.stats.errors.values()][:50],
        "server_errors": SERVER_ERRORS, "dropped": DROPPED, "rps": total.num_requests / CONFIG["seconds"],
        "p50_ms": total.get_response_time_percentile(0.5), "p95_ms": total.get_response_time_percentile(0.95),
        "uploaded": UPLOADED, "downloaded": len(DOWNLOADED), "by_name": by_name,
    }
    with open(result_path, "w") as handle:
        json.dump(result, handle, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
