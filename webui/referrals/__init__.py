"""The manager's referral import (route 3): upload a table, say which column is which when a required
one was not recognised (the choice is remembered), see every bad row with what is wrong in one sentence,
download those rows to send back to the region, import the good rows, watch the progress, download the
report; the blank template in both languages.

Running the import: with a Prefect API configured (PREFECT_API_URL, as under `make run`), the page
wakes the `run-import` background task after its commit and the serve process's task worker does the
work at once, visible in the Prefect UI. Without one (a bare development server, the browser tests) the web process runs the
same engine call in a background thread, since a request must never wait for an import. Either way the
page only polls `status.json`; a lost wake is picked up by the sweep flow.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from engine import icd10, roles
from engine.i18n import UserError
from engine.referrals import models as m
from engine.referrals import service
from engine.referrals.parse import FIELDS, MAPPABLE, MAX_ROWS
from engine.referrals.report import (
    COLUMN_LABELS,
    FIELD_LABELS,
    error_rows_csv,
    problems,
    report_csv,
    template_csv,
)
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, roles_required

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
log = logging.getLogger(__name__)
PREVIEW_BAD_ROWS = 500
PREVIEW_GOOD_ROWS = 50
SAMPLE_ROWS = 3  # lines shown under each header in the column step


class UploadForm(FlaskForm):
    table = FileField(_l("Table (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))],
                      description=_l("UTF-8 or Windows-1251, comma or semicolon; at most %(n)s rows.", n=f"{MAX_ROWS:,}".replace(",", " ")))  # fmt: skip


class ConfirmForm(FlaskForm):
    pass


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _reason(pair: list[Any]) -> str:
    text = _(str(pair[0]))
    return text % pair[1] if len(pair) > 1 and pair[1] else text


@bp.app_template_filter("referral_reason")
def referral_reason(pair: list[Any]) -> str:
    return _reason(pair)


@bp.app_template_filter("referral_problems")
def referral_problems(errors: dict[str, Any]) -> str:
    return problems(errors, _)


@bp.app_template_filter("icd10_title")
def icd10_title(code: Any) -> str:
    """The catalogue's title of an ICD-10 code in the reader's language ("" for no known code)."""
    return icd10.title(str(code or ""), str(get_locale() or "ru"))


@bp.route("/", methods=["GET", "POST"])
@roles_required(roles.MANAGER, roles.ADMIN)
def upload() -> Any:
    form = UploadForm()
    status = 200
    if form.validate_on_submit():
        file = form.table.data
        try:
            batch = service.create_preview(db(), current_user, file.filename or "", file.read(),
                                           base_url=_settings().base_url, ip=client_ip(), ask_columns=True)  # fmt: skip
            db().commit()
            return redirect(url_for("referrals.detail", import_id=batch.id))
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            status = error.status
    elif request.method == "POST":
        status = 400
    mine = service.imports_of(db(), current_user)
    return render_template("referrals/upload.html", form=form, imports=mine, max_rows=MAX_ROWS), status


# The whole header value: `mimetype=` with a charset in it got werkzeug's charset appended a second time.
CSV = "text/csv; charset=utf-8"


@bp.route("/template-<lang>.csv")
@roles_required(roles.MANAGER, roles.ADMIN)
def template(lang: str) -> Any:
    if lang not in ("ru", "en"):
        return redirect(url_for("referrals.template", lang="ru"))
    name = "napravleniya-shablon.csv" if lang == "ru" else "referrals-template.csv"
    # The example row names an institution and a specialty the registry knows, so it passes its own check.
    from sqlalchemy import select

    from engine.registry.models import Specialty

    institution = sorted(service.known_institutions(db()) or [""])[0] or None
    target = db().scalar(select(Specialty.name).order_by(Specialty.name).limit(1))
    return Response(template_csv(lang, institution, target), content_type=CSV,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:import_id>")
@roles_required(roles.MANAGER, roles.ADMIN)
def detail(import_id: int) -> Any:
    batch = service.get_import(db(), current_user, import_id)
    if batch.status == m.COLUMNS:
        return redirect(url_for("referrals.columns", import_id=batch.id))
    bad = service.rows_of(db(), import_id, statuses=[m.INVALID], limit=PREVIEW_BAD_ROWS)
    good = service.rows_of(db(), import_id, statuses=[m.PENDING, m.PATIENT_READY, m.STARTED, m.SKIPPED],
                           limit=PREVIEW_GOOD_ROWS)  # fmt: skip
    skipped = service.rows_of(db(), import_id, statuses=[m.SKIPPED], limit=PREVIEW_BAD_ROWS) if batch.status == m.DONE else []
    return render_template(
        "referrals/detail.html", batch=batch, bad=bad, good=good, skipped=skipped, fields=FIELDS,
        labels=FIELD_LABELS, form=ConfirmForm(), earlier=service.earlier_imports_of_file(db(), batch),
        counts=service.counts(db(), import_id), m=m, ignored=_ignored(batch),
    )  # fmt: skip


def _ignored(batch: m.ReferralImport) -> list[str]:
    used = {int(i) for i in (batch.columns or {})}
    return [h for i, h in enumerate(batch.headers or []) if h.strip() and i not in used]


@bp.route("/<int:import_id>/columns", methods=["GET", "POST"])
@roles_required(roles.MANAGER, roles.ADMIN)
def columns(import_id: int) -> Any:
    """The column step: each header of the file with a choice of field."""
    batch = service.get_import(db(), current_user, import_id)
    form, status = ConfirmForm(), 200
    chosen = {int(i): f for i, f in (batch.columns or {}).items()}
    if request.method == "POST":
        chosen = {i: request.form.get(f"column-{i}", "") for i in range(len(batch.headers))}
        if not form.validate_on_submit():
            flash(_("The form has expired; try again."), "error")
            status = 400
        else:
            try:
                service.set_columns(db(), current_user, import_id, chosen, ip=client_ip())
                db().commit()
                flash(_("The columns are set; the next table from this institution or with these headers will be read the same way."), "success")
                return redirect(url_for("referrals.detail", import_id=import_id))
            except UserError as error:
                db().rollback()
                flash(user_message(error), "error")
                status = error.status
    if batch.status not in (m.COLUMNS, m.PREVIEW):
        return redirect(url_for("referrals.detail", import_id=import_id))
    samples = [row.cells for row in service.rows_of(db(), import_id, limit=SAMPLE_ROWS)]
    missing = [_(COLUMN_LABELS[f]) for f in service.table_of(db(), batch).missing] if batch.status == m.COLUMNS else []
    return render_template(
        "referrals/columns.html", batch=batch, form=form, chosen=chosen, samples=samples, choices=MAPPABLE,
        labels=COLUMN_LABELS, missing=missing,
    ), status  # fmt: skip


@bp.route("/<int:import_id>/errors.csv")
@roles_required(roles.MANAGER, roles.ADMIN)
def error_rows(import_id: int) -> Any:
    """The rows with errors, as written, with what is wrong: to send back to the region."""
    batch = service.get_import(db(), current_user, import_id)
    body = error_rows_csv(db(), batch, translate=_)
    return Response(body, content_type=CSV,
                    headers={"Content-Disposition": f'attachment; filename="referral-import-{batch.id}-errors.csv"'})


@bp.route("/<int:import_id>/import", methods=["POST"])
@roles_required(roles.MANAGER, roles.ADMIN)
def start(import_id: int) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for("referrals.detail", import_id=import_id))
    try:
        service.queue_import(db(), current_user, import_id, ip=client_ip())
        db().commit()
    except UserError as error:
        db().rollback()
        flash(user_message(error), "error")
        return redirect(url_for("referrals.detail", import_id=import_id))
    _run(import_id)
    flash(_("The import has started. You can leave this page: it goes on without you."), "success")
    return redirect(url_for("referrals.detail", import_id=import_id))


def _run(import_id: int) -> None:
    settings = _settings()
    from workflows import enqueue

    if enqueue.wake(settings, enqueue.RUN_IMPORT, import_id=import_id):
        return

    def work() -> None:
        from workflows.imports import run_import_now

        try:
            run_import_now(settings, import_id)
        except Exception:  # recorded on the import (status failed, error); the page offers a rerun
            log.exception("referral import %s failed", import_id)

    threading.Thread(target=work, name=f"referral import {import_id}", daemon=True).start()


@bp.route("/<int:import_id>/status.json")
@roles_required(roles.MANAGER, roles.ADMIN)
def status(import_id: int) -> Any:
    batch = service.get_import(db(), current_user, import_id)
    counts = batch.counts or {}
    return jsonify(status=batch.status, done=batch.done, total=batch.valid,
                   created=counts.get("created", 0), started=counts.get("started", 0),
                   skipped=counts.get("skipped", 0), finished=batch.status in (m.DONE, m.FAILED))  # fmt: skip


@bp.route("/<int:import_id>/report.csv")
@roles_required(roles.MANAGER, roles.ADMIN)
def report(import_id: int) -> Any:
    batch = service.get_import(db(), current_user, import_id)
    body = report_csv(db(), batch.id, translate=_)
    return Response(body, content_type=CSV,
                    headers={"Content-Disposition": f'attachment; filename="referral-import-{batch.id}.csv"'})
