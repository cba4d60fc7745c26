"""instructionsForEndUser: sandboxed Jinja -> Markdown -> cleaned HTML."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from forms import render_instructions

pytestmark = pytest.mark.usefixtures("ctx")

NOTICE = "These instructions could not be shown. Please tell the clinic."
NOTICE_HTML = Markup(f'<p class="cp-instructions-error" role="status">{NOTICE}</p>')


def test_markdown_over_task_data_becomes_html():
    html = render_instructions("## Здравствуйте, {{ patient.name }}!\n\nВаш врач: **{{ doctor }}**.\n\n"
                               "- выписка\n- заключение", {"patient": {"name": "Анна"}, "doctor": "Петров"})
    assert isinstance(html, Markup)
    assert "<h2>Здравствуйте, Анна!</h2>" in html
    assert "<strong>Петров</strong>" in html
    assert "<li>выписка</li>" in html


def test_task_data_is_escaped_not_run_as_html():
    html = render_instructions("Привет, {{ name }}", {"name": '<script>alert("x")</script><img src=x onerror=1>'})
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_a_javascript_link_loses_its_href_and_http_links_stay():
    html = render_instructions("[press](javascript:alert(1)) [site](https://example.org) [mail](mailto:a@b.ru)", {})
    assert "javascript" not in html
    assert '<a href="https://example.org">site</a>' in html
    assert '<a href="mailto:a@b.ru">mail</a>' in html


def test_raw_html_outside_the_allowed_set_is_stripped():
    html = render_instructions('<iframe src="https://evil"></iframe><p onclick="x()">hi</p><em>ok</em>', {})
    assert "iframe" not in html and "onclick" not in html and "<em>ok</em>" in html


def test_tables_and_code_are_allowed():
    html = render_instructions("| Время | Что |\n|:--|--:|\n| 9:00 | давление |\n\n`code`", {})
    assert '<th align="left">Время</th>' in html and "<td>" not in html and "<code>code</code>" in html


@pytest.mark.parametrize("attempt", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ data.__class__.__base__.__subclasses__() }}",
    "{{ '{0.__class__.__mro__}'.format(data) }}",
])
def test_sandbox_escape_attempts_reveal_nothing(attempt):
    # The sandbox either renders the unsafe attribute as nothing or refuses the call: never a leak.
    assert render_instructions(attempt, {"data": {}}) in (Markup(""), NOTICE_HTML)


def test_task_data_cannot_be_changed_from_a_template():
    data = {"items": [1, 2]}
    html = render_instructions("{{ items.append(3) }}{{ items }}", data)
    assert data == {"items": [1, 2]}
    assert html == NOTICE_HTML


@pytest.mark.parametrize("bomb", [
    "{{ 'x' * 1000000000 }}",
    "{{ ('x' * 100000) * 100000 }}",
    "{{ 9 ** 999999999 }}",
    "{{ ((9 ** 100) ** 100) ** 100 }}",
    "{{ 'x'.center(1000000000) }}",
    "{{ 'x'.ljust(1000000000) }}",
    "{{ ('x' * 100000).replace('x', 'yy') }}",
    "{{ 'x' | center(1000000000) }}",
    "{{ '%1000000000s' | format(1) }}",
    "{{ range(100000) | join('x' * 100000) }}",
    "{{ lipsum(1000000) }}",
])
def test_a_memory_bomb_is_refused_not_built(bomb):
    assert render_instructions(bomb, {}) == NOTICE_HTML


def test_the_safe_filters_still_work():
    html = render_instructions("{{ names | join(', ') }} — {{ names | length }} — {{ title | upper }}",
                               {"names": ["Анна", "Пётр"], "title": "кт"})
    assert "Анна, Пётр — 2 — КТ" in html


def test_a_broken_template_shows_a_short_notice():
    assert NOTICE in render_instructions("{% if %}", {})
    assert NOTICE in render_instructions("{{ 1 / 0 }}", {})


def test_missing_data_renders_empty_rather_than_failing():
    assert render_instructions("Дата: {{ visit.date }}.", {}) == Markup("<p>Дата: .</p>")


def test_the_date_filter_formats_iso_dates_for_the_reader():
    html = render_instructions("{{ day | date }} at {{ moment | datetime }}", {"day": "2025-03-31",
                                                                             "moment": "2025-03-31T14:30"})
    assert "March 31, 2025" in html and "2:30" in html


def test_the_number_filter_writes_measured_values_as_the_reader_does():
    from flask_babel import force_locale

    template = "{{ v.amount | number }}; {{ v.pair | number }}; {{ v.note | number }}; [{{ v.missing | number }}]"
    data = {"v": {"amount": "71.6", "pair": "168/96", "note": "2026-12-07"}}
    with force_locale("ru"):
        assert render_instructions(template, data) == Markup("<p>71,6; 168/96; 2026-12-07; []</p>")
    assert render_instructions(template, data) == Markup("<p>71.6; 168/96; 2026-12-07; []</p>")


def test_empty_instructions_render_nothing():
    assert render_instructions("", {}) == Markup("") and render_instructions("  \n", {}) == Markup("")


@pytest.mark.parametrize(
    "loop",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    ],
)
def test_a_looping_template_stops_within_the_script_time_limit(loop):
    import time

    from engine.workflow import limits

    saved = (limits.LIMITS.seconds, limits.LIMITS.megabytes)
    limits.configure(1.0, 128)
    try:
        began = time.monotonic()
        html = render_instructions(loop, {})
        seconds = time.monotonic() - began
    finally:
        limits.configure(*saved)
    assert "cp-instructions-error" in html
    # The margin covers freeing what the loop built before it was stopped (millions of small strings),
    # which on this shared 2-core machine under a full test run took up to 2.5 s.
    assert seconds < 1.0 + 3.0



def test_the_years_filter_gives_an_age_its_unit_and_leaves_anything_else_as_it_is():
    # The Russian plural («41 год», «42 года», «45 лет») is tested with the app's catalog in
    # tests/consultations/test_review_summary.py; this app has none.
    template = "{{ a | years }}; {{ b | years }}; {{ c | years }}; [{{ missing | years }}]"
    assert render_instructions(template, {"a": 1, "b": 41, "c": "unknown"}) == Markup(
        "<p>1 year; 41 years; unknown; []</p>")
