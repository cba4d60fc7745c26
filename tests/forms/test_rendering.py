"""forms/render.html: any built form, rendered accessibly."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from forms import build_form_class, form_data
from tests.forms.helpers import load, make_app, render, submit

pytestmark = pytest.mark.usefixtures("ctx")

SCHEMA = {
    "type": "object",
    "required": ["full_name", "consent", "symptoms"],
    "properties": {
        "full_name": {"type": "string", "title": "ФИО", "description": "Как в паспорте", "minLength": 3},
        "consent": {"type": "boolean", "title": "Я даю согласие на обработку моих персональных данных"},
        "symptoms": {"type": "array", "title": "Симптомы", "uniqueItems": True,
                     "items": {"oneOf": [{"const": "cough", "title": "Кашель"}, {"const": "fever", "title": "Жар"}]}},
        "token": {"type": "string", "default": "abc"},
    },
}
UI = {"token": {"ui:widget": "hidden"}, "full_name": {"ui:help": "Полностью"}}


def test_a_russian_schema_title_and_options_render_as_written():
    html = render(build_form_class(SCHEMA, UI)())
    assert '<label class="cp-label" for="full_name">ФИО<span class="cp-required" aria-hidden="true">*</span>' in html
    assert "Я даю согласие на обработку моих персональных данных" in html
    assert '<label class="cp-check-label" for="symptoms-1">Жар</label>' in html


def test_a_required_field_is_marked_once():
    html = render(build_form_class(SCHEMA, UI)())
    label = html[html.index('<label class="cp-label" for="full_name">'):]
    label = label[:label.index("</label>")]
    assert label.count("*") == 1 and "(required)" not in label
    assert re.search(r'<input[^>]*id="full_name"[^>]*required', html)


def test_every_input_has_a_label_tied_to_it():
    html = render(build_form_class(SCHEMA, UI)())
    ids = set(re.findall(r'<input[^>]* id="([^"]+)"[^>]*type="(?!hidden)', html))
    assert ids == {"full_name", "consent", "symptoms-0", "symptoms-1"}
    for input_id in ids:
        assert f'for="{input_id}"' in html


def test_checkbox_groups_are_fieldsets_with_a_legend_and_no_per_box_required():
    html = render(build_form_class(SCHEMA, UI)())
    group = html[html.index('<fieldset'):html.index('</fieldset>')]
    assert '<legend class="cp-legend">Симптомы' in group
    assert "required" not in group.split("</legend>")[1].split("<ul")[1]


def test_description_and_help_are_read_with_the_input():
    html = render(build_form_class(SCHEMA, UI)())
    assert 'aria-describedby="full_name-description full_name-help"' in html
    assert '<p class="cp-description" id="full_name-description">Как в паспорте</p>' in html
    assert '<p class="cp-help" id="full_name-help">Полностью</p>' in html


def test_errors_sit_next_to_their_field_are_announced_and_summarised():
    form = submit(build_form_class(SCHEMA, UI), {"full_name": "Ян", "token": "abc"})
    html = render(form)
    assert 'aria-describedby="full_name-description full_name-help full_name-error" aria-invalid="true"' in html
    assert re.search(r'<p class="cp-error" id="full_name-error"><span class="cp-visually-hidden">Error: </span>'
                     r'Too short: the minimum number of characters is 3.</p>', html)
    summary = html[html.index('class="cp-error-summary"'):html.index("</div>")]
    assert 'role="alert"' in summary
    assert '<a href="#consent">' in summary and '<a href="#symptoms-0">' in summary
    assert "Tick this box to continue." in summary


def test_a_hidden_field_has_no_label():
    html = render(build_form_class(SCHEMA, UI)())
    assert '<input id="token" name="token" type="hidden" value="abc">' in html
    assert 'for="token"' not in html


def test_no_fixed_widths_and_no_inline_styles():
    html = render(build_form_class(SCHEMA, UI)())
    assert "style=" not in html and "width" not in html and "size=" not in html


def test_the_csrf_token_is_rendered_when_csrf_is_on():
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context("/"):
        html = render(build_form_class(SCHEMA, UI)())
    assert re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="[^"]+">', html)


def test_render_fields_alone_for_a_page_with_its_own_form_tag():
    form = build_form_class(SCHEMA, UI)()
    html = render_template_string('{% import "forms/render.html" as f %}{{ f.render_fields(form) }}', form=form)
    assert "<form" not in html and 'name="full_name"' in html


def test_the_stylesheet_is_served_by_the_blueprint(app):
    response = app.test_client().get("/forms-static/forms.css")
    assert response.status_code == 200 and b".cp-visually-hidden" in response.data


def test_a_spiffarena_form_file_renders():
    schema, ui = load("doctor-review-schema.json"), load("doctor-review-uischema.json")
    form = build_form_class(schema, ui)(data={"patient_name": "Иванова Анна Петровна"})
    html = render(form)
    assert form.schema_title == "Рассмотрение заявки на консультацию"
    assert '<p class="cp-form-description">Изучите документы пациента и примите решение.</p>' in html
    assert [f.name for f in form] == ["patient_name", "decision", "consultation_at", "comment"]
    assert 'value="Иванова Анна Петровна"' in html and "readonly" in html
    assert 'role="radiogroup" aria-required="true"' in html
    assert '<label class="cp-check-label" for="decision-1">Запросить дополнительные документы</label>' in html
    assert 'type="datetime-local"' in html
    assert '<textarea aria-describedby="comment-help" class="cp-input" id="comment" maxlength="2000"' in html
    assert 'placeholder="Например: приложите результаты МРТ" rows="5"' in html
    assert '<button type="submit" class="cp-submit">Отправить решение</button>' in html


def test_a_form_round_trip_through_the_browser_path_with_csrf():
    app = make_app(WTF_CSRF_ENABLED=True)
    cls = build_form_class(load("doctor-review-schema.json"), load("doctor-review-uischema.json"))
    task = {"patient_name": "Иванова Анна Петровна"}
    saved = {}

    @app.route("/task", methods=["GET", "POST"])
    def task_page():
        form = cls(data=task)
        if form.validate_on_submit():
            saved.update(form_data(form))
            return "done"
        return render(form)

    client = app.test_client()
    page = client.get("/task").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = client.post("/task", data={"decision": "schedule"})
    assert refused.status_code == 200 and saved == {}
    done = client.post("/task", data={"csrf_token": token, "decision": "schedule", "patient_name": "forged",
                                      "consultation_at": "2025-04-01T09:30", "comment": "  До встречи  "})
    assert done.get_data(as_text=True) == "done"
    assert saved == {"decision": "schedule", "consultation_at": "2025-04-01T09:30", "comment": "До встречи"}
