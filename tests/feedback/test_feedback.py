"""Feedback: a real captcha solution is accepted once and a replayed one refused; bad input says why and
stores nothing; the rate limit stops a flood; a manager answers, and the answer is kept and mailed."""

from __future__ import annotations

import altcha
import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.feedback.models import FeedbackMessage
from tests.feedback.conftest import solve
from tests.webui.conftest import login, make_user, outbox
from webui import create_app


def stored(app) -> list[FeedbackMessage]:
    with transaction(app.extensions["carepath"].sessions) as session:
        return list(session.scalars(select(FeedbackMessage).order_by(FeedbackMessage.id)))


def test_a_message_with_a_solved_captcha_is_kept_and_the_same_solution_is_refused_after(client, app, good_form):
    payload = solve(client)

    sent = client.post("/feedback/", data={**good_form, "altcha": payload})
    replayed = client.post("/feedback/", data={**good_form, "message": "Again", "altcha": payload})

    assert sent.status_code == 200 and "Thank you, your message is sent" in sent.text
    assert replayed.status_code == 400 and "This robot check has already been used" in replayed.text
    [row] = stored(app)
    assert (row.topic, row.email, row.status) == ("question", "maria@example.org", "new")


@pytest.mark.parametrize(("change", "says"), [
    ({"message": "   "}, "Please fill in: Message."),
    ({"topic": ""}, "Please choose a topic."),
    ({"message": "x" * 4001}, "Message is too long: at most 4000 characters."),
    ({"message": "Hello <script>alert(1)</script>"}, "please write plain text, without HTML tags such as &lt;script&gt;"),
    ({"name": "<img src=x onerror=alert(1)>"}, "Your name: please write plain text"),
    ({"email": "not an address"}, "Please enter an email address we can answer to"),
    ({"institution_id": "99999"}, "There is no such medical institution"),
])
def test_bad_input_is_explained_and_nothing_is_stored(client, app, good_form, change, says):
    response = client.post("/feedback/", data={**good_form, **change, "altcha": solve(client)})

    assert response.status_code == 400 and says in response.text
    assert stored(app) == []
    assert "How do I book" in response.text or "message" in change  # what was typed comes back


def test_a_missing_wrong_or_forged_captcha_is_refused(client, app, good_form):
    challenge = altcha.Challenge.from_dict(client.get("/feedback/challenge").get_json())
    wrong = altcha.Payload(challenge, altcha.Solution(counter=1, derived_key="ff" * 32)).to_base64()
    # A challenge the attacker made with their own secret and solved: the signature does not match ours.
    forged_challenge = altcha.create_challenge("PBKDF2/SHA-256", 10, key_prefix="0", hmac_secret="not ours")
    forged = altcha.Payload(forged_challenge, altcha.solve_challenge(forged_challenge)).to_base64()

    answers = [client.post("/feedback/", data={**good_form, "altcha": payload}) for payload in ("", wrong, forged, "%%%")]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert "Please confirm that you are not a robot" in answers[0].text
    assert all("The robot check failed" in a.text for a in answers[1:])
    assert stored(app) == []


def test_a_refused_form_does_not_spend_the_captcha(client, app, good_form):
    payload = solve(client)

    refused = client.post("/feedback/", data={**good_form, "message": "", "altcha": payload})
    fixed = client.post("/feedback/", data={**good_form, "altcha": payload})

    assert refused.status_code == 400 and fixed.status_code == 200 and len(stored(app)) == 1


def test_the_form_serves_the_self_hosted_widget_and_allows_its_workers(client):
    page = client.get("/feedback/")
    widget = client.get("/feedback/vendor/altcha.js")

    assert '<altcha-widget challenge="/feedback/challenge" name="altcha"' in page.text
    assert "worker-src 'self' blob: data:" in page.headers["Content-Security-Policy"]
    assert "https://" not in page.headers["Content-Security-Policy"]  # no third-party service
    assert widget.status_code == 200 and b'customElements.define("altcha-widget"' in widget.data


def test_a_manager_answers_and_the_answer_is_kept_and_mailed(client, app, cast, good_form):
    client.post("/feedback/", data={**good_form, "altcha": solve(client)})
    [row] = stored(app)
    make_user(app, "manager@test.org", "manager")

    login(client, cast.patient.email)
    assert client.get("/feedback/manage").status_code == 403
    client.post("/account/logout")
    login(client, "manager@test.org")
    inbox = client.get("/feedback/manage?status=new")
    empty = client.post(f"/feedback/manage/{row.id}", data={"answer": "  "})
    answered = client.post(f"/feedback/manage/{row.id}", data={"answer": "Open Consultations, then Apply."},
                           follow_redirects=True)
    again = client.post(f"/feedback/manage/{row.id}", data={"answer": "Twice?"})

    assert "How do I book a consultation" in inbox.text and "Waiting for an answer (1)" in inbox.text
    assert empty.status_code == 400 and "Please fill in: Answer." in empty.text
    assert "The answer is saved and sent to maria@example.org." in answered.text
    assert again.status_code == 400 and "already been answered" in again.text
    [kept] = stored(app)
    assert kept.status == "answered" and kept.answer == "Open Consultations, then Apply." and kept.answered_at
    [mail] = outbox(app, "feedback_answer")
    assert mail.recipient == "maria@example.org" and mail.context["answer"] == "Open Consultations, then Apply."


def test_the_rate_limit_stops_a_flood_of_messages(settings, db_engine, good_form):
    from engine.db import make_session_factory

    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True}, settings=settings)
    runtime = limited.extensions["carepath"]
    runtime.engine, runtime.sessions = db_engine, make_session_factory(db_engine)
    client = limited.test_client()

    codes = [client.post("/feedback/", data={**good_form, "message": f"Message {n}", "altcha": solve(client)}).status_code
             for n in range(6)]

    assert codes == [200] * 5 + [429]
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count(FeedbackMessage.id))) == 5
