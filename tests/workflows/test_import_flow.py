"""The referral import as Prefect runs it (against the test harness), on a temporary instance with the
stand-in `consultation_referral` pathway: a queued table becomes patients with started pathways, whether
the real task worker runs it after the manager's wake or the sweep flow finds it waiting, and a second
sweep does nothing twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.accounts.models import User
from engine.composition import build_connectors
from engine.config import load_settings
from engine.db import transaction
from engine.referrals import models as m
from engine.referrals import service
from engine.referrals.models import ReferralImport, ReferralRow
from engine.workflow import sync_folder
from engine.workflow.models import ProcessInstance
from tests.referrals.conftest import ROWS, STUB, count, csv_table, make_staff, preview
from tests.workflows.conftest import wait_until
from workflows import sweep
from workflows.resources import session_factory

EXPECTED = {"rows": 3, "invalid": 0, "created": 3, "updated": 0, "matched": 0, "started": 3, "skipped": 0,
            "pending": 0}  # fmt: skip


@pytest.fixture
def sessions(instance):
    """The instance's database, the one the flow run opens through its settings."""
    factory = session_factory(instance.database_url)
    result = sync_folder(factory, STUB, connectors=build_connectors(instance))
    assert not result.failed, result.failed
    return factory


def queued_import(sessions) -> int:
    manager = make_staff(sessions, "manager@test.org", "manager")
    import_id = preview(sessions, manager, csv_table(ROWS))
    with transaction(sessions) as session:
        service.queue_import(session, session.get(User, manager.id), import_id)
    return import_id


def assert_imported(sessions, import_id: int) -> None:
    with sessions() as session:
        batch = session.get(ReferralImport, import_id)
        assert (batch.status, batch.done, batch.valid) == (m.DONE, 3, 3)
        rows = session.scalars(select(ReferralRow).where(ReferralRow.import_id == import_id)).all()
        instances = [session.get(ProcessInstance, row.instance_id) for row in rows]
        assert [i.process_model_id for i in instances] == ["consultation_referral"] * 3
        assert sorted(i.patient_id for i in instances) == sorted(row.patient_id for row in rows)
        emails = session.scalars(select(User.email).where(User.id.in_([row.patient_id for row in rows]))).all()
        assert sorted(emails) == ["anna@example.ru", "oleg@example.ru", "vera@example.ru"]


def test_the_task_worker_runs_the_import_a_manager_confirmed(task_worker, sessions, instance):
    from workflows.enqueue import RUN_IMPORT, wake

    import_id = queued_import(sessions)

    assert wake(load_settings(), RUN_IMPORT, import_id=import_id)

    def finished():
        with sessions() as session:
            return session.get(ReferralImport, import_id).status == m.DONE

    wait_until(finished, timeout=120)
    assert_imported(sessions, import_id)


def test_the_sweep_runs_a_waiting_import_whose_wake_was_lost_and_the_next_sweep_does_nothing(prefect_harness, sessions):
    import_id = queued_import(sessions)

    first = sweep.sweep()["imports"]
    second = sweep.sweep()["imports"]

    assert first == {import_id: EXPECTED}
    assert second == {}
    assert_imported(sessions, import_id)
    assert count(sessions, ProcessInstance) == 3
