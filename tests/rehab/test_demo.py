"""The demo course loads through the pathway and only once."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.db import transaction
from engine.demo import ensure_demo_accounts
from engine.messaging.models import Conversation
from engine.rehab.demo import load_rehab_demo
from engine.rehab.models import RecommendedVideo, RehabClass, RehabCourse
from engine.workflow import deploy_model
from tests.rehab.conftest import model_files


def test_the_demo_course_is_loaded_once_with_classes_videos_and_correspondence(sessions, clock, connectors):
    with transaction(sessions) as session:
        deploy_model(session, "rehab_course", model_files(), connectors=connectors)
        ensure_demo_accounts(session, "demo password")
    first = load_rehab_demo(sessions, connectors)
    assert first is not None and load_rehab_demo(sessions, connectors) == first
    with transaction(sessions) as session:
        assert session.scalar(select(func.count(RehabCourse.id))) == 1
        assert session.scalar(select(func.count(RehabClass.id))) == 4
        assert session.scalar(select(func.count(RecommendedVideo.id))) == 2
        assert session.scalar(select(func.count(Conversation.id))) == 1
