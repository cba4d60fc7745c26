"""Twenty people registering at the same moment all get in: none of them sees a 500 'database is locked'."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine.accounts.models import User
from engine.db import transaction
from engine.outbox import OutboxMessage
from tests.webui.test_accounts import REGISTRATION

PEOPLE = 20


def test_twenty_people_registering_at_once_all_succeed(app):
    start = threading.Barrier(PEOPLE)
    statuses: dict[int, int] = {}

    def person(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/account/register", data={**REGISTRATION, "email": f"person{n}@example.org"})
        statuses[n] = response.status_code

    threads = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == list(range(PEOPLE))
    assert set(statuses.values()) == {302}, statuses
    with transaction(app.extensions["carepath"].sessions) as session:
        assert session.scalar(select(func.count()).select_from(User)) == PEOPLE
        mails = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "confirm_email"))
        assert sorted(mails) == sorted(f"person{n}@example.org" for n in range(PEOPLE))
