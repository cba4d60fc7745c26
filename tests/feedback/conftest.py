"""The web app fixtures, and a captcha solved for real: the test fetches a challenge from the app and
finds the proof of work with the altcha library, as the widget does in a browser."""

from __future__ import annotations

import altcha
import pytest

from tests.webui.conftest import app, cast, client, settings  # noqa: F401


def solve(client) -> str:  # noqa: F811 - the client fixture's value
    challenge = altcha.Challenge.from_dict(client.get("/feedback/challenge").get_json())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


@pytest.fixture
def good_form() -> dict[str, str]:
    return {"topic": "question", "message": "How do I book a consultation with a cardiologist?",
            "name": "Maria", "email": "maria@example.org", "institution_id": ""}
