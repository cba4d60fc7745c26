"""Outbox delivery as Prefect runs it, against the test harness, and its task logic with `.fn()`."""

from __future__ import annotations

from engine import outbox
from engine.db import transaction
from integrations.mailbox import Mailbox
from workflows import notifications
from workflows.dispatch import deliver_now
from workflows.resources import session_factory


def queue(settings, n: int = 1) -> None:
    with transaction(session_factory(settings.database_url)) as session:
        for i in range(n):
            outbox.enqueue(
                session,
                kind="confirm_email",
                to=f"patient{i}@example.org",
                locale="en",
                context={"name": "Anna", "link": f"https://carepath.test/confirm/{i}", "expires_hours": 24},
            )


def test_the_deliver_outbox_flow_run_puts_queued_mail_in_the_mailbox(prefect_harness, instance):
    queue(instance, 3)

    result = notifications.deliver_outbox()

    assert result == {"sent": 3, "retried": 0, "failed": 0}
    entries = Mailbox(instance.mailbox_path).list_messages()
    assert [e.subject for e in entries] == ["Confirm your email"] * 3
    assert (
        "https://carepath.test/confirm/0" in Mailbox(instance.mailbox_path).get_message(entries[-1].id).text
    )


def test_the_flow_works_through_the_queue_in_batches(prefect_harness, instance):
    queue(instance, 5)

    assert notifications.deliver_outbox(limit=2) == {"sent": 5, "retried": 0, "failed": 0}


def test_the_batch_task_logic_runs_without_prefect(instance):
    queue(instance, 2)

    report = notifications.deliver_batch.fn(limit=10)

    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert notifications.deliver_batch.fn(limit=10).total == 0


def test_deliver_now_delivers_everything_due_in_process(instance):
    queue(instance, 3)

    report = deliver_now(instance)

    assert report.sent == 3
    assert len(Mailbox(instance.mailbox_path).list_messages()) == 3
