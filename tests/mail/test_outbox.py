"""The outbox end to end: rows written in a transaction, delivered by SMTP to a real aiosmtpd server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import outbox
from engine.db import transaction
from engine.outbox import DeliveryAttempt, OutboxMessage
from integrations.courier import Courier
from integrations.mail import SmtpTransport
from integrations.mailbox import MailboxTransport

MAIL_FROM = "CarePath <noreply@carepath.test>"
LINK = "https://carepath.test/confirm?token=abc&next=%2Fhome"


def smtp_courier(url: str) -> Courier:
    return Courier({outbox.EMAIL: SmtpTransport(url, MAIL_FROM, timeout=5)}, domain="carepath.test")


def queue_confirmation(sessions: sessionmaker[Session], to: str = "anna@example.org", **kwargs) -> int:
    with transaction(sessions) as session:
        row = outbox.enqueue(
            session,
            kind="confirm_email",
            to=to,
            locale="en",
            context={"name": "Anna", "link": LINK, "expires_hours": 24},
            **kwargs,
        )
        assert row is not None
        return row.id


def load(sessions: sessionmaker[Session], message_id: int) -> tuple[OutboxMessage, list[DeliveryAttempt]]:
    with sessions() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row, list(row.attempt_log)


def test_a_queued_confirmation_reaches_the_smtp_server_with_its_link_in_both_parts(
    sessions, clock, smtp_server
):
    message_id = queue_confirmation(sessions)

    report = outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp_server.received
    assert received.recipients == ["anna@example.org"]
    assert received.sender == "noreply@carepath.test"
    assert received.message["To"] == "anna@example.org"
    assert received.message["Subject"] == "Confirm your email"
    assert received.message["Message-ID"].startswith(f"<outbox.{message_id}.")
    assert LINK in received.part("plain")
    assert f'href="{LINK.replace("&", "&amp;")}"' in received.part("html")
    row, [attempt] = load(sessions, message_id)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, clock.current, None)
    assert attempt.ok and attempt.error is None and attempt.duration_ms >= 0


def test_a_sent_message_is_not_sent_again(sessions, clock, smtp_server):
    queue_confirmation(sessions)
    outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))
    clock.advance(hours=2)

    report = outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))

    assert report.total == 0
    assert len(smtp_server.received) == 1


def test_a_batch_goes_through_one_smtp_connection(sessions, clock, smtp_server):
    for n in range(5):
        queue_confirmation(sessions, to=f"patient{n}@example.org")

    report = outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))

    assert report.sent == 5
    assert len({r.peer for r in smtp_server.received}) == 1


def test_a_dedupe_key_keeps_a_second_message_out(sessions, clock):
    queue_confirmation(sessions, dedupe_key="monitoring:7:2026-03-02")
    with transaction(sessions) as session:
        again = outbox.enqueue(
            session,
            kind="confirm_email",
            to="anna@example.org",
            locale="en",
            context={},
            dedupe_key="monitoring:7:2026-03-02",
        )
        other_day = outbox.enqueue(
            session,
            kind="confirm_email",
            to="anna@example.org",
            locale="en",
            context={},
            dedupe_key="monitoring:7:2026-03-03",
        )

    assert again is None
    assert other_day is not None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_a_rolled_back_transaction_leaves_no_message(sessions, clock):
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        outbox.enqueue(session, kind="confirm_email", to="a@example.org", locale="en", context={})
        raise RuntimeError("the change that caused the message failed")

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_unknown_locale_or_channel_is_a_programming_error(sessions):
    with sessions() as session, pytest.raises(ValueError, match="locale"):
        outbox.enqueue(session, kind="confirm_email", to="a@example.org", locale="de", context={})
    with sessions() as session, pytest.raises(ValueError, match="channel"):
        outbox.enqueue(
            session, kind="confirm_email", to="a@example.org", locale="en", context={}, channel="fax"
        )


def test_an_unreachable_server_records_the_attempt_and_retries_later(sessions, clock, closed_smtp_url):
    message_id = queue_confirmation(sessions)

    report = outbox.deliver_due(sessions, lambda: smtp_courier(closed_smtp_url))

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    row, [attempt] = load(sessions, message_id)
    assert row.status == "queued"
    assert row.next_attempt_at == clock.current + outbox.BACKOFF[0]
    assert not attempt.ok
    assert "cannot connect to SMTP server 127.0.0.1" in attempt.error
    assert "refused" in attempt.error.lower()
    assert row.last_error == attempt.error
    # Not due before its backoff has passed.
    assert outbox.deliver_due(sessions, lambda: smtp_courier(closed_smtp_url)).total == 0


def test_after_the_last_attempt_the_message_is_failed_for_good(sessions, clock, closed_smtp_url):
    message_id = queue_confirmation(sessions)

    for wait in (*outbox.BACKOFF, None):
        assert outbox.deliver_due(sessions, lambda: smtp_courier(closed_smtp_url)).total == 1
        if wait is not None:
            clock.advance(wait)

    row, attempts = load(sessions, message_id)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert len(attempts) == outbox.MAX_ATTEMPTS and not any(a.ok for a in attempts)
    clock.advance(days=1)
    assert outbox.deliver_due(sessions, lambda: smtp_courier(closed_smtp_url)).total == 0


def test_a_message_that_failed_once_goes_out_when_the_server_is_back(
    sessions, clock, closed_smtp_url, smtp_server
):
    message_id = queue_confirmation(sessions)
    outbox.deliver_due(sessions, lambda: smtp_courier(closed_smtp_url))
    clock.advance(outbox.BACKOFF[0])

    report = outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))

    assert report.sent == 1
    row, attempts = load(sessions, message_id)
    assert row.status == "sent" and row.last_error is None
    assert [a.ok for a in attempts] == [False, True]


def test_a_refused_recipient_fails_at_once_without_retries(sessions, clock, smtp_server):
    message_id = queue_confirmation(sessions, to="refused@example.org")

    report = outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    row, [attempt] = load(sessions, message_id)
    assert row.status == "failed"
    assert "550" in attempt.error and "refused@example.org" in attempt.error


def test_a_message_whose_template_is_missing_fails_with_the_reason(sessions, clock, tmp_path):
    with transaction(sessions) as session:
        row = outbox.enqueue(session, kind="no_such_kind", to="a@example.org", locale="en", context={})
        assert row is not None
    courier = Courier({outbox.EMAIL: MailboxTransport(tmp_path, MAIL_FROM)}, domain="carepath.test")

    report = outbox.deliver_due(sessions, lambda: courier)

    assert report.failed == 1
    stored, [attempt] = load(sessions, row.id)
    assert stored.status == "failed"
    assert "no_such_kind" in attempt.error


def test_a_claim_left_by_a_deliverer_that_died_is_delivered_after_its_lease(sessions, clock, smtp_server):
    message_id = queue_confirmation(sessions)
    [claimed] = outbox.claim_due(sessions, 10)  # ... and the process stops here
    assert claimed.id == message_id

    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url)).total == 0
    clock.advance(outbox.CLAIM_LEASE)
    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url)).sent == 1
    assert len(smtp_server.received) == 1


def test_a_live_deliverers_renewed_claim_is_not_taken_and_a_settled_row_is_not_renewed(sessions, clock, smtp_server):
    lease = timedelta(seconds=10)
    sending, sent = queue_confirmation(sessions), queue_confirmation(sessions, to="boris@example.org")
    claimed = outbox.claim_due(sessions, 10, lease=lease)
    assert sorted(m.id for m in claimed) == sorted([sending, sent])
    with transaction(sessions) as session:  # the deliverer settled one of them
        session.get(OutboxMessage, sent).status = "sent"
    settled_at = load(sessions, sent)[0].next_attempt_at
    clock.advance(timedelta(seconds=7))

    outbox.renew_claims(sessions, [sending, sent], lease)  # its heartbeat

    assert load(sessions, sent)[0].next_attempt_at == settled_at
    assert load(sessions, sending)[0].next_attempt_at == clock.current + lease

    clock.advance(timedelta(seconds=7))  # past the first lease, within the renewed one
    assert outbox.claim_due(sessions, 10, lease=lease) == []
    clock.advance(lease)  # the deliverer died: the renewed lease runs out too
    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url), lease=lease).sent == 1
    assert load(sessions, sending)[0].status == "sent" and len(smtp_server.received) == 1


def test_an_admin_can_send_a_failed_message_again(sessions, clock, smtp_server):
    message_id = queue_confirmation(sessions, to="refused@example.org")
    outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url))
    with transaction(sessions) as session:
        session.get(OutboxMessage, message_id).recipient = "anna@example.org"
        outbox.retry_now(session, message_id)

    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url)).sent == 1
    row, attempts = load(sessions, message_id)
    assert row.status == "sent" and [a.ok for a in attempts] == [False, True]
    with sessions() as session:
        assert [m.id for m in outbox.recent(session)] == [message_id]


def test_two_deliverers_at_once_send_each_message_once(db_engine, sessions, clock, smtp_server):
    total = 60
    for n in range(total):
        queue_confirmation(sessions, to=f"patient{n}@example.org")
    start = threading.Barrier(4)
    reports: list[outbox.DeliveryReport] = []

    def deliverer() -> None:
        start.wait()
        while (report := outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url), limit=7)).total:
            reports.append(report)

    threads = [threading.Thread(target=deliverer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    recipients = [r.recipients[0] for r in smtp_server.received]
    assert sorted(recipients) == sorted(f"patient{n}@example.org" for n in range(total))
    assert sum(r.sent for r in reports) == total
    assert len(reports) > 4, "the batches should have been shared between the deliverers"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == total


def test_two_transactions_adding_the_same_dedupe_key_keep_one_message(db_engine, sessions, clock):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time, so the race cannot happen there")
    first = sessions()
    assert (
        outbox.enqueue(
            first, kind="confirm_email", to="a@example.org", locale="en", context={}, dedupe_key="k"
        )
        is not None
    )
    results: list[object] = []

    def second() -> None:
        with transaction(sessions) as session:
            # Waits for the first transaction to end, then sees the conflict.
            results.append(
                outbox.enqueue(
                    session, kind="confirm_email", to="a@example.org", locale="en", context={}, dedupe_key="k"
                )
            )

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second insert should wait for the first transaction"
    first.commit()
    first.close()
    thread.join(timeout=10)

    assert results == [None]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_deliver_due_sends_oldest_first_up_to_the_limit(sessions, clock, smtp_server):
    for n in range(3):
        queue_confirmation(sessions, to=f"p{n}@example.org")
        clock.advance(seconds=1)

    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url), limit=2).sent == 2
    assert [r.recipients[0] for r in smtp_server.received] == ["p0@example.org", "p1@example.org"]
    assert outbox.deliver_due(sessions, lambda: smtp_courier(smtp_server.url), limit=2).sent == 1


def test_messages_wait_until_they_are_due(sessions, clock, smtp_server):
    queue_confirmation(sessions)
    early = clock.current - timedelta(seconds=1)

    assert outbox.claim_due(sessions, 10, now=early) == []
