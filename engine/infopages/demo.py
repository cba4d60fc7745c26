"""The demo's information pages: how to book, how to join a consultation, contacts. The registry, the
device check, the consultation pages and the feedback form link to these addresses when they exist, so a
fresh `make run` shows those links and the menu entries. Written once; a manager's later edits are kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import User
from engine.infopages import service
from engine.infopages.models import InfoPage

HOW_TO_BOOK = {
    "title_ru": "Как записаться на приём",
    "title_en": "How to book an appointment",
    "body_ru": """Записаться можно без регистрации или из личного кабинета.

1. Откройте **Запись на приём** и выберите учреждение.
2. Выберите специальность и врача. Время показано по часам учреждения: его часовой пояс указан рядом.
3. Нажмите на свободное время и проверьте данные на следующей странице.
4. Введите код подтверждения, который придёт по почте или SMS. Время держится за вами один час.
5. Талон можно распечатать или сохранить; ссылка для отмены есть в письме и в кабинете.

Если вы не можете прийти, отмените запись: время освободится для другого пациента.""",
    "body_en": """You can book without an account or from your personal cabinet.

1. Open **Book an appointment** and choose the institution.
2. Choose the specialty and the doctor. Times are on the institution's clock; its time zone is shown
   next to them.
3. Click a free time and check the details on the next page.
4. Enter the confirmation code sent by email or SMS. The time is held for you for one hour.
5. Print or save the ticket; the cancellation link is in the email and in your cabinet.

If you cannot come, cancel the booking so that another patient can take the time.""",
}

HOW_TO_JOIN = {
    "title_ru": "Как подключиться к онлайн-консультации",
    "title_en": "How to join an online consultation",
    "body_ru": """Подготовьтесь заранее:

- Проверьте камеру, микрофон и браузер на странице проверки оборудования (ссылка есть на странице
  консультации) за день до неё.
- Подпишите информированное согласие: без него консультация не начнётся.
- Держите под рукой документы и результаты анализов, о которых просил врач.

В назначенное время откройте консультацию в личном кабинете. Кнопка **«Онлайн-приём: войти»**
становится доступной за 10 минут до начала; напоминания придут за сутки и перед началом.

Если связь прервалась, нажмите кнопку ещё раз. Если подключиться не удаётся, напишите нам через
**Обратную связь** в меню.""",
    "body_en": """Get ready in advance:

- Check your camera, microphone and browser on the device check page (linked from the consultation's
  page) the day before.
- Sign the informed consent: the consultation cannot start without it.
- Keep at hand the documents and test results the doctor asked for.

At the appointed time open the consultation in your cabinet. The **Join the video consultation** button
becomes available 10 minutes before the start; reminders come the day before and just before the start.

If the connection drops, press the button again. If you cannot connect, write to us through **Feedback**
in the menu.""",
}

CONTACTS = {
    "title_ru": "Контакты",
    "title_en": "Contacts",
    "body_ru": """**Контакт-центр:** +7 (800) 000-00-00 (звонок бесплатный), ежедневно с 8:00 до 20:00 по
московскому времени.

**Электронная почта:** support@example.org

Вопросы о записи, консультациях и технических трудностях можно также задать через **Обратную связь** в
меню: ответ придёт на вашу почту.""",
    "body_en": """**Call centre:** +7 (800) 000-00-00 (free of charge), daily from 8:00 to 20:00 Moscow
time.

**Email:** support@example.org

Questions about bookings, consultations and technical problems can also be sent through **Feedback** in
the menu: the answer comes to your email.""",
}

PAGES = ((service.HOW_TO_BOOK, HOW_TO_BOOK), (service.HOW_TO_JOIN, HOW_TO_JOIN), (service.CONTACTS, CONTACTS))


def load_infopages_demo(session: Session, manager: User) -> None:
    """Create the pages that do not exist yet, written by the demo manager; the caller commits."""
    for position, (slug, fields) in enumerate(PAGES, start=1):
        if session.scalar(select(InfoPage.id).where(InfoPage.slug == slug)) is None:
            service.create(session, slug, fields, in_menu=True, position=position, actor_id=manager.id)
