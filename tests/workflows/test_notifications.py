"""Outbox delivery through Prefect's real task worker (against the test harness): a commit that queued
mail wakes the `deliver-messages` background task, which puts the mail in the mailbox; with the Prefect
server down the commit is not held up and nothing is lost: the sweep flow delivers it once Prefect is back."""

from __future__ import annotations

import logging

from engine import outbox
from engine.config import load_settings
from engine.db import transaction
from integrations.mailbox import Mailbox
from tests.mail.conftest import free_port
from tests.workflows.conftest import wait_until
from workflows import enqueue, sweep
from workflows.dispatch import deliver_now
from workflows.resources import session_factory


def queue(settings, n: int = 1, prefix: str = "patient") -> None:
    with transaction(session_factory(settings.database_url)) as session:
        for i in range(n):
            outbox.enqueue(
                session,
                kind="confirm_email",
                to=f"{prefix}{i}@example.org",
                locale="en",
                context={"name": "Anna", "link": f"https://carepath.test/confirm/{i}", "expires_hours": 24},
            )


def mailbox(settings) -> list:
    return Mailbox(settings.mailbox_path).list_messages()


def test_a_commit_that_queued_mail_wakes_the_task_worker_which_delivers_it(task_worker, instance):
    settings = load_settings()
    enqueue.wake_after_commit(session_factory(settings.database_url), settings)

    queue(settings, 3)

    entries = wait_until(lambda: len(mailbox(instance)) == 3 and mailbox(instance))
    assert [e.subject for e in entries] == ["Confirm your email"] * 3
    assert "https://carepath.test/confirm/0" in Mailbox(instance.mailbox_path).get_message(entries[-1].id).text


def test_with_prefect_down_the_commit_goes_through_and_the_sweep_delivers_once_prefect_is_back(
    prefect_harness, instance, caplog
):
    caplog.set_level(logging.WARNING, logger="workflows.enqueue")
    down = load_settings({"CAREPATH_INSTANCE_PATH": str(instance.instance_path),
                          "CAREPATH_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"})
    sessions = session_factory(down.database_url)
    enqueue.wake_after_commit(sessions, down)
    failed_before = enqueue.ENQUEUER.failed

    queue(down, 2, prefix="while-down")  # commits; the wake goes to a thread and fails there
    assert enqueue.ENQUEUER.drain(120)

    assert enqueue.ENQUEUER.failed == failed_before + 1
    assert "the sweep will pick it up" in caplog.text
    assert mailbox(instance) == []
    with sessions() as session:
        assert {m.status for m in outbox.recent(session)} == {outbox.QUEUED}

    result = sweep.sweep()  # Prefect is back (the harness): the scheduled sweep runs as a real flow run

    assert result["outbox"] == {"sent": 2, "retried": 0, "failed": 0}
    assert sorted(e.to for e in mailbox(instance)) == ["while-down0@example.org", "while-down1@example.org"]
    assert sweep.sweep()["outbox"] == {"sent": 0, "retried": 0, "failed": 0}  # nothing twice


def test_without_a_prefect_api_a_wake_does_nothing(instance):
    assert enqueue.wake(instance, enqueue.DELIVER_MESSAGES) is False


def test_deliver_now_delivers_everything_due_in_process(instance):
    queue(instance, 3)

    report = deliver_now(instance)

    assert report.sent == 3
    assert len(Mailbox(instance.mailbox_path).list_messages()) == 3


def test_retention_deletes_finished_background_task_runs_through_the_real_api(task_worker, instance):
    import asyncio
    from datetime import timedelta

    from workflows.retention import delete_old_background_task_runs

    settings = load_settings()
    enqueue.wake_after_commit(session_factory(settings.database_url), settings)
    queue(settings, 1, prefix="kept-briefly")
    wait_until(lambda: len(mailbox(instance)) == 1)

    from prefect.settings import PREFECT_API_URL, temporary_settings

    def deleted() -> int:  # everything finished before now counts as old
        # On the task worker's server by name: an earlier test of the session may leave another API URL set.
        with temporary_settings({PREFECT_API_URL: task_worker}):
            return asyncio.run(delete_old_background_task_runs(timedelta(0)))

    assert wait_until(deleted, timeout=60, step=0.5) >= 1  # once the run is recorded as finished
    assert deleted() == 0
