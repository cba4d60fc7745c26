"""The mails of a booking as the person reads them: through the pathway, the outbox and the real templates into
the local mailbox (where the browser test and an admin read them)."""

from __future__ import annotations

from engine import outbox
from engine.registry.booking import submit_code
from engine.registry.models import T_CONFIRMED
from integrations.courier import Courier
from integrations.mailbox import Mailbox, MailboxTransport
from tests.registry.conftest import book_anonymously, code_of, sent, slots_of


def test_after_a_wrong_code_the_confirmation_mail_still_carries_the_cancel_link(sessions, clinic, connectors,
                                                                                 tmp_path):
    """The browser test's path: a wrong code loops back to the code entry, the right one confirms. The data
    the booking started with (base_url) reaches the ticket mail across both loops of the code entry and the
    joins in front of the code entry and the confirmation. The code mail names the same ticket in its subject
    ("Confirmation code for ticket No. N") and lands first: only the subject's start tells the two apart."""
    slot = slots_of(sessions, clinic.therapist_post)[1]
    booked = book_anonymously(sessions, connectors, slot.id)
    right = code_of(sent(sessions, "ticket_code")[0])
    submit_code(sessions, booked.ticket_id, "000000" if right != "000000" else "111111", connectors)
    confirmed = submit_code(sessions, booked.ticket_id, right, connectors)
    assert confirmed.status == T_CONFIRMED

    outbox.deliver_due(sessions, lambda: Courier({outbox.EMAIL: MailboxTransport(tmp_path, "registry@carepath.test")},
                                                 domain="carepath.test"))
    box = Mailbox(tmp_path)
    by_subject = {entry.subject: box.get_message(entry.id) for entry in box.list_messages()}
    cancel_link = f"http://portal.test/registry/cancel?number={confirmed.number}"
    [ticket_subject] = [s for s in by_subject if s.startswith(f"Ticket No. {confirmed.number}: ")]
    assert cancel_link in by_subject[ticket_subject].text and cancel_link in by_subject[ticket_subject].html
    [code_subject] = [s for s in by_subject if s != ticket_subject]
    assert code_subject == f"Confirmation code for ticket No. {confirmed.number}"
    assert cancel_link not in by_subject[code_subject].text
