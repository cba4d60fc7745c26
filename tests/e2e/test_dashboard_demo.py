"""The process dashboard on the demo data, as the demo analyst sees it in Russian after a fresh `make run`:
the demo (as `carepath run` loads it, with its weeks of consultations walked through the pathways) shows
real counts, the median time of each step in days where the review's target is in days, the review's
target from the diagram, the route targets with their legends, and whole Russian names. Screenshots at
desktop and phone width go to test-artifacts/screenshots/dashboard-demo-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.consultations.models import Consultation
from engine.db import create_all
from engine.workflow.models import ProcessInstance, TaskHistory
from tests.e2e.test_russian_pages import login_ru
from webui.cli import _load_demo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_server(live_server):
    create_all(live_server.app.extensions["carepath"].engine)
    with live_server.app.app_context():
        _load_demo()  # what `carepath run` loads before it serves
    return live_server


def test_the_analyst_reads_the_dashboard_of_the_demo_in_russian(demo_server, new_context):
    server = demo_server
    with server.app.extensions["carepath"].sessions() as session:
        completed = session.scalar(select(func.count()).where(
            ProcessInstance.process_model_id == "consultation_application", ProcessInstance.status == "completed"))
        first, last = session.execute(select(func.min(TaskHistory.completed_at), func.max(TaskHistory.completed_at))
                                      .join(ProcessInstance, ProcessInstance.id == TaskHistory.instance_id)
                                      .where(ProcessInstance.process_model_id.like("consultation_%"))).one()
    assert completed >= 5 and (last - first).days >= 21  # weeks of finished pathways, not one moment

    page = new_context(locale="ru-RU").new_page()
    login_ru(page, server.url, "analyst@example.org")
    page.goto(f"{server.url}/studio/dashboard")
    main = page.locator("main")
    text = main.inner_text()
    assert "Панель процессов" in page.locator("h1").inner_text()

    # Instances by status: every status named in the legend, the route's title whole and translated.
    overview = page.get_by_role("figure", name="Экземпляры по состоянию").text_content()
    for status in ("ожидает", "выполняется", "завершён", "отменён", "ошибка"):
        assert status in overview
    route1 = page.locator("section.studio-card", has=page.locator("code", has_text="consultation_application"))
    assert "Консультация по заявке пациента" in route1.locator("h2").inner_text()
    assert "Консультация дежурного врача" in overview and "Консультация по направлению" in overview
    assert re.search(r"Запись на приём по талону.*завершён: \d+", overview, re.S), overview  # the tickets' row, last

    # The route's target: counts and its legend in Russian words, the median in days.
    target = route1.get_by_role("figure", name="От заявки до назначения консультации (норматив 1–3 дня)").text_content()
    found = re.search(r"быстрее: (\d+) · в нормативе: (\d+) · сверх: (\d+)", target)
    assert found and sum(int(n) for n in found.groups()) >= 6, target
    assert re.search(r"медиана [\d,]+ дн\.", target), target
    for legend in ("быстрее норматива", "в пределах норматива", "сверх норматива"):
        assert legend in target

    # Median time per step: the review in days with its target from the diagram (3 days), n per step,
    # and the steps of the called session process under their Russian names.
    steps = route1.get_by_role("figure", name="Медианное время шага").text_content()
    assert re.search(r"[\d,]+ дн\. \(n=\d+\) · цель: 3 дн\.", steps), steps
    for step in ("Рассмотреть заявку", "Подпишите информированное добровольное согласие", "Провести консультацию",
                 "Написать заключение", "Оцените консультацию"):
        assert step in steps, step
    assert not re.search(r"\d ч(?!\w)|\d h\b", steps), steps  # one unit per chart: days
    assert route1.locator(".target-line").count() >= 1
    assert "Пунктир отмечает цель шага" in route1.inner_text()  # the legend of the target line

    # Where instances wait now: the review the demo's last application waits at.
    waiting = route1.get_by_role("figure", name="Где экземпляры ожидают сейчас").text_content()
    assert re.search(r"Рассмотреть заявку.*ждут: 1, медиана [\d,]+ дн\., просрочено: 0", waiting, re.S), waiting
    # Route 3: its own target (2–4 days) and its review's target of 4 days.
    route3 = page.locator("section.studio-card", has=page.locator("code", has_text="consultation_referral"))
    assert "норматив 2–4 дня" in route3.inner_text()
    assert "цель: 4 дн." in route3.get_by_role("figure", name="Медианное время шага").text_content()
    assert not re.search(r"(?<![\d,])0 дн\. \(n=", main.text_content())  # an hour's step is not "0 days"
    assert not re.search(r"\b(Review the application|Hold the consultation|median|target|waiting|under)\b", text), text
    server.screenshot(page, "dashboard-demo-desktop")

    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the page does not scroll sideways
    # At 360 px nothing of a chart is cut: every name, value and legend entry lies inside the screen and
    # shows all its text (HTML that wraps, not a drawing scaled down or scrolled), each name above its bar.
    cut = page.evaluate("""() => [...document.querySelectorAll(
        '.bar-label, .bar-value, .chart-legend li, .chart-summary, figure.bar-chart')].filter(e => {
          const box = e.getBoundingClientRect();
          return box.left < 0 || box.right > 360 || e.scrollWidth > e.clientWidth + 1 || box.width === 0;
        }).map(e => e.className + ': ' + e.textContent.trim())""")
    assert cut == [], cut
    legend = page.locator("figure.bar-chart").first.locator(".chart-legend li")
    assert legend.all_inner_texts() == ["ожидает", "выполняется", "завершён", "отменён", "ошибка"]
    row = route1.get_by_role("figure", name="Медианное время шага").locator(".bar-row").first
    label, area = row.locator(".bar-label").bounding_box(), row.locator(".bar-area").bounding_box()
    assert label["y"] + label["height"] <= area["y"] + 1  # the name stands above its bar
    assert area["width"] >= 0.5 * row.bounding_box()["width"]  # and the bar has most of the row
    for value in route1.locator(".bar-value").all():  # a value reads whole («0,4 дн. (n=5)», not «0,»)
        assert re.search(r"\d", value.inner_text()) and value.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    server.screenshot(page, "dashboard-demo-phone")


def test_the_manager_sees_the_path_and_the_end_of_a_finished_demo_consultation(demo_server, new_context):
    """The inspector on one of the demo's finished consultations (route 1, held and rated): the path
    taken and the end reached are marked on the diagram, and the history names the people's steps."""
    server = demo_server
    with server.app.extensions["carepath"].sessions() as session:
        held = session.scalar(
            select(Consultation.process_instance_id)
            .join(ProcessInstance, ProcessInstance.id == Consultation.process_instance_id)
            .where(Consultation.route == "application", Consultation.status == "held",
                   Consultation.rating.is_not(None), ProcessInstance.status == "completed")
            .order_by(Consultation.id).limit(1))  # fmt: skip
    assert held is not None
    page = new_context(locale="ru-RU").new_page()
    login_ru(page, server.url, "manager@example.org")
    page.goto(f"{server.url}/instances/{held}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    for element in ("review", "session", "end_done"):  # the path taken, to the end reached
        expect(diagram.locator(f'g.djs-element.cp-done[data-element-id="{element}"]')).to_have_count(1)
    expect(diagram.locator("g.djs-element.cp-current")).to_have_count(0)  # nothing waits any more
    history = page.locator("main").inner_text()
    for step in ("Рассмотреть заявку", "Провести консультацию", "Написать заключение", "Оцените консультацию"):
        assert step in history, step
    server.screenshot(page, "dashboard-demo-finished-instance")


LABEL_LINES = """async box => {
  const xml = await (await fetch(box.getAttribute('data-src'), {credentials: 'same-origin'})).text();
  const names = {};
  for (const node of new DOMParser().parseFromString(xml, 'application/xml').getElementsByTagName('*')) {
    if (node.getAttribute('id') && node.getAttribute('name')) { names[node.getAttribute('id')] = node.getAttribute('name'); }
  }
  return [...box.querySelectorAll('g.djs-element')].map(g => {
    const id = g.getAttribute('data-element-id').replace(/_label$/, '');
    const text = g.querySelector(':scope > .djs-visual > text');
    return text && names[id] ? [id, names[id], [...text.querySelectorAll('tspan')].map(t => t.textContent)] : null;
  }).filter(Boolean);
}"""


def _read_whole(name: str, lines: list[str]) -> bool:
    """Whether the drawn lines are the name broken between words, or at a hyphen shown as "-" (a soft one
    included), never inside a word with nothing to show it."""
    expected = " ".join(name.replace("\u00ad", "").split())
    built = {lines[0].replace("\u00ad", "").strip()}
    for line in lines[1:]:
        line = line.replace("\u00ad", "").strip()
        joined = {b + " " + line for b in built}
        joined |= {b + line for b in built if b.endswith("-")} | {b[:-1] + line for b in built if b.endswith("-")}
        built = {b for b in joined if expected.startswith(b.removesuffix("-"))}
    return expected in built


def test_the_russian_diagram_breaks_its_labels_between_words_or_at_hyphens(demo_server, new_context):
    """Route 1's diagram in Russian: the labels were sized for the English words. An outside label (of a
    flow, an event, a gateway) gets a box its longest word fits; a word too long for a task's box breaks
    at a syllable with a hyphen («рас-сматривающего»), never cut anywhere («пов/тор/ить», «успешно» one
    letter per line)."""
    server = demo_server
    with server.app.extensions["carepath"].sessions() as session:
        instance = session.scalar(select(Consultation.process_instance_id).where(
            Consultation.route == "application", Consultation.process_instance_id.is_not(None))
            .order_by(Consultation.id.desc()).limit(1))  # fmt: skip
    page = new_context(locale="ru-RU").new_page()
    page.set_viewport_size({"width": 1900, "height": 900})
    login_ru(page, server.url, "manager@example.org")
    page.goto(f"{server.url}/instances/{instance}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    labels = diagram.evaluate(LABEL_LINES)
    assert len(labels) >= 20 and any(name == "повторить" for _, name, _ in labels), labels
    cut = [(element, lines) for element, name, lines in labels if not _read_whole(name, lines)]
    assert cut == [], cut
    server.screenshot(page, "inspector-russian-labels")
