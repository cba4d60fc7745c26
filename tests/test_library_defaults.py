"""No English a library brings with it reaches a Russian reader.

With the full demo loaded and Russian as the language, every page each demo person (and a visitor) reaches
is read, and every form on them is sent empty and with nonsense, so that validation messages show too. The
text a person sees or hears (page text, aria-label, title, alt, placeholder) must hold none of the
libraries' own sentences: Flask-Login's, WTForms' built-in messages, Flask-WTF's CSRF messages,
Werkzeug's error descriptions, and none of the raw technical words pages used to show (units, MIME types,
"KB"). tests/test_translations.py proves our own msgids are translated; this proves the ones we never
wrote are not shown."""

from __future__ import annotations

import html
import re
from pathlib import Path

import flask_login.config
import pytest
import werkzeug.exceptions
import wtforms
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from engine import roles
from engine.demo import demo_email
from tests.test_demo_pages import PASSWORD, demo_app, links  # noqa: F401 - demo_app is a fixture

CSRF_MESSAGES = ("The CSRF token is missing.", "The CSRF session token is missing.", "The CSRF token is invalid.",
                 "The CSRF token has expired.", "The CSRF tokens do not match.")
# Words pages showed raw before they went through the catalog and Babel (issue 19).
RAW_WORDS = (r"\bmmHg\b", r"\bkg\b", r"\bmmol/L\b", r"\d\s?KB\b", r"\bapplication/pdf\b", r"\bimage/(?:jpeg|png)\b",
             r"draft \(from v", r"no diagram to display")
FORM_PAGE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
SKIP_ACTIONS = ("/account/logout", "/lang/", "/delete", "/cancel", "/withdraw", "/claim", "/release", "/retry")
TEXT_INPUTS = {"text", "email", "password", "tel", "date", "number", "search", "url", "datetime-local", "time"}


def _placeholder_pattern(msgid: str) -> re.Pattern[str]:
    """A WTForms msgid as a pattern: its %(min)d and %(other_label)s may be anything."""
    parts = re.split(r"%\(\w+\)[sd]|%[sd]", msgid)
    return re.compile(r".{1,40}?".join(re.escape(part) for part in parts))


def library_defaults() -> list[tuple[str, re.Pattern[str]]]:
    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with pot.open("rb") as file:
        wtforms_ids = [m.id for m in read_po(file) if m.id]
    sentences = [flask_login.config.LOGIN_MESSAGE, flask_login.config.REFRESH_MESSAGE, *CSRF_MESSAGES]
    for message in wtforms_ids:
        sentences.extend(message if isinstance(message, tuple) else (message,))
    for code in (400, 403, 404, 405, 413, 429, 500):
        description = werkzeug.exceptions.default_exceptions[code].description or ""
        sentences.append(description.split(". ")[0])  # the first sentence is enough to recognise it
    found = [(text, _placeholder_pattern(text)) for text in sentences if len(text) > 6]
    return found + [(word, re.compile(word)) for word in RAW_WORDS]


def readable_text(page: str) -> str:
    """What a reader sees or a screen reader says: text nodes and the attributes read out."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # The inspector's raw data dumps (staff only) show an instance's data as stored, with its keys and
    # msgids ("unit": "mmHg"): data, not text of the page; its readable table is checked like any text.
    page = re.sub(r'<pre class="cp-data">.*?</pre>', " ", page, flags=re.S)
    spoken = re.findall(r'\s(?:aria-label|title|alt|placeholder)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *spoken]))


def english_defaults(page: str, defaults: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    text = readable_text(page)
    return [name for name, pattern in defaults if pattern.search(text)]


def form_submissions(path: str, page: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Each POST form with a field to fill, sent twice: all empty, then with text where numbers, dates and
    addresses belong (the two ways built-in validators speak)."""
    found = []
    for attributes, body in FORM_PAGE.findall(page):
        if 'method="post"' not in attributes.lower():
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        target = html.unescape(action.group(1)) if action else path
        if not target.startswith("/") or any(skip in target for skip in SKIP_ACTIONS):
            continue
        names: dict[str, str] = {}
        for tag, field in FIELD.findall(body):
            name = re.search(r'\bname="([^"]*)"', field)
            kind = (re.search(r'\btype="([^"]*)"', field) or re.search("()", "")).group(1).lower() or "text"
            if name and name.group(1) != "csrf_token" and (tag.lower() != "input" or kind in TEXT_INPUTS):
                names[name.group(1)] = kind
        if names:
            found.append((target, dict.fromkeys(names, ""), dict.fromkeys(names, "x")))
    return found


@pytest.fixture(scope="module")
def defaults():
    return library_defaults()


def test_the_list_of_library_defaults_is_real(defaults):
    names = [name for name, _ in defaults]

    assert "This field is required." in names and "Not a valid integer value." in names
    assert "Please log in to access this page." in names and "The CSRF token is missing." in names
    assert english_defaults("<p>Field must be between 2 and 30 characters long.</p>", defaults)
    assert english_defaults('<input aria-label="Invalid email address.">', defaults)
    assert english_defaults("<td>application/pdf, 12.5 KB</td>", defaults) == [r"\d\s?KB\b", r"\bapplication/pdf\b"]
    assert not english_defaults('<input accept="application/pdf"><p>Обязательное поле.</p>', defaults)


def test_a_visitor_sent_to_log_in_reads_russian(demo_app, defaults):  # noqa: F811
    client: FlaskClient = demo_app.test_client()
    page = client.get("/cabinet/", follow_redirects=True).get_data(as_text=True)

    assert "/account/login" in page and "Войти" in page
    assert english_defaults(page, defaults) == []


@pytest.mark.parametrize("role", [None, *roles.ROLES])
def test_no_page_or_form_of_a_demo_person_shows_a_library_default_in_english(demo_app, defaults, role):  # noqa: F811
    client: FlaskClient = demo_app.test_client()
    if role is None:
        start = client.get("/account/login")
        frontier = links(start.get_data(as_text=True)) | {"/account/login", "/account/register"}
    else:
        start = client.post("/account/login", data={"email": demo_email(role), "password": PASSWORD},
                            follow_redirects=True)
        assert "/account/logout" in start.get_data(as_text=True)
        frontier = links(start.get_data(as_text=True))
    seen: set[str] = set()
    pages: dict[str, str] = {}
    for _depth in range(2):
        found: set[str] = set()
        for path in sorted(frontier - seen):
            seen.add(path)
            response = client.get(path, follow_redirects=True)
            if response.mimetype == "text/html":
                pages[path] = response.get_data(as_text=True)
                found |= links(pages[path])
        frontier = found
    problems = [f"{path}: {english_defaults(page, defaults)}" for path, page in pages.items()
                if english_defaults(page, defaults)]
    sent = 0
    for path, page in pages.items():
        for target, empty, nonsense in form_submissions(path, page):
            for data in (empty, nonsense):
                answer = client.post(target, data=data, follow_redirects=True)
                sent += 1
                if answer.mimetype == "text/html" and english_defaults(answer.get_data(as_text=True), defaults):
                    problems.append(f"POST {target} {data}: {english_defaults(answer.get_data(as_text=True), defaults)}")

    assert len(pages) >= 3 and sent >= 1
    assert problems == []
